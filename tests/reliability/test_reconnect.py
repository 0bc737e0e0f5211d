"""Reconnection: ReconnectPolicy against MockRealtimeServer's closes, drops and refusals."""

from __future__ import annotations

import base64
import logging
import threading
import time
from typing import Any

import numpy as np
import pytest

import realtime_sync as rs
from realtime_sync import events as ev
from realtime_sync.reconnect import OutageBuffer, merge_session, restorable_items
from realtime_sync.testing import MockRealtimeServer
from tests.helpers import EventRecorder

FAST = rs.ReconnectPolicy(initial_delay=0.01, max_delay=0.05)


def _outage_started(client: rs.RealtimeClient) -> threading.Event:
    """Set when the first reconnection attempt is announced (register it first)."""
    started = threading.Event()
    client.on_reconnecting(lambda attempt: started.set())
    return started


def _said(response: rs.Response) -> str:
    return response.text or response.transcript


def _received_on(server: MockRealtimeServer, type_: str) -> list[Any]:
    return [e for e in server.received if e.type == type_]


@pytest.fixture
def server() -> Any:
    with MockRealtimeServer() as srv:
        yield srv


def _client(server: MockRealtimeServer, **kwargs: Any) -> rs.RealtimeClient:
    kwargs.setdefault("reconnect", FAST)
    return rs.RealtimeClient(url=server.url, api_key="test", **kwargs)


def test_reconnects_after_going_away_and_resends_the_session(
    server: MockRealtimeServer,
) -> None:
    client = _client(server, session=rs.SessionConfig(instructions="Be brief."))
    reconnected = EventRecorder()
    errors = EventRecorder()
    client.on_reconnected(reconnected)
    client.on_error(errors)

    @client.tool
    def get_time(zone: str) -> str:
        """The time in a zone."""
        return "noon"

    with client:
        client.update_session(instructions="Be very brief.")
        server.close_all(code=1001, reason="going away")
        (info,) = reconnected.wait_until(lambda items: len(items) == 1)
        assert isinstance(info, rs.Reconnected)
        assert info.attempts == 1 and info.session_restored
        assert info.cause.code == 1001 and info.cause.reason == "going away"
        assert server.total_connections == 2
        updates = _received_on(server, "session.update")
        last = updates[-1].session
        # One merged update: the later instructions, and the tools.
        assert last.instructions == "Be very brief."
        assert [t.name for t in last.tools] == ["get_time"]
        assert client.is_connected and client.state is rs.ClientState.OPEN
        assert _said(client.ask("after", timeout=10)) == "You said: after"
        assert client.stats.reconnects == 1
    assert errors.items == []  # a successful reconnection is not an error


@pytest.mark.parametrize(
    ("code", "reason"), [(1000, "bye"), (4000, "beta_api_shape_disabled")]
)
def test_no_reconnect_on_a_normal_or_a_final_close(
    server: MockRealtimeServer, code: int, reason: str
) -> None:
    client = _client(server)
    errors = EventRecorder()
    client.on_error(errors)
    attempts = EventRecorder()
    client.on_reconnecting(attempts)
    with client:
        server.close_all(code=code, reason=reason)
        (err,) = errors.wait_until(lambda items: len(items) == 1)
        assert isinstance(err, rs.ConnectionClosed)
        assert (err.code, err.reason) == (code, reason)
        # The decision is taken before on_error hears of the close: a reconnection
        # would already show in the state.
        assert client.state is rs.ClientState.OPEN and not client.is_connected
        assert attempts.items == [] and client.stats.reconnects == 0
        assert server.total_connections == 1
        with pytest.raises(rs.ConnectionClosed):
            client.send_text("too late")


def test_reconnects_after_a_drop_without_close_frame(
    server: MockRealtimeServer,
) -> None:
    client = _client(server)
    reconnected = EventRecorder()
    client.on_reconnected(reconnected)
    with client:
        server.drop_all()
        (info,) = reconnected.wait_until(lambda items: len(items) == 1)
        assert info.cause.code is None
        assert _said(client.ask("hello", timeout=10)) == "You said: hello"


