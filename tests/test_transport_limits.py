"""Connection limits and safety: message size, half-open detection, TLS, HTTP errors.

Most tests play the server by hand on a raw TCP socket on 127.0.0.1 (the handshake
and the frames are written byte by byte), because a real WebSocket server library
would refuse to misbehave the way these tests need: announce a 50 MB frame and
trickle it, go silent without closing, answer the upgrade with a 429.
"""

from __future__ import annotations

import contextlib
import json
import queue
import socket
import ssl
import struct
import threading
import tracemalloc
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import websocket
from websockets.frames import Frame, Opcode
from websockets.sync.server import ServerConnection, serve

from realtime_sync.exceptions import (
    AuthenticationError,
    ConnectError,
    ConnectionClosed,
    ProtocolError,
    RateLimitError,
)
from realtime_sync.transport import (
    Connection,
    ConnectionState,
    check_transport_security,
    credentials_in_cleartext,
)
from tests.reliability._raw import frame_header, http_answer, switching_protocols
from tests.reliability._raw import read_client_frame as read_frame

WAIT = 10.0  # upper bound for any single wait; tests normally take milliseconds
API_KEY = "sk-test-DO-NOT-LEAK-0123456789abcdef"
TLS_DIR = Path(__file__).parent / "data" / "tls"
CERT = TLS_DIR / "cert.pem"
KEY = TLS_DIR / "key.pem"

OP_CONT, OP_TEXT, OP_CLOSE, OP_PING, OP_PONG = 0x0, 0x1, 0x8, 0x9, 0xA


# A raw server (the wire-level pieces are those of tests/reliability/_raw.py) --------


def frame(
    opcode: int,
    payload: bytes = b"",
    *,
    fin: bool = True,
    length: int | None = None,
    rsv1: bool = False,
) -> bytes:
    """An unmasked (server-to-client) frame; ``length`` announces another size."""
    size = len(payload) if length is None else length
    return frame_header(opcode, size, fin=fin, rsv1=rsv1) + payload


def recv_exactly(sock: socket.socket, n: int) -> bytes | None:
    """``n`` bytes, or ``None`` at EOF/reset."""
    data = b""
    while len(data) < n:
        try:
            chunk = sock.recv(n - len(data))
        except OSError:
            return None
        if not chunk:
            return None
        data += chunk
    return data


def read_client_frame(sock: socket.socket) -> tuple[int, bytes] | None:
    """One masked client frame as ``(opcode, payload)``, or ``None`` at EOF."""

    def read(n: int) -> bytes:
        data = recv_exactly(sock, n)
        if data is None:
            raise EOFError
        return data

    try:
        return read_frame(read)
    except EOFError:
        return None


def close_code(payload: bytes) -> int | None:
    return struct.unpack("!H", payload[:2])[0] if len(payload) >= 2 else None


def _read_request(sock: socket.socket) -> bytes | None:
    request = b""
    while b"\r\n\r\n" not in request:
        chunk = sock.recv(4096)
        if not chunk:
            return None
        request += chunk
    return request


def answer_upgrade(sock: socket.socket) -> bytes:
    """Read the upgrade request and accept it; returns the request's bytes."""
    request = _read_request(sock)
    if request is None:
        raise ConnectionError("the client went away during the upgrade")
    key = ""
    for line in request.decode("latin-1").split("\r\n"):
        name, _, value = line.partition(":")
        if name.strip().lower() == "sec-websocket-key":
            key = value.strip()
    sock.sendall(switching_protocols(key))
    return request


def answer_http(
    sock: socket.socket, status: int, reason: str, body: bytes, headers: dict[str, str]
) -> None:
    """Read the upgrade request and refuse it with an HTTP answer."""
    if _read_request(sock) is not None:
        sock.sendall(http_answer(status, reason, body, headers))


