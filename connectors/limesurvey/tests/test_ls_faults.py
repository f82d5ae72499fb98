"""The fault suite over the LimeSurvey connector, and the bad replies a server can send.

100 seeded trials: the fake LimeSurvey (over ``httpx.MockTransport``) behind the
core's FaultTransport (dropped connections, time-outs, 500/502/503, 429 with
``Retry-After: 0``, bodies cut short, HTML error pages, empty bodies) while its
session keys expire at seeded random points. Each trial syncs; the sync may
fail, but only with a clean error (never an unexpected exception, never a
hang, never a password sent twice after a failed login); then a sync without
faults must leave the store exactly as a fault-free run does. Nothing sleeps.

Then bad replies, each in the middle of a pull after responses are already
stored: an export that is base64 of broken JSON or of something other than a
document, a row with an unknown column or a value out of range, text in
latin-1, and LimeSurvey's HTML 500 page.
"""

from __future__ import annotations

import base64
import gc
import json
import threading
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass, field
from itertools import pairwise
from pathlib import Path
from typing import Any

import httpx
import pytest

from coprod_connectors.connectors import Deployment
from coprod_connectors.errors import ApiDisabledError, RateLimitedError, UnavailableError
from coprod_connectors.instruments import Instrument, builtin_instrument
from coprod_connectors.store import Store
from coprod_connectors.sync import DeploymentSync, sync_deployment
from coprod_limesurvey import LimeSurveyConnector
from coprod_limesurvey.rpc import MAX_RETRY_AFTER, POLICY, BrokenReplyError, RemoteControl
from coprod_testkit.faults import FaultTransport
from coprod_testkit.limesurvey_fake import FakeLimeSurvey, php_json, server_error_page

TRIALS = 100
FAULT_RATE = 0.15
EXPIRE_RATE = 0.1
PAGE_SIZE = 5
#: No sync of this survey needs anywhere near this many requests; more means it is stuck.
REQUEST_LIMIT = 400


class Runaway(BaseException):
    """A sync that keeps asking: stop it (nothing in the sync may catch this)."""


@dataclass
class Call:
    method: str
    outcome: str  # "ok", "key" (a session key came back), "expired", "failed"


class Recorder(httpx.BaseTransport):
    """The outermost transport: what the client sent and what it got back, call by call."""

    def __init__(self, inner: httpx.BaseTransport, limit: int = REQUEST_LIMIT) -> None:
        self.inner = inner
        self.limit = limit
        self.calls: list[Call] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if len(self.calls) >= self.limit:
            raise Runaway(f"more than {self.limit} requests")
        method = json.loads(request.content)["method"]
        call = Call(method, "failed")
        self.calls.append(call)
        response = self.inner.handle_request(request)
        response.read()
        try:
            result = json.loads(response.content)["result"]
        except (ValueError, KeyError, TypeError):
            return response
        if response.status_code != 200:
            return response
        if method == "get_session_key":
            call.outcome = "key" if isinstance(result, str) and len(result) == 32 else "failed"
        elif isinstance(result, dict) and result.get("status") == "Invalid session key":
            call.outcome = "expired"
        else:
            call.outcome = "ok"
        return response

    def logins(self) -> list[Call]:
        return [c for c in self.calls if c.method == "get_session_key"]


def assert_no_password_retried(calls: list[Call]) -> None:
    """After a login that failed, no other login; a new login only after an expired key."""
    logins = [c for c in calls if c.method == "get_session_key"]
    for before, _ in pairwise(logins):
        assert before.outcome == "key", f"a login was tried again after one failed: {calls}"
    expiries = sum(1 for c in calls if c.outcome == "expired")
    assert len(logins) <= 1 + expiries, calls


# --- the survey and the reference ------------------------------------------------------


FIRST = 20
MORE = 25
DELETED_LATER = 3


def make_fake(
    instrument: Instrument,
    *,
    expire_rate: float = 0.0,
    seed: int = 0,
    expire_after: int | None = None,
) -> FakeLimeSurvey:
    """20 responses (every 7th unfinished; 9-12 deleted: a gap wider than a page)."""
    fake = FakeLimeSurvey(
        FIRST,
        instrument=instrument,
        incomplete_every=7,
        expire_rate=expire_rate,
        expire_seed=seed,
        expire_after=expire_after,
    )
    for n in (9, 10, 11, 12):
        fake.delete(n)
    return fake


