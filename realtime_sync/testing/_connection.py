"""One connection of the mock server: its outbox, its sender thread and its pacing.

See :mod:`realtime_sync.testing._server` for the theory of operation (threads, the
per-connection ``Condition``, shutdown). :class:`_Connection` is the per-connection
half: the sender thread that drains the outbox, pulls response streams from the
Responder, paces deltas and enforces session expiry and ``fault()`` closes.
"""

from __future__ import annotations

import collections
import contextlib
import logging
import socket
import threading
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, cast

from websockets.exceptions import ConnectionClosed
from websockets.sync.server import ServerConnection

from realtime_sync.events import ConversationItemDone
from realtime_sync.protocol.codec import Codec
from realtime_sync.testing._apis import CloseFrame, MockApi, MockResponder, ServerCodec
from realtime_sync.testing._faults import RawFrame, expiry_message

if TYPE_CHECKING:
    from realtime_sync.testing._server import MockRealtimeServer

logger = logging.getLogger("realtime_sync.testing._server")


class _Faults:
    """Per-server fault settings shared by every connection (guarded by ``lock``)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.stall_until = 0.0  # time.monotonic() until which nothing moves
        self.close_after: tuple[int, int, str] | None = None  # (events, code, reason)


class _Connection:
    """One client connection: its codec, its Responder, its outbox and sender."""

    def __init__(
        self,
        number: int,
        ws: ServerConnection,
        codec: ServerCodec,
        responder: MockResponder,
        server: MockRealtimeServer,
        *,
        api: MockApi,
    ) -> None:
        self.number = number
        self.api = api
        # Beta has no conversation.item.done (§7.2): the Realtime beta codec drops it.
        self.drops_item_done = isinstance(codec, Codec) and codec.dialect == "beta"
        self.ws = ws
        self.codec = codec
        self.responder = responder
        self.server = server
        self.cond = threading.Condition()
        # Server events (of the connection's API), RawFrame and CloseFrame.
        self.outbox: collections.deque[Any] = collections.deque()
        self.closing = False
        limit = server.max_session_seconds
        self.expires_at = None if limit is None else time.monotonic() + limit
        # Close after this many more frames: (count, code, reason); set by fault().
        self.close_after: tuple[int, int, str] | None = None
        self.sender = threading.Thread(
            target=self._send_loop, name=f"mock-realtime-send-{number}", daemon=True
        )

    def post(self, events: Sequence[Any]) -> None:
        """Queue events for the sender (call with ``cond`` held)."""
        if events:
            self.outbox.extend(events)
            self.cond.notify_all()

    def push(self, frames: Sequence[Any]) -> None:
        """Queue frames from any thread (a responder's ``bind``); dropped once closing."""
        with self.cond:
            if not self.closing:
                self.post(frames)

    def shut(self) -> None:
        """Stop the sender at its next step, even mid-pause."""
        with self.cond:
            self.closing = True
            self.cond.notify_all()

    def wait_stall(self) -> None:
        """Wait out a stall (``MockRealtimeServer.stall``), unless closing.

        Only the reader calls this; it goes on reading while closing, so that the
        socket, not this flag, ends it (``drop_all`` must not send a close frame).
        """
        with self.cond:
            while not self.closing:
                delay = self.server._faults.stall_until - time.monotonic()
                if delay <= 0:
                    return
                self.cond.wait(delay)

    def _next(self, not_before: float) -> _Step | _Expired | None:
        """The next frame to send (``None`` once closing)."""
        with self.cond:
            while not self.closing:
                now = time.monotonic()
                waits: list[float] = []
                stall = self.server._faults.stall_until - now
                if stall > 0:
                    self.cond.wait(stall)
                    continue
                if self.expires_at is not None:
                    if now >= self.expires_at:
                        return _EXPIRED
                    waits.append(self.expires_at - now)
                if self.outbox:
                    step = self._step(self.outbox.popleft(), streamed=False)
                    if step is not None:
                        return step
                    continue
                if self.responder.active_responses:
                    delay = not_before - now
                    if delay <= 0:
                        frame = self.responder.next_frame()
                        if frame is not None:
                            step = self._step(frame, streamed=True)
                            if step is not None:
                                return step
                        continue
                    waits.append(delay)
                self.cond.wait(min(waits) if waits else None)
            return None

    def _step(self, frame: Any, *, streamed: bool) -> _Step | None:
        """Wrap a frame taken from the queue or a stream (``cond`` held).

        The ``fault(close_after_events=)`` count is taken here, as the frame leaves
        the queue, so a frame already on its way when ``fault()`` was called does
        not count.
        """
        if self.drops_item_done and isinstance(frame, ConversationItemDone):
            return None  # beta has no conversation.item.done (§7.2)
        last: tuple[int, str] | None = None
        if self.close_after is not None:
            left, code, reason = self.close_after
            if left <= 1:
                self.close_after = None
                last = (code, reason)
            else:
                self.close_after = (left - 1, code, reason)
        return _Step(frame, streamed, last)

    def _pause(self, seconds: float) -> bool:
        """Wait ``seconds`` unless closing; ``False`` if closing."""
        with self.cond:
            return not self.cond.wait_for(lambda: self.closing, seconds)

    def _send_loop(self) -> None:
        not_before = 0.0
        while (step := self._next(not_before)) is not None:
            if isinstance(step, _Expired):
                self._expire()
                return
            frame = step.frame
            if isinstance(frame, CloseFrame):
                self._end(frame)
                return
            if isinstance(frame, RawFrame):
                if frame.delay > 0 and not self._pause(frame.delay):
                    return
                text = frame.text
            else:
                text = self.codec.encode_server(frame)
            if not self._send(text):
                return
            if step.close is not None:
                code, reason = step.close
                logger.info(
                    "mock connection %d: fault() closes (%d)", self.number, code
                )
                self._close(code, reason)
                return
            if step.streamed and not isinstance(frame, RawFrame):
                not_before = self._not_before(frame)

    def _not_before(self, event: Any) -> float:
        """When the next streamed event may go, after ``event`` (pacing)."""
        if not event.type.endswith(".delta"):
            return 0.0
        pause = self.server.delta_interval
        if self.server.pace == "realtime" and event.type in self.api.audio_delta_types:
            pause = max(pause, self.responder.output_ms(event.delta) / 1000.0)
        return time.monotonic() + pause if pause > 0 else 0.0

    def _send(self, text: str) -> bool:
        try:
            self.ws.send(text)
        except ConnectionClosed:
            return False
        except Exception:
            logger.exception("mock server could not send a frame")
            return False
        self.server._record_sent(text)
        return True

    def _expire(self) -> None:
        limit = cast(float, self.server.max_session_seconds)
        with self.cond:
            events = self.responder.session_expired(limit)
        for event in events:
            if isinstance(event, CloseFrame):
                self._end(event)
                return
            if isinstance(event, RawFrame):
                text = event.text
            else:
                text = self.codec.encode_server(event)
            if not self._send(text):
                return
        self._close(1001, expiry_message(limit))

    def _end(self, frame: CloseFrame) -> None:
        """Close (or drop) the connection, as a responder's CloseFrame asks."""
        logger.info(
            "mock connection %d: the responder %s (%d)",
            self.number,
            "drops it" if frame.drop else "closes it",
            frame.code,
        )
        if not frame.drop:
            self._close(frame.code, frame.reason)
            return
        with self.cond:
            self.closing = True
            self.cond.notify_all()
        with contextlib.suppress(OSError):
            self.ws.socket.shutdown(socket.SHUT_RDWR)

    def going_away(self) -> None:
        """Close the connection with 1001, as a server shutting down does."""
        self._close(1001, "")

    def _close(self, code: int, reason: str) -> None:
        with self.cond:
            self.closing = True
            self.cond.notify_all()
        with contextlib.suppress(Exception):
            self.ws.close(code, reason)


class _Step:
    """Internal: a frame to send, and what the sender does after it.

    ``streamed``: it came from a response stream (paced); ``close``: ``fault()``
    closes the connection after it, with this (code, reason).
    """

    __slots__ = ("close", "frame", "streamed")

    def __init__(
        self,
        frame: Any,
        streamed: bool,
        close: tuple[int, str] | None,
    ) -> None:
        self.frame = frame
        self.streamed = streamed
        self.close = close


class _Expired:
    """Internal: the session reached ``max_session_seconds``."""


_EXPIRED = _Expired()
