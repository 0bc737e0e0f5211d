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

The package, by job (the private modules are not part of the API)::

    _docstrings  descriptions from Google-style docstrings
    _schema      annotations -> JSON schema and strict argument converters
    _tool        Tool and tool_from_function
    _registry    ToolRegistry: registration, lookup, the session's tool list
    _executor    ToolExecutor: worker pool, timeouts, one answer per call
    _runner      ToolRunner: the client's glue from function-call events to answers

Layers: this package imports :mod:`realtime_sync.events` only, never the client,
the transport or the conversation; the client passes it callables (``send``,
``respond``).
"""

from __future__ import annotations

from ._executor import ToolExecutor
from ._registry import ToolRegistry
from ._tool import Tool, tool_from_function

__all__ = ["Tool", "ToolExecutor", "ToolRegistry", "tool_from_function"]