def grow(fake: FakeLimeSurvey) -> None:
    """What happens between two syncs: 25 new responses, one of the stored ones deleted."""
    fake.add(MORE)
    fake.delete(DELETED_LATER)


def connector_for(transport: httpx.BaseTransport, sleeps: list[float]) -> LimeSurveyConnector:
    return LimeSurveyConnector(transport=transport, page_size=PAGE_SIZE, sleep=sleeps.append)


def fresh_store(folder: Path, name: str, deployment: Deployment, instrument: Instrument) -> Store:
    store = Store(f"sqlite:///{folder / name}")
    store.record_deployment(deployment, instrument)
    return store


@pytest.fixture(scope="module")
def instrument() -> Instrument:
    """The self-reflection tool: grids of text, stages, and a repeat (the action plan)."""
    return builtin_instrument("self-reflection")


@dataclass
class Reference:
    incremental: dict[str, Any]
    full: dict[str, Any]


@pytest.fixture(scope="module")
def reference(instrument: Instrument, tmp_path_factory: pytest.TempPathFactory) -> Reference:
    """The store after: a clean sync, the survey grows, a clean sync (incremental or full)."""
    folder = tmp_path_factory.mktemp("reference")
    snapshots = {}
    for full in (False, True):
        fake = make_fake(instrument)
        deployment = fake.deployment()
        with fresh_store(folder, f"full-{full}.db", deployment, instrument) as store:
            connector = connector_for(fake.transport(), [])
            assert sync_deployment(store, connector, deployment, fake.profile()).ok
            grow(fake)
            result = sync_deployment(store, connector, deployment, fake.profile(), full=full)
            assert result.ok
            assert result.deleted == (1 if full else 0)
            snapshots[full] = store.snapshot()
    return Reference(incremental=snapshots[False], full=snapshots[True])


# --- 100 seeded trials ---------------------------------------------------------------------


@dataclass
class TrialResult:
    faults: dict[str, int] = field(default_factory=dict)
    expired: int = 0
    failed: bool = False


def run_trial(
    trial: int, instrument: Instrument, folder: Path, reference: Reference
) -> TrialResult:
    full = trial % 2 == 1
    fake = make_fake(instrument, expire_rate=EXPIRE_RATE, seed=trial)
    deployment = fake.deployment()
    profile = fake.profile()
    sleeps: list[float] = []
    outcome = TrialResult()
    with fresh_store(folder, f"trial-{trial}.db", deployment, instrument) as store:
        # a clean first sync, then the survey grows, then a sync through the faults
        fake.expire_rate = 0.0
        assert sync_deployment(store, connector_for(fake.transport(), []), deployment, profile).ok
        grow(fake)
        fake.expire_rate = EXPIRE_RATE
        faults = FaultTransport(fake.transport(), seed=trial, rate=FAULT_RATE)
        recorder = Recorder(faults)
        stored_before = store.snapshot()["responses"]
        result = sync_deployment(
            store, connector_for(recorder, sleeps), deployment, profile, full=full
        )
        outcome.faults = dict(faults.injected)
        outcome.expired = fake.expired
        check_faulty_run(trial, result, recorder, store, stored_before, sleeps, full=full)
        # the same sync without faults, as the next scheduled run would be
        fake.expire_rate = 0.0
        clean = Recorder(fake.transport())
        again = sync_deployment(store, connector_for(clean, []), deployment, profile, full=full)
        assert again.ok, (trial, again.error)
        assert_no_password_retried(clean.calls)
        expected = reference.full if full else reference.incremental
        assert store.snapshot() == expected, f"trial {trial}: the store differs from a clean run"
        outcome.failed = not result.ok
    assert fake.failed_logins == 0  # the right password, and never locked out
    return outcome


