"""Translate the speech of a WAV file: the translated speech to a WAV, both transcripts.

    python examples/translate_file.py talk.wav -o talk-fr.wav --to fr
    python examples/translate_file.py             # generates two spoken sentences

The input may have any sample rate, sample format or channel count:
``append_audio`` downmixes and resamples it to the service's 24 kHz. The client's
input pump streams it in 200 ms appends (silence before and after, as the service
wants), and ``finish()`` ends the session once the translation has drained. Against
OpenAI when OPENAI_API_KEY is set, else against the embedded mock server, which
"translates" the generated sentences as ``[fr] <sentence>`` (and other recordings as
``[fr] [speech 1.23 s]``).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

import realtime_sync as rs
from realtime_sync.translation import events as tev

SENTENCES = ("Where is the train station?", "Thank you very much.")


def _generate(path: Path) -> None:
    """Write two spoken sentences: real speech is not needed, the mock reads a marker."""
    import numpy as np

    from realtime_sync.testing import synth_speech

    pcm = b"".join(synth_speech(s, lead_ms=200, trail_ms=500) for s in SENTENCES)
    rs.audio.write_wav(path, np.frombuffer(pcm, dtype="<i2"), 24000)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("input", nargs="?", help="the speech (a WAV file)")
    parser.add_argument("-o", "--output", default="translated.wav")
    parser.add_argument("--to", default="fr", help="the target language")
    parser.add_argument("--timeout", type=float, default=120.0)
    args = parser.parse_args(argv)

    with contextlib.ExitStack() as stack:
        if args.input is None:
            tmp = Path(stack.enter_context(tempfile.TemporaryDirectory()))
            source = tmp / "speech.wav"
            _generate(source)
            print(f"no input given: generated {source.name} {SENTENCES}")
        else:
            source = Path(args.input)

        settings = {"target_language": args.to, "input_transcription": True}
        if os.environ.get("OPENAI_API_KEY"):
            client = rs.TranslationClient(**settings)
        else:
            from realtime_sync.testing import MockRealtimeServer

            server = stack.enter_context(MockRealtimeServer(api="translation"))
            print(f"no OPENAI_API_KEY: using the mock server at {server.url}")
            # The mock's timeline follows the audio it receives: no need to wait.
            client = rs.TranslationClient(url=server.url, pace=8.0, **settings)

        # Handlers run on the reader thread as the translation streams in.
        client.on(
            tev.OutputTranscriptDelta, lambda e: print(e.delta, end="", flush=True)
        )

        samples, rate = rs.audio.read_wav(source)
        channels = 1 if samples.ndim == 1 else samples.shape[1]
        print(
            f"input: {source.name}, {rate} Hz, {channels} ch, {len(samples) / rate:.2f} s"
        )
        with client:
            client.append_audio(samples, sample_rate=rate, channels=channels)
            result = client.finish(timeout=args.timeout)
        print()

    print(f"source:      {result.source_transcript}")
    print(f"translation: {result.transcript}")
    rs.audio.write_wav(args.output, result.samples(), result.sample_rate)
    print(f"wrote {args.output}: {result.sample_rate} Hz, {result.duration:.2f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
