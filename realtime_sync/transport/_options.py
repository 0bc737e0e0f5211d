"""Argument checks and the transport's security policy, in one place.

Both :class:`~realtime_sync.transport.Connection` and
:class:`~realtime_sync.transport.WebSocketTransport` call these functions, so an
option is judged the same way (same exception, same message) whichever of the two
receives it, and a client building a ``WebSocketTransport`` hears about a bad value
at construction rather than at its first ``connect()``.

* :func:`check_options` checks the numeric limits and builds websocket-client's
  ``sslopt`` from ``ca_bundle``/``ssl_context`` (:func:`_ssl_options`: certificate
  verification is always on);
* :func:`check_subprotocols`, :func:`check_callbacks` and :func:`prepare_request`
  check what one connection is opened with: callbacks, headers, subprotocols,
  secrets, and whether credentials would cross the network in clear text;
* :func:`credentials_in_cleartext` and :func:`check_transport_security` are the
  public form of that last rule, for clients that want to check a URL early.
"""

from __future__ import annotations

import os
import ssl
from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple
from urllib.parse import urlsplit

from realtime_sync._credentials import (
    CREDENTIAL_HEADERS,
    KEY_SUBPROTOCOL_PREFIX,
    Redactor,
    credential_parts,
    is_loopback,
)

__all__ = [
    "Request",
    "check_callbacks",
    "check_options",
    "check_subprotocols",
    "check_transport_security",
    "credentials_in_cleartext",
    "prepare_request",
]


class Request(NamedTuple):
    """What one connection sends in its upgrade request, checked.

    Attributes:
        header_lines: ``"Name: value"`` lines for websocket-client.
        header_names: The header names alone (the only part ever logged).
        subprotocols: ``Sec-WebSocket-Protocol`` values to offer.
        redact: Hides every secret of this request (keys, credential headers).
        safe_url: The URL without query or credentials, redacted: for messages.
    """

    header_lines: tuple[str, ...]
    header_names: tuple[str, ...]
    subprotocols: tuple[str, ...]
    redact: Redactor
    safe_url: str


def check_options(
    *,
    max_queue_bytes: int,
    max_message_size: int | None,
    ping_interval: float | None,
    ping_timeout: float | None,
    connect_timeout: float,
    ca_bundle: str | os.PathLike[str] | None,
    ssl_context: ssl.SSLContext | None,
) -> dict[str, Any]:
    """Check the transport's limits and TLS options; return websocket-client's sslopt.

    The options are those documented on
    :class:`~realtime_sync.transport.Connection`.

    Returns:
        The ``sslopt`` dictionary for ``websocket.WebSocket`` (see
        :func:`_ssl_options`); the caller copies it per socket.

    Raises:
        TypeError: A limit is not an int, ``ssl_context`` is not an SSLContext or
            ``ca_bundle`` not a path.
        ValueError: A number is out of range, both ``ca_bundle`` and
            ``ssl_context`` were given, or ``ca_bundle`` cannot be loaded.
    """
    if isinstance(max_queue_bytes, bool) or not isinstance(max_queue_bytes, int):
        raise TypeError("max_queue_bytes must be an int")
    if max_queue_bytes <= 0:
        raise ValueError("max_queue_bytes must be positive")
    if max_message_size is not None:
        if isinstance(max_message_size, bool) or not isinstance(max_message_size, int):
            raise TypeError("max_message_size must be an int or None")
        if max_message_size <= 0:
            raise ValueError("max_message_size must be positive or None")
    if ping_interval is not None and not ping_interval > 0:
        raise ValueError("ping_interval must be positive or None")
    if ping_timeout is not None and not ping_timeout > 0:
        raise ValueError("ping_timeout must be positive or None")
    if not connect_timeout > 0:
        raise ValueError("connect_timeout must be positive")
    return _ssl_options(ca_bundle, ssl_context)