def check_faulty_run(
    trial: int,
    result: DeploymentSync,
    recorder: Recorder,
    store: Store,
    stored_before: list[dict[str, Any]],
    sleeps: list[float],
    *,
    full: bool,
) -> None:
    if result.error is not None:
        assert not result.error.startswith("unexpected"), (trial, result.error)
        assert "LimeSurvey" in result.error or "reach" in result.error, (trial, result.error)
        assert "fake-limesurvey-password" not in result.error
    assert_no_password_retried(recorder.calls)
    assert all(0 <= s <= MAX_RETRY_AFTER for s in sleeps), sleeps
    # nothing stored before is lost; whatever came in came in whole pages, in id order
    snapshot = store.snapshot()
    stored = {r["remote_id"]: r for r in snapshot["responses"]}
    for row in stored_before:
        assert row["remote_id"] in stored, (trial, row["remote_id"])
        if not stored[row["remote_id"]]["deleted"]:
            assert stored[row["remote_id"]]["raw"] == row["raw"]
    cursor = snapshot["cursors"][0]["cursor"] if snapshot["cursors"] else None
    assert cursor is not None
    if not full:  # (a full pull starts again from the first id and moves the cursor with it)
        assert max(int(i) for i in stored) <= int(cursor), (trial, cursor)


def test_a_hundred_seeded_fault_trials_end_with_the_fault_free_store(
    instrument: Instrument,
    reference: Reference,
    ram_dir: Path,
    fault_tally: Any,
) -> None:
    failed = 0
    totals: dict[str, int] = {}
    for trial in range(TRIALS):
        outcome = run_trial(trial, instrument, ram_dir, reference)
        for kind, n in outcome.faults.items():
            totals[kind] = totals.get(kind, 0) + n
        failed += outcome.failed
        fault_tally.trials += 1
        fault_tally.faults.update(outcome.faults)
        fault_tally.expired_keys += outcome.expired
        fault_tally.failed_then_recovered += outcome.failed
        fault_tally.clean_first_time += not outcome.failed
    # the trials really exercised something: every kind of fault, failures and recoveries
    assert set(totals) == {
        "connect",
        "timeout",
        "500",
        "502",
        "503",
        "429",
        "truncated",
        "html",
        "empty",
    }
    assert sum(totals.values()) >= TRIALS
    assert fault_tally.expired_keys >= 20
    assert 0 < failed < TRIALS


def test_expiring_session_keys_cost_a_login_each_not_the_sync(
    instrument: Instrument, ram_dir: Path
) -> None:
    fake = make_fake(instrument, expire_after=3)
    grow(fake)
    recorder = Recorder(fake.transport())
    with fresh_store(ram_dir, "expiry.db", fake.deployment(), instrument) as store:
        result = sync_deployment(
            store, connector_for(recorder, []), fake.deployment(), fake.profile()
        )
        assert result.ok, result.error
        assert store.count_responses() == len(fake.ids("complete"))
    assert fake.expired >= 3
    assert len(recorder.logins()) == 1 + fake.expired
    assert_no_password_retried(recorder.calls)


def test_a_key_that_expires_again_at_once_fails_the_sync_cleanly(
    instrument: Instrument, ram_dir: Path
) -> None:
    """LimeSurvey is asked again once after a new login; a second refusal is an error."""
    fake = make_fake(instrument, expire_after=0)
    recorder = Recorder(fake.transport())
    with fresh_store(ram_dir, "expired.db", fake.deployment(), instrument) as store:
        result = sync_deployment(
            store, connector_for(recorder, []), fake.deployment(), fake.profile()
        )
    assert result.error == "the LimeSurvey session key is no longer valid"
    assert [c.method for c in recorder.calls] == [
        "get_session_key",
        "export_responses",
        "get_session_key",
        "export_responses",
        "release_session_key",
    ]


def test_a_wrong_password_is_sent_once(instrument: Instrument, ram_dir: Path) -> None:
    fake = make_fake(instrument)
    profile = fake.profile().with_secret("not-the-password")
    recorder = Recorder(fake.transport())
    with fresh_store(ram_dir, "wrong.db", fake.deployment(), instrument) as store:
        result = sync_deployment(store, connector_for(recorder, []), fake.deployment(), profile)
        assert result.error is not None
        assert "did not accept the user name or password" in result.error
        assert "not-the-password" not in result.error
    assert [c.method for c in recorder.calls] == ["get_session_key"]
    assert fake.failed_logins == 1


