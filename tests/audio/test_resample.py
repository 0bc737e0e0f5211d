"""Resampler: lengths, dtypes, chunking invariance, filter quality, errors."""

from __future__ import annotations

import sys
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest
from hypothesis import given
from hypothesis import strategies as st

from realtime_sync.audio import Resampler
from realtime_sync.audio._filter import design_filter

# The pairs the SDK meets (microphones, telephony, the API's 24 kHz) plus odd ones.
LISTED_PAIRS = [
    (48000, 24000),
    (44100, 24000),
    (16000, 24000),
    (8000, 24000),
    (24000, 8000),
    (24000, 48000),
]
PAIRS = [*LISTED_PAIRS, (44100, 48000), (22050, 16000), (7, 5), (3, 1), (24000, 24000)]
DTYPES = [np.int16, np.float32, np.float64]


def _signal(n: int, dtype: Any, seed: int) -> npt.NDArray[Any]:
    rng = np.random.default_rng(seed)
    x = rng.uniform(-1.0, 1.0, n)
    if np.dtype(dtype) == np.int16:
        return (x * 32767).astype(np.int16)
    return x.astype(dtype)


def _run(r: Resampler, x: npt.NDArray[Any], sizes: list[int]) -> npt.NDArray[Any]:
    parts = []
    pos = 0
    for size in sizes:
        parts.append(r.process(x[pos : pos + size]))
        pos += size
    parts.append(r.process(x[pos:]))
    parts.append(r.flush())
    return np.concatenate(parts)


def _oneshot(r: Resampler, x: npt.NDArray[Any]) -> npt.NDArray[Any]:
    return np.concatenate([r.process(x), r.flush()])


def _tone(freq: float, rate: int, seconds: float) -> npt.NDArray[np.float64]:
    t = np.arange(int(rate * seconds)) / rate
    return np.sin(2 * np.pi * freq * t + 0.25)


def _middle(y: npt.NDArray[Any], rate: int) -> npt.NDArray[Any]:
    edge = rate // 20  # drop 50 ms at both ends (start-up and flush transients)
    return y[edge:-edge]


def _rms_db(y: npt.NDArray[Any]) -> float:
    return float(10 * np.log10(np.mean(np.square(y, dtype=np.float64)) + 1e-300))


sizes_strategy = st.lists(
    st.one_of(st.integers(0, 2), st.integers(0, 40), st.integers(0, 1500)),
    max_size=12,
)


