"""Shared state and helpers of the Live mock's responder (see ``_live_responder``).

:class:`_LiveBase` holds what every part of
:class:`~realtime_sync.testing.LiveResponder` uses: ids, ``error`` events, the
session's audio format, and the output track's speech queue (:meth:`_say`, the
transcript grid).
"""

from __future__ import annotations

import collections
import itertools
import math
from collections.abc import Iterator
from typing import Any

import attrs
import numpy as np

from realtime_sync.events._base import UNSET
from realtime_sync.live import events as lv
from realtime_sync.testing._synth import alaw_encode, speech_like, ulaw_encode

__all__ = ["_FixtureDone", "_LiveBase", "_Segment", "_client_id", "you_said"]


def you_said(text: str) -> str:
    """The mock's answer to ``text``: ``You said: <text>.``, ending in one stop."""
    text = text.strip()
    return f"You said: {text}" + ("" if text[-1:] in (".", "?", "!") else ".")


@attrs.define
class _Segment:
    """Something the output track plays: speech (with its transcript) or a fixture."""

    audio: bytes
    text: str = ""
    after: list[Any] = attrs.field(factory=list)  # events when it has played
    plan: list[tuple[int, int, str]] | None = None  # transcript deltas, once started
    at: int = 0  # bytes already played
    last_id: str | None = None  # event_id of its last transcript delta sent


class _LiveBase:
    """Ids, errors, audio format and speech of one mock Live session."""

    chunk_ms: int
    grid_ms: int
    speech_chars_per_second: float
    session: lv.SessionResource | None
    timeline_ms: int
    transcript: list[tuple[str, str]]
    _counters: dict[str, Iterator[int]]
    _segments: collections.deque[_Segment]
    _spoken: set[str]  # speakers ("user", "assistant") whose transcript has begun

    def _grid(
        self, text: str, start: int, end: int, speaker: str
    ) -> list[tuple[int, int, str]]:
        """Split ``text`` into deltas on the grid between ``start`` and ``end`` ms.

        Like the service's, the fragments concatenate to the speaker's transcript:
        after the speaker's first fragment, every fragment leads with its space.
        """
        words = text.split()
        if not words:
            return []
        continues = speaker in self._spoken
        self._spoken.add(speaker)
        grid = self.grid_ms
        first = start - start % grid
        slots = max(1, math.ceil((end - first) / grid))
        per = math.ceil(len(words) / slots)
        out = []
        for k in range(0, len(words), per):
            slot = k // per
            s = first + slot * grid
            piece = " ".join(words[k : k + per])
            lead = " " if k or continues else ""
            out.append((s, s + grid, lead + piece))
        return out

    def _say(self, text: str) -> None:
        """Queue speech on the output track (after what is already queued)."""
        ms = max(400, math.ceil(len(text) / self.speech_chars_per_second * 1000))
        ms = math.ceil(ms / self.chunk_ms) * self.chunk_ms
        samples = speech_like(ms, self._rate())
        self._segments.append(_Segment(audio=self._encode_output(samples), text=text))
        self.transcript.append(("assistant", text))

    def _session(self) -> lv.SessionResource:
        assert self.session is not None
        return self.session

    def _format(self) -> Any:
        audio = self.session.audio if self.session is not None else UNSET
        fmt = getattr(audio, "format", UNSET)
        return fmt if fmt not in (UNSET, None) else lv.AudioPCM(rate=24000)

    def _format_name(self) -> str:
        fmt = self._format()
        return fmt.type if isinstance(fmt.type, str) else "audio/pcm"

    def _rate(self) -> int:
        fmt = self._format()
        if isinstance(fmt, lv.AudioPCM):
            return fmt.rate if isinstance(fmt.rate, int) else 24_000
        return 8000

    def _bytes_per_ms(self) -> float:
        fmt = self._format()
        if isinstance(fmt, lv.AudioPCM):
            return self._rate() * 2 / 1000
        return 8.0

    def _decode_input(self, chunk: bytes) -> np.ndarray[Any, np.dtype[np.int16]]:
        from realtime_sync.audio import alaw_decode, ulaw_decode

        fmt = self._format()
        if isinstance(fmt, lv.AudioPCMU):
            return ulaw_decode(chunk)
        if isinstance(fmt, lv.AudioPCMA):
            return alaw_decode(chunk)
        return np.frombuffer(chunk[: len(chunk) - len(chunk) % 2], dtype="<i2")

    def _encode_output(self, samples: np.ndarray[Any, np.dtype[np.int16]]) -> bytes:
        fmt = self._format()
        if isinstance(fmt, lv.AudioPCMU):
            return ulaw_encode(samples)
        if isinstance(fmt, lv.AudioPCMA):
            return alaw_encode(samples)
        return samples.astype("<i2").tobytes()

    def _silence_bytes(self, size: int) -> bytes:
        if size <= 0:
            return b""
        fmt = self._format()
        if isinstance(fmt, (lv.AudioPCMU, lv.AudioPCMA)):
            return self._encode_output(np.zeros(size, dtype=np.int16))
        return bytes(size)

    def _usage(self) -> lv.SessionUsage:
        return lv.SessionUsage(seconds=float(self.timeline_ms // 1000))

    def _context_ratio(self) -> float:
        chars = sum(len(t) for _, t in self.transcript)
        return round(min(1.0, 0.008 + chars / 4 / 128_000), 6)

    def _next_number(self, kind: str) -> int:
        counter = self._counters.setdefault(kind, itertools.count(1))
        return next(counter)

    def _next_id(self, kind: str) -> str:
        return f"{kind}_{self._next_number(kind):04d}"

    def _error(
        self,
        message: str,
        code: str | None,
        param: str | None,
        client_event_id: str | None,
        *,
        kind: str = "invalid_request_error",
    ) -> lv.Error:
        return lv.Error(
            event_id=self._next_id("event"),
            error=lv.ErrorDetails(
                type=kind,
                code=code or "server_error",
                message=message,
                param=param,
                client_event_id=client_event_id,
            ),
        )


class _FixtureDone:
    """Internal marker in a fixture segment's ``after``: the fixture ended."""


def _client_id(event: lv.LiveClientEvent) -> str | None:
    value = event.event_id
    if isinstance(event, lv.UnknownLiveClientEvent):
        data_id = event.data.get("event_id")
        value = data_id if isinstance(data_id, str) else value
    return value if isinstance(value, str) else None
