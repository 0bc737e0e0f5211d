"""Simulated turn detection, input transcription and transcription sessions.

All socket-free: client events go into a Responder, server events come out.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from typing import Any

import numpy as np
import pytest

from realtime_sync import events as ev
from realtime_sync.testing import (
    Responder,
    find_marker,
    speech_like,
    synth_speech,
    threshold_dbfs,
)

pytestmark = pytest.mark.timeout(10)


def types(events: Sequence[ev.ServerEvent]) -> list[str]:
    """The wire types of events, in order."""
    return [e.type for e in events]


def tone(ms: int, dbfs: float, rate: int = 24_000) -> np.ndarray:
    """A 440 Hz sine whose RMS is ``dbfs``."""
    t = np.arange(rate * ms // 1000) / rate
    amplitude = 32768 * 10 ** (dbfs / 20) * np.sqrt(2)
    samples: np.ndarray = np.round(amplitude * np.sin(2 * np.pi * 440 * t))
    return samples.astype("<i2")


def silence(ms: int, rate: int = 24_000) -> np.ndarray:
    """Zero samples."""
    return np.zeros(rate * ms // 1000, dtype="<i2")


def pcm(*parts: np.ndarray) -> bytes:
    """Concatenated int16 parts as pcm16 bytes."""
    return np.concatenate(parts).astype("<i2").tobytes()


def configure(r: Responder, **input_fields: Any) -> None:
    """session.update of audio.input fields (and text output)."""
    events = r.handle(
        ev.SessionUpdate(
            session=ev.RealtimeSession(
                type="realtime",
                output_modalities=["text"],
                audio=ev.AudioConfig(input=ev.AudioInput(**input_fields)),
            )
        )
    )
    assert types(events) == ["session.updated"], events


def vad(**fields: Any) -> ev.ServerVad:
    """A server VAD config."""
    return ev.ServerVad(type="server_vad", **fields)


def feed(r: Responder, data: bytes, chunk: int = 4800) -> list[ev.ServerEvent]:
    """Append ``data`` in chunks; return every answer."""
    out: list[ev.ServerEvent] = []
    for i in range(0, len(data), chunk):
        out += r.handle(
            ev.InputAudioBufferAppend(
                audio=base64.b64encode(data[i : i + chunk]).decode()
            )
        )
    return out


def one(events: Sequence[ev.ServerEvent], cls: type[Any]) -> Any:
    """The single event of a class."""
    found = [e for e in events if isinstance(e, cls)]
    assert len(found) == 1, types(events)
    return found[0]


# -- the detector ----------------------------------------------------------------------


def test_threshold_maps_linearly_to_dbfs() -> None:
    """A threshold of 0 -> -70 dBFS, 0.5 -> -40, 1 -> -10, clamped outside [0, 1]."""
    assert threshold_dbfs(0.0) == -70.0
    assert threshold_dbfs(0.5) == -40.0
    assert threshold_dbfs(1.0) == -10.0
    assert threshold_dbfs(2.0) == -10.0
    assert threshold_dbfs(-1.0) == -70.0


def test_server_vad_turn_timings_and_sequence() -> None:
    """Speech then silence: started/stopped at exact ms, commit, automatic response."""
    r = Responder()
    configure(r, turn_detection=vad(prefix_padding_ms=100, silence_duration_ms=300))
    events = feed(r, pcm(silence(200), tone(500, -20), silence(600)))

    assert types(events) == [
        "input_audio_buffer.speech_started",
        "input_audio_buffer.speech_stopped",
        "input_audio_buffer.committed",
        "conversation.item.added",
        "conversation.item.done",
        "response.created",
    ]
    started, stopped, committed = events[:3]
    # Speech starts at 200 ms; audio_start_ms includes the 100 ms prefix padding.
    assert started.audio_start_ms == 100  # type: ignore[attr-defined]
    # Speech ends at 700 ms; audio_end_ms includes the 300 ms of silence (§2).
    assert stopped.audio_end_ms == 1000  # type: ignore[attr-defined]
    item_id = started.item_id  # type: ignore[attr-defined]
    assert stopped.item_id == committed.item_id == item_id  # type: ignore[attr-defined]
    item = events[4].item  # type: ignore[attr-defined]
    assert item.id == item_id and item.content == [ev.InputAudio(transcript=None)]
    # The commit took the audio up to the stop; the rest stays in the buffer.
    assert r.input_audio_bytes == 300 * 48
    stored = r.items[0]
    assert len(base64.b64decode(stored.content[0].audio)) == 1000 * 48  # type: ignore[union-attr, arg-type]
    done = r.drain()[-1]
    assert isinstance(done, ev.ResponseDone)
    assert done.response.status == "completed"


def test_prefix_padding_is_clamped_at_zero() -> None:
    """Speech in the first 300 ms gives audio_start_ms 0, not a negative time."""
    r = Responder()
    configure(r, turn_detection=vad(silence_duration_ms=200))
    events = feed(r, pcm(silence(50), tone(300, -20), silence(300)))

    assert one(events, ev.InputAudioBufferSpeechStarted).audio_start_ms == 0


def test_timing_counts_appended_audio_not_calls() -> None:
    """Positions are ms of audio appended since the session start, across turns."""
    r = Responder()
    configure(
        r,
        turn_detection=vad(
            prefix_padding_ms=0, silence_duration_ms=200, create_response=False
        ),
    )
    turn = pcm(tone(300, -20), silence(200))
    first = feed(r, turn, chunk=960)  # 10 ms appends
    second = feed(r, turn, chunk=48_000)  # one big append

    starts = [e.audio_start_ms for e in first + second if e.type.endswith("started")]  # type: ignore[attr-defined]
    ends = [e.audio_end_ms for e in first + second if e.type.endswith("stopped")]  # type: ignore[attr-defined]
    assert starts == [0, 500]
    assert ends == [500, 1000]


def test_threshold_decides_what_is_speech() -> None:
    """A -50 dBFS tone is speech at threshold 0.2 (-58 dBFS), not at 0.5 (-40)."""
    quiet = pcm(tone(300, -50), silence(300))
    strict, lenient = Responder(), Responder()
    configure(strict, turn_detection=vad(threshold=0.5, silence_duration_ms=200))
    configure(lenient, turn_detection=vad(threshold=0.2, silence_duration_ms=200))

    assert feed(strict, quiet) == []
    assert "input_audio_buffer.speech_started" in types(feed(lenient, quiet))


def test_create_response_false_commits_without_responding() -> None:
    """create_response=false: VAD events and the commit, but no response."""
    r = Responder()
    configure(r, turn_detection=vad(silence_duration_ms=200, create_response=False))
    events = feed(r, pcm(tone(300, -20), silence(300)))

    assert types(events)[-1] == "conversation.item.done"
    assert r.active_responses == []


def test_turn_detection_null_means_manual_turns() -> None:
    """With turn_detection null nothing is detected; a commit is needed."""
    r = Responder()
    configure(r, turn_detection=None)

    assert feed(r, pcm(tone(500, -10), silence(1000))) == []
    assert types(r.handle(ev.InputAudioBufferCommit())) == [
        "input_audio_buffer.committed",
        "conversation.item.added",
        "conversation.item.done",
    ]


def test_manual_commit_during_speech_uses_the_announced_item_id() -> None:
    """A commit mid-speech ends the turn with speech_started's item id."""
    r = Responder()
    configure(r, turn_detection=vad(silence_duration_ms=500))
    started = one(feed(r, pcm(tone(300, -20))), ev.InputAudioBufferSpeechStarted)

    committed = r.handle(ev.InputAudioBufferCommit())[0]

    assert committed.item_id == started.item_id  # type: ignore[attr-defined]
    assert feed(r, pcm(silence(600))) == []  # the turn is over: no speech_stopped


