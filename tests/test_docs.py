"""The Sphinx documentation builds without a warning, and its Python examples parse."""

from __future__ import annotations

import ast
import configparser
import json
import re
import sys
from importlib import metadata
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"

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


def _extras() -> dict[str, list[str]]:
    """The extras of setup.cfg: name -> the distribution names they require."""
    config = configparser.ConfigParser()
    config.read(ROOT / "setup.cfg", encoding="utf-8")
    return {
        name: [
            re.split(r"[ <>=!~;\[]", line.strip(), maxsplit=1)[0].lower()
            for line in value.splitlines()
            if line.strip()
        ]
        for name, value in config["options.extras_require"].items()
    }


def test_extras_table_names_every_extra() -> None:
    """Getting started's table of extras has a row for each extra of setup.cfg."""
    page = (DOCS / "getting-started.rst").read_text(encoding="utf-8")
    rows = set(re.findall(r"^``([a-z]+)``  ", page, re.MULTILINE))

    assert rows == set(_extras())


def test_notebook_names_the_extra_that_runs_it() -> None:
    """The notebook asks for an extra that installs every module it imports."""
    notebook = json.loads((ROOT / "examples" / "notebook.ipynb").read_text("utf-8"))
    intro = "".join(notebook["cells"][0]["source"])
    assert 'pip install "realtime-sync[notebook]"' in intro
    assert "pip install -e '.[notebook]'" in intro

    modules = set()
    for cell in notebook["cells"]:
        if cell["cell_type"] == "code":
            for node in ast.walk(ast.parse("".join(cell["source"]))):
                if isinstance(node, ast.Import):
                    modules.update(alias.name.split(".")[0] for alias in node.names)
                elif (
                    isinstance(node, ast.ImportFrom) and node.module and not node.level
                ):
                    modules.add(node.module.split(".")[0])
    third_party = modules - set(sys.stdlib_module_names) - {"realtime_sync"}
    # The kernel provides IPython; the mock server (imported through
    # realtime_sync.testing) needs websockets.
    needed = {"websockets"}
    for module in third_party - {"IPython"}:
        needed.update(d.lower() for d in metadata.packages_distributions()[module])
    core = {"numpy"}
    extra = set(_extras()["notebook"])

    assert "matplotlib" in needed
    assert needed - core <= extra
    assert "ipykernel" in extra
