"""The Live client's audio: any input -> the session's PCM16, and back for G.711.

The input pump works on PCM16 mono at the session's rate (24 or 16 kHz for
``audio/pcm``, 8 kHz for G.711). :class:`InputConverter` turns what
``append_audio`` gets (bytes or arrays, any rate, dtype and channel count) into
that, reusing the Realtime client's checks and downmix
(:func:`realtime_sync._input_audio.to_input_mono`) and the streaming
:class:`~realtime_sync.audio.Resampler` (state kept across calls). :func:`encode`
turns a pump chunk into the wire format (G.711 codes for ``audio/pcmu``/``pcma``)
and :func:`decode_output` turns an output delta into int16 samples. Not
thread-safe: the client serialises calls to a converter.
"""

from __future__ import annotations

from typing import Any

from realtime_sync._input_audio import pcm16_bytes_to_array, to_input_mono

__all__ = ["InputConverter", "decode_output", "encode"]


def _positive_int(name: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an int, not {type(value).__name__}")
    if value <= 0:
        raise ValueError(f"{name} must be positive, not {value}")
    return value


class InputConverter:
    """Audio of any rate, dtype and channel count -> PCM16 mono bytes at ``rate``.

    Args:
        rate: The session's sample rate.
    """

    def __init__(self, rate: int) -> None:
        self.rate = rate
        self._source: int | None = None
        self._resampler: Any = None

    def convert(
        self, audio: Any, sample_rate: int | None, channels: int | None
    ) -> bytes:
        """Convert one chunk (see ``LiveClient.append_audio``).

        Raises:
            TypeError: Not bytes and not a numeric array of a supported dtype; a
                rate or channel count that is not an int.
            ValueError: Odd-length or partial-frame bytes, a bad shape, rate or
                channel count, or float samples out of range.
        """
        if sample_rate is not None:
            _positive_int("sample_rate", sample_rate)
        if channels is not None:
            _positive_int("channels", channels)
        if isinstance(audio, (bytes, bytearray, memoryview)):
            data = bytes(audio)
            if sample_rate in (None, self.rate) and channels in (None, 1):
                if len(data) % 2:
                    raise ValueError(
                        f"PCM16 audio comes in 2-byte samples, but {len(data)} bytes "
                        "is an odd length; append whole samples"
                    )
                return self.flush() + data
            samples = pcm16_bytes_to_array(data, channels or 1)
        elif isinstance(audio, str):
            raise TypeError("audio must be bytes or a numpy array, not str")
        else:
            samples = audio
        mono = to_input_mono(samples, channels)
        return self._push(mono, self.rate if sample_rate is None else sample_rate)

    def _push(self, mono: Any, source: int) -> bytes:
        import numpy as np

        from realtime_sync.audio import Resampler, float_to_pcm16, pcm16_to_bytes

        head = b""
        if source != self._source:
            head = self.flush()
            self._source = source
            self._resampler = (
                None
                if source == self.rate
                else Resampler(source, self.rate, channels=1)
            )
        out = mono if self._resampler is None else self._resampler.process(mono)
        if out.dtype != np.int16:
            out = float_to_pcm16(out)
        return head + pcm16_to_bytes(out)

    def flush(self) -> bytes:
        """The resampler's held-back tail; the next chunk starts a new stream."""
        resampler, self._resampler, self._source = self._resampler, None, None
        if resampler is None:
            return b""
        from realtime_sync.audio import float_to_pcm16, pcm16_to_bytes

        return pcm16_to_bytes(float_to_pcm16(resampler.flush()))


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
