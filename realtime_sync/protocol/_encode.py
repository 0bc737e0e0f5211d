"""Generated checked encoders: a client event to its GA wire dict, checked in one pass.

``Codec.encode_client`` must be as strict as decoding (a wrong type raises at the
call site, with the path), and it is on the send path of every 20 ms audio frame.
Checking by unstructuring the event, then structuring the dict again, builds every
object twice. Instead, this module writes one function per class, once per process,
that reads the fields, checks each value with the rules of the structure hooks and
builds the wire dict as it goes::

    def e_InputAudioBufferAppend(o):
        d = {'type': 'input_audio_buffer.append'}
        v = o.event_id
        if v is not UNSET:
            if v.__class__ is not str and v is not None: return None
            d['event_id'] = v
        v = o.audio
        if v is not UNSET:
            if v.__class__ is not str: return None
            d['audio'] = v
        x = o.extra
        if x:
            if not K_InputAudioBufferAppend.isdisjoint(x): return None
            d.update(x)
        return d

An encoder returns the same dict as the unstructure hook, or ``None`` when it cannot
vouch for the event: a value of another type than the one the field declares, a plain
dict where a model belongs, an :class:`UnknownModel`, a model whose ``type`` or
``role`` would make the structure hook pick another class, ``extra`` keys that
overwrite a field. The Codec then takes its slow path (unstructure, structure again,
dump), which accepts or rejects the event exactly as before and names the path; so
the fast path accepts only what the slow path accepts, and produces the same JSON.
"""

from __future__ import annotations

import types
import typing
from collections.abc import Callable
from typing import Any, Union

import attrs

from realtime_sync.events import _base, models
from realtime_sync.events._base import UNSET, Event, UnknownModel
from realtime_sync.protocol._hooks import const_default, strip_optional

__all__ = ["make_encoders"]

Encoder = Callable[[Any], "dict[str, Any] | None"]

_SCALARS = {str: "str", int: "int", float: "float", bool: "bool"}


