"""The reader thread: frames in, liveness stamps, protocol violations out.

Only the reader reads the socket. :class:`_Reader` holds its loop: it cuts the
common frame (a whole, unfragmented, unmasked text or binary message) out of the
bytes it read ahead itself, and receives every other frame through
websocket-client's ``recv_data_frame()`` (which answers pings and the server's
close frame itself); it hands text frames to ``on_message`` and binary ones to
``on_binary``, fails the connection when the server breaks RFC 6455 (1002, 1007,
1009), and ends with :meth:`~_Core._finish`. Underneath, two pieces
shape every read:

* :class:`_FrameReader` refuses a message larger than ``max_message_size`` as soon
  as its frame header announces it, before its payload is read (beyond the 16 KiB
  read-ahead of the chunk that brought the header);
* ``_recv_chunk`` stamps the time of every chunk for liveness and keeps recv()
  from blocking past the liveness deadline: the kernel bounds it
  (SO_RCVTIMEO, :func:`_bound_reads`, Linux over plain TCP), or a poll() before
  each read does (:func:`_read_probe`, TLS and other systems).
"""

from __future__ import annotations

import select
import socket
import ssl
import struct
import sys
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

import websocket

from realtime_sync.exceptions import ProtocolError
from realtime_sync.transport._core import logger
from realtime_sync.transport._liveness import _Liveness

if TYPE_CHECKING:
    from realtime_sync.transport._handshake import _WebSocket

__all__: list[str] = []

# "1005 is a reserved value ... designated for use in applications expecting a status
# code to indicate that no status code was actually present." (RFC 6455 section 7.4.1)
_NO_STATUS_RECEIVED = 1005
# Codes (and the reasons we send with them) for failing the connection when the
# server breaks the protocol (RFC 6455 section 7.4.1).
_PROTOCOL_ERROR = 1002
_INVALID_PAYLOAD = 1007
# "1009 indicates that an endpoint is terminating the connection because it has
# received a message that is too big for it to process."
_MESSAGE_TOO_BIG = 1009
_VIOLATION_REASONS = {
    _PROTOCOL_ERROR: "protocol error",
    _INVALID_PAYLOAD: "invalid payload",
    _MESSAGE_TOO_BIG: "message too big",
}
# "All control frames MUST have a payload length of 125 bytes or less" (RFC 6455
# section 5.5); checked on the header, so a bogus length is never allocated.
_MAX_CONTROL_PAYLOAD = 125

_OPCODE_TEXT = websocket.ABNF.OPCODE_TEXT
_OPCODE_BINARY = websocket.ABNF.OPCODE_BINARY
_OPCODE_CLOSE = websocket.ABNF.OPCODE_CLOSE
_OPCODE_CONT = websocket.ABNF.OPCODE_CONT

# The least the reader asks the socket for in one recv(). websocket-client asks for
# exactly what it parses next (2 header bytes, then the extended length, then the
# payload): three system calls for a typical frame, each of which lets go of the
# GIL, and a thread that lets go of the GIL mid-frame queues behind every other
# connection's reader for it again (the futex calls that dominated the receive
# path in situ). Reading ahead gets a whole typical Realtime frame (an audio delta
# of 100 ms is about 6.6 KB) in one call; frame_buffer.recv_strict() keeps what
# was read beyond what it asked for. Its own cap per call is the same 16 KiB.
_READ_AHEAD = 16384


class _MessageTooBig(websocket.WebSocketProtocolException):
    """A frame header announced more than max_message_size (payload not read)."""

    def __init__(self, size: int, limit: int, *, fragmented: bool) -> None:
        if fragmented:
            what = f"a fragmented message of at least {size} bytes"
        else:
            what = f"a message of {size} bytes"
        super().__init__(f"The server sent {what}; max_message_size is {limit} bytes.")


class _PeerSilent(Exception):
    """Raised by the reader's recv function when the liveness deadline passed."""


