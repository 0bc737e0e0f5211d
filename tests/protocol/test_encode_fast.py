"""The checked encoders of client events (protocol/_encode.py) against the slow path.

``Codec.encode_client`` first tries a generated encoder that checks and builds the
wire dict in one pass; when it cannot vouch for an event it returns None and the
Codec unstructures, structures again to check, and dumps (``_encode_checked``). The
property: whenever the encoder returns a dict, the checked path accepts the event and
gives the same JSON text; an ill-typed value anywhere never gets through the encoder.
"""

from __future__ import annotations

import json
from typing import Any

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from realtime_sync.events import (
    CLIENT_EVENTS,
    UNSET,
    AssistantMessage,
    ConversationItemCreate,
    InputAudioBufferAppend,
    InputText,
    Model,
    RealtimeSession,
    SessionUpdate,
    UnknownModel,
    UserMessage,
)
from realtime_sync.protocol import Codec, _json
from realtime_sync.protocol import codec as codec_module
from tests.data import all_payloads
from tests.strategies import event_of

GA = Codec("ga")
CLIENT_CLASSES = list(CLIENT_EVENTS.values())


def _encoder(event: Any) -> Any:
    GA.encode_client(InputAudioBufferAppend(audio=""))  # the encoders exist
    return codec_module._encoders[type(event)]


def _agree(event: Any) -> None:
    """The encoder's dict, when it gives one, is what the checked path accepts."""
    d = _encoder(event)(event)
    try:
        slow = GA._encode_checked(event)
    except Exception as exc:
        if d is not None:
            # Only a value JSON cannot hold, inside a field typed as any JSON value
            # (``input_schema=b"..."``), may pass the encoder, which does not walk
            # such values: dumping its dict must fail then, so nothing is sent.
            assert "not JSON-serialisable" in str(exc), (
                f"the fast encoder accepted what the checked path rejects: {d}"
            )
            with pytest.raises((TypeError, ValueError)):
                _json.dumps(d)
        with pytest.raises(type(exc)):
            GA.encode_client(event)
        return
    if d is not None:
        assert _json.dumps(d) == slow
    assert GA.encode_client(event) == slow
    assert GA.encode_client_bytes(event) == slow.encode("utf-8")


# -- well-typed events -----------------------------------------------------------------


@pytest.mark.parametrize("cls", CLIENT_CLASSES, ids=lambda c: c.__name__)
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_generated_events_encode_as_the_checked_path(cls: type, data: Any) -> None:
    """Hypothesis events of every client class: the same text both ways."""
    _agree(data.draw(event_of(cls)))


@pytest.mark.parametrize(
    "example",
    [p for p in all_payloads() if p.direction == "client" and p.dialect == "ga"],
    ids=lambda p: p.id,
)
def test_catalog_events_take_the_fast_path_and_round_trip(example: Any) -> None:
    """Every GA client payload of the catalog: decoded, the encoder vouches for it."""
    event = GA.decode_client(json.dumps(example.payload))
    if type(event) in CLIENT_EVENTS.values():
        d = _encoder(event)(event)
        assert d is not None or _has_unknown_model(event)
    _agree(event)
    assert json.loads(GA.encode_client(event)) == example.payload


def _has_unknown_model(value: Any) -> bool:
    if isinstance(value, UnknownModel):
        return True
    if isinstance(value, Model):
        return any(
            _has_unknown_model(getattr(value, f.name))
            for f in attrs.fields(type(value))
        )
    if isinstance(value, list):
        return any(_has_unknown_model(v) for v in value)
    if isinstance(value, dict):
        return any(_has_unknown_model(v) for v in value.values())
    return False


# -- ill-typed events: every field of a generated event, replaced ------------------------


