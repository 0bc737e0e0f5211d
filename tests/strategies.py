"""Hypothesis strategies for the event model, built from the classes' type hints.

``events()`` draws an instance of any server or client event class; ``event_of(cls)``
one of a given class. The classes' annotations are resolved in a :class:`Namespace`:
:data:`REALTIME` (the default), :data:`LIVE` or :data:`TRANSLATION`, given as
``event_of(cls, LIVE)``. Every field follows its annotation: ``X | None | Unset`` fields
draw :data:`UNSET`, ``None`` or an ``X``; union aliases pick a member (an
:class:`UnknownModel` member gets an object of a kind the union does not know); lists
and dicts are small; ``Any`` fields hold JSON values; ``extra`` holds a small dict of
JSON values under keys that are neither field names nor beta spellings.
Discriminators (``type``, and ``role`` of messages) keep their class's constant so
that a decoder can tell the class again (a union's default class, which decodes from
an object without ``type``, may also leave its type UNSET; a class with
``UNION_TYPES`` draws one of those, None meaning UNSET); ``wire_hints`` stays
``None``, as in objects users build.

Also JSON strategies for fuzzing: ``json_values()``, ``json_objects()``, and
``protocol_json()``/``frames()``, which build documents from the protocol's own words.
"""

from __future__ import annotations

import functools
import types
import typing
from typing import Any, Union

import attrs
from hypothesis import strategies as st

from realtime_sync.events import CLIENT_EVENTS, SERVER_EVENTS, _base, models
from realtime_sync.events._base import UNSET, Event, Model, UnknownModel, Unset

__all__ = [
    "ALL_EVENT_CLASSES",
    "ALL_EVENT_TYPES",
    "BETA_SPELLINGS",
    "LIVE",
    "REALTIME",
    "TRANSLATION",
    "Namespace",
    "event_of",
    "events",
    "frames",
    "json_objects",
    "json_scalars",
    "json_values",
    "model_of",
    "protocol_json",
    "text",
]

#: Every event class of the model, server then client.
ALL_EVENT_CLASSES: list[type[Event]] = [
    *SERVER_EVENTS.values(),
    *CLIENT_EVENTS.values(),
]

#: Every wire type a decoder knows: GA types and the beta spellings.
ALL_EVENT_TYPES: list[str] = sorted(
    {*SERVER_EVENTS, *CLIENT_EVENTS}
    | {
        "response.text.delta",
        "response.text.done",
        "response.audio.delta",
        "response.audio.done",
        "response.audio_transcript.delta",
        "response.audio_transcript.done",
        "transcription_session.update",
    }
)

#: Keys the beta dialect translates (flat beta names, and GA names whose presence
#: marks an object as GA-shaped). An unknown field of one of these names cannot cross
#: the beta edge unchanged: on the beta wire it *is* that setting.
BETA_SPELLINGS = frozenset(
    {
        "modalities",
        "voice",
        "speed",
        "input_audio_format",
        "output_audio_format",
        "input_audio_transcription",
        "input_audio_noise_reduction",
        "turn_detection",
        "max_response_output_tokens",
        "audio",
        "output_modalities",
        "max_output_tokens",
    }
)


@attrs.define(eq=False)
class Namespace:
    """Where the annotations of an event model's classes are resolved.

    Attributes:
        name: For reprs and test ids.
        hints: The names the annotations use (``from __future__ import
            annotations`` leaves them strings), union aliases included.
        union_defaults: The classes a union decodes an object without ``type``
            to (their ``type`` may be left UNSET).
    """

    name: str
    hints: dict[str, Any]
    union_defaults: frozenset[type] = frozenset()


def _live_namespace() -> Namespace:
    from realtime_sync.live import events as live_events
    from realtime_sync.live.events import models as live_models
    from realtime_sync.live.events import responses as live_responses

    hints = vars(_base) | vars(live_models) | vars(live_responses) | vars(live_events)
    return Namespace("live", hints)


def _translation_namespace() -> Namespace:
    from realtime_sync.translation import events as translation_events

    hints = vars(_base) | vars(models) | vars(translation_events)
    return Namespace("translation", hints)


#: The Realtime API's event model (:mod:`realtime_sync.events`).
REALTIME = Namespace(
    "realtime",
    vars(models) | vars(_base),
    frozenset(models.UNION_DEFAULTS.values()),
)
#: The Live API's (:mod:`realtime_sync.live.events`).
LIVE = _live_namespace()
#: Realtime Translation's (:mod:`realtime_sync.translation.events`).
TRANSLATION = _translation_namespace()

# -- JSON ----------------------------------------------------------------------------

#: Text both JSON backends can encode (no lone surrogates), kept short.
text = st.text(st.characters(codec="utf-8"), max_size=8)

