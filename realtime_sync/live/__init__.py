"""The Live API (GPT-Live, ``wss://api.openai.com/v1/live/sessions``).

:mod:`realtime_sync.live.events` holds the typed events, :mod:`realtime_sync.live.codec`
the :class:`~realtime_sync.live.codec.LiveCodec` (JSON text <-> events), and
:class:`LiveClient` the threaded client: ``session.start`` -> ``session.started``,
a continuous input pump, handlers on a reader thread, context appends acknowledged
on the timeline, transcripts grouped into :class:`Turn` s, delegation
(``@client.delegate``, ``@client.tool``), usage, ``session.close`` ->
``session.closed``, and recovery that starts a new session carrying the
transcript. See ``docs/live.rst``.
"""

from __future__ import annotations

from realtime_sync.live._carry import MAX_INPUT_MESSAGES, CarriedOver
from realtime_sync.live._client import LiveClient, LiveReconnected
from realtime_sync.live._core import (
    AppendAck,
    Delegation,
    LiveUsage,
    SessionEnd,
    ToolCall,
)
from realtime_sync.live._delegation import DelegationTask
from realtime_sync.live._turns import Turn

__all__ = [
    "MAX_INPUT_MESSAGES",
    "AppendAck",
    "CarriedOver",
    "Delegation",
    "DelegationTask",
    "LiveClient",
    "LiveReconnected",
    "LiveUsage",
    "SessionEnd",
    "ToolCall",
    "Turn",
]
