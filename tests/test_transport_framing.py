"""The sender's own text frames: byte for byte websocket-client's, and a server reads them.

``_text_frame`` replaces websocket-client's ``ABNF.create_frame(...).format()`` on the
send path (one frame object and its checks less per frame); it must build exactly the
same bytes for the same masking key, at every length encoding (7-bit, 16-bit and
64-bit lengths), and an independent implementation (websockets' server) must read
what a Connection sends with it.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator

import pytest
from websocket import ABNF
from websockets.sync.server import Server, ServerConnection, serve

from realtime_sync.transport import Connection
from realtime_sync.transport._sender import _text_frame

WAIT = 10.0
# Around each boundary of the length encodings, and lengths of every residue mod 4
# (the mask repeats every 4 bytes).
SIZES = [0, 1, 2, 3, 4, 5, 125, 126, 127, 1283, 65535, 65536, 65537, 200_003]


def reference(data: bytes, key: bytes) -> bytes:
    frame = ABNF.create_frame(data, ABNF.OPCODE_TEXT)
    frame.get_mask_key = lambda n: key
    return frame.format()


@pytest.mark.parametrize("size", SIZES)
def test_frame_is_websocket_clients_for_the_same_key(size: int) -> None:
    data = bytes((i * 7 + 3) & 0xFF for i in range(size))
    for key in (b"\x00\x00\x00\x00", b"\x01\x02\x03\x04", b"\xff\xfe\x80\x7f"):
        assert _text_frame(data, key) == reference(data, key)


def test_each_frame_gets_a_fresh_masking_key() -> None:
    data = b'{"type":"input_audio_buffer.append"}'
    keys = {_text_frame(data)[2:6] for _ in range(20)}
    assert len(keys) > 1  # 20 equal random 32-bit keys: probability 2**-608


@pytest.fixture
def echo_server() -> Iterator[Server]:
    def handler(connection: ServerConnection) -> None:
        for message in connection:
            connection.send(message)

    server = serve(handler, "127.0.0.1", 0, max_size=None, compression=None)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    thread.join(WAIT)


def test_a_server_reads_every_length_back_intact(echo_server: Server) -> None:
    port = echo_server.socket.getsockname()[1]
    received: queue.Queue[str] = queue.Queue()
    conn = Connection(f"ws://127.0.0.1:{port}/v1/realtime", on_message=received.put)
    conn.connect()
    try:
        texts = ["é" * (size // 2) + "x" * (size % 2) for size in SIZES]
        for text in texts:
            conn.send(text)  # inline up to 16 KiB, by the writer thread beyond
        for text in texts:
            assert received.get(timeout=WAIT) == text
    finally:
        conn.close(timeout=WAIT)


class _StallingServer:
    """Reads nothing until released, then records every text frame."""

    def __init__(self) -> None:
        self.release = threading.Event()
        self.received: queue.Queue[str] = queue.Queue()

        def handler(connection: ServerConnection) -> None:
            self.release.wait(WAIT)
            for message in connection:
                assert isinstance(message, str)
                self.received.put(message)

        self.server = serve(handler, "127.0.0.1", 0, max_size=None, compression=None)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"ws://127.0.0.1:{self.server.socket.getsockname()[1]}/v1/realtime"


def _send_until_queued(conn: Connection, texts: list[str]) -> int:
    """Send ``texts`` until frames queue up; how many were sent.

    On another thread, so that a send that blocked fails the test instead of
    hanging it.
    """
    done = threading.Event()
    count = [0]

    def sender() -> None:
        for text in texts:
            conn.send(text)
            count[0] += 1
            if conn.queued_bytes > 256 * 1024:
                break
        done.set()

    threading.Thread(target=sender, daemon=True).start()
    assert done.wait(WAIT), "send() blocked on a stalled server"
    return count[0]


def test_frames_cut_by_a_full_socket_arrive_whole_and_in_order() -> None:
    """A stalled server: the socket takes parts of frames, the writer finishes them."""
    stalling = _StallingServer()
    conn = Connection(stalling.url, on_message=lambda text: None)
    conn.connect()
    try:
        # Odd sizes, so that the socket's free space rarely matches a frame's end.
        texts = [f"{n:06d}" + "y" * (1000 + (n * 337) % 3001) for n in range(4000)]
        count = _send_until_queued(conn, texts)
        assert conn.queued_bytes > 0  # the socket is full: frames wait
        stalling.release.set()
        conn.flush(WAIT)
        got = [stalling.received.get(timeout=WAIT) for _ in range(count)]
        assert got == texts[:count]
    finally:
        conn.close(timeout=WAIT)
        stalling.server.shutdown()


def test_close_while_a_frame_is_cut_does_not_hang() -> None:
    """close() on a stalled server with a frame in part written ends, reporting it."""
    stalling = _StallingServer()
    conn = Connection(stalling.url, on_message=lambda text: None)
    conn.connect()
    try:
        texts = [f"{n:06d}" + "z" * (1000 + (n * 337) % 3001) for n in range(4000)]
        _send_until_queued(conn, texts)
        unsent = conn.close(timeout=0.5)
        assert unsent and all(isinstance(item, str) for item in unsent)
        assert conn.state.name == "CLOSED"
    finally:
        stalling.release.set()
        stalling.server.shutdown()