def test_speech_interrupts_the_running_response() -> None:
    """Barge-in: speech_started, then the response ends cancelled/turn_detected."""
    r = Responder()
    configure(r, turn_detection=vad(silence_duration_ms=200))
    r.handle(
        ev.ConversationItemCreate(
            item=ev.UserMessage(content=[ev.InputText(text="tell me a long story")])
        )
    )
    r.handle(ev.ResponseCreate())
    r.next_event()
    r.next_event()  # the response is mid-stream

    events = feed(r, pcm(tone(300, -20)))

    assert events[0].type == "input_audio_buffer.speech_started"
    done = events[-1]
    assert isinstance(done, ev.ResponseDone)
    assert done.response.status == "cancelled"
    assert done.response.status_details == ev.ResponseStatusDetails(
        type="cancelled", reason="turn_detected"
    )
    assert r.active_responses == []


def test_interrupt_response_false_lets_the_response_finish() -> None:
    """interrupt_response=false: speech does not cancel the running response."""
    r = Responder()
    configure(r, turn_detection=vad(silence_duration_ms=200, interrupt_response=False))
    r.handle(ev.ResponseCreate())

    events = feed(r, pcm(tone(300, -20)))

    assert types(events) == ["input_audio_buffer.speech_started"]
    assert len(r.active_responses) == 1


