"""Long sessions stay bounded.

The conversation mirror, the barge-in set, the tool runner's names, the playback
counters, and a mock server that does not record.
"""

from __future__ import annotations

import base64
import json
import tracemalloc
from typing import Any

import pytest

import realtime_sync as rs
from realtime_sync import events as ev
from realtime_sync.audio import PlaybackTracker
from realtime_sync.protocol import Codec
from realtime_sync.session import Conversation, SessionCore
from realtime_sync.testing import MockRealtimeServer
from realtime_sync.tools._runner import ToolRunner

GA = Codec("ga")


def server(data: dict[str, Any]) -> ev.ServerEvent:
    data.setdefault("event_id", "event_x")
    return GA.decode_server(json.dumps(data))


def item_added(item_id: str, previous: str | None = None) -> ev.ServerEvent:
    return server(
        {
            "type": "conversation.item.added",
            "previous_item_id": previous,
            "item": {
                "id": item_id,
                "type": "message",
                "role": "user",
                "status": "completed",
                "content": [{"type": "input_text", "text": f"text of {item_id}"}],
            },
        }
    )


def audio_delta(item: str, resp: str, pcm: bytes) -> ev.ServerEvent:
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


def response(kind: str, resp: str, output: list[Any] | None = None) -> ev.ServerEvent:
    return server(
        {
            "type": kind,
            "response": {
                "object": "realtime.response",
                "id": resp,
                "status": "in_progress" if kind == "response.created" else "completed",
                "output": output or [],
            },
        }
    )


def transcription(item_id: str, text: str) -> ev.ServerEvent:
    return server(
        {
            "type": "conversation.item.input_audio_transcription.completed",
            "item_id": item_id,
            "content_index": 0,
            "transcript": text,
        }
    )


# -- the conversation's item bound ----------------------------------------------------


def test_conversation_keeps_the_newest_items_up_to_max_items() -> None:
    """Past max_items the oldest items leave the mirror, with their audio."""
    conv = Conversation(retention_seconds=None, max_items=3)
    previous = None
    for n in range(10):
        conv.apply(item_added(f"item_{n}", previous))
        conv.audio_delta(audio_delta(f"item_{n}", "resp_1", b"\1\0" * 100), 200)  # type: ignore[arg-type]
        previous = f"item_{n}"
    assert [i.id for i in conv.items] == ["item_7", "item_8", "item_9"]
    assert conv.get("item_0") is None
    assert conv.retained_audio_bytes == 3 * 200  # the dropped items' audio is gone
    assert conv.max_items == 3


def test_conversation_item_bound_none_keeps_everything() -> None:
    """max_items=None is unbounded; bad bounds are refused."""
    conv = Conversation(max_items=None)
    for n in range(600):
        conv.apply(item_added(f"item_{n}"))
    assert len(conv) == 600
    with pytest.raises(ValueError):
        Conversation(max_items=0)
    with pytest.raises(TypeError):
        Conversation(max_items=2.5)  # type: ignore[arg-type]


def test_conversation_default_bounds() -> None:
    """The defaults: 500 items, 60 s of audio (documented in concepts.rst)."""
    conv = Conversation()
    for n in range(520):
        conv.apply(item_added(f"item_{n}"))
    assert len(conv) == 500
    assert conv.items[0].id == "item_20"
    second = b"\1\0" * 24_000
    for _ in range(90):
        delta = base64.b64encode(second).decode()
        conv.apply(
            server(
                {
                    "type": "response.output_audio.delta",
                    "response_id": "resp_1",
                    "item_id": "item_519",
                    "output_index": 0,
                    "content_index": 0,
                    "delta": delta,
                }
            )
        )
    assert conv.retained_audio_bytes == 60 * 48_000


def test_an_item_whose_audio_the_retention_dropped_costs_little() -> None:
    """Once the retention bound dropped all of an item's audio, the item is small.

    Two empty deques are 1.2 KB: kept for every assistant item of a long session,
    they were most of its growth before the item bound.
    """
    conv = Conversation(retention_seconds=0.01, max_items=None)
    delta = base64.b64encode(b"\0\0" * 2400).decode()
    events = [
        server(
            {
                "type": "response.output_audio.delta",
                "response_id": "resp_1",
                "item_id": f"item_{n:06d}",
                "output_index": 0,
                "content_index": 0,
                "delta": delta,
            }
        )
        for n in range(1000)
    ]
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for event in events:
            conv.apply(event)
        per_item = (tracemalloc.get_traced_memory()[0] - before) / len(events)
    finally:
        tracemalloc.stop()
    assert len(conv) == 1000
    assert conv.retained_audio_bytes <= 2 * 4800
    assert per_item < 600  # about 250 bytes; 1.76 KB with the empty deques


