"""Client features over the mock server: sequencing, usage, timings, recording, state."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import realtime_sync as rs
from realtime_sync import events as ev
from realtime_sync.testing import MockRealtimeServer
from tests.helpers import EventRecorder


def test_overlapping_responses_are_sequenced() -> None:
    """Two create_response() calls at once give two responses and no server error."""
    errors = EventRecorder()
    with MockRealtimeServer(delta_interval=0.005) as server:
        with rs.RealtimeClient(url=server.url) as client:
            client.on(ev.Error, errors)
            client.send_text("first")
            h1 = client.create_response(output_modalities=["text"])
            h2 = client.create_response(
                output_modalities=["text"], instructions="Say: second"
            )
            r1, r2 = h1.wait(10), h2.wait(10)
        assert (r1.status, r2.status) == ("completed", "completed")
        assert r1.id != r2.id and r2.text == "second"
        assert errors.items == []
        creates = [e for e in server.received if isinstance(e, ev.ResponseCreate)]
        assert len(creates) == 2


def test_out_of_band_responses_are_not_queued() -> None:
    """A conversation='none' response runs beside the default one."""
    with (
        MockRealtimeServer(delta_interval=0.005) as server,
        rs.RealtimeClient(url=server.url) as client,
    ):
        client.send_text("hello")
        h1 = client.create_response(output_modalities=["text"])
        h2 = client.create_response(
            output_modalities=["text"],
            conversation="none",
            instructions="Say: aside",
        )
        assert h2.wait(10).text == "aside"
        assert h1.wait(10).status == "completed"


def test_usage_totals_and_timings() -> None:
    """client.usage sums response.done usage; Response.timings are measured."""
    with (
        MockRealtimeServer() as server,
        rs.RealtimeClient(url=server.url) as client,
    ):
        r1 = client.ask("one", timeout=10, output_modalities=["text"])
        r2 = client.ask("two", timeout=10)
        usage = client.usage
    assert usage.responses == 2
    assert r1.usage is not None and r2.usage is not None
    assert usage.total_tokens == (r1.usage.total_tokens or 0) + (
        r2.usage.total_tokens or 0
    )
    assert usage.output_audio_tokens > 0
    t = r2.timings
    assert t.measured_from == "response.create"
    assert t.first_audio_ms is not None and t.done_ms is not None
    assert 0 <= t.first_audio_ms <= t.done_ms
    assert r1.timings.first_text_ms is not None and r1.timings.first_audio_ms is None


def test_conversation_state_from_a_turn() -> None:
    """client.conversation holds the user and assistant items of a turn."""
    with (
        MockRealtimeServer() as server,
        rs.RealtimeClient(url=server.url) as client,
    ):
        reply = client.ask("state please", timeout=10)
        items = client.conversation.items
    user, assistant = items[-2], items[-1]
    assert (user.role, user.text) == ("user", "state please")
    assert assistant.role == "assistant" and assistant.transcript == reply.transcript
    assert assistant.audio_bytes == reply.audio_bytes and assistant.audio_ms > 0


def test_record_and_replay(tmp_path: Path) -> None:
    """record= writes both directions without keys; replay() feeds the handlers."""
    path = tmp_path / "session.jsonl"
    with (
        MockRealtimeServer() as server,
        rs.RealtimeClient(
            url=server.url, api_key="sk-secret-key", record=path
        ) as client,
    ):
        live = client.ask("recorded", timeout=10, output_modalities=["text"])
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    assert {line["dir"] for line in lines} == {"send", "recv"}
    assert "sk-secret-key" not in path.read_text()
    replayed = rs.RealtimeClient(url="ws://127.0.0.1:9/unused")
    seen = EventRecorder()
    replayed.on(ev.ResponseOutputTextDelta, lambda e: seen(e.delta))
    count = rs.replay(path, replayed)
    assert count == sum(1 for line in lines if line["dir"] == "recv")
    assert "".join(seen.items) == live.text
    assert [i.text for i in replayed.conversation.items][-1] == live.text


def test_replay_refuses_bad_files(tmp_path: Path) -> None:
    """A file that is not a recording gives a ValueError with the line number."""
    path = tmp_path / "bad.jsonl"
    path.write_text('{"t": 0, "dir": "recv", "frame": "{}"}\nnot json\n')
    client = rs.RealtimeClient(url="ws://127.0.0.1:9/unused")
    with pytest.raises(ValueError, match=":2:"):
        rs.replay(path, client)


def test_recent_responses_keep_audio_within_the_retention_bound() -> None:
    """client.responses holds at most audio_retention_seconds of audio; handles all."""
    with (
        MockRealtimeServer(audio_ms=200) as server,  # 200 ms of audio per reply
        rs.RealtimeClient(url=server.url, audio_retention_seconds=0.5) as client,
    ):
        replies = [client.ask(f"turn {n}", timeout=10) for n in range(4)]
        kept = client.responses
    assert all(len(r.audio_bytes) == 9600 for r in replies)  # 200 ms, pcm16
    assert [len(r.audio_bytes) for r in kept] == [0, 0, 9600, 9600]
    assert [r.transcript for r in kept] == [r.transcript for r in replies]


def test_responses_nobody_waited_for_keep_their_audio_within_the_bound() -> None:
    """Responses started without a handle are in client.responses, audio and all.

    Their audio is decoded when client.responses is read, not at response.done: what
    is read must be the deltas as they came, within the retention bound, and the
    same objects on a second read.
    """
    deltas = EventRecorder()
    done = EventRecorder()
    with (
        MockRealtimeServer(audio_ms=200) as server,  # 200 ms of audio per reply
        rs.RealtimeClient(url=server.url, audio_retention_seconds=0.5) as client,
    ):
        client.on(
            ev.ResponseOutputAudioDelta, lambda e: deltas((e.response_id, e.audio))
        )
        client.on(ev.ResponseDone, done)
        for n in range(4):
            client.send_text(f"turn {n}")
            client.send(ev.ResponseCreate())  # no handle: nobody waits for it
            done.wait_until(lambda items, n=n: len(items) == n + 1, timeout=10)
        kept = client.responses
        again = client.responses
    assert [r.id for r in kept] == [e.response.id for e in done.items]
    heard = {
        rid: b"".join(a.tobytes() for r, a in deltas.items if r == rid)
        for rid in {r for r, _ in deltas.items}
    }
    assert all(len(heard[r.id]) == 9600 for r in kept)  # 200 ms of pcm16 each
    # 0.5 s of retention holds the last two 200 ms replies; older ones lose theirs.
    assert [r.audio_bytes for r in kept] == [
        b"",
        b"",
        heard[kept[2].id],
        heard[kept[3].id],
    ]
    assert [r.transcript for r in kept] == [f"You said: turn {n}" for n in range(4)]
    assert all(a is b for a, b in zip(kept, again, strict=True))
