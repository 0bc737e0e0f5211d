"""RealtimeClient: lifecycle, handler registry, blocking helpers and resource namespaces.

Threads: the reader thread (owned by :class:`~realtime_sync.transport.Connection`)
calls :meth:`RealtimeClient._on_frame` for every frame: decode, bookkeeping (sessions,
responses, pending requests), handlers, then ``wait_for`` waiters. Every public method
may be called from any thread; blocking ones (``connect``, ``wait_for``, ``ask``,
``ResponseHandle.wait``, ``flush``, ``update_session(wait=True)``) raise RuntimeError
at once when called on the reader thread, where waiting would deadlock.

Locks: ``_lock`` guards the client's bookkeeping (pending requests, response handles,
waiters, state). It is never held while user code runs.
"""

from __future__ import annotations

import enum
import itertools
import logging
import os
import ssl
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Mapping
from typing import Any, TypeVar, overload

import attrs

from realtime_sync import _b64
from realtime_sync import events as ev
from realtime_sync._endpoints import (
    Endpoint,
    _ws_scheme,
    azure_endpoint,
    openai_endpoint,
    url_endpoint,
)
from realtime_sync._formats import RATES, bytes_per_second, session_format
from realtime_sync._input_audio import InputAudioStream
from realtime_sync._registry import HandlerRegistry, resolve_key
from realtime_sync._resources import (
    ConversationNamespace,
    InputAudioBufferResource,
    OutputAudioBufferResource,
    ResponseResource,
    SessionResource,
    client_event_from_dict,
)
from realtime_sync._response import Response, ResponseHandle
from realtime_sync._responses import REQUEST_KEY, ResponseTracker, UsageTotals
from realtime_sync._tool_runner import ToolRunner
from realtime_sync.events import UNSET, ClientEvent, ServerEvent
from realtime_sync.exceptions import (
    ConnectionClosed,
    HandlerError,
    ProtocolError,
    RealtimeError,
    ServerError,
    Timeout,
)
from realtime_sync.protocol import Codec, _json
from realtime_sync.protocol.dialects import detect_dialect
from realtime_sync.reconnect import (
    OutageBuffer,
    ReconnectAttempt,
    Reconnected,
    ReconnectPolicy,
    merge_session,
)
from realtime_sync.recording import Recorder
from realtime_sync.session_config import SessionConfig
from realtime_sync.transport import Connection, check_transport_security

__all__ = ["ClientState", "ClientStats", "Interruption", "RealtimeClient"]

logger = logging.getLogger(__name__)

E = TypeVar("E", bound=ServerEvent)
F = TypeVar("F", bound=Callable[..., Any])

DEFAULT_MODEL = "gpt-realtime"


class ClientState(enum.Enum):
    """Lifecycle of a :class:`RealtimeClient`."""

    UNOPENED = "unopened"
    OPEN = "open"
    #: The connection was lost and a :class:`ReconnectPolicy` is opening a new one;
    #: events sent meanwhile are held and sent once the new session is restored.
    RECONNECTING = "reconnecting"
    CLOSING = "closing"
    CLOSED = "closed"


@attrs.frozen(kw_only=True)
class ClientStats:
    """Counters of one client (``client.stats``), a snapshot taken when read.

    Attributes:
        frames_received: Frames the reader thread received.
        protocol_errors: Frames that could not be decoded (each reported to
            ``on_error`` as a :class:`ProtocolError`).
        handler_errors: Handler calls that raised (each reported as a
            :class:`HandlerError`).
        max_handler_seconds: The longest a single handler call held the reader
            thread: while a handler runs, later events wait (the dispatch lag).
        slow_handler_calls: Handler calls longer than ``slow_handler_seconds``
            (each logged as a warning).
        reconnects: Successful reconnections.
        dropped_audio_ms: Input audio dropped while reconnecting (beyond the
            policy's ``audio_buffer_seconds``).
    """

    frames_received: int
    protocol_errors: int
    handler_errors: int
    max_handler_seconds: float
    slow_handler_calls: int
    reconnects: int
    dropped_audio_ms: int


@attrs.frozen
class Interruption:
    """What barge-in did when the user started speaking over the assistant.

    Attributes:
        item_id: The assistant item that was playing.
        response_id: Its response.
        played_ms: Milliseconds of it the user heard.
        action: ``"truncate"`` (cut at ``played_ms``) or ``"delete"`` (nothing was
            heard).
        cancelled: Whether the response was still being generated (it is cancelled,
            and its remaining audio deltas are not passed to handlers).
    """

    item_id: str
    response_id: str
    played_ms: int
    action: str
    cancelled: bool


class _Waiter:
    """A ``wait_for`` in progress (or a blocking helper waiting for its answer)."""

    __slots__ = ("done", "error", "key", "predicate", "result", "wild")

    def __init__(self, key: Any, wild: bool, predicate: Callable[[Any], bool] | None):
        self.key = key
        self.wild = wild
        self.predicate = predicate
        self.done = threading.Event()
        self.result: ServerEvent | None = None
        self.error: BaseException | None = None

    def matches(self, event: ServerEvent) -> bool:
        if self.wild:
            if not event.type.startswith(self.key):
                return False
        elif isinstance(self.key, str):
            if not (
                isinstance(event, ev.UnknownServerEvent) and event.type == self.key
            ):
                return False
        elif type(event) is not self.key:
            return False
        return self.predicate is None or bool(self.predicate(event))


