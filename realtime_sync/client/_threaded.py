"""The threaded machinery under a client: lifecycle, the channel, sending.

:class:`ThreadedClient` owns one channel at a time (from a
:class:`~realtime_sync.transport.Transport`), a Codec, a session core and a
:class:`~realtime_sync.client._dispatch.Dispatcher`. It is protocol-agnostic: a
client for another protocol subclasses it with its own events, codec and core
(anything with ``receive(event) -> Effects | None``, ``new_connection()``,
``sending(event, held=...)`` for the event types of its ``sending_types``,
``resending(event)``, ``withdraw(event)``, ``take_uncommitted()``,
``session_lost(exc, held)``, ``fail_all(exc)`` and ``input_format()``).

Threads and locks:

* The reader thread (the transport's) calls ``_on_frame`` (:mod:`._reader`): decode, then
  ``core.receive(event)`` under ``_lock``, then, with no lock held, the effects are
  carried out (sends, handles, handlers and waiters, callbacks). User code never
  runs under ``_lock``.
* Senders (any thread) go through :meth:`_send_event`, which reads the state without
  the lock on the hot path (an append is 50 calls a second per session) and takes it
  only while there is no session to send to: before ``connect()`` finished (events
  held for the first session) and while the connection is being replaced (held for
  the new session).
* The reconnect thread (:mod:`realtime_sync.client._reconnector`) talks to this class
  through the small :class:`~realtime_sync.client._reconnector.ReconnectHost`
  protocol, never through its fields.

``_lock`` guards: ``_state``, ``_channel``, ``_closed_exc``, ``_outage``,
``_limbo``, ``_early``, ``_connecting``, ``_reconnector`` and every call into the
core. ``_early_lock`` is held by ``connect()`` while it writes the events held
before it (outside ``_lock``), so that ``close()`` takes what is left only once
they are either written or back in ``_early``: each is then written or reported
unsent, never both.
"""

from __future__ import annotations

import enum
import itertools
import logging
import threading
import uuid
import weakref
from collections.abc import Callable, Mapping
from typing import Any, ClassVar, TypeVar

import attrs

from realtime_sync import events as ev
from realtime_sync.client._dispatch import Dispatcher, Waiter
from realtime_sync.client._endpoints import Endpoint
from realtime_sync.client._handle import ResponseHandle
from realtime_sync.client._lifetime import EXIT, Owned, describe_unsent, reclaim
from realtime_sync.client._registry import REALTIME_EVENTS, EventCatalog
from realtime_sync.events import ClientEvent, ServerEvent
from realtime_sync.exceptions import (
    ConnectError,
    ConnectionClosed,
    ConnectTimeout,
    QueueFull,
    RealtimeError,
    Timeout,
)
from realtime_sync.protocol import Codec
from realtime_sync.reconnect import OutageBuffer, ReconnectPolicy
from realtime_sync.recording import Recorder
from realtime_sync.transport import Channel, Transport

__all__ = ["ClientState", "HeldBatch", "ThreadedClient"]

_H = TypeVar("_H", bound=Callable[..., Any])

logger = logging.getLogger("realtime_sync.client")


class ClientState(enum.Enum):
    """Lifecycle of a client."""

    #: Not connected yet (also while ``connect()`` runs, until the session is set
    #: up); events sent meanwhile are held and sent once it is.
    UNOPENED = "unopened"
    OPEN = "open"
    #: The connection was lost and a :class:`ReconnectPolicy` is opening a new one;
    #: events sent meanwhile are held and sent once the new session is restored.
    RECONNECTING = "reconnecting"
    CLOSING = "closing"
    CLOSED = "closed"


@attrs.frozen
class HeldBatch:
    """What ``ReconnectingClient._take_held`` hands the reconnect thread.

    Attributes:
        events: Held events to write now (empty once the outage is over).
        over: The outage ended: the client is OPEN on the new connection again.
        closed: ``close()`` took over: stop.
        dead: The new connection died before the outage could end (its close
            came while still reconnecting): discard it and try again.
        dropped_ms: Input audio dropped during the outage (when ``over``).
    """

    events: list[ClientEvent]
    over: bool = False
    closed: bool = False
    dead: bool = False
    dropped_ms: int = 0


# Error codes of harmless races (§8.2): not worth a warning when nobody waits.
_BENIGN = frozenset(
    {
        "response_cancel_not_active",
        "item_truncate_invalid_item_id",
        "input_audio_buffer_commit_empty",
    }
)


