"""The Live API of the mock: ``/v1/live/sessions`` (and Azure's path), the LiveResponder.

Registered as ``"live"`` in :mod:`realtime_sync.testing._apis`: a connection to
``/v1/live/sessions`` (or Azure Foundry's ``/openai/v1/live/sessions``) speaks the
Live protocol through :class:`~realtime_sync.live.codec.LiveCodec`, played by a
:class:`~realtime_sync.testing.LiveResponder`. The model is not in the URL (it comes
with ``session.start``); query parameters are ignored.

Also ``"live-sideband"``: ``/v1/live/sessions/{session_id}/attach`` attaches a
:class:`~realtime_sync.testing._live_sideband.LiveSidebandResponder` to a running
mock session of this process; ``"live-fork"``: ``/v1/live/sessions/{session_id}/fork``
starts a new session from a stored (``store: true``) mock session of this process.
"""

from __future__ import annotations

import re

from realtime_sync.live.codec import LiveCodec
from realtime_sync.testing._apis import ConnectRequest, MockApi, register_api
from realtime_sync.testing._live_responder import LiveResponder
from realtime_sync.testing._live_sideband import LiveSidebandResponder

__all__ = ["LIVE_API", "LIVE_FORK_API", "LIVE_PATHS", "LIVE_SIDEBAND_API"]

#: OpenAI's primary WebSocket and Azure Foundry's.
LIVE_PATHS = frozenset({"/v1/live/sessions", "/openai/v1/live/sessions"})


def _codec(request: ConnectRequest) -> LiveCodec:
    return LiveCodec()


def _responder(request: ConnectRequest) -> LiveResponder:
    options = request.options
    chunk = options.get("audio_chunk_ms") or 100
    lifetime = options.get("max_session_seconds") or 3600.0
    return LiveResponder(chunk_ms=chunk, session_lifetime_s=lifetime)


LIVE_API = MockApi(
    name="live",
    paths=LIVE_PATHS,
    url_path="/v1/live/sessions",
    make_codec=_codec,
    make_responder=_responder,
    audio_delta_types=frozenset({"session.output_audio.delta"}),
)
register_api(LIVE_API)

_ATTACH = re.compile(r"(?:/openai)?/v1/live/sessions/(?P<session_id>[^/]+)/attach")


def _sideband(request: ConnectRequest) -> LiveSidebandResponder:
    match = _ATTACH.fullmatch(request.path.rstrip("/"))
    return LiveSidebandResponder(match["session_id"] if match else "")


LIVE_SIDEBAND_API = MockApi(
    name="live-sideband",
    paths=frozenset(),
    url_path="/v1/live/sessions/{session_id}/attach",
    make_codec=_codec,
    make_responder=_sideband,
    pattern=_ATTACH,
)
register_api(LIVE_SIDEBAND_API)

_FORK = re.compile(r"(?:/openai)?/v1/live/sessions/(?P<session_id>[^/]+)/fork")


def _fork(request: ConnectRequest) -> LiveResponder:
    match = _FORK.fullmatch(request.path.rstrip("/"))
    return LiveResponder(
        chunk_ms=request.options.get("audio_chunk_ms") or 100,
        session_lifetime_s=request.options.get("max_session_seconds") or 3600.0,
        fork_of=match["session_id"] if match else "",
    )


LIVE_FORK_API = MockApi(
    name="live-fork",
    paths=frozenset(),
    url_path="/v1/live/sessions/{session_id}/fork",
    make_codec=_codec,
    make_responder=_fork,
    audio_delta_types=frozenset({"session.output_audio.delta"}),
    pattern=_FORK,
)
register_api(LIVE_FORK_API)
