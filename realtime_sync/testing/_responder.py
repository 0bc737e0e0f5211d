"""The mock server's behaviour as a plain object: client events in, server events out.

:class:`Responder` is what :class:`~realtime_sync.testing.MockRealtimeServer` runs for
each connection, without the socket (the h11 ``ConnectionPair`` idea): tests feed it
client events and assert on the server events it returns. It works with the GA event
classes only; the server's :class:`~realtime_sync.protocol.Codec` translates to and
from the beta dialect on the wire.

Theory of operation
-------------------

Most client events are answered at once: :meth:`Responder.handle` returns the server
events, in order. A response is different: a real server streams it over seconds, and
while it streams the response is *active* (a second ``response.create`` fails, a
``response.cancel`` stops it). So ``handle(ResponseCreate())`` returns only
``response.created`` and registers the rest of the response as a stream, a generator
that yields one event at a time; :meth:`Responder.next_event` pulls the next event of
the active streams (round robin, so out-of-band responses interleave) and
:meth:`Responder.drain` pulls them all. The server pulls from its sender thread, with
a pause between deltas; a test without a socket calls ``drain()``.

Cancelling (``response.cancel``, or :meth:`Responder.cancel`) closes the generator
where it stands and returns the closing events built from what was already sent: the
``.done`` of the open content part (with the text or transcript so far), the output
item as ``incomplete``, and ``response.done`` with status ``cancelled``. The stream is
then finished, so no further delta of that response can follow.

A response is decided when it is created (its text, its audio, whether it calls a
tool); its output item enters the conversation when the stream reaches it, as on a
real server.

Replies are deterministic:

* ``Say: <text>`` at the start of the effective instructions (the response's, else
  the session's) makes ``<text>`` the reply;
* after a ``function_call_output`` item: ``The tool returned: <output>``;
* when the session (or response) has function tools and ``tool_choice`` is not
  ``"none"``: a function call when ``tool_choice`` names a function or is
  ``"required"``, or when the last user text mentions a tool's name;
* else ``You said: <text>`` for the last user text, ``I heard N ms of audio.`` when
  the last user item is audio, and ``Hello!`` without a user item.

User audio that carries a :func:`~realtime_sync.testing.synth_speech` marker counts
as the marker's text ("the user said it"), for tool choice and ``You said:``.

Input audio (see :class:`Responder`): with turn detection on, each
``input_audio_buffer.append`` runs an energy detector (``_vad``) over the new audio,
and the VAD events, commits, automatic responses, barge-in cancels, idle timeouts and
input transcriptions come out of ``handle()`` like any other reply, at the point of
the appended audio where they happen.

A Responder is not thread-safe: the server calls it under a lock.
"""

from __future__ import annotations

import binascii
import itertools
import json
import math
import time
from collections.abc import Callable, Generator, Iterator, Sequence
from typing import Any, TypeVar, cast

import attrs

from realtime_sync import _b64
from realtime_sync.events import (
    UNSET,
    AssistantMessage,
    AudioConfig,
    AudioInput,
    AudioOutput,
    AudioPCM,
    AudioPCMA,
    AudioPCMU,
    CachedTokensDetails,
    ClientEvent,
    ContentPart,
    Conversation,
    ConversationCreated,
    ConversationItemAdded,
    ConversationItemCreate,
    ConversationItemDelete,
    ConversationItemDeleted,
    ConversationItemDone,
    ConversationItemInputAudioTranscriptionCompleted,
    ConversationItemInputAudioTranscriptionDelta,
    ConversationItemRetrieve,
    ConversationItemRetrieved,
    ConversationItemTruncate,
    ConversationItemTruncated,
    Error,
    FunctionCallItem,
    FunctionCallOutputItem,
    FunctionTool,
    InputAudio,
    InputAudioBufferAppend,
    InputAudioBufferClear,
    InputAudioBufferCleared,
    InputAudioBufferCommit,
    InputAudioBufferCommitted,
    InputAudioBufferSpeechStarted,
    InputAudioBufferSpeechStopped,
    InputAudioBufferTimeoutTriggered,
    InputText,
    InputTokenDetails,
    Item,
    ItemReference,
    McpApprovalResponseItem,
    Model,
    OutputAudio,
    OutputAudioBufferClear,
    OutputText,
    OutputTokenDetails,
    RateLimit,
    RateLimitsUpdated,
    RealtimeError,
    RealtimeResponse,
    RealtimeSession,
    ResponseAudio,
    ResponseCancel,
    ResponseContentPartAdded,
    ResponseContentPartDone,
    ResponseCreate,
    ResponseCreated,
    ResponseCreateParams,
    ResponseDone,
    ResponseFunctionCallArgumentsDelta,
    ResponseFunctionCallArgumentsDone,
    ResponseOutputAudioDelta,
    ResponseOutputAudioDone,
    ResponseOutputAudioTranscriptDelta,
    ResponseOutputAudioTranscriptDone,
    ResponseOutputItemAdded,
    ResponseOutputItemDone,
    ResponseOutputTextDelta,
    ResponseOutputTextDone,
    ResponsePart,
    ResponseStatusDetails,
    ServerEvent,
    ServerVad,
    SessionCreated,
    SessionUpdate,
    SessionUpdated,
    SystemMessage,
    ToolChoiceFunction,
    TranscriptionAudio,
    TranscriptionConfig,
    TranscriptionSession,
    TranscriptionSessionUpdate,
    TranscriptionTokenDetails,
    TranscriptionUsageTokens,
    UnknownClientEvent,
    UnknownModel,
    Usage,
    UserMessage,
)
from realtime_sync.protocol.codec import Dialect
from realtime_sync.testing import _synth, _vad  # numpy (and realtime_sync.audio) only

__all__ = ["DEFAULT_INSTRUCTIONS", "RawFrame", "Responder"]

#: The ``instructions`` of a new mock session.
DEFAULT_INSTRUCTIONS = (
    "You are a helpful, friendly voice assistant. Answer briefly and clearly, in the "
    "language the user speaks."
)

_SESSION_LIFETIME_S = 3600
_MIN_COMMIT_MS = 100  # §10: "minimum audio for a commit: 100 ms"

_GA_CLIENT_TYPES = (
    "session.update",
    "input_audio_buffer.append",
    "input_audio_buffer.commit",
    "input_audio_buffer.clear",
    "conversation.item.create",
    "conversation.item.truncate",
    "conversation.item.delete",
    "conversation.item.retrieve",
    "response.create",
    "response.cancel",
    "output_audio_buffer.clear",
)
_BETA_CLIENT_TYPES = (*_GA_CLIENT_TYPES, "transcription_session.update")

# Values the mock accepts where the protocol has a closed set (for error messages).
_SUPPORTED_VALUES: dict[str, tuple[str, ...]] = {
    "format": ("audio/pcm", "audio/pcmu", "audio/pcma"),
    "turn_detection": ("server_vad", "semantic_vad"),
    "tools": ("function", "mcp"),
    "item": (
        "message",
        "function_call",
        "function_call_output",
        "mcp_approval_response",
    ),
}

M = TypeVar("M", bound=Model)


@attrs.frozen(kw_only=True)
class RawFrame:
    """A text frame the server sends verbatim, bypassing the codec.

    Attributes:
        text: The frame's text (need not be JSON).
        delay: Seconds the server waits before sending it.
    """

    text: str
    delay: float = 0.0