def test_transcripts_waiting_for_an_item_that_never_comes_are_bounded() -> None:
    """Transcripts of items never seen (or dropped) do not pile up."""
    conv = Conversation(max_items=2)
    for n in range(1000):
        conv.apply(transcription(f"gone_{n}", "hello"))
    assert len(conv._pending_final) <= 64
    # A transcript that races its item still lands on it.
    conv.apply(transcription("item_x", "late but here"))
    conv.apply(item_added("item_x"))
    item = conv.get("item_x")
    assert item is not None and item.transcript == "late but here"


def test_client_conversation_max_items_against_the_mock() -> None:
    """RealtimeClient(conversation_max_items=4) keeps the last 4 items of 4 turns."""
    with (
        MockRealtimeServer() as srv,
        rs.RealtimeClient(url=srv.url, conversation_max_items=4) as client,
    ):
        for n in range(4):
            reply = client.ask(f"turn {n}", timeout=10, output_modalities=["text"])
            assert reply.status == "completed"
        items = client.conversation.items
        assert len(items) == 4
        assert client.conversation.max_items == 4
        user = [i for i in items if i.role == "user"]
        assert [i.text for i in user] == ["turn 2", "turn 3"]


# -- barge-in: the interrupted responses --------------------------------------------


def test_interrupted_responses_are_forgotten_when_done() -> None:
    """Each barge-in remembers its response only until that response is done."""
    core = SessionCore(
        conversation=Conversation(), playback=PlaybackTracker, barge_in=True
    )
    started = server(
        {
            "type": "input_audio_buffer.speech_started",
            "audio_start_ms": 0,
            "item_id": "i",
        }
    )
    for n in range(50):
        rid, item = f"resp_{n}", f"item_{n}"
        core.receive(response("response.created", rid))
        core.receive(audio_delta(item, rid, b"\0\0" * 2400))
        playback = core.playback
        assert isinstance(playback, PlaybackTracker)
        playback.played(item, 1200)
        out = core.receive(started)
        assert out is not None and out.interruption is not None
        assert out.interruption.cancelled
        late = core.receive(audio_delta(item, rid, b"\0\0" * 240))
        assert late is not None and late.withhold  # still withheld until done
        core.receive(response("response.done", rid))
    assert core._suppressed == set()


# -- the tool runner's function names ------------------------------------------------


class _Inline:
    """An executor that answers every call at once, on the calling thread."""

    def submit(self, call_id: str, name: str, arguments: str, on_result: Any) -> None:
        on_result(call_id, json.dumps({"name": name}))


def _call_events(rid: str, n: int) -> list[ev.ServerEvent]:
    item = {
        "id": f"item_{rid}_{n}",
        "type": "function_call",
        "status": "completed",
        "name": "lookup",
        "call_id": f"call_{rid}_{n}",
        "arguments": "{}",
    }
    common = {"response_id": rid, "output_index": n}
    return [
        server({"type": "response.output_item.added", **common, "item": item}),
        server(
            {
                "type": "response.function_call_arguments.done",
                **common,
                "item_id": item["id"],
                "call_id": item["call_id"],
                "arguments": "{}",
            }
        ),
        server({"type": "response.output_item.done", **common, "item": item}),
    ]


def _feed(runner: ToolRunner, event: ev.ServerEvent) -> None:
    if isinstance(event, (ev.ResponseOutputItemAdded, ev.ResponseOutputItemDone)):
        runner.on_output_item(event)
    elif isinstance(event, ev.ResponseFunctionCallArgumentsDone):
        # A beta server leaves the name out: the runner must remember it.
        runner.on_arguments_done(
            event.__class__(**{**_fields(event), "name": ev.UNSET})
        )
    elif isinstance(event, ev.ResponseDone):
        runner.on_response_done(event)


def _fields(event: Any) -> dict[str, Any]:
    import attrs

    return {f.name: getattr(event, f.name) for f in attrs.fields(type(event)) if f.init}


