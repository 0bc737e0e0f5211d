"""The sans-I/O state of one translation session: :class:`TranslationCore`.

Fed every decoded server event (:meth:`TranslationCore.receive`) and the client's own
``session.update`` and ``session.close`` (:meth:`TranslationCore.sending`), it keeps
what the session produced (the translated audio, both transcripts), the session as
the server last described it, every configuration sent (what a reconnection
restores) and where the session stands (created, closing, closed); and it answers
what the threaded client should do as an :class:`~realtime_sync.session.Effects`.
It never sends, waits or calls user code, and does no I/O, like the Realtime
:class:`~realtime_sync.session.SessionCore`, whose interface the threaded machinery
(:mod:`realtime_sync.client._threaded`) drives it through.

Translation has no responses, items or commits: nothing is pending but the
blocking helpers the dispatcher already tracks, so losing a session fails nothing
here, and no input audio is replayed (the service has no resume: the audio a lost
session had received and not translated is gone; the client reports the gap).
"""

from __future__ import annotations

import collections
from collections.abc import Callable
from typing import Any

import attrs

from realtime_sync import _b64
from realtime_sync import events as ev
from realtime_sync.exceptions import ServerError
from realtime_sync.reconnect import merge_session
from realtime_sync.session import Effects
from realtime_sync.translation import events as tev
from realtime_sync.translation.codec import TranslationCodec

__all__ = ["SAMPLE_RATE", "Gap", "Translation", "TranslationCore"]

#: The rate of the translation service's audio, both ways (PCM16 mono).
SAMPLE_RATE = 24_000
_BYTES_PER_SECOND = SAMPLE_RATE * 2


@attrs.frozen(kw_only=True)
class Gap:
    """A connection lost and replaced by a new session (opt-in reconnection).

    Attributes:
        output_ms: Where the gap falls in :attr:`Translation.audio`, in ms.
        downtime: Seconds from the loss to the new session.
        dropped_audio_ms: Input audio that did not reach the new session.
        cause: Why the connection ended.
    """

    output_ms: int
    downtime: float
    dropped_audio_ms: int
    cause: str


@attrs.frozen(kw_only=True)
class Translation:
    """What a translation session produced so far (``client.translation``).

    Attributes:
        audio: The translated speech, PCM16 mono little-endian at
            :attr:`sample_rate` (within ``audio_retention_seconds``: the oldest
            audio goes first; :attr:`dropped_output_ms` counts it).
        transcript: The translated text, fragments joined as received.
        source_transcript: The source-language text (when transcription is on).
        language: The target language the session last reported.
        sample_rate: Samples per second of :attr:`audio` (24000).
        dropped_output_ms: Translated audio dropped by the retention bound.
        gaps: Connections lost and replaced during the session, in order.
        closed: The server confirmed the end (``session.closed``).
    """

    audio: bytes = attrs.field(repr=False)
    transcript: str
    source_transcript: str
    language: str | None = None
    sample_rate: int = SAMPLE_RATE
    dropped_output_ms: int = 0
    gaps: tuple[Gap, ...] = ()
    closed: bool = False

    @property
    def duration(self) -> float:
        """Seconds of translated audio in :attr:`audio`."""
        return len(self.audio) / (2 * self.sample_rate)

    def samples(self) -> Any:
        """:attr:`audio` as int16 numpy samples."""
        import numpy as np

        return np.frombuffer(self.audio, dtype="<i2")


