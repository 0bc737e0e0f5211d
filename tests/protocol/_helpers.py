"""Helpers shared by the protocol tests: exact JSON comparison, dialect round trips."""

from __future__ import annotations

import json
from typing import Any

from realtime_sync.events import Event, ServerEvent
from realtime_sync.protocol import Codec

__all__ = ["assert_json_equal", "decode", "encode", "round_trip"]


def _diff(a: Any, b: Any, path: str) -> str | None:
    """Where two JSON values differ (type-exact: 1, 1.0 and true are three values)."""
    if type(a) is not type(b):
        return f"{path}: {a!r} ({type(a).__name__}) != {b!r} ({type(b).__name__})"
    if isinstance(a, dict):
        if a.keys() != b.keys():
            # Absent and null are different: a key missing on one side is a difference.
            only_a = sorted(a.keys() - b.keys())
            only_b = sorted(b.keys() - a.keys())
            return f"{path}: keys only in first {only_a}, only in second {only_b}"
        for key in a:
            found = _diff(a[key], b[key], f"{path}.{key}")
            if found:
                return found
        return None
    if isinstance(a, list):
        if len(a) != len(b):
            return f"{path}: {len(a)} items != {len(b)} items"
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            found = _diff(x, y, f"{path}[{i}]")
            if found:
                return found
        return None
    if a != b:
        return f"{path}: {a!r} != {b!r}"
    return None


def assert_json_equal(actual: Any, expected: Any) -> None:
    """Assert two JSON values are the same value, type for type, key for key."""
    if isinstance(actual, (str, bytes)):
        actual = json.loads(actual)
    if isinstance(expected, (str, bytes)):
        expected = json.loads(expected)
    found = _diff(actual, expected, "$")
    assert found is None, f"JSON differs at {found}"


def decode(codec: Codec, direction: str, data: str | bytes) -> Event:
    """Decode a frame sent by ``direction`` ("server" or "client")."""
    if direction == "server":
        return codec.decode_server(data)
    return codec.decode_client(data)


def encode(codec: Codec, event: Event) -> str:
    """Encode an event with the method of its direction."""
    if isinstance(event, ServerEvent):
        return codec.encode_server(event)
    return codec.encode_client(event)  # type: ignore[arg-type]


def round_trip(dialect: str, direction: str, payload: dict[str, Any]) -> str:
    """``encode(decode(payload))`` in one dialect, as JSON text."""
    codec = Codec(dialect)  # type: ignore[arg-type]
    return encode(codec, decode(codec, direction, json.dumps(payload)))
