"""The Live mock's session configuration: validation with the service's errors, defaults.

``session.start`` carries a strict configuration: the real service refuses unknown
fields (``unknown_parameter``, ``Unknown parameter: 'session.voice'.``, ``param``
naming the field) and bad values. :func:`check_start` does the same for the fields
the mock knows, raising :class:`~realtime_sync.testing._base._Rejected` with the
error's message, code and ``param``; :func:`resolve` fills the server defaults
(PCM 24 kHz, voice ``marin``, client delegation, ``input: []``) into the
:class:`~realtime_sync.live.events.SessionResource` of ``session.started``.
"""

from __future__ import annotations

from typing import Any

import attrs

from realtime_sync.events._base import UNSET, Model, UnknownModel
from realtime_sync.live.events import (
    AssistantMessage,
    AudioConfig,
    AudioOutput,
    AudioPCM,
    AudioPCMA,
    AudioPCMU,
    ClientDelegation,
    DecisionsDelegation,
    DeveloperMessage,
    InputTextContent,
    OutputText,
    ResponsesDelegation,
    SessionConfig,
    SessionResource,
    SessionUpdateConfig,
    UserMessage,
)
from realtime_sync.testing._base import _Rejected

__all__ = [
    "LIVE_MODELS",
    "VOICES",
    "check_start",
    "check_update",
    "fork_config",
    "resolve",
]

#: The models the mock accepts (the SDK's literal).
LIVE_MODELS = ("gpt-live-1", "gpt-live-1.1")
#: The built-in voices (SDK literal).
VOICES = [
    "alloy",
    "ash",
    "ballad",
    "beacon",
    "bossa",
    "cedar",
    "cinder",
    "coral",
    "delta",
    "echo",
    "gleam",
    "marin",
    "meridian",
    "quartz",
    "ripple",
    "sage",
    "shida",
    "shimmer",
    "stone",
    "tempo",
    "verse",
    "vesper",
    "willow",
]
MAX_INPUT_MESSAGES = 128
MAX_INSTRUCTIONS_CHARS = 4 * 16_384  # about 16,384 tokens
MAX_APPEND_CHARS = 4 * 500  # about 500 tokens


def _unknown_field(model: Model, path: str) -> None:
    """Refuse the first unknown field of ``model`` (and of its known children)."""
    if model.extra:
        name = next(iter(model.extra))
        raise _Rejected(
            f"Unknown parameter: '{path}.{name}'.",
            "unknown_parameter",
            f"{path}.{name}",
        )
    for field in attrs.fields(type(model)):
        value = getattr(model, field.name)
        values = value if isinstance(value, list) else [value]
        for i, child in enumerate(values):
            if isinstance(child, Model) and not isinstance(child, UnknownModel):
                where = f"{path}.{field.name}" + (
                    f"[{i}]" if isinstance(value, list) else ""
                )
                _unknown_field(child, where)


def _invalid(message: str, param: str) -> _Rejected:
    return _Rejected(message, "invalid_value", param)


def _check_audio(audio: AudioConfig) -> None:
    fmt = audio.format
    if isinstance(fmt, UnknownModel):
        raise _invalid(
            f"Invalid value: '{fmt.type}'. Supported values are: 'audio/pcm', "
            "'audio/pcmu', and 'audio/pcma'.",
            "session.audio.format.type",
        )
    if isinstance(fmt, AudioPCM) and fmt.rate not in (UNSET, 16000, 24000):
        raise _invalid(
            f"Invalid value: {fmt.rate}. Supported values are: 16000 and 24000.",
            "session.audio.format.rate",
        )
    if isinstance(fmt, (AudioPCMU, AudioPCMA)) and fmt.rate not in (UNSET, 8000):
        raise _invalid(
            f"Invalid value: {fmt.rate}. Supported values are: 8000.",
            "session.audio.format.rate",
        )
    output = audio.output
    voice = output.voice if isinstance(output, AudioOutput) else UNSET
    if isinstance(voice, str) and voice not in VOICES:
        raise _invalid(
            f"Invalid value: '{voice}'. Supported values are: "
            + ", ".join(f"'{v}'" for v in VOICES)
            + ".",
            "session.audio.output.voice",
        )


