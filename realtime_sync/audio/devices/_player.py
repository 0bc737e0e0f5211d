"""Play the model's audio on an output device, with a jitter buffer and barge-in fade.

Theory of operation.

Threads. :meth:`Player.play`, :meth:`Player.end` and :meth:`Player.flush` run on
whatever thread calls them (usually the client's reader thread, from an audio
delta handler). :meth:`Player._callback` runs on the audio thread that the
output stream owns (PortAudio's, with sounddevice). The player starts no
thread of its own.

Locks.

* ``_feed_lock`` guards the feeding side: the streaming :class:`Resampler`
  (not thread-safe), the item it is fed with and the odd byte carried between
  byte chunks. Resampling runs under it, never under ``_lock``, so the audio
  thread never waits for a resampler.
* ``_lock`` guards the jitter buffer (queue of device-rate segments, counts,
  per-item accounting, fade tail). It is held for short copies only; the audio
  callback takes it once per block. Lock order: ``_feed_lock`` then ``_lock``.
* ``_life_lock`` (of :class:`~._device.StreamDevice`, which owns the stream's
  lifecycle) guards the stream. ``stream.stop()`` waits for a running callback
  to return, and the callback takes ``_lock``; so the stream is
  started/stopped/closed under ``_life_lock`` only, never under ``_lock``.

No user code runs under any of these locks (the tracker is ours and only takes
its own lock).

Accounting. The tracker counts *session-rate* samples (the rate of the audio
deltas), because ``audio_end_ms`` of ``conversation.item.truncate`` is in the
item's own time. The resampler's output is time-aligned with its input, so
``d`` device samples of an item cover ``floor(d * sample_rate / device_rate)``
session samples; the player reports the difference of that running total to
:meth:`PlaybackTracker.played` after every block, clamped to the samples
received.
"""

from __future__ import annotations

import enum
import logging
import threading
from collections import deque
from typing import Any

import numpy as np
import numpy.typing as npt

from .._base64 import b64decode_bytes
from .._checks import as_int, positive_int
from .._convert import BytesLike, pcm16_from_bytes
from .._playback import PlaybackTracker
from .._resample import Resampler
from ._device import DeviceState, StreamDevice, StreamFactory

__all__ = ["Player"]

logger = logging.getLogger(__name__)

# Flushed items whose late deltas are ignored; older ids are forgotten.
_MAX_DISCARDED = 256


def _non_negative(name: str, value: object) -> int:
    number = as_int(name, value)
    if number < 0:
        raise ValueError(f"{name} must not be negative, got {number}")
    return number


class _Playback(enum.Enum):
    # Waiting for the jitter buffer to fill (or idle with nothing queued).
    BUFFERING = "buffering"
    # Handing queued audio to the device.
    PLAYING = "playing"


class _Segment:
    """A chunk of one item's audio at the device rate, ``samples[offset:]`` unplayed."""

    __slots__ = ("item_id", "offset", "samples")

    def __init__(self, item_id: str, samples: npt.NDArray[np.int16]) -> None:
        self.item_id = item_id
        self.samples = samples
        self.offset = 0


class _Item:
    """Per-item accounting: session samples received, device samples played."""

    __slots__ = ("device_played", "ended", "queued", "received", "reported")

    def __init__(self) -> None:
        self.received = 0  # session-rate samples given to play()
        self.device_played = 0  # device-rate samples handed to the device
        self.reported = 0  # session-rate samples reported to the tracker
        self.queued = 0  # device-rate samples still in the queue
        self.ended = False  # all of the item's audio is queued


