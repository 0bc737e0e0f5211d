"""The mock behaves like the service for clients we did not write (issue 15).

Socket-free unless the behaviour is the handshake: truncating a reply that still
streams, complete ``session.updated`` echoes, tool arguments from the schema, reply
audio that follows its transcript, and requests the service refuses at the door.
"""

from __future__ import annotations

import base64
import json
from typing import Any

import numpy as np
import pytest
import websocket

from realtime_sync import events as ev
from realtime_sync.protocol import Codec
from realtime_sync.testing import MockRealtimeServer, Responder

GA = Codec("ga")
WAIT = 5.0


def client_event(**data: Any) -> ev.ClientEvent:
    """A client event decoded from its wire form, as a third-party client sends it."""
    return GA.decode_client(json.dumps(data))


def wire(event: ev.ServerEvent) -> dict[str, Any]:
    """A server event as the wire carries it."""
    data: dict[str, Any] = json.loads(GA.encode_server(event))
    return data


def one(events: list[ev.ServerEvent], cls: type[Any]) -> Any:
    """The single event of a class."""
    found = [e for e in events if isinstance(e, cls)]
    assert len(found) == 1, [e.type for e in events]
    return found[0]


def error_of(events: list[ev.ServerEvent]) -> ev.RealtimeError:
    """The error of a one-event answer that must be an ``error``."""
    assert [e.type for e in events] == ["error"]
    err = events[0]
    assert isinstance(err, ev.Error)
    return err.error


def stream_until_audio(r: Responder, audio_deltas: int) -> list[ev.ServerEvent]:
    """Pull a running response's events until ``audio_deltas`` audio deltas went out."""
    events: list[ev.ServerEvent] = []
    while (
        sum(isinstance(e, ev.ResponseOutputAudioDelta) for e in events) < audio_deltas
    ):
        event = r.next_event()
        assert event is not None, "the response ended first"
        events.append(event)
    return events


def start_spoken_reply(r: Responder, text: str) -> str:
    """A user text and a response.create; return the id of the reply's item."""
    r.handle(
        client_event(
            type="conversation.item.create",
            item={
                "type": "message",
                "role": "user",
                "content": [{"type": "input_text", "text": text}],
            },
        )
    )
    r.handle(client_event(type="response.create"))
    events = stream_until_audio(r, 1)
    return str(one(events, ev.ResponseOutputItemAdded).item.id)


# -- 1. truncate while the reply streams ---------------------------------------------


def test_truncate_while_the_reply_streams() -> None:
    """Truncating a streaming reply cuts what was sent; the stream goes on to its end."""
    r = Responder(audio_ms=1000)  # ten 100 ms deltas
    item_id = start_spoken_reply(r, "hello there")
    stream_until_audio(r, 2)  # 300 ms sent in all

    answer = r.handle(
        client_event(
            type="conversation.item.truncate",
            item_id=item_id,
            content_index=0,
            audio_end_ms=199,
        )
    )
    rest = r.drain()

    truncated = one(answer, ev.ConversationItemTruncated)
    assert (truncated.item_id, truncated.audio_end_ms) == (item_id, 199)
    assert rest[-1].type == "response.done"
    assert rest[-1].response.status == "completed"  # type: ignore[attr-defined]
    kept = r.items[-1]
    assert isinstance(kept, ev.AssistantMessage) and kept.status == "completed"
    part = kept.content[0]
    assert isinstance(part, ev.OutputAudio) and isinstance(part.audio, str)
    assert len(base64.b64decode(part.audio)) == 199 * 48  # what the user heard
    # the response reports everything it produced; the conversation what was heard
    out = one(rest, ev.ResponseOutputItemDone).item.content[0]
    conv = one(rest, ev.ConversationItemDone).item.content[0]
    assert out.transcript == "You said: hello there"
    assert conv.transcript == part.transcript
    assert len(part.transcript) < len(out.transcript)


