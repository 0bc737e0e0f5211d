"""MockRealtimeServer: a real WebSocket server on 127.0.0.1 that runs a Responder.

Theory of operation
-------------------

Threads (none is named ``realtime-sync-*``; the test suite reserves that prefix for
the client's threads):

* ``mock-realtime-server`` runs websockets' ``serve_forever()``: it accepts TCP
  connections and starts one handler thread per connection.
* ``mock-realtime-conn-N`` (websockets' handler thread, renamed) is the only reader of
  its connection: ``recv()`` -> ``Codec.decode_client()`` -> ``Responder.handle()``,
  whose events go to the connection's outbox. It never sends.
* ``mock-realtime-send-N`` is the only sender of its connection. It sends the outbox
  first, then pulls the next event of an active response from the Responder,
  pausing ``delta_interval`` seconds after each streamed delta (with
  ``pace="realtime"``, at least the duration of each audio delta). The pause is a
  ``Condition.wait`` so that new outbox events, a cancel and ``stop()`` all cut it
  short. It also enforces ``max_session_seconds`` (``error`` ``session_expired``,
  then close 1001) and ``fault(close_after_events=)``, and records every frame it
  sent in :attr:`MockRealtimeServer.sent` (unless ``record=False``).

Faults (``fault()``, ``stall()``, ``send_malformed()``, ``drop_all()``,
``close_all()``) are per server: they apply to every connection open at the call,
and ``fault()`` and ``stall()`` also to connections opened later (until cleared or
over). A stall holds both threads of every connection: the sender sends nothing
and the reader handles nothing (the frame it may already be waiting for is
handled when the stall ends).

One ``Condition`` per connection guards its Responder, its outbox and its closing
flag; both threads take it for every step, so the order in which they take it is the
order on the wire. That is what makes ``response.cancel`` exact: every delta pulled
before the cancel is sent before the closing events it produces, and none after.

Shutdown (``stop()``): flag every connection as closing (senders return at once, even
mid-pause), then websockets' ``shutdown()`` closes the listening socket, sends close
frames (code 1001) and waits for the handler threads, each of which joins its sender.
A client that never answers the close frame is dropped after ``close_timeout``.
"""

from __future__ import annotations

import itertools
import json
import logging
import re
import threading
from collections.abc import Callable
from http import HTTPStatus
from types import TracebackType
from typing import Any, Literal
from urllib.parse import parse_qs, urlsplit

from websockets.datastructures import Headers
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request, Response
from websockets.sync.server import Server, ServerConnection, serve
from websockets.typing import Subprotocol

from realtime_sync.events import (
    ClientEvent,
)
from realtime_sync.exceptions import ProtocolError
from realtime_sync.protocol.codec import Dialect
from realtime_sync.testing._apis import (
    ConnectRequest,
    MockApi,
    MockResponder,
    api_for_path,
    get_api,
)
from realtime_sync.testing._connection import _Connection, _Faults
from realtime_sync.testing._server_faults import _ServerFaults

__all__ = ["MockRealtimeServer"]

logger = logging.getLogger(__name__)

_SECRET_HEADERS = frozenset({"authorization", "api-key", "sec-websocket-protocol"})
_API_KEY_QUERY = re.compile(r"(?i)(api-key=)[^&\s]*")


