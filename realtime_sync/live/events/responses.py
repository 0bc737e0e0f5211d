"""The Responses streaming events wrapped in ``response.event`` (Responses delegation).

A Responses delegation streams the backend's events to the client inside
``response.event`` envelopes. The nested event is an ordinary Responses streaming
event (59 types); the ones a Live client acts on have a class here, the rest decode
to :class:`~realtime_sync.events.UnknownModel` with the JSON as received.

Decoding is lenient: a known type whose fields do not have the expected JSON types
(the trimmed lifecycle snapshots of the wire lack fields a strict Responses model
requires) also falls back to :class:`~realtime_sync.events.UnknownModel` instead of
failing the frame. Objects inside (``response``, ``item``, ``part``) stay plain JSON
dicts; :attr:`ResponseOutputItemDone.function_call` reads a function call out of
``item``.
"""

from __future__ import annotations

from typing import Any, TypeAlias

import attrs

from realtime_sync.events._base import UNSET, Model, UnknownModel, Unset


@attrs.frozen(kw_only=True)
class ResponseCreated(Model):
    """Nested Responses event ``response.created``.

    The backend response was created (trimmed snapshot).

    Attributes:
        type: ``response.created``.
        response: The response (trimmed: no input, tools or output).
        sequence_number: Position in the backend response's stream (restarts per response).
    """

    type: str | Unset = "response.created"
    response: dict[str, Any] | Unset = UNSET
    sequence_number: int | Unset = UNSET


@attrs.frozen(kw_only=True)
class ResponseQueued(Model):
    """Nested Responses event ``response.queued``.

    The backend response is queued.

    Attributes:
        type: ``response.queued``.
        response: The response (trimmed).
        sequence_number: Position in the backend response's stream (restarts per response).
    """

    type: str | Unset = "response.queued"
    response: dict[str, Any] | Unset = UNSET
    sequence_number: int | Unset = UNSET


@attrs.frozen(kw_only=True)
class ResponseInProgress(Model):
    """Nested Responses event ``response.in_progress``.

    The backend response is in progress.

    Attributes:
        type: ``response.in_progress``.
        response: The response (trimmed).
        sequence_number: Position in the backend response's stream (restarts per response).
    """

    type: str | Unset = "response.in_progress"
    response: dict[str, Any] | Unset = UNSET
    sequence_number: int | Unset = UNSET


@attrs.frozen(kw_only=True)
class ResponseCompleted(Model):
    """Nested Responses event ``response.completed``.

    The backend response completed (``output`` is empty on the wire; ``usage`` holds its tokens).

    Attributes:
        type: ``response.completed``.
        response: The response (trimmed).
        sequence_number: Position in the backend response's stream (restarts per response).
    """

    type: str | Unset = "response.completed"
    response: dict[str, Any] | Unset = UNSET
    sequence_number: int | Unset = UNSET


@attrs.frozen(kw_only=True)
class ResponseFailed(Model):
    """Nested Responses event ``response.failed``.

    The backend response failed.

    Attributes:
        type: ``response.failed``.
        response: The response (trimmed).
        sequence_number: Position in the backend response's stream (restarts per response).
    """

    type: str | Unset = "response.failed"
    response: dict[str, Any] | Unset = UNSET
    sequence_number: int | Unset = UNSET


@attrs.frozen(kw_only=True)
class ResponseIncomplete(Model):
    """Nested Responses event ``response.incomplete``.

    The backend response ended incomplete.

    Attributes:
        type: ``response.incomplete``.
        response: The response (trimmed).
        sequence_number: Position in the backend response's stream (restarts per response).
    """

    type: str | Unset = "response.incomplete"
    response: dict[str, Any] | Unset = UNSET
    sequence_number: int | Unset = UNSET


@attrs.frozen(kw_only=True)
class ResponseOutputItemAdded(Model):
    """Nested Responses event ``response.output_item.added``.

    An output item started.

    Attributes:
        type: ``response.output_item.added``.
        output_index: The item's index in the output.
        item: The item (JSON).
        sequence_number: Position in the backend response's stream (restarts per response).
    """

    type: str | Unset = "response.output_item.added"
    output_index: int | Unset = UNSET
    item: dict[str, Any] | Unset = UNSET
    sequence_number: int | Unset = UNSET


@attrs.frozen(kw_only=True)
class ResponseOutputItemDone(Model):
    """Nested Responses event ``response.output_item.done``.

    An output item is complete (a function call's ``name``, ``call_id`` and ``arguments`` are here).

    Attributes:
        type: ``response.output_item.done``.
        output_index: The item's index in the output.
        item: The item (JSON).
        sequence_number: Position in the backend response's stream (restarts per response).
    """

    type: str | Unset = "response.output_item.done"
    output_index: int | Unset = UNSET
    item: dict[str, Any] | Unset = UNSET
    sequence_number: int | Unset = UNSET

    @property
    def function_call(self) -> FunctionCall | None:
        """The function call this item holds, else ``None``."""
        item = self.item
        if not isinstance(item, dict) or item.get("type") != "function_call":
            return None
        name, call_id = item.get("name"), item.get("call_id")
        arguments = item.get("arguments", "")
        if not (
            isinstance(name, str)
            and isinstance(call_id, str)
            and isinstance(arguments, str)
        ):
            return None
        return FunctionCall(name=name, call_id=call_id, arguments=arguments)


