"""Handler keys for Live events: classes, Live type strings, ``"*"`` and prefixes.

The client's :class:`~realtime_sync.client._registry.HandlerRegistry` resolves keys
against the Realtime catalog (a Live event class is deliberately not a Realtime
``ServerEvent``). :class:`LiveHandlerRegistry` is the same registry (same
copy-on-write tuples, same dispatch order, ``once`` handling, no user code under
its lock) with keys resolved against the Live catalog instead, by
:func:`resolve_live_key`; waiters built by :func:`live_waiter` match with the
dispatcher's one matcher.
"""

from __future__ import annotations

import difflib
import warnings
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from realtime_sync.client._dispatch import Waiter
from realtime_sync.client._registry import (
    Entry,
    HandlerRegistry,
    Key,
    UnknownEventTypeWarning,
)
from realtime_sync.live.events import (
    SERVER_EVENTS,
    LiveServerEvent,
    UnknownLiveServerEvent,
)

__all__ = [
    "LiveHandlerRegistry",
    "describe",
    "live_waiter",
    "resolve_live_key",
    "warn_if_unknown_live",
]


#: Live server event classes by wire type (the events package's table).
LIVE_SERVER_TYPES: Mapping[str, type] = SERVER_EVENTS


def resolve_live_key(event: type | str) -> tuple[bool, Key]:
    """Resolve a Live handler key to ``(is_wildcard, key)``.

    Raises:
        TypeError: Neither a Live server event class nor a string.
        ValueError: An empty string.
    """
    if isinstance(event, type):
        if not issubclass(event, LiveServerEvent):
            raise TypeError(
                f"{event.__name__} is not a Live server event class "
                "(realtime_sync.live.events)"
            )
        if event is LiveServerEvent:
            return True, ""
        return False, event
    if not isinstance(event, str):
        raise TypeError(f"expected an event class or a type string, not {event!r}")
    if not event:
        raise ValueError("the event type must not be empty")
    if event == "*":
        return True, ""
    if event.endswith("*"):
        return True, event[:-1]
    cls = LIVE_SERVER_TYPES.get(event)
    return (False, cls) if cls is not None else (False, event)


def warn_if_unknown_live(event: object, stacklevel: int) -> None:
    """Warn when a type string or prefix names no Live server event."""
    if not isinstance(event, str) or event == "*":
        return
    known = sorted(LIVE_SERVER_TYPES)
    if event.endswith("*"):
        if any(name.startswith(event[:-1]) for name in known):
            return
        what = f"no Live server event type starts with {event[:-1]!r}"
        close = []
    else:
        if event in LIVE_SERVER_TYPES:
            return
        what = f"{event!r} is not a Live server event type this version knows"
        close = difflib.get_close_matches(event, known, n=1, cutoff=0.5)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    warnings.warn(what + hint, UnknownEventTypeWarning, stacklevel=stacklevel + 1)


def live_waiter(event: type | str, predicate: Callable[[Any], bool] | None) -> Waiter:
    """A dispatcher waiter for a Live key (as ``Waiter.for_event`` for Realtime)."""
    wild, key = resolve_live_key(event)
    return Waiter(key, wild, predicate)


def describe(event: object) -> str:
    """The wire type of a class, or the string itself."""
    wire = getattr(event, "TYPE", None)
    return wire if isinstance(wire, str) else repr(event)


class LiveHandlerRegistry(HandlerRegistry):
    """:class:`HandlerRegistry` with Live keys (see the module docstring)."""

    def add(self, event: type | str, handler: Callable[[Any], Any], once: bool) -> None:
        """Register ``handler`` under a Live key."""
        if not callable(handler):
            raise TypeError(f"handler must be callable, not {type(handler).__name__}")
        wild, key = resolve_live_key(event)
        entry = Entry(handler, once)
        with self._lock:
            if wild:
                assert isinstance(key, str)
                self._wild = (*self._wild, (key, entry))
            else:
                self._specific[key] = (*self._specific.get(key, ()), entry)
            self._once = self._once or once

    def remove(self, event: type | str, handler: Callable[[Any], Any]) -> bool:
        """Remove every registration of ``handler`` under a Live key."""
        wild, key = resolve_live_key(event)
        with self._lock:
            if wild:
                kept = tuple(
                    (p, e)
                    for p, e in self._wild
                    if not (p == key and e.handler == handler)
                )
                found = len(kept) != len(self._wild)
                self._wild = kept
                return found
            entries = self._specific.get(key, ())
            left = tuple(e for e in entries if e.handler != handler)
            if left:
                self._specific[key] = left
            else:
                self._specific.pop(key, None)
            return len(left) != len(entries)

    def handlers_for(self, event: Any) -> Sequence[Entry]:
        """As the base class; an unknown Live event is keyed by its type string."""
        if type(event) is not UnknownLiveServerEvent:
            return super().handlers_for(event)
        specific = self._specific.get(event.type, ())
        out = list(specific) + [e for p, e in self._wild if event.type.startswith(p)]
        for entry in out:
            if entry.once:
                self._discard(entry)
        return out
