"""The mock's Translation API behaviour: :class:`TranslationResponder`.

What a translation server does for one session, without a socket (like the Realtime
:class:`~realtime_sync.testing.Responder`; the mock server and the in-memory
transport run it, see :mod:`realtime_sync.testing._apis`):

* ``session.created`` on connect (``type: "translation"``, the URL's model, the
  default audio settings: target ``en``, no transcription, no noise reduction);
* ``session.update`` is validated as the service describes it (only
  ``audio.output.language``, ``audio.input.transcription`` and
  ``audio.input.noise_reduction``; ``model`` and ``type`` are fixed; unknown fields
  are refused) and answered with ``session.updated`` and the merged session, or an
  ``error`` of the Realtime GA shape (``invalid_request_error`` with ``code``,
  ``param`` and the client's ``event_id``);
* ``session.input_audio_buffer.append`` takes base64 PCM16 at 24 kHz (undecodable
  base64 or an odd byte count is an ``error``), in 200 ms engine frames. The
  timeline is the input's: each frame advances ``elapsed_ms`` by 200, and output is
  released as the input timeline reaches it, so a client streaming in real time
  (silence included) hears the translation at speaking pace;
* "translation" is deterministic: an utterance (voiced frames, ended by a silent
  frame, or cut at 10 s) is transcribed as the text of its
  :func:`~realtime_sync.testing.synth_speech` marker (``[speech 1.20 s]`` without
  one), and translated as ``"[<language>] <text>"``, spoken (synthetic speech, as
  long as the text takes to say at the Realtime mock's pace) starting ``latency_ms``
  after the utterance ended: one 200 ms audio delta per input frame, the
  transcript in word-sized deltas alongside. The source transcript
  (``session.input_transcript.delta``, when transcription is on) comes at the end
  of the utterance;
* ``session.close`` flushes: the partial frame and the open utterance are
  processed, every scheduled output is sent at once, then ``session.closed``, then
  the server closes (1000). Anything after it is refused.

Faults: the server's (``fault()``, ``stall()``, ``drop_all()``, ...), and the
Realtime responder's error answers (``invalid_frame``, ``server_error``,
``session_expired``), shared with it.
"""

from __future__ import annotations

import binascii
import collections
import re
import time
from collections.abc import Sequence
from typing import Any

import numpy as np

from realtime_sync import _b64
from realtime_sync.events import UNSET, ClientEvent, ServerEvent, UnknownClientEvent
from realtime_sync.events._base import Model
from realtime_sync.reconnect import merge_session
from realtime_sync.testing._apis import CloseFrame
from realtime_sync.testing._base import _quote_list, _Rejected
from realtime_sync.testing._faults import _FaultsMixin
from realtime_sync.testing._responses import SPEECH_CHARS_PER_SECOND
from realtime_sync.testing._synth import find_marker, speech_like
from realtime_sync.translation import events as tev
from realtime_sync.translation.codec import TranslationCodec

__all__ = ["FRAME_MS", "TranslationResponder"]

#: The engine frame: input is consumed, and output released, in 200 ms steps.
FRAME_MS = 200
_RATE = 24_000
_FRAME_BYTES = _RATE * 2 * FRAME_MS // 1000
# A frame whose RMS is above this (about -40 dBFS) is voiced.
_VOICED_RMS = 330.0
_MAX_UTTERANCE_MS = 10_000
_LEAD_KEEP_MS = 3_000  # silence kept before an utterance (its marker may be there)
_LANGUAGE = re.compile(r"^[A-Za-z]{2,3}([-_][A-Za-z0-9]{2,8})*$")
_CLIENT_TYPES = tuple(tev.CLIENT_EVENTS)


