"""The continuous input pump: an audio track that keeps flowing at real-time pace.

The Live and Translation services advance their timelines only with input audio:
a session whose client stops sending audio stands still. :class:`InputPump` keeps
the track flowing from its own thread: every tick it sends the user's audio when
some is queued (:meth:`InputPump.feed`) and silence otherwise.

The pump is protocol-agnostic: ``send(chunk)`` receives raw PCM16 bytes and is the
caller's code that wraps them in the protocol's append event.

Theory of operation:

- One thread, ``realtime-sync-pump`` by default, started by :meth:`InputPump.start`.
  It is a daemon thread only as a safety net (a forgotten client must not keep the
  interpreter alive); :meth:`InputPump.stop` joins it.
- ``_cond`` (one lock) guards the queue of fed audio, the state flags and the
  counters. ``send`` runs with no lock held, so a slow ``send`` never blocks
  :meth:`InputPump.feed`.
- Pacing is on the monotonic clock and follows the duration actually sent: a
  chunk of *d* ms moves the next deadline *d* / ``pace`` ms later. A user chunk is
  at most ``chunk_ms`` long; shorter when less is queued (the track never gets
  silence padded into the middle of the user's audio). A tick with nothing queued
  sends ``chunk_ms`` of silence. After a late wake-up (a busy machine, a slow
  ``send``) the pump catches up by at most :data:`MAX_CATCH_UP_CHUNKS` chunks; the
  rest of the delay is forgiven, never sent as an unbounded burst.
- :meth:`InputPump.pause` sends nothing at all until :meth:`InputPump.resume`,
  which restarts the clock (the pause is not made up for).
- An exception from ``send`` stops the pump: the chunk that failed goes back to the
  front of the queue, the exception goes to ``on_error`` (or the log), and
  :meth:`InputPump.stop` reports the audio that was never sent.
- A client gives its pump :func:`weak_pump_callbacks`: the pump thread then holds
  the client only weakly, as the transport's threads do, so a client dropped
  without ``close()`` is reclaimed; the pump's next send fails and it stops.
"""

from __future__ import annotations

import collections
import logging
import threading
import time
import weakref
from collections.abc import Callable
from typing import TYPE_CHECKING

from realtime_sync.exceptions import ConnectionClosed, QueueFull, RealtimeError

__all__ = [
    "MAX_CATCH_UP_CHUNKS",
    "InputPump",
    "pump_error",
    "send_catching_up",
    "weak_pump_callbacks",
]

if TYPE_CHECKING:
    from realtime_sync.client._threaded import ThreadedClient

logger = logging.getLogger(__name__)

#: After a late wake-up the pump sends at most this many chunks back to back.
MAX_CATCH_UP_CHUNKS = 3

_BYTES_PER_SAMPLE = 2  # PCM16 mono


