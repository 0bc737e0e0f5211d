"""Translation events and codec: every catalog example round-trips, both directions.

``catalog-examples-translation.jsonl`` holds payloads generated from the field lists
of ``shared/protocol/events-translation.json`` (``make_examples.py``); the hand-made
frames below follow the protocol reference's prose (§3, §4).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from realtime_sync import events as ev
from realtime_sync.events import UNSET, UnknownClientEvent, UnknownServerEvent
from realtime_sync.exceptions import ProtocolError
from realtime_sync.translation import events as tev
from realtime_sync.translation.codec import TranslationCodec
from tests.strategies import TRANSLATION, event_of

HERE = Path(__file__).resolve().parent
ROWS = [
    json.loads(line)
    for line in (HERE / "catalog-examples-translation.jsonl").read_text().splitlines()
    if line.strip()
]
CLIENT_TYPES = {
    "session.update",
    "session.input_audio_buffer.append",
    "session.close",
}
SERVER_TYPES = {
    "error",
    "session.created",
    "session.updated",
    "session.closed",
    "session.input_transcript.delta",
    "session.output_transcript.delta",
    "session.output_audio.delta",
}

# Frames as the reference describes them: a spec-style session with the
# transcription ``language`` the SDK model does not declare (an extra field).
HAND_MADE: list[tuple[str, dict[str, Any]]] = [
    (
        "server",
        {
            "type": "session.created",
            "event_id": "event_abc",
            "session": {
                "id": "sess_123",
                "type": "translation",
                "model": "gpt-realtime-translate",
                "expires_at": 1767225600,
                "audio": {
                    "input": {
                        "transcription": {
                            "model": "gpt-realtime-whisper",
                            "language": "en",
                        },
                        "noise_reduction": None,
                    },
                    "output": {"language": "es"},
                },
            },
        },
    ),
    (
        "server",
        {
            "type": "session.output_audio.delta",
            "event_id": "event_1",
            "delta": "AAAAAA==",
            "channels": 1,
            "sample_rate": 24000,
            "format": "pcm16",
            "elapsed_ms": 1200,
        },
    ),
    (
        "client",
        {
            "type": "session.update",
            "session": {
                "audio": {
                    "output": {"language": "es"},
                    "input": {"transcription": {"model": "gpt-realtime-whisper"}},
                }
            },
        },
    ),
    (
        "server",
        {
            "type": "error",
            "event_id": "event_9",
            "error": {
                "type": "invalid_request_error",
                "code": "unknown_parameter",
                "message": "Unknown parameter: 'session.voice'.",
                "param": "session.voice",
                "event_id": "evt_1",
            },
        },
    ),
]

CODEC = TranslationCodec()


def _decode(direction: str, payload: dict[str, Any]) -> Any:
    text = json.dumps(payload)
    return (
        CODEC.decode_server(text)
        if direction == "server"
        else CODEC.decode_client(text)
    )


def _encode(direction: str, event: Any) -> dict[str, Any]:
    text = (
        CODEC.encode_server(event)
        if direction == "server"
        else CODEC.encode_client(event)
    )
    return json.loads(text)  # type: ignore[no-any-return]


def test_the_catalog_has_three_client_and_seven_server_events() -> None:
    assert set(tev.CLIENT_EVENTS) == CLIENT_TYPES
    assert set(tev.SERVER_EVENTS) == SERVER_TYPES
    assert {
        r["payload"]["type"] for r in ROWS if r["direction"] == "client"
    } == CLIENT_TYPES
    assert {
        r["payload"]["type"] for r in ROWS if r["direction"] == "server"
    } == SERVER_TYPES


@pytest.mark.parametrize(
    "row", ROWS, ids=[f"{r['payload']['type']}/{r['variant']}" for r in ROWS]
)
def test_every_catalog_example_round_trips_both_ways(row: dict[str, Any]) -> None:
    direction, payload = row["direction"], row["payload"]
    event = _decode(direction, payload)
    table = tev.SERVER_EVENTS if direction == "server" else tev.CLIENT_EVENTS
    assert type(event) is table[payload["type"]]
    assert event.extra == {}  # every field of the catalog is a known field
    # JSON -> event -> JSON, and event -> JSON -> event.
    assert _encode(direction, event) == payload
    assert _decode(direction, _encode(direction, event)) == event


@pytest.mark.parametrize(
    ("direction", "payload"), HAND_MADE, ids=[p["type"] for _, p in HAND_MADE]
)
def test_hand_made_frames_round_trip(direction: str, payload: dict[str, Any]) -> None:
    event = _decode(direction, payload)
    assert _encode(direction, event) == payload


def test_the_session_keeps_an_undeclared_field_in_extra() -> None:
    event = _decode("server", HAND_MADE[0][1])
    assert isinstance(event, tev.SessionCreated)
    session = event.session
    assert session.language == "es"
    assert session.transcription_model == "gpt-realtime-whisper"
    assert isinstance(session.audio, tev.TranslationAudio)
    inp = session.audio.input
    assert isinstance(inp, tev.TranslationAudioInput)
    assert inp.noise_reduction is None  # null stays None
    assert isinstance(inp.transcription, tev.TranslationTranscription)
    assert inp.transcription.extra == {"language": "en"}


def test_absent_stays_unset_and_null_stays_none() -> None:
    absent = _decode(
        "server", {"type": "session.output_transcript.delta", "delta": "a"}
    )
    null = _decode(
        "server",
        {"type": "session.output_transcript.delta", "delta": "a", "elapsed_ms": None},
    )
    assert absent.elapsed_ms is UNSET and absent.event_id is UNSET
    assert null.elapsed_ms is None
    assert json.loads(CODEC.encode_server(absent)) == {
        "type": "session.output_transcript.delta",
        "delta": "a",
    }


def test_unknown_types_and_fields_survive() -> None:
    server = {"type": "session.rate_limits", "event_id": "e", "x": [1, {"y": None}]}
    event = CODEC.decode_server(json.dumps(server))
    assert isinstance(event, UnknownServerEvent)
    assert json.loads(CODEC.encode_server(event)) == server
    client = {"type": "session.future", "z": 1}
    cevent = CODEC.decode_client(json.dumps(client))
    assert isinstance(cevent, UnknownClientEvent)
    assert json.loads(CODEC.encode_client(cevent)) == client
    extra = {"type": "session.closed", "event_id": "e", "reason": "done"}
    closed = CODEC.decode_server(json.dumps(extra))
    assert isinstance(closed, tev.SessionClosed)
    assert closed.extra == {"reason": "done"}
    assert json.loads(CODEC.encode_server(closed)) == extra


def test_enumerations_are_plain_strings() -> None:
    """An unknown noise reduction kind or audio format decodes as the string it is."""
    frame = {
        "type": "session.output_audio.delta",
        "delta": "",
        "format": "opus",
    }
    event = CODEC.decode_server(json.dumps(frame))
    assert event.format == "opus"
    update = {
        "type": "session.update",
        "session": {"audio": {"input": {"noise_reduction": {"type": "mid_field"}}}},
    }
    assert (
        json.loads(CODEC.encode_client(CODEC.decode_client(json.dumps(update))))
        == update
    )


@pytest.mark.parametrize(
    ("frame", "path"),
    [
        ({"type": "session.output_audio.delta", "delta": 3}, "$.delta"),
        (
            {"type": "session.output_audio.delta", "delta": "", "sample_rate": "24k"},
            "$.sample_rate",
        ),
        (
            {
                "type": "session.output_transcript.delta",
                "delta": "a",
                "elapsed_ms": 1.5,
            },
            "$.elapsed_ms",
        ),
        ({"type": "session.created", "session": []}, "$.session"),
        (
            {
                "type": "session.updated",
                "session": {"audio": {"output": {"language": 1}}},
            },
            "$.session.audio.output.language",
        ),
        (
            {"type": "session.created", "session": {"expires_at": "soon"}},
            "$.session.expires_at",
        ),
        ({"type": "error", "error": {"type": "x", "message": 5}}, "$.error.message"),
        ({"type": "session.closed", "event_id": 7}, "$.event_id"),
    ],
)
def test_a_wrong_type_is_a_protocol_error_with_the_path(
    frame: dict[str, Any], path: str
) -> None:
    with pytest.raises(ProtocolError) as info:
        CODEC.decode_server(json.dumps(frame))
    assert info.value.path == path
    assert path in str(info.value)


def test_encoding_checks_client_events_with_the_path() -> None:
    bad = tev.SessionUpdate(
        session=tev.TranslationSessionRequest(
            audio=tev.TranslationAudio(
                input=tev.TranslationAudioInput(
                    noise_reduction=tev.TranslationNoiseReduction(
                        type="near_field", strength="max"
                    )  # type: ignore[arg-type]
                )
            )
        )
    )
    with pytest.raises(
        TypeError, match=r"\$\.session\.audio\.input\.noise_reduction\.strength"
    ):
        CODEC.encode_client(bad)
    with pytest.raises(TypeError, match=r"expected str @ \$\.audio"):
        CODEC.encode_client(tev.InputAudioBufferAppend(audio=b"raw"))  # type: ignore[arg-type]


def test_realtime_events_are_not_translation_events() -> None:
    """Same type strings, other shapes: the Realtime classes do not encode here."""
    with pytest.raises(TypeError, match="not a protocol class"):
        CODEC.encode_client(ev.InputAudioBufferAppend(audio="AA=="))
    with pytest.raises(TypeError, match="not a protocol class"):
        CODEC.encode_client(ev.SessionUpdate(session=ev.RealtimeSession()))
    with pytest.raises(TypeError, match="expected a client event"):
        CODEC.encode_client(tev.SessionClosed())  # type: ignore[arg-type]


def test_the_translation_append_is_a_kind_of_input_audio_append() -> None:
    """So that the reconnection's outage buffer bounds it as audio."""
    event = tev.InputAudioBufferAppend(audio="AA==")
    assert isinstance(event, ev.InputAudioBufferAppend)
    assert event.type == "session.input_audio_buffer.append"
    assert json.loads(CODEC.encode_client(event)) == {
        "type": "session.input_audio_buffer.append",
        "audio": "AA==",
    }