def test_blocking_helpers_on_the_old_session_fail_with_connection_closed(
    server: MockRealtimeServer,
) -> None:
    client = _client(server)
    reconnected = EventRecorder()
    client.on_reconnected(reconnected)
    outcome: list[BaseException] = []
    waiting = threading.Event()

    def done_or_probe(event: Any) -> bool:
        if event.type == "input_audio_buffer.cleared":
            waiting.set()  # proof that the waiter is registered
            return False
        return bool(event.type == "response.done")

    def wait() -> None:
        try:
            client.wait_for("*", done_or_probe, timeout=10)
        except BaseException as exc:
            outcome.append(exc)

    with client:
        thread = threading.Thread(target=wait)
        thread.start()
        while not waiting.wait(0.05):
            client.clear_audio()  # the probe: answered by input_audio_buffer.cleared
        server.close_all(code=1011, reason="internal")
        thread.join(10)
        assert len(outcome) == 1
        assert isinstance(outcome[0], rs.ConnectionClosed)
        assert outcome[0].code == 1011
        reconnected.wait_until(lambda items: len(items) == 1)
        assert client.is_connected


def test_restores_the_conversation_under_the_same_ids(
    server: MockRealtimeServer,
) -> None:
    policy = rs.ReconnectPolicy(
        initial_delay=0.01, max_delay=0.05, restore_conversation=True
    )
    client = _client(server, reconnect=policy)
    reconnected = EventRecorder()
    client.on_reconnected(reconnected)
    with client:
        client.ask("first", timeout=10)
        client.ask("second", timeout=10)
        before = [
            (i.id, i.role, i.text or i.transcript) for i in client.conversation.items
        ]
        assert len(before) == 4
        server.close_all(code=1001)
        (info,) = reconnected.wait_until(lambda items: len(items) == 1)
        assert info.restored_items == 4 and info.skipped_items == 0
        assert [i.id for i in info.previous_items] == [b[0] for b in before]
        creates = _received_on(server, "conversation.item.create")[-4:]
        assert [
            (c.item.id, c.item.role, c.item.content[0].text) for c in creates
        ] == before
        assert [c.item.content[0].type for c in creates] == [
            "input_text",
            "output_text",
            "input_text",
            "output_text",
        ]
        # The server's conversation continues: a new turn sees the restored items.
        assert _said(client.ask("third", timeout=10)) == "You said: third"
        ids = [i.id for i in client.conversation.items]
        assert ids[:4] == [b[0] for b in before] and len(ids) == 6
        responder = server.responders[-1]
        assert len(responder.items) == 6


def test_without_restore_the_new_conversation_starts_empty(
    server: MockRealtimeServer,
) -> None:
    client = _client(server)
    reconnected = EventRecorder()
    client.on_reconnected(reconnected)
    with client:
        client.ask("first", timeout=10)
        server.close_all(code=1001)
        (info,) = reconnected.wait_until(lambda items: len(items) == 1)
        assert len(info.previous_items) == 2
        assert info.restored_items == 0
        assert client.conversation.items == []
        assert (
            _received_on(server, "conversation.item.create")[-1].item.content[0].text
            == "first"
        )


def test_events_sent_during_the_outage_follow_the_restoration_in_order(
    server: MockRealtimeServer,
) -> None:
    client = _client(server)
    started = _outage_started(client)
    release = threading.Event()
    reconnected = EventRecorder()
    client.on_reconnecting(lambda attempt: release.wait(10))
    client.on_reconnected(reconnected)
    with client:
        server.close_all(code=1012)
        assert started.wait(10) and client.state is rs.ClientState.RECONNECTING
        ids = [client.send_text(f"held {n}") for n in range(5)]
        handle = client.create_response()
        release.set()
        (info,) = reconnected.wait_until(lambda items: len(items) == 1)
        assert info.resent_events == 6
        assert _said(handle.wait(10)) == "You said: held 4"
        creates = _received_on(server, "conversation.item.create")
        assert [c.event_id for c in creates[-5:]] == ids