def test_truncate_beyond_the_audio_sent_is_refused() -> None:
    """Only an audio_end_ms beyond the audio sent so far is refused."""
    r = Responder(audio_ms=1000)
    item_id = start_spoken_reply(r, "hello")
    stream_until_audio(r, 2)  # 300 ms

    err = error_of(
        r.handle(
            client_event(
                type="conversation.item.truncate",
                item_id=item_id,
                content_index=0,
                audio_end_ms=400,
            )
        )
    )

    assert err.code == "invalid_value" and err.param == "audio_end_ms"
    assert err.message == "Audio content of 300 ms is already shorter than 400 ms"


def test_retrieve_while_the_reply_streams_shows_what_was_sent() -> None:
    """conversation.item.retrieve of a streaming item has its audio part so far."""
    r = Responder(audio_ms=1000)
    item_id = start_spoken_reply(r, "hello")
    stream_until_audio(r, 2)

    item = one(
        r.handle(client_event(type="conversation.item.retrieve", item_id=item_id)),
        ev.ConversationItemRetrieved,
    ).item

    assert isinstance(item, ev.AssistantMessage) and item.status == "in_progress"
    part = item.content[0]
    assert isinstance(part, ev.OutputAudio) and isinstance(part.audio, str)
    assert len(base64.b64decode(part.audio)) == 300 * 48


def test_retrieve_before_the_content_part_shows_no_part() -> None:
    """Before response.content_part.added the streaming item has no content yet."""
    r = Responder()
    r.handle(client_event(type="response.create"))
    while not isinstance(r.next_event(), ev.ConversationItemAdded):
        pass

    item = r.items[-1]

    assert isinstance(item, ev.AssistantMessage) and item.content == []


# -- 2. session.updated is the complete session ----------------------------------------


def test_session_updated_fills_a_new_turn_detection_kind() -> None:
    """A bare semantic_vad comes back with eagerness, create_ and interrupt_response."""
    r = Responder()
    updated = one(
        r.handle(
            client_event(
                type="session.update",
                session={
                    "type": "realtime",
                    "audio": {"input": {"turn_detection": {"type": "semantic_vad"}}},
                },
            )
        ),
        ev.SessionUpdated,
    )

    detection = wire(updated)["session"]["audio"]["input"]["turn_detection"]
    assert detection == {
        "type": "semantic_vad",
        "eagerness": "auto",
        "create_response": True,
        "interrupt_response": True,
    }


def test_session_updated_fills_every_new_nested_object() -> None:
    """Transcription, noise reduction and an audio/pcm format get their defaults."""
    r = Responder()
    updated = one(
        r.handle(
            client_event(
                type="session.update",
                session={
                    "type": "realtime",
                    "audio": {
                        "input": {
                            "transcription": {"model": "whisper-1"},
                            "noise_reduction": {"type": "near_field"},
                            "turn_detection": {"type": "server_vad", "threshold": 0.7},
                        },
                        "output": {"format": {"type": "audio/pcmu"}},
                    },
                },
            )
        ),
        ev.SessionUpdated,
    )
    back = one(
        r.handle(
            client_event(
                type="session.update",
                session={
                    "type": "realtime",
                    "audio": {"output": {"format": {"type": "audio/pcm"}}},
                },
            )
        ),
        ev.SessionUpdated,
    )

    audio_in = wire(updated)["session"]["audio"]["input"]
    assert audio_in["transcription"] == {
        "model": "whisper-1",
        "language": None,
        "prompt": "",
    }
    assert audio_in["noise_reduction"] == {"type": "near_field", "strength": 1.0}
    assert audio_in["turn_detection"] == {
        "type": "server_vad",
        "threshold": 0.7,
        "prefix_padding_ms": 300,
        "silence_duration_ms": 200,
        "idle_timeout_ms": None,
        "create_response": True,
        "interrupt_response": True,
    }
    assert wire(back)["session"]["audio"]["output"]["format"] == {
        "type": "audio/pcm",
        "rate": 24000,
    }


