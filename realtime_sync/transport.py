"""The WebSocket transport: one connection, a reader thread and a thread-safe sender.

:class:`Connection` moves JSON text frames between the Realtime server and the client
above it; it knows nothing about events. This is the only module of ``realtime_sync``
that imports :mod:`websocket` (websocket-client) or starts a thread that touches the
network. Its contract, in short:

* :meth:`Connection.connect` performs the handshake and starts the threads;
* :meth:`Connection.send` queues a frame and, when the socket can take it, writes it
  on the calling thread; :meth:`Connection.flush` waits until the queue is written;
* every text frame received is handed to ``on_message`` on the reader thread;
  a message larger than ``max_message_size`` fails the connection (close code 1009)
  before its payload is read;
* liveness is judged on what is RECEIVED: after ``ping_interval`` seconds without
  a byte from the server the writer pings, and without an answer within
  ``ping_timeout`` the connection is declared dead (a half-open TCP connection);
* :meth:`Connection.close` shuts everything down and returns the frames never
  written; ``on_close`` hears about the end exactly once, whatever caused it.

It also checks the transport's security before anything is sent: TLS certificates
are always verified (``ca_bundle``/``ssl_context`` for private CAs), and credentials
are not sent over plain ``ws://`` to another machine unless ``allow_insecure=True``
(:func:`credentials_in_cleartext`).
"""

# Theory of operation
# ===================
#
# Threads
# -------
# * reader ("realtime-sync-reader", started by connect()): the ONLY thread that reads
#   the socket. It loops on websocket-client's recv_data_frame(), which also answers
#   pings with pongs and answers a close frame with a close frame of its own (both
#   written from the reader thread, see "locks" below for why that is safe). Each text
#   frame goes to on_message; an exception from on_message is logged and the loop goes
#   on. The loop ends on a close frame, on EOF/reset, on a protocol violation (the
#   reader sends 1002/1007/1009 best effort and records a ProtocolError as the cause),
#   when the peer fell silent (see "liveness"), or on a crash (an unexpected
#   exception, stored and re-raised by the next send/flush and by raise_if_failed()).
#   Whatever ended it, the reader then runs _finish(): state CLOSED, queue sealed as
#   "unsent", socket closed, on_close called once.
#   The reader does not use websocket-client's frame reader as is: _FrameReader (a
#   subclass installed as ws.frame_buffer) checks each frame's announced length
#   against max_message_size as soon as the header is in, before a byte of payload
#   is read, and its recv function stamps the time of every chunk received and, when
#   a ping timeout is set, waits for data with poll() bounded by the liveness
#   deadline instead of blocking in recv() forever (one extra poll() per recv, a
#   microsecond or two; a few per frame).
# * senders (any thread calling send()): send() appends (bytes, size, item) to a deque
#   bounded in bytes. If the send lock is free (non-blocking acquire) and the socket is
#   writable right now (poll/select with a zero timeout), the CALLER writes the queue,
#   oldest first. Measured on our machines, handing every frame to a thread costs
#   ~100 us of CPU in wake-ups per send (134 us against 27 us per 20 ms audio
#   append), which halves the sessions one process can hold, so the common case
#   never wakes a thread. After releasing the send lock the caller looks at the queue
#   again: a thread that appended while we held the lock found it taken and returned,
#   trusting the holder to write its frame (no lost wake-up).
# * writer ("realtime-sync-writer", started by connect()): sleeps on a Condition and
#   takes over only when a caller must not wait: the socket is not writable (or the
#   next frame is too big to be sure it fits), frames were queued before connect()
#   finished, or close() wants the queue drained and the close frame sent. It also
#   sends the liveness pings. It never polls with sleep: its only timed wait is
#   "until the next ping, or the answer to the last one, is due".
#
# Liveness (ping_interval, ping_timeout)
# --------------------------------------
# A client streaming audio writes all the time; if liveness were judged on writes
# (as it used to be) it would never ping, and a half-open connection (peer gone
# without a FIN: NAT dropped, laptop lid closed, server host died) would swallow
# audio until TCP gives up, many minutes later. So it is judged on what we RECEIVE:
# * _last_receive: monotonic time of the last chunk of bytes read from the socket
#   (any frame, data or control, also part of a big frame); written by the reader.
# * _ping_sent: monotonic time just BEFORE the last ping was written (before, so
#   that an answer can never be stamped earlier than its ping); written by the
#   writer. A ping is "unanswered" while _ping_sent > _last_receive.
# The writer pings when nothing was received for ping_interval (and no ping is
# unanswered), whether or not it has been writing. If the ping is still unanswered
# ping_timeout later, the connection is declared dead: _declare_dead() records the
# message and aborts the socket (as close() does), the reader ends on the abort and
# _finish() reports ConnectionClosed(code=None) with that message. Both threads
# check, because either may be stuck: the writer in a blocking write into the full
# send buffer of a dead connection (then the ping is never even sent), the reader in
# recv(). The reader's waits are therefore bounded by the deadline (ping sent +
# ping_timeout, or, if the writer could not ping, last receive + ping_interval +
# ping_timeout). On Linux over plain TCP the kernel bounds them: SO_RCVTIMEO ends a
# recv() that waited a quarter of the shorter period, and the reader looks at the
# deadline and waits again (_recv_bounded_by_kernel; no extra system call per
# read). Elsewhere, and for TLS (decrypted bytes the kernel does not see), it waits
# with poll() bounded by the deadline before each recv. A reader busy in a slow
# on_message reads nothing, so _last_receive goes stale while the server's answers
# wait in the kernel: before giving up, the writer polls the socket (zero timeout,
# its own poll object) and takes unread bytes as a sign of life (_unread_seen,
# writer only). Floats are stored atomically; a stale read only makes a thread wake
# early and look again.
#
# Locks (acquisition order: _send_lock, then _lock; websocket-client's own ws.lock is
# innermost and taken only inside ws.send())
# -----
# * _lock (plain Lock; Conditions _wakeup and _drained share it) guards every field
#   that changes after __init__ (except the two liveness timestamps, see above):
#   state, queue, queued byte count, the writer's "wanted" flag, the close request,
#   error/crash/violation/dead records, the unsent tuple. It is
#   held for a few dozen bytecodes at a time and never around I/O or user code.
# * _send_lock (plain Lock) is held by whoever writes OUR frames: an inline sender,
#   the writer, or _finish() while it seals the queue and closes the socket. Holding
#   it is what keeps frames in queue order: only its holder pops from the queue's
#   left end, and it pops a frame only after the frame was written.
# * ws.lock (enable_multithread=True): websocket-client holds it for the whole write
#   of one frame. We keep it although _send_lock already serialises our frames,
#   because recv_data_frame() writes pongs and the close echo from the reader thread
#   without knowing about _send_lock; without ws.lock such a control frame could be
#   interleaved into the middle of one of our frames. Uncontended, it costs well
#   under a microsecond per frame.
#
# Shutdown sequence (close(timeout, code, reason))
# ------------------------------------------------
# 1. Under _lock: mark the close requested (idempotency flag; later calls only wait
#    for the first one and return the same unsent tuple), state OPEN -> CLOSING,
#    wake the writer. From here send() raises ConnectionClosed.
# 2. The writer drains the queue (blocking writes are fine on that thread), sends
#    the close frame with code/reason and exits. close() joins it until the
#    deadline; if it is still stuck on a stalled network, close() aborts the socket
#    (shutdown(SHUT_RDWR)), which fails the blocked write and wakes the reader.
# 3. close() waits (join, bounded by the same deadline) for the reader to see the
#    server's answering close frame; if it does not come, abort the socket. abort()
#    "wakes up other threads that are waiting in recv_*" (websocket-client
#    _core.py); WebSocket.close() is never called from a thread other than the reader
#    (websocket-client issue #120: it reads the socket itself).
# 4. The reader ends and runs _finish() (see above), then close() joins both threads
#    with a short grace period and logs a warning naming any thread still alive.
#    close() never joins the current thread: called from on_message (reader thread)
#    it does steps 1-2, seals the queue, records a deadline, and returns; the reader
#    resumes after on_message returns, waits for the server's close frame with a
#    socket timeout set to that deadline, and ends on its own.
# The socket's file descriptor is closed by _finish() only: after the reader stopped
# reading and while holding _send_lock with the state already CLOSED, so no thread is
# inside a write or will start one; closing a descriptor another thread is blocked on
# would not wake it and could hand its number to an unrelated file.

