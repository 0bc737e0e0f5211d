"""Clients we did not write, against MockRealtimeServer: openai-agents and openai-python.

The mock is the embedded default (demo, examples, users' tests, our CI), so it must
behave like the service for any GA client. Each client runs four turn kinds against
the mock on 127.0.0.1, offline:

* a text turn;
* a tool turn, with the client's follow-up answer after the tool output;
* an interruption while the reply still streams (openai-agents' ``session.interrupt()``
  sends only ``conversation.item.truncate``; with openai-python the test does the same);
* a voice barge-in with server VAD (speech while the reply streams: the server cancels
  with ``turn_detected``, the client truncates what it played).

No turn may produce an ``error`` event, and every frame the server sent must validate
against the client's own models: openai-agents' server-event adapter (which the
agents SDK runs on every frame itself, reporting a failure as an error event), and
openai-python's ``TypeAdapter(RealtimeServerEvent)`` in strict mode.

Streaming replies are paced in real time (``pace="realtime"``) only where a turn must
act while the reply streams; waits are on events, with timeouts, never sleeps.
"""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import pytest

from realtime_sync.testing import MockRealtimeServer, synth_speech
from tests.helpers import openai_ws_options

openai = pytest.importorskip("openai")
pydantic = pytest.importorskip("pydantic")
agents = pytest.importorskip("agents")
agents_realtime = pytest.importorskip("agents.realtime")
openai_realtime_model = pytest.importorskip("agents.realtime.openai_realtime")

from openai.types.realtime import RealtimeServerEvent  # noqa: E402

pytestmark = [
    pytest.mark.timeout(60),
    # websockets >= 17.1 warns when connect() is awaited instead of used as a context
    # manager, as openai-agents does; openai-agents itself pins websockets < 17, where
    # there is no such warning.
    pytest.mark.filterwarnings(
        "ignore:.*connect\\(\\).*context manager:DeprecationWarning"
    ),
]


WAIT = 10.0  # seconds for any one awaited event
OPENAI_EVENTS: Any = pydantic.TypeAdapter(RealtimeServerEvent)
WS_OPTIONS: Any = openai_ws_options()  # legacy=True where websockets has it
WEATHER_TOOL = {
    "type": "function",
    "name": "get_weather",
    "description": "The weather in a city.",
    "parameters": {
        "type": "object",
        "properties": {"city": {"type": "string"}},
        "required": ["city"],
    },
}
SERVER_VAD = {
    "type": "server_vad",
    "threshold": 0.5,
    "prefix_padding_ms": 300,
    "silence_duration_ms": 200,
    "create_response": True,
    "interrupt_response": True,
}


def frame_types(server: MockRealtimeServer) -> list[str]:
    """The wire types of the frames the server sent, in order."""
    return [json.loads(frame)["type"] for frame in server.sent]


def assert_openai_strict(server: MockRealtimeServer) -> None:
    """Every frame validates against openai-python's server events, strict mode."""
    for frame in server.sent:
        OPENAI_EVENTS.validate_json(frame, strict=True)


def assert_no_error_frames(server: MockRealtimeServer) -> None:
    """The server sent no ``error`` event."""
    errors = [f for f in server.sent if json.loads(f)["type"] == "error"]
    assert not errors, errors


# -- openai-agents ---------------------------------------------------------------------


def agents_validate(server: MockRealtimeServer) -> None:
    """Every frame validates as openai-agents validates it when it arrives.

    openai-agents turns a ``null`` ``previous_item_id`` into ``""`` and normalises
    custom voices before its adapter runs (``_handle_ws_event``); so do we.
    """
    adapter = openai_realtime_model.get_server_event_type_adapter()
    for frame in server.sent:
        event = json.loads(frame)
        if "previous_item_id" in event and event["previous_item_id"] is None:
            event = {**event, "previous_item_id": ""}
        adapter.validate_python(event)


