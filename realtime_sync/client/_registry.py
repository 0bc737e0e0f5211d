"""The handler registry: who gets which server event, in which order.

Keys a handler can be registered under:

* an event class (``ResponseOutputTextDelta``): events of exactly that class;
* a type string, GA or beta (``"response.output_text.delta"`` and
  ``"response.text.delta"`` name the same class); a type string this version does not
  know matches :class:`UnknownServerEvent` of that type;
* ``"*"``: every event; a prefix ending in ``.*`` (``"response.*"``): every event whose
  GA or beta type starts with the prefix.

The keys are resolved against an :class:`EventCatalog`, the server events of one
protocol: :data:`REALTIME_EVENTS` by default; the Live and Translation clients give
theirs (their classes, their type strings, their unknown-event class).

Dispatch order for one event: the specific handlers of its class (or unknown type), in
registration order, then the wildcard and prefix handlers, in registration order.

Threading: registration happens on any thread; dispatch only on the reader thread.
Registration builds a new tuple and swaps it in under a lock; dispatch iterates the
tuple it read, without the lock, so no user code ever runs under a library lock and a
handler may register or remove handlers (the change applies from the next event).
"""

from __future__ import annotations

import difflib
import threading
import warnings
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import attrs

from realtime_sync.events import SERVER_EVENTS, ServerEvent, UnknownServerEvent
from realtime_sync.protocol.dialects import BETA_SERVER_TYPES, GA_TO_BETA_SERVER_TYPES

__all__ = [
    "REALTIME_EVENTS",
    "Entry",
    "EventCatalog",
    "HandlerRegistry",
    "UnknownEventTypeWarning",
    "matches",
    "resolve_key",
    "warn_if_unknown",
]

Key = type | str  # an event class, an unknown type string, "*" or a "prefix."


@attrs.frozen(eq=False)
class Entry:
    """One registration.

    Attributes:
        handler: The callable, called with the event.
        once: Remove it after its first call.
    """

    handler: Callable[[Any], Any]
    once: bool = False


@attrs.frozen(eq=False)
class EventCatalog:
    """The server events of one protocol, as handler keys name them.

    Attributes:
        base: The base class of the protocol's server events; ``on(base)`` (and
            ``on(unknown)``) is ``on("*")``.
        unknown: The class of an event whose type the catalog does not know; such
            an event is keyed by its type string.
        types: The event classes by wire type.
        aliases: Other names of wire types (the Realtime beta names), resolved first.
        what: How messages name these events (``"server event"``).
        where: Where the classes are, for the error of a wrong class (``""``).
    """

    base: type
    unknown: type
    types: Mapping[str, type]
    aliases: Mapping[str, str] = attrs.field(factory=dict)
    what: str = "server event"
    where: str = ""


#: The Realtime server events (GA types, with the beta names as aliases).
REALTIME_EVENTS = EventCatalog(
    base=ServerEvent,
    unknown=UnknownServerEvent,
    types=SERVER_EVENTS,
    aliases=BETA_SERVER_TYPES,
)


def resolve_key(
    event: type | str, catalog: EventCatalog = REALTIME_EVENTS
) -> tuple[bool, Key]:
    """Resolve what ``on()`` was given to (is_wildcard, key).

    Args:
        event: An event class, a GA or beta type string, ``"*"`` or ``"prefix.*"``.
        catalog: The protocol's events (the Realtime ones by default).

    Returns:
        ``(False, cls_or_unknown_type)`` for a specific key, ``(True, prefix)`` for a
        wildcard (``""`` matches everything).

    Raises:
        TypeError: ``event`` is neither a server event class nor a string.
        ValueError: An empty string.
    """
    if isinstance(event, type):
        if not issubclass(event, catalog.base):
            raise TypeError(
                f"{event.__name__} is not a {catalog.what} class{catalog.where}"
            )
        if event is catalog.unknown or event is catalog.base:
            return True, ""  # every event is a ServerEvent
        return False, event
    if not isinstance(event, str):
        raise TypeError(f"expected an event class or a type string, not {event!r}")
    if not event:
        raise ValueError("the event type must not be empty")
    if event == "*":
        return True, ""
    if event.endswith("*"):
        return True, event[:-1]
    ga = catalog.aliases.get(event, event)
    cls = catalog.types.get(ga)
    return (False, cls) if cls is not None else (False, event)


