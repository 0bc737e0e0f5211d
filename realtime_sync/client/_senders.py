"""The Realtime client's senders: text, audio, responses, items, the session.

:class:`SendersAPI` is a mixin of :class:`~realtime_sync.client.RealtimeClient`:
each method builds a typed client event and sends it through the threaded
machinery (``_send_event``); responses go through the session core's request
queue (``_request``), which holds a request while another response is active.
"""

from __future__ import annotations

import difflib
import logging
import threading
import time
from collections.abc import Mapping
from typing import Any

import attrs

from realtime_sync import _b64
from realtime_sync import events as ev
from realtime_sync._formats import RATES
from realtime_sync._input_audio import (
    InputAudioStream,
    pcm16_bytes_to_array,
    to_input_mono,
)
from realtime_sync.client._dispatch import Waiter
from realtime_sync.client._events_api import Expectation
from realtime_sync.client._handle import ResponseHandle
from realtime_sync.client._threaded import ClientState, ThreadedClient
from realtime_sync.events import UNSET, ClientEvent
from realtime_sync.events._base import NO_EXTRA
from realtime_sync.protocol import _json
from realtime_sync.protocol._from_dict import client_event_from_dict
from realtime_sync.protocol._hooks import builder
from realtime_sync.session import REQUEST_KEY, Response
from realtime_sync.session_config import SessionConfig

__all__ = ["SendersAPI"]

logger = logging.getLogger("realtime_sync.client")


