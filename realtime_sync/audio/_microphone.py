"""Capture microphone audio and forward it block by block to a client or a callable.

Threads. The input stream's callback runs on the audio thread (PortAudio's,
with sounddevice); it only copies the block into a bounded queue, never
blocking. The ``realtime-sync-mic`` thread, started by :meth:`Microphone.start`
and joined by :meth:`Microphone.stop`/:meth:`Microphone.close`, takes blocks
off the queue and calls the sink (``client.append_audio`` may block on a full
send queue or take a lock; the audio thread must not). A ``None`` sentinel
queued after the last block stops the thread, so every block captured before
:meth:`Microphone.stop` is delivered, in order.
"""

from __future__ import annotations

import enum
import logging
import queue
import threading
from collections.abc import Callable
from types import TracebackType
from typing import Any

import numpy as np
import numpy.typing as npt

from ._checks import positive_int
from ._player import Player, StreamFactory, _Stream, import_sounddevice

__all__ = ["Microphone"]

logger = logging.getLogger(__name__)

_THREAD_NAME = "realtime-sync-mic"
# Blocks held for the sink thread before new ones are dropped (1 s at 20 ms).
_QUEUE_BLOCKS = 50
# Used when a stream_factory is injected and no sample_rate is given.
_FACTORY_RATE = 24000

Sink = Callable[..., object]


class _Lifecycle(enum.Enum):
    UNOPENED = "unopened"
    STARTED = "started"
    STOPPED = "stopped"
    CLOSED = "closed"


class Microphone:
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
        self._device = device
        self._factory = stream_factory

        # _life_lock serialises start/stop/close (held while opening, stopping
        # and joining; the audio callback never takes it). _lock guards the
        # state the callback reads (lifecycle, queue, drop count) and is never
        # held while joining the thread or stopping the stream.
        self._life_lock = threading.Lock()
        self._lock = threading.Lock()
        self._life = _Lifecycle.UNOPENED
        self._stream: _Stream | None = None
        self._thread: threading.Thread | None = None
        self._queue: queue.Queue[npt.NDArray[np.int16] | None] | None = None
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
        with self._lock:
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
        with self._lock:
            target = self._queue if self._life is _Lifecycle.STARTED else None
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

    def _run(
        self, blocks: queue.Queue[npt.NDArray[np.int16] | None], rate: int
    ) -> None:
        failing = False
        while True:
            samples = blocks.get()
            if samples is None:
                return
            try:
                self._sink(samples, sample_rate=rate, channels=self._channels)
            except Exception:
                if not failing:
                    logger.exception("microphone sink raised; continuing")
                failing = True
            else:
                failing = False

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> None:
        """Open the input stream (first call), start the sink thread and the stream.

        Raises:
            ImportError: No ``stream_factory`` was given and sounddevice is not
                installed (the message names the extra to install).
            RuntimeError: The microphone has been closed.
        """
        with self._life_lock:
            with self._lock:
                if self._life is _Lifecycle.CLOSED:
                    raise RuntimeError(
                        "Cannot reopen a microphone once it has been closed."
                    )
                if self._life is _Lifecycle.STARTED:
                    return
            if self._stream is None:
                self._stream = self._open()
            assert self._rate is not None
            blocks: queue.Queue[npt.NDArray[np.int16] | None] = queue.Queue()
            thread = threading.Thread(
                target=self._run,
                args=(blocks, self._rate),
                name=_THREAD_NAME,
                daemon=True,
            )
            with self._lock:
                self._queue, self._thread = blocks, thread
                self._life = _Lifecycle.STARTED
            thread.start()
            try:
                self._stream.start()
            except BaseException:
                self._stop_locked(5.0)
                raise

    def _open(self) -> _Stream:
        if self._factory is not None:
            assert self._rate is not None
            return self._factory(**self._stream_kwargs(self._rate))
        sd = import_sounddevice()
        if self._rate is None:
            info = sd.query_devices(self._device, "input")
            self._rate = round(float(info["default_samplerate"]))
        stream: _Stream = sd.InputStream(
            device=self._device, **self._stream_kwargs(self._rate)
        )
        return stream

    def _stream_kwargs(self, rate: int) -> dict[str, Any]:
        return {
            "callback": self._callback,
            "samplerate": rate,
            "channels": self._channels,
            "dtype": "int16",
            "blocksize": max(1, rate * self._blocksize_ms // 1000),
        }

    def stop(self, timeout: float = 5.0) -> None:
        """Stop the stream, deliver the blocks already captured and join the thread.

        Called from the sink itself (on the ``realtime-sync-mic`` thread) it
        does not wait for the thread, which ends after the sink returns.

        Args:
            timeout: Seconds to wait for the sink thread; a thread still
                running after that is logged as a warning.
        """
        if threading.current_thread() is self._thread:
            # Another thread may hold _life_lock while joining this one.
            self._stop_locked(timeout)
            return
        with self._life_lock:
            self._stop_locked(timeout)

    def _stop_locked(self, timeout: float) -> None:
        with self._lock:
            if self._life is not _Lifecycle.STARTED:
                return
            self._life = _Lifecycle.STOPPED
            blocks, thread = self._queue, self._thread
            self._queue = self._thread = None
        stream = self._stream
        try:
            if stream is not None:
                stream.stop()
        finally:
            if blocks is not None:
                blocks.put(None)
            if thread is not None and thread is not threading.current_thread():
                thread.join(timeout)
                if thread.is_alive():
                    logger.warning("thread %s did not stop after stop()", thread.name)

    def close(self, timeout: float = 5.0) -> None:
        """Stop (see :meth:`stop`) and close the stream. Idempotent.

        Args:
            timeout: Seconds to wait for the sink thread.
        """
        self.stop(timeout)
        with self._life_lock:
            with self._lock:
                if self._life is _Lifecycle.CLOSED:
                    return
                self._life = _Lifecycle.CLOSED
            stream, self._stream = self._stream, None
            if stream is not None:
                stream.close()

    def __enter__(self) -> Microphone:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
