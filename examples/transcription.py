"""Speech to text only: a transcription session, no responses.

    python examples/transcription.py                  # a generated recording
    python examples/transcription.py meeting.wav

A transcription session (``?intent=transcription`` in the URL, ``type:
"transcription"`` in the session) never answers: server VAD cuts the audio into
turns and each turn's transcript streams back as
``conversation.item.input_audio_transcription.delta`` events, then ``.completed``.
The audio is streamed in real-time-sized chunks, as a live source would send it.
Against OpenAI when OPENAI_API_KEY is set, else against the embedded mock server.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import threading
from collections.abc import Sequence

import numpy as np

import realtime_sync as rs
from realtime_sync import events as ev

SENTENCES = ("The quick brown fox jumps over the lazy dog.", "It was not amused.")


def _recording() -> tuple[np.ndarray, int]:
    """Two spoken sentences with a pause between them (24 kHz pcm16)."""
    from realtime_sync.testing import synth_speech

    pcm = b"".join(synth_speech(s, lead_ms=200, trail_ms=700) for s in SENTENCES)
    return np.frombuffer(pcm, dtype="<i2"), 24000


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("input", nargs="?", help="a WAV file (any rate)")
    parser.add_argument("--language", default="en")
    parser.add_argument("--timeout", type=float, default=30.0)
    args = parser.parse_args(argv)

    session = ev.TranscriptionSession(
        audio=ev.TranscriptionAudio(
            input=ev.AudioInput(
                transcription=ev.TranscriptionConfig(
                    model="gpt-4o-transcribe", language=args.language
                ),
                turn_detection=ev.ServerVad(type="server_vad", silence_duration_ms=500),
            )
        )
    )
    with contextlib.ExitStack() as stack:
        if os.environ.get("OPENAI_API_KEY"):
            url = "wss://api.openai.com/v1/realtime?intent=transcription"
            client = rs.RealtimeClient(
                url=url, api_key=os.environ["OPENAI_API_KEY"], session=session
            )
        else:
            from realtime_sync.testing import MockRealtimeServer

            server = stack.enter_context(MockRealtimeServer())
            url = f"ws://127.0.0.1:{server.port}/v1/realtime?intent=transcription"
            print(f"no OPENAI_API_KEY: using the mock server at {url}")
            client = rs.RealtimeClient(url=url, session=session)

        if args.input is None:
            samples, rate = _recording()
        else:
            samples, rate = rs.audio.read_wav(args.input)
        channels = 1 if samples.ndim == 1 else samples.shape[1]

        transcripts: list[str] = []
        turns = 0
        changed = threading.Condition()

        @client.on(ev.InputAudioBufferSpeechStarted)
        def speech(e: ev.InputAudioBufferSpeechStarted) -> None:
            nonlocal turns
            print(f"[speech at {e.audio_start_ms} ms]", flush=True)
            with changed:
                turns += 1
                changed.notify_all()

        @client.on(ev.ConversationItemInputAudioTranscriptionCompleted)
        def completed(e: ev.ConversationItemInputAudioTranscriptionCompleted) -> None:
            print(f"transcript: {e.transcript}", flush=True)
            with changed:
                transcripts.append(e.transcript)
                changed.notify_all()

        @client.on(ev.ResponseCreated)
        def unexpected(e: ev.ResponseCreated) -> None:
            print("a response was created: this is not a transcription session")

        with client:
            kind = type(client.session_info).__name__
            if not isinstance(client.session_info, ev.TranscriptionSession):
                print(
                    f"the server opened a {kind}, not a transcription session: "
                    "it does not support transcription-only sessions"
                )
                return 1
            print(f"session: {kind} ({client.session_info.object})")
            step = rate // 10  # 100 ms chunks, as a live source would send them
            for start in range(0, samples.shape[0], step):
                chunk = samples[start : start + step]
                client.append_audio(chunk, sample_rate=rate, channels=channels)
            # A second of silence lets server VAD end the last turn.
            shape = (rate,) if channels == 1 else (rate, channels)
            silence = np.zeros(shape, dtype=samples.dtype)
            client.append_audio(silence, sample_rate=rate, channels=channels)
            client.flush_audio()
            # The server handles events in order: once this update is confirmed, it
            # has heard all the audio, and every turn it found has started.
            client.update_session(session)
            with changed:
                if not changed.wait_for(
                    lambda: turns > 0 and len(transcripts) >= turns, args.timeout
                ):
                    print(f"{len(transcripts)} transcript(s) for {turns} turn(s)")
                    return 1
        print(f"{len(transcripts)} transcript(s), no responses")
    return 0


if __name__ == "__main__":
    sys.exit(main())