def _check_delegation(delegation: object, param: str, *, start: bool) -> None:
    if isinstance(delegation, UnknownModel):
        raise _invalid(
            f"Invalid value: '{delegation.type}'. Supported values are: 'client', "
            "'responses', and 'decisions'.",
            f"{param}.type",
        )
    if isinstance(delegation, ResponsesDelegation) and start:
        model = getattr(delegation.responses, "model", None)
        if not isinstance(model, str):
            raise _Rejected(
                f"Missing required parameter: '{param}.responses.model'.",
                "missing_required_parameter",
                f"{param}.responses.model",
            )
    if isinstance(delegation, DecisionsDelegation) and start:
        model = getattr(delegation.decisions, "model", None)
        if not isinstance(model, str):
            raise _Rejected(
                f"Missing required parameter: '{param}.decisions.model'.",
                "missing_required_parameter",
                f"{param}.decisions.model",
            )


def check_start(config: SessionConfig) -> None:
    """Refuse a ``session.start`` configuration as the service would.

    Raises:
        _Rejected: With the error's message, code and ``param`` (the refused field).
    """
    _unknown_field(config, "session")
    if config.model is UNSET:
        raise _Rejected(
            "Missing required parameter: 'session.model'.",
            "missing_required_parameter",
            "session.model",
        )
    if config.model not in LIVE_MODELS:
        raise _Rejected(
            f"The model '{config.model}' does not exist or you do not have access "
            "to it.",
            "invalid_model",
            "session.model",
        )
    if isinstance(config.audio, AudioConfig):
        _check_audio(config.audio)
    _check_delegation(config.delegation, "session.delegation", start=True)
    if isinstance(config.input, list) and len(config.input) > MAX_INPUT_MESSAGES:
        raise _Rejected(
            f"Invalid 'session.input': array too long. Expected an array with maximum "
            f"length {MAX_INPUT_MESSAGES}, but got an array with length "
            f"{len(config.input)} instead.",
            "array_above_max_length",
            "session.input",
        )
    if isinstance(config.input, list):
        for i, message in enumerate(config.input):
            if not isinstance(
                message, (DeveloperMessage, UserMessage, AssistantMessage)
            ):
                raise _invalid(
                    "Invalid value: only developer, user and assistant text messages "
                    "are supported.",
                    f"session.input[{i}]",
                )
    if (
        isinstance(config.instructions, str)
        and len(config.instructions) > MAX_INSTRUCTIONS_CHARS
    ):
        raise _Rejected(
            "Invalid 'session.instructions': string too long.",
            "string_above_max_length",
            "session.instructions",
        )


def check_update(update: SessionUpdateConfig, current: SessionResource) -> None:
    """Refuse a ``session.update`` as the service would.

    Raises:
        _Rejected: An unknown field, or a change of the delegation type
            (``immutable_field_update``).
    """
    _unknown_field(update, "session")
    new = update.delegation
    if new is UNSET:
        return
    old_type = _delegation_type(current.delegation)
    new_type = None if new is None else _delegation_type(new)
    if new_type != old_type:
        raise _Rejected(
            "The delegation type of a session cannot change "
            f"(from '{old_type}' to '{new_type}').",
            "immutable_field_update",
            "session.delegation.type",
        )
    _check_delegation(new, "session.delegation", start=False)


def _delegation_type(delegation: object) -> str:
    kind = getattr(delegation, "type", UNSET)
    return kind if isinstance(kind, str) else "client"


