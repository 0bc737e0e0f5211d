"""Reconnection: the policy, what the hooks see, and what happens during an outage.

A Realtime session does not survive its WebSocket: a reconnect is a **new session**
(REALTIME_PROTOCOL.md §1.7, §9.8). With ``RealtimeClient(reconnect=ReconnectPolicy())``
the client opens a new connection after a recoverable close, then re-sends what the
old session had been told: the session configuration (every ``session.update`` sent,
merged, tools included) and, with ``restore_conversation=True``, the conversation's
text messages, function calls and their outputs, in order and under their old ids.
Events sent while the connection is down are held and sent after that, preceded by
the input audio the old session had not committed; input audio only up to a bound
(the newest ``audio_buffer_seconds``; what is dropped is reported). Without
``restore_conversation``, a response requested before the new session was ready is
not sent when it would answer an emptied conversation: its handle fails.

This module holds the pure parts (no I/O, no threads): the policy, the objects passed
to ``on_reconnecting`` and ``on_reconnected`` handlers, the outage buffer, and the
translation of conversation items into ``conversation.item.create`` payloads.
"""

from __future__ import annotations

import logging
import random
from collections import deque
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

import attrs

from realtime_sync import _b64, exceptions
from realtime_sync import events as ev
from realtime_sync.exceptions import (
    AuthenticationError,
    ConnectError,
    ConnectionClosed,
    QueueFull,
    Timeout,
)

if TYPE_CHECKING:
    from realtime_sync.session._conversation import ConversationItem

__all__ = ["ReconnectAttempt", "ReconnectPolicy", "Reconnected"]

logger = logging.getLogger(__name__)

#: Close codes after which a reconnect may help (the same set as openai-python's):
#: going away (1001: server restart or ``session_expired``), no status (1005),
#: abnormal closure (1006: dropped without a close frame), internal error (1011),
#: service restart (1012), try again later (1013), TLS failure mid-stream (1015).
RECOVERABLE_CLOSE_CODES = frozenset({1001, 1005, 1006, 1011, 1012, 1013, 1015})


def _positive(_: Any, attribute: attrs.Attribute[Any], value: float) -> None:
    if not value > 0:
        raise ValueError(f"{attribute.name} must be positive")


def _non_negative(_: Any, attribute: attrs.Attribute[Any], value: float) -> None:
    if not value >= 0:
        raise ValueError(f"{attribute.name} must be >= 0")


def _attempts(_: Any, attribute: attrs.Attribute[Any], value: int | None) -> None:
    if value is not None and (isinstance(value, bool) or value < 0):
        raise ValueError("max_attempts must be >= 0 or None")


@attrs.frozen(kw_only=True)
class ReconnectPolicy:
    """When and how :class:`~realtime_sync.RealtimeClient` reconnects (opt-in).

    Args:
        max_attempts: Connection attempts per outage before giving up (``None``: no
            limit; ``0``: never reconnect).
        initial_delay: Seconds before the first attempt.
        max_delay: Upper bound of the delay between attempts.
        multiplier: Growth of the delay per attempt (exponential backoff).
        jitter: Fraction of each delay drawn at random (``0.25``: the delay is
            between 75 % and 100 % of the backoff), so that many clients dropped
            at once do not come back at once.
        close_codes: Close codes that trigger a reconnect; a drop without a close
            frame counts as ``1006``. Never ``1000`` (a normal end) or ``4000``
            (``beta_api_shape_disabled``: retrying cannot help).
        restore_conversation: Re-create the conversation's text messages (audio
            messages by their transcript), function calls and function outputs in
            the new session, in order and under their old ids. Assistant audio
            cannot be re-created (§9.8); items with neither text nor transcript are
            skipped. Without it, a response requested before the new session was
            ready (during the outage, or not yet received by the old session) is
            not sent if the old conversation had items and the response has no
            explicit ``input``: its handle fails with :class:`ConnectionClosed`,
            also reported to ``on_error``.
        audio_buffer_seconds: Input audio kept for the new session: the audio the
            old session had not committed (sent again first) and the audio
            appended during the outage, the newest this many seconds of both.
            Older audio is dropped: counted in ``Reconnected.dropped_audio_ms``
            and ``stats.dropped_audio_ms``, logged as a warning and reported to
            ``on_error`` as :class:`~realtime_sync.AudioLost`.
        renew_before_expiry: Renew the session this many seconds before its
            ``expires_at`` (OpenAI ends sessions after 60 minutes with
            ``session_expired``): at the first event received after that moment
            while no response is in progress, the client closes the connection
            itself (code 1000) and reconnects as above, holding what is sent
            meanwhile. ``None`` (the default) waits for the server to end it.

    Authentication failures (HTTP 401/403) and other client errors of the handshake
    (4xx but 408 and 429) end the reconnection at once: retrying cannot fix them.
    """

    max_attempts: int | None = attrs.field(default=5, validator=_attempts)
    initial_delay: float = attrs.field(default=0.5, validator=_non_negative)
    max_delay: float = attrs.field(default=8.0, validator=_non_negative)
    multiplier: float = attrs.field(default=2.0, validator=_positive)
    jitter: float = attrs.field(default=0.25)
    close_codes: frozenset[int] = attrs.field(
        default=RECOVERABLE_CLOSE_CODES, converter=frozenset
    )
    restore_conversation: bool = False
    audio_buffer_seconds: float = attrs.field(default=2.0, validator=_non_negative)
    renew_before_expiry: float | None = attrs.field(default=None)

    @renew_before_expiry.validator
    def _check_renew(
        self, _: attrs.Attribute[float | None], value: float | None
    ) -> None:
        if value is not None and not value > 0:
            raise ValueError("renew_before_expiry must be positive or None")

    @jitter.validator
    def _check_jitter(self, _: attrs.Attribute[float], value: float) -> None:
        if not 0 <= value <= 1:
            raise ValueError("jitter must be between 0 and 1")

    def delay(self, attempt: int, rng: random.Random | None = None) -> float:
        """Seconds to wait before attempt number ``attempt`` (1 for the first)."""
        if attempt < 1:
            raise ValueError("attempt counts from 1")
        base = min(
            self.max_delay, self.initial_delay * self.multiplier ** (attempt - 1)
        )
        draw = (rng or random).random()
        return base * (1.0 - self.jitter * draw)

    def retries_close(self, code: int | None) -> bool:
        """Whether a connection closed with ``code`` (None: no close frame) is retried."""
        if self.max_attempts == 0:
            return False
        return (1006 if code is None else code) in self.close_codes

    def retries_error(self, error: BaseException) -> bool:
        """Whether a failed connection attempt is worth another one."""
        if isinstance(error, AuthenticationError):
            return False
        if isinstance(error, ConnectError):
            status = error.status
            return status is None or status in (408, 429) or status >= 500
        return isinstance(error, (Timeout, ConnectionClosed))


