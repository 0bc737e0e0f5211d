"""Response bookkeeping: handles, sequencing, timings and usage.

:class:`ResponseTracker` follows every response of a session from the events the
reader thread feeds it, and owns the ``response.create`` requests of the client:

* **Correlation.** A request carries ``metadata.realtime_sync_request``; a server that
  echoes metadata ties ``response.created`` to its handle by it. A server that does
  not echo metadata gets its requests matched in order (the first new response).
* **Sequencing.** Only one response may write to the default conversation at a time
  (§3.5). While one is active (from our request being sent, or a VAD response's
  ``response.created``, to its ``response.done``), further default-conversation
  requests wait in a queue and are sent after that ``response.done``. If a request
  still loses a race with a VAD response (``conversation_already_has_active_response``
  for its ``event_id``), it goes back to the queue instead of failing. Out-of-band
  requests (``conversation: "none"``) are never queued.
* **Timings.** Time to first text delta, first audio delta and done, measured from
  sending ``response.create``, or from ``input_audio_buffer.committed`` for responses
  the server started by itself.
* **Usage.** Session totals over every ``response.done``.

Threads: ``request`` runs on the user's thread, ``on_*`` on the reader thread; one
lock guards the state, and no user code runs under it. Sends happen outside the
lock (``send`` may block briefly on a slow socket).
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Any

import attrs

from realtime_sync import events as ev
from realtime_sync._formats import bytes_per_second
from realtime_sync._response import (
    Response,
    ResponseHandle,
    ResponseTimings,
    _Collector,
)
from realtime_sync.exceptions import ServerError

__all__ = ["REQUEST_KEY", "ResponseTracker", "UsageTotals"]

#: Metadata key that ties a ``response.create`` to its ``response.created``.
REQUEST_KEY = "realtime_sync_request"

_RACE = "conversation_already_has_active_response"


@attrs.frozen(kw_only=True)
class UsageTotals:
    """Token usage summed over every ``response.done`` of the session.

    Attributes:
        responses: Responses counted.
        total_tokens: All tokens.
        input_tokens: Input tokens.
        output_tokens: Output tokens.
        input_text_tokens: Input text tokens.
        input_audio_tokens: Input audio tokens.
        input_image_tokens: Input image tokens.
        cached_tokens: Cached input tokens.
        output_text_tokens: Output text tokens.
        output_audio_tokens: Output audio tokens.
    """

    responses: int = 0
    total_tokens: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    input_text_tokens: int = 0
    input_audio_tokens: int = 0
    input_image_tokens: int = 0
    cached_tokens: int = 0
    output_text_tokens: int = 0
    output_audio_tokens: int = 0

    def add(self, usage: Any) -> UsageTotals:
        """Return the totals with one response's ``Usage`` added."""

        def n(obj: Any, name: str) -> int:
            value = getattr(obj, name, None)
            return (
                value if isinstance(value, int) and not isinstance(value, bool) else 0
            )

        inp = getattr(usage, "input_token_details", None)
        out = getattr(usage, "output_token_details", None)
        return UsageTotals(
            responses=self.responses + 1,
            total_tokens=self.total_tokens + n(usage, "total_tokens"),
            input_tokens=self.input_tokens + n(usage, "input_tokens"),
            output_tokens=self.output_tokens + n(usage, "output_tokens"),
            input_text_tokens=self.input_text_tokens + n(inp, "text_tokens"),
            input_audio_tokens=self.input_audio_tokens + n(inp, "audio_tokens"),
            input_image_tokens=self.input_image_tokens + n(inp, "image_tokens"),
            cached_tokens=self.cached_tokens + n(inp, "cached_tokens"),
            output_text_tokens=self.output_text_tokens + n(out, "text_tokens"),
            output_audio_tokens=self.output_audio_tokens + n(out, "audio_tokens"),
        )


class _Live:
    """A response between ``response.created`` and ``response.done``."""

    __slots__ = ("collector", "default", "first_audio", "first_text", "handle", "start")

    def __init__(
        self, handle: ResponseHandle | None, start: float | None, default: bool
    ):
        self.handle = handle
        self.start = start
        self.default = default
        self.collector = _Collector()
        self.first_text: float | None = None
        self.first_audio: float | None = None


class _Request:
    """A ``response.create`` of ours: its handle, the event, whether it is queued."""

    __slots__ = ("default", "event", "handle", "sent_at")

    def __init__(self, handle: ResponseHandle, event: ev.ResponseCreate, default: bool):
        self.handle = handle
        self.event = event
        self.default = default
        self.sent_at: float | None = None


