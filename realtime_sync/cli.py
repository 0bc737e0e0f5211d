"""The ``realtime-sync`` command: demo, mock-server, chat, say and replay.

``realtime-sync demo`` runs a whole conversation against the embedded mock server (no
key, no network): a text turn, a voice turn with server VAD, a tool call executed
locally, an interruption; it prints the transcript as it streams, writes the
assistant's audio to a WAV file and ends with a latency summary.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, Literal, TextIO

from realtime_sync._formats import RATES

__all__ = ["main"]


class CliError(Exception):
    """A one-line error for the user (exit status 2)."""


def _out(text: str = "", end: str = "\n", stream: TextIO | None = None) -> None:
    target = stream or sys.stdout
    target.write(text + end)
    target.flush()


@contextlib.contextmanager
def _target(args: argparse.Namespace) -> Iterator[tuple[Any, str]]:
    """Yield (client kwargs, description): --url, OPENAI_API_KEY, or a local mock."""
    url = getattr(args, "url", None)
    if url:
        yield {"url": url, "dialect": getattr(args, "dialect", "ga")}, url
        return
    dialect = getattr(args, "dialect", "ga")
    if os.environ.get("OPENAI_API_KEY") and not getattr(args, "mock", False):
        yield {"model": args.model}, f"OpenAI ({args.model})"
        return
    if not getattr(args, "mock", False) and getattr(args, "require_key", False):
        raise CliError(
            "set OPENAI_API_KEY, pass --url ws://..., or add --mock to use the "
            "embedded mock server"
        )
    from realtime_sync.testing import MockRealtimeServer

    mock_dialect: Literal["ga", "beta"] = "beta" if dialect == "beta" else "ga"
    with MockRealtimeServer(dialect=mock_dialect) as server:
        yield (
            {"url": server.url, "dialect": dialect},
            f"the embedded mock server ({server.url})",
        )


# -- demo ------------------------------------------------------------------------------


def _demo(args: argparse.Namespace) -> int:
    import realtime_sync as rs
    from realtime_sync import events as ev
    from realtime_sync.audio import write_wav
    from realtime_sync.testing import MockRealtimeServer, synth_speech

    turns: list[tuple[str, rs.ResponseTimings]] = []
    dialect: Literal["ga", "beta"] = args.dialect
    with MockRealtimeServer(dialect=dialect) as server:
        _out(f"mock Realtime server ({args.dialect}) at {server.url}")
        client = rs.RealtimeClient(
            url=server.url,
            dialect=args.dialect,
            barge_in=True,
            session=rs.SessionConfig(
                instructions="You are a friendly travel assistant. Be brief.",
                voice="marin",
                transcription=rs.events.TranscriptionConfig(
                    model="gpt-4o-mini-transcribe"
                ),
            ),
        )

        @client.tool
        def get_weather(city: str) -> dict[str, object]:
            """Get the current weather for a city.

            Args:
                city: The city name.
            """
            return {"city": city, "temperature_c": 21, "sky": "sunny"}

        client.on(ev.ResponseOutputTextDelta, lambda e: _out(e.delta, end=""))
        client.on(
            ev.ResponseOutputAudioTranscriptDelta, lambda e: _out(e.delta, end="")
        )
        client.on(
            ev.ResponseFunctionCallArgumentsDone,
            lambda e: _out(f"\n   [tool call {e.name}({e.arguments}) runs locally]"),
        )
        client.on(
            ev.ConversationItemInputAudioTranscriptionCompleted,
            lambda e: _out(f"   [heard: {e.transcript!r}]"),
        )
        interrupted: list[rs.Interruption] = []
        client.on_interrupt(interrupted.append)

        with client:
            # 1. text
            _out("\nyou> Hello!\nassistant> ", end="")
            reply = client.ask("Hello!", timeout=30, output_modalities=["text"])
            turns.append(("text", reply.timings))
            _out()

            # 2. voice, with server VAD: speech then silence, the server answers
            said = "(your WAV file)" if args.wav else "Which city is the sunniest?"
            _out(f"you (speaking)> {said}\nassistant> ", end="")
            done = threading.Event()
            spoken: list[Any] = []

            def on_done(e: ev.ResponseDone) -> None:
                spoken.append(e)
                done.set()

            client.once(ev.ResponseDone, on_done)
            if args.wav:
                samples, rate = _read_wav(args.wav)
                channels = 1 if samples.ndim == 1 else samples.shape[1]
                step = max(1, rate // 50)  # 20 ms
                for start in range(0, len(samples), step):
                    client.append_audio(
                        samples[start : start + step],
                        sample_rate=rate,
                        channels=channels,
                    )
                # a second of silence ends the turn for the server's VAD
                client.append_audio(bytes(48000))
            else:
                speech = synth_speech(
                    "Which city is the sunniest?",
                    format="audio/pcm",
                    lead_ms=200,
                    trail_ms=900,
                )
                for start in range(0, len(speech), 960):  # 20 ms frames
                    client.append_audio(speech[start : start + 960])
            if not done.wait(30):
                raise CliError("the voice turn did not finish (server VAD)")
            _out()
            turns.append(("voice", client.responses[-1].timings))

            # 3. a tool call, executed here, answered, then the model speaks again
            _out(
                "you> Use get_weather for Paris.\nassistant> ",
                end="",
            )
            answers: list[Any] = []
            both = threading.Event()

            def on_answer(e: ev.ResponseDone) -> None:
                answers.append(e)
                if len(answers) == 2:
                    both.set()

            client.on(ev.ResponseDone, on_answer)
            client.send_text("Use get_weather for Paris.")
            client.create_response()
            if not both.wait(30):
                raise CliError("the tool turn did not finish")
            turns.append(("tool", client.responses[-2].timings))
            turns.append(("after tool", client.responses[-1].timings))
            client.off(ev.ResponseDone, on_answer)
            _out()

            # 4. an interruption: the user speaks over the assistant
            _out("you> Tell me about Rome.\nassistant> ", end="")
            rome = client.ask("Tell me about Rome.", timeout=30)
            turns.append(("spoken", rome.timings))
            item = client.conversation.items[-1]
            played = len(item.audio) // 3  # our pretend player got a third of the way
            client.playback.played(item.id, played)
            truncated = threading.Event()
            answered = threading.Event()
            client.once(ev.ConversationItemTruncated, lambda e: truncated.set())
            client.once(ev.ResponseDone, lambda e: answered.set())
            speech = synth_speech("Wait, stop!", format="audio/pcm", trail_ms=900)
            client.append_audio(speech)
            if not (truncated.wait(30) and answered.wait(30)):
                raise CliError("the interruption turn did not finish")
            if interrupted:
                cut = interrupted[0]
                _out(
                    f"\n   [interrupted: {cut.action} {cut.item_id} at {cut.played_ms} ms]"
                )
            turns.append(("after barge-in", client.responses[-1].timings))
            _out()

            audio = [
                i.audio for i in client.conversation.items if i.role == "assistant"
            ]
            usage = client.usage

    import numpy as np

    samples = np.concatenate(audio) if audio else np.zeros(0, np.int16)
    write_wav(args.out, samples, 24000)
    _out(f"\nwrote {len(samples) / 24000:.2f} s of assistant audio to {args.out}")
    _out(f"usage: {usage.total_tokens} tokens over {usage.responses} responses")
    _out(f"{'latency (ms)':<18}{'first text':>11}{'first audio':>13}{'done':>8}")
    for name, t in turns:
        first_text, first_audio = _ms(t.first_text_ms), _ms(t.first_audio_ms)
        _out(f"  {name:<16}{first_text:>11}{first_audio:>13}{_ms(t.done_ms):>8}")
    return 0


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"


# -- mock-server ---------------------------------------------------------------------


def _mock_server(args: argparse.Namespace) -> int:
    from realtime_sync.testing import MockRealtimeServer

    kwargs: dict[str, Any] = {
        "dialect": args.dialect,
        "host": args.host,
        "port": args.port,
    }
    server = MockRealtimeServer(**kwargs, pace=args.pace)
    try:
        server.start()
    except OSError as exc:
        raise CliError(
            f"cannot listen on {args.host}:{args.port}: {exc.strerror}"
        ) from None
    # start() above already runs the server; `with server:` would start it again.
    try:
        _out(f"serving the mock Realtime API at {server.url} (Ctrl-C to stop)")
        with contextlib.suppress(KeyboardInterrupt):
            threading.Event().wait()
    finally:
        server.stop()
    return 0


# -- chat ------------------------------------------------------------------------------


def _chat(args: argparse.Namespace) -> int:
    import realtime_sync as rs
    from realtime_sync import events as ev

    args.require_key = True
    with _target(args) as (kwargs, where):
        client = rs.RealtimeClient(**kwargs)
        client.on(ev.ResponseOutputTextDelta, lambda e: _out(e.delta, end=""))
        try:
            client.connect()
        except rs.ConnectError as exc:
            raise CliError(f"cannot connect to {where}: {exc}") from None
        with client:
            _out(f"connected to {where}; an empty line quits")
            for line in _lines(args.input):
                if not line.strip():
                    break
                _out("assistant> ", end="")
                reply = client.ask(line, timeout=60, output_modalities=["text"])
                _out(f"   [{reply.status}]")
    return 0


def _lines(stream: TextIO) -> Iterator[str]:
    while True:
        if stream.isatty():
            _out("you> ", end="")
        line = stream.readline()
        if not line:
            return
        yield line.rstrip("\n")


# -- say -------------------------------------------------------------------------------


def _say(args: argparse.Namespace) -> int:

    import realtime_sync as rs
    from realtime_sync import events as ev
    from realtime_sync.audio import write_wav

    samples, rate = _read_wav(args.input_wav)
    channels = 1 if samples.ndim == 1 else samples.shape[1]
    with _target(args) as (kwargs, where):
        client = rs.RealtimeClient(
            **kwargs, session=rs.SessionConfig(turn_detection=None)
        )  # manual turn: we commit when the file ends
        client.on(
            ev.ResponseOutputAudioTranscriptDelta, lambda e: _out(e.delta, end="")
        )
        with client:
            _out(
                f"sending {args.input_wav} ({len(samples) / rate:.2f} s at {rate} Hz) to {where}"
            )
            step = max(1, rate // 10)
            for start in range(0, len(samples), step):
                client.append_audio(
                    samples[start : start + step], sample_rate=rate, channels=channels
                )
                _progress(min(len(samples), start + step) / max(1, len(samples)))
            _out("", stream=sys.stderr)
            client.commit_audio()
            _out("assistant> ", end="")
            reply = client.create_response(output_modalities=["audio"]).wait(120)
            _out()
    audio = reply.audio
    out_rate = RATES.get(reply.audio_format, 24000)
    write_wav(args.output_wav, audio, out_rate)
    _out(f"wrote {len(audio) / out_rate:.2f} s to {args.output_wav}")
    return 0


def _read_wav(path: str) -> tuple[Any, int]:
    from realtime_sync.audio import read_wav

    try:
        return read_wav(path)
    except FileNotFoundError:
        raise CliError(f"file not found: {path}") from None
    except (OSError, ValueError) as exc:
        raise CliError(f"cannot read {path}: {exc}") from None


def _progress(fraction: float, width: int = 30) -> None:
    filled = int(fraction * width)
    sys.stderr.write(
        f"\r[{'#' * filled}{'.' * (width - filled)}] {fraction * 100:5.1f}%"
    )
    sys.stderr.flush()


# -- replay ----------------------------------------------------------------------------


def _replay(args: argparse.Namespace) -> int:
    from collections import Counter

    import realtime_sync as rs

    path = Path(args.file)
    if not path.exists():
        raise CliError(f"file not found: {path}")
    client = rs.RealtimeClient(url="ws://127.0.0.1:9/replay", dialect=args.dialect)
    counts: Counter[str] = Counter()

    def show(event: Any) -> None:
        counts[event.type] += 1
        if not args.quiet:
            _out(event.type)

    client.on("*", show)
    try:
        n = rs.replay(path, client, pace=args.pace)
    except ValueError as exc:
        raise CliError(str(exc)) from None
    _out(
        f"replayed {n} server frames: "
        + ", ".join(f"{k} x{v}" for k, v in counts.most_common())
    )
    return 0


# -- entry point -------------------------------------------------------------------------


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="realtime-sync", description=__doc__.split("\n\n")[0]
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    demo = sub.add_parser(
        "demo", help="a whole conversation against the embedded mock server"
    )
    demo.add_argument("--dialect", choices=("ga", "beta"), default="ga")
    demo.add_argument("--wav", help="speak this WAV file in the voice turn (any rate)")
    demo.add_argument(
        "--out",
        default="realtime-sync-demo.wav",
        help="WAV file for the assistant audio",
    )
    demo.set_defaults(func=_demo)

    mock = sub.add_parser("mock-server", help="serve the mock Realtime API on a port")
    mock.add_argument("--host", default="127.0.0.1")
    mock.add_argument("--port", type=int, default=8765)
    mock.add_argument("--dialect", choices=("ga", "beta"), default="ga")
    mock.add_argument("--pace", choices=("instant", "realtime"), default="instant")
    mock.set_defaults(func=_mock_server)

    for name, func, helptext in (
        ("chat", _chat, "a text chat in the terminal"),
        ("say", _say, "a voice turn from a WAV file, the answer to a WAV file"),
    ):
        p = sub.add_parser(name, help=helptext)
        p.add_argument("--url", help="a ws:// or wss:// URL of a compatible server")
        p.add_argument("--model", default="gpt-realtime")
        p.add_argument("--dialect", choices=("ga", "beta", "auto"), default="ga")
        p.add_argument(
            "--mock", action="store_true", help="use the embedded mock server"
        )
        p.set_defaults(func=func, input=sys.stdin)
        if name == "say":
            p.add_argument("input_wav")
            p.add_argument("output_wav")

    rp = sub.add_parser(
        "replay", help="replay a recording (RealtimeClient(record=...))"
    )
    rp.add_argument("file")
    rp.add_argument("--dialect", choices=("ga", "beta", "auto"), default="auto")
    rp.add_argument("--pace", action="store_true", help="keep the recorded timing")
    rp.add_argument("--quiet", action="store_true", help="only print the summary")
    rp.set_defaults(func=_replay)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status."""
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args))
    except CliError as exc:
        _out(f"realtime-sync: error: {exc}", stream=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
