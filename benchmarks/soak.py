"""Soak benchmark: one simulated hour of duplex audio per client, accelerated.

Not part of CI. The mock server (``realtime_sync.testing.MockRealtimeServer``, server
VAD on, audio replies with transcripts) runs in its own spawned process; this process
holds ``--clients`` ``RealtimeClient`` sessions with the library's defaults (no
``session=`` other than turning on input transcription; ``audio_retention_seconds``
(60 s) and ``conversation_max_items`` (500) at their defaults unless ``--retention``
or ``--max-items`` say otherwise; ping on, barge-in left at ``None``) and streams each
of
them a synthetic "microphone": :func:`realtime_sync.testing.synth_speech` utterances
of 1.2 to 4 s (each carrying its text, so the mock transcribes it and answers
``You said: ...``) separated by 4 to 6 s of silence, which the mock's VAD turns into
turns: speech_started, speech_stopped, committed, the user item, the input
transcription and an automatic response of ``--reply-ms`` of audio with its transcript,
streamed back while the client goes on appending (duplex).

Simulated time is the input audio appended: one simulated hour is 3600 s of 24 kHz
pcm16 per client (``append_audio(bytes)``, ``--chunk-ms`` per append). Pacing is
accelerated ``--speed`` times: one append per client every ``chunk-ms / speed`` ms of
wall time from one driver loop (the main thread), and the server spaces the deltas of
a reply so that it streams ``--speed`` times faster than real time too, so replies
end before the next utterance as they would in real time. A driver that falls behind
catches up back to back (the run then takes longer; ``driver lag`` says how much).

Measured in this (client) process: RSS (``VmRSS``), threads (``/proc/self/task`` and
``threading.active_count()``) and open fds (``/proc/self/fd``) before connecting,
after ``--warmup`` simulated minutes, every ``--sample-every`` simulated minutes,
at the end while still connected, and after every client closed; and the server
process's RSS, threads and fds alongside. Pass/fail:

* RSS growth (end, still connected, minus after warm-up) <= ``--max-growth-mb``;
* threads and fds after close == before connect.

The audio retention is a bound, not a leak, but it fills only after that much
*assistant* audio per client: with the default 60 s and the default pattern (a 3 s
reply every 7.1 s), after about 2.4 simulated minutes, inside the 3-minute warm-up;
a longer ``--retention`` fills after the warm-up (300 s: about 12 minutes), and its
filling then counts as growth. So the table also shows the retained audio
(``client.conversation.retained_audio_bytes``, held as base64 text: 4/3 of it in
memory) and the steady-state RSS growth: from the second sample at which every
client's retention was full to the end, also per turn. ``--warmup 20`` makes the
pass/fail growth that steady-state figure. The item bound (500) is reached after
about 30 simulated minutes (two items a turn); until then each item (~0.45 KB)
counts as growth. After close, the RSS is shown again after ``malloc_trim(0)``
(memory glibc kept after ``free``).

``--tracemalloc`` traces allocations (slow), adds the traced size to each sample and
prints the top growth by file:line between the warm-up point and the end, and what
is left after close compared with before connect.

The mock server keeps, by default, every client event it received, every frame it
sent and every conversation item (input audio included) for tests to inspect: an hour
of audio per client would grow the server by gigabytes. This benchmark's server is a
``MockRealtimeServer(record=False)`` (no events or frames kept; it still counts the
frames it sent) whose Responders keep the last 16 items of each conversation (a
subclass, in the server process only); the client is not changed.

Usage::

    python benchmarks/soak.py --clients 1
    python benchmarks/soak.py --clients 50 --speed 4 --chunk-ms 200
    python benchmarks/soak.py --clients 1 --minutes 10 --tracemalloc
"""

from __future__ import annotations

