"""The Live event classes: names, tables, conventions."""

from __future__ import annotations

import attrs
import pytest

from realtime_sync.events import UNSET, Event, Model, ServerEvent
from realtime_sync.live import events as lv
from realtime_sync.live.events.models import model_classes

TWINS = {"session.input_audio.append", "transport.dtmf.send"}


def _camel(wire_type: str) -> str:
    return "".join(
        part[:1].upper() + part[1:]
        for chunk in wire_type.split(".")
        for part in chunk.split("_")
    )


@pytest.mark.parametrize("wire_type", sorted(lv.CLIENT_EVENTS))
def test_client_class_is_named_after_its_wire_type(wire_type: str) -> None:
    """session.instructions.append -> SessionInstructionsAppend, TYPE the wire type."""
    cls = lv.CLIENT_EVENTS[wire_type]

    assert cls.__name__ == _camel(wire_type)
    assert wire_type == cls.TYPE
    assert issubclass(cls, lv.LiveClientEvent) and not issubclass(cls, ServerEvent)


@pytest.mark.parametrize("wire_type", sorted(lv.SERVER_EVENTS))
def test_server_class_is_named_after_its_wire_type(wire_type: str) -> None:
    """Server events: the CamelCased type, with a Server prefix for the two twins."""
    cls = lv.SERVER_EVENTS[wire_type]
    expected = ("Server" if wire_type in TWINS else "") + _camel(wire_type)

    assert cls.__name__ == expected
    assert wire_type == cls.TYPE
    assert issubclass(cls, lv.LiveServerEvent)


def test_connection_tables() -> None:
    """Primary: 15 client + 28 server types; sideband: 14 client + 30 server."""
    assert len(lv.PRIMARY_CLIENT_TYPES) == 15
    assert len(lv.PRIMARY_SERVER_TYPES) == 28
    assert len(lv.SIDEBAND_CLIENT_TYPES) == 14
    assert len(lv.SIDEBAND_SERVER_TYPES) == 30
    assert "transport.dtmf.send" in lv.SIDEBAND_CLIENT_TYPES - lv.PRIMARY_CLIENT_TYPES
    assert {"session.paused", "session.resumed"} == (
        lv.SIDEBAND_SERVER_TYPES - lv.PRIMARY_SERVER_TYPES
    )


def _all_classes() -> list[type]:
    return [
        *lv.CLIENT_EVENTS.values(),
        *lv.SERVER_EVENTS.values(),
        *model_classes(),
        *lv.RESPONSES_EVENTS.values(),
    ]


@pytest.mark.parametrize("cls", _all_classes(), ids=lambda c: c.__name__)
def test_classes_are_frozen_documented_attrs(cls: type) -> None:
    """Frozen slotted attrs classes with a docstring, keeping unknown fields."""
    assert attrs.has(cls)
    assert issubclass(cls, Model)
    assert "__slots__" in vars(cls)
    assert cls.__doc__ and len(cls.__doc__.strip()) > 10
    instance = (
        cls(**{f.name: "x" for f in attrs.fields(cls) if f.default is attrs.NOTHING})
        if issubclass(cls, Event)
        else cls()
    )
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        instance.extra = {}  # type: ignore[misc]


def test_optional_fields_default_to_unset() -> None:
    """Absent is UNSET (not None) for optional fields."""
    event = lv.SessionUsageUpdated(usage=lv.SessionUsage(seconds=1))

    assert event.event_id is UNSET
    assert event.context_window is UNSET
    assert event.usage.active_seconds is UNSET


def test_model_count() -> None:
    """The counts the report quotes."""
    assert len(model_classes()) == 62
    assert len(lv.RESPONSES_EVENTS) == 17
