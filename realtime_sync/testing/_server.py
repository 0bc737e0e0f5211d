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
  pausing ``delta_interval`` seconds after each streamed delta. The pause is a
  ``Condition.wait`` so that new outbox events, a cancel and ``stop()`` all cut it
  short.

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

import collections
import contextlib
import itertools
import json
import logging
import re
import socket
import threading
import time
from collections.abc import Callable
from http import HTTPStatus
from types import TracebackType
from typing import Any
from urllib.parse import parse_qs, urlsplit

from websockets.datastructures import Headers
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request, Response
from websockets.sync.server import Server, ServerConnection, serve
from websockets.typing import Subprotocol

from realtime_sync.events import ClientEvent, ConversationItemDone, ServerEvent
from realtime_sync.exceptions import ProtocolError
from realtime_sync.protocol.codec import Codec, Dialect
from realtime_sync.testing._responder import Responder

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


class _Connection:
    """One client connection: its codec, its Responder, its outbox and sender."""

    def __init__(
        self,
        number: int,
        ws: ServerConnection,
        codec: Codec,
        responder: Responder,
        delta_interval: float,
    ) -> None:
        self.number = number
        self.ws = ws
        self.codec = codec
        self.responder = responder
        self.delta_interval = delta_interval
        self.cond = threading.Condition()
        self.outbox: collections.deque[ServerEvent] = collections.deque()
        self.closing = False
        self.sender = threading.Thread(
            target=self._send_loop, name=f"mock-realtime-send-{number}", daemon=True
        )

    def post(self, events: list[ServerEvent]) -> None:
        """Queue events for the sender (call with ``cond`` held)."""
        if events:
            self.outbox.extend(events)
            self.cond.notify_all()

    def shut(self) -> None:
        """Stop the sender at its next step, even mid-pause."""
        with self.cond:
            self.closing = True
            self.cond.notify_all()

    def _next(self, not_before: float) -> tuple[ServerEvent, bool] | None:
        """The next event to send and whether it came from a response stream."""
        with self.cond:
            while not self.closing:
                if self.outbox:
                    return self.outbox.popleft(), False
                if self.responder.active_responses:
                    delay = not_before - time.monotonic()
                    if delay <= 0:
                        event = self.responder.next_event()
                        if event is not None:
                            return event, True
                        continue
                    self.cond.wait(delay)
                else:
                    self.cond.wait()
            return None

    def _send_loop(self) -> None:
        beta = self.codec.dialect == "beta"
        not_before = 0.0
        while (step := self._next(not_before)) is not None:
            event, streamed = step
            if beta and isinstance(event, ConversationItemDone):
                continue  # beta has no conversation.item.done (§7.2)
            try:
                self.ws.send(self.codec.encode_server(event))
            except ConnectionClosed:
                return
            except Exception:
                logger.exception("mock server could not send %s", event.type)
                return
            if streamed and self.delta_interval > 0 and event.type.endswith(".delta"):
                not_before = time.monotonic() + self.delta_interval


class MockRealtimeServer:
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

    Args:
        dialect: ``"ga"`` or ``"beta"``.
        responder_factory: Called with no argument for each connection; by default
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

    Raises:
        ValueError: For an unknown dialect or a negative ``delta_interval``.
    """

    def __init__(
        self,
        dialect: Dialect = "ga",
        *,
        responder_factory: Callable[[], Responder] | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        delta_interval: float = 0.0,
        require_api_key: str | None = None,
        close_timeout: float = 0.5,
    ) -> None:
        if dialect not in ("ga", "beta"):
            raise ValueError(f"dialect must be 'ga' or 'beta', not {dialect!r}")
        if delta_interval < 0:
            raise ValueError("delta_interval must not be negative")
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
        self._responders: list[Responder] = []
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
        """The WebSocket URL of the GA endpoint, ``ws://127.0.0.1:PORT/v1/realtime?model=gpt-realtime``."""
        return f"ws://{self.host}:{self.port}/v1/realtime?model=gpt-realtime"

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

    @property
    def total_connections(self) -> int:
        """The number of connections accepted since :meth:`start`."""
        with self._lock:
            return self._total

    @property
    def received(self) -> list[ClientEvent]:
        """A copy of every client event decoded so far, all connections, in order."""
        with self._lock:
            return list(self._received)

    @property
    def responders(self) -> list[Responder]:
        """The Responder of every connection so far, in connection order.

        Read their state only while the connection is quiet (they are not
        thread-safe).
        """
        with self._lock:
            return list(self._responders)

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
        """
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

    # -- fault injection ---------------------------------------------------------------

    def close_all(self, code: int = 1000, reason: str = "") -> None:
        """Close every open connection with a close frame, as a server would.

        Returns once the closing handshakes are done (or ``close_timeout`` passed).

        Args:
            code: The WebSocket close code, e.g. ``1001`` or ``1011``.
            reason: The close reason.
        """
        with self._lock:
            conns = list(self._conns.values())
        closers = []
        for conn in conns:
            conn.shut()
            closer = threading.Thread(
                target=conn.ws.close,
                args=(code, reason),
                name=f"mock-realtime-close-{conn.number}",
                daemon=True,
            )
            closer.start()
            closers.append(closer)
        for closer in closers:
            closer.join(self.close_timeout + 5.0)

    def drop_all(self) -> None:
        """Drop every open connection's TCP connection, without a close frame."""
        with self._lock:
            conns = list(self._conns.values())
        for conn in conns:
            conn.shut()
            with contextlib.suppress(OSError):  # already gone
                conn.ws.socket.shutdown(socket.SHUT_RDWR)

    # -- websockets callbacks ----------------------------------------------------------

    def _process_request(
        self, connection: ServerConnection, request: Request
    ) -> Response | None:
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
        body = json.dumps(_BAD_KEY_BODY).encode()
        status = HTTPStatus.UNAUTHORIZED
        response_headers = Headers(
            [
                ("Content-Type", "application/json"),
                ("Content-Length", str(len(body))),
                ("Connection", "close"),
            ]
        )
        return Response(status.value, status.phrase, response_headers, body)

    @staticmethod
    def _select_subprotocol(
        connection: ServerConnection, subprotocols: Any
    ) -> Subprotocol | None:
        # Browsers offer "realtime" plus the key and beta markers (§1.1): echo
        # "realtime"; accept anything else without a subprotocol.
        if "realtime" in subprotocols:
            return Subprotocol("realtime")
        return None

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
        dialect = self._dialect_for(ws.request)
        if self._factory is not None:
            responder = self._factory()
        else:
            query = parse_qs(urlsplit(ws.request.path).query) if ws.request else {}
            model = (query.get("model") or query.get("deployment") or ["gpt-realtime"])[
                0
            ]
            responder = Responder(dialect, model=model)
        conn = _Connection(number, ws, Codec(dialect), responder, self.delta_interval)
        with self._lock:
            if self._state != "open":
                return
            self._conns[number] = conn
            self._responders.append(responder)
            self._handler_threads.append(threading.current_thread())
            self._total += 1
        logger.info("mock connection %d opened (%s)", number, dialect)
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
            logger.info("mock connection %d closed", number)

    def _read_loop(self, conn: _Connection) -> None:
        for message in conn.ws:
            try:
                event = conn.codec.decode_client(message)
            except ProtocolError as exc:
                with conn.cond:
                    conn.post(
                        conn.responder.invalid_frame(_problem(exc), _event_id(message))
                    )
                continue
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
