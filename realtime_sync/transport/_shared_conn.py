"""A Connection read by a shared reader thread instead of a thread of its own.

:class:`_SharedConnection` is a :class:`~realtime_sync.transport.Connection` in
everything but the reading side: the same constructor, checks, state machine,
send queue, inline sends and writer thread (liveness pings, hand-offs, the close
frame), the same callbacks with the same arguments. What differs:

* ``connect()`` (Connection's own) calls our ``_install_frame_reader`` and
  ``_start_reader`` hooks: the latter attaches the socket to the shared reader
  (``_shared_loop.py``) instead of starting a thread; the connection's ``_reader``
  is the shared thread, so ``close()`` called from a callback on that thread is
  recognised as such;
* the shared thread calls :meth:`_SharedConnection._shared_read` when the socket
  is readable: ONE ``recv()`` of what the kernel holds (never blocking: the
  descriptor stays in blocking mode for the writers, the read uses
  ``MSG_DONTWAIT``), appended to a per-connection buffer, then as many frames as
  the buffer holds are parsed with websocket-client's own frame reader
  (``frame_buffer``, with our ``_FrameReader`` refusing oversized messages on the
  header) and continuation machinery (``continuous_frame``). A frame that is not
  complete stays half-parsed in the frame reader (``recv_strict`` keeps what it
  has) until more bytes come: the recv function given to the frame reader serves
  the buffer and raises ``_NeedMore`` when it runs dry;
* TLS: ``select`` sees the kernel's bytes only, not what OpenSSL already
  decrypted, and an SSL read blocks until a whole record is in. So a TLS socket
  is read only while ``pending()`` says decrypted bytes wait, or a peek at the
  kernel's bytes shows a whole TLS record; a partial record raises
  ``SO_RCVLOWAT`` to its size so that the selector wakes the loop only once it
  is complete, instead of spinning (Linux and the BSDs honour it in
  poll/epoll/kqueue; where setting it fails, as on Windows, the loop polls the
  socket again until the record is in). One case is not covered: a whole
  record that carries no application data (a TLS 1.3 session ticket or key
  update) with nothing behind it makes the SSL read wait for the next record.
  Servers send their tickets right after the handshake, which websocket-client
  reads through before the socket reaches the loop;
* pings are answered and the server's close frame is echoed by the shared
  thread, which must not wait behind another thread's write: it takes the send
  lock without blocking (a pong that cannot go now is retried a few ms later) or,
  for the close echo, waits for it at most 50 ms;
* liveness: the reader-side deadline (the writer thread still pings and gives up
  as for a Connection) is checked by the loop's periodic sweep, which first
  looks whether bytes wait unread (a slow handler of ANOTHER connection holds
  the shared thread: the server is not silent);
* ``close()`` waits for the shared thread to report the end (``_done``) instead
  of joining a thread of its own, and joins the shared thread only if this was
  its last connection.
"""

from __future__ import annotations

import contextlib
import socket
import ssl
import struct
import threading
import time
from typing import Any

import websocket

from realtime_sync.exceptions import ProtocolError
from realtime_sync.transport._connection import Connection
from realtime_sync.transport._core import (
    _JOIN_GRACE,
    _remaining,
    logger,
)
from realtime_sync.transport._reader import (
    _MESSAGE_TOO_BIG,
    _VIOLATION_REASONS,
    _FrameReader,
    _MessageTooBig,
    _parse_close,
    _read_probe,
    _whole_frame,
)
from realtime_sync.transport._shared_loop import End, _SharedReader

__all__: list[str] = []

# One recv() per readable event takes up to this much: a realtime event is a few
# KiB, and a bigger buffer would make every recv() allocate (and give back) more.
_RECV_BYTES = 64 * 1024
# socket.MSG_DONTWAIT where the system has it (not on Windows: there a recv() after
# the selector reported the socket readable returns at once anyway).
_DONTWAIT: int = getattr(socket, "MSG_DONTWAIT", 0)
# How long the shared thread waits for the send lock to echo a close frame.
_ECHO_WAIT = 0.05
# A TLS record: 5 bytes of header (type, version, length), at most 2**14 bytes of
# plaintext plus the cipher's expansion (RFC 8446 section 5.2: 2**14 + 256).
_TLS_HEADER = 5
_TLS_MAX_RECORD = _TLS_HEADER + 2**14 + 256
_LOWAT: int | None = getattr(socket, "SO_RCVLOWAT", None)

