"""The fault matrix: RealtimeClient against misbehaving servers and networks.

Every test drives the public ``realtime_sync.RealtimeClient(url=..., api_key="test")``
against :class:`~realtime_sync.testing.MockRealtimeServer` (its fault hooks) or a raw
socket server from ``tests/reliability/_raw.py``, on 127.0.0.1 only. Every test
also gets, from ``tests/conftest.py``, the check that no ``realtime-sync-*`` thread
outlives it; where the connection survives the fault, a later valid event must still
arrive (the reader did not crash).

==  ================================  ================================================  ==============================================================
#   fault                             test                                              expected outcome
==  ================================  ================================================  ==============================================================
1   TCP RST mid-stream (raw,          test_reset_mid_stream_fails_everything_waiting    on_error: one ConnectionClosed(code=None); a ResponseHandle.wait
    SO_LINGER 0) / mock drop_all      [rst, drop_all]                                   and a wait_for in other threads raise ConnectionClosed; a later
                                                                                        send() raises ConnectionClosed
2   close 1000 / 1011 / 4000          test_server_close_code_and_reason                 on_error: ConnectionClosed with .code/.reason exactly; wait_for
    beta_api_shape_disabled           [1000, 1011, 4000]                                and send() raise ConnectionClosed with the same code
2   session limit: error              test_session_expired_error_then_close_1001        "error" handler gets Error(code=session_expired), THEN on_error
    session_expired + close 1001                                                        gets ConnectionClosed(1001, "Your session hit the maximum ...")
2   no close frame (FIN only, 1006)   test_eof_without_close_frame                      on_error: ConnectionClosed(code=None, reason="")
3   half-open peer (raw: handshake,   test_half_open_detected_by_ping_timeout           ping_interval=0.2, ping_timeout=0.3: ConnectionClosed(code=None)
    session.created, then silence)                                                      mentioning the ping on on_error within 5 s, while another thread
                                                                                        appends audio; that thread's append then raises ConnectionClosed
4   non-JSON, JSON array, no "type",  test_bad_text_frame_reported_once                 exactly one ProtocolError on on_error (raw text, path); not
    delta: 5 (wrong field type)       [not_json, array, no_type, wrong_field_type]      dispatched; a later valid event arrives
4   binary frame (raw)                test_binary_frame_connection_survives             not dispatched, connection survives, a later valid event arrives
4   binary frame (raw)                test_binary_frame_reported_as_protocol_error      exactly one ProtocolError on on_error naming the binary frame
5   50 MiB text frame (raw), default  test_oversized_frame_rejected_memory_bounded      on_error: ProtocolError naming the size and the 16 MiB limit, then
    max_message_size (16 MiB)                                                           ConnectionClosed(code=1009); tracemalloc peak < 16 MiB
6   handler raises on every event     test_handler_raising_on_every_event               one HandlerError per event (cause = the original, .event = the
                                                                                        event), in order; ask() still returns the reply
7   handler blocks 2 s                test_slow_handler_loses_no_event                  "*" handler sees every frame the server sent, in order
7   handler blocks 2 s, slow_         test_slow_handler_reported_in_stats_and_log       client.stats (attrs): max_handler_seconds >= 1.9,
    handler_seconds=0.5                                                                 slow_handler_calls >= 1; WARNING from "realtime_sync.client"
                                                                                        naming the handler and the seconds
8   16 sender threads racing close()  test_senders_racing_close_account_every_event     every event exactly once: received by the server, or in
    (x3, draining and aborting)       [drain-0..2, abort-0..2]                          ConnectionClosed.unsent, or its send() raised ConnectionClosed;
                                                                                        close(timeout=0) leaves events unsent; per-thread order kept
9   close() from a handler            test_close_from_handler                           returns on the reader thread (no self-join); a wait_for in another
                                                                                        thread raises ConnectionClosed; send() then raises
9   close() from another thread       test_close_from_another_thread_wakes_waiter       the blocked wait_for raises ConnectionClosed; close returns < 5 s
9   close() twice / concurrently      test_close_is_idempotent                          every call returns (< 5 s each), no deadlock; send() raises
10  refused port                      test_connect_refused_port                         ConnectError (status None), no thread started
10  DNS failure                       test_connect_dns_failure                          ConnectError naming the host (getaddrinfo is patched to fail
                                                                                        for ``realtime.invalid``: the resolver here is remote)
10  TLS, self-signed certificate      test_tls_untrusted_certificate                    ConnectError mentioning the certificate
10  TLS with ca_bundle=<cert>         test_tls_ca_bundle_connects                       connects (session.created) and closes cleanly
10  HTTP 401 / 403 / 404 / 429 / 500  test_handshake_http_errors                        401/403 AuthenticationError; 429 RateLimitError (a ConnectError,
    with OpenAI JSON error bodies     [401, 403, 404, 429, 500]                         .retry_after from Retry-After); 404/500 plain ConnectError; each
                                                                                        with .status, .server_message and the message in str(exc)
==  ================================  ================================================  ==============================================================
"""

