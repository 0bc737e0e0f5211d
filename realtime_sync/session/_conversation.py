"""Conversation state, kept from server events: items, text, transcripts, audio.

:class:`Conversation` is fed every server event by the client's reader thread
(:meth:`Conversation.apply`) and answers thread-safe snapshots
(:attr:`Conversation.items`, :meth:`Conversation.get`). It never sends anything: the
state is what the server said, in the server's order (``previous_item_id``).

Things real apps get wrong, handled here:

* an input transcription that arrives before its item, or long after the response,
  is attached to the right user item (pending transcripts wait for their item);
* assistant audio is kept under a retention bound for the whole session (default the
  last 60 seconds; oldest audio is dropped first; ``0`` keeps none), so a long session
  does not grow by gigabytes;
* the items themselves are kept under an item bound (default the last 500): the
  oldest item is dropped from this local mirror (with its audio) when a new one
  arrives past the bound, never from the server's conversation, so an hour-long
  session does not grow by a few hundred bytes per item without end;
* transcripts waiting for an item that never comes are bounded too;
* a truncated item keeps only the audio the user heard.
"""

from __future__ import annotations

import collections
import contextlib
import logging
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import attrs

from realtime_sync import _b64
from realtime_sync import events as ev
from realtime_sync._formats import bytes_per_second, decode_audio

logger = logging.getLogger(__name__)

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

__all__ = [
    "DEFAULT_MAX_ITEMS",
    "DEFAULT_RETENTION_SECONDS",
    "Conversation",
    "ConversationItem",
    "ItemChange",
]

#: Items the local mirror keeps by default: about 250 exchanges, more than most
#: hour-long voice sessions at a natural pace (one exchange every 15 s or more).
DEFAULT_MAX_ITEMS = 500
#: Seconds of assistant audio kept by default for the whole session (2.9 MB of
#: 24 kHz pcm16; a process running 50 sessions holds 144 MB of it).
DEFAULT_RETENTION_SECONDS = 60.0
# Transcripts that wait for an item not seen yet (a transcription racing its item):
# at most this many items' worth, oldest dropped (one whose item never comes, or
# was dropped by the item bound before its transcript arrived, would wait forever).
_MAX_PENDING = 64


@attrs.frozen(kw_only=True)
class ConversationItem:
    """A snapshot of one conversation item.

    Attributes:
        id: The item id.
        type: ``message``, ``function_call``, ``function_call_output``, ``mcp_call``...
        role: ``user``, ``assistant`` or ``system`` for messages, else None.
        status: ``in_progress``, ``completed`` or ``incomplete`` (None if unknown).
        text: Text content (input text, or the assistant's text output).
        transcript: The transcript of the item's audio (the user's input
            transcription, or the assistant's audio transcript).
        audio_bytes: The assistant's audio kept under the retention bound, in the
            output format (``audio_format``).
        audio_format: ``audio/pcm`` (24 kHz pcm16), ``audio/pcmu`` or ``audio/pcma``.
        audio_ms: Milliseconds of audio received for the item (also what was
            dropped by the retention bound), or the truncation point.
        truncated_at_ms: Where the item was truncated, or None.
        name: The function name of a function call.
        arguments: The arguments (JSON text) of a function call.
        call_id: The call id of a function call or its output.
        output: The output of a ``function_call_output`` item.
        previous_item_id: The item before it, as the server said.
        response_id: The response that produced it, for assistant items.
    """

    id: str
    type: str | None = None
    role: str | None = None
    status: str | None = None
    text: str = ""
    transcript: str = ""
    audio_bytes: bytes = attrs.field(default=b"", repr=lambda b: f"<{len(b)} bytes>")
    audio_format: str = "audio/pcm"
    audio_ms: int = 0
    truncated_at_ms: int | None = None
    name: str | None = None
    arguments: str | None = None
    call_id: str | None = None
    output: str | None = None
    previous_item_id: str | None = None
    response_id: str | None = None

    @property
    def audio(self) -> NDArray[np.int16]:
        """The retained audio as int16 samples (G.711 decoded)."""
        return decode_audio(self.audio_bytes, self.audio_format)


