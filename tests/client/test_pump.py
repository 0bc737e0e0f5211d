"""The continuous input pump: silence between user audio, order, totals, pause, stop."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator

import pytest

from realtime_sync.client._pump import MAX_CATCH_UP_CHUNKS, InputPump

RATE = 24_000
CHUNK_MS = 20
CHUNK_BYTES = RATE * CHUNK_MS // 1000 * 2  # 960


class Collector:
    """A real ``send``: keeps every chunk with the time it arrived."""

    def __init__(self) -> None:
        self.cond = threading.Condition()
        self.chunks: list[bytes] = []
        self.times: list[float] = []
        self.block: threading.Event | None = None
        self.fail_at: int | None = None

    def __call__(self, chunk: bytes) -> None:
        if self.fail_at is not None and len(self.chunks) >= self.fail_at:
            raise ConnectionError("socket closed")
        if self.block is not None:
            block, self.block = self.block, None
            block.wait(10)
        with self.cond:
            self.chunks.append(bytes(chunk))
            self.times.append(time.monotonic())
            self.cond.notify_all()

    def wait_until(
        self, pred: Callable[[list[bytes]], bool], timeout: float = 10
    ) -> None:
        with self.cond:
            assert self.cond.wait_for(lambda: pred(self.chunks), timeout), self.chunks[
                -5:
            ]

    def snapshot(self) -> list[bytes]:
        with self.cond:
            return list(self.chunks)


def is_silence(chunk: bytes) -> bool:
    return not any(chunk)


def user_audio(nbytes: int, value: int) -> bytes:
    """Non-zero PCM (never mistaken for silence), ``value`` marks the piece."""
    assert nbytes % 2 == 0 and 0 < value < 256
    return bytes([value]) * nbytes


@pytest.fixture
def collector() -> Collector:
    return Collector()


@pytest.fixture
def pump(collector: Collector) -> Iterator[InputPump]:
    p = InputPump(collector, sample_rate=RATE, chunk_ms=CHUNK_MS, pace=20)
    yield p
    p.stop()


def test_silence_flows_when_nothing_is_fed(
    pump: InputPump, collector: Collector
) -> None:
    pump.start()
    collector.wait_until(lambda c: len(c) >= 5)
    chunks = collector.snapshot()
    assert all(is_silence(c) and len(c) == CHUNK_BYTES for c in chunks)
    assert pump.sent_ms >= 5 * CHUNK_MS
    assert pump.sent_audio_ms == 0


def test_fed_audio_is_sent_in_order_with_exact_totals(
    pump: InputPump, collector: Collector
) -> None:
    pieces = [
        user_audio(n, v) for v, n in enumerate([2, 958, 960, 962, 5000, 14], start=1)
    ]
    for piece in pieces:
        pump.feed(piece)
    assert pump.pending_ms == pytest.approx(sum(map(len, pieces)) / 48)
    pump.start()
    assert pump.wait_drained(timeout=10)
    assert pump.pending_ms == 0
    assert pump.stop() == b""
    sent = [c for c in collector.snapshot() if not is_silence(c)]
    assert b"".join(sent) == b"".join(pieces)
    assert all(len(c) <= CHUNK_BYTES for c in sent)
    # Everything was queued before start: full chunks, except the last one.
    assert all(len(c) == CHUNK_BYTES for c in sent[:-1])
    assert pump.sent_audio_ms == pytest.approx(sum(map(len, pieces)) / 48)


def test_silence_fills_the_gap_between_fed_pieces(
    pump: InputPump, collector: Collector
) -> None:
    pump.start()
    first, second = user_audio(3 * CHUNK_BYTES, 7), user_audio(2 * CHUNK_BYTES, 9)
    pump.feed(first)
    assert pump.wait_drained(timeout=10)
    done = len(collector.snapshot())
    collector.wait_until(lambda c: len(c) >= done + 2)  # silence after the first piece
    pump.feed(second)
    assert pump.wait_drained(timeout=10)
    chunks = collector.snapshot()
    kinds = "".join(
        "s" if is_silence(c) else ("a" if c[0] == 7 else "b") for c in chunks
    )
    # Silence, the first piece whole, silence, the second piece whole.
    assert kinds.strip("s").split("s", 1)[0] == "aaa"
    assert kinds.rstrip("s").endswith("s" + "bb")
    assert kinds.count("a") == 3 and kinds.count("b") == 2


def test_pause_sends_nothing_and_resume_continues(
    pump: InputPump, collector: Collector
) -> None:
    pump.start()
    collector.wait_until(lambda c: len(c) >= 2)
    pump.pause()
    assert pump.paused
    paused_at = len(collector.snapshot())
    pump.feed(user_audio(CHUNK_BYTES, 3))
    time.sleep(0.2)  # 200 chunk periods at pace 20: any leak would show
    # At most the send that was in flight when pause() was called.
    assert len(collector.snapshot()) <= paused_at + 1
    assert pump.pending_ms == CHUNK_MS
    pump.resume()
    assert pump.wait_drained(timeout=10)
    assert any(c[0] == 3 for c in collector.snapshot() if not is_silence(c))


def test_stop_returns_what_was_never_sent(
    collector: Collector, caplog: pytest.LogCaptureFixture
) -> None:
    p = InputPump(collector, chunk_ms=CHUNK_MS, pace=20)
    p.start()
    collector.wait_until(lambda c: len(c) >= 1)
    p.pause()
    audio = user_audio(4 * CHUNK_BYTES + 2, 5)
    p.feed(audio)
    assert p.stop() == audio
    assert "unsent" in caplog.text
    assert p.stop() == b""  # idempotent
    assert not p.running


def test_stop_before_start_returns_the_queue(collector: Collector) -> None:
    p = InputPump(collector)
    p.feed(user_audio(10, 1))
    assert p.stop() == user_audio(10, 1)
    assert collector.snapshot() == []


def test_thread_is_named_and_joined_on_stop(collector: Collector) -> None:
    p = InputPump(collector, name="realtime-sync-pump-test", pace=20)
    p.start()
    collector.wait_until(lambda c: len(c) >= 1)
    threads = [t for t in threading.enumerate() if t.name == "realtime-sync-pump-test"]
    assert len(threads) == 1 and threads[0].daemon
    p.stop()
    assert not threads[0].is_alive()


def test_send_failure_stops_the_pump_and_keeps_the_chunk(collector: Collector) -> None:
    errors: list[BaseException] = []
    got = threading.Event()

    def on_error(exc: BaseException) -> None:
        errors.append(exc)
        got.set()

    collector.fail_at = 0
    p = InputPump(collector, pace=20, on_error=on_error)
    audio = user_audio(3 * CHUNK_BYTES, 4)
    p.feed(audio)
    p.start()
    assert got.wait(10)
    assert isinstance(errors[0], ConnectionError)
    assert isinstance(p.error, ConnectionError)
    assert not p.running
    assert not p.wait_drained(timeout=0)  # stopped with audio left: False at once
    assert p.stop() == audio  # the failed chunk is back in front, nothing lost
    with pytest.raises(RuntimeError, match="stopped"):
        p.feed(b"\x01\x00")


def test_a_raising_on_error_is_logged(
    collector: Collector, caplog: pytest.LogCaptureFixture
) -> None:
    called = threading.Event()

    def on_error(exc: BaseException) -> None:
        called.set()
        raise ValueError("boom")

    collector.fail_at = 0
    p = InputPump(collector, pace=20, on_error=on_error)
    p.start()
    assert called.wait(10)
    p.stop()  # joins: the thread finished logging before ending
    assert "on_error handler" in caplog.text


def test_catch_up_after_a_late_wake_is_bounded(collector: Collector) -> None:
    period = CHUNK_MS / 1000
    p = InputPump(collector, chunk_ms=CHUNK_MS, pace=1)
    block = collector.block = threading.Event()
    p.start()
    time.sleep(40 * period)  # the first send is stuck for 40 periods
    released = time.monotonic()
    block.set()
    collector.wait_until(lambda c: len(c) >= 8)
    end = time.monotonic()
    p.stop()
    with collector.cond:
        after = [t for t in collector.times if released <= t <= end]
    # Delays only lower the count; without the bound all 40 periods would be sent at once.
    assert len(after) <= (end - released) / period + MAX_CATCH_UP_CHUNKS + 2


def test_feed_validates_its_argument(pump: InputPump) -> None:
    with pytest.raises(TypeError, match="bytes"):
        pump.feed("audio")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="whole 16-bit samples"):
        pump.feed(b"\x01")
    pump.feed(memoryview(b"\x01\x02"))
    pump.feed(bytearray(b""))
    assert pump.pending_ms == pytest.approx(2 / 48)


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"sample_rate": 0}, ValueError),
        ({"sample_rate": 24_000.0}, TypeError),
        ({"chunk_ms": -1}, ValueError),
        ({"pace": 0}, ValueError),
        ({"pace": float("nan")}, ValueError),
        ({"pace": "fast"}, TypeError),
        ({"name": ""}, ValueError),
        ({"on_error": 3}, TypeError),
        ({"sample_rate": 10, "chunk_ms": 1}, ValueError),
    ],
)
def test_constructor_validates(
    kwargs: dict[str, object], error: type[Exception]
) -> None:
    with pytest.raises(error):
        InputPump(lambda chunk: None, **kwargs)  # type: ignore[arg-type]


def test_send_must_be_callable() -> None:
    with pytest.raises(TypeError, match="send must be callable"):
        InputPump(None)  # type: ignore[arg-type]


def test_start_twice_and_restart_raise(pump: InputPump) -> None:
    pump.start()
    with pytest.raises(RuntimeError, match="already started"):
        pump.start()
    pump.stop()
    with pytest.raises(RuntimeError, match="Cannot restart"):
        pump.start()


def test_clear_drops_and_returns_the_queue(pump: InputPump) -> None:
    pump.feed(user_audio(100, 2))
    assert pump.clear() == user_audio(100, 2)
    assert pump.pending_ms == 0
    assert pump.wait_drained(timeout=0)


def test_keep_newest_drops_the_oldest_audio_beyond_the_bound(pump: InputPump) -> None:
    ten_ms = RATE // 100 * 2  # 480 bytes
    pump.feed(user_audio(3 * ten_ms, 1))
    pump.feed(user_audio(2 * ten_ms, 2))
    assert pump.keep_newest(50) == 0  # within the bound: nothing dropped
    assert pump.keep_newest(30) == 20
    assert pump.pending_ms == 30
    assert pump.clear() == user_audio(ten_ms, 1) + user_audio(2 * ten_ms, 2)
    pump.feed(user_audio(ten_ms, 3))
    assert pump.keep_newest(0) == 10
    assert pump.clear() == b""


def test_repr_names_the_state(pump: InputPump) -> None:
    assert "new" in repr(pump)
    pump.start()
    assert "running" in repr(pump)
    pump.stop()
    assert "stopped" in repr(pump)
