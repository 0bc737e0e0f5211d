"""A transport with no socket: the mock's :class:`Responder` runs in-process.

``rs.RealtimeClient(transport=rs.testing.InMemoryTransport())`` holds a whole
conversation (``ask()``, audio, tools, barge-in, reconnection) without opening a
port: the unit tests of a voice app run in milliseconds, like httpx's
``MockTransport``. ``InMemoryTransport(responder=...)`` plays a scripted server
(:class:`ScriptedResponder`) or any Responder of your own.

The API (Realtime, Live, Translation) is the one the URL's path names, as on the
mock server (``wss://.../v1/live/sessions`` gets the Live responder), or the one
``InMemoryTransport(api=...)`` names.

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

from realtime_sync.events import ConversationItemDone
from realtime_sync.exceptions import ConnectError, ConnectionClosed, ProtocolError
from realtime_sync.protocol import Codec
from realtime_sync.testing._apis import (
    CloseFrame,
    ConnectRequest,
    MockApi,
    MockResponder,
    ServerCodec,
    api_for_path,
    get_api,
)
from realtime_sync.testing._responder import RawFrame

__all__ = ["InMemoryChannel", "InMemoryTransport"]

logger = logging.getLogger(__name__)

_STOP = object()


class _Frames:
    """Inbox item: frames a responder pushed (``bind``), to deliver as they are."""

    __slots__ = ("frames",)

    def __init__(self, frames: list[Any]) -> None:
        self.frames = frames


class InMemoryTransport:
    """A :class:`~realtime_sync.transport.Transport` that runs the mock in-process.

    Args:
        responder: The server's behaviour: a :class:`Responder` (or a
            :class:`ScriptedResponder`, or a responder of another API) for one
            session, or a callable returning a new one for each channel
            (reconnections open new channels). By default a new responder of the
            channel's API per channel (for Realtime, a ``Responder`` of the
            channel's dialect and model).
        dialect: ``"ga"`` or ``"beta"``; by default the dialect the client asks for
            (``OpenAI-Beta: realtime=v1`` means beta). Realtime only.
        api: ``"realtime"``, ``"live"`` or ``"translation"``: the protocol every
            channel speaks; by default the one the URL's path names (Realtime for
            a path no API serves).

    Attributes:
        channels: Every channel opened so far, oldest first (``channels[-1]
            .received`` lists what the current session received; ``.drop()``
            ends a channel as a lost connection would).
    """

    def __init__(
        self,
        responder: MockResponder | Callable[[], MockResponder] | None = None,
        *,
        dialect: str | None = None,
        api: str | None = None,
    ) -> None:
        if dialect not in (None, "ga", "beta"):
            raise ValueError(f"dialect must be 'ga', 'beta' or None, not {dialect!r}")
        if responder is not None and not (
            _is_responder(responder) or callable(responder)
        ):
            raise TypeError("responder must be a Responder or a callable returning one")
        if api is not None and not isinstance(api, str):
            raise TypeError(f"api must be a string, not {type(api).__name__}")
        self._api: MockApi | None = None if api is None else get_api(api)
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
        split = urlsplit(url)
        request = ConnectRequest(
            path=split.path,
            query=parse_qs(split.query),
            headers={k.lower(): v for k, v in headers.items()},
            dialect=dialect,
        )
        api = self._api or api_for_path(split.path) or get_api("realtime")

        def make() -> MockResponder:
            given = self._responder
            if given is None:
                return api.make_responder(request)
            if _is_responder(given):
                with self._lock:
                    if self._used:
                        raise ConnectError(
                            "this InMemoryTransport's responder has served a session "
                            "already; pass a callable that makes one per channel"
                        )
                    self._used = True
                return given  # type: ignore[return-value]
            assert callable(given)
            made = given()
            if not _is_responder(made):
                raise TypeError("the responder factory must return a Responder")
            return made

        channel = InMemoryChannel(make, api.make_codec(request), on_message, on_close)
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
        make: Callable[[], MockResponder],
        codec: ServerCodec,
        on_message: Callable[[str], None],
        on_close: Callable[[ConnectionClosed], None],
    ) -> None:
        self._make = make
        self._codec = codec
        # Beta has no conversation.item.done (§7.2): the Realtime beta codec drops it.
        self._drops_item_done = isinstance(codec, Codec) and codec.dialect == "beta"
        self._on_message = on_message
        self._on_close = on_close
        self._cond = threading.Condition()
        self._inbox: collections.deque[Any] = collections.deque()
        self._state = "unopened"
        self._close_code: int | None = None
        self._close_reason = ""
        self._thread: threading.Thread | None = None
        #: The session's Responder (set by ``connect()``).
        self.responder: Any = None
        #: Every client event the server side decoded, in order.
        self.received: list[Any] = []

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
        bind = getattr(self.responder, "bind", None)
        if callable(bind):
            bind(self._push)
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

    def _push(self, frames: Sequence[Any]) -> None:
        """Frames the responder sends from another thread (``bind``)."""
        with self._cond:
            if self._state == "open":
                self._inbox.append(_Frames(list(frames)))
                self._cond.notify()

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
            if not self._deliver(responder.start()):
                return
            while True:
                with self._cond:
                    while not self._inbox and not responder.active_responses:
                        self._cond.wait()
                    item = self._inbox.popleft() if self._inbox else None
                if item is _STOP:
                    break
                if isinstance(item, _Frames):
                    if not self._deliver(item.frames):
                        return
                    continue
                if item is not None:
                    if not self._deliver(self._handle(responder, item)):
                        return
                    continue
                frame = responder.next_frame()  # one streamed frame, then look again
                if frame is not None and not self._deliver([frame]):
                    return
        except Exception:  # a bug in a Responder: end the channel, loudly
            logger.exception("the in-memory server failed")
        finally:
            with self._cond:
                self._state = "closed"
                code, reason = self._close_code, self._close_reason
            self._finish(code, reason)

    def _handle(self, responder: MockResponder, text: str) -> list[Any]:
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

    def _deliver(self, frames: Sequence[Any]) -> bool:
        """Hand frames to the client; ``False`` once a CloseFrame ended the channel."""
        for frame in frames:
            if isinstance(frame, CloseFrame):
                with self._cond:
                    self._state = "closing"
                    self._close_code = None if frame.drop else frame.code
                    self._close_reason = frame.reason
                return False
            if isinstance(frame, RawFrame):
                text = frame.text
            elif self._drops_item_done and isinstance(frame, ConversationItemDone):
                continue  # beta has no conversation.item.done (§7.2)
            else:
                text = self._codec.encode_server(frame)
            try:
                self._on_message(text)
            except Exception:
                logger.exception("on_message raised")
        return True

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


def _is_responder(value: object) -> bool:
    """Whether ``value`` is a responder (not a factory of them)."""
    return callable(getattr(value, "handle", None)) and hasattr(value, "start")