class AgentsRun:
    """One openai-agents RealtimeSession on the mock, and every event it emitted."""

    def __init__(self, session: Any) -> None:
        self.session = session
        self.events: list[Any] = []
        self._iter = session.__aiter__()

    async def until(self, predicate: Callable[[Any], bool], what: str) -> Any:
        """Read session events until one matches; return it."""
        while True:
            try:
                event = await asyncio.wait_for(self._iter.__anext__(), WAIT)
            except asyncio.TimeoutError:
                seen = [describe(e) for e in self.events[-15:]]
                raise AssertionError(
                    f"no {what} within {WAIT} s; last: {seen}"
                ) from None
            self.events.append(event)
            if predicate(event):
                return event

    async def until_all(self, *predicates: Callable[[Any], bool], what: str) -> None:
        """Read session events until each predicate has matched one, in any order."""
        left = list(predicates)
        while left:
            waiting = tuple(left)
            event = await self.until(
                lambda e, waiting=waiting: any(p(e) for p in waiting), what
            )
            left = [p for p in left if not p(event)]

    def errors(self) -> list[str]:
        """The error events the agents SDK reported (including validation failures)."""
        found = []
        for event in self.events:
            if event.type == "error":
                found.append(repr(event.error))
            elif event.type == "raw_model_event" and event.data.type in (
                "error",
                "exception",
            ):
                found.append(repr(event.data))
        return found


def describe(event: Any) -> str:
    """A short name for a session event, for failure messages."""
    if event.type == "raw_model_event":
        data = event.data
        if data.type == "raw_server_event":
            return f"server:{data.data.get('type')}"
        return f"model:{data.type}"
    return str(event.type)


def server_event(wire_type: str) -> Callable[[Any], bool]:
    """A predicate: the raw server event of one wire type."""

    def match(event: Any) -> bool:
        return (
            event.type == "raw_model_event"
            and event.data.type == "raw_server_event"
            and event.data.data.get("type") == wire_type
        )

    return match


def of_type(session_type: str) -> Callable[[Any], bool]:
    """A predicate: the session event of one type."""
    return lambda event: event.type == session_type


def run_agents(
    server: MockRealtimeServer,
    scenario: Callable[[AgentsRun], Awaitable[None]],
    *,
    settings: dict[str, Any],
    tools: list[Any] | None = None,
) -> AgentsRun:
    """Run ``scenario`` in an openai-agents RealtimeSession connected to the mock."""
    from agents.realtime import RealtimeAgent, RealtimeRunner

    async def main() -> AgentsRun:
        agent = RealtimeAgent(
            name="assistant", instructions="Be brief.", tools=tools or []
        )
        runner = RealtimeRunner(agent, config={"model_settings": settings})
        session = await runner.run(
            model_config={
                "url": server.url,
                "headers": {"Authorization": "Bearer test"},
            }
        )
        async with session:
            run = AgentsRun(session)
            await run.until(server_event("session.updated"), "session.updated")
            await scenario(run)
        return run

    run = asyncio.run(main())
    assert run.errors() == []
    assert_no_error_frames(server)
    agents_validate(server)
    return run


def test_agents_text_turn() -> None:
    """openai-agents: a text message gets the mock's text reply."""

    async def scenario(run: AgentsRun) -> None:
        await run.session.send_message("Hello there")
        await run.until(of_type("agent_end"), "agent_end")

    with MockRealtimeServer() as server:
        run = run_agents(server, scenario, settings={"output_modalities": ["text"]})

    texts = [
        e.data.data["text"]
        for e in run.events
        if server_event("response.output_text.done")(e)
    ]
    assert texts == ["You said: Hello there"]


def test_agents_tool_turn_with_follow_up() -> None:
    """openai-agents: the tool runs with the arguments said, then the model answers."""
    from agents import function_tool

    calls: list[str] = []

    @function_tool
    def get_weather(city: str) -> str:
        """Get the weather in a city.

        Args:
            city: The city.
        """
        calls.append(city)
        return f"Sunny in {city}"

    async def scenario(run: AgentsRun) -> None:
        await run.session.send_message("Use get_weather for Paris.")
        await run.until(of_type("tool_end"), "tool_end")
        # Not "response.done": the calling response's own done may come after
        # tool_end, and would end the wait before the follow-up answered.
        await run.until(
            server_event("response.output_audio_transcript.done"),
            "the follow-up answer",
        )

    with MockRealtimeServer(audio_ms=200) as server:
        run = run_agents(server, scenario, settings={}, tools=[get_weather])

    assert calls == ["Paris"]
    transcripts = [
        e.data.data["transcript"]
        for e in run.events
        if server_event("response.output_audio_transcript.done")(e)
    ]
    assert transcripts == ["The tool returned: Sunny in Paris"]