import argparse
import gc
import multiprocessing as mp
import os
import sys
import threading
import time
import traceback
import tracemalloc
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RATE = 24_000
BYTES_PER_MS = RATE * 2 // 1000  # pcm16 mono
RETENTION_S = 60.0  # RealtimeClient's default audio_retention_seconds
KEEP_ITEMS = 16  # server side: conversation items each mock session keeps
# (speech ms, silence ms after it): one "conversation" cycle, 42.8 s of audio.
PATTERN = (
    (1200, 4000),
    (2600, 4400),
    (4000, 5000),
    (1800, 4200),
    (3200, 6000),
    (2000, 4400),
)

# ------------------------------------------------------------------------ /proc


def proc_figures(pid: int | str = "self") -> dict[str, float]:
    """RSS (MB), threads and open fds of a process, from /proc."""
    rss_kb = 0
    with open(f"/proc/{pid}/status", encoding="ascii") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                rss_kb = int(line.split()[1])
                break
    return {
        "rss_mb": rss_kb / 1024.0,
        "tasks": len(os.listdir(f"/proc/{pid}/task")),
        "fds": len(os.listdir(f"/proc/{pid}/fd")),
    }


# ------------------------------------------------------------------------ server


def server_main(
    port_out: Any, commands: Any, reply_ms: int, chunk_ms: int, speed: float
) -> None:
    """Run the mock server until told to stop; answer ``stats`` on ``commands``."""
    sys.path.insert(0, str(ROOT))
    from realtime_sync.testing import MockRealtimeServer, Responder

    class SoakResponder(Responder):
        # The mock keeps the whole conversation, input audio included, for tests;
        # a soak keeps only the last few items so the server stays small.
        def _append(self, item: Any) -> str | None:
            previous = super()._append(item)
            if len(self._items) > KEEP_ITEMS:
                del self._items[: len(self._items) - KEEP_ITEMS]
            return previous

    class SoakServer(MockRealtimeServer):
        frames_sent = 0

        def _record_sent(self, text: str) -> None:  # called for every frame sent
            self.frames_sent += 1  # several sender threads: approximate

    # Spread the reply's deltas so that it streams `speed` times faster than real
    # time: audio deltas of chunk_ms, transcript deltas of 8 characters (about 40
    # characters of "You said: soak turn N of the hour"), one pause after each.
    deltas = -(-reply_ms // chunk_ms) + 6
    interval = reply_ms / 1000.0 / speed / deltas
    server = SoakServer(
        responder_factory=lambda: SoakResponder(
            "ga", audio_ms=reply_ms, audio_chunk_ms=chunk_ms
        ),
        delta_interval=interval,
        pace="instant",
        record=False,
    )
    server.start()
    port_out.value = server.port
    try:
        while True:
            command = commands.recv()
            if command == "stats":
                commands.send(
                    {
                        "frames_sent": server.frames_sent,
                        "responders": len(server.responders),
                        "connections": server.connections,
                        "total_connections": server.total_connections,
                    }
                )
            else:
                break
    finally:
        server.stop()
        commands.send("stopped")


# ------------------------------------------------------------------------ clients


def make_tape() -> tuple[bytes, int]:
    """One cycle of the microphone: utterances and pauses, as 24 kHz pcm16 bytes."""
    sys.path.insert(0, str(ROOT))
    from realtime_sync.testing import synth_speech

    parts = []
    for i, (speech_ms, silence_ms) in enumerate(PATTERN):
        parts.append(
            synth_speech(f"soak turn {i + 1} of the hour", ms=speech_ms)
            + bytes(silence_ms * BYTES_PER_MS)
        )
    tape = b"".join(parts)
    return tape, len(tape) // BYTES_PER_MS


class Counts:
    """Per-client event counts, written by that client's reader thread only."""

    __slots__ = ("cancelled", "completed", "events", "other", "turns")

    def __init__(self) -> None:
        self.events = 0
        self.turns = 0  # input_audio_buffer.speech_stopped
        self.completed = 0  # response.done, status completed
        self.cancelled = 0  # response.done, status cancelled (barge-in)
        self.other = 0  # response.done, any other status


def run(args: argparse.Namespace) -> dict[str, Any]:
    sys.path.insert(0, str(ROOT))
    import realtime_sync as rs
    from realtime_sync import events as ev

    if args.tracemalloc:
        tracemalloc.start(args.tracemalloc_frames)

    retention = RETENTION_S if args.retention is None else args.retention
    options: dict[str, Any] = {}
    if args.retention is not None:
        options["audio_retention_seconds"] = args.retention
    if args.max_items is not None:
        options["conversation_max_items"] = (
            None if args.max_items < 0 else args.max_items
        )

    tape, tape_ms = make_tape()
    chunk = args.chunk_ms * BYTES_PER_MS
    # Loop the tape so any chunk can be read without wrapping.
    loop = tape + tape[: chunk * 2]
    total_chunks = round(args.minutes * 60_000 / args.chunk_ms)
    warmup_chunk = round(args.warmup * 60_000 / args.chunk_ms)
    every = max(1, round(args.sample_every * 60_000 / args.chunk_ms))
    tick = args.chunk_ms / 1000.0 / args.speed

    ctx = mp.get_context("spawn")
    port = ctx.Value("i", 0)
    parent_end, child_end = ctx.Pipe()
    server = ctx.Process(
        target=server_main,
        args=(port, child_end, args.reply_ms, args.chunk_ms, args.speed),
        daemon=True,
    )
    server.start()
    while port.value == 0:
        if not server.is_alive():
            raise SystemExit("server process died")
        time.sleep(0.05)
    url = f"ws://127.0.0.1:{port.value}/v1/realtime?model=gpt-realtime"

    # Warm the imports and the codec on a throwaway client so that the "before
    # connect" figures are those of a process that already has every module.
    warm = rs.RealtimeClient(url=url, api_key="x")
    warm.connect()
    warm.append_audio(bytes(chunk))
    warm.close()
    del warm
    gc.collect()
    time.sleep(0.5)

    samples: list[dict[str, Any]] = []
    clients: list[Any] = []

    def sample(label: str, sim_min: float) -> dict[str, Any]:
        gc.collect()
        figures = proc_figures()
        srv = proc_figures(server.pid) if server.pid else {}
        retained = [c.conversation.retained_audio_bytes for c in clients]
        s = {
            "label": label,
            "sim_min": sim_min,
            "wall": time.perf_counter() - t_start,
            "rss": figures["rss_mb"],
            "tasks": figures["tasks"],
            "threads": threading.active_count(),
            "fds": figures["fds"],
            "srv_rss": srv.get("rss_mb", float("nan")),
            "srv_tasks": srv.get("tasks", 0),
            "srv_fds": srv.get("fds", 0),
            "retained_mb": sum(retained) / 1e6,
            "retention_full": bool(clients)
            and min(retained) >= retention * RATE * 2 * 0.99,
            "items": sum(len(c.conversation) for c in clients),
            "events": sum(k.events for k in counts),
            "turns": sum(k.turns for k in counts),
            "traced": tracemalloc.get_traced_memory()[0] / 1e6
            if args.tracemalloc
            else float("nan"),
        }
        samples.append(s)
        print(
            f"  [{label:>9}] sim {sim_min:6.1f} min  wall {s['wall']:7.1f} s  "
            f"RSS {s['rss']:7.1f} MB  threads {s['threads']:3d} (tasks {s['tasks']:3d})"
            f"  fds {s['fds']:3d}  retained audio {s['retained_mb']:7.1f} MB"
            f"{' (full)' if s['retention_full'] else ''}  items {s['items']:6d}  "
            f"server RSS {s['srv_rss']:7.1f} MB  tasks {s['srv_tasks']}  "
            f"fds {s['srv_fds']}"
            + (f"  traced {s['traced']:.1f} MB" if args.tracemalloc else ""),
            flush=True,
        )
        return s

    counts: list[Counts] = []
    t_start = time.perf_counter()
    before = sample("before", 0.0)
    snap_before = tracemalloc.take_snapshot() if args.tracemalloc else None

    errors: list[str] = []

    def on_error(exc: object) -> None:
        if len(errors) < 20:
            errors.append(repr(exc)[:200])
        else:
            errors.append("")

    session = rs.SessionConfig(
        transcription=ev.TranscriptionConfig(model="gpt-4o-transcribe")
    )
    for _ in range(args.clients):
        client = rs.RealtimeClient(
            url=url,
            api_key="x",
            session=session,
            **options,
        )
        k = Counts()

        def on_any(event: Any, k: Counts = k) -> None:
            k.events += 1

        def on_stopped(event: Any, k: Counts = k) -> None:
            k.turns += 1

        def on_done(event: ev.ResponseDone, k: Counts = k) -> None:
            status = event.response.status
            if status == "completed":
                k.completed += 1
            elif status == "cancelled":
                k.cancelled += 1
            else:
                k.other += 1

        client.on("*", on_any)
        client.on(ev.InputAudioBufferSpeechStopped, on_stopped)
        client.on(ev.ResponseDone, on_done)
        client.on_error(on_error)
        client.connect()
        clients.append(client)
        counts.append(k)
    connected = sample("connected", 0.0)

    # Each client starts at its own point of the tape (golden-ratio spread, on a
    # chunk boundary), as independent conversations would.
    n_tape_chunks = tape_ms // args.chunk_ms
    offsets = [
        int((i * 0.6180339887 % 1.0) * n_tape_chunks) for i in range(args.clients)
    ]
    queue_full = 0
    worst_lag = 0.0
    warm_sample: dict[str, Any] | None = None
    snap0 = None
    t0 = time.perf_counter()
    for n in range(total_chunks):
        due = t0 + n * tick
        now = time.perf_counter()
        if due > now:
            time.sleep(due - now)
        else:
            worst_lag = max(worst_lag, now - due)
        for i, client in enumerate(clients):
            at = ((offsets[i] + n) % n_tape_chunks) * chunk
            data = loop[at : at + chunk]
            try:
                client.append_audio(data)
            except rs.QueueFull:
                queue_full += 1
                client.flush(timeout=30)
                client.append_audio(data)
        done = n + 1
        if done == warmup_chunk:
            warm_sample = sample("warm-up", done * args.chunk_ms / 60_000)
            if args.tracemalloc:
                snap0 = tracemalloc.take_snapshot()
        elif done % every == 0 and done != total_chunks:
            sample("", done * args.chunk_ms / 60_000)
    wall_drive = time.perf_counter() - t0
    # Let the last reply finish (its pauses are chunk/speed each), then measure
    # while still connected.
    time.sleep(max(2.0, args.reply_ms / 1000.0 / args.speed * 2))
    end = sample("end", args.minutes)
    snap1 = tracemalloc.take_snapshot() if args.tracemalloc else None

    turns = sum(k.turns for k in counts)
    completed = sum(k.completed for k in counts)
    cancelled = sum(k.cancelled for k in counts)
    other = sum(k.other for k in counts)
    events = sum(k.events for k in counts)
    usage_responses = sum(c.usage.responses for c in clients)
    usage_tokens = sum(c.usage.total_tokens for c in clients)
    recent = sum(len(c.responses) for c in clients)
    items = sum(len(c.conversation) for c in clients)
    parent_end.send("stats")
    server_stats = parent_end.recv()

    for client in clients:
        client.close()
    clients.clear()
    del client
    gc.collect()
    time.sleep(1.0)
    after = sample("closed", args.minutes)
    snap_closed = tracemalloc.take_snapshot() if args.tracemalloc else None
    # RSS that glibc keeps after free() (arenas of the reader threads, fragmented
    # heap) is not a leak: malloc_trim(0) hands it back; whatever stays is live.
    trimmed = None
    try:
        import ctypes

        ctypes.CDLL("libc.so.6").malloc_trim(0)
        trimmed = sample("trimmed", args.minutes)
    except (OSError, AttributeError):
        pass
    parent_end.send("stop")
    parent_end.recv()
    server.join(10)
    if server.is_alive():
        server.kill()
        server.join()

    if snap0 is not None and snap1 is not None:
        print(f"\ntracemalloc: top {args.top} growth, warm-up -> end (by line)")
        for stat in snap1.compare_to(snap0, "lineno")[: args.top]:
            print("  ", stat)
        print(f"\ntracemalloc: top {args.top} growth, warm-up -> end (by traceback)")
        for stat in snap1.compare_to(snap0, "traceback")[: args.top // 2]:
            print("  ", stat)
            for line in stat.traceback.format()[-8:]:
                print("      ", line)
    if snap_before is not None and snap_closed is not None:
        print(f"\ntracemalloc: top {args.top // 2} left after close (before -> closed)")
        for stat in snap_closed.compare_to(snap_before, "lineno")[: args.top // 2]:
            print("  ", stat)

    base = warm_sample or connected
    # Steady state: the second sample with every client's retention full (the
    # first one is taken while the allocator still settles into the churn of
    # dropping the oldest chunk for each new one).
    full_samples = [s for s in samples if s["retention_full"] and s is not end]
    full = full_samples[1] if len(full_samples) > 1 else None
    growth = end["rss"] - base["rss"]
    growth_full = end["rss"] - full["rss"] if full is not None else float("nan")
    failed = []
    if growth > args.max_growth_mb:
        failed.append("RSS growth")
    if after["tasks"] > before["tasks"] or after["threads"] > before["threads"]:
        failed.append("threads")
    if after["fds"] > before["fds"]:
        failed.append("fds")
    return {
        "clients": args.clients,
        "minutes": args.minutes,
        "speed": args.speed,
        "chunk_ms": args.chunk_ms,
        "wall": after["wall"],
        "wall_drive": wall_drive,
        "worst_lag": worst_lag,
        "turns": turns,
        "completed": completed,
        "cancelled": cancelled,
        "other": other,
        "events": events,
        "usage_responses": usage_responses,
        "usage_tokens": usage_tokens,
        "recent": recent,
        "items": items,
        "queue_full": queue_full,
        "errors": errors,
        "before": before,
        "warm": base,
        "full": full,
        "trimmed": trimmed,
        "end": end,
        "after": after,
        "peak": max(s["rss"] for s in samples),
        "growth": growth,
        "growth_full": growth_full,
        "failed": failed,
        "server": server_stats,
        "samples": samples,
    }


# ------------------------------------------------------------------------ report


def report(r: dict[str, Any]) -> None:
    b, w, e, a = r["before"], r["warm"], r["end"], r["after"]
    full = r["full"]
    t = r["trimmed"]
    trimmed_txt = f" / {t['rss']:.1f}" if t is not None else " / -"
    print()
    print(
        "| clients | sim min / client | speed x chunk | wall s | turns | responses "
        "completed / cancelled / other | events received | RSS before / warm-up / "
        "peak / end / closed / closed+malloc_trim MB | RSS growth MB (end - warm-up) | growth after full "
        "MB (steady state) | retained audio MB warm-up / end | threads before / end / closed "
        "| fds before / end / closed | result |"
    )
    print("|---:|---:|---|---:|---:|---|---:|---|---:|---:|---|---|---|---|")
    full_txt = (
        f"{r['growth_full']:+.1f} (from {full['sim_min']:.0f} min, "
        f"{r['growth_full'] * 1024 / max(1, e['turns'] - full['turns']):.2f} KB/turn)"
        if full is not None
        else "n/a (retention not full for two samples)"
    )
    print(
        f"| {r['clients']} | {r['minutes']:g} | {r['speed']:g}x, {r['chunk_ms']} ms "
        f"| {r['wall']:.0f} | {r['turns']} "
        f"| {r['completed']} / {r['cancelled']} / {r['other']} | {r['events']} "
        f"| {b['rss']:.1f} / {w['rss']:.1f} / {r['peak']:.1f} / {e['rss']:.1f} / "
        f"{a['rss']:.1f}{trimmed_txt} | {r['growth']:+.1f} | {full_txt} "
        f"| {w['retained_mb']:.1f} / {e['retained_mb']:.1f} "
        f"| {b['threads']} / {e['threads']} / {a['threads']} "
        f"| {b['fds']} / {e['fds']} / {a['fds']} "
        f"| {'PASS' if not r['failed'] else 'FAIL: ' + ', '.join(r['failed'])} |"
    )
    s = r["server"]
    print(
        f"\nwarm-up point: {w['sim_min']:g} sim min; threads are threading.active_count()"
        f" (OS tasks before / end / closed: {b['tasks']} / {e['tasks']} / {a['tasks']})"
        f"; driver: {r['wall_drive']:.0f} s for the appends, worst lag "
        f"{r['worst_lag'] * 1000:.0f} ms; QueueFull retries: {r['queue_full']}"
        f"\nclient.usage: {r['usage_responses']} responses, {r['usage_tokens']} tokens;"
        f" client.responses kept: {r['recent']}; conversation items at end: "
        f"{r['items']}; errors reported: {len(r['errors'])}"
        f"\nserver process: RSS {b['srv_rss']:.1f} -> {e['srv_rss']:.1f} -> "
        f"{a['srv_rss']:.1f} MB (before / end / closed), tasks {b['srv_tasks']} -> "
        f"{e['srv_tasks']} -> {a['srv_tasks']}, fds {b['srv_fds']} -> {e['srv_fds']}"
        f" -> {a['srv_fds']}; frames sent ~{s['frames_sent']}; Responders held at"
        f" the end (open connections): {s['responders']}"
    )
    for err in [x for x in r["errors"] if x][:5]:
        print("  error:", err)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=1)
    parser.add_argument(
        "--minutes", type=float, default=60.0, help="simulated minutes per client"
    )
    parser.add_argument(
        "--speed", type=float, default=20.0, help="times faster than real time"
    )
    parser.add_argument(
        "--chunk-ms", type=int, default=100, help="audio per append (and per delta)"
    )
    parser.add_argument("--reply-ms", type=int, default=3000, help="audio per reply")
    parser.add_argument(
        "--warmup", type=float, default=3.0, help="simulated minutes of warm-up"
    )
    parser.add_argument(
        "--sample-every", type=float, default=5.0, help="simulated minutes"
    )
    parser.add_argument("--max-growth-mb", type=float, default=20.0)
    parser.add_argument(
        "--retention",
        type=float,
        default=None,
        help="audio_retention_seconds of each client (default: the library's, 60)",
    )
    parser.add_argument(
        "--max-items",
        type=int,
        default=None,
        help="conversation_max_items of each client (default: the library's, 500;"
        " -1: unbounded)",
    )
    parser.add_argument("--tracemalloc", action="store_true")
    parser.add_argument("--tracemalloc-frames", type=int, default=6)
    parser.add_argument("--top", type=int, default=20)
    args = parser.parse_args()
    if args.chunk_ms < 10 or args.chunk_ms % 10:
        parser.error("--chunk-ms must be a multiple of 10")
    print(
        f"soak: {args.clients} client(s), {args.minutes:g} simulated min each, "
        f"{args.speed:g}x real time, {args.chunk_ms} ms per append, "
        f"{args.reply_ms} ms replies, audio retention "
        f"{'default' if args.retention is None else f'{args.retention:g} s'}, "
        f"conversation items "
        f"{'default' if args.max_items is None else args.max_items}; "
        f"{os.cpu_count()} CPUs; "
        f"python {sys.version.split()[0]}",
        flush=True,
    )
    try:
        result = run(args)
    except Exception:
        traceback.print_exc()
        raise SystemExit(2) from None
    report(result)
    raise SystemExit(1 if result["failed"] else 0)


if __name__ == "__main__":
    main()
