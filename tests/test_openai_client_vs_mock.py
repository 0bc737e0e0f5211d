"""openai-python's own realtime client against MockRealtimeServer.

A client nobody here wrote checks the mock: openai's sync ``realtime.connect()`` runs
a text turn, a server-VAD audio turn and a function call round trip, and every frame
the mock sent (``server.sent``) must validate against openai's pydantic union of
server events. The beta dialect is checked the same way over a raw websocket-client
connection with ``OpenAI-Beta: realtime=v1``, against ``openai.types.beta.realtime``.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from typing import Any

import pytest
import websocket

openai = pytest.importorskip("openai")
pydantic = pytest.importorskip("pydantic")

from openai.types.beta.realtime import (  # noqa: E402
    RealtimeServerEvent as BetaServerEvent,
)
from openai.types.realtime import RealtimeServerEvent  # noqa: E402

from realtime_sync.testing import MockRealtimeServer, synth_speech  # noqa: E402
from tests.helpers import openai_ws_options  # noqa: E402

pytestmark = pytest.mark.timeout(20)

GA_EVENTS: Any = pydantic.TypeAdapter(RealtimeServerEvent)
BETA_EVENTS: Any = pydantic.TypeAdapter(BetaServerEvent)

WAIT = 5.0
WS_OPTIONS: Any = openai_ws_options()  # legacy=True where websockets has it
CHUNK = 4800  # bytes: 100 ms of 24 kHz pcm16

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


def validate_all(frames: list[str], adapter: Any) -> list[str]:
    """Validate every frame with a pydantic adapter; return their types."""
    types = []
    for frame in frames:
        data = json.loads(frame)
        adapter.validate_python(data)
        types.append(data["type"])
    return types


@pytest.fixture
def server() -> Iterator[MockRealtimeServer]:
    """A GA mock server; every frame it sent is validated at the end."""
    with MockRealtimeServer() as srv:
        yield srv
    validate_all(srv.sent, GA_EVENTS)


@pytest.fixture
def connection(server: MockRealtimeServer) -> Iterator[Any]:
    """The openai sync RealtimeConnection to the mock, past ``session.created``."""
    client = openai.OpenAI(
        api_key="test", websocket_base_url=f"ws://127.0.0.1:{server.port}/v1"
    )
    with client.realtime.connect(
        model="gpt-realtime", websocket_connection_options=WS_OPTIONS
    ) as conn:
        first = conn.recv()
        assert first.type == "session.created"
        yield conn


def recv_until(conn: Any, wire_type: str, limit: int = 500) -> list[Any]:
    """The openai events up to and including the first of ``wire_type``."""
    events = []
    for _ in range(limit):
        events.append(conn.recv())
        if events[-1].type == wire_type:
            return events
    raise AssertionError(f"no {wire_type} in {limit} events")


def of_type(events: list[Any], wire_type: str) -> list[Any]:
    """The events of one type."""
    return [e for e in events if e.type == wire_type]


def test_openai_text_turn(server: MockRealtimeServer, connection: Any) -> None:
    """A text-only turn: openai sees the GA sequence and the mock's reply."""
    connection.session.update(
        session={"type": "realtime", "output_modalities": ["text"]}
    )
    updated = recv_until(connection, "session.updated")[-1]
    assert updated.session.output_modalities == ["text"]
    connection.conversation.item.create(
        item={
            "type": "message",
            "role": "user",
            "content": [{"type": "input_text", "text": "Hello there"}],
        }
    )
    connection.response.create()
    events = recv_until(connection, "response.done")

    text = "".join(e.delta for e in of_type(events, "response.output_text.delta"))
    assert text == "You said: Hello there"
    done = events[-1]
    assert done.response.status == "completed"
    assert done.response.usage.total_tokens > 0
    assert isinstance(done, openai.types.realtime.ResponseDoneEvent)
    validate_all(server.sent, GA_EVENTS)


