"""The Connection: one WebSocket, its two threads, its lifecycle; the parts meet here.

:class:`Connection` moves text frames between a server and the client above it;
it knows nothing about events. It is assembled from parts, each a module of this
package (one job each), and this module ties them together: the constructor, the
state machine (:class:`ConnectionState`), ``connect()`` and ``close()``. The
"Theory of operation" below is the one description of how the threads, locks and
shutdown fit together; each part's docstring covers its own job only.
"""

# Theory of operation
# ===================
#
# Where things live (realtime_sync/transport/)
# --------------------------------------------
# * _connection.py  this module: Connection = _Reader + _Sender over ONE object;
#                   __init__, connect(), close() steps 1-4, the state machine.
# * _core.py        _Core, the base of every part: the fields they share (declared
#                   there, set in Connection.__init__), the failure records and
#                   their messages, _finish() (the one end), the socket abort.
#                   The parts are mixins rather than objects of their own so that
#                   the per-frame paths (send(), _recv_chunk) touch plain
#                   attributes of one object: no extra hop or call per frame.
# * _liveness.py    _Liveness: when the writer pings or gives up (_liveness_due),
#                   the reader's silence deadline, _declare_dead().
# * _reader.py      _Reader: the reader thread; _FrameReader (max_message_size on
#                   the header); _recv_chunk (liveness stamps, reads bounded by
#                   poll() or SO_RCVTIMEO); failing the connection on violations.
# * _sender.py      _Sender: send(), flush(), the inline pump, the writer thread
#                   (hand-offs, early frames, pings, the close frame).
# * _handshake.py   websocket-client's object, the upgrade, translating its errors.
# * _options.py     argument checks (shared with WebSocketTransport), TLS options,
#                   the clear-text credentials rule.
# * _seam.py        the Channel and Transport protocols the client codes against;
#   _websocket.py   WebSocketTransport, which opens Connections.
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
#   a ping timeout is set, never blocks in recv() past the liveness deadline (the
#   kernel's SO_RCVTIMEO bounds it on Linux over plain TCP; elsewhere a poll()
#   before each recv does; see "Liveness"). All of it lives in _reader.py.
# * senders (any thread calling send()): send() appends (bytes, size, item) to a deque
#   bounded in bytes. If the send lock is free (non-blocking acquire) and the socket is
#   writable right now (poll/select with a zero timeout), the CALLER writes the queue,
#   oldest first. Measured on our machines, handing every frame to a thread costs
#   ~100 us of CPU in wake-ups per send (134 us against 27 us per 20 ms audio
#   append), which halves the sessions one process can hold, so the common case
#   never wakes a thread. After releasing the send lock the caller looks at the queue
#   again: a thread that appended while we held the lock found it taken and returned,
#   trusting the holder to write its frame (no lost wake-up). A frame alone in the
#   queue takes a shorter way (send() itself): on plain TCP one non-blocking send
#   (MSG_DONTWAIT) replaces the poll() and the send, each a system call releasing
#   the GIL; if the socket takes only part of the frame, the writer thread writes
#   the rest (see ws.lock below). Frames are built by _text_frame (websocket-
#   client's bytes, without its frame object).
# * writer ("realtime-sync-writer", started by connect()): sleeps on a Condition and
#   takes over only when a caller must not wait: the socket is not writable (or the
#   next frame is too big to be sure it fits), frames were queued before connect()
#   finished, or close() wants the queue drained and the close frame sent. It also
#   sends the liveness pings. It never polls with sleep: its only timed wait is
#   "until the next ping, or the answer to the last one, is due". Senders and the
#   writer live in _sender.py.
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
#   under a microsecond per frame. One exception to "held for one write": when a
#   sender's non-blocking send wrote part of a frame, it leaves ws.lock held and
#   the writer thread writes the rest and releases it (_finish_partial; a plain
#   Lock may be released by another thread), without the send lock (whose holder
#   may be waiting for ws.lock); _finish() waits for that write before closing
#   the socket.
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
import os
import socket
import ssl
import threading
import time
from collections.abc import Callable, Mapping, Sequence

