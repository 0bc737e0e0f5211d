"""The ``realtime-sync live`` command: talk to a Live session from the terminal.

Kept out of :mod:`realtime_sync.cli` (which only registers it) so that the command
line module stays small; it imports :mod:`realtime_sync.live` and, for the
embedded mock, :mod:`realtime_sync.testing`, and nothing imports it back.

Two ways in:

* ``--wav IN.wav``: the file (any rate, mono or stereo) is streamed through the
  input pump; the command waits for the spoken answer, prints both transcripts and
  can write the answer's audio (``--out OUT.wav``).
* otherwise, lines typed on standard input. The Live API has no text input: with
  the embedded mock each line is turned into synthetic speech that the mock
  transcribes; against a real server a typed line is sent as an instruction append
  (``The user typed: ...``) and the model answers if it decides to.

Where it connects: ``--url``, else OpenAI when ``OPENAI_API_KEY`` is set (and
``--mock`` is not given), else the embedded mock server, whose timeline follows the
audio it receives (so the input goes faster than real time there).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import threading
from collections.abc import Callable, Iterator
from typing import Any, TextIO

from realtime_sync._cli_common import CliError, load_wav, out, save_wav

__all__ = ["add_live_command"]

# The mock's timeline follows the audio it receives: no need to wait for it.
_MOCK_PACE = 10.0


def add_live_command(command: Callable[..., argparse.ArgumentParser]) -> None:
    """Add the ``live`` command (``command(name, help, description)``)."""
    p = command(
        "live",
        "talk to a Live (GPT-Live) session: typed lines or a WAV file",
        "Start a Live session and talk to it: each line you type (or the --wav "
        "file) goes in, the spoken answer's transcript comes out. Uses --url when "
        "given, OpenAI when OPENAI_API_KEY is set, else the embedded mock server. "
        "The Live API takes audio only: typed lines become synthetic speech for "
        "the mock, and an instruction append for a real server.",
    )
    p.add_argument("--url", help="the ws:// or wss:// URL of a Live server")
    p.add_argument("--model", default="gpt-live-1", help="the Live model")
    p.add_argument("--instructions", help="the voice model's instructions")
    p.add_argument("--wav", metavar="IN.wav", help="say this WAV file (any rate)")
    p.add_argument(
        "--out", metavar="OUT.wav", help="with --wav: write the answer's audio here"
    )
    p.add_argument(
        "--mock",
        action="store_true",
        help="use the embedded mock server even when OPENAI_API_KEY is set",
    )
    p.add_argument(
        "--timeout", type=float, default=60.0, help="seconds to wait for an answer"
    )
    p.set_defaults(func=run_live, input=sys.stdin)


@contextlib.contextmanager
def _target(args: argparse.Namespace) -> Iterator[tuple[dict[str, Any], str, bool]]:
    """``(LiveClient kwargs, where, is the mock)``."""
    if args.url:
        yield {"url": args.url}, args.url, False
        return
    if os.environ.get("OPENAI_API_KEY") and not args.mock:
        yield {}, f"OpenAI ({args.model})", False
        return
    from realtime_sync.testing import MockRealtimeServer

    with MockRealtimeServer(api="live") as server:
        yield (
            {"url": server.url, "input_pace": _MOCK_PACE},
            f"the embedded mock server ({server.url})",
            True,
        )


def run_live(args: argparse.Namespace) -> int:
    """Run the command; the exit status. Errors for the user raise CliError."""
    import realtime_sync as rs
    from realtime_sync import _b64
    from realtime_sync.live import LiveClient
    from realtime_sync.live import events as lev

    samples: Any = None
    rate = 0
    if args.wav:
        samples, rate = load_wav(args.wav)
    if args.out and not args.wav:
        raise CliError("--out needs --wav")
    with _target(args) as (kwargs, where, mock):
        try:
            client = LiveClient(args.model, instructions=args.instructions, **kwargs)
        except (TypeError, ValueError) as exc:
            raise CliError(str(exc)) from None
        answer_audio: list[bytes] = []
        collecting = threading.Event()

        @client.on(lev.SessionOutputAudioDelta)
        def on_audio(event: lev.SessionOutputAudioDelta) -> None:
            if collecting.is_set():
                answer_audio.append(_b64.decode(event.delta))

        try:
            client.connect()
        except (rs.ConnectError, rs.Timeout, rs.ServerError) as exc:
            client.close()
            raise CliError(f"cannot start a Live session with {where}: {exc}") from None
        out(f"Live session {client.session_id} with {where}")
        try:
            if samples is not None:
                channels = 1 if samples.ndim == 1 else samples.shape[1]
                collecting.set()
                client.append_audio(samples, sample_rate=rate, channels=channels)
                _answer(client, args.timeout)
                collecting.clear()
            else:
                _chat(client, args.input, mock, args.timeout)
        finally:
            end = client.close()
    out(
        f"[session ended: {end.reason}; {end.usage.total_seconds:g} s billed"
        f"{'' if end.confirmed else ', not confirmed by the server'}]"
    )
    if args.out:
        _write_answer(args.out, b"".join(answer_audio), client.sample_rate)
    return 0


def _answer(client: Any, timeout: float) -> None:
    import realtime_sync as rs

    try:
        answer = client.wait_for_answer(timeout=timeout)
    except rs.Timeout:
        raise CliError(f"no answer within {timeout:g} s") from None
    except rs.ConnectionClosed as exc:
        raise CliError(f"the connection ended: {exc}") from None
    users = [t for t in client.turns if t.role == "user"]
    if users:
        out(f"you> {users[-1].text.strip()}")
    out(f"assistant> {answer.text.strip()}")


def _chat(client: Any, stream: TextIO, mock: bool, timeout: float) -> None:
    while True:
        if stream.isatty():
            out("you> ", end="")
        line = stream.readline()
        if not line or not line.strip():
            return
        text = line.strip()
        if mock:
            from realtime_sync.testing import synth_speech

            client.append_audio(synth_speech(text, lead_ms=100, trail_ms=800))
        else:
            client.append_instructions(f"The user typed: {text}", wait=False)
            client.append_audio(bytes(2 * client.sample_rate // 10))  # a mark
        _answer(client, timeout)


def _write_answer(path: str, data: bytes, rate: int) -> None:
    import numpy as np

    samples = np.frombuffer(data[: len(data) // 2 * 2], "<i2")
    voiced = np.flatnonzero(np.abs(samples) > 64)
    if voiced.size:  # the track is continuous: trim the silence around the answer
        samples = samples[voiced[0] : voiced[-1] + 1]
    save_wav(path, samples, rate)
    out(f"wrote {len(samples) / rate:.2f} s to {path}")
