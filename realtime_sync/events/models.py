"""Nested models of the Realtime protocol: sessions, items, content, responses, usage.

GA is canonical: these classes have the GA shape, and the beta dialect is translated to
and from them at the edge (:mod:`realtime_sync.protocol.dialects`). Discriminated unions
(:data:`Item`, :data:`ContentPart`, :data:`Tool`, ...) end in :class:`UnknownModel`, so
a kind of object this version does not know decodes and re-encodes unchanged.
"""

from __future__ import annotations

from typing import Any, TypeAlias

import attrs

from realtime_sync.events._base import UNSET, Model, UnknownModel, Unset


@attrs.frozen(kw_only=True)
class AudioPCM(Model):
    """PCM16 audio, 24 kHz mono little-endian (``audio/pcm``).

    Attributes:
        type: Always ``audio/pcm`` for this class.
        rate: The sample rate in Hz (24000).
    """

    type: str | Unset | None = "audio/pcm"
    rate: int | Unset | None = UNSET


@attrs.frozen(kw_only=True)
class AudioPCMU(Model):
    """G.711 mu-law audio at 8 kHz (``audio/pcmu``).

    Attributes:
        type: Always ``audio/pcmu`` for this class.
    """

    type: str | Unset | None = "audio/pcmu"


@attrs.frozen(kw_only=True)
class AudioPCMA(Model):
    """G.711 A-law audio at 8 kHz (``audio/pcma``).

    Attributes:
        type: Always ``audio/pcma`` for this class.
    """

    type: str | Unset | None = "audio/pcma"


@attrs.frozen(kw_only=True)
class NoiseReduction(Model):
    """Input noise reduction settings.

    Attributes:
        type: The object's kind, as on the wire.
        strength: Noise reduction strength.
    """

    type: str | Unset | None = UNSET
    strength: float | Unset | None = UNSET


@attrs.frozen(kw_only=True)
class TranscriptionConfig(Model):
    """Input audio transcription settings (``audio.input.transcription``).

    Attributes:
        model: The model name.
        language: The input language (ISO-639-1), a hint for the transcriber.
        languages: Candidate input languages.
        prompt: A prompt for the model (text or a template reference).
        keywords: Vocabulary hints for the transcriber.
        delay: The transcription delay setting.
    """

    model: str | Unset | None = UNSET
    language: str | Unset | None = UNSET
    languages: list[str] | Unset | None = UNSET
    prompt: str | Unset | None = UNSET
    keywords: list[str] | Unset | None = UNSET
    delay: str | Unset | None = UNSET


@attrs.frozen(kw_only=True)
class ServerVad(Model):
    """Server voice activity detection (``turn_detection.type = "server_vad"``).

    Attributes:
        type: Always ``server_vad`` for this class.
        threshold: Activation threshold, 0.0 to 1.0 (higher needs louder speech).
        prefix_padding_ms: Audio kept before detected speech, in ms.
        silence_duration_ms: Silence that ends a turn, in ms.
        idle_timeout_ms: Commit and respond after this long without speech, in ms.
        create_response: Start a response when a turn ends.
        interrupt_response: Cancel the running response when speech starts.
    """

    type: str | Unset | None = "server_vad"
    threshold: float | Unset | None = UNSET
    prefix_padding_ms: int | Unset | None = UNSET
    silence_duration_ms: int | Unset | None = UNSET
    idle_timeout_ms: int | Unset | None = UNSET
    create_response: bool | Unset | None = UNSET
    interrupt_response: bool | Unset | None = UNSET


@attrs.frozen(kw_only=True)
class SemanticVad(Model):
    """Semantic voice activity detection (``turn_detection.type = "semantic_vad"``).

    Attributes:
        type: Always ``semantic_vad`` for this class.
        eagerness: How soon the model answers: low, medium, high or auto.
        create_response: Start a response when a turn ends.
        interrupt_response: Cancel the running response when speech starts.
    """

    type: str | Unset | None = "semantic_vad"
    eagerness: str | Unset | None = UNSET
    create_response: bool | Unset | None = UNSET
    interrupt_response: bool | Unset | None = UNSET


@attrs.frozen(kw_only=True)
class VoiceId(Model):
    """A custom voice, referenced by id.

    Attributes:
        id: The object's id.
    """

    id: str


