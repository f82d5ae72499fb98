"""The ODK Central fault suite: syncs through a network that fails, over traffic recorded
against a real Central.

100 seeded trials: each puts the core's ``FaultTransport`` (dropped connections,
time-outs, 500/502/503, 429, bodies cut short, HTML error pages, empty bodies)
between the connector and the recorded answers of a real Central
(``test_reviews_edits_and_late_submissions_through_the_store``), and runs

1. the first sync of a fresh store (7 submissions, pages of 3);
2. after the server changed (2 new, a rejection, an approval, a "has issues", an
   edit), an incremental sync.

A sync may fail, but only with a clean error (one of the core's exceptions,
reported in its ``DeploymentSync``), never an unexpected one. After a failed sync
a fault-free one (which takes the pull up where it stopped, asking only what the
real Central was asked) must leave the store exactly as the fault-free syncs do:
no response lost, none duplicated, the cursor right.
"""

from __future__ import annotations

import json
import logging
from collections import Counter
from typing import TYPE_CHECKING

import pytest

from coprod_connectors import CoprodError
from coprod_connectors.store import Store
from coprod_connectors.sync import DeploymentSync, sync_deployment
from coprod_odk import OdkCentralConnector
from coprod_odk.client import POLICY
from coprod_testkit.faults import FaultTransport

if TYPE_CHECKING:
    from conftest import Recorded, Replay

TRIALS = 100
#: The chance that any one request fails, by trial: a shaky network to a storm.
RATES = (0.1, 0.2, 0.3, 0.5)
PAGE = 3
#: The core's policy, without the waits between attempts (the tests never sleep).
NO_WAIT = POLICY.with_(sleep=lambda _: None)
TALLY: Counter[str] = Counter()


def _state(store: Store) -> str:
    snapshot = store.snapshot()
    snapshot.pop("sync_runs", None)  # run ids and times differ from run to run
    return json.dumps(snapshot, sort_keys=True, default=str)


def _sync(
    store: Store,
    recorded: Recorded,
    replay: type[Replay],
    pull: int,
    fault: FaultTransport | None = None,
) -> DeploymentSync:
    transport = replay(recorded, pull)
    connector = OdkCentralConnector(
        transport=transport if fault is None else fault,
        page_size=PAGE,
        prefetch=False,
        policy=NO_WAIT,
    )
    if fault is not None:
        fault.inner = transport
    return sync_deployment(store, connector, recorded.deployment, recorded.profile)


def _store(recorded: Recorded) -> Store:
    store = Store("sqlite://")
    store.record_deployment(recorded.deployment, recorded.instrument)
    return store


@pytest.fixture(scope="module")
def expected(recorded: Recorded, replay: type[Replay]) -> tuple[str, str]:
    with _store(recorded) as store:
        first = _sync(store, recorded, replay, 0)
        assert (first.ok, first.new, first.pages) == (True, 7, 3), first.error
        after_first = _state(store)
        second = _sync(store, recorded, replay, 1)
        assert (second.ok, second.new, second.updated) == (True, 2, 4), second.error
        assert store.count_responses(recorded.deployment.key, held=True) == 1
        return after_first, _state(store)


def _check(outcome: DeploymentSync, caplog: pytest.LogCaptureFixture) -> str | None:
    """None if the sync worked; else the name of the (clean) error it failed with."""
    records = [r for r in caplog.records if r.name == "coprod_connectors.sync"]
    caplog.clear()
    assert not [r for r in records if r.levelno >= logging.ERROR], records[0].getMessage()
    if outcome.ok:
        return None
    assert outcome.error
    assert not outcome.error.startswith("unexpected"), outcome.error
    [record] = records
    error = record.args[1] if isinstance(record.args, tuple) else None
    assert isinstance(error, CoprodError), record.args
    return type(error).__name__


@pytest.mark.parametrize("trial", range(TRIALS), ids=lambda t: f"trial{t:03d}")
def test_a_sync_through_faults_ends_as_the_fault_free_one(
    trial: int,
    recorded: Recorded,
    replay: type[Replay],
    expected: tuple[str, str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING, logger="coprod_connectors.sync")
    rate = RATES[trial % len(RATES)]
    with _store(recorded) as store:
        for pull, want in enumerate(expected):
            fault = FaultTransport(replay(recorded, pull), seed=trial * 10 + pull, rate=rate)
            failed = _check(_sync(store, recorded, replay, pull, fault), caplog)
            TALLY.update(fault.injected)
            TALLY["requests"] += fault.requests
            if failed:
                TALLY[f"failed: {failed}"] += 1
                again = _sync(store, recorded, replay, pull)  # takes the pull up where it stopped
                assert again.ok, again.error
            assert _state(store) == want
    TALLY["trials"] += 1


def test_the_tally(recorded: Recorded) -> None:
    """The faults were real: many injected, many syncs failed and recovered."""
    if TALLY["trials"] < TRIALS:
        pytest.skip("the trials did not all run (a selection of tests)")
    print(  # shown with -s; the numbers go in the report
        "odk faults:", dict(sorted(TALLY.items()))
    )
    assert sum(v for k, v in TALLY.items() if k.startswith("failed")) >= 20
