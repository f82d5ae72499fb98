"""The sync store's interruption test, over the KoboToolbox connector.

A sync is killed before every database statement in turn (a ``BaseException``
raised from SQLAlchemy's ``before_cursor_execute``, as if the process died),
then run again; the store must end exactly as an uninterrupted sync leaves it,
and right after each kill it must hold whole pages only (the state after some
page of the uninterrupted run, never half of one).

Two scenarios, each on SQLite and PostgreSQL:

- the traffic RECORDED against a real KPI (the round-trip cassettes, replayed
  with vcr): a pull of three self-reflection submissions in pages of two then a
  re-sync with nothing new; and the edits-and-deletions round trip (a pull, an
  edit, a deletion and a "Not approved", a quiet incremental sync, a full one);
- the fake KPI in real KPI shapes, with more pages: 14 submissions in pages of
  3, then 4 new, an edit, a deletion, a "Not approved" and a form redeploy,
  an incremental sync, a full one and a quiet one.

Each step is killed at each of its statements, starting from the store as the
uninterrupted run left it before that step (rows restored, run ids included).
Commits skip the disk flush here (the kill is an exception in the process, not a
power cut; transactions are what keep pages whole), which keeps hundreds of
syncs fast.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
import vcr
import yaml

from coprod_connectors.config import Profile
from coprod_connectors.connectors import Deployment
from coprod_connectors.instruments import builtin_instrument, load_instrument
from coprod_connectors.instruments.model import Instrument
from coprod_connectors.store import Store, metadata
from coprod_connectors.sync import sync_deployment
from coprod_kobotoolbox import KoboToolboxConnector
from coprod_testkit.kobotoolbox_fake import FakeKpi

CASSETTES = Path(__file__).parent / "cassettes" / "test_kobo_roundtrip"
CORE_DATA = Path(__file__).parents[3] / "tests" / "data" / "instruments"
#: Where the cassettes were recorded, and the token the replays send (see conftest.py).
RECORDED_URL = "http://127.0.0.1:8082"
REPLAY_PROFILE = Profile(name="kpi-test", platform="kobotoolbox", url=RECORDED_URL).with_secret(
    "replayed-token-not-a-secret"
)
TABLES = ("deployments", "responses", "cursors", "sync_runs")


class Crash(BaseException):
    """Stands in for the process being killed: nothing catches it."""


def _no_sleep(_: float) -> None:
    return None


# --- scenarios ---------------------------------------------------------------------------


@dataclass
class Step:
    """One ``coprod sync`` of the deployment (``--full`` or not).

    ``prepare`` changes the server before the step (once, not again on the re-run);
    ``replay`` surrounds every run of the step (a cassette being played).
    """

    full: bool = False
    prepare: Callable[[Store], None] = lambda store: None
    replay: Callable[[], AbstractContextManager[Any]] = nullcontext


@dataclass
class Scenario:
    connector: KoboToolboxConnector
    deployment: Deployment
    profile: Profile
    instrument: Instrument
    steps: list[Step] = field(default_factory=list)


ScenarioFactory = Callable[[], Scenario]


def _vcr() -> vcr.VCR:
    return vcr.VCR(
        record_mode="none",
        match_on=["method", "scheme", "host", "port", "path", "query"],
        decode_compressed_response=True,
    )


def _load(name: str) -> list[dict[str, Any]]:
    data = yaml.safe_load((CASSETTES / name).read_text(encoding="utf-8"))
    interactions: list[dict[str, Any]] = data["interactions"]
    return interactions


def _pulls(interactions: list[dict[str, Any]], uid: str) -> list[dict[str, Any]]:
    """The recorded pages of the connector's pulls of ``uid`` (not other listings)."""
    return [
        i
        for i in interactions
        if i["request"]["method"] == "GET"
        and f"/api/v2/assets/{uid}/data/?" in i["request"]["uri"]
        and "format=json" in i["request"]["uri"]
        and "fields=" not in i["request"]["uri"]
    ]


