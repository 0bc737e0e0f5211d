"""The translation client's input audio: any rate, dtype and channels -> 24 kHz PCM16.

:class:`InputConverter` reuses the Realtime client's pieces: the checks and downmix of
:func:`realtime_sync._input_audio.to_input_mono`, the streaming
:class:`~realtime_sync.audio.Resampler` (state kept across calls: no click at chunk
seams) and the PCM16 conversions of :mod:`realtime_sync.audio`. It returns raw bytes,
which the input pump cuts into 200 ms appends. Not thread-safe: the client serialises
its calls.
"""

from __future__ import annotations

from typing import Any

from realtime_sync._input_audio import pcm16_bytes_to_array, to_input_mono

__all__ = ["InputConverter"]

RATE = 24_000


def _check_rate(sample_rate: object) -> int:
    if isinstance(sample_rate, bool) or not isinstance(sample_rate, int):
        raise TypeError(f"sample_rate must be an int, not {type(sample_rate).__name__}")
    if sample_rate <= 0:
        raise ValueError(f"sample_rate must be positive, not {sample_rate}")
    return sample_rate


def _check_channels(channels: object) -> int:
    if isinstance(channels, bool) or not isinstance(channels, int) or channels < 1:
        raise ValueError(f"channels must be a positive int, not {channels!r}")
    return channels


class InputConverter:
    """Audio of any rate, dtype and channel count to 24 kHz PCM16 mono bytes."""

    def __init__(self) -> None:
        self._rate: int | None = None
        self._resampler: Any = None

    def convert(
        self, audio: Any, sample_rate: int | None, channels: int | None
    ) -> bytes:
        """Convert one chunk (see ``TranslationClient.append_audio``).

        Raises:
            TypeError: Not bytes and not a numeric array of a supported dtype.
            ValueError: Odd-length or partial-frame bytes, a bad shape, rate or
                channel count, or float samples out of range.
        """
        if isinstance(audio, (bytes, bytearray, memoryview)):
            data = bytes(audio)
            if sample_rate in (None, RATE) and channels in (None, 1):
                if len(data) % 2:
                    raise ValueError(
                        f"PCM16 audio comes in 2-byte samples, but {len(data)} bytes "
                        "is an odd length; append whole samples"
                    )
                return self.flush() + data if self._resampler is not None else data
            samples = pcm16_bytes_to_array(
                data, 1 if channels is None else _check_channels(channels)
            )
        elif isinstance(audio, str):
            raise TypeError("audio must be bytes or a numpy array, not str")
        else:
            samples = audio
        if channels is not None:
            _check_channels(channels)
        mono = to_input_mono(samples, channels)
        rate = RATE if sample_rate is None else _check_rate(sample_rate)
        return self._push(mono, rate)

    def _push(self, mono: Any, rate: int) -> bytes:
        import numpy as np

        from realtime_sync.audio import Resampler, float_to_pcm16, pcm16_to_bytes

        head = b""
        if rate != self._rate:
            head = self.flush()
            self._rate = rate
            self._resampler = (
                None if rate == RATE else Resampler(rate, RATE, channels=1)
            )
        out = mono if self._resampler is None else self._resampler.process(mono)
        if out.dtype != np.int16:
            out = float_to_pcm16(out)
        return head + pcm16_to_bytes(out)

    def flush(self) -> bytes:
        """The resampler's tail (call before the input ends); forgets the rate."""
        resampler, self._resampler, self._rate = self._resampler, None, None
        if resampler is None:
            return b""
        import numpy as np

        from realtime_sync.audio import float_to_pcm16, pcm16_to_bytes

        tail = resampler.flush()
        return pcm16_to_bytes(tail if tail.dtype == np.int16 else float_to_pcm16(tail))
