"""Server events: everything the Realtime server sends.

One class per event type; ``TYPE`` is the GA wire type. The beta spellings of the same
events decode to these classes too (see :mod:`realtime_sync.protocol.dialects`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

import attrs

from realtime_sync.events import _audio
from realtime_sync.events._base import UNSET, ServerEvent, Unset
from realtime_sync.events.models import (
    Conversation,
    Item,
    LogProb,
    RateLimit,
    RealtimeError,
    RealtimeResponse,
    ResponsePart,
    Session,
    TranscriptionError,
    TranscriptionLanguage,
    TranscriptionUsage,
)

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray


@attrs.frozen(kw_only=True)
class ConversationCreated(ServerEvent):
    """Server event ``conversation.created``.

    The default conversation was created (right after ``session.created``).

    Attributes:
        conversation: The conversation.
    """

    TYPE: ClassVar[str] = "conversation.created"

    conversation: Conversation


@attrs.frozen(kw_only=True)
class ConversationItemCreated(ServerEvent):
    """Server event ``conversation.item.created``.

    An item entered the conversation (the beta-era event; GA servers send
    ``conversation.item.added``).

    Attributes:
        item: The item.
        previous_item_id: The item it follows (``None`` at the start).
    """

    TYPE: ClassVar[str] = "conversation.item.created"

    item: Item
    previous_item_id: str | Unset | None = UNSET


@attrs.frozen(kw_only=True)
class ConversationItemAdded(ServerEvent):
    """Server event ``conversation.item.added``.

    An item was added to the conversation (it may still be in progress).

    Attributes:
        item: The item.
        previous_item_id: The item it follows (``None`` at the start).
    """

    TYPE: ClassVar[str] = "conversation.item.added"

    item: Item
    previous_item_id: str | Unset | None = UNSET


@attrs.frozen(kw_only=True)
class ConversationItemDone(ServerEvent):
    """Server event ``conversation.item.done``.

    An item of the conversation is final.

    Attributes:
        item: The item.
        previous_item_id: The item it follows (``None`` at the start).
    """

    TYPE: ClassVar[str] = "conversation.item.done"

    item: Item
    previous_item_id: str | Unset | None = UNSET


@attrs.frozen(kw_only=True)
class ConversationItemDeleted(ServerEvent):
    """Server event ``conversation.item.deleted``.

    An item was deleted from the conversation.

    Attributes:
        item_id: The item's id.
    """

    TYPE: ClassVar[str] = "conversation.item.deleted"

    item_id: str


@attrs.frozen(kw_only=True)
class ConversationItemInputAudioTranscriptionCompleted(ServerEvent):
    """Server event ``conversation.item.input_audio_transcription.completed``.

    The transcription of a user audio item is complete.

    Attributes:
        item_id: The item's id.
        content_index: The content part's index in the item.
        transcript: The transcript of the audio.
        usage: Token usage.
        languages: Candidate input languages.
        logprobs: Log probabilities of the tokens.
    """

    TYPE: ClassVar[str] = "conversation.item.input_audio_transcription.completed"

    item_id: str
    content_index: int
    transcript: str
    usage: TranscriptionUsage
    languages: list[TranscriptionLanguage] | Unset | None = UNSET
    logprobs: list[LogProb] | Unset | None = UNSET


@attrs.frozen(kw_only=True)
class ConversationItemInputAudioTranscriptionDelta(ServerEvent):
    """Server event ``conversation.item.input_audio_transcription.delta``.

    A chunk of the transcription of a user audio item.

    Attributes:
        item_id: The item's id.
        content_index: The content part's index in the item.
        delta: The new chunk.
        logprobs: Log probabilities of the tokens.
    """

    TYPE: ClassVar[str] = "conversation.item.input_audio_transcription.delta"

    item_id: str
    content_index: int | Unset | None = UNSET
    delta: str | Unset | None = UNSET
    logprobs: list[LogProb] | Unset | None = UNSET


@attrs.frozen(kw_only=True)
class ConversationItemInputAudioTranscriptionFailed(ServerEvent):
    """Server event ``conversation.item.input_audio_transcription.failed``.

    The transcription of a user audio item failed.

    Attributes:
        item_id: The item's id.
        content_index: The content part's index in the item.
        error: The error.
    """

    TYPE: ClassVar[str] = "conversation.item.input_audio_transcription.failed"

    item_id: str
    content_index: int
    error: TranscriptionError


@attrs.frozen(kw_only=True)
class ConversationItemInputAudioTranscriptionSegment(ServerEvent):
    """Server event ``conversation.item.input_audio_transcription.segment``.

    A diarized segment of user audio (speaker label and times).

    Attributes:
        id: The object's id.
        item_id: The item's id.
        content_index: The content part's index in the item.
        text: The text.
        speaker: The speaker label.
        start: Start time in seconds.
        end: End time in seconds.
    """

    TYPE: ClassVar[str] = "conversation.item.input_audio_transcription.segment"

    id: str
    item_id: str
    content_index: int
    text: str
    speaker: str
    start: float
    end: float


@attrs.frozen(kw_only=True)
class ConversationItemRetrieved(ServerEvent):
    """Server event ``conversation.item.retrieved``.

    The server's full copy of an item, audio included.

    Attributes:
        item: The item.
    """

    TYPE: ClassVar[str] = "conversation.item.retrieved"

    item: Item


@attrs.frozen(kw_only=True)
class ConversationItemTruncated(ServerEvent):
    """Server event ``conversation.item.truncated``.

    An assistant audio item was truncated.

    Attributes:
        item_id: The item's id.
        content_index: The content part's index in the item.
        audio_end_ms: End, in ms of audio.
    """

    TYPE: ClassVar[str] = "conversation.item.truncated"

    item_id: str
    content_index: int
    audio_end_ms: int


@attrs.frozen(kw_only=True)
class Error(ServerEvent):
    """Server event ``error``.

    The server reports an error (usually caused by a client event).

    Attributes:
        error: The error.
    """

    TYPE: ClassVar[str] = "error"

    error: RealtimeError


@attrs.frozen(kw_only=True)
class InputAudioBufferCleared(ServerEvent):
    """Server event ``input_audio_buffer.cleared``.

    The input audio buffer was cleared.
    """

    TYPE: ClassVar[str] = "input_audio_buffer.cleared"


@attrs.frozen(kw_only=True)
class InputAudioBufferCommitted(ServerEvent):
    """Server event ``input_audio_buffer.committed``.

    The input audio buffer became a user item.

    Attributes:
        item_id: The item's id.
        previous_item_id: The item it follows (``None`` at the start).
    """

    TYPE: ClassVar[str] = "input_audio_buffer.committed"

    item_id: str
    previous_item_id: str | Unset | None = UNSET


@attrs.frozen(kw_only=True)
class InputAudioBufferDtmfEventReceived(ServerEvent):
    """Server event ``input_audio_buffer.dtmf_event_received``.

    A keypad press on a SIP call.

    Attributes:
        event: The key pressed.
        received_at: When it was received (Unix time).
    """

    TYPE: ClassVar[str] = "input_audio_buffer.dtmf_event_received"

    event: str
    received_at: int


@attrs.frozen(kw_only=True)
class InputAudioBufferSpeechStarted(ServerEvent):
    """Server event ``input_audio_buffer.speech_started``.

    Voice activity detection heard speech start.

    Attributes:
        audio_start_ms: Start of speech, in ms of input audio since the session
            started.
        item_id: The item's id.
    """

    TYPE: ClassVar[str] = "input_audio_buffer.speech_started"

    audio_start_ms: int
    item_id: str


@attrs.frozen(kw_only=True)
class InputAudioBufferSpeechStopped(ServerEvent):
    """Server event ``input_audio_buffer.speech_stopped``.

    Voice activity detection heard speech end.

    Attributes:
        audio_end_ms: End, in ms of audio.
        item_id: The item's id.
    """

    TYPE: ClassVar[str] = "input_audio_buffer.speech_stopped"

    audio_end_ms: int
    item_id: str


@attrs.frozen(kw_only=True)
class InputAudioBufferTimeoutTriggered(ServerEvent):
    """Server event ``input_audio_buffer.timeout_triggered``.

    No speech came for ``idle_timeout_ms``; the silence was committed.

    Attributes:
        audio_start_ms: Start of speech, in ms of input audio since the session
            started.
        audio_end_ms: End, in ms of audio.
        item_id: The item's id.
    """

    TYPE: ClassVar[str] = "input_audio_buffer.timeout_triggered"

    audio_start_ms: int
    audio_end_ms: int
    item_id: str


@attrs.frozen(kw_only=True)
class RateLimitsUpdated(ServerEvent):
    """Server event ``rate_limits.updated``.

    The current rate limits.

    Attributes:
        rate_limits: The rate limits.
    """

    TYPE: ClassVar[str] = "rate_limits.updated"

    rate_limits: list[RateLimit]


@attrs.frozen(kw_only=True)
class ResponseOutputAudioDelta(ServerEvent):
    """Server event ``response.output_audio.delta``.

    A chunk of model audio.

    Attributes:
        response_id: The response's id.
        item_id: The item's id.
        output_index: The item's index in the response output.
        content_index: The content part's index in the item.
        delta: The new chunk.
    """

    TYPE: ClassVar[str] = "response.output_audio.delta"

    response_id: str
    item_id: str
    output_index: int
    content_index: int
    delta: str

    @property
    def audio(self) -> NDArray[np.int16]:
        """The audio of ``delta`` read as PCM16, decoded on each access.

        Right for ``audio/pcm`` sessions (the default). The event cannot know the
        session's format: in an ``audio/pcmu`` or ``audio/pcma`` session the delta
        holds G.711 bytes, which ``client.audio_of(event)`` decodes correctly.
        """
        return _audio.pcm16(self.delta)


@attrs.frozen(kw_only=True)
class ResponseOutputAudioDone(ServerEvent):
    """Server event ``response.output_audio.done``.

    The audio of a content part is complete.

    Attributes:
        response_id: The response's id.
        item_id: The item's id.
        output_index: The item's index in the response output.
        content_index: The content part's index in the item.
    """

    TYPE: ClassVar[str] = "response.output_audio.done"

    response_id: str
    item_id: str
    output_index: int
    content_index: int


@attrs.frozen(kw_only=True)
class ResponseOutputAudioTranscriptDelta(ServerEvent):
    """Server event ``response.output_audio_transcript.delta``.

    A chunk of the transcript of model audio.

    Attributes:
        response_id: The response's id.
        item_id: The item's id.
        output_index: The item's index in the response output.
        content_index: The content part's index in the item.
        delta: The new chunk.
    """

    TYPE: ClassVar[str] = "response.output_audio_transcript.delta"

    response_id: str
    item_id: str
    output_index: int
    content_index: int
    delta: str


@attrs.frozen(kw_only=True)
class ResponseOutputAudioTranscriptDone(ServerEvent):
    """Server event ``response.output_audio_transcript.done``.

    The transcript of model audio is complete.

    Attributes:
        response_id: The response's id.
        item_id: The item's id.
        output_index: The item's index in the response output.
        content_index: The content part's index in the item.
        transcript: The transcript of the audio.
    """

    TYPE: ClassVar[str] = "response.output_audio_transcript.done"

    response_id: str
    item_id: str
    output_index: int
    content_index: int
    transcript: str


@attrs.frozen(kw_only=True)
class ResponseOutputTextDelta(ServerEvent):
    """Server event ``response.output_text.delta``.

    A chunk of model text.

    Attributes:
        response_id: The response's id.
        item_id: The item's id.
        output_index: The item's index in the response output.
        content_index: The content part's index in the item.
        delta: The new chunk.
    """

    TYPE: ClassVar[str] = "response.output_text.delta"

    response_id: str
    item_id: str
    output_index: int
    content_index: int
    delta: str


@attrs.frozen(kw_only=True)
class ResponseOutputTextDone(ServerEvent):
    """Server event ``response.output_text.done``.

    The text of a content part is complete.

    Attributes:
        response_id: The response's id.
        item_id: The item's id.
        output_index: The item's index in the response output.
        content_index: The content part's index in the item.
        text: The text.
    """

    TYPE: ClassVar[str] = "response.output_text.done"

    response_id: str
    item_id: str
    output_index: int
    content_index: int
    text: str


@attrs.frozen(kw_only=True)
class ResponseContentPartAdded(ServerEvent):
    """Server event ``response.content_part.added``.

    A content part starts in an assistant item.

    Attributes:
        response_id: The response's id.
        item_id: The item's id.
        output_index: The item's index in the response output.
        content_index: The content part's index in the item.
        part: The content part.
    """

    TYPE: ClassVar[str] = "response.content_part.added"

    response_id: str
    item_id: str
    output_index: int
    content_index: int
    part: ResponsePart


@attrs.frozen(kw_only=True)
class ResponseContentPartDone(ServerEvent):
    """Server event ``response.content_part.done``.

    A content part is complete.

    Attributes:
        response_id: The response's id.
        item_id: The item's id.
        output_index: The item's index in the response output.
        content_index: The content part's index in the item.
        part: The content part.
    """

    TYPE: ClassVar[str] = "response.content_part.done"

    response_id: str
    item_id: str
    output_index: int
    content_index: int
    part: ResponsePart


@attrs.frozen(kw_only=True)
class ResponseCreated(ServerEvent):
    """Server event ``response.created``.

    A response started.

    Attributes:
        response: The response.
    """

    TYPE: ClassVar[str] = "response.created"

    response: RealtimeResponse


@attrs.frozen(kw_only=True)
class ResponseDone(ServerEvent):
    """Server event ``response.done``.

    A response ended (completed, cancelled, failed or incomplete).

    Attributes:
        response: The response.
    """

    TYPE: ClassVar[str] = "response.done"

    response: RealtimeResponse


@attrs.frozen(kw_only=True)
class ResponseFunctionCallArgumentsDelta(ServerEvent):
    """Server event ``response.function_call_arguments.delta``.

    A chunk of a function call's JSON arguments.

    Attributes:
        response_id: The response's id.
        item_id: The item's id.
        output_index: The item's index in the response output.
        call_id: The id that ties a function call to its output.
        delta: The new chunk.
    """

    TYPE: ClassVar[str] = "response.function_call_arguments.delta"

    response_id: str
    item_id: str
    output_index: int
    call_id: str
    delta: str


@attrs.frozen(kw_only=True)
class ResponseFunctionCallArgumentsDone(ServerEvent):
    """Server event ``response.function_call_arguments.done``.

    A function call's arguments are complete.

    Attributes:
        response_id: The response's id.
        item_id: The item's id.
        output_index: The item's index in the response output.
        call_id: The id that ties a function call to its output.
        arguments: The call's arguments as a JSON string.
        name: The name.
    """

    TYPE: ClassVar[str] = "response.function_call_arguments.done"

    response_id: str
    item_id: str
    output_index: int
    call_id: str
    arguments: str
    name: str | Unset | None = UNSET


@attrs.frozen(kw_only=True)
class ResponseOutputItemAdded(ServerEvent):
    """Server event ``response.output_item.added``.

    A response output item starts.

    Attributes:
        response_id: The response's id.
        output_index: The item's index in the response output.
        item: The item.
    """

    TYPE: ClassVar[str] = "response.output_item.added"

    response_id: str
    output_index: int
    item: Item


@attrs.frozen(kw_only=True)
class ResponseOutputItemDone(ServerEvent):
    """Server event ``response.output_item.done``.

    A response output item is complete.

    Attributes:
        response_id: The response's id.
        output_index: The item's index in the response output.
        item: The item.
    """

    TYPE: ClassVar[str] = "response.output_item.done"

    response_id: str
    output_index: int
    item: Item


@attrs.frozen(kw_only=True)
class ResponseMcpCallArgumentsDelta(ServerEvent):
    """Server event ``response.mcp_call_arguments.delta``.

    A chunk of an MCP call's JSON arguments.

    Attributes:
        response_id: The response's id.
        item_id: The item's id.
        output_index: The item's index in the response output.
        delta: The new chunk.
        obfuscation: Padding the server adds against side channels.
    """

    TYPE: ClassVar[str] = "response.mcp_call_arguments.delta"

    response_id: str
    item_id: str
    output_index: int
    delta: str
    obfuscation: str | Unset | None = UNSET


@attrs.frozen(kw_only=True)
class ResponseMcpCallArgumentsDone(ServerEvent):
    """Server event ``response.mcp_call_arguments.done``.

    An MCP call's arguments are complete.

    Attributes:
        response_id: The response's id.
        item_id: The item's id.
        output_index: The item's index in the response output.
        arguments: The call's arguments as a JSON string.
    """

    TYPE: ClassVar[str] = "response.mcp_call_arguments.done"

    response_id: str
    item_id: str
    output_index: int
    arguments: str


@attrs.frozen(kw_only=True)
class ResponseMcpCallInProgress(ServerEvent):
    """Server event ``response.mcp_call.in_progress``.

    The server started an MCP tool call.

    Attributes:
        item_id: The item's id.
        output_index: The item's index in the response output.
    """

    TYPE: ClassVar[str] = "response.mcp_call.in_progress"

    item_id: str
    output_index: int


@attrs.frozen(kw_only=True)
class ResponseMcpCallCompleted(ServerEvent):
    """Server event ``response.mcp_call.completed``.

    An MCP tool call succeeded.

    Attributes:
        item_id: The item's id.
        output_index: The item's index in the response output.
    """

    TYPE: ClassVar[str] = "response.mcp_call.completed"

    item_id: str
    output_index: int


@attrs.frozen(kw_only=True)
class ResponseMcpCallFailed(ServerEvent):
    """Server event ``response.mcp_call.failed``.

    An MCP tool call failed.

    Attributes:
        item_id: The item's id.
        output_index: The item's index in the response output.
    """

    TYPE: ClassVar[str] = "response.mcp_call.failed"

    item_id: str
    output_index: int


@attrs.frozen(kw_only=True)
class McpListToolsInProgress(ServerEvent):
    """Server event ``mcp_list_tools.in_progress``.

    Listing the tools of an MCP server started.

    Attributes:
        item_id: The item's id.
    """

    TYPE: ClassVar[str] = "mcp_list_tools.in_progress"

    item_id: str


@attrs.frozen(kw_only=True)
class McpListToolsCompleted(ServerEvent):
    """Server event ``mcp_list_tools.completed``.

    Listing the tools of an MCP server finished.

    Attributes:
        item_id: The item's id.
    """

    TYPE: ClassVar[str] = "mcp_list_tools.completed"

    item_id: str


@attrs.frozen(kw_only=True)
class McpListToolsFailed(ServerEvent):
    """Server event ``mcp_list_tools.failed``.

    Listing the tools of an MCP server failed.

    Attributes:
        item_id: The item's id.
    """

    TYPE: ClassVar[str] = "mcp_list_tools.failed"

    item_id: str


@attrs.frozen(kw_only=True)
class SessionCreated(ServerEvent):
    """Server event ``session.created``.

    The session was created (the first server event).

    Attributes:
        session: The session configuration.
    """

    TYPE: ClassVar[str] = "session.created"

    session: Session


@attrs.frozen(kw_only=True)
class SessionUpdated(ServerEvent):
    """Server event ``session.updated``.

    The session configuration changed; the complete effective configuration.

    Attributes:
        session: The session configuration.
    """

    TYPE: ClassVar[str] = "session.updated"

    session: Session


@attrs.frozen(kw_only=True)
class OutputAudioBufferStarted(ServerEvent):
    """Server event ``output_audio_buffer.started``.

    WebRTC/SIP: the server started playing a response's audio.

    Attributes:
        response_id: The response's id.
    """

    TYPE: ClassVar[str] = "output_audio_buffer.started"

    response_id: str


@attrs.frozen(kw_only=True)
class OutputAudioBufferStopped(ServerEvent):
    """Server event ``output_audio_buffer.stopped``.

    WebRTC/SIP: the server's playback buffer drained.

    Attributes:
        response_id: The response's id.
    """

    TYPE: ClassVar[str] = "output_audio_buffer.stopped"

    response_id: str


@attrs.frozen(kw_only=True)
class OutputAudioBufferCleared(ServerEvent):
    """Server event ``output_audio_buffer.cleared``.

    WebRTC/SIP: the server's playback buffer was cleared.

    Attributes:
        response_id: The response's id.
    """

    TYPE: ClassVar[str] = "output_audio_buffer.cleared"

    response_id: str


@attrs.frozen(kw_only=True)
class TranscriptionSessionCreated(ServerEvent):
    """Server event ``transcription_session.created``.

    Beta: a transcription-only session was created.

    Attributes:
        session: The session configuration.
    """

    TYPE: ClassVar[str] = "transcription_session.created"

    session: Session


@attrs.frozen(kw_only=True)
class TranscriptionSessionUpdated(ServerEvent):
    """Server event ``transcription_session.updated``.

    Beta: a transcription-only session was updated.

    Attributes:
        session: The session configuration.
    """

    TYPE: ClassVar[str] = "transcription_session.updated"

    session: Session
