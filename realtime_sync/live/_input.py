"""The Live client's input: ``append_audio`` into the continuous input pump.

:class:`LiveInputAPI` is a mixin of :class:`~realtime_sync.live.LiveClient`. The
Live timeline advances only while input audio flows, so by default an
:class:`~realtime_sync.client._pump.InputPump` (``realtime-sync-pump``) sends the
appended audio, and silence between it, at real-time pace. ``append_audio``
converts what it gets to PCM16 at the session's rate (:mod:`._audio`) and queues
it in the pump; the pump's ``send`` encodes each chunk (G.711 when the session
uses it) into ``session.input_audio.append``.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from realtime_sync import _b64
from realtime_sync._input_audio import InputConverter
from realtime_sync.client._pump import InputPump, pump_error, send_catching_up
from realtime_sync.client._threaded import ClientState, ThreadedClient
from realtime_sync.exceptions import ConnectionClosed
from realtime_sync.live import events as lev
from realtime_sync.live._audio import encode
from realtime_sync.live._core import LiveCore

__all__ = ["LiveInputAPI"]

logger = logging.getLogger("realtime_sync.live")


class LiveInputAPI(ThreadedClient):
    """The input audio of :class:`~realtime_sync.live.LiveClient`."""

    _core: LiveCore
    _pump: InputPump | None
    _converter: InputConverter
    _input_lock: threading.Lock
    _answer_mark: int

    def append_audio(
        self,
        audio: bytes | Any,
        *,
        sample_rate: int | None = None,
        channels: int | None = None,
    ) -> None:
        """Queue input audio: the pump sends it in place of silence.

        Bytes with no ``sample_rate`` and ``channels`` must be PCM16 mono at the
        session's rate; bytes with another rate or channel count are read as
        PCM16 at that rate (a WAV file's frames). An array (int16, float32 or
        float64) of any rate is downmixed and resampled, with state kept across
        calls. G.711 sessions get their codes from the pump. May be called
        before ``connect()`` (sent once the session started).

        Raises:
            TypeError: Not bytes and not a numeric array.
            ValueError: Odd-length bytes, a bad shape, rate or channel count,
                float samples that are NaN or far beyond [-1, 1].
            ConnectionClosed: The client is closed.
        """
        with self._input_lock:
            data = self._converter.convert(audio, sample_rate, channels)
            self._answer_mark = self._core.assistant_deltas
            self._raise_if_closed()
            if self._state in (ClientState.CLOSING, ClientState.CLOSED):
                raise ConnectionClosed("the client is closed")
            if not data:
                return
            if self._pump is not None:
                self._pump.feed(data)
                return
            self._send_audio(data)

    def wait_input_sent(self, timeout: float | None = None) -> bool:
        """Block until the pump sent every appended sample; False on timeout."""
        if self._pump is None:
            return True
        return self._pump.wait_drained(timeout)

    def _send_audio(self, pcm16: bytes) -> None:
        payload = _b64.encode(encode(pcm16, self._core.input_format()))
        self._send_event(
            _any(lev.SessionInputAudioAppend(event_id=self._new_id(), audio=payload))
        )

    def _pump_send(self, chunk: bytes) -> None:
        """The pump's send (its thread, no lock held): one append event."""
        send_catching_up(self, lambda: self._send_audio(chunk))

    def _pump_failed(self, exc: BaseException) -> None:
        if self._state in (ClientState.CLOSING, ClientState.CLOSED):
            return
        if (
            self._closed_exc is not None
            or self._core.closed_event is not None
            or isinstance(exc, ConnectionClosed)
        ):
            # The connection ended: on_error hears of it from the client itself
            # (the pump may see it a moment before the client does).
            logger.info("the input pump stopped: %s", exc)
            return
        error = pump_error(exc)
        logger.error("%s", error)
        self._dispatch.report(error)


def _any(event: Any) -> Any:
    """A Live event where the shared machinery's signatures say ``ClientEvent``."""
    return event
