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

Sans-I/O: the tracker sends nothing and settles no handle itself. It says what
should happen in an :class:`~realtime_sync.session.Effects` (requests to send now,
handles to resolve or fail), which the threaded client carries out after releasing
the lock that serialises every call into the session core.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from typing import Any

import attrs

from realtime_sync import events as ev
from realtime_sync._formats import bytes_per_second
from realtime_sync.exceptions import ServerError
from realtime_sync.session._effects import Effects, Pending
from realtime_sync.session._response import Response, ResponseTimings, _Collector

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

    __slots__ = (
        "audio_size",
        "collector",
        "default",
        "first_audio",
        "first_text",
        "handle",
        "start",
    )

    def __init__(self, handle: Pending | None, start: float | None, default: bool):
        self.handle = handle
        self.start = start
        self.default = default
        self.collector = _Collector()
        self.first_text: float | None = None
        self.first_audio: float | None = None
        self.audio_size = 0  # decoded bytes of the audio deltas collected


class _Deferred:
    """A finished response nobody holds a handle for, not yet built.

    Building a :class:`Response` decodes and joins its audio (some 200 us for nine
    seconds of it); most such responses (server VAD) are never read, so that waits
    until :attr:`ResponseTracker.recent` is.
    """

    __slots__ = ("audio_format", "collector", "event", "size", "timings")

    def __init__(
        self, live: _Live, event: ev.ResponseDone, fmt: str, timings: ResponseTimings
    ) -> None:
        self.collector = live.collector
        self.size = live.audio_size
        self.event = event
        self.audio_format = fmt
        self.timings = timings

    def drop_audio(self) -> None:
        """The retention bound took its audio."""
        self.collector.audio = []
        self.size = 0

    def finish(self) -> Response:
        """The :class:`Response`, built now."""
        return self.collector.finish(self.event, self.audio_format, self.timings)


def _audio_size(r: Response | _Deferred) -> int:
    """The decoded audio bytes ``r`` holds (the retention bound counts these)."""
    return r.size if isinstance(r, _Deferred) else len(r.audio_bytes)


class _Request:
    """A ``response.create`` of ours: its handle, the event, whether it is queued."""

    __slots__ = ("default", "event", "handle", "sent_at")

    def __init__(self, handle: Pending, event: ev.ResponseCreate, default: bool):
        self.handle = handle
        self.event = event
        self.default = default
        self.sent_at: float | None = None