class Player(StreamDevice):
    """Play model audio per item through an output stream, tracking what was heard.

    Feed it every audio delta with :meth:`play` (base64 straight from the
    event, PCM16 bytes or int16 samples) and call :meth:`end` when the item's
    audio is complete (``response.output_audio.done``). Audio is resampled to
    the device rate when it differs, queued in a jitter buffer, and pulled by
    the device callback: playback starts once ``jitter_ms`` is buffered, the
    item's audio has ended, or the device has waited ``jitter_ms`` with audio
    queued; an underrun plays silence and buffers again. Played audio is
    reported per item to a :class:`PlaybackTracker` in session-rate samples,
    so on barge-in :meth:`flush` returns the ``audio_end_ms`` to truncate at::

        with rs.audio.Player() as player:
            client.on(ResponseOutputAudioDelta, lambda e: player.play(e.item_id, e.delta))
            ...
            item_id, audio_end_ms = player.flush()   # the user started speaking

    Thread-safe: :meth:`play`, :meth:`end`, :meth:`flush` and the properties may
    be called from any thread while the audio thread runs the callback. The
    stream is opened by :meth:`start` (or ``__enter__``), never by the
    constructor, so a player can be built without a sound device.

    Args:
        sample_rate: Rate of the audio given to :meth:`play` (24000 for
            ``audio/pcm``).
        device_rate: Rate the output stream is opened at; None uses
            ``sample_rate`` (PortAudio's host API converts if the device
            cannot).
        channels: Output channels; the mono model audio goes to every channel.
        tracker: Receives ``received``/``played`` counts; None creates one
            (see :attr:`tracker`).
        stream_factory: Called with keyword arguments ``callback``,
            ``samplerate``, ``channels`` and ``dtype="int16"``; returns an
            object with ``start()``, ``stop()`` and ``close()``. None uses
            ``sounddevice.OutputStream`` (also passing ``device``), imported
            only when :meth:`start` opens the stream.
        jitter_ms: Audio buffered before playback starts (and restarts after
            an underrun).
        fade_ms: Length of the linear fade-out applied by :meth:`flush`.
        device: Output device for sounddevice (index or name); None is the
            default device. Not passed to a custom ``stream_factory``.

    Raises:
        TypeError: A rate, ``channels``, ``jitter_ms`` or ``fade_ms`` is not an
            int, or ``tracker`` is not a PlaybackTracker.
        ValueError: A rate or ``channels`` is not positive, ``jitter_ms`` or
            ``fade_ms`` is negative, or the tracker's rate differs from
            ``sample_rate``.
    """

    _KIND = "player"
    _SOUNDDEVICE_STREAM = "OutputStream"

    def __init__(
        self,
        sample_rate: int = 24000,
        device_rate: int | None = None,
        channels: int = 1,
        tracker: PlaybackTracker | None = None,
        stream_factory: StreamFactory | None = None,
        jitter_ms: int = 60,
        fade_ms: int = 10,
        device: int | str | None = None,
    ) -> None:
        super().__init__(stream_factory, device)
        self._rate = positive_int("sample_rate", sample_rate)
        self._device_rate = (
            self._rate
            if device_rate is None
            else positive_int("device_rate", device_rate)
        )
        self._channels = positive_int("channels", channels)
        self._jitter = _non_negative("jitter_ms", jitter_ms) * self._device_rate // 1000
        self._fade_len = _non_negative("fade_ms", fade_ms) * self._device_rate // 1000
        if tracker is None:
            tracker = PlaybackTracker(self._rate)
        elif not isinstance(tracker, PlaybackTracker):
            raise TypeError(
                f"tracker must be a PlaybackTracker, got {type(tracker).__name__}"
            )
        elif tracker.sample_rate != self._rate:
            raise ValueError(
                f"tracker.sample_rate is {tracker.sample_rate}, "
                f"expected sample_rate {self._rate}"
            )
        self._tracker = tracker

        # Feeding side (under _feed_lock).
        self._feed_lock = threading.Lock()
        self._resampler = (
            None
            if self._device_rate == self._rate
            else Resampler(self._rate, self._device_rate)
        )
        self._feeding: str | None = None
        self._carry = b""

        # Jitter buffer (under _lock).
        self._lock = threading.Lock()
        self._queue: deque[_Segment] = deque()
        self._buffered = 0
        self._items: dict[str, _Item] = {}
        self._discarded: dict[str, None] = {}
        self._playback = _Playback.BUFFERING
        self._waited = 0
        self._fade: npt.NDArray[np.int16] | None = None
        self._fade_pos = 0

    # ------------------------------------------------------------------ properties

    @property
    def sample_rate(self) -> int:
        """Rate of the audio given to :meth:`play`."""
        return self._rate

    @property
    def device_rate(self) -> int:
        """Rate of the output stream."""
        return self._device_rate

    @property
    def channels(self) -> int:
        """Output channels."""
        return self._channels

    @property
    def tracker(self) -> PlaybackTracker:
        """The tracker played audio is reported to."""
        return self._tracker

    @property
    def is_playing(self) -> bool:
        """Whether the device is being handed model audio (or a flush fade-out).

        False while the jitter buffer fills and after the queue runs dry; a
        half-duplex :class:`Microphone` mutes itself while this is True.
        """
        with self._lock:
            return self._playback is _Playback.PLAYING or self._fade is not None

    @property
    def buffered_ms(self) -> float:
        """Audio queued and not yet handed to the device, in ms."""
        with self._lock:
            return 1000.0 * self._buffered / self._device_rate

    # ------------------------------------------------------------------ feeding

    def play(
        self, item_id: str, audio: str | BytesLike | npt.NDArray[np.int16]
    ) -> None:
        """Queue a chunk of an item's audio for playback.

        Audio of a new item implicitly ends the previous item (see
        :meth:`end`). Audio of an item dropped by :meth:`flush` is ignored: the
        server may still be sending deltas of an interrupted response.

        Args:
            item_id: The assistant item the audio belongs to.
            audio: Base64 text (an audio delta as received), little-endian
                PCM16 bytes (an odd trailing byte is kept for the next chunk of
                the same item), or a 1-D int16 array, at :attr:`sample_rate`.

        Raises:
            TypeError: ``audio`` is of another type, or an array is not int16.
            ValueError: Malformed base64, or an array that is not 1-D.
            RuntimeError: The player is closed.
        """
        if not isinstance(item_id, str):
            raise TypeError(f"item_id must be a str, got {type(item_id).__name__}")
        raw: bytes | None = None
        samples: npt.NDArray[np.int16] | None = None
        if isinstance(audio, str):
            raw = b64decode_bytes(audio)
        elif isinstance(audio, (bytes, bytearray, memoryview)):
            raw = bytes(audio)
        else:
            samples = _as_samples(audio)
        with self._feed_lock:
            if self._state is DeviceState.CLOSED:
                raise RuntimeError("Cannot play on a player that has been closed.")
            with self._lock:
                if item_id in self._discarded:
                    return
            if self._feeding is not None and self._feeding != item_id:
                self._end_feeding_locked()
            self._feeding = item_id
            if raw is not None:
                raw = self._carry + raw
                cut = len(raw) - len(raw) % 2
                self._carry = raw[cut:]
                samples = pcm16_from_bytes(raw[:cut])
            assert samples is not None
            if samples.shape[0] == 0:
                return
            device = (
                samples.copy()
                if self._resampler is None
                else self._resampler.process(samples)
            )
            # Received before queued, so the tracker's clamp never lags playback.
            self._tracker.received(item_id, samples.shape[0])
            with self._lock:
                item = self._items.setdefault(item_id, _Item())
                item.received += samples.shape[0]
                item.ended = False
                self._enqueue_locked(item_id, item, device)

    def end(self, item_id: str | None = None) -> None:
        """Mark an item's audio as complete.

        Emits the resampler's held-back tail (a few ms) and lets playback start
        without waiting for the jitter buffer to fill. Call it on
        ``response.output_audio.done``; audio of a later item does it too.

        Args:
            item_id: The item; None means the item currently being fed.
        """
        with self._feed_lock:
            if item_id is None or item_id == self._feeding:
                if self._feeding is not None:
                    self._end_feeding_locked()
                return
            with self._lock:
                item = self._items.get(item_id)
                if item is not None:
                    item.ended = True

    def _end_feeding_locked(self) -> None:
        """Flush the resampler into the feeding item and mark it ended (feed lock held)."""
        item_id = self._feeding
        assert item_id is not None
        tail = (
            np.empty(0, dtype=np.int16)
            if self._resampler is None
            else self._resampler.flush()
        )
        self._feeding = None
        self._carry = b""
        with self._lock:
            item = self._items.get(item_id)
            if item is None:
                return
            item.ended = True
            if tail.shape[0]:
                self._enqueue_locked(item_id, item, tail.astype(np.int16, copy=False))
            elif item.queued == 0:
                # Everything was played already: nothing left to account for.
                del self._items[item_id]

    def _enqueue_locked(
        self, item_id: str, item: _Item, samples: npt.NDArray[np.int16]
    ) -> None:
        if samples.shape[0] == 0:
            return
        self._queue.append(_Segment(item_id, samples))
        item.queued += samples.shape[0]
        self._buffered += samples.shape[0]

    # ------------------------------------------------------------------ barge-in

    def flush(self) -> tuple[str | None, int]:
        """Stop playback with a short fade-out and drop everything queued.

        The next ``fade_ms`` of queued audio is played with a linear fade to
        silence (from the next callback on); the rest of the queue is dropped,
        and later audio of the dropped items is ignored by :meth:`play`. The
        faded audio is not counted as played, so the returned ``audio_end_ms``
        and the tracker agree. Playback resumes with the next new item.

        Returns:
            ``(item_id, audio_end_ms)``: the item that was playing (or waiting
            to play) and the milliseconds of it played so far (as reported to
            the tracker, rounded down), ready for
            ``client.truncate(item_id, 0, audio_end_ms)``; ``(None, 0)`` when
            no item was in progress.
        """
        with self._feed_lock:
            if self._resampler is not None:
                self._resampler.reset()
            feeding, self._feeding, self._carry = self._feeding, None, b""
            with self._lock:
                current = self._queue[0].item_id if self._queue else feeding
                # Our own count, read under the lock: the callback may not have
                # passed its last block's count to the tracker yet.
                item = None if current is None else self._items.get(current)
                heard = 0 if item is None else item.reported
                if (
                    self._playback is _Playback.PLAYING
                    and self._fade is None
                    and self._fade_len > 0
                ):
                    self._fade = self._fade_tail_locked()
                    self._fade_pos = 0
                dropped = {segment.item_id for segment in self._queue}
                if feeding is not None:
                    dropped.add(feeding)
                for item_id in dropped:
                    self._items.pop(item_id, None)
                    self._discarded[item_id] = None
                while len(self._discarded) > _MAX_DISCARDED:
                    del self._discarded[next(iter(self._discarded))]
                self._queue.clear()
                self._buffered = 0
                self._playback = _Playback.BUFFERING
                self._waited = 0
        if current is None:
            return None, 0
        # The tracker's rule: whole milliseconds, rounded down.
        played_ms = heard * 1000 // self._rate
        logger.debug("player flushed item %s at %d ms", current, played_ms)
        return current, played_ms

    def _fade_tail_locked(self) -> npt.NDArray[np.int16]:
        """Return the next ``fade_ms`` of queued audio with a linear fade to 0."""
        tail = np.zeros(self._fade_len, dtype=np.float64)
        filled = 0
        for segment in self._queue:
            if filled == self._fade_len:
                break
            chunk = segment.samples[segment.offset :][: self._fade_len - filled]
            tail[filled : filled + chunk.shape[0]] = chunk
            filled += chunk.shape[0]
        # Gains (n-1)/n ... 1/n, 0: strictly decreasing, the last sample silent.
        gain = np.linspace(1.0, 0.0, self._fade_len + 1)[1:]
        faded: npt.NDArray[np.int16] = np.rint(tail * gain).astype(np.int16)
        return faded

    # ------------------------------------------------------------------ audio thread

    def _callback(
        self, outdata: npt.NDArray[np.int16], frames: int, time: Any, status: Any
    ) -> None:
        """Fill one block of the output stream (runs on the audio thread).

        The ``sounddevice.OutputStream`` callback signature.

        Args:
            outdata: The ``(frames, channels)`` int16 block to fill.
            frames: Frames in the block.
            time: Stream timing information (unused).
            status: Under/overflow flags; logged at debug level when set.
        """
        if status:
            logger.debug("output stream status: %s", status)
        block = np.zeros(frames, dtype=np.int16)
        reports: list[tuple[str, int]] = []
        with self._lock:
            pos = self._fill_fade_locked(block)
            if self._playback is _Playback.BUFFERING and self._ready_locked():
                self._playback = _Playback.PLAYING
                self._waited = 0
            if self._playback is _Playback.PLAYING:
                pos = self._fill_queue_locked(block, pos, reports)
                if not self._queue:
                    # Underrun or end of audio: buffer again before resuming.
                    self._playback = _Playback.BUFFERING
            elif self._buffered:
                self._waited += frames
        for item_id, n in reports:
            self._tracker.played(item_id, n)
        if outdata.ndim == 1:
            outdata[:frames] = block
        else:
            outdata[:frames] = block[:, None]

    def _fill_fade_locked(self, block: npt.NDArray[np.int16]) -> int:
        if self._fade is None:
            return 0
        n = int(min(block.shape[0], self._fade.shape[0] - self._fade_pos))
        block[:n] = self._fade[self._fade_pos : self._fade_pos + n]
        self._fade_pos += n
        if self._fade_pos == self._fade.shape[0]:
            self._fade = None
        return n

    def _ready_locked(self) -> bool:
        if not self._buffered:
            return False
        if self._buffered >= self._jitter or self._waited >= self._jitter:
            return True
        return any(item.ended and item.queued for item in self._items.values())

    def _fill_queue_locked(
        self,
        block: npt.NDArray[np.int16],
        pos: int,
        reports: list[tuple[str, int]],
    ) -> int:
        frames = block.shape[0]
        while pos < frames and self._queue:
            segment = self._queue[0]
            take = min(frames - pos, segment.samples.shape[0] - segment.offset)
            block[pos : pos + take] = segment.samples[
                segment.offset : segment.offset + take
            ]
            pos += take
            segment.offset += take
            self._buffered -= take
            if segment.offset == segment.samples.shape[0]:
                self._queue.popleft()
            self._account_locked(segment.item_id, take, reports)
        return pos

    def _account_locked(
        self, item_id: str, n: int, reports: list[tuple[str, int]]
    ) -> None:
        item = self._items[item_id]
        item.queued -= n
        item.device_played += n
        heard = min(item.device_played * self._rate // self._device_rate, item.received)
        if heard > item.reported:
            reports.append((item_id, heard - item.reported))
            item.reported = heard
        if item.ended and item.queued == 0:
            del self._items[item_id]

    # ------------------------------------------------------------------ lifecycle

    def _stream_kwargs(self) -> dict[str, Any]:
        return {
            "callback": self._callback,
            "samplerate": self._device_rate,
            "channels": self._channels,
            "dtype": "int16",
        }

    def start(self) -> None:
        """Open the output stream (first call) and start it.

        Raises:
            ImportError: No ``stream_factory`` was given and sounddevice is not
                installed (the message names the extra to install).
            RuntimeError: The player has been closed.
        """
        self._start()

    def stop(self) -> None:
        """Stop the output stream; queued audio stays for the next :meth:`start`."""
        self._stop(0.0)  # no worker thread to wait for

    def close(self) -> None:
        """Stop and close the stream and drop queued audio. Idempotent."""
        self._close(0.0)
        with self._feed_lock, self._lock:
            if self._resampler is not None:
                self._resampler.reset()
            self._feeding = None
            self._queue.clear()
            self._buffered = 0
            self._items.clear()
            self._fade = None
            self._playback = _Playback.BUFFERING


def _as_samples(audio: object) -> npt.NDArray[np.int16]:
    if not isinstance(audio, np.ndarray):
        raise TypeError(
            "audio must be base64 str, PCM16 bytes or an int16 array, "
            f"got {type(audio).__name__}"
        )
    if audio.dtype.kind != "i" or audio.dtype.itemsize != 2:
        raise TypeError(f"audio must be int16 samples, got {audio.dtype}")
    if audio.ndim == 2 and audio.shape[1] == 1:
        audio = audio[:, 0]
    if audio.ndim != 1:
        raise ValueError(f"expected mono samples of shape (n,), got {audio.shape}")
    samples: npt.NDArray[np.int16] = audio.astype(np.int16, copy=False)
    return samples
