"""Function tools: JSON schemas from type hints, a registry, and a thread-pool executor.

No sockets here: :class:`RealtimeClient` feeds :class:`ToolExecutor` the
``response.function_call_arguments.done`` calls and sends each answer back as a
``function_call_output`` item (``shared/protocol/REALTIME_PROTOCOL.md`` §9.4).

Schema mapping used by :func:`tool_from_function` (one property per parameter)::

    str, int, float, bool   {"type": "string" | "integer" | "number" | "boolean"}
    Enum subclass           {"type": <JSON type of the values>, "enum": [values]}
    Literal["a", "b"]       {"type": "string", "enum": ["a", "b"]}
    list[T]                 {"type": "array", "items": T}
    dict[str, T]            {"type": "object", "additionalProperties": T}
    T | None, Optional[T]   {"anyOf": [T, {"type": "null"}]}
    T | U                   {"anyOf": [T, U]}
    attrs class, TypedDict  {"type": "object", "properties": ..., "required": [...],
                             "additionalProperties": false}

Choices:

* A parameter is required exactly when it has no default; the annotation does not
  change that. ``None`` is allowed exactly when the annotation includes it: ``x: int |
  None`` (with or without a default) accepts ``null``, ``x: int = 0`` does not.
* Descriptions come from the Google-style docstring: the first paragraph is the tool
  description, ``Args:`` entries describe parameters, and an attrs class's or
  TypedDict's ``Attributes:`` entries describe its fields. Defaults are not put in the
  schema. Every object (top level, attrs classes, TypedDicts) has
  ``additionalProperties: false`` and unknown keys are rejected.
* Arguments are checked strictly, without coercion: ``int`` takes JSON integers only
  (``3.0`` and ``true`` are refused), ``float`` takes integers and floats, Enums are
  looked up by value, attrs classes are built from objects (field validators run),
  TypedDicts stay dicts. An empty argument string counts as ``{}``.
* Arguments are checked by this module rather than by a cattrs converter: cattrs'
  default hooks coerce (``int("7")``), and a hand-written walk gives the model errors
  with a path (``expected integer at $.items[2].count, got number 3.0``).
* The output sent to the model is always JSON: the return value through
  :func:`json.dumps` (attrs instances via :func:`attrs.asdict`, Enums by value, other
  objects by ``str()``; ``None`` gives ``"null"``), or an error object
  ``{"error": "...", "type": "..."}`` (see :class:`ToolExecutor`).
"""

from __future__ import annotations

import concurrent.futures
import copy
import dataclasses
import enum
import heapq
import inspect
import itertools
import json
import logging
import math
import re
import threading
import time
import types
import typing
from collections.abc import Callable, Iterable, Iterator
from typing import Any, Literal, Union

import attrs

from realtime_sync.events import UNSET, FunctionTool

__all__ = ["Tool", "ToolExecutor", "ToolRegistry", "tool_from_function"]

logger = logging.getLogger(__name__)

#: OpenAI function names: letters, digits, ``_`` and ``-``, at most 64 characters.
_NAME_RE = re.compile(r"^[A-Za-z0-9_-]{1,64}$")

_Converter = Callable[[Any, str], Any]
_Binder = Callable[[dict[str, Any]], dict[str, Any]]

_JSON_TYPES: dict[type, str] = {
    str: "string",
    int: "integer",
    float: "number",
    bool: "boolean",
}


class _InvalidArguments(ValueError):
    """Arguments that do not match the tool's signature; the message is for the model."""


# -- docstrings -------------------------------------------------------------------------

_ENTRY_RE = re.compile(r"^\*{0,2}(\w+)\s*(?:\([^)]*\))?\s*:\s*(.*)$")


def _summary(doc: str | None) -> str:
    """The first paragraph of a docstring, on one line ("" without a docstring)."""
    if not doc:
        return ""
    lines = inspect.cleandoc(doc).splitlines()
    paragraph: list[str] = []
    for line in lines:
        if not line.strip():
            break
        paragraph.append(line.strip())
    return " ".join(paragraph)


