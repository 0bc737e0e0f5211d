"""The top-level namespace: ``__all__`` complete, ``dir()`` clean, the exception tree."""

from __future__ import annotations

import inspect
import re
import types
from pathlib import Path

import pytest

import realtime_sync as rs
from realtime_sync import exceptions

DOCS = Path(__file__).resolve().parent.parent / "docs"


def test_every_name_in_all_resolves() -> None:
    """Each name of ``rs.__all__`` is an attribute (the lazy ones load on access)."""
    for name in rs.__all__:
        assert getattr(rs, name) is not None, name


def test_dir_lists_the_public_names_and_nothing_imported_for_the_module() -> None:
    """``dir(rs)``: all of ``__all__``, no ``Any``/``TYPE_CHECKING``/``annotations``."""
    names = dir(rs)

    assert set(rs.__all__) <= set(names)
    assert not {"Any", "TYPE_CHECKING", "annotations"} & set(names)
    for name in names:
        if name in rs.__all__ or (name.startswith("__") and name.endswith("__")):
            continue
        value = getattr(rs, name)
        assert isinstance(value, types.ModuleType), name
        assert value.__name__ == f"realtime_sync.{name}"
    assert names == sorted(names)


def test_every_exception_is_exported_at_both_levels() -> None:
    """Each exception class of ``realtime_sync.exceptions`` is in both ``__all__``."""
    classes = {
        name
        for name, value in inspect.getmembers(exceptions, inspect.isclass)
        if issubclass(value, rs.RealtimeError)
        and value.__module__ == exceptions.__name__
    }

    assert classes == set(exceptions.__all__)
    assert classes <= set(rs.__all__)
    for name in classes:
        assert getattr(rs, name) is getattr(exceptions, name)


@pytest.mark.parametrize(
    "text",
    [exceptions.__doc__ or "", (DOCS / "concepts.rst").read_text(encoding="utf-8")],
    ids=["module docstring", "docs/concepts.rst"],
)
def test_exception_trees_name_every_exception(text: str) -> None:
    """The tree in the module docstring and in the concepts guide lists every class."""
    for name in exceptions.__all__:
        assert re.search(rf"(^    |── ){name}\b", text, re.MULTILINE), name


def test_connect_timeout_is_a_connect_error_and_a_timeout() -> None:
    """ConnectTimeout is caught by ``except ConnectError``, ``Timeout`` and ``TimeoutError``."""
    error = rs.ConnectTimeout("connect to ws://127.0.0.1:1/ timed out after 5 s")

    assert isinstance(error, rs.ConnectError)
    assert isinstance(error, rs.Timeout)
    assert isinstance(error, TimeoutError)
    assert isinstance(error, rs.RealtimeError)
    assert str(error) == "connect to ws://127.0.0.1:1/ timed out after 5 s"
    assert (error.status, error.body, error.server_message, error.request_id) == (
        None,
        None,
        None,
        None,
    )
    for clause in (rs.ConnectError, rs.Timeout, TimeoutError):
        with pytest.raises(clause):
            raise error
    assert not issubclass(rs.ConnectTimeout, rs.AuthenticationError)
    assert not issubclass(rs.Timeout, rs.ConnectError)