from __future__ import annotations

import contextlib
import json
import logging
import queue
import re
import shutil
import socket
import ssl
import subprocess
import threading
import time
import tracemalloc
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import attrs
import pytest

import realtime_sync as rs
from realtime_sync import events as ev
from realtime_sync.testing import MockRealtimeServer
from realtime_sync.testing._responder import expiry_message
from tests.helpers import EventRecorder
from tests.reliability._raw import (
    OP_BINARY,
    OP_TEXT,
    RawConn,
    RawServer,
    frame_header,
    session_created_frame,
)

pytestmark = pytest.mark.timeout(60)


def _probe(n: int) -> str:
    """A valid server event with a recognisable id, to show the reader still works."""
    return json.dumps({"type": "input_audio_buffer.cleared", "event_id": f"probe-{n}"})


def _ids(items: list[Any]) -> list[str]:
    return [getattr(e, "event_id", None) for e in items]


@pytest.fixture
def server() -> Iterator[MockRealtimeServer]:
    with MockRealtimeServer() as srv:
        yield srv


@contextlib.contextmanager
def _closing(client: rs.RealtimeClient) -> Iterator[rs.RealtimeClient]:
    try:
        yield client
    finally:
        client.close(timeout=2.0)


def _in_thread(
    fn: Callable[[], Any], out: dict[str, Any], key: str
) -> threading.Thread:
    """Run ``fn`` on a thread; store its result or exception in ``out[key]``."""

    def run() -> None:
        try:
            out[key] = fn()
        except BaseException as exc:
            out[key] = exc

    thread = threading.Thread(target=run, name=f"test-{key}", daemon=True)
    thread.start()
    return thread


def _blocked_waiter(
    client: rs.RealtimeClient, send_probe: Callable[[int], None], out: dict[str, Any]
) -> threading.Thread:
    """Start a ``wait_for`` on another thread; return once it is surely waiting.

    Its predicate runs (on the reader thread) only for a registered waiter, so the
    first probe event that reaches it proves the wait is in progress; it never
    matches, so the wait only ends by the fault under test.
    """
    entered = threading.Event()

    def never(event: ev.InputAudioBufferCleared) -> bool:
        entered.set()
        return False

    thread = _in_thread(
        lambda: client.wait_for(ev.InputAudioBufferCleared, never, timeout=30),
        out,
        "wait_for",
    )
    for n in range(100, 140):
        send_probe(n)
        if entered.wait(0.5):
            return thread
    raise AssertionError("the wait_for thread never started waiting")


# -- 1. abrupt TCP reset mid-stream --------------------------------------------------


@pytest.mark.parametrize("how", ["rst", "drop_all"])
def test_reset_mid_stream_fails_everything_waiting(how: str) -> None:
    """A reset connection is reported once (code None) and fails every waiter and send."""
    commands: queue.Queue[int | str] = queue.Queue()

    def handler(conn: RawConn) -> None:
        conn.accept_websocket()
        conn.send_text(session_created_frame())
        for n in range(3):
            conn.send_text(_probe(n))
        while (command := commands.get()) != "rst":
            conn.send_text(_probe(int(command)))
        conn.reset()

    with contextlib.ExitStack() as stack:
        if how == "rst":
            raw = stack.enter_context(RawServer(handler))
            stack.callback(commands.put, "rst")  # never leave the handler waiting
            url = raw.url
            send_probe: Callable[[int], None] = commands.put
        else:
            mock = stack.enter_context(MockRealtimeServer())
            url = mock.url

            def send_probe(n: int) -> None:
                mock.send_malformed(_probe(n))

        client = stack.enter_context(
            _closing(rs.RealtimeClient(url=url, api_key="test"))
        )
        errors, seen = EventRecorder(), EventRecorder()
        client.on_error(errors)
        client.on("*", seen)
        client.connect()
        if how == "rst":
            seen.wait_until(lambda items: "probe-2" in _ids(items))
        outcome: dict[str, Any] = {}
        waiter = _blocked_waiter(client, send_probe, outcome)
        if how == "drop_all":
            mock.stall(60)  # the response below stays in progress
        handle = client.create_response()
        handle_waiter = _in_thread(lambda: handle.wait(30), outcome, "handle")

        if how == "rst":
            commands.put("rst")
        else:
            mock.drop_all()

        [err] = errors.wait_until(lambda items: len(items) >= 1, timeout=10)
        waiter.join(15)
        handle_waiter.join(15)
        assert isinstance(err, rs.ConnectionClosed)
        assert err.code is None
        for key in ("handle", "wait_for"):
            assert isinstance(outcome[key], rs.ConnectionClosed), outcome[key]
            assert outcome[key].code is None
        with pytest.raises(rs.ConnectionClosed) as info:
            client.send_text("too late")
        assert info.value.code is None
        assert not client.is_connected
        if how == "drop_all":
            mock.stall(0)
    assert len(errors.items) == 1


