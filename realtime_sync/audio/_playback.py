"""Track how much of each assistant item has been played, for truncation."""

from __future__ import annotations

import threading

from ._checks import as_int, positive_int

__all__ = ["PlaybackTracker"]


def _count(name: str, value: object) -> int:
    number = as_int(name, value)
    if number < 0:
        raise ValueError(f"{name} must not be negative, got {number}")
    return number


class PlaybackTracker:
    """Count samples received and played per item; answer ``played_ms`` for truncation.

    When the user interrupts, ``conversation.item.truncate`` needs the
    milliseconds of the assistant item that were actually heard. The
    application (or its player callback) reports playback with
    :meth:`played`/:meth:`set_played` and, optionally, arrivals with
    :meth:`received`; :meth:`played_ms` then gives the value to send.

    Thread-safe: the player thread, the reader thread and the user may call
    it concurrently (a lock guards the counters; no user code runs under it).

    Only the ``max_items`` items reported most recently (played or received)
    are remembered, so that a session of thousands of replies does not keep a
    counter for each: an item forgotten that way reads as unknown (0 played),
    like one passed to :meth:`reset`. Truncation only ever needs the item being
    played, or the one just before it.

    Args:
        sample_rate: Samples per second of the played audio (24000 for
            ``audio/pcm``, 8000 for G.711).
        max_items: Items remembered (at least 1).

    Raises:
        TypeError: ``sample_rate`` or ``max_items`` is not an int.
        ValueError: ``sample_rate`` or ``max_items`` is not positive.
    """

    def __init__(self, sample_rate: int = 24000, *, max_items: int = 8) -> None:
        self._rate = positive_int("sample_rate", sample_rate)
        self._max_items = positive_int("max_items", max_items)
        self._lock = threading.Lock()
        # item id -> [samples played, samples received or -1 if never reported],
        # least recently reported first.
        self._items: dict[str, list[int]] = {}
        self._current: str | None = None

    @property
    def sample_rate(self) -> int:
        """Samples per second."""
        return self._rate

    @property
    def max_items(self) -> int:
        """Items remembered."""
        return self._max_items

    def _counters(self, item_id: str) -> list[int]:
        """The counters of ``item_id``, now the most recent (lock held)."""
        counters = self._items.pop(item_id, None)
        if counters is None:
            counters = [0, -1]
            if len(self._items) >= self._max_items:
                del self._items[next(iter(self._items))]
        self._items[item_id] = counters
        return counters

    @property
    def current_item(self) -> str | None:
        """The item most recently reported as played, or None."""
        with self._lock:
            return self._current

    def received(self, item_id: str, n_samples: int) -> None:
        """Record that ``n_samples`` more samples of ``item_id`` arrived.

        Args:
            item_id: The assistant item.
            n_samples: Samples in the new delta.

        Raises:
            TypeError: ``n_samples`` is not an int.
            ValueError: ``n_samples`` is negative.
        """
        n = _count("n_samples", n_samples)
        with self._lock:
            counters = self._counters(item_id)
            counters[1] = max(counters[1], 0) + n

    def played(self, item_id: str, n_samples: int) -> None:
        """Record that ``n_samples`` more samples of ``item_id`` were played.

        Args:
            item_id: The item being played; it becomes :attr:`current_item`.
            n_samples: Samples played since the last report.

        Raises:
            TypeError: ``n_samples`` is not an int.
            ValueError: ``n_samples`` is negative.
        """
        n = _count("n_samples", n_samples)
        with self._lock:
            self._counters(item_id)[0] += n
            self._current = item_id

    def set_played(self, item_id: str, n_samples: int) -> None:
        """Set the total samples of ``item_id`` played so far.

        Args:
            item_id: The item being played; it becomes :attr:`current_item`.
            n_samples: Total samples played from the start of the item.

        Raises:
            TypeError: ``n_samples`` is not an int.
            ValueError: ``n_samples`` is negative.
        """
        n = _count("n_samples", n_samples)
        with self._lock:
            self._counters(item_id)[0] = n
            self._current = item_id

    def played_samples(self, item_id: str) -> int:
        """Return the samples of ``item_id`` played, clamped to those received.

        Args:
            item_id: The item.

        Returns:
            Played samples; if :meth:`received` was ever called for the item,
            at most the samples received. 0 for an unknown (or forgotten) item.
        """
        with self._lock:
            played, received = self._items.get(item_id, (0, -1))
        return played if received < 0 else min(played, received)

    def played_ms(self, item_id: str) -> int:
        """Return ``audio_end_ms`` for truncating ``item_id``.

        Args:
            item_id: The item.

        Returns:
            Whole milliseconds played (rounded down, so never past the audio
            heard), clamped to the audio received as in :meth:`played_samples`.
        """
        return self.played_samples(item_id) * 1000 // self._rate

    def reset(self, item_id: str | None = None) -> None:
        """Forget one item, or everything.

        Args:
            item_id: The item to forget; None forgets all items and
                :attr:`current_item`.
        """
        with self._lock:
            if item_id is None:
                self._items.clear()
                self._current = None
                return
            self._items.pop(item_id, None)
            if self._current == item_id:
                self._current = None
