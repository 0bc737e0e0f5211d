"""Resampler benchmark: quality, latency, speed and chunking error, side by side.

Run from the repository root::

    python benchmarks/resample.py            # all six rate pairs
    python benchmarks/resample.py --quick    # shorter signals, fewer tones
    python benchmarks/resample.py --pairs 48000:24000,44100:24000 --methods "ours high"

Every method streams float32 audio in 20 ms chunks, the way the SDK feeds the
Realtime API. Methods (a row is marked "not installed" when its library is
missing):

* ``ours high`` / ``ours fast``: ``realtime_sync.audio.Resampler`` (numpy backend).
* ``soxr HQ``: ``soxr.ResampleStream(..., quality="HQ")``.
* ``libsamplerate best``: ``samplerate.Resampler("sinc_best").process``.
* ``resample_poly/chunk``: ``scipy.signal.resample_poly`` on each chunk alone
  (stateless, the usual shortcut).
* ``np.interp/chunk``: linear interpolation of each chunk alone.

Columns:

* ``reject dB``: worst alias or image leak, relative to a 0 dBFS in-band tone.
  Downsampling: 0 dBFS tones at 24 frequencies from just above the output
  Nyquist (1.001x) to 0.995x the input Nyquist; everything that comes out is
  alias (or chunk-seam junk), so the leak is the RMS of the whole output
  (transients at both ends dropped). Upsampling: 0 dBFS tones at 24
  frequencies from 0.01x to 0.99x the input Nyquist; the leak is the output
  power above the input Nyquist (images, seam junk), measured with a
  Kaiser(beta=25) windowed FFT, bins within 8 Hz of the input Nyquist left
  out. The reference in both cases is the output power of a 0 dBFS tone at
  0.25x the lower Nyquist. Reported: the worst (smallest) ratio over the tones.
* ``ripple dB``: the largest |gain| in dB (deviation from 0 dB, so it
  includes any gain error) over 33 tones from 0.02x to 0.8x the lower
  Nyquist, each gain measured by a Hann-windowed projection of the steady
  state output onto the tone.
* ``latency ms``: impulse peak delay plus holdback. A unit impulse at 0.5 s
  is streamed; the peak's output time minus 0.5 s is the delay. The
  holdback is, over the steady-state chunks (the 10th onwards), the largest
  gap between the output due by the end of a chunk (its input duration times
  the ratio) and the output actually emitted.
* ``x realtime``: seconds of audio per second of CPU time, streaming 10 s in
  20 ms chunks, median of 5 runs, pinned to one core with BLAS threads at 1.
  CPU time of this process (``time.process_time``), so that other programs
  competing for the core do not count; caches and clock speed still do.
* ``max|chunk-1shot|``: largest difference between the 20 ms streamed output
  and the same library's one-shot call on the whole 2 s signal (noise plus
  tones, peak 0.5), compared over the common length.
"""

from __future__ import annotations

import argparse
import math
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

# One core: BLAS threads must be limited before numpy loads.
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402

from realtime_sync.audio import Resampler  # noqa: E402

PAIRS = [
    (48000, 24000),
    (44100, 24000),
    (16000, 24000),
    (8000, 24000),
    (24000, 8000),
    (24000, 48000),
]
CHUNK_MS = 20