# -- 2. close codes ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "reason"),
    [(1000, ""), (1011, "internal error"), (4000, "beta_api_shape_disabled")],
)
def test_server_close_code_and_reason(
    server: MockRealtimeServer, code: int, reason: str
) -> None:
    """A server close frame reaches on_error and later calls with its code and reason."""
    errors = EventRecorder()
    with _closing(rs.RealtimeClient(url=server.url, api_key="test")) as client:
        client.on_error(errors)
        client.connect()
        server.close_all(code=code, reason=reason)
        [err] = errors.wait_until(lambda items: len(items) >= 1, timeout=10)
        assert isinstance(err, rs.ConnectionClosed)
        assert (err.code, err.reason) == (code, reason)
        with pytest.raises(rs.ConnectionClosed) as info:
            client.wait_for("response.done", timeout=10)
        assert (info.value.code, info.value.reason) == (code, reason)
        with pytest.raises(rs.ConnectionClosed) as info:
            client.send_text("nobody listens")
        assert info.value.code == code
    assert len(errors.items) == 1


def test_session_expired_error_then_close_1001() -> None:
    """The session_expired error goes to "error" handlers before the 1001 close."""
    limit = 2.0
    timeline = EventRecorder()
    with (
        MockRealtimeServer(max_session_seconds=limit) as srv,
        _closing(rs.RealtimeClient(url=srv.url, api_key="test")) as client,
    ):
        client.on(ev.Error, timeline)
        client.on_error(timeline)
        client.connect()
        first, second = timeline.wait_until(lambda items: len(items) >= 2, timeout=15)
    assert isinstance(first, ev.Error)
    assert first.error.code == "session_expired"
    assert isinstance(second, rs.ConnectionClosed)
    assert (second.code, second.reason) == (1001, expiry_message(limit))
    assert second.reason == "Your session hit the maximum duration of 2 seconds."
    assert len(timeline.items) == 2


def test_eof_without_close_frame() -> None:
    """A TCP FIN without a close frame (1006 in RFC terms) is code None."""

    def handler(conn: RawConn) -> None:
        conn.accept_websocket()
        conn.send_text(session_created_frame())
        conn.send_text(_probe(0))
        go.wait()
        conn.end_without_close_frame()
        conn.hang()

    errors, seen = EventRecorder(), EventRecorder()
    raw = RawServer(handler)
    go = raw.event()
    with (
        raw,
        _closing(rs.RealtimeClient(url=raw.url, api_key="test")) as client,
    ):
        client.on_error(errors)
        client.on("*", seen)
        client.connect()
        seen.wait_until(lambda items: "probe-0" in _ids(items))
        go.set()
        [err] = errors.wait_until(lambda items: len(items) >= 1, timeout=10)
        assert isinstance(err, rs.ConnectionClosed)
        assert (err.code, err.reason) == (None, "")
        with pytest.raises(rs.ConnectionClosed):
            client.send_text("gone")
    assert len(errors.items) == 1


# -- 3. half-open connection ---------------------------------------------------------


def test_half_open_detected_by_ping_timeout() -> None:
    """A peer that goes silent is detected by unanswered pings, even while sending."""

    def handler(conn: RawConn) -> None:
        conn.accept_websocket()
        conn.send_text(session_created_frame())
        conn.hang()  # never reads, never writes: no pong will ever come

    errors = EventRecorder()
    stop = threading.Event()
    outcome: dict[str, Any] = {"appended": 0, "queue_full": 0}

    def appender() -> None:
        silence = b"\0" * 960  # 20 ms of 24 kHz pcm16
        try:
            while not stop.is_set():
                try:
                    client.append_audio(silence)
                    outcome["appended"] += 1
                except rs.QueueFull:
                    outcome["queue_full"] += 1
                stop.wait(0.02)  # real-time pacing, like a microphone
        except rs.ConnectionClosed as exc:
            outcome["error"] = exc

    with RawServer(handler) as raw:
        client = rs.RealtimeClient(
            url=raw.url, api_key="test", ping_interval=0.2, ping_timeout=0.3
        )
        with _closing(client):
            client.on_error(errors)
            client.connect()
            started = time.monotonic()
            thread = threading.Thread(
                target=appender, name="test-appender", daemon=True
            )
            thread.start()
            try:
                [err] = errors.wait_until(lambda items: len(items) >= 1, timeout=20)
                detected = time.monotonic() - started
                thread.join(10)
            finally:
                stop.set()
                thread.join(10)
    assert isinstance(err, rs.ConnectionClosed)
    assert err.code is None
    assert "ping" in str(err).lower() or "pong" in str(err).lower(), str(err)
    assert detected < 5.0, f"half-open connection detected after {detected:.1f} s"
    assert outcome["appended"] > 0
    assert isinstance(outcome.get("error"), rs.ConnectionClosed), outcome
    assert len(errors.items) == 1


