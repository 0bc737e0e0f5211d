"""The connection arguments every client takes alike, checked and built once.

:class:`~realtime_sync.RealtimeClient`, :class:`~realtime_sync.LiveClient` and
:class:`~realtime_sync.TranslationClient` take the same connection arguments
(``api_key=`` or ``token_provider=``, ``url=``, ``reconnect=``,
``connect_timeout=``, the WebSocket options, ``transport=``). Each constructor
builds its own endpoint (the protocol's URL and headers) with the helpers here:
the argument checks, the key source, the no-key error and the default transport.
"""

from __future__ import annotations

import os
import ssl
from collections.abc import Callable

from realtime_sync.client._endpoints import _ws_scheme
from realtime_sync.exceptions import AuthenticationError
from realtime_sync.reconnect import ReconnectPolicy
from realtime_sync.transport import (
    Transport,
    WebSocketTransport,
    check_transport_security,
)

__all__ = [
    "check_connection_args",
    "check_openai_key",
    "check_url_security",
    "connection_key",
    "default_transport",
    "key_source",
]


def connection_key(
    *,
    api_key: str | None,
    token_provider: Callable[[], str] | None,
    reconnect: object,
    connect_timeout: float,
    slow_handler_seconds: float,
    url: str | None,
    transport: Transport | None,
    allow_insecure: bool,
) -> Callable[[], str | None]:
    """Check the connection arguments; the key source of the client's connections.

    :func:`check_connection_args`, then :func:`check_url_security`, then
    :func:`key_source`.
    """
    check_connection_args(
        api_key=api_key,
        token_provider=token_provider,
        reconnect=reconnect,
        connect_timeout=connect_timeout,
        slow_handler_seconds=slow_handler_seconds,
    )
    check_url_security(
        url,
        transport,
        api_key=api_key,
        token_provider=token_provider,
        allow_insecure=allow_insecure,
    )
    return key_source(api_key, token_provider)


def check_connection_args(
    *,
    api_key: object,
    token_provider: object,
    reconnect: object,
    connect_timeout: float,
    slow_handler_seconds: float,
) -> None:
    """Refuse bad connection arguments at the constructor's call site.

    Raises:
        TypeError: ``api_key`` not a string, ``token_provider`` not callable,
            ``reconnect`` not a :class:`ReconnectPolicy`.
        ValueError: Both ``api_key`` and ``token_provider``; a timeout that is not
            positive.
    """
    if api_key is not None and not isinstance(api_key, str):
        raise TypeError("api_key must be a string")
    if token_provider is not None:
        if not callable(token_provider):
            raise TypeError("token_provider must be callable")
        if api_key is not None:
            raise ValueError("give api_key= or token_provider=, not both")
    if reconnect is not None and not isinstance(reconnect, ReconnectPolicy):
        raise TypeError("reconnect must be a ReconnectPolicy or None")
    if not connect_timeout > 0:
        raise ValueError("connect_timeout must be positive")
    if not slow_handler_seconds > 0:
        raise ValueError("slow_handler_seconds must be positive")


def key_source(
    api_key: str | None, token_provider: Callable[[], str] | None
) -> Callable[[], str | None]:
    """The key of the next connection: the provider's fresh token, or ``api_key``."""
    if token_provider is None:
        return lambda: api_key
    provider = token_provider

    def token() -> str:
        value = provider()
        if not isinstance(value, str) or not value:
            raise TypeError(  # never echoing what it returned
                "token_provider must return a non-empty str, not "
                f"{type(value).__name__}"
            )
        return value

    return token


def check_url_security(
    url: str | None,
    transport: Transport | None,
    *,
    api_key: str | None,
    token_provider: object,
    allow_insecure: bool,
) -> None:
    """Refuse a key over plain ``ws://`` to a remote host, now rather than at connect."""
    if url is not None and transport is None:
        check_transport_security(
            _ws_scheme(url),
            has_credentials=bool(api_key) or token_provider is not None,
            allow_insecure=allow_insecure,
        )


def check_openai_key(
    transport: Transport | None,
    api_key: str | None,
    token_provider: object,
    local_server: str,
) -> None:
    """Raise when the network connection to OpenAI would go out without a key.

    Args:
        transport: The client's transport (an in-memory one needs no key).
        api_key: The key given, if any (else ``OPENAI_API_KEY`` is looked up).
        token_provider: The token provider given, if any.
        local_server: How to reach a local server instead, for the message.

    Raises:
        AuthenticationError: No key, no provider, no ``OPENAI_API_KEY``.
    """
    network = transport is None or isinstance(transport, WebSocketTransport)
    if (
        network
        and token_provider is None
        and not (api_key or os.environ.get("OPENAI_API_KEY"))
    ):
        raise AuthenticationError(
            "No API key: set OPENAI_API_KEY or pass api_key= (or url= for a local "
            f"server, such as {local_server})."
        )


def default_transport(
    transport: Transport | None,
    *,
    max_queue_bytes: int,
    ping_interval: float | None,
    ping_timeout: float | None,
    connect_timeout: float,
    max_message_size: int | None,
    ca_bundle: str | os.PathLike[str] | None,
    ssl_context: ssl.SSLContext | None,
    allow_insecure: bool,
) -> Transport:
    """The transport given (checked), or a :class:`WebSocketTransport` with the options.

    Raises:
        TypeError: ``transport`` is not a transport.
    """
    if transport is None:
        return WebSocketTransport(
            max_queue_bytes=max_queue_bytes,
            ping_interval=ping_interval,
            ping_timeout=ping_timeout,
            connect_timeout=connect_timeout,
            max_message_size=max_message_size,
            ca_bundle=ca_bundle,
            ssl_context=ssl_context,
            allow_insecure=allow_insecure,
        )
    if not callable(getattr(transport, "open", None)):
        raise TypeError("transport must be a realtime_sync.transport.Transport")
    return transport
