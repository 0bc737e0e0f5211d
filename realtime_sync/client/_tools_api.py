"""Function tools on a client: ``@client.tool``, ``add_tool`` and running the calls.

:class:`ToolsAPI` is a mixin of :class:`~realtime_sync.client.RealtimeClient` over
:class:`~realtime_sync.client._tool_host.ToolHost` (the registry, ``@client.tool``,
the pool): it adds the tools to the session, and starts the tool runner
(:mod:`realtime_sync.tools`) whose worker threads execute the calls off the reader
thread; the reader hands it the events it needs through ``_observer``.
"""

from __future__ import annotations

import collections
import threading
import time
from collections.abc import Callable
from typing import Any

import attrs

from realtime_sync import events as ev
from realtime_sync.client._handle import ResponseHandle
from realtime_sync.client._senders import SendersAPI
from realtime_sync.client._tool_host import ToolHost
from realtime_sync.events import ServerEvent
from realtime_sync.exceptions import Timeout
from realtime_sync.protocol import Codec
from realtime_sync.session import Response

__all__ = ["ToolsAPI"]

# Follow-up handles kept for an ask() that may come for them (oldest dropped).
_FOLLOW_UPS_KEPT = 32


class ToolsAPI(ToolHost, SendersAPI):
    """Tool registration and execution (see the module docstring)."""

    _tool_runner: Any = None
    _follow_ups: collections.OrderedDict[str, ResponseHandle]
    _follow_ups_changed: threading.Condition
    _auto_respond: bool

    def _tool_added(self) -> None:
        """The session's tools are updated now when connected (else at connect())."""
        if self.is_connected:
            self._start_tools()
            self.update_session(
                {"type": "realtime", "tools": self._session_tools()}, wait=False
            )

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
        from realtime_sync.tools._runner import ToolRunner

        self._executor = self._new_executor()
        runner = self._tool_runner = ToolRunner(
            self._executor,
            self.send,
            self._respond_after_tools,
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

    def _respond_after_tools(self, modalities: Any, after: str) -> None:
        """Ask for the response that follows the tool calls of response ``after``.

        Runs on a tool thread (or the reader thread). The handle is kept for an
        ``ask()`` that waits for the answer after the tools ran.
        """
        handle = self.create_response(output_modalities=modalities)
        with self._follow_ups_changed:
            self._follow_ups[after] = handle
            while len(self._follow_ups) > _FOLLOW_UPS_KEPT:  # nobody waited for these
                self._follow_ups.popitem(last=False)
            self._follow_ups_changed.notify_all()

    def _follow_tools(self, reply: Response, deadline: float | None) -> Response:
        """The final answer after ``reply``'s tool calls, with the steps before it."""
        runner = self._tool_runner
        steps: list[Response] = []
        while reply.function_calls and runner is not None and runner.auto_respond:
            handle = self._await_follow_up(reply.id, _remaining(deadline))
            steps.append(reply)
            reply = handle.wait(_remaining(deadline))
        return attrs.evolve(reply, steps=tuple(steps)) if steps else reply

    def _await_follow_up(
        self, response_id: str, timeout: float | None
    ) -> ResponseHandle:
        def ready() -> bool:
            return response_id in self._follow_ups or self._closed_exc is not None

        with self._follow_ups_changed:
            if not self._follow_ups_changed.wait_for(ready, timeout):
                raise Timeout(
                    f"no response followed the tool calls of {response_id} "
                    f"within {timeout} s"
                )
            handle = self._follow_ups.pop(response_id, None)
        if handle is None:
            assert self._closed_exc is not None
            raise self._closed_exc
        return handle

    def _fail_all(self, exc: BaseException, held: frozenset[str] | None = None) -> None:
        super()._fail_all(exc, held)
        with self._follow_ups_changed:  # an ask() waiting for a follow-up learns why
            self._follow_ups_changed.notify_all()

    def _closing(self, timeout: float) -> None:
        # Joins the tool threads; a tool still running past its timeout is waited
        # for up to ``timeout`` (its answer can no longer be sent).
        self._stop_tools(timeout)


def _remaining(deadline: float | None) -> float | None:
    return None if deadline is None else max(0.0, deadline - time.monotonic())