# -- 4. bad frames -------------------------------------------------------------------

_BAD_FRAMES = {
    "not_json": ("this is not JSON {", "$"),
    "array": ("[1, 2, 3]", "$"),
    "no_type": ('{"event_id": "evt_no_type"}', "$.type"),
    "wrong_field_type": (
        json.dumps(
            {
                "type": "response.output_text.delta",
                "event_id": "evt_bad_delta",
                "response_id": "resp_1",
                "item_id": "item_1",
                "output_index": 0,
                "content_index": 0,
                "delta": 5,
            }
        ),
        "$.delta",
    ),
}


@pytest.mark.parametrize("kind", list(_BAD_FRAMES))
def test_bad_text_frame_reported_once(server: MockRealtimeServer, kind: str) -> None:
    """An undecodable text frame is one ProtocolError; the next frame still arrives."""
    bad, path = _BAD_FRAMES[kind]
    errors, seen = EventRecorder(), EventRecorder()
    with _closing(rs.RealtimeClient(url=server.url, api_key="test")) as client:
        client.on_error(errors)
        client.on("*", seen)
        client.connect()
        server.send_malformed(bad)
        server.send_malformed(_probe(1))
        seen.wait_until(lambda items: "probe-1" in _ids(items), timeout=10)
        reply = client.ask("still there?", timeout=10, output_modalities=["text"])
        stats = client.stats
    assert reply.text == "You said: still there?"
    assert stats.protocol_errors == 1
    [err] = errors.items
    assert isinstance(err, rs.ProtocolError)
    assert err.raw == bad
    assert err.path == path
    assert not any(e.event_id == "evt_bad_delta" for e in seen.items)
    assert type(seen.items[0]) is ev.SessionCreated


_BINARY = b"\x00\x01\x02 binary payload"


def _binary_then_probe(conn: RawConn) -> None:
    conn.accept_websocket()
    conn.send_text(session_created_frame())
    conn.send_frame(OP_BINARY, _BINARY)
    conn.send_text(_probe(1))
    conn.serve_close()


def test_binary_frame_connection_survives() -> None:
    """A binary frame is not dispatched and does not break the connection."""
    errors, seen = EventRecorder(), EventRecorder()
    with (
        RawServer(_binary_then_probe) as raw,
        _closing(rs.RealtimeClient(url=raw.url, api_key="test")) as client,
    ):
        client.on_error(errors)
        client.on("*", seen)
        client.connect()
        seen.wait_until(lambda items: "probe-1" in _ids(items), timeout=10)
        assert client.is_connected
    assert [type(e) for e in seen.items] == [
        ev.SessionCreated,
        ev.InputAudioBufferCleared,
    ]
    assert not any(isinstance(e, rs.ConnectionClosed) for e in errors.items)


def test_binary_frame_reported_as_protocol_error() -> None:
    """A binary frame (the protocol has text frames only) is one ProtocolError."""
    errors, seen = EventRecorder(), EventRecorder()
    with (
        RawServer(_binary_then_probe) as raw,
        _closing(rs.RealtimeClient(url=raw.url, api_key="test")) as client,
    ):
        client.on_error(errors)
        client.on("*", seen)
        client.connect()
        seen.wait_until(lambda items: "probe-1" in _ids(items), timeout=10)
        stats = client.stats
    [err] = errors.items
    assert isinstance(err, rs.ProtocolError)
    assert "binary" in str(err).lower()
    assert str(len(_BINARY)) in str(err)
    assert err.raw == _BINARY
    assert stats.protocol_errors == 1


# -- 5. oversized frame --------------------------------------------------------------

_MIB = 1024 * 1024


def _mentions_size(text: str, nbytes: int) -> bool:
    mib = nbytes / _MIB
    forms = {
        str(nbytes),
        f"{nbytes:,}",
        f"{nbytes:_}",
        f"{mib:g} MiB",
        f"{mib:.1f} MiB",
        f"{mib:g}MiB",
        f"{mib:.1f}MiB",
    }
    return any(form in text for form in forms)