def test_audio_appended_during_the_outage_is_kept_up_to_the_bound(
    server: MockRealtimeServer, caplog: pytest.LogCaptureFixture
) -> None:
    client = _client(server)
    started = _outage_started(client)
    release = threading.Event()
    reconnected = EventRecorder()
    client.on_reconnecting(lambda attempt: release.wait(10))
    client.on_reconnected(reconnected)
    chunk = np.full(2400, 1000, dtype=np.int16).tobytes()  # 100 ms at 24 kHz
    with client, caplog.at_level(logging.WARNING, logger="realtime_sync"):
        server.close_all(code=1001)
        assert started.wait(10) and client.state is rs.ClientState.RECONNECTING
        before = len(_received_on(server, "input_audio_buffer.append"))
        for _ in range(35):  # 3.5 s while the connection is down
            client.append_audio(chunk)
        release.set()
        (info,) = reconnected.wait_until(lambda items: len(items) == 1)
        assert info.dropped_audio_ms == 1500
        assert client.stats.dropped_audio_ms == 1500
        server.wait_for_received(
            lambda events: (
                sum(e.type == "input_audio_buffer.append" for e in events)
                == before + 20
            ),
            timeout=10,
        )
    assert any(
        "dropped 1500 ms of input audio" in r.getMessage() for r in caplog.records
    )


def test_token_provider_and_headers_are_renewed_for_each_connection(
    server: MockRealtimeServer,
) -> None:
    tokens = iter(["key-one", "key-two"])
    server.require_api_key = "key-one"
    client = rs.RealtimeClient(
        url=server.url, token_provider=lambda: next(tokens), reconnect=FAST
    )
    reconnected = EventRecorder()
    attempts = EventRecorder()
    client.on_reconnected(reconnected)
    client.on_reconnecting(attempts)
    with client:
        server.require_api_key = "key-two"  # only the new token is accepted now
        server.close_all(code=1001)
        reconnected.wait_until(lambda items: len(items) == 1)
        assert client.is_connected
        assert attempts.items[0].attempt == 1
        assert isinstance(attempts.items[0].cause, rs.ConnectionClosed)


def test_authentication_failure_ends_the_reconnection_at_once(
    server: MockRealtimeServer,
) -> None:
    client = _client(server, reconnect=rs.ReconnectPolicy(initial_delay=0.01))
    errors = EventRecorder()
    client.on_error(errors)
    with client:
        server.require_api_key = "another key"
        server.close_all(code=1001)
        (err,) = errors.wait_until(lambda items: len(items) == 1)
        assert isinstance(err, rs.ConnectionClosed) and err.code == 1001
        assert isinstance(err.__cause__, rs.AuthenticationError)
        assert err.__cause__.status == 401
        assert "after 1 attempt" in str(err)
        assert server.total_connections == 1
        with pytest.raises(rs.ConnectionClosed):
            client.send_text("nobody listens")


def test_gives_up_after_max_attempts_and_reports_held_events() -> None:
    server = MockRealtimeServer().start()
    policy = rs.ReconnectPolicy(max_attempts=3, initial_delay=0.01, max_delay=0.02)
    client = rs.RealtimeClient(url=server.url, api_key="test", reconnect=policy)
    errors = EventRecorder()
    attempts = EventRecorder()
    client.on_error(errors)
    release = threading.Event()

    def on_attempt(attempt: rs.ReconnectAttempt) -> None:
        attempts(attempt)
        release.wait(10)

    client.on_reconnecting(on_attempt)
    try:
        client.connect()
        server.stop()  # closes with 1001; nothing listens afterwards
        attempts.wait_until(lambda items: len(items) == 1)
        event_id = client.send_text("held, never sent")
        release.set()
        (err,) = errors.wait_until(lambda items: len(items) == 1)
        assert isinstance(err, rs.ConnectionClosed)
        assert "after 3 attempt(s)" in str(err)
        assert isinstance(err.__cause__, rs.ConnectError)
        assert [e.event_id for e in err.unsent] == [event_id]
        assert [a.attempt for a in attempts.items] == [1, 2, 3]
        assert isinstance(attempts.items[1].cause, rs.ConnectError)
        with pytest.raises(rs.ConnectionClosed):
            client.send_text("after giving up")
    finally:
        client.close()
        server.stop()


def test_a_hook_can_abort(server: MockRealtimeServer) -> None:
    client = _client(server)
    errors = EventRecorder()
    client.on_error(errors)
    client.on_reconnecting(lambda attempt: attempt.abort())
    with client:
        server.close_all(code=1001)
        (err,) = errors.wait_until(lambda items: len(items) == 1)
        assert "aborted" in str(err) and err.code == 1001
        assert server.total_connections == 1


