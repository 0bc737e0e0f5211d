"""Deterministic, speech-like test audio for the mock server, and its G.711 encoders.

The mock's "voice" is a synthetic vowel: a harmonic series on a gliding fundamental
(about 120-160 Hz, like a speaking voice's intonation) under a syllable envelope (about
four syllables a second). It is not speech, but it has speech's shape where a client
can see it: energy in the voice band, pauses between syllables, no clipping. The same
arguments always give the same bytes, so tests can compare them.

:func:`synth_speech` adds a *marker* to that signal: the text, one bit per sample, in
a quiet preamble (pcm16 samples 0 and 1; mu-law codes ``0xFF``/``0x7F``, both zero;
A-law codes ``0xD5``/``0x55``, +-8), far below any VAD threshold. The mock's
transcriber and reply planner read it back (:func:`find_marker`) when the bytes reach
the server unchanged, in the session's input format; resampled or re-encoded audio
loses it, and then the mock transcribes ``[speech 1.23 s]``.

The G.711 encoders follow ITU-T G.711 (the segment search of the reference
``g711.c``); they live here, not in :mod:`realtime_sync.audio`, so that the mock
server depends on nothing but numpy.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from realtime_sync.audio import alaw_encode as _g711_alaw
from realtime_sync.audio import ulaw_encode as _g711_ulaw

__all__ = ["alaw_encode", "find_marker", "speech_like", "synth_speech", "ulaw_encode"]


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
    """Encode int16 samples to G.711 mu-law bytes (the audio toolkit's codec)."""
    return _g711_ulaw(samples).tobytes()


def alaw_encode(samples: NDArray[np.int16]) -> bytes:
    """Encode int16 samples to G.711 A-law bytes (the audio toolkit's codec)."""
    return _g711_alaw(samples).tobytes()


_MAGIC = b"RSTX"
# (bit 0, bit 1) per format: pcm16 sample values, or G.711 codes.
_MARKER_UNITS = {"pcm16": (0, 1), "g711_ulaw": (0xFF, 0x7F), "g711_alaw": (0xD5, 0x55)}
_FORMAT_NAMES = {
    "audio/pcm": "pcm16",
    "pcm16": "pcm16",
    "audio/pcmu": "g711_ulaw",
    "g711_ulaw": "g711_ulaw",
    "audio/pcma": "g711_alaw",
    "g711_alaw": "g711_alaw",
}


def _format_name(fmt: str) -> str:
    try:
        return _FORMAT_NAMES[fmt]
    except KeyError:
        raise ValueError(
            f"format must be one of {sorted(_FORMAT_NAMES)}, not {fmt!r}"
        ) from None


def synth_speech(
    text: str,
    *,
    ms: int | None = None,
    format: str = "audio/pcm",
    lead_ms: int = 0,
    trail_ms: int = 0,
) -> bytes:
    """Deterministic "speech" bytes that the mock server transcribes as ``text``.

    The result is a marker carrying ``text`` (a few ms of near-silence), ``lead_ms`` of
    silence, :func:`speech_like` audio and ``trail_ms`` of silence, encoded in
    ``format``, ready for ``input_audio_buffer.append`` (base64 it). Sent unchanged in
    the session's input format, the mock's VAD hears the speech, its transcription
    gives ``text`` and its reply treats ``text`` as what the user said (``You said:
    ...``, or a tool call when it names a tool).

    Args:
        text: What the audio "says".
        ms: Duration of the voiced part; by default 60 ms per character, at least
            400 ms.
        format: ``"audio/pcm"`` (24 kHz pcm16), ``"audio/pcmu"`` or ``"audio/pcma"``
            (8 kHz G.711); beta names (``"pcm16"``, ``"g711_ulaw"``, ``"g711_alaw"``)
            work too.
        lead_ms: Silence between the marker and the speech.
        trail_ms: Silence after the speech (a VAD needs ``silence_duration_ms`` of it
            to end the turn).

    Returns:
        The audio bytes.

    Raises:
        ValueError: An unknown format, a negative duration, or ``text`` longer than
            65535 bytes in UTF-8.
    """
    name = _format_name(format)
    if min(lead_ms, trail_ms) < 0 or (ms is not None and ms < 0):
        raise ValueError("durations must not be negative")
    payload = text.encode("utf-8")
    if len(payload) > 0xFFFF:
        raise ValueError("text is too long for the marker (65535 bytes at most)")
    rate = 24_000 if name == "pcm16" else 8000
    voiced_ms = ms if ms is not None else max(400, 60 * len(text))
    frame = _MAGIC + len(payload).to_bytes(2, "big") + payload
    bits = np.unpackbits(np.frombuffer(frame, dtype=np.uint8))
    zero, one = _MARKER_UNITS[name]
    marker = np.where(bits == 1, one, zero)
    silence = np.zeros(rate * lead_ms // 1000, dtype=np.int16)
    speech = speech_like(voiced_ms, rate)
    tail = np.zeros(rate * trail_ms // 1000, dtype=np.int16)
    samples = np.concatenate([silence, speech, tail]).astype("<i2")
    if name == "pcm16":
        return marker.astype("<i2").tobytes() + samples.tobytes()
    encode = ulaw_encode if name == "g711_ulaw" else alaw_encode
    return marker.astype(np.uint8).tobytes() + encode(samples)


def find_marker(data: bytes, format: str = "audio/pcm") -> str | None:
    """The text of the first :func:`synth_speech` marker in audio bytes, if any.

    Args:
        data: Audio bytes in ``format`` (e.g. a committed input buffer).
        format: As for :func:`synth_speech`.

    Returns:
        The marker's text, or ``None`` when there is no intact marker.
    """
    name = _format_name(format)
    if name == "pcm16":
        units: NDArray[np.int64] = np.frombuffer(
            data[: len(data) - len(data) % 2], dtype="<i2"
        ).astype(np.int64)
    else:
        units = np.frombuffer(data, dtype=np.uint8).astype(np.int64)
    zero, one = _MARKER_UNITS[name]
    symbols = np.full(len(units), ord("x"), dtype=np.uint8)
    symbols[units == zero] = ord("0")
    symbols[units == one] = ord("1")
    stream = symbols.tobytes()
    magic = "".join(f"{b:08b}" for b in _MAGIC).encode("ascii")
    start = stream.find(magic)
    while start >= 0:
        at = start + len(magic)
        length_bits = stream[at : at + 16]
        if len(length_bits) == 16 and b"x" not in length_bits:
            length = int(length_bits, 2)
            body = stream[at + 16 : at + 16 + 8 * length]
            if len(body) == 8 * length and b"x" not in body:
                raw = int(body, 2).to_bytes(length, "big") if length else b""
                try:
                    return raw.decode("utf-8")
                except UnicodeDecodeError:
                    pass
        start = stream.find(magic, start + 1)
    return None
