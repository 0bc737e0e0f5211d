"""Player: jitter buffer, underruns, tracker accounting, barge-in fade, lifecycle."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
import types
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest

from realtime_sync.audio import (
    PlaybackTracker,
    Player,
    b64encode_pcm16,
    pcm16_to_bytes,
)


class FakeStream:
    """An output stream that records its construction and lifecycle calls."""

    def __init__(self, **kwargs: Any) -> None:
        self.kwargs = kwargs
        self.calls: list[str] = []

    def start(self) -> None:
        self.calls.append("start")

    def stop(self) -> None:
        self.calls.append("stop")

    def close(self) -> None:
        self.calls.append("close")


class StreamRecorder:
    """A stream_factory that keeps the streams it made."""

    def __init__(self) -> None:
        self.streams: list[FakeStream] = []

    def __call__(self, **kwargs: Any) -> FakeStream:
        stream = FakeStream(**kwargs)
        self.streams.append(stream)
        return stream


class RecordingTracker(PlaybackTracker):
    """A PlaybackTracker that also totals what it was told, per item."""

    def __init__(self, sample_rate: int = 24000) -> None:
        super().__init__(sample_rate)
        self.received_total: dict[str, int] = {}
        self.played_total: dict[str, int] = {}

    def received(self, item_id: str, n_samples: int) -> None:
        self.received_total[item_id] = self.received_total.get(item_id, 0) + n_samples
        super().received(item_id, n_samples)

    def played(self, item_id: str, n_samples: int) -> None:
        self.played_total[item_id] = self.played_total.get(item_id, 0) + n_samples
        super().played(item_id, n_samples)


def make_player(**kwargs: Any) -> Player:
    """A Player on a fake stream (no sound device)."""
    kwargs.setdefault("stream_factory", StreamRecorder())
    return Player(**kwargs)


def pull(player: Player, frames: int, channels: int = 1) -> npt.NDArray[np.int16]:
    """Run one device callback and return channel 0 of the block it wrote."""
    # Garbage first, so that silence must actually be written.
    outdata = np.full((frames, channels), 12345, dtype=np.int16)
    player._callback(outdata, frames, None, None)
    assert np.all(outdata == outdata[:, :1])
    block: npt.NDArray[np.int16] = outdata[:, 0].copy()
    return block


def playing(player: Player) -> bool:
    """Read ``is_playing`` afresh (keeps mypy from narrowing the property)."""
    return player.is_playing


def ramp(n: int, start: int = 1) -> npt.NDArray[np.int16]:
    """Distinct non-zero int16 samples ``start, start + 1, ...``."""
    return (np.arange(n) % 30000 + start).astype(np.int16)


def test_waits_for_jitter_threshold_before_starting() -> None:
    """Playback starts only once jitter_ms of audio is buffered."""
    player = make_player(jitter_ms=60)  # 1440 samples at 24 kHz
    audio = ramp(2000)
    player.play("a", audio[:1000])

    assert not pull(player, 480).any()
    assert not playing(player)
    assert player.buffered_ms == pytest.approx(1000 / 24)

    player.play("a", audio[1000:])
    np.testing.assert_array_equal(pull(player, 480), audio[:480])
    assert playing(player)


def test_ended_item_starts_below_threshold() -> None:
    """An item whose audio has ended plays without waiting for the threshold."""
    player = make_player(jitter_ms=60)
    audio = ramp(480)
    player.play("a", audio)
    player.end("a")

    np.testing.assert_array_equal(pull(player, 480), audio)


def test_short_audio_starts_after_waiting_jitter_ms() -> None:
    """Audio below the threshold, never ended, starts after jitter_ms of waiting."""
    player = make_player(jitter_ms=60)
    audio = ramp(480)
    player.play("a", audio)

    for _ in range(3):  # 3 x 20 ms of silence = the 60 ms jitter allowance
        assert not pull(player, 480).any()
    np.testing.assert_array_equal(pull(player, 480), audio)


def test_underrun_outputs_silence_and_rebuffers() -> None:
    """Running dry pads the block with silence and waits for the buffer again."""
    player = make_player(jitter_ms=10)  # 240 samples
    audio = ramp(600)
    player.play("a", audio)

    np.testing.assert_array_equal(pull(player, 480), audio[:480])
    out = pull(player, 480)
    np.testing.assert_array_equal(out[:120], audio[480:])
    assert not out[120:].any()
    assert not playing(player)
    assert player.buffered_ms == 0.0

    player.play("a", audio[:100])
    assert not pull(player, 480).any()  # below the 240-sample threshold again
    player.play("a", audio[:200])
    np.testing.assert_array_equal(
        pull(player, 300), np.concatenate([audio[:100], audio[:200]])
    )


def test_tracker_counts_received_and_played_samples() -> None:
    """Each delta is reported as received and each played block as played."""
    tracker = RecordingTracker()
    player = make_player(tracker=tracker, jitter_ms=0)
    player.play("a", b64encode_pcm16(ramp(1200)))
    player.play("a", b64encode_pcm16(ramp(1200)))

    pull(player, 1000)
    assert tracker.received_total == {"a": 2400}
    assert tracker.played_samples("a") == 1000
    pull(player, 2000)
    assert tracker.played_total == {"a": 2400}
    assert tracker.played_ms("a") == 100
    assert player.tracker is tracker


def test_tracker_counts_session_samples_when_resampling_to_48k() -> None:
    """With device_rate=48000 the tracker still counts 24 kHz samples."""
    tracker = RecordingTracker(24000)
    player = make_player(tracker=tracker, device_rate=48000, jitter_ms=0)
    t = np.arange(4800) / 24000
    audio = np.rint(8000 * np.sin(2 * np.pi * 440 * t)).astype(np.int16)
    player.play("a", audio)
    player.end("a")

    assert tracker.received_total == {"a": 4800}
    assert player.buffered_ms == pytest.approx(200.0)  # 9600 device samples
    out = pull(player, 2400)  # 50 ms at 48 kHz
    assert tracker.played_samples("a") == 1200
    assert tracker.played_ms("a") == 50
    # The 48 kHz output is the same tone: every other sample tracks the input.
    assert np.abs(out[200:2400:2].astype(int) - audio[100:1200]).max() < 200

    played = [out]
    while player.buffered_ms:
        played.append(pull(player, 1000))
    assert sum(block.shape[0] for block in played) >= 9600
    assert tracker.played_total == {"a": 4800}
    assert tracker.played_ms("a") == 200


def test_flush_fades_out_and_returns_played_ms() -> None:
    """flush() fades the next fade_ms linearly to 0 and returns the truncation point."""
    tracker = PlaybackTracker()
    player = make_player(tracker=tracker, jitter_ms=0, fade_ms=10)  # 240 samples
    player.play("a", np.full(4800, 10000, dtype=np.int16))
    pull(player, 480)

    assert player.flush() == ("a", 20)
    assert player.buffered_ms == 0.0
    assert playing(player)  # until the fade has been played
    out = pull(player, 480)
    fade = out[:240].astype(int)
    assert 9000 < fade[0] < 10000
    assert np.all(np.diff(fade) < 0)
    assert fade[-1] == 0
    assert not out[240:].any()
    assert not playing(player)
    assert tracker.played_ms("a") == 20  # the fade is not counted as heard


def test_flush_discards_late_audio_of_the_flushed_item() -> None:
    """Deltas of an interrupted item arriving after flush() are not played."""
    player = make_player(jitter_ms=0, fade_ms=0)
    player.play("a", ramp(960))
    pull(player, 480)
    player.flush()

    player.play("a", ramp(960))
    assert player.buffered_ms == 0.0
    assert not pull(player, 480).any()
    player.play("b", ramp(480, start=7))
    np.testing.assert_array_equal(pull(player, 480), ramp(480, start=7))


def test_flush_during_underrun_returns_the_item_being_received() -> None:
    """An item still arriving but momentarily drained is the one to truncate."""
    player = make_player(jitter_ms=0)
    player.play("a", ramp(480))
    pull(player, 480)
    pull(player, 480)  # underrun: nothing queued, "a" not ended

    assert player.flush() == ("a", 20)
    assert not pull(player, 480).any()  # nothing was playing: no fade


def test_flush_with_nothing_in_progress_returns_none() -> None:
    """With no item queued or arriving, flush() returns (None, 0)."""
    player = make_player(jitter_ms=0)
    assert player.flush() == (None, 0)
    player.play("a", ramp(480))
    player.end("a")
    pull(player, 480)
    assert player.flush() == (None, 0)


def test_multiple_items_play_in_order() -> None:
    """Items queued back to back play in order, each accounted separately."""
    tracker = RecordingTracker()
    player = make_player(tracker=tracker, jitter_ms=60)
    items = {"a": ramp(1000, 1), "b": ramp(700, 5000), "c": ramp(1300, 9000)}
    for item_id, audio in items.items():
        player.play(item_id, audio[:500])
        player.play(item_id, audio[500:])
    player.end()

    out = [pull(player, 333) for _ in range(10)]
    played = np.concatenate(out)
    np.testing.assert_array_equal(played[:3000], np.concatenate(list(items.values())))
    assert not played[3000:].any()
    assert tracker.played_total == {"a": 1000, "b": 700, "c": 1300}
    assert tracker.current_item == "c"


def test_bytes_input_carries_an_odd_byte_to_the_next_chunk() -> None:
    """PCM16 bytes split mid-sample are reassembled per item."""
    player = make_player(jitter_ms=0)
    data = pcm16_to_bytes(np.array([1, -2, 300], dtype=np.int16))
    player.play("a", data[:3])
    player.play("a", data[3:])

    np.testing.assert_array_equal(pull(player, 3), [1, -2, 300])


def test_multi_channel_output_repeats_the_mono_audio() -> None:
    """With channels=2 every channel carries the model's mono audio."""
    player = make_player(channels=2, jitter_ms=0)
    player.play("a", ramp(100))

    np.testing.assert_array_equal(pull(player, 100, channels=2), ramp(100))


