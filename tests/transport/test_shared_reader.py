"""SharedReaderTransport: many connections read by one thread, on real sockets.

Each test talks to a real server on 127.0.0.1: the MockRealtimeServer (many
clients on one transport, server closes and drops, reconnection), or a raw
server script that plays bytes at the wire level (frames cut in pieces, big and
fragmented frames, pings, bad frames, silence), or a wss:// echo server. The
connections must behave like those of the default transport (same callbacks,
close codes, causes), with one reader thread for all of them.
"""

from __future__ import annotations

import gc
import queue
import socket
import ssl
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

import realtime_sync as rs
from realtime_sync.exceptions import ConnectionClosed, ProtocolError
from realtime_sync.testing import MockRealtimeServer
from realtime_sync.transport import (
    Channel,
    Connection,
    SharedReaderTransport,
    Transport,
    _shared_loop,
)
from tests.reliability._raw import switching_protocols
from tests.test_transport_limits import (
    CERT,
    KEY,
    OP_CLOSE,
    OP_CONT,
    OP_PING,
    OP_PONG,
    OP_TEXT,
    answer_upgrade,
    close_code,
    frame,
    raw_server,
    read_client_frame,
    tls_echo_server,
)

WAIT = 10.0  # upper bound for any single wait; tests normally take milliseconds
SHARED = "realtime-sync-shared-reader"
FAST = rs.ReconnectPolicy(initial_delay=0.01, max_delay=0.05)


def _threads(name: str) -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == name and t.is_alive()]


class Ends:
    """on_message/on_close/on_binary of one channel, as queues."""

    def __init__(self) -> None:
        self.messages: queue.Queue[str] = queue.Queue()
        self.binaries: queue.Queue[bytes] = queue.Queue()
        self.closes: queue.Queue[ConnectionClosed] = queue.Queue()
        self.threads: set[str] = set()

    def on_message(self, text: str) -> None:
        self.threads.add(threading.current_thread().name)
        self.messages.put(text)

    def open(self, transport: Transport, url: str) -> Channel:
        return transport.open(
            url,
            headers={},
            on_message=self.on_message,
            on_close=self.closes.put,
            on_binary=self.binaries.put,
        )

    def take(self, count: int) -> list[str]:
        return [self.messages.get(timeout=WAIT) for _ in range(count)]


@pytest.fixture
def server() -> Iterator[MockRealtimeServer]:
    with MockRealtimeServer() as mock:
        yield mock


def _said(response: rs.Response) -> str:
    return response.text or response.transcript


def _client(
    server: MockRealtimeServer, transport: Transport, **kwargs: Any
) -> rs.RealtimeClient:
    return rs.RealtimeClient(
        url=server.url, api_key="test", transport=transport, **kwargs
    )


# many sessions, one thread -----------------------------------------------------


def test_many_clients_share_one_reader_thread(server: MockRealtimeServer) -> None:
    """Twelve clients: one shared thread, no reader of their own, answers for all."""
    transport = SharedReaderTransport()
    clients = [_client(server, transport) for _ in range(12)]
    handler_threads: set[str] = set()
    for client in clients:
        client.on("*", lambda _: handler_threads.add(threading.current_thread().name))
        client.connect()
    try:
        assert len(_threads(SHARED)) == 1
        assert _threads("realtime-sync-reader") == []
        running, serving = transport.reader_thread, transport.connections
        assert running is _threads(SHARED)[0]
        assert serving == 12
        for i, client in enumerate(clients):
            assert (
                _said(client.ask(f"hello {i}", timeout=WAIT)) == f"You said: hello {i}"
            )
    finally:
        for client in clients:
            client.close()
    assert SHARED in handler_threads
    assert transport.connections == 0
    assert transport.reader_thread is None
    assert _threads(SHARED) == []  # joined by the last close()


def test_thread_starts_again_after_the_last_connection_ended(
    server: MockRealtimeServer,
) -> None:
    transport = SharedReaderTransport()
    with _client(server, transport) as client:
        first = transport.reader_thread
        client.ask("one", timeout=WAIT)
    assert first is not None and not first.is_alive()
    with _client(server, transport) as client:
        second = transport.reader_thread
        assert _said(client.ask("two", timeout=WAIT)) == "You said: two"
    assert second is not None and second is not first
    assert transport.reader_thread is None