def test_semantic_vad_echo_matches_what_the_mock_does() -> None:
    """The echoed interrupt_response (true) is what the mock does: speech cancels."""
    r = Responder(audio_ms=2000)
    r.handle(
        client_event(
            type="session.update",
            session={
                "type": "realtime",
                "audio": {"input": {"turn_detection": {"type": "semantic_vad"}}},
            },
        )
    )
    assert r.session.audio.input.turn_detection.interrupt_response is True  # type: ignore[union-attr]
    r.handle(client_event(type="response.create"))
    stream_until_audio(r, 1)
    loud = (8000 * (1 - 2 * (np.arange(4800) % 2))).astype("<i2").tobytes()  # 200 ms

    events = r.handle(
        client_event(
            type="input_audio_buffer.append", audio=base64.b64encode(loud).decode()
        )
    )

    done = one(events, ev.ResponseDone)
    assert done.response.status == "cancelled"
    assert done.response.status_details.reason == "turn_detected"


# -- 3. tool arguments from the schema and the user's words -----------------------------


WEATHER = {
    "type": "object",
    "properties": {
        "city": {"type": "string"},
        "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]},
    },
    "required": ["city"],
}
DICE = {
    "type": "object",
    "properties": {"sides": {"type": "integer", "minimum": 2, "maximum": 100}},
    "required": ["sides"],
}
BOOKING = {
    "type": "object",
    "properties": {
        "guest": {"type": "string", "minLength": 2},
        "nights": {"type": "number"},
        "room": {"type": "string", "enum": ["single", "double", "suite"]},
        "breakfast": {"type": "boolean"},
        "extras": {"type": "array", "items": {"type": "string"}, "minItems": 2},
        "contact": {
            "type": "object",
            "properties": {"email": {"type": ["string", "null"]}},
            "required": ["email"],
        },
    },
    "required": ["guest", "nights", "room", "breakfast", "extras", "contact"],
}


def call_arguments(schema: dict[str, Any], name: str, text: str) -> dict[str, Any]:
    """The arguments the mock's function call carries for one user text."""
    r = Responder()
    r.handle(
        client_event(
            type="session.update",
            session={
                "type": "realtime",
                "tools": [{"type": "function", "name": name, "parameters": schema}],
                "tool_choice": "required",
            },
        )
    )
    r.handle(
        client_event(
            type="conversation.item.create",
            item={
                "type": "message",
                "role": "user",
                "content": [{"type": "input_text", "text": text}],
            },
        )
    )
    events = r.handle(client_event(type="response.create")) + r.drain()
    args: dict[str, Any] = json.loads(
        one(events, ev.ResponseFunctionCallArgumentsDone).arguments
    )
    return args


@pytest.mark.parametrize(
    ("schema", "name", "text", "expected"),
    [
        (WEATHER, "get_weather", "Use get_weather for Paris.", {"city": "Paris"}),
        (
            WEATHER,
            "get_weather",
            "Is it cold in New York? Tell me in fahrenheit.",
            {"city": "New York", "unit": "fahrenheit"},
        ),
        (WEATHER, "get_weather", "what's the weather in lisbon", {"city": "lisbon"}),
        (DICE, "roll_dice", "roll dice with six sides", {"sides": 6}),
        (DICE, "roll_dice", "roll 3 dice with 8 sides", {"sides": 8}),
        (DICE, "roll_dice", "roll a dice", {"sides": 2}),
        (DICE, "roll_dice", "roll a 1000-sided die", {"sides": 100}),
    ],
)
def test_tool_arguments_come_from_the_users_words(
    schema: dict[str, Any], name: str, text: str, expected: dict[str, Any]
) -> None:
    """A name for a string, the number said for a number, an enum value named."""
    assert call_arguments(schema, name, text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "Book a suite for Ada Lovelace, two nights, breakfast please",
        "",
        "book it",
    ],
)
def test_tool_arguments_validate_against_the_schema(text: str) -> None:
    """Required fields are always present and the arguments validate."""
    jsonschema = pytest.importorskip("jsonschema")

    args = call_arguments(BOOKING, "book_room", text)

    jsonschema.validate(args, BOOKING)
    assert set(args) == set(BOOKING["required"])


