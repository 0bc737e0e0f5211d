"""The ``realtime-sync`` command: demo, mock-server, chat, say, translate and replay.

``realtime-sync demo`` runs a whole conversation against the embedded mock server (no
key, no network): a text turn, a voice turn with server VAD, a tool call executed
locally, an interruption; it prints the transcript as it streams and ends with a
latency summary (``--out FILE.wav`` also saves the assistant's audio).

Errors the user can act on (no key, a refused connection, a file that cannot be read
or written) end the command with one line on stderr and exit status 2, never a
traceback.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, TextIO

from realtime_sync import __version__
from realtime_sync._cli_common import CliError, load_wav, out, save_wav
from realtime_sync._formats import RATES

if TYPE_CHECKING:
    from realtime_sync.testing import MockRealtimeServer

__all__ = ["main"]

_DESCRIPTION = (
    "Talk to the OpenAI Realtime API, or to the mock server that ships with "
    "realtime_sync, from the terminal."
)
_EPILOG = """\
examples:
  realtime-sync demo                     a whole conversation, offline
  realtime-sync chat --mock              a text chat with the mock server
  realtime-sync say question.wav answer.wav
  realtime-sync translate talk.wav talk-fr.wav --to fr
  realtime-sync mock-server --port 8765  serve the mock for your own client
  realtime-sync replay session.jsonl     show what a recorded session received

