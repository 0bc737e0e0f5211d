"""The mock Live server's behaviour as a plain object: client events in, server events out.

:class:`LiveResponder` is what the mock server (``MockRealtimeServer(api="live")``, or
any connection to ``/v1/live/sessions``) and ``InMemoryTransport(api="live")`` run for
each Live connection. It simulates what LIVE_PROTOCOL.md §13 lists, deterministically:

* **Silent until ``session.start``**; any other command before it is refused
  (``session_not_started``, a mock choice). The configuration is checked like the
  service's strict schema (:mod:`._live_session`: ``unknown_parameter`` naming the
  field, ``invalid_model``, bad formats and voices, ...); a refused start leaves the
  connection open for another ``session.start``. A valid one gets
  ``session.started`` with the defaults filled in and ``client_event_id``.
* **A timeline driven by input audio, never the wall clock**: every
  ``session.input_audio.append`` advances it by the audio's duration, and
  everything else happens when the timeline passes it. Stop sending audio and the
  session stands still, as the real one does.
* **A scripted voice model**: an energy detector finds the user's turns (speech,
  then ``end_silence_ms`` of silence); each turn is transcribed
  (``session.input_transcript.delta`` on a ``grid_ms`` grid; the text of a
  :func:`~realtime_sync.testing.synth_speech` marker, else ``[speech 1.2 s]``) and
  answered: ``You said: <text>.`` spoken as ``session.output_audio.delta`` chunks
  of ``chunk_ms`` (no ``event_id``) with ``session.output_transcript.delta`` on the
  grid. The output track is continuous: silent chunks when idle, one chunk per
  ``chunk_ms`` of timeline.
* **Context appends** (instructions, thinking, commentary) are acknowledged with
  ``*.appended`` (``start_ms``/``end_ms`` on the timeline) once the timeline passes
  them (``ack_delay_ms`` after they arrive); commentary is spoken.
* **Delegation**, when the user's words contain one of ``delegate_keywords`` (or
  name a function tool of a Responses backend): ``session.delegation.created``
  (``offset_ms`` = the turn's end) and a spoken "Sure, one moment.". Client mode:
  a ``session.commentary.append`` with that ``delegation_id`` is spoken when
  acknowledged. Responses mode: the backend's events arrive in ``response.event``
  envelopes in the captured order (``response.created``, ``output_item.added``
  function call, arguments delta and done, ``output_item.done``,
  ``response.completed`` with ``output: []``); after ``response.item.create``
  (``function_call_output``) and ``response.create``, a second backend response
  streams ``The tool returned: <output>.`` as text and the voice speaks it (the
  continuation reuses the delegation id; no new ``delegation.created``). Without a
  function tool, the backend answers in text at once. Decisions mode and
  ``decision.create``: a ``decision.event`` with a deterministic answer per
  question. ``response.*`` commands under client delegation are refused with the
  captured message.
* ``session.usage.updated`` every ``usage_interval_ms`` of timeline (cumulative
  whole seconds); ``session.update`` (delegation settings and triggers; changing
  the delegation type is ``immutable_field_update``); mute/unmute (a muted
  session hears silence; its timeline goes on); audio fixtures; ``session.close``
  -> ``session.closed`` (``close_requested``, the session, the final usage), then
  the server closes the socket (1000).
* **Faults** (:class:`LiveFaults`, on the timeline): an ``error`` right after
  ``session.started`` or instead of it, a drop without ``session.closed``, a close
  with a recoverable code (1011, 1012) without ``session.closed``, and
  ``session.closed`` with ``expired`` or ``content``.

* **Sideband and forks** (:mod:`._live_sideband`): a sideband attached to the
  session's id sees its events and reflections and may send commands; a
  ``store: true`` session can be forked (``fork_of``): the fork inherits its
  configuration and conversation.

Not simulated: WebRTC and SIP (no ``transport.*`` events, no pause/resume);
barge-in only with ``barge_in=True`` (by default the mock finishes speaking).
Transcript triggers fire once per user turn or spoken answer (on its last delta),
not on every delta.

Not thread-safe: the server calls it under its connection's lock.
"""

from __future__ import annotations