def _section(doc: str | None, names: tuple[str, ...]) -> dict[str, str]:
    """Entries of a Google-style section (``Args:``) as {name: one-line description}."""
    if not doc:
        return {}
    lines = inspect.cleandoc(doc).splitlines()
    out: dict[str, str] = {}
    inside = False
    section_indent = 0
    entry_indent: int | None = None
    current: str | None = None
    for line in lines:
        stripped = line.strip()
        indent = len(line) - len(line.lstrip())
        if not inside:
            if stripped.rstrip(":") in names and stripped.endswith(":"):
                inside, section_indent, entry_indent, current = True, indent, None, None
            continue
        if not stripped:
            continue
        if indent <= section_indent:
            # A dedent ends the section; another section may still follow.
            inside = stripped.rstrip(":") in names and stripped.endswith(":")
            entry_indent, current = None, None
            continue
        if entry_indent is None:
            entry_indent = indent
        match = _ENTRY_RE.match(stripped) if indent == entry_indent else None
        if match:
            current = match.group(1)
            out[current] = match.group(2).strip()
        elif current is not None:
            out[current] = f"{out[current]} {stripped}".strip()
    return out


# -- schema and converters --------------------------------------------------------------


def _describe(value: Any) -> str:
    """``number 3.0``: a JSON value as the model would name it."""
    if value is None:
        return "null"
    kind = {
        bool: "boolean",
        int: "integer",
        float: "number",
        str: "string",
        list: "array",
        dict: "object",
    }.get(type(value), type(value).__name__)
    if isinstance(value, (list, dict)):
        return kind
    text = json.dumps(value)
    if len(text) > 40:
        text = text[:37] + "..."
    return f"{kind} {text}"


def _bad(expected: str, value: Any, path: str) -> _InvalidArguments:
    return _InvalidArguments(f"expected {expected} at {path}, got {_describe(value)}")


def _key_path(path: str, key: str) -> str:
    return f"{path}.{key}" if key.isidentifier() else f"{path}[{json.dumps(key)}]"


def _check_str(value: Any, path: str) -> Any:
    if type(value) is not str:
        raise _bad("string", value, path)
    return value


def _check_int(value: Any, path: str) -> Any:
    # ``type() is int`` refuses ``True`` (a bool is an int in Python, not in JSON) and
    # ``3.0`` (a JSON number with a fraction part is not an integer to us).
    if type(value) is not int:
        raise _bad("integer", value, path)
    return value


def _check_float(value: Any, path: str) -> Any:
    if type(value) is not float and type(value) is not int:
        raise _bad("number", value, path)
    return float(value)


def _check_bool(value: Any, path: str) -> Any:
    if type(value) is not bool:
        raise _bad("boolean", value, path)
    return value


_PRIMITIVES: dict[type, _Converter] = {
    str: _check_str,
    int: _check_int,
    float: _check_float,
    bool: _check_bool,
}


def _choice(
    pairs: list[tuple[Any, Any]], where: str
) -> tuple[dict[str, Any], _Converter]:
    """Schema and converter for a closed set of JSON values (Enum or Literal).

    ``pairs`` is (JSON value, Python value); a JSON value matches when it has the same
    type and is equal, so ``true`` does not match ``1``.
    """
    values = [value for value, _ in pairs]
    kinds = set()
    for value in values:
        kind = _JSON_TYPES.get(type(value))
        if kind is None:
            raise TypeError(f"{where}: unsupported choice value {value!r}")
        kinds.add(kind)
    schema: dict[str, Any] = {}
    if len(kinds) == 1:
        schema["type"] = kinds.pop()
    schema["enum"] = values

    def convert(value: Any, path: str) -> Any:
        for json_value, result in pairs:
            if type(value) is type(json_value) and value == json_value:
                return result
        raise _bad(f"one of {json.dumps(values)}", value, path)

    return schema, convert


def _object(
    fields: list[tuple[str, Any, bool, str]],
    where_of: Callable[[str], str],
    stack: tuple[Any, ...],
    build: Callable[[dict[str, Any]], Any],
) -> tuple[dict[str, Any], _Converter]:
    """Schema and converter for a closed JSON object.

    ``fields`` is (key, annotation, required, description); ``where_of(key)`` names a
    field in schema errors; ``build`` turns the dict of converted present keys into
    the Python value.
    """
    properties: dict[str, Any] = {}
    converters: dict[str, _Converter] = {}
    required: list[str] = []
    for key, annotation, is_required, description in fields:
        schema, converter = _compile(annotation, where_of(key), stack)
        if description:
            schema = {**schema, "description": description}
        properties[key] = schema
        converters[key] = converter
        if is_required:
            required.append(key)
    object_schema = {
        "type": "object",
        "properties": properties,
        "required": required,
        "additionalProperties": False,
    }

    def convert(value: Any, path: str) -> Any:
        if type(value) is not dict:
            raise _bad("object", value, path)
        for key in value:
            if key not in converters:
                raise _InvalidArguments(f"unexpected key {key!r} at {path}")
        for key in required:
            if key not in value:
                raise _InvalidArguments(f"missing required key {key!r} at {path}")
        converted = {
            key: converters[key](item, _key_path(path, key))
            for key, item in value.items()
        }
        return build(converted)

    return object_schema, convert


