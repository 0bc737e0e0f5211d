"""Connection against a real WebSocket server on 127.0.0.1 (websockets' sync server).

Each test picks the server's behaviour (echo, record, stall, close, drop, refuse) and
waits on queues and events with timeouts; nothing sleeps to wait.
"""

from __future__ import annotations

import contextlib
import json
import logging
import queue
import socket
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from websockets.exceptions import ConnectionClosed as ServerSideClosed
from websockets.frames import Frame, Opcode
from websockets.http11 import Request, Response
from websockets.sync.server import Server, ServerConnection, serve
from websockets.version import version as websockets_version

from realtime_sync.exceptions import (
    AuthenticationError,
    ConnectError,
    ConnectionClosed,
    ProtocolError,
    QueueFull,
    Timeout,
)
from realtime_sync.transport import Connection, ConnectionState

API_KEY = "sk-test-DO-NOT-LEAK-0123456789abcdef"
WAIT = 10.0  # upper bound for any single wait; tests normally take milliseconds
FRAME = "x" * 2000  # small enough to be written inline, big enough to fill buffers


class FixtureServer:
    """A WebSocket server on 127.0.0.1, a free port, whose behaviour a test sets.

    Attributes:
        url: ``ws://127.0.0.1:<port>/v1/realtime?model=test``.
        behaviour: Runs for each accepted connection (default: echo).
        reject: ``(status, body)`` to refuse the upgrade with, or ``None``.
        received: Text frames recorded by the ``record``/``stall`` behaviours.
        pings: Payloads of the ping frames received, in order.
        requests: The upgrade requests received.
        release: Ends a ``stall``.
        results: Anything a behaviour wants to report to the test.
    """

    def __init__(self) -> None:
        self.behaviour: Callable[[ServerConnection], None] = self.echo
        self.reject: tuple[int, str] | None = None
        self.received: queue.Queue[str] = queue.Queue()
        self.pings: queue.Queue[bytes] = queue.Queue()
        self.requests: queue.Queue[Request] = queue.Queue()
        self.results: queue.Queue[Any] = queue.Queue()
        self.release = threading.Event()
        pings = self.pings

        class RecordingConnection(ServerConnection):
            """websockets answers pings itself; this also reports them."""

            def process_event(self, event: Any) -> None:
                if isinstance(event, Frame) and event.opcode is Opcode.PING:
                    pings.put(bytes(event.data))
                super().process_event(event)

        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        # A small receive buffer (inherited by accepted sockets) makes a stalled
        # server's side fill up after ~100 KiB instead of several MiB.
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 64 * 1024)
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        self.url = f"ws://127.0.0.1:{port}/v1/realtime?model=test"
        self._server: Server = serve(
            self._handle,
            sock=listener,
            process_request=self._process_request,
            create_connection=RecordingConnection,
            compression=None,  # websocket-client does not negotiate it anyway
            max_size=None,
            max_queue=4,
            ping_interval=None,  # only the client pings in these tests
        )
        # A plain thread, not realtime-sync-*: the leak check is about the SDK's.
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="fixture-server", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        self.release.set()
        self._server.shutdown()
        self._thread.join(WAIT)

    def _process_request(
        self, connection: ServerConnection, request: Request
    ) -> Response | None:
        self.requests.put(request)
        if self.reject is None:
            return None
        status, body = self.reject
        response = connection.respond(status, body)
        response.headers["Content-Type"] = "application/json"
        return response

    def _handle(self, connection: ServerConnection) -> None:
        with contextlib.suppress(ServerSideClosed):  # the client went away
            self.behaviour(connection)

    # Behaviours ------------------------------------------------------------------

    def echo(self, connection: ServerConnection) -> None:
        for message in connection:
            connection.send(message)

    def record(self, connection: ServerConnection) -> None:
        for message in connection:
            assert isinstance(message, str)
            self.received.put(message)

    def stall(self, connection: ServerConnection) -> None:
        """Read nothing until ``release`` is set, then record."""
        self.release.wait(WAIT * 3)
        self.record(connection)

    def close_after_first(self, code: int, reason: str) -> None:
        def behaviour(connection: ServerConnection) -> None:
            self.received.put(str(connection.recv()))
            connection.close(code, reason)

        self.behaviour = behaviour

    def drop_after_first(self, connection: ServerConnection) -> None:
        """Read one frame, then end TCP without a close frame."""
        self.received.put(str(connection.recv()))
        connection.socket.shutdown(socket.SHUT_RDWR)