from __future__ import annotations

import collections
import contextlib
import enum
import logging
import os
import select
import socket
import ssl
import struct
import sys
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Protocol, cast
from urllib.parse import urlsplit

import websocket

from realtime_sync._credentials import (
    CREDENTIAL_HEADERS,
    KEY_SUBPROTOCOL_PREFIX,
    RedactHandshake,
    Redactor,
    credential_parts,
    is_loopback,
    refusal,
)
from realtime_sync.exceptions import (
    ConnectError,
    ConnectionClosed,
    ProtocolError,
    QueueFull,
    Timeout,
)

__all__ = [
    "Connection",
    "ConnectionState",
    "check_transport_security",
    "credentials_in_cleartext",
]

logger = logging.getLogger(__name__)

# Frames up to this size are written by the calling thread when poll() says the socket
# is writable. "Writable" only promises *some* room in the kernel's send buffer (on
# Linux, free space >= half of what is queued, hence >= a third of the buffer), so a
# big frame could still block the caller until the network drains; those go to the
# writer thread. 16 KiB covers audio appends up to ~250 ms of 24 kHz PCM16 in base64.
_INLINE_WRITE_LIMIT = 16 * 1024

# How long close() waits for a thread after aborting the socket, and how long
# _finish() waits for a sender to leave the send lock. After an abort every blocking
# call on the socket fails at once, so this is a safety margin, not a delay.
_JOIN_GRACE = 1.0

# websocket-client's trace (enableTrace) must not log our keys: see RedactHandshake.
logging.getLogger("websocket").addFilter(RedactHandshake())

# Close codes an endpoint may put in a close frame it sends (RFC 6455 section 7.4.1;
# 1004-1006 and 1015 are reserved, 1012-1014 are for servers; 3000-4999 are for
# libraries and applications, the Realtime server itself uses 4000).
_SENDABLE_CLOSE_CODES = frozenset(
    {1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011}
)
# "A Close frame MAY contain ... the application data ... As the data is not
# guaranteed to be human readable" and control frames carry at most 125 bytes, two
# of which are the code (RFC 6455 section 5.5).
_MAX_CLOSE_REASON_BYTES = 123
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

# One queued frame: UTF-8 payload, its size in bytes, and what to report if it is
# never written (the caller's event object, or the text itself).
_Entry = tuple[bytes, int, object]


class _WebSocket(Protocol):
    """The part of ``websocket.WebSocket`` this module uses, typed.

    Several of websocket-client's methods (``connect``, ``shutdown``) carry no
    annotations; mypy --strict rejects calling them from typed code, so the object is
    seen through this protocol instead.
    """

    sock: socket.socket | None

    def connect(self, url: str, **options: Any) -> None: ...

    def settimeout(self, timeout: float | None) -> None: ...

    def send(self, payload: bytes | str, opcode: int = ...) -> int: ...

    def send_close(self, status: int = ..., reason: bytes | str = ...) -> None: ...

    def ping(self, payload: str | bytes = ...) -> None: ...

    def recv_data_frame(self, control_frame: bool = ...) -> tuple[Any, ...]: ...

    def shutdown(self) -> None: ...


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


class ConnectionState(enum.Enum):
    """Where a :class:`Connection` is in its life (it only moves down this list).

    Attributes:
        UNOPENED: Created; :meth:`Connection.connect` not called yet. A failed
            ``connect()`` comes back here (the one step back), and may be retried.
            Frames sent now are queued.
        CONNECTING: The handshake is in progress.
        OPEN: The handshake succeeded and both threads run.
        CLOSING: :meth:`Connection.close` was called and is draining the queue and
            exchanging close frames.
        CLOSED: The connection ended (closed by either side, dropped, or crashed).
            Final: a closed connection cannot be reopened.
    """

    UNOPENED = "unopened"
    CONNECTING = "connecting"
    OPEN = "open"
    CLOSING = "closing"
    CLOSED = "closed"