@given(
    pair=st.sampled_from(PAIRS),
    n=st.integers(0, 5000),
    dtype=st.sampled_from(DTYPES),
)
def test_total_length_and_dtype(pair: tuple[int, int], n: int, dtype: Any) -> None:
    """process() + flush() yields ceil(n * to / from) samples in the input dtype."""
    fr, to = pair
    r = Resampler(fr, to)
    out = _oneshot(r, _signal(n, dtype, n))
    assert out.dtype == np.dtype(dtype)
    assert out.shape == (-(-n * to // fr),)


@given(pair=st.sampled_from(PAIRS), n=st.integers(0, 5000))
def test_process_holds_back_only_the_filter_delay(
    pair: tuple[int, int], n: int
) -> None:
    """After n inputs, process() has emitted every output whose support is complete."""
    fr, to = pair
    r = Resampler(fr, to)
    out = r.process(_signal(n, np.float32, 1))
    assert r.latency_ms is not None
    expected_total = n * to / fr
    held = expected_total - len(out)
    # Held back: the filter delay in output samples, rounded up to whole samples.
    assert 0 <= held <= r.latency_ms * to / 1000 + 1
    if fr == to:
        assert held == 0


@given(
    pair=st.sampled_from(PAIRS),
    n=st.integers(0, 4000),
    sizes=sizes_strategy,
    dtype=st.sampled_from(DTYPES),
)
def test_chunking_does_not_change_output(
    pair: tuple[int, int], n: int, sizes: list[int], dtype: Any
) -> None:
    """Random chunk splits (0 and 1 sample included) equal one-shot output.

    Both are computed by BLAS calls of identical shape, so they are expected
    bit-identical; the assertion allows 1e-6 for float and exact equality
    for int16.
    """
    fr, to = pair
    x = _signal(n, dtype, n + len(sizes))
    r = Resampler(fr, to)
    whole = _oneshot(r, x)
    chunked = _run(r, x, sizes)  # flush() reset the stream
    assert chunked.dtype == whole.dtype
    assert chunked.shape == whole.shape
    if np.dtype(dtype) == np.int16:
        np.testing.assert_array_equal(chunked, whole)
    else:
        np.testing.assert_allclose(chunked, whole, rtol=0, atol=1e-6)


@given(sizes=st.lists(st.integers(1, 700), min_size=1, max_size=30))
def test_sine_has_no_seams(sizes: list[int]) -> None:
    """A sine cut at random points resamples exactly as in one piece (no seams)."""
    x = (0.8 * _tone(440.0, 44100, 0.25)).astype(np.float32)
    r = Resampler(44100, 24000)
    whole = _oneshot(r, x)
    chunked = _run(r, x, sizes)
    np.testing.assert_allclose(chunked, whole, rtol=0, atol=1e-6)
    # And the one-shot output itself is the smooth sine, no step anywhere.
    assert (
        np.max(np.abs(np.diff(_middle(whole, 24000))))
        < 0.8 * 2 * np.pi * 440 / 24000 * 1.01
    )


@pytest.mark.parametrize("pair", [*LISTED_PAIRS, (44100, 48000), (44100, 24001)])
def test_matches_scipy_resample_poly_with_same_taps(pair: tuple[int, int]) -> None:
    """One-shot output equals scipy.signal.resample_poly with the same taps."""
    signal = pytest.importorskip("scipy.signal")
    fr, to = pair
    r = Resampler(fr, to)
    up, down = r.ratio
    design = design_filter(up, down, "high")
    taps = design.taps(np.arange(design.num_taps, dtype=np.int64)) / up
    x = _signal(3000, np.float64, 7)
    expected = signal.resample_poly(x, up, down, window=taps)
    np.testing.assert_allclose(_oneshot(r, x), expected, rtol=0, atol=1e-12)


def test_ratio_is_reduced_by_gcd() -> None:
    """44.1 kHz -> 24 kHz is the rational ratio 80/147."""
    assert Resampler(44100, 24000).ratio == (80, 147)
    assert Resampler(48000, 24000).ratio == (1, 2)
    assert Resampler(8000, 24000).ratio == (3, 1)


@pytest.mark.parametrize("pair", LISTED_PAIRS)
def test_high_quality_latency_within_5_ms(pair: tuple[int, int]) -> None:
    """The high-quality filter delays (holds back) at most 5 ms of audio."""
    latency = Resampler(*pair).latency_ms
    assert latency is not None
    assert latency <= 5.0


@pytest.mark.parametrize(
    ("pair", "freq"),
    [
        ((48000, 24000), 15000.0),
        ((48000, 24000), 12100.0),
        ((44100, 24000), 13000.0),
        ((44100, 24000), 21000.0),
        ((24000, 8000), 4100.0),
        ((24000, 8000), 9000.0),
        ((16000, 8000), 5000.0),
    ],
)
def test_rejects_tone_above_output_nyquist(pair: tuple[int, int], freq: float) -> None:
    """A full-scale tone above the output Nyquist comes out below -90 dB."""
    fr, to = pair
    x = _tone(freq, fr, 0.5)
    y = _oneshot(Resampler(fr, to), x)
    reference = _rms_db(_tone(1000.0, to, 0.5))  # the same tone, had it passed
    assert _rms_db(_middle(y, to)) - reference < -90.0


@pytest.mark.parametrize(
    ("pair", "freq"),
    [((8000, 24000), 1000.0), ((16000, 24000), 6000.0), ((24000, 48000), 9000.0)],
)
def test_rejects_images_when_upsampling(pair: tuple[int, int], freq: float) -> None:
    """Upsampling a tone leaves no image above the input Nyquist (below -90 dB)."""
    fr, to = pair
    y = _middle(_oneshot(Resampler(fr, to), _tone(freq, fr, 1.0)), to)
    window = np.kaiser(len(y), 20.0)
    spectrum = np.abs(np.fft.rfft(y * window)) ** 2
    freqs = np.fft.rfftfreq(len(y), 1 / to)
    image = spectrum[freqs > fr / 2 + 20].sum()
    assert 10 * np.log10(image / spectrum.sum()) < -90.0


@pytest.mark.parametrize("pair", LISTED_PAIRS)
@pytest.mark.parametrize("fraction", [0.05, 0.4, 0.8])
def test_passes_in_band_tone_within_0_1_db(
    pair: tuple[int, int], fraction: float
) -> None:
    """Tones up to 0.8 of the lower Nyquist pass with |gain| < 0.1 dB, in phase."""
    fr, to = pair
    freq = fraction * min(fr, to) / 2
    y = _oneshot(Resampler(fr, to), _tone(freq, fr, 0.5))
    expected = _tone(freq, to, 0.5)[: len(y)]
    assert abs(_rms_db(_middle(y, to)) - _rms_db(_middle(expected, to))) < 0.1
    # Time-aligned: the output matches the ideal resampled tone sample by sample.
    assert np.max(np.abs(_middle(y - expected, to))) < 0.02


def test_fast_quality_is_shorter_and_still_rejects_60_db() -> None:
    """quality="fast" has less latency and still attenuates aliases by > 60 dB."""
    fast, high = Resampler(48000, 24000, quality="fast"), Resampler(48000, 24000)
    assert fast.latency_ms is not None and high.latency_ms is not None
    assert fast.latency_ms < high.latency_ms
    y = _oneshot(fast, _tone(14000.0, 48000, 0.5))
    assert _rms_db(_middle(y, 24000)) - _rms_db(_tone(1.0e3, 24000, 0.5)) < -60.0


def test_int16_output_is_rounded_and_clipped() -> None:
    """int16 in gives int16 out: rounded like the float path, clipped, no wrap."""
    square = np.where(np.arange(4800) % 96 < 48, 32767, -32768).astype(np.int16)
    r = Resampler(48000, 24000)
    as_int = _oneshot(r, square)
    as_float = _oneshot(r, square.astype(np.float64))
    assert as_float.max() > 32767  # Gibbs overshoot would wrap around without clipping
    expected = np.clip(np.rint(as_float), -32768, 32767).astype(np.int16)
    assert np.max(np.abs(as_int.astype(np.int32) - expected)) <= 1


def test_equal_rates_pass_through() -> None:
    """Equal rates return a copy of the input, unchanged, with nothing held back."""
    x = _signal(1000, np.int16, 3)
    r = Resampler(24000, 24000)
    y = r.process(x)
    np.testing.assert_array_equal(y, x)
    assert y is not x
    assert r.flush().shape == (0,)
    assert r.latency_ms == 0.0


def test_float32_in_gives_float32_out() -> None:
    """float32 input is resampled in float32 and returned as float32."""
    y = Resampler(16000, 24000).process(np.zeros(320, dtype=np.float32))
    assert y.dtype == np.float32


def test_stereo_is_resampled_per_channel() -> None:
    """channels=2 resamples each column independently."""
    left, right = _signal(2000, np.float64, 1), _signal(2000, np.float64, 2)
    stereo = Resampler(44100, 24000, channels=2)
    out = _oneshot(stereo, np.stack([left, right], axis=1))
    assert out.shape == (-(-2000 * 24000 // 44100), 2)
    mono = Resampler(44100, 24000)
    np.testing.assert_allclose(out[:, 0], _oneshot(mono, left), atol=1e-12)
    np.testing.assert_allclose(out[:, 1], _oneshot(mono, right), atol=1e-12)


def test_multichannel_input_is_downmixed_for_mono() -> None:
    """channels=1 averages the columns of (n, ch) input before resampling."""
    frames = np.stack([_signal(900, np.float64, s) for s in range(3)], axis=1)
    down = _oneshot(Resampler(48000, 16000), frames)
    reference = _oneshot(Resampler(48000, 16000), frames.mean(axis=1))
    assert down.ndim == 1
    np.testing.assert_allclose(down, reference, atol=1e-12)


def test_reset_starts_a_new_stream() -> None:
    """After reset() the same input produces the same output as a fresh resampler."""
    x = _signal(1234, np.float32, 5)
    r = Resampler(16000, 24000)
    first = r.process(x)
    r.process(_signal(77, np.float32, 6))
    r.reset()
    np.testing.assert_array_equal(r.process(x), first)


def test_flush_without_input_is_empty() -> None:
    """flush() on a fresh stream returns no samples."""
    assert Resampler(8000, 24000).flush().shape == (0,)
    assert Resampler(8000, 24000, channels=2).flush().shape == (0, 2)


def test_impulse_peak_is_time_aligned() -> None:
    """An impulse at input time t peaks at output time t (the delay is compensated)."""
    x = np.zeros(8000)
    x[4000] = 1.0
    y = _oneshot(Resampler(8000, 24000), x)
    assert int(np.argmax(y)) == 12000


@pytest.mark.parametrize("dtype", [np.int32, np.uint8, np.complex64, np.float16, bool])
def test_rejects_unsupported_dtypes(dtype: Any) -> None:
    """Only int16, float32 and float64 samples are accepted."""
    with pytest.raises(TypeError, match="int16, float32 or float64"):
        Resampler(48000, 24000).process(np.zeros(10, dtype=dtype))


def test_rejects_3d_and_mismatched_shapes() -> None:
    """3-D arrays and wrong channel counts raise ValueError."""
    with pytest.raises(ValueError, match="shape"):
        Resampler(48000, 24000).process(np.zeros((4, 2, 2), dtype=np.float32))
    with pytest.raises(ValueError, match="channel"):
        Resampler(48000, 24000, channels=2).process(np.zeros((4, 3), dtype=np.float32))
    with pytest.raises(ValueError, match=r"\(n, 2\)"):
        Resampler(48000, 24000, channels=2).process(np.zeros(4, dtype=np.float32))


@pytest.mark.parametrize(
    ("fr", "to"), [(0, 24000), (24000, 0), (-8000, 24000), (24000, -1)]
)
def test_rejects_non_positive_rates(fr: int, to: int) -> None:
    """Zero and negative rates raise ValueError."""
    with pytest.raises(ValueError, match="positive"):
        Resampler(fr, to)


@pytest.mark.parametrize("rate", [24000.0, "24000", None, True])
def test_rejects_non_integer_rates(rate: Any) -> None:
    """Rates must be ints (numpy ints too); floats, str and bool raise TypeError."""
    with pytest.raises(TypeError, match="int"):
        Resampler(rate, 24000)
    assert Resampler(np.int64(48000), 24000).ratio == (1, 2)


def test_rejects_unknown_quality_backend_and_channels() -> None:
    """Bad quality, backend or channel count raise ValueError."""
    with pytest.raises(ValueError, match="quality"):
        Resampler(48000, 24000, quality="best")
    with pytest.raises(ValueError, match="backend"):
        Resampler(48000, 24000, backend="scipy")
    with pytest.raises(ValueError, match="channels"):
        Resampler(48000, 24000, channels=0)


def test_soxr_backend_missing_names_pip_install(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """backend="soxr" without soxr raises ImportError naming pip install soxr."""
    monkeypatch.setitem(sys.modules, "soxr", None)
    with pytest.raises(ImportError, match="pip install soxr"):
        Resampler(48000, 24000, backend="soxr")


@pytest.mark.parametrize("dtype", DTYPES)
def test_soxr_backend_streams(dtype: Any) -> None:
    """backend="soxr" resamples a stream with the same dtype rules."""
    pytest.importorskip("soxr")
    x = (
        _tone(440.0, 48000, 0.5) * (20000 if np.dtype(dtype) == np.int16 else 0.6)
    ).astype(dtype)
    r = Resampler(48000, 24000, backend="soxr")
    y = _run(r, x, [960] * 25)
    assert y.dtype == np.dtype(dtype)
    assert abs(len(y) - 12000) <= 2
    assert r.latency_ms is None
    ours = _oneshot(Resampler(48000, 24000), x)
    scale = 20000 if np.dtype(dtype) == np.int16 else 0.6
    diff = _middle(y.astype(np.float64) - ours[: len(y)], 24000) / scale
    assert np.max(np.abs(diff)) < 1e-3  # both are transparent at 440 Hz


@given(n=st.integers(0, 3000), sizes=sizes_strategy, dtype=st.sampled_from(DTYPES))
def test_stereo_chunking_does_not_change_output(
    n: int, sizes: list[int], dtype: Any
) -> None:
    """Two-channel streams are chunk-invariant too, with (n, 2) output."""
    x = np.stack([_signal(n, dtype, 1), _signal(n, dtype, 2)], axis=1)
    r = Resampler(44100, 16000, channels=2)
    whole = _oneshot(r, x)
    chunked = _run(r, x, sizes)
    assert whole.shape == (-(-n * 16000 // 44100), 2)
    np.testing.assert_allclose(chunked.astype(np.float64), whole, rtol=0, atol=1e-6)


def test_exotic_ratio_uses_gather_path_and_stays_chunk_invariant() -> None:
    """44100 -> 24001 (24001 phases, taps computed on the fly) is chunk-invariant."""
    x = _signal(6000, np.float32, 11)
    r = Resampler(44100, 24001)
    assert r.ratio == (24001, 44100)
    whole = _oneshot(r, x)
    assert whole.shape == (-(-6000 * 24001 // 44100),)
    rng = np.random.default_rng(3)
    for _ in range(3):
        sizes = [int(s) for s in rng.integers(0, 900, 12)]
        np.testing.assert_allclose(_run(r, x, sizes), whole, rtol=0, atol=1e-6)


@pytest.mark.parametrize("pair", LISTED_PAIRS)
def test_high_quality_prototype_meets_its_specification(pair: tuple[int, int]) -> None:
    """The designed low-pass: >= 100 dB from the lower Nyquist up, flat to 0.01 dB at 0.8."""
    up, down = Resampler(*pair).ratio
    design = design_filter(up, down, "high")
    taps = design.taps(np.arange(design.num_taps, dtype=np.int64)) / up
    size = 1 << int(np.ceil(np.log2(design.num_taps * 32)))
    response = np.abs(np.fft.rfft(taps, size))
    freq = np.arange(response.size) / size  # cycles per upsampled sample
    nyquist = 0.5 / max(up, down)
    assert -20 * np.log10(response[freq >= nyquist].max()) >= 100.0
    assert np.abs(20 * np.log10(response[freq <= 0.8 * nyquist])).max() <= 0.01
