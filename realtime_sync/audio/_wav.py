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
8-bit G.711 mu-law     int16         :func:`~realtime_sync.audio.ulaw_decode`
8-bit G.711 A-law      int16         :func:`~realtime_sync.audio.alaw_decode`
=====================  ============  ==================================

``WAVE_FORMAT_EXTENSIBLE`` files are accepted when their sub-format is one of
these. Anything else (64-bit float, ADPCM, MP3, ...) raises :class:`ValueError`
naming the format. Mono comes back as ``(n,)``, more channels as interleaved
frames ``(n, channels)``.

:func:`write_wav` writes 16-bit PCM (with :mod:`wave`), or 8-bit mu-law or
A-law for telephony (``encoding="ulaw"``/``"alaw"``): format tag 7 or 6, an
18-byte ``fmt`` chunk and the ``fact`` chunk that the RIFF specification asks
of every non-PCM format, as SoX and Windows write them.
"""

from __future__ import annotations

import os
import struct
import wave
from typing import Any, BinaryIO, Literal

import numpy as np
import numpy.typing as npt

from ._checks import positive_int
from ._convert import float_to_pcm16
from ._g711 import alaw_decode, alaw_encode, ulaw_decode, ulaw_encode

__all__ = ["read_wav", "write_wav"]

PathOrFile = str | os.PathLike[str] | BinaryIO
WavEncoding = Literal["pcm16", "ulaw", "alaw"]

_PCM = 0x0001
_IEEE_FLOAT = 0x0003
_ALAW = 0x0006
_MULAW = 0x0007
_G711 = {"ulaw": _MULAW, "alaw": _ALAW}
_EXTENSIBLE = 0xFFFE
# The 14 bytes after the format tag in a KSDATAFORMAT_SUBTYPE_* GUID.
_GUID_TAIL = b"\x00\x00\x00\x00\x10\x00\x80\x00\x00\xaa\x00\x38\x9b\x71"
_FORMAT_NAMES = {
    0x0002: "Microsoft ADPCM",
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
    if tag not in (_PCM, _IEEE_FLOAT, _ALAW, _MULAW):
        name = _FORMAT_NAMES.get(tag, "unknown/compressed")
        raise ValueError(
            f"unsupported WAV format: {name} (format tag 0x{tag:04X}); "
            "read_wav() reads 8/16/24/32-bit integer PCM, 32-bit float and "
            "8-bit mu-law/A-law"
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
    if tag in (_ALAW, _MULAW) and (width != 1 or bits != 8):
        # G.711 is one byte per sample by definition (ITU-T G.711 §2).
        law = "A-law" if tag == _ALAW else "mu-law"
        raise ValueError(f"malformed WAV file: {bits}-bit {law}; G.711 has 8 bits")
    return tag, channels, rate, width


def read_wav(source: PathOrFile) -> tuple[npt.NDArray[Any], int]:
    """Read a WAV file into a numpy array.

    Args:
        source: A path, or a binary file object positioned at the RIFF header.

    Returns:
        ``(samples, sample_rate)``: int16 for 8/16-bit PCM and for mu-law and
        A-law files (decoded), float32 for 24/32-bit integer and 32-bit float
        files (see the module table); shape ``(n,)`` for mono,
        ``(n, channels)`` otherwise. For the G.711 bytes as stored,
        ``ulaw_encode(samples)`` (or ``alaw_encode``) gives them back, except
        that mu-law's negative zero ``0x7F`` comes back as ``0xFF``.

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
    elif tag == _MULAW:
        samples = ulaw_decode(raw)
    elif tag == _ALAW:
        samples = alaw_decode(raw)
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


def write_wav(
    target: PathOrFile,
    samples: npt.ArrayLike,
    sample_rate: int,
    *,
    encoding: WavEncoding = "pcm16",
) -> None:
    """Write samples as a 16-bit PCM, mu-law or A-law WAV file.

    Args:
        target: A path, or a binary file object to write to (it need not be
            seekable).
        samples: int16, or float in [-1, 1] (converted with
            :func:`float_to_pcm16`); ``(n,)`` mono or ``(n, channels)`` frames.
        sample_rate: Samples per second, a positive int (8000 for a phone
            line).
        encoding: ``"pcm16"`` (the default), or ``"ulaw"``/``"alaw"`` for
            8-bit G.711 (format tags 7 and 6), encoded with
            :func:`ulaw_encode`/:func:`alaw_encode`.

    Raises:
        TypeError: The samples are neither int16 nor float, or the rate is
            not an int.
        ValueError: Bad shape, a rate that is not positive, or an unknown
            encoding.
        OSError: The file cannot be written.
    """
    if encoding != "pcm16" and encoding not in _G711:
        raise ValueError(
            f"encoding must be 'pcm16', 'ulaw' or 'alaw', got {encoding!r}"
        )
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
    if isinstance(target, (str, os.PathLike)):
        with open(target, "wb") as handle:
            _write_encoded(handle, arr, channels, rate, encoding)
    else:
        _write_encoded(target, arr, channels, rate, encoding)


def _write_encoded(
    handle: BinaryIO,
    arr: npt.NDArray[np.int16],
    channels: int,
    rate: int,
    encoding: WavEncoding,
) -> None:
    if encoding == "pcm16":
        _write(handle, np.ascontiguousarray(arr, dtype="<i2").tobytes(), channels, rate)
        return
    encode = ulaw_encode if encoding == "ulaw" else alaw_encode
    codes = encode(arr.reshape(-1)).tobytes()  # (n, channels) frames stay interleaved
    handle.write(_g711_file(_G711[encoding], codes, channels, rate))


def _write(handle: BinaryIO, payload: bytes, channels: int, rate: int) -> None:
    with wave.open(handle, "wb") as writer:
        writer.setnchannels(channels)
        writer.setsampwidth(2)
        writer.setframerate(rate)
        # Declaring the length up front lets wave skip seeking back to patch it.
        writer.setnframes(len(payload) // (2 * channels))
        writer.writeframes(payload)


def _g711_file(tag: int, payload: bytes, channels: int, rate: int) -> bytes:
    """A whole G.711 WAV file: RIFF header, ``fmt``, ``fact`` and ``data`` chunks."""
    # The wave module writes PCM only. A non-PCM fmt chunk is WAVEFORMATEX: the
    # 16 PCM bytes, then cbSize (0 extra bytes here); the "fact" chunk holds the
    # number of samples per channel, "required for all new WAVE formats" (the
    # Multimedia Programming Interface and Data Specifications 1.0, "Fact Chunk").
    fmt = struct.pack("<HHIIHHH", tag, channels, rate, rate * channels, channels, 8, 0)
    fact = struct.pack("<I", len(payload) // channels)
    body = b"".join(
        (
            b"WAVE",
            b"fmt " + struct.pack("<I", len(fmt)) + fmt,
            b"fact" + struct.pack("<I", len(fact)) + fact,
            b"data" + struct.pack("<I", len(payload)) + payload,
            b"\x00" * (len(payload) & 1),  # chunks are padded to an even size
        )
    )
    return b"RIFF" + struct.pack("<I", len(body)) + body
