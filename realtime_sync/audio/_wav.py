"""Read and write WAV files (RIFF/WAVE) with numpy.

:func:`read_wav` parses the RIFF chunks itself, because the standard
:mod:`wave` module refuses IEEE float data (format tag 3). Supported:

=====================  ============  ==================================
stored as              returned as   scaling
=====================  ============  ==================================
8-bit unsigned PCM     int16         ``(x - 128) * 256``
16-bit PCM             int16         unchanged
24-bit PCM             float32       ``x / 2**23`` (exact)
32-bit PCM             float32       ``x / 2**31`` (rounded to float32)
32-bit IEEE float      float32       unchanged
=====================  ============  ==================================

``WAVE_FORMAT_EXTENSIBLE`` files are accepted when their sub-format is PCM or
IEEE float. Anything else (64-bit float, A-law, mu-law, ADPCM, MP3, ...)
raises :class:`ValueError` naming the format. Mono comes back as ``(n,)``,
more channels as interleaved frames ``(n, channels)``.

:func:`write_wav` always writes 16-bit PCM with :mod:`wave`.
"""

from __future__ import annotations

import os
import struct
import wave
from typing import Any, BinaryIO

import numpy as np
import numpy.typing as npt

from ._checks import positive_int
from ._convert import float_to_pcm16

__all__ = ["read_wav", "write_wav"]

PathOrFile = str | os.PathLike[str] | BinaryIO

_PCM = 0x0001
_IEEE_FLOAT = 0x0003
_EXTENSIBLE = 0xFFFE
# The 14 bytes after the format tag in a KSDATAFORMAT_SUBTYPE_* GUID.
_GUID_TAIL = b"\x00\x00\x00\x00\x10\x00\x80\x00\x00\xaa\x00\x38\x9b\x71"
_FORMAT_NAMES = {
    0x0002: "Microsoft ADPCM",
    0x0006: "A-law",
    0x0007: "mu-law",
    0x0011: "IMA ADPCM",
    0x0031: "GSM 6.10",
    0x0050: "MPEG",
    0x0055: "MPEG Layer 3",
    0x0092: "Dolby AC-3",
    0x00FF: "AAC",
    0xF1AC: "FLAC",
}


def _read_all(source: PathOrFile) -> bytes:
    if isinstance(source, (str, os.PathLike)):
        with open(source, "rb") as handle:
            return handle.read()
    data = source.read()
    if not isinstance(data, bytes):
        raise TypeError("read_wav() needs a path or a file opened in binary mode")
    return data


def _chunks(data: bytes) -> dict[bytes, bytes]:
    if (
        len(data) < 12
        or data[8:12] != b"WAVE"
        or data[:4] not in (b"RIFF", b"RIFX", b"RF64")
    ):
        raise ValueError("not a WAV file (no RIFF/WAVE header)")
    if data[:4] != b"RIFF":
        raise ValueError(
            f"unsupported WAV container {data[:4].decode()!r}: only little-endian RIFF"
        )
    found: dict[bytes, bytes] = {}
    pos = 12
    while pos + 8 <= len(data):
        ident = data[pos : pos + 4]
        (size,) = struct.unpack_from("<I", data, pos + 4)
        body = data[pos + 8 : pos + 8 + size]  # a streamed file may lie about the size
        found.setdefault(ident, body)
        if ident == b"data" and b"fmt " in found:
            break
        pos += 8 + size + (size & 1)  # chunks are padded to an even size
    return found


def _format(fmt: bytes) -> tuple[int, int, int, int]:
    """Return (format tag, channels, rate, bytes per sample) from a fmt chunk."""
    if len(fmt) < 16:
        raise ValueError("malformed WAV file: fmt chunk shorter than 16 bytes")
    tag, channels, rate, _, align, bits = struct.unpack_from("<HHIIHH", fmt)
    if tag == _EXTENSIBLE:
        if len(fmt) < 40 or fmt[26:40] != _GUID_TAIL:
            raise ValueError(
                "unsupported WAV format: WAVE_FORMAT_EXTENSIBLE, unknown sub-format"
            )
        (tag,) = struct.unpack_from("<H", fmt, 24)
    if tag not in (_PCM, _IEEE_FLOAT):
        name = _FORMAT_NAMES.get(tag, "unknown/compressed")
        raise ValueError(
            f"unsupported WAV format: {name} (format tag 0x{tag:04X}); "
            "read_wav() reads 8/16/24/32-bit integer PCM and 32-bit float"
        )
    if channels < 1 or rate < 1 or align < 1 or align % channels:
        raise ValueError("malformed WAV file: bad channel count, rate or block size")
    width = align // channels
    if tag == _IEEE_FLOAT and (width != 4 or bits != 32):
        raise ValueError(
            f"unsupported WAV format: {bits}-bit float; only 32-bit float is read"
        )
    if tag == _PCM and width not in (1, 2, 3, 4):
        raise ValueError(f"unsupported WAV format: {bits}-bit integer PCM")
    return tag, channels, rate, width