@attrs.frozen(kw_only=True)
class AudioInput(Model):
    """Input audio settings of a session.

    Attributes:
        format: The audio format.
        transcription: Input transcription settings; ``None`` turns it off.
        noise_reduction: Input noise reduction; ``None`` turns it off.
        turn_detection: Voice activity detection; ``None`` means manual turns.
    """

    format: AudioFormat | Unset | None = UNSET
    transcription: TranscriptionConfig | Unset | None = UNSET
    noise_reduction: NoiseReduction | Unset | None = UNSET
    turn_detection: TurnDetection | Unset | None = UNSET


@attrs.frozen(kw_only=True)
class AudioOutput(Model):
    """Output audio settings of a session or a response.

    Attributes:
        format: The audio format.
        voice: The voice: a name such as ``marin`` or a custom :class:`VoiceId`.
        speed: Speech speed, 0.25 to 1.5.
    """

    format: AudioFormat | Unset | None = UNSET
    voice: Voice | Unset | None = UNSET
    speed: float | Unset | None = UNSET


@attrs.frozen(kw_only=True)
class AudioConfig(Model):
    """Audio settings of a realtime session.

    Attributes:
        input: Input settings, or the explicit input items of a response.
        output: Output settings, or the output of a call.
    """

    input: AudioInput | Unset | None = UNSET
    output: AudioOutput | Unset | None = UNSET


@attrs.frozen(kw_only=True)
class TranscriptionAudio(Model):
    """Audio settings of a transcription session.

    Attributes:
        input: Input settings, or the explicit input items of a response.
    """

    input: AudioInput | Unset | None = UNSET


@attrs.frozen(kw_only=True)
class ResponseAudio(Model):
    """Audio settings of one response.

    Attributes:
        output: Output settings, or the output of a call.
    """

    output: AudioOutput | Unset | None = UNSET


@attrs.frozen(kw_only=True)
class FunctionTool(Model):
    """A function the model may call.

    Attributes:
        type: Always ``function`` for this class.
        name: The name.
        description: A description for the model.
        parameters: The JSON Schema of the arguments.
    """

    type: str | Unset | None = "function"
    name: str | Unset | None = UNSET
    description: str | Unset | None = UNSET
    parameters: Any | Unset | None = UNSET


@attrs.frozen(kw_only=True)
class McpToolFilter(Model):
    """A filter selecting MCP tools by name or by read-only flag.

    Attributes:
        read_only: Match tools that are read-only.
        tool_names: Match tools by name.
    """

    read_only: bool | Unset | None = UNSET
    tool_names: list[str] | Unset | None = UNSET


@attrs.frozen(kw_only=True)
class McpApprovalFilter(Model):
    """Which MCP tools always or never need approval.

    Attributes:
        always: Tools that always need approval.
        never: Tools that never need approval.
    """

    always: McpToolFilter | Unset | None = UNSET
    never: McpToolFilter | Unset | None = UNSET


@attrs.frozen(kw_only=True)
class McpTool(Model):
    """A remote MCP server whose tools the model may call (executed by the server).

    Attributes:
        type: Always ``mcp`` for this class.
        server_label: The label of the MCP server.
        server_url: The URL of the MCP server.
        connector_id: A connector id used instead of a server URL.
        tunnel_id: A tunnel id used instead of a server URL.
        headers: HTTP headers sent to the MCP server.
        authorization: An OAuth token for the MCP server.
        allowed_tools: Which tools may be called.
        require_approval: Which tools need approval.
        server_description: A description of the MCP server.
        allowed_callers: Who may call the tools.
        defer_loading: Load the tool list lazily.
    """

    type: str | Unset | None = "mcp"
    server_label: str
    server_url: str | Unset | None = UNSET
    connector_id: str | Unset | None = UNSET
    tunnel_id: str | Unset | None = UNSET
    headers: dict[str, str] | Unset | None = UNSET
    authorization: str | Unset | None = UNSET
    allowed_tools: McpAllowedTools | Unset | None = UNSET
    require_approval: McpRequireApproval | Unset | None = UNSET
    server_description: str | Unset | None = UNSET
    allowed_callers: list[str] | Unset | None = UNSET
    defer_loading: bool | Unset | None = UNSET


@attrs.frozen(kw_only=True)
class ToolChoiceFunction(Model):
    """Force the model to call one function.

    Attributes:
        type: Always ``function`` for this class.
        name: The name.
    """

    type: str | Unset | None = "function"
    name: str