def test_play_rejects_bad_audio() -> None:
    """Float arrays, 2-D arrays and other types raise at the call site."""
    player = make_player()
    with pytest.raises(TypeError, match="int16"):
        player.play("a", np.zeros(10, dtype=np.float32))
    with pytest.raises(ValueError, match="mono"):
        player.play("a", np.zeros((10, 2), dtype=np.int16))
    with pytest.raises(TypeError, match="base64"):
        player.play("a", [1, 2, 3])  # type: ignore[arg-type]


def test_play_from_another_thread_while_callbacks_run() -> None:
    """Audio fed from another thread comes out complete and in order."""
    tracker = PlaybackTracker()
    player = make_player(tracker=tracker, jitter_ms=5)
    audio = ramp(240 * 200)
    errors: list[BaseException] = []

    def feed() -> None:
        try:
            for chunk in np.split(audio, 200):
                player.play("a", chunk)
            player.end("a")
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    feeder = threading.Thread(target=feed, name="test-feeder")
    feeder.start()
    heard: list[npt.NDArray[np.int16]] = []
    count = 0
    deadline = time.monotonic() + 10.0
    while count < audio.shape[0] and time.monotonic() < deadline:
        block = pull(player, 256)
        block = block[block != 0]  # silence of underruns; the ramp has no zeros
        heard.append(block)
        count += block.shape[0]
    feeder.join(timeout=10.0)

    assert not errors
    np.testing.assert_array_equal(np.concatenate(heard), audio)
    assert tracker.played_samples("a") == audio.shape[0]