def test_agents_interrupt_while_the_reply_streams() -> None:
    """openai-agents: session.interrupt() mid-reply truncates without an error."""
    played: dict[str, Any] = {}

    async def scenario(run: AgentsRun) -> None:
        await run.session.send_message("Tell me about the sea")
        await run.until(of_type("audio"), "the first audio")
        await run.session.interrupt()
        truncated = await run.until(
            server_event("conversation.item.truncated"), "conversation.item.truncated"
        )
        played.update(truncated.data.data)

    with MockRealtimeServer(pace="realtime") as server:
        # A bare semantic_vad: the client reads interrupt_response from the
        # session.updated echo (missing would mean false, and it would cancel itself).
        run_agents(
            server, scenario, settings={"turn_detection": {"type": "semantic_vad"}}
        )
        sent = frame_types(server)
        item = server.responders[0].items[-1]

    assert "response.cancel" not in [e.type for e in server.received]
    assert "conversation.item.truncated" in sent
    audio = item.content[0].audio  # type: ignore[union-attr]
    assert len(base64.b64decode(audio)) == played["audio_end_ms"] * 48


def test_agents_voice_barge_in_with_server_vad() -> None:
    """openai-agents: speech during the reply cancels it; the client truncates."""
    first = synth_speech("Tell me about the sea", trail_ms=400)
    second = synth_speech("Stop please", trail_ms=400)

    async def scenario(run: AgentsRun) -> None:
        await run.session.send_audio(first)
        await run.until(of_type("audio"), "the first audio")
        await run.session.send_audio(second)
        # The server's VAD events and the client's truncate cross on the wire, so
        # their order is not fixed: wait for all of them.
        await run.until_all(
            of_type("audio_interrupted"),
            server_event("conversation.item.truncated"),
            server_event("response.created"),
            what="the interruption, the truncate and the next response",
        )

    with MockRealtimeServer(pace="realtime") as server:
        run = run_agents(
            server,
            scenario,
            settings={
                "turn_detection": SERVER_VAD,
                "input_audio_transcription": {"model": "gpt-4o-mini-transcribe"},
            },
        )

    cancelled = [
        e.data.data["response"]
        for e in run.events
        if server_event("response.done")(e)
        and e.data.data["response"]["status"] == "cancelled"
    ]
    assert [r["status_details"]["reason"] for r in cancelled] == ["turn_detected"]
    heard = [
        e.data.data["transcript"]
        for e in run.events
        if server_event("conversation.item.input_audio_transcription.completed")(e)
    ]
    assert heard[0] == "Tell me about the sea"


# -- openai-python (sync) --------------------------------------------------------------


@pytest.fixture
def openai_conn() -> Iterator[tuple[MockRealtimeServer, Any]]:
    """The openai sync realtime connection to a real-time-paced mock, past session.created."""
    with MockRealtimeServer(pace="realtime") as server:
        client = openai.OpenAI(
            api_key="test", websocket_base_url=f"ws://127.0.0.1:{server.port}/v1"
        )
        with client.realtime.connect(
            model="gpt-realtime", websocket_connection_options=WS_OPTIONS
        ) as conn:
            assert conn.recv().type == "session.created"
            yield server, conn
    assert_no_error_frames(server)
    assert_openai_strict(server)


def recv_until(conn: Any, wire_type: str, limit: int = 2000) -> list[Any]:
    """The openai events up to and including the first of ``wire_type``."""
    events = []
    for _ in range(limit):
        events.append(conn.recv())
        assert events[-1].type != "error", events[-1]
        if events[-1].type == wire_type:
            return events
    raise AssertionError(f"no {wire_type} in {limit} events")


def user_text(conn: Any, text: str) -> None:
    """A user text message."""
    conn.conversation.item.create(
        item={
            "type": "message",
            "role": "user",
            "content": [{"type": "input_text", "text": text}],
        }
    )