chat and say talk to --url when given, else to OpenAI when OPENAI_API_KEY is set,
else (with --mock) to the embedded mock server. Run "realtime-sync COMMAND --help"
for a command's options.
"""


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
    if not getattr(args, "mock", False):
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
    from realtime_sync.testing import MockRealtimeServer, synth_speech

    if args.out is not None:
        _check_writable(args.out)
    wav = load_wav(args.wav) if args.wav else None
    turns: list[tuple[str, rs.ResponseTimings]] = []
    dialect: Literal["ga", "beta"] = args.dialect
    with MockRealtimeServer(dialect=dialect) as server:
        out(f"mock Realtime server ({args.dialect}) at {server.url}")
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

        client.on(ev.ResponseOutputTextDelta, lambda e: out(e.delta, end=""))
        client.on(ev.ResponseOutputAudioTranscriptDelta, lambda e: out(e.delta, end=""))
        client.on(
            ev.ResponseFunctionCallArgumentsDone,
            lambda e: out(f"\n   [tool call {e.name}({e.arguments}) runs locally]"),
        )
        client.on(
            ev.ConversationItemInputAudioTranscriptionCompleted,
            lambda e: out(f"   [heard: {e.transcript!r}]"),
        )
        interrupted: list[rs.Interruption] = []
        client.on_interrupt(interrupted.append)

        with client:
            # 1. text
            out("\nyou> Hello!\nassistant> ", end="")
            reply = client.ask("Hello!", timeout=30, output_modalities=["text"])
            turns.append(("text", reply.timings))
            out()

            # 2. voice, with server VAD: speech then silence, the server answers
            said = "(your WAV file)" if args.wav else "Which city is the sunniest?"
            out(f"you (speaking)> {said}\nassistant> ", end="")
            done = threading.Event()
            spoken: list[Any] = []

            def on_done(e: ev.ResponseDone) -> None:
                spoken.append(e)
                done.set()

            client.once(ev.ResponseDone, on_done)
            if wav is not None:
                samples, rate = wav
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
            out()
            turns.append(("voice", client.responses[-1].timings))

            # 3. a tool call, executed here, answered, then the model speaks again
            out(
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
            out()

            # 4. an interruption: the user speaks over the assistant
            out("you> Tell me about Rome.\nassistant> ", end="")
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
                out(
                    f"\n   [interrupted: {cut.action} {cut.item_id} at {cut.played_ms} ms]"
                )
            turns.append(("after barge-in", client.responses[-1].timings))
            out()

            audio = [
                i.audio for i in client.conversation.items if i.role == "assistant"
            ]
            usage = client.usage

    import numpy as np

    samples = np.concatenate(audio) if audio else np.zeros(0, np.int16)
    seconds = len(samples) / 24000
    if args.out is None:
        out(f"\n{seconds:.2f} s of assistant audio (--out FILE.wav saves it)")
    else:
        save_wav(args.out, samples, 24000)
        out(f"\nwrote {seconds:.2f} s of assistant audio to {args.out}")
    out(f"usage: {usage.total_tokens} tokens over {usage.responses} responses")
    out(f"{'latency (ms)':<18}{'first text':>11}{'first audio':>13}{'done':>8}")
    for name, t in turns:
        first_text, first_audio = _ms(t.first_text_ms), _ms(t.first_audio_ms)
        out(f"  {name:<16}{first_text:>11}{first_audio:>13}{_ms(t.done_ms):>8}")
    return 0


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"


# -- mock-server ---------------------------------------------------------------------


def _mock_server_of(args: argparse.Namespace) -> MockRealtimeServer:
    """The server the ``mock-server`` command runs (not started)."""
    from realtime_sync.testing import MockRealtimeServer

    # A server left running for hours must not keep every frame it ever saw.
    return MockRealtimeServer(
        dialect=args.dialect,
        api=args.api,
        host=args.host,
        port=args.port,
        pace=args.pace,
        record=False,
    )


def _mock_server(args: argparse.Namespace) -> int:
    server = _mock_server_of(args)
    try:
        server.start()
    except OSError as exc:
        raise CliError(
            f"cannot listen on {args.host}:{args.port}: {exc.strerror}"
        ) from None
    # start() above already runs the server; `with server:` would start it again.
    try:
        name = server.api.name.capitalize()
        out(f"serving the mock {name} API at {server.url} (Ctrl-C to stop)")
        with contextlib.suppress(KeyboardInterrupt):
            threading.Event().wait()
    finally:
        server.stop()
    return 0


# -- chat ------------------------------------------------------------------------------


def _chat(args: argparse.Namespace) -> int:
    import realtime_sync as rs
    from realtime_sync import events as ev

    with _target(args) as (kwargs, where):
        client = rs.RealtimeClient(**kwargs)
        client.on(ev.ResponseOutputTextDelta, lambda e: out(e.delta, end=""))
        _connect(client, where)
        with client:
            out(f"connected to {where}; an empty line quits")
            for line in _lines(args.input):
                if not line.strip():
                    break
                out("assistant> ", end="")
                reply = client.ask(line, timeout=60, output_modalities=["text"])
                out(f"   [{reply.status}]")
    return 0


def _connect(client: Any, where: str) -> None:
    """Connect, or raise a one-line CliError that names the server once."""
    import realtime_sync as rs

    try:
        client.connect()
    except (rs.ConnectError, rs.Timeout) as exc:
        client.close()
        message = str(exc)
        # The client's messages say "Could not connect to <url>: why"; add where we
        # tried only to a message that does not say it already.
        if "connect" not in message.lower():
            message = f"cannot connect to {where}: {message}"
        raise CliError(message) from None


def _lines(stream: TextIO) -> Iterator[str]:
    while True:
        if stream.isatty():
            out("you> ", end="")
        line = stream.readline()
        if not line:
            return
        yield line.rstrip("\n")


# -- say -------------------------------------------------------------------------------


def _say(args: argparse.Namespace) -> int:
    import realtime_sync as rs
    from realtime_sync import events as ev

    # Everything that can be checked locally is, before the round trip.
    samples, rate = load_wav(args.input_wav)
    _check_writable(args.output_wav)
    channels = 1 if samples.ndim == 1 else samples.shape[1]
    with _target(args) as (kwargs, where):
        client = rs.RealtimeClient(
            **kwargs, session=rs.SessionConfig(turn_detection=None)
        )  # manual turn: we commit when the file ends
        client.on(ev.ResponseOutputAudioTranscriptDelta, lambda e: out(e.delta, end=""))
        _connect(client, where)
        with client:
            out(
                f"sending {args.input_wav} ({len(samples) / rate:.2f} s at {rate} Hz) to {where}"
            )
            step = max(1, rate // 10)
            for start in range(0, len(samples), step):
                client.append_audio(
                    samples[start : start + step], sample_rate=rate, channels=channels
                )
                _progress(min(len(samples), start + step) / max(1, len(samples)))
            out("", stream=sys.stderr)
            client.commit_audio()
            out("assistant> ", end="")
            reply = client.create_response(output_modalities=["audio"]).wait(120)
            out()
    audio = reply.audio
    out_rate = RATES.get(reply.audio_format, 24000)
    save_wav(args.output_wav, audio, out_rate)
    out(f"wrote {len(audio) / out_rate:.2f} s to {args.output_wav}")
    return 0


def _check_writable(path: str) -> None:
    """Refuse, before any work, an output path that cannot be written."""
    target = Path(path)
    if target.is_dir():
        raise CliError(f"cannot write {path}: it is a directory")
    folder = target.parent
    if not folder.is_dir():
        raise CliError(f"cannot write {path}: no directory {folder}")
    if not os.access(folder, os.W_OK) or (
        target.exists() and not os.access(target, os.W_OK)
    ):
        raise CliError(f"cannot write {path}: permission denied")


def _progress(fraction: float, width: int = 30) -> None:
    filled = int(fraction * width)
    sys.stderr.write(
        f"\r[{'#' * filled}{'.' * (width - filled)}] {fraction * 100:5.1f}%"
    )
    sys.stderr.flush()


# -- translate -------------------------------------------------------------------------

# The mock's timeline follows the audio it receives: no need to wait for it.
_TRANSLATE_MOCK_PACE = 8.0


def _add_translate(command: Any) -> None:
    """Add the ``translate`` command (``command(name, help, description)``)."""
    p = command(
        "translate",
        "translate the speech of a WAV file into another language",
        "Stream a WAV file (any rate, mono or stereo) through the Realtime "
        "Translation API and write the translated speech to another WAV file, "
        "printing the source and translated transcripts. Uses --url when given, "
        "OpenAI when OPENAI_API_KEY is set, else the embedded mock server.",
    )
    p.add_argument("input_wav", metavar="IN.wav", help="the speech to translate")
    p.add_argument(
        "output_wav",
        metavar="OUT.wav",
        help="where the translated speech goes (checked before anything is sent)",
    )
    p.add_argument(
        "--to",
        required=True,
        metavar="LANG",
        help="the target language (a code such as fr, es, de, pt-BR)",
    )
    p.add_argument("--url", help="the ws:// or wss:// URL of a translation server")
    p.add_argument(
        "--model",
        default="gpt-realtime-translate",
        help="the translation model to use on OpenAI",
    )
    p.add_argument(
        "--mock",
        action="store_true",
        help="use the embedded mock server even when OPENAI_API_KEY is set",
    )
    p.add_argument(
        "--timeout",
        type=float,
        default=120.0,
        help="seconds allowed, after the file was sent, for the rest of the "
        "translation",
    )
    p.set_defaults(func=_translate)


@contextlib.contextmanager
def _translation_target(
    args: argparse.Namespace,
) -> Iterator[tuple[dict[str, Any], str]]:
    if args.url:
        yield {"url": args.url}, args.url
        return
    if os.environ.get("OPENAI_API_KEY") and not args.mock:
        yield {"model": args.model}, f"OpenAI ({args.model})"
        return
    from realtime_sync.testing import MockRealtimeServer

    with MockRealtimeServer(api="translation") as server:
        yield (
            {"url": server.url, "pace": _TRANSLATE_MOCK_PACE},
            f"the embedded mock server ({server.url})",
        )


def _translate(args: argparse.Namespace) -> int:
    """Translate a WAV file: progress on stderr, both transcripts, the result's WAV.

    Talks to ``--url``, to OpenAI when ``OPENAI_API_KEY`` is set (and ``--mock``
    is not), else to the embedded mock server, whose timeline follows the audio it
    receives, so the file goes faster than real time there.
    """
    import realtime_sync as rs
    from realtime_sync.translation import TranslationClient

    samples, rate = load_wav(args.input_wav)
    _check_writable(args.output_wav)
    channels = 1 if samples.ndim == 1 else samples.shape[1]
    seconds = len(samples) / rate
    with _translation_target(args) as (kwargs, where):
        try:
            client = TranslationClient(
                target_language=args.to, input_transcription=True, **kwargs
            )
        except (TypeError, ValueError) as exc:
            raise CliError(str(exc)) from None
        try:
            _connect(client, where)
        except rs.ServerError as exc:
            client.close()
            raise CliError(f"{where} refused the settings: {exc}") from None
        with client:
            out(
                f"translating {args.input_wav} ({seconds:.2f} s at {rate} Hz) into "
                f"{args.to!r} with {where}"
            )
            client.append_audio(samples, sample_rate=rate, channels=channels)
            total = max(client.pending_input_ms, 1.0)
            idle = threading.Event()
            while client.pending_input_ms > 0 and client.is_connected:
                _progress(1.0 - client.pending_input_ms / total)
                idle.wait(0.1)
            _progress(1.0)
            out("", stream=sys.stderr)
            try:
                result = client.finish(timeout=args.timeout)
            except rs.Timeout as exc:
                raise CliError(f"the translation did not finish: {exc}") from None
            except rs.ConnectionClosed as exc:
                raise CliError(f"the connection ended: {exc}") from None
    out(f"source:      {result.source_transcript or '(no source transcript)'}")
    out(f"translation: {result.transcript or '(no translated text)'}")
    save_wav(args.output_wav, result.samples(), result.sample_rate)
    out(f"wrote {result.duration:.2f} s to {args.output_wav}")
    return 0


# -- replay ----------------------------------------------------------------------------


def _replay(args: argparse.Namespace) -> int:
    from collections import Counter

    import realtime_sync as rs
    from realtime_sync.recording import read_recording

    path = Path(args.file)
    if not path.is_file():
        raise CliError(f"file not found: {path}")
    try:
        total = sum(1 for _, way, _ in read_recording(path) if way == "recv")
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise CliError(f"cannot read {path}: {exc}") from None
    if total == 0:
        raise CliError(
            f"no server frames in {path} (record a session with "
            "RealtimeClient(record=...))"
        )
    client = rs.RealtimeClient(url="ws://127.0.0.1:9/replay", dialect=args.dialect)
    counts: Counter[str] = Counter()
    # A paced replay lasts as long as the session did: show where it is.
    progress = args.pace and args.quiet

    reader_gone: list[BrokenPipeError] = []  # `... | head` stopped reading

    def show(event: Any) -> None:
        counts[event.type] += 1
        if reader_gone:
            return
        try:
            if not args.quiet:
                out(_describe(event))
            elif progress:
                _progress(sum(counts.values()) / total)
        except BrokenPipeError as exc:  # handlers' exceptions stay in the client
            reader_gone.append(exc)

    client.on("*", show)
    try:
        n = rs.replay(path, client, pace=args.pace)
    except ValueError as exc:
        raise CliError(str(exc)) from None
    if reader_gone:
        raise reader_gone[0]
    if progress:
        out("", stream=sys.stderr)
    out(
        f"replayed {n} server frames: "
        + ", ".join(f"{k} x{v}" for k, v in counts.most_common())
    )
    return 0


def _describe(event: Any) -> str:
    """One line for a replayed event: its type, and its text when it carries some."""
    kind: str = event.type
    if kind.endswith("audio.delta") and isinstance(getattr(event, "delta", None), str):
        size = len(event.delta) * 3 // 4 - event.delta.count("=")  # base64 -> bytes
        return f"{kind}  ({size} bytes of audio)"
    for name in ("delta", "transcript", "text", "arguments"):
        value = getattr(event, name, None)
        if isinstance(value, str) and value:
            return f"{kind}  {value!r}"
    item = getattr(event, "item", None)
    content = getattr(item, "content", None)
    if isinstance(content, list):
        said = [
            text
            for part in content
            for text in (getattr(part, "text", None), getattr(part, "transcript", None))
            if isinstance(text, str) and text
        ]
        if said:
            who = getattr(item, "role", None) or getattr(item, "type", "item")
            return f"{kind}  {who}: {' '.join(said)!r}"
    error = getattr(event, "error", None)
    message = getattr(error, "message", None)
    if isinstance(message, str):
        return f"{kind}  {message!r}"
    return kind


# -- entry point -------------------------------------------------------------------------


class _HelpFormatter(argparse.HelpFormatter):
    """Wraps prose, keeps indented lines as written, shows every option's default."""

    def _fill_text(self, text: str, width: int, indent: str) -> str:
        # A paragraph with an indented line (the examples) is a table: keep it.
        return "\n\n".join(
            paragraph
            if any(line.startswith(" ") for line in paragraph.splitlines())
            else super(_HelpFormatter, self)._fill_text(paragraph, width, indent)
            for paragraph in text.split("\n\n")
        )

    def _get_help_string(self, action: argparse.Action) -> str | None:
        text = action.help or ""
        if (
            action.option_strings
            and action.default not in (None, False, argparse.SUPPRESS)
            and "%(default)" not in text
        ):
            text += " (default: %(default)s)"
        return text


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="realtime-sync",
        description=_DESCRIPTION,
        epilog=_EPILOG,
        formatter_class=_HelpFormatter,
    )
    parser.add_argument(
        "--version", action="version", version=f"%(prog)s {__version__}"
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(name: str, helptext: str, description: str) -> argparse.ArgumentParser:
        return sub.add_parser(
            name, help=helptext, description=description, formatter_class=_HelpFormatter
        )

    demo = command(
        "demo",
        "a whole conversation against the embedded mock server",
        "A text turn, a voice turn with server VAD, a tool call run locally and an "
        "interruption, against the embedded mock server: no key, no network. Prints "
        "the conversation as it streams and a latency summary.",
    )
    demo.add_argument(
        "--dialect",
        choices=("ga", "beta"),
        default="ga",
        help="the protocol the mock server speaks",
    )
    demo.add_argument(
        "--wav",
        metavar="FILE",
        help="speak this WAV file in the voice turn (any rate; default: a "
        "synthesised question)",
    )
    demo.add_argument(
        "--out",
        metavar="FILE",
        help="save the assistant's audio to this WAV file (default: save nothing)",
    )
    demo.set_defaults(func=_demo)

    mock = command(
        "mock-server",
        "serve the mock Realtime API on a port",
        "Serve the embedded mock Realtime server until Ctrl-C, for trying a client "
        "of your own against ws://HOST:PORT/v1/realtime.",
    )
    mock.add_argument("--host", default="127.0.0.1", help="the address to listen on")
    mock.add_argument(
        "--port", type=int, default=8765, help="the TCP port to listen on"
    )
    mock.add_argument(
        "--dialect",
        choices=("ga", "beta"),
        default="ga",
        help="the Realtime protocol dialect to speak",
    )
    mock.add_argument(
        "--api",
        choices=("realtime", "live", "translation"),
        default="realtime",
        help="the API the printed URL points to (one server answers every API "
        "on its own path: /v1/realtime, /v1/live/sessions, /v1/realtime/translations)",
    )
    mock.add_argument(
        "--pace",
        choices=("instant", "realtime"),
        default="instant",
        help="send audio as fast as possible, or at the speed it plays",
    )
    mock.set_defaults(func=_mock_server)

    for name, func, helptext, description in (
        (
            "chat",
            _chat,
            "a text chat in the terminal",
            "A text chat: each line you type is sent, the answer streams back. An "
            "empty line (or end of input) quits.",
        ),
        (
            "say",
            _say,
            "a voice turn from a WAV file, the answer to a WAV file",
            "Send a WAV file (any rate, mono or stereo) as one spoken turn and write "
            "the spoken answer to another WAV file, printing its transcript.",
        ),
    ):
        p = command(name, helptext, description)
        p.add_argument(
            "--url",
            help="the ws:// or wss:// URL of a compatible server (default: OpenAI "
            "when OPENAI_API_KEY is set)",
        )
        p.add_argument(
            "--model", default="gpt-realtime", help="the model to use on OpenAI"
        )
        p.add_argument(
            "--dialect",
            choices=("ga", "beta", "auto"),
            default="ga",
            help="the server's protocol (auto: tell from its first event)",
        )
        p.add_argument(
            "--mock",
            action="store_true",
            help="use the embedded mock server (no key needed)",
        )
        p.set_defaults(func=func, input=sys.stdin)
        if name == "say":
            p.add_argument("input_wav", metavar="IN.wav", help="what you say")
            p.add_argument(
                "output_wav",
                metavar="OUT.wav",
                help="where the answer goes (checked before anything is sent)",
            )

    _add_translate(command)

    from realtime_sync._cli_live import add_live_command

    add_live_command(command)

    rp = command(
        "replay",
        "show the server events of a recording (RealtimeClient(record=...))",
        "Dispatch the server frames of a recording made with "
        "RealtimeClient(record=FILE) through a client, offline, printing each "
        "event with its text, then a summary.",
    )
    rp.add_argument("file", metavar="FILE", help="the recording (JSON lines)")
    rp.add_argument(
        "--dialect",
        choices=("ga", "beta", "auto"),
        default="auto",
        help="the protocol of the recorded server",
    )
    rp.add_argument(
        "--pace",
        action="store_true",
        help="keep the recorded timing (with --quiet: a progress bar)",
    )
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
        out(f"realtime-sync: error: {exc}", stream=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # The reader of our output went away (``realtime-sync replay F | head``): stop
        # quietly, and keep the interpreter's final flush from failing again.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 141  # 128 + SIGPIPE, what a shell reports for such a pipeline