class _RedactSecrets(logging.Filter):
    """Keep credentials out of websockets' DEBUG handshake logs.

    websockets logs every request header (``< Authorization: Bearer sk-...``) and the
    request line; the style guide says never log the API key, and the client's tests
    check the whole captured log for it.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if not isinstance(args, tuple) or not args:
            return True
        first = args[0]
        if (
            len(args) == 2
            and isinstance(first, str)
            and first.lower() in _SECRET_HEADERS
        ):
            record.args = (first, "[redacted]")  # "< %s: %s" header lines
        else:  # the request line "< %s %s %s" may carry ?api-key=
            record.args = tuple(
                _API_KEY_QUERY.sub(r"\1[redacted]", a) if isinstance(a, str) else a
                for a in args
            )
        return True


# The server's own logger for websockets (not websockets' global one), so the filter
# touches nothing else; adding it once, at import, keeps it from piling up.
_ws_logger = logging.getLogger(__name__ + ".websockets")
_ws_logger.addFilter(_RedactSecrets())

_BAD_KEY_BODY = {
    "error": {
        "message": "Incorrect API key provided.",
        "type": "invalid_request_error",
        "code": "invalid_api_key",
        "param": None,
    }
}
_KEY_SUBPROTOCOL = "openai-insecure-api-key."
_BETA_SUBPROTOCOL = "openai-beta.realtime-v1"


class MockRealtimeServer(_ServerFaults):
    """A local Realtime API server for tests, demos and offline development.

    A real WebSocket server (websockets' sync server) on ``host``, a free port by
    default, speaking the GA or beta protocol through the same
    :class:`~realtime_sync.protocol.Codec` the client uses, reversed. Each
    connection gets its own :class:`Responder`, which answers client events as the
    real server would (see its docstring for the replies). Usable as a context
    manager::

        with MockRealtimeServer() as server:
            client = rs.RealtimeClient(url=server.url, api_key="test")

    The dialect is ``dialect`` for every connection, except that a handshake with
    ``OpenAI-Beta: realtime=v1`` (or the ``openai-beta.realtime-v1`` subprotocol, or
    Azure's classic ``/openai/realtime?api-version=...`` path) gets the beta dialect.
    In beta, ``conversation.item.done`` is not sent (beta has no such event).

    One server answers every API of the service, chosen by the handshake's path as
    the real service does: ``/v1/realtime`` (or Azure's ``/openai/realtime`` or
    ``/openai/v1/realtime``) gets the Realtime protocol, ``/v1/live/sessions`` (or
    Azure's ``/openai/v1/live/sessions``) the Live protocol,
    ``/v1/realtime/translations`` the Translation protocol (see
    :mod:`realtime_sync.testing._apis` for the registry). Any other path gets HTTP
    404 with the service's JSON error body (code ``unknown_url``), as the real
    service answers.

    Args:
        dialect: ``"ga"`` or ``"beta"`` (the Realtime protocol only).
        api: The API :attr:`url` points to and ``responder_factory`` serves:
            ``"realtime"`` (the default), ``"live"`` or ``"translation"``.
        responder_factory: Called with no argument for each connection to the
            ``api``'s paths (the other paths get their API's default responder);
            for the Realtime API, by default
            ``Responder(<the connection's dialect>, model=<the URL's model>)``. The
            connection's dialect still decides the wire format; the Responder's own
            dialect decides what only it knows (``conversation.created`` on connect,
            beta-only session fields).
        host: The interface to listen on.
        port: The port; ``0`` picks a free one (see :attr:`port`).
        delta_interval: Seconds between two streamed deltas of a response, so that a
            test can act (``response.cancel``) while a response is active. ``0``
            streams as fast as the socket allows.
        require_api_key: When set, the handshake must carry ``Authorization: Bearer
            <key>`` (or ``api-key: <key>``, or the browser subprotocol
            ``openai-insecure-api-key.<key>``); else the server answers HTTP 401
            with OpenAI's JSON error body.
        close_timeout: Seconds to wait for a client's answer to a close frame before
            dropping the connection.
        pace: ``"instant"`` sends a response as fast as the socket allows (apart
            from ``delta_interval``); ``"realtime"`` spaces the audio deltas by their
            duration, as a server producing speech in real time would.
        audio_chunk_ms: Audio per ``response.output_audio.delta`` of the default
            Responders.
        audio_ms: The duration of every spoken reply of the default Responders, in
            milliseconds (the knob for short tests); ``None``: it follows the reply's
            transcript at speaking pace (see :class:`Responder`).
        max_session_seconds: When set, each session ends that many seconds after
            it started: an ``error`` with code ``session_expired`` ("Your session
            hit the maximum duration of N minutes.", or seconds), then a close
            frame with code 1001 and that message as reason (§1.7).
        record: Keep every client event received (:attr:`received`), every
            frame sent (:attr:`sent`) and the Responder of every connection,
            closed ones included (:attr:`responders`), for tests to inspect (the
            default). ``False`` keeps none of them, so that a long-running server
            (``realtime-sync mock-server``, a soak) does not grow by every frame:
            :attr:`received`, :attr:`sent` and their ``wait_for_*`` then raise
            :class:`RuntimeError`, and :attr:`responders` lists the open
            connections' only. Each Responder still keeps its conversation.

    A URL with ``?intent=transcription`` gets a transcription session
    (``Responder(session_type="transcription")``): ``session.created`` with a
    :class:`~realtime_sync.events.TranscriptionSession` (beta:
    ``transcription_session.created``) and no responses.

    Raises:
        ValueError: For an unknown dialect, API (or one without a fixed URL, such as
            ``"live-sideband"``) or pace, a negative ``delta_interval``,
            or a non-positive ``audio_chunk_ms``, ``audio_ms`` or
            ``max_session_seconds``.
    """

    def __init__(
        self,
        dialect: Dialect = "ga",
        *,
        api: str = "realtime",
        responder_factory: Callable[[], MockResponder] | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        delta_interval: float = 0.0,
        require_api_key: str | None = None,
        close_timeout: float = 0.5,
        pace: Literal["instant", "realtime"] = "instant",
        audio_chunk_ms: int = 100,
        audio_ms: int | None = None,
        max_session_seconds: float | None = None,
        record: bool = True,
    ) -> None:
        if dialect not in ("ga", "beta"):
            raise ValueError(f"dialect must be 'ga' or 'beta', not {dialect!r}")
        if not isinstance(api, str):
            raise TypeError(f"api must be a string, not {type(api).__name__}")
        self.api: MockApi = get_api(api)
        if not self.api.paths:
            raise ValueError(
                f"the {api!r} API has no fixed URL (it serves {self.api.url_path}); "
                "serve its main API and connect to that path"
            )
        if delta_interval < 0:
            raise ValueError("delta_interval must not be negative")
        if pace not in ("instant", "realtime"):
            raise ValueError(f"pace must be 'instant' or 'realtime', not {pace!r}")
        if audio_chunk_ms < 1:
            raise ValueError("audio_chunk_ms must be at least 1")
        if audio_ms is not None and audio_ms < 1:
            raise ValueError("audio_ms must be at least 1")
        if max_session_seconds is not None and not max_session_seconds > 0:
            raise ValueError("max_session_seconds must be positive")
        self.pace = pace
        self.audio_chunk_ms = audio_chunk_ms
        self.audio_ms = audio_ms
        self.max_session_seconds = max_session_seconds
        self.record = record
        self._faults = _Faults()
        self._sent: list[str] = []
        self._sent_cond = threading.Condition()
        self.dialect: Dialect = dialect
        self.host = host
        self.delta_interval = delta_interval
        self.require_api_key = require_api_key
        self.close_timeout = close_timeout
        self._requested_port = port
        self._factory = responder_factory
        self._lock = threading.Lock()  # guards the fields below
        self._received_cond = threading.Condition(self._lock)
        self._received: list[ClientEvent] = []
        self._conns: dict[int, _Connection] = {}
        self._responders: list[MockResponder] = []
        self._total = 0
        self._numbers = itertools.count(1)
        self._server: Server | None = None
        self._thread: threading.Thread | None = None
        self._handler_threads: list[threading.Thread] = []
        self._port: int | None = None
        self._state = "unopened"  # -> "open" -> "closed"

    # -- lifecycle ---------------------------------------------------------------------

    def start(self) -> MockRealtimeServer:
        """Bind, listen and serve in a background thread.

        Returns:
            The server itself, for chaining.

        Raises:
            RuntimeError: The server was already started, or stopped.
            OSError: The address cannot be bound.
        """
        with self._lock:
            if self._state == "open":
                raise RuntimeError("The server is already running.")
            if self._state == "closed":
                raise RuntimeError("Cannot restart a server once it has been stopped.")
            self._state = "open"
        try:
            server = self._serve()
        except BaseException:
            with self._lock:
                self._state = "unopened"
            raise
        self._server = server
        self._port = server.socket.getsockname()[1]
        self._thread = threading.Thread(
            target=server.serve_forever, name="mock-realtime-server", daemon=True
        )
        self._thread.start()
        logger.info("mock Realtime server listening on %s", self.url)
        return self

    def _serve(self) -> Server:
        return serve(
            self._handle,
            self.host,
            self._requested_port,
            process_request=self._process_request,
            select_subprotocol=self._select_subprotocol,
            compression=None,
            max_size=None,
            ping_interval=None,
            close_timeout=self.close_timeout,
            logger=_ws_logger,
        )

    def stop(self, timeout: float = 5.0) -> None:
        """Close every connection, stop listening and join every thread.

        Idempotent; connected clients receive a close frame (code 1001) and are
        dropped if they do not answer within ``close_timeout``.

        Args:
            timeout: Seconds to wait for each thread to finish.
        """
        with self._lock:
            if self._state != "open":
                self._state = "closed"
                return
            self._state = "closed"
            conns = list(self._conns.values())
        for conn in conns:
            conn.shut()
        # Close the connections ourselves (1001, going away): websockets 17's
        # shutdown() would, but 16 and older only stop accepting new ones.
        for conn in conns:
            conn.going_away()
        assert self._server is not None and self._thread is not None
        self._server.shutdown()
        self._thread.join(timeout)
        with self._lock:
            threads = list(self._handler_threads)
        for thread in threads:
            if thread is not threading.current_thread():
                thread.join(timeout)
        alive = [t.name for t in [self._thread, *threads] if t.is_alive()]
        if alive:
            logger.warning("mock server threads did not stop: %s", alive)

    def close(self) -> None:
        """Same as :meth:`stop`."""
        self.stop()

    def __enter__(self) -> MockRealtimeServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # -- addresses ---------------------------------------------------------------------

    @property
    def port(self) -> int:
        """The port the server listens on.

        Raises:
            RuntimeError: The server has not been started.
        """
        if self._port is None:
            raise RuntimeError("The server has not been started.")
        return self._port

    @property
    def url(self) -> str:
        """The WebSocket URL of the server's ``api``.

        ``ws://127.0.0.1:PORT/v1/realtime?model=gpt-realtime`` for Realtime (GA),
        ``ws://127.0.0.1:PORT/v1/live/sessions`` for Live.
        """
        return f"ws://{self.host}:{self.port}{self.api.url_path}"

    def url_for(self, api: str) -> str:
        """The WebSocket URL of another API on this same server.

        Raises:
            ValueError: No such API.
        """
        return f"ws://{self.host}:{self.port}{get_api(api).url_path}"

    @property
    def base_url(self) -> str:
        """The HTTP base URL an OpenAI SDK would be given, ``http://127.0.0.1:PORT/v1``."""
        return f"http://{self.host}:{self.port}/v1"

    # -- what happened, for tests ------------------------------------------------------

    @property
    def connections(self) -> int:
        """The number of connections open now."""
        with self._lock:
            return len(self._conns)

    def wait_for_connections(self, count: int, timeout: float = 5.0) -> None:
        """Wait until exactly ``count`` connections are open (``0``: all closed).

        Raises:
            TimeoutError: Another number were open after ``timeout`` seconds.
        """
        with self._received_cond:
            if not self._received_cond.wait_for(
                lambda: len(self._conns) == count, timeout
            ):
                raise TimeoutError(
                    f"{len(self._conns)} connections open after {timeout} s, "
                    f"not {count}"
                )

    @property
    def total_connections(self) -> int:
        """The number of connections accepted since :meth:`start`."""
        with self._lock:
            return self._total

    @property
    def received(self) -> list[ClientEvent]:
        """A copy of every client event decoded so far, all connections, in order.

        Raises:
            RuntimeError: The server does not record (``record=False``).
        """
        self._check_recording("received")
        with self._lock:
            return list(self._received)

    @property
    def responders(self) -> list[Any]:
        """The Responder of every connection so far, in connection order.

        With ``record=False``, those of the open connections only. Read their
        state only while the connection is quiet (they are not thread-safe).
        """
        with self._lock:
            return list(self._responders)

    @property
    def sent(self) -> list[str]:
        """A copy of every text frame sent so far, all connections, in order.

        The raw text, exactly as on the wire (after the dialect's translation),
        including malformed frames from :meth:`send_malformed`.

        Raises:
            RuntimeError: The server does not record (``record=False``).
        """
        self._check_recording("sent")
        with self._sent_cond:
            return list(self._sent)

    def wait_for_sent(
        self,
        predicate: Callable[[list[str]], bool] | str,
        timeout: float = 5.0,
    ) -> list[str]:
        """Wait until the frames sent so far satisfy a condition.

        Args:
            predicate: A function of the list of sent frames, or a wire type such
                as ``"response.done"``: wait until a frame of that type was sent.
            timeout: Seconds to wait.

        Returns:
            A copy of the sent frames, taken when the condition held.

        Raises:
            TimeoutError: The condition did not hold within ``timeout``.
            RuntimeError: The server does not record (``record=False``).
        """
        self._check_recording("wait_for_sent")
        check: Callable[[list[str]], bool]
        if isinstance(predicate, str):
            wanted = predicate

            def check(frames: list[str]) -> bool:
                return any(_frame_type(f) == wanted for f in frames)

        else:
            check = predicate
        with self._sent_cond:
            if not self._sent_cond.wait_for(lambda: check(list(self._sent)), timeout):
                raise TimeoutError(f"sent frames did not match within {timeout} s")
            return list(self._sent)

    def _check_recording(self, what: str) -> None:
        if not self.record:
            raise RuntimeError(
                f"{what}: this MockRealtimeServer does not record (record=False)"
            )

    def _record_sent(self, text: str) -> None:
        if not self.record:
            return
        with self._sent_cond:
            self._sent.append(text)
            self._sent_cond.notify_all()

    def wait_for_received(
        self,
        predicate: Callable[[list[ClientEvent]], bool] | str,
        timeout: float = 5.0,
    ) -> list[ClientEvent]:
        """Wait until the client events received so far satisfy a condition.

        Like ``EventRecorder.wait_until`` in the test helpers, the predicate sees the
        whole list, so it can count (``lambda evs: len(evs) >= 3``) as well as look
        for one event.

        Args:
            predicate: A function of the list of received events (all connections,
                in order), or a GA type string such as ``"response.cancel"``: wait
                until an event of that type has been received.
            timeout: Seconds to wait.

        Returns:
            A copy of the received events, taken when the condition held.

        Raises:
            TimeoutError: The condition did not hold within ``timeout``.
            RuntimeError: The server does not record (``record=False``).
        """
        self._check_recording("wait_for_received")
        check: Callable[[list[ClientEvent]], bool]
        if isinstance(predicate, str):
            wanted = predicate

            def check(events: list[ClientEvent]) -> bool:
                return any(e.type == wanted for e in events)

        else:
            check = predicate
        with self._received_cond:
            if not self._received_cond.wait_for(
                lambda: check(list(self._received)), timeout
            ):
                raise TimeoutError(
                    f"received client events did not match within {timeout} s"
                )
            return list(self._received)

    # -- websockets callbacks ----------------------------------------------------------

    def _process_request(
        self, connection: ServerConnection, request: Request
    ) -> Response | None:
        path = urlsplit(request.path).path
        if api_for_path(path) is None:
            # The service routes before it upgrades: an unknown path is an HTTP 404
            # with its JSON error body (§1.7), never a session.
            return _json_response(HTTPStatus.NOT_FOUND, _unknown_url_body(path))
        if self.require_api_key is None:
            return None
        key = self.require_api_key
        headers = request.headers
        offered = _offered_subprotocols(headers)
        query = parse_qs(urlsplit(request.path).query)
        if (
            headers.get("Authorization") == f"Bearer {key}"
            or headers.get("api-key") == key
            or _KEY_SUBPROTOCOL + key in offered
            or query.get("api-key") == [key]
        ):
            return None
        return _json_response(HTTPStatus.UNAUTHORIZED, _BAD_KEY_BODY)

    @staticmethod
    def _select_subprotocol(
        connection: ServerConnection, subprotocols: Any
    ) -> Subprotocol | None:
        # Browsers offer "realtime" plus the key and beta markers (§1.1): echo
        # "realtime"; accept anything else without a subprotocol.
        if "realtime" in subprotocols:
            return Subprotocol("realtime")
        return None

    def _connect_request(self, request: Request | None) -> ConnectRequest:
        """What a handshake asked for, for the API's factories."""
        options = {
            "audio_chunk_ms": self.audio_chunk_ms,
            "audio_ms": self.audio_ms,
            "max_session_seconds": self.max_session_seconds,
        }
        if request is None:
            return ConnectRequest(
                path=urlsplit(self.api.url_path).path,
                dialect=self.dialect,
                options=options,
            )
        split = urlsplit(request.path)
        return ConnectRequest(
            path=split.path,
            query=parse_qs(split.query),
            headers={k.lower(): v for k, v in request.headers.raw_items()},
            dialect=self._dialect_for(request),
            options=options,
        )

    def _dialect_for(self, request: Request | None) -> Dialect:
        if request is None:
            return self.dialect
        headers = request.headers
        beta_header = headers.get("OpenAI-Beta", "").replace(" ", "")
        if "realtime=v1" in beta_header.split(","):
            return "beta"
        if _BETA_SUBPROTOCOL in _offered_subprotocols(headers):
            return "beta"
        split = urlsplit(request.path)
        # Azure's classic deployments path speaks beta (§1.3).
        if split.path.rstrip("/").endswith(
            "/openai/realtime"
        ) and "api-version" in parse_qs(split.query):
            return "beta"
        return self.dialect

    def _handle(self, ws: ServerConnection) -> None:
        number = next(self._numbers)
        threading.current_thread().name = f"mock-realtime-conn-{number}"
        request = self._connect_request(ws.request)
        api = api_for_path(request.path) or self.api
        responder: MockResponder
        if self._factory is not None and api is self.api:
            responder = self._factory()
        else:
            responder = api.make_responder(request)
        conn = _Connection(
            number, ws, api.make_codec(request), responder, self, api=api
        )
        bind = getattr(responder, "bind", None)
        if callable(bind):
            bind(conn.push)
        with self._faults.lock:
            conn.close_after = self._faults.close_after
        with self._lock:
            if self._state != "open":
                return
            self._conns[number] = conn
            self._received_cond.notify_all()  # wait_for_connections()
            self._responders.append(responder)
            # Finished handler threads need no join: a long-running server does
            # not keep one per connection it ever had.
            self._handler_threads = [t for t in self._handler_threads if t.is_alive()]
            self._handler_threads.append(threading.current_thread())
            self._total += 1
        logger.info(
            "mock connection %d opened (%s, %s)", number, api.name, request.dialect
        )
        try:
            with conn.cond:
                conn.post(responder.start())
            conn.sender.start()
            self._read_loop(conn)
        except ConnectionClosed:
            pass
        finally:
            conn.shut()
            if conn.sender.is_alive():
                conn.sender.join(self.close_timeout + 5.0)
                if conn.sender.is_alive():
                    logger.warning("%s did not stop", conn.sender.name)
            with self._lock:
                self._conns.pop(number, None)
                self._received_cond.notify_all()  # wait_for_connections()
                if not self.record:
                    self._responders.remove(responder)
            logger.info("mock connection %d closed", number)

    def _read_loop(self, conn: _Connection) -> None:
        while True:
            conn.wait_stall()
            message = conn.ws.recv()
            conn.wait_stall()
            try:
                event = conn.codec.decode_client(message)
            except ProtocolError as exc:
                with conn.cond:
                    conn.post(
                        conn.responder.invalid_frame(_problem(exc), _event_id(message))
                    )
                continue
            if self.record:
                with self._received_cond:
                    self._received.append(event)
                    self._received_cond.notify_all()
            with conn.cond:
                try:
                    events = conn.responder.handle(event)
                except Exception:
                    logger.exception("mock Responder failed on %s", event.type)
                    client_id = (
                        event.event_id if isinstance(event.event_id, str) else None
                    )
                    events = conn.responder.server_error(client_id)
                conn.post(events)


def _offered_subprotocols(headers: Headers) -> list[str]:
    offered: list[str] = []
    for value in headers.get_all("Sec-WebSocket-Protocol"):
        offered.extend(p.strip() for p in value.split(","))
    return offered


def _frame_type(frame: str) -> str | None:
    """The ``type`` of a sent frame, or ``None`` when it is not a JSON event."""
    try:
        data = json.loads(frame)
    except ValueError:
        return None
    value = data.get("type") if isinstance(data, dict) else None
    return value if isinstance(value, str) else None


def _problem(exc: ProtocolError) -> str:
    """The ``error.message`` for an undecodable frame."""
    text = str(exc)
    if exc.path == "$.type" and text.startswith("missing"):
        return "The 'type' field is missing."
    return f"Invalid client event: {text}"


def _event_id(message: str | bytes) -> str | None:
    """The ``event_id`` of a frame that failed to decode, when it can be read."""
    try:
        data = json.loads(message)
    except ValueError:
        return None
    value = data.get("event_id") if isinstance(data, dict) else None
    return value if isinstance(value, str) else None


def _unknown_url_body(path: str) -> dict[str, Any]:
    # The body OpenAI's API sends for an unknown route (as reported in 2024, e.g.
    # InternLM/MindSearch issue 150: code unknown_url, "Unknown request URL: ...").
    return {
        "error": {
            "message": f"Unknown request URL: GET {path}. Please check the URL for "
            "typos, or see the docs at https://platform.openai.com/docs/api-reference/.",
            "type": "invalid_request_error",
            "param": None,
            "code": "unknown_url",
        }
    }


def _json_response(status: HTTPStatus, body: dict[str, Any]) -> Response:
    """An HTTP error answer to the handshake, with a JSON body (§1.7)."""
    data = json.dumps(body).encode()
    headers = Headers(
        [
            ("Content-Type", "application/json"),
            ("Content-Length", str(len(data))),
            ("Connection", "close"),
        ]
    )
    return Response(status.value, status.phrase, headers, data)