@pytest.mark.parametrize(
    ("eagerness", "stops_after_500_ms"),
    [("high", True), ("auto", True), ("medium", True), ("low", False)],
)
def test_semantic_vad_waits_by_eagerness(
    eagerness: str, stops_after_500_ms: bool
) -> None:
    """Semantic VAD waits 200/400/400/800 ms of silence (high/auto/medium/low)."""
    r = Responder()
    configure(
        r, turn_detection=ev.SemanticVad(type="semantic_vad", eagerness=eagerness)
    )
    events = feed(r, pcm(tone(300, -20), silence(500)))

    assert ("input_audio_buffer.speech_stopped" in types(events)) is stops_after_500_ms
    if not stops_after_500_ms:
        assert "input_audio_buffer.speech_stopped" in types(feed(r, pcm(silence(300))))


@pytest.mark.parametrize("fmt", ["audio/pcmu", "audio/pcma"])
def test_g711_input_is_decoded_for_the_detector(fmt: str) -> None:
    """mu-law and A-law input (8 kHz, 8 bytes a ms) give the same timings."""
    r = Responder()
    audio_format = ev.AudioPCMU() if fmt == "audio/pcmu" else ev.AudioPCMA()
    configure(
        r,
        format=audio_format,
        turn_detection=vad(prefix_padding_ms=0, silence_duration_ms=200),
    )
    data = synth_speech("bonjour", ms=400, format=fmt, lead_ms=100, trail_ms=300)
    events = feed(r, data, chunk=800)

    started = one(events, ev.InputAudioBufferSpeechStarted)
    stopped = one(events, ev.InputAudioBufferSpeechStopped)
    assert 100 <= started.audio_start_ms <= 120  # marker + lead silence
    assert 600 <= stopped.audio_end_ms <= 720
    assert r.drain()[-1].type == "response.done"


# -- idle timeout ----------------------------------------------------------------------


def test_idle_timeout_commits_the_silence_and_responds() -> None:
    """idle_timeout_ms of appended silence: timeout_triggered, commit, response."""
    r = Responder()
    configure(r, turn_detection=vad(idle_timeout_ms=1000))
    events = feed(r, pcm(silence(1500)))

    assert types(events) == [
        "input_audio_buffer.timeout_triggered",
        "input_audio_buffer.committed",
        "conversation.item.added",
        "conversation.item.done",
        "response.created",
    ]
    triggered = events[0]
    assert triggered.audio_start_ms == 0  # type: ignore[attr-defined]
    assert triggered.audio_end_ms == 1000  # type: ignore[attr-defined]
    assert triggered.item_id == events[1].item_id  # type: ignore[attr-defined]
    r.drain()  # the response ends at 1500 ms of audio: the next timeout counts from it
    assert feed(r, pcm(silence(900))) == []
    again = feed(r, pcm(silence(200)))
    assert again[0].type == "input_audio_buffer.timeout_triggered"
    assert again[0].audio_start_ms == 1500  # type: ignore[attr-defined]
    assert again[0].audio_end_ms == 2500  # type: ignore[attr-defined]


def test_idle_timeout_waits_for_the_running_response_and_for_speech() -> None:
    """No timeout while a response streams or while the user speaks."""
    r = Responder()
    configure(r, turn_detection=vad(idle_timeout_ms=500, silence_duration_ms=1000))
    r.handle(ev.ResponseCreate())
    assert feed(r, pcm(silence(800))) == []  # a response is active
    r.drain()
    events = feed(r, pcm(tone(300, -20), silence(700)))
    assert types(events) == ["input_audio_buffer.speech_started"]


