"""Base classes of the event model: UNSET, models, client events, server events.

Every class of :mod:`realtime_sync.events` is a frozen, slotted, keyword-only attrs
class. Optional protocol fields default to :data:`UNSET` (the field was absent on the
wire) and may also hold ``None`` (the wire said ``null``); the two stay apart so that
encoding a decoded event gives back the same JSON. Fields that the protocol does not
define are kept in ``extra`` and written back on encode.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, ClassVar, Final, Literal, TypeAlias, TypeVar

import attrs

__all__ = [
    "UNSET",
    "ClientEvent",
    "Event",
    "Model",
    "ServerEvent",
    "UnknownClientEvent",
    "UnknownModel",
    "UnknownServerEvent",
    "Unset",
]


class _UnsetType(enum.Enum):
    UNSET = "UNSET"

    def __repr__(self) -> str:
        return "UNSET"

    def __bool__(self) -> bool:
        return False


#: The value of an optional field that was absent on the wire (``None`` means ``null``).
UNSET: Final = _UnsetType.UNSET

#: The type of :data:`UNSET`, for annotations: ``instructions: str | None | Unset``.
Unset: TypeAlias = Literal[_UnsetType.UNSET]

#: Shared empty mapping for ``extra`` (read-only, so sharing it is safe).
NO_EXTRA: Final[Mapping[str, Any]] = MappingProxyType({})

T = TypeVar("T")


@attrs.frozen(kw_only=True)
class Model:
    """Base of every protocol object (nested models and events).

    Attributes:
        extra: Fields the protocol model does not define, exactly as received (JSON
            values). They are written back when the object is encoded, so an unknown
            server extension survives a decode/encode round trip.
    """

    extra: Mapping[str, Any] = attrs.field(default=NO_EXTRA, repr=False)


@attrs.frozen(kw_only=True)
class Event(Model):
    """Base of client and server events; ``TYPE`` is the GA wire type string.

    Attributes:
        event_id: The event's id. Server events carry one (almost) always; on client
            events it is optional and echoed in ``error.event_id`` when the event fails.
    """

    TYPE: ClassVar[str] = ""

    event_id: str | Unset | None = UNSET

    @property
    def type(self) -> str:
        """The GA wire type of this event (``TYPE``)."""
        return self.TYPE


@attrs.frozen(kw_only=True)
class ServerEvent(Event):
    """Base of every event the server sends."""


@attrs.frozen(kw_only=True)
class ClientEvent(Event):
    """Base of every event the client sends."""


@attrs.frozen(kw_only=True)
class UnknownServerEvent(ServerEvent):
    """A server event whose ``type`` this version of realtime_sync does not know.

    Attributes:
        type: The wire type string, as received.
        data: Every other field of the event, exactly as received.
    """

    type: str
    data: Mapping[str, Any] = attrs.field(factory=dict)


@attrs.frozen(kw_only=True)
class UnknownClientEvent(ClientEvent):
    """A client event whose ``type`` this version of realtime_sync does not know.

    Attributes:
        type: The wire type string.
        data: Every other field of the event.
    """

    type: str
    data: Mapping[str, Any] = attrs.field(factory=dict)


@attrs.frozen(kw_only=True)
class UnknownModel(Model):
    """A nested object of a kind this version does not know (an unknown item type, ...).

    Attributes:
        type: The object's ``type`` when it has a string one, else :data:`UNSET`.
        data: The whole object, exactly as received (``type`` included).
    """

    type: str | Unset = UNSET
    data: Mapping[str, Any] = attrs.field(factory=dict)
