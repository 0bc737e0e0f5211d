"""``on``/``once``/``off``/``wait_for``/``expect`` for Live events.

:class:`LiveEventsAPI` is the client's :class:`~realtime_sync.client._events_api.EventsAPI`
with Live keys: the dispatcher's registry is a
:class:`~realtime_sync.live._keys.LiveHandlerRegistry`, and the waiters of
``wait_for``, ``expect`` and the blocking helpers are built from Live keys. The
behaviour (reader thread, order, no user code under a lock, errors to
``on_error``, the register-before-send :class:`~realtime_sync.Expectation`) is
EventsAPI's own.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar, overload

import attrs

from realtime_sync.client._events_api import EventsAPI, Expectation, _check_timeout
from realtime_sync.exceptions import Timeout
from realtime_sync.live._keys import (
    LiveHandlerRegistry,
    describe,
    live_waiter,
    resolve_live_key,
    warn_if_unknown_live,
)
from realtime_sync.live.events import LiveServerEvent
from realtime_sync.transport import Channel

__all__ = ["LiveEventsAPI"]

E = TypeVar("E", bound=LiveServerEvent)
F = TypeVar("F", bound=Callable[..., Any])


class LiveEventsAPI(EventsAPI):
    """Handlers and waits keyed by Live events (see the module docstring)."""

    def _use_live_keys(self) -> None:
        """Give the dispatcher a registry of Live keys (from the constructor)."""
        self._dispatch.registry = LiveHandlerRegistry()

    @overload  # type: ignore[override]
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
        """Register a handler for a Live event, as a decorator or a call.

        Handlers run on the reader thread, one at a time, in arrival order; a
        handler that raises is reported to ``on_error`` as a
        :class:`~realtime_sync.HandlerError` and the others still run.

        Args:
            event: A class of :mod:`realtime_sync.live.events` (type-checked), a
                Live type string (``"session.output_transcript.delta"``), ``"*"``
                or a prefix such as ``"session.*"``.
            handler: The callable; omit it to use ``on`` as a decorator.

        Returns:
            The handler.
        """
        return self._add(event, handler, once=False)

    @overload  # type: ignore[override]
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
        resolve_live_key(event)  # validate now, also for the decorator form
        warn_if_unknown_live(event, stacklevel=4)
        registry = self._dispatch.registry
        if handler is None:

            def decorator(fn: Any) -> Any:
                registry.add(event, fn, once)
                return fn

            return decorator
        registry.add(event, handler, once)
        return handler

    def off(self, event: Any, handler: Callable[[Any], Any]) -> bool:
        """Remove a handler registered with :meth:`on`/:meth:`once` for ``event``.

        Returns:
            True if it was registered.
        """
        return self._dispatch.registry.remove(event, handler)

    @overload  # type: ignore[override]
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
        """Block until a Live event of this type (matching ``predicate``) arrives.

        Only events that arrive after the call count: to wait for the answer to
        something you send, use :meth:`expect`, which listens from before the
        send.

        Args:
            event: A Live event class, type string or ``"prefix.*"``.
            predicate: Called with each candidate on the reader thread (no lock
                held); one that raises counts as no match.
            timeout: Seconds; None waits for ever.

        Returns:
            The event.

        Raises:
            Timeout: Nothing matched in time.
            ConnectionClosed: The connection closed first.
            ValueError: A negative ``timeout``.
            RuntimeError: Called from a handler (the reader thread).
        """
        _check_timeout(timeout)
        self._check_thread("wait_for()", unopened_ok=True)
        warn_if_unknown_live(event, stacklevel=2)
        waiter = live_waiter(event, predicate)
        self._raise_if_closed()
        self._dispatch.add_waiter(waiter)
        try:
            self._raise_if_closed()
            if not waiter.wait(timeout):
                raise Timeout(f"no {describe(event)} event within {timeout} s")
        finally:
            self._dispatch.remove_waiter(waiter)
        if waiter.error is not None:
            raise waiter.error
        return waiter.result

    @overload  # type: ignore[override]
    def expect(
        self, event: type[E], predicate: Callable[[E], bool] | None = None
    ) -> Expectation[E]: ...
    @overload
    def expect(
        self, event: str, predicate: Callable[[Any], bool] | None = None
    ) -> Expectation[Any]: ...

    def expect(self, event: Any, predicate: Any = None) -> Expectation[Any]:
        """Listen for a Live event from before the request that causes it is sent.

        For example::

            with client.expect(SessionInputAudioMuted) as muted:
                client.send(SessionInputAudioMute())
                muted.wait(timeout=5)

        Returns:
            An :class:`~realtime_sync.Expectation`: enter it, send, then call
            ``wait(timeout)`` inside the block.
        """
        warn_if_unknown_live(event, stacklevel=2)
        waiter = live_waiter(event, predicate)

        def result() -> Any:
            return waiter.result

        return Expectation(
            self._dispatch,
            (waiter,),
            result,
            describe(event),
            self._check_thread,
            self._raise_if_closed,
        )

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
        waiter = live_waiter(answer, predicate)
        self._raise_if_closed()
        self._dispatch.add_waiter(waiter, event_id)
        try:
            self._raise_if_closed()
            if channel is None:
                self._send_event(event)
            else:
                self._write(channel, event)
            if not waiter.wait(timeout):
                raise Timeout(f"no {describe(answer)} within {timeout} s")
        finally:
            self._dispatch.remove_waiter(waiter, event_id)
        if waiter.error is not None:
            raise waiter.error
        return waiter.result
