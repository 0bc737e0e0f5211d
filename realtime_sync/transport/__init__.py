"""The WebSocket transport: the seam to the network, and one connection behind it.

The client codes against two protocols, :class:`Transport` (opens channels) and
:class:`Channel` (one connection as the client sees it).
:class:`WebSocketTransport` implements the first over websocket-client and opens
:class:`Connection` objects, which implement the second: a reader thread and a
thread-safe sender moving text frames; they know nothing about events. This
package is the only part of ``realtime_sync`` that imports :mod:`websocket`
(websocket-client) or starts a thread that touches the network. The contract, in
short:

* :meth:`Connection.connect` performs the handshake and starts the threads;
* :meth:`Connection.send` queues a frame and, when the socket can take it, writes it
  on the calling thread; :meth:`Connection.flush` waits until the queue is written;
* every text frame received is handed to ``on_message`` on the reader thread;
  a message larger than ``max_message_size`` fails the connection (close code 1009)
  before its payload is read;
* liveness is judged on what is RECEIVED: after ``ping_interval`` seconds without
  a byte from the server the writer pings, and without an answer within
  ``ping_timeout`` the connection is declared dead (a half-open TCP connection);
* :meth:`Connection.close` shuts everything down and returns the frames never
  written; ``on_close`` hears about the end exactly once, whatever caused it.

It also checks the transport's security before anything is sent: TLS certificates
are always verified (``ca_bundle``/``ssl_context`` for private CAs), and credentials
are not sent over plain ``ws://`` to another machine unless ``allow_insecure=True``
(:func:`credentials_in_cleartext`).

The modules, one job each (how the threads meet: "Theory of operation" in
``_connection.py``): ``_seam`` (the protocols), ``_websocket``
(:class:`WebSocketTransport`), ``_connection`` (:class:`Connection`'s lifecycle),
``_core`` (shared state, the one end), ``_liveness``, ``_reader``, ``_sender``,
``_handshake`` (the upgrade and its errors), ``_options`` (argument checks, TLS,
the clear-text rule). Opt-in, for processes holding many sessions:
:class:`SharedReaderTransport` (``_shared``) opens connections read by one
shared thread (``_shared_loop``: the selector loop; ``_shared_conn``: a
Connection read by it). The transport imports nothing of the client, session,
conversation, tools or events: only :mod:`realtime_sync.exceptions` and
``realtime_sync._credentials``.
"""

from __future__ import annotations

from realtime_sync.transport._connection import Connection
from realtime_sync.transport._core import ConnectionState
from realtime_sync.transport._options import (
    check_transport_security,
    credentials_in_cleartext,
)
from realtime_sync.transport._seam import Channel, Transport
from realtime_sync.transport._shared import SharedReaderTransport
from realtime_sync.transport._websocket import WebSocketTransport

__all__ = [
    "Channel",
    "Connection",
    "ConnectionState",
    "SharedReaderTransport",
    "Transport",
    "WebSocketTransport",
    "check_transport_security",
    "credentials_in_cleartext",
]
