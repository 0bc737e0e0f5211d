"""Generated structure/unstructure hooks for every event and model class.

Decoding is on the hot path (10-50 audio deltas a second per session), so instead of
cattrs' generic hooks, which coerce (``str(None)`` gives ``"None"``) and walk the
type on every call, this module writes one Python function per class, once per
process, with the checks of that class inlined, and registers it on one
:class:`cattrs.Converter` (:func:`make_converter`). The Codec reads the hooks back
from the converter once and calls them directly.

What a generated structure hook does, for a class with fields ``a: str`` and
``b: Item | None | Unset``::

    def structure_C(d, _):
        if d.__class__ is not dict: raise _Bad("object", d)
        n = 0                                  # known keys seen
        v0 = d.get("a", UNSET)
        if v0 is not UNSET:
            n += 1
            if v0.__class__ is not str: raise _Bad("str", v0, "a")
        v1 = d.get("b", UNSET)
        if v1 is not UNSET:
            n += 1
            if v1 is not None:
                try: v1 = s_Item(v1, None)
                except _Bad as e: raise e.at("b")
        extra = NO_EXTRA if len(d) == n else {k: v ... not known}
        return C(a=v0, b=v1, extra=extra)

Rules (they are the protocol's, see ``shared/protocol/REALTIME_PROTOCOL.md`` §11):

* absent stays :data:`UNSET`, ``null`` stays ``None`` (when the field is nullable);
* a required field that is absent decodes to :data:`UNSET` (servers omit ``event_id``
  and other "required" fields); a required field that is ``null`` is a type error;
* ``int`` accepts JSON integers only (``True`` is not an integer), ``float`` accepts
  integers and floats and keeps the value as received, ``bool`` only ``true``/``false``;
* unknown keys go to ``extra`` untouched; discriminated unions fall back to
  :class:`UnknownModel`; a wrong JSON type raises ``_Bad``, which the Codec turns into
  a :class:`~realtime_sync.exceptions.ProtocolError` with the path
  (``$.item.content[0]``).
"""

from __future__ import annotations

import sys
import types
import typing
from collections.abc import Callable
from typing import Any, Union

import attrs
import cattrs

from realtime_sync.events import _base, models
from realtime_sync.events._base import (
    NO_EXTRA,
    UNSET,
    Event,
    Model,
    UnknownModel,
    Unset,
)

__all__ = [
    "HINTS",
    "Bad",
    "HookSet",
    "builder",
    "const_default",
    "make_converter",
    "strip_optional",
]

#: Key (not a string, so JSON can never produce it) under which the beta dialect passes
#: spelling hints through a translated dict to the ``wire_hints`` field, and back.
HINTS: Any = object()

StructureHook = Callable[[Any, Any], Any]
UnstructureHook = Callable[[Any], Any]


class Bad(Exception):
    """A value of the wrong JSON type; ``path`` is built up as the error propagates."""

    def __init__(self, expected: str, value: Any, key: str | int | None = None) -> None:
        super().__init__(expected)
        self.expected = expected
        self.value = value
        self.parts: list[str | int] = [] if key is None else [key]

    def at(self, key: str | int) -> Bad:
        """Prepend ``key`` to the path (each enclosing hook does) and return self."""
        self.parts.append(key)
        return self

    @property
    def path(self) -> str:
        """The path as ``$.field[0].sub``."""
        out = "$"
        for part in reversed(self.parts):
            out += f"[{part}]" if isinstance(part, int) else f".{part}"
        return out

    def describe(self) -> str:
        """``expected str @ $.event_id (got int)``."""
        got = json_type_name(self.value)
        return f"expected {self.expected} @ {self.path} (got {got})"


def json_type_name(value: Any) -> str:
    """The JSON name of a decoded value's type (``null``, ``object``, ``array``...)."""
    if value is None:
        return "null"
    if value is True or value is False:
        return "bool"
    return {
        str: "str",
        int: "int",
        float: "float",
        dict: "object",
        list: "array",
    }.get(type(value), type(value).__name__)


