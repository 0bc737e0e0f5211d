"""Raw TCP/TLS test servers on 127.0.0.1 that misbehave at the byte level.

Also the wire-level pieces other tests share (frame headers, the 101 and error
answers, reading a client frame) and :class:`FrameServer`, a websockets server that
sends any queued frame (the fuzz tests and ``benchmarks/fuzz.py``).

:class:`RawServer` accepts connections and runs a test-supplied ``handler(conn)``
for each one, on its own thread (named ``raw-server-*``, never ``realtime-sync-*``,
which the thread-leak check reserves for the client). :class:`RawConn` speaks just
enough HTTP and RFC 6455 to play a misbehaving Realtime server: answer the upgrade,
send frames of any opcode and size (server frames are unmasked), read the client's
masked frames, refuse the upgrade with an HTTP status, reset the connection
(``SO_LINGER`` 0) or go silent.

Every handler runs until it returns or :meth:`RawServer.stop` shuts its socket; an
``OSError`` in a handler (the client went away) ends it quietly, anything else is
kept in :attr:`RawServer.errors` for the test to assert on.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import queue
import socket
import ssl
import struct
import threading
from collections.abc import Callable, Mapping
from types import TracebackType

from websockets.sync.server import Server, ServerConnection, serve

from realtime_sync.protocol import Codec
from realtime_sync.testing import Responder

_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

OP_TEXT = 0x1
OP_BINARY = 0x2
OP_CLOSE = 0x8
OP_PING = 0x9
OP_PONG = 0xA


def session_created_frame() -> str:
    """The ``session.created`` a GA server sends first (what ``connect()`` waits for)."""
    [event] = Responder("ga").start()
    return Codec("ga").encode_server(event)


def frame_header(
    opcode: int, length: int, *, fin: bool = True, rsv1: bool = False
) -> bytes:
    """The header of an unmasked (server-to-client) frame of ``length`` bytes."""
    first = (0x80 if fin else 0) | (0x40 if rsv1 else 0) | opcode
    if length < 126:
        return struct.pack("!BB", first, length)
    if length < 1 << 16:
        return struct.pack("!BBH", first, 126, length)
    return struct.pack("!BBQ", first, 127, length)


def switching_protocols(key: str) -> bytes:
    """The 101 answer to an upgrade request carrying ``Sec-WebSocket-Key: key``."""
    digest = hashlib.sha1((key + _GUID).encode()).digest()
    accept = base64.b64encode(digest).decode()
    return (
        "HTTP/1.1 101 Switching Protocols\r\n"
        "Upgrade: websocket\r\n"
        "Connection: Upgrade\r\n"
        f"Sec-WebSocket-Accept: {accept}\r\n\r\n"
    ).encode()


def http_answer(
    status: int, phrase: str, body: bytes, headers: Mapping[str, str] | None = None
) -> bytes:
    """A whole HTTP answer (``Connection: close``) refusing an upgrade."""
    lines = [
        f"HTTP/1.1 {status} {phrase}",
        f"Content-Length: {len(body)}",
        "Connection: close",
        *(f"{k}: {v}" for k, v in (headers or {}).items()),
    ]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


def read_client_frame(read: Callable[[int], bytes]) -> tuple[int, bytes]:
    """One masked client frame as ``(opcode, payload)``; ``read(n)`` gives n bytes."""
    first, second = read(2)
    length = second & 0x7F
    if length == 126:
        (length,) = struct.unpack("!H", read(2))
    elif length == 127:
        (length,) = struct.unpack("!Q", read(8))
    mask = read(4) if second & 0x80 else b"\0\0\0\0"
    data = read(length)
    return first & 0x0F, bytes(b ^ mask[i % 4] for i, b in enumerate(data))


class RawConn:
    """One accepted connection, driven by a test handler."""

    def __init__(self, sock: socket.socket, stopping: threading.Event) -> None:
        self.sock = sock
        self.stopping = stopping
        self._buffer = b""

    # -- HTTP ------------------------------------------------------------------------

    def read_request(self) -> tuple[str, dict[str, str]]:
        """Read the request head; return the request line and the headers (lower-case)."""
        while b"\r\n\r\n" not in self._buffer:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("the client closed before the request ended")
            self._buffer += chunk
        head, self._buffer = self._buffer.split(b"\r\n\r\n", 1)
        line, *rest = head.decode("latin-1").split("\r\n")
        headers = {}
        for field in rest:
            name, _, value = field.partition(":")
            headers[name.strip().lower()] = value.strip()
        return line, headers

    def accept_websocket(self) -> dict[str, str]:
        """Read the upgrade request and answer 101; return the request headers."""
        _, headers = self.read_request()
        self.sock.sendall(switching_protocols(headers["sec-websocket-key"]))
        return headers

    def refuse(
        self,
        status: int,
        phrase: str,
        body: Mapping[str, object],
        headers: Mapping[str, str] | None = None,
    ) -> None:
        """Answer the upgrade request with an HTTP error and a JSON body, then close."""
        self.read_request()
        extra = {"Content-Type": "application/json", **(headers or {})}
        self.sock.sendall(http_answer(status, phrase, json.dumps(body).encode(), extra))

    # -- WebSocket frames ------------------------------------------------------------

    def send_frame(self, opcode: int, payload: bytes, *, fin: bool = True) -> None:
        """Send one unmasked frame."""
        self.sock.sendall(frame_header(opcode, len(payload), fin=fin) + payload)

    def send_text(self, text: str) -> None:
        """Send a text frame."""
        self.send_frame(OP_TEXT, text.encode("utf-8"))

    def send_close(self, code: int, reason: str = "") -> None:
        """Send a close frame."""
        self.send_frame(OP_CLOSE, struct.pack("!H", code) + reason.encode("utf-8"))

    def recv_frame(self) -> tuple[int, bytes]:
        """Read one (masked) client frame; return its opcode and unmasked payload."""
        return read_client_frame(self._read)

    def _read(self, n: int) -> bytes:
        while len(self._buffer) < n:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("the client closed the connection")
            self._buffer += chunk
        data, self._buffer = self._buffer[:n], self._buffer[n:]
        return data

    def serve_close(self) -> None:
        """Read client frames until its close frame, answer pings, echo the close."""
        while True:
            opcode, payload = self.recv_frame()
            if opcode == OP_PING:
                self.send_frame(OP_PONG, payload)
            elif opcode == OP_CLOSE:
                self.send_frame(OP_CLOSE, payload[:2])
                return

    # -- ending ----------------------------------------------------------------------

    def reset(self) -> None:
        """Abort with a TCP RST: ``SO_LINGER`` on with a zero timeout, then close."""
        self.sock.setsockopt(
            socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0)
        )
        self.sock.close()

    def end_without_close_frame(self) -> None:
        """A clean TCP FIN with no WebSocket close frame (the client sees 1006)."""
        with contextlib.suppress(OSError):
            self.sock.shutdown(socket.SHUT_WR)

    def hang(self) -> None:
        """Never read nor write again, until the server stops (a half-open peer)."""
        self.stopping.wait()


Handler = Callable[[RawConn], None]


class RawServer:
    """A listening socket on 127.0.0.1 that runs ``handler`` for every connection.

    Args:
        handler: Called with a :class:`RawConn` on a thread of its own.
        ssl_context: Wrap every accepted socket in this server-side TLS context.
    """

    def __init__(
        self, handler: Handler, *, ssl_context: ssl.SSLContext | None = None
    ) -> None:
        self._handler = handler
        self._ssl = ssl_context
        self._listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(16)
        self.port: int = self._listener.getsockname()[1]
        self.stopping = threading.Event()
        self.errors: list[BaseException] = []
        self.tls_errors: list[ssl.SSLError] = []
        self.connections = 0
        self._lock = threading.Lock()
        self._socks: list[socket.socket] = []
        self._threads: list[threading.Thread] = []
        self._events: list[threading.Event] = []
        self._acceptor = threading.Thread(
            target=self._accept_loop, name="raw-server-accept", daemon=True
        )

    @property
    def url(self) -> str:
        """The ``ws://`` (or ``wss://``) URL of this server."""
        scheme = "wss" if self._ssl is not None else "ws"
        return f"{scheme}://127.0.0.1:{self.port}/v1/realtime?model=gpt-realtime"

    def event(self) -> threading.Event:
        """A ``threading.Event`` for a handler to wait on; :meth:`stop` sets it too.

        So a handler waiting for the test's go-ahead never outlives a failed test.
        """
        event = threading.Event()
        with self._lock:
            self._events.append(event)
        return event

    def start(self) -> RawServer:
        """Start accepting."""
        self._acceptor.start()
        return self

    def stop(self) -> None:
        """Stop accepting, wake every handler (socket shutdown) and join the threads."""
        self.stopping.set()
        with self._lock:
            events = list(self._events)
        for event in events:
            event.set()
        with contextlib.suppress(OSError):
            self._listener.shutdown(socket.SHUT_RDWR)
        self._acceptor.join(5.0)
        self._listener.close()
        with self._lock:
            socks, threads = list(self._socks), list(self._threads)
        for sock in socks:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
        for thread in threads:
            thread.join(5.0)
        for sock in socks:
            sock.close()
        alive = [t.name for t in [self._acceptor, *threads] if t.is_alive()]
        assert not alive, f"raw server threads did not stop: {alive}"

    def __enter__(self) -> RawServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def _accept_loop(self) -> None:
        while not self.stopping.is_set():
            try:
                sock, _ = self._listener.accept()
            except OSError:
                return  # stop() shut the listener down
            with self._lock:
                self.connections += 1
                number = self.connections
                self._socks.append(sock)
                thread = threading.Thread(
                    target=self._run,
                    args=(sock,),
                    name=f"raw-server-conn-{number}",
                    daemon=True,
                )
                self._threads.append(thread)
            thread.start()

    def _run(self, sock: socket.socket) -> None:
        try:
            if self._ssl is not None:
                try:
                    tls = self._ssl.wrap_socket(sock, server_side=True)
                except ssl.SSLError as exc:
                    with self._lock:
                        self.tls_errors.append(exc)
                    return
                with self._lock:
                    self._socks.append(tls)
                sock = tls
            self._handler(RawConn(sock, self.stopping))
        except OSError:
            pass  # the client went away, or stop() shut the socket down
        except BaseException as exc:  # kept for the test, never raised on a thread
            with self._lock:
                self.errors.append(exc)


