"""The sync store's interruption test, over the LimeSurvey connector.

A sync is killed (a ``BaseException`` nothing catches, raised from a
SQLAlchemy ``before_cursor_execute`` hook) before every database statement in
turn, then run again; the store must end identical to an uninterrupted sync,
with no response lost or stored twice, and never a page half-written.

(a) over the traffic recorded against a real LimeSurvey 6.14: the pulls of the
round-trip cassettes, for the four instruments, replayed with the connector's
cassette matcher; (b) over the fake server, with more pages, gaps in the ids
and unfinished responses. Both on SQLite and PostgreSQL.
"""

from __future__ import annotations

import base64
import gc
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
import vcr
import yaml

from coprod_connectors.config import Profile
from coprod_connectors.connectors import Deployment
from coprod_connectors.instruments import Instrument
from coprod_connectors.store import Store
from coprod_connectors.sync import DeploymentSync, sync_deployment
from coprod_limesurvey import LimeSurveyConnector
from coprod_testkit import limesurvey_cassettes as testing
from coprod_testkit.limesurvey_fake import FakeLimeSurvey, headings

CASSETTES = Path(__file__).parent / "cassettes" / "test_round_trip"
RECORDED_URL = "http://127.0.0.1:8081"
#: The instruments the round trip recorded, and the round it pushed them in.
RECORDED = ("checklist", "ladder-check", "self-reflection", "bilingual-test")
ROUND = "cassette-1"
#: The page size the recording used (its id ranges are 1-2, 3-4, ...).
RECORDED_PAGE_SIZE = 2
#: What a sync asks; the rest of the recording (push, add_response...) is left out.
PULL_METHODS = frozenset({"get_session_key", "export_responses", "release_session_key"})
TABLES = ("responses", "cursors", "sync_runs")


class Crash(BaseException):
    """Stands in for the process being killed: nothing catches it."""


# --- the kill loop, for any set of deployments and any way of syncing them -------------


class Syncer:
    """Sync deployments one after another, as ``coprod sync`` with one worker does."""

    def __init__(
        self, connector: LimeSurveyConnector, profile: Profile, deployments: list[Deployment]
    ) -> None:
        self.connector = connector
        self.profile = profile
        self.deployments = deployments

    def __call__(
        self, store: Store, progress: Callable[[str, int], None] | None = None
    ) -> list[DeploymentSync]:
        return [
            sync_deployment(store, self.connector, d, self.profile, progress=progress)
            for d in self.deployments
        ]


def _clear(store: Store) -> None:
    with store.engine.begin() as conn:
        for table in TABLES:
            conn.exec_driver_sql(f"DELETE FROM {table}")


def _stored(store: Store) -> dict[str, int]:
    """Records stored per deployment (scored and held)."""
    return {
        d.key: store.count_responses(d.key) + store.count_responses(d.key, held=True)
        for d in store.deployments()
    }


def kill_at_every_statement(
    store_url: str, deployments: list[tuple[Deployment, Instrument]], sync: Syncer
) -> tuple[int, dict[str, Any]]:
    """Kill ``sync`` before each of its statements in turn; re-run; compare.

    Returns the number of kill points and the uninterrupted sync's snapshot.
    """
    with Store(store_url) as reference:
        for deployment, instrument in deployments:
            reference.record_deployment(deployment, instrument)
        statements = [0]
        # what may be stored after a kill: whole pages only
        boundaries: dict[str, set[int]] = {d.key: {0} for d, _ in deployments}

        @sa.event.listens_for(reference.engine, "before_cursor_execute")
        def _count(*_: Any) -> None:
            statements[0] += 1

        results = sync(reference, lambda key, count: boundaries[key].add(count))
        sa.event.remove(reference.engine, "before_cursor_execute", _count)
        assert all(r.ok for r in results), [r.error for r in results]
        expected = reference.snapshot()
        _clear(reference)

    for point in range(1, statements[0] + 1):
        with Store(store_url) as store:
            seen = [0]

            @sa.event.listens_for(store.engine, "before_cursor_execute")
            def _kill(*_: Any, seen: list[int] = seen, point: int = point) -> None:
                seen[0] += 1
                if seen[0] == point:
                    raise Crash(point)

            try:
                sync(store)
            except Crash:
                pass
            else:  # pragma: no cover - the statement count says it must crash
                pytest.fail(f"the sync did not reach statement {point}")
            sa.event.remove(store.engine, "before_cursor_execute", _kill)
            for key, stored in _stored(store).items():
                assert stored in boundaries[key], (
                    f"a partial page of {key} stored after a kill at statement {point}: {stored}"
                )
            again = sync(store)
            assert all(r.ok for r in again), (point, [r.error for r in again])
            assert store.snapshot() == expected, f"store differs after a kill at statement {point}"
            _clear(store)
    return statements[0], expected


