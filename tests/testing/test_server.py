"""MockRealtimeServer over a real loopback socket, driven by websocket-client."""

from __future__ import annotations

import base64
import contextlib
import json
import logging
import struct
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
import websocket

from realtime_sync import events as ev
from realtime_sync.testing import MockRealtimeServer, Responder

WAIT = 5.0  # seconds; every socket read times out after this

TEXT_TURN = [
    "conversation.item.added",
    "conversation.item.done",
    "response.created",
    "rate_limits.updated",
    "response.output_item.added",
    "conversation.item.added",
    "response.content_part.added",
    "response.output_text.delta",
    "response.output_text.delta",
    "response.output_text.done",
    "response.content_part.done",
    "response.output_item.done",
    "conversation.item.done",
    "response.done",
]


@contextlib.contextmanager
def connect(
    server: MockRealtimeServer, url: str | None = None, **kw: Any
) -> Iterator[websocket.WebSocket]:
    """A websocket-client connection, closed (with a close handshake) on exit."""
    ws = websocket.create_connection(url or server.url, timeout=WAIT, **kw)
    try:
        yield ws
    finally:
        with contextlib.suppress(websocket.WebSocketException, OSError):
            ws.close(timeout=WAIT)
        # the socket itself, even when the server closed first
        ws.shutdown()  # type: ignore[no-untyped-call]


def send(ws: websocket.WebSocket, **event: Any) -> None:
    """Send one client event as JSON."""
    ws.send(json.dumps(event))


def recv(ws: websocket.WebSocket) -> dict[str, Any]:
    """Read one server event."""
    data: dict[str, Any] = json.loads(ws.recv())
    return data


def recv_until(ws: websocket.WebSocket, wire_type: str) -> list[dict[str, Any]]:
    """Read server events up to and including the first of ``wire_type``."""
    events = []
    while True:
        events.append(recv(ws))
        if events[-1]["type"] == wire_type:
            return events


def user_text(ws: websocket.WebSocket, text: str) -> None:
    """Send a user text item."""
    item = {
        "type": "message",
        "role": "user",
        "content": [{"type": "input_text", "text": text}],
    }
    send(ws, type="conversation.item.create", item=item)


def mock_threads() -> list[str]:
    """Names of the mock server's threads still alive."""
    return [
        t.name for t in threading.enumerate() if t.name.startswith("mock-realtime-")
    ]


def test_connect_receives_session_created() -> None:
    """The first server event is session.created with the GA default session."""
    with MockRealtimeServer() as server:
        assert (
            server.url == f"ws://127.0.0.1:{server.port}/v1/realtime?model=gpt-realtime"
        )
        with connect(server) as ws:
            first = recv(ws)
            assert server.connections == 1
            assert server.total_connections == 1
            assert set(mock_threads()) >= {
                "mock-realtime-server",
                "mock-realtime-conn-1",
                "mock-realtime-send-1",
            }

    assert first["type"] == "session.created"
    assert first["event_id"] == "event_0001"
    session = first["session"]
    assert session["type"] == "realtime"
    assert session["object"] == "realtime.session"
    assert session["id"] == "sess_0001"
    assert session["audio"]["output"]["voice"] == "marin"
    assert session["audio"]["input"]["format"] == {"type": "audio/pcm", "rate": 24000}
    assert mock_threads() == []


def test_text_turn_ga() -> None:
    """A GA text turn on the wire follows §9.2."""
    with MockRealtimeServer() as server, connect(server) as ws:
        recv(ws)
        user_text(ws, "Hello")
        send(ws, type="response.create", response={"output_modalities": ["text"]})
        events = recv_until(ws, "response.done")

    assert [e["type"] for e in events] == TEXT_TURN
    deltas = [e["delta"] for e in events if e["type"] == "response.output_text.delta"]
    assert "".join(deltas) == "You said: Hello"
    assert events[-1]["response"]["status"] == "completed"
    assert events[-1]["response"]["usage"]["total_tokens"] > 0


def test_text_turn_beta_server() -> None:
    """Beta: flat session, beta names, conversation.item.created, no item.done."""
    with MockRealtimeServer(dialect="beta") as server, connect(server) as ws:
        start = [recv(ws), recv(ws)]
        user_text(ws, "Hello")
        send(ws, type="response.create", response={"modalities": ["text"]})
        events = recv_until(ws, "response.done")

    assert [e["type"] for e in start] == ["session.created", "conversation.created"]
    session = start[0]["session"]
    assert session["modalities"] == ["text", "audio"]
    assert session["voice"] == "marin"
    assert session["input_audio_format"] == "pcm16"
    assert "type" not in session and "audio" not in session
    names = [e["type"] for e in events]
    assert names == [
        "conversation.item.created",
        "response.created",
        "rate_limits.updated",
        "response.output_item.added",
        "conversation.item.created",
        "response.content_part.added",
        "response.text.delta",
        "response.text.delta",
        "response.text.done",
        "response.content_part.done",
        "response.output_item.done",
        "response.done",
    ]
    assert events[-1]["response"]["modalities"] == ["text"]
    assert events[-1]["response"]["output"][0]["content"][0]["type"] == "text"


