"""Strictness: what a decode rejects (ProtocolError with path) and what it tolerates."""

from __future__ import annotations

import json
from typing import Any

import attrs
import pytest

from realtime_sync.events import (
    UNSET,
    AssistantMessage,
    ConversationItemAdded,
    ConversationItemCreate,
    FunctionTool,
    InputAudioBufferAppend,
    InputAudioBufferDtmfEventReceived,
    InputAudioBufferSpeechStarted,
    InputText,
    RateLimitsUpdated,
    RealtimeSession,
    ResponseDone,
    ResponseOutputAudioDelta,
    SessionUpdate,
    UnknownClientEvent,
    UnknownModel,
    UnknownServerEvent,
    UserMessage,
)
from realtime_sync.exceptions import ProtocolError, RealtimeError
from realtime_sync.protocol import Codec, _json
from realtime_sync.protocol import codec as codec_module
from tests.protocol._helpers import assert_json_equal

AUDIO_DELTA: dict[str, Any] = {
    "type": "response.output_audio.delta",
    "event_id": "event_1",
    "response_id": "resp_1",
    "item_id": "item_1",
    "output_index": 0,
    "content_index": 0,
    "delta": "AAAA",
}


def _decode_error(text: str | bytes, dialect: str = "ga") -> ProtocolError:
    with pytest.raises(ProtocolError) as info:
        Codec(dialect).decode_server(text)  # type: ignore[arg-type]
    return info.value


@pytest.mark.parametrize("dialect", ["ga", "beta"])
@pytest.mark.parametrize(
    "text", ["{not json", "", "   ", '{"type": "error"', b"\xff\xfe{}", "[1,]"]
)
def test_not_json_is_a_protocol_error(text: str | bytes, dialect: str) -> None:
    """A frame that is not JSON raises ProtocolError at ``$`` with the raw frame."""
    err = _decode_error(text, dialect)

    assert err.path == "$"
    assert err.raw == text
    assert "not valid JSON" in str(err)
    assert isinstance(err, RealtimeError)


@pytest.mark.parametrize("text", ["[1, 2]", "5", '"error"', "null", "true", "1.5"])
def test_not_an_object_is_a_protocol_error(text: str) -> None:
    """A JSON value that is not an object raises ProtocolError at ``$``."""
    err = _decode_error(text)

    assert err.path == "$"
    assert err.raw == text
    assert str(err).startswith("expected object @ $")


@pytest.mark.parametrize("direction", ["server", "client"])
def test_missing_type_is_a_protocol_error(direction: str) -> None:
    """An object without ``type`` raises ProtocolError at ``$.type``."""
    codec = Codec()
    text = '{"event_id": "e1"}'

    with pytest.raises(ProtocolError) as info:
        if direction == "server":
            codec.decode_server(text)
        else:
            codec.decode_client(text)

    assert info.value.path == "$.type"
    assert "missing type" in str(info.value)


@pytest.mark.parametrize("value", [5, None, True, ["error"], {"a": 1}, 1.5])
def test_non_string_type_is_a_protocol_error(value: Any) -> None:
    """A ``type`` that is not a string raises ProtocolError at ``$.type``."""
    err = _decode_error(json.dumps({"type": value, "event_id": "e1"}))

    assert err.path == "$.type"
    assert str(err) == "expected str @ $.type"


@pytest.mark.parametrize("dialect", ["ga", "beta"])
def test_wrong_field_type_names_the_path_and_keeps_the_raw_text(dialect: str) -> None:
    """``event_id: 5`` on an audio delta fails with ``expected str @ $.event_id``."""
    text = json.dumps({**AUDIO_DELTA, "event_id": 5})

    err = _decode_error(text, dialect)

    assert err.path == "$.event_id"
    assert str(err) == "expected str @ $.event_id (got int)"
    assert err.raw == text