class RawServer:
    """A listener on 127.0.0.1 whose one connection a script plays on a thread.

    The script gets the accepted socket; what it returns lands in ``result``, what
    it raises is re-raised by :meth:`join`.
    """

    def __init__(
        self, script: Callable[[socket.socket], Any], *, rcvbuf: int | None = None
    ) -> None:
        self.listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        if rcvbuf is not None:
            # Inherited by the accepted socket: a server that reads nothing fills
            # up after that much instead of many MiB.
            self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen()
        self.port = self.listener.getsockname()[1]
        self.url = f"ws://127.0.0.1:{self.port}/v1/realtime?model=test"
        self.result: Any = None
        self.error: BaseException | None = None
        self.release = threading.Event()
        self._script = script
        # Not realtime-sync-*: the leak check is about the SDK's threads.
        self._thread = threading.Thread(target=self._run, name="raw-server")
        self._thread.start()

    def _run(self) -> None:
        try:
            self.listener.settimeout(WAIT)
            sock, _ = self.listener.accept()
            with sock:
                sock.settimeout(WAIT)
                self.result = self._script(sock)
        except BaseException as exc:  # reported by join()
            self.error = exc
        finally:
            self.listener.close()

    def join(self) -> Any:
        self.release.set()
        self._thread.join(WAIT * 2)
        assert not self._thread.is_alive(), "the raw server script did not end"
        if self.error is not None:
            raise self.error
        return self.result


@contextlib.contextmanager
def raw_server(
    script: Callable[[socket.socket], Any], *, rcvbuf: int | None = None
) -> Iterator[RawServer]:
    server = RawServer(script, rcvbuf=rcvbuf)
    try:
        yield server
    finally:
        server.release.set()
        server._thread.join(WAIT * 2)


def collect(
    **kwargs: Any,
) -> tuple[queue.Queue[str], queue.Queue[ConnectionClosed], dict[str, Any]]:
    """Queues for on_message/on_close, and Connection kwargs wired to them."""
    messages: queue.Queue[str] = queue.Queue()
    closes: queue.Queue[ConnectionClosed] = queue.Queue()
    kwargs.setdefault("on_message", messages.put)
    kwargs.setdefault("on_close", closes.put)
    return messages, closes, kwargs


# max_message_size ----------------------------------------------------------------------

FIFTY_MB = 50 * 1024 * 1024


def test_oversized_frame_is_refused_on_its_header_without_reading_it() -> None:
    """A 50 MB frame: close 1009, ProtocolError cause, payload never read or held."""
    chunk = b"x" * 65536

    def script(sock: socket.socket) -> dict[str, Any]:
        answer_upgrade(sock)
        sock.sendall(frame(OP_TEXT, length=FIFTY_MB))
        sent = 0
        sock.settimeout(0.01)
        # Trickle the payload until the client's close frame (or EOF) shows up.
        while sent < FIFTY_MB:
            try:
                head = sock.recv(1, socket.MSG_PEEK)
            except TimeoutError:
                head = None
            if head is not None:
                break  # the client wrote something, or hung up (b"")
            try:
                sent += sock.send(chunk)
            except TimeoutError:
                pass  # the client does not read: its buffers are full
            except OSError:
                break
        sock.settimeout(WAIT)
        return {"sent": sent, "frame": read_client_frame(sock)}

    started = not tracemalloc.is_tracing()  # PYTHONTRACEMALLOC may have started it
    if started:
        tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        baseline, _ = tracemalloc.get_traced_memory()
        with raw_server(script) as server:
            messages, closes, kwargs = collect()
            conn = Connection(server.url, **kwargs)
            conn.connect()
            closed = closes.get(timeout=WAIT)
            conn.close(timeout=1.0)
            seen = server.join()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        if started:
            tracemalloc.stop()

    assert (closed.code, closed.reason) == (1009, "message too big")
    assert isinstance(closed.__cause__, ProtocolError)
    assert str(FIFTY_MB) in str(closed.__cause__)
    assert str(16 * 1024 * 1024) in str(closed.__cause__)
    assert "xxxx" not in str(closed.__cause__) and "xxxx" not in str(closed)
    assert conn.close_code == 1009
    assert messages.empty()
    # The server saw the client's close frame with 1009 long before the end.
    assert seen["frame"] is not None and seen["frame"][0] == OP_CLOSE
    assert close_code(seen["frame"][1]) == 1009
    assert seen["sent"] < FIFTY_MB // 4
    # Memory stayed bounded: nothing near the announced 50 MB was allocated.
    assert peak - baseline < 8 * 1024 * 1024


