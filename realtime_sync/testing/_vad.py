"""The mock server's ears: an energy detector for simulated turn detection.

The real server's VAD is a model; the mock's is a level meter, which is enough to
drive the protocol deterministically. Input audio is decoded per the session's input
format (§2: ``audio/pcm`` 24 kHz pcm16, ``audio/pcmu``/``audio/pcma`` 8 kHz G.711) and
cut into 10 ms windows; a window is *voiced* when its RMS level, in dBFS, is at or
above the level the ``threshold`` maps to (:func:`threshold_dbfs`):

========== ==========
threshold  level
========== ==========
0.0        -70 dBFS
0.5        -40 dBFS (the default)
0.9        -16 dBFS
1.0        -10 dBFS
========== ==========

(linear in between: ``-70 + 60 * threshold``). Silence written as zeros, the quiet
marker of :func:`~realtime_sync.testing.synth_speech` and G.711 idle codes are all far
below -40 dBFS; :func:`~realtime_sync.testing.speech_like` peaks at -10 dBFS.

Semantic VAD uses the same detector at threshold 0.5 and waits for silence by
``eagerness``: the real server's maximum waits (low 8 s, medium and auto 4 s, high
2 s, §10) divided by ten, so tests stay fast: 800, 400 and 200 ms.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from realtime_sync.audio import alaw_decode, pcm16_from_bytes, ulaw_decode
from realtime_sync.events import AudioPCMA, AudioPCMU, SemanticVad, ServerVad

__all__ = [
    "SEMANTIC_WAIT_MS",
    "WINDOW_MS",
    "TurnSettings",
    "decode_input",
    "threshold_dbfs",
    "turn_settings",
    "voiced_windows",
]

WINDOW_MS = 10
#: Silence that ends a turn under semantic VAD, by eagerness (real caps / 10).
SEMANTIC_WAIT_MS = {"low": 800, "medium": 400, "auto": 400, "high": 200}
_DEFAULT_THRESHOLD = 0.5
_DEFAULT_PREFIX_MS = 300
_DEFAULT_SILENCE_MS = 500  # §3.1.2, documented default


def threshold_dbfs(threshold: float) -> float:
    """The window level (dBFS) a VAD ``threshold`` maps to: ``-70 + 60 * threshold``.

    Args:
        threshold: The turn detection threshold, 0.0 to 1.0 (clamped).

    Returns:
        The RMS level at or above which a 10 ms window counts as speech.
    """
    return -70.0 + 60.0 * min(1.0, max(0.0, float(threshold)))


class TurnSettings:
    """Turn detection settings with the defaults filled in.

    Attributes:
        kind: ``"server_vad"`` or ``"semantic_vad"``.
        level_dbfs: The voiced level, from the threshold.
        prefix_padding_ms: Audio before speech included in ``audio_start_ms``.
        silence_ms: Silence that ends a turn.
        idle_timeout_ms: Server VAD's idle timeout, or ``None``.
        create_response: Respond when a turn ends.
        interrupt_response: Cancel the running response when speech starts.
    """

    __slots__ = (
        "create_response",
        "idle_timeout_ms",
        "interrupt_response",
        "kind",
        "level_dbfs",
        "prefix_padding_ms",
        "silence_ms",
    )

    def __init__(self, detection: ServerVad | SemanticVad) -> None:
        self.create_response = _flag(detection.create_response)
        self.interrupt_response = _flag(detection.interrupt_response)
        self.idle_timeout_ms: int | None = None
        if isinstance(detection, ServerVad):
            self.kind = "server_vad"
            threshold = detection.threshold
            if not isinstance(threshold, (int, float)) or isinstance(threshold, bool):
                threshold = _DEFAULT_THRESHOLD
            self.level_dbfs = threshold_dbfs(threshold)
            self.prefix_padding_ms = _ms(
                detection.prefix_padding_ms, _DEFAULT_PREFIX_MS
            )
            self.silence_ms = _ms(detection.silence_duration_ms, _DEFAULT_SILENCE_MS)
            idle = _ms(detection.idle_timeout_ms, 0)
            self.idle_timeout_ms = idle if idle > 0 else None
        else:
            self.kind = "semantic_vad"
            self.level_dbfs = threshold_dbfs(_DEFAULT_THRESHOLD)
            self.prefix_padding_ms = _DEFAULT_PREFIX_MS
            eagerness = detection.eagerness
            self.silence_ms = SEMANTIC_WAIT_MS.get(
                eagerness if isinstance(eagerness, str) else "auto", 400
            )


def _flag(value: Any) -> bool:
    """A boolean setting; absent or null means the default, ``True``."""
    return value if isinstance(value, bool) else True


def _ms(value: Any, default: int) -> int:
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    return default


def turn_settings(detection: object) -> TurnSettings | None:
    """The settings of a ``turn_detection`` value, or ``None`` for manual turns."""
    if isinstance(detection, (ServerVad, SemanticVad)):
        return TurnSettings(detection)
    return None


def decode_input(data: bytes, fmt: object) -> NDArray[np.int16]:
    """Decode input audio bytes to int16 samples per the session's input format."""
    if isinstance(fmt, AudioPCMU):
        return ulaw_decode(data)
    if isinstance(fmt, AudioPCMA):
        return alaw_decode(data)
    return pcm16_from_bytes(data)


def voiced_windows(
    samples: NDArray[np.int16], window: int, level_dbfs: float
) -> list[bool]:
    """Whether each whole window of ``window`` samples is at or above ``level_dbfs``.

    Args:
        samples: int16 samples; a trailing partial window is ignored.
        window: Samples per window.
        level_dbfs: The voiced level.

    Returns:
        One flag per whole window, in order.
    """
    count = len(samples) // window
    if count == 0:
        return []
    frames = samples[: count * window].astype(np.float64).reshape(count, window)
    rms = np.sqrt(np.mean(frames * frames, axis=1))
    # level >= L dBFS  <=>  rms >= 32768 * 10 ** (L / 20)
    voiced = rms >= 32768.0 * 10.0 ** (level_dbfs / 20.0)
    return [bool(v) for v in voiced]