def test_oversized_frame_rejected_memory_bounded() -> None:
    """A 50 MiB frame is refused from its header: ProtocolError, then close 1009."""
    size = 50 * _MIB
    chunk = b"a" * _MIB  # sent 50 times: the server itself allocates ~1 MiB

    def handler(conn: RawConn) -> None:
        conn.accept_websocket()
        conn.send_text(session_created_frame())
        go.wait()
        conn.sock.sendall(frame_header(OP_TEXT, size))
        for _ in range(size // len(chunk)):
            conn.sock.sendall(chunk)  # blocks once the client stops reading
        conn.hang()

    errors = EventRecorder()
    raw = RawServer(handler)
    go = raw.event()
    with raw, _closing(rs.RealtimeClient(url=raw.url, api_key="test")) as client:
        client.on_error(errors)
        client.connect()
        tracemalloc.start()
        try:
            go.set()
            errors.wait_until(
                lambda items: any(isinstance(e, rs.ConnectionClosed) for e in items),
                timeout=30,
            )
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    protocol = [e for e in errors.items if isinstance(e, rs.ProtocolError)]
    closed = [e for e in errors.items if isinstance(e, rs.ConnectionClosed)]
    assert len(protocol) == 1 and len(closed) == 1, errors.items
    assert errors.items.index(protocol[0]) < errors.items.index(closed[0])
    message = str(protocol[0])
    assert _mentions_size(message, size), message
    assert _mentions_size(message, 16 * _MIB), message
    assert closed[0].code == 1009
    assert peak < 16 * _MIB, f"tracemalloc peak {peak / _MIB:.1f} MiB"


# -- 6. a handler that always raises -------------------------------------------------


def test_handler_raising_on_every_event(server: MockRealtimeServer) -> None:
    """Each event gives one HandlerError (original as __cause__); the session works."""
    errors, seen = EventRecorder(), EventRecorder()

    class Boom(Exception):
        pass

    def boom(event: ev.ServerEvent) -> None:
        raise Boom(event.type)

    with _closing(rs.RealtimeClient(url=server.url, api_key="test")) as client:
        client.on_error(errors)
        client.on("*", boom)
        client.on("*", seen)
        client.connect()
        reply = client.ask("despite it all", timeout=10, output_modalities=["text"])
        assert reply.text == "You said: despite it all"
        sent = server.wait_for_sent("response.done", timeout=10)
        sent_ids = [json.loads(frame)["event_id"] for frame in sent]
        seen.wait_until(lambda items: len(items) >= len(sent_ids), timeout=10)
        assert client.is_connected
        stats = client.stats
    assert _ids(seen.items) == sent_ids
    assert len(errors.items) == len(sent_ids)
    assert stats.handler_errors == len(sent_ids)
    assert stats.frames_received >= len(sent_ids)
    for err, event in zip(errors.items, seen.items, strict=True):
        assert isinstance(err, rs.HandlerError)
        assert isinstance(err.__cause__, Boom)
        assert str(err.__cause__) == event.type
        assert err.event is event
        assert err.handler is boom


# -- 7. a handler that blocks --------------------------------------------------------


def _slow_session(
    server: MockRealtimeServer, client: rs.RealtimeClient
) -> tuple[list[str], list[Any]]:
    seen = EventRecorder()
    blocked = threading.Event()

    def dawdling_handler(event: ev.ResponseOutputTextDelta) -> None:
        if not blocked.is_set():
            blocked.set()
            time.sleep(2.0)  # the fault under test: a handler that blocks

    client.on(ev.ResponseOutputTextDelta, dawdling_handler)
    client.on("*", seen)
    client.connect()
    reply = client.ask("slowly does it", timeout=30, output_modalities=["text"])
    assert reply.text == "You said: slowly does it"
    sent = server.wait_for_sent("response.done", timeout=10)
    sent_ids = [json.loads(frame)["event_id"] for frame in sent]
    seen.wait_until(lambda items: len(items) >= len(sent_ids), timeout=10)
    assert blocked.is_set()
    return sent_ids, seen.items


def test_slow_handler_loses_no_event(server: MockRealtimeServer) -> None:
    """A handler blocking 2 s delays dispatch but loses and reorders nothing."""
    with _closing(rs.RealtimeClient(url=server.url, api_key="test")) as client:
        sent_ids, seen = _slow_session(server, client)
        assert client.is_connected
    assert _ids(seen) == sent_ids


def test_slow_handler_reported_in_stats_and_log(
    server: MockRealtimeServer, caplog: pytest.LogCaptureFixture
) -> None:
    """A handler over slow_handler_seconds shows in client.stats and a WARNING."""
    caplog.set_level(logging.WARNING, logger="realtime_sync.client")
    client = rs.RealtimeClient(url=server.url, api_key="test", slow_handler_seconds=0.5)
    with _closing(client):
        sent_ids, seen = _slow_session(server, client)
        stats = client.stats
    assert _ids(seen) == sent_ids
    assert attrs.has(type(stats))
    assert isinstance(stats.max_handler_seconds, float)
    assert stats.max_handler_seconds >= 1.9
    assert isinstance(stats.slow_handler_calls, int)
    assert stats.slow_handler_calls >= 1
    warnings = [
        r
        for r in caplog.records
        if r.name == "realtime_sync.client"
        and r.levelno == logging.WARNING
        and "dawdling_handler" in r.getMessage()
    ]
    assert warnings, [r.getMessage() for r in caplog.records]
    numbers = [float(x) for x in re.findall(r"\d+(?:\.\d+)?", warnings[0].getMessage())]
    assert any(1.9 <= x < 60 for x in numbers), warnings[0].getMessage()


# -- 8. senders racing close() -------------------------------------------------------


@pytest.mark.parametrize("attempt", range(3))
@pytest.mark.parametrize("close_timeout", [30.0, 0.0], ids=["drain", "abort"])
def test_senders_racing_close_account_every_event(
    server: MockRealtimeServer, close_timeout: float, attempt: int
) -> None:
    """Every event sent while close() runs is received, unsent, or refused: once.

    With a generous close timeout the queue drains (nothing unsent); with
    ``close(timeout=0)`` the socket is aborted with thousands of events queued, which
    must come back in ``ConnectionClosed.unsent``.
    """
    n_threads = 16
    client = rs.RealtimeClient(url=server.url, api_key="test")
    returned: list[list[str]] = [[] for _ in range(n_threads)]
    refused: list[list[str]] = [[] for _ in range(n_threads)]
    surprises: list[BaseException] = []
    start = threading.Barrier(n_threads + 1)

    def sender(n: int) -> None:
        start.wait()
        i = 0
        while True:  # until close() makes send() raise
            event_id = f"t{n}-{i}"
            try:
                client.send(ev.InputAudioBufferAppend(audio="AAAA", event_id=event_id))
            except rs.ConnectionClosed:
                refused[n].append(event_id)
                return
            except rs.QueueFull:
                # Nothing was queued: wait for room and send the same event again.
                with contextlib.suppress(rs.ConnectionClosed, rs.Timeout):
                    client.flush(10)
                continue
            except BaseException as exc:  # reported below, never lost on a thread
                surprises.append(exc)
                return
            returned[n].append(event_id)
            i += 1

    with _closing(client):
        client.connect()
        threads = [
            threading.Thread(
                target=sender, args=(n,), name=f"test-sender-{n}", daemon=True
            )
            for n in range(n_threads)
        ]
        for thread in threads:
            thread.start()
        start.wait()
        server.wait_for_received(
            lambda evs: len(evs) >= 200 * (attempt + 1), timeout=20
        )
        client.close(timeout=close_timeout)
        for thread in threads:
            thread.join(20)
        assert not any(t.is_alive() for t in threads)
        with pytest.raises(rs.ConnectionClosed) as info:
            client.send(ev.InputAudioBufferAppend(audio="AAAA", event_id="after"))
    assert not surprises, surprises
    unsent = [e.event_id for e in info.value.unsent]
    ok = [i for ids in returned for i in ids]
    refused_ids = [i for ids in refused for i in ids]
    assert len(refused_ids) == n_threads  # each sender stopped on ConnectionClosed
    expected = set(ok) - set(unsent)
    server.wait_for_received(
        lambda evs: sum(1 for e in evs if e.event_id in expected) >= len(expected),
        timeout=30,
    )
    received = [
        e.event_id for e in server.received if isinstance(e, ev.InputAudioBufferAppend)
    ]
    assert len(received) == len(set(received)), "an event was received twice"
    assert len(unsent) == len(set(unsent)), "an event is unsent twice"
    outcomes = [*received, *unsent, *refused_ids]
    assert len(outcomes) == len(set(outcomes)), "an event has two outcomes"
    assert set(outcomes) == set(ok) | set(refused_ids), "an event has no outcome"
    assert set(received) | set(unsent) == set(ok)
    if close_timeout == 0.0:
        assert unsent, "close(timeout=0) left nothing queued: the race did not happen"
    for n in range(n_threads):  # and each thread's events arrived in its order
        mine = [int(i.split("-")[1]) for i in received if i.startswith(f"t{n}-")]
        assert mine == sorted(mine)


# -- 9. close() from a handler, from another thread, twice ---------------------------


def test_close_from_handler(server: MockRealtimeServer) -> None:
    """close() in a handler returns on the reader thread and fails other waiters."""
    done = EventRecorder()
    outcome: dict[str, Any] = {}
    client = rs.RealtimeClient(url=server.url, api_key="test")

    @client.on(ev.ResponseCreated)
    def stop(event: ev.ResponseCreated) -> None:
        started = time.monotonic()
        client.close()
        client.close()  # again, still on the reader thread
        done((threading.current_thread().name, time.monotonic() - started))

    with _closing(client):
        client.connect()
        waiter = _blocked_waiter(
            client, lambda n: server.send_malformed(_probe(n)), outcome
        )
        client.send_text("close yourself")
        client.create_response(output_modalities=["text"])
        [(thread_name, elapsed)] = done.wait_until(
            lambda items: len(items) == 1, timeout=15
        )
        waiter.join(15)
        assert thread_name == "realtime-sync-reader"
        assert elapsed < 5.0
        assert isinstance(outcome["wait_for"], rs.ConnectionClosed)
        with pytest.raises(rs.ConnectionClosed):
            client.send_text("after close")
        assert not client.is_connected


def test_close_from_another_thread_wakes_waiter(server: MockRealtimeServer) -> None:
    """close() on another thread ends a wait_for blocked in a third one."""
    outcome: dict[str, Any] = {}
    with _closing(rs.RealtimeClient(url=server.url, api_key="test")) as client:
        client.connect()
        waiter = _blocked_waiter(
            client, lambda n: server.send_malformed(_probe(n)), outcome
        )

        def timed_close() -> float:
            started = time.monotonic()
            client.close()
            return time.monotonic() - started

        closer = _in_thread(timed_close, outcome, "close")
        closer.join(15)
        waiter.join(15)
        assert isinstance(outcome["close"], float) and outcome["close"] < 5.0
        assert isinstance(outcome["wait_for"], rs.ConnectionClosed)
        with pytest.raises(rs.ConnectionClosed):
            client.send_text("after close")
        assert client.state is rs.ClientState.CLOSED


def test_close_is_idempotent(server: MockRealtimeServer) -> None:
    """close() twice and from four threads at once: all return, none deadlocks."""
    client = rs.RealtimeClient(url=server.url, api_key="test")
    client.connect()
    outcome: dict[str, Any] = {}

    def timed_close() -> float:
        started = time.monotonic()
        client.close()
        return time.monotonic() - started

    threads = [_in_thread(timed_close, outcome, f"close-{n}") for n in range(4)]
    for thread in threads:
        thread.join(15)
    assert not any(t.is_alive() for t in threads)
    durations = [outcome[f"close-{n}"] for n in range(4)]
    assert all(isinstance(d, float) and d < 5.0 for d in durations), durations
    started = time.monotonic()
    client.close()
    client.close()
    assert time.monotonic() - started < 5.0
    assert client.state is rs.ClientState.CLOSED
    with pytest.raises(rs.ConnectionClosed):
        client.send_text("after close")
    assert server.total_connections == 1


def test_a_second_close_waits_for_the_first(server: MockRealtimeServer) -> None:
    """close() while another thread closes returns once the client is CLOSED."""
    tool_started = threading.Event()
    outcome: dict[str, Any] = {}
    client = rs.RealtimeClient(url=server.url, api_key="test")

    @client.tool
    def slow(x: int) -> int:
        """Takes two seconds: the first close() waits for it."""
        tool_started.set()
        threading.Event().wait(2.0)
        return x

    with _closing(client):
        client.connect()
        client.send_text("call slow with x 1")
        client.create_response(output_modalities=["text"])
        assert tool_started.wait(10)
        waiter = _blocked_waiter(
            client, lambda n: server.send_malformed(_probe(n)), outcome
        )
        first = _in_thread(lambda: client.close(timeout=10), outcome, "first")
        # The waiter fails once the first close() closed the connection; the tool
        # still runs for a while, and the first close() waits for it.
        waiter.join(15)
        assert isinstance(outcome["wait_for"], rs.ConnectionClosed)
        client.close(timeout=10)
        state = client.state
        alive = [
            t.name
            for t in threading.enumerate()
            if t.name.startswith("realtime-sync-") and t.is_alive()
        ]
        first.join(15)
    assert state is rs.ClientState.CLOSED
    assert alive == []
    assert outcome["first"] is None


def test_close_from_a_tool_while_another_thread_closes(
    server: MockRealtimeServer,
) -> None:
    """A tool's close() during another thread's close() returns at once, no deadlock."""
    tool_started = threading.Event()
    go = threading.Event()
    outcome: dict[str, Any] = {}
    client = rs.RealtimeClient(url=server.url, api_key="test")

    @client.tool
    def hang_up(x: int) -> int:
        """Waits for the test, then closes the client."""
        tool_started.set()
        go.wait(10)
        started = time.monotonic()
        client.close(timeout=5)
        outcome["tool close"] = time.monotonic() - started
        return x

    with _closing(client):
        client.connect()
        client.send_text("call hang_up with x 1")
        client.create_response(output_modalities=["text"])
        assert tool_started.wait(10)
        waiter = _blocked_waiter(
            client, lambda n: server.send_malformed(_probe(n)), outcome
        )
        first = _in_thread(lambda: client.close(timeout=5), outcome, "first")
        waiter.join(15)  # the first close() closed the connection: it now waits
        assert isinstance(outcome["wait_for"], rs.ConnectionClosed)  # for the tool
        go.set()
        first.join(15)
    assert outcome["tool close"] < 1.0
    assert outcome["first"] is None
    assert client.state is rs.ClientState.CLOSED


# -- 10. connect failures ------------------------------------------------------------


def test_connect_refused_port() -> None:
    """A refused port raises ConnectError, no status, and starts no thread."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    client = rs.RealtimeClient(url=f"ws://127.0.0.1:{port}/v1/realtime", api_key="test")
    with pytest.raises(rs.ConnectError) as info:
        client.connect()
    assert type(info.value) is rs.ConnectError
    assert info.value.status is None
    assert str(port) in str(info.value)
    assert client.state is rs.ClientState.CLOSED


def test_connect_dns_failure(monkeypatch: pytest.MonkeyPatch) -> None:
    """An unresolvable host raises ConnectError naming it.

    The resolver configured here is a remote name server, so a real lookup of a
    ``.invalid`` name could leave the machine: ``socket.getaddrinfo`` is patched to
    fail for that one name, as glibc does for an unknown host (EAI_NONAME).
    """
    real = socket.getaddrinfo

    def fake_getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        if host == "realtime.invalid":
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", fake_getaddrinfo)
    client = rs.RealtimeClient(url="wss://realtime.invalid/v1/realtime", api_key="test")
    with pytest.raises(rs.ConnectError) as info:
        client.connect()
    assert type(info.value) is rs.ConnectError
    assert "realtime.invalid" in str(info.value)
    assert client.state is rs.ClientState.CLOSED


@pytest.fixture(scope="module")
def tls_files(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 (tests/data/tls, or made here)."""
    shared = Path(__file__).resolve().parents[1] / "data" / "tls"
    cert, key = shared / "cert.pem", shared / "key.pem"
    if cert.is_file() and key.is_file():
        return cert, key
    if shutil.which("openssl") is None:
        pytest.skip("openssl is not installed and tests/data/tls has no certificate")
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [
            "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
            "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
            "-keyout", str(key), "-out", str(cert),
        ],
        check=True,
        capture_output=True,
    )  # fmt: skip
    return cert, key