# --- bad replies in the middle of a pull ----------------------------------------------------


Reply = Callable[[httpx.Request, FakeLimeSurvey], httpx.Response]


class Sabotage:
    """The fake, except that the ``nth`` data page of export_responses gets ``reply``
    (and so does every request for the same range after it: it does not mend itself)."""

    def __init__(self, fake: FakeLimeSurvey, nth: int, reply: Reply) -> None:
        self.fake = fake
        self.nth = nth
        self.reply = reply
        self.pages = 0
        self.broken: tuple[Any, Any] | None = None
        self.bad_replies = 0

    def __call__(self, request: httpx.Request) -> httpx.Response:
        payload = json.loads(request.content)
        params = payload["params"]
        if payload["method"] == "export_responses" and not params[9]:
            self.pages += 1
            if self.pages == self.nth:
                self.broken = (params[7], params[8])
            if self.broken == (params[7], params[8]):
                self.bad_replies += 1
                return self.reply(request, self.fake)
        return self.fake.handler(request)


def export_of(document: bytes) -> Reply:
    """A reply whose export document (inside the base64) is ``document``."""

    def reply(request: httpx.Request, fake: FakeLimeSurvey) -> httpx.Response:
        request_id = json.loads(request.content)["id"]
        encoded = base64.b64encode(document)
        body = b'{"id":' + php_json(request_id) + b', "result":"' + encoded + b'", "error":null}'
        return httpx.Response(200, headers={"content-type": "application/json"}, content=body)

    return reply


def error_page(request: httpx.Request, fake: FakeLimeSurvey) -> httpx.Response:
    page = server_error_page("CDbCommand failed to execute the SQL statement: SQLSTATE[HY000]")
    return httpx.Response(500, headers={"content-type": "text/html; charset=UTF-8"}, content=page)


def latin1_status(request: httpx.Request, fake: FakeLimeSurvey) -> httpx.Response:
    """A JSON-RPC answer written in latin-1 (a server with the wrong charset)."""
    status = "Fehler: Datenbank nicht erreichbar, Ger\u00e4t \u00fcberlastet"
    body = '{"id":1,"result":{"status":"' + status + '"},"error":null}'
    content = body.encode("latin-1")
    return httpx.Response(200, headers={"content-type": "application/json"}, content=content)


@dataclass
class Scene:
    fake: FakeLimeSurvey
    store: Store
    deployment: Deployment
    before: dict[str, Any]


@pytest.fixture
def scene(instrument: Instrument, ram_dir: Path) -> Iterator[Scene]:
    """A store already holding the first responses; the survey has grown since."""
    fake = make_fake(instrument)
    deployment = fake.deployment()
    with fresh_store(ram_dir, "scene.db", deployment, instrument) as store:
        assert sync_deployment(
            store, connector_for(fake.transport(), []), deployment, fake.profile()
        ).ok
        fake.add(MORE)
        yield Scene(fake, store, deployment, store.snapshot())


def sync_through(
    scene: Scene, handler: Callable[[httpx.Request], httpx.Response]
) -> DeploymentSync:
    connector = connector_for(httpx.MockTransport(handler), [])
    return sync_deployment(scene.store, connector, scene.deployment, scene.fake.profile())


def assert_kept_and_recovers(scene: Scene, pages_before_the_bad_one: int) -> None:
    """What was stored is still there, the cursor is after the last whole page, and a sync
    against the mended server ends where a clean run does."""
    snapshot = scene.store.snapshot()
    before = {r["remote_id"]: r for r in scene.before["responses"]}
    now = {r["remote_id"]: r for r in snapshot["responses"]}
    assert before.items() <= now.items()
    assert len(now) == len(before) + PAGE_SIZE * pages_before_the_bad_one
    assert int(snapshot["cursors"][0]["cursor"]) == max(map(int, now))
    result = sync_through(scene, scene.fake.handler)
    assert result.ok, result.error
    ids = sorted(map(int, (r["remote_id"] for r in scene.store.snapshot()["responses"])))
    assert ids == scene.fake.ids("complete")


