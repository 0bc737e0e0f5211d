"""The reader pipeline: one frame from the channel to the handlers.

:class:`ReadingClient` adds to :class:`ThreadedClient` what runs on the reader
thread for every frame: decode (and, once per channel, check the dialect), the
session core under ``_lock``, then with no lock held the :class:`Effects` (sends,
handles, handlers and waiters, conversation callbacks, interruption hooks). It also
fails waiters and handles when a session ends (:meth:`ReadingClient._fail_all`).
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

import attrs

from realtime_sync import events as ev
from realtime_sync.client._threaded import _BENIGN, ThreadedClient
from realtime_sync.events import ServerEvent
from realtime_sync.exceptions import (
    ConnectError,
    HandlerError,
    ProtocolError,
    RealtimeError,
    ServerError,
)
from realtime_sync.protocol import Codec
from realtime_sync.protocol.dialects import certain_dialect, detect_dialect
from realtime_sync.session import Effects

__all__ = ["ReadingClient"]

logger = logging.getLogger("realtime_sync.client")


class ReadingClient(ThreadedClient):
    """The reader thread's work for every frame (see the module docstring)."""

    def _on_frame(self, text: str) -> None:
        """Called by the transport's reader thread for every text frame."""
        self._reader_ident = threading.get_ident()
        self._n_frames += 1
        if self._recorder is not None:
            self._recorder.write("recv", text)
        codec = self._codec
        if codec is None:
            codec = self._codec = Codec(detect_dialect(text))  # type: ignore[arg-type]
            self._detected(codec.dialect)
        elif self._check_dialect:
            self._check_dialect = False  # the first frame of a channel only
            if self._wrong_dialect(codec.dialect, text):
                return
        try:
            event = codec.decode_server(text)
        except ProtocolError as exc:
            logger.warning("undecodable frame: %s", exc)
            self._n_protocol_errors += 1
            self._dispatch.report(exc)
            return
        try:
            with self._lock:
                out = self._core.receive(event)
        except Exception:  # never let bookkeeping kill the reader
            logger.exception("internal error while tracking %s", event.type)
            out = None
        if self._observer is not None:
            self._observer(event)
        if out is None:
            self._dispatch.deliver(event)
        else:
            self._carry_out(out, event)
        if self._renew_at is not None and time.time() >= self._renew_at:
            self._renew()

    def _detected(self, dialect: str) -> None:
        """The dialect was detected from the first frame (``dialect="auto"``)."""

    def _wrong_dialect(self, dialect: str, text: str) -> bool:
        """Whether the first frame proves the server speaks another dialect.

        A GA client on a beta server would otherwise decode every beta delta as an
        unknown event and answer empty responses, silently. The error names the
        argument to change; ``connect()`` raises it and ``on_error`` hears of it.
        """
        spoken = certain_dialect(text)
        if spoken is None or spoken == dialect:
            return False
        error = ConnectError(
            f"The server speaks the {spoken} dialect of the Realtime protocol, but "
            f"this client was made with dialect={dialect!r}: pass "
            f"dialect={spoken!r} (or dialect='auto' to follow the server)."
        )
        logger.error("%s", error)
        self._dialect_error = error
        self._dispatch.report(error)
        self._session_created.set()  # wake connect(), which raises it
        return True

    def _carry_out(self, out: Effects, event: ServerEvent | None = None) -> None:
        """Do what the core asked for, with no lock held (see :class:`Effects`)."""
        for sent in out.send:
            try:
                self._send_event(attrs.evolve(sent, event_id=self._new_id()))
            except (RealtimeError, RuntimeError) as exc:  # closed, or not connected
                logger.info("could not send %s: %s", sent.type, exc)
        for handle, event_ in out.requests:
            self._send_request(handle, event_, raise_errors=False)  # type: ignore[arg-type]
        for handle, result in out.resolved:
            handle._resolve(result)  # type: ignore[attr-defined]
        for handle, error in out.failed:
            handle._fail(error)  # type: ignore[attr-defined]
        for request_id, error_event in out.answered:
            self._answered(request_id, error_event)
        if out.session_created:
            self._session_created.set()
        for error in out.report:
            logger.warning("%s", error)
            self._dispatch.report(error)
        if event is not None and not out.withhold:
            self._dispatch.deliver(event)
        for extra in out.extra:
            self._dispatch.deliver(extra)
        if out.changes:
            for callback, failure in self._core.conversation.notify(out.changes):
                name = getattr(callback, "__qualname__", repr(callback))
                logger.error("conversation callback %s raised", name, exc_info=failure)
                err = HandlerError(
                    f"conversation callback {name} raised", handler=callback
                )
                err.__cause__ = failure
                self._dispatch.report(err)
        if out.interruption is not None:
            self._interrupted(out.interruption)

    def _interrupted(self, info: Any) -> None:
        """Barge-in happened (the subclass calls its ``on_interrupt`` handlers)."""

    def _answered(self, request_id: str, event: ev.Error) -> None:
        err = event.error
        message = getattr(err, "message", None)
        text = message if isinstance(message, str) else "the server reported an error"
        answered = self._dispatch.answer(request_id, ServerError(text, event=event))
        if not answered and getattr(err, "code", None) not in _BENIGN:
            logger.warning("server error for %s: %s", request_id, text)

    def _on_binary(self, data: bytes) -> None:
        """A binary frame: the protocol has none, so it is reported, not dispatched."""
        self._n_frames += 1
        self._n_protocol_errors += 1
        exc = ProtocolError(
            f"The server sent a binary frame of {len(data)} bytes; the Realtime "
            "protocol uses text frames only, so it was not dispatched.",
            raw=data[:1024],
        )
        logger.warning("%s", exc)
        self._dispatch.report(exc)

    def _fail_all(self, exc: BaseException, held: frozenset[str] | None = None) -> None:
        """Fail every waiter and response handle with ``exc``.

        With ``held`` (a reconnection is starting), the requests among those event
        ids stay pending: they will be sent to the new session.
        """
        self._dispatch.fail_waiters(exc, held or frozenset())
        with self._lock:
            if held is None:
                out = self._core.fail_all(exc)
            else:
                out = self._core.session_lost(exc, held)
        self._carry_out(out)
        self._session_created.set()
