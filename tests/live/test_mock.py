"""The mock's Live API: the LiveResponder alone, on the server, and in memory."""

from __future__ import annotations

import base64
import contextlib
import json
import re
import threading
from typing import Any

import numpy as np
import pytest
import websocket

from realtime_sync.events import UNSET
from realtime_sync.exceptions import ConnectionClosed
from realtime_sync.live import events as lv
from realtime_sync.live.codec import LiveCodec
from realtime_sync.testing import (
    CloseFrame,
    InMemoryTransport,
    LiveFaults,
    LiveResponder,
    MockRealtimeServer,
    speech_like,
    synth_speech,
)

CODEC = LiveCodec()
WAIT = 5.0
MS = 48  # bytes per ms of 24 kHz pcm16


def audio(data: bytes) -> lv.SessionInputAudioAppend:
    return lv.SessionInputAudioAppend(audio=base64.b64encode(data).decode())


def silence(ms: int) -> lv.SessionInputAudioAppend:
    return audio(bytes(MS * ms))


def started(**config: Any) -> tuple[LiveResponder, list[Any]]:
    responder = LiveResponder(clock=lambda: 1000.0, **config.pop("_options", {}))
    out = responder.handle(
        lv.SessionStart(
            event_id="s1", session=lv.SessionConfig(model="gpt-live-1", **config)
        )
    )
    return responder, out


def of(events: list[Any], cls: type) -> list[Any]:
    return [e for e in events if isinstance(e, cls)]


def text(events: list[Any], cls: type) -> str:
    return "".join(e.delta for e in of(events, cls))


def decode_start(payload: dict[str, Any]) -> lv.LiveClientEvent:
    return CODEC.decode_client(
        json.dumps({"type": "session.start", "event_id": "s1", "session": payload})
    )


# -- start and configuration -----------------------------------------------------------


def test_silent_until_session_start() -> None:
    """Nothing on connect; any command before session.start is refused."""
    responder = LiveResponder()

    assert responder.start() == []
    [error] = responder.handle(lv.SessionInputAudioMute(event_id="m1"))
    assert isinstance(error, lv.Error)
    assert error.error.code == "session_not_started"
    assert error.error.client_event_id == "m1"


def test_start_fills_the_defaults() -> None:
    """session.started: id, expires_at, pcm 24 kHz, marin, client delegation, input []."""
    responder, [event] = started()

    assert isinstance(event, lv.SessionStarted)
    assert event.client_event_id == "s1"
    session = event.session
    assert session.id.startswith("live_") and session.status == "active"
    assert session.expires_at == 1000 + 3600
    assert session.audio == lv.AudioConfig(
        format=lv.AudioPCM(rate=24000), output=lv.AudioOutput(voice="marin")
    )
    assert session.delegation == lv.ClientDelegation()
    assert session.input == []
    assert responder.session == session


@pytest.mark.parametrize(
    ("payload", "code", "param"),
    [
        (
            {"model": "gpt-live-1", "voice": "marin"},
            "unknown_parameter",
            "session.voice",
        ),
        (
            {
                "model": "gpt-live-1",
                "audio": {"output": {"voice": "marin", "speed": 1}},
            },
            "unknown_parameter",
            "session.audio.output.speed",
        ),
        (
            {"model": "gpt-live-1", "turn_detection": {"type": "server_vad"}},
            "unknown_parameter",
            "session.turn_detection",
        ),
        ({}, "missing_required_parameter", "session.model"),
        ({"model": "gpt-realtime"}, "invalid_model", "session.model"),
        (
            {
                "model": "gpt-live-1",
                "audio": {"format": {"type": "audio/pcm", "rate": 44100}},
            },
            "invalid_value",
            "session.audio.format.rate",
        ),
        (
            {"model": "gpt-live-1", "audio": {"format": {"type": "audio/opus"}}},
            "invalid_value",
            "session.audio.format.type",
        ),
        (
            {"model": "gpt-live-1", "audio": {"output": {"voice": "nobody"}}},
            "invalid_value",
            "session.audio.output.voice",
        ),
        (
            {
                "model": "gpt-live-1",
                "delegation": {"type": "responses", "responses": {}},
            },
            "missing_required_parameter",
            "session.delegation.responses.model",
        ),
        (
            {"model": "gpt-live-1", "delegation": {"type": "agents"}},
            "invalid_value",
            "session.delegation.type",
        ),
        (
            {
                "model": "gpt-live-1",
                "input": [{"role": "user", "content": [{"text": "hi"}]}] * 129,
            },
            "array_above_max_length",
            "session.input",
        ),
    ],
)
def test_bad_start_is_refused_naming_the_field(
    payload: dict[str, Any], code: str, param: str
) -> None:
    """The error names the refused field; the session can still start after it."""
    responder = LiveResponder()

    [error] = responder.handle(decode_start(payload))

    assert isinstance(error, lv.Error)
    assert (error.error.code, error.error.param) == (code, param)
    assert error.error.client_event_id == "s1"
    assert error.error.type == "invalid_request_error"
    assert responder.session is None
    [ok] = responder.handle(decode_start({"model": "gpt-live-1"}))
    assert isinstance(ok, lv.SessionStarted)