class UnknownEventTypeWarning(UserWarning):
    """``on()``, ``once()``, ``wait_for()`` or ``expect()`` got an unknown event type.

    The type string (or ``"prefix.*"``) names no server event this version knows,
    GA or beta. It is accepted, since servers add events (a handler for
    ``"vendor.thing"`` gets :class:`~realtime_sync.events.UnknownServerEvent` of that
    type), but a typo would leave a handler silent for ever, so the warning names the
    closest known type. To register unknown types on purpose::

        warnings.filterwarnings("ignore", category=rs.UnknownEventTypeWarning)
    """


def warn_if_unknown(
    event: object, stacklevel: int, catalog: EventCatalog = REALTIME_EVENTS
) -> None:
    """Warn when ``event`` is a type string or prefix that no known event has.

    Args:
        event: What ``on()`` was given (classes and known types pass silently).
        stacklevel: For :func:`warnings.warn`: the frame of the user's call.
        catalog: The protocol's events (the Realtime ones by default).
    """
    if not isinstance(event, str) or event == "*":
        return
    known = (*catalog.types, *catalog.aliases)
    what_event, unknown = catalog.what, catalog.unknown.__name__
    if event.endswith("*"):
        prefix = event[:-1]
        if any(name.startswith(prefix) for name in known):
            return
        # Candidates: every dotted prefix of a known type ("response.", ...).
        prefixes = {
            name[: i + 1] for name in known for i, c in enumerate(name) if c == "."
        }
        close = [
            p + "*" for p in difflib.get_close_matches(prefix, sorted(prefixes), n=1)
        ]
        what = (
            f"no {what_event} type this version knows starts with {prefix!r}: only "
            f"unknown events ({unknown}) of such types would match"
        )
    else:
        if event in catalog.types or event in catalog.aliases:
            return
        close = difflib.get_close_matches(event, sorted(set(known)), n=1, cutoff=0.5)
        what = (
            f"{event!r} is not a {what_event} type this version knows: only an "
            f"{unknown} of exactly that type would match"
        )
    hint = (
        f"; did you mean {close[0]!r}?"
        if close
        else " (if it is an event newer than this version, ignore this warning)"
    )
    warnings.warn(
        what + hint,
        UnknownEventTypeWarning,
        stacklevel=stacklevel,
    )


def _type_names(event: ServerEvent) -> tuple[str, str]:
    """The GA and the beta type of ``event`` (the names prefixes are matched on)."""
    ga_type = event.type
    return ga_type, GA_TO_BETA_SERVER_TYPES.get(ga_type, ga_type)


def matches(wild: bool, key: Key, event: ServerEvent) -> bool:
    """Whether ``event`` falls under a key resolved by :func:`resolve_key`.

    The one matcher of the client: handlers and ``wait_for`` waiters alike. A prefix
    matches the GA type or the beta type, so ``"response.text.*"`` finds
    ``response.output_text.delta`` in every dialect. A type string that is not a
    wildcard names a type the catalog does not know, so only an unknown event (of
    any protocol's catalog) has it.
    """
    if wild:
        assert isinstance(key, str)
        ga_type, beta_type = _type_names(event)
        return ga_type.startswith(key) or beta_type.startswith(key)
    if isinstance(key, str):
        return event.type == key
    return type(event) is key


