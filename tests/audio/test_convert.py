"""Float/PCM16 conversions, channel layouts, little-endian bytes and base64."""

from __future__ import annotations

import base64
import importlib.util
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from realtime_sync.audio import (
    b64decode_pcm16,
    b64encode_pcm16,
    float_to_pcm16,
    interleaved_to_planar,
    pcm16_from_bytes,
    pcm16_to_bytes,
    pcm16_to_float,
    planar_to_interleaved,
    to_mono,
)

ALL_INT16 = np.arange(-32768, 32768, dtype=np.int16)


def test_float_to_pcm16_known_values() -> None:
    """Clip to [-1, 1], scale by 32767, round to nearest (ties to even); NaN is 0."""
    x = np.array(
        [0.0, 1.0, -1.0, 0.5, -0.5, 2.0, -3.0, np.inf, -np.inf, np.nan, 1 / 32767]
    )
    expected = [0, 32767, -32767, 16384, -16384, 32767, -32767, 32767, -32767, 0, 1]
    assert float_to_pcm16(x).tolist() == expected
    assert float_to_pcm16(x.astype(np.float32)).dtype == np.int16


def test_pcm16_to_float_divides_by_32767() -> None:
    """32767 is exactly 1.0 and -32768 is just below -1."""
    y = pcm16_to_float(np.array([32767, 0, -32767, -32768], dtype=np.int16))
    assert y.dtype == np.float32
    assert y[:3].tolist() == [1.0, 0.0, -1.0]
    assert y[3] == np.float32(-32768 / 32767)
    assert pcm16_to_float(np.array([1], np.int16), dtype=np.float64).dtype == np.float64


def test_pcm16_float_round_trip_is_exact_except_minimum() -> None:
    """float_to_pcm16(pcm16_to_float(x)) == x for every int16 but -32768 (-> -32767)."""
    for dtype in (np.float32, np.float64):
        back = float_to_pcm16(pcm16_to_float(ALL_INT16, dtype=dtype))
        np.testing.assert_array_equal(back[1:], ALL_INT16[1:])
        assert back[0] == -32767


@given(hnp.arrays(np.float64, st.integers(0, 200), elements=st.floats(-1, 1)))
def test_float_round_trip_within_half_step(x: np.ndarray) -> None:
    """pcm16_to_float(float_to_pcm16(x)) is within half a quantisation step of x."""
    back = pcm16_to_float(float_to_pcm16(x), dtype=np.float64)
    assert np.all(np.abs(back - x) <= 0.5 / 32767 + 1e-12)


def test_conversions_reject_wrong_dtypes() -> None:
    """float_to_pcm16 wants floats; pcm16_to_float and pcm16_to_bytes want int16."""
    with pytest.raises(TypeError, match="float"):
        float_to_pcm16(np.zeros(3, dtype=np.int16))
    with pytest.raises(TypeError, match="int16"):
        pcm16_to_float(np.zeros(3, dtype=np.float32))
    with pytest.raises(TypeError, match="float_to_pcm16"):
        pcm16_to_bytes(np.zeros(3, dtype=np.float64))
    with pytest.raises(TypeError, match="pcm16_from_bytes"):
        pcm16_to_float(b"\x00\x00")
    with pytest.raises(TypeError):
        pcm16_to_float(np.zeros(3, dtype=np.int16), dtype=np.int32)


def test_pcm16_bytes_are_little_endian() -> None:
    """Bytes are <i2 whatever the array's byte order."""
    assert (
        pcm16_to_bytes(np.array([1, -2, 256], dtype=np.int16))
        == b"\x01\x00\xfe\xff\x00\x01"
    )
    assert pcm16_to_bytes(np.array([1, -2], dtype=">i2")) == b"\x01\x00\xfe\xff"
    decoded = pcm16_from_bytes(b"\x01\x00\xfe\xff\x00\x01")
    assert decoded.dtype == np.int16
    assert decoded.dtype.isnative
    assert decoded.tolist() == [1, -2, 256]


def test_pcm16_from_bytes_ignores_odd_trailing_byte() -> None:
    """A trailing half sample is dropped, not an error; the result is writable."""
    decoded = pcm16_from_bytes(bytearray(b"\x01\x00\x02"))
    assert decoded.tolist() == [1]
    decoded[0] = 5  # a copy, not a read-only view of the bytes
    assert pcm16_from_bytes(memoryview(b"")).shape == (0,)


@given(hnp.arrays(np.int16, st.integers(0, 300)))
def test_bytes_round_trip(x: np.ndarray) -> None:
    """pcm16_from_bytes(pcm16_to_bytes(x)) == x."""
    np.testing.assert_array_equal(pcm16_from_bytes(pcm16_to_bytes(x)), x)


@given(hnp.arrays(np.int16, st.integers(0, 300)))
def test_base64_round_trip_and_matches_stdlib(x: np.ndarray) -> None:
    """b64encode_pcm16 equals stdlib base64 of <i2 bytes and decodes back."""
    text = b64encode_pcm16(x)
    assert text == base64.b64encode(x.astype("<i2").tobytes()).decode("ascii")
    np.testing.assert_array_equal(b64decode_pcm16(text), x)
    np.testing.assert_array_equal(b64decode_pcm16(text.encode("ascii")), x)


