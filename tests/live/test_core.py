"""The sans-I/O Live core: turns, acknowledgements, delegations, tools, usage, carry-over."""

from __future__ import annotations

import itertools
import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from realtime_sync.live import MAX_INPUT_MESSAGES
from realtime_sync.live._core import UNCONFIRMED, LiveCore, LiveEffects
from realtime_sync.live._turns import TurnBuilder
from realtime_sync.live.codec import LiveCodec

CODEC = LiveCodec()


def server(data: dict[str, Any]) -> Any:
    data.setdefault("event_id", "event_1")
    return CODEC.decode_server(json.dumps(data))


def client(data: dict[str, Any]) -> Any:
    return CODEC.decode_client(json.dumps(data))


def make_core(**config: Any) -> LiveCore:
    return LiveCore(
        {"model": "gpt-live-1", **config},
        client,
        CODEC.to_dict,
        turn_gap_ms=1000,
    )


def started(core: LiveCore, session_id: str = "live_1") -> None:
    out = core.receive(
        server(
            {
                "type": "session.started",
                "session": {
                    "id": session_id,
                    "model": "gpt-live-1",
                    "expires_at": 0,
                    "status": "active",
                },
            }
        )
    )
    assert out is not None and out.session_created


def said(core: LiveCore, role: str, text: str, start: int, end: int) -> Any:
    kind = "input" if role == "user" else "output"
    return core.receive(
        server(
            {
                "type": f"session.{kind}_transcript.delta",
                "delta": text,
                "start_ms": start,
                "end_ms": end,
            }
        )
    )


def test_transcripts_group_into_turns_by_timeline() -> None:
    core = make_core()
    started(core)
    said(core, "user", "What is ", 0, 200)
    said(core, "user", "the time?", 200, 400)
    out = said(core, "assistant", "It is ", 600, 800)
    assert isinstance(out, LiveEffects)
    assert [t.text for t in out.turns] == ["What is the time?"]  # finished
    # A late fragment of the user, stamped before the assistant started, joins.
    said(core, "user", "..", 400, 500)
    said(core, "assistant", "noon.", 800, 1000)
    said(core, "user", "Thanks", 3000, 3200)
    turns = core.turns.turns()
    assert [(t.role, t.text) for t in turns] == [
        ("user", "What is the time?.."),
        ("assistant", "It is noon."),
        ("user", "Thanks"),
    ]
    assert (turns[1].start_ms, turns[1].end_ms) == (600, 1000)
    assert turns[0].finished and turns[1].finished and not turns[2].finished


def test_a_long_pause_splits_one_speakers_turn() -> None:
    builder = TurnBuilder(gap_ms=1000)
    builder.add("user", "one", 0, 100)
    builder.add("user", "two", 2000, 2100)
    assert [t.text for t in builder.turns()] == ["one", "two"]
    with pytest.raises(ValueError, match="role"):
        builder.add("system", "x", 0, 1)


def test_appends_are_acknowledged_with_their_timeline_position() -> None:
    core = make_core()
    started(core)
    core.sending(
        client(
            {
                "type": "session.instructions.append",
                "event_id": "a1",
                "content": "Be brief.",
                "delegation_id": None,
            }
        )
    )
    core.sending(
        client(
            {
                "type": "session.thinking.append",
                "event_id": "a2",
                "content": "hm",
                "delegation_id": None,
            }
        )
    )
    assert core.pending_appends == 2
    out = core.receive(
        server(
            {
                "type": "session.thinking.appended",
                "client_event_id": "a2",
                "start_ms": 400,
                "end_ms": 400,
            }
        )
    )
    assert isinstance(out, LiveEffects)
    ((event_id, ack),) = out.acks
    assert event_id == "a2" and ack.kind == "thinking" and ack.start_ms == 400
    # No echo: the oldest append of that kind.
    out = core.receive(
        server(
            {"type": "session.instructions.appended", "start_ms": 600, "end_ms": 620}
        )
    )
    assert out is not None and out.acks[0][0] == "a1" and out.acks[0][1].end_ms == 620
    assert core.pending_appends == 0


def test_an_error_names_the_append_it_refused() -> None:
    core = make_core()
    started(core)
    core.sending(
        client(
            {
                "type": "session.commentary.append",
                "event_id": "c1",
                "content": "x",
                "delegation_id": "d_bad",
            }
        )
    )
    out = core.receive(
        server(
            {
                "type": "error",
                "error": {
                    "type": "invalid_request_error",
                    "code": "invalid_delegation",
                    "message": "Unknown delegation.",
                    "client_event_id": "c1",
                },
            }
        )
    )
    assert out is not None and out.answered[0][0] == "c1" and out.rejected
    assert core.pending_appends == 0
    # An error about nothing of ours is reported.
    out = core.receive(
        server(
            {
                "type": "error",
                "error": {"type": "server_error", "code": "x", "message": "boom"},
            }
        )
    )
    assert out is not None and "boom" in str(out.report[0])


