"""The event-facing public methods every threaded client shares: ``on``, ``wait_for``, ...

:class:`EventsAPI` is a mixin over :class:`~realtime_sync.client._threaded.ThreadedClient`
(its ``_dispatch``, ``_lock`` and ``_check_thread``): handler registration, error
handlers, blocking waits and the counters. The Realtime client uses it; a client for
another protocol gets the same methods for its own event classes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar, overload

import attrs

from realtime_sync.client._dispatch import Waiter
from realtime_sync.client._registry import resolve_key
from realtime_sync.client._threaded import ThreadedClient
from realtime_sync.events import ServerEvent
from realtime_sync.exceptions import RealtimeError, Timeout

__all__ = ["ClientStats", "EventsAPI"]

E = TypeVar("E", bound=ServerEvent)
F = TypeVar("F", bound=Callable[..., Any])


@attrs.frozen(kw_only=True)
class ClientStats:
    """Counters of one client (``client.stats``), a snapshot taken when read.

    Attributes:
        frames_received: Frames the reader thread received.
        protocol_errors: Frames that could not be decoded (each reported to
            ``on_error`` as a :class:`ProtocolError`).
        handler_errors: Handler calls that raised (each reported as a
            :class:`HandlerError`).
        max_handler_seconds: The longest a single handler call held the reader
            thread: while a handler runs, later events wait (the dispatch lag).
        slow_handler_calls: Handler calls longer than ``slow_handler_seconds``
            (each logged as a warning).
        reconnects: Successful reconnections.
        dropped_audio_ms: Input audio dropped while reconnecting (beyond the
            policy's ``audio_buffer_seconds``).
    """

    frames_received: int
    protocol_errors: int
    handler_errors: int
    max_handler_seconds: float
    slow_handler_calls: int
    reconnects: int
    dropped_audio_ms: int


class EventsAPI(ThreadedClient):
    """Handlers, error handlers, waits and counters (see the module docstring)."""

    @overload
    def on(
        self, event: type[E]
    ) -> Callable[[Callable[[E], Any]], Callable[[E], Any]]: ...
    @overload
    def on(self, event: type[E], handler: Callable[[E], Any]) -> Callable[[E], Any]: ...
    @overload
    def on(self, event: str) -> Callable[[F], F]: ...
    @overload
    def on(self, event: str, handler: F) -> F: ...

    def on(self, event: Any, handler: Any = None) -> Any:
        """Register a handler, as a decorator or a call.

        Handlers run on the reader thread, one at a time, in arrival order: the
        handlers of the event's class in registration order, then wildcard and prefix
        handlers. A handler that raises is logged and reported to ``on_error``
        handlers as a :class:`HandlerError`; the others still run.

        Args:
            event: An event class (type-checked), a GA or beta type string,
                ``"*"`` or a prefix like ``"response.*"``.
            handler: The callable; omit it to use ``on`` as a decorator.

        Returns:
            The handler (so the decorator leaves the function as it is).
        """
        return self._add(event, handler, once=False)

    @overload
    def once(
        self, event: type[E]
    ) -> Callable[[Callable[[E], Any]], Callable[[E], Any]]: ...
    @overload
    def once(
        self, event: type[E], handler: Callable[[E], Any]
    ) -> Callable[[E], Any]: ...
    @overload
    def once(self, event: str) -> Callable[[F], F]: ...
    @overload
    def once(self, event: str, handler: F) -> F: ...

    def once(self, event: Any, handler: Any = None) -> Any:
        """Like :meth:`on`, but the handler is removed after its first call."""
        return self._add(event, handler, once=True)

    def _add(self, event: Any, handler: Any, once: bool) -> Any:
        resolve_key(event)  # validate now, also for the decorator form
        registry = self._dispatch.registry
        if handler is None:

            def decorator(fn: Any) -> Any:
                registry.add(event, fn, once)
                return fn

            return decorator
        registry.add(event, handler, once)
        return handler

    def off(
        self, event: type[ServerEvent] | str, handler: Callable[[Any], Any]
    ) -> bool:
        """Remove a handler registered with :meth:`on`/:meth:`once` for ``event``.

        Returns:
            True if it was registered.
        """
        return self._dispatch.registry.remove(event, handler)

    def on_error(
        self, handler: Callable[[RealtimeError], Any]
    ) -> Callable[[RealtimeError], Any]:
        """Register an error handler (decorator or call).

        It receives a :class:`ProtocolError` for an undecodable frame, a
        :class:`HandlerError` when a handler raised, and :class:`ConnectionClosed`
        when the server or the network closed the connection. It runs on the reader
        thread; if it raises, that is logged and nothing else happens.
        """
        self._dispatch.add_error_handler(handler)
        return handler

    @property
    def stats(self) -> ClientStats:
        """Counters: frames, errors, handler time (dispatch lag), reconnections."""
        dispatch = self._dispatch
        return ClientStats(
            frames_received=self._n_frames,
            protocol_errors=self._n_protocol_errors,
            handler_errors=dispatch.handler_errors,
            max_handler_seconds=dispatch.max_handler_seconds,
            slow_handler_calls=dispatch.slow_handler_calls,
            reconnects=self._n_reconnects,
            dropped_audio_ms=self._dropped_audio_ms,
        )

    @overload
    def wait_for(
        self,
        event: type[E],
        predicate: Callable[[E], bool] | None = None,
        timeout: float | None = None,
    ) -> E: ...
    @overload
    def wait_for(
        self,
        event: str,
        predicate: Callable[[Any], bool] | None = None,
        timeout: float | None = None,
    ) -> Any: ...

    def wait_for(
        self, event: Any, predicate: Any = None, timeout: float | None = None
    ) -> Any:
        """Block until an event of this type (matching ``predicate``) arrives.

        Only events that arrive after the call count. The event is matched as
        :meth:`on` matches handlers (classes, GA or beta type strings, prefixes).

        Args:
            event: An event class, a GA or beta type string, or a ``"prefix.*"``.
            predicate: Called with each candidate event on the reader thread, with
                no lock held: it may call the client (even ``close()``). One that
                raises is logged and counts as no match.
            timeout: Seconds; None waits for ever.

        Returns:
            The event.

        Raises:
            Timeout: Nothing matched in time.
            ConnectionClosed: The connection closed first.
            RuntimeError: Called from a handler (the reader thread).
        """
        self._check_thread("wait_for()", unopened_ok=True)
        waiter = Waiter.for_event(event, predicate)
        self._raise_if_closed()
        self._dispatch.add_waiter(waiter)
        try:
            # Closing sets the error, then fails the waiters: checked again now that
            # the waiter is in, a close either is seen here or will fail the waiter.
            self._raise_if_closed()
            if not waiter.wait(timeout):
                raise Timeout(f"no {_describe(event)} event within {timeout} s")
        finally:
            self._dispatch.remove_waiter(waiter)
        if waiter.error is not None:
            raise waiter.error
        return waiter.result


def _describe(event: Any) -> str:
    """``response.done`` for a class, the string itself for a string."""
    wire = getattr(event, "TYPE", None)
    return wire if isinstance(wire, str) else repr(event)