class SendersAPI(ThreadedClient):
    """The methods that send (see the module docstring).

    The input audio stream (``_input_stream``: the resampler and the chunker that
    :meth:`append_audio` feeds) is guarded by ``_input_lock``, which the facade's
    constructor creates. The stream's payloads are sent *under* the lock: sending
    never waits for the network (the channel queues the frame and writes it only if
    the socket can take it at once), and sending in the lock is what keeps the
    frames in the order their samples were pushed, with a commit after all of them.
    Array audio is checked and mixed down before the lock is taken; bytes in the
    session's format take no lock unless array audio is held back.
    """

    _input_stream: InputAudioStream | None = None
    _input_lock: threading.Lock

    def send(self, event: ClientEvent | Mapping[str, Any]) -> str:
        """Queue a client event (our class or a dict of the GA wire shape).

        The event gets an ``event_id`` when it has none, so that an ``error`` caused
        by it can be matched. Before :meth:`connect`, the event is checked now, held,
        and sent in order right after ``connect()`` set the session up (if the
        client is closed first, it is reported in ``ConnectionClosed.unsent``).

        Args:
            event: The event.

        Returns:
            The event's ``event_id``.

        Raises:
            TypeError: Not a client event, or a field of the wrong type.
            ValueError: The event cannot be expressed in the connection's dialect,
                or it is larger than ``max_queue_bytes`` by itself (it could never
                be queued).
            QueueFull: The send queue is full (until it drains).
            ConnectionClosed: The client is closed.
        """
        if isinstance(event, Mapping):
            event = client_event_from_dict(event)
        if not isinstance(event, ClientEvent):
            raise TypeError(
                f"expected a client event or a dict, not {type(event).__name__}"
            )
        return self._send_with_id(event)

    def flush(self, timeout: float | None = None) -> None:
        """Block until every queued event was written to the socket.

        Raises:
            Timeout: The queue did not drain in time.
            ConnectionClosed: The connection closed.
        """
        self._check_thread("flush()")
        self._raise_if_closed()
        channel = self._channel
        if channel is None:
            raise RuntimeError("Call connect() (or use 'with client:') first.")
        channel.flush(timeout)

    def update_session(
        self,
        session: SessionConfig
        | ev.RealtimeSession
        | ev.TranscriptionSession
        | Mapping[str, Any]
        | None = None,
        *,
        wait: bool = True,
        timeout: float | None = 10.0,
        **fields: Any,
    ) -> ev.SessionUpdated | None:
        """Send ``session.update``; by default wait for ``session.updated``.

        Args:
            session: The settings (see the ``session=`` argument of the client).
            wait: Wait for the server's confirmation.
            timeout: Seconds to wait.
            **fields: :class:`SessionConfig` fields, as a shortcut
                (``update_session(instructions="...")``).

        Returns:
            The ``session.updated`` event when waiting, else None.

        Raises:
            ServerError: The server refused the update.
            Timeout: No answer in time.
        """
        if session is None:
            session = SessionConfig(**fields)
        elif fields:
            raise TypeError("give either a session object or keyword fields, not both")
        event = self._session_event(session)
        if not wait:
            self.send(event)
            return None
        self._check_thread("update_session(wait=True)")
        result = self._send_and_wait(event, ev.SessionUpdated, timeout)
        assert isinstance(result, ev.SessionUpdated)
        return result

    @staticmethod
    def _session_event(session: Any) -> ev.SessionUpdate:
        if isinstance(session, SessionConfig):
            return ev.SessionUpdate(session=session.to_session())
        if isinstance(session, (ev.RealtimeSession, ev.TranscriptionSession)):
            return ev.SessionUpdate(session=session)
        if isinstance(session, Mapping):
            body = dict(session)
            body.setdefault("type", "realtime")
            event = client_event_from_dict({"type": "session.update", "session": body})
            assert isinstance(event, ev.SessionUpdate)
            return event
        raise TypeError(
            "session must be a SessionConfig, a RealtimeSession, a TranscriptionSession "
            f"or a dict, not {type(session).__name__}"
        )

    def send_text(self, text: str, *, role: str = "user") -> str:
        """Add a text message to the conversation (``conversation.item.create``).

        Args:
            text: The text.
            role: ``"user"`` or ``"system"``.

        Returns:
            The event id.
        """
        if not isinstance(text, str):
            raise TypeError(f"text must be a str, not {type(text).__name__}")
        item: ev.Item
        if role == "user":
            item = ev.UserMessage(content=[ev.InputText(text=text)])
        elif role == "system":
            item = ev.SystemMessage(content=[ev.InputText(text=text)])
        else:
            raise ValueError(f"role must be 'user' or 'system', not {role!r}")
        return self.send(ev.ConversationItemCreate(item=item))

    def append_audio(
        self,
        audio: bytes | Any,
        *,
        sample_rate: int | None = None,
        channels: int | None = None,
        frame_ms: int = 40,
    ) -> None:
        """Append input audio (``input_audio_buffer.append``), converting as needed.

        Bytes with no ``sample_rate`` and ``channels`` (or with the session's) are
        sent as they are: they must already be in the session's input format (pcm16
        little-endian at 24 kHz, whole 2-byte samples; or G.711 bytes at 8 kHz).
        Bytes with another rate or channel count are read as pcm16 little-endian
        samples at that rate and converted as an array is (a WAV file's frames, for
        example). An array (int16, float32 or float64) at any sample rate is
        downmixed, resampled to the session's input rate with state kept across
        calls (no clicks at chunk seams), encoded in the session's input format
        (pcm16, mu-law or A-law) and sent in frames of ``frame_ms``. Its shape
        gives the channels: ``(n,)`` is mono, ``(n, channels)`` has
        ``shape[1]`` channels; a 1-D array with ``channels`` > 1 is read as
        interleaved frames (L, R, L, R, ...). The last partial frame and the resampler's
        tail are sent by :meth:`commit_audio` (or :meth:`flush_audio`). Float
        samples a little beyond [-1, 1] are clipped.

        Args:
            audio: The samples.
            sample_rate: Their rate; defaults to the session's input rate.
            channels: Their channel count; by default an array's shape says (and
                bytes are mono). Given with a 2-D array, it must match
                ``shape[1]``.
            frame_ms: The length of each frame sent.

        Raises:
            TypeError: Not bytes and not a numeric array.
            ValueError: Pcm16 bytes of an odd length (or not whole frames of
                ``channels``); a shape that does not match ``channels`` (or a
                1-D array not a whole number of interleaved frames); float
                samples that are NaN, infinite or far beyond [-1, 1] (int16-scale
                values in a float array); a bad rate.
        """
        if audio.__class__ is bytes and sample_rate is None and channels is None:
            # The hot path (50 calls a second): bytes in the session's format.
            if len(audio) & 1 or self._input_stream is not None:
                self._append_bytes(audio)  # checked, or after held-back audio
            else:
                self._append(_b64encode(audio))
            return
        if isinstance(audio, (bytes, bytearray, memoryview)):
            data = bytes(audio)
            if sample_rate is None and channels is None:
                self._append_bytes(data)
                return
            fmt = self._core.input_format()
            if sample_rate in (None, RATES[fmt]) and channels in (None, 1):
                self._append_bytes(data)
                return
            # Another rate or channel count: pcm16 at that rate, converted (what
            # ``wave.readframes()`` gives). Sending it as it is would play it at
            # the session's rate, in the wrong speed and with its channels mixed
            # up; refusing it would leave the user to do what we do here.
            channels = 1 if channels is None else channels  # bytes have no shape
            _check_channels(channels)
            samples = pcm16_bytes_to_array(data, channels)
        elif isinstance(audio, str):
            raise TypeError("audio must be bytes or a numpy array, not str")
        else:
            samples = audio
            fmt = self._core.input_format()
        if channels is not None:
            _check_channels(channels)
        mono = to_input_mono(samples, channels)  # checked before the lock is taken
        rate = sample_rate if sample_rate is not None else RATES[fmt]
        key = (rate, fmt, frame_ms)
        with self._input_lock:
            stream = self._input_stream
            if stream is None or stream.key != key:
                self._flush_stream_locked()
                stream = self._input_stream = InputAudioStream(rate, fmt, frame_ms)
            for payload in stream.push(mono):
                self._append(payload)

    def _append_bytes(self, data: bytes) -> None:
        """Send bytes in the session's input format as they are."""
        if len(data) & 1 and self._core.input_format() == "audio/pcm":
            # G.711 is a byte a sample; pcm16 is two, and an odd byte would shift
            # every later sample of the buffer by one byte (noise, at full scale).
            raise ValueError(
                f"pcm16 audio comes in 2-byte samples, but {len(data)} bytes is an "
                "odd length; append whole samples"
            )
        if self._input_stream is None:
            # The hot path (50 calls a second): no lock. The channel's queue
            # keeps the order of sends, so a commit sent after this call
            # returned follows this audio.
            self._append(_json.b64encode(data))
            return
        with self._input_lock:
            # Array audio is held back: it goes first, so the audio keeps its
            # order on the wire.
            self._flush_stream_locked()
            self._append(_json.b64encode(data))

    def _append(self, payload: str) -> None:
        # The hot path of a voice app (50 calls a second): the event is built with
        # its id rather than copied with one, as send() does for user events, and
        # its wire text is built here rather than by the codec (see append_json).
        event_id = f"evt_{self._id_prefix}_{next(self._ids)}"  # _new_id(), inlined
        # _Append(event_id=event_id, audio=payload), built as the decoder builds
        # events (protocol._hooks.builder): the same object for a third of the cost.
        event = _AppendBuilder()
        event.event_id = event_id
        event.audio = payload
        event.extra = NO_EXTRA
        event.__class__ = _Append
        self._send_prepared(
            event, _APPEND_HEAD + event_id + _APPEND_MIDDLE + payload + _APPEND_TAIL
        )

    def _flush_stream_locked(self) -> None:
        """Send what the input stream holds back and drop it; holds _input_lock."""
        stream = self._input_stream
        self._input_stream = None
        if stream is not None:
            for payload in stream.flush():
                self._append(payload)

    def flush_audio(self) -> None:
        """Send the audio :meth:`append_audio` holds back (a partial frame, the tail)."""
        with self._input_lock:
            self._flush_stream_locked()

    def commit_audio(self) -> str:
        """Send held-back audio, then commit the buffer (``input_audio_buffer.commit``).

        The commit follows every append that returned before this call, from any
        thread, and the whole of any array an ``append_audio()`` running in another
        thread pushed before it (never a part of it).
        """
        with self._input_lock:
            self._flush_stream_locked()
            return self.send(ev.InputAudioBufferCommit())

    def clear_audio(self) -> str:
        """Drop held-back and buffered input audio (``input_audio_buffer.clear``)."""
        with self._input_lock:
            self._input_stream = None
            return self.send(ev.InputAudioBufferClear())

    def create_response(
        self,
        response: ev.ResponseCreateParams | Mapping[str, Any] | None = None,
        **params: Any,
    ) -> ResponseHandle:
        """Ask the model for a response (``response.create``); returns at once.

        The request carries a metadata entry (``realtime_sync_request``) that the
        server echoes, which ties the handle to its response; when a server does not
        echo metadata, the first new response after the request is taken.

        Args:
            response: Per-response settings, or None.
            **params: :class:`~realtime_sync.events.ResponseCreateParams` fields, as a
                shortcut (``create_response(instructions="...")``).

        Before :meth:`connect` the request is held and sent once connected; wait
        on the handle after ``connect()``.

        Returns:
            A :class:`ResponseHandle`; ``handle.wait(timeout)`` gives the result.

        Raises:
            TypeError: A keyword that is no field of ``ResponseCreateParams`` (the
                message suggests the right one: ``output_modalities`` for the beta
                ``modalities``), or both ``response`` and keywords.
        """
        if response is None:
            response = _response_params(params)
        elif params:
            raise TypeError("give either response= or keyword fields, not both")
        elif isinstance(response, Mapping):
            event = client_event_from_dict(
                {"type": "response.create", "response": dict(response)}
            )
            assert isinstance(event, ev.ResponseCreate)
            response = event.response  # type: ignore[assignment]
        if not isinstance(response, ev.ResponseCreateParams):
            raise TypeError("response must be ResponseCreateParams or a dict")
        request_id = self._new_id()
        metadata = (
            dict(response.metadata) if isinstance(response.metadata, dict) else {}
        )
        tagged = len(metadata) < 16
        if tagged:
            metadata[REQUEST_KEY] = request_id
            response = attrs.evolve(response, metadata=metadata)
        handle = ResponseHandle(request_id, self._check_thread)
        event = ev.ResponseCreate(event_id=request_id, response=response)
        if (
            self._state in (ClientState.CLOSING, ClientState.CLOSED)
            or self._closed_exc is not None
        ):
            self._send_event(event)  # raises the right error (closed)
        # (Before connect() the request is held, and sent once connected.)
        self._request(handle, event)
        return handle

    def expect_response(self) -> Expectation[Response]:
        """Listen for the next response, from before whatever starts it.

        ``wait()`` returns the :class:`Response` of the first response created
        after entering the ``with`` block, once it is done, whoever started it:
        :meth:`create_response` (also from another thread), a tool's follow-up,
        or the server after voice activity (a commit by server VAD)::

            with client.expect_response() as reply:
                for block in blocks:                  # the question, then silence
                    client.append_audio(block, sample_rate=rate)
                response = reply.wait(timeout=30)

        The result is the one :attr:`responses` keeps (the same object), so its
        audio is kept within ``audio_retention_seconds`` as there.

        Returns:
            An :class:`~realtime_sync.Expectation`: enter it, then call its
            ``wait(timeout)`` inside the block.
        """
        # Two waiters, both in from the start: the first response.created, and the
        # response.done of that response. The reader delivers events in order, so
        # the created waiter has its result before any done is matched; a done of
        # another response (one in progress before the block) is skipped.
        created = Waiter.for_event(ev.ResponseCreated)
        found: list[Response] = []

        def is_ours(event: ev.ResponseDone) -> bool:
            first = created.result
            if not isinstance(first, ev.ResponseCreated):
                return False
            rid = getattr(first.response, "id", None)
            if getattr(event.response, "id", None) != rid:
                return False
            # On the reader thread, right after the session core finished this
            # response: it is among the recent responses (the newest, unless its
            # id repeats), as the very event object.
            with self._lock:
                recent = self._core.responses.recent
            for response in reversed(recent):
                if response.event is event:
                    found.append(response)
                    return True
            logger.warning("response %s was not tracked", rid)
            return False

        done = Waiter.for_event(ev.ResponseDone, is_ours)
        return Expectation(
            self._dispatch,
            (created, done),
            lambda: found[0],
            "response (created after entering expect_response(), then done)",
            self._check_thread,
            self._raise_if_closed,
        )

    def cancel_response(self, response_id: str | None = None) -> str:
        """Cancel the in-progress response (``response.cancel``)."""
        return self.send(
            ev.ResponseCancel(response_id=response_id if response_id else UNSET)
        )

    def truncate(self, item_id: str, content_index: int, audio_end_ms: int) -> str:
        """Truncate an assistant audio item at what was played (``conversation.item.truncate``)."""
        return self.send(
            ev.ConversationItemTruncate(
                item_id=item_id, content_index=content_index, audio_end_ms=audio_end_ms
            )
        )

    def delete_item(self, item_id: str) -> str:
        """Delete an item from the conversation (``conversation.item.delete``)."""
        return self.send(ev.ConversationItemDelete(item_id=item_id))

    def ask(
        self,
        text: str,
        timeout: float | None = 60.0,
        *,
        follow_tools: bool = True,
        **params: Any,
    ) -> Response:
        """Send a user message, ask for a response and wait for the answer.

        When the response calls registered tools, the client runs them and asks
        for the follow-up response (see :meth:`add_tool`); ``ask()`` then returns
        that final answer, with the responses that called the tools, in order, in
        its ``steps``.

        Args:
            text: The user's message.
            timeout: Seconds to wait for the answer, tool rounds included.
            follow_tools: Wait for the answer after the tools ran (the default);
                False returns the first response, the one holding the calls.
            **params: Per-response settings of the first response (see
                :meth:`create_response`); the follow-up has the session's, with
                the same ``output_modalities``.

        Returns:
            The finished :class:`Response`.

        Raises:
            ServerError: The server refused the message or the response.
            Timeout: No finished answer in time.
            ConnectionClosed: The connection closed first.
        """
        self._check_thread("ask()")
        deadline = None if timeout is None else time.monotonic() + timeout
        if "response" not in params:  # a wrong keyword fails before the message goes
            _response_params(dict(params))
        self.send_text(text)
        reply = self.create_response(**params).wait(timeout)
        return self._follow_tools(reply, deadline) if follow_tools else reply

    def _follow_tools(self, reply: Response, deadline: float | None) -> Response:
        """The answer after ``reply``'s tool calls (no tools here: ``reply``)."""
        return reply


