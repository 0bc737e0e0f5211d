"""WAV reading (8/16/24/32-bit PCM, 32-bit float, G.711) and PCM16/G.711 writing."""

from __future__ import annotations

import io
import shutil
import struct
import subprocess
import wave
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from realtime_sync.audio import (
    alaw_decode,
    alaw_encode,
    float_to_pcm16,
    read_wav,
    ulaw_decode,
    ulaw_encode,
    write_wav,
)

PCM, FLOAT, ALAW, MULAW, EXTENSIBLE = 1, 3, 6, 7, 0xFFFE
GUID_TAIL = b"\x00\x00\x00\x00\x10\x00\x80\x00\x00\xaa\x00\x38\x9b\x71"


def wave_bytes(frames: bytes, width: int, channels: int, rate: int) -> bytes:
    """A PCM WAV written by the stdlib wave module."""
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as writer:
        writer.setnchannels(channels)
        writer.setsampwidth(width)
        writer.setframerate(rate)
        writer.writeframes(frames)
    return buffer.getvalue()


def riff_bytes(
    payload: bytes,
    *,
    tag: int,
    bits: int,
    channels: int = 1,
    rate: int = 16000,
    subformat: int | None = None,
    extra_chunks: bytes = b"",
) -> bytes:
    """A hand-built RIFF/WAVE file (formats the wave module cannot write)."""
    align = channels * bits // 8
    fmt = struct.pack("<HHIIHH", tag, channels, rate, rate * align, align, bits)
    if tag == EXTENSIBLE:
        assert subformat is not None
        fmt += (
            struct.pack("<HHI", 22, bits, 0) + struct.pack("<H", subformat) + GUID_TAIL
        )
    body = b"WAVE" + b"fmt " + struct.pack("<I", len(fmt)) + fmt + extra_chunks
    body += (
        b"data"
        + struct.pack("<I", len(payload))
        + payload
        + b"\x00" * (len(payload) & 1)
    )
    return b"RIFF" + struct.pack("<I", len(body)) + body


@given(
    samples=hnp.arrays(np.int16, st.tuples(st.integers(0, 300), st.integers(1, 3))),
    rate=st.sampled_from([8000, 16000, 24000, 44100, 48000]),
)
def test_16_bit_round_trip(samples: np.ndarray, rate: int) -> None:
    """write_wav then read_wav gives back the int16 frames and rate."""
    if samples.shape[1] == 1:
        samples = samples[:, 0]
    buffer = io.BytesIO()
    write_wav(buffer, samples, rate)
    buffer.seek(0)
    back, back_rate = read_wav(buffer)
    assert back_rate == rate
    assert back.dtype == np.int16
    np.testing.assert_array_equal(back, samples)


def test_write_wav_is_readable_by_wave_module(tmp_path: Path) -> None:
    """The written file is a standard 16-bit PCM WAV (checked with the wave module)."""
    path = tmp_path / "out.wav"
    stereo = np.arange(20, dtype=np.int16).reshape(10, 2)
    write_wav(path, stereo, 24000)
    with wave.open(str(path), "rb") as reader:
        assert (
            reader.getnchannels(),
            reader.getsampwidth(),
            reader.getframerate(),
        ) == (2, 2, 24000)
        assert reader.readframes(10) == stereo.astype("<i2").tobytes()
    back, _ = read_wav(str(path))
    np.testing.assert_array_equal(back, stereo)


def test_write_wav_converts_float_with_float_to_pcm16() -> None:
    """Float input is clipped, scaled by 32767 and rounded before writing."""
    x = np.array([0.0, 0.5, -1.5, 1.0, 0.25], dtype=np.float32)
    buffer = io.BytesIO()
    write_wav(buffer, x, 8000)
    back, _ = read_wav(io.BytesIO(buffer.getvalue()))
    np.testing.assert_array_equal(back, float_to_pcm16(x))


def test_write_wav_to_unseekable_stream() -> None:
    """Writing does not need to seek back (the length is declared up front)."""

    class Sink(io.RawIOBase):
        def __init__(self) -> None:
            self.data = bytearray()

        def writable(self) -> bool:
            return True

        def write(self, b: bytes) -> int:  # type: ignore[override]
            self.data += b
            return len(b)

    sink = Sink()
    write_wav(sink, np.arange(5, dtype=np.int16), 16000)  # type: ignore[arg-type]
    assert read_wav(io.BytesIO(bytes(sink.data)))[0].tolist() == [0, 1, 2, 3, 4]


