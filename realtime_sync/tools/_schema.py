"""JSON schemas and strict argument converters built from type annotations.

:func:`compile_signature` turns a function's signature into the ``parameters``
schema of a tool and a binder that checks the model's arguments against it, with
errors that name the path (``expected integer at $.items[2].count, got number
3.0``). The mapping from annotations to schemas is the table in the
:mod:`realtime_sync.tools` docstring. No threads and no I/O here.
"""

from __future__ import annotations

import enum
import inspect
import json
import types
import typing
from collections.abc import Callable
from typing import Any, Literal, Union

import attrs

from ._docstrings import section

__all__ = [
    "Binder",
    "InvalidArguments",
    "compile_signature",
    "describe",
    "parse_json",
]

Converter = Callable[[Any, str], Any]
"""``(json_value, path) -> python_value``; raises :class:`InvalidArguments`."""

Binder = Callable[[dict[str, Any]], dict[str, Any]]
"""Parsed argument object -> keyword arguments of the tool function."""

_JSON_TYPES: dict[type, str] = {
    str: "string",
    int: "integer",
    float: "number",
    bool: "boolean",
}


class InvalidArguments(ValueError):
    """Arguments that do not match the tool's signature; the message is for the model."""


def describe(value: Any) -> str:
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


def _bad(expected: str, value: Any, path: str) -> InvalidArguments:
    return InvalidArguments(f"expected {expected} at {path}, got {describe(value)}")


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


_PRIMITIVES: dict[type, Converter] = {
    str: _check_str,
    int: _check_int,
    float: _check_float,
    bool: _check_bool,
}


def _choice(
    pairs: list[tuple[Any, Any]], where: str
) -> tuple[dict[str, Any], Converter]:
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
) -> tuple[dict[str, Any], Converter]:
    """Schema and converter for a closed JSON object.

    ``fields`` is (key, annotation, required, description); ``where_of(key)`` names a
    field in schema errors; ``build`` turns the dict of converted present keys into
    the Python value.
    """
    properties: dict[str, Any] = {}
    converters: dict[str, Converter] = {}
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
                raise InvalidArguments(f"unexpected key {key!r} at {path}")
        for key in required:
            if key not in value:
                raise InvalidArguments(f"missing required key {key!r} at {path}")
        converted = {
            key: converters[key](item, _key_path(path, key))
            for key, item in value.items()
        }
        return build(converted)

    return object_schema, convert


def _compile_attrs(
    cls: type, where: str, stack: tuple[Any, ...]
) -> tuple[dict[str, Any], Converter]:
    try:
        hints = typing.get_type_hints(cls)
    except Exception as exc:
        raise TypeError(f"{where}: cannot resolve the type hints of {cls!r}") from exc
    docs = section(cls.__doc__, ("Attributes",))
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
            raise InvalidArguments(
                f"invalid {cls.__name__}: {type(exc).__name__}: {exc}"
            ) from exc

    return _object(
        fields, lambda key: f"{where} > {cls.__name__}.{key}", (*stack, cls), build
    )


def _compile_typeddict(
    cls: type, where: str, stack: tuple[Any, ...]
) -> tuple[dict[str, Any], Converter]:
    try:
        hints = typing.get_type_hints(cls, include_extras=True)
    except Exception as exc:
        raise TypeError(f"{where}: cannot resolve the type hints of {cls!r}") from exc
    required_keys: frozenset[str] = getattr(cls, "__required_keys__", frozenset())
    docs = section(cls.__doc__, ("Attributes",))
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
) -> tuple[dict[str, Any], Converter]:
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
            except InvalidArguments as exc:
                errors.append(str(exc))
        if len(errors) == 1:
            # T | None: the error inside T is the useful one.
            raise InvalidArguments(errors[0])
        raise InvalidArguments(f"no alternative matches at {path}: {'; '.join(errors)}")

    return {"anyOf": schemas}, convert


def _compile(
    tp: Any, where: str, stack: tuple[Any, ...] = ()
) -> tuple[dict[str, Any], Converter]:
    """JSON schema and strict converter for one annotation.

    Args:
        tp: The resolved annotation.
        where: What is being compiled, for error messages (``parameter 'x'``).
        stack: attrs classes and TypedDicts being compiled, to refuse recursion.

    Returns:
        A fresh schema dict and a ``(json_value, path) -> python_value`` function that
        raises :class:`InvalidArguments`.

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


def compile_signature(
    fn: Callable[..., Any], param_docs: dict[str, str]
) -> tuple[dict[str, Any], Binder]:
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
                raise InvalidArguments(f"unexpected argument {key!r}")
        for key in required:
            if key not in arguments:
                raise InvalidArguments(f"missing required argument {key!r}")
        result: dict[str, Any] = convert(arguments, "$")
        return result

    return schema, bind


def parse_json(arguments: str) -> Any:
    """Parse the model's argument string (``""`` counts as ``{}``).

    Raises:
        InvalidArguments: Not JSON, or ``NaN``/``Infinity``.
    """

    def refuse_constant(name: str) -> Any:
        raise InvalidArguments(f"arguments are not valid JSON: {name} is not allowed")

    if not arguments.strip():
        return {}
    try:
        return json.loads(arguments, parse_constant=refuse_constant)
    except json.JSONDecodeError as exc:
        raise InvalidArguments(f"arguments are not valid JSON: {exc}") from exc
