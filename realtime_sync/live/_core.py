"""The sans-I/O state of one Live conversation: :class:`LiveCore`.

The core is fed every decoded server event (:meth:`LiveCore.receive`) and the
client's own outgoing events that matter to it (:meth:`LiveCore.sending`). It
keeps the session as the server described it, the transcript grouped into turns
(:mod:`realtime_sync.live._turns`), the usage totals, the context appends waiting
for their ``*.appended`` acknowledgement (with their timeline position once
acknowledged), the delegations and the Responses-mode function calls of each
backend response, and what a reconnection needs to start a *new* session that
continues the conversation (:meth:`LiveCore.start_config`). It answers what should
happen as a :class:`LiveEffects` instead of doing it: it never sends, waits,
sleeps or calls user code, and imports nothing that does I/O. The threaded client
(:class:`~realtime_sync.live.LiveClient`) drives it under its lock and carries the
effects out after releasing it.

Events are recognised by their wire ``type`` and read by field name, so that the
core depends on the protocol, not on the event classes' names.
"""

from __future__ import annotations

import collections
from collections.abc import Callable, Mapping
from typing import Any

import attrs

from realtime_sync import _b64
from realtime_sync._formats import RATES
from realtime_sync.events import UNSET
from realtime_sync.exceptions import RealtimeError
from realtime_sync.live import events as lev
from realtime_sync.live._carry import MAX_INPUT_MESSAGES, CarriedOver, carry_over
from realtime_sync.live._turns import DEFAULT_TURN_GAP_MS, Turn, TurnBuilder
from realtime_sync.session import Effects

__all__ = [
    "APPEND_KINDS",
    "AppendAck",
    "Delegation",
    "LiveCore",
    "LiveEffects",
    "LiveUsage",
    "SessionEnd",
    "ToolCall",
]

#: Client append command -> its acknowledgement, and the kind's short name.
APPEND_KINDS: dict[str, tuple[str, str]] = {
    "session.instructions.append": ("session.instructions.appended", "instructions"),
    "session.thinking.append": ("session.thinking.appended", "thinking"),
    "session.commentary.append": ("session.commentary.appended", "commentary"),
}
_ACK_KIND = {ack: kind for ack, kind in APPEND_KINDS.values()}
_KIND_ACK = {kind: ack for ack, kind in APPEND_KINDS.values()}

# Delegations remembered (for transcripts and late results); the oldest go first.
_MAX_DELEGATIONS = 256
# Session-wide instruction appends remembered for a new session.
_MAX_INSTRUCTIONS = 64


@attrs.frozen(kw_only=True)
class AppendAck:
    """A context append placed on the session timeline (its ``*.appended``).

    Attributes:
        kind: ``"instructions"``, ``"thinking"`` or ``"commentary"``.
        event_id: The ``event_id`` of the append command.
        content: What was appended.
        delegation_id: The delegation it answered, or None (session-wide).
        start_ms: Timeline position where it was placed.
        end_ms: End of its placement (may equal ``start_ms``).
        event: The acknowledgement event as received.
    """

    kind: str
    event_id: str
    content: str = attrs.field(repr=False)
    delegation_id: str | None
    start_ms: int
    end_ms: int
    event: Any = attrs.field(repr=False, eq=False)


@attrs.frozen(kw_only=True)
class Delegation:
    """Work the voice model handed off (``session.delegation.created``).

    The event never carries the task text: the application works it out from
    :attr:`transcript` (the conversation up to :attr:`offset_ms`) and its own
    state.

    Attributes:
        id: The delegation id (``delegation_id`` of the answers).
        target: ``"client"``, ``"responses"`` or ``"decisions"``.
        offset_ms: Timeline position where the model delegated.
        response_id: The backend response (Responses delegation), if any.
        transcript: The turns so far (every session's), oldest first.
        session: Which session it came from (0 for the first; a delegation of
            an earlier session is answered session-wide after a reconnection).
        event: The ``session.delegation.created`` event.
    """

    id: str
    target: str
    offset_ms: int
    response_id: str | None = None
    transcript: tuple[Turn, ...] = attrs.field(repr=False, default=())
    session: int = 0
    event: Any = attrs.field(repr=False, eq=False, default=None)

    @property
    def request(self) -> str:
        """The user's words of the latest user turn before :attr:`offset_ms`."""
        for turn in reversed(self.transcript):
            if turn.role == "user" and (
                turn.session != self.session or turn.start_ms <= self.offset_ms
            ):
                return turn.text
        return ""


