"""Golden Live payloads (see make_live_data.py): CI never reads ``../shared``."""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

import attrs

__all__ = ["LivePayload", "live_payloads"]

DATA = Path(__file__).resolve().parent


@attrs.frozen
class LivePayload:
    """One Live example frame: who sends it, where it comes from, the JSON."""

    direction: str
    source: str
    payload: dict[str, Any]

    @property
    def id(self) -> str:
        """A short test id: ``source:direction:type``."""
        return f"{self.source}:{self.direction}:{self.payload['type']}"


@functools.cache
def live_payloads() -> tuple[LivePayload, ...]:
    """The generated catalog examples, then the examples of LIVE_PROTOCOL.md."""
    rows: list[LivePayload] = []
    with (DATA / "catalog-examples-live.jsonl").open(encoding="utf-8") as f:
        for line in f:
            row = json.loads(line)
            rows.append(
                LivePayload(
                    row["direction"], f"catalog/{row['variant']}", row["payload"]
                )
            )
    with (DATA / "protocol-examples-live.json").open(encoding="utf-8") as f:
        for row in json.load(f):
            rows.append(
                LivePayload(row["direction"], f"doc§{row['section']}", row["payload"])
            )
    return tuple(rows)
