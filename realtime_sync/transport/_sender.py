"""The sending side: the send queue, inline writes, and the writer thread.

:meth:`_Sender.send` appends to a queue bounded in bytes and, when nobody else is
writing and the socket can take the data now, writes the queue on the calling
thread (``_pump``/``_drain``): no thread hand-off on the common path (see
"senders" in ``_connection.py`` for the measurements behind that). The writer
thread (``_write_loop``) takes over only when a caller must not wait: the socket is
not writable, a frame is too big to be sure it fits, frames were queued before
``connect()``, or ``close()`` wants the queue drained and the close frame sent. It
also sends the liveness pings (``_liveness.py`` says when).
"""

from __future__ import annotations

import os
import select
import socket
import struct
import time
from collections.abc import Callable
from typing import Any

import websocket

from realtime_sync.exceptions import QueueFull, Timeout
from realtime_sync.transport._core import ConnectionState, _Entry, logger
from realtime_sync.transport._liveness import _Liveness

__all__: list[str] = []

# Frames up to this size are written by the calling thread when poll() says the socket
# is writable. "Writable" only promises *some* room in the kernel's send buffer (on
# Linux, free space >= half of what is queued, hence >= a third of the buffer), so a
# big frame could still block the caller until the network drains; those go to the
# writer thread. 16 KiB covers audio appends up to ~250 ms of 24 kHz PCM16 in base64.
_INLINE_WRITE_LIMIT = 16 * 1024

# A send that takes what fits and never waits (plain TCP sockets: see _put_nowait).
_MSG_DONTWAIT: int | None = getattr(socket, "MSG_DONTWAIT", None)

_urandom = os.urandom
_from_bytes = int.from_bytes
_pack_16 = struct.Struct("!BBH").pack
_pack_64 = struct.Struct("!BBQ").pack


def _text_frame(data: bytes, key: bytes | None = None) -> bytes:
    """One masked, final WebSocket text frame carrying ``data`` (RFC 6455 5.2-5.3).

    What websocket-client's ``ABNF.create_frame(data, OPCODE_TEXT).format()`` builds,
    without its frame object and checks: this runs for every frame we send (50 a
    second per session streaming audio). ``key`` is for tests; a fresh random
    masking key is drawn per frame otherwise, as the RFC requires.
    """
    n = len(data)
    if key is None:
        key = _urandom(4)
    if n < 126:
        head = bytes((0x81, 0x80 | n))
    elif n < 65536:
        head = _pack_16(0x81, 0xFE, n)
    else:
        head = _pack_64(0x81, 0xFF, n)
    # XOR with the key repeated over the payload, as one big integer (what
    # websocket-client does without wsaccel): a few C calls, no per-byte loop.
    mask = key * (n >> 2) + key[: n & 3]
    masked = (_from_bytes(data, "little") ^ _from_bytes(mask, "little")).to_bytes(
        n, "little"
    )
    return head + key + masked


