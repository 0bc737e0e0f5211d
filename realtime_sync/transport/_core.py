"""What the parts of a connection share: its state, and the one way it ends.

:class:`_Core` is the base of every part of
:class:`~realtime_sync.transport.Connection` (liveness, reader, sender; the
class itself ties them together in ``_connection.py``, whose "Theory of
operation" says which thread touches what). The parts are mixins over one object
rather than objects of their own because the reader's per-chunk stamp and the
sender's per-frame path must not pay an extra attribute hop or call: every field
stays a plain attribute of the connection. This class declares those fields for
the type checker (``Connection.__init__`` sets them) and holds what every thread
may need: the failure records and their messages, the socket abort, and
:meth:`_Core._finish`, which ends the connection exactly once.
"""

from __future__ import annotations

import collections
import contextlib
import enum
import logging
import socket
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from realtime_sync.exceptions import ConnectionClosed, ProtocolError

if TYPE_CHECKING:
    from realtime_sync._credentials import Redactor
    from realtime_sync.transport._handshake import _WebSocket

__all__ = ["ConnectionState"]

# One logger for the whole package, under the name users configured before the
# transport became a package.
logger = logging.getLogger("realtime_sync.transport")

# How long close() waits for a thread after aborting the socket, and how long
# _finish() waits for a sender to leave the send lock. After an abort every blocking
# call on the socket fails at once, so this is a safety margin, not a delay.
_JOIN_GRACE = 1.0

# One queued frame: UTF-8 payload, its size in bytes, and what to report if it is
# never written (the caller's event object, or the text itself).
_Entry = tuple[bytes, int, object]


def _remaining(deadline: float) -> float:
    return max(0.0, deadline - time.monotonic())


class ConnectionState(enum.Enum):
    """Where a :class:`~realtime_sync.transport.Connection` is in its life.

    It only moves down this list.

    Attributes:
        UNOPENED: Created; ``Connection.connect()`` not called yet. A failed
            ``connect()`` comes back here (the one step back), and may be retried.
            Frames sent now are queued.
        CONNECTING: The handshake is in progress.
        OPEN: The handshake succeeded and both threads run.
        CLOSING: ``Connection.close()`` was called and is draining the queue and
            exchanging close frames.
        CLOSED: The connection ended (closed by either side, dropped, or crashed).
            Final: a closed connection cannot be reopened.
    """

    UNOPENED = "unopened"
    CONNECTING = "connecting"
    OPEN = "open"
    CLOSING = "closing"
    CLOSED = "closed"


