"""OutputAudio: per-item accumulation, odd-byte carry, retention, WAV and HTML."""

from __future__ import annotations

import base64
import io
import itertools
import re
import threading
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from realtime_sync.audio import OutputAudio, read_wav


def _split(data: bytes, cuts: list[int]) -> list[bytes]:
    points = sorted({min(c, len(data)) for c in cuts})
    edges = [0, *points, len(data)]
    return [data[a:b] for a, b in itertools.pairwise(edges)]


@given(
    samples=hnp.arrays(np.int16, st.integers(0, 400)),
    cuts=st.lists(st.integers(0, 800), max_size=15),
    as_base64=st.booleans(),
)
def test_odd_byte_splits_keep_sample_alignment(
    samples: np.ndarray, cuts: list[int], as_base64: bool
) -> None:
    """Deltas cut at arbitrary byte offsets reassemble to the original samples."""
    out = OutputAudio()
    raw = samples.astype("<i2").tobytes()
    added = 0
    for piece in _split(raw, cuts):
        added += out.append(
            "item", base64.b64encode(piece).decode() if as_base64 else piece
        )
    assert added == len(samples)
    np.testing.assert_array_equal(out.samples("item"), samples)


def test_array_after_an_odd_byte_stays_aligned() -> None:
    """An int16 array appended while a byte is pending continues the byte stream."""
    out = OutputAudio()
    raw = np.array([1000, -2000, 3000], dtype="<i2").tobytes()
    assert out.append("a", raw[:3]) == 1
    assert out.append("a", raw[3:5]) == 1  # completes -2000, leaves a byte of 3000
    out.append("a", np.array([4000], dtype=np.int16))
    out.append("a", raw[5:])
    # 3000's low byte, then 4000's two bytes, then 3000's high byte: one byte stream.
    expected = np.frombuffer(
        raw[:5] + np.array([4000], "<i2").tobytes() + raw[5:], "<i2"
    )
    np.testing.assert_array_equal(out.samples("a"), expected)


def test_items_order_durations_and_concatenation() -> None:
    """Items keep first-arrival order; samples(None) concatenates them."""
    out = OutputAudio(sample_rate=24000)
    out.append("b", np.full(2400, 1, dtype=np.int16))
    out.append("a", np.full(1200, 2, dtype=np.int16))
    out.append("b", np.full(2400, 3, dtype=np.int16))
    assert out.items == ("b", "a")
    assert out.item_duration_ms("b") == 200.0
    assert out.item_duration_ms("a") == 50.0
    assert out.item_duration_ms("missing") == 0.0
    assert out.duration_ms == 250.0
    assert len(out) == 6000
    joined = out.samples()
    assert joined.tolist() == [1] * 2400 + [3] * 2400 + [2] * 1200
    assert out.samples("missing").shape == (0,)


@given(
    sizes=st.lists(st.integers(0, 3000), max_size=25),
    max_seconds=st.sampled_from([0.01, 0.05, 0.2]),
)
def test_retention_keeps_the_last_max_seconds_per_item(
    sizes: list[int], max_seconds: float
) -> None:
    """With max_seconds, each item holds exactly the tail of what it received."""
    out = OutputAudio(sample_rate=24000, max_seconds=max_seconds)
    limit = int(max_seconds * 24000)
    stream = np.arange(sum(sizes), dtype=np.int64).astype(np.int16)
    pos = 0
    for size in sizes:
        out.append("x", stream[pos : pos + size])
        out.append("other", np.ones(3, np.int16))
        pos += size
        np.testing.assert_array_equal(
            out.samples("x"), stream[max(0, pos - limit) : pos]
        )
    assert len(out.samples("other")) == min(3 * len(sizes), limit)


def test_many_small_appends_grow_geometrically() -> None:
    """Thousands of 20 ms deltas cause only a few reallocations (amortised doubling)."""
    out = OutputAudio()
    buffers = set()
    for i in range(3000):
        out.append("long", np.full(480, i % 100, dtype=np.int16))
        buffers.add(id(out._tracks["long"].buf))
    assert len(buffers) <= 12
    assert out.item_duration_ms("long") == 60000.0


def test_to_wav_bytes_and_path(tmp_path: Path) -> None:
    """to_wav() returns WAV bytes; to_wav(path) writes the file and returns None."""
    out = OutputAudio(sample_rate=16000)
    out.append("a", np.array([1, 2, 3], dtype=np.int16))
    out.append("b", b"\x04\x00")
    data = out.to_wav()
    samples, rate = read_wav(io.BytesIO(data))
    assert (samples.tolist(), rate) == ([1, 2, 3, 4], 16000)
    assert read_wav(io.BytesIO(out.to_wav(item_id="b")))[0].tolist() == [4]
    path = tmp_path / "reply.wav"
    assert out.to_wav(path) is None
    assert read_wav(path)[0].tolist() == [1, 2, 3, 4]


def test_repr_html_embeds_an_audio_player() -> None:
    """_repr_html_ is an <audio controls> element with the WAV as a data URI."""
    out = OutputAudio()
    out.append("a", np.array([5, -5], dtype=np.int16))
    html = out._repr_html_()
    match = re.fullmatch(
        r'<audio controls src="data:audio/wav;base64,([A-Za-z0-9+/=]+)"[^>]*></audio>',
        html,
    )
    assert match is not None
    assert read_wav(io.BytesIO(base64.b64decode(match.group(1))))[0].tolist() == [5, -5]


def test_clear() -> None:
    """clear(item) forgets one item (and its pending byte); clear() forgets all."""
    out = OutputAudio()
    out.append("a", b"\x01\x00\x02")
    out.append("b", b"\x01\x00")
    out.clear("a")
    assert out.items == ("b",)
    out.append("a", b"\x03\x00")
    assert out.samples("a").tolist() == [3]
    out.clear()
    assert out.items == ()
    assert out.duration_ms == 0.0


def test_rejects_bad_audio_and_settings() -> None:
    """Non-int16 arrays, 2-D arrays, other types and bad settings raise."""
    out = OutputAudio()
    with pytest.raises(TypeError):
        out.append("a", np.zeros(3, dtype=np.float32))  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        out.append("a", np.zeros((3, 2), dtype=np.int16))
    with pytest.raises(TypeError):
        out.append("a", [1, 2, 3])  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        out.append("a", "not base64!")
    with pytest.raises(ValueError):
        OutputAudio(max_seconds=0)
    with pytest.raises(ValueError):
        OutputAudio(sample_rate=-1)


def test_concurrent_appends_and_reads() -> None:
    """Appends from several threads while another reads lose no samples."""
    out = OutputAudio()
    errors: list[BaseException] = []

    def writer(item: str) -> None:
        try:
            for _ in range(300):
                out.append(item, b"\x01\x00\x01")  # odd-sized on purpose
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(f"item{i}",)) for i in range(4)]
    for thread in threads:
        thread.start()
    for _ in range(200):
        out.samples()
        out.duration_ms  # noqa: B018
    for thread in threads:
        thread.join(timeout=30)
    assert not errors
    for i in range(4):
        assert len(out.samples(f"item{i}")) == 300 * 3 // 2