def test_fragments_adding_up_beyond_the_limit_are_refused() -> None:
    """Fragments of 600 bytes with a 1000-byte limit: 1009 on the second header."""

    def script(sock: socket.socket) -> tuple[int, bytes] | None:
        answer_upgrade(sock)
        sock.sendall(frame(OP_TEXT, b"a" * 600, fin=False))
        sock.sendall(frame(OP_CONT, b"b" * 600, fin=False))
        sock.sendall(frame(OP_CONT, b"c" * 600, fin=True))
        return read_client_frame(sock)

    with raw_server(script) as server:
        messages, closes, kwargs = collect(max_message_size=1000)
        conn = Connection(server.url, **kwargs)
        conn.connect()
        closed = closes.get(timeout=WAIT)
        conn.close(timeout=1.0)
        seen = server.join()

    assert closed.code == 1009
    assert isinstance(closed.__cause__, ProtocolError)
    assert "fragmented message of at least 1200 bytes" in str(closed.__cause__)
    assert "1000" in str(closed.__cause__)
    assert messages.empty()
    assert seen is not None and seen[0] == OP_CLOSE and close_code(seen[1]) == 1009


def test_messages_up_to_the_limit_are_delivered() -> None:
    """Exactly max_message_size, whole or fragmented (with a ping between): delivered."""

    def script(sock: socket.socket) -> tuple[int, bytes] | None:
        answer_upgrade(sock)
        sock.sendall(frame(OP_TEXT, b"a" * 1000))
        sock.sendall(frame(OP_TEXT, b"b" * 400, fin=False))
        sock.sendall(frame(OP_PING, b"between"))
        sock.sendall(frame(OP_CONT, b"c" * 600, fin=True))
        sock.sendall(frame(OP_TEXT, b"d" * 1000))
        sock.sendall(frame(OP_TEXT, b"e" * 1001))
        # The pong, then the close frame.
        first = read_client_frame(sock)
        assert first is not None and first == (OP_PONG, b"between")
        return read_client_frame(sock)

    with raw_server(script) as server:
        messages, closes, kwargs = collect(max_message_size=1000)
        conn = Connection(server.url, **kwargs)
        conn.connect()
        got = [messages.get(timeout=WAIT) for _ in range(3)]
        closed = closes.get(timeout=WAIT)
        conn.close(timeout=1.0)
        seen = server.join()

    assert got == ["a" * 1000, "b" * 400 + "c" * 600, "d" * 1000]
    assert closed.code == 1009
    assert "1001 bytes" in str(closed.__cause__)
    assert seen is not None and close_code(seen[1]) == 1009


@pytest.mark.parametrize("chunk", [None, 97], ids=["one-write", "trickled"])
def test_frames_in_any_split_arrive_whole_and_in_order(chunk: int | None) -> None:
    """Every kind of frame, written at once or trickled, arrives whole and in order.

    Whole frames of every length encoding, a binary frame, a ping, a fragmented
    message and multi-byte UTF-8, written at once (one read holds several frames)
    or trickled (headers and payloads cut across reads): each message arrives whole
    and in order, the ping is answered, the close frame ends the connection.
    """
    big = ("é€" * 20_000).encode("utf-8")  # 100 KB: a 64-bit length
    stream = b"".join(
        [
            frame(OP_TEXT, b"a" * 10),
            frame(0x2, b"\x00\x01\x02"),
            frame(OP_PING, b"p"),
            frame(OP_TEXT, b"b" * 300),
            frame(OP_TEXT, b"x" * 5, fin=False),
            frame(OP_CONT, b"y" * 5),
            frame(OP_TEXT, big),
            frame(OP_TEXT, b""),
            frame(OP_CLOSE, struct.pack("!H", 1000) + b"bye"),
        ]
    )

    def script(sock: socket.socket) -> tuple[int, bytes] | None:
        answer_upgrade(sock)
        if chunk is None:
            sock.sendall(stream)
        else:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            for i in range(0, 4000, chunk):  # the first frames cut finely...
                sock.sendall(stream[i : min(i + chunk, 4000)])
                threading.Event().wait(0.001)
            sock.sendall(stream[4000:])  # ...then the rest
        pong = read_client_frame(sock)
        assert pong == (OP_PONG, b"p")
        return read_client_frame(sock)  # the echo of our close frame

    binary: queue.Queue[bytes] = queue.Queue()
    with raw_server(script) as server:
        messages, closes, kwargs = collect(on_binary=binary.put)
        conn = Connection(server.url, **kwargs)
        conn.connect()
        closed = closes.get(timeout=WAIT)
        conn.close(timeout=1.0)
        echo = server.join()

    got = [messages.get_nowait() for _ in range(messages.qsize())]
    assert got == ["a" * 10, "b" * 300, "xxxxxyyyyy", big.decode("utf-8"), ""]
    assert binary.get_nowait() == b"\x00\x01\x02"
    assert (closed.code, closed.reason) == (1000, "bye")
    assert echo is not None and close_code(echo[1]) == 1000


