"""Dispatch: handlers and waiters for server events, one matcher, no user code under a lock.

:class:`Dispatcher` is the part of a threaded client that decides who hears about an
event: the handlers registered with ``on()``/``once()`` (run in order on the reader
thread), the ``wait_for`` waiters of other threads, and the ``on_error`` handlers.
It is protocol-agnostic: any client whose events are :class:`ServerEvent` subclasses
(the Realtime client today, the Live client next) uses it as is.

Waiters: the list is copied on write (under ``_lock``) and read without it; a
waiter's key is matched with the registry's matcher (:func:`matches`), its predicate
(user code) is called with no lock held, and only then is the waiter claimed under
the lock, so that a predicate may call anything on the client, ``close()`` included,
and a waiter released by one event is never released again.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from realtime_sync.client._registry import (
    REALTIME_EVENTS,
    EventCatalog,
    HandlerRegistry,
    Key,
    matches,
    resolve_key,
)
from realtime_sync.events import ServerEvent
from realtime_sync.exceptions import HandlerError, RealtimeError

__all__ = ["Dispatcher", "Waiter"]

logger = logging.getLogger("realtime_sync.client")


class Waiter:
    """One ``wait_for`` (or a blocking helper waiting for its answer)."""

    __slots__ = ("done", "error", "key", "predicate", "result", "wild")

    def __init__(
        self, key: Key, wild: bool, predicate: Callable[[Any], bool] | None
    ) -> None:
        self.key = key
        self.wild = wild
        self.predicate = predicate
        self.done = threading.Event()
        self.result: ServerEvent | None = None
        self.error: BaseException | None = None

    @classmethod
    def for_event(
        cls,
        event: type | str,
        predicate: Callable[[Any], bool] | None = None,
        catalog: EventCatalog = REALTIME_EVENTS,
    ) -> Waiter:
        """A waiter for what ``on()`` would accept (a class, a type, a prefix)."""
        wild, key = resolve_key(event, catalog)
        return cls(key, wild, predicate)

    def wait(self, timeout: float | None) -> bool:
        """Block until released; False on timeout."""
        return self.done.wait(timeout)


class Dispatcher:
    """Handlers, waiters and error handlers of one client, with their counters.

    Args:
        slow_handler_seconds: A handler call longer than this is logged and counted.
    """

    def __init__(self, slow_handler_seconds: float = 0.5) -> None:
        self.registry = HandlerRegistry()
        self._lock = threading.Lock()
        self._waiters: tuple[Waiter, ...] = ()
        self._requests: dict[str, Waiter] = {}  # event_id -> helper waiting on it
        self._error_handlers: tuple[Callable[[RealtimeError], Any], ...] = ()
        self._slow = slow_handler_seconds
        # Counters: written on the reader thread only.
        self.handler_errors = 0
        self.max_handler_seconds = 0.0
        self.slow_handler_calls = 0

    # -- registration (any thread) ---------------------------------------------------

    def add_error_handler(self, handler: Callable[[RealtimeError], Any]) -> None:
        """Register an ``on_error`` handler."""
        if not callable(handler):
            raise TypeError("handler must be callable")
        with self._lock:
            self._error_handlers = (*self._error_handlers, handler)

    def add_waiter(self, waiter: Waiter, request_id: str | None = None) -> None:
        """Start delivering to ``waiter`` (answers to ``request_id`` fail it)."""
        with self._lock:
            self._waiters = (*self._waiters, waiter)
            if request_id is not None:
                self._requests[request_id] = waiter

    def remove_waiter(self, waiter: Waiter, request_id: str | None = None) -> None:
        """Stop delivering to ``waiter`` (it timed out or was answered)."""
        with self._lock:
            if waiter in self._waiters:
                self._waiters = tuple(w for w in self._waiters if w is not waiter)
            if request_id is not None:
                self._requests.pop(request_id, None)

    def _claim(self, waiter: Waiter) -> bool:
        """Take ``waiter`` out of the list; False if another event got it first."""
        with self._lock:
            if waiter not in self._waiters:
                return False
            self._waiters = tuple(w for w in self._waiters if w is not waiter)
            for key, w in list(self._requests.items()):
                if w is waiter:
                    del self._requests[key]
            return True

    # -- the reader thread -------------------------------------------------------------

    def deliver(self, event: ServerEvent) -> None:
        """Run the handlers of ``event`` in order, then release matching waiters."""
        entries = self.registry.handlers_for(event)
        if entries:
            self._run_handlers(entries, event)
        if self._waiters:
            self._release(event)

    def _run_handlers(self, entries: Any, event: ServerEvent) -> None:
        clock = time.perf_counter
        # One clock read per handler (each one's end starts the next).
        started = clock()
        for entry in entries:
            try:
                entry.handler(event)
            except Exception as exc:
                name = _name(entry.handler)
                logger.exception("handler %s raised on %s", name, event.type)
                self.handler_errors += 1
                err = HandlerError(
                    f"handler {name} raised {type(exc).__name__} on {event.type}",
                    handler=entry.handler,
                    event=event,
                )
                err.__cause__ = exc
                self.report(err)
            now = clock()
            took = now - started
            started = now
            if took > self.max_handler_seconds:
                self.max_handler_seconds = took
            if took > self._slow:
                self.slow_handler_calls += 1
                logger.warning(
                    "handler %s held the reader thread for %.2f s on %s; later events "
                    "waited that long (keep handlers short, or hand work to a thread)",
                    _name(entry.handler),
                    took,
                    event.type,
                )

    def _release(self, event: ServerEvent) -> None:
        for waiter in self._waiters:  # the tuple read once; no lock held
            if waiter.done.is_set() or not matches(waiter.wild, waiter.key, event):
                continue
            predicate = waiter.predicate
            if predicate is not None:
                try:
                    if not predicate(event):
                        continue
                except Exception:
                    logger.exception("wait_for predicate raised")
                    continue
            if self._claim(waiter):
                waiter.result = event
                waiter.done.set()

    def answer(self, request_id: str, error: BaseException) -> bool:
        """Fail the helper waiting on ``request_id`` with ``error``; True if one was."""
        with self._lock:
            waiter = self._requests.pop(request_id, None)
            if waiter is None:
                return False
            self._waiters = tuple(w for w in self._waiters if w is not waiter)
        waiter.error = error
        waiter.done.set()
        return True

    def fail_waiters(
        self, exc: BaseException, keep: frozenset[str] = frozenset()
    ) -> None:
        """Fail every waiter with ``exc``, except helpers waiting on ``keep`` ids."""
        with self._lock:
            kept = {w for rid, w in self._requests.items() if rid in keep}
            failed = [w for w in self._waiters if w not in kept]
            self._waiters = tuple(w for w in self._waiters if w in kept)
            self._requests = {k: w for k, w in self._requests.items() if w in kept}
        for waiter in failed:
            waiter.error = exc
            waiter.done.set()

    def report(self, error: RealtimeError) -> None:
        """Pass ``error`` to the ``on_error`` handlers; one that raises is logged."""
        for handler in self._error_handlers:
            try:
                handler(error)
            except Exception:
                logger.exception("error handler %r raised", handler)

    def call_each(
        self, handlers: tuple[Callable[[Any], Any], ...], info: Any, what: str
    ) -> None:
        """Call user ``handlers`` with ``info``; report each failure as HandlerError."""
        for handler in handlers:
            try:
                handler(info)
            except Exception as exc:
                name = _name(handler)
                logger.exception("%s handler %s raised", what, name)
                err = HandlerError(f"{what} handler {name} raised", handler=handler)
                err.__cause__ = exc
                self.report(err)


def _name(handler: Any) -> str:
    return getattr(handler, "__qualname__", repr(handler))