def test_beta_header_selects_beta_per_connection() -> None:
    """OpenAI-Beta: realtime=v1 makes one connection beta on a GA server."""
    with MockRealtimeServer() as server:
        with connect(server, header=["OpenAI-Beta: realtime=v1"]) as beta:
            beta_start = [recv(beta), recv(beta)]
        with connect(server) as ga:
            ga_start = recv(ga)

    assert beta_start[1]["type"] == "conversation.created"
    assert "modalities" in beta_start[0]["session"]
    assert ga_start["session"]["type"] == "realtime"


def test_model_comes_from_the_url() -> None:
    """The session's model is the URL's ``model`` query parameter."""
    with MockRealtimeServer() as server:
        url = server.url.replace("gpt-realtime", "gpt-realtime-mini")
        with connect(server, url) as ws:
            assert recv(ws)["session"]["model"] == "gpt-realtime-mini"


@pytest.mark.parametrize(
    "header",
    [[], ["Authorization: Bearer wrong"], ["api-key: wrong"]],
    ids=["none", "bearer", "api-key"],
)
def test_wrong_api_key_gets_401(header: list[str]) -> None:
    """A missing or wrong key is refused at the handshake with OpenAI's JSON error."""
    with (
        MockRealtimeServer(require_api_key="sk-right") as server,
        pytest.raises(websocket.WebSocketBadStatusException) as info,
    ):
        websocket.create_connection(server.url, timeout=WAIT, header=header)

    assert info.value.status_code == 401
    assert info.value.resp_body is not None
    assert json.loads(info.value.resp_body) == {
        "error": {
            "message": "Incorrect API key provided.",
            "type": "invalid_request_error",
            "code": "invalid_api_key",
            "param": None,
        }
    }


def test_handshake_logs_never_show_the_key(caplog: pytest.LogCaptureFixture) -> None:
    """The DEBUG handshake logs are redacted: headers, subprotocol, query."""
    caplog.set_level(logging.DEBUG)
    secret = "sk-SECRET-42"
    with MockRealtimeServer(require_api_key=secret) as server:
        for kw in (
            {"header": [f"Authorization: Bearer {secret}"]},
            {"subprotocols": ["realtime", f"openai-insecure-api-key.{secret}"]},
            {"url": f"{server.url}&api-key={secret}"},
        ):
            with connect(server, **kw) as ws:
                assert recv(ws)["type"] == "session.created"

    assert "Authorization: [redacted]" in caplog.text
    assert secret not in caplog.text


@pytest.mark.parametrize(
    "kw",
    [
        {"header": ["Authorization: Bearer sk-right"]},
        {"header": ["api-key: sk-right"]},
        {"subprotocols": ["realtime", "openai-insecure-api-key.sk-right"]},
    ],
    ids=["bearer", "api-key", "subprotocol"],
)
def test_right_api_key_connects(kw: dict[str, Any]) -> None:
    """The key is accepted as a bearer token, an api-key header or a subprotocol."""
    with (
        MockRealtimeServer(require_api_key="sk-right") as server,
        connect(server, **kw) as ws,
    ):
        assert recv(ws)["type"] == "session.created"
        if "subprotocols" in kw:
            assert ws.getsubprotocol() == "realtime"


def test_undecodable_frame_answers_error_and_goes_on() -> None:
    """A bad frame gets an invalid_event error; the session continues."""
    with MockRealtimeServer() as server, connect(server) as ws:
        recv(ws)
        ws.send("not json")
        not_json = recv(ws)
        send(ws, type="conversation.item.delete", item_id=5, event_id="bad_1")
        wrong_type = recv(ws)
        ws.send('{"event_id": "no_type"}')
        no_type = recv(ws)
        send(ws, type="input_audio_buffer.clear")
        after = recv(ws)

    assert not_json["type"] == "error"
    assert not_json["error"]["code"] == "invalid_event"
    assert "not valid JSON" in not_json["error"]["message"]
    assert wrong_type["error"]["code"] == "invalid_event"
    assert "$.item_id" in wrong_type["error"]["message"]
    assert wrong_type["error"]["event_id"] == "bad_1"
    assert no_type["error"]["message"] == "The 'type' field is missing."
    assert no_type["error"]["event_id"] == "no_type"
    assert after["type"] == "input_audio_buffer.cleared"
    assert server.received == [ev.InputAudioBufferClear()]


