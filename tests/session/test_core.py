"""The sans-I/O session core: plain calls, no thread, no socket, no server."""

from __future__ import annotations

import ast
import base64
import json
import pathlib
from typing import Any

import numpy as np

import realtime_sync
from realtime_sync import events as ev
from realtime_sync.audio import PlaybackTracker, ulaw_decode
from realtime_sync.protocol import Codec
from realtime_sync.reconnect import OutageBuffer
from realtime_sync.session import REQUEST_KEY, Conversation, Effects, SessionCore

GA = Codec("ga")


class Handle:
    """A stand-in for a ResponseHandle: the core only reads and sets two fields."""

    def __init__(self, request_id: str) -> None:
        self.request_id = request_id
        self.response_id: str | None = None


def server(data: dict[str, Any]) -> ev.ServerEvent:
    data.setdefault("event_id", "event_x")
    return GA.decode_server(json.dumps(data))


def core(dialect: str = "ga", barge_in: bool | None = None) -> SessionCore:
    return SessionCore(
        conversation=Conversation(),
        playback=PlaybackTracker,
        dialect=dialect,
        barge_in=barge_in,
    )


def audio_delta(
    pcm: bytes, item: str = "item_1", resp: str = "resp_1"
) -> ev.ServerEvent:
    return server(
        {
            "type": "response.output_audio.delta",
            "response_id": resp,
            "item_id": item,
            "output_index": 0,
            "content_index": 0,
            "delta": base64.b64encode(pcm).decode(),
        }
    )


def created(resp: str, request_id: str | None = None) -> ev.ServerEvent:
    response: dict[str, Any] = {
        "object": "realtime.response",
        "id": resp,
        "status": "in_progress",
        "conversation_id": "conv_1",
        "output": [],
    }
    if request_id is not None:
        response["metadata"] = {REQUEST_KEY: request_id}
    return server({"type": "response.created", "response": response})


def done(resp: str) -> ev.ServerEvent:
    return server(
        {
            "type": "response.done",
            "response": {
                "object": "realtime.response",
                "id": resp,
                "status": "completed",
                "conversation_id": "conv_1",
                "output": [],
            },
        }
    )


def request(event_id: str) -> ev.ResponseCreate:
    return ev.ResponseCreate(
        event_id=event_id,
        response=ev.ResponseCreateParams(metadata={REQUEST_KEY: event_id}),
    )


def test_audio_delta_is_kept_once_and_resolves_the_handle_at_done() -> None:
    """An audio delta updates the conversation and the response; done resolves it."""
    c = core()
    handle = Handle("evt_1")
    assert c.request_response(handle, request("evt_1")) is True
    assert c.receive(created("resp_1", "evt_1")) is None
    assert handle.response_id == "resp_1"
    pcm = np.arange(480, dtype="<i2").tobytes()
    assert c.receive(audio_delta(pcm)) is None  # nothing to do beyond delivering it
    item = c.conversation.get("item_1")
    assert item is not None and item.audio_bytes == pcm
    out = c.receive(done("resp_1"))
    assert isinstance(out, Effects)
    [(resolved, response)] = out.resolved
    assert resolved is handle
    assert response.audio_bytes == pcm and response.status == "completed"


def test_a_second_request_waits_for_the_first_response() -> None:
    """Default-conversation requests are sequenced: the second goes at the first's done."""
    c = core()
    first, second = Handle("evt_1"), Handle("evt_2")
    assert c.request_response(first, request("evt_1")) is True
    assert c.request_response(second, request("evt_2")) is False
    c.receive(created("resp_1", "evt_1"))
    out = c.receive(done("resp_1"))
    assert out is not None
    assert [h for h, _ in out.requests] == [second]


def test_beta_synthesizes_item_done_for_created_items_only() -> None:
    """Beta gets conversation.item.done for a client item; GA does not need one."""
    added = {
        "type": "conversation.item.added",
        "item": {
            "id": "item_9",
            "type": "message",
            "role": "user",
            "content": [{"type": "input_text", "text": "hi"}],
        },
    }
    out = core("beta").receive(server(dict(added)))
    assert out is not None
    assert [type(e) for e in out.extra] == [ev.ConversationItemDone]
    assert core("ga").receive(server(dict(added))) is None


