"""A transport with no socket: the mock's :class:`Responder` runs in-process.

``rs.RealtimeClient(transport=rs.testing.InMemoryTransport())`` holds a whole
conversation (``ask()``, audio, tools, barge-in, reconnection) without opening a
port: the unit tests of a voice app run in milliseconds, like httpx's
``MockTransport``. ``InMemoryTransport(responder=...)`` plays a scripted server
(:class:`ScriptedResponder`) or any Responder of your own.

Each channel has one thread (``realtime-sync-memory``) that plays the server: it
decodes the client's frames with the Codec (as the mock server does), feeds them to
the Responder, encodes what it answers and hands the text to the client's
``on_message``, exactly as a socket reader would. Frames go through the Codec both
ways, so a bad event fails here as it would on the wire.
"""

from __future__ import annotations

import collections
import logging
import threading
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Literal
from urllib.parse import parse_qs, urlsplit

from realtime_sync.events import ClientEvent, ConversationItemDone, ServerEvent
from realtime_sync.exceptions import ConnectError, ConnectionClosed, ProtocolError
from realtime_sync.protocol import Codec
from realtime_sync.testing._responder import RawFrame, Responder

__all__ = ["InMemoryChannel", "InMemoryTransport"]

logger = logging.getLogger(__name__)

_STOP = object()


class InMemoryTransport:
    """A :class:`~realtime_sync.transport.Transport` that runs the mock in-process.

    Args:
        responder: The server's behaviour: a :class:`Responder` (or a
            :class:`ScriptedResponder`) for one session, or a callable returning a
            new one for each channel (reconnections open new channels). By default
            a new ``Responder`` of the channel's dialect and model per channel.
        dialect: ``"ga"`` or ``"beta"``; by default the dialect the client asks for
            (``OpenAI-Beta: realtime=v1`` means beta).

    Attributes:
        channels: Every channel opened so far, oldest first (``channels[-1]
            .received`` lists what the current session received; ``.drop()``
            ends a channel as a lost connection would).
    """

    def __init__(
        self,
        responder: Responder | Callable[[], Responder] | None = None,
        *,
        dialect: str | None = None,
    ) -> None:
        if dialect not in (None, "ga", "beta"):
            raise ValueError(f"dialect must be 'ga', 'beta' or None, not {dialect!r}")
        if responder is not None and not (
            isinstance(responder, Responder) or callable(responder)
        ):
            raise TypeError("responder must be a Responder or a callable returning one")
        self._responder = responder
        self._dialect = dialect
        self._lock = threading.Lock()
        self._used = False
        self.channels: list[InMemoryChannel] = []

    def open(
        self,
        url: str,
        *,
        headers: Mapping[str, str],
        on_message: Callable[[str], None],
        on_close: Callable[[ConnectionClosed], None],
        on_binary: Callable[[bytes], None],
        secrets: Sequence[str] = (),
    ) -> InMemoryChannel:
        """A channel playing the server for ``url``, not yet connected."""
        beta = any(
            k.lower() == "openai-beta" and "realtime" in v for k, v in headers.items()
        )
        dialect: Literal["ga", "beta"] = (
            "beta" if (self._dialect or ("beta" if beta else "ga")) == "beta" else "ga"
        )
        query = parse_qs(urlsplit(url).query)
        model = (query.get("model") or query.get("deployment") or ["gpt-realtime"])[0]
        intent = (query.get("intent") or ["realtime"])[0]

        def make() -> Responder:
            given = self._responder
            if given is None:
                return Responder(
                    dialect,
                    model=model,
                    session_type="transcription"
                    if intent == "transcription"
                    else "realtime",
                )
            if isinstance(given, Responder):
                with self._lock:
                    if self._used:
                        raise ConnectError(
                            "this InMemoryTransport's responder has served a session "
                            "already; pass a callable that makes one per channel"
                        )
                    self._used = True
                return given
            made = given()
            if not isinstance(made, Responder):
                raise TypeError("the responder factory must return a Responder")
            return made

        channel = InMemoryChannel(make, Codec(dialect), on_message, on_close)
        with self._lock:
            self.channels.append(channel)
        return channel