@attrs.frozen
class ItemChange:
    """What changed: passed to ``on_change`` callbacks with the new snapshot.

    Attributes:
        kind: ``added``, ``done``, ``text``, ``transcript``, ``audio``, ``arguments``,
            ``truncated`` or ``deleted``.
        item: The item after the change (for ``deleted``, the last snapshot).
        delta: The new text, transcript or arguments chunk, when there is one.
    """

    kind: str
    item: ConversationItem
    delta: str | None = None


_Change = tuple[str, "_State", "str | None"]


# The audio of an item without any (see _State): empty, and never appended to.
_NO_CHUNKS: collections.deque[str | bytes] = collections.deque(maxlen=0)
_NO_SIZES: collections.deque[int] = collections.deque(maxlen=0)


class _State:
    """Mutable state of one item (reader thread writes, under the lock)."""

    __slots__ = (
        "arguments",
        "audio",
        "audio_format",
        "audio_held",
        "audio_received",
        "audio_sizes",
        "call_id",
        "id",
        "name",
        "output",
        "previous_item_id",
        "response_id",
        "role",
        "status",
        "text",
        "transcript",
        "truncated_at_ms",
        "type",
    )

    def __init__(self, item_id: str) -> None:
        self.id = item_id
        self.type: str | None = None
        self.role: str | None = None
        self.status: str | None = None
        self.text = ""
        self.transcript = ""
        # Audio chunks as received (base64 text, decoded only when a snapshot asks:
        # the reader thread stays cheap) or as bytes (after a truncation), with
        # their decoded sizes, oldest first. Shared empty sentinels until the first
        # chunk (most items never hold audio; two deques cost 1.5 KB an item).
        self.audio: collections.deque[str | bytes] = _NO_CHUNKS
        self.audio_sizes: collections.deque[int] = _NO_SIZES
        self.audio_held = 0  # bytes held in ``audio``
        self.audio_format = "audio/pcm"
        self.audio_received = 0  # bytes received (retained or not)
        self.truncated_at_ms: int | None = None
        self.name: str | None = None
        self.arguments: str | None = None
        self.call_id: str | None = None
        self.output: str | None = None
        self.previous_item_id: str | None = None
        self.response_id: str | None = None

    def hold_audio(self, chunk: str | bytes, size: int) -> None:
        """Append one chunk of ``size`` decoded bytes (audio_held not updated)."""
        if self.audio is _NO_CHUNKS:
            self.audio = collections.deque()
            self.audio_sizes = collections.deque()
        self.audio.append(chunk)
        self.audio_sizes.append(size)

    def forget_audio(self) -> None:
        """Drop every held chunk (audio_held not updated)."""
        self.audio = _NO_CHUNKS
        self.audio_sizes = _NO_SIZES

    def audio_data(self) -> bytes:
        data, bad = _b64.decode_chunks(self.audio)
        if bad:
            logger.warning(
                "item %s: left out %d audio delta(s) that were not base64", self.id, bad
            )
        return data

    def snapshot(self) -> ConversationItem:
        rate = bytes_per_second(self.audio_format)
        audio_ms = self.audio_received * 1000 // rate
        if self.truncated_at_ms is not None:
            audio_ms = min(audio_ms, self.truncated_at_ms)
        return ConversationItem(
            id=self.id,
            type=self.type,
            role=self.role,
            status=self.status,
            text=self.text,
            transcript=self.transcript,
            audio_bytes=self.audio_data(),
            audio_format=self.audio_format,
            audio_ms=audio_ms,
            truncated_at_ms=self.truncated_at_ms,
            name=self.name,
            arguments=self.arguments,
            call_id=self.call_id,
            output=self.output,
            previous_item_id=self.previous_item_id,
            response_id=self.response_id,
        )


def _word(value: Any) -> str | None:
    """An interned ``str`` (a type, role or status), or None."""
    return sys.intern(value) if isinstance(value, str) else None


def _s(value: Any) -> str | None:
    return value if isinstance(value, str) else None