def test_second_start_is_refused() -> None:
    responder, _ = started()

    [error] = responder.handle(
        lv.SessionStart(session=lv.SessionConfig(model="gpt-live-1"))
    )

    assert error.error.code == "session_already_started"


def test_unknown_command_lists_the_supported_ones() -> None:
    """A Realtime-only command such as a commit is refused with the supported types."""
    responder, _ = started()

    [error] = responder.handle(
        CODEC.decode_client('{"type":"session.input_audio.commit","event_id":"x"}')
    )

    assert error.error.code == "invalid_value"
    assert error.error.client_event_id == "x"
    assert "'session.input_audio.append'" in error.error.message


# -- the timeline ----------------------------------------------------------------------


def test_output_track_is_continuous_and_follows_input() -> None:
    """One silent 100 ms output chunk per 100 ms of input; nothing without input."""
    responder, _ = started()

    assert responder.handle(silence(50)) == []
    out = responder.handle(silence(950))

    deltas = of(out, lv.SessionOutputAudioDelta)
    assert len(deltas) == 10
    assert all(d.event_id is UNSET for d in deltas)
    assert all(not d.audio.any() and len(d.audio) == 2400 for d in deltas)
    assert responder.timeline_ms == 1000


def test_a_turn_is_transcribed_and_answered_on_the_grid() -> None:
    """Marker speech: its text as input transcript; 'You said: ...' spoken."""
    responder, _ = started()

    out = responder.handle(audio(synth_speech("Book a table", trail_ms=600)))
    out += responder.handle(silence(3000))

    assert text(out, lv.SessionInputTranscriptDelta) == "Book a table"
    assert text(out, lv.SessionOutputTranscriptDelta) == "You said: Book a table."
    stamps = of(out, lv.SessionInputTranscriptDelta) + of(
        out, lv.SessionOutputTranscriptDelta
    )
    assert all(e.start_ms % 200 == 0 and e.end_ms - e.start_ms == 200 for e in stamps)
    spoken = [d.audio for d in of(out, lv.SessionOutputAudioDelta)]
    assert any(chunk.any() for chunk in spoken) and not spoken[-1].any()
    assert responder.transcript == [
        ("user", "Book a table"),
        ("assistant", "You said: Book a table."),
    ]


def test_a_speakers_fragments_join_into_words_across_utterances() -> None:
    """Concatenated in order, each speaker's deltas give its words, spaced."""
    responder, _ = started()

    out = responder.handle(audio(synth_speech("Book a table", trail_ms=600)))
    out += responder.handle(silence(3000))
    out += responder.handle(audio(synth_speech("For two", trail_ms=600)))
    out += responder.handle(silence(3000))

    assert text(out, lv.SessionInputTranscriptDelta) == "Book a table For two"
    assert text(out, lv.SessionOutputTranscriptDelta) == (
        "You said: Book a table. You said: For two."
    )