class InMemoryChannel:
    """One in-process connection (a :class:`~realtime_sync.transport.Channel`).

    Thread-safe like :class:`~realtime_sync.transport.Connection`: ``send()`` may be
    called from any thread; the server side runs on the ``realtime-sync-memory``
    thread, which also calls ``on_message`` and ``on_close``.
    """

    def __init__(
        self,
        make: Callable[[], Responder],
        codec: Codec,
        on_message: Callable[[str], None],
        on_close: Callable[[ConnectionClosed], None],
    ) -> None:
        self._make = make
        self._codec = codec
        self._on_message = on_message
        self._on_close = on_close
        self._cond = threading.Condition()
        self._inbox: collections.deque[Any] = collections.deque()
        self._state = "unopened"
        self._close_code: int | None = None
        self._close_reason = ""
        self._thread: threading.Thread | None = None
        #: The session's Responder (set by ``connect()``).
        self.responder: Responder | None = None
        #: Every client event the server side decoded, in order.
        self.received: list[ClientEvent] = []

    @property
    def is_open(self) -> bool:
        """Whether the channel is open."""
        return self._state == "open"

    @property
    def close_code(self) -> int | None:
        """1000 once closed by either side, else None."""
        return self._close_code

    @property
    def close_reason(self) -> str:
        """The close reason (empty)."""
        return self._close_reason

    def connect(self) -> None:
        """Make the session's Responder and start the server thread."""
        with self._cond:
            if self._state != "unopened":
                raise RuntimeError("An in-memory channel connects once.")
            self.responder = self._make()
            self._state = "open"
        self._thread = threading.Thread(
            target=self._serve, name="realtime-sync-memory", daemon=True
        )
        self._thread.start()

    def send(self, text: str, item: object = None) -> None:
        """Hand one client frame to the server thread."""
        with self._cond:
            if self._state != "open":
                raise ConnectionClosed("the in-memory channel is closed", code=1000)
            self._inbox.append(text)
            self._cond.notify()

    def flush(self, timeout: float | None = None) -> None:
        """Nothing is ever waiting to be written (frames are handed over at once)."""
        if self._state != "open":
            raise ConnectionClosed("the in-memory channel is closed", code=1000)

    def close(
        self, timeout: float = 5.0, code: int = 1000, reason: str = ""
    ) -> tuple[object, ...]:
        """Stop the server thread and join it (unless called on it)."""
        with self._cond:
            if self._state == "unopened":
                self._state = "closed"
                self._finish(code, reason)
                thread = None
            else:
                if self._state == "open":
                    self._state = "closing"
                    self._close_code, self._close_reason = code, reason
                    self._inbox.append(_STOP)
                    self._cond.notify()
                thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout)
        return ()

    def raise_if_failed(self) -> None:
        """Nothing can crash below the client here."""

    def drop(self, code: int = 1006, reason: str = "") -> None:
        """End the channel as if the server went away (for reconnection tests)."""
        with self._cond:
            if self._state != "open":
                return
            self._state = "closing"
            self._close_code = None if code == 1006 else code
            self._close_reason = reason
            self._inbox.append(_STOP)
            self._cond.notify()

    # -- the server thread ------------------------------------------------------------

    def _serve(self) -> None:
        responder = self.responder
        assert responder is not None
        try:
            self._deliver(responder.start())
            while True:
                with self._cond:
                    while not self._inbox and not responder.active_responses:
                        self._cond.wait()
                    item = self._inbox.popleft() if self._inbox else None
                if item is _STOP:
                    break
                if item is not None:
                    self._deliver(self._handle(responder, item))
                    continue
                frame = responder.next_frame()  # one streamed frame, then look again
                if frame is not None:
                    self._deliver([frame])
        except Exception:  # a bug in a Responder: end the channel, loudly
            logger.exception("the in-memory server failed")
        finally:
            with self._cond:
                self._state = "closed"
                code, reason = self._close_code, self._close_reason
            self._finish(code, reason)

    def _handle(self, responder: Responder, text: str) -> list[ServerEvent | RawFrame]:
        try:
            event = self._codec.decode_client(text)
        except ProtocolError as exc:
            return list(responder.invalid_frame(f"Invalid client event: {exc}", None))
        self.received.append(event)
        try:
            return list(responder.handle(event))
        except Exception:
            logger.exception("the Responder failed on %s", event.type)
            event_id = event.event_id if isinstance(event.event_id, str) else None
            return list(responder.server_error(event_id))

    def _deliver(self, frames: Sequence[ServerEvent | RawFrame]) -> None:
        for frame in frames:
            if isinstance(frame, RawFrame):
                text = frame.text
            elif self._codec.dialect == "beta" and isinstance(
                frame, ConversationItemDone
            ):
                continue  # beta has no conversation.item.done (§7.2)
            else:
                text = self._codec.encode_server(frame)
            try:
                self._on_message(text)
            except Exception:
                logger.exception("on_message raised")

    def _finish(self, code: int | None, reason: str) -> None:
        closed = ConnectionClosed(
            "the in-memory channel closed"
            if code is not None
            else "the in-memory server went away",
            code=code,
            reason=reason,
        )
        try:
            self._on_close(closed)
        except Exception:
            logger.exception("on_close raised")