class _Sender(_Liveness):
    """The sending side of a connection (see the module docstring)."""

    def send(self, text: str, item: object = None) -> None:
        """Queue one text frame; write it now if the socket can take it.

        Thread-safe. Frames are written in the order they were queued, whichever
        thread writes them, so each thread's frames keep their order. The calling
        thread writes the queue itself when nobody else is writing and the socket is
        writable; otherwise the frame waits in the queue for the thread currently
        writing or for the writer thread, so ``send()`` never waits for a slow
        network. May be called before
        :meth:`connect`: the frame is written right after the handshake.

        Args:
            text: The frame (a JSON document for the Realtime API).
            item: What to report in ``ConnectionClosed.unsent`` if the frame is never
                written (normally the event object ``text`` was encoded from);
                ``None`` reports ``text`` itself.

        Raises:
            TypeError: ``text`` is not a ``str``.
            ValueError: ``text`` cannot be encoded as UTF-8 (a lone surrogate), or
                it is larger than ``max_queue_bytes`` by itself (it could never be
                queued; retrying would not help).
            QueueFull: Queuing ``text`` would exceed ``max_queue_bytes`` now (the
                queue must drain first); nothing was queued.
            ConnectionClosed: The connection is closing or closed, or a reader/writer
                crash was stored (the crash is ``__cause__``); nothing was queued.
        """
        if not isinstance(text, str):
            raise TypeError(f"text must be a str, not {type(text).__name__}")
        try:
            data = text.encode("utf-8")
        except UnicodeEncodeError as exc:
            raise ValueError("text cannot be encoded as UTF-8") from exc
        nbytes = len(data)
        if nbytes > self._max_queue_bytes:
            # Not QueueFull: that one invites a retry once the queue drained, and
            # this frame would not fit an empty queue either.
            raise ValueError(
                f"The frame is {nbytes} bytes, more than max_queue_bytes="
                f"{self._max_queue_bytes}: it can never be queued. Send it in smaller "
                "parts (audio in shorter appends), or raise max_queue_bytes."
            )
        entry = (data, nbytes, text if item is None else item)
        lock = self._lock
        with lock:
            if self._refusing_locked():
                raise self._closed_error_locked()
            if self._queued_bytes + nbytes > self._max_queue_bytes:
                raise QueueFull(
                    f"The send queue holds {self._queued_bytes} bytes; {nbytes} more "
                    f"would exceed max_queue_bytes={self._max_queue_bytes}."
                )
            queue = self._queue
            queue.append(entry)
            self._queued_bytes += nbytes
            if self._state is not ConnectionState.OPEN:
                return  # before connect(): the writer drains once the socket is open
            alone = len(queue) == 1 and not self._writer_wanted
        send_lock = self._send_lock
        if not (
            alone
            and nbytes <= _INLINE_WRITE_LIMIT
            and send_lock.acquire(blocking=False)
        ):
            self._pump()
            return
        # The common case, inlined (see "senders" in _connection.py): our frame was
        # alone in the queue and nobody is writing. What _pump() and _drain() do,
        # with one lock round trip after the write instead of three.
        try:
            if self._dontwait:
                written = self._put_nowait(data, entry)
                if written is not True:
                    if written is False:  # the socket took nothing: the writer will
                        self._hand_off(nbytes)
                    # (None: part of it went; the writer finishes it, see _put_nowait)
                    send_lock.release()
                    return
            elif not self._writable():
                self._hand_off(nbytes)
                send_lock.release()  # the writer takes over (see _pump's guard)
                return
            else:
                self._put(data)
        except (OSError, websocket.WebSocketException) as exc:
            self._write_failed(exc)
            send_lock.release()
            return
        except BaseException:
            send_lock.release()
            raise
        if not self._fast_written(entry):
            # More frames came meanwhile: write them too (still holding the send
            # lock), as _pump() does.
            self._pump(held=True)

    def _fast_written(self, entry: _Entry) -> bool:
        """After send()'s inline write: pop ``entry``; release the send lock if done.

        The send lock is released under ``_lock`` when the queue is empty, so a
        thread appending meanwhile either came before (and its frame is seen here:
        False, the caller writes it) or finds the send lock free. Returns True with
        the lock released, False with it still held.
        """
        with self._lock:
            queue = self._queue
            if queue and queue[0] is entry:  # (unless a seal raced the write)
                queue.popleft()
                self._queued_bytes -= entry[1]
            if (
                queue
                and self._state is ConnectionState.OPEN
                and self._may_write_locked()
            ):
                return False
            if not queue and self._flushing:
                self._drained.notify_all()
            self._send_lock.release()
            return True

    def flush(self, timeout: float | None = None) -> None:
        """Block until every queued frame was written to the socket.

        "Written" means handed to the operating system, not received by the server.

        Args:
            timeout: Seconds to wait; ``None`` waits as long as it takes.

        Raises:
            Timeout: Frames were still queued when ``timeout`` ran out.
            ConnectionClosed: The connection is closing or closed (or crashed, the
                crash being ``__cause__``) before the queue was written.
            ValueError: ``timeout`` is negative.
        """
        if timeout is not None and timeout < 0:
            raise ValueError("timeout must be >= 0 or None")
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._lock:
            while True:
                if self._refusing_locked():
                    raise self._closed_error_locked()
                if not self._queue:
                    return
                remaining = None
                if deadline is not None:
                    remaining = deadline - time.monotonic()
                    if remaining <= 0:
                        raise Timeout(
                            f"{self._queued_bytes} bytes were still queued after "
                            f"{timeout:g} s."
                        )
                # Counted, so that a sender emptying the queue notifies only when
                # someone waits (a notify_all() per frame costs more than the rest).
                self._flushing += 1
                try:
                    self._drained.wait(remaining)
                finally:
                    self._flushing -= 1

    # ------------------------------------------------------------------ sending

    def _put(self, data: bytes) -> None:
        """Write one text frame; the caller holds _send_lock.

        Under websocket-client's own write lock, which the reader's pongs and close
        echo take too (see "Locks" in _connection.py).
        """
        ws: Any = self._ws
        frame = _text_frame(data)
        with ws.lock:
            sock = ws.sock
            if sock is None:
                raise websocket.WebSocketConnectionClosedException(
                    "socket is already closed."
                )
            sock.sendall(frame)

    def _put_nowait(self, data: bytes, entry: _Entry) -> bool | None:
        """Write one text frame if the socket takes it now; the caller holds _send_lock.

        One non-blocking send instead of a poll() and a send (plain TCP sockets
        only, ``_dontwait``): each is a system call that releases the GIL, and a
        sender streaming audio to many sessions pays it 50 times a second each.

        Returns:
            True: the frame was written. False: the socket took nothing (hand the
            queue to the writer). None: it took part of the frame; the rest must
            follow before any other byte on the socket, so websocket-client's
            write lock stays held and the writer thread writes the rest and
            releases it (:meth:`_finish_partial`); the frame stays queued until
            then.
        """
        ws: Any = self._ws
        frame = _text_frame(data)
        lock = ws.lock
        lock.acquire()
        try:
            sock = ws.sock
            if sock is None:
                raise websocket.WebSocketConnectionClosedException(
                    "socket is already closed."
                )
            try:
                sent = sock.send(frame, _MSG_DONTWAIT)
            except BlockingIOError:
                sent = 0
        except BaseException:
            lock.release()
            raise
        if sent == len(frame):
            lock.release()
            return True
        if not sent:
            lock.release()
            return False
        with self._lock:
            writer = self._writer
            handed = not self._finished and writer is not None and writer.is_alive()
            if handed:
                self._partial = (frame[sent:], entry)
                self._partial_busy = True
                self._writer_wanted = True
                self._wakeup.notify()
        if not handed:  # no writer to finish it: the stream is broken
            lock.release()
            raise websocket.WebSocketConnectionClosedException(
                "a frame was written in part and the connection is ending"
            )
        logger.debug(
            "socket took %d of %d bytes: the writer writes the rest", sent, len(frame)
        )
        return None

    def _finish_partial(self, rest: bytes, entry: _Entry) -> None:
        """Writer thread: write the rest of a frame _put_nowait() began.

        Holds websocket-client's write lock on behalf of the sender that began the
        frame (a plain Lock may be released by another thread) and releases it. Not
        the send lock: a thread holding that may be waiting for the write lock (to
        send a close frame), and _finish() waits for this write to end (see
        ``_partial_busy``) before it closes the socket.
        """
        ws: Any = self._ws
        failed: BaseException | None = None
        try:
            sock = ws.sock
            if sock is None:
                raise websocket.WebSocketConnectionClosedException(
                    "socket is already closed."
                )
            sock.sendall(rest)
        except (OSError, websocket.WebSocketException) as exc:
            failed = exc
        finally:
            ws.lock.release()
            with self._lock:
                if failed is None and self._queue and self._queue[0] is entry:
                    self._queue.popleft()
                    self._queued_bytes -= entry[1]
                self._partial_busy = False
                self._drained.notify_all()
        if failed is not None:
            self._write_failed(failed)

    def _pump(self, *, held: bool = False) -> None:
        """Write the queue on this thread if nobody else is writing (see send()).

        Args:
            held: The caller holds the send lock already (released here).
        """
        send_lock = self._send_lock
        while held or send_lock.acquire(blocking=False):
            held = False
            try:
                self._drain(inline=True)
            finally:
                send_lock.release()
            # Lost wake-up guard: a thread that appended while we held the send lock
            # failed its non-blocking acquire and returned, counting on us. Look once
            # more now that the lock is free; if its frame is there, write it.
            with self._lock:
                if (
                    not self._queue
                    or self._writer_wanted
                    or self._state is not ConnectionState.OPEN
                    or not self._may_write_locked()
                ):
                    return

    def _drain(self, *, inline: bool) -> None:
        """Write queued frames, oldest first; the caller holds _send_lock.

        Args:
            inline: ``True`` on a sender's thread: stop and hand off to the writer
                rather than risk blocking. ``False`` on the writer: write everything,
                blocking as long as the network needs.
        """
        ws = self._ws
        assert ws is not None  # the queue is drained only once connected
        written: _Entry | None = None
        while True:
            with self._lock:
                if written is not None:
                    # Pop only after the write: until then the frame counts as queued
                    # for flush() and as unsent if the connection dies. The identity
                    # check covers a seal that raced an abandoned write.
                    if self._queue and self._queue[0] is written:
                        self._queue.popleft()
                        self._queued_bytes -= written[1]
                    written = None
                if not self._queue:
                    if not inline:
                        self._writer_wanted = False  # callers may write again
                    if self._flushing:
                        self._drained.notify_all()
                    return
                if not self._may_write_locked():
                    return
                if inline and (
                    self._writer_wanted or self._state is not ConnectionState.OPEN
                ):
                    return  # the writer is in charge (slow socket, or closing)
                entry = self._queue[0]
            if inline and (entry[1] > _INLINE_WRITE_LIMIT or not self._writable()):
                self._hand_off(entry[1])
                return
            try:
                self._put(entry[0])
            except (OSError, websocket.WebSocketException) as exc:
                self._write_failed(exc)
                return
            written = entry

    def _hand_off(self, nbytes: int) -> None:
        """Give the queue to the writer thread: the socket cannot take it right now."""
        with self._lock:
            if self._writer_wanted:
                return
            self._writer_wanted = True
            queued = self._queued_bytes
            self._wakeup.notify()
        if nbytes > _INLINE_WRITE_LIMIT:
            why = f"next frame is {nbytes} bytes"
        else:
            why = "socket not writable"
        logger.debug("%s: the writer thread takes %d queued bytes", why, queued)

    def _write_failed(self, exc: BaseException) -> None:
        """A write raised: the connection is gone. Make the reader notice and report.

        The frame being written stays at the head of the queue, so it is reported as
        unsent (it may have been written in part; it certainly was not delivered whole).
        """
        with self._lock:
            first = self._io_error is None
            if first:
                self._io_error = exc
            closing = self._close_requested
            self._drained.notify_all()
            self._wakeup.notify_all()
        if first:
            log = logger.debug if closing else logger.warning
            log("writing to %s failed: %s", self._safe_url, self._describe(exc))
        # The reader may be blocked in recv on a half-dead socket: wake it, so that it
        # ends and runs _finish() (which reports on_close).
        self._abort_socket()

    # ------------------------------------------------------------------ writer thread

    def _write_loop(self) -> None:
        """Body of the writer thread: hand-offs, early frames, pings, close frame."""
        try:
            while self._write_round():
                pass
        except BaseException as exc:  # a bug: store it, tear the connection down
            self._crashed("writer", exc)
        finally:
            with self._lock:
                partial, self._partial = self._partial, None
            if partial is not None:  # never taken: release what its sender held
                ws: Any = self._ws
                ws.lock.release()
                with self._lock:
                    self._partial_busy = False
                    self._drained.notify_all()
        logger.debug("writer thread ends")

    def _write_round(self) -> bool:
        """Wait for work and do it; ``False`` when the writer should exit."""
        interval = self._ping_interval
        closing = ping_due = dead = False
        partial = None
        with self._lock:
            while True:
                if self._partial is not None:
                    # A frame a sender began (see _put_nowait): before anything.
                    partial, self._partial = self._partial, None
                    break
                if self._finished or self._io_error is not None or self._close_sent:
                    return False
                if self._state is ConnectionState.CLOSING:
                    closing = True
                    break
                if self._writer_wanted:
                    break
                if self._queue and not self._send_lock.locked():
                    # Lost wake-up guard, as in _pump(): frames appended while this
                    # thread held the send lock in its previous round.
                    self._writer_wanted = True
                    break
                wait: float | None = None
                if interval is not None:
                    due, is_dead = self._liveness_due()
                    now = time.monotonic()
                    wait = due - now
                    if wait <= 0:
                        if is_dead and self._unread is not None and self._unread(0):
                            # Bytes wait in the kernel: the server answered, but the
                            # reader is busy (a slow on_message), so _last_receive
                            # is stale. Not dead; count it as received now.
                            self._unread_seen = now
                            continue
                        dead = is_dead
                        ping_due = not is_dead
                        break
                # No sleep-polling: notify() from a hand-off or close(), or the next
                # ping's (or its answer's) due time, whichever comes first.
                self._wakeup.wait(wait)
        if partial is not None:
            self._finish_partial(*partial)
            return True  # the next round drains the rest, pings, closes
        if dead:
            # The reader usually saw it first (its own wait ends at the same time);
            # whichever comes first aborts the socket, and the reader reports.
            self._declare_dead()
            return False
        # Blocking acquire: a sender may be finishing a frame; we are allowed to wait.
        with self._send_lock:
            self._drain(inline=False)
            if ping_due:
                self._ping_if_silent()
            if closing:
                self._send_close_frame()
                return False
        return True

    def _ping_if_silent(self) -> None:
        """Ping if nothing was received for ping_interval; holds _send_lock."""
        interval = self._ping_interval
        ws = self._ws
        assert interval is not None and ws is not None
        with self._lock:
            if self._state is not ConnectionState.OPEN or not self._may_write_locked():
                return
        due, dead = self._liveness_due()
        if dead or time.monotonic() < due:
            return  # the server spoke while we were draining, or we gave up already
        # Stamped BEFORE the write: an answer, however fast, is stamped after it.
        self._ping_sent = time.monotonic()
        try:
            ws.ping()
        except (OSError, websocket.WebSocketException) as exc:
            self._write_failed(exc)
            return
        logger.debug("sent a ping after %.3g s without receiving anything", interval)

    def _send_close_frame(self) -> None:
        """Send our close frame once the queue is empty; holds _send_lock."""
        ws = self._ws
        assert ws is not None
        with self._lock:
            if self._queue or not self._may_write_locked():
                return  # the drain stopped on an error: nothing more can be written
            code, reason = self._close_args
        try:
            ws.send_close(code, reason.encode("utf-8"))
        except (OSError, websocket.WebSocketException) as exc:
            self._write_failed(exc)
            return
        with self._lock:
            self._close_sent = True
        logger.debug("sent close frame (code %d)", code)


def _always_writable() -> bool:
    return True


def _write_probe(sock: socket.socket) -> Callable[[], bool]:
    """A zero-timeout "can I write without blocking?" check for ``sock``.

    poll() where available: select() cannot watch descriptors >= FD_SETSIZE (1024),
    which a process holding many sessions reaches. Only the send-lock holder calls the
    probe, so one poll object per connection is never used by two threads at once.
    An error or hang-up counts as writable: the write then fails and reports it.
    """
    if hasattr(select, "poll"):
        poller = select.poll()
        poller.register(sock.fileno(), select.POLLOUT)
        return lambda: bool(poller.poll(0))
    # Windows: select() takes socket handles, no FD_SETSIZE bitmap problem there.
    return lambda: bool(select.select((), (sock,), (), 0)[1])  # pragma: no cover