def test_openai_text_turn(openai_conn: tuple[MockRealtimeServer, Any]) -> None:
    """openai-python: a text turn, every frame strict-valid."""
    _, conn = openai_conn
    conn.session.update(session={"type": "realtime", "output_modalities": ["text"]})
    recv_until(conn, "session.updated")
    user_text(conn, "Hello there")
    conn.response.create()
    events = recv_until(conn, "response.done")

    done = [e for e in events if e.type == "response.output_text.done"]
    assert [e.text for e in done] == ["You said: Hello there"]


def test_openai_tool_turn_with_follow_up(
    openai_conn: tuple[MockRealtimeServer, Any],
) -> None:
    """openai-python: a function call, its output, and the model's answer."""
    _, conn = openai_conn
    conn.session.update(
        session={
            "type": "realtime",
            "output_modalities": ["text"],
            "tools": [WEATHER_TOOL],
        }
    )
    recv_until(conn, "session.updated")
    user_text(conn, "Use get_weather for Paris.")
    conn.response.create()
    call = recv_until(conn, "response.done")[-1].response.output[0]
    assert call.type == "function_call" and json.loads(call.arguments) == {
        "city": "Paris"
    }
    conn.conversation.item.create(
        item={
            "type": "function_call_output",
            "call_id": call.call_id,
            "output": json.dumps({"forecast": "sunny"}),
        }
    )
    conn.response.create()
    events = recv_until(conn, "response.done")

    text = [e.text for e in events if e.type == "response.output_text.done"]
    assert text == ['The tool returned: {"forecast": "sunny"}']


def test_openai_truncate_while_the_reply_streams(
    openai_conn: tuple[MockRealtimeServer, Any],
) -> None:
    """openai-python: truncating the streaming reply at what was played works."""
    _, conn = openai_conn
    user_text(conn, "Tell me about the sea")
    conn.response.create()
    events = recv_until(conn, "response.output_audio.delta")
    events += recv_until(conn, "response.output_audio.delta")  # 200 ms received
    item_id = events[-1].item_id
    conn.conversation.item.truncate(item_id=item_id, content_index=0, audio_end_ms=150)
    events = recv_until(conn, "conversation.item.truncated")
    assert "response.done" not in [e.type for e in events]  # it still streamed
    done = recv_until(conn, "response.done")[-1]

    assert done.response.status == "completed"
    conn.conversation.item.retrieve(item_id=item_id)
    item = recv_until(conn, "conversation.item.retrieved")[-1].item
    assert len(base64.b64decode(item.content[0].audio)) == 150 * 48


def test_openai_voice_barge_in_with_server_vad(
    openai_conn: tuple[MockRealtimeServer, Any],
) -> None:
    """openai-python: speech during the reply cancels it; truncate what was played."""
    _, conn = openai_conn
    conn.session.update(
        session={
            "type": "realtime",
            "audio": {"input": {"turn_detection": SERVER_VAD}},
        }
    )
    recv_until(conn, "session.updated")
    speech = synth_speech("Tell me about the sea", trail_ms=400)
    conn.input_audio_buffer.append(audio=base64.b64encode(speech).decode())
    first = recv_until(conn, "response.output_audio.delta")
    item_id = first[-1].item_id
    interruption = synth_speech("Stop please", trail_ms=400)
    conn.input_audio_buffer.append(audio=base64.b64encode(interruption).decode())
    events = recv_until(conn, "input_audio_buffer.speech_started")
    events += recv_until(conn, "response.done")
    played = sum(
        len(base64.b64decode(e.delta)) // 48
        for e in first + events
        if e.type == "response.output_audio.delta" and e.item_id == item_id
    )
    conn.conversation.item.truncate(
        item_id=item_id, content_index=0, audio_end_ms=played
    )
    events += recv_until(conn, "conversation.item.truncated")
    # The next turn (speech_stopped, commit, response.created) may already be here.
    if "response.created" not in [e.type for e in events]:
        events += recv_until(conn, "response.created")

    cancelled = next(e for e in events if e.type == "response.done").response
    assert cancelled.status == "cancelled"
    assert cancelled.status_details.reason == "turn_detected"
