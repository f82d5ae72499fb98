"""Fixtures for the LimeSurvey connector tests.

Three tiers: unit tests over ``httpx.MockTransport`` with replies captured from a
real LimeSurvey 6.14 (``data/replies``); cassette tests replayed from
``cassettes/<module>/<test>.yaml`` (recorded against a real server, secrets
filtered); and the same cassette tests run live with ``-m live`` against the
server named by LIMESURVEY_URL, LIMESURVEY_USER and LIMESURVEY_PASSWORD.

Re-record with ``--record-mode=rewrite`` and those three variables set.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from coprod_connectors.config import Profile
from coprod_connectors.instruments import (
    Instrument,
    QuestionKind,
    builtin_instrument,
    load_instrument,
)
from coprod_connectors.instruments.model import Question
from coprod_testkit import limesurvey_cassettes as testing

HERE = Path(__file__).parent
REPLIES = HERE / "data" / "replies"
CORE_TESTS = HERE.parents[2] / "tests" / "data" / "instruments"
#: Where the cassettes were recorded; replays use the same URL (nothing is contacted).
RECORDED_URL = "http://127.0.0.1:8081"


def _instrument(name: str) -> Instrument:
    if name == "bilingual-test":
        return load_instrument(CORE_TESTS / "bilingual.yaml")
    return builtin_instrument(name)


@pytest.fixture
def instrument_by_id() -> Callable[[str], Instrument]:
    """A built-in instrument, or 'bilingual-test' (English and Welsh) from the core's test data."""
    return _instrument


@pytest.fixture
def bilingual() -> Instrument:
    return _instrument("bilingual-test")


@pytest.fixture
def reply() -> Any:
    def read(name: str) -> bytes:
        return (REPLIES / name).read_bytes()

    return read


# --- cassettes and live runs ----------------------------------------------------------


def pytest_recording_configure(config: pytest.Config, vcr: Any) -> None:
    testing.register(vcr)


@pytest.fixture
def vcr_config() -> dict[str, Any]:
    return testing.vcr_config()


def _is_live(request: pytest.FixtureRequest) -> bool:
    return request.node.get_closest_marker("live") is not None


@pytest.fixture
def disable_recording(request: pytest.FixtureRequest) -> bool:
    """Live runs talk to the server directly: no cassette at all."""
    return bool(request.config.getoption("--disable-recording")) or _is_live(request)


@pytest.fixture
def default_cassette_name(request: pytest.FixtureRequest) -> str:
    """``<test>`` or ``<test>[<instrument>]``: one cassette whether run as replay or live."""
    params = getattr(getattr(request.node, "callspec", None), "params", {})
    name = request.node.originalname
    instrument = params.get("instrument_id")
    return f"{name}[{instrument}]" if instrument else name


@dataclass(frozen=True)
class Server:
    """The LimeSurvey a cassette test talks to (a replay, a recording or a live server)."""

    mode: str
    profile: Profile


@pytest.fixture(params=["replay", pytest.param("live", marks=pytest.mark.live)])
def server(request: pytest.FixtureRequest, record_mode: str) -> Server:
    live = request.param == "live"
    recording = record_mode != "none" and not live
    if live or recording:
        missing = [
            v
            for v in ("LIMESURVEY_URL", "LIMESURVEY_USER", "LIMESURVEY_PASSWORD")
            if not os.environ.get(v)
        ]
        if missing:
            pytest.fail(f"set {', '.join(missing)} to record or run live")
        url = os.environ["LIMESURVEY_URL"]
        if recording and url.rstrip("/") != RECORDED_URL:
            pytest.fail(f"record against {RECORDED_URL} (the URL the replays use)")
        profile = Profile(
            name="ls-test",
            platform="limesurvey",
            url=url,
            user=os.environ["LIMESURVEY_USER"],
        ).with_secret(os.environ["LIMESURVEY_PASSWORD"])
    else:
        profile = Profile(
            name="ls-test", platform="limesurvey", url=RECORDED_URL, user="replay-user"
        ).with_secret("replay-password")
    return Server(mode="live" if live else "recording" if recording else "replay", profile=profile)