@attrs.frozen(kw_only=True)
class ToolCall:
    """A function call of a Responses-mode backend, for a client-side tool.

    Attributes:
        delegation_id: The delegation whose backend called it.
        call_id: The ``call_id`` to answer with ``function_call_output``.
        name: The function name.
        arguments: The JSON argument string.
    """

    delegation_id: str | None
    call_id: str
    name: str
    arguments: str


@attrs.frozen(kw_only=True)
class LiveUsage:
    """Usage of a Live conversation so far (``client.usage``).

    Attributes:
        seconds: Billable seconds of the current session, cumulative, as the
            server last reported (``session.usage.updated``, ``session.closed``);
            ``None`` before the first report.
        total_seconds: ``seconds`` plus the final seconds of the sessions that
            ended before it (reconnections start new sessions).
        context_usage_ratio: Context tokens / the model's limit, when reported.
        backend_input_tokens: Input tokens of delegated Responses backends
            (from the nested ``response.completed`` events), summed.
        backend_output_tokens: Their output tokens, summed.
        final: Whether ``seconds`` came from ``session.closed``.
    """

    seconds: float | None = None
    total_seconds: float = 0.0
    context_usage_ratio: float | None = None
    backend_input_tokens: int = 0
    backend_output_tokens: int = 0
    final: bool = False


@attrs.frozen(kw_only=True)
class SessionEnd:
    """How a Live session ended (``client.close()``'s result, ``client.ended``).

    Attributes:
        reason: ``session.closed``'s ``reason`` (``close_requested``,
            ``expired``, ``content``, ``remote_hangup``, ``connection_lost``),
            ``"finalization unconfirmed"`` when the connection closed first, or
            ``"not started"`` when no session started.
        confirmed: Whether ``session.closed`` arrived (the server finalized the
            session: usage and recording storage are settled).
        usage: The usage at the end (the final one when confirmed).
        event: The ``session.closed`` event, when it arrived.
    """

    reason: str
    confirmed: bool
    usage: LiveUsage
    event: Any = attrs.field(repr=False, eq=False, default=None)


#: ``SessionEnd.reason`` when the connection closed before ``session.closed``.
UNCONFIRMED = "finalization unconfirmed"
#: ``SessionEnd.reason`` when no session ever started (``connect()`` failed).
NOT_STARTED = "not started"


class LiveEffects(Effects):
    """:class:`~realtime_sync.session.Effects` plus what only Live has.

    Attributes:
        acks: Context appends acknowledged: ``(event_id, AppendAck)``.
        rejected: Appends the server refused: ``(event_id, error event)``
            (also in ``answered``).
        delegations: New client delegations for the ``@delegate`` handler.
        tool_calls: Function calls of Responses backends for ``@tool`` functions.
        turns: Turns that finished.
        closed: The ``session.closed`` event, when it arrived.
    """

    __slots__ = ("acks", "closed", "delegations", "rejected", "tool_calls", "turns")

    def __init__(self) -> None:
        super().__init__()
        self.acks: list[tuple[str, AppendAck]] = []
        self.rejected: list[tuple[str, Any]] = []
        self.delegations: list[Delegation] = []
        self.tool_calls: list[ToolCall] = []
        self.turns: list[Turn] = []
        self.closed: Any = None


@attrs.define
class _Append:
    kind: str
    content: str
    delegation_id: str | None
    event: Any
    session: int


