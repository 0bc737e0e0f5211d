"""The input audio a session has not committed yet: :class:`InputAudioLog`.

A Realtime session's input buffer does not survive its connection. To carry it over
a reconnection, the session core logs the client's own ``input_audio_buffer.append``
and ``input_audio_buffer.commit`` events as they are put on a connection, and drops
them once the server acknowledges what became of them:

* ``input_audio_buffer.committed`` answering a commit of ours consumes every append
  logged before that commit (and the commit);
* a commit the server made by itself (server VAD) consumes the appends that end by
  the ``audio_end_ms`` of the ``speech_stopped`` (or ``timeout_triggered``) before
  it, counted, as the server counts it, in milliseconds of audio the connection
  carried; an append that straddles that point is kept whole (a few milliseconds
  of audio already committed may be sent again, never audio lost);
* ``input_audio_buffer.clear`` empties the log when it is sent: whatever happens to
  the connection, the audio before it is not wanted any more;
* an ``error`` answering a commit removes the commit and keeps the audio (the
  server kept it too).

What is left when the connection is lost is what the old session had and lost: the
client sends it again to the new session (:meth:`InputAudioLog.take`). The log keeps
at most ``keep_ms`` of audio; older uncommitted audio is only counted, and reported
as dropped at the reconnection. Sans-I/O and not thread-safe, like the core.
"""

from __future__ import annotations

from collections import deque

from realtime_sync import _b64
from realtime_sync import events as ev

__all__ = ["InputAudioLog"]

# audio_end_ms is a rounded integer: an append ending within this much of it counts
# as committed.
_SLACK_MS = 1.0


class _Entry:
    """One logged event: an append (``ms`` of audio), a commit, or dropped audio."""

    __slots__ = ("event", "ms", "resent", "start")

    def __init__(
        self,
        event: ev.ClientEvent | None,
        start: float,
        ms: float,
        resent: bool = False,
    ) -> None:
        self.event = event  # None: audio beyond the bound (counted, not kept)
        self.start = start  # ms of audio the connection carried before it
        self.ms = ms
        self.resent = resent  # written after a reconnection, from the held events


class InputAudioLog:
    """Appends and commits the server has not acknowledged (see the module docstring).

    Args:
        keep_ms: Milliseconds of uncommitted audio kept to be sent again; older
            audio is counted as dropped.
    """

    def __init__(self, keep_ms: float) -> None:
        self._keep_ms = keep_ms
        self._entries: deque[_Entry] = deque()
        self._kept_ms = 0.0  # audio of the append entries (payload kept)
        self._pos_ms = 0.0  # audio carried by the current connection
        self._vad_end: float | None = None

    def new_connection(self) -> None:
        """A new connection starts: its audio timeline starts at zero."""
        self._entries.clear()
        self._kept_ms = 0.0
        self._pos_ms = 0.0
        self._vad_end = None

    def append(self, event: ev.InputAudioBufferAppend, rate: int, resent: bool) -> None:
        """An append goes on the connection (``rate``: bytes per second)."""
        size = _b64.decoded_size(event.audio) if isinstance(event.audio, str) else 0
        ms = size * 1000.0 / rate
        self._entries.append(_Entry(event, self._pos_ms, ms, resent))
        self._pos_ms += ms
        self._kept_ms += ms
        if self._kept_ms > self._keep_ms:
            self._trim()

    def commit(self, event: ev.InputAudioBufferCommit, resent: bool) -> None:
        """A commit goes on the connection."""
        self._entries.append(_Entry(event, self._pos_ms, 0.0, resent))

    def clear(self) -> None:
        """A clear goes on the connection: nothing before it is wanted any more."""
        self._entries.clear()
        self._kept_ms = 0.0

    def withdraw(self, event: ev.ClientEvent) -> None:
        """``event`` was logged but could not be sent after all."""
        for entry in reversed(self._entries):
            if entry.event is event:
                self._entries.remove(entry)
                if type(event) is ev.InputAudioBufferAppend:
                    self._kept_ms -= entry.ms
                    self._pos_ms -= entry.ms
                return

    def vad_end(self, audio_end_ms: int) -> None:
        """``speech_stopped`` or ``timeout_triggered``: a commit up to there follows."""
        self._vad_end = float(audio_end_ms)

    def committed(self) -> None:
        """``input_audio_buffer.committed``: drop what the server committed."""
        entries = self._entries
        end, self._vad_end = self._vad_end, None
        if end is not None:
            while entries and self._is_audio(entries[0]):
                first = entries[0]
                if first.start + first.ms <= end + _SLACK_MS:
                    self._pop()
                elif first.event is None and first.start < end:
                    first.ms -= end - first.start  # dropped audio: split it
                    first.start = end
                    break
                else:
                    break
            return
        if any(type(e.event) is ev.InputAudioBufferCommit for e in entries):
            while entries:  # everything up to our oldest commit, and the commit
                if type(self._pop().event) is ev.InputAudioBufferCommit:
                    return
        while entries and self._is_audio(entries[0]):
            self._pop()  # committed by the server without saying up to where

    def commit_failed(self, event_id: str) -> bool | None:
        """An ``error`` answered ``event_id``: if a logged commit, forget it.

        Returns:
            None if ``event_id`` is not a logged commit, else whether that commit
            was sent after a reconnection (from the held events).
        """
        for entry in self._entries:
            event = entry.event
            if type(event) is ev.InputAudioBufferCommit and event.event_id == event_id:
                self._entries.remove(entry)
                return entry.resent
        return None

    def take(self) -> tuple[list[ev.ClientEvent], int]:
        """The connection is lost: what the next session must get again.

        Returns:
            The logged appends and commits in order, and the milliseconds of
            uncommitted audio that were beyond ``keep_ms`` (not kept). The log is
            empty afterwards.
        """
        events = [e.event for e in self._entries if e.event is not None]
        dropped = sum(e.ms for e in self._entries if e.event is None)
        self._entries.clear()
        self._kept_ms = 0.0
        return events, round(dropped)

    # -- internals ---------------------------------------------------------------------

    @staticmethod
    def _is_audio(entry: _Entry) -> bool:
        return entry.event is None or type(entry.event) is ev.InputAudioBufferAppend

    def _pop(self) -> _Entry:
        entry = self._entries.popleft()
        if entry.event is not None and entry.ms:
            self._kept_ms -= entry.ms
        return entry

    def _trim(self) -> None:
        """Drop the payload of the oldest appends beyond ``keep_ms`` (counted)."""
        out: deque[_Entry] = deque()
        for entry in self._entries:
            if (
                self._kept_ms > self._keep_ms
                and type(entry.event) is ev.InputAudioBufferAppend
            ):
                self._kept_ms -= entry.ms
                if out and out[-1].event is None:
                    out[-1].ms += entry.ms  # one entry for adjacent dropped audio
                else:
                    out.append(_Entry(None, entry.start, entry.ms))
            else:
                out.append(entry)
        self._entries = out