def _positions(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Paths to every replaceable place: model fields, list items, dict values."""
    out: list[tuple[Any, ...]] = []
    if isinstance(value, Model) and not isinstance(value, UnknownModel):
        for f in attrs.fields(type(value)):
            if f.name in ("extra", "wire_hints"):
                continue
            out.append((*path, f.name))
            out += _positions(getattr(value, f.name), (*path, f.name))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            out.append((*path, i))
            out += _positions(item, (*path, i))
    return out


def _replace(value: Any, path: tuple[Any, ...], new: Any) -> Any:
    if not path:
        return new
    key, rest = path[0], path[1:]
    if isinstance(value, list):
        copy = list(value)
        copy[key] = _replace(value[key], rest, new)
        return copy
    return attrs.evolve(value, **{key: _replace(getattr(value, key), rest, new)})


_WRONG: list[Any] = [
    5,
    2.5,
    True,
    None,
    "text",
    b"bytes",
    ("a", "tuple"),
    ["a", "list"],
    {"type": "message"},
    {"x": 1},
    UNSET,
    InputText(text="t"),
    UnknownModel(type="message", data={"type": "message", "role": "user"}),
]


@pytest.mark.parametrize("cls", CLIENT_CLASSES, ids=lambda c: c.__name__)
@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_a_wrong_value_anywhere_never_passes_the_encoder(cls: type, data: Any) -> None:
    """Replace one place of a generated event by a value of another kind."""
    event = data.draw(event_of(cls))
    positions = _positions(event)
    if not positions:
        return
    path = data.draw(st.sampled_from(positions))
    wrong = data.draw(st.sampled_from(_WRONG))
    _agree(_replace(event, path, wrong))


# -- the cases the encoder hands over ------------------------------------------------------


def test_a_wrong_type_still_names_the_path() -> None:
    """The fast path declines; the checked path raises with the path."""
    with pytest.raises(TypeError, match=r"expected str @ \$\.audio \(got int\)"):
        GA.encode_client(InputAudioBufferAppend(audio=5))  # type: ignore[arg-type]
    event = ConversationItemCreate(item=UserMessage(content=[InputText(text=5)]))  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"\$\.item\.content\[0\]\.text"):
        GA.encode_client_bytes(event)


def test_a_model_whose_role_picks_another_class_is_checked_as_that_class() -> None:
    """``UserMessage(role="assistant")`` decodes as an AssistantMessage.

    The encoder declines; the checked path decides, as before.
    """
    event = ConversationItemCreate(item=UserMessage(role="assistant", content=[]))
    assert _encoder(event)(event) is None
    _agree(event)


def test_a_value_json_cannot_hold_in_an_any_field_is_refused() -> None:
    """``bytes`` inside a field typed as any JSON value: a TypeError, never a frame."""
    from realtime_sync.events.models import McpListToolsItem, McpToolInfo

    tool = McpToolInfo(name="t", input_schema=b"bytes")
    event = ConversationItemCreate(
        item=McpListToolsItem(server_label="s", tools=[tool])
    )
    _agree(event)
    for encode in (GA.encode_client, GA.encode_client_bytes):
        with pytest.raises(TypeError, match="not JSON-serialisable"):
            encode(event)


def test_extra_keys_that_overwrite_a_field_are_checked() -> None:
    """``extra={"audio": 5}`` overwrites the field on the wire: rejected as before."""
    event = InputAudioBufferAppend(audio="AAAA", extra={"audio": 5})
    assert _encoder(event)(event) is None
    with pytest.raises(TypeError, match=r"\$\.audio"):
        GA.encode_client(event)


def test_extra_keys_of_their_own_go_on_the_wire() -> None:
    """Unknown keys in ``extra`` are written after the fields, as the slow path does."""
    event = InputAudioBufferAppend(audio="AAAA", event_id="e1", extra={"x-trace": 1})
    assert GA.encode_client(event) == (
        '{"type":"input_audio_buffer.append","event_id":"e1","audio":"AAAA","x-trace":1}'
    )


def test_a_plain_dict_for_a_model_is_accepted_as_before() -> None:
    """A dict where a session belongs: not vouched for, the checked path takes it."""
    event = SessionUpdate(session={"type": "realtime", "instructions": "hi"})  # type: ignore[arg-type]
    assert _encoder(event)(event) is None
    assert json.loads(GA.encode_client(event))["session"]["instructions"] == "hi"


def test_beta_keeps_its_own_path() -> None:
    """The beta dialect translates on encode: its text is unchanged by the encoders."""
    beta = Codec("beta")
    event = ConversationItemCreate(
        item=AssistantMessage(content=[]), previous_item_id=None
    )
    assert json.loads(beta.encode_client(event)) == json.loads(
        beta._encode_checked(event)
    )
    assert beta.encode_client_bytes(event) == beta.encode_client(event).encode()


def test_deep_documents_fall_back_to_the_stdlib_encoder() -> None:
    """Deeper than orjson goes (254 levels): the slow path's stdlib fallback still encodes."""
    deep: Any = "leaf"
    for _ in range(300):
        deep = {"d": deep}
    session = RealtimeSession(instructions="x", extra={"deep": deep})
    text = GA.encode_client(SessionUpdate(session=session))
    assert text.count('{"d":') == 300
