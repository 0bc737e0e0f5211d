"""What the session core asks its driver to do: :class:`Effects`.

The core never sends, wakes or calls anything itself. Each call that can cause
something returns (or fills) an :class:`Effects`; the threaded client carries it out
after releasing its lock, in this order: send the events, settle the handles,
deliver the events to handlers and waiters, call the conversation callbacks, then
the interruption handlers.
"""

from __future__ import annotations

from typing import Any, Protocol

from realtime_sync import events as ev
from realtime_sync.exceptions import RealtimeError
from realtime_sync.session._response import Response

__all__ = ["Effects", "Pending"]


class Pending(Protocol):
    """A caller's handle on a requested response, as the core sees it.

    The core reads ``request_id``, sets ``response_id`` once the server created the
    response, and asks its driver (through :class:`Effects`) to resolve or fail it.
    """

    request_id: str
    response_id: str | None


class Effects:
    """What should happen after one input to the session core.

    Attributes:
        send: Client events to send, in order (barge-in's truncate or cancel, ...).
        requests: ``response.create`` requests that may go now ``(handle, event)``;
            if sending one fails, tell the core with ``request_failed(handle)``.
        resolved: Handles whose response finished, with the result.
        failed: Handles that failed, with the error to raise from ``wait()``.
        withhold: The event fed is not for handlers and waiters (audio of a
            response that barge-in interrupted).
        extra: Events synthesized for the beta dialect, delivered after it.
        changes: Conversation changes for :meth:`Conversation.notify`.
        interruption: What barge-in did, for ``on_interrupt`` handlers.
        answered: ``(event_id, error event)``: the server refused one of our
            events that nobody in the core was waiting for (blocking helpers may be).
        session_created: The session was created (``connect()`` may return).
        report: Errors for the ``on_error`` handlers (logged as warnings too).
    """

    __slots__ = (
        "answered",
        "changes",
        "extra",
        "failed",
        "interruption",
        "report",
        "requests",
        "resolved",
        "send",
        "session_created",
        "withhold",
    )

    def __init__(self) -> None:
        self.send: list[ev.ClientEvent] = []
        self.requests: list[tuple[Pending, ev.ResponseCreate]] = []
        self.resolved: list[tuple[Pending, Response]] = []
        self.failed: list[tuple[Pending, BaseException]] = []
        self.withhold = False
        self.extra: list[ev.ServerEvent] = []
        self.changes: list[Any] = []
        self.interruption: Any = None
        self.answered: list[tuple[str, ev.Error]] = []
        self.session_created = False
        self.report: list[RealtimeError] = []