class RealtimeClient:
    """A synchronous client for one Realtime session, with a background reader thread.

    Args:
        model: The model (``gpt-realtime``); the deployment for Azure.
        api_key: The API key or an ephemeral key (``ek_...``). When None,
            ``OPENAI_API_KEY`` is used for OpenAI; with ``url=``, no key is sent.
        url: A full ``ws://``/``wss://`` URL for compatible and local servers.
        dialect: ``"ga"``, ``"beta"`` or ``"auto"`` (detected from ``session.created``;
            ``client.dialect`` then tells which).
        session: Settings sent with ``session.update`` right after connecting (a
            :class:`SessionConfig`, a :class:`~realtime_sync.events.RealtimeSession`,
            or a dict of the GA session shape).
        headers: Extra HTTP headers for the handshake.
        call_id: Attach to an existing SIP/WebRTC call instead of starting a session.
        intent: ``"transcription"`` for a transcription-only session on OpenAI
            (``model`` may then be None).
        base_url: The REST base URL (default ``OPENAI_BASE_URL`` or OpenAI's).
        connect_timeout: Seconds for the handshake and ``session.created``.
        max_queue_bytes: Bound of the send queue (``QueueFull`` beyond it).
        ping_interval: Seconds without receiving anything after which a ping is sent
            (None: never, and no dead-connection detection).
        ping_timeout: Seconds allowed after a ping for anything to arrive; then the
            connection is declared dead (a half-open connection) and closed.
        max_message_size: Largest incoming message in bytes (None: no bound); a
            larger one is refused before it is read (a ProtocolError, then close
            code 1009).
        ca_bundle: A CA file to verify the server's certificate with (a private
            CA), instead of the system's trust store.
        ssl_context: An :class:`ssl.SSLContext` of your own for ``wss://``.
        allow_insecure: Allow credentials over ``ws://`` to a host that is not
            loopback (refused by default: the key would travel in clear text).
        audio_retention_seconds: Assistant audio ``client.conversation`` keeps for
            the session (oldest dropped first; 0 keeps none; None keeps all); the
            same bound applies to the audio of ``client.responses``.
        barge_in: Handle interruptions (see :meth:`on_interrupt`): True, False, or
            None to turn it on once playback is reported to ``client.playback``.
        record: Write every frame, both directions, to this JSON-lines file
            (see :mod:`realtime_sync.recording`); never headers or keys.
        auto_respond: After the function calls of a response are answered, ask for
            the next response (one per batch of calls).
        tool_timeout: Seconds a tool may run before the model is told it timed out
            (a tool's own ``timeout`` wins).
        tool_workers: Tools that may run at once (a worker pool, never the reader).
        token_provider: Called on every connection (reconnections included) for the
            bearer token, instead of a fixed ``api_key`` (an ephemeral key minted
            with :func:`realtime_sync.client_secrets.create`, ...).
        reconnect: A :class:`~realtime_sync.reconnect.ReconnectPolicy` to reconnect
            after a recoverable close (off by default: a lost connection ends the
            client). See :meth:`on_reconnecting` and :meth:`on_reconnected`.
        slow_handler_seconds: A handler call that holds the reader thread longer
            than this is logged as a warning and counted in :attr:`stats`.

    The key never appears in reprs, logs or exception messages.

    Threads: the transport's reader and writer (``realtime-sync-reader``,
    ``realtime-sync-writer``), a tool pool (``realtime-sync-tool-*``) once a tool is
    registered, and ``realtime-sync-reconnect`` while reconnecting. The reader,
    writer and reconnect threads are daemon threads, so that a forgotten client
    never blocks the interpreter's exit; :meth:`close` joins every one of them.
    """

    def __init__(
        self,
        model: str | None = DEFAULT_MODEL,
        *,
        api_key: str | None = None,
        url: str | None = None,
        dialect: str = "ga",
        session: SessionConfig
        | ev.RealtimeSession
        | ev.TranscriptionSession
        | Mapping[str, Any]
        | None = None,
        headers: Mapping[str, str] | None = None,
        call_id: str | None = None,
        intent: str | None = None,
        base_url: str | None = None,
        connect_timeout: float = 10.0,
        max_queue_bytes: int = 4 * 1024 * 1024,
        ping_interval: float | None = 20.0,
        ping_timeout: float | None = 20.0,
        max_message_size: int | None = 16 * 1024 * 1024,
        ca_bundle: str | os.PathLike[str] | None = None,
        ssl_context: ssl.SSLContext | None = None,
        allow_insecure: bool = False,
        audio_retention_seconds: float | None = 300.0,
        barge_in: bool | None = None,
        record: str | os.PathLike[str] | None = None,
        auto_respond: bool = True,
        tool_timeout: float | None = 30.0,
        tool_workers: int = 4,
        token_provider: Callable[[], str] | None = None,
        reconnect: ReconnectPolicy | None = None,
        slow_handler_seconds: float = 0.5,
        _endpoint_factory: Callable[[], Endpoint] | None = None,
    ) -> None:
        if dialect not in ("ga", "beta", "auto"):
            raise ValueError(f"dialect must be 'ga', 'beta' or 'auto', not {dialect!r}")
        if api_key is not None and not isinstance(api_key, str):
            raise TypeError("api_key must be a string")
        if token_provider is not None:
            if not callable(token_provider):
                raise TypeError("token_provider must be callable")
            if api_key is not None:
                raise ValueError("give api_key= or token_provider=, not both")
        if reconnect is not None and not isinstance(reconnect, ReconnectPolicy):
            raise TypeError("reconnect must be a ReconnectPolicy or None")
        if connect_timeout <= 0:
            raise ValueError("connect_timeout must be positive")
        if not slow_handler_seconds > 0:
            raise ValueError("slow_handler_seconds must be positive")

        def key() -> str | None:
            return _token(token_provider) if token_provider is not None else api_key

        if url is not None:  # checked now rather than at connect()
            check_transport_security(
                _ws_scheme(url),
                has_credentials=bool(api_key) or token_provider is not None,
                allow_insecure=allow_insecure,
            )

        self._session_update = (
            self._session_event(session) if session is not None else None
        )
        if _endpoint_factory is not None:
            self._endpoint_factory = _endpoint_factory
        elif url is not None:
            self._endpoint_factory = lambda: url_endpoint(
                url=url, api_key=key(), dialect=dialect, headers=headers
            )
        else:
            base = base_url
            self._endpoint_factory = lambda: openai_endpoint(
                model=model,
                api_key=key(),
                dialect=dialect,
                base_url=base,
                call_id=call_id,
                intent=intent,
                headers=headers,
            )
        self.model = model
        self.dialect = dialect
        self._codec: Codec | None = None if dialect == "auto" else Codec(dialect)  # type: ignore[arg-type]
        self._connect_timeout = connect_timeout
        self._max_queue_bytes = max_queue_bytes
        self._ping_interval = ping_interval
        self._transport_options: dict[str, Any] = {
            "ping_timeout": ping_timeout,
            "max_message_size": max_message_size,
            "ca_bundle": ca_bundle,
            "ssl_context": ssl_context,
            "allow_insecure": allow_insecure,
        }
        self._registry = HandlerRegistry()
        self._error_handlers: tuple[Callable[[RealtimeError], Any], ...] = ()
        self._lock = threading.Lock()
        self._state = ClientState.UNOPENED
        self._conn: Connection | None = None
        self._reader_ident: int | None = None
        self._closed_exc: ConnectionClosed | None = None
        self._session_created = threading.Event()
        self._waiters: list[_Waiter] = []
        self._requests: dict[str, _Waiter] = {}  # event_id -> blocking helper waiting
        self._responses = ResponseTracker(
            self._send_event,
            self._output_format,
            audio_retention_seconds=audio_retention_seconds,
        )
        self._response_items: set[str] = set()
        self._input_stream: InputAudioStream | None = None
        self._ids = itertools.count(1)
        self._id_prefix = uuid.uuid4().hex[:8]
        self.session_info: (
            ev.RealtimeSession | ev.TranscriptionSession | ev.UnknownModel | None
        ) = None
        self.session = SessionResource(self)
        self.response = ResponseResource(self)
        self.input_audio_buffer = InputAudioBufferResource(self)
        self.output_audio_buffer = OutputAudioBufferResource(self)
        self.conversation = ConversationNamespace(self, audio_retention_seconds)
        from realtime_sync.audio import PlaybackTracker

        #: Playback accounting (a PlaybackTracker). A player reports samples played
        #: per item here; the client reports samples received. Barge-in truncates
        #: at what was played.
        self.playback = PlaybackTracker(24000)
        self._barge_in = barge_in
        self._received_samples: dict[str, int] = {}
        self._last_audio: tuple[str, str, int] | None = None
        self._suppressed: set[str] = set()
        self._interrupt_handlers: tuple[Callable[[Interruption], Any], ...] = ()
        self._record_path = record
        self._recorder: Recorder | None = None
        self._tool_registry: Any = None  # realtime_sync.tools.ToolRegistry, on demand
        self._tool_runner: ToolRunner | None = None
        self._executor: Any = None
        self._auto_respond = auto_respond
        self._tool_timeout = tool_timeout
        self._tool_workers = tool_workers
        # Reconnection (see realtime_sync/_reconnector.py).
        self._reconnect_policy = reconnect
        self._established = False  # connect() completed once: reconnects allowed
        self._outage: OutageBuffer | None = None  # events held while RECONNECTING
        self._limbo: list[ClientEvent] = []  # refused by a dying connection
        self._session_state: dict[str, Any] | None = (
            None  # every session.update, merged
        )
        self._reconnector: Any = None  # a _reconnector.Reconnector while reconnecting
        self._renew_at: float | None = None  # unix time of a proactive renewal
        self._reconnecting_handlers: tuple[Callable[[ReconnectAttempt], Any], ...] = ()
        self._reconnected_handlers: tuple[Callable[[Reconnected], Any], ...] = ()
        # Counters for ``stats``: written on the reader thread only.
        self._slow_handler_seconds = slow_handler_seconds
        self._n_frames = 0
        self._n_protocol_errors = 0
        self._n_handler_errors = 0
        self._max_handler_seconds = 0.0
        self._n_slow_calls = 0
        self._n_reconnects = 0
        self._dropped_audio_ms = 0

    # -- construction ------------------------------------------------------------

    @classmethod
    def azure(
        cls,
        endpoint: str,
        deployment: str,
        api_version: str | None = None,
        api_key: str | None = None,
        token_provider: Callable[[], str] | None = None,
        **kwargs: Any,
    ) -> RealtimeClient:
        """A client for Azure OpenAI.

        Args:
            endpoint: ``https://<resource>.openai.azure.com``.
            deployment: The deployment name.
            api_version: None for the GA ``/openai/v1`` path; a dated preview version
                (``2025-04-01-preview``) for the classic path, which speaks beta.
            api_key: An Azure key (``api-key`` header); ``AZURE_OPENAI_API_KEY`` when
                neither a key nor a token provider is given.
            token_provider: Called on every connect for an Entra ID bearer token.
            **kwargs: Other :class:`RealtimeClient` arguments (``session=``, ...).

        Returns:
            The client (not yet connected).
        """
        if api_key is None and token_provider is None:
            api_key = os.environ.get("AZURE_OPENAI_API_KEY")
        headers = kwargs.pop("headers", None)
        call_id = kwargs.pop("call_id", None)

        def factory() -> Endpoint:
            token = token_provider() if token_provider is not None else None
            return azure_endpoint(
                endpoint=endpoint,
                deployment=deployment,
                api_version=api_version,
                api_key=api_key,
                token=token,
                headers=headers,
                call_id=call_id,
            )

        if token_provider is None:
            factory()  # check the arguments now rather than at connect()
        dialect = "ga" if api_version in (None, "v1") else "beta"
        client = cls(deployment, dialect=dialect, _endpoint_factory=factory, **kwargs)
        if dialect == "beta":
            client._codec = Codec("beta", azure=True)
        return client

    def __repr__(self) -> str:
        return f"<RealtimeClient model={self.model!r} dialect={self.dialect!r} state={self._state.value}>"

    # -- handlers ----------------------------------------------------------------

    @overload
    def on(
        self, event: type[E]
    ) -> Callable[[Callable[[E], Any]], Callable[[E], Any]]: ...
    @overload
    def on(self, event: type[E], handler: Callable[[E], Any]) -> Callable[[E], Any]: ...
    @overload
    def on(self, event: str) -> Callable[[F], F]: ...
    @overload
    def on(self, event: str, handler: F) -> F: ...

    def on(self, event: Any, handler: Any = None) -> Any:
        """Register a handler, as a decorator or a call.

        Handlers run on the reader thread, one at a time, in arrival order: the
        handlers of the event's class in registration order, then wildcard and prefix
        handlers. A handler that raises is logged and reported to ``on_error``
        handlers as a :class:`HandlerError`; the others still run.

        Args:
            event: An event class (type-checked), a GA or beta type string,
                ``"*"`` or a prefix like ``"response.*"``.
            handler: The callable; omit it to use ``on`` as a decorator.

        Returns:
            The handler (so the decorator leaves the function as it is).
        """
        return self._add(event, handler, once=False)

    @overload
    def once(
        self, event: type[E]
    ) -> Callable[[Callable[[E], Any]], Callable[[E], Any]]: ...
    @overload
    def once(
        self, event: type[E], handler: Callable[[E], Any]
    ) -> Callable[[E], Any]: ...
    @overload
    def once(self, event: str) -> Callable[[F], F]: ...
    @overload
    def once(self, event: str, handler: F) -> F: ...

    def once(self, event: Any, handler: Any = None) -> Any:
        """Like :meth:`on`, but the handler is removed after its first call."""
        return self._add(event, handler, once=True)

    def _add(self, event: Any, handler: Any, once: bool) -> Any:
        resolve_key(event)  # validate now, also for the decorator form
        if handler is None:

            def decorator(fn: Any) -> Any:
                self._registry.add(event, fn, once)
                return fn

            return decorator
        self._registry.add(event, handler, once)
        return handler

    def off(
        self, event: type[ServerEvent] | str, handler: Callable[[Any], Any]
    ) -> bool:
        """Remove a handler registered with :meth:`on`/:meth:`once` for ``event``.

        Returns:
            True if it was registered.
        """
        return self._registry.remove(event, handler)

    def on_error(
        self, handler: Callable[[RealtimeError], Any]
    ) -> Callable[[RealtimeError], Any]:
        """Register an error handler (decorator or call).

        It receives a :class:`ProtocolError` for an undecodable frame, a
        :class:`HandlerError` when a handler raised, and :class:`ConnectionClosed`
        when the server or the network closed the connection. It runs on the reader
        thread; if it raises, that is logged and nothing else happens.
        """
        if not callable(handler):
            raise TypeError("handler must be callable")
        with self._lock:
            self._error_handlers = (*self._error_handlers, handler)
        return handler

    def on_interrupt(
        self, handler: Callable[[Interruption], Any]
    ) -> Callable[[Interruption], Any]:
        """Register a barge-in handler (decorator or call): flush your player here.

        Called on the reader thread when ``input_audio_buffer.speech_started``
        arrives while assistant audio was still playing; by then the client has sent
        ``conversation.item.truncate`` at the played position (or deleted the item
        when nothing was heard) and, when the server does not interrupt by itself
        (``interrupt_response: false``), ``response.cancel``.
        """
        if not callable(handler):
            raise TypeError("handler must be callable")
        with self._lock:
            self._interrupt_handlers = (*self._interrupt_handlers, handler)
        return handler

    def on_reconnecting(
        self, handler: Callable[[ReconnectAttempt], Any]
    ) -> Callable[[ReconnectAttempt], Any]:
        """Register a handler called before each reconnection attempt (decorator or call).

        It receives a :class:`~realtime_sync.reconnect.ReconnectAttempt` on the
        ``realtime-sync-reconnect`` thread: it may change ``attempt.headers`` (a fresh
        token) or call ``attempt.abort()`` to give up. If it raises, that is reported
        to ``on_error`` handlers and the attempt goes ahead.
        """
        if not callable(handler):
            raise TypeError("handler must be callable")
        with self._lock:
            self._reconnecting_handlers = (*self._reconnecting_handlers, handler)
        return handler

    def on_reconnected(
        self, handler: Callable[[Reconnected], Any]
    ) -> Callable[[Reconnected], Any]:
        """Register a handler called once a new session replaced a lost one.

        It receives a :class:`~realtime_sync.reconnect.Reconnected` (attempts,
        downtime, what was restored and re-sent) on the ``realtime-sync-reconnect``
        thread, after the session (and conversation) were restored and the events
        held during the outage were sent.
        """
        if not callable(handler):
            raise TypeError("handler must be callable")
        with self._lock:
            self._reconnected_handlers = (*self._reconnected_handlers, handler)
        return handler

    @property
    def stats(self) -> ClientStats:
        """Counters: frames, errors, handler time (dispatch lag), reconnections."""
        return ClientStats(
            frames_received=self._n_frames,
            protocol_errors=self._n_protocol_errors,
            handler_errors=self._n_handler_errors,
            max_handler_seconds=self._max_handler_seconds,
            slow_handler_calls=self._n_slow_calls,
            reconnects=self._n_reconnects,
            dropped_audio_ms=self._dropped_audio_ms,
        )

    @overload
    def tool(self, fn: F) -> F: ...
    @overload
    def tool(
        self,
        *,
        name: str | None = None,
        description: str | None = None,
        timeout: float | None = None,
    ) -> Callable[[F], F]: ...

    def tool(
        self,
        fn: Any = None,
        *,
        name: str | None = None,
        description: str | None = None,
        timeout: float | None = None,
    ) -> Any:
        """Register a function the model may call: ``@client.tool`` or ``@client.tool(...)``.

        See :meth:`add_tool`. The function is returned unchanged.
        """
        if fn is None:

            def decorator(f: Any) -> Any:
                self.add_tool(f, name=name, description=description, timeout=timeout)
                return f

            return decorator
        self.add_tool(fn, name=name, description=description, timeout=timeout)
        return fn

    def add_tool(
        self,
        fn: Callable[..., Any],
        name: str | None = None,
        description: str | None = None,
        timeout: float | None = None,
    ) -> Any:
        """Register a function tool; its JSON schema comes from its type hints.

        The parameter descriptions come from the docstring's ``Args:`` section, the
        tool's description from its summary. The session's tools are updated for
        you (now when connected, else at :meth:`connect`). When the model calls it,
        the function runs in a worker pool with a timeout; its JSON result, or an
        error the model can read, is sent back as ``function_call_output``, then one
        ``response.create`` per batch of calls (``auto_respond=False`` turns that off).

        Returns:
            The :class:`realtime_sync.tools.Tool`.

        Raises:
            TypeError: A signature the schema cannot describe (named in the message).
            ValueError: A tool of that name exists already.
        """
        from realtime_sync.tools import ToolRegistry, tool_from_function

        tool = tool_from_function(
            fn, name=name, description=description, timeout=timeout
        )
        with self._lock:
            if self._tool_registry is None:
                self._tool_registry = ToolRegistry()
            registry = self._tool_registry
        registry.add(tool)
        if self.is_connected:
            self._start_tools()
            self.update_session(
                {"type": "realtime", "tools": self._session_tools()}, wait=False
            )
        return tool

    def _session_tools(self) -> list[Any]:
        """The session's tools: ours, plus any non-function tools already configured."""
        ours = self._tool_registry.function_tools() if self._tool_registry else []
        names = {t.name for t in ours}
        current = getattr(self.session_info, "tools", None)
        others = [
            t
            for t in (current if isinstance(current, list) else [])
            if not (isinstance(t, ev.FunctionTool) and t.name in names)
        ]
        codec = Codec("ga")
        return [codec.to_dict(t) for t in (*others, *ours)]

    def _start_tools(self) -> None:
        if self._tool_registry is None or self._tool_runner is not None:
            return
        from realtime_sync._tool_runner import ToolRunner
        from realtime_sync.tools import ToolExecutor

        self._executor = ToolExecutor(
            self._tool_registry,
            default_timeout=self._tool_timeout,
            max_workers=self._tool_workers,
        )
        self._tool_runner = ToolRunner(
            self._executor,
            self.send,
            lambda modalities: self.create_response(output_modalities=modalities),
            auto_respond=self._auto_respond,
        )

    @property
    def responses(self) -> list[Response]:
        """The last finished responses (up to 32, oldest first), whoever started them.

        Responses the server started by itself (server VAD) are here too, with their
        text, transcript, audio, usage and timings (measured from the commit). Their
        audio together stays within ``audio_retention_seconds``: older responses
        lose theirs first (``audio_bytes`` empty); a ``ResponseHandle`` still gets
        the whole of its own response.
        """
        return self._responses.recent

    @property
    def usage(self) -> UsageTotals:
        """Token usage summed over every ``response.done`` of the session."""
        return self._responses.usage

    # -- lifecycle ---------------------------------------------------------------

    @property
    def state(self) -> ClientState:
        """The lifecycle state."""
        return self._state

    @property
    def is_connected(self) -> bool:
        """Whether the connection is open (``session.created`` was received)."""
        conn = self._conn
        return self._state is ClientState.OPEN and conn is not None and conn.is_open

    def connect(self) -> RealtimeClient:
        """Open the connection; return once ``session.created`` arrived.

        When a ``session=`` was configured, it is sent next and ``connect()`` also
        waits for the ``session.updated`` that confirms it.

        Returns:
            The client, so that ``client = RealtimeClient(...).connect()`` works.

        Raises:
            ConnectError: The handshake failed (``AuthenticationError`` for 401/403).
            Timeout: No ``session.created`` within ``connect_timeout``.
            ServerError: The server refused the configured session.
            RuntimeError: The client was already connected or closed.
        """
        self._check_thread("connect()")
        with self._lock:
            if self._state is ClientState.OPEN:
                raise RuntimeError("The client is already connected.")
            if self._state is not ClientState.UNOPENED:
                raise RuntimeError("Cannot reopen a client once it has been closed.")
            self._state = ClientState.OPEN
        try:
            endpoint = self._endpoint_factory()
            if self._record_path is not None:
                self._recorder = Recorder(self._record_path)
            conn = self._new_connection(endpoint)
            self._conn = conn
            conn.connect()
            self._wait_session_created(conn)
            self._start_tools()
            update = self._initial_session_update()
            if update is not None:
                self._send_and_wait(update, ev.SessionUpdated, self._connect_timeout)
        except BaseException:
            self.close(timeout=1.0)
            raise
        self._established = True
        return self

    def _new_connection(
        self, endpoint: Endpoint, headers: Mapping[str, str] | None = None
    ) -> Connection:
        """A transport for ``endpoint`` (plus extra ``headers``), not yet connected."""
        merged = {**endpoint.headers, **(headers or {})}
        secrets = (*endpoint.secrets, *(headers or {}).values())
        conn: Connection | None = None

        def on_close(closed: ConnectionClosed) -> None:
            self._on_close(conn, closed)

        conn = Connection(
            endpoint.url,
            headers=merged,
            on_message=self._on_frame,
            on_close=on_close,
            on_binary=self._on_binary,
            max_queue_bytes=self._max_queue_bytes,
            ping_interval=self._ping_interval,
            connect_timeout=self._connect_timeout,
            secrets=secrets,
            **self._transport_options,
        )
        return conn

    def _wait_session_created(self, conn: Connection) -> None:
        """Wait for the ``session.created`` of ``conn`` (after its handshake)."""
        if not self._session_created.wait(self._connect_timeout):
            conn.raise_if_failed()
            self._raise_if_closed()
            raise Timeout(f"no session.created within {self._connect_timeout} s")
        conn.raise_if_failed()
        self._raise_if_closed()
        if not conn.is_open:
            raise ConnectionClosed(
                "the connection closed before session.created",
                code=conn.close_code,
                reason=conn.close_reason,
            )

    def _initial_session_update(self) -> ev.SessionUpdate | None:
        update = self._session_update
        if self._tool_registry is None or not len(self._tool_registry):
            return update
        tools = self._session_event(
            {"type": "realtime", "tools": self._session_tools()}
        )
        if update is None:
            return tools
        session = update.session
        if isinstance(session, ev.RealtimeSession):
            mine = session.tools if isinstance(session.tools, list) else []
            assert isinstance(tools.session, ev.RealtimeSession)
            merged = [*mine, *(tools.session.tools or [])]  # type: ignore[misc]
            return attrs.evolve(update, session=attrs.evolve(session, tools=merged))
        return update

    def close(self, timeout: float = 5.0) -> None:
        """Close the connection and join the threads. Idempotent; safe in a handler.

        Events still queued are not sent; they are logged and kept in
        ``ConnectionClosed.unsent`` of what later calls raise. Closing while
        reconnecting stops the reconnection; the events held meanwhile are unsent.

        Args:
            timeout: Seconds to wait for the queue to drain and the peer to close.
        """
        with self._lock:
            if self._state in (ClientState.CLOSING, ClientState.CLOSED):
                return
            self._state = ClientState.CLOSING
            held = self._outage.take() if self._outage is not None else []
            self._outage = None
            held += self._limbo
            self._limbo = []
            reconnector = self._reconnector
        if reconnector is not None:
            reconnector.stop()
        conn = self._conn
        unsent: tuple[object, ...] = ()
        if conn is not None:
            unsent = conn.close(timeout=timeout)
        unsent = (*unsent, *held)
        if reconnector is not None:
            # Wakes a reconnection waiting for the new session, then joins it.
            self._fail_all(ConnectionClosed("the client was closed", code=1000))
            reconnector.join(timeout)
        if unsent:
            logger.warning("closed with %d event(s) not sent", len(unsent))
        if self._recorder is not None:
            self._recorder.close()
        if self._executor is not None:
            # Joins the tool threads; a tool still running past its timeout is
            # waited for up to ``timeout`` (its answer can no longer be sent).
            self._executor.shutdown(wait=True, timeout=timeout)
        exc = self._closed_exc or ConnectionClosed(
            "the client was closed", code=1000, unsent=unsent
        )
        self._closed_exc = exc
        self._fail_all(exc)
        with self._lock:
            self._state = ClientState.CLOSED

    def __enter__(self) -> RealtimeClient:
        if self._state is ClientState.UNOPENED:
            self.connect()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- sending -----------------------------------------------------------------

    def send(self, event: ClientEvent | Mapping[str, Any]) -> str:
        """Queue a client event (our class or a dict of the GA wire shape).

        The event gets an ``event_id`` when it has none, so that an ``error`` caused
        by it can be matched.

        Args:
            event: The event.

        Returns:
            The event's ``event_id``.

        Raises:
            TypeError: Not a client event, or a field of the wrong type.
            ValueError: The event cannot be expressed in the connection's dialect.
            QueueFull: The send queue is full.
            ConnectionClosed: The client is closed.
        """
        if isinstance(event, Mapping):
            event = client_event_from_dict(event)
        if not isinstance(event, ClientEvent):
            raise TypeError(
                f"expected a client event or a dict, not {type(event).__name__}"
            )
        if not isinstance(event.event_id, str):
            event = attrs.evolve(event, event_id=self._new_id())
        event_id = event.event_id
        assert isinstance(event_id, str)
        self._send_event(event)
        return event_id

    def _send_event(self, event: ClientEvent) -> None:
        state = self._state
        if state is not ClientState.OPEN:
            if state in (ClientState.CLOSING, ClientState.CLOSED):
                raise self._closed_exc or ConnectionClosed("the client is closed")
            if state is ClientState.RECONNECTING and self._hold(event):
                return
        if self._closed_exc is not None:
            raise self._closed_exc
        conn = self._conn
        if conn is None:
            raise RuntimeError("Call connect() (or use 'with client:') before sending.")
        if type(event) is ev.SessionUpdate:
            self._remember_session(event)
        try:
            self._write(conn, event)
        except ConnectionClosed:
            if self._reconnect_policy is None or not self._hold_refused(conn, event):
                raise

    def _write(self, conn: Connection, event: ClientEvent) -> None:
        """Encode ``event`` and queue it on ``conn`` (no state checks)."""
        codec = self._codec or Codec("ga")
        text = codec.encode_client(event)
        conn.send(text, event)
        if self._recorder is not None:
            self._recorder.write("send", text)

    def _hold(self, event: ClientEvent) -> bool:
        """Hold ``event`` for the new session while reconnecting; False if not."""
        (self._codec or Codec("ga")).encode_client(event)  # bad events fail here
        with self._lock:
            if self._state is not ClientState.RECONNECTING or self._outage is None:
                return False
            if type(event) is ev.SessionUpdate:
                self._remember_session(event)
            self._outage.add(event)
        return True

    def _hold_refused(self, conn: Connection, event: ClientEvent) -> bool:
        """A dying connection refused ``event``: hold it if a reconnect may follow.

        The transport refuses sends as soon as the connection ended, a moment
        before the client hears about it (``_on_close``). Until then the event goes
        to limbo: held for the new session if a reconnection starts, else reported
        in the ``unsent`` of the ConnectionClosed passed to ``on_error``.
        """
        with self._lock:
            if self._state is ClientState.RECONNECTING and self._outage is not None:
                self._outage.add(event)
                return True
            if (
                self._state is ClientState.OPEN
                and self._established
                and conn is self._conn
                and self._closed_exc is None
            ):
                self._limbo.append(event)
                return True
        return False

    def _remember_session(self, event: ev.SessionUpdate) -> None:
        """Merge a ``session.update`` into what a reconnection re-sends."""
        if isinstance(event.session, ev.Model):
            update = Codec("ga").to_dict(event.session)
            if isinstance(update, dict):
                base = self._session_state or {}
                self._session_state = merge_session(base, update)

    def _restore_session_event(self) -> ev.SessionUpdate | None:
        """One ``session.update`` with everything sent before, or None."""
        state = self._session_state
        if not state:
            return None
        event = client_event_from_dict({"type": "session.update", "session": state})
        assert isinstance(event, ev.SessionUpdate)
        return event

    def _new_id(self) -> str:
        return f"evt_{self._id_prefix}_{next(self._ids)}"

    def flush(self, timeout: float | None = None) -> None:
        """Block until every queued event was written to the socket.

        Raises:
            Timeout: The queue did not drain in time.
            ConnectionClosed: The connection closed.
        """
        self._check_thread("flush()")
        conn = self._require_conn()
        conn.flush(timeout)

    def update_session(
        self,
        session: SessionConfig
        | ev.RealtimeSession
        | ev.TranscriptionSession
        | Mapping[str, Any]
        | None = None,
        *,
        wait: bool = True,
        timeout: float | None = 10.0,
        **fields: Any,
    ) -> ev.SessionUpdated | None:
        """Send ``session.update``; by default wait for ``session.updated``.

        Args:
            session: The settings (see the ``session=`` argument of the client).
            wait: Wait for the server's confirmation.
            timeout: Seconds to wait.
            **fields: :class:`SessionConfig` fields, as a shortcut
                (``update_session(instructions="...")``).

        Returns:
            The ``session.updated`` event when waiting, else None.

        Raises:
            ServerError: The server refused the update.
            Timeout: No answer in time.
        """
        if session is None:
            session = SessionConfig(**fields)
        elif fields:
            raise TypeError("give either a session object or keyword fields, not both")
        event = self._session_event(session)
        if not wait:
            self.send(event)
            return None
        self._check_thread("update_session(wait=True)")
        result = self._send_and_wait(event, ev.SessionUpdated, timeout)
        assert isinstance(result, ev.SessionUpdated)
        return result

    @staticmethod
    def _session_event(session: Any) -> ev.SessionUpdate:
        if isinstance(session, SessionConfig):
            return ev.SessionUpdate(session=session.to_session())
        if isinstance(session, (ev.RealtimeSession, ev.TranscriptionSession)):
            return ev.SessionUpdate(session=session)
        if isinstance(session, Mapping):
            body = dict(session)
            body.setdefault("type", "realtime")
            event = client_event_from_dict({"type": "session.update", "session": body})
            assert isinstance(event, ev.SessionUpdate)
            return event
        raise TypeError(
            "session must be a SessionConfig, a RealtimeSession, a TranscriptionSession "
            f"or a dict, not {type(session).__name__}"
        )

    def send_text(self, text: str, *, role: str = "user") -> str:
        """Add a text message to the conversation (``conversation.item.create``).

        Args:
            text: The text.
            role: ``"user"`` or ``"system"``.

        Returns:
            The event id.
        """
        if not isinstance(text, str):
            raise TypeError(f"text must be a str, not {type(text).__name__}")
        item: ev.Item
        if role == "user":
            item = ev.UserMessage(content=[ev.InputText(text=text)])
        elif role == "system":
            item = ev.SystemMessage(content=[ev.InputText(text=text)])
        else:
            raise ValueError(f"role must be 'user' or 'system', not {role!r}")
        return self.send(ev.ConversationItemCreate(item=item))

    def append_audio(
        self,
        audio: bytes | Any,
        *,
        sample_rate: int | None = None,
        channels: int = 1,
        frame_ms: int = 40,
    ) -> None:
        """Append input audio (``input_audio_buffer.append``), converting as needed.

        Bytes are sent as they are: they must already be in the session's input format
        (pcm16 little-endian at 24 kHz, or G.711 bytes at 8 kHz). An array (int16,
        float32 or float64; shape ``(n,)`` or ``(n, channels)``) at any sample rate is
        downmixed, resampled to the session's input rate with state kept across calls
        (no clicks at chunk seams), encoded in the session's input format (pcm16,
        mu-law or A-law) and sent in frames of ``frame_ms``. The last partial frame
        and the resampler's tail are sent by :meth:`commit_audio` (or
        :meth:`flush_audio`).

        Args:
            audio: The samples.
            sample_rate: Their rate; defaults to the session's input rate.
            channels: Their channel count.
            frame_ms: The length of each frame sent.

        Raises:
            TypeError: Not bytes and not a numeric array.
            ValueError: A shape that does not match ``channels``, or a bad rate.
        """
        if isinstance(audio, (bytes, bytearray, memoryview)):
            self._append(_json.b64encode(bytes(audio)))
            return
        if isinstance(audio, str):
            raise TypeError("audio must be bytes or a numpy array, not str")
        fmt = session_format(self.session_info, "input")
        rate = sample_rate if sample_rate is not None else RATES[fmt]
        key = (rate, channels, fmt, frame_ms)
        stream = self._input_stream
        if stream is None or stream.key != key:
            for payload in stream.flush() if stream is not None else ():
                self._append(payload)
            stream = self._input_stream = InputAudioStream(
                rate, channels, fmt, frame_ms
            )
        for payload in stream.push(audio):
            self._append(payload)

    def _append(self, payload: str) -> None:
        # The hot path of a voice app (50 calls a second): the event is built with
        # its id rather than copied with one, as send() does for user events.
        self._send_event(
            ev.InputAudioBufferAppend(event_id=self._new_id(), audio=payload)
        )

    def flush_audio(self) -> None:
        """Send the audio :meth:`append_audio` holds back (a partial frame, the tail)."""
        stream = self._input_stream
        self._input_stream = None
        if stream is not None:
            for payload in stream.flush():
                self._append(payload)

    def commit_audio(self) -> str:
        """Send held-back audio, then commit the buffer (``input_audio_buffer.commit``)."""
        self.flush_audio()
        return self.send(ev.InputAudioBufferCommit())

    def clear_audio(self) -> str:
        """Drop held-back and buffered input audio (``input_audio_buffer.clear``)."""
        self._input_stream = None
        return self.send(ev.InputAudioBufferClear())

    def create_response(
        self,
        response: ev.ResponseCreateParams | Mapping[str, Any] | None = None,
        **params: Any,
    ) -> ResponseHandle:
        """Ask the model for a response (``response.create``); returns at once.

        The request carries a metadata entry (``realtime_sync_request``) that the
        server echoes, which ties the handle to its response; when a server does not
        echo metadata, the first new response after the request is taken.

        Args:
            response: Per-response settings, or None.
            **params: :class:`~realtime_sync.events.ResponseCreateParams` fields, as a
                shortcut (``create_response(instructions="...")``).

        Returns:
            A :class:`ResponseHandle`; ``handle.wait(timeout)`` gives the result.
        """
        if response is None:
            response = ev.ResponseCreateParams(**params)
        elif params:
            raise TypeError("give either response= or keyword fields, not both")
        elif isinstance(response, Mapping):
            event = client_event_from_dict(
                {"type": "response.create", "response": dict(response)}
            )
            assert isinstance(event, ev.ResponseCreate)
            response = event.response  # type: ignore[assignment]
        if not isinstance(response, ev.ResponseCreateParams):
            raise TypeError("response must be ResponseCreateParams or a dict")
        request_id = self._new_id()
        metadata = (
            dict(response.metadata) if isinstance(response.metadata, dict) else {}
        )
        tagged = len(metadata) < 16
        if tagged:
            metadata[REQUEST_KEY] = request_id
            response = attrs.evolve(response, metadata=metadata)
        handle = ResponseHandle(request_id, self._check_thread)
        event = ev.ResponseCreate(event_id=request_id, response=response)
        if (
            self._state not in (ClientState.OPEN, ClientState.RECONNECTING)
            or self._conn is None
            or self._closed_exc is not None
        ):
            self._send_event(event)  # raises the right error (closed / not connected)
        self._responses.request(handle, event)
        return handle

    def cancel_response(self, response_id: str | None = None) -> str:
        """Cancel the in-progress response (``response.cancel``)."""
        return self.send(
            ev.ResponseCancel(response_id=response_id if response_id else UNSET)
        )

    def truncate(self, item_id: str, content_index: int, audio_end_ms: int) -> str:
        """Truncate an assistant audio item at what was played (``conversation.item.truncate``)."""
        return self.send(
            ev.ConversationItemTruncate(
                item_id=item_id, content_index=content_index, audio_end_ms=audio_end_ms
            )
        )

    def delete_item(self, item_id: str) -> str:
        """Delete an item from the conversation (``conversation.item.delete``)."""
        return self.send(ev.ConversationItemDelete(item_id=item_id))

    def ask(self, text: str, timeout: float | None = 60.0, **params: Any) -> Response:
        """Send a user message, ask for a response and wait for it.

        Args:
            text: The user's message.
            timeout: Seconds to wait for the response.
            **params: Per-response settings (see :meth:`create_response`).

        Returns:
            The finished :class:`Response`.

        Raises:
            ServerError: The server refused the message or the response.
            Timeout: No finished response in time.
            ConnectionClosed: The connection closed first.
        """
        self._check_thread("ask()")
        self.send_text(text)
        return self.create_response(**params).wait(timeout)

    # -- waiting -----------------------------------------------------------------

    @overload
    def wait_for(
        self,
        event: type[E],
        predicate: Callable[[E], bool] | None = None,
        timeout: float | None = None,
    ) -> E: ...
    @overload
    def wait_for(
        self,
        event: str,
        predicate: Callable[[Any], bool] | None = None,
        timeout: float | None = None,
    ) -> Any: ...

    def wait_for(
        self, event: Any, predicate: Any = None, timeout: float | None = None
    ) -> Any:
        """Block until an event of this type (matching ``predicate``) arrives.

        Only events that arrive after the call count.

        Args:
            event: An event class, a GA or beta type string, or a ``"prefix.*"``.
            predicate: Called with each candidate event (on the reader thread).
            timeout: Seconds; None waits for ever.

        Returns:
            The event.

        Raises:
            Timeout: Nothing matched in time.
            ConnectionClosed: The connection closed first.
            RuntimeError: Called from a handler (the reader thread).
        """
        self._check_thread("wait_for()")
        wild, key = resolve_key(event)
        waiter = _Waiter(key, wild, predicate)
        with self._lock:
            self._raise_if_closed()
            self._waiters.append(waiter)
        try:
            if not waiter.done.wait(timeout):
                raise Timeout(f"no {event!r} event within {timeout} s")
        finally:
            with self._lock:
                if waiter in self._waiters:
                    self._waiters.remove(waiter)
        if waiter.error is not None:
            raise waiter.error
        return waiter.result

    def _send_and_wait(
        self,
        event: ClientEvent,
        answer: type[ServerEvent],
        timeout: float | None,
        *,
        conn: Connection | None = None,
        predicate: Callable[[Any], bool] | None = None,
    ) -> ServerEvent:
        event_id = self._new_id()
        event = attrs.evolve(event, event_id=event_id)
        waiter = _Waiter(answer, False, predicate)
        with self._lock:
            self._raise_if_closed()
            self._waiters.append(waiter)
            self._requests[event_id] = waiter
        try:
            if conn is None:
                self._send_event(event)
            else:  # a reconnection restoring the session on its new connection
                self._write(conn, event)
            if not waiter.done.wait(timeout):
                raise Timeout(f"no {answer.TYPE} within {timeout} s")
        finally:
            with self._lock:
                if waiter in self._waiters:
                    self._waiters.remove(waiter)
                self._requests.pop(event_id, None)
        if waiter.error is not None:
            raise waiter.error
        assert waiter.result is not None
        return waiter.result

    def _check_thread(self, what: str) -> None:
        if (
            self._reader_ident is not None
            and threading.get_ident() == self._reader_ident
        ):
            raise RuntimeError(
                f"{what} blocks and cannot be called from a handler: handlers run on the "
                "reader thread, which would wait for itself. Use a handler for the "
                "event instead, or call it from another thread."
            )
        conn = self._conn
        if conn is not None:
            conn.raise_if_failed()

    def _require_conn(self) -> Connection:
        self._raise_if_closed()
        if self._conn is None:
            raise RuntimeError("Call connect() (or use 'with client:') first.")
        return self._conn

    def _raise_if_closed(self) -> None:
        if self._closed_exc is not None:
            raise self._closed_exc

    # -- reader thread -------------------------------------------------------------

    def _on_frame(self, text: str) -> None:
        """Called by the transport's reader thread for every text frame."""
        self._reader_ident = threading.get_ident()
        self._n_frames += 1
        if self._recorder is not None:
            self._recorder.write("recv", text)
        codec = self._codec
        if codec is None:
            codec = self._codec = Codec(detect_dialect(text))  # type: ignore[arg-type]
            self.dialect = codec.dialect  # "auto" becomes what the server speaks
            logger.debug("detected the %s dialect", codec.dialect)
        try:
            event = codec.decode_server(text)
        except ProtocolError as exc:
            logger.warning("undecodable frame: %s", exc)
            self._n_protocol_errors += 1
            self._report(exc)
            return
        self._process(event)
        if codec.dialect == "beta":
            for extra in self._beta_synthesized(event):
                self._process(extra)
        if self._renew_at is not None and time.time() >= self._renew_at:
            self._renew()

    def _on_binary(self, data: bytes) -> None:
        """A binary frame: the protocol has none, so it is reported, not dispatched."""
        self._n_frames += 1
        self._n_protocol_errors += 1
        exc = ProtocolError(
            f"The server sent a binary frame of {len(data)} bytes; the Realtime "
            "protocol uses text frames only, so it was not dispatched.",
            raw=data[:1024],
        )
        logger.warning("%s", exc)
        self._report(exc)

    def _process(self, event: ServerEvent) -> None:
        try:
            self._track(event)
            changes = self.conversation.apply(event)
        except Exception:  # never let bookkeeping kill the reader
            logger.exception("internal error while tracking %s", event.type)
            changes = []
        if type(event) is ev.ResponseOutputAudioDelta and (
            event.response_id in self._suppressed
        ):
            return  # audio of an interrupted response: not for the player
        self._dispatch(event)
        for callback, exc in self.conversation.notify(changes):
            name = getattr(callback, "__qualname__", repr(callback))
            logger.error("conversation callback %s raised", name, exc_info=exc)
            err = HandlerError(f"conversation callback {name} raised", handler=callback)
            err.__cause__ = exc
            self._report(err)

    def _beta_synthesized(self, event: ServerEvent) -> Iterable[ServerEvent]:
        # Beta has no conversation.item.done (§7.2): a client-created or committed
        # item is final when it is created; a response output item when the response
        # says so in response.output_item.done.
        if isinstance(event, ev.ConversationItemAdded):
            item_id = getattr(event.item, "id", None)
            if item_id not in self._response_items:
                yield ev.ConversationItemDone(
                    event_id=event.event_id,
                    item=event.item,
                    previous_item_id=event.previous_item_id,
                )
        elif isinstance(event, ev.ResponseOutputItemDone):
            item_id = getattr(event.item, "id", None)
            self._response_items.discard(item_id)
            yield ev.ConversationItemDone(event_id=event.event_id, item=event.item)

    def _dispatch(self, event: ServerEvent) -> None:
        entries = self._registry.handlers_for(event)
        clock = time.perf_counter
        # One clock read per handler (each one's end starts the next); none without.
        started = clock() if entries else 0.0
        for entry in entries:
            try:
                entry.handler(event)
            except Exception as exc:
                name = getattr(entry.handler, "__qualname__", repr(entry.handler))
                logger.exception("handler %s raised on %s", name, event.type)
                self._n_handler_errors += 1
                err = HandlerError(
                    f"handler {name} raised {type(exc).__name__} on {event.type}",
                    handler=entry.handler,
                    event=event,
                )
                err.__cause__ = exc
                self._report(err)
            now = clock()
            took = now - started
            started = now
            if took > self._max_handler_seconds:
                self._max_handler_seconds = took
            if took > self._slow_handler_seconds:
                self._n_slow_calls += 1
                logger.warning(
                    "handler %s held the reader thread for %.2f s on %s; later events "
                    "waited that long (keep handlers short, or hand work to a thread)",
                    getattr(entry.handler, "__qualname__", repr(entry.handler)),
                    took,
                    event.type,
                )
        if self._waiters:
            with self._lock:
                matched = [
                    w
                    for w in self._waiters
                    if not w.done.is_set() and _safe_match(w, event)
                ]
                for w in matched:
                    self._waiters.remove(w)
            for w in matched:
                w.result = event
                w.done.set()

    def _report(self, error: RealtimeError) -> None:
        for handler in self._error_handlers:
            try:
                handler(error)
            except Exception:
                logger.exception("error handler %r raised", handler)

    def _track(self, event: ServerEvent) -> None:
        cls = type(event)
        if cls in _DELTAS:
            self._responses.on_delta(event)
            if cls is ev.ResponseOutputAudioDelta:
                self._on_audio_delta(event)  # type: ignore[arg-type]
        elif cls is ev.ResponseCreated:
            self._responses.on_created(event)  # type: ignore[arg-type]
        elif cls is ev.ResponseDone:
            self._responses.on_done(event)  # type: ignore[arg-type]
            if self._tool_runner is not None:
                self._tool_runner.on_response_done(event)  # type: ignore[arg-type]
        elif cls is ev.ResponseFunctionCallArgumentsDone:
            if self._tool_runner is not None:
                self._tool_runner.on_arguments_done(event)  # type: ignore[arg-type]
        elif cls is ev.InputAudioBufferCommitted:
            self._responses.on_committed()
        elif cls is ev.InputAudioBufferSpeechStarted:
            self._on_speech_started(event)  # type: ignore[arg-type]
        elif cls is ev.ResponseOutputItemAdded or cls is ev.ResponseOutputItemDone:
            item_id = getattr(event.item, "id", None)  # type: ignore[attr-defined]
            if (
                cls is ev.ResponseOutputItemAdded
                and isinstance(item_id, str)
                and self.dialect == "beta"
            ):
                # For _beta_synthesized, which removes it at output_item.done.
                self._response_items.add(item_id)
            if self._tool_runner is not None:
                self._tool_runner.on_output_item(event)  # type: ignore[arg-type]
        elif cls is ev.Error:
            self._on_error_event(event)  # type: ignore[arg-type]
        elif cls is ev.SessionCreated or cls is ev.SessionUpdated:
            self.session_info = event.session  # type: ignore[attr-defined]
            self._on_session()
            if cls is ev.SessionCreated:
                self._schedule_renewal(event.session)  # type: ignore[attr-defined]
                self._session_created.set()

    def _output_format(self) -> str:
        return session_format(self.session_info, "output")

    def _on_session(self) -> None:
        fmt = self._output_format()
        self.conversation.output_format = fmt
        rate = RATES[fmt]
        if self.playback.sample_rate != rate:
            from realtime_sync.audio import PlaybackTracker

            self.playback = PlaybackTracker(rate)

    def _on_audio_delta(self, event: ev.ResponseOutputAudioDelta) -> None:
        if event.response_id in self._suppressed:
            return
        nbytes = _b64.decoded_size(event.delta)
        samples = (
            nbytes // 2 if self.conversation.output_format == "audio/pcm" else nbytes
        )
        item_id = event.item_id
        # Only the item of the latest audio can be interrupted: one count, reset
        # per item (a dict of every item would grow for the whole session).
        counted = self._received_samples
        if item_id not in counted:
            counted.clear()
        counted[item_id] = counted.get(item_id, 0) + samples
        # Not reported to self.playback: a Player given that tracker reports what it
        # receives itself, and would be counted twice. Barge-in clamps with this.
        self._last_audio = (item_id, event.response_id, event.content_index)

    def _barge_in_enabled(self) -> bool:
        if self._barge_in is not None:
            return self._barge_in
        return self.playback.current_item is not None

    def _server_interrupts(self) -> bool:
        td = getattr(
            getattr(getattr(self.session_info, "audio", None), "input", None),
            "turn_detection",
            None,
        )
        value = getattr(td, "interrupt_response", None)
        return value is not False  # the default is true

    def _on_speech_started(self, event: ev.InputAudioBufferSpeechStarted) -> None:
        last = self._last_audio
        if last is None or not self._barge_in_enabled():
            return
        item_id, response_id, content_index = last
        rate = self.playback.sample_rate
        received_ms = self._received_samples.get(item_id, 0) * 1000 // rate
        played_ms = min(self.playback.played_ms(item_id), received_ms)
        generating = self._responses.response_of(response_id)
        if not generating and played_ms >= received_ms:
            self._last_audio = None
            return  # playback had finished: nothing to cut
        self._last_audio = None
        if generating:
            self._suppressed.add(response_id)
            if not self._server_interrupts():
                self.send(ev.ResponseCancel(response_id=response_id))
        if played_ms == 0:
            self.send(ev.ConversationItemDelete(item_id=item_id))
            action = "delete"
        else:
            self.send(
                ev.ConversationItemTruncate(
                    item_id=item_id, content_index=content_index, audio_end_ms=played_ms
                )
            )
            action = "truncate"
        info = Interruption(item_id, response_id, played_ms, action, generating)
        logger.debug("barge-in: %s %s at %d ms", action, item_id, played_ms)
        for handler in self._interrupt_handlers:
            try:
                handler(info)
            except Exception as exc:
                logger.exception("interrupt handler %r raised", handler)
                err = HandlerError("interrupt handler raised", handler=handler)
                err.__cause__ = exc
                self._report(err)

    def _on_error_event(self, event: ev.Error) -> None:
        err = event.error
        failed = getattr(err, "event_id", None)
        message = getattr(err, "message", None)
        text = message if isinstance(message, str) else "the server reported an error"
        if not isinstance(failed, str):
            logger.warning("server error: %s", text)
            return
        if self._responses.on_error(event):
            return
        with self._lock:
            waiter = self._requests.pop(failed, None)
            if waiter is not None and waiter in self._waiters:
                self._waiters.remove(waiter)
        if waiter is not None:
            waiter.error = ServerError(text, event=event)
            waiter.done.set()
        elif getattr(event.error, "code", None) not in _BENIGN:
            logger.warning("server error for %s: %s", failed, text)

    def _on_close(self, conn: Connection | None, closed: ConnectionClosed) -> None:
        """Called by the transport of ``conn`` once, when that connection ends."""
        cause = closed.__cause__
        with self._lock:
            if conn is not self._conn:
                return  # a connection replaced by a reconnection: nothing to say
            state = self._state
            user_closing = state in (ClientState.CLOSING, ClientState.CLOSED)
            limbo, self._limbo = self._limbo, []
            reconnect = (
                not user_closing
                and self._established
                and self._reconnect_policy is not None
                and (
                    state is ClientState.RECONNECTING
                    or self._reconnect_policy.retries_close(closed.code)
                )
            )
            held: frozenset[str] = frozenset()
            if reconnect and state is ClientState.OPEN:
                # The session's own connection: what it had not written yet goes
                # to the new session. (A connection of a reconnection attempt only
                # carried the restoration, which the next attempt sends again.)
                self._begin_outage_locked()
                assert self._outage is not None
                self._outage.extend((*closed.unsent, *limbo))
            if reconnect and self._outage is not None:
                held = self._outage.event_ids()
            if not reconnect:
                # Under the lock, so that a send refused from now on raises this
                # instead of going to limbo (see _hold_refused).
                if limbo:
                    closed = _with_unsent(closed, limbo)
                if self._closed_exc is None:
                    self._closed_exc = closed
        if isinstance(cause, ProtocolError) and not user_closing:
            self._n_protocol_errors += 1
            self._report(cause)
        if reconnect:
            logger.info(
                "connection lost (code=%s reason=%r); reconnecting",
                closed.code,
                closed.reason,
            )
            # Blocking helpers waiting on the old session fail, except those whose
            # request the old session never received: it goes to the new one.
            self._fail_all(closed, held=held)
            self._start_reconnect(closed)
            return
        assert self._closed_exc is not None
        self._fail_all(self._closed_exc)
        if not user_closing:
            logger.info(
                "connection closed by the peer: code=%s reason=%r",
                closed.code,
                closed.reason,
            )
            self._report(closed)

    def _schedule_renewal(self, session: Any) -> None:
        """Note when to renew this session (``renew_before_expiry``), if at all."""
        policy = self._reconnect_policy
        expires_at = getattr(session, "expires_at", None)
        if (
            policy is None
            or policy.renew_before_expiry is None
            or not isinstance(expires_at, (int, float))
            or isinstance(expires_at, bool)
        ):
            self._renew_at = None
            return
        self._renew_at = float(expires_at) - policy.renew_before_expiry

    def _renew(self) -> None:
        """Renew a session about to expire, once no response is in progress."""
        if self._responses.active:
            return  # after the current response (checked again on every event)
        from realtime_sync._reconnector import Reconnector

        self._renew_at = None
        with self._lock:
            if (
                self._state is not ClientState.OPEN
                or not self._established
                or self._closed_exc is not None
            ):
                return
            self._begin_outage_locked()
            cause = ConnectionClosed(
                "the session is about to expire: renewing it", code=1000
            )
            self._reconnector = Reconnector(
                self, cause, previous=self._reconnector, retire=self._conn
            )
            self._reconnector.start()
        logger.info("renewing the session before it expires")

    def _begin_outage_locked(self) -> None:
        """OPEN -> RECONNECTING, with an empty outage buffer (``_lock`` held)."""
        policy = self._reconnect_policy
        assert policy is not None
        rate = bytes_per_second(session_format(self.session_info, "input"))
        self._outage = OutageBuffer(int(policy.audio_buffer_seconds * rate))
        self._state = ClientState.RECONNECTING

    def _start_reconnect(self, closed: ConnectionClosed) -> None:
        """Start the reconnect thread, unless one is already at work."""
        from realtime_sync._reconnector import Reconnector

        with self._lock:
            if self._state is not ClientState.RECONNECTING:
                return
            running = self._reconnector
            if running is not None and not running.done:
                # Its attempt's connection ended: _fail_all() woke whatever the
                # attempt waited for, and it goes on with the next attempt.
                return
            self._reconnector = Reconnector(self, closed, previous=running)
            self._reconnector.start()

    def _fail_all(self, exc: BaseException, held: frozenset[str] | None = None) -> None:
        """Fail every waiter and response handle with ``exc``.

        With ``held`` (a reconnection is starting), the requests among those event
        ids stay pending: they will be sent to the new session.
        """
        with self._lock:
            keep = {
                w for event_id, w in self._requests.items() if event_id in (held or ())
            }
            waiters = [w for w in self._waiters if w not in keep]
            self._waiters = [w for w in self._waiters if w in keep]
            self._requests = {k: w for k, w in self._requests.items() if w in keep}
        for w in waiters:
            w.error = exc
            w.done.set()
        if held is None:
            self._responses.fail_all(exc)
        else:
            self._responses.session_lost(exc, held)
        self._session_created.set()


