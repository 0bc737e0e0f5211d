"""Exceptions raised by realtime_sync.

The hierarchy::

    RealtimeError                 base of everything this package raises on purpose
    ├── ConnectError              the WebSocket handshake failed
    │   ├── AuthenticationError   the server answered 401 or 403
    │   ├── RateLimitError        the server answered 429 (``retry_after``)
    │   └── ConnectTimeout        connecting ran out of time (also a ``Timeout``)
    ├── ConnectionClosed          the connection is closed (code, reason, unsent)
    ├── AudioLost                 input audio did not survive a reconnection
    ├── ProtocolError             a frame could not be decoded (raw text, path)
    ├── ServerError               an ``error`` event answered a helper's request
    ├── HandlerError              a user handler raised (original as ``__cause__``)
    ├── QueueFull                 the send queue's byte bound was reached
    └── Timeout                   a blocking call ran out of time (``TimeoutError``)

``ConnectTimeout`` derives from both ``ConnectError`` and ``Timeout``: ``except
ConnectError`` catches every failed ``connect()``, ``except Timeout`` (or the builtin
``TimeoutError``) every call that ran out of time, connecting included.

Wrong arguments raise the builtin :class:`TypeError` or :class:`ValueError` at the call
site, before anything is queued; lifecycle misuse raises :class:`RuntimeError`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

__all__ = [
    "AudioLost",
    "AuthenticationError",
    "ConnectError",
    "ConnectTimeout",
    "ConnectionClosed",
    "HandlerError",
    "ProtocolError",
    "QueueFull",
    "RateLimitError",
    "RealtimeError",
    "ServerError",
    "Timeout",
]


class RealtimeError(Exception):
    """Base class of every exception that realtime_sync raises on purpose."""


class ConnectError(RealtimeError):
    """The WebSocket connection could not be opened.

    Raised by ``connect()`` when the TCP connection, TLS or the HTTP upgrade fails:
    the host could not be resolved, the connection was refused, the server's TLS
    certificate could not be verified, or the server answered the upgrade with an
    HTTP error (``status`` set; 404, 500, ...). The cause is chained as ``__cause__``.

    Attributes:
        status: The HTTP status of a refused upgrade, or ``None`` without an answer.
        body: The server's response body (text), or ``None``.
        server_message: ``error.message`` parsed from a JSON body, when there is one
            (also part of the exception's message).
        request_id: The ``x-request-id`` header of a refused upgrade, when present
            (quote it when asking the provider's support).
    """

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        body: str | None = None,
        server_message: str | None = None,
        request_id: str | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.body = body
        self.server_message = server_message
        self.request_id = request_id


class AuthenticationError(ConnectError):
    """The server refused the credentials (HTTP 401 or 403 during the handshake)."""


class RateLimitError(ConnectError):
    """The server refused the upgrade with HTTP 429 (too many requests or sessions).

    Attributes:
        retry_after: Seconds to wait before trying again, from the ``Retry-After``
            header (either form: seconds, or an HTTP date converted to seconds from
            now), or ``None`` when the server did not say.
    """

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        body: str | None = None,
        server_message: str | None = None,
        request_id: str | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(
            message,
            status=status,
            body=body,
            server_message=server_message,
            request_id=request_id,
        )
        self.retry_after = retry_after


class ConnectionClosed(RealtimeError):
    """The connection is closed, by the server, the network, or :meth:`close`.

    Raised by sends on a closed client and by the next blocking call after the server
    closed; also passed to ``on_error`` handlers when the server closes.

    When the server broke the WebSocket protocol, the client failed the connection
    with a close code of its own and ``__cause__`` is a :class:`ProtocolError`
    describing the violation: ``1009`` for a message larger than
    ``max_message_size``, ``1007`` for a text frame that is not UTF-8, ``1002`` for
    bad framing. When nothing answered a ping in time (a half-open connection),
    ``code`` is ``None`` and the message says so.

    Attributes:
        code: The WebSocket close code (``1000`` normal, ``1001`` going away, ...)
            the server sent, or the code the client closed with after a protocol
            violation by the server (``1002``, ``1007``, ``1009``; ``__cause__`` is
            then a :class:`ProtocolError`), or ``None`` when the connection dropped
            without a close frame (network failure, no answer to a ping in time).
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


class AudioLost(RealtimeError):
    """Input audio appended before or during an outage did not reach the new session.

    Reported to ``on_error`` handlers once a reconnection is done (the client is
    connected again): when uncommitted audio beyond the policy's
    ``audio_buffer_seconds`` was dropped, or when a commit sent to the new session
    found its input buffer empty because the audio it was to commit was lost.

    Attributes:
        dropped_ms: Milliseconds of input audio dropped (0 for a failed commit).
        event: The ``error`` event of a failed commit, else ``None``.
    """

    def __init__(self, message: str, *, dropped_ms: int = 0, event: Any = None) -> None:
        super().__init__(message)
        self.dropped_ms = dropped_ms
        self.event = event


class ProtocolError(RealtimeError):
    """A frame could not be decoded (or an event could not be encoded).

    Also the ``__cause__`` of the :class:`ConnectionClosed` reported when the server
    broke the WebSocket protocol itself (a message too big, a text frame that is not
    UTF-8, bad framing); ``raw`` is then ``None``.

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


class ConnectTimeout(ConnectError, Timeout):
    """``connect()`` ran out of time: no handshake, or no ``session.created``, in time.

    Both a :class:`ConnectError` (connecting failed) and a :class:`Timeout` (a builtin
    :class:`TimeoutError`), so either ``except`` clause catches it. Nothing answered,
    so ``status``, ``body``, ``server_message`` and ``request_id`` are ``None``.
    """


def _str_or_none(value: object) -> str | None:
    return value if isinstance(value, str) else None
