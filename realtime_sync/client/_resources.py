"""The resource namespaces of openai-python's connection, on RealtimeClient.

``client.session.update(session=...)``, ``client.response.create(response=...)``,
``client.conversation.item.create(item=...)`` and the rest take our event classes or
plain dicts of the GA wire shape, so code written for openai-python's sync
connection ports line for line. Each call validates the event (the Codec's strict
checks, as ``TypeError`` with the path) and queues it with the send callable the
namespace was given (the client's ``send``): the namespaces know nothing else of the
client.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from realtime_sync import events as ev
from realtime_sync.conversation import Conversation
from realtime_sync.events import ClientEvent
from realtime_sync.protocol import Codec
from realtime_sync.protocol._from_dict import client_event_from_dict
from realtime_sync.session._conversation import DEFAULT_MAX_ITEMS

__all__ = [
    "ConversationNamespace",
    "InputAudioBufferResource",
    "OutputAudioBufferResource",
    "ResponseResource",
    "SessionResource",
    "client_event_from_dict",
]


# -- resources (openai-python's connection API, line for line) -----------------------


Send = Callable[[ClientEvent], object]


class _Resource:
    def __init__(self, send: Send) -> None:
        self._send_event = send

    def _send(self, data: dict[str, Any]) -> None:
        self._send_event(
            client_event_from_dict({k: v for k, v in data.items() if v is not _OMIT})
        )


_OMIT: Any = object()


def _dump(value: Any) -> Any:
    """A model or a dict, as the GA wire dict."""
    if isinstance(value, ev.Model):
        return Codec("ga").to_dict(value)
    return value


class SessionResource(_Resource):
    """``client.session``: ``update(session=...)``."""

    def update(self, *, session: Any, event_id: str | None = None) -> None:
        """Send ``session.update`` (does not wait; see ``client.update_session``)."""
        self._send(
            {
                "type": "session.update",
                "session": _dump(session),
                "event_id": event_id or _OMIT,
            }
        )


class ResponseResource(_Resource):
    """``client.response``: ``create(response=...)`` and ``cancel()``."""

    def create(self, *, response: Any = None, event_id: str | None = None) -> None:
        """Send ``response.create``."""
        self._send(
            {
                "type": "response.create",
                "response": _dump(response) if response is not None else _OMIT,
                "event_id": event_id or _OMIT,
            }
        )

    def cancel(
        self, *, response_id: str | None = None, event_id: str | None = None
    ) -> None:
        """Send ``response.cancel``."""
        self._send(
            {
                "type": "response.cancel",
                "response_id": response_id or _OMIT,
                "event_id": event_id or _OMIT,
            }
        )


class InputAudioBufferResource(_Resource):
    """``client.input_audio_buffer``: ``append(audio=...)``, ``commit()``, ``clear()``."""

    def append(self, *, audio: str, event_id: str | None = None) -> None:
        """Send ``input_audio_buffer.append`` (base64 audio)."""
        self._send(
            {
                "type": "input_audio_buffer.append",
                "audio": audio,
                "event_id": event_id or _OMIT,
            }
        )

    def commit(self, *, event_id: str | None = None) -> None:
        """Send ``input_audio_buffer.commit``."""
        self._send({"type": "input_audio_buffer.commit", "event_id": event_id or _OMIT})

    def clear(self, *, event_id: str | None = None) -> None:
        """Send ``input_audio_buffer.clear``."""
        self._send({"type": "input_audio_buffer.clear", "event_id": event_id or _OMIT})


class OutputAudioBufferResource(_Resource):
    """``client.output_audio_buffer``: ``clear()`` (WebRTC/SIP)."""

    def clear(self, *, event_id: str | None = None) -> None:
        """Send ``output_audio_buffer.clear``."""
        self._send({"type": "output_audio_buffer.clear", "event_id": event_id or _OMIT})


class ConversationItemResource(_Resource):
    """``client.conversation.item``: ``create``, ``delete``, ``truncate``, ``retrieve``."""

    def create(
        self,
        *,
        item: Any,
        previous_item_id: str | None = None,
        event_id: str | None = None,
    ) -> None:
        """Send ``conversation.item.create``."""
        self._send(
            {
                "type": "conversation.item.create",
                "item": _dump(item),
                "previous_item_id": previous_item_id or _OMIT,
                "event_id": event_id or _OMIT,
            }
        )

    def delete(self, *, item_id: str, event_id: str | None = None) -> None:
        """Send ``conversation.item.delete``."""
        self._send(
            {
                "type": "conversation.item.delete",
                "item_id": item_id,
                "event_id": event_id or _OMIT,
            }
        )

    def truncate(
        self,
        *,
        item_id: str,
        content_index: int,
        audio_end_ms: int,
        event_id: str | None = None,
    ) -> None:
        """Send ``conversation.item.truncate``."""
        self._send(
            {
                "type": "conversation.item.truncate",
                "item_id": item_id,
                "content_index": content_index,
                "audio_end_ms": audio_end_ms,
                "event_id": event_id or _OMIT,
            }
        )

    def retrieve(self, *, item_id: str, event_id: str | None = None) -> None:
        """Send ``conversation.item.retrieve``."""
        self._send(
            {
                "type": "conversation.item.retrieve",
                "item_id": item_id,
                "event_id": event_id or _OMIT,
            }
        )


class ConversationNamespace(Conversation):
    """``client.conversation``: the conversation state, plus openai-python's ``.item``.

    ``.item`` has ``create``, ``delete``, ``truncate`` and ``retrieve``.
    """

    def __init__(
        self,
        send: Send,
        retention_seconds: float | None,
        max_items: int | None = DEFAULT_MAX_ITEMS,
    ) -> None:
        super().__init__(retention_seconds, max_items=max_items)
        self.item = ConversationItemResource(send)
