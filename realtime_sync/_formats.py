"""The session audio formats (§2 of the protocol reference), in one place.

``audio/pcm`` is 24 kHz mono PCM16 little-endian; ``audio/pcmu`` and ``audio/pcma``
are 8 kHz G.711 (one byte a sample). Unknown formats are treated as ``audio/pcm``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

__all__ = ["RATES", "bytes_per_second", "decode_audio", "session_format"]

#: Sample rate of each format.
RATES = {"audio/pcm": 24000, "audio/pcmu": 8000, "audio/pcma": 8000}


def session_format(session: Any, side: str) -> str:
    """The format type of a session's ``audio.input`` or ``audio.output`` side."""
    audio_side = getattr(getattr(session, "audio", None), side, None)
    kind = getattr(getattr(audio_side, "format", None), "type", None)
    return kind if isinstance(kind, str) and kind in RATES else "audio/pcm"


def bytes_per_second(fmt: str) -> int:
    """Bytes of audio per second in ``fmt``."""
    return 48000 if fmt not in ("audio/pcmu", "audio/pcma") else 8000


def decode_audio(data: bytes, fmt: str) -> NDArray[np.int16]:
    """Audio bytes in ``fmt`` as int16 samples (G.711 decoded, an odd byte dropped)."""
    if fmt == "audio/pcmu":
        from realtime_sync.audio._g711 import ulaw_decode  # the maths, not devices

        return ulaw_decode(data)
    if fmt == "audio/pcma":
        from realtime_sync.audio._g711 import alaw_decode

        return alaw_decode(data)
    import numpy as np

    return np.frombuffer(data[: len(data) // 2 * 2], "<i2").astype(np.int16)