def test_openai_audio_turn_with_server_vad(
    server: MockRealtimeServer, connection: Any
) -> None:
    """Voiced audio then silence: VAD events, a late transcript, an automatic reply."""
    connection.session.update(
        session={
            "type": "realtime",
            "audio": {
                "input": {
                    "transcription": {"model": "gpt-4o-mini-transcribe"},
                    "turn_detection": {
                        "type": "server_vad",
                        "silence_duration_ms": 300,
                        "prefix_padding_ms": 200,
                    },
                }
            },
        }
    )
    recv_until(connection, "session.updated")
    audio = synth_speech("what time is it", lead_ms=300, trail_ms=500)
    for i in range(0, len(audio), CHUNK):
        connection.input_audio_buffer.append(
            audio=base64.b64encode(audio[i : i + CHUNK]).decode()
        )
    events = recv_until(connection, "response.done")
    types = [e.type for e in events]

    assert types[:5] == [
        "input_audio_buffer.speech_started",
        "input_audio_buffer.speech_stopped",
        "input_audio_buffer.committed",
        "conversation.item.added",
        "conversation.item.done",
    ]
    started, stopped = events[0], events[1]
    assert started.item_id == stopped.item_id == events[2].item_id
    assert 0 <= started.audio_start_ms < stopped.audio_end_ms
    assert types.index("response.created") < types.index(
        "conversation.item.input_audio_transcription.completed"
    )
    completed = of_type(events, "conversation.item.input_audio_transcription.completed")
    assert completed[0].transcript == "what time is it"
    transcript = of_type(events, "response.output_audio_transcript.done")[0]
    assert transcript.transcript == "You said: what time is it"
    assert of_type(events, "response.output_audio.delta")
    assert events[-1].response.status == "completed"
    validate_all(server.sent, GA_EVENTS)


def test_openai_function_call_round_trip(
    server: MockRealtimeServer, connection: Any
) -> None:
    """Session tools, a call, its output, and the final answer."""
    connection.session.update(
        session={
            "type": "realtime",
            "output_modalities": ["text"],
            "tools": [WEATHER_TOOL],
        }
    )
    recv_until(connection, "session.updated")
    connection.conversation.item.create(
        item={
            "type": "message",
            "role": "user",
            "content": [{"type": "input_text", "text": "get weather for Paris"}],
        }
    )
    connection.response.create()
    first = recv_until(connection, "response.done")
    call = of_type(first, "response.function_call_arguments.done")[0]
    assert call.name == "get_weather"
    assert json.loads(call.arguments) == {"city": "Paris"}
    assert first[-1].response.output[0].type == "function_call"

    connection.conversation.item.create(
        item={
            "type": "function_call_output",
            "call_id": call.call_id,
            "output": '{"temp_c": 21}',
        }
    )
    connection.response.create()
    second = recv_until(connection, "response.done")

    text = of_type(second, "response.output_text.done")[0].text
    assert text == 'The tool returned: {"temp_c": 21}'
    validate_all(server.sent, GA_EVENTS)


def test_openai_transcription_session(server: MockRealtimeServer) -> None:
    """``intent=transcription``: a transcription session.created and transcripts."""
    client = openai.OpenAI(
        api_key="test", websocket_base_url=f"ws://127.0.0.1:{server.port}/v1"
    )
    with client.realtime.connect(
        extra_query={"intent": "transcription"}, websocket_connection_options=WS_OPTIONS
    ) as conn:
        created = conn.recv()
        assert created.type == "session.created"
        assert created.session.type == "transcription"
        audio = synth_speech("dictation test", trail_ms=400)
        for i in range(0, len(audio), CHUNK):
            conn.input_audio_buffer.append(
                audio=base64.b64encode(audio[i : i + CHUNK]).decode()
            )
        events = recv_until(
            conn, "conversation.item.input_audio_transcription.completed"
        )
    assert [e.type for e in events][:3] == [
        "input_audio_buffer.speech_started",
        "input_audio_buffer.speech_stopped",
        "input_audio_buffer.committed",
    ]
    assert events[-1].transcript == "dictation test"
    assert not any(e.type.startswith("response.") for e in events)
    validate_all(server.sent, GA_EVENTS)


