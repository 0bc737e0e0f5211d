"""Typed events of the Realtime Translation API (3 client, 7 server) and its session.

The wire protocol of ``wss://api.openai.com/v1/realtime/translations?model=...``
(``shared/protocol/TRANSLATION_PROTOCOL.md`` §3-4). The conventions are those of
:mod:`realtime_sync.events`: frozen, slotted, keyword-only attrs classes; ``TYPE`` is
the wire type; optional fields default to :data:`~realtime_sync.events.UNSET`
(absent on the wire) and may hold ``None`` (``null`` on the wire); fields the
protocol does not define are kept in ``extra``; enumerations are plain strings; an
unknown event type decodes to :class:`~realtime_sync.events.UnknownServerEvent`.

Some type strings are those of the Realtime API (``session.created``,
``session.update``, ...) with another session shape: these are separate classes,
decoded by :class:`~realtime_sync.translation.codec.TranslationCodec`, never by the
Realtime codec. ``error`` is the Realtime GA error event itself
(:class:`realtime_sync.events.Error`): the shape is the same.

The translation ``session.input_audio_buffer.append`` subclasses the Realtime
``input_audio_buffer.append`` (same fields, another ``TYPE``), so that the machinery
that bounds held input audio during a reconnection treats it as audio.

This module does not use ``from __future__ import annotations``: the annotations are
real types, which the codec's hook generator reads as they are.
"""

from collections.abc import Mapping
from types import MappingProxyType
from typing import ClassVar

import attrs

from realtime_sync.events import (
    UNSET,
    ClientEvent,
    Error,
    ServerEvent,
    Unset,
)
from realtime_sync.events import (
    InputAudioBufferAppend as _RealtimeAppend,
)
from realtime_sync.events._base import Model

__all__ = [
    "CLIENT_EVENTS",
    "DEFAULT_TRANSCRIPTION_MODEL",
    "SERVER_EVENTS",
    "Error",
    "InputAudioBufferAppend",
    "InputTranscriptDelta",
    "OutputAudioDelta",
    "OutputTranscriptDelta",
    "SessionClose",
    "SessionClosed",
    "SessionCreated",
    "SessionUpdate",
    "SessionUpdated",
    "TranslationAudio",
    "TranslationAudioInput",
    "TranslationAudioOutput",
    "TranslationNoiseReduction",
    "TranslationSession",
    "TranslationSessionRequest",
    "TranslationTranscription",
]

#: The transcription model of every example of the guide and the spec.
DEFAULT_TRANSCRIPTION_MODEL = "gpt-realtime-whisper"

# -- the session object ---------------------------------------------------------------


@attrs.frozen(kw_only=True)
class TranslationTranscription(Model):
    """Source-language transcription (``audio.input.transcription``).

    When set, the server sends ``session.input_transcript.delta`` events.

    Attributes:
        model: The transcription model (``gpt-realtime-whisper``).
    """

    model: str | Unset = UNSET


@attrs.frozen(kw_only=True)
class TranslationNoiseReduction(Model):
    """Input noise reduction (``audio.input.noise_reduction``).

    Attributes:
        type: ``"near_field"`` (headsets) or ``"far_field"`` (laptop and room
            microphones).
        strength: Suppression strength, 0 to 1 (1 when first enabled; an update
            that omits it keeps the current one).
    """

    type: str | Unset = UNSET
    strength: float | Unset | None = UNSET


@attrs.frozen(kw_only=True)
class TranslationAudioInput(Model):
    """Input settings: transcription and noise reduction (``null`` turns one off).

    Attributes:
        transcription: Source transcription, or None (off).
        noise_reduction: Noise reduction, or None (off).
    """

    transcription: TranslationTranscription | Unset | None = UNSET
    noise_reduction: TranslationNoiseReduction | Unset | None = UNSET


@attrs.frozen(kw_only=True)
class TranslationAudioOutput(Model):
    """Output settings.

    Attributes:
        language: The target language of the translated speech and transcript
            (``"fr"``, ``"es"``, ...).
    """

    language: str | Unset | None = UNSET


@attrs.frozen(kw_only=True)
class TranslationAudio(Model):
    """The ``audio`` object of a translation session.

    Attributes:
        input: Input settings.
        output: Output settings.
    """

    input: TranslationAudioInput | Unset | None = UNSET
    output: TranslationAudioOutput | Unset | None = UNSET


@attrs.frozen(kw_only=True)
class TranslationSession(Model):
    """A translation session as the server describes it (``RealtimeTranslationSession``).

    In ``session.created``, ``session.updated`` and the client-secret response.

    Attributes:
        id: ``sess_...``.
        type: ``"translation"``.
        model: The model of the URL (``gpt-realtime-translate``).
        expires_at: Unix seconds.
        audio: Input and output settings.
    """

    id: str | Unset = UNSET
    type: str | Unset = UNSET
    model: str | Unset = UNSET
    expires_at: int | Unset = UNSET
    audio: TranslationAudio | Unset = UNSET

    @property
    def language(self) -> str | None:
        """``audio.output.language``, or None when the session does not say."""
        output = self.audio.output if isinstance(self.audio, TranslationAudio) else None
        language = (
            output.language if isinstance(output, TranslationAudioOutput) else None
        )
        return language if isinstance(language, str) else None

    @property
    def transcription_model(self) -> str | None:
        """``audio.input.transcription.model``, or None when transcription is off."""
        audio = self.audio
        inp = audio.input if isinstance(audio, TranslationAudio) else None
        tr = inp.transcription if isinstance(inp, TranslationAudioInput) else None
        model = tr.model if isinstance(tr, TranslationTranscription) else None
        return model if isinstance(model, str) else None


