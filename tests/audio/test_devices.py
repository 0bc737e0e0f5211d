"""The device lifecycle Player and Microphone share (realtime_sync.audio.devices)."""

from __future__ import annotations

import threading
from typing import Any

import pytest

import realtime_sync.audio as audio
from realtime_sync.audio import devices
from realtime_sync.audio.devices._device import StreamDevice
from tests.audio.test_player import FakeStream


class FailingStart(FakeStream):
    """A stream whose start() fails, as an unplugged device's would."""

    def start(self) -> None:
        self.calls.append("start")
        raise OSError("device unavailable")


class FailingRecorder:
    """A stream_factory making FailingStart streams."""

    def __init__(self) -> None:
        self.streams: list[FailingStart] = []

    def __call__(self, **kwargs: Any) -> FailingStart:
        self.streams.append(FailingStart(**kwargs))
        return self.streams[-1]


def mic_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "realtime-sync-mic"]


def test_audio_reexports_the_devices() -> None:
    """rs.audio.Player and rs.audio.Microphone are the devices package's classes."""
    assert audio.Player is devices.Player
    assert audio.Microphone is devices.Microphone
    assert issubclass(devices.Player, StreamDevice)
    assert issubclass(devices.Microphone, StreamDevice)


def test_player_whose_stream_fails_to_start_is_not_started() -> None:
    """A failed start() leaves the player restartable; close() only closes."""
    factory = FailingRecorder()
    player = audio.Player(stream_factory=factory)

    with pytest.raises(OSError, match="unavailable"):
        player.start()
    with pytest.raises(OSError, match="unavailable"):
        player.start()  # the same stream is tried again
    player.close()

    [stream] = factory.streams
    assert stream.calls == ["start", "start", "close"]


def test_microphone_whose_stream_fails_to_start_leaves_no_thread() -> None:
    """A failed start() stops the sink thread it had started; close() closes."""
    factory = FailingRecorder()
    mic = audio.Microphone(lambda *a, **k: None, stream_factory=factory)

    with pytest.raises(OSError, match="unavailable"):
        mic.start()
    assert mic_threads() == []
    mic.close()

    [stream] = factory.streams
    assert stream.calls == ["start", "stop", "close"]


@pytest.mark.parametrize("kind", ["player", "microphone"])
def test_close_is_idempotent_and_final(kind: str) -> None:
    """close() twice closes the stream once; start() afterwards raises."""
    streams: list[FakeStream] = []

    def factory(**kwargs: Any) -> FakeStream:
        streams.append(FakeStream(**kwargs))
        return streams[-1]

    device: StreamDevice = (
        audio.Player(stream_factory=factory)
        if kind == "player"
        else audio.Microphone(lambda *a, **k: None, stream_factory=factory)
    )
    device.start()
    device.close()
    device.close()

    with pytest.raises(RuntimeError, match=f"Cannot reopen a {kind}"):
        device.start()
    assert streams[0].calls == ["start", "stop", "close"]
    assert mic_threads() == []
