"""Resampler: long streams (buffer compaction and growth) and the mono float32 path.

The numpy engine keeps its input in one buffer read from a moving offset, compacted
to the front when the end is reached and grown for chunks larger than half of it;
these tests stream enough audio, in small and huge chunks, to go through both, and
compare with one-shot output. Mono float32 frames take a short path in ``process``:
its output must equal the general path's, sample for sample.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from realtime_sync.audio import Resampler

PAIRS = [(48000, 24000), (44100, 24000), (16000, 24000), (24000, 8000), (7, 5)]


def _signal(n: int, dtype: Any, seed: int) -> npt.NDArray[Any]:
    rng = np.random.default_rng(seed)
    x = rng.uniform(-1.0, 1.0, n)
    if np.dtype(dtype) == np.int16:
        return (x * 32767).astype(np.int16)
    return x.astype(dtype)


def _stream(r: Resampler, x: npt.NDArray[Any], sizes: list[int]) -> npt.NDArray[Any]:
    parts, pos = [], 0
    while pos < len(x):
        for size in sizes:
            parts.append(r.process(x[pos : pos + size]))
            pos += size
    parts.append(r.flush())
    return np.concatenate(parts)


def _oneshot(r: Resampler, x: npt.NDArray[Any]) -> npt.NDArray[Any]:
    return np.concatenate([r.process(x), r.flush()])


@pytest.mark.parametrize("pair", PAIRS)
@pytest.mark.parametrize("dtype", [np.float32, np.int16, np.float64])
def test_a_long_stream_of_20_ms_chunks_equals_one_shot(
    pair: tuple[int, int], dtype: Any
) -> None:
    """Six seconds in 20 ms chunks: the buffer is compacted many times over."""
    fr, to = pair
    x = _signal(6 * fr, dtype, 1)
    r = Resampler(fr, to)
    whole = _oneshot(r, x)
    chunked = _stream(r, x, [max(1, fr // 50)])
    assert chunked.shape == whole.shape == (-(-len(x) * to // fr),)
    if np.dtype(dtype) == np.int16:
        np.testing.assert_array_equal(chunked, whole)
    else:
        np.testing.assert_allclose(chunked, whole, rtol=0, atol=1e-6)


@settings(max_examples=25, deadline=None)
@given(
    pair=st.sampled_from(PAIRS),
    sizes=st.lists(
        st.one_of(st.integers(0, 50), st.integers(100, 3000), st.integers(9000, 40000)),
        min_size=1,
        max_size=6,
    ),
)
def test_small_and_huge_chunks_mixed_equal_one_shot(
    pair: tuple[int, int], sizes: list[int]
) -> None:
    """Chunks from 0 samples to several buffers long (growth), in any order."""
    fr, to = pair
    if not any(sizes):
        sizes = [*sizes, 1]
    x = _signal(3 * max(fr, 20000), np.float32, 2)
    r = Resampler(fr, to)
    whole = _oneshot(r, x)
    np.testing.assert_allclose(_stream(r, x, sizes), whole, rtol=0, atol=1e-6)


@pytest.mark.parametrize("pair", PAIRS)
def test_the_mono_float32_path_equals_the_general_path(pair: tuple[int, int]) -> None:
    """(n,) float32 frames (short path) and (n, 1) frames (general) agree exactly."""
    fr, to = pair
    x = _signal(2 * fr, np.float32, 3)
    n = max(1, fr // 50)
    short, general = Resampler(fr, to), Resampler(fr, to)
    for pos in range(0, len(x), n):
        a = short.process(x[pos : pos + n])
        b = general.process(x[pos : pos + n, None])
        assert a.dtype == b.dtype == np.float32
        assert a.shape == b.shape and a.ndim == 1
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(short.flush(), general.flush())


def test_the_short_path_output_is_the_callers_to_keep() -> None:
    """Outputs are not views of the internal buffer: later chunks leave them alone."""
    x = _signal(48000, np.float32, 4)
    r = Resampler(48000, 24000)
    first = r.process(x[:960])
    kept = first.copy()
    for pos in range(960, len(x), 960):
        r.process(x[pos : pos + 960])
    np.testing.assert_array_equal(first, kept)


def test_a_non_native_byte_order_takes_the_general_path() -> None:
    """Big-endian float32 is converted as before, not read as native."""
    x = _signal(4800, np.float32, 5)
    a = _oneshot(Resampler(48000, 24000), x)
    b = _oneshot(Resampler(48000, 24000), x.astype(">f4"))
    np.testing.assert_array_equal(a, b)


def test_reset_after_a_long_stream_starts_clean() -> None:
    """After compactions, reset() gives the output of a fresh resampler."""
    x = _signal(5 * 48000, np.float32, 6)
    r = Resampler(48000, 24000)
    _stream(r, x, [960])  # flushed: reset
    for pos in range(0, 48000, 960):
        r.process(x[pos : pos + 960])
    r.reset()
    fresh = Resampler(48000, 24000)
    y = x[:9600]
    np.testing.assert_array_equal(_oneshot(r, y), _oneshot(fresh, y))
