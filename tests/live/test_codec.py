"""The Live codec: lossless round trips, strictness with paths, leniency where due."""

from __future__ import annotations

import base64
import contextlib
import copy
import json
import os

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from realtime_sync.events import UNSET, UnknownModel
from realtime_sync.exceptions import ProtocolError
from realtime_sync.live import events as lv
from realtime_sync.live.codec import LiveCodec
from tests.live.data import LivePayload, live_payloads
from tests.protocol._helpers import assert_json_equal
from tests.strategies import LIVE, event_of, json_paths, retype

PAYLOADS = live_payloads()
CODEC = LiveCodec()


def _decode(direction: str, text: str) -> lv.Event:
    if direction == "server":
        return CODEC.decode_server(text)
    return CODEC.decode_client(text)


def _encode(event: lv.Event) -> str:
    if isinstance(event, lv.LiveServerEvent):
        return CODEC.encode_server(event)
    assert isinstance(event, lv.LiveClientEvent)
    return CODEC.encode_client(event)


@pytest.mark.parametrize("example", PAYLOADS, ids=[p.id for p in PAYLOADS])
def test_payload_round_trips_exactly(example: LivePayload) -> None:
    """encode(decode(P)) is P, null and absent kept apart, for every example."""
    event = _decode(example.direction, json.dumps(example.payload))

    assert_json_equal(_encode(event), example.payload)


@pytest.mark.parametrize("example", PAYLOADS, ids=[p.id for p in PAYLOADS])
def test_payload_decodes_to_its_class(example: LivePayload) -> None:
    """Every example type decodes to the class of its direction, never Unknown."""
    table = lv.SERVER_EVENTS if example.direction == "server" else lv.CLIENT_EVENTS

    event = _decode(example.direction, json.dumps(example.payload))

    assert type(event) is table[example.payload["type"]]
    assert event.type == example.payload["type"]


def test_every_event_class_has_catalog_examples() -> None:
    """The examples cover all 16 client and 30 server types."""
    covered = {(p.direction, p.payload["type"]) for p in PAYLOADS}

    assert {("client", t) for t in lv.CLIENT_EVENTS} <= covered
    assert {("server", t) for t in lv.SERVER_EVENTS} <= covered
    assert (len(lv.CLIENT_EVENTS), len(lv.SERVER_EVENTS)) == (16, 30)


def test_same_type_decodes_by_direction() -> None:
    """session.input_audio.append is a command from a client, a reflection from a server."""
    text = '{"type":"session.input_audio.append","audio":"AAAA"}'

    assert type(CODEC.decode_client(text)) is lv.SessionInputAudioAppend
    assert type(CODEC.decode_server(text)) is lv.ServerSessionInputAudioAppend
    dtmf = '{"type":"transport.dtmf.send","event":"5"}'
    assert type(CODEC.decode_client(dtmf)) is lv.TransportDtmfSend
    assert type(CODEC.decode_server(dtmf)) is lv.ServerTransportDtmfSend


@pytest.mark.parametrize(
    ("payload", "path"),
    [
        (
            {"type": "session.instructions.appended", "event_id": "e", "start_ms": "0"},
            "$.start_ms",
        ),
        (
            {
                "type": "session.started",
                "event_id": "e",
                "session": {"audio": {"format": {"type": "audio/pcm", "rate": "24k"}}},
            },
            "$.session.audio.format.rate",
        ),
        (
            {
                "type": "session.usage.updated",
                "event_id": "e",
                "usage": {"seconds": "7"},
            },
            "$.usage.seconds",
        ),
        (
            {"type": "error", "event_id": "e", "error": {"code": 3}},
            "$.error.code",
        ),
        (
            {"type": "session.output_audio.delta", "delta": None},
            "$.delta",
        ),
        (
            {"type": "response.event", "event_id": "e", "event": "not an object"},
            "$.event",
        ),
        (
            {
                "type": "session.started",
                "event_id": "e",
                "session": {"input": [{"role": "user", "content": [{"text": 1}]}]},
            },
            "$.session.input[0].content[0].text",
        ),
    ],
)
def test_wrong_json_type_is_a_protocol_error_with_the_path(
    payload: dict[str, object], path: str
) -> None:
    """A known field with the wrong JSON type fails the frame, naming where."""
    text = json.dumps(payload)

    with pytest.raises(ProtocolError) as info:
        CODEC.decode_server(text)

    assert info.value.path == path
    assert path in str(info.value)
    assert info.value.raw == text


