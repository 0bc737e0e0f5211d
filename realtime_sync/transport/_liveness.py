"""Liveness bookkeeping: when to ping, and when a silent server counts as dead.

Liveness is judged on what the connection RECEIVES (see "Liveness" in
``_connection.py``). Two time stamps carry it, each written by one thread only:
``_last_receive`` (reader: the last chunk of bytes read) and ``_ping_sent``
(writer: just before the last ping was written). A ping is unanswered while
``_ping_sent > _last_receive``. :class:`_Liveness` turns them into deadlines for
both threads and records the verdict when the deadline passes.
"""

from __future__ import annotations

from realtime_sync.transport._core import _Core, logger

__all__: list[str] = []


class _Liveness(_Core):
    """Deadlines from the liveness stamps, and the "connection is dead" verdict."""

    def _liveness_due(self) -> tuple[float, bool]:
        """When the writer must act next for liveness, and whether it is to give up.

        Returns:
            ``(due, dead)``: with no ping unanswered, the next ping is due
            ``ping_interval`` after the last receive (``dead`` False). With one
            unanswered, the connection is dead ``ping_timeout`` after it was sent
            (``dead`` True), or, without a ping timeout, the next ping is due
            ``ping_interval`` after the last one.
        """
        interval, timeout = self._ping_interval, self._ping_timeout
        assert interval is not None
        received = max(self._last_receive, self._unread_seen)
        pinged = self._ping_sent
        if pinged > received:  # a ping is unanswered
            if timeout is None:
                return pinged + interval, False
            return pinged + timeout, True
        return received + interval, False

    def _silence_deadline(self) -> float:
        """When the READER gives up on a silent server (a ping timeout is set).

        With a ping unanswered: ``ping_timeout`` after it was sent. Otherwise the
        writer pings at last receive + ``ping_interval``; allow it that and the
        timeout, in case it is stuck in a write and cannot ping at all. (The
        reader's per-read poll() path computes the same inline; this is for the
        paths that run only after a wait ran out.)
        """
        interval, timeout = self._ping_interval, self._ping_timeout
        assert interval is not None and timeout is not None
        received, pinged = self._last_receive, self._ping_sent
        if pinged > received:
            return pinged + timeout
        return received + interval + timeout

    def _declare_dead(self) -> None:
        """No answer to a ping in time: record why and abort the socket.

        Called by the writer or the reader (whichever notices first; the first
        message wins). The abort wakes the reader, which ends and reports the
        message through on_close with ``code=None``.
        """
        interval, timeout = self._ping_interval, self._ping_timeout
        assert interval is not None and timeout is not None
        received, pinged = self._last_receive, self._ping_sent
        if pinged > received:
            message = (
                f"The connection is dead: no answer to a ping within {timeout:g} s."
            )
        else:
            # The writer could not even send the ping (stuck in a write into the
            # full send buffer of a dead connection); the reader gave up on its own.
            message = (
                f"The connection is dead: nothing received for "
                f"{interval + timeout:g} s and no answer to a ping within "
                f"{timeout:g} s (the ping could not be sent)."
            )
        with self._lock:
            first = self._dead is None and not self._finished
            if first:
                self._dead = message
        if first:
            logger.warning("%s: %s", self._safe_url, message)
        self._abort_socket()
