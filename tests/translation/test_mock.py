"""The mock's translation API: the responder alone, then the server's faults."""

from __future__ import annotations

import base64
import threading
from collections.abc import Sequence

import pytest

import realtime_sync as rs
from realtime_sync.events import Error, UnknownClientEvent
from realtime_sync.testing import MockRealtimeServer, TranslationResponder, synth_speech
from realtime_sync.testing._apis import CloseFrame
from realtime_sync.translation import TranslationClient
from realtime_sync.translation import events as tev

pytestmark = pytest.mark.timeout(30)

FRAME = 9600


def append(data: bytes) -> tev.InputAudioBufferAppend:
    return tev.InputAudioBufferAppend(audio=base64.b64encode(data).decode())


def update(**audio: object) -> tev.SessionUpdate:
    hook = rs.translation.TranslationCodec()._tables.client["session.update"]
    return hook({"type": "session.update", "event_id": "evt_1", "session": audio}, None)  # type: ignore[no-any-return]


def error_of(frames: Sequence[object]) -> Error:
    (error,) = frames
    assert isinstance(error, Error)
    return error


def test_session_created_describes_the_defaults() -> None:
    (created,) = TranslationResponder("gpt-realtime-translate").start()
    assert isinstance(created, tev.SessionCreated)
    session = created.session
    assert (session.id, session.type, session.model) == (
        "sess_0001",
        "translation",
        "gpt-realtime-translate",
    )
    assert session.language == "en" and session.transcription_model is None
    assert isinstance(session.expires_at, int)


def test_output_follows_the_input_timeline_with_the_latency() -> None:
    responder = TranslationResponder(latency_ms=600)
    responder.handle(
        update(
            audio={
                "output": {"language": "fr"},
                "input": {"transcription": {"model": "gpt-realtime-whisper"}},
            }
        )
    )
    frames: list[object] = list(responder.handle(append(synth_speech("Hello."))))
    for _ in range(20):
        frames += responder.handle(append(bytes(FRAME)))
    source = [f for f in frames if isinstance(f, tev.InputTranscriptDelta)]
    audio = [f for f in frames if isinstance(f, tev.OutputAudioDelta)]
    text = [f for f in frames if isinstance(f, tev.OutputTranscriptDelta)]
    # The source text comes when the utterance ends; the speech 600 ms of input
    # later, one 200 ms delta per 200 ms of input.
    ended = source[0].elapsed_ms
    assert isinstance(ended, int) and ended % 200 == 0
    assert [a.elapsed_ms for a in audio] == [
        ended + 600 + 200 * i for i in range(len(audio))
    ]
    assert all(len(base64.b64decode(a.delta)) == FRAME for a in audio)
    assert len(audio) * 0.2 >= len("[fr] Hello.") / 15  # at speaking pace
    assert "".join(t.delta for t in source) == "Hello."
    assert "".join(t.delta for t in text) == "[fr] Hello."
    assert responder.utterances == [("Hello.", "[fr] Hello.")]


def test_no_source_transcript_without_transcription() -> None:
    responder = TranslationResponder()
    frames = responder.handle(append(synth_speech("Hi.", trail_ms=400)))
    frames += responder.handle(tev.SessionClose())
    assert not any(isinstance(f, tev.InputTranscriptDelta) for f in frames)
    assert any(isinstance(f, tev.OutputTranscriptDelta) for f in frames)


def test_no_input_no_output() -> None:
    """The timeline stands still without audio: nothing is emitted."""
    responder = TranslationResponder()
    responder.handle(append(synth_speech("Hi.", trail_ms=0) + bytes(FRAME)))
    # The utterance ended, its speech is scheduled after the latency: without more
    # input nothing comes; session.close flushes it all.
    closing = responder.handle(tev.SessionClose(event_id="evt_9"))
    assert isinstance(closing[-1], CloseFrame) and closing[-1].code == 1000
    assert isinstance(closing[-2], tev.SessionClosed)
    assert any(isinstance(f, tev.OutputAudioDelta) for f in closing)


def test_close_flushes_a_partial_frame_and_an_open_utterance() -> None:
    responder = TranslationResponder()
    responder.handle(update(audio={"input": {"transcription": {"model": "m"}}}))
    frames = responder.handle(append(synth_speech("Half a frame.", trail_ms=0)))
    frames += responder.handle(tev.SessionClose())
    sources = "".join(
        f.delta for f in frames if isinstance(f, tev.InputTranscriptDelta)
    )
    targets = "".join(
        f.delta for f in frames if isinstance(f, tev.OutputTranscriptDelta)
    )
    assert sources == "Half a frame." and targets == "[en] Half a frame."
    after = error_of(responder.handle(append(bytes(FRAME))))
    assert after.error.code == "session_closed"


