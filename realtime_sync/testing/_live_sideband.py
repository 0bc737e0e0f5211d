"""The Live mock's sideband (attach to a running session) and its session registry.

Every started mock session is registered by id (weakly); ``store: true`` sessions
are also kept for forks (:func:`find_stored`, see ``_live_session.fork_config``).


A connection to ``/v1/live/sessions/{session_id}/attach`` (or Azure's
``/openai/v1/...``) gets a :class:`LiveSidebandResponder` bound to the
:class:`~realtime_sync.testing.LiveResponder` that started that session, in this
process (every started mock session is registered by id, weakly). As on the
service:

* no ``session.start`` and no ``session.started``; the sideband receives the
  session's events from the moment it attaches, plus reflections: each input
  audio chunk as a server ``session.input_audio.append`` (PCM16 24 kHz) and the
  output audio deltas stamped with ``start_ms``/``end_ms``;
* it may send every control command (``session.update``, mute, appends, fixtures,
  decisions, ``response.*``, ``session.close``); ``session.start`` and input audio
  are refused, ``transport.dtmf.send`` too (the mock has no SIP calls). Its commands
  act on the session as the primary's do; their events go to both connections,
  their errors to the sideband only.

Mock choices: a sideband command takes effect when the primary connection's next
frame arrives (a running session streams audio continuously, so within one audio
chunk); an unknown session id gets ``error`` (``session_not_found``) and a close
(1008).
"""

from __future__ import annotations

import collections
import itertools
import threading
import weakref
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import attrs
import numpy as np

from realtime_sync import _b64
from realtime_sync.live import events as lv
from realtime_sync.testing._apis import CloseFrame
from realtime_sync.testing._live_base import _LiveBase

if TYPE_CHECKING:
    from realtime_sync.testing._live_responder import LiveResponder

__all__ = [
    "LiveSidebandResponder",
    "_SidebandHost",
    "find_session",
    "find_stored",
    "new_session_id",
    "register_session",
    "store_session",
]

_lock = threading.Lock()
_session_numbers = itertools.count(1)
_MAX_STORED = 100
# Sessions started with store: true, kept (strongly) for forks, oldest first.
_stored: collections.OrderedDict[str, LiveResponder] = collections.OrderedDict()
_sessions: weakref.WeakValueDictionary[str, LiveResponder] = (
    weakref.WeakValueDictionary()
)
_REFUSED = {
    "session.start": "session.start is not supported on a sideband connection.",
    "session.input_audio.append": (
        "session.input_audio.append is not supported on a sideband connection."
    ),
    "transport.dtmf.send": "transport.dtmf.send is only supported for SIP calls.",
}


def new_session_id() -> str:
    """A session id unique in this process (``live_0001``, ``live_0002``, ...)."""
    with _lock:
        return f"live_{next(_session_numbers):04d}"


def register_session(session_id: str, responder: LiveResponder) -> None:
    """Make a started mock session attachable by its id."""
    with _lock:
        _sessions[session_id] = responder


def store_session(session_id: str, responder: LiveResponder) -> None:
    """Keep a ``store: true`` session for forks (the newest 100 of the process)."""
    with _lock:
        _stored[session_id] = responder
        while len(_stored) > _MAX_STORED:
            _stored.popitem(last=False)


def find_stored(session_id: str) -> LiveResponder | None:
    """The stored mock session with this id (running or closed), if any."""
    with _lock:
        return _stored.get(session_id)


def find_session(session_id: str) -> LiveResponder | None:
    """The running mock session with this id, if any."""
    with _lock:
        return _sessions.get(session_id)


