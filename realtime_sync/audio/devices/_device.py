"""The lifecycle shared by :class:`Player` and :class:`Microphone`: one stream, a state.

Theory of operation.

A device owns at most one sound-device stream, opened by the first ``start()``
(never by the constructor, so a device can be built without sounddevice or a sound
card) and closed by ``close()``. Its state moves ``UNOPENED -> STARTED <-> STOPPED
-> CLOSED``; ``CLOSED`` is final (``start()`` then raises :class:`RuntimeError`).

sounddevice is imported by :func:`import_sounddevice` only when a stream is opened
without an injected ``stream_factory``; a missing package (or PortAudio library)
raises :class:`ImportError` naming the extra to install.

A device may have a worker thread per run (the microphone's sink thread): a
:class:`QueueWorker` made by :meth:`StreamDevice._new_worker` when the stream
starts, fed from the audio callback, and stopped by a ``None`` sentinel queued
after the stream stopped, so that every item queued before ``stop()`` is handled,
in order. The worker is marked started *before* the stream starts, so the first
callback already finds it; if the stream then fails to start, the run is stopped
again.

Locks.

* ``_life_lock`` serialises ``start``/``stop``/``close``. It is held while opening,
  starting, stopping and closing the stream and while joining the worker. The audio
  callback never takes it: ``stream.stop()`` waits for a running callback to return.
* ``_state_lock`` guards ``_state`` and ``_worker`` (subclasses add the state their
  callback reads). It is held for short reads and writes only, never while
  stopping a stream or joining a thread, so the audio callback may take it.

Lock order: ``_life_lock`` then ``_state_lock``. No user code runs under either.
"""

from __future__ import annotations

import enum
import importlib
import logging
import queue
import threading
from collections.abc import Callable
from types import ModuleType, TracebackType
from typing import Any, ClassVar, Generic, Protocol, TypeVar

__all__ = [
    "DeviceState",
    "QueueWorker",
    "Stream",
    "StreamDevice",
    "StreamFactory",
    "import_sounddevice",
]

logger = logging.getLogger(__name__)

_AUDIO_EXTRA = 'the audio extra is needed: pip install "realtime-sync[audio]"'

_T = TypeVar("_T")
_D = TypeVar("_D", bound="StreamDevice")


class Stream(Protocol):
    """What the devices need from an audio stream (sounddevice's streams fit)."""

    def start(self) -> None:
        """Start calling the callback."""

    def stop(self) -> None:
        """Stop calling the callback, once a running callback has returned."""

    def close(self) -> None:
        """Release the device."""


StreamFactory = Callable[..., Stream]
"""Builds a stream from keyword arguments (``callback``, ``samplerate``, ...)."""


def import_sounddevice() -> ModuleType:
    """Import :mod:`sounddevice`, naming the extra to install when it is missing.

    Returns:
        The sounddevice module.

    Raises:
        ImportError: sounddevice (or PortAudio) is not available.
    """
    try:
        return importlib.import_module("sounddevice")
    except ImportError as exc:
        raise ImportError(_AUDIO_EXTRA) from exc
    except OSError as exc:
        # sounddevice raises OSError when the PortAudio library is missing.
        raise ImportError(f"{_AUDIO_EXTRA} (PortAudio could not be loaded)") from exc


class DeviceState(enum.Enum):
    """Where a device is in its lifecycle."""

    UNOPENED = "unopened"
    STARTED = "started"
    STOPPED = "stopped"
    CLOSED = "closed"


class QueueWorker(Generic[_T]):
    """A daemon thread handing queued items to a function until a ``None`` sentinel.

    The queue is unbounded so that the sentinel never blocks; whoever feeds it
    enforces a bound with :meth:`qsize`.

    Args:
        name: The thread's name.
        handle: Called with each item, in order, on the thread. It should not
            raise: an exception ends the thread.
    """

    def __init__(self, name: str, handle: Callable[[_T], object]) -> None:
        self._handle = handle
        self._queue: queue.Queue[_T | None] = queue.Queue()
        self.thread = threading.Thread(target=self._run, name=name, daemon=True)

    def _run(self) -> None:
        while True:
            item = self._queue.get()
            if item is None:
                return
            self._handle(item)

    def start(self) -> None:
        """Start the thread."""
        self.thread.start()

    def put_nowait(self, item: _T) -> None:
        """Queue an item for the thread (never blocks).

        Args:
            item: The item.
        """
        self._queue.put_nowait(item)

    def qsize(self) -> int:
        """Items queued and not yet taken by the thread.

        Returns:
            The approximate count (:meth:`queue.Queue.qsize`).
        """
        return self._queue.qsize()

    def finish(self, timeout: float) -> None:
        """Queue the sentinel and join the thread, unless called from the thread.

        Args:
            timeout: Seconds to wait; a thread still running after that is logged
                as a warning.
        """
        self._queue.put(None)
        if self.thread is threading.current_thread():
            return
        self.thread.join(timeout)
        if self.thread.is_alive():
            logger.warning("thread %s did not stop after stop()", self.thread.name)