def test_the_default_instance_is_shared_and_usable(server: MockRealtimeServer) -> None:
    transport = SharedReaderTransport.default()
    assert SharedReaderTransport.default() is transport
    with _client(server, transport) as a, _client(server, transport) as b:
        assert _said(a.ask("a", timeout=WAIT)) == "You said: a"
        assert _said(b.ask("b", timeout=WAIT)) == "You said: b"
        assert len(_threads(SHARED)) == 1
    assert "connections=0" in repr(transport)


def test_clients_dropped_without_close_are_reclaimed(
    server: MockRealtimeServer,
) -> None:
    """Unreferenced clients: their channels close and the shared thread ends."""
    transport = SharedReaderTransport()
    clients = []
    for _ in range(5):
        client = _client(server, transport)
        # A handler that references its client (a cycle, as real code makes).
        client.on("session.updated", lambda e, c=client: c.stats)
        client.connect()
        clients.append(client)
    shared = transport.reader_thread
    assert shared is not None and server.connections == 5
    del clients, client
    gc.collect()
    shared.join(WAIT)
    assert not shared.is_alive()
    assert transport.connections == 0
    server.wait_for_connections(0, timeout=WAIT)


def test_a_connection_is_a_connection() -> None:
    """open() returns a Connection (same API), unopened, with options checked."""
    transport = SharedReaderTransport(ping_interval=5.0)
    channel = Ends().open(transport, "ws://127.0.0.1:9/v1/realtime")
    assert isinstance(channel, Connection)
    assert channel.close() == ()
    with pytest.raises(ValueError, match="ping_interval must be positive"):
        SharedReaderTransport(ping_interval=0)
    with pytest.raises(ValueError, match="allow_insecure"):
        SharedReaderTransport().open(
            "ws://example.com/v1/realtime",
            headers={"Authorization": "Bearer sk-secret"},
            on_message=print,
            on_close=print,
            on_binary=print,
        )


# the wire: partial frames, big frames, control frames ------------------------------


def test_frames_cut_anywhere_are_reassembled() -> None:
    """Headers, lengths and payloads arriving byte by byte, or many frames at once."""
    texts = ["a", "b" * 200, "c" * 70_000, "ünïcødé ✓"]
    wire = b"".join(frame(OP_TEXT, t.encode()) for t in texts)

    def script(sock: socket.socket) -> None:
        answer_upgrade(sock)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        # Byte by byte through the first frames (each byte its own segment), ...
        for i in range(0, 210):
            sock.sendall(wire[i : i + 1])
            time.sleep(0.001)  # pacing, not a wait: one segment per byte
        # ... then the rest in odd pieces, ...
        for i in range(210, len(wire), 997):
            sock.sendall(wire[i : i + 997])
        # ... then all four again in one write.
        sock.sendall(wire)
        read_client_frame(sock)

    transport = SharedReaderTransport()
    with raw_server(script) as srv:
        ends = Ends()
        channel = ends.open(transport, srv.url)
        channel.connect()
        got = ends.take(8)
        channel.close(timeout=1.0)
        srv.join()
    assert got == texts + texts
    assert ends.threads == {SHARED}


def test_big_and_fragmented_messages_with_a_ping_between() -> None:
    """5 MB in one frame; a message in 3 fragments with a ping between: pong, data."""
    big = b"x" * (5 * 1024 * 1024)

    def script(sock: socket.socket) -> list[tuple[int, bytes] | None]:
        answer_upgrade(sock)
        sock.sendall(frame(OP_TEXT, big))
        sock.sendall(frame(OP_TEXT, b"one-", fin=False))
        sock.sendall(frame(OP_PING, b"are you there"))
        sock.sendall(frame(OP_CONT, b"two-", fin=False))
        sock.sendall(frame(OP_CONT, b"three", fin=True))
        return [read_client_frame(sock), read_client_frame(sock)]

    with raw_server(script) as srv:
        ends = Ends()
        channel = ends.open(SharedReaderTransport(), srv.url)
        channel.connect()
        first, second = ends.take(2)
        channel.close(timeout=1.0)
        pong, closing = srv.join()
    assert len(first) == len(big) and first == big.decode()
    assert second == "one-two-three"
    assert pong == (OP_PONG, b"are you there")
    assert closing is not None and closing[0] == OP_CLOSE