def _tls_server(
    tls_files: tuple[Path, Path], handler: Callable[[RawConn], None]
) -> RawServer:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(str(tls_files[0]), str(tls_files[1]))
    return RawServer(handler, ssl_context=context)


def _tls_session(conn: RawConn) -> None:
    conn.accept_websocket()
    conn.send_text(session_created_frame())
    conn.serve_close()


def test_tls_untrusted_certificate(tls_files: tuple[Path, Path]) -> None:
    """A self-signed server certificate fails the handshake with ConnectError."""
    with _tls_server(tls_files, _tls_session) as raw:
        client = rs.RealtimeClient(url=raw.url, api_key="test", connect_timeout=10)
        with pytest.raises(rs.ConnectError) as info:
            client.connect()
    assert type(info.value) is rs.ConnectError
    assert "certificate" in str(info.value).lower()
    assert info.value.status is None
    assert client.state is rs.ClientState.CLOSED


def test_tls_ca_bundle_connects(tls_files: tuple[Path, Path]) -> None:
    """With ca_bundle= naming the server's certificate, the TLS session opens."""
    with _tls_server(tls_files, _tls_session) as raw:
        client = rs.RealtimeClient(
            url=raw.url, api_key="test", ca_bundle=str(tls_files[0])
        )
        with client:
            assert client.is_connected
            assert isinstance(client.session_info, ev.RealtimeSession)
        assert raw.tls_errors == []
        assert raw.errors == []