class HookSet:
    """Structure and unstructure hooks for every class, generated once.

    Attributes:
        structure: Structure hook per attrs class (and per union alias name).
        unstructure: Unstructure hook per attrs class; ``unstructure_beta`` also passes
            the beta spelling hints of hint-carrying classes through.
    """

    def __init__(self) -> None:
        self.structure: dict[Any, StructureHook] = {}
        self.unstructure: dict[type, UnstructureHook] = {}
        self.unstructure_beta: dict[type, UnstructureHook] = {}
        self._ns: dict[str, Any] = {
            "UNSET": UNSET,
            "NO_EXTRA": NO_EXTRA,
            "_Bad": Bad,
            "HINTS": HINTS,
            "UnknownModel": UnknownModel,
        }
        self._counter = 0
        self._union_names: dict[Any, str] = {}
        # Union dispatch tables: hook names until finish() puts the hooks in.
        self._tables: list[dict[Any, Any]] = []

    # -- type analysis -------------------------------------------------------------

    def _name(self, prefix: str) -> str:
        self._counter += 1
        return f"{prefix}{self._counter}"

    def _converter_for(self, tp: Any) -> tuple[str, str | None]:
        """Return (kind, helper_name) for a field type without None/Unset.

        kind is one of: "str", "int", "float", "bool", "any", "call" (helper_name is a
        structure function in the namespace).
        """
        if tp is str:
            return "str", None
        if tp is int:
            return "int", None
        if tp is float:
            return "float", None
        if tp is bool:
            return "bool", None
        if tp is Any:
            return "any", None
        return "call", self._helper_for(tp)

    def _helper_for(self, tp: Any) -> str:
        key = ("s", tp)
        cached = self._union_names.get(key)
        if cached is not None:
            return cached
        if attrs.has(tp):
            name = f"s_{tp.__name__}"
            self._union_names[key] = name
            return name
        origin = typing.get_origin(tp)
        args = typing.get_args(tp)
        if origin is list:
            name = self._name("s_list")
            self._union_names[key] = name
            self._gen_list(name, args[0])
            return name
        if origin is dict:
            name = self._name("s_dict")
            self._union_names[key] = name
            self._gen_dict(name, args[1])
            return name
        if origin in (Union, types.UnionType):
            name = self._name("s_union")
            self._union_names[key] = name
            self._gen_union(name, args)
            return name
        raise TypeError(f"unsupported field type {tp!r}")  # pragma: no cover

    def _check_lines(
        self,
        kind: str,
        var: str,
        helper: str | None,
        key: str,
        nullable: bool = False,
    ) -> list[str]:
        """Lines (unindented) that check/convert ``var``; ``key`` is a path literal.

        With ``nullable``, ``None`` passes as it is (tested last for scalars: the
        common value is the non-null one).
        """
        null = f" and {var} is not None" if nullable else ""
        if kind == "str":
            return [
                f"if {var}.__class__ is not str{null}: raise _Bad('str', {var}, {key})"
            ]
        if kind == "int":
            return [
                f"if {var}.__class__ is not int{null}: raise _Bad('int', {var}, {key})"
            ]
        if kind == "float":
            return [
                f"if {var}.__class__ is not float and {var}.__class__ is not int{null}: "
                f"raise _Bad('number', {var}, {key})"
            ]
        if kind == "bool":
            return [
                f"if {var} is not True and {var} is not False{null}: "
                f"raise _Bad('bool', {var}, {key})"
            ]
        if kind == "any":
            return []
        lines = [
            "try:",
            f"    {var} = {helper}({var}, None)",
            "except _Bad as e:",
            f"    raise e.at({key}) from None",
        ]
        if nullable:
            return [f"if {var} is not None:"] + ["    " + ln for ln in lines]
        return lines

    def _exec(self, src: str) -> None:
        exec(compile(src, "<realtime_sync generated hooks>", "exec"), self._ns)

    def _gen_list(self, name: str, elem: Any) -> None:
        kind, helper = self._converter_for(elem)
        body = self._check_lines(kind, "x", helper, "i")
        if kind in ("str", "int", "float", "bool", "any"):
            # Scalars are checked and the list kept as it is.
            lines = [
                f"def {name}(v, _):",
                "    if v.__class__ is not list: raise _Bad('array', v)",
            ]
            if body:
                lines.append("    for i, x in enumerate(v):")
                lines += ["        " + ln for ln in body]
            lines.append("    return v")
        else:
            # The index is only needed for an error: len(out) gives it then.
            body = self._check_lines(kind, "x", helper, "len(out)")
            lines = [
                f"def {name}(v, _):",
                "    if v.__class__ is not list: raise _Bad('array', v)",
                "    out = []",
                "    for x in v:",
            ]
            lines += ["        " + ln for ln in body]
            lines += ["        out.append(x)", "    return out"]
        self._exec("\n".join(lines))

    def _gen_dict(self, name: str, value: Any) -> None:
        kind, helper = self._converter_for(value)
        body = self._check_lines(kind, "x", helper, "k")
        lines = [
            f"def {name}(v, _):",
            "    if v.__class__ is not dict: raise _Bad('object', v)",
        ]
        if kind in ("str", "int", "float", "bool", "any"):
            if body:
                lines.append("    for k, x in v.items():")
                lines += ["        " + ln for ln in body]
            lines.append("    return v")
        else:
            lines.append("    out = {}")
            lines.append("    for k, x in v.items():")
            lines += ["        " + ln for ln in body]
            lines += ["        out[k] = x", "    return out"]
        self._exec("\n".join(lines))

    def _gen_union(self, name: str, args: tuple[Any, ...]) -> None:
        classes = [a for a in args if attrs.has(a) and a is not UnknownModel]
        has_unknown = UnknownModel in args
        lines = [f"def {name}(v, _):", "    c = v.__class__"]
        expected = []
        for a in args:
            if a is str:
                lines.append("    if c is str: return v")
                expected.append("str")
            elif a is int:
                lines.append("    if c is int: return v")
                expected.append("int")
            elif a is bool:
                lines.append("    if c is bool: return v")
                expected.append("bool")
            elif typing.get_origin(a) is list:
                helper = self._helper_for(a)
                lines.append(f"    if c is list: return {helper}(v, None)")
                expected.append("array")
        if classes or has_unknown:
            # A union of scalars and UnknownModel (MaxTokens) takes objects too.
            expected.append("object")
            lines.append("    if c is dict:")
            if has_unknown:
                table_name = self._name("table")
                table: dict[Any, Any] = {}
                for cls in classes:
                    rval = const_default(cls, "role")
                    hook = f"s_{cls.__name__}"
                    # UNION_TYPES: the type values a class answers to, when its
                    # ``type`` is optional on the wire (None: no ``type`` key).
                    union_types = getattr(cls, "UNION_TYPES", None)
                    tvals = union_types or (const_default(cls, "type"),)
                    for tval in tvals:
                        key = UNSET if union_types and tval is None else tval
                        if rval is not None:
                            table.setdefault(key, {})[rval] = hook
                        else:
                            table[key] = hook
                self._ns[table_name] = table
                self._tables.append(table)
                default = _union_default(classes)
                untyped = (
                    f" else {table_name}.get(UNSET) if t is UNSET"
                    if UNSET in table
                    else ""
                )
                lines += [
                    "        t = v.get('type', UNSET)",
                    f"        h = {table_name}.get(t) if t.__class__ is str"
                    f"{untyped} else None",
                    "        if h.__class__ is dict:",
                    "            r = v.get('role')",
                    "            h = h.get(r) if r.__class__ is str else None",
                    "        if h is None:",
                ]
                if default is not None:
                    fallback = f"s_{default.__name__}"
                    lines.append(
                        f"            if t is UNSET: return {fallback}(v, None)"
                    )
                lines += [
                    "            if HINTS in v: del v[HINTS]",
                    "            return UnknownModel(type=t if t.__class__ is str "
                    "else UNSET, data=v)",
                    "        return h(v, None)",
                ]
            else:
                if len(classes) != 1:  # pragma: no cover - spec guarantees this
                    raise TypeError(f"ambiguous union {args!r}")
                lines.append(f"        return s_{classes[0].__name__}(v, None)")
        lines.append(f"    raise _Bad({' or '.join(expected)!r}, v)")
        self._exec("\n".join(lines))

    # -- classes -------------------------------------------------------------------

    def add_class(self, cls: type) -> None:
        """Generate the structure and unstructure hooks of one attrs class."""
        module = sys.modules[cls.__module__]
        hints = typing.get_type_hints(cls, vars(models) | vars(_base) | vars(module))
        fields = [f for f in attrs.fields(cls) if f.name not in ("extra", "wire_hints")]
        has_hints = any(f.name == "wire_hints" for f in attrs.fields(cls))
        is_event = issubclass(cls, Event)
        known = {f.name for f in fields}
        if is_event:
            known.add("type")
        self._ns[f"K_{cls.__name__}"] = frozenset(known)
        self._ns[cls.__name__] = cls

        # structure
        sname = f"s_{cls.__name__}"
        name = cls.__name__
        # The object is built as an instance of a private subclass with the plain
        # object __setattr__, whose slot stores the interpreter does at C speed, then
        # turned into ``cls`` (same layout, no slot added): the same object as the
        # attrs __init__ gives (these classes have no validators or converters), at a
        # fraction of the cost, which matters for audio deltas. Every field is
        # assigned, UNSET when absent, so defaults never apply.
        self._ns[f"B_{name}"] = builder(cls)
        lines = [
            f"def {sname}(d, _):",
            "    if d.__class__ is not dict: raise _Bad('object', d)",
            # B_name() is object's __new__ and __init__ called by the type itself,
            # cheaper than object.__new__(B_name) (no argument tuple to slice).
            f"    o = B_{name}()",
            # m counts known keys that are absent: the dict has unknown keys exactly
            # when len(d) != known - m. Counting the (rare) absent keys keeps the
            # common path free of counting.
            "    m = 0",
        ]
        if has_hints:
            lines.append("    h = d.pop(HINTS, None) if len(d) else None")
        for f in fields:
            tp, nullable = strip_optional(hints[f.name])
            kind, helper = self._converter_for(tp)
            key = repr(f.name)
            check = self._check_lines(kind, "v", helper, key, nullable)
            if _may_be_absent(hints[f.name]) and f.name != "event_id":
                # Optional fields are often absent: test, then read.
                lines += [f"    if {key} in d:", f"        v = d[{key}]"]
                lines += ["        " + ln for ln in check]
                lines += [
                    f"        o.{f.name} = v",
                    "    else:",
                    f"        o.{f.name} = UNSET",
                    "        m += 1",
                ]
            else:
                # Required fields (and event_id) are almost always there: read at
                # once (a try costs nothing in CPython 3.11+ until it raises).
                lines += [
                    "    try:",
                    f"        v = d[{key}]",
                    "    except KeyError:",
                    f"        o.{f.name} = UNSET",
                    "        m += 1",
                    "    else:",
                ]
                lines += ["        " + ln for ln in check]
                lines.append(f"        o.{f.name} = v")
        lines.append(
            f"    o.extra = NO_EXTRA if len(d) == {len(known)} - m else "
            f"{{k: x for k, x in d.items() if k not in K_{name}}}"
        )
        if has_hints:
            lines.append("    o.wire_hints = h")
        lines += [f"    o.__class__ = {name}", "    return o"]
        self._exec("\n".join(lines))
        self.structure[cls] = self._ns[sname]

        # unstructure (GA and beta variants differ only in passing hints through)
        for variant, table in (("", self.unstructure), ("b", self.unstructure_beta)):
            uname = f"u{variant}_{cls.__name__}"
            lines = [f"def {uname}(o):"]
            if is_event:
                lines.append(f"    d = {{'type': {cls.TYPE!r}}}")  # type: ignore[attr-defined]
            else:
                lines.append("    d = {}")
            for f in fields:
                tp, _nullable = strip_optional(hints[f.name])
                conv = self._unstructure_expr(tp, "v", variant)
                lines.append(f"    v = o.{f.name}")
                if conv == "v":
                    lines.append(f"    if v is not UNSET: d[{f.name!r}] = v")
                else:
                    lines.append(
                        f"    if v is not UNSET: d[{f.name!r}] = "
                        f"None if v is None else {conv}"
                    )
            lines.append("    if o.extra: d.update(o.extra)")
            if has_hints and variant == "b":
                lines.append("    if o.wire_hints is not None: d[HINTS] = o.wire_hints")
            lines.append("    return d")
            self._exec("\n".join(lines))
            table[cls] = self._ns[uname]

    def make_lenient(self, cls: type) -> None:
        """Decode ``cls`` leniently from now on (call after :meth:`add_class`).

        Where a ``cls`` object is expected (a field, a list element, a union
        member), one whose fields have the wrong JSON types decodes to
        :class:`UnknownModel` holding the object as received, instead of failing
        the whole frame. A value that is not a JSON object still fails.
        """
        name = f"s_{cls.__name__}"
        strict = self._ns[name]

        def lenient(d: Any, _: Any) -> Any:
            try:
                return strict(d, None)
            except Bad:
                if d.__class__ is not dict:
                    raise
                t = d.get("type", UNSET)
                return UnknownModel(type=t if t.__class__ is str else UNSET, data=d)

        self._ns[name] = lenient
        self.structure[cls] = lenient
        # Union tables hold hook functions once finished: swap it in there too.
        for table in self._tables:
            for inner in (table, *(v for v in table.values() if isinstance(v, dict))):
                for key, value in inner.items():
                    if value is strict:
                        inner[key] = lenient

    def _unstructure_expr(self, tp: Any, var: str, variant: str) -> str:
        if tp in (str, int, float, bool) or tp is Any:
            return var
        if attrs.has(tp):
            return f"u{variant}_{tp.__name__}({var})"
        origin = typing.get_origin(tp)
        args = typing.get_args(tp)
        if origin is list:
            inner = self._unstructure_expr(args[0], "x", variant)
            return var if inner == "x" else f"[{inner} for x in {var}]"
        if origin is dict:
            inner = self._unstructure_expr(args[1], "x", variant)
            return var if inner == "x" else f"{{k: {inner} for k, x in {var}.items()}}"
        if origin in (Union, types.UnionType):
            base = f"UNION{variant}({var})" if any(attrs.has(a) for a in args) else var
            for a in args:  # a list member of objects (``str | list[Part]``)
                if typing.get_origin(a) is list:
                    inner = self._unstructure_expr(typing.get_args(a)[0], "x", variant)
                    if inner != "x":
                        return (
                            f"([{inner} for x in {var}] "
                            f"if {var}.__class__ is list else {base})"
                        )
            return base
        raise TypeError(f"unsupported field type {tp!r}")  # pragma: no cover

    def finish(self) -> None:
        """Resolve the union tables and add the unstructure dispatchers (at the end)."""
        for table in self._tables:
            for key, value in table.items():
                if isinstance(value, dict):
                    for role, hook_name in value.items():
                        value[role] = self._ns[hook_name]
                else:
                    table[key] = self._ns[value]
        ga = self.unstructure
        beta = self.unstructure_beta

        def union_ga(value: Any) -> Any:
            hook = ga.get(value.__class__)
            return value if hook is None else hook(value)

        def union_beta(value: Any) -> Any:
            hook = beta.get(value.__class__)
            return value if hook is None else hook(value)

        self._ns["UNION"] = union_ga
        self._ns["UNIONb"] = union_beta


