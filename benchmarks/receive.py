"""Receive benchmark: what the client does with each server frame, beside decoding it.

Run from the repository root::

    python benchmarks/receive.py               # 9 rounds
    python benchmarks/receive.py --rounds 21   # steadier medians

A ``RealtimeClient`` on the in-memory transport gets the frames of ``decode.py``'s
generated GA conversation (747 frames, 532 of them 100 ms audio deltas; a new seed,
so new ids, each round), handed to its per-frame entry (``_on_frame``) on this
thread, as the transport's reader thread hands them: no socket, no waiting. One
``"*"`` handler does what the shared harness's adapter does (reads the event id and
type, and ``event.audio.nbytes`` of an audio delta).

Three passes a round, in a new order each round, each frame timed on its own
(``time.perf_counter_ns``, whose cost is in every column alike) and summed per event
type:

* ``decode``: ``Codec("ga").decode_server(frame)``;
* ``handler``: the handler, called on the decoded event;
* ``client``: ``client._on_frame(frame)``: decoding, the session core's bookkeeping
  (conversation, responses, audio retention) under the client's lock, dispatch,
  the handler.

Reported per event type: the medians over rounds of µs per event, and ``own``,
``client - decode - handler``: what the SDK adds per event to decoding it and to
the user's handler.
"""

from __future__ import annotations

import argparse
import gc
import random
import statistics
import sys
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from decode import generate_stream  # noqa: E402

import realtime_sync as rs  # noqa: E402
from realtime_sync import events as ev  # noqa: E402
from realtime_sync.protocol import Codec  # noqa: E402
from realtime_sync.testing import InMemoryTransport  # noqa: E402

Times = dict[str, list[int]]


def handler(event: Any) -> None:
    """The shared harness adapter's handler: id, type, and the audio's size."""
    if not event.event_id.startswith("event_"):
        return
    if type(event) is ev.ResponseOutputAudioDelta:
        SEEN[event.type] += event.audio.nbytes
    else:
        SEEN[event.type] += 0


SEEN: defaultdict[str, int] = defaultdict(int)


def timed(fn: Callable[[Any], Any], items: list[Any], types: list[str]) -> Times:
    """ns per call of ``fn`` on each item, grouped by event type."""
    clock = time.perf_counter_ns
    out: Times = defaultdict(list)
    gc.collect()
    for item, type_ in zip(items, types, strict=True):
        start = clock()
        fn(item)
        out[type_].append(clock() - start)
    return out


def one_round(seed: int, order: list[str]) -> dict[str, Times]:
    frames = generate_stream(seed)
    codec = Codec("ga")
    events = [codec.decode_server(f) for f in frames]
    types = [e.type for e in events]
    client = rs.RealtimeClient(transport=InMemoryTransport(), dialect="ga")
    client.on("*", handler)
    client.connect()
    try:
        passes: dict[str, Callable[[], Times]] = {
            "decode": lambda: timed(codec.decode_server, frames, types),
            "handler": lambda: timed(handler, events, types),
            "client": lambda: timed(client._on_frame, frames, types),
        }
        return {name: passes[name]() for name in order}
    finally:
        client.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=9)
    args = parser.parse_args()
    rng = random.Random(1)
    per_round: list[dict[str, Times]] = []
    for r in range(args.rounds):
        order = ["decode", "handler", "client"]
        rng.shuffle(order)
        per_round.append(one_round(100 + r, order))

    def med(kind: str, type_: str | None) -> float:
        """Median over rounds of µs per event (all types when ``type_`` is None)."""
        values = []
        for times in per_round:
            xs = [x for t, v in times[kind].items() if type_ in (None, t) for x in v]
            values.append(sum(xs) / len(xs) / 1000)
        return statistics.median(values)

    counts = {t: len(v) for t, v in per_round[0]["client"].items()}
    print(
        f"python {sys.version.split()[0]}, rounds: {args.rounds}, "
        f"{sum(counts.values())} frames a round; clock: perf_counter_ns per frame"
    )
    print()
    header = (
        f"{'event type':<52} {'n':>4} {'decode':>8} {'handler':>8} {'client':>8}"
        f" {'own':>8}"
    )
    print(header + "\n" + "-" * len(header))
    rows = sorted(counts, key=lambda t: -counts[t] * med("client", t))
    for type_ in [*rows, None]:
        d, h, c = (med(k, type_) for k in ("decode", "handler", "client"))
        name = "all events" if type_ is None else type_
        n = sum(counts.values()) if type_ is None else counts[type_]
        print(f"{name:<52} {n:>4} {d:8.2f} {h:8.2f} {c:8.2f} {c - d - h:8.2f}")
    print()
    print("µs per event, medians over rounds; own = client - decode - handler")


if __name__ == "__main__":
    main()