@attrs.define
class _Batch:
    """The function calls of one backend response of a delegation."""

    calls: dict[str, bool] = attrs.field(factory=dict)  # call_id -> answered
    completed: bool = False
    respond_sent: bool = False


class LiveCore:
    """The Live session's state, fed events both ways (see the module docstring).

    Args:
        config: The ``session`` of ``session.start`` as a wire dict (``model``
            required); kept to start new sessions after a reconnection.
        make_event: Builds a client event from its wire dict (the client passes
            its codec's), for the events the core asks to send.
        to_wire: The wire dict of a client event (the codec's encoding), for
            the ``session.update`` fields kept for a new session.
        turn_gap_ms: See :class:`~realtime_sync.live._turns.TurnBuilder`.
        max_turns: Turns kept.
        max_input_messages: Bound of a new session's ``input``.
    """

    def __init__(
        self,
        config: Mapping[str, Any],
        make_event: Callable[[dict[str, Any]], Any],
        to_wire: Callable[[Any], dict[str, Any]],
        *,
        turn_gap_ms: int = DEFAULT_TURN_GAP_MS,
        max_turns: int | None = 1000,
        max_input_messages: int = MAX_INPUT_MESSAGES,
    ) -> None:
        if not isinstance(config.get("model"), str) or not config["model"]:
            raise ValueError("the session configuration needs a model")
        self._config = dict(config)
        self._make = make_event
        self._to_wire = to_wire
        self._max_input = max_input_messages
        #: The session as the server last described it.
        self.session_info: Any = None
        self.session_id: str | None = None
        self.started = False
        self.muted = False
        self.turns = TurnBuilder(turn_gap_ms, max_turns)
        self._updates: dict[str, Any] = {}  # session.update fields sent, merged
        self._pending: collections.OrderedDict[str, _Append] = collections.OrderedDict()
        self._instructions: collections.deque[tuple[int, int, str]] = collections.deque(
            maxlen=_MAX_INSTRUCTIONS
        )
        self._delegations: collections.OrderedDict[str, Delegation] = (
            collections.OrderedDict()
        )
        self._batches: dict[str | None, _Batch] = {}
        self._seconds: float | None = None
        self._seconds_before = 0.0
        self._ratio: float | None = None
        self._tokens_in = 0
        self._tokens_out = 0
        self._final = False
        self.closed_event: Any = None
        #: Output audio received, in ms: the output track is continuous (silence
        #: between replies), so this follows the session's timeline.
        self.output_ms = 0.0
        #: Assistant transcript fragments received, and ``output_ms`` at the last.
        self.assistant_deltas = 0
        self.last_assistant_output_ms = 0.0
        #: Context appends the last reconnection sent again.
        self.resent = 0
        #: The client events :meth:`sending` wants to see (the driver takes its
        #: lock only for these): the context appends and ``session.update``.
        self.sending_types: frozenset[type] = frozenset(
            {
                lev.SessionInstructionsAppend,
                lev.SessionThinkingAppend,
                lev.SessionCommentaryAppend,
                lev.SessionUpdate,
            }
        )
        self._steps: dict[str, Callable[[Any], LiveEffects | None]] = {
            "session.started": self._on_started,
            "session.updated": self._on_updated,
            "session.closed": self._on_closed,
            "session.input_transcript.delta": self._on_input_transcript,
            "session.output_transcript.delta": self._on_output_transcript,
            "session.instructions.appended": self._on_appended,
            "session.thinking.appended": self._on_appended,
            "session.commentary.appended": self._on_appended,
            "session.delegation.created": self._on_delegation,
            "response.event": self._on_response_event,
            "session.usage.updated": self._on_usage,
            "session.input_audio.muted": self._on_muted,
            "session.input_audio.unmuted": self._on_unmuted,
            "error": self._on_error,
            "session.output_audio.delta": self._on_output_audio,
        }

    # -- reading -----------------------------------------------------------------

    @property
    def config(self) -> dict[str, Any]:
        """The configuration of the next ``session.start`` (updates merged in)."""
        return {**self._config, **self._updates}

    def input_format(self) -> str:
        """The session's audio format type (``audio/pcm``, ``audio/pcmu``, ...)."""
        fmt = _format_of(self.session_info) or _format_of(self._config)
        kind = fmt.get("type") if fmt else None
        return kind if isinstance(kind, str) and kind in RATES else "audio/pcm"

    def sample_rate(self) -> int:
        """The session's audio sample rate (both directions)."""
        fmt = _format_of(self.session_info) or _format_of(self._config)
        rate = fmt.get("rate") if fmt else None
        if isinstance(rate, int) and not isinstance(rate, bool) and rate > 0:
            return rate
        return RATES[self.input_format()]

    @property
    def usage(self) -> LiveUsage:
        """The usage totals so far."""
        seconds = self._seconds
        return LiveUsage(
            seconds=seconds,
            total_seconds=self._seconds_before + (seconds or 0.0),
            context_usage_ratio=self._ratio,
            backend_input_tokens=self._tokens_in,
            backend_output_tokens=self._tokens_out,
            final=self._final,
        )

    def delegation(self, delegation_id: str) -> Delegation | None:
        """The delegation of that id, if remembered."""
        return self._delegations.get(delegation_id)

    def answerable_id(self, delegation_id: str | None) -> str | None:
        """The ``delegation_id`` to send an answer with in the current session.

        A delegation of an earlier session (before a reconnection) does not exist
        in the new one: its answers go session-wide (None).
        """
        if delegation_id is None:
            return None
        known = self._delegations.get(delegation_id)
        if known is not None and known.session != self.turns.session:
            return None
        return delegation_id

    @property
    def pending_appends(self) -> int:
        """Context appends sent and not acknowledged yet."""
        return len(self._pending)

    def end(self, confirmed: bool) -> SessionEnd:
        """How the session ended, for ``close()``."""
        closed = self.closed_event
        if confirmed and closed is not None:
            reason = getattr(closed, "reason", None)
            return SessionEnd(
                reason=reason if isinstance(reason, str) else "unknown",
                confirmed=True,
                usage=self.usage,
                event=closed,
            )
        if self.session_id is None:
            return SessionEnd(reason=NOT_STARTED, confirmed=False, usage=self.usage)
        return SessionEnd(reason=UNCONFIRMED, confirmed=False, usage=self.usage)

    # -- the client's events -----------------------------------------------------

    def sending(self, event: Any, *, held: bool = False) -> None:
        """The client is sending ``event`` (or holding it for a new session)."""
        kind = APPEND_KINDS.get(event.type)
        if kind is not None and isinstance(event.event_id, str):
            self._pending[event.event_id] = _Append(
                kind[1],
                str(getattr(event, "content", "")),
                _str(getattr(event, "delegation_id", None)),
                event,
                self.turns.session,
            )
            return
        if event.type == "session.update":
            session = self._to_wire(event).get("session")
            update = session if isinstance(session, dict) else {}
            for key in ("delegation", "triggers"):
                if key in update:
                    base = self._updates.get(key, self._config.get(key))
                    self._updates[key] = _merge(base, update[key])

    def resending(self, event: Any) -> None:
        """A held event is written to the new session."""
        self.sending(event, held=True)

    def withdraw(self, event: Any) -> None:
        """An event given to :meth:`sending` was not sent after all."""
        if isinstance(event.event_id, str):
            self._pending.pop(event.event_id, None)

    def take_uncommitted(self) -> tuple[list[Any], int]:
        """What the lost session had and must be sent again to the new one.

        The context appends it never acknowledged; those answering a delegation
        of the lost session go session-wide (the new session does not know the
        delegation). Input audio is not sent again: the new session gets the
        transcript instead (:meth:`start_config`).

        Returns:
            The events, oldest first, and ``0`` ms of audio lost.
        """
        events = []
        for event_id, pending in list(self._pending.items()):
            event = pending.event
            if pending.delegation_id is not None:
                event = attrs.evolve(event, delegation_id=None)
                pending.delegation_id = None
                pending.event = event
            events.append(event)
            del self._pending[event_id]
        self.resent = len(events)
        return events, 0

    def rebind(self, event: Any) -> Any:
        """``event`` as it may go to the current session (a held event).

        An append answering a delegation of an earlier session goes session-wide
        (``delegation_id`` None): the new session does not know the delegation.
        """
        if event.type not in APPEND_KINDS:
            return event
        delegation_id = _str(getattr(event, "delegation_id", None))
        if delegation_id is None or self.answerable_id(delegation_id) is not None:
            return event
        event = attrs.evolve(event, delegation_id=None)
        pending = self._pending.get(event.event_id)
        if pending is not None:
            pending.delegation_id = None
            pending.event = event
        return event

    # -- new sessions ------------------------------------------------------------

    def start_config(self) -> tuple[dict[str, Any], CarriedOver | None]:
        """The ``session`` of the next ``session.start``.

        The first session gets the configuration as given; a later one (a
        reconnection) gets it with the updates merged and, in ``input``, the
        configured messages followed by the conversation so far (newest kept).

        Returns:
            The session dict, and what was carried over (None the first time).
        """
        config = self.config
        if self.turns.session == 0 and not self.turns.turns():
            return config, None
        configured = config.get("input")
        messages, carried = carry_over(
            list(configured) if isinstance(configured, list) else [],
            self.turns.turns(),
            list(self._instructions),
            self._max_input,
        )
        config["input"] = messages
        return config, carried

    def new_connection(self) -> None:
        """A reconnection's channel replaced the lost one: a new session follows."""
        self.started = False
        self.muted = False

    def session_lost(self, exc: BaseException, held: frozenset[str]) -> LiveEffects:
        """The connection was lost and a reconnection starts a new session."""
        out = LiveEffects()
        out.turns.extend(self.turns.end_session())
        self._session_over()
        return out

    def fail_all(self, exc: BaseException) -> LiveEffects:
        """The client is closing (or closed): nothing pending will be answered."""
        out = LiveEffects()
        if self.started:
            out.turns.extend(self.turns.end_session())
            self._session_over()
        self._batches.clear()
        return out

    def _session_over(self) -> None:
        self.started = False
        self._seconds_before += self._seconds or 0.0
        self._seconds = None
        self._batches.clear()

    # -- server events -----------------------------------------------------------

    def receive(self, event: Any) -> LiveEffects | None:
        """Feed one decoded server event; return what to do, if anything."""
        step = self._steps.get(event.type)
        return step(event) if step is not None else None

    def _on_started(self, event: Any) -> LiveEffects:
        self.session_info = event.session
        self.session_id = _str(getattr(event.session, "id", None))
        self.started = True
        self._final = False
        self.closed_event = None
        out = LiveEffects()
        out.session_created = True
        return out

    def _on_updated(self, event: Any) -> None:
        self.session_info = event.session

    def _on_closed(self, event: Any) -> LiveEffects:
        self.closed_event = event
        session = getattr(event, "session", None)
        if session is not None:
            self.session_info = session
        self._read_usage(getattr(event, "usage", None))
        self._final = True
        out = LiveEffects()
        out.closed = event
        out.turns.extend(self.turns.end_session())
        self.started = False
        return out

    def _on_input_transcript(self, event: Any) -> LiveEffects | None:
        return self._transcript("user", event)

    def _on_output_transcript(self, event: Any) -> LiveEffects | None:
        return self._transcript("assistant", event)

    def _on_output_audio(self, event: Any) -> None:
        delta = getattr(event, "delta", None)
        if isinstance(delta, str):
            self.output_ms += _b64.decoded_size(delta) * 1000.0 / self._output_rate()

    def _output_rate(self) -> int:
        """Bytes of output audio per second (one byte a sample for G.711)."""
        rate = self.sample_rate()
        return rate if self.input_format() in ("audio/pcmu", "audio/pcma") else 2 * rate

    def _transcript(self, role: str, event: Any) -> LiveEffects | None:
        delta = getattr(event, "delta", None)
        if not isinstance(delta, str):
            return None
        if role == "assistant":
            self.assistant_deltas += 1
            self.last_assistant_output_ms = self.output_ms
        start = _ms(getattr(event, "start_ms", None))
        end = _ms(getattr(event, "end_ms", None), start)
        finished = self.turns.add(role, delta, start, end)
        if not finished:
            return None
        out = LiveEffects()
        out.turns.extend(finished)
        return out

    def _on_appended(self, event: Any) -> LiveEffects | None:
        kind = _ACK_KIND[event.type]
        owner = _str(getattr(event, "client_event_id", None))
        pending = self._pending.get(owner) if owner is not None else None
        if pending is None:
            # No echo: the oldest append of that kind (the timeline keeps order).
            owner = next((i for i, p in self._pending.items() if p.kind == kind), None)
            pending = self._pending.get(owner) if owner is not None else None
        if owner is None or pending is None:
            return None
        del self._pending[owner]
        start = _ms(getattr(event, "start_ms", None))
        ack = AppendAck(
            kind=kind,
            event_id=owner,
            content=pending.content,
            delegation_id=pending.delegation_id,
            start_ms=start,
            end_ms=_ms(getattr(event, "end_ms", None), start),
            event=event,
        )
        if kind == "instructions" and pending.delegation_id is None:
            self._instructions.append((self.turns.session, start, pending.content))
        out = LiveEffects()
        out.acks.append((owner, ack))
        return out

    def _on_delegation(self, event: Any) -> LiveEffects | None:
        info = getattr(event, "delegation", None)
        delegation_id = _str(getattr(info, "id", None))
        if delegation_id is None:
            return None
        target = _str(getattr(info, "target", None)) or "client"
        delegation = Delegation(
            id=delegation_id,
            target=target,
            offset_ms=_ms(getattr(event, "offset_ms", None)),
            response_id=_str(getattr(info, "response_id", None)),
            transcript=tuple(self.turns.turns()),
            session=self.turns.session,
            event=event,
        )
        self._delegations[delegation_id] = delegation
        while len(self._delegations) > _MAX_DELEGATIONS:
            self._delegations.popitem(last=False)
        if target != "client":
            return None
        out = LiveEffects()
        out.delegations.append(delegation)
        return out

    def _on_response_event(self, event: Any) -> LiveEffects | None:
        nested = getattr(event, "event", None)
        kind = _field(nested, "type")
        delegation_id = _str(getattr(event, "delegation_id", None))
        if kind == "response.created":
            self._batches[delegation_id] = _Batch()
            return None
        if kind == "response.output_item.done":
            item = _field(nested, "item")
            if _field(item, "type") != "function_call":
                return None
            call_id, name = _field(item, "call_id"), _field(item, "name")
            if not isinstance(call_id, str) or not isinstance(name, str):
                return None
            arguments = _field(item, "arguments")
            batch = self._batches.setdefault(delegation_id, _Batch())
            batch.calls[call_id] = False
            out = LiveEffects()
            out.tool_calls.append(
                ToolCall(
                    delegation_id=delegation_id,
                    call_id=call_id,
                    name=name,
                    arguments=arguments if isinstance(arguments, str) else "",
                )
            )
            return out
        if kind in ("response.completed", "response.done", "response.incomplete"):
            self._read_tokens(_field(nested, "response"))
            done = self._batches.get(delegation_id)
            if done is None:
                return None
            done.completed = True
            return self._maybe_respond(delegation_id, done)
        return None

    def tool_answered(self, delegation_id: str | None, call_id: str) -> LiveEffects:
        """A ``function_call_output`` for ``call_id`` was sent.

        Once every call of the backend response is answered and that response
        completed, the effects carry the ``response.create`` that asks the
        backend to go on.
        """
        batch = self._batches.get(delegation_id)
        if batch is None or call_id not in batch.calls:
            return LiveEffects()
        batch.calls[call_id] = True
        return self._maybe_respond(delegation_id, batch) or LiveEffects()

    def _maybe_respond(
        self, delegation_id: str | None, batch: _Batch
    ) -> LiveEffects | None:
        if (
            not batch.completed
            or batch.respond_sent
            or not batch.calls
            or not all(batch.calls.values())
        ):
            return None
        batch.respond_sent = True
        self._batches.pop(delegation_id, None)
        out = LiveEffects()
        out.send.append(self._make({"type": "response.create"}))
        return out

    def _on_usage(self, event: Any) -> None:
        self._read_usage(getattr(event, "usage", None))
        ratio = _field(getattr(event, "context_window", None), "usage_ratio")
        if isinstance(ratio, (int, float)) and not isinstance(ratio, bool):
            self._ratio = float(ratio)

    def _on_muted(self, event: Any) -> None:
        self.muted = True

    def _on_unmuted(self, event: Any) -> None:
        self.muted = False

    def _on_error(self, event: Any) -> LiveEffects | None:
        err = getattr(event, "error", None)
        failed = _str(_field(err, "client_event_id")) or _str(
            getattr(event, "client_event_id", None)
        )
        out = LiveEffects()
        if failed is None:
            message = _field(err, "message")
            out.report.append(
                _server_error(
                    message if isinstance(message, str) else "server error", event
                )
            )
            return out
        if self._pending.pop(failed, None) is not None:
            out.rejected.append((failed, event))
        out.answered.append((failed, event))
        return out

    def _read_usage(self, usage: Any) -> None:
        seconds = _field(usage, "seconds")
        if isinstance(seconds, (int, float)) and not isinstance(seconds, bool):
            self._seconds = float(seconds)

    def _read_tokens(self, response: Any) -> None:
        usage = _field(response, "usage")
        tokens_in, tokens_out = (
            _field(usage, "input_tokens"),
            _field(usage, "output_tokens"),
        )
        if isinstance(tokens_in, int) and not isinstance(tokens_in, bool):
            self._tokens_in += tokens_in
        if isinstance(tokens_out, int) and not isinstance(tokens_out, bool):
            self._tokens_out += tokens_out