@pytest.mark.parametrize(
    ("document", "words"),
    [
        pytest.param(
            b'{"responses": [{"id": 26, "submitdate": "2026-',
            'not a {"responses": [...]} JSON document (Invalid JSON: EOF while parsing',
            id="broken-json",
        ),
        pytest.param(b"[1, 2, 3]", "JSON document (Input should be an object)", id="a-list"),
        pytest.param(
            b'"No responses today"', "JSON document (Input should be an object)", id="a-string"
        ),
        pytest.param(
            b'{"responses": "none"}',
            "JSON document (responses: Input should be a valid array)",
            id="responses-not-a-list",
        ),
        pytest.param(
            b'{"responses": [17]}',
            "JSON document (responses.0: Input should be an object)",
            id="row-not-an-object",
        ),
        pytest.param(
            '{"responses": [{"id": 26, "role": "Siân"}]}'.encode("latin-1"),
            "it is not UTF-8 text (invalid continuation byte at byte 37) "
            "(check the character set of LimeSurvey's database)",
            id="latin-1",
        ),
    ],
)
def test_an_unreadable_export_is_a_clear_error_and_loses_nothing(
    scene: Scene, document: bytes, words: str
) -> None:
    sabotage = Sabotage(scene.fake, 2, export_of(document))
    result = sync_through(scene, sabotage)
    assert result.error is not None
    assert result.error.startswith("LimeSurvey's export of responses 26-30 could not be read: "), (
        result.error
    )
    assert words in result.error
    assert sabotage.bad_replies == 1  # the server answered: asking again would not help
    assert_kept_and_recovers(scene, pages_before_the_bad_one=1)


def test_an_html_500_page_mid_pull_is_a_clear_error_and_loses_nothing(scene: Scene) -> None:
    sabotage = Sabotage(scene.fake, 3, error_page)
    result = sync_through(scene, sabotage)
    assert result.error == (
        "LimeSurvey answered export_responses with an error page (HTTP 500): "
        "CDbCommand failed to execute the SQL statement: SQLSTATE[HY000]"
    )
    assert sabotage.bad_replies == 1  # a 500 is not a passing hiccup: not retried
    assert_kept_and_recovers(scene, pages_before_the_bad_one=2)


def test_a_server_that_ignores_the_id_range_is_an_error_not_a_hang(scene: Scene) -> None:
    def ignoring(request: httpx.Request) -> httpx.Response:
        payload = json.loads(request.content)
        if payload["method"] == "export_responses" and not payload["params"][9]:
            payload["params"][7:9] = [None, None]  # every response, whatever was asked
            request = httpx.Request("POST", request.url, json=payload)
        return scene.fake.handler(request)

    result = sync_through(scene, ignoring)
    assert result.error is not None
    assert "ignored the id range" in result.error, result.error
    assert scene.store.snapshot() == scene.before


def test_a_latin1_answer_is_a_clear_error_and_loses_nothing(scene: Scene) -> None:
    sabotage = Sabotage(scene.fake, 2, latin1_status)
    result = sync_through(scene, sabotage)
    assert result.error is not None
    assert result.error.startswith(
        "LimeSurvey's answer to export_responses is not UTF-8 text (invalid"
    ), result.error
    assert "character set" in result.error
    # a read is asked again as often as the policy retries, then given up
    assert sabotage.bad_replies == 1 + POLICY.max_retries
    assert_kept_and_recovers(scene, pages_before_the_bad_one=1)