def test_speech_without_a_marker_is_transcribed_by_duration() -> None:
    responder, _ = started()
    speech = speech_like(1200).astype("<i2").tobytes()

    out = responder.handle(audio(speech + bytes(MS * 800)))

    # The detector hears the voiced part (the fades are below its threshold).
    assert re.fullmatch(
        r"\[speech 1\.[0-2]\d s\]", text(out, lv.SessionInputTranscriptDelta)
    )


def test_appends_wait_for_the_timeline() -> None:
    """Appends are acknowledged only once input audio moves the timeline past them."""
    responder, _ = started()
    responder.handle(silence(1000))

    assert (
        responder.handle(
            lv.SessionInstructionsAppend(event_id="i1", content="Be kind.")
        )
        == []
    )
    assert (
        responder.handle(lv.SessionThinkingAppend(event_id="t1", content="Hmm.")) == []
    )
    assert (
        responder.handle(lv.SessionCommentaryAppend(event_id="c1", content="Hi there."))
        == []
    )
    out = responder.handle(silence(100))
    assert of(out, lv.SessionInstructionsAppended) == []
    out += responder.handle(silence(2000))

    acks = [e for e in out if type(e).__name__.endswith("Appended")]
    assert [(type(e).__name__, e.client_event_id) for e in acks] == [
        ("SessionInstructionsAppended", "i1"),
        ("SessionThinkingAppended", "t1"),
        ("SessionCommentaryAppended", "c1"),
    ]
    assert all(e.start_ms >= 1000 for e in acks)
    assert text(out, lv.SessionOutputTranscriptDelta) == "Hi there."


def test_usage_is_cumulative_seconds_of_timeline() -> None:
    responder, _ = started()

    out = responder.handle(silence(31_000))

    updates = of(out, lv.SessionUsageUpdated)
    assert [u.usage.seconds for u in updates] == [15.0, 30.0]
    assert all(0 < u.context_window.usage_ratio < 1 for u in updates)


def test_mute_hears_silence_but_the_timeline_goes_on() -> None:
    responder, _ = started()

    [muted] = responder.handle(lv.SessionInputAudioMute(event_id="m"))
    out = responder.handle(audio(synth_speech("Hello", trail_ms=600)))
    [unmuted] = responder.handle(lv.SessionInputAudioUnmute())

    assert isinstance(muted, lv.SessionInputAudioMuted) and muted.client_event_id == "m"
    assert isinstance(unmuted, lv.SessionInputAudioUnmuted)
    assert of(out, lv.SessionInputTranscriptDelta) == []
    assert responder.timeline_ms >= 1000


# -- session.update, close -------------------------------------------------------------


def test_update_merges_settings_and_refuses_a_type_change() -> None:
    responses = {
        "type": "responses",
        "responses": {"model": "gpt-5", "instructions": "A"},
    }
    responder = LiveResponder()
    responder.handle(decode_start({"model": "gpt-live-1", "delegation": responses}))

    [error] = responder.handle(
        CODEC.decode_client(
            '{"type":"session.update","session":{"delegation":{"type":"client"}}}'
        )
    )
    [updated] = responder.handle(
        CODEC.decode_client(
            '{"type":"session.update","event_id":"u1","session":{"delegation":'
            '{"type":"responses","responses":{"instructions":"B"}}}}'
        )
    )

    assert (error.error.code, error.error.param) == (
        "immutable_field_update",
        "session.delegation.type",
    )
    assert isinstance(updated, lv.SessionUpdated) and updated.client_event_id == "u1"
    backend = updated.session.delegation.responses
    assert (backend.model, backend.instructions) == ("gpt-5", "B")


def test_close_ends_with_usage_then_a_close_frame() -> None:
    responder, _ = started()
    responder.handle(silence(2500))

    closed, frame = responder.handle(lv.SessionClose(event_id="bye"))

    assert isinstance(closed, lv.SessionClosed)
    assert closed.reason == "close_requested" and closed.client_event_id == "bye"
    assert closed.usage.seconds == 2.0
    assert closed.session.status == "active"
    assert frame == CloseFrame(code=1000)
    assert responder.handle(silence(100)) == []


# -- delegation ------------------------------------------------------------------------


