"""Nested models of the Live protocol: session configuration, delegation, usage, ...

Same conventions as :mod:`realtime_sync.events.models`: frozen, slotted,
keyword-only attrs classes; every field defaults to :data:`UNSET` (absent on the
wire), ``None`` only where the protocol allows ``null``; enumerations are plain
strings; unknown fields go to ``extra``; discriminated unions end in
:class:`UnknownModel`, so a kind of object this version does not know decodes and
re-encodes unchanged.

Where the SDK has a configuration model and a sparse "update" twin of the same
shape (``ResponsesDelegationConfig`` / ``...UpdateConfig``, the delegation configs
of ``session.start`` / ``session.update`` / fork), one class serves both; the
twins only differ in which fields are required, and a required field that is
absent decodes to :data:`UNSET` anyway. Objects whose ``type`` is optional on the
wire (messages, some content parts) declare ``UNION_TYPES`` so that a union finds
them with or without ``type``.

The Responses API's own objects (hosted tool configurations, tool choices, the
items of ``response.item.create``) are not Live models: they stay open
(:class:`UnknownModel`, the JSON kept as is), except function tools
(:class:`FunctionTool`) and function call outputs (:class:`FunctionCallOutputItem`),
which a Live client builds itself.
"""

from __future__ import annotations

from typing import Any, ClassVar, TypeAlias

import attrs

from realtime_sync.events._base import UNSET, Model, UnknownModel, Unset

# -- audio -------------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class AudioPCM(Model):
    """PCM16 mono little-endian audio (``audio/pcm``), 16 or 24 kHz.

    Attributes:
        type: ``audio/pcm``.
        rate: The sample rate in Hz: ``16000`` or ``24000``.
    """

    type: str | Unset = "audio/pcm"
    rate: int | Unset = UNSET


@attrs.frozen(kw_only=True)
class AudioPCMU(Model):
    """G.711 mu-law audio at 8 kHz (``audio/pcmu``).

    Attributes:
        type: ``audio/pcmu``.
        rate: ``8000``.
    """

    type: str | Unset = "audio/pcmu"
    rate: int | Unset = UNSET


@attrs.frozen(kw_only=True)
class AudioPCMA(Model):
    """G.711 A-law audio at 8 kHz (``audio/pcma``).

    Attributes:
        type: ``audio/pcma``.
        rate: ``8000``.
    """

    type: str | Unset = "audio/pcma"
    rate: int | Unset = UNSET


#: The session's audio format (one format for both directions, fixed at start).
AudioFormat: TypeAlias = AudioPCM | AudioPCMU | AudioPCMA | UnknownModel


@attrs.frozen(kw_only=True)
class CustomVoice(Model):
    """A custom voice, by id.

    Attributes:
        id: The custom voice's id.
    """

    id: str | Unset = UNSET


@attrs.frozen(kw_only=True)
class AudioOutput(Model):
    """Output audio settings.

    Attributes:
        voice: A built-in voice name (``marin``, ``cedar``, ...) or a custom voice.
    """

    voice: str | CustomVoice | Unset | None = UNSET


@attrs.frozen(kw_only=True)
class AudioConfig(Model):
    """The session's ``audio``: format and voice (a fork's overrides: format only).

    Attributes:
        format: The audio format of both directions (WebSocket sessions only).
        output: Output settings (the voice).
    """

    format: AudioFormat | Unset | None = UNSET
    output: AudioOutput | Unset | None = UNSET


# -- client (WebRTC data channel) ----------------------------------------------------


@attrs.frozen(kw_only=True)
class ServerEventSelector(Model):
    """A server event allowed on a WebRTC data channel.

    Attributes:
        type: The server event type (``response.event`` for wrapped events).
        response_event: For ``response.event``: the nested Responses event type.
    """

    type: str | Unset = UNSET
    response_event: str | Unset | None = UNSET


