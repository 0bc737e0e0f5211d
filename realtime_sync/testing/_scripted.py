"""Responders for users' own tests: a scripted server and a recording replayer.

:class:`ScriptedResponder` plays the server step by step, the way a test body would
(paho's ``FakeBroker``): each step expects one client event and answers with the
server events the test chose::

    script = (
        ScriptedResponder()
        .expect("session.update")
        .emit({"type": "session.updated", "session": {"type": "realtime"}})
        .expect(ev.ConversationItemCreate, lambda e: e.item.role == "user")
        .emit(ev.ConversationItemAdded(event_id="e1", item=...))
    )
    with MockRealtimeServer(responder_factory=lambda: script) as server:
        ...  # drive the client under test
    script.assert_done()

:class:`ReplayResponder` sends the server frames of a recording, verbatim and in
order, optionally with the recorded timing.

Both run on the server's connection threads; their state is guarded by their own
lock, so :meth:`ScriptedResponder.assert_done` may be called from the test thread.
"""

from __future__ import annotations

import itertools
import json
import math
import os
import threading
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import attrs

from realtime_sync.events import (
    ClientEvent,
    Error,
    RealtimeError,
    ServerEvent,
    UnknownClientEvent,
)
from realtime_sync.protocol.codec import Codec, Dialect
from realtime_sync.testing._faults import RawFrame
from realtime_sync.testing._responder import Responder

__all__ = ["RawFrame", "ReplayResponder", "ScriptedResponder"]


Expectation = str | type[ClientEvent]
EventLike = ServerEvent | dict[str, Any]


@attrs.define
class _Step:
    expected: Expectation
    predicate: Callable[[Any], bool] | None
    emits: list[ServerEvent] = attrs.field(factory=list)

    def describe(self) -> str:
        name = (
            self.expected
            if isinstance(self.expected, str)
            else getattr(self.expected, "TYPE", self.expected.__name__)
        )
        return f"{name!s}" + (" matching the predicate" if self.predicate else "")

    def matches(self, event: ClientEvent) -> bool:
        if isinstance(self.expected, str):
            if _wire_type(event) != self.expected:
                return False
        elif not isinstance(event, self.expected):
            return False
        return self.predicate is None or bool(self.predicate(event))


def _wire_type(event: ClientEvent) -> str:
    return event.type if isinstance(event, UnknownClientEvent) else event.TYPE


class ScriptedResponder(Responder):
    """A server that follows a script: expect a client event, emit server events.

    Steps run in order. A client event that matches the current step's expectation
    completes it and the step's events are sent. Any other client event (or one
    after the script ended) is a failure: it is recorded for :meth:`assert_done`
    and answered with an ``error`` (code ``unexpected_event``, the client's
    ``event_id`` in ``error.event_id``); the script stays on the same step.

    Args:
        dialect: The dialect of the default ``session.created`` (see
            :class:`Responder`); the server's codec still decides the wire format.
        on_connect: The events sent when the client connects; by default the
            ``session.created`` (and for beta ``conversation.created``) that
            :class:`Responder` would send.
        ignore: Client event types (GA names) that are neither steps nor failures,
            e.g. ``("input_audio_buffer.append",)``.

    Server events may be given as event objects or as GA wire dicts (decoded with
    the GA codec; a missing ``event_id`` is filled in with ``event_script_N``).
    """

    def __init__(
        self,
        dialect: Dialect = "ga",
        *,
        on_connect: Sequence[EventLike] | None = None,
        ignore: Iterable[str] = (),
    ) -> None:
        super().__init__(dialect)
        self._codec = Codec("ga")
        self._ids = itertools.count(1)
        self._cond = threading.Condition()
        self._on_connect = (
            None if on_connect is None else [self._event(e) for e in on_connect]
        )
        self._after_connect: list[ServerEvent] = []
        self._ignore = frozenset(ignore)
        self._steps: list[_Step] = []
        self._position = 0
        self._failures: list[str] = []
        self._seen: list[ClientEvent] = []

    # -- building the script -----------------------------------------------------------

    def expect(
        self,
        event: Expectation,
        predicate: Callable[[Any], bool] | None = None,
    ) -> ScriptedResponder:
        """Add a step: the next client event must be ``event``.

        Args:
            event: A GA wire type (``"session.update"``) or a client event class
                (``ev.ConversationItemCreate``).
            predicate: Also required to return true for the event.

        Returns:
            The script, for chaining.

        Raises:
            TypeError: ``event`` is neither a string nor a client event class.
        """
        if not isinstance(event, str) and not (
            isinstance(event, type) and issubclass(event, ClientEvent)
        ):
            raise TypeError(
                f"expected a type string or a client event class, not {event!r}"
            )
        with self._cond:
            self._steps.append(_Step(expected=event, predicate=predicate))
        return self

    def emit(self, *events: EventLike) -> ScriptedResponder:
        """Add server events to the last step (before any step: sent on connect).

        Args:
            events: Server events, as objects or GA wire dicts.

        Returns:
            The script, for chaining.

        Raises:
            ProtocolError: A dict is not a valid server event.
        """
        decoded = [self._event(e) for e in events]
        with self._cond:
            if self._steps:
                self._steps[-1].emits.extend(decoded)
            else:
                self._after_connect.extend(decoded)
        return self

    def _event(self, event: EventLike) -> ServerEvent:
        if isinstance(event, dict):
            data = dict(event)
            data.setdefault("event_id", f"event_script_{next(self._ids)}")
            return self._codec.decode_server(json.dumps(data))
        if not isinstance(event, ServerEvent):
            raise TypeError(f"expected a server event or a dict, not {event!r}")
        return event

    # -- checking ----------------------------------------------------------------------

    @property
    def done(self) -> bool:
        """Whether every step has been matched and nothing unexpected arrived."""
        with self._cond:
            return self._position == len(self._steps) and not self._failures

    @property
    def received(self) -> list[ClientEvent]:
        """The client events seen so far (ignored types excluded), in order."""
        with self._cond:
            return list(self._seen)

    def wait_done(self, timeout: float = 5.0) -> None:
        """Wait until every step has been matched.

        Args:
            timeout: Seconds to wait.

        Raises:
            TimeoutError: Steps are still unmet after ``timeout``.
        """
        with self._cond:
            if not self._cond.wait_for(
                lambda: self._position == len(self._steps), timeout
            ):
                raise TimeoutError(
                    f"script step {self._position + 1} of {len(self._steps)} "
                    f"({self._steps[self._position].describe()}) not reached within "
                    f"{timeout} s"
                )

    def assert_done(self) -> None:
        """Fail unless every step was matched and no unexpected event arrived.

        Raises:
            AssertionError: Listing the unexpected events and the unmet steps.
        """
        with self._cond:
            problems = list(self._failures)
            problems += [
                f"step {i + 1}: expected {step.describe()}, never received"
                for i, step in enumerate(self._steps)
                if i >= self._position
            ]
        if problems:
            raise AssertionError("script not completed:\n" + "\n".join(problems))

    # -- the Responder interface -------------------------------------------------------

    def start(self) -> list[ServerEvent]:
        """The on-connect events, then the events emitted before the first step."""
        with self._cond:
            first = (
                list(self._on_connect)
                if self._on_connect is not None
                else super().start()
            )
            return first + list(self._after_connect)

    def handle(self, event: ClientEvent) -> list[ServerEvent]:
        """Match ``event`` against the current step.

        Returns:
            The step's events, ``[]`` for an ignored type, or an ``error`` for an
            unexpected event.

        Raises:
            TypeError: ``event`` is not a client event.
        """
        if not isinstance(event, ClientEvent):
            raise TypeError(f"expected a client event, not {type(event).__name__}")
        wire_type = _wire_type(event)
        if wire_type in self._ignore:
            return []
        with self._cond:
            self._seen.append(event)
            if self._position < len(self._steps):
                step = self._steps[self._position]
                if step.matches(event):
                    self._position += 1
                    self._cond.notify_all()
                    return list(step.emits)
                problem = (
                    f"step {self._position + 1}: expected {step.describe()}, "
                    f"got {wire_type}"
                )
            else:
                problem = f"unexpected {wire_type} after the script ended"
            self._failures.append(problem)
        client_id = event.event_id if isinstance(event.event_id, str) else None
        return [
            Error(
                event_id=f"event_script_{next(self._ids)}",
                error=RealtimeError(
                    type="invalid_request_error",
                    code="unexpected_event",
                    message=f"ScriptedResponder: {problem}.",
                    param=None,
                    event_id=client_id,
                ),
            )
        ]


