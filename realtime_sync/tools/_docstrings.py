"""Descriptions for tool schemas, read from Google-style docstrings.

The first paragraph of a function's docstring becomes the tool description, its
``Args:`` entries the parameter descriptions, and an attrs class's or TypedDict's
``Attributes:`` entries the descriptions of its fields.
"""

from __future__ import annotations

import inspect
import re

__all__ = ["section", "summary"]

_ENTRY_RE = re.compile(r"^\*{0,2}(\w+)\s*(?:\([^)]*\))?\s*:\s*(.*)$")


def summary(doc: str | None) -> str:
    """The first paragraph of a docstring, on one line ("" without a docstring)."""
    if not doc:
        return ""
    lines = inspect.cleandoc(doc).splitlines()
    paragraph: list[str] = []
    for line in lines:
        if not line.strip():
            break
        paragraph.append(line.strip())
    return " ".join(paragraph)


def section(doc: str | None, names: tuple[str, ...]) -> dict[str, str]:
    """Entries of a Google-style section (``Args:``) as {name: one-line description}."""
    if not doc:
        return {}
    lines = inspect.cleandoc(doc).splitlines()
    out: dict[str, str] = {}
    inside = False
    section_indent = 0
    entry_indent: int | None = None
    current: str | None = None
    for line in lines:
        stripped = line.strip()
        indent = len(line) - len(line.lstrip())
        if not inside:
            if stripped.rstrip(":") in names and stripped.endswith(":"):
                inside, section_indent, entry_indent, current = True, indent, None, None
            continue
        if not stripped:
            continue
        if indent <= section_indent:
            # A dedent ends the section; another section may still follow.
            inside = stripped.rstrip(":") in names and stripped.endswith(":")
            entry_indent, current = None, None
            continue
        if entry_indent is None:
            entry_indent = indent
        match = _ENTRY_RE.match(stripped) if indent == entry_indent else None
        if match:
            current = match.group(1)
            out[current] = match.group(2).strip()
        elif current is not None:
            out[current] = f"{out[current]} {stripped}".strip()
    return out
