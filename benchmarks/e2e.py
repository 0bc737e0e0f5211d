"""End-to-end benchmark: N concurrent Realtime clients against a loopback server.

A WebSocket server runs in its own (spawned) process and streams a recorded GA
conversation at real-time pace (about ten 100 ms audio deltas a second, the other
events in between) to every connection, each event stamped with an extra
``"t_send": time.time()`` field. Each client also appends a 20 ms pcm16 frame
(``input_audio_buffer.append``, 960 bytes) every 20 ms, sent by the library's own
send call on an append driver thread: one driver per 100 clients (at most), each on
its own 20 ms schedule (staggered within the 20 ms period), so that a single driver
is not the bottleneck. Every client kind runs in its own spawned process so that its
CPU time is measured alone:

* ``realtime_sync``: ``RealtimeClient(url=..., api_key="x")`` with a ``"*"`` handler;
* ``openai``: openai-python's sync ``client.realtime.connect()``, a reader thread
  per connection iterating ``for event in connection``;
* ``floor``: ``websocket.create_connection`` + ``recv()`` + ``orjson.loads``, a
  reader thread per connection (the cost of just moving the frames); appends are
  base64 (pybase64 when installed) and a string concatenation for the frame's text,
  then one ``ws.send`` on the driver thread (websocket-client's own lock), as the
  shared harness's floor does. The
  socket has the options the client's own has (``skip_utf8_validation=True``:
  the JSON decoder validates UTF-8 anyway, while websocket-client's validator is
  a pure-Python loop without wsaccel; ``enable_multithread=True``), so the floor
  is what moving the frames costs at best, as in the shared harness
  (``../shared/bench/e2e``), whose figures this benchmark should agree with.

Reported per kind and N: client CPU ms per conversation-second (process CPU time
over the window / (N x seconds)), p50/p99 frame-to-handler latency (and the p99 of
the steady state, after the first second of the window), the fraction
of the events sent in the window that were handled by its end (+1 s grace), the
appends made against the N x seconds / 0.02 expected, the drivers' late ticks (a
tick started more than 20 ms after its due time), and whether real-time pace held.
Pace holds only if all of these do (the ``failed`` column names those that did not):

* handled >= 95 % of sent (``handled``) and p99 < 200 ms (``p99``): the client
  keeps up with the server;
* late ticks <= 5 % of the expected ticks (``late ticks``) and appends made >= 95 %
  of expected (``appends``): the append drivers kept up with the 20 ms schedule;
* server send lag behind its schedule <= 100 ms (``server lag``): the server, not
  the client, would otherwise be setting the pace.

Usage::

    python benchmarks/e2e.py                  # N=50, 10 s per kind
    python benchmarks/e2e.py --find-max       # raise N until pace breaks
    python benchmarks/e2e.py --kinds realtime_sync,floor --n 100 --seconds 5
    python benchmarks/e2e.py --lockstep       # all sessions in phase (burstier)

Sessions start at different points of the conversation, as independent sessions do;
with ``--lockstep`` they all replay it in phase, so every turn boundary becomes one
burst of events across all N sessions at the same instant.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import multiprocessing as mp
import os
import sys
import threading
import time
import traceback
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
STREAMS = (
    ROOT / "tests" / "data" / "ga-conversation.jsonl",
    Path("/work/shared/bench/ga-conversation-100ms.jsonl"),
)
KINDS = ("realtime_sync", "openai", "floor")
FRAME = bytes(960)  # 20 ms of pcm16 mono at 24 kHz
FRAME_B64 = base64.b64encode(FRAME).decode("ascii")
AUDIO_DELTA = "response.output_audio.delta"
GRACE = 1.0  # seconds after the window during which late events still count
WARMUP = 1.0  # seconds at the start of the window left out of "p99 steady"
MAX_P99_MS = 200.0
MIN_FRACTION = 0.95
TICK = 0.02  # append period, s
CLIENTS_PER_DRIVER = 100
MAX_LATE_TICK_FRACTION = 0.05
MIN_APPEND_FRACTION = 0.95
MAX_SERVER_LAG_MS = 100.0


def default_stream() -> Path:
    for path in STREAMS:
        if path.exists():
            return path
    raise SystemExit("no conversation stream found: " + ", ".join(map(str, STREAMS)))


# --------------------------------------------------------------------------- server


def load_stream(path: str) -> tuple[str, list[tuple[bool, str]]]:
    """Return session.created (without its leading '{') and the other events."""
    import orjson

    first = ""
    events: list[tuple[bool, str]] = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            if not line:
                continue
            kind = orjson.loads(line)["type"]
            body = orjson.dumps(orjson.loads(line)).decode()[1:]
            if kind == "session.created" and not first:
                first = body
            else:
                events.append((kind == AUDIO_DELTA, body))
    if not first:
        raise SystemExit(f"{path}: no session.created")
    return first, events


def _stamp(body: str) -> str:
    return '{"t_send":' + repr(time.time()) + "," + body


def server_main(
    path: str,
    seconds: float,
    lockstep: bool,
    port_out: Any,
    start_at: Any,
    sent: Any,
    lag_ms: Any,
    appends: Any,
) -> None:
    from websockets.asyncio.server import serve

    first, events = load_stream(path)
    connections = 0

    def phase() -> int:
        # Independent sessions are not in phase: connection k starts at its own
        # point of the conversation (golden-ratio spread), on an audio delta.
        # --lockstep starts them all together, which turns every turn boundary into
        # one burst of events across all N sessions at the same instant.
        nonlocal connections
        k = connections
        connections += 1
        if lockstep:
            return 0
        i = int((k * 0.6180339887 % 1.0) * len(events))
        while not events[i][0]:
            i = (i + 1) % len(events)
        return i

    async def handler(ws: Any) -> None:
        got = 0
        start_index = phase()

        async def drain() -> None:
            nonlocal got
            async for _ in ws:
                if start_at.value > 0:
                    got += 1

        drainer = asyncio.create_task(drain())
        try:
            await ws.send("{" + first)  # unstamped: not measured
            while start_at.value <= 0 or time.time() < start_at.value:
                await asyncio.sleep(0.005)
            t0 = start_at.value
            end = t0 + seconds
            due = t0
            count = 0
            worst = 0.0
            i = start_index
            while True:
                is_audio, body = events[i]
                i = (i + 1) % len(events)
                if is_audio:
                    due += 0.1
                    delay = due - time.time()
                    if delay > 0:
                        await asyncio.sleep(delay)
                    else:
                        worst = max(worst, -delay)
                if due >= end or time.time() >= end:
                    break
                await ws.send(_stamp(body))
                count += 1
            with sent.get_lock():
                sent.value += count
            with lag_ms.get_lock():
                lag_ms.value = max(lag_ms.value, worst * 1000.0)
            await drainer
        except Exception:
            pass
        finally:
            drainer.cancel()
            with appends.get_lock():
                appends.value += got

    async def main() -> None:
        async with serve(
            handler,
            "127.0.0.1",
            0,
            max_size=None,
            compression=None,
            ping_interval=None,
            backlog=1024,
        ) as server:
            port_out.value = server.sockets[0].getsockname()[1]
            await asyncio.Future()

    asyncio.run(main())


# --------------------------------------------------------------------------- clients


class Stats:
    def __init__(self) -> None:
        self.latencies: list[float] = []
        self.arrivals: list[float] = []  # time.time() of each recorded event
        self.recording = False
        self.errors = 0
        self.first_error = ""
        self._lock = threading.Lock()  # error() is called from many threads

    def seen(self, t_send: Any) -> None:
        if self.recording and t_send is not None:
            now = time.time()
            self.latencies.append(now - t_send)
            self.arrivals.append(now)

    def error(self, exc: object) -> None:
        with self._lock:
            self.errors += 1
            if not self.first_error:
                self.first_error = repr(exc)[:200]


def open_realtime_sync(url: str, n: int, stats: Stats) -> tuple[list[Any], Any, Any]:
    sys.path.insert(0, str(ROOT))
    from realtime_sync import RealtimeClient

    def on_event(event: Any) -> None:
        stats.seen(event.extra.get("t_send"))

    clients = []
    for _ in range(n):
        client = RealtimeClient(url=url, api_key="x")
        client.on("*", on_event)
        client.on_error(stats.error)
        client.connect()
        clients.append(client)

    def append(client: Any) -> None:
        client.append_audio(FRAME)

    def close(client: Any) -> None:
        client.close()

    return clients, append, close


def open_openai(url: str, n: int, stats: Stats) -> tuple[list[Any], Any, Any]:
    import openai

    port = url.split(":")[2].split("/")[0]
    api = openai.OpenAI(api_key="x", base_url=f"http://127.0.0.1:{port}/v1")

    def reader(conn: Any) -> None:
        try:
            for event in conn:
                extra = event.model_extra or {}
                stats.seen(extra.get("t_send"))
        except Exception as exc:
            if stats.recording:
                stats.error(exc)

    conns = []
    for _ in range(n):
        conn = api.realtime.connect(model="gpt-realtime").enter()
        conns.append(conn)
        threading.Thread(target=reader, args=(conn,), daemon=True).start()

    def append(conn: Any) -> None:
        conn.input_audio_buffer.append(audio=FRAME_B64)

    def close(conn: Any) -> None:
        conn.close()

    return conns, append, close


def open_floor(url: str, n: int, stats: Stats) -> tuple[list[Any], Any, Any]:
    import orjson
    import websocket

    def reader(ws: Any) -> None:
        try:
            while True:
                stats.seen(orjson.loads(ws.recv()).get("t_send"))
        except Exception as exc:
            if stats.recording:
                stats.error(exc)

    try:
        from pybase64 import b64encode_as_string as b64
    except ImportError:  # the stdlib, as the client falls back to

        def b64(data: bytes) -> str:
            return base64.b64encode(data).decode("ascii")

    socks = []
    for _ in range(n):
        # The client's options (see the module docstring): without
        # skip_utf8_validation this "floor" cost several times the real one.
        ws = websocket.create_connection(
            url, skip_utf8_validation=True, enable_multithread=True
        )
        socks.append(ws)
        threading.Thread(target=reader, args=(ws,), daemon=True).start()
    prefix = '{"type":"input_audio_buffer.append","audio":"'

    def append(ws: Any) -> None:
        # As the shared harness's floor: the frame's text by concatenation (no
        # event_id, as append_audio() sends none), encoded per append as the
        # clients do, and one ws.send (enable_multithread: websocket-client's own
        # lock serialises it with the close).
        ws.send(prefix + b64(FRAME) + '"}')

    def close(ws: Any) -> None:
        # The reader thread owns recv(), so close() would wait for a close frame
        # it never sees: send the close frame, then drop the socket.
        ws.send_close()
        ws.shutdown()

    return socks, append, close


OPENERS = {
    "realtime_sync": open_realtime_sync,
    "openai": open_openai,
    "floor": open_floor,
}


def drive(
    group: list[Any],
    append: Any,
    stats: Stats,
    start: float,
    end: float,
    expected_ticks: int,
    counts: dict[str, Any],
) -> None:
    """Append one frame to every connection of ``group`` every TICK from ``start``.

    Tick k is due at ``start + k * TICK``; a tick that starts more than one TICK
    after its due time is late. A driver that falls behind catches up back to back
    but stops at ``end``, so its missing ticks show up as missing appends.
    """
    ticks = late = appends = 0
    worst = 0.0
    for k in range(expected_ticks):
        due = start + k * TICK
        now = time.time()
        if now >= end:
            break
        if due > now:
            time.sleep(due - now)
        else:
            behind = now - due
            worst = max(worst, behind)
            if behind > TICK:
                late += 1
        for conn in group:
            try:
                append(conn)
                appends += 1
            except Exception as exc:
                stats.error(exc)
        ticks += 1
    counts.update(ticks=ticks, late=late, appends=appends, worst_late=worst)


def client_main(
    kind: str,
    n: int,
    seconds: float,
    url: str,
    start_at: Any,
    sent: Any,
    out: Any,
) -> None:
    stats = Stats()
    result: dict[str, Any] = {"kind": kind, "n": n}
    try:
        t = time.perf_counter()
        conns, append, close = OPENERS[kind](url, n, stats)
        result["connect_s"] = time.perf_counter() - t
        stats.recording = True
        # One append driver thread per CLIENTS_PER_DRIVER clients, each appending a
        # frame to each of its clients every TICK on its own schedule; the drivers'
        # schedules are staggered evenly within one TICK.
        n_drivers = max(1, -(-n // CLIENTS_PER_DRIVER))
        expected_ticks = round(seconds / TICK)  # per driver
        t0 = time.time() + 0.3 + 0.002 * n_drivers
        end = t0 + seconds
        drivers = []
        for d in range(n_drivers):
            group = conns[d * CLIENTS_PER_DRIVER : (d + 1) * CLIENTS_PER_DRIVER]
            counts = {"ticks": 0, "late": 0, "appends": 0, "worst_late": 0.0}
            start = t0 + d * TICK / n_drivers
            thread = threading.Thread(
                target=drive,
                args=(group, append, stats, start, end, expected_ticks, counts),
                name=f"append-driver-{d}",
                daemon=True,
            )
            thread.start()
            drivers.append((thread, counts))
        start_at.value = t0
        while time.time() < t0:
            time.sleep(0.001)
        cpu0 = time.process_time()
        for thread, _ in drivers:
            thread.join(max(0.0, end - time.time()) + 30.0)
        ticks = sum(c["ticks"] for _, c in drivers)
        late_ticks = sum(c["late"] for _, c in drivers)
        appends_made = sum(c["appends"] for _, c in drivers)
        worst_late_ms = max(c["worst_late"] for _, c in drivers) * 1000.0
        deadline = end + GRACE
        while time.time() < deadline:
            time.sleep(0.01)
        cpu = time.process_time() - cpu0
        lats = sorted(stats.latencies)
        received = len(lats)
        # Steady state: leave out the first WARMUP seconds of the window, when the
        # server starts streaming to every connection at once (a burst that every
        # client kind, the raw floor included, sees as a latency spike).
        steady = sorted(
            lat
            for lat, at in zip(stats.latencies, stats.arrivals, strict=True)
            if at >= t0 + WARMUP
        )
        stats.recording = False
        time.sleep(0.2)
        t = time.perf_counter()
        for conn in conns:
            try:
                close(conn)
            except Exception as exc:
                stats.error(exc)
        result["close_s"] = time.perf_counter() - t
        result.update(
            cpu_ms_per_conv_s=cpu * 1000.0 / (n * seconds),
            cpu_pct=cpu / (seconds + GRACE) * 100.0,
            received=received,
            sent=sent.value,
            p50_ms=lats[len(lats) // 2] * 1000.0 if lats else float("nan"),
            p99_ms=lats[min(len(lats) - 1, int(len(lats) * 0.99))] * 1000.0
            if lats
            else float("nan"),
            max_ms=lats[-1] * 1000.0 if lats else float("nan"),
            p99_steady_ms=steady[min(len(steady) - 1, int(len(steady) * 0.99))] * 1000.0
            if steady
            else float("nan"),
            late_ticks=late_ticks,
            ticks=ticks,
            expected_ticks=expected_ticks * n_drivers,
            drivers=n_drivers,
            worst_late_ms=worst_late_ms,
            appends_made=appends_made,
            appends_expected=round(n * seconds / TICK),
            errors=stats.errors,
            first_error=stats.first_error,
            threads=threading.active_count(),
        )
    except Exception:
        result["crash"] = traceback.format_exc()
    out.put(result)


# --------------------------------------------------------------------------- parent


def run_one(
    ctx: Any, kind: str, n: int, seconds: float, url: str, shared: dict[str, Any]
) -> dict[str, Any]:
    shared["start_at"].value = 0.0
    shared["sent"].value = 0
    shared["lag_ms"].value = 0.0
    shared["appends"].value = 0
    out = ctx.Queue()
    proc = ctx.Process(
        target=client_main,
        args=(kind, n, seconds, url, shared["start_at"], shared["sent"], out),
    )
    proc.start()
    try:
        result = out.get(timeout=seconds + 60 + n * 0.2)
    except Exception:
        result = {"kind": kind, "n": n, "crash": "client process timed out"}
    proc.join(10)
    if proc.is_alive():
        proc.kill()
        proc.join()
    result["server_lag_ms"] = shared["lag_ms"].value
    if "crash" not in result:
        # The server adds its counts when each stream ends (by end of window).
        result["sent"] = shared["sent"].value
        frac = result["received"] / result["sent"] if result["sent"] else 0.0
        result["fraction"] = frac
        failed = []
        if frac < MIN_FRACTION:
            failed.append("handled")
        if not result["p99_ms"] < MAX_P99_MS:  # NaN (nothing handled) fails too
            failed.append("p99")
        if result["late_ticks"] > MAX_LATE_TICK_FRACTION * result["expected_ticks"]:
            failed.append("late ticks")
        if result["appends_made"] < MIN_APPEND_FRACTION * result["appends_expected"]:
            failed.append("appends")
        if result["server_lag_ms"] > MAX_SERVER_LAG_MS:
            failed.append("server lag")
        result["failed"] = failed
        result["pace"] = not failed
    else:
        result["failed"] = ["crash"]
        result["pace"] = False
    time.sleep(0.5)  # let the server finish closing the previous connections
    shared["start_at"].value = 0.0
    if "crash" not in result:
        result["appends_at_server"] = shared["appends"].value
    return result


HEADER = (
    "| client | N | CPU ms / conv-s | client CPU % | p50 ms | p99 ms | p99 steady ms "
    "| max ms "
    "| handled / sent | appends made / expected | appends at server "
    "| late ticks / expected (drivers) | worst tick lag ms | server lag ms "
    "| errors | pace | failed |\n"
    "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---|"
)


def row(r: dict[str, Any]) -> str:
    if "crash" in r:
        last = r["crash"].strip().splitlines()[-1]
        return f"| {r['kind']} | {r['n']} | crashed: {last} ||||||||||||| NO | crash |"
    return (
        f"| {r['kind']} | {r['n']} | {r['cpu_ms_per_conv_s']:.2f} | {r['cpu_pct']:.0f} "
        f"| {r['p50_ms']:.1f} | {r['p99_ms']:.1f} | {r['p99_steady_ms']:.1f} "
        f"| {r['max_ms']:.0f} "
        f"| {r['received']}/{r['sent']} ({r['fraction']:.1%}) "
        f"| {r['appends_made']}/{r['appends_expected']} "
        f"({r['appends_made'] / r['appends_expected']:.1%}) "
        f"| {r.get('appends_at_server', '?')} "
        f"| {r['late_ticks']}/{r['expected_ticks']} ({r['drivers']}) "
        f"| {r['worst_late_ms']:.0f} | {r['server_lag_ms']:.0f} | {r['errors']} "
        f"| {'yes' if r['pace'] else 'NO'} | {', '.join(r['failed']) or '-'} |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=50, help="concurrent clients")
    parser.add_argument("--seconds", type=float, default=10.0, help="window per run")
    parser.add_argument("--kinds", default=",".join(KINDS), help="comma-separated")
    parser.add_argument("--stream", default=None, help="GA server events, JSONL")
    parser.add_argument(
        "--lockstep",
        action="store_true",
        help="start every session at the same point of the conversation (in phase)",
    )
    parser.add_argument(
        "--find-max",
        action="store_true",
        help="raise N (realtime_sync and floor) until pace breaks",
    )
    parser.add_argument(
        "--steps", default="50,100,200,300,400,500", help="N values for --find-max"
    )
    parser.add_argument(
        "--budget", type=float, default=300.0, help="--find-max wall-clock cap, s"
    )
    args = parser.parse_args()
    kinds = [k.strip() for k in args.kinds.split(",") if k.strip()]
    for k in kinds:
        if k not in KINDS:
            parser.error(f"unknown kind {k!r}; choose from {', '.join(KINDS)}")
    stream = args.stream or str(default_stream())

    ctx = mp.get_context("spawn")
    shared = {
        "port": ctx.Value("i", 0),
        "start_at": ctx.Value("d", 0.0),
        "sent": ctx.Value("q", 0),
        "lag_ms": ctx.Value("d", 0.0),
        "appends": ctx.Value("q", 0),
    }
    server = ctx.Process(
        target=server_main,
        args=(
            stream,
            args.seconds,
            args.lockstep,
            shared["port"],
            shared["start_at"],
            shared["sent"],
            shared["lag_ms"],
            shared["appends"],
        ),
        daemon=True,
    )
    server.start()
    while shared["port"].value == 0:
        if not server.is_alive():
            raise SystemExit("server process died")
        time.sleep(0.05)
    url = f"ws://127.0.0.1:{shared['port'].value}/v1/realtime?model=gpt-realtime"
    print(
        f"stream {stream}; {args.seconds:g} s per run; {os.cpu_count()} CPUs; "
        f"python {sys.version.split()[0]}",
        flush=True,
    )
    results: list[dict[str, Any]] = []
    try:
        if not args.find_max:
            for kind in kinds:
                r = run_one(ctx, kind, args.n, args.seconds, url, shared)
                print(row(r), flush=True)
                results.append(r)
        else:
            started = time.monotonic()
            steps = [int(s) for s in args.steps.split(",")]
            for kind in [k for k in kinds if k != "openai"] or kinds:
                for n in steps:
                    if time.monotonic() - started > args.budget:
                        print(f"(budget of {args.budget:g} s spent)", flush=True)
                        break
                    r = run_one(ctx, kind, n, args.seconds, url, shared)
                    print(row(r), flush=True)
                    results.append(r)
                    if not r["pace"]:
                        break
    finally:
        server.kill()
        server.join()
    print()
    print(HEADER)
    for r in results:
        print(row(r))
    for r in results:
        if "crash" in r:
            print(f"\n{r['kind']} N={r['n']} crashed:\n{r['crash']}")
        elif r["errors"]:
            print(
                f"\n{r['kind']} N={r['n']}: {r['errors']} errors, first: {r['first_error']}"
            )
    lag = max((r.get("server_lag_ms", 0.0) for r in results), default=0.0)
    print(
        f"\nworst server send lag behind schedule: {lag:.0f} ms "
        "(large values mean the server, not the client, set the pace)"
    )
    if args.find_max:
        for kind in {r["kind"] for r in results}:
            held = [r["n"] for r in results if r["kind"] == kind and r["pace"]]
            print(
                f"{kind}: max N with real-time pace held: {max(held) if held else '< ' + str(min(steps))}"
            )


if __name__ == "__main__":
    main()