_HTTP_CASES = {
    401: ("Unauthorized", "invalid_request_error", "invalid_api_key", "Incorrect API key provided."),
    403: ("Forbidden", "invalid_request_error", "unsupported_country_region_territory", "Country, region, or territory not supported."),
    404: ("Not Found", "invalid_request_error", "model_not_found", "The model 'gpt-nothing' does not exist."),
    429: ("Too Many Requests", "requests", "rate_limit_exceeded", "Rate limit reached for requests."),
    500: ("Internal Server Error", "server_error", None, "The server had an error while processing your request."),
}  # fmt: skip


@pytest.mark.parametrize("status", list(_HTTP_CASES))
def test_handshake_http_errors(status: int) -> None:
    """A refused upgrade raises the error class of its status, with the server's message."""
    phrase, error_type, code, message = _HTTP_CASES[status]
    body = {
        "error": {"message": message, "type": error_type, "code": code, "param": None}
    }
    extra = {"Retry-After": "7"} if status == 429 else {}

    def handler(conn: RawConn) -> None:
        conn.refuse(status, phrase, body, extra)

    with RawServer(handler) as raw:
        client = rs.RealtimeClient(url=raw.url, api_key="test")
        with pytest.raises(rs.ConnectError) as info:
            client.connect()
        assert raw.errors == []
    err = info.value
    assert err.status == status
    assert err.server_message == message
    assert message in str(err)
    assert str(status) in str(err)
    if status in (401, 403):
        assert isinstance(err, rs.AuthenticationError)
    else:
        assert not isinstance(err, rs.AuthenticationError)
    if status == 429:
        assert isinstance(err, rs.RateLimitError)
        assert err.retry_after == 7
    else:
        assert not isinstance(err, rs.RateLimitError)
    assert client.state is rs.ClientState.CLOSED
