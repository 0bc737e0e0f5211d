"""The settings a translation client sends: keywords -> one ``session.update`` body.

:func:`session_request` turns ``target_language=``, ``input_transcription=``,
``noise_reduction=`` and a ``session=`` (a
:class:`~realtime_sync.translation.events.TranslationSessionRequest` or its wire dict)
into one request, checked by the translation codec's strict hooks (a wrong type
raises TypeError with the path), or None when nothing is set.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from realtime_sync.reconnect import merge_session
from realtime_sync.translation import events as tev
from realtime_sync.translation.codec import TranslationCodec

__all__ = ["NOISE_REDUCTION_TYPES", "session_request"]

NOISE_REDUCTION_TYPES = ("near_field", "far_field")


def session_request(
    *,
    target_language: str | None = None,
    input_transcription: str | bool | None = None,
    noise_reduction: str | bool | None = None,
    session: tev.TranslationSessionRequest | Mapping[str, Any] | None = None,
) -> tev.TranslationSessionRequest | None:
    """One session request from the client's keywords, or None if nothing is set.

    Raises:
        TypeError: An argument of the wrong type (the path is in the message).
        ValueError: An empty language or model, or an unknown noise reduction.
    """
    codec = TranslationCodec()
    audio: dict[str, Any] = {}
    if target_language is not None:
        if not isinstance(target_language, str):
            raise TypeError("target_language must be a string (a language code)")
        if not target_language.strip():
            raise ValueError("target_language must not be empty")
        audio["output"] = {"language": target_language}
    inp: dict[str, Any] = {}
    if input_transcription is True:
        inp["transcription"] = {"model": tev.DEFAULT_TRANSCRIPTION_MODEL}
    elif input_transcription is False:
        inp["transcription"] = None
    elif isinstance(input_transcription, str):
        if not input_transcription:
            raise ValueError("input_transcription must name a model")
        inp["transcription"] = {"model": input_transcription}
    elif input_transcription is not None:
        raise TypeError("input_transcription must be a model name, a bool or None")
    if noise_reduction is False:
        inp["noise_reduction"] = None
    elif isinstance(noise_reduction, str):
        if noise_reduction not in NOISE_REDUCTION_TYPES:
            raise ValueError(
                f"noise_reduction must be one of {NOISE_REDUCTION_TYPES}, not "
                f"{noise_reduction!r}"
            )
        inp["noise_reduction"] = {"type": noise_reduction}
    elif noise_reduction is not None:
        raise TypeError(
            "noise_reduction must be 'near_field', 'far_field', False or None"
        )
    if inp:
        audio["input"] = inp
    body: dict[str, Any] = {"audio": audio} if audio else {}
    if session is not None:
        if isinstance(session, tev.TranslationSessionRequest):
            given = codec.to_dict(session)
        elif isinstance(session, Mapping):
            given = dict(session)
        else:
            raise TypeError(
                "session must be a TranslationSessionRequest or a dict, not "
                f"{type(session).__name__}"
            )
        body = merge_session(body, given)
    if not body:
        return None
    hook = codec._tables.client[tev.SessionUpdate.TYPE]
    frame = {"type": tev.SessionUpdate.TYPE, "session": json.loads(json.dumps(body))}
    try:
        event = hook(frame, None)
    except Exception as exc:  # the codec's Bad: a wrong type, with the path
        describe = getattr(exc, "describe", None)
        raise TypeError(describe() if callable(describe) else str(exc)) from None
    assert isinstance(event, tev.SessionUpdate)
    return event.session
