"""Exceptions raised by realtime_sync.

The hierarchy::

    RealtimeError                 base of everything this package raises on purpose
    ├── ConnectError              the WebSocket handshake failed
    │   └── AuthenticationError   the server answered 401 or 403
    ├── ConnectionClosed          the connection is closed (code, reason, unsent)
    ├── ProtocolError             a frame could not be decoded (raw text, path)
    ├── ServerError               an ``error`` event answered a helper's request
    ├── HandlerError              a user handler raised (original as ``__cause__``)
    ├── QueueFull                 the send queue's byte bound was reached
    └── Timeout                   a blocking call ran out of time (``TimeoutError``)

Wrong arguments raise the builtin :class:`TypeError` or :class:`ValueError` at the call
site, before anything is queued; lifecycle misuse raises :class:`RuntimeError`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

__all__ = [
    "AuthenticationError",
    "ConnectError",
    "ConnectionClosed",
    "HandlerError",
    "ProtocolError",
    "QueueFull",
    "RealtimeError",
    "ServerError",
    "Timeout",
]


class RealtimeError(Exception):
    """Base class of every exception that realtime_sync raises on purpose."""


class ConnectError(RealtimeError):
    """The WebSocket connection could not be opened.

    Raised by ``connect()`` when the TCP connection, TLS or the HTTP upgrade fails.

    Attributes:
        status: The HTTP status of a refused upgrade, or ``None`` without an answer.
        body: The server's response body (text), or ``None``.
        server_message: ``error.message`` parsed from a JSON body, when there is one.
    """

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        body: str | None = None,
        server_message: str | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.body = body
        self.server_message = server_message


class AuthenticationError(ConnectError):
    """The server refused the credentials (HTTP 401 or 403 during the handshake)."""


class ConnectionClosed(RealtimeError):
    """The connection is closed, by the server, the network, or :meth:`close`.

    Raised by sends on a closed client and by the next blocking call after the server
    closed; also passed to ``on_error`` handlers when the server closes.

    Attributes:
        code: The WebSocket close code (``1000`` normal, ``1001`` going away, ...), or
            ``None`` when the connection dropped without a close frame.
        reason: The close reason sent by the peer (may be empty).
        unsent: Client events that were queued but never written to the socket.
    """

    def __init__(
        self,
        message: str,
        *,
        code: int | None = None,
        reason: str = "",
        unsent: Sequence[Any] = (),
    ) -> None:
        super().__init__(message)
        self.code = code
        self.reason = reason
        self.unsent: tuple[Any, ...] = tuple(unsent)


class ProtocolError(RealtimeError):
    """A frame could not be decoded (or an event could not be encoded).

    Attributes:
        raw: The raw frame text (or the value being encoded), for diagnosis.
        path: Where in the document decoding failed, as ``$.field[0].sub``; ``"$"`` for
            the document itself.
    """

    def __init__(
        self, message: str, *, raw: str | bytes | None = None, path: str = "$"
    ) -> None:
        super().__init__(message)
        self.raw = raw
        self.path = path


class ServerError(RealtimeError):
    """The server answered a request with an ``error`` event.

    Attributes:
        event: The :class:`~realtime_sync.events.Error` event as received.
        code: ``error.code`` (may be ``None``).
        error_type: ``error.type``, e.g. ``"invalid_request_error"``.
        param: ``error.param`` (may be ``None``).
    """

    def __init__(self, message: str, *, event: Any = None) -> None:
        super().__init__(message)
        self.event = event
        err = getattr(event, "error", None)
        self.code: str | None = _str_or_none(getattr(err, "code", None))
        self.error_type: str | None = _str_or_none(getattr(err, "type", None))
        self.param: str | None = _str_or_none(getattr(err, "param", None))


class HandlerError(RealtimeError):
    """A user handler raised; the original exception is ``__cause__``.

    Attributes:
        handler: The handler that raised.
        event: The event it was handling.
    """

    def __init__(self, message: str, *, handler: Any = None, event: Any = None) -> None:
        super().__init__(message)
        self.handler = handler
        self.event = event


class QueueFull(RealtimeError):
    """The send queue holds more bytes than its bound; nothing was queued."""


class Timeout(RealtimeError, TimeoutError):
    """A blocking call did not complete in time (a builtin :class:`TimeoutError`)."""


def _str_or_none(value: object) -> str | None:
    return value if isinstance(value, str) else None
