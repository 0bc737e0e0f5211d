"""Hypothesis: round trips over every event class, and fuzzing of the decoders.

The fuzz tests set ``max_examples`` themselves (20,000 in all under ``CI=true``):
whatever a decoder is given, it returns an event or raises ProtocolError.
"""

from __future__ import annotations

import copy
import json
import os
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from realtime_sync.events import (
    CLIENT_EVENTS,
    SERVER_EVENTS,
    ClientEvent,
    Event,
    ServerEvent,
)
from realtime_sync.exceptions import ProtocolError
from realtime_sync.protocol import Codec, _json
from tests.data import all_payloads
from tests.protocol._helpers import assert_json_equal, decode, encode
from tests.strategies import (
    ALL_EVENT_TYPES,
    event_of,
    frames,
    json_paths,
    protocol_json,
)

CI = bool(os.environ.get("CI"))
# Under CI: 10,000 mutated payloads + 8,000 JSON documents + 2,000 garbage frames.
MUTATED_EXAMPLES = 10_000 if CI else 1_000
JSON_EXAMPLES = 8_000 if CI else 800
GARBAGE_EXAMPLES = 2_000 if CI else 300


def fuzz_settings(max_examples: int) -> settings:
    """Explicit example counts for the fuzz tests (not the profile's default)."""
    return settings(
        max_examples=max_examples,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )


GA = Codec("ga")
BETA = Codec("beta")
CODECS = {"ga": GA, "beta": BETA}

ALL_CLASSES = [*SERVER_EVENTS.values(), *CLIENT_EVENTS.values()]


def _name(cls: type) -> str:
    return cls.__name__


def _check_decode(dialect: str, direction: str, data: str | bytes) -> None:
    """Decode ``data``: an event that re-encodes losslessly, or a ProtocolError.

    The ProtocolError must not be a masked internal error.
    """
    codec = CODECS[dialect]
    try:
        event = decode(codec, direction, data)
    except ProtocolError as err:
        # The Codec reports an unexpected exception inside a decode as "could not
        # decode ...": that is a bug in a hook or the dialect adapter, not a bad frame.
        assert not str(err).startswith("could not decode"), repr(err)
        assert err.raw == data
        assert err.path.startswith("$")
        return
    assert isinstance(event, ServerEvent if direction == "server" else ClientEvent)
    text = encode(codec, event)
    if dialect == "ga":
        # GA is the canonical dialect: every frame it accepts comes back as it was.
        # (Compared with the backend's own parse: orjson reads huge integers as floats.)
        assert_json_equal(text, _json.loads(data))
    else:
        # Beta frames may use GA names or spellings; the first encoding is canonical.
        assert_json_equal(encode(codec, decode(codec, direction, text)), text)


# -- round trips of generated events -------------------------------------------------


def _has_image_content(value: Any) -> bool:
    """Whether an encoded event holds an ``input_image`` part in an item's content.

    Beta has no image content parts (REALTIME_PROTOCOL.md §7.4), so the beta encoder
    refuses them. An image elsewhere is no such part: a prompt variable may be an
    ``input_image`` in beta too, where late-beta ``prompt`` has the GA shape (§3.3).
    """
    if isinstance(value, dict):
        content = value.get("content")
        if isinstance(content, list) and any(
            isinstance(part, dict) and part.get("type") == "input_image"
            for part in content
        ):
            return True
        return any(_has_image_content(child) for child in value.values())
    if isinstance(value, list):
        return any(_has_image_content(child) for child in value)
    return False