def test_wrong_type_in_a_nested_object_names_the_nested_path() -> None:
    """A bad text in an item's content fails at ``$.item.content[0].text``."""
    text = json.dumps(
        {
            "type": "conversation.item.added",
            "event_id": "e1",
            "item": {
                "type": "message",
                "role": "user",
                "content": [{"type": "input_text", "text": 5}],
            },
        }
    )

    err = _decode_error(text)

    assert err.path == "$.item.content[0].text"
    assert str(err) == "expected str @ $.item.content[0].text (got int)"


def test_wrong_type_in_a_list_of_models_names_the_index() -> None:
    """A bad value in the second rate limit fails at ``$.rate_limits[1].limit``."""
    text = json.dumps(
        {
            "type": "rate_limits.updated",
            "rate_limits": [{"name": "requests", "limit": 1}, {"limit": "many"}],
        }
    )

    err = _decode_error(text)

    assert err.path == "$.rate_limits[1].limit"


@pytest.mark.parametrize("value", [True, False, 1.0, 2.5, "0"])
def test_int_field_rejects_bool_float_and_string(value: Any) -> None:
    """An integer field takes JSON integers only: not ``true``, ``1.0`` or ``"0"``."""
    err = _decode_error(json.dumps({**AUDIO_DELTA, "output_index": value}))

    assert err.path == "$.output_index"
    assert str(err).startswith("expected int @ $.output_index")


def test_float_field_accepts_an_int_and_keeps_it() -> None:
    """A number field takes an integer and re-encodes it as the same integer."""
    payload = {
        "type": "rate_limits.updated",
        "event_id": "e1",
        "rate_limits": [{"name": "tokens", "limit": 5, "reset_seconds": 3}],
    }
    codec = Codec()

    event = codec.decode_server(json.dumps(payload))

    assert isinstance(event, RateLimitsUpdated)
    assert event.rate_limits[0].reset_seconds == 3
    assert type(event.rate_limits[0].reset_seconds) is int
    assert_json_equal(codec.encode_server(event), payload)


@pytest.mark.parametrize("value", [True, "0.5"])
def test_float_field_rejects_bool_and_string(value: Any) -> None:
    """A number field rejects ``true`` and numeric strings."""
    payload = {"type": "rate_limits.updated", "rate_limits": [{"reset_seconds": value}]}

    err = _decode_error(json.dumps(payload))

    assert err.path == "$.rate_limits[0].reset_seconds"