def _write(path: Path, interactions: list[dict[str, Any]]) -> Path:
    path.write_text(yaml.safe_dump({"interactions": interactions, "version": 1}), "utf-8")
    return path


def _replaying(path: Path) -> Callable[[], AbstractContextManager[Any]]:
    """Play ``path`` back; a page asked for again gets the same recorded answer."""
    return lambda: _vcr().use_cassette(str(path), allow_playback_repeats=True)


def _pushed(cassette: str, instrument: Instrument, **options: Any) -> Deployment:
    """The deployment the recorded round trip pushed (its push, replayed)."""
    connector = KoboToolboxConnector(sleep=_no_sleep)
    with _vcr().use_cassette(str(CASSETTES / cassette), allow_playback_repeats=True):
        return connector.push(
            instrument, REPLAY_PROFILE, round="2026-H2", options=options
        ).deployment


@pytest.fixture(scope="module")
def recorded_pull(tmp_path_factory: pytest.TempPathFactory) -> ScenarioFactory:
    """Three self-reflection submissions pulled in pages of 2 (two pages), then a re-sync
    with nothing new: the requests and answers recorded against a real KPI."""
    name = "test_push_submit_pull_each_builtin[self-reflection].yaml"
    instrument = builtin_instrument("self-reflection")
    deployment = _pushed(name, instrument, share=["fieldworker"])
    pages = _pulls(_load(name), deployment.remote_id)
    assert len(pages) == 3, [p["request"]["uri"] for p in pages]
    replay = _replaying(_write(tmp_path_factory.mktemp("pull") / "pull.yaml", pages))

    def make() -> Scenario:
        connector = KoboToolboxConnector(sleep=_no_sleep, page_size=2)
        steps = [Step(replay=replay), Step(replay=replay)]
        return Scenario(connector, deployment, REPLAY_PROFILE, instrument, steps)

    return make


@pytest.fixture(scope="module")
def recorded_edits(tmp_path_factory: pytest.TempPathFactory) -> ScenarioFactory:
    """The recorded edits-and-deletions round trip: a pull of 3; then (an edit, a deletion
    and a "Not approved" later) a quiet incremental sync and a full one."""
    name = "test_edits_deletions_and_validation_status.yaml"
    instrument = load_instrument(CORE_DATA / "bilingual.yaml")
    deployment = _pushed(name, instrument)
    pages = _pulls(_load(name), deployment.remote_id)
    assert len(pages) == 3, [p["request"]["uri"] for p in pages]
    folder = tmp_path_factory.mktemp("edits")
    # before the changes, the first recorded answer to a pull from the start is the one
    # played; after them, the later one (the earlier is left out)
    before = _replaying(_write(folder / "before.yaml", pages))
    after = _replaying(_write(folder / "after.yaml", pages[1:]))

    def make() -> Scenario:
        connector = KoboToolboxConnector(sleep=_no_sleep)
        steps = [Step(replay=before), Step(replay=after), Step(full=True, replay=after)]
        return Scenario(connector, deployment, REPLAY_PROFILE, instrument, steps)

    return make


def fake_scenario() -> Scenario:
    """14 submissions in pages of 3; then 4 new (2 on a redeployed form version), an edit,
    a deletion and a "Not approved"; an incremental sync, a full one, a quiet one."""
    fake = FakeKpi(14, seed=7)
    instrument = fake.instrument
    connector = KoboToolboxConnector(transport=fake.transport(), sleep=_no_sleep, page_size=3)
    scenario = Scenario(connector, fake.deployment(), fake.profile(), instrument)

    def change(store: Store) -> None:
        fake.add(2)
        fake.redeploy(instrument.version)
        # the push that redeployed the form recorded its new version id
        scenario.deployment = fake.deployment()
        store.record_deployment(scenario.deployment, instrument)
        fake.add(2)
        fake.edit(4, role="nosay")
        fake.delete(9)
        fake.set_validation_status(12, "validation_status_not_approved")

    scenario.steps = [Step(), Step(prepare=change), Step(full=True), Step()]
    return scenario