@attrs.define(kw_only=True)
class ReconnectAttempt:
    """What an ``on_reconnecting`` handler sees before each connection attempt.

    The handler runs on the ``realtime-sync-reconnect`` thread and may change
    :attr:`headers` (for this and later attempts) or call :meth:`abort`.

    Attributes:
        attempt: 1 for the first attempt of this outage.
        delay: Seconds the client waits before connecting.
        cause: Why the client reconnects: the :class:`ConnectionClosed` of the
            lost connection, then the error of the previous attempt.
        headers: Extra handshake headers, merged over the client's (a new token,
            ...). Values are treated as secrets: never logged.
        proactive: True when the client renews a session about to expire.
    """

    attempt: int
    delay: float
    cause: exceptions.RealtimeError
    headers: dict[str, str] = attrs.field(factory=dict, repr=False)
    proactive: bool = False
    aborted: bool = attrs.field(default=False, init=False)

    def abort(self) -> None:
        """Give up reconnecting: the client ends as if the attempts ran out."""
        self.aborted = True


@attrs.frozen(kw_only=True)
class Reconnected:
    """What an ``on_reconnected`` handler receives once the new session is ready.

    Attributes:
        attempts: Connection attempts it took.
        downtime: Seconds from the loss of the connection to the new session's
            restoration.
        cause: The :class:`ConnectionClosed` that started it.
        session_restored: A ``session.update`` with the last configuration was
            confirmed by the new session.
        restored_items: Conversation items re-created (``restore_conversation``).
        skipped_items: Items that could not be re-created (audio without a
            transcript, item types the API does not let a client create).
        resent_events: Events held during the outage and sent after it (the old
            session's uncommitted input audio, sent again, included).
        dropped_audio_ms: Input audio dropped because it exceeded the bound
            (``audio_buffer_seconds``): uncommitted when the connection was lost,
            or appended during the outage.
        previous_items: The conversation as it was when the connection was lost;
            without ``restore_conversation`` the new conversation starts empty.
        proactive: True when the client renewed a session about to expire.
    """

    attempts: int
    downtime: float
    cause: exceptions.RealtimeError
    session_restored: bool
    restored_items: int
    skipped_items: int
    resent_events: int
    dropped_audio_ms: int
    previous_items: tuple[ConversationItem, ...] = attrs.field(repr=False)
    proactive: bool = False