def test_close_during_the_reconnection_stops_it_and_reports_held_events(
    server: MockRealtimeServer,
) -> None:
    client = _client(server, reconnect=rs.ReconnectPolicy(initial_delay=30.0))
    attempts = EventRecorder()
    client.on_reconnecting(attempts)
    client.connect()
    server.close_all(code=1001)
    attempts.wait_until(lambda items: len(items) == 1)
    event_id = client.send_text("held")
    started = time.monotonic()
    client.close(timeout=2.0)
    assert time.monotonic() - started < 5.0
    assert client.state is rs.ClientState.CLOSED
    with pytest.raises(rs.ConnectionClosed) as info:
        client.send_text("after close")
    assert [e.event_id for e in info.value.unsent] == [event_id]
    assert server.total_connections == 1


def test_a_second_outage_after_a_reconnection_is_handled_too(
    server: MockRealtimeServer,
) -> None:
    client = _client(server)
    reconnected = EventRecorder()
    client.on_reconnected(reconnected)
    with client:
        server.close_all(code=1001)
        reconnected.wait_until(lambda items: len(items) == 1)
        server.close_all(code=1011)
        reconnected.wait_until(lambda items: len(items) == 2)
        assert _said(client.ask("still here", timeout=10)) == "You said: still here"
        assert client.stats.reconnects == 2
        assert server.total_connections == 3


# -- the pure parts -------------------------------------------------------------------


def test_policy_backoff_is_exponential_capped_and_jittered() -> None:
    policy = rs.ReconnectPolicy(initial_delay=0.5, max_delay=8.0, jitter=0.25)

    class Fixed:
        def __init__(self, value: float) -> None:
            self.value = value

        def random(self) -> float:
            return self.value

    assert [policy.delay(n, Fixed(0.0)) for n in range(1, 7)] == [  # type: ignore[arg-type]
        0.5,
        1.0,
        2.0,
        4.0,
        8.0,
        8.0,
    ]
    assert policy.delay(3, Fixed(1.0)) == 1.5  # type: ignore[arg-type]
    assert policy.retries_close(None) and policy.retries_close(1001)
    assert not policy.retries_close(1000) and not policy.retries_close(4000)
    assert not rs.ReconnectPolicy(max_attempts=0).retries_close(1001)
    assert not policy.retries_error(rs.AuthenticationError("no", status=401))
    assert not policy.retries_error(rs.ConnectError("no", status=404))
    assert policy.retries_error(rs.ConnectError("busy", status=503))
    assert policy.retries_error(rs.ConnectError("refused"))
    assert policy.retries_error(rs.Timeout("slow"))
    with pytest.raises(ValueError, match="jitter"):
        rs.ReconnectPolicy(jitter=1.5)
    with pytest.raises(ValueError, match="max_attempts"):
        rs.ReconnectPolicy(max_attempts=-1)


def test_outage_buffer_drops_the_oldest_audio_only() -> None:
    buffer = OutageBuffer(audio_bytes=4800)  # 100 ms of pcm16 at 24 kHz
    chunk = base64.b64encode(bytes(2400)).decode()  # 50 ms
    appends = [
        ev.InputAudioBufferAppend(event_id=f"a{n}", audio=chunk) for n in range(4)
    ]
    commit = ev.InputAudioBufferCommit(event_id="c")
    for event in (appends[0], commit, *appends[1:]):
        buffer.add(event)
    assert [e.event_id for e in buffer.take()] == ["c", "a2", "a3"]
    assert buffer.dropped_audio_bytes == 4800


def test_merge_session_merges_objects_and_replaces_lists() -> None:
    base = {
        "type": "realtime",
        "instructions": "a",
        "tools": [{"name": "x"}],
        "audio": {"input": {"format": {"type": "audio/pcm", "rate": 24000}}},
    }
    update = {
        "type": "realtime",
        "tools": [{"name": "y"}],
        "audio": {
            "input": {"format": {"type": "audio/pcmu"}},
            "output": {"voice": "ash"},
        },
    }
    assert merge_session(base, update) == {
        "type": "realtime",
        "instructions": "a",
        "tools": [{"name": "y"}],
        "audio": {
            "input": {"format": {"type": "audio/pcmu"}},
            "output": {"voice": "ash"},
        },
    }
    assert merge_session(base, {"type": "transcription"}) == {"type": "transcription"}


