"""G.711 mu-law and A-law: bit-exact tables, round trips, published values."""

from __future__ import annotations

import warnings
from types import ModuleType

import numpy as np
import pytest

from realtime_sync.audio import alaw_decode, alaw_encode, ulaw_decode, ulaw_encode

ALL_INT16 = np.arange(-32768, 32768, dtype=np.int16)
ALL_CODES = np.arange(256, dtype=np.uint8)


# An independent scalar reading of the G.711 reference algorithm (Sun's g711.c,
# as in CPython's audioop): segments found with bit_length() rather than a
# table search, decoding written in closed form.


def ref_ulaw_encode(sample: int) -> int:
    value = sample >> 2  # 14-bit two's complement
    sign = 0x80 if value < 0 else 0x00  # inverted below: positive codes are >= 0x80
    biased = min(abs(value), 8159) + 33  # clip, add the bias 0x84 >> 2
    segment = biased.bit_length() - 6  # segment k holds 2**(5 + k) .. 2**(6 + k) - 1
    if segment > 7:
        return ~(sign | 0x7F) & 0xFF
    mantissa = (biased >> (segment + 1)) & 0x0F
    return ~(sign | (segment << 4) | mantissa) & 0xFF


def ref_ulaw_decode(code: int) -> int:
    inverted = ~code & 0xFF
    segment = (inverted >> 4) & 0x07
    mantissa = inverted & 0x0F
    magnitude = ((2 * mantissa + 33) << (segment + 2)) - 132
    return -magnitude if inverted & 0x80 else magnitude


def ref_alaw_encode(sample: int) -> int:
    value = sample >> 3  # 13-bit two's complement
    if value >= 0:
        sign, magnitude = 0x80, value
    else:
        sign, magnitude = 0x00, -value - 1  # one's complement magnitude
    segment = max(magnitude.bit_length() - 5, 0)
    mantissa = (magnitude >> max(segment, 1)) & 0x0F
    return (sign | (segment << 4) | mantissa) ^ 0x55


def ref_alaw_decode(code: int) -> int:
    toggled = code ^ 0x55
    segment = (toggled >> 4) & 0x07
    mantissa = toggled & 0x0F
    if segment == 0:
        magnitude = (mantissa << 4) + 8
    else:
        magnitude = (2 * mantissa + 33) << (segment + 2)
    return magnitude if toggled & 0x80 else -magnitude


def test_ulaw_encode_matches_scalar_reference_for_all_int16() -> None:
    """ulaw_encode equals the scalar G.711 algorithm on all 65,536 inputs."""
    expected = [ref_ulaw_encode(int(x)) for x in ALL_INT16]
    assert ulaw_encode(ALL_INT16).tolist() == expected


def test_alaw_encode_matches_scalar_reference_for_all_int16() -> None:
    """alaw_encode equals the scalar G.711 algorithm on all 65,536 inputs."""
    expected = [ref_alaw_encode(int(x)) for x in ALL_INT16]
    assert alaw_encode(ALL_INT16).tolist() == expected


def test_decoders_match_scalar_reference_for_all_codes() -> None:
    """ulaw_decode and alaw_decode equal the closed forms on all 256 codes."""
    assert ulaw_decode(ALL_CODES).tolist() == [ref_ulaw_decode(c) for c in range(256)]
    assert alaw_decode(ALL_CODES).tolist() == [ref_alaw_decode(c) for c in range(256)]


@pytest.mark.parametrize(
    ("code", "value"),
    [
        (0xFF, 0),
        (0x7F, 0),
        (0x80, 32124),
        (0x00, -32124),
        (0xFE, 8),
        (0x7E, -8),
        (0xF0, 120),
        (0xEF, 132),
    ],
)
def test_ulaw_published_values(code: int, value: int) -> None:
    """Known mu-law decodings (G.711 table 2, reference g711.c)."""
    assert ulaw_decode(bytes([code])).tolist() == [value]


