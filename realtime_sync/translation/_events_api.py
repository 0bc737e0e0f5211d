"""The event-facing methods of :class:`TranslationClient`: handlers, waits and ``send``.

:class:`TranslationEventsAPI` is the Realtime client's
:class:`~realtime_sync.client._events_api.EventsAPI` (``on``, ``once``, ``off``,
``wait_for``, ``expect``, ``on_error``, ``stats``) where a type string names a
translation event: ``on("session.created")`` means the translation
``session.created``, whose class is not the Realtime one. Plus ``send()`` of a
translation client event, checked by the translation codec.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any, TypeVar, overload

import attrs

from realtime_sync.client._events_api import EventsAPI, Expectation
from realtime_sync.events import ClientEvent, ServerEvent
from realtime_sync.exceptions import ProtocolError
from realtime_sync.translation import events as tev
from realtime_sync.translation.codec import TranslationCodec

__all__ = ["TranslationEventsAPI"]

E = TypeVar("E", bound=ServerEvent)


class TranslationEventsAPI(EventsAPI):
    """Handlers, waits and ``send`` for translation events (see the module)."""

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
        if not isinstance(event.event_id, str):
            event = attrs.evolve(event, event_id=self._new_id())
        event_id = event.event_id
        assert isinstance(event_id, str)
        self._send_event(event)
        return event_id

    def _codec_or_fail(self) -> TranslationCodec:
        codec = self._codec
        assert isinstance(codec, TranslationCodec)
        return codec

    # -- events: type strings name translation events ----------------------------------

    def _add(self, event: Any, handler: Any, once: bool) -> Any:
        return super()._add(_translation_key(event), handler, once)

    def off(
        self, event: type[ServerEvent] | str, handler: Callable[[Any], Any]
    ) -> bool:
        """Remove a handler registered with :meth:`on`/:meth:`once` for ``event``."""
        return super().off(_translation_key(event), handler)

    @overload
    def wait_for(
        self,
        event: type[E],
        predicate: Callable[[E], bool] | None = None,
        timeout: float | None = None,
    ) -> E: ...
    @overload
    def wait_for(
        self,
        event: str,
        predicate: Callable[[Any], bool] | None = None,
        timeout: float | None = None,
    ) -> Any: ...

    def wait_for(
        self, event: Any, predicate: Any = None, timeout: float | None = None
    ) -> Any:
        """Block until an event of this type (matching ``predicate``) arrives.

        As :meth:`RealtimeClient.wait_for <realtime_sync.RealtimeClient.wait_for>`;
        a type string names a translation event (``"session.output_audio.delta"``).
        """
        return super().wait_for(_translation_key(event), predicate, timeout)

    @overload
    def expect(
        self, event: type[E], predicate: Callable[[E], bool] | None = None
    ) -> Expectation[E]: ...
    @overload
    def expect(
        self, event: str, predicate: Callable[[Any], bool] | None = None
    ) -> Expectation[Any]: ...

    def expect(self, event: Any, predicate: Any = None) -> Expectation[Any]:
        """Listen for an event from before the request that causes it is sent."""
        return super().expect(_translation_key(event), predicate)


def _translation_key(event: Any) -> Any:
    """A translation type string as its class (``on("session.closed")``)."""
    if isinstance(event, str):
        return tev.SERVER_EVENTS.get(event, event)
    return event