_Append = ev.InputAudioBufferAppend
_AppendBuilder = builder(_Append)
_b64encode = _b64.encode
# The wire text of ``input_audio_buffer.append`` around its two values, as the codec
# encodes it in both dialects (tests/test_append_fast_path.py checks it). Neither
# value needs JSON escaping: the event id is ours (evt_<hex>_<n>), the audio base64.
_APPEND_HEAD = '{"type":"input_audio_buffer.append","event_id":"'
_APPEND_MIDDLE = '","audio":"'
_APPEND_TAIL = '"}'


def append_json(event_id: str, audio: str) -> str:
    """The wire text :meth:`SendersAPI.append_audio` sends for one append."""
    return _APPEND_HEAD + event_id + _APPEND_MIDDLE + audio + _APPEND_TAIL


def _check_channels(channels: object) -> None:
    if isinstance(channels, bool) or not isinstance(channels, int) or channels < 1:
        raise ValueError(f"channels must be a positive int, not {channels!r}")


# Beta names of response settings -> what GA calls them (the GA shape is ours).
_BETA_RESPONSE_FIELDS = {
    "modalities": "output_modalities",
    "max_response_output_tokens": "max_output_tokens",
    "voice": "audio=ev.ResponseAudio(output=ev.AudioOutput(voice=...))",
    "output_audio_format": "audio=ev.ResponseAudio(output=ev.AudioOutput(format=...))",
}


def _response_params(params: dict[str, Any]) -> ev.ResponseCreateParams:
    """``ResponseCreateParams(**params)``, with a helpful error for a wrong keyword."""
    names = [f.name for f in attrs.fields(ev.ResponseCreateParams)]
    for key in params:
        if key in names:
            continue
        public = [n for n in names if n not in ("extra", "wire_hints")]
        hint = _BETA_RESPONSE_FIELDS.get(key)
        if hint is None:
            close = difflib.get_close_matches(key, public, n=1)
            hint = repr(close[0]) if close else None
        else:
            hint = repr(hint) if "=" not in hint else hint
        raise TypeError(
            f"create_response() got an unexpected keyword argument {key!r}"
            + (f"; did you mean {hint}?" if hint else "")
            + " (response settings, of ask() too, are the fields of "
            f"ResponseCreateParams: {', '.join(public)})"
        )
    return ev.ResponseCreateParams(**params)
