"""GA <-> beta equivalence (REALTIME_PROTOCOL.md §7): same classes, lossless edges."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from realtime_sync.events import (
    ConversationItemAdded,
    RealtimeSession,
    ResponseCreate,
    ResponseCreateParams,
    ResponseOutputAudioDelta,
    SessionUpdate,
    TranscriptionSession,
)
from realtime_sync.protocol import Codec
from tests.data import protocol_examples
from tests.protocol._helpers import assert_json_equal, decode, encode

GA = Codec("ga")
BETA = Codec("beta")

ADDRESS = {"response_id": "resp_1", "item_id": "item_1", "output_index": 0}
PART = {**ADDRESS, "content_index": 0}
TOOL = {
    "type": "function",
    "name": "get_weather",
    "description": "Get the weather.",
    "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
}
USAGE = {
    "total_tokens": 30,
    "input_tokens": 20,
    "output_tokens": 10,
    "input_token_details": {"text_tokens": 5, "audio_tokens": 15, "cached_tokens": 0},
    "output_token_details": {"text_tokens": 4, "audio_tokens": 6},
}
TRANSCRIPTION = {"model": "gpt-4o-transcribe", "language": "en", "prompt": ""}
SERVER_VAD = {
    "type": "server_vad",
    "threshold": 0.5,
    "prefix_padding_ms": 300,
    "silence_duration_ms": 500,
    "create_response": True,
    "interrupt_response": True,
}


def _item(role: str, *content: dict[str, Any], **more: Any) -> dict[str, Any]:
    return {
        "id": "item_1",
        "object": "realtime.item",
        "type": "message",
        "status": "completed",
        "role": role,
        "content": list(content),
        **more,
    }


BETA_SESSION = {
    "id": "sess_1",
    "object": "realtime.session",
    "model": "gpt-4o-realtime-preview",
    "expires_at": 1767225600,
    "modalities": ["text", "audio"],
    "instructions": "Be brief.",
    "voice": "alloy",
    "speed": 1.1,
    "input_audio_format": "g711_ulaw",
    "output_audio_format": "g711_alaw",
    "input_audio_transcription": {"model": "whisper-1"},
    "input_audio_noise_reduction": {"type": "far_field"},
    "turn_detection": {"type": "semantic_vad", "eagerness": "auto"},
    "tools": [TOOL],
    "tool_choice": "auto",
    "max_response_output_tokens": "inf",
    "tracing": None,
}
GA_SESSION = {
    "type": "realtime",
    "id": "sess_1",
    "object": "realtime.session",
    "model": "gpt-4o-realtime-preview",
    "expires_at": 1767225600,
    "output_modalities": ["audio"],
    "instructions": "Be brief.",
    "audio": {
        "input": {
            "format": {"type": "audio/pcmu"},
            "transcription": {"model": "whisper-1"},
            "noise_reduction": {"type": "far_field"},
            "turn_detection": {"type": "semantic_vad", "eagerness": "auto"},
        },
        "output": {"format": {"type": "audio/pcma"}, "voice": "alloy", "speed": 1.1},
    },
    "tools": [TOOL],
    "tool_choice": "auto",
    "max_output_tokens": "inf",
    "tracing": None,
}
BETA_TRANSCRIPTION_SESSION = {
    "id": "sess_2",
    "object": "realtime.transcription_session",
    "input_audio_format": "pcm16",
    "input_audio_transcription": TRANSCRIPTION,
    "turn_detection": SERVER_VAD,
    "input_audio_noise_reduction": {"type": "near_field"},
    "include": ["item.input_audio_transcription.logprobs"],
}
GA_TRANSCRIPTION_SESSION = {
    "type": "transcription",
    "id": "sess_2",
    "object": "realtime.transcription_session",
    "audio": {
        "input": {
            "format": {"type": "audio/pcm", "rate": 24000},
            "transcription": TRANSCRIPTION,
            "turn_detection": SERVER_VAD,
            "noise_reduction": {"type": "near_field"},
        }
    },
    "include": ["item.input_audio_transcription.logprobs"],
}
BETA_RESPONSE = {
    "object": "realtime.response",
    "id": "resp_1",
    "status": "completed",
    "status_details": None,
    "output": [_item("assistant", {"type": "audio", "transcript": "Hi there."})],
    "conversation_id": "conv_1",
    "modalities": ["text", "audio"],
    "voice": "alloy",
    "output_audio_format": "pcm16",
    "max_output_tokens": "inf",
    "usage": USAGE,
    "metadata": None,
}
GA_RESPONSE = {
    "object": "realtime.response",
    "id": "resp_1",
    "status": "completed",
    "status_details": None,
    "output": [_item("assistant", {"type": "output_audio", "transcript": "Hi there."})],
    "conversation_id": "conv_1",
    "output_modalities": ["audio"],
    "audio": {
        "output": {"voice": "alloy", "format": {"type": "audio/pcm", "rate": 24000}}
    },
    "max_output_tokens": "inf",
    "usage": USAGE,
    "metadata": None,
}
BETA_PARAMS = {
    "modalities": ["text"],
    "instructions": "Answer in one word.",
    "voice": "alloy",
    "output_audio_format": "g711_ulaw",
    "tools": [TOOL],
    "tool_choice": "required",
    "max_response_output_tokens": 200,
    "conversation": "none",
    "metadata": {"topic": "weather"},
    "input": [
        _item("user", {"type": "input_text", "text": "Weather?"}),
        _item("assistant", {"type": "text", "text": "Sunny."}),
        {"type": "function_call_output", "call_id": "call_1", "output": "{}"},
    ],
}
GA_PARAMS = {
    "output_modalities": ["text"],
    "instructions": "Answer in one word.",
    "audio": {"output": {"voice": "alloy", "format": {"type": "audio/pcmu"}}},
    "tools": [TOOL],
    "tool_choice": "required",
    "max_output_tokens": 200,
    "conversation": "none",
    "metadata": {"topic": "weather"},
    "input": [
        _item("user", {"type": "input_text", "text": "Weather?"}),
        _item("assistant", {"type": "output_text", "text": "Sunny."}),
        {"type": "function_call_output", "call_id": "call_1", "output": "{}"},
    ],
}

# (name, direction, beta payload, GA payload): the same event in both dialects.
PAIRS: list[tuple[str, str, dict[str, Any], dict[str, Any]]] = [
    (
        "text.delta",
        "server",
        {"type": "response.text.delta", "event_id": "e1", **PART, "delta": "Hi"},
        {"type": "response.output_text.delta", "event_id": "e1", **PART, "delta": "Hi"},
    ),
    (
        "text.done",
        "server",
        {"type": "response.text.done", "event_id": "e1", **PART, "text": "Hi."},
        {"type": "response.output_text.done", "event_id": "e1", **PART, "text": "Hi."},
    ),
    (
        "audio.delta",
        "server",
        {"type": "response.audio.delta", "event_id": "e1", **PART, "delta": "AAAA"},
        {
            "type": "response.output_audio.delta",
            "event_id": "e1",
            **PART,
            "delta": "AAAA",
        },
    ),
    (
        "audio.done",
        "server",
        {"type": "response.audio.done", "event_id": "e1", **PART},
        {"type": "response.output_audio.done", "event_id": "e1", **PART},
    ),
    (
        "audio_transcript.delta",
        "server",
        {
            "type": "response.audio_transcript.delta",
            "event_id": "e",
            **PART,
            "delta": "H",
        },
        {
            "type": "response.output_audio_transcript.delta",
            "event_id": "e",
            **PART,
            "delta": "H",
        },
    ),
    (
        "audio_transcript.done",
        "server",
        {
            "type": "response.audio_transcript.done",
            "event_id": "e",
            **PART,
            "transcript": "Hi.",
        },
        {
            "type": "response.output_audio_transcript.done",
            "event_id": "e",
            **PART,
            "transcript": "Hi.",
        },
    ),
    (
        "item.created-text",
        "server",
        {
            "type": "conversation.item.created",
            "event_id": "e1",
            "previous_item_id": None,
            "item": _item("assistant", {"type": "text", "text": "Hello"}),
        },
        {
            "type": "conversation.item.added",
            "event_id": "e1",
            "previous_item_id": None,
            "item": _item("assistant", {"type": "output_text", "text": "Hello"}),
        },
    ),
    (
        "item.created-audio",
        "server",
        {
            "type": "conversation.item.created",
            "event_id": "e1",
            "previous_item_id": "item_0",
            "item": _item(
                "assistant",
                {"type": "audio", "transcript": "Hello"},
                {"type": "text", "text": "Hi"},
                status="in_progress",
            ),
        },
        {
            "type": "conversation.item.added",
            "event_id": "e1",
            "previous_item_id": "item_0",
            "item": _item(
                "assistant",
                {"type": "output_audio", "transcript": "Hello"},
                {"type": "output_text", "text": "Hi"},
                status="in_progress",
            ),
        },
    ),
    (
        "item.created-user-audio",
        "server",
        {
            "type": "conversation.item.created",
            "event_id": "e1",
            "previous_item_id": None,
            "item": _item("user", {"type": "input_audio", "transcript": None}),
        },
        {
            "type": "conversation.item.added",
            "event_id": "e1",
            "previous_item_id": None,
            "item": _item("user", {"type": "input_audio", "transcript": None}),
        },
    ),
    (
        "output_item.done",
        "server",
        {
            "type": "response.output_item.done",
            "event_id": "e1",
            "response_id": "resp_1",
            "output_index": 0,
            "item": _item("assistant", {"type": "audio", "transcript": "Hi"}),
        },
        {
            "type": "response.output_item.done",
            "event_id": "e1",
            "response_id": "resp_1",
            "output_index": 0,
            "item": _item("assistant", {"type": "output_audio", "transcript": "Hi"}),
        },
    ),
    (
        "item.retrieved",
        "server",
        {
            "type": "conversation.item.retrieved",
            "event_id": "e1",
            "item": _item("assistant", {"type": "audio", "audio": "AAAA"}),
        },
        {
            "type": "conversation.item.retrieved",
            "event_id": "e1",
            "item": _item("assistant", {"type": "output_audio", "audio": "AAAA"}),
        },
    ),
    (
        "transcription_session.created",
        "server",
        {
            "type": "transcription_session.created",
            "event_id": "e1",
            "session": BETA_TRANSCRIPTION_SESSION,
        },
        {
            "type": "session.created",
            "event_id": "e1",
            "session": GA_TRANSCRIPTION_SESSION,
        },
    ),
    (
        "transcription_session.updated",
        "server",
        {
            "type": "transcription_session.updated",
            "event_id": "e1",
            "session": BETA_TRANSCRIPTION_SESSION,
        },
        {
            "type": "session.updated",
            "event_id": "e1",
            "session": GA_TRANSCRIPTION_SESSION,
        },
    ),
    (
        "session.created",
        "server",
        {"type": "session.created", "event_id": "e1", "session": BETA_SESSION},
        {"type": "session.created", "event_id": "e1", "session": GA_SESSION},
    ),
    (
        "response.created",
        "server",
        {
            "type": "response.created",
            "event_id": "e1",
            "response": {**BETA_RESPONSE, "status": "in_progress", "output": []},
        },
        {
            "type": "response.created",
            "event_id": "e1",
            "response": {**GA_RESPONSE, "status": "in_progress", "output": []},
        },
    ),
    (
        "response.done",
        "server",
        {"type": "response.done", "event_id": "e1", "response": BETA_RESPONSE},
        {"type": "response.done", "event_id": "e1", "response": GA_RESPONSE},
    ),
    (
        "session.update",
        "client",
        {"type": "session.update", "event_id": "c1", "session": BETA_SESSION},
        {"type": "session.update", "event_id": "c1", "session": GA_SESSION},
    ),
    (
        "session.update-vad-off",
        "client",
        {"type": "session.update", "session": {"turn_detection": None}},
        {
            "type": "session.update",
            "session": {
                "type": "realtime",
                "audio": {"input": {"turn_detection": None}},
            },
        },
    ),
    (
        "transcription_session.update",
        "client",
        {
            "type": "transcription_session.update",
            "event_id": "c1",
            "session": {
                k: v
                for k, v in BETA_TRANSCRIPTION_SESSION.items()
                if k not in ("id", "object")
            },
        },
        {
            "type": "session.update",
            "event_id": "c1",
            "session": {
                k: v
                for k, v in GA_TRANSCRIPTION_SESSION.items()
                if k not in ("id", "object")
            },
        },
    ),
    (
        "response.create",
        "client",
        {"type": "response.create", "event_id": "c1", "response": BETA_PARAMS},
        {"type": "response.create", "event_id": "c1", "response": GA_PARAMS},
    ),
    (
        "response.create-bare",
        "client",
        {"type": "response.create"},
        {"type": "response.create"},
    ),
    (
        "item.create",
        "client",
        {
            "type": "conversation.item.create",
            "previous_item_id": "root",
            "item": {
                "type": "message",
                "role": "assistant",
                "content": [{"type": "text", "text": "Earlier answer."}],
            },
        },
        {
            "type": "conversation.item.create",
            "previous_item_id": "root",
            "item": {
                "type": "message",
                "role": "assistant",
                "content": [{"type": "output_text", "text": "Earlier answer."}],
            },
        },
    ),
    (
        "input_audio_buffer.append",
        "client",
        {"type": "input_audio_buffer.append", "audio": "AAAA"},
        {"type": "input_audio_buffer.append", "audio": "AAAA"},
    ),
]
_section_73 = [r["payload"] for r in protocol_examples() if r["section"] == "7.3"]
PAIRS.append(("protocol§7.3", "client", _section_73[1], _section_73[0]))


@pytest.mark.parametrize(
    ("direction", "beta", "ga"), [p[1:] for p in PAIRS], ids=[p[0] for p in PAIRS]
)
def test_beta_and_ga_decode_to_the_same_event(
    direction: str, beta: dict[str, Any], ga: dict[str, Any]
) -> None:
    """The beta and the GA spelling of one event decode to equal GA objects."""
    from_beta = decode(BETA, direction, json.dumps(beta))
    from_ga = decode(GA, direction, json.dumps(ga))

    assert from_beta == from_ga


@pytest.mark.parametrize(
    ("direction", "beta", "ga"), [p[1:] for p in PAIRS], ids=[p[0] for p in PAIRS]
)
def test_ga_event_encodes_to_the_beta_payload(
    direction: str, beta: dict[str, Any], ga: dict[str, Any]
) -> None:
    """A GA-decoded event encoded by the beta Codec is the beta payload."""
    event = decode(GA, direction, json.dumps(ga))

    assert_json_equal(encode(BETA, event), beta)


@pytest.mark.parametrize(
    ("direction", "beta", "ga"), [p[1:] for p in PAIRS], ids=[p[0] for p in PAIRS]
)
def test_beta_event_encodes_to_the_ga_payload(
    direction: str, beta: dict[str, Any], ga: dict[str, Any]
) -> None:
    """A beta-decoded event encoded by the GA Codec is the GA payload."""
    event = decode(BETA, direction, json.dumps(beta))

    assert_json_equal(encode(GA, event), ga)


def test_beta_audio_delta_is_the_ga_class() -> None:
    """``response.audio.delta`` decodes to ResponseOutputAudioDelta (§7.1)."""
    payload = {"type": "response.audio.delta", "event_id": "e", **PART, "delta": "AAAA"}

    event = BETA.decode_server(json.dumps(payload))

    assert type(event) is ResponseOutputAudioDelta
    assert event.TYPE == "response.output_audio.delta"


def test_beta_item_created_is_item_added() -> None:
    """Beta ``conversation.item.created`` is GA ``conversation.item.added`` (§7.2)."""
    payload = {"type": "conversation.item.created", "item": _item("user")}

    event = BETA.decode_server(json.dumps(payload))

    assert type(event) is ConversationItemAdded


def test_beta_codec_also_reads_ga_names() -> None:
    """A beta socket that sends a GA name still gets the GA class."""
    payload = {"type": "response.output_audio.delta", **PART, "delta": "AAAA"}

    assert BETA.decode_server(json.dumps(payload)) == GA.decode_server(
        json.dumps(payload)
    )


@pytest.mark.parametrize(
    "spelling", [["audio", "text"], ["text", "audio"], ["audio"], ["text"]]
)
@pytest.mark.parametrize(
    "where", ["session.update", "response.create", "response.done"]
)
def test_beta_modalities_re_encode_as_received(spelling: list[str], where: str) -> None:
    """Every beta ``modalities`` spelling maps to GA and comes back exactly as sent."""
    expected_ga = ["text"] if spelling == ["text"] else ["audio"]
    if where == "session.update":
        payload = {"type": where, "session": {"modalities": spelling}}
        ga = {
            "type": where,
            "session": {"type": "realtime", "output_modalities": expected_ga},
        }
    elif where == "response.create":
        payload = {"type": where, "response": {"modalities": spelling}}
        ga = {"type": where, "response": {"output_modalities": expected_ga}}
    else:
        payload = {"type": where, "response": {"id": "r", "modalities": spelling}}
        ga = {"type": where, "response": {"id": "r", "output_modalities": expected_ga}}
    direction = "server" if where == "response.done" else "client"

    event = decode(BETA, direction, json.dumps(payload))

    assert event == decode(GA, direction, json.dumps(ga))
    assert_json_equal(encode(BETA, event), payload)


@pytest.mark.parametrize("key", ["max_output_tokens", "max_response_output_tokens"])
@pytest.mark.parametrize("value", [150, "inf"])
def test_beta_max_tokens_spelling_re_encodes_as_received(key: str, value: Any) -> None:
    """Both beta names of the token limit decode to GA ``max_output_tokens``, kept."""
    payload = {"type": "response.create", "response": {key: value}}
    ga = {"type": "response.create", "response": {"max_output_tokens": value}}

    event = BETA.decode_client(json.dumps(payload))

    assert event == GA.decode_client(json.dumps(ga))
    assert isinstance(event, ResponseCreate)
    assert isinstance(event.response, ResponseCreateParams)
    assert event.response.max_output_tokens == value
    assert_json_equal(BETA.encode_client(event), payload)


def test_beta_session_max_output_tokens_null_stays_verbatim() -> None:
    """The beta docs' ``max_output_tokens: null`` in a session comes back as sent."""
    payload = {"type": "session.update", "session": {"max_output_tokens": None}}

    event = BETA.decode_client(json.dumps(payload))

    assert event.session.max_output_tokens is None  # type: ignore[attr-defined]
    assert_json_equal(BETA.encode_client(event), payload)


