"""Chunker framing and the 100 ms commit rule."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from realtime_sync.audio import MIN_COMMIT_MS, Chunker, enough_for_commit


@given(
    frame=st.integers(1, 500),
    sizes=st.lists(st.integers(0, 1200), max_size=20),
)
def test_frames_concatenate_to_the_input(frame: int, sizes: list[int]) -> None:
    """Frames are full-size and in order; frames plus flush() equal the input."""
    rng = np.random.default_rng(len(sizes))
    chunker = Chunker(frame_samples=frame)
    pushed, frames = [], []
    for size in sizes:
        samples = rng.integers(-32768, 32768, size).astype(np.int16)
        pushed.append(samples)
        frames.extend(chunker.push(samples))
    total = sum(sizes)
    assert all(f.shape == (frame,) and f.dtype == np.int16 for f in frames)
    assert len(frames) == total // frame
    assert chunker.pending == total % frame
    tail = chunker.flush()
    assert chunker.pending == 0
    assert len(tail) == (1 if total % frame else 0)
    everything = np.concatenate([np.zeros(0, np.int16), *pushed])
    np.testing.assert_array_equal(
        np.concatenate([np.zeros(0, np.int16), *frames, *tail]), everything
    )


@given(sizes=st.lists(st.integers(0, 300), max_size=10))
def test_stereo_frames_concatenate(sizes: list[int]) -> None:
    """(n, 2) frames keep both channels aligned across pushes."""
    chunker = Chunker(frame_samples=64, dtype=np.float32)
    pushed, frames = [], []
    for size in sizes:
        block = (
            np.random.default_rng(size).standard_normal((size, 2)).astype(np.float32)
        )
        pushed.append(block)
        frames.extend(chunker.push(block))
    frames.extend(chunker.flush(pad=True))
    assert all(f.shape == (64, 2) for f in frames)
    joined = np.concatenate([np.zeros((0, 2), np.float32), *frames])
    everything = np.concatenate([np.zeros((0, 2), np.float32), *pushed])
    np.testing.assert_array_equal(joined[: len(everything)], everything)
    assert not joined[len(everything) :].any()


def test_frame_ms_sets_frame_size() -> None:
    """frame_ms is converted with the sample rate: 20 ms at 24 kHz is 480 samples."""
    assert Chunker(frame_ms=20).frame_samples == 480
    assert Chunker(frame_ms=40, sample_rate=24000).frame_samples == 960
    assert Chunker(frame_ms=20, sample_rate=44100).frame_samples == 882
    assert Chunker(frame_ms=0.5, sample_rate=8000).frame_samples == 4


def test_pending_and_flush_padding() -> None:
    """Pending counts held samples; flush(pad=True) zero-pads to a full frame."""
    chunker = Chunker(frame_samples=4)
    assert chunker.push(np.array([1, 2, 3, 4, 5, 6], dtype=np.int16))[0].tolist() == [
        1,
        2,
        3,
        4,
    ]
    assert chunker.pending == 2
    assert chunker.pending_ms == pytest.approx(2000 / 24000)
    (last,) = chunker.flush(pad=True)
    assert last.tolist() == [5, 6, 0, 0]
    assert chunker.flush() == []


def test_frames_do_not_alias_caller_arrays() -> None:
    """Mutating the pushed array afterwards does not change returned frames."""
    chunker = Chunker(frame_samples=2)
    data = np.array([1, 2, 3, 4, 5], dtype=np.int16)
    frames = chunker.push(data)
    data[:] = 0
    assert [f.tolist() for f in frames] == [[1, 2], [3, 4]]
    assert chunker.flush()[0].tolist() == [5]


def test_push_accepts_pcm16_bytes_and_g711_bytes() -> None:
    """int16 chunkers take little-endian PCM16 bytes; uint8 ones take G.711."""
    pcm = Chunker(frame_samples=2)
    assert [f.tolist() for f in pcm.push(b"\x01\x00\xff\xff\x02\x00")] == [[1, -1]]
    assert pcm.pending == 1
    with pytest.raises(ValueError, match="even"):
        pcm.push(b"\x01")
    ulaw = Chunker(frame_ms=20, sample_rate=8000, dtype=np.uint8)
    assert [len(f) for f in ulaw.push(bytes(400))] == [160, 160]
    with pytest.raises(TypeError, match="bytes"):
        Chunker(frame_samples=2, dtype=np.float32).push(b"\x00\x00\x00\x00")


def test_push_rejects_wrong_dtype_and_shape() -> None:
    """A dtype other than the chunker's, a 3-D array or a new channel count raise."""
    chunker = Chunker(frame_samples=4)
    with pytest.raises(TypeError, match="int16"):
        chunker.push(np.zeros(4, dtype=np.float32))
    with pytest.raises(ValueError, match="shape"):
        chunker.push(np.zeros((2, 2, 2), dtype=np.int16))
    chunker.push(np.zeros((3, 2), dtype=np.int16))
    with pytest.raises(ValueError, match="earlier pushes"):
        chunker.push(np.zeros(3, dtype=np.int16))


@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"frame_ms": 20, "frame_samples": 480},
        {"frame_ms": 10, "sample_rate": 22050},
        {"frame_ms": 0},
        {"frame_samples": 0},
        {"frame_ms": 20, "sample_rate": 0},
    ],
)
def test_rejects_bad_frame_settings(kwargs: dict[str, Any]) -> None:
    """Missing, duplicate, fractional or non-positive frame sizes raise ValueError."""
    with pytest.raises(ValueError):
        Chunker(**kwargs)


def test_enough_for_commit_is_100_ms() -> None:
    """A commit needs 100 ms: 2400 samples (4800 bytes) at 24 kHz, 800 at 8 kHz."""
    assert MIN_COMMIT_MS == 100
    assert not enough_for_commit(2399)
    assert enough_for_commit(2400)
    assert not enough_for_commit(bytes(4798))
    assert enough_for_commit(bytes(4800))
    assert enough_for_commit(np.zeros(2400, dtype=np.int16))
    assert not enough_for_commit(np.zeros((2399, 2), dtype=np.int16))
    assert enough_for_commit(bytes(800), sample_rate=8000, sample_width=1)
    assert not enough_for_commit(bytes(799), sample_rate=8000, sample_width=1)
    assert enough_for_commit(4410, sample_rate=44100)


def test_enough_for_commit_rejects_bad_arguments() -> None:
    """Floats, bools and non-positive rates are refused."""
    with pytest.raises(TypeError):
        enough_for_commit(2400.0)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        enough_for_commit(True)
    with pytest.raises(ValueError):
        enough_for_commit(2400, sample_rate=0)


def test_reset_drops_pending_and_channel_layout() -> None:
    """reset() empties the chunker and lets the next push pick a new layout."""
    chunker = Chunker(frame_samples=4)
    chunker.push(np.zeros((3, 2), dtype=np.int16))
    chunker.reset()
    assert chunker.pending == 0
    assert chunker.push(np.arange(4, dtype=np.int16))[0].tolist() == [0, 1, 2, 3]