import binascii
import collections
import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import attrs
import numpy as np

from realtime_sync import _b64
from realtime_sync.events._base import UNSET, UnknownModel
from realtime_sync.live import events as lv
from realtime_sync.testing._apis import CloseFrame
from realtime_sync.testing._base import _Rejected
from realtime_sync.testing._live_backend import _LiveBackendMixin
from realtime_sync.testing._live_base import (
    _client_id,
    _FixtureDone,
    _Segment,
    you_said,
)
from realtime_sync.testing._live_session import (
    MAX_APPEND_CHARS,
    check_start,
    check_update,
    fork_config,
    resolve,
)
from realtime_sync.testing._live_sideband import (
    _SidebandHost,
    find_stored,
    new_session_id,
    register_session,
    store_session,
)
from realtime_sync.testing._synth import (
    find_marker,
)
from realtime_sync.testing._vad import threshold_dbfs, voiced_windows

__all__ = ["LiveFaults", "LiveResponder"]

_WINDOW_MS = 20
_LEVEL_DBFS = threshold_dbfs(0.5)
_MAX_HEARD_MS = 60_000  # input kept for the transcriber between two turns
_MAX_FIXTURE_MS = 30_000
_CLIENT_TYPES = tuple(sorted(lv.PRIMARY_CLIENT_TYPES))


@attrs.frozen(kw_only=True)
class LiveFaults:
    """Faults a :class:`LiveResponder` injects, on its timeline (ms of input audio).

    Attributes:
        refuse_start: ``(code, message)``: answer ``session.start`` with this
            ``error`` instead of ``session.started`` (``credit_balance_exhausted``,
            ``invalid_model``).
        error_after_start: ``(code, message)``: an ``error`` right after
            ``session.started``; the session goes on.
        drop_at_ms: Drop the connection (no close frame, no ``session.closed``)
            when the timeline reaches this.
        close_at_ms: ``(ms, code)``: close the socket with this code (1011, 1012,
            ...) without ``session.closed``.
        end_at_ms: ``(ms, reason)``: ``session.closed`` with this reason
            (``expired``, ``content``), then close 1000.
    """

    refuse_start: tuple[str, str] | None = None
    error_after_start: tuple[str, str] | None = None
    drop_at_ms: float | None = None
    close_at_ms: tuple[float, int] | None = None
    end_at_ms: tuple[float, str] | None = None


@attrs.define
class _Append:
    """A context append waiting for the timeline."""

    event: (
        lv.SessionInstructionsAppend
        | lv.SessionThinkingAppend
        | lv.SessionCommentaryAppend
    )
    due_ms: int