def test_tool_arguments_of_a_booking() -> None:
    """Each kind of parameter takes what the text says."""
    args = call_arguments(
        BOOKING, "book_room", "Book a suite for Ada Lovelace, two nights, breakfast"
    )

    assert args["guest"] == "Ada Lovelace"
    assert args["nights"] == 2 and args["room"] == "suite"
    assert args["breakfast"] is True


# -- 4. reply audio follows the transcript ---------------------------------------------


def reply_audio_ms(r: Responder, text: str) -> float:
    """Milliseconds of audio in the spoken reply to one user text."""
    r.handle(
        client_event(
            type="conversation.item.create",
            item={
                "type": "message",
                "role": "user",
                "content": [{"type": "input_text", "text": text}],
            },
        )
    )
    events = r.handle(client_event(type="response.create")) + r.drain()
    return sum(
        r.output_ms(e.delta)
        for e in events
        if isinstance(e, ev.ResponseOutputAudioDelta)
    )


def test_reply_audio_follows_the_transcript() -> None:
    """About speaking pace: 15 characters a second, at least 200 ms."""
    short = reply_audio_ms(Responder(), "hi")  # "You said: hi", 12 characters
    long = reply_audio_ms(Responder(), "x" * 140)  # 150 characters

    assert short == 800
    assert long == 10_000


def test_audio_ms_keeps_replies_short() -> None:
    """Responder(audio_ms=...) is the knob for short tests: every reply that long."""
    assert reply_audio_ms(Responder(audio_ms=200), "x" * 140) == 200
    assert reply_audio_ms(Responder(speech_chars_per_second=30), "hi") == 400


def test_bad_pacing_arguments_are_refused() -> None:
    """A non-positive speaking pace or audio_ms is a ValueError."""
    with pytest.raises(ValueError, match="speech_chars_per_second"):
        Responder(speech_chars_per_second=0)
    with pytest.raises(ValueError, match="audio_ms"):
        MockRealtimeServer(audio_ms=0)


# -- 5. refused at the door ------------------------------------------------------------


def test_unknown_voice_is_refused_naming_the_voices() -> None:
    """voice='nobody' is an invalid_request_error that lists the supported voices."""
    r = Responder()
    err = error_of(
        r.handle(
            client_event(
                type="session.update",
                event_id="upd_1",
                session={"type": "realtime", "audio": {"output": {"voice": "nobody"}}},
            )
        )
    )

    assert err.type == "invalid_request_error" and err.code == "invalid_value"
    assert err.param == "session.audio.output.voice" and err.event_id == "upd_1"
    assert err.message == (
        "Invalid value: 'nobody'. Supported values are: 'alloy', 'ash', 'ballad', "
        "'coral', 'echo', 'sage', 'shimmer', 'verse', 'marin', and 'cedar'."
    )
    assert r.session.audio.output.voice == "marin"  # type: ignore[union-attr]


def test_custom_voice_objects_and_known_voices_pass() -> None:
    """A voice id object and each listed voice are accepted."""
    r = Responder()
    for voice in ("cedar", {"id": "voice_123"}):
        events = r.handle(
            client_event(
                type="session.update",
                session={"type": "realtime", "audio": {"output": {"voice": voice}}},
            )
        )
        assert [e.type for e in events] == ["session.updated"]


