"""The sans-I/O state of one Realtime session: :class:`SessionCore`.

The core is fed every decoded server event (:meth:`SessionCore.receive`) and the
client's own outgoing events that matter to it (:meth:`SessionCore.sending`,
:meth:`SessionCore.request_response`). It keeps the conversation, the responses and
their requests, the accounting of received assistant audio, the barge-in decision,
the events synthesized for the beta dialect, and what a reconnection needs: the
session settings it restores and the input audio the server has not committed
(:mod:`realtime_sync.session._input_log`); and it answers what should happen as an
:class:`Effects`, instead of doing it. It never sends, waits, sleeps or calls user
code, and imports nothing that does I/O (in the spirit of h11's ``Connection``): the
threaded client drives it under one lock and carries the effects out after
releasing it.

Each event goes through one table lookup (type -> step): the audio delta, the hot
path of a voice session, is measured once (its decoded size) and kept once by the
conversation; the response collector holds a reference to the same string.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, Protocol

import attrs

from realtime_sync import _b64
from realtime_sync import events as ev
from realtime_sync._formats import RATES, bytes_per_second, session_format
from realtime_sync.exceptions import AudioLost, RealtimeError
from realtime_sync.protocol import Codec
from realtime_sync.protocol._from_dict import client_event_from_dict
from realtime_sync.reconnect import merge_session
from realtime_sync.session._conversation import _HANDLERS as _CONVERSATION_STEPS
from realtime_sync.session._conversation import Conversation
from realtime_sync.session._effects import Effects, Pending
from realtime_sync.session._input_log import InputAudioLog
from realtime_sync.session._responses import ResponseTracker

__all__ = ["Interruption", "PlaybackView", "SessionCore"]


@attrs.frozen
class Interruption:
    """What barge-in did when the user started speaking over the assistant.

    Attributes:
        item_id: The assistant item that was playing.
        response_id: Its response.
        played_ms: Milliseconds of it the user heard.
        action: ``"truncate"`` (cut at ``played_ms``) or ``"delete"`` (nothing was
            heard).
        cancelled: Whether the response was still being generated (it is cancelled,
            and its remaining audio deltas are not passed to handlers).
    """

    item_id: str
    response_id: str
    played_ms: int
    action: str
    cancelled: bool


class PlaybackView(Protocol):
    """What barge-in reads of the playback accounting (a ``PlaybackTracker``)."""

    @property
    def sample_rate(self) -> int:
        """Samples per second of the played audio."""
        ...

    @property
    def current_item(self) -> str | None:
        """The item being played, if playback is reported at all."""
        ...

    def played_ms(self, item_id: str) -> int:
        """Milliseconds of ``item_id`` played so far."""
        ...


class SessionCore:
    """The state of one Realtime session, fed events, answering effects.

    Not thread-safe: the caller serialises every call (the threaded client holds
    one lock around each, and runs no user code under it).

    Args:
        conversation: The conversation to keep (the client passes its thread-safe
            ``client.conversation``).
        playback: Makes the playback accounting for a sample rate; called again
            when the session's output rate changes.
        dialect: ``"ga"`` or ``"beta"`` (beta gets ``conversation.item.done``
            synthesized); may be set later while ``"auto"``.
        barge_in: Handle interruptions: True, False, or None to do so once playback
            is reported (``playback.current_item`` is set).
        audio_retention_seconds: The audio bound of the finished responses.
        input_audio_seconds: Keep the input audio the server has not committed, up
            to this many seconds, for a reconnection to send again (see
            :meth:`take_uncommitted`); None (no reconnection policy) keeps none.
        clock: The monotonic clock of response timings (injectable for tests).
    """

    def __init__(
        self,
        *,
        conversation: Conversation,
        playback: Callable[[int], PlaybackView],
        dialect: str = "ga",
        barge_in: bool | None = None,
        audio_retention_seconds: float | None = 60.0,
        input_audio_seconds: float | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.dialect = dialect
        self.conversation = conversation
        #: The session as the server last described it (``session.created/updated``).
        self.session_info: (
            ev.RealtimeSession | ev.TranscriptionSession | ev.UnknownModel | None
        ) = None
        self.responses = ResponseTracker(
            self.output_format, clock, audio_retention_seconds
        )
        self._make_playback = playback
        #: The playback accounting barge-in reads (replaced when the rate changes).
        self.playback = playback(RATES["audio/pcm"])
        self._barge_in = barge_in
        # Received samples of the latest audio item only (it alone can be cut).
        self._received: tuple[str, int] = ("", 0)
        self._last_audio: tuple[str, str, int] | None = None
        self._suppressed: set[str] = set()
        self._response_items: set[str] = set()  # beta: output items not done yet
        self._session_state: dict[str, Any] | None = None  # every session.update
        self._ga = Codec("ga")
        #: The client events :meth:`sending` wants to see (the client takes no
        #: lock for the others): input audio only when it is logged.
        self.sending_types: frozenset[type] = frozenset(
            {ev.SessionUpdate}
            if input_audio_seconds is None
            else {
                ev.SessionUpdate,
                ev.InputAudioBufferAppend,
                ev.InputAudioBufferCommit,
                ev.InputAudioBufferClear,
            }
        )
        self._input: InputAudioLog | None = (
            None
            if input_audio_seconds is None
            else InputAudioLog(input_audio_seconds * 1000.0)
        )

    # -- reading ----------------------------------------------------------------------

    def output_format(self) -> str:
        """The session's output audio format type (``audio/pcm``, ...)."""
        return session_format(self.session_info, "output")

    def input_format(self) -> str:
        """The session's input audio format type."""
        return session_format(self.session_info, "input")

    def decode_audio(self, event: ev.ResponseOutputAudioDelta) -> Any:
        """The samples of an audio delta, decoded by the session's output format.

        ``event.audio`` assumes PCM16; in an ``audio/pcmu`` or ``audio/pcma``
        session the delta carries G.711 bytes, which this decodes (int16 samples
        at 8 kHz).
        """
        from realtime_sync._formats import decode_audio

        return decode_audio(_b64.decode(event.delta), self.output_format())

    # -- the client's own events ---------------------------------------------------------

    def sending(self, event: ev.ClientEvent, *, held: bool = False) -> None:
        """The client is sending ``event``: remember what a new session needs.

        Every ``session.update`` is merged into the one a reconnection sends. Input
        audio appends and commits going on the connection are logged until the
        server commits them (see :meth:`take_uncommitted`); a clear empties the log.

        Args:
            event: One of :attr:`sending_types` (others are ignored).
            held: The event is held for the next connection, not sent now; it is
                passed to :meth:`resending` when it is.
        """
        if type(event) is ev.SessionUpdate:
            assert isinstance(event, ev.SessionUpdate)
            if isinstance(event.session, ev.Model):
                update = self._ga.to_dict(event.session)
                if isinstance(update, dict):
                    self._session_state = merge_session(
                        self._session_state or {}, update
                    )
        elif not held:
            self._log_input(event, resent=False)

    def resending(self, event: ev.ClientEvent) -> None:
        """An event held during an outage goes on the new connection now."""
        self._log_input(event, resent=True)

    def withdraw(self, event: ev.ClientEvent) -> None:
        """An event passed to :meth:`sending` could not be sent after all."""
        if self._input is not None:
            self._input.withdraw(event)

    def take_uncommitted(self) -> tuple[list[ev.ClientEvent], int]:
        """The connection is lost: the input audio its session had not committed.

        Returns:
            The appends (and the commits not yet acknowledged) to send the next
            session first, in order, and the milliseconds of uncommitted audio that
            were beyond ``input_audio_seconds`` and are lost. The log starts over.
        """
        if self._input is None:
            return [], 0
        return self._input.take()

    def context_lost(
        self, error: Callable[[str], RealtimeError], events: list[ev.ClientEvent]
    ) -> tuple[list[ev.ClientEvent], Effects]:
        """The new session lacks the conversation: withdraw the responses that need it.

        Every ``response.create`` among ``events`` (held for the new session)
        whose context is the conversation (no explicit ``input``) is taken out;
        its handle fails and so do the queued requests, which were requested
        before the new session too. Each gets ``error(request_id)``, which is also
        reported.

        Returns:
            The events still to send, and what to do.
        """
        out = Effects()
        kept: list[ev.ClientEvent] = []
        withdrawn: list[str] = []
        for event in events:
            if type(event) is ev.ResponseCreate and _needs_context(event):
                withdrawn.append(
                    event.event_id if isinstance(event.event_id, str) else ""
                )
            else:
                kept.append(event)
        failed = self.responses.withdraw(
            frozenset(withdrawn), error, out, _needs_context
        )
        for request_id in withdrawn:
            if request_id not in failed:  # a response.create sent by hand: no handle
                out.report.append(error(request_id))
        out.report.extend(
            exc for _, exc in out.failed if isinstance(exc, RealtimeError)
        )
        return kept, out

    def _log_input(self, event: ev.ClientEvent, resent: bool) -> None:
        log = self._input
        if log is None:
            return
        cls = type(event)
        if cls is ev.InputAudioBufferAppend:
            log.append(event, bytes_per_second(self.input_format()), resent)  # type: ignore[arg-type]
        elif cls is ev.InputAudioBufferCommit:
            log.commit(event, resent)  # type: ignore[arg-type]
        elif cls is ev.InputAudioBufferClear:
            log.clear()

    def restore_session_event(self) -> ev.SessionUpdate | None:
        """One ``session.update`` with every update sent so far, or None."""
        if not self._session_state:
            return None
        event = client_event_from_dict(
            {"type": "session.update", "session": self._session_state}
        )
        assert isinstance(event, ev.SessionUpdate)
        return event

    def request_response(self, handle: Pending, event: ev.ResponseCreate) -> bool:
        """A ``response.create`` of ours: True to send it now, False if queued."""
        return self.responses.request(handle, event)

    def request_failed(self, handle: Pending) -> None:
        """The ``response.create`` of ``handle`` could not be sent: forget it."""
        self.responses.request_failed(handle)

    # -- server events -----------------------------------------------------------------

    def receive(self, event: ev.ServerEvent) -> Effects | None:
        """Update the state from one server event.

        Returns:
            None when the event is simply to be delivered to handlers and waiters
            (the common case, no allocation), else what should happen.
        """
        step = _STEPS.get(type(event))
        return None if step is None else step(self, event)

    def new_connection(self) -> None:
        """A new connection (a reconnection) starts: forget per-connection state."""
        self._received = ("", 0)
        self._last_audio = None
        self._suppressed.clear()
        self._response_items.clear()
        if self._input is not None:
            self._input.new_connection()

    def session_lost(self, exc: BaseException, held: frozenset[str]) -> Effects:
        """The session is gone and a new one is coming (see ``ResponseTracker``)."""
        out = Effects()
        self.responses.session_lost(exc, held, out)
        return out

    def fail_all(self, exc: BaseException) -> Effects:
        """The session ended for good: every pending response fails with ``exc``."""
        out = Effects()
        self.responses.fail_all(exc, out)
        return out

    # -- steps (one per event type, see _STEPS) ------------------------------------------

    def _changes(self, event: ev.ServerEvent, out: Effects | None) -> Effects | None:
        """Apply ``event`` to the conversation; changes matter only with callbacks."""
        changes = self.conversation.apply(event)
        if changes and self.conversation.has_callbacks:
            out = out if out is not None else Effects()
            out.changes.extend(changes)
        return out

    def _on_audio_delta(self, event: ev.ResponseOutputAudioDelta) -> Effects | None:
        delta = event.delta
        response_id = event.response_id
        out: Effects | None = None
        if response_id in self._suppressed:
            # Audio of an interrupted response: kept with the response and the item
            # (the truncation trims the item), but not for handlers and players.
            out = Effects()
            out.withhold = True
        if not isinstance(delta, str) or len(delta) % 4:
            return out  # not base64 audio: nothing to keep
        size = _b64.decoded_size(delta)
        self.responses.on_delta(event, size)
        changes = self.conversation.audio_delta(event, size)
        if out is None:
            samples = (
                size // 2 if self.conversation.output_format == "audio/pcm" else size
            )
            item_id = event.item_id
            seen, count = self._received
            self._received = (item_id, count + samples if seen == item_id else samples)
            self._last_audio = (item_id, response_id, event.content_index)
        if changes and self.conversation.has_callbacks:
            out = out if out is not None else Effects()
            out.changes.extend(changes)
        return out

    def _on_text_delta(self, event: Any) -> Effects | None:
        if isinstance(event.delta, str):
            self.responses.on_delta(event)
        return self._changes(event, None)

    def _on_created(self, event: ev.ResponseCreated) -> Effects | None:
        self.responses.on_created(event)
        return None

    def _on_done(self, event: ev.ResponseDone) -> Effects | None:
        # Its last event: forget it (a malformed done may lack its response).
        self._suppressed.discard(getattr(event.response, "id", None))
        out = Effects()
        self.responses.on_done(event, out)
        return out

    def _on_committed(self, event: ev.InputAudioBufferCommitted) -> Effects | None:
        self.responses.on_committed()
        if self._input is not None:
            self._input.committed()
        return None

    def _on_vad_end(self, event: Any) -> Effects | None:
        end = event.audio_end_ms
        if self._input is not None and isinstance(end, int):
            self._input.vad_end(end)
        return None

    def _on_output_item(self, event: Any) -> Effects | None:
        out = self._changes(event, None)
        if self.dialect != "beta":
            return out
        item_id = getattr(event.item, "id", None)
        if type(event) is ev.ResponseOutputItemAdded:
            if isinstance(item_id, str):
                self._response_items.add(item_id)
            return out
        # Beta has no conversation.item.done (§7.2): a response's output item is
        # final when the response says so in response.output_item.done.
        self._response_items.discard(item_id)
        out = out if out is not None else Effects()
        done = ev.ConversationItemDone(event_id=event.event_id, item=event.item)
        out.extra.append(done)
        return self._changes(done, out)

    def _on_item_added(self, event: ev.ConversationItemAdded) -> Effects | None:
        out = self._changes(event, None)
        if self.dialect != "beta":
            return out
        # Beta: a client-created or committed item is final when it is created.
        if getattr(event.item, "id", None) in self._response_items:
            return out
        out = out if out is not None else Effects()
        done = ev.ConversationItemDone(
            event_id=event.event_id,
            item=event.item,
            previous_item_id=event.previous_item_id,
        )
        out.extra.append(done)
        return self._changes(done, out)

    def _on_session(self, event: Any) -> Effects | None:
        self.session_info = event.session
        fmt = self.output_format()
        self.conversation.output_format = fmt
        rate = RATES[fmt]
        if self.playback.sample_rate != rate:
            self.playback = self._make_playback(rate)
        if type(event) is ev.SessionCreated:
            out = Effects()
            out.session_created = True
            return out
        return None

    def _on_error(self, event: ev.Error) -> Effects | None:
        out = Effects()
        if not self.responses.on_error(event, out):
            failed = getattr(event.error, "event_id", None)
            if isinstance(failed, str):
                out.answered.append((failed, event))
                if self._input is not None:
                    self._commit_failed(failed, event, out)
        return out

    def _commit_failed(self, event_id: str, event: ev.Error, out: Effects) -> None:
        resent = self._input.commit_failed(event_id) if self._input else None
        code = getattr(event.error, "code", None)
        if resent and code == "input_audio_buffer_commit_empty":
            # Harmless in a session, but this commit was held over a reconnection:
            # the audio it was to commit did not reach the new session.
            out.report.append(
                AudioLost(
                    f"input_audio_buffer.commit {event_id}, sent after a "
                    "reconnection, found the new session's input buffer empty: the "
                    "audio appended before it was lost with the old connection "
                    "(beyond ReconnectPolicy.audio_buffer_seconds; see "
                    "Reconnected.dropped_audio_ms); nothing was committed",
                    event=event,
                )
            )

    def _on_speech_started(
        self, event: ev.InputAudioBufferSpeechStarted
    ) -> Effects | None:
        last = self._last_audio
        if last is None or not self._barge_in_enabled():
            return None
        item_id, response_id, content_index = last
        self._last_audio = None
        playback = self.playback
        seen, count = self._received
        received_ms = (count if seen == item_id else 0) * 1000 // playback.sample_rate
        played_ms = min(playback.played_ms(item_id), received_ms)
        generating = self.responses.response_of(response_id)
        if not generating and played_ms >= received_ms:
            return None  # playback had finished: nothing to cut
        out = Effects()
        if generating:
            self._suppressed.add(response_id)
            if not self._server_interrupts():
                out.send.append(ev.ResponseCancel(response_id=response_id))
        if played_ms == 0:
            out.send.append(ev.ConversationItemDelete(item_id=item_id))
            action = "delete"
        else:
            out.send.append(
                ev.ConversationItemTruncate(
                    item_id=item_id, content_index=content_index, audio_end_ms=played_ms
                )
            )
            action = "truncate"
        out.interruption = Interruption(
            item_id, response_id, played_ms, action, generating
        )
        return out

    def _barge_in_enabled(self) -> bool:
        if self._barge_in is not None:
            return self._barge_in
        return self.playback.current_item is not None

    def _server_interrupts(self) -> bool:
        td = getattr(
            getattr(getattr(self.session_info, "audio", None), "input", None),
            "turn_detection",
            None,
        )
        return getattr(td, "interrupt_response", None) is not False  # default true