@attrs.frozen(kw_only=True)
class ResponseContentPartAdded(Model):
    """Nested Responses event ``response.content_part.added``.

    A content part started.

    Attributes:
        type: ``response.content_part.added``.
        item_id: The item's id.
        output_index: The item's index.
        content_index: The part's index.
        part: The part (JSON).
        sequence_number: Position in the backend response's stream (restarts per response).
    """

    type: str | Unset = "response.content_part.added"
    item_id: str | Unset = UNSET
    output_index: int | Unset = UNSET
    content_index: int | Unset = UNSET
    part: dict[str, Any] | Unset = UNSET
    sequence_number: int | Unset = UNSET


@attrs.frozen(kw_only=True)
class ResponseContentPartDone(Model):
    """Nested Responses event ``response.content_part.done``.

    A content part is complete.

    Attributes:
        type: ``response.content_part.done``.
        item_id: The item's id.
        output_index: The item's index.
        content_index: The part's index.
        part: The part (JSON).
        sequence_number: Position in the backend response's stream (restarts per response).
    """

    type: str | Unset = "response.content_part.done"
    item_id: str | Unset = UNSET
    output_index: int | Unset = UNSET
    content_index: int | Unset = UNSET
    part: dict[str, Any] | Unset = UNSET
    sequence_number: int | Unset = UNSET


@attrs.frozen(kw_only=True)
class ResponseOutputTextDelta(Model):
    """Nested Responses event ``response.output_text.delta``.

    New output text.

    Attributes:
        type: ``response.output_text.delta``.
        item_id: The item's id.
        output_index: The item's index.
        content_index: The part's index.
        delta: The new text.
        logprobs: Log probabilities.
        sequence_number: Position in the backend response's stream (restarts per response).
    """

    type: str | Unset = "response.output_text.delta"
    item_id: str | Unset = UNSET
    output_index: int | Unset = UNSET
    content_index: int | Unset = UNSET
    delta: str | Unset = UNSET
    logprobs: list[Any] | Unset = UNSET
    sequence_number: int | Unset = UNSET


@attrs.frozen(kw_only=True)
class ResponseOutputTextDone(Model):
    """Nested Responses event ``response.output_text.done``.

    The output text of a part is complete.

    Attributes:
        type: ``response.output_text.done``.
        item_id: The item's id.
        output_index: The item's index.
        content_index: The part's index.
        text: The whole text.
        logprobs: Log probabilities.
        sequence_number: Position in the backend response's stream (restarts per response).
    """

    type: str | Unset = "response.output_text.done"
    item_id: str | Unset = UNSET
    output_index: int | Unset = UNSET
    content_index: int | Unset = UNSET
    text: str | Unset = UNSET
    logprobs: list[Any] | Unset = UNSET
    sequence_number: int | Unset = UNSET


@attrs.frozen(kw_only=True)
class ResponseFunctionCallArgumentsDelta(Model):
    """Nested Responses event ``response.function_call_arguments.delta``.

    New function call arguments.

    Attributes:
        type: ``response.function_call_arguments.delta``.
        item_id: The call item's id.
        output_index: The item's index.
        delta: The new JSON text.
        sequence_number: Position in the backend response's stream (restarts per response).
    """

    type: str | Unset = "response.function_call_arguments.delta"
    item_id: str | Unset = UNSET
    output_index: int | Unset = UNSET
    delta: str | Unset = UNSET
    sequence_number: int | Unset = UNSET


@attrs.frozen(kw_only=True)
class ResponseFunctionCallArgumentsDone(Model):
    """Nested Responses event ``response.function_call_arguments.done``.

    The arguments are complete (``name`` may be missing on the wire: use ``output_item.done``).

    Attributes:
        type: ``response.function_call_arguments.done``.
        item_id: The call item's id.
        output_index: The item's index.
        arguments: The whole JSON text.
        name: The function's name.
        sequence_number: Position in the backend response's stream (restarts per response).
    """

    type: str | Unset = "response.function_call_arguments.done"
    item_id: str | Unset = UNSET
    output_index: int | Unset = UNSET
    arguments: str | Unset = UNSET
    name: str | Unset = UNSET
    sequence_number: int | Unset = UNSET


