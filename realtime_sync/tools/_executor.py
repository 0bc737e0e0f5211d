"""Running tool calls off the reader thread: a worker pool, timeouts, one answer each.

:class:`ToolExecutor` runs each call on a ``realtime-sync-tool_N`` pool thread and
answers it exactly once, with the JSON of the result or an error object the model
can read; a ``realtime-sync-tool-timer`` thread answers the calls whose timeout
passed. No sockets here: :class:`~realtime_sync.tools._runner.ToolRunner` sends the
answers.
"""

from __future__ import annotations

import concurrent.futures
import dataclasses
import enum
import heapq
import itertools
import json
import logging
import math
import threading
import time
from collections.abc import Callable
from typing import Any

import attrs

from ._registry import ToolRegistry
from ._schema import InvalidArguments
from ._tool import Tool

__all__ = ["ToolExecutor"]

logger = logging.getLogger(__name__)


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
            # Dropped once used: a timer entry that outlives the call must not
            # keep the client (through on_result) alive until its deadline.
            on_result, self.on_result = self.on_result, _answered_already
        # on_result is user code: called outside the lock.
        try:
            on_result(self.call_id, output)
        except Exception:
            logger.exception(
                "on_result raised for tool %r (call %s)", self.name, self.call_id
            )
        return True


def _answered_already(call_id: str, output: str) -> None:
    """The ``on_result`` of a call once answered (see :meth:`_Call.answer`)."""


class _Deadlines:
    """One thread, ``realtime-sync-tool-timer``, answering calls whose timeout passed.

    Started by :meth:`schedule` when none is running; a call that finishes in time
    takes its entry out (:meth:`discard`). The thread ends once no deadline is
    pending, so that an idle executor (and a client dropped without ``close()``)
    keeps no thread.
    """

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._heap: list[tuple[float, int, _Call, str]] = []
        self._seq = itertools.count()
        self._stopped = False
        self._running = False  # a thread is in _loop and will see new entries
        self.thread: threading.Thread | None = None

    def schedule(self, deadline: float, call: _Call, output: str) -> None:
        with self._cond:
            if self._stopped:
                return
            heapq.heappush(self._heap, (deadline, next(self._seq), call, output))
            if not self._running:
                self._running = True
                self.thread = threading.Thread(
                    target=self._loop, name="realtime-sync-tool-timer", daemon=True
                )
                self.thread.start()
            self._cond.notify()

    def discard(self, call: _Call) -> None:
        """``call`` finished: forget its deadline (the thread ends if none is left)."""
        with self._cond:
            heap = [entry for entry in self._heap if entry[2] is not call]
            if len(heap) != len(self._heap):
                heapq.heapify(heap)
                self._heap = heap
                self._cond.notify()

    def _loop(self) -> None:
        while True:
            with self._cond:
                while True:
                    if self._stopped or not self._heap:
                        self._running = False
                        return
                    delay = self._heap[0][0] - time.monotonic()
                    if delay <= 0:
                        _, _, call, output = heapq.heappop(self._heap)
                        break
                    self._cond.wait(delay)
            if call.answer(output):
                logger.warning("tool %r (call %s) timed out", call.name, call.call_id)
                future = call.future
                if future is not None:
                    future.cancel()  # if still queued, it never runs

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
    ``realtime-sync-tool-timer`` thread, which runs only while a call's deadline is
    pending. ``on_result`` is called on one of these. Nothing here references the
    executor strongly from its threads once the calls are answered: an executor
    dropped without :meth:`shutdown` lets its idle pool threads end.

    Outputs (the ``output`` of the ``function_call_output`` item):

    * the JSON of the return value (see the :mod:`realtime_sync.tools` docstring);
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
            future = call.future
            if future is None or future.done():  # finished already: _forget() ran
                self._deadlines.discard(call)

    def _forget(self, call: _Call) -> None:
        with self._lock:
            self._calls.discard(call)
        self._deadlines.discard(call)
        # The future's callbacks reach this executor (and the tools, and what they
        # reference): nothing that outlives the call may hold them.
        call.future = None

    def _run(self, call: _Call, tool: Tool | None, arguments: str) -> None:
        """The pool side of a call: parse, call, serialise, answer."""
        if call.answered:
            return  # timed out while queued: the model already has its answer
        self._local.busy = True
        self._local.call = call
        try:
            call.answer(self._output(call, tool, arguments))
        finally:
            self._local.busy = False
            self._local.call = None

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
        except InvalidArguments as exc:
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

    def on_its_thread(self) -> bool:
        """Whether the calling thread is running a call (or a timeout) of this executor."""
        return (
            getattr(self._local, "busy", False)
            or threading.current_thread() is self._deadlines.thread
        )

    def shutdown(self, wait: bool = True, timeout: float | None = None) -> None:
        """Stop accepting calls, finish or cancel the pending ones, join the threads.

        With ``wait`` this waits for every call's function to return, including
        functions whose call already timed out, so a tool that never returns blocks it
        unless ``timeout`` is given. Idempotent.

        Called from one of its own threads (a tool that closes the client: a "hang
        up" tool), it cannot wait for that thread, which is busy running the caller:
        it waits for the other calls only, does not cancel or answer the caller's
        own call, and does not join the caller's thread. That thread ends by itself
        when the tool returns (its answer is then delivered to ``on_result`` as
        usual); the timer thread is joined unless it is the caller.

        Args:
            wait: Wait for running and queued calls.
            timeout: Give up waiting after this many seconds; then calls not yet
                answered get a ``cancelled`` error, queued calls never run, and a
                warning names the tools still running (their threads end when the
                functions return).
        """
        own: _Call | None = getattr(self._local, "call", None)
        on_pool_thread = own is not None
        with self._lock:
            self._closed = True
            # (Each future read now: _forget() drops it once done.)
            calls = [(c, c.future) for c in self._calls if c is not own]
        futures = [future for _, future in calls if future is not None]
        # Never waits on the timer thread: it is the one answering the timeouts.
        if wait and threading.current_thread() is not self._deadlines.thread:
            _, not_done = concurrent.futures.wait(futures, timeout=timeout)
        else:
            not_done = {future for future in futures if not future.done()}
        if not_done:
            self._pool.shutdown(wait=False, cancel_futures=True)
            still_running = []
            for call, future in calls:
                if future in not_done:
                    still_running.append(call.name)
                    call.answer(_error("the tool executor was shut down", "cancelled"))
            logger.warning(
                "tool executor shut down with calls still running: %s",
                ", ".join(sorted(set(still_running))),
            )
        else:
            # The pool joins its threads, except from one of them: that one ends
            # when its tool returns (ThreadPoolExecutor's workers stop after the
            # item at hand once the pool is shut down).
            self._pool.shutdown(wait=not on_pool_thread, cancel_futures=True)
        self._deadlines.stop()