def test_client_delegation_speaks_the_commentary() -> None:
    responder, _ = started()

    out = responder.handle(audio(synth_speech("Please check my order", trail_ms=600)))
    [created] = of(out, lv.SessionDelegationCreated)
    delegation_id = created.delegation.id
    assert responder.pending_delegations == [delegation_id]
    [error] = responder.handle(
        lv.SessionCommentaryAppend(content="x", delegation_id="deleg_9999")
    )
    responder.handle(
        lv.SessionCommentaryAppend(content="It shipped.", delegation_id=delegation_id)
    )
    out = responder.handle(silence(4000))

    assert created.delegation.target == "client"
    assert created.delegation.response_id is UNSET
    assert created.offset_ms > 0
    assert error.error.param == "delegation_id"
    assert text(out, lv.SessionOutputTranscriptDelta).endswith("It shipped.")
    assert responder.pending_delegations == []


def test_responses_commands_need_responses_delegation() -> None:
    responder, _ = started()

    [error] = responder.handle(lv.ResponseCreate())

    assert error.error.message == "response.create requires Responses delegation."


def test_responses_delegation_refuses_delegation_ids() -> None:
    responder = LiveResponder()
    responder.handle(
        decode_start(
            {
                "model": "gpt-live-1",
                "delegation": {"type": "responses", "responses": {"model": "gpt-5"}},
            }
        )
    )

    [error] = responder.handle(
        lv.SessionThinkingAppend(content="x", delegation_id="deleg_0001")
    )

    assert error.error.param == "delegation_id"


def test_responses_delegation_without_tools_answers_in_text() -> None:
    responder = LiveResponder()
    responder.handle(
        decode_start(
            {
                "model": "gpt-live-1",
                "delegation": {"type": "responses", "responses": {"model": "gpt-5"}},
            }
        )
    )

    out = responder.handle(audio(synth_speech("Look up the news", trail_ms=600)))
    out += responder.handle(silence(5000))

    nested = [e.event for e in of(out, lv.ResponseEvent)]
    assert isinstance(nested[0], lv.ResponseCreated)
    assert (
        "".join(n.delta for n in nested if isinstance(n, lv.ResponseOutputTextDelta))
        == "You asked: Look up the news."
    )
    assert [n.sequence_number for n in nested] == list(range(len(nested)))
    assert isinstance(nested[-1], lv.ResponseCompleted)
    assert nested[-1].response["output"] == []
    assert "created_at" not in nested[0].response  # trimmed, as on the wire
    assert text(out, lv.SessionOutputTranscriptDelta).endswith(
        "You asked: Look up the news."
    )


def test_decisions() -> None:
    """decision.create needs questions; with them, one answer per question."""
    responder, _ = started()
    [refused] = responder.handle(lv.DecisionCreate(event_id="d0"))
    questions = [
        {"type": "predicate", "name": "angry", "instructions": "Is the user angry?"},
        {
            "type": "choice",
            "instructions": "Topic?",
            "choices": [{"value": "billing"}, {"value": "other"}],
        },
        {"type": "score", "instructions": "Urgency?", "levels": [{"label": "low"}]},
    ]
    responder = LiveResponder()
    responder.handle(
        decode_start(
            {
                "model": "gpt-live-1",
                "delegation": {
                    "type": "decisions",
                    "decisions": {"model": "gpt-5-mini", "questions": questions},
                },
            }
        )
    )

    [event] = responder.handle(lv.DecisionCreate(event_id="d1"))

    assert refused.error.code == "decisions_not_configured"
    assert isinstance(event, lv.DecisionEvent)
    answers = event.event.decision.answers
    assert [type(a).__name__ for a in answers] == [
        "PredicateAnswer",
        "ChoiceAnswer",
        "ScoreAnswer",
    ]
    assert answers[1].choice == "billing"
    assert event.extra == {"client_event_id": "d1"}


