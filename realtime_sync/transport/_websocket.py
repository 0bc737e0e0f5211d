"""WebSocketTransport: the :class:`~realtime_sync.transport.Transport` over websocket-client.

It holds the options every connection of a client shares (limits, liveness, TLS,
the clear-text policy), checks them once when it is built, and opens one
:class:`~realtime_sync.transport.Connection` per :meth:`WebSocketTransport.open`.
"""

from __future__ import annotations

import os
import ssl
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from realtime_sync.exceptions import ConnectionClosed
from realtime_sync.transport._connection import Connection
from realtime_sync.transport._options import check_options, check_subprotocols

if TYPE_CHECKING:
    from realtime_sync.transport._seam import Channel, Transport

__all__ = ["WebSocketTransport"]


class WebSocketTransport:
    """Opens :class:`~realtime_sync.transport.Connection` objects (a Transport).

    Every option is checked here, with the exceptions and messages
    :class:`~realtime_sync.transport.Connection` would raise, so a client that
    builds its transport in its constructor fails there and not at ``connect()``.
    The options mean what they mean on ``Connection``.

    Args:
        max_queue_bytes: Bound on the bytes queued and not yet written.
        ping_interval: Ping after this many seconds without receiving anything;
            ``None`` never pings.
        ping_timeout: Declare the connection dead when nothing arrives within
            this many seconds after a ping; ``None`` never gives up.
        connect_timeout: Seconds allowed for TCP, TLS and the upgrade.
        max_message_size: Largest message accepted from the server; ``None`` for
            no limit.
        ca_bundle: PEM file of CA certificates to verify ``wss://`` servers with.
        ssl_context: An :class:`ssl.SSLContext` used as is for ``wss://``.
        allow_insecure: Allow credentials over plain ``ws://`` to another host.
        subprotocols: ``Sec-WebSocket-Protocol`` values to offer.

    Raises:
        TypeError: An option has the wrong type.
        ValueError: A number is out of range, a subprotocol is empty, both
            ``ca_bundle`` and ``ssl_context`` were given, or ``ca_bundle`` cannot
            be loaded.
    """

    def __init__(
        self,
        *,
        max_queue_bytes: int = 4 * 1024 * 1024,
        ping_interval: float | None = 20.0,
        ping_timeout: float | None = 20.0,
        connect_timeout: float = 10.0,
        max_message_size: int | None = 16 * 1024 * 1024,
        ca_bundle: str | os.PathLike[str] | None = None,
        ssl_context: ssl.SSLContext | None = None,
        allow_insecure: bool = False,
        subprotocols: Sequence[str] | None = None,
    ) -> None:
        check_options(
            max_queue_bytes=max_queue_bytes,
            max_message_size=max_message_size,
            ping_interval=ping_interval,
            ping_timeout=ping_timeout,
            connect_timeout=connect_timeout,
            ca_bundle=ca_bundle,
            ssl_context=ssl_context,
        )
        self._subprotocols = check_subprotocols(subprotocols)
        self._max_queue_bytes = max_queue_bytes
        self._ping_interval = ping_interval
        self._ping_timeout = ping_timeout
        self._connect_timeout = connect_timeout
        self._max_message_size = max_message_size
        self._ca_bundle = ca_bundle
        self._ssl_context = ssl_context
        self._allow_insecure = allow_insecure

    def __repr__(self) -> str:
        return (
            f"<WebSocketTransport ping_interval={self._ping_interval} "
            f"ping_timeout={self._ping_timeout} "
            f"connect_timeout={self._connect_timeout}>"
        )

    def open(
        self,
        url: str,
        *,
        headers: Mapping[str, str],
        on_message: Callable[[str], None],
        on_close: Callable[[ConnectionClosed], None],
        on_binary: Callable[[bytes], None],
        secrets: Sequence[str] = (),
    ) -> Connection:
        """A new :class:`~realtime_sync.transport.Connection` to ``url``, not connected.

        Args:
            url: ``ws://`` or ``wss://`` URL of the endpoint.
            headers: HTTP headers for the upgrade (credentials included; their
                values are redacted like ``secrets``).
            on_message: Called on the reader thread (the connection's own, or the
                transport's shared one) with every text frame.
            on_close: Called once when the connection ends.
            on_binary: Called on the reader thread with every binary frame.
            secrets: Strings that must never appear in logs or messages.

        Returns:
            The connection; call its ``connect()`` to open it.

        Raises:
            TypeError: A callback is not callable, or an argument has the wrong
                type.
            ValueError: The URL or a header is malformed, or credentials would
                travel in clear text over ``ws://`` without ``allow_insecure``.
        """
        return self._connection(
            url,
            headers=headers,
            on_message=on_message,
            on_close=on_close,
            on_binary=on_binary,
            secrets=secrets,
            max_queue_bytes=self._max_queue_bytes,
            ping_interval=self._ping_interval,
            ping_timeout=self._ping_timeout,
            connect_timeout=self._connect_timeout,
            max_message_size=self._max_message_size,
            ca_bundle=self._ca_bundle,
            ssl_context=self._ssl_context,
            allow_insecure=self._allow_insecure,
            subprotocols=self._subprotocols,
        )

    def _connection(self, url: str, **options: Any) -> Connection:
        """Build a connection with these options (a subclass builds its own kind)."""
        return Connection(url, **options)


if TYPE_CHECKING:
    # mypy --strict realtime_sync checks here that the concrete classes satisfy the
    # seam (the protocols are structural: nothing else would notice a mismatch).
    def _satisfies_seam(
        transport: WebSocketTransport, connection: Connection
    ) -> tuple[Transport, Channel]:
        return transport, connection
