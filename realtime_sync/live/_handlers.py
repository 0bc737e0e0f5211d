"""``on``/``once``/``off``/``wait_for``/``expect`` for Live events.

:class:`LiveEventsAPI` is the client's :class:`~realtime_sync.client._events_api.EventsAPI`
keyed by :data:`LIVE_EVENTS`, the Live catalog: the dispatcher's registry, the waiters
of ``wait_for``, ``expect`` and the blocking helpers resolve classes of
:mod:`realtime_sync.live.events` and Live type strings. The behaviour (reader thread,
order, no user code under a lock, errors to ``on_error``, the register-before-send
:class:`~realtime_sync.Expectation`) is EventsAPI's own.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

import attrs

from realtime_sync.client._dispatch import Waiter
from realtime_sync.client._events_api import EventsAPI, _describe
from realtime_sync.client._registry import EventCatalog
from realtime_sync.exceptions import Timeout
from realtime_sync.live.events import (
    SERVER_EVENTS,
    LiveServerEvent,
    UnknownLiveServerEvent,
)
from realtime_sync.transport import Channel

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

    def _send_and_wait(
        self,
        event: Any,
        answer: Any,
        timeout: float | None,
        *,
        channel: Channel | None = None,
        predicate: Callable[[Any], bool] | None = None,
    ) -> Any:
        """Send ``event`` with a fresh id and wait for ``answer`` (a Live class).

        An ``error`` whose ``client_event_id`` is this event's fails the wait
        with a :class:`~realtime_sync.ServerError`.
        """
        event_id = self._new_id()
        event = attrs.evolve(event, event_id=event_id)
        waiter = Waiter.for_event(answer, predicate, LIVE_EVENTS)
        self._raise_if_closed()
        self._dispatch.add_waiter(waiter, event_id)
        try:
            self._raise_if_closed()
            if channel is None:
                self._send_event(event)
            else:
                self._write(channel, event)
            if not waiter.wait(timeout):
                raise Timeout(f"no {_describe(answer)} within {timeout} s")
        finally:
            self._dispatch.remove_waiter(waiter, event_id)
        if waiter.error is not None:
            raise waiter.error
        return waiter.result
