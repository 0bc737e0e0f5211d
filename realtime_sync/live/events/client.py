"""Client events of the Live protocol: what a client sends (primary, sideband, fork).

One frozen attrs class per client event type; ``TYPE`` is the wire type. Every client
event has an optional ``event_id``, echoed by the server as ``client_event_id`` on the
acknowledgement and as ``error.client_event_id`` on failure.

``session.input_audio.append`` and ``transport.dtmf.send`` exist in both directions;
the client commands are :class:`SessionInputAudioAppend` and
:class:`TransportDtmfSend` here, the server events of the same type
:class:`~realtime_sync.live.events.server.ServerSessionInputAudioAppend` and
:class:`~realtime_sync.live.events.server.ServerTransportDtmfSend`.
"""

from __future__ import annotations

from typing import ClassVar

import attrs

from realtime_sync.events._base import Unset
from realtime_sync.live.events._base import LiveClientEvent
from realtime_sync.live.events.models import (
    DecisionItem,
    ResponseInputItem,
    SessionConfig,
    SessionUpdateConfig,
)


@attrs.frozen(kw_only=True)
class SessionStart(LiveClientEvent):
    """Client event ``session.start``.

    Start the session: the first frame of a primary (or fork) connection.

    The server answers ``session.started`` (or ``error``, naming the refused field).

    Attributes:
        event_id: Optional id, echoed in ``client_event_id``.
        session: The configuration (a fork: overrides, may be empty).
    """

    TYPE: ClassVar[str] = "session.start"

    session: SessionConfig


@attrs.frozen(kw_only=True)
class SessionUpdate(LiveClientEvent):
    """Client event ``session.update``.

    Change the delegation settings or the transcript triggers.

    Answered by ``session.updated``.

    Attributes:
        event_id: Optional id, echoed in ``client_event_id``.
        session: The sparse update.
    """

    TYPE: ClassVar[str] = "session.update"

    session: SessionUpdateConfig


@attrs.frozen(kw_only=True)
class SessionInputAudioAppend(LiveClientEvent):
    """Client event ``session.input_audio.append``.

    Stream input audio (silence included; no acknowledgement).

    Attributes:
        event_id: Optional id, echoed in ``client_event_id``.
        audio: Base64 audio in the session's format.
    """

    TYPE: ClassVar[str] = "session.input_audio.append"

    audio: str


@attrs.frozen(kw_only=True)
class SessionInputAudioMute(LiveClientEvent):
    """Client event ``session.input_audio.mute``.

    Stop feeding input audio to the model. Answered by ``session.input_audio.muted``.

    Attributes:
        event_id: Optional id, echoed in ``client_event_id``.
    """

    TYPE: ClassVar[str] = "session.input_audio.mute"


@attrs.frozen(kw_only=True)
class SessionInputAudioUnmute(LiveClientEvent):
    """Client event ``session.input_audio.unmute``.

    Undo a mute. Answered by ``session.input_audio.unmuted``.

    Attributes:
        event_id: Optional id, echoed in ``client_event_id``.
    """

    TYPE: ClassVar[str] = "session.input_audio.unmute"


@attrs.frozen(kw_only=True)
class SessionOutputAudioFixturePlay(LiveClientEvent):
    """Client event ``session.output_audio.fixture.play``.

    Play a prerecorded clip (PCM16 24 kHz mono, at most 30 s) as the output.

    Attributes:
        event_id: Optional id, echoed in ``client_event_id``.
        audio: Base64 PCM16 24 kHz mono, no header.
    """

    TYPE: ClassVar[str] = "session.output_audio.fixture.play"

    audio: str


@attrs.frozen(kw_only=True)
class SessionInstructionsAppend(LiveClientEvent):
    """Client event ``session.instructions.append``.

    Add developer instructions mid-session. Answered by ``session.instructions.appended``.

    Attributes:
        event_id: Optional id, echoed in ``client_event_id``.
        content: The text (at most 500 tokens).
        delegation_id: The client delegation it answers; ``None`` (sent as ``null``) for session-wide context.
    """

    TYPE: ClassVar[str] = "session.instructions.append"

    content: str
    delegation_id: str | Unset | None = None