def test_decision_items() -> None:
    responder, _ = started()

    [created] = responder.handle(
        lv.DecisionItemCreate(item=lv.DecisionUserMessage(content="hi"))
    )
    [deleted] = responder.handle(lv.DecisionItemDelete(item_id=created.item.id))
    [missing] = responder.handle(lv.DecisionItemDelete(item_id="nope"))

    assert created.item.id == "ditem_0001"
    assert isinstance(deleted, lv.DecisionItemDeleted)
    assert missing.error.param == "item_id"


def test_fixture_plays_then_is_played() -> None:
    responder, _ = started()
    clip = np.full(2400 * 3, 1000, dtype="<i2").tobytes()  # 300 ms, PCM16 24 kHz

    [playing] = responder.handle(
        lv.SessionOutputAudioFixturePlay(audio=base64.b64encode(clip).decode())
    )
    [refused] = responder.handle(lv.SessionThinkingAppend(content="x"))
    out = responder.handle(silence(500))

    assert isinstance(playing, lv.SessionOutputAudioFixturePlaying)
    assert refused.error.code == "fixture_active"
    assert len(of(out, lv.SessionOutputAudioFixturePlayed)) == 1
    first = of(out, lv.SessionOutputAudioDelta)[0].audio
    assert (first == 1000).all()


# -- faults ----------------------------------------------------------------------------


def test_fault_refuse_start_and_error_after_start() -> None:
    refusing = LiveResponder(
        faults=LiveFaults(refuse_start=("credit_balance_exhausted", "No credit."))
    )
    erring = LiveResponder(
        faults=LiveFaults(error_after_start=("invalid_model", "Gone."))
    )

    [refused] = refusing.handle(decode_start({"model": "gpt-live-1"}))
    start, error = erring.handle(decode_start({"model": "gpt-live-1"}))

    assert refused.error.code == "credit_balance_exhausted" and refusing.session is None
    assert isinstance(start, lv.SessionStarted) and error.error.code == "invalid_model"


@pytest.mark.parametrize(
    ("faults", "last"),
    [
        (LiveFaults(drop_at_ms=500), CloseFrame(drop=True)),
        (
            LiveFaults(close_at_ms=(500, 1012)),
            CloseFrame(code=1012, reason="mock fault"),
        ),
        (LiveFaults(end_at_ms=(500, "expired")), CloseFrame(code=1000)),
    ],
)
def test_timeline_faults(faults: LiveFaults, last: CloseFrame) -> None:
    responder, _ = started(_options={"faults": faults})

    out = responder.handle(silence(1000))

    assert out[-1] == last
    closed = of(out, lv.SessionClosed)
    assert [c.reason for c in closed] == (["expired"] if faults.end_at_ms else [])
    assert responder.handle(silence(100)) == []


# -- the server and the in-memory transport --------------------------------------------


def _ws(url: str) -> websocket.WebSocket:
    return websocket.create_connection(url, timeout=WAIT)


def _send(ws: websocket.WebSocket, event: lv.LiveClientEvent) -> None:
    ws.send(CODEC.encode_client(event))


def _recv_until(ws: websocket.WebSocket, wire_type: str) -> list[lv.LiveServerEvent]:
    seen = []
    while True:
        event = CODEC.decode_server(ws.recv())
        seen.append(event)
        if event.type == wire_type:
            return seen


def test_server_routes_live_and_realtime_by_path() -> None:
    """One server: /v1/live/sessions (and Azure's) speak Live, /v1/realtime Realtime."""
    with MockRealtimeServer(api="live") as server:
        assert server.url.endswith("/v1/live/sessions")
        realtime = _ws(server.url_for("realtime"))
        assert json.loads(realtime.recv())["type"] == "session.created"
        realtime.close()
        for path in ("/v1/live/sessions", "/openai/v1/live/sessions"):
            ws = _ws(f"ws://127.0.0.1:{server.port}{path}")
            ws.settimeout(0.2)
            with pytest.raises(websocket.WebSocketTimeoutException):
                ws.recv()  # silent until session.start
            ws.settimeout(WAIT)
            _send(ws, lv.SessionStart(session=lv.SessionConfig(model="gpt-live-1")))
            assert CODEC.decode_server(ws.recv()).type == "session.started"
            ws.close()


