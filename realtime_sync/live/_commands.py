"""The Live client's commands: ``send``, context appends, mute, session updates.

:class:`LiveCommandsAPI` is a mixin of :class:`~realtime_sync.live.LiveClient`.
Each command builds a typed Live client event and sends it through the threaded
machinery; the blocking ones wait for their acknowledgement. Context appends wait
on an :class:`_AckFuture` that the reader resolves from the core's
:class:`~realtime_sync.live._core.AppendAck` (``*.appended``) or fails with the
``error`` whose ``client_event_id`` names the append; appends not acknowledged
when a connection is lost stay pending: they are sent again to the new session.
It also implements what the delegation mixin needs to answer (commentary,
thinking, ``response.item.create``).
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Mapping
from typing import Any

from realtime_sync.client._threaded import ClientState
from realtime_sync.exceptions import ProtocolError, RealtimeError, ServerError, Timeout
from realtime_sync.live import events as lev
from realtime_sync.live._core import AppendAck, Delegation, LiveCore
from realtime_sync.live._handlers import LiveEventsAPI

__all__ = ["LiveCommandsAPI"]

logger = logging.getLogger("realtime_sync.live")


class _AckFuture:
    """One context append waiting for its ``*.appended`` (or its error)."""

    __slots__ = ("detached", "done", "error", "result")

    def __init__(self, detached: bool) -> None:
        self.detached = detached  # wait=False: nobody will read an error here
        self.done = threading.Event()
        self.result: AppendAck | None = None
        self.error: BaseException | None = None


class LiveCommandsAPI(LiveEventsAPI):
    """The commands of :class:`~realtime_sync.live.LiveClient` (see the module docstring)."""

    _core: LiveCore
    _acks: dict[str, _AckFuture]
    _live_codec: Any
    _carry_out: Callable[..., None]  # ReadingClient's, later in the MRO

    def _answered(self, request_id: str, event: Any) -> None:
        with self._lock:
            future = self._acks.pop(request_id, None)
        error = _server_error(event)
        if future is not None:
            future.error = error
            future.done.set()
            if not future.detached:
                return
        if future is not None or not self._dispatch.answer(request_id, error):
            logger.warning("server error for %s: %s", request_id, error)
            self._dispatch.report(error)

    def _fail_all(self, exc: BaseException, held: frozenset[str] | None = None) -> None:
        super()._fail_all(exc, held)
        if held is not None:
            return  # reconnecting: unacknowledged appends go to the new session
        self._fail_acks(exc)

    def _fail_acks(self, exc: BaseException) -> None:
        """Wake every append waiting for its acknowledgement with ``exc``."""
        with self._lock:
            futures, self._acks = list(self._acks.values()), {}
        for future in futures:
            future.error = exc
            future.done.set()

    def send(self, event: Any) -> str:
        """Queue a Live client event (a class of ``live.events`` or a wire dict).

        Returns:
            The event's ``event_id`` (one is given when it has none).

        Raises:
            TypeError: Not a Live client event, or a field of the wrong type.
            ConnectionClosed: The client is closed.
        """
        if isinstance(event, Mapping):
            event = self._event_from_dict(dict(event))
        if not isinstance(event, lev.LiveClientEvent):
            raise TypeError(
                f"expected a Live client event or a dict, not {type(event).__name__}"
            )
        return self._send_with_id(event)

    def append_instructions(
        self,
        text: str,
        *,
        delegation_id: str | None = None,
        wait: bool = True,
        timeout: float | None = 30.0,
    ) -> AppendAck | str:
        """Add developer instructions mid-session (``session.instructions.append``).

        Returns once the server placed them on the timeline
        (``session.instructions.appended``), which needs input audio to flow
        (the pump does that).

        Args:
            text: The instructions (the service takes up to 500 tokens).
            delegation_id: A client delegation they belong to, or None.
            wait: Wait for the acknowledgement (else return the event id).
            timeout: Seconds to wait.

        Returns:
            The :class:`~realtime_sync.live.AppendAck` (timeline position), or
            the ``event_id`` with ``wait=False``.

        Raises:
            ServerError: The server refused it (``error.client_event_id``).
            Timeout: Not acknowledged in time (it stays pending).
            TypeError / ValueError: ``text`` is not a non-empty string.
        """
        return self._append(
            lev.SessionInstructionsAppend, text, delegation_id, wait, timeout
        )

    def append_thinking(
        self,
        text: str,
        *,
        delegation_id: str | None = None,
        wait: bool = True,
        timeout: float | None = 30.0,
    ) -> AppendAck | str:
        """Add silent context or progress (``session.thinking.append``).

        As :meth:`append_instructions`.
        """
        return self._append(
            lev.SessionThinkingAppend, text, delegation_id, wait, timeout
        )

    def append_commentary(
        self,
        text: str,
        *,
        delegation_id: str | None = None,
        wait: bool = True,
        timeout: float | None = 30.0,
    ) -> AppendAck | str:
        """Add speakable context, e.g. a delegated result (``session.commentary.append``).

        As :meth:`append_instructions`.
        """
        return self._append(
            lev.SessionCommentaryAppend, text, delegation_id, wait, timeout
        )

    def _append(
        self,
        cls: Any,
        text: str,
        delegation_id: str | None,
        wait: bool,
        timeout: float | None,
    ) -> AppendAck | str:
        if not isinstance(text, str):
            raise TypeError(f"text must be a str, not {type(text).__name__}")
        if not text.strip():
            raise ValueError("text must not be empty")
        if delegation_id is not None and not isinstance(delegation_id, str):
            raise TypeError("delegation_id must be a str or None")
        if timeout is not None and timeout < 0:
            raise ValueError(f"timeout must be >= 0 or None, not {timeout!r}")
        if wait:
            self._check_thread(f"{cls.TYPE} (wait=True)")
        with self._lock:
            delegation_id = self._core.answerable_id(delegation_id)
        event_id = self._new_id()
        event = cls(event_id=event_id, content=text, delegation_id=delegation_id)
        future = _AckFuture(detached=not wait)
        with self._lock:
            self._acks[event_id] = future
            # Tracked now, also when held before connect() (written later as is).
            self._core.sending(event)
        try:
            self._send_event(event)
        except BaseException:
            with self._lock:
                self._acks.pop(event_id, None)
                self._core.withdraw(event)
            raise
        if not wait:
            return event_id
        if not future.done.wait(timeout):
            raise Timeout(
                f"{cls.TYPE} {event_id} was not acknowledged within {timeout} s "
                "(the timeline advances only while input audio flows)"
            )
        if future.error is not None:
            raise future.error
        assert future.result is not None
        return future.result

    def mute(self, timeout: float | None = 10.0) -> None:
        """Stop feeding input to the model (the server hears silence).

        Returns once ``session.input_audio.muted`` arrived. The pump keeps
        sending, so the timeline keeps advancing.

        Raises:
            ServerError: The server refused it.
            Timeout: No acknowledgement in time.
        """
        self._check_thread("mute()")
        self._send_and_wait(
            lev.SessionInputAudioMute(), lev.SessionInputAudioMuted, timeout
        )

    def unmute(self, timeout: float | None = 10.0) -> None:
        """Undo :meth:`mute`; returns once ``session.input_audio.unmuted`` arrived."""
        self._check_thread("unmute()")
        self._send_and_wait(
            lev.SessionInputAudioUnmute(), lev.SessionInputAudioUnmuted, timeout
        )

    def update_session(
        self,
        *,
        delegation: Mapping[str, Any] | None = None,
        triggers: list[Any] | None = None,
        wait: bool = True,
        timeout: float | None = 10.0,
    ) -> Any:
        """Change the delegation settings or the transcript triggers (``session.update``).

        Everything else is fixed at start (LIVE_PROTOCOL.md §5); the delegation
        *type* cannot change. The change is kept for a reconnection's new session.

        Returns:
            The updated session (``session.updated``), or the event id with
            ``wait=False``.

        Raises:
            ValueError: Neither ``delegation`` nor ``triggers``.
            TypeError: A value the Live schema refuses.
            ServerError: The server refused it (``immutable_field_update``, ...).
        """
        update: dict[str, Any] = {}
        if delegation is not None:
            update["delegation"] = dict(delegation)
        if triggers is not None:
            update["triggers"] = list(triggers)
        if not update:
            raise ValueError("give delegation= and/or triggers=")
        event = self._event_from_dict({"type": "session.update", "session": update})
        if not wait:
            if self._state is ClientState.UNOPENED:
                # Held until connect() and written as is: kept for the session
                # configuration now (the update goes to the first session too).
                with self._lock:
                    self._core.sending(event)
            return self.send(event)
        self._check_thread("update_session()")
        answer = self._send_and_wait(event, lev.SessionUpdated, timeout)
        return answer.session

    # -- what the delegation mixin needs ---------------------------------------------

    def _delegation_type(self) -> str:
        delegation = self._core.config.get("delegation")
        kind = delegation.get("type") if isinstance(delegation, Mapping) else None
        return kind if isinstance(kind, str) else "client"

    def _delegation_of(self, delegation_id: str) -> Delegation | None:
        with self._lock:
            return self._core.delegation(delegation_id)

    def _note(self, delegation_id: str, text: str) -> str:
        result = self.append_thinking(text, delegation_id=delegation_id, wait=False)
        assert isinstance(result, str)
        return result

    def _answer_delegation(self, delegation_id: str, text: str) -> None:
        try:
            self.append_commentary(text, delegation_id=delegation_id, wait=False)
        except RealtimeError as exc:
            logger.warning("could not answer delegation %s: %s", delegation_id, exc)

    def _send_tool_output(self, call_id: str, output: str) -> None:
        self.send(
            {
                "type": "response.item.create",
                "item": {
                    "type": "function_call_output",
                    "call_id": call_id,
                    "output": output,
                },
            }
        )

    def _tool_answered(self, delegation_id: str | None, call_id: str) -> None:
        with self._lock:
            out = self._core.tool_answered(delegation_id, call_id)
        self._carry_out(out)

    def _event_from_dict(self, data: dict[str, Any]) -> Any:
        try:
            return self._live_codec.decode_client(json.dumps(data))
        except ProtocolError as exc:
            raise TypeError(f"not a valid Live client event: {exc}") from None


def _server_error(event: Any) -> ServerError:
    err = getattr(event, "error", None)
    message = getattr(err, "message", None)
    code = getattr(err, "code", None)
    text = message if isinstance(message, str) else "the server reported an error"
    if isinstance(code, str):
        text = f"{text} (code {code})"
    return ServerError(text, event=event)
