"""Runs the model's function calls with the client's tools and answers the model.

Per response, the runner collects the function calls (from
``response.function_call_arguments.done``; the name comes from the output item when a
beta server leaves it out), hands each to the :class:`~realtime_sync.tools.ToolExecutor`
(a worker pool: never the reader thread), and sends each result, or the model-visible
error the executor makes of an exception, a timeout, an unknown tool or bad
arguments, as a ``function_call_output`` item. When the response is done and every
call of it is answered, it asks for one new response for the batch (unless
``auto_respond`` is off). Nothing is left unanswered: a model that called a tool
always hears back.

Threads: ``on_*`` run on the reader thread, results arrive on worker threads; one
lock guards the per-response bookkeeping, sends happen outside it.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from realtime_sync import events as ev
from realtime_sync.exceptions import ConnectionClosed

__all__ = ["ToolRunner"]

logger = logging.getLogger(__name__)

# Responses whose function names are remembered while no response.done came (a
# lost connection): the oldest is forgotten past this.
_MAX_RESPONSES = 16


class _Batch:
    __slots__ = ("done", "modalities", "pending")

    def __init__(self) -> None:
        self.pending = 0
        self.done = False
        self.modalities: Any = ev.UNSET  # of the response that made the calls


class ToolRunner:
    """See the module docstring.

    Args:
        executor: Runs a call: ``submit(call_id, name, arguments, on_result)``.
        send: Sends a client event (raises when the connection is closed).
        respond: Asks for the follow-up response (through the client's sequencing),
            given the ``output_modalities`` of the response that made the calls, so
            that a text turn gets a text answer, and that response's id.
        auto_respond: Whether to call ``respond`` after each answered batch.
    """

    def __init__(
        self,
        executor: Any,
        send: Callable[[ev.ClientEvent], Any],
        respond: Callable[[Any, str], Any],
        auto_respond: bool = True,
    ) -> None:
        self._executor = executor
        self._send = send
        self._respond = respond
        self.auto_respond = auto_respond
        self._lock = threading.Lock()
        self._batches: dict[str, _Batch] = {}
        # response id -> {item id -> function name}; reader thread only. Forgotten
        # when the response is done (every output item of it is done by then), and
        # at most _MAX_RESPONSES responses whose response.done never came.
        self._names: dict[str, dict[str, str]] = {}
        self._calls: dict[str, str] = {}  # call id -> response id

    def on_output_item(
        self, event: ev.ResponseOutputItemAdded | ev.ResponseOutputItemDone
    ) -> None:
        """Remember function names by item id (beta omits ``name`` on done).

        Names are kept per response and forgotten at its ``response.done``.
        """
        item = event.item
        if (
            isinstance(item, ev.FunctionCallItem)
            and isinstance(item.id, str)
            and isinstance(item.name, str)
        ):
            rid = event.response_id if isinstance(event.response_id, str) else ""
            names = self._names.get(rid)
            if names is None:
                names = self._names[rid] = {}
                while len(self._names) > _MAX_RESPONSES:
                    del self._names[next(iter(self._names))]
            names[item.id] = item.name

    def on_arguments_done(self, event: ev.ResponseFunctionCallArgumentsDone) -> None:
        """A call is complete: run it."""
        name = (
            event.name
            if isinstance(event.name, str)
            else self._names.get(
                event.response_id if isinstance(event.response_id, str) else "", {}
            ).get(event.item_id)
        )
        call_id: Any = event.call_id  # UNSET when a lenient decode found none
        if not isinstance(call_id, str):
            logger.warning("function call without a call_id: cannot answer it")
            return
        with self._lock:
            batch = self._batches.setdefault(event.response_id, _Batch())
            batch.pending += 1
            self._calls[call_id] = event.response_id
        self._executor.submit(
            call_id,
            name if isinstance(name, str) else "",
            event.arguments if isinstance(event.arguments, str) else "",
            self._on_result,
        )

    def on_response_done(self, event: ev.ResponseDone) -> None:
        """The response ended: respond now if its calls are all answered."""
        rid = event.response.id
        if not isinstance(rid, str):
            return
        self._names.pop(rid, None)  # every output item of the response is done
        with self._lock:
            batch = self._batches.get(rid)
            if batch is None:
                return
            batch.done = True
            batch.modalities = event.response.output_modalities
            ready = batch.pending == 0
            if ready:
                del self._batches[rid]
        if ready:
            self._follow_up(batch.modalities, rid)

    def _on_result(self, call_id: str, output: str) -> None:
        # worker thread
        try:
            self._send(
                ev.ConversationItemCreate(
                    item=ev.FunctionCallOutputItem(call_id=call_id, output=output)
                )
            )
        except ConnectionClosed as exc:
            # The client closed meanwhile, maybe from this very tool (hang up).
            logger.info("the output of call %s was not sent: %s", call_id, exc)
            self._forget_call(call_id)
            return
        except Exception:
            logger.exception("could not send the output of call %s", call_id)
            self._forget_call(call_id)
            return
        with self._lock:
            rid = self._calls.pop(call_id, None)
            batch = self._batches.get(rid) if rid is not None else None
            if batch is None:
                return
            batch.pending -= 1
            ready = batch.done and batch.pending == 0
            if ready:
                del self._batches[rid]  # type: ignore[arg-type]
        if ready:
            self._follow_up(batch.modalities, rid)  # type: ignore[arg-type]

    def _forget_call(self, call_id: str) -> None:
        """The output of ``call_id`` cannot be sent: its batch can never complete."""
        with self._lock:
            rid = self._calls.pop(call_id, None)
            if rid is not None:
                self._batches.pop(rid, None)

    def _follow_up(self, modalities: Any, after: str) -> None:
        if not self.auto_respond:
            return
        if not isinstance(modalities, list):
            modalities = ev.UNSET  # the session's default
        try:
            self._respond(modalities, after)
        except Exception:
            logger.exception("could not ask for the response after tool calls")
