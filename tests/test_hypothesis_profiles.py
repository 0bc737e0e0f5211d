"""The Hypothesis profiles of tests/conftest.py: fixed under CI, a printed seed locally."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

DRAWING_TEST = """
import os

from hypothesis import given, strategies as st


@given(st.integers())
def test_draw(x):
    with open(os.environ["DRAWS"], "a") as out:
        out.write(f"{x}\\n")
"""


def _run(tmp_path: Path, name: str, ci: bool, *args: str) -> tuple[str, list[str]]:
    """Run the drawing test under tests/conftest.py; return the header and the draws."""
    env = {k: v for k, v in os.environ.items() if k not in ("CI", "HYPOTHESIS_PROFILE")}
    if ci:
        env["CI"] = "true"
    env["PYTHONPATH"] = str(ROOT)
    env["DRAWS"] = str(tmp_path / f"{name}.txt")
    (tmp_path / "test_drawing.py").write_text(DRAWING_TEST, encoding="utf-8")
    done = subprocess.run(
        [
            *(sys.executable, "-m", "pytest", "-p", "tests.conftest"),
            *("-p", "no:cacheprovider", "--rootdir", str(tmp_path)),
            *("test_drawing.py", *args),
        ],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=50,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    header = next(ln for ln in done.stdout.splitlines() if ln.startswith("hypothesis:"))
    return header, (tmp_path / f"{name}.txt").read_text().split()


@pytest.mark.timeout(120)
def test_ci_profile_is_derandomized(tmp_path: Path) -> None:
    """With CI set, two runs draw the same examples, and the header says why."""
    header, first = _run(tmp_path, "first", ci=True)
    _, second = _run(tmp_path, "second", ci=True)

    assert "profile 'ci', derandomize=True" in header
    assert first == second


@pytest.mark.timeout(120)
def test_local_runs_print_the_seed_that_reproduces_them(tmp_path: Path) -> None:
    """Without CI, runs explore at random under a printed seed that reproduces them."""
    header, first = _run(tmp_path, "first", ci=False)
    _, other = _run(tmp_path, "other", ci=False)
    match = re.search(
        r"profile 'dev', seed (\d+) \(rerun with --hypothesis-seed=\1\)", header
    )
    assert match, header
    _, again = _run(tmp_path, "again", False, f"--hypothesis-seed={match.group(1)}")

    assert again == first
    assert other != first
