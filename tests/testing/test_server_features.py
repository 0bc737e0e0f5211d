"""MockRealtimeServer: pacing, session limit, fault hooks, sent frames, intents."""

from __future__ import annotations

import base64
import contextlib
import json
import struct
import time
from collections.abc import Iterator
from typing import Any

import pytest
import websocket

from realtime_sync.testing import MockRealtimeServer, Responder, synth_speech

pytestmark = pytest.mark.timeout(10)
WAIT = 5.0


@contextlib.contextmanager
def connect(url: str, **kw: Any) -> Iterator[websocket.WebSocket]:
    """A websocket-client connection, closed on exit."""
    ws = websocket.create_connection(url, timeout=WAIT, **kw)
    try:
        yield ws
    finally:
        with contextlib.suppress(websocket.WebSocketException, OSError):
            ws.close(timeout=WAIT)
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
    events = [recv(ws)]
    while events[-1]["type"] != wire_type:
        events.append(recv(ws))
    return events


def user_text(ws: websocket.WebSocket, text: str) -> None:
    """Send a user text item."""
    send(
        ws,
        type="conversation.item.create",
        item={
            "type": "message",
            "role": "user",
            "content": [{"type": "input_text", "text": text}],
        },
    )


def close_frame(ws: websocket.WebSocket) -> tuple[int, bytes]:
    """Read up to the close frame; its code and reason."""
    while True:
        opcode, frame = ws.recv_data_frame(True)
        if opcode == websocket.ABNF.OPCODE_CLOSE:
            return struct.unpack("!H", frame.data[:2])[0], frame.data[2:]


def test_constructor_validates_new_arguments() -> None:
    """Bad pace, chunk size or session limit raise ValueError."""
    with pytest.raises(ValueError, match="pace"):
        MockRealtimeServer(pace="fast")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="audio_chunk_ms"):
        MockRealtimeServer(audio_chunk_ms=0)
    with pytest.raises(ValueError, match="max_session_seconds"):
        MockRealtimeServer(max_session_seconds=0)
    server = MockRealtimeServer()
    with pytest.raises(ValueError):
        server.fault(close_after_events=0)
    with pytest.raises(ValueError):
        server.stall(-1)


def test_sent_records_every_frame_in_order() -> None:
    """server.sent holds the raw text frames, as the client received them."""
    with MockRealtimeServer() as server, connect(server.url) as ws:
        got = [ws.recv()]
        user_text(ws, "hi")
        got += [ws.recv(), ws.recv()]
        sent = server.wait_for_sent(lambda frames: len(frames) >= 3, timeout=WAIT)
        assert server.wait_for_sent("conversation.item.done", timeout=WAIT)
        with pytest.raises(TimeoutError):
            server.wait_for_sent("response.done", timeout=0.01)

    assert sent[:3] == got


def test_realtime_pace_spaces_audio_deltas_by_their_duration() -> None:
    """pace='realtime': 50 ms deltas arrive at least ~50 ms apart."""
    with (
        MockRealtimeServer(pace="realtime", audio_chunk_ms=50, audio_ms=200) as server,
        connect(server.url) as ws,
    ):
        recv(ws)
        send(ws, type="response.create")
        arrivals = []
        for event in iter(lambda: recv(ws), None):  # pragma: no branch
            if event["type"] == "response.output_audio.delta":
                arrivals.append(time.monotonic())
                assert len(base64.b64decode(event["delta"])) == 50 * 48
            if event["type"] == "response.done":
                break

    assert len(arrivals) == 4  # a 200 ms reply
    assert arrivals[-1] - arrivals[0] >= 3 * 0.05 * 0.8


def test_session_limit_sends_session_expired_then_closes_1001() -> None:
    """max_session_seconds: error session_expired, then close 1001 with the message."""
    with (
        MockRealtimeServer(max_session_seconds=0.2) as server,
        connect(server.url) as ws,
    ):
        assert recv(ws)["type"] == "session.created"
        error = recv(ws)
        code, reason = close_frame(ws)

    assert error["type"] == "error"
    assert error["error"]["code"] == "session_expired"
    message = "Your session hit the maximum duration of 0.2 seconds."
    assert error["error"]["message"] == message
    assert (code, reason.decode()) == (1001, message)