def test_the_audio_delta_decodes_its_pcm() -> None:
    event = tev.OutputAudioDelta(delta="AAECAw==")
    assert event.audio == b"\x00\x01\x02\x03"


def test_not_json_is_a_protocol_error() -> None:
    with pytest.raises(ProtocolError):
        CODEC.decode_server("{nope")
    with pytest.raises(ProtocolError, match=r"\$\.type"):
        CODEC.decode_server('{"delta": "x"}')


TRANSLATION_CLASSES = [*tev.SERVER_EVENTS.values(), *tev.CLIENT_EVENTS.values()]


@pytest.mark.parametrize("cls", TRANSLATION_CLASSES, ids=lambda cls: cls.__name__)
@given(data=st.data())
def test_generated_events_round_trip(cls: type[Any], data: st.DataObject) -> None:
    """``decode(encode(e)) == e`` for events drawn from every translation class.

    ``tests/strategies.py`` with the TRANSLATION namespace: UNSET, None, unknown
    fields in ``extra`` (the project's Hypothesis profile, derandomized under CI).
    """
    codec = TranslationCodec()
    event = data.draw(event_of(cls, TRANSLATION))
    if isinstance(event, ev.ServerEvent):
        assert codec.decode_server(codec.encode_server(event)) == event
    else:
        assert codec.decode_client(codec.encode_client(event)) == event