@attrs.frozen(kw_only=True)
class ToolChoiceMcp(Model):
    """Force the model to call a tool of one MCP server.

    Attributes:
        type: Always ``mcp`` for this class.
        server_label: The label of the MCP server.
        name: The name.
    """

    type: str | Unset | None = "mcp"
    server_label: str
    name: str | Unset | None = UNSET


@attrs.frozen(kw_only=True)
class TracingConfig(Model):
    """Tracing settings.

    Attributes:
        workflow_name: The name of the traced workflow.
        group_id: A group id for traces.
        metadata: Free-form metadata.
    """

    workflow_name: str | Unset | None = UNSET
    group_id: str | Unset | None = UNSET
    metadata: Any | Unset | None = UNSET


@attrs.frozen(kw_only=True)
class TokenLimits(Model):
    """Token limits used by retention-ratio truncation.

    Attributes:
        post_instructions: Token budget after the instructions.
    """

    post_instructions: int | Unset | None = UNSET


@attrs.frozen(kw_only=True)
class RetentionRatioTruncation(Model):
    """Truncation that keeps a ratio of the context when it overflows.

    Attributes:
        type: Always ``retention_ratio`` for this class.
        retention_ratio: The share of the context kept when truncating, 0 to 1.
        token_limits: Token limits for truncation.
    """

    type: str | Unset | None = "retention_ratio"
    retention_ratio: float
    token_limits: TokenLimits | Unset | None = UNSET


@attrs.frozen(kw_only=True)
class Reasoning(Model):
    """Reasoning settings of reasoning models.

    Attributes:
        effort: Reasoning effort.
    """

    effort: str | Unset | None = UNSET


@attrs.frozen(kw_only=True)
class PromptCacheBreakpoint(Model):
    """A prompt cache breakpoint.

    Attributes:
        mode: The breakpoint mode.
        ttl: How long the cache entry lives.
    """

    mode: str
    ttl: str | Unset | None = UNSET


@attrs.frozen(kw_only=True)
class InputText(Model):
    """Text content from the user or the system (``input_text``).

    Attributes:
        type: Always ``input_text`` for this class.
        text: The text.
        prompt_cache_breakpoint: A prompt cache breakpoint.
    """

    type: str | Unset | None = "input_text"
    text: str | Unset | None = UNSET
    prompt_cache_breakpoint: PromptCacheBreakpoint | Unset | None = UNSET


@attrs.frozen(kw_only=True)
class InputAudio(Model):
    """Audio content from the user (``input_audio``), base64 in the input format.

    Attributes:
        type: Always ``input_audio`` for this class.
        audio: Audio data, base64 encoded, or audio settings.
        transcript: The transcript of the audio.
    """

    type: str | Unset | None = "input_audio"
    audio: str | Unset | None = UNSET
    transcript: str | Unset | None = UNSET


@attrs.frozen(kw_only=True)
class InputImage(Model):
    """Image content from the user (``input_image``).

    Attributes:
        type: Always ``input_image`` for this class.
        image_url: The image as a data URI or URL.
        detail: The detail level.
        file_id: The id of an uploaded file.
        prompt_cache_breakpoint: A prompt cache breakpoint.
    """

    type: str | Unset | None = "input_image"
    image_url: str | Unset | None = UNSET
    detail: str | Unset | None = UNSET
    file_id: str | Unset | None = UNSET
    prompt_cache_breakpoint: PromptCacheBreakpoint | Unset | None = UNSET


@attrs.frozen(kw_only=True)
class InputFile(Model):
    """A file given as a prompt variable (``input_file``).

    Attributes:
        type: Always ``input_file`` for this class.
        file_data: The file's content, base64 encoded.
        file_id: The id of an uploaded file.
        file_url: The URL of the file.
        filename: The file name.
        detail: The detail level.
        prompt_cache_breakpoint: A prompt cache breakpoint.
    """

    type: str | Unset | None = "input_file"
    file_data: str | Unset | None = UNSET
    file_id: str | Unset | None = UNSET
    file_url: str | Unset | None = UNSET
    filename: str | Unset | None = UNSET
    detail: str | Unset | None = UNSET
    prompt_cache_breakpoint: PromptCacheBreakpoint | Unset | None = UNSET


@attrs.frozen(kw_only=True)
class OutputText(Model):
    """Text content from the assistant (``output_text``; beta ``text``).

    Attributes:
        type: Always ``output_text`` for this class.
        text: The text.
    """

    type: str | Unset | None = "output_text"
    text: str | Unset | None = UNSET


