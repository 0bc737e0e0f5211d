"""``realtime-sync translate IN.wav OUT.wav --to fr``: a WAV file through the service.

Reads the file (any rate, mono or stereo), streams it through a
:class:`~realtime_sync.translation.TranslationClient` at the pump's pace with a
progress bar on stderr, ends the session with ``finish()``, writes the translated
speech to ``OUT.wav`` (24 kHz PCM16) and prints both transcripts. It talks to
``--url`` when given, to OpenAI when ``OPENAI_API_KEY`` is set (and ``--mock`` is
not), else to the embedded mock server, whose timeline follows the audio it
receives, so the file goes faster than real time there.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import threading
from collections.abc import Iterator
from typing import Any

from realtime_sync.cli import (
    CliError,
    _check_writable,
    _connect,
    _out,
    _progress,
    _read_wav,
    _write_wav,
)

__all__ = ["add_parser", "translate"]

_MOCK_PACE = 8.0  # the mock's timeline follows the audio: no need to wait for it


def add_parser(command: Any) -> None:
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
    p.set_defaults(func=translate)


@contextlib.contextmanager
def _where(args: argparse.Namespace) -> Iterator[tuple[dict[str, Any], str]]:
    if args.url:
        yield {"url": args.url}, args.url
        return
    if os.environ.get("OPENAI_API_KEY") and not args.mock:
        yield {"model": args.model}, f"OpenAI ({args.model})"
        return
    from realtime_sync.testing import MockRealtimeServer

    with MockRealtimeServer(api="translation") as server:
        yield (
            {"url": server.url, "pace": _MOCK_PACE},
            f"the embedded mock server ({server.url})",
        )


def translate(args: argparse.Namespace) -> int:
    """Run the command (see the module docstring)."""
    import realtime_sync as rs
    from realtime_sync.translation import TranslationClient

    samples, rate = _read_wav(args.input_wav)
    _check_writable(args.output_wav)
    channels = 1 if samples.ndim == 1 else samples.shape[1]
    seconds = len(samples) / rate
    with _where(args) as (kwargs, where):
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
            _out(
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
            _out("", stream=sys.stderr)
            try:
                result = client.finish(timeout=args.timeout)
            except rs.Timeout as exc:
                raise CliError(f"the translation did not finish: {exc}") from None
            except rs.ConnectionClosed as exc:
                raise CliError(f"the connection ended: {exc}") from None
    _out(f"source:      {result.source_transcript or '(no source transcript)'}")
    _out(f"translation: {result.transcript or '(no translated text)'}")
    _write_wav(args.output_wav, result.samples(), result.sample_rate)
    _out(f"wrote {result.duration:.2f} s to {args.output_wav}")
    return 0