# --- (a) the recorded traffic ------------------------------------------------------------


@dataclass(frozen=True)
class Recording:
    cassette: Path
    deployments: list[tuple[Deployment, Instrument]]
    rows: dict[str, list[dict[str, Any]]]


def _interactions(name: str) -> list[dict[str, Any]]:
    path = CASSETTES / f"test_push_answer_pull_round_trip[{name}].yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    return list(data["interactions"])


def _method(interaction: dict[str, Any]) -> tuple[str, list[Any]]:
    payload = json.loads(interaction["request"]["body"])
    return payload["method"], payload["params"]


def _result(interaction: dict[str, Any]) -> Any:
    body = interaction["response"]["body"]["string"]
    return json.loads(body)["result"]


@pytest.fixture
def recording(tmp_path: Path, instrument_by_id: Callable[[str], Instrument]) -> Recording:
    """The pulls of the four round-trip cassettes, as one cassette, and their deployments."""
    kept: dict[str, dict[str, Any]] = {}
    deployments: list[tuple[Deployment, Instrument]] = []
    rows: dict[str, list[dict[str, Any]]] = {}
    for name in RECORDED:
        instrument = instrument_by_id(name)
        sid = None
        for interaction in _interactions(name):
            method, params = _method(interaction)
            if method not in PULL_METHODS:
                continue
            # one of each call is enough (replays repeat), and matching stays quick
            kept.setdefault(json.dumps([method, params[1:]]), interaction)
            if method == "export_responses" and params[4] == "complete" and not params[9]:
                sid = params[1]
                document = json.loads(base64.b64decode(_result(interaction)))
                rows.setdefault(str(sid), []).extend(document["responses"])
        assert sid is not None, f"no recorded pull in the {name} cassette"
        deployment = Deployment(
            platform="limesurvey",
            profile="ls-test",
            remote_id=str(sid),
            instrument=instrument.id,
            instrument_version=instrument.version,
            round=ROUND,
            url=f"{RECORDED_URL}/index.php/{sid}",
            created_at=datetime(2026, 5, 1, tzinfo=timezone.utc),
            details={"survey_id": sid, "languages": instrument.languages},
        )
        deployments.append((deployment, instrument))
    cassette = tmp_path / "recorded-pulls.yaml"
    cassette.write_text(
        yaml.safe_dump({"interactions": list(kept.values()), "version": 1}), encoding="utf-8"
    )
    return Recording(cassette, deployments, rows)


@contextmanager
def replay(cassette: Path) -> Iterator[Any]:
    """Replay only: an unrecorded request fails; recorded ones may be asked again."""
    player = vcr.VCR(**testing.vcr_config())
    testing.register(player)
    with player.use_cassette(
        str(cassette), record_mode="none", allow_playback_repeats=True
    ) as cassette_:
        yield cassette_
        gc.collect()  # a pull abandoned by a kill releases its key inside the replay


@pytest.fixture
def client() -> Iterator[httpx.Client]:
    """One httpx client for every session (making one per session costs a TLS context)."""
    with httpx.Client() as shared:
        yield shared


REPLAY_PROFILE = Profile(
    name="ls-test", platform="limesurvey", url=RECORDED_URL, user="replay-user"
).with_secret("replay-password")


def test_the_recorded_pulls_store_what_was_recorded(
    store_url: str, recording: Recording, client: httpx.Client
) -> None:
    connector = LimeSurveyConnector(client=client, page_size=RECORDED_PAGE_SIZE)
    with replay(recording.cassette), Store(store_url) as store:
        for deployment, instrument in recording.deployments:
            store.record_deployment(deployment, instrument)
            result = sync_deployment(store, connector, deployment, REPLAY_PROFILE)
            assert (result.error, result.new, result.pages) == (None, 3, 2)
            again = sync_deployment(store, connector, deployment, REPLAY_PROFILE)
            assert (again.error, again.new, again.pages) == (None, 0, 0)
        snapshot = store.snapshot()
    by_deployment: dict[str, list[str]] = {}
    for row in snapshot["responses"]:
        by_deployment.setdefault(row["deployment"], []).append(row["remote_id"])
        sid = row["deployment"].rsplit(":", 1)[1]
        recorded = {str(r["id"]): r for r in recording.rows[sid]}
        assert json.loads(row["raw"]) == recorded[row["remote_id"]]
    assert sorted(by_deployment.values()) == [["1", "2", "3"]] * len(RECORDED)
    assert {c["cursor"] for c in snapshot["cursors"]} == {"3"}


def _backend(store_url: str) -> str:
    return store_url.split(":", 1)[0].split("+", 1)[0]


