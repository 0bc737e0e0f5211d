"""The read path of the two transports alone: CPU per frame received, N connections.

A websockets server in its own process sends every connection one text frame of
``--size`` bytes every ``1/--rate`` s (each connection on its own staggered
schedule, as independent sessions would be); the client process opens N channels
with :class:`~realtime_sync.transport.WebSocketTransport` (a reader thread per
connection) or :class:`~realtime_sync.transport.SharedReaderTransport` (one
reader thread), counts the frames in ``on_message`` and reports its CPU time per
frame. No client above the transport: this is the transport's own cost
(websocket framing, wake-ups, the GIL), which the shared harness
(``benchmarks/e2e_shared.py``) shows with everything else on top.

Usage::

    PYTHONPATH=. python benchmarks/shared_reader.py --n 50,200,400 --seconds 5

Each kind runs in its own process, alternating, ``--rounds`` times; the table has
the median. The machines are shared and noisy: compare the two columns of one
run, not runs.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import multiprocessing as mp
import resource
import statistics
import sys
import threading
import time
from typing import Any

KINDS = ("thread", "shared")


def _serve(port_box: Any, size: int, rate: float, seconds: float) -> None:
    from websockets.asyncio.server import serve
    from websockets.exceptions import ConnectionClosed

    payload = '{"type":"x","pad":"' + "a" * max(0, size - 20) + '"}'

    async def handler(ws: Any) -> None:
        period = 1.0 / rate
        start = time.monotonic() + (id(ws) % 1000) / 1000 * period  # staggered
        end = time.monotonic() + seconds + 2.0
        await asyncio.sleep(max(0.0, start - time.monotonic()))
        tick = start
        with contextlib.suppress(ConnectionClosed):
            while time.monotonic() < end:
                await ws.send(payload)
                tick += period
                await asyncio.sleep(max(0.0, tick - time.monotonic()))
            await ws.close()

    async def main() -> None:
        async with serve(
            handler, "127.0.0.1", 0, compression=None, ping_interval=None
        ) as server:
            port_box.value = next(iter(server.sockets)).getsockname()[1]
            await asyncio.sleep(seconds + 30)

    asyncio.run(main())


def _client(kind: str, port: int, n: int, seconds: float, out: Any) -> None:
    from realtime_sync.transport import SharedReaderTransport, WebSocketTransport

    transport = SharedReaderTransport() if kind == "shared" else WebSocketTransport()
    count = [0]
    lock = threading.Lock()

    def on_message(text: str) -> None:
        with lock:
            count[0] += 1

    channels = [
        transport.open(
            f"ws://127.0.0.1:{port}/",
            headers={},
            on_message=on_message,
            on_close=lambda exc: None,
            on_binary=lambda data: None,
        )
        for _ in range(n)
    ]
    for channel in channels:
        channel.connect()
    time.sleep(1.0)  # every connection past its first frame
    usage = resource.getrusage(resource.RUSAGE_SELF)
    cpu0 = usage.ru_utime + usage.ru_stime
    frames0, t0 = count[0], time.monotonic()
    time.sleep(seconds)
    usage = resource.getrusage(resource.RUSAGE_SELF)
    cpu1 = usage.ru_utime + usage.ru_stime
    frames, wall = count[0] - frames0, time.monotonic() - t0
    for channel in channels:
        channel.close(timeout=1.0)
    out.put((frames, cpu1 - cpu0, wall))


def _run(kind: str, n: int, args: argparse.Namespace) -> tuple[float, float, float]:
    ctx = mp.get_context("spawn")
    port = ctx.Value("i", 0)
    server = ctx.Process(
        target=_serve, args=(port, args.size, args.rate, args.seconds + 1.0)
    )
    server.start()
    while not port.value:
        time.sleep(0.01)
    out = ctx.Queue()
    client = ctx.Process(target=_client, args=(kind, port.value, n, args.seconds, out))
    client.start()
    frames, cpu, wall = out.get(timeout=args.seconds + 60)
    client.join(30)
    server.terminate()
    server.join(5)
    return frames / wall, cpu / frames * 1e6, 100 * cpu / wall


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--n", default="50,200,400", help="connections, comma-separated"
    )
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--rate", type=float, default=10.0, help="frames/s/connection")
    parser.add_argument("--size", type=int, default=6600, help="bytes per frame")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    print(
        f"| N | transport | frames/s | client CPU µs/frame | CPU % of a core |"
        f" (median of {args.rounds}; {args.size} B frames, {args.rate:g}/s each)"
    )
    print("|---|---|---|---|---|")
    for n in (int(x) for x in args.n.split(",")):
        results: dict[str, list[tuple[float, float, float]]] = {k: [] for k in KINDS}
        for r in range(args.rounds):
            for kind in KINDS if r % 2 == 0 else KINDS[::-1]:
                results[kind].append(_run(kind, n, args))
        for kind in KINDS:
            rows = results[kind]
            fps = statistics.median(x[0] for x in rows)
            us = statistics.median(x[1] for x in rows)
            pct = statistics.median(x[2] for x in rows)
            print(f"| {n} | {kind} | {fps:.0f} | {us:.1f} | {pct:.1f} |")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
