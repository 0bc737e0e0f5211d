"""A newcomer's first hour, the client's part: the obvious call does the obvious thing."""

from __future__ import annotations

from typing import Any

import pytest

import realtime_sync as rs
from realtime_sync import events as ev
from realtime_sync.testing import InMemoryTransport, MockRealtimeServer


def test_a_url_client_follows_a_beta_server_by_default() -> None:
    """RealtimeClient(url=...) detects the server's dialect: a beta server works."""
    with (
        MockRealtimeServer(dialect="beta") as server,
        rs.RealtimeClient(url=server.url) as client,
    ):
        reply = client.ask("hi", timeout=10, output_modalities=["text"])
        assert client.dialect == "beta"
    assert reply.text == "You said: hi"


def test_an_explicit_dialect_the_server_contradicts_is_refused() -> None:
    """dialect='ga' on a beta server: connect() raises, naming dialect=, and on_error hears."""
    errors: list[rs.RealtimeError] = []
    with MockRealtimeServer(dialect="beta") as server:
        client = rs.RealtimeClient(url=server.url, dialect="ga")
        client.on_error(errors.append)
        with pytest.raises(rs.ConnectError, match="dialect='beta'"):
            client.connect()
    assert client.state is rs.ClientState.CLOSED
    assert any(isinstance(e, rs.ConnectError) for e in errors)


def test_no_api_key_for_openai_says_what_to_do(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without a key the default endpoint is not tried: the error names the fixes."""
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    client = rs.RealtimeClient()
    with pytest.raises(rs.AuthenticationError, match="OPENAI_API_KEY") as raised:
        client.connect()
    assert "api_key=" in str(raised.value) and "url=" in str(raised.value)


def _weather_client(**kwargs: Any) -> rs.RealtimeClient:
    client = rs.RealtimeClient(transport=InMemoryTransport(), **kwargs)

    @client.tool
    def get_weather(city: str) -> dict[str, object]:
        """Get the weather.

        Args:
            city: The city.
        """
        return {"city": city, "sky": "clear"}

    return client


def test_ask_with_a_tool_returns_the_answer_after_the_tool_ran() -> None:
    """ask() follows the tool calls: the final answer, the call in reply.steps."""
    with _weather_client() as client:
        reply = client.ask("Use get_weather for Paris.", timeout=10)
    assert not reply.function_calls
    assert "The tool returned" in reply.transcript + reply.text
    [step] = reply.steps
    assert [c.name for c in step.function_calls] == ["get_weather"]
    assert step.id != reply.id


def test_ask_follow_tools_false_returns_the_call() -> None:
    """follow_tools=False keeps the old behaviour: the response holding the call."""
    with _weather_client() as client:
        first = client.ask("Use get_weather for Paris.", timeout=10, follow_tools=False)
        client.wait_for(ev.ResponseDone, timeout=10)  # the follow-up still happens
    assert [c.name for c in first.function_calls] == ["get_weather"]
    assert first.steps == ()


def test_ask_without_auto_respond_returns_the_call() -> None:
    """With auto_respond=False nobody asks for a follow-up: ask() returns the call."""
    with _weather_client(auto_respond=False) as client:
        reply = client.ask("Use get_weather for Paris.", timeout=10)
    assert [c.name for c in reply.function_calls] == ["get_weather"]


def test_a_wait_for_timeout_names_the_wire_type() -> None:
    """Timeout says 'no response.done event', not a class repr."""
    with (
        rs.RealtimeClient(transport=InMemoryTransport()) as client,
        pytest.raises(rs.Timeout) as raised,
    ):
        client.wait_for(ev.ResponseDone, timeout=0.01)
    assert "no response.done event" in str(raised.value)
    assert "<class" not in str(raised.value)
