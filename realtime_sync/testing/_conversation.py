"""Conversation operations: item create, delete, retrieve and truncate (§5.1)."""

from __future__ import annotations

from typing import cast

import attrs

from realtime_sync import _b64
from realtime_sync.events import (
    UNSET,
    AssistantMessage,
    ConversationItemCreate,
    ConversationItemDelete,
    ConversationItemDeleted,
    ConversationItemRetrieve,
    ConversationItemRetrieved,
    ConversationItemTruncate,
    ConversationItemTruncated,
    FunctionCallItem,
    FunctionCallOutputItem,
    InputAudio,
    McpApprovalResponseItem,
    OutputAudio,
    ServerEvent,
    SystemMessage,
    UserMessage,
)
from realtime_sync.testing._base import (
    _bytes_per_ms,
    _decode_b64,
    _evolve_existing,
    _quote_list,
    _Rejected,
    _ResponderBase,
)
from realtime_sync.testing._checks import _SUPPORTED_VALUES, _missing_required


class _ConversationMixin(_ResponderBase):
    """Conversation items: create, delete, retrieve, truncate (§5.1)."""

    def _item_create(self, event: ConversationItemCreate) -> list[ServerEvent]:
        item = event.item
        allowed = (
            SystemMessage,
            UserMessage,
            AssistantMessage,
            FunctionCallItem,
            FunctionCallOutputItem,
            McpApprovalResponseItem,
        )
        if not isinstance(item, allowed):
            value = getattr(item, "type", "")
            raise _Rejected(
                f"Invalid value: '{value if isinstance(value, str) else ''}'. "
                f"Supported values are: {_quote_list(_SUPPORTED_VALUES['item'])}.",
                "invalid_value",
                "item.type",
            )
        missing = _missing_required(item, "item")
        if missing:
            raise _Rejected(
                f"Missing required parameter: '{missing}'.",
                "missing_required_parameter",
                missing,
            )
        self._check_shape(item, "item")
        if isinstance(item, AssistantMessage):
            for i, part in enumerate(item.content):
                # §4.1: the client cannot create assistant audio, only output_text.
                if isinstance(part, OutputAudio):
                    raise _Rejected(
                        "Invalid value: 'output_audio'. Assistant messages created by "
                        "the client can only contain 'output_text' content.",
                        "invalid_value",
                        f"item.content[{i}].type",
                    )
        item_id = (
            item.id if isinstance(item.id, str) and item.id else self._next_id("item")
        )
        if self._index(item_id) is not None:
            raise _Rejected(
                f"Error adding item: an item with id '{item_id}' already exists.",
                "item_already_exists",
                "item.id",
            )
        stored = _evolve_existing(
            item, id=item_id, object="realtime.item", status="completed"
        )
        if isinstance(stored, (SystemMessage, UserMessage, AssistantMessage)):
            content = [
                attrs.evolve(p, transcript=None)
                if isinstance(p, InputAudio) and p.transcript is UNSET
                else p
                for p in stored.content
            ]
            stored = attrs.evolve(stored, content=content)
        previous = event.previous_item_id
        if (
            isinstance(previous, str)
            and previous != "root"
            and self._index(previous) is None
        ):
            raise _Rejected(
                f"Error adding item: the previous item with id '{previous}' does not "
                "exist.",
                "item_not_found",
                "previous_item_id",
            )
        prev_id = self._insert(stored, previous if isinstance(previous, str) else None)
        return self._item_added_done(stored, prev_id)

    def _item_delete(self, event: ConversationItemDelete) -> list[ServerEvent]:
        index = self._index(event.item_id)
        if index is None:
            raise _Rejected(
                f"Error deleting item: the item with id '{event.item_id}' does not "
                "exist.",
                "item_delete_invalid_item_id",
                "item_id",
            )
        del self._items[index]
        return [
            ConversationItemDeleted(
                event_id=self._next_id("event"), item_id=event.item_id
            )
        ]

    def _item_retrieve(self, event: ConversationItemRetrieve) -> list[ServerEvent]:
        self._refresh_live_items()
        index = self._index(event.item_id)
        if index is None:
            raise _Rejected(
                f"Error retrieving item: the item with id '{event.item_id}' does not "
                "exist.",
                "item_retrieve_invalid_item_id",
                "item_id",
            )
        return [
            ConversationItemRetrieved(
                event_id=self._next_id("event"), item=self._items[index]
            )
        ]

    def _item_truncate(self, event: ConversationItemTruncate) -> list[ServerEvent]:
        # An item that still streams is truncated as far as it was sent: the audio
        # "already sent to the client but not yet played" (openai-python's
        # ConversationItemTruncateEvent); only an audio_end_ms beyond it is refused.
        self._refresh_live_items()
        index = self._index(event.item_id)
        item = self._items[index] if index is not None else None
        if not isinstance(item, AssistantMessage):
            raise _Rejected(
                f"Item with item_id not found: {event.item_id}. Only assistant message "
                "items can be truncated.",
                "item_truncate_invalid_item_id",
                "item_id",
            )
        ci = event.content_index
        part = item.content[ci] if 0 <= ci < len(item.content) else None
        if not isinstance(part, OutputAudio):
            raise _Rejected(
                f"Invalid 'content_index': content part {ci} of item '{event.item_id}' "
                "is not audio.",
                "invalid_value",
                "content_index",
            )
        audio = _decode_b64(part.audio) if isinstance(part.audio, str) else b""
        bpm = _bytes_per_ms(self._output_format())
        audio_ms = int(len(audio) / bpm)
        if event.audio_end_ms < 0 or event.audio_end_ms > audio_ms:
            raise _Rejected(
                f"Audio content of {audio_ms} ms is already shorter than "
                f"{event.audio_end_ms} ms",
                "invalid_value",
                "audio_end_ms",
            )
        keep = int(event.audio_end_ms * bpm)
        if bpm != 8.0:
            keep -= keep % 2  # whole pcm16 samples
        # The server also drops the transcript the user did not hear (§5.1).
        transcript = part.transcript if isinstance(part.transcript, str) else ""
        heard = (
            transcript[: round(len(transcript) * keep / len(audio))] if audio else ""
        )
        new_part = attrs.evolve(part, audio=_b64.encode(audio[:keep]), transcript=heard)
        content = list(item.content)
        content[ci] = new_part
        self._items[cast(int, index)] = attrs.evolve(item, content=content)
        stream = self._stream_of(event.item_id)
        if stream is not None:
            # The reply goes on streaming (only response.cancel or speech stops it),
            # but the conversation keeps what the user heard.
            stream.truncated = True
        return [
            ConversationItemTruncated(
                event_id=self._next_id("event"),
                item_id=event.item_id,
                content_index=ci,
                audio_end_ms=event.audio_end_ms,
            )
        ]