def check_subprotocols(subprotocols: Sequence[str] | None) -> tuple[str, ...]:
    """The subprotocols to offer, checked.

    Raises:
        ValueError: One of them is not a non-empty string.
    """
    protocols = () if subprotocols is None else tuple(subprotocols)
    for protocol in protocols:
        if not isinstance(protocol, str) or not protocol:
            raise ValueError("subprotocols must be non-empty strings")
    return protocols


def check_callbacks(
    on_message: object, on_close: object = None, on_binary: object = None
) -> None:
    """Check the callbacks of a connection (``on_message`` is required).

    Raises:
        TypeError: One of them is not callable (``on_close`` and ``on_binary`` may
            be ``None``).
    """
    if not callable(on_message):
        raise TypeError("on_message must be callable")
    if on_binary is not None and not callable(on_binary):
        raise TypeError("on_binary must be callable or None")
    if on_close is not None and not callable(on_close):
        raise TypeError("on_close must be callable or None")


def prepare_request(
    url: str,
    *,
    headers: Mapping[str, str] | None,
    subprotocols: Sequence[str] | None,
    secrets: Sequence[str],
    allow_insecure: bool,
) -> Request:
    """Check the URL, headers and subprotocols of one connection; collect its secrets.

    Credentials are the values of credential headers (``Authorization``,
    ``api-key``, ...), key subprotocols, and ``secrets``; any of them in the URL
    (Azure accepts ``?api-key=``) counts too. They are refused over clear text to
    another machine unless ``allow_insecure`` (:func:`check_transport_security`).

    Raises:
        TypeError: ``secrets`` is a bare string, ``url`` is not a string, or a
            header name or value is not a string.
        ValueError: A header or subprotocol is malformed, the URL is not a
            ``ws://``/``wss://`` URL with a host, or credentials would travel in
            clear text.
    """
    if isinstance(secrets, str):
        # A bare string is a Sequence[str] of characters: redacting every single
        # character would be absurd, and it is certainly a mistake.
        raise TypeError("secrets must be a sequence of strings, not a string")
    secret_set = {s for s in secrets if isinstance(s, str) and s}
    header_lines: list[str] = []
    header_names: list[str] = []
    has_credentials = False
    for name, value in (headers or {}).items():
        _check_header(name, value)
        header_lines.append(f"{name}: {value}")
        header_names.append(name)
        if name.lower() in CREDENTIAL_HEADERS:
            secret_set.update(credential_parts(value))
            has_credentials = True
    protocols = check_subprotocols(subprotocols)
    for protocol in protocols:
        if protocol.startswith(KEY_SUBPROTOCOL_PREFIX):
            secret_set.add(protocol)
            secret_set.add(protocol[len(KEY_SUBPROTOCOL_PREFIX) :])
            has_credentials = True
    redact = Redactor(secret_set)
    safe_url = redact(_display_url(url))
    # A key in the query (Azure accepts ?api-key=) is a credential too.
    has_credentials = has_credentials or any(s in url for s in secret_set)
    check_transport_security(
        url, has_credentials=has_credentials, allow_insecure=allow_insecure
    )
    return Request(
        tuple(header_lines), tuple(header_names), protocols, redact, safe_url
    )


