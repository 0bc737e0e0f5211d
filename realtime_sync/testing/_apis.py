"""The mock's APIs: which responder and codec serve which WebSocket path.

The real service answers three protocols on one host, chosen by the request path:
Realtime (``/v1/realtime``), Live (``/v1/live/sessions``) and Translation
(``/v1/realtime/translations``). The mock does the same: each API is a
:class:`MockApi` in a small registry, with the paths it serves, the path its
:attr:`MockRealtimeServer.url <realtime_sync.testing.MockRealtimeServer.url>` points
to, and two factories called once per connection: the server-side codec (decodes
client frames, encodes server events) and the responder (the session's behaviour).

:class:`~realtime_sync.testing.MockRealtimeServer` and
:class:`~realtime_sync.testing.InMemoryTransport` look a connection's path up here
(:func:`api_for_path`); ``MockRealtimeServer(api=...)`` / ``InMemoryTransport(api=...)``
name the API they serve by default (:func:`get_api`). An API module registers
itself at import with :func:`register_api`; the built-in ones are imported on first
use (``_BUILTIN``), so that naming ``"live"`` is enough.

A responder offers what :class:`MockResponder` lists (the Realtime
:class:`~realtime_sync.testing.Responder` is the reference); it may return, besides
events, :class:`~realtime_sync.testing.RawFrame` (text sent verbatim) and
:class:`CloseFrame` (the server closes or drops the connection there).
"""

from __future__ import annotations

import importlib
import re
import threading
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Literal, Protocol

import attrs

__all__ = [
    "CloseFrame",
    "ConnectRequest",
    "MockApi",
    "MockResponder",
    "ServerCodec",
    "api_for_path",
    "api_names",
    "get_api",
    "register_api",
]


@attrs.frozen(kw_only=True)
class CloseFrame:
    """Not a frame: the server ends the connection when the outbox reaches it.

    Attributes:
        code: The WebSocket close code (``1000`` normal, ``1011``, ``1012`` ...).
        reason: The close reason.
        drop: ``True`` drops the TCP connection without a close frame instead (a
            lost connection: the client sees code 1006).
    """

    code: int = 1000
    reason: str = ""
    drop: bool = False


@attrs.frozen(kw_only=True)
class ConnectRequest:
    """What a connection asked for, handed to an API's factories.

    Attributes:
        path: The request path, without the query (``/v1/live/sessions``).
        query: The query parameters (``parse_qs`` form).
        headers: The handshake headers, names lower-cased.
        dialect: The Realtime dialect the handshake asks for (``"ga"``/``"beta"``;
            meaningless to the other APIs).
        options: The server's responder options (``audio_chunk_ms``, ``audio_ms``,
            ``max_session_seconds``, ...), for the factories that honour them.
    """

    path: str
    query: Mapping[str, list[str]] = attrs.field(factory=dict)
    headers: Mapping[str, str] = attrs.field(factory=dict)
    dialect: Literal["ga", "beta"] = "ga"
    options: Mapping[str, Any] = attrs.field(factory=dict)

    def param(self, name: str, default: str) -> str:
        """The first value of a query parameter, else ``default``."""
        values = self.query.get(name)
        return values[0] if values else default


class ServerCodec(Protocol):
    """The server half of a codec: client frames in, server frames out."""

    def decode_client(self, data: str | bytes) -> Any:
        """Decode one client frame (raises ``ProtocolError`` when it cannot)."""

    def encode_server(self, event: Any) -> str:
        """Encode one server event as JSON text."""