@pytest.mark.parametrize(
    ("text", "path"),
    [("not json", "$"), ("[1]", "$"), ('{"a":1}', "$.type"), ('{"type":3}', "$.type")],
)
def test_frames_that_are_not_events(text: str, path: str) -> None:
    """Not JSON, not an object, no string type: ProtocolError, both directions."""
    for decode in (CODEC.decode_server, CODEC.decode_client):
        with pytest.raises(ProtocolError) as info:
            decode(text)
        assert info.value.path == path


def test_client_strictness_too() -> None:
    """A client frame with a wrong type is refused with its path (the mock relies on it)."""
    with pytest.raises(ProtocolError) as info:
        CODEC.decode_client('{"type":"session.thinking.append","content":["x"]}')

    assert info.value.path == "$.content"


def test_unknown_event_types_are_kept() -> None:
    """Unknown types decode to the Unknown classes and re-encode unchanged."""
    server = '{"type":"session.future","event_id":"e1","x":[1,{"y":null}]}'
    client = '{"type":"session.input_audio.commit","event_id":"c1"}'

    event = CODEC.decode_server(server)
    command = CODEC.decode_client(client)

    assert isinstance(event, lv.UnknownLiveServerEvent)
    assert event.type == "session.future" and event.data["x"] == [1, {"y": None}]
    assert_json_equal(CODEC.encode_server(event), server)
    assert isinstance(command, lv.UnknownLiveClientEvent)
    assert_json_equal(CODEC.encode_client(command), client)


def test_unknown_fields_and_kinds_are_kept() -> None:
    """Unknown fields go to extra; an unknown audio format or delegation stays open."""
    payload = {
        "type": "session.started",
        "event_id": "e",
        "future": {"a": 1},
        "session": {
            "id": "live_1",
            "expires_at": 1,
            "model": "gpt-live-2",
            "status": "active",
            "new_knob": True,
            "audio": {"format": {"type": "audio/opus", "rate": 48000}},
            "delegation": {"type": "agents", "agents": {"x": 1}},
        },
    }

    event = CODEC.decode_server(json.dumps(payload))

    assert isinstance(event, lv.SessionStarted)
    assert event.extra == {"future": {"a": 1}}
    assert event.session.extra == {"new_knob": True}
    assert event.session.audio not in (None, UNSET)
    assert isinstance(event.session.audio.format, UnknownModel)  # type: ignore[union-attr]
    assert isinstance(event.session.delegation, UnknownModel)
    assert_json_equal(CODEC.encode_server(event), payload)


def test_response_event_is_typed_where_known() -> None:
    """A known nested Responses event decodes to its class; function calls read out."""
    item = {
        "type": "function_call",
        "id": "fc_1",
        "call_id": "call_1",
        "name": "lookup_order",
        "arguments": '{"order": "42"}',
        "status": "completed",
    }
    payload = {
        "type": "response.event",
        "event_id": "e",
        "delegation_id": "d1",
        "event": {
            "type": "response.output_item.done",
            "output_index": 0,
            "sequence_number": 4,
            "item": item,
        },
    }

    event = CODEC.decode_server(json.dumps(payload))

    assert isinstance(event, lv.ResponseEvent)
    nested = event.event
    assert isinstance(nested, lv.ResponseOutputItemDone)
    assert nested.item == item
    assert nested.function_call == lv.FunctionCall(
        name="lookup_order", call_id="call_1", arguments='{"order": "42"}'
    )
    assert_json_equal(CODEC.encode_server(event), payload)


def test_response_event_is_lenient_on_trimmed_or_odd_events() -> None:
    """A nested event with unexpected field types stays an open dict, not an error."""
    odd = {"type": "response.completed", "response": "trimmed", "sequence_number": 2}
    future = {"type": "response.future.delta", "delta": 1}
    for nested in (odd, future):
        payload = {"type": "response.event", "event_id": "e", "event": nested}

        event = CODEC.decode_server(json.dumps(payload))

        assert isinstance(event, lv.ResponseEvent)
        assert isinstance(event.event, UnknownModel)
        assert event.event.type == nested["type"]
        assert event.event.data == nested
        assert_json_equal(CODEC.encode_server(event), payload)