def test_start_opens_the_stream_with_the_device_rate() -> None:
    """start() calls the factory once with callback, rate, channels and int16."""
    factory = StreamRecorder()
    player = Player(device_rate=48000, channels=2, stream_factory=factory)
    assert factory.streams == []  # nothing is opened by the constructor

    player.start()
    player.start()
    player.stop()
    player.start()
    player.close()

    [stream] = factory.streams
    assert stream.kwargs == {
        "callback": player._callback,
        "samplerate": 48000,
        "channels": 2,
        "dtype": "int16",
    }
    assert stream.calls == ["start", "stop", "start", "stop", "close"]


def test_context_manager_and_closed_player() -> None:
    """``with`` starts and closes; a closed player cannot be restarted or fed."""
    factory = StreamRecorder()
    with Player(stream_factory=factory) as player:
        player.play("a", ramp(100))
    assert factory.streams[0].calls == ["start", "stop", "close"]
    assert player.buffered_ms == 0.0

    player.close()
    with pytest.raises(RuntimeError, match="closed"):
        player.start()
    with pytest.raises(RuntimeError, match="closed"):
        player.play("a", ramp(100))


def test_constructor_validates_arguments() -> None:
    """Bad rates, negative jitter and a mismatched tracker raise at once."""
    with pytest.raises(ValueError, match="sample_rate"):
        Player(sample_rate=0)
    with pytest.raises(ValueError, match="jitter_ms"):
        Player(jitter_ms=-1)
    with pytest.raises(ValueError, match="tracker"):
        Player(sample_rate=24000, tracker=PlaybackTracker(8000))


def test_missing_sounddevice_raises_import_error_naming_the_extra(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Without sounddevice and without a factory, start() names the extra."""
    monkeypatch.setitem(sys.modules, "sounddevice", None)
    player = Player()  # constructing needs no sounddevice

    with pytest.raises(ImportError) as info:
        player.start()
    assert str(info.value) == (
        'the audio extra is needed: pip install "realtime-sync[audio]"'
    )
    player.close()


def test_default_factory_opens_a_sounddevice_output_stream(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Without a factory, start() opens sounddevice.OutputStream(dtype="int16")."""
    fake = types.ModuleType("sounddevice")
    made: list[FakeStream] = []

    def output_stream(**kwargs: Any) -> FakeStream:
        made.append(FakeStream(**kwargs))
        return made[-1]

    fake.OutputStream = output_stream  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "sounddevice", fake)

    with Player(device="speakers") as player:
        pass

    [stream] = made
    assert stream.kwargs == {
        "callback": player._callback,
        "samplerate": 24000,
        "channels": 1,
        "dtype": "int16",
        "device": "speakers",
    }
    assert stream.calls == ["start", "stop", "close"]


def test_importing_the_audio_package_does_not_import_sounddevice() -> None:
    """realtime_sync.audio imports and builds players with sounddevice unimportable."""
    code = (
        "import sys; sys.modules['sounddevice'] = None\n"
        "import realtime_sync.audio as a\n"
        "a.Player(); a.Microphone(lambda *args, **kw: None)\n"
    )
    root = Path(__file__).resolve().parents[2]
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60, cwd=root)
