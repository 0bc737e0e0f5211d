"""The mock server's behaviour as a plain object: client events in, server events out.

:class:`Responder` is what :class:`~realtime_sync.testing.MockRealtimeServer` runs for
each connection, without the socket (the h11 ``ConnectionPair`` idea): tests feed it
client events and assert on the server events it returns. It works with the GA event
classes only; the server's :class:`~realtime_sync.protocol.Codec` translates to and
from the beta dialect on the wire.

Theory of operation
-------------------

Most client events are answered at once: :meth:`Responder.handle` returns the server
events, in order. A response is different: a real server streams it over seconds, and
while it streams the response is *active* (a second ``response.create`` fails, a
``response.cancel`` stops it). So ``handle(ResponseCreate())`` returns only
``response.created`` and registers the rest of the response as a stream, a generator
that yields one event at a time; :meth:`Responder.next_event` pulls the next event of
the active streams (round robin, so out-of-band responses interleave) and
:meth:`Responder.drain` pulls them all. The server pulls from its sender thread, with
a pause between deltas; a test without a socket calls ``drain()``.

Cancelling (``response.cancel``, or :meth:`Responder.cancel`) closes the generator
where it stands and returns the closing events built from what was already sent: the
``.done`` of the open content part (with the text or transcript so far), the output
item as ``incomplete``, and ``response.done`` with status ``cancelled``. The stream is
then finished, so no further delta of that response can follow.

A response is decided when it is created (its text, its audio, whether it calls a
tool); its output item enters the conversation when the stream reaches it, as on a
real server, and while it streams the conversation's copy holds what has been sent so
far (``conversation.item.retrieve`` shows it; ``conversation.item.truncate`` cuts it,
and the conversation keeps the cut copy while the reply streams on).

Replies are deterministic:

* ``Say: <text>`` at the start of the effective instructions (the response's, else
  the session's) makes ``<text>`` the reply;
* after a ``function_call_output`` item: ``The tool returned: <output>``;
* when the session (or response) has function tools and ``tool_choice`` is not
  ``"none"``: a function call when ``tool_choice`` names a function or is
  ``"required"``, or when the last user text mentions a tool's name; its arguments
  are read from the user's words by the tool's JSON schema (``_tool_args``);
* else ``You said: <text>`` for the last user text, ``I heard N ms of audio.`` when
  the last user item is audio, and ``Hello!`` without a user item.

A spoken reply lasts as long as its transcript takes to say (``audio_ms`` fixes it).

User audio that carries a :func:`~realtime_sync.testing.synth_speech` marker counts
as the marker's text ("the user said it"), for tool choice and ``You said:``.

Input audio (see :class:`Responder`): with turn detection on, each
``input_audio_buffer.append`` runs an energy detector (``_vad``) over the new audio,
and the VAD events, commits, automatic responses, barge-in cancels, idle timeouts and
input transcriptions come out of ``handle()`` like any other reply, at the point of
the appended audio where they happen.

A Responder is not thread-safe: the server calls it under a lock.
"""

from __future__ import annotations

import binascii
import time
from collections.abc import Callable, Iterator
from typing import Any, cast

from realtime_sync.events import (
    UNSET,
    ClientEvent,
    Conversation,
    ConversationCreated,
    ConversationItemCreate,
    ConversationItemDelete,
    ConversationItemRetrieve,
    ConversationItemTruncate,
    InputAudioBufferAppend,
    InputAudioBufferClear,
    InputAudioBufferCommit,
    Item,
    OutputAudioBufferClear,
    RealtimeSession,
    ResponseCancel,
    ResponseCreate,
    ServerEvent,
    SessionCreated,
    SessionUpdate,
    TranscriptionSession,
    TranscriptionSessionUpdate,
    UnknownClientEvent,
)
from realtime_sync.protocol.codec import Dialect
from realtime_sync.testing._base import _bytes_per_ms, _decode_b64, _Rejected
from realtime_sync.testing._checks import _missing_required
from realtime_sync.testing._conversation import _ConversationMixin
from realtime_sync.testing._faults import RawFrame, _FaultsMixin, expiry_message
from realtime_sync.testing._input import _InputAudioMixin
from realtime_sync.testing._responses import SPEECH_CHARS_PER_SECOND, _ResponsesMixin
from realtime_sync.testing._session import (
    _SESSION_LIFETIME_S,
    DEFAULT_INSTRUCTIONS,
    _SessionMixin,
)
from realtime_sync.testing._stream import _ResponseStream