def test_output_audio_decodes_lazily() -> None:
    """The delta stays base64 text; .audio gives the PCM16 samples on demand."""
    samples = np.array([0, 1, -2, 32767, -32768], dtype="<i2")
    delta = base64.b64encode(samples.tobytes()).decode()

    event = CODEC.decode_server(
        json.dumps({"type": "session.output_audio.delta", "delta": delta})
    )

    assert isinstance(event, lv.SessionOutputAudioDelta)
    assert event.delta == delta and event.event_id is UNSET
    audio = event.audio
    assert audio.dtype == np.int16
    assert audio.tolist() == samples.tolist()


def test_append_delegation_id_is_sent_as_null_by_default() -> None:
    """The three appends carry delegation_id: null unless given (required-nullable)."""
    for cls in (
        lv.SessionInstructionsAppend,
        lv.SessionThinkingAppend,
        lv.SessionCommentaryAppend,
    ):
        text = CODEC.encode_client(cls(content="note"))
        assert json.loads(text) == {
            "type": cls.TYPE,
            "content": "note",
            "delegation_id": None,
        }


def test_encode_client_checks_field_types() -> None:
    """A wrong value in a client event fails at encode, with the path."""
    with pytest.raises(TypeError, match=r"expected str @ \$\.content"):
        CODEC.encode_client(lv.SessionCommentaryAppend(content=5))  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="Live client event"):
        CODEC.encode_client(lv.SessionStarted(session=lv.SessionResource()))  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="Live server event"):
        CODEC.encode_server(lv.SessionClose())  # type: ignore[arg-type]


def test_optional_fields_are_omitted() -> None:
    """Unset optional fields are absent on the wire."""
    start = lv.SessionStart(
        session=lv.SessionConfig(
            model="gpt-live-1",
            audio=lv.AudioConfig(format=lv.AudioPCM(rate=16000)),
            delegation=lv.ClientDelegation(),
        )
    )

    assert json.loads(CODEC.encode_client(start)) == {
        "type": "session.start",
        "session": {
            "model": "gpt-live-1",
            "audio": {"format": {"type": "audio/pcm", "rate": 16000}},
            "delegation": {"type": "client"},
        },
    }


@settings(max_examples=2000 if os.environ.get("CI") else 300, deadline=None)
@given(data=st.data())
def test_mutated_payloads_fail_cleanly_or_round_trip(data: st.DataObject) -> None:
    """Any value retyped anywhere: a ProtocolError, or a decode that re-encodes as is."""
    example = data.draw(st.sampled_from(PAYLOADS))
    payload = copy.deepcopy(example.payload)
    path = data.draw(st.sampled_from(json_paths(payload)[1:]))
    parent = payload
    for key in path[:-1]:
        parent = parent[key]
    parent[path[-1]] = retype(parent[path[-1]])
    text = json.dumps(payload)

    try:
        event = _decode(example.direction, text)
    except ProtocolError as exc:
        assert exc.raw == text
        return
    assert_json_equal(_encode(event), payload)


@settings(max_examples=500 if os.environ.get("CI") else 100, deadline=None)
@given(garbage=st.binary(max_size=64) | st.text(max_size=64))
def test_garbage_never_escapes_as_another_exception(garbage: bytes | str) -> None:
    """Whatever a decoder gets, it returns an event or raises ProtocolError."""
    for decode in (CODEC.decode_server, CODEC.decode_client):
        with contextlib.suppress(ProtocolError):
            decode(garbage)


LIVE_CLASSES = [*lv.SERVER_EVENTS.values(), *lv.CLIENT_EVENTS.values()]


@pytest.mark.parametrize("cls", LIVE_CLASSES, ids=lambda cls: cls.__name__)
@given(data=st.data())
def test_generated_events_round_trip(cls: type[lv.Event], data: st.DataObject) -> None:
    """``decode(encode(e)) == e`` for events drawn from every Live class's hints.

    Unknown kinds in unions, unknown fields in ``extra``, UNSET and None included
    (``tests/strategies.py`` with the LIVE namespace; the project's Hypothesis
    profile, derandomized under CI).
    """
    event = data.draw(event_of(cls, LIVE))
    if isinstance(event, lv.LiveServerEvent):
        assert CODEC.decode_server(CODEC.encode_server(event)) == event
    else:
        assert CODEC.decode_client(CODEC.encode_client(event)) == event
