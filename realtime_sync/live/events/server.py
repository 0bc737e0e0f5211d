"""Server events of the Live protocol: what the server sends (primary and sideband).

One frozen attrs class per server event type; ``TYPE`` is the wire type. Most carry
``event_id`` and, when a client command caused them, ``client_event_id``;
``session.output_audio.delta`` and the sideband input reflection carry no
``event_id`` (it stays :data:`UNSET`).

Two wire types exist in both directions; their server events are named with a
``Server`` prefix: :class:`ServerSessionInputAudioAppend` (the sideband's reflection
of the session's input audio) and :class:`ServerTransportDtmfSend` (the legacy name
of ``transport.dtmf.sent``). :class:`SessionPaused` and :class:`SessionResumed`
occur on sideband (WebRTC) connections only.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

import attrs

from realtime_sync.events import _audio
from realtime_sync.events._base import UNSET, Unset
from realtime_sync.live.events._base import LiveServerEvent
from realtime_sync.live.events.models import (
    CallError,
    ContextWindow,
    DecisionCompleted,
    DecisionItem,
    Delegation,
    ErrorDetails,
    SessionResource,
    SessionUsage,
)
from realtime_sync.live.events.responses import ResponsesStreamEvent

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray


@attrs.frozen(kw_only=True)
class SessionStarted(LiveServerEvent):
    """Server event ``session.started``.

    The session started: the resolved configuration (the reply to ``session.start``).

    Attributes:
        event_id: The event's id.
        session: The session, server defaults filled in.
        client_event_id: The ``event_id`` of the command that caused it.
    """

    TYPE: ClassVar[str] = "session.started"

    session: SessionResource
    client_event_id: str | Unset | None = UNSET


@attrs.frozen(kw_only=True)
class SessionUpdated(LiveServerEvent):
    """Server event ``session.updated``.

    The delegation settings or triggers changed (the reply to ``session.update``).

    Attributes:
        event_id: The event's id.
        session: The whole session.
        client_event_id: The ``event_id`` of the command that caused it.
    """

    TYPE: ClassVar[str] = "session.updated"

    session: SessionResource
    client_event_id: str | Unset | None = UNSET


@attrs.frozen(kw_only=True)
class SessionInputAudioMuted(LiveServerEvent):
    """Server event ``session.input_audio.muted``.

    Input audio is muted.

    Attributes:
        event_id: The event's id.
        client_event_id: The ``event_id`` of the command that caused it.
    """

    TYPE: ClassVar[str] = "session.input_audio.muted"

    client_event_id: str | Unset | None = UNSET


@attrs.frozen(kw_only=True)
class SessionInputAudioUnmuted(LiveServerEvent):
    """Server event ``session.input_audio.unmuted``.

    Input audio is unmuted.

    Attributes:
        event_id: The event's id.
        client_event_id: The ``event_id`` of the command that caused it.
    """

    TYPE: ClassVar[str] = "session.input_audio.unmuted"

    client_event_id: str | Unset | None = UNSET


@attrs.frozen(kw_only=True)
class SessionOutputAudioFixturePlaying(LiveServerEvent):
    """Server event ``session.output_audio.fixture.playing``.

    A fixture was accepted and plays.

    Attributes:
        event_id: The event's id.
        client_event_id: The ``event_id`` of the command that caused it.
    """

    TYPE: ClassVar[str] = "session.output_audio.fixture.playing"

    client_event_id: str | Unset | None = UNSET


@attrs.frozen(kw_only=True)
class SessionOutputAudioFixturePlayed(LiveServerEvent):
    """Server event ``session.output_audio.fixture.played``.

    A fixture finished playing.

    Attributes:
        event_id: The event's id.
        client_event_id: The ``event_id`` of the command that caused it.
    """

    TYPE: ClassVar[str] = "session.output_audio.fixture.played"

    client_event_id: str | Unset | None = UNSET


@attrs.frozen(kw_only=True)
class SessionInstructionsAppended(LiveServerEvent):
    """Server event ``session.instructions.appended``.

    Appended instructions reached the timeline.

    Attributes:
        event_id: The event's id.
        start_ms: Timeline start, ms since the session started.
        end_ms: Timeline end, ms.
        client_event_id: The ``event_id`` of the command that caused it.
    """

    TYPE: ClassVar[str] = "session.instructions.appended"

    start_ms: int
    end_ms: int
    client_event_id: str | Unset | None = UNSET


@attrs.frozen(kw_only=True)
class SessionThinkingAppended(LiveServerEvent):
    """Server event ``session.thinking.appended``.

    Appended thinking reached the timeline.

    Attributes:
        event_id: The event's id.
        start_ms: Timeline start, ms since the session started.
        end_ms: Timeline end, ms.
        client_event_id: The ``event_id`` of the command that caused it.
    """

    TYPE: ClassVar[str] = "session.thinking.appended"

    start_ms: int
    end_ms: int
    client_event_id: str | Unset | None = UNSET


@attrs.frozen(kw_only=True)
class SessionCommentaryAppended(LiveServerEvent):
    """Server event ``session.commentary.appended``.

    Appended commentary reached the timeline.

    Attributes:
        event_id: The event's id.
        start_ms: Timeline start, ms since the session started.
        end_ms: Timeline end, ms.
        client_event_id: The ``event_id`` of the command that caused it.
    """

    TYPE: ClassVar[str] = "session.commentary.appended"

    start_ms: int
    end_ms: int
    client_event_id: str | Unset | None = UNSET


@attrs.frozen(kw_only=True)
class ServerSessionInputAudioAppend(LiveServerEvent):
    """Server event ``session.input_audio.append``.

    Sideband: a reflection of the session's input audio (PCM16 24 kHz; no ``event_id``).

    Attributes:
        event_id: The event's id.
        audio: Base64 PCM16 24 kHz mono.
    """

    TYPE: ClassVar[str] = "session.input_audio.append"

    audio: str

    @property
    def pcm(self) -> NDArray[np.int16]:
        """The reflected audio (always PCM16 24 kHz), decoded on each access."""
        return _audio.pcm16(self.audio)


@attrs.frozen(kw_only=True)
class SessionOutputAudioDelta(LiveServerEvent):
    """Server event ``session.output_audio.delta``.

    A chunk of the continuous output track (silence included; no ``event_id``).

    Attributes:
        event_id: The event's id.
        delta: Base64 audio in the session's format.
        start_ms: Timeline start, ms (sideband reflections).
        end_ms: Timeline end, ms.
    """

    TYPE: ClassVar[str] = "session.output_audio.delta"

    delta: str
    start_ms: int | Unset | None = UNSET
    end_ms: int | Unset | None = UNSET

    @property
    def audio(self) -> NDArray[np.int16]:
        """The audio of ``delta`` read as PCM16, decoded on each access.

        Right for ``audio/pcm`` sessions (the default); a G.711 session's deltas
        hold mu-law or A-law bytes.
        """
        return _audio.pcm16(self.delta)


@attrs.frozen(kw_only=True)
class SessionInputTranscriptDelta(LiveServerEvent):
    """Server event ``session.input_transcript.delta``.

    Transcript of the user's speech, on the timeline.

    Attributes:
        event_id: The event's id.
        delta: The new text.
        start_ms: Timeline start, ms since the session started.
        end_ms: Timeline end, ms.
        client_event_id: The ``event_id`` of the command that caused it.
    """

    TYPE: ClassVar[str] = "session.input_transcript.delta"

    delta: str
    start_ms: int
    end_ms: int
    client_event_id: str | Unset | None = UNSET


@attrs.frozen(kw_only=True)
class SessionOutputTranscriptDelta(LiveServerEvent):
    """Server event ``session.output_transcript.delta``.

    Transcript of the model's speech, on the timeline.

    Attributes:
        event_id: The event's id.
        delta: The new text.
        start_ms: Timeline start, ms since the session started.
        end_ms: Timeline end, ms.
        client_event_id: The ``event_id`` of the command that caused it.
    """

    TYPE: ClassVar[str] = "session.output_transcript.delta"

    delta: str
    start_ms: int
    end_ms: int
    client_event_id: str | Unset | None = UNSET


@attrs.frozen(kw_only=True)
class SessionDelegationCreated(LiveServerEvent):
    """Server event ``session.delegation.created``.

    The voice model delegated work (metadata only, never the task text).

    Attributes:
        event_id: The event's id.
        delegation: The delegation.
        offset_ms: Its timeline position, ms.
        client_event_id: The ``event_id`` of the command that caused it.
    """

    TYPE: ClassVar[str] = "session.delegation.created"

    delegation: Delegation
    offset_ms: int
    client_event_id: str | Unset | None = UNSET


@attrs.frozen(kw_only=True)
class DecisionEvent(LiveServerEvent):
    """Server event ``decision.event``.

    A Decisions evaluation finished.

    Attributes:
        event_id: The event's id.
        event: The decision.
        delegation_id: The delegation it answers, if any.
        source_event_id: The transcript delta that fired a trigger.
        source_event_type: That delta's type.
        trigger_id: The trigger that fired.
    """

    TYPE: ClassVar[str] = "decision.event"

    event: DecisionCompleted
    delegation_id: str | Unset | None = UNSET
    source_event_id: str | Unset | None = UNSET
    source_event_type: str | Unset | None = UNSET
    trigger_id: str | Unset | None = UNSET


@attrs.frozen(kw_only=True)
class DecisionItemCreated(LiveServerEvent):
    """Server event ``decision.item.created``.

    A Decisions input item was added.

    Attributes:
        event_id: The event's id.
        item: The item, with its id.
        client_event_id: The ``event_id`` of the command that caused it.
    """

    TYPE: ClassVar[str] = "decision.item.created"

    item: DecisionItem
    client_event_id: str | Unset | None = UNSET


@attrs.frozen(kw_only=True)
class DecisionItemDeleted(LiveServerEvent):
    """Server event ``decision.item.deleted``.

    A Decisions input item was removed.

    Attributes:
        event_id: The event's id.
        item_id: The item's id.
        client_event_id: The ``event_id`` of the command that caused it.
    """

    TYPE: ClassVar[str] = "decision.item.deleted"

    item_id: str
    client_event_id: str | Unset | None = UNSET


@attrs.frozen(kw_only=True)
class ResponseEvent(LiveServerEvent):
    """Server event ``response.event``.

    A Responses backend event of a Responses delegation, wrapped.

    ``event`` is the nested Responses streaming event, decoded leniently: a typed
    class of :mod:`realtime_sync.live.events.responses` when its type is known and
    its fields have the expected JSON types, else an
    :class:`~realtime_sync.events.UnknownModel` holding the JSON as received
    (lifecycle snapshots are trimmed on the wire and would fail strict models).
    Either way it re-encodes unchanged.

    Attributes:
        event_id: The event's id.
        event: The wrapped Responses streaming event (see the class docstring).
        client_event_id: The ``event_id`` of the command that caused it.
        delegation_id: The delegation it belongs to.
    """

    TYPE: ClassVar[str] = "response.event"

    event: ResponsesStreamEvent
    client_event_id: str | Unset | None = UNSET
    delegation_id: str | Unset | None = UNSET


@attrs.frozen(kw_only=True)
class SessionUsageUpdated(LiveServerEvent):
    """Server event ``session.usage.updated``.

    Cumulative usage (about every 15 s of timeline).

    Attributes:
        event_id: The event's id.
        usage: Usage so far.
        client_event_id: The ``event_id`` of the command that caused it.
        context_window: How full the context is.
    """

    TYPE: ClassVar[str] = "session.usage.updated"

    usage: SessionUsage
    client_event_id: str | Unset | None = UNSET
    context_window: ContextWindow | Unset | None = UNSET


@attrs.frozen(kw_only=True)
class SessionClosed(LiveServerEvent):
    """Server event ``session.closed``.

    The session ended; the server closes the socket next.

    Attributes:
        event_id: The event's id.
        reason: ``close_requested``, ``expired``, ``content``, ``remote_hangup`` or ``connection_lost``.
        session: The final session.
        usage: The final usage.
        client_event_id: The ``event_id`` of the command that caused it.
    """

    TYPE: ClassVar[str] = "session.closed"

    reason: str
    session: SessionResource
    usage: SessionUsage
    client_event_id: str | Unset | None = UNSET


@attrs.frozen(kw_only=True)
class Error(LiveServerEvent):
    """Server event ``error``.

    Something failed; the session goes on unless ``session.closed`` follows.

    Attributes:
        event_id: The event's id.
        error: What failed.
        client_event_id: The ``event_id`` of the command that caused it.
    """

    TYPE: ClassVar[str] = "error"

    error: ErrorDetails
    client_event_id: str | Unset | None = UNSET


@attrs.frozen(kw_only=True)
class Info(LiveServerEvent):
    """Server event ``info``.

    A notice (never an error).

    Attributes:
        event_id: The event's id.
        code: The notice's code.
        message: Its text.
        client_event_id: The ``event_id`` of the command that caused it.
    """

    TYPE: ClassVar[str] = "info"

    code: str
    message: str
    client_event_id: str | Unset | None = UNSET


@attrs.frozen(kw_only=True)
class TransportDtmfReceived(LiveServerEvent):
    """Server event ``transport.dtmf.received``.

    SIP sideband: the caller pressed a key.

    Attributes:
        event_id: The event's id.
        event: The key.
    """

    TYPE: ClassVar[str] = "transport.dtmf.received"

    event: str


@attrs.frozen(kw_only=True)
class ServerTransportDtmfSend(LiveServerEvent):
    """Server event ``transport.dtmf.send``.

    SIP sideband: the legacy name of ``transport.dtmf.sent``.

    Attributes:
        event_id: The event's id.
        event: The key.
        client_event_id: The ``event_id`` of the command that caused it.
    """

    TYPE: ClassVar[str] = "transport.dtmf.send"

    event: str
    client_event_id: str | Unset | None = UNSET


@attrs.frozen(kw_only=True)
class TransportDtmfSent(LiveServerEvent):
    """Server event ``transport.dtmf.sent``.

    SIP sideband: a ``transport.dtmf.send`` went out.

    Attributes:
        event_id: The event's id.
        event: The key.
        client_event_id: The ``event_id`` of the command that caused it.
    """

    TYPE: ClassVar[str] = "transport.dtmf.sent"

    event: str
    client_event_id: str | Unset | None = UNSET


@attrs.frozen(kw_only=True)
class TransportRinging(LiveServerEvent):
    """Server event ``transport.ringing``.

    SIP sideband: the outbound leg rings.

    Attributes:
        event_id: The event's id.
        session_id: The session.
    """

    TYPE: ClassVar[str] = "transport.ringing"

    session_id: str


@attrs.frozen(kw_only=True)
class TransportAnswered(LiveServerEvent):
    """Server event ``transport.answered``.

    SIP sideband: the outbound leg was answered.

    Attributes:
        event_id: The event's id.
        session_id: The session.
    """

    TYPE: ClassVar[str] = "transport.answered"

    session_id: str


@attrs.frozen(kw_only=True)
class TransportFailed(LiveServerEvent):
    """Server event ``transport.failed``.

    SIP sideband: the outbound leg failed.

    Attributes:
        event_id: The event's id.
        error: Why.
        session_id: The session.
    """

    TYPE: ClassVar[str] = "transport.failed"

    error: CallError
    session_id: str


@attrs.frozen(kw_only=True)
class SessionPaused(LiveServerEvent):
    """Server event ``session.paused``.

    Sideband (WebRTC): inference paused after idling.

    Attributes:
        event_id: The event's id.
        client_event_id: The ``event_id`` of the command that caused it.
    """

    TYPE: ClassVar[str] = "session.paused"

    client_event_id: str | Unset | None = UNSET


@attrs.frozen(kw_only=True)
class SessionResumed(LiveServerEvent):
    """Server event ``session.resumed``.

    Sideband (WebRTC): speech woke inference.

    Attributes:
        event_id: The event's id.
        client_event_id: The ``event_id`` of the command that caused it.
    """

    TYPE: ClassVar[str] = "session.resumed"

    client_event_id: str | Unset | None = UNSET


__all__ = [
    "DecisionEvent",
    "DecisionItemCreated",
    "DecisionItemDeleted",
    "Error",
    "Info",
    "ResponseEvent",
    "ServerSessionInputAudioAppend",
    "ServerTransportDtmfSend",
    "SessionClosed",
    "SessionCommentaryAppended",
    "SessionDelegationCreated",
    "SessionInputAudioMuted",
    "SessionInputAudioUnmuted",
    "SessionInputTranscriptDelta",
    "SessionInstructionsAppended",
    "SessionOutputAudioDelta",
    "SessionOutputAudioFixturePlayed",
    "SessionOutputAudioFixturePlaying",
    "SessionOutputTranscriptDelta",
    "SessionPaused",
    "SessionResumed",
    "SessionStarted",
    "SessionThinkingAppended",
    "SessionUpdated",
    "SessionUsageUpdated",
    "TransportAnswered",
    "TransportDtmfReceived",
    "TransportDtmfSent",
    "TransportFailed",
    "TransportRinging",
]
