"""Fuzz campaign: the Codec's decoders, and a real client's reader loop.

Run from the repository root::

    python benchmarks/fuzz.py                          # 1,000,000 inputs, best engine
    python benchmarks/fuzz.py --engine random --inputs 2000000 --workers 2
    python benchmarks/fuzz.py --engine atheris --seconds 600
    python benchmarks/fuzz.py --engine hypothesis --inputs 20000
    python benchmarks/fuzz.py --reader --inputs 200000  # through a client's reader

Codec mode (the default): every input is fed to ``Codec("ga").decode_server``,
``Codec("beta").decode_server``, ``Codec("ga").decode_client`` and
``Codec("beta").decode_client``; an event that comes out is encoded back with the
same Codec. A ProtocolError from a decoder is the expected answer to a bad input;
anything else is a finding, and so is a ProtocolError that masks an internal error
(its message starts with "could not decode", see ``protocol/codec.py``), and an
exception while re-encoding a decoded event (except the beta dialect refusing
``input_image`` content, a documented ValueError). Documents nested deeper than
orjson writes (it reads 1024 levels but writes about 255) used to fail to re-encode;
the Codec now falls back to the stdlib encoder for them, and such a failure is a
finding like any other.

Engines:

* ``atheris`` (coverage-guided libFuzzer, ``pip install atheris``; never a
  dependency of the package): the fuzzer's bytes go to the decoders as they are, or
  pick a recorded payload from ``tests/data/`` and mutate it (byte-level damage, or a
  JSON-aware change: a value replaced, retyped, dropped, renamed, spliced from
  another payload, nested deeply, made huge), all choices read from a
  ``FuzzedDataProvider``.
* ``random``: the same mutations with ``random.Random`` choices, no coverage
  feedback and no instrumentation: the fast one (a million inputs in a few minutes
  on two cores with ``--workers 2``).
* ``hypothesis``: the strategies of ``tests/strategies.py`` and
  ``tests/protocol/test_properties.py`` (JSON documents made of the protocol's words,
  mutated payloads, garbage), generation only (no shrinking, no database).

``--reader``: a local WebSocket server (websockets' sync server, TCP_NODELAY) sends
mutated frames (and some binary frames) to a connected ``RealtimeClient`` per
dialect, in batches closed by a sentinel frame; after every batch the client must
still be connected, its ``on_error`` handlers must have received exactly one
ProtocolError per frame the Codec rejects (decided offline with the same Codec) and
nothing else, and its ``"*"`` handlers every other frame's event. ERROR records
logged by the SDK (bookkeeping failures the client swallows) count as findings:
the three this fuzzer found (see the last tests of ``tests/reliability/test_fuzz.py``)
are fixed.

The table at the end gives, per engine and target: inputs, ProtocolErrors
(expected), decoded events, unexpected exceptions (findings: must be 0), inputs per
second and wall time (atheris: from its first input, after the instrumented
imports). The exit status is 1 when there was a finding. The first
findings are printed with their input (``repr``, cut) and traceback; ``--save DIR``
keeps every finding's input as a file.
"""

from __future__ import annotations

import argparse
import copy
import json
import logging
import multiprocessing as mp
import os
import random
import sys
import threading
import time
import traceback
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

MAX_FINDINGS_SHOWN = 10
MAX_FRAME = 12 * 1024 * 1024  # under the client's max_message_size (16 MiB)

# -- seeds ----------------------------------------------------------------------------


def load_seeds() -> list[tuple[str, str, dict[str, Any]]]:
    """(dialect, direction, payload) of every recorded frame of ``tests/data/``."""
    from tests.data import all_payloads

    return [(p.dialect, p.direction, p.payload) for p in all_payloads()]


# -- mutations ------------------------------------------------------------------------


class Chooser:
    """Where a mutation's choices come from (random.Random or atheris' provider)."""

    def below(self, n: int) -> int:
        """An integer in ``[0, n)`` (``n >= 1``)."""
        raise NotImplementedError

    def raw(self, n: int) -> bytes:
        """Up to ``n`` bytes."""
        raise NotImplementedError

    def chance(self, percent: int) -> bool:
        """True ``percent`` times in a hundred."""
        return self.below(100) < percent

    def pick(self, items: list[Any] | tuple[Any, ...]) -> Any:
        """One of ``items``."""
        return items[self.below(len(items))]


