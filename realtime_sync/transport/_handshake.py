"""Opening the socket: the WebSocket object, the upgrade, and what its failures mean.

:meth:`~realtime_sync.transport.Connection.connect` uses these in order:
:func:`new_websocket` builds websocket-client's object (verification and
threading settings), :func:`handshake` performs TCP, TLS and the HTTP upgrade
(no redirects, no Origin), and on failure :func:`connect_error` translates
websocket-client's and the operating system's exceptions into ours, once, at this
boundary: :class:`~realtime_sync.exceptions.AuthenticationError` (401/403),
:class:`~realtime_sync.exceptions.RateLimitError` (429),
:class:`~realtime_sync.exceptions.ConnectError` and
:class:`~realtime_sync.exceptions.Timeout`. :func:`scrub` redacts the original
exception before it becomes ``__cause__``.
"""

from __future__ import annotations

import logging
import socket
import ssl
from collections.abc import Mapping
from typing import Any, Protocol, cast
from urllib.parse import urlsplit

import websocket

from realtime_sync._credentials import RedactHandshake, Redactor, refusal
from realtime_sync.exceptions import ConnectError, ConnectTimeout, Timeout

__all__ = ["as_typed", "connect_error", "handshake", "new_websocket", "scrub"]

# websocket-client's trace (enableTrace) must not log our keys: see RedactHandshake.
logging.getLogger("websocket").addFilter(RedactHandshake())


class _WebSocket(Protocol):
    """The part of ``websocket.WebSocket`` the transport uses, typed.

    Several of websocket-client's methods (``connect``, ``shutdown``) carry no
    annotations; mypy --strict rejects calling them from typed code, so the object is
    seen through this protocol instead.
    """

    sock: socket.socket | None
    frame_buffer: Any  # the frame reader (ours: _reader._FrameReader)

    def connect(self, url: str, **options: Any) -> None: ...

    def settimeout(self, timeout: float | None) -> None: ...

    def send(self, payload: bytes | str, opcode: int = ...) -> int: ...

    def send_close(self, status: int = ..., reason: bytes | str = ...) -> None: ...

    def ping(self, payload: str | bytes = ...) -> None: ...

    def recv_data_frame(self, control_frame: bool = ...) -> tuple[Any, ...]: ...

    def shutdown(self) -> None: ...


def new_websocket(sslopt: Mapping[str, Any]) -> websocket.WebSocket:
    """A websocket-client WebSocket, not connected, with our settings.

    The caller installs its frame reader (``frame_buffer``) before connecting.
    """
    # enable_multithread=True keeps websocket-client's per-frame write lock (see
    # "Locks" in _connection.py). skip_utf8_validation=True because its validator
    # is a per-byte pure-Python loop unless wsaccel is installed (a 1 MB audio delta
    # would cost a good fraction of a second); the reader decodes with
    # bytes.decode() instead, which validates in C.
    return websocket.WebSocket(
        enable_multithread=True, skip_utf8_validation=True, sslopt=dict(sslopt)
    )


def as_typed(raw_ws: websocket.WebSocket) -> _WebSocket:
    """``raw_ws`` seen through the typed protocol :class:`_WebSocket`."""
    return cast(_WebSocket, raw_ws)


def handshake(
    ws: _WebSocket,
    url: str,
    *,
    header_lines: tuple[str, ...],
    subprotocols: tuple[str, ...],
    timeout: float,
) -> None:
    """TCP, TLS and the HTTP upgrade; afterwards the socket blocks without timeout.

    Raises:
        websocket.WebSocketException: The upgrade failed (websocket-client's
            exceptions, untranslated: see :func:`connect_error`).
        OSError: The network failed.
    """
    ws.connect(
        url,
        header=list(header_lines),
        subprotocols=list(subprotocols) or None,
        timeout=timeout,
        # No Origin header: this is not a browser (the official SDK sends none
        # either), and some gateways treat an Origin as a browser call.
        suppress_origin=True,
        # Do not follow redirects: websocket-client would replay every header, the
        # API key included, to whatever host the Location names. A 3xx answer
        # fails as ConnectError instead.
        redirect_limit=0,
    )
    # The connect timeout must not outlive the handshake: the reader blocks in recv
    # for as long as the server is silent, and writes block until the network
    # takes the data (close() aborts the socket to end both).
    ws.settimeout(None)


def connect_error(
    exc: BaseException,
    *,
    url: str,
    safe_url: str,
    connect_timeout: float,
    redact: Redactor,
) -> ConnectError | Timeout | None:
    """Translate a websocket-client/OSError handshake failure, or ``None``.

    Args:
        exc: What the handshake raised.
        url: The URL connected to (only its host name is used, redacted).
        safe_url: The URL as it may appear in messages.
        connect_timeout: The timeout that applied, for the message.
        redact: Hides the connection's secrets in every message.

    Returns:
        Our exception for a network or upgrade failure; ``None`` for anything else
        (a bug, ``KeyboardInterrupt``), which the caller re-raises as is.
    """
    if isinstance(exc, websocket.WebSocketBadStatusException):
        body = None
        if exc.resp_body:
            body = redact(bytes(exc.resp_body).decode("utf-8", "replace"))
        # websocket-client lower-cases the names (_http.read_headers).
        headers = exc.resp_headers if isinstance(exc.resp_headers, dict) else {}
        return refusal(
            f"The server refused the WebSocket upgrade at {safe_url}",
            int(exc.status_code),
            exc.status_message if isinstance(exc.status_message, str) else None,
            body,
            headers.get,
            redact,
        )
    if isinstance(exc, (websocket.WebSocketTimeoutException, TimeoutError)):
        return ConnectTimeout(
            f"No answer from {safe_url} within {connect_timeout:g} s."
        )
    if isinstance(exc, ssl.SSLCertVerificationError):
        # Checked before OSError, its base: the generic message would bury the
        # one thing the user can act on.
        why = exc.verify_message or exc.reason or str(exc)
        return ConnectError(
            redact(
                f"Could not connect to {safe_url}: the server's TLS certificate "
                f"could not be verified ({why}). For a private or corporate CA, "
                f"pass ca_bundle= (a PEM file of CA certificates) or "
                f"ssl_context=."
            )
        )
    if isinstance(exc, websocket.WebSocketAddressException):
        # getaddrinfo() failed (gaierror, wrapped by websocket-client).
        host = urlsplit(url).hostname or "?"
        return ConnectError(
            redact(
                f"Could not connect to {safe_url}: could not resolve host "
                f"{host!r} ({redact.describe(exc)})"
            )
        )
    if isinstance(exc, ConnectionRefusedError):
        return ConnectError(
            redact(
                f"Could not connect to {safe_url}: connection refused (nothing "
                f"listens on that port, or a firewall rejected it)"
            )
        )
    if isinstance(exc, (websocket.WebSocketException, OSError)):
        # Unreachable, reset, other TLS failures, a malformed upgrade answer.
        return ConnectError(
            redact(f"Could not connect to {safe_url}: {redact.describe(exc)}")
        )
    return None


def scrub(exc: BaseException, redact: Redactor) -> None:
    """Redact secrets from a foreign exception about to become ``__cause__``.

    Its text is printed in every traceback of ours (websocket-client puts the
    response body in the message of a refused upgrade, and a server may echo the
    key there).
    """
    redact.scrub(exc)
    body = getattr(exc, "resp_body", None)
    if isinstance(body, bytes):
        text = body.decode("utf-8", "replace")
        if redact(text) != text:
            exc.resp_body = redact(text).encode("utf-8")  # type: ignore[attr-defined]
