"""Golden round trips: ``encode(decode(P)) == P`` for every frame of tests/data."""

from __future__ import annotations

import json

import pytest

from realtime_sync.events import (
    CLIENT_EVENTS,
    SERVER_EVENTS,
    RealtimeSession,
    SessionUpdate,
    TranscriptionSession,
    UnknownClientEvent,
    UnknownServerEvent,
)
from realtime_sync.protocol import Codec
from tests.data import (
    Payload,
    all_payloads,
    catalog_examples,
    ga_conversation_lines,
    protocol_examples,
)
from tests.protocol._helpers import assert_json_equal, decode, round_trip

PAYLOADS = all_payloads()

# The renames of REALTIME_PROTOCOL.md §7.1, written out here (not read from the
# library) so that the tests check the mapping instead of repeating it.
BETA_TO_GA = {
    "response.text.delta": "response.output_text.delta",
    "response.text.done": "response.output_text.done",
    "response.audio.delta": "response.output_audio.delta",
    "response.audio.done": "response.output_audio.done",
    "response.audio_transcript.delta": "response.output_audio_transcript.delta",
    "response.audio_transcript.done": "response.output_audio_transcript.done",
    "conversation.item.created": "conversation.item.added",
    "transcription_session.created": "session.created",
    "transcription_session.updated": "session.updated",
    "transcription_session.update": "session.update",
}


def _first_example_per_type(dialect: str) -> list[Payload]:
    seen: dict[tuple[str, str], Payload] = {}
    for example in catalog_examples(dialect):
        seen.setdefault((example.direction, example.payload["type"]), example)
    return list(seen.values())


CATALOG_TYPES = _first_example_per_type("ga") + _first_example_per_type("beta")


@pytest.mark.parametrize("example", PAYLOADS, ids=[p.id for p in PAYLOADS])
def test_example_round_trips_exactly(example: Payload) -> None:
    """Encoding a decoded example gives back its JSON, null and absent kept apart."""
    text = round_trip(example.dialect, example.direction, example.payload)

    assert_json_equal(text, example.payload)


@pytest.mark.parametrize(
    "example",
    CATALOG_TYPES,
    ids=[f"{p.dialect}:{p.payload['type']}" for p in CATALOG_TYPES],
)
def test_catalog_type_decodes_to_its_ga_class(example: Payload) -> None:
    """Every catalog type decodes to the class whose TYPE is the type's GA name."""
    wire_type = example.payload["type"]
    expected = (
        BETA_TO_GA.get(wire_type, wire_type) if example.dialect == "beta" else wire_type
    )
    table = SERVER_EVENTS if example.direction == "server" else CLIENT_EVENTS

    codec = Codec(example.dialect)  # type: ignore[arg-type]

    event = decode(codec, example.direction, json.dumps(example.payload))

    assert not isinstance(event, (UnknownServerEvent, UnknownClientEvent))
    assert expected == type(event).TYPE
    assert type(event) is table[expected]


def test_catalog_examples_cover_every_event_type() -> None:
    """The generated examples cover both catalogs: 11+46 GA and 12+34+10 beta types."""
    counts = {}
    for dialect in ("ga", "beta"):
        for direction in ("client", "server"):
            counts[dialect, direction] = len(
                {
                    p.payload["type"]
                    for p in catalog_examples(dialect)
                    if p.direction == direction
                }
            )

    assert counts == {
        ("ga", "client"): 11,
        ("ga", "server"): 46,
        ("beta", "client"): 12,
        ("beta", "server"): 44,
    }


def test_beta_transcription_session_decodes_to_a_transcription_session() -> None:
    """Beta ``transcription_session.*`` events carry a GA TranscriptionSession."""
    examples = [
        p
        for p in catalog_examples("beta")
        if p.payload["type"].startswith("transcription_session.")
    ]
    codec = Codec("beta")

    events = [decode(codec, p.direction, json.dumps(p.payload)) for p in examples]

    assert len(events) >= 3
    for event in events:
        assert isinstance(event.session, TranscriptionSession)  # type: ignore[attr-defined]


def test_bytes_and_text_frames_decode_alike() -> None:
    """A frame given as UTF-8 bytes decodes to the same event as its text."""
    codec = Codec()

    for line in ga_conversation_lines():
        assert codec.decode_server(line.encode("utf-8")) == codec.decode_server(line)


def test_client_secret_session_round_trips_in_session_update() -> None:
    """The §1.6 REST body's GA session round-trips inside a session.update."""
    (body,) = [r for r in protocol_examples() if r["kind"] == "client_secret_request"]
    payload = {"type": "session.update", "session": body["payload"]["session"]}
    codec = Codec()

    event = codec.decode_client(json.dumps(payload))

    assert isinstance(event, SessionUpdate)
    assert isinstance(event.session, RealtimeSession)
    assert event.session.model == "gpt-realtime"
    assert_json_equal(codec.encode_client(event), payload)


def test_protocol_examples_are_labelled() -> None:
    """The protocol examples are the four blocks: one REST body and three events."""
    rows = protocol_examples()

    assert [(r["section"], r["kind"], r["dialect"]) for r in rows] == [
        ("1.6", "client_secret_request", "ga"),
        ("7.3", "event", "ga"),
        ("7.3", "event", "beta"),
        ("8.1", "event", "ga"),
    ]