@pytest.fixture
def server() -> Iterator[FixtureServer]:
    fixture = FixtureServer()
    yield fixture
    fixture.stop()


@pytest.fixture
def make_conn(server: FixtureServer) -> Iterator[Callable[..., Connection]]:
    """Build Connections to ``server``; all are closed at teardown."""
    made: list[Connection] = []

    def make(**kwargs: Any) -> Connection:
        kwargs.setdefault("on_message", lambda text: None)
        conn = Connection(kwargs.pop("url", server.url), **kwargs)
        made.append(conn)
        return conn

    yield make
    server.release.set()  # let a stalled server read, so closing is quick
    for conn in made:
        conn.close(timeout=1.0)


def fill_pipe(conn: Connection, minimum: int, items: list[Any]) -> None:
    """Against a stalled server: send FRAME until every buffer on the way is full.

    Returns once the socket accepts nothing more (a flush probe times out) and at
    least ``minimum`` bytes wait in the queue, or the queue is full. Items sent are
    appended to ``items``; frame ``n`` is ``"<n>:<FRAME>"``.
    """
    stuck = False
    for _ in range(100_000):
        n = len(items)
        try:
            conn.send(f"{n}:{FRAME}", item=("frame", n))
        except QueueFull:
            full = True
        else:
            items.append(("frame", n))
            full = False
        if not (full or conn.queued_bytes >= minimum):
            continue
        if stuck:
            return
        try:
            # Kernel buffers grow (autotuning), so a long queue alone does not prove
            # the socket is full; a queue that cannot be written for 0.3 s does.
            conn.flush(0.3)
        except Timeout:
            stuck = True  # top the queue up again: the writer moved some meanwhile
    pytest.fail("the socket never filled up: did the server stall?")


def drain(q: queue.Queue[Any], count: int) -> list[Any]:
    return [q.get(timeout=WAIT) for _ in range(count)]


# Connecting -------------------------------------------------------------------------


def test_connect_and_echo(make_conn: Callable[..., Connection]) -> None:
    """A connected Connection sends text frames and delivers the echoed frames."""
    received: queue.Queue[str] = queue.Queue()
    conn = make_conn(on_message=received.put)
    before = conn.state

    conn.connect()
    conn.send('{"type": "session.update"}')
    conn.send("héllo ✓")

    assert (before, conn.state) == (ConnectionState.UNOPENED, ConnectionState.OPEN)
    assert drain(received, 2) == ['{"type": "session.update"}', "héllo ✓"]
    assert conn.close() == ()
    assert conn.state is ConnectionState.CLOSED
    assert conn.close_code == 1000


def test_refused_port_raises_connect_error() -> None:
    """Nothing listening on the port: ConnectError without a status, state UNOPENED."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    conn = Connection(f"ws://127.0.0.1:{port}/", on_message=lambda text: None)

    with pytest.raises(ConnectError) as info:
        conn.connect()

    assert type(info.value) is ConnectError
    assert info.value.status is None
    assert isinstance(info.value.__cause__, ConnectionRefusedError)
    assert conn.state is ConnectionState.UNOPENED


def test_silent_server_raises_timeout() -> None:
    """A server that accepts TCP but never answers the upgrade: Timeout."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        conn = Connection(
            f"ws://127.0.0.1:{port}/", on_message=lambda text: None, connect_timeout=0.2
        )

        with pytest.raises(Timeout) as info:
            conn.connect()

    assert isinstance(info.value, TimeoutError)


