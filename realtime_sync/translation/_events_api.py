"""The event-facing methods of :class:`TranslationClient`: handlers, waits and ``send``.

:class:`TranslationEventsAPI` is the Realtime client's
:class:`~realtime_sync.client._events_api.EventsAPI` (``on``, ``once``, ``off``,
``wait_for``, ``expect``, ``on_error``, ``stats``) keyed by
:data:`TRANSLATION_EVENTS`: a type string names a translation event,
``on("session.created")`` means the translation ``session.created``, whose class is
not the Realtime one. Plus ``send()`` of a translation client event, checked by the
translation codec.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, ClassVar

from realtime_sync.client._events_api import EventsAPI
from realtime_sync.client._registry import EventCatalog
from realtime_sync.events import ClientEvent, ServerEvent, UnknownServerEvent
from realtime_sync.exceptions import ProtocolError
from realtime_sync.translation import events as tev
from realtime_sync.translation.codec import TranslationCodec

__all__ = ["TRANSLATION_EVENTS", "TranslationEventsAPI"]

#: The translation server events, as handler keys name them (``error`` is the
#: Realtime one; every translation event is a Realtime ``ServerEvent`` subclass).
TRANSLATION_EVENTS = EventCatalog(
    base=ServerEvent,
    unknown=UnknownServerEvent,
    types=tev.SERVER_EVENTS,
    what="translation server event",
)


class TranslationEventsAPI(EventsAPI):
    """Handlers, waits and ``send`` for translation events (see the module)."""

    _events: ClassVar[EventCatalog] = TRANSLATION_EVENTS

    def send(self, event: ClientEvent | Mapping[str, Any]) -> str:
        """Queue a translation client event (a class of ``translation.events`` or a dict).

        Returns:
            The event's ``event_id`` (one is given when it has none).

        Raises:
            TypeError: Not a translation client event, or a field of the wrong type.
            ConnectionClosed: The client is closed.
        """
        if isinstance(event, Mapping):
            try:
                decoded = self._codec_or_fail().decode_client(json.dumps(dict(event)))
            except ProtocolError as exc:
                raise TypeError(
                    f"not a valid translation client event: {exc}"
                ) from None
            event = decoded
        if not isinstance(event, ClientEvent):
            raise TypeError(
                f"expected a client event or a dict, not {type(event).__name__}"
            )
        return self._send_with_id(event)

    def _codec_or_fail(self) -> TranslationCodec:
        codec = self._codec
        assert isinstance(codec, TranslationCodec)
        return codec
