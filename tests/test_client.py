"""RealtimeClient against MockRealtimeServer on loopback: lifecycle, handlers, helpers."""

from __future__ import annotations

import gc
import logging
import os
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import realtime_sync as rs
from realtime_sync import events as ev
from realtime_sync.testing import MockRealtimeServer
from tests.helpers import EventRecorder

KEY = "sk-test-SECRET-0123456789"


@pytest.fixture
def server() -> Iterator[MockRealtimeServer]:
    with MockRealtimeServer() as srv:
        yield srv


@pytest.fixture
def client(server: MockRealtimeServer) -> Iterator[rs.RealtimeClient]:
    c = rs.RealtimeClient(url=server.url, api_key="test")
    yield c
    c.close()


def test_text_turn_ga(client: rs.RealtimeClient) -> None:
    """ask() sends a message, waits for the response and returns its text."""
    deltas = EventRecorder()
    client.on(ev.ResponseOutputTextDelta, lambda e: deltas(e.delta))
    with client:
        reply = client.ask("Hello there", timeout=10, output_modalities=["text"])
    assert reply.status == "completed"
    assert reply.text == "You said: Hello there"
    assert "".join(deltas.items) == reply.text
    assert reply.usage is not None


def test_text_turn_beta() -> None:
    """The same turn against a beta server decodes into the same GA classes."""
    with MockRealtimeServer(dialect="beta") as srv:
        client = rs.RealtimeClient(url=srv.url, dialect="beta")
        seen = EventRecorder()
        client.on("*", lambda e: seen(type(e)))
        with client:
            reply = client.ask("Hi beta", timeout=10, output_modalities=["text"])
        assert reply.text == "You said: Hi beta"
        assert ev.ResponseOutputTextDelta in seen.items
        # beta has no conversation.item.done: the client synthesizes it
        assert ev.ConversationItemDone in seen.items


def test_auto_dialect_detects_beta() -> None:
    """dialect='auto' picks beta from the first session.created."""
    with MockRealtimeServer(dialect="beta") as srv:
        client = rs.RealtimeClient(url=srv.url, dialect="auto")
        with client:
            reply = client.ask("auto", timeout=10, output_modalities=["text"])
            assert client.dialect == "beta"
        assert reply.text == "You said: auto"


def test_handler_order_wildcard_prefix_once_off(client: rs.RealtimeClient) -> None:
    """Specific handlers run before wildcards; once fires once; off removes."""
    calls = EventRecorder()

    @client.on("*")
    def wild(e: ev.ServerEvent) -> None:
        if isinstance(e, ev.ResponseDone):
            calls("wild")

    @client.on(ev.ResponseDone)
    def specific(e: ev.ResponseDone) -> None:
        calls("specific")

    client.on(
        "response.*",
        lambda e: calls("prefix") if isinstance(e, ev.ResponseDone) else None,
    )
    client.once("response.done", lambda e: calls("once"))
    removed = client.on(ev.ResponseDone, lambda e: calls("removed"))
    assert client.off(ev.ResponseDone, removed)
    with client:
        client.ask("one", timeout=10, output_modalities=["text"])
        client.ask("two", timeout=10, output_modalities=["text"])
        calls.wait_until(lambda items: items.count("prefix") == 2)
    assert calls.items == [
        "specific",
        "once",
        "wild",
        "prefix",
        "specific",
        "wild",
        "prefix",
    ]


def test_raising_handler_does_not_stop_others(client: rs.RealtimeClient) -> None:
    """A handler that raises is reported to on_error; later handlers and events go on."""
    errors = EventRecorder()
    after = EventRecorder()
    client.on_error(errors)

    @client.on(ev.ResponseCreated)
    def boom(e: ev.ResponseCreated) -> None:
        raise ValueError("boom")

    client.on(ev.ResponseCreated, lambda e: after("ran"))
    with client:
        reply = client.ask("x", timeout=10, output_modalities=["text"])
    assert reply.status == "completed"
    assert after.items == ["ran"]
    [err] = errors.items
    assert isinstance(err, rs.HandlerError)
    assert isinstance(err.__cause__, ValueError)
    assert isinstance(err.event, ev.ResponseCreated)