class ThreadedClient:
    """Lifecycle, channel, sending and the reader pipeline of one client.

    Subclasses set ``_core`` (a session core) and may override :meth:`_setup`,
    :meth:`_restore`, :meth:`_closing`, :meth:`_detected` and :meth:`_interrupted`;
    :class:`~realtime_sync.client._outages.ReconnectingClient` adds what happens
    when a connection ends.
    """

    _core: Any
    #: The server events of the client's protocol (what handler keys name).
    _events: ClassVar[EventCatalog] = REALTIME_EVENTS

    def __init__(
        self,
        *,
        transport: Transport,
        endpoint_factory: Callable[[], Endpoint],
        codec: Codec | None,
        connect_timeout: float,
        reconnect: ReconnectPolicy | None,
        slow_handler_seconds: float,
        record: Any,
    ) -> None:
        self._transport = transport
        self._endpoint_factory = endpoint_factory
        self._codec = codec  # None: detected from the first frame ("auto")
        self._connect_timeout = connect_timeout
        self._dispatch = Dispatcher(slow_handler_seconds)
        self._lock = threading.Lock()
        self._state = ClientState.UNOPENED
        self._channel: Channel | None = None
        self._reader_ident: int | None = None
        self._closed_exc: ConnectionClosed | None = None
        # close(): the thread running the first call, and set once it finished.
        self._closer: threading.Thread | None = None
        self._close_done = threading.Event()
        self._session_created = threading.Event()
        self._ids = itertools.count(1)
        self._id_prefix = uuid.uuid4().hex[:8]
        self._record_path = record
        self._recorder: Recorder | None = None
        self._observer: Callable[[ServerEvent], None] | None = None
        # Set per channel when the dialect was given: the first frame is checked.
        self._check_dialect = False
        self._dialect_error: ConnectError | None = None
        self._reconnect_policy = reconnect
        self._established = False  # connect() completed once: reconnects allowed
        self._outage: OutageBuffer | None = None  # events held while RECONNECTING
        self._limbo: list[ClientEvent] = []  # refused by a dying connection
        self._early: list[ClientEvent] = []  # sent before connect() finished
        self._early_lock = threading.Lock()  # connect() writing them
        self._connecting = False  # connect() is running
        self._reconnector: Any = None  # a Reconnector while reconnecting
        self._renew_at: float | None = None  # unix time of a proactive renewal
        # User hooks by kind ("interrupt", "reconnecting", ...): tuples swapped in
        # under _lock, read without it.
        self._hook_table: dict[str, tuple[Callable[[Any], Any], ...]] = {}
        # Reclaimed without close() (see _lifetime): the transport's threads hold
        # this client only weakly; once unreferenced, its channels are closed.
        self._owned = Owned()
        self._finalizer = weakref.finalize(self, reclaim, self._owned)
        self._finalizer.atexit = False  # at exit EXIT closes it, flushing first
        # Counters for ``stats``: written on the reader (or reconnect) thread only.
        self._n_frames = 0
        self._n_protocol_errors = 0
        self._n_reconnects = 0
        self._dropped_audio_ms = 0

    # -- hooks --------------------------------------------------------------------------

    def _add_hook(self, kind: str, handler: _H) -> _H:
        """Register a user hook of ``kind``; returned, so it works as a decorator."""
        if not callable(handler):
            raise TypeError("handler must be callable")
        with self._lock:
            self._hook_table[kind] = (*self._hook_table.get(kind, ()), handler)
        return handler

    def _hooks(self, kind: str) -> tuple[Callable[[Any], Any], ...]:
        """The hooks of ``kind``, in registration order."""
        return self._hook_table.get(kind, ())

    def _warm(self) -> None:
        """Before the first connection: load what the session's first events need.

        Audio arrives as base64 that handlers read as numpy (``event.audio``); the
        module doing that imports numpy, 60-100 ms of CPU. Left to first use, the
        reader thread would pay it on the first audio delta, delaying that delta
        and every other session's reader (waiting for the GIL) by as much.
        ``connect()`` pays it once per process instead, before the handshake (a
        no-op when it is loaded already, as ``RealtimeClient`` does when built).
        """
        import realtime_sync.audio._base64  # noqa: F401 (loaded for its side effect)

    def _setup(self) -> None:
        """After ``session.created`` on the first connection (send the configuration)."""

    def _restore(self, channel: Channel) -> Any:
        """Restore the session on a new ``channel`` (a reconnection); return a summary."""

    def _closing(self, timeout: float) -> None:
        """``close()`` is ending: stop what the subclass started (tool threads)."""

    def _on_close(self, channel: Channel | None, closed: ConnectionClosed) -> None:
        """Called by the transport of ``channel`` once, when that connection ends.

        :class:`~realtime_sync.client._outages.ReconnectingClient` decides between
        ending the client and reconnecting.
        """
        raise NotImplementedError

    def _renew(self) -> None:
        """Renew the session before it expires (see ``ReconnectingClient``)."""

    def _on_frame(self, text: str) -> None:
        """A text frame from the channel (see :class:`ReadingClient`)."""
        raise NotImplementedError

    def _on_binary(self, data: bytes) -> None:
        """A binary frame from the channel (see :class:`ReadingClient`)."""
        raise NotImplementedError

    def _fail_all(self, exc: BaseException, held: frozenset[str] | None = None) -> None:
        """Fail every waiter and response handle (see :class:`ReadingClient`)."""
        raise NotImplementedError

    # -- lifecycle ------------------------------------------------------------------------

    @property
    def state(self) -> ClientState:
        """The lifecycle state."""
        return self._state

    @property
    def session_info(self) -> Any:
        """The session as the server last described it (``session.created/updated``)."""
        return self._core.session_info

    @property
    def is_connected(self) -> bool:
        """Whether the connection is open (``session.created`` was received)."""
        channel = self._channel
        return (
            self._state is ClientState.OPEN and channel is not None and channel.is_open
        )

    def _connect(self) -> None:
        self._check_thread("connect()", unopened_ok=True)
        with self._lock:
            if self._state is ClientState.OPEN or self._connecting:
                raise RuntimeError("The client is already connected.")
            if self._state is not ClientState.UNOPENED:
                raise RuntimeError("Cannot reopen a client once it has been closed.")
            self._connecting = True
        EXIT.add(self)  # closed (with a bounded flush) at exit if not before
        try:
            self._warm()
            endpoint = self._endpoint_factory()
            if self._record_path is not None:
                self._recorder = Recorder(self._record_path)
            channel = self._open_channel(endpoint)
            with self._lock:
                if self._state is not ClientState.UNOPENED:
                    raise self._closed_exc or ConnectionClosed(
                        "close() was called while connecting."
                    )
                self._channel = channel
            channel.connect()
            self._wait_session_created(channel)
            self._setup()
            self._send_early(channel)
        except BaseException:
            self.close(timeout=1.0)
            raise
        finally:
            self._connecting = False

    def _send_early(self, channel: Channel) -> None:
        """Write the events sent before ``connect()`` finished, in order; then OPEN.

        As the reconnect thread does with the events of an outage: under ``_lock``
        the state becomes OPEN only once none is left, so that a concurrent send
        either joins the list before the last batch or goes straight to the channel.
        """
        with self._early_lock:
            while True:
                with self._lock:
                    if self._state is not ClientState.UNOPENED:
                        return  # close() came first: it reports what is left
                    early, self._early = self._early, []
                    if not early:
                        self._state = ClientState.OPEN
                        self._established = True
                        return
                for i, event in enumerate(early):
                    try:
                        self._write_early(channel, event)
                    except BaseException:
                        with self._lock:
                            self._early[:0] = early[i:]
                        raise

    def _write_early(self, channel: Channel, event: ClientEvent) -> None:
        """Write one event held before ``connect()``; waits for room if needed."""
        try:
            self._write_waiting(channel, event)
        except (TypeError, ValueError) as exc:
            # Checked when it was sent, but in GA: a server found to speak beta
            # (dialect="auto") may not be able to express it.
            logger.error("could not send %s held before connect(): %s", event.type, exc)

    def _open_channel(
        self, endpoint: Endpoint, headers: Mapping[str, str] | None = None
    ) -> Channel:
        """A channel for ``endpoint`` (plus extra ``headers``), not yet connected.

        Its callbacks reach this client through a weak reference: the transport's
        threads must not keep a client nobody else references alive (see
        :mod:`realtime_sync.client._lifetime`). Per frame that costs one call and
        one dereference.
        """
        ref = weakref.ref(self)
        channel: Channel | None = None

        def on_message(text: str) -> None:
            client = ref()
            if client is not None:
                client._on_frame(text)

        def on_binary(data: bytes) -> None:
            client = ref()
            if client is not None:
                client._on_binary(data)

        def on_close(closed: ConnectionClosed) -> None:
            client = ref()
            if client is not None:
                client._on_close(channel, closed)

        self._check_dialect = self._codec is not None
        channel = self._transport.open(
            endpoint.url,
            headers={**endpoint.headers, **(headers or {})},
            on_message=on_message,
            on_close=on_close,
            on_binary=on_binary,
            secrets=(*endpoint.secrets, *(headers or {}).values()),
        )
        self._owned.track(channel)
        return channel

    def _wait_session_created(self, channel: Channel) -> None:
        waited = self._session_created.wait(self._connect_timeout)
        if self._dialect_error is not None:
            raise self._dialect_error
        if not waited:
            channel.raise_if_failed()
            self._raise_if_closed()
            raise ConnectTimeout(f"no session.created within {self._connect_timeout} s")
        channel.raise_if_failed()
        self._raise_if_closed()
        if not channel.is_open:
            raise ConnectionClosed(
                "the connection closed before session.created",
                code=channel.close_code,
                reason=channel.close_reason,
            )

    def close(self, timeout: float = 5.0) -> None:
        """Close the connection and join the threads. Idempotent; safe in a handler.

        Events still queued are not sent; they are logged and kept in
        ``ConnectionClosed.unsent`` of what later calls raise. Closing while
        reconnecting stops the reconnection; the events held meanwhile are unsent.
        So are events sent before ``connect()`` when it failed or was never called.
        Safe from a handler, a ``wait_for`` predicate, a reconnect hook or a tool
        function (the threads it runs on are not joined by themselves).

        A call while another thread is closing waits (up to ``timeout``) for that
        close to finish, so that the client is CLOSED and its threads joined when
        it returns. Called from a thread that close waits for (a handler, a
        reconnect hook, a tool), it returns at once instead.

        Args:
            timeout: Seconds to wait for the queue to drain and the peer to close.
        """
        current = threading.current_thread()
        with self._lock:
            first = self._state not in (ClientState.CLOSING, ClientState.CLOSED)
            if first:
                self._closer = current
                self._state = ClientState.CLOSING
                held = self._outage.take() if self._outage is not None else []
                self._outage = None
                held += self._limbo
                self._limbo = []
                reconnector = self._reconnector
        if not first:
            # The first close() may be waiting for this very thread (a handler
            # calling close() while another thread closes): never wait here then.
            if current is not self._closer and not self._on_inner_thread():
                self._close_done.wait(timeout)
            return
        try:
            self._close_steps(timeout, held, reconnector)
        finally:
            with self._lock:
                self._state = ClientState.CLOSED
            self._finalizer.detach()  # nothing left to reclaim
            EXIT.discard(self)
            self._close_done.set()

    def _close_steps(
        self, timeout: float, held: list[ClientEvent], reconnector: Any
    ) -> None:
        """close() after the state became CLOSING: stop and join, report the unsent."""
        if reconnector is not None:
            reconnector.stop()
        channel = self._channel
        unsent: tuple[object, ...] = ()
        if channel is not None:
            unsent = channel.close(timeout=timeout)
        # Events sent before connect() and not written: taken once connect() (if it
        # is writing them) stopped, which the closed channel makes it do at once.
        with self._early_lock, self._lock:
            held = [*self._early, *held]
            self._early = []
        unsent = (*unsent, *held)
        if reconnector is not None:
            # Wakes a reconnection waiting for the new session, then joins it.
            self._fail_all(ConnectionClosed("the client was closed", code=1000))
            reconnector.join(timeout)
        if unsent:
            logger.warning("closed with events not sent (%s)", describe_unsent(unsent))
        if self._recorder is not None:
            self._recorder.close()
        self._closing(timeout)
        exc = self._closed_exc
        if exc is None:
            exc = ConnectionClosed("the client was closed", code=1000, unsent=unsent)
        elif held:  # the connection ended first (connect() failed): add them
            exc = _with_unsent(exc, held)
        self._closed_exc = exc
        self._fail_all(exc)

    def _on_inner_thread(self) -> bool:
        """Whether the calling thread is one that ``close()`` joins or waits for.

        The reader (handlers, predicates), the reconnect thread (hooks), and what a
        subclass adds (:meth:`_owns_thread`: tool threads).
        """
        if threading.get_ident() == self._reader_ident:
            return True
        reconnector = self._reconnector
        if reconnector is not None and reconnector.on_its_thread():
            return True
        return self._owns_thread()

    def _owns_thread(self) -> bool:
        """Whether the calling thread is one the subclass started (tool workers)."""
        return False

    # -- sending ----------------------------------------------------------------------

    def _new_id(self) -> str:
        return f"evt_{self._id_prefix}_{next(self._ids)}"

    def _send_with_id(self, event: Any) -> str:
        """Queue ``event`` (given a fresh ``event_id`` when it has none); the id."""
        if not isinstance(event.event_id, str):
            event = attrs.evolve(event, event_id=self._new_id())
        event_id: str = event.event_id
        self._send_event(event)
        return event_id

    def _send_event(self, event: ClientEvent) -> None:
        state = self._state
        if state is not ClientState.OPEN:
            if state in (ClientState.CLOSING, ClientState.CLOSED):
                raise self._closed_exc or ConnectionClosed("the client is closed")
            if state is ClientState.RECONNECTING and self._hold(event):
                return
            if state is ClientState.UNOPENED and self._hold_early(event):
                return
        if self._closed_exc is not None:
            raise self._closed_exc
        channel = self._channel
        if channel is None:
            raise RuntimeError("Call connect() (or use 'with client:') before sending.")
        tracked = type(event) in self._core.sending_types
        if tracked:
            with self._lock:
                self._core.sending(event)
        try:
            self._write(channel, event)
        except ConnectionClosed:
            if self._reconnect_policy is None or not self._hold_refused(channel, event):
                raise
            if tracked:  # held: logged again when the new connection gets it
                with self._lock:
                    self._core.withdraw(event)
        except BaseException:
            if tracked:  # not sent (QueueFull, ...): not part of the session
                with self._lock:
                    self._core.withdraw(event)
            raise

    def _send_prepared(self, event: ClientEvent, text: str) -> None:
        """:meth:`_send_event` for an event whose wire text the caller built.

        The append hot path: on an open client whose core does not track the event
        (no input audio log), ``text`` goes to the channel as it is; otherwise the
        event takes the ordinary way (encoded by the codec, held, logged).
        """
        channel = self._channel
        if (
            self._state is not ClientState.OPEN
            or channel is None
            or self._closed_exc is not None
            or self._codec is None
            or type(event) in self._core.sending_types
        ):
            self._send_event(event)
            return
        try:
            channel.send(text, event)
        except ConnectionClosed:
            if self._reconnect_policy is None or not self._hold_refused(channel, event):
                raise
        if self._recorder is not None:
            self._recorder.write("send", text)

    def _encode(self, event: ClientEvent) -> str:
        """The wire text of ``event`` (GA until an ``"auto"`` dialect is detected)."""
        return (self._codec or Codec("ga")).encode_client(event)

    def _write(self, channel: Channel, event: ClientEvent) -> None:
        """Encode ``event`` and queue it on ``channel`` (no state checks)."""
        # The send hot path: _encode() inlined (a call less per append).
        text = (self._codec or Codec("ga")).encode_client(event)
        channel.send(text, event)
        if self._recorder is not None:
            self._recorder.write("send", text)

    def _write_waiting(self, channel: Channel, event: ClientEvent) -> None:
        """:meth:`_write`, waiting once for the queue to drain when it is full.

        For the threads that write many held events at once (``connect()`` and the
        reconnection), which may wait; never on a caller's ``send()``.
        """
        try:
            self._write(channel, event)
        except QueueFull:  # many held events: let the socket catch up
            channel.flush(self._connect_timeout)
            self._write(channel, event)

    def _hold(self, event: ClientEvent) -> bool:
        """Hold ``event`` for the new session while reconnecting; False if not."""
        self._encode(event)  # bad events fail here
        with self._lock:
            if self._state is not ClientState.RECONNECTING or self._outage is None:
                return False
            self._core.sending(event, held=True)
            self._outage.add(event)
        return True

    def _hold_early(self, event: ClientEvent) -> bool:
        """Hold ``event`` until ``connect()`` set the session up; False if it did.

        Raises:
            ConnectionClosed: The client was closed, or the connection being opened
                ended.
        """
        self._encode(event)  # bad events fail here
        with self._lock:
            state = self._state
            if state is ClientState.OPEN:
                return False  # connect() finished meanwhile: send it now
            if state is not ClientState.UNOPENED or self._closed_exc is not None:
                raise self._closed_exc or ConnectionClosed("the client is closed")
            if type(event) is ev.SessionUpdate:
                self._core.sending(event)
            self._early.append(event)
        if len(self._early) == 1:
            EXIT.add(self)  # at exit, close() reports them if still held
        return True

    def _hold_refused(self, channel: Channel, event: ClientEvent) -> bool:
        """A dying connection refused ``event``: hold it if a reconnect may follow.

        The transport refuses sends as soon as the connection ended, a moment
        before the client hears about it (``_on_close``). Until then the event goes
        to limbo: held for the new session if a reconnection starts, else reported
        in the ``unsent`` of the ConnectionClosed passed to ``on_error``.
        """
        with self._lock:
            if self._state is ClientState.RECONNECTING and self._outage is not None:
                self._outage.add(event)
                return True
            if (
                self._state is ClientState.OPEN
                and self._established
                and channel is self._channel
                and self._closed_exc is None
            ):
                self._limbo.append(event)
                return True
        return False

    def _request(self, handle: ResponseHandle, event: ev.ResponseCreate) -> None:
        """Send a ``response.create`` now, or leave it queued in the core."""
        with self._lock:
            now = self._core.request_response(handle, event)
        if now:
            self._send_request(handle, event, raise_errors=True)

    def _send_request(
        self, handle: ResponseHandle, event: ev.ResponseCreate, *, raise_errors: bool
    ) -> None:
        try:
            self._send_event(event)
        except BaseException as exc:
            with self._lock:
                self._core.request_failed(handle)
            if raise_errors:
                raise
            handle._fail(exc)  # closed meanwhile: the waiter learns why

    def _send_and_wait(
        self,
        event: Any,  # a client event of the client's protocol
        answer: type[Any],  # a server event class of ``_events``
        timeout: float | None,
        *,
        channel: Channel | None = None,
        predicate: Callable[[Any], bool] | None = None,
    ) -> Any:
        event_id = self._new_id()
        event = attrs.evolve(event, event_id=event_id)
        waiter = Waiter.for_event(answer, predicate, self._events)
        self._raise_if_closed()
        self._dispatch.add_waiter(waiter, event_id)
        try:
            self._raise_if_closed()  # see wait_for: a close either seen or failing us
            if channel is None:
                self._send_event(event)
            else:  # a reconnection restoring the session on its new channel
                self._write(channel, event)
            if not waiter.wait(timeout):
                raise Timeout(f"no {answer.TYPE} within {timeout} s")
        finally:
            self._dispatch.remove_waiter(waiter, event_id)
        if waiter.error is not None:
            raise waiter.error
        assert waiter.result is not None
        return waiter.result

    def _check_thread(self, what: str, *, unopened_ok: bool = False) -> None:
        """Raise RuntimeError if blocking in ``what`` here would wait for itself.

        The reader thread (handlers, predicates) and the reconnect thread (reconnect
        hooks) deliver what the blocking helpers wait for; both are refused at once.
        So is waiting for an answer before ``connect()`` was called (unless
        ``unopened_ok``: ``wait_for()`` may wait for a connection another thread
        opens).
        """
        if (
            not unopened_ok
            and self._state is ClientState.UNOPENED
            and not self._connecting
        ):
            raise RuntimeError(
                f"{what} waits for an answer and the client is not connected: call "
                "connect() (or use 'with client:') before waiting. Events sent "
                "before connect() without waiting are held and sent once connected."
            )
        if (
            self._reader_ident is not None
            and threading.get_ident() == self._reader_ident
        ):
            raise RuntimeError(
                f"{what} blocks and cannot be called from a handler: handlers run on the "
                "reader thread, which would wait for itself. Use a handler for the "
                "event instead, or call it from another thread."
            )
        reconnector = self._reconnector
        if reconnector is not None and reconnector.on_its_thread():
            raise RuntimeError(
                f"{what} blocks and cannot be called from an on_reconnecting or "
                "on_reconnected hook (or a handler called during a reconnection): "
                "they run on the reconnect thread, which would wait for itself while "
                "every send is held. Call it from another thread."
            )
        channel = self._channel
        if channel is not None:
            channel.raise_if_failed()

    def _raise_if_closed(self) -> None:
        if self._closed_exc is not None:
            raise self._closed_exc

    def _report(self, error: RealtimeError) -> None:
        """Pass ``error`` to the ``on_error`` handlers."""
        self._dispatch.report(error)


def _with_unsent(
    closed: ConnectionClosed, extra: list[ClientEvent]
) -> ConnectionClosed:
    """``closed`` with ``extra`` events added to its ``unsent``."""
    again = ConnectionClosed(
        str(closed),
        code=closed.code,
        reason=closed.reason,
        unsent=(*closed.unsent, *extra),
    )
    again.__cause__ = closed.__cause__
    return again