def test_client_delegation_carries_the_transcript_so_far() -> None:
    core = make_core()
    started(core)
    said(core, "user", "Check my order 42", 0, 1000)
    out = core.receive(
        server(
            {
                "type": "session.delegation.created",
                "delegation": {"id": "d1", "type": "delegation", "target": "client"},
                "offset_ms": 1200,
            }
        )
    )
    assert out is not None
    (delegation,) = out.delegations
    assert delegation.id == "d1" and delegation.offset_ms == 1200
    assert delegation.request == "Check my order 42"
    assert core.delegation("d1") == delegation
    assert core.answerable_id("d1") == "d1"


def test_responses_tool_calls_then_one_response_create() -> None:
    core = make_core(delegation={"type": "responses", "responses": {"model": "gpt-5"}})
    started(core)

    def wrapped(event: dict[str, Any]) -> Any:
        return core.receive(
            server({"type": "response.event", "delegation_id": "d2", "event": event})
        )

    assert (
        wrapped(
            {
                "type": "response.created",
                "sequence_number": 0,
                "response": {"id": "resp_1"},
            }
        )
        is None
    )
    calls = []
    for call_id in ("c1", "c2"):
        out = wrapped(
            {
                "type": "response.output_item.done",
                "output_index": 0,
                "sequence_number": 1,
                "item": {
                    "type": "function_call",
                    "call_id": call_id,
                    "name": "lookup",
                    "arguments": "{}",
                },
            }
        )
        assert out is not None
        calls += out.tool_calls
    assert [c.call_id for c in calls] == ["c1", "c2"] and calls[0].delegation_id == "d2"
    assert core.tool_answered("d2", "c1").send == []  # not complete yet
    out = wrapped(
        {
            "type": "response.completed",
            "sequence_number": 5,
            "response": {
                "id": "resp_1",
                "output": [],
                "usage": {"input_tokens": 10, "output_tokens": 3},
            },
        }
    )
    assert out is None or out.send == []  # c2 still running
    sent = core.tool_answered("d2", "c2").send
    assert [e.type for e in sent] == ["response.create"]
    assert (
        core.usage.backend_input_tokens == 10 and core.usage.backend_output_tokens == 3
    )


def test_usage_is_cumulative_and_final_at_close() -> None:
    core = make_core()
    started(core)
    core.receive(
        server(
            {
                "type": "session.usage.updated",
                "usage": {"seconds": 7},
                "context_window": {"usage_ratio": 0.01},
            }
        )
    )
    assert core.usage.seconds == 7.0 and core.usage.context_usage_ratio == 0.01
    assert core.end(confirmed=False).reason == UNCONFIRMED
    out = core.receive(
        server(
            {
                "type": "session.closed",
                "reason": "close_requested",
                "session": {
                    "id": "live_1",
                    "model": "gpt-live-1",
                    "expires_at": 0,
                    "status": "active",
                },
                "usage": {"seconds": 9},
            }
        )
    )
    assert out is not None and out.closed is not None
    end = core.end(confirmed=True)
    assert (
        end.confirmed and end.reason == "close_requested" and end.usage.seconds == 9.0
    )
    assert end.usage.final


def test_a_new_session_carries_the_transcript_newest_kept() -> None:
    core = make_core(
        input=[
            {
                "type": "message",
                "role": "developer",
                "content": [{"type": "input_text", "text": "persona"}],
            }
        ]
    )
    assert core.start_config()[1] is None  # the first session: as configured
    started(core)
    core.sending(
        client(
            {
                "type": "session.instructions.append",
                "event_id": "i1",
                "content": "Speak French.",
                "delegation_id": None,
            }
        )
    )
    core.receive(
        server(
            {
                "type": "session.instructions.appended",
                "client_event_id": "i1",
                "start_ms": 50,
                "end_ms": 50,
            }
        )
    )
    for n in range(MAX_INPUT_MESSAGES):
        role = "user" if n % 2 == 0 else "assistant"
        said(core, role, f"m{n}", n * 5000, n * 5000 + 100)
    core.session_lost(ConnectionError("lost"), frozenset())
    config, carried = core.start_config()
    assert carried is not None
    assert len(config["input"]) == MAX_INPUT_MESSAGES
    # The oldest go: the configured persona, then the first turn (the
    # instruction was placed at 50 ms, after the turn that started at 0).
    assert carried.dropped_messages == 2
    assert carried.dropped_text == ("persona", "m0")
    first = config["input"][0]
    assert (
        first["role"] == "developer" and first["content"][0]["text"] == "Speak French."
    )
    last = config["input"][-1]
    assert last["role"] == "assistant" and last["content"][0] == {
        "type": "output_text",
        "text": f"m{MAX_INPUT_MESSAGES - 1}",
    }
    assert carried.turns == MAX_INPUT_MESSAGES - 1 and carried.instructions == 1