def _compile_attrs(
    cls: type, where: str, stack: tuple[Any, ...]
) -> tuple[dict[str, Any], _Converter]:
    try:
        hints = typing.get_type_hints(cls)
    except Exception as exc:
        raise TypeError(f"{where}: cannot resolve the type hints of {cls!r}") from exc
    docs = _section(cls.__doc__, ("Attributes",))
    fields: list[tuple[str, Any, bool, str]] = []
    aliases: dict[str, str] = {}
    for field in attrs.fields(cls):
        if not field.init:
            continue
        if field.name not in hints:
            raise TypeError(f"{where}: field {field.name!r} of {cls!r} has no type")
        # The JSON key is the attribute name (as cattrs does); __init__ takes the alias.
        aliases[field.name] = field.alias or field.name
        required = field.default is attrs.NOTHING
        fields.append(
            (field.name, hints[field.name], required, docs.get(field.name, ""))
        )

    def build(values: dict[str, Any]) -> Any:
        try:
            return cls(**{aliases[key]: item for key, item in values.items()})
        except Exception as exc:
            # attrs validators and __attrs_post_init__ run here; the model sees why.
            raise _InvalidArguments(
                f"invalid {cls.__name__}: {type(exc).__name__}: {exc}"
            ) from exc

    return _object(
        fields, lambda key: f"{where} > {cls.__name__}.{key}", (*stack, cls), build
    )


def _compile_typeddict(
    cls: type, where: str, stack: tuple[Any, ...]
) -> tuple[dict[str, Any], _Converter]:
    try:
        hints = typing.get_type_hints(cls, include_extras=True)
    except Exception as exc:
        raise TypeError(f"{where}: cannot resolve the type hints of {cls!r}") from exc
    required_keys: frozenset[str] = getattr(cls, "__required_keys__", frozenset())
    docs = _section(cls.__doc__, ("Attributes",))
    fields = []
    for key, annotation in hints.items():
        required = key in required_keys
        # With ``from __future__ import annotations`` the class sees NotRequired[...]
        # only as a string, so __required_keys__ is wrong; the resolved hint is not.
        marker = getattr(typing.get_origin(annotation), "_name", None)
        if marker in ("Required", "NotRequired"):
            required = marker == "Required"
            annotation = typing.get_args(annotation)[0]
        fields.append((key, annotation, required, docs.get(key, "")))
    return _object(
        fields, lambda key: f"{where} > {cls.__name__}.{key}", (*stack, cls), dict
    )


def _is_typeddict(tp: Any) -> bool:
    return (
        isinstance(tp, type)
        and issubclass(tp, dict)
        and hasattr(tp, "__required_keys__")
        and hasattr(tp, "__optional_keys__")
    )


def _compile_union(
    args: tuple[Any, ...], where: str, stack: tuple[Any, ...]
) -> tuple[dict[str, Any], _Converter]:
    nullable = type(None) in args
    members = [_compile(arg, where, stack) for arg in args if arg is not type(None)]
    schemas = [schema for schema, _ in members]
    converters = [converter for _, converter in members]
    if nullable:
        schemas.append({"type": "null"})

    def convert(value: Any, path: str) -> Any:
        if value is None and nullable:
            return None
        errors: list[str] = []
        for converter in converters:
            try:
                return converter(value, path)
            except _InvalidArguments as exc:
                errors.append(str(exc))
        if len(errors) == 1:
            # T | None: the error inside T is the useful one.
            raise _InvalidArguments(errors[0])
        raise _InvalidArguments(
            f"no alternative matches at {path}: {'; '.join(errors)}"
        )

    return {"anyOf": schemas}, convert


