"""client.expect() and client.expect_response(): listening from before the send."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

import realtime_sync as rs
from realtime_sync import events as ev
from realtime_sync.testing import InMemoryTransport, synth_speech
from tests.helpers import EventRecorder


@pytest.fixture
def client() -> Iterator[rs.RealtimeClient]:
    """A connected client over the in-memory mock (server VAD on, as by default)."""
    with rs.RealtimeClient(transport=InMemoryTransport()) as c:
        yield c


def _waiters(client: rs.RealtimeClient) -> int:
    return len(client._dispatch._waiters)


def test_expect_keeps_an_answer_that_came_before_wait(
    client: rs.RealtimeClient,
) -> None:
    """The answer is delivered before wait() is called: expect() has it, wait_for not."""
    later = EventRecorder()
    client.on(ev.ConversationItemDone, later)
    with client.expect(ev.ConversationItemAdded) as added:
        client.send_text("Hello")
        # conversation.item.done comes after item.added was fully dispatched.
        later.wait_until(lambda items: len(items) == 1, timeout=10)
        with pytest.raises(rs.Timeout):
            client.wait_for(ev.ConversationItemAdded, timeout=0)  # missed
        event = added.wait(timeout=0)
    assert isinstance(event, ev.ConversationItemAdded)
    assert event.item.role == "user"
    assert added.done and _waiters(client) == 0


def test_expect_predicate_and_string_type(client: rs.RealtimeClient) -> None:
    """A predicate picks the event; a type string works as in wait_for."""
    with client.expect(
        "conversation.item.added", lambda e: e.item.role == "assistant"
    ) as a:
        client.ask("Hi", timeout=10)
        event = a.wait(timeout=10)
    assert event.item.role == "assistant"


def test_many_send_wait_cycles_miss_nothing(client: rs.RealtimeClient) -> None:
    """A hundred send-then-wait cycles with a busy thread beside them: each answered."""
    stop = threading.Event()

    def busy() -> None:
        n = 0
        while not stop.is_set():
            n += 1

    spinner = threading.Thread(target=busy)
    spinner.start()
    try:
        for i in range(100):
            text = f"message {i}"

            def is_mine(e: ev.ConversationItemAdded, text: str = text) -> bool:
                return e.item.content[0].text == text  # type: ignore[union-attr]

            with client.expect(ev.ConversationItemAdded, is_mine) as added:
                client.send_text(text)
                assert added.wait(timeout=10).item.role == "user"
    finally:
        stop.set()
        spinner.join()
    assert _waiters(client) == 0


def test_the_waiter_is_removed_when_the_block_ends(client: rs.RealtimeClient) -> None:
    """Leaving the block, normally or by an exception, stops listening."""
    with client.expect(ev.ResponseDone):
        assert _waiters(client) == 1
    assert _waiters(client) == 0
    with pytest.raises(KeyError), client.expect_response():
        assert _waiters(client) == 2
        raise KeyError("boom")
    assert _waiters(client) == 0


def test_wait_outside_the_block_and_reentry_are_refused(
    client: rs.RealtimeClient,
) -> None:
    """wait() before entering or after leaving raises; an expectation enters once."""
    expectation = client.expect(ev.ConversationItemAdded)
    with pytest.raises(RuntimeError, match="not listening yet"):
        expectation.wait(timeout=1)
    with expectation:
        client.send_text("Hello")
        expectation.wait(timeout=10)
    with pytest.raises(RuntimeError, match="stopped listening"):
        expectation.wait(timeout=1)
    with pytest.raises(RuntimeError, match="only once"), expectation:
        pass


def test_timeout_then_a_later_wait(client: rs.RealtimeClient) -> None:
    """A Timeout leaves the expectation listening; a negative timeout is refused."""
    with client.expect(ev.ConversationItemAdded) as added:
        with pytest.raises(rs.Timeout, match=r"conversation\.item\.added"):
            added.wait(timeout=0)
        with pytest.raises(ValueError, match="timeout"):
            added.wait(timeout=-1)
        client.send_text("Hello")
        assert added.wait(timeout=10).item.role == "user"


def test_close_fails_the_expectation(client: rs.RealtimeClient) -> None:
    """Closing the client fails a pending expectation with ConnectionClosed."""
    with client.expect(ev.ResponseDone) as done:
        client.close()
        with pytest.raises(rs.ConnectionClosed):
            done.wait(timeout=10)
    with pytest.raises(rs.ConnectionClosed), client.expect(ev.ResponseDone):
        pass


def test_wait_in_a_handler_raises(client: rs.RealtimeClient) -> None:
    """Expectation.wait() on the reader thread raises instead of deadlocking."""
    errors = EventRecorder()
    client.on_error(errors)

    def handler(event: ev.ConversationItemAdded) -> None:
        with client.expect(ev.ResponseDone) as done:
            done.wait(timeout=1)

    client.once(ev.ConversationItemAdded, handler)
    client.send_text("Hello")
    [error] = errors.wait_until(lambda items: len(items) == 1, timeout=10)
    assert isinstance(error.__cause__, RuntimeError)
    assert "Expectation.wait()" in str(error.__cause__)


def test_expect_response_gets_a_vad_response_that_finished_before_wait(
    client: rs.RealtimeClient,
) -> None:
    """Streaming speech then silence: the server's response is done before wait()."""
    finished = EventRecorder()
    client.on(ev.ResponseDone, finished)
    audio = synth_speech("what time is it", trail_ms=1000)
    with client.expect_response() as reply:
        for i in range(0, len(audio), 960):  # 20 ms appends
            client.append_audio(audio[i : i + 960])
        finished.wait_until(lambda items: len(items) == 1, timeout=10)
        response = reply.wait(timeout=10)
    assert isinstance(response, rs.Response)
    assert response.transcript == "You said: what time is it"
    assert response.status == "completed"
    assert response is client.responses[-1]
    assert response.id == finished.items[0].response.id


def test_expect_response_skips_a_response_started_before(
    client: rs.RealtimeClient,
) -> None:
    """A response created before the block is not the one expect_response() gives."""
    client.update_session(turn_detection=None)
    with client.expect(ev.ResponseCreated) as created:
        first = client.create_response(instructions="one")
        created.wait(timeout=10)
    with client.expect_response() as reply:
        second = client.create_response(instructions="two")
        response = reply.wait(timeout=10)
    assert response.id == second.wait(timeout=10).id
    assert response.id != first.wait(timeout=10).id