class StreamDevice:
    """Base of the sound devices: the stream's lifecycle (see the module docstring).

    Subclasses set :attr:`_KIND` and :attr:`_SOUNDDEVICE_STREAM`, implement
    :meth:`_stream_kwargs`, may override :meth:`_prepare_sounddevice` and
    :meth:`_new_worker`, and define the public ``start``/``stop``/``close`` on top
    of :meth:`_start`, :meth:`_stop` and :meth:`_close`.

    Args:
        stream_factory: Builds the stream from :meth:`_stream_kwargs`; None opens
            ``sounddevice.<_SOUNDDEVICE_STREAM>`` with ``device`` as well.
        device: The sounddevice device (index or name); None is the default.
    """

    #: What the device is called in error messages ("player", "microphone").
    _KIND: ClassVar[str] = "device"
    #: The sounddevice stream class opened without a factory.
    _SOUNDDEVICE_STREAM: ClassVar[str] = "Stream"

    def __init__(
        self, stream_factory: StreamFactory | None, device: int | str | None
    ) -> None:
        self._factory = stream_factory
        self._device = device
        self._life_lock = threading.Lock()
        self._state_lock = threading.Lock()
        self._state = DeviceState.UNOPENED
        self._stream: Stream | None = None
        self._worker: QueueWorker[Any] | None = None

    # ------------------------------------------------------------------ hooks

    def _stream_kwargs(self) -> dict[str, Any]:
        """Keyword arguments for the stream factory (without ``device``)."""
        raise NotImplementedError

    def _prepare_sounddevice(self, sd: ModuleType) -> None:
        """Settle what needs sounddevice (a default rate) before the stream opens.

        Args:
            sd: The sounddevice module.
        """

    def _new_worker(self) -> QueueWorker[Any] | None:
        """The worker of a new run (not started yet), or None for no thread."""
        return None

    # ------------------------------------------------------------------ lifecycle

    def _start(self) -> None:
        """Open the stream on the first call, then start the run.

        Raises:
            ImportError: sounddevice is needed and missing.
            RuntimeError: The device has been closed.
        """
        with self._life_lock:
            with self._state_lock:
                if self._state is DeviceState.CLOSED:
                    raise RuntimeError(
                        f"Cannot reopen a {self._KIND} once it has been closed."
                    )
                if self._state is DeviceState.STARTED:
                    return
            if self._stream is None:
                self._stream = self._open()
            stream = self._stream
            worker = self._new_worker()
            if worker is None:
                stream.start()
                with self._state_lock:
                    self._state = DeviceState.STARTED
                return
            with self._state_lock:
                self._worker = worker
                self._state = DeviceState.STARTED
            worker.start()
            try:
                stream.start()
            except BaseException:
                self._stop_locked(5.0)
                raise

    def _open(self) -> Stream:
        if self._factory is not None:
            return self._factory(**self._stream_kwargs())
        sd = import_sounddevice()
        self._prepare_sounddevice(sd)
        stream_class = getattr(sd, self._SOUNDDEVICE_STREAM)
        stream: Stream = stream_class(device=self._device, **self._stream_kwargs())
        return stream

    def _stop(self, timeout: float) -> None:
        """Stop the stream, then finish and join the worker; no-op unless started.

        From the worker's own thread the life lock is not taken (another thread
        may hold it while joining this one) and the thread is not joined.

        Args:
            timeout: Seconds to wait for the worker.
        """
        worker = self._worker
        if worker is not None and worker.thread is threading.current_thread():
            self._stop_locked(timeout)
            return
        with self._life_lock:
            self._stop_locked(timeout)

    def _stop_locked(self, timeout: float) -> None:
        with self._state_lock:
            if self._state is not DeviceState.STARTED:
                return
            self._state = DeviceState.STOPPED
            worker, self._worker = self._worker, None
        stream = self._stream
        try:
            if stream is not None:
                stream.stop()
        finally:
            if worker is not None:
                worker.finish(timeout)

    def _close(self, timeout: float) -> None:
        """Stop (see :meth:`_stop`), then close the stream for good. Idempotent.

        Args:
            timeout: Seconds to wait for the worker.
        """
        try:
            self._stop(timeout)
        finally:
            with self._life_lock:
                # A start() from another thread may have slipped in since.
                self._stop_locked(timeout)
                with self._state_lock:
                    closed = self._state is DeviceState.CLOSED
                    self._state = DeviceState.CLOSED
                stream, self._stream = self._stream, None
                if not closed and stream is not None:
                    stream.close()

    # ------------------------------------------------------------------ public

    def start(self) -> None:
        """Open the stream (first call) and start it.

        Raises:
            ImportError: sounddevice is needed and missing.
            RuntimeError: The device has been closed.
        """
        self._start()

    def stop(self) -> None:
        """Stop the stream; :meth:`start` starts it again."""
        self._stop(5.0)

    def close(self) -> None:
        """Stop and close the stream. Idempotent."""
        self._close(5.0)

    def __enter__(self: _D) -> _D:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