def _compile(
    tp: Any, where: str, stack: tuple[Any, ...] = ()
) -> tuple[dict[str, Any], _Converter]:
    """JSON schema and strict converter for one annotation.

    Args:
        tp: The resolved annotation.
        where: What is being compiled, for error messages (``parameter 'x'``).
        stack: attrs classes and TypedDicts being compiled, to refuse recursion.

    Returns:
        A fresh schema dict and a ``(json_value, path) -> python_value`` function that
        raises :class:`_InvalidArguments`.

    Raises:
        TypeError: The annotation is not supported.
    """
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if origin is typing.Annotated:
        return _compile(args[0], where, stack)
    if tp in _PRIMITIVES:
        return {"type": _JSON_TYPES[tp]}, _PRIMITIVES[tp]
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        return _choice([(member.value, member) for member in tp], where)
    if origin is Literal:
        return _choice([(value, value) for value in args], where)
    if origin is list or tp is list:
        if not args:
            raise TypeError(f"{where}: list needs an element type, e.g. list[str]")
        item_schema, item = _compile(args[0], where, stack)

        def convert_list(value: Any, path: str) -> Any:
            if type(value) is not list:
                raise _bad("array", value, path)
            return [item(element, f"{path}[{i}]") for i, element in enumerate(value)]

        return {"type": "array", "items": item_schema}, convert_list
    if origin is dict or tp is dict:
        if not args or args[0] is not str:
            raise TypeError(
                f"{where}: dict needs str keys and a value type, e.g. dict[str, int]"
            )
        value_schema, element = _compile(args[1], where, stack)

        def convert_dict(value: Any, path: str) -> Any:
            if type(value) is not dict:
                raise _bad("object", value, path)
            return {k: element(v, _key_path(path, k)) for k, v in value.items()}

        return {"type": "object", "additionalProperties": value_schema}, convert_dict
    if origin is Union or origin is types.UnionType:
        return _compile_union(args, where, stack)
    if tp in stack:
        raise TypeError(f"{where}: recursive type {tp!r} is not supported")
    if isinstance(tp, type) and attrs.has(tp):
        return _compile_attrs(tp, where, stack)
    if _is_typeddict(tp):
        return _compile_typeddict(tp, where, stack)
    raise TypeError(f"{where}: unsupported type annotation {tp!r}")


def _compile_signature(
    fn: Callable[..., Any], param_docs: dict[str, str]
) -> tuple[dict[str, Any], _Binder]:
    """Top-level schema and argument binder for ``fn``.

    Raises:
        TypeError: A parameter is positional-only, variadic, unannotated or of an
            unsupported type.
    """
    try:
        signature = inspect.signature(fn)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"cannot read the signature of {fn!r}") from exc
    try:
        hints = typing.get_type_hints(fn)
    except Exception as exc:
        raise TypeError(f"cannot resolve the type hints of {fn!r}: {exc}") from exc
    fields: list[tuple[str, Any, bool, str]] = []
    for name, param in signature.parameters.items():
        where = f"parameter {name!r} of {getattr(fn, '__qualname__', fn)!r}"
        if param.kind is inspect.Parameter.POSITIONAL_ONLY:
            raise TypeError(f"{where}: positional-only parameters are not supported")
        if param.kind is inspect.Parameter.VAR_POSITIONAL:
            raise TypeError(f"{where}: *args is not supported")
        if param.kind is inspect.Parameter.VAR_KEYWORD:
            raise TypeError(f"{where}: **kwargs is not supported")
        if name not in hints:
            raise TypeError(f"{where}: a type annotation is required")
        is_required = param.default is inspect.Parameter.empty
        fields.append((name, hints[name], is_required, param_docs.get(name, "")))
    qualname = getattr(fn, "__qualname__", repr(fn))
    schema, convert = _object(
        fields, lambda key: f"parameter {key!r} of {qualname!r}", (), dict
    )
    known = {key for key, *_ in fields}
    required = [key for key, _, is_required, _ in fields if is_required]

    def bind(arguments: dict[str, Any]) -> dict[str, Any]:
        # Checked here first so the model reads "argument", not "key ... at $".
        for key in arguments:
            if key not in known:
                raise _InvalidArguments(f"unexpected argument {key!r}")
        for key in required:
            if key not in arguments:
                raise _InvalidArguments(f"missing required argument {key!r}")
        result: dict[str, Any] = convert(arguments, "$")
        return result

    return schema, bind


