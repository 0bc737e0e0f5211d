"""Client events: everything a client sends to the Realtime server.

One class per event type; ``TYPE`` is the GA wire type. The beta spellings of the same
events decode to these classes too (see :mod:`realtime_sync.protocol.dialects`).
"""

from __future__ import annotations

from typing import ClassVar

import attrs

from realtime_sync.events._base import UNSET, ClientEvent, Unset
from realtime_sync.events.models import (
    Item,
    ResponseCreateParams,
    Session,
)


@attrs.frozen(kw_only=True)
class ConversationItemCreate(ClientEvent):
    """Client event ``conversation.item.create``.

    Add an item to the conversation.

    Attributes:
        item: The item.
        previous_item_id: The item it follows (``None`` at the start).
    """

    TYPE: ClassVar[str] = "conversation.item.create"

    item: Item
    previous_item_id: str | Unset | None = UNSET


@attrs.frozen(kw_only=True)
class ConversationItemDelete(ClientEvent):
    """Client event ``conversation.item.delete``.

    Delete an item from the conversation.

    Attributes:
        item_id: The item's id.
    """

    TYPE: ClassVar[str] = "conversation.item.delete"

    item_id: str


@attrs.frozen(kw_only=True)
class ConversationItemRetrieve(ClientEvent):
    """Client event ``conversation.item.retrieve``.

    Ask for the server's full copy of an item.

    Attributes:
        item_id: The item's id.
    """

    TYPE: ClassVar[str] = "conversation.item.retrieve"

    item_id: str


@attrs.frozen(kw_only=True)
class ConversationItemTruncate(ClientEvent):
    """Client event ``conversation.item.truncate``.

    Cut an assistant audio item at what the user heard.

    Attributes:
        item_id: The item's id.
        content_index: The content part's index in the item.
        audio_end_ms: End, in ms of audio.
    """

    TYPE: ClassVar[str] = "conversation.item.truncate"

    item_id: str
    content_index: int
    audio_end_ms: int


@attrs.frozen(kw_only=True)
class InputAudioBufferAppend(ClientEvent):
    """Client event ``input_audio_buffer.append``.

    Append base64 audio (session input format) to the input buffer.

    Attributes:
        audio: Audio data, base64 encoded, or audio settings.
    """

    TYPE: ClassVar[str] = "input_audio_buffer.append"

    audio: str


@attrs.frozen(kw_only=True)
class InputAudioBufferClear(ClientEvent):
    """Client event ``input_audio_buffer.clear``.

    Drop the audio in the input buffer.
    """

    TYPE: ClassVar[str] = "input_audio_buffer.clear"


@attrs.frozen(kw_only=True)
class InputAudioBufferCommit(ClientEvent):
    """Client event ``input_audio_buffer.commit``.

    Turn the buffered audio into a user item.
    """

    TYPE: ClassVar[str] = "input_audio_buffer.commit"


@attrs.frozen(kw_only=True)
class OutputAudioBufferClear(ClientEvent):
    """Client event ``output_audio_buffer.clear``.

    WebRTC/SIP: stop the audio the server is playing.
    """

    TYPE: ClassVar[str] = "output_audio_buffer.clear"


@attrs.frozen(kw_only=True)
class ResponseCancel(ClientEvent):
    """Client event ``response.cancel``.

    Cancel the in-progress response (or ``response_id``).

    Attributes:
        response_id: The response's id.
    """

    TYPE: ClassVar[str] = "response.cancel"

    response_id: str | Unset | None = UNSET


@attrs.frozen(kw_only=True)
class ResponseCreate(ClientEvent):
    """Client event ``response.create``.

    Ask the model for a response, optionally with per-response settings.

    Attributes:
        response: The response.
    """

    TYPE: ClassVar[str] = "response.create"

    response: ResponseCreateParams | Unset | None = UNSET


@attrs.frozen(kw_only=True)
class SessionUpdate(ClientEvent):
    """Client event ``session.update``.

    Change the session configuration (only the fields given change).

    Attributes:
        session: The session configuration.
    """

    TYPE: ClassVar[str] = "session.update"

    session: Session


@attrs.frozen(kw_only=True)
class TranscriptionSessionUpdate(ClientEvent):
    """Client event ``transcription_session.update``.

    Beta: change a transcription-only session.

    Attributes:
        session: The session configuration.
    """

    TYPE: ClassVar[str] = "transcription_session.update"

    session: Session