class ResponseTracker:
    """See the module docstring.

    Args:
        send: Sends a client event (the client's ``_send_event``); called outside
            the tracker's lock, from the user's or the reader thread.
        audio_format: Returns the session's output format type when a response ends.
        clock: The monotonic clock (injectable for tests).
        audio_retention_seconds: Audio the finished responses of :attr:`recent` keep
            together (older responses lose their audio first); None keeps all.
    """

    def __init__(
        self,
        send: Callable[[ev.ClientEvent], None],
        audio_format: Callable[[], str],
        clock: Callable[[], float] = time.monotonic,
        audio_retention_seconds: float | None = None,
    ) -> None:
        self._send = send
        self._audio_format = audio_format
        self._clock = clock
        self._lock = threading.Lock()
        self._requests: dict[str, _Request] = {}  # request id -> sent, not yet created
        self._order: deque[_Request] = deque()  # sent, not yet created, in order
        self._queue: deque[_Request] = deque()  # waiting for the default conversation
        self._live: dict[str, _Live] = {}  # response id -> live response
        self._busy = False  # a default-conversation response is active or requested
        self._echoes_metadata = False
        self._last_commit: float | None = None
        self._usage = UsageTotals()
        self._recent: deque[Response] = deque(maxlen=32)
        self._retention = audio_retention_seconds

    # -- user thread -----------------------------------------------------------------

    @property
    def usage(self) -> UsageTotals:
        """Session usage totals so far."""
        return self._usage

    @property
    def active(self) -> bool:
        """Whether a default-conversation response is active (or requested)."""
        with self._lock:
            return self._busy

    @property
    def queued(self) -> int:
        """Requests waiting for the default conversation to be free."""
        with self._lock:
            return len(self._queue)

    def request(self, handle: ResponseHandle, event: ev.ResponseCreate) -> None:
        """Send ``event`` now, or queue it behind the active response.

        Raises:
            Whatever ``send`` raises (QueueFull, ConnectionClosed, TypeError); the
            request is then forgotten.
        """
        params = event.response
        default = not (
            isinstance(params, ev.ResponseCreateParams)
            and params.conversation == "none"
        )
        req = _Request(handle, event, default)
        with self._lock:
            if default and (self._busy or self._queue):
                self._queue.append(req)
                return
            self._register(req)
        self._transmit(req)

    def _register(self, req: _Request) -> None:
        # lock held
        self._requests[req.handle.request_id] = req
        self._order.append(req)
        if req.default:
            self._busy = True

    def _transmit(self, req: _Request) -> None:
        req.sent_at = self._clock()
        try:
            self._send(req.event)
        except BaseException:
            with self._lock:
                self._forget(req)
            raise

    def _forget(self, req: _Request) -> None:
        # lock held
        self._requests.pop(req.handle.request_id, None)
        if req in self._order:
            self._order.remove(req)
        if req in self._queue:
            self._queue.remove(req)
        if req.default and not any(lv.default for lv in self._live.values()):
            self._busy = any(r.default for r in self._order)

    # -- reader thread ---------------------------------------------------------------

    def on_committed(self) -> None:
        """``input_audio_buffer.committed``: the start time of a VAD response."""
        self._last_commit = self._clock()

    def on_created(self, event: ev.ResponseCreated) -> None:
        """``response.created``: find its request, start collecting."""
        # Typed as required, but a lenient decode leaves it UNSET when it is absent.
        resp: object = event.response
        if not isinstance(resp, ev.RealtimeResponse):
            return  # a malformed event (no response): nothing to track
        rid = resp.id if isinstance(resp.id, str) else None
        if rid is None:
            return
        metadata = resp.metadata if isinstance(resp.metadata, dict) else {}
        key = metadata.get(REQUEST_KEY)
        default = resp.conversation_id is not None  # None: out of band
        with self._lock:
            req = None
            if isinstance(key, str) and key in self._requests:
                self._echoes_metadata = True
                req = self._requests.pop(key)
                self._order.remove(req)
            elif key is None and not self._echoes_metadata and self._order:
                req = self._order.popleft()  # a server that does not echo metadata
                self._requests.pop(req.handle.request_id, None)
            handle = req.handle if req is not None else None
            start = req.sent_at if req is not None else self._last_commit
            if req is not None and resp.conversation_id is ev.UNSET:
                default = req.default
            self._live[rid] = _Live(handle, start, default)
            if default:
                self._busy = True
        if handle is not None:
            handle.response_id = rid

    def on_delta(self, event: Any) -> None:
        """A text, transcript or audio delta of a response."""
        live = self._live.get(event.response_id)
        if live is None or not isinstance(event.delta, str):
            return
        cls = type(event)
        if cls is ev.ResponseOutputAudioDelta:
            live.collector.audio.append(event.delta)
            if live.first_audio is None:
                live.first_audio = self._clock()
        elif cls is ev.ResponseOutputTextDelta:
            live.collector.text.append(event.delta)
            if live.first_text is None:
                live.first_text = self._clock()
        else:
            live.collector.transcript.append(event.delta)
            if live.first_text is None:
                live.first_text = self._clock()

    def on_done(self, event: ev.ResponseDone) -> None:
        """``response.done``: finish the handle, count usage, send the next request."""
        # Typed as required, but a lenient decode leaves it UNSET when it is absent.
        resp: object = event.response
        if not isinstance(resp, ev.RealtimeResponse):
            return  # a malformed event (no response): nothing to track
        rid = resp.id if isinstance(resp.id, str) else None
        now = self._clock()
        nxt: _Request | None = None
        with self._lock:
            live = self._live.pop(rid, None) if rid is not None else None
            if resp.usage is not None and resp.usage is not ev.UNSET:
                self._usage = self._usage.add(resp.usage)
            if live is None or live.default:
                still = any(lv.default for lv in self._live.values()) or any(
                    r.default for r in self._order
                )
                self._busy = still
                if not still and self._queue:
                    nxt = self._queue.popleft()
                    self._register(nxt)
        if live is not None:
            result = live.collector.finish(event, self._audio_format())
            result = attrs.evolve(result, timings=_timings(live, now))
            self._keep(result)
            if live.handle is not None:
                live.handle._resolve(result)
        if nxt is not None:
            try:
                self._transmit(nxt)
            except BaseException as exc:  # closed meanwhile: the waiter learns why
                nxt.handle._fail(exc)

    def on_error(self, event: ev.Error) -> bool:
        """An ``error`` event; True when it answered one of our requests."""
        failed = getattr(event.error, "event_id", None)
        if not isinstance(failed, str):
            return False
        code = getattr(event.error, "code", None)
        with self._lock:
            req = self._requests.get(failed)
            if req is None:
                return False
            self._forget(req)
            if code == _RACE and req.default:
                # Lost a race with a response the server started (VAD): wait for it.
                self._busy = True
                self._queue.appendleft(req)
                return True
        message = getattr(event.error, "message", None)
        req.handle._fail(
            ServerError(message if isinstance(message, str) else "error", event=event)
        )
        return True

    def _keep(self, result: Response) -> None:
        """Add to :attr:`recent`, within the audio retention bound (reader thread)."""
        self._recent.append(result)
        if self._retention is None:
            return
        budget = int(self._retention * bytes_per_second(result.audio_format))
        held = sum(len(r.audio_bytes) for r in self._recent)
        for i, old in enumerate(self._recent):
            if held <= budget:
                break
            if old.audio_bytes:
                held -= len(old.audio_bytes)
                self._recent[i] = attrs.evolve(old, audio_bytes=b"")

    @property
    def recent(self) -> list[Response]:
        """The last finished responses (up to 32), oldest first."""
        return list(self._recent)

    def response_of(self, response_id: str) -> bool:
        """Whether ``response_id`` is live (between created and done)."""
        return response_id in self._live

    def session_lost(self, exc: BaseException, held: frozenset[str]) -> None:
        """The session is gone and a new one is coming (a reconnection).

        Responses in progress and requests the old session received fail with
        ``exc``; requests it never received (their ``response.create`` is in
        ``held``, the events the client sends again after reconnecting) and queued
        requests stay pending for the new session. If nothing is active then, the
        first queued request is sent (the client holds it until the new session).
        """
        with self._lock:
            failed = [lv.handle for lv in self._live.values() if lv.handle is not None]
            self._live.clear()
            kept: deque[_Request] = deque()
            for req in self._order:
                if req.handle.request_id in held:
                    kept.append(req)
                else:
                    failed.append(req.handle)
                    self._requests.pop(req.handle.request_id, None)
            self._order = kept
            self._busy = any(r.default for r in kept)
            nxt = None
            if not self._busy and self._queue:
                nxt = self._queue.popleft()
                self._register(nxt)
        for handle in failed:
            handle._fail(exc)
        if nxt is not None:
            try:
                self._transmit(nxt)
            except BaseException as error:
                nxt.handle._fail(error)

    def fail_all(self, exc: BaseException) -> None:
        """Fail every pending handle (the connection closed)."""
        with self._lock:
            handles = [r.handle for r in (*self._order, *self._queue)]
            handles += [
                lv.handle for lv in self._live.values() if lv.handle is not None
            ]
            self._order.clear()
            self._queue.clear()
            self._requests.clear()
            self._live.clear()
            self._busy = False
        for handle in handles:
            handle._fail(exc)


def _timings(live: _Live, done: float) -> ResponseTimings:
    def ms(t: float | None) -> float | None:
        if t is None or live.start is None:
            return None
        return round((t - live.start) * 1000.0, 3)

    return ResponseTimings(
        first_text_ms=ms(live.first_text),
        first_audio_ms=ms(live.first_audio),
        done_ms=ms(done),
        measured_from="response.create" if live.handle is not None else "commit",
    )