import websocket

from realtime_sync.exceptions import ConnectionClosed
from realtime_sync.transport._core import (
    _JOIN_GRACE,
    ConnectionState,
    _remaining,
    logger,
)
from realtime_sync.transport._handshake import (
    as_typed,
    connect_error,
    handshake,
    new_websocket,
    scrub,
)
from realtime_sync.transport._options import (
    check_callbacks,
    check_options,
    prepare_request,
)
from realtime_sync.transport._reader import (
    _bound_reads,
    _FrameReader,
    _read_probe,
    _Reader,
)
from realtime_sync.transport._sender import (
    _MSG_DONTWAIT,
    _always_writable,
    _Sender,
    _write_probe,
)

__all__ = ["Connection"]

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


class Connection(_Reader, _Sender):
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
        # (in _options.py, shared with WebSocketTransport; same order as ever, so
        # the same argument is blamed first).
        check_callbacks(on_message, on_close, on_binary)
        request = prepare_request(
            url,
            headers=headers,
            subprotocols=subprotocols,
            secrets=secrets,
            allow_insecure=allow_insecure,
        )
        self._sslopt = check_options(
            max_queue_bytes=max_queue_bytes,
            max_message_size=max_message_size,
            ping_interval=ping_interval,
            ping_timeout=ping_timeout,
            connect_timeout=connect_timeout,
            ca_bundle=ca_bundle,
            ssl_context=ssl_context,
        )

        # --- configuration (never changes) -----------------------------------------
        self._redact = request.redact
        self._url = url
        self._safe_url = request.safe_url
        self._header_lines = request.header_lines
        self._header_names = request.header_names
        self._subprotocols = request.subprotocols
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
        self._queue = collections.deque()
        self._queued_bytes = 0
        self._flushing = 0  # threads waiting in flush() (notified only then)
        # A frame a sender wrote in part, for the writer to finish (see _sender.py),
        # and whether that is pending or under way.
        self._partial = None
        self._partial_busy = False
        # True from a hand-off to the writer until the writer emptied the queue; while
        # set, callers leave the writing to the writer.
        self._writer_wanted = False
        self._close_requested = False
        self._close_args = (1000, "")
        self._close_sent = False
        self._io_error = None  # a write failed: socket is dead
        self._crash = None  # reader/writer died of a bug
        self._crash_thread = ""
        self._finished = False  # _finish() ran (or is running)
        self._unsent = ()
        self._close_code = None
        self._close_reason = ""
        self._end_message = ""
        # The server broke the protocol: what it did (the cause reported to on_close).
        self._violation = None
        # No answer to a ping in time: the message reported to on_close.
        self._dead = None

        # --- set by connect(), read-only afterwards ---------------------------------
        self._ws = None
        self._sock = None
        self._writable = _always_writable
        # Reader only: wait up to N s for data (see "Liveness"); None = don't wait.
        self._readable = None
        # Reads are bounded by SO_RCVTIMEO instead of poll() (see _bound_reads).
        self._kernel_bounded = False
        # Writer only: the same question with its own poll object (one poll object
        # must not be polled by two threads at once).
        self._unread = None
        # Reader only: websocket-client's own recv function, wrapped by _recv_chunk.
        self._raw_recv = None
        # Senders write with one non-blocking send instead of poll() + send (plain
        # TCP; see _Sender._put_nowait).
        self._dontwait = False
        self._reader = None
        self._writer = None

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
        self._reader_deadline = None
        # Set at the very end of _finish(), after on_close returned; _finisher is the
        # thread running _finish() (set under _lock), which must not wait for it.
        self._done = threading.Event()
        self._finisher = None

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
            # websocket-client's object with our settings (see new_websocket), and
            # the reader's frame reader (_install_frame_reader).
            raw_ws = new_websocket(self._sslopt)
            self._install_frame_reader(raw_ws)
            ws = as_typed(raw_ws)
            self._ws = ws
        logger.debug(
            "connecting to %s (headers: %s)",
            self._safe_url,
            ", ".join(self._header_names) or "none",
        )
        try:
            handshake(
                ws,
                self._url,
                header_lines=self._header_lines,
                subprotocols=self._subprotocols,
                timeout=self._connect_timeout,
            )
        except BaseException as exc:
            ws.shutdown()
            with self._lock:
                # (A method call: mypy would keep the attribute narrowed to False
                # from the check at the top, but close() may have run meanwhile.)
                closed_meanwhile = self._refusing_locked()
                if self._state is ConnectionState.CONNECTING:
                    self._state = ConnectionState.UNOPENED
                    self._ws = None
            error: Exception | None = connect_error(
                exc,
                url=self._url,
                safe_url=self._safe_url,
                connect_timeout=self._connect_timeout,
                redact=self._redact,
            )
            if error is None:
                raise  # not a network failure: a bug or KeyboardInterrupt, as is
            if closed_meanwhile:
                # Most likely our own close() cut the handshake short.
                error = ConnectionClosed("close() was called while connecting.")
            scrub(exc, self._redact)
            logger.debug("connect failed: %s", error)
            raise error from exc

        sock = ws.sock
        with self._lock:
            aborted = self._close_requested or sock is None
            if not aborted:
                assert sock is not None  # for mypy; checked just above
                self._sock = sock
                self._writable = _write_probe(sock)
                self._dontwait = _MSG_DONTWAIT is not None and not isinstance(
                    sock, ssl.SSLSocket
                )
                if self._ping_timeout is not None:
                    # The writer's own poll object (see "Liveness").
                    self._unread = _read_probe(sock)
                self._last_receive = time.monotonic()
                # Frames queued before connect(): the writer writes them first.
                self._writer_wanted = bool(self._queue)
                self._state = ConnectionState.OPEN
                # Started under _lock so that close() never sees OPEN with threads
                # that cannot be joined yet. Thread.start() only waits for the new
                # thread to exist, and neither thread needs _lock to get going.
                self._writer = threading.Thread(
                    target=self._write_loop, name="realtime-sync-writer", daemon=True
                )
                self._writer.start()
                self._reader = self._start_reader(sock)
        if aborted:
            # close() ran while we were in the handshake and already reported the
            # end; the socket is still ours to close.
            ws.shutdown()
            raise ConnectionClosed("close() was called while connecting.")
        logger.debug("connected to %s", self._safe_url)

    def _install_frame_reader(self, raw_ws: websocket.WebSocket) -> None:
        """connect()'s hook, under ``_lock``: how frames will be read.

        Our frame reader (see _FrameReader) over websocket-client's own recv
        function, wrapped to stamp and bound every read (see "Liveness"). The
        shared reader's connection (``_shared_conn.py``) feeds it from its buffer.
        """
        self._raw_recv = raw_ws.frame_buffer.recv
        raw_ws.frame_buffer = _FrameReader(self._recv_chunk, self._max_message_size)
        # Bytes read ahead, unparsed from _ahead_pos on (_Reader._next_frame).
        self._ahead, self._ahead_pos = b"", 0

    def _start_reader(self, sock: socket.socket) -> threading.Thread:
        """connect()'s hook, under ``_lock`` once the handshake is done: start reading.

        Sets up what the reader needs of the socket and returns the thread that
        reads it, started: here a thread of its own ("realtime-sync-reader"); the
        shared reader's connection attaches the socket to the shared thread.
        """
        if self._ping_timeout is not None:
            self._readable = _read_probe(sock)
            self._kernel_bounded = _bound_reads(
                sock, self._ping_interval, self._ping_timeout
            )
        reader = threading.Thread(
            target=self._read_loop, name="realtime-sync-reader", daemon=True
        )
        reader.start()
        return reader

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

    # ------------------------------------------------------------------ closing

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

    def _abort_handshake(self) -> None:
        """close() during CONNECTING: make the handshake fail now, best effort."""
        ws = self._ws
        sock = ws.sock if ws is not None else None
        if sock is not None:
            with contextlib.suppress(OSError):  # connect() closes it anyway
                sock.shutdown(socket.SHUT_RDWR)