@attrs.frozen(kw_only=True)
class OutputAudio(Model):
    """Audio content from the assistant (``output_audio``; beta ``audio``).

    Attributes:
        type: Always ``output_audio`` for this class.
        audio: Audio data, base64 encoded, or audio settings.
        transcript: The transcript of the audio.
    """

    type: str | Unset | None = "output_audio"
    audio: str | Unset | None = UNSET
    transcript: str | Unset | None = UNSET


@attrs.frozen(kw_only=True)
class ItemReferenceContent(Model):
    """A reference to another item inside message content (beta).

    Attributes:
        type: Always ``item_reference`` for this class.
        id: The object's id.
    """

    type: str | Unset | None = "item_reference"
    id: str | Unset | None = UNSET


@attrs.frozen(kw_only=True)
class Prompt(Model):
    """A reusable prompt template and its variables.

    Attributes:
        id: The object's id.
        version: The version of the prompt template.
        variables: Values for the template's variables.
    """

    id: str
    version: str | Unset | None = UNSET
    variables: dict[str, PromptVariable] | Unset | None = UNSET


@attrs.frozen(kw_only=True)
class SystemMessage(Model):
    """A system message item.

    Attributes:
        type: Always ``message`` for this class.
        role: Always ``system`` for this class.
        content: The content parts of the message.
        id: The object's id.
        object: The object kind string (``realtime.item``, ...).
        status: The status: in_progress, completed, incomplete, ...
    """

    type: str | Unset | None = "message"
    role: str | Unset | None = "system"
    content: list[ContentPart]
    id: str | Unset | None = UNSET
    object: str | Unset | None = UNSET
    status: str | Unset | None = UNSET


@attrs.frozen(kw_only=True)
class UserMessage(Model):
    """A user message item (text, audio or image content).

    Attributes:
        type: Always ``message`` for this class.
        role: Always ``user`` for this class.
        content: The content parts of the message.
        id: The object's id.
        object: The object kind string (``realtime.item``, ...).
        status: The status: in_progress, completed, incomplete, ...
    """

    type: str | Unset | None = "message"
    role: str | Unset | None = "user"
    content: list[ContentPart]
    id: str | Unset | None = UNSET
    object: str | Unset | None = UNSET
    status: str | Unset | None = UNSET


@attrs.frozen(kw_only=True)
class AssistantMessage(Model):
    """An assistant message item (text or audio with transcript).

    Attributes:
        type: Always ``message`` for this class.
        role: Always ``assistant`` for this class.
        content: The content parts of the message.
        id: The object's id.
        object: The object kind string (``realtime.item``, ...).
        status: The status: in_progress, completed, incomplete, ...
    """

    type: str | Unset | None = "message"
    role: str | Unset | None = "assistant"
    content: list[ContentPart]
    id: str | Unset | None = UNSET
    object: str | Unset | None = UNSET
    status: str | Unset | None = UNSET


@attrs.frozen(kw_only=True)
class FunctionCallItem(Model):
    """A function call the model made.

    Attributes:
        type: Always ``function_call`` for this class.
        name: The name.
        arguments: The call's arguments as a JSON string.
        call_id: The id that ties a function call to its output.
        id: The object's id.
        object: The object kind string (``realtime.item``, ...).
        status: The status: in_progress, completed, incomplete, ...
    """

    type: str | Unset | None = "function_call"
    name: str
    arguments: str
    call_id: str | Unset | None = UNSET
    id: str | Unset | None = UNSET
    object: str | Unset | None = UNSET
    status: str | Unset | None = UNSET


@attrs.frozen(kw_only=True)
class FunctionCallOutputItem(Model):
    """The output of a function call, sent back by the client.

    Attributes:
        type: Always ``function_call_output`` for this class.
        call_id: The id that ties a function call to its output.
        output: Output settings, or the output of a call.
        id: The object's id.
        object: The object kind string (``realtime.item``, ...).
        status: The status: in_progress, completed, incomplete, ...
    """

    type: str | Unset | None = "function_call_output"
    call_id: str
    output: str
    id: str | Unset | None = UNSET
    object: str | Unset | None = UNSET
    status: str | Unset | None = UNSET


