"""The Live client's audio formats: PCM16 to the wire format and back (G.711).

The input pump works on PCM16 mono at the session's rate (24 or 16 kHz for
``audio/pcm``, 8 kHz for G.711), made from what ``append_audio`` gets by the
shared :class:`realtime_sync._input_audio.InputConverter`. :func:`encode` turns a
pump chunk into the wire format (G.711 codes for ``audio/pcmu``/``pcma``) and
:func:`decode_output` turns an output delta into int16 samples.
"""

from __future__ import annotations

from typing import Any

__all__ = ["decode_output", "encode"]


def encode(pcm16: bytes, fmt: str) -> bytes:
    """A PCM16 chunk in the session's wire format (G.711 codes, or as it is)."""
    if fmt not in ("audio/pcmu", "audio/pcma"):
        return pcm16
    import numpy as np

    from realtime_sync.audio import alaw_encode, ulaw_encode

    samples = np.frombuffer(pcm16, "<i2").astype(np.int16)
    codes = ulaw_encode(samples) if fmt == "audio/pcmu" else alaw_encode(samples)
    return bytes(codes.tobytes())


def decode_output(data: bytes, fmt: str) -> Any:
    """An output delta's bytes as int16 samples (G.711 decoded)."""
    from realtime_sync._formats import decode_audio

    return decode_audio(data, fmt)
