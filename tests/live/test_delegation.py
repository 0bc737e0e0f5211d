"""Delegation against the mock Live server: @client.delegate and @client.tool."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest

import realtime_sync as rs
from realtime_sync.live import DelegationTask, LiveClient
from realtime_sync.live import events as lev
from realtime_sync.testing import MockRealtimeServer, synth_speech

from .test_client import PACE, got, speech, wait_turn


@pytest.fixture
def server() -> Iterator[MockRealtimeServer]:
    with MockRealtimeServer(api="live") as srv:
        yield srv


def test_a_client_delegation_runs_off_the_reader_and_is_spoken(
    server: MockRealtimeServer,
) -> None:
    seen: dict[str, Any] = {}
    client = LiveClient(url=server.url, input_pace=PACE)

    @client.delegate
    def look_up(task: DelegationTask) -> str:
        seen["thread"] = threading.current_thread().name
        seen["request"] = task.request
        seen["turns"] = task.transcript
        task.note("Looking up order 42.")
        return "Order 42 ships tomorrow."

    with client:
        client.append_audio(speech("Please check my order 42"))
        wait_turn(client, "assistant", "Order 42 ships tomorrow.")
        thinking = got(server, "session.thinking.append")
        commentary = got(server, "session.commentary.append")
    assert seen["thread"].startswith("realtime-sync-tool")
    assert "check my order 42" in seen["request"]
    assert seen["turns"] and seen["turns"][0].role == "user"
    assert thinking.delegation_id == commentary.delegation_id
    assert isinstance(commentary.delegation_id, str)
    assert commentary.content == "Order 42 ships tomorrow."
    delegation = client.delegation(commentary.delegation_id)
    assert delegation is not None and delegation.target == "client"


def test_a_failing_handler_tells_the_model_and_on_error(
    server: MockRealtimeServer,
) -> None:
    errors: list[rs.RealtimeError] = []
    client = LiveClient(url=server.url, input_pace=PACE)
    client.on_error(errors.append)

    @client.delegate
    def broken(task: DelegationTask) -> str:
        raise LookupError("the order system is down")

    with client:
        client.append_audio(speech("Can you check the weather"))
        wait_turn(client, "assistant", "the order system is down")
    assert any(isinstance(e, rs.HandlerError) for e in errors)


def test_only_one_delegate_handler(server: MockRealtimeServer) -> None:
    client = LiveClient(url=server.url)
    client.delegate(lambda task: None)
    with pytest.raises(ValueError, match="already"):
        client.delegate(lambda task: None)
    with pytest.raises(TypeError):
        client.delegate(3)  # type: ignore[call-overload]
    with pytest.raises(ValueError, match="Responses delegation"):

        @client.tool
        def lookup(order_id: str) -> str:
            return order_id

    client.close()


def test_responses_delegation_runs_function_tools(server: MockRealtimeServer) -> None:
    calls: list[str] = []
    wrapped: list[lev.ResponseEvent] = []
    client = LiveClient(
        url=server.url,
        input_pace=PACE,
        delegation={"type": "responses", "responses": {"model": "gpt-5"}},
    )

    @client.tool
    def order_status(order_id: str) -> dict[str, str]:
        """Look an order up.

        Args:
            order_id: The order number.
        """
        calls.append(threading.current_thread().name)
        return {"order": order_id, "status": "shipped"}

    client.on(lev.ResponseEvent, wrapped.append)
    texts: list[lev.ResponseOutputTextDelta] = []
    client.on_response_event(lev.ResponseOutputTextDelta, texts.append)

    @client.on_response_event("response.completed")
    def completed(event: Any) -> None:
        texts_done.append(event)

    texts_done: list[Any] = []
    with client:
        start = got(server, "session.start")
        tools = start.session.delegation.responses.tools
        assert [t.name for t in tools] == ["order_status"]
        client.append_audio(speech("order status of 42 please"))
        wait_turn(client, "assistant", "shipped", timeout=30)
        output = got(server, "response.item.create")
        got(server, "response.create")
    assert calls and calls[0].startswith("realtime-sync-tool")
    assert '"status": "shipped"' in output.item.output
    assert any(getattr(w.event, "type", None) == "response.completed" for w in wrapped)
    assert client.usage.backend_output_tokens >= 0
    assert texts and all(isinstance(t, lev.ResponseOutputTextDelta) for t in texts)
    assert "shipped" in "".join(t.delta for t in texts)
    assert len(texts_done) == 2  # the tool call's response, then the answer's
    assert client.off_response_event(lev.ResponseOutputTextDelta, texts.append)
    assert not client.off_response_event(lev.ResponseOutputTextDelta, texts.append)
    with pytest.raises(TypeError):
        client.on_response_event(lev.SessionStarted, print)


def test_synth_marker_names_the_request(server: MockRealtimeServer) -> None:
    # The request text reaches the handler through the transcript.
    got = threading.Event()
    client = LiveClient(url=server.url, input_pace=PACE)

    @client.delegate
    def handler(task: DelegationTask) -> None:
        if "look up" in task.request:
            got.set()

    with client:
        client.append_audio(synth_speech("look up the menu", lead_ms=100, trail_ms=800))
        assert got.wait(20)


def test_a_slow_handler_times_out_and_the_model_is_told(
    server: MockRealtimeServer, caplog: pytest.LogCaptureFixture
) -> None:
    errors: list[rs.RealtimeError] = []
    release = threading.Event()
    client = LiveClient(url=server.url, input_pace=PACE)
    client.on_error(errors.append)

    @client.delegate(timeout=0.2)
    def slow(task: DelegationTask) -> str:
        release.wait(10)
        return "too late"

    with client:
        client.append_audio(speech("Please check the stock"))
        wait_turn(client, "assistant", "could not be completed")
        release.set()
    assert any(isinstance(e, rs.Timeout) for e in errors)
    sent = [e.content for e in server.received if e.type == "session.commentary.append"]
    assert sent and "too late" not in sent  # the late result is dropped...
    assert "after its timeout" in caplog.text  # ...and said so
    assert not client._results  # nothing kept for ever


def test_a_handler_registered_after_connect_runs(server: MockRealtimeServer) -> None:
    with LiveClient(url=server.url, input_pace=PACE) as client:

        @client.delegate
        def late(task: DelegationTask) -> str:
            return "Registered late, still here."

        client.append_audio(speech("Look up my balance"))
        wait_turn(client, "assistant", "Registered late")


def test_close_wakes_a_handler_waiting_for_an_acknowledgement(
    server: MockRealtimeServer, caplog: pytest.LogCaptureFixture
) -> None:
    inside = threading.Event()
    outcome: list[BaseException] = []
    client = LiveClient(url=server.url, input_pace=PACE)

    @client.delegate
    def waits(task: DelegationTask) -> None:
        client._pump.pause()  # type: ignore[union-attr]  # the timeline stops
        inside.set()
        try:  # so no acknowledgement will come
            client.append_thinking("working", delegation_id=task.id, timeout=30)
        except rs.RealtimeError as exc:
            outcome.append(exc)

    client.connect()
    client.append_audio(speech("Please check it"))
    assert inside.wait(20)
    client.close(timeout=1)
    # The pool shut down with the handler done (woken by close), not given up on.
    assert "calls still running" not in caplog.text
    assert outcome and isinstance(outcome[0], rs.ConnectionClosed)