def test_cancel_during_a_paced_stream() -> None:
    """response.cancel while deltas are paced stops the stream with cancelled."""
    with (
        MockRealtimeServer(
            delta_interval=0.05,
            responder_factory=lambda: Responder(text_delta_chars=2),
        ) as server,
        connect(server) as ws,
    ):
        recv(ws)
        user_text(ws, "Hello there, my friend")
        send(ws, type="response.create", response={"output_modalities": ["text"]})
        events = recv_until(ws, "response.output_text.delta")
        send(ws, type="response.cancel", event_id="stop")
        events += recv_until(ws, "response.done")
        server.wait_for_received("response.cancel", timeout=WAIT)
        send(ws, type="response.cancel", event_id="again")
        late = recv(ws)

    deltas = [e["delta"] for e in events if e["type"] == "response.output_text.delta"]
    full = "You said: Hello there, my friend"
    assert len(deltas) < len(full) // 2
    text_done = next(e for e in events if e["type"] == "response.output_text.done")
    assert text_done["text"] == "".join(deltas)
    names = [e["type"] for e in events]
    assert names[-5:] == [
        "response.output_text.done",
        "response.content_part.done",
        "response.output_item.done",
        "conversation.item.done",
        "response.done",
    ]
    response = events[-1]["response"]
    assert response["status"] == "cancelled"
    assert response["status_details"] == {
        "type": "cancelled",
        "reason": "client_cancelled",
    }
    assert response["output"][0]["status"] == "incomplete"
    assert late["error"]["code"] == "response_cancel_not_active"
    assert late["error"]["event_id"] == "again"


def test_audio_turn_over_the_socket() -> None:
    """Committed audio gets an audio reply of audio_ms in base64 deltas."""
    with MockRealtimeServer(audio_ms=200) as server, connect(server) as ws:
        recv(ws)
        chunk = base64.b64encode(b"\x01\x00" * 2400).decode()  # 100 ms
        for _ in range(3):
            send(ws, type="input_audio_buffer.append", audio=chunk)
        send(ws, type="input_audio_buffer.commit")
        committed = recv_until(ws, "conversation.item.done")
        send(ws, type="response.create")
        events = recv_until(ws, "response.done")

    assert [e["type"] for e in committed] == [
        "input_audio_buffer.committed",
        "conversation.item.added",
        "conversation.item.done",
    ]
    audio = b"".join(
        base64.b64decode(e["delta"])
        for e in events
        if e["type"] == "response.output_audio.delta"
    )
    assert len(audio) == 200 * 48
    transcript = next(
        e for e in events if e["type"] == "response.output_audio_transcript.done"
    )
    assert transcript["transcript"] == "I heard 300 ms of audio."


def test_stop_with_a_client_still_connected_is_prompt() -> None:
    """stop() closes a silent client after close_timeout and joins every thread."""
    server = MockRealtimeServer(delta_interval=10.0).start()
    ws = websocket.create_connection(server.url, timeout=WAIT)
    try:
        recv(ws)
        send(ws, type="response.create")  # a stream paused for 10 s per delta
        recv_until(ws, "response.content_part.added")
        started = time.monotonic()
        server.stop()
        elapsed = time.monotonic() - started
        # the delta sent before the pause, then the close frame
        opcode, frame = ws.recv_data_frame(True)
        while opcode != websocket.ABNF.OPCODE_CLOSE:
            opcode, frame = ws.recv_data_frame(True)
    finally:
        ws.shutdown()  # type: ignore[no-untyped-call]

    assert elapsed < 2.0
    assert mock_threads() == []
    assert struct.unpack("!H", frame.data[:2])[0] == 1001


def test_close_all_sends_the_close_code() -> None:
    """close_all() closes every connection with the given code and reason."""
    with MockRealtimeServer() as server, connect(server) as ws:
        recv(ws)
        closer = threading.Thread(target=server.close_all, args=(4000, "beta off"))
        closer.start()
        opcode, frame = ws.recv_data_frame(True)  # answers the close frame
        # and end TCP, which the server waits for after the close handshake
        ws.shutdown()  # type: ignore[no-untyped-call]
        closer.join(WAIT)

        assert opcode == websocket.ABNF.OPCODE_CLOSE
        assert struct.unpack("!H", frame.data[:2])[0] == 4000
        assert frame.data[2:] == b"beta off"
        assert not closer.is_alive()


def test_drop_all_drops_without_a_close_frame() -> None:
    """drop_all() ends the TCP connection; the client sees no close frame."""
    with MockRealtimeServer() as server, connect(server) as ws:
        recv(ws)
        server.drop_all()
        with pytest.raises(websocket.WebSocketConnectionClosedException):
            ws.recv()


def test_received_covers_all_connections() -> None:
    """The received list and wait_for_received cover every connection."""
    with MockRealtimeServer() as server, connect(server) as a, connect(server) as b:
        recv(a)
        recv(b)
        send(a, type="input_audio_buffer.clear", event_id="from_a")
        send(b, type="input_audio_buffer.clear", event_id="from_b")
        seen = server.wait_for_received(lambda evs: len(evs) == 2, timeout=WAIT)
        with pytest.raises(TimeoutError):
            server.wait_for_received("response.create", timeout=0.05)
        assert server.connections == 2
        assert len(server.responders) == 2

    assert {e.event_id for e in seen} == {"from_a", "from_b"}


def test_lifecycle() -> None:
    """stop() is idempotent; a stopped server cannot restart; port needs start()."""
    server = MockRealtimeServer()
    with pytest.raises(RuntimeError):
        server.port  # noqa: B018
    server.start()
    with pytest.raises(RuntimeError, match="already running"):
        server.start()
    server.stop()
    server.close()
    with pytest.raises(RuntimeError, match="Cannot restart"):
        server.start()
