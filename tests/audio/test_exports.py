"""The public surface of realtime_sync.audio."""

from __future__ import annotations

import inspect
from pathlib import Path

import realtime_sync.audio as audio


def test_all_is_complete_and_resolvable() -> None:
    """__all__ lists every public name the package defines, and each one exists."""
    public = {
        name
        for name, value in vars(audio).items()
        if not name.startswith("_")
        and not inspect.ismodule(value)
        and name != "annotations"
    }
    assert set(audio.__all__) == public
    assert all(hasattr(audio, name) for name in audio.__all__)


def test_public_callables_are_documented() -> None:
    """Every exported function and class has a docstring with a summary line."""
    for name in audio.__all__:
        value = getattr(audio, name)
        if callable(value):
            assert inspect.getdoc(value), name


def test_import_needs_only_numpy() -> None:
    """Importing realtime_sync.audio loads neither scipy, soxr nor samplerate."""
    import subprocess
    import sys

    code = (
        "import sys, realtime_sync.audio as a; a.Resampler(48000, 24000); "
        "bad = [m for m in ('scipy', 'soxr', 'samplerate') if m in sys.modules]; "
        "assert not bad, bad"
    )
    root = Path(__file__).resolve().parents[2]
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60, cwd=root)
