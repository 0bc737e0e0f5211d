"""The mock's routing: one server, the API chosen by the handshake's path."""

from __future__ import annotations

import json

import pytest
import websocket

from realtime_sync.cli import _mock_server_of, _parser
from realtime_sync.testing import InMemoryTransport, MockRealtimeServer
from realtime_sync.testing._apis import (
    ConnectRequest,
    MockApi,
    api_for_path,
    api_names,
    get_api,
    register_api,
)

WAIT = 5.0


def test_realtime_is_the_default_api() -> None:
    """Without api=, url points to /v1/realtime and session.created comes first."""
    with MockRealtimeServer() as server:
        assert server.api.name == "realtime"
        assert server.url.endswith("/v1/realtime?model=gpt-realtime")
        ws = websocket.create_connection(server.url, timeout=WAIT)
        try:
            assert json.loads(ws.recv())["type"] == "session.created"
        finally:
            ws.close()


def test_unknown_api_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="unknown mock API 'nope'"):
        MockRealtimeServer(api="nope")
    with pytest.raises(ValueError, match="unknown mock API"):
        InMemoryTransport(api="nope")
    with pytest.raises(TypeError):
        MockRealtimeServer(api=3)  # type: ignore[arg-type]


def test_paths_map_to_apis() -> None:
    realtime = get_api("realtime")
    for path in ("/v1/realtime", "/v1/realtime/", "/openai/v1/realtime"):
        assert api_for_path(path) is realtime
    assert api_for_path("/v1/realtime/x") is None
    assert api_for_path("/") is None
    assert "realtime" in api_names()


def test_a_path_cannot_belong_to_two_apis() -> None:
    clash = MockApi(
        name="clash",
        paths=frozenset({"/v1/realtime"}),
        url_path="/v1/realtime",
        make_codec=get_api("realtime").make_codec,
        make_responder=get_api("realtime").make_responder,
    )
    with pytest.raises(ValueError, match="already served by the 'realtime' API"):
        register_api(clash)
    with pytest.raises(TypeError):
        register_api("realtime")  # type: ignore[arg-type]


def test_connect_request_param() -> None:
    request = ConnectRequest(path="/v1/realtime", query={"model": ["m"]})
    assert request.param("model", "x") == "m"
    assert request.param("intent", "realtime") == "realtime"


def test_mock_server_command_takes_api() -> None:
    args = _parser().parse_args(["mock-server", "--port", "0", "--api", "realtime"])
    server = _mock_server_of(args)
    assert server.api.name == "realtime"


def test_mock_server_command_serves_live() -> None:
    """realtime-sync mock-server --api live points its URL to /v1/live/sessions."""
    args = _parser().parse_args(["mock-server", "--port", "0", "--api", "live"])
    server = _mock_server_of(args)

    assert server.api.name == "live"
    with server:
        assert server.url.endswith("/v1/live/sessions")
        assert server.url_for("realtime").endswith("/v1/realtime?model=gpt-realtime")


def test_apis_without_a_fixed_url_are_not_a_server_api() -> None:
    """live-sideband and live-fork are reached by path, never as the server's url."""
    for name in ("live-sideband", "live-fork"):
        assert name in api_names()
        with pytest.raises(ValueError, match="no fixed URL"):
            MockRealtimeServer(api=name)
    assert api_for_path("/v1/live/sessions/live_0001/attach") is get_api(
        "live-sideband"
    )
    assert api_for_path("/openai/v1/live/sessions/x/fork") is get_api("live-fork")
    assert api_for_path("/v1/live/sessions/x/y/attach") is None
