"""The reconnect thread: backoff, a new connection, restoration, then the held events.

One :class:`Reconnector` per outage, started by the client when its connection ends
with a close code the :class:`~realtime_sync.reconnect.ReconnectPolicy` retries. It
runs on the ``realtime-sync-reconnect`` thread (a daemon thread that
:meth:`RealtimeClient.close` stops and joins):

1. ``on_reconnecting`` handlers see a :class:`ReconnectAttempt` (they may change
   headers or abort); then the backoff delay, cut short by ``close()``.
2. A new channel (:class:`~realtime_sync.transport.Channel`) from the client's endpoint
   factory (so a ``token_provider`` is called again) becomes the client's connection;
   the client waits for its ``session.created``.
3. Restoration, on that connection directly (user events are still being held): one
   ``session.update`` with every update sent so far merged, then the conversation's
   items with their old ids (``restore_conversation=True``), confirmed by the echo of
   the last one.
4. The events held during the outage are written in order, after the input audio
   the lost session had not committed (which the client put ahead of them when the
   new channel opened: ``ReconnectingClient._replay_locked``); under the client's lock
   the state goes back to OPEN when none is left, so that a concurrent send either
   lands in the buffer before the last drain or goes straight to the new connection.
5. ``on_reconnected`` handlers get a :class:`Reconnected`.

The reconnector talks to its client only through :class:`ReconnectHost` (a small
protocol the threaded client implements), never through the client's fields.

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
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Protocol

from realtime_sync.events import ClientEvent
from realtime_sync.exceptions import (
    ConnectError,
    ConnectionClosed,
    RealtimeError,
)
from realtime_sync.reconnect import ReconnectAttempt, Reconnected, ReconnectPolicy
from realtime_sync.transport import Channel

if TYPE_CHECKING:
    from realtime_sync.client._threaded import HeldBatch

__all__ = ["ReconnectHost", "Reconnector"]

logger = logging.getLogger("realtime_sync.client")


class ReconnectHost(Protocol):
    """What a reconnection needs from its client (``ThreadedClient`` implements it)."""

    @property
    def reconnect_policy(self) -> ReconnectPolicy:
        """The policy in force."""
        ...

    def open_attempt(self, headers: Mapping[str, str]) -> Channel:
        """Open a new channel, make it the client's, wait for its session."""
        ...

    def restore(self, channel: Channel) -> Any:
        """Restore the session on ``channel``; return a summary.

        The summary has ``session_restored``, ``restored_items`` and
        ``skipped_items``.
        """
        ...

    def write(self, channel: Channel, event: ClientEvent) -> None:
        """Write one held event on ``channel``, waiting for room when it is full."""
        ...

    def take_held(self) -> HeldBatch:
        """The next held events, or the end of the outage."""
        ...

    def put_back(self, events: list[ClientEvent]) -> None:
        """Return held events that could not be written."""
        ...

    def discard(self, channel: Channel) -> None:
        """Detach and close a failed attempt's channel."""
        ...

    def retire(self, channel: Channel) -> None:
        """Close the channel of a session being renewed (proactive renewal)."""
        ...

    def give_up(self, closed: ConnectionClosed, how: str, cause: RealtimeError) -> None:
        """End the outage without a new session."""
        ...

    def previous_items(self) -> tuple[Any, ...]:
        """The conversation before the outage (cleared when it is not restored)."""
        ...

    def unsendable(self, event: ClientEvent, error: Exception) -> None:
        """Report a held event that can never be sent (on_error), and go on."""
        ...

    def reconnecting(self, attempt: ReconnectAttempt) -> None:
        """Call the ``on_reconnecting`` handlers."""
        ...

    def reconnected(self, info: Reconnected) -> None:
        """Count the reconnection and call the ``on_reconnected`` handlers."""
        ...


class Reconnector:
    """Runs one outage's reconnection on its own thread (see the module docstring)."""

    def __init__(
        self,
        host: ReconnectHost,
        closed: ConnectionClosed,
        previous: Reconnector | None = None,
        retire: Channel | None = None,
    ) -> None:
        self._host = host
        self._closed = closed
        self._previous = previous
        # A proactive renewal: the old channel, still open, to close first.
        self._retire = retire
        self._stop = threading.Event()
        self._rng = random.Random()
        self._started = time.monotonic()
        self._thread = threading.Thread(
            target=self._run, name="realtime-sync-reconnect", daemon=True
        )
        self.done = False  # the outage is over (restored or given up); host's lock

    @property
    def alive(self) -> bool:
        """Whether the thread is still running."""
        return self._thread.is_alive()

    def on_its_thread(self) -> bool:
        """Whether the calling thread is this reconnection's (or a previous one's).

        Hooks and ``on_error`` handlers called during an outage run there; a blocking
        helper called from them would wait for the thread that must deliver it.
        """
        current = threading.current_thread()
        reconnector: Reconnector | None = self
        while reconnector is not None:
            if current is reconnector._thread:
                return True
            reconnector = reconnector._previous
        return False

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
                self._host.retire(self._retire)
            self._loop()
        except Exception as exc:  # a bug: end the outage rather than hang in it
            logger.exception("the reconnect thread failed")
            self._give_up(
                ConnectError(f"reconnecting failed: {type(exc).__name__}"), 0, False
            )

    def _loop(self) -> None:
        host = self._host
        policy = host.reconnect_policy
        previous_items = host.previous_items()
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
            host.reconnecting(info)
            if info.aborted:
                self._give_up(cause, attempt - 1, True)
                return
            headers = dict(info.headers)
            if self._stop.wait(info.delay):
                return
            try:
                channel = host.open_attempt(headers)
                restored = host.restore(channel)
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
            resent, dropped_ms = self._send_held(channel)
            if resent < 0:
                continue  # the new connection died while sending: next attempt
            self._finish(attempt, restored, resent, dropped_ms, previous_items)
            return

    def _send_held(self, channel: Channel) -> tuple[int, int]:
        """Write the held events; ``(sent, dropped ms)``, or ``(-1, 0)`` if it died."""
        host = self._host
        sent = 0
        while True:
            batch = host.take_held()
            if batch.closed:
                return sent, 0  # close() took over
            if batch.over:
                return sent, batch.dropped_ms
            if batch.dead:  # the new connection died meanwhile: next attempt
                host.discard(channel)
                return -1, 0
            held = batch.events
            for i, event in enumerate(held):
                try:
                    host.write(channel, event)  # waits if the queue is full
                except RealtimeError:  # closed, or a flush that timed out
                    host.put_back(held[i:])
                    host.discard(channel)
                    return -1, 0
                except (TypeError, ValueError) as exc:
                    # It can never be sent (larger than max_queue_bytes by itself,
                    # or not expressible in the dialect found): say so, go on.
                    host.unsendable(event, exc)
                    continue
                sent += 1

    def _finish(
        self,
        attempts: int,
        restored: Any,
        resent: int,
        dropped_ms: int,
        previous_items: tuple[Any, ...],
    ) -> None:
        policy = self._host.reconnect_policy
        if dropped_ms:
            logger.warning(
                "dropped %d ms of input audio (not committed when the connection was "
                "lost, or appended while reconnecting; only the newest %g s are kept)",
                dropped_ms,
                policy.audio_buffer_seconds,
            )
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
        self._host.reconnected(info)

    def _give_up(self, cause: RealtimeError, attempts: int, aborted: bool) -> None:
        how = (
            "an on_reconnecting handler aborted the reconnection"
            if aborted
            else f"reconnecting failed after {attempts} attempt(s)"
        )
        self._host.give_up(self._closed, how, cause)
