"""Streaming rational-ratio resampling: a polyphase windowed-sinc FIR in numpy.

How it works. With ``L / M = to_rate / from_rate`` in lowest terms, output
sample ``m`` sits at position ``j = m * M + D`` of the ``L``-times upsampled
input, where ``D`` is the prototype filter's group delay. It needs the ``T``
input samples ending at ``i = j // L``, weighted by phase ``p = j % L`` of the
polyphase bank. The index/phase pattern repeats every ``L`` outputs (``M``
inputs later), so ``K`` repetitions form a *block*: ``K * L`` outputs computed
from a window of ``W`` consecutive inputs by one dense ``(W, K * L)`` matrix,
and successive blocks start ``K * M`` inputs apart. A chunk then costs one
strided view of the input buffer (one overlapping row per block, no Python
loop per sample) and one ``numpy.matmul`` call. Rate pairs whose block matrix
would be too large (tens of thousands of phases, e.g. 44100 -> 24001) gather
each output's window and phase instead, in bounded batches.

Output is time-aligned with the input (the filter delay is removed, as in
``scipy.signal.resample_poly``): after ``n`` input samples in total, the
outputs emitted so far are exactly those whose filter support lies inside the
input, so the last ``D / (L * from_rate)`` seconds are held back until more
input or :meth:`Resampler.flush` arrives. Every output is computed from the
same samples, with the same coefficients, by a BLAS call of the same shape
whatever the chunking, so chunked output is bit-identical to one-shot output
(float32, float64 and int16 alike) as long as the BLAS library itself is
deterministic for a given shape.
"""

from __future__ import annotations

import math
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

from ._checks import positive_int
from ._filter import QUALITIES, FilterDesign, design_filter

__all__ = ["Resampler"]

FloatArray = npt.NDArray[np.floating[Any]]

# Dense block matrices above this many coefficients fall back to gathering.
_MAX_BLOCK_COEFFICIENTS = 1 << 18
# Outputs gathered per batch on the fallback path (bounds temporary memory).
_GATHER_BATCH = 4096
_BACKENDS = ("numpy", "soxr")
_SOXR_QUALITY = {"high": "HQ", "fast": "MQ"}
_FLOAT32 = np.dtype(np.float32)


class _Engine(Protocol):
    """What :class:`Resampler` needs from a backend (planar ``(ch, n)`` arrays)."""

    def process(self, planar: npt.NDArray[Any]) -> FloatArray: ...

    def flush(self) -> FloatArray: ...

    def reset(self) -> None: ...


