"""``coprod report`` over a large store counts half of it in a forked copy of itself: the
report is the same, byte for byte, as one process reading everything (repeated ids,
damaged rows, unscored instruments, odd answers in both halves), and a copy that fails
or hangs only costs time."""

from __future__ import annotations

import os
import pickle
import random
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from coprod_connectors.cli import app
from coprod_connectors.cli import report as report_cli
from coprod_connectors.connectors import Deployment
from coprod_connectors.forked import Forked, can_fork
from coprod_connectors.instruments import builtin_instrument
from coprod_connectors.responses import Response
from coprod_connectors.scoring import count, engine, score
from coprod_connectors.scoring.common import INVALID, MISSING
from coprod_connectors.store import Store, responses_table
from coprod_connectors.synthetic import demo_responses

DEMO = demo_responses()


def _odd(rng: random.Random, response: Response) -> Response:
    answers = dict(response.answers)
    for code in rng.sample(sorted(answers), k=min(3, len(answers))):
        answers[code] = rng.choice([None, "", " 3 ", 3, 3.0, True, ["3"], " amber", "x", 2.5])
    return response.model_copy(update={"answers": answers})


def _data(seed: int, size: int) -> list[Response]:
    """Demo responses with new ids, some odd, some of another instrument or version."""
    rng = random.Random(seed)
    out = []
    for i in range(size):
        response = rng.choice(DEMO).model_copy(update={"response_id": f"r{i:05d}"})
        if rng.random() < 0.3:
            response = _odd(rng, response)
        if rng.random() < 0.03:
            response = response.model_copy(update={"instrument_version": "9.0.0"})
        out.append(response)
    return out


def test_counts_in_parts_added_are_the_counts_of_the_whole() -> None:
    data = _data(1, 600)
    data += [r.model_copy(update={"submitted_at": r.submitted_at}) for r in data[::9]]
    random.Random(2).shuffle(data)
    whole = score(data).to_json()
    for cut in (0, 1, 250, len(data) - 1, len(data)):
        counted = count(data[:cut])
        # counted in another process: sent there and back as the forked copy sends it
        counted.add(pickle.loads(pickle.dumps(count(data[cut:]))))
        assert score(data, counted=counted).to_json() == whole


def test_markers_are_the_same_objects_after_pickling() -> None:
    assert pickle.loads(pickle.dumps(MISSING)) is MISSING
    assert pickle.loads(pickle.dumps([INVALID])) == [INVALID]


# --- the forked copy ---------------------------------------------------------------------

needs_fork = pytest.mark.skipif(
    not can_fork(), reason="a forked copy needs Linux, two cores and no other thread"
)


@needs_fork
def test_a_forked_copy_sends_back_its_result() -> None:
    got = Forked(lambda: (os.getpid(), {"a": [1, 2]})).result(60)
    assert got is not None
    assert got[0] != os.getpid()
    assert got[1] == {"a": [1, 2]}


@needs_fork
@pytest.mark.parametrize(
    "work",
    [
        lambda: 1 / 0,
        lambda: sys.exit(3),
        lambda: os._exit(1),
        lambda: lambda: None,  # a result that does not pickle
    ],
)
def test_a_failing_copy_gives_none(work: Any) -> None:
    assert Forked(work).result(60) is None


@needs_fork
def test_a_copy_that_hangs_is_stopped() -> None:
    started = time.monotonic()
    job = Forked(lambda: time.sleep(60))
    assert job.result(0.5) is None
    assert time.monotonic() - started < 30
    assert not job._process.is_alive()


# --- coprod report ------------------------------------------------------------------------


def _deployment(name: str, instrument: str) -> Deployment:
    found = builtin_instrument(instrument)
    return Deployment(
        platform="file",
        profile="p",
        remote_id=name,
        instrument=found.id,
        instrument_version=found.version,
        round="2026-H1",
        created_at=DEMO[0].submitted_at,
    )


def _store(url: str, *, repeated: bool = True) -> None:
    """A store whose two halves both hold odd answers, damaged rows, responses of several
    deployments and (``repeated``) ids that are repeated: a row of deployment b whose
    JSON says deployment a, with the id of one of a's, submitted later."""
    data = _data(3, 900)
    with Store(url) as store:
        for name in ("a", "b"):
            for instrument in ("self-reflection", "checklist", "ladder-check"):
                deployment = _deployment(name, instrument)
                chosen = [r for r in data if r.instrument == instrument]
                stamp = deployment.key
                if name == "b":
                    chosen = [
                        r.model_copy(update={"submitted_at": r.submitted_at.replace(minute=1)})
                        for r in chosen[::5]
                    ]
                    if repeated:
                        stamp = _deployment("a", instrument).key
                stamped = [r.model_copy(update={"deployment": stamp}) for r in chosen]
                store.import_responses(deployment, builtin_instrument(instrument), stamped)
        table = responses_table.c
        with store.engine.begin() as conn:
            keys = conn.execute(
                sa.select(table.deployment, table.remote_id).order_by(
                    table.deployment, table.remote_id
                )
            ).all()
            for deployment_key, remote_id in keys[5::97]:
                conn.execute(
                    responses_table.update()
                    .where(table.deployment == deployment_key, table.remote_id == remote_id)
                    .values(response="{broken")
                )