def _parse_json(arguments: str) -> Any:
    def refuse_constant(name: str) -> Any:
        raise _InvalidArguments(f"arguments are not valid JSON: {name} is not allowed")

    if not arguments.strip():
        return {}
    try:
        return json.loads(arguments, parse_constant=refuse_constant)
    except json.JSONDecodeError as exc:
        raise _InvalidArguments(f"arguments are not valid JSON: {exc}") from exc


# -- Tool and the registry --------------------------------------------------------------


def _check_timeout(
    _: Any, attribute: attrs.Attribute[Any], value: float | None
) -> None:
    if value is not None and not (value > 0 and math.isfinite(value)):
        raise ValueError(
            f"{attribute.name} must be a positive number of seconds or None"
        )


def _check_name(_: Any, __: attrs.Attribute[Any], value: str) -> None:
    if not isinstance(value, str) or not _NAME_RE.match(value):
        raise ValueError(
            f"tool name {value!r} must be 1-64 letters, digits, '_' or '-'"
        )


@attrs.frozen(kw_only=True)
class Tool:
    """A Python function the model may call, with the JSON schema of its arguments.

    Build one with :func:`tool_from_function`. Direct construction is possible (for a
    hand-written ``parameters`` schema), but ``fn``'s signature must still be one
    :func:`tool_from_function` accepts: arguments are checked against its type hints.

    Attributes:
        name: The function name the model calls (1-64 of ``[A-Za-z0-9_-]``).
        description: What the tool does, for the model ("" for none).
        parameters: The JSON schema of the arguments object. Treat it as read-only;
            :meth:`to_function_tool` hands out a copy.
        fn: The function, called with keyword arguments on a worker thread.
        timeout: Seconds the model waits for an answer; ``None`` uses the executor's
            ``default_timeout``.

    Raises:
        TypeError: ``fn``'s signature is not supported (see :func:`tool_from_function`).
        ValueError: ``name`` or ``timeout`` is invalid.
    """

    name: str = attrs.field(validator=_check_name)
    description: str = ""
    parameters: dict[str, Any] = attrs.field(hash=False)
    fn: Callable[..., Any]
    timeout: float | None = attrs.field(default=None, validator=_check_timeout)
    _bind: _Binder = attrs.field(init=False, repr=False, eq=False, hash=False)

    def __attrs_post_init__(self) -> None:
        _, bind = _compile_signature(self.fn, {})
        object.__setattr__(self, "_bind", bind)

    def to_function_tool(self) -> FunctionTool:
        """The tool as it goes into ``session.tools`` (a deep copy of the schema).

        Returns:
            A :class:`~realtime_sync.events.FunctionTool`; an empty description is left
            out (:data:`~realtime_sync.events.UNSET`).
        """
        return FunctionTool(
            type="function",
            name=self.name,
            description=self.description or UNSET,
            parameters=copy.deepcopy(self.parameters),
        )

    def parse_arguments(self, arguments: str) -> dict[str, Any]:
        """Parse and check the model's argument string; return ``fn``'s keyword arguments.

        Args:
            arguments: The JSON object string of ``response.function_call_arguments.done``
                (an empty string counts as ``{}``).

        Returns:
            Keyword arguments with converted values (Enum members, attrs instances,
            floats for ``float`` parameters); omitted optional parameters are left out,
            so ``fn``'s defaults apply.

        Raises:
            ValueError: The string is not JSON, not an object, or does not match the
                signature; the message names the path (``$.items[2].count``).
        """
        parsed = _parse_json(arguments)
        if type(parsed) is not dict:
            raise _InvalidArguments(
                f"arguments must be a JSON object, got {_describe(parsed)}"
            )
        return self._bind(parsed)


def tool_from_function(
    fn: Callable[..., Any],
    *,
    name: str | None = None,
    description: str | None = None,
    timeout: float | None = None,
) -> Tool:
    """Make a :class:`Tool` from a type-annotated function.

    Every parameter needs an annotation from the table in this module's docstring;
    parameters without a default are required. Descriptions come from ``fn``'s
    Google-style docstring (first paragraph; ``Args:`` entries).

    Args:
        fn: The function. Keyword-compatible parameters only.
        name: The tool name; defaults to ``fn.__name__``.
        description: The tool description; defaults to the docstring's first paragraph.
        timeout: Seconds the model waits for an answer; ``None`` uses the executor's.

    Returns:
        The tool.

    Raises:
        TypeError: A parameter is positional-only, ``*args``/``**kwargs``, unannotated
            or of an unsupported type; the message names the parameter.
        ValueError: The name (given or derived) is not a valid tool name, or the
            timeout is not positive.
    """
    if name is None:
        name = getattr(fn, "__name__", None)
        if not isinstance(name, str):
            raise TypeError(f"{fn!r} has no __name__; pass name=")
    doc = inspect.getdoc(fn)
    parameters, _ = _compile_signature(fn, _section(doc, ("Args", "Arguments")))
    return Tool(
        name=name,
        description=_summary(doc) if description is None else description,
        parameters=parameters,
        fn=fn,
        timeout=timeout,
    )


