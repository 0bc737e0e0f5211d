"""The transport seam: WebSocketTransport checks its options and opens Connections.

The client codes against :class:`Transport` and :class:`Channel` only. These tests
check that :class:`WebSocketTransport` refuses bad options when it is built (with
the messages :class:`Connection` has always used), that ``open()`` hands the
options on and returns a Connection that talks to a real server, and that a
Connection is a Channel: for mypy (typed assignments below, checked by ``mypy
tests/test_transport_seam.py``) and at run time.
"""

from __future__ import annotations

import inspect
import json
import queue
import ssl
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from realtime_sync.exceptions import ConnectionClosed, QueueFull
from realtime_sync.testing import MockRealtimeServer
from realtime_sync.transport import (
    Channel,
    Connection,
    Transport,
    WebSocketTransport,
)

WAIT = 10.0  # upper bound for any single wait; tests normally take milliseconds
CERT = Path(__file__).parent / "data" / "tls" / "cert.pem"


def _ignore(_: object) -> None:
    """A callback that does nothing."""


# Option values each refused at construction, with the error Connection raises.
BAD_OPTIONS: list[tuple[dict[str, Any], type[Exception], str]] = [
    ({"max_queue_bytes": 0}, ValueError, "max_queue_bytes must be positive"),
    ({"max_queue_bytes": "1"}, TypeError, "max_queue_bytes must be an int"),
    ({"max_queue_bytes": True}, TypeError, "max_queue_bytes must be an int"),
    ({"max_message_size": 0}, ValueError, "max_message_size must be positive"),
    ({"max_message_size": 1.5}, TypeError, "max_message_size must be an int"),
    ({"ping_interval": 0}, ValueError, "ping_interval must be positive or None"),
    ({"ping_timeout": -1.0}, ValueError, "ping_timeout must be positive or None"),
    ({"connect_timeout": 0}, ValueError, "connect_timeout must be positive"),
    (
        {"ca_bundle": str(CERT), "ssl_context": ssl.create_default_context()},
        ValueError,
        "pass ca_bundle or ssl_context, not both",
    ),
    ({"ssl_context": "tls"}, TypeError, "ssl_context must be an ssl.SSLContext"),
    ({"ca_bundle": 42}, TypeError, "ca_bundle must be a path"),
    ({"ca_bundle": "/nonexistent/ca.pem"}, ValueError, "could not be loaded"),
    ({"subprotocols": [""]}, ValueError, "subprotocols must be non-empty strings"),
]


@pytest.fixture
def server() -> Iterator[MockRealtimeServer]:
    """A mock Realtime server on 127.0.0.1."""
    with MockRealtimeServer() as mock:
        yield mock


@pytest.mark.parametrize(("options", "error", "message"), BAD_OPTIONS)
def test_websocket_transport_refuses_bad_options_at_construction(
    options: dict[str, Any], error: type[Exception], message: str
) -> None:
    """A bad option fails when the transport is built, not at open() or connect()."""
    with pytest.raises(error, match=message):
        WebSocketTransport(**options)


@pytest.mark.parametrize(("options", "error", "message"), BAD_OPTIONS)
def test_websocket_transport_and_connection_agree_on_errors(
    options: dict[str, Any], error: type[Exception], message: str
) -> None:
    """Both raise the same exception with the same message (one shared check)."""
    with pytest.raises(error) as from_transport:
        WebSocketTransport(**options)
    with pytest.raises(error) as from_connection:
        Connection("ws://127.0.0.1:9/", on_message=_ignore, **options)

    assert str(from_transport.value) == str(from_connection.value)


def test_websocket_transport_accepts_valid_options() -> None:
    """Defaults, a CA bundle, an SSL context and no limits are all accepted."""
    WebSocketTransport()
    WebSocketTransport(ca_bundle=CERT, subprotocols=["realtime"])
    WebSocketTransport(
        ssl_context=ssl.create_default_context(),
        ping_interval=None,
        ping_timeout=None,
        max_message_size=None,
        allow_insecure=True,
    )


def test_open_returns_an_unopened_connection_with_the_transport_options() -> None:
    """open() builds a Connection (no I/O yet) that applies the transport's limits."""
    transport = WebSocketTransport(max_queue_bytes=10)

    conn = transport.open(
        "ws://127.0.0.1:9/",
        headers={},
        on_message=_ignore,
        on_close=_ignore,
        on_binary=_ignore,
    )

    assert isinstance(conn, Connection)
    assert not conn.is_open
    conn.send("0123456789")  # queued before connect(): exactly the bound
    with pytest.raises(QueueFull, match="max_queue_bytes=10"):
        conn.send("x")
    assert conn.close() == ("0123456789",)


