"""What the command line modules share: the user error, output, WAV files.

:mod:`realtime_sync.cli` and the commands kept in modules of their own
(:mod:`realtime_sync._cli_live`) import these from here: a command module cannot
import them from :mod:`realtime_sync.cli`, which imports it to register the
command (the acyclic import contract).
"""

from __future__ import annotations

import sys
from typing import Any, TextIO

__all__ = ["CliError", "load_wav", "out", "save_wav"]


class CliError(Exception):
    """A one-line error for the user (exit status 2)."""


def out(text: str = "", end: str = "\n", stream: TextIO | None = None) -> None:
    """Write ``text`` to ``stream`` (standard output by default) and flush."""
    target = stream or sys.stdout
    target.write(text + end)
    target.flush()


def load_wav(path: str) -> tuple[Any, int]:
    """``(samples, rate)`` of a WAV file, or a :class:`CliError` that says why not."""
    from realtime_sync.audio import read_wav

    try:
        return read_wav(path)
    except FileNotFoundError:
        raise CliError(f"file not found: {path}") from None
    except (OSError, ValueError) as exc:
        raise CliError(f"cannot read {path}: {exc}") from None


def save_wav(path: str, samples: Any, rate: int) -> None:
    """Write a WAV file, or raise a :class:`CliError` that says why not."""
    from realtime_sync.audio import write_wav

    try:
        write_wav(path, samples, rate)
    except OSError as exc:
        raise CliError(f"cannot write {path}: {exc.strerror or exc}") from None
