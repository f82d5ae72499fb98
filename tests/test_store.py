"""The sync store on SQLite and PostgreSQL: migrations, upserts, cursors, interruptions."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from coprod_connectors.config import Profile
from coprod_connectors.connectors import Deployment
from coprod_connectors.errors import StoreError
from coprod_connectors.instruments import builtin_instrument
from coprod_connectors.store import MIGRATIONS, Store
from coprod_connectors.sync import sync_all, sync_deployment
from coprod_testkit.memory import MemoryConnector, MemoryPlatform

SECRET = "s3cr3t-TEST-token-7f9a2c"
PROFILE = Profile(name="mem", platform="memory", url="memory://", secret=SECRET)  # type: ignore[arg-type]
INSTRUMENT = builtin_instrument("ladder-check")


class Crash(BaseException):
    """Stands in for the process being killed: nothing catches it."""


def make_platform(count: int = 23, *, seed: int = 0) -> tuple[MemoryPlatform, str]:
    platform = MemoryPlatform(secret=SECRET)
    survey = platform.create(f"ladder-check {INSTRUMENT.version} 2026-H2")
    for i in range(count):
        role = ["user", "carer", "staff", "mgr", "comm"][(i + seed) % 5]
        platform.submit(
            survey,
            {
                "role": role,
                "subject": "Day centre",
                "ideaInv": str(i % 5),
                "designInv": str((i * 3) % 5),
                "delivInv": "3",
                "reviewInv": str((i + 1) % 5),
                "early": "y" if i % 2 else "n",
                "project": f"Project <{i}>",
            },
            f"2026-07-{1 + i % 28:02d}T10:00:00+00:00",
        )
    return platform, survey


def deploy(store: Store, connector: MemoryConnector) -> Deployment:
    deployment = connector.push(
        INSTRUMENT, PROFILE, round="2026-H2", subject="Day centre"
    ).deployment
    store.record_deployment(deployment, INSTRUMENT)
    return deployment


def test_migrations_are_recorded_once(store_url: str) -> None:
    with Store(store_url) as store:
        assert store.applied_migrations() == [name for name, _ in MIGRATIONS]
    with Store(store_url) as again:
        assert again.migrate() == []


def test_sync_stores_every_response_once(store_url: str) -> None:
    platform, _ = make_platform()
    connector = MemoryConnector(platform, page_size=5)
    with Store(store_url) as store:
        deployment = deploy(store, connector)
        first = sync_deployment(store, connector, deployment, PROFILE)
        assert (first.new, first.updated, first.pages, first.error) == (23, 0, 5, None)
        assert store.count_responses() == 23
        assert store.cursor(deployment.key) == "23"
        again = sync_deployment(store, connector, deployment, PROFILE)
        assert (again.new, again.updated, again.pages) == (0, 0, 0)
        assert platform.requests == 5 + 1  # nothing new: one request
        responses = list(store.responses(instrument="ladder-check"))
        assert len(responses) == 23
        assert responses[0].answers["project"] == "Project <0>"
        assert store.last_run(deployment.key) is not None


def test_new_responses_are_pulled_incrementally(store_url: str) -> None:
    platform, survey = make_platform(7)
    connector = MemoryConnector(platform, page_size=5)
    with Store(store_url) as store:
        deployment = deploy(store, connector)
        sync_deployment(store, connector, deployment, PROFILE)
        platform.submit(survey, {"role": "user", "ideaInv": "4"}, "2026-08-01T00:00:00+00:00")
        result = sync_deployment(store, connector, deployment, PROFILE)
        assert (result.new, result.updated) == (1, 0)
        assert store.count_responses() == 8


def _raw_texts(store: Store) -> dict[str, str]:
    with store.engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT remote_id, raw FROM responses"))
        return {str(remote_id): str(raw) for remote_id, raw in rows}


def _as_json_dumps_wrote(raw: str) -> str:
    return json.dumps(json.loads(raw), sort_keys=True, ensure_ascii=False)


def test_a_full_sync_of_a_store_of_an_earlier_version_updates_only_what_changed(
    store_url: str,
) -> None:
    """Earlier versions stored the raw record as json.dumps(sort_keys=True) wrote it; a full
    sync of the same records counts none updated (and stores them in the new form)."""
    platform, survey = make_platform(9)
    connector = MemoryConnector(platform, page_size=4)
    with Store(store_url) as store:
        deployment = deploy(store, connector)
        sync_deployment(store, connector, deployment, PROFILE)
        new_form = _raw_texts(store)
        with store.engine.begin() as conn:
            for remote_id, raw in new_form.items():
                assert _as_json_dumps_wrote(raw) != raw
                conn.execute(
                    sa.text("UPDATE responses SET raw = :raw WHERE remote_id = :id"),
                    {"raw": _as_json_dumps_wrote(raw), "id": remote_id},
                )
        full = sync_deployment(store, connector, deployment, PROFILE, full=True)
        assert (full.new, full.updated, full.deleted) == (0, 0, 0)
        assert _raw_texts(store) == new_form
        platform.edit(survey, 3, ideaInv="4")
        again = sync_deployment(store, connector, deployment, PROFILE, full=True)
        assert (again.new, again.updated, again.deleted) == (0, 1, 0)


def test_full_sync_reconciles_edits_and_deletions(store_url: str) -> None:
    platform, survey = make_platform(10)
    connector = MemoryConnector(platform, page_size=4)
    with Store(store_url) as store:
        deployment = deploy(store, connector)
        sync_deployment(store, connector, deployment, PROFILE)
        platform.edit(survey, 3, ideaInv="4")
        platform.delete(survey, 5)
        incremental = sync_deployment(store, connector, deployment, PROFILE)
        assert (incremental.new, incremental.updated, incremental.deleted) == (0, 0, 0)
        full = sync_deployment(store, connector, deployment, PROFILE, full=True)
        assert (full.new, full.updated, full.deleted) == (0, 1, 1)
        assert store.count_responses() == 9
        assert store.count_responses(deleted=True) == 1
        edited = next(r for r in store.responses() if r.response_id == "3")
        assert edited.answers["ideaInv"] == "4"
        # a deleted response that comes back is restored
        platform.surveys[survey][5] = {"_id": 5, "submitted": "2026-07-05T10:00:00+00:00"}
        back = sync_deployment(store, connector, deployment, PROFILE, full=True)
        assert (back.updated, back.deleted) == (1, 0)
        assert store.count_responses(deleted=True) == 0


def test_a_failed_deployment_does_not_stop_the_others(store_url: str) -> None:
    platform, _ = make_platform(6)
    connector = MemoryConnector(platform, page_size=4)
    with Store(store_url) as store:
        good = deploy(store, connector)
        gone = good.model_copy(update={"remote_id": "missing"})
        store.record_deployment(gone, INSTRUMENT)
        report = sync_all(
            store, store.deployments(), {"mem": PROFILE}, lambda _: connector, workers=2
        )
        by_key = {r.deployment: r for r in report.results}
        assert not report.ok
        assert by_key[good.key].new == 6
        assert "not found" in (by_key[gone.key].error or "")
        assert store.last_run(gone.key).outcome == "failed"  # type: ignore[union-attr]


def _count_statements(store: Store) -> list[int]:
    counter = [0]

    @sa.event.listens_for(store.engine, "before_cursor_execute")
    def _count(*_: Any) -> None:
        counter[0] += 1

    return counter


def test_killed_sync_resumes_to_the_same_store(store_url: str, tmp_path: Path) -> None:
    """Kill the sync before every database statement in turn; re-run; compare."""
    platform, _ = make_platform(23)
    reference_connector = MemoryConnector(platform, page_size=5)
    with Store(store_url) as reference:
        deployment = deploy(reference, reference_connector)
        counter = _count_statements(reference)
        sync_deployment(reference, reference_connector, deployment, PROFILE)
        statements = counter[0]
        expected = reference.snapshot()
        # start clean for the trials
        with reference.engine.begin() as conn:
            for table in ("responses", "cursors", "sync_runs"):
                conn.exec_driver_sql(f"DELETE FROM {table}")

    assert statements >= 20
    kill_points = range(1, statements + 1)
    for point in kill_points:
        with Store(store_url) as store:
            with store.engine.begin() as conn:
                for table in ("responses", "cursors", "sync_runs"):
                    conn.exec_driver_sql(f"DELETE FROM {table}")
            seen = [0]

            @sa.event.listens_for(store.engine, "before_cursor_execute")
            def _kill(*_: Any, seen: list[int] = seen, point: int = point) -> None:
                seen[0] += 1
                if seen[0] == point:
                    raise Crash(point)

            with pytest.raises(Crash):
                sync_deployment(store, MemoryConnector(platform, page_size=5), deployment, PROFILE)
            sa.event.remove(store.engine, "before_cursor_execute", _kill)
            stored = store.count_responses()
            assert stored % 5 == 0 or stored == 23, f"partial page stored at point {point}"
            sync_deployment(store, MemoryConnector(platform, page_size=5), deployment, PROFILE)
            assert store.snapshot() == expected, f"store differs after a kill at statement {point}"


def test_killed_between_pages_resumes(store_url: str) -> None:
    platform, _ = make_platform(23)
    with Store(store_url) as store:
        deployment = deploy(store, MemoryConnector(platform))

        def stop(page: int) -> None:
            if page == 1:
                raise Crash(page)

        for run in range(1, 5):
            # each run stores one whole page, then dies before the next
            with pytest.raises(Crash):
                sync_deployment(
                    store,
                    MemoryConnector(platform, page_size=5, before_page=stop),
                    deployment,
                    PROFILE,
                )
            assert store.count_responses() == 5 * run
        sync_deployment(store, MemoryConnector(platform, page_size=5), deployment, PROFILE)
        assert store.count_responses() == 23
        ids = sorted(int(r.response_id) for r in store.responses())
        assert ids == list(range(1, 24))


SYNC_PROCESS = """
import sys
from coprod_connectors.config import Profile
from coprod_connectors.store import Store
from coprod_connectors.sync import sync_all
from coprod_testkit.memory import MemoryConnector, MemoryPlatform
from coprod_connectors.instruments import builtin_instrument