class RandomChooser(Chooser):
    """Choices from a seeded ``random.Random``."""

    def __init__(self, seed: int | str) -> None:
        self.rng = random.Random(seed)

    def below(self, n: int) -> int:
        return int(self.rng.random() * n)  # randrange's checks cost more than a decode

    def raw(self, n: int) -> bytes:
        return self.rng.randbytes(self.below(n + 1))


class ProviderChooser(Chooser):
    """Choices read from an ``atheris.FuzzedDataProvider``."""

    def __init__(self, fdp: Any) -> None:
        self.fdp = fdp

    def below(self, n: int) -> int:
        return int(self.fdp.ConsumeIntInRange(0, n - 1)) if n > 1 else 0

    def raw(self, n: int) -> bytes:
        return bytes(self.fdp.ConsumeBytes(self.below(n + 1)))


_TOKENS = [
    b"{",
    b"}",
    b"[",
    b"]",
    b'"',
    b",",
    b":",
    b"null",
    b"true",
    b"-0",
    b"1e999",
    b"-1e-999",
    b"NaN",
    b"Infinity",
    b"\\u0000",
    b"\\ud800",
    b"\\udfff",
    b'"type"',
    b'"type":null,',
    b'"type":"error",',
    b"\xff",
    b"\xc3",
    b"\xf0\x9f\x98",
    b"\x00",
    b"99999999999999999999999999",
]

_VALUES: list[Any] = [
    None,
    True,
    False,
    0,
    -1,
    2**31,
    2**63 - 1,
    2**63,
    2**64,
    -(2**63) - 1,
    10**40,
    0.5,
    -0.0,
    1e308,
    5e-324,
    "",
    " ",
    "é€😀",
    "\x00",
    "\ud800",  # a lone surrogate: json.dumps writes "\\ud800", valid JSON text
    "A" * 4097,
    "not base64!",
    "inf",
    "auto",
    "pcm16",
    "audio/pcm",
    [],
    {},
    [[]],
    {"type": None},
    {"type": "message"},
    {"type": "function_call"},
    {"type": "unknown_kind", "a": [1]},
]