def test_reads_8_bit_unsigned() -> None:
    """8-bit WAV (unsigned, 128 = silence) comes back as int16 scaled by 256."""
    data = wave_bytes(bytes([0, 128, 255, 1]), width=1, channels=1, rate=8000)
    samples, rate = read_wav(io.BytesIO(data))
    assert rate == 8000
    assert samples.dtype == np.int16
    assert samples.tolist() == [-32768, 0, 32512, -32512]


def test_reads_24_bit_as_float32() -> None:
    """24-bit PCM becomes float32 = value / 2**23, sign-extended, stereo as (n, 2)."""
    values = [0, 1, -1, 8388607, -8388608, 4194304]
    frames = b"".join(struct.pack("<i", v)[:3] for v in values)
    samples, rate = read_wav(
        io.BytesIO(wave_bytes(frames, width=3, channels=2, rate=48000))
    )
    assert rate == 48000
    assert samples.dtype == np.float32
    assert samples.shape == (3, 2)
    np.testing.assert_array_equal(samples.ravel(), np.array(values) / 2**23)


def test_reads_32_bit_int_as_float32() -> None:
    """32-bit PCM becomes float32 = value / 2**31."""
    values = np.array([0, 2**30, -(2**31), 2**31 - 1], dtype="<i4")
    samples, _ = read_wav(
        io.BytesIO(wave_bytes(values.tobytes(), width=4, channels=1, rate=16000))
    )
    assert samples.dtype == np.float32
    np.testing.assert_allclose(samples, values / 2**31, rtol=1e-7)


def test_reads_32_bit_float() -> None:
    """IEEE float WAV (format tag 3), which the wave module refuses, is read as is."""
    values = np.array([0.0, 0.5, -0.25, 1.0, -1.0], dtype="<f4")
    data = riff_bytes(values.tobytes(), tag=FLOAT, bits=32, rate=22050)
    samples, rate = read_wav(io.BytesIO(data))
    assert rate == 22050
    assert samples.dtype == np.float32
    assert samples.tolist() == values.tolist()


def test_reads_extensible_float_and_pcm(tmp_path: Path) -> None:
    """WAVE_FORMAT_EXTENSIBLE with a PCM or float sub-format is accepted."""
    floats = np.array([[0.5, -0.5], [0.25, 0.0]], dtype="<f4")
    path = tmp_path / "ext.wav"
    path.write_bytes(
        riff_bytes(
            floats.tobytes(), tag=EXTENSIBLE, bits=32, channels=2, subformat=FLOAT
        )
    )
    samples, _ = read_wav(path)
    np.testing.assert_array_equal(samples, floats)
    ints = np.array([1, -2, 3], dtype="<i2")
    samples, _ = read_wav(
        io.BytesIO(riff_bytes(ints.tobytes(), tag=EXTENSIBLE, bits=16, subformat=PCM))
    )
    assert samples.tolist() == [1, -2, 3]


def test_skips_unknown_and_odd_sized_chunks() -> None:
    """Chunks before data are skipped, honouring the pad byte after odd sizes."""
    extra = b"LIST" + struct.pack("<I", 5) + b"INFOx" + b"\x00"
    ints = np.array([7, -7], dtype="<i2")
    samples, _ = read_wav(
        io.BytesIO(riff_bytes(ints.tobytes(), tag=PCM, bits=16, extra_chunks=extra))
    )
    assert samples.tolist() == [7, -7]


def test_truncated_data_is_read_up_to_whole_frames() -> None:
    """A data chunk longer than the file (a streamed WAV) yields the whole frames."""
    data = bytearray(riff_bytes(np.arange(4, dtype="<i2").tobytes(), tag=PCM, bits=16))
    data = data[:-1]  # cut in the middle of the last sample
    assert read_wav(io.BytesIO(bytes(data)))[0].tolist() == [0, 1, 2]


@pytest.mark.parametrize(
    ("data", "match"),
    [
        (riff_bytes(np.zeros(2, "<f8").tobytes(), tag=FLOAT, bits=64), "64-bit float"),
        (riff_bytes(bytes(4), tag=ALAW, bits=16), "16-bit A-law"),
        (riff_bytes(bytes(4), tag=MULAW, bits=16), "16-bit mu-law"),
        (riff_bytes(bytes(4), tag=0x55, bits=16), "MPEG Layer 3"),
        (riff_bytes(bytes(4), tag=2, bits=4), "ADPCM"),
        (riff_bytes(bytes(4), tag=0x1234, bits=16), "0x1234"),
        (riff_bytes(bytes(4), tag=EXTENSIBLE, bits=16, subformat=2), "ADPCM"),
        (b"RIFX" + bytes(4) + b"WAVE", "RIFX"),
        (b"OggS" + bytes(40), "not a WAV"),
        (b"RIFF" + struct.pack("<I", 4) + b"WAVE", "fmt"),
    ],
)
def test_unsupported_formats_raise_value_error_naming_them(
    data: bytes, match: str
) -> None:
    """Other formats raise a ValueError that names the format."""
    with pytest.raises(ValueError, match=match):
        read_wav(io.BytesIO(data))