@attrs.frozen(kw_only=True)
class DataChannelConfig(Model):
    """Which events a WebRTC data channel may carry.

    Attributes:
        allowed_client_events: ``"all"`` or a list of client event types.
        allowed_server_events: ``"all"`` or a list of selectors.
    """

    allowed_client_events: str | list[str] | Unset | None = UNSET
    allowed_server_events: str | list[ServerEventSelector] | Unset | None = UNSET


@attrs.frozen(kw_only=True)
class ClientConfig(Model):
    """The session's ``client`` settings (WebRTC only).

    Attributes:
        data_channel: Data channel permissions.
    """

    data_channel: DataChannelConfig | Unset = UNSET


# -- Responses delegation --------------------------------------------------------------


@attrs.frozen(kw_only=True)
class FunctionTool(Model):
    """A client-side function tool of a Responses delegation backend.

    Attributes:
        type: ``function``.
        name: The function's name.
        description: What it does, for the model.
        parameters: Its JSON schema.
        strict: Whether the arguments must match the schema exactly.
    """

    type: str | Unset = "function"
    name: str | Unset = UNSET
    description: str | Unset | None = UNSET
    parameters: dict[str, Any] | Unset | None = UNSET
    strict: bool | Unset | None = UNSET


#: A tool of the Responses backend: typed when a function, else kept open.
Tool: TypeAlias = FunctionTool | UnknownModel


@attrs.frozen(kw_only=True)
class Reasoning(Model):
    """Reasoning settings of the Responses backend.

    Attributes:
        effort: ``none``, ``minimal``, ``low``, ``medium``, ``high`` or ``xhigh``.
        summary: ``concise``, ``detailed`` or ``auto``.
    """

    effort: str | Unset | None = UNSET
    summary: str | Unset | None = UNSET


@attrs.frozen(kw_only=True)
class TextConfig(Model):
    """Text settings of the Responses backend.

    Attributes:
        verbosity: ``low``, ``medium`` or ``high``.
    """

    verbosity: str | Unset | None = UNSET


@attrs.frozen(kw_only=True)
class ResponsesDelegationConfig(Model):
    """The Responses backend of a Responses delegation (config and sparse update).

    Attributes:
        model: The Responses model (required at start, optional in updates).
        instructions: The backend's prompt (separate from the voice instructions).
        max_output_tokens: The backend's output limit.
        parallel_tool_calls: Whether tools may run in parallel.
        reasoning: Reasoning settings.
        service_tier: ``auto``, ``default``, ``flex``, ``priority``, ...
        text: Text settings.
        tool_choice: ``auto``, ``none``, ``required`` or a tool choice object (open).
        tools: The backend's tools (function tools typed, hosted tools open).
    """

    model: str | Unset | None = UNSET
    instructions: str | Unset | None = UNSET
    max_output_tokens: int | Unset | None = UNSET
    parallel_tool_calls: bool | Unset | None = UNSET
    reasoning: Reasoning | Unset | None = UNSET
    service_tier: str | Unset | None = UNSET
    text: TextConfig | Unset | None = UNSET
    tool_choice: str | UnknownModel | Unset | None = UNSET
    tools: list[Tool] | Unset | None = UNSET


# -- Decisions -------------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class InputText(Model):
    """A text part (``input_text``).

    Attributes:
        type: ``input_text``.
        text: The text.
    """

    type: str | Unset = "input_text"
    text: str | Unset = UNSET


@attrs.frozen(kw_only=True)
class InputImage(Model):
    """An image part (``input_image``).

    Attributes:
        type: ``input_image``.
        image_url: The image's URL (or data URL).
        detail: ``low``, ``high``, ``auto`` or ``original``.
    """

    type: str | Unset = "input_image"
    image_url: str | Unset = UNSET
    detail: str | Unset | None = UNSET


@attrs.frozen(kw_only=True)
class InputJSON(Model):
    """A JSON part (``input_json``).

    Attributes:
        type: ``input_json``.
        data: A JSON object or a list of objects.
    """

    type: str | Unset = "input_json"
    data: Any = UNSET


