"""Fault injection on a running :class:`MockRealtimeServer`: closes, drops, stalls.

A mixin of the server: each method acts on every open connection (and, for
``fault()`` and ``stall()``, on the connections opened later), as a misbehaving
service or network would, so that clients can be tested against it.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time

from realtime_sync.testing._connection import _Connection, _Faults
from realtime_sync.testing._faults import RawFrame

__all__ = ["_ServerFaults"]


class _ServerFaults:
    """Fault injection (see the module docstring)."""

    _lock: threading.Lock
    _conns: dict[int, _Connection]
    _faults: _Faults
    close_timeout: float

    def close_all(self, code: int = 1000, reason: str = "") -> None:
        """Close every open connection with a close frame, as a server would.

        Returns once the closing handshakes are done (or ``close_timeout`` passed).

        Args:
            code: The WebSocket close code, e.g. ``1001`` or ``1011``.
            reason: The close reason.
        """
        with self._lock:
            conns = list(self._conns.values())
        closers = []
        for conn in conns:
            conn.shut()
            closer = threading.Thread(
                target=conn.ws.close,
                args=(code, reason),
                name=f"mock-realtime-close-{conn.number}",
                daemon=True,
            )
            closer.start()
            closers.append(closer)
        for closer in closers:
            closer.join(self.close_timeout + 5.0)

    def drop_all(self) -> None:
        """Drop every open connection's TCP connection, without a close frame."""
        with self._lock:
            conns = list(self._conns.values())
        for conn in conns:
            conn.shut()
            with contextlib.suppress(OSError):  # already gone
                conn.ws.socket.shutdown(socket.SHUT_RDWR)

    def fault(
        self,
        *,
        close_after_events: int | None = None,
        code: int = 1011,
        reason: str = "",
    ) -> None:
        """Close connections with a close frame after they send some more frames.

        Applies to every open connection (counting from now) and to every
        connection opened later (counting from its first frame, ``session.created``),
        until called again; ``close_after_events=None`` clears it.

        Args:
            close_after_events: Frames each connection still sends before the
                close frame; ``None`` for no fault.
            code: The close code, e.g. ``1011`` (internal error) or ``1001``.
            reason: The close reason.

        Raises:
            ValueError: ``close_after_events`` is not positive.
        """
        if close_after_events is not None and close_after_events < 1:
            raise ValueError("close_after_events must be at least 1")
        setting = (
            None if close_after_events is None else (close_after_events, code, reason)
        )
        with self._faults.lock:
            self._faults.close_after = setting
        with self._lock:
            conns = list(self._conns.values())
        for conn in conns:
            with conn.cond:
                conn.close_after = setting

    def send_malformed(self, text: str = "this is not JSON {") -> None:
        """Send a frame that is not a valid event to every open connection.

        The frame goes after everything already queued, verbatim.

        Args:
            text: The frame's text; by default not JSON at all.
        """
        with self._lock:
            conns = list(self._conns.values())
        for conn in conns:
            with conn.cond:
                conn.post([RawFrame(text=text)])

    def stall(self, seconds: float) -> None:
        """Stop sending and reading on every connection for a while.

        Returns at once. Connections opened during the stall are stalled too
        (their ``session.created`` waits). A later call replaces the end of the
        stall; ``stall(0)`` ends it now. :meth:`stop` does not wait for it.

        Args:
            seconds: How long, from now.

        Raises:
            ValueError: ``seconds`` is negative.
        """
        if seconds < 0:
            raise ValueError("seconds must not be negative")
        with self._faults.lock:
            self._faults.stall_until = time.monotonic() + seconds
        with self._lock:
            conns = list(self._conns.values())
        for conn in conns:
            with conn.cond:
                conn.cond.notify_all()