class ToolRegistry:
    """The tools a client offers, by name, in registration order.

    Thread-safe: changes build a new dict and swap it in under a lock; readers use the
    dict they read, without the lock.

    Args:
        tools: Tools to add, in order.
    """

    def __init__(self, tools: Iterable[Tool] = ()) -> None:
        self._lock = threading.Lock()
        self._tools: dict[str, Tool] = {}  # replaced on change, never mutated
        for tool in tools:
            self.add(tool)

    def add(self, tool: Tool, *, replace: bool = False) -> None:
        """Register a tool.

        Args:
            tool: The tool.
            replace: Replace a tool of the same name instead of raising.

        Raises:
            TypeError: ``tool`` is not a :class:`Tool`.
            ValueError: A tool of that name is registered and ``replace`` is false.
        """
        if not isinstance(tool, Tool):
            raise TypeError(f"expected a Tool (see tool_from_function), got {tool!r}")
        with self._lock:
            if tool.name in self._tools and not replace:
                raise ValueError(f"a tool named {tool.name!r} is already registered")
            self._tools = {**self._tools, tool.name: tool}

    def remove(self, name: str) -> Tool:
        """Unregister a tool.

        Args:
            name: Its name.

        Returns:
            The removed tool.

        Raises:
            KeyError: No tool has that name.
        """
        with self._lock:
            tools = dict(self._tools)
            tool = tools.pop(name)
            self._tools = tools
        return tool

    def get(self, name: str) -> Tool | None:
        """The tool called ``name``, or ``None``.

        Args:
            name: The name.

        Returns:
            The tool or ``None``.
        """
        return self._tools.get(name)

    def __iter__(self) -> Iterator[Tool]:
        return iter(tuple(self._tools.values()))

    def __len__(self) -> int:
        return len(self._tools)

    def __contains__(self, name: object) -> bool:
        return name in self._tools

    def function_tools(self) -> list[FunctionTool]:
        """All tools as ``session.tools`` entries, in registration order.

        Returns:
            One :class:`~realtime_sync.events.FunctionTool` per tool.
        """
        return [tool.to_function_tool() for tool in self._tools.values()]


# -- execution --------------------------------------------------------------------------


def _json_default(obj: Any) -> Any:
    if attrs.has(type(obj)):
        # recurse=False: nested attrs instances and Enums come back through here.
        return attrs.asdict(obj, recurse=False)
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return dataclasses.asdict(obj)
    if isinstance(obj, enum.Enum):
        return obj.value
    if isinstance(obj, (set, frozenset)):
        return list(obj)
    return str(obj)


def _serialize(result: Any) -> str:
    return json.dumps(
        result, default=_json_default, ensure_ascii=False, allow_nan=False
    )


def _error(message: str, kind: str) -> str:
    return json.dumps({"error": message, "type": kind}, ensure_ascii=False)


class _Call:
    """One submitted call; :meth:`answer` lets exactly one output through."""

    def __init__(
        self, call_id: str, name: str, on_result: Callable[[str, str], None]
    ) -> None:
        self.call_id = call_id
        self.name = name
        self.on_result = on_result
        self.future: concurrent.futures.Future[None] | None = None
        self._lock = threading.Lock()
        self._answered = False

    @property
    def answered(self) -> bool:
        return self._answered

    def answer(self, output: str) -> bool:
        """Deliver ``output`` unless an answer was already given; True if delivered."""
        with self._lock:
            if self._answered:
                return False
            self._answered = True
        # on_result is user code: called outside the lock.
        try:
            self.on_result(self.call_id, output)
        except Exception:
            logger.exception(
                "on_result raised for tool %r (call %s)", self.name, self.call_id
            )
        return True