@attrs.frozen(kw_only=True)
class McpToolInfo(Model):
    """One tool listed by an MCP server.

    Attributes:
        name: The name.
        input_schema: The JSON Schema of the tool's input.
        description: A description for the model.
        annotations: Tool annotations.
    """

    name: str
    input_schema: Any
    description: str | Unset | None = UNSET
    annotations: Any | Unset | None = UNSET


@attrs.frozen(kw_only=True)
class McpListToolsItem(Model):
    """The tools an MCP server offers.

    Attributes:
        type: Always ``mcp_list_tools`` for this class.
        server_label: The label of the MCP server.
        tools: The tools the model may call.
        id: The object's id.
    """

    type: str | Unset | None = "mcp_list_tools"
    server_label: str
    tools: list[McpToolInfo]
    id: str | Unset | None = UNSET


@attrs.frozen(kw_only=True)
class McpProtocolError(Model):
    """An MCP protocol error.

    Attributes:
        type: Always ``protocol_error`` for this class.
        code: The error code.
        message: A human-readable message.
    """

    type: str | Unset | None = "protocol_error"
    code: int
    message: str


@attrs.frozen(kw_only=True)
class McpToolExecutionError(Model):
    """An MCP tool raised.

    Attributes:
        type: Always ``tool_execution_error`` for this class.
        message: A human-readable message.
    """

    type: str | Unset | None = "tool_execution_error"
    message: str


@attrs.frozen(kw_only=True)
class McpHttpError(Model):
    """An MCP server answered with an HTTP error.

    Attributes:
        type: Always ``http_error`` for this class.
        code: The error code.
        message: A human-readable message.
    """

    type: str | Unset | None = "http_error"
    code: int
    message: str


@attrs.frozen(kw_only=True)
class McpCallItem(Model):
    """A call of an MCP tool, executed by the server.

    Attributes:
        type: Always ``mcp_call`` for this class.
        id: The object's id.
        server_label: The label of the MCP server.
        name: The name.
        arguments: The call's arguments as a JSON string.
        approval_request_id: The id of the approval request.
        output: Output settings, or the output of a call.
        error: The error.
    """

    type: str | Unset | None = "mcp_call"
    id: str
    server_label: str
    name: str
    arguments: str
    approval_request_id: str | Unset | None = UNSET
    output: str | Unset | None = UNSET
    error: McpError | Unset | None = UNSET


@attrs.frozen(kw_only=True)
class McpApprovalRequestItem(Model):
    """The server asks the client to approve an MCP tool call.

    Attributes:
        type: Always ``mcp_approval_request`` for this class.
        id: The object's id.
        server_label: The label of the MCP server.
        name: The name.
        arguments: The call's arguments as a JSON string.
    """

    type: str | Unset | None = "mcp_approval_request"
    id: str
    server_label: str
    name: str
    arguments: str


@attrs.frozen(kw_only=True)
class McpApprovalResponseItem(Model):
    """The client's answer to an MCP approval request.

    Attributes:
        type: Always ``mcp_approval_response`` for this class.
        id: The object's id.
        approval_request_id: The id of the approval request.
        approve: Whether the call is approved.
        reason: Why.
    """

    type: str | Unset | None = "mcp_approval_response"
    id: str
    approval_request_id: str
    approve: bool
    reason: str | Unset | None = UNSET


@attrs.frozen(kw_only=True)
class ItemReference(Model):
    """A reference to an existing item, used in ``response.input``.

    Attributes:
        type: Always ``item_reference`` for this class.
        id: The object's id.
    """

    type: str | Unset | None = "item_reference"
    id: str


