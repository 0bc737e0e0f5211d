"""openai-python's own ``client.live.connect()`` against the mock's Live API.

A Live client nobody here wrote checks the mock: openai's sync connection runs a
voice exchange, a client delegation and a Responses delegation with a function tool
against ``MockRealtimeServer(api="live")``, and every frame the mock sent
(``server.sent``) must validate, strictly, against openai's pydantic union of Live
server events (``openai.types.live.ServerEvent``).
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest

openai = pytest.importorskip("openai")
pydantic = pytest.importorskip("pydantic")
pytest.importorskip("openai.types.live")

from openai.types.live import ServerEvent  # noqa: E402

from realtime_sync.testing import MockRealtimeServer, synth_speech  # noqa: E402
from tests.helpers import openai_ws_options  # noqa: E402

pytestmark = pytest.mark.timeout(30)

LIVE_EVENTS: Any = pydantic.TypeAdapter(ServerEvent)
WS_OPTIONS: Any = openai_ws_options()
CHUNK = 4800  # bytes: 100 ms of 24 kHz pcm16
SILENCE = bytes(CHUNK)

ORDER_TOOL = {
    "type": "function",
    "name": "lookup_order",
    "description": "The status of an order.",
    "parameters": {
        "type": "object",
        "properties": {"order_id": {"type": "string"}},
        "required": ["order_id"],
    },
}


@pytest.fixture
def server() -> Iterator[MockRealtimeServer]:
    with MockRealtimeServer(api="live", require_api_key="sk-test") as s:
        yield s


def _client(server: MockRealtimeServer) -> Any:
    return openai.OpenAI(api_key="sk-test", base_url=server.base_url)


def _connect(server: MockRealtimeServer) -> Any:
    return _client(server).live.connect(websocket_connection_options=WS_OPTIONS)


def _send_audio(conn: Any, audio: bytes) -> None:
    for i in range(0, len(audio), CHUNK):
        chunk = audio[i : i + CHUNK]
        conn.send(
            {
                "type": "session.input_audio.append",
                "audio": base64.b64encode(chunk).decode(),
            }
        )


class _Reader:
    """Reads events off an openai connection, keeping them all."""

    def __init__(self, conn: Any) -> None:
        self.conn = conn
        self.events: list[Any] = []

    def until(self, done: Callable[[Any], bool], limit: int = 5000) -> Any:
        for _ in range(limit):
            event = self.conn.recv()
            self.events.append(event)
            if done(event):
                return event
        raise AssertionError("the expected event never came")

    def of(self, wire_type: str) -> list[Any]:
        return [e for e in self.events if e.type == wire_type]

    def transcript(self, wire_type: str) -> str:
        return "".join(e.delta for e in self.of(wire_type))


def _start(conn: Any, reader: _Reader, session: dict[str, Any]) -> Any:
    conn.send({"type": "session.start", "event_id": "start_1", "session": session})
    return reader.until(lambda e: e.type in ("session.started", "error"))


def _validate_all(server: MockRealtimeServer) -> list[str]:
    """Validate every frame the mock sent, strictly; return their types."""
    types = []
    for frame in server.sent:
        data = json.loads(frame)
        LIVE_EVENTS.validate_python(data, strict=True)
        types.append(data["type"])
    return types


def test_voice_exchange(server: MockRealtimeServer) -> None:
    """session.start, speech in, transcript and a spoken answer out, then close."""
    with _connect(server) as conn:
        reader = _Reader(conn)
        started = _start(
            conn, reader, {"model": "gpt-live-1", "instructions": "Be brief."}
        )
        assert started.type == "session.started"
        assert started.client_event_id == "start_1"
        assert started.session.audio.format.rate == 24000
        assert started.session.audio.output.voice == "marin"

        _send_audio(conn, synth_speech("What time is it", trail_ms=700))
        _send_audio(conn, SILENCE * 40)
        reader.until(
            lambda e: (
                e.type == "session.output_transcript.delta" and e.delta.endswith(".")
            )
        )
        conn.send({"type": "session.close", "event_id": "bye"})
        closed = reader.until(lambda e: e.type == "session.closed")

    assert reader.transcript("session.input_transcript.delta") == "What time is it"
    assert reader.transcript("session.output_transcript.delta") == (
        "You said: What time is it."
    )
    deltas = reader.of("session.output_audio.delta")
    assert len(deltas) >= 40  # a continuous track: one per 100 ms of input
    assert all(len(base64.b64decode(d.delta)) == CHUNK for d in deltas)
    assert closed.reason == "close_requested" and closed.usage.seconds >= 4
    types = _validate_all(server)
    assert types[0] == "session.started" and types[-1] == "session.closed"


def test_client_delegation(server: MockRealtimeServer) -> None:
    """A delegation to the client, answered with commentary, is spoken."""
    with _connect(server) as conn:
        reader = _Reader(conn)
        _start(conn, reader, {"model": "gpt-live-1"})

        _send_audio(conn, synth_speech("Can you check my order", trail_ms=700))
        created = reader.until(lambda e: e.type == "session.delegation.created")
        assert created.delegation.target == "client"
        conn.send(
            {
                "type": "session.thinking.append",
                "event_id": "t1",
                "content": "Looking it up.",
                "delegation_id": created.delegation.id,
            }
        )
        conn.send(
            {
                "type": "session.commentary.append",
                "event_id": "c1",
                "content": "Order 42 shipped today.",
                "delegation_id": created.delegation.id,
            }
        )
        _send_audio(conn, SILENCE * 60)
        reader.until(
            lambda e: (
                e.type == "session.output_transcript.delta"
                and e.delta.endswith("today.")
            )
        )
        conn.send({"type": "session.close"})
        reader.until(lambda e: e.type == "session.closed")

    assert [e.client_event_id for e in reader.of("session.thinking.appended")] == ["t1"]
    appended = reader.of("session.commentary.appended")
    assert [e.client_event_id for e in appended] == ["c1"]
    assert appended[0].start_ms >= created.offset_ms
    assert reader.transcript("session.output_transcript.delta").endswith(
        "Order 42 shipped today."
    )
    _validate_all(server)


def test_responses_delegation_with_a_function_tool(server: MockRealtimeServer) -> None:
    """The backend calls a client tool; its output, sent back, is spoken."""
    session = {
        "model": "gpt-live-1",
        "delegation": {
            "type": "responses",
            "responses": {"model": "gpt-5-mini", "tools": [ORDER_TOOL]},
        },
    }
    with _connect(server) as conn:
        reader = _Reader(conn)
        _start(conn, reader, session)

        _send_audio(conn, synth_speech("Please lookup order A42", trail_ms=700))
        created = reader.until(lambda e: e.type == "session.delegation.created")
        done = reader.until(
            lambda e: (
                e.type == "response.event"
                and e.event.get("type") == "response.completed"
            )
        )
        calls = [
            e.event["item"]
            for e in reader.of("response.event")
            if e.event.get("type") == "response.output_item.done"
        ]
        assert len(calls) == 1 and calls[0]["name"] == "lookup_order"
        conn.send(
            {
                "type": "response.item.create",
                "item": {
                    "type": "function_call_output",
                    "call_id": calls[0]["call_id"],
                    "output": "shipped",
                },
            }
        )
        conn.send({"type": "response.create"})
        _send_audio(conn, SILENCE * 60)
        reader.until(
            lambda e: (
                e.type == "session.output_transcript.delta"
                and e.delta.endswith("shipped.")
            )
        )
        conn.send({"type": "session.close"})
        reader.until(lambda e: e.type == "session.closed")

    assert created.delegation.target == "responses"
    assert created.delegation.response_id
    assert done.delegation_id == created.delegation.id
    nested = [e.event["type"] for e in reader.of("response.event")]
    assert nested[:6] == [
        "response.created",
        "response.output_item.added",
        "response.function_call_arguments.delta",
        "response.function_call_arguments.done",
        "response.output_item.done",
        "response.completed",
    ]
    assert "response.output_text.delta" in nested[6:]
    assert nested[-1] == "response.completed"
    assert json.loads(calls[0]["arguments"]) == {"order_id": "A42"}
    assert reader.transcript("session.output_transcript.delta").endswith(
        "The tool returned: shipped."
    )
    _validate_all(server)


def test_refused_start_names_the_field(server: MockRealtimeServer) -> None:
    """An unknown session field is refused with its name; a second start works."""
    with _connect(server) as conn:
        reader = _Reader(conn)
        error = _start(conn, reader, {"model": "gpt-live-1", "voice": "marin"})
        started = _start(conn, reader, {"model": "gpt-live-1"})

    assert error.type == "error"
    assert error.error.code == "unknown_parameter"
    assert error.error.param == "session.voice"
    assert error.error.client_event_id == "start_1"
    assert started.type == "session.started"
    _validate_all(server)


def test_every_kind_of_mock_frame_validates() -> None:
    """The responder's every event kind, encoded, validates against openai's union."""
    from realtime_sync.live import events as lv
    from realtime_sync.live.codec import LiveCodec
    from realtime_sync.testing import LiveFaults, LiveResponder

    codec = LiveCodec()

    def run(responder: LiveResponder, *frames: dict[str, Any]) -> list[str]:
        out = []
        for frame in frames:
            for event in responder.handle(codec.decode_client(json.dumps(frame))):
                if isinstance(event, lv.LiveServerEvent):
                    out.append(codec.encode_server(event))
        return out

    def speech(words: str) -> dict[str, Any]:
        data = synth_speech(words, trail_ms=700) + SILENCE * 30
        return {
            "type": "session.input_audio.append",
            "audio": base64.b64encode(data).decode(),
        }

    def silence(ms: int) -> dict[str, Any]:
        data = bytes(48 * ms)
        return {
            "type": "session.input_audio.append",
            "audio": base64.b64encode(data).decode(),
        }

    questions = [
        {"type": "predicate", "instructions": "Angry?"},
        {"type": "choice", "instructions": "Topic?", "choices": [{"value": True}]},
        {"type": "score", "instructions": "Urgency?", "levels": [{"label": "low"}]},
    ]
    clip = base64.b64encode(bytes(4800 * 3)).decode()
    frames = run(
        LiveResponder(faults=LiveFaults(error_after_start=("invalid_model", "x"))),
        {"type": "session.input_audio.mute"},
        {"type": "session.start", "session": {"model": "gpt-live-1", "nope": 1}},
        {
            "type": "session.start",
            "session": {
                "model": "gpt-live-1",
                "triggers": [
                    {
                        "type": "decisions",
                        "event_type": "session.input_transcript.delta",
                        "decisions": {"questions": questions},
                    }
                ],
            },
        },
        {"type": "session.update", "event_id": "u", "session": {"triggers": []}},
        {"type": "session.input_audio.mute"},
        {"type": "session.input_audio.unmute"},
        speech("Please check this"),
        {
            "type": "session.instructions.append",
            "content": "Be brief.",
            "delegation_id": None,
        },
        {
            "type": "session.thinking.append",
            "content": "Hm.",
            "delegation_id": "deleg_0001",
        },
        {
            "type": "session.commentary.append",
            "content": "Done.",
            "delegation_id": "deleg_0001",
        },
        silence(31_000),
        {"type": "session.output_audio.fixture.play", "audio": clip},
        silence(500),
        {"type": "decision.item.create", "item": {"role": "user", "content": "hi"}},
        {"type": "decision.item.delete", "item_id": "ditem_0001"},
        {"type": "response.create"},
        {"type": "session.close"},
    )
    frames += run(
        LiveResponder(faults=LiveFaults(end_at_ms=(7000, "content"))),
        {
            "type": "session.start",
            "session": {
                "model": "gpt-live-1",
                "delegation": {
                    "type": "responses",
                    "responses": {"model": "gpt-5", "tools": [ORDER_TOOL]},
                },
            },
        },
        speech("Lookup order 7"),
        {
            "type": "response.item.create",
            "item": {
                "type": "function_call_output",
                "call_id": "call_0001",
                "output": "ok",
            },
        },
        {"type": "response.create"},
        silence(3000),
    )
    frames += run(
        LiveResponder(),
        {
            "type": "session.start",
            "session": {
                "model": "gpt-live-1",
                "delegation": {
                    "type": "decisions",
                    "decisions": {"model": "gpt-5-mini", "questions": questions},
                },
                "triggers": [
                    {
                        "type": "decisions",
                        "event_type": "session.output_transcript.delta",
                        "decisions": {"questions": questions},
                    }
                ],
            },
        },
        speech("Check the mood"),
        {"type": "decision.create", "event_id": "d1"},
    )
    assert any('"trigger_id":"trigger_0001"' in f for f in frames)

    kinds = set()
    for frame in frames:
        data = json.loads(frame)
        LIVE_EVENTS.validate_python(data, strict=True)
        kinds.add(data["type"])
    assert kinds >= {
        "error",
        "session.started",
        "session.updated",
        "session.input_audio.muted",
        "session.input_audio.unmuted",
        "session.input_transcript.delta",
        "session.output_transcript.delta",
        "session.output_audio.delta",
        "session.delegation.created",
        "session.instructions.appended",
        "session.thinking.appended",
        "session.commentary.appended",
        "session.usage.updated",
        "session.output_audio.fixture.playing",
        "session.output_audio.fixture.played",
        "decision.item.created",
        "decision.item.deleted",
        "decision.event",
        "response.event",
        "session.closed",
    }


def test_sideband_attaches_to_a_running_session(server: MockRealtimeServer) -> None:
    """The sideband of openai's client: the session's events, reflections, commands."""
    from openai.types.live import ConnectServerEvent

    sideband_events: Any = pydantic.TypeAdapter(ConnectServerEvent)
    client = _client(server)
    with _connect(server) as conn:
        reader = _Reader(conn)
        started = _start(conn, reader, {"model": "gpt-live-1"})
        with client.live.sideband.connect(
            session_id=started.session.id, websocket_connection_options=WS_OPTIONS
        ) as side:
            side_reader = _Reader(side)
            side.send(
                {
                    "type": "session.commentary.append",
                    "event_id": "sb1",
                    "content": "Hello from the backend.",
                    "delegation_id": None,
                }
            )
            side.send({"type": "session.start", "event_id": "no", "session": {}})
            # Refused in order, after the commentary was queued for the session.
            refused = side_reader.until(lambda e: e.type == "error")
            _send_audio(conn, SILENCE * 40)
            reader.until(lambda e: e.type == "session.commentary.appended")
            reader.until(
                lambda e: (
                    e.type == "session.output_transcript.delta"
                    and e.delta.endswith("backend.")
                )
            )
            side_reader.until(
                lambda e: (
                    e.type == "session.output_transcript.delta"
                    and e.delta.endswith("backend.")
                )
            )
            conn.send({"type": "session.close"})
            reader.until(lambda e: e.type == "session.closed")
            side_closed = side_reader.until(lambda e: e.type == "session.closed")

    assert refused.error.client_event_id == "no"
    assert "sideband" in refused.error.message
    assert side_reader.of("session.started") == []
    reflections = side_reader.of("session.input_audio.append")
    assert reflections and all(len(base64.b64decode(r.audio)) > 0 for r in reflections)
    deltas = side_reader.of("session.output_audio.delta")
    assert deltas[0].start_ms == 0 and all(d.end_ms - d.start_ms == 100 for d in deltas)
    [ack] = side_reader.of("session.commentary.appended")
    assert ack.client_event_id == "sb1"
    assert side_closed.reason == "close_requested"
    for frame in server.sent:
        data = json.loads(frame)
        sideband_events.validate_python(data, strict=True)
        LIVE_EVENTS.validate_python(data, strict=True)


def test_sideband_to_an_unknown_session_is_refused(server: MockRealtimeServer) -> None:
    """No such session: an error naming it, then the server closes."""
    client = _client(server)
    with client.live.sideband.connect(
        session_id="live_nope", websocket_connection_options=WS_OPTIONS
    ) as side:
        error = side.recv()

    assert error.type == "error" and error.error.code == "session_not_found"
    assert "live_nope" in error.error.message


def test_fork_of_a_stored_session(server: MockRealtimeServer) -> None:
    """A fork by openai's forks.connect starts a session inheriting the stored one."""
    client = _client(server)
    with _connect(server) as conn:
        reader = _Reader(conn)
        first = _start(conn, reader, {"model": "gpt-live-1", "store": True})
        _send_audio(conn, synth_speech("Remember the blue door", trail_ms=700))
        reader.until(lambda e: e.type == "session.input_transcript.delta")
        conn.send({"type": "session.close"})
        reader.until(lambda e: e.type == "session.closed")

    with client.live.forks.connect(
        session_id=first.session.id, websocket_connection_options=WS_OPTIONS
    ) as fork:
        fork.send({"type": "session.start", "session": {}})
        forked = fork.recv()
        fork.send({"type": "session.close"})
        while fork.recv().type != "session.closed":
            pass

    assert forked.type == "session.started"
    assert forked.session.id != first.session.id
    assert forked.session.input[0].content[0].text == "Remember the blue door"
    _validate_all(server)
