r"""Record a session's frames to a file, and replay them through a client offline.

The file is JSON lines, one frame per line::

    {"t": 0.012, "dir": "recv", "frame": "{\\"type\\":\\"session.created\\",...}"}

``t`` is seconds on a monotonic clock since recording started, ``dir`` is ``"send"``
(client to server) or ``"recv"`` (server to client), ``frame`` the frame's text as it
went over the wire. Headers, URLs and keys are never written: only frames are.
``MockRealtimeServer`` can replay the server side of such a file too.
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

if TYPE_CHECKING:
    from realtime_sync.client import RealtimeClient

__all__ = ["Recorder", "read_recording", "replay"]


class Recorder:
    """Appends frames to a JSON-lines file; thread-safe (sender and reader threads).

    Args:
        path: The file to write (created or truncated).
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self._file: IO[str] | None = self.path.open("w", encoding="utf-8")
        self._lock = threading.Lock()
        self._t0 = time.monotonic()

    def write(self, direction: str, frame: str) -> None:
        """Record one frame (``direction`` is ``"send"`` or ``"recv"``)."""
        line = json.dumps(
            {
                "t": round(time.monotonic() - self._t0, 6),
                "dir": direction,
                "frame": frame,
            },
            ensure_ascii=False,
        )
        with self._lock:
            if self._file is not None:
                self._file.write(line + "\n")

    def close(self) -> None:
        """Flush and close the file (idempotent)."""
        with self._lock:
            if self._file is not None:
                self._file.close()
                self._file = None


def read_recording(path: str | os.PathLike[str]) -> Iterator[tuple[float, str, str]]:
    """Yield ``(t, direction, frame)`` from a recording.

    Raises:
        ValueError: A line that is not a recorded frame (with its line number).
    """
    with Path(path).open(encoding="utf-8") as f:
        for number, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                rec: Any = json.loads(line)
                t, direction, frame = rec["t"], rec["dir"], rec["frame"]
            except (ValueError, KeyError, TypeError) as exc:
                raise ValueError(
                    f"{path}:{number}: not a recorded frame ({exc})"
                ) from None
            if direction not in ("send", "recv") or not isinstance(frame, str):
                raise ValueError(f"{path}:{number}: not a recorded frame")
            yield float(t), direction, frame


def replay(
    path: str | os.PathLike[str], client: RealtimeClient, *, pace: bool = False
) -> int:
    """Feed the server frames of a recording through ``client``'s decode and dispatch.

    No network is involved: handlers, ``client.conversation`` and response handles
    see the events as if they had arrived, on the calling thread. The client must
    not be connected.

    Args:
        path: A recording written with ``RealtimeClient(record=...)``.
        client: The client whose handlers should see the events.
        pace: Wait between frames as long as they were apart when recorded.

    Returns:
        The number of frames replayed.

    Raises:
        RuntimeError: The client is connected.
    """
    if client.is_connected:
        raise RuntimeError("replay() needs a client that is not connected")
    count = 0
    start = time.monotonic()
    first: float | None = None
    wait = threading.Event()
    try:
        for t, direction, frame in read_recording(path):
            if direction != "recv":
                continue
            if pace:
                first = t if first is None else first
                delay = (t - first) - (time.monotonic() - start)
                if delay > 0:
                    wait.wait(delay)
            client._on_frame(frame)
            count += 1
    finally:
        client._reader_ident = None  # this thread is not the reader after all
    return count
