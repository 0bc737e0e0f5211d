"""Delegation on a Live client: ``@client.delegate`` and ``@client.tool``.

Client-mode delegation (``delegation={"type": "client"}``, the default): the voice
model emits ``session.delegation.created`` (metadata only, never the task text).
The ``@client.delegate`` handler runs on the tool pool
(:class:`~realtime_sync.tools.ToolExecutor`, ``realtime-sync-tool_N`` threads, never
the reader thread) with a :class:`DelegationTask`: the delegation, the transcript
so far, and :meth:`DelegationTask.note` to send progress as
``session.thinking.append``. What it returns is sent as
``session.commentary.append`` with the ``delegation_id`` (a string as it is,
another value as JSON; ``None`` sends nothing). If it raises or times out, the
model is told so in a commentary (so that it does not wait for ever) and
``on_error`` gets the :class:`~realtime_sync.HandlerError` or
:class:`~realtime_sync.Timeout`.

Responses-mode delegation (``delegation={"type": "responses", ...}``): the service
runs a Responses backend and streams its events wrapped in ``response.event``.
Function tools registered with ``@client.tool`` are added to
``delegation.responses.tools`` at ``connect()``; a ``function_call`` output item
runs the function on the same pool, its output goes back as
``response.item.create`` (a ``function_call_output``), and once every call of
that backend response is answered, one ``response.create`` asks the backend to
go on (the core's bookkeeping, :meth:`~realtime_sync.live._core.LiveCore.tool_answered`).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any, TypeVar, overload

import attrs

from realtime_sync.client._tool_host import ToolHost
from realtime_sync.exceptions import HandlerError, RealtimeError, Timeout
from realtime_sync.live._core import Delegation, ToolCall
from realtime_sync.live._turns import Turn

__all__ = ["DelegationAPI", "DelegationTask"]

logger = logging.getLogger("realtime_sync.live")

F = TypeVar("F", bound=Callable[..., Any])

# The internal tool that runs a delegation handler on the executor's pool.
_DELEGATION_TOOL = "__live_delegation__"


@attrs.frozen
class DelegationTask:
    """What a ``@client.delegate`` handler receives (on a tool pool thread).

    Attributes:
        delegation: The :class:`~realtime_sync.live.Delegation` (id, target,
            ``offset_ms``, the transcript up to it).
    """

    delegation: Delegation
    _note: Callable[[str], str] = attrs.field(repr=False)

    @property
    def id(self) -> str:
        """The ``delegation_id``."""
        return self.delegation.id

    @property
    def transcript(self) -> tuple[Turn, ...]:
        """The conversation's turns when the model delegated."""
        return self.delegation.transcript

    @property
    def request(self) -> str:
        """The user's latest turn before the delegation (what to work on)."""
        return self.delegation.request

    def note(self, text: str) -> str:
        """Send progress as ``session.thinking.append`` (silent for the model).

        Returns:
            The append's ``event_id`` (it is acknowledged in the background).
        """
        return self._note(text)