def _unstructure_unknown_model(o: UnknownModel) -> dict[str, Any]:
    d = dict(o.data)
    if o.type is not UNSET and "type" not in d:
        d["type"] = o.type
    return d


def strip_optional(tp: Any) -> tuple[Any, bool]:
    """Remove ``None`` and ``Unset`` from a union; return (rest, nullable)."""
    origin = typing.get_origin(tp)
    if origin not in (Union, types.UnionType):
        return tp, False
    args = typing.get_args(tp)
    rest = [a for a in args if a is not type(None) and a != Unset]
    nullable = type(None) in args
    if len(rest) == 1:
        return rest[0], nullable
    return Union[tuple(rest)], nullable  # noqa: UP007 - built at run time


def _may_be_absent(tp: Any) -> bool:
    """Whether a field's annotation allows :data:`UNSET` (an optional field)."""
    origin = typing.get_origin(tp)
    return origin in (Union, types.UnionType) and Unset in typing.get_args(tp)


def builder(cls: type) -> type:
    """A builder of ``cls`` instances, for a hot path that must not pay attrs' ``__init__``.

    Call it with no arguments, assign EVERY field (``extra`` included), then set
    ``__class__`` to ``cls``: the result is the object ``cls(...)`` gives (these
    classes have no validators or converters), in about a third of the time.

    The builder is a private subclass of ``cls`` whose instances take plain slot
    assignment. Same layout as ``cls`` (no slot added), so that ``o.__class__ = cls``
    turns a filled-in builder into a genuine, frozen instance of ``cls``. Both
    ``__setattr__`` and ``__delattr__`` must be object's: CPython fills the one C
    slot behind the two from both, and only the plain one lets the interpreter store
    slots directly.
    """
    namespace = {
        "__slots__": (),
        "__setattr__": object.__setattr__,
        "__delattr__": object.__delattr__,
        # Instances are made by calling the builder with no arguments: object's
        # __init__ (the attrs one wants the fields), with object's __new__ inherited.
        "__init__": object.__init__,
        "__module__": __name__,
        "__qualname__": f"_Build{cls.__name__}",
    }
    return type(f"_Build{cls.__name__}", (cls,), namespace)