@attrs.frozen(kw_only=True)
class OutputText(Model):
    """An assistant text part (``output_text``).

    Attributes:
        type: ``output_text``.
        text: The text.
    """

    type: str | Unset = "output_text"
    text: str | Unset = UNSET


@attrs.frozen(kw_only=True)
class Refusal(Model):
    """An assistant refusal part (``refusal``).

    Attributes:
        type: ``refusal``.
        refusal: The refusal text.
    """

    type: str | Unset = "refusal"
    refusal: str | Unset = UNSET


#: A part of question instructions or of a user decision message.
InputPart: TypeAlias = InputText | InputImage | InputJSON | UnknownModel


@attrs.frozen(kw_only=True)
class DecisionChoiceOption(Model):
    """One allowed answer of a choice question.

    Attributes:
        value: The answer's value (string or boolean).
        description: What it means.
    """

    value: str | bool | Unset = UNSET
    description: str | Unset | None = UNSET


@attrs.frozen(kw_only=True)
class ScoreLevel(Model):
    """One level of a score question.

    Attributes:
        label: The level's label.
        description: What it means.
    """

    label: str | Unset = UNSET
    description: str | Unset | None = UNSET


@attrs.frozen(kw_only=True)
class Choice(Model):
    """A Decisions question with a fixed set of answers (``choice``).

    Attributes:
        type: ``choice``.
        choices: The allowed answers.
        instructions: The question (text or parts).
        name: A name for the answer.
    """

    type: str | Unset = "choice"
    choices: list[DecisionChoiceOption] | Unset = UNSET
    instructions: str | list[InputPart] | Unset = UNSET
    name: str | Unset | None = UNSET


@attrs.frozen(kw_only=True)
class Predicate(Model):
    """A yes/no Decisions question answered with a probability (``predicate``).

    Attributes:
        type: ``predicate``.
        instructions: The question (text or parts).
        name: A name for the answer.
    """

    type: str | Unset = "predicate"
    instructions: str | list[InputPart] | Unset = UNSET
    name: str | Unset | None = UNSET


@attrs.frozen(kw_only=True)
class Score(Model):
    """A Decisions question answered on a scale of levels (``score``).

    Attributes:
        type: ``score``.
        instructions: The question (text or parts).
        levels: The scale.
        name: A name for the answer.
    """

    type: str | Unset = "score"
    instructions: str | list[InputPart] | Unset = UNSET
    levels: list[ScoreLevel] | Unset = UNSET
    name: str | Unset | None = UNSET


#: A Decisions question.
Question: TypeAlias = Choice | Predicate | Score | UnknownModel


@attrs.frozen(kw_only=True)
class DecisionsDelegationConfig(Model):
    """The Decisions backend of a Decisions delegation (config and sparse update).

    Attributes:
        model: The Decisions model.
        questions: The questions asked on each evaluation.
    """

    model: str | Unset | None = UNSET
    questions: list[Question] | Unset | None = UNSET


@attrs.frozen(kw_only=True)
class Decisions(Model):
    """The questions of a transcript trigger.

    Attributes:
        questions: The questions.
    """

    questions: list[Question] | Unset = UNSET


@attrs.frozen(kw_only=True)
class DecisionTrigger(Model):
    """A transcript trigger: run Decisions questions on each transcript delta.

    Attributes:
        type: ``decisions``.
        decisions: The questions.
        event_type: ``session.input_transcript.delta`` or
            ``session.output_transcript.delta``.
    """

    type: str | Unset = "decisions"
    decisions: Decisions | Unset = UNSET
    event_type: str | Unset = UNSET


# -- delegation modes ------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class ClientDelegation(Model):
    """Client delegation (the default): the application does the work.

    Attributes:
        type: ``client``.
        acknowledgement_delay_ms: Delay before an automatic spoken acknowledgement.
    """

    type: str | Unset = "client"
    acknowledgement_delay_ms: int | Unset | None = UNSET


