"""Base classes of the Live events (the Realtime events' model, another protocol).

Live events share :class:`~realtime_sync.events.Model` and
:class:`~realtime_sync.events.Event` (``TYPE``, ``event_id``, ``extra``,
:data:`~realtime_sync.events.UNSET`) with the Realtime events, but not their client
and server bases: a Live event is never a Realtime ``ServerEvent``, so the two
protocols' handlers cannot be confused.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs

from realtime_sync.events._base import Event

__all__ = [
    "LiveClientEvent",
    "LiveServerEvent",
    "UnknownLiveClientEvent",
    "UnknownLiveServerEvent",
]


@attrs.frozen(kw_only=True)
class LiveServerEvent(Event):
    """Base of every event a Live server sends."""


@attrs.frozen(kw_only=True)
class LiveClientEvent(Event):
    """Base of every event a Live client sends."""


@attrs.frozen(kw_only=True)
class UnknownLiveServerEvent(LiveServerEvent):
    """A Live server event whose ``type`` this version does not know.

    Attributes:
        type: The wire type string, as received.
        data: Every other field of the event, exactly as received.
    """

    type: str
    data: Mapping[str, Any] = attrs.field(factory=dict)


@attrs.frozen(kw_only=True)
class UnknownLiveClientEvent(LiveClientEvent):
    """A Live client event whose ``type`` this version does not know.

    Attributes:
        type: The wire type string.
        data: Every other field of the event.
    """

    type: str
    data: Mapping[str, Any] = attrs.field(factory=dict)
