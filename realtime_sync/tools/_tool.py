"""The :class:`Tool` value: a function, its name, description and argument schema."""

from __future__ import annotations

import copy
import inspect
import math
import re
from collections.abc import Callable
from typing import Any

import attrs

from realtime_sync.events import UNSET, FunctionTool

from ._docstrings import section, summary
from ._schema import Binder, InvalidArguments, compile_signature, describe, parse_json

__all__ = ["Tool", "tool_from_function"]

#: OpenAI function names: letters, digits, ``_`` and ``-``, at most 64 characters.
_NAME_RE = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


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
    _bind: Binder = attrs.field(init=False, repr=False, eq=False, hash=False)

    def __attrs_post_init__(self) -> None:
        _, bind = compile_signature(self.fn, {})
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
        parsed = parse_json(arguments)
        if type(parsed) is not dict:
            raise InvalidArguments(
                f"arguments must be a JSON object, got {describe(parsed)}"
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

    Every parameter needs an annotation from the table in the
    :mod:`realtime_sync.tools` docstring; parameters without a default are required. Descriptions come from ``fn``'s
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
    parameters, _ = compile_signature(fn, section(doc, ("Args", "Arguments")))
    return Tool(
        name=name,
        description=summary(doc) if description is None else description,
        parameters=parameters,
        fn=fn,
        timeout=timeout,
    )
