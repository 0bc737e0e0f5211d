"""A text chat in a terminal: against OpenAI when OPENAI_API_KEY is set, else the mock.

python examples/text_chat.py "Hello" "What is the capital of France?"
"""

from __future__ import annotations

import contextlib
import os
import sys

import realtime_sync as rs
from realtime_sync import events as ev


def main(messages: list[str]) -> None:
    with contextlib.ExitStack() as stack:
        if os.environ.get("OPENAI_API_KEY"):
            client = rs.RealtimeClient(model="gpt-realtime")
        else:
            from realtime_sync.testing import MockRealtimeServer

            server = stack.enter_context(MockRealtimeServer())
            client = rs.RealtimeClient(url=server.url)
        client.on(
            ev.ResponseOutputTextDelta, lambda e: print(e.delta, end="", flush=True)
        )
        with client:
            for text in messages or ["Hello!"]:
                print(f"you> {text}\nassistant> ", end="", flush=True)
                reply = client.ask(text, timeout=60, output_modalities=["text"])
                print(f"\n[{reply.status}]")


if __name__ == "__main__":
    main(sys.argv[1:])
