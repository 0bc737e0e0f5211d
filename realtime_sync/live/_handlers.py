"""``on``/``once``/``off``/``wait_for``/``expect`` for Live events.

:class:`LiveEventsAPI` is the client's :class:`~realtime_sync.client._events_api.EventsAPI`
keyed by :data:`LIVE_EVENTS`, the Live catalog: the dispatcher's registry, the waiters
of ``wait_for``, ``expect`` and the blocking helpers resolve classes of
:mod:`realtime_sync.live.events` and Live type strings. The behaviour (reader thread,
order, no user code under a lock, errors to ``on_error``, the register-before-send
:class:`~realtime_sync.Expectation`) is EventsAPI's own.
"""

from __future__ import annotations

from typing import ClassVar

from realtime_sync.client._events_api import EventsAPI
from realtime_sync.client._registry import EventCatalog
from realtime_sync.live.events import (
    SERVER_EVENTS,
    LiveServerEvent,
    UnknownLiveServerEvent,
)

__all__ = ["LIVE_EVENTS", "LiveEventsAPI"]

#: The Live server events, as handler keys name them.
LIVE_EVENTS = EventCatalog(
    base=LiveServerEvent,
    unknown=UnknownLiveServerEvent,
    types=SERVER_EVENTS,
    what="Live server event",
    where=" (realtime_sync.live.events)",
)


class LiveEventsAPI(EventsAPI):
    """Handlers and waits keyed by Live events (see the module docstring)."""

    _events: ClassVar[EventCatalog] = LIVE_EVENTS
