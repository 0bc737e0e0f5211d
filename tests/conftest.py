"""Shared fixtures: Hypothesis profiles and the thread-leak check."""

from __future__ import annotations

import os
import secrets
import threading
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, settings

# CI (``CI`` set, as CI services do and ``.ci/run`` does) is derandomized: every run
# explores the same examples, so a red build is the code's fault, never the dice's.
# Local runs explore at random under a seed printed in the report header, so a
# failure found locally reruns with ``--hypothesis-seed=N``.
settings.register_profile(
    "ci",
    max_examples=200,
    deadline=None,
    derandomize=True,
    database=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile("dev", max_examples=50, deadline=None, print_blob=True)
settings.load_profile(
    os.environ.get("HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") else "dev")
)


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    """Choose this run's Hypothesis seed before Hypothesis' own plugin applies it."""
    if not settings.default.derandomize and config.getoption("hypothesis_seed") is None:
        config.option.hypothesis_seed = str(secrets.randbelow(2**32))


def pytest_report_header(config: pytest.Config) -> str:
    """Print the Hypothesis profile and the seed that reproduces this run."""
    profile = settings.get_current_profile_name()
    if settings.default.derandomize:
        return (
            f"hypothesis: profile {profile!r}, derandomize=True (seed: each test's "
            "own, derived from its source; the same examples every run)"
        )
    seed = config.getoption("hypothesis_seed")
    return (
        f"hypothesis: profile {profile!r}, seed {seed} "
        f"(rerun with --hypothesis-seed={seed})"
    )


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
