"""The handle a caller waits on for a requested response."""

from __future__ import annotations

import threading
from typing import Any

from realtime_sync.exceptions import Timeout
from realtime_sync.session import Response

__all__ = ["ResponseHandle"]


class ResponseHandle:
    """A response asked for with ``create_response()``; ``wait()`` gives its result.

    Attributes:
        request_id: The ``event_id`` of the ``response.create`` that asked for it.
        response_id: The server's response id once ``response.created`` arrived.
    """

    def __init__(self, request_id: str, check: Any = None) -> None:
        self.request_id = request_id
        self.response_id: str | None = None
        self._done = threading.Event()
        self._result: Response | None = None
        self._error: BaseException | None = None
        self._check = check

    def __repr__(self) -> str:
        state = "done" if self._done.is_set() else "pending"
        return f"<ResponseHandle {self.request_id} {self.response_id or '?'} {state}>"

    @property
    def done(self) -> bool:
        """Whether the response finished (or failed)."""
        return self._done.is_set()

    def _resolve(self, result: Response) -> None:
        self._result = result
        self._done.set()

    def _fail(self, error: BaseException) -> None:
        if not self._done.is_set():
            self._error = error
            self._done.set()

    def wait(self, timeout: float | None = None) -> Response:
        """Block until the response is done and return it.

        Args:
            timeout: Seconds to wait; None waits for ever.

        Returns:
            The finished :class:`Response` (its ``status`` says whether it completed).

        Raises:
            Timeout: It did not finish in time.
            ServerError: The server answered the request with an ``error`` event.
            ConnectionClosed: The connection closed first.
            RuntimeError: Called on the reader thread (from a handler).
        """
        if self._check is not None:
            self._check("ResponseHandle.wait()")
        if not self._done.wait(timeout):
            raise Timeout(
                f"response {self.response_id or self.request_id} not done after {timeout} s"
            )
        if self._error is not None:
            raise self._error
        assert self._result is not None
        return self._result
