"""TranslationClient: speech in one language, speech and text out in another.

The Realtime Translation API over the threaded machinery of :mod:`realtime_sync.client`
(the same lifecycle, transport, reader pipeline, dispatch and reconnection as
:class:`~realtime_sync.RealtimeClient`), with its own events, codec and sans-I/O core
(:mod:`realtime_sync.translation._core`) and the continuous input pump
(:class:`~realtime_sync.client._pump.InputPump`): the service's timeline advances only
with input audio, so from ``connect()`` until ``finish()`` the pump sends 200 ms
appends, the user's audio when some is queued and silence otherwise.

Threads: the transport's reader and writer, ``realtime-sync-translate-pump`` (the
pump) and ``realtime-sync-reconnect`` while reconnecting; all joined by
:meth:`TranslationClient.close`. Handlers run on the reader thread.
"""

from __future__ import annotations

import logging
import os
import ssl
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

import attrs

from realtime_sync import _b64
from realtime_sync._input_audio import InputConverter
from realtime_sync.client._endpoints import Endpoint
from realtime_sync.client._options import (
    check_openai_key,
    connection_key,
    default_transport,
)
from realtime_sync.client._outages import ReconnectingClient
from realtime_sync.client._pump import (
    InputPump,
    pump_error,
    send_catching_up,
    weak_pump_callbacks,
)
from realtime_sync.client._threaded import ClientState, ThreadedClient
from realtime_sync.exceptions import (
    ConnectionClosed,
    RealtimeError,
    ServerError,
    Timeout,
)
from realtime_sync.reconnect import ReconnectPolicy
from realtime_sync.translation import events as tev
from realtime_sync.translation._config import session_request
from realtime_sync.translation._core import SAMPLE_RATE, Translation, TranslationCore
from realtime_sync.translation._endpoint import (
    openai_translation_endpoint,
    url_translation_endpoint,
)
from realtime_sync.translation._events_api import TranslationEventsAPI
from realtime_sync.translation.codec import TranslationCodec
from realtime_sync.transport import (
    Channel,
    Transport,
)

__all__ = ["DEFAULT_MODEL", "TranslationClient"]

logger = logging.getLogger("realtime_sync.translation")

DEFAULT_MODEL = "gpt-realtime-translate"
_UNSET: Any = object()  # "not given" for update_session's keywords


@attrs.frozen
class _Restored:
    session_restored: bool
    restored_items: int = 0
    skipped_items: int = 0


