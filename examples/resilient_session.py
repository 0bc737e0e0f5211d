"""A session that survives a dropped connection: reconnect, restore, go on.

    python examples/resilient_session.py

With ``reconnect=rs.ReconnectPolicy(restore_conversation=True)`` the client answers a
lost connection (close codes 1001, 1006, 1011, ... or a network drop) by opening a new
session after a short backoff, re-sending the session configuration and tools, and
re-creating the conversation's text under the same item ids. Events sent while the
connection was down are sent afterwards (input audio: the newest 2 s).

Against the mock server (no ``OPENAI_API_KEY``), the script cuts the connection itself
in the middle of the conversation, as a flaky network would.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import time
from collections.abc import Sequence

import realtime_sync as rs


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--timeout", type=float, default=60.0)
    args = parser.parse_args(argv)
    policy = rs.ReconnectPolicy(restore_conversation=True, initial_delay=0.2)
    session = rs.SessionConfig(instructions="Be brief.")

    with contextlib.ExitStack() as stack:
        server = None
        if os.environ.get("OPENAI_API_KEY"):
            client = rs.RealtimeClient(
                model="gpt-realtime", reconnect=policy, session=session
            )
        else:
            from realtime_sync.testing import MockRealtimeServer

            server = stack.enter_context(MockRealtimeServer())
            print(f"no OPENAI_API_KEY: using the mock server at {server.url}")
            client = rs.RealtimeClient(
                url=server.url, reconnect=policy, session=session
            )

        @client.on_reconnecting
        def reconnecting(attempt: rs.ReconnectAttempt) -> None:
            print(
                f"   [connection lost ({attempt.cause}); attempt {attempt.attempt} "
                f"in {attempt.delay:.2f} s]"
            )

        @client.on_reconnected
        def reconnected(info: rs.Reconnected) -> None:
            print(
                f"   [reconnected after {info.downtime:.2f} s: session restored="
                f"{info.session_restored}, {info.restored_items} items re-created, "
                f"{info.resent_events} held events sent]"
            )

        def say(text: str) -> None:
            print(f"you> {text}")
            reply = client.ask(text, timeout=args.timeout, output_modalities=["text"])
            print(f"assistant> {reply.text}")

        with client:
            say("My name is Ada.")
            if server is not None:
                server.drop_all()  # what a network failure looks like to the client
                while client.is_connected:  # noticed at once here; a silent network
                    time.sleep(0.01)  # takes up to ping_interval + ping_timeout
            # Sent while the connection is down: held, then sent after the restore.
            say("What is my name?")
            items = client.conversation.items
            print(f"conversation: {len(items)} items, first: {items[0].text!r}")
            print(f"reconnects: {client.stats.reconnects}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