def _block_repeats(design: FilterDesign) -> int:
    """Choose how many pattern periods ``K`` form one block (0: gather instead)."""
    up, down, taps = design.up, design.down, design.taps_per_phase
    best_k, best_cost = 0, math.inf
    for k in range(1, 1 + max(1, (4 * taps) // down + 1)):
        outputs = k * up
        width = _window_width(design, k)
        if width * outputs > _MAX_BLOCK_COEFFICIENTS:
            break
        # Multiply-adds per output (the window width, zeros included) plus the
        # fixed cost of one BLAS call per block, worth about 800 multiply-adds
        # (measured on a Haswell core, float32, 20 ms chunks).
        cost = width + 800.0 / outputs
        if cost < best_cost:
            best_k, best_cost = k, cost
    return best_k


def _window_width(design: FilterDesign, repeats: int) -> int:
    """Return the number of inputs one block of ``repeats`` periods reads."""
    up, down, delay = design.up, design.down, design.delay
    first = delay // up
    last = ((repeats * up - 1) * down + delay) // up
    return last - first + design.taps_per_phase


class _NumpyEngine:
    """The polyphase FIR described in the module docstring."""

    def __init__(self, design: FilterDesign, channels: int) -> None:
        self._design = design
        self._channels = channels
        up, down, delay, taps = (
            design.up,
            design.down,
            design.delay,
            design.taps_per_phase,
        )
        self._up, self._down, self._delay, self._taps = up, down, delay, taps
        # Buffer position 0 is input index ``block * Mb + start`` (``start <= 0``:
        # before the first sample the input is zeros).
        self._first = delay // up
        self._start = self._first - taps + 1
        repeats = _block_repeats(design)
        self._dense: dict[np.dtype[Any], FloatArray] = {}
        if repeats:
            self._block_out = repeats * up
            self._block_in = repeats * down
            self._width = _window_width(design, repeats)
            self._dense64: npt.NDArray[np.float64] | None = self._dense_matrix(repeats)
        else:
            self._block_out, self._block_in = up, down
            self._width = _window_width(design, 1)
            self._dense64 = None
        # The live input is buf[:, off : off + len]; ``off`` is a whole number of
        # blocks, so one strided view of the whole buffer serves every chunk.
        self._buf: FloatArray | None = None
        self._windows: FloatArray | None = None
        self._off = 0
        self._len = 0
        self._next = 0
        self.reset()

    def _dense_matrix(self, repeats: int) -> npt.NDArray[np.float64]:
        design = self._design
        up, down, delay, taps = self._up, self._down, self._delay, self._taps
        r = np.arange(repeats * up, dtype=np.int64)
        j = r * down + delay
        rows = design.phase_rows(j % up)[:, ::-1]  # (outputs, T), oldest input first
        offset = j // up - self._first
        dense = np.zeros((self._width, repeats * up), dtype=np.float64)
        u = np.arange(taps, dtype=np.int64)
        dense[offset[:, None] + u[None, :], r[:, None]] = rows
        return dense

    def reset(self) -> None:
        self._off = 0
        self._len = -self._start
        self._next = 0
        if self._buf is not None:
            self._buf[:, : self._len] = 0.0

    def _ensure(self, size: int, dtype: np.dtype[Any]) -> FloatArray:
        """Room for ``size`` live samples from ``off``: compact, or grow, if needed."""
        buf = self._buf
        if buf is None:
            buf = np.zeros((self._channels, max(16384, 4 * size)), dtype=dtype)
            self._set_buffer(buf)
        elif self._off + size > buf.shape[1]:
            off, live = self._off, self._len
            if size <= buf.shape[1] // 2:
                # Move the live tail to the front (rare: the buffer holds many
                # chunks); the whole-block offset keeps the cached view valid.
                buf[:, :live] = buf[:, off : off + live]
            else:
                grown = np.zeros(
                    (self._channels, max(2 * buf.shape[1], 4 * size)), dtype=buf.dtype
                )
                grown[:, :live] = buf[:, off : off + live]
                self._set_buffer(grown)
                buf = grown
            self._off = 0
        return buf

    def _set_buffer(self, buf: FloatArray) -> None:
        self._buf = buf
        self._windows = None
        if self._dense64 is None:
            return
        size = buf.itemsize
        # One (1, W) row per block, overlapping in memory: block b reads
        # buf[c, b * Mb : b * Mb + W].
        count = (buf.shape[1] - self._width) // self._block_in + 1
        self._windows = np.ndarray(
            (self._channels, count, 1, self._width),
            dtype=buf.dtype,
            buffer=buf,
            strides=(buf.shape[1] * size, self._block_in * size, size, size),
        )

    def process(self, planar: npt.NDArray[Any]) -> FloatArray:
        n = planar.shape[-1]  # (ch, n), or (n,) for one channel
        buf = self._buf
        if buf is None:
            if not n:
                return np.zeros((self._channels, 0), dtype=np.float32)
            # The first non-empty chunk fixes the working precision.
            wide = planar.dtype == np.float64
            work = np.dtype(np.float64) if wide else np.dtype(np.float32)
            buf = self._ensure(self._len + n, work)
        elif self._off + self._len + n > buf.shape[1]:
            buf = self._ensure(self._len + n, buf.dtype)
        at = self._off + self._len
        buf[:, at : at + n] = planar
        self._len += n
        available = self._start + self._len
        # Outputs r (relative to the current block) with r * M + D < available * L.
        end = -((self._delay - available * self._up) // self._down)
        return self._emit(end if end > 0 else 0)

    def flush(self) -> FloatArray:
        if self._buf is None:
            return np.zeros((self._channels, 0), dtype=np.float32)
        available = self._start + self._len
        out = self._emit(-((-available * self._up) // self._down))
        self.reset()
        return out

    def _emit(self, end: int) -> FloatArray:
        buf = self._buf
        assert buf is not None
        first = self._next
        if end <= first:
            return np.zeros((self._channels, 0), dtype=buf.dtype)
        blocks = -(-end // self._block_out)
        need = (blocks - 1) * self._block_in + self._width
        off = self._off
        if need > self._len:
            if off + need > buf.shape[1]:
                buf = self._ensure(need, buf.dtype)
                off = 0
            buf[:, off + self._len : off + need] = 0.0
        if self._dense64 is not None:
            out = self._blocks(buf, off // self._block_in, blocks)
            if first or end != out.shape[1]:
                out = out[:, first:end]
        else:
            out = self._gather(buf[:, off : off + need], first, end)
        drop = min(end // self._block_out, self._len // self._block_in)
        if drop:
            shift = drop * self._block_in
            self._off = off + shift
            self._len -= shift
        self._next = end - drop * self._block_out
        return out

    def _blocks(self, buf: FloatArray, start: int, blocks: int) -> FloatArray:
        dense = self._dense.get(buf.dtype)
        if dense is None:
            assert self._dense64 is not None
            dense = self._dense64.astype(buf.dtype)
            self._dense[buf.dtype] = dense
        windows = self._windows
        assert windows is not None
        # matmul runs one BLAS vector-matrix product per (channel, block), always
        # of the same shape, so a block's output does not depend on how many
        # blocks a call computes: chunked and one-shot output are bit-identical
        # (a single matrix-matrix product would pick different kernels for
        # different block counts).
        out: FloatArray = np.matmul(windows[:, start : start + blocks], dense)
        return out.reshape(self._channels, blocks * self._block_out)

    def _gather(self, buf: FloatArray, first: int, end: int) -> FloatArray:
        out = np.empty((self._channels, end - first), dtype=buf.dtype)
        view = np.lib.stride_tricks.sliding_window_view(buf, self._taps, axis=1)
        for lo in range(first, end, _GATHER_BATCH):
            r = np.arange(lo, min(end, lo + _GATHER_BATCH), dtype=np.int64)
            j = r * self._down + self._delay
            rows = self._design.phase_rows(j % self._up)[:, ::-1].astype(buf.dtype)
            windows = view[:, j // self._up - self._first]
            out[:, lo - first : lo - first + r.size] = np.einsum(
                "ckt,kt->ck", windows, rows
            )
        return out


class _SoxrEngine:
    """``soxr.ResampleStream`` behind the same interface."""

    def __init__(
        self, from_rate: int, to_rate: int, channels: int, quality: str
    ) -> None:
        try:
            import soxr  # type: ignore[import-untyped, import-not-found, unused-ignore]
        except ImportError as exc:
            raise ImportError(
                'backend="soxr" needs the soxr package: pip install soxr'
            ) from exc
        self._soxr = soxr
        self._args = (from_rate, to_rate, channels, _SOXR_QUALITY[quality])
        self._stream: Any = None
        self._dtype: np.dtype[Any] = np.dtype(np.float32)

    def _open(self, dtype: np.dtype[Any]) -> Any:
        if self._stream is None:
            from_rate, to_rate, channels, quality = self._args
            self._dtype = dtype
            self._stream = self._soxr.ResampleStream(
                from_rate, to_rate, channels, dtype=dtype.name, quality=quality
            )
        return self._stream

    def _call(self, planar: npt.NDArray[Any], last: bool) -> FloatArray:
        stream = self._open(self._dtype)
        frames = np.ascontiguousarray(
            planar.T if planar.shape[0] > 1 else planar[0], self._dtype
        )
        result = np.asarray(stream.resample_chunk(frames, last=last))
        return (
            result.reshape(-1, planar.shape[0]).T
            if result.ndim == 2
            else result[None, :]
        )

    def process(self, planar: npt.NDArray[Any]) -> FloatArray:
        if self._stream is None and not planar.shape[1]:
            return np.zeros((planar.shape[0], 0), dtype=np.float32)
        if self._stream is None:
            self._open(
                np.dtype(np.float64)
                if planar.dtype == np.float64
                else np.dtype(np.float32)
            )
        return self._call(planar, last=False)

    def flush(self) -> FloatArray:
        if self._stream is None:
            return np.zeros((self._args[2], 0), dtype=np.float32)
        out = self._call(np.zeros((self._args[2], 0), dtype=self._dtype), last=True)
        self.reset()
        return out

    def reset(self) -> None:
        if self._stream is not None:
            self._stream.clear()


class Resampler:
    """Streaming sample-rate converter for any pair of integer rates.

    A linear-phase polyphase FIR (Kaiser-windowed sinc) in numpy by default.
    Feed chunks of any length to :meth:`process`; the output is the same as
    converting the whole signal at once (see the module notes on precision).
    Output is time-aligned with the input; the filter delay (``latency_ms``)
    is held back until more input arrives or :meth:`flush` is called. After
    :meth:`flush`, the total output length is exactly
    ``ceil(n_in * to_rate / from_rate)``.

    Quality ``"high"`` is flat (within 0.001 dB) up to 0.8 of the lower
    Nyquist frequency and rejects everything from the lower Nyquist up by
    at least 100 dB (105 dB design), holding back at most 4.25 ms for the
    rates the API meets; ``"fast"`` has the same band edges, rejects ~70 dB
    and is about 0.6 times as long (less latency and work).

    Dtypes: ``int16`` in gives ``int16`` out (rounded, clipped), ``float32``
    gives ``float32`` and ``float64`` gives ``float64``. The first non-empty
    chunk fixes the working precision (float64 for float64 input, float32
    otherwise); later chunks are converted to it. Input is ``(n,)`` or
    ``(n, ch)`` frames; with ``channels=1`` multi-channel input is mixed down
    by averaging, otherwise ``ch`` must equal ``channels``. Output is ``(n,)``
    when ``channels == 1`` and ``(n, channels)`` otherwise.

    A resampler is not thread-safe: one stream, one caller at a time.

    Args:
        from_rate: Input sample rate in Hz, a positive int.
        to_rate: Output sample rate in Hz, a positive int.
        channels: Output channels (1 mixes multi-channel input down).
        quality: ``"high"`` or ``"fast"``.
        backend: ``"numpy"`` (default, the reference) or ``"soxr"`` (uses
            ``soxr.ResampleStream``; its output length and delay are soxr's).

    Raises:
        TypeError: A rate or ``channels`` is not an int.
        ValueError: A rate or ``channels`` is not positive, or ``quality`` or
            ``backend`` is unknown.
        ImportError: ``backend="soxr"`` and soxr is not installed.
    """

    def __init__(
        self,
        from_rate: int,
        to_rate: int,
        channels: int = 1,
        quality: str = "high",
        backend: str = "numpy",
    ) -> None:
        self._from_rate = positive_int("from_rate", from_rate)
        self._to_rate = positive_int("to_rate", to_rate)
        self._channels = positive_int("channels", channels)
        if quality not in QUALITIES:
            raise ValueError(
                f"quality must be one of {sorted(QUALITIES)}, got {quality!r}"
            )
        if backend not in _BACKENDS:
            raise ValueError(
                f"backend must be one of {list(_BACKENDS)}, got {backend!r}"
            )
        self._quality = quality
        self._backend = backend
        common = math.gcd(self._from_rate, self._to_rate)
        self._up = self._to_rate // common
        self._down = self._from_rate // common
        self._out_dtype: np.dtype[Any] = np.dtype(np.float32)
        self._design: FilterDesign | None = None
        self._engine: _Engine | None = None
        # One channel through the numpy engine: process() has a short path.
        self._mono_numpy = False
        if self._up == self._down:
            return
        if backend == "soxr":
            self._engine = _SoxrEngine(
                self._from_rate, self._to_rate, self._channels, quality
            )
        else:
            self._design = design_filter(self._up, self._down, quality)
            self._engine = _NumpyEngine(self._design, self._channels)
            self._mono_numpy = self._channels == 1

    @property
    def from_rate(self) -> int:
        """Input sample rate in Hz."""
        return self._from_rate

    @property
    def to_rate(self) -> int:
        """Output sample rate in Hz."""
        return self._to_rate

    @property
    def channels(self) -> int:
        """Number of output channels."""
        return self._channels

    @property
    def ratio(self) -> tuple[int, int]:
        """The reduced ratio ``(up, down)``, e.g. ``(80, 147)`` for 44100 -> 24000."""
        return (self._up, self._down)

    @property
    def latency_ms(self) -> float | None:
        """Audio held back by the numpy filter, in ms (``0.0`` for equal rates).

        ``None`` for the soxr backend, whose delay is internal to soxr.
        """
        if self._design is not None:
            return 1000.0 * self._design.delay / float(self._up * self._from_rate)
        return 0.0 if self._engine is None else None

    def process(self, chunk: npt.ArrayLike) -> npt.NDArray[Any]:
        """Resample one chunk of a stream.

        Args:
            chunk: ``int16``, ``float32`` or ``float64`` samples, shape ``(n,)``
                or ``(n, ch)``; ``n`` may be 0.

        Returns:
            The output samples now available, in the input's dtype.

        Raises:
            TypeError: The dtype is not int16, float32 or float64.
            ValueError: The array is not 1-D or 2-D, or its channel count does
                not match ``channels``.
        """
        engine = self._engine
        if (
            self._mono_numpy
            and isinstance(chunk, np.ndarray)
            and chunk.dtype is _FLOAT32
            and chunk.ndim == 1
            and engine is not None
        ):
            # The common stream (mono float32 frames): what the general path does,
            # without its checks and conversions; a (n,) row broadcasts into the
            # engine's (1, n) buffer.
            self._out_dtype = _FLOAT32
            out = engine.process(chunk)
            if out.dtype is _FLOAT32:
                first: npt.NDArray[Any] = out[0]
                return first
            return self._finish(out, _FLOAT32)
        planar, dtype = self._planar(chunk)
        self._out_dtype = dtype
        if engine is None:
            return self._finish(planar, dtype)
        return self._finish(engine.process(planar), dtype)

    def flush(self) -> npt.NDArray[Any]:
        """Emit the held-back tail (as if zeros followed) and start a new stream.

        Returns:
            The remaining output, in the dtype of the last processed chunk
            (float32 when nothing was processed).
        """
        if self._engine is None:
            empty = np.zeros((self._channels, 0), dtype=np.float32)
            return self._finish(empty, self._out_dtype)
        return self._finish(self._engine.flush(), self._out_dtype)

    def reset(self) -> None:
        """Drop all buffered input and start a new stream."""
        if self._engine is not None:
            self._engine.reset()

    def _planar(self, chunk: npt.ArrayLike) -> tuple[npt.NDArray[Any], np.dtype[Any]]:
        samples = chunk if isinstance(chunk, np.ndarray) else np.asarray(chunk)
        dtype = samples.dtype
        if not (
            (dtype.kind == "i" and dtype.itemsize == 2)
            or (dtype.kind == "f" and dtype.itemsize in (4, 8))
        ):
            raise TypeError(
                "Resampler.process() expects int16, float32 or float64 samples, "
                f"got {dtype}"
            )
        dtype = dtype.newbyteorder("=")
        if samples.ndim == 1:
            if self._channels != 1:
                raise ValueError(
                    f"expected frames of shape (n, {self._channels}), got a 1-D array"
                )
            return samples[None, :], dtype
        if samples.ndim != 2:
            raise ValueError(
                f"expected samples of shape (n,) or (n, channels), got {samples.shape}"
            )
        width = samples.shape[1]
        if width == self._channels:
            return samples.T, dtype
        if self._channels == 1 and width > 0:
            work = np.float64 if dtype == np.float64 else np.float32
            return samples.mean(axis=1, dtype=work)[None, :], dtype
        raise ValueError(f"expected {self._channels} channel(s), got {width}")

    def _finish(
        self, planar: npt.NDArray[Any], dtype: np.dtype[Any]
    ) -> npt.NDArray[Any]:
        if dtype.kind == "i":
            if planar.dtype.kind == "f":
                planar = np.rint(planar)
                np.clip(planar, -32768, 32767, out=planar)
            out = planar.astype(np.int16)
        elif planar.dtype == dtype:
            out = planar
        else:
            out = planar.astype(dtype)
        result: npt.NDArray[Any]
        if self._channels == 1:
            result = out[0] if self._engine is not None else out[0].copy()
        else:
            result = np.ascontiguousarray(out.T)
        return result