# --- the harness ---------------------------------------------------------------------


class Killer:
    """Counts the store's statements and raises :class:`Crash` before the chosen one."""

    def __init__(self, engine: sa.Engine) -> None:
        self.engine = engine
        self.seen = 0
        self.point: int | None = None
        self.paused = False
        sa.event.listen(engine, "before_cursor_execute", self)

    def __call__(self, *_: Any) -> None:
        if self.paused:
            return
        self.seen += 1
        if self.seen == self.point:
            self.point = None
            raise Crash(self.seen)

    @contextmanager
    def pause(self) -> Iterator[None]:
        self.paused = True
        try:
            yield
        finally:
            self.paused = False

    def remove(self) -> None:
        sa.event.remove(self.engine, "before_cursor_execute", self)


def _without_fsync(url: str) -> str:
    """On PostgreSQL: commits that do not wait for the disk (``synchronous_commit=off``).

    The kill here is an exception inside the process, not a power cut: what keeps a
    page whole is the transaction, which this does not change, and the test runs
    hundreds of syncs. (SQLite: see :func:`_no_fsync_on_sqlite`.)
    """
    if not url.startswith("postgresql"):
        return url
    return url.replace("options=", "options=-csynchronous_commit%3Doff%20", 1)


def _no_fsync_on_sqlite(store: Store) -> None:
    """On SQLite: ``PRAGMA synchronous=OFF`` on every new connection (same reasoning)."""
    if store.engine.dialect.name != "sqlite":
        return

    def pragma(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA synchronous=OFF")
        cursor.close()

    sa.event.listen(store.engine, "connect", pragma)
    store.engine.dispose()  # connections opened before get it too


def _state(store: Store) -> str:
    """The store's snapshot as canonical text (for comparing and for set membership)."""
    return json.dumps(store.snapshot(), sort_keys=True, default=str)


Dump = dict[str, list[dict[str, Any]]]


def _dump(store: Store) -> Dump:
    """Every row of the store's tables, to start a trial from the state before a step."""
    with store.engine.connect() as conn:
        return {
            name: [dict(row) for row in conn.execute(metadata.tables[name].select()).mappings()]
            for name in TABLES
        }


def _restore(store: Store, dump: Dump) -> None:
    """Put back exactly the rows of ``dump`` (run ids too, so "seen by this run" holds)."""
    with store.engine.begin() as conn:
        for name in reversed(TABLES):
            conn.execute(metadata.tables[name].delete())
        for name in TABLES:
            if dump[name]:
                conn.execute(metadata.tables[name].insert(), dump[name])


@dataclass
class Reference:
    """An uninterrupted run of a scenario, step by step."""

    #: per step: the store's rows before it (its ``prepare`` not yet applied)
    before: list[Dump] = field(default_factory=list)
    #: per step: every state a whole-page sync can leave (before, after each page, after)
    boundaries: list[set[str]] = field(default_factory=list)
    #: per step: the state after it, and how many statements it ran
    after: list[str] = field(default_factory=list)
    statements: list[int] = field(default_factory=list)


def _sync(store: Store, scenario: Scenario, step: Step, **kwargs: Any) -> None:
    with step.replay():
        outcome = sync_deployment(
            store,
            scenario.connector,
            scenario.deployment,
            scenario.profile,
            full=step.full,
            **kwargs,
        )
    assert outcome.ok, outcome.error


def _reference(store: Store, killer: Killer, make: ScenarioFactory) -> Reference:
    reference = Reference()
    scenario = make()
    with killer.pause():
        store.record_deployment(scenario.deployment, scenario.instrument)
    for step in scenario.steps:
        with killer.pause():
            reference.before.append(_dump(store))
            step.prepare(store)
            seen = {_state(store)}

        def page_stored(_key: str, _count: int, seen: set[str] = seen) -> None:
            with killer.pause():
                seen.add(_state(store))

        start = killer.seen
        _sync(store, scenario, step, progress=page_stored)
        reference.statements.append(killer.seen - start)
        with killer.pause():
            seen.add(_state(store))
            reference.after.append(_state(store))
        reference.boundaries.append(seen)
    return reference


def _kill_everywhere(store_url: str, make: ScenarioFactory) -> int:
    """Kill each step of the scenario before each of its statements in turn, re-run it, and
    compare; returns how many kill points were tried.

    A trial starts from the store's rows before the step (restored) and the server as it
    was then (the scenario made afresh, the earlier steps' changes applied): the earlier
    steps ran uninterrupted in the reference, so running them again would test nothing new.
    """
    with Store(_without_fsync(store_url)) as store:
        _no_fsync_on_sqlite(store)
        killer = Killer(store.engine)
        reference = _reference(store, killer, make)
        points = sum(reference.statements)
        assert points >= 20, reference.statements
        for index, count in enumerate(reference.statements):
            for point in range(1, count + 1):
                scenario = make()
                with killer.pause():
                    for earlier in scenario.steps[:index]:
                        earlier.prepare(store)
                    _restore(store, reference.before[index])
                    step = scenario.steps[index]
                    step.prepare(store)
                killer.seen, killer.point = 0, point
                with pytest.raises(Crash):
                    _sync(store, scenario, step)
                with killer.pause():
                    assert _state(store) in reference.boundaries[index], (
                        f"a kill at statement {point} of step {index} left part of a page stored"
                    )
                # run it again, as the next scheduled `coprod sync` would
                _sync(store, scenario, step)
                with killer.pause():
                    assert _state(store) == reference.after[index], (
                        f"the store differs after a kill at statement {point} of step {index}"
                    )
        killer.remove()
        return points


# --- the tests ---------------------------------------------------------------------------


def test_killed_recorded_pull_resumes_to_the_same_store(
    store_url: str, recorded_pull: ScenarioFactory, fault_tally: Any
) -> None:
    points = _kill_everywhere(store_url, recorded_pull)
    fault_tally.kill_points[f"recorded pull ({_dialect(store_url)})"] = points


def test_killed_recorded_edits_and_deletions_resume_to_the_same_store(
    store_url: str, recorded_edits: ScenarioFactory, fault_tally: Any
) -> None:
    points = _kill_everywhere(store_url, recorded_edits)
    fault_tally.kill_points[f"recorded edits and deletions ({_dialect(store_url)})"] = points
    # the recorded full sync marked the deleted submission and held the not-approved one
    with Store(store_url) as store:
        [deployment] = store.deployments()
        assert store.count_responses(deployment.key) == 1
        assert store.count_responses(deployment.key, deleted=True) == 1
        assert store.count_responses(deployment.key, held=True) == 1


def test_killed_syncs_of_many_pages_resume_to_the_same_store(
    store_url: str, fault_tally: Any
) -> None:
    points = _kill_everywhere(store_url, fake_scenario)
    fault_tally.kill_points[f"fake KPI, pages of 3 ({_dialect(store_url)})"] = points
    with Store(store_url) as store:
        assert store.count_responses() == 16  # 18 submitted, one deleted, one not approved
        assert store.count_responses(deleted=True) == 1
        assert store.count_responses(held=True) == 1
        [deployment] = store.deployments()
        assert store.cursor(deployment.key) == "18"
        edited = [r for r in store.responses() if r.role == "nosay"]
        assert any(r.response_id.endswith("000000000004") for r in edited)


def _dialect(url: str) -> str:
    return "PostgreSQL" if url.startswith("postgresql") else "SQLite"