class TranslationResponder(_FaultsMixin):
    """The behaviour of a mock translation server for one session (see the module).

    Args:
        model: The session's model (the server passes the URL's ``model``).
        language: The default target language.
        latency_ms: Input time between the end of an utterance and the start of
            its translated speech (a few engine frames).
        session_lifetime_s: Seconds until the session's ``expires_at``.

    Not thread-safe: the server calls it under a lock.
    """

    def __init__(
        self,
        model: str = "gpt-realtime-translate",
        *,
        language: str = "en",
        latency_ms: int = 600,
        session_lifetime_s: float = 3600,
    ) -> None:
        if latency_ms < 0:
            raise ValueError("latency_ms must not be negative")
        self._counters = {}
        self._items = []
        self._codec = TranslationCodec()
        self.latency_ms = latency_ms
        self._config: dict[str, Any] = {
            "id": "sess_0001",
            "type": "translation",
            "model": model,
            "expires_at": int(time.time() + session_lifetime_s),
            "audio": {
                "input": {"transcription": None, "noise_reduction": None},
                "output": {"language": language},
            },
        }
        self._partial = bytearray()  # less than one frame
        self._frames = 0  # frames consumed
        self._pending = bytearray()  # the open utterance, with the silence before
        self._voiced_ms = 0
        self._scheduled: collections.deque[tuple[int, list[ServerEvent]]] = (
            collections.deque()
        )
        self._speaking_until = 0  # input ms when the last scheduled speech ends
        self.closed = False
        #: Utterances heard so far, as (source text, translated text).
        self.utterances: list[tuple[str, str]] = []

    # -- what the server reads ---------------------------------------------------------

    @property
    def active_responses(self) -> Sequence[object]:
        """Nothing streams on its own: output follows the input timeline."""
        return ()

    def next_frame(self) -> None:
        """Nothing streams on its own (see :attr:`active_responses`)."""
        return None

    def output_ms(self, delta: str) -> float:
        """Milliseconds of audio in a base64 output delta."""
        return _b64.decoded_size(delta) / (2 * _RATE / 1000)

    @property
    def session(self) -> tev.TranslationSession:
        """The session as ``session.updated`` would describe it now."""
        hook = self._codec._tables.server[tev.SessionCreated.TYPE]
        event = hook({"type": "session.created", "session": self._config}, None)
        return event.session  # type: ignore[no-any-return]

    @property
    def elapsed_ms(self) -> int:
        """Input time consumed so far (whole frames)."""
        return self._frames * FRAME_MS

    def start(self) -> list[ServerEvent]:
        """``session.created``."""
        return [
            tev.SessionCreated(event_id=self._next_id("event"), session=self.session)
        ]

    # -- client events -----------------------------------------------------------------

    def handle(self, event: ClientEvent) -> list[Any]:
        """The frames that answer one client event."""
        if self.closed:
            return [
                self._error(
                    event,
                    "The session is closed: session.close was received.",
                    "session_closed",
                )
            ]
        try:
            if isinstance(event, tev.SessionUpdate):
                return self._update(event)
            if isinstance(event, tev.InputAudioBufferAppend):
                return self._append_audio(event)
            if isinstance(event, tev.SessionClose):
                return self._close()
            if isinstance(event, UnknownClientEvent):
                raise _Rejected(
                    f"Invalid value: '{event.type}'. Supported values are: "
                    f"{_quote_list(_CLIENT_TYPES)}.",
                    "invalid_value",
                    "type",
                )
            raise _Rejected(
                f"Invalid value: '{event.type}'. Supported values are: "
                f"{_quote_list(_CLIENT_TYPES)}.",
                "invalid_value",
                "type",
            )
        except _Rejected as exc:
            return [self._error(event, str(exc), exc.code, exc.param)]

    def _update(self, event: tev.SessionUpdate) -> list[ServerEvent]:
        request = event.session
        if not isinstance(request, tev.TranslationSessionRequest):
            raise _Rejected(
                "Missing required parameter: 'session'.",
                "missing_required_parameter",
                "session",
            )
        _check_known(request, "session", fixed=("model", "type", "id", "expires_at"))
        update = self._codec.to_dict(request)
        audio = request.audio
        if isinstance(audio, tev.TranslationAudio):
            _check_known(audio, "session.audio")
            if isinstance(audio.output, tev.TranslationAudioOutput):
                _check_known(audio.output, "session.audio.output")
                _check_language(audio.output.language)
            if isinstance(audio.input, tev.TranslationAudioInput):
                self._check_input(audio.input, update)
        self._config = merge_session(self._config, update)
        return [
            tev.SessionUpdated(event_id=self._next_id("event"), session=self.session)
        ]

    def _check_input(
        self, inp: tev.TranslationAudioInput, update: dict[str, Any]
    ) -> None:
        path = "session.audio.input"
        _check_known(inp, path)
        tr = inp.transcription
        if isinstance(tr, tev.TranslationTranscription):
            _check_known(tr, f"{path}.transcription")
            if not isinstance(tr.model, str) or not tr.model:
                raise _Rejected(
                    f"Missing required parameter: '{path}.transcription.model'.",
                    "missing_required_parameter",
                    f"{path}.transcription.model",
                )
        nr = inp.noise_reduction
        if isinstance(nr, tev.TranslationNoiseReduction):
            _check_known(nr, f"{path}.noise_reduction")
            if nr.type not in ("near_field", "far_field"):
                raise _Rejected(
                    f"Invalid value: '{nr.type if nr.type is not UNSET else ''}'. "
                    "Supported values are: 'near_field' and 'far_field'.",
                    "invalid_value",
                    f"{path}.noise_reduction.type",
                )
            strength = nr.strength
            if isinstance(strength, (int, float)) and not 0 <= strength <= 1:
                above = strength > 1
                raise _Rejected(
                    f"Invalid '{path}.noise_reduction.strength': decimal "
                    f"{'above maximum' if above else 'below minimum'} value. Expected "
                    f"a value {'<= 1' if above else '>= 0'}, but got {strength} "
                    "instead.",
                    "decimal_above_max_value" if above else "decimal_below_min_value",
                    f"{path}.noise_reduction.strength",
                )
            current = self._config["audio"]["input"].get("noise_reduction")
            body = update["audio"]["input"]["noise_reduction"]
            if strength is UNSET:
                # 1 when first enabled; an update that omits it keeps the current.
                kept = current.get("strength") if isinstance(current, dict) else None
                body["strength"] = 1.0 if kept is None else kept

    def _append_audio(self, event: tev.InputAudioBufferAppend) -> list[ServerEvent]:
        try:
            data = _b64.decode(event.audio)
        except (binascii.Error, ValueError):
            raise _Rejected(
                "Invalid 'audio'. Expected base64-encoded audio bytes.",
                "invalid_value",
                "audio",
            ) from None
        if len(data) % 2:
            raise _Rejected(
                "Invalid 'audio': expected 24 kHz PCM16 mono little-endian audio in "
                f"whole 2-byte samples, got {len(data)} bytes.",
                "invalid_value",
                "audio",
            )
        self._partial += data
        out: list[ServerEvent] = []
        while len(self._partial) >= _FRAME_BYTES:
            frame = bytes(self._partial[:_FRAME_BYTES])
            del self._partial[:_FRAME_BYTES]
            self._frame(frame, out)
        return out

    def _close(self) -> list[Any]:
        out: list[ServerEvent] = []
        if self._partial:
            frame = bytes(self._partial) + bytes(_FRAME_BYTES - len(self._partial))
            self._partial.clear()
            self._frame(frame, out)
        self._end_utterance(out)
        while self._scheduled:
            out.extend(self._scheduled.popleft()[1])
        self.closed = True
        out.append(tev.SessionClosed(event_id=self._next_id("event")))
        return [*out, CloseFrame(code=1000)]

    # -- the engine --------------------------------------------------------------------

    def _frame(self, frame: bytes, out: list[ServerEvent]) -> None:
        """Consume one 200 ms frame; release the output due by its end."""
        self._frames += 1
        samples = np.frombuffer(frame, dtype="<i2").astype(np.float64)
        voiced = float(np.sqrt(np.mean(samples * samples))) > _VOICED_RMS
        self._pending += frame
        if voiced:
            self._voiced_ms += FRAME_MS
            if self._voiced_ms >= _MAX_UTTERANCE_MS:
                self._end_utterance(out)
        elif self._voiced_ms:
            self._end_utterance(out)
        else:
            keep = _LEAD_KEEP_MS * _FRAME_BYTES // FRAME_MS
            if len(self._pending) > keep:
                del self._pending[: len(self._pending) - keep]
        now = self.elapsed_ms
        while self._scheduled and self._scheduled[0][0] <= now:
            out.extend(self._scheduled.popleft()[1])

    def _end_utterance(self, out: list[ServerEvent]) -> None:
        if not self._voiced_ms:
            return
        source = find_marker(bytes(self._pending), "audio/pcm")
        if source is None:
            source = f"[speech {self._voiced_ms / 1000:.2f} s]"
        self._pending.clear()
        self._voiced_ms = 0
        language = self._config["audio"]["output"].get("language") or "en"
        target = f"[{language}] {source}"
        self.utterances.append((source, target))
        if len(self.utterances) > 1:  # fragments join as received: space them
            source, target = " " + source, " " + target
        now = self.elapsed_ms
        if self._config["audio"]["input"].get("transcription"):
            for word in _words(source):
                out.append(
                    tev.InputTranscriptDelta(
                        event_id=self._next_id("event"), delta=word, elapsed_ms=now
                    )
                )
        self._schedule(target, max(now + self.latency_ms, self._speaking_until))

    def _schedule(self, text: str, start_ms: int) -> None:
        speech_ms = max(400, int(len(text) / SPEECH_CHARS_PER_SECOND * 1000))
        frames = -(-speech_ms // FRAME_MS)
        audio = speech_like(frames * FRAME_MS, _RATE).tobytes()
        words = _words(text)
        per = -(-len(words) // frames)
        for i in range(frames):
            due = start_ms + i * FRAME_MS
            events: list[ServerEvent] = []
            part = "".join(words[i * per : (i + 1) * per])
            if part:
                events.append(
                    tev.OutputTranscriptDelta(
                        event_id=self._next_id("event"), delta=part, elapsed_ms=due
                    )
                )
            chunk = audio[i * _FRAME_BYTES : (i + 1) * _FRAME_BYTES]
            events.append(
                tev.OutputAudioDelta(
                    event_id=self._next_id("event"),
                    delta=_b64.encode(chunk),
                    channels=1,
                    sample_rate=_RATE,
                    format="pcm16",
                    elapsed_ms=due,
                )
            )
            self._scheduled.append((due, events))
        self._speaking_until = start_ms + frames * FRAME_MS


def _words(text: str) -> list[str]:
    """``"a b c"`` -> ``["a ", "b ", "c"]``: deltas that join back to the text."""
    return re.findall(r"\S+\s*|\s+", text)


def _check_known(model: Model, path: str, fixed: tuple[str, ...] = ()) -> None:
    """Refuse a field the translation session does not have (unknown parameter)."""
    for key in model.extra:
        if key in fixed:
            raise _Rejected(
                f"The session '{key}' is set when the session is created and cannot "
                "be changed with session.update.",
                "unknown_parameter",
                f"{path}.{key}",
            )
        raise _Rejected(
            f"Unknown parameter: '{path}.{key}'.", "unknown_parameter", f"{path}.{key}"
        )


def _check_language(language: object) -> None:
    if language is UNSET or language is None:
        return
    if not isinstance(language, str) or not _LANGUAGE.match(language):
        raise _Rejected(
            f"Invalid value: '{language}'. Expected a language code such as 'fr', "
            "'es' or 'pt-BR'.",
            "invalid_value",
            "session.audio.output.language",
        )
