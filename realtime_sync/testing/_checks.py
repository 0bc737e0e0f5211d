"""Checks of client requests: shape, required fields and closed enumerations.

The real service refuses a request at the door when it names a parameter the GA
protocol does not define (``Unknown parameter: 'session.voice'.``), an object of an
unknown kind, or a value outside a closed set (``Invalid value: 'nobody'. Supported
values are: ...``). These functions raise :class:`~realtime_sync.testing._base._Rejected`
with the service's message, code and ``param``; the Responder turns that into an
``error`` event. Open sets (transcription models, the model name) are not checked.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import attrs

from realtime_sync.events import (
    UNSET,
    AudioConfig,
    AudioInput,
    AudioOutput,
    AudioPCM,
    Model,
    NoiseReduction,
    ResponseAudio,
    SemanticVad,
    ServerVad,
    TranscriptionAudio,
    UnknownModel,
)
from realtime_sync.testing._base import _quote_list, _Rejected

# Values the service accepts where the protocol has a closed set. Voices: the list of
# REALTIME_PROTOCOL.md §3.1 (openai-python's ``RealtimeAudioConfigOutput.voice``
# literals); a custom voice is an object ``{"id": "voice_..."}`` and is not checked.
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
    "voice": (
        "alloy",
        "ash",
        "ballad",
        "coral",
        "echo",
        "sage",
        "shimmer",
        "verse",
        "marin",
        "cedar",
    ),
    "eagerness": ("low", "medium", "high", "auto"),
    "noise_reduction": ("near_field", "far_field"),
    "tool_choice": ("none", "auto", "required"),
    "truncation": ("auto", "disabled"),
}


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


def _check_one_of(value: Any, supported: Sequence[str], param: str) -> None:
    """Refuse a string outside ``supported`` (other types are left to the codec)."""
    if isinstance(value, str) and value not in supported:
        raise _Rejected(
            f"Invalid value: '{value}'. Supported values are: "
            f"{_quote_list(supported)}.",
            "invalid_value",
            param,
        )


def _check_range(value: Any, low: float, high: float, param: str) -> None:
    """Refuse a number outside ``[low, high]``, in the service's words."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return
    if low <= value <= high:
        return
    above = value > high
    raise _Rejected(
        f"Invalid '{param}': decimal {'above maximum' if above else 'below minimum'} "
        f"value. Expected a value {'<=' if above else '>='} {high if above else low:g}"
        f", but got {value:g} instead.",
        "decimal_above_max_value" if above else "decimal_below_min_value",
        param,
    )


def _check_format(fmt: Any, rates: Sequence[int], param: str) -> None:
    # §10: "pcm16 only at 24 000 Hz" (openai-python: ``rate: Literal[24000]``).
    if (
        isinstance(fmt, AudioPCM)
        and isinstance(fmt.rate, int)
        and fmt.rate not in rates
    ):
        supported = ", ".join(str(r) for r in rates)
        raise _Rejected(
            f"Invalid value: {fmt.rate}. Supported values are: {supported}.",
            "invalid_value",
            f"{param}.rate",
        )


def _check_audio_input(audio_input: Any, rates: Sequence[int], path: str) -> None:
    if not isinstance(audio_input, AudioInput):
        return
    _check_format(audio_input.format, rates, f"{path}.format")
    detection = audio_input.turn_detection
    if isinstance(detection, SemanticVad):
        _check_one_of(
            detection.eagerness,
            _SUPPORTED_VALUES["eagerness"],
            f"{path}.turn_detection.eagerness",
        )
    if isinstance(detection, ServerVad):
        _check_range(detection.threshold, 0.0, 1.0, f"{path}.turn_detection.threshold")
    noise = audio_input.noise_reduction
    if isinstance(noise, NoiseReduction):
        _check_one_of(
            noise.type,
            _SUPPORTED_VALUES["noise_reduction"],
            f"{path}.noise_reduction.type",
        )


def _check_audio_output(audio_output: Any, rates: Sequence[int], path: str) -> None:
    if not isinstance(audio_output, AudioOutput):
        return
    _check_format(audio_output.format, rates, f"{path}.format")
    _check_one_of(audio_output.voice, _SUPPORTED_VALUES["voice"], f"{path}.voice")
    # §3.1: speed 0.25 - 1.5.
    _check_range(audio_output.speed, 0.25, 1.5, f"{path}.speed")


def _check_values(model: Any, rates: Sequence[int], path: str) -> None:
    """Check the closed enumerations and ranges of a session or response request.

    Args:
        model: A (partial) :class:`~realtime_sync.events.RealtimeSession`,
            :class:`~realtime_sync.events.TranscriptionSession` or
            :class:`~realtime_sync.events.ResponseCreateParams`.
        rates: The ``audio/pcm`` rates accepted.
        path: ``"session"`` or ``"response"``, for ``param``.

    Raises:
        _Rejected: The first value outside its set, as the service words it.
    """
    audio = getattr(model, "audio", None)
    if isinstance(audio, (AudioConfig, TranscriptionAudio)):
        _check_audio_input(audio.input, rates, f"{path}.audio.input")
    if isinstance(audio, (AudioConfig, ResponseAudio)):
        _check_audio_output(audio.output, rates, f"{path}.audio.output")
    _check_one_of(
        getattr(model, "tool_choice", None),
        _SUPPORTED_VALUES["tool_choice"],
        f"{path}.tool_choice",
    )
    _check_one_of(
        getattr(model, "truncation", None),
        _SUPPORTED_VALUES["truncation"],
        f"{path}.truncation",
    )


def _check_modalities(value: Any, param: str) -> None:
    """GA: exactly ``["audio"]`` (audio with its transcript) or ``["text"]`` (§3.1)."""
    if value is not None and value not in (["audio"], ["text"]):
        raise _Rejected(
            f"Invalid modalities: {value!r}. Supported combinations are: ['text'] "
            "and ['audio'].",
            "invalid_value",
            param,
        )


def _check_max_tokens(value: Any, param: str) -> None:
    """``max_output_tokens``: 1 - 4096 or ``"inf"`` (§10)."""
    if isinstance(value, bool):
        return
    if isinstance(value, int) and not 1 <= value <= 4096:
        which = "above maximum" if value > 4096 else "below minimum"
        bound = "<= 4096" if value > 4096 else ">= 1"
        raise _Rejected(
            f"Invalid '{param}': integer {which} value. Expected a value {bound}, "
            f"but got {value} instead.",
            "integer_above_max_value" if value > 4096 else "integer_below_min_value",
            param,
        )
    if isinstance(value, str) and value != "inf":
        raise _Rejected(
            f"Invalid value: '{value}'. Supported values are: 'inf' and integers.",
            "invalid_value",
            param,
        )