@attrs.frozen(kw_only=True)
class ResponsesDelegation(Model):
    """Responses delegation: the service calls a Responses model itself.

    Attributes:
        type: ``responses``.
        responses: The backend's settings.
        acknowledgement_delay_ms: Delay before an automatic spoken acknowledgement.
    """

    type: str | Unset = "responses"
    responses: ResponsesDelegationConfig | Unset | None = UNSET
    acknowledgement_delay_ms: int | Unset | None = UNSET


@attrs.frozen(kw_only=True)
class DecisionsDelegation(Model):
    """Decisions delegation: delegations are answered by Decisions questions.

    Attributes:
        type: ``decisions``.
        decisions: The backend's model and questions.
        acknowledgement_delay_ms: Delay before an automatic spoken acknowledgement.
    """

    type: str | Unset = "decisions"
    decisions: DecisionsDelegationConfig | Unset | None = UNSET
    acknowledgement_delay_ms: int | Unset | None = UNSET


#: The session's delegation mode (fixed at start; its settings may change).
DelegationConfig: TypeAlias = (
    ClientDelegation | ResponsesDelegation | DecisionsDelegation | UnknownModel
)


# -- startup input messages ----------------------------------------------------------


@attrs.frozen(kw_only=True)
class InputTextContent(Model):
    """The text part of a developer or user startup message.

    Attributes:
        type: ``input_text`` (may be omitted).
        text: The text.
    """

    type: str | Unset = UNSET
    text: str | Unset = UNSET


@attrs.frozen(kw_only=True)
class AssistantText(Model):
    """The text part of an assistant startup message (``text``, may be omitted).

    Attributes:
        type: ``text`` or absent.
        text: The text.
    """

    UNION_TYPES: ClassVar[tuple[str | None, ...]] = ("text", None)

    type: str | Unset = UNSET
    text: str | Unset = UNSET


#: A part of an assistant startup message.
AssistantContent: TypeAlias = AssistantText | OutputText | UnknownModel


@attrs.frozen(kw_only=True)
class DeveloperMessage(Model):
    """A developer message of the session's startup ``input``.

    Attributes:
        type: ``message`` (may be omitted).
        role: ``developer``.
        content: One text part.
        id: The message's id.
        status: ``completed`` or ``incomplete``.
    """

    UNION_TYPES: ClassVar[tuple[str | None, ...]] = ("message", None)

    type: str | Unset = UNSET
    role: str | Unset = "developer"
    content: list[InputTextContent] | Unset = UNSET
    id: str | Unset | None = UNSET
    status: str | Unset | None = UNSET


@attrs.frozen(kw_only=True)
class UserMessage(Model):
    """A user message of the session's startup ``input``.

    Attributes:
        type: ``message`` (may be omitted).
        role: ``user``.
        content: One text part.
        id: The message's id.
        status: ``completed`` or ``incomplete``.
    """

    UNION_TYPES: ClassVar[tuple[str | None, ...]] = ("message", None)

    type: str | Unset = UNSET
    role: str | Unset = "user"
    content: list[InputTextContent] | Unset = UNSET
    id: str | Unset | None = UNSET
    status: str | Unset | None = UNSET


@attrs.frozen(kw_only=True)
class AssistantMessage(Model):
    """An assistant message of the session's startup ``input``.

    Attributes:
        type: ``message`` (may be omitted).
        role: ``assistant``.
        content: One text part (``text`` or ``output_text``).
        id: The message's id.
        status: ``completed`` or ``incomplete``.
    """

    UNION_TYPES: ClassVar[tuple[str | None, ...]] = ("message", None)

    type: str | Unset = UNSET
    role: str | Unset = "assistant"
    content: list[AssistantContent] | Unset = UNSET
    id: str | Unset | None = UNSET
    status: str | Unset | None = UNSET