class Conversation:
    """The conversation of one session, as the server reported it.

    Args:
        retention_seconds: Assistant audio kept for the whole session, oldest
            dropped first (default 60 s; 0 keeps none; None keeps everything).
        max_items: Items kept (default 500; None keeps every item). Past the
            bound the oldest item, in conversation order, is dropped from this
            local mirror with its audio; the server's conversation is not
            touched (no event is sent) and no change callback is called. An
            event about a dropped item later (a late transcript, a delta) starts
            a new item, as for any item not seen yet.
        lock: What guards the state between the feeding thread and readers (a
            ``threading.Lock()`` when several threads use it, as the client's do;
            no locking by default). Kept as an argument so that this module, part
            of the sans-I/O session core, imports no threading.
    """

    def __init__(
        self,
        retention_seconds: float | None = DEFAULT_RETENTION_SECONDS,
        *,
        max_items: int | None = DEFAULT_MAX_ITEMS,
        lock: contextlib.AbstractContextManager[Any] | None = None,
    ) -> None:
        if retention_seconds is not None and retention_seconds < 0:
            raise ValueError("retention_seconds must be >= 0 or None")
        if max_items is not None and (
            not isinstance(max_items, int) or isinstance(max_items, bool)
        ):
            raise TypeError("max_items must be an int or None")
        if max_items is not None and max_items < 1:
            raise ValueError("max_items must be at least 1, or None")
        self._retention = retention_seconds
        # The retention bound in bytes, for the output format it was computed for.
        self._audio_limit: int | None = None
        self._limit_format = ""
        self._max_items = max_items
        self._lock: contextlib.AbstractContextManager[Any] = (
            contextlib.nullcontext() if lock is None else lock
        )
        self._items: dict[str, _State] = {}
        self._order: list[str] = []
        self._pending_transcripts: dict[str, list[str]] = {}
        self._pending_final: dict[str, str] = {}
        self._audio_order: list[str] = []  # items holding audio, oldest first
        self._audio_bytes = 0
        self._callbacks: tuple[Callable[[ItemChange], Any], ...] = ()
        self.output_format = "audio/pcm"

    # -- reading -----------------------------------------------------------------

    @property
    def items(self) -> list[ConversationItem]:
        """Snapshots of all items, in conversation order."""
        with self._lock:
            return [self._items[i].snapshot() for i in self._order]

    def get(self, item_id: str) -> ConversationItem | None:
        """The snapshot of one item, or None."""
        with self._lock:
            state = self._items.get(item_id)
            return state.snapshot() if state is not None else None

    def __len__(self) -> int:
        with self._lock:
            return len(self._order)

    @property
    def max_items(self) -> int | None:
        """The item bound (None: unbounded)."""
        return self._max_items

    @property
    def retained_audio_bytes(self) -> int:
        """Bytes of assistant audio held for the whole session."""
        with self._lock:
            return self._audio_bytes

    @property
    def has_callbacks(self) -> bool:
        """Whether any ``on_change`` callback is registered."""
        return bool(self._callbacks)

    def on_change(
        self, callback: Callable[[ItemChange], Any]
    ) -> Callable[[ItemChange], Any]:
        """Register ``callback(change)``, called on the reader thread after each change.

        Usable as a decorator. A callback that raises is the caller's problem: the
        client logs it and goes on.
        """
        if not callable(callback):
            raise TypeError("callback must be callable")
        with self._lock:
            self._callbacks = (*self._callbacks, callback)
        return callback

    def clear(self) -> list[ConversationItem]:
        """Forget every item (a new session starts empty); return their snapshots.

        The client calls it when a reconnection starts a new session without
        restoring the conversation. Change callbacks stay registered.
        """
        with self._lock:
            items = [self._items[i].snapshot() for i in self._order]
            self._items.clear()
            self._order.clear()
            self._pending_transcripts.clear()
            self._pending_final.clear()
            self._audio_order.clear()
            self._audio_bytes = 0
        return items

    # -- feeding (reader thread) ---------------------------------------------------

    def apply(self, event: ev.ServerEvent) -> list[_Change]:
        """Update the state from one server event (reader thread only).

        Returns:
            The raw changes, for :meth:`notify`. Callbacks are not called here, so
            that the caller decides where user code runs.
        """
        handler = _HANDLERS.get(type(event))
        if handler is None:
            return []
        with self._lock:
            return handler(self, event)

    def audio_delta(
        self, event: ev.ResponseOutputAudioDelta, size: int
    ) -> list[_Change]:
        """Keep one audio delta whose decoded ``size`` the caller computed already.

        The session core measures each delta once and passes the figure on, rather
        than having :meth:`apply` measure it again. ``event.delta`` must be a base64
        string (checked by the caller).
        """
        with self._lock:
            return self._audio_delta_locked(event, size)

    def _audio_delta_locked(
        self, event: ev.ResponseOutputAudioDelta, size: int
    ) -> list[_Change]:
        # The hot path of a voice session (ten deltas a second): the item is
        # looked up directly, and no change is built when no callback wants it.
        state = self._items.get(event.item_id)
        if state is None:
            state, _ = self._state(event.item_id)
        response_id = event.response_id
        if response_id.__class__ is str and response_id:
            state.response_id = response_id
        self._add_audio(state, event.delta, size)
        return [("audio", state, None)] if self._callbacks else []

    def notify(
        self, changes: list[_Change]
    ) -> list[tuple[Callable[[ItemChange], Any], BaseException]]:
        """Call the callbacks for ``changes``; return the (callback, error) failures.

        Snapshots are only built when a callback is registered (an audio snapshot
        copies the item's audio, which would be quadratic per delta otherwise).
        Must be called on the thread that called :meth:`apply`.
        """
        callbacks = self._callbacks
        failures: list[tuple[Callable[[ItemChange], Any], BaseException]] = []
        if not callbacks:
            return failures
        for kind, state, delta in changes:
            change = ItemChange(kind, state.snapshot(), delta)
            for cb in callbacks:
                try:
                    cb(change)
                except Exception as exc:
                    failures.append((cb, exc))
        return failures

    # -- internals (lock held) -----------------------------------------------------

    def _state(self, item_id: str, previous: Any = ev.UNSET) -> tuple[_State, bool]:
        state = self._items.get(item_id)
        if state is not None:
            return state, False
        state = _State(item_id)
        self._items[item_id] = state
        prev = _s(previous)
        # Items go after their previous item when it is known; otherwise (unknown,
        # absent, or null, which sloppy servers send for every item) at the end.
        if prev is not None and prev in self._items and prev in self._order:
            prev = self._items[prev].id  # the same string object, not a copy
            self._order.insert(self._order.index(prev) + 1, item_id)
        else:
            self._order.append(item_id)
        state.previous_item_id = prev
        pending = self._pending_transcripts.pop(item_id, None)
        if pending:
            state.transcript = "".join(pending)
        final = self._pending_final.pop(item_id, None)
        if final is not None:
            state.transcript = final
        if self._max_items is not None and len(self._order) > self._max_items:
            self._drop_oldest(len(self._order) - self._max_items)
        return state, True

    def _drop_oldest(self, count: int) -> None:
        """Drop the ``count`` oldest items from the mirror (the item bound)."""
        # A new item is never first in the order (it goes at the end, or after
        # its previous item), so the item being added is never the one dropped.
        dropped, self._order[:count] = self._order[:count], []
        for item_id in dropped:
            state = self._items.pop(item_id, None)
            if state is not None:
                self._drop_audio(state)

    def _upsert(
        self, item: Any, previous: Any, kind: str, response_id: str | None = None
    ) -> list[_Change]:
        item_id = _s(getattr(item, "id", None))
        if item_id is None:
            return []
        state, new = self._state(item_id, previous)
        # A few words repeated on every item: one shared copy each (a decoded JSON
        # string is a new object every time; a long session has thousands of items).
        state.type = _word(getattr(item, "type", None)) or state.type
        state.role = _word(getattr(item, "role", None)) or state.role
        state.status = _word(getattr(item, "status", None)) or state.status
        if response_id is not None:
            state.response_id = response_id
        for attr in ("name", "arguments", "call_id", "output"):
            value = _s(getattr(item, attr, None))
            if value is not None:
                setattr(state, attr, value)
        content = getattr(item, "content", None)
        if isinstance(content, list):
            texts = [
                p.text for p in content if isinstance(getattr(p, "text", None), str)
            ]
            trans = [
                p.transcript
                for p in content
                if isinstance(getattr(p, "transcript", None), str)
            ]
            if texts and "".join(texts):
                state.text = "".join(texts)
            if trans and "".join(trans) and not state.transcript:
                state.transcript = "".join(trans)
        return [("added" if new else kind, state, None)]

    def _add_audio(self, state: _State, chunk: str, size: int) -> None:
        state.audio_format = self.output_format
        state.audio_received += size
        if self._retention == 0:
            return
        state.hold_audio(chunk, size)
        state.audio_held += size
        self._audio_bytes += size
        if not self._audio_order or self._audio_order[-1] != state.id:
            if state.id in self._audio_order:
                self._audio_order.remove(state.id)
            self._audio_order.append(state.id)
        if self._retention is None:
            return
        limit = self._audio_limit
        if limit is None or self._limit_format != self.output_format:
            self._limit_format = self.output_format
            limit = self._audio_limit = int(
                self._retention * bytes_per_second(self.output_format)
            )
        # Drop whole chunks, oldest first, until the session holds at most the bound.
        while self._audio_bytes > limit and self._audio_order:
            oldest = self._items.get(self._audio_order[0])
            if oldest is None or not oldest.audio:
                self._audio_order.pop(0)
                continue
            oldest.audio.popleft()
            dropped = oldest.audio_sizes.popleft()
            oldest.audio_held -= dropped
            self._audio_bytes -= dropped
            if not oldest.audio:
                # Back to the shared empty sentinels: two empty deques would still
                # cost 1.2 KB for every item whose audio is gone.
                oldest.forget_audio()
                self._audio_order.pop(0)

    def _drop_audio(self, state: _State) -> None:
        self._audio_bytes -= state.audio_held
        state.forget_audio()
        state.audio_held = 0
        if state.id in self._audio_order:
            self._audio_order.remove(state.id)


