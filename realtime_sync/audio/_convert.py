"""Sample format conversions: float <-> PCM16, channel layouts, little-endian bytes.

Conventions used throughout :mod:`realtime_sync.audio`:

* PCM16 is ``int16``; on the wire it is little-endian (``<i2``) on any host.
* Float audio is nominally in ``[-1.0, 1.0]``. :func:`float_to_pcm16` clips to
  that range, scales by 32767 and rounds (the Realtime API's rule), and
  :func:`pcm16_to_float` divides by 32767, its exact inverse: every int16
  value except -32768 survives the round trip unchanged (-32768 becomes
  -1.00003 and comes back as -32767).
* Multi-channel audio is *interleaved frames* ``(n, channels)``; *planar* is
  ``(channels, n)``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

__all__ = [
    "PCM16_SCALE",
    "float_to_pcm16",
    "interleaved_to_planar",
    "pcm16_from_bytes",
    "pcm16_to_bytes",
    "pcm16_to_float",
    "planar_to_interleaved",
    "to_mono",
]

PCM16_SCALE = 32767.0
"""Full scale used by :func:`float_to_pcm16` and :func:`pcm16_to_float`."""

BytesLike = bytes | bytearray | memoryview


def _array(samples: npt.ArrayLike, func: str) -> npt.NDArray[Any]:
    if isinstance(samples, (bytes, bytearray, memoryview, str)):
        raise TypeError(
            f"{func}() expects a numpy array, got {type(samples).__name__}; "
            "use pcm16_from_bytes() for raw PCM16 bytes"
        )
    return samples if isinstance(samples, np.ndarray) else np.asarray(samples)


def _require_int16(arr: npt.NDArray[Any], func: str) -> npt.NDArray[np.int16]:
    if arr.dtype.kind != "i" or arr.dtype.itemsize != 2:
        hint = ""
        if arr.dtype.kind == "f":
            hint = " (convert float audio with float_to_pcm16())"
        raise TypeError(f"{func}() expects int16 samples, got {arr.dtype}{hint}")
    native: npt.NDArray[np.int16] = arr.astype(np.int16, copy=False)
    return native


def float_to_pcm16(samples: npt.ArrayLike) -> npt.NDArray[np.int16]:
    """Convert float audio to int16: clip to [-1, 1], scale by 32767, round.

    Rounding is to the nearest integer, ties to even (``numpy.rint``),
    computed in float64. NaN becomes 0; infinities clip to full scale.

    Args:
        samples: A float array (float16, float32 or float64), any shape.

    Returns:
        An int16 array of the same shape.

    Raises:
        TypeError: The array is not floating point (int16 is already PCM16).
    """
    arr = _array(samples, "float_to_pcm16")
    if arr.dtype.kind != "f":
        raise TypeError(f"float_to_pcm16() expects float samples, got {arr.dtype}")
    work = np.nan_to_num(arr.astype(np.float64), nan=0.0, posinf=1.0, neginf=-1.0)
    np.clip(work, -1.0, 1.0, out=work)
    work *= PCM16_SCALE
    np.rint(work, out=work)
    return work.astype(np.int16)


def pcm16_to_float(
    samples: npt.ArrayLike, dtype: npt.DTypeLike = np.float32
) -> npt.NDArray[np.floating[Any]]:
    """Convert int16 audio to float by dividing by 32767.

    32767 maps to exactly 1.0 and -32768 to -1.0000305, so that
    :func:`float_to_pcm16` inverts this for every other value.

    Args:
        samples: An int16 array, any shape.
        dtype: The float dtype of the result (float32 by default).

    Returns:
        A float array of the same shape.

    Raises:
        TypeError: The input is not int16 or ``dtype`` is not a float dtype.
    """
    arr = _require_int16(_array(samples, "pcm16_to_float"), "pcm16_to_float")
    out_dtype = np.dtype(dtype)
    if out_dtype.kind != "f":
        raise TypeError(
            f"pcm16_to_float() dtype must be a float dtype, got {out_dtype}"
        )
    out: npt.NDArray[np.floating[Any]] = arr.astype(out_dtype)
    out /= PCM16_SCALE
    return out


def interleaved_to_planar(
    samples: npt.ArrayLike, channels: int | None = None
) -> npt.NDArray[Any]:
    """Turn interleaved frames into one contiguous row per channel.

    Args:
        samples: Frames ``(n, channels)``, or a flat interleaved sequence
            ``(n * channels,)`` together with ``channels``.
        channels: Channel count of a flat input; checked against a 2-D one.

    Returns:
        A C-contiguous ``(channels, n)`` copy, same dtype.

    Raises:
        ValueError: Bad shape, or a flat length not divisible by ``channels``.
    """
    arr = _array(samples, "interleaved_to_planar")
    if arr.ndim == 1:
        if channels is None or channels < 1:
            raise ValueError("a flat interleaved array needs channels >= 1")
        if arr.shape[0] % channels:
            raise ValueError(
                f"{arr.shape[0]} samples do not divide into {channels} channels"
            )
        arr = arr.reshape(-1, channels)
    elif arr.ndim != 2:
        raise ValueError(
            f"expected (n,) or (n, channels) samples, got shape {arr.shape}"
        )
    elif channels is not None and arr.shape[1] != channels:
        raise ValueError(f"expected {channels} channel(s), got {arr.shape[1]}")
    return np.ascontiguousarray(arr.T)


def planar_to_interleaved(planar: npt.ArrayLike) -> npt.NDArray[Any]:
    """Turn ``(channels, n)`` rows into interleaved frames ``(n, channels)``.

    Args:
        planar: One row per channel.

    Returns:
        A C-contiguous ``(n, channels)`` copy (its bytes are interleaved).

    Raises:
        ValueError: The input is not 2-D.
    """
    arr = _array(planar, "planar_to_interleaved")
    if arr.ndim != 2:
        raise ValueError(f"expected (channels, n) samples, got shape {arr.shape}")
    return np.ascontiguousarray(arr.T)


def to_mono(samples: npt.ArrayLike) -> npt.NDArray[Any]:
    """Mix interleaved frames down to one channel by averaging.

    Args:
        samples: ``(n,)`` (returned as a copy) or ``(n, channels)``.

    Returns:
        ``(n,)`` in the input dtype; int16 averages are rounded to nearest.

    Raises:
        TypeError: The dtype is not an int16 or float dtype.
        ValueError: The array is not 1-D or 2-D, or has no channels.
    """
    arr = _array(samples, "to_mono")
    if arr.dtype.kind == "i":
        arr = _require_int16(arr, "to_mono")
    elif arr.dtype.kind != "f":
        raise TypeError(f"to_mono() expects int16 or float samples, got {arr.dtype}")
    mono: npt.NDArray[Any]
    if arr.ndim == 1:
        mono = arr.copy()
    elif arr.ndim != 2 or arr.shape[1] == 0:
        raise ValueError(f"expected (n,) or (n, channels) samples, got {arr.shape}")
    elif arr.dtype.kind == "i":
        mono = np.rint(arr.mean(axis=1, dtype=np.float64)).astype(np.int16)
    else:
        mono = arr.mean(axis=1, dtype=arr.dtype)
    return mono


def pcm16_from_bytes(data: BytesLike) -> npt.NDArray[np.int16]:
    """Decode little-endian PCM16 bytes into int16 samples (native byte order).

    An odd trailing byte (half a sample) is ignored; streaming code that must
    keep it for the next chunk can use :class:`OutputAudio`, which carries it.

    Args:
        data: Raw bytes, two per sample, little-endian, interleaved if
            multi-channel.

    Returns:
        A new writable 1-D int16 array of ``len(data) // 2`` samples.

    Raises:
        TypeError: ``data`` is not bytes-like.
    """
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise TypeError(f"pcm16_from_bytes() expects bytes, got {type(data).__name__}")
    view = memoryview(data).cast("B")
    usable = len(view) - len(view) % 2
    return np.frombuffer(view[:usable], dtype="<i2").astype(np.int16)


def pcm16_to_bytes(samples: npt.ArrayLike) -> bytes:
    """Encode int16 samples as little-endian PCM16 bytes.

    Args:
        samples: int16 array; ``(n, channels)`` frames give interleaved bytes.

    Returns:
        ``2 * samples.size`` bytes.

    Raises:
        TypeError: The samples are not int16 (float audio: use
            :func:`float_to_pcm16` first).
    """
    arr = _require_int16(_array(samples, "pcm16_to_bytes"), "pcm16_to_bytes")
    return np.ascontiguousarray(arr, dtype="<i2").tobytes()