# -- input transcription ---------------------------------------------------------------


def test_transcription_follows_response_created_with_marker_text() -> None:
    """Transcription deltas and completed come after response.created (late)."""
    r = Responder(text_delta_chars=4)
    configure(
        r,
        transcription=ev.TranscriptionConfig(model="gpt-4o-transcribe"),
        turn_detection=vad(silence_duration_ms=200),
    )
    events = feed(r, synth_speech("turn on the lights", trail_ms=300))

    names = types(events)
    created = names.index("response.created")
    assert names[created + 1 :] == [
        "conversation.item.input_audio_transcription.delta"
    ] * 5 + ["conversation.item.input_audio_transcription.completed"]
    deltas = [e.delta for e in events[created + 1 : -1]]  # type: ignore[attr-defined]
    completed = events[-1]
    assert isinstance(completed, ev.ConversationItemInputAudioTranscriptionCompleted)
    assert "".join(deltas) == completed.transcript == "turn on the lights"
    assert completed.item_id == events[0].item_id  # type: ignore[attr-defined]
    usage = completed.usage
    assert isinstance(usage, ev.TranscriptionUsageTokens)
    assert usage.total_tokens == usage.input_tokens + usage.output_tokens > 0
    retrieved = r.handle(ev.ConversationItemRetrieve(item_id=completed.item_id))[0]
    assert retrieved.item.content[0].transcript == "turn on the lights"  # type: ignore[attr-defined]
    text = one(r.drain(), ev.ResponseOutputTextDone).text
    assert text == "You said: turn on the lights"


def test_transcript_without_marker_and_of_silence() -> None:
    """Unmarked speech gives '[speech N.NN s]'; a silent commit gives ''."""
    r = Responder()
    configure(
        r,
        transcription=ev.TranscriptionConfig(model="whisper-1"),
        turn_detection=None,
    )
    feed(r, speech_like(1230).tobytes())
    spoken = r.handle(ev.InputAudioBufferCommit())
    feed(r, pcm(silence(200)))
    silent = r.handle(ev.InputAudioBufferCommit())

    assert one(
        spoken, ev.ConversationItemInputAudioTranscriptionCompleted
    ).transcript == ("[speech 1.23 s]")
    assert types(silent)[-1] == "conversation.item.input_audio_transcription.completed"
    assert silent[-1].transcript == ""  # type: ignore[attr-defined]
    assert "conversation.item.input_audio_transcription.delta" not in types(silent)


def test_no_transcription_events_when_transcription_is_off() -> None:
    """The default session has no transcription: a commit gives no transcript."""
    r = Responder()
    feed(r, pcm(silence(200)))
    assert not any(
        "transcription" in t for t in types(r.handle(ev.InputAudioBufferCommit()))
    )


def test_marked_audio_naming_a_tool_calls_it() -> None:
    """A synth_speech marker counts as the user's words for tool choice."""
    r = Responder()
    r.handle(
        ev.SessionUpdate(
            session=ev.RealtimeSession(
                type="realtime",
                output_modalities=["text"],
                tools=[ev.FunctionTool(type="function", name="get_time")],
                audio=ev.AudioConfig(
                    input=ev.AudioInput(turn_detection=vad(silence_duration_ms=200))
                ),
            )
        )
    )
    feed(r, synth_speech("please get time", trail_ms=300))

    done = one(r.drain(), ev.ResponseFunctionCallArgumentsDone)
    assert done.name == "get_time"


# -- transcription sessions ------------------------------------------------------------


def test_transcription_session_start_and_turn() -> None:
    """session_type='transcription': its session, VAD commits, transcripts, no items."""
    r = Responder(session_type="transcription")
    created = r.start()
    assert types(created) == ["session.created"]
    session = created[0].session  # type: ignore[attr-defined]
    assert isinstance(session, ev.TranscriptionSession)
    assert session.type == "transcription"
    assert r.session_type == "transcription"
    assert r.transcription_session == session

    events = feed(r, synth_speech("note to self", trail_ms=300))

    assert types(events)[:3] == [
        "input_audio_buffer.speech_started",
        "input_audio_buffer.speech_stopped",
        "input_audio_buffer.committed",
    ]
    assert types(events)[-1] == "conversation.item.input_audio_transcription.completed"
    assert events[-1].transcript == "note to self"  # type: ignore[attr-defined]
    assert not any(
        t.startswith(("response.", "conversation.item.added")) for t in types(events)
    )
    assert r.items == []