class _Deadlines:
    """One thread, ``realtime-sync-tool-timer``, answering calls whose timeout passed.

    Started on the first :meth:`schedule`; entries of calls that finished in time stay
    in the heap until their deadline and are then skipped.
    """

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._heap: list[tuple[float, int, _Call, str]] = []
        self._seq = itertools.count()
        self._stopped = False
        self.thread: threading.Thread | None = None

    def schedule(self, deadline: float, call: _Call, output: str) -> None:
        with self._cond:
            if self._stopped:
                return
            heapq.heappush(self._heap, (deadline, next(self._seq), call, output))
            if self.thread is None:
                self.thread = threading.Thread(
                    target=self._loop, name="realtime-sync-tool-timer", daemon=True
                )
                self.thread.start()
            self._cond.notify()

    def _loop(self) -> None:
        while True:
            with self._cond:
                while True:
                    if self._stopped:
                        return
                    if not self._heap:
                        self._cond.wait()
                        continue
                    delay = self._heap[0][0] - time.monotonic()
                    if delay <= 0:
                        _, _, call, output = heapq.heappop(self._heap)
                        break
                    self._cond.wait(delay)
            if call.answer(output):
                logger.warning("tool %r (call %s) timed out", call.name, call.call_id)
                if call.future is not None:
                    call.future.cancel()  # if still queued, it never runs

    def stop(self) -> None:
        with self._cond:
            self._stopped = True
            self._heap.clear()
            self._cond.notify()
            thread = self.thread
        if thread is not None and thread is not threading.current_thread():
            thread.join()


