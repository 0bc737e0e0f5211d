"""Microphone: block forwarding on realtime-sync-mic, half duplex, lifecycle."""

from __future__ import annotations

import logging
import sys
import threading
import types
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest

from realtime_sync.audio import Microphone, Player
from tests.audio.test_player import FakeStream, StreamRecorder, playing, pull, ramp
from tests.helpers import EventRecorder


class SinkRecorder:
    """A sink that records ``(samples, sample_rate, channels, thread name)``."""

    def __init__(self) -> None:
        self.recorder = EventRecorder()

    def __call__(
        self, samples: npt.NDArray[np.int16], *, sample_rate: int, channels: int
    ) -> None:
        name = threading.current_thread().name
        self.recorder((samples.copy(), sample_rate, channels, name))

    @property
    def calls(self) -> list[Any]:
        return self.recorder.items


class FakeClient:
    """Stands in for RealtimeClient: only append_audio."""

    def __init__(self) -> None:
        self.append_audio = SinkRecorder()


def feed(mic: Microphone, block: npt.NDArray[np.int16]) -> None:
    """Deliver one captured block as the input stream would."""
    mic._callback(block, block.shape[0], None, None)


def mic_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "realtime-sync-mic"]


def test_forwards_blocks_in_order_with_rate_and_channels() -> None:
    """Each block reaches client.append_audio on the mic thread, in order."""
    client = FakeClient()
    mic = Microphone(client, stream_factory=StreamRecorder())
    blocks = [ramp(480, start=1000 * i + 1).reshape(480, 1) for i in range(5)]

    mic.start()
    for block in blocks:
        feed(mic, block)
    mic.stop()

    calls = client.append_audio.calls
    assert len(calls) == 5
    for (samples, rate, channels, name), block in zip(calls, blocks, strict=True):
        np.testing.assert_array_equal(samples, block[:, 0])
        assert samples.shape == (480,)
        assert (rate, channels, name) == (24000, 1, "realtime-sync-mic")


def test_multi_channel_blocks_keep_their_frames() -> None:
    """With channels=2 the sink gets (n, 2) frames and channels=2."""
    sink = SinkRecorder()
    mic = Microphone(
        sink, sample_rate=48000, channels=2, stream_factory=StreamRecorder()
    )
    block = ramp(960).reshape(480, 2)

    with mic:
        feed(mic, block)

    [(samples, rate, channels, _)] = sink.calls
    np.testing.assert_array_equal(samples, block)
    assert (rate, channels) == (48000, 2)


def test_blocks_are_copied_from_the_stream_buffer() -> None:
    """A stream reusing its input buffer does not change blocks already queued."""
    sink = SinkRecorder()
    mic = Microphone(sink, stream_factory=StreamRecorder())
    buffer = ramp(480).reshape(480, 1)

    with mic:
        feed(mic, buffer)
        buffer[:] = 0
        feed(mic, buffer)

    np.testing.assert_array_equal(sink.calls[0][0], ramp(480))
    assert not sink.calls[1][0].any()


def test_half_duplex_replaces_blocks_with_silence_while_the_player_plays() -> None:
    """While the player plays, the mic sends silence of the same length."""
    player = Player(stream_factory=StreamRecorder(), jitter_ms=0)
    sink = SinkRecorder()
    mic = Microphone(sink, stream_factory=StreamRecorder(), half_duplex_player=player)
    block = ramp(480).reshape(480, 1)

    with mic:
        feed(mic, block)  # player idle: forwarded
        player.play("a", ramp(960))
        pull(player, 480)
        assert playing(player)
        feed(mic, block)  # muted
        pull(player, 480)
        pull(player, 480)  # drained
        assert not playing(player)
        feed(mic, block)  # forwarded again

    heard = [samples for samples, *_ in sink.calls]
    assert [s.shape for s in heard] == [(480,)] * 3
    np.testing.assert_array_equal(heard[0], ramp(480))
    assert not heard[1].any()
    np.testing.assert_array_equal(heard[2], ramp(480))


def test_start_and_stop_run_and_join_the_mic_thread() -> None:
    """start() runs realtime-sync-mic; stop() and close() join it; restart works."""
    factory = StreamRecorder()
    sink = SinkRecorder()
    mic = Microphone(sink, stream_factory=factory)
    assert mic_threads() == []  # the constructor starts nothing

    mic.start()
    mic.start()
    assert len(mic_threads()) == 1
    mic.stop()
    assert mic_threads() == []

    mic.start()
    feed(mic, ramp(480).reshape(480, 1))
    mic.close()
    mic.close()
    assert mic_threads() == []
    assert len(sink.calls) == 1

    [stream] = factory.streams
    assert stream.calls == ["start", "stop", "start", "stop", "close"]
    with pytest.raises(RuntimeError, match="closed"):
        mic.start()