def test_transcription_session_refuses_responses_and_realtime_updates() -> None:
    """response.create and a realtime session.update are errors."""
    r = Responder(session_type="transcription")

    refused = r.handle(ev.ResponseCreate(event_id="r1"))
    wrong = r.handle(
        ev.SessionUpdate(session=ev.RealtimeSession(type="realtime", instructions="x"))
    )

    assert one(refused, ev.Error).error.event_id == "r1"
    assert one(wrong, ev.Error).error.param == "session.type"


def test_transcription_session_update_merges() -> None:
    """session.update with a TranscriptionSession changes only what it names."""
    r = Responder(session_type="transcription")
    events = r.handle(
        ev.SessionUpdate(
            session=ev.TranscriptionSession(
                type="transcription",
                audio=ev.TranscriptionAudio(
                    input=ev.AudioInput(
                        transcription=ev.TranscriptionConfig(model="whisper-1")
                    )
                ),
            )
        )
    )
    session = one(events, ev.SessionUpdated).session
    assert isinstance(session, ev.TranscriptionSession)
    assert session.audio.input.transcription.model == "whisper-1"  # type: ignore[union-attr]
    assert isinstance(session.audio.input.turn_detection, ev.ServerVad)  # type: ignore[union-attr]


def test_realtime_session_becomes_transcription_only_while_fresh() -> None:
    """A fresh realtime session may switch to transcription; a used one may not."""
    update = ev.SessionUpdate(session=ev.TranscriptionSession(type="transcription"))
    fresh = Responder()
    assert one(fresh.handle(update), ev.SessionUpdated).session.type == "transcription"
    assert fresh.session_type == "transcription"

    used = Responder()
    used.handle(
        ev.ConversationItemCreate(
            item=ev.UserMessage(content=[ev.InputText(text="hi")])
        )
    )
    assert one(used.handle(update), ev.Error).error.param == "session.type"


# -- synthetic speech ------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["audio/pcm", "audio/pcmu", "audio/pcma", "pcm16"])
def test_synth_speech_marker_round_trips(fmt: str) -> None:
    """find_marker reads back the text in every format; damaged audio has none."""
    data = synth_speech("héllo, wörld", format=fmt, trail_ms=100)

    assert find_marker(data, fmt) == "héllo, wörld"
    assert find_marker(data[8:], fmt) is None
    assert find_marker(b"\x00" * 1000, fmt) is None
    assert synth_speech("x", format=fmt) == synth_speech("x", format=fmt)


def test_synth_speech_duration_and_errors() -> None:
    """Durations add up (plus the marker); bad arguments raise ValueError."""
    data = synth_speech("ab", ms=500, lead_ms=100, trail_ms=200)
    marker_samples = (4 + 2 + 2) * 8
    assert len(data) == 2 * (marker_samples + 24 * 800)
    with pytest.raises(ValueError, match="format"):
        synth_speech("x", format="audio/flac")
    with pytest.raises(ValueError, match="negative"):
        synth_speech("x", trail_ms=-1)


def test_audio_chunk_ms_sizes_the_output_deltas() -> None:
    """Responder(audio_chunk_ms=50): 200 ms of reply audio in four deltas."""
    r = Responder(audio_chunk_ms=50, audio_ms=200)
    r.handle(ev.ResponseCreate())
    deltas = [e for e in r.drain() if isinstance(e, ev.ResponseOutputAudioDelta)]

    assert [len(base64.b64decode(d.delta)) for d in deltas] == [2400] * 4
    assert r.output_ms(deltas[0].delta) == 50.0


@pytest.mark.parametrize(
    ("limit", "message"),
    [
        (3600, "Your session hit the maximum duration of 60 minutes."),
        (60, "Your session hit the maximum duration of 1 minute."),
        (0.5, "Your session hit the maximum duration of 0.5 seconds."),
    ],
)
def test_session_expired_error(limit: float, message: str) -> None:
    """session_expired: code and the real server's message, in minutes or seconds."""
    err = one(Responder().session_expired(limit), ev.Error).error

    assert err.code == "session_expired"
    assert err.message == message