def test_no_limit_with_none() -> None:
    """max_message_size=None accepts any size."""
    big = b"z" * (3 * 1024 * 1024)

    def script(sock: socket.socket) -> None:
        answer_upgrade(sock)
        sock.sendall(frame(OP_TEXT, big))
        server.release.wait(WAIT)

    with raw_server(script) as server:
        messages, _, kwargs = collect(max_message_size=None)
        conn = Connection(server.url, **kwargs)
        conn.connect()
        got = messages.get(timeout=WAIT)
        conn.close(timeout=0.5)
        server.join()

    assert len(got) == len(big)


def test_oversized_control_frame_is_a_protocol_error_without_reading_it() -> None:
    """A ping announcing 60000 bytes: close 1002 with a ProtocolError, not read."""

    def script(sock: socket.socket) -> tuple[int, bytes] | None:
        answer_upgrade(sock)
        sock.sendall(frame(OP_PING, length=60000))
        return read_client_frame(sock)

    with raw_server(script) as server:
        _, closes, kwargs = collect()
        conn = Connection(server.url, **kwargs)
        conn.connect()
        closed = closes.get(timeout=WAIT)
        conn.close(timeout=1.0)
        seen = server.join()

    assert (closed.code, closed.reason) == (1002, "protocol error")
    assert isinstance(closed.__cause__, ProtocolError)
    assert "60000" in str(closed.__cause__)
    assert seen is not None and close_code(seen[1]) == 1002


def test_bad_framing_is_a_protocol_error_with_code_1002() -> None:
    """A frame with RSV1 set (no extension negotiated): 1002, ProtocolError cause."""

    def script(sock: socket.socket) -> tuple[int, bytes] | None:
        answer_upgrade(sock)
        sock.sendall(frame(OP_TEXT, b"{}", rsv1=True))
        return read_client_frame(sock)

    with raw_server(script) as server:
        messages, closes, kwargs = collect()
        conn = Connection(server.url, **kwargs)
        conn.connect()
        closed = closes.get(timeout=WAIT)
        conn.close(timeout=1.0)
        seen = server.join()

    assert closed.code == 1002
    assert isinstance(closed.__cause__, ProtocolError)
    assert isinstance(closed.__cause__.__cause__, websocket.WebSocketException)
    assert "broke the WebSocket protocol" in str(closed)
    assert messages.empty()
    assert seen is not None and close_code(seen[1]) == 1002


def test_frame_reader_hook_is_in_effect() -> None:
    """websocket-client still parses frames through recv_length (our size check)."""
    calls: list[int] = []

    class Probe(websocket.frame_buffer):
        def recv_length(self) -> None:
            super().recv_length()
            calls.append(self.length or 0)

    data = frame(OP_TEXT, b"hello")
    view = [data]

    def recv(n: int) -> bytes:
        chunk, view[0] = view[0][:n], view[0][n:]
        return chunk

    parsed = Probe(recv, True).recv_frame()

    assert (parsed.data, calls) == (b"hello", [5])


@pytest.mark.parametrize("value", [0, -1, 1.5, True])
def test_max_message_size_is_checked(value: Any) -> None:
    """max_message_size must be a positive int or None."""
    with pytest.raises((TypeError, ValueError)):
        Connection("ws://127.0.0.1:9/", on_message=print, max_message_size=value)


# Half-open detection ---------------------------------------------------------------


