"""Deterministic, speech-like test audio for the mock server, and its G.711 encoders.

The mock's "voice" is a synthetic vowel: a harmonic series on a gliding fundamental
(about 120-160 Hz, like a speaking voice's intonation) under a syllable envelope (about
four syllables a second). It is not speech, but it has speech's shape where a client
can see it: energy in the voice band, pauses between syllables, no clipping. The same
arguments always give the same bytes, so tests can compare them.

The G.711 encoders follow ITU-T G.711 (the segment search of the reference
``g711.c``); they live here, not in :mod:`realtime_sync.audio`, so that the mock
server depends on nothing but numpy.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

__all__ = ["alaw_encode", "speech_like", "ulaw_encode"]

_ULAW_SEG_END = np.array([0x3F, 0x7F, 0xFF, 0x1FF, 0x3FF, 0x7FF, 0xFFF, 0x1FFF])
_ALAW_SEG_END = np.array([0x1F, 0x3F, 0x7F, 0xFF, 0x1FF, 0x3FF, 0x7FF, 0xFFF])


def speech_like(ms: int, sample_rate: int = 24_000) -> NDArray[np.int16]:
    """A deterministic speech-like mono signal.

    Args:
        ms: Duration in milliseconds.
        sample_rate: Samples per second.

    Returns:
        ``sample_rate * ms // 1000`` int16 samples, peak about -10 dBFS, with a short
        fade in and out so that consecutive replies do not click.
    """
    n = sample_rate * ms // 1000
    if n <= 0:
        return np.zeros(0, dtype=np.int16)
    t = np.arange(n, dtype=np.float64) / sample_rate
    f0 = 140.0 + 20.0 * np.sin(2.0 * np.pi * 1.5 * t)  # intonation
    phase = 2.0 * np.pi * np.cumsum(f0) / sample_rate
    voice = np.zeros(n)
    for k in range(1, 11):
        if 140.0 * k >= sample_rate / 2:  # keep every harmonic below Nyquist
            break
        # 1/k roll-off, lifted around 500 Hz and 1500 Hz (rough vowel formants).
        gain = (1.0 / k) * (1.0 + 1.5 * np.exp(-(((140.0 * k - 500.0) / 250.0) ** 2)))
        gain *= 1.0 + 0.8 * np.exp(-(((140.0 * k - 1500.0) / 400.0) ** 2))
        voice += gain * np.sin(k * phase)
    syllables = np.clip(np.sin(2.0 * np.pi * 4.0 * t) * 1.6 + 0.3, 0.0, 1.0)
    fade = np.minimum(
        1.0, np.minimum(np.arange(n), np.arange(n)[::-1]) / (0.01 * sample_rate)
    )
    peak = float(np.max(np.abs(voice))) or 1.0
    signal = 0.316 * voice / peak * syllables * fade
    return np.round(signal * 32767.0).astype("<i2")


def ulaw_encode(samples: NDArray[np.int16]) -> bytes:
    """Encode int16 samples to G.711 mu-law bytes.

    Args:
        samples: Mono int16 samples.

    Returns:
        One byte per sample.
    """
    x = samples.astype(np.int32) >> 2  # 14-bit
    mask = np.where(x < 0, 0x7F, 0xFF)
    x = np.minimum(np.abs(x), 8159) + 33
    seg = np.searchsorted(_ULAW_SEG_END, x, side="left")
    value = (seg << 4) | ((x >> (seg + 1)) & 0x0F)
    value = np.where(seg >= 8, 0x7F, value)
    return ((value ^ mask) & 0xFF).astype(np.uint8).tobytes()


def alaw_encode(samples: NDArray[np.int16]) -> bytes:
    """Encode int16 samples to G.711 A-law bytes.

    Args:
        samples: Mono int16 samples.

    Returns:
        One byte per sample.
    """
    x = samples.astype(np.int32) >> 3  # 13-bit
    mask = np.where(x >= 0, 0xD5, 0x55)
    x = np.where(x >= 0, x, -x - 1)
    seg = np.searchsorted(_ALAW_SEG_END, x, side="left")
    low = np.where(seg < 2, (x >> 1) & 0x0F, (x >> np.maximum(seg, 1)) & 0x0F)
    value = np.where(seg >= 8, 0x7F, (seg << 4) | low)
    return ((value ^ mask) & 0xFF).astype(np.uint8).tobytes()