@attrs.frozen(kw_only=True)
class TranslationSessionRequest(Model):
    """What ``session.update`` may change (``RealtimeTranslationSessionUpdateRequest``).

    Only ``audio.output.language``, ``audio.input.transcription`` and
    ``audio.input.noise_reduction``: the session's ``type`` and ``model`` are fixed
    at creation.

    Attributes:
        audio: The settings to change.
    """

    audio: TranslationAudio | Unset | None = UNSET


# -- client events -------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class SessionUpdate(ClientEvent):
    """Client event ``session.update``: change the target language or input settings.

    Answered by ``session.updated`` (the whole session) or ``error``.

    Attributes:
        session: The settings to change.
    """

    TYPE: ClassVar[str] = "session.update"

    session: TranslationSessionRequest


@attrs.frozen(kw_only=True)
class InputAudioBufferAppend(_RealtimeAppend):
    """Client event ``session.input_audio_buffer.append``: source audio, no reply.

    Base64 PCM16 little-endian mono at 24 kHz, ideally 200 ms (9,600 bytes) per
    event, silence included: a gap is not a pause to the model.

    Attributes:
        audio: The audio, base64.
    """

    TYPE: ClassVar[str] = "session.input_audio_buffer.append"


@attrs.frozen(kw_only=True)
class SessionClose(ClientEvent):
    """Client event ``session.close``: flush the input, finish, then ``session.closed``."""

    TYPE: ClassVar[str] = "session.close"


# -- server events -------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class SessionCreated(ServerEvent):
    """Server event ``session.created``: the first event of a connection.

    Attributes:
        session: The session (its defaults, or a client secret's configuration).
    """

    TYPE: ClassVar[str] = "session.created"

    session: TranslationSession


@attrs.frozen(kw_only=True)
class SessionUpdated(ServerEvent):
    """Server event ``session.updated``: the whole session after a ``session.update``.

    Attributes:
        session: The session.
    """

    TYPE: ClassVar[str] = "session.updated"

    session: TranslationSession


@attrs.frozen(kw_only=True)
class SessionClosed(ServerEvent):
    """Server event ``session.closed``: the last event; the server closes next."""

    TYPE: ClassVar[str] = "session.closed"


@attrs.frozen(kw_only=True)
class InputTranscriptDelta(ServerEvent):
    """Server event ``session.input_transcript.delta``: source-language text.

    Sent when transcription is configured. Fragments are appended as received, with
    no space added.

    Attributes:
        delta: The text fragment.
        elapsed_ms: Alignment in the input timeline (200 ms steps); may be absent
            or None.
    """

    TYPE: ClassVar[str] = "session.input_transcript.delta"

    delta: str
    elapsed_ms: int | Unset | None = UNSET


@attrs.frozen(kw_only=True)
class OutputTranscriptDelta(ServerEvent):
    """Server event ``session.output_transcript.delta``: translated text.

    Attributes:
        delta: The text fragment (append as received).
        elapsed_ms: Alignment in the input timeline (200 ms steps).
    """

    TYPE: ClassVar[str] = "session.output_transcript.delta"

    delta: str
    elapsed_ms: int | Unset | None = UNSET


@attrs.frozen(kw_only=True)
class OutputAudioDelta(ServerEvent):
    """Server event ``session.output_audio.delta``: translated speech, any length.

    Attributes:
        delta: Base64 PCM16 audio.
        channels: Channel count (1).
        sample_rate: Samples per second (24000).
        format: ``"pcm16"``.
        elapsed_ms: Alignment in the input timeline (200 ms steps).
    """

    TYPE: ClassVar[str] = "session.output_audio.delta"

    delta: str
    channels: int | Unset | None = UNSET
    sample_rate: int | Unset | None = UNSET
    format: str | Unset | None = UNSET
    elapsed_ms: int | Unset | None = UNSET

    @property
    def audio(self) -> bytes:
        """The decoded PCM16 bytes of ``delta``."""
        from realtime_sync import _b64

        return _b64.decode(self.delta)


#: Client event classes by wire type.
CLIENT_EVENTS: Mapping[str, type[ClientEvent]] = MappingProxyType(
    {c.TYPE: c for c in (SessionUpdate, InputAudioBufferAppend, SessionClose)}
)

#: Server event classes by wire type (``error`` is the Realtime one).
SERVER_EVENTS: Mapping[str, type[ServerEvent]] = MappingProxyType(
    {
        c.TYPE: c
        for c in (
            Error,
            SessionCreated,
            SessionUpdated,
            SessionClosed,
            InputTranscriptDelta,
            OutputTranscriptDelta,
            OutputAudioDelta,
        )
    }
)

#: The nested model classes (the codec generates a hook for each).
MODELS: tuple[type[Model], ...] = (
    TranslationTranscription,
    TranslationNoiseReduction,
    TranslationAudioInput,
    TranslationAudioOutput,
    TranslationAudio,
    TranslationSession,
    TranslationSessionRequest,
)