def read_all_client_frames(sock: socket.socket) -> list[tuple[int, bytes]]:
    frames = []
    while (got := read_client_frame(sock)) is not None:
        frames.append(got)
    return frames


def test_half_open_connection_is_detected_while_sending() -> None:
    """A peer that never answers: dead within ping_interval + ping_timeout, code None."""

    def script(sock: socket.socket) -> list[tuple[int, bytes]]:
        answer_upgrade(sock)
        server.release.wait(WAIT * 2)  # silent: reads nothing, writes nothing
        return read_all_client_frames(sock)

    with raw_server(script) as server:
        _, closes, kwargs = collect(ping_interval=0.2, ping_timeout=0.3)
        conn = Connection(server.url, **kwargs)
        conn.connect()
        sent = 0
        closed: ConnectionClosed | None = None
        refused: ConnectionClosed | None = None
        # Keep writing, as a client streaming audio does: liveness must not depend
        # on our writes.
        while closed is None and sent < WAIT / 0.02:
            try:
                conn.send(json.dumps({"type": "input_audio_buffer.append", "n": sent}))
            except ConnectionClosed as exc:
                refused = exc
            sent += 1
            with contextlib.suppress(queue.Empty):
                closed = closes.get(timeout=0.02)
        conn.close(timeout=0.5)
        frames = server.join()

    assert closed is not None, "the dead connection was never noticed"
    assert closed.code is None
    assert "no answer to a ping within 0.3 s" in str(closed)
    assert conn.state is ConnectionState.CLOSED
    assert refused is None or "ping" in str(refused)
    with pytest.raises(ConnectionClosed, match="no answer to a ping"):
        conn.send("{}")
    # The writer pinged although the client had been writing all along.
    assert OP_PING in [opcode for opcode, _ in frames]
    assert sum(1 for opcode, _ in frames if opcode == OP_TEXT) > 3


def test_dead_peer_is_detected_even_when_the_writer_is_stuck() -> None:
    """A write blocked on a full buffer cannot ping; the reader gives up on its own."""

    def script(sock: socket.socket) -> None:
        answer_upgrade(sock)
        server.release.wait(WAIT * 2)  # reads nothing: the client's write blocks

    # Far more than loopback buffers hold: the writer blocks inside this frame.
    # Built before connecting, so that the writer is stuck before the first ping.
    payload = "y" * (48 * 1024 * 1024)
    with raw_server(script, rcvbuf=64 * 1024) as server:
        _, closes, kwargs = collect(
            ping_interval=0.2, ping_timeout=0.3, max_queue_bytes=64 * 1024 * 1024
        )
        conn = Connection(server.url, **kwargs)
        conn.connect()
        conn.send(payload)
        closed = closes.get(timeout=WAIT)
        conn.close(timeout=0.5)
        server.join()

    assert closed.code is None
    assert "no answer to a ping within 0.3 s" in str(closed)
    assert len(closed.unsent) == 1


def test_answering_peer_keeps_the_connection_alive() -> None:
    """A server that answers pings keeps a silent connection open past the timeout."""
    pings: queue.Queue[bytes] = queue.Queue()

    class Recording(ServerConnection):
        def process_event(self, event: Any) -> None:
            if isinstance(event, Frame) and event.opcode is Opcode.PING:
                pings.put(bytes(event.data))
            super().process_event(event)

    def handler(connection: ServerConnection) -> None:
        with contextlib.suppress(Exception):
            for _ in connection:
                pass

    with serve(
        handler,
        "127.0.0.1",
        0,
        create_connection=Recording,
        ping_interval=None,
    ) as ws_server:
        thread = threading.Thread(target=ws_server.serve_forever, name="ws-server")
        thread.start()
        try:
            port = ws_server.socket.getsockname()[1]
            _, closes, kwargs = collect(ping_interval=0.1, ping_timeout=0.15)
            conn = Connection(f"ws://127.0.0.1:{port}/", **kwargs)
            conn.connect()
            # Six pings span well over ping_interval + ping_timeout.
            for _ in range(6):
                pings.get(timeout=WAIT)
            alive = conn.is_open
            conn.close(timeout=WAIT)
        finally:
            ws_server.shutdown()
            thread.join(WAIT)

    assert alive
    assert closes.get(timeout=WAIT).code == 1000