# --- answers to send ------------------------------------------------------------------

HOSTILE = 'Siân\'s <b>bold</b> & "quoted" {TOKEN} ]]> 😀'


def _value(instrument: Instrument, question: Question, variant: int) -> Any:
    kind = question.kind
    choices = [c.code for c in instrument.choices_for(question)]
    if kind is QuestionKind.SINGLE_CHOICE:
        return choices[variant % len(choices)]
    if kind is QuestionKind.MULTIPLE_CHOICE:
        return choices[variant % len(choices) :][:2] or choices[:1]
    if kind is QuestionKind.INTEGER:
        low = question.min if question.min is not None else 0
        high = question.max if question.max is not None else low + 100
        return min(high, low + 7 * (variant + 1))
    if kind is QuestionKind.DATE:
        return f"2026-0{1 + variant % 9}-1{variant % 10}"
    return f"{HOSTILE} {question.code} {variant}"


def sample_answers(instrument: Instrument, variant: int) -> dict[str, Any]:
    """Answers to every question (variant 0, 1), or just the first few (variant 2)."""
    answers: dict[str, Any] = {}
    for section in instrument.sections:
        for question in section.questions:
            if question.kind is QuestionKind.NOTE:
                continue
            if question.kind is QuestionKind.MATRIX:
                choices = [c.code for c in instrument.choices_for(question)]
                for i, row in enumerate(question.rows or ()):
                    answers[row.code] = choices[(i + variant) % len(choices)]
            elif question.kind is QuestionKind.REPEAT:
                rows = 1 + variant % (question.max_count or 1)
                answers[question.code] = [
                    {
                        inner.code: _value(instrument, inner, variant + n)
                        for inner in question.questions or ()
                        if inner.kind is not QuestionKind.NOTE
                    }
                    for n in range(rows)
                ]
            else:
                answers[question.code] = _value(instrument, question, variant)
    if variant == 2:
        answers = dict(list(answers.items())[:3])
    return answers


@pytest.fixture(name="sample_answers")
def sample_answers_fixture() -> Callable[[Instrument, int], dict[str, Any]]:
    """Deterministic answers to an instrument: every question (variants 0, 1) or a few (2)."""
    return sample_answers


# --- the sync store on SQLite and PostgreSQL (as in the core's tests/conftest.py) -------


# --- the fault suite's tally, printed at the end of the run ------------------------------


@dataclass
class FaultTally:
    """What the fault suite injected and survived (filled by test_ls_faults.py), and the
    kill points the interruption tests went through (test_ls_sync_kill.py)."""

    trials: int = 0
    faults: Counter[str] = field(default_factory=Counter)
    expired_keys: int = 0
    failed_then_recovered: int = 0
    clean_first_time: int = 0
    kill_points: Counter[str] = field(default_factory=Counter)


_TALLY = pytest.StashKey[FaultTally]()


@pytest.fixture(scope="session")
def fault_tally(pytestconfig: pytest.Config) -> FaultTally:
    return pytestconfig.stash.setdefault(_TALLY, FaultTally())


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    tally = config.stash.get(_TALLY, None)
    if tally is None:
        return
    if tally.kill_points:
        where = ", ".join(f"{n} {what}" for what, n in sorted(tally.kill_points.items()))
        terminalreporter.write_line(
            f"limesurvey kills: {sum(tally.kill_points.values())} syncs killed and resumed to "
            f"the uninterrupted store ({where})"
        )
    if not tally.trials:
        return
    kinds = ", ".join(f"{kind} {n}" for kind, n in sorted(tally.faults.items())) or "none"
    terminalreporter.write_line(
        f"limesurvey faults: {tally.trials} trials, {sum(tally.faults.values())} faults injected "
        f"({kinds}), {tally.expired_keys} session keys expired, "
        f"{tally.failed_then_recovered} syncs failed then recovered, "
        f"{tally.clean_first_time} completed despite the faults"
    )
