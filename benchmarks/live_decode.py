"""Live decode benchmark: Live server frames to events, LiveCodec against openai-python.

Run from the repository root::

    python benchmarks/live_decode.py              # 15 rounds
    python benchmarks/live_decode.py --rounds 31

The stream is what the mock's Live API sends for a generated session (deterministic):
``session.started``, four voice turns of synthetic speech with silence between them
(input transcript deltas, spoken answers: 100 ms ``session.output_audio.delta`` of
24 kHz pcm16 and output transcript deltas), a client delegation answered with
commentary, a Responses delegation with a function call (``response.event``
envelopes), usage updates and ``session.closed``.

Decoders, each given every frame as ``str``:

* ``orjson.loads``: parsing alone, the floor.
* ``openai parse_event``: what openai-python's sync ``LiveConnection`` does for every
  received frame (``construct_type_unchecked`` of ``json.loads(data)`` on the
  ``openai.types.live.ServerEvent`` union), without a socket.
* ``LiveCodec``: ``LiveCodec().decode_server`` (typed, checked, lossless).

Reported: the median over rounds of CPU microseconds per event (``process_time``),
for the whole stream and for its audio deltas alone, and the ratio to orjson; also
the CPU time of building the first LiveCodec (its generated hooks, after the
imports) in a fresh interpreter (median of 5).
"""

from __future__ import annotations

import argparse
import base64
import json
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def make_stream() -> list[str]:
    """The frames the mock sends for the generated session, as text."""
    from realtime_sync.live import events as lv
    from realtime_sync.live.codec import LiveCodec
    from realtime_sync.testing import LiveResponder, synth_speech

    codec = LiveCodec()
    frames: list[str] = []

    def run(responder: LiveResponder, *events: dict[str, Any]) -> list[Any]:
        out = []
        for event in events:
            for reply in responder.handle(codec.decode_client(json.dumps(event))):
                if isinstance(reply, lv.LiveServerEvent):
                    frames.append(codec.encode_server(reply))
                    out.append(reply)
        return out

    def pcm(data: bytes) -> dict[str, Any]:
        return {
            "type": "session.input_audio.append",
            "audio": base64.b64encode(data).decode(),
        }

    silence = bytes(48 * 3000)
    client = LiveResponder()
    run(client, {"type": "session.start", "session": {"model": "gpt-live-1"}})
    for words in ("Book a table for two", "At seven please", "Thanks a lot", "Goodbye"):
        run(client, pcm(synth_speech(words, trail_ms=700)), pcm(silence))
    out = run(client, pcm(synth_speech("Please check my order", trail_ms=700)))
    [created] = [e for e in out if isinstance(e, lv.SessionDelegationCreated)]
    run(
        client,
        {
            "type": "session.commentary.append",
            "content": "It shipped yesterday.",
            "delegation_id": created.delegation.id,
        },
        pcm(silence * 3),
        {"type": "session.close"},
    )
    tool = {
        "type": "function",
        "name": "lookup_order",
        "parameters": {"type": "object", "properties": {"id": {"type": "string"}}},
    }
    backend = LiveResponder()
    run(
        backend,
        {
            "type": "session.start",
            "session": {
                "model": "gpt-live-1",
                "delegation": {
                    "type": "responses",
                    "responses": {"model": "gpt-5", "tools": [tool]},
                },
            },
        },
        pcm(synth_speech("Lookup order 42", trail_ms=700)),
        {
            "type": "response.item.create",
            "item": {
                "type": "function_call_output",
                "call_id": "call_0001",
                "output": "shipped",
            },
        },
        {"type": "response.create"},
        pcm(silence * 2),
        {"type": "session.close"},
    )
    return frames


def per_event(decode: Callable[[str], Any], frames: list[str]) -> float:
    start = time.process_time()
    for frame in frames:
        decode(frame)
    return (time.process_time() - start) / len(frames) * 1e6


def first_codec_ms() -> float:
    code = (
        "import time; from realtime_sync.live.codec import LiveCodec;"
        "t = time.process_time(); LiveCodec();"
        "print((time.process_time() - t) * 1000)"
    )
    runs = [
        float(
            subprocess.run(
                [sys.executable, "-c", code],
                capture_output=True,
                text=True,
                check=True,
                cwd=ROOT,
            ).stdout
        )
        for _ in range(5)
    ]
    return statistics.median(runs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15)
    args = parser.parse_args()

    import orjson
    from openai._models import construct_type_unchecked
    from openai.types.live import ServerEvent

    from realtime_sync.live.codec import LiveCodec

    frames = make_stream()
    audio = [f for f in frames if '"session.output_audio.delta"' in f]
    codec = LiveCodec()

    def openai_parse(data: str) -> Any:
        return construct_type_unchecked(value=json.loads(data), type_=ServerEvent)

    decoders: dict[str, Callable[[str], Any]] = {
        "orjson.loads": orjson.loads,
        "openai parse_event": openai_parse,
        "LiveCodec": codec.decode_server,
    }
    for frame in frames:  # same types everywhere before timing
        assert codec.decode_server(frame).type == openai_parse(frame).type
    results: dict[str, tuple[list[float], list[float]]] = {
        k: ([], []) for k in decoders
    }
    for _ in range(args.rounds):
        for name, decode in decoders.items():
            results[name][0].append(per_event(decode, frames))
            results[name][1].append(per_event(decode, audio))
    floor_all = statistics.median(results["orjson.loads"][0])
    floor_audio = statistics.median(results["orjson.loads"][1])
    print(
        f"{len(frames)} frames, {len(audio)} audio deltas; {args.rounds} rounds; "
        "median CPU us/event"
    )
    print(f"{'decoder':<20} {'all':>8} {'x orjson':>9} {'audio':>8} {'x orjson':>9}")
    for name, (all_us, audio_us) in results.items():
        a, b = statistics.median(all_us), statistics.median(audio_us)
        print(
            f"{name:<20} {a:8.2f} {a / floor_all:9.2f} {b:8.2f} {b / floor_audio:9.2f}"
        )
    print(
        f"first LiveCodec (hooks built), fresh interpreter: {first_codec_ms():.1f} ms CPU"
    )


if __name__ == "__main__":
    main()