@pytest.mark.parametrize(
    "event",
    [
        SessionUpdate(session=RealtimeSession(max_output_tokens="inf")),
        ResponseCreate(response=ResponseCreateParams(max_output_tokens="inf")),
    ],
    ids=["session.update", "response.create"],
)
def test_azure_beta_omits_inf_max_tokens(event: Any) -> None:
    """Azure's beta dialect omits ``max_response_output_tokens: "inf"``; beta keeps it."""
    plain = json.loads(Codec("beta").encode_client(event))
    azure = json.loads(Codec("beta", azure=True).encode_client(event))
    key = "session" if "session" in plain else "response"

    assert plain[key] == {"max_response_output_tokens": "inf"}
    assert azure[key] == {}


def test_azure_beta_keeps_a_numeric_max_tokens() -> None:
    """Azure only drops ``"inf"``; a number is sent as usual."""
    event = ResponseCreate(response=ResponseCreateParams(max_output_tokens=100))

    azure = json.loads(Codec("beta", azure=True).encode_client(event))

    assert azure["response"] == {"max_response_output_tokens": 100}


def test_ga_shaped_session_on_a_beta_socket_is_kept() -> None:
    """A beta server that sends a GA-shaped session gets it back unchanged."""
    payload = {"type": "session.updated", "event_id": "e1", "session": GA_SESSION}

    event = BETA.decode_server(json.dumps(payload))

    assert event == GA.decode_server(json.dumps(payload))
    assert_json_equal(BETA.encode_server(event), payload)