#: A startup ``input`` message (at most 128 of them).
InputMessage: TypeAlias = (
    DeveloperMessage | UserMessage | AssistantMessage | UnknownModel
)


# -- sessions ------------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class SessionConfig(Model):
    """The ``session`` of ``session.start`` (a fork's overrides: every field optional).

    Unknown fields are refused by the server (the configuration is strict), but kept
    here on decode like any other.

    Attributes:
        model: ``gpt-live-1`` (required on a primary start; never on a fork).
        audio: Format and voice.
        client: WebRTC data channel permissions.
        delegation: The delegation mode and its settings.
        input: Startup messages (developer, user, assistant; at most 128).
        instructions: The voice model's instructions.
        safety_identifier: A stable id of the end user.
        store: Keep the session (for forks and recording download).
        triggers: Transcript triggers (Decisions).
    """

    model: str | Unset = UNSET
    audio: AudioConfig | Unset | None = UNSET
    client: ClientConfig | Unset | None = UNSET
    delegation: DelegationConfig | Unset | None = UNSET
    input: list[InputMessage] | Unset | None = UNSET
    instructions: str | Unset | None = UNSET
    safety_identifier: str | Unset | None = UNSET
    store: bool | Unset | None = UNSET
    triggers: list[DecisionTrigger] | Unset | None = UNSET


@attrs.frozen(kw_only=True)
class SessionResource(Model):
    """The resolved session, in ``session.started``, ``.updated`` and ``.closed``.

    Attributes:
        id: The session id (``live_...``), opaque.
        expires_at: When the session ends at the latest (Unix seconds).
        model: The model.
        status: ``active``.
        audio: Format and voice.
        client: WebRTC data channel permissions.
        delegation: The delegation mode and its settings.
        input: The startup messages.
        instructions: The voice model's instructions.
        safety_identifier: The end user's id.
        store: Whether the session is stored.
        triggers: Transcript triggers.
    """

    id: str | Unset = UNSET
    expires_at: int | Unset = UNSET
    model: str | Unset = UNSET
    status: str | Unset = UNSET
    audio: AudioConfig | Unset | None = UNSET
    client: ClientConfig | Unset | None = UNSET
    delegation: DelegationConfig | Unset | None = UNSET
    input: list[InputMessage] | Unset | None = UNSET
    instructions: str | Unset | None = UNSET
    safety_identifier: str | Unset | None = UNSET
    store: bool | Unset | None = UNSET
    triggers: list[DecisionTrigger] | Unset | None = UNSET


@attrs.frozen(kw_only=True)
class SessionUpdateConfig(Model):
    """The ``session`` of ``session.update``: delegation settings and triggers only.

    Attributes:
        delegation: New delegation settings (the same type as at start).
        triggers: Replaces the triggers (``[]`` disables them; absent keeps them).
    """

    delegation: DelegationConfig | Unset | None = UNSET
    triggers: list[DecisionTrigger] | Unset | None = UNSET


# -- delegation, usage, errors -------------------------------------------------------


@attrs.frozen(kw_only=True)
class Delegation(Model):
    """A delegation the voice model started (``session.delegation.created``).

    Attributes:
        type: ``delegation``.
        id: The delegation id (``delegation_id`` of the answers).
        target: ``client``, ``responses`` or ``decisions``.
        response_id: For Responses delegation: the backend response's id.
    """

    type: str | Unset = "delegation"
    id: str | Unset = UNSET
    target: str | Unset = UNSET
    response_id: str | Unset | None = UNSET


@attrs.frozen(kw_only=True)
class SessionUsage(Model):
    """Cumulative billable session time.

    Attributes:
        seconds: Session seconds so far (cumulative: never add updates up).
        active_seconds: WebRTC: seconds not paused.
        paused_seconds: WebRTC: seconds paused.
    """

    seconds: float | Unset = UNSET
    active_seconds: int | Unset | None = UNSET
    paused_seconds: int | Unset | None = UNSET