def _report(url: str, out: Path, *extra: str) -> tuple[str, str]:
    done = CliRunner().invoke(app, ["report", "--store", url, "-o", str(out), *extra])
    assert done.exit_code == 0, done.output
    return out.read_text(encoding="utf-8"), done.output


@needs_fork
@pytest.mark.parametrize("repeated", [False, True])
@pytest.mark.parametrize(
    "extra",
    [
        ("-f", "json"),
        ("-f", "json", "--instrument", "checklist"),
        ("-f", "json", "--k", "1"),
        ("-f", "html", "--date", "2026-12-01"),  # names the deployments read by both halves
    ],
)
def test_a_report_in_two_processes_is_the_report_of_one(
    store_url: str,
    ram_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
    extra: tuple[str, ...],
    repeated: bool,
) -> None:
    path = store_url
    _store(path, repeated=repeated)
    alone, alone_said = _report(path, ram_dir / "r.out", *extra)
    assert "damaged and were left out" in alone_said

    forks: list[int] = []
    real = Forked.__init__

    def counted(self: Forked[Any], work: Any) -> None:
        forks.append(1)
        real(self, work)

    monkeypatch.setattr(Forked, "__init__", counted)
    monkeypatch.setattr(report_cli, "SPLIT_FROM", 10)
    monkeypatch.setattr(engine, "CHUNK", 37)
    two, two_said = _report(path, ram_dir / "r.out", *extra)
    assert forks == [1]
    assert two == alone
    assert two_said == alone_said  # the same damaged rows, named in the same order


@needs_fork
@pytest.mark.parametrize("repeated", [False, True])
def test_a_copy_that_fails_leaves_the_report_whole(
    store_url: str, ram_dir: Path, monkeypatch: pytest.MonkeyPatch, repeated: bool
) -> None:
    path = store_url
    _store(path, repeated=repeated)
    alone, alone_said = _report(path, ram_dir / "r.out", "-f", "json")
    monkeypatch.setattr(report_cli, "SPLIT_FROM", 10)
    monkeypatch.setattr(Forked, "result", lambda self, timeout: None)
    two, two_said = _report(path, ram_dir / "r.out", "-f", "json")
    assert (two, two_said) == (alone, alone_said)


@needs_fork
def test_no_process_to_be_had_leaves_the_report_whole(
    ram_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = f"sqlite:///{ram_dir / 's.db'}"
    _store(path)
    alone, alone_said = _report(path, ram_dir / "r.out", "-f", "json")

    def refused(self: Forked[Any], work: Any) -> None:
        raise BlockingIOError(11, "Resource temporarily unavailable")  # fork's EAGAIN

    monkeypatch.setattr(Forked, "__init__", refused)
    monkeypatch.setattr(report_cli, "SPLIT_FROM", 10)
    two, two_said = _report(path, ram_dir / "r.out", "-f", "json")
    assert (two, two_said) == (alone, alone_said)


def test_a_small_store_or_one_core_is_read_by_one_process(
    ram_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = f"sqlite:///{ram_dir / 's.db'}"
    _store(path)

    def never(self: Forked[Any], work: Any) -> None:
        raise AssertionError

    monkeypatch.setattr(Forked, "__init__", never)
    _report(path, ram_dir / "r.out", "-f", "json")  # SPLIT_FROM is above this store's size
    monkeypatch.setattr(report_cli, "SPLIT_FROM", 10)
    monkeypatch.setattr("coprod_connectors.forked.can_fork", lambda: False)
    _report(path, ram_dir / "r.out", "-f", "json")


def test_the_halves_are_the_responses_in_order(store_url: str) -> None:
    data = _data(5, 300)
    deployment = _deployment("a", "checklist")
    chosen = [
        r.model_copy(update={"deployment": deployment.key})
        for r in data
        if r.instrument == "checklist"
    ]
    with Store(store_url) as store:
        store.import_responses(deployment, builtin_instrument("checklist"), chosen)
        whole = [r.to_json() for r in store.responses()]
        halves = store.response_halves()
        assert halves is not None
        first, second = ([r.to_json() for r in half] for half in halves)
        assert first
        assert second
        assert first + second == whole
        assert store.response_halves(smallest=10**6) is None


#: A command that SQLAlchemy's clean-up logs into as Ctrl-C stops it (in a process of its
#: own: under pytest, pytest's own logging handler would take the record).
INTERRUPTED = """
import logging, sys
import typer
from coprod_connectors.cli.common import handle_errors

def closing_a_closed_cursor():
    raise ValueError("Cannot operate on a closed database.")

@handle_errors
def interrupted():
    try:
        closing_a_closed_cursor()
    except ValueError:
        logging.getLogger("sqlalchemy.pool.impl.QueuePool").exception("Error closing cursor")
    raise KeyboardInterrupt

try:
    interrupted()
except typer.Exit as stop:
    sys.exit(stop.exit_code)
"""


def test_what_sqlalchemy_logs_as_it_cleans_up_is_never_printed() -> None:
    """Ctrl-C during a read makes SQLAlchemy log "Error closing cursor" with a traceback,
    which Python prints when nothing handles it: the command says one line only."""
    import subprocess

    done = subprocess.run(
        [sys.executable, "-c", INTERRUPTED], capture_output=True, text=True, check=False
    )
    assert done.returncode == 130
    assert done.stderr == "error: interrupted; nothing already stored was lost\n"