def test_ga_shaped_transcription_session_keeps_its_kind() -> None:
    """An untyped GA-shaped session of ``transcription_session.*`` stays one."""
    session = copy.deepcopy(GA_TRANSCRIPTION_SESSION)
    del session["type"]
    payload = {"type": "transcription_session.updated", "session": session}

    event = BETA.decode_server(json.dumps(payload))

    assert isinstance(event.session, TranscriptionSession)  # type: ignore[attr-defined]
    assert_json_equal(BETA.encode_server(event), payload)


def test_unknown_session_kind_is_not_translated() -> None:
    """A session of an unknown ``type`` passes the beta edge verbatim, both ways."""
    payload = {
        "type": "session.updated",
        "session": {"type": "x_future", "voice": "alloy", "modalities": ["text"]},
    }

    event = BETA.decode_server(json.dumps(payload))

    assert event.session.data == payload["session"]  # type: ignore[attr-defined]
    assert_json_equal(BETA.encode_server(event), payload)


def test_beta_only_temperature_is_kept_as_extra() -> None:
    """``temperature`` has no GA field: it rides in ``extra`` and goes back out."""
    payload = {"type": "session.update", "session": {"temperature": 0.8, "voice": "x"}}

    event = BETA.decode_client(json.dumps(payload))

    assert dict(event.session.extra) == {"temperature": 0.8}  # type: ignore[attr-defined]
    assert event.session.audio.output.voice == "x"  # type: ignore[attr-defined]
    assert_json_equal(BETA.encode_client(event), payload)


