"""Conversation state from events (no sockets): order, transcripts, audio retention."""

from __future__ import annotations

import base64
import tracemalloc

from realtime_sync import events as ev
from realtime_sync.conversation import Conversation, ItemChange


def _user(item_id: str) -> ev.UserMessage:
    return ev.UserMessage(
        id=item_id, content=[ev.InputAudio(transcript=None)], status="completed"
    )


def _assistant(item_id: str) -> ev.AssistantMessage:
    return ev.AssistantMessage(id=item_id, content=[], status="in_progress")


def _audio(
    item_id: str, nbytes: int, response_id: str = "resp_1"
) -> ev.ResponseOutputAudioDelta:
    return ev.ResponseOutputAudioDelta(
        event_id="e",
        response_id=response_id,
        item_id=item_id,
        output_index=0,
        content_index=0,
        delta=base64.b64encode(b"\x01\x00" * (nbytes // 2)).decode(),
    )


def test_items_follow_previous_item_id() -> None:
    """Items are ordered by previous_item_id, unknown or null ones appended."""
    conv = Conversation()
    conv.apply(
        ev.ConversationItemAdded(event_id="e", item=_user("a"), previous_item_id=None)
    )
    conv.apply(
        ev.ConversationItemAdded(event_id="e", item=_user("c"), previous_item_id="a")
    )
    conv.apply(
        ev.ConversationItemAdded(event_id="e", item=_user("b"), previous_item_id="a")
    )
    conv.apply(
        ev.ConversationItemAdded(event_id="e", item=_user("d"), previous_item_id="zzz")
    )
    assert [i.id for i in conv.items] == ["a", "b", "c", "d"]
    conv.apply(ev.ConversationItemDeleted(event_id="e", item_id="b"))
    assert [i.id for i in conv.items] == ["a", "c", "d"]


def test_late_and_early_transcripts_land_on_the_right_item() -> None:
    """A transcript before its item waits for it; one after the response attaches."""
    conv = Conversation()
    conv.apply(
        ev.ConversationItemInputAudioTranscriptionDelta(
            event_id="e", item_id="u2", delta="early "
        )
    )
    conv.apply(ev.ConversationItemAdded(event_id="e", item=_user("u1")))
    conv.apply(
        ev.ConversationItemAdded(event_id="e", item=_user("u2"), previous_item_id="u1")
    )
    conv.apply(
        ev.ConversationItemAdded(
            event_id="e", item=_assistant("a1"), previous_item_id="u2"
        )
    )
    conv.apply(
        ev.ConversationItemInputAudioTranscriptionCompleted(
            event_id="e",
            item_id="u1",
            content_index=0,
            transcript="first turn",
            usage=ev.TranscriptionUsageDuration(seconds=1.0),
        )
    )
    items = {i.id: i for i in conv.items}
    assert items["u1"].transcript == "first turn"
    assert items["u2"].transcript == "early "
    assert items["a1"].transcript == ""


def test_text_transcript_arguments_and_changes() -> None:
    """Deltas build text, transcript and arguments; callbacks get what changed."""
    conv = Conversation()
    changes: list[ItemChange] = []
    conv.on_change(changes.append)
    for e in (
        ev.ResponseOutputItemAdded(
            event_id="e", response_id="r", output_index=0, item=_assistant("a")
        ),
        ev.ResponseOutputTextDelta(
            event_id="e",
            response_id="r",
            item_id="a",
            output_index=0,
            content_index=0,
            delta="Hi",
        ),
        ev.ResponseOutputTextDelta(
            event_id="e",
            response_id="r",
            item_id="a",
            output_index=0,
            content_index=0,
            delta="!",
        ),
        ev.ResponseFunctionCallArgumentsDelta(
            event_id="e",
            response_id="r",
            item_id="f",
            output_index=1,
            call_id="c1",
            delta='{"x"',
        ),
        ev.ResponseFunctionCallArgumentsDone(
            event_id="e",
            response_id="r",
            item_id="f",
            output_index=1,
            call_id="c1",
            arguments='{"x": 1}',
            name="tool",
        ),
    ):
        conv.notify(conv.apply(e))
    a = conv.get("a")
    f = conv.get("f")
    assert a is not None and a.text == "Hi!" and a.response_id == "r"
    assert f is not None and (f.name, f.arguments, f.call_id) == (
        "tool",
        '{"x": 1}',
        "c1",
    )
    assert [(c.kind, c.delta) for c in changes][:3] == [
        ("added", None),
        ("text", "Hi"),
        ("text", "!"),
    ]


def test_truncate_keeps_only_what_was_heard() -> None:
    """conversation.item.truncated cuts the retained audio at audio_end_ms."""
    conv = Conversation()
    conv.apply(ev.ConversationItemAdded(event_id="e", item=_assistant("a")))
    conv.apply(_audio("a", 48000))  # 1 s of pcm16
    conv.apply(
        ev.ConversationItemTruncated(
            event_id="e", item_id="a", content_index=0, audio_end_ms=250
        )
    )
    item = conv.get("a")
    assert item is not None
    assert (
        len(item.audio_bytes) == 12000
        and item.audio_ms == 250
        and item.truncated_at_ms == 250
    )
    assert conv.retained_audio_bytes == 12000


def test_retention_bound_over_ten_minutes() -> None:
    """Ten minutes of assistant audio keep at most the bound; memory stays flat."""
    conv = Conversation(retention_seconds=60)
    chunk = _audio("x", 4800)  # 100 ms
    tracemalloc.start()
    try:
        for turn in range(60):  # 60 turns of 10 s = 10 minutes
            item_id = f"a{turn}"
            conv.apply(ev.ConversationItemAdded(event_id="e", item=_assistant(item_id)))
            delta = ev.ResponseOutputAudioDelta(
                event_id="e",
                response_id=f"r{turn}",
                item_id=item_id,
                output_index=0,
                content_index=0,
                delta=chunk.delta,
            )
            for _ in range(100):
                conv.apply(delta)
            if turn == 9:
                baseline, _ = tracemalloc.get_traced_memory()
        current, _peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert conv.retained_audio_bytes == 60 * 48000
    items = conv.items
    assert sum(len(i.audio_bytes) for i in items) == 60 * 48000
    assert (
        items[0].audio_bytes == b"" and items[0].audio_ms == 10000
    )  # dropped, still counted
    assert (
        current - baseline < 2 * 1024 * 1024
    )  # 50 more turns cost < 2 MiB beyond the bound


def test_zero_retention_keeps_no_audio() -> None:
    """retention_seconds=0 keeps no audio but still counts durations."""
    conv = Conversation(retention_seconds=0)
    conv.apply(ev.ConversationItemAdded(event_id="e", item=_assistant("a")))
    conv.apply(_audio("a", 4800))
    item = conv.get("a")
    assert item is not None and item.audio_bytes == b"" and item.audio_ms == 100