_OPCODE_TEXT = websocket.ABNF.OPCODE_TEXT
_OPCODE_BINARY = websocket.ABNF.OPCODE_BINARY
_OPCODE_CLOSE = websocket.ABNF.OPCODE_CLOSE
_OPCODE_PING = websocket.ABNF.OPCODE_PING
_OPCODE_PONG = websocket.ABNF.OPCODE_PONG
# The payload of our answer to the server's close frame: 1000, no reason.
_NORMAL_CLOSE = (1000).to_bytes(2, "big")
_DATA_OPCODES = frozenset({_OPCODE_TEXT, _OPCODE_BINARY, websocket.ABNF.OPCODE_CONT})


class _NeedMore(Exception):
    """The buffer ran dry in the middle of a frame: wait for more bytes."""


_NEED_MORE = _NeedMore()


class _SharedConnection(Connection):
    """A Connection whose reading is done by a :class:`_SharedReader` (see module)."""

    _shared: _SharedReader
    _inbuf: bytes
    _inpos: int
    _frames: _FrameReader
    _cont: websocket.continuous_frame
    _pong_due: bytes | None
    _tls: bool
    _lowat: int
    _fileno: int

    def __init__(self, url: str, *, shared: _SharedReader, **options: Any) -> None:
        super().__init__(url, **options)
        self._shared = shared
        # Bytes received and not parsed yet: _inbuf[_inpos:].
        self._inbuf = b""
        self._inpos = 0
        self._pong_due = None
        self._tls = False
        self._lowat = 1
        self._fileno = -1

    # ------------------------------------------------------------------ lifecycle

    def _install_frame_reader(self, raw_ws: websocket.WebSocket) -> None:
        """Connection.connect()'s hook: read frames from our buffer.

        websocket-client's frame reader and continuation state, fed from the
        buffer (the handshake reads the socket directly, not through them).
        """
        self._frames = _FrameReader(self._take, self._max_message_size)
        raw_ws.frame_buffer = self._frames
        self._cont = raw_ws.cont_frame

    def _start_reader(self, sock: socket.socket) -> threading.Thread:
        """Connection.connect()'s hook: hand the socket to the shared reader.

        Returns the shared thread (``realtime-sync-shared-reader``), so that
        ``close()`` called from a callback on it is recognised as such.
        """
        # Kept: the loop looks it up again after the socket was closed.
        self._fileno = sock.fileno()
        self._tls = isinstance(sock, ssl.SSLSocket)
        # The loop's sweep asks "bytes unread?" with _readable, the writer with
        # _unread: one poll object per thread.
        self._readable = _read_probe(sock)
        logger.debug("%s: read by the shared reader", self._safe_url)
        return self._shared.attach(self)

    def _close_open(
        self, reader: threading.Thread, writer: threading.Thread, deadline: float
    ) -> None:
        """close() steps 2-3; step 3 waits for the shared thread to report the end."""
        writer.join(_remaining(deadline))
        if writer.is_alive():
            with self._lock:
                queued = self._queued_bytes
            logger.warning(
                "close(): %d queued bytes could not be written in time; aborting",
                queued,
            )
            self._abort_socket()
            writer.join(_JOIN_GRACE)
        if threading.current_thread() is reader:
            # From a callback on the shared thread (this connection's or another's):
            # it cannot wait for itself. The loop ends the connection when the
            # server's close frame comes, or at the deadline.
            self._reader_deadline = deadline
            self._shared.note_closing(self)
            got = self._send_lock.acquire(timeout=_JOIN_GRACE)
            try:
                self._seal_queue()
            finally:
                if got:
                    self._send_lock.release()
            return
        if self._done.wait(_remaining(deadline)):
            return
        logger.debug("no close frame from the server in time; aborting")
        self._abort_socket()  # the loop reads the end and reports it
        if not self._done.wait(_JOIN_GRACE):
            # The shared thread is busy (a slow handler of some connection): report
            # the end now; the loop closes the descriptor when it gets here.
            logger.warning(
                "thread %s is busy (a slow handler?); the end of %s is reported "
                "without it",
                reader.name,
                self._safe_url,
            )
            self._finish(
                None, "", "the shared reader did not get to it", own_socket=False
            )

    def _join(self, thread: threading.Thread | None, deadline: float) -> None:
        """Join our writer; the shared thread only if it has nothing left to read."""
        if thread is not None and thread is self._reader:
            self._shared.join_idle(thread, max(_remaining(deadline), _JOIN_GRACE))
            return
        super()._join(thread, deadline)

    # ------------------------------------------------------------------ loop side

    def _shared_fileno(self) -> int:
        return self._fileno

    def _shared_sweep_period(self) -> float | None:
        if self._ping_interval is None or self._ping_timeout is None:
            return None
        return max(0.05, min(self._ping_interval, self._ping_timeout) / 4)

    def _shared_read(self) -> End | None:
        """Read what the socket holds and deliver every complete frame.

        Returns:
            ``(code, reason, detail)`` when the connection ended, else ``None``.
        """
        sock = self._sock
        assert sock is not None
        try:
            if self._tls:
                data = self._tls_read(sock)
                if not data:
                    return None  # no whole record yet
            else:
                data = sock.recv(_RECV_BYTES, _DONTWAIT)
                if not data:
                    return None, "", self._describe(_lost())
        except (BlockingIOError, InterruptedError, ssl.SSLWantReadError):
            return None
        except websocket.WebSocketConnectionClosedException as exc:
            return None, "", self._describe(exc)
        except OSError as exc:  # reset, or our own abort
            return None, "", self._describe(exc)
        self._last_receive = time.monotonic()
        pos = self._inpos
        if pos < len(self._inbuf):
            self._inbuf = self._inbuf[pos:] + data
        else:
            self._inbuf = data
        self._inpos = 0
        return self._parse()

    def _take(self, bufsize: int) -> bytes:
        """The frame reader's recv function: up to ``bufsize`` buffered bytes."""
        buf, pos = self._inbuf, self._inpos
        if pos >= len(buf):
            raise _NEED_MORE
        end = pos + bufsize
        self._inpos = end
        return buf[pos:end]

    def _parse(self) -> End | None:
        """Deliver every complete frame in the buffer."""
        frames = self._frames
        cont = self._cont
        limit = self._max_message_size
        while True:
            buf, pos = self._inbuf, self._inpos
            if (
                frames.header is None
                and not frames.recv_buffer
                and cont.recving_frames is None
            ):
                # The common frame, whole in the buffer, is cut out directly (see
                # _Reader._next_frame); anything else goes to websocket-client.
                whole = _whole_frame(buf, pos, limit)
                if isinstance(whole, tuple):
                    kind, start, stop = whole
                    self._inpos = stop
                    ended = self._deliver_data(kind, buf[start:stop])
                    if ended is not None:
                        return ended
                    continue
            # Nothing left: skip the exception unless a frame is half-parsed (it
            # may be complete: a payload of 0 bytes).
            if pos >= len(buf) and frames.header is None:
                return None
            try:
                frame = frames.recv_frame()
            except _NeedMore:
                return None
            except _MessageTooBig as exc:
                return self._fail_connection(_MESSAGE_TOO_BIG, str(exc), exc)
            except websocket.WebSocketException as exc:
                return self._protocol_error(exc)
            opcode = frame.opcode
            if opcode in _DATA_OPCODES:
                try:
                    self._cont.validate(frame)
                except websocket.WebSocketException as exc:
                    return self._protocol_error(exc)
                self._cont.add(frame)
                if not frame.fin:
                    continue
                opcode, frame = self._cont.extract(frame)
                end = self._deliver_data(opcode, frame.data)
                if end is not None:
                    return end
            elif opcode == _OPCODE_CLOSE:
                self._echo_close()
                return (*_parse_close(_as_bytes(frame.data)), "")
            elif opcode == _OPCODE_PING:
                self._pong_due = _as_bytes(frame.data)
                self._shared_retry_pong()
            # pongs: counted for liveness by the time stamp of the read

    # ------------------------------------------------------------------ control frames

    def _shared_retry_pong(self) -> None:
        """Write the pong due if nobody is writing now (else the loop retries)."""
        payload = self._pong_due
        if payload is not None and self._control(_OPCODE_PONG, payload, wait=0.0):
            self._pong_due = None

    def _echo_close(self) -> None:
        """Answer the server's close frame (1000), unless ours went out already."""
        if not self._control(_OPCODE_CLOSE, _NORMAL_CLOSE, wait=_ECHO_WAIT, last=True):
            logger.debug("close frame not echoed: another thread is writing")

    def _fail_connection(
        self, code: int, message: str, exc: BaseException
    ) -> tuple[int, str, str]:
        """As the per-connection reader's, but the close frame never waits.

        A writer may hold websocket-client's write lock for long (a frame cut by a
        full socket, finished by the writer thread); the shared thread must not
        wait for it. So the close frame goes only if both locks are free now.
        """
        reason = _VIOLATION_REASONS[code]
        violation = ProtocolError(self._redact(message))
        violation.__cause__ = exc
        with self._lock:
            if self._violation is None:
                self._violation = violation
        logger.warning("%s: %s", self._safe_url, violation)
        payload = code.to_bytes(2, "big") + reason.encode("utf-8")
        self._control(_OPCODE_CLOSE, payload, wait=0.0, last=True)
        return code, reason, ""

    def _control(
        self, opcode: int, payload: bytes, *, wait: float, last: bool = False
    ) -> bool:
        """Write a control frame if nobody else is writing; the shared thread only.

        Takes the send lock (waiting at most ``wait`` seconds) and
        websocket-client's write lock without waiting, then writes the frame if
        the socket is writable. ``last``: a close frame, after which nothing more
        is written (``_close_sent``).

        Returns:
            True when done (written, or nothing may be written any more); False
            when the frame could not go now.
        """
        send_lock = self._send_lock
        if not (send_lock.acquire(timeout=wait) if wait else send_lock.acquire(False)):
            return False
        try:
            ws: Any = self._ws
            write_lock = ws.lock
            if not write_lock.acquire(blocking=False):
                return False  # a frame cut by a full socket is being finished
            try:
                with self._lock:
                    may_write = self._may_write_locked()
                    if last:
                        self._close_sent = True
                if not may_write:
                    return True
                if not self._writable():
                    return last  # (a close frame: the connection ends anyway)
                sock = ws.sock
                if sock is not None:
                    frame = websocket.ABNF.create_frame(payload, opcode)
                    sock.sendall(frame.format())
            finally:
                write_lock.release()
        except (OSError, websocket.WebSocketException) as exc:
            if not last:
                self._write_failed(exc)
        finally:
            send_lock.release()
        return True

    # ------------------------------------------------------------------ TLS

    def _tls_read(self, sock: socket.socket) -> bytes:
        """Decrypted bytes that can be read without blocking (maybe none)."""
        assert isinstance(sock, ssl.SSLSocket)
        chunks: list[bytes] = []
        while True:
            pending = sock.pending()
            if pending:
                chunk = sock.recv(pending)
            elif self._tls_record_in(sock):
                chunk = sock.recv(_RECV_BYTES)
            else:
                break
            if not chunk:  # EOF (close_notify)
                if chunks:
                    break
                raise _lost()
            chunks.append(chunk)
        return b"".join(chunks)

    def _tls_record_in(self, sock: ssl.SSLSocket) -> bool:
        """Whether the kernel holds a whole TLS record (an SSL read won't block)."""
        try:
            head = socket.socket.recv(
                sock, _TLS_MAX_RECORD, socket.MSG_PEEK | _DONTWAIT
            )
        except (BlockingIOError, InterruptedError):
            return False
        except OSError:
            return True  # let the read report it
        if len(head) < _TLS_HEADER:
            if not head:
                return True  # EOF: the read reports it
            self._wait_for_bytes(sock, _TLS_HEADER)
            return False
        (length,) = struct.unpack_from("!H", head, 3)
        needed = _TLS_HEADER + length
        if len(head) >= needed:
            self._wait_for_bytes(sock, 1)
            return True
        self._wait_for_bytes(sock, needed)
        return False

    def _wait_for_bytes(self, sock: socket.socket, count: int) -> None:
        """Wake the selector only once ``count`` bytes are in (SO_RCVLOWAT)."""
        if _LOWAT is None or count == self._lowat:
            return
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, _LOWAT, count)
            self._lowat = count

    # ------------------------------------------------------------------ ends

    def _shared_sweep(self, now: float) -> End | None:
        """The close deadline, then the reader-side liveness deadline."""
        deadline = self._reader_deadline
        if deadline is not None and now >= deadline:
            return None, "", "the server did not answer the close frame in time"
        if self._ping_timeout is None or now < self._silence_deadline():
            return None
        readable = self._readable
        if readable is not None and readable(0):
            return None  # bytes wait: the shared thread was busy, the server is not
        self._declare_dead()
        return None, "", "no answer to a ping"

    def _shared_crashed(self, exc: BaseException) -> End:
        self._crashed("reader", exc)
        return None, "", ""

    def _shared_end(self, end: End) -> None:
        code, reason, detail = end
        self._finish(code, reason, detail, own_socket=True)


def _as_bytes(data: str | bytes) -> bytes:
    # ABNF.data is bytes for frames read from the network (typed str | bytes).
    return data.encode("utf-8") if isinstance(data, str) else bytes(data)


def _lost() -> websocket.WebSocketConnectionClosedException:
    # The words websocket-client uses for EOF, as the per-connection reader reports.
    return websocket.WebSocketConnectionClosedException(
        "Connection to remote host was lost."
    )
