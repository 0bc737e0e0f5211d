"""The Live client's output side: turns, answers, playback, replay.

:class:`LiveOutputAPI` is a mixin of :class:`~realtime_sync.live.LiveClient`:
``on_turn`` handlers, :meth:`~LiveOutputAPI.wait_for_answer` (Live has no
"response done": speech after the last input, then quiet on the output track),
the output track into an ``rs.audio.Player``, and replaying a recording.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any, TypeVar

import attrs

from realtime_sync import _b64
from realtime_sync.live import events as lev
from realtime_sync.live._audio import decode_output
from realtime_sync.live._core import LiveCore
from realtime_sync.live._handlers import LiveEventsAPI
from realtime_sync.live._turns import Turn

__all__ = ["LiveOutputAPI"]

M = TypeVar("M")


def _nested_type(event: object) -> str:
    """The nested wire type of a Responses event class (or the string itself)."""
    if isinstance(event, str) and event:
        return event
    if isinstance(event, type) and event in lev.RESPONSES_EVENTS.values():
        default = attrs.fields_dict(event)["type"].default
        if isinstance(default, str):
            return default
    raise TypeError(
        "expected a class of realtime_sync.live.events.responses or a nested type "
        f"string, not {event!r}"
    )


class LiveOutputAPI(LiveEventsAPI):
    """Turns, answers, playback and replay of :class:`~realtime_sync.live.LiveClient`."""

    _core: LiveCore
    _answer_mark: int
    _nested: dict[tuple[str, Callable[[Any], Any]], Callable[[Any], None]]

    def on_response_event(
        self, event: type[M] | str, handler: Callable[[M], Any] | None = None
    ) -> Any:
        """Register a typed handler for one kind of wrapped backend event.

        Under Responses delegation the backend's events arrive wrapped in
        ``response.event``; this unwraps them: the handler gets the nested event
        (``lev.ResponseOutputTextDelta``, ...) when its type matches, on the
        reader thread. A nested event decoded leniently (an ``UnknownModel``,
        for a trimmed snapshot) is passed as it is. For the ``delegation_id``,
        register ``on(lev.ResponseEvent, ...)`` instead. Decorator or call;
        remove it with :meth:`off_response_event`.

        Args:
            event: A class of :mod:`realtime_sync.live.events.responses`, or a
                nested type string (``"response.output_text.delta"``).
            handler: The callable; omit it to use this as a decorator.

        Raises:
            TypeError: Not a nested Responses event class or a string.
        """
        wanted = _nested_type(event)
        if handler is None:

            def decorator(fn: Callable[[M], Any]) -> Callable[[M], Any]:
                self._add_nested(wanted, fn)
                return fn

            return decorator
        self._add_nested(wanted, handler)
        return handler

    def _add_nested(self, wanted: str, handler: Callable[[Any], Any]) -> None:
        if not callable(handler):
            raise TypeError("handler must be callable")

        def unwrap(envelope: lev.ResponseEvent) -> None:
            nested = envelope.event
            kind = getattr(nested, "type", None)
            if kind == wanted:
                handler(nested)

        with self._lock:
            self._nested = {**self._nested, (wanted, handler): unwrap}
        self.on(lev.ResponseEvent, unwrap)

    def off_response_event(
        self, event: type[Any] | str, handler: Callable[[Any], Any]
    ) -> bool:
        """Remove a handler registered with :meth:`on_response_event`.

        Returns:
            True if it was registered.
        """
        key = (_nested_type(event), handler)
        with self._lock:
            nested = dict(self._nested)
            unwrap = nested.pop(key, None)
            self._nested = nested
        return unwrap is not None and self.off(lev.ResponseEvent, unwrap)

    @property
    def turns(self) -> list[Turn]:
        """The transcript grouped into turns (every session's), oldest first."""
        with self._lock:
            return self._core.turns.turns()

    @property
    def transcript(self) -> str:
        """The transcript as text, one ``role: text`` line per turn."""
        return "\n".join(f"{t.role}: {t.text.strip()}" for t in self.turns)

    def on_turn(self, handler: Callable[[Turn], Any]) -> Callable[[Turn], Any]:
        """Register a handler called with each finished :class:`Turn` (reader thread).

        A turn finishes when the other speaker starts after it, or the session
        ends (decorator or call).
        """
        return self._add_hook("turn", handler)

    def wait_for_answer(
        self, timeout: float | None = 60.0, *, quiet_ms: float = 1000.0
    ) -> Turn:
        """Block until the assistant answered the audio appended last.

        Live has no "response done": the model speaks when it decides to. This
        waits for assistant speech that began after the latest
        :meth:`append_audio` call, followed by ``quiet_ms`` of output track
        without assistant speech (the output track is continuous, so its length
        follows the session's timeline, not the wall clock).

        Args:
            timeout: Seconds; None waits for ever.
            quiet_ms: Output-track milliseconds without speech that end the answer.

        Returns:
            The assistant's latest :class:`Turn`.

        Raises:
            Timeout: No answer in time.
            ConnectionClosed: The connection closed first.
            RuntimeError: Called from a handler.
        """
        mark = self._answer_mark
        core = self._core

        def answered(_: Any) -> bool:
            return (
                core.assistant_deltas > mark
                and core.output_ms - core.last_assistant_output_ms >= quiet_ms
            )

        self.wait_for(lev.SessionOutputAudioDelta, answered, timeout)
        turns = [t for t in self.turns if t.role == "assistant"]
        return turns[-1]

    def play(self, player: Any) -> Callable[[Any], None]:
        """Send the output track to ``player`` (an ``rs.audio.Player``).

        Registers a handler of ``session.output_audio.delta`` that hands the
        decoded samples (G.711 decoded) to ``player.play("live", samples)``.

        Returns:
            The handler (pass it to :meth:`off` to stop).
        """
        if not callable(getattr(player, "play", None)):
            raise TypeError("player must have a play(item_id, audio) method")

        def on_audio(event: lev.SessionOutputAudioDelta) -> None:
            data = _b64.decode(event.delta)
            player.play("live", decode_output(data, self._core.input_format()))

        self.on(lev.SessionOutputAudioDelta, on_audio)
        return on_audio

    def replay(self, path: str | os.PathLike[str], *, pace: bool = False) -> int:
        """Feed the server frames of a recording (``record=``) through this client.

        Handlers, turns and usage see them as if they had arrived; no network.
        The client must not be connected.

        Returns:
            The number of frames replayed.
        """
        from realtime_sync.recording import replay

        return replay(path, self, pace=pace)  # type: ignore[arg-type]
