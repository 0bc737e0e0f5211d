"""Accumulate the model's output audio per item, for saving, replay and notebooks."""

from __future__ import annotations

import html
import io
import math
import os
import threading
from typing import BinaryIO, overload

import numpy as np
import numpy.typing as npt

from realtime_sync import _b64

from ._base64 import b64decode_bytes
from ._checks import positive_int
from ._convert import BytesLike
from ._wav import write_wav

__all__ = ["OutputAudio"]


class _Track:
    """One item's audio: ``buf[start:end]`` retained, plus a pending odd byte."""

    __slots__ = ("buf", "carry", "end", "start")

    def __init__(self) -> None:
        self.buf: npt.NDArray[np.int16] = np.empty(0, dtype=np.int16)
        self.start = 0
        self.end = 0
        self.carry = b""

    def add(self, new: npt.NDArray[np.int16], limit: int | None) -> None:
        n = new.shape[0]
        if limit is not None and n >= limit:
            # The new samples alone fill the retention window.
            new = new[n - limit :]
            n = limit
            self.start = self.end = 0
        elif limit is not None:
            self.start = max(self.start, self.end + n - limit)
        if self.end + n > self.buf.shape[0]:
            kept = self.end - self.start
            size = self.buf.shape[0]
            if kept + n > size // 2:
                # Amortised doubling: grow so that the buffer is at most half full.
                size = max(16384, 2 * (kept + n))
            grown = (
                np.empty(size, dtype=np.int16)
                if size != self.buf.shape[0]
                else self.buf
            )
            grown[:kept] = self.buf[self.start : self.end]
            self.buf, self.start, self.end = grown, 0, kept
        self.buf[self.end : self.end + n] = new
        self.end += n