class HandlerRegistry:
    """Handlers by event key; see the module docstring for the rules."""

    def __init__(self, catalog: EventCatalog = REALTIME_EVENTS) -> None:
        self.catalog = catalog
        self._lock = threading.Lock()
        self._specific: dict[Key, tuple[Entry, ...]] = {}
        self._wild: tuple[tuple[str, Entry], ...] = ()
        self._once = False  # whether any ``once`` entry is registered
        # With prefix handlers ("*", "response.*"): the entries of each key, as
        # handlers_for() found them. Replaced (not cleared) by every change, and
        # filled only under _lock for the generation it was computed from, so a
        # registration racing the reader never leaves a stale entry behind.
        self._cache: dict[Key, tuple[Entry, ...]] = {}
        self._generation = 0

    def add(self, event: type | str, handler: Callable[[Any], Any], once: bool) -> None:
        """Register ``handler`` under ``event`` (see :func:`resolve_key`)."""
        if not callable(handler):
            raise TypeError(f"handler must be callable, not {type(handler).__name__}")
        wild, key = resolve_key(event, self.catalog)
        entry = Entry(handler, once)
        with self._lock:
            if wild:
                assert isinstance(key, str)
                self._wild = (*self._wild, (key, entry))
            else:
                self._specific[key] = (*self._specific.get(key, ()), entry)
            self._once = self._once or once
            self._changed_locked()

    def remove(self, event: type | str, handler: Callable[[Any], Any]) -> bool:
        """Remove every registration of ``handler`` under ``event``; True if any."""
        wild, key = resolve_key(event, self.catalog)
        with self._lock:
            if wild:
                kept = tuple(
                    (p, e)
                    for p, e in self._wild
                    if not (p == key and e.handler == handler)
                )
                found = len(kept) != len(self._wild)
                self._wild = kept
            else:
                entries = self._specific.get(key, ())
                left = tuple(e for e in entries if e.handler != handler)
                found = len(left) != len(entries)
                if left:
                    self._specific[key] = left
                else:
                    self._specific.pop(key, None)
            self._changed_locked()
        return found

    def _changed_locked(self) -> None:
        """The handlers changed (holding _lock): forget what handlers_for() cached."""
        self._generation += 1
        self._cache = {}

    def _discard(self, entry: Entry) -> None:
        with self._lock:
            for key, entries in list(self._specific.items()):
                if entry in entries:
                    left = tuple(e for e in entries if e is not entry)
                    if left:
                        self._specific[key] = left
                    else:
                        del self._specific[key]
            self._wild = tuple((p, e) for p, e in self._wild if e is not entry)
            self._once = any(
                e.once for es in self._specific.values() for e in es
            ) or any(e.once for _, e in self._wild)
            self._changed_locked()

    def handlers_for(self, event: ServerEvent) -> Sequence[Entry]:
        """The entries to call for ``event``, in order; ``once`` entries are removed."""
        cls = type(event)
        key: Key = event.type if cls is self.catalog.unknown else cls
        if not self._once:
            wild = self._wild
            if not wild:
                # The common case: no list to build, nothing to remove.
                return self._specific.get(key, ())
            cached = self._cache.get(key)
            if cached is not None:
                return cached  # "*" and the like: matched once per key
            generation = self._generation
        else:
            generation = -1  # ``once`` entries: never cached
        out = list(self._specific.get(key, ()))
        wild = self._wild
        if wild:
            ga_type, beta_type = _type_names(event)  # once, not per entry
            for prefix, entry in wild:
                if ga_type.startswith(prefix) or beta_type.startswith(prefix):
                    out.append(entry)
        if generation < 0 or cls is self.catalog.unknown:
            # (Unknown types are the server's strings: not cached, which keeps
            # the cache bounded by the event classes.)
            for entry in out:
                if entry.once:
                    self._discard(entry)
            return out
        found = tuple(out)  # (no ``once`` among them: generation >= 0)
        with self._lock:
            if self._generation == generation:
                self._cache[key] = found
        return found

    def __len__(self) -> int:
        return sum(len(v) for v in self._specific.values()) + len(self._wild)