def _on_item(conv: Conversation, e: Any) -> list[_Change]:
    kind = (
        "done"
        if isinstance(e, (ev.ConversationItemDone, ev.ConversationItemRetrieved))
        else "added"
    )
    return conv._upsert(e.item, getattr(e, "previous_item_id", ev.UNSET), kind)


def _on_output_item(conv: Conversation, e: Any) -> list[_Change]:
    kind = "done" if isinstance(e, ev.ResponseOutputItemDone) else "added"
    return conv._upsert(e.item, ev.UNSET, kind, _s(e.response_id))


def _on_text_delta(conv: Conversation, e: Any) -> list[_Change]:
    state, _ = conv._state(e.item_id)
    if isinstance(e.delta, str):
        state.text += e.delta
    return [("text", state, _s(e.delta))]


def _on_text_done(conv: Conversation, e: Any) -> list[_Change]:
    state, _ = conv._state(e.item_id)
    if isinstance(e.text, str):
        state.text = e.text
    return [("text", state, None)]


def _on_transcript_delta(conv: Conversation, e: Any) -> list[_Change]:
    state, _ = conv._state(e.item_id)
    if isinstance(e.delta, str):
        state.transcript += e.delta
    return [("transcript", state, _s(e.delta))]


def _on_transcript_done(conv: Conversation, e: Any) -> list[_Change]:
    state, _ = conv._state(e.item_id)
    if isinstance(e.transcript, str):
        state.transcript = e.transcript
    return [("transcript", state, None)]


