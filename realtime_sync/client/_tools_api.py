"""Function tools on a client: ``@client.tool``, ``add_tool`` and running the calls.

:class:`ToolsAPI` is a mixin of :class:`~realtime_sync.client.RealtimeClient`: it
keeps the tool registry, adds the tools to the session, and starts the tool runner
(:mod:`realtime_sync.tools`) whose worker threads execute the calls off the reader
thread; the reader hands it the events it needs through ``_observer``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar, overload

from realtime_sync import events as ev
from realtime_sync.client._senders import SendersAPI
from realtime_sync.events import ServerEvent
from realtime_sync.protocol import Codec

__all__ = ["ToolsAPI"]

F = TypeVar("F", bound=Callable[..., Any])


class ToolsAPI(SendersAPI):
    """Tool registration and execution (see the module docstring)."""

    _tool_registry: Any = None  # a realtime_sync.tools.ToolRegistry, on demand
    _tool_runner: Any = None
    _executor: Any = None
    _tool_timeout: float | None
    _tool_workers: int
    _auto_respond: bool

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
        """Register a function the model may call: ``@client.tool`` or ``@client.tool(...)``.

        See :meth:`add_tool`. The function is returned unchanged.
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
        tool's description from its summary. The session's tools are updated for
        you (now when connected, else at :meth:`connect`). When the model calls it,
        the function runs in a worker pool with a timeout; its JSON result, or an
        error the model can read, is sent back as ``function_call_output``, then one
        ``response.create`` per batch of calls (``auto_respond=False`` turns that off).

        Returns:
            The :class:`realtime_sync.tools.Tool`.

        Raises:
            TypeError: A signature the schema cannot describe (named in the message).
            ValueError: A tool of that name exists already.
        """
        from realtime_sync.tools import ToolRegistry, tool_from_function

        tool = tool_from_function(
            fn, name=name, description=description, timeout=timeout
        )
        with self._lock:
            if self._tool_registry is None:
                self._tool_registry = ToolRegistry()
            registry = self._tool_registry
        registry.add(tool)
        if self.is_connected:
            self._start_tools()
            self.update_session(
                {"type": "realtime", "tools": self._session_tools()}, wait=False
            )
        return tool

    def _session_tools(self) -> list[Any]:
        """The session's tools: ours, plus any non-function tools already configured."""
        ours = self._tool_registry.function_tools() if self._tool_registry else []
        names = {t.name for t in ours}
        current = getattr(self.session_info, "tools", None)
        others = [
            t
            for t in (current if isinstance(current, list) else [])
            if not (isinstance(t, ev.FunctionTool) and t.name in names)
        ]
        codec = Codec("ga")
        return [codec.to_dict(t) for t in (*others, *ours)]

    def _start_tools(self) -> None:
        if self._tool_registry is None or self._tool_runner is not None:
            return
        from realtime_sync.tools import ToolExecutor
        from realtime_sync.tools._runner import ToolRunner

        self._executor = ToolExecutor(
            self._tool_registry,
            default_timeout=self._tool_timeout,
            max_workers=self._tool_workers,
        )
        runner = self._tool_runner = ToolRunner(
            self._executor,
            self.send,
            lambda modalities: self.create_response(output_modalities=modalities),
            auto_respond=self._auto_respond,
        )
        steps: dict[type, Callable[[Any], None]] = {
            ev.ResponseDone: runner.on_response_done,
            ev.ResponseFunctionCallArgumentsDone: runner.on_arguments_done,
            ev.ResponseOutputItemAdded: runner.on_output_item,
            ev.ResponseOutputItemDone: runner.on_output_item,
        }

        def observe(event: ServerEvent) -> None:
            step = steps.get(type(event))
            if step is not None:
                step(event)

        self._observer = observe

    def _owns_thread(self) -> bool:
        executor = self._executor
        return executor is not None and bool(executor.on_its_thread())

    def _closing(self, timeout: float) -> None:
        if self._executor is not None:
            # Joins the tool threads; a tool still running past its timeout is
            # waited for up to ``timeout`` (its answer can no longer be sent).
            self._executor.shutdown(wait=True, timeout=timeout)