@attrs.frozen(kw_only=True)
class ResponseReasoningSummaryTextDelta(Model):
    """Nested Responses event ``response.reasoning_summary_text.delta``.

    New reasoning summary text.

    Attributes:
        type: ``response.reasoning_summary_text.delta``.
        item_id: The reasoning item's id.
        output_index: The item's index.
        summary_index: The summary part's index.
        delta: The new text.
        sequence_number: Position in the backend response's stream (restarts per response).
    """

    type: str | Unset = "response.reasoning_summary_text.delta"
    item_id: str | Unset = UNSET
    output_index: int | Unset = UNSET
    summary_index: int | Unset = UNSET
    delta: str | Unset = UNSET
    sequence_number: int | Unset = UNSET


@attrs.frozen(kw_only=True)
class ResponseReasoningSummaryTextDone(Model):
    """Nested Responses event ``response.reasoning_summary_text.done``.

    A reasoning summary part is complete.

    Attributes:
        type: ``response.reasoning_summary_text.done``.
        item_id: The reasoning item's id.
        output_index: The item's index.
        summary_index: The summary part's index.
        text: The whole text.
        sequence_number: Position in the backend response's stream (restarts per response).
    """

    type: str | Unset = "response.reasoning_summary_text.done"
    item_id: str | Unset = UNSET
    output_index: int | Unset = UNSET
    summary_index: int | Unset = UNSET
    text: str | Unset = UNSET
    sequence_number: int | Unset = UNSET


@attrs.frozen(kw_only=True)
class ResponseError(Model):
    """Nested Responses event ``error``.

    The backend failed.

    Attributes:
        type: ``error``.
        code: The error code.
        message: What went wrong.
        param: The refused parameter.
        sequence_number: Position in the backend response's stream (restarts per response).
    """

    type: str | Unset = "error"
    code: str | Unset | None = UNSET
    message: str | Unset = UNSET
    param: str | Unset | None = UNSET
    sequence_number: int | Unset = UNSET


@attrs.frozen(kw_only=True)
class FunctionCall:
    """A function call of the Responses backend, to run on the client.

    Answer it with ``response.item.create`` (a ``function_call_output`` with this
    ``call_id``) and then ``response.create``.

    Attributes:
        name: The function's name.
        call_id: The call's id.
        arguments: The arguments, JSON text.
    """

    name: str
    call_id: str
    arguments: str


#: A nested Responses streaming event: typed when known, else the JSON, open.
ResponsesStreamEvent: TypeAlias = (
    ResponseCreated
    | ResponseQueued
    | ResponseInProgress
    | ResponseCompleted
    | ResponseFailed
    | ResponseIncomplete
    | ResponseOutputItemAdded
    | ResponseOutputItemDone
    | ResponseContentPartAdded
    | ResponseContentPartDone
    | ResponseOutputTextDelta
    | ResponseOutputTextDone
    | ResponseFunctionCallArgumentsDelta
    | ResponseFunctionCallArgumentsDone
    | ResponseReasoningSummaryTextDelta
    | ResponseReasoningSummaryTextDone
    | ResponseError
    | UnknownModel
)

#: Every typed nested Responses event class, by type.
RESPONSES_EVENTS: dict[str, type[Model]] = {
    "response.created": ResponseCreated,
    "response.queued": ResponseQueued,
    "response.in_progress": ResponseInProgress,
    "response.completed": ResponseCompleted,
    "response.failed": ResponseFailed,
    "response.incomplete": ResponseIncomplete,
    "response.output_item.added": ResponseOutputItemAdded,
    "response.output_item.done": ResponseOutputItemDone,
    "response.content_part.added": ResponseContentPartAdded,
    "response.content_part.done": ResponseContentPartDone,
    "response.output_text.delta": ResponseOutputTextDelta,
    "response.output_text.done": ResponseOutputTextDone,
    "response.function_call_arguments.delta": ResponseFunctionCallArgumentsDelta,
    "response.function_call_arguments.done": ResponseFunctionCallArgumentsDone,
    "response.reasoning_summary_text.delta": ResponseReasoningSummaryTextDelta,
    "response.reasoning_summary_text.done": ResponseReasoningSummaryTextDone,
    "error": ResponseError,
}

__all__ = [
    "RESPONSES_EVENTS",
    "FunctionCall",
    "ResponseCompleted",
    "ResponseContentPartAdded",
    "ResponseContentPartDone",
    "ResponseCreated",
    "ResponseError",
    "ResponseFailed",
    "ResponseFunctionCallArgumentsDelta",
    "ResponseFunctionCallArgumentsDone",
    "ResponseInProgress",
    "ResponseIncomplete",
    "ResponseOutputItemAdded",
    "ResponseOutputItemDone",
    "ResponseOutputTextDelta",
    "ResponseOutputTextDone",
    "ResponseQueued",
    "ResponseReasoningSummaryTextDelta",
    "ResponseReasoningSummaryTextDone",
    "ResponsesStreamEvent",
]
