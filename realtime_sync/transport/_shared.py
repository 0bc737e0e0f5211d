"""SharedReaderTransport: many connections, one reader thread (opt-in).

A :class:`~realtime_sync.transport.WebSocketTransport` gives every connection a
reader thread of its own. A process that holds hundreds of sessions pays for
that in thread wake-ups: every frame received wakes its own thread and makes it
take the GIL. :class:`SharedReaderTransport` opens connections that are read by
ONE thread per transport ("realtime-sync-shared-reader"), which waits on all
their sockets with a selector and, in one wake-up, reads every socket that has
data (see ``_shared_loop.py`` and ``_shared_conn.py``). Sending is unchanged:
on the caller's thread, with a writer thread per connection for the slow cases
and the liveness pings.

The price is head-of-line blocking: callbacks of all the connections run one
after the other on the one thread, so a slow handler delays every session of
that transport. Use it for servers that hold many sessions with quick handlers;
the per-connection thread stays the default.
"""

from __future__ import annotations

import os
import ssl
import threading
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, ClassVar

from realtime_sync.transport._shared_conn import _SharedConnection
from realtime_sync.transport._shared_loop import _SharedReader
from realtime_sync.transport._websocket import WebSocketTransport

if TYPE_CHECKING:
    from realtime_sync.transport._connection import Connection
    from realtime_sync.transport._seam import Channel, Transport

__all__ = ["SharedReaderTransport"]


class SharedReaderTransport(WebSocketTransport):
    """A WebSocket transport whose connections share one reader thread.

    Pass one instance to every client that should share the thread:
    ``RealtimeClient(url=..., transport=transport)``; or use the process-wide
    :meth:`default`. The connections it opens behave like those of
    :class:`~realtime_sync.transport.WebSocketTransport` (same options, errors,
    callbacks, close codes, liveness, send path); only the reading differs:

    * every connection's ``on_message``/``on_binary``/``on_close`` run on the
      shared thread, ``realtime-sync-shared-reader``, one at a time: a handler
      that takes 100 ms delays every other session of this transport by 100 ms
      (a :class:`~realtime_sync.RealtimeClient` warns about slow handlers);
    * a handler's exception is logged and the thread goes on; an unexpected
      error while serving one connection ends that connection only;
    * the thread starts with the first connection and exits once the last one
      has ended (``close()`` of the last connection joins it); each connection
      keeps its writer thread (``realtime-sync-writer``), idle unless the socket
      is slow, a ping is due, or it is closing.

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

    _default: ClassVar[SharedReaderTransport | None] = None
    _default_lock: ClassVar[threading.Lock] = threading.Lock()

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
        super().__init__(
            max_queue_bytes=max_queue_bytes,
            ping_interval=ping_interval,
            ping_timeout=ping_timeout,
            connect_timeout=connect_timeout,
            max_message_size=max_message_size,
            ca_bundle=ca_bundle,
            ssl_context=ssl_context,
            allow_insecure=allow_insecure,
            subprotocols=subprotocols,
        )
        self._shared = _SharedReader()

    @classmethod
    def default(cls) -> SharedReaderTransport:
        """The process-wide instance, with the default options (created once).

        Every client given it shares one reader thread.
        """
        with cls._default_lock:
            if SharedReaderTransport._default is None:
                SharedReaderTransport._default = SharedReaderTransport()
            return SharedReaderTransport._default

    @property
    def reader_thread(self) -> threading.Thread | None:
        """The shared reader thread while it runs; ``None`` with no connection."""
        return self._shared.thread

    @property
    def connections(self) -> int:
        """How many connections the shared thread reads now (or is about to)."""
        return self._shared.attached

    def __repr__(self) -> str:
        return (
            f"<SharedReaderTransport connections={self.connections} "
            f"ping_interval={self._ping_interval} ping_timeout={self._ping_timeout} "
            f"connect_timeout={self._connect_timeout}>"
        )

    def _connection(self, url: str, **options: Any) -> Connection:
        """A connection read by the shared thread (``open()`` is the base class's)."""
        return _SharedConnection(url, shared=self._shared, **options)


if TYPE_CHECKING:

    def _satisfies_seam(
        transport: SharedReaderTransport, connection: _SharedConnection
    ) -> tuple[Transport, Channel]:
        return transport, connection