class _FrameReader(websocket.frame_buffer):
    """websocket-client's frame reader, refusing oversized messages on the header.

    websocket-client reads a frame in one go (``recv_frame()``: header, length,
    mask, then ``recv_strict(length)``, which buffers the whole payload), and its
    only size-related option is none at all. So the check must happen between
    reading the length and reading the payload. Of the ways to get there:

    * reading the header ourselves and handing websocket-client the rest would
      duplicate its frame parsing and fight its buffering (``recv_buffer``);
    * a ``recv`` function that refuses big reads cannot tell a header from a payload;
    * overriding ``recv_length()`` here runs exactly after the length is known and
      before the payload is requested, and keeps every other line of the library's
      parsing, validation and partial-read state. It relies on ``recv_frame()``
      calling ``recv_length()``, a public method of an exported class
      (``websocket.frame_buffer``), checked by a test so that a release that
      changes this fails loudly rather than silently dropping the limit.

    The sum over continuation fragments is tracked here too (websocket-client
    concatenates them in ``continuous_frame``, after reading each). Control frames
    longer than 125 bytes are refused on the header as well: ABNF.validate() would
    refuse them, but only after reading the announced length.
    """

    def __init__(self, recv: Callable[[int], bytes], limit: int | None) -> None:
        # skip_utf8_validation=True, as for the WebSocket itself (see connect()).
        super().__init__(recv, True)
        self._limit = limit
        # Payload bytes announced so far by the fragments of an unfinished message.
        self._message_bytes = 0

    def recv_length(self) -> None:
        """Read the payload length, then refuse it if it is too big."""
        super().recv_length()
        header, length = self.header, self.length
        if header is None or length is None:  # pragma: no cover - set just above
            return
        fin, opcode = header[0], header[4]
        if opcode >= 0x8:  # control frames may come between fragments
            if length > _MAX_CONTROL_PAYLOAD:
                raise websocket.WebSocketProtocolException(
                    f"control frame with a payload of {length} bytes (at most "
                    f"{_MAX_CONTROL_PAYLOAD} allowed)"
                )
            return
        fragmented = opcode == _OPCODE_CONT or not fin
        total = length + (self._message_bytes if opcode == _OPCODE_CONT else 0)
        self._message_bytes = 0 if fin else total
        if self._limit is not None and total > self._limit:
            raise _MessageTooBig(total, self._limit, fragmented=fragmented)