def test_write_wav_rejects_bad_input() -> None:
    """Non-audio dtypes, 3-D arrays and bad rates are refused."""
    with pytest.raises(TypeError):
        write_wav(io.BytesIO(), np.zeros(3, dtype=np.int32), 8000)
    with pytest.raises(ValueError):
        write_wav(io.BytesIO(), np.zeros((2, 2, 2), dtype=np.int16), 8000)
    with pytest.raises(ValueError):
        write_wav(io.BytesIO(), np.zeros(3, dtype=np.int16), 0)
    with pytest.raises(TypeError):
        write_wav(io.BytesIO(), np.zeros(3, dtype=np.int16), 8000.0)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="encoding"):
        write_wav(io.BytesIO(), np.zeros(3, dtype=np.int16), 8000, encoding="pcmu")  # type: ignore[arg-type]


# -- G.711 (telephony) -------------------------------------------------------------

ALL_CODES = bytes(range(256))


@pytest.mark.parametrize(
    ("tag", "decode", "known"),
    [
        # mu-law: 0xFF is +0, 0x7F -0; 0x00 and 0x80 are the extremes.
        (MULAW, ulaw_decode, {0xFF: 0, 0x7F: 0, 0x00: -32124, 0x80: 32124}),
        # A-law: no zero level; 0xD5/0x55 are the smallest levels, 0xAA/0x2A the largest.
        (ALAW, alaw_decode, {0xD5: 8, 0x55: -8, 0xAA: 32256, 0x2A: -32256}),
    ],
    ids=["mu-law", "A-law"],
)
def test_reads_g711_as_int16(tag: int, decode: object, known: dict[int, int]) -> None:
    """mu-law (tag 7) and A-law (tag 6) files come back decoded to int16."""
    samples, rate = read_wav(
        io.BytesIO(riff_bytes(ALL_CODES, tag=tag, bits=8, rate=8000))
    )

    assert rate == 8000
    assert samples.dtype == np.int16
    assert samples.shape == (256,)
    np.testing.assert_array_equal(samples, decode(ALL_CODES))  # type: ignore[operator]
    for code, level in known.items():
        assert samples[code] == level


def test_reads_g711_stereo_with_fact_chunk_and_extensible() -> None:
    """A WAVEFORMATEX fmt (cbSize 0), a fact chunk, stereo, and EXTENSIBLE mu-law."""
    codes = bytes([0x00, 0x80, 0xFF, 0x7F, 0x10, 0x90])
    fmt = struct.pack("<HHIIHHH", MULAW, 2, 8000, 16000, 2, 8, 0)
    fact = b"fact" + struct.pack("<II", 4, 3)
    body = b"WAVE" + b"fmt " + struct.pack("<I", len(fmt)) + fmt + fact
    body += b"data" + struct.pack("<I", len(codes)) + codes
    data = b"RIFF" + struct.pack("<I", len(body)) + body

    samples, rate = read_wav(io.BytesIO(data))

    assert rate == 8000
    assert samples.shape == (3, 2)
    np.testing.assert_array_equal(samples.ravel(), ulaw_decode(codes))
    extensible = riff_bytes(codes, tag=EXTENSIBLE, bits=8, subformat=ALAW)
    np.testing.assert_array_equal(
        read_wav(io.BytesIO(extensible))[0], alaw_decode(codes)
    )


@pytest.mark.parametrize(("encoding", "tag"), [("ulaw", MULAW), ("alaw", ALAW)])
def test_write_g711_bytes(encoding: str, tag: int) -> None:
    """The file is RIFF, an 18-byte fmt (tag, 8 bits, cbSize 0), fact, then the codes."""
    samples = np.array([[0, 1000], [-1000, 32767], [-32768, 5]], dtype=np.int16)
    out = io.BytesIO()

    write_wav(out, samples, 8000, encoding=encoding)  # type: ignore[arg-type]

    encode = ulaw_encode if encoding == "ulaw" else alaw_encode
    codes = encode(samples.ravel()).tobytes()
    expected = (
        b"RIFF"
        + struct.pack("<I", 4 + 26 + 12 + 8 + 6)
        + b"WAVE"
        + b"fmt "
        + struct.pack("<IHHIIHHH", 18, tag, 2, 8000, 16000, 2, 8, 0)
        + b"fact"
        + struct.pack("<II", 4, 3)
        + b"data"
        + struct.pack("<I", 6)
        + codes
    )
    assert out.getvalue() == expected