def test_restorable_items_skips_what_cannot_be_recreated() -> None:
    item = rs.ConversationItem
    items = [
        item(id="u", type="message", role="user", transcript="spoken"),
        item(id="a", type="message", role="assistant", text=""),  # audio only
        item(id="f", type="function_call", name="f", call_id="c1", arguments="{}"),
        item(id="o", type="function_call_output", call_id="c1", output='"ok"'),
        item(id="m", type="mcp_call"),
    ]
    bodies, skipped = restorable_items(items)
    assert skipped == 2
    assert bodies == [
        {
            "type": "message",
            "id": "u",
            "role": "user",
            "content": [{"type": "input_text", "text": "spoken"}],
        },
        {
            "type": "function_call",
            "id": "f",
            "call_id": "c1",
            "name": "f",
            "arguments": "{}",
        },
        {"type": "function_call_output", "id": "o", "call_id": "c1", "output": '"ok"'},
    ]


def test_renews_a_session_before_it_expires_after_the_current_response() -> None:
    policy = rs.ReconnectPolicy(
        initial_delay=0.01, renew_before_expiry=2.0, restore_conversation=True
    )
    with MockRealtimeServer(max_session_seconds=3.0) as server:
        client = rs.RealtimeClient(url=server.url, api_key="test", reconnect=policy)
        reconnected = EventRecorder()
        attempts = EventRecorder()
        errors = EventRecorder()
        client.on_reconnected(reconnected)
        client.on_reconnecting(attempts)
        client.on_error(errors)
        renewed = threading.Event()
        client.on_reconnected(lambda info: renewed.set())
        with client:
            deadline = time.monotonic() + 10
            # Renewals happen on an event after the moment, between responses.
            while not renewed.wait(0.05) and time.monotonic() < deadline:
                client.ask("tick", timeout=10)
            (info,) = reconnected.wait_until(lambda items: len(items) == 1)
            assert info.proactive and attempts.items[0].proactive
            assert attempts.items[0].delay == 0.0
            assert info.cause.code == 1000
            assert server.total_connections == 2
            assert _said(client.ask("after", timeout=10)) == "You said: after"
        assert errors.items == []
        # Renewed before the limit: the server never had to end a session.
        assert not any("session_expired" in frame for frame in server.sent)


def test_a_failed_attempt_keeps_the_requests_held_for_the_next_one(
    server: MockRealtimeServer,
) -> None:
    # With a session to restore, an attempt waits for session.updated, which the
    # faulty connection never sends.
    client = _client(server, session=rs.SessionConfig(instructions="Be brief."))
    started = _outage_started(client)
    queued = threading.Event()
    reconnected = EventRecorder()
    client.on_reconnected(reconnected)

    @client.on_reconnecting
    def on_attempt(attempt: rs.ReconnectAttempt) -> None:
        if attempt.attempt == 1:
            queued.wait(10)
            # The next connection dies right after session.created.
            server.fault(close_after_events=1, code=1011)
        else:
            server.fault(close_after_events=None)

    with client:
        server.close_all(code=1001)
        assert started.wait(10) and client.state is rs.ClientState.RECONNECTING
        client.send_text("survives two connections")
        handle = client.create_response()
        queued.set()
        (info,) = reconnected.wait_until(lambda items: len(items) == 1, timeout=15)
        assert info.attempts == 2
        assert isinstance(handle.wait(10), rs.Response)
        assert server.total_connections == 3
        creates = _received_on(server, "conversation.item.create")
        assert creates[-1].item.content[0].text == "survives two connections"


# -- what is kept and what is reported across a reconnect (issue 14, items 3 and 4) --

MANUAL_TURNS = rs.SessionConfig(turn_detection=None, output_modalities=["text"])
PCM_MS = 48  # bytes of pcm16 audio per millisecond at 24 kHz


