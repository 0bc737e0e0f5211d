"""The Live client's output side: turns, answers, playback, replay.

:class:`LiveOutputAPI` is a mixin of :class:`~realtime_sync.live.LiveClient`:
``on_turn`` handlers, :meth:`~LiveOutputAPI.wait_for_answer` (Live has no
"response done": speech after the last input, then quiet on the output track),
the output track into an ``rs.audio.Player``, and replaying a recording.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

from realtime_sync import _b64
from realtime_sync.live import events as lev
from realtime_sync.live._audio import decode_output
from realtime_sync.live._core import LiveCore
from realtime_sync.live._handlers import LiveEventsAPI
from realtime_sync.live._turns import Turn

__all__ = ["LiveOutputAPI"]


class LiveOutputAPI(LiveEventsAPI):
    """Turns, answers, playback and replay of :class:`~realtime_sync.live.LiveClient`."""

    _core: LiveCore
    _answer_mark: int

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
