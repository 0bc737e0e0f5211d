"""A local mock of the Realtime API, for tests, demos and offline development.

:class:`MockRealtimeServer` is a real WebSocket server on ``127.0.0.1`` (GA or beta
dialect); :class:`Responder` is its behaviour as a plain object, client events in and
server events out, testable without a socket::

    from realtime_sync.testing import MockRealtimeServer

    with MockRealtimeServer() as server:
        client = rs.RealtimeClient(url=server.url, api_key="test")

This subpackage needs the ``mock`` extra (the ``websockets`` package):
``pip install "realtime-sync[mock]"``.
"""

from __future__ import annotations

try:
    import websockets  # noqa: F401  (the mock extra; checked here, once)
except ImportError as exc:  # pragma: no cover - depends on the environment
    raise ImportError(
        "realtime_sync.testing needs the 'mock' extra: "
        'pip install "realtime-sync[mock]"'
    ) from exc

from realtime_sync.testing._responder import DEFAULT_INSTRUCTIONS, Responder
from realtime_sync.testing._server import MockRealtimeServer

__all__ = ["DEFAULT_INSTRUCTIONS", "MockRealtimeServer", "Responder"]
