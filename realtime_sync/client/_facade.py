"""RealtimeClient: the façade of a Realtime session over the threaded machinery.

Configuration, the public methods and delegation: the machinery lives in
:mod:`realtime_sync.client._threaded` (lifecycle, sending, the reader pipeline,
outages), :mod:`~realtime_sync.client._dispatch` (handlers and waiters),
:mod:`~realtime_sync.client._reconnector` and the sans-I/O session core
(:mod:`realtime_sync.session`). Every public method may be called from any thread;
blocking ones (``connect``, ``wait_for``, ``ask``, ``ResponseHandle.wait``,
``flush``, ``update_session(wait=True)``) raise RuntimeError at once when called on
the reader thread or the reconnect thread (handlers, reconnect hooks), where waiting
would deadlock.
"""

from __future__ import annotations

import collections
import os
import ssl
import threading
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

import attrs

from realtime_sync import events as ev
from realtime_sync.client._endpoints import (
    Endpoint,
    azure_endpoint,
    openai_endpoint,
    url_endpoint,
)
from realtime_sync.client._events_api import EventsAPI
from realtime_sync.client._handle import ResponseHandle
from realtime_sync.client._options import (
    check_openai_key,
    connection_key,
    default_transport,
)
from realtime_sync.client._outages import ReconnectingClient
from realtime_sync.client._resources import (
    ConversationNamespace,
    InputAudioBufferResource,
    OutputAudioBufferResource,
    ResponseResource,
    SessionResource,
)
from realtime_sync.client._threaded import ThreadedClient
from realtime_sync.client._tools_api import ToolsAPI
from realtime_sync.events import ClientEvent
from realtime_sync.exceptions import ConnectionClosed, ServerError
from realtime_sync.protocol import Codec
from realtime_sync.protocol._from_dict import client_event_from_dict
from realtime_sync.protocol.codec import prepare_encoders
from realtime_sync.reconnect import (
    ReconnectPolicy,
    restorable_items,
)
from realtime_sync.session import (
    Effects,
    Interruption,
    Response,
    SessionCore,
    UsageTotals,
)
from realtime_sync.session_config import SessionConfig
from realtime_sync.transport import (
    Channel,
    Transport,
)

__all__ = ["RealtimeClient"]

F = TypeVar("F", bound=Callable[..., Any])

DEFAULT_MODEL = "gpt-realtime"