def _server_error(message: str, event: Any) -> RealtimeError:
    from realtime_sync.exceptions import ServerError

    return ServerError(message, event=event)


def _field(obj: Any, name: str) -> Any:
    """``obj.name`` or ``obj[name]``; an unknown model's ``data`` when it lacks it.

    Nested Responses events are typed where known, an ``UnknownModel`` (its JSON
    in ``data``) otherwise; objects inside them are dicts.
    """
    if isinstance(obj, Mapping):
        return obj.get(name)
    value = getattr(obj, name, None)
    if value is None or _is_unset(value):
        data = getattr(obj, "data", None)
        if isinstance(data, Mapping):
            return data.get(name)
        return None
    return value


def _is_unset(value: Any) -> bool:
    return value is UNSET


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _ms(value: Any, default: int = 0) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return default
    return int(value)


def _format_of(session: Any) -> dict[str, Any] | None:
    audio = _field(session, "audio")
    fmt = _field(audio, "format")
    if fmt is None:
        return None
    if isinstance(fmt, Mapping):
        return dict(fmt)
    return {"type": getattr(fmt, "type", None), "rate": getattr(fmt, "rate", None)}


def _merge(old: Any, new: Any) -> Any:
    """Merge a sparse update into what was sent before (objects field by field)."""
    if isinstance(old, Mapping) and isinstance(new, Mapping):
        merged = dict(old)
        for key, value in new.items():
            merged[key] = _merge(merged.get(key), value)
        return merged
    return new
