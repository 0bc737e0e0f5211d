"""Sessions: the default sessions, the checks of ``session.update`` and the merge.

A GA ``session.update`` carries a partial session; the Responder checks its shape
(unknown parameters, unknown kinds of object, closed enumerations) and merges it into
the current, complete session.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, cast

import attrs

from realtime_sync.events import (
    UNSET,
    AudioConfig,
    AudioInput,
    AudioOutput,
    AudioPCM,
    Model,
    NoiseReduction,
    RealtimeSession,
    SemanticVad,
    ServerEvent,
    ServerVad,
    SessionUpdate,
    SessionUpdated,
    TranscriptionAudio,
    TranscriptionConfig,
    TranscriptionSession,
    UnknownModel,
)
from realtime_sync.testing._base import _quote_list, _Rejected, _ResponderBase
from realtime_sync.testing._checks import (
    _SUPPORTED_VALUES,
    _check_max_tokens,
    _check_modalities,
    _check_values,
    _unknown_kind,
    _unknown_parameter,
)

#: The ``instructions`` of a new mock session.
DEFAULT_INSTRUCTIONS = (
    "You are a helpful, friendly voice assistant. Answer briefly and clearly, in the "
    "language the user speaks."
)

_SESSION_LIFETIME_S = 3600


def _kind_defaults(sample_rate: int) -> dict[type[Model], Model]:
    """A complete object of each kind a session nests, with the service's defaults.

    A ``session.update`` that switches ``turn_detection`` to another kind (or turns
    transcription on) carries only the fields it sets; the service answers with the
    complete object (§3: ``session.updated`` has "the complete effective config").
    The values are the defaults of REALTIME_PROTOCOL.md §3.1.2 and those the mock's
    ``session.created`` shows (``silence_duration_ms`` 200, as the service ships).
    """
    return {
        ServerVad: ServerVad(
            type="server_vad",
            threshold=0.5,
            prefix_padding_ms=300,
            silence_duration_ms=200,
            idle_timeout_ms=None,
            create_response=True,
            interrupt_response=True,
        ),
        SemanticVad: SemanticVad(
            type="semantic_vad",
            eagerness="auto",
            create_response=True,
            interrupt_response=True,
        ),
        TranscriptionConfig: TranscriptionConfig(
            model="gpt-4o-mini-transcribe", language=None, prompt=""
        ),
        # §3.1: "strength defaults to 1 when first enabled".
        NoiseReduction: NoiseReduction(strength=1.0),
        AudioPCM: AudioPCM(type="audio/pcm", rate=sample_rate),
    }


def _merge(
    current: Any, patch: Any, defaults: Mapping[type[Model], Model] | None = None
) -> Any:
    """Merge a partial model into the current one: only the fields present change.

    Objects of the same class merge field by field (``audio.output.voice`` alone keeps
    ``audio.output.format``). An object of another kind (``semantic_vad`` replacing
    ``server_vad``) or one where there was none (``transcription`` replacing
    ``None``) is merged into the complete default object of its kind from
    ``defaults``, so the result has every field filled in. Anything else (lists,
    strings, ``None``) replaces the current value.
    """
    if patch is UNSET:
        return current
    if not isinstance(patch, Model) or isinstance(patch, UnknownModel):
        return patch
    if type(patch) is not type(current):
        base = (defaults or {}).get(type(patch))
        if base is None:
            return _complete(patch, defaults)
        current = base
    changes = {}
    for field in attrs.fields(type(patch)):
        if field.name in ("extra", "wire_hints"):
            continue
        value = getattr(patch, field.name)
        if value is not UNSET:
            changes[field.name] = _merge(getattr(current, field.name), value, defaults)
    return attrs.evolve(current, **changes)


def _complete(model: Model, defaults: Mapping[type[Model], Model] | None) -> Model:
    """``model`` with each nested object completed from ``defaults``."""
    changes = {}
    for field in attrs.fields(type(model)):
        if field.name in ("extra", "wire_hints"):
            continue
        value = getattr(model, field.name)
        if isinstance(value, Model) and not isinstance(value, UnknownModel):
            changes[field.name] = _merge(UNSET, value, defaults)
    return attrs.evolve(model, **changes) if changes else model


class _SessionMixin(_ResponderBase):
    """``session.update``: checks, merging, and the default sessions."""

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
        _check_values(patch, self._pcm_rates(), "session")
        patch = attrs.evolve(
            patch, type=UNSET, id=UNSET, object=UNSET, expires_at=UNSET
        )
        self._transcription = _merge(
            self._transcription, patch, _kind_defaults(self.sample_rate)
        )
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
        _check_values(patch, self._pcm_rates(), "session")
        if patch.output_modalities is not UNSET:
            _check_modalities(patch.output_modalities, "session.output_modalities")
        _check_max_tokens(patch.max_output_tokens, "session.max_output_tokens")
        # Fixed for the life of the session: the type, the model (taken from the URL,
        # §3) and the server's own echo fields.
        patch = attrs.evolve(
            patch, type=UNSET, model=UNSET, id=UNSET, object=UNSET, expires_at=UNSET
        )
        merged = _merge(self._session, patch, _kind_defaults(self.sample_rate))
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
