"""The input audio stream of a client: any rate, dtype and channels -> session frames.

``client.append_audio(samples, sample_rate=48000, channels=2)`` lands here.
:func:`to_input_mono` checks the samples and mixes them down to mono (on the
caller's thread, with no lock); an :class:`InputAudioStream` then resamples them
(state kept across calls, so there is no click at chunk seams) to the session's input
rate (24 kHz for ``audio/pcm``, 8 kHz for G.711), cuts them into fixed-size frames,
encodes them (pcm16 little-endian, or mu-law/A-law) and returns base64 payloads for
``input_audio_buffer.append``. ``flush()`` returns what is held back (the
resampler's tail and a partial frame) before a commit.

The Live and Translation clients, whose input pump cuts the audio itself, use an
:class:`InputConverter` instead: the same checks and downmix, resampled to the
session's rate, returned as raw PCM16 bytes.

The stream is not thread-safe: the client serialises its calls (see
``SendersAPI.append_audio``).
"""

from __future__ import annotations

from typing import Any

from realtime_sync import _b64
from realtime_sync._formats import RATES

__all__ = [
    "InputAudioStream",
    "InputConverter",
    "pcm16_bytes_to_array",
    "to_input_mono",
]

# Float audio is nominally in [-1, 1]; a little beyond is clipped (a hot mix, a
# resampler's overshoot). Beyond this, the samples are almost surely int16-scale
# values in a float array: clipping would turn speech into a square wave.
_FLOAT_LIMIT = 2.0
# More channels than this in a 2-D array is almost surely planar (channels, frames).
_MAX_CHANNELS = 32


def to_input_mono(samples: Any, channels: int | None) -> Any:
    """Check ``samples`` and mix them down to a 1-D array (int16, float32 or float64).

    Args:
        samples: A 1-D array (mono, or interleaved frames when ``channels`` > 1) or
            a 2-D ``(frames, channels)`` array.
        channels: The channel count; None takes it from the shape (1 for a 1-D
            array, ``shape[1]`` for a 2-D one).

    Returns:
        The mono samples, in the input's dtype.

    Raises:
        TypeError: Not a numeric array of a supported dtype.
        ValueError: A shape that does not match ``channels``, or float samples that
            are NaN, infinite or far outside [-1, 1].
    """
    import numpy as np

    from realtime_sync.audio import to_mono

    arr = np.asarray(samples)
    if arr.dtype not in (np.int16, np.float32, np.float64):
        raise TypeError(
            f"samples must be int16, float32 or float64, not {arr.dtype}; G.711 codes "
            "(uint8) are sent as bytes: append_audio(codes.tobytes())"
        )
    if arr.ndim == 2:
        found = arr.shape[1]
        if channels is not None and found != channels:
            raise ValueError(
                f"samples of shape {arr.shape} have {found} channel(s) (frames, "
                f"channels), but channels={channels}"
            )
        if found > _MAX_CHANNELS or found == 0:
            raise ValueError(
                f"samples of shape {arr.shape} would have {found} channels: pass "
                "(frames, channels) (for planar (channels, frames) audio, samples.T)"
            )
    elif arr.ndim == 1:
        if channels is not None and channels > 1:
            # A flat array with channels > 1: interleaved frames (L R L R ...).
            if len(arr) % channels:
                raise ValueError(
                    f"a 1-D array with channels={channels} is read as interleaved "
                    f"frames, but its length {len(arr)} is not a multiple of "
                    f"{channels}"
                )
            arr = arr.reshape(-1, channels)
    else:
        raise ValueError(
            "samples must be 1-D (mono or interleaved) or 2-D (frames, channels), "
            f"not of shape {arr.shape}"
        )
    if arr.dtype != np.int16 and arr.size:
        _check_float_range(arr)
    return to_mono(arr) if arr.ndim == 2 else arr


def _check_float_range(arr: Any) -> None:
    """Refuse NaN, infinities and int16-scale values in a float array."""
    import numpy as np

    # Two reductions and no temporary array (the hot path of float input).
    high, low = float(arr.max()), float(arr.min())
    if low >= -_FLOAT_LIMIT and high <= _FLOAT_LIMIT:
        return  # NaN fails both comparisons, so it does not return here
    if np.isnan(arr).any():
        raise ValueError("float samples contain NaN (not a number)")
    if np.isinf(arr).any():
        raise ValueError("float samples contain infinite values")
    peak = max(high, -low)
    raise ValueError(
        f"float samples must be in [-1, 1], but they reach {peak:g}: int16-scale "
        "values in a float array? Pass them as int16, or divide by 32768"
    )


def pcm16_bytes_to_array(data: bytes, channels: int) -> Any:
    """PCM16 little-endian bytes of ``channels`` interleaved channels as int16 samples.

    Raises:
        ValueError: The length is not a whole number of frames.
    """
    import numpy as np

    frame = 2 * channels
    if len(data) % frame:
        raise ValueError(
            f"PCM16 bytes of {channels} channel(s) come in frames of {frame} bytes; "
            f"{len(data)} bytes is not a whole number of frames"
        )
    arr = np.frombuffer(data, "<i2").astype(np.int16, copy=False)
    return arr.reshape(-1, channels) if channels > 1 else arr


class InputAudioStream:
    """Resampler + chunker + encoder for one mono input stream at one rate.

    Args:
        sample_rate: The rate of the samples the application gives.
        format_type: The session's input format (``audio/pcm``, ``audio/pcmu``,
            ``audio/pcma``).
        frame_ms: Length of each ``input_audio_buffer.append`` frame.
    """

    def __init__(self, sample_rate: int, format_type: str, frame_ms: int) -> None:
        from realtime_sync.audio import Chunker, Resampler

        self.key = (sample_rate, format_type, frame_ms)
        self.format_type = format_type
        target = RATES[format_type]
        self._resampler = Resampler(sample_rate, target, channels=1)
        self._chunker = Chunker(frame_ms=frame_ms, sample_rate=target)

    def push(self, mono: Any) -> list[str]:
        """Add mono samples (from :func:`to_input_mono`); return the frames ready."""
        return self._encode(
            self._chunker.push(self._pcm16(self._resampler.process(mono)))
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


def _positive_int(name: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an int, not {type(value).__name__}")
    if value <= 0:
        raise ValueError(f"{name} must be positive, not {value}")
    return value


class InputConverter:
    """Audio of any rate, dtype and channel count -> PCM16 mono bytes at ``rate``.

    For a client with an input pump (Live, Translation): the pump cuts the bytes
    into appends. The resampler's state is kept across calls (no click at chunk
    seams) while the source rate stays the same.

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
        """Convert one chunk (see the clients' ``append_audio``).

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
        from realtime_sync.audio import Resampler, pcm16_to_bytes

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
        return head + pcm16_to_bytes(InputAudioStream._pcm16(out))

    def flush(self) -> bytes:
        """The resampler's held-back tail; the next chunk starts a new stream."""
        resampler, self._resampler, self._source = self._resampler, None, None
        if resampler is None:
            return b""
        from realtime_sync.audio import pcm16_to_bytes

        return pcm16_to_bytes(InputAudioStream._pcm16(resampler.flush()))
