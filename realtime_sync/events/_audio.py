"""Base64 audio of an event read as numpy PCM16, for the events' ``audio`` properties.

The events do not import numpy (``import realtime_sync`` stays light): the decoder
is imported on first use and kept, so that each access after the first costs one
call rather than an ``import`` statement (audio deltas are read ten times a second
per session).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

__all__ = ["pcm16"]

_decode: Callable[[str], Any] | None = None


def pcm16(data: str) -> NDArray[np.int16]:
    """Decode base64 PCM16 ``data`` (see :func:`realtime_sync.audio.b64decode_pcm16`)."""
    decode = _decode
    if decode is None:
        decode = _load()
    return decode(data)  # type: ignore[no-any-return]


def _load() -> Callable[[str], Any]:
    global _decode
    from realtime_sync.audio._base64 import b64decode_pcm16

    _decode = b64decode_pcm16
    return b64decode_pcm16