def test_binary_frames_go_to_on_binary() -> None:
    def script(sock: socket.socket) -> None:
        answer_upgrade(sock)
        sock.sendall(frame(0x2, b"\x00\x01") + frame(OP_TEXT, b"after"))
        read_client_frame(sock)

    with raw_server(script) as srv:
        ends = Ends()
        channel = ends.open(SharedReaderTransport(), srv.url)
        channel.connect()
        assert ends.take(1) == ["after"]
        assert ends.binaries.get(timeout=WAIT) == b"\x00\x01"
        channel.close(timeout=1.0)
        srv.join()


@pytest.mark.parametrize(
    ("wire", "code", "cause"),
    [
        (frame(OP_TEXT, length=17 * 1024 * 1024), 1009, "max_message_size"),
        (frame(OP_TEXT, b"x", rsv1=True), 1002, "WebSocket protocol"),
        (frame(OP_TEXT, b"\xff\xfe"), 1007, "not UTF-8"),
        (frame(OP_CONT, b"orphan"), 1002, "WebSocket protocol"),
    ],
    ids=["too-big", "rsv1", "bad-utf8", "orphan-continuation"],
)
def test_protocol_violations_fail_only_that_connection(
    server: MockRealtimeServer, wire: bytes, code: int, cause: str
) -> None:
    """The bad connection closes with its code; a client on the same thread goes on."""
    transport = SharedReaderTransport()

    def script(sock: socket.socket) -> tuple[int, bytes] | None:
        answer_upgrade(sock)
        sock.sendall(wire)
        return read_client_frame(sock)

    with _client(server, transport) as good, raw_server(script) as srv:
        ends = Ends()
        channel = ends.open(transport, srv.url)
        channel.connect()
        closed = ends.closes.get(timeout=WAIT)
        channel.close(timeout=1.0)
        seen = srv.join()
        assert _said(good.ask("still fine", timeout=WAIT)) == "You said: still fine"
    assert closed.code == code
    assert isinstance(closed.__cause__, ProtocolError)
    assert cause in str(closed.__cause__)
    assert seen is not None and seen[0] == OP_CLOSE and close_code(seen[1]) == code
    assert ends.messages.empty()


# ends: close codes, drops, silence, close() from a handler ---------------------------


def test_server_close_code_and_reason_reach_on_close() -> None:
    def script(sock: socket.socket) -> tuple[int, bytes] | None:
        answer_upgrade(sock)
        sock.sendall(frame(OP_TEXT, b"last") + frame(OP_CLOSE, b"\x0f\xa0bye now"))
        return read_client_frame(sock)

    with raw_server(script) as srv:
        ends = Ends()
        channel = ends.open(SharedReaderTransport(), srv.url)
        channel.connect()
        closed = ends.closes.get(timeout=WAIT)
        echo = srv.join()
        assert channel.close() == ()
    assert ends.take(1) == ["last"]
    assert (closed.code, closed.reason) == (4000, "bye now")
    assert "The server closed the connection (code 4000, bye now)" in str(closed)
    assert channel.close_code == 4000 and not channel.is_open
    assert echo is not None and echo[0] == OP_CLOSE and close_code(echo[1]) == 1000


def test_client_close_codes_reach_the_server(server: MockRealtimeServer) -> None:
    """close(code, reason) sends them; the server's echo ends the connection."""

    def script(sock: socket.socket) -> list[tuple[int, bytes] | None]:
        answer_upgrade(sock)
        frames = [read_client_frame(sock), read_client_frame(sock)]
        closing = frames[-1]
        if closing is not None and closing[0] == OP_CLOSE:
            sock.sendall(frame(OP_CLOSE, closing[1]))
        return frames

    with raw_server(script) as srv:
        ends = Ends()
        channel = ends.open(SharedReaderTransport(), srv.url)
        channel.connect()
        channel.send("written before the close frame")
        assert channel.close(timeout=WAIT, code=4001, reason="done") == ()
        text, closing = srv.join()
    assert text == (OP_TEXT, b"written before the close frame")
    assert closing == (OP_CLOSE, b"\x0f\xa1done")
    closed = ends.closes.get(timeout=WAIT)
    assert (closed.code, closed.reason) == (4001, "done")  # the server's echo
    assert "closed by the client" in str(closed)


