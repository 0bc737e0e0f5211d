"""The input audio stream of a client: any rate, dtype and channels -> session frames.

``client.append_audio(samples, sample_rate=48000, channels=2)`` lands here: samples are
downmixed, resampled (state kept across calls, so there is no click at chunk seams) to
the session's input rate (24 kHz for ``audio/pcm``, 8 kHz for G.711), cut into
fixed-size frames, encoded (pcm16 little-endian, or mu-law/A-law) and returned as
base64 payloads for ``input_audio_buffer.append``. ``flush()`` returns what is held
back (the resampler's tail and a partial frame) before a commit.
"""

from __future__ import annotations

from typing import Any

from realtime_sync import _b64
from realtime_sync._formats import RATES

__all__ = ["InputAudioStream"]


# format type -> (sample rate, encoder name)
class InputAudioStream:
    """Resampler + chunker + encoder for one input stream (one rate and channel count).

    Args:
        sample_rate: The rate of the samples the application gives.
        channels: Their channel count (downmixed to mono).
        format_type: The session's input format (``audio/pcm``, ``audio/pcmu``,
            ``audio/pcma``).
        frame_ms: Length of each ``input_audio_buffer.append`` frame.
    """

    def __init__(
        self, sample_rate: int, channels: int, format_type: str, frame_ms: int
    ) -> None:
        from realtime_sync.audio import Chunker, Resampler

        self.key = (sample_rate, channels, format_type, frame_ms)
        self.format_type = format_type
        target = RATES[format_type]
        self._resampler = Resampler(sample_rate, target, channels=1)
        self._channels = channels
        self._chunker = Chunker(frame_ms=frame_ms, sample_rate=target)

    def push(self, samples: Any) -> list[str]:
        """Add samples; return the base64 payloads of the whole frames now ready."""
        import numpy as np

        from realtime_sync.audio import to_mono

        arr = np.asarray(samples)
        if arr.dtype not in (np.int16, np.float32, np.float64):
            raise TypeError(
                f"samples must be int16, float32 or float64, not {arr.dtype}; G.711 codes "
                "(uint8) are sent as bytes: append_audio(codes.tobytes())"
            )
        if arr.ndim == 2 and arr.shape[1] != self._channels:
            raise ValueError(
                f"expected {self._channels} channel(s), got {arr.shape[1]}"
            )
        if arr.ndim == 1 and self._channels != 1:
            raise ValueError(
                f"expected {self._channels} interleaved channels as (n, ch)"
            )
        if arr.ndim > 2:
            raise ValueError("samples must be 1-D (mono) or 2-D (frames, channels)")
        if arr.ndim == 2:
            arr = to_mono(arr)
        return self._encode(
            self._chunker.push(self._pcm16(self._resampler.process(arr)))
        )

    def flush(self) -> list[str]:
        """Return everything held back (resampler tail, partial frame) as payloads."""
        tail = self._pcm16(self._resampler.flush())
        frames = self._chunker.push(tail) + self._chunker.flush()
        return self._encode(frames)

    @staticmethod
    def _pcm16(samples: Any) -> Any:
        import numpy as np

        from realtime_sync.audio import float_to_pcm16

        return samples if samples.dtype == np.int16 else float_to_pcm16(samples)

    def _encode(self, frames: list[Any]) -> list[str]:
        from realtime_sync.audio import alaw_encode, pcm16_to_bytes, ulaw_encode

        out = []
        for frame in frames:
            if self.format_type == "audio/pcmu":
                data = ulaw_encode(frame).tobytes()
            elif self.format_type == "audio/pcma":
                data = alaw_encode(frame).tobytes()
            else:
                data = pcm16_to_bytes(frame)
            out.append(_b64.encode(data))
        return out
