"""Conversation state, kept from server events: items, text, transcripts, audio.

The state itself lives in the session core (:mod:`realtime_sync.session`); this
module is its public face. :class:`Conversation` here is thread-safe: the client's
reader thread feeds it (:meth:`Conversation.apply`) while any thread reads snapshots
(:attr:`Conversation.items`, :meth:`Conversation.get`).
"""

from __future__ import annotations

import threading

from realtime_sync.session._conversation import (
    DEFAULT_MAX_ITEMS,
    DEFAULT_RETENTION_SECONDS,
    ConversationItem,
    ItemChange,
)
from realtime_sync.session._conversation import Conversation as _Conversation

__all__ = ["Conversation", "ConversationItem", "ItemChange"]


class Conversation(_Conversation):
    """The conversation of one session, as the server reported it; thread-safe.

    Args:
        retention_seconds: Assistant audio kept for the whole session, oldest
            dropped first (default 60 s; 0 keeps none; None keeps everything).
        max_items: Items kept (default 500; None keeps all): past the bound the
            oldest item is dropped from this local mirror, with its audio, not from
            the server's conversation.
    """

    def __init__(
        self,
        retention_seconds: float | None = DEFAULT_RETENTION_SECONDS,
        *,
        max_items: int | None = DEFAULT_MAX_ITEMS,
    ) -> None:
        super().__init__(retention_seconds, max_items=max_items, lock=threading.Lock())
