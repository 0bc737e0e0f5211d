"""G.711 mu-law and A-law codecs, vectorised with lookup tables.

Bit-exact with the classic reference implementation of ITU-T G.711 (Sun
Microsystems' ``g711.c``, the code behind CPython's ``audioop``, SoX and
others): ``linear2ulaw``/``ulaw2linear`` and ``linear2alaw``/``alaw2linear``
applied to 16-bit samples. (SoX rounds 16-bit samples to 14 or 13 bits before
it calls them, where ``g711.c`` truncates, so its codes differ from these at
some decision levels; decoding is identical.)

* mu-law encodes the top 14 bits: ``v = x >> 2`` (arithmetic shift), the
  magnitude ``|v|`` is clipped to 8159 (16-bit 32635..32639 and above all give
  the largest code), biased by 33 (``0x84 >> 2``), split into a 3-bit segment
  and 4-bit mantissa, and every bit is inverted. Decoding gives the segment
  midpoints, from -32124 to 32124.
* A-law encodes the top 13 bits: ``v = x >> 3``; negative values use the
  one's-complement magnitude ``-v - 1``; even bits are inverted (``^ 0x55``).
  Decoding gives -32256 .. -8 and 8 .. 32256 (no zero level).

mu-law has two codes for zero: ``0xFF`` (+0) and ``0x7F`` (-0) both decode to
0, which encodes back to ``0xFF``. Every other code survives
``encode(decode(code))``; all 256 A-law codes do.

(ITU-T G.191's software tools take the one's complement for mu-law negatives
too, which moves the decision levels of negative inputs by one 14-bit step;
this module follows ``g711.c``/``audioop``.)
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np
import numpy.typing as npt

from ._convert import BytesLike

__all__ = ["alaw_decode", "alaw_encode", "ulaw_decode", "ulaw_encode"]

# Largest biased magnitude of each mu-law segment (14-bit) and A-law segment (13-bit).
_ULAW_SEGMENT_END = np.array([0x3F, 0x7F, 0xFF, 0x1FF, 0x3FF, 0x7FF, 0xFFF, 0x1FFF])
_ALAW_SEGMENT_END = np.array([0x1F, 0x3F, 0x7F, 0xFF, 0x1FF, 0x3FF, 0x7FF, 0xFFF])
_ULAW_BIAS = 0x84 >> 2
_ULAW_CLIP = 8159


def _all_int16() -> npt.NDArray[np.int32]:
    # Ordered by the uint16 bit pattern, so the table is indexed by x.view(uint16).
    return (
        np.arange(65536, dtype=np.int32)
        .astype(np.uint16)
        .view(np.int16)
        .astype(np.int32)
    )


def _frozen(table: npt.NDArray[Any]) -> npt.NDArray[Any]:
    table.flags.writeable = False
    return table


@functools.cache
def _ulaw_encode_table() -> npt.NDArray[np.uint8]:
    value = _all_int16() >> 2
    negative = value < 0
    mask = np.where(negative, 0x7F, 0xFF)
    magnitude = np.minimum(np.abs(value), _ULAW_CLIP) + _ULAW_BIAS
    segment = np.searchsorted(_ULAW_SEGMENT_END, magnitude)  # first end >= magnitude
    mantissa = (magnitude >> np.minimum(segment + 1, 8)) & 0x0F
    code = np.where(segment >= 8, 0x7F, (segment << 4) | mantissa) ^ mask
    return _frozen(code.astype(np.uint8))


@functools.cache
def _ulaw_decode_table() -> npt.NDArray[np.int16]:
    code = ~np.arange(256, dtype=np.int32) & 0xFF
    level = (((code & 0x0F) << 3) + 0x84) << ((code & 0x70) >> 4)
    return _frozen(np.where(code & 0x80, 0x84 - level, level - 0x84).astype(np.int16))


@functools.cache
def _alaw_encode_table() -> npt.NDArray[np.uint8]:
    value = _all_int16() >> 3
    positive = value >= 0
    mask = np.where(positive, 0xD5, 0x55)
    magnitude = np.where(positive, value, -value - 1)  # at most 0xFFF: segment <= 7
    segment = np.searchsorted(_ALAW_SEGMENT_END, magnitude)
    mantissa = (magnitude >> np.maximum(segment, 1)) & 0x0F
    code = ((segment << 4) | mantissa) ^ mask
    return _frozen(code.astype(np.uint8))


@functools.cache
def _alaw_decode_table() -> npt.NDArray[np.int16]:
    code = np.arange(256, dtype=np.int32) ^ 0x55
    segment = (code & 0x70) >> 4
    level = ((code & 0x0F) << 4) + np.where(segment == 0, 8, 0x108)
    level = level << np.maximum(segment - 1, 0)
    return _frozen(np.where(code & 0x80, level, -level).astype(np.int16))


def _int16_input(samples: npt.ArrayLike, func: str) -> npt.NDArray[np.uint16]:
    if isinstance(samples, (bytes, bytearray, memoryview, str)):
        raise TypeError(
            f"{func}() expects an int16 array, got {type(samples).__name__}; "
            "decode PCM16 bytes with pcm16_from_bytes() first"
        )
    arr = samples if isinstance(samples, np.ndarray) else np.asarray(samples)
    if arr.dtype.kind != "i" or arr.dtype.itemsize != 2:
        raise TypeError(f"{func}() expects int16 samples, got {arr.dtype}")
    index: npt.NDArray[np.uint16] = arr.astype(np.int16, copy=False).view(np.uint16)
    return index


def _code_input(codes: npt.ArrayLike | BytesLike, func: str) -> npt.NDArray[np.uint8]:
    if isinstance(codes, (bytes, bytearray, memoryview)):
        return np.frombuffer(memoryview(codes).cast("B"), dtype=np.uint8)
    arr = codes if isinstance(codes, np.ndarray) else np.asarray(codes)
    if arr.dtype != np.uint8:
        raise TypeError(f"{func}() expects uint8 codes or bytes, got {arr.dtype}")
    index: npt.NDArray[np.uint8] = arr
    return index


def ulaw_encode(samples: npt.ArrayLike) -> npt.NDArray[np.uint8]:
    """Encode int16 samples as G.711 mu-law codes.

    Args:
        samples: An int16 array, any shape.

    Returns:
        uint8 codes of the same shape (``.tobytes()`` is the ``audio/pcmu`` payload).

    Raises:
        TypeError: The samples are not an int16 array.
    """
    return _ulaw_encode_table()[_int16_input(samples, "ulaw_encode")]


def ulaw_decode(codes: npt.ArrayLike | BytesLike) -> npt.NDArray[np.int16]:
    """Decode G.711 mu-law codes to int16 samples.

    Args:
        codes: uint8 array or bytes (e.g. a decoded ``audio/pcmu`` delta).

    Returns:
        int16 samples, one per code, same shape as an array input.

    Raises:
        TypeError: The codes are not uint8 or bytes.
    """
    return _ulaw_decode_table()[_code_input(codes, "ulaw_decode")]


def alaw_encode(samples: npt.ArrayLike) -> npt.NDArray[np.uint8]:
    """Encode int16 samples as G.711 A-law codes.

    Args:
        samples: An int16 array, any shape.

    Returns:
        uint8 codes of the same shape (``.tobytes()`` is the ``audio/pcma`` payload).

    Raises:
        TypeError: The samples are not an int16 array.
    """
    return _alaw_encode_table()[_int16_input(samples, "alaw_encode")]


def alaw_decode(codes: npt.ArrayLike | BytesLike) -> npt.NDArray[np.int16]:
    """Decode G.711 A-law codes to int16 samples.

    Args:
        codes: uint8 array or bytes (e.g. a decoded ``audio/pcma`` delta).

    Returns:
        int16 samples, one per code, same shape as an array input.

    Raises:
        TypeError: The codes are not uint8 or bytes.
    """
    return _alaw_decode_table()[_code_input(codes, "alaw_decode")]