def test_ga_session_type_is_dropped_toward_beta() -> None:
    """Beta sessions have no ``type``: encoding a GA session for beta removes it."""
    event = SessionUpdate(session=RealtimeSession(instructions="Hi"))

    assert json.loads(BETA.encode_client(event)) == {
        "type": "session.update",
        "session": {"instructions": "Hi"},
    }
    assert event.session.type == "realtime"


def test_beta_refuses_image_content_before_sending() -> None:
    """An input_image item cannot be expressed in beta: ValueError at encode."""
    import pytest

    from realtime_sync import events as ev
    from realtime_sync.protocol import Codec

    event = ev.ConversationItemCreate(
        item=ev.UserMessage(content=[ev.InputImage(image_url="data:image/png;base64,AA==")])
    )
    assert '"input_image"' in Codec("ga").encode_client(event)
    with pytest.raises(ValueError, match="input_image"):
        Codec("beta").encode_client(event)


@pytest.mark.parametrize("session", [False, True], ids=["response", "session"])
def test_beta_carries_image_prompt_variables(session: bool) -> None:
    """A prompt variable may be an image in beta: only content parts are refused."""
    from realtime_sync import events as ev

    prompt = ev.Prompt(
        id="pmpt_1",
        variables={"map": ev.InputImage(image_url="https://example.com/map.png")},
    )
    event: ev.ClientEvent
    if session:
        event = ev.SessionUpdate(session=ev.RealtimeSession(prompt=prompt))
        container = "session"
    else:
        event = ev.ResponseCreate(response=ev.ResponseCreateParams(prompt=prompt))
        container = "response"

    text = BETA.encode_client(event)

    assert json.loads(text)[container]["prompt"] == {
        "id": "pmpt_1",
        "variables": {
            "map": {"type": "input_image", "image_url": "https://example.com/map.png"}
        },
    }
    assert BETA.decode_client(text) == event