@pytest.mark.parametrize("secrets", [(API_KEY,), ()], ids=["secrets", "header-only"])
def test_401_with_json_body_raises_authentication_error_without_the_key(
    server: FixtureServer,
    caplog: pytest.LogCaptureFixture,
    secrets: tuple[str, ...],
) -> None:
    """401: AuthenticationError with status and server message; the key never shows."""
    caplog.set_level(logging.DEBUG, logger="realtime_sync")
    caplog.set_level(logging.DEBUG, logger="websocket")
    body = {
        "error": {
            "message": f"Incorrect API key provided: {API_KEY}.",
            "type": "invalid_request_error",
            "code": "invalid_api_key",
        }
    }
    server.reject = (401, json.dumps(body))
    conn = Connection(
        server.url,
        headers={"Authorization": f"Bearer {API_KEY}", "OpenAI-Project": "p1"},
        on_message=lambda text: None,
        secrets=secrets,
    )

    with pytest.raises(AuthenticationError) as info:
        conn.connect()

    error = info.value
    assert server.requests.get(timeout=WAIT).headers["Authorization"] == (
        f"Bearer {API_KEY}"
    )
    assert error.status == 401
    assert error.server_message == "Incorrect API key provided: ***."
    assert "Incorrect API key provided: ***." in str(error)
    texts = [str(error), repr(error), repr(conn), str(error.body), str(error.__cause__)]
    texts += [str(error.server_message)]
    ours = [
        r
        for r in caplog.records
        if r.name.startswith("realtime_sync") or r.name == "websocket"
    ]
    assert ours, "expected DEBUG records from realtime_sync"
    # Our loggers only: websockets' server logs the request headers at DEBUG.
    texts += [logging.Formatter().format(r) for r in ours]
    assert not [text for text in texts if API_KEY in text]
    assert conn.state is ConnectionState.UNOPENED


def test_other_refused_status_raises_connect_error(server: FixtureServer) -> None:
    """A 404 is a ConnectError (not AuthenticationError) carrying status and body."""
    server.reject = (404, "no such model")
    conn = Connection(server.url, on_message=lambda text: None)

    with pytest.raises(ConnectError) as info:
        conn.connect()

    assert type(info.value) is ConnectError
    assert info.value.status == 404
    assert info.value.body == "no such model"
    assert info.value.server_message is None


def test_connect_after_close_raises_runtime_error() -> None:
    """A closed Connection cannot be reopened."""
    conn = Connection("ws://127.0.0.1:9/", on_message=lambda text: None)
    conn.close()

    with pytest.raises(RuntimeError, match="Cannot reopen a connection once it has"):
        conn.connect()


def test_close_while_connecting_makes_connect_raise() -> None:
    """close() during the handshake ends it: connect() raises ConnectionClosed."""
    outcome: queue.Queue[BaseException | None] = queue.Queue()
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        conn = Connection(
            f"ws://127.0.0.1:{port}/",
            on_message=lambda text: None,
            connect_timeout=WAIT,
        )

        def connect() -> None:
            try:
                conn.connect()
            except BaseException as exc:
                outcome.put(exc)
            else:
                outcome.put(None)

        connector = threading.Thread(target=connect, name="test-connector")
        connector.start()
        listener.settimeout(WAIT)
        accepted, _ = listener.accept()
        with accepted:
            accepted.settimeout(WAIT)
            assert accepted.recv(1)  # the upgrade request is coming: mid-handshake
            assert conn.close() == ()
            error = outcome.get(timeout=WAIT)
        connector.join(WAIT)

    assert isinstance(error, ConnectionClosed)
    assert conn.state is ConnectionState.CLOSED


# Sending ----------------------------------------------------------------------------


