"""Streaming one response: :class:`_Plan` (what it will say) and :class:`_ResponseStream`.

A stream is a generator of the response's server events (§9.2, §9.4) that remembers
what it has sent, so a cancel can close it where it stands.
"""

from __future__ import annotations

import math
from collections.abc import Generator, Iterator
from typing import Any, cast

import attrs

from realtime_sync import _b64
from realtime_sync.events import (
    UNSET,
    AssistantMessage,
    AudioOutput,
    ContentPart,
    ConversationItemAdded,
    ConversationItemDone,
    FunctionCallItem,
    FunctionTool,
    InputTokenDetails,
    Item,
    OutputAudio,
    OutputText,
    OutputTokenDetails,
    RealtimeResponse,
    ResponseAudio,
    ResponseContentPartAdded,
    ResponseContentPartDone,
    ResponseCreated,
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
    Usage,
)
from realtime_sync.testing._base import (
    _bytes_per_ms,
    _chunks,
    _evolve_existing,
    _ResponderBase,
    _strip_audio,
    _text_tokens,
)


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
        owner: _ResponderBase,
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
        # Set by a conversation.item.truncate of this response's item while it
        # streams: the conversation keeps the truncated copy from then on.
        self.truncated = False
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
        self._part_added = False
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
            self._part_open = self._part_added = True
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
            self._part_open = self._part_added = True
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
            in_conversation = shown
            if self.conversation_id is not None:
                in_conversation = _strip_audio(self._store(full))
            yield ResponseOutputItemDone(
                event_id=owner._next_id("event"),
                response_id=self.id,
                output_index=len(self._output),
                item=shown,
            )
            if self.conversation_id is not None:
                yield ConversationItemDone(
                    event_id=owner._next_id("event"),
                    item=in_conversation,
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

    # -- the conversation's copy of the output item ---------------------------------------

    @property
    def item_id(self) -> str:
        """The id of the output item (``""`` before it is added)."""
        return self._item_id

    def live_item(self) -> Item | None:
        """The output item as far as it has streamed, or ``None`` when none is open.

        The conversation's copy of an item that streams is this: the audio, transcript,
        text or arguments sent so far, ``status`` ``in_progress``, and no content part
        before ``response.content_part.added`` announced one.
        """
        if not self._item_open:
            return None
        item = self._final_item("in_progress")
        if isinstance(item, AssistantMessage) and not self._part_added:
            item = attrs.evolve(item, content=[])
        return item

    def _store(self, full: Item) -> Item:
        """Put the finished item into the conversation; return the stored copy.

        A truncated item keeps its truncated content (the client said the user heard
        no more) and takes only the final status.
        """
        owner = self._owner
        index = owner._index(self._item_id)
        if index is None:  # the client deleted it meanwhile
            return full
        if self.truncated:
            stored = _evolve_existing(
                owner._items[index], status=getattr(full, "status", UNSET)
            )
        else:
            stored = full
        owner._items[index] = stored
        return stored

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
