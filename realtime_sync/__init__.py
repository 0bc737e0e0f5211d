"""realtime_sync: a synchronous, threaded Python SDK for the OpenAI Realtime API.

Register handlers with :meth:`RealtimeClient.on`, call :meth:`RealtimeClient.connect`,
and a library-owned reader thread dispatches typed events while your script, Flask view
or notebook goes on. See README.rst for a tour.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from realtime_sync import events, protocol
from realtime_sync.client import (
    ClientState,
    ClientStats,
    Expectation,
    Interruption,
    RealtimeClient,
    ResponseHandle,
    UnknownEventTypeWarning,
)
from realtime_sync.conversation import Conversation, ConversationItem, ItemChange
from realtime_sync.events import UNSET, Unset
from realtime_sync.exceptions import (
    AudioLost,
    AuthenticationError,
    ConnectError,
    ConnectionClosed,
    ConnectTimeout,
    HandlerError,
    ProtocolError,
    QueueFull,
    RateLimitError,
    RealtimeError,
    ServerError,
    Timeout,
)
from realtime_sync.protocol import Codec
from realtime_sync.reconnect import ReconnectAttempt, Reconnected, ReconnectPolicy
from realtime_sync.recording import replay
from realtime_sync.session import Response, ResponseTimings, UsageTotals
from realtime_sync.session_config import SessionConfig

if TYPE_CHECKING:
    from realtime_sync import audio, client_secrets, live, testing, tools, translation
    from realtime_sync.client_secrets import ClientSecret
    from realtime_sync.live import LiveClient
    from realtime_sync.translation import TranslationClient

__version__ = "0.1.0.dev0"

__all__ = [
    "UNSET",
    "AudioLost",
    "AuthenticationError",
    "ClientSecret",
    "ClientState",
    "ClientStats",
    "Codec",
    "ConnectError",
    "ConnectTimeout",
    "ConnectionClosed",
    "Conversation",
    "ConversationItem",
    "Expectation",
    "HandlerError",
    "Interruption",
    "ItemChange",
    "LiveClient",
    "ProtocolError",
    "QueueFull",
    "RateLimitError",
    "RealtimeClient",
    "RealtimeError",
    "ReconnectAttempt",
    "ReconnectPolicy",
    "Reconnected",
    "Response",
    "ResponseHandle",
    "ResponseTimings",
    "ServerError",
    "SessionConfig",
    "Timeout",
    "TranslationClient",
    "UnknownEventTypeWarning",
    "Unset",
    "UsageTotals",
    "__version__",
    "audio",
    "client_secrets",
    "events",
    "live",
    "protocol",
    "replay",
    "testing",
    "tools",
    "translation",
]


def __dir__() -> list[str]:
    """The public names (PEP 562), for ``dir()``, completion and ``help()``.

    ``__all__``, the public submodules and the module's dunders; not what this file
    imports for itself (``annotations``, ``Any``, ``TYPE_CHECKING``).
    """
    import types

    names = set(__all__)
    for name, value in globals().items():
        if name.startswith("__") and name.endswith("__"):
            names.add(name)
        elif isinstance(value, types.ModuleType) and not name.startswith("_"):
            names.add(name)  # a public submodule already imported (client, ...)
    return sorted(names)


def __getattr__(name: str) -> Any:
    # ``audio`` (numpy) and ``testing`` (the ``mock`` extra) load on first use, so
    # that ``import realtime_sync`` stays fast and needs only the core dependencies.
    if name in ("audio", "client_secrets", "live", "testing", "tools", "translation"):
        import importlib

        return importlib.import_module(f"realtime_sync.{name}")
    if name == "ClientSecret":
        from realtime_sync.client_secrets import ClientSecret

        return ClientSecret
    if name == "LiveClient":
        from realtime_sync.live import LiveClient

        return LiveClient
    if name == "TranslationClient":
        from realtime_sync.translation import TranslationClient

        return TranslationClient
    raise AttributeError(f"module 'realtime_sync' has no attribute {name!r}")