class Stream:
    """A streaming resampler: process(chunk) -> ndarray, flush() -> ndarray."""

    def process(self, chunk: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def flush(self) -> np.ndarray:
        return np.zeros(0, np.float32)


class Ours(Stream):
    def __init__(self, fr: int, to: int, quality: str) -> None:
        self.r = Resampler(fr, to, quality=quality)

    def process(self, chunk: np.ndarray) -> np.ndarray:
        return self.r.process(chunk)

    def flush(self) -> np.ndarray:
        return self.r.flush()


class Soxr(Stream):
    def __init__(self, fr: int, to: int) -> None:
        import soxr

        self.s = soxr.ResampleStream(fr, to, 1, dtype="float32", quality="HQ")

    def process(self, chunk: np.ndarray) -> np.ndarray:
        return self.s.resample_chunk(chunk)

    def flush(self) -> np.ndarray:
        return self.s.resample_chunk(np.zeros(0, np.float32), last=True)


class Lsr(Stream):
    def __init__(self, fr: int, to: int) -> None:
        import samplerate

        self.ratio = to / fr
        self.s = samplerate.Resampler("sinc_best", channels=1)

    def process(self, chunk: np.ndarray) -> np.ndarray:
        return self.s.process(chunk, self.ratio)

    def flush(self) -> np.ndarray:
        return self.s.process(np.zeros(0, np.float32), self.ratio, end_of_input=True)


class PolyChunk(Stream):
    def __init__(self, fr: int, to: int) -> None:
        from scipy.signal import resample_poly

        self.f = resample_poly
        g = math.gcd(fr, to)
        self.up, self.down = to // g, fr // g

    def process(self, chunk: np.ndarray) -> np.ndarray:
        return self.f(chunk, self.up, self.down).astype(np.float32)


def interp_oneshot(x: np.ndarray, fr: int, to: int) -> np.ndarray:
    n_out = -(-len(x) * to // fr)
    return np.interp(np.arange(n_out) * (fr / to), np.arange(len(x)), x).astype(
        np.float32
    )


class InterpChunk(Stream):
    def __init__(self, fr: int, to: int) -> None:
        self.fr, self.to = fr, to

    def process(self, chunk: np.ndarray) -> np.ndarray:
        return interp_oneshot(chunk, self.fr, self.to)


def _oneshot_ours(quality: str) -> Callable[[np.ndarray, int, int], np.ndarray]:
    def run(x: np.ndarray, fr: int, to: int) -> np.ndarray:
        r = Resampler(fr, to, quality=quality)
        return np.concatenate([r.process(x), r.flush()])

    return run


def _oneshot_soxr(x: np.ndarray, fr: int, to: int) -> np.ndarray:
    import soxr

    return soxr.resample(x, fr, to, quality="HQ")


def _oneshot_lsr(x: np.ndarray, fr: int, to: int) -> np.ndarray:
    import samplerate

    return samplerate.resample(x, to / fr, "sinc_best")


def _oneshot_poly(x: np.ndarray, fr: int, to: int) -> np.ndarray:
    from scipy.signal import resample_poly

    g = math.gcd(fr, to)
    return resample_poly(x, to // g, fr // g)


def _available(module: str) -> bool:
    try:
        __import__(module)
    except ImportError:
        return False
    return True


METHODS: list[
    tuple[
        str,
        str | None,
        Callable[[int, int], Stream],
        Callable[[np.ndarray, int, int], np.ndarray],
    ]
] = [
    ("ours high", None, lambda fr, to: Ours(fr, to, "high"), _oneshot_ours("high")),
    ("ours fast", None, lambda fr, to: Ours(fr, to, "fast"), _oneshot_ours("fast")),
    ("soxr HQ", "soxr", Soxr, _oneshot_soxr),
    ("libsamplerate best", "samplerate", Lsr, _oneshot_lsr),
    ("resample_poly/chunk", "scipy", PolyChunk, _oneshot_poly),
    ("np.interp/chunk", None, InterpChunk, interp_oneshot),
]


def stream(
    make: Callable[[], Stream], x: np.ndarray, fr: int
) -> tuple[np.ndarray, list[int]]:
    """Stream x in 20 ms chunks; return the output and the emitted count after each chunk."""
    s = make()
    n = fr * CHUNK_MS // 1000
    outs: list[np.ndarray] = []
    counts: list[int] = []
    total = 0
    for i in range(0, len(x), n):
        y = np.asarray(s.process(x[i : i + n]), dtype=np.float64).ravel()
        outs.append(y)
        total += len(y)
        counts.append(total)
    outs.append(np.asarray(s.flush(), dtype=np.float64).ravel())
    return np.concatenate(outs), counts


def tone(f: float, fs: int, seconds: float, amp: float = 1.0) -> np.ndarray:
    t = np.arange(int(fs * seconds)) / fs
    return (amp * np.sin(2 * np.pi * f * t + 0.3)).astype(np.float32)


def steady(y: np.ndarray, fs: int, seconds: float) -> np.ndarray:
    """Drop 0.1 s at each end (start-up and flush transients)."""
    a = int(0.1 * fs)
    b = min(len(y), int(seconds * fs)) - a
    return y[a:b]


def rejection_db(
    make: Callable[[], Stream], fr: int, to: int, seconds: float, ntones: int
) -> float:
    low_nyq = min(fr, to) / 2
    ref_y, _ = stream(make, tone(0.25 * low_nyq, fr, seconds), fr)
    ref = steady(ref_y, to, seconds)
    if to < fr:
        ref_power = float(np.mean(ref**2))
        worst = math.inf
        for f in np.linspace(1.001 * low_nyq, 0.995 * fr / 2, ntones):
            y, _ = stream(make, tone(f, fr, seconds), fr)
            leak = float(np.mean(steady(y, to, seconds) ** 2))
            worst = min(worst, 10 * math.log10(ref_power / max(leak, 1e-300)))
        return worst
    seg = len(ref)
    win = np.kaiser(seg, 25.0)
    freqs = np.fft.rfftfreq(seg, 1 / to)
    above = freqs > low_nyq + 8.0
    ref_power = float(np.sum(np.abs(np.fft.rfft(ref * win)) ** 2))
    worst = math.inf
    for f in np.linspace(0.01 * low_nyq, 0.99 * low_nyq, ntones):
        y, _ = stream(make, tone(f, fr, seconds), fr)
        spec = np.abs(np.fft.rfft(steady(y, to, seconds)[:seg] * win)) ** 2
        leak = float(np.sum(spec[above]))
        worst = min(worst, 10 * math.log10(ref_power / max(leak, 1e-300)))
    return worst


def ripple_db(
    make: Callable[[], Stream], fr: int, to: int, seconds: float, ntones: int
) -> float:
    low_nyq = min(fr, to) / 2
    worst = 0.0
    amp = 0.5
    for f in np.linspace(0.02 * low_nyq, 0.8 * low_nyq, ntones):
        y, _ = stream(make, tone(f, fr, seconds, amp), fr)
        a = int(0.1 * to)
        seg = y[a : a + int((seconds - 0.2) * to)]
        n = np.arange(a, a + len(seg))
        w = np.hanning(len(seg))
        ref = np.exp(-1j * (2 * np.pi * f * n / to + 0.3))
        gain = 2 * abs(np.sum(w * seg * ref)) / np.sum(w) / amp
        worst = max(worst, abs(20 * math.log10(max(gain, 1e-300))))
    return worst


def latency_ms(make: Callable[[], Stream], fr: int, to: int) -> float:
    x = np.zeros(fr, np.float32)
    x[fr // 2] = 1.0
    y, counts = stream(make, x, fr)
    peak = int(np.argmax(np.abs(y)))
    delay = 1000.0 * (peak / to - 0.5)
    n = fr * CHUNK_MS // 1000
    hold = max(((k + 1) * n * to / fr - c) for k, c in enumerate(counts) if k >= 9)
    return delay + 1000.0 * max(hold, 0.0) / to


def speed_x(make: Callable[[], Stream], fr: int, runs: int, seconds: float) -> float:
    rng = np.random.default_rng(1)
    x = (0.25 * rng.standard_normal(int(fr * seconds))).astype(np.float32)
    n = fr * CHUNK_MS // 1000
    chunks = [x[i : i + n] for i in range(0, len(x), n)]
    times = []
    for _ in range(runs):
        s = make()
        s.process(chunks[0])
        t0 = time.process_time()
        for c in chunks:
            s.process(c)
        s.flush()
        times.append(time.process_time() - t0)
    return seconds / statistics.median(times)


def chunk_error(
    make: Callable[[], Stream], oneshot: Callable[..., np.ndarray], fr: int, to: int
) -> float:
    rng = np.random.default_rng(2)
    t = np.arange(2 * fr) / fr
    x = (
        0.2 * rng.standard_normal(len(t))
        + 0.15 * np.sin(2 * np.pi * 440 * t)
        + 0.1 * np.sin(2 * np.pi * 3000 * t)
    )
    x = np.clip(x, -0.5, 0.5).astype(np.float32)
    chunked, _ = stream(make, x, fr)
    whole = np.asarray(oneshot(x, fr, to), dtype=np.float64).ravel()
    m = min(len(chunked), len(whole))
    return float(np.max(np.abs(chunked[:m] - whole[:m])))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--quick", action="store_true", help="shorter signals, fewer tones"
    )
    parser.add_argument(
        "--pairs",
        help="rate pairs as from:to, comma-separated (default: all six)",
    )
    parser.add_argument(
        "--methods", help="method names, comma-separated (default: all)"
    )
    parser.add_argument(
        "--runs", type=int, help="speed runs per row (median; default 5, quick 3)"
    )
    args = parser.parse_args()
    seconds, ntones, runs = (0.5, 8, 3) if args.quick else (1.0, 24, 5)
    if args.runs:
        runs = args.runs
    pairs = PAIRS
    if args.pairs:
        pairs = [
            (int(a), int(b)) for a, b in (p.split(":") for p in args.pairs.split(","))
        ]
    methods = METHODS
    if args.methods:
        wanted = [m.strip() for m in args.methods.split(",")]
        methods = [m for m in METHODS if m[0] in wanted]
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})
    print(
        f"numpy {np.__version__}, Python {sys.version.split()[0]}, {CHUNK_MS} ms chunks, float32, one core"
    )
    header = f"{'pair':<13} {'method':<20} {'reject dB':>9} {'ripple dB':>9} {'latency ms':>10} {'x realtime':>10} {'max|chunk-1shot|':>16}"
    print(header)
    print("-" * len(header))
    for fr, to in pairs:
        pair = f"{fr // 1000 if fr % 1000 == 0 else fr / 1000}k->{to // 1000}k"
        for name, module, factory, oneshot in methods:
            if module is not None and not _available(module):
                print(f"{pair:<13} {name:<20} {'(not installed)':>9}")
                continue

            def make(factory: Any = factory, fr: int = fr, to: int = to) -> Stream:
                return factory(fr, to)

            rej = rejection_db(make, fr, to, seconds, ntones)
            rip = ripple_db(make, fr, to, seconds, ntones + 9)
            lat = latency_ms(make, fr, to)
            spd = speed_x(make, fr, runs, 10.0)
            err = chunk_error(make, oneshot, fr, to)
            print(
                f"{pair:<13} {name:<20} {rej:>9.1f} {rip:>9.4f} {lat:>10.2f} {spd:>10.0f} {err:>16.2e}",
                flush=True,
            )
        print()


if __name__ == "__main__":
    main()
