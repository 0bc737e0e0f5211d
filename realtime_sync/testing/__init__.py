"""A local mock of the Realtime API, for tests, demos and offline development.

:class:`MockRealtimeServer` is a real WebSocket server on ``127.0.0.1`` (GA or beta
dialect); :class:`Responder` is its behaviour as a plain object, client events in and
server events out, testable without a socket::

    from realtime_sync.testing import MockRealtimeServer

    with MockRealtimeServer() as server:
        client = rs.RealtimeClient(url=server.url, api_key="test")

:class:`InMemoryTransport` runs the same behaviour in-process, with no socket at all:
``rs.RealtimeClient(transport=InMemoryTransport())`` for fast unit tests of a voice
app.

One server answers the Realtime, Live and Translation APIs, each on its own path
(``MockRealtimeServer(api="live")`` makes :attr:`~MockRealtimeServer.url` point to
``/v1/live/sessions``; :class:`LiveResponder` is the Live behaviour, with
:class:`LiveFaults`; a running mock Live session also answers a sideband on
``/v1/live/sessions/{id}/attach`` and, when stored, a fork on ``.../{id}/fork``).

Also here: :class:`ScriptedResponder` (the test body plays the server, step by
step) and :class:`ReplayResponder` (replays a recording's server frames) for
``responder_factory=``; :func:`synth_speech` (test audio the mock's VAD hears and its
transcriber reads back) and :func:`threshold_dbfs` (the VAD threshold mapping).

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

from realtime_sync.testing._apis import CloseFrame
from realtime_sync.testing._faults import RawFrame
from realtime_sync.testing._live_responder import LiveFaults, LiveResponder
from realtime_sync.testing._memory import InMemoryChannel, InMemoryTransport
from realtime_sync.testing._responder import Responder
from realtime_sync.testing._scripted import ReplayResponder, ScriptedResponder
from realtime_sync.testing._server import MockRealtimeServer
from realtime_sync.testing._session import DEFAULT_INSTRUCTIONS
from realtime_sync.testing._synth import find_marker, speech_like, synth_speech
from realtime_sync.testing._translation_responder import TranslationResponder
from realtime_sync.testing._vad import threshold_dbfs

__all__ = [
    "DEFAULT_INSTRUCTIONS",
    "CloseFrame",
    "InMemoryChannel",
    "InMemoryTransport",
    "LiveFaults",
    "LiveResponder",
    "MockRealtimeServer",
    "RawFrame",
    "ReplayResponder",
    "Responder",
    "ScriptedResponder",
    "TranslationResponder",
    "find_marker",
    "speech_like",
    "synth_speech",
    "threshold_dbfs",
]