# One generated event serves both properties: generation is most of the cost.
@pytest.mark.parametrize("cls", ALL_CLASSES, ids=_name)
@given(data=st.data())
def test_event_round_trips_in_both_dialects(
    cls: type[Event], data: st.DataObject
) -> None:
    """GA: ``decode(encode(e)) == e``; beta: encode, decode, encode is stable."""
    event = data.draw(event_of(cls))
    server = isinstance(event, ServerEvent)

    # GA, with the methods of the event's direction, spelled out.
    if server:
        assert GA.decode_server(GA.encode_server(event)) == event
    else:
        assert GA.decode_client(GA.encode_client(event)) == event
    # Beta: the wire round trip (the beta shape cannot hold every GA object; a
    # client event with image content is refused before it is sent).
    if not server and _has_image_content(json.loads(GA.encode_client(event))):
        with pytest.raises(ValueError, match="input_image"):
            BETA.encode_client(event)
        return
    first = encode(BETA, event)
    second = encode(BETA, decode(BETA, "server" if server else "client", first))
    assert_json_equal(second, first)


# -- fuzzing ---------------------------------------------------------------------------

PAYLOADS = all_payloads()


# Strategies built once: building them per draw costs more than the decode.
_example_index = st.integers(0, len(PAYLOADS) - 1)
_actions = st.sampled_from(["replace", "delete", "retype", "retype"])
_event_types = st.sampled_from(ALL_EVENT_TYPES)
_values = protocol_json(6)


@st.composite
def mutated_payloads(draw: st.DrawFn) -> tuple[str, str, Any]:
    """A real payload with one change: a value replaced, a key dropped, or retyped."""
    example = PAYLOADS[draw(_example_index)]
    payload = copy.deepcopy(example.payload)
    action = draw(_actions)
    if action == "retype":
        payload["type"] = draw(_event_types)
        return example.dialect, example.direction, payload
    paths = json_paths(payload)[1:]
    path = paths[draw(st.integers(0, len(paths) - 1))]
    parent = payload
    for key in path[:-1]:
        parent = parent[key]
    if action == "delete":
        del parent[path[-1]]
    else:
        parent[path[-1]] = draw(_values)
    return example.dialect, example.direction, payload


@fuzz_settings(JSON_EXAMPLES)
@given(
    value=frames(),
    dialect=st.sampled_from(["ga", "beta"]),
    direction=st.sampled_from(["server", "client"]),
)
def test_fuzz_decode_arbitrary_json(value: Any, dialect: str, direction: str) -> None:
    """Any JSON document decodes to an event (that re-encodes) or a ProtocolError."""
    _check_decode(dialect, direction, json.dumps(value))


@fuzz_settings(MUTATED_EXAMPLES)
@given(mutated=mutated_payloads())
def test_fuzz_decode_mutated_payloads(mutated: tuple[str, str, Any]) -> None:
    """A real payload with one field replaced, dropped or retyped never escapes."""
    dialect, direction, payload = mutated

    _check_decode(dialect, direction, json.dumps(payload))


_garbage_kinds = st.sampled_from(["bytes", "text", "damaged"])
_damage = st.sampled_from(["flip", "cut", "insert"])


@st.composite
def garbage(draw: st.DrawFn) -> str | bytes:
    """Bytes, text, or a real frame with a few bytes flipped, cut or inserted."""
    kind = draw(_garbage_kinds)
    if kind == "bytes":
        return draw(st.binary(max_size=64))
    if kind == "text":
        return draw(st.text(max_size=64))
    example = PAYLOADS[draw(_example_index)]
    frame = bytearray(json.dumps(example.payload).encode("utf-8"))
    for _ in range(draw(st.integers(1, 3))):
        at = draw(st.integers(0, len(frame) - 1))
        action = draw(_damage)
        if action == "flip":
            frame[at] = draw(st.integers(0, 255))
        elif action == "cut":
            del frame[at:]
            if not frame:
                break
        else:
            frame[at:at] = draw(st.binary(min_size=1, max_size=4))
    data = bytes(frame)
    return data.decode("utf-8", "replace") if draw(st.booleans()) else data


@fuzz_settings(GARBAGE_EXAMPLES)
@given(
    data=garbage(),
    dialect=st.sampled_from(["ga", "beta"]),
    direction=st.sampled_from(["server", "client"]),
)
def test_fuzz_decode_garbage(data: str | bytes, dialect: str, direction: str) -> None:
    """Bytes and text garbage never raise anything but ProtocolError."""
    _check_decode(dialect, direction, data)