@attrs.frozen(kw_only=True)
class RealtimeSession(Model):
    """The configuration of a realtime (speech-to-speech) session.

    Attributes:
        type: Always ``realtime`` for this class.
        model: The model name.
        output_modalities: What the model produces: ``["audio"]`` or ``["text"]``.
        instructions: The system instructions.
        audio: Audio data, base64 encoded, or audio settings.
        include: Extra fields the server should include.
        tools: The tools the model may call.
        tool_choice: How the model chooses tools: auto, none, required, or a
            specific one.
        max_output_tokens: The output token limit, or ``"inf"``.
        tracing: Tracing: ``"auto"``, a :class:`TracingConfig`, or ``None`` (off).
        truncation: How the context is truncated when it overflows.
        prompt: A prompt for the model (text or a template reference).
        reasoning: Reasoning settings.
        parallel_tool_calls: Whether the model may call several tools at once.
        id: The object's id.
        object: The object kind string (``realtime.item``, ...).
        expires_at: When the session expires (Unix seconds).
    """

    type: str | Unset | None = "realtime"
    model: str | Unset | None = UNSET
    output_modalities: list[str] | Unset | None = UNSET
    instructions: str | Unset | None = UNSET
    audio: AudioConfig | Unset | None = UNSET
    include: list[str] | Unset | None = UNSET
    tools: list[Tool] | Unset | None = UNSET
    tool_choice: ToolChoice | Unset | None = UNSET
    max_output_tokens: MaxTokens | Unset | None = UNSET
    tracing: Tracing | Unset | None = UNSET
    truncation: Truncation | Unset | None = UNSET
    prompt: Prompt | Unset | None = UNSET
    reasoning: Reasoning | Unset | None = UNSET
    parallel_tool_calls: bool | Unset | None = UNSET
    id: str | Unset | None = UNSET
    object: str | Unset | None = UNSET
    expires_at: int | Unset | None = UNSET
    wire_hints: Any = attrs.field(default=None, eq=False, repr=False)
    """How a beta payload spelled this object (internal; re-encoded as received)."""


@attrs.frozen(kw_only=True)
class TranscriptionSession(Model):
    """The configuration of a transcription-only session.

    Attributes:
        type: Always ``transcription`` for this class.
        audio: Audio data, base64 encoded, or audio settings.
        include: Extra fields the server should include.
        id: The object's id.
        object: The object kind string (``realtime.item``, ...).
        expires_at: When the session expires (Unix seconds).
    """

    type: str | Unset | None = "transcription"
    audio: TranscriptionAudio | Unset | None = UNSET
    include: list[str] | Unset | None = UNSET
    id: str | Unset | None = UNSET
    object: str | Unset | None = UNSET
    expires_at: int | Unset | None = UNSET
    wire_hints: Any = attrs.field(default=None, eq=False, repr=False)
    """How a beta payload spelled this object (internal; re-encoded as received)."""


@attrs.frozen(kw_only=True)
class Conversation(Model):
    """The conversation of a session.

    Attributes:
        id: The object's id.
        object: The object kind string (``realtime.item``, ...).
    """

    id: str | Unset | None = UNSET
    object: str | Unset | None = UNSET


@attrs.frozen(kw_only=True)
class RateLimit(Model):
    """One rate limit and what is left of it.

    Attributes:
        name: The name.
        limit: The limit.
        remaining: What is left of the limit.
        reset_seconds: Seconds until the limit resets.
    """

    name: str | Unset | None = UNSET
    limit: int | Unset | None = UNSET
    remaining: int | Unset | None = UNSET
    reset_seconds: float | Unset | None = UNSET


@attrs.frozen(kw_only=True)
class CachedTokensDetails(Model):
    """Cached input tokens by modality.

    Attributes:
        text_tokens: Text tokens.
        audio_tokens: Audio tokens.
        image_tokens: Image tokens.
    """

    text_tokens: int | Unset | None = UNSET
    audio_tokens: int | Unset | None = UNSET
    image_tokens: int | Unset | None = UNSET


@attrs.frozen(kw_only=True)
class InputTokenDetails(Model):
    """Input tokens by modality.

    Attributes:
        text_tokens: Text tokens.
        audio_tokens: Audio tokens.
        image_tokens: Image tokens.
        cached_tokens: Cached tokens.
        cached_tokens_details: Cached tokens by modality.
    """

    text_tokens: int | Unset | None = UNSET
    audio_tokens: int | Unset | None = UNSET
    image_tokens: int | Unset | None = UNSET
    cached_tokens: int | Unset | None = UNSET
    cached_tokens_details: CachedTokensDetails | Unset | None = UNSET


@attrs.frozen(kw_only=True)
class OutputTokenDetails(Model):
    """Output tokens by modality.

    Attributes:
        text_tokens: Text tokens.
        audio_tokens: Audio tokens.
    """

    text_tokens: int | Unset | None = UNSET
    audio_tokens: int | Unset | None = UNSET


@attrs.frozen(kw_only=True)
class Usage(Model):
    """Token usage of a response.

    Attributes:
        total_tokens: All tokens.
        input_tokens: Input tokens.
        output_tokens: Output tokens.
        input_token_details: Input tokens by modality.
        output_token_details: Output tokens by modality.
    """

    total_tokens: int | Unset | None = UNSET
    input_tokens: int | Unset | None = UNSET
    output_tokens: int | Unset | None = UNSET
    input_token_details: InputTokenDetails | Unset | None = UNSET
    output_token_details: OutputTokenDetails | Unset | None = UNSET


