"""Dialect adapters: the beta protocol translated to and from the GA shape, on dicts.

The event model is GA-shaped. A beta payload is parsed to a dict, translated here to
its GA equivalent, then structured into the GA classes; on the way out, the GA dict
produced by the unstructure hooks is translated back. The tables follow §7 of
``shared/protocol/REALTIME_PROTOCOL.md``:

* event names: ``response.text.*`` -> ``response.output_text.*``, ``response.audio.*``
  -> ``response.output_audio.*``, ``response.audio_transcript.*`` ->
  ``response.output_audio_transcript.*``, ``conversation.item.created`` ->
  ``conversation.item.added``, ``transcription_session.*`` -> ``session.*`` with a
  transcription session (§7.1, §7.2);
* sessions: flat beta fields <-> nested GA ``audio.input``/``audio.output`` (§7.3);
* responses and ``response.create`` parameters: ``modalities``, ``voice``,
  ``output_audio_format``, ``max_response_output_tokens`` (§3.5, §4.4);
* item content: ``text``/``audio`` <-> ``output_text``/``output_audio`` (§7.4).

Losslessness: a value is translated only when the translation can be undone; anything
else (an unknown format string, a GA-shaped session sent by a beta server) is left
under its own key, where the GA model keeps it in ``extra`` and writes it back
unchanged. Where two beta spellings map to one GA value (``["audio", "text"]`` and
``["text", "audio"]`` both mean GA ``["audio"]``; ``max_output_tokens`` and
``max_response_output_tokens``), the beta spelling travels as a hint in the object's
``wire_hints`` so that re-encoding gives back exactly what was received.

Nothing here does I/O; the functions never mutate their argument's nested objects
(they copy what they change).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from realtime_sync.protocol._hooks import HINTS

__all__ = [
    "BETA_SERVER_TYPES",
    "GA_TO_BETA_SERVER_TYPES",
    "beta_client_in",
    "beta_client_out",
    "beta_server_in",
    "beta_server_out",
    "certain_dialect",
    "detect_dialect",
]

#: Beta server event names and their GA names (the renames of §7.1).
BETA_SERVER_TYPES: dict[str, str] = {
    "response.text.delta": "response.output_text.delta",
    "response.text.done": "response.output_text.done",
    "response.audio.delta": "response.output_audio.delta",
    "response.audio.done": "response.output_audio.done",
    "response.audio_transcript.delta": "response.output_audio_transcript.delta",
    "response.audio_transcript.done": "response.output_audio_transcript.done",
    "conversation.item.created": "conversation.item.added",
    "transcription_session.created": "session.created",
    "transcription_session.updated": "session.updated",
}

#: GA server event names and their beta names (the reverse of the renames).
GA_TO_BETA_SERVER_TYPES: dict[str, str] = {
    ga: beta
    for beta, ga in BETA_SERVER_TYPES.items()
    if not beta.startswith("transcription_session.")
}

_FORMAT_IN: dict[str, dict[str, Any]] = {
    "pcm16": {"type": "audio/pcm", "rate": 24000},
    "g711_ulaw": {"type": "audio/pcmu"},
    "g711_alaw": {"type": "audio/pcma"},
}
_FORMAT_OUT: dict[str, str] = {
    "audio/pcm": "pcm16",
    "audio/pcmu": "g711_ulaw",
    "audio/pcma": "g711_alaw",
}


def _format_in(value: Any) -> Any:
    if value.__class__ is str and value in _FORMAT_IN:
        return dict(_FORMAT_IN[value])
    return _NO


def _format_out(value: Any) -> Any:
    if value.__class__ is dict:
        kind = value.get("type")
        name = _FORMAT_OUT.get(kind) if kind.__class__ is str else None
        plain = name is not None and value.keys() <= {"type", "rate"}
        if plain and (name != "pcm16" or value.get("rate", 24000) == 24000):
            return name
    return value


def _modalities_in(value: Any) -> Any:
    # Beta ["text", "audio"] (audio with its transcript) is GA ["audio"]; ["text"] is
    # ["text"]. GA does not allow both at once (§3.1).
    if value.__class__ is list and all(m.__class__ is str for m in value):
        return ["audio"] if "audio" in value else list(value)
    return _NO


def _modalities_out(value: Any) -> Any:
    if value == ["audio"]:
        return ["text", "audio"]
    return value


def _same(value: Any) -> Any:
    return value


_NO: Any = object()  # "cannot translate": keep the beta key as it is

Converter = Callable[[Any], Any]
# beta key -> (GA path, in-converter, out-converter)
Table = dict[str, tuple[tuple[str, ...], Converter, Converter]]

_REALTIME_SESSION: Table = {
    "modalities": (("output_modalities",), _modalities_in, _modalities_out),
    "voice": (("audio", "output", "voice"), _same, _same),
    "speed": (("audio", "output", "speed"), _same, _same),
    "input_audio_format": (("audio", "input", "format"), _format_in, _format_out),
    "output_audio_format": (("audio", "output", "format"), _format_in, _format_out),
    "input_audio_transcription": (("audio", "input", "transcription"), _same, _same),
    "input_audio_noise_reduction": (
        ("audio", "input", "noise_reduction"),
        _same,
        _same,
    ),
    "turn_detection": (("audio", "input", "turn_detection"), _same, _same),
    "max_response_output_tokens": (("max_output_tokens",), _same, _same),
}
_TRANSCRIPTION_SESSION: Table = {
    k: v
    for k, v in _REALTIME_SESSION.items()
    if k
    in (
        "input_audio_format",
        "input_audio_transcription",
        "input_audio_noise_reduction",
        "turn_detection",
    )
}
_RESPONSE: Table = {
    "modalities": (("output_modalities",), _modalities_in, _modalities_out),
    "voice": (("audio", "output", "voice"), _same, _same),
    "output_audio_format": (("audio", "output", "format"), _format_in, _format_out),
}
_RESPONSE_PARAMS: Table = {
    **_RESPONSE,
    "max_response_output_tokens": (("max_output_tokens",), _same, _same),
}
# GA keys whose presence means the object already has the GA shape.
_GA_MARKERS = ("audio", "output_modalities")


def _flat_in(beta: Any, table: Table, add_type: str | None = None) -> Any:
    """Translate one flat beta object to its GA shape (hints under ``HINTS``)."""
    if beta.__class__ is not dict:
        return beta  # the GA hook reports the type error with its path
    hints: dict[str, Any] = {}
    if any(k in beta for k in _GA_MARKERS):
        # Already GA-shaped (some servers send GA sessions on a beta socket): keep it.
        out = dict(beta)
        hints["ga_shaped"] = True
        if add_type is not None and "type" not in beta:
            # Still a transcription session under transcription_session.*: say so.
            out["type"] = add_type
            hints["added_type"] = True
        out[HINTS] = hints
        return out
    out = {}
    targets = {path[0] for path, _, _ in table.values() if len(path) == 1}
    # Keys that need no translation first, so that a rename never overwrites them.
    for key, value in beta.items():
        if key not in table:
            out[key] = value
            if key in targets:
                hints.setdefault("verbatim", []).append(key)
    if add_type is not None:
        if "type" in beta:
            hints["had_type"] = True
        else:
            out["type"] = add_type
    for key, (path, conv_in, conv_out) in table.items():
        if key not in beta:
            continue
        value = beta[key]
        new = conv_in(value)
        if new is _NO or _has_path(out, path):
            out[key] = value  # untranslatable: stays as the server wrote it
            continue
        if conv_out(new) != value:
            hints.setdefault("spelling", {})[key] = value
        _set_path(out, path, new)
    if hints:
        out[HINTS] = hints
    return out


def _flat_out(ga: Any, table: Table, azure: bool = False) -> Any:
    """Translate one GA object to its flat beta shape (the inverse of ``_flat_in``)."""
    if ga.__class__ is not dict:
        return ga
    hints = ga.get(HINTS) or {}
    if hints.get("ga_shaped"):
        added = hints.get("added_type", False)
        return {
            k: v
            for k, v in ga.items()
            if k is not HINTS and not (added and k == "type")
        }
    verbatim = hints.get("verbatim", ())
    spelling = hints.get("spelling", {})
    out: dict[str, Any] = {}
    moved: set[str] = set()
    nested = {
        k: (dict(v) if v.__class__ is dict else v)
        for k, v in ga.items()
        if k == "audio"
    }
    audio = nested.get("audio")
    if audio.__class__ is dict:
        for side in ("input", "output"):
            if audio.get(side).__class__ is dict:
                audio[side] = dict(audio[side])
    for key, (path, conv_in, conv_out) in table.items():
        if len(path) == 1:
            if path[0] not in ga or path[0] in verbatim:
                continue
            value = ga[path[0]]
            moved.add(path[0])
        else:
            value = _pop_path(nested, path)
            if value is _NO:
                continue
        if key in spelling and conv_in(spelling[key]) == value:
            out[key] = spelling[key]
        else:
            out[key] = conv_out(value)
    for key, value in ga.items():
        if key is HINTS or key in moved or key == "audio":
            continue
        if key == "type" and not hints.get("had_type"):
            continue  # beta objects have no session type
        out[key] = value
    if audio.__class__ is not dict and "audio" in ga:
        out["audio"] = ga["audio"]  # not an object: nothing to flatten, keep it
    if azure and out.get("max_response_output_tokens") == "inf":
        # Azure's preview API rejects "inf" (§1.3): omitting it means the same.
        del out["max_response_output_tokens"]
    return out


def _has_path(d: dict[str, Any], path: tuple[str, ...]) -> bool:
    for key in path:
        if d.__class__ is not dict or key not in d:
            return False
        d = d[key]
    return True


def _set_path(d: dict[str, Any], path: tuple[str, ...], value: Any) -> None:
    for key in path[:-1]:
        d = d.setdefault(key, {})
    d[path[-1]] = value


def _pop_path(d: dict[str, Any], path: tuple[str, ...]) -> Any:
    parents = []
    for key in path[:-1]:
        nxt = d.get(key)
        if nxt.__class__ is not dict:
            return _NO
        parents.append((d, key))
        d = nxt
    if path[-1] not in d:
        return _NO
    value = d.pop(path[-1])
    return value


# -- items ---------------------------------------------------------------------------

_CONTENT_IN = {"text": "output_text", "audio": "output_audio"}
_CONTENT_OUT = {"output_text": "text", "output_audio": "audio"}


def _item(item: Any, names: dict[str, str]) -> Any:
    if item.__class__ is not dict:
        return item
    content = item.get("content")
    if content.__class__ is not list:
        return item
    new_content = None
    for i, part in enumerate(content):
        kind = part.get("type") if part.__class__ is dict else None
        if kind.__class__ is str and kind in names:  # a list or dict is unhashable
            if new_content is None:
                new_content = list(content)
            new_content[i] = {**part, "type": names[part["type"]]}
    if new_content is None:
        return item
    return {**item, "content": new_content}


def _items(items: Any, names: dict[str, str]) -> Any:
    if items.__class__ is not list:
        return items
    return [_item(i, names) for i in items]


def _response_in(resp: Any) -> Any:
    out = _flat_in(resp, _RESPONSE)
    if out.__class__ is dict and "output" in out:
        out["output"] = _items(out["output"], _CONTENT_IN)
    return out


def _response_out(resp: Any) -> Any:
    out = _flat_out(resp, _RESPONSE)
    if out.__class__ is dict and "output" in out:
        out["output"] = _items(out["output"], _CONTENT_OUT)
    return out


def _params_in(params: Any) -> Any:
    out = _flat_in(params, _RESPONSE_PARAMS)
    if out.__class__ is dict and "input" in out:
        out["input"] = _items(out["input"], _CONTENT_IN)
    return out


def _params_out(params: Any, azure: bool) -> Any:
    out = _flat_out(params, _RESPONSE_PARAMS, azure)
    if out.__class__ is dict and "input" in out:
        out["input"] = _items(out["input"], _CONTENT_OUT)
    return out


def _known_session(session: dict[str, Any]) -> bool:
    # Beta sessions have no type; GA types name the two kinds the tables translate.
    return session.get("type", "realtime") in ("realtime", "transcription")


def _session_in(session: Any, transcription: bool) -> Any:
    if session.__class__ is dict and not _known_session(session):
        return session  # a kind of session this version does not know: verbatim
    if transcription:
        return _flat_in(session, _TRANSCRIPTION_SESSION, add_type="transcription")
    return _flat_in(session, _REALTIME_SESSION, add_type="realtime")


def _session_out(session: Any, azure: bool) -> tuple[Any, bool]:
    """Return the beta session and whether it is a transcription session."""
    if session.__class__ is dict and not _known_session(session):
        return session, False  # an UnknownModel session: as it came
    if session.__class__ is dict and session.get("type") == "transcription":
        return _flat_out(session, _TRANSCRIPTION_SESSION, azure), True
    return _flat_out(session, _REALTIME_SESSION, azure), False


# -- events --------------------------------------------------------------------------

_ITEM_EVENTS = frozenset(
    {
        "conversation.item.added",
        "conversation.item.created",
        "conversation.item.done",
        "conversation.item.retrieved",
        "response.output_item.added",
        "response.output_item.done",
        "conversation.item.create",
    }
)


def beta_server_in(wire_type: str, d: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """Translate a beta server event (dict) to its GA type and GA-shaped dict."""
    ga_type = BETA_SERVER_TYPES.get(wire_type, wire_type)
    if ga_type in _ITEM_EVENTS and "item" in d:
        d["item"] = _item(d["item"], _CONTENT_IN)
    elif ga_type in ("session.created", "session.updated") and "session" in d:
        transcription = wire_type.startswith("transcription_session.")
        session = d["session"]
        if transcription and session.__class__ is dict and not _known_session(session):
            return wire_type, d  # untranslatable: TranscriptionSession* keeps the name
        d["session"] = _session_in(session, transcription)
    elif ga_type in ("response.created", "response.done") and "response" in d:
        d["response"] = _response_in(d["response"])
    return ga_type, d


def beta_server_out(d: dict[str, Any], azure: bool = False) -> dict[str, Any]:
    """Translate a GA-shaped server event dict to the beta dialect (in place)."""
    ga_type = d["type"]
    if ga_type in _ITEM_EVENTS and "item" in d:
        d["item"] = _item(d["item"], _CONTENT_OUT)
    elif ga_type in ("session.created", "session.updated") and "session" in d:
        d["session"], transcription = _session_out(d["session"], azure)
        if transcription:
            d["type"] = "transcription_session." + ga_type.split(".", 1)[1]
        return d
    elif ga_type in ("transcription_session.created", "transcription_session.updated"):
        if "session" in d:
            d["session"], _ = _session_out(d["session"], azure)
        return d
    elif ga_type in ("response.created", "response.done") and "response" in d:
        d["response"] = _response_out(d["response"])
    d["type"] = GA_TO_BETA_SERVER_TYPES.get(ga_type, ga_type)
    return d


def beta_client_in(wire_type: str, d: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """Translate a beta client event (dict) to its GA type and GA-shaped dict."""
    if wire_type == "transcription_session.update":
        if "session" in d:
            session = d["session"]
            if session.__class__ is dict and not _known_session(session):
                return wire_type, d  # untranslatable: TranscriptionSessionUpdate
            d["session"] = _session_in(session, transcription=True)
        return "session.update", d
    if wire_type == "session.update" and "session" in d:
        d["session"] = _session_in(d["session"], transcription=False)
    elif wire_type == "conversation.item.create" and "item" in d:
        d["item"] = _item(d["item"], _CONTENT_IN)
    elif wire_type == "response.create" and "response" in d:
        d["response"] = _params_in(d["response"])
    return wire_type, d


def beta_client_out(d: dict[str, Any], azure: bool = False) -> dict[str, Any]:
    """Translate a GA-shaped client event dict to the beta dialect (in place)."""
    ga_type = d["type"]
    if ga_type in ("session.update", "transcription_session.update") and "session" in d:
        d["session"], transcription = _session_out(d["session"], azure)
        if transcription:
            d["type"] = "transcription_session.update"
    elif ga_type == "conversation.item.create" and "item" in d:
        _refuse_images([d["item"]])
        d["item"] = _item(d["item"], _CONTENT_OUT)
    elif ga_type == "response.create" and "response" in d:
        response = d["response"]
        if response.__class__ is dict and response.get("input").__class__ is list:
            _refuse_images(response["input"])
        d["response"] = _params_out(response, azure)
    return d


def _refuse_images(items: list[Any]) -> None:
    # Beta has no image content (§7.4): say so before anything is sent, rather than
    # let the server answer with an error later.
    for item in items:
        content = item.get("content") if item.__class__ is dict else None
        if content.__class__ is list and any(
            part.__class__ is dict and part.get("type") == "input_image"
            for part in content
        ):
            raise ValueError("input_image content cannot be sent in the beta dialect")


def detect_dialect(frame: str | bytes) -> str:
    """Tell GA from beta by a server's first frame (§1.8); ``"ga"`` when unsure.

    Args:
        frame: The text of the first server event (normally ``session.created``).

    Returns:
        ``"ga"`` or ``"beta"``.
    """
    return certain_dialect(frame) or "ga"


def certain_dialect(frame: str | bytes) -> str | None:
    """The dialect a server's first frame proves (§1.8), or ``None`` when it does not.

    Args:
        frame: The text of the first server event (normally ``session.created``).

    Returns:
        ``"ga"``, ``"beta"``, or ``None`` when the frame could be either.
    """
    from realtime_sync.protocol import _json

    try:
        d = _json.loads(frame)
    except ValueError:
        return None
    if d.__class__ is not dict:
        return None
    wire_type = d.get("type")
    if wire_type.__class__ is not str:
        return None
    if wire_type.startswith("transcription_session.") or wire_type in BETA_SERVER_TYPES:
        return "beta"
    if wire_type.startswith("response.output_"):
        return "ga"
    session = d.get("session")
    if session.__class__ is dict:
        if session.get("type") in ("realtime", "transcription"):
            return "ga"
        if "audio" in session or "output_modalities" in session:
            return "ga"
        flat = ("modalities", "voice", "input_audio_format", "turn_detection")
        if any(key in session for key in flat):
            return "beta"
    return None