@attrs.frozen(kw_only=True)
class ContextWindow(Model):
    """How full the voice model's context is.

    Attributes:
        usage_ratio: Active context tokens / the model's limit.
    """

    usage_ratio: float | Unset = UNSET


@attrs.frozen(kw_only=True)
class ErrorDetails(Model):
    """The ``error`` of an ``error`` event.

    Attributes:
        type: ``invalid_request_error``, ``server_error``, ...
        code: ``unknown_parameter``, ``invalid_model``, ...
        message: What went wrong.
        client_event_id: The ``event_id`` of the client event that failed.
        param: The refused field (``session.voice``).
    """

    type: str | Unset = UNSET
    code: str | Unset = UNSET
    message: str | Unset = UNSET
    client_event_id: str | Unset | None = UNSET
    param: str | Unset | None = UNSET


@attrs.frozen(kw_only=True)
class CallError(Model):
    """Why an outbound SIP leg failed (``transport.failed``).

    Attributes:
        type: ``call_error``.
        code: The failure code.
        message: What went wrong.
        param: The refused parameter.
    """

    type: str | Unset = "call_error"
    code: str | Unset = UNSET
    message: str | Unset = UNSET
    param: str | Unset | None = UNSET


# -- Decisions results and items -----------------------------------------------------


@attrs.frozen(kw_only=True)
class ChoiceProbability(Model):
    """The probability of one answer of a choice question.

    Attributes:
        value: The answer.
        probability: Its probability.
    """

    value: str | bool | Unset = UNSET
    probability: float | Unset = UNSET


@attrs.frozen(kw_only=True)
class ScoreProbability(Model):
    """The probability of one level of a score question.

    Attributes:
        label: The level's label.
        probability: Its probability.
        value: The level's value.
    """

    label: str | Unset = UNSET
    probability: float | Unset = UNSET
    value: int | Unset = UNSET


@attrs.frozen(kw_only=True)
class PredicateAnswer(Model):
    """The answer to a predicate question.

    Attributes:
        type: ``predicate``.
        name: The question's name.
        probability: The probability of "yes".
    """

    type: str | Unset = "predicate"
    name: str | Unset | None = UNSET
    probability: float | Unset = UNSET


@attrs.frozen(kw_only=True)
class ChoiceAnswer(Model):
    """The answer to a choice question.

    Attributes:
        type: ``choice``.
        choice: The chosen value.
        confidence: The model's confidence.
        name: The question's name.
        probabilities: Every value's probability.
    """

    type: str | Unset = "choice"
    choice: str | bool | Unset = UNSET
    confidence: float | Unset = UNSET
    name: str | Unset | None = UNSET
    probabilities: list[ChoiceProbability] | Unset = UNSET


@attrs.frozen(kw_only=True)
class ScoreAnswer(Model):
    """The answer to a score question.

    Attributes:
        type: ``score``.
        confidence: The model's confidence.
        name: The question's name.
        probabilities: Every level's probability.
        score: The score.
    """

    type: str | Unset = "score"
    confidence: float | Unset = UNSET
    name: str | Unset | None = UNSET
    probabilities: list[ScoreProbability] | Unset = UNSET
    score: float | Unset = UNSET


@attrs.frozen(kw_only=True)
class RefusalAnswer(Model):
    """A question the model refused to answer.

    Attributes:
        type: ``refusal``.
        name: The question's name.
    """

    type: str | Unset = "refusal"
    name: str | Unset | None = UNSET


#: One answer of a decision.
Answer: TypeAlias = (
    PredicateAnswer | ChoiceAnswer | ScoreAnswer | RefusalAnswer | UnknownModel
)


@attrs.frozen(kw_only=True)
class InputTokensDetails(Model):
    """Input token details of a decision's usage.

    Attributes:
        cache_write_tokens: Tokens written to the cache.
        cached_tokens: Tokens read from the cache.
    """

    cache_write_tokens: int | Unset = UNSET
    cached_tokens: int | Unset = UNSET


