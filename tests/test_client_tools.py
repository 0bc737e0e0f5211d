"""Function tools end to end: schema to session, execution off the reader, answers."""

from __future__ import annotations

import threading
from typing import Literal

import realtime_sync as rs
from realtime_sync import events as ev
from realtime_sync.testing import MockRealtimeServer
from tests.helpers import EventRecorder


def test_tool_round_trip_with_auto_execution() -> None:
    """A call runs the tool off the reader thread and the model hears its result."""
    threads: list[str] = []
    with MockRealtimeServer() as server:
        client = rs.RealtimeClient(url=server.url)

        @client.tool
        def get_weather(
            location: str, unit: Literal["celsius", "fahrenheit"] = "celsius"
        ) -> dict[str, object]:
            """Get the weather.

            Args:
                location: Where.
                unit: Temperature unit.
            """
            threads.append(threading.current_thread().name)
            return {"location": location, "temp": 21, "unit": unit}

        finals = EventRecorder()
        client.on(ev.ResponseDone, finals)
        with client:
            tools = client.session_info.tools  # type: ignore[union-attr]
            assert [t.name for t in tools] == ["get_weather"]
            assert tools[0].parameters["properties"]["unit"]["enum"] == [
                "celsius",
                "fahrenheit",
            ]
            client.send_text("What is the weather in Paris? use get_weather")
            client.create_response(output_modalities=["text"])
            done = finals.wait_until(lambda items: len(items) == 2, timeout=10)
        outputs = [
            e.item
            for e in server.received
            if isinstance(e, ev.ConversationItemCreate)
            and isinstance(e.item, ev.FunctionCallOutputItem)
        ]
        assert len(outputs) == 1 and '"temp": 21' in outputs[0].output
        assert threads and all(
            name.startswith("realtime-sync-tool") for name in threads
        )
        final = done[-1].response
        texts = [
            getattr(p, "text", None) or getattr(p, "transcript", None)
            for item in final.output
            for p in getattr(item, "content", [])
        ]
        assert any("The tool returned" in (t or "") for t in texts)


def test_raising_and_slow_tools_still_answer() -> None:
    """A tool that raises, and one that times out, still answer the model."""
    release = threading.Event()
    with MockRealtimeServer() as server:
        client = rs.RealtimeClient(url=server.url, tool_timeout=0.2)

        @client.tool
        def broken(x: int) -> int:
            """Always fails."""
            raise RuntimeError("kaboom")

        @client.tool
        def slow(x: int) -> int:
            """Takes too long."""
            release.wait(10)
            return x

        outputs = EventRecorder()
        client.on(
            ev.ConversationItemDone,
            lambda e: (
                outputs(e.item)
                if isinstance(e.item, ev.FunctionCallOutputItem)
                else None
            ),
        )
        with client:
            client.send_text("call broken with x 1")
            client.create_response(output_modalities=["text"])
            [out1] = outputs.wait_until(lambda items: len(items) == 1, timeout=10)
            client.send_text("call slow with x 2")
            client.create_response(output_modalities=["text"])
            # This event reaches a handler while `slow` still blocks its worker: the
            # reader thread is not held up by a slow tool.
            [_, out2] = outputs.wait_until(lambda items: len(items) >= 2, timeout=10)[
                :2
            ]
            assert not release.is_set()
            release.set()
        assert "kaboom" in out1.output and "exception" in out1.output
        assert "timeout" in out2.output


def test_tool_added_after_connect_runs_and_text_turn_stays_text() -> None:
    """A tool added while connected runs; a text turn's follow-up stays text."""
    with MockRealtimeServer() as server, rs.RealtimeClient(url=server.url) as client:
        finals = EventRecorder()
        updates = EventRecorder()
        client.on(ev.ResponseDone, finals)
        client.on(ev.SessionUpdated, updates)

        def add(a: int, b: int) -> int:
            """Add two numbers."""
            return a + b

        client.add_tool(add)
        updates.wait_until(
            lambda items: any(
                [t.name for t in e.session.tools] == ["add"] for e in items
            ),
            timeout=10,
        )
        client.send_text("please add 2 and 3")
        client.create_response(output_modalities=["text"])
        done = finals.wait_until(lambda items: len(items) == 2, timeout=10)
        final = done[-1].response
        assert final.output_modalities == ["text"]
        texts = [p.text for item in final.output for p in item.content]
        assert any("The tool returned" in t for t in texts)


def test_close_from_a_tool_closes_the_client_and_leaves_no_thread() -> None:
    """A "hang up" tool may call close(): CLOSED, no error, no thread left behind."""
    outcome: dict[str, object] = {}
    returned = threading.Event()
    with MockRealtimeServer() as server:
        client = rs.RealtimeClient(url=server.url)

        @client.tool
        def hang_up(reason: str) -> str:
            """End the call."""
            try:
                outcome["close"] = client.close()
            except BaseException as exc:  # recorded, asserted in the test thread
                outcome["close"] = exc
            outcome["state"] = client.state
            returned.set()
            return "bye"

        client.connect()
        client.send_text("call hang_up with reason done")
        client.create_response(output_modalities=["text"])
        assert returned.wait(10)
        for thread in threading.enumerate():
            if thread.name.startswith("realtime-sync-"):
                thread.join(5)
        alive = [
            t.name for t in threading.enumerate() if t.name.startswith("realtime-sync-")
        ]
        assert outcome == {"close": None, "state": rs.ClientState.CLOSED}
        assert alive == []
        assert client.state is rs.ClientState.CLOSED
        client.close()  # idempotent, returns at once