def test_slow_on_message_is_not_mistaken_for_a_dead_peer() -> None:
    """A reader stuck in on_message past the timeout: the answers wait, not dead."""
    pings: queue.Queue[bytes] = queue.Queue()
    unblock = threading.Event()

    class Recording(ServerConnection):
        def process_event(self, event: Any) -> None:
            if isinstance(event, Frame) and event.opcode is Opcode.PING:
                pings.put(bytes(event.data))
            super().process_event(event)

    def handler(connection: ServerConnection) -> None:
        with contextlib.suppress(Exception):
            connection.send("block")
            for message in connection:
                connection.send(message)

    received: queue.Queue[str] = queue.Queue()

    def on_message(text: str) -> None:
        received.put(text)
        if text == "block":
            unblock.wait(WAIT)  # a handler far slower than ping_timeout

    with serve(
        handler, "127.0.0.1", 0, create_connection=Recording, ping_interval=None
    ) as ws_server:
        thread = threading.Thread(target=ws_server.serve_forever, name="ws-server")
        thread.start()
        try:
            port = ws_server.socket.getsockname()[1]
            _, closes, kwargs = collect(
                on_message=on_message, ping_interval=0.1, ping_timeout=0.15
            )
            conn = Connection(f"ws://127.0.0.1:{port}/", **kwargs)
            conn.connect()
            assert received.get(timeout=WAIT) == "block"
            # Several pings while the reader is stuck: each answer waits unread.
            for _ in range(4):
                pings.get(timeout=WAIT)
            alive_while_blocked = conn.is_open
            unblock.set()
            conn.send("after")
            after = received.get(timeout=WAIT)
            conn.close(timeout=WAIT)
        finally:
            unblock.set()
            ws_server.shutdown()
            thread.join(WAIT)

    assert alive_while_blocked
    assert after == "after"
    assert closes.get(timeout=WAIT).code == 1000


def test_ping_interval_none_disables_pings_and_the_timeout() -> None:
    """ping_interval=None: a silent server is never pinged nor declared dead."""

    def script(sock: socket.socket) -> list[tuple[int, bytes]]:
        answer_upgrade(sock)
        sock.settimeout(0.6)  # silence for 0.6 s, the client must not ping
        first = read_client_frame(sock)  # None: nothing came (timed out)
        sock.settimeout(WAIT)
        sock.sendall(frame(OP_TEXT, b"still here"))
        server.release.wait(WAIT)
        return [] if first is None else [first]

    with raw_server(script) as server:
        messages, _, kwargs = collect(ping_interval=None, ping_timeout=0.1)
        conn = Connection(server.url, **kwargs)
        conn.connect()
        assert messages.get(timeout=WAIT) == "still here"
        alive = conn.is_open
        conn.close(timeout=0.5)
        frames = server.join()

    assert alive
    assert frames == []


# TLS --------------------------------------------------------------------------------


@contextlib.contextmanager
def tls_echo_server(host: str = "127.0.0.1") -> Iterator[str]:
    """A wss:// echo server on ``host`` with the self-signed test certificate."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(CERT, KEY)

    def echo(connection: ServerConnection) -> None:
        with contextlib.suppress(Exception):
            for message in connection:
                connection.send(message)

    with serve(echo, host, 0, ssl=context, ping_interval=None) as server:
        thread = threading.Thread(target=server.serve_forever, name="wss-server")
        thread.start()
        try:
            yield f"wss://{host}:{server.socket.getsockname()[1]}/v1/realtime"
        finally:
            server.shutdown()
            thread.join(WAIT)


@pytest.fixture
def tls_server() -> Iterator[str]:
    """A wss:// echo server on 127.0.0.1 with the self-signed test certificate."""
    with tls_echo_server() as url:
        yield url


def test_unverifiable_certificate_is_a_clear_connect_error(tls_server: str) -> None:
    """Verification is on by default: a self-signed certificate fails with a hint."""
    conn = Connection(tls_server, on_message=print)

    with pytest.raises(ConnectError) as info:
        conn.connect()

    assert "certificate could not be verified" in str(info.value)
    assert "ca_bundle=" in str(info.value)
    assert isinstance(info.value.__cause__, ssl.SSLCertVerificationError)
    assert conn.state is ConnectionState.UNOPENED


