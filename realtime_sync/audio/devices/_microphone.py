"""Capture microphone audio and forward it block by block to a client or a callable.

Threads. The input stream's callback runs on the audio thread (PortAudio's,
with sounddevice); it only copies the block into a bounded queue, never
blocking. The ``realtime-sync-mic`` thread, started by :meth:`Microphone.start`
and joined by :meth:`Microphone.stop`/:meth:`Microphone.close`, takes blocks
off the queue and calls the sink (``client.append_audio`` may block on a full
send queue or take a lock; the audio thread must not). A ``None`` sentinel
queued after the last block stops the thread, so every block captured before
:meth:`Microphone.stop` is delivered, in order. The stream, the thread and their
locks are the shared lifecycle of :class:`~._device.StreamDevice`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from types import ModuleType
from typing import Any

import numpy as np
import numpy.typing as npt

from .._checks import positive_int
from ._device import QueueWorker, StreamDevice, StreamFactory
from ._player import Player

__all__ = ["Microphone"]

logger = logging.getLogger(__name__)

_THREAD_NAME = "realtime-sync-mic"
# Blocks held for the sink thread before new ones are dropped (1 s at 20 ms).
_QUEUE_BLOCKS = 50
# Used when a stream_factory is injected and no sample_rate is given.
_FACTORY_RATE = 24000

Sink = Callable[..., object]


class Microphone(StreamDevice):
    """Forward input-device audio to ``client.append_audio`` (or any sink) as it arrives.

    Each block captured by the input stream is passed, on the
    ``realtime-sync-mic`` thread, to ``sink(samples, sample_rate=...,
    channels=...)``: int16 samples of shape ``(n,)`` for mono or ``(n,
    channels)`` otherwise, at the device's rate (``client.append_audio``
    resamples to the session's rate)::

        with rs.audio.Player() as player, rs.audio.Microphone(
            client, half_duplex_player=player
        ):
            ...   # server VAD decides when the user spoke

    Half duplex: while ``half_duplex_player.is_playing``, blocks are replaced
    by *silence* of the same length rather than dropped, so the stream the
    server sees keeps its timing (server VAD and ``audio_start_ms`` stay
    aligned with the wall clock) and the model never hears itself through
    the speakers.

    If the sink thread falls behind by more than 50 blocks (one second at
    the default 20 ms), new blocks are dropped (counted in :attr:`dropped_blocks`, logged) rather
    than blocking the audio thread. A sink that raises is logged (once per
    run of failures) and the next block is still delivered.

    Args:
        client_or_sink: An object with ``append_audio`` (a
            :class:`~realtime_sync.RealtimeClient`), or a callable taking
            ``(samples, *, sample_rate, channels)``.
        sample_rate: Capture rate; None uses the device's default rate
            (queried from sounddevice in :meth:`start`), or 24000 when a
            ``stream_factory`` is given.
        channels: Channels captured.
        device: Input device for sounddevice (index or name); None is the
            default device. Not passed to a custom ``stream_factory``.
        stream_factory: Called with keyword arguments ``callback``,
            ``samplerate``, ``channels``, ``dtype="int16"`` and ``blocksize``;
            returns an object with ``start()``, ``stop()`` and ``close()``.
            None uses ``sounddevice.InputStream``, imported only when
            :meth:`start` opens the stream.
        blocksize_ms: Length of each captured block.
        half_duplex_player: Mute the microphone while this player plays.

    Raises:
        TypeError: ``client_or_sink`` has no ``append_audio`` and is not
            callable; ``sample_rate``, ``channels`` or ``blocksize_ms`` is not
            an int; ``half_duplex_player`` is not a Player.
        ValueError: ``sample_rate``, ``channels`` or ``blocksize_ms`` is not
            positive.
    """

    _KIND = "microphone"
    _SOUNDDEVICE_STREAM = "InputStream"

    def __init__(
        self,
        client_or_sink: Any,
        sample_rate: int | None = None,
        channels: int = 1,
        device: int | str | None = None,
        stream_factory: StreamFactory | None = None,
        blocksize_ms: int = 20,
        half_duplex_player: Player | None = None,
    ) -> None:
        super().__init__(stream_factory, device)
        append = getattr(client_or_sink, "append_audio", None)
        if callable(append):
            self._sink: Sink = append
        elif callable(client_or_sink):
            self._sink = client_or_sink
        else:
            raise TypeError(
                "client_or_sink must have append_audio() or be callable, "
                f"got {type(client_or_sink).__name__}"
            )
        self._rate: int | None = (
            None if sample_rate is None else positive_int("sample_rate", sample_rate)
        )
        if self._rate is None and stream_factory is not None:
            self._rate = _FACTORY_RATE
        self._channels = positive_int("channels", channels)
        self._blocksize_ms = positive_int("blocksize_ms", blocksize_ms)
        if half_duplex_player is not None and not isinstance(
            half_duplex_player, Player
        ):
            raise TypeError(
                "half_duplex_player must be a Player, "
                f"got {type(half_duplex_player).__name__}"
            )
        self._player = half_duplex_player
        # Under _state_lock, with the state and the worker the callback reads.
        self._dropped = 0

    @property
    def sample_rate(self) -> int | None:
        """Capture rate; None until :meth:`start` when it is the device default."""
        return self._rate

    @property
    def channels(self) -> int:
        """Channels captured."""
        return self._channels

    @property
    def dropped_blocks(self) -> int:
        """Blocks dropped because the sink thread fell behind."""
        with self._state_lock:
            return self._dropped

    # ------------------------------------------------------------------ audio thread

    def _callback(
        self, indata: npt.NDArray[np.int16], frames: int, time: Any, status: Any
    ) -> None:
        """Queue one captured block (runs on the audio thread, never blocks).

        The ``sounddevice.InputStream`` callback signature.

        Args:
            indata: The ``(frames, channels)`` int16 block (reused by the
                stream after the callback returns, so it is copied).
            frames: Frames in the block.
            time: Stream timing information (unused).
            status: Overflow flags; logged at debug level when set.
        """
        if status:
            logger.debug("input stream status: %s", status)
        if self._player is not None and self._player.is_playing:
            block = np.zeros((frames, self._channels), dtype=np.int16)
        else:
            block = np.array(indata[:frames], dtype=np.int16, copy=True)
            if block.ndim == 1:
                block = block.reshape(frames, -1)
        samples = block[:, 0] if self._channels == 1 else block
        with self._state_lock:
            target = self._worker  # None unless started
            if target is None:
                return
            # The queue is unbounded so that stop()'s sentinel never blocks;
            # the bound is enforced here, where blocking is not an option.
            full = target.qsize() >= _QUEUE_BLOCKS
            if full:
                self._dropped += 1
            else:
                target.put_nowait(samples)
            dropped = self._dropped
        if full:
            logger.warning("microphone sink is behind; dropped %d block(s)", dropped)

    # ------------------------------------------------------------------ sink thread

    def _new_worker(self) -> QueueWorker[npt.NDArray[np.int16]]:
        """The sink thread of a new run, forwarding blocks at the capture rate."""
        assert self._rate is not None
        rate = self._rate
        failing = False

        def forward(samples: npt.NDArray[np.int16]) -> None:
            nonlocal failing
            try:
                self._sink(samples, sample_rate=rate, channels=self._channels)
            except Exception:
                if not failing:
                    logger.exception("microphone sink raised; continuing")
                failing = True
            else:
                failing = False

        return QueueWorker(_THREAD_NAME, forward)

    # ------------------------------------------------------------------ lifecycle

    def _prepare_sounddevice(self, sd: ModuleType) -> None:
        if self._rate is None:
            info = sd.query_devices(self._device, "input")
            self._rate = round(float(info["default_samplerate"]))

    def _stream_kwargs(self) -> dict[str, Any]:
        assert self._rate is not None
        rate = self._rate
        return {
            "callback": self._callback,
            "samplerate": rate,
            "channels": self._channels,
            "dtype": "int16",
            "blocksize": max(1, rate * self._blocksize_ms // 1000),
        }

    def start(self) -> None:
        """Open the input stream (first call), start the sink thread and the stream.

        Raises:
            ImportError: No ``stream_factory`` was given and sounddevice is not
                installed (the message names the extra to install).
            RuntimeError: The microphone has been closed.
        """
        self._start()

    def stop(self, timeout: float = 5.0) -> None:
        """Stop the stream, deliver the blocks already captured and join the thread.

        Called from the sink itself (on the ``realtime-sync-mic`` thread) it
        does not wait for the thread, which ends after the sink returns.

        Args:
            timeout: Seconds to wait for the sink thread; a thread still
                running after that is logged as a warning.
        """
        self._stop(timeout)

    def close(self, timeout: float = 5.0) -> None:
        """Stop (see :meth:`stop`) and close the stream. Idempotent.

        Args:
            timeout: Seconds to wait for the sink thread.
        """
        self._close(timeout)
