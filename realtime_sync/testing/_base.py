"""The state every part of the mock's :class:`Responder` shares, and small helpers.

A :class:`~realtime_sync.testing.Responder` is made of one mixin per job, each in its
own module, all over :class:`_ResponderBase` (the shared state: ids, the items, the
session, the input buffer, the active streams):

* ``_session``: ``session.update`` checks and merging, the default sessions;
* ``_conversation``: item create, delete, retrieve and truncate;
* ``_input``: the input audio buffer, the VAD glue and input transcription;
* ``_responses`` (with ``_stream``): ``response.create`` planning, the response
  stream, ``response.cancel``;
* ``_faults``: ``error`` events for invalid frames, unknown events, session expiry
  and the server's own failures.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any, TypeVar, cast

import attrs

from realtime_sync import _b64
from realtime_sync.events import (
    UNSET,
    AudioConfig,
    AudioInput,
    AudioOutput,
    AudioPCM,
    AudioPCMA,
    AudioPCMU,
    ClientEvent,
    ConversationItemAdded,
    ConversationItemDone,
    Error,
    InputAudio,
    Item,
    Model,
    OutputAudio,
    RateLimitsUpdated,
    RealtimeSession,
    ResponseCreate,
    ServerEvent,
    TranscriptionAudio,
    TranscriptionSession,
)
from realtime_sync.protocol.codec import Dialect
from realtime_sync.testing import _vad  # numpy (and realtime_sync.audio) only

if TYPE_CHECKING:
    from realtime_sync.testing._stream import _Plan, _ResponseStream


M = TypeVar("M", bound=Model)


class _Rejected(Exception):
    """Internal: a client event is invalid; carries the ``error`` fields."""

    def __init__(self, message: str, code: str, param: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.param = param


def _is_set(value: object) -> bool:
    return value is not UNSET and value is not None


def _quote_list(values: Sequence[str]) -> str:
    quoted = [f"'{v}'" for v in values]
    if len(quoted) <= 2:
        return " and ".join(quoted)
    return ", ".join(quoted[:-1]) + ", and " + quoted[-1]


def _text_tokens(text: str) -> int:
    # About four characters per token, as for English text.
    return math.ceil(len(text) / 4)


def _bytes_per_ms(fmt: object) -> float:
    """Bytes per millisecond of an audio format (§2)."""
    if isinstance(fmt, (AudioPCMU, AudioPCMA)):
        return 8.0
    if isinstance(fmt, AudioPCM) and isinstance(fmt.rate, int) and fmt.rate > 0:
        return fmt.rate * 2 / 1000
    return 48.0  # pcm16 at 24 kHz, the default


def _window_samples(fmt: object) -> int:
    """Samples in one detector window: 240 for 24 kHz pcm16, 80 for G.711."""
    bytes_per_sample = 1 if isinstance(fmt, (AudioPCMU, AudioPCMA)) else 2
    return max(1, int(_bytes_per_ms(fmt) * _vad.WINDOW_MS) // bytes_per_sample)


def _decode_b64(data: str) -> bytes:
    return _b64.decode(data, validate=True)


def _strip_audio(item: M) -> M:
    """The item as server events show it: audio bytes are never included (§6.1)."""
    content = getattr(item, "content", None)
    if not isinstance(content, list):
        return item
    if not any(
        isinstance(p, (InputAudio, OutputAudio)) and _is_set(p.audio) for p in content
    ):
        return item
    new = [
        attrs.evolve(p, audio=UNSET) if isinstance(p, (InputAudio, OutputAudio)) else p
        for p in content
    ]
    return _evolve_existing(item, content=new)


def _evolve_existing(model: M, **changes: Any) -> M:
    """``attrs.evolve`` with only the changes to fields the class has."""
    names = {f.name for f in attrs.fields(type(model))}
    return attrs.evolve(model, **{k: v for k, v in changes.items() if k in names})


def _chunks(text: str, size: int) -> list[str]:
    return [text[i : i + size] for i in range(0, len(text), size)]


class _ResponderBase:
    """The state every part of a :class:`Responder` shares, and the item store.

    Each job (session, conversation, input audio, responses, faults) is a mixin over
    this class; :class:`~realtime_sync.testing.Responder` combines them. Methods one
    part calls on another are declared here for the type checker only.
    """

    dialect: Dialect
    text_delta_chars: int
    audio_chunk_ms: int
    audio_ms: int | None
    speech_chars_per_second: float
    sample_rate: int
    _expires_at: int
    _counters: dict[str, Iterator[int]]
    _items: list[Item]
    _audio_buffer: bytearray
    _streams: list[_ResponseStream]
    _turn: int
    _audio_produced: bool
    _conversation_id: str
    _session: RealtimeSession
    _transcription: TranscriptionSession | None
    _origin_ms: float
    _scanned: int
    _speech_item: str | None
    _silence_ms: int
    _idle_anchor_ms: float
    _last_committed: str | None

    if TYPE_CHECKING:

        def _response_create(self, event: ResponseCreate) -> list[ServerEvent]: ...

        def _check_shape(self, model: Model, path: str) -> None: ...

        def _error(
            self, event: ClientEvent, message: str, code: str, param: str | None = None
        ) -> Error: ...

        def _marker_format(self) -> str: ...

        def _rate_limits(self, plan: _Plan) -> RateLimitsUpdated: ...

    @property
    def audio_position_ms(self) -> float:
        """Milliseconds of input audio appended since the session started."""
        return self._origin_ms + len(self._audio_buffer) / _bytes_per_ms(
            self._input_format()
        )

    def _pcm_rates(self) -> tuple[int, ...]:
        # The service takes 24 kHz pcm16 only; a Responder made with another
        # sample_rate takes that one too.
        return tuple(sorted({24_000, self.sample_rate}))

    # -- ids and the item store --------------------------------------------------------

    def _next_id(self, prefix: str) -> str:
        counter = self._counters.get(prefix)
        if counter is None:
            counter = self._counters[prefix] = itertools.count(1)
        while True:
            # Skip ids a client gave its own items (a reconnecting client re-creates
            # its conversation under the old session's ids).
            candidate = f"{prefix}_{next(counter):04d}"
            if prefix != "item" or self._index(candidate) is None:
                return candidate

    def _index(self, item_id: object) -> int | None:
        for i, item in enumerate(self._items):
            if getattr(item, "id", None) == item_id:
                return i
        return None

    def _insert(self, item: Item, previous_item_id: str | None) -> str | None:
        """Insert after ``previous_item_id`` (``"root"``: first; ``None``: last)."""
        if previous_item_id is None:
            return self._append(item)
        if previous_item_id == "root":
            self._items.insert(0, item)
            return None
        index = cast(int, self._index(previous_item_id))
        self._items.insert(index + 1, item)
        return previous_item_id

    def _append(self, item: Item) -> str | None:
        previous = getattr(self._items[-1], "id", None) if self._items else None
        self._items.append(item)
        return previous if isinstance(previous, str) else None

    def _replace(self, item: Item) -> None:
        index = self._index(getattr(item, "id", None))
        if index is not None:  # the client may have deleted it meanwhile
            self._items[index] = item

    # -- formats -----------------------------------------------------------------------

    def _audio_input(self) -> AudioInput | None:
        audio: object = (
            self._transcription.audio
            if self._transcription is not None
            else self._session.audio
        )
        if isinstance(audio, (AudioConfig, TranscriptionAudio)) and isinstance(
            audio.input, AudioInput
        ):
            return audio.input
        return None

    def _input_format(self) -> Any:
        audio_input = self._audio_input()
        return audio_input.format if audio_input is not None else None

    def _output_format(self) -> Any:
        audio = self._session.audio
        if isinstance(audio, AudioConfig) and isinstance(audio.output, AudioOutput):
            return audio.output.format
        return None

    def _default_stream(self) -> _ResponseStream | None:
        return next(
            (
                s
                for s in self._streams
                if s.conversation_id is not None and not s.finished
            ),
            None,
        )

    def _stream_of(self, item_id: object) -> _ResponseStream | None:
        """The active default-conversation stream whose output item is ``item_id``."""
        for stream in self._streams:
            if (
                not stream.finished
                and stream.conversation_id is not None
                and stream.item_id == item_id
            ):
                return stream
        return None

    def _refresh_live_items(self) -> None:
        """Bring the conversation's copies of streaming items up to what was sent.

        The conversation holds an assistant item from ``response.output_item.added``
        on; while it streams, its content is what the server has sent so far, so
        ``conversation.item.retrieve`` and ``.truncate`` see the audio the client
        has (the copy is made here, when asked for, not at every delta).
        """
        for stream in self._streams:
            if stream.finished or stream.conversation_id is None or stream.truncated:
                continue
            item = stream.live_item()
            if item is not None:
                self._replace(item)

    def _response_finished(self, stream: _ResponseStream) -> None:
        """Called by a stream when it ends: the idle timeout counts from here."""
        if stream.conversation_id is not None:
            self._idle_anchor_ms = max(self._idle_anchor_ms, self.audio_position_ms)

    def _item_added_done(
        self, item: Item, previous_item_id: str | None
    ) -> list[ServerEvent]:
        shown = _strip_audio(item)
        return [
            ConversationItemAdded(
                event_id=self._next_id("event"),
                item=shown,
                previous_item_id=previous_item_id,
            ),
            ConversationItemDone(
                event_id=self._next_id("event"),
                item=shown,
                previous_item_id=previous_item_id,
            ),
        ]
