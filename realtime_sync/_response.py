"""Responses as a user sees them: :class:`Response` (the result) and :class:`ResponseHandle`.

The reader thread feeds a :class:`_Collector` per response id with the deltas of that
response; ``response.done`` freezes it into a :class:`Response` and completes the
handle that asked for it. ``handle.wait()`` runs on the caller's thread.
"""

from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING, Any

import attrs

from realtime_sync import _b64
from realtime_sync._formats import decode_audio
from realtime_sync.events import (
    FunctionCallItem,
    Item,
    RealtimeResponse,
    ResponseDone,
    ResponseStatusDetails,
    Usage,
)
from realtime_sync.exceptions import Timeout

logger = logging.getLogger("realtime_sync.client")

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

__all__ = ["Response", "ResponseHandle", "ResponseTimings"]


@attrs.frozen(kw_only=True)
class ResponseTimings:
    """How long a response took, in milliseconds.

    Attributes:
        first_text_ms: Until the first text or transcript delta (None if none came).
        first_audio_ms: Until the first audio delta (None if none came).
        done_ms: Until ``response.done``.
        measured_from: ``"response.create"`` (when the request was sent) or
            ``"commit"`` (the ``input_audio_buffer.committed`` before a response the
            server started by itself).
    """

    first_text_ms: float | None = None
    first_audio_ms: float | None = None
    done_ms: float | None = None
    measured_from: str = "response.create"


@attrs.frozen(kw_only=True)
class Response:
    """A finished response: what the model said, and how it ended.

    Attributes:
        id: The response id (``resp_...``).
        status: ``completed``, ``cancelled``, ``failed`` or ``incomplete``.
        status_details: Why it ended so, when the server says.
        text: The text output (``response.output_text.delta`` joined).
        transcript: The transcript of the audio output.
        audio_bytes: The audio output as received (session output format).
        function_calls: The function calls the model made.
        usage: Token usage, when the server reports it.
        output: The output items of ``response.done``.
        metadata: The metadata echoed by the server.
        timings: Time to first text, first audio and done.
        audio_format: The session's output format type when the response ended
            (``audio/pcm``, ``audio/pcmu`` or ``audio/pcma``); ``audio`` decodes by it.
        event: The ``response.done`` event itself.
    """

    id: str
    status: str
    status_details: ResponseStatusDetails | None = None
    text: str = ""
    transcript: str = ""
    audio_bytes: bytes = attrs.field(default=b"", repr=lambda b: f"<{len(b)} bytes>")
    function_calls: tuple[FunctionCallItem, ...] = ()
    usage: Usage | None = None
    output: tuple[Item, ...] = ()
    metadata: dict[str, str] | None = None
    audio_format: str = "audio/pcm"
    timings: ResponseTimings = ResponseTimings()
    event: ResponseDone | None = attrs.field(default=None, repr=False)

    @property
    def audio(self) -> NDArray[np.int16]:
        """The audio output as int16 samples (24 kHz pcm16, or 8 kHz decoded G.711)."""
        return decode_audio(self.audio_bytes, self.audio_format)


class _Collector:
    """Accumulates one response's deltas (reader thread only)."""

    __slots__ = ("audio", "text", "transcript")

    def __init__(self) -> None:
        self.text: list[str] = []
        self.transcript: list[str] = []
        self.audio: list[str] = []

    def finish(self, event: ResponseDone, audio_format: str = "audio/pcm") -> Response:
        resp: RealtimeResponse = event.response
        output = resp.output if isinstance(resp.output, list) else []
        calls = tuple(i for i in output if isinstance(i, FunctionCallItem))
        audio, bad = _b64.decode_chunks(self.audio)
        if bad:
            logger.warning(
                "response %s: left out %d audio delta(s) that were not base64",
                resp.id,
                bad,
            )
        details = resp.status_details
        usage = resp.usage
        metadata = resp.metadata
        return Response(
            id=resp.id if isinstance(resp.id, str) else "",
            status=resp.status if isinstance(resp.status, str) else "completed",
            status_details=details
            if isinstance(details, ResponseStatusDetails)
            else None,
            text="".join(self.text),
            transcript="".join(self.transcript),
            audio_bytes=audio,
            function_calls=calls,
            usage=usage if isinstance(usage, Usage) else None,
            output=tuple(output),
            metadata=metadata if isinstance(metadata, dict) else None,
            audio_format=audio_format,
            event=event,
        )


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