def read_wav(source: PathOrFile) -> tuple[npt.NDArray[Any], int]:
    """Read a WAV file into a numpy array.

    Args:
        source: A path, or a binary file object positioned at the RIFF header.

    Returns:
        ``(samples, sample_rate)``: int16 for 8/16-bit files, float32 for
        24/32-bit integer and 32-bit float files (see the module table);
        shape ``(n,)`` for mono, ``(n, channels)`` otherwise.

    Raises:
        ValueError: Not a WAV file, malformed, or an unsupported format (the
            message names it).
        TypeError: ``source`` is a text-mode file.
        OSError: The file cannot be opened.
    """
    found = _chunks(_read_all(source))
    if b"fmt " not in found:
        raise ValueError("malformed WAV file: no fmt chunk")
    if b"data" not in found:
        raise ValueError("malformed WAV file: no data chunk")
    tag, channels, rate, width = _format(found[b"fmt "])
    raw = found[b"data"]
    raw = raw[: len(raw) - len(raw) % (width * channels)]
    samples: npt.NDArray[Any]
    if tag == _IEEE_FLOAT:
        samples = np.frombuffer(raw, dtype="<f4").astype(np.float32)
    elif width == 1:
        samples = (
            (np.frombuffer(raw, dtype=np.uint8).astype(np.int16) - 128) << 8
        ).astype(np.int16)
    elif width == 2:
        samples = np.frombuffer(raw, dtype="<i2").astype(np.int16)
    elif width == 3:
        triplets = np.frombuffer(raw, dtype=np.uint8).reshape(-1, 3).astype(np.int32)
        value = triplets[:, 0] | (triplets[:, 1] << 8) | (triplets[:, 2] << 16)
        value = (value << 8) >> 8  # sign-extend 24 -> 32 bits
        samples = (value * (1.0 / (1 << 23))).astype(np.float32)
    else:
        samples = (np.frombuffer(raw, dtype="<i4") * (1.0 / (1 << 31))).astype(
            np.float32
        )
    if channels > 1:
        samples = samples.reshape(-1, channels)
    return samples, rate


def write_wav(target: PathOrFile, samples: npt.ArrayLike, sample_rate: int) -> None:
    """Write samples as a 16-bit PCM WAV file.

    Args:
        target: A path, or a binary file object to write to (it need not be
            seekable).
        samples: int16, or float in [-1, 1] (converted with
            :func:`float_to_pcm16`); ``(n,)`` mono or ``(n, channels)`` frames.
        sample_rate: Samples per second, a positive int.

    Raises:
        TypeError: The samples are neither int16 nor float, or the rate is
            not an int.
        ValueError: Bad shape, or a rate that is not positive.
        OSError: The file cannot be written.
    """
    arr = samples if isinstance(samples, np.ndarray) else np.asarray(samples)
    if arr.dtype.kind == "f":
        arr = float_to_pcm16(arr)
    elif arr.dtype.kind != "i" or arr.dtype.itemsize != 2:
        raise TypeError(f"write_wav() expects int16 or float samples, got {arr.dtype}")
    if arr.ndim not in (1, 2) or (arr.ndim == 2 and arr.shape[1] < 1):
        raise ValueError(
            f"expected (n,) or (n, channels) samples, got shape {arr.shape}"
        )
    rate = positive_int("sample_rate", sample_rate)
    channels = 1 if arr.ndim == 1 else arr.shape[1]
    payload = np.ascontiguousarray(arr, dtype="<i2").tobytes()
    if isinstance(target, (str, os.PathLike)):
        with open(target, "wb") as handle:
            _write(handle, payload, channels, rate)
    else:
        _write(target, payload, channels, rate)


def _write(handle: BinaryIO, payload: bytes, channels: int, rate: int) -> None:
    with wave.open(handle, "wb") as writer:
        writer.setnchannels(channels)
        writer.setsampwidth(2)
        writer.setframerate(rate)
        # Declaring the length up front lets wave skip seeking back to patch it.
        writer.setnframes(len(payload) // (2 * channels))
        writer.writeframes(payload)