class OutageBuffer:
    """Client events sent while the connection is down, in order (not thread-safe).

    Input audio (``input_audio_buffer.append``) is bounded in bytes: the oldest
    appends go first when the bound is exceeded. Other events are kept up to
    ``max_events``; beyond that :class:`QueueFull` is raised at the call site.
    An event is held once: adding one whose ``event_id`` is already held does
    nothing (a request may reach the buffer by two paths during an outage).
    """

    def __init__(self, audio_bytes: int, max_events: int = 1000) -> None:
        self._events: deque[ev.ClientEvent] = deque()
        self._audio_bytes = 0
        self._audio_limit = audio_bytes
        self._others = 0
        self._max_events = max_events
        self._ids: set[str] = set()
        self.dropped_audio_bytes = 0

    def __len__(self) -> int:
        return len(self._events)

    def add(self, event: ev.ClientEvent) -> None:
        """Hold ``event``; may drop the oldest audio (counted in dropped_audio_bytes)."""
        event_id = event.event_id
        if isinstance(event_id, str):
            if event_id in self._ids:
                return  # held already
            self._ids.add(event_id)
        if type(event) is ev.InputAudioBufferAppend:
            size = _b64.decoded_size(event.audio) if isinstance(event.audio, str) else 0
            self._events.append(event)
            self._audio_bytes += size
            if self._audio_bytes > self._audio_limit:
                self._drop_oldest_audio()
            return
        if self._others >= self._max_events:
            if isinstance(event_id, str):
                self._ids.discard(event_id)
            raise QueueFull(
                f"{self._others} events are already held while reconnecting"
            )
        self._events.append(event)
        self._others += 1

    def extend(self, events: Iterable[object]) -> None:
        """Hold the client events among ``events`` (others are ignored)."""
        for event in events:
            if isinstance(event, ev.ClientEvent):
                try:
                    self.add(event)
                except QueueFull:
                    logger.warning("dropped %s held while reconnecting", event.type)

    def event_ids(self) -> frozenset[str]:
        """The ``event_id`` of every held event."""
        return frozenset(
            e.event_id for e in self._events if isinstance(e.event_id, str)
        )

    def put_back(self, events: list[ev.ClientEvent]) -> None:
        """Return events taken by :meth:`take` but not sent, ahead of newer ones."""
        newer = self.take()
        for event in (*events, *newer):
            if type(event) is ev.InputAudioBufferAppend:
                self.add(event)
            else:
                self._events.append(event)  # no bound: they were accepted before
                self._others += 1
                if isinstance(event.event_id, str):
                    self._ids.add(event.event_id)

    def take(self) -> list[ev.ClientEvent]:
        """Remove and return every held event, oldest first."""
        events = list(self._events)
        self._events.clear()
        self._audio_bytes = 0
        self._others = 0
        self._ids.clear()
        return events

    def _drop_oldest_audio(self) -> None:
        kept: deque[ev.ClientEvent] = deque()
        for event in self._events:
            if (
                self._audio_bytes > self._audio_limit
                and type(event) is ev.InputAudioBufferAppend
            ):
                size = (
                    _b64.decoded_size(event.audio)
                    if isinstance(event.audio, str)
                    else 0
                )
                self._audio_bytes -= size
                self.dropped_audio_bytes += size
                if isinstance(event.event_id, str):
                    self._ids.discard(event.event_id)
                continue
            kept.append(event)
        self._events = kept


def restorable_items(
    items: Iterable[ConversationItem],
) -> tuple[list[dict[str, Any]], int]:
    """``conversation.item.create`` items (GA wire dicts) that re-create ``items``.

    Returns:
        The item dicts in order, and how many items could not be re-created.
    """
    created: list[dict[str, Any]] = []
    skipped = 0
    for item in items:
        body = _item_body(item)
        if body is None:
            skipped += 1
        else:
            created.append(body)
    return created, skipped


def _item_body(item: ConversationItem) -> dict[str, Any] | None:
    if item.type == "function_call":
        if item.call_id is None or item.name is None:
            return None
        return {
            "type": "function_call",
            "id": item.id,
            "call_id": item.call_id,
            "name": item.name,
            "arguments": item.arguments or "",
        }
    if item.type == "function_call_output":
        if item.call_id is None or item.output is None:
            return None
        return {
            "type": "function_call_output",
            "id": item.id,
            "call_id": item.call_id,
            "output": item.output,
        }
    if item.type != "message" or item.role not in ("user", "system", "assistant"):
        return None
    text = item.text or item.transcript
    if not text:
        return None
    part = "output_text" if item.role == "assistant" else "input_text"
    return {
        "type": "message",
        "id": item.id,
        "role": item.role,
        "content": [{"type": part, "text": text}],
    }


def merge_session(base: dict[str, Any], update: Mapping[str, Any]) -> dict[str, Any]:
    """``base`` with ``update`` merged in, as the server merges ``session.update``.

    Objects merge field by field; everything else (lists such as ``tools``
    included) is replaced. A different session ``type`` starts over.
    """
    if base.get("type") not in (None, update.get("type", base.get("type"))):
        return dict(update)
    merged = dict(base)
    for key, value in update.items():
        old = merged.get(key)
        if isinstance(old, dict) and isinstance(value, Mapping):
            merged[key] = merge_session(old, value)
        else:
            merged[key] = value
    return merged