def _on_audio_delta(conv: Conversation, e: Any) -> list[_Change]:
    delta = e.delta
    if not isinstance(delta, str) or len(delta) % 4:
        return []  # not base64 audio: nothing to keep
    return conv._audio_delta_locked(e, _b64.decoded_size(delta))


def _on_input_transcription(conv: Conversation, e: Any) -> list[_Change]:
    item_id = e.item_id
    if not isinstance(item_id, str):
        return []
    state = conv._items.get(item_id)
    final = isinstance(e, ev.ConversationItemInputAudioTranscriptionCompleted)
    text = e.transcript if final else e.delta
    if not isinstance(text, str):
        return []
    if state is None:
        # The item is not known yet (transcription can race its item): keep it.
        if final:
            conv._pending_final[item_id] = text
            _bound(conv._pending_final)
        else:
            conv._pending_transcripts.setdefault(item_id, []).append(text)
            _bound(conv._pending_transcripts)
        return []
    state.transcript = text if final else state.transcript + text
    return [("transcript", state, None if final else text)]


def _bound(pending: dict[str, Any]) -> None:
    """Keep at most ``_MAX_PENDING`` waiting transcripts, oldest dropped."""
    while len(pending) > _MAX_PENDING:
        del pending[next(iter(pending))]


def _on_arguments_delta(conv: Conversation, e: Any) -> list[_Change]:
    state, _ = conv._state(e.item_id)
    if isinstance(e.delta, str):
        state.arguments = (state.arguments or "") + e.delta
    state.call_id = _s(e.call_id) or state.call_id
    return [("arguments", state, _s(e.delta))]