def test_blocks_after_stop_are_ignored() -> None:
    """A late callback after stop() is not forwarded."""
    sink = SinkRecorder()
    mic = Microphone(sink, stream_factory=StreamRecorder())
    mic.start()
    mic.stop()

    feed(mic, ramp(480).reshape(480, 1))
    mic.close()
    assert sink.calls == []


def test_factory_gets_rate_channels_dtype_and_blocksize() -> None:
    """The stream is opened at 24 kHz (factory default) with blocksize_ms frames."""
    factory = StreamRecorder()
    mic = Microphone(lambda *a, **k: None, stream_factory=factory, blocksize_ms=40)
    assert mic.sample_rate == 24000

    with mic:
        pass

    assert factory.streams[0].kwargs == {
        "callback": mic._callback,
        "samplerate": 24000,
        "channels": 1,
        "dtype": "int16",
        "blocksize": 960,
    }


def test_failing_sink_is_logged_and_the_next_block_still_delivered(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A sink that raises is logged once per run of failures; forwarding goes on."""
    delivered: list[int] = []

    def sink(samples: npt.NDArray[np.int16], **kwargs: Any) -> None:
        if samples[0] < 0:
            raise ValueError("boom")
        delivered.append(int(samples[0]))

    mic = Microphone(sink, stream_factory=StreamRecorder())
    with caplog.at_level(logging.ERROR, logger="realtime_sync.audio._microphone"), mic:
        for first in (1, -1, -2, 3):
            feed(mic, np.full((10, 1), first, dtype=np.int16))

    assert delivered == [1, 3]
    assert [r.getMessage() for r in caplog.records] == [
        "microphone sink raised; continuing"
    ]


def test_drops_blocks_when_the_sink_falls_behind() -> None:
    """Blocks beyond the queue bound are dropped and counted, never blocking."""
    entered = threading.Event()
    release = threading.Event()
    delivered: list[int] = []

    def slow_sink(samples: npt.NDArray[np.int16], **kwargs: Any) -> None:
        entered.set()
        assert release.wait(timeout=10.0)
        delivered.append(int(samples[0]))

    mic = Microphone(slow_sink, stream_factory=StreamRecorder())
    mic.start()
    try:
        feed(mic, np.full((10, 1), 0, dtype=np.int16))
        assert entered.wait(timeout=5.0)
        for i in range(1, 52):  # 50 fit in the queue, the 51st is dropped
            feed(mic, np.full((10, 1), i, dtype=np.int16))
        assert mic.dropped_blocks == 1
    finally:
        release.set()
        mic.close()

    assert delivered == list(range(51))


def test_rejects_a_sink_that_is_not_callable() -> None:
    """Neither append_audio nor callable: TypeError at construction."""
    with pytest.raises(TypeError, match="append_audio"):
        Microphone(object())
    with pytest.raises(TypeError, match="Player"):
        Microphone(lambda *a, **k: None, half_duplex_player=object())  # type: ignore[arg-type]


def test_missing_sounddevice_raises_import_error_naming_the_extra(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Without sounddevice and without a factory, start() names the extra."""
    monkeypatch.setitem(sys.modules, "sounddevice", None)
    mic = Microphone(lambda *a, **k: None)  # constructing needs no sounddevice

    with pytest.raises(ImportError) as info:
        mic.start()
    assert str(info.value) == (
        'the audio extra is needed: pip install "realtime-sync[audio]"'
    )
    assert mic_threads() == []
    mic.close()


def test_default_rate_is_the_input_device_default(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Without a factory or rate, sounddevice's default input rate is used."""
    fake = types.ModuleType("sounddevice")
    made: list[FakeStream] = []
    queried: list[tuple[Any, str]] = []

    def query_devices(device: Any, kind: str) -> dict[str, Any]:
        queried.append((device, kind))
        return {"default_samplerate": 44100.0}

    def input_stream(**kwargs: Any) -> FakeStream:
        made.append(FakeStream(**kwargs))
        return made[-1]

    fake.query_devices = query_devices  # type: ignore[attr-defined]
    fake.InputStream = input_stream  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "sounddevice", fake)

    sink = SinkRecorder()
    mic = Microphone(sink, device=3)
    rate_before_start = mic.sample_rate
    with mic:
        feed(mic, ramp(882).reshape(882, 1))

    assert rate_before_start is None
    assert mic.sample_rate == 44100
    assert queried == [(3, "input")]
    assert made[0].kwargs == {
        "callback": mic._callback,
        "samplerate": 44100,
        "channels": 1,
        "dtype": "int16",
        "blocksize": 882,
        "device": 3,
    }
    assert sink.calls[0][1] == 44100