@given(st.binary(max_size=301))
def test_base64_decode_matches_stdlib_and_tolerates_odd_bytes(raw: bytes) -> None:
    """Any payload decodes, odd lengths too: only the trailing half sample goes."""
    decoded = b64decode_pcm16(base64.b64encode(raw).decode("ascii"))
    usable = len(raw) - len(raw) % 2
    assert decoded.tolist() == np.frombuffer(raw[:usable], "<i2").tolist()


@pytest.mark.skipif(
    importlib.util.find_spec("pybase64") is None, reason="pybase64 not installed"
)
@given(st.binary(max_size=500))
def test_pybase64_and_stdlib_agree(raw: bytes) -> None:
    """pybase64, used when installed, encodes and decodes exactly like base64."""
    import pybase64

    encoded = base64.b64encode(raw)
    assert pybase64.b64encode(raw) == encoded
    assert pybase64.b64decode(encoded.decode("ascii")) == base64.b64decode(encoded)


@pytest.mark.parametrize("backend", ["installed", "stdlib"])
def test_base64_decode_gives_a_writable_array_of_its_own(
    backend: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Decoded samples: native int16, writable, not shared between calls.

    With pybase64 or without it; text outside the alphabet is skipped, as the
    standard library's lenient decode does.
    """
    from realtime_sync import _b64

    if backend == "stdlib":
        monkeypatch.setattr(_b64, "_decode", base64.b64decode)
        monkeypatch.setattr(_b64, "_decode_writable", None)
    raw = np.array([1, -2, 32767, -32768], dtype="<i2").tobytes() + b"\x05"
    text = base64.b64encode(raw).decode("ascii")
    first, second = b64decode_pcm16(text), b64decode_pcm16(text)
    assert first.dtype == np.dtype(np.int16) and first.flags.writeable
    assert first.tolist() == [1, -2, 32767, -32768]
    first[0] = 99
    assert second[0] == 1
    lenient = b64decode_pcm16(text[:4] + "\n" + text[4:])
    assert lenient.tolist() == [1, -2, 32767, -32768]


def test_base64_rejects_bad_padding_and_types() -> None:
    """Malformed base64 raises ValueError (binascii.Error); non-text TypeError."""
    with pytest.raises(ValueError):
        b64decode_pcm16("AAA")
    with pytest.raises(TypeError):
        b64decode_pcm16(123)  # type: ignore[arg-type]


def test_interleaved_planar_round_trip() -> None:
    """(n, ch) frames become (ch, n) rows and back; flat input needs channels."""
    frames = np.arange(12, dtype=np.int16).reshape(6, 2)
    planar = interleaved_to_planar(frames)
    assert planar.tolist() == [[0, 2, 4, 6, 8, 10], [1, 3, 5, 7, 9, 11]]
    assert planar.flags.c_contiguous
    np.testing.assert_array_equal(
        interleaved_to_planar(frames.ravel(), channels=2), planar
    )
    back = planar_to_interleaved(planar)
    np.testing.assert_array_equal(back, frames)
    assert back.flags.c_contiguous
    assert back.tobytes() == frames.tobytes()


@pytest.mark.parametrize(
    ("args", "match"),
    [
        ((np.zeros(5),), "channels"),
        ((np.zeros(5), 2), "divide"),
        ((np.zeros((2, 2, 2)),), "shape"),
        ((np.zeros((4, 3)), 2), "channel"),
    ],
)
def test_interleaved_to_planar_rejects_bad_shapes(
    args: tuple[Any, ...], match: str
) -> None:
    """Bad flat lengths, missing channel counts and 3-D arrays raise ValueError."""
    with pytest.raises(ValueError, match=match):
        interleaved_to_planar(*args)


def test_planar_to_interleaved_rejects_1d() -> None:
    """planar_to_interleaved needs (channels, n)."""
    with pytest.raises(ValueError):
        planar_to_interleaved(np.zeros(4))


def test_to_mono_averages_channels() -> None:
    """Stereo averages to mono; int16 means are rounded; mono is copied."""
    stereo = np.array([[100, 201], [-3, -4], [32767, 32767]], dtype=np.int16)
    assert to_mono(stereo).tolist() == [150, -4, 32767]  # 150.5 -> 150 (ties to even)
    floats = np.array([[0.5, 0.25], [1.0, -1.0]], dtype=np.float32)
    mono = to_mono(floats)
    assert mono.dtype == np.float32
    assert mono.tolist() == [0.375, 0.0]
    one = np.array([1, 2], dtype=np.int16)
    assert to_mono(one) is not one
    with pytest.raises(TypeError):
        to_mono(np.zeros((2, 2), dtype=np.int32))
    with pytest.raises(ValueError):
        to_mono(np.zeros((2, 2, 2)))
