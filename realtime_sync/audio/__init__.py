"""Audio toolkit: resampling, framing, PCM16/float/G.711 codecs, WAV, output buffers.

Everything here is numpy only (``soxr`` is an optional resampling backend),
does no I/O beyond reading and writing WAV files, and starts no threads --
except :class:`Player` and :class:`Microphone`, which live in
:mod:`realtime_sync.audio.devices` and are re-exported here: they open
sound-device streams (sounddevice, the ``audio`` extra, imported only when a
stream is opened) and, for the microphone, a ``realtime-sync-mic`` thread, in
their ``start()``. Importing this package imports neither sounddevice nor
anything that does I/O.

The Realtime API's audio formats (see the protocol reference, section 2):
``audio/pcm`` is 24 kHz mono little-endian int16; ``audio/pcmu`` and
``audio/pcma`` are 8 kHz G.711 mu-law and A-law, one byte per sample.

Typical input path::

    resampler = Resampler(48_000, 24_000)          # from the microphone rate
    chunker = Chunker(frame_ms=40, sample_rate=24_000)
    for frame in chunker.push(float_to_pcm16(resampler.process(mic_block))):
        client.input_audio_buffer.append(audio=b64encode_pcm16(frame))

Typical output path::

    out = OutputAudio()
    out.append(event.item_id, event.delta)         # base64 straight from the event
    write_wav("reply.wav", out.samples(), 24_000)
"""

from __future__ import annotations

from ._base64 import b64decode_pcm16, b64encode_pcm16
from ._chunker import MIN_COMMIT_MS, Chunker, enough_for_commit
from ._convert import (
    float_to_pcm16,
    interleaved_to_planar,
    pcm16_from_bytes,
    pcm16_to_bytes,
    pcm16_to_float,
    planar_to_interleaved,
    to_mono,
)
from ._g711 import alaw_decode, alaw_encode, ulaw_decode, ulaw_encode
from ._output import OutputAudio
from ._playback import PlaybackTracker
from ._resample import Resampler
from ._wav import read_wav, write_wav
from .devices import Microphone, Player

__all__ = [
    "MIN_COMMIT_MS",
    "Chunker",
    "Microphone",
    "OutputAudio",
    "PlaybackTracker",
    "Player",
    "Resampler",
    "alaw_decode",
    "alaw_encode",
    "b64decode_pcm16",
    "b64encode_pcm16",
    "enough_for_commit",
    "float_to_pcm16",
    "interleaved_to_planar",
    "pcm16_from_bytes",
    "pcm16_to_bytes",
    "pcm16_to_float",
    "planar_to_interleaved",
    "read_wav",
    "to_mono",
    "ulaw_decode",
    "ulaw_encode",
    "write_wav",
]