def test_barge_in_truncates_at_what_was_played_and_withholds_the_rest() -> None:
    """speech_started over playing audio: truncate at the played ms, hide later audio."""
    c = core(barge_in=True)
    c.receive(created("resp_1"))
    c.receive(audio_delta(b"\0\0" * 24_000))  # one second received
    c.playback.played("item_1", 12_000)  # half of it played
    started = server(
        {
            "type": "input_audio_buffer.speech_started",
            "audio_start_ms": 0,
            "item_id": "i",
        }
    )
    out = c.receive(started)
    assert out is not None and out.interruption is not None
    assert out.interruption.action == "truncate"
    assert out.interruption.played_ms == 500
    [truncate] = out.send  # the server interrupts by itself: no cancel
    assert isinstance(truncate, ev.ConversationItemTruncate)
    assert truncate.audio_end_ms == 500
    later = c.receive(audio_delta(b"\0\0" * 100))
    assert later is not None and later.withhold


def test_audio_is_decoded_in_the_session_output_format() -> None:
    """decode_audio reads G.711 in a pcmu session, where event.audio reads PCM16."""
    c = core()
    c.receive(
        server(
            {
                "type": "session.created",
                "session": {
                    "type": "realtime",
                    "audio": {"output": {"format": {"type": "audio/pcmu"}}},
                },
            }
        )
    )
    g711 = bytes(range(0, 256, 3))
    delta = audio_delta(g711)
    assert isinstance(delta, ev.ResponseOutputAudioDelta)
    np.testing.assert_array_equal(c.decode_audio(delta), ulaw_decode(g711))
    assert len(delta.audio) != len(g711)  # the PCM16 reading gets the length wrong
    assert c.playback.sample_rate == 8000


def test_an_event_is_held_once_during_an_outage() -> None:
    """The same request reaching the outage buffer twice is held once."""
    buffer = OutageBuffer(audio_bytes=48_000)
    event = request("evt_7")
    buffer.add(event)
    buffer.add(event)
    assert buffer.take() == [event]


def test_sending_session_updates_merges_what_a_new_session_needs() -> None:
    """Every session.update sent is merged into the one a reconnection re-sends."""
    c = core()
    c.sending(ev.SessionUpdate(session=ev.RealtimeSession(instructions="Be brief.")))
    c.sending(ev.SessionUpdate(session=ev.RealtimeSession(output_modalities=["text"])))
    update = c.restore_session_event()
    assert update is not None and isinstance(update.session, ev.RealtimeSession)
    assert update.session.instructions == "Be brief."
    assert update.session.output_modalities == ["text"]


def _append(n: int, ms: int = 100) -> ev.InputAudioBufferAppend:
    """An append of ``ms`` of pcm16 at 24 kHz, ``event_id`` ``a<n>``."""
    pcm = bytes(48 * ms)
    return ev.InputAudioBufferAppend(
        event_id=f"a{n}", audio=base64.b64encode(pcm).decode()
    )


def _ids(events: list[ev.ClientEvent]) -> list[str | None]:
    return [e.event_id if isinstance(e.event_id, str) else None for e in events]


def test_input_audio_is_logged_until_the_server_commits_it() -> None:
    """A manual commit: what the committed event acknowledges is not kept."""
    c = SessionCore(
        conversation=Conversation(), playback=PlaybackTracker, input_audio_seconds=2
    )
    for n in range(3):
        c.sending(_append(n))
    c.sending(ev.InputAudioBufferCommit(event_id="c1"))
    c.sending(_append(3))
    c.sending(_append(4), held=True)  # held for the next connection: not yet
    assert _ids(c.take_uncommitted()[0]) == ["a0", "a1", "a2", "c1", "a3"]
    for n in range(3):
        c.sending(_append(n))
    c.sending(ev.InputAudioBufferCommit(event_id="c1"))
    c.sending(_append(3))
    c.receive(server({"type": "input_audio_buffer.committed", "item_id": "item_1"}))
    assert c.take_uncommitted() == ([_append(3)], 0)