@attrs.frozen(kw_only=True)
class OutputTokensDetails(Model):
    """Output token details of a decision's usage.

    Attributes:
        reasoning_tokens: Reasoning tokens.
    """

    reasoning_tokens: int | Unset = UNSET


@attrs.frozen(kw_only=True)
class DecisionUsage(Model):
    """Token usage of one decision.

    Attributes:
        input_tokens: Input tokens.
        input_tokens_details: Their details.
        output_tokens: Output tokens.
        output_tokens_details: Their details.
        total_tokens: Both.
    """

    input_tokens: int | Unset = UNSET
    input_tokens_details: InputTokensDetails | Unset = UNSET
    output_tokens: int | Unset = UNSET
    output_tokens_details: OutputTokensDetails | Unset = UNSET
    total_tokens: int | Unset = UNSET


@attrs.frozen(kw_only=True)
class Decision(Model):
    """One evaluation of the Decisions questions.

    Attributes:
        answers: One answer per question.
        model: The Decisions model.
        usage: Its token usage.
    """

    answers: list[Answer] | Unset = UNSET
    model: str | Unset = UNSET
    usage: DecisionUsage | Unset = UNSET


@attrs.frozen(kw_only=True)
class DecisionCompleted(Model):
    """The ``event`` of ``decision.event``: a completed decision.

    Attributes:
        type: ``decision.completed``.
        decision: The decision.
    """

    type: str | Unset = "decision.completed"
    decision: Decision | Unset = UNSET


#: A part of an assistant decision message.
AssistantPart: TypeAlias = OutputText | Refusal | UnknownModel


@attrs.frozen(kw_only=True)
class DecisionUserMessage(Model):
    """A user message for Decisions (``decision.item.create`` / ``.created``).

    Attributes:
        type: ``message`` (may be omitted).
        role: ``user``.
        content: Text, or text/image/JSON parts.
        id: The item's id (always set in ``decision.item.created``).
    """

    UNION_TYPES: ClassVar[tuple[str | None, ...]] = ("message", None)

    type: str | Unset = UNSET
    role: str | Unset = "user"
    content: str | list[InputPart] | Unset = UNSET
    id: str | Unset | None = UNSET


@attrs.frozen(kw_only=True)
class DecisionDeveloperMessage(Model):
    """A developer message for Decisions.

    Attributes:
        type: ``message`` (may be omitted).
        role: ``developer``.
        content: Text, or text parts.
        id: The item's id.
    """

    UNION_TYPES: ClassVar[tuple[str | None, ...]] = ("message", None)

    type: str | Unset = UNSET
    role: str | Unset = "developer"
    content: str | list[InputPart] | Unset = UNSET
    id: str | Unset | None = UNSET


@attrs.frozen(kw_only=True)
class DecisionSystemMessage(Model):
    """A system message for Decisions.

    Attributes:
        type: ``message`` (may be omitted).
        role: ``system``.
        content: Text, or text parts.
        id: The item's id.
    """

    UNION_TYPES: ClassVar[tuple[str | None, ...]] = ("message", None)

    type: str | Unset = UNSET
    role: str | Unset = "system"
    content: str | list[InputPart] | Unset = UNSET
    id: str | Unset | None = UNSET


@attrs.frozen(kw_only=True)
class DecisionAssistantMessage(Model):
    """An assistant message for Decisions.

    Attributes:
        type: ``message`` (may be omitted).
        role: ``assistant``.
        content: Text, or output text/refusal parts.
        id: The item's id.
        phase: ``commentary`` or ``final_answer``.
    """

    UNION_TYPES: ClassVar[tuple[str | None, ...]] = ("message", None)

    type: str | Unset = UNSET
    role: str | Unset = "assistant"
    content: str | list[AssistantPart] | Unset = UNSET
    id: str | Unset | None = UNSET
    phase: str | Unset | None = UNSET


