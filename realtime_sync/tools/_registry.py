"""The registry of tools a client offers: registration, lookup, ``session.tools``."""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator

from realtime_sync.events import FunctionTool

from ._tool import Tool

__all__ = ["ToolRegistry"]


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
