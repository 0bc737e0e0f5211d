"""Test helpers: a thread-safe event recorder."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any


class EventRecorder:
    """Records what handlers see (on the reader thread); tests wait on it."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self.items: list[Any] = []

    def __call__(self, item: Any) -> None:
        with self._cond:
            self.items.append(item)
            self._cond.notify_all()

    def wait_until(
        self, predicate: Callable[[list[Any]], bool], timeout: float = 5.0
    ) -> list[Any]:
        """Wait until ``predicate(items)`` holds; fail the test otherwise."""
        with self._cond:
            ok = self._cond.wait_for(lambda: predicate(self.items), timeout)
            assert ok, f"condition not met within {timeout} s; recorded: {self.items!r}"
            return list(self.items)


def openai_ws_options() -> dict[str, Any]:
    """openai-python's ``websocket_connection_options`` for the installed websockets.

    websockets >= 17.1 warns when ``connect()`` is not used as a context manager, as
    openai uses it, and ``legacy=True`` is its own opt-out (the suite turns warnings
    into errors); older versions have no such argument.
    """
    import websockets

    parts = tuple(int(p) for p in websockets.__version__.split(".")[:2] if p.isdigit())
    return {"legacy": True} if parts >= (17, 1) else {}
