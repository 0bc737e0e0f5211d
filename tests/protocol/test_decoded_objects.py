"""Decoded events are ordinary instances of their classes.

The structure hooks build each object as an instance of a private subclass with the
plain ``object.__setattr__`` (slot stores at interpreter speed) and then set its
``__class__`` to the real, frozen class. Nothing of that may show: the object is of
exactly the class, frozen, equal to one built by ``__init__``, and copies, evolves
and takes weak references as one.
"""

from __future__ import annotations

import copy
import json
import weakref
from typing import Any

import attrs
import pytest

from realtime_sync.events import (
    CLIENT_EVENTS,
    SERVER_EVENTS,
    ConversationItemAdded,
    OutputAudio,
    ResponseOutputAudioDelta,
    UserMessage,
)
from realtime_sync.protocol import Codec
from tests.data import all_payloads

GA = Codec("ga")
AUDIO_DELTA: dict[str, Any] = {
    "type": "response.output_audio.delta",
    "event_id": "event_1",
    "response_id": "resp_1",
    "item_id": "item_1",
    "output_index": 0,
    "content_index": 0,
    "delta": "AAAA",
}


def _walk(value: Any) -> list[Any]:
    """The value and every attrs object inside it."""
    out = [value]
    if attrs.has(type(value)):
        for f in attrs.fields(type(value)):
            out += _walk(getattr(value, f.name))
    elif isinstance(value, list):
        for item in value:
            out += _walk(item)
    return out


def test_a_decoded_event_is_exactly_its_class_and_frozen() -> None:
    """type() is the event class; assignment raises as on any frozen instance."""
    event = GA.decode_server(json.dumps(AUDIO_DELTA))
    assert type(event) is ResponseOutputAudioDelta
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        event.delta = "BBBB"  # type: ignore[misc]
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        del event.delta  # type: ignore[misc]


def test_a_decoded_event_equals_and_hashes_as_one_built_by_init() -> None:
    """Equality and repr match the attrs-constructed twin (hash fails alike)."""
    event = GA.decode_server(json.dumps(AUDIO_DELTA))
    built = ResponseOutputAudioDelta(
        event_id="event_1",
        response_id="resp_1",
        item_id="item_1",
        output_index=0,
        content_index=0,
        delta="AAAA",
    )
    assert event == built
    assert repr(event) == repr(built)
    for obj in (event, built):  # ``extra`` is a mapping: neither is hashable
        with pytest.raises(TypeError):
            hash(obj)


def test_nested_objects_are_their_classes_too() -> None:
    """Items and content parts inside an event: exact classes, frozen."""
    payload = {
        "type": "conversation.item.added",
        "event_id": "e",
        "previous_item_id": None,
        "item": {
            "id": "item_1",
            "type": "message",
            "role": "user",
            "content": [{"type": "input_audio", "transcript": None}],
        },
    }
    event = GA.decode_server(json.dumps(payload))
    assert type(event) is ConversationItemAdded
    assert type(event.item) is UserMessage  # type: ignore[attr-defined]
    for obj in _walk(event):
        if attrs.has(type(obj)):
            assert not type(obj).__name__.startswith("_Build"), obj
            with pytest.raises(attrs.exceptions.FrozenInstanceError):
                obj.extra = {}
    evolved = attrs.evolve(event, event_id="e2")
    assert evolved.item == event.item  # type: ignore[attr-defined]
    assert type(OutputAudio()) is OutputAudio


@pytest.mark.parametrize(
    "example",
    [p for p in all_payloads() if p.dialect == "ga"],
    ids=lambda p: p.id,
)
def test_catalog_events_copy_and_weakref_like_any_instance(
    example: Any,
) -> None:
    """Every GA catalog payload: copies and weak references work."""
    text = json.dumps(example.payload)
    if example.direction == "server":
        event: Any = GA.decode_server(text)
        classes = set(SERVER_EVENTS.values())
    else:
        event = GA.decode_client(text)
        classes = set(CLIENT_EVENTS.values())
    if type(event) in classes:
        assert example.payload["type"] == type(event).TYPE
    for obj in _walk(event):
        assert not type(obj).__name__.startswith("_Build"), obj
    assert copy.copy(event) == event
    ref = weakref.ref(event)
    assert ref() is event


def test_the_append_hot_path_builds_the_same_event_as_init() -> None:
    """``append_audio`` builds its event with the decoder's builder: the same object.

    Checked on the event the client hands to its channel: exactly the class,
    frozen, equal (fields, repr, asdict) to ``InputAudioBufferAppend(...)``.
    """
    import realtime_sync as rs
    from realtime_sync.events import InputAudioBufferAppend
    from realtime_sync.testing import InMemoryTransport

    sent: list[Any] = []
    with rs.RealtimeClient(transport=InMemoryTransport()) as client:
        channel = client._channel
        assert channel is not None
        original = channel.send

        def keep(text: str, item: Any = None) -> None:
            sent.append(item)
            original(text, item)

        channel.send = keep  # type: ignore[method-assign]
        client.append_audio(b"\x01\x02" * 480)
    (event,) = [e for e in sent if isinstance(e, InputAudioBufferAppend)]
    built = InputAudioBufferAppend(event_id=event.event_id, audio=event.audio)
    assert type(event) is InputAudioBufferAppend
    assert event == built and repr(event) == repr(built)
    assert attrs.asdict(event) == attrs.asdict(built)
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        event.audio = ""  # type: ignore[misc]