def test_unacknowledged_appends_are_sent_again_session_wide() -> None:
    core = make_core()
    started(core)
    core.receive(
        server(
            {
                "type": "session.delegation.created",
                "delegation": {"id": "d1", "type": "delegation", "target": "client"},
                "offset_ms": 10,
            }
        )
    )
    core.sending(
        client(
            {
                "type": "session.commentary.append",
                "event_id": "c1",
                "content": "result",
                "delegation_id": "d1",
            }
        )
    )
    core.session_lost(ConnectionError("lost"), frozenset())
    events, lost_ms = core.take_uncommitted()
    assert lost_ms == 0 and [e.event_id for e in events] == ["c1"]
    assert events[0].delegation_id is None  # the new session does not know d1
    assert core.resent == 1
    assert core.answerable_id("d1") is None


def test_session_update_fields_are_kept_for_a_new_session() -> None:
    core = make_core(delegation={"type": "responses", "responses": {"model": "gpt-5"}})
    core.sending(
        client(
            {
                "type": "session.update",
                "session": {
                    "delegation": {
                        "type": "responses",
                        "responses": {"instructions": "Be exact."},
                    }
                },
            }
        )
    )
    assert core.config["delegation"]["responses"] == {
        "model": "gpt-5",
        "instructions": "Be exact.",
    }


def test_formats_and_mute() -> None:
    core = make_core(audio={"format": {"type": "audio/pcm", "rate": 16000}})
    assert core.sample_rate() == 16000 and core.input_format() == "audio/pcm"
    assert (
        make_core(audio={"format": {"type": "audio/pcmu", "rate": 8000}}).sample_rate()
        == 8000
    )
    core.receive(server({"type": "session.input_audio.muted"}))
    assert core.muted
    core.receive(server({"type": "session.input_audio.unmuted"}))
    assert not core.muted
    with pytest.raises(ValueError, match="model"):
        LiveCore({}, client, CODEC.to_dict)


@settings(max_examples=200)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["user", "assistant"]),
            st.text(min_size=1, max_size=4),
            st.integers(0, 3000),
            st.integers(0, 400),
        ),
        max_size=40,
    ),
    st.integers(0, 2000),
)
def test_turns_keep_every_fragment_in_order(
    raw: list[tuple[str, str, int, int]], gap: int
) -> None:
    """Each speaker's fragments come out whole and in order, however interleaved.

    And every turn is finished (reported) at most once.
    """
    builder = TurnBuilder(gap_ms=gap)
    clock = {"user": 0, "assistant": 0}
    sent: dict[str, list[str]] = {"user": [], "assistant": []}
    finished_once: list[tuple[str, int]] = []
    for role, text, step, length in raw:
        start = clock[role] + step  # each speaker's fragments move forward
        clock[role] = start + length
        sent[role].append(text)
        for turn in builder.add(role, text, start, start + length):
            finished_once.append((turn.role, turn.start_ms))
    turns = builder.turns()
    for role in ("user", "assistant"):
        mine = [t for t in turns if t.role == role]
        assert "".join(t.text for t in mine) == "".join(sent[role])
        assert all(a.start_ms <= b.start_ms for a, b in itertools.pairwise(mine))
    assert len(finished_once) == len(set(finished_once))
    assert all(t.start_ms <= t.end_ms for t in turns)


def test_a_held_answer_to_an_old_delegation_goes_session_wide() -> None:
    core = make_core()
    started(core)
    core.receive(
        server(
            {
                "type": "session.delegation.created",
                "delegation": {"id": "d1", "type": "delegation", "target": "client"},
                "offset_ms": 10,
            }
        )
    )
    held = client(
        {
            "type": "session.commentary.append",
            "event_id": "c9",
            "content": "late result",
            "delegation_id": "d1",
        }
    )
    assert core.rebind(held) is held  # d1 is the current session's
    core.session_lost(ConnectionError("lost"), frozenset())
    core.sending(held, held=True)
    again = core.rebind(held)
    assert again.delegation_id is None and again.content == "late result"
    assert core.rebind(client({"type": "session.close"})).type == "session.close"
