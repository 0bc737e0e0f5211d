"""Responder without a socket: client events in, server events out (§5, §8, §9)."""

from __future__ import annotations

import base64
import time
from collections.abc import Sequence
from typing import Any

import pytest

from realtime_sync import events as ev
from realtime_sync.protocol import Codec
from realtime_sync.testing import DEFAULT_INSTRUCTIONS, Responder

GA = Codec("ga")
BETA = Codec("beta")


def types(events: Sequence[ev.ServerEvent]) -> list[str]:
    """The wire types of events, in order."""
    return [e.type for e in events]


def user_text(text: str, **kw: Any) -> ev.ConversationItemCreate:
    """A conversation.item.create with one user input_text."""
    return ev.ConversationItemCreate(
        item=ev.UserMessage(content=[ev.InputText(text=text)]), **kw
    )


def pcm_b64(ms: int) -> str:
    """Base64 of ``ms`` of 24 kHz pcm16 silence."""
    return base64.b64encode(b"\x00\x00" * (24 * ms)).decode()


def respond(r: Responder, **params: Any) -> list[ev.ServerEvent]:
    """response.create with params, plus the whole stream."""
    create = ev.ResponseCreate(
        response=ev.ResponseCreateParams(**params) if params else ev.UNSET
    )
    return r.handle(create) + r.drain()


def only(events: Sequence[ev.ServerEvent], cls: type[Any]) -> Any:
    """The single event of a class."""
    found = [e for e in events if isinstance(e, cls)]
    assert len(found) == 1, types(events)
    return found[0]


def last_audio_part(r: Responder) -> ev.OutputAudio:
    """The audio content part of the conversation's last item."""
    item = r.items[-1]
    assert isinstance(item, ev.AssistantMessage)
    part = item.content[0]
    assert isinstance(part, ev.OutputAudio) and isinstance(part.audio, str)
    return part


def error_of(events: Sequence[ev.ServerEvent]) -> ev.RealtimeError:
    """The error of a one-event answer that must be an ``error``."""
    assert types(events) == ["error"]
    err = events[0]
    assert isinstance(err, ev.Error)
    return err.error


