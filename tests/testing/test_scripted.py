"""ScriptedResponder and ReplayResponder, without and with a socket."""

from __future__ import annotations

import contextlib
import json
import pathlib
from collections.abc import Iterator
from typing import Any

import pytest
import websocket

from realtime_sync import events as ev
from realtime_sync.testing import (
    MockRealtimeServer,
    RawFrame,
    ReplayResponder,
    ScriptedResponder,
)

pytestmark = pytest.mark.timeout(10)
WAIT = 5.0

USER_HI = ev.ConversationItemCreate(
    event_id="c1", item=ev.UserMessage(content=[ev.InputText(text="hi")])
)


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


# -- ScriptedResponder -----------------------------------------------------------------


def test_script_steps_answer_in_order() -> None:
    """Each matched step returns its events; dicts become GA event objects."""
    added = ev.ConversationItemAdded(
        event_id="e2", item=ev.UserMessage(id="item_1", content=[])
    )
    script = (
        ScriptedResponder()
        .expect("session.update")
        .emit({"type": "session.updated", "session": {"type": "realtime"}})
        .expect(ev.ConversationItemCreate, lambda e: e.item.content[0].text == "hi")
        .emit(added)
    )
    assert [e.type for e in script.start()] == ["session.created"]

    updated = script.handle(ev.SessionUpdate(session=ev.RealtimeSession()))
    assert isinstance(updated[0], ev.SessionUpdated)
    assert updated[0].event_id == "event_script_1"
    before = script.done
    assert script.handle(USER_HI) == [added]
    assert (before, script.done) == (False, True)
    script.assert_done()


def test_unexpected_event_is_an_error_and_a_failure() -> None:
    """A wrong event gets an error (with its event_id); assert_done reports it."""
    script = ScriptedResponder().expect("response.create")

    answer = script.handle(USER_HI)

    assert isinstance(answer[0], ev.Error)
    assert answer[0].error.code == "unexpected_event"
    assert answer[0].error.event_id == "c1"
    assert "expected response.create, got conversation.item.create" in (
        answer[0].error.message
    )
    assert script.handle(ev.ResponseCreate()) == []  # still on the same step
    with pytest.raises(AssertionError, match=r"got conversation\.item\.create"):
        script.assert_done()


def test_predicate_mismatch_and_events_after_the_end() -> None:
    """A failing predicate, and any event after the last step, are failures."""
    script = ScriptedResponder().expect(ev.ConversationItemCreate, lambda e: False)
    script.handle(USER_HI)
    done = ScriptedResponder()
    late = done.handle(ev.ResponseCreate())

    assert isinstance(late[0], ev.Error)
    with pytest.raises(AssertionError, match="matching the predicate"):
        script.assert_done()
    with pytest.raises(AssertionError, match="after the script ended"):
        done.assert_done()


def test_unmet_steps_fail_assert_done_and_wait_done() -> None:
    """Steps never reached are listed; wait_done times out naming the step."""
    script = ScriptedResponder().expect("session.update").expect("response.create")
    script.handle(ev.SessionUpdate(session=ev.RealtimeSession()))

    with pytest.raises(AssertionError, match=r"step 2: expected response\.create"):
        script.assert_done()
    with pytest.raises(TimeoutError, match="step 2 of 2"):
        script.wait_done(timeout=0.01)


def test_on_connect_ignore_and_early_emits() -> None:
    """on_connect replaces session.created; emits before a step follow it."""
    script = ScriptedResponder(
        on_connect=[{"type": "session.created", "session": {"type": "realtime"}}],
        ignore=("input_audio_buffer.append",),
    ).emit({"type": "conversation.created", "conversation": {"id": "conv_1"}})

    assert [e.type for e in script.start()] == [
        "session.created",
        "conversation.created",
    ]
    assert script.handle(ev.InputAudioBufferAppend(audio="AAAA")) == []
    assert script.received == []
    script.assert_done()


