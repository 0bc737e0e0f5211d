"""Input audio: the buffer, turn detection (the VAD glue, §9.3), input transcription.

Time is milliseconds of audio appended since the session started, never the wall
clock; the detector itself is :mod:`realtime_sync.testing._vad`.
"""

from __future__ import annotations

import binascii
import math
from typing import cast

import attrs

from realtime_sync import _b64
from realtime_sync.events import (
    AudioPCMA,
    AudioPCMU,
    ConversationItemInputAudioTranscriptionCompleted,
    ConversationItemInputAudioTranscriptionDelta,
    InputAudio,
    InputAudioBufferAppend,
    InputAudioBufferClear,
    InputAudioBufferCleared,
    InputAudioBufferCommit,
    InputAudioBufferCommitted,
    InputAudioBufferSpeechStarted,
    InputAudioBufferSpeechStopped,
    InputAudioBufferTimeoutTriggered,
    ResponseCreate,
    ServerEvent,
    TranscriptionConfig,
    TranscriptionTokenDetails,
    TranscriptionUsageTokens,
    UserMessage,
)
from realtime_sync.testing import _synth, _vad  # numpy (and realtime_sync.audio) only
from realtime_sync.testing._base import (
    _bytes_per_ms,
    _chunks,
    _decode_b64,
    _Rejected,
    _ResponderBase,
    _text_tokens,
    _window_samples,
)

_MIN_COMMIT_MS = 100  # §10: "minimum audio for a commit: 100 ms"