class Connection:
    """One WebSocket connection: a reader thread and a thread-safe sender.

    Frames go up as WebSocket text frames, in the order :meth:`send` queued them, also
    when many threads send at once. Each text frame received is passed to
    ``on_message`` on the reader thread, one at a time, in arrival order.

    Args:
        url: ``ws://`` or ``wss://`` URL of the Realtime endpoint.
        headers: Extra HTTP headers for the upgrade request (``Authorization``, ...).
            Values are never logged; values of credential headers
            (``Authorization``, ``api-key``, ...) are also redacted like ``secrets``.
        on_message: Called on the reader thread with the text of every text frame.
            It should catch its own exceptions; one that escapes is logged and the
            reader goes on.
        on_close: Called exactly once when the connection ends for any reason
            (server close, network drop, :meth:`close`, crash), with a
            :class:`~realtime_sync.exceptions.ConnectionClosed` carrying ``code``,
            ``reason`` and ``unsent``. It runs on the reader thread, or on the thread
            calling :meth:`close` when there is no reader to do it (never connected,
            or stuck in ``on_message`` past the close timeout). A crash is its
            ``__cause__``; so is a
            :class:`~realtime_sync.exceptions.ProtocolError` when the server broke
            the protocol (``code`` is then the code we closed with: 1002, 1007 or
            1009). When the server stopped answering (see ``ping_timeout``),
            ``code`` is ``None`` and the message says that no answer to a ping
            came in time.
        on_binary: Called on the reader thread with the payload of every binary
            frame (the Realtime protocol has none; a server that sends one is
            buggy). Without it, binary frames are logged and skipped.
        max_queue_bytes: Bound on the UTF-8 bytes queued and not yet written;
            :meth:`send` raises :class:`~realtime_sync.exceptions.QueueFull` beyond.
        max_message_size: Largest message (payload bytes of one frame, or of all
            fragments of a message together) accepted from the server; ``None``
            for no limit. A bigger one is refused as soon as its frame header
            announces it, before the payload is read (so memory stays bounded):
            the connection is closed with code 1009 and ``on_close`` receives
            ``ConnectionClosed(code=1009, reason="message too big")`` whose
            ``__cause__`` is a :class:`~realtime_sync.exceptions.ProtocolError`
            stating the size and the limit. The default, 16 MiB, is far above any
            Realtime event (audio deltas are a few KiB).
        ping_interval: Send a WebSocket ping after this many seconds without
            RECEIVING anything from the server (also while sending: a client
            streaming audio into a dead connection must still find out); ``None``
            never pings and disables ``ping_timeout``.
        ping_timeout: Declare the connection dead when nothing at all (the pong or
            any other frame) arrives within this many seconds after a ping: the
            socket is aborted and ``on_close`` receives ``ConnectionClosed`` with
            ``code=None`` and a message saying no answer to a ping came within
            ``ping_timeout`` s. ``None`` pings but never gives up.
        connect_timeout: Seconds allowed for the TCP connection, TLS and the upgrade.
        subprotocols: ``Sec-WebSocket-Protocol`` values to offer.
        secrets: Strings (API keys) that must never appear in logs, reprs or exception
            messages; every occurrence is replaced by ``***``.
        ca_bundle: Path of a PEM file of CA certificates to verify a ``wss://``
            server with, INSTEAD of the system's (a private or corporate CA, a test
            server). Loaded here, so a missing or malformed file fails at once.
            Ignored for ``ws://``.
        ssl_context: An :class:`ssl.SSLContext` used as is for ``wss://`` (client
            certificates, pinned CAs, ...); mutually exclusive with ``ca_bundle``.
            Without either, the certificate and the host name are verified against
            the system's CAs. There is deliberately no switch to turn verification
            off.
        allow_insecure: Allow credentials (a credential header such as
            ``Authorization``/``api-key``, a key subprotocol, or a secret in the URL)
            to be sent over plain ``ws://`` to a host that is not loopback. Without
            it such a connection is refused with :class:`ValueError` here (see
            :func:`credentials_in_cleartext`).

    Raises:
        TypeError: ``on_message`` or ``on_close`` is not callable, or an argument has
            the wrong type.
        ValueError: The URL is not ``ws://``/``wss://``, a header is malformed, a
            number is out of range, both ``ca_bundle`` and ``ssl_context`` were
            given, ``ca_bundle`` cannot be loaded, or credentials would travel in
            clear text over ``ws://`` without ``allow_insecure=True``.
    """

    def __init__(
        self,
        url: str,
        *,
        headers: Mapping[str, str] | None = None,
        on_message: Callable[[str], None],
        on_close: Callable[[ConnectionClosed], None] | None = None,
        on_binary: Callable[[bytes], None] | None = None,
        max_queue_bytes: int = 4 * 1024 * 1024,
        ping_interval: float | None = 20.0,
        connect_timeout: float = 10.0,
        subprotocols: Sequence[str] | None = None,
        secrets: Sequence[str] = (),
        max_message_size: int | None = 16 * 1024 * 1024,
        ping_timeout: float | None = 20.0,
        ca_bundle: str | os.PathLike[str] | None = None,
        ssl_context: ssl.SSLContext | None = None,
        allow_insecure: bool = False,
    ) -> None:
        # --- arguments: checked here, so misuse fails at the call site -------------
        if not callable(on_message):
            raise TypeError("on_message must be callable")
        if on_binary is not None and not callable(on_binary):
            raise TypeError("on_binary must be callable or None")
        if on_close is not None and not callable(on_close):
            raise TypeError("on_close must be callable or None")
        if isinstance(secrets, str):
            # A bare string is a Sequence[str] of characters: redacting every single
            # character would be absurd, and it is certainly a mistake.
            raise TypeError("secrets must be a sequence of strings, not a string")
        secret_set = {s for s in secrets if isinstance(s, str) and s}
        header_lines: list[str] = []
        header_names: list[str] = []
        has_credentials = False
        for name, value in (headers or {}).items():
            _check_header(name, value)
            header_lines.append(f"{name}: {value}")
            header_names.append(name)
            if name.lower() in CREDENTIAL_HEADERS:
                secret_set.update(credential_parts(value))
                has_credentials = True
        protocols = [] if subprotocols is None else list(subprotocols)
        for protocol in protocols:
            if not isinstance(protocol, str) or not protocol:
                raise ValueError("subprotocols must be non-empty strings")
            if protocol.startswith(KEY_SUBPROTOCOL_PREFIX):
                secret_set.add(protocol)
                secret_set.add(protocol[len(KEY_SUBPROTOCOL_PREFIX) :])
                has_credentials = True
        self._redact = Redactor(secret_set)
        self._url = url
        self._safe_url = self._redact(_display_url(url))
        # A key in the query (Azure accepts ?api-key=) is a credential too.
        has_credentials = has_credentials or any(s in url for s in secret_set)
        check_transport_security(
            url, has_credentials=has_credentials, allow_insecure=allow_insecure
        )
        if isinstance(max_queue_bytes, bool) or not isinstance(max_queue_bytes, int):
            raise TypeError("max_queue_bytes must be an int")
        if max_queue_bytes <= 0:
            raise ValueError("max_queue_bytes must be positive")
        if max_message_size is not None:
            if isinstance(max_message_size, bool) or not isinstance(
                max_message_size, int
            ):
                raise TypeError("max_message_size must be an int or None")
            if max_message_size <= 0:
                raise ValueError("max_message_size must be positive or None")
        if ping_interval is not None and not ping_interval > 0:
            raise ValueError("ping_interval must be positive or None")
        if ping_timeout is not None and not ping_timeout > 0:
            raise ValueError("ping_timeout must be positive or None")
        if not connect_timeout > 0:
            raise ValueError("connect_timeout must be positive")
        self._sslopt = _ssl_options(ca_bundle, ssl_context)

        # --- configuration (never changes) -----------------------------------------
        self._header_lines = tuple(header_lines)
        self._header_names = tuple(header_names)
        self._subprotocols = tuple(protocols)
        self._on_message = on_message
        self._on_close = on_close
        self._on_binary = on_binary
        self._max_queue_bytes = max_queue_bytes
        self._max_message_size = max_message_size
        self._ping_interval = ping_interval
        # No timeout without pings: nothing would prompt the server to answer.
        self._ping_timeout = None if ping_interval is None else ping_timeout
        self._connect_timeout = float(connect_timeout)

        # --- guarded by _lock --------------------------------------------------------
        self._lock = threading.Lock()
        # The writer sleeps on _wakeup, flush() on _drained: separate conditions, so
        # that emptying the queue never wakes the writer for nothing.
        self._wakeup = threading.Condition(self._lock)
        self._drained = threading.Condition(self._lock)
        self._state = ConnectionState.UNOPENED
        self._queue: collections.deque[_Entry] = collections.deque()
        self._queued_bytes = 0
        # True from a hand-off to the writer until the writer emptied the queue; while
        # set, callers leave the writing to the writer.
        self._writer_wanted = False
        self._close_requested = False
        self._close_args: tuple[int, str] = (1000, "")
        self._close_sent = False
        self._io_error: BaseException | None = None  # a write failed: socket is dead
        self._crash: BaseException | None = None  # reader/writer died of a bug
        self._crash_thread = ""
        self._finished = False  # _finish() ran (or is running)
        self._unsent: tuple[object, ...] = ()
        self._close_code: int | None = None
        self._close_reason = ""
        self._end_message = ""
        # The server broke the protocol: what it did (the cause reported to on_close).
        self._violation: ProtocolError | None = None
        # No answer to a ping in time: the message reported to on_close.
        self._dead: str | None = None

        # --- set by connect(), read-only afterwards ---------------------------------
        self._ws: _WebSocket | None = None
        self._sock: socket.socket | None = None
        self._writable: Callable[[], bool] = _always_writable
        # Reader only: wait up to N s for data (see "Liveness"); None = don't wait.
        self._readable: Callable[[float], bool] | None = None
        # Reads are bounded by SO_RCVTIMEO instead of poll() (see _bound_reads).
        self._kernel_bounded = False
        # Writer only: the same question with its own poll object (one poll object
        # must not be polled by two threads at once).
        self._unread: Callable[[float], bool] | None = None
        # Reader only: websocket-client's own recv function, wrapped by _recv_chunk.
        self._raw_recv: Callable[[int], bytes] | None = None
        self._reader: threading.Thread | None = None
        self._writer: threading.Thread | None = None

        # Held by whoever writes our frames (see "Locks" at the top of the module).
        self._send_lock = threading.Lock()

        # --- unguarded, single writer each (see "Liveness") ------------------------
        # Monotonic time of the last bytes received; written by the reader only.
        self._last_receive = 0.0
        # Monotonic time just before the last ping was written; by the writer only.
        self._ping_sent = 0.0
        # Writer only: when it last found bytes waiting that the reader had not read
        # yet (the reader is busy in on_message: the server is alive).
        self._unread_seen = 0.0
        # Set by close() on the reader thread, read by the reader loop only.
        self._reader_deadline: float | None = None
        # Set at the very end of _finish(), after on_close returned; _finisher is the
        # thread running _finish() (set under _lock), which must not wait for it.
        self._done = threading.Event()
        self._finisher: threading.Thread | None = None

    # ------------------------------------------------------------------ properties

    @property
    def state(self) -> ConnectionState:
        """The current :class:`ConnectionState`."""
        with self._lock:
            return self._state

    @property
    def is_open(self) -> bool:
        """``True`` while :attr:`ConnectionState.OPEN` and no write has failed."""
        with self._lock:
            return self._state is ConnectionState.OPEN and self._io_error is None

    @property
    def queued_bytes(self) -> int:
        """UTF-8 bytes queued by :meth:`send` and not yet written to the socket."""
        with self._lock:
            return self._queued_bytes

    @property
    def close_code(self) -> int | None:
        """The code of the server's close frame once closed, else ``None``.

        ``None`` while open, and when the connection ended without the server's close
        frame (network drop, crash, no answer to our close in time, no answer to a
        ping). ``1005`` when the server's close frame carried no code. After a
        protocol violation by the server, the code WE closed with (1002, 1007, 1009).
        """
        with self._lock:
            return self._close_code

    @property
    def close_reason(self) -> str:
        """The reason in the server's close frame once closed (may be empty).

        After a protocol violation by the server, the reason we closed with
        (``"message too big"``, ...).
        """
        with self._lock:
            return self._close_reason

    def __repr__(self) -> str:
        with self._lock:
            state, queued = self._state, self._queued_bytes
        # The URL lost its query and credentials in _display_url() and was redacted.
        return f"<Connection {self._safe_url} {state.name} queued={queued}B>"

    # ------------------------------------------------------------------ lifecycle

    def connect(self) -> None:
        """Open the WebSocket (TCP, TLS, HTTP upgrade) and start the threads.

        Returns when the handshake succeeded; the reader may already be delivering
        frames. Frames queued before are written right after, in order, by the writer.
        If the handshake fails, the connection goes back to
        :attr:`ConnectionState.UNOPENED` (queued frames kept) and ``connect()`` may be
        called again.

        Raises:
            AuthenticationError: The server answered the upgrade with 401 or 403;
                ``status``, ``body``, ``server_message`` (``error.message`` of a
                JSON body) and ``request_id`` (``x-request-id``) are set.
            RateLimitError: The server answered 429; as above, plus
                ``retry_after`` (seconds, from ``Retry-After``, or ``None``).
            ConnectError: Any other refused upgrade (``status`` set), or the host could
                not be resolved or reached (connection refused, ...), or the
                server's TLS certificate could not be verified (pass ``ca_bundle``
                or ``ssl_context`` for a private CA).
            Timeout: No answer within ``connect_timeout``.
            ConnectionClosed: :meth:`close` was called while connecting.
            RuntimeError: The connection was closed before, or ``connect()`` was
                already called.
        """
        with self._lock:
            if self._close_requested or self._state is ConnectionState.CLOSED:
                raise RuntimeError(
                    "Cannot reopen a connection once it has been closed."
                )
            if self._state is not ConnectionState.UNOPENED:
                raise RuntimeError("connect() was already called on this connection.")
            self._state = ConnectionState.CONNECTING
            # enable_multithread=True keeps websocket-client's per-frame write lock
            # (see "Locks" above). skip_utf8_validation=True because its validator is
            # a per-byte pure-Python loop unless wsaccel is installed (a 1 MB audio
            # delta would cost a good fraction of a second); the reader decodes with
            # bytes.decode() instead, which validates in C.
            raw_ws = websocket.WebSocket(
                enable_multithread=True,
                skip_utf8_validation=True,
                sslopt=dict(self._sslopt),
            )
            # Our frame reader (see _FrameReader) over websocket-client's own recv
            # function, wrapped to stamp and bound every read (see "Liveness").
            self._raw_recv = raw_ws.frame_buffer.recv
            raw_ws.frame_buffer = _FrameReader(self._recv_chunk, self._max_message_size)
            ws = cast(_WebSocket, raw_ws)
            self._ws = ws
        logger.debug(
            "connecting to %s (headers: %s)",
            self._safe_url,
            ", ".join(self._header_names) or "none",
        )
        try:
            ws.connect(
                self._url,
                header=list(self._header_lines),
                subprotocols=list(self._subprotocols) or None,
                timeout=self._connect_timeout,
                # No Origin header: this is not a browser (the official SDK sends
                # none either), and some gateways treat an Origin as a browser call.
                suppress_origin=True,
                # Do not follow redirects: websocket-client would replay every
                # header, the API key included, to whatever host the Location names.
                # A 3xx answer fails as ConnectError instead.
                redirect_limit=0,
            )
            # The connect timeout must not outlive the handshake: the reader blocks in
            # recv for as long as the server is silent, and writes block until the
            # network takes the data (close() aborts the socket to end both).
            ws.settimeout(None)
        except BaseException as exc:
            ws.shutdown()
            with self._lock:
                # (A method call: mypy would keep the attribute narrowed to False
                # from the check at the top, but close() may have run meanwhile.)
                closed_meanwhile = self._refusing_locked()
                if self._state is ConnectionState.CONNECTING:
                    self._state = ConnectionState.UNOPENED
                    self._ws = None
            error: Exception | None = self._connect_error(exc)
            if error is None:
                raise  # not a network failure: a bug or KeyboardInterrupt, as is
            if closed_meanwhile:
                # Most likely our own close() cut the handshake short.
                error = ConnectionClosed("close() was called while connecting.")
            self._scrub(exc)
            logger.debug("connect failed: %s", error)
            raise error from exc

        sock = ws.sock
        with self._lock:
            aborted = self._close_requested or sock is None
            if not aborted:
                assert sock is not None  # for mypy; checked just above
                self._sock = sock
                self._writable = _write_probe(sock)
                if self._ping_timeout is not None:
                    self._readable = _read_probe(sock)
                    self._unread = _read_probe(sock)
                    self._kernel_bounded = _bound_reads(
                        sock, self._ping_interval, self._ping_timeout
                    )
                self._last_receive = time.monotonic()
                # Frames queued before connect(): the writer writes them first.
                self._writer_wanted = bool(self._queue)
                self._state = ConnectionState.OPEN
                # Started under _lock so that close() never sees OPEN with threads
                # that cannot be joined yet. Thread.start() only waits for the new
                # thread to exist, and neither thread needs _lock to get going.
                self._reader = threading.Thread(
                    target=self._read_loop, name="realtime-sync-reader", daemon=True
                )
                self._writer = threading.Thread(
                    target=self._write_loop, name="realtime-sync-writer", daemon=True
                )
                self._reader.start()
                self._writer.start()
        if aborted:
            # close() ran while we were in the handshake and already reported the
            # end; the socket is still ours to close.
            ws.shutdown()
            raise ConnectionClosed("close() was called while connecting.")
        logger.debug("connected to %s", self._safe_url)

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
            ValueError: ``text`` cannot be encoded as UTF-8 (a lone surrogate).
            QueueFull: Queuing ``text`` would exceed ``max_queue_bytes``; nothing was
                queued.
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
        with self._lock:
            if self._refusing_locked():
                raise self._closed_error_locked()
            if self._queued_bytes + nbytes > self._max_queue_bytes:
                raise QueueFull(
                    f"The send queue holds {self._queued_bytes} bytes; {nbytes} more "
                    f"would exceed max_queue_bytes={self._max_queue_bytes}."
                )
            self._queue.append((data, nbytes, text if item is None else item))
            self._queued_bytes += nbytes
            if self._state is not ConnectionState.OPEN:
                return  # before connect(): the writer drains once the socket is open
        self._pump()

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
                self._drained.wait(remaining)

    def close(
        self, timeout: float = 5.0, code: int = 1000, reason: str = ""
    ) -> tuple[object, ...]:
        """Close the connection and stop both threads; idempotent.

        Writes what is queued (as long as ``timeout`` allows), sends a close frame
        with ``code`` and ``reason``, waits for the server's close frame, then joins
        the threads. Whatever could not be written in time is returned, and also
        reported to ``on_close`` in ``ConnectionClosed.unsent``. Later calls return
        the same tuple. Safe to call from ``on_message`` (on the reader thread): it
        then returns without waiting for the reader, which ends by itself once
        ``on_message`` returns (within ``timeout``).

        Args:
            timeout: Seconds allowed for draining the queue and the closing handshake
                together; after that the socket is aborted (plus at most a second for
                the threads to stop).
            code: The close code to send: 1000 (normal), 1001-1003, 1007-1011 or an
                application code 3000-4999.
            reason: Close reason, at most 123 bytes of UTF-8.

        Returns:
            The ``item`` of every frame never written, in queue order.

        Raises:
            ValueError: ``timeout``, ``code`` or ``reason`` is out of range.
            TypeError: ``code`` is not an int or ``reason`` not a str.
        """
        if not timeout >= 0:
            raise ValueError("timeout must be >= 0")
        if isinstance(code, bool) or not isinstance(code, int):
            raise TypeError("code must be an int")
        if code not in _SENDABLE_CLOSE_CODES and not 3000 <= code <= 4999:
            raise ValueError(f"{code} is not a close code a client may send")
        if not isinstance(reason, str):
            raise TypeError("reason must be a str")
        if len(reason.encode("utf-8")) > _MAX_CLOSE_REASON_BYTES:
            raise ValueError(
                f"reason must be at most {_MAX_CLOSE_REASON_BYTES} bytes of UTF-8"
            )
        deadline = time.monotonic() + timeout
        current = threading.current_thread()

        with self._lock:
            first = not self._close_requested
            self._close_requested = True
            state = self._state
            if first and state is ConnectionState.OPEN:
                self._state = ConnectionState.CLOSING
                self._close_args = (code, reason)
                # Wake the writer to drain and send the close frame; wake flushers,
                # who now get ConnectionClosed.
                self._wakeup.notify_all()
                self._drained.notify_all()
            reader, writer, finisher = self._reader, self._writer, self._finisher

        if not first:
            # Another call is closing (or closed): wait for its end and report the
            # same unsent tuple. Unless we are a thread that end waits for: the
            # reader, the writer, or the thread running on_close (close() from
            # on_close must not wait for on_close to return).
            if current not in (reader, writer, finisher):
                self._done.wait(_remaining(deadline))
        elif state in (ConnectionState.UNOPENED, ConnectionState.CONNECTING):
            # No threads, nothing written yet. A handshake in progress is cut short;
            # connect() sees the close request, closes its socket and raises.
            logger.debug("closing %s before it was opened", self._safe_url)
            self._abort_handshake()
            self._finish(None, "", "", own_socket=False)
        elif state is ConnectionState.OPEN:
            assert reader is not None and writer is not None  # started with OPEN
            self._close_open(reader, writer, deadline)
        # else CLOSED already: the server closed first, _finish() ran on the reader.

        self._join(reader, deadline)
        self._join(writer, deadline)
        with self._lock:
            return self._unsent

    def raise_if_failed(self) -> None:
        """Raise the stored crash of the reader or writer thread, if there is one.

        Raises:
            ConnectionClosed: The reader or writer thread died of an unexpected
                exception (which is ``__cause__``); the connection was torn down.
        """
        with self._lock:
            if self._crash is None:
                return
            error = self._closed_error_locked()
        raise error

    # ------------------------------------------------------------------ sending

    def _pump(self) -> None:
        """Write the queue on this thread if nobody else is writing (see send())."""
        send_lock = self._send_lock
        while send_lock.acquire(blocking=False):
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
                ws.send(entry[0], _OPCODE_TEXT)
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

    # ------------------------------------------------------------------ writer thread

    def _write_loop(self) -> None:
        """Body of the writer thread: hand-offs, early frames, pings, close frame."""
        try:
            while self._write_round():
                pass
        except BaseException as exc:  # a bug: store it, tear the connection down
            self._crashed("writer", exc)
        logger.debug("writer thread ends")

    def _write_round(self) -> bool:
        """Wait for work and do it; ``False`` when the writer should exit."""
        interval = self._ping_interval
        closing = ping_due = dead = False
        with self._lock:
            while True:
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

    # ------------------------------------------------------------------ reader thread

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
                opcode, frame = ws.recv_data_frame()
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
                # Bad framing, bad close code, oversized ping: the server broke RFC
                # 6455, which says to "_Fail the WebSocket Connection_" (section 7.1.7).
                return self._fail_connection(
                    _PROTOCOL_ERROR,
                    f"The server broke the WebSocket protocol: {self._describe(exc)}",
                    exc,
                )
            if opcode == _OPCODE_TEXT:
                try:
                    text = frame.data.decode("utf-8")
                except UnicodeDecodeError as exc:
                    # "When an endpoint is to interpret a byte stream as UTF-8 but
                    # finds that the byte stream is not, in fact, a valid UTF-8 stream,
                    # that endpoint MUST _Fail the WebSocket Connection_." (section 8.1)
                    return self._fail_connection(
                        _INVALID_PAYLOAD,
                        f"The server sent a text frame that is not UTF-8 ({exc.reason} "
                        f"at byte {exc.start} of {len(frame.data)}).",
                        exc,
                    )
                self._deliver(text)
            elif opcode == _OPCODE_BINARY:
                # The Realtime protocol has text frames only: not for on_message,
                # but never dropped silently.
                self._deliver_binary(bytes(frame.data))
            elif opcode == _OPCODE_CLOSE:
                code, reason = _parse_close(frame.data)
                return code, reason, ""

    def _deliver_binary(self, data: bytes) -> None:
        """Pass a binary frame to on_binary (logged only without one)."""
        if self._on_binary is None:
            logger.warning("skipped a binary frame of %d bytes", len(data))
            return
        try:
            self._on_binary(data)
        except Exception:
            logger.exception("on_binary raised; the reader goes on")

    def _deliver(self, text: str) -> None:
        """Call on_message; its exceptions (but not BaseExceptions) are logged only."""
        try:
            self._on_message(text)
        except Exception:
            # Defence in depth: the client catches its handlers' errors itself. The
            # frame's content is not logged (it may be megabytes of audio).
            logger.exception(
                "on_message raised on a %d-character frame; the reader goes on",
                len(text),
            )

    def _recv_chunk(self, bufsize: int) -> bytes:
        """The recv function of our _FrameReader; runs on the reader thread only.

        Stamps the time of every chunk received (data, control frame, or part of
        either) for liveness, and with a ping timeout set never blocks in recv()
        past the liveness deadline: it waits for data with poll() first (see
        "Liveness" at the top of the module).

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
        data = raw_recv(bufsize)
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
                data = sock.recv(bufsize)
            except BlockingIOError:  # SO_RCVTIMEO ran out: nothing arrived
                interval, timeout = self._ping_interval, self._ping_timeout
                assert interval is not None and timeout is not None
                received, pinged = self._last_receive, self._ping_sent
                deadline = (
                    pinged + timeout
                    if pinged > received
                    else received + interval + timeout
                )
                if time.monotonic() >= deadline:
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

    # ------------------------------------------------------------------ the end

    def _close_open(
        self, reader: threading.Thread, writer: threading.Thread, deadline: float
    ) -> None:
        """close() steps 2-3 for an open connection (see "Shutdown sequence")."""
        current = threading.current_thread()
        # Step 2: the writer drains the queue, sends the close frame and exits.
        writer.join(_remaining(deadline))
        if writer.is_alive():
            with self._lock:
                queued = self._queued_bytes
            logger.warning(
                "close(): %d queued bytes could not be written in time; aborting",
                queued,
            )
            self._abort_socket()  # fails the writer's blocked write
            writer.join(_JOIN_GRACE)
        if current is reader:
            # Called from on_message: we cannot wait for ourselves. The writer is
            # done (or aborted), so what is queued now is final: report it, and let
            # the reader wait for the server's close frame once on_message returns.
            self._reader_deadline = deadline
            got = self._send_lock.acquire(timeout=_JOIN_GRACE)
            try:
                self._seal_queue()
            finally:
                if got:
                    self._send_lock.release()
            return
        # Step 3: the reader ends when the server's close frame arrives.
        reader.join(_remaining(deadline))
        if reader.is_alive():
            logger.debug("no close frame from the server in time; aborting")
            self._abort_socket()
            reader.join(_JOIN_GRACE)
        if reader.is_alive():
            # abort() woke recv, so the reader is stuck elsewhere: in on_message,
            # most likely. Report the end now (on_close runs on this thread) but
            # leave the descriptor open; the reader closes it when it gets out.
            self._finish(None, "", "the reader thread did not stop", own_socket=False)

    def _join(self, thread: threading.Thread | None, deadline: float) -> None:
        """Join a thread (never the current one) and warn by name if it lives on."""
        if thread is None or thread is threading.current_thread():
            return
        thread.join(max(_remaining(deadline), _JOIN_GRACE))
        if thread.is_alive():
            logger.warning("thread %s did not stop after close()", thread.name)

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

    def _abort_handshake(self) -> None:
        """close() during CONNECTING: make the handshake fail now, best effort."""
        ws = self._ws
        sock = ws.sock if ws is not None else None
        if sock is not None:
            with contextlib.suppress(OSError):  # connect() closes it anyway
                sock.shutdown(socket.SHUT_RDWR)

    def _connect_error(self, exc: BaseException) -> ConnectError | Timeout | None:
        """Translate a websocket-client/OSError handshake failure, or ``None``."""
        target = self._safe_url
        if isinstance(exc, websocket.WebSocketBadStatusException):
            body = None
            if exc.resp_body:
                body = self._redact(bytes(exc.resp_body).decode("utf-8", "replace"))
            # websocket-client lower-cases the names (_http.read_headers).
            headers = exc.resp_headers if isinstance(exc.resp_headers, dict) else {}
            return refusal(
                f"The server refused the WebSocket upgrade at {target}",
                int(exc.status_code),
                exc.status_message if isinstance(exc.status_message, str) else None,
                body,
                headers.get,
                self._redact,
            )
        if isinstance(exc, (websocket.WebSocketTimeoutException, TimeoutError)):
            return Timeout(
                f"No answer from {target} within {self._connect_timeout:g} s."
            )
        if isinstance(exc, ssl.SSLCertVerificationError):
            # Checked before OSError, its base: the generic message would bury the
            # one thing the user can act on.
            why = exc.verify_message or exc.reason or str(exc)
            return ConnectError(
                self._redact(
                    f"Could not connect to {target}: the server's TLS certificate "
                    f"could not be verified ({why}). For a private or corporate CA, "
                    f"pass ca_bundle= (a PEM file of CA certificates) or "
                    f"ssl_context=."
                )
            )
        if isinstance(exc, websocket.WebSocketAddressException):
            # getaddrinfo() failed (gaierror, wrapped by websocket-client).
            host = urlsplit(self._url).hostname or "?"
            return ConnectError(
                self._redact(
                    f"Could not connect to {target}: could not resolve host "
                    f"{host!r} ({self._describe(exc)})"
                )
            )
        if isinstance(exc, ConnectionRefusedError):
            return ConnectError(
                self._redact(
                    f"Could not connect to {target}: connection refused (nothing "
                    f"listens on that port, or a firewall rejected it)"
                )
            )
        if isinstance(exc, (websocket.WebSocketException, OSError)):
            # Unreachable, reset, other TLS failures, a malformed upgrade answer.
            return ConnectError(
                self._redact(f"Could not connect to {target}: {self._describe(exc)}")
            )
        return None

    def _scrub(self, exc: BaseException) -> None:
        """Redact secrets from a foreign exception about to become ``__cause__``.

        Its text is printed in every traceback of ours (websocket-client puts the
        response body in the message of a refused upgrade, and a server may echo the
        key there).
        """
        self._redact.scrub(exc)
        body = getattr(exc, "resp_body", None)
        if isinstance(body, bytes):
            text = body.decode("utf-8", "replace")
            if self._redact(text) != text:
                exc.resp_body = self._redact(text).encode("utf-8")  # type: ignore[attr-defined]

    def _describe(self, exc: BaseException) -> str:
        return self._redact.describe(exc)


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


def _remaining(deadline: float) -> float:
    return max(0.0, deadline - time.monotonic())


def _always_writable() -> bool:
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


def _parse_close(data: bytes) -> tuple[int, str]:
    """Code and reason of a close frame (websocket-client validated its shape)."""
    if len(data) < 2:
        return _NO_STATUS_RECEIVED, ""
    return int.from_bytes(data[:2], "big"), data[2:].decode("utf-8", "replace")


def _ssl_options(
    ca_bundle: str | os.PathLike[str] | None, ssl_context: ssl.SSLContext | None
) -> dict[str, Any]:
    """websocket-client's ``sslopt`` for our TLS arguments (verification always on).

    websocket-client verifies by default (``_http._ssl_socket`` starts from
    ``cert_reqs=CERT_REQUIRED`` and ``check_hostname`` True), but we say so
    explicitly rather than rely on a library default; its environment variable
    WEBSOCKET_CLIENT_CA_BUNDLE keeps working for the default case. A ``ca_bundle``
    is loaded into a context of our own now, so a bad path fails at construction.

    Raises:
        TypeError: ``ssl_context`` is not an SSLContext or ``ca_bundle`` not a path.
        ValueError: Both were given, or ``ca_bundle`` cannot be loaded.
    """
    if ca_bundle is not None and ssl_context is not None:
        raise ValueError("pass ca_bundle or ssl_context, not both")
    if ssl_context is not None:
        if not isinstance(ssl_context, ssl.SSLContext):
            raise TypeError("ssl_context must be an ssl.SSLContext")
        return {"context": ssl_context}
    if ca_bundle is not None:
        if not isinstance(ca_bundle, (str, os.PathLike)):
            raise TypeError("ca_bundle must be a path (str or os.PathLike)")
        path = os.fspath(ca_bundle)
        try:
            # Verifies the certificate chain and the host name, against this file's
            # CAs only.
            context = ssl.create_default_context(cafile=path)
        except (OSError, ssl.SSLError) as exc:
            raise ValueError(f"ca_bundle {path!r} could not be loaded: {exc}") from exc
        return {"context": context}
    return {"cert_reqs": ssl.CERT_REQUIRED, "check_hostname": True}


def credentials_in_cleartext(url: str, has_credentials: bool) -> bool:
    """Whether connecting to ``url`` would send credentials unencrypted off this host.

    True for a ``ws://`` URL (no TLS) to a host that is not loopback (``localhost``,
    127.0.0.0/8, ``::1``) when the connection carries credentials: anyone on the
    path could read the API key. ``wss://`` URLs and loopback hosts are always fine.
    :class:`Connection` refuses such a connection unless ``allow_insecure=True``;
    a client can call this early, before building the connection.

    Args:
        url: The WebSocket URL.
        has_credentials: Whether the request carries a credential (an
            ``Authorization``/``api-key`` header, a key subprotocol, a key in the
            query).

    Raises:
        TypeError: ``url`` is not a string.
        ValueError: ``url`` is not a ``ws://``/``wss://`` URL with a host.
    """
    _display_url(url)  # validates
    parts = urlsplit(url)
    return (
        has_credentials
        and parts.scheme == "ws"
        and not is_loopback(parts.hostname or "")
    )


def check_transport_security(
    url: str, *, has_credentials: bool, allow_insecure: bool = False
) -> None:
    """Raise if credentials would travel in clear text (see :func:`credentials_in_cleartext`).

    The message names the host and the two ways out; never the credential.

    Args:
        url: The WebSocket URL.
        has_credentials: Whether the request carries a credential.
        allow_insecure: Accept clear text anyway (a trusted private network).

    Raises:
        ValueError: ``credentials_in_cleartext(url, has_credentials)`` and not
            ``allow_insecure``.
    """
    if allow_insecure or not credentials_in_cleartext(url, has_credentials):
        return
    host = urlsplit(url).hostname
    raise ValueError(
        f"Refusing to send credentials unencrypted to {host!r} over ws://: use "
        f"wss://, or pass allow_insecure=True if the network is trusted."
    )


def _display_url(url: str) -> str:
    """``scheme://host:port/path`` of ``url``: no credentials, no query (keys hide).

    Raises:
        TypeError: ``url`` is not a string.
        ValueError: Not a ``ws://``/``wss://`` URL with a host and a valid port.
    """
    if not isinstance(url, str):
        raise TypeError("url must be a str")
    parts = urlsplit(url)
    if parts.scheme not in ("ws", "wss"):
        raise ValueError("url must start with ws:// or wss://")
    if not parts.hostname:
        raise ValueError("url has no host")
    port = parts.port  # raises ValueError for a malformed port
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    return f"{parts.scheme}://{host}{'' if port is None else f':{port}'}{parts.path}"


def _check_header(name: object, value: object) -> None:
    """Reject headers that would corrupt the request (never echoing the value)."""
    if not isinstance(name, str) or not isinstance(value, str):
        raise TypeError("header names and values must be str")
    if not name or any(c in name for c in ":\r\n\0 \t"):
        raise ValueError(f"invalid header name {name!r}")
    if any(c in value for c in "\r\n\0"):
        raise ValueError(f"the value of header {name!r} contains a line break or NUL")


# -- the seam (temporary home; the transport package split moves it) -----------------


class Channel(Protocol):
    """One connection as the client sees it (:class:`Connection` implements it)."""

    @property
    def is_open(self) -> bool:
        """Whether the channel is open."""
        ...

    @property
    def close_code(self) -> int | None:
        """The close code once closed."""
        ...

    @property
    def close_reason(self) -> str:
        """The close reason once closed."""
        ...

    def connect(self) -> None:
        """Open the channel."""
        ...

    def send(self, text: str, item: object = None) -> None:
        """Queue one text frame."""
        ...

    def flush(self, timeout: float | None = None) -> None:
        """Wait until the queue is written."""
        ...

    def close(
        self, timeout: float = 5.0, code: int = 1000, reason: str = ""
    ) -> tuple[object, ...]:
        """Close; the items never written."""
        ...

    def raise_if_failed(self) -> None:
        """Raise a stored crash."""
        ...


class Transport(Protocol):
    """Opens channels: the seam between the client and the network."""

    def open(
        self,
        url: str,
        *,
        headers: Mapping[str, str],
        on_message: Callable[[str], None],
        on_close: Callable[[ConnectionClosed], None],
        on_binary: Callable[[bytes], None],
        secrets: Sequence[str] = (),
    ) -> Channel:
        """A channel to ``url``, not yet connected."""
        ...


class WebSocketTransport:
    """Opens websocket-client :class:`Connection` channels with fixed options."""

    def __init__(self, **options: Any) -> None:
        self._options = options

    def open(
        self,
        url: str,
        *,
        headers: Mapping[str, str],
        on_message: Callable[[str], None],
        on_close: Callable[[ConnectionClosed], None],
        on_binary: Callable[[bytes], None],
        secrets: Sequence[str] = (),
    ) -> Connection:
        """A :class:`Connection` to ``url``, not yet connected."""
        return Connection(
            url,
            headers=headers,
            on_message=on_message,
            on_close=on_close,
            on_binary=on_binary,
            secrets=secrets,
            **self._options,
        )
