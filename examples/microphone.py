"""A voice conversation through the microphone and speakers, with server VAD and barge-in.

    python examples/microphone.py              # talk; Ctrl-C to stop
    python examples/microphone.py --turns 3    # stop after three answers
    python examples/microphone.py --simulate   # no sound device: a synthetic voice

The server's voice activity detection decides when you have finished speaking and
starts the answer; speaking over the answer interrupts it (barge-in): the client
truncates the assistant's item at what you heard and ``on_interrupt`` flushes the
player. Use headphones, or the model hears itself and interrupts its own answers.

Without a sound device (or sounddevice), or with ``--simulate``, the same code
runs headless: a simulated input stream, injected through ``stream_factory``, speaks
one synthesized question in real time and a null output stream consumes the
answer; the script exits after that one turn. Against OpenAI when OPENAI_API_KEY is
set, else against the embedded mock server.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import importlib
import os
import sys
import threading
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

import realtime_sync as rs
from realtime_sync import events as ev

SPOKEN = "Hello, can you hear me?"
RATE = 24000


class SimulatedInputStream:
    """A stand-in for ``sounddevice.InputStream``: plays a signal into the callback.

    Blocks are delivered at the pace a sound card would (``blocksize`` frames every
    ``blocksize / samplerate`` seconds) on a thread of its own, followed by silence
    until the stream is stopped, as a live microphone would keep sending.
    """

    def __init__(
        self,
        signal: npt.NDArray[np.int16],
        *,
        callback: Callable[..., None],
        samplerate: int,
        channels: int,
        dtype: str,
        blocksize: int,
    ) -> None:
        self._signal = signal
        self._callback = callback
        self._channels = channels
        self._blocksize = blocksize
        self._interval = blocksize / samplerate
        self._stopped = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._stopped.clear()
        self._thread = threading.Thread(
            target=self._run, name="simulated-mic", daemon=True
        )
        self._thread.start()

    def _run(self) -> None:
        pos = 0
        # The device clock: one block per block duration (an Event, so stop() is
        # immediate).
        while not self._stopped.wait(self._interval):
            block = np.zeros((self._blocksize, self._channels), dtype=np.int16)
            chunk = self._signal[pos : pos + self._blocksize]
            block[: len(chunk)] = chunk[:, None]
            pos += len(chunk)
            self._callback(block, self._blocksize, None, None)

    def stop(self) -> None:
        self._stopped.set()
        if self._thread is not None:
            self._thread.join(5.0)

    def close(self) -> None:
        self.stop()


class NullOutputStream:
    """A stand-in for ``sounddevice.OutputStream``: pulls audio in real time, discards it.

    ``wait_until(predicate)`` waits, block by block, until a predicate about the
    player holds (e.g. that everything queued was played).
    """

    def __init__(
        self,
        *,
        callback: Callable[..., None],
        samplerate: int,
        channels: int,
        dtype: str,
    ) -> None:
        self._callback = callback
        self._channels = channels
        self._blocksize = samplerate // 50  # 20 ms
        self._interval = self._blocksize / samplerate
        self._stopped = threading.Event()
        self._pulled = threading.Condition()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._stopped.clear()
        self._thread = threading.Thread(
            target=self._run, name="null-speaker", daemon=True
        )
        self._thread.start()

    def _run(self) -> None:
        out = np.zeros((self._blocksize, self._channels), dtype=np.int16)
        while not self._stopped.wait(self._interval):
            self._callback(out, self._blocksize, None, None)
            with self._pulled:
                self._pulled.notify_all()

    def wait_until(self, predicate: Callable[[], bool], timeout: float) -> bool:
        with self._pulled:
            return self._pulled.wait_for(predicate, timeout)

    def stop(self) -> None:
        self._stopped.set()
        if self._thread is not None:
            self._thread.join(5.0)

    def close(self) -> None:
        self.stop()


def _have_sound_devices() -> bool:
    try:
        sd: Any = importlib.import_module("sounddevice")
        sd.query_devices(kind="input")
        sd.query_devices(kind="output")
    except Exception:  # not installed, no PortAudio, or no default device
        return False
    return True


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--simulate", action="store_true", help="no sound device")
    parser.add_argument("--turns", type=int, default=0, help="stop after N answers")
    parser.add_argument("--timeout", type=float, default=30.0)
    args = parser.parse_args(argv)
    simulate = args.simulate or not _have_sound_devices()
    turns = 1 if simulate else args.turns

    session = rs.SessionConfig(
        instructions="You are a friendly voice assistant. Be brief.",
        output_modalities=["audio"],
        turn_detection=ev.ServerVad(
            type="server_vad",
            silence_duration_ms=400,
            create_response=True,  # the server answers when you stop speaking
            interrupt_response=True,  # and stops answering when you speak again
        ),
        transcription=ev.TranscriptionConfig(model="gpt-4o-mini-transcribe"),
    )
    with contextlib.ExitStack() as stack:
        if os.environ.get("OPENAI_API_KEY"):
            client = rs.RealtimeClient(session=session, barge_in=True)
        else:
            from realtime_sync.testing import MockRealtimeServer

            server = stack.enter_context(MockRealtimeServer())
            print(f"no OPENAI_API_KEY: using the mock server at {server.url}")
            client = rs.RealtimeClient(url=server.url, session=session, barge_in=True)

        speakers: list[NullOutputStream] = []

        def null_speaker(**kwargs: Any) -> NullOutputStream:
            speakers.append(NullOutputStream(**kwargs))
            return speakers[-1]

        mic_factory: Callable[..., Any] | None = None
        if simulate:
            from realtime_sync.testing import synth_speech

            voice = np.frombuffer(synth_speech(SPOKEN, lead_ms=300), dtype="<i2")
            mic_factory = functools.partial(SimulatedInputStream, voice)
            print(
                f"no sound device (or --simulate): simulating a voice saying {SPOKEN!r}"
            )

        answered = threading.Semaphore(0)
        stack.enter_context(client)
        # The player reports what was played to client.playback, which barge-in reads.
        player = stack.enter_context(
            rs.audio.Player(
                tracker=client.playback,
                stream_factory=null_speaker if simulate else None,
            )
        )

        @client.on(ev.InputAudioBufferSpeechStarted)
        def speech_started(e: ev.InputAudioBufferSpeechStarted) -> None:
            print(f"[speech started at {e.audio_start_ms} ms]", flush=True)

        @client.on(ev.InputAudioBufferSpeechStopped)
        def speech_stopped(e: ev.InputAudioBufferSpeechStopped) -> None:
            print(f"[speech stopped at {e.audio_end_ms} ms]", flush=True)

        @client.on(ev.ConversationItemInputAudioTranscriptionCompleted)
        def you(e: ev.ConversationItemInputAudioTranscriptionCompleted) -> None:
            print(f"you: {e.transcript}", flush=True)

        @client.on(ev.ResponseOutputAudioDelta)
        def play(e: ev.ResponseOutputAudioDelta) -> None:
            player.play(e.item_id, e.delta)

        @client.on(ev.ResponseOutputAudioDone)
        def audio_done(e: ev.ResponseOutputAudioDone) -> None:
            player.end(e.item_id)  # start playing without waiting for the buffer

        @client.on(ev.ResponseOutputAudioTranscriptDone)
        def assistant(e: ev.ResponseOutputAudioTranscriptDone) -> None:
            print(f"assistant: {e.transcript}", flush=True)

        @client.on(ev.ResponseDone)
        def response_done(e: ev.ResponseDone) -> None:
            print(f"[response {e.response.status}]", flush=True)
            answered.release()

        @client.on_interrupt
        def barge_in(info: rs.Interruption) -> None:
            player.flush()  # stop the speakers at once, with a short fade
            print(
                f"[barge-in: {info.action} {info.item_id} at {info.played_ms} ms]",
                flush=True,
            )

        stack.enter_context(
            rs.audio.Microphone(
                client,
                sample_rate=RATE if simulate else None,
                stream_factory=mic_factory,
            )
        )
        print("listening..." + ("" if simulate else " (Ctrl-C to stop)"), flush=True)
        done = 0
        try:
            while not turns or done < turns:
                if not answered.acquire(timeout=args.timeout if simulate else None):
                    print("no answer in time")
                    return 1
                done += 1
        except KeyboardInterrupt:
            pass
        for speaker in speakers:
            # Let the null speaker play the answer to its end, as a real one would.
            speaker.wait_until(
                lambda: player.buffered_ms == 0 and not player.is_playing, timeout=5.0
            )
            item = client.conversation.items[-1]
            print(f"[played {client.playback.played_ms(item.id)} ms of {item.id}]")
    return 0


if __name__ == "__main__":
    sys.exit(main())