class LiveResponder(_LiveBackendMixin, _SidebandHost):
    """The behaviour of a mock Live server for one session, without a socket.

    Feed it client events with :meth:`handle`; it returns the server events a real
    server would send (and a :class:`~realtime_sync.testing._apis.CloseFrame` where
    the server ends the connection). See the module docstring for what it simulates.
    Ids are deterministic counters (``event_0001``, ``live_0001``, ``deleg_0001``).

    Args:
        chunk_ms: Audio per ``session.output_audio.delta``.
        grid_ms: The transcript and acknowledgement grid.
        end_silence_ms: Silence that ends a user turn.
        ack_delay_ms: Timeline between an append and its acknowledgement.
        usage_interval_ms: Timeline between two ``session.usage.updated``.
        delegate_keywords: Words of a user turn that make the model delegate.
        barge_in: When the user starts speaking while the model speaks, the
            model stops: the rest of its speech (audio and transcript) is
            dropped. Off by default (the mock finishes what it says).
        speech_chars_per_second: Speaking pace of the mock's voice.
        session_lifetime_s: Seconds from ``session.start`` to ``expires_at``.
        faults: Faults to inject.
        clock: Wall-clock seconds (for ``expires_at`` only).
        fork_of: Play a fork connection of this stored session (``store: true``):
            ``session.start`` carries overrides and the new session inherits the
            stored one's configuration and conversation (as its ``input``).

    Raises:
        ValueError: A non-positive duration.
    """

    def __init__(
        self,
        *,
        chunk_ms: int = 100,
        grid_ms: int = 200,
        end_silence_ms: int = 500,
        ack_delay_ms: int = 200,
        usage_interval_ms: int = 15_000,
        delegate_keywords: Sequence[str] = ("check", "look up", "delegate"),
        speech_chars_per_second: float = 15.0,
        session_lifetime_s: float = 3600.0,
        faults: LiveFaults | None = None,
        clock: Callable[[], float] = time.time,
        fork_of: str | None = None,
        barge_in: bool = False,
    ) -> None:
        for name, value in (
            ("chunk_ms", chunk_ms),
            ("grid_ms", grid_ms),
            ("end_silence_ms", end_silence_ms),
            ("usage_interval_ms", usage_interval_ms),
            ("speech_chars_per_second", speech_chars_per_second),
            ("session_lifetime_s", session_lifetime_s),
        ):
            if not value > 0:
                raise ValueError(f"{name} must be positive")
        if ack_delay_ms < 0:
            raise ValueError("ack_delay_ms must not be negative")
        self.chunk_ms = chunk_ms
        self.grid_ms = grid_ms
        self.end_silence_ms = end_silence_ms
        self.ack_delay_ms = ack_delay_ms
        self.usage_interval_ms = usage_interval_ms
        self.delegate_keywords = tuple(k.lower() for k in delegate_keywords)
        self.speech_chars_per_second = speech_chars_per_second
        self.session_lifetime_s = session_lifetime_s
        self.faults = faults or LiveFaults()
        self._clock = clock
        self.fork_of = fork_of
        self.barge_in = barge_in
        self._counters: dict[str, Iterator[int]] = {}
        self.session: lv.SessionResource | None = None
        self.closed = False
        self.muted = False
        self.timeline_ms = 0  # input audio received, ms
        self._pending = bytearray()  # input not yet a whole window
        self._heard = bytearray()  # input since the last turn ended
        self._speech_start: int | None = None
        self._silence = 0
        self._output_ms = 0
        self._segments: collections.deque[_Segment] = collections.deque()
        self._spoken: set[str] = set()
        self._appends: list[_Append] = []
        self._next_usage = usage_interval_ms
        self._delegations: dict[str, str] = {}  # id -> target
        self._client_pending: set[str] = set()  # client delegations not answered
        self._responses_delegation: str | None = None
        self._function_outputs: list[str] = []
        self._response_items = 0
        self._decision_items: set[str] = set()
        self._fixture = False
        self.transcript: list[tuple[str, str]] = []  # ("user"|"assistant", text)
        self._init_sideband()
        self._handlers: dict[type, Callable[[Any], list[Any]]] = {
            lv.SessionStart: self._start,
            lv.SessionUpdate: self._update,
            lv.SessionInputAudioAppend: self._audio,
            lv.SessionInputAudioMute: self._mute,
            lv.SessionInputAudioUnmute: self._unmute,
            lv.SessionOutputAudioFixturePlay: self._fixture_play,
            lv.SessionInstructionsAppend: self._append,
            lv.SessionThinkingAppend: self._append,
            lv.SessionCommentaryAppend: self._append,
            lv.DecisionCreate: self._decision_create,
            lv.DecisionItemCreate: self._decision_item_create,
            lv.DecisionItemDelete: self._decision_item_delete,
            lv.ResponseItemCreate: self._response_item_create,
            lv.ResponseCreate: self._response_create,
            lv.SessionClose: self._close,
        }

    @property
    def pending_delegations(self) -> list[str]:
        """Client delegations not answered yet (no commentary with their id placed)."""
        return sorted(self._client_pending)

    # -- what the server calls ---------------------------------------------------------

    @property
    def active_responses(self) -> list[str]:
        """Always empty: everything comes out of :meth:`handle` (input drives it)."""
        return []

    def start(self) -> list[Any]:
        """Nothing: a Live server is silent until ``session.start``."""
        return []

    def next_frame(self) -> None:
        """Nothing is streamed on a wall clock."""
        return None

    def handle(self, event: lv.LiveClientEvent) -> list[Any]:
        """Answer one client event (see the module docstring).

        Raises:
            TypeError: ``event`` is not a Live client event.
        """
        if not isinstance(event, lv.LiveClientEvent):
            raise TypeError(f"expected a Live client event, not {type(event).__name__}")
        out = self._side_events()
        own = self._answer(event)
        self._reflect(event, own)
        return out + own

    def _answer(self, event: lv.LiveClientEvent) -> list[Any]:
        """The events answering one command, of the primary or a sideband."""
        if self.closed:
            return []
        handler = self._handlers.get(type(event))
        try:
            if handler is None:
                wire = event.type
                raise _Rejected(
                    f"Invalid value: '{wire}'. Supported values are: "
                    + ", ".join(f"'{t}'" for t in _CLIENT_TYPES)
                    + ".",
                    "invalid_value",
                    "type",
                )
            if self.session is None and not isinstance(event, lv.SessionStart):
                raise _Rejected(
                    "The session has not started: send session.start first.",
                    "session_not_started",
                    "type",
                )
            return handler(event)
        except _Rejected as exc:
            return [self._error(exc.message, exc.code, exc.param, _client_id(event))]

    def invalid_frame(self, problem: str, event_id: str | None = None) -> list[Any]:
        """The ``error`` answering a frame that does not decode; the session goes on."""
        message = problem if problem.endswith(".") else problem + "."
        return [self._error(message, "invalid_event", None, event_id)]

    def server_error(self, event_id: str | None = None) -> list[Any]:
        """The ``error`` when the responder failed on an event (a bug)."""
        return [
            self._error(
                "The server had an error while processing your request.",
                None,
                None,
                event_id,
                kind="server_error",
            )
        ]

    def session_expired(self, limit_seconds: float) -> list[Any]:
        """``session.closed`` with reason ``expired`` (the server's wall-clock limit)."""
        if self.session is None or self.closed:
            return []
        return self._end("expired")

    def output_ms(self, delta: str) -> float:
        """Milliseconds of audio in a base64 output delta (session format)."""
        try:
            return len(_b64.decode(delta)) / self._bytes_per_ms()
        except (binascii.Error, ValueError):
            return 0.0

    # -- session lifecycle -------------------------------------------------------------

    def _start(self, event: lv.SessionStart) -> list[Any]:
        if self.session is not None:
            raise _Rejected(
                "The session has already started.", "session_already_started", "type"
            )
        config = event.session
        if self.fork_of is not None:
            stored = find_stored(self.fork_of)
            if stored is None or stored.session is None:
                raise _Rejected(
                    f"No stored session with id '{self.fork_of}'.",
                    "session_not_found",
                    None,
                )
            config = fork_config(stored.session, list(stored.transcript), config)
        check_start(config)
        refused = self.faults.refuse_start
        if refused is not None:
            raise _Rejected(refused[1], refused[0], None)
        self.session = resolve(
            config,
            session_id=new_session_id(),
            expires_at=int(self._clock() + self.session_lifetime_s),
        )
        register_session(str(self.session.id), self)
        if self.session.store is True:
            store_session(str(self.session.id), self)
        out: list[Any] = [
            lv.SessionStarted(
                event_id=self._next_id("event"),
                session=self.session,
                client_event_id=_client_id(event) or UNSET,
            )
        ]
        messages = self.session.input
        for message in messages if isinstance(messages, list) else []:
            text = _message_text(message)
            role = getattr(message, "role", "user")
            if text and role in ("user", "assistant"):
                self.transcript.append((str(role), text))
        if self.faults.error_after_start is not None:
            code, problem = self.faults.error_after_start
            out.append(self._error(problem, code, None, None))
        return out

    def _update(self, event: lv.SessionUpdate) -> list[Any]:
        assert self.session is not None
        check_update(event.session, self.session)
        changes: dict[str, Any] = {}
        new = event.session.delegation
        if new is not UNSET and new is not None:
            changes["delegation"] = _merge(self.session.delegation, new)
        if event.session.triggers is not UNSET:
            changes["triggers"] = event.session.triggers
        self.session = attrs.evolve(self.session, **changes)
        return [
            lv.SessionUpdated(
                event_id=self._next_id("event"),
                session=self.session,
                client_event_id=_client_id(event) or UNSET,
            )
        ]

    def _close(self, event: lv.SessionClose) -> list[Any]:
        return self._end("close_requested", _client_id(event))

    def _end(self, reason: str, client_event_id: str | None = None) -> list[Any]:
        assert self.session is not None
        self.closed = True
        return [
            lv.SessionClosed(
                event_id=self._next_id("event"),
                reason=reason,
                session=self.session,
                usage=self._usage(),
                client_event_id=client_event_id or UNSET,
            ),
            CloseFrame(code=1000),
        ]

    def _mute(self, event: lv.SessionInputAudioMute) -> list[Any]:
        self.muted = True
        return [
            lv.SessionInputAudioMuted(
                event_id=self._next_id("event"),
                client_event_id=_client_id(event) or UNSET,
            )
        ]

    def _unmute(self, event: lv.SessionInputAudioUnmute) -> list[Any]:
        self.muted = False
        return [
            lv.SessionInputAudioUnmuted(
                event_id=self._next_id("event"),
                client_event_id=_client_id(event) or UNSET,
            )
        ]

    # -- the timeline ------------------------------------------------------------------

    def _audio(self, event: lv.SessionInputAudioAppend) -> list[Any]:
        try:
            data = _b64.decode(event.audio, validate=True)
        except (binascii.Error, ValueError):
            raise _Rejected(
                "Invalid 'audio': expected base64-encoded audio.",
                "invalid_value",
                "audio",
            ) from None
        self._pending += data
        window = int(self._bytes_per_ms() * _WINDOW_MS)
        out: list[Any] = []
        while len(self._pending) >= window and not self.closed:
            chunk = bytes(self._pending[:window])
            del self._pending[:window]
            out += self._step(chunk)
        return out

    def _step(self, chunk: bytes) -> list[Any]:
        """Advance the timeline by one window of input audio."""
        start = self.timeline_ms
        self.timeline_ms += _WINDOW_MS
        out: list[Any] = []
        hearing = not self.muted and not self._fixture
        self._heard += chunk if hearing else bytes(len(chunk))
        voiced = hearing and self._voiced(chunk)
        if voiced:
            if self._speech_start is None:
                self._speech_start = start
                if self.barge_in:
                    self._interrupted()
            self._silence = 0
        elif self._speech_start is not None:
            self._silence += _WINDOW_MS
            if self._silence >= self.end_silence_ms:
                out += self._turn(self._speech_start, self.timeline_ms - self._silence)
        if self._speech_start is None:
            limit = int(self._bytes_per_ms() * _MAX_HEARD_MS)
            if len(self._heard) > limit:
                del self._heard[: len(self._heard) - limit]
        out += self._tick()
        return out

    def _tick(self) -> list[Any]:
        """What the timeline passing ``timeline_ms`` brings."""
        out: list[Any] = []
        now = self.timeline_ms
        for append in [a for a in self._appends if a.due_ms <= now]:
            self._appends.remove(append)
            out += self._acknowledge(append)
        while now >= self._next_usage:
            self._next_usage += self.usage_interval_ms
            out.append(
                lv.SessionUsageUpdated(
                    event_id=self._next_id("event"),
                    usage=self._usage(),
                    context_window=lv.ContextWindow(usage_ratio=self._context_ratio()),
                )
            )
        while self._output_ms + self.chunk_ms <= now:
            out += self._play_chunk()
        out += self._timeline_faults(now)
        return out

    def _timeline_faults(self, now: int) -> list[Any]:
        faults = self.faults
        if faults.drop_at_ms is not None and now >= faults.drop_at_ms:
            self.closed = True
            return [CloseFrame(drop=True)]
        if faults.close_at_ms is not None and now >= faults.close_at_ms[0]:
            self.closed = True
            return [CloseFrame(code=faults.close_at_ms[1], reason="mock fault")]
        if faults.end_at_ms is not None and now >= faults.end_at_ms[0]:
            return self._end(faults.end_at_ms[1])
        return []

    def _voiced(self, chunk: bytes) -> bool:
        """Whether a window of input is speech (the Realtime mock's energy detector)."""
        samples = self._decode_input(chunk)
        return (
            bool(samples.size) and voiced_windows(samples, samples.size, _LEVEL_DBFS)[0]
        )

    # -- turns and replies -------------------------------------------------------------

    def _turn(self, start_ms: int, end_ms: int) -> list[Any]:
        """A user turn ended: transcribe it, then answer or delegate."""
        heard = bytes(self._heard)
        self._heard.clear()
        self._speech_start = None
        self._silence = 0
        text = find_marker(heard, self._format_name()) or (
            f"[speech {(end_ms - start_ms) / 1000:.2f} s]"
        )
        self.transcript.append(("user", text))
        out: list[Any] = [
            lv.SessionInputTranscriptDelta(
                event_id=self._next_id("event"),
                delta=piece,
                start_ms=s,
                end_ms=e,
            )
            for s, e, piece in self._grid(
                text, start_ms, max(end_ms, start_ms + 1), "user"
            )
        ]
        if out:
            out += self._trigger_events(
                "session.input_transcript.delta", str(out[-1].event_id)
            )
        target = self._delegation_target(text)
        if target is None:
            self._say(you_said(text))
            return out
        delegation_id = self._next_id("deleg")
        self._delegations[delegation_id] = target
        response_id = self._next_id("resp") if target == "responses" else UNSET
        out.append(
            lv.SessionDelegationCreated(
                event_id=self._next_id("event"),
                delegation=lv.Delegation(
                    id=delegation_id, target=target, response_id=response_id
                ),
                offset_ms=end_ms,
            )
        )
        self._say("Sure, one moment.")
        if target == "client":
            self._client_pending.add(delegation_id)
        elif target == "responses":
            self._responses_delegation = delegation_id
            out += self._backend_first(delegation_id, str(response_id), text)
        else:
            out.append(self._decision_event(delegation_id=delegation_id))
        return out

    def _interrupted(self) -> None:
        """Barge-in: drop the model's speech not yet played (fixtures play on)."""
        kept = [
            s
            for s in self._segments
            if any(isinstance(a, _FixtureDone) for a in s.after)
        ]
        if len(kept) != len(self._segments):
            self._segments.clear()
            self._segments.extend(kept)

    def _play_chunk(self) -> list[Any]:
        """The next ``chunk_ms`` of the output track, and what comes with it."""
        size = int(self._bytes_per_ms() * self.chunk_ms)
        start = self._output_ms
        self._output_ms += self.chunk_ms
        out: list[Any] = []
        audio = b""
        segment = self._segments[0] if self._segments else None
        if segment is not None:
            if segment.plan is None:
                length = len(segment.audio) / self._bytes_per_ms()
                segment.plan = self._grid(
                    segment.text, start, start + int(length), "assistant"
                )
            audio = segment.audio[segment.at : segment.at + size]
            segment.at += len(audio)
        audio += self._silence_bytes(size - len(audio))
        out.append(lv.SessionOutputAudioDelta(delta=_b64.encode(audio)))
        if segment is not None:
            assert segment.plan is not None
            while segment.plan and segment.plan[0][0] < self._output_ms:
                s, e, piece = segment.plan.pop(0)
                segment.last_id = self._next_id("event")
                out.append(
                    lv.SessionOutputTranscriptDelta(
                        event_id=segment.last_id, delta=piece, start_ms=s, end_ms=e
                    )
                )
            if segment.at >= len(segment.audio) and not segment.plan:
                self._segments.popleft()
                if segment.last_id is not None:
                    out += self._trigger_events(
                        "session.output_transcript.delta", segment.last_id
                    )
                for after in segment.after:
                    if isinstance(after, _FixtureDone):
                        self._fixture = False
                    else:
                        out.append(after)
        return out

    # -- context appends ---------------------------------------------------------------

    def _append(
        self,
        event: lv.SessionInstructionsAppend
        | lv.SessionThinkingAppend
        | lv.SessionCommentaryAppend,
    ) -> list[Any]:
        if not event.content.strip():
            raise _Rejected(
                "Invalid 'content': empty string.", "empty_string", "content"
            )
        if len(event.content) > MAX_APPEND_CHARS:
            raise _Rejected(
                "Invalid 'content': more than 500 tokens.",
                "string_above_max_length",
                "content",
            )
        if self._fixture:
            raise _Rejected(
                "Context cannot be appended while a fixture is playing.",
                "fixture_active",
                "type",
            )
        delegation_id = event.delegation_id
        if isinstance(delegation_id, str):
            kind = getattr(self._session().delegation, "type", "client")
            if kind == "responses":
                raise _Rejected(
                    "delegation_id is not supported with Responses delegation.",
                    "invalid_value",
                    "delegation_id",
                )
            if self._delegations.get(delegation_id) != "client":
                raise _Rejected(
                    f"Unknown delegation_id: '{delegation_id}'.",
                    "invalid_value",
                    "delegation_id",
                )
        due = self.timeline_ms + self.ack_delay_ms
        due += -due % self.grid_ms
        self._appends.append(
            _Append(event=event, due_ms=max(due, self.timeline_ms + 1))
        )
        return []

    def _acknowledge(self, append: _Append) -> list[Any]:
        event = append.event
        start = append.due_ms - append.due_ms % self.grid_ms
        kwargs: dict[str, Any] = {
            "event_id": self._next_id("event"),
            "start_ms": start,
            "end_ms": start + self.grid_ms,
            "client_event_id": _client_id(event) or UNSET,
        }
        if isinstance(event, lv.SessionInstructionsAppend):
            return [lv.SessionInstructionsAppended(**kwargs)]
        if isinstance(event, lv.SessionThinkingAppend):
            return [lv.SessionThinkingAppended(**kwargs)]
        if isinstance(event.delegation_id, str):
            self._client_pending.discard(event.delegation_id)
        self._say(event.content)
        return [lv.SessionCommentaryAppended(**kwargs)]

    # -- fixtures ----------------------------------------------------------------------

    def _fixture_play(self, event: lv.SessionOutputAudioFixturePlay) -> list[Any]:
        try:
            data = _b64.decode(event.audio, validate=True)
        except (binascii.Error, ValueError):
            raise _Rejected(
                "Invalid 'audio': expected base64-encoded audio.",
                "invalid_value",
                "audio",
            ) from None
        if self._fixture:
            raise _Rejected("A fixture is already playing.", "fixture_active", "type")
        if len(data) % 2 or len(data) > 48 * _MAX_FIXTURE_MS or not data:
            raise _Rejected(
                "Invalid 'audio': expected PCM16 24 kHz mono audio of at most 30 "
                "seconds.",
                "invalid_value",
                "audio",
            )
        samples = np.frombuffer(data, dtype="<i2")
        rate = self._rate()
        if rate != 24_000:
            positions = np.arange(0, len(samples), 24_000 / rate)
            samples = np.interp(positions, np.arange(len(samples)), samples).astype(
                np.int16
            )
        self._segments.clear()  # a fixture interrupts model speech
        self._fixture = True
        client_id = _client_id(event) or UNSET
        played = lv.SessionOutputAudioFixturePlayed(
            event_id=self._next_id("event"), client_event_id=client_id
        )
        segment = _Segment(audio=self._encode_output(samples), after=[played])
        segment.after.append(_FixtureDone())
        self._segments.append(segment)
        return [
            lv.SessionOutputAudioFixturePlaying(
                event_id=self._next_id("event"), client_event_id=client_id
            )
        ]


def _message_text(message: object) -> str:
    content = getattr(message, "content", None)
    if not isinstance(content, list):
        return ""
    return " ".join(
        str(p.text) for p in content if isinstance(getattr(p, "text", None), str)
    )


def _merge(old: Any, new: Any) -> Any:
    """A sparse delegation update applied to the current delegation."""
    if type(old) is not type(new) or isinstance(new, UnknownModel):
        return new
    changes: dict[str, Any] = {}
    for field in attrs.fields(type(new)):
        value = getattr(new, field.name)
        if value is UNSET or field.name == "extra":
            continue
        current = getattr(old, field.name)
        if (
            attrs.has(type(value))
            and type(value) is type(current)
            and not isinstance(value, UnknownModel)
        ):
            value = _merge(current, value)
        changes[field.name] = value
    return attrs.evolve(old, **changes)