def test_a_dropped_connection_ends_alone(server: MockRealtimeServer) -> None:
    """A TCP drop without a close frame: code None for it, the others read on."""
    transport = SharedReaderTransport()

    def script(sock: socket.socket) -> None:
        answer_upgrade(sock)
        sock.sendall(frame(OP_TEXT, b"before"))
        sock.shutdown(socket.SHUT_RDWR)

    with _client(server, transport) as good, raw_server(script) as srv:
        ends = Ends()
        channel = ends.open(transport, srv.url)
        channel.connect()
        closed = ends.closes.get(timeout=WAIT)
        srv.join()
        assert _said(good.ask("unaffected", timeout=WAIT)) == "You said: unaffected"
        channel.close()
    assert ends.take(1) == ["before"]
    assert closed.code is None
    assert "The connection was lost" in str(closed)


def test_a_silent_server_is_declared_dead() -> None:
    """No answer to a ping within ping_timeout: on_close with code None."""

    def script(sock: socket.socket) -> None:
        answer_upgrade(sock)
        while sock.recv(4096):  # reads our pings, answers nothing
            pass

    with raw_server(script) as srv:
        ends = Ends()
        transport = SharedReaderTransport(ping_interval=0.1, ping_timeout=0.2)
        channel = ends.open(transport, srv.url)
        channel.connect()
        closed = ends.closes.get(timeout=WAIT)
        channel.close(timeout=1.0)
        srv.join()
    assert closed.code is None
    assert "no answer to a ping" in str(closed)


def test_a_slow_handler_delays_the_others_without_killing_them(
    server: MockRealtimeServer,
) -> None:
    """A handler that holds the shared thread past ping_timeout: nobody declared dead.

    The other connection's pongs wait unread in the kernel meanwhile; the sweep
    and the writer see them there.
    """
    transport = SharedReaderTransport(ping_interval=0.1, ping_timeout=0.2)
    release = threading.Event()
    held = threading.Event()  # the slow handler has held the shared thread

    def script(sock: socket.socket) -> None:
        answer_upgrade(sock)
        sock.sendall(frame(OP_TEXT, b"slow"))
        while True:  # answers pings, as a live server does
            got = read_client_frame(sock)
            if got is None or got[0] == OP_CLOSE:
                if got is not None:
                    sock.sendall(frame(OP_CLOSE, got[1]))
                return
            if got[0] == OP_PING:
                sock.sendall(frame(OP_PONG, got[1]))

    def slow(text: str) -> None:
        release.wait(1.0)  # five ping timeouts of the other connection
        held.set()

    with _client(server, transport) as other, raw_server(script) as srv:
        channel = transport.open(
            srv.url, headers={}, on_message=slow, on_close=print, on_binary=print
        )
        channel.connect()
        assert held.wait(WAIT)
        assert other.is_connected
        assert _said(other.ask("alive", timeout=WAIT)) == "You said: alive"
        assert channel.is_open
        channel.close(timeout=2.0)
        srv.join()


def test_handler_exceptions_never_stop_the_shared_thread(
    server: MockRealtimeServer, caplog: pytest.LogCaptureFixture
) -> None:
    transport = SharedReaderTransport()
    seen: list[str] = []
    both = threading.Event()

    def explode(text: str) -> None:
        seen.append(text)
        if len(seen) == 2:
            both.set()
        raise RuntimeError("handler bug")

    def script(sock: socket.socket) -> None:
        answer_upgrade(sock)
        sock.sendall(frame(OP_TEXT, b"one") + frame(OP_TEXT, b"two"))
        read_client_frame(sock)

    with _client(server, transport) as good, raw_server(script) as srv:
        channel = transport.open(
            srv.url, headers={}, on_message=explode, on_close=print, on_binary=print
        )
        channel.connect()
        assert _said(good.ask("after", timeout=WAIT)) == "You said: after"
        assert both.wait(WAIT)
        assert channel.is_open
        channel.close(timeout=1.0)
        srv.join()
    assert seen == ["one", "two"]
    assert "on_message raised" in caplog.text