# -- beta dialect, raw frames ----------------------------------------------------------


def beta_connect(server: MockRealtimeServer) -> websocket.WebSocket:
    """A websocket-client connection asking for the beta dialect."""
    return websocket.create_connection(
        server.url,
        timeout=WAIT,
        header=["Authorization: Bearer test", "OpenAI-Beta: realtime=v1"],
    )


def raw_until(ws: websocket.WebSocket, wire_type: str, limit: int = 500) -> list[Any]:
    """Raw frames (parsed) up to and including the first of ``wire_type``."""
    events = []
    for _ in range(limit):
        events.append(json.loads(ws.recv()))
        if events[-1]["type"] == wire_type:
            return events
    raise AssertionError(f"no {wire_type} in {limit} frames")


def test_beta_dialect_frames_validate() -> None:
    """Text, VAD audio and a tool call in beta: openai's beta models accept all."""
    with MockRealtimeServer() as server:
        ws = beta_connect(server)
        try:
            assert [e["type"] for e in raw_until(ws, "conversation.created")] == [
                "session.created",
                "conversation.created",
            ]
            ws.send(
                json.dumps(
                    {
                        "type": "session.update",
                        "session": {
                            "modalities": ["text"],
                            "tools": [WEATHER_TOOL],
                            "input_audio_transcription": {"model": "whisper-1"},
                            "turn_detection": {
                                "type": "server_vad",
                                "silence_duration_ms": 300,
                            },
                        },
                    }
                )
            )
            raw_until(ws, "session.updated")
            ws.send(
                json.dumps(
                    {
                        "type": "conversation.item.create",
                        "item": {
                            "type": "message",
                            "role": "user",
                            "content": [{"type": "input_text", "text": "Hi"}],
                        },
                    }
                )
            )
            ws.send(json.dumps({"type": "response.create"}))
            text = raw_until(ws, "response.done")
            audio = synth_speech("please get weather", trail_ms=400)
            for i in range(0, len(audio), CHUNK):
                ws.send(
                    json.dumps(
                        {
                            "type": "input_audio_buffer.append",
                            "audio": base64.b64encode(audio[i : i + CHUNK]).decode(),
                        }
                    )
                )
            call_turn = raw_until(ws, "response.done")
            done = next(
                e
                for e in call_turn
                if e["type"] == "response.function_call_arguments.done"
            )
            ws.send(
                json.dumps(
                    {
                        "type": "conversation.item.create",
                        "item": {
                            "type": "function_call_output",
                            "call_id": done["call_id"],
                            "output": "sunny",
                        },
                    }
                )
            )
            ws.send(json.dumps({"type": "response.create"}))
            answer = raw_until(ws, "response.done")
        finally:
            ws.close(timeout=WAIT)

    sent_types = validate_all(server.sent, BETA_EVENTS)
    assert "conversation.item.done" not in sent_types
    assert "response.text.delta" in [e["type"] for e in text]
    call_types = [e["type"] for e in call_turn]
    assert call_types[:3] == [
        "input_audio_buffer.speech_started",
        "input_audio_buffer.speech_stopped",
        "input_audio_buffer.committed",
    ]
    assert "conversation.item.input_audio_transcription.completed" in call_types
    final = next(e for e in answer if e["type"] == "response.text.done")
    assert final["text"] == "The tool returned: sunny"


def test_adapters_reject_a_broken_frame() -> None:
    """The validation has teeth: a response.done without its response fails."""
    broken = {"type": "response.done", "event_id": "e"}
    for adapter in (GA_EVENTS, BETA_EVENTS):
        with pytest.raises(pydantic.ValidationError):
            adapter.validate_python(broken)


