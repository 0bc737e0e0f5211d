"""Fixed-size framing of a sample stream, and the 100 ms commit rule."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import numpy.typing as npt

from ._checks import as_int, positive_int
from ._convert import BytesLike

__all__ = ["MIN_COMMIT_MS", "Chunker", "enough_for_commit"]

MIN_COMMIT_MS = 100
"""Shortest input buffer, in ms, that ``input_audio_buffer.commit`` accepts.

The API answers a shorter commit with an ``input_audio_buffer_commit_empty``
error ("buffer too small ... at least 100ms of audio").
"""


def enough_for_commit(
    audio: int | BytesLike | npt.NDArray[Any],
    sample_rate: int = 24000,
    sample_width: int = 2,
) -> bool:
    """Tell whether a buffer holds the 100 ms an audio commit needs.

    Args:
        audio: A sample count (int), raw bytes (``sample_width`` bytes per
            sample: 2 for ``audio/pcm``, 1 for G.711), or an array of samples
            (its first axis counts).
        sample_rate: Samples per second (24000 for ``audio/pcm``, 8000 for G.711).
        sample_width: Bytes per sample when ``audio`` is bytes.

    Returns:
        True when the audio lasts at least :data:`MIN_COMMIT_MS` ms.

    Raises:
        TypeError: ``audio`` is not an int, bytes-like or an array.
        ValueError: ``sample_rate`` or ``sample_width`` is not positive.
    """
    if sample_rate <= 0 or sample_width <= 0:
        raise ValueError("sample_rate and sample_width must be positive")
    if isinstance(audio, (bytes, bytearray, memoryview)):
        count = memoryview(audio).nbytes // sample_width
    elif isinstance(audio, np.ndarray):
        count = audio.shape[0] if audio.ndim else 1
    else:
        count = as_int("audio", audio)
    # count / sample_rate >= 0.1 s, in integers.
    return count * 1000 >= MIN_COMMIT_MS * sample_rate


class Chunker:
    """Cut a stream of samples into frames of a fixed size.

    :meth:`push` returns every complete frame the new samples finish and
    keeps the remainder; frames are new arrays (never views of the caller's
    data) and concatenate to exactly the pushed samples. Only whole samples
    are handled: pass arrays, or bytes holding whole samples.

    Not thread-safe: use one chunker per producer.

    Args:
        frame_ms: Frame length in milliseconds (``frame_ms * sample_rate /
            1000`` must be a whole number of samples).
        frame_samples: Frame length in samples (instead of ``frame_ms``).
        sample_rate: Samples per second, used with ``frame_ms``.
        dtype: Sample dtype; pushed arrays must have it. Bytes are accepted
            for int16 (little-endian PCM16) and uint8 (G.711 codes).

    Raises:
        TypeError: ``frame_samples`` or ``sample_rate`` is not an int.
        ValueError: Neither or both of ``frame_ms`` and ``frame_samples`` are
            given, or the frame is not a positive whole number of samples.
    """

    def __init__(
        self,
        frame_ms: float | None = None,
        frame_samples: int | None = None,
        sample_rate: int = 24000,
        dtype: npt.DTypeLike = np.int16,
    ) -> None:
        if (frame_ms is None) == (frame_samples is None):
            raise ValueError("give exactly one of frame_ms and frame_samples")
        rate = positive_int("sample_rate", sample_rate)
        frame: int
        if frame_ms is not None:
            if not frame_ms > 0 or math.isinf(frame_ms):
                raise ValueError(f"frame_ms must be positive, got {frame_ms!r}")
            exact = float(frame_ms) * rate / 1000.0
            frame = round(exact)
            if abs(exact - frame) > 1e-9 * max(1.0, exact):
                raise ValueError(
                    f"{frame_ms} ms at {rate} Hz is {exact:g} samples, "
                    "not a whole number"
                )
        else:
            frame = as_int("frame_samples", frame_samples)
        if frame <= 0:
            raise ValueError(f"a frame must hold at least one sample, got {frame}")
        self._frame: int = frame
        self._rate: int = rate
        self._dtype: np.dtype[Any] = np.dtype(dtype)
        self._buf: npt.NDArray[Any] | None = None
        self._fill: int = 0

    @property
    def frame_samples(self) -> int:
        """Samples per frame."""
        return self._frame

    @property
    def sample_rate(self) -> int:
        """Samples per second."""
        return self._rate

    @property
    def pending(self) -> int:
        """Samples held back, waiting to complete a frame."""
        return self._fill

    @property
    def pending_ms(self) -> float:
        """Duration of the held-back samples, in ms."""
        return 1000.0 * self._fill / self._rate

    def _as_array(self, samples: npt.ArrayLike | BytesLike) -> npt.NDArray[Any]:
        if isinstance(samples, (bytes, bytearray, memoryview)):
            if self._dtype == np.int16:
                raw = memoryview(samples).cast("B")
                if len(raw) % 2:
                    raise ValueError(
                        "PCM16 bytes must hold whole samples (an even length)"
                    )
                return np.frombuffer(raw, dtype="<i2")
            if self._dtype == np.uint8:
                return np.frombuffer(memoryview(samples).cast("B"), dtype=np.uint8)
            raise TypeError(
                f"bytes are accepted for int16 or uint8 chunkers, not {self._dtype}"
            )
        arr = samples if isinstance(samples, np.ndarray) else np.asarray(samples)
        if arr.dtype.newbyteorder("=") != self._dtype:
            raise TypeError(f"expected {self._dtype} samples, got {arr.dtype}")
        if arr.ndim not in (1, 2):
            raise ValueError(
                f"expected (n,) or (n, channels) samples, got shape {arr.shape}"
            )
        return arr

    def push(self, samples: npt.ArrayLike | BytesLike) -> list[npt.NDArray[Any]]:
        """Add samples; return the frames they complete.

        Args:
            samples: ``(n,)`` or ``(n, channels)`` array of the chunker's dtype
                (the first push fixes the channel layout), or bytes.

        Returns:
            Zero or more frames, each ``frame_samples`` long, in order.

        Raises:
            TypeError: Wrong dtype.
            ValueError: Wrong shape, a channel layout different from earlier
                pushes, or PCM16 bytes of odd length.
        """
        arr = self._as_array(samples)
        buf = self._buf
        if buf is None:
            buf = np.empty((self._frame, *arr.shape[1:]), dtype=self._dtype)
            self._buf = buf
        elif arr.shape[1:] != buf.shape[1:]:
            raise ValueError(
                f"expected samples shaped (n, {', '.join(map(str, buf.shape[1:]))}) "
                f"like earlier pushes, got {arr.shape}"
            )
        n = arr.shape[0]
        fill = self._fill
        frame = self._frame
        if fill + n < frame:
            buf[fill : fill + n] = arr
            self._fill = fill + n
            return []
        frames: list[npt.NDArray[Any]] = []
        start = 0
        if fill:
            start = frame - fill
            buf[fill:] = arr[:start]
            frames.append(buf.copy())
        whole = (n - start) // frame
        if whole:
            block = np.array(arr[start : start + whole * frame], dtype=self._dtype)
            frames.extend(block.reshape(whole, frame, *arr.shape[1:]))
        rest = start + whole * frame
        self._fill = n - rest
        buf[: self._fill] = arr[rest:]
        return frames

    def flush(self, pad: bool = False) -> list[npt.NDArray[Any]]:
        """Return the held-back samples as a last, short frame and empty the chunker.

        Args:
            pad: Zero-pad the last frame to ``frame_samples``.

        Returns:
            ``[]`` when nothing is held back, otherwise one frame.
        """
        if not self._fill or self._buf is None:
            return []
        size = self._frame if pad else self._fill
        last = np.zeros((size, *self._buf.shape[1:]), dtype=self._dtype)
        last[: self._fill] = self._buf[: self._fill]
        self._fill = 0
        return [last]

    def reset(self) -> None:
        """Drop the held-back samples (the channel layout may change after this)."""
        self._fill = 0
        self._buf = None