def test_killed_sync_over_recorded_traffic_resumes_to_the_same_store(
    store_url: str, recording: Recording, client: httpx.Client, fault_tally: Any
) -> None:
    connector = LimeSurveyConnector(client=client, page_size=RECORDED_PAGE_SIZE)
    sync = Syncer(connector, REPLAY_PROFILE, [d for d, _ in recording.deployments])
    with replay(recording.cassette) as cassette:
        points, expected = kill_at_every_statement(store_url, recording.deployments, sync)
        assert cassette.play_count > 0
    assert points >= 20
    assert len(expected["responses"]) == 3 * len(RECORDED)
    fault_tally.kill_points[f"over recorded traffic on {_backend(store_url)}"] += points


# --- (b) the fake server, with more pages -------------------------------------------------


@pytest.fixture
def fake(instrument_by_id: Callable[[str], Instrument]) -> FakeLimeSurvey:
    """23 responses: 6, 12 and 18 unfinished; 9-11, 13 and 14 deleted (gaps wider than a page)."""
    server = FakeLimeSurvey(23, instrument=instrument_by_id("self-reflection"), incomplete_every=6)
    for n in (9, 10, 11, 13, 14):
        server.delete(n)
    return server


def test_the_fake_serves_the_recorded_columns(
    instrument_by_id: Callable[[str], Instrument],
) -> None:
    for name in RECORDED:
        export = next(
            i
            for i in _interactions(name)
            if _method(i)[0] == "export_responses" and _method(i)[1][7] == 1
        )
        recorded = json.loads(base64.b64decode(_result(export)))["responses"][0]
        assert headings(instrument_by_id(name)) == list(recorded), name


def test_the_fake_pages_like_the_recording(fake: FakeLimeSurvey) -> None:
    connector = LimeSurveyConnector(transport=fake.transport(), page_size=4)
    pages = list(connector.pull(fake.deployment(), fake.profile(), instrument=fake.instrument))
    ids = [[r.remote_response_id for r in p.records] for p in pages]
    # 9-12 has nothing: one ids-only probe finds 15; 18 is unfinished
    assert ids == [
        ["1", "2", "3", "4"],
        ["5", "7", "8"],
        ["15", "16", "17"],
        ["19", "20", "21"],
        ["22", "23"],
    ]
    assert [p.cursor for p in pages] == ["4", "8", "17", "21", "23"]
    assert all(r.response is not None and r.response.complete for p in pages for r in p.records)
    assert fake.logins == 1
    assert fake.calls[-1] == "release_session_key"


def test_killed_sync_over_the_fake_resumes_to_the_same_store(
    store_url: str, fake: FakeLimeSurvey, fault_tally: Any
) -> None:
    connector = LimeSurveyConnector(transport=fake.transport(), page_size=4)
    incomplete = LimeSurveyConnector(transport=fake.transport(), page_size=5)
    sync_complete = Syncer(connector, fake.profile(), [fake.deployment()])
    points, expected = kill_at_every_statement(
        store_url, [(fake.deployment(), fake.instrument)], sync_complete
    )
    assert points >= 20
    fault_tally.kill_points[f"over the fake on {_backend(store_url)}"] += points
    assert [r["remote_id"] for r in expected["responses"]] == sorted(map(str, fake.ids("complete")))
    assert expected["cursors"][0]["cursor"] == "23"
    # and with unfinished responses too (a profile option), in pages of 5
    everything = fake.profile(options={"include_incomplete": True})
    points, expected = kill_at_every_statement(
        store_url,
        [(fake.deployment(), fake.instrument)],
        Syncer(incomplete, everything, [fake.deployment()]),
    )
    assert points >= 20
    fault_tally.kill_points[f"over the fake on {_backend(store_url)}"] += points
    assert len(expected["responses"]) == len(fake)
    held = [json.loads(r["response"]) for r in expected["responses"]]
    assert sorted(int(r["response_id"]) for r in held if not r["complete"]) == [6, 12, 18]


def test_the_fake_serves_the_same_over_http_on_localhost(fake: FakeLimeSurvey) -> None:
    """The benchmarks talk to the fake over a real socket: the same pages come back."""
    through_mock = LimeSurveyConnector(transport=fake.transport(), page_size=4)
    expected = list(
        through_mock.pull(fake.deployment(), fake.profile(), instrument=fake.instrument)
    )
    with fake.serve() as server:
        assert server.url.startswith("http://127.0.0.1:")
        connector = LimeSurveyConnector(page_size=4)
        pages = list(
            connector.pull(server.deployment(), server.profile(), instrument=fake.instrument)
        )
        raw = httpx.post(f"{server.url}/index.php/admin/remotecontrol", content=b"{nonsense")
        missing = httpx.post(f"{server.url}/elsewhere", json={"method": "list_surveys"})
    assert [p.records for p in pages] == [p.records for p in expected]
    assert raw.json() == {"id": None, "result": None, "error": "unable to decode malformed json"}
    assert missing.status_code == 404
