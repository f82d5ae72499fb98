"""The sync store's interruption test over the ODK Central connector's recorded traffic.

A sync is killed before every database statement in turn (a ``BaseException``
raised from SQLAlchemy's ``before_cursor_execute``, as if the process died), then
run again; the store must end exactly as an uninterrupted sync leaves it, and
right after each kill it must hold whole pages only (the state after some page of
the uninterrupted run, never half of one).

The traffic is the store round trip recorded against a real Central, replayed: the
first sync (7 submissions, pages of 3), the sync after 2 new submissions, reviews
and an edit, and a full sync. Each step is killed at each of its statements,
starting from the store as the uninterrupted run left it before that step. The
sync run again takes the pull up where it stopped, asking only what the real
Central was asked (a kill after the last page was stored leaves the store as it
should be: the next sync is a quiet one, not run here).
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
import sqlalchemy as sa

from coprod_connectors import Deployment, Instrument, Page, Profile
from coprod_connectors.store import Store
from coprod_connectors.sync import sync_deployment
from coprod_odk import OdkCentralConnector
from coprod_odk.client import POLICY

if TYPE_CHECKING:
    from conftest import Recorded, Replay

PAGE = 3
#: The core's policy, without the waits between attempts (the tests never sleep).
NO_WAIT = POLICY.with_(sleep=lambda _: None)
#: The recorded pulls the steps replay (0: first, 1: after the changes, 3: full), and
#: whether the step is a full sync.
STEPS = ((0, False), (1, False), (3, True))


class Crash(BaseException):
    """Stands in for the process being killed: nothing catches it."""


def _state(store: Store) -> str:
    snapshot = store.snapshot()
    snapshot.pop("sync_runs", None)
    return json.dumps(snapshot, sort_keys=True, default=str)


class Watched:
    """The connector, noting the store's state before each page is handed over (read
    through a store of its own, so that the syncing store's statements are not counted)."""

    def __init__(self, inner: OdkCentralConnector, store: Store, states: list[str]) -> None:
        self.inner = inner
        self.store = store
        self.states = states
        self.name = inner.name

    def pull(
        self,
        deployment: Deployment,
        profile: Profile,
        *,
        instrument: Instrument,
        since: str | None = None,
        full: bool = False,
    ) -> Iterator[Page]:
        for page in self.inner.pull(
            deployment, profile, instrument=instrument, since=since, full=full
        ):
            self.states.append(_state(self.store))
            yield page
        self.states.append(_state(self.store))


def _connector(recorded: Recorded, replay: type[Replay], pull: int) -> OdkCentralConnector:
    return OdkCentralConnector(
        transport=replay(recorded, pull), page_size=PAGE, prefetch=False, policy=NO_WAIT
    )


def _run(store: Store, connector: Any, recorded: Recorded, *, full: bool) -> None:
    outcome = sync_deployment(store, connector, recorded.deployment, recorded.profile, full=full)
    assert outcome.ok, outcome.error


def _kill_at(store: Store, statement: int) -> Any:
    seen = 0

    def count(*_: Any) -> None:
        nonlocal seen
        seen += 1
        if seen == statement:
            raise Crash

    sa.event.listen(store.engine, "before_cursor_execute", count)
    return count


def test_a_killed_sync_resumes_to_the_same_store(
    recorded: Recorded, replay: type[Replay], ram_dir: Path
) -> None:
    baseline = ram_dir / "baseline.db"
    with Store(f"sqlite:///{baseline}") as store:
        store.record_deployment(recorded.deployment, recorded.instrument)
    kills = resumed = 0
    for pull, full in STEPS:
        # the uninterrupted step: its page boundaries, its statements, its end
        work = ram_dir / "work.db"
        shutil.copy(baseline, work)
        boundaries: list[str] = []
        with Store(f"sqlite:///{work}") as store:
            boundaries.append(_state(store))
            statements = 0

            def count(*_: Any) -> None:
                nonlocal statements
                statements += 1

            sa.event.listen(store.engine, "before_cursor_execute", count)
            with Store(f"sqlite:///{work}") as reader:
                connector = Watched(_connector(recorded, replay, pull), reader, boundaries)
                _run(store, connector, recorded, full=full)
            sa.event.remove(store.engine, "before_cursor_execute", count)
            final = _state(store)
            boundaries.append(final)  # a full sync marks what it did not see, after its pages
        assert statements > 5
        for statement in range(1, statements + 1):
            killed = ram_dir / f"killed-{pull}-{statement}.db"
            shutil.copy(baseline, killed)
            with Store(f"sqlite:///{killed}") as store:
                hook = _kill_at(store, statement)
                with pytest.raises(Crash):
                    _run(store, _connector(recorded, replay, pull), recorded, full=full)
                sa.event.remove(store.engine, "before_cursor_execute", hook)
            with Store(f"sqlite:///{killed}") as store:
                after = _state(store)
                assert after in boundaries, f"half a page after a kill at {statement}"
                if after != final:  # else every page was stored: the next sync is quiet
                    _run(store, _connector(recorded, replay, pull), recorded, full=full)
                    resumed += 1
                assert _state(store) == final, f"killed at statement {statement}"
            killed.unlink()
            kills += 1
        shutil.copy(work, baseline)
    print(f"odk kill test: {kills} kills, {resumed} syncs taken up again")  # shown with -s
    assert kills > 50
    assert resumed > kills // 2
