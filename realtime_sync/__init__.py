"""realtime_sync: a synchronous, threaded Python SDK for the OpenAI Realtime API.

Register handlers with :meth:`RealtimeClient.on`, call :meth:`RealtimeClient.connect`,
and a library-owned reader thread dispatches typed events while your script, Flask view
or notebook goes on. See README.rst for a tour.
"""

from __future__ import annotations

from realtime_sync import events, protocol
from realtime_sync.events import UNSET, Unset
from realtime_sync.exceptions import (
    AuthenticationError,
    ConnectError,
    ConnectionClosed,
    HandlerError,
    ProtocolError,
    QueueFull,
    RealtimeError,
    ServerError,
    Timeout,
)
from realtime_sync.protocol import Codec

__version__ = "0.1.0.dev0"

__all__ = [
    "UNSET",
    "AuthenticationError",
    "Codec",
    "ConnectError",
    "ConnectionClosed",
    "HandlerError",
    "ProtocolError",
    "QueueFull",
    "RealtimeError",
    "ServerError",
    "Timeout",
    "Unset",
    "__version__",
    "events",
    "protocol",
]