class _Core:
    """Fields shared by the parts of a connection, and how it ends (see module)."""

    # --- configuration (set in __init__, never changes) ------------------------------
    _redact: Redactor
    _url: str
    _safe_url: str
    _sslopt: dict[str, Any]
    _header_lines: tuple[str, ...]
    _header_names: tuple[str, ...]
    _subprotocols: tuple[str, ...]
    _on_message: Callable[[str], None]
    _on_close: Callable[[ConnectionClosed], None] | None
    _on_binary: Callable[[bytes], None] | None
    _max_queue_bytes: int
    _max_message_size: int | None
    _ping_interval: float | None
    _ping_timeout: float | None
    _connect_timeout: float

    # --- guarded by _lock ------------------------------------------------------------
    _lock: threading.Lock
    _wakeup: threading.Condition
    _drained: threading.Condition
    _state: ConnectionState
    _queue: collections.deque[_Entry]
    _queued_bytes: int
    _flushing: int
    _partial: tuple[bytes, _Entry] | None
    _partial_busy: bool
    _writer_wanted: bool
    _close_requested: bool
    _close_args: tuple[int, str]
    _close_sent: bool
    _io_error: BaseException | None
    _crash: BaseException | None
    _crash_thread: str
    _finished: bool
    _unsent: tuple[object, ...]
    _close_code: int | None
    _close_reason: str
    _end_message: str
    _violation: ProtocolError | None
    _dead: str | None

    # --- set by connect(), read-only afterwards ----------------------------------
    _ws: _WebSocket | None
    _sock: socket.socket | None
    _writable: Callable[[], bool]
    _readable: Callable[[float], bool] | None
    _kernel_bounded: bool
    _unread: Callable[[float], bool] | None
    _raw_recv: Callable[[int], bytes] | None
    _dontwait: bool
    _reader: threading.Thread | None
    _writer: threading.Thread | None
    _send_lock: threading.Lock

    # --- unguarded, single writer each ---------------------------------------------
    _last_receive: float
    _ping_sent: float
    _unread_seen: float
    _reader_deadline: float | None
    _ahead: bytes  # the reader's bytes read ahead; unparsed from _ahead_pos on
    _ahead_pos: int
    _done: threading.Event
    _finisher: threading.Thread | None

    # ------------------------------------------------------------------ conditions

    def _may_write_locked(self) -> bool:
        return (
            self._state in (ConnectionState.OPEN, ConnectionState.CLOSING)
            and self._io_error is None
            and not self._close_sent
            and not self._finished
        )

    def _refusing_locked(self) -> bool:
        """Whether send()/flush() must raise ConnectionClosed now."""
        return (
            self._crash is not None
            or self._close_requested
            or self._finished
            or self._io_error is not None
        )

    # ------------------------------------------------------------------ the end

    def _finish(
        self, code: int | None, reason: str, detail: str, *, own_socket: bool
    ) -> None:
        """End the connection once: state CLOSED, queue sealed, socket closed, on_close.

        Runs on the reader thread when it ends, or in close() when there is no reader
        to do it.

        Args:
            code: The server's close code, or ``None`` without a close frame.
            reason: The server's close reason.
            detail: What happened, when there was no close frame.
            own_socket: The caller may close the descriptor: no thread reads it.
        """
        with self._lock:
            already = self._finished
            if not already:
                self._finished = True
                self._finisher = threading.current_thread()
                state_before = self._state
                self._state = ConnectionState.CLOSED
                self._close_code = code
                self._close_reason = reason
                self._end_message = self._end_message_locked(
                    state_before, code, reason, detail
                )
                # Wake everyone who waits on a state change: the writer exits, flush()
                # raises.
                self._wakeup.notify_all()
                self._drained.notify_all()
        if already:
            # close() reported the end for a reader stuck in on_message; now that
            # the reader is out, the descriptor can be closed.
            if own_socket:
                self._seal_and_release(own_socket=True)
            return
        # Wake a writer or sender blocked in a write on this socket, then wait for the
        # send lock: once we hold it with the state CLOSED, no frame is being written
        # and none will be, so the queue is final and the descriptor can be closed.
        self._abort_socket()
        self._seal_and_release(own_socket=own_socket)
        with self._lock:
            message = self._end_message
            unsent = len(self._unsent)
        logger.debug("%s (%d unsent)", message, unsent)
        try:
            if self._on_close is not None:
                try:
                    self._on_close(self._closed_error(unsent=True))
                except Exception:
                    logger.exception("on_close raised")
        finally:
            self._done.set()

    def _seal_and_release(self, *, own_socket: bool) -> None:
        """Under the send lock: seal the queue; if ``own_socket``, close the socket.

        The state is CLOSED and the socket aborted, so a thread inside a write fails
        at once and releases the lock; none will start another.
        """
        got = self._send_lock.acquire(timeout=_JOIN_GRACE)
        try:
            # A frame the writer is finishing for a sender (_finish_partial) is
            # written without the send lock: wait for that write to fail on the
            # aborted socket (or end) before the socket is closed.
            deadline = time.monotonic() + _JOIN_GRACE
            with self._lock:
                while self._partial_busy:
                    remaining = deadline - time.monotonic()
                    if remaining <= 0:
                        break
                    self._drained.wait(remaining)
            self._seal_queue()
            if got and own_socket and self._ws is not None:
                self._ws.shutdown()
        finally:
            if got:
                self._send_lock.release()
        if not got:  # pragma: no cover - a write did not fail after the abort
            logger.warning("a sender still holds the send lock; socket left open")

    def _seal_queue(self) -> None:
        """Move every queued frame to the unsent tuple (no more writes will happen)."""
        with self._lock:
            if self._queue:
                self._unsent += tuple(entry[2] for entry in self._queue)
                self._queue.clear()
                self._queued_bytes = 0
            self._drained.notify_all()

    def _crashed(self, thread: str, exc: BaseException) -> None:
        """Store a crash of the reader or writer and tear the connection down."""
        with self._lock:
            if self._crash is None:
                self._crash = exc
                self._crash_thread = thread
            self._drained.notify_all()
            self._wakeup.notify_all()
        logger.error(
            "the %s thread crashed: %s", thread, self._describe(exc), exc_info=exc
        )
        # The reader ends on the abort (if it is not the one that crashed) and
        # reports the crash through _finish().
        self._abort_socket()

    def _end_message_locked(
        self, state: ConnectionState, code: int | None, reason: str, detail: str
    ) -> str:
        if self._crash is not None:
            return (
                f"The {self._crash_thread} thread crashed: "
                f"{self._describe(self._crash)}"
            )
        if state in (ConnectionState.UNOPENED, ConnectionState.CONNECTING):
            return "The connection was closed before it was opened."
        said = ""
        if code is not None:
            said = f" (code {code}, {reason})" if reason else f" (code {code})"
        if self._violation is not None:
            return f"The client closed the connection{said}: {self._violation}"
        if self._close_requested:
            return f"The connection was closed by the client{said}."
        if code is not None:
            return f"The server closed the connection{said}."
        if self._dead is not None:
            return self._dead
        if self._io_error is not None:
            return f"The connection was lost: {self._describe(self._io_error)}"
        return f"The connection was lost: {detail or 'no close frame'}"

    def _closed_error(self, *, unsent: bool) -> ConnectionClosed:
        with self._lock:
            return self._closed_error_locked(unsent=unsent)

    def _closed_error_locked(self, *, unsent: bool = False) -> ConnectionClosed:
        """A fresh ConnectionClosed for the current state (crash as ``__cause__``).

        Fresh every time: re-raising one stored instance from several threads would
        pile up tracebacks on it.
        """
        if self._finished:
            message = self._end_message
        elif self._crash is not None:
            message = self._end_message_locked(self._state, None, "", "")
        elif self._close_requested:
            message = "The connection is closing."
        elif self._io_error is not None:
            message = f"The connection was lost: {self._describe(self._io_error)}"
        else:  # pragma: no cover - callers check _refusing_locked() first
            message = "The connection is closed."
        error = ConnectionClosed(
            self._redact(message),
            code=self._close_code,
            reason=self._redact(self._close_reason),
            unsent=self._unsent if unsent else (),
        )
        if self._crash is not None:
            error.__cause__ = self._crash
        elif self._violation is not None:
            error.__cause__ = self._violation
        return error

    # ------------------------------------------------------------------ helpers

    def _abort_socket(self) -> None:
        """shutdown(SHUT_RDWR): wakes threads blocked in recv or send on the socket.

        websocket-client's own abort() does the same but only while its ``connected``
        flag is set, and send_close() clears that flag; so the socket is shut down
        here directly. The descriptor stays open (see _finish()).
        """
        sock = self._sock
        if sock is None:
            return
        # OSError: not connected any more, or already closed: nothing to wake.
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)

    def _describe(self, exc: BaseException) -> str:
        return self._redact.describe(exc)