class OutputAudio:
    """Collect PCM16 audio per conversation item as it streams in.

    Feed it every audio delta (``append(event.item_id, event.delta)``); read
    the audio of one item or of all items back as int16 arrays or WAV. Each
    item's samples live in one growable buffer (amortised doubling), so
    appending a delta costs a copy of the delta, not of the whole item.

    Bytes are kept per item as one continuous stream: a delta with an odd
    number of bytes leaves its last byte pending, and the next delta of the
    same item completes that sample, so sample alignment never shifts. A
    pending byte is not part of :meth:`samples`.

    Thread-safe: the reader thread may append while another thread reads
    (one lock guards all state).

    Args:
        sample_rate: Samples per second (24000 for ``audio/pcm``).
        max_seconds: If given, keep only the last ``max_seconds`` of *each
            item* (older samples are dropped as new ones arrive); durations
            and :meth:`samples` then describe the retained audio.

    Raises:
        TypeError: ``sample_rate`` is not an int.
        ValueError: ``sample_rate`` or ``max_seconds`` is not positive.
    """

    def __init__(
        self, sample_rate: int = 24000, max_seconds: float | None = None
    ) -> None:
        self._rate = positive_int("sample_rate", sample_rate)
        self._limit: int | None = None
        if max_seconds is not None:
            if not max_seconds > 0 or math.isinf(max_seconds):
                raise ValueError(f"max_seconds must be positive, got {max_seconds!r}")
            self._limit = max(1, int(max_seconds * self._rate))
        self._lock = threading.Lock()
        self._tracks: dict[str, _Track] = {}

    @property
    def sample_rate(self) -> int:
        """Samples per second."""
        return self._rate

    @property
    def items(self) -> tuple[str, ...]:
        """Item ids, in the order their first audio arrived."""
        with self._lock:
            return tuple(self._tracks)

    @property
    def duration_ms(self) -> float:
        """Retained audio of all items together, in ms."""
        with self._lock:
            total = sum(t.end - t.start for t in self._tracks.values())
        return 1000.0 * total / self._rate

    def item_duration_ms(self, item_id: str) -> float:
        """Return the retained audio of one item, in ms (0.0 for an unknown item).

        Args:
            item_id: The item.

        Returns:
            Milliseconds of whole samples held for the item.
        """
        with self._lock:
            track = self._tracks.get(item_id)
            count = 0 if track is None else track.end - track.start
        return 1000.0 * count / self._rate

    def append(
        self, item_id: str, audio: str | BytesLike | npt.NDArray[np.int16]
    ) -> int:
        """Add a chunk of an item's audio.

        Args:
            item_id: The item the audio belongs to.
            audio: Base64 text (an audio delta as received), raw little-endian
                PCM16 bytes, or a 1-D int16 array.

        Returns:
            The number of whole samples added (the pending odd byte aside).

        Raises:
            TypeError: ``audio`` is of another type or dtype.
            ValueError: Malformed base64, or a non-1-D array.
        """
        raw: bytes | None = None
        array: npt.NDArray[np.int16] | None = None
        value: object = audio  # checked at run time whatever the annotation says
        if isinstance(value, str):
            raw = b64decode_bytes(value)
        elif isinstance(value, (bytes, bytearray, memoryview)):
            raw = bytes(memoryview(value).cast("B"))
        elif isinstance(value, np.ndarray):
            if value.dtype.kind != "i" or value.dtype.itemsize != 2:
                raise TypeError(f"expected int16 samples, got {value.dtype}")
            if value.ndim != 1:
                raise ValueError(f"expected 1-D samples, got shape {value.shape}")
            array = value.astype(np.int16, copy=False)
        else:
            kind = type(value).__name__
            raise TypeError(f"expected base64 str, bytes or an int16 array, got {kind}")
        with self._lock:
            track = self._tracks.get(item_id)
            if track is None:
                track = self._tracks[item_id] = _Track()
            if array is not None and track.carry:
                raw = array.astype("<i2").tobytes()  # keep the byte stream aligned
                array = None
            if raw is not None:
                if track.carry:
                    raw = track.carry + raw
                usable = len(raw) - len(raw) % 2
                track.carry = raw[usable:]
                array = np.frombuffer(raw, dtype="<i2", count=usable // 2)
            assert array is not None
            track.add(array, self._limit)
            return int(array.shape[0])

    def samples(self, item_id: str | None = None) -> npt.NDArray[np.int16]:
        """Return a copy of the retained audio.

        Args:
            item_id: One item, or None for all items one after another (in
                the order of :attr:`items`).

        Returns:
            A 1-D int16 array (empty for an unknown item).
        """
        with self._lock:
            if item_id is not None:
                track = self._tracks.get(item_id)
                if track is None:
                    return np.zeros(0, dtype=np.int16)
                single: npt.NDArray[np.int16] = track.buf[track.start : track.end]
                single = single.copy()
                return single
            parts = [t.buf[t.start : t.end] for t in self._tracks.values()]
        if not parts:
            return np.zeros(0, dtype=np.int16)
        joined: npt.NDArray[np.int16] = np.concatenate(parts)
        return joined

    def clear(self, item_id: str | None = None) -> None:
        """Forget one item's audio (and pending byte), or all audio.

        Args:
            item_id: The item, or None for everything.
        """
        with self._lock:
            if item_id is None:
                self._tracks.clear()
            else:
                self._tracks.pop(item_id, None)

    @overload
    def to_wav(self, path: None = None, item_id: str | None = None) -> bytes: ...

    @overload
    def to_wav(
        self, path: str | os.PathLike[str] | BinaryIO, item_id: str | None = None
    ) -> None: ...

    def to_wav(
        self,
        path: str | os.PathLike[str] | BinaryIO | None = None,
        item_id: str | None = None,
    ) -> bytes | None:
        """Encode the retained audio as a 16-bit mono WAV file.

        Args:
            path: Where to write (a path or binary file object); None to
                return the file's bytes instead.
            item_id: One item, or None for all items (see :meth:`samples`).

        Returns:
            The WAV bytes when ``path`` is None, otherwise None.

        Raises:
            OSError: The file cannot be written.
        """
        samples = self.samples(item_id)
        if path is not None:
            write_wav(path, samples, self._rate)
            return None
        buffer = io.BytesIO()
        write_wav(buffer, samples, self._rate)
        return buffer.getvalue()

    def _repr_html_(self) -> str:
        """Render an HTML5 audio player (Jupyter's rich display hook)."""
        data = _b64.encode(self.to_wav())
        seconds = self.duration_ms / 1000.0
        label = html.escape(f"{len(self.items)} item(s), {seconds:.2f} s")
        src = f"data:audio/wav;base64,{data}"
        return f'<audio controls src="{src}" title="{label}"></audio>'

    def __repr__(self) -> str:
        return (
            f"OutputAudio(sample_rate={self._rate}, items={len(self.items)}, "
            f"duration_ms={self.duration_ms:.0f})"
        )

    def __len__(self) -> int:
        """Return the retained samples of all items together."""
        with self._lock:
            return sum(t.end - t.start for t in self._tracks.values())