# RawFrame, DEFAULT_INSTRUCTIONS and expiry_message live in their own modules; they
# stay importable from here for code written against the single-module layout.
__all__ = ["DEFAULT_INSTRUCTIONS", "RawFrame", "Responder", "expiry_message"]


class Responder(
    _FaultsMixin, _SessionMixin, _ConversationMixin, _InputAudioMixin, _ResponsesMixin
):
    """The behaviour of a mock Realtime server for one session, without a socket.

    Feed it client events with :meth:`handle` and it returns the server events a real
    server would send, built from the GA event classes. Ids are deterministic
    counters, one per kind (``event_0001``, ``item_0001``, ``resp_0001``,
    ``sess_0001``, ``conv_0001``; a function call's ``call_id`` reuses its item's
    number), so tests can assert on them. See the module docstring for how responses
    stream and cancel, and which reply a response gets.

    Not thread-safe: call it from one thread, or under a lock (as the server does).

    Args:
        dialect: ``"ga"`` or ``"beta"``. Beta adds ``conversation.created`` to
            :meth:`start` and accepts session fields that only beta has (such as
            ``temperature``); GA rejects any unknown session field as the real
            server does (``Unknown parameter: 'session.voice'.``).
        text_delta_chars: Characters per text (or transcript, or arguments) delta.
        audio_ms: Duration of the audio of each audio reply, in milliseconds; the
            knob for short tests. ``None`` (the default) makes it follow the reply's
            transcript at ``speech_chars_per_second`` (about speaking pace: "You
            said: Hello!" is about a second), at least 200 ms.
        speech_chars_per_second: Characters of transcript per second of reply audio
            when ``audio_ms`` is ``None``.
        sample_rate: The rate of the session's ``audio/pcm`` formats, in Hz.
        model: The session's ``model`` (the server passes the URL's ``model``).
        audio_chunk_ms: Duration of the audio in one ``response.output_audio.delta``.
        session_type: ``"realtime"`` or ``"transcription"`` (the server passes
            ``"transcription"`` for ``?intent=transcription``): a transcription
            session starts with a :class:`~realtime_sync.events.TranscriptionSession`
            and refuses ``response.create``.
        session_lifetime_s: Seconds from now to the session's ``expires_at`` (the
            server passes its ``max_session_seconds`` when set).

    Input audio and turn detection (§9.3, §9.7): with ``server_vad`` or
    ``semantic_vad`` turn detection, appended audio goes through an energy detector
    (see :mod:`realtime_sync.testing._vad` for the threshold-to-dBFS mapping and the
    semantic VAD waits). Time is milliseconds of audio appended since the session
    started, never the wall clock, so the same audio gives the same events. Speech
    gives ``input_audio_buffer.speech_started`` (``audio_start_ms`` minus
    ``prefix_padding_ms``, at least 0; ``item_id`` of the future user item, which
    also cancels a running default-conversation response with reason
    ``turn_detected`` when ``interrupt_response`` is true); ``silence_duration_ms``
    of silence then gives ``speech_stopped`` (``audio_end_ms`` includes that
    silence), ``committed``, the user item, and a response when ``create_response``
    is true. ``idle_timeout_ms`` (server VAD) gives ``timeout_triggered``, a commit
    and a response (``create_response``) after that much appended audio without
    speech, counted from the latest of: the end of the last default-conversation
    response (the audio appended by its ``response.done``), the last commit or
    clear, the last ``session.update``; never while a response runs. With ``audio.input.transcription`` set,
    every commit is followed by ``conversation.item.input_audio_transcription.delta``
    events and ``.completed``, after ``response.created`` when the commit starts a
    response; the transcript is the text of a
    :func:`~realtime_sync.testing.synth_speech` marker, else ``[speech 1.23 s]`` (the
    committed duration), or ``""`` for silence.

    Raises:
        ValueError: For an unknown dialect or session type, or a non-positive size.
    """

    def __init__(
        self,
        dialect: Dialect = "ga",
        *,
        text_delta_chars: int = 8,
        audio_ms: int | None = None,
        speech_chars_per_second: float = SPEECH_CHARS_PER_SECOND,
        sample_rate: int = 24_000,
        model: str = "gpt-realtime",
        audio_chunk_ms: int = 100,
        session_type: str = "realtime",
        session_lifetime_s: float = _SESSION_LIFETIME_S,
    ) -> None:
        if dialect not in ("ga", "beta"):
            raise ValueError(f"dialect must be 'ga' or 'beta', not {dialect!r}")
        if text_delta_chars < 1:
            raise ValueError("text_delta_chars must be at least 1")
        if audio_ms is not None and audio_ms < 1:
            raise ValueError("audio_ms must be at least 1")
        if not speech_chars_per_second > 0:
            raise ValueError("speech_chars_per_second must be positive")
        if sample_rate < 1:
            raise ValueError("sample_rate must be positive")
        if audio_chunk_ms < 1:
            raise ValueError("audio_chunk_ms must be at least 1")
        if session_type not in ("realtime", "transcription"):
            raise ValueError(
                "session_type must be 'realtime' or 'transcription', not "
                f"{session_type!r}"
            )
        self.dialect: Dialect = dialect
        self.audio_chunk_ms = audio_chunk_ms
        self.text_delta_chars = text_delta_chars
        self.audio_ms = audio_ms
        self.speech_chars_per_second = speech_chars_per_second
        self.sample_rate = sample_rate
        self._expires_at = int(time.time() + session_lifetime_s)
        self._counters: dict[str, Iterator[int]] = {}
        self._items: list[Item] = []
        self._audio_buffer = bytearray()
        self._streams: list[_ResponseStream] = []
        self._turn = 0  # round robin position in _streams
        self._audio_produced = False
        self._conversation_id = self._next_id("conv")
        self._session = self._default_session(model)
        self._transcription: TranscriptionSession | None = None
        if session_type == "transcription":
            self._transcription = self._default_transcription_session(
                cast(str, self._session.id)
            )
        # Input audio timing, in ms of audio appended since the session started.
        self._origin_ms = 0.0  # where _audio_buffer starts
        self._scanned = 0  # bytes of _audio_buffer the detector has heard
        self._speech_item: str | None = None  # the future item while speech goes on
        self._silence_ms = 0  # silence heard since the last voiced window
        self._idle_anchor_ms = 0.0  # the idle timeout counts from here
        self._last_committed: str | None = None  # transcription sessions' last item
        self._handlers: dict[type[ClientEvent], Callable[[Any], list[ServerEvent]]] = {
            SessionUpdate: self._session_update,
            TranscriptionSessionUpdate: self._unknown_event,
            ConversationItemCreate: self._item_create,
            ConversationItemDelete: self._item_delete,
            ConversationItemRetrieve: self._item_retrieve,
            ConversationItemTruncate: self._item_truncate,
            InputAudioBufferAppend: self._audio_append,
            InputAudioBufferCommit: self._audio_commit,
            InputAudioBufferClear: self._audio_clear,
            OutputAudioBufferClear: self._output_audio_clear,
            ResponseCreate: self._response_create,
            ResponseCancel: self._response_cancel,
            UnknownClientEvent: self._unknown_event,
        }

    # -- state, for tests --------------------------------------------------------------

    @property
    def session(self) -> RealtimeSession:
        """The current, complete session configuration."""
        return self._session

    @property
    def transcription_session(self) -> TranscriptionSession | None:
        """The session configuration of a transcription session, else ``None``."""
        return self._transcription

    @property
    def session_type(self) -> str:
        """``"realtime"`` or ``"transcription"``."""
        return "realtime" if self._transcription is None else "transcription"

    @property
    def audio_position_ms(self) -> float:
        """Milliseconds of input audio appended since the session started."""
        return self._origin_ms + len(self._audio_buffer) / _bytes_per_ms(
            self._input_format()
        )

    @property
    def conversation_id(self) -> str:
        """The id of the default conversation (``conv_0001``)."""
        return self._conversation_id

    @property
    def items(self) -> list[Item]:
        """A copy of the conversation's items, in order, audio included.

        An assistant item that is still streaming shows what has been sent so far.
        """
        self._refresh_live_items()
        return list(self._items)

    @property
    def input_audio_bytes(self) -> int:
        """Bytes in the input audio buffer (appended since the last commit or clear)."""
        return len(self._audio_buffer)

    @property
    def active_responses(self) -> list[str]:
        """Ids of the responses still streaming (created, not yet done)."""
        return [s.id for s in self._streams if not s.finished]

    # -- the protocol ------------------------------------------------------------------

    def start(self) -> list[ServerEvent]:
        """The events a server sends when a client connects (§9.1).

        Returns:
            ``session.created`` with the complete session (a transcription session's
            for ``session_type="transcription"``); for the beta dialect's realtime
            sessions also ``conversation.created``.
        """
        if self._transcription is not None:
            return [
                SessionCreated(
                    event_id=self._next_id("event"), session=self._transcription
                )
            ]
        events: list[ServerEvent] = [
            SessionCreated(event_id=self._next_id("event"), session=self._session)
        ]
        if self.dialect == "beta":
            events.append(
                ConversationCreated(
                    event_id=self._next_id("event"),
                    conversation=Conversation(
                        id=self._conversation_id, object="realtime.conversation"
                    ),
                )
            )
        return events

    def handle(self, event: ClientEvent) -> list[ServerEvent]:
        """Answer one client event.

        Args:
            event: A decoded client event (GA classes, whatever the dialect).

        Returns:
            The server events that answer it, in order: an ``error`` event for an
            invalid request (with the client's ``event_id`` in ``error.event_id``),
            for ``input_audio_buffer.append`` nothing, or what turn detection
            heard in it (VAD events, a commit, ``response.created`` of an automatic
            response, transcription events), and only ``response.created``
            for ``response.create``: the rest of a response is pulled with
            :meth:`next_event` or :meth:`drain`.

        Raises:
            TypeError: ``event`` is not a client event.
        """
        if not isinstance(event, ClientEvent):
            raise TypeError(f"expected a client event, not {type(event).__name__}")
        handler = self._handlers.get(type(event), self._unknown_event)
        try:
            missing = _missing_required(event, "")
            if missing:
                raise _Rejected(
                    f"Missing required parameter: '{missing}'.",
                    "missing_required_parameter",
                    missing,
                )
            return handler(event)
        except _Rejected as exc:
            return [self._error(event, exc.message, exc.code, exc.param)]

    def next_event(self) -> ServerEvent | None:
        """Pull the next event of the active responses.

        Responses take turns, one event each, so out-of-band responses interleave
        with the default one as they would on a real server.

        Returns:
            The next event, or ``None`` when no response is active.
        """
        while self._streams:
            self._turn %= len(self._streams)
            stream = self._streams[self._turn]
            event = stream.next()
            if stream.finished:
                del self._streams[self._turn]
            else:
                self._turn += 1
            if event is not None:
                return event
        return None

    def next_frame(self) -> ServerEvent | RawFrame | None:
        """What the server sends next from the streams: :meth:`next_event` here.

        Subclasses that send raw text (:class:`~realtime_sync.testing.ReplayResponder`)
        override this; the server calls it whenever :attr:`active_responses` is not
        empty.
        """
        return self.next_event()

    def drain(self) -> list[ServerEvent]:
        """Pull every remaining event of the active responses.

        Returns:
            The events, in the order :meth:`next_event` gives them.
        """
        events = []
        while (event := self.next_event()) is not None:
            events.append(event)
        return events

    def cancel(
        self, response_id: str | None = None, *, reason: str = "client_cancelled"
    ) -> list[ServerEvent]:
        """Stop an active response, as ``response.cancel`` does.

        Args:
            response_id: The response to stop; ``None`` stops the default
                conversation's response (else the oldest active one).
            reason: ``status_details.reason`` of the cancelled response
                (``client_cancelled``; a server's VAD uses ``turn_detected``).

        Returns:
            The closing events (open part, item as ``incomplete``, ``response.done``
            with status ``cancelled``), or an ``error`` with code
            ``response_cancel_not_active`` when no such response is active.
        """
        return self._cancel(ResponseCancel(response_id=response_id or UNSET), reason)

    def output_ms(self, delta: str) -> float:
        """Milliseconds of audio in a base64 output audio delta (session format).

        Args:
            delta: The ``delta`` of a ``response.output_audio.delta``.

        Returns:
            Its duration; 0 when it is not valid base64.
        """
        try:
            size = len(_decode_b64(delta))
        except (binascii.Error, ValueError):
            return 0.0
        return size / _bytes_per_ms(self._output_format())