@attrs.frozen(kw_only=True)
class SessionThinkingAppend(LiveClientEvent):
    """Client event ``session.thinking.append``.

    Add silent context or progress notes. Answered by ``session.thinking.appended``.

    Attributes:
        event_id: Optional id, echoed in ``client_event_id``.
        content: The text (at most 500 tokens).
        delegation_id: The client delegation it answers; ``None`` (sent as ``null``) for session-wide context.
    """

    TYPE: ClassVar[str] = "session.thinking.append"

    content: str
    delegation_id: str | Unset | None = None


@attrs.frozen(kw_only=True)
class SessionCommentaryAppend(LiveClientEvent):
    """Client event ``session.commentary.append``.

    Add speakable context (a delegation's result). Answered by ``session.commentary.appended``.

    Attributes:
        event_id: Optional id, echoed in ``client_event_id``.
        content: The text (at most 500 tokens).
        delegation_id: The client delegation it answers; ``None`` (sent as ``null``) for session-wide context.
    """

    TYPE: ClassVar[str] = "session.commentary.append"

    content: str
    delegation_id: str | Unset | None = None


@attrs.frozen(kw_only=True)
class DecisionCreate(LiveClientEvent):
    """Client event ``decision.create``.

    Run the configured Decisions questions now (``event_id`` is required). Answered by ``decision.event``.

    Attributes:
        event_id: Optional id, echoed in ``client_event_id``.
    """

    TYPE: ClassVar[str] = "decision.create"


@attrs.frozen(kw_only=True)
class DecisionItemCreate(LiveClientEvent):
    """Client event ``decision.item.create``.

    Add an input item for future decisions. Answered by ``decision.item.created``.

    Attributes:
        event_id: Optional id, echoed in ``client_event_id``.
        item: The item.
    """

    TYPE: ClassVar[str] = "decision.item.create"

    item: DecisionItem


@attrs.frozen(kw_only=True)
class DecisionItemDelete(LiveClientEvent):
    """Client event ``decision.item.delete``.

    Remove a Decisions input item. Answered by ``decision.item.deleted``.

    Attributes:
        event_id: Optional id, echoed in ``client_event_id``.
        item_id: The item's id.
    """

    TYPE: ClassVar[str] = "decision.item.delete"

    item_id: str


@attrs.frozen(kw_only=True)
class ResponseItemCreate(LiveClientEvent):
    """Client event ``response.item.create``.

    Responses delegation: add an item (a ``function_call_output``) to the backend conversation.

    Attributes:
        event_id: Optional id, echoed in ``client_event_id``.
        item: The Responses input item.
    """

    TYPE: ClassVar[str] = "response.item.create"

    item: ResponseInputItem


@attrs.frozen(kw_only=True)
class ResponseCreate(LiveClientEvent):
    """Client event ``response.create``.

    Responses delegation: ask the backend to (continue to) respond.

    Attributes:
        event_id: Optional id, echoed in ``client_event_id``.
    """

    TYPE: ClassVar[str] = "response.create"


@attrs.frozen(kw_only=True)
class SessionClose(LiveClientEvent):
    """Client event ``session.close``.

    Finalize and end the session. Answered by ``session.closed``.

    Attributes:
        event_id: Optional id, echoed in ``client_event_id``.
    """

    TYPE: ClassVar[str] = "session.close"


@attrs.frozen(kw_only=True)
class TransportDtmfSend(LiveClientEvent):
    """Client event ``transport.dtmf.send``.

    Sideband of a SIP call: send one DTMF key. Answered by ``transport.dtmf.sent``.

    Attributes:
        event_id: Optional id, echoed in ``client_event_id``.
        event: The key: ``0``-``9``, ``A``-``D``, ``*`` or ``#``.
    """

    TYPE: ClassVar[str] = "transport.dtmf.send"

    event: str


__all__ = [
    "DecisionCreate",
    "DecisionItemCreate",
    "DecisionItemDelete",
    "ResponseCreate",
    "ResponseItemCreate",
    "SessionClose",
    "SessionCommentaryAppend",
    "SessionInputAudioAppend",
    "SessionInputAudioMute",
    "SessionInputAudioUnmute",
    "SessionInstructionsAppend",
    "SessionOutputAudioFixturePlay",
    "SessionStart",
    "SessionThinkingAppend",
    "SessionUpdate",
    "TransportDtmfSend",
]
