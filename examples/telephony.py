"""A phone call's audio: 8 kHz G.711 mu-law in and out, as Twilio and SIP trunks send it.

    python examples/telephony.py                       # a generated caller
    python examples/telephony.py caller.wav -o reply.wav

The session's input and output formats are ``g711_ulaw`` (``audio/pcmu``), so no
conversion happens anywhere: the caller's mu-law bytes go to the server as they
arrive, 20 ms (160 bytes) at a time, and the model's answer comes back as mu-law
bytes ready for the phone line. Here the answer is also decoded to a WAV file so
that you can listen to it. Server VAD ends the caller's turn, as on a live call.
Against OpenAI when OPENAI_API_KEY is set, else against the embedded mock server.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import os
import sys
import threading
from collections.abc import Iterator, Sequence

import numpy as np

import realtime_sync as rs
from realtime_sync import events as ev

CALLER_SAYS = "I would like to check my order status."
FRAME = 160  # bytes of mu-law per 20 ms at 8 kHz


def caller_audio(path: str | None) -> bytes:
    """The caller's side as mu-law bytes at 8 kHz (what a phone gateway delivers)."""
    if path is None:
        from realtime_sync.testing import synth_speech

        # The mock transcribes this as CALLER_SAYS; 600 ms of silence ends the turn.
        return synth_speech(CALLER_SAYS, format="audio/pcmu", trail_ms=600)
    samples, rate = rs.audio.read_wav(path)
    if samples.ndim == 2:
        samples = rs.audio.to_mono(samples)
    if samples.dtype.kind == "f":
        samples = rs.audio.float_to_pcm16(samples)
    if rate != 8000:  # a phone line carries 8 kHz
        resampler = rs.audio.Resampler(rate, 8000)
        samples = np.concatenate([resampler.process(samples), resampler.flush()])
    silence = np.zeros(8000 * 6 // 10, dtype=np.int16)  # the caller then listens
    return rs.audio.ulaw_encode(np.concatenate([samples, silence])).tobytes()


def frames(data: bytes) -> Iterator[bytes]:
    for start in range(0, len(data), FRAME):
        yield data[start : start + FRAME]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("input", nargs="?", help="the caller (a WAV file, any rate)")
    parser.add_argument("-o", "--output", default="reply_8k.wav")
    parser.add_argument("--timeout", type=float, default=60.0)
    args = parser.parse_args(argv)

    session = rs.SessionConfig(
        instructions="You are a phone agent for an online shop. Be brief.",
        input_format="g711_ulaw",
        output_format="g711_ulaw",
        output_modalities=["audio"],
        turn_detection=ev.ServerVad(type="server_vad", silence_duration_ms=500),
        transcription=ev.TranscriptionConfig(model="gpt-4o-mini-transcribe"),
    )
    with contextlib.ExitStack() as stack:
        if os.environ.get("OPENAI_API_KEY"):
            client = rs.RealtimeClient(session=session)
        else:
            from realtime_sync.testing import MockRealtimeServer

            server = stack.enter_context(MockRealtimeServer())
            print(f"no OPENAI_API_KEY: using the mock server at {server.url}")
            client = rs.RealtimeClient(url=server.url, session=session)

        line_out = bytearray()  # what would go back down the phone line
        finished = threading.Event()
        replies: list[rs.events.ResponseDone] = []

        @client.on(ev.ConversationItemInputAudioTranscriptionCompleted)
        def caller(e: ev.ConversationItemInputAudioTranscriptionCompleted) -> None:
            print(f"caller: {e.transcript}", flush=True)

        @client.on(ev.ResponseOutputAudioDelta)
        def to_phone(e: ev.ResponseOutputAudioDelta) -> None:
            line_out.extend(base64.b64decode(e.delta))  # mu-law bytes

        @client.on(ev.ResponseOutputAudioTranscriptDone)
        def agent(e: ev.ResponseOutputAudioTranscriptDone) -> None:
            print(f"agent: {e.transcript}", flush=True)

        @client.on(ev.ResponseDone)
        def done(e: ev.ResponseDone) -> None:
            replies.append(e)
            finished.set()

        data = caller_audio(args.input)
        with client:
            fmt = client.session_info.audio.input.format.type  # type: ignore[union-attr]
            print(f"session audio: {fmt} in and out, 8000 Hz")
            print(f"caller audio: {len(data)} mu-law bytes ({len(data) / 8000:.2f} s)")
            for frame in frames(data):  # as a media stream delivers them
                client.append_audio(frame)  # bytes: sent as they are
            if not finished.wait(args.timeout):
                print("no answer in time")
                return 1

        samples = rs.audio.ulaw_decode(bytes(line_out))
        rs.audio.write_wav(args.output, samples, 8000)
        print(
            f"agent audio: {len(line_out)} mu-law bytes -> {args.output} "
            f"(8000 Hz, {len(samples) / 8000:.2f} s) [{replies[0].response.status}]"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