class InputPump:
    """Keeps an input audio track flowing at real-time pace.

    The user's audio when some is queued, silence otherwise: the Live and
    Translation timelines advance only with audio.

    Args:
        send: Called on the pump thread with each chunk (PCM16 mono bytes at
            ``sample_rate``), with no SDK lock held; it encodes and sends the
            protocol's append event. If it raises, the pump stops (see
            ``on_error``).
        sample_rate: Sample rate of the audio given to :meth:`feed`, in Hz.
        chunk_ms: Duration of one chunk in milliseconds (silence chunks are
            exactly this long, user chunks at most this long).
        pace: Speed relative to real time. ``1.0`` for the real services;
            above 1 sends faster, for local mock servers whose timeline follows
            the audio received (tests, demos).
        name: Name of the pump thread.
        on_error: Called on the pump thread with the exception ``send`` raised,
            after which the pump has stopped. ``None`` logs the exception.

    Raises:
        TypeError: ``send`` or ``on_error`` is not callable.
        ValueError: a non-positive ``sample_rate``, ``chunk_ms`` or ``pace``, or
            a chunk shorter than one sample.
    """

    def __init__(
        self,
        send: Callable[[bytes], None],
        *,
        sample_rate: int = 24_000,
        chunk_ms: int = 20,
        pace: float = 1.0,
        name: str = "realtime-sync-pump",
        on_error: Callable[[BaseException], None] | None = None,
    ) -> None:
        if not callable(send):
            raise TypeError(f"send must be callable, got {type(send).__name__}")
        if on_error is not None and not callable(on_error):
            raise TypeError(
                f"on_error must be callable or None, got {type(on_error).__name__}"
            )
        for label, value in (("sample_rate", sample_rate), ("chunk_ms", chunk_ms)):
            if isinstance(value, bool) or not isinstance(value, int):
                raise TypeError(f"{label} must be an int, got {type(value).__name__}")
            if value <= 0:
                raise ValueError(f"{label} must be positive, got {value}")
        if isinstance(pace, bool) or not isinstance(pace, (int, float)):
            raise TypeError(f"pace must be a number, got {type(pace).__name__}")
        if not pace > 0 or pace == float("inf"):
            raise ValueError(f"pace must be a positive finite number, got {pace}")
        if not isinstance(name, str) or not name:
            raise ValueError("name must be a non-empty string")
        samples = sample_rate * chunk_ms // 1000
        if samples < 1:
            raise ValueError(
                f"chunk_ms={chunk_ms} at {sample_rate} Hz is shorter than one sample"
            )
        self._send = send
        self._on_error = on_error
        self._sample_rate = sample_rate
        self._chunk_ms = chunk_ms
        self._pace = float(pace)
        self._name = name
        self._chunk_bytes = samples * _BYTES_PER_SAMPLE
        self._silence = bytes(self._chunk_bytes)
        self._cond = threading.Condition()
        self._queue: collections.deque[bytes] = collections.deque()
        self._queued = 0  # bytes in _queue
        self._inflight = 0  # user bytes handed to send, not yet returned
        self._sent_audio = 0  # user bytes sent
        self._sent_silence = 0  # silence bytes sent
        self._paused = False
        self._stopping = False
        self._thread: threading.Thread | None = None
        self._error: BaseException | None = None

    def __repr__(self) -> str:
        state = (
            "stopped"
            if self._stopping
            else "paused"
            if self._paused
            else ("running" if self._thread is not None else "new")
        )
        return (
            f"<InputPump {self._name!r} {state} {self._sample_rate} Hz "
            f"chunk={self._chunk_ms} ms pending={self.pending_ms:.0f} ms>"
        )

    # -- properties ------------------------------------------------------

    @property
    def sample_rate(self) -> int:
        """Sample rate of the track, in Hz."""
        return self._sample_rate

    @property
    def chunk_ms(self) -> int:
        """Duration of one chunk, in milliseconds."""
        return self._chunk_ms

    @property
    def pending_ms(self) -> float:
        """Milliseconds of fed audio queued (or being sent), not yet sent."""
        with self._cond:
            return self._ms(self._queued + self._inflight)

    @property
    def sent_ms(self) -> float:
        """Milliseconds of track sent so far, user audio and silence together.

        This is how far the pump has advanced the service's input timeline.
        """
        with self._cond:
            return self._ms(self._sent_audio + self._sent_silence)

    @property
    def sent_audio_ms(self) -> float:
        """Milliseconds of fed (user) audio sent so far."""
        with self._cond:
            return self._ms(self._sent_audio)

    @property
    def running(self) -> bool:
        """Whether the pump thread was started and has not stopped."""
        with self._cond:
            return self._thread is not None and not self._stopping

    @property
    def paused(self) -> bool:
        """Whether :meth:`pause` is in effect."""
        with self._cond:
            return self._paused

    @property
    def error(self) -> BaseException | None:
        """The exception from ``send`` that stopped the pump, if any."""
        with self._cond:
            return self._error

    # -- control ---------------------------------------------------------

    def start(self) -> None:
        """Start the pump thread.

        Raises:
            RuntimeError: The pump was already started, or was stopped.
        """
        with self._cond:
            if self._stopping:
                raise RuntimeError("Cannot restart an input pump once it has stopped.")
            if self._thread is not None:
                raise RuntimeError("The input pump is already started.")
            self._thread = threading.Thread(
                target=self._run, name=self._name, daemon=True
            )
            self._thread.start()

    def feed(self, pcm16: bytes | bytearray | memoryview) -> None:
        """Queue user audio: sent in ``chunk_ms`` pieces in place of silence.

        May be called from any thread, before or after :meth:`start`.

        Args:
            pcm16: Mono PCM16 little-endian audio at ``sample_rate``, any length
                (a whole number of samples).

        Raises:
            TypeError: ``pcm16`` is not bytes-like.
            ValueError: an odd number of bytes (not whole 16-bit samples).
            RuntimeError: The pump has stopped.
        """
        if not isinstance(pcm16, (bytes, bytearray, memoryview)):
            raise TypeError(
                f"pcm16 must be bytes, bytearray or memoryview, got {type(pcm16).__name__}"
            )
        data = bytes(pcm16)
        if len(data) % _BYTES_PER_SAMPLE:
            raise ValueError(
                f"pcm16 must hold whole 16-bit samples, got {len(data)} bytes"
            )
        with self._cond:
            if self._stopping:
                raise RuntimeError("The input pump has stopped; audio cannot be fed.")
            if data:
                self._queue.append(data)
                self._queued += len(data)

    def wait_drained(self, timeout: float | None = None) -> bool:
        """Block until all fed audio was sent.

        Args:
            timeout: Seconds to wait at most; ``None`` waits without limit.

        Returns:
            ``True`` once nothing fed is waiting or being sent; ``False`` on
            timeout, or at once when the pump stopped with audio unsent.
        """
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._cond:
            while self._queued or self._inflight:
                if self._stopping:
                    return False
                remaining = None if deadline is None else deadline - time.monotonic()
                if remaining is not None and remaining <= 0:
                    return False
                self._cond.wait(remaining)
            return True

    def pause(self) -> None:
        """Send nothing (neither audio nor silence) until :meth:`resume`."""
        with self._cond:
            self._paused = True
            self._cond.notify_all()

    def resume(self) -> None:
        """Resume sending after :meth:`pause`; the paused time is not made up for."""
        with self._cond:
            self._paused = False
            self._cond.notify_all()

    def clear(self) -> bytes:
        """Drop the queued audio that was not sent yet, and return it."""
        with self._cond:
            unsent = b"".join(self._queue)
            self._queue.clear()
            self._queued = 0
            self._cond.notify_all()
            return unsent

    def keep_newest(self, max_ms: float) -> int:
        """Drop the oldest queued audio beyond the newest ``max_ms``; the ms dropped.

        For a reconnection: audio fed during an outage waits in the paused pump,
        and a new session should not hear a long backlog late (as
        ``ReconnectPolicy.audio_buffer_seconds`` says).
        """
        keep = max(0, int(max_ms * self._sample_rate / 1000)) * _BYTES_PER_SAMPLE
        with self._cond:
            excess = self._queued - keep
            if excess <= 0:
                return 0
            unsent = b"".join(self._queue)[excess:]
            self._queue.clear()
            if unsent:
                self._queue.append(unsent)
            self._queued = len(unsent)
            self._cond.notify_all()
        return int(self._ms(excess))

    def stop(self, timeout: float = 5.0) -> bytes:
        """Stop the pump and join its thread. Idempotent.

        Args:
            timeout: Seconds to wait for the thread (it finishes the ``send``
                in progress, if any).

        Returns:
            The fed audio that was never sent (``b""`` when all went out); it
            is also logged as a warning, so it is never dropped silently.
        """
        with self._cond:
            self._stopping = True
            self._cond.notify_all()
            thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout)
            if thread.is_alive():
                logger.warning(
                    "thread %s did not stop within %.1f s", thread.name, timeout
                )
        with self._cond:
            unsent = b"".join(self._queue)
            self._queue.clear()
            self._queued = 0
            self._cond.notify_all()
        if unsent:
            logger.warning(
                "input pump %s stopped with %.0f ms of fed audio unsent",
                self._name,
                self._ms(len(unsent)),
            )
        return unsent

    # -- the pump thread -------------------------------------------------

    def _ms(self, nbytes: int) -> float:
        return nbytes * 1000.0 / (self._sample_rate * _BYTES_PER_SAMPLE)

    def _take(self) -> bytes | None:
        """Up to one chunk of user audio from the queue (caller holds _cond)."""
        if not self._queued:
            return None
        head = self._queue.popleft()
        if len(head) > self._chunk_bytes:
            self._queue.appendleft(head[self._chunk_bytes :])
            head = head[: self._chunk_bytes]
        else:
            # Join following pieces so a chunk is a full chunk when enough is queued.
            parts = [head]
            size = len(head)
            while self._queue and size < self._chunk_bytes:
                nxt = self._queue.popleft()
                room = self._chunk_bytes - size
                if len(nxt) > room:
                    self._queue.appendleft(nxt[room:])
                    nxt = nxt[:room]
                parts.append(nxt)
                size += len(nxt)
            head = b"".join(parts) if len(parts) > 1 else head
        self._queued -= len(head)
        return head

    def _run(self) -> None:
        period = self._chunk_ms / 1000.0 / self._pace
        max_lag = MAX_CATCH_UP_CHUNKS * period
        deadline = time.monotonic()
        was_paused = False
        while True:
            with self._cond:
                while self._paused and not self._stopping:
                    was_paused = True
                    self._cond.wait()
                if self._stopping:
                    return
                now = time.monotonic()
                if was_paused:
                    deadline = now
                    was_paused = False
                if now < deadline:
                    self._cond.wait(deadline - now)
                    continue  # re-check pause/stop, then the clock
                if now - deadline > max_lag:
                    deadline = now - max_lag  # forgive the rest of the delay
                user = self._take()
                chunk = self._silence if user is None else user
                if user is not None:
                    self._inflight = len(user)
            try:
                self._send(chunk)
            except BaseException as exc:
                self._failed(exc, user)
                return
            with self._cond:
                if user is None:
                    self._sent_silence += len(chunk)
                else:
                    self._sent_audio += len(user)
                    self._inflight = 0
                self._cond.notify_all()
            deadline += (
                len(chunk) / (self._sample_rate * _BYTES_PER_SAMPLE) / self._pace
            )

    def _failed(self, exc: BaseException, user: bytes | None) -> None:
        with self._cond:
            if user is not None:
                # The failed chunk was not sent: it goes back so stop() reports it.
                self._queue.appendleft(user)
                self._queued += len(user)
                self._inflight = 0
            self._error = exc
            self._stopping = True
            self._cond.notify_all()
        if self._on_error is None:
            logger.error("input pump %s stopped: send failed", self._name, exc_info=exc)
            return
        try:
            self._on_error(exc)
        except Exception:
            logger.exception("on_error handler of input pump %s raised", self._name)