def test_expect_rejects_non_event_types() -> None:
    """expect() takes a type string or a client event class."""
    with pytest.raises(TypeError):
        ScriptedResponder().expect(ev.SessionCreated)  # type: ignore[arg-type]


def test_script_over_a_socket_in_beta() -> None:
    """The server sends the script's GA events in the connection's dialect."""
    script = (
        ScriptedResponder()
        .expect("conversation.item.create")
        .emit(
            {
                "type": "response.output_text.delta",
                "response_id": "r",
                "item_id": "i",
                "output_index": 0,
                "content_index": 0,
                "delta": "scripted",
            }
        )
    )
    with (
        MockRealtimeServer(responder_factory=lambda: script) as server,
        connect(server.url, header=["OpenAI-Beta: realtime=v1"]) as ws,
    ):
        assert json.loads(ws.recv())["type"] == "session.created"
        ws.send(
            json.dumps(
                {
                    "type": "conversation.item.create",
                    "item": {
                        "type": "message",
                        "role": "user",
                        "content": [{"type": "input_text", "text": "hi"}],
                    },
                }
            )
        )
        delta = json.loads(ws.recv())
        script.wait_done(WAIT)

    assert delta["type"] == "response.text.delta"
    assert delta["delta"] == "scripted"
    script.assert_done()


# -- ReplayResponder -------------------------------------------------------------------


def write_recording(path: pathlib.Path, records: list[dict[str, Any]]) -> None:
    """Write JSON lines."""
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")


RECORDING: list[dict[str, Any]] = [
    {"t": 10.0, "dir": "recv", "frame": '{"type":"session.created","event_id":"e1"}'},
    {"t": 10.1, "dir": "send", "frame": '{"type":"response.create"}'},
    {"t": 10.5, "dir": "recv", "frame": '{"type":"response.created","event_id":"e2"}'},
    {"t": 10.75, "dir": "recv", "frame": "not json, replayed as is"},
]


def test_replay_reads_server_frames_with_their_delays(tmp_path: pathlib.Path) -> None:
    """Only recv frames,, in order; paced delays are the recorded gaps / speed."""
    path = tmp_path / "rec.jsonl"
    write_recording(path, RECORDING)

    instant = ReplayResponder(path)
    paced = ReplayResponder(path, paced=True, speed=2.0)

    assert [f.delay for f in instant.frames] == [0.0, 0.0, 0.0]
    assert [f.delay for f in paced.frames] == pytest.approx([0.0, 0.25, 0.125])
    assert instant.start() == [] and instant.handle(ev.ResponseCreate()) == []
    pulled = []
    while (frame := instant.next_frame()) is not None:
        pulled.append(frame)
    assert pulled == [
        RawFrame(text=r["frame"]) for r in RECORDING if r["dir"] == "recv"
    ]
    assert instant.active_responses == []


def test_replay_rejects_bad_records(tmp_path: pathlib.Path) -> None:
    """A line that is not a frame record is a ValueError naming the line."""
    path = tmp_path / "bad.jsonl"
    path.write_text(
        '{"t": 1, "dir": "recv", "frame": "x"}\n{"t": 2}\n', encoding="utf-8"
    )

    with pytest.raises(ValueError, match=":2:"):
        ReplayResponder(path)
    with pytest.raises(ValueError, match="speed"):
        ReplayResponder(path, speed=0)


def test_replay_over_a_socket(tmp_path: pathlib.Path) -> None:
    """The client receives the recorded frames verbatim; sent records them."""
    path = tmp_path / "rec.jsonl"
    write_recording(path, RECORDING)
    with (
        MockRealtimeServer(
            responder_factory=lambda: ReplayResponder(path, paced=True, speed=50.0)
        ) as server,
        connect(server.url) as ws,
    ):
        got = [ws.recv() for _ in range(3)]

    expected = [r["frame"] for r in RECORDING if r["dir"] == "recv"]
    assert got == expected
    assert server.sent == expected