platform = MemoryPlatform(secret="x")
survey = platform.create(f"ladder-check {builtin_instrument('ladder-check').version} 2026-H2")
for i in range(60):
    platform.submit(survey, {"role": "user", "ideaInv": str(i % 5)}, "2026-07-01T00:00:00+00:00")
profile = Profile(name="mem", platform="memory", url="memory://", secret="x")
with Store(sys.argv[1]) as store:
    connector = MemoryConnector(platform, page_size=7)
    report = sync_all(store, store.deployments(), {"mem": profile}, lambda _: connector)
sys.exit(0 if report.ok else 1)
"""


def test_two_syncs_at_once_leave_a_consistent_store(store_url: str) -> None:
    platform, _ = make_platform(60)
    with Store(store_url) as store:
        deploy(store, MemoryConnector(platform))
    workers = [subprocess.Popen([sys.executable, "-c", SYNC_PROCESS, store_url]) for _ in range(2)]
    assert [w.wait(timeout=120) for w in workers] == [0, 0]
    with Store(store_url) as store:
        snapshot = store.snapshot()
    ids = [r["remote_id"] for r in snapshot["responses"]]
    assert sorted(ids, key=int) == [str(i) for i in range(1, 61)]
    assert snapshot["cursors"] == [{"deployment": "memory:mem:s1", "cursor": "60"}]


def test_no_secret_reaches_the_store_or_the_logs(
    store_url: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    platform, _ = make_platform(5)
    connector = MemoryConnector(platform)
    wrong = Profile(name="mem", platform="memory", url="memory://", secret="wrong-" + SECRET)  # type: ignore[arg-type]
    with Store(store_url) as store:
        deployment = deploy(store, connector)
        ok = sync_deployment(store, connector, deployment, PROFILE)
        failed = sync_deployment(store, connector, deployment, wrong)
        assert ok.ok
        assert not failed.ok
        dump = json.dumps(store.snapshot(), default=str)
        runs = json.dumps([str(store.last_run(deployment.key))])
    assert SECRET not in dump + runs + (failed.error or "") + caplog.text
    assert SECRET not in repr(PROFILE) + str(PROFILE) + PROFILE.model_dump_json()
    if store_url.startswith("sqlite"):
        raw = Path(store_url.removeprefix("sqlite:///")).read_bytes()
        assert SECRET.encode() not in raw


def test_store_errors_are_one_line_and_hide_passwords(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="does not exist"):
        Store(str(tmp_path / "missing-folder" / "x.db"))
    with pytest.raises(StoreError) as caught:
        Store("postgresql+psycopg://user:hunter2@127.0.0.1:1/nowhere?connect_timeout=2")
    assert "hunter2" not in str(caught.value)
    assert "\n" not in str(caught.value)


def test_deployment_lookup_for_idempotent_push(store_url: str) -> None:
    with Store(store_url) as store:
        deployment = Deployment(
            platform="memory",
            profile="mem",
            remote_id="s9",
            instrument="ladder-check",
            instrument_version=INSTRUMENT.version,
            round="2026-H2",
            created_at=datetime(2026, 7, 1, tzinfo=timezone.utc),
            details={"a": 1},
        )
        store.record_deployment(deployment, INSTRUMENT)
        found = store.find_deployment(
            profile="mem",
            instrument="ladder-check",
            instrument_version=INSTRUMENT.version,
            round="2026-H2",
        )
        assert found == deployment
        assert store.instrument_for(deployment.key) == INSTRUMENT
        assert (
            store.find_deployment(
                profile="mem",
                instrument="ladder-check",
                instrument_version="2.0.0",
                round="2026-H2",
            )
            is None
        )