@pytest.mark.parametrize(
    ("code", "value"),
    [(0xD5, 8), (0x55, -8), (0xAA, 32256), (0x2A, -32256), (0xD4, 24), (0xC5, 264)],
)
def test_alaw_published_values(code: int, value: int) -> None:
    """Known A-law decodings (G.711 table 1, reference g711.c)."""
    assert alaw_decode(bytes([code])).tolist() == [value]


@pytest.mark.parametrize(
    ("sample", "ulaw", "alaw"),
    [
        (0, 0xFF, 0xD5),
        (-1, 0x7E, 0x55),
        (32767, 0x80, 0xAA),
        (-32768, 0x00, 0x2A),
        (32635, 0x80, 0xAA),
    ],
)
def test_encoder_edge_values(sample: int, ulaw: int, alaw: int) -> None:
    """Zero, -1 and the clipping extremes encode as the reference does."""
    x = np.array([sample], dtype=np.int16)
    assert ulaw_encode(x).tolist() == [ulaw]
    assert alaw_encode(x).tolist() == [alaw]


def test_ulaw_round_trips() -> None:
    """decode(encode(decode(c))) == decode(c); encode(decode(c)) == c but for 0x7F."""
    decoded = ulaw_decode(ALL_CODES)
    np.testing.assert_array_equal(ulaw_decode(ulaw_encode(decoded)), decoded)
    reencoded = ulaw_encode(decoded)
    differs = np.nonzero(reencoded != ALL_CODES)[0].tolist()
    assert differs == [0x7F]  # negative zero re-encodes as positive zero
    assert reencoded[0x7F] == 0xFF


def test_alaw_round_trips() -> None:
    """A-law has no negative zero: encode(decode(c)) == c for all 256 codes."""
    decoded = alaw_decode(ALL_CODES)
    np.testing.assert_array_equal(alaw_encode(decoded), ALL_CODES)
    np.testing.assert_array_equal(alaw_decode(alaw_encode(decoded)), decoded)


def test_quantisation_is_monotonic() -> None:
    """Decoding the encoding of increasing samples never decreases."""
    assert np.all(np.diff(ulaw_decode(ulaw_encode(ALL_INT16)).astype(np.int32)) >= 0)
    assert np.all(np.diff(alaw_decode(alaw_encode(ALL_INT16)).astype(np.int32)) >= 0)


def test_shapes_and_input_types() -> None:
    """Array shape is kept; decoders take bytes; encoders refuse floats and bytes."""
    block = ALL_INT16[:12].reshape(3, 4)
    assert ulaw_encode(block).shape == (3, 4)
    assert alaw_decode(np.zeros((2, 5), np.uint8)).shape == (2, 5)
    assert ulaw_decode(bytearray(b"\xff\xff")).tolist() == [0, 0]
    with pytest.raises(TypeError, match="int16"):
        ulaw_encode(np.zeros(3, dtype=np.float32))
    with pytest.raises(TypeError, match="pcm16_from_bytes"):
        alaw_encode(b"\x00\x00")
    with pytest.raises(TypeError, match="uint8"):
        ulaw_decode(np.zeros(3, dtype=np.int16))


def _audioop() -> ModuleType | None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        try:
            import audioop
        except ImportError:
            return None
    return audioop


@pytest.mark.skipif(_audioop() is None, reason="audioop not available (Python >= 3.13)")
def test_matches_audioop() -> None:
    """Bit-exact with audioop.lin2ulaw/ulaw2lin/lin2alaw/alaw2lin where it exists."""
    audioop = _audioop()
    assert audioop is not None
    pcm = ALL_INT16.astype("<i2").tobytes()
    codes = ALL_CODES.tobytes()
    assert ulaw_encode(ALL_INT16).tobytes() == audioop.lin2ulaw(pcm, 2)
    assert alaw_encode(ALL_INT16).tobytes() == audioop.lin2alaw(pcm, 2)
    assert ulaw_decode(codes).astype("<i2").tobytes() == audioop.ulaw2lin(codes, 2)
    assert alaw_decode(codes).astype("<i2").tobytes() == audioop.alaw2lin(codes, 2)