@pytest.mark.parametrize("kind", ["str", "path", "context"])
def test_private_ca_is_accepted_with_ca_bundle_or_ssl_context(
    tls_server: str, kind: str
) -> None:
    """ca_bundle (str or Path) or an SSLContext trusting the CA: the TLS echo works."""
    choices: dict[str, dict[str, Any]] = {
        "str": {"ca_bundle": str(CERT)},
        "path": {"ca_bundle": CERT},
        "context": {"ssl_context": ssl.create_default_context(cafile=CERT)},
    }
    messages, _, kwargs = collect(**choices[kind])
    conn = Connection(tls_server, **kwargs)
    conn.connect()
    conn.send("over tls")

    assert messages.get(timeout=WAIT) == "over tls"
    assert conn.close(timeout=WAIT) == ()


def test_ca_bundle_keeps_host_name_checks() -> None:
    """A trusted certificate for another name (127.0.0.2 here) is still refused."""
    try:
        server = tls_echo_server("127.0.0.2")
        url = server.__enter__()
    except OSError:
        pytest.skip("cannot bind 127.0.0.2 on this system")
    try:
        conn = Connection(url, on_message=print, ca_bundle=CERT)
        with pytest.raises(ConnectError, match="certificate could not be verified"):
            conn.connect()
    finally:
        server.__exit__(None, None, None)


def test_tls_arguments_are_checked(tmp_path: Path) -> None:
    """Both ca_bundle and ssl_context, or an unreadable bundle: ValueError at once."""
    with pytest.raises(ValueError, match="not both"):
        Connection(
            "wss://127.0.0.1:9/",
            on_message=print,
            ca_bundle=CERT,
            ssl_context=ssl.create_default_context(),
        )
    with pytest.raises(ValueError, match="could not be loaded"):
        Connection(
            "wss://127.0.0.1:9/", on_message=print, ca_bundle=tmp_path / "missing.pem"
        )
    garbage = tmp_path / "garbage.pem"
    garbage.write_text("not a certificate")
    with pytest.raises(ValueError, match="could not be loaded"):
        Connection("wss://127.0.0.1:9/", on_message=print, ca_bundle=garbage)
    with pytest.raises(TypeError):
        Connection("wss://127.0.0.1:9/", on_message=print, ssl_context="yes")  # type: ignore[arg-type]


# Credentials over ws:// -------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "credentials", "expected"),
    [
        ("ws://api.example.com/v1/realtime", True, True),
        ("ws://10.0.0.5:8080/", True, True),
        ("ws://[2001:db8::1]/", True, True),
        ("ws://api.example.com/v1/realtime", False, False),
        ("wss://api.example.com/v1/realtime", True, False),
        ("ws://localhost:8080/", True, False),
        ("ws://LOCALHOST./", True, False),
        ("ws://127.0.0.1/", True, False),
        ("ws://127.1.2.3:9000/", True, False),
        ("ws://[::1]:9000/", True, False),
        ("ws://[::ffff:127.0.0.1]/", True, False),
    ],
)
def test_credentials_in_cleartext(url: str, credentials: bool, expected: bool) -> None:
    """True only for ws:// to a non-loopback host with credentials."""
    assert credentials_in_cleartext(url, credentials) is expected


@pytest.mark.parametrize(
    "kwargs",
    [
        {"headers": {"Authorization": f"Bearer {API_KEY}"}},
        {"headers": {"api-key": API_KEY}},
        {"subprotocols": ["realtime", f"openai-insecure-api-key.{API_KEY}"]},
        {"secrets": [API_KEY], "url": f"ws://gw.example.com/rt?api-key={API_KEY}"},
    ],
    ids=["authorization", "api-key", "subprotocol", "query"],
)
def test_credentials_over_ws_to_another_host_are_refused(
    kwargs: dict[str, Any],
) -> None:
    """ValueError naming the host and the ways out, never the key."""
    url = kwargs.pop("url", "ws://gw.example.com/rt")

    with pytest.raises(ValueError) as info:
        Connection(url, on_message=print, **kwargs)

    message = str(info.value)
    assert "gw.example.com" in message
    assert "wss://" in message and "allow_insecure=True" in message
    assert API_KEY not in message
    # allow_insecure=True accepts it; loopback and wss:// need nothing.
    Connection(url, on_message=print, allow_insecure=True, **kwargs)
    Connection(url.replace("ws://", "wss://"), on_message=print, **kwargs)
    Connection(url.replace("gw.example.com", "127.0.0.1"), on_message=print, **kwargs)