def test_server_close_fault_and_bad_frames() -> None:
    """A bad frame is an error; a close fault closes with its code, no session.closed."""
    faults = LiveFaults(close_at_ms=(300, 1011))
    with MockRealtimeServer(
        api="live", responder_factory=lambda: LiveResponder(faults=faults)
    ) as server:
        ws = _ws(server.url)
        ws.send('{"type":"session.thinking.append","content":5}')
        error = CODEC.decode_server(ws.recv())
        _send(ws, lv.SessionStart(session=lv.SessionConfig(model="gpt-live-1")))
        _recv_until(ws, "session.started")
        _send(ws, silence(500))
        while True:
            opcode, data = ws.recv_data(control_frame=True)
            if opcode == websocket.ABNF.OPCODE_CLOSE:
                break
        ws.shutdown()

    assert isinstance(error, lv.Error)
    assert error.error.code == "invalid_event" and "$.content" in error.error.message
    assert int.from_bytes(data[:2], "big") == 1011
    assert not any('"session.closed"' in frame for frame in server.sent)


def test_in_memory_transport_runs_the_live_responder() -> None:
    """InMemoryTransport picks the Live API from the URL (or api=)."""
    for transport, url in (
        (InMemoryTransport(), "wss://api.openai.com/v1/live/sessions"),
        (InMemoryTransport(api="live"), "wss://example.test/anything"),
    ):
        got: list[str] = []
        closed: list[ConnectionClosed] = []
        done = threading.Event()

        def on_message(
            text: str, got: list[str] = got, done: threading.Event = done
        ) -> None:
            got.append(text)
            if json.loads(text)["type"] == "session.closed":
                done.set()

        channel = transport.open(
            url,
            headers={"Authorization": "Bearer sk-test"},
            on_message=on_message,
            on_close=closed.append,
            on_binary=lambda data: None,
        )
        channel.connect()
        channel.send(
            CODEC.encode_client(
                lv.SessionStart(session=lv.SessionConfig(model="gpt-live-1"))
            )
        )
        channel.send(CODEC.encode_client(silence(300)))
        channel.send(CODEC.encode_client(lv.SessionClose()))
        assert done.wait(WAIT)
        channel.close()

        types = [json.loads(t)["type"] for t in got]
        assert types[0] == "session.started"
        assert types.count("session.output_audio.delta") == 3
        assert types[-1] == "session.closed"
        assert isinstance(channel.responder, LiveResponder)
        assert closed and closed[0].code == 1000


def test_server_drop_fault_sends_no_close_frame() -> None:
    """drop_at_ms: the TCP connection ends with neither session.closed nor a close frame."""
    faults = LiveFaults(drop_at_ms=300)
    with MockRealtimeServer(
        api="live", responder_factory=lambda: LiveResponder(faults=faults)
    ) as server:
        ws = _ws(server.url)
        _send(ws, lv.SessionStart(session=lv.SessionConfig(model="gpt-live-1")))
        _recv_until(ws, "session.started")
        _send(ws, silence(500))
        opcodes = []
        with pytest.raises(websocket.WebSocketConnectionClosedException):
            while True:
                opcode, _data = ws.recv_data(control_frame=True)
                opcodes.append(opcode)
        ws.shutdown()

    assert websocket.ABNF.OPCODE_CLOSE not in opcodes
    assert not any('"session.closed"' in frame for frame in server.sent)


def test_server_session_limit_closes_as_expired() -> None:
    """max_session_seconds: session.closed with reason expired, then a close frame."""
    with MockRealtimeServer(api="live", max_session_seconds=0.3) as server:
        ws = _ws(server.url)
        _send(ws, lv.SessionStart(session=lv.SessionConfig(model="gpt-live-1")))
        events = _recv_until(ws, "session.closed")
        ws.close()

    assert events[0].type == "session.started"
    assert isinstance(events[-1], lv.SessionClosed)
    assert events[-1].reason == "expired"


# -- sideband --------------------------------------------------------------------------