@attrs.frozen(kw_only=True)
class ResponseStatusError(Model):
    """Why a response failed.

    Attributes:
        type: The object's kind, as on the wire.
        code: The error code.
        message: A human-readable message.
    """

    type: str | Unset | None = UNSET
    code: str | Unset | None = UNSET
    message: str | Unset | None = UNSET


@attrs.frozen(kw_only=True)
class ResponseStatusDetails(Model):
    """Why a response ended as it did.

    Attributes:
        type: The object's kind, as on the wire.
        reason: Why.
        error: The error.
    """

    type: str | Unset | None = UNSET
    reason: str | Unset | None = UNSET
    error: ResponseStatusError | Unset | None = UNSET


@attrs.frozen(kw_only=True)
class RealtimeResponse(Model):
    """A response of the model, as in ``response.created`` and ``response.done``.

    Attributes:
        id: The object's id.
        object: The object kind string (``realtime.item``, ...).
        status: The status: in_progress, completed, incomplete, ...
        status_details: Why the response ended as it did.
        output: Output settings, or the output of a call.
        conversation_id: The conversation written to, or ``None`` for out-of-band
            responses.
        metadata: Free-form metadata.
        usage: Token usage.
        output_modalities: What the model produces: ``["audio"]`` or ``["text"]``.
        audio: Audio data, base64 encoded, or audio settings.
        max_output_tokens: The output token limit, or ``"inf"``.
    """

    id: str | Unset | None = UNSET
    object: str | Unset | None = UNSET
    status: str | Unset | None = UNSET
    status_details: ResponseStatusDetails | Unset | None = UNSET
    output: list[Item] | Unset | None = UNSET
    conversation_id: str | Unset | None = UNSET
    metadata: dict[str, str] | Unset | None = UNSET
    usage: Usage | Unset | None = UNSET
    output_modalities: list[str] | Unset | None = UNSET
    audio: ResponseAudio | Unset | None = UNSET
    max_output_tokens: MaxTokens | Unset | None = UNSET
    wire_hints: Any = attrs.field(default=None, eq=False, repr=False)
    """How a beta payload spelled this object (internal; re-encoded as received)."""


@attrs.frozen(kw_only=True)
class ResponseCreateParams(Model):
    """Per-response settings of ``response.create``.

    Attributes:
        output_modalities: What the model produces: ``["audio"]`` or ``["text"]``.
        instructions: The system instructions.
        audio: Audio data, base64 encoded, or audio settings.
        tools: The tools the model may call.
        tool_choice: How the model chooses tools: auto, none, required, or a
            specific one.
        max_output_tokens: The output token limit, or ``"inf"``.
        conversation: ``"auto"`` (the default conversation) or ``"none"`` (out of
            band).
        input: Input settings, or the explicit input items of a response.
        metadata: Free-form metadata.
        prompt: A prompt for the model (text or a template reference).
        reasoning: Reasoning settings.
        parallel_tool_calls: Whether the model may call several tools at once.
    """

    output_modalities: list[str] | Unset | None = UNSET
    instructions: str | Unset | None = UNSET
    audio: ResponseAudio | Unset | None = UNSET
    tools: list[Tool] | Unset | None = UNSET
    tool_choice: ToolChoice | Unset | None = UNSET
    max_output_tokens: MaxTokens | Unset | None = UNSET
    conversation: str | Unset | None = UNSET
    input: list[Item] | Unset | None = UNSET
    metadata: dict[str, str] | Unset | None = UNSET
    prompt: Prompt | Unset | None = UNSET
    reasoning: Reasoning | Unset | None = UNSET
    parallel_tool_calls: bool | Unset | None = UNSET
    wire_hints: Any = attrs.field(default=None, eq=False, repr=False)
    """How a beta payload spelled this object (internal; re-encoded as received)."""


@attrs.frozen(kw_only=True)
class TranscriptionTokenDetails(Model):
    """Input tokens of a transcription by modality.

    Attributes:
        text_tokens: Text tokens.
        audio_tokens: Audio tokens.
    """

    text_tokens: int | Unset | None = UNSET
    audio_tokens: int | Unset | None = UNSET