class DelegationAPI(ToolHost):
    """The delegation methods of :class:`~realtime_sync.live.LiveClient`."""

    _delegate_handler: Callable[[DelegationTask], Any] | None = None
    _delegation_timeout: float | None
    _results: dict[str, tuple[bool, Any]]
    _abandoned: set[str]
    _calls: dict[str, str | None]

    # -- registration ------------------------------------------------------------

    @overload
    def delegate(self, fn: F) -> F: ...
    @overload
    def delegate(self, *, timeout: float | None = None) -> Callable[[F], F]: ...

    def delegate(self, fn: Any = None, *, timeout: float | None = None) -> Any:
        """Register the handler of client delegations: ``@client.delegate``.

        The handler gets a :class:`DelegationTask` on a tool pool thread; its
        return value is sent as commentary for the delegation (see the module
        docstring). One handler per client.

        Args:
            fn: The handler (omit it to use ``@client.delegate(timeout=...)``).
            timeout: Seconds before the model is told the task timed out (the
                handler is not interrupted; its late result is dropped and
                logged). None uses the client's ``delegation_timeout``.

        Raises:
            TypeError: ``fn`` is not callable.
            ValueError: A handler is registered already.
        """
        if fn is None:

            def decorator(f: Any) -> Any:
                self._set_delegate(f, timeout)
                return f

            return decorator
        self._set_delegate(fn, timeout)
        return fn

    def _set_delegate(self, fn: Any, timeout: float | None) -> None:
        if not callable(fn):
            raise TypeError(f"the delegate handler must be callable, not {fn!r}")
        from realtime_sync.tools import Tool

        def run(delegation_id: str) -> None:
            self._run_delegate(delegation_id)

        tool = Tool(
            name=_DELEGATION_TOOL,
            parameters={"type": "object", "properties": {}},
            fn=run,
            timeout=timeout if timeout is not None else self._delegation_timeout,
        )
        with self._lock:
            if self._delegate_handler is not None:
                raise ValueError("a delegate handler is registered already")
            self._delegate_handler = fn
        self._tools().add(tool)

    def _check_tool_allowed(self) -> None:
        """Function tools are for Responses delegation, registered before connect()."""
        if self._delegation_type() != "responses":
            raise ValueError(
                "function tools run under Responses delegation: create the client "
                "with delegation={'type': 'responses', 'responses': {'model': ...}}"
            )
        if self._state.value != "unopened":
            raise RuntimeError("Register tools before connect().")

    def _delegation_type(self) -> str:
        """The configured delegation type (the client implements it)."""
        raise NotImplementedError

    def _function_tools(self) -> list[dict[str, Any]]:
        """The registered tools as Responses function tools (wire dicts)."""
        registry = self._tool_registry
        if registry is None:
            return []
        tools = []
        for tool in registry:
            if tool.name == _DELEGATION_TOOL:
                continue
            entry: dict[str, Any] = {
                "type": "function",
                "name": tool.name,
                "parameters": tool.to_function_tool().parameters,
            }
            if tool.description:
                entry["description"] = tool.description
            tools.append(entry)
        return tools

    def _start_workers(self) -> None:
        """Make the tool pool once something may run on it (threads start on use)."""
        with self._lock:
            if self._tool_registry is None or self._executor is not None:
                return
            self._executor = self._new_executor()

    # -- running -----------------------------------------------------------------

    def _run_delegations(self, delegations: list[Delegation]) -> None:
        """Hand new client delegations to the handler (reader thread, no lock)."""
        if self._delegate_handler is not None:
            self._start_workers()  # a handler registered after connect()
        for delegation in delegations:
            if self._delegate_handler is None or self._executor is None:
                logger.info(
                    "client delegation %s and no @delegate handler: answer it with "
                    "append_commentary(..., delegation_id=...)",
                    delegation.id,
                )
                continue
            try:
                self._executor.submit(
                    delegation.id,
                    _DELEGATION_TOOL,
                    json.dumps({"delegation_id": delegation.id}),
                    self._delegation_done,
                )
            except RuntimeError:  # shut down: the client is closing
                logger.info("delegation %s arrived while closing", delegation.id)

    def _run_delegate(self, delegation_id: str) -> None:
        """The pool side: call the handler, keep its result for ``_delegation_done``."""
        delegation = self._delegation_of(delegation_id)
        handler = self._delegate_handler
        if delegation is None or handler is None:
            return
        task = DelegationTask(delegation, lambda text: self._note(delegation_id, text))
        try:
            result: tuple[bool, Any] = (True, handler(task))
        except Exception as exc:
            logger.exception("delegate handler raised on %s", delegation_id)
            result = (False, exc)
        with self._lock:
            late = delegation_id in self._abandoned
            if late:
                self._abandoned.discard(delegation_id)
            else:
                self._results[delegation_id] = result
        if late:
            logger.warning(
                "delegate handler answered delegation %s after its timeout: the "
                "result was dropped (the model was told the task timed out)",
                delegation_id,
            )

    def _delegation_done(self, delegation_id: str, output: str) -> None:
        """The executor answered a delegation (pool or timer thread)."""
        with self._lock:
            result = self._results.pop(delegation_id, None)
            if result is None:
                self._abandoned.add(delegation_id)  # its result, if any, is late
        handler = self._delegate_handler
        if result is None:  # the executor's own error: a timeout, a shutdown
            try:
                detail = json.loads(output).get("error", output)
            except (ValueError, AttributeError):
                detail = output
            error: RealtimeError = Timeout(
                f"the delegate handler did not answer delegation {delegation_id}: "
                f"{detail}"
            )
            self._dispatch.report(error)
            self._answer_delegation(
                delegation_id, f"The delegated task could not be completed: {detail}."
            )
            return
        ok, value = result
        if not ok:
            name = getattr(handler, "__qualname__", repr(handler))
            failure = HandlerError(
                f"delegate handler {name} raised {type(value).__name__}",
                handler=handler,
            )
            failure.__cause__ = value
            self._dispatch.report(failure)
            self._answer_delegation(
                delegation_id,
                f"The delegated task failed: {type(value).__name__}: {value}",
            )
            return
        if value is None:
            return
        text = value if isinstance(value, str) else _json(value)
        self._answer_delegation(delegation_id, text)

    def _run_tool_calls(self, calls: list[ToolCall]) -> None:
        """Run Responses-mode function calls on the pool (reader thread, no lock)."""
        for call in calls:
            if self._executor is None or self._tool_registry is None:
                logger.warning(
                    "the backend called %r and no @tool is registered", call.name
                )
                self._executor_missing(call)
                continue
            with self._lock:
                self._calls[call.call_id] = call.delegation_id
            try:
                self._executor.submit(
                    call.call_id, call.name, call.arguments, self._tool_done
                )
            except RuntimeError:
                logger.info("tool call %s arrived while closing", call.call_id)

    def _executor_missing(self, call: ToolCall) -> None:
        output = json.dumps(
            {"error": f"unknown tool {call.name!r}", "type": "unknown_tool"}
        )
        with self._lock:
            self._calls[call.call_id] = call.delegation_id
        self._tool_done(call.call_id, output)

    def _tool_done(self, call_id: str, output: str) -> None:
        """A tool answered: its output, then ``response.create`` once all are in."""
        with self._lock:
            delegation_id = self._calls.pop(call_id, None)
        try:
            self._send_tool_output(call_id, output)
        except RealtimeError as exc:
            logger.info("could not send the output of %s: %s", call_id, exc)
            return
        self._tool_answered(delegation_id, call_id)

    # Implemented by the client (they send and touch the core).

    def _delegation_of(self, delegation_id: str) -> Delegation | None:
        raise NotImplementedError

    def _note(self, delegation_id: str, text: str) -> str:
        raise NotImplementedError

    def _answer_delegation(self, delegation_id: str, text: str) -> None:
        raise NotImplementedError

    def _send_tool_output(self, call_id: str, output: str) -> None:
        raise NotImplementedError

    def _tool_answered(self, delegation_id: str | None, call_id: str) -> None:
        raise NotImplementedError


def _json(value: Any) -> str:
    try:
        return json.dumps(value, ensure_ascii=False, default=str)
    except (TypeError, ValueError):
        return str(value)