def test_sideband_sees_the_session_and_acts_on_it() -> None:
    """Attach by id: reflections and events; its commands act at the next step."""
    from realtime_sync.testing._live_sideband import LiveSidebandResponder

    primary, [start] = started()
    sideband = LiveSidebandResponder(start.session.id)

    assert sideband.start() == []
    [refused] = sideband.handle(lv.SessionStart(session=lv.SessionConfig()))
    assert sideband.handle(lv.SessionInputAudioMute(event_id="m")) == []
    out = primary.handle(silence(200))

    assert refused.error.param == "type"
    assert isinstance(out[0], lv.SessionInputAudioMuted) and primary.muted
    seen = sideband.outbox
    assert isinstance(seen[0], lv.SessionInputAudioMuted)
    assert isinstance(seen[1], lv.ServerSessionInputAudioAppend)
    deltas = of(seen, lv.SessionOutputAudioDelta)
    assert [(d.start_ms, d.end_ms) for d in deltas] == [(0, 100), (100, 200)]
    assert all(d.start_ms is UNSET for d in of(out, lv.SessionOutputAudioDelta))


def test_sideband_learns_of_a_lost_primary() -> None:
    """The primary connection drops: the sideband gets session.closed connection_lost."""
    from realtime_sync.testing._live_sideband import LiveSidebandResponder

    primary, [start] = started(_options={"faults": LiveFaults(drop_at_ms=100)})
    sideband = LiveSidebandResponder(start.session.id)
    sideband.start()

    primary.handle(silence(200))

    closed = of(sideband.outbox, lv.SessionClosed)
    assert [c.reason for c in closed] == ["connection_lost"]
    assert sideband.outbox[-1] == CloseFrame(code=1000)


def test_sideband_to_an_unknown_session() -> None:
    from realtime_sync.testing._live_sideband import LiveSidebandResponder

    error, close = LiveSidebandResponder("live_missing").start()

    assert error.error.code == "session_not_found"
    assert close == CloseFrame(code=1008, reason="session not found")


# -- forks -----------------------------------------------------------------------------


def test_fork_inherits_a_stored_session() -> None:
    """A fork of a store: true session: its config, its conversation as input."""
    stored, [start] = started(instructions="Be brief.", store=True)
    stored.handle(audio(synth_speech("Book a table", trail_ms=600)))
    fork = LiveResponder(fork_of=start.session.id)

    [forked] = fork.handle(
        decode_start({"audio": {"format": {"type": "audio/pcm", "rate": 16000}}})
    )

    assert isinstance(forked, lv.SessionStarted)
    session = forked.session
    assert session.id != start.session.id
    assert (session.model, session.instructions) == ("gpt-live-1", "Be brief.")
    assert session.audio.format == lv.AudioPCM(rate=16000)
    assert session.audio.output == lv.AudioOutput(voice="marin")
    assert [(type(m).__name__, m.content[0].text) for m in session.input] == [
        ("UserMessage", "Book a table"),
        ("AssistantMessage", "You said: Book a table."),
    ]
    assert fork.transcript == stored.transcript


@pytest.mark.parametrize(
    ("overrides", "code", "param"),
    [
        ({"model": "gpt-live-1"}, "invalid_value", "session.model"),
        ({"instructions": "x"}, "unknown_parameter", "session.instructions"),
        (
            {"audio": {"output": {"voice": "ash"}}},
            "unknown_parameter",
            "session.audio.output",
        ),
        ({"delegation": {"type": "client"}}, "invalid_value", "session.delegation"),
    ],
)
def test_fork_refuses_what_it_inherits(
    overrides: dict[str, Any], code: str, param: str
) -> None:
    _stored, [start] = started(store=True)

    [error] = LiveResponder(fork_of=start.session.id).handle(decode_start(overrides))

    assert (error.error.code, error.error.param) == (code, param)


def test_fork_needs_a_stored_session() -> None:
    _unstored, [start] = started()

    [error] = LiveResponder(fork_of=start.session.id).handle(decode_start({}))

    assert error.error.code == "session_not_found"


