"""Credentials: what counts as one, keeping them out of text, and refused requests.

Shared by the WebSocket transport and :mod:`realtime_sync.client_secrets` (the one
HTTP request of the package), so that both redact, judge clear-text risks and turn
an HTTP refusal into an exception the same way:

* :class:`Redactor` replaces every known secret by ``***`` in messages, and in the
  arguments of foreign exceptions kept as ``__cause__``;
* :func:`is_loopback` tells whether a host is this machine (clear text is fine there);
* :func:`refusal` maps an HTTP error answer to :class:`AuthenticationError`
  (401/403), :class:`RateLimitError` (429, with ``Retry-After``) or
  :class:`ConnectError`, with the server's ``error.message`` and request id;
* :class:`RedactHandshake` hides credential headers in what websocket-client logs.
"""

from __future__ import annotations

import contextlib
import email.utils
import ipaddress
import json
import logging
import math
import re
import time
from collections.abc import Callable, Iterable

from realtime_sync.exceptions import (
    AuthenticationError,
    ConnectError,
    RateLimitError,
)

__all__ = [
    "CREDENTIAL_HEADERS",
    "KEY_SUBPROTOCOL_PREFIX",
    "REDACTED",
    "RedactHandshake",
    "Redactor",
    "credential_parts",
    "is_loopback",
    "refusal",
    "retry_after",
    "server_message",
]

#: What replaces a secret in messages and log lines.
REDACTED = "***"

#: Header values that are credentials even when nobody said so (lower-case names).
CREDENTIAL_HEADERS = frozenset(
    {"authorization", "proxy-authorization", "api-key", "x-api-key"}
)

#: Browsers pass the key as a subprotocol (REALTIME_PROTOCOL.md section 1.1).
KEY_SUBPROTOCOL_PREFIX = "openai-insecure-api-key."


class Redactor:
    """Replaces every secret it knows (longest first) by ``***``."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        self.secrets: tuple[str, ...] = ()
        for secret in secrets:
            self.add(secret)

    def add(self, secret: str) -> None:
        """Also redact ``secret`` from now on (empty strings are ignored)."""
        if isinstance(secret, str) and secret and secret not in self.secrets:
            # Longest first, so that "Bearer sk-1" goes before "sk-1" can split it.
            self.secrets = tuple(sorted((*self.secrets, secret), key=len, reverse=True))

    def __call__(self, text: str) -> str:
        for secret in self.secrets:
            if secret in text:
                text = text.replace(secret, REDACTED)
        return text

    def describe(self, exc: object) -> str:
        """``Name: message`` of an exception (or ``str`` of anything), redacted."""
        if isinstance(exc, BaseException):
            text = str(exc)
            name = type(exc).__name__
            return self(f"{name}: {text}" if text else name)
        return self(str(exc))

    def scrub(self, exc: BaseException) -> None:
        """Redact the arguments of a foreign exception about to become ``__cause__``.

        Its text is printed in every traceback of ours; a server may echo the key in
        an error body that a library put into the message.
        """
        if not self.secrets:
            return
        with contextlib.suppress(AttributeError, TypeError):
            exc.args = tuple(self(a) if isinstance(a, str) else a for a in exc.args)


def credential_parts(value: str) -> Iterable[str]:
    """A credential header's value and, for ``Bearer <token>`` values, the token."""
    yield value
    scheme, _, token = value.partition(" ")
    if token.strip() and scheme:
        yield token.strip()


def is_loopback(host: str) -> bool:
    """``localhost``, 127.0.0.0/8, ``::1`` (also IPv4-mapped): this machine only."""
    host = host.lower().rstrip(".")
    if host == "localhost" or host.endswith(".localhost"):
        # "localhost." names resolve to loopback (RFC 6761 section 6.3).
        return True
    try:
        address = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        return address.ipv4_mapped.is_loopback
    return address.is_loopback


def server_message(body: str | None) -> str | None:
    """``error.message`` of a JSON error body (REALTIME_PROTOCOL.md section 1.7)."""
    if not body:
        return None
    try:
        document = json.loads(body)
    except ValueError:
        return None
    if isinstance(document, dict):
        error = document.get("error")
        if isinstance(error, dict) and isinstance(error.get("message"), str):
            message: str = error["message"]
            return message
    return None


def retry_after(value: object) -> float | None:
    """Seconds from a ``Retry-After`` header: delay-seconds or an HTTP-date.

    "Retry-After = HTTP-date / delay-seconds" (RFC 9110 section 10.2.3). A date in
    the past gives 0; anything unparsable gives ``None``.
    """
    if not isinstance(value, str) or not value.strip():
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:
            return None
        seconds = when.timestamp() - time.time()
    if not math.isfinite(seconds):
        return None
    return max(0.0, seconds)


def refusal(
    what: str,
    status: int,
    reason: str | None,
    body: str | None,
    header: Callable[[str], object],
    redact: Redactor,
) -> ConnectError:
    """The exception for an HTTP error answer.

    Args:
        what: The start of the message, e.g. ``"The server refused the WebSocket
            upgrade at wss://host/v1/realtime"``.
        status: The HTTP status.
        reason: The status line's reason phrase.
        body: The answer's body, already redacted (kept in ``.body``).
        header: Looks up a response header by its lower-case name.
        redact: Applied to the message and the request id.

    Returns:
        :class:`AuthenticationError` for 401 and 403, :class:`RateLimitError` for
        429 (``retry_after`` from ``Retry-After``), else :class:`ConnectError`; each
        with ``status``, ``body``, ``server_message`` and ``request_id``.
    """
    message_of_server = server_message(body)
    request_id = header("x-request-id")
    if not isinstance(request_id, str) or not request_id:
        request_id = None
    else:
        request_id = redact(request_id)
    message = f"{what}: HTTP {status}"
    if reason:
        message += f" {reason}"
    if message_of_server:
        message += f": {message_of_server}"
    if request_id is not None:
        message += f" (request id {request_id})"
    message = redact(message)
    if status == 429:
        seconds = retry_after(header("retry-after"))
        if seconds is not None:
            message += f"; retry after {seconds:g} s"
        return RateLimitError(
            message,
            status=status,
            body=body,
            server_message=message_of_server,
            request_id=request_id,
            retry_after=seconds,
        )
    error_type = AuthenticationError if status in (401, 403) else ConnectError
    return error_type(
        message,
        status=status,
        body=body,
        server_message=message_of_server,
        request_id=request_id,
    )


class RedactHandshake(logging.Filter):
    """Blanks credentials in what websocket-client logs about the handshake.

    With ``websocket.enableTrace(True)`` it logs the whole upgrade request, headers
    included, to the ``websocket`` logger. Put on that logger, the filter hides the
    values of credential headers and the key of a key subprotocol before any handler
    sees them, whichever connection (ours or not) produced them.
    """

    _PATTERN = re.compile(
        r"(?im)^(\s*(?:" + "|".join(sorted(CREDENTIAL_HEADERS)) + r")\s*:\s*).*$"
        r"|(" + re.escape(KEY_SUBPROTOCOL_PREFIX) + r")[^\s,]+"
    )

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = self._PATTERN.sub(_redacted_match, message)
        if redacted != message:
            record.msg, record.args = redacted, None
        return True


def _redacted_match(match: re.Match[str]) -> str:
    return (match.group(1) or match.group(2)) + REDACTED