class MockResponder(Protocol):
    """What the mock server and the in-memory transport need of a responder.

    Not thread-safe: both call it under their connection's lock.
    """

    @property
    def active_responses(self) -> Sequence[object]:
        """Non-empty while :meth:`next_frame` has something to stream."""

    def start(self) -> Sequence[Any]:
        """The frames sent when a client connects (may be empty: Live waits)."""

    def handle(self, event: Any) -> Sequence[Any]:
        """The frames that answer one decoded client event."""

    def next_frame(self) -> Any:
        """The next streamed frame, or ``None``."""

    def invalid_frame(self, problem: str, event_id: str | None = None) -> Sequence[Any]:
        """The answer to a client frame that does not decode."""

    def server_error(self, event_id: str | None = None) -> Sequence[Any]:
        """The answer when the responder itself failed on an event."""

    def session_expired(self, limit_seconds: float) -> Sequence[Any]:
        """The frames sent when the session reaches the server's age limit."""

    def output_ms(self, delta: str) -> float:
        """Milliseconds of audio in a base64 output delta (for realtime pacing)."""

    # Optional: ``bind(push)``. When a responder has it, the server (or in-memory
    # channel) calls it once with a thread-safe ``push(frames)`` that sends frames on
    # this connection from any thread (the Live sideband gets its session's events
    # that way).


@attrs.frozen(kw_only=True)
class MockApi:
    """One protocol the mock serves.

    Attributes:
        name: ``"realtime"``, ``"live"``, ``"translation"`` ...
        paths: The request paths it serves (compared without a trailing ``/``).
        url_path: The path (and query) of the server's :attr:`url` for this API.
        make_codec: The server-side codec of a connection.
        make_responder: The responder of a connection (a new one each time).
        audio_delta_types: Wire types of server events carrying output audio in
            ``delta``, paced by their duration with ``pace="realtime"``.
        pattern: Also serve the paths this matches in full (paths with an id:
            ``/v1/live/sessions/{id}/attach``).
    """

    name: str
    paths: frozenset[str]
    url_path: str
    make_codec: Callable[[ConnectRequest], ServerCodec]
    make_responder: Callable[[ConnectRequest], MockResponder]
    audio_delta_types: frozenset[str] = frozenset()
    pattern: re.Pattern[str] | None = None


# Built-in APIs defined outside this module, imported when first asked for.
_BUILTIN: dict[str, str] = {
    "realtime": "realtime_sync.testing._realtime_api",
    "live": "realtime_sync.testing._live_api",
    "live-sideband": "realtime_sync.testing._live_api",
    "live-fork": "realtime_sync.testing._live_api",
    "translation": "realtime_sync.testing._translation_api",
}
_lock = threading.Lock()
_apis: dict[str, MockApi] = {}


def register_api(api: MockApi) -> None:
    """Add (or replace) an API of the mock.

    Args:
        api: Its paths must not belong to another API.

    Raises:
        TypeError: ``api`` is not a :class:`MockApi`.
        ValueError: One of its paths is served by another API already.
    """
    if not isinstance(api, MockApi):
        raise TypeError(f"expected a MockApi, not {type(api).__name__}")
    with _lock:
        for other in _apis.values():
            if other.name != api.name and other.paths & api.paths:
                taken = sorted(other.paths & api.paths)
                raise ValueError(f"{taken} already served by the {other.name!r} API")
        _apis[api.name] = api


def _load_builtins() -> None:
    for name, module in _BUILTIN.items():
        if name not in _apis:
            try:
                importlib.import_module(module)
            except ModuleNotFoundError as exc:
                if exc.name != module:  # a missing dependency of a present module
                    raise


def api_names() -> list[str]:
    """The names of every API the mock can serve."""
    _load_builtins()
    with _lock:
        return sorted(_apis)


def get_api(name: str) -> MockApi:
    """The API called ``name``.

    Raises:
        ValueError: No such API.
    """
    if name not in _apis:
        _load_builtins()
    with _lock:
        api = _apis.get(name)
        known = sorted(_apis)
    if api is None:
        raise ValueError(f"unknown mock API {name!r}; known: {', '.join(known)}")
    return api


def api_for_path(path: str) -> MockApi | None:
    """The API serving a request path (no query), else ``None`` (HTTP 404)."""
    _load_builtins()
    wanted = path.rstrip("/") or "/"
    with _lock:
        apis = list(_apis.values())
    for api in apis:
        if wanted in api.paths:
            return api
    for api in apis:
        if api.pattern is not None and api.pattern.fullmatch(wanted):
            return api
    return None