def test_in_memory_sideband_gets_pushed_events() -> None:
    """In memory too, a sideband channel receives its session's events as pushed."""
    transport = InMemoryTransport()
    primary_got: list[str] = []
    side_got: list[str] = []
    started_event = threading.Event()
    side_done = threading.Event()

    def on_primary(text: str) -> None:
        primary_got.append(text)
        if json.loads(text)["type"] == "session.started":
            started_event.set()

    def on_side(text: str) -> None:
        side_got.append(text)
        if json.loads(text)["type"] == "session.closed":
            side_done.set()

    def open_channel(url: str, on_message: Any) -> Any:
        channel = transport.open(
            url,
            headers={},
            on_message=on_message,
            on_close=lambda closed: None,
            on_binary=lambda data: None,
        )
        channel.connect()
        return channel

    primary = open_channel("ws://mock/v1/live/sessions", on_primary)
    primary.send(
        CODEC.encode_client(
            lv.SessionStart(session=lv.SessionConfig(model="gpt-live-1"))
        )
    )
    assert started_event.wait(WAIT)
    session_id = json.loads(primary_got[0])["session"]["id"]
    side = open_channel(f"ws://mock/v1/live/sessions/{session_id}/attach", on_side)
    try:
        side.send(CODEC.encode_client(lv.SessionClose(event_id="from-sideband")))
        # The sideband's command acts at the session's next step: keep the input
        # flowing, as a client does, until it has.
        for _ in range(100):
            # Once the session closed, the primary channel is gone.
            with contextlib.suppress(ConnectionClosed):
                primary.send(CODEC.encode_client(silence(100)))
            if side_done.wait(0.05):
                break
        assert side_done.is_set()
    finally:
        side.close()
        primary.close()

    side_types = [json.loads(t)["type"] for t in side_got]
    assert "session.started" not in side_types
    assert side_types[-1] == "session.closed"
    closed = json.loads(side_got[-1])
    assert closed["client_event_id"] == "from-sideband"
    assert json.loads(primary_got[-1])["type"] == "session.closed"


def test_transcript_triggers_fire_decisions() -> None:
    """A trigger on each transcript kind: decision.event naming its source delta."""
    questions = [{"type": "predicate", "instructions": "Is it a question?"}]
    responder = LiveResponder()
    responder.handle(
        decode_start(
            {
                "model": "gpt-live-1",
                "triggers": [
                    {
                        "type": "decisions",
                        "event_type": kind,
                        "decisions": {"questions": questions},
                    }
                    for kind in (
                        "session.input_transcript.delta",
                        "session.output_transcript.delta",
                    )
                ],
            }
        )
    )

    out = responder.handle(audio(synth_speech("Is it open", trail_ms=600)))
    out += responder.handle(silence(3000))

    decisions = of(out, lv.DecisionEvent)
    assert [d.source_event_type for d in decisions] == [
        "session.input_transcript.delta",
        "session.output_transcript.delta",
    ]
    assert [d.trigger_id for d in decisions] == ["trigger_0001", "trigger_0002"]
    last_input = of(out, lv.SessionInputTranscriptDelta)[-1]
    last_output = of(out, lv.SessionOutputTranscriptDelta)[-1]
    assert [d.source_event_id for d in decisions] == [
        last_input.event_id,
        last_output.event_id,
    ]
    assert all(d.delegation_id is None for d in decisions)  # null for triggers
    assert [type(a) for a in decisions[0].event.decision.answers] == [
        lv.PredicateAnswer
    ]


@pytest.mark.parametrize("barge_in", [False, True])
def test_barge_in_is_opt_in(barge_in: bool) -> None:
    """With barge_in, speaking over the model stops the rest of its answer."""
    responder, _ = started(_options={"barge_in": barge_in})
    long_text = "Tell me everything about the history of the city of Rome"

    out = responder.handle(audio(synth_speech(long_text, trail_ms=600)))
    out += responder.handle(silence(600))  # the answer starts
    out += responder.handle(audio(synth_speech("Stop", trail_ms=600)))
    out += responder.handle(silence(8000))

    said = text(out, lv.SessionOutputTranscriptDelta)
    full = f"You said: {long_text}."
    if barge_in:
        assert full not in said and said.endswith("You said: Stop.")
    else:
        assert full in said