class TranslationClient(TranslationEventsAPI, ReconnectingClient):
    """A synchronous client for one Realtime Translation session.

    ::

        with rs.TranslationClient(target_language="fr") as client:
            client.on(tev.OutputTranscriptDelta, lambda e: print(e.delta, end=""))
            client.append_audio(samples, sample_rate=48_000)
            result = client.finish(timeout=30)
        write_wav("out.wav", result.samples(), result.sample_rate)

    Args:
        model: The model (``gpt-realtime-translate``); it travels in the URL.
        target_language: The output language (``"fr"``, ``"es"``, ...); None
            keeps the server's default.
        input_transcription: The model of the source-language transcript
            (``session.input_transcript.delta``); None leaves it unset (off
            unless the server or a client secret turns it on), ``False`` turns
            it off explicitly.
        noise_reduction: ``"near_field"`` or ``"far_field"``; None leaves it as
            the server has it, ``False`` turns it off.
        session: Further settings, merged over the above: a
            :class:`~realtime_sync.translation.events.TranslationSessionRequest`
            or a dict of its wire shape (``{"audio": {...}}``).
        api_key: The API key or an ephemeral key (``ek_...``). When None,
            ``OPENAI_API_KEY`` is used for OpenAI; with ``url=``, no key is sent.
        url: A full ``ws://``/``wss://`` URL (a local mock server,
            ``MockRealtimeServer(api="translation").url``).
        base_url: The REST base URL (default ``OPENAI_BASE_URL`` or OpenAI's).
        headers: Extra handshake headers (``OpenAI-Safety-Identifier``, ...).
        token_provider: Called on every connection for the bearer token (an
            ephemeral key from ``rs.client_secrets.create(translation=True)``).
        chunk_ms: Length of each ``session.input_audio_buffer.append`` (200 ms,
            one engine frame, is what the service recommends).
        pace: Speed of the input pump relative to real time: 1.0 for the
            service; more for a local mock, whose timeline follows the audio it
            receives (tests, demos).
        audio_retention_seconds: Translated audio kept for :attr:`translation`
            (oldest dropped first); None (the default) keeps all of it.
        reconnect: A :class:`~realtime_sync.ReconnectPolicy`: after a recoverable
            close, a new session with the same configuration; the gap is in
            ``translation.gaps`` and ``on_reconnected``. The service has no
            resume: what the lost session had not translated yet is lost.
        transport: Where connections come from;
            ``rs.testing.InMemoryTransport()`` runs the mock in-process.

    ``connect_timeout``, ``max_queue_bytes``, ``ping_interval``, ``ping_timeout``,
    ``max_message_size``, ``ca_bundle``, ``ssl_context``, ``allow_insecure``,
    ``record`` and ``slow_handler_seconds`` are as for
    :class:`~realtime_sync.RealtimeClient`. The key never appears in reprs, logs or
    exception messages.
    """

    def __init__(
        self,
        model: str = DEFAULT_MODEL,
        *,
        target_language: str | None = None,
        input_transcription: str | bool | None = None,
        noise_reduction: str | bool | None = None,
        session: tev.TranslationSessionRequest | Mapping[str, Any] | None = None,
        api_key: str | None = None,
        url: str | None = None,
        base_url: str | None = None,
        headers: Mapping[str, str] | None = None,
        token_provider: Callable[[], str] | None = None,
        chunk_ms: int = 200,
        pace: float = 1.0,
        audio_retention_seconds: float | None = None,
        reconnect: ReconnectPolicy | None = None,
        connect_timeout: float = 10.0,
        max_queue_bytes: int = 4 * 1024 * 1024,
        ping_interval: float | None = 20.0,
        ping_timeout: float | None = 20.0,
        max_message_size: int | None = 16 * 1024 * 1024,
        ca_bundle: str | os.PathLike[str] | None = None,
        ssl_context: ssl.SSLContext | None = None,
        allow_insecure: bool = False,
        record: str | os.PathLike[str] | None = None,
        slow_handler_seconds: float = 0.5,
        transport: Transport | None = None,
    ) -> None:
        if not isinstance(model, str) or not model:
            raise TypeError("model must be a non-empty string")
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
        if isinstance(chunk_ms, bool) or not isinstance(chunk_ms, int) or chunk_ms < 10:
            raise ValueError(f"chunk_ms must be an int >= 10, not {chunk_ms!r}")
        if not isinstance(pace, (int, float)) or isinstance(pace, bool) or not pace > 0:
            raise ValueError(f"pace must be a positive number, not {pace!r}")
        request = session_request(
            target_language=target_language,
            input_transcription=input_transcription,
            noise_reduction=noise_reduction,
            session=session,
        )
        self._initial = (
            tev.SessionUpdate(session=request) if request is not None else None
        )

        if url is not None:

            def endpoint_factory() -> Endpoint:
                return url_translation_endpoint(url=url, api_key=key(), headers=headers)
        else:

            def endpoint_factory() -> Endpoint:
                check_openai_key(
                    transport,
                    api_key,
                    token_provider,
                    "MockRealtimeServer(api='translation')",
                )
                return openai_translation_endpoint(
                    model=model, api_key=key(), base_url=base_url, headers=headers
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
            codec=TranslationCodec(),
            connect_timeout=connect_timeout,
            reconnect=reconnect,
            slow_handler_seconds=slow_handler_seconds,
            record=record,
        )
        self._use_catalog()
        self.model = model
        self._tcore = TranslationCore(audio_retention_seconds=audio_retention_seconds)
        self._core = self._tcore
        self._converter = InputConverter(SAMPLE_RATE)
        self._input_lock = threading.Lock()  # the converter and the pump's feed
        # Held weakly by the pump thread: a client dropped without close() is
        # reclaimed (see weak_pump_callbacks).
        pump_send, pump_failed = weak_pump_callbacks(self._pump_send, self._pump_failed)
        self._pump = InputPump(
            pump_send,
            sample_rate=SAMPLE_RATE,
            chunk_ms=chunk_ms,
            pace=pace,
            name="realtime-sync-translate-pump",
            on_error=pump_failed,
        )
        self._input_closed = False  # finish() began: no more input

    def __repr__(self) -> str:
        return (
            f"<TranslationClient model={self.model!r} "
            f"language={self.target_language!r} state={self._state.value}>"
        )

    # -- lifecycle ---------------------------------------------------------------------

    def connect(self) -> TranslationClient:
        """Open the connection; return once ``session.created`` arrived.

        When settings were given (``target_language=``, ...), they are sent next
        and ``connect()`` also waits for the confirming ``session.updated``. Then
        the input pump starts: silence flows until audio is appended.

        Returns:
            The client.

        Raises:
            ConnectError: The handshake failed (``AuthenticationError`` for 401/403).
            ConnectTimeout: No ``session.created`` within ``connect_timeout``.
            ServerError: The server refused the configured session.
            RuntimeError: Already connected, or closed.
        """
        self._connect()
        self._pump.start()
        return self

    def __enter__(self) -> TranslationClient:
        if self._state is ClientState.UNOPENED:
            self.connect()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _setup(self) -> None:
        update = self._initial
        if update is not None:
            with self._lock:
                self._core.sending(update)
            self._send_and_wait(
                update, tev.SessionUpdated, self._connect_timeout, channel=self._channel
            )

    def _restore(self, channel: Channel) -> _Restored:
        """A reconnection's new session gets every configuration sent so far."""
        with self._lock:
            update = self._core.restore_session_event()
        if update is None:
            return _Restored(False)
        try:
            self._send_and_wait(
                update, tev.SessionUpdated, self._connect_timeout, channel=channel
            )
        except ServerError as exc:
            self._report(exc)
            return _Restored(False)
        return _Restored(True)

    def _wrong_dialect(self, dialect: str, text: str) -> bool:
        return False  # one protocol: nothing to detect

    def _closing(self, timeout: float) -> None:
        self._pump.stop(timeout)

    def _on_close(self, channel: Channel | None, closed: ConnectionClosed) -> None:
        if self._core.closed and channel is self._channel:
            # The end the protocol asks for (session.close -> session.closed ->
            # close): not a loss to report or to reconnect from.
            self._session_ended(
                closed, "the translation session ended (session.closed)"
            )
            self._pump.stop(1.0)
            return
        if channel is not self._channel:
            super()._on_close(channel, closed)  # a replaced channel: nothing to do
            return
        # Paused before a reconnection can start (and end, resuming it): fed audio
        # waits in the pump during the outage, not in the outage buffer.
        self._pump.pause()
        super()._on_close(channel, closed)
        if self._state is not ClientState.RECONNECTING and self._closed_exc is not None:
            self._pump.stop(1.0)  # the session ended for good

    def _reconnected(self, info: Any) -> None:
        policy = self._reconnect_policy
        keep_ms = policy.audio_buffer_seconds * 1000 if policy is not None else 0
        dropped = info.dropped_audio_ms + self._pump.keep_newest(keep_ms)
        with self._lock:
            self._core.gap(info.downtime, dropped, str(info.cause))
        self._pump.resume()
        super()._reconnected(attrs.evolve(info, dropped_audio_ms=dropped))

    def _give_up(
        self, closed: ConnectionClosed, how: str, cause: RealtimeError
    ) -> None:
        super()._give_up(closed, how, cause)
        self._pump.stop(1.0)

    # -- the input ---------------------------------------------------------------------

    def append_audio(
        self,
        audio: bytes | Any,
        *,
        sample_rate: int | None = None,
        channels: int | None = None,
    ) -> None:
        """Queue source audio: the pump sends it in 200 ms appends, in place of silence.

        Bytes with no ``sample_rate`` and ``channels`` must be PCM16 little-endian
        mono at 24 kHz. Bytes with another rate or channel count are read as PCM16
        at that rate (a WAV file's frames). An array (int16, float32 or float64) of
        any rate is downmixed (``(n, channels)`` or interleaved with
        ``channels=``) and resampled to 24 kHz, with state kept across calls. May
        be called from any thread, before ``connect()`` too (sent once connected).

        Raises:
            TypeError: Not bytes and not a numeric array.
            ValueError: Odd-length bytes, a bad shape, rate or channel count, or
                float samples that are NaN or far beyond [-1, 1].
            RuntimeError: :meth:`finish` was called (the input is closed), or the
                client is closed.
        """
        with self._input_lock:
            self._check_input()
            data = self._converter.convert(audio, sample_rate, channels)
            if data:
                self._pump.feed(data)

    def _check_input(self) -> None:
        if self._input_closed or self._core.closing:
            raise RuntimeError(
                "The input is closed: finish() (or session.close) was called."
            )
        self._raise_if_closed()
        if self._state in (ClientState.CLOSING, ClientState.CLOSED):
            raise RuntimeError("The client is closed.")

    @property
    def pending_input_ms(self) -> float:
        """Milliseconds of appended audio not sent yet (queued in the pump)."""
        return self._pump.pending_ms

    @property
    def sent_input_ms(self) -> float:
        """Milliseconds of input sent so far, appended audio and silence."""
        return self._pump.sent_ms

    def _pump_send(self, chunk: bytes) -> None:
        """The pump's send (on its thread, no lock held): one append event."""
        event = tev.InputAudioBufferAppend(audio=_b64.encode(chunk))
        send_catching_up(self, lambda: self._send_event(event))

    def _pump_failed(self, exc: BaseException) -> None:
        if self._state in (ClientState.CLOSING, ClientState.CLOSED):
            return
        if self._closed_exc is not None or self._core.closed:
            return  # the connection ended: on_error heard of it already
        error = pump_error(exc)
        logger.error("%s", error)
        self._dispatch.report(error)

    # -- ending ------------------------------------------------------------------------

    def finish(self, timeout: float | None = 60.0) -> Translation:
        """End the session gracefully and return what it produced.

        Stops the input once every appended sample was sent, sends
        ``session.close`` (the server flushes its input and sends the rest of the
        translation), waits for ``session.closed`` and closes the client.

        Args:
            timeout: Seconds for the whole of it (the appended audio still queued
                goes at the pump's pace); None waits for ever.

        Returns:
            The :class:`~realtime_sync.translation.Translation`: audio, both
            transcripts, gaps.

        Raises:
            Timeout: The input did not drain, or no ``session.closed``, in time
                (the client stays open: call :meth:`close`).
            ConnectionClosed: The connection ended first.
            RuntimeError: Called from a handler, before ``connect()``, or twice.
        """
        self._check_thread("finish()")
        if self._state is ClientState.UNOPENED:
            raise RuntimeError("Call connect() (or use 'with client:') first.")
        deadline = None if timeout is None else time.monotonic() + timeout

        def left() -> float | None:
            return None if deadline is None else max(0.0, deadline - time.monotonic())

        with self._input_lock:
            if self._input_closed:
                raise RuntimeError("finish() was called already.")
            self._input_closed = True
            tail = self._converter.flush()
            if tail:
                self._pump.feed(tail)
        if not self._pump.wait_drained(left()):
            self._raise_if_closed()
            error = self._pump.error
            if error is not None:
                raise ConnectionClosed(
                    f"the input could not be sent: {error}"
                ) from error
            raise Timeout(
                f"{self._pump.pending_ms:.0f} ms of input audio were still queued "
                f"after {timeout} s"
            )
        unsent = self._pump.stop(self._connect_timeout)
        if unsent:  # cannot happen after a drain, but never drop audio silently
            logger.warning("%d bytes of input were not sent", len(unsent))
        self._send_and_wait(tev.SessionClose(), tev.SessionClosed, left())
        self.close(timeout=self._connect_timeout)
        return self.translation

    def translate(
        self,
        audio: bytes | Any,
        *,
        sample_rate: int | None = None,
        channels: int | None = None,
        timeout: float | None = 120.0,
    ) -> Translation:
        """Translate a whole recording: connect if needed, append it, :meth:`finish`.

        Blocks for about the length of the audio (the pump sends it at its pace)
        plus the service's latency.

        Args:
            audio: As for :meth:`append_audio`.
            sample_rate: As for :meth:`append_audio`.
            channels: As for :meth:`append_audio`.
            timeout: Seconds for :meth:`finish`.

        Returns:
            The :class:`~realtime_sync.translation.Translation`.
        """
        if self._state is ClientState.UNOPENED and not self._connecting:
            self.connect()
        self.append_audio(audio, sample_rate=sample_rate, channels=channels)
        return self.finish(timeout)

    def close(self, timeout: float = 5.0) -> None:
        """Close the connection and join every thread. Idempotent; safe in a handler.

        Closing without :meth:`finish` abandons the translation still on its way.
        The input pump stops first (fed audio not sent yet is logged as unsent).
        """
        self._pump.stop(timeout)
        super().close(timeout)

    # -- results -----------------------------------------------------------------------

    @property
    def translation(self) -> Translation:
        """What the session produced so far (a snapshot): audio and transcripts."""
        with self._lock:
            return self._tcore.translation()

    @property
    def transcript(self) -> str:
        """The translated text so far."""
        with self._lock:
            return self._tcore.transcript

    @property
    def source_transcript(self) -> str:
        """The source-language text so far (when transcription is on)."""
        with self._lock:
            return self._tcore.source_transcript

    @property
    def session_info(self) -> tev.TranslationSession | None:
        """The session as the server last described it."""
        return self._tcore.session_info

    @property
    def target_language(self) -> str | None:
        """The target language the server last reported (or the one asked for)."""
        info = self._tcore.session_info
        if info is not None and info.language is not None:
            return info.language
        initial = self._initial
        if initial is not None:
            audio = initial.session.audio
            output = audio.output if isinstance(audio, tev.TranslationAudio) else None
            if isinstance(output, tev.TranslationAudioOutput) and isinstance(
                output.language, str
            ):
                return output.language
        return None

    # -- sending -----------------------------------------------------------------------

    def update_session(
        self,
        *,
        target_language: str | None = None,
        input_transcription: str | bool | None = None,
        noise_reduction: str | bool | None = None,
        session: tev.TranslationSessionRequest | Mapping[str, Any] | None = None,
        wait: bool = True,
        timeout: float | None = 10.0,
    ) -> tev.TranslationSession | None:
        """Change the target language, the source transcription or noise reduction.

        Arguments as for the constructor (None leaves a setting as it is, False
        turns transcription or noise reduction off).

        Returns:
            With ``wait``, the session the server confirmed (``session.updated``);
            else None.

        Raises:
            ValueError: Nothing to change, or a bad setting.
            ServerError: The server refused it.
            Timeout: No answer in time.
            RuntimeError: Before ``connect()``, or after ``finish()``.
        """
        request = session_request(
            target_language=target_language,
            input_transcription=input_transcription,
            noise_reduction=noise_reduction,
            session=session,
        )
        if request is None:
            raise ValueError("update_session() was given nothing to change")
        if self._state is ClientState.UNOPENED:
            raise RuntimeError(
                "Call connect() first (settings for the start go to the constructor)."
            )
        self._check_input()
        event = tev.SessionUpdate(session=request)
        if not wait:
            self.send(event)
            return None
        self._check_thread("update_session(wait=True)")
        answer = self._send_and_wait(event, tev.SessionUpdated, timeout)
        assert isinstance(answer, tev.SessionUpdated)
        return answer.session