@pytest.mark.parametrize(
    ("session", "param", "message"),
    [
        (
            {
                "audio": {
                    "input": {
                        "turn_detection": {"type": "semantic_vad", "eagerness": "eager"}
                    }
                }
            },
            "session.audio.input.turn_detection.eagerness",
            "Invalid value: 'eager'. Supported values are: 'low', 'medium', 'high', "
            "and 'auto'.",
        ),
        (
            {"audio": {"input": {"noise_reduction": {"type": "studio"}}}},
            "session.audio.input.noise_reduction.type",
            "Invalid value: 'studio'. Supported values are: 'near_field' and "
            "'far_field'.",
        ),
        (
            {"audio": {"input": {"format": {"type": "audio/pcm", "rate": 16000}}}},
            "session.audio.input.format.rate",
            "Invalid value: 16000. Supported values are: 24000.",
        ),
        (
            {"audio": {"output": {"format": {"type": "audio/flac"}}}},
            "session.audio.output.format.type",
            "Invalid value: 'audio/flac'. Supported values are: 'audio/pcm', "
            "'audio/pcmu', and 'audio/pcma'.",
        ),
        (
            {"audio": {"input": {"turn_detection": {"type": "push_to_talk"}}}},
            "session.audio.input.turn_detection.type",
            "Invalid value: 'push_to_talk'. Supported values are: 'server_vad' and "
            "'semantic_vad'.",
        ),
        (
            {"tool_choice": "sometimes"},
            "session.tool_choice",
            "Invalid value: 'sometimes'. Supported values are: 'none', 'auto', and "
            "'required'.",
        ),
        (
            {"truncation": "never"},
            "session.truncation",
            "Invalid value: 'never'. Supported values are: 'auto' and 'disabled'.",
        ),
        (
            {"audio": {"output": {"speed": 3}}},
            "session.audio.output.speed",
            "Invalid 'session.audio.output.speed': decimal above maximum value. "
            "Expected a value <= 1.5, but got 3 instead.",
        ),
    ],
    ids=[
        "eagerness",
        "noise",
        "rate",
        "format",
        "turn",
        "tool_choice",
        "trunc",
        "speed",
    ],
)
def test_closed_enumerations_are_checked(
    session: dict[str, Any], param: str, message: str
) -> None:
    """Each closed set of session.update is checked as the voice is."""
    err = error_of(
        Responder().handle(
            client_event(type="session.update", session={"type": "realtime", **session})
        )
    )

    assert err.type == "invalid_request_error"
    assert (err.param, err.message) == (param, message)


def test_transcription_models_stay_open() -> None:
    """Any transcription model is accepted (the set grows with each release)."""
    events = Responder().handle(
        client_event(
            type="session.update",
            session={
                "type": "realtime",
                "audio": {"input": {"transcription": {"model": "whisper-next"}}},
            },
        )
    )

    assert [e.type for e in events] == ["session.updated"]


def test_response_voice_is_checked_too() -> None:
    """response.create's audio.output.voice is held to the same list."""
    err = error_of(
        Responder().handle(
            client_event(
                type="response.create",
                response={"audio": {"output": {"voice": "nobody"}}},
            )
        )
    )

    assert err.param == "response.audio.output.voice"


@pytest.mark.parametrize("path", ["/v2/realtim", "/v1/realtime/x", "/", "/realtime"])
def test_wrong_path_gets_404(path: str) -> None:
    """A handshake on a path the service does not serve is an HTTP 404, no session."""
    with (
        MockRealtimeServer() as server,
        pytest.raises(websocket.WebSocketBadStatusException) as info,
    ):
        websocket.create_connection(
            f"ws://127.0.0.1:{server.port}{path}?model=gpt-realtime", timeout=WAIT
        )

    assert info.value.status_code == 404
    assert info.value.resp_body is not None
    error = json.loads(info.value.resp_body)["error"]
    assert error["type"] == "invalid_request_error" and error["code"] == "unknown_url"
    assert path in error["message"]
    assert server.total_connections == 0


@pytest.mark.parametrize(
    "path", ["/v1/realtime", "/v1/realtime/", "/openai/v1/realtime", "/openai/realtime"]
)
def test_the_services_paths_get_a_session(path: str) -> None:
    """OpenAI's path and Azure's two paths are served."""
    with MockRealtimeServer() as server:
        ws = websocket.create_connection(
            f"ws://127.0.0.1:{server.port}{path}?model=gpt-realtime", timeout=WAIT
        )
        try:
            first = json.loads(ws.recv())
        finally:
            ws.close(timeout=WAIT)

    assert first["type"] in ("session.created", "session.updated")
