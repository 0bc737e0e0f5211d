"""The connection arguments the three clients share (client/_options.py)."""

from __future__ import annotations

import pytest

import realtime_sync as rs
from realtime_sync.client._options import (
    check_openai_key,
    connection_key,
    default_transport,
    key_source,
)
from realtime_sync.live import LiveClient
from realtime_sync.testing import InMemoryTransport
from realtime_sync.translation import TranslationClient
from realtime_sync.transport import WebSocketTransport

CLIENTS = [
    pytest.param(lambda **kw: rs.RealtimeClient(**kw), id="realtime"),
    pytest.param(lambda **kw: LiveClient(**kw), id="live"),
    pytest.param(lambda **kw: TranslationClient(**kw), id="translation"),
]


def _args(**changes: object) -> dict[str, object]:
    args: dict[str, object] = {
        "api_key": None,
        "token_provider": None,
        "reconnect": None,
        "connect_timeout": 10.0,
        "slow_handler_seconds": 0.5,
        "url": None,
        "transport": None,
        "allow_insecure": False,
    }
    args.update(changes)
    return args


@pytest.mark.parametrize(
    "changes, error, match",
    [
        ({"api_key": 42}, TypeError, "api_key must be a string"),
        ({"token_provider": "tok"}, TypeError, "token_provider must be callable"),
        (
            {"api_key": "sk-x", "token_provider": lambda: "t"},
            ValueError,
            "not both",
        ),
        ({"reconnect": True}, TypeError, "ReconnectPolicy"),
        ({"connect_timeout": 0}, ValueError, "connect_timeout"),
        ({"connect_timeout": float("nan")}, ValueError, "connect_timeout"),
        ({"slow_handler_seconds": -1}, ValueError, "slow_handler_seconds"),
    ],
)
def test_bad_connection_arguments_are_refused(
    changes: dict[str, object], error: type[Exception], match: str
) -> None:
    with pytest.raises(error, match=match):
        connection_key(**_args(**changes))  # type: ignore[arg-type]


@pytest.mark.parametrize("make", CLIENTS)
def test_every_client_refuses_them_at_its_call_site(make: object) -> None:
    with pytest.raises(ValueError, match="connect_timeout"):
        make(connect_timeout=-1, api_key="sk-test")  # type: ignore[operator]
    with pytest.raises(ValueError, match="slow_handler_seconds"):
        make(slow_handler_seconds=0, api_key="sk-test")  # type: ignore[operator]


def test_the_key_source_asks_the_provider_each_time_and_checks_it() -> None:
    tokens = iter(["ek_1", "ek_2", ""])
    key = key_source(None, lambda: next(tokens))
    assert key() == "ek_1"
    assert key() == "ek_2"
    with pytest.raises(TypeError, match="non-empty str, not str") as info:
        key()
    assert "ek_" not in str(info.value)
    assert key_source("sk-test", None)() == "sk-test"


def test_a_key_over_plain_ws_to_a_remote_host_is_refused_now() -> None:
    remote = "ws://example.com/live"
    with pytest.raises(ValueError, match="unencrypted") as info:
        connection_key(**_args(api_key="sk-test", url=remote))  # type: ignore[arg-type]
    assert "sk-test" not in str(info.value)
    # No key, or allowed on purpose: nothing refused.
    connection_key(**_args(url=remote))  # type: ignore[arg-type]
    connection_key(**_args(api_key="sk-test", url=remote, allow_insecure=True))  # type: ignore[arg-type]


def test_no_key_for_openai_names_the_local_alternative(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    with pytest.raises(rs.AuthenticationError, match="MockRealtimeServer\\(api='x'\\)"):
        check_openai_key(None, None, None, "MockRealtimeServer(api='x')")
    check_openai_key(InMemoryTransport(), None, None, "-")  # no network: no key
    check_openai_key(None, None, lambda: "t", "-")
    monkeypatch.setenv("OPENAI_API_KEY", "sk-env")
    check_openai_key(None, None, None, "-")


def test_the_default_transport_is_a_websocket_one() -> None:
    options = {
        "max_queue_bytes": 1024,
        "ping_interval": None,
        "ping_timeout": None,
        "connect_timeout": 5.0,
        "max_message_size": None,
        "ca_bundle": None,
        "ssl_context": None,
        "allow_insecure": False,
    }
    assert isinstance(default_transport(None, **options), WebSocketTransport)  # type: ignore[arg-type]
    mine = InMemoryTransport()
    assert default_transport(mine, **options) is mine  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="Transport"):
        default_transport(object(), **options)  # type: ignore[arg-type]