class _Reader(_Liveness):
    """The reader thread's side of a connection (see the module docstring)."""

    def _read_loop(self) -> None:
        """Body of the reader thread: deliver frames until the end, then _finish()."""
        try:
            try:
                code, reason, detail = self._read_frames()
            except BaseException as exc:  # a bug, or a BaseException from on_message
                self._crashed("reader", exc)
                code, reason, detail = None, "", ""
            self._finish(code, reason, detail, own_socket=True)
        except Exception:  # pragma: no cover - _finish() itself failed: a bug
            logger.exception("the reader thread failed while shutting down")
        logger.debug("reader thread ends")

    def _read_frames(self) -> tuple[int | None, str, str]:
        """Receive until the connection ends.

        Returns:
            ``(code, reason, detail)``: the server's close code and reason when it sent
            a close frame, else ``None``, ``""`` and what happened instead.
        """
        ws = self._ws
        assert ws is not None
        while True:
            deadline = self._reader_deadline
            if deadline is not None:
                # close() was called on this thread (from on_message) and is not
                # waiting for us: bound the wait for the server's close frame here.
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return None, "", "the server did not answer the close frame in time"
                ws.settimeout(remaining)
            try:
                # Answers pings itself, and answers a close frame with a close frame
                # (status 1000) before returning it to us. Pongs are consumed inside;
                # they count for liveness through _recv_chunk's time stamps.
                opcode, data = self._next_frame(ws)
            except _PeerSilent:
                self._declare_dead()
                return None, "", "no answer to a ping"
            except websocket.WebSocketTimeoutException:
                return None, "", "the server did not answer the close frame in time"
            except (websocket.WebSocketConnectionClosedException, OSError) as exc:
                # EOF, reset, or our own abort() during close().
                return None, "", self._describe(exc)
            except _MessageTooBig as exc:
                # Refused on the header: the payload was never read (see _FrameReader).
                return self._fail_connection(_MESSAGE_TOO_BIG, str(exc), exc)
            except websocket.WebSocketException as exc:
                return self._protocol_error(exc)
            if opcode == _OPCODE_CLOSE:
                code, reason = _parse_close(data)
                return code, reason, ""
            end = self._deliver_data(opcode, data)
            if end is not None:
                return end

    def _next_frame(self, ws: _WebSocket) -> tuple[int, bytes]:
        """The next data message or close frame: ``(opcode, payload)``.

        The common frame, a whole unfragmented text or binary message (FIN set, no
        RSV bit, no mask: nearly every frame a Realtime server sends), is cut out
        of the bytes read ahead here: websocket-client's generic parsing (a frame
        object, a dozen calls, a copy of the rest of the buffer per field) cost
        more than decoding the event. Everything else goes to websocket-client's
        ``recv_data_frame()`` through our :class:`_FrameReader`, handed what was
        read ahead first: control frames (it answers pings and echoes the close),
        fragments, RSV bits or a mask (its checks), and a message over
        ``max_message_size`` (refused on the header, as always).
        """
        # The frame starts at _ahead_pos: cutting a frame moves the position, with
        # no copy of the bytes after it (a chunk may hold many small frames).
        buf, pos = self._ahead, self._ahead_pos
        limit = self._max_message_size
        found = _whole_frame(buf, pos, limit)
        while found.__class__ is int:  # cut short: read up to what it needs
            parts, have = [buf[pos:]], len(buf)  # (have and found: offsets in buf)
            while have < found:
                chunk = self._recv_chunk(found - have)
                parts.append(chunk)
                have += len(chunk)
            buf, pos = b"".join(parts), 0
            found = _whole_frame(buf, 0, limit)
        if isinstance(found, tuple):
            opcode, start, end = found
            if end < len(buf):
                self._ahead, self._ahead_pos = buf, end
            else:  # all used: do not hold a big message's bytes until the next one
                self._ahead, self._ahead_pos = b"", 0
            return opcode, buf[start:end]
        frames = ws.frame_buffer
        self._ahead, self._ahead_pos = b"", 0
        # (empty after the call: everything it read beyond the frame is handed back)
        frames.recv_buffer = [buf[pos:]]
        opcode, frame = ws.recv_data_frame()
        if frames.recv_buffer:
            self._ahead = b"".join(frames.recv_buffer)
            frames.recv_buffer = []
        return opcode, frame.data

    def _deliver_data(
        self, opcode: int, data: bytes
    ) -> tuple[int | None, str, str] | None:
        """Hand a data message to on_message (text) or on_binary (binary).

        Returns:
            What the reader returns when the connection must end: a text frame
            that is not UTF-8; else ``None``.
        """
        if opcode == _OPCODE_TEXT:
            try:
                text = data.decode("utf-8")
            except UnicodeDecodeError as exc:
                # "When an endpoint is to interpret a byte stream as UTF-8 but
                # finds that the byte stream is not, in fact, a valid UTF-8 stream,
                # that endpoint MUST _Fail the WebSocket Connection_." (section 8.1)
                return self._fail_connection(
                    _INVALID_PAYLOAD,
                    f"The server sent a text frame that is not UTF-8 ({exc.reason} "
                    f"at byte {exc.start} of {len(data)}).",
                    exc,
                )
            try:
                self._on_message(text)
            except Exception:
                # Defence in depth: the client catches its handlers' errors itself.
                # The frame's content is not logged (it may be megabytes of audio).
                logger.exception(
                    "on_message raised on a %d-character frame; the reader goes on",
                    len(text),
                )
        elif opcode == _OPCODE_BINARY:
            # The Realtime protocol has text frames only: not for on_message, but
            # never dropped silently.
            self._deliver_binary(bytes(data))
        return None

    def _protocol_error(
        self, exc: websocket.WebSocketException
    ) -> tuple[int | None, str, str]:
        """Fail the connection: bad framing, bad close code, oversized ping...

        The server broke RFC 6455, which says to "_Fail the WebSocket Connection_"
        (section 7.1.7).
        """
        return self._fail_connection(
            _PROTOCOL_ERROR,
            f"The server broke the WebSocket protocol: {self._describe(exc)}",
            exc,
        )

    def _deliver_binary(self, data: bytes) -> None:
        """Pass a binary frame to on_binary (logged only without one)."""
        if self._on_binary is None:
            logger.warning("skipped a binary frame of %d bytes", len(data))
            return
        try:
            self._on_binary(data)
        except Exception:
            logger.exception("on_binary raised; the reader goes on")

    def _recv_chunk(self, bufsize: int) -> bytes:
        """The recv function of our _FrameReader; runs on the reader thread only.

        Stamps the time of every chunk received (data, control frame, or part of
        either) for liveness, and with a ping timeout set never blocks in recv()
        past the liveness deadline: it waits for data with poll() first (see
        "Liveness" in ``_connection.py``), or leaves the bound to the kernel.

        Raises:
            _PeerSilent: The deadline passed without a byte from the server.
        """
        readable, raw_recv = self._readable, self._raw_recv
        assert raw_recv is not None  # set with the WebSocket, before any read
        # Not while close() bounds the reader's wait itself (socket timeout), nor
        # when TLS already holds decrypted bytes the descriptor would not show.
        if readable is not None and self._reader_deadline is None:
            sock = self._sock
            if self._kernel_bounded:
                return self._recv_bounded_by_kernel(bufsize)
            if not (isinstance(sock, ssl.SSLSocket) and sock.pending()):
                while True:
                    interval, timeout = self._ping_interval, self._ping_timeout
                    assert interval is not None and timeout is not None
                    received, pinged = self._last_receive, self._ping_sent
                    # _Liveness._silence_deadline(), inline: this runs per read.
                    if pinged > received:
                        deadline = pinged + timeout
                    else:
                        # The writer pings at received + interval; allow it that
                        # and the timeout, in case it is stuck in a write.
                        deadline = received + interval + timeout
                    remaining = deadline - time.monotonic()
                    # Timed wait until the deadline, then look again: the writer may
                    # have pinged meanwhile, which moves the deadline later. Always
                    # look at least once: after a slow on_message the deadline may
                    # be past while the server's answer waits in the kernel.
                    if readable(max(0.0, remaining)):
                        break
                    if remaining <= 0:
                        raise _PeerSilent()
        data = raw_recv(max(bufsize, _READ_AHEAD))
        self._last_receive = time.monotonic()
        return data

    def _recv_bounded_by_kernel(self, bufsize: int) -> bytes:
        """A plain recv() on a socket with SO_RCVTIMEO: no poll() per read.

        The kernel ends a recv() that waited ``_RCVTIMEO`` without a byte with
        EAGAIN; we then look at the liveness deadline and wait again, or give up.
        A poll() before every read (the portable way, kept for TLS and other
        systems) cost about 20 % of the client's CPU in benchmarks/e2e.py.

        Raises:
            _PeerSilent: The deadline passed without a byte from the server.
        """
        sock = self._sock
        assert sock is not None
        while True:
            try:
                data = sock.recv(max(bufsize, _READ_AHEAD))
            except BlockingIOError:  # SO_RCVTIMEO ran out: nothing arrived
                if time.monotonic() >= self._silence_deadline():
                    raise _PeerSilent() from None
                continue
            if not data:  # as websocket-client's recv() reports it
                raise websocket.WebSocketConnectionClosedException(
                    "Connection to remote host was lost."
                )
            self._last_receive = time.monotonic()
            return data

    def _fail_connection(
        self, code: int, message: str, exc: BaseException
    ) -> tuple[int, str, str]:
        """Fail the connection after a protocol violation by the server.

        Records a ProtocolError (``exc`` as its cause) for on_close, and sends a
        close frame with ``code`` best effort. RFC 6455 section 7.1.7: the endpoint
        SHOULD send a close frame first; only if that cannot block this thread:
        nobody else is writing and the socket is writable. The reader ends right
        after (this returns its result), and _finish() aborts the socket.

        Returns:
            What _read_frames() returns: our code and reason, and no detail.
        """
        reason = _VIOLATION_REASONS[code]
        violation = ProtocolError(self._redact(message))
        violation.__cause__ = exc
        with self._lock:
            if self._violation is None:
                self._violation = violation
        logger.warning("%s: %s", self._safe_url, violation)
        ws = self._ws
        assert ws is not None
        if self._send_lock.acquire(blocking=False):
            try:
                with self._lock:
                    may_write = self._may_write_locked()
                    self._close_sent = True
                if may_write and self._writable():
                    ws.send_close(code, reason.encode("utf-8"))
            except (OSError, websocket.WebSocketException):
                pass  # the connection is being torn down anyway
            finally:
                self._send_lock.release()
        return code, reason, ""


