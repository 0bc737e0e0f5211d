"""The Sphinx documentation builds without a warning, and its Python examples parse."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parent.parent / "docs"

# ``.. code-block:: python`` (or python3) and its indented body.
_CODE_BLOCK = re.compile(
    r"^(?P<indent>[ \t]*)\.\. code-block:: python3?[ \t]*\n"
    r"(?:(?P=indent)[ \t]+:[^\n]*\n)*"  # options such as :caption:
    r"[ \t]*\n"
    r"(?P<body>(?:(?:(?P=indent)[ \t]+[^\n]*)?\n)+)",
    re.MULTILINE,
)


def _python_blocks() -> list[tuple[str, int, str]]:
    blocks = []
    for page in sorted(DOCS.rglob("*.rst")):
        text = page.read_text(encoding="utf-8")
        for match in _CODE_BLOCK.finditer(text):
            line = text.count("\n", 0, match.start()) + 1
            code = match.group("body")
            lines = [ln for ln in code.splitlines() if ln.strip()]
            margin = min(len(ln) - len(ln.lstrip()) for ln in lines)
            body = "\n".join(ln[margin:] for ln in code.splitlines())
            blocks.append((f"{page.relative_to(DOCS)}:{line}", line, body))
    return blocks


def test_docs_have_python_examples() -> None:
    """The docs' code blocks are found (so the parse test below checks something)."""
    assert len(_python_blocks()) >= 30


@pytest.mark.parametrize(
    "where, body",
    [(where, body) for where, _, body in _python_blocks()],
    ids=[where for where, _, _ in _python_blocks()],
)
def test_python_example_parses(where: str, body: str) -> None:
    """Every ``code-block:: python`` in the docs is valid Python syntax."""
    ast.parse(body, filename=where)


# setup.cfg turns every Python warning into an error. Sphinx's own extensions raise
# deprecation warnings about Sphinx's internals (Sphinx 9's napoleon uses the autodoc
# options mapping it deprecates for Sphinx 11): not ours to fix, and Sphinx's *build*
# warnings, the ones about our docs, are errors anyway through ``-W``.
@pytest.mark.filterwarnings("ignore::DeprecationWarning")
@pytest.mark.filterwarnings("ignore::PendingDeprecationWarning")
@pytest.mark.timeout(180)
def test_docs_build_without_warnings(tmp_path: Path) -> None:
    """``sphinx -W --keep-going -b html`` succeeds and the API page has the client."""
    pytest.importorskip("sphinx")
    from sphinx.cmd.build import build_main

    out = tmp_path / "html"
    status = build_main(
        [
            "-W",
            "--keep-going",
            "-q",
            "-b",
            "html",
            "-d",
            str(tmp_path / "doctrees"),
            str(DOCS),
            str(out),
        ]
    )

    assert status == 0
    api = (out / "api" / "realtime_sync.html").read_text(encoding="utf-8")
    assert "RealtimeClient.connect" in api
    events = (out / "api" / "events.html").read_text(encoding="utf-8")
    assert "response.output_audio.delta" in events  # the generated event table
