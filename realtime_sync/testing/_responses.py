"""Responses: ``response.create`` (the plan of a reply), ``response.cancel``.

How a reply is chosen is described in :mod:`realtime_sync.testing._responder`.
"""

from __future__ import annotations

import binascii
import math
from typing import cast

from realtime_sync.events import (
    UNSET,
    AudioConfig,
    AudioOutput,
    AudioPCM,
    AudioPCMA,
    AudioPCMU,
    CachedTokensDetails,
    FunctionCallItem,
    FunctionCallOutputItem,
    FunctionTool,
    InputAudio,
    InputText,
    InputTokenDetails,
    Item,
    ItemReference,
    RateLimit,
    RateLimitsUpdated,
    ResponseAudio,
    ResponseCancel,
    ResponseCreate,
    ResponseCreateParams,
    ServerEvent,
    ToolChoiceFunction,
    UserMessage,
)
from realtime_sync.testing import _synth  # numpy (and realtime_sync.audio) only
from realtime_sync.testing._base import (
    _bytes_per_ms,
    _decode_b64,
    _is_set,
    _Rejected,
    _ResponderBase,
    _text_tokens,
)
from realtime_sync.testing._checks import (
    _check_max_tokens,
    _check_modalities,
    _check_values,
)
from realtime_sync.testing._session import _kind_defaults, _merge
from realtime_sync.testing._stream import _Plan, _ResponseStream
from realtime_sync.testing._tool_args import tool_arguments


def _user_text(item: UserMessage) -> str | None:
    texts = [
        p.text
        for p in item.content
        if isinstance(p, InputText) and isinstance(p.text, str)
    ]
    return " ".join(texts) if texts else None


#: Characters of transcript per second of reply audio: about 150 words a minute, the
#: pace of conversational English speech (about 6 characters a word with its space).
SPEECH_CHARS_PER_SECOND = 15.0
_MIN_REPLY_MS = 200


class _ResponsesMixin(_ResponderBase):
    """``response.create`` and ``response.cancel``: planning a reply and its stream."""

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
        _check_values(params, self._pcm_rates(), "response")
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
            _check_modalities(modalities, "response.output_modalities")
        if not isinstance(modalities, list) or not modalities:
            modalities = ["audio"]
        _check_max_tokens(params.max_output_tokens, "response.max_output_tokens")
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
            audio_output = _merge(
                audio_output, params.audio.output, _kind_defaults(self.sample_rate)
            )
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
                self._reply_audio_ms(plan.text),
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

    def _reply_audio_ms(self, text: str) -> int:
        """The duration of a spoken reply: ``audio_ms``, else its transcript's."""
        if self.audio_ms is not None:
            return self.audio_ms
        spoken = round(len(text) * 1000 / self.speech_chars_per_second)
        return max(_MIN_REPLY_MS, spoken)

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
            self._refresh_live_items()
            return list(self._items)
        context: list[Item] = []
        for i, item in enumerate(response_input):
            if isinstance(item, ItemReference):
                self._refresh_live_items()
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
                    call=chosen, arguments=tool_arguments(chosen, user_text or "")
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