def test_unknown_columns_and_values_out_of_range_are_kept_and_flagged(
    ram_dir: Path, instrument_by_id: Callable[[str], Instrument]
) -> None:
    bilingual = instrument_by_id("bilingual-test")
    fake = FakeLimeSurvey(6, instrument=bilingual)
    fake.edit(2, **{"age": "999", "mystery[x1]": "kept"})
    fake.edit(4, role="boss", **{"contact[fax]": "Y"})
    fake.edit(5, age="about forty", lastVisit="yesterday")
    with fresh_store(ram_dir, "flags.db", fake.deployment(), bilingual) as store:
        result = sync_deployment(
            store, connector_for(fake.transport(), []), fake.deployment(), fake.profile()
        )
        assert (result.error, result.new) == (None, 6)
        responses = {r.response_id: r for r in store.responses()}
        raws = {r["remote_id"]: json.loads(r["raw"]) for r in store.snapshot()["responses"]}
    assert sorted(responses) == ["1", "2", "3", "4", "5", "6"]
    flags = {rid: {(f.code, str(f.kind)) for f in r.flags} for rid, r in responses.items()}
    assert flags["1"] == set()
    assert flags["2"] == {("age", "out_of_range"), ("mystery[x1]", "unknown_code")}
    assert responses["2"].answers["age"] == 999
    assert responses["2"].answers["mystery[x1]"] == "kept"
    assert flags["4"] == {("role", "invalid_value"), ("contact[fax]", "unknown_code")}
    assert responses["4"].answers["role"] == "boss"
    assert flags["5"] == {("age", "invalid_value"), ("lastVisit", "invalid_value")}
    assert raws["2"]["mystery[x1]"] == "kept"  # and the platform's record, as it came


@pytest.mark.parametrize(
    "row",
    [
        pytest.param({"submitdate": "2026-05-01 10:00:00"}, id="no-id"),
        pytest.param({"id": "twenty-six"}, id="id-not-a-number"),
        pytest.param({"id": None}, id="id-null"),
    ],
)
def test_a_row_without_a_usable_id_is_a_clear_error_and_loses_nothing(
    scene: Scene, row: dict[str, Any]
) -> None:
    document = json.dumps({"responses": [row]}).encode()
    result = sync_through(scene, Sabotage(scene.fake, 2, export_of(document)))
    assert result.error is not None
    assert result.error.startswith("LimeSurvey sent a response without a usable id"), result.error
    assert_kept_and_recovers(scene, pages_before_the_bad_one=1)


# --- asking ahead (a helper thread fetches the next range while a page is stored) ----------


def _prefetch_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "limesurvey-prefetch"]


def test_asking_ahead_changes_nothing_but_the_timing(instrument: Instrument) -> None:
    seen = []
    for prefetch in (True, False):
        fake = make_fake(instrument, expire_after=4)
        grow(fake)
        connector = LimeSurveyConnector(
            transport=fake.transport(), page_size=PAGE_SIZE, prefetch=prefetch
        )
        pages = list(connector.pull(fake.deployment(), fake.profile(), instrument=instrument))
        seen.append(
            (
                [[r.remote_response_id for r in p.records] for p in pages],
                [(p.cursor, p.requests) for p in pages],
                [r.response for p in pages for r in p.records],
                fake.calls,
                fake.exports,
            )
        )
    assert seen[0] == seen[1]
    assert not _prefetch_threads()


def test_a_pull_stopped_early_stops_asking_and_releases_its_key(instrument: Instrument) -> None:
    fake = make_fake(instrument)
    grow(fake)
    connector = connector_for(fake.transport(), [])
    pages = connector.pull(fake.deployment(), fake.profile(), instrument=instrument)
    assert isinstance(pages, Generator)
    threshold = gc.get_threshold()
    try:
        first = next(pages)
        # fewer collections while it pulls
        assert gc.get_threshold()[0] >= (50_000 if gc.isenabled() else threshold[0])
    finally:
        pages.close()
    assert gc.get_threshold() == threshold  # and as before once it stopped
    assert [r.remote_response_id for r in first.records] == ["1", "2", "4", "5"]  # 3 deleted
    assert not _prefetch_threads()
    assert fake.calls[-1] == "release_session_key"
    # the helper asked for at most two ranges beyond the page taken (one queued, one made)
    assert len([e for e in fake.exports if e[3] is None]) <= 3


# --- what the client asks again, and what it gives up on ----------------------------------


def _scripted(replies: list[httpx.Response]) -> tuple[RemoteControl, list[str], list[float]]:
    """A client whose get_session_key works and whose other calls get ``replies`` in turn."""
    methods: list[str] = []
    sleeps: list[float] = []

    def handler(request: httpx.Request) -> httpx.Response:
        method = json.loads(request.content)["method"]
        methods.append(method)
        if method == "get_session_key":
            return httpx.Response(200, json={"id": 1, "result": "k" * 32, "error": None})
        if method == "release_session_key":
            return httpx.Response(200, json={"id": 1, "result": "OK", "error": None})
        return replies.pop(0)

    client = RemoteControl(
        "https://ls.example.org",
        "admin",
        "pw",
        transport=httpx.MockTransport(handler),
        sleep=sleeps.append,
        policy=POLICY.with_(random=lambda: 1.0),  # the jitter at its ceiling
    )
    return client, methods, sleeps