def test_check_transport_security_matches_connection() -> None:
    """The module function raises the same ValueError a Connection would."""
    with pytest.raises(ValueError, match=r"'gw\.example\.com'.*allow_insecure=True"):
        check_transport_security("ws://gw.example.com/", has_credentials=True)
    check_transport_security(
        "ws://gw.example.com/", has_credentials=True, allow_insecure=True
    )
    check_transport_security("ws://gw.example.com/", has_credentials=False)


# HTTP failures of the upgrade -------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "reason", "error_type", "retry_after"),
    [
        (401, "Unauthorized", AuthenticationError, None),
        (403, "Forbidden", AuthenticationError, None),
        (404, "Not Found", ConnectError, None),
        (429, "Too Many Requests", RateLimitError, 7.0),
        (500, "Internal Server Error", ConnectError, None),
    ],
)
def test_refused_upgrade_maps_to_typed_errors(
    status: int, reason: str, error_type: type[ConnectError], retry_after: float | None
) -> None:
    """Status, server_message, request_id (and retry_after for 429) are set."""
    body = json.dumps(
        {"error": {"message": f"Failure number {status}.", "type": "x"}}
    ).encode()
    headers = {"Content-Type": "application/json", "x-request-id": f"req_{status}"}
    if status == 429:
        headers["Retry-After"] = "7"

    def script(sock: socket.socket) -> None:
        answer_http(sock, status, reason, body, headers)

    with raw_server(script) as server:
        conn = Connection(
            server.url,
            on_message=print,
            headers={"Authorization": f"Bearer {API_KEY}"},
        )
        with pytest.raises(ConnectError) as info:
            conn.connect()
        server.join()

    error = info.value
    assert type(error) is error_type
    assert error.status == status
    assert error.server_message == f"Failure number {status}."
    assert f"Failure number {status}." in str(error)
    assert f"HTTP {status}" in str(error)
    assert error.request_id == f"req_{status}"
    assert f"req_{status}" in str(error)
    assert API_KEY not in str(error)
    if isinstance(error, RateLimitError):
        assert error.retry_after == retry_after
        assert "retry after 7 s" in str(error)
    assert conn.state is ConnectionState.UNOPENED


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (None, None),
        ("soon", None),
        ("Wed, 21 Oct 2015 07:28:00 GMT", 0.0),
        ("2.5", 2.5),
    ],
)
def test_retry_after_forms(header: str | None, expected: float | None) -> None:
    """Retry-After as seconds or an HTTP date; absent or garbage gives None."""
    headers = {} if header is None else {"Retry-After": header}

    def script(sock: socket.socket) -> None:
        answer_http(sock, 429, "Too Many Requests", b"", headers)

    with raw_server(script) as server:
        conn = Connection(server.url, on_message=print)
        with pytest.raises(RateLimitError) as info:
            conn.connect()
        server.join()

    assert info.value.retry_after == expected
    assert info.value.request_id is None
    assert info.value.server_message is None


def test_connection_refused_says_so() -> None:
    """Nothing listening: ConnectError saying "connection refused"."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    conn = Connection(f"ws://127.0.0.1:{port}/", on_message=print)

    with pytest.raises(ConnectError, match="connection refused") as info:
        conn.connect()

    assert isinstance(info.value.__cause__, ConnectionRefusedError)


def test_unresolvable_host_says_so() -> None:
    """A name that cannot resolve (.invalid, RFC 6761): "could not resolve host"."""
    conn = Connection("ws://no-such-host.invalid/", on_message=print)

    with pytest.raises(ConnectError, match="could not resolve host") as info:
        conn.connect()

    assert "no-such-host.invalid" in str(info.value)
    assert info.value.status is None
