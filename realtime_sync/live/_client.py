"""LiveClient: a Live (GPT-Live) session over the threaded client machinery.

The machinery is the Realtime client's, reused: :class:`~realtime_sync.client._threaded.ThreadedClient`
(lifecycle, the channel, sending, events held before ``connect()``),
:class:`~realtime_sync.client._reader.ReadingClient` (decode -> core under the
lock -> effects with no lock -> dispatch), :class:`~realtime_sync.client._outages.ReconnectingClient`
(outages, the reconnect thread), the dispatcher, waiters and
:class:`~realtime_sync.Expectation` (:mod:`realtime_sync.live._handlers`), the
tool executor (:mod:`realtime_sync.live._delegation`) and the input pump
(:class:`~realtime_sync.client._pump.InputPump`). What is Live's own: the
handshake (the client speaks first: ``session.start`` -> ``session.started``), the
sans-I/O :class:`~realtime_sync.live._core.LiveCore`, the continuous input, context
appends acknowledged on the timeline, delegation, ``session.close`` ->
``session.closed``, and recovery that starts a *new* session carrying the
transcript (a Live session cannot be resumed).

Threads: the transport's reader and writer, ``realtime-sync-pump`` (the input
track), ``realtime-sync-tool_N`` once a delegate handler or tool is registered,
and ``realtime-sync-reconnect`` during an outage; :meth:`LiveClient.close` joins
every one of them.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import ssl
import threading
from collections.abc import Callable, Mapping
from typing import Any

import attrs

from realtime_sync._input_audio import InputConverter
from realtime_sync.client._endpoints import Endpoint
from realtime_sync.client._options import (
    check_openai_key,
    connection_key,
    default_transport,
    key_source,
)
from realtime_sync.client._outages import ReconnectingClient
from realtime_sync.client._pump import InputPump, weak_pump_callbacks
from realtime_sync.client._threaded import ClientState, ThreadedClient
from realtime_sync.exceptions import (
    AudioLost,
    ConnectionClosed,
    ConnectTimeout,
    RealtimeError,
    ServerError,
    Timeout,
)
from realtime_sync.live import events as lev
from realtime_sync.live._carry import CarriedOver
from realtime_sync.live._commands import LiveCommandsAPI, _AckFuture
from realtime_sync.live._config import DEFAULT_MODEL, build_config
from realtime_sync.live._core import (
    Delegation,
    LiveCore,
    LiveEffects,
    LiveUsage,
    SessionEnd,
)
from realtime_sync.live._delegation import DelegationAPI
from realtime_sync.live._endpoint import (
    azure_live_endpoint,
    openai_live_endpoint,
    url_live_endpoint,
)
from realtime_sync.live._input import LiveInputAPI
from realtime_sync.live._output import LiveOutputAPI
from realtime_sync.live._turns import DEFAULT_TURN_GAP_MS
from realtime_sync.live.codec import LiveCodec
from realtime_sync.reconnect import Reconnected, ReconnectPolicy
from realtime_sync.transport import (
    Channel,
    Transport,
)

__all__ = ["LiveClient", "LiveReconnected"]

logger = logging.getLogger("realtime_sync.live")


@attrs.frozen(kw_only=True)
class LiveReconnected(Reconnected):
    """What ``on_reconnected`` handlers of a :class:`LiveClient` receive.

    A :class:`~realtime_sync.reconnect.Reconnected` (attempts, downtime, cause,
    ``resent_events``) plus what the *new* session was given of the lost one.

    Attributes:
        carried: The :class:`~realtime_sync.live.CarriedOver` summary: messages
            put in the new session's ``input`` (transcript turns, instruction
            appends), the older ones dropped to stay within 128, and the context
            appends sent again.
        session_id: The new session's id.
    """

    carried: CarriedOver | None = None
    session_id: str | None = None


@attrs.frozen
class _Restored:
    session_restored: bool
    restored_items: int
    skipped_items: int


class LiveClient(
    LiveCommandsAPI, LiveOutputAPI, LiveInputAPI, DelegationAPI, ReconnectingClient
):
    """A synchronous client for one Live conversation, with a background reader.

    ``connect()`` sends ``session.start`` with the configuration and returns once
    ``session.started`` arrived; from then on the input pump keeps the input track
    flowing (silence between what :meth:`append_audio` queues), handlers run on
    the reader thread, and the blocking helpers (:meth:`append_instructions`,
    :meth:`mute`, :meth:`update_session`, :meth:`close`, ``wait_for``) wait for
    their acknowledgement.

    Args:
        model: The Live model (``gpt-live-1``), sent in ``session.start``.
        api_key: The key; None uses ``OPENAI_API_KEY`` (with ``url=``, none is
            sent unless given).
        url: A ``ws://``/``wss://`` URL for local or compatible servers
            (``rs.testing.MockRealtimeServer(api="live").url``).
        base_url: The REST base URL (default ``OPENAI_BASE_URL`` or OpenAI's);
            the socket is ``<base>/live/sessions``.
        headers: Extra handshake headers.
        session: A ``session`` dict (wire shape) or a
            :class:`~realtime_sync.live.events.SessionConfig`; the arguments
            below override its fields.
        instructions: The voice model's instructions.
        voice: The output voice (``marin``, ...).
        audio_format: ``audio/pcm`` (default), ``audio/pcmu`` or ``audio/pcma``.
        sample_rate: 24000 (default) or 16000 for ``audio/pcm``.
        delegation: ``"client"`` (default) or a delegation dict
            (``{"type": "responses", "responses": {"model": ...}}``).
        input: Initial history: message dicts or ``(role, text)`` tuples.
        store: Store the session (for forks and recordings).
        safety_identifier: A stable id of the end user.
        input_pump: Keep the input flowing from a ``realtime-sync-pump`` thread
            (default). Without it the application must stream audio itself
            (silence included: the timeline only advances with input audio).
        input_pace: The pump's speed relative to real time (``> 1`` for local
            mocks whose timeline follows the audio received; 1.0 for OpenAI).
        input_chunk_ms: Length of each ``session.input_audio.append``.
        turn_gap_ms: The longest pause inside one transcript turn.
        delegation_timeout: Seconds a ``@delegate`` handler may run before the
            model is told the task timed out.
        tool_timeout: Seconds a ``@tool`` function may run.
        tool_workers: Delegations and tools that may run at once.
        reconnect: A :class:`~realtime_sync.ReconnectPolicy`: after a
            recoverable close, start a *new* session carrying the transcript.
        token_provider: Called on every connection for the bearer token.
        record: Write every frame, both directions, to this JSON-lines file.
        connect_timeout: Seconds for the handshake and ``session.started``.
        transport: Where connections come from (default: WebSocket;
            ``rs.testing.InMemoryTransport(api="live")`` runs the mock in-process).

    The remaining arguments are the transport's, as for ``RealtimeClient``. The
    key never appears in reprs, logs or exception messages.
    """

    _core: LiveCore

    def __init__(
        self,
        model: str | None = DEFAULT_MODEL,
        *,
        api_key: str | None = None,
        url: str | None = None,
        base_url: str | None = None,
        headers: Mapping[str, str] | None = None,
        session: Any = None,
        instructions: str | None = None,
        voice: str | None = None,
        audio_format: str | None = None,
        sample_rate: int | None = None,
        delegation: str | Mapping[str, Any] | None = None,
        input: Any = None,
        store: bool | None = None,
        safety_identifier: str | None = None,
        input_pump: bool = True,
        input_pace: float = 1.0,
        input_chunk_ms: int = 20,
        turn_gap_ms: int = DEFAULT_TURN_GAP_MS,
        delegation_timeout: float | None = 120.0,
        tool_timeout: float | None = 30.0,
        tool_workers: int = 4,
        reconnect: ReconnectPolicy | None = None,
        token_provider: Callable[[], str] | None = None,
        record: str | os.PathLike[str] | None = None,
        connect_timeout: float = 10.0,
        max_queue_bytes: int = 4 * 1024 * 1024,
        ping_interval: float | None = 20.0,
        ping_timeout: float | None = 20.0,
        max_message_size: int | None = 16 * 1024 * 1024,
        ca_bundle: str | os.PathLike[str] | None = None,
        ssl_context: ssl.SSLContext | None = None,
        allow_insecure: bool = False,
        slow_handler_seconds: float = 0.5,
        transport: Transport | None = None,
        _endpoint_factory: Callable[[], Endpoint] | None = None,
    ) -> None:
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
        if delegation_timeout is not None and not delegation_timeout > 0:
            raise ValueError("delegation_timeout must be positive or None")
        if isinstance(turn_gap_ms, bool) or not isinstance(turn_gap_ms, int):
            raise TypeError("turn_gap_ms must be an int")
        codec = LiveCodec()
        config = build_config(
            model=model,
            session=session,
            instructions=instructions,
            voice=voice,
            audio_format=audio_format,
            sample_rate=sample_rate,
            delegation=delegation,
            input=input,
            store=store,
            safety_identifier=safety_identifier,
            codec=codec,
        )

        if _endpoint_factory is not None:
            endpoint_factory = _endpoint_factory
        elif url is not None:

            def endpoint_factory() -> Endpoint:
                return url_live_endpoint(url=url, api_key=key(), headers=headers)
        else:

            def endpoint_factory() -> Endpoint:
                check_openai_key(
                    transport,
                    api_key,
                    token_provider,
                    "realtime_sync.testing.MockRealtimeServer(api='live')",
                )
                return openai_live_endpoint(
                    api_key=key(), base_url=base_url, headers=headers
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
            codec=codec,  # type: ignore[arg-type]
            connect_timeout=connect_timeout,
            reconnect=reconnect,
            slow_handler_seconds=slow_handler_seconds,
            record=record,
        )
        self._use_catalog()
        self._live_codec = codec
        self._core = LiveCore(
            config,
            self._event_from_dict,
            codec.to_dict,
            turn_gap_ms=turn_gap_ms,
        )
        self.model = config["model"]
        self._input_lock = threading.Lock()
        self._converter = InputConverter(self._core.sample_rate())
        pump_send, pump_failed = weak_pump_callbacks(self._pump_send, self._pump_failed)
        self._pump: InputPump | None = (
            InputPump(
                pump_send,
                sample_rate=self._core.sample_rate(),
                chunk_ms=input_chunk_ms,
                pace=input_pace,
                on_error=pump_failed,
            )
            if input_pump
            else None
        )
        self._acks: dict[str, _AckFuture] = {}
        self._nested = {}  # on_response_event registrations
        self._results = {}
        self._abandoned = set()
        self._calls = {}
        self._tool_timeout = tool_timeout
        self._tool_workers = tool_workers
        self._delegation_timeout = delegation_timeout
        self._carried: CarriedOver | None = None
        self._answer_mark = 0  # assistant deltas when audio was last appended
        self._ended: SessionEnd | None = None

    @classmethod
    def azure(
        cls,
        endpoint: str,
        *,
        api_key: str | None = None,
        token_provider: Callable[[], str] | None = None,
        **kwargs: Any,
    ) -> LiveClient:
        """A client for Azure Foundry (``<endpoint>/openai/v1/live/sessions``).

        Args:
            endpoint: ``https://<resource>.openai.azure.com``.
            api_key: An Azure key (``api-key`` header); ``AZURE_OPENAI_API_KEY``
                when neither a key nor a token provider is given.
            token_provider: Called on every connection for an Entra ID token.
            **kwargs: Other :class:`LiveClient` arguments (``model=`` is the
                deployment).

        Returns:
            The client (not yet connected).
        """
        if api_key is None and token_provider is None:
            api_key = os.environ.get("AZURE_OPENAI_API_KEY")
        headers = kwargs.pop("headers", None)

        def factory() -> Endpoint:
            token = key_source(None, token_provider)()  # checked by __init__
            return azure_live_endpoint(
                endpoint=endpoint, api_key=api_key, token=token, headers=headers
            )

        if token_provider is None:
            factory()  # check the arguments now rather than at connect()
        return cls(_endpoint_factory=factory, **kwargs)

    def __repr__(self) -> str:
        return (
            f"<LiveClient model={self.model!r} session={self.session_id!r} "
            f"state={self._state.value}>"
        )

    # -- state -------------------------------------------------------------------

    @property
    def session_id(self) -> str | None:
        """The id of the current session (a reconnection starts a new one)."""
        return self._core.session_id

    @property
    def session_info(self) -> Any:
        """The session as the server last described it (``session.started``, ...)."""
        return self._core.session_info

    @property
    def config(self) -> dict[str, Any]:
        """The configuration the next ``session.start`` would send (a copy)."""
        with self._lock:
            config: dict[str, Any] = json.loads(json.dumps(self._core.config))
        return config

    @property
    def usage(self) -> LiveUsage:
        """Usage so far: billable seconds, context ratio, backend tokens."""
        with self._lock:
            return self._core.usage

    @property
    def muted(self) -> bool:
        """Whether the server confirmed that the input is muted."""
        return self._core.muted

    @property
    def ended(self) -> SessionEnd | None:
        """How the session ended (set by :meth:`close`), or None."""
        return self._ended

    @property
    def sample_rate(self) -> int:
        """The session's audio sample rate."""
        return self._core.sample_rate()

    @property
    def pending_input_ms(self) -> float:
        """Appended audio not sent yet (queued in the pump)."""
        return self._pump.pending_ms if self._pump is not None else 0.0

    @property
    def sent_input_ms(self) -> float:
        """Input sent so far by the pump, audio and silence (the timeline's fuel)."""
        return self._pump.sent_ms if self._pump is not None else 0.0

    def delegation(self, delegation_id: str) -> Delegation | None:
        """A delegation the model created (recent ones are remembered)."""
        with self._lock:
            return self._core.delegation(delegation_id)

    # -- lifecycle ---------------------------------------------------------------

    def connect(self) -> LiveClient:
        """Open the connection, start the session; return once it started.

        Sends ``session.start`` with the configuration (and the ``@tool``
        functions under Responses delegation) and waits for ``session.started``;
        then the input pump starts.

        Returns:
            The client.

        Raises:
            ServerError: The server refused the configuration; the message names
                the refused field (``param``) and the error code.
            ConnectError: The handshake failed (``AuthenticationError`` for 401/403).
            ConnectTimeout: No handshake or no ``session.started`` in time.
            RuntimeError: Already connected, or closed.
        """
        self._connect()
        return self

    def __enter__(self) -> LiveClient:
        if self._state is ClientState.UNOPENED:
            self.connect()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _open_channel(
        self, endpoint: Endpoint, headers: Mapping[str, str] | None = None
    ) -> Channel:
        channel = super()._open_channel(endpoint, headers)
        self._check_dialect = False  # one protocol, nothing to detect
        return channel

    def _wait_session_created(self, channel: Channel) -> None:
        """Live's handshake: send ``session.start``, wait for ``session.started``."""
        with self._lock:
            config, carried = self._core.start_config()
        tools = self._function_tools()
        if tools:
            config = _with_tools(config, tools)
        start = self._event_from_dict({"type": "session.start", "session": config})
        try:
            started = self._send_and_wait(
                start, lev.SessionStarted, self._connect_timeout, channel=channel
            )
        except ServerError as exc:
            raise _refused(exc) from None
        except Timeout:
            channel.raise_if_failed()
            self._raise_if_closed()
            raise ConnectTimeout(
                f"no session.started within {self._connect_timeout} s"
            ) from None
        self._carried = carried
        logger.info("Live session %s started", getattr(started.session, "id", "?"))

    def _setup(self) -> None:
        self._start_workers()
        if self._pump is not None and not self._pump.running:
            self._pump.start()

    def _restore(self, channel: Channel) -> _Restored:
        carried = self._carried
        return _Restored(
            True,
            carried.messages if carried is not None else 0,
            carried.dropped_messages if carried is not None else 0,
        )

    def close(self, timeout: float = 5.0) -> SessionEnd:  # type: ignore[override]
        """End the session: ``session.close``, then wait for ``session.closed``.

        The server finalizes the session (final usage, recording storage) and
        answers ``session.closed``; then the connection and every thread are
        closed. When the connection drops first (or from a handler, where
        waiting is impossible), the result says ``"finalization unconfirmed"``.
        Audio appended but not sent yet is reported (logged) by the pump.
        Idempotent.

        Args:
            timeout: Seconds to wait for ``session.closed``, and then for the
                threads.

        Returns:
            The :class:`~realtime_sync.live.SessionEnd`: reason, whether it was
            confirmed, and the usage.
        """
        if self._ended is not None and self._state is ClientState.CLOSED:
            return self._ended
        confirmed = self._request_close(timeout)
        with self._lock:
            ended = self._core.end(confirmed)
        if not confirmed and self._core.session_id is not None:
            logger.warning(
                "Live session %s: finalization unconfirmed (no session.closed)",
                self._core.session_id,
            )
        if self._ended is None:
            self._ended = ended
        ThreadedClient.close(self, timeout)
        return self._ended

    def _request_close(self, timeout: float) -> bool:
        """Send ``session.close`` and wait for ``session.closed``; True if it came."""
        if self._core.closed_event is not None:
            return True
        if self._state is not ClientState.OPEN or not self._core.started:
            return False
        if self._pump is not None:
            self._pump.pause()  # nothing after session.close
        if self._on_inner_thread():
            with contextlib.suppress(RealtimeError):
                self._send_event(_any(lev.SessionClose(event_id=self._new_id())))
            return False
        try:
            self._send_and_wait(lev.SessionClose(), lev.SessionClosed, timeout)
        except (RealtimeError, RuntimeError) as exc:
            logger.info("session.close: %s", exc)
            return self._core.closed_event is not None
        return True

    def _filter_held(self, events: list[Any]) -> tuple[list[Any], None]:
        """Held events for the new session: stale delegation ids go session-wide."""
        return [self._core.rebind(e) for e in events], None

    def _closing(self, timeout: float) -> None:
        if self._pump is not None:
            self._pump.stop(timeout)
        # A delegate handler waiting for an acknowledgement would hold the pool's
        # shutdown until its timeout: nothing will be acknowledged any more.
        self._fail_acks(self._closed_exc or ConnectionClosed("the client was closed"))
        self._stop_tools(timeout)

    def _on_close(self, channel: Channel | None, closed: ConnectionClosed) -> None:
        if self._core.closed_event is not None and channel is self._channel:
            # session.closed came first: the end the protocol asks for.
            reason = getattr(self._core.closed_event, "reason", "?")
            self._session_ended(
                closed, f"the Live session ended (session.closed: {reason})"
            )
            if self._pump is not None:
                self._pump.stop(1.0)
            return
        super()._on_close(channel, closed)
        if self._pump is None:
            return
        if self._state is ClientState.RECONNECTING:
            self._pump.pause()  # appended audio waits in the pump meanwhile
        elif self._closed_exc is not None:
            self._pump.stop(1.0)

    def _reconnected(self, info: Any) -> None:
        carried = self._carried
        if carried is not None:
            carried = attrs.evolve(carried, resent_appends=self._core.resent)
        fields = {a.name: getattr(info, a.name) for a in attrs.fields(Reconnected)}
        dropped = self._bound_outage_audio()
        fields["dropped_audio_ms"] += dropped
        live = LiveReconnected(**fields, carried=carried, session_id=self.session_id)
        if self._pump is not None:
            self._pump.resume()
        if dropped:
            policy = self._reconnect_policy
            seconds = policy.audio_buffer_seconds if policy is not None else 0.0
            lost = AudioLost(
                f"{dropped} ms of input audio appended while reconnecting did not "
                "reach the new session: beyond ReconnectPolicy.audio_buffer_seconds "
                f"({seconds:g} s; the newest audio is kept)",
                dropped_ms=dropped,
            )
            logger.warning("%s", lost)
            self._dispatch.report(lost)
        super()._reconnected(live)

    def _bound_outage_audio(self) -> int:
        """Keep the newest ``audio_buffer_seconds`` queued in the pump; ms dropped.

        Audio appended during an outage waits in the paused pump; a new session
        should not hear a long backlog late, so only the newest part of it goes,
        as ``ReconnectPolicy.audio_buffer_seconds`` says for Realtime.
        """
        policy = self._reconnect_policy
        if self._pump is None or policy is None:
            return 0
        return self._pump.keep_newest(policy.audio_buffer_seconds * 1000)

    def _give_up(
        self, closed: ConnectionClosed, how: str, cause: RealtimeError
    ) -> None:
        super()._give_up(closed, how, cause)
        if self._pump is not None:
            self._pump.stop(1.0)

    # -- effects -----------------------------------------------------------------

    def _carry_out(self, out: Any, event: Any = None) -> None:
        live = out if isinstance(out, LiveEffects) else None
        if live is not None:
            for event_id, ack in live.acks:
                with self._lock:
                    future = self._acks.pop(event_id, None)
                if future is not None:
                    future.result = ack
                    future.done.set()
        super()._carry_out(out, event)
        if live is None:
            return
        for turn in live.turns:
            self._dispatch.call_each(self._hooks("turn"), turn, "turn")
        if live.delegations:
            self._run_delegations(live.delegations)
        if live.tool_calls:
            self._run_tool_calls(live.tool_calls)


def _with_tools(config: dict[str, Any], tools: list[dict[str, Any]]) -> dict[str, Any]:
    """``config`` with the ``@tool`` functions added to its Responses backend."""
    config = dict(config)
    delegation = dict(config.get("delegation") or {})
    responses = dict(delegation.get("responses") or {})
    names = {t["name"] for t in tools}
    mine = [
        t
        for t in responses.get("tools") or []
        if not (isinstance(t, Mapping) and t.get("name") in names)
    ]
    responses["tools"] = [*mine, *tools]
    delegation["responses"] = responses
    config["delegation"] = delegation
    return config


def _refused(exc: ServerError) -> ServerError:
    """The error of a refused ``session.start``, naming the field."""
    param = f" the field {exc.param!r}:" if exc.param else ""
    refused = ServerError(f"session.start was refused:{param} {exc}", event=exc.event)
    return refused


def _any(event: Any) -> Any:
    """A Live event where the shared machinery's signatures say ``ClientEvent``."""
    return event
