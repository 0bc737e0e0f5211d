"""A text chat in a terminal: against OpenAI when OPENAI_API_KEY is set, else the mock.

    python examples/text_chat.py "Hello" "What is the capital of France?"
    python examples/text_chat.py            # interactive: type, Enter; Ctrl-D ends

The answer streams in as ``response.output_text.delta`` events, printed by a handler
on the client's reader thread while ``ask()`` waits for the finished response.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from collections.abc import Iterator, Sequence

import realtime_sync as rs
from realtime_sync import events as ev


def _prompts(messages: list[str]) -> Iterator[str]:
    if messages:
        yield from messages
        return
    if not sys.stdin.isatty():  # piped input: one message a line
        lines = [line.strip() for line in sys.stdin if line.strip()]
        yield from lines or ["Hello!"]
        return
    with contextlib.suppress(EOFError, KeyboardInterrupt):
        while True:
            text = input("you> ").strip()
            if text:
                yield text


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("messages", nargs="*", help="messages to send, in order")
    parser.add_argument("--timeout", type=float, default=60.0)
    args = parser.parse_args(argv)

    with contextlib.ExitStack() as stack:
        if os.environ.get("OPENAI_API_KEY"):
            client = rs.RealtimeClient(model="gpt-realtime")
        else:
            from realtime_sync.testing import MockRealtimeServer

            server = stack.enter_context(MockRealtimeServer())
            print(f"no OPENAI_API_KEY: using the mock server at {server.url}")
            client = rs.RealtimeClient(url=server.url)
        client.on(
            ev.ResponseOutputTextDelta, lambda e: print(e.delta, end="", flush=True)
        )
        interactive = not args.messages and sys.stdin.isatty()
        with client:
            for text in _prompts(args.messages):
                if not interactive:
                    print(f"you> {text}")
                print("assistant> ", end="", flush=True)
                reply = client.ask(
                    text, timeout=args.timeout, output_modalities=["text"]
                )
                tokens = reply.usage.total_tokens if reply.usage else "?"
                print(f"\n[{reply.status}, {tokens} tokens]")
            print(f"[session total: {client.usage.total_tokens} tokens]")
    return 0


if __name__ == "__main__":
    sys.exit(main())