def test_a_vad_commit_keeps_the_audio_after_audio_end_ms() -> None:
    """Server VAD commits up to speech_stopped's audio_end_ms, in connection time."""
    c = SessionCore(
        conversation=Conversation(), playback=PlaybackTracker, input_audio_seconds=2
    )
    for n in range(5):
        c.sending(_append(n))  # 0-500 ms of this connection
    c.receive(
        server(
            {
                "type": "input_audio_buffer.speech_stopped",
                "audio_end_ms": 250,
                "item_id": "item_1",
            }
        )
    )
    c.receive(server({"type": "input_audio_buffer.committed", "item_id": "item_1"}))
    # 0-200 ms were committed; the append of 200-300 ms straddles: kept whole.
    assert _ids(c.take_uncommitted()[0]) == ["a2", "a3", "a4"]
    c.new_connection()
    c.resending(_append(9))  # the new connection's timeline starts at 0
    c.receive(
        server(
            {
                "type": "input_audio_buffer.speech_stopped",
                "audio_end_ms": 100,
                "item_id": "item_2",
            }
        )
    )
    c.receive(server({"type": "input_audio_buffer.committed", "item_id": "item_2"}))
    assert c.take_uncommitted() == ([], 0)


def test_a_clear_a_failed_commit_and_a_failed_send_update_the_log() -> None:
    c = SessionCore(
        conversation=Conversation(), playback=PlaybackTracker, input_audio_seconds=2
    )
    c.sending(_append(0))
    c.sending(ev.InputAudioBufferClear(event_id="x1"))  # nothing before it matters
    c.sending(_append(1))
    c.sending(ev.InputAudioBufferCommit(event_id="c1"))
    empty = {
        "type": "error",
        "error": {
            "type": "invalid_request_error",
            "code": "input_audio_buffer_commit_empty",
            "message": "buffer too small",
            "event_id": "c1",
        },
    }
    out = c.receive(server(dict(empty)))
    assert out is not None and out.report == []  # a commit of this session: benign
    failed = _append(2)
    c.sending(failed)
    c.withdraw(failed)  # QueueFull: never sent
    assert _ids(c.take_uncommitted()[0]) == ["a1"]
    # A commit sent after a reconnection that finds the buffer empty is reported.
    c.new_connection()
    c.resending(ev.InputAudioBufferCommit(event_id="c1"))
    out = c.receive(server(dict(empty)))
    assert out is not None
    (lost,) = out.report
    assert isinstance(lost, realtime_sync.AudioLost) and "c1" in str(lost)


def test_uncommitted_audio_beyond_the_bound_is_counted_not_kept() -> None:
    c = SessionCore(
        conversation=Conversation(), playback=PlaybackTracker, input_audio_seconds=0.3
    )
    c.sending(ev.InputAudioBufferCommit(event_id="c0"))
    for n in range(5):
        c.sending(_append(n))
    assert c.take_uncommitted() == (
        [ev.InputAudioBufferCommit(event_id="c0"), _append(2), _append(3), _append(4)],
        200,
    )
    # Without a reconnection policy nothing is logged.
    plain = core()
    plain.sending(_append(0))
    assert plain.take_uncommitted() == ([], 0)


# Network I/O, anywhere below the session core.
_IO = {
    "socket",
    "select",
    "selectors",
    "ssl",
    "websocket",
    "asyncio",
    "http",
    "urllib3",
}


def _imports(path: pathlib.Path) -> set[str]:
    """Modules a file imports (``from pkg import mod`` counts ``pkg.mod`` too)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def _file(root: pathlib.Path, module: str) -> pathlib.Path | None:
    """The file that importing ``module`` (of realtime_sync) runs, if it is one."""
    path = root.joinpath(*module.split(".")[1:])
    if path.is_dir():
        return path / "__init__.py"
    return path.with_suffix(".py") if path.with_suffix(".py").exists() else None


def test_the_session_core_imports_nothing_that_does_io() -> None:
    """realtime_sync.session imports no threads; nothing it imports does network I/O.

    Lazy imports inside functions count too (the walk reads every import). Below
    the session, the Codec's once-per-process converter build keeps its lock.
    """
    root = pathlib.Path(realtime_sync.__file__).parent
    todo = [str(f) for f in (root / "session").glob("*.py")]
    seen: set[str] = set()
    while todo:
        file = todo.pop()
        if file in seen:
            continue
        seen.add(file)
        own = "/session/" in file
        assert not (own and "sleep(" in pathlib.Path(file).read_text()), file
        for module in _imports(pathlib.Path(file)):
            top = module.split(".")[0]
            assert top not in _IO, f"{file} imports {module}"
            assert not (own and top in ("threading", "time")) or module == "time", (
                f"{file} imports {module}"
            )
            if module.startswith("realtime_sync.") and not module.startswith(
                "realtime_sync.audio"  # numpy maths, reached lazily for decoding
            ):
                target = _file(root, module)
                if target is not None:
                    todo.append(str(target))
    assert str(root / "session" / "_core.py") in seen