class ToolExecutor:
    """Runs tool calls on a thread pool and answers each call exactly once.

    Threads: calls run on ``realtime-sync-tool_N`` pool threads (started on the first
    :meth:`submit`), never on the submitting thread; timeouts are answered by one
    ``realtime-sync-tool-timer`` thread. ``on_result`` is called on one of these.

    Outputs (the ``output`` of the ``function_call_output`` item):

    * the JSON of the return value (see the module docstring);
    * ``{"error": ..., "type": "unknown_tool"}``: no tool of that name is registered;
    * ``{"error": ..., "type": "invalid_arguments"}``: not JSON, or not matching the
      signature (the message says where);
    * ``{"error": ..., "type": "exception"}``: the function raised (``"ValueError:
      ..."``) or returned something JSON cannot hold (NaN, a cycle);
    * ``{"error": ..., "type": "timeout"}``: no result ``timeout`` seconds after
      :meth:`submit`. The function is not interrupted (Python cannot stop a thread); it
      keeps its worker until it returns, and its late result is dropped. A call still
      queued when its timeout passes never runs;
    * ``{"error": ..., "type": "cancelled"}``: :meth:`shutdown` gave up waiting.

    Args:
        registry: Where tools are looked up, at :meth:`submit` time.
        default_timeout: Seconds for tools whose ``timeout`` is ``None``; ``None``
            waits forever.
        max_workers: Pool size: how many tools run at once.

    Raises:
        ValueError: ``default_timeout`` or ``max_workers`` is not positive.
    """

    def __init__(
        self,
        registry: ToolRegistry,
        *,
        default_timeout: float | None = 30.0,
        max_workers: int = 4,
    ) -> None:
        if default_timeout is not None and not (
            default_timeout > 0 and math.isfinite(default_timeout)
        ):
            raise ValueError(
                "default_timeout must be a positive number of seconds or None"
            )
        if max_workers < 1:
            raise ValueError("max_workers must be at least 1")
        self._registry = registry
        self._default_timeout = default_timeout
        # ThreadPoolExecutor starts its threads on submit, not here.
        self._pool = concurrent.futures.ThreadPoolExecutor(
            max_workers=max_workers, thread_name_prefix="realtime-sync-tool"
        )
        self._deadlines = _Deadlines()
        self._lock = threading.Lock()  # guards _closed and _calls
        self._closed = False
        self._calls: set[_Call] = set()  # calls whose future is not done
        self._local = threading.local()

    def submit(
        self,
        call_id: str,
        name: str,
        arguments: str,
        on_result: Callable[[str, str], None],
    ) -> None:
        """Start a call; ``on_result(call_id, output)`` follows once, on another thread.

        Never blocks and never raises for the call's sake: unknown tools, bad
        arguments, exceptions and timeouts all become an error output.

        Args:
            call_id: The ``call_id`` of the function call item, passed back as is.
            name: The tool name the model called.
            arguments: The JSON argument string from the model.
            on_result: Called exactly once with ``(call_id, output)`` on a pool or the
                timer thread; keep it short (it may delay other timeouts). If it
                raises, the exception is logged.

        Raises:
            RuntimeError: The executor has been shut down.
        """
        tool = self._registry.get(name)
        call = _Call(call_id, name, on_result)
        with self._lock:
            if self._closed:
                raise RuntimeError(
                    "Cannot submit a tool call after the executor has been shut down."
                )
            self._calls.add(call)
            call.future = self._pool.submit(self._run, call, tool, arguments)
        call.future.add_done_callback(lambda _: self._forget(call))
        if tool is None:
            return
        timeout = tool.timeout if tool.timeout is not None else self._default_timeout
        if timeout is not None:
            message = f"tool {name!r} did not finish within {timeout:g} seconds"
            self._deadlines.schedule(
                time.monotonic() + timeout, call, _error(message, "timeout")
            )

    def _forget(self, call: _Call) -> None:
        with self._lock:
            self._calls.discard(call)

    def _run(self, call: _Call, tool: Tool | None, arguments: str) -> None:
        """The pool side of a call: parse, call, serialise, answer."""
        if call.answered:
            return  # timed out while queued: the model already has its answer
        self._local.busy = True
        try:
            call.answer(self._output(call, tool, arguments))
        finally:
            self._local.busy = False

    def _output(self, call: _Call, tool: Tool | None, arguments: str) -> str:
        if tool is None:
            known = ", ".join(repr(t.name) for t in self._registry) or "none"
            logger.warning(
                "model called unknown tool %r (call %s)", call.name, call.call_id
            )
            return _error(
                f"unknown tool {call.name!r}; available tools: {known}", "unknown_tool"
            )
        try:
            kwargs = tool.parse_arguments(arguments)
        except _InvalidArguments as exc:
            logger.warning(
                "invalid arguments for tool %r (call %s): %s",
                call.name,
                call.call_id,
                exc,
            )
            return _error(str(exc), "invalid_arguments")
        try:
            result = tool.fn(**kwargs)
        except Exception as exc:
            logger.exception("tool %r (call %s) raised", call.name, call.call_id)
            return _error(f"{type(exc).__name__}: {exc}", "exception")
        except BaseException as exc:
            # SystemExit and friends: still answer the model, then let it propagate.
            call.answer(_error(f"{type(exc).__name__}: {exc}", "exception"))
            raise
        try:
            return _serialize(result)
        except (TypeError, ValueError) as exc:
            logger.exception(
                "tool %r (call %s) returned non-JSON", call.name, call.call_id
            )
            return _error(
                f"the return value is not JSON-serializable: {exc}", "exception"
            )

    def shutdown(self, wait: bool = True, timeout: float | None = None) -> None:
        """Stop accepting calls, finish or cancel the pending ones, join the threads.

        With ``wait`` this waits for every call's function to return, including
        functions whose call already timed out, so a tool that never returns blocks it
        unless ``timeout`` is given. Idempotent.

        Args:
            wait: Wait for running and queued calls.
            timeout: Give up waiting after this many seconds; then calls not yet
                answered get a ``cancelled`` error, queued calls never run, and a
                warning names the tools still running (their threads end when the
                functions return).

        Raises:
            RuntimeError: Called with ``wait`` from a tool or ``on_result`` (it would
                wait for itself).
        """
        if wait and (
            getattr(self._local, "busy", False)
            or threading.current_thread() is self._deadlines.thread
        ):
            raise RuntimeError(
                "Cannot wait for the tool executor from one of its own threads."
            )
        with self._lock:
            self._closed = True
            calls = list(self._calls)
        futures = [call.future for call in calls if call.future is not None]
        if wait:
            _, not_done = concurrent.futures.wait(futures, timeout=timeout)
        else:
            not_done = {future for future in futures if not future.done()}
        if not_done:
            self._pool.shutdown(wait=False, cancel_futures=True)
            still_running = []
            for call in calls:
                if call.future in not_done:
                    still_running.append(call.name)
                    call.answer(_error("the tool executor was shut down", "cancelled"))
            logger.warning(
                "tool executor shut down with calls still running: %s",
                ", ".join(sorted(set(still_running))),
            )
        else:
            self._pool.shutdown(wait=True)
        self._deadlines.stop()