@pytest.mark.parametrize("value", [1, "true", None])
def test_bool_field_rejects_non_booleans(value: Any) -> None:
    """A boolean field takes ``true``/``false`` only (``null`` where nullable)."""
    payload = {
        "type": "session.updated",
        "session": {"type": "realtime", "parallel_tool_calls": value},
    }
    codec = Codec()

    if value is None:
        event = codec.decode_server(json.dumps(payload))
        assert event.session.parallel_tool_calls is None  # type: ignore[attr-defined]
    else:
        with pytest.raises(ProtocolError) as info:
            codec.decode_server(json.dumps(payload))
        assert info.value.path == "$.session.parallel_tool_calls"


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity", "1e400"])
@pytest.mark.parametrize("backend", ["default", "stdlib"])
def test_non_finite_numbers_are_rejected(
    constant: str, backend: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """NaN, Infinity and out-of-range numbers are rejected by both JSON backends."""
    if backend == "stdlib":
        monkeypatch.setattr(codec_module, "_loads", _json._std_loads)
    text = '{"type": "rate_limits.updated", "rate_limits": [{"reset_seconds": %s}]}'

    err = _decode_error(text % constant)

    assert err.path == "$"
    assert "not valid JSON" in str(err)


def test_required_field_null_is_rejected() -> None:
    """A required field that is ``null`` is a type error (absent is tolerated)."""
    err = _decode_error(json.dumps({**AUDIO_DELTA, "delta": None}))

    assert err.path == "$.delta"
    assert str(err) == "expected str @ $.delta (got null)"


def test_required_field_absent_decodes_to_unset() -> None:
    """Servers omit "required" fields: absent decodes to UNSET and stays absent."""
    codec = Codec()
    speech = {"type": "input_audio_buffer.speech_started", "audio_start_ms": 10}
    dtmf = {"type": "input_audio_buffer.dtmf_event_received", "event": "5"}

    started = codec.decode_server(json.dumps(speech))
    key = codec.decode_server(json.dumps(dtmf))

    # (The annotations say ``str``/``int``: absent required fields are the exception.)
    unset: Any = UNSET
    assert started == InputAudioBufferSpeechStarted(audio_start_ms=10, item_id=unset)
    assert isinstance(key, InputAudioBufferDtmfEventReceived)
    assert key.event_id is UNSET
    assert (key.event, key.received_at) == ("5", unset)
    assert_json_equal(codec.encode_server(started), speech)
    assert_json_equal(codec.encode_server(key), dtmf)


def test_optional_null_and_absent_stay_apart() -> None:
    """``previous_item_id: null`` decodes to None, absent to UNSET; both re-encode."""
    codec = Codec()
    base = {"type": "input_audio_buffer.committed", "event_id": "e", "item_id": "i"}

    null = codec.decode_server(json.dumps({**base, "previous_item_id": None}))
    absent = codec.decode_server(json.dumps(base))

    assert null.previous_item_id is None  # type: ignore[attr-defined]
    assert absent.previous_item_id is UNSET  # type: ignore[attr-defined]
    assert null != absent
    assert_json_equal(codec.encode_server(null), {**base, "previous_item_id": None})
    assert_json_equal(codec.encode_server(absent), base)


@pytest.mark.parametrize("dialect", ["ga", "beta"])
def test_unknown_type_decodes_to_unknown_event(dialect: str) -> None:
    """An unrecognised ``type`` becomes UnknownServerEvent, not an error."""
    text = '{"type": "x.future", "event_id": "e1", "a": 1}'
    codec = Codec(dialect)  # type: ignore[arg-type]

    event = codec.decode_server(text)

    assert event == UnknownServerEvent(type="x.future", data={"event_id": "e1", "a": 1})
    assert_json_equal(codec.encode_server(event), text)


def test_unknown_client_type_decodes_to_unknown_client_event() -> None:
    """An unknown client ``type`` becomes UnknownClientEvent and encodes back."""
    text = '{"type": "x.future", "b": [1, null]}'
    codec = Codec()

    event = codec.decode_client(text)

    assert event == UnknownClientEvent(type="x.future", data={"b": [1, None]})
    assert_json_equal(codec.encode_client(event), text)


def test_unknown_event_sends_an_event_id_set_on_the_object() -> None:
    """An event_id given to an UnknownClientEvent (as send() does) is on the wire."""
    decoded = Codec().decode_client('{"type": "x.new", "event_id": "e1", "n": 1}')
    evolved = attrs.evolve(decoded, event_id="evt_2")
    built = UnknownClientEvent(type="x.new", event_id="evt_3", data={"n": 1})

    assert decoded.event_id is UNSET
    assert json.loads(Codec().encode_client(decoded))["event_id"] == "e1"
    assert json.loads(Codec().encode_client(evolved))["event_id"] == "evt_2"
    assert_json_equal(
        Codec("beta").encode_client(built),
        {"type": "x.new", "event_id": "evt_3", "n": 1},
    )


def test_unknown_fields_are_kept_in_extra_and_re_encoded() -> None:
    """Undefined fields land in ``extra`` (at any depth) and are written back."""
    payload = {
        **AUDIO_DELTA,
        "x_trace": {"span": [1, 2]},
        "x_null": None,
    }
    added = {
        "type": "conversation.item.added",
        "event_id": "e2",
        "item": {
            "type": "message",
            "role": "assistant",
            "content": [{"type": "output_text", "text": "hi", "x_part": 1}],
            "x_item": "yes",
        },
    }
    codec = Codec()

    delta = codec.decode_server(json.dumps(payload))
    item = codec.decode_server(json.dumps(added))

    assert isinstance(delta, ResponseOutputAudioDelta)
    assert dict(delta.extra) == {"x_trace": {"span": [1, 2]}, "x_null": None}
    assert isinstance(item, ConversationItemAdded)
    assert isinstance(item.item, AssistantMessage)
    assert dict(item.item.extra) == {"x_item": "yes"}
    assert dict(item.item.content[0].extra) == {"x_part": 1}
    assert_json_equal(codec.encode_server(delta), payload)
    assert_json_equal(codec.encode_server(item), added)


def test_unknown_item_type_decodes_to_unknown_model() -> None:
    """An item of an unknown kind becomes UnknownModel and re-encodes unchanged."""
    item = {"type": "x_future_item", "id": "item_1", "payload": {"k": [1, 2.5]}}
    payload = {"type": "conversation.item.done", "event_id": "e1", "item": item}
    codec = Codec()

    event = codec.decode_server(json.dumps(payload))

    assert event.item == UnknownModel(type="x_future_item", data=item)  # type: ignore[attr-defined]
    assert_json_equal(codec.encode_server(event), payload)


def test_unknown_message_role_decodes_to_unknown_model() -> None:
    """A message with an unknown role is an UnknownModel, kept as received."""
    item = {"type": "message", "role": "critic", "content": []}
    payload = {"type": "conversation.item.create", "item": item}
    codec = Codec()

    event = codec.decode_client(json.dumps(payload))

    assert event.item == UnknownModel(type="message", data=item)  # type: ignore[attr-defined]
    assert_json_equal(codec.encode_client(event), payload)


def test_encode_client_rejects_a_wrong_field_type_naming_the_path() -> None:
    """encode_client validates: ``audio=5`` is ``expected str @ $.audio``."""
    codec = Codec()

    with pytest.raises(TypeError, match=r"expected str @ \$\.audio \(got int\)"):
        codec.encode_client(InputAudioBufferAppend(audio=5))  # type: ignore[arg-type]


@pytest.mark.parametrize("dialect", ["ga", "beta"])
def test_encode_client_names_a_nested_path(dialect: str) -> None:
    """A bad text deep in an item fails with its path, in either dialect."""
    event = ConversationItemCreate(item=UserMessage(content=[InputText(text=5)]))  # type: ignore[arg-type]

    with pytest.raises(TypeError, match=r"\$\.item\.content\[0\]\.text"):
        Codec(dialect).encode_client(event)  # type: ignore[arg-type]


def test_encode_client_rejects_bytes_for_a_string() -> None:
    """Bytes are not base64 text: ``audio=b"..."`` is a TypeError."""
    with pytest.raises(TypeError, match=r"\$\.audio"):
        Codec().encode_client(InputAudioBufferAppend(audio=b"\x00\x01"))  # type: ignore[arg-type]


def test_encode_client_rejects_values_json_cannot_hold() -> None:
    """A set in a free-form field raises TypeError, not a backend exception."""
    session = RealtimeSession(tools=[FunctionTool(name="f", parameters={1, 2})])

    with pytest.raises(TypeError, match="not JSON-serialisable"):
        Codec().encode_client(SessionUpdate(session=session))


def test_encode_client_of_a_server_event_is_a_type_error() -> None:
    """A server event cannot be sent by a client."""
    with pytest.raises(TypeError, match="expected a client event, not ResponseDone"):
        Codec().encode_client(ResponseDone(response=UNSET))  # type: ignore[arg-type]


def test_encode_server_of_a_client_event_is_a_type_error() -> None:
    """A client event cannot be sent by a server."""
    with pytest.raises(TypeError, match="expected a server event"):
        Codec().encode_server(InputAudioBufferAppend(audio="AAAA"))  # type: ignore[arg-type]


def test_unknown_dialect_is_a_value_error() -> None:
    """Only "ga" and "beta" are dialects."""
    with pytest.raises(ValueError, match="dialect must be"):
        Codec("v2")  # type: ignore[arg-type]
