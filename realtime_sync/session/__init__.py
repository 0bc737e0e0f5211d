"""The sans-I/O core of one Realtime session.

:class:`SessionCore` is fed decoded server events and the client's own outgoing
events, keeps the conversation, the responses, the received-audio accounting, the
barge-in decision, the beta synthesis and the settings a reconnection restores, and
answers :class:`Effects` (events to send, handles to settle, notifications) instead
of acting. Nothing here starts a thread, touches a socket or sleeps; it is tested
with plain calls. The threaded client (:mod:`realtime_sync.client`) drives it.
"""

from __future__ import annotations

from realtime_sync.session._conversation import (
    Conversation,
    ConversationItem,
    ItemChange,
)
from realtime_sync.session._core import Interruption, PlaybackView, SessionCore
from realtime_sync.session._effects import Effects, Pending
from realtime_sync.session._response import Response, ResponseTimings
from realtime_sync.session._responses import REQUEST_KEY, ResponseTracker, UsageTotals

__all__ = [
    "REQUEST_KEY",
    "Conversation",
    "ConversationItem",
    "Effects",
    "Interruption",
    "ItemChange",
    "Pending",
    "PlaybackView",
    "Response",
    "ResponseTimings",
    "ResponseTracker",
    "SessionCore",
    "UsageTotals",
]
