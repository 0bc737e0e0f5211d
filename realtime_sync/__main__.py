"""The ``realtime-sync`` command: ``demo`` and ``mock-server``.

``realtime-sync demo`` runs a short text and voice conversation against the embedded
mock server (no key, no network); ``realtime-sync mock-server`` serves the mock on a
port so that other programs can connect to it.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
import threading
from collections.abc import Sequence


def _demo(args: argparse.Namespace) -> int:
    import realtime_sync as rs
    from realtime_sync import events as ev
    from realtime_sync.testing import MockRealtimeServer

    with MockRealtimeServer(dialect=args.dialect) as server:
        print(f"mock Realtime server ({args.dialect}) at {server.url}")
        client = rs.RealtimeClient(
            url=server.url,
            dialect=args.dialect,
            session=rs.SessionConfig(instructions="Be brief.", voice="marin"),
        )
        client.on(
            ev.ResponseOutputTextDelta, lambda e: print(e.delta, end="", flush=True)
        )
        client.on(
            ev.ResponseOutputAudioTranscriptDelta,
            lambda e: print(e.delta, end="", flush=True),
        )
        with client:
            for text in ("Hello!", "What can you do?"):
                print(f"you> {text}\nassistant> ", end="")
                reply = client.ask(text, timeout=30, output_modalities=["text"])
                print(
                    f"   [{reply.status}, {reply.usage.total_tokens if reply.usage else '?'} tokens]"
                )
            print("you> (asks for a spoken answer)\nassistant (speaking)> ", end="")
            spoken = client.ask(
                "Say something.", timeout=30, output_modalities=["audio"]
            )
            seconds = len(spoken.audio) / 24000
            print(f"   [{seconds:.2f} s of 24 kHz audio received]")
    return 0


def _mock_server(args: argparse.Namespace) -> int:
    from realtime_sync.testing import MockRealtimeServer

    with MockRealtimeServer(dialect=args.dialect, port=args.port) as server:
        print(
            f"serving the mock Realtime API at {server.url} (Ctrl-C to stop)",
            flush=True,
        )
        with contextlib.suppress(KeyboardInterrupt):
            threading.Event().wait()
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status."""
    parser = argparse.ArgumentParser(prog="realtime-sync", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    demo = sub.add_parser(
        "demo", help="a conversation against the embedded mock server"
    )
    demo.add_argument("--dialect", choices=("ga", "beta"), default="ga")
    demo.set_defaults(func=_demo)
    mock = sub.add_parser("mock-server", help="serve the mock Realtime API")
    mock.add_argument("--dialect", choices=("ga", "beta"), default="ga")
    mock.add_argument("--port", type=int, default=8765)
    mock.set_defaults(func=_mock_server)
    args = parser.parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
