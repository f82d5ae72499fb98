"""Shared fixtures for the core tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

DATA = Path(__file__).parent / "data"


@pytest.fixture
def data_dir() -> Path:
    return DATA


# --- the generative suite's case counts (tests/test_generative.py) ----------------------

_CASES = pytest.StashKey[dict[str, int]]()


@pytest.fixture(scope="session")
def case_counts(pytestconfig: pytest.Config) -> dict[str, int]:
    """How many generated cases each way in was fed (printed at the end of the run)."""
    if _CASES not in pytestconfig.stash:
        pytestconfig.stash[_CASES] = {}
    return pytestconfig.stash[_CASES]


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    counts = config.stash.get(_CASES, None)
    if not counts:
        return
    terminalreporter.section("generative suite: hostile and random input, every way in")
    for way, count in sorted(counts.items()):
        terminalreporter.write_line(f"{way}: {count} cases")
    terminalreporter.write_line(f"total: {sum(counts.values())} cases tried")