def send_catching_up(client: ThreadedClient, send: Callable[[], None]) -> None:
    """A client's pump send: ``send()``, and after :class:`QueueFull` once more.

    A full send queue means a slow network: the client's channel is flushed first
    (for up to its ``connect_timeout``) to let the socket catch up. A second
    QueueFull stops the pump (its chunk is kept and reported by ``stop()``).
    """
    try:
        send()
    except QueueFull:
        channel = client._channel
        if channel is not None:
            channel.flush(client._connect_timeout)
        send()


def pump_error(exc: BaseException) -> RealtimeError:
    """What a client's ``on_error`` handlers hear when its pump stopped on ``exc``.

    ``exc`` itself when it is a :class:`RealtimeError`, else a RealtimeError
    naming it (caused by it).
    """
    if isinstance(exc, RealtimeError):
        return exc
    error = RealtimeError(f"the input pump stopped: {type(exc).__name__}: {exc}")
    error.__cause__ = exc
    return error


def weak_pump_callbacks(
    send: Callable[[bytes], None], on_error: Callable[[BaseException], None]
) -> tuple[Callable[[bytes], None], Callable[[BaseException], None]]:
    """A client's pump ``send`` and ``on_error``, holding the client only weakly.

    ``send`` and ``on_error`` are bound methods of the client. The pump thread
    holds what is returned, not the client: a client dropped without ``close()``
    can be reclaimed (its finaliser closes its channel), after which the
    returned ``send`` raises :class:`ConnectionClosed`, which stops the pump,
    and the returned ``on_error`` does nothing.
    """
    send_ref = weakref.WeakMethod(send)
    error_ref = weakref.WeakMethod(on_error)

    def weak_send(chunk: bytes) -> None:
        method = send_ref()
        if method is None:
            raise ConnectionClosed("the client was garbage-collected")
        method(chunk)

    def weak_on_error(exc: BaseException) -> None:
        method = error_ref()
        if method is not None:
            method(exc)

    return weak_send, weak_on_error