@pytest.mark.parametrize("whose", ["own", "other"])
def test_close_from_a_handler_on_the_shared_thread(whose: str) -> None:
    """close() of its own or another connection, from on_message: no deadlock."""
    transport = SharedReaderTransport()
    calls: list[tuple[object, ...]] = []
    channels: list[Channel] = []

    def script(sock: socket.socket) -> tuple[int, bytes] | None:
        answer_upgrade(sock)
        sock.sendall(frame(OP_TEXT, b"close please"))
        got = read_client_frame(sock)
        if got is not None and got[0] == OP_CLOSE:
            sock.sendall(frame(OP_CLOSE, got[1]))
        return got

    def idle(sock: socket.socket) -> tuple[int, bytes] | None:
        answer_upgrade(sock)
        got = read_client_frame(sock)
        if got is not None and got[0] == OP_CLOSE:
            sock.sendall(frame(OP_CLOSE, got[1]))
        return got

    def handler(text: str) -> None:
        target = channels[0] if whose == "own" else channels[1]
        calls.append(target.close(timeout=2.0, code=4002))

    with raw_server(script) as srv, raw_server(idle) as quiet:
        first = Ends()
        first.on_message = handler  # type: ignore[method-assign]
        channels.append(first.open(transport, srv.url))
        second = Ends()
        channels.append(second.open(transport, quiet.url))
        channels[1].connect()
        channels[0].connect()
        closed = (first if whose == "own" else second).closes.get(timeout=WAIT)
        seen = (srv if whose == "own" else quiet).join()
        for channel in channels:
            channel.close(timeout=2.0)
        srv.join()
        quiet.join()
    assert calls == [()]
    assert seen is not None and close_code(seen[1]) == 4002
    assert closed.code == 4002  # the server echoed our code


def test_close_without_the_servers_answer_ends_at_the_timeout() -> None:
    def script(sock: socket.socket) -> None:
        answer_upgrade(sock)
        read_client_frame(sock)  # our close frame: never answered
        srv.release.wait(WAIT)

    with raw_server(script) as srv:
        ends = Ends()
        channel = ends.open(SharedReaderTransport(), srv.url)
        channel.connect()
        assert channel.close(timeout=0.2) == ()
        closed = ends.closes.get(timeout=WAIT)
        srv.join()
    assert "closed by the client" in str(closed)
    assert _threads(SHARED) == []


# reconnection, TLS --------------------------------------------------------------


def test_reconnection_after_drops_and_closes(server: MockRealtimeServer) -> None:
    """A ReconnectPolicy works the same: a drop and a 1001 both get a new session."""
    transport = SharedReaderTransport()
    reconnected: queue.Queue[rs.Reconnected] = queue.Queue()
    with (
        _client(server, transport, reconnect=FAST) as a,
        _client(server, transport, reconnect=FAST) as b,
    ):
        a.on_reconnected(reconnected.put)
        b.on_reconnected(reconnected.put)
        server.drop_all()
        causes = [reconnected.get(timeout=WAIT).cause for _ in range(2)]
        assert all(isinstance(cause, ConnectionClosed) for cause in causes)
        assert [getattr(cause, "code", 0) for cause in causes] == [None, None]
        assert _said(a.ask("a again", timeout=WAIT)) == "You said: a again"
        server.close_all(code=1001, reason="going away")
        causes = [reconnected.get(timeout=WAIT).cause for _ in range(2)]
        assert {getattr(cause, "code", 0) for cause in causes} == {1001}
        assert _said(b.ask("b again", timeout=WAIT)) == "You said: b again"
        assert len(_threads(SHARED)) == 1
        assert transport.connections == 2
    assert server.total_connections == 6


def test_tls_many_records_and_big_messages() -> None:
    """wss://: small and multi-record messages echoed through the shared thread."""
    transport = SharedReaderTransport(ca_bundle=CERT)
    texts = [f"m{i}" for i in range(50)] + ["y" * 100_000, "z" * 40_000]
    with tls_echo_server() as url:
        ends = [Ends(), Ends()]
        channels = [e.open(transport, url) for e in ends]
        for channel in channels:
            channel.connect()
        for channel in channels:
            for text in texts:
                channel.send(text)
        got = [e.take(len(texts)) for e in ends]
        for channel in channels:
            channel.close(timeout=2.0)
    assert got == [texts, texts]
    assert ends[0].threads == {SHARED}


def test_connect_sets_up_what_connection_connect_sets_up(
    server: MockRealtimeServer,
) -> None:
    """_SharedConnection uses Connection.connect() with its reader hooks (a guard).

    No copy of connect(): the shared connection overrides only the hooks that
    install the frame reader and start the reading. What connect() sets up for
    the writer and the senders must be set up for both; only the per-connection
    reader's own fields may be missing.
    """
    from realtime_sync.transport import WebSocketTransport
    from realtime_sync.transport._shared_conn import _SharedConnection

    assert _SharedConnection.connect is Connection.connect

    fields = []
    for transport in (WebSocketTransport(), SharedReaderTransport()):
        channel = Ends().open(transport, server.url)
        assert isinstance(channel, Connection)
        before = {k: id(v) for k, v in vars(channel).items()}
        channel.connect()
        after = vars(channel)
        fields.append({k for k in after if before.get(k) != id(after[k])})
        channel.close(timeout=2.0)
    plain, shared = fields
    # What the per-connection reader alone needs (SO_RCVTIMEO, its recv function,
    # its read-ahead bytes and where it parses them).
    reader_only = {"_kernel_bounded", "_raw_recv", "_ahead", "_ahead_pos"}
    assert plain - reader_only <= shared