class LiveSidebandResponder:
    """One sideband connection to a mock Live session (see the module docstring).

    Args:
        session_id: The session to attach to.

    Attributes:
        outbox: Frames pushed to this sideband while no connection is bound (a
            test without a socket reads them here).
    """

    def __init__(self, session_id: str) -> None:
        self.session_id = session_id
        self.outbox: list[Any] = []
        self._push: Callable[[Sequence[Any]], None] = self.outbox.extend
        self._primary: LiveResponder | None = None
        self._numbers = 0

    def bind(self, push: Callable[[Sequence[Any]], None]) -> None:
        """Send pushed frames on this connection (called by the server)."""
        self._push = push

    def deliver(self, frames: Sequence[Any]) -> None:
        """Frames of the session for this sideband (called by the session)."""
        if frames:
            self._push(frames)

    # -- the responder protocol --------------------------------------------------------

    @property
    def active_responses(self) -> list[str]:
        """Always empty (frames arrive through :meth:`deliver`)."""
        return []

    def start(self) -> list[Any]:
        """Attach; an unknown session is an error and a close."""
        primary = find_session(self.session_id)
        if primary is None or primary.closed:
            return [
                self._error(
                    f"No active session with id '{self.session_id}'.",
                    "session_not_found",
                    None,
                ),
                CloseFrame(code=1008, reason="session not found"),
            ]
        self._primary = primary
        primary.attach(self)
        return []

    def handle(self, event: lv.LiveClientEvent) -> list[Any]:
        """Queue a command for the session, or refuse one a sideband cannot send."""
        client_id = event.event_id if isinstance(event.event_id, str) else None
        refused = _REFUSED.get(event.type)
        if refused is not None:
            return [self._error(refused, "invalid_value", "type", client_id)]
        primary = self._primary
        if primary is None or primary.closed:
            return [
                self._error("The session has ended.", "session_closed", None, client_id)
            ]
        primary.enqueue_side(self, event)
        return []

    def next_frame(self) -> None:
        """Nothing is streamed."""
        return None

    def invalid_frame(self, problem: str, event_id: str | None = None) -> list[Any]:
        """The ``error`` answering a frame that does not decode."""
        message = problem if problem.endswith(".") else problem + "."
        return [self._error(message, "invalid_event", None, event_id)]

    def server_error(self, event_id: str | None = None) -> list[Any]:
        """The ``error`` when handling failed inside the mock."""
        return [
            self._error(
                "The server had an error while processing your request.",
                "server_error",
                None,
                event_id,
                kind="server_error",
            )
        ]

    def session_expired(self, limit_seconds: float) -> list[Any]:
        """Nothing: the primary connection's session expires, not the sideband."""
        return []

    def output_ms(self, delta: str) -> float:
        """Not used (nothing is paced on a sideband)."""
        return 0.0

    def _error(
        self,
        message: str,
        code: str,
        param: str | None,
        client_event_id: str | None = None,
        *,
        kind: str = "invalid_request_error",
    ) -> lv.Error:
        self._numbers += 1
        return lv.Error(
            event_id=f"event_sb{self._numbers:04d}",
            error=lv.ErrorDetails(
                type=kind,
                code=code,
                message=message,
                param=param,
                client_event_id=client_event_id,
            ),
        )


class _SidebandHost(_LiveBase):
    """The session's half: attached sidebands, their commands, the fan-out.

    A mixin of :class:`~realtime_sync.testing.LiveResponder`. Sidebands attach and
    queue commands from their own connection's thread (``_side_lock``); the session
    runs the queued commands at the start of its next :meth:`handle`, under its own
    connection's lock, and pushes events to the sidebands from there.
    """

    closed: bool

    def _init_sideband(self) -> None:
        self._side_lock = threading.Lock()
        self._side: collections.deque[
            tuple[LiveSidebandResponder, lv.LiveClientEvent]
        ] = collections.deque()
        self._observers: list[LiveSidebandResponder] = []
        self._reflected_ms = 0

    def _answer(self, event: lv.LiveClientEvent) -> list[Any]:
        raise NotImplementedError

    def attach(self, sideband: LiveSidebandResponder) -> None:
        """Send this session's events to a sideband from now on."""
        with self._side_lock:
            self._observers.append(sideband)

    def enqueue_side(
        self, sideband: LiveSidebandResponder, event: lv.LiveClientEvent
    ) -> None:
        """Queue a sideband's command for the session's next step."""
        with self._side_lock:
            self._side.append((sideband, event))

    def _side_events(self) -> list[Any]:
        """Run the queued sideband commands; their events, for the primary."""
        with self._side_lock:
            queued = list(self._side)
            self._side.clear()
        out: list[Any] = []
        for sideband, event in queued:
            events = self._answer(event)
            sideband.deliver([e for e in events if isinstance(e, lv.Error)])
            rest = [e for e in events if not isinstance(e, lv.Error)]
            self._reflect(None, rest)
            out += rest
        return out

    def _reflect(self, event: lv.LiveClientEvent | None, frames: list[Any]) -> None:
        """Push what a sideband sees of one step to every attached sideband."""
        with self._side_lock:
            observers = list(self._observers)
        if not observers:
            return
        out: list[Any] = []
        if isinstance(event, lv.SessionInputAudioAppend) and self.session is not None:
            out.append(lv.ServerSessionInputAudioAppend(audio=self._pcm24(event.audio)))
        for frame in frames:
            if isinstance(frame, lv.SessionOutputAudioDelta):
                start = self._reflected_ms
                self._reflected_ms += round(
                    len(_b64.decode(frame.delta)) / self._bytes_per_ms()
                )
                out.append(
                    attrs.evolve(frame, start_ms=start, end_ms=self._reflected_ms)
                )
            elif isinstance(frame, CloseFrame):
                if (frame.drop or frame.code != 1000) and self.session is not None:
                    # The primary connection was lost: the session ends with it.
                    out.append(
                        lv.SessionClosed(
                            event_id=self._next_id("event"),
                            reason="connection_lost",
                            session=self.session,
                            usage=self._usage(),
                        )
                    )
                out.append(CloseFrame(code=1000))
            elif not isinstance(frame, lv.Error):
                out.append(frame)
        for sideband in observers:
            sideband.deliver(out)

    def _pcm24(self, audio: str) -> str:
        """Input audio as the sideband reflects it: PCM16 24 kHz, base64."""
        fmt = self._format()
        if isinstance(fmt, lv.AudioPCM) and self._rate() == 24_000:
            return audio
        samples = self._decode_input(_b64.decode(audio))
        positions = np.arange(0, len(samples), self._rate() / 24_000)
        resampled = np.interp(positions, np.arange(len(samples)), samples)
        return _b64.encode(resampled.astype("<i2").tobytes())
