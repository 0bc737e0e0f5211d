"""SessionConfig: the session settings most apps need, flat, turned into a GA session.

``rs.SessionConfig(instructions="Be brief.", voice="alloy")`` is shorter than the
nested :class:`~realtime_sync.events.RealtimeSession` it stands for; only the fields
given are sent, so it is a partial update, as ``session.update`` expects.
"""

from __future__ import annotations

from typing import Any

import attrs

from realtime_sync.events import (
    UNSET,
    AudioConfig,
    AudioFormat,
    AudioInput,
    AudioOutput,
    AudioPCM,
    AudioPCMA,
    AudioPCMU,
    NoiseReduction,
    RealtimeSession,
    Tool,
    ToolChoice,
    TranscriptionConfig,
    TurnDetection,
    Unset,
    Voice,
)

__all__ = ["SessionConfig"]

_FORMATS: dict[str, AudioFormat] = {
    "pcm16": AudioPCM(type="audio/pcm", rate=24000),
    "audio/pcm": AudioPCM(type="audio/pcm", rate=24000),
    "g711_ulaw": AudioPCMU(type="audio/pcmu"),
    "audio/pcmu": AudioPCMU(type="audio/pcmu"),
    "g711_alaw": AudioPCMA(type="audio/pcma"),
    "audio/pcma": AudioPCMA(type="audio/pcma"),
}


def _format(value: str | AudioFormat | Unset) -> AudioFormat | Unset:
    if value is UNSET or not isinstance(value, str):
        return value
    try:
        return _FORMATS[value]
    except KeyError:
        raise ValueError(
            f"unknown audio format {value!r}; use one of {sorted(_FORMATS)}"
        ) from None


@attrs.frozen(kw_only=True)
class SessionConfig:
    """Flat session settings; :meth:`to_session` builds the GA session object.

    Every field is optional: what is left :data:`UNSET` is not sent.

    Attributes:
        instructions: The system instructions.
        voice: The output voice (``"marin"``, ``"alloy"``, ... or a ``VoiceId``).
        output_modalities: ``["audio"]`` (audio with transcript) or ``["text"]``.
        input_format: ``"pcm16"`` (24 kHz), ``"g711_ulaw"``/``"audio/pcmu"`` or
            ``"g711_alaw"``/``"audio/pcma"`` (8 kHz), or a format object.
        output_format: Same choices, for the model's audio.
        turn_detection: A :class:`ServerVad`/:class:`SemanticVad`, or ``None`` for
            manual turns (commit and ``create_response()`` yourself).
        transcription: Input transcription settings, or ``None`` to turn it off.
        noise_reduction: Input noise reduction, or ``None`` to turn it off.
        speed: Speech speed, 0.25 to 1.5.
        tools: The tools the model may call.
        tool_choice: ``"auto"``, ``"none"``, ``"required"`` or a specific tool.
        max_output_tokens: The output token limit per response, or ``"inf"``.
        model: The model (normally chosen by the URL).
    """

    instructions: str | Unset = UNSET
    voice: Voice | Unset = UNSET
    output_modalities: list[str] | Unset = UNSET
    input_format: str | AudioFormat | Unset = UNSET
    output_format: str | AudioFormat | Unset = UNSET
    turn_detection: TurnDetection | Unset | None = UNSET
    transcription: TranscriptionConfig | Unset | None = UNSET
    noise_reduction: NoiseReduction | Unset | None = UNSET
    speed: float | Unset = UNSET
    tools: list[Tool] | Unset = UNSET
    tool_choice: ToolChoice | Unset = UNSET
    max_output_tokens: int | str | Unset = UNSET
    model: str | Unset = UNSET

    def to_session(self) -> RealtimeSession:
        """The GA ``RealtimeSession`` holding exactly the fields that were set.

        Returns:
            The session object for ``session.update``.

        Raises:
            ValueError: An unknown audio format name.
        """
        audio_in: dict[str, Any] = {
            k: v
            for k, v in (
                ("format", _format(self.input_format)),
                ("turn_detection", self.turn_detection),
                ("transcription", self.transcription),
                ("noise_reduction", self.noise_reduction),
            )
            if v is not UNSET
        }
        audio_out: dict[str, Any] = {
            k: v
            for k, v in (
                ("format", _format(self.output_format)),
                ("voice", self.voice),
                ("speed", self.speed),
            )
            if v is not UNSET
        }
        audio: AudioConfig | Unset = UNSET
        if audio_in or audio_out:
            audio = AudioConfig(
                input=AudioInput(**audio_in) if audio_in else UNSET,
                output=AudioOutput(**audio_out) if audio_out else UNSET,
            )
        return RealtimeSession(
            type="realtime",
            instructions=self.instructions,
            output_modalities=self.output_modalities,
            audio=audio,
            tools=self.tools,
            tool_choice=self.tool_choice,
            max_output_tokens=self.max_output_tokens,
            model=self.model,
        )
