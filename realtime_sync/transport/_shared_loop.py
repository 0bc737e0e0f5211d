"""The shared reader: one thread reading many connections through a selector.

:class:`_SharedReader` owns one thread ("realtime-sync-shared-reader") that waits
with :mod:`selectors` on the sockets of every connection attached to it and, when
one is readable, lets that connection read and deliver what arrived
(``_SharedConnection._shared_read`` in ``_shared_conn.py``). It knows sockets,
deadlines and the thread's lifetime; the WebSocket framing, the callbacks and the
end of a connection belong to the connection.

Lifetime: the thread starts when the first connection attaches and exits when the
last one has been detached (its end reported), closing its selector and its
wake-up socket pair; the next attach starts a fresh thread. So a reader with no
connections holds no thread and no descriptor. :meth:`_SharedReader.join_idle`
lets ``close()`` join the thread when it closed the last connection.

Everything the loop touches per connection (the selector, the members, the
closing deadlines, pending pongs) is touched on the loop thread only; other
threads hand new connections over through ``_incoming`` (under ``_lock``) and
wake the loop by writing a byte to its socket pair.
"""

from __future__ import annotations

import contextlib
import selectors
import socket
import threading
import time
from typing import Protocol

from realtime_sync.transport._core import logger

__all__: list[str] = []

# Name of the one thread of a shared reader.
THREAD_NAME = "realtime-sync-shared-reader"
# How often the loop retries a pong it could not write at once (the socket was
# busy with another thread's write), in seconds.
_RETRY_INTERVAL = 0.005
# The loop never sleeps longer than this without looking at its deadlines again,
# also when no connection asked for liveness (a safety net, not a poll: one wake-up
# a second for the whole process).
_MAX_WAIT = 1.0

# What ends a connection: the server's close code (or None), its reason, and
# what happened when there was no close frame (see _Reader._read_frames()).
End = tuple[int | None, str, str]


class Member(Protocol):
    """What the loop needs from a connection attached to it."""

    # A pong the loop must retry (set by the connection, cleared once written).
    _pong_due: bytes | None
    # When the connection gives up waiting for the server's close frame (set by
    # close() called on the loop thread).
    _reader_deadline: float | None

    def _shared_fileno(self) -> int:
        """The descriptor to wait on."""
        ...

    def _shared_read(self) -> End | None:
        """Read and deliver what arrived; the end, or ``None`` to go on."""
        ...

    def _shared_sweep(self, now: float) -> End | None:
        """Check the liveness and close deadlines; the end, or ``None``."""
        ...

    def _shared_sweep_period(self) -> float | None:
        """How often the liveness deadline must be looked at, or ``None``."""
        ...

    def _shared_retry_pong(self) -> None:
        """Try again to write ``_pong_due``."""
        ...

    def _shared_crashed(self, exc: BaseException) -> End:
        """Record a crash of the loop while serving this connection."""
        ...

    def _shared_end(self, end: End) -> None:
        """Report the end (``_finish()``); the socket is no longer watched."""
        ...


class _Loop:
    """One generation of the shared thread: its selector, wake-up pair, thread."""

    def __init__(self, owner: _SharedReader) -> None:
        self.owner = owner
        self.selector = selectors.DefaultSelector()
        self.wake_r, self.wake_w = socket.socketpair()
        self.wake_r.setblocking(False)
        self.wake_w.setblocking(False)
        self.selector.register(self.wake_r, selectors.EVENT_READ, None)
        self.members: dict[int, Member] = {}
        self.closing: set[Member] = set()
        self.retry: set[Member] = set()
        self.sweep_period = _MAX_WAIT
        self.next_sweep = time.monotonic() + self.sweep_period
        self.thread = threading.Thread(target=self.run, name=THREAD_NAME, daemon=True)

    def wake(self) -> None:
        """Make the loop look at its incoming list (any thread)."""
        # Full buffer: a wake-up is pending already. Closed: the loop is gone.
        with contextlib.suppress(OSError):
            self.wake_w.send(b"\0")

    # ------------------------------------------------------------------ the loop

    def run(self) -> None:
        """Body of the shared thread."""
        try:
            while self._round():
                pass
        except BaseException as exc:  # a bug of the loop itself: end every member
            logger.error("the shared reader thread crashed", exc_info=exc)
            orphans = list(self.members.values()) + self.owner._abandon(self)
            for member in orphans:
                self._detach(member, member._shared_crashed(exc))
        finally:
            self.selector.close()
            self.wake_r.close()
            self.wake_w.close()
        logger.debug("shared reader thread ends")

    def _round(self) -> bool:
        """Wait once and serve what is ready; ``False`` when the thread should exit."""
        for member in self.owner._take_incoming(self):
            fileno = member._shared_fileno()
            try:
                self.selector.register(fileno, selectors.EVENT_READ, member)
            except (OSError, ValueError, KeyError) as exc:  # closed meanwhile
                self._detach(member, (None, "", f"cannot watch the socket: {exc}"))
                continue
            self.members[fileno] = member
            period = member._shared_sweep_period()
            if period is not None and period < self.sweep_period:
                self.sweep_period = period
                self.next_sweep = min(self.next_sweep, time.monotonic() + period)
        if not self.members and self.owner._exited(self):
            return False
        ready = self.selector.select(self._timeout())
        for key, _ in ready:
            member = key.data
            if member is None:
                self._drain_wakeups()
                continue
            if key.fd not in self.members:
                continue  # detached earlier in this round
            try:
                end = member._shared_read()
            except BaseException as exc:  # never kills the loop (see module)
                end = member._shared_crashed(exc)
            if end is not None:
                self._detach(member, end)
            elif member._pong_due is not None:
                self.retry.add(member)
        self.closing.update(self.owner._take_closing())
        self._timers()
        return True

    def _timeout(self) -> float:
        """Seconds until the next deadline (sweep, close, pong retry)."""
        if self.retry:
            return _RETRY_INTERVAL
        due = self.next_sweep
        for member in self.closing:
            deadline = member._reader_deadline
            if deadline is not None and deadline < due:
                due = deadline
        return min(_MAX_WAIT, max(0.0, due - time.monotonic()))

    def _timers(self) -> None:
        """Retry pongs, end connections past a deadline."""
        for member in list(self.retry):
            member._shared_retry_pong()
            if member._pong_due is None:
                self.retry.discard(member)
        now = time.monotonic()
        if now >= self.next_sweep:
            self.next_sweep = now + self.sweep_period
            candidates: list[Member] = list(self.members.values())
        elif self.closing:
            candidates = list(self.closing)
        else:
            return
        for member in candidates:
            if member._shared_fileno() not in self.members:
                continue
            try:
                end = member._shared_sweep(now)
            except BaseException as exc:
                end = member._shared_crashed(exc)
            if end is not None:
                self._detach(member, end)

    def _drain_wakeups(self) -> None:
        with contextlib.suppress(BlockingIOError, InterruptedError):
            while self.wake_r.recv(4096):
                pass

    def _detach(self, member: Member, end: End) -> None:
        """Stop watching a connection, then report its end (on this thread)."""
        fileno = member._shared_fileno()
        if self.members.get(fileno) is member:
            del self.members[fileno]
            with contextlib.suppress(KeyError, ValueError):
                self.selector.unregister(fileno)
        self.closing.discard(member)
        self.retry.discard(member)
        self.owner._detached()
        try:
            member._shared_end(end)
        except Exception:  # pragma: no cover - _finish() guards on_close itself
            logger.exception("ending a connection failed on the shared reader")


