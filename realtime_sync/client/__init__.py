"""The threaded client: :class:`RealtimeClient` and what it is built from.

Layout (see ``docs/internals.rst``):

* ``_facade`` — :class:`RealtimeClient`: configuration, public methods, delegation;
* ``_senders``, ``_tools_api``, ``_events_api`` — groups of its public methods;
* ``_reader`` — the reader pipeline (decode -> session core -> effects -> dispatch);
* ``_threaded`` — the protocol-agnostic machinery: lifecycle, channel, sending;
* ``_outages`` and ``_lifetime`` — lost connections and outages; reclaiming
  clients dropped without ``close()``;
* ``_dispatch`` and ``_registry`` — handlers and waiters, one matcher;
* ``_reconnector`` — the reconnect thread, talking to the client through a protocol;
* ``_resources`` — openai-python's namespaces, over a send callable;
* ``_endpoints`` — where to connect (OpenAI, Azure, a URL);
* ``_handle`` — :class:`ResponseHandle`; :class:`Expectation` is in ``_events_api``.
"""

from __future__ import annotations

from realtime_sync.client._events_api import ClientStats, Expectation
from realtime_sync.client._facade import RealtimeClient
from realtime_sync.client._handle import ResponseHandle
from realtime_sync.client._registry import UnknownEventTypeWarning
from realtime_sync.client._threaded import ClientState
from realtime_sync.session import Interruption

__all__ = [
    "ClientState",
    "ClientStats",
    "Expectation",
    "Interruption",
    "RealtimeClient",
    "ResponseHandle",
    "UnknownEventTypeWarning",
]
