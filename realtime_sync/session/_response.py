"""A finished response as a user sees it: :class:`Response` and its timings.

The session core feeds a :class:`_Collector` per response id with the deltas of that
response; ``response.done`` freezes it into a :class:`Response`. (The handle a caller
waits on, :class:`~realtime_sync.client.ResponseHandle`, is the threaded client's.)
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

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

logger = logging.getLogger("realtime_sync.client")

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

__all__ = ["Response", "ResponseTimings"]


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
        steps: For the answer ``ask()`` returns after tool calls: the responses
            that called the tools, in order (empty otherwise).
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
    steps: tuple[Response, ...] = attrs.field(
        default=(), repr=lambda s: f"<{len(s)} steps>"
    )

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

    def finish(
        self,
        event: ResponseDone,
        audio_format: str = "audio/pcm",
        timings: ResponseTimings = ResponseTimings(),
    ) -> Response:
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
            timings=timings,
            event=event,
        )
