"""The event-facing public methods every threaded client shares: ``on``, ``wait_for``, ...

:class:`EventsAPI` is a mixin over :class:`~realtime_sync.client._threaded.ThreadedClient`
(its ``_dispatch``, ``_lock`` and ``_check_thread``): handler registration, error
handlers, blocking waits and the counters. The Realtime client uses it; a client for
another protocol (Live, Translation) gets the same methods for its own event classes
by naming its :class:`~realtime_sync.client._registry.EventCatalog` in ``_events``
and calling :meth:`EventsAPI._use_catalog` from its constructor.
"""

from __future__ import annotations

from collections.abc import Callable
from types import TracebackType
from typing import Any, Generic, TypeVar, overload

import attrs

from realtime_sync.client._dispatch import Dispatcher, Waiter
from realtime_sync.client._registry import (
    HandlerRegistry,
    resolve_key,
    warn_if_unknown,
)
from realtime_sync.client._threaded import ThreadedClient
from realtime_sync.events import Event
from realtime_sync.exceptions import RealtimeError, Timeout

__all__ = ["ClientStats", "EventsAPI", "Expectation"]

E = TypeVar("E", bound=Event)  # a server event class of the client's protocol
F = TypeVar("F", bound=Callable[..., Any])
T = TypeVar("T")


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


class Expectation(Generic[T]):
    """An answer expected from the server, listened for before the request is sent.

    Made by :meth:`RealtimeClient.expect <realtime_sync.RealtimeClient.expect>` and
    :meth:`RealtimeClient.expect_response
    <realtime_sync.RealtimeClient.expect_response>`; use it in a ``with`` statement
    and call :meth:`wait` inside the block::

        with client.expect(ev.ResponseDone) as done:
            client.send(ev.ResponseCreate())
            event = done.wait(timeout=30)

    Entering the block starts listening; every event from then on counts, however
    fast the server answers the request sent inside the block. Leaving it stops
    listening (also after an exception).

    Not reusable: enter it once.
    """

    def __init__(
        self,
        dispatcher: Dispatcher,
        waiters: tuple[Waiter, ...],
        result: Callable[[], T],
        what: str,
        check_thread: Callable[[str], None],
        raise_if_closed: Callable[[], None],
    ) -> None:
        self._dispatch = dispatcher
        self._waiters = waiters  # the last one's release means done
        self._result = result
        self._what = what
        self._check_thread = check_thread
        self._raise_if_closed = raise_if_closed
        self._state = "new"  # -> "open" (in the block) -> "ended"

    def __repr__(self) -> str:
        state = "done" if self.done else self._state
        return f"<Expectation of {self._what} {state}>"

    @property
    def done(self) -> bool:
        """Whether the expected event arrived (or the connection closed)."""
        return self._waiters[-1].done.is_set()

    def __enter__(self) -> Expectation[T]:
        if self._state != "new":
            raise RuntimeError("An expectation can be entered only once.")
        self._raise_if_closed()
        for waiter in self._waiters:
            self._dispatch.add_waiter(waiter)
        self._state = "open"
        try:
            # As in wait_for(): closing sets the error, then fails the waiters; with
            # the waiters in, a close is either seen here or fails them.
            self._raise_if_closed()
        except BaseException:
            self._end()
            raise
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._end()

    def _end(self) -> None:
        self._state = "ended"
        for waiter in self._waiters:
            self._dispatch.remove_waiter(waiter)

    def wait(self, timeout: float | None = None) -> T:
        """Block until the expected event arrived (at once if it did already).

        Call it inside the ``with`` block. After a :class:`Timeout` the expectation
        still listens until the block ends: a later ``wait()`` may succeed.

        Args:
            timeout: Seconds; None waits for ever.

        Returns:
            The event (for :meth:`~realtime_sync.RealtimeClient.expect`) or the
            finished :class:`~realtime_sync.Response` (for
            :meth:`~realtime_sync.RealtimeClient.expect_response`).

        Raises:
            Timeout: Nothing matched in time.
            ConnectionClosed: The connection closed first.
            ValueError: A negative ``timeout``.
            RuntimeError: Called outside the ``with`` block (events arriving after
                it are not seen, so it could only time out), or on the reader
                thread (from a handler).
        """
        _check_timeout(timeout)
        if self._state != "open":
            raise RuntimeError(
                "Expectation.wait() must be called inside the with-block of expect(): "
                + (
                    "the expectation is not listening yet."
                    if self._state == "new"
                    else "it stopped listening when the block ended."
                )
            )
        self._check_thread("Expectation.wait()")
        last = self._waiters[-1]
        if not last.wait(timeout):
            raise Timeout(f"no {self._what} within {timeout} s")
        if last.error is not None:
            raise last.error
        return self._result()


