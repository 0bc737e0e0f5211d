"""PlaybackTracker: played/received accounting for truncation."""

from __future__ import annotations

import threading

import pytest

from realtime_sync.audio import PlaybackTracker


def test_played_accumulates_and_converts_to_ms() -> None:
    """played() adds up; played_ms() rounds down to whole milliseconds."""
    tracker = PlaybackTracker(sample_rate=24000)
    tracker.played("item_1", 480)
    tracker.played("item_1", 500)
    assert tracker.played_samples("item_1") == 980
    assert tracker.played_ms("item_1") == 40  # 40.83 ms
    assert tracker.current_item == "item_1"


def test_played_is_clamped_to_received() -> None:
    """When arrivals are reported, played_ms never exceeds the audio received."""
    tracker = PlaybackTracker()
    tracker.received("a", 2400)
    tracker.played("a", 5000)
    assert tracker.played_ms("a") == 100
    tracker.received("a", 2400)
    assert tracker.played_ms("a") == 200
    tracker.received("a", 2400)
    assert tracker.played_ms("a") == 208


def test_set_played_overrides_and_switches_current_item() -> None:
    """set_played() sets the total and makes the item current."""
    tracker = PlaybackTracker(sample_rate=8000)
    tracker.played("a", 800)
    tracker.set_played("b", 4000)
    assert tracker.current_item == "b"
    assert tracker.played_ms("b") == 500
    tracker.set_played("a", 80)
    assert tracker.played_ms("a") == 10
    assert tracker.current_item == "a"


def test_unknown_item_and_reset() -> None:
    """Unknown items read 0; reset(item) forgets one, reset() forgets all."""
    tracker = PlaybackTracker()
    assert tracker.played_ms("nope") == 0
    assert tracker.current_item is None
    tracker.played("a", 2400)
    tracker.played("b", 2400)
    tracker.reset("b")
    assert tracker.played_ms("b") == 0
    assert tracker.current_item is None
    assert tracker.played_ms("a") == 100
    tracker.reset()
    assert tracker.played_ms("a") == 0


def test_rejects_bad_counts() -> None:
    """Negative counts and non-integers raise; the sample rate must be positive."""
    tracker = PlaybackTracker()
    with pytest.raises(ValueError):
        tracker.played("a", -1)
    with pytest.raises(TypeError):
        tracker.received("a", 1.5)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        PlaybackTracker(sample_rate=0)


def test_concurrent_reports_are_not_lost() -> None:
    """played() from several threads at once sums exactly."""
    tracker = PlaybackTracker()
    threads = [
        threading.Thread(target=lambda: [tracker.played("a", 1) for _ in range(2000)])
        for _ in range(4)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert tracker.played_samples("a") == 8000
