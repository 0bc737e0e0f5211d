"""The sans-I/O translation core: events in, state and Effects out, no I/O."""

from __future__ import annotations

import base64

from realtime_sync import events as ev
from realtime_sync.exceptions import ServerError
from realtime_sync.translation import events as tev
from realtime_sync.translation._config import session_request
from realtime_sync.translation._core import TranslationCore
from realtime_sync.translation.codec import TranslationCodec


def audio_delta(nbytes: int) -> tev.OutputAudioDelta:
    return tev.OutputAudioDelta(delta=base64.b64encode(bytes(nbytes)).decode())


def test_session_created_lets_connect_return() -> None:
    core = TranslationCore()
    session = tev.TranslationSession(id="sess_1", type="translation")
    out = core.receive(tev.SessionCreated(session=session))
    assert out is not None and out.session_created
    assert core.session_info is session
    assert core.receive(tev.SessionUpdated(session=session)) is None


def test_the_results_accumulate_as_received() -> None:
    core = TranslationCore()
    for event in (
        tev.InputTranscriptDelta(delta="Hola ", elapsed_ms=200),
        tev.OutputTranscriptDelta(delta="Hel", elapsed_ms=400),
        tev.OutputTranscriptDelta(delta="lo", elapsed_ms=None),
        tev.InputTranscriptDelta(delta="mundo"),
        audio_delta(4800),
        audio_delta(9600),
    ):
        assert core.receive(event) is None  # delivered as is
    result = core.translation()
    assert (result.source_transcript, result.transcript) == ("Hola mundo", "Hello")
    assert len(result.audio) == 14400 and result.duration == 0.3
    assert core.elapsed_ms == 400 and core.output_events == 4
    assert not result.closed
    core.receive(tev.SessionClosed())
    assert core.translation().closed


def test_retention_drops_the_oldest_audio_and_counts_it() -> None:
    core = TranslationCore(audio_retention_seconds=0.2)
    for _ in range(3):
        core.receive(audio_delta(9600))  # 200 ms each
    result = core.translation()
    assert len(result.audio) == 9600 and result.dropped_output_ms == 400
    none = TranslationCore(audio_retention_seconds=0)
    none.receive(audio_delta(4800))
    assert (
        none.translation().audio == b"" and none.translation().dropped_output_ms == 100
    )


def test_an_undecodable_audio_delta_is_delivered_not_fatal() -> None:
    core = TranslationCore()
    assert core.receive(tev.OutputAudioDelta(delta="not base64!")) is None
    assert core.translation().audio == b""


def test_errors_answer_our_event_or_go_to_on_error() -> None:
    core = TranslationCore()
    ours = ev.Error(
        error=ev.RealtimeError(
            type="invalid_request_error", message="no", event_id="evt_1"
        )
    )
    out = core.receive(ours)
    assert out is not None and out.answered == [("evt_1", ours)] and out.report == []
    stray = ev.Error(error=ev.RealtimeError(type="server_error", message="boom"))
    out = core.receive(stray)
    assert out is not None and out.answered == []
    (report,) = out.report
    assert isinstance(report, ServerError) and str(report) == "boom"


def test_every_update_is_merged_for_a_new_session() -> None:
    core = TranslationCore()
    assert core.restore_session_event() is None
    first = session_request(target_language="fr", input_transcription=True)
    second = session_request(noise_reduction="far_field")
    third = session_request(target_language="de", input_transcription=False)
    for request in (first, second, third):
        assert request is not None
        core.sending(tev.SessionUpdate(session=request))
    restore = core.restore_session_event()
    assert isinstance(restore, tev.SessionUpdate)
    assert TranslationCodec().to_dict(restore) == {
        "type": "session.update",
        "session": {
            "audio": {
                "output": {"language": "de"},
                "input": {
                    "transcription": None,
                    "noise_reduction": {"type": "far_field"},
                },
            }
        },
    }


def test_close_marks_the_session_closing_and_no_input_is_replayed() -> None:
    core = TranslationCore()
    close = tev.SessionClose()
    core.sending(close)
    assert core.closing
    core.withdraw(close)  # could not be sent after all
    assert not core.closing
    assert core.take_uncommitted() == ([], 0)
    assert core.input_format() == "audio/pcm"
    assert tev.InputAudioBufferAppend not in core.sending_types  # no lock per append


def test_gaps_are_placed_at_the_end_of_the_output() -> None:
    core = TranslationCore()
    core.receive(audio_delta(24000))  # 500 ms
    core.gap(1.5, 200, "lost")
    (gap,) = core.translation().gaps
    assert (gap.output_ms, gap.downtime, gap.dropped_audio_ms, gap.cause) == (
        500,
        1.5,
        200,
        "lost",
    )