def _bound_reads(
    sock: socket.socket, interval: float | None, timeout: float | None
) -> bool:
    """Make a blocking recv() on ``sock`` end now and then (SO_RCVTIMEO); True if set.

    Linux only, and plain TCP only: a TLS socket buffers decrypted bytes the kernel
    does not know about, and other systems spell the option differently. The
    timeout is a quarter of the shorter of ``ping_interval`` and ``ping_timeout``
    (at least 50 ms): a silent peer is noticed that long after its deadline.
    """
    if (
        not sys.platform.startswith("linux")
        or isinstance(sock, ssl.SSLSocket)
        or interval is None
        or timeout is None
    ):
        return False
    seconds = max(0.05, min(interval, timeout) / 4)
    whole = int(seconds)
    value = struct.pack("ll", whole, int((seconds - whole) * 1_000_000))
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVTIMEO, value)
    except OSError:
        return False
    return True


def _read_probe(sock: socket.socket) -> Callable[[float], bool]:
    """A "wait up to N s for data to read" check for ``sock`` (reader thread only).

    poll() where available, for the same FD_SETSIZE reason as _write_probe(). An
    error or hang-up (our own abort included) counts as readable: recv then fails.
    """
    if hasattr(select, "poll"):
        poller = select.poll()
        poller.register(sock.fileno(), select.POLLIN | select.POLLPRI)
        # poll() takes milliseconds; round up so that a wait never ends early.
        return lambda timeout: bool(poller.poll(max(0, int(timeout * 1000) + 1)))
    return lambda timeout: bool(  # pragma: no cover - Windows
        select.select((sock,), (), (), timeout)[0]
    )