def _on_arguments_done(conv: Conversation, e: Any) -> list[_Change]:
    state, _ = conv._state(e.item_id)
    state.arguments = _s(e.arguments) or state.arguments
    state.call_id = _s(e.call_id) or state.call_id
    state.name = _s(e.name) or state.name
    return [("arguments", state, None)]


def _on_deleted(conv: Conversation, e: Any) -> list[_Change]:
    state = conv._items.pop(e.item_id, None) if isinstance(e.item_id, str) else None
    if state is None:
        return []
    conv._order.remove(state.id)
    conv._drop_audio(state)
    return [("deleted", state, None)]


def _on_truncated(conv: Conversation, e: Any) -> list[_Change]:
    state = conv._items.get(e.item_id) if isinstance(e.item_id, str) else None
    if state is None or not isinstance(e.audio_end_ms, int):
        return []
    state.truncated_at_ms = e.audio_end_ms
    rate = bytes_per_second(state.audio_format)
    keep = e.audio_end_ms * rate // 1000
    dropped = state.audio_received - state.audio_held  # by the retention bound
    cut = max(0, keep - dropped)
    if cut < state.audio_held:
        data = state.audio_data()[:cut]
        conv._audio_bytes -= state.audio_held - len(data)
        state.forget_audio()
        if data:
            state.hold_audio(data, len(data))
        state.audio_held = len(data)
    return [("truncated", state, None)]


_HANDLERS: dict[type, Callable[[Conversation, Any], list[_Change]]] = {
    ev.ConversationItemAdded: _on_item,
    ev.ConversationItemCreated: _on_item,
    ev.ConversationItemDone: _on_item,
    ev.ConversationItemRetrieved: _on_item,
    ev.ResponseOutputItemAdded: _on_output_item,
    ev.ResponseOutputItemDone: _on_output_item,
    ev.ResponseOutputTextDelta: _on_text_delta,
    ev.ResponseOutputTextDone: _on_text_done,
    ev.ResponseOutputAudioTranscriptDelta: _on_transcript_delta,
    ev.ResponseOutputAudioTranscriptDone: _on_transcript_done,
    ev.ResponseOutputAudioDelta: _on_audio_delta,
    ev.ConversationItemInputAudioTranscriptionDelta: _on_input_transcription,
    ev.ConversationItemInputAudioTranscriptionCompleted: _on_input_transcription,
    ev.ResponseFunctionCallArgumentsDelta: _on_arguments_delta,
    ev.ResponseFunctionCallArgumentsDone: _on_arguments_done,
    ev.ConversationItemDeleted: _on_deleted,
    ev.ConversationItemTruncated: _on_truncated,
}