class TranslationCore:
    """The state of one translation session (see the module docstring).

    Args:
        audio_retention_seconds: Translated audio kept for :meth:`translation`
            (oldest dropped first); None keeps all, 0 keeps none.

    Not thread-safe: the client calls it under its lock.
    """

    #: The client events :meth:`sending` wants to see.
    sending_types: frozenset[type] = frozenset({tev.SessionUpdate, tev.SessionClose})

    def __init__(self, *, audio_retention_seconds: float | None = None) -> None:
        #: The session as the server last described it (``session.created/updated``).
        self.session_info: tev.TranslationSession | None = None
        self._codec = TranslationCodec()
        self._config: dict[str, Any] | None = None  # every session.update, merged
        self._limit = (
            None
            if audio_retention_seconds is None
            else int(audio_retention_seconds * SAMPLE_RATE) * 2
        )
        self._audio: collections.deque[bytes] = collections.deque()
        self._audio_bytes = 0
        self._dropped_bytes = 0
        self._received_bytes = 0  # every translated byte, dropped or not
        self._target: list[str] = []
        self._source: list[str] = []
        self._gaps: list[Gap] = []
        #: ``session.close`` was sent (or held) on this session.
        self.closing = False
        #: ``session.closed`` arrived.
        self.closed = False
        #: Output events received (audio and transcript deltas): a progress count.
        self.output_events = 0
        #: Source audio (ms) the server's ``elapsed_ms`` says it has reached.
        self.elapsed_ms = 0

    # -- what the threaded client calls ----------------------------------------------

    def input_format(self) -> str:
        """The input audio format (always PCM16 at 24 kHz)."""
        return "audio/pcm"

    def sending(self, event: ev.ClientEvent, *, held: bool = False) -> None:
        """The client is sending ``event`` (one of :attr:`sending_types`)."""
        if type(event) is tev.SessionUpdate:
            assert isinstance(event, tev.SessionUpdate)
            update = self._codec.to_dict(event.session)
            self._config = merge_session(self._config or {}, update)
        elif type(event) is tev.SessionClose:
            self.closing = True

    def resending(self, event: ev.ClientEvent) -> None:
        """A held event goes on a new connection now (nothing to log)."""

    def withdraw(self, event: ev.ClientEvent) -> None:
        """An event passed to :meth:`sending` could not be sent after all."""
        if type(event) is tev.SessionClose:
            self.closing = False

    def take_uncommitted(self) -> tuple[list[ev.ClientEvent], int]:
        """No replay: a lost session's untranslated input is gone."""
        return [], 0

    def new_connection(self) -> None:
        """A new connection (a reconnection) starts: a new session."""
        self.closed = False

    def session_lost(self, exc: BaseException, held: frozenset[str]) -> Effects:
        """The session is gone and a new one is coming: nothing is pending here."""
        return Effects()

    def fail_all(self, exc: BaseException) -> Effects:
        """The session ended for good: nothing is pending here."""
        return Effects()

    def restore_session_event(self) -> tev.SessionUpdate | None:
        """One ``session.update`` with every configuration sent so far, or None."""
        if not self._config:
            return None
        hook = self._codec._tables.client[tev.SessionUpdate.TYPE]
        event = hook({"type": tev.SessionUpdate.TYPE, "session": self._config}, None)
        assert isinstance(event, tev.SessionUpdate)
        return event

    def gap(self, downtime: float, dropped_audio_ms: int, cause: str) -> None:
        """Note a replaced connection at the current end of the output."""
        output_ms = self._received_bytes * 1000 // _BYTES_PER_SECOND
        self._gaps.append(
            Gap(
                output_ms=output_ms,
                downtime=downtime,
                dropped_audio_ms=dropped_audio_ms,
                cause=cause,
            )
        )

    # -- server events -----------------------------------------------------------------

    def receive(self, event: ev.ServerEvent) -> Effects | None:
        """Update the state from one server event.

        Returns:
            None when the event is simply to be delivered, else what should happen.
        """
        step = _STEPS.get(type(event))
        return None if step is None else step(self, event)

    def _on_session(self, event: Any) -> Effects | None:
        self.session_info = event.session
        if type(event) is tev.SessionCreated:
            out = Effects()
            out.session_created = True
            return out
        return None

    def _on_audio(self, event: tev.OutputAudioDelta) -> Effects | None:
        self._elapsed(event.elapsed_ms)
        self.output_events += 1
        try:
            data = _b64.decode(event.delta)
        except ValueError:
            return None  # delivered as is; the handlers see the bad delta
        self._received_bytes += len(data)
        if self._limit is None or self._limit > 0:
            self._audio.append(data)
            self._audio_bytes += len(data)
        else:
            self._dropped_bytes += len(data)
        if self._limit is not None:
            while self._audio_bytes > self._limit and self._audio:
                old = self._audio.popleft()
                self._audio_bytes -= len(old)
                self._dropped_bytes += len(old)
        return None

    def _on_target(self, event: tev.OutputTranscriptDelta) -> Effects | None:
        self._elapsed(event.elapsed_ms)
        self.output_events += 1
        self._target.append(event.delta)
        return None

    def _on_source(self, event: tev.InputTranscriptDelta) -> Effects | None:
        self._elapsed(event.elapsed_ms)
        self._source.append(event.delta)
        return None

    def _on_closed(self, event: tev.SessionClosed) -> Effects | None:
        self.closed = True
        return None

    def _on_error(self, event: ev.Error) -> Effects | None:
        out = Effects()
        failed = getattr(event.error, "event_id", None)
        if isinstance(failed, str):
            out.answered.append((failed, event))  # a helper may wait for it
        else:
            # About the session or the audio stream (appends carry no id): nobody
            # waits for it, so on_error hears of it rather than nobody at all.
            message = getattr(event.error, "message", None)
            out.report.append(
                ServerError(
                    message
                    if isinstance(message, str)
                    else "the server reported an error",
                    event=event,
                )
            )
        return out

    def _elapsed(self, value: object) -> None:
        if isinstance(value, int) and value > self.elapsed_ms:
            self.elapsed_ms = value

    # -- results -------------------------------------------------------------------------

    def translation(self) -> Translation:
        """A snapshot of what the session produced so far."""
        language = self.session_info.language if self.session_info else None
        return Translation(
            audio=b"".join(self._audio),
            transcript="".join(self._target),
            source_transcript="".join(self._source),
            language=language,
            dropped_output_ms=self._dropped_bytes * 1000 // _BYTES_PER_SECOND,
            gaps=tuple(self._gaps),
            closed=self.closed,
        )

    @property
    def transcript(self) -> str:
        """The translated text so far."""
        return "".join(self._target)

    @property
    def source_transcript(self) -> str:
        """The source text so far."""
        return "".join(self._source)


_STEPS: dict[type, Callable[[TranslationCore, Any], Effects | None]] = {
    tev.SessionCreated: TranslationCore._on_session,
    tev.SessionUpdated: TranslationCore._on_session,
    tev.OutputAudioDelta: TranslationCore._on_audio,
    tev.OutputTranscriptDelta: TranslationCore._on_target,
    tev.InputTranscriptDelta: TranslationCore._on_source,
    tev.SessionClosed: TranslationCore._on_closed,
    ev.Error: TranslationCore._on_error,
}
