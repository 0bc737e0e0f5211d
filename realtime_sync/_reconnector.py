"""The reconnect thread: backoff, a new connection, restoration, then the held events.

One :class:`Reconnector` per outage, started by the client when its connection ends
with a close code the :class:`~realtime_sync.reconnect.ReconnectPolicy` retries. It
runs on the ``realtime-sync-reconnect`` thread (a daemon thread that
:meth:`RealtimeClient.close` stops and joins):

1. ``on_reconnecting`` handlers see a :class:`ReconnectAttempt` (they may change
   headers or abort); then the backoff delay, cut short by ``close()``.
2. A new :class:`~realtime_sync.transport.Connection` from the client's endpoint
   factory (so a ``token_provider`` is called again) becomes the client's connection;
   the client waits for its ``session.created``.
3. Restoration, on that connection directly (user events are still being held): one
   ``session.update`` with every update sent so far merged, then the conversation's
   items with their old ids (``restore_conversation=True``), confirmed by the echo of
   the last one.
4. The events held during the outage are written in order; under the client's lock
   the state goes back to OPEN when none is left, so that a concurrent send either
   lands in the buffer before the last drain or goes straight to the new connection.
5. ``on_reconnected`` handlers get a :class:`Reconnected`.

A failed attempt is closed after being detached from the client (its ``on_close``
is then ignored), and the next one starts from step 1. Authentication errors and
other handshake client errors end the outage at once; so do ``attempt.abort()`` and
running out of attempts. The client then ends as if no reconnection had been tried:
``on_error`` gets a :class:`ConnectionClosed` whose ``unsent`` lists the held events.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

import attrs

from realtime_sync import events as ev
from realtime_sync._formats import bytes_per_second, session_format
from realtime_sync._resources import client_event_from_dict
from realtime_sync.client import ClientState
from realtime_sync.exceptions import (
    ConnectError,
    ConnectionClosed,
    HandlerError,
    QueueFull,
    RealtimeError,
    ServerError,
)
from realtime_sync.reconnect import ReconnectAttempt, Reconnected, restorable_items

if TYPE_CHECKING:
    from realtime_sync.client import RealtimeClient
    from realtime_sync.conversation import ConversationItem
    from realtime_sync.transport import Connection

__all__ = ["Reconnector"]

logger = logging.getLogger("realtime_sync.client")


@attrs.frozen
class _Restored:
    session_restored: bool
    restored_items: int
    skipped_items: int


class Reconnector:
    """Runs one outage's reconnection on its own thread (see the module docstring)."""

    def __init__(
        self,
        client: RealtimeClient,
        closed: ConnectionClosed,
        previous: Reconnector | None = None,
        retire: Connection | None = None,
    ) -> None:
        self._client = client
        self._closed = closed
        self._previous = previous
        # A proactive renewal: the old connection, still open, to close first.
        self._retire = retire
        self._stop = threading.Event()
        self._rng = random.Random()
        self._started = time.monotonic()
        self._thread = threading.Thread(
            target=self._run, name="realtime-sync-reconnect", daemon=True
        )
        self.done = False  # the outage is over (restored or given up); client lock

    @property
    def alive(self) -> bool:
        """Whether the thread is still running."""
        return self._thread.is_alive()

    def start(self) -> None:
        """Start the thread."""
        self._thread.start()

    def stop(self) -> None:
        """Stop at the next step (``close()`` was called)."""
        self._stop.set()

    def join(self, timeout: float | None) -> None:
        """Join the thread (unless called on it), and any previous one."""
        if threading.current_thread() is not self._thread:
            self._thread.join(timeout)
            if self._thread.is_alive():
                logger.warning("the reconnect thread did not end in time")
        if self._previous is not None:
            self._previous.join(timeout)

    # -- the thread --------------------------------------------------------------

    def _run(self) -> None:
        if self._previous is not None:
            self._previous.join(None)  # it was only running its last handlers
            self._previous = None
        try:
            if self._retire is not None:
                self._close_retired(self._retire)
            self._loop()
        except Exception as exc:  # a bug: end the outage rather than hang in it
            logger.exception("the reconnect thread failed")
            self._give_up(
                ConnectError(f"reconnecting failed: {type(exc).__name__}"), 0, False
            )

    def _loop(self) -> None:
        client = self._client
        policy = client._reconnect_policy
        assert policy is not None
        previous_items = tuple(client.conversation.items)
        if not policy.restore_conversation:
            client.conversation.clear()  # the new session starts empty
        cause: RealtimeError = self._closed
        headers: dict[str, str] = {}
        not_before = 0.0
        attempt = 0
        while not self._stop.is_set():
            attempt += 1
            if policy.max_attempts is not None and attempt > policy.max_attempts:
                self._give_up(cause, attempt - 1, False)
                return
            proactive = self._retire is not None
            delay = max(not_before, policy.delay(attempt, self._rng))
            if proactive and attempt == 1:
                delay = 0.0  # nothing failed: no reason to wait
            info = ReconnectAttempt(
                attempt=attempt,
                delay=delay,
                cause=cause,
                headers=dict(headers),
                proactive=proactive,
            )
            self._call(client._reconnecting_handlers, info)
            if info.aborted:
                self._give_up(cause, attempt - 1, True)
                return
            headers = dict(info.headers)
            if self._stop.wait(info.delay):
                return
            try:
                restored, conn = self._attempt(headers, previous_items)
            except RealtimeError as exc:
                if self._stop.is_set():
                    return
                logger.info("reconnection attempt %d failed: %s", attempt, exc)
                if not policy.retries_error(exc):
                    self._give_up(exc, attempt, False)
                    return
                cause = exc
                retry_after = getattr(exc, "retry_after", None)
                not_before = retry_after if isinstance(retry_after, float) else 0.0
                continue
            resent, dropped_ms = self._send_held(conn)
            if resent < 0:
                continue  # the new connection died while sending: next attempt
            self._finish(attempt, restored, resent, dropped_ms, previous_items)
            return

    def _attempt(
        self, headers: dict[str, str], previous_items: tuple[ConversationItem, ...]
    ) -> tuple[_Restored, Connection]:
        """Connect, wait for the session, restore it; the connection on success."""
        client = self._client
        try:
            endpoint = client._endpoint_factory()  # calls a token provider again
        except RealtimeError:
            raise
        except Exception as exc:
            raise ConnectError(
                f"building the endpoint failed: {type(exc).__name__}"
            ) from None
        conn = client._new_connection(endpoint, headers)
        with client._lock:
            if client._state is not ClientState.RECONNECTING:
                raise ConnectionClosed("the client was closed while reconnecting")
            client._conn = conn
            client._session_created = threading.Event()
            client._received_samples.clear()
            client._last_audio = None
            client._suppressed.clear()
            client._response_items.clear()
        try:
            conn.connect()
            client._wait_session_created(conn)
            restored = self._restore(conn, previous_items)
        except BaseException:
            self._discard(conn)
            raise
        return restored, conn

    def _restore(
        self, conn: Connection, previous_items: tuple[ConversationItem, ...]
    ) -> _Restored:
        client = self._client
        policy = client._reconnect_policy
        assert policy is not None
        timeout = client._connect_timeout
        session_restored = False
        update = client._restore_session_event()
        if update is not None:
            try:
                client._send_and_wait(update, ev.SessionUpdated, timeout, conn=conn)
                session_restored = True
            except ServerError as exc:
                logger.warning(
                    "the new session refused the last configuration: %s", exc
                )
                client._report(exc)
        bodies: list[dict[str, Any]] = []
        skipped = 0
        if policy.restore_conversation:
            bodies, skipped = restorable_items(previous_items)
        for i, body in enumerate(bodies):
            event = client_event_from_dict(
                {"type": "conversation.item.create", "item": body}
            )
            if i < len(bodies) - 1:
                client._write(conn, attrs.evolve(event, event_id=client._new_id()))
                continue
            try:
                client._send_and_wait(
                    event,
                    ev.ConversationItemAdded,
                    timeout,
                    conn=conn,
                    predicate=_item_is(body["id"]),
                )
            except ServerError as exc:
                logger.warning("the new session refused a restored item: %s", exc)
                client._report(exc)
        return _Restored(session_restored, len(bodies), skipped)

    def _send_held(self, conn: Connection) -> tuple[int, int]:
        """Write the held events; ``(sent, dropped ms)``, or ``(-1, 0)`` if it died."""
        client = self._client
        sent = 0
        while True:
            with client._lock:
                outage = client._outage
                if client._state is not ClientState.RECONNECTING or outage is None:
                    return sent, 0  # close() took over
                held = outage.take()
                if not held:
                    rate = bytes_per_second(
                        session_format(client.session_info, "input")
                    )
                    dropped_ms = outage.dropped_audio_bytes * 1000 // rate
                    client._outage = None
                    client._state = ClientState.OPEN
                    self.done = True
                    return sent, dropped_ms
            for i, event in enumerate(held):
                try:
                    try:
                        client._write(conn, event)
                    except QueueFull:  # many held events: let the socket catch up
                        conn.flush(client._connect_timeout)
                        client._write(conn, event)
                except RealtimeError:  # closed, or a flush that timed out
                    with client._lock:
                        if client._outage is not None:
                            client._outage.put_back(held[i:])
                    self._discard(conn)
                    return -1, 0
                sent += 1

    def _finish(
        self,
        attempts: int,
        restored: _Restored,
        resent: int,
        dropped_ms: int,
        previous_items: tuple[ConversationItem, ...],
    ) -> None:
        client = self._client
        if dropped_ms:
            logger.warning(
                "dropped %d ms of input audio appended while reconnecting (only the "
                "newest %g s are kept)",
                dropped_ms,
                client._reconnect_policy.audio_buffer_seconds
                if client._reconnect_policy
                else 0,
            )
        client._n_reconnects += 1
        client._dropped_audio_ms += dropped_ms
        info = Reconnected(
            attempts=attempts,
            downtime=time.monotonic() - self._started,
            cause=self._closed,
            session_restored=restored.session_restored,
            restored_items=restored.restored_items,
            skipped_items=restored.skipped_items,
            resent_events=resent,
            dropped_audio_ms=dropped_ms,
            previous_items=previous_items,
            proactive=self._retire is not None,
        )
        logger.info(
            "reconnected after %d attempt(s) and %.2f s", attempts, info.downtime
        )
        self._call(client._reconnected_handlers, info)

    def _give_up(self, cause: RealtimeError, attempts: int, aborted: bool) -> None:
        """End the outage without a new session: report it like a lost connection."""
        client = self._client
        with client._lock:
            if client._state is not ClientState.RECONNECTING:
                return  # close() came first
            held = client._outage.take() if client._outage is not None else []
            client._outage = None
            client._state = ClientState.OPEN  # ended: _closed_exc says so
            self.done = True
        closed = self._closed
        how = (
            "an on_reconnecting handler aborted the reconnection"
            if aborted
            else f"reconnecting failed after {attempts} attempt(s)"
        )
        detail = "" if cause is closed else f": {cause}"
        exc = ConnectionClosed(
            f"The connection was lost (code {closed.code}) and {how}{detail}",
            code=closed.code,
            reason=closed.reason,
            unsent=tuple(held),  # the lost connection's unsent events are in there
        )
        exc.__cause__ = None if cause is closed else cause
        client._closed_exc = exc
        client._fail_all(exc)
        logger.warning("%s", exc)
        client._report(exc)

    def _close_retired(self, conn: Connection) -> None:
        """Close the connection of a session being renewed; hold what it did not send."""
        client = self._client
        with client._lock:
            if client._conn is conn:
                client._conn = None  # its on_close is not a loss to react to
        unsent = conn.close(timeout=client._connect_timeout)
        with client._lock:
            if client._outage is not None:
                client._outage.put_back(
                    [e for e in unsent if isinstance(e, ev.ClientEvent)]
                )

    def _discard(self, conn: Connection) -> None:
        """Detach a failed attempt's connection from the client, then close it."""
        client = self._client
        with client._lock:
            if client._conn is conn:
                client._conn = None
        conn.close(timeout=1.0)

    def _call(self, handlers: Iterable[Callable[[Any], Any]], info: Any) -> None:
        for handler in handlers:
            try:
                handler(info)
            except Exception as exc:
                name = getattr(handler, "__qualname__", repr(handler))
                logger.exception("reconnect handler %s raised", name)
                err = HandlerError(f"reconnect handler {name} raised", handler=handler)
                err.__cause__ = exc
                self._client._report(err)


def _item_is(item_id: str) -> Callable[[Any], bool]:
    """A ``wait_for`` predicate: an item event about ``item_id``."""
    return lambda event: getattr(event.item, "id", None) == item_id
