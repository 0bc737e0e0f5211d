"""The handler registry and waiters keyed by another protocol's event catalog."""

from __future__ import annotations

import pytest

from realtime_sync.client._dispatch import Dispatcher, Waiter
from realtime_sync.client._registry import HandlerRegistry
from realtime_sync.events import ResponseDone
from realtime_sync.live._handlers import LIVE_EVENTS
from realtime_sync.live.events import SERVER_EVENTS, UnknownLiveServerEvent


def _a_live_class() -> type:
    return next(iter(SERVER_EVENTS.values()))


def test_live_keys_resolve_against_the_live_catalog() -> None:
    registry = HandlerRegistry(LIVE_EVENTS)
    cls = _a_live_class()
    seen: list[object] = []
    registry.add(cls.TYPE, seen.append, once=False)  # a type string: the class
    with pytest.raises(TypeError, match="not a Live server event class"):
        registry.add(ResponseDone, seen.append, once=False)
    assert len(registry) == 1


def test_unknown_live_types_reach_handlers_and_waiters() -> None:
    dispatcher = Dispatcher()
    dispatcher.registry = HandlerRegistry(LIVE_EVENTS)
    seen: list[object] = []
    dispatcher.registry.add("vendor.thing", seen.append, once=False)
    dispatcher.registry.add("vendor.*", seen.append, once=False)
    waiter = Waiter.for_event("vendor.thing", None, LIVE_EVENTS)
    other = Waiter.for_event("vendor.other", None, LIVE_EVENTS)
    dispatcher.add_waiter(waiter)
    dispatcher.add_waiter(other)
    event = UnknownLiveServerEvent(type="vendor.thing", data={"x": 1})
    dispatcher.deliver(event)
    assert seen == [event, event]
    assert waiter.done.is_set() and waiter.result is event
    assert not other.done.is_set()
