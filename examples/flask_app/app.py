"""A Flask chat page on realtime_sync: type or speak, read and hear the answer as it streams.

Run it (against the embedded mock server, or OpenAI when OPENAI_API_KEY is set)::

    pip install -e '.[mock,examples]'
    python examples/flask_app/app.py            # then open http://127.0.0.1:5000

How the page talks to Flask (plain HTTP, no WebSocket):

* ``GET /api/events`` is a Server-Sent Events stream (``EventSource``) of everything
  the assistant does for this browser session: ``delta`` (answer text, or the
  transcript of spoken answers), ``audio`` (base64 pcm16 at 24 kHz), ``user`` (the
  transcript of what the microphone heard), ``speech`` (the user started talking:
  stop playback), ``done``, ``failure`` (an error; not ``error``, which
  ``EventSource`` uses for its own connection errors), ``status`` (``{"state":
  "reconnecting"}`` when the Realtime connection was lost, ``{"state": "connected"}``
  once a new one carries on) and ``closed`` (the session was closed for inactivity or at
  shutdown).
* ``POST /api/message`` ``{"text": "...", "speak": false}`` adds the message and asks
  for an answer, which then streams over ``/api/events``.
* ``POST /api/audio?rate=48000`` carries raw microphone audio: little-endian 16-bit
  PCM, mono, at the browser's rate (the client resamples it to the session's 24 kHz).
  The page sends one chunk at a time (about 100 ms each), so chunks arrive in order;
  the server's turn detection decides when the user has finished speaking.
  ``POST /api/audio/stop`` sends what the resampler still holds.

Each browser session (a random id in Flask's signed session cookie) gets one
:class:`realtime_sync.RealtimeClient`, kept in a :class:`ClientRegistry` that closes
clients idle for ``IDLE_TIMEOUT`` seconds: on every request, and from a janitor
thread (``flask-chat-janitor``) every ``JANITOR_INTERVAL`` seconds.

Realtime sessions end without the browser asking: the service expires them, servers
restart, networks drop. Each client has a :class:`realtime_sync.ReconnectPolicy`
(``RECONNECT``): it opens a new session, restores the configuration and the
conversation's text, and holds what the views send meanwhile, so the page and its
event stream carry on. When the policy gives up (or with ``RECONNECT=None``), the
next request of that browser opens a new session (:meth:`ClientRegistry.get`).
:func:`shutdown_app` (also run at exit) stops the janitor, closes every client and
stops the mock server.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import logging
import os
import queue
import secrets
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import numpy as np
from flask import Flask, Response, jsonify, render_template, request, session

import realtime_sync as rs
from realtime_sync import events as ev

logger = logging.getLogger(__name__)

HERE = os.path.dirname(os.path.abspath(__file__))
EXTENSION = "realtime_chat"

DEFAULTS: dict[str, Any] = {
    # "mock", "openai", or None: OpenAI when OPENAI_API_KEY is set, else the mock.
    "REALTIME_BACKEND": None,
    "REALTIME_MODEL": "gpt-realtime",
    "INSTRUCTIONS": "You are a friendly assistant. Keep answers short.",
    "VOICE": "marin",
    # Seconds without a request or assistant output after which a client is closed.
    "IDLE_TIMEOUT": 300.0,
    # Seconds between two janitor runs; None runs the janitor on requests only.
    "JANITOR_INTERVAL": 30.0,
    # Seconds between SSE keep-alive comments (they also reveal closed browsers).
    "SSE_KEEPALIVE": 15.0,
    # Seconds between the mock's streamed deltas, so that the text visibly streams.
    "MOCK_DELTA_INTERVAL": 0.03,
    # How each client survives a lost connection; None: the next request reopens.
    "RECONNECT": rs.ReconnectPolicy(restore_conversation=True),
    # The registry's clock (tests pass a controllable one).
    "CLOCK": time.monotonic,
    "MAX_AUDIO_BYTES": 1 << 20,
    "MAX_MESSAGE_CHARS": 4000,
}

Message = tuple[str, dict[str, Any]]


class ChatSession:
    """One browser session: its RealtimeClient and the event streams watching it.

    The client's handlers (on its reader thread) turn events into messages for the
    page and put them on every subscriber's queue; :meth:`close` puts ``None`` there,
    which ends the streams.

    Attributes:
        sid: The browser session id.
        client: The session's client.
        last_used: The registry clock's time of the last request or assistant output.
        closed: Set once the session is closed.
    """

    def __init__(
        self, sid: str, client: rs.RealtimeClient, clock: Callable[[], float]
    ) -> None:
        self.sid = sid
        self.client = client
        self.closed = threading.Event()
        self._clock = clock
        self.last_used = clock()
        self._lock = threading.Lock()  # guards _subscribers
        self._send_lock = threading.Lock()  # one request at a time talks to the client
        self._open_lock = threading.Lock()  # one request connects, the others wait
        self._opened = False
        self._subscribers: list[queue.SimpleQueue[Message | None]] = []
        client.on(ev.ResponseCreated, self._on_created)
        client.on(ev.ResponseOutputTextDelta, self._on_delta)
        client.on(ev.ResponseOutputAudioTranscriptDelta, self._on_delta)
        client.on(ev.ResponseOutputAudioDelta, self._on_audio)
        client.on(ev.ResponseDone, self._on_done)
        client.on(ev.InputAudioBufferSpeechStarted, self._on_speech)
        client.on(
            ev.ConversationItemInputAudioTranscriptionCompleted, self._on_transcript
        )
        client.on(ev.Error, self._on_error_event)
        client.on_error(self._on_client_error)
        client.on_reconnecting(self._on_reconnecting)
        client.on_reconnected(self._on_reconnected)

    # -- lifecycle ---------------------------------------------------------------

    def open(self) -> None:
        """Connect the client once; concurrent callers wait for the first one."""
        with self._open_lock:
            if not self._opened:
                self.client.connect()
                self._opened = True

    @property
    def is_dead(self) -> bool:
        """Whether the client lost its connection for good (no reconnection under way).

        A client whose :class:`~realtime_sync.ReconnectPolicy` is reconnecting is not
        dead: it holds what is sent meanwhile and sends it on the new connection.
        """
        return (
            self._opened
            and not self.client.is_connected
            and self.client.state is not rs.ClientState.RECONNECTING
        )

    def touch(self) -> None:
        """Mark the session as used now."""
        self.last_used = self._clock()

    def close(self, reason: str) -> None:
        """Close the client and end every event stream with a ``closed`` message."""
        if self.closed.is_set():
            return
        self.closed.set()
        self.client.close()
        self._publish("closed", {"reason": reason})
        with self._lock:
            subscribers, self._subscribers = self._subscribers, []
        for sub in subscribers:
            sub.put(None)

    # -- streams -----------------------------------------------------------------

    def subscribe(self) -> queue.SimpleQueue[Message | None]:
        """A new queue that receives the page messages from now on."""
        sub: queue.SimpleQueue[Message | None] = queue.SimpleQueue()
        with self._lock:
            if self.closed.is_set():
                sub.put(None)
            else:
                self._subscribers.append(sub)
        return sub

    def unsubscribe(self, sub: queue.SimpleQueue[Message | None]) -> None:
        """Stop feeding ``sub``; idempotent."""
        with self._lock:
            if sub in self._subscribers:
                self._subscribers.remove(sub)

    def _publish(self, kind: str, data: dict[str, Any]) -> None:
        with self._lock:
            subscribers = tuple(self._subscribers)
        for sub in subscribers:
            sub.put((kind, data))

    # -- requests ----------------------------------------------------------------

    def send_message(self, text: str, *, speak: bool) -> None:
        """Add a user message and ask for an answer; it streams to the subscribers."""
        self.touch()
        with self._send_lock:
            self.client.send_text(text)
            self.client.create_response(
                output_modalities=["audio" if speak else "text"]
            )

    def append_audio(self, pcm: bytes, sample_rate: int) -> None:
        """Append little-endian 16-bit mono PCM at ``sample_rate`` to the input buffer."""
        self.touch()
        samples = np.frombuffer(pcm, dtype="<i2")
        with self._send_lock:
            self.client.append_audio(samples, sample_rate=sample_rate)

    def flush_audio(self) -> None:
        """Send the audio the client's resampler still holds."""
        self.touch()
        with self._send_lock:
            self.client.flush_audio()

    # -- client handlers (reader thread): record and forward only -------------------

    def _on_created(self, e: ev.ResponseCreated) -> None:
        self.touch()
        self._publish("created", {"response_id": e.response.id})

    def _on_delta(
        self, e: ev.ResponseOutputTextDelta | ev.ResponseOutputAudioTranscriptDelta
    ) -> None:
        self.touch()
        self._publish("delta", {"response_id": e.response_id, "text": e.delta})

    def _on_audio(self, e: ev.ResponseOutputAudioDelta) -> None:
        self._publish("audio", {"response_id": e.response_id, "pcm16": e.delta})

    def _on_done(self, e: ev.ResponseDone) -> None:
        self.touch()
        self._publish(
            "done", {"response_id": e.response.id, "status": e.response.status}
        )

    def _on_speech(self, e: ev.InputAudioBufferSpeechStarted) -> None:
        self.touch()
        self._publish("speech", {"item_id": e.item_id})

    def _on_transcript(
        self, e: ev.ConversationItemInputAudioTranscriptionCompleted
    ) -> None:
        self._publish("user", {"item_id": e.item_id, "text": e.transcript})

    def _on_error_event(self, e: ev.Error) -> None:
        self._publish("failure", {"message": str(e.error.message)})

    def _on_client_error(self, exc: rs.RealtimeError) -> None:
        self._publish("failure", {"message": str(exc)})

    # -- reconnection hooks (the client's realtime-sync-reconnect thread) -------------

    def _on_reconnecting(self, attempt: rs.ReconnectAttempt) -> None:
        self._publish("status", {"state": "reconnecting", "attempt": attempt.attempt})

    def _on_reconnected(self, info: rs.Reconnected) -> None:
        self.touch()
        self._publish(
            "status", {"state": "connected", "restored_items": info.restored_items}
        )


