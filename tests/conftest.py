"""Shared fixtures for the core tests."""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from coprod_connectors.scoring import Results, score
from coprod_connectors.scoring.models import Action, SelfReflectionResult
from coprod_connectors.synthetic import demo_responses

DATA = Path(__file__).parent / "data"


@pytest.fixture
def data_dir() -> Path:
    return DATA


@cache
def _demo_results() -> Results:
    return score(demo_responses())


@pytest.fixture
def with_actions() -> Callable[[int], Results]:
    """The demo results with ``count`` action-plan rows (``act-0``, ``act-1``, ...) in the
    first subject's latest self-reflection and none in its earlier rounds."""

    def made(count: int) -> Results:
        results = _demo_results()
        subject = results.results[0].subject
        mine = [
            r
            for r in results.results
            if r.subject == subject and isinstance(r, SelfReflectionResult)
        ]
        latest = max(mine, key=lambda r: r.round)
        actions = [
            Action(principle="assets", what=f"act-{i}", who="", when="", how="")
            for i in range(count)
        ]
        changed = [
            r.model_copy(update={"actions": actions if r is latest else []})
            if any(r is m for m in mine)
            else r
            for r in results.results
        ]
        return results.model_copy(update={"results": changed})

    return made


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
