"""The ``session`` of ``session.start``, built from ``LiveClient`` arguments.

Checked at the call site (the constructor): every value is type-checked here and
the whole object is then decoded through the Live codec as a ``session.start``,
so a wrong JSON type fails with its path before anything is sent. The server is
strict about unknown fields (LIVE_PROTOCOL.md §5); a field the codec does not know
is sent as given (``extra``), and the server's ``unknown_parameter`` error names it
at ``connect()``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from realtime_sync.exceptions import ProtocolError
from realtime_sync.live._carry import MAX_INPUT_MESSAGES, message

__all__ = ["DEFAULT_MODEL", "build_config"]

DEFAULT_MODEL = "gpt-live-1"

_FORMATS = {"audio/pcm": (16000, 24000), "audio/pcmu": (8000,), "audio/pcma": (8000,)}
_ROLES = ("developer", "user", "assistant")


def _str(name: str, value: object) -> str:
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a str, not {type(value).__name__}")
    return value


def _messages(value: object) -> list[dict[str, Any]]:
    if isinstance(value, (str, bytes)) or not isinstance(value, Sequence):
        raise TypeError("input must be a list of messages")
    out = []
    for i, entry in enumerate(value):
        if isinstance(entry, Mapping):
            out.append(dict(entry))
            continue
        if (
            isinstance(entry, tuple)
            and len(entry) == 2
            and all(isinstance(x, str) for x in entry)
        ):
            role, text = entry
            if role not in _ROLES:
                raise ValueError(
                    f"input[{i}]: role must be one of {_ROLES}, not {role!r}"
                )
            out.append(message(role, text))
            continue
        raise TypeError(
            f"input[{i}] must be a message dict or a (role, text) tuple, not "
            f"{type(entry).__name__}"
        )
    if len(out) > MAX_INPUT_MESSAGES:
        raise ValueError(
            f"input holds {len(out)} messages; the Live API takes at most "
            f"{MAX_INPUT_MESSAGES}"
        )
    return out


def _format(audio_format: object, sample_rate: object) -> dict[str, Any]:
    kind = _str("audio_format", audio_format)
    if kind not in _FORMATS:
        raise ValueError(
            f"audio_format must be one of {sorted(_FORMATS)}, not {kind!r}"
        )
    rates = _FORMATS[kind]
    if sample_rate is None:
        rate = rates[-1]
    elif isinstance(sample_rate, bool) or not isinstance(sample_rate, int):
        raise TypeError(f"sample_rate must be an int, not {type(sample_rate).__name__}")
    elif sample_rate not in rates:
        raise ValueError(f"{kind} takes sample_rate in {rates}, not {sample_rate}")
    else:
        rate = sample_rate
    return {"type": kind, "rate": rate}


def _delegation(value: object) -> dict[str, Any]:
    if isinstance(value, str):
        if value != "client":
            raise ValueError(
                "delegation given as a string must be 'client'; Responses and "
                "Decisions delegation need their settings: "
                "{'type': 'responses', 'responses': {'model': ...}}"
            )
        return {"type": "client"}
    if not isinstance(value, Mapping):
        raise TypeError("delegation must be a dict (or 'client')")
    kind = value.get("type")
    if kind not in ("client", "responses", "decisions"):
        raise ValueError(
            f"delegation type must be 'client', 'responses' or 'decisions', not {kind!r}"
        )
    if kind != "client" and not isinstance(value.get(kind), Mapping):
        raise ValueError(f"{kind} delegation needs its settings: delegation[{kind!r}]")
    return dict(value)


def build_config(
    *,
    model: object,
    session: Any,
    instructions: object,
    voice: object,
    audio_format: object,
    sample_rate: object,
    delegation: object,
    input: object,
    store: object,
    safety_identifier: object,
    codec: Any,
) -> dict[str, Any]:
    """The checked ``session`` dict (see the module docstring).

    Raises:
        TypeError: A value of the wrong type (the message names it).
        ValueError: A value out of range (a format, a rate, a role).
    """
    config: dict[str, Any]
    if session is None:
        config = {}
    elif isinstance(session, Mapping):
        config = json.loads(json.dumps(dict(session)))  # a deep copy, JSON only
    elif hasattr(session, "__attrs_attrs__"):
        config = codec.to_dict(session)
    else:
        raise TypeError(
            f"session must be a dict or a live.events.SessionConfig, not "
            f"{type(session).__name__}"
        )
    if model is not None or "model" not in config:
        config["model"] = _str("model", model if model is not None else DEFAULT_MODEL)
    if instructions is not None:
        config["instructions"] = _str("instructions", instructions)
    audio = (
        config.setdefault("audio", {})
        if (voice is not None or audio_format is not None or sample_rate is not None)
        else config.get("audio")
    )
    if voice is not None:
        assert isinstance(audio, dict)
        audio.setdefault("output", {})["voice"] = _str("voice", voice)
    if audio_format is not None or sample_rate is not None:
        assert isinstance(audio, dict)
        audio["format"] = _format(audio_format or "audio/pcm", sample_rate)
    if delegation is not None:
        config["delegation"] = _delegation(delegation)
    if input is not None:
        config["input"] = _messages(input)
    if store is not None:
        if not isinstance(store, bool):
            raise TypeError("store must be a bool")
        config["store"] = store
    if safety_identifier is not None:
        config["safety_identifier"] = _str("safety_identifier", safety_identifier)
    try:
        codec.decode_client(json.dumps({"type": "session.start", "session": config}))
    except ProtocolError as exc:
        raise TypeError(f"invalid Live session configuration: {exc}") from None
    except (TypeError, ValueError) as exc:
        raise TypeError(f"invalid Live session configuration: {exc}") from None
    return config