def test_sixteen_threads_send_in_order(
    server: MockRealtimeServer, client: rs.RealtimeClient
) -> None:
    """16 threads sending at once: nothing is lost and each thread's order is kept."""
    per_thread = 100
    with client:
        start = threading.Barrier(16)

        def worker(n: int) -> None:
            start.wait()
            for i in range(per_thread):
                client.send(
                    ev.InputAudioBufferAppend(audio="AAAA", event_id=f"t{n}-{i}")
                )

        threads = [threading.Thread(target=worker, args=(n,)) for n in range(16)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        client.flush(timeout=10)
        server.wait_for_received(
            lambda evs: (
                sum(isinstance(e, ev.InputAudioBufferAppend) for e in evs)
                == 16 * per_thread
            ),
            timeout=10,
        )
    ids = [
        e.event_id for e in server.received if isinstance(e, ev.InputAudioBufferAppend)
    ]
    for n in range(16):
        mine = [int(i.split("-")[1]) for i in ids if i.startswith(f"t{n}-")]
        assert mine == list(range(per_thread))


def test_response_handle_and_wait_for(client: rs.RealtimeClient) -> None:
    """create_response() returns a handle that completes; wait_for sees later events."""
    with client:
        client.send_text("handle me")
        handle = client.create_response(output_modalities=["text"])
        result = handle.wait(10)
        assert result.text == "You said: handle me"
        assert handle.response_id == result.id
        with pytest.raises(rs.Timeout):
            client.wait_for(ev.ConversationItemDeleted, timeout=0.2)


def test_wait_for_predicate(client: rs.RealtimeClient) -> None:
    """wait_for returns the first matching event that arrives after the call."""
    got: list[Any] = []
    with client:
        t = threading.Thread(
            target=lambda: got.append(
                client.wait_for(
                    "response.output_text.delta",
                    lambda e: "said" in e.delta,
                    timeout=10,
                )
            )
        )
        t.start()
        client.ask("predicate", timeout=10, output_modalities=["text"])
        t.join(10)
    assert got and "said" in got[0].delta


def test_server_error_raised_from_blocking_helper(client: rs.RealtimeClient) -> None:
    """An error event answering a helper's request raises ServerError from it."""
    with client:
        with pytest.raises(rs.ServerError) as info:
            client.update_session({"type": "realtime", "bogus_field": 1}, timeout=10)
        assert info.value.code == "unknown_parameter"


def test_blocking_helper_in_handler_raises(client: rs.RealtimeClient) -> None:
    """A blocking helper called on the reader thread raises RuntimeError at once."""
    outcome = EventRecorder()

    @client.on(ev.ResponseCreated)
    def inside(e: ev.ResponseCreated) -> None:
        try:
            client.wait_for("response.done", timeout=1)
        except RuntimeError as exc:
            outcome(exc)

    with client:
        client.ask("deadlock?", timeout=10, output_modalities=["text"])
    assert len(outcome.items) == 1 and "handler" in str(outcome.items[0])


def test_close_from_inside_a_handler(server: MockRealtimeServer) -> None:
    """close() called by a handler returns and leaves no thread behind."""
    client = rs.RealtimeClient(url=server.url)
    closed = EventRecorder()

    @client.on(ev.ResponseCreated)
    def stop(e: ev.ResponseCreated) -> None:
        client.close()
        closed("closed")

    client.connect()
    client.send_text("bye")
    client.create_response(output_modalities=["text"])
    closed.wait_until(lambda items: items == ["closed"])
    assert client.state is rs.ClientState.CLOSED
    with pytest.raises(rs.ConnectionClosed):
        client.send_text("after close")


def test_server_close_reaches_on_error_and_next_call(
    server: MockRealtimeServer,
) -> None:
    """A server close is passed to on_error and raised by the next blocking call."""
    client = rs.RealtimeClient(url=server.url)
    errors = EventRecorder()
    client.on_error(errors)
    with client:
        server.close_all(code=4000, reason="beta_api_shape_disabled")
        [err] = errors.wait_until(lambda items: len(items) == 1)
        assert isinstance(err, rs.ConnectionClosed)
        assert (err.code, err.reason) == (4000, "beta_api_shape_disabled")
        with pytest.raises(rs.ConnectionClosed) as info:
            client.wait_for("response.done", timeout=5)
        assert info.value.code == 4000
        with pytest.raises(rs.ConnectionClosed):
            client.send_text("nobody listens")


def test_connect_refused_port() -> None:
    """A refused port raises ConnectError and starts no thread."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    client = rs.RealtimeClient(
        url=f"ws://127.0.0.1:{port}/v1/realtime", connect_timeout=5
    )
    with pytest.raises(rs.ConnectError):
        client.connect()
    assert client.state is rs.ClientState.CLOSED


def test_authentication_error_keeps_key_secret(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A 401 with a JSON body raises AuthenticationError; the key appears nowhere."""
    caplog.set_level(logging.DEBUG)
    with MockRealtimeServer(require_api_key="right-key") as srv:
        client = rs.RealtimeClient(url=srv.url, api_key=KEY)
        with pytest.raises(rs.AuthenticationError) as info:
            client.connect()
    err = info.value
    assert err.status == 401
    assert err.server_message and "API key" in err.server_message
    for text in (
        str(err),
        repr(err),
        repr(client),
        caplog.text,
        str(err.__cause__ or ""),
    ):
        assert KEY not in text


def test_session_config_is_sent_on_connect(server: MockRealtimeServer) -> None:
    """session= is sent after session.created and connect() waits for session.updated."""
    client = rs.RealtimeClient(
        url=server.url,
        session=rs.SessionConfig(instructions="Be brief.", voice="alloy"),
    )
    with client:
        info = client.session_info
        assert isinstance(info, ev.RealtimeSession)
        assert info.instructions == "Be brief."
        assert info.audio.output.voice == "alloy"  # type: ignore[union-attr]


def test_resource_namespaces_accept_dicts_and_models(
    server: MockRealtimeServer, client: rs.RealtimeClient
) -> None:
    """client.conversation.item.create(item=dict) and .delete() work like openai-python's."""
    with client:
        added = EventRecorder()
        client.on(ev.ConversationItemDone, added)
        client.conversation.item.create(
            item={
                "type": "message",
                "role": "user",
                "content": [{"type": "input_text", "text": "hi"}],
            }
        )
        [done] = added.wait_until(lambda items: len(items) == 1)
        deleted_events = EventRecorder()
        client.on(ev.ConversationItemDeleted, deleted_events)
        client.conversation.item.delete(item_id=done.item.id)
        [deleted] = deleted_events.wait_until(lambda items: len(items) == 1)
        assert deleted.item_id == done.item.id
        with pytest.raises(TypeError):
            client.conversation.item.create(
                item={"type": "message", "role": "user", "content": "nope"}
            )


def test_wrong_argument_types_raise_before_queueing(client: rs.RealtimeClient) -> None:
    """Bad arguments raise TypeError/ValueError at the call site."""
    with client:
        with pytest.raises(TypeError):
            client.send_text(42)  # type: ignore[arg-type]
        with pytest.raises(TypeError):
            client.send(ev.ConversationItemDelete(item_id=5))  # type: ignore[arg-type]
        with pytest.raises(TypeError):
            client.append_audio("not audio")
        with pytest.raises(ValueError):
            client.send_text("x", role="robot")


def test_reopen_is_refused(server: MockRealtimeServer) -> None:
    """A closed client cannot be reopened."""
    client = rs.RealtimeClient(url=server.url)
    client.connect()
    client.close()
    client.close()  # idempotent
    with pytest.raises(RuntimeError, match="Cannot reopen"):
        client.connect()


def _appended_bytes(server: MockRealtimeServer) -> int:
    return sum(
        len(rs.protocol._json.b64decode(e.audio))
        for e in server.received
        if isinstance(e, ev.InputAudioBufferAppend)
    )


def test_append_audio_resamples_downmixes_and_frames(
    server: MockRealtimeServer,
) -> None:
    """48 kHz float stereo in odd chunks becomes exactly 1 s of 24 kHz pcm16 frames."""
    import numpy as np

    t = np.arange(48000) / 48000
    tone = (0.5 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)
    stereo = np.stack([tone, tone], axis=1)
    with rs.RealtimeClient(url=server.url) as client:
        committed = EventRecorder()
        client.on(ev.InputAudioBufferCommitted, committed)
        for chunk in np.array_split(stereo, [1, 777, 5000, 23999, 30001]):
            client.append_audio(chunk, sample_rate=48000, channels=2)
        client.commit_audio()
        committed.wait_until(lambda items: len(items) >= 1, timeout=10)
        client.flush(timeout=10)
    appends = [e for e in server.received if isinstance(e, ev.InputAudioBufferAppend)]
    sizes = [len(rs.protocol._json.b64decode(e.audio)) for e in appends]
    assert sum(sizes) == 24000 * 2
    assert sizes[:-1] == [40 * 24 * 2] * (len(sizes) - 1)  # 40 ms frames
    pcm = np.frombuffer(
        b"".join(rs.protocol._json.b64decode(e.audio) for e in appends), "<i2"
    )
    assert (
        abs(np.sqrt(np.mean((pcm[2400:-2400] / 32767.0) ** 2)) - 0.5 / np.sqrt(2))
        < 0.01
    )


def test_append_audio_g711_session(server: MockRealtimeServer) -> None:
    """With audio/pcmu input, 24 kHz int16 samples are sent as 8 kHz mu-law bytes."""
    import numpy as np

    session = rs.SessionConfig(input_format="g711_ulaw", output_format="g711_ulaw")
    with rs.RealtimeClient(url=server.url, session=session) as client:
        committed = EventRecorder()
        client.on(ev.InputAudioBufferCommitted, committed)
        client.append_audio(np.zeros(24000, np.int16), sample_rate=24000)
        client.commit_audio()
        committed.wait_until(lambda items: len(items) == 1, timeout=10)
        reply = client.ask("speak", timeout=10)
    assert _appended_bytes(server) == 8000
    assert reply.audio_format == "audio/pcmu"
    assert reply.audio.dtype == np.int16 and len(reply.audio) == len(reply.audio_bytes)


# -- events sent before connect() (issue 16) -------------------------------------------


def test_events_sent_before_connect_follow_the_session_setup_in_order(
    server: MockRealtimeServer,
) -> None:
    """Sends before connect() are held, then sent in order after the session setup."""
    client = rs.RealtimeClient(
        url=server.url, session=rs.SessionConfig(instructions="Be brief.")
    )
    client.send_text("first")
    client.update_session(instructions="Be very brief.", wait=False)
    client.send_text("second")
    handle = client.create_response(output_modalities=["text"])
    assert client.state is rs.ClientState.UNOPENED and server.total_connections == 0
    with client:
        reply = handle.wait(10)
        assert reply.text == "You said: second"
    kinds = [
        (e.type, getattr(e, "session", None) and e.session.instructions)
        if e.type == "session.update"
        else e.type
        for e in server.received
    ]
    assert kinds == [
        ("session.update", "Be brief."),  # the configured one, confirmed first
        "conversation.item.create",
        ("session.update", "Be very brief."),
        "conversation.item.create",
        "response.create",
    ]


def test_a_bad_event_or_a_wait_before_connect_fails_at_the_call_site() -> None:
    """A bad event raises when sent; waiting for an answer before connect() raises."""
    client = rs.RealtimeClient(url="ws://127.0.0.1:9/", api_key="test")
    with pytest.raises((TypeError, ValueError)):
        client.send(ev.ConversationItemCreate(item=42))  # type: ignore[arg-type]
    with pytest.raises(RuntimeError, match="before waiting"):
        client.update_session(instructions="x")  # would wait for itself
    with pytest.raises(RuntimeError, match="before waiting"):
        client.ask("hello?", timeout=None)
    with pytest.raises(RuntimeError, match="before waiting"):
        client.create_response().wait(None)
    client.close()


def test_events_held_before_connect_are_reported_when_closed_first(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """close() before connect() reports the held events as unsent, never drops them."""
    client = rs.RealtimeClient(url="ws://127.0.0.1:9/", api_key="test")
    client.send_text("never sent")
    handle = client.create_response()
    with caplog.at_level(logging.WARNING, logger="realtime_sync.client"):
        client.close()
    assert (
        "not sent (2 event(s): conversation.item.create, response.create)"
        in caplog.text
    )
    with pytest.raises(rs.ConnectionClosed) as info:
        handle.wait(5)
    with pytest.raises(rs.ConnectionClosed) as again:
        client.send_text("after close")
    for exc in (info.value, again.value):
        assert [e.type for e in exc.unsent] == [
            "conversation.item.create",
            "response.create",
        ]


def test_events_held_before_a_failed_connect_are_reported() -> None:
    """A failed connect() reports the held events in ConnectionClosed.unsent."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # nothing listens here once closed
    client = rs.RealtimeClient(url=f"ws://127.0.0.1:{port}/", api_key="test")
    client.send_text("never sent")
    with pytest.raises(rs.ConnectError):
        client.connect()
    with pytest.raises(rs.ConnectionClosed) as info:
        client.send_text("after")
    assert [e.type for e in info.value.unsent] == ["conversation.item.create"]


# -- clients dropped without close() (issue 14, item 9) ----------------------------------


def test_unreferenced_clients_are_reclaimed(server: MockRealtimeServer) -> None:
    """Connected clients dropped without close() lose their threads and sockets."""
    before = set(threading.enumerate())
    clients = []
    for n in range(10):
        client = rs.RealtimeClient(url=server.url, api_key="test")
        # A handler that references its client (a cycle, as real code makes).
        client.on(ev.SessionUpdated, lambda e, c=client: c.stats)

        @client.tool
        def echo(x: int) -> int:
            """Echo."""
            return x

        client.connect()
        if n == 0:
            assert client.ask("call echo with x 1", timeout=10).status == "completed"
        clients.append(client)
    assert server.connections == 10
    started = [
        t
        for t in set(threading.enumerate()) - before
        if t.name.startswith(("realtime-sync-", "mock-realtime-conn-"))
    ]
    assert len([t for t in started if t.name == "realtime-sync-reader"]) == 10
    del clients, client, echo
    gc.collect()
    for thread in started:
        thread.join(5)
    assert [t.name for t in started if t.is_alive()] == []
    assert server.connections == 0


_FORGETFUL_SCRIPT = """
import sys
import realtime_sync as rs

client = rs.RealtimeClient(url=sys.argv[1], api_key="test")
client.connect()
for _ in range(40):
    client.append_audio(bytes(48_000))  # 1 s of PCM16 at 24 kHz
client.commit_audio()
# no close(): the interpreter exits with the frames still queued
"""


def test_a_script_ending_without_close_still_sends_what_it_queued(
    server: MockRealtimeServer,
) -> None:
    """At exit, open clients are closed with a bounded flush: nothing is lost."""
    root = Path(__file__).resolve().parents[1]
    done = subprocess.run(
        [sys.executable, "-c", _FORGETFUL_SCRIPT, server.url],
        cwd=root,
        env={**os.environ, "PYTHONPATH": str(root)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    received = server.wait_for_received(
        lambda evs: any(e.type == "input_audio_buffer.commit" for e in evs),
        timeout=10,
    )
    appends = [e for e in received if e.type == "input_audio_buffer.append"]
    assert len(appends) == 40
    assert "not sent" not in done.stderr
