"""Barge-in against the mock server: truncate at what was played, or delete, or nothing."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

import realtime_sync as rs
from realtime_sync import events as ev
from realtime_sync.testing import MockRealtimeServer, Responder, synth_speech
from tests.helpers import EventRecorder


def _speak(client: rs.RealtimeClient, text: str) -> None:
    speech = synth_speech(text, format="audio/pcm", trail_ms=700)
    for start in range(0, len(speech), 960):
        client.append_audio(speech[start : start + 960])


@pytest.fixture
def paced() -> Iterator[MockRealtimeServer]:
    """A server that streams a 3 s spoken answer at real-time pace."""
    with MockRealtimeServer(
        pace="realtime", responder_factory=lambda: Responder(audio_ms=3000)
    ) as srv:
        yield srv


def _start_answer(client: rs.RealtimeClient) -> tuple[EventRecorder, EventRecorder]:
    audio = EventRecorder()
    errors = EventRecorder()
    client.on(ev.ResponseOutputAudioDelta, audio)
    client.on(ev.Error, errors)
    client.send_text("tell me a long story")
    client.create_response()
    audio.wait_until(lambda items: len(items) >= 1, timeout=10)
    return audio, errors


def test_barge_in_mid_answer_truncates_at_played_position(
    paced: MockRealtimeServer,
) -> None:
    """Speech while the answer streams: no more audio to handlers, truncate at played ms."""
    interrupts = EventRecorder()
    truncated = EventRecorder()
    with rs.RealtimeClient(url=paced.url, barge_in=True) as client:
        client.on_interrupt(interrupts)
        client.on(ev.ConversationItemTruncated, truncated)
        audio, errors = _start_answer(client)
        item_id = audio.items[0].item_id
        client.playback.played(item_id, 1200)  # the player played 50 ms
        _speak(client, "stop please")
        [cut] = interrupts.wait_until(lambda items: len(items) == 1, timeout=10)
        [done] = truncated.wait_until(lambda items: len(items) == 1, timeout=10)
        rid = cut.response_id
        seen_after = sum(1 for e in audio.items if e.response_id == rid)
        client.wait_for(
            ev.ResponseDone, lambda e: e.response.status == "completed", timeout=15
        )
        assert (cut.item_id, cut.played_ms, cut.action, cut.cancelled) == (
            item_id,
            50,
            "truncate",
            True,
        )
        assert (done.item_id, done.audio_end_ms) == (item_id, 50)
        # The interrupted answer's remaining audio was held back from handlers.
        assert sum(1 for e in audio.items if e.response_id == rid) == seen_after
        assert errors.items == []
        item = client.conversation.get(item_id)
        assert item is not None and item.truncated_at_ms == 50


def test_barge_in_before_anything_played_deletes_the_item(
    paced: MockRealtimeServer,
) -> None:
    """Nothing heard yet: the assistant item is deleted instead of truncated."""
    deleted = EventRecorder()
    with rs.RealtimeClient(url=paced.url, barge_in=True) as client:
        client.on(ev.ConversationItemDeleted, deleted)
        audio, errors = _start_answer(client)
        item_id = audio.items[0].item_id
        _speak(client, "stop")
        [gone] = deleted.wait_until(lambda items: len(items) == 1, timeout=10)
        assert gone.item_id == item_id
        assert client.conversation.get(item_id) is None
        assert errors.items == []


def test_no_truncate_when_playback_had_finished() -> None:
    """Everything was played: speech starts a new turn and nothing is cut."""
    interrupts = EventRecorder()
    with (
        MockRealtimeServer() as server,
        rs.RealtimeClient(url=server.url, barge_in=True) as client,
    ):
        client.on_interrupt(interrupts)
        reply = client.ask("short answer", timeout=10)
        item_id = client.conversation.items[-1].id
        client.playback.played(item_id, len(reply.audio))
        answered = EventRecorder()
        client.on(ev.ResponseDone, answered)
        _speak(client, "next question")
        answered.wait_until(lambda items: len(items) == 1, timeout=10)
        assert interrupts.items == []
        sent = [type(e) for e in server.received]
        assert (
            ev.ConversationItemTruncate not in sent
            and ev.ConversationItemDelete not in sent
        )
