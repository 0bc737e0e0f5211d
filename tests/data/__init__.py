"""Loaders for the golden payloads of ``tests/data/`` (see README.md there)."""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

import attrs

__all__ = [
    "DATA",
    "Payload",
    "all_payloads",
    "beta_docs",
    "catalog_examples",
    "ga_conversation",
    "ga_conversation_lines",
    "protocol_examples",
]

DATA = Path(__file__).resolve().parent


@attrs.frozen
class Payload:
    """One example frame: its dialect, who sends it, where it comes from, the JSON."""

    dialect: str
    direction: str
    source: str
    payload: dict[str, Any]

    @property
    def id(self) -> str:
        """A short test id: ``source:type``."""
        return f"{self.source}:{self.payload['type']}"


def _jsonl(name: str) -> list[Any]:
    with (DATA / name).open(encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


@functools.cache
def ga_conversation_lines() -> tuple[str, ...]:
    """The recorded GA conversation, one server frame per line, as text."""
    with (DATA / "ga-conversation.jsonl").open(encoding="utf-8") as f:
        return tuple(line.rstrip("\n") for line in f if line.strip())


def ga_conversation() -> list[Payload]:
    """The recorded GA conversation as payloads."""
    return [
        Payload("ga", "server", f"ga-conversation#{i}", json.loads(line))
        for i, line in enumerate(ga_conversation_lines(), 1)
    ]


def beta_docs() -> list[Payload]:
    """The JSON examples of the beta API reference docs."""
    return [
        Payload("beta", row["direction"], f"beta-docs@{row['line']}", row["payload"])
        for row in _jsonl("beta-docs-examples.jsonl")
    ]


def protocol_examples() -> list[dict[str, Any]]:
    """The JSON blocks of REALTIME_PROTOCOL.md with their section and dialect."""
    with (DATA / "protocol-examples.json").open(encoding="utf-8") as f:
        rows: list[dict[str, Any]] = json.load(f)
    return rows


def protocol_event_examples() -> list[Payload]:
    """The JSON blocks of REALTIME_PROTOCOL.md that are events."""
    return [
        Payload(
            row["dialect"],
            row["direction"],
            f"protocol§{row['section']}",
            row["payload"],
        )
        for row in protocol_examples()
        if row["kind"] == "event"
    ]


def catalog_examples(dialect: str) -> list[Payload]:
    """The generated examples of every event type of one catalog."""
    return [
        Payload(
            dialect,
            row["direction"],
            f"catalog-{dialect}/{row['variant']}",
            row["payload"],
        )
        for row in _jsonl(f"catalog-examples-{dialect}.jsonl")
    ]


@functools.cache
def all_payloads() -> tuple[Payload, ...]:
    """Every example frame of ``tests/data/``."""
    return (
        *ga_conversation(),
        *beta_docs(),
        *protocol_event_examples(),
        *catalog_examples("ga"),
        *catalog_examples("beta"),
    )