class _InputAudioMixin(_ResponderBase):
    """The input audio buffer, turn detection (VAD) and input transcription."""

    def _turn_settings(self) -> _vad.TurnSettings | None:
        audio_input = self._audio_input()
        if audio_input is None:
            return None
        return _vad.turn_settings(audio_input.turn_detection)

    def _audio_append(self, event: InputAudioBufferAppend) -> list[ServerEvent]:
        try:
            self._audio_buffer += _decode_b64(event.audio)
        except (binascii.Error, ValueError):
            raise _Rejected(
                "Invalid 'audio': expected base64-encoded audio bytes.",
                "invalid_value",
                "audio",
            ) from None
        return self._listen()

    def _audio_commit(self, event: InputAudioBufferCommit) -> list[ServerEvent]:
        ms = len(self._audio_buffer) / _bytes_per_ms(self._input_format())
        if ms < _MIN_COMMIT_MS:
            raise _Rejected(
                "Error committing input audio buffer: buffer too small. Expected at "
                f"least {_MIN_COMMIT_MS}ms of audio, but buffer only has {ms:.2f}ms of "
                "audio.",
                "input_audio_buffer_commit_empty",
            )
        # A manual commit ends the turn in progress, with the item id that
        # speech_started announced.
        item_id = self._speech_item or self._next_id("item")
        self._speech_item = None
        self._silence_ms = 0
        data = self._take_buffer(len(self._audio_buffer))
        events = self._commit_events(item_id, data)
        return events + self._transcription_events(item_id, data)

    def _audio_clear(self, event: InputAudioBufferClear) -> list[ServerEvent]:
        self._take_buffer(len(self._audio_buffer))
        self._speech_item = None
        self._silence_ms = 0
        return [InputAudioBufferCleared(event_id=self._next_id("event"))]

    # -- turn detection (§9.3) ---------------------------------------------------------

    def _take_buffer(self, size: int) -> bytes:
        """Remove the first ``size`` bytes of the input buffer (committed or cleared)."""
        data = bytes(self._audio_buffer[:size])
        del self._audio_buffer[:size]
        self._origin_ms += size / _bytes_per_ms(self._input_format())
        self._scanned = max(0, self._scanned - size)
        self._idle_anchor_ms = max(self._idle_anchor_ms, self._origin_ms)
        return data

    def _listen(self) -> list[ServerEvent]:
        """Run the detector over the audio appended since it last listened."""
        settings = self._turn_settings()
        if settings is None:
            self._scanned = len(self._audio_buffer)  # manual turns: nothing to hear
            return []
        fmt = self._input_format()
        bpm = _bytes_per_ms(fmt)
        window = int(bpm * _vad.WINDOW_MS)
        unheard = len(self._audio_buffer) - self._scanned
        whole = unheard - unheard % window
        if whole <= 0:
            return []
        data = bytes(self._audio_buffer[self._scanned : self._scanned + whole])
        samples = _vad.decode_input(data, fmt)
        flags = _vad.voiced_windows(samples, _window_samples(fmt), settings.level_dbfs)
        events: list[ServerEvent] = []
        for voiced in flags:
            self._scanned += window
            end_ms = self._origin_ms + self._scanned / bpm
            if self._speech_item is None:
                if voiced:
                    events += self._speech_started(end_ms - _vad.WINDOW_MS, settings)
                elif self._idle_due(end_ms, settings):
                    events += self._idle_timeout(end_ms, settings)
            elif voiced:
                self._silence_ms = 0
            else:
                self._silence_ms += _vad.WINDOW_MS
                if self._silence_ms >= settings.silence_ms:
                    events += self._speech_stopped(end_ms, settings)
        return events

    def _speech_started(
        self, start_ms: float, settings: _vad.TurnSettings
    ) -> list[ServerEvent]:
        item_id = self._next_id("item")
        self._speech_item = item_id
        self._silence_ms = 0
        # §2: audio_start_ms already includes prefix_padding_ms.
        events: list[ServerEvent] = [
            InputAudioBufferSpeechStarted(
                event_id=self._next_id("event"),
                audio_start_ms=max(0, round(start_ms - settings.prefix_padding_ms)),
                item_id=item_id,
            )
        ]
        if settings.interrupt_response and self._transcription is None:
            # §9.5: speech cancels the default conversation's running response.
            stream = self._default_stream()
            if stream is not None:
                self._streams.remove(stream)
                events += stream.cancel("turn_detected")
        return events

    def _speech_stopped(
        self, end_ms: float, settings: _vad.TurnSettings
    ) -> list[ServerEvent]:
        item_id = cast(str, self._speech_item)
        self._speech_item = None
        self._silence_ms = 0
        # §2: audio_end_ms includes the trailing silence.
        stopped = InputAudioBufferSpeechStopped(
            event_id=self._next_id("event"), audio_end_ms=round(end_ms), item_id=item_id
        )
        return [stopped, *self._end_turn(item_id, settings.create_response)]

    def _idle_due(self, end_ms: float, settings: _vad.TurnSettings) -> bool:
        timeout = settings.idle_timeout_ms
        if timeout is None or self._default_stream() is not None:
            return False
        return end_ms - self._idle_anchor_ms >= timeout

    def _idle_timeout(
        self, end_ms: float, settings: _vad.TurnSettings
    ) -> list[ServerEvent]:
        item_id = self._next_id("item")
        triggered = InputAudioBufferTimeoutTriggered(
            event_id=self._next_id("event"),
            audio_start_ms=round(self._idle_anchor_ms),
            audio_end_ms=round(end_ms),
            item_id=item_id,
        )
        # §9.3: the server commits the silence and responds.
        return [triggered, *self._end_turn(item_id, settings.create_response)]

    def _end_turn(self, item_id: str, respond: bool) -> list[ServerEvent]:
        """Commit the audio heard so far; respond; then the (late) transcript."""
        data = self._take_buffer(self._scanned)
        events = self._commit_events(item_id, data)
        if respond and self._transcription is None and self._default_stream() is None:
            events += self._response_create(ResponseCreate())
        return events + self._transcription_events(item_id, data)

    def _commit_events(self, item_id: str, data: bytes) -> list[ServerEvent]:
        """``committed``, then (realtime sessions) the user item added and done."""
        if self._transcription is not None:
            # Transcription sessions have no conversation, only the buffer (§9.7).
            previous, self._last_committed = self._last_committed, item_id
            return [
                InputAudioBufferCommitted(
                    event_id=self._next_id("event"),
                    item_id=item_id,
                    previous_item_id=previous,
                )
            ]
        item = UserMessage(
            id=item_id,
            object="realtime.item",
            status="completed",
            content=[InputAudio(audio=_b64.encode(data), transcript=None)],
        )
        previous = self._append(item)
        committed = InputAudioBufferCommitted(
            event_id=self._next_id("event"),
            item_id=item_id,
            previous_item_id=previous,
        )
        return [committed, *self._item_added_done(item, previous)]

    # -- input transcription (§9.3 step 6) ---------------------------------------------

    def _transcription_events(self, item_id: str, data: bytes) -> list[ServerEvent]:
        audio_input = self._audio_input()
        if audio_input is None or not isinstance(
            audio_input.transcription, TranscriptionConfig
        ):
            return []
        text = self._transcript(data)
        events: list[ServerEvent] = [
            ConversationItemInputAudioTranscriptionDelta(
                event_id=self._next_id("event"),
                item_id=item_id,
                content_index=0,
                delta=chunk,
            )
            for chunk in _chunks(text, self.text_delta_chars)
        ]
        ms = len(data) / _bytes_per_ms(self._input_format())
        audio_tokens = math.ceil(ms / 100)  # about 10 tokens a second
        text_tokens = _text_tokens(text)
        events.append(
            ConversationItemInputAudioTranscriptionCompleted(
                event_id=self._next_id("event"),
                item_id=item_id,
                content_index=0,
                transcript=text,
                usage=TranscriptionUsageTokens(
                    type="tokens",
                    input_tokens=audio_tokens,
                    output_tokens=text_tokens,
                    total_tokens=audio_tokens + text_tokens,
                    input_token_details=TranscriptionTokenDetails(
                        text_tokens=0, audio_tokens=audio_tokens
                    ),
                ),
            )
        )
        index = self._index(item_id)
        item = self._items[index] if index is not None else None
        if isinstance(item, UserMessage):  # a later retrieve shows the transcript
            content = [
                attrs.evolve(p, transcript=text) if isinstance(p, InputAudio) else p
                for p in item.content
            ]
            self._items[cast(int, index)] = attrs.evolve(item, content=content)
        return events

    def _marker_format(self) -> str:
        fmt = self._input_format()
        if isinstance(fmt, AudioPCMU):
            return "audio/pcmu"
        if isinstance(fmt, AudioPCMA):
            return "audio/pcma"
        return "audio/pcm"

    def _transcript(self, data: bytes) -> str:
        """The mock transcription of committed audio (see the class docstring)."""
        marked = _synth.find_marker(data, self._marker_format())
        if marked is not None:
            return marked
        fmt = self._input_format()
        settings = self._turn_settings()
        level = settings.level_dbfs if settings else _vad.threshold_dbfs(0.5)
        samples = _vad.decode_input(data, fmt)
        if not any(_vad.voiced_windows(samples, _window_samples(fmt), level)):
            return ""
        return f"[speech {len(data) / _bytes_per_ms(fmt) / 1000:.2f} s]"
