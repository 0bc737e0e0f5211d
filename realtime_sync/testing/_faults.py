"""Faults: the mock's ``error`` events and the frames that bypass the codec.

Invalid frames (``invalid_event``), unknown client event types, the session's age
limit (``session_expired``), failures inside the server (``server_error``), and
:class:`RawFrame` for text the server sends verbatim.
"""

from __future__ import annotations

import attrs

from realtime_sync.events import (
    ClientEvent,
    Error,
    OutputAudioBufferClear,
    RealtimeError,
    ServerEvent,
    UnknownClientEvent,
)
from realtime_sync.testing._base import _quote_list, _Rejected, _ResponderBase

_GA_CLIENT_TYPES = (
    "session.update",
    "input_audio_buffer.append",
    "input_audio_buffer.commit",
    "input_audio_buffer.clear",
    "conversation.item.create",
    "conversation.item.truncate",
    "conversation.item.delete",
    "conversation.item.retrieve",
    "response.create",
    "response.cancel",
    "output_audio_buffer.clear",
)
_BETA_CLIENT_TYPES = (*_GA_CLIENT_TYPES, "transcription_session.update")


@attrs.frozen(kw_only=True)
class RawFrame:
    """A text frame the server sends verbatim, bypassing the codec.

    Attributes:
        text: The frame's text (need not be JSON).
        delay: Seconds the server waits before sending it.
    """

    text: str
    delay: float = 0.0


def expiry_message(limit_seconds: float) -> str:
    """``Your session hit the maximum duration of N minutes.`` (or seconds)."""
    if limit_seconds >= 60 and limit_seconds % 60 == 0:
        minutes = int(limit_seconds // 60)
        unit = "minute" if minutes == 1 else "minutes"
        return f"Your session hit the maximum duration of {minutes} {unit}."
    unit = "second" if limit_seconds == 1 else "seconds"
    return f"Your session hit the maximum duration of {limit_seconds:g} {unit}."


class _FaultsMixin(_ResponderBase):
    """Refusals and failures: the ``error`` events of bad frames and expiry."""

    def invalid_frame(
        self, problem: str, event_id: str | None = None
    ) -> list[ServerEvent]:
        """The answer to a client frame that could not be decoded.

        Args:
            problem: What is wrong, e.g. ``expected str @ $.item_id (got int)``.
            event_id: The frame's ``event_id``, when one could be read.

        Returns:
            An ``error`` event with code ``invalid_event``; the session goes on.
        """
        message = problem if problem.endswith(".") else problem + "."
        return [
            Error(
                event_id=self._next_id("event"),
                error=RealtimeError(
                    type="invalid_request_error",
                    code="invalid_event",
                    message=message,
                    param=None,
                    event_id=event_id,
                ),
            )
        ]

    def session_expired(self, limit_seconds: float) -> list[ServerEvent]:
        """The ``error`` a server sends when the session reaches its age limit.

        The server closes the connection (code 1001, the same message as reason)
        right after it (§1.7, §9.8).

        Args:
            limit_seconds: The maximum session duration.

        Returns:
            An ``error`` event with code ``session_expired``.
        """
        return [
            Error(
                event_id=self._next_id("event"),
                error=RealtimeError(
                    type="invalid_request_error",
                    code="session_expired",
                    message=expiry_message(limit_seconds),
                    param=None,
                    event_id=None,
                ),
            )
        ]

    def server_error(self, event_id: str | None = None) -> list[ServerEvent]:
        """The answer when handling an event failed inside the server (a bug).

        Args:
            event_id: The client event's ``event_id``, if any.

        Returns:
            An ``error`` event of type ``server_error``.
        """
        return [
            Error(
                event_id=self._next_id("event"),
                error=RealtimeError(
                    type="server_error",
                    code=None,
                    message="The server had an error while processing your request.",
                    param=None,
                    event_id=event_id,
                ),
            )
        ]

    def _output_audio_clear(self, event: OutputAudioBufferClear) -> list[ServerEvent]:
        raise _Rejected(
            "output_audio_buffer.clear is only supported for WebRTC and SIP sessions.",
            "invalid_value",
            "type",
        )

    def _unknown_event(self, event: ClientEvent) -> list[ServerEvent]:
        wire_type = event.type if isinstance(event, UnknownClientEvent) else event.TYPE
        supported = _GA_CLIENT_TYPES if self.dialect == "ga" else _BETA_CLIENT_TYPES
        raise _Rejected(
            f"Invalid value: '{wire_type}'. Supported values are: "
            f"{_quote_list(supported)}.",
            "invalid_value",
            "type",
        )

    def _error(
        self, event: ClientEvent, message: str, code: str, param: str | None = None
    ) -> Error:
        client_id = event.event_id
        if isinstance(event, UnknownClientEvent):
            data_id = event.data.get("event_id")
            client_id = data_id if isinstance(data_id, str) else client_id
        return Error(
            event_id=self._next_id("event"),
            error=RealtimeError(
                type="invalid_request_error",
                code=code,
                message=message,
                param=param,
                event_id=client_id if isinstance(client_id, str) else None,
            ),
        )
