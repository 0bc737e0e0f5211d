"""Bad arguments fail at the call site with a clear message, not later or silently."""

from __future__ import annotations

import warnings
from collections.abc import Iterator

import pytest

import realtime_sync as rs
from realtime_sync import events as ev
from realtime_sync.testing import InMemoryTransport, MockRealtimeServer


@pytest.fixture
def client() -> Iterator[rs.RealtimeClient]:
    """A connected client over the in-memory mock."""
    with rs.RealtimeClient(transport=InMemoryTransport()) as c:
        yield c


def test_wait_for_refuses_a_negative_timeout(client: rs.RealtimeClient) -> None:
    """wait_for(timeout=-1) is a ValueError, not a Timeout."""
    with pytest.raises(ValueError, match="timeout must be >= 0"):
        client.wait_for(ev.ResponseDone, timeout=-1)
    with pytest.raises(rs.Timeout):
        client.wait_for(ev.ResponseDone, timeout=0)


def test_a_typo_in_a_type_string_warns_with_the_closest_type(
    client: rs.RealtimeClient,
) -> None:
    """on()/once()/wait_for()/expect() with an unknown type warn, naming a near one."""
    with pytest.warns(rs.UnknownEventTypeWarning, match="'response.done'\\?") as seen:
        client.on("respone.done", print)
    assert seen[0].filename == __file__  # points at the caller's line
    with pytest.warns(rs.UnknownEventTypeWarning, match="'response.created'\\?"):
        client.once("response.create", print)  # a client event's type
    with pytest.warns(rs.UnknownEventTypeWarning, match="'response.\\*'\\?"):

        @client.on("respons.*")
        def handler(event: ev.ServerEvent) -> None: ...

    with (
        pytest.warns(rs.UnknownEventTypeWarning, match="speech_started"),
        pytest.raises(rs.Timeout),
    ):
        client.wait_for("input_audio_buffer.speech_start", timeout=0)
    with (
        pytest.warns(rs.UnknownEventTypeWarning, match="newer than this version"),
        client.expect("no.such.event"),
    ):
        pass


def test_known_types_and_prefixes_do_not_warn(client: rs.RealtimeClient) -> None:
    """Classes, GA and beta types, known prefixes and "*" register silently."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        client.on(ev.ResponseDone, print)
        client.on("response.done", print)
        client.on("response.text.delta", print)  # beta name
        client.on("response.text.*", print)
        client.on("*", print)
        client.off("no.such.event", print)  # removing warns nothing


def test_an_unknown_type_still_gets_its_events() -> None:
    """Unknown types stay allowed: the handler receives UnknownServerEvent of it."""
    with (
        MockRealtimeServer() as server,
        rs.RealtimeClient(url=server.url) as client,
        pytest.warns(rs.UnknownEventTypeWarning),
        client.expect("vendor.thing") as thing,
    ):
        server.send_malformed('{"type": "vendor.thing", "x": 1}')  # sent verbatim
        event = thing.wait(timeout=10)
    assert isinstance(event, ev.UnknownServerEvent)
    assert event.data["x"] == 1


def test_an_event_larger_than_the_queue_bound_is_a_value_error() -> None:
    """An event that could never fit max_queue_bytes raises ValueError, not QueueFull."""
    with (
        MockRealtimeServer() as server,
        rs.RealtimeClient(url=server.url, max_queue_bytes=64 * 1024) as client,
    ):
        with pytest.raises(ValueError, match="can never be queued") as info:
            client.send_text("x" * 100_000)
        assert not isinstance(info.value, rs.QueueFull)
        client.send_text("this one fits")
        client.flush(timeout=10)