def test_fault_closes_after_n_events_on_current_and_new_connections() -> None:
    """fault(close_after_events=N) counts from now, and from the start for new ones."""
    with MockRealtimeServer() as server:
        with connect(server.url) as old:
            recv(old)
            server.fault(close_after_events=2, code=1011, reason="boom")
            user_text(old, "hi")  # added, done: then the close frame
            assert [recv(old)["type"], recv(old)["type"]] == [
                "conversation.item.added",
                "conversation.item.done",
            ]
            assert close_frame(old) == (1011, b"boom")
        with connect(server.url) as new:
            assert recv(new)["type"] == "session.created"
            user_text(new, "hi")
            assert recv(new)["type"] == "conversation.item.added"
            assert close_frame(new) == (1011, b"boom")
        server.fault(close_after_events=None)
        with connect(server.url) as healthy:
            recv(healthy)
            user_text(healthy, "hi")
            assert [recv(healthy)["type"], recv(healthy)["type"]] == [
                "conversation.item.added",
                "conversation.item.done",
            ]


def test_send_malformed_reaches_every_connection() -> None:
    """A non-JSON text frame, after what was queued, on every connection."""
    with (
        MockRealtimeServer() as server,
        connect(server.url) as a,
        connect(server.url) as b,
    ):
        recv(a)
        recv(b)
        server.send_malformed()
        assert a.recv() == b.recv() == "this is not JSON {"
        user_text(a, "still alive")
        assert recv(a)["type"] == "conversation.item.added"
    assert server.sent.count("this is not JSON {") == 2


def test_stall_holds_sending_and_reading() -> None:
    """During a stall nothing is answered; afterwards everything is, in order."""
    with MockRealtimeServer() as server, connect(server.url) as ws:
        recv(ws)
        server.stall(5.0)
        user_text(ws, "are you there?")
        ws.settimeout(0.2)
        with pytest.raises(websocket.WebSocketTimeoutException):
            ws.recv()
        assert server.received == []  # not read either
        ws.settimeout(WAIT)
        server.stall(0)  # ends the stall now
        assert recv(ws)["type"] == "conversation.item.added"
        assert len(server.received) == 1


def test_stall_delays_new_connections() -> None:
    """A connection opened during a stall gets session.created when it ends."""
    with MockRealtimeServer() as server:
        server.stall(0.3)
        started = time.monotonic()
        with connect(server.url) as ws:
            assert recv(ws)["type"] == "session.created"
        assert time.monotonic() - started >= 0.2


@pytest.mark.parametrize(
    ("header", "created"),
    [
        ([], "session.created"),
        (["OpenAI-Beta: realtime=v1"], "transcription_session.created"),
    ],
)
def test_intent_transcription(header: list[str], created: str) -> None:
    """?intent=transcription opens a transcription session (beta: its own events)."""
    with MockRealtimeServer() as server:
        url = f"ws://127.0.0.1:{server.port}/v1/realtime?intent=transcription"
        with connect(url, header=header) as ws:
            first = recv(ws)
            audio = synth_speech("dictation", trail_ms=300)
            for i in range(0, len(audio), 4800):
                send(
                    ws,
                    type="input_audio_buffer.append",
                    audio=base64.b64encode(audio[i : i + 4800]).decode(),
                )
            events = recv_until(
                ws, "conversation.item.input_audio_transcription.completed"
            )

    assert first["type"] == created
    if not header:
        assert first["session"]["type"] == "transcription"
    assert events[-1]["transcript"] == "dictation"
    assert server.responders[0].session_type == "transcription"


def test_barge_in_over_the_socket() -> None:
    """Speech while a response streams: speech_started, then a cancelled response."""
    with MockRealtimeServer(delta_interval=0.05) as server, connect(server.url) as ws:
        recv(ws)
        send(ws, type="response.create")
        recv_until(ws, "response.content_part.added")
        audio = synth_speech("stop", trail_ms=0)
        send(
            ws, type="input_audio_buffer.append", audio=base64.b64encode(audio).decode()
        )
        events = recv_until(ws, "response.done")

    types = [e["type"] for e in events]
    assert "input_audio_buffer.speech_started" in types
    assert types.index("input_audio_buffer.speech_started") < len(types) - 1
    assert events[-1]["response"]["status_details"] == {
        "type": "cancelled",
        "reason": "turn_detected",
    }


def test_responder_factory_still_wins_over_intent() -> None:
    """A responder_factory decides the session, whatever the URL says."""
    with MockRealtimeServer(responder_factory=lambda: Responder()) as server:
        url = f"ws://127.0.0.1:{server.port}/v1/realtime?intent=transcription"
        with connect(url) as ws:
            assert recv(ws)["session"]["type"] == "realtime"