class ResponseTracker:
    """See the module docstring. Not thread-safe: the caller serialises calls.

    Args:
        audio_format: Returns the session's output format type when a response ends.
        clock: The monotonic clock (injectable for tests).
        audio_retention_seconds: Audio the finished responses of :attr:`recent` keep
            together (older responses lose their audio first); None keeps all.
    """

    def __init__(
        self,
        audio_format: Callable[[], str],
        clock: Callable[[], float] = time.monotonic,
        audio_retention_seconds: float | None = None,
    ) -> None:
        self._audio_format = audio_format
        self._clock = clock
        self._requests: dict[str, _Request] = {}  # request id -> sent, not yet created
        self._order: deque[_Request] = deque()  # sent, not yet created, in order
        self._queue: deque[_Request] = deque()  # waiting for the default conversation
        self._live: dict[str, _Live] = {}  # response id -> live response
        self._busy = False  # a default-conversation response is active or requested
        self._echoes_metadata = False
        self._last_commit: float | None = None
        self._usage = UsageTotals()
        # Finished responses; those nobody holds a handle for stay _Deferred (their
        # audio not decoded) until ``recent`` is read.
        self._recent: deque[Response | _Deferred] = deque(maxlen=32)
        self._retention = audio_retention_seconds

    # -- requests ----------------------------------------------------------------------

    @property
    def usage(self) -> UsageTotals:
        """Session usage totals so far."""
        return self._usage

    @property
    def active(self) -> bool:
        """Whether a default-conversation response is active (or requested)."""
        return self._busy

    @property
    def queued(self) -> int:
        """Requests waiting for the default conversation to be free."""
        return len(self._queue)

    def request(self, handle: Pending, event: ev.ResponseCreate) -> bool:
        """Take a request: True to send ``event`` now, False when it was queued.

        A request sent now whose send fails must be withdrawn with
        :meth:`request_failed`.
        """
        params = event.response
        default = not (
            isinstance(params, ev.ResponseCreateParams)
            and params.conversation == "none"
        )
        req = _Request(handle, event, default)
        if default and (self._busy or self._queue):
            self._queue.append(req)
            return False
        self._register(req)
        return True

    def request_failed(self, handle: Pending) -> None:
        """Forget a request whose ``response.create`` could not be sent."""
        req = self._requests.get(handle.request_id)
        if req is not None:
            self._forget(req)

    def _register(self, req: _Request) -> None:
        req.sent_at = self._clock()
        self._requests[req.handle.request_id] = req
        self._order.append(req)
        if req.default:
            self._busy = True

    def _next_request(self, out: Effects) -> None:
        """Let the first queued request go (the default conversation is free)."""
        if self._queue:
            nxt = self._queue.popleft()
            self._register(nxt)
            out.requests.append((nxt.handle, nxt.event))

    def _forget(self, req: _Request) -> None:
        self._requests.pop(req.handle.request_id, None)
        if req in self._order:
            self._order.remove(req)
        if req in self._queue:
            self._queue.remove(req)
        if req.default and not any(lv.default for lv in self._live.values()):
            self._busy = any(r.default for r in self._order)

    # -- server events -----------------------------------------------------------------

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

    def on_delta(self, event: Any, size: int = 0) -> None:
        """A text, transcript or audio delta of a response (its delta is a str).

        ``size``: the decoded size of an audio delta (the retention bound counts it).
        """
        live = self._live.get(event.response_id)
        if live is None:
            return
        cls = type(event)
        if cls is ev.ResponseOutputAudioDelta:
            live.collector.audio.append(event.delta)
            live.audio_size += size
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

    def on_done(self, event: ev.ResponseDone, out: Effects) -> None:
        """``response.done``: finish the handle, count usage, free the next request."""
        # Typed as required, but a lenient decode leaves it UNSET when it is absent.
        resp: object = event.response
        if not isinstance(resp, ev.RealtimeResponse):
            return  # a malformed event (no response): nothing to track
        rid = resp.id if isinstance(resp.id, str) else None
        now = self._clock()
        live = self._live.pop(rid, None) if rid is not None else None
        if resp.usage is not None and resp.usage is not ev.UNSET:
            self._usage = self._usage.add(resp.usage)
        if live is None or live.default:
            still = any(lv.default for lv in self._live.values()) or any(
                r.default for r in self._order
            )
            self._busy = still
            if not still:
                self._next_request(out)
        if live is not None:
            timings = _timings(live, now)
            if live.handle is None:
                # Nobody waits for it: decoding its audio waits for ``recent``.
                self._keep(_Deferred(live, event, self._audio_format(), timings))
                return
            result = live.collector.finish(event, self._audio_format(), timings)
            self._keep(result)
            out.resolved.append((live.handle, result))

    def on_error(self, event: ev.Error, out: Effects) -> bool:
        """An ``error`` event; True when it answered one of our requests."""
        failed = getattr(event.error, "event_id", None)
        if not isinstance(failed, str):
            return False
        code = getattr(event.error, "code", None)
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
        out.failed.append(
            (
                req.handle,
                ServerError(
                    message if isinstance(message, str) else "error", event=event
                ),
            )
        )
        return True

    def _keep(self, result: Response | _Deferred) -> None:
        """Add to :attr:`recent`, within the audio retention bound."""
        self._recent.append(result)
        if self._retention is None:
            return
        budget = int(self._retention * bytes_per_second(result.audio_format))
        held = sum(_audio_size(r) for r in self._recent)
        for i, old in enumerate(self._recent):
            if held <= budget:
                break
            size = _audio_size(old)
            if size:
                held -= size
                if isinstance(old, _Deferred):
                    old.drop_audio()
                else:
                    self._recent[i] = attrs.evolve(old, audio_bytes=b"")

    @property
    def recent(self) -> list[Response]:
        """The last finished responses (up to 32), oldest first.

        A response nobody waited for is built here, the first time it is read (its
        audio decoded and joined), and kept built.
        """
        built: list[Response] = []
        for i, r in enumerate(self._recent):
            if isinstance(r, _Deferred):
                r = self._recent[i] = r.finish()
            built.append(r)
        return built

    def response_of(self, response_id: str) -> bool:
        """Whether ``response_id`` is live (between created and done)."""
        return response_id in self._live

    # -- the end of a session --------------------------------------------------------

    def session_lost(
        self, exc: BaseException, held: frozenset[str], out: Effects
    ) -> None:
        """The session is gone and a new one is coming (a reconnection).

        Responses in progress and requests the old session received fail with
        ``exc``; requests it never received (their ``response.create`` is in
        ``held``, the events the client sends again after reconnecting) and queued
        requests stay pending for the new session. If nothing is active then, the
        first queued request may go (the client holds it until the new session).
        """
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
        out.failed.extend((handle, exc) for handle in failed)
        if not self._busy:
            self._next_request(out)

    def withdraw(
        self,
        request_ids: frozenset[str],
        error: Callable[[str], BaseException],
        out: Effects,
        needs_context: Callable[[ev.ResponseCreate], bool],
    ) -> set[str]:
        """Fail requests that must not reach a new session lacking the conversation.

        The requests of ``request_ids`` (sent to no session yet) fail, and so do the
        queued requests for which ``needs_context`` is true. Each handle fails with
        ``error(request_id)``.

        Returns:
            The request ids whose handle was failed.
        """
        gone = [r for r in self._order if r.handle.request_id in request_ids]
        gone += [r for r in self._queue if needs_context(r.event)]
        for req in gone:
            self._requests.pop(req.handle.request_id, None)
            if req in self._order:
                self._order.remove(req)
            else:
                self._queue.remove(req)
            out.failed.append((req.handle, error(req.handle.request_id)))
        self._busy = any(lv.default for lv in self._live.values()) or any(
            r.default for r in self._order
        )
        if not self._busy:
            self._next_request(out)
        return {r.handle.request_id for r in gone}

    def fail_all(self, exc: BaseException, out: Effects) -> None:
        """Fail every pending handle (the connection closed for good)."""
        handles = [r.handle for r in (*self._order, *self._queue)]
        handles += [lv.handle for lv in self._live.values() if lv.handle is not None]
        self._order.clear()
        self._queue.clear()
        self._requests.clear()
        self._live.clear()
        self._busy = False
        out.failed.extend((handle, exc) for handle in handles)


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
