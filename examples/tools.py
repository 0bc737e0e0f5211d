"""Function tools: the model calls a Python function, the client runs it and answers.

    python examples/tools.py "What is the current time in Tokyo? (UTC+9)"

``@client.tool`` builds the tool's JSON schema from the type hints and the
docstring, adds it to the session, runs each call in a worker pool (never on the
reader thread), sends the result back as ``function_call_output`` and asks for the
follow-up response. Against OpenAI when OPENAI_API_KEY is set, else against the
embedded mock server, which calls a tool whose name the question mentions and then
answers "The tool returned: <result>".
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import sys
from collections.abc import Sequence
from typing import Literal

import realtime_sync as rs
from realtime_sync import events as ev

QUESTION = "What is the current time? Use the current_time tool."


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("question", nargs="?", default=QUESTION)
    parser.add_argument("--timeout", type=float, default=60.0)
    args = parser.parse_args(argv)

    # Text in the session, not per response: the follow-up response that the client
    # asks for after the tool's result uses the session's settings.
    session = rs.SessionConfig(output_modalities=["text"])
    with contextlib.ExitStack() as stack:
        if os.environ.get("OPENAI_API_KEY"):
            client = rs.RealtimeClient(model="gpt-realtime", session=session)
        else:
            from realtime_sync.testing import MockRealtimeServer

            server = stack.enter_context(MockRealtimeServer())
            print(f"no OPENAI_API_KEY: using the mock server at {server.url}")
            client = rs.RealtimeClient(url=server.url, session=session)

        calls: list[str] = []  # filled on a realtime-sync-tool worker thread

        @client.tool
        def current_time(
            utc_offset_hours: float = 0.0, style: Literal["iso", "clock"] = "clock"
        ) -> dict[str, str]:
            """Get the current date and time.

            Args:
                utc_offset_hours: The time zone, as hours east of UTC (Tokyo is 9).
                style: ``iso`` for ISO 8601, ``clock`` for a time like 14:05.
            """
            zone = dt.timezone(dt.timedelta(hours=utc_offset_hours))
            now = dt.datetime.now(zone)
            text = (
                now.isoformat(timespec="seconds") if style == "iso" else f"{now:%H:%M}"
            )
            result = {"time": text, "utc_offset_hours": str(utc_offset_hours)}
            calls.append(f"current_time({utc_offset_hours}, {style!r}) -> {result}")
            return result

        with client:
            # What the server now has: the schema built from the type hints.
            for tool in getattr(client.session_info, "tools", None) or []:
                if isinstance(tool, ev.FunctionTool):
                    params = json.dumps(tool.parameters)
                    print(f"tool in the session: {tool.name} {params}")
            print(f"you> {args.question}")
            # ask() runs the tools the model calls and returns the answer after them;
            # the responses that made the calls are in reply.steps.
            reply = client.ask(args.question, timeout=args.timeout)
            if not reply.steps:
                print(f"assistant> {reply.text}\n(answered without the tool)")
                return 0
            for step in reply.steps:
                for call in step.function_calls:
                    print(f"[model] calls {call.name}({call.arguments})")
            for line in calls:
                print(f"[tool] {line}")
            print(f"assistant> {reply.text}")
            print(f"[{client.usage.total_tokens} tokens in all]")
    return 0


if __name__ == "__main__":
    sys.exit(main())