class ClientRegistry:
    """One :class:`ChatSession` per browser session; closes the idle ones.

    Thread-safe: a lock guards the table; connecting and closing clients happen
    outside it, so one slow handshake does not hold up other sessions.

    Args:
        factory: Makes a new, unconnected client.
        idle_timeout: Seconds of inactivity after which :meth:`reap` closes a session.
        clock: Returns the time in seconds (``time.monotonic`` by default).
    """

    def __init__(
        self,
        factory: Callable[[], rs.RealtimeClient],
        *,
        idle_timeout: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if idle_timeout <= 0:
            raise ValueError("idle_timeout must be positive")
        self.idle_timeout = idle_timeout
        self._factory = factory
        self._clock = clock
        self._lock = threading.Lock()  # guards _sessions and _closed
        self._sessions: dict[str, ChatSession] = {}
        self._closed = False

    def get(self, sid: str) -> ChatSession:
        """The connected session of ``sid``, made (and connected) on first use.

        Raises:
            RuntimeError: The registry was closed.
            realtime_sync.RealtimeError: The client could not connect.
        """
        self.reap()
        dead = None
        with self._lock:
            if self._closed:
                raise RuntimeError("The registry is closed.")
            chat = self._sessions.get(sid)
            if chat is not None and chat.is_dead:
                dead, chat = chat, None  # the server closed it: start afresh
            if chat is None:
                chat = self._sessions[sid] = ChatSession(
                    sid, self._factory(), self._clock
                )
            chat.touch()
        if dead is not None:
            dead.close("disconnected")
        try:
            chat.open()
        except BaseException:
            with self._lock:
                if self._sessions.get(sid) is chat:
                    del self._sessions[sid]
            chat.close("failed")
            raise
        return chat

    def sids(self) -> list[str]:
        """The ids of the open sessions."""
        with self._lock:
            return list(self._sessions)

    def reap(self) -> list[str]:
        """Close the sessions idle for ``idle_timeout`` seconds or more.

        Returns:
            The ids of the sessions closed.
        """
        now = self._clock()
        with self._lock:
            idle = [
                chat
                for chat in self._sessions.values()
                if now - chat.last_used >= self.idle_timeout
            ]
            for chat in idle:
                del self._sessions[chat.sid]
        for chat in idle:
            logger.info("closing idle session %s", chat.sid[:8])
            chat.close("idle")
        return [chat.sid for chat in idle]

    def close(self) -> None:
        """Close every session; later :meth:`get` calls raise. Idempotent."""
        with self._lock:
            self._closed = True
            sessions = list(self._sessions.values())
            self._sessions.clear()
        for chat in sessions:
            chat.close("shutdown")


class Janitor:
    """A thread (``flask-chat-janitor``) that calls ``registry.reap()`` periodically.

    Args:
        registry: The registry to reap.
        interval: Seconds between two runs.
    """

    def __init__(self, registry: ClientRegistry, interval: float) -> None:
        if interval <= 0:
            raise ValueError("interval must be positive")
        self._registry = registry
        self._interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(
            target=self._run, name="flask-chat-janitor", daemon=True
        )

    def start(self) -> None:
        """Start the thread."""
        self._thread.start()

    def _run(self) -> None:
        # Event.wait is the timer: stop() wakes it at once.
        while not self._stop.wait(self._interval):
            try:
                self._registry.reap()
            except Exception:
                logger.exception("janitor run failed")

    def stop(self, timeout: float = 10.0) -> None:
        """Stop and join the thread."""
        self._stop.set()
        if self._thread.is_alive() and self._thread is not threading.current_thread():
            self._thread.join(timeout)


class ChatState:
    """What the app owns: the registry, the janitor and (offline) the mock server.

    Attributes:
        registry: The per-browser-session clients.
        backend: ``"mock"`` or ``"openai"``.
        mock: The mock server, when the backend is the mock.
    """

    def __init__(self, config: Mapping[str, Any]) -> None:
        backend = config["REALTIME_BACKEND"]
        if backend is None:
            backend = "openai" if os.environ.get("OPENAI_API_KEY") else "mock"
        if backend not in ("mock", "openai"):
            raise ValueError(
                f"REALTIME_BACKEND must be 'mock' or 'openai', not {backend!r}"
            )
        self.backend: str = backend
        self.mock: Any = None
        session_config = rs.SessionConfig(
            instructions=config["INSTRUCTIONS"],
            voice=config["VOICE"],
            output_modalities=["audio"],  # voice turns are answered aloud
            transcription=ev.TranscriptionConfig(model="gpt-4o-mini-transcribe"),
        )
        reconnect: rs.ReconnectPolicy | None = config["RECONNECT"]
        if backend == "mock":
            from realtime_sync.testing import MockRealtimeServer

            self.mock = MockRealtimeServer(
                delta_interval=config["MOCK_DELTA_INTERVAL"]
            ).start()
            url = self.mock.url

            def factory() -> rs.RealtimeClient:
                return rs.RealtimeClient(
                    url=url, session=session_config, reconnect=reconnect
                )

        else:
            model = config["REALTIME_MODEL"]

            def factory() -> rs.RealtimeClient:
                return rs.RealtimeClient(
                    model=model, session=session_config, reconnect=reconnect
                )

        self.registry = ClientRegistry(
            factory, idle_timeout=config["IDLE_TIMEOUT"], clock=config["CLOCK"]
        )
        self.janitor: Janitor | None = None
        if config["JANITOR_INTERVAL"] is not None:
            self.janitor = Janitor(self.registry, config["JANITOR_INTERVAL"])
            self.janitor.start()
        self._closed = False
        self._lock = threading.Lock()

    def close(self) -> None:
        """Stop the janitor, close every client, stop the mock server. Idempotent."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
        if self.janitor is not None:
            self.janitor.stop()
        self.registry.close()
        if self.mock is not None:
            self.mock.stop()


def _sse(kind: str, data: Mapping[str, Any]) -> str:
    return f"event: {kind}\ndata: {json.dumps(data)}\n\n"


def _sid() -> str:
    sid = session.get("sid")
    if not isinstance(sid, str):
        sid = session["sid"] = secrets.token_urlsafe(18)
    return sid


def _error(message: str, status: int) -> tuple[Response, int]:
    return jsonify({"error": message}), status


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """The Flask app; ``config`` overrides :data:`DEFAULTS` (and Flask's own keys).

    The app owns a :class:`ChatState` (``app.extensions["realtime_chat"]``);
    :func:`shutdown_app` releases it (also registered with :mod:`atexit`).
    """
    app = Flask(
        __name__,
        root_path=HERE,
        template_folder="templates",
        static_folder="static",
    )
    app.config.update(DEFAULTS)
    app.config["SECRET_KEY"] = secrets.token_hex(32)
    app.config.update(config or {})
    state = ChatState(app.config)
    app.extensions[EXTENSION] = state
    atexit.register(state.close)

    @app.before_request
    def reap_idle() -> None:
        state.registry.reap()

    @app.get("/")
    def index() -> str:
        _sid()
        return render_template("index.html", backend=state.backend)

    @app.get("/api/events")
    def events() -> Response | tuple[Response, int]:
        sid = _sid()
        try:
            chat = state.registry.get(sid)
        except (rs.RealtimeError, RuntimeError) as exc:
            return _error(f"could not open a realtime session: {exc}", 502)
        sub = chat.subscribe()
        keepalive = app.config["SSE_KEEPALIVE"]

        def stream() -> Iterator[str]:
            try:
                yield _sse("ready", {"backend": state.backend})
                while True:
                    try:
                        message = sub.get(timeout=keepalive)
                    except queue.Empty:
                        yield ": keep-alive\n\n"
                        continue
                    if message is None:
                        return
                    yield _sse(*message)
            finally:
                chat.unsubscribe(sub)

        response = Response(stream(), mimetype="text/event-stream")
        response.headers["Cache-Control"] = "no-cache"
        response.headers["X-Accel-Buffering"] = "no"  # nginx: do not buffer
        response.call_on_close(lambda: chat.unsubscribe(sub))
        return response

    @app.post("/api/message")
    def message() -> tuple[Response, int]:
        body = request.get_json(silent=True)
        if not isinstance(body, dict):
            body = {}
        text = body.get("text")
        if not isinstance(text, str) or not text.strip():
            return _error('send JSON {"text": "..."}', 400)
        if len(text) > app.config["MAX_MESSAGE_CHARS"]:
            return _error("message too long", 413)
        try:
            chat = state.registry.get(_sid())
            chat.send_message(text, speak=bool(body.get("speak")))
        except (rs.RealtimeError, RuntimeError) as exc:
            return _error(str(exc), 502)
        return jsonify({"status": "accepted"}), 202

    @app.post("/api/audio")
    def audio() -> tuple[Response, int] | tuple[str, int]:
        rate = request.args.get("rate", type=int)
        if rate is None or not 8000 <= rate <= 192000:
            return _error("give ?rate= (8000 to 192000 Hz)", 400)
        length = request.content_length
        if length is not None and length > app.config["MAX_AUDIO_BYTES"]:
            return _error("audio chunk too large", 413)
        pcm = request.get_data(cache=False)
        if len(pcm) % 2:
            return _error("16-bit PCM has an even number of bytes", 400)
        try:
            state.registry.get(_sid()).append_audio(pcm, rate)
        except (rs.RealtimeError, RuntimeError) as exc:
            return _error(str(exc), 502)
        return "", 204

    @app.post("/api/audio/stop")
    def audio_stop() -> tuple[Response, int] | tuple[str, int]:
        try:
            state.registry.get(_sid()).flush_audio()
        except (rs.RealtimeError, RuntimeError) as exc:
            return _error(str(exc), 502)
        return "", 204

    return app


def shutdown_app(app: Flask) -> None:
    """Stop the janitor, close every client and the mock server. Idempotent."""
    state = app.extensions.get(EXTENSION)
    if state is not None:
        state.close()


def main() -> None:
    logging.basicConfig(level=logging.INFO)
    app = create_app()
    try:
        # threaded: each open event stream holds a request thread.
        app.run(
            host="127.0.0.1", port=int(os.environ.get("PORT", "5000")), threaded=True
        )
    finally:
        with contextlib.suppress(Exception):
            shutdown_app(app)


if __name__ == "__main__":
    main()
