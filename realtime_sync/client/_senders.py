"""The Realtime client's senders: text, audio, responses, items, the session.

:class:`SendersAPI` is a mixin of :class:`~realtime_sync.client.RealtimeClient`:
each method builds a typed client event and sends it through the threaded
machinery (``_send_event``); responses go through the session core's request
queue (``_request``), which holds a request while another response is active.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs

from realtime_sync import events as ev
from realtime_sync._formats import RATES
from realtime_sync._input_audio import InputAudioStream
from realtime_sync.client._handle import ResponseHandle
from realtime_sync.client._threaded import ClientState, ThreadedClient
from realtime_sync.events import UNSET, ClientEvent
from realtime_sync.protocol import _json
from realtime_sync.protocol._from_dict import client_event_from_dict
from realtime_sync.session import REQUEST_KEY, Response
from realtime_sync.session_config import SessionConfig

__all__ = ["SendersAPI"]


class SendersAPI(ThreadedClient):
    """The methods that send (see the module docstring)."""

    _input_stream: InputAudioStream | None = None

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
            ValueError: The event cannot be expressed in the connection's dialect.
            QueueFull: The send queue is full.
            ConnectionClosed: The client is closed.
        """
        if isinstance(event, Mapping):
            event = client_event_from_dict(event)
        if not isinstance(event, ClientEvent):
            raise TypeError(
                f"expected a client event or a dict, not {type(event).__name__}"
            )
        if not isinstance(event.event_id, str):
            event = attrs.evolve(event, event_id=self._new_id())
        event_id = event.event_id
        assert isinstance(event_id, str)
        self._send_event(event)
        return event_id

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
        channels: int = 1,
        frame_ms: int = 40,
    ) -> None:
        """Append input audio (``input_audio_buffer.append``), converting as needed.

        Bytes are sent as they are: they must already be in the session's input format
        (pcm16 little-endian at 24 kHz, or G.711 bytes at 8 kHz). An array (int16,
        float32 or float64; shape ``(n,)`` or ``(n, channels)``) at any sample rate is
        downmixed, resampled to the session's input rate with state kept across calls
        (no clicks at chunk seams), encoded in the session's input format (pcm16,
        mu-law or A-law) and sent in frames of ``frame_ms``. The last partial frame
        and the resampler's tail are sent by :meth:`commit_audio` (or
        :meth:`flush_audio`).

        Args:
            audio: The samples.
            sample_rate: Their rate; defaults to the session's input rate.
            channels: Their channel count.
            frame_ms: The length of each frame sent.

        Raises:
            TypeError: Not bytes and not a numeric array.
            ValueError: A shape that does not match ``channels``, or a bad rate.
        """
        if isinstance(audio, (bytes, bytearray, memoryview)):
            self._append(_json.b64encode(bytes(audio)))
            return
        if isinstance(audio, str):
            raise TypeError("audio must be bytes or a numpy array, not str")
        fmt = self._core.input_format()
        rate = sample_rate if sample_rate is not None else RATES[fmt]
        key = (rate, channels, fmt, frame_ms)
        stream = self._input_stream
        if stream is None or stream.key != key:
            for payload in stream.flush() if stream is not None else ():
                self._append(payload)
            stream = self._input_stream = InputAudioStream(
                rate, channels, fmt, frame_ms
            )
        for payload in stream.push(audio):
            self._append(payload)

    def _append(self, payload: str) -> None:
        # The hot path of a voice app (50 calls a second): the event is built with
        # its id rather than copied with one, as send() does for user events.
        self._send_event(
            ev.InputAudioBufferAppend(event_id=self._new_id(), audio=payload)
        )

    def flush_audio(self) -> None:
        """Send the audio :meth:`append_audio` holds back (a partial frame, the tail)."""
        stream = self._input_stream
        self._input_stream = None
        if stream is not None:
            for payload in stream.flush():
                self._append(payload)

    def commit_audio(self) -> str:
        """Send held-back audio, then commit the buffer (``input_audio_buffer.commit``)."""
        self.flush_audio()
        return self.send(ev.InputAudioBufferCommit())

    def clear_audio(self) -> str:
        """Drop held-back and buffered input audio (``input_audio_buffer.clear``)."""
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
        """
        if response is None:
            response = ev.ResponseCreateParams(**params)
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

    def ask(self, text: str, timeout: float | None = 60.0, **params: Any) -> Response:
        """Send a user message, ask for a response and wait for it.

        Args:
            text: The user's message.
            timeout: Seconds to wait for the response.
            **params: Per-response settings (see :meth:`create_response`).

        Returns:
            The finished :class:`Response`.

        Raises:
            ServerError: The server refused the message or the response.
            Timeout: No finished response in time.
            ConnectionClosed: The connection closed first.
        """
        self._check_thread("ask()")
        self.send_text(text)
        return self.create_response(**params).wait(timeout)