def test_open_applies_the_clear_text_policy() -> None:
    """Credentials over ws:// to another host are refused unless allow_insecure."""
    headers = {"Authorization": "Bearer sk-test-seam"}

    with pytest.raises(ValueError, match="Refusing to send credentials"):
        WebSocketTransport().open(
            "ws://gw.example.com/v1/realtime",
            headers=headers,
            on_message=_ignore,
            on_close=_ignore,
            on_binary=_ignore,
        )
    conn = WebSocketTransport(allow_insecure=True).open(
        "ws://gw.example.com/v1/realtime",
        headers=headers,
        on_message=_ignore,
        on_close=_ignore,
        on_binary=_ignore,
    )
    conn.close()


def test_open_checks_its_arguments() -> None:
    """A non-callable callback or a bare-string secrets is refused by open()."""
    transport = WebSocketTransport()

    with pytest.raises(TypeError, match="on_message must be callable"):
        transport.open(
            "ws://127.0.0.1:9/",
            headers={},
            on_message=None,  # type: ignore[arg-type]
            on_close=_ignore,
            on_binary=_ignore,
        )
    with pytest.raises(TypeError, match="secrets must be a sequence of strings"):
        transport.open(
            "ws://127.0.0.1:9/",
            headers={},
            on_message=_ignore,
            on_close=_ignore,
            on_binary=_ignore,
            secrets="sk-test",
        )


def test_channel_from_the_transport_talks_to_a_real_server(
    server: MockRealtimeServer,
) -> None:
    """Through the seam alone: connect, receive, send, flush, close, on_close once."""
    messages: queue.Queue[str] = queue.Queue()
    closes: queue.Queue[ConnectionClosed] = queue.Queue()
    # Typed as the protocols: mypy checks that the concrete classes satisfy them.
    transport: Transport = WebSocketTransport(ping_interval=5.0, ping_timeout=5.0)
    channel: Channel = transport.open(
        server.url,
        headers={"Authorization": "Bearer test"},
        on_message=messages.put,
        on_close=closes.put,
        on_binary=_ignore,
        secrets=("test",),
    )

    channel.connect()
    opened = channel.is_open  # (read once: mypy would keep the narrowing)

    assert opened
    assert json.loads(messages.get(timeout=WAIT))["type"] == "session.created"
    channel.send('{"type": "input_audio_buffer.clear"}', item="clear")
    channel.flush(WAIT)
    server.wait_for_received("input_audio_buffer.clear", timeout=WAIT)
    while json.loads(messages.get(timeout=WAIT))["type"] != (
        "input_audio_buffer.cleared"
    ):
        pass
    channel.raise_if_failed()
    assert channel.close(WAIT) == ()
    closed = closes.get(timeout=WAIT)
    assert closed.unsent == ()
    assert not channel.is_open
    assert channel.close_code == closed.code == 1000
    assert channel.close_reason == ""
    assert closes.empty()
    with pytest.raises(ConnectionClosed):
        channel.send('{"type": "input_audio_buffer.clear"}')


def test_connection_has_every_member_of_channel() -> None:
    """At run time: each Channel member exists on Connection, same kind and parameters."""
    members = {
        name: value for name, value in vars(Channel).items() if not name.startswith("_")
    }

    assert set(members) == {
        "is_open",
        "close_code",
        "close_reason",
        "connect",
        "send",
        "flush",
        "close",
        "raise_if_failed",
    }
    for name, value in members.items():
        concrete = inspect.getattr_static(Connection, name)
        if isinstance(value, property):
            assert isinstance(concrete, property), name
        else:
            expected = inspect.signature(value).parameters
            actual = inspect.signature(concrete).parameters
            assert list(actual) == list(expected), name
            for param, spec in expected.items():
                assert actual[param].default == spec.default, (name, param)


def test_websocket_transport_open_matches_the_transport_protocol() -> None:
    """At run time: open() takes exactly the Transport protocol's parameters."""
    expected = inspect.signature(Transport.open).parameters
    actual = inspect.signature(WebSocketTransport.open).parameters

    assert list(actual) == list(expected)
    for param, spec in expected.items():
        assert actual[param].kind == spec.kind, param
        assert actual[param].default == spec.default, param