def const_default(cls: type, name: str) -> Any:
    for f in attrs.fields(cls):
        if f.name == name and isinstance(f.default, str):
            return f.default
    return None


def _union_default(classes: list[type]) -> type | None:
    for alias, default in models.UNION_DEFAULTS.items():
        if default in classes:
            members = typing.get_args(getattr(models, alias))
            if set(classes) <= set(members):
                return default
    return None


def make_converter(classes: list[type]) -> tuple[cattrs.Converter, HookSet]:
    """Build the process-wide converter with a generated hook for every class.

    Args:
        classes: Every event and model class (attrs classes).

    Returns:
        The converter (hooks registered for structure and unstructure) and the hook set.
    """
    hooks = HookSet()
    for cls in classes:
        hooks.add_class(cls)
    hooks.unstructure[UnknownModel] = _unstructure_unknown_model
    hooks.unstructure_beta[UnknownModel] = _unstructure_unknown_model
    hooks.finish()
    converter = cattrs.Converter()
    for cls, s_hook in hooks.structure.items():
        converter.register_structure_hook(cls, s_hook)
    for cls, u_hook in hooks.unstructure.items():
        converter.register_unstructure_hook(cls, u_hook)
    return converter, hooks


def model_classes() -> list[type[Model]]:
    """Every concrete model class of :mod:`realtime_sync.events.models`."""
    return [
        v
        for v in vars(models).values()
        if isinstance(v, type)
        and attrs.has(v)
        and issubclass(v, Model)
        and v.__module__ == models.__name__
    ]