# -- a websockets server that sends whatever it is given ---------------------------


class FrameServer:
    """A websockets server that sends ``session.created``, then queued frames.

    ``str`` goes as a text frame, ``bytes`` as a binary frame. One connection at a
    time; its handler thread is the only sender.
    """

    def __init__(self, session_created: str) -> None:
        self.session_created = session_created
        self.frames: queue.Queue[str | bytes | None] = queue.Queue()
        self.server: Server = serve(
            self._handle, "127.0.0.1", 0, compression=None, max_size=None
        )
        self.thread = threading.Thread(
            target=self.server.serve_forever, name="fuzz-frame-server", daemon=True
        )
        self.thread.start()

    @property
    def url(self) -> str:
        """The URL a client connects to."""
        return f"ws://127.0.0.1:{self.server.socket.getsockname()[1]}/v1/realtime"

    def _handle(self, ws: ServerConnection) -> None:
        # Many small frames in a row: without TCP_NODELAY, Nagle's algorithm and the
        # peer's delayed ACK add tens of milliseconds per batch.
        ws.socket.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        ws.send(self.session_created)
        while (frame := self.frames.get()) is not None:
            ws.send(frame)

    def send_all(self, frames: list[str | bytes]) -> None:
        """Queue frames for the open connection."""
        for frame in frames:
            self.frames.put(frame)

    def stop(self) -> None:
        """End the connection handler and the server; join its thread."""
        self.frames.put(None)
        self.server.shutdown()
        self.thread.join(10.0)