@attrs.frozen(kw_only=True)
class TranscriptionUsageTokens(Model):
    """Token usage of an input transcription.

    Attributes:
        type: Always ``tokens`` for this class.
        input_tokens: Input tokens.
        output_tokens: Output tokens.
        total_tokens: All tokens.
        input_token_details: Input tokens by modality.
    """

    type: str | Unset | None = "tokens"
    input_tokens: int
    output_tokens: int
    total_tokens: int
    input_token_details: TranscriptionTokenDetails | Unset | None = UNSET


@attrs.frozen(kw_only=True)
class TranscriptionUsageDuration(Model):
    """Duration-based usage of an input transcription.

    Attributes:
        type: Always ``duration`` for this class.
        seconds: Duration in seconds.
    """

    type: str | Unset | None = "duration"
    seconds: float


@attrs.frozen(kw_only=True)
class LogProb(Model):
    """The log probability of one transcribed token.

    Attributes:
        token: The token.
        logprob: Its log probability.
        bytes: Its UTF-8 bytes.
    """

    token: str
    logprob: float
    bytes: list[int]


@attrs.frozen(kw_only=True)
class TranscriptionLanguage(Model):
    """A language detected in input audio.

    Attributes:
        code: The error code.
    """

    code: str


@attrs.frozen(kw_only=True)
class RealtimeError(Model):
    """The error of an ``error`` event.

    Attributes:
        type: The object's kind, as on the wire.
        message: A human-readable message.
        code: The error code.
        param: The parameter at fault.
        event_id: The id of the client event that caused it.
    """

    type: str
    message: str
    code: str | Unset | None = UNSET
    param: str | Unset | None = UNSET
    event_id: str | Unset | None = UNSET


@attrs.frozen(kw_only=True)
class TranscriptionError(Model):
    """Why an input transcription failed.

    Attributes:
        type: The object's kind, as on the wire.
        code: The error code.
        message: A human-readable message.
        param: The parameter at fault.
    """

    type: str | Unset | None = UNSET
    code: str | Unset | None = UNSET
    message: str | Unset | None = UNSET
    param: str | Unset | None = UNSET


@attrs.frozen(kw_only=True)
class ResponsePart(Model):
    """A content part of a response, as in ``response.content_part.*``.

    Attributes:
        type: The object's kind, as on the wire.
        text: The text.
        audio: Audio data, base64 encoded, or audio settings.
        transcript: The transcript of the audio.
    """

    type: str | Unset | None = UNSET
    text: str | Unset | None = UNSET
    audio: str | Unset | None = UNSET
    transcript: str | Unset | None = UNSET


AudioFormat: TypeAlias = AudioPCM | AudioPCMU | AudioPCMA | UnknownModel
TurnDetection: TypeAlias = ServerVad | SemanticVad | UnknownModel
Tool: TypeAlias = FunctionTool | McpTool | UnknownModel
ContentPart: TypeAlias = (
    InputText
    | InputAudio
    | InputImage
    | OutputText
    | OutputAudio
    | ItemReferenceContent
    | UnknownModel
)
Item: TypeAlias = (
    SystemMessage
    | UserMessage
    | AssistantMessage
    | FunctionCallItem
    | FunctionCallOutputItem
    | McpListToolsItem
    | McpCallItem
    | McpApprovalRequestItem
    | McpApprovalResponseItem
    | ItemReference
    | UnknownModel
)
McpError: TypeAlias = (
    McpProtocolError | McpToolExecutionError | McpHttpError | UnknownModel
)
Session: TypeAlias = RealtimeSession | TranscriptionSession | UnknownModel
TranscriptionUsage: TypeAlias = (
    TranscriptionUsageTokens | TranscriptionUsageDuration | UnknownModel
)
PromptVariable: TypeAlias = str | InputText | InputImage | InputFile | UnknownModel
Voice: TypeAlias = str | VoiceId
ToolChoice: TypeAlias = str | ToolChoiceFunction | ToolChoiceMcp | UnknownModel
MaxTokens: TypeAlias = int | str | UnknownModel
Tracing: TypeAlias = str | TracingConfig
Truncation: TypeAlias = str | RetentionRatioTruncation | UnknownModel
McpAllowedTools: TypeAlias = list[str] | McpToolFilter
McpRequireApproval: TypeAlias = str | McpApprovalFilter

#: Union members chosen when an object has no ``type``.
UNION_DEFAULTS: dict[str, type[Model]] = {
    "Tool": FunctionTool,
    "Session": RealtimeSession,
}