def resolve(
    config: SessionConfig, *, session_id: str, expires_at: int
) -> SessionResource:
    """The ``session`` of ``session.started``: the config with the defaults filled."""
    audio = config.audio if isinstance(config.audio, AudioConfig) else AudioConfig()
    fmt = audio.format
    if fmt in (UNSET, None):
        fmt = AudioPCM(rate=24000)
    elif isinstance(fmt, AudioPCM) and fmt.rate is UNSET:
        fmt = attrs.evolve(fmt, rate=24000)
    elif isinstance(fmt, (AudioPCMU, AudioPCMA)) and fmt.rate is UNSET:
        fmt = attrs.evolve(fmt, rate=8000)
    output = audio.output if isinstance(audio.output, AudioOutput) else AudioOutput()
    if output.voice in (UNSET, None):
        output = attrs.evolve(output, voice="marin")
    delegation = config.delegation
    if delegation in (UNSET, None):
        delegation = ClientDelegation()
    fields: dict[str, Any] = {
        name: getattr(config, name)
        for name in ("client", "safety_identifier", "store", "triggers")
        if getattr(config, name) is not UNSET
    }
    return SessionResource(
        id=session_id,
        expires_at=expires_at,
        model=config.model,
        status="active",
        instructions=config.instructions
        if isinstance(config.instructions, str)
        else "",
        audio=AudioConfig(format=fmt, output=output),
        delegation=delegation,
        input=config.input if isinstance(config.input, list) else [],
        **fields,
    )


_FORK_FIELDS = ("audio", "client", "delegation", "store")


def fork_config(
    stored: SessionResource,
    transcript: list[tuple[str, str]],
    overrides: SessionConfig,
) -> SessionConfig:
    """The configuration of a fork: the stored session's, with the overrides.

    The fork inherits the model, instructions, voice, delegation and triggers;
    its ``input`` is the stored session's conversation (startup input and
    transcript, the newest 128 messages). A fork may override ``audio.format``,
    ``client``, the Responses settings of a Responses session, and ``store``.

    Raises:
        _Rejected: A model, or any field a fork cannot override.
    """
    _unknown_field(overrides, "session")
    if overrides.model is not UNSET:
        raise _invalid(
            "A fork inherits its model: do not set 'session.model'.", "session.model"
        )
    for field in attrs.fields(SessionConfig):
        name = field.name
        if name in (*_FORK_FIELDS, "model", "extra"):
            continue
        if getattr(overrides, name) is not UNSET:
            raise _Rejected(
                f"Unknown parameter: 'session.{name}'.",
                "unknown_parameter",
                f"session.{name}",
            )
    audio = stored.audio if isinstance(stored.audio, AudioConfig) else AudioConfig()
    if isinstance(overrides.audio, AudioConfig):
        if overrides.audio.output is not UNSET:
            raise _Rejected(
                "Unknown parameter: 'session.audio.output'.",
                "unknown_parameter",
                "session.audio.output",
            )
        if overrides.audio.format is not UNSET:
            audio = attrs.evolve(audio, format=overrides.audio.format)
    delegation: Any = stored.delegation
    new = overrides.delegation
    if new is not UNSET and new is not None:
        if not (
            isinstance(new, ResponsesDelegation)
            and isinstance(delegation, ResponsesDelegation)
        ):
            raise _invalid(
                "A fork may only change the Responses settings of a Responses session.",
                "session.delegation",
            )
        delegation = attrs.evolve(
            delegation,
            **{
                f.name: getattr(new, f.name)
                for f in attrs.fields(ResponsesDelegation)
                if f.name not in ("type", "extra") and getattr(new, f.name) is not UNSET
            },
        )
    messages: list[Any] = [
        UserMessage(content=[InputTextContent(type="input_text", text=text)])
        if role == "user"
        else AssistantMessage(content=[OutputText(text=text)])
        for role, text in transcript
    ]
    startup = [
        m
        for m in (stored.input if isinstance(stored.input, list) else [])
        if isinstance(m, DeveloperMessage)
    ]
    return SessionConfig(
        model=stored.model,
        audio=audio,
        client=overrides.client if overrides.client is not UNSET else stored.client,
        delegation=delegation,
        input=(startup + messages)[-MAX_INPUT_MESSAGES:],
        instructions=stored.instructions,
        safety_identifier=stored.safety_identifier,
        store=overrides.store if overrides.store is not UNSET else stored.store,
        triggers=stored.triggers,
    )