@attrs.frozen(kw_only=True)
class DecisionFunctionCall(Model):
    """A function call, as Decisions input.

    Attributes:
        type: ``function_call``.
        arguments: The arguments (JSON text).
        call_id: The call's id.
        name: The function's name.
        id: The item's id.
        namespace: The tool's namespace.
        status: ``in_progress``, ``completed`` or ``incomplete``.
    """

    type: str | Unset = "function_call"
    arguments: str | Unset = UNSET
    call_id: str | Unset = UNSET
    name: str | Unset = UNSET
    id: str | Unset | None = UNSET
    namespace: str | Unset | None = UNSET
    status: str | Unset | None = UNSET


@attrs.frozen(kw_only=True)
class DecisionFunctionCallOutput(Model):
    """A function call's output, as Decisions input.

    Attributes:
        type: ``function_call_output``.
        call_id: The call's id.
        output: Text, or text/image parts.
        id: The item's id.
        status: ``in_progress``, ``completed`` or ``incomplete``.
    """

    type: str | Unset = "function_call_output"
    call_id: str | Unset = UNSET
    output: str | list[InputPart] | Unset = UNSET
    id: str | Unset | None = UNSET
    status: str | Unset | None = UNSET


@attrs.frozen(kw_only=True)
class DecisionCustomToolCall(Model):
    """A custom tool call, as Decisions input.

    Attributes:
        type: ``custom_tool_call``.
        call_id: The call's id.
        input: The tool's input.
        name: The tool's name.
        id: The item's id.
        namespace: The tool's namespace.
        status: ``in_progress``, ``completed`` or ``incomplete``.
    """

    type: str | Unset = "custom_tool_call"
    call_id: str | Unset = UNSET
    input: str | Unset = UNSET
    name: str | Unset = UNSET
    id: str | Unset | None = UNSET
    namespace: str | Unset | None = UNSET
    status: str | Unset | None = UNSET


@attrs.frozen(kw_only=True)
class DecisionCustomToolCallOutput(Model):
    """A custom tool call's output, as Decisions input.

    Attributes:
        type: ``custom_tool_call_output``.
        call_id: The call's id.
        output: Text, or text/image parts.
        id: The item's id.
        status: ``in_progress``, ``completed`` or ``incomplete``.
    """

    type: str | Unset = "custom_tool_call_output"
    call_id: str | Unset = UNSET
    output: str | list[InputPart] | Unset = UNSET
    id: str | Unset | None = UNSET
    status: str | Unset | None = UNSET


#: An input item of Decisions (``decision.item.create`` / ``.created``).
DecisionItem: TypeAlias = (
    DecisionUserMessage
    | DecisionDeveloperMessage
    | DecisionSystemMessage
    | DecisionAssistantMessage
    | DecisionFunctionCall
    | DecisionFunctionCallOutput
    | DecisionCustomToolCall
    | DecisionCustomToolCallOutput
    | UnknownModel
)


# -- Responses items (response.item.create) --------------------------------------------


@attrs.frozen(kw_only=True)
class FunctionCallOutputItem(Model):
    """A Responses ``function_call_output`` item: a client tool's result.

    Attributes:
        type: ``function_call_output``.
        call_id: The ``call_id`` of the function call it answers.
        output: The result (text, or content parts kept as JSON).
        id: The item's id.
        status: ``in_progress``, ``completed`` or ``incomplete``.
    """

    type: str | Unset = "function_call_output"
    call_id: str | Unset = UNSET
    output: str | list[Any] | Unset = UNSET
    id: str | Unset | None = UNSET
    status: str | Unset | None = UNSET


#: A Responses input item: a function call output typed, anything else kept open.
ResponseInputItem: TypeAlias = FunctionCallOutputItem | UnknownModel


def model_classes() -> list[type[Model]]:
    """Every concrete model class of this module."""
    return [
        v
        for v in globals().values()
        if isinstance(v, type)
        and attrs.has(v)
        and issubclass(v, Model)
        and v.__module__ == __name__
    ]