class EventsAPI(ThreadedClient):
    """Handlers, error handlers, waits and counters (see the module docstring)."""

    def _use_catalog(self) -> None:
        """Key the dispatcher's registry by ``_events`` (from the constructor)."""
        if self._dispatch.registry.catalog is not self._events:
            self._dispatch.registry = HandlerRegistry(self._events)

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

        A type string (or prefix) that names no event this version knows is
        accepted (servers add events), with a warning
        (:class:`~realtime_sync.UnknownEventTypeWarning`) naming the closest known
        type: a typo would otherwise leave the handler silent for ever.

        Args:
            event: A server event class of the client's protocol (type-checked),
                a type string (for Realtime, GA or beta), ``"*"`` or a prefix like
                ``"response.*"``.
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
        resolve_key(event, self._events)  # validate now, also for the decorator form
        warn_if_unknown(event, 4, self._events)  # the caller of on() or once()
        registry = self._dispatch.registry
        if handler is None:

            def decorator(fn: Any) -> Any:
                registry.add(event, fn, once)
                return fn

            return decorator
        registry.add(event, handler, once)
        return handler

    def off(self, event: type[Event] | str, handler: Callable[[Any], Any]) -> bool:
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
        :meth:`on` matches handlers (classes, type strings, prefixes).

        Safe when the event can only come after the call: another thread causes it
        later, or it answers nothing you sent (the next ``speech_started``). Not
        after a send of your own: the answer may arrive (and be missed) before this
        call starts listening. Use :meth:`expect` (or :meth:`expect_response`)
        then, which listens from before the send.

        Args:
            event: An event class, a type string (for Realtime, GA or beta), or a
                ``"prefix.*"``.
            predicate: Called with each candidate event on the reader thread, with
                no lock held: it may call the client (even ``close()``). One that
                raises is logged and counts as no match.
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
        warn_if_unknown(event, 3, self._events)
        waiter = Waiter.for_event(event, predicate, self._events)
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

    @overload
    def expect(
        self, event: type[E], predicate: Callable[[E], bool] | None = None
    ) -> Expectation[E]: ...
    @overload
    def expect(
        self, event: str, predicate: Callable[[Any], bool] | None = None
    ) -> Expectation[Any]: ...

    def expect(self, event: Any, predicate: Any = None) -> Expectation[Any]:
        """Listen for an event from before the request that causes it is sent.

        ``wait_for()`` after a send can miss a fast answer (it starts listening
        only once called); an expectation starts when its ``with`` block is
        entered::

            with client.expect(ev.ConversationItemAdded) as added:
                client.send_text("Hello")
                event = added.wait(timeout=10)

        The first matching event after entering is kept; leaving the block stops
        listening. The event is matched as :meth:`wait_for` matches it.

        Args:
            event: An event class, a type string (for Realtime, GA or beta), or a
                ``"prefix.*"``.
            predicate: Called with each candidate event on the reader thread, with
                no lock held (as for :meth:`wait_for`). One that raises is logged
                and counts as no match.

        Returns:
            An :class:`~realtime_sync.Expectation`: enter it, send, then call its
            ``wait(timeout)`` inside the block, which returns the event.
        """
        warn_if_unknown(event, 3, self._events)
        waiter = Waiter.for_event(event, predicate, self._events)

        def result() -> Any:
            return waiter.result

        return Expectation(
            self._dispatch,
            (waiter,),
            result,
            _describe(event),
            self._check_thread,
            self._raise_if_closed,
        )


def _describe(event: Any) -> str:
    """``response.done`` for a class, the string itself for a string."""
    wire = getattr(event, "TYPE", None)
    return wire if isinstance(wire, str) else repr(event)


def _check_timeout(timeout: float | None) -> None:
    """Refuse a negative timeout (it would time out at once, as if nothing came)."""
    if timeout is not None and timeout < 0:
        raise ValueError(f"timeout must be >= 0 or None, not {timeout!r}")
