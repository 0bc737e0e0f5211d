"""InMemoryTransport: whole conversations with no socket, scripted servers, reconnection."""

from __future__ import annotations

import socket
import threading
from typing import Any

import pytest

import realtime_sync as rs
from realtime_sync import events as ev
from realtime_sync.testing import InMemoryTransport, ScriptedResponder


def test_ask_is_answered_without_opening_a_socket(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A client over InMemoryTransport answers ask() with sockets forbidden."""

    def refuse(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("a socket was opened")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    transport = InMemoryTransport()
    with rs.RealtimeClient(transport=transport) as client:
        reply = client.ask("Hello there", timeout=10)
        assert reply.status == "completed"
        assert reply.transcript == "You said: Hello there"
        assert len(reply.audio_bytes) > 0
        assert client.conversation.items[-1].transcript == reply.transcript
    [channel] = transport.channels
    assert [e.type for e in channel.received][-2:] == [
        "conversation.item.create",
        "response.create",
    ]


def test_a_scripted_responder_plays_the_server() -> None:
    """InMemoryTransport(responder=ScriptedResponder(...)) runs the test's script."""
    script = (
        ScriptedResponder()
        .expect(ev.ConversationItemCreate, lambda e: e.item.role == "user")
        .emit(
            {
                "type": "error",
                "error": {"type": "invalid_request_error", "message": "no"},
            }
        )
    )
    errors: list[str] = []
    with rs.RealtimeClient(transport=InMemoryTransport(responder=script)) as client:
        client.on(ev.Error, lambda e: errors.append(e.error.message))
        client.send_text("hi")
        client.wait_for(ev.Error, timeout=5)
    script.assert_done()
    assert errors == ["no"]


def test_a_responder_instance_serves_one_session_only() -> None:
    """A second channel from a transport given one Responder instance is refused."""
    transport = InMemoryTransport(responder=rs.testing.Responder("ga"))
    with rs.RealtimeClient(transport=transport):
        pass
    with pytest.raises(rs.ConnectError, match="served a session already"):
        rs.RealtimeClient(transport=transport).connect()


def test_the_beta_dialect_runs_in_memory() -> None:
    """A beta client over the in-memory transport gets beta frames, decoded to GA."""
    with rs.RealtimeClient(dialect="beta", transport=InMemoryTransport()) as client:
        reply = client.ask("Hello", timeout=10, output_modalities=["text"])
    assert reply.text == "You said: Hello"


def test_a_request_made_during_an_outage_reaches_the_new_session_once() -> None:
    """create_response() while reconnecting: held once, sent once, answered.

    With the conversation restored, so that the response has what it answers
    (without it the request fails: see tests/reliability/test_reconnect.py).
    """
    transport = InMemoryTransport()
    outage = threading.Event()
    go = threading.Event()

    def hold_the_attempt(attempt: Any) -> None:
        outage.set()
        assert go.wait(10)

    policy = rs.ReconnectPolicy(
        initial_delay=0.0, jitter=0.0, restore_conversation=True
    )
    with rs.RealtimeClient(transport=transport, reconnect=policy) as client:
        client.on_reconnecting(hold_the_attempt)
        reconnected = threading.Event()
        client.on_reconnected(lambda info: reconnected.set())
        client.send_text("Remember this")
        transport.channels[-1].drop()
        assert outage.wait(10)
        assert client.state is rs.ClientState.RECONNECTING
        handle = client.create_response(output_modalities=["text"])
        go.set()
        assert reconnected.wait(10)
        reply = handle.wait(10)
        assert reply.status == "completed"
        assert "Remember this" in reply.text + reply.transcript
    creates = [
        e
        for e in transport.channels[-1].received
        if isinstance(e, ev.ResponseCreate) and e.event_id == handle.request_id
    ]
    assert len(creates) == 1
