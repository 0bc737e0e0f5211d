"""Clients that are never closed: reclaimed when unreferenced, closed at exit.

A client that goes out of scope without ``close()`` (a notebook cell run again, a
helper that forgot) must not keep its threads and socket until the server ends the
session, and a script that ends without ``close()`` must not lose what it queued.

* **Reclaim.** The transport's threads reach the client only through weak references
  (the callbacks :meth:`ThreadedClient._open_channel` gives the transport), so an
  unreferenced client can be collected. A :func:`weakref.finalize` then hands its
  :class:`Owned` (the channels it opened, never the client itself) to
  :func:`reclaim`, which closes them with a short timeout and logs what was not sent.
* **Exit.** :data:`EXIT` holds the open clients in a :class:`weakref.WeakSet`; an
  :mod:`atexit` hook, registered when the first client connects, closes each with a
  bounded flush (daemon threads would otherwise die with their queue) and logs what
  could not be sent.

Threads: a finalizer runs on whichever thread the garbage collector runs on. On a
thread of ours (``realtime-sync-*``) it may be one of the very channel's threads,
in the middle of holding that channel's lock, so the closing is handed to a
``realtime-sync-reclaim`` thread that ends once the channels are closed. Other
threads cannot hold a dead client's channel locks: they close it themselves.
"""

from __future__ import annotations

import atexit
import collections
import logging
import threading
import time
import weakref
from typing import Any

from realtime_sync.transport import Channel

__all__ = ["EXIT", "Owned", "describe_unsent", "reclaim"]

logger = logging.getLogger("realtime_sync.client")

# Seconds a reclaimed client's channel gets to drain and close.
_RECLAIM_TIMEOUT = 1.0
# At interpreter exit: seconds per client, and for all of them together.
_EXIT_TIMEOUT = 2.0
_EXIT_BUDGET = 5.0


def describe_unsent(unsent: tuple[object, ...] | list[object]) -> str:
    """``"3 event(s): input_audio_buffer.append x2, input_audio_buffer.commit"``."""
    counts = collections.Counter(
        getattr(item, "type", None) or type(item).__name__ for item in unsent
    )
    kinds = ", ".join(name if n == 1 else f"{name} x{n}" for name, n in counts.items())
    return f"{len(unsent)} event(s): {kinds}"


class Owned:
    """What a client must stop if it is reclaimed; holds no reference to the client.

    Attributes:
        channels: The channels the client opened and that may still be open.
    """

    def __init__(self) -> None:
        self.channels: list[Channel] = []

    def track(self, channel: Channel) -> None:
        """Remember a newly opened ``channel`` (forgetting the closed ones)."""
        self.channels = [c for c in self.channels if c.is_open] + [channel]

    def close_all(self) -> None:
        """Close every channel; log what could not be sent."""
        unsent: list[object] = []
        for channel in self.channels:
            try:
                unsent.extend(channel.close(timeout=_RECLAIM_TIMEOUT))
            except Exception:  # a finalizer must not raise
                logger.exception("closing the channel of a reclaimed client failed")
        self.channels = []
        if unsent:
            logger.warning(
                "a client was garbage-collected without close(); not sent: %s",
                describe_unsent(unsent),
            )
        else:
            logger.info("closed a client that was garbage-collected without close()")


def reclaim(owned: Owned) -> None:
    """The finalizer of an unreferenced client (see the module docstring)."""
    if not owned.channels:
        return
    if threading.current_thread().name.startswith("realtime-sync-"):
        threading.Thread(
            target=owned.close_all, name="realtime-sync-reclaim", daemon=True
        ).start()
    else:
        owned.close_all()


class _ExitCloser:
    """The open clients, closed by an :mod:`atexit` hook (see the module docstring).

    One instance, :data:`EXIT`: module-level state is what :mod:`atexit` is about
    (one hook for the process, whatever the number of clients).
    """

    def __init__(self) -> None:
        self._clients: weakref.WeakSet[Any] = weakref.WeakSet()
        self._lock = threading.Lock()
        self._registered = False

    def add(self, client: Any) -> None:
        """Close ``client`` at exit unless it is closed (or collected) before."""
        with self._lock:
            self._clients.add(client)
            if not self._registered:
                atexit.register(self.close_all)
                self._registered = True

    def discard(self, client: Any) -> None:
        """``client`` was closed."""
        with self._lock:
            self._clients.discard(client)

    def close_all(self) -> None:
        """Close every client still open, within a bounded time in all."""
        with self._lock:
            clients = list(self._clients)
            self._clients = weakref.WeakSet()
        if not clients:
            return
        logger.info("closing %d client(s) left open at exit", len(clients))
        deadline = time.monotonic() + _EXIT_BUDGET
        for client in clients:
            remaining = max(0.0, deadline - time.monotonic())
            try:
                client.close(timeout=min(_EXIT_TIMEOUT, remaining))
            except Exception:
                logger.exception("closing a client at exit failed")


EXIT = _ExitCloser()