def _tone(ms: int, level: int) -> bytes:
    """``ms`` of pcm16 at 24 kHz, every sample ``level`` (each chunk recognisable)."""
    return np.full(ms * PCM_MS // 2, level, dtype=np.int16).tobytes()


def _appended(events: list[Any]) -> bytes:
    return b"".join(
        base64.b64decode(e.audio)
        for e in events
        if isinstance(e, ev.InputAudioBufferAppend)
    )


class _HeldOutage:
    """A client on an InMemoryTransport whose first reconnection attempt waits.

    ``drop()`` ends the connection like a network drop and returns once the client
    is RECONNECTING; what is sent until ``release()`` is held for the new session.
    """

    def __init__(self, policy: rs.ReconnectPolicy, **kwargs: Any) -> None:
        self.transport = rs.testing.InMemoryTransport()
        self.client = rs.RealtimeClient(
            transport=self.transport, reconnect=policy, **kwargs
        )
        self.errors = EventRecorder()
        self.reconnected = EventRecorder()
        self._started = threading.Event()
        self._go = threading.Event()
        self.client.on_error(self.errors)
        self.client.on_reconnected(self.reconnected)
        self.client.on_reconnecting(self._attempt)

    def _attempt(self, attempt: rs.ReconnectAttempt) -> None:
        self._started.set()
        assert self._go.wait(10)

    def drop(self) -> None:
        self.transport.channels[-1].drop()
        assert self._started.wait(10)
        assert self.client.state is rs.ClientState.RECONNECTING

    def release(self) -> rs.Reconnected:
        self._go.set()
        (info,) = self.reconnected.wait_until(lambda items: len(items) == 1)
        assert isinstance(info, rs.Reconnected)
        return info


def test_uncommitted_audio_is_sent_again_to_the_new_session() -> None:
    """980 ms appended before a drop, 200 ms during it, committed after: all 1180."""
    # Restored, so that the response may run (the earlier turn is audio without a
    # transcript: skipped, the API cannot re-create it).
    policy = rs.ReconnectPolicy(
        initial_delay=0.0, jitter=0.0, restore_conversation=True
    )
    outage = _HeldOutage(policy, session=MANUAL_TURNS)
    before = [_tone(140, level) for level in range(1000, 1007)]  # 7 x 140 = 980 ms
    during = [_tone(100, level) for level in (2000, 2001)]
    with outage.client as client:
        client.append_audio(_tone(300, 500))
        client.commit_audio()  # a turn the old session committed: not sent again
        client.wait_for(ev.InputAudioBufferCommitted, timeout=10)
        for chunk in before:
            client.append_audio(chunk)
        old = outage.transport.channels[-1]
        outage.drop()
        for chunk in during:
            client.append_audio(chunk)
        client.commit_audio()
        handle = client.create_response()
        info = outage.release()
        reply = handle.wait(10)
        new = outage.transport.channels[-1]
    assert new is not old
    assert _appended(old.received) == _tone(300, 500) + b"".join(before)
    # The new session got the old session's uncommitted audio first, exactly once,
    # then what was appended during the outage, then the commit.
    assert _appended(new.received) == b"".join(before + during)
    types = [e.type for e in new.received if e.type.startswith("input_audio")]
    assert types == ["input_audio_buffer.append"] * 9 + ["input_audio_buffer.commit"]
    assert reply.text == "I heard 1180 ms of audio."
    assert info.dropped_audio_ms == 0 and client.stats.dropped_audio_ms == 0
    assert info.skipped_items == 1
    assert outage.errors.items == []


def test_audio_beyond_the_bound_is_reported_and_an_empty_commit_is_not_silent() -> None:
    """The whole utterance before the drop, the commit after it, nothing kept."""
    policy = rs.ReconnectPolicy(initial_delay=0.0, jitter=0.0, audio_buffer_seconds=0)
    outage = _HeldOutage(policy, session=MANUAL_TURNS)
    with outage.client as client:
        for level in range(1000, 1007):
            client.append_audio(_tone(140, level))  # 980 ms, all before the drop
        outage.drop()
        commit_id = client.commit_audio()
        info = outage.release()
        lost = outage.errors.wait_until(lambda items: len(items) == 2)
        new = outage.transport.channels[-1]
        assert _appended(new.received) == b""
        assert info.dropped_audio_ms == 980
        assert client.stats.dropped_audio_ms == 980
        assert all(isinstance(err, rs.AudioLost) for err in lost)
        dropped, failed = sorted(lost, key=lambda err: err.event is not None)
        assert dropped.dropped_ms == 980 and "980 ms of input audio" in str(dropped)
        assert failed.event.error.code == "input_audio_buffer_commit_empty"
        assert failed.event.error.event_id == commit_id
        assert commit_id in str(failed) and "empty" in str(failed)


def test_audio_beyond_the_bound_keeps_the_newest_and_counts_the_rest() -> None:
    policy = rs.ReconnectPolicy(initial_delay=0.0, jitter=0.0, audio_buffer_seconds=0.5)
    outage = _HeldOutage(policy, session=MANUAL_TURNS)
    chunks = [_tone(100, level) for level in range(1000, 1008)]  # 800 ms
    with outage.client as client:
        for chunk in chunks[:6]:
            client.append_audio(chunk)
        outage.drop()
        for chunk in chunks[6:]:
            client.append_audio(chunk)
        info = outage.release()
        (lost,) = outage.errors.wait_until(lambda items: len(items) == 1)
        new = outage.transport.channels[-1]
    assert _appended(new.received) == b"".join(chunks[3:])  # the newest 500 ms
    assert info.dropped_audio_ms == 300 and client.stats.dropped_audio_ms == 300
    assert isinstance(lost, rs.AudioLost) and lost.dropped_ms == 300


def test_a_response_requested_during_the_outage_fails_without_the_conversation() -> (
    None
):
    """restore_conversation=False: no silent answer to an empty conversation."""
    policy = rs.ReconnectPolicy(initial_delay=0.0, jitter=0.0)
    outage = _HeldOutage(policy)
    with outage.client as client:
        assert _said(client.ask("my name is Ada", timeout=10)) == (
            "You said: my name is Ada"
        )
        outage.drop()
        first = client.create_response(output_modalities=["text"])
        queued = client.create_response(output_modalities=["text"])
        own_input = client.create_response(
            conversation="none",
            input=[ev.UserMessage(content=[ev.InputText(text="standalone")])],
            output_modalities=["text"],
        )
        info = outage.release()
        raised = []
        for handle in (first, queued):
            with pytest.raises(rs.ConnectionClosed) as failed:
                handle.wait(10)
            message = str(failed.value)
            assert handle.request_id in message
            assert "restore_conversation=True" in message
            assert failed.value.code is None  # the drop's
            raised.append(failed.value)
        # A response that brings its own input does not need the conversation.
        assert _said(own_input.wait(10)) == "You said: standalone"
        # No waiting needed to hear of it: on_error got the same errors.
        errors = outage.errors.wait_until(lambda items: len(items) == 2)
        assert {id(e) for e in errors} == {id(e) for e in raised}
        new = outage.transport.channels[-1]
        sent = {e.event_id for e in new.received if e.type == "response.create"}
        assert first.request_id not in sent and queued.request_id not in sent
        assert len(info.previous_items) == 2
        # Requested once the new session is there, a response runs as usual.
        assert _said(client.ask("again", timeout=10)) == "You said: again"


def test_a_response_requested_during_the_outage_runs_with_the_conversation() -> None:
    policy = rs.ReconnectPolicy(
        initial_delay=0.0, jitter=0.0, restore_conversation=True
    )
    outage = _HeldOutage(policy)
    with outage.client as client:
        client.ask("my name is Ada", timeout=10)
        outage.drop()
        handle = client.create_response(output_modalities=["text"])
        info = outage.release()
        assert info.restored_items == 2
        assert _said(handle.wait(10)) == "You said: my name is Ada"
    assert outage.errors.items == []


def test_uncommitted_audio_survives_a_dropped_websocket(
    server: MockRealtimeServer,
) -> None:
    """The same over a socket: what the old server received goes again, once."""
    policy = rs.ReconnectPolicy(initial_delay=0.0, jitter=0.0)
    client = _client(server, reconnect=policy, session=MANUAL_TURNS)
    started = _outage_started(client)
    reconnected = EventRecorder()
    client.on_reconnected(reconnected)
    errors = EventRecorder()
    client.on_error(errors)
    chunks = [_tone(140, level) for level in range(1000, 1007)]  # 980 ms
    with client:
        for chunk in chunks:
            client.append_audio(chunk)
        server.wait_for_received(
            lambda events: (
                sum(e.type == "input_audio_buffer.append" for e in events) == 7
            ),
            timeout=10,
        )
        server.drop_all()
        assert started.wait(10)
        client.commit_audio()
        handle = client.create_response()
        (info,) = reconnected.wait_until(lambda items: len(items) == 1)
        assert _said(handle.wait(10)) == "I heard 980 ms of audio."
        assert info.dropped_audio_ms == 0
    appends = _received_on(server, "input_audio_buffer.append")
    assert _appended(appends) == b"".join(chunks) * 2  # once per session
    assert errors.items == []


def test_blocking_helpers_in_reconnect_hooks_raise_at_once(
    server: MockRealtimeServer,
) -> None:
    """Every blocking helper raises RuntimeError at once on the reconnect thread."""
    outcomes = EventRecorder()

    def try_all(hook: str) -> None:
        handle = client.create_response(output_modalities=["text"])
        calls: dict[str, Any] = {
            "ask": lambda: client.ask("hi", timeout=None),
            "wait_for": lambda: client.wait_for("response.done", timeout=None),
            "update_session": lambda: client.update_session(
                instructions="x", timeout=None
            ),
            "flush": lambda: client.flush(None),
            "handle.wait": lambda: handle.wait(None),
            "connect": client.connect,
        }
        for name, call in calls.items():
            started = time.monotonic()
            try:
                call()
                outcome: Any = "returned"
            except BaseException as exc:  # recorded, asserted in the test thread
                outcome = exc
            outcomes((hook, name, outcome, time.monotonic() - started))

    client = _client(server)
    client.on_reconnecting(lambda attempt: try_all("reconnecting"))
    client.on_reconnected(lambda info: try_all("reconnected"))
    with client:
        server.close_all(code=1001)
        seen = outcomes.wait_until(lambda items: len(items) == 12, timeout=20)
        assert _said(client.ask("after", timeout=10)) == "You said: after"
    for hook, name, outcome, elapsed in seen:
        assert isinstance(outcome, RuntimeError), (hook, name, outcome)
        assert "reconnect" in str(outcome), (hook, name, outcome)
        assert elapsed < 1.0, (hook, name, elapsed)


def test_a_held_event_too_big_to_ever_send_is_reported_and_the_rest_goes() -> None:
    """Sent while reconnecting, larger than max_queue_bytes: on_error says so; no hang."""
    started = threading.Event()
    go = threading.Event()
    errors: list[rs.RealtimeError] = []
    policy = rs.ReconnectPolicy(initial_delay=0.0, jitter=0.0)
    with MockRealtimeServer() as server:
        client = rs.RealtimeClient(
            url=server.url, reconnect=policy, max_queue_bytes=4096
        )
        client.on_error(errors.append)
        client.on_reconnecting(lambda attempt: (started.set(), go.wait(10)))
        reconnected = threading.Event()
        client.on_reconnected(lambda info: reconnected.set())
        with client:
            server.drop_all()
            assert started.wait(10)
            big = client.send_text("x" * 8000)  # held: never fits the queue
            small = client.send_text("after the big one")
            go.set()
            assert reconnected.wait(10)
            server.wait_for_received(
                lambda events: any(e.event_id == small for e in events), timeout=10
            )
            assert client.is_connected
    reports = [e for e in errors if big in str(e)]
    assert len(reports) == 1 and "max_queue_bytes" in str(reports[0].__cause__)


class _DyingAfter:
    """A Transport over InMemoryTransport whose second channel dies on a marker.

    When the client writes an event containing ``marker`` on that channel, the
    channel is dropped and its close delivered before ``send()`` returns: exactly
    the moment after a reconnection wrote its held events and before it ended the
    outage.
    """

    def __init__(self, marker: str) -> None:
        self.inner = rs.testing.InMemoryTransport()
        self.marker = marker

    def open(self, url: str, **kwargs: Any) -> Any:
        channel = self.inner.open(url, **kwargs)
        if len(self.inner.channels) != 2:
            return channel
        marker = self.marker
        send = channel.send

        def send_and_die(text: str, item: object = None) -> None:
            send(text, item)
            if marker in text:
                channel.drop()
                assert channel._thread is not None
                channel._thread.join(5)  # its close was delivered

        channel.send = send_and_die  # type: ignore[method-assign]
        return channel


def test_a_new_connection_dying_before_the_outage_ends_is_replaced() -> None:
    """Not OPEN on a dead connection: the next attempt opens another one."""
    transport = _DyingAfter("DIE-NOW")
    started = threading.Event()
    go = threading.Event()
    policy = rs.ReconnectPolicy(initial_delay=0.0, jitter=0.0)
    client = rs.RealtimeClient(transport=transport, reconnect=policy)
    client.on_reconnecting(lambda attempt: (started.set(), go.wait(10)))
    reconnected = threading.Event()
    client.on_reconnected(lambda info: reconnected.set())
    with client:
        transport.inner.channels[-1].drop()
        assert started.wait(10)
        client.send_text("DIE-NOW")  # held; kills the second connection when sent
        go.set()
        assert reconnected.wait(10)
        reply = client.ask("still there?", timeout=10, output_modalities=["text"])
    assert reply.text == "You said: still there?"
    assert len(transport.inner.channels) == 3