class _Rejected(Exception):
    """Internal: a client event is invalid; carries the ``error`` fields."""

    def __init__(self, message: str, code: str, param: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.param = param


def _is_set(value: object) -> bool:
    return value is not UNSET and value is not None


def _quote_list(values: Sequence[str]) -> str:
    quoted = [f"'{v}'" for v in values]
    if len(quoted) <= 2:
        return " and ".join(quoted)
    return ", ".join(quoted[:-1]) + ", and " + quoted[-1]


def _text_tokens(text: str) -> int:
    # About four characters per token, as for English text.
    return math.ceil(len(text) / 4)


def _bytes_per_ms(fmt: object) -> float:
    """Bytes per millisecond of an audio format (§2)."""
    if isinstance(fmt, (AudioPCMU, AudioPCMA)):
        return 8.0
    if isinstance(fmt, AudioPCM) and isinstance(fmt.rate, int) and fmt.rate > 0:
        return fmt.rate * 2 / 1000
    return 48.0  # pcm16 at 24 kHz, the default


def expiry_message(limit_seconds: float) -> str:
    """``Your session hit the maximum duration of N minutes.`` (or seconds)."""
    if limit_seconds >= 60 and limit_seconds % 60 == 0:
        minutes = int(limit_seconds // 60)
        unit = "minute" if minutes == 1 else "minutes"
        return f"Your session hit the maximum duration of {minutes} {unit}."
    unit = "second" if limit_seconds == 1 else "seconds"
    return f"Your session hit the maximum duration of {limit_seconds:g} {unit}."


def _window_samples(fmt: object) -> int:
    """Samples in one detector window: 240 for 24 kHz pcm16, 80 for G.711."""
    bytes_per_sample = 1 if isinstance(fmt, (AudioPCMU, AudioPCMA)) else 2
    return max(1, int(_bytes_per_ms(fmt) * _vad.WINDOW_MS) // bytes_per_sample)


def _decode_b64(data: str) -> bytes:
    return _b64.decode(data, validate=True)


def _strip_audio(item: M) -> M:
    """The item as server events show it: audio bytes are never included (§6.1)."""
    content = getattr(item, "content", None)
    if not isinstance(content, list):
        return item
    if not any(
        isinstance(p, (InputAudio, OutputAudio)) and _is_set(p.audio) for p in content
    ):
        return item
    new = [
        attrs.evolve(p, audio=UNSET) if isinstance(p, (InputAudio, OutputAudio)) else p
        for p in content
    ]
    return _evolve_existing(item, content=new)


def _evolve_existing(model: M, **changes: Any) -> M:
    """``attrs.evolve`` with only the changes to fields the class has."""
    names = {f.name for f in attrs.fields(type(model))}
    return attrs.evolve(model, **{k: v for k, v in changes.items() if k in names})


def _merge(current: Any, patch: Any) -> Any:
    """Merge a partial model into the current one: only the fields present change.

    Objects of the same class merge field by field (``audio.output.voice`` alone keeps
    ``audio.output.format``); anything else (lists, strings, an object of another kind,
    ``None``) replaces the current value.
    """
    if patch is UNSET:
        return current
    if (
        isinstance(patch, Model)
        and not isinstance(patch, UnknownModel)
        and type(patch) is type(current)
    ):
        changes = {}
        for field in attrs.fields(type(patch)):
            if field.name in ("extra", "wire_hints"):
                continue
            value = getattr(patch, field.name)
            if value is not UNSET:
                changes[field.name] = _merge(getattr(current, field.name), value)
        return attrs.evolve(current, **changes)
    return patch


def _unknown_parameter(model: object, path: str) -> str | None:
    """The path of the first field the GA protocol does not define, or ``None``."""
    if isinstance(model, list):
        for i, value in enumerate(model):
            found = _unknown_parameter(value, f"{path}[{i}]")
            if found:
                return found
        return None
    if isinstance(model, dict):
        return None  # free-form JSON (metadata, parameters)
    if not isinstance(model, Model) or isinstance(model, UnknownModel):
        return None
    for key in model.extra:
        return f"{path}.{key}"
    for field in attrs.fields(type(model)):
        if field.name in ("extra", "wire_hints"):
            continue
        found = _unknown_parameter(getattr(model, field.name), f"{path}.{field.name}")
        if found:
            return found
    return None


def _unknown_kind(model: object, path: str) -> tuple[str, str] | None:
    """``(path, type)`` of the first object of an unknown kind (``UnknownModel``)."""
    if isinstance(model, list):
        for i, value in enumerate(model):
            found = _unknown_kind(value, f"{path}[{i}]")
            if found:
                return found
        return None
    if isinstance(model, UnknownModel):
        return path, model.type if isinstance(model.type, str) else ""
    if not isinstance(model, Model):
        return None
    for field in attrs.fields(type(model)):
        if field.name in ("extra", "wire_hints"):
            continue
        found = _unknown_kind(getattr(model, field.name), f"{path}.{field.name}")
        if found:
            return found
    return None


def _missing_required(model: object, path: str) -> str | None:
    """The path of the first required field that was absent (decoded as UNSET)."""
    if not isinstance(model, Model) or isinstance(model, UnknownModel):
        return None
    for field in attrs.fields(type(model)):
        value = getattr(model, field.name)
        if field.default is attrs.NOTHING and value is UNSET:
            return f"{path}.{field.name}" if path else field.name
    return None


def _user_text(item: UserMessage) -> str | None:
    texts = [
        p.text
        for p in item.content
        if isinstance(p, InputText) and isinstance(p.text, str)
    ]
    return " ".join(texts) if texts else None


def _chunks(text: str, size: int) -> list[str]:
    return [text[i : i + size] for i in range(0, len(text), size)]


def _example_arguments(tool: FunctionTool, user_text: str) -> str:
    """Plausible JSON arguments for a tool: each required parameter gets a value."""
    params: dict[str, Any] = (
        tool.parameters if isinstance(tool.parameters, dict) else {}
    )
    props = params.get("properties")
    props = props if isinstance(props, dict) else {}
    required = params.get("required")
    required = required if isinstance(required, list) else []
    samples: dict[str, Any] = {
        "string": user_text,
        "integer": 1,
        "number": 1.0,
        "boolean": True,
        "array": [],
        "object": {},
    }
    args: dict[str, Any] = {}
    for name in required:
        spec = props.get(name) if isinstance(name, str) else None
        kind = spec.get("type") if isinstance(spec, dict) else "string"
        if (
            isinstance(spec, dict)
            and isinstance(spec.get("enum"), list)
            and spec["enum"]
        ):
            args[name] = spec["enum"][0]
        else:
            args[name] = samples.get(kind if isinstance(kind, str) else "string")
    return json.dumps(args, separators=(", ", ": "))


@attrs.define
class _Plan:
    """What a response will produce, decided at ``response.create``."""

    text: str = ""
    audio: bytes = b""
    audio_format: Any = None
    call: FunctionTool | None = None
    arguments: str = ""
    incomplete: bool = False


class _ResponseStream:
    """One active response: a generator of its events, and what it has sent so far."""

    def __init__(
        self,
        owner: Responder,
        *,
        response_id: str,
        conversation_id: str | None,
        metadata: dict[str, str] | None,
        modalities: list[str],
        audio_output: AudioOutput,
        max_output_tokens: Any,
        input_tokens: InputTokenDetails,
        plan: _Plan,
    ) -> None:
        self.id = response_id
        self.conversation_id = conversation_id
        self.finished = False
        self._owner = owner
        self._metadata = metadata
        self._modalities = modalities
        self._audio_output = audio_output
        self._max_output_tokens = max_output_tokens
        self._input_tokens = input_tokens
        self._plan = plan
        self._text_mode = modalities == ["text"]
        # Progress, read by _close() whether the response ends or is cancelled.
        self._item_id = ""
        self._previous_item_id: str | None = None
        self._item_open = False
        self._part_open = False
        self._args_open = False
        self._sent_text = ""
        self._sent_audio = bytearray()
        self._sent_args = ""
        self._output: list[Item] = []
        self._gen = self._events()

    # -- the public side, used by Responder --------------------------------------------

    def created(self) -> ResponseCreated:
        return ResponseCreated(
            event_id=self._owner._next_id("event"),
            response=self._response("in_progress", None, [], None),
        )

    def next(self) -> ServerEvent | None:
        if self.finished:
            return None
        try:
            event = next(self._gen)
        except StopIteration:
            self._finish()
            return None
        if isinstance(event, ResponseDone):
            self._finish()
        return event

    def cancel(self, reason: str) -> list[ServerEvent]:
        self._gen.close()
        events = list(self._close("cancelled", reason))
        self._finish()
        return events

    def _finish(self) -> None:
        if not self.finished:
            self.finished = True
            self._owner._response_finished(self)

    # -- the event sequences of §9.2 and §9.4 ------------------------------------------

    def _events(self) -> Generator[ServerEvent, None, None]:
        owner = self._owner
        yield owner._rate_limits(self._plan)
        self._item_id = owner._next_id("item")
        plan = self._plan
        item: Item
        if plan.call is not None:
            item = FunctionCallItem(
                id=self._item_id,
                object="realtime.item",
                type="function_call",
                status="in_progress",
                name=cast(str, plan.call.name),
                call_id=self._call_id,
                arguments="",
            )
        else:
            item = AssistantMessage(
                id=self._item_id,
                object="realtime.item",
                status="in_progress",
                content=[],
            )
        yield from self._add_item(item)
        if plan.call is not None:
            self._args_open = True
            for chunk in _chunks(plan.arguments, owner.text_delta_chars):
                self._sent_args += chunk
                yield ResponseFunctionCallArgumentsDelta(
                    event_id=owner._next_id("event"),
                    call_id=self._call_id,
                    delta=chunk,
                    **self._address_no_part(),
                )
        elif self._text_mode:
            self._part_open = True
            yield ResponseContentPartAdded(
                event_id=owner._next_id("event"),
                part=ResponsePart(type="text", text=""),
                **self._address(),
            )
            for chunk in _chunks(plan.text, owner.text_delta_chars):
                self._sent_text += chunk
                yield ResponseOutputTextDelta(
                    event_id=owner._next_id("event"), delta=chunk, **self._address()
                )
        else:
            self._part_open = True
            yield ResponseContentPartAdded(
                event_id=owner._next_id("event"),
                part=ResponsePart(type="audio", transcript=""),
                **self._address(),
            )
            yield from self._audio_deltas()
        status = "incomplete" if plan.incomplete else "completed"
        yield from self._close(status, "max_output_tokens" if plan.incomplete else None)

    def _audio_deltas(self) -> Iterator[ServerEvent]:
        # Transcript and audio deltas interleave (§9.2): each chunk is placed at its
        # position in the reply, transcript first on a tie.
        owner = self._owner
        bpm = _bytes_per_ms(self._plan.audio_format)
        step = max(1, int(bpm * owner.audio_chunk_ms))
        if bpm != 8.0:
            step -= step % 2  # whole pcm16 samples
        audio = self._plan.audio
        audio_chunks = [audio[i : i + step] for i in range(0, len(audio), step)]
        text_chunks = _chunks(self._plan.text, owner.text_delta_chars)
        order = sorted(
            [(i / len(text_chunks), 0, i) for i in range(len(text_chunks))]
            + [(j / len(audio_chunks), 1, j) for j in range(len(audio_chunks))]
        )
        for _, kind, index in order:
            if kind == 0:
                chunk = text_chunks[index]
                self._sent_text += chunk
                yield ResponseOutputAudioTranscriptDelta(
                    event_id=owner._next_id("event"), delta=chunk, **self._address()
                )
            else:
                data = audio_chunks[index]
                self._sent_audio += data
                owner._audio_produced = True
                yield ResponseOutputAudioDelta(
                    event_id=owner._next_id("event"),
                    delta=_b64.encode(data),
                    **self._address(),
                )

    def _add_item(self, item: Item) -> Iterator[ServerEvent]:
        owner = self._owner
        self._item_open = True
        if self.conversation_id is not None:
            self._previous_item_id = owner._append(item)
        yield ResponseOutputItemAdded(
            event_id=owner._next_id("event"),
            response_id=self.id,
            output_index=len(self._output),
            item=item,
        )
        if self.conversation_id is not None:
            yield ConversationItemAdded(
                event_id=owner._next_id("event"),
                item=item,
                previous_item_id=self._previous_item_id,
            )

    def _close(self, status: str, reason: str | None) -> Iterator[ServerEvent]:
        """The closing events, inner to outer: part, item, response (§9)."""
        owner = self._owner
        if self._part_open:
            self._part_open = False
            if self._text_mode:
                yield ResponseOutputTextDone(
                    event_id=owner._next_id("event"),
                    text=self._sent_text,
                    **self._address(),
                )
                part = ResponsePart(type="text", text=self._sent_text)
            else:
                yield ResponseOutputAudioDone(
                    event_id=owner._next_id("event"), **self._address()
                )
                yield ResponseOutputAudioTranscriptDone(
                    event_id=owner._next_id("event"),
                    transcript=self._sent_text,
                    **self._address(),
                )
                part = ResponsePart(type="audio", transcript=self._sent_text)
            yield ResponseContentPartDone(
                event_id=owner._next_id("event"), part=part, **self._address()
            )
        if self._args_open:
            self._args_open = False
            yield ResponseFunctionCallArgumentsDone(
                event_id=owner._next_id("event"),
                call_id=self._call_id,
                arguments=self._sent_args,
                name=self._plan.call.name if self._plan.call else UNSET,
                **self._address_no_part(),
            )
        if self._item_open:
            self._item_open = False
            full = self._final_item(
                "completed" if status == "completed" else "incomplete"
            )
            shown = _strip_audio(full)
            if self.conversation_id is not None:
                owner._replace(full)
            yield ResponseOutputItemDone(
                event_id=owner._next_id("event"),
                response_id=self.id,
                output_index=len(self._output),
                item=shown,
            )
            if self.conversation_id is not None:
                yield ConversationItemDone(
                    event_id=owner._next_id("event"),
                    item=shown,
                    previous_item_id=self._previous_item_id,
                )
            self._output.append(shown)
        details = None
        if status != "completed":
            details = ResponseStatusDetails(type=status, reason=reason)
        yield ResponseDone(
            event_id=owner._next_id("event"),
            response=self._response(status, details, list(self._output), self._usage()),
        )

    # -- helpers -----------------------------------------------------------------------

    @property
    def _call_id(self) -> str:
        return "call_" + self._item_id.removeprefix("item_")

    def _address(self) -> dict[str, Any]:
        return {
            "response_id": self.id,
            "item_id": self._item_id,
            "output_index": len(self._output),
            "content_index": 0,
        }

    def _address_no_part(self) -> dict[str, Any]:
        return {
            "response_id": self.id,
            "item_id": self._item_id,
            "output_index": len(self._output),
        }

    def _final_item(self, status: str) -> Item:
        if self._plan.call is not None:
            return FunctionCallItem(
                id=self._item_id,
                object="realtime.item",
                type="function_call",
                status=status,
                name=cast(str, self._plan.call.name),
                call_id=self._call_id,
                arguments=self._sent_args,
            )
        content: list[ContentPart]
        if self._text_mode:
            content = [OutputText(text=self._sent_text)]
        else:
            audio = _b64.encode(bytes(self._sent_audio))
            content = [OutputAudio(audio=audio, transcript=self._sent_text)]
        return AssistantMessage(
            id=self._item_id, object="realtime.item", status=status, content=content
        )

    def _usage(self) -> Usage:
        out_text = _text_tokens(self._sent_text or self._sent_args)
        out_audio = 0
        if self._sent_audio:
            out_audio = math.ceil(
                len(self._sent_audio) / _bytes_per_ms(self._plan.audio_format) / 50
            )
        in_text = cast(int, self._input_tokens.text_tokens)
        in_audio = cast(int, self._input_tokens.audio_tokens)
        return Usage(
            total_tokens=in_text + in_audio + out_text + out_audio,
            input_tokens=in_text + in_audio,
            output_tokens=out_text + out_audio,
            input_token_details=self._input_tokens,
            output_token_details=OutputTokenDetails(
                text_tokens=out_text, audio_tokens=out_audio
            ),
        )

    def _response(
        self,
        status: str,
        details: ResponseStatusDetails | None,
        output: list[Item],
        usage: Usage | None,
    ) -> RealtimeResponse:
        return RealtimeResponse(
            id=self.id,
            object="realtime.response",
            status=status,
            status_details=details,
            output=output,
            conversation_id=self.conversation_id,
            metadata=self._metadata,
            usage=usage,
            output_modalities=list(self._modalities),
            audio=ResponseAudio(
                output=AudioOutput(
                    format=self._audio_output.format, voice=self._audio_output.voice
                )
            ),
            max_output_tokens=self._max_output_tokens,
        )


class Responder:
    """The behaviour of a mock Realtime server for one session, without a socket.

    Feed it client events with :meth:`handle` and it returns the server events a real
    server would send, built from the GA event classes. Ids are deterministic
    counters, one per kind (``event_0001``, ``item_0001``, ``resp_0001``,
    ``sess_0001``, ``conv_0001``; a function call's ``call_id`` reuses its item's
    number), so tests can assert on them. See the module docstring for how responses
    stream and cancel, and which reply a response gets.

    Not thread-safe: call it from one thread, or under a lock (as the server does).

    Args:
        dialect: ``"ga"`` or ``"beta"``. Beta adds ``conversation.created`` to
            :meth:`start` and accepts session fields that only beta has (such as
            ``temperature``); GA rejects any unknown session field as the real
            server does (``Unknown parameter: 'session.voice'.``).
        text_delta_chars: Characters per text (or transcript, or arguments) delta.
        audio_ms: Duration of the audio of each audio reply, in milliseconds.
        sample_rate: The rate of the session's ``audio/pcm`` formats, in Hz.
        model: The session's ``model`` (the server passes the URL's ``model``).
        audio_chunk_ms: Duration of the audio in one ``response.output_audio.delta``.
        session_type: ``"realtime"`` or ``"transcription"`` (the server passes
            ``"transcription"`` for ``?intent=transcription``): a transcription
            session starts with a :class:`~realtime_sync.events.TranscriptionSession`
            and refuses ``response.create``.
        session_lifetime_s: Seconds from now to the session's ``expires_at`` (the
            server passes its ``max_session_seconds`` when set).

    Input audio and turn detection (§9.3, §9.7): with ``server_vad`` or
    ``semantic_vad`` turn detection, appended audio goes through an energy detector
    (see :mod:`realtime_sync.testing._vad` for the threshold-to-dBFS mapping and the
    semantic VAD waits). Time is milliseconds of audio appended since the session
    started, never the wall clock, so the same audio gives the same events. Speech
    gives ``input_audio_buffer.speech_started`` (``audio_start_ms`` minus
    ``prefix_padding_ms``, at least 0; ``item_id`` of the future user item, which
    also cancels a running default-conversation response with reason
    ``turn_detected`` when ``interrupt_response`` is true); ``silence_duration_ms``
    of silence then gives ``speech_stopped`` (``audio_end_ms`` includes that
    silence), ``committed``, the user item, and a response when ``create_response``
    is true. ``idle_timeout_ms`` (server VAD) gives ``timeout_triggered``, a commit
    and a response (``create_response``) after that much appended audio without
    speech, counted from the latest of: the end of the last default-conversation
    response (the audio appended by its ``response.done``), the last commit or
    clear, the last ``session.update``; never while a response runs. With ``audio.input.transcription`` set,
    every commit is followed by ``conversation.item.input_audio_transcription.delta``
    events and ``.completed``, after ``response.created`` when the commit starts a
    response; the transcript is the text of a
    :func:`~realtime_sync.testing.synth_speech` marker, else ``[speech 1.23 s]`` (the
    committed duration), or ``""`` for silence.

    Raises:
        ValueError: For an unknown dialect or session type, or a non-positive size.
    """

    def __init__(
        self,
        dialect: Dialect = "ga",
        *,
        text_delta_chars: int = 8,
        audio_ms: int = 200,
        sample_rate: int = 24_000,
        model: str = "gpt-realtime",
        audio_chunk_ms: int = 100,
        session_type: str = "realtime",
        session_lifetime_s: float = _SESSION_LIFETIME_S,
    ) -> None:
        if dialect not in ("ga", "beta"):
            raise ValueError(f"dialect must be 'ga' or 'beta', not {dialect!r}")
        if text_delta_chars < 1:
            raise ValueError("text_delta_chars must be at least 1")
        if audio_ms < 1:
            raise ValueError("audio_ms must be at least 1")
        if sample_rate < 1:
            raise ValueError("sample_rate must be positive")
        if audio_chunk_ms < 1:
            raise ValueError("audio_chunk_ms must be at least 1")
        if session_type not in ("realtime", "transcription"):
            raise ValueError(
                "session_type must be 'realtime' or 'transcription', not "
                f"{session_type!r}"
            )
        self.dialect: Dialect = dialect
        self.audio_chunk_ms = audio_chunk_ms
        self.text_delta_chars = text_delta_chars
        self.audio_ms = audio_ms
        self.sample_rate = sample_rate
        self._expires_at = int(time.time() + session_lifetime_s)
        self._counters: dict[str, Iterator[int]] = {}
        self._items: list[Item] = []
        self._audio_buffer = bytearray()
        self._streams: list[_ResponseStream] = []
        self._turn = 0  # round robin position in _streams
        self._audio_produced = False
        self._conversation_id = self._next_id("conv")
        self._session = self._default_session(model)
        self._transcription: TranscriptionSession | None = None
        if session_type == "transcription":
            self._transcription = self._default_transcription_session(
                cast(str, self._session.id)
            )
        # Input audio timing, in ms of audio appended since the session started.
        self._origin_ms = 0.0  # where _audio_buffer starts
        self._scanned = 0  # bytes of _audio_buffer the detector has heard
        self._speech_item: str | None = None  # the future item while speech goes on
        self._silence_ms = 0  # silence heard since the last voiced window
        self._idle_anchor_ms = 0.0  # the idle timeout counts from here
        self._last_committed: str | None = None  # transcription sessions' last item
        self._handlers: dict[type[ClientEvent], Callable[[Any], list[ServerEvent]]] = {
            SessionUpdate: self._session_update,
            TranscriptionSessionUpdate: self._unknown_event,
            ConversationItemCreate: self._item_create,
            ConversationItemDelete: self._item_delete,
            ConversationItemRetrieve: self._item_retrieve,
            ConversationItemTruncate: self._item_truncate,
            InputAudioBufferAppend: self._audio_append,
            InputAudioBufferCommit: self._audio_commit,
            InputAudioBufferClear: self._audio_clear,
            OutputAudioBufferClear: self._output_audio_clear,
            ResponseCreate: self._response_create,
            ResponseCancel: self._response_cancel,
            UnknownClientEvent: self._unknown_event,
        }

    # -- state, for tests --------------------------------------------------------------

    @property
    def session(self) -> RealtimeSession:
        """The current, complete session configuration."""
        return self._session

    @property
    def transcription_session(self) -> TranscriptionSession | None:
        """The session configuration of a transcription session, else ``None``."""
        return self._transcription

    @property
    def session_type(self) -> str:
        """``"realtime"`` or ``"transcription"``."""
        return "realtime" if self._transcription is None else "transcription"

    @property
    def audio_position_ms(self) -> float:
        """Milliseconds of input audio appended since the session started."""
        return self._origin_ms + len(self._audio_buffer) / _bytes_per_ms(
            self._input_format()
        )

    @property
    def conversation_id(self) -> str:
        """The id of the default conversation (``conv_0001``)."""
        return self._conversation_id

    @property
    def items(self) -> list[Item]:
        """A copy of the conversation's items, in order, audio included."""
        return list(self._items)

    @property
    def input_audio_bytes(self) -> int:
        """Bytes in the input audio buffer (appended since the last commit or clear)."""
        return len(self._audio_buffer)

    @property
    def active_responses(self) -> list[str]:
        """Ids of the responses still streaming (created, not yet done)."""
        return [s.id for s in self._streams if not s.finished]

    # -- the protocol ------------------------------------------------------------------

    def start(self) -> list[ServerEvent]:
        """The events a server sends when a client connects (§9.1).

        Returns:
            ``session.created`` with the complete session (a transcription session's
            for ``session_type="transcription"``); for the beta dialect's realtime
            sessions also ``conversation.created``.
        """
        if self._transcription is not None:
            return [
                SessionCreated(
                    event_id=self._next_id("event"), session=self._transcription
                )
            ]
        events: list[ServerEvent] = [
            SessionCreated(event_id=self._next_id("event"), session=self._session)
        ]
        if self.dialect == "beta":
            events.append(
                ConversationCreated(
                    event_id=self._next_id("event"),
                    conversation=Conversation(
                        id=self._conversation_id, object="realtime.conversation"
                    ),
                )
            )
        return events

    def handle(self, event: ClientEvent) -> list[ServerEvent]:
        """Answer one client event.

        Args:
            event: A decoded client event (GA classes, whatever the dialect).

        Returns:
            The server events that answer it, in order: an ``error`` event for an
            invalid request (with the client's ``event_id`` in ``error.event_id``),
            for ``input_audio_buffer.append`` nothing, or what turn detection
            heard in it (VAD events, a commit, ``response.created`` of an automatic
            response, transcription events), and only ``response.created``
            for ``response.create``: the rest of a response is pulled with
            :meth:`next_event` or :meth:`drain`.

        Raises:
            TypeError: ``event`` is not a client event.
        """
        if not isinstance(event, ClientEvent):
            raise TypeError(f"expected a client event, not {type(event).__name__}")
        handler = self._handlers.get(type(event), self._unknown_event)
        try:
            missing = _missing_required(event, "")
            if missing:
                raise _Rejected(
                    f"Missing required parameter: '{missing}'.",
                    "missing_required_parameter",
                    missing,
                )
            return handler(event)
        except _Rejected as exc:
            return [self._error(event, exc.message, exc.code, exc.param)]

    def next_event(self) -> ServerEvent | None:
        """Pull the next event of the active responses.

        Responses take turns, one event each, so out-of-band responses interleave
        with the default one as they would on a real server.

        Returns:
            The next event, or ``None`` when no response is active.
        """
        while self._streams:
            self._turn %= len(self._streams)
            stream = self._streams[self._turn]
            event = stream.next()
            if stream.finished:
                del self._streams[self._turn]
            else:
                self._turn += 1
            if event is not None:
                return event
        return None

    def next_frame(self) -> ServerEvent | RawFrame | None:
        """What the server sends next from the streams: :meth:`next_event` here.

        Subclasses that send raw text (:class:`~realtime_sync.testing.ReplayResponder`)
        override this; the server calls it whenever :attr:`active_responses` is not
        empty.
        """
        return self.next_event()

    def drain(self) -> list[ServerEvent]:
        """Pull every remaining event of the active responses.

        Returns:
            The events, in the order :meth:`next_event` gives them.
        """
        events = []
        while (event := self.next_event()) is not None:
            events.append(event)
        return events

    def cancel(
        self, response_id: str | None = None, *, reason: str = "client_cancelled"
    ) -> list[ServerEvent]:
        """Stop an active response, as ``response.cancel`` does.

        Args:
            response_id: The response to stop; ``None`` stops the default
                conversation's response (else the oldest active one).
            reason: ``status_details.reason`` of the cancelled response
                (``client_cancelled``; a server's VAD uses ``turn_detected``).

        Returns:
            The closing events (open part, item as ``incomplete``, ``response.done``
            with status ``cancelled``), or an ``error`` with code
            ``response_cancel_not_active`` when no such response is active.
        """
        return self._cancel(ResponseCancel(response_id=response_id or UNSET), reason)

    def _cancel(self, event: ResponseCancel, reason: str) -> list[ServerEvent]:
        stream = self._find_stream(event.response_id)
        if stream is None:
            return [
                self._error(
                    event,
                    "Cancellation failed: no active response found",
                    "response_cancel_not_active",
                )
            ]
        self._streams.remove(stream)
        return stream.cancel(reason)

    def invalid_frame(
        self, problem: str, event_id: str | None = None
    ) -> list[ServerEvent]:
        """The answer to a client frame that could not be decoded.

        Args:
            problem: What is wrong, e.g. ``expected str @ $.item_id (got int)``.
            event_id: The frame's ``event_id``, when one could be read.

        Returns:
            An ``error`` event with code ``invalid_event``; the session goes on.
        """
        message = problem if problem.endswith(".") else problem + "."
        return [
            Error(
                event_id=self._next_id("event"),
                error=RealtimeError(
                    type="invalid_request_error",
                    code="invalid_event",
                    message=message,
                    param=None,
                    event_id=event_id,
                ),
            )
        ]

    def session_expired(self, limit_seconds: float) -> list[ServerEvent]:
        """The ``error`` a server sends when the session reaches its age limit.

        The server closes the connection (code 1001, the same message as reason)
        right after it (§1.7, §9.8).

        Args:
            limit_seconds: The maximum session duration.

        Returns:
            An ``error`` event with code ``session_expired``.
        """
        return [
            Error(
                event_id=self._next_id("event"),
                error=RealtimeError(
                    type="invalid_request_error",
                    code="session_expired",
                    message=expiry_message(limit_seconds),
                    param=None,
                    event_id=None,
                ),
            )
        ]

    def output_ms(self, delta: str) -> float:
        """Milliseconds of audio in a base64 output audio delta (session format).

        Args:
            delta: The ``delta`` of a ``response.output_audio.delta``.

        Returns:
            Its duration; 0 when it is not valid base64.
        """
        try:
            size = len(_decode_b64(delta))
        except (binascii.Error, ValueError):
            return 0.0
        return size / _bytes_per_ms(self._output_format())

    def server_error(self, event_id: str | None = None) -> list[ServerEvent]:
        """The answer when handling an event failed inside the server (a bug).

        Args:
            event_id: The client event's ``event_id``, if any.

        Returns:
            An ``error`` event of type ``server_error``.
        """
        return [
            Error(
                event_id=self._next_id("event"),
                error=RealtimeError(
                    type="server_error",
                    code=None,
                    message="The server had an error while processing your request.",
                    param=None,
                    event_id=event_id,
                ),
            )
        ]

    # -- session -----------------------------------------------------------------------

    def _default_session(self, model: str) -> RealtimeSession:
        pcm = AudioPCM(type="audio/pcm", rate=self.sample_rate)
        return RealtimeSession(
            type="realtime",
            object="realtime.session",
            id=self._next_id("sess"),
            model=model,
            output_modalities=["audio"],
            instructions=DEFAULT_INSTRUCTIONS,
            audio=AudioConfig(
                input=AudioInput(
                    format=pcm,
                    transcription=None,
                    noise_reduction=None,
                    turn_detection=ServerVad(
                        type="server_vad",
                        threshold=0.5,
                        prefix_padding_ms=300,
                        silence_duration_ms=200,
                        idle_timeout_ms=None,
                        create_response=True,
                        interrupt_response=True,
                    ),
                ),
                output=AudioOutput(format=pcm, voice="marin", speed=1.0),
            ),
            include=None,
            tools=[],
            tool_choice="auto",
            max_output_tokens="inf",
            tracing=None,
            truncation="auto",
            prompt=None,
            expires_at=self._expires_at,
        )

    def _default_transcription_session(self, session_id: str) -> TranscriptionSession:
        return TranscriptionSession(
            type="transcription",
            object="realtime.transcription_session",
            id=session_id,
            audio=TranscriptionAudio(
                input=AudioInput(
                    format=AudioPCM(type="audio/pcm", rate=self.sample_rate),
                    transcription=TranscriptionConfig(
                        model="gpt-4o-mini-transcribe", language=None, prompt=""
                    ),
                    noise_reduction=None,
                    turn_detection=ServerVad(
                        type="server_vad",
                        threshold=0.5,
                        prefix_padding_ms=300,
                        silence_duration_ms=200,
                    ),
                )
            ),
            include=None,
            expires_at=self._expires_at,
        )

    def _transcription_update(self, patch: TranscriptionSession) -> list[ServerEvent]:
        if self._transcription is None:
            # A realtime session becomes a transcription session only while nothing
            # has happened in it yet (the type is normally chosen at connect time).
            if self._items or self._streams or self._audio_buffer:
                raise _Rejected(
                    "Cannot update session type from 'realtime' to 'transcription' "
                    "once the conversation has started.",
                    "invalid_value",
                    "session.type",
                )
            self._transcription = self._default_transcription_session(
                cast(str, self._session.id)
            )
        self._check_shape(patch, "session")
        patch = attrs.evolve(
            patch, type=UNSET, id=UNSET, object=UNSET, expires_at=UNSET
        )
        self._transcription = _merge(self._transcription, patch)
        self._idle_anchor_ms = self.audio_position_ms
        return [
            SessionUpdated(event_id=self._next_id("event"), session=self._transcription)
        ]

    def _session_update(self, event: SessionUpdate) -> list[ServerEvent]:
        patch = event.session
        if isinstance(patch, TranscriptionSession):
            return self._transcription_update(patch)
        if self._transcription is not None and isinstance(patch, RealtimeSession):
            raise _Rejected(
                "Cannot update session type from 'transcription' to 'realtime'.",
                "invalid_value",
                "session.type",
            )
        if isinstance(patch, UnknownModel) or (
            isinstance(patch, RealtimeSession)
            and isinstance(patch.type, str)
            and patch.type != "realtime"
        ):
            value = patch.type if isinstance(patch.type, str) else ""
            raise _Rejected(
                f"Invalid value: '{value}'. Supported values are: 'realtime' and "
                "'transcription'.",
                "invalid_value",
                "session.type",
            )
        if patch.type is UNSET:
            # GA requires session.type in every session.update (§3.1).
            raise _Rejected(
                "Missing required parameter: 'session.type'.",
                "missing_required_parameter",
                "session.type",
            )
        self._check_shape(patch, "session")
        if patch.output_modalities is not UNSET:
            self._check_modalities(patch.output_modalities, "session.output_modalities")
        self._check_max_tokens(patch.max_output_tokens, "session.max_output_tokens")
        # Fixed for the life of the session: the type, the model (taken from the URL,
        # §3) and the server's own echo fields.
        patch = attrs.evolve(
            patch, type=UNSET, model=UNSET, id=UNSET, object=UNSET, expires_at=UNSET
        )
        merged = _merge(self._session, patch)
        self._check_voice_change(merged)
        self._session = merged
        self._idle_anchor_ms = self.audio_position_ms
        return [SessionUpdated(event_id=self._next_id("event"), session=self._session)]

    def _check_shape(self, model: Model, path: str) -> None:
        if self.dialect == "ga":
            unknown = _unknown_parameter(model, path)
            if unknown:
                raise _Rejected(
                    f"Unknown parameter: '{unknown}'.", "unknown_parameter", unknown
                )
        kind = _unknown_kind(model, path)
        if kind:
            where, value = kind
            leaf = where.rsplit(".", 1)[-1].split("[", 1)[0]
            supported = _SUPPORTED_VALUES.get(leaf)
            message = f"Invalid value: '{value}'."
            if supported:
                message += f" Supported values are: {_quote_list(supported)}."
            raise _Rejected(message, "invalid_value", f"{where}.type")

    @staticmethod
    def _check_modalities(value: Any, param: str) -> None:
        # GA: exactly ["audio"] (audio with its transcript) or ["text"] (§3.1).
        if value is not None and value not in (["audio"], ["text"]):
            raise _Rejected(
                f"Invalid modalities: {value!r}. Supported combinations are: ['text'] "
                "and ['audio'].",
                "invalid_value",
                param,
            )

    @staticmethod
    def _check_max_tokens(value: Any, param: str) -> None:
        if isinstance(value, bool):
            return
        if isinstance(value, int) and not 1 <= value <= 4096:
            which = "above maximum" if value > 4096 else "below minimum"
            bound = "<= 4096" if value > 4096 else ">= 1"
            raise _Rejected(
                f"Invalid '{param}': integer {which} value. Expected a value {bound}, "
                f"but got {value} instead.",
                "integer_above_max_value"
                if value > 4096
                else "integer_below_min_value",
                param,
            )
        if isinstance(value, str) and value != "inf":
            raise _Rejected(
                f"Invalid value: '{value}'. Supported values are: 'inf' and integers.",
                "invalid_value",
                param,
            )

    def _check_voice_change(self, merged: RealtimeSession) -> None:
        def voice(session: RealtimeSession) -> Any:
            audio = session.audio
            if isinstance(audio, AudioConfig) and isinstance(audio.output, AudioOutput):
                return audio.output.voice
            return UNSET

        # §3: "voice can only change before the model has produced audio".
        if self._audio_produced and voice(merged) != voice(self._session):
            raise _Rejected(
                "Cannot update a conversation's voice if assistant audio is present.",
                "cannot_update_voice",
                "session.audio.output.voice",
            )

    # -- conversation items ------------------------------------------------------------

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

    def _item_added_done(
        self, item: Item, previous_item_id: str | None
    ) -> list[ServerEvent]:
        shown = _strip_audio(item)
        return [
            ConversationItemAdded(
                event_id=self._next_id("event"),
                item=shown,
                previous_item_id=previous_item_id,
            ),
            ConversationItemDone(
                event_id=self._next_id("event"),
                item=shown,
                previous_item_id=previous_item_id,
            ),
        ]

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
        return [
            ConversationItemTruncated(
                event_id=self._next_id("event"),
                item_id=event.item_id,
                content_index=ci,
                audio_end_ms=event.audio_end_ms,
            )
        ]

    # -- input audio -------------------------------------------------------------------

    def _audio_input(self) -> AudioInput | None:
        audio: object = (
            self._transcription.audio
            if self._transcription is not None
            else self._session.audio
        )
        if isinstance(audio, (AudioConfig, TranscriptionAudio)) and isinstance(
            audio.input, AudioInput
        ):
            return audio.input
        return None

    def _input_format(self) -> Any:
        audio_input = self._audio_input()
        return audio_input.format if audio_input is not None else None

    def _output_format(self) -> Any:
        audio = self._session.audio
        if isinstance(audio, AudioConfig) and isinstance(audio.output, AudioOutput):
            return audio.output.format
        return None

    def _turn_settings(self) -> _vad.TurnSettings | None:
        audio_input = self._audio_input()
        if audio_input is None:
            return None
        return _vad.turn_settings(audio_input.turn_detection)

    def _audio_append(self, event: InputAudioBufferAppend) -> list[ServerEvent]:
        try:
            self._audio_buffer += _decode_b64(event.audio)
        except (binascii.Error, ValueError):
            raise _Rejected(
                "Invalid 'audio': expected base64-encoded audio bytes.",
                "invalid_value",
                "audio",
            ) from None
        return self._listen()

    def _audio_commit(self, event: InputAudioBufferCommit) -> list[ServerEvent]:
        ms = len(self._audio_buffer) / _bytes_per_ms(self._input_format())
        if ms < _MIN_COMMIT_MS:
            raise _Rejected(
                "Error committing input audio buffer: buffer too small. Expected at "
                f"least {_MIN_COMMIT_MS}ms of audio, but buffer only has {ms:.2f}ms of "
                "audio.",
                "input_audio_buffer_commit_empty",
            )
        # A manual commit ends the turn in progress, with the item id that
        # speech_started announced.
        item_id = self._speech_item or self._next_id("item")
        self._speech_item = None
        self._silence_ms = 0
        data = self._take_buffer(len(self._audio_buffer))
        events = self._commit_events(item_id, data)
        return events + self._transcription_events(item_id, data)

    def _audio_clear(self, event: InputAudioBufferClear) -> list[ServerEvent]:
        self._take_buffer(len(self._audio_buffer))
        self._speech_item = None
        self._silence_ms = 0
        return [InputAudioBufferCleared(event_id=self._next_id("event"))]

    # -- turn detection (§9.3) ---------------------------------------------------------

    def _take_buffer(self, size: int) -> bytes:
        """Remove the first ``size`` bytes of the input buffer (committed or cleared)."""
        data = bytes(self._audio_buffer[:size])
        del self._audio_buffer[:size]
        self._origin_ms += size / _bytes_per_ms(self._input_format())
        self._scanned = max(0, self._scanned - size)
        self._idle_anchor_ms = max(self._idle_anchor_ms, self._origin_ms)
        return data

    def _listen(self) -> list[ServerEvent]:
        """Run the detector over the audio appended since it last listened."""
        settings = self._turn_settings()
        if settings is None:
            self._scanned = len(self._audio_buffer)  # manual turns: nothing to hear
            return []
        fmt = self._input_format()
        bpm = _bytes_per_ms(fmt)
        window = int(bpm * _vad.WINDOW_MS)
        unheard = len(self._audio_buffer) - self._scanned
        whole = unheard - unheard % window
        if whole <= 0:
            return []
        data = bytes(self._audio_buffer[self._scanned : self._scanned + whole])
        samples = _vad.decode_input(data, fmt)
        flags = _vad.voiced_windows(samples, _window_samples(fmt), settings.level_dbfs)
        events: list[ServerEvent] = []
        for voiced in flags:
            self._scanned += window
            end_ms = self._origin_ms + self._scanned / bpm
            if self._speech_item is None:
                if voiced:
                    events += self._speech_started(end_ms - _vad.WINDOW_MS, settings)
                elif self._idle_due(end_ms, settings):
                    events += self._idle_timeout(end_ms, settings)
            elif voiced:
                self._silence_ms = 0
            else:
                self._silence_ms += _vad.WINDOW_MS
                if self._silence_ms >= settings.silence_ms:
                    events += self._speech_stopped(end_ms, settings)
        return events

    def _speech_started(
        self, start_ms: float, settings: _vad.TurnSettings
    ) -> list[ServerEvent]:
        item_id = self._next_id("item")
        self._speech_item = item_id
        self._silence_ms = 0
        # §2: audio_start_ms already includes prefix_padding_ms.
        events: list[ServerEvent] = [
            InputAudioBufferSpeechStarted(
                event_id=self._next_id("event"),
                audio_start_ms=max(0, round(start_ms - settings.prefix_padding_ms)),
                item_id=item_id,
            )
        ]
        if settings.interrupt_response and self._transcription is None:
            # §9.5: speech cancels the default conversation's running response.
            stream = self._default_stream()
            if stream is not None:
                self._streams.remove(stream)
                events += stream.cancel("turn_detected")
        return events

    def _speech_stopped(
        self, end_ms: float, settings: _vad.TurnSettings
    ) -> list[ServerEvent]:
        item_id = cast(str, self._speech_item)
        self._speech_item = None
        self._silence_ms = 0
        # §2: audio_end_ms includes the trailing silence.
        stopped = InputAudioBufferSpeechStopped(
            event_id=self._next_id("event"), audio_end_ms=round(end_ms), item_id=item_id
        )
        return [stopped, *self._end_turn(item_id, settings.create_response)]

    def _idle_due(self, end_ms: float, settings: _vad.TurnSettings) -> bool:
        timeout = settings.idle_timeout_ms
        if timeout is None or self._default_stream() is not None:
            return False
        return end_ms - self._idle_anchor_ms >= timeout

    def _idle_timeout(
        self, end_ms: float, settings: _vad.TurnSettings
    ) -> list[ServerEvent]:
        item_id = self._next_id("item")
        triggered = InputAudioBufferTimeoutTriggered(
            event_id=self._next_id("event"),
            audio_start_ms=round(self._idle_anchor_ms),
            audio_end_ms=round(end_ms),
            item_id=item_id,
        )
        # §9.3: the server commits the silence and responds.
        return [triggered, *self._end_turn(item_id, settings.create_response)]

    def _end_turn(self, item_id: str, respond: bool) -> list[ServerEvent]:
        """Commit the audio heard so far; respond; then the (late) transcript."""
        data = self._take_buffer(self._scanned)
        events = self._commit_events(item_id, data)
        if respond and self._transcription is None and self._default_stream() is None:
            events += self._response_create(ResponseCreate())
        return events + self._transcription_events(item_id, data)

    def _commit_events(self, item_id: str, data: bytes) -> list[ServerEvent]:
        """``committed``, then (realtime sessions) the user item added and done."""
        if self._transcription is not None:
            # Transcription sessions have no conversation, only the buffer (§9.7).
            previous, self._last_committed = self._last_committed, item_id
            return [
                InputAudioBufferCommitted(
                    event_id=self._next_id("event"),
                    item_id=item_id,
                    previous_item_id=previous,
                )
            ]
        item = UserMessage(
            id=item_id,
            object="realtime.item",
            status="completed",
            content=[InputAudio(audio=_b64.encode(data), transcript=None)],
        )
        previous = self._append(item)
        committed = InputAudioBufferCommitted(
            event_id=self._next_id("event"),
            item_id=item_id,
            previous_item_id=previous,
        )
        return [committed, *self._item_added_done(item, previous)]

    def _default_stream(self) -> _ResponseStream | None:
        return next(
            (
                s
                for s in self._streams
                if s.conversation_id is not None and not s.finished
            ),
            None,
        )

    def _response_finished(self, stream: _ResponseStream) -> None:
        """Called by a stream when it ends: the idle timeout counts from here."""
        if stream.conversation_id is not None:
            self._idle_anchor_ms = max(self._idle_anchor_ms, self.audio_position_ms)

    # -- input transcription (§9.3 step 6) ---------------------------------------------

    def _transcription_events(self, item_id: str, data: bytes) -> list[ServerEvent]:
        audio_input = self._audio_input()
        if audio_input is None or not isinstance(
            audio_input.transcription, TranscriptionConfig
        ):
            return []
        text = self._transcript(data)
        events: list[ServerEvent] = [
            ConversationItemInputAudioTranscriptionDelta(
                event_id=self._next_id("event"),
                item_id=item_id,
                content_index=0,
                delta=chunk,
            )
            for chunk in _chunks(text, self.text_delta_chars)
        ]
        ms = len(data) / _bytes_per_ms(self._input_format())
        audio_tokens = math.ceil(ms / 100)  # about 10 tokens a second
        text_tokens = _text_tokens(text)
        events.append(
            ConversationItemInputAudioTranscriptionCompleted(
                event_id=self._next_id("event"),
                item_id=item_id,
                content_index=0,
                transcript=text,
                usage=TranscriptionUsageTokens(
                    type="tokens",
                    input_tokens=audio_tokens,
                    output_tokens=text_tokens,
                    total_tokens=audio_tokens + text_tokens,
                    input_token_details=TranscriptionTokenDetails(
                        text_tokens=0, audio_tokens=audio_tokens
                    ),
                ),
            )
        )
        index = self._index(item_id)
        item = self._items[index] if index is not None else None
        if isinstance(item, UserMessage):  # a later retrieve shows the transcript
            content = [
                attrs.evolve(p, transcript=text) if isinstance(p, InputAudio) else p
                for p in item.content
            ]
            self._items[cast(int, index)] = attrs.evolve(item, content=content)
        return events

    def _marker_format(self) -> str:
        fmt = self._input_format()
        if isinstance(fmt, AudioPCMU):
            return "audio/pcmu"
        if isinstance(fmt, AudioPCMA):
            return "audio/pcma"
        return "audio/pcm"

    def _transcript(self, data: bytes) -> str:
        """The mock transcription of committed audio (see the class docstring)."""
        marked = _synth.find_marker(data, self._marker_format())
        if marked is not None:
            return marked
        fmt = self._input_format()
        settings = self._turn_settings()
        level = settings.level_dbfs if settings else _vad.threshold_dbfs(0.5)
        samples = _vad.decode_input(data, fmt)
        if not any(_vad.voiced_windows(samples, _window_samples(fmt), level)):
            return ""
        return f"[speech {len(data) / _bytes_per_ms(fmt) / 1000:.2f} s]"

    def _output_audio_clear(self, event: OutputAudioBufferClear) -> list[ServerEvent]:
        raise _Rejected(
            "output_audio_buffer.clear is only supported for WebRTC and SIP sessions.",
            "invalid_value",
            "type",
        )

    # -- responses ---------------------------------------------------------------------

    def _response_create(self, event: ResponseCreate) -> list[ServerEvent]:
        if self._transcription is not None:
            raise _Rejected(
                "Responses are not supported in transcription sessions.",
                "invalid_value",
                "type",
            )
        params = event.response
        if not isinstance(params, ResponseCreateParams):
            params = ResponseCreateParams()
        self._check_shape(params, "response")
        conversation = params.conversation if _is_set(params.conversation) else "auto"
        if conversation not in ("auto", "none"):
            raise _Rejected(
                f"Invalid value: '{conversation}'. Supported values are: 'auto' and "
                "'none'.",
                "invalid_value",
                "response.conversation",
            )
        in_conversation = conversation == "auto"
        if in_conversation:
            # §3.5: only one response may write to the default conversation at a time.
            for stream in self._streams:
                if stream.conversation_id is not None and not stream.finished:
                    raise _Rejected(
                        "Conversation already has an active response in progress: "
                        f"{stream.id}. Wait until the response is finished before "
                        "creating a new one.",
                        "conversation_already_has_active_response",
                    )
        session = self._session
        modalities = params.output_modalities
        if modalities is UNSET or modalities is None:
            modalities = session.output_modalities
        else:
            self._check_modalities(modalities, "response.output_modalities")
        if not isinstance(modalities, list) or not modalities:
            modalities = ["audio"]
        self._check_max_tokens(params.max_output_tokens, "response.max_output_tokens")
        max_tokens = params.max_output_tokens
        if max_tokens is UNSET:
            max_tokens = session.max_output_tokens
        instructions = params.instructions
        if not isinstance(instructions, str):
            instructions = (
                session.instructions if isinstance(session.instructions, str) else ""
            )
        audio_output = self._session_audio_output()
        if isinstance(params.audio, ResponseAudio) and isinstance(
            params.audio.output, AudioOutput
        ):
            audio_output = _merge(audio_output, params.audio.output)
        tools = params.tools if isinstance(params.tools, list) else session.tools
        tool_choice = (
            params.tool_choice if _is_set(params.tool_choice) else session.tool_choice
        )
        context = self._context(params.input)
        metadata = params.metadata if isinstance(params.metadata, dict) else None

        plan = self._plan(instructions, context, tools, tool_choice)
        if modalities != ["text"] and plan.call is None:
            fmt = audio_output.format
            samples = _synth.speech_like(
                self.audio_ms,
                8000 if isinstance(fmt, (AudioPCMU, AudioPCMA)) else self._rate(fmt),
            )
            if isinstance(fmt, AudioPCMU):
                plan.audio = _synth.ulaw_encode(samples)
            elif isinstance(fmt, AudioPCMA):
                plan.audio = _synth.alaw_encode(samples)
            else:
                plan.audio = samples.tobytes()
            plan.audio_format = fmt
        self._limit(plan, max_tokens)

        stream = _ResponseStream(
            self,
            response_id=self._next_id("resp"),
            conversation_id=self._conversation_id if in_conversation else None,
            metadata=metadata,
            modalities=list(modalities),
            audio_output=audio_output,
            max_output_tokens=max_tokens,
            input_tokens=self._input_tokens(instructions, context),
            plan=plan,
        )
        self._streams.append(stream)
        return [stream.created()]

    def _response_cancel(self, event: ResponseCancel) -> list[ServerEvent]:
        return self._cancel(event, "client_cancelled")

    def _find_stream(self, response_id: object) -> _ResponseStream | None:
        active = [s for s in self._streams if not s.finished]
        if isinstance(response_id, str) and response_id:
            return next((s for s in active if s.id == response_id), None)
        default = [s for s in active if s.conversation_id is not None]
        candidates = default or active
        return candidates[0] if candidates else None

    def _session_audio_output(self) -> AudioOutput:
        audio = self._session.audio
        if isinstance(audio, AudioConfig) and isinstance(audio.output, AudioOutput):
            return audio.output
        return AudioOutput(format=AudioPCM(type="audio/pcm", rate=self.sample_rate))

    def _rate(self, fmt: object) -> int:
        if isinstance(fmt, AudioPCM) and isinstance(fmt.rate, int) and fmt.rate > 0:
            return fmt.rate
        return self.sample_rate

    def _context(self, response_input: object) -> list[Item]:
        """The items a response sees: the conversation, or ``response.input`` (§3.5)."""
        if not isinstance(response_input, list):
            return list(self._items)
        context: list[Item] = []
        for i, item in enumerate(response_input):
            if isinstance(item, ItemReference):
                index = self._index(item.id)
                if index is None:
                    raise _Rejected(
                        f"Error in response input: the item with id '{item.id}' does "
                        "not exist.",
                        "item_not_found",
                        f"response.input[{i}].id",
                    )
                context.append(self._items[index])
            else:
                context.append(item)
        return context

    def _plan(
        self, instructions: str, context: list[Item], tools: object, tool_choice: object
    ) -> _Plan:
        last = context[-1] if context else None
        user = next((i for i in reversed(context) if isinstance(i, UserMessage)), None)
        user_text = _user_text(user) if user is not None else None
        if user is not None and user_text is None:
            user_text = self._heard_text(user)
        if instructions.startswith("Say:"):
            return _Plan(text=instructions[4:].split("\n", 1)[0].strip())
        if isinstance(last, FunctionCallOutputItem):
            return _Plan(text=f"The tool returned: {last.output}")
        functions = [
            t
            for t in (tools if isinstance(tools, list) else [])
            if isinstance(t, FunctionTool) and isinstance(t.name, str) and t.name
        ]
        if functions and tool_choice != "none":
            chosen: FunctionTool | None = None
            if isinstance(tool_choice, ToolChoiceFunction):
                chosen = next(
                    (t for t in functions if t.name == tool_choice.name), None
                )
            elif user_text:
                lowered = user_text.lower()
                for tool in functions:
                    name = cast(str, tool.name).lower()
                    if name in lowered or name.replace("_", " ") in lowered:
                        chosen = tool
                        break
            if chosen is None and tool_choice == "required":
                chosen = functions[0]
            if chosen is not None:
                return _Plan(
                    call=chosen, arguments=_example_arguments(chosen, user_text or "")
                )
        if user is None:
            return _Plan(text="Hello!")
        if user_text is not None:
            return _Plan(text=f"You said: {user_text}")
        audio = next((p for p in user.content if isinstance(p, InputAudio)), None)
        if audio is not None and isinstance(audio.audio, str):
            try:
                size = len(_decode_b64(audio.audio))
            except (binascii.Error, ValueError):
                size = 0
            ms = int(size / _bytes_per_ms(self._input_format()))
            return _Plan(text=f"I heard {ms} ms of audio.")
        return _Plan(text="Hello!")

    def _heard_text(self, user: UserMessage) -> str | None:
        """What a user audio item says, when it carries a synth_speech marker."""
        for part in user.content:
            if isinstance(part, InputAudio) and isinstance(part.audio, str):
                try:
                    data = _decode_b64(part.audio)
                except (binascii.Error, ValueError):
                    continue
                text = _synth.find_marker(data, self._marker_format())
                if text is not None:
                    return text
        return None

    @staticmethod
    def _limit(plan: _Plan, max_tokens: object) -> None:
        """Cut the reply to ``max_output_tokens``; the response ends ``incomplete``."""
        if not isinstance(max_tokens, int) or isinstance(max_tokens, bool):
            return
        bpm = _bytes_per_ms(plan.audio_format)
        audio_tokens = math.ceil(len(plan.audio) / bpm / 50) if plan.audio else 0
        total = _text_tokens(plan.text or plan.arguments) + audio_tokens
        if total <= max_tokens:
            return
        plan.incomplete = True
        if not plan.audio:
            # Text only: keep as many characters as the tokens allow (4 a token).
            plan.text = plan.text[: max_tokens * 4]
            plan.arguments = plan.arguments[: max_tokens * 4]
            return
        share = max_tokens / total
        plan.text = plan.text[: int(len(plan.text) * share)]
        keep = int(len(plan.audio) * share)
        plan.audio = plan.audio[: keep - keep % 2 if bpm != 8.0 else keep]

    def _input_tokens(
        self, instructions: str, context: list[Item]
    ) -> InputTokenDetails:
        text = _text_tokens(instructions)
        audio = 0
        for item in context:
            if isinstance(item, FunctionCallItem):
                text += _text_tokens(item.name + item.arguments)
            elif isinstance(item, FunctionCallOutputItem):
                text += _text_tokens(item.output)
            for part in getattr(item, "content", None) or ():
                for value in (
                    getattr(part, "text", None),
                    getattr(part, "transcript", None),
                ):
                    if isinstance(value, str):
                        text += _text_tokens(value)
                data = getattr(part, "audio", None)
                if isinstance(data, str):
                    # Input audio counts about 10 tokens a second.
                    audio += math.ceil(
                        len(data) * 3 / 4 / _bytes_per_ms(self._input_format()) / 100
                    )
        return InputTokenDetails(
            text_tokens=text,
            audio_tokens=audio,
            image_tokens=0,
            cached_tokens=0,
            cached_tokens_details=CachedTokensDetails(
                text_tokens=0, audio_tokens=0, image_tokens=0
            ),
        )

    def _rate_limits(self, plan: _Plan) -> RateLimitsUpdated:
        # GA: sent at the start of each response, with the tokens reserved for it.
        reserved = _text_tokens(plan.text or plan.arguments) + 500
        return RateLimitsUpdated(
            event_id=self._next_id("event"),
            rate_limits=[
                RateLimit(
                    name="requests", limit=5000, remaining=4999, reset_seconds=0.012
                ),
                RateLimit(
                    name="tokens",
                    limit=40000,
                    remaining=40000 - reserved,
                    reset_seconds=round(reserved * 60 / 40000, 3),
                ),
            ],
        )

    # -- misc --------------------------------------------------------------------------

    def _unknown_event(self, event: ClientEvent) -> list[ServerEvent]:
        wire_type = event.type if isinstance(event, UnknownClientEvent) else event.TYPE
        supported = _GA_CLIENT_TYPES if self.dialect == "ga" else _BETA_CLIENT_TYPES
        raise _Rejected(
            f"Invalid value: '{wire_type}'. Supported values are: "
            f"{_quote_list(supported)}.",
            "invalid_value",
            "type",
        )

    def _error(
        self, event: ClientEvent, message: str, code: str, param: str | None = None
    ) -> Error:
        client_id = event.event_id
        if isinstance(event, UnknownClientEvent):
            data_id = event.data.get("event_id")
            client_id = data_id if isinstance(data_id, str) else client_id
        return Error(
            event_id=self._next_id("event"),
            error=RealtimeError(
                type="invalid_request_error",
                code=code,
                message=message,
                param=param,
                event_id=client_id if isinstance(client_id, str) else None,
            ),
        )

    def _next_id(self, prefix: str) -> str:
        counter = self._counters.get(prefix)
        if counter is None:
            counter = self._counters[prefix] = itertools.count(1)
        while True:
            # Skip ids a client gave its own items (a reconnecting client re-creates
            # its conversation under the old session's ids).
            candidate = f"{prefix}_{next(counter):04d}"
            if prefix != "item" or self._index(candidate) is None:
                return candidate

    def _index(self, item_id: object) -> int | None:
        for i, item in enumerate(self._items):
            if getattr(item, "id", None) == item_id:
                return i
        return None

    def _insert(self, item: Item, previous_item_id: str | None) -> str | None:
        """Insert after ``previous_item_id`` (``"root"``: first; ``None``: last)."""
        if previous_item_id is None:
            return self._append(item)
        if previous_item_id == "root":
            self._items.insert(0, item)
            return None
        index = cast(int, self._index(previous_item_id))
        self._items.insert(index + 1, item)
        return previous_item_id

    def _append(self, item: Item) -> str | None:
        previous = getattr(self._items[-1], "id", None) if self._items else None
        self._items.append(item)
        return previous if isinstance(previous, str) else None

    def _replace(self, item: Item) -> None:
        index = self._index(getattr(item, "id", None))
        if index is not None:  # the client may have deleted it meanwhile
            self._items[index] = item