class RealtimeClient(ToolsAPI, EventsAPI, ReconnectingClient):
    """A synchronous client for one Realtime session, with a background reader thread.

    Args:
        model: The model (``gpt-realtime``); the deployment for Azure.
        api_key: The API key or an ephemeral key (``ek_...``). When None,
            ``OPENAI_API_KEY`` is used for OpenAI; with ``url=``, no key is sent.
        url: A full ``ws://``/``wss://`` URL for compatible and local servers.
        dialect: ``"ga"``, ``"beta"`` or ``"auto"`` (detected from ``session.created``;
            ``client.dialect`` then tells which). By default ``"auto"`` with
            ``url=`` (a compatible server may speak either) and ``"ga"`` for
            OpenAI. A dialect given explicitly that the server's first event
            contradicts makes ``connect()`` raise a :class:`ConnectError` naming
            the ``dialect=`` to pass.
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
            the session (default 60 s, oldest dropped first; 0 keeps none; None
            keeps all); the same bound applies to the audio of ``client.responses``.
        conversation_max_items: Items ``client.conversation`` keeps (default
            500; None keeps all): past it the oldest item is dropped from the
            local mirror, with its audio, never from the server's conversation.
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
        transport: Where connections come from: a
            :class:`~realtime_sync.transport.Transport`. By default a
            websocket-client transport built from the options above;
            ``rs.testing.InMemoryTransport()`` runs the mock in-process, with no
            socket (the transport options above are then unused).

    The key never appears in reprs, logs or exception messages.

    Threads: the transport's reader and writer (``realtime-sync-reader``,
    ``realtime-sync-writer``; with a
    :class:`~realtime_sync.transport.SharedReaderTransport` the reader is the
    transport's one ``realtime-sync-shared-reader``, shared by all its
    connections), a tool pool (``realtime-sync-tool-*``) once a tool is
    registered, and ``realtime-sync-reconnect`` while reconnecting. The reader,
    writer and reconnect threads are daemon threads, so that a forgotten client
    never blocks the interpreter's exit; :meth:`close` joins every one of them
    (the shared reader once its last connection has ended).
    """

    def __init__(
        self,
        model: str | None = DEFAULT_MODEL,
        *,
        api_key: str | None = None,
        url: str | None = None,
        dialect: str | None = None,
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
        audio_retention_seconds: float | None = 60.0,
        conversation_max_items: int | None = 500,
        barge_in: bool | None = None,
        record: str | os.PathLike[str] | None = None,
        auto_respond: bool = True,
        tool_timeout: float | None = 30.0,
        tool_workers: int = 4,
        token_provider: Callable[[], str] | None = None,
        reconnect: ReconnectPolicy | None = None,
        slow_handler_seconds: float = 0.5,
        transport: Transport | None = None,
        _endpoint_factory: Callable[[], Endpoint] | None = None,
    ) -> None:
        if dialect is None:
            dialect = "auto" if url is not None else "ga"
        if dialect not in ("ga", "beta", "auto"):
            raise ValueError(f"dialect must be 'ga', 'beta' or 'auto', not {dialect!r}")
        key = connection_key(
            api_key=api_key,
            token_provider=token_provider,
            reconnect=reconnect,
            connect_timeout=connect_timeout,
            slow_handler_seconds=slow_handler_seconds,
            url=url,
            transport=transport,
            allow_insecure=allow_insecure,
        )

        if _endpoint_factory is not None:
            endpoint_factory = _endpoint_factory
        elif url is not None:

            def endpoint_factory() -> Endpoint:
                return url_endpoint(
                    url=url, api_key=key(), dialect=dialect, headers=headers
                )
        else:

            def endpoint_factory() -> Endpoint:
                check_openai_key(
                    transport,
                    api_key,
                    token_provider,
                    "realtime_sync.testing.MockRealtimeServer",
                )
                return openai_endpoint(
                    model=model,
                    api_key=key(),
                    dialect=dialect,
                    base_url=base_url,
                    call_id=call_id,
                    intent=intent,
                    headers=headers,
                )

        ThreadedClient.__init__(
            self,
            transport=default_transport(
                transport,
                max_queue_bytes=max_queue_bytes,
                ping_interval=ping_interval,
                ping_timeout=ping_timeout,
                connect_timeout=connect_timeout,
                max_message_size=max_message_size,
                ca_bundle=ca_bundle,
                ssl_context=ssl_context,
                allow_insecure=allow_insecure,
            ),
            endpoint_factory=endpoint_factory,
            codec=None if dialect == "auto" else Codec(dialect),  # type: ignore[arg-type]
            connect_timeout=connect_timeout,
            reconnect=reconnect,
            slow_handler_seconds=slow_handler_seconds,
            record=record,
        )
        self._session_update = (
            self._session_event(session) if session is not None else None
        )
        self.model = model
        self.dialect = dialect
        self.session = SessionResource(self.send)
        self.response = ResponseResource(self.send)
        self.input_audio_buffer = InputAudioBufferResource(self.send)
        self.output_audio_buffer = OutputAudioBufferResource(self.send)
        self.conversation = ConversationNamespace(
            self.send, audio_retention_seconds, conversation_max_items
        )
        from realtime_sync.audio import PlaybackTracker

        self._core = SessionCore(
            conversation=self.conversation,
            playback=PlaybackTracker,
            dialect=dialect,
            barge_in=barge_in,
            audio_retention_seconds=audio_retention_seconds,
            input_audio_seconds=(
                reconnect.audio_buffer_seconds if reconnect is not None else None
            ),
        )
        self._previous_items: tuple[Any, ...] = ()  # the conversation of an outage
        # Follow-up responses asked for after tool calls, by the calling response.
        self._follow_ups: collections.OrderedDict[str, ResponseHandle] = (
            collections.OrderedDict()
        )
        self._follow_ups_changed = threading.Condition()
        # Set by _restore: items of the old conversation the new session lacks.
        self._context_lost = 0
        self._auto_respond = auto_respond
        self._input_lock = threading.Lock()  # the input audio stream (SendersAPI)
        self._tool_timeout = tool_timeout
        self._tool_workers = tool_workers

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

    # -- handlers beyond on()/wait_for() (EventsAPI) -------------------------------

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
        return self._add_hook("interrupt", handler)

    def _interrupted(self, info: Any) -> None:
        self._dispatch.call_each(self._hooks("interrupt"), info, "interrupt")

    # -- state ---------------------------------------------------------------------

    @property
    def playback(self) -> Any:
        """Playback accounting (a :class:`~realtime_sync.audio.PlaybackTracker`).

        A player reports samples played per item here; barge-in truncates at what
        was played. Replaced by one of the new rate when the output format changes.
        """
        return self._core.playback

    @property
    def responses(self) -> list[Response]:
        """The last finished responses (up to 32, oldest first), whoever started them.

        Responses the server started by itself (server VAD) are here too, with their
        text, transcript, audio, usage and timings (measured from the commit). Their
        audio together stays within ``audio_retention_seconds``: older responses
        lose theirs first (``audio_bytes`` empty); a ``ResponseHandle`` still gets
        the whole of its own response.
        """
        with self._lock:
            return self._core.responses.recent  # type: ignore[no-any-return]

    @property
    def usage(self) -> UsageTotals:
        """Token usage summed over every ``response.done`` of the session."""
        return self._core.responses.usage  # type: ignore[no-any-return]

    def audio_of(self, event: ev.ResponseOutputAudioDelta) -> Any:
        """The samples of an audio delta, decoded in the session's output format.

        ``event.audio`` always reads PCM16 (the event cannot know the session);
        in an ``audio/pcmu`` or ``audio/pcma`` session use this instead: int16
        samples at the session's rate (8 kHz decoded G.711, or 24 kHz PCM16).
        """
        return self._core.decode_audio(event)

    def _detected(self, dialect: str) -> None:
        self.dialect = self._core.dialect = dialect  # "auto" becomes what it speaks

    # -- lifecycle ---------------------------------------------------------------------

    def connect(self) -> RealtimeClient:
        """Open the connection; return once ``session.created`` arrived.

        When a ``session=`` was configured, it is sent next and ``connect()`` also
        waits for the ``session.updated`` that confirms it.

        Returns:
            The client, so that ``client = RealtimeClient(...).connect()`` works.

        Raises:
            ConnectError: The handshake failed (``AuthenticationError`` for 401/403).
            ConnectTimeout: No handshake or no ``session.created`` within
                ``connect_timeout`` (a ``ConnectError`` and a ``Timeout``).
            ServerError: The server refused the configured session.
            RuntimeError: The client was already connected or closed.
        """
        self._connect()
        return self

    def _warm(self) -> None:
        super()._warm()
        prepare_encoders()  # or the first send() builds them (about 30 ms)

    def _setup(self) -> None:
        self._schedule_renewal(getattr(self.session_info, "expires_at", None))
        self._start_tools()
        update = self._initial_session_update()
        if update is not None:
            # Straight to the channel: events sent by anyone else before connect()
            # finished are held and go after it (see _send_early).
            with self._lock:
                self._core.sending(update)
            self._send_and_wait(
                update, ev.SessionUpdated, self._connect_timeout, channel=self._channel
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

    def _restore(self, channel: Channel) -> _Restored:
        """Restore the session (and the conversation) on a reconnection's channel."""
        policy = self._reconnect_policy
        assert policy is not None  # a reconnection happens only under a policy
        self._schedule_renewal(getattr(self.session_info, "expires_at", None))
        timeout = self._connect_timeout
        session_restored = False
        with self._lock:
            update = self._core.restore_session_event()
        if update is not None:
            try:
                self._send_and_wait(update, ev.SessionUpdated, timeout, channel=channel)
                session_restored = True
            except ServerError as exc:
                self._report(exc)
        bodies: list[dict[str, Any]] = []
        skipped = 0
        if policy.restore_conversation:
            bodies, skipped = restorable_items(self._previous_items)
        self._context_lost = (
            0 if policy.restore_conversation else len(self._previous_items)
        )
        for i, body in enumerate(bodies):
            event = client_event_from_dict(
                {"type": "conversation.item.create", "item": body}
            )
            if i < len(bodies) - 1:
                self._write(channel, attrs.evolve(event, event_id=self._new_id()))
                continue
            item_id = body["id"]
            try:
                self._send_and_wait(
                    event,
                    ev.ConversationItemAdded,
                    timeout,
                    channel=channel,
                    predicate=_item_is(item_id),
                )
            except ServerError as exc:
                self._report(exc)
        return _Restored(session_restored, len(bodies), skipped)

    def _filter_held(
        self, events: list[ClientEvent]
    ) -> tuple[list[ClientEvent], Effects | None]:
        """Withdraw the responses held for a new session that lacks the conversation.

        Without ``restore_conversation`` the new session starts empty: a response
        requested before it was ready would answer as if nothing had been said.
        Its handle fails instead (and ``on_error`` hears of it), unless the
        response brings its own ``input``. Nothing is withdrawn when the old
        conversation was empty.
        """
        if not self._context_lost:
            return events, None
        lost = self._context_lost
        cause = self._outage_cause

        def error(request_id: str) -> ConnectionClosed:
            return ConnectionClosed(
                f"response.create {request_id} was not sent: it was requested "
                "before the connection was replaced, and the new session does not "
                f"have the {lost} item(s) of the conversation it would answer "
                "(ReconnectPolicy(restore_conversation=False); they are in "
                "Reconnected.previous_items). Use "
                "ReconnectPolicy(restore_conversation=True) to carry them over, or "
                "request the response again",
                code=getattr(cause, "code", None),
                reason=getattr(cause, "reason", ""),
            )

        return self._core.context_lost(error, events)  # type: ignore[no-any-return]

    def _previous_items_for_outage(self) -> tuple[Any, ...]:
        """The conversation before the outage (ReconnectHost; the reconnect thread).

        Without ``restore_conversation`` the local conversation starts empty, as the
        new session does.
        """
        items = tuple(self.conversation.items)
        policy = self._reconnect_policy
        if policy is None or not policy.restore_conversation:
            self.conversation.clear()
        self._previous_items = items
        return items

    def __enter__(self) -> RealtimeClient:
        if self._state.value == "unopened":
            self.connect()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


@attrs.frozen
class _Restored:
    session_restored: bool
    restored_items: int
    skipped_items: int


def _item_is(item_id: str) -> Callable[[Any], bool]:
    """A ``wait_for`` predicate: an item event about ``item_id``."""
    return lambda event: getattr(event.item, "id", None) == item_id