def test_write_g711_pads_odd_data_and_needs_no_seek(tmp_path: Path) -> None:
    """Odd-length data gets its pad byte; a path works like a stream."""
    path = tmp_path / "odd.wav"
    write_wav(path, np.array([1, 2, 3], dtype=np.int16), 8000, encoding="alaw")

    data = path.read_bytes()
    assert len(data) % 2 == 0
    assert struct.unpack_from("<I", data, 4)[0] == len(data) - 8
    samples, _ = read_wav(path)
    np.testing.assert_array_equal(
        samples, alaw_decode(alaw_encode(np.array([1, 2, 3], dtype=np.int16)))
    )


@given(
    samples=hnp.arrays(np.int16, st.tuples(st.integers(0, 300), st.integers(1, 3))),
    encoding=st.sampled_from(["ulaw", "alaw"]),
)
def test_g711_round_trip(samples: np.ndarray, encoding: str) -> None:
    """Reading a written G.711 file gives decode(encode(samples)), shape kept."""
    out = io.BytesIO()
    write_wav(out, samples, 8000, encoding=encoding)  # type: ignore[arg-type]
    back, rate = read_wav(io.BytesIO(out.getvalue()))

    encode, decode = (
        (ulaw_encode, ulaw_decode) if encoding == "ulaw" else (alaw_encode, alaw_decode)
    )
    expected = decode(encode(samples.ravel()))
    assert rate == 8000
    assert back.dtype == np.int16
    if samples.shape[1] == 1:
        np.testing.assert_array_equal(back, expected)
    else:
        np.testing.assert_array_equal(back, expected.reshape(samples.shape))


SOX = shutil.which("sox")


@pytest.mark.skipif(SOX is None, reason="sox is not installed")
@pytest.mark.parametrize(
    ("encoding", "sox_name", "dropped_bits"),
    [("ulaw", "u-law", 2), ("alaw", "a-law", 3)],
)
def test_g711_agrees_with_sox(
    tmp_path: Path, encoding: str, sox_name: str, dropped_bits: int
) -> None:
    """SoX's G.711 WAV files read as SoX decodes them; SoX decodes ours as we do."""
    assert SOX is not None
    encode, decode = (
        (ulaw_encode, ulaw_decode) if encoding == "ulaw" else (alaw_encode, alaw_decode)
    )

    def sox(*args: str) -> None:
        # -D: no dither, which SoX adds whenever it reduces the bit depth.
        subprocess.run([SOX, "-D", *args], check=True, capture_output=True)

    # All 256 codes, put into a WAV file by SoX (its fmt/fact layout, not ours).
    (tmp_path / "codes.raw").write_bytes(ALL_CODES)
    raw = ["-t", "raw", "-e", sox_name, "-b", "8", "-r", "8000", "-c", "1"]
    sox(*raw, str(tmp_path / "codes.raw"), str(tmp_path / "codes.wav"))
    samples, rate = read_wav(tmp_path / "codes.wav")
    assert rate == 8000
    np.testing.assert_array_equal(samples, decode(ALL_CODES))

    # SoX encoding 16-bit PCM. It rounds to 14 (mu-law) or 13 (A-law) bits where
    # g711.c truncates, so compare with our encoding of the rounded samples.
    rng = np.random.default_rng(7)
    pcm = rng.integers(-32768, 32768, 4000, dtype=np.int16)
    write_wav(tmp_path / "pcm.wav", pcm, 8000)
    sox(str(tmp_path / "pcm.wav"), "-e", sox_name, str(tmp_path / "sox.wav"))
    half, mask = 1 << (dropped_bits - 1), ~((1 << dropped_bits) - 1)
    rounded = np.clip((pcm.astype(np.int32) + half) & mask, -32768, 32767)
    samples, _ = read_wav(tmp_path / "sox.wav")
    np.testing.assert_array_equal(samples, decode(encode(rounded.astype(np.int16))))

    # Our file: SoX accepts it and decodes it to the same 16-bit samples.
    write_wav(tmp_path / "ours.wav", pcm, 8000, encoding=encoding)  # type: ignore[arg-type]
    sox(
        str(tmp_path / "ours.wav"),
        "-e",
        "signed-integer",
        "-b",
        "16",
        str(tmp_path / "back.wav"),
    )
    back, _ = read_wav(tmp_path / "back.wav")
    np.testing.assert_array_equal(back, decode(encode(pcm)))