#: Integers both backends keep as integers (orjson turns larger ones into floats).
_ints = st.integers(min_value=-(2**63), max_value=2**63 - 1)
_floats = st.floats(allow_nan=False, allow_infinity=False)


def json_scalars() -> st.SearchStrategy[Any]:
    """JSON scalars: null, booleans, integers, finite floats, strings."""
    return st.none() | st.booleans() | _ints | _floats | text


def _containers(inner: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    # A named function: Hypothesis cannot see that a multi-line lambda uses `inner`.
    return st.lists(inner, max_size=3) | st.dictionaries(text, inner, max_size=3)


def json_values(max_leaves: int = 8) -> st.SearchStrategy[Any]:
    """Any JSON value (nested arrays and objects, small)."""
    return st.recursive(json_scalars(), _containers, max_leaves=max_leaves)


def json_objects(max_leaves: int = 8) -> st.SearchStrategy[dict[str, Any]]:
    """A JSON object of JSON values."""
    return st.dictionaries(text, json_values(max_leaves), max_size=4)


@functools.cache
def _protocol_words() -> tuple[list[str], list[str]]:
    """Field names and discriminator values of the model, plus beta spellings."""
    names: set[str] = set()
    values: set[str] = set()
    classes = [*ALL_EVENT_CLASSES, *_model_classes()]
    for cls in classes:
        for f in attrs.fields(cls):
            names.add(f.name)
            if f.name in ("type", "role") and isinstance(f.default, str):
                values.add(f.default)
    names -= {"extra", "wire_hints"}
    names |= BETA_SPELLINGS | {"temperature"}
    values |= {"text", "audio", "pcm16", "g711_ulaw", "g711_alaw", "inf", "auto"}
    values |= set(ALL_EVENT_TYPES)
    return sorted(names), sorted(values)


def _model_classes() -> list[type]:
    return [
        v
        for v in vars(models).values()
        if isinstance(v, type) and attrs.has(v) and v.__module__ == models.__name__
    ]


def protocol_json(max_leaves: int = 12) -> st.SearchStrategy[Any]:
    """JSON values made of the protocol's words, to reach deep into the decoders.

    Keys are often field names, strings often type names and enumeration values.
    """
    names, values = _protocol_words()
    keys = st.sampled_from(names) | text
    strings = st.sampled_from(values) | text
    scalars = st.none() | st.booleans() | _ints | _floats | strings

    def extend(inner: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
        return st.lists(inner, max_size=3) | st.dictionaries(keys, inner, max_size=4)

    return st.recursive(scalars, extend, max_leaves=max_leaves)


def frames(max_leaves: int = 8) -> st.SearchStrategy[Any]:
    """Decoder input as JSON values: mostly objects with a known or beta ``type``."""
    names, _ = _protocol_words()
    typed = st.builds(
        lambda body, kind: {**body, "type": kind},
        st.dictionaries(st.sampled_from(names) | text, protocol_json(5), max_size=4),
        st.sampled_from(ALL_EVENT_TYPES) | text,
    )
    return typed | protocol_json(max_leaves)


# -- the event model -----------------------------------------------------------------


def _strip(tp: Any) -> tuple[list[Any], bool, bool]:
    """Split a union into (other members, has None, has Unset)."""
    if typing.get_origin(tp) in (Union, types.UnionType):
        args = list(typing.get_args(tp))
    else:
        args = [tp]
    nullable = type(None) in args
    unsettable = any(a == Unset for a in args)
    rest = [a for a in args if a is not type(None) and a != Unset]
    return rest, nullable, unsettable


def _discriminators(cls: type) -> dict[str, str]:
    """The constant ``type``/``role`` defaults of a union member class."""
    out = {}
    for f in attrs.fields(cls):
        if f.name in ("type", "role") and isinstance(f.default, str):
            out[f.name] = f.default
    return out


def _unknown_model(
    members: list[Any], ns: Namespace
) -> st.SearchStrategy[UnknownModel]:
    """An UnknownModel as a decoder gives it for a union of ``members``.

    Its ``data`` is the whole object, ``type`` included; the type is one no member
    claims. Unions with a default class (an object without ``type`` decodes to it)
    always get a type.
    """
    classes = [m for m in members if attrs.has(m) and m is not UnknownModel]
    known = {_discriminators(c).get("type") for c in classes}
    known |= {t for c in classes for t in getattr(c, "UNION_TYPES", ())}
    # An object without type decodes to the union's default class, or to a class
    # whose UNION_TYPES has None (type optional on the wire).
    has_default = any(
        c in ns.union_defaults or None in getattr(c, "UNION_TYPES", ()) for c in classes
    )
    kinds = text.map(lambda s: "unknown_" + s).filter(lambda s: s not in known)

    @st.composite
    def build(draw: st.DrawFn) -> UnknownModel:
        data = draw(_small_objects)
        if has_default or draw(st.booleans()):
            kind = draw(kinds)
            return UnknownModel(type=kind, data={**data, "type": kind})
        return UnknownModel(data=data)

    return build()


# Built once and shared: building strategies inside draws is what makes them slow.
_small_values = json_values(4)
_small_objects = st.dictionaries(
    text.filter(lambda k: k != "type"), _small_values, max_size=3
)


def _for_type(tp: Any, ns: Namespace) -> st.SearchStrategy[Any]:
    """A strategy for values of the annotation ``tp``."""
    rest, nullable, unsettable = _strip(tp)
    options: list[st.SearchStrategy[Any]] = []
    if unsettable:
        options.append(st.just(UNSET))
    if nullable:
        options.append(st.none())
    for member in rest:
        if member is UnknownModel:
            options.append(_unknown_model(rest, ns))
        else:
            options.append(_for_member(member, ns))
    return st.one_of(options)


def _for_member(tp: Any, ns: Namespace) -> st.SearchStrategy[Any]:
    if tp is str:
        return text
    if tp is bool:
        return st.booleans()
    if tp is int:
        return _ints
    if tp is float:
        return _floats | _ints
    if tp is Any:
        return _small_values
    if attrs.has(tp):
        model: type[Model] = tp  # type: ignore[assignment]
        return st.deferred(lambda: model_of(model, ns))
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if origin is list:
        return st.lists(_for_type(args[0], ns), max_size=2)
    if origin is dict:
        return st.dictionaries(text, _for_type(args[1], ns), max_size=2)
    if origin in (Union, types.UnionType):
        return _for_type(tp, ns)
    raise TypeError(f"no strategy for {tp!r}")


def _not_in(reserved: frozenset[str], key: str) -> bool:
    return key not in reserved


_models: dict[tuple[type, str], st.SearchStrategy[Any]] = {}


def model_of(cls: type[Model], ns: Namespace = REALTIME) -> st.SearchStrategy[Any]:
    """Instances of one attrs class of an event model (built once per class)."""
    key = (cls, ns.name)
    if key not in _models:
        _models[key] = _build_model(cls, ns)
    return _models[key]


def _build_model(cls: type[Model], ns: Namespace) -> st.SearchStrategy[Any]:
    hints = typing.get_type_hints(cls, ns.hints)
    fields = attrs.fields(cls)
    names = {f.name for f in fields} | {"type"}
    constants = _discriminators(cls)
    kwargs: dict[str, st.SearchStrategy[Any]] = {}
    for f in fields:
        if f.name == "wire_hints":
            continue  # hint-carrying classes: as built by users, no hints
        if f.name == "extra":
            # Not field names (they would be fields), not beta spellings (ambiguous
            # on the beta wire, see BETA_SPELLINGS).
            reserved = frozenset(names | BETA_SPELLINGS)
            keys = text.filter(functools.partial(_not_in, reserved))
            kwargs["extra"] = st.dictionaries(keys, _small_values, max_size=2)
        elif f.name == "type" and getattr(cls, "UNION_TYPES", None):
            # The type values the class answers to (None: no type on the wire).
            union_types = cls.UNION_TYPES  # type: ignore[attr-defined]
            kwargs["type"] = st.sampled_from(
                [UNSET if t is None else t for t in union_types]
            )
        elif f.name in constants:
            value = constants[f.name]
            if f.name == "type" and cls in ns.union_defaults:
                # The union's default class also decodes from an object without type.
                kwargs[f.name] = st.sampled_from([value, UNSET])
            else:
                kwargs[f.name] = st.just(value)
        else:
            kwargs[f.name] = _for_type(hints[f.name], ns)
    return st.builds(cls, **kwargs)


def event_of(cls: type[Event], ns: Namespace = REALTIME) -> st.SearchStrategy[Any]:
    """Instances of one event class (of the model ``ns`` names)."""
    return model_of(cls, ns)


def events(direction: str | None = None) -> st.SearchStrategy[Any]:
    """Instances of any event class (``direction``: "server", "client" or both)."""
    if direction == "server":
        classes: list[type[Event]] = list(SERVER_EVENTS.values())
    elif direction == "client":
        classes = list(CLIENT_EVENTS.values())
    else:
        classes = ALL_EVENT_CLASSES
    return st.sampled_from(classes).flatmap(event_of)


# -- mutating recorded payloads (the fuzz tests and benchmarks/fuzz.py) ------------------


def json_paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every path in a JSON document, the document itself (``()``) first."""
    out = [prefix]
    if isinstance(value, dict):
        for key, item in value.items():
            out += json_paths(item, (*prefix, key))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            out += json_paths(item, (*prefix, i))
    return out


def retype(value: Any) -> Any:
    """A value of another JSON type."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, list):
        return {"0": value[0]} if value else {}
    if isinstance(value, dict):
        return list(value.values())
    return 0