def _ssl_options(
    ca_bundle: str | os.PathLike[str] | None, ssl_context: ssl.SSLContext | None
) -> dict[str, Any]:
    """websocket-client's ``sslopt`` for our TLS arguments (verification always on).

    websocket-client verifies by default (``_http._ssl_socket`` starts from
    ``cert_reqs=CERT_REQUIRED`` and ``check_hostname`` True), but we say so
    explicitly rather than rely on a library default; its environment variable
    WEBSOCKET_CLIENT_CA_BUNDLE keeps working for the default case. A ``ca_bundle``
    is loaded into a context of our own now, so a bad path fails at construction.

    Raises:
        TypeError: ``ssl_context`` is not an SSLContext or ``ca_bundle`` not a path.
        ValueError: Both were given, or ``ca_bundle`` cannot be loaded.
    """
    if ca_bundle is not None and ssl_context is not None:
        raise ValueError("pass ca_bundle or ssl_context, not both")
    if ssl_context is not None:
        if not isinstance(ssl_context, ssl.SSLContext):
            raise TypeError("ssl_context must be an ssl.SSLContext")
        return {"context": ssl_context}
    if ca_bundle is not None:
        if not isinstance(ca_bundle, (str, os.PathLike)):
            raise TypeError("ca_bundle must be a path (str or os.PathLike)")
        path = os.fspath(ca_bundle)
        try:
            # Verifies the certificate chain and the host name, against this file's
            # CAs only.
            context = ssl.create_default_context(cafile=path)
        except (OSError, ssl.SSLError) as exc:
            raise ValueError(f"ca_bundle {path!r} could not be loaded: {exc}") from exc
        return {"context": context}
    return {"cert_reqs": ssl.CERT_REQUIRED, "check_hostname": True}


def credentials_in_cleartext(url: str, has_credentials: bool) -> bool:
    """Whether connecting to ``url`` would send credentials unencrypted off this host.

    True for a ``ws://`` URL (no TLS) to a host that is not loopback (``localhost``,
    127.0.0.0/8, ``::1``) when the connection carries credentials: anyone on the
    path could read the API key. ``wss://`` URLs and loopback hosts are always fine.
    :class:`~realtime_sync.transport.Connection` refuses such a connection unless
    ``allow_insecure=True``; a client can call this early, before building the
    connection.

    Args:
        url: The WebSocket URL.
        has_credentials: Whether the request carries a credential (an
            ``Authorization``/``api-key`` header, a key subprotocol, a key in the
            query).

    Raises:
        TypeError: ``url`` is not a string.
        ValueError: ``url`` is not a ``ws://``/``wss://`` URL with a host.
    """
    _display_url(url)  # validates
    parts = urlsplit(url)
    return (
        has_credentials
        and parts.scheme == "ws"
        and not is_loopback(parts.hostname or "")
    )


def check_transport_security(
    url: str, *, has_credentials: bool, allow_insecure: bool = False
) -> None:
    """Raise if credentials would travel in clear text (see :func:`credentials_in_cleartext`).

    The message names the host and the two ways out; never the credential.

    Args:
        url: The WebSocket URL.
        has_credentials: Whether the request carries a credential.
        allow_insecure: Accept clear text anyway (a trusted private network).

    Raises:
        ValueError: ``credentials_in_cleartext(url, has_credentials)`` and not
            ``allow_insecure``.
    """
    if allow_insecure or not credentials_in_cleartext(url, has_credentials):
        return
    host = urlsplit(url).hostname
    raise ValueError(
        f"Refusing to send credentials unencrypted to {host!r} over ws://: use "
        f"wss://, or pass allow_insecure=True if the network is trusted."
    )


def _display_url(url: str) -> str:
    """``scheme://host:port/path`` of ``url``: no credentials, no query (keys hide).

    Raises:
        TypeError: ``url`` is not a string.
        ValueError: Not a ``ws://``/``wss://`` URL with a host and a valid port.
    """
    if not isinstance(url, str):
        raise TypeError("url must be a str")
    parts = urlsplit(url)
    if parts.scheme not in ("ws", "wss"):
        raise ValueError("url must start with ws:// or wss://")
    if not parts.hostname:
        raise ValueError("url has no host")
    port = parts.port  # raises ValueError for a malformed port
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    return f"{parts.scheme}://{host}{'' if port is None else f':{port}'}{parts.path}"


def _check_header(name: object, value: object) -> None:
    """Reject headers that would corrupt the request (never echoing the value)."""
    if not isinstance(name, str) or not isinstance(value, str):
        raise TypeError("header names and values must be str")
    if not name or any(c in name for c in ":\r\n\0 \t"):
        raise ValueError(f"invalid header name {name!r}")
    if any(c in value for c in "\r\n\0"):
        raise ValueError(f"the value of header {name!r} contains a line break or NUL")