@pytest.mark.parametrize(
    ("dialect", "adapter"), [("ga", GA_EVENTS), ("beta", BETA_EVENTS)]
)
def test_barge_in_idle_timeout_and_expiry_frames_validate(
    dialect: str, adapter: Any
) -> None:
    """Cancelled responses, idle timeouts and session_expired validate too."""
    header = ["OpenAI-Beta: realtime=v1"] if dialect == "beta" else []
    detection: dict[str, Any] = {"type": "server_vad", "silence_duration_ms": 200}
    if dialect == "ga":
        detection["idle_timeout_ms"] = 400
        session: dict[str, Any] = {
            "type": "realtime",
            "audio": {"input": {"turn_detection": detection}},
        }
    else:
        session = {"turn_detection": detection}
    with MockRealtimeServer(delta_interval=0.02, max_session_seconds=1.5) as server:
        ws = websocket.create_connection(server.url, timeout=WAIT, header=header)
        try:
            raw_until(ws, "session.created")
            ws.send(json.dumps({"type": "session.update", "session": session}))
            raw_until(ws, "session.updated")
            ws.send(json.dumps({"type": "response.create"}))
            raw_until(ws, "response.content_part.added")
            speech = synth_speech("wait", trail_ms=300)
            ws.send(
                json.dumps(
                    {
                        "type": "input_audio_buffer.append",
                        "audio": base64.b64encode(speech).decode(),
                    }
                )
            )
            cancelled = raw_until(ws, "response.done")[-1]
            raw_until(ws, "response.done")  # the automatic answer to the speech
            if dialect == "ga":
                quiet = base64.b64encode(b"\x00\x00" * 24 * 600).decode()
                ws.send(
                    json.dumps({"type": "input_audio_buffer.append", "audio": quiet})
                )
                assert raw_until(ws, "response.done")[0]["type"] == (
                    "input_audio_buffer.timeout_triggered"
                )
            expired = raw_until(ws, "error")[-1]
        finally:
            ws.close(timeout=WAIT)

    assert cancelled["response"]["status_details"]["reason"] == "turn_detected"
    assert expired["error"]["code"] == "session_expired"
    validate_all(server.sent, adapter)


def test_beta_transcription_session_frames_validate() -> None:
    """Beta ``intent=transcription``: update, VAD and transcripts validate.

    ``transcription_session.created`` is not in the beta SDK's union (protocol
    reference §6.2, supplementary events). The SDK's beta ``TranscriptionSession``
    requires ``client_secret``, although its own docstring says it is "not present
    when a session is updated via the WebSocket API"; so the two session echoes are
    validated with a placeholder secret added, everything else as sent.
    """
    from openai.types.beta.realtime import TranscriptionSession

    with MockRealtimeServer() as server:
        url = f"ws://127.0.0.1:{server.port}/v1/realtime?intent=transcription"
        ws = websocket.create_connection(
            url, timeout=WAIT, header=["OpenAI-Beta: realtime=v1"]
        )
        try:
            created = json.loads(ws.recv())
            update = {
                "type": "transcription_session.update",
                "session": {
                    "input_audio_transcription": {"model": "whisper-1"},
                    "turn_detection": {
                        "type": "server_vad",
                        "silence_duration_ms": 300,
                    },
                },
            }
            ws.send(json.dumps(update))
            raw_until(ws, "transcription_session.updated")
            audio = synth_speech("beta dictation", trail_ms=400)
            ws.send(
                json.dumps(
                    {
                        "type": "input_audio_buffer.append",
                        "audio": base64.b64encode(audio).decode(),
                    }
                )
            )
            events = raw_until(
                ws, "conversation.item.input_audio_transcription.completed"
            )
        finally:
            ws.close(timeout=WAIT)

    secret = {"client_secret": {"value": "", "expires_at": 0}}
    assert created["type"] == "transcription_session.created"
    echoes = [json.loads(f) for f in server.sent[:2]]
    assert [e["type"] for e in echoes] == [
        "transcription_session.created",
        "transcription_session.updated",
    ]
    for echo in echoes:
        TranscriptionSession.model_validate({**echo["session"], **secret})
    assert events[-1]["transcript"] == "beta dictation"
    validate_all(server.sent[2:], BETA_EVENTS)
