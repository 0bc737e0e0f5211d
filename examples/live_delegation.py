"""A Live (GPT-Live) client delegation that looks something up.

    python examples/live_delegation.py

When the voice model decides a request needs backend work it emits
``session.delegation.created`` (never with the task text: the request is in the
transcript). ``@client.delegate`` runs on a worker thread, never the reader: here it
looks the order up in a small table, sends a progress note (silent
``session.thinking.append``) and returns the result, which the client sends as
``session.commentary.append`` for that delegation; the model then says it. Against
OpenAI when OPENAI_API_KEY is set, else against the embedded mock server (which
delegates when the user says "check" or "look up").
"""

from __future__ import annotations

import contextlib
import os
import re
import sys
import threading
from collections.abc import Sequence

from realtime_sync.live import DelegationTask, LiveClient, Turn
from realtime_sync.live import events as lev

ORDERS = {"42": "on its way, arriving Friday", "7": "waiting for stock"}
QUESTION = "Can you check my order 42?"


def look_up(request: str) -> str:
    """The backend: find an order number in the request and look it up."""
    match = re.search(r"\b(\d+)\b", request)
    if match is None:
        return "I could not find an order number in the request."
    number = match.group(1)
    status = ORDERS.get(number)
    return f"Order {number} is {status}." if status else f"There is no order {number}."


def main(argv: Sequence[str] | None = None) -> int:
    with contextlib.ExitStack() as stack:
        if os.environ.get("OPENAI_API_KEY"):
            client = LiveClient(
                "gpt-live-1",
                instructions="You help customers with their orders. Delegate order "
                "look-ups to the client.",
            )
        else:
            from realtime_sync.testing import MockRealtimeServer

            server = stack.enter_context(MockRealtimeServer(api="live"))
            print(f"no OPENAI_API_KEY: using the mock server at {server.url}")
            client = LiveClient(url=server.url, input_pace=10.0)

        spoken = threading.Event()

        @client.delegate
        def handle(task: DelegationTask) -> str:
            print(f"[delegation {task.id}: {task.request.strip()!r}]")
            task.note("Looking the order up in the order system.")
            return look_up(task.request)

        @client.on(lev.SessionCommentaryAppended)
        def on_placed(event: lev.SessionCommentaryAppended) -> None:
            print(f"[result placed on the timeline at {event.start_ms} ms]")

        @client.on_turn
        def on_turn(turn: Turn) -> None:
            print(f"{turn.role}> {turn.text.strip()}")

        @client.on(lev.SessionOutputTranscriptDelta)
        def on_words(event: lev.SessionOutputTranscriptDelta) -> None:
            if any("arriving Friday" in t.text for t in client.turns):
                spoken.set()

        with client:
            if os.environ.get("OPENAI_API_KEY"):
                print("say something like: 'can you check my order 42?'")
                from realtime_sync.audio import Microphone

                # Needs the 'audio' extra; the client resamples what it captures.
                stack.enter_context(Microphone(client))
            else:
                from realtime_sync.testing import synth_speech

                client.append_audio(synth_speech(QUESTION, lead_ms=100, trail_ms=800))
            if not spoken.wait(60):
                print("no answer within 60 s")
                return 1
            client.wait_for_answer(timeout=30)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
