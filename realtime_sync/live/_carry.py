"""What a new Live session is given of the lost one: the transcript as ``input``.

A Live session cannot be resumed (LIVE_PROTOCOL.md §2.7): after a lost connection
the client starts a *new* session. To keep the conversation going, the new
``session.start`` carries the previous conversation in ``session.input``, the only
place a Live session accepts history: at most :data:`MAX_INPUT_MESSAGES` text
messages (developer, user or assistant, one text part each). This module turns the
configured ``input``, the transcript turns and the acknowledged session-wide
instruction appends into those messages, newest kept, and says what was dropped.

Pure data: no I/O.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import attrs

from realtime_sync.live._turns import Turn

__all__ = ["MAX_INPUT_MESSAGES", "CarriedOver", "carry_over", "message"]

#: The protocol's bound on ``session.input`` (text messages).
MAX_INPUT_MESSAGES = 128


@attrs.frozen(kw_only=True)
class CarriedOver:
    """What a reconnection gave the new session (``LiveReconnected.carried``).

    Attributes:
        messages: Messages put in the new session's ``input`` (configured input
            included), oldest first.
        turns: Transcript turns among them.
        instructions: Instruction appends among them (as developer messages).
        dropped_messages: Older messages left out to stay within
            :data:`MAX_INPUT_MESSAGES` (newest kept).
        dropped_text: The text of the messages left out, oldest first, so that
            nothing is lost silently.
        resent_appends: Context appends sent again because the lost session had
            not acknowledged them.
    """

    messages: int
    turns: int
    instructions: int
    dropped_messages: int
    dropped_text: tuple[str, ...] = attrs.field(repr=False, default=())
    resent_appends: int = 0


def message(role: str, text: str) -> dict[str, Any]:
    """One ``session.input`` message of ``role`` holding ``text`` (wire shape)."""
    part = "output_text" if role == "assistant" else "input_text"
    return {
        "type": "message",
        "role": role,
        "content": [{"type": part, "text": text}],
    }


def carry_over(
    configured: Sequence[Mapping[str, Any]],
    turns: Iterable[Turn],
    instructions: Iterable[tuple[int, int, str]],
    limit: int = MAX_INPUT_MESSAGES,
) -> tuple[list[dict[str, Any]], CarriedOver]:
    """The ``input`` of a new session that continues the conversation.

    Args:
        configured: The ``input`` messages of the client's configuration (first).
        turns: The transcript turns so far, every session's, in order.
        instructions: Acknowledged session-wide instruction appends as
            ``(session, start_ms, text)``; placed among the turns by timeline.
        limit: The most messages to send (newest kept).

    Returns:
        The messages, and the :class:`CarriedOver` summary (without
        ``resent_appends``, which the client adds).
    """
    timeline: list[tuple[int, int, int, dict[str, Any], str]] = []
    for order, turn in enumerate(turns):
        if not turn.text.strip():
            continue
        timeline.append(
            (turn.session, turn.start_ms, order, message(turn.role, turn.text), "turn")
        )
    for order, (session, start_ms, text) in enumerate(instructions):
        # After a turn that starts at the same position: appends land mid-speech.
        timeline.append(
            (session, start_ms, 1_000_000 + order, message("developer", text), "instr")
        )
    timeline.sort(key=lambda entry: entry[:3])
    messages = [dict(m) for m in configured] + [entry[3] for entry in timeline]
    kinds = ["configured"] * len(configured) + [entry[4] for entry in timeline]
    dropped = max(0, len(messages) - limit)
    dropped_text = tuple(_text(m) for m in messages[:dropped])
    kept_kinds = kinds[dropped:]
    kept = messages[dropped:]
    return kept, CarriedOver(
        messages=len(kept),
        turns=kept_kinds.count("turn"),
        instructions=kept_kinds.count("instr"),
        dropped_messages=dropped,
        dropped_text=dropped_text,
    )


def _text(msg: Mapping[str, Any]) -> str:
    content = msg.get("content")
    if isinstance(content, list) and content and isinstance(content[0], Mapping):
        text = content[0].get("text")
        if isinstance(text, str):
            return text
    return ""
