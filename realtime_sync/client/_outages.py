"""Outages: what a lost connection leads to, and the reconnection host.

:class:`ReconnectingClient` adds to :class:`ThreadedClient` the decision taken when a
connection ends (end the client, or hold what is sent and reconnect), proactive
renewal before a session expires, and the
:class:`~realtime_sync.client._reconnector.ReconnectHost` methods the reconnect thread
calls. Locks: everything here that touches the state takes the client's ``_lock``,
briefly, and never around user code or I/O.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping
from typing import Any

from realtime_sync._formats import bytes_per_second
from realtime_sync.client._reader import ReadingClient
from realtime_sync.client._threaded import (
    ClientState,
    HeldBatch,
    _with_unsent,
)
from realtime_sync.events import ClientEvent
from realtime_sync.exceptions import (
    AudioLost,
    ConnectError,
    ConnectionClosed,
    ProtocolError,
    RealtimeError,
)
from realtime_sync.reconnect import (
    OutageBuffer,
    ReconnectAttempt,
    Reconnected,
    ReconnectPolicy,
)
from realtime_sync.session import Effects
from realtime_sync.transport import Channel

__all__ = ["ReconnectingClient"]

logger = logging.getLogger("realtime_sync.client")


class ReconnectingClient(ReadingClient):
    """Lost connections, outages and the reconnect host (see the module docstring)."""

    #: What started the current (or last) outage.
    _outage_cause: ConnectionClosed | None = None

    def on_reconnecting(
        self, handler: Callable[[ReconnectAttempt], Any]
    ) -> Callable[[ReconnectAttempt], Any]:
        """Register a handler called before each reconnection attempt (decorator or call).

        It receives a :class:`~realtime_sync.reconnect.ReconnectAttempt` on the
        ``realtime-sync-reconnect`` thread: it may change ``attempt.headers`` (a fresh
        token) or call ``attempt.abort()`` to give up. If it raises, that is reported
        to ``on_error`` handlers and the attempt goes ahead. Blocking helpers
        (``ask()``, ``wait_for()``, ``flush()``, ...) raise RuntimeError at once
        there, as in a handler: the reconnection would wait for itself.
        """
        return self._add_hook("reconnecting", handler)

    def on_reconnected(
        self, handler: Callable[[Reconnected], Any]
    ) -> Callable[[Reconnected], Any]:
        """Register a handler called once a new session replaced a lost one.

        It receives a :class:`~realtime_sync.reconnect.Reconnected` (attempts,
        downtime, what was restored and re-sent) on the ``realtime-sync-reconnect``
        thread, after the session (and conversation) were restored and the events
        held during the outage were sent. As in ``on_reconnecting``, blocking helpers
        raise RuntimeError there; sending is fine.
        """
        return self._add_hook("reconnected", handler)

    def _previous_items_for_outage(self) -> tuple[Any, ...]:
        """The conversation before an outage (ReconnectHost); none by default."""
        return ()

    def _session_ended(self, closed: ConnectionClosed, message: str) -> None:
        """The connection ended after the server ended the session, as asked.

        For a protocol with an end of session (``session.closed`` of Live and
        Translation): not a loss to report or to reconnect from. Waiters fail with
        a :class:`ConnectionClosed` saying ``message`` (or the error the client
        was closed with).
        """
        with self._lock:
            if self._closed_exc is None:
                self._closed_exc = ConnectionClosed(
                    message, code=closed.code, reason=closed.reason
                )
            exc = self._closed_exc
        self._fail_all(exc)

    def _on_close(self, channel: Channel | None, closed: ConnectionClosed) -> None:
        """Called by the transport of ``channel`` once, when that connection ends."""
        cause = closed.__cause__
        with self._lock:
            if channel is not self._channel:
                return  # a channel replaced by a reconnection: nothing to say
            state = self._state
            user_closing = state in (ClientState.CLOSING, ClientState.CLOSED)
            limbo, self._limbo = self._limbo, []
            policy = self._reconnect_policy
            reconnect = (
                not user_closing
                and self._established
                and policy is not None
                and (
                    state is ClientState.RECONNECTING
                    or policy.retries_close(closed.code)
                )
            )
            held: frozenset[str] = frozenset()
            if reconnect and state is ClientState.OPEN:
                # The session's own connection: what it had not written yet goes
                # to the new session (after the input audio it had not committed,
                # see _replay_locked). (A connection of a reconnection attempt only
                # carried the restoration, which the next attempt sends again, and
                # held events, whose input audio the core logged.)
                self._begin_outage_locked()
                assert self._outage is not None
                self._outage.extend((*closed.unsent, *limbo))
            if reconnect and self._outage is not None:
                held = self._outage.event_ids()
            if not reconnect:
                # Under the lock, so that a send refused from now on raises this
                # instead of going to limbo (see _hold_refused).
                if limbo:
                    closed = _with_unsent(closed, limbo)
                if self._closed_exc is None:
                    self._closed_exc = closed
        if isinstance(cause, ProtocolError) and not user_closing:
            self._n_protocol_errors += 1
            self._dispatch.report(cause)
        if reconnect:
            logger.info(
                "connection lost (code=%s reason=%r); reconnecting",
                closed.code,
                closed.reason,
            )
            # Blocking helpers waiting on the old session fail, except those whose
            # request the old session never received: it goes to the new one.
            self._fail_all(closed, held=held)
            self._start_reconnect(closed)
            return
        assert self._closed_exc is not None
        self._fail_all(self._closed_exc)
        if not user_closing:
            logger.info(
                "connection closed by the peer: code=%s reason=%r",
                closed.code,
                closed.reason,
            )
            self._dispatch.report(closed)

    # -- reconnection ------------------------------------------------------------------

    def _begin_outage_locked(self) -> None:
        """OPEN -> RECONNECTING, with an empty outage buffer (``_lock`` held)."""
        policy = self._reconnect_policy
        assert policy is not None
        rate = bytes_per_second(self._core.input_format())
        self._outage = OutageBuffer(int(policy.audio_buffer_seconds * rate))
        self._state = ClientState.RECONNECTING

    def _replay_locked(self) -> None:
        """Hold first what the last connection's session had and lost (``_lock``).

        Called before each new connection: the input audio the lost session had
        not committed (appends, and commits it did not acknowledge; the core logs
        them as they are written) goes ahead of the held events, which are all
        newer (a written event is older than any event not written). Events still
        held are not repeated. Audio beyond the buffer's bound is dropped and
        counted, oldest first.
        """
        outage = self._outage
        assert outage is not None
        held = outage.take()
        replay, lost_ms = self._core.take_uncommitted()
        known = {_key(e) for e in held}
        outage.put_back([*(e for e in replay if _key(e) not in known), *held])
        if lost_ms:
            rate = bytes_per_second(self._core.input_format())
            outage.dropped_audio_bytes += lost_ms * rate // 1000

    def _filter_held(
        self, events: list[ClientEvent]
    ) -> tuple[list[ClientEvent], Effects | None]:
        """Held events about to go to the new session (``_lock`` held).

        A subclass may withdraw some; it returns those left and what to do once
        the lock is released (:class:`Effects`), or None.
        """
        return events, None

    def _start_reconnect(self, closed: ConnectionClosed, retire: Any = None) -> None:
        """Start the reconnect thread, unless one is already at work."""
        from realtime_sync.client._reconnector import Reconnector

        with self._lock:
            if self._state is not ClientState.RECONNECTING:
                return
            running = self._reconnector
            if running is not None and not running.done and retire is None:
                # Its attempt's connection ended: _fail_all() woke whatever the
                # attempt waited for, and it goes on with the next attempt.
                return
            self._outage_cause = closed
            self._reconnector = Reconnector(
                _Host(self), closed, previous=running, retire=retire
            )
            self._reconnector.start()

    def _schedule_renewal(self, expires_at: object) -> None:
        """Note when to renew this session (``renew_before_expiry``), if at all."""
        policy = self._reconnect_policy
        if (
            policy is None
            or policy.renew_before_expiry is None
            or not isinstance(expires_at, (int, float))
            or isinstance(expires_at, bool)
        ):
            self._renew_at = None
            return
        self._renew_at = float(expires_at) - policy.renew_before_expiry

    def _renew(self) -> None:
        """Renew a session about to expire, once no response is in progress."""
        if self._core.responses.active:
            return  # after the current response (checked again on every event)
        self._renew_at = None
        with self._lock:
            if (
                self._state is not ClientState.OPEN
                or not self._established
                or self._closed_exc is not None
            ):
                return
            self._begin_outage_locked()
        cause = ConnectionClosed(
            "the session is about to expire: renewing it", code=1000
        )
        self._start_reconnect(cause, retire=self._channel)
        logger.info("renewing the session before it expires")

    # What the reconnect thread may do: through _Host (the ReconnectHost protocol of
    # _reconnector.py), never through the fields. Private, so that these stay off the
    # client's public surface.

    def _open_attempt(self, headers: Mapping[str, str]) -> Channel:
        """Open, install and restore a new channel; raises if the attempt failed."""
        try:
            endpoint = self._endpoint_factory()  # calls a token provider again
        except RealtimeError:
            raise
        except Exception as exc:
            raise ConnectError(
                f"building the endpoint failed: {type(exc).__name__}"
            ) from None
        channel = self._open_channel(endpoint, headers)
        with self._lock:
            if self._state is not ClientState.RECONNECTING:
                raise ConnectionClosed("the client was closed while reconnecting")
            self._channel = channel
            self._session_created = threading.Event()
            if self._outage is not None:
                self._replay_locked()
            self._core.new_connection()
        try:
            channel.connect()
            self._wait_session_created(channel)
        except BaseException:
            self._discard(channel)
            raise
        return channel

    def _restore_on(self, channel: Channel) -> Any:
        """Restore the session on ``channel`` (the subclass's :meth:`_restore`)."""
        try:
            return self._restore(channel)
        except BaseException:
            self._discard(channel)
            raise

    def _write_held(self, channel: Channel, event: ClientEvent) -> None:
        """Write ``event`` on ``channel`` directly (events held during the outage)."""
        tracked = type(event) in self._core.sending_types
        if tracked:
            with self._lock:
                self._core.resending(event)
        try:
            self._write_waiting(channel, event)
        except BaseException:
            if tracked:
                with self._lock:
                    self._core.withdraw(event)
            raise

    def _take_held(self) -> HeldBatch:
        """The held events to write next; ends the outage when none are left."""
        out: Effects | None = None
        with self._lock:
            outage = self._outage
            if self._state is not ClientState.RECONNECTING or outage is None:
                return HeldBatch([], closed=True)
            held, out = self._filter_held(outage.take())
            channel = self._channel
            # A close that came while RECONNECTING was left to this thread: ending
            # the outage now would leave the client OPEN on a dead connection.
            # Checked under _lock: a close after this is an OPEN client's loss.
            dead = not held and (channel is None or not channel.is_open)
            if not held and not dead:
                rate = bytes_per_second(self._core.input_format())
                dropped_ms = outage.dropped_audio_bytes * 1000 // rate
                self._outage = None
                self._state = ClientState.OPEN
                self._reconnector.done = True
        if out is not None:
            self._carry_out(out)  # handles of withdrawn requests, reports
        if held:
            return HeldBatch(held)
        if dead:
            return HeldBatch([], dead=True)
        if dropped_ms:
            policy = self._reconnect_policy
            assert policy is not None  # an outage happens only under a policy
            self._dispatch.report(
                AudioLost(
                    f"{dropped_ms} ms of input audio did not reach the new session: "
                    "uncommitted when the connection was lost or appended while "
                    "reconnecting, beyond ReconnectPolicy.audio_buffer_seconds "
                    f"({policy.audio_buffer_seconds:g} s; the newest audio is kept)",
                    dropped_ms=dropped_ms,
                )
            )
        return HeldBatch([], over=True, dropped_ms=dropped_ms)

    def _put_back(self, events: list[ClientEvent]) -> None:
        """Return held events that could not be written, ahead of newer ones.

        (The input audio written on the dead connection goes ahead of them again
        at the next attempt: the core logged it.)
        """
        with self._lock:
            if self._outage is not None:
                self._outage.put_back(events)

    def _discard(self, channel: Channel) -> None:
        """Detach a failed (or retired) channel from the client, then close it."""
        with self._lock:
            if self._channel is channel:
                self._channel = None  # its on_close is not a loss to react to
        channel.close(timeout=1.0)

    def _retire(self, channel: Channel) -> None:
        """Close the channel of a session being renewed; hold what it did not send."""
        with self._lock:
            if self._channel is channel:
                self._channel = None
        unsent = channel.close(timeout=self._connect_timeout)
        self._put_back([e for e in unsent if isinstance(e, ClientEvent)])

    def _give_up(
        self, closed: ConnectionClosed, how: str, cause: RealtimeError
    ) -> None:
        """End the outage without a new session: report it like a lost connection."""
        with self._lock:
            if self._state is not ClientState.RECONNECTING:
                return  # close() came first
            held = self._outage.take() if self._outage is not None else []
            self._outage = None
            self._state = ClientState.OPEN  # ended: _closed_exc says so
            self._reconnector.done = True
        detail = "" if cause is closed else f": {cause}"
        exc = ConnectionClosed(
            f"The connection was lost (code {closed.code}) and {how}{detail}",
            code=closed.code,
            reason=closed.reason,
            unsent=tuple(held),  # the lost connection's unsent events are in there
        )
        exc.__cause__ = None if cause is closed else cause
        self._closed_exc = exc
        self._fail_all(exc)
        logger.warning("%s", exc)
        self._dispatch.report(exc)

    def _unsendable(self, event: ClientEvent, error: Exception) -> None:
        """A held event that can never be sent: logged and reported, not dropped."""
        report = RealtimeError(
            f"{event.type} {event.event_id} was sent while reconnecting and cannot be "
            f"sent to the new session: {error}"
        )
        report.__cause__ = error
        logger.error("%s", report)
        self._dispatch.report(report)

    def _reconnecting(self, attempt: Any) -> None:
        """Call the ``on_reconnecting`` handlers (on the reconnect thread)."""
        self._dispatch.call_each(self._hooks("reconnecting"), attempt, "reconnect")

    def _reconnected(self, info: Any) -> None:
        """Count a reconnection and call the ``on_reconnected`` handlers."""
        self._n_reconnects += 1
        self._dropped_audio_ms += info.dropped_audio_ms
        self._dispatch.call_each(self._hooks("reconnected"), info, "reconnect")

    def _report(self, error: RealtimeError) -> None:
        """Pass ``error`` to the ``on_error`` handlers."""
        self._dispatch.report(error)


def _key(event: ClientEvent) -> object:
    """What identifies one event: its ``event_id``, else the object."""
    return event.event_id if isinstance(event.event_id, str) else id(event)


class _Host:
    """A client as its reconnect thread sees it: the ReconnectHost protocol."""

    __slots__ = ("_client",)

    def __init__(self, client: ReconnectingClient) -> None:
        self._client = client

    @property
    def reconnect_policy(self) -> ReconnectPolicy:
        """The policy of the reconnection in progress."""
        policy = self._client._reconnect_policy
        assert policy is not None
        return policy

    def open_attempt(self, headers: Mapping[str, str]) -> Channel:
        """Open, install and restore a new channel; raises if the attempt failed."""
        return self._client._open_attempt(headers)

    def restore(self, channel: Channel) -> Any:
        """Restore the session on ``channel``; a summary."""
        return self._client._restore_on(channel)

    def write(self, channel: Channel, event: ClientEvent) -> None:
        """Write one held event on ``channel``."""
        self._client._write_held(channel, event)

    def take_held(self) -> HeldBatch:
        """The held events to write next, or the end of the outage."""
        return self._client._take_held()

    def put_back(self, events: list[ClientEvent]) -> None:
        """Return held events that could not be written."""
        self._client._put_back(events)

    def discard(self, channel: Channel) -> None:
        """Detach and close a failed attempt's channel."""
        self._client._discard(channel)

    def retire(self, channel: Channel) -> None:
        """Close the channel of a session being renewed."""
        self._client._retire(channel)

    def give_up(self, closed: ConnectionClosed, how: str, cause: RealtimeError) -> None:
        """End the outage without a new session."""
        self._client._give_up(closed, how, cause)

    def previous_items(self) -> tuple[Any, ...]:
        """The conversation before the outage."""
        return self._client._previous_items_for_outage()

    def unsendable(self, event: ClientEvent, error: Exception) -> None:
        """Report a held event that can never be sent, and go on."""
        self._client._unsendable(event, error)

    def reconnecting(self, attempt: ReconnectAttempt) -> None:
        """Call the ``on_reconnecting`` handlers."""
        self._client._reconnecting(attempt)

    def reconnected(self, info: Reconnected) -> None:
        """Count the reconnection and call the ``on_reconnected`` handlers."""
        self._client._reconnected(info)
