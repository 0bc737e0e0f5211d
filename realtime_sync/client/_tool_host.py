"""A client that runs function tools: the registry, ``@client.tool`` and the pool.

:class:`ToolHost` is the part every tool-running client shares (the Realtime
client's :class:`~realtime_sync.client._tools_api.ToolsAPI`, the Live client's
delegation): the :class:`~realtime_sync.tools.ToolRegistry` made on first use
(under the client's lock), the ``@client.tool`` decorator over the protocol's own
``add_tool``, the :class:`~realtime_sync.tools.ToolExecutor` pool (its
``realtime-sync-tool_N`` threads start on use) and its shutdown, joined by
``close()``. What a tool's answer becomes on the wire is the protocol's.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar, overload

from realtime_sync.client._threaded import ThreadedClient

__all__ = ["ToolHost"]

F = TypeVar("F", bound=Callable[..., Any])


class ToolHost(ThreadedClient):
    """The tool registry and pool of a client (see the module docstring)."""

    _tool_registry: Any = None  # a realtime_sync.tools.ToolRegistry, on demand
    _executor: Any = None  # a realtime_sync.tools.ToolExecutor, on demand
    _tool_timeout: float | None
    _tool_workers: int

    @overload
    def tool(self, fn: F) -> F: ...
    @overload
    def tool(
        self,
        *,
        name: str | None = None,
        description: str | None = None,
        timeout: float | None = None,
    ) -> Callable[[F], F]: ...

    def tool(
        self,
        fn: Any = None,
        *,
        name: str | None = None,
        description: str | None = None,
        timeout: float | None = None,
    ) -> Any:
        """Register a function tool: ``@client.tool`` or ``@client.tool(...)``.

        See :meth:`add_tool` (what it raises, when the tool is used). The function
        is returned unchanged.
        """
        if fn is None:

            def decorator(f: Any) -> Any:
                self.add_tool(f, name=name, description=description, timeout=timeout)
                return f

            return decorator
        self.add_tool(fn, name=name, description=description, timeout=timeout)
        return fn

    def add_tool(
        self,
        fn: Callable[..., Any],
        name: str | None = None,
        description: str | None = None,
        timeout: float | None = None,
    ) -> Any:
        """Register a function tool; its JSON schema comes from its type hints.

        The parameter descriptions come from the docstring's ``Args:`` section, the
        tool's description from its summary. When the model calls it, the function
        runs in a worker pool (``realtime-sync-tool_N`` threads) with a timeout, and
        its JSON result, or an error the model can read, goes back to the service.

        On a :class:`~realtime_sync.RealtimeClient` the session's tools are updated
        for you (now when connected, else at ``connect()``); its result is sent as
        ``function_call_output``, then one ``response.create`` per batch of calls
        (``auto_respond=False`` turns that off). On a
        :class:`~realtime_sync.LiveClient` it is a tool of the Responses backend
        (``delegation={"type": "responses", ...}``), added to
        ``delegation.responses.tools`` when the session starts: register it before
        ``connect()``.

        Returns:
            The :class:`realtime_sync.tools.Tool`.

        Raises:
            TypeError: A signature the schema cannot describe (named in the message).
            ValueError: A tool of that name exists already; on a LiveClient, the
                session is not configured for Responses delegation.
            RuntimeError: On a LiveClient, the client is connected already.
        """
        from realtime_sync.tools import tool_from_function

        self._check_tool_allowed()
        tool = tool_from_function(
            fn, name=name, description=description, timeout=timeout
        )
        self._tools().add(tool)
        self._tool_added()
        return tool

    def _check_tool_allowed(self) -> None:
        """Raise when no tool may be added now (the protocol's rule; none here)."""

    def _tool_added(self) -> None:
        """Offer the tools to the service (the protocol's way; nothing here)."""

    def _tools(self) -> Any:
        """The tool registry, made on first use (under the client's lock)."""
        from realtime_sync.tools import ToolRegistry

        with self._lock:
            if self._tool_registry is None:
                self._tool_registry = ToolRegistry()
            return self._tool_registry

    def _new_executor(self) -> Any:
        """A tool pool over the registry, with the client's timeout and workers."""
        from realtime_sync.tools import ToolExecutor

        return ToolExecutor(
            self._tool_registry,
            default_timeout=self._tool_timeout,
            max_workers=self._tool_workers,
        )

    def _owns_thread(self) -> bool:
        executor = self._executor
        return executor is not None and bool(executor.on_its_thread())

    def _stop_tools(self, timeout: float) -> None:
        """Join the tool threads; a tool still running is waited for up to ``timeout``."""
        if self._executor is not None:
            self._executor.shutdown(wait=True, timeout=timeout)