_DELTAS = frozenset(
    {
        ev.ResponseOutputAudioDelta,
        ev.ResponseOutputTextDelta,
        ev.ResponseOutputAudioTranscriptDelta,
    }
)

# Error codes of harmless races (§8.2): not worth a warning when nobody waits.
_BENIGN = frozenset(
    {
        "response_cancel_not_active",
        "item_truncate_invalid_item_id",
        "input_audio_buffer_commit_empty",
    }
)


def _with_unsent(
    closed: ConnectionClosed, extra: list[ClientEvent]
) -> ConnectionClosed:
    """``closed`` with ``extra`` events added to its ``unsent``."""
    again = ConnectionClosed(
        str(closed),
        code=closed.code,
        reason=closed.reason,
        unsent=(*closed.unsent, *extra),
    )
    again.__cause__ = closed.__cause__
    return again


def _token(provider: Callable[[], str]) -> str:
    """Call a token provider and check what it returns (never echoing it)."""
    token = provider()
    if not isinstance(token, str) or not token:
        raise TypeError(
            f"token_provider must return a non-empty str, not {type(token).__name__}"
        )
    return token


def _safe_match(waiter: _Waiter, event: ServerEvent) -> bool:
    try:
        return waiter.matches(event)
    except Exception:
        logger.exception("wait_for predicate raised")
        return False