@pytest.mark.parametrize(
    ("session", "code", "param"),
    [
        ({"voice": "x"}, "unknown_parameter", "session.voice"),
        ({"model": "x"}, "unknown_parameter", "session.model"),
        ({"type": "realtime"}, "unknown_parameter", "session.type"),
        (
            {"audio": {"output": {"voice": "x"}}},
            "unknown_parameter",
            "session.audio.output.voice",
        ),
        (
            {"audio": {"output": {"language": "French!"}}},
            "invalid_value",
            "session.audio.output.language",
        ),
        (
            {"audio": {"input": {"transcription": {}}}},
            "missing_required_parameter",
            "session.audio.input.transcription.model",
        ),
        (
            {"audio": {"input": {"noise_reduction": {"type": "loud"}}}},
            "invalid_value",
            "session.audio.input.noise_reduction.type",
        ),
        (
            {
                "audio": {
                    "input": {"noise_reduction": {"type": "near_field", "strength": -1}}
                }
            },
            "decimal_below_min_value",
            "session.audio.input.noise_reduction.strength",
        ),
        (
            {"audio": {"input": {"format": "pcm"}}},
            "unknown_parameter",
            "session.audio.input.format",
        ),
    ],
)
def test_session_update_is_validated_with_real_error_shapes(
    session: dict[str, object], code: str, param: str
) -> None:
    responder = TranslationResponder()
    error = error_of(responder.handle(update(**session)))
    assert error.error.type == "invalid_request_error"
    assert (error.error.code, error.error.param) == (code, param)
    assert error.error.event_id == "evt_1"
    assert isinstance(error.event_id, str)
    assert responder.session.language == "en"  # unchanged


def test_noise_reduction_strength_defaults_and_is_kept() -> None:
    responder = TranslationResponder()
    (first,) = responder.handle(
        update(audio={"input": {"noise_reduction": {"type": "far_field"}}})
    )
    nr = first.session.audio.input.noise_reduction  # type: ignore[union-attr]
    assert (nr.type, nr.strength) == ("far_field", 1.0)
    responder.handle(
        update(
            audio={"input": {"noise_reduction": {"type": "far_field", "strength": 0.3}}}
        )
    )
    (kept,) = responder.handle(
        update(audio={"input": {"noise_reduction": {"type": "near_field"}}})
    )
    nr = kept.session.audio.input.noise_reduction  # type: ignore[union-attr]
    assert (nr.type, nr.strength) == ("near_field", 0.3)
    (off,) = responder.handle(update(audio={"input": {"noise_reduction": None}}))
    assert off.session.audio.input.noise_reduction is None  # type: ignore[union-attr]


def test_bad_audio_and_unknown_events_are_errors() -> None:
    responder = TranslationResponder()
    bad = error_of(responder.handle(tev.InputAudioBufferAppend(audio="not base64!")))
    assert (bad.error.code, bad.error.param) == ("invalid_value", "audio")
    odd = error_of(responder.handle(append(b"\x00\x01\x02")))
    assert "2-byte samples" in odd.error.message
    unknown = error_of(
        responder.handle(UnknownClientEvent(type="response.create", data={}))
    )
    assert (unknown.error.code, unknown.error.param) == ("invalid_value", "type")
    assert "session.input_audio_buffer.append" in unknown.error.message
    invalid = error_of(responder.invalid_frame("expected str @ $.audio", "evt_3"))
    assert invalid.error.code == "invalid_event" and invalid.error.event_id == "evt_3"
    assert error_of(responder.server_error("evt_4")).error.type == "server_error"
    expired = error_of(responder.session_expired(60))
    assert expired.error.code == "session_expired"
    assert responder.active_responses == () and responder.next_frame() is None
    assert responder.output_ms(base64.b64encode(bytes(FRAME)).decode()) == 200


# -- the server's faults --------------------------------------------------------------


def test_a_dropped_connection_reconnects_over_loopback() -> None:
    with MockRealtimeServer(api="translation") as server:
        done = threading.Event()
        client = TranslationClient(
            url=server.url,
            target_language="es",
            pace=25,
            reconnect=rs.ReconnectPolicy(initial_delay=0, jitter=0),
        )
        client.on_reconnected(lambda info: done.set())
        with client:
            server.drop_all()
            assert done.wait(10)
            client.append_audio(synth_speech("Again.", trail_ms=400))
            result = client.finish(timeout=20)
        assert server.total_connections == 2
    assert result.transcript == "[es] Again."
    assert len(result.gaps) == 1


def test_a_close_fault_without_reconnection_is_reported() -> None:
    with MockRealtimeServer(api="translation") as server:
        errors: list[BaseException] = []
        client = TranslationClient(url=server.url, pace=25)
        client.on_error(errors.append)
        client.connect()
        server.fault(close_after_events=1, code=1011, reason="boom")
        client.append_audio(synth_speech("Hello there.", trail_ms=400))
        with pytest.raises(rs.ConnectionClosed) as info:
            client.finish(timeout=20)
        client.close()
    assert info.value.code == 1011
    assert any(isinstance(e, rs.ConnectionClosed) and e.code == 1011 for e in errors)


def test_session_expiry_ends_the_session_with_an_error() -> None:
    with MockRealtimeServer(api="translation", max_session_seconds=0.5) as server:
        client = TranslationClient(url=server.url, pace=25)
        reported: list[BaseException] = []
        client.on_error(reported.append)
        with client.expect(Error) as expired:
            client.connect()
            event = expired.wait(timeout=10)
        assert event.error.code == "session_expired"
        with pytest.raises(rs.ConnectionClosed) as info:
            client.wait_for(tev.SessionClosed, timeout=10)
        client.close()
    assert info.value.code == 1001
    # An error about no event of ours reaches on_error (then the close does).
    assert isinstance(reported[0], rs.ServerError)
    assert reported[0].code == "session_expired"


def test_the_mock_server_command_serves_translation() -> None:
    from realtime_sync.cli import _mock_server_of, _parser

    args = _parser().parse_args(["mock-server", "--api", "translation", "--port", "0"])
    server = _mock_server_of(args)
    assert server.api.name == "translation"
