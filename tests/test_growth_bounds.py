"""Long sessions stay bounded.

The conversation mirror, the barge-in set, the tool runner's names, the playback
counters, and a mock server that does not record.
"""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

import realtime_sync as rs
from realtime_sync import events as ev
from realtime_sync.protocol import Codec
from realtime_sync.session import Conversation
from realtime_sync.testing import MockRealtimeServer

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