def test_sixteen_threads_keep_per_thread_order(
    server: FixtureServer, make_conn: Callable[..., Connection]
) -> None:
    """16 threads x 500 frames at once: all 8000 arrive, each thread's in order."""
    server.behaviour = server.record
    conn = make_conn()
    conn.connect()
    start = threading.Barrier(16)

    def sender(thread: int) -> None:
        start.wait(WAIT)
        for n in range(500):
            conn.send(f'{{"t": {thread}, "n": {n}}}')

    threads = [
        threading.Thread(target=sender, args=(t,), name=f"test-sender-{t}")
        for t in range(16)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(WAIT)
    conn.flush(WAIT)

    frames = [json.loads(text) for text in drain(server.received, 8000)]
    for t in range(16):
        assert [f["n"] for f in frames if f["t"] == t] == list(range(500))
    assert server.received.empty()


def test_send_before_connect_is_written_after_connect_in_order(
    server: FixtureServer, make_conn: Callable[..., Connection]
) -> None:
    """Frames queued before connect() are written after the handshake, in order."""
    server.behaviour = server.record
    conn = make_conn()
    conn.send("early-1")
    conn.send("early-2")
    assert conn.queued_bytes == 14

    conn.connect()
    conn.send("late")

    assert drain(server.received, 3) == ["early-1", "early-2", "late"]
    conn.flush(WAIT)
    assert conn.queued_bytes == 0


def test_stalled_server_does_not_block_senders_and_loses_nothing(
    server: FixtureServer, make_conn: Callable[..., Connection]
) -> None:
    """A server that stops reading: send() keeps returning; all arrives in order."""
    server.behaviour = server.stall
    conn = make_conn(max_queue_bytes=64 * 1024 * 1024)
    conn.connect()
    items: list[Any] = []
    sent_all = threading.Event()

    def sender() -> None:
        fill_pipe(conn, 1024 * 1024, items)  # the socket is full by now
        for n in range(len(items), len(items) + 200):
            conn.send(f"{n}:{FRAME}", item=("frame", n))
            items.append(("frame", n))
        sent_all.set()

    worker = threading.Thread(target=sender, name="test-sender")
    worker.start()
    assert sent_all.wait(WAIT), "send() blocked on a stalled server"
    worker.join(WAIT)
    assert not server.release.is_set()
    assert conn.queued_bytes >= 1024 * 1024

    server.release.set()
    conn.flush(WAIT)

    texts = drain(server.received, len(items))
    assert [int(text.split(":", 1)[0]) for text in texts] == list(range(len(items)))
    assert conn.close() == ()


def test_queue_full_when_the_bound_is_exceeded(
    server: FixtureServer, make_conn: Callable[..., Connection]
) -> None:
    """Past max_queue_bytes, send() raises QueueFull and queues nothing."""
    server.behaviour = server.stall
    bound = 64 * 1024
    conn = make_conn(max_queue_bytes=bound)
    conn.connect()
    items: list[Any] = []

    fill_pipe(conn, bound + 1, items)  # returns when the full queue cannot drain
    queued = conn.queued_bytes

    assert bound - len(FRAME) - 10 < queued <= bound
    with pytest.raises(QueueFull):
        conn.send(FRAME)
    assert conn.queued_bytes == queued


def test_frame_larger_than_the_bound_is_refused() -> None:
    """A frame larger than max_queue_bytes raises ValueError (not QueueFull) at once."""
    conn = Connection(
        "ws://127.0.0.1:9/", on_message=lambda text: None, max_queue_bytes=8
    )

    with pytest.raises(ValueError, match=r"9 bytes.*can never be queued") as info:
        conn.send("123456789")
    assert not isinstance(info.value, QueueFull)  # a retry could never succeed
    assert conn.queued_bytes == 0
    conn.send("12345678")  # exactly the bound fits
    assert conn.close() == ("12345678",)


def test_send_rejects_non_text() -> None:
    """Only str can be sent; bytes raise TypeError before anything is queued."""
    conn = Connection("ws://127.0.0.1:9/", on_message=lambda text: None)

    with pytest.raises(TypeError):
        conn.send(b"binary")  # type: ignore[arg-type]

    assert conn.queued_bytes == 0
    conn.close()


def test_flush_times_out_while_the_server_stalls(
    server: FixtureServer, make_conn: Callable[..., Connection]
) -> None:
    """flush() raises Timeout when the queue cannot be written in time."""
    server.behaviour = server.stall
    conn = make_conn()
    conn.connect()
    fill_pipe(conn, 1024 * 1024, [])

    with pytest.raises(Timeout):
        conn.flush(0.1)


def test_ping_is_sent_when_idle(
    make_conn: Callable[..., Connection], server: FixtureServer
) -> None:
    """With nothing to send for ping_interval, the writer sends a ping."""
    conn = make_conn(ping_interval=0.05)
    conn.connect()

    assert server.pings.get(timeout=WAIT) == b""


def test_server_ping_is_answered(
    server: FixtureServer, make_conn: Callable[..., Connection]
) -> None:
    """The reader answers the server's pings (websocket-client sends the pong)."""

    def ping(connection: ServerConnection) -> None:
        server.results.put(connection.ping(b"are-you-there").wait(WAIT))
        server.echo(connection)

    server.behaviour = ping
    conn = make_conn()
    conn.connect()

    assert server.results.get(timeout=WAIT) is True


# Receiving --------------------------------------------------------------------------


def test_on_message_exception_does_not_kill_the_reader(
    make_conn: Callable[..., Connection], caplog: pytest.LogCaptureFixture
) -> None:
    """on_message raising is logged and the next frame is still delivered."""
    received: queue.Queue[str] = queue.Queue()

    def on_message(text: str) -> None:
        if text == "bad":
            raise ValueError("handler bug")
        received.put(text)

    conn = make_conn(on_message=on_message)
    conn.connect()
    conn.send("bad")
    conn.send("good")

    assert received.get(timeout=WAIT) == "good"
    assert conn.is_open
    records = [r for r in caplog.records if "on_message raised" in r.getMessage()]
    assert records and records[0].exc_info is not None
    conn.raise_if_failed()  # no crash stored


def test_binary_frames_are_skipped(
    server: FixtureServer, make_conn: Callable[..., Connection]
) -> None:
    """A binary frame from the server is skipped; the text frame after it arrives."""

    def binary_then_text(connection: ServerConnection) -> None:
        connection.send(b"\x00\x01")
        connection.send("after")
        server.echo(connection)

    server.behaviour = binary_then_text
    received: queue.Queue[str] = queue.Queue()
    conn = make_conn(on_message=received.put)
    conn.connect()

    assert received.get(timeout=WAIT) == "after"
    assert received.empty()


class Boom(BaseException):
    """Not an Exception: escapes on_message's guard and kills the reader."""


def test_reader_crash_is_stored_and_reraised(
    make_conn: Callable[..., Connection],
) -> None:
    """A reader crash ends the connection; send/flush/raise_if_failed re-raise it."""
    closes: queue.Queue[ConnectionClosed] = queue.Queue()

    def on_message(text: str) -> None:
        raise Boom(text)

    conn = make_conn(on_message=on_message, on_close=closes.put)
    conn.connect()
    conn.send("explode")

    closed = closes.get(timeout=WAIT)
    assert isinstance(closed.__cause__, Boom)
    with pytest.raises(ConnectionClosed) as info:
        conn.raise_if_failed()
    assert isinstance(info.value.__cause__, Boom)
    assert "reader thread crashed" in str(info.value)
    with pytest.raises(ConnectionClosed) as info:
        conn.send("more")
    assert isinstance(info.value.__cause__, Boom)
    with pytest.raises(ConnectionClosed):
        conn.flush(WAIT)
    assert conn.state is ConnectionState.CLOSED


# Closing ----------------------------------------------------------------------------


def test_server_close_code_and_reason_reach_on_close(
    server: FixtureServer, make_conn: Callable[..., Connection]
) -> None:
    """The server's close code and reason arrive in on_close; send() then raises."""
    server.close_after_first(4000, "beta shape refused")
    closes: queue.Queue[ConnectionClosed] = queue.Queue()
    conn = make_conn(on_close=closes.put)
    conn.connect()
    conn.send("hello")

    closed = closes.get(timeout=WAIT)

    assert (closed.code, closed.reason, closed.unsent) == (
        4000,
        "beta shape refused",
        (),
    )
    assert (conn.close_code, conn.close_reason) == (4000, "beta shape refused")
    assert conn.state is ConnectionState.CLOSED
    with pytest.raises(ConnectionClosed) as info:
        conn.send("too late")
    assert (info.value.code, info.value.reason) == (4000, "beta shape refused")
    assert conn.close() == ()
    assert closes.empty()


def test_tcp_drop_calls_on_close_once(
    server: FixtureServer, make_conn: Callable[..., Connection]
) -> None:
    """A connection dropped without a close frame: on_close once, code None."""
    server.behaviour = server.drop_after_first
    closes: queue.Queue[ConnectionClosed] = queue.Queue()
    conn = make_conn(on_close=closes.put)
    conn.connect()
    conn.send("hello")

    closed = closes.get(timeout=WAIT)

    assert closed.code is None
    assert conn.state is ConnectionState.CLOSED
    conn.close()
    conn.close()
    assert closes.empty()
    with pytest.raises(ConnectionClosed):
        conn.send("too late")


def test_close_is_idempotent_and_returns_unsent_items(
    server: FixtureServer, make_conn: Callable[..., Connection]
) -> None:
    """close() returns the never-written items, in order, every time; on_close once."""
    server.behaviour = server.stall
    closes: queue.Queue[ConnectionClosed] = queue.Queue()
    conn = make_conn(on_close=closes.put)
    conn.connect()
    items: list[Any] = []
    fill_pipe(conn, 256 * 1024, items)

    unsent = conn.close(timeout=0.2)

    assert len(unsent) >= 256 * 1024 // len(FRAME)
    assert list(unsent) == items[len(items) - len(unsent) :]
    assert conn.close() == unsent
    assert conn.close(timeout=0) == unsent
    closed = closes.get(timeout=WAIT)
    assert closed.unsent == unsent
    assert closes.empty()
    with pytest.raises(ConnectionClosed):
        conn.send("too late")


def test_close_before_connect_returns_queued_items() -> None:
    """Closing an unopened Connection reports what was queued, to on_close too."""
    closes: list[ConnectionClosed] = []
    conn = Connection(
        "ws://127.0.0.1:9/", on_message=lambda text: None, on_close=closes.append
    )
    conn.send("a", item="A")
    conn.send("b")

    assert conn.close() == ("A", "b")
    assert [c.unsent for c in closes] == [("A", "b")]
    assert conn.state is ConnectionState.CLOSED


def test_close_from_on_message_does_not_deadlock(
    make_conn: Callable[..., Connection],
) -> None:
    """close() inside on_message returns, and the reader then ends by itself."""
    results: queue.Queue[tuple[object, ...]] = queue.Queue()
    closes: queue.Queue[ConnectionClosed] = queue.Queue()
    holder: list[Connection] = []

    def on_message(text: str) -> None:
        if text == "bye":
            results.put(holder[0].close(timeout=WAIT))

    conn = make_conn(on_message=on_message, on_close=closes.put)
    holder.append(conn)
    conn.connect()
    conn.send("bye")

    assert results.get(timeout=WAIT) == ()
    closed = closes.get(timeout=WAIT)
    assert closed.code == 1000
    assert conn.state is ConnectionState.CLOSED
    # The autouse no_leaked_threads fixture checks that both threads end.


def test_secrets_never_appear_in_repr() -> None:
    """repr() shows neither the query string nor any secret."""
    conn = Connection(
        f"wss://example.invalid/v1/realtime?model=m&api-key={API_KEY}",
        headers={"api-key": API_KEY},
        on_message=lambda text: None,
    )

    expected = "<Connection wss://example.invalid/v1/realtime UNOPENED queued=0B>"
    assert repr(conn) == expected
    conn.close()


def test_invalid_arguments_fail_at_the_call_site() -> None:
    """Bad URLs, headers and close codes raise ValueError before anything happens."""
    with pytest.raises(ValueError):
        Connection("http://example.invalid/", on_message=lambda text: None)
    with pytest.raises(ValueError):
        Connection(
            "ws://example.invalid/",
            headers={"X-Bad": "a\r\nInjected: 1"},
            on_message=lambda text: None,
        )
    conn = Connection("ws://example.invalid/", on_message=lambda text: None)
    with pytest.raises(ValueError):
        conn.close(code=1006)
    with pytest.raises(ValueError):
        conn.close(reason="x" * 124)
    assert conn.close() == ()


def test_close_with_a_reader_stuck_in_on_message_still_reports_the_end(
    make_conn: Callable[..., Connection], caplog: pytest.LogCaptureFixture
) -> None:
    """A reader stuck in on_message: close() warns, reports on_close, returns."""
    entered = threading.Event()
    release = threading.Event()
    closes: queue.Queue[ConnectionClosed] = queue.Queue()
    reader_names: list[str] = []

    def on_message(text: str) -> None:
        reader_names.append(threading.current_thread().name)
        entered.set()
        release.wait(WAIT)

    conn = make_conn(on_message=on_message, on_close=closes.put)
    conn.connect()
    conn.send("block")
    assert entered.wait(WAIT)

    try:
        assert conn.close(timeout=0.1) == ()
        closed = closes.get(timeout=WAIT)
    finally:
        release.set()

    assert closed.code is None
    assert conn.state is ConnectionState.CLOSED
    # The warning names the thread stuck in on_message: the connection's reader
    # ("... did not stop"), or the shared reader ("... is busy") when run with
    # -p tests.transport.as_shared.
    assert reader_names[0] in {"realtime-sync-reader", "realtime-sync-shared-reader"}
    warnings = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert any(f"thread {reader_names[0]} " in w for w in warnings), warnings
    # The reader ends once on_message returns (checked by no_leaked_threads).


def test_close_writes_queued_frames_before_the_close_frame(
    server: FixtureServer, make_conn: Callable[..., Connection]
) -> None:
    """Frames still queued when close() is called are written before it closes."""
    server.behaviour = server.record
    conn = make_conn()
    for n in range(100):
        conn.send(f"frame-{n}")
    conn.connect()  # the writer starts draining; close() right away

    assert conn.close(timeout=WAIT) == ()
    assert drain(server.received, 100) == [f"frame-{n}" for n in range(100)]


def test_large_frames_round_trip_intact(make_conn: Callable[..., Connection]) -> None:
    """A multi-megabyte frame goes up (via the writer) and comes back whole."""
    received: queue.Queue[str] = queue.Queue()
    conn = make_conn(on_message=received.put)
    conn.connect()
    big = json.dumps({"type": "input_audio_buffer.append", "audio": "A" * 3_000_000})

    conn.send(big)
    conn.send("small after big")

    assert received.get(timeout=WAIT) == big
    assert received.get(timeout=WAIT) == "small after big"


@pytest.mark.skipif(
    int(websockets_version.split(".")[0]) < 14,
    reason="sending bytes as a text frame needs websockets >= 14",
)
def test_invalid_utf8_from_the_server_fails_the_connection(
    server: FixtureServer, make_conn: Callable[..., Connection]
) -> None:
    """A text frame that is not UTF-8 ends the connection with close code 1007."""

    def send_garbage(connection: ServerConnection) -> None:
        connection.send(b"\xff\xfe not utf-8", text=True)
        try:
            connection.recv()
        except ServerSideClosed as exc:
            server.results.put(exc.rcvd.code if exc.rcvd else None)

    server.behaviour = send_garbage
    closes: queue.Queue[ConnectionClosed] = queue.Queue()
    conn = make_conn(on_close=closes.put)
    conn.connect()

    closed = closes.get(timeout=WAIT)
    assert (closed.code, closed.reason) == (1007, "invalid payload")
    assert "not UTF-8" in str(closed)
    assert isinstance(closed.__cause__, ProtocolError)
    assert "not UTF-8" in str(closed.__cause__)
    assert conn.close_code == 1007
    assert server.results.get(timeout=WAIT) == 1007


def test_close_from_on_close_returns_at_once() -> None:
    """close() called from on_close (on the closing thread) does not wait for itself."""
    inner: list[tuple[object, ...]] = []
    holder: list[Connection] = []

    def on_close(closed: ConnectionClosed) -> None:
        inner.append(holder[0].close(timeout=WAIT))

    conn = Connection(
        "ws://127.0.0.1:9/", on_message=lambda text: None, on_close=on_close
    )
    holder.append(conn)
    conn.send("a", item="A")
    started = time.monotonic()

    assert conn.close(timeout=WAIT) == ("A",)

    assert inner == [("A",)]
    assert time.monotonic() - started < WAIT / 2