OK_SUMMARY = httpx.Response(200, json={"id": 1, "result": {"completed_responses": 1}})


def test_a_429_is_waited_out_for_a_read_as_retry_after_says() -> None:
    slow_down = httpx.Response(429, headers={"Retry-After": "7"}, text="Too Many Requests")
    rc, methods, sleeps = _scripted([slow_down, OK_SUMMARY])
    with rc:
        assert rc.call("get_summary", 1, "all") == {"completed_responses": 1}
    assert sleeps == [7.0]
    assert methods.count("get_summary") == 2


def test_a_429_asking_for_too_long_a_wait_is_an_error_at_once() -> None:
    slow_down = httpx.Response(429, headers={"Retry-After": "3600"}, text="Too Many Requests")
    rc, methods, sleeps = _scripted([slow_down])
    with pytest.raises(RateLimitedError) as caught, rc:
        rc.call("get_summary", 1, "all")
    assert caught.value.retry_after == 3600.0
    assert "slow down" in caught.value.message
    assert sleeps == []
    assert methods.count("get_summary") == 1


def test_a_429_on_a_write_is_not_retried() -> None:
    slow_down = httpx.Response(429, headers={"Retry-After": "0"}, text="Too Many Requests")
    rc, methods, _ = _scripted([slow_down, OK_SUMMARY])
    with pytest.raises(RateLimitedError), rc:
        rc.call("add_response", 1, {})
    assert methods.count("add_response") == 1


@pytest.mark.parametrize(
    "broken",
    [
        pytest.param(httpx.Response(200, content=b""), id="empty-once-logged-in"),
        pytest.param(httpx.Response(200, content=b'{"id":1,"result":{"compl'), id="cut-short"),
    ],
)
def test_a_reply_lost_on_the_way_is_asked_again(broken: httpx.Response) -> None:
    rc, methods, sleeps = _scripted([broken, OK_SUMMARY])
    with rc:
        assert rc.call("get_summary", 1, "all") == {"completed_responses": 1}
    assert methods.count("get_summary") == 2
    assert sleeps == [POLICY.backoff]


def test_an_empty_reply_mid_session_is_not_called_json_rpc_switched_off() -> None:
    rc, _, _ = _scripted([httpx.Response(200, content=b"")] * (1 + POLICY.max_retries))
    with pytest.raises(BrokenReplyError) as caught, rc:
        rc.call("get_summary", 1, "all")
    assert not isinstance(caught.value, ApiDisabledError)
    assert "empty page" in caught.value.message


def test_a_huge_hostile_error_page_is_read_capped_and_shown_on_one_line() -> None:
    unit = b"<script <style <b <!-- \x1b]0;pwned\x07 x" * 8
    page = b"<html><head><title>500</title></head><body>\x1b[2JBoom " + unit * 20_000
    rc, _, _ = _scripted([httpx.Response(500, content=page)])
    with pytest.raises(UnavailableError) as caught, rc:
        rc.call("get_summary", 1, "all")
    assert len(page) > 500_000
    assert "\x1b" not in str(caught.value)
    assert "\n" not in str(caught.value)
    assert str(caught.value) == (
        "LimeSurvey answered get_summary with an error page (HTTP 500): 500 \\x1b[2JBoom"
    )


def test_an_error_page_says_what_the_page_says() -> None:
    page = server_error_page("Unknown column 'x' in 'field list'")
    rc, _, _ = _scripted([httpx.Response(500, content=page)])
    with pytest.raises(UnavailableError) as caught, rc:
        rc.call("get_summary", 1, "all")
    assert str(caught.value) == (
        "LimeSurvey answered get_summary with an error page (HTTP 500): "
        "Unknown column 'x' in 'field list'"
    )