def _whole_frame(
    buf: bytes, pos: int, limit: int | None
) -> tuple[int, int, int] | int | None:
    """Where the common frame at ``buf[pos:]`` has its payload.

    The common frame: FIN set, no RSV bit, text or binary, unmasked, of at most
    ``limit`` bytes (what a Realtime server sends nearly always).

    Returns:
        ``(opcode, start, end)`` of the payload when such a frame is all there; the
        length ``buf`` must reach to tell more when it may be one but is cut short;
        ``None`` when it is another kind of frame.
    """
    if len(buf) - pos < 2:
        return pos + 2
    b0, b1 = buf[pos], buf[pos + 1]
    if (b0 != 0x81 and b0 != 0x82) or b1 >= 0x80:
        return None
    if b1 < 126:
        start, length = pos + 2, b1
    else:
        start = pos + (4 if b1 == 126 else 10)
        if len(buf) < start:
            return start
        length = int.from_bytes(buf[pos + 2 : start], "big")
    if limit is not None and length > limit:
        return None
    end = start + length
    return (b0 & 0x0F, start, end) if len(buf) >= end else end


def _parse_close(data: bytes) -> tuple[int, str]:
    """Code and reason of a close frame (websocket-client validated its shape)."""
    if len(data) < 2:
        return _NO_STATUS_RECEIVED, ""
    return int.from_bytes(data[:2], "big"), data[2:].decode("utf-8", "replace")
