"""Speech to speech from files: read a WAV question, write the spoken answer as a WAV.

    python examples/voice_file.py question.wav -o answer.wav
    python examples/voice_file.py                  # generates a spoken question

The input may have any sample rate, sample format or channel count:
``append_audio`` downmixes and resamples it to the session's 24 kHz. The turn is
ended by hand (``commit_audio()`` then ``create_response()``), so server VAD is
turned off. Against OpenAI when OPENAI_API_KEY is set, else against the embedded
mock server, which answers "You said: <what the audio says>" for the generated
question (and "I heard N ms of audio." for other recordings).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import tempfile
import threading
from collections.abc import Sequence
from pathlib import Path

import realtime_sync as rs
from realtime_sync import events as ev

QUESTION = "What is the weather like on Mars?"


def _generate_question(path: Path) -> None:
    """Write a spoken question: real speech is not needed, the mock reads a marker."""
    import numpy as np

    from realtime_sync.testing import synth_speech

    pcm = synth_speech(QUESTION, lead_ms=100, trail_ms=200)  # 24 kHz pcm16 bytes
    rs.audio.write_wav(path, np.frombuffer(pcm, dtype="<i2"), 24000)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("input", nargs="?", help="the question (a WAV file)")
    parser.add_argument("-o", "--output", default="reply.wav", help="the answer WAV")
    parser.add_argument("--timeout", type=float, default=60.0)
    args = parser.parse_args(argv)

    session = rs.SessionConfig(
        instructions="Answer in one short sentence.",
        turn_detection=None,  # we end the turn ourselves with commit_audio()
        transcription=ev.TranscriptionConfig(model="gpt-4o-mini-transcribe"),
    )
    with contextlib.ExitStack() as stack:
        if args.input is None:
            tmp = Path(stack.enter_context(tempfile.TemporaryDirectory()))
            source = tmp / "question.wav"
            _generate_question(source)
            print(f"no input given: generated {source.name} ({QUESTION!r})")
        else:
            source = Path(args.input)

        if os.environ.get("OPENAI_API_KEY"):
            client = rs.RealtimeClient(model="gpt-realtime", session=session)
        else:
            from realtime_sync.testing import MockRealtimeServer

            server = stack.enter_context(MockRealtimeServer())
            print(f"no OPENAI_API_KEY: using the mock server at {server.url}")
            client = rs.RealtimeClient(url=server.url, session=session)

        heard: list[str] = []
        transcribed = threading.Event()

        @client.on(ev.ConversationItemInputAudioTranscriptionCompleted)
        def on_transcript(
            e: ev.ConversationItemInputAudioTranscriptionCompleted,
        ) -> None:
            heard.append(e.transcript)
            transcribed.set()

        samples, rate = rs.audio.read_wav(source)
        channels = 1 if samples.ndim == 1 else samples.shape[1]
        seconds = samples.shape[0] / rate
        print(f"input: {source.name}, {rate} Hz, {channels} ch, {seconds:.2f} s")

        with client:
            client.append_audio(samples, sample_rate=rate, channels=channels)
            client.commit_audio()
            reply = client.create_response(output_modalities=["audio"]).wait(
                args.timeout
            )
            # Input transcription runs beside the response and may end after it.
            if transcribed.wait(5.0):
                print(f"the model heard: {heard[0]!r}")

        out_rate = 24000 if reply.audio_format == "audio/pcm" else 8000
        rs.audio.write_wav(args.output, reply.audio, out_rate)
        print(f"assistant: {reply.transcript}")
        print(
            f"wrote {args.output}: {out_rate} Hz, {len(reply.audio) / out_rate:.2f} s "
            f"[{reply.status}]"
        )
    return 0 if reply.status == "completed" else 1


if __name__ == "__main__":
    sys.exit(main())
