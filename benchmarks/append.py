"""Send-path benchmark: CPU per 20 ms audio append, N sessions, against the floor.

Run from the repository root::

    python benchmarks/append.py                  # N=50, 5 s per kind, 3 rounds
    python benchmarks/append.py --n 200 --seconds 3

A WebSocket server in its own process greets each connection with
``session.created`` and then only reads (no events are streamed, so the client's
CPU is the send path's alone). In this process, one thread appends 20 ms of 24 kHz
pcm16 (960 bytes) to each of N sessions every 20 ms, as a voice app's audio thread
does, and the process CPU time (all threads: a hand-off to a writer thread would
count) over the window is divided by the appends made. Kinds, alternating within
each round:

* ``floor``: websocket-client with the client's options, the append built as one
  string (pybase64) and sent with ``ws.send``: what moving the frame costs at best.
* ``append_audio``: ``RealtimeClient.append_audio(pcm_bytes)``, the whole path.
* ``channel.send``: the client's channel alone (``Connection.send`` of a prepared
  text), to tell the transport's share from the client's.

The shared harness (``../shared/bench/e2e``) measures sends and receives together;
this one isolates the sends (50 a second per session, against about 9 events
received), with less noise from the machine.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent

SERVER = r"""
import sys, threading
from websockets.sync.server import serve
HELLO = ('{"type":"session.created","event_id":"hello","session":{"type":"realtime",'
         '"object":"realtime.session","id":"sess_bench","model":"gpt-realtime"}}')
def handler(ws):
    ws.send(HELLO, text=True)
    try:
        while True:
            ws.recv(decode=False)
    except Exception:
        pass
srv = serve(handler, "127.0.0.1", 0, compression=None, max_size=None,
            ping_interval=None, max_queue=64)
print(srv.socket.getsockname()[1], flush=True)
threading.Thread(target=srv.serve_forever, daemon=True).start()
sys.stdin.read()
srv.shutdown()
"""

KINDS = ("floor", "append_audio", "channel.send")
PCM = bytes(range(256)) * 3 + bytes(192)  # 960 bytes: 20 ms of 24 kHz pcm16


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _open(kind: str, url: str, n: int) -> tuple[list[Any], Any]:
    """N sessions of ``kind``: (the send callables, a function closing them)."""
    if kind == "floor":
        import pybase64
        import websocket

        socks = []
        for _ in range(n):
            ws = websocket.create_connection(
                url, skip_utf8_validation=True, enable_multithread=True
            )
            ws.recv()  # session.created
            socks.append(ws)

        def floor_send(ws: Any) -> Any:
            head = '{"type":"input_audio_buffer.append","audio":"'
            return lambda: ws.send(head + pybase64.b64encode_as_string(PCM) + '"}')

        return [floor_send(ws) for ws in socks], lambda: [ws.close() for ws in socks]
    sys.path.insert(0, str(ROOT))
    from realtime_sync import RealtimeClient
    from realtime_sync import events as ev
    from realtime_sync.protocol import Codec

    clients = []
    for _ in range(n):
        client = RealtimeClient(url=url, api_key="x", dialect="ga")
        client.on("*", lambda event: None)
        client.connect()
        clients.append(client)
    if kind == "append_audio":
        sends = [lambda c=c: c.append_audio(PCM) for c in clients]
    else:
        event = ev.InputAudioBufferAppend(event_id="evt_1", audio="A" * 1280)
        text = Codec("ga").encode_client(event)
        sends = [lambda c=c: c._channel.send(text, event) for c in clients]
    return sends, lambda: [c.close() for c in clients]


def run(kind: str, url: str, n: int, seconds: float) -> float:
    """CPU microseconds per append for ``kind`` (appends paced at 20 ms)."""
    sends, close = _open(kind, url, n)
    try:
        for _ in range(5):  # warm up
            for send in sends:
                send()
        time.sleep(0.2)
        count = 0
        cpu0 = _cpu()
        due = time.monotonic()
        end = due + seconds
        while due < end:
            for send in sends:
                send()
            count += len(sends)
            due += 0.02
            wait = due - time.monotonic()
            if wait > 0:
                time.sleep(wait)
        return (_cpu() - cpu0) / count * 1e6
    finally:
        close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=50, help="sessions")
    parser.add_argument("--seconds", type=float, default=5.0, help="window per run")
    parser.add_argument("--rounds", type=int, default=3, help="runs per kind")
    parser.add_argument("--kinds", default=",".join(KINDS), help="comma-separated")
    args = parser.parse_args()
    kinds = [k for k in args.kinds.split(",") if k]
    for kind in kinds:
        if kind not in KINDS:
            parser.error(f"unknown kind {kind!r}; choose from {', '.join(KINDS)}")
    server = subprocess.Popen(
        [sys.executable, "-c", SERVER],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert server.stdout is not None
        url = f"ws://127.0.0.1:{int(server.stdout.readline())}/v1/realtime"
        results: dict[str, list[float]] = {k: [] for k in kinds}
        for _ in range(args.rounds):
            for kind in kinds:
                results[kind].append(run(kind, url, args.n, args.seconds))
    finally:
        assert server.stdin is not None
        server.stdin.close()
        server.wait(10)
    floor = statistics.median(results["floor"]) if "floor" in results else None
    print(f"\nN={args.n}, {args.seconds:g} s x {args.rounds} rounds")
    print("\n| kind | CPU us per append (median) | runs | x floor |")
    print("|---|---:|---|---:|")
    for kind in kinds:
        med = statistics.median(results[kind])
        runs = ", ".join(f"{v:.1f}" for v in results[kind])
        ratio = f"{med / floor:.2f}" if floor else "-"
        print(f"| {kind} | {med:.1f} | {runs} | {ratio} |")


if __name__ == "__main__":
    main()
