"""Shared fixtures: Hypothesis profiles and the thread-leak check."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, settings

settings.register_profile(
    "ci",
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile("dev", max_examples=50, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") else "dev"))


def _sdk_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith("realtime-sync-")]


@pytest.fixture(autouse=True)
def no_leaked_threads() -> Iterator[None]:
    """Fail any test that leaves a ``realtime-sync-*`` thread alive."""
    before = set(_sdk_threads())
    yield
    leaked = []
    for thread in _sdk_threads():
        if thread in before:
            continue
        thread.join(timeout=5.0)
        if thread.is_alive():
            leaked.append(thread.name)
    assert not leaked, f"test left SDK threads alive: {leaked}"