class ReplayResponder(Responder):
    """A server that replays the server frames of a recording.

    The recording is JSON lines, one frame each: ``{"t": <monotonic seconds>,
    "dir": "recv" | "send", "frame": "<text>"}``, where ``recv`` means received by
    the client, i.e. sent by the server. The ``recv`` frames are sent verbatim, in
    order, from the moment the client connects; client events are accepted and
    ignored (they are still in :attr:`MockRealtimeServer.received`).

    Args:
        path: The recording file.
        paced: Wait between frames as long as the recording did (``t``
            differences, divided by ``speed``); else send them at once.
        speed: Playback speed when ``paced``.

    Raises:
        OSError: The file cannot be read.
        ValueError: A line is not a valid record, or ``speed`` is not positive.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        paced: bool = False,
        speed: float = 1.0,
    ) -> None:
        super().__init__()
        if not speed > 0 or math.isinf(speed):
            raise ValueError("speed must be a positive number")
        self._lock = threading.Lock()
        frames: list[RawFrame] = []
        last: float | None = None
        with open(path, encoding="utf-8") as handle:
            for number, line in enumerate(handle, 1):
                if not line.strip():
                    continue
                try:
                    record = json.loads(line)
                    t, direction, text = record["t"], record["dir"], record["frame"]
                except (ValueError, KeyError, TypeError) as exc:
                    raise ValueError(f"{path}:{number}: not a frame record") from exc
                if (
                    direction not in ("recv", "send")
                    or not isinstance(text, str)
                    or not isinstance(t, (int, float))
                ):
                    raise ValueError(f"{path}:{number}: not a frame record")
                if direction != "recv":
                    continue
                delay = 0.0
                if paced and last is not None:
                    delay = max(0.0, (t - last) / speed)
                last = t
                frames.append(RawFrame(text=text, delay=delay))
        self._frames = frames
        self._next = 0

    @property
    def frames(self) -> list[RawFrame]:
        """The server frames of the recording, in order."""
        return list(self._frames)

    @property
    def remaining(self) -> int:
        """Frames not sent yet."""
        with self._lock:
            return len(self._frames) - self._next

    @property
    def active_responses(self) -> list[str]:
        """``["replay"]`` while frames remain (so the server keeps pulling)."""
        return ["replay"] if self.remaining else []

    def start(self) -> list[ServerEvent]:
        """Nothing: the recording's own first frames are the greeting."""
        return []

    def handle(self, event: ClientEvent) -> list[ServerEvent]:
        """Ignore client events.

        Returns:
            ``[]``.
        """
        return []

    def next_frame(self) -> ServerEvent | RawFrame | None:
        """The next recorded frame, or ``None`` at the end."""
        with self._lock:
            if self._next >= len(self._frames):
                return None
            frame = self._frames[self._next]
            self._next += 1
            return frame