TEXT_TURN = [
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


# -- session ---------------------------------------------------------------------------


def test_start_sends_a_complete_default_session() -> None:
    """session.created carries the full GA default session with deterministic ids."""
    before = int(time.time())
    events = Responder().start()

    assert types(events) == ["session.created"]
    created = events[0]
    assert isinstance(created, ev.SessionCreated)
    assert created.event_id == "event_0001"
    s = created.session
    assert isinstance(s, ev.RealtimeSession)
    assert (s.type, s.object, s.id, s.model) == (
        "realtime",
        "realtime.session",
        "sess_0001",
        "gpt-realtime",
    )
    assert s.output_modalities == ["audio"]
    assert s.instructions == DEFAULT_INSTRUCTIONS
    assert s.tools == [] and s.tool_choice == "auto"
    assert s.max_output_tokens == "inf" and s.truncation == "auto"
    assert s.tracing is None and s.prompt is None
    assert isinstance(s.expires_at, int) and s.expires_at > before
    assert isinstance(s.audio, ev.AudioConfig)
    assert isinstance(s.audio.input, ev.AudioInput)
    assert isinstance(s.audio.output, ev.AudioOutput)
    assert s.audio.input.format == ev.AudioPCM(type="audio/pcm", rate=24000)
    assert s.audio.output.format == ev.AudioPCM(type="audio/pcm", rate=24000)
    assert isinstance(s.audio.input.turn_detection, ev.ServerVad)
    assert s.audio.output.voice == "marin"


def test_start_beta_adds_conversation_created() -> None:
    """The beta dialect also announces the default conversation."""
    events = Responder("beta").start()

    assert types(events) == ["session.created", "conversation.created"]
    assert events[1] == ev.ConversationCreated(
        event_id="event_0002",
        conversation=ev.Conversation(id="conv_0001", object="realtime.conversation"),
    )


def test_session_update_merges_the_partial_session() -> None:
    """Only the fields present change; audio merges field by field."""
    r = Responder()
    r.start()
    update = ev.SessionUpdate(
        session=ev.RealtimeSession(
            instructions="Be brief.",
            output_modalities=["text"],
            tools=[ev.FunctionTool(name="f", parameters={"type": "object"})],
            tool_choice="required",
            max_output_tokens=100,
            audio=ev.AudioConfig(
                input=ev.AudioInput(turn_detection=None),
                output=ev.AudioOutput(voice="alloy"),
            ),
        )
    )

    events = r.handle(update)

    assert types(events) == ["session.updated"]
    s = events[0].session  # type: ignore[attr-defined]
    assert s == r.session
    assert s.id == "sess_0001" and s.model == "gpt-realtime"
    assert s.instructions == "Be brief." and s.output_modalities == ["text"]
    assert s.tool_choice == "required" and s.max_output_tokens == 100
    assert s.tools == [ev.FunctionTool(name="f", parameters={"type": "object"})]
    assert s.audio.input.turn_detection is None
    assert s.audio.input.format == ev.AudioPCM(type="audio/pcm", rate=24000)
    assert s.audio.output.voice == "alloy"
    assert s.audio.output.format == ev.AudioPCM(type="audio/pcm", rate=24000)
    assert s.truncation == "auto"  # untouched


def test_session_update_with_beta_fields_on_ga_is_unknown_parameter() -> None:
    """A beta-shaped update sent to a GA server fails loudly (§3.1)."""
    r = Responder()
    event = GA.decode_client(
        '{"type": "session.update", "event_id": "upd_1",'
        ' "session": {"type": "realtime", "voice": "alloy"}}'
    )

    err = error_of(r.handle(event))

    assert err == ev.RealtimeError(
        type="invalid_request_error",
        code="unknown_parameter",
        message="Unknown parameter: 'session.voice'.",
        param="session.voice",
        event_id="upd_1",
    )


def test_session_update_nested_unknown_parameter() -> None:
    """Unknown fields deep in the session are named by their full path."""
    r = Responder()
    event = GA.decode_client(
        '{"type": "session.update", "session": {"type": "realtime",'
        ' "audio": {"output": {"voice": "alloy", "pitch": 2}}}}'
    )

    err = error_of(r.handle(event))

    assert err.param == "session.audio.output.pitch"
    assert err.event_id is None


@pytest.mark.parametrize(
    ("session", "code", "param"),
    [
        ('{"type": "bogus"}', "invalid_value", "session.type"),
        ('{"instructions": "x"}', "missing_required_parameter", "session.type"),
        (
            '{"type": "realtime", "output_modalities": ["text", "audio"]}',
            "invalid_value",
            "session.output_modalities",
        ),
        (
            '{"type": "realtime", "max_output_tokens": 5000}',
            "integer_above_max_value",
            "session.max_output_tokens",
        ),
        (
            '{"type": "realtime", "audio": {"input": {"format": {"type": "audio/x"}}}}',
            "invalid_value",
            "session.audio.input.format.type",
        ),
    ],
)
def test_invalid_session_updates(session: str, code: str, param: str) -> None:
    """Invalid session updates answer an error and leave the session unchanged."""
    r = Responder()
    before = r.session
    event = GA.decode_client(f'{{"type": "session.update", "session": {session}}}')

    err = error_of(r.handle(event))

    assert (err.type, err.code, err.param) == ("invalid_request_error", code, param)
    assert r.session == before


def test_beta_session_update_arrives_translated() -> None:
    """A flat beta update (decoded by the beta codec) changes the GA session."""
    r = Responder("beta")
    event = BETA.decode_client(
        '{"type": "session.update", "session": {"voice": "alloy", "modalities":'
        ' ["text"], "temperature": 0.7, "turn_detection": null}}'
    )

    events = r.handle(event)

    assert types(events) == ["session.updated"]
    assert r.session.output_modalities == ["text"]
    assert r.session.audio.output.voice == "alloy"  # type: ignore[union-attr]
    assert r.session.audio.input.turn_detection is None  # type: ignore[union-attr]
    wire = BETA.to_dict(events[0])
    assert wire["session"]["modalities"] == ["text"]
    assert wire["session"]["voice"] == "alloy"


def test_voice_cannot_change_after_audio() -> None:
    """Once the model has spoken, changing the voice is refused (§3)."""
    r = Responder()
    r.handle(user_text("hi"))
    respond(r)
    update = ev.SessionUpdate(
        session=ev.RealtimeSession(
            audio=ev.AudioConfig(output=ev.AudioOutput(voice="ash"))
        )
    )

    assert error_of(r.handle(update)).code == "cannot_update_voice"


# -- conversation items ----------------------------------------------------------------


def test_item_create_answers_added_then_done() -> None:
    """Items get ids in order and link to their predecessor."""
    r = Responder()
    r.start()

    first = r.handle(user_text("one"))
    second = r.handle(user_text("two", event_id="c2"))

    assert types(first) == ["conversation.item.added", "conversation.item.done"]
    assert [e.event_id for e in first + second] == [
        "event_0002",
        "event_0003",
        "event_0004",
        "event_0005",
    ]
    added, done = second
    assert isinstance(added, ev.ConversationItemAdded)
    assert isinstance(done, ev.ConversationItemDone)
    assert added.item.id == "item_0002"  # type: ignore[union-attr]
    assert added.previous_item_id == "item_0001"
    assert done.item.status == "completed"  # type: ignore[union-attr]
    assert [i.id for i in r.items] == ["item_0001", "item_0002"]  # type: ignore[union-attr]


def test_item_create_keeps_client_id_and_inserts_after_previous() -> None:
    """previous_item_id positions the item; "root" puts it first."""
    r = Responder()
    r.handle(user_text("a"))
    r.handle(user_text("b"))
    mine = ev.ConversationItemCreate(
        item=ev.SystemMessage(id="sys", content=[ev.InputText(text="rules")]),
        previous_item_id="item_0001",
    )
    first = ev.ConversationItemCreate(
        item=ev.UserMessage(id="first", content=[ev.InputText(text="0")]),
        previous_item_id="root",
    )

    added = r.handle(mine)[0]
    root = r.handle(first)[0]

    assert added.previous_item_id == "item_0001"  # type: ignore[attr-defined]
    assert root.previous_item_id is None  # type: ignore[attr-defined]
    ids = [i.id for i in r.items]  # type: ignore[union-attr]
    assert ids == ["first", "item_0001", "sys", "item_0002"]


def test_item_create_errors() -> None:
    """Unknown predecessor, duplicate id and assistant audio are refused."""
    r = Responder()
    r.handle(user_text("a"))

    unknown = error_of(r.handle(user_text("x", previous_item_id="nope", event_id="e9")))
    dup = error_of(
        r.handle(
            ev.ConversationItemCreate(
                item=ev.UserMessage(id="item_0001", content=[ev.InputText(text="x")])
            )
        )
    )
    audio = error_of(
        r.handle(
            ev.ConversationItemCreate(
                item=ev.AssistantMessage(content=[ev.OutputAudio(audio="AAAA")])
            )
        )
    )

    assert (unknown.code, unknown.param, unknown.event_id) == (
        "item_not_found",
        "previous_item_id",
        "e9",
    )
    assert "'nope' does not exist" in unknown.message
    assert dup.code == "item_already_exists"
    assert audio.param == "item.content[0].type"
    assert len(r.items) == 1


def test_delete_and_retrieve() -> None:
    """Delete and retrieve answer their event, or an error for an unknown id."""
    r = Responder()
    r.handle(user_text("a"))

    got = r.handle(ev.ConversationItemRetrieve(item_id="item_0001"))
    deleted = r.handle(ev.ConversationItemDelete(item_id="item_0001"))
    again = r.handle(ev.ConversationItemDelete(item_id="item_0001", event_id="d2"))
    missing = r.handle(ev.ConversationItemRetrieve(item_id="item_0001"))

    assert types(got) == ["conversation.item.retrieved"]
    assert got[0].item.content == [ev.InputText(text="a")]  # type: ignore[attr-defined]
    assert deleted[1:] == [] and deleted[0].item_id == "item_0001"  # type: ignore[attr-defined]
    assert error_of(again).code == "item_delete_invalid_item_id"
    assert error_of(again).event_id == "d2"
    assert error_of(missing).code == "item_retrieve_invalid_item_id"
    assert error_of(missing).message == (
        "Error retrieving item: the item with id 'item_0001' does not exist."
    )
    assert r.items == []


def test_missing_required_field_is_reported() -> None:
    """A required field absent on the wire gives missing_required_parameter."""
    r = Responder()
    event = GA.decode_client('{"type": "conversation.item.delete", "event_id": "x"}')

    err = error_of(r.handle(event))

    assert (err.code, err.param, err.message) == (
        "missing_required_parameter",
        "item_id",
        "Missing required parameter: 'item_id'.",
    )


def test_unknown_client_event_is_invalid_value() -> None:
    """An unknown type is refused with the list of supported ones."""
    r = Responder()
    event = GA.decode_client('{"type": "session.reset", "event_id": "u1"}')

    err = error_of(r.handle(event))

    assert (err.code, err.param, err.event_id) == ("invalid_value", "type", "u1")
    assert err.message.startswith("Invalid value: 'session.reset'. Supported values")
    assert "'response.create'" in err.message


# -- input audio -----------------------------------------------------------------------


def test_commit_under_100_ms_is_refused() -> None:
    """Committing less than 100 ms (4800 bytes of pcm16) is an error (§8.1)."""
    r = Responder()
    assert r.handle(ev.InputAudioBufferAppend(audio=pcm_b64(50))) == []

    err = error_of(r.handle(ev.InputAudioBufferCommit(event_id="commit_1")))

    assert err.code == "input_audio_buffer_commit_empty"
    assert err.event_id == "commit_1"
    assert err.message == (
        "Error committing input audio buffer: buffer too small. Expected at least "
        "100ms of audio, but buffer only has 50.00ms of audio."
    )
    assert r.input_audio_bytes == 2400


def test_commit_makes_a_user_audio_item() -> None:
    """committed, then the user item (transcript None, no audio bytes shown)."""
    r = Responder()
    r.handle(ev.InputAudioBufferAppend(audio=pcm_b64(60)))
    r.handle(ev.InputAudioBufferAppend(audio=pcm_b64(60)))

    events = r.handle(ev.InputAudioBufferCommit())

    assert types(events) == [
        "input_audio_buffer.committed",
        "conversation.item.added",
        "conversation.item.done",
    ]
    assert events[0] == ev.InputAudioBufferCommitted(
        event_id="event_0001", item_id="item_0001", previous_item_id=None
    )
    assert events[2].item.content == [ev.InputAudio(transcript=None)]  # type: ignore[attr-defined]
    assert r.input_audio_bytes == 0
    stored = r.handle(ev.ConversationItemRetrieve(item_id="item_0001"))[0]
    assert len(base64.b64decode(stored.item.content[0].audio)) == 5760  # type: ignore[attr-defined]
    reply = respond(r, output_modalities=["text"])
    assert only(reply, ev.ResponseOutputTextDone).text == "I heard 120 ms of audio."


def test_append_rejects_bad_base64_and_clear_empties() -> None:
    """Invalid base64 is an error; clear answers cleared and empties the buffer."""
    r = Responder()

    err = error_of(r.handle(ev.InputAudioBufferAppend(audio="@@not base64@@")))
    r.handle(ev.InputAudioBufferAppend(audio=pcm_b64(200)))
    cleared = r.handle(ev.InputAudioBufferClear())

    assert (err.code, err.param) == ("invalid_value", "audio")
    assert types(cleared) == ["input_audio_buffer.cleared"]
    assert r.input_audio_bytes == 0


# -- responses -------------------------------------------------------------------------


def test_text_turn_sequence() -> None:
    """A text response follows §9.2 with deterministic ids and text."""
    r = Responder()
    r.start()
    r.handle(user_text("Hello"))

    created = r.handle(
        ev.ResponseCreate(
            response=ev.ResponseCreateParams(
                output_modalities=["text"], metadata={"k": "v"}
            )
        )
    )
    assert r.active_responses == ["resp_0001"]
    stream = r.drain()
    events = created + stream

    assert types(events) == TEXT_TURN
    assert [e.event_id for e in events] == [f"event_{n:04d}" for n in range(4, 16)]
    deltas = [e.delta for e in events if isinstance(e, ev.ResponseOutputTextDelta)]
    assert deltas == ["You said", ": Hello"]
    first = created[0].response  # type: ignore[attr-defined]
    assert (first.id, first.status, first.conversation_id) == (
        "resp_0001",
        "in_progress",
        "conv_0001",
    )
    done = events[-1].response  # type: ignore[attr-defined]
    assert done.status == "completed" and done.status_details is None
    assert done.metadata == {"k": "v"} and first.metadata == {"k": "v"}
    assert done.output == [
        ev.AssistantMessage(
            id="item_0002",
            object="realtime.item",
            status="completed",
            content=[ev.OutputText(text="You said: Hello")],
        )
    ]
    usage = done.usage
    assert usage.output_tokens == 4 and usage.input_tokens > 0
    assert usage.total_tokens == usage.input_tokens + usage.output_tokens
    assert r.active_responses == [] and r.next_event() is None
    assert r.items[-1] == done.output[0]


def test_audio_turn_interleaves_transcript_and_audio() -> None:
    """Audio replies stream ~100 ms audio deltas between transcript deltas."""
    r = Responder(audio_ms=300, text_delta_chars=5)
    r.handle(user_text("Hi"))

    events = respond(r)

    # "You said: Hi" in 3 transcript chunks, 300 ms in 3 audio chunks: alternating
    assert types(events) == [
        *TEXT_TURN[:5],
        *[
            "response.output_audio_transcript.delta",
            "response.output_audio.delta",
        ]
        * 3,
        "response.output_audio.done",
        "response.output_audio_transcript.done",
        "response.content_part.done",
        "response.output_item.done",
        "conversation.item.done",
        "response.done",
    ]
    audio = b"".join(
        base64.b64decode(e.delta)
        for e in events
        if isinstance(e, ev.ResponseOutputAudioDelta)
    )
    assert len(audio) == 300 * 48
    assert (
        only(events, ev.ResponseOutputAudioTranscriptDone).transcript == "You said: Hi"
    )
    done = events[-1].response  # type: ignore[attr-defined]
    assert done.output[0].content == [ev.OutputAudio(transcript="You said: Hi")]
    assert done.usage.output_token_details.audio_tokens == 6
    kept = r.handle(ev.ConversationItemRetrieve(item_id="item_0002"))[0]
    assert base64.b64decode(kept.item.content[0].audio) == audio  # type: ignore[attr-defined]


def test_synthetic_audio_is_deterministic_and_speech_like() -> None:
    """The same reply gives the same bytes: voiced, not silent, not clipped."""
    import numpy as np

    def audio_of() -> bytes:
        r = Responder()
        r.handle(user_text("x"))
        return b"".join(
            base64.b64decode(e.delta)
            for e in respond(r)
            if isinstance(e, ev.ResponseOutputAudioDelta)
        )

    a, b = audio_of(), audio_of()
    samples = np.frombuffer(a, dtype="<i2").astype(float)

    assert a == b
    rms = np.sqrt(np.mean(samples**2))
    assert 500 < rms < 10000
    assert np.abs(samples).max() < 32767


def test_hello_without_user_item_and_say_instructions() -> None:
    """No user item gives "Hello!"; "Say: ..." instructions script the reply."""
    r = Responder()

    plain = respond(r, output_modalities=["text"])
    scripted = respond(r, output_modalities=["text"], instructions="Say: Bonjour !")

    assert only(plain, ev.ResponseOutputTextDone).text == "Hello!"
    assert only(scripted, ev.ResponseOutputTextDone).text == "Bonjour !"


def test_per_response_overrides_are_echoed() -> None:
    """output_modalities and audio.output overrides apply to one response only."""
    r = Responder()
    r.handle(
        ev.SessionUpdate(
            session=ev.RealtimeSession(type="realtime", output_modalities=["text"])
        )
    )
    params = ev.ResponseCreateParams(
        output_modalities=["audio"],
        audio=ev.ResponseAudio(output=ev.AudioOutput(voice="cedar")),
    )

    events = r.handle(ev.ResponseCreate(response=params)) + r.drain()
    later = respond(r)

    created = events[0].response  # type: ignore[attr-defined]
    assert created.output_modalities == ["audio"]
    assert created.audio.output.voice == "cedar"
    assert "response.output_audio.delta" in types(events)
    assert "response.output_text.delta" in types(later)
    assert later[0].response.audio.output.voice == "marin"  # type: ignore[attr-defined]


def test_second_response_while_active_is_refused() -> None:
    """Only one response may write to the default conversation (§3.5)."""
    r = Responder()
    r.handle(ev.ResponseCreate())

    err = error_of(r.handle(ev.ResponseCreate(event_id="r2")))

    assert err.code == "conversation_already_has_active_response"
    assert err.event_id == "r2"
    assert "resp_0001" in err.message


def test_out_of_band_response_runs_beside_the_default_one() -> None:
    """Out of band: no conversation_id, no conversation events, nothing stored."""
    r = Responder()
    r.handle(user_text("Hi"))
    r.handle(
        ev.ResponseCreate(response=ev.ResponseCreateParams(output_modalities=["text"]))
    )
    oob = r.handle(
        ev.ResponseCreate(
            response=ev.ResponseCreateParams(
                conversation="none",
                output_modalities=["text"],
                metadata={"purpose": "summary"},
                input=[ev.ItemReference(id="item_0001")],
            )
        )
    )

    rest = r.drain()

    assert oob[0].response.conversation_id is None  # type: ignore[attr-defined]
    mine = [e for e in rest if getattr(e, "response_id", None) == "resp_0002"]
    dones = [e for e in rest if isinstance(e, ev.ResponseDone)]
    assert sorted(str(d.response.id) for d in dones) == ["resp_0001", "resp_0002"]
    oob_done = next(d for d in dones if d.response.id == "resp_0002")
    assert oob_done.response.metadata == {"purpose": "summary"}
    assert "conversation.item.added" not in types(
        [
            e
            for e in rest
            if getattr(getattr(e, "item", None), "id", None) == "item_0003"
        ]
    )
    assert only(mine, ev.ResponseOutputTextDone).text == "You said: Hi"
    assert [i.id for i in r.items] == ["item_0001", "item_0002"]  # type: ignore[union-attr]
    # the two streams take turns: resp_0001 events come before and after resp_0002's
    order = [getattr(e, "response_id", None) for e in rest if hasattr(e, "response_id")]
    first_oob = order.index("resp_0002")
    assert "resp_0001" in order[:first_oob] and "resp_0001" in order[first_oob:]


# -- cancel ----------------------------------------------------------------------------


def test_cancel_mid_stream_closes_open_part_and_item() -> None:
    """Cancelling after a delta sends the closing events with the partial text."""
    r = Responder(text_delta_chars=4)
    r.handle(user_text("Hello world"))
    r.handle(
        ev.ResponseCreate(response=ev.ResponseCreateParams(output_modalities=["text"]))
    )
    pulled = []
    while not isinstance(event := r.next_event(), ev.ResponseOutputTextDelta):
        pulled.append(event)
    pulled.append(event)

    closing = r.handle(ev.ResponseCancel())

    assert types(closing) == [
        "response.output_text.done",
        "response.content_part.done",
        "response.output_item.done",
        "conversation.item.done",
        "response.done",
    ]
    assert closing[0].text == "You "  # type: ignore[attr-defined]
    item_done = closing[2].item  # type: ignore[attr-defined]
    assert item_done.status == "incomplete"
    assert item_done.content == [ev.OutputText(text="You ")]
    done = closing[-1].response  # type: ignore[attr-defined]
    assert done.status == "cancelled"
    assert done.status_details == ev.ResponseStatusDetails(
        type="cancelled", reason="client_cancelled"
    )
    assert done.output == [item_done]
    assert r.next_event() is None and r.active_responses == []
    assert r.items[-1] == item_done


def test_cancel_before_the_stream_starts() -> None:
    """A response cancelled right after response.created has an empty output."""
    r = Responder()
    r.handle(ev.ResponseCreate())

    closing = r.cancel("resp_0001")

    assert types(closing) == ["response.done"]
    assert closing[0].response.output == []  # type: ignore[attr-defined]
    assert r.drain() == []


def test_cancel_audio_keeps_what_was_sent() -> None:
    """A cancelled audio item keeps the audio and transcript already streamed."""
    r = Responder(audio_ms=400, text_delta_chars=3)
    r.handle(user_text("something long enough"))
    r.handle(ev.ResponseCreate())
    sent = b""
    while not sent:
        event = r.next_event()
        if isinstance(event, ev.ResponseOutputAudioDelta):
            sent += base64.b64decode(event.delta)

    closing = r.cancel(reason="turn_detected")

    assert types(closing)[:3] == [
        "response.output_audio.done",
        "response.output_audio_transcript.done",
        "response.content_part.done",
    ]
    done = closing[-1].response  # type: ignore[attr-defined]
    assert done.status_details.reason == "turn_detected"
    assert base64.b64decode(last_audio_part(r).audio) == sent  # type: ignore[arg-type]
    assert done.usage.output_token_details.audio_tokens == 2


def test_cancel_with_nothing_active_is_an_error() -> None:
    """response.cancel after the response ended: response_cancel_not_active."""
    r = Responder()
    respond(r)

    err = error_of(r.handle(ev.ResponseCancel(event_id="cancel_1")))
    other = error_of(r.handle(ev.ResponseCancel(response_id="resp_9999")))

    assert (err.code, err.event_id) == ("response_cancel_not_active", "cancel_1")
    assert err.message == "Cancellation failed: no active response found"
    assert other.code == "response_cancel_not_active"


# -- truncate --------------------------------------------------------------------------


def test_truncate_cuts_audio_and_transcript() -> None:
    """Truncating an assistant audio item keeps the heard part only."""
    r = Responder(audio_ms=200)
    r.handle(user_text("abcdefghij"))
    respond(r)

    events = r.handle(
        ev.ConversationItemTruncate(
            item_id="item_0002", content_index=0, audio_end_ms=100
        )
    )

    assert events == [
        ev.ConversationItemTruncated(
            event_id=events[0].event_id,
            item_id="item_0002",
            content_index=0,
            audio_end_ms=100,
        )
    ]
    part = last_audio_part(r)
    assert len(base64.b64decode(part.audio)) == 4800  # type: ignore[arg-type]
    assert part.transcript == "You said: "  # half of "You said: abcdefghij"


def test_truncate_errors() -> None:
    """Unknown items, user items and a too-late audio_end_ms are refused."""
    r = Responder(audio_ms=200)
    r.handle(user_text("hi"))
    respond(r)

    unknown = error_of(
        r.handle(
            ev.ConversationItemTruncate(item_id="x", content_index=0, audio_end_ms=0)
        )
    )
    user = error_of(
        r.handle(
            ev.ConversationItemTruncate(
                item_id="item_0001", content_index=0, audio_end_ms=0
            )
        )
    )
    late = error_of(
        r.handle(
            ev.ConversationItemTruncate(
                item_id="item_0002", content_index=0, audio_end_ms=300
            )
        )
    )

    assert unknown.code == user.code == "item_truncate_invalid_item_id"
    assert late.code == "invalid_value"
    assert late.message == "Audio content of 200 ms is already shorter than 300 ms"


# -- tools, limits, formats ------------------------------------------------------------


def test_function_call_round_trip() -> None:
    """A mentioned tool is called (§9.4); its output is read back in the next reply."""
    r = Responder(text_delta_chars=6)
    tool = ev.FunctionTool(
        name="get_weather",
        parameters={
            "type": "object",
            "properties": {"city": {"type": "string"}},
            "required": ["city"],
        },
    )
    r.handle(
        ev.SessionUpdate(session=ev.RealtimeSession(type="realtime", tools=[tool]))
    )
    r.handle(user_text("get weather in Paris please"))

    events = respond(r)

    assert types(events) == [
        "response.created",
        "rate_limits.updated",
        "response.output_item.added",
        "conversation.item.added",
        *["response.function_call_arguments.delta"] * 3,  # 17 chars by 6
        "response.function_call_arguments.done",
        "response.output_item.done",
        "conversation.item.done",
        "response.done",
    ]
    args_done = only(events, ev.ResponseFunctionCallArgumentsDone)
    assert args_done.name == "get_weather" and args_done.call_id == "call_0002"
    assert args_done.arguments == '{"city": "Paris"}'
    call = events[-1].response.output[0]  # type: ignore[attr-defined]
    assert isinstance(call, ev.FunctionCallItem) and call.status == "completed"

    r.handle(
        ev.ConversationItemCreate(
            item=ev.FunctionCallOutputItem(call_id="call_0002", output='{"temp": 21}')
        )
    )
    answer = respond(r, output_modalities=["text"])
    assert (
        only(answer, ev.ResponseOutputTextDone).text
        == 'The tool returned: {"temp": 21}'
    )


def test_max_output_tokens_makes_an_incomplete_response() -> None:
    """A reply longer than max_output_tokens is cut and ends incomplete."""
    r = Responder()
    r.handle(user_text("a fairly long sentence that will not fit"))

    events = respond(r, output_modalities=["text"], max_output_tokens=2)

    done = events[-1].response  # type: ignore[attr-defined]
    assert done.status == "incomplete"
    assert done.status_details == ev.ResponseStatusDetails(
        type="incomplete", reason="max_output_tokens"
    )
    assert only(events, ev.ResponseOutputTextDone).text == "You said"
    assert done.output[0].status == "incomplete"


def test_g711_output_format_is_8_khz() -> None:
    """With audio/pcmu output the reply audio is 8 bytes per millisecond."""
    r = Responder(audio_ms=200)
    r.handle(
        ev.SessionUpdate(
            session=ev.RealtimeSession(
                type="realtime",
                audio=ev.AudioConfig(output=ev.AudioOutput(format=ev.AudioPCMU())),
            )
        )
    )

    events = respond(r)

    audio = b"".join(
        base64.b64decode(e.delta)
        for e in events
        if isinstance(e, ev.ResponseOutputAudioDelta)
    )
    assert len(audio) == 1600
    assert types(events).count("response.output_audio.delta") == 2


# -- wire round trip -------------------------------------------------------------------


def _scenario(dialect: str) -> list[ev.ServerEvent]:
    r = Responder(dialect)  # type: ignore[arg-type]
    out = r.start()
    out += r.handle(user_text("hi"))
    out += respond(r)
    out += respond(r, output_modalities=["text"])
    out += r.handle(ev.InputAudioBufferAppend(audio=pcm_b64(150)))
    out += r.handle(ev.InputAudioBufferCommit())
    out += r.handle(ev.ResponseCreate()) + r.cancel()
    out += r.handle(ev.ConversationItemDelete(item_id="nope"))
    return out


def test_every_event_round_trips_through_the_ga_codec() -> None:
    """What the Responder builds is valid GA wire data: encode/decode is lossless."""
    for event in _scenario("ga"):
        assert GA.decode_server(GA.encode_server(event)) == event


def test_every_event_encodes_in_beta() -> None:
    """The beta codec renames and reshapes the events the server sends."""
    wire = [BETA.to_dict(e)["type"] for e in _scenario("beta")]

    assert "response.audio.delta" in wire and "response.text.delta" in wire
    assert "conversation.item.created" in wire
    ga_only = {
        "conversation.item.added",
        "response.output_text.delta",
        "response.output_audio.delta",
        "response.output_audio_transcript.delta",
    }
    assert not ga_only & set(wire)


def test_handle_rejects_non_client_events() -> None:
    """Passing a server event is a programming error."""
    with pytest.raises(TypeError):
        Responder().handle(ev.InputAudioBufferCleared())  # type: ignore[arg-type]


def test_constructor_validates() -> None:
    """Bad constructor arguments raise ValueError."""
    with pytest.raises(ValueError, match="dialect"):
        Responder("v2")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="text_delta_chars"):
        Responder(text_delta_chars=0)