class _SharedReader:
    """Attaches connections to the current loop, starting it when needed."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        # Notified when a loop exits or a connection attaches (join_idle waits).
        self._changed = threading.Condition(self._lock)
        self._loop: _Loop | None = None
        self._attached = 0  # connections attached and not yet detached
        self._incoming: list[Member] = []
        # Connections closed from a callback on the loop thread: their close
        # deadline must be watched (see note_closing()).
        self._closing: list[Member] = []

    @property
    def thread(self) -> threading.Thread | None:
        """The running shared thread, or ``None`` when no connection is attached."""
        with self._lock:
            return None if self._loop is None else self._loop.thread

    @property
    def attached(self) -> int:
        """How many connections the shared thread serves (or is about to)."""
        with self._lock:
            return self._attached

    def attach(self, member: Member) -> threading.Thread:
        """Hand a connected socket to the loop; returns the thread that reads it.

        The thread stays the same for as long as the connection is attached (a
        loop exits only when it has no connection at all).
        """
        with self._lock:
            loop = self._loop
            start = loop is None
            if loop is None:
                loop = self._loop = _Loop(self)
            self._attached += 1
            self._incoming.append(member)
            self._changed.notify_all()
            if start:
                loop.thread.start()
            else:
                loop.wake()
            return loop.thread

    def join_idle(self, thread: threading.Thread, timeout: float) -> None:
        """Join ``thread`` if it is exiting because it has nothing left to read.

        Returns at once while it serves other connections (it lives on for them).
        Never joins the current thread.
        """
        if thread is threading.current_thread():
            return
        deadline = time.monotonic() + timeout
        with self._lock:
            while True:
                loop = self._loop
                if loop is None or loop.thread is not thread:
                    break  # that generation exited (or is exiting): join it
                if self._attached:
                    return  # serves other connections: stays
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                self._changed.wait(remaining)
        thread.join(max(0.0, deadline - time.monotonic()))
        if thread.is_alive():
            logger.warning("thread %s did not stop after close()", thread.name)

    def note_closing(self, member: Member) -> None:
        """``member._reader_deadline`` was set: end it then if still open."""
        with self._lock:
            self._closing.append(member)
            loop = self._loop
        if loop is not None and loop.thread is not threading.current_thread():
            loop.wake()

    # ------------------------------------------------------------------ loop side

    def _take_closing(self) -> list[Member]:
        if not self._closing:  # read without the lock: a miss is seen next round
            return []
        with self._lock:
            closing, self._closing = self._closing, []
            return closing

    def _take_incoming(self, loop: _Loop) -> list[Member]:
        if not self._incoming:  # read without the lock: attach() wakes the loop
            return []
        with self._lock:
            if not self._incoming or self._loop is not loop:
                return []
            incoming, self._incoming = self._incoming, []
            return incoming

    def _detached(self) -> None:
        with self._lock:
            self._attached -= 1

    def _exited(self, loop: _Loop) -> bool:
        """The loop has no members and asks to exit; ``False`` if some came in."""
        with self._lock:
            if self._loop is not loop:  # pragma: no cover - one loop per generation
                return True
            if self._attached:
                return False
            self._loop = None
            self._changed.notify_all()
            return True

    def _abandon(self, loop: _Loop) -> list[Member]:
        """The loop crashed: forget it; returns the members it never registered."""
        with self._lock:
            orphans: list[Member] = []
            if self._loop is loop:
                orphans, self._incoming = self._incoming, []
                self._loop = None
            self._changed.notify_all()
            return orphans
