"""Typed client events from plain dicts of the GA wire shape, with the Codec's checks."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from realtime_sync.events import ClientEvent
from realtime_sync.exceptions import ProtocolError
from realtime_sync.protocol import _json
from realtime_sync.protocol.codec import Codec

__all__ = ["client_event_from_dict"]


def client_event_from_dict(data: Mapping[str, Any]) -> ClientEvent:
    """Build a typed client event from a GA-shaped dict, with the codec's checks.

    Raises:
        TypeError: Not JSON, or not a valid client event (the message has the path).
    """
    try:
        text = _json.dumps(dict(data))
    except (TypeError, ValueError) as exc:
        raise TypeError(f"event is not JSON-serialisable: {exc}") from exc
    try:
        return Codec("ga").decode_client(text)
    except ProtocolError as exc:
        raise TypeError(f"invalid client event: {exc}") from None