class _TlsPeer:
    """The server end of a TLS connection over a memory BIO: bytes under our control.

    Each record's ciphertext can be sent in pieces, with pauses, which a TLS
    server library would never do on purpose (but a network does).
    """

    def __init__(self, sock: socket.socket) -> None:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(CERT, KEY)
        self.sock = sock
        self.incoming, self.outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
        self.tls = context.wrap_bio(self.incoming, self.outgoing, server_side=True)
        while True:
            try:
                self.tls.do_handshake()
                break
            except ssl.SSLWantReadError:
                self.flush()
                self.incoming.write(sock.recv(65536))
        self.flush()

    def flush(self) -> None:
        data = self.outgoing.read()
        if data:
            self.sock.sendall(data)

    def read_request(self) -> bytes:
        request = b""
        while b"\r\n\r\n" not in request:
            try:
                request += self.tls.read(65536)
            except ssl.SSLWantReadError:
                self.incoming.write(self.sock.recv(65536))
        return request

    def ciphertext(self, plain: bytes) -> bytes:
        self.tls.write(plain)
        return self.outgoing.read()


def test_tls_record_cut_in_pieces_is_waited_for_without_spinning(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A record whose header, then half, then rest arrive 0.2 s apart: one message.

    While the record is incomplete the loop must not spin on the readable
    socket (SO_RCVLOWAT makes the selector wait for the whole record).
    """
    rounds = [0]
    original = _shared_loop._Loop._round

    def counting(loop: _shared_loop._Loop) -> bool:
        rounds[0] += 1
        return original(loop)

    monkeypatch.setattr(_shared_loop._Loop, "_round", counting)
    text = b"r" * 9000
    counted: list[int] = []  # rounds of the loop while the record came in

    def script(sock: socket.socket) -> tuple[int, bytes] | None:
        peer = _TlsPeer(sock)
        request = peer.read_request()
        key = ""
        for line in request.decode("latin-1").split("\r\n"):
            name, _, value = line.partition(":")
            if name.strip().lower() == "sec-websocket-key":
                key = value.strip()
        sock.sendall(peer.ciphertext(switching_protocols(key)))
        record = peer.ciphertext(frame(OP_TEXT, text))
        before = rounds[0]
        for piece in (record[:3], record[3:2000], record[2000:]):
            sock.sendall(piece)
            # The fault: a record cut in pieces that arrive 200 ms apart, time
            # for a loop that spins on a partial record to count thousands.
            time.sleep(0.2)
        counted.append(rounds[0] - before)
        return None

    with raw_server(script) as srv:
        url = srv.url.replace("ws://", "wss://")
        ends = Ends()
        channel = ends.open(SharedReaderTransport(ca_bundle=CERT), url)
        channel.connect()
        assert ends.take(1) == [text.decode()]
        srv.join()
        channel.close(timeout=0.5)
    # A handful of rounds (the pieces, the message); spinning would be thousands.
    assert counted and counted[0] < 50


def test_a_pong_waits_for_a_busy_writer_and_goes_after() -> None:
    """A ping while another thread holds the send lock: the pong follows its release.

    The shared thread never waits for another thread's write: it retries the pong
    a few ms later, reading on meanwhile.
    """
    release = threading.Event()

    def script(sock: socket.socket) -> tuple[int, bytes] | None:
        answer_upgrade(sock)
        sock.sendall(frame(OP_PING, b"p1") + frame(OP_TEXT, b"after the ping"))
        release.wait(WAIT)
        return read_client_frame(sock)

    with raw_server(script) as srv:
        ends = Ends()
        channel = ends.open(SharedReaderTransport(), srv.url)
        assert isinstance(channel, Connection)
        channel.connect()
        with channel._send_lock:  # what a sender holds while it writes
            assert ends.take(1) == ["after the ping"]  # read on meanwhile
            release.set()
        pong = srv.join()
        channel.close(timeout=0.5)
    assert pong == (OP_PONG, b"p1")