def test_tool_runner_forgets_function_names_when_the_response_is_done() -> None:
    """Names by item id are kept per response and dropped at response.done."""
    sent: list[ev.ClientEvent] = []
    follow_ups: list[Any] = []
    runner = ToolRunner(
        _Inline(), sent.append, lambda modalities, after: follow_ups.append(modalities)
    )
    for r in range(100):
        rid = f"resp_{r}"
        for n in range(2):
            for event in _call_events(rid, n):
                _feed(runner, event)
        _feed(runner, response("response.done", rid))
    assert runner._names == {}
    assert len(follow_ups) == 100
    outputs = [e for e in sent if isinstance(e, ev.ConversationItemCreate)]
    assert len(outputs) == 200
    assert all(
        isinstance(e.item, ev.FunctionCallOutputItem)
        and '"lookup"' in str(e.item.output)
        for e in outputs
    )


def test_tool_runner_names_of_responses_never_done_are_bounded() -> None:
    """Responses whose response.done never came (a lost connection) are capped."""
    runner = ToolRunner(_Inline(), lambda e: None, lambda modalities, after: None)
    for r in range(200):
        for event in _call_events(f"resp_{r}", 0):
            _feed(runner, event)
    assert len(runner._names) <= 16


def test_tool_runner_forgets_a_batch_whose_output_could_not_be_sent() -> None:
    """A closed client: the call and its batch are dropped, not kept pending."""

    def closed(event: ev.ClientEvent) -> None:
        raise rs.ConnectionClosed("closed")

    runner = ToolRunner(_Inline(), closed, lambda modalities, after: None)
    for event in _call_events("resp_1", 0):
        _feed(runner, event)
    assert runner._calls == {} and runner._batches == {}


# -- playback counters ---------------------------------------------------------------


def test_playback_tracker_remembers_only_recent_items() -> None:
    """Thousands of items: the tracker keeps counters for the latest few only."""
    tracker = PlaybackTracker(max_items=8)
    for n in range(1000):
        tracker.received(f"item_{n}", 4800)
        tracker.played(f"item_{n}", 2400)
    assert len(tracker._items) == 8
    assert tracker.played_ms("item_999") == 100
    assert tracker.played_ms("item_992") == 100  # the 8th most recent
    assert tracker.played_ms("item_0") == 0  # forgotten: reads as unknown
    assert tracker.current_item == "item_999"
    with pytest.raises(ValueError):
        PlaybackTracker(max_items=0)


def test_playback_tracker_keeps_the_item_being_played_while_others_arrive() -> None:
    """The playing item stays while newer items' arrivals are reported."""
    tracker = PlaybackTracker(max_items=2)
    tracker.received("a", 24_000)
    tracker.played("a", 12_000)
    tracker.received("b", 100)
    tracker.played("a", 1200)  # a is touched again: b is now the oldest
    tracker.received("c", 100)
    assert tracker.played_ms("a") == 550
    assert tracker.played_samples("b") == 0


# -- the mock server without recording -----------------------------------------------


def test_mock_server_record_false_keeps_no_frames() -> None:
    """record=False: nothing received or sent is kept; closed responders go."""
    with MockRealtimeServer(record=False) as srv:
        with rs.RealtimeClient(url=srv.url) as client:
            reply = client.ask("hello", timeout=10, output_modalities=["text"])
            assert reply.status == "completed"
            assert len(srv.responders) == 1
        assert srv._received == [] and srv._sent == []
        with pytest.raises(RuntimeError, match="record=False"):
            srv.received  # noqa: B018
        with pytest.raises(RuntimeError, match="record=False"):
            srv.sent  # noqa: B018
        with pytest.raises(RuntimeError):
            srv.wait_for_sent("response.done", timeout=0)
        with pytest.raises(RuntimeError):
            srv.wait_for_received("response.create", timeout=0)
        # The handler thread ends after the client closes; then its Responder goes.
        for thread in list(srv._handler_threads):
            thread.join(5)
        assert srv.responders == []


def test_mock_server_records_by_default() -> None:
    """The default keeps everything for tests."""
    with MockRealtimeServer() as srv:
        with rs.RealtimeClient(url=srv.url) as client:
            client.ask("hello", timeout=10, output_modalities=["text"])
        srv.wait_for_received("response.create")
        assert any('"response.done"' in f for f in srv.sent)
        assert len(srv.responders) == 1
