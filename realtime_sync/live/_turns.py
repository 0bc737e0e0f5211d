"""Transcripts grouped into turns, from the timeline stamps of the Live deltas.

Live has no items and no ``.done``: the user's and the assistant's transcripts come
as ``session.input_transcript.delta`` / ``session.output_transcript.delta``
fragments stamped with ``start_ms``/``end_ms`` on the session timeline. The session
is full duplex, so the two streams interleave and a late fragment of the user may
arrive after the assistant started answering.

The grouping rule (:class:`TurnBuilder`): a fragment extends the latest turn of its
role when it starts at most ``gap_ms`` after that turn's end and no turn of the
other role *started* in between (overlapping speech does not split a turn);
otherwise it starts a new turn. Turns are ordered by (session, start). A turn is
*finished* once a turn of the other role started after it ended, or when the
session ends; finished turns are reported once each. A late fragment stamped
before the other speaker's start still joins its turn afterwards (the turn's text
in :meth:`TurnBuilder.turns` grows; it is not reported again).

Pure data: no I/O, no threads, no clock.
"""

from __future__ import annotations

import attrs

__all__ = ["DEFAULT_TURN_GAP_MS", "Turn", "TurnBuilder"]

#: Silence within one speaker's speech that still counts as the same turn.
DEFAULT_TURN_GAP_MS = 2000


@attrs.frozen(kw_only=True)
class Turn:
    """One speaker's uninterrupted stretch of transcript.

    Attributes:
        role: ``"user"`` (input transcript) or ``"assistant"`` (output transcript).
        text: The fragments joined in the order they arrived.
        start_ms: Timeline position of the first fragment (ms since the start of
            the session it was spoken in).
        end_ms: Timeline position of the end of the last fragment.
        session: 0 for the first session; a reconnection starts a new session
            (and a new timeline), numbered 1, 2, ...
        finished: Whether the other speaker has spoken since (or the session
            ended): no more fragments will join it.
    """

    role: str
    text: str
    start_ms: int
    end_ms: int
    session: int = 0
    finished: bool = False


@attrs.define
class _Open:
    """A turn being built (mutable; snapshots are :class:`Turn`)."""

    role: str
    parts: list[str]
    start_ms: int
    end_ms: int
    session: int
    finished: bool = False

    def snapshot(self) -> Turn:
        return Turn(
            role=self.role,
            text="".join(self.parts),
            start_ms=self.start_ms,
            end_ms=self.end_ms,
            session=self.session,
            finished=self.finished,
        )


class TurnBuilder:
    """Builds :class:`Turn` s from transcript fragments (not thread-safe).

    Args:
        gap_ms: The longest pause inside one turn.
        max_turns: Turns kept (the oldest finished ones are forgotten first);
            ``None`` keeps all.
    """

    def __init__(
        self, gap_ms: int = DEFAULT_TURN_GAP_MS, max_turns: int | None = 1000
    ) -> None:
        if gap_ms < 0:
            raise ValueError("gap_ms must be >= 0")
        if max_turns is not None and max_turns < 1:
            raise ValueError("max_turns must be >= 1 or None")
        self._gap = gap_ms
        self._max = max_turns
        self._turns: list[_Open] = []
        self._session = 0
        self.dropped = 0  # turns forgotten because of max_turns

    @property
    def session(self) -> int:
        """The number of the current session (0 for the first)."""
        return self._session

    def turns(self) -> list[Turn]:
        """Snapshots of every turn kept, oldest first."""
        return [t.snapshot() for t in self._turns]

    def add(self, role: str, delta: str, start_ms: int, end_ms: int) -> list[Turn]:
        """Add one fragment; return the turns it finished (oldest first).

        Args:
            role: ``"user"`` or ``"assistant"``.
            delta: The text fragment.
            start_ms: Its timeline start.
            end_ms: Its timeline end (a smaller value is taken as ``start_ms``).
        """
        if role not in ("user", "assistant"):
            raise ValueError(f"role must be 'user' or 'assistant', not {role!r}")
        end_ms = max(end_ms, start_ms)
        mine = self._latest(role)
        if mine is not None and self._extends(mine, start_ms):
            mine.parts.append(delta)
            mine.end_ms = max(mine.end_ms, end_ms)
            mine.start_ms = min(mine.start_ms, start_ms)
            return []
        turn = _Open(role, [delta], start_ms, end_ms, self._session)
        # Ordered by (session, start): usually the end of the list.
        index = len(self._turns)
        while index > 0 and (
            self._turns[index - 1].session == self._session
            and self._turns[index - 1].start_ms > start_ms
        ):
            index -= 1
        self._turns.insert(index, turn)
        finished = self._finish_before(turn)
        self._bound()
        return finished

    def end_session(self) -> list[Turn]:
        """The session ended (closed, or lost before a reconnection).

        Every open turn is finished and returned; later fragments belong to the
        next session (a new timeline).
        """
        finished = []
        for turn in self._turns:
            if not turn.finished:
                turn.finished = True
                finished.append(turn.snapshot())
        self._session += 1
        return finished

    def _latest(self, role: str) -> _Open | None:
        for turn in reversed(self._turns):
            if turn.session != self._session:
                return None
            if turn.role == role:
                return turn
        return None

    def _extends(self, turn: _Open, start_ms: int) -> bool:
        if start_ms - turn.end_ms > self._gap:
            return False
        # Another speaker who started after this turn ended splits it.
        return not any(
            other.role != turn.role
            and other.session == turn.session
            and turn.end_ms < other.start_ms <= start_ms
            for other in self._turns
        )

    def _finish_before(self, new: _Open) -> list[Turn]:
        """Finish the other speaker's open turns that ended before ``new`` began."""
        finished = []
        for turn in self._turns:
            if (
                not turn.finished
                and turn.role != new.role
                and turn.session == new.session
                and turn.end_ms <= new.start_ms
            ):
                turn.finished = True
                finished.append(turn.snapshot())
        return finished

    def _bound(self) -> None:
        if self._max is None:
            return
        while len(self._turns) > self._max:
            self._turns.pop(0)
            self.dropped += 1