class _Generator:
    """Writes the encoder of every class into one namespace."""

    def __init__(self) -> None:
        self.ns: dict[str, Any] = {"UNSET": UNSET}
        self.encoders: dict[type, Encoder] = {}
        self._count = 0

    def _exec(self, src: str) -> None:
        exec(compile(src, "<realtime_sync generated encoders>", "exec"), self.ns)

    def add_class(self, cls: type) -> None:
        """Write ``e_<Class>``; classes are named before any encoder runs."""
        hints = typing.get_type_hints(cls, vars(models) | vars(_base))
        fields = [f for f in attrs.fields(cls) if f.name not in ("extra", "wire_hints")]
        known = {f.name for f in fields}
        name = cls.__name__
        self.ns[name] = cls
        lines = [f"def e_{name}(o):"]
        if issubclass(cls, Event):
            known.add("type")
            lines.append(f"    d = {{'type': {cls.TYPE!r}}}")
        else:
            lines.append("    d = {}")
        self.ns[f"K_{name}"] = frozenset(known)
        for f in fields:
            tp, nullable = strip_optional(hints[f.name])
            lines.append(f"    v = o.{f.name}")
            lines.append("    if v is not UNSET:")
            lines += ["        " + ln for ln in self._check(tp, nullable, "v")]
            lines.append(f"        d[{f.name!r}] = v")
        lines += [
            "    x = o.extra",
            "    if x:",
            f"        if not K_{name}.isdisjoint(x): return None",
            "        d.update(x)",
            "    return d",
        ]
        self._exec("\n".join(lines))
        self.encoders[cls] = self.ns[f"e_{name}"]

    def _check(self, tp: Any, nullable: bool, var: str) -> list[str]:
        """Lines that check ``var`` and replace it by its wire value (or return None)."""
        null = f" and {var} is not None" if nullable else ""
        kind = _SCALARS.get(tp)
        if kind == "float":
            return [
                f"if {var}.__class__ is not float and {var}.__class__ is not int{null}: "
                "return None"
            ]
        if kind == "bool":
            return [f"if {var} is not True and {var} is not False{null}: return None"]
        if kind is not None:
            return [f"if {var}.__class__ is not {kind}{null}: return None"]
        if tp is Any:
            return []
        if attrs.has(tp):
            # A direct model field: the structure hook of ``tp`` takes any dict, so
            # an instance of exactly ``tp`` is all the encoder vouches for.
            lines = [
                f"if {var}.__class__ is not {tp.__name__}: return None",
                f"{var} = e_{tp.__name__}({var})",
                f"if {var} is None: return None",
            ]
            if nullable:
                return [f"if {var} is not None:"] + ["    " + ln for ln in lines]
            return lines
        helper = self._helper(tp)
        lines = [f"{var} = {helper}({var})", f"if {var} is None: return None"]
        if nullable:
            return [f"if {var} is not None:"] + ["    " + ln for ln in lines]
        return lines

    def _helper(self, tp: Any) -> str:
        """The name of a function: value -> wire value, or None (cannot vouch)."""
        self._count += 1
        name = f"h{self._count}"
        origin = typing.get_origin(tp)
        args = typing.get_args(tp)
        if origin is list:
            lines = [f"def {name}(v):", "    if v.__class__ is not list: return None"]
            kind = _SCALARS.get(args[0])
            if kind is not None or args[0] is Any:
                check = self._check(args[0], False, "x")
                if check:
                    lines.append("    for x in v:")
                    lines += ["        " + ln for ln in check]
                lines.append("    return v")
            else:
                lines += ["    out = []", "    for x in v:"]
                lines += ["        " + ln for ln in self._check(args[0], False, "x")]
                lines += ["        out.append(x)", "    return out"]
        elif origin is dict:
            lines = [f"def {name}(v):", "    if v.__class__ is not dict: return None"]
            kind = _SCALARS.get(args[1])
            if kind is not None or args[1] is Any:
                check = self._check(args[1], False, "x")
                if check:
                    lines.append("    for x in v.values():")
                    lines += ["        " + ln for ln in check]
                lines.append("    return v")
            else:
                lines += ["    out = {}", "    for k, x in v.items():"]
                lines += ["        " + ln for ln in self._check(args[1], False, "x")]
                lines += ["        out[k] = x", "    return out"]
        elif origin in (Union, types.UnionType):
            lines = self._union(name, args)
        else:  # pragma: no cover - the model has no other field types
            raise TypeError(f"unsupported field type {tp!r}")
        self._exec("\n".join(lines))
        return name

    def _union(self, name: str, args: tuple[Any, ...]) -> list[str]:
        lines = [f"def {name}(v):", "    c = v.__class__"]
        dispatched = UnknownModel in args  # the structure hook picks by type/role
        for a in args:
            if a is str or a is int:
                lines.append(f"    if c is {a.__name__}: return v")
            elif typing.get_origin(a) is list:
                lines.append(f"    if c is list: return {self._helper(a)}(v)")
            elif attrs.has(a) and a is not UnknownModel:
                cond = f"c is {a.__name__}"
                if dispatched:
                    tval = const_default(a, "type")
                    if tval is None:  # pragma: no cover - every member has one
                        continue
                    cond += f" and v.type == {tval!r}"
                    rval = const_default(a, "role")
                    if rval is not None:
                        cond += f" and v.role == {rval!r}"
                lines.append(f"    if {cond}: return e_{a.__name__}(v)")
        lines.append("    return None")
        return lines


def make_encoders(classes: list[type]) -> dict[type, Encoder]:
    """The checked encoder of every class (models and client events alike).

    Args:
        classes: Every model and client event class.

    Returns:
        Encoder per class: the GA wire dict of an instance, or None when the Codec's
        checked slow path must decide.
    """
    gen = _Generator()
    for cls in classes:
        gen.ns[cls.__name__] = cls
    for cls in classes:
        gen.add_class(cls)
    return gen.encoders
