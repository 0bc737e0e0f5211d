"""An OpenAI-compatible Realtime server that speaks the older beta protocol.

    python examples/compatible_server.py                                  # the mock
    python examples/compatible_server.py --url ws://localhost:8080/v1/realtime?model=x

Many self-hosted and third-party Realtime servers still speak the beta protocol
(``response.text.delta``, ``response.audio.delta``, ``session.modalities`` ...).
``url=`` points the client at one (no key is sent unless you give ``api_key=``) and
``dialect="beta"`` (or ``"auto"``, decided from ``session.created``) translates at
the edge: your code keeps using the GA event classes. Without ``--url``, the mock
server in beta mode plays the compatible server, and the recorded frames show
the beta event names on the wire.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

import realtime_sync as rs
from realtime_sync import events as ev


def converse(url: str, dialect: str, record: Path, timeout: float) -> bool:
    client = rs.RealtimeClient(url=url, dialect=dialect, record=record)
    # GA classes, whatever the wire says: beta's response.text.delta arrives here.
    client.on(ev.ResponseOutputTextDelta, lambda e: print(e.delta, end=""))
    with client:
        print(f"dialect={dialect!r}\n  you> Hi there\n  assistant> ", end="")
        text = client.ask("Hi there", timeout=timeout, output_modalities=["text"])
        print(f"   [{text.status}]")
        spoken = client.ask(
            "Now say it out loud.", timeout=timeout, output_modalities=["audio"]
        )
        print(
            f"  assistant (speaking)> {spoken.transcript}   "
            f"[{len(spoken.audio) / 24000:.2f} s of audio]"
        )
    received = [
        json.loads(json.loads(line)["frame"])["type"]
        for line in record.read_text(encoding="utf-8").splitlines()
        if json.loads(line)["dir"] == "recv"
    ]
    wire = sorted(
        {t for t in received if t.startswith(("response.text", "response.audio"))}
    )
    print(f"  on the wire: {', '.join(wire)}")
    return text.status == spoken.status == "completed"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", help="the server's ws:// URL (default: the mock)")
    parser.add_argument("--timeout", type=float, default=60.0)
    args = parser.parse_args(argv)
    with contextlib.ExitStack() as stack:
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory()))
        url = args.url
        if url is None:
            from realtime_sync.testing import MockRealtimeServer

            server = stack.enter_context(MockRealtimeServer(dialect="beta"))
            url = server.url
            print(f"a beta-dialect server (the mock) at {url}")
        ok = all(
            converse(url, dialect, tmp / f"{dialect}.jsonl", args.timeout)
            for dialect in ("beta", "auto")
        )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
