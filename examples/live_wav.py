"""A WAV question in, the spoken answer out, over the Live API (GPT-Live).

    python examples/live_wav.py question.wav -o answer.wav
    python examples/live_wav.py                  # generates a spoken question

The input may have any sample rate, sample format or channel count:
``append_audio`` downmixes and resamples it, and the client's input pump streams it
at real-time pace with silence around it (a Live session's timeline advances only
while input audio flows). Live has no "response done": ``wait_for_answer()``
returns once the model has spoken and then stayed quiet for a moment. Against
OpenAI when OPENAI_API_KEY is set, else against the embedded mock server, which
answers "You said: <what the audio says>" for the generated question.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

import numpy as np

import realtime_sync as rs
from realtime_sync.live import LiveClient
from realtime_sync.live import events as lev

QUESTION = "How far away is the Moon?"


def _generate_question(path: Path) -> None:
    """Write a spoken question: the mock reads a marker, real speech is not needed."""
    from realtime_sync.testing import synth_speech

    pcm = synth_speech(QUESTION, lead_ms=100, trail_ms=800)  # 24 kHz PCM16 bytes
    rs.audio.write_wav(path, np.frombuffer(pcm, dtype="<i2"), 24000)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("input", nargs="?", help="the question (a WAV file)")
    parser.add_argument("-o", "--output", default="answer.wav", help="the answer WAV")
    parser.add_argument("--timeout", type=float, default=60.0)
    args = parser.parse_args(argv)

    with contextlib.ExitStack() as stack:
        if args.input is None:
            tmp = Path(stack.enter_context(tempfile.TemporaryDirectory()))
            source = tmp / "question.wav"
            _generate_question(source)
            print(f"no input given: generated {source.name} ({QUESTION!r})")
        else:
            source = Path(args.input)

        if os.environ.get("OPENAI_API_KEY"):
            client = LiveClient("gpt-live-1", instructions="Answer in one sentence.")
        else:
            from realtime_sync.testing import MockRealtimeServer

            server = stack.enter_context(MockRealtimeServer(api="live"))
            print(f"no OPENAI_API_KEY: using the mock server at {server.url}")
            # The mock's timeline follows the audio it gets: send faster than real time.
            client = LiveClient(url=server.url, input_pace=10.0)

        answer = bytearray()
        listening = False

        @client.on(lev.SessionOutputAudioDelta)
        def on_audio(event: lev.SessionOutputAudioDelta) -> None:
            if listening:  # the track is continuous: keep the part after the question
                answer.extend(rs.audio.pcm16_to_bytes(event.audio))

        samples, rate = rs.audio.read_wav(source)
        channels = 1 if samples.ndim == 1 else samples.shape[1]
        print(
            f"input: {source.name}, {rate} Hz, {channels} ch, {len(samples) / rate:.2f} s"
        )

        with client:
            listening = True
            client.append_audio(samples, sample_rate=rate, channels=channels)
            reply = client.wait_for_answer(timeout=args.timeout)
            listening = False
            heard = [t.text for t in client.turns if t.role == "user"]
            if heard:
                print(f"the model heard: {heard[-1].strip()!r}")
            print(f"assistant: {reply.text.strip()}")
        end = client.ended
        assert end is not None

        pcm = np.frombuffer(bytes(answer), dtype="<i2")
        voiced = np.flatnonzero(np.abs(pcm) > 64)
        if voiced.size:  # trim the silence of the continuous track
            pcm = pcm[voiced[0] : voiced[-1] + 1]
        rs.audio.write_wav(args.output, pcm, client.sample_rate)
        print(
            f"wrote {args.output}: {client.sample_rate} Hz, {len(pcm) / client.sample_rate:.2f} s"
        )
        print(f"session ended: {end.reason} ({end.usage.total_seconds:g} s billed)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