def _needs_context(event: ev.ResponseCreate) -> bool:
    """Whether a response reads the conversation (it has no explicit ``input``)."""
    params = event.response
    return not (
        isinstance(params, ev.ResponseCreateParams) and isinstance(params.input, list)
    )


def _conversation_only(core: SessionCore, event: ev.ServerEvent) -> Effects | None:
    return core._changes(event, None)


_Step = Callable[[SessionCore, Any], "Effects | None"]

# type -> step: one lookup per event. Types absent here change nothing in the core.
_STEPS: dict[type, _Step] = {
    **{cls: _conversation_only for cls in _CONVERSATION_STEPS},
    ev.ResponseOutputAudioDelta: SessionCore._on_audio_delta,
    ev.ResponseOutputTextDelta: SessionCore._on_text_delta,
    ev.ResponseOutputAudioTranscriptDelta: SessionCore._on_text_delta,
    ev.ResponseCreated: SessionCore._on_created,
    ev.ResponseDone: SessionCore._on_done,
    ev.InputAudioBufferCommitted: SessionCore._on_committed,
    ev.InputAudioBufferSpeechStopped: SessionCore._on_vad_end,
    ev.InputAudioBufferTimeoutTriggered: SessionCore._on_vad_end,
    ev.InputAudioBufferSpeechStarted: SessionCore._on_speech_started,
    ev.ResponseOutputItemAdded: SessionCore._on_output_item,
    ev.ResponseOutputItemDone: SessionCore._on_output_item,
    ev.ConversationItemAdded: SessionCore._on_item_added,
    ev.Error: SessionCore._on_error,
    ev.SessionCreated: SessionCore._on_session,
    ev.SessionUpdated: SessionCore._on_session,
}