class Mutator:
    """Mutations of the recorded payloads (see the module docstring)."""

    def __init__(self, seeds: list[tuple[str, str, dict[str, Any]]]) -> None:
        from tests.strategies import ALL_EVENT_TYPES

        self.payloads = [payload for _, _, payload in seeds]
        self.texts = [json.dumps(p).encode() for p in self.payloads]
        self.types = ALL_EVENT_TYPES
        # Values found in the payloads, for splicing (one level deep is plenty).
        self.values = [v for p in self.payloads for v in p.values()]

    def input(self, c: Chooser) -> bytes:
        """One fuzz input."""
        kind = c.below(20)
        if kind == 0:
            return c.raw(256)  # bytes, most of them not UTF-8
        if kind < 9:
            return self.damage(c, c.pick(self.texts))
        if kind < 10:
            return self.splice(c)
        return self.json_mutation(c)

    def damage(self, c: Chooser, text: bytes) -> bytes:
        """A few byte-level changes."""
        data = bytearray(text)
        for _ in range(1 + c.below(4)):
            if not data:
                data += c.raw(8)
                continue
            at = c.below(len(data))
            op = c.below(7)
            if op == 0:
                data[at] ^= 1 << c.below(8)
            elif op == 1:
                data[at] = c.below(256)
            elif op == 2:
                data[at:at] = c.raw(8) or b"\x00"
            elif op == 3:
                del data[at : at + 1 + c.below(32)]
            elif op == 4:
                data[at:at] = data[at : at + 1 + c.below(64)]
            elif op == 5:
                del data[at:]
            else:
                data[at:at] = bytes(c.pick(_TOKENS))
        return bytes(data)

    def splice(self, c: Chooser) -> bytes:
        """The start of one recorded frame and the end of another."""
        a: bytes = c.pick(self.texts)
        b: bytes = c.pick(self.texts)
        return a[: c.below(len(a) + 1)] + b[c.below(len(b) + 1) :]

    def json_mutation(self, c: Chooser) -> bytes:
        """A recorded payload with one to four structural changes."""
        from tests.strategies import json_paths, retype

        payload = json.loads(c.pick(self.texts))  # a fresh copy, faster than deepcopy
        for _ in range(1 + c.below(4)):
            # Weights: mostly cheap changes; deep and huge ones are rare (and slow).
            op = c.below(100)
            if op < 8:
                payload["type"] = c.pick(self.types)
                continue
            paths = json_paths(payload)[1:]
            if not paths:
                break
            path = c.pick(paths)
            parent = payload
            for key in path[:-1]:
                parent = parent[key]
            key = path[-1]
            if op < 24:
                del parent[key]
            elif op < 40:
                parent[key] = retype(parent[key])
            elif op < 48 and isinstance(parent, dict):
                parent[
                    c.pick(["type", "id", "event_id", "item", "x", str(key) + "_"])
                ] = parent.pop(key)
            elif op < 64:
                parent[key] = copy.deepcopy(c.pick(self.values))
            elif op < 66:  # nest deeply (last: walking it again would be slow)
                value = parent[key]
                as_list = c.chance(50)
                for _ in range(c.pick([2, 64, 600, 1100, 3000])):
                    value = [value] if as_list else {"a": value}
                parent[key] = value
                break
            elif op < 67:  # huge (last, likewise)
                size = c.pick([1 << 12, 1 << 16, 1 << 20])
                parent[key] = c.pick(["A" * size, "é" * (size // 2), [0] * (size // 8)])
                break
            else:
                parent[key] = copy.deepcopy(c.pick(_VALUES))
        try:
            text = json.dumps(payload, ensure_ascii=c.chance(50))
        except RecursionError:
            return b"[" * 5000  # nested past what json.dumps can write
        return text.encode("utf-8", "surrogatepass")


# -- the Codec target ------------------------------------------------------------------


class Stats:
    """Counts for one target."""

    def __init__(self) -> None:
        self.inputs = 0
        self.protocol_errors = 0
        self.events = 0
        self.unexpected = 0

    def add(self, other: Stats) -> None:
        """Add another's counts to these."""
        self.inputs += other.inputs
        self.protocol_errors += other.protocol_errors
        self.events += other.events
        self.unexpected += other.unexpected


TARGETS = [
    "ga decode_server",
    "beta decode_server",
    "ga decode_client",
    "beta decode_client",
]


class CodecTarget:
    """Feeds one input to the four decoders; records findings."""

    def __init__(self, save: Path | None = None) -> None:
        from realtime_sync.protocol import Codec

        ga, beta = Codec("ga"), Codec("beta")
        self.calls: list[tuple[str, Callable[[Any], Any], Callable[[Any], Any]]] = [
            (TARGETS[0], ga.decode_server, ga.encode_server),
            (TARGETS[1], beta.decode_server, beta.encode_server),
            (TARGETS[2], ga.decode_client, ga.encode_client),
            (TARGETS[3], beta.decode_client, beta.encode_client),
        ]
        self.stats = {name: Stats() for name in TARGETS}
        self.findings: list[tuple[str, bytes | str, str]] = []
        self.save = save
        from realtime_sync.exceptions import ProtocolError

        self.ProtocolError = ProtocolError

    def __call__(self, data: bytes) -> None:
        as_text = None
        for name, decode, encode in self.calls:
            stats = self.stats[name]
            stats.inputs += 1
            # Alternate bytes and text (what websocket-client gives for a text frame).
            arg: bytes | str = data
            if stats.inputs % 2 == 0:
                if as_text is None:
                    as_text = data.decode("utf-8", "replace")
                arg = as_text
            try:
                event = decode(arg)
            except self.ProtocolError as exc:
                stats.protocol_errors += 1
                if str(exc).startswith("could not decode"):
                    self.finding(stats, name, arg)
                continue
            except BaseException:
                self.finding(stats, name, arg)
                continue
            stats.events += 1
            try:
                encode(event)
            except ValueError as exc:
                if not (name.startswith("beta") and "input_image" in str(exc)):
                    self.finding(stats, name + " (re-encode)", arg)
            except BaseException:
                self.finding(stats, name + " (re-encode)", arg)

    def finding(self, stats: Stats, name: str, data: bytes | str) -> None:
        """Count and keep one finding (the exception being handled)."""
        stats.unexpected += 1
        tb = traceback.format_exc()
        if len(self.findings) < 1000:
            self.findings.append((name, data, tb))
        if len(self.findings) <= MAX_FINDINGS_SHOWN:
            print(f"FINDING in {name}: {data[:300]!r}\n{tb}", file=sys.stderr)
        if self.save is not None:
            self.save.mkdir(parents=True, exist_ok=True)
            raw = data if isinstance(data, bytes) else data.encode("utf-8", "replace")
            (self.save / f"finding-{len(self.findings)}.bin").write_bytes(raw)


# -- engines ----------------------------------------------------------------------------


def _random_worker(
    args: tuple[int, int, float, str | None],
) -> tuple[dict[str, Stats], list[tuple[str, bytes | str, str]]]:
    seed, inputs, deadline, save = args
    mutator = Mutator(load_seeds())
    target = CodecTarget(Path(save) if save else None)
    chooser = RandomChooser(seed)
    for i in range(inputs):
        target(mutator.input(chooser))
        if i % 1000 == 0 and time.time() > deadline:
            break
    return target.stats, target.findings


def run_random(opts: argparse.Namespace) -> dict[str, Stats]:
    """The fast engine: own mutations, no coverage feedback, ``--workers`` processes."""
    deadline = time.time() + (opts.seconds or 1e9)
    workers = max(1, opts.workers)
    share = [
        opts.inputs // workers + (i < opts.inputs % workers) for i in range(workers)
    ]
    jobs = [(opts.seed * 1000 + i, n, deadline, opts.save) for i, n in enumerate(share)]
    if workers == 1:
        results = [_random_worker(jobs[0])]
    else:
        with mp.get_context("fork").Pool(workers) as pool:
            results = pool.map(_random_worker, jobs)
    totals = {name: Stats() for name in TARGETS}
    findings = []
    for stats, found in results:
        for name in TARGETS:
            totals[name].add(stats[name])
        findings += found
    _summarise_findings(findings)
    return totals


def run_hypothesis(opts: argparse.Namespace) -> dict[str, Stats]:
    """Hypothesis' generation over the test suite's strategies (no shrinking)."""
    from hypothesis import HealthCheck, Phase, given, settings
    from hypothesis import strategies as st

    from tests.protocol.test_properties import garbage, mutated_payloads
    from tests.strategies import frames

    target = CodecTarget(Path(opts.save) if opts.save else None)
    deadline = time.time() + (opts.seconds or 1e9)
    documents = st.one_of(
        frames().map(lambda v: json.dumps(v).encode()),
        mutated_payloads().map(lambda m: json.dumps(m[2]).encode()),
        garbage().map(lambda g: g if isinstance(g, bytes) else g.encode("utf-8")),
    )

    @settings(
        max_examples=opts.inputs,
        deadline=None,
        database=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(data=documents)
    def campaign(data: bytes) -> None:
        if time.time() < deadline:
            target(data)

    campaign()
    _summarise_findings(target.findings)
    return target.stats


def run_atheris(opts: argparse.Namespace) -> None:
    """Coverage-guided: libFuzzer drives; the table is printed from the callback."""
    import atheris  # type: ignore[import-untyped, import-not-found, unused-ignore]

    with atheris.instrument_imports():
        import realtime_sync.protocol  # noqa: F401  (instrumented for coverage)
        from realtime_sync.protocol import _hooks, codec, dialects  # noqa: F401

    mutator = Mutator(load_seeds())
    target = CodecTarget(Path(opts.save) if opts.save else None)
    start = time.perf_counter()
    deadline = start + (opts.seconds or 1e9)
    count = 0

    def test_one_input(data: bytes) -> None:
        nonlocal count
        fdp = atheris.FuzzedDataProvider(data)
        mode = fdp.ConsumeIntInRange(0, 3)
        if mode == 0:
            target(fdp.ConsumeBytes(fdp.remaining_bytes()))  # the fuzzer's own bytes
        else:
            target(mutator.input(ProviderChooser(fdp)))
        count += 1
        if count >= opts.inputs or (
            count % 1000 == 0 and time.perf_counter() > deadline
        ):
            wall = time.perf_counter() - start
            _summarise_findings(target.findings)
            print_table("atheris", target.stats, wall)
            sys.stdout.flush()
            os._exit(1 if any(s.unexpected for s in target.stats.values()) else 0)

    # libFuzzer flags: no run limit of its own (we stop at --inputs), no leak check.
    argv = [sys.argv[0], f"-seed={opts.seed}", "-max_len=4096", "-rss_limit_mb=4096"]
    atheris.Setup(argv, test_one_input)
    atheris.Fuzz()


def _summarise_findings(findings: list[tuple[str, bytes | str, str]]) -> None:
    if not findings:
        return
    kinds: dict[str, int] = {}
    for name, _, tb in findings:
        last = tb.strip().splitlines()[-1][:120]
        kinds[f"{name}: {last}"] = kinds.get(f"{name}: {last}", 0) + 1
    print("\nfindings by kind:")
    for kind, n in sorted(kinds.items(), key=lambda kv: -kv[1]):
        print(f"  {n:8d}  {kind}")


# -- the reader loop ---------------------------------------------------------------------


class _Errors(logging.Handler):
    """ERROR records of the SDK: each one is a finding."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.new: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.new.append(record)


def _reader_frames(mutator: Mutator, c: Chooser, n: int) -> Iterator[str | bytes]:
    for _ in range(n):
        if c.chance(2):
            yield c.raw(64)  # a binary frame: a ProtocolError for the client
            continue
        data = mutator.input(c)
        if len(data) > MAX_FRAME:
            data = data[:MAX_FRAME]
        # websockets sends str as a text frame, so it must be valid UTF-8 (a text frame
        # that is not fails the connection, on purpose; not what is fuzzed here).
        yield data.decode("utf-8", "replace")


class _Collected:
    """What the client's handlers saw (events and errors), with a condition."""

    def __init__(self) -> None:
        self.cond = threading.Condition()
        self.events: list[Any] = []
        self.errors: list[Any] = []

    def on_event(self, event: Any) -> None:
        with self.cond:
            self.events.append(event)
            self.cond.notify_all()

    def on_error(self, error: Any) -> None:
        with self.cond:
            self.errors.append(error)

    def wait_sentinel(self, marker: dict[str, str], timeout: float) -> bool:
        """Wait until the last event is the sentinel carrying ``marker``."""

        def arrived() -> bool:
            last = self.events[-1] if self.events else None
            return getattr(last, "type", "") == "fuzz.sentinel" and (
                getattr(last, "data", None) == marker
            )

        with self.cond:
            return self.cond.wait_for(arrived, timeout)


def _reader_session(
    dialect: str,
    session_created: str,
    frames: Callable[[int], list[str | bytes]],
    inputs: int,
    deadline: float,
) -> Stats:
    """One client of ``dialect`` fed ``inputs`` frames in batches; its counts."""
    import realtime_sync as rs
    from realtime_sync.exceptions import ProtocolError
    from realtime_sync.protocol import Codec

    name = f"{dialect} reader loop"
    stats = Stats()
    codec = Codec(dialect)  # type: ignore[arg-type]
    from tests.reliability._raw import FrameServer

    server = FrameServer(session_created)
    client = rs.RealtimeClient(
        url=server.url,
        api_key="t",
        dialect=dialect,
        ping_interval=None,
        barge_in=False,
    )
    seen = _Collected()
    client.on("*", seen.on_event)
    client.on_error(seen.on_error)
    try:
        client.connect()
        batch_no = 0
        while stats.inputs < inputs and time.time() < deadline:
            batch = frames(min(1000, inputs - stats.inputs))
            batch_no += 1
            expected_errors = expected_events = 0
            # Before the first put: the server sends at once.
            start_events, start_errors = len(seen.events), len(seen.errors)
            for frame in batch:
                if isinstance(frame, str):
                    try:
                        codec.decode_server(frame)
                    except ProtocolError:
                        expected_errors += 1
                    else:
                        expected_events += 1
                else:
                    expected_errors += 1  # binary: reported, never dispatched
                server.frames.put(frame)
            marker = {"event_id": f"s{batch_no}"}
            server.frames.put(json.dumps({"type": "fuzz.sentinel", **marker}))
            ok = seen.wait_sentinel(marker, 60.0)
            new_errors = seen.errors[start_errors:]
            got_events = len(seen.events) - start_events - 1
            stats.inputs += len(batch)
            stats.protocol_errors += sum(
                isinstance(e, ProtocolError) for e in new_errors
            )
            stats.events += got_events
            problems = []
            if not ok:
                problems.append("the sentinel did not arrive (reader dead?)")
            if not client.is_connected:
                problems.append("the client is no longer connected")
            wrong = [e for e in new_errors if not isinstance(e, ProtocolError)]
            if wrong:
                problems.append(f"unexpected errors reported: {wrong[:3]!r}")
            if len(new_errors) != expected_errors:
                problems.append(
                    f"{len(new_errors)} errors reported, {expected_errors} expected"
                )
            # Beta synthesises conversation.item.done events: at least as many.
            if got_events < expected_events or (
                dialect == "ga" and got_events != expected_events
            ):
                problems.append(f"{got_events} events, {expected_events} expected")
            if problems:
                stats.unexpected += 1
                print(f"FINDING {name} batch {batch_no}: {problems}", file=sys.stderr)
                if not ok or not client.is_connected:
                    break
    finally:
        client.close(timeout=2.0)
        server.stop()
    return stats


def run_reader(opts: argparse.Namespace) -> dict[str, Stats]:
    """Mutated frames through a connected client's reader loop, both dialects."""
    from tests.data import ga_conversation_lines

    seeds = load_seeds()
    mutator = Mutator(seeds)
    chooser = RandomChooser(opts.seed)
    errors = _Errors()
    sdk_logger = logging.getLogger("realtime_sync")
    sdk_logger.addHandler(errors)
    sdk_logger.propagate = False  # the warnings of undecodable frames are expected
    beta_created = json.dumps(
        next(p for d, w, p in seeds if d == "beta" and p["type"] == "session.created")
    )
    created = {"ga": ga_conversation_lines()[0], "beta": beta_created}
    results: dict[str, Stats] = {}
    deadline = time.time() + (opts.seconds or 1e9)

    def frames(n: int) -> list[str | bytes]:
        return list(_reader_frames(mutator, chooser, n))

    for dialect in ("ga", "beta"):
        name = f"{dialect} reader loop"
        stats = _reader_session(
            dialect, created[dialect], frames, opts.inputs // 2, deadline
        )
        if errors.new:
            stats.unexpected += len(errors.new)
            for record in errors.new[:MAX_FINDINGS_SHOWN]:
                tb = ""
                if record.exc_info is not None:
                    tb = "".join(traceback.format_exception(*record.exc_info))
                print(
                    f"FINDING {name}: logged {record.getMessage()}\n{tb}",
                    file=sys.stderr,
                )
            errors.new.clear()
        results[name] = stats
    sdk_logger.removeHandler(errors)
    sdk_logger.propagate = True
    leaked = [
        t.name for t in threading.enumerate() if t.name.startswith("realtime-sync-")
    ]
    if leaked:
        print(f"FINDING: threads left alive: {leaked}", file=sys.stderr)
        results["ga reader loop"].unexpected += len(leaked)
    return results


# -- the table ---------------------------------------------------------------------------


def print_table(engine: str, results: dict[str, Stats], wall: float) -> None:
    """The summary: one row per target and a total."""
    total = Stats()
    for stats in results.values():
        total.add(stats)
    rows = [*results.items(), ("total", total)]
    reader = any("reader" in name for name in results)
    head = (
        f"{'engine':<11}{'target':<22}{'inputs':>11}{'ProtocolErrors':>16}"
        f"{'decoded events':>16}{'unexpected':>12}{'inputs/s':>10}{'wall s':>9}"
    )
    print("\n" + head)
    print("-" * len(head))
    for name, s in rows:
        rate = s.inputs / wall if wall else 0.0
        line = (
            f"{engine:<11}{name:<22}{s.inputs:>11,}{s.protocol_errors:>16,}"
            f"{s.events:>16,}{s.unexpected:>12,}{rate:>10,.0f}{wall:>9.1f}"
        )
        print(line)
    if reader:
        print(
            "\ninputs: frames sent (2% binary); unexpected must be 0 (it includes "
            "ERRORs the SDK logged: bookkeeping failures the reader survived)."
        )
    else:
        print(
            "\ninputs: per target (each input goes to all four decoders); unexpected "
            "must be 0 (decode or re-encode)."
        )


def main(argv: list[str] | None = None) -> int:
    """Parse the options, run the campaign, print the table; 1 on a finding."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--inputs", type=int, default=1_000_000)
    parser.add_argument("--engine", choices=["atheris", "hypothesis", "random"])
    parser.add_argument("--seconds", type=float, default=None, help="stop after this")
    parser.add_argument("--reader", action="store_true", help="the reader loop")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--save", default=None, help="write finding inputs here")
    opts = parser.parse_args(argv)
    if opts.reader:
        start = time.perf_counter()
        results = run_reader(opts)
        print_table("reader", results, time.perf_counter() - start)
        return 1 if any(s.unexpected for s in results.values()) else 0
    engine = opts.engine
    if engine is None or engine == "atheris":
        try:
            import atheris  # noqa: F401
        except ImportError:
            if engine == "atheris":
                print("atheris is not installed: using the random engine")
            engine = "random"
        else:
            engine = "atheris"
    if engine == "atheris":
        run_atheris(opts)  # prints the table and exits
        return 0
    start = time.perf_counter()
    results = run_random(opts) if engine == "random" else run_hypothesis(opts)
    print_table(engine, results, time.perf_counter() - start)
    return 1 if any(s.unexpected for s in results.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
