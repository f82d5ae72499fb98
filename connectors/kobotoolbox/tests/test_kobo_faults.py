"""The KoboToolbox fault suite: syncs through a network that fails, and KPI replies that lie.

100 seeded trials: each puts the core's ``FaultTransport`` (dropped connections,
time-outs, 500/502/503, 429 with ``Retry-After: 0``, bodies cut short, HTML error
pages, empty bodies) between the connector and the fake KPI, and runs

1. an incremental sync of a fresh store (the first 13 submissions, pages of 4);
2. after the server changed (3 new submissions on a redeployed form version, an
   edit, a deletion, a "Not approved"), a full sync.

A sync may fail, but only with a clean error (one of the core's exceptions,
reported in its ``DeploymentSync``), never an unexpected one. After each, a
fault-free run (``--full`` for the second) must leave the store exactly as the
fault-free syncs do: no response lost, none duplicated, the cursor right. The
counts are printed at the end of the run (see ``conftest.py``).

Then KPI-specific bad replies, each refused with a clear error (or kept and
flagged), with nothing already stored lost; and checks that the fake KPI these
suites (and the benchmark) rely on answers as the recorded real one does.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import httpx
import pytest
import yaml

from coprod_connectors.connectors import Deployment
from coprod_connectors.errors import AuthenticationError, CoprodError, PlatformError
from coprod_connectors.responses import FlagKind
from coprod_connectors.store import Store
from coprod_connectors.sync import DeploymentSync, sync_deployment
from coprod_kobotoolbox import KoboToolboxConnector
from coprod_kobotoolbox.submissions import answer_code
from coprod_testkit.faults import FaultTransport
from coprod_testkit.kobotoolbox_fake import FakeKpi

TRIALS = 100
#: The chance that any one request fails, by trial: a shaky network to a storm. At the
#: higher rates some syncs run out of retries (three a request) and fail, so the
#: recovery is exercised too.
RATES = (0.15, 0.25, 0.35, 0.5)
PAGE = 4


def _no_sleep(_: float) -> None:
    return None


def make_fake() -> FakeKpi:
    return FakeKpi(13, instrument="ladder-check", seed=2026)


def change(fake: FakeKpi) -> None:
    """What happens on the server between the two syncs."""
    fake.add(1)
    fake.redeploy("1.0.0")
    fake.add(2)
    fake.edit(3, role="nosay", early="y")
    fake.delete(6)
    fake.set_validation_status(9, "validation_status_not_approved")


def _state(store: Store) -> str:
    return json.dumps(store.snapshot(), sort_keys=True, default=str)


def _connector(transport: httpx.BaseTransport) -> KoboToolboxConnector:
    return KoboToolboxConnector(transport=transport, sleep=_no_sleep, page_size=PAGE)


@dataclass(frozen=True)
class Expected:
    """The store after the fault-free syncs."""

    first: str
    full: str


def _store(fake: FakeKpi) -> Store:
    """A store in memory (SQLite): these tests are about the network, not the disk (the
    store's own tests and the kill test use files and PostgreSQL)."""
    store = Store("sqlite://")
    store.record_deployment(fake.deployment(), fake.instrument)
    return store


@pytest.fixture(scope="module")
def expected() -> Expected:
    fake = make_fake()
    connector = _connector(fake.transport())
    with _store(fake) as store:
        first = sync_deployment(store, connector, fake.deployment(), fake.profile())
        assert (first.ok, first.new, first.pages) == (True, 13, 4)
        after_first = _state(store)
        change(fake)
        store.record_deployment(fake.deployment(), fake.instrument)
        full = sync_deployment(store, connector, fake.deployment(), fake.profile(), full=True)
        assert (full.ok, full.new, full.updated, full.deleted) == (True, 3, 2, 1)
        assert store.count_responses() == 14
        assert store.count_responses(held=True) == 1
        return Expected(after_first, _state(store))


class Failures:
    """The sync's own report of a failure, and the exception behind it (from its log)."""

    def __init__(self, caplog: pytest.LogCaptureFixture) -> None:
        self.caplog = caplog

    def check(self, outcome: DeploymentSync) -> str | None:
        """None if the sync worked; else the name of the (clean) error it failed with."""
        records = [r for r in self.caplog.records if r.name == "coprod_connectors.sync"]
        self.caplog.clear()
        unexpected = [r for r in records if r.levelno >= logging.ERROR]
        assert not unexpected, unexpected[0].getMessage()
        if outcome.ok:
            assert not records
            return None
        assert outcome.error, outcome
        assert not outcome.error.startswith("unexpected"), outcome.error
        [record] = records
        error = record.args[1] if isinstance(record.args, tuple) else None
        assert isinstance(error, CoprodError), record.args
        assert str(error) == outcome.error
        return type(error).__name__


@pytest.mark.parametrize("trial", range(TRIALS), ids=lambda t: f"trial{t:03d}")
def test_a_sync_through_faults_ends_as_the_fault_free_one(
    trial: int,
    expected: Expected,
    caplog: pytest.LogCaptureFixture,
    fault_tally: Any,
) -> None:
    caplog.set_level(logging.WARNING, logger="coprod_connectors.sync")
    failures = Failures(caplog)
    fake = make_fake()
    faults = FaultTransport(fake.transport(), seed=trial, rate=RATES[trial % len(RATES)])
    # FaultTransport is an httpx transport by duck typing (it does not subclass BaseTransport)
    through_faults = _connector(cast(httpx.BaseTransport, faults))
    fault_free = _connector(fake.transport())
    profile = fake.profile()
    with _store(fake) as store:
        # 1. a first sync through the faults, then a fault-free one
        deployment = fake.deployment()
        error = failures.check(sync_deployment(store, through_faults, deployment, profile))
        again = sync_deployment(store, fault_free, deployment, profile)
        assert failures.check(again) is None
        if error is None:
            assert (again.new, again.updated) == (0, 0), "the sync through faults missed some"
        assert _state(store) == expected.first
        recovered = [error] if error else []

        # 2. the server changes; a full sync through the faults, then (if it failed) again
        change(fake)
        deployment = fake.deployment()
        store.record_deployment(deployment, fake.instrument)
        error = failures.check(
            sync_deployment(store, through_faults, deployment, profile, full=True)
        )
        if error is not None:
            recovered.append(error)
            assert (
                failures.check(sync_deployment(store, fault_free, deployment, profile, full=True))
                is None
            )
        assert _state(store) == expected.full
        quiet = sync_deployment(store, fault_free, deployment, profile)
        assert (quiet.new, quiet.updated, quiet.requests) == (0, 0, 1)

    fault_tally.trials += 1
    fault_tally.requests += faults.requests
    fault_tally.faults.update(faults.injected)
    fault_tally.failed_then_recovered += len(recovered)
    fault_tally.errors.update(recovered)


def test_the_trials_inject_every_kind_of_fault_and_some_syncs_fail(fault_tally: Any) -> None:
    """Runs after the trials (same module, declared later): the suite did what it says."""
    if fault_tally.trials < TRIALS:
        pytest.skip("run the whole module to check the trials' totals")
    assert set(fault_tally.faults) == {
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
    assert fault_tally.failed_then_recovered >= 5


# --- KPI replies that are wrong ------------------------------------------------------


class Tampered:
    """The fake KPI, with the answer to one data request changed (the n-th, from 1)."""

    def __init__(
        self, fake: FakeKpi, request: int, change: Callable[[dict[str, Any]], Any] | None = None
    ) -> None:
        self.fake = fake
        self.request = request
        self.change = change
        self.seen = 0
        self.reply: httpx.Response | None = None

    def handler(self, request: httpx.Request) -> httpx.Response:
        real = self.fake.handler(request)
        if "/data/" not in request.url.path:
            return real
        self.seen += 1
        if self.seen != self.request:
            return real
        if self.reply is not None:
            return self.reply
        assert self.change is not None
        body = self.change(json.loads(real.content))
        return httpx.Response(200, json=body)


@pytest.fixture
def stored() -> Iterator[tuple[Store, FakeKpi, Deployment]]:
    """A store that already holds 13 submissions; the server has 5 more since."""
    fake = make_fake()
    store = _store(fake)
    first = sync_deployment(store, _connector(fake.transport()), fake.deployment(), fake.profile())
    assert first.ok
    fake.add(5)
    yield store, fake, fake.deployment()
    store.close()


def _tampered_sync(
    store: Store, fake: FakeKpi, tampered: Tampered, deployment: Deployment
) -> DeploymentSync:
    return sync_deployment(
        store, _connector(httpx.MockTransport(tampered.handler)), deployment, fake.profile()
    )


def _drop_results(body: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in body.items() if k != "results"}


def _results_as(value: Any) -> Callable[[dict[str, Any]], dict[str, Any]]:
    return lambda body: {**body, "results": value}


def _first_id_as(value: Any) -> Callable[[dict[str, Any]], dict[str, Any]]:
    def change(body: dict[str, Any]) -> dict[str, Any]:
        body["results"][0]["_id"] = value
        return body

    return change


def _last_id_as(value: Any) -> Callable[[dict[str, Any]], dict[str, Any]]:
    def change(body: dict[str, Any]) -> dict[str, Any]:
        body["results"][-1]["_id"] = value
        return body

    return change


def _first_not_an_object(body: dict[str, Any]) -> dict[str, Any]:
    body["results"][0] = "submission"
    return body


@pytest.mark.parametrize(
    ("change", "message"),
    [
        pytest.param(_drop_results, "not submissions", id="no-results-key"),
        pytest.param(_results_as({"_id": 20}), "not submissions", id="results-not-a-list"),
        pytest.param(lambda body: [body], "not submissions", id="a-list-not-a-page"),
        pytest.param(_first_id_as("abc"), r"_id is not a whole number \('abc'\)", id="id-text"),
        pytest.param(_first_id_as(15.5), r"not a whole number \(15\.5\)", id="id-float"),
        pytest.param(_last_id_as(None), r"not a whole number \(None\)", id="id-null"),
        pytest.param(_last_id_as(True), r"not a whole number \(True\)", id="id-boolean"),
        pytest.param(_first_not_an_object, r"not a whole number \(not an object\)", id="not-obj"),
    ],
)
def test_a_data_page_that_is_not_submissions_is_refused_and_nothing_is_lost(
    stored: tuple[Store, FakeKpi, Deployment],
    change: Callable[[dict[str, Any]], Any],
    message: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    store, fake, deployment = stored
    before = _state(store)
    cursor = store.cursor(deployment.key)
    # the second page of the new submissions is the bad one: the first is stored
    tampered = Tampered(fake, 2, change)
    connector = KoboToolboxConnector(
        transport=httpx.MockTransport(tampered.handler), sleep=_no_sleep, page_size=3
    )
    with caplog.at_level(logging.WARNING, logger="coprod_connectors.sync"):
        outcome = sync_deployment(store, connector, deployment, fake.profile())
    assert outcome.error is not None
    assert outcome.new == 3
    [record] = [r for r in caplog.records if r.name == "coprod_connectors.sync"]
    assert record.levelno == logging.WARNING  # a clean failure, not an unexpected one
    assert isinstance(record.args, tuple)
    assert isinstance(record.args[1], PlatformError)
    assert record.args[1].hint
    assert __import__("re").search(message, outcome.error), outcome.error
    assert store.cursor(deployment.key) == "16" != cursor
    assert store.count_responses() == 13 + 3
    # what was there before is all still there, unchanged
    kept = json.loads(before)["responses"]
    now = {(r["deployment"], r["remote_id"]): r for r in store.snapshot()["responses"]}
    assert all(now[(r["deployment"], r["remote_id"])] == r for r in kept)
    # and a sync with the server behaving again gets the rest
    again = sync_deployment(store, _connector(fake.transport()), deployment, fake.profile())
    assert (again.ok, again.new) == (True, 2)
    assert store.cursor(deployment.key) == "18"


def test_a_server_that_ignores_the_query_does_not_loop_for_ever(
    stored: tuple[Store, FakeKpi, Deployment],
) -> None:
    store, fake, deployment = stored

    def ignoring(request: httpx.Request) -> httpx.Response:
        params = dict(request.url.params)
        params.pop("query", None)
        return fake.handler(
            httpx.Request("GET", request.url.copy_with(params=params), headers=request.headers)
        )

    outcome = sync_deployment(
        store,
        KoboToolboxConnector(transport=httpx.MockTransport(ignoring), page_size=4),
        deployment,
        fake.profile(),
    )
    assert outcome.error is not None
    assert "ignored the query" in outcome.error
    assert store.count_responses() == 13


def test_an_html_login_page_with_200_is_an_authentication_error(
    stored: tuple[Store, FakeKpi, Deployment], caplog: pytest.LogCaptureFixture
) -> None:
    store, fake, deployment = stored
    before = _state(store)
    tampered = Tampered(fake, 1)
    tampered.reply = httpx.Response(
        200,
        html=(
            "<!DOCTYPE html><html><head><title>KoboToolbox</title></head><body>"
            '<form action="/accounts/login/" method="post"><input name="login">'
            "</form></body></html>"
        ),
    )
    with caplog.at_level(logging.WARNING, logger="coprod_connectors.sync"):
        outcome = _tampered_sync(store, fake, tampered, deployment)
    assert outcome.error is not None
    assert "login page" in outcome.error
    assert "API key" in outcome.error
    [record] = [r for r in caplog.records if r.name == "coprod_connectors.sync"]
    assert isinstance(record.args, tuple)
    assert isinstance(record.args[1], AuthenticationError)
    assert _state(store) == before


def test_an_unknown_form_version_is_kept_and_flagged(
    stored: tuple[Store, FakeKpi, Deployment],
) -> None:
    store, fake, deployment = stored
    hand_made = fake.redeploy(None)  # a form version edited on KoboToolbox, not pushed
    [new] = fake.add(1)
    outcome = sync_deployment(store, _connector(fake.transport()), deployment, fake.profile())
    assert (outcome.ok, outcome.new) == (True, 6)
    flagged = [r for r in store.responses() if r.flags]
    assert len(flagged) == 1
    [flag] = flagged[0].flags
    assert (flag.code, flag.kind, flag.value) == ("__version__", FlagKind.INCONSISTENT, hand_made)
    assert f"form version {hand_made}" in flag.message
    assert flagged[0].instrument_version == fake.instrument.version
    assert flagged[0].response_id == fake.submission(new)["_uuid"]
    assert store.count_responses() == 19


# --- the fake KPI these suites rely on answers as the recorded one ------------------

CASSETTES = Path(__file__).parent / "cassettes" / "test_kobo_roundtrip"
RECORDED = "http://127.0.0.1:8082"


def _recorded(instrument: str) -> list[tuple[str, dict[str, Any]]]:
    """The recorded data-list requests of a built-in's round trip and their JSON answers."""
    name = f"test_push_submit_pull_each_builtin[{instrument}].yaml"
    data = yaml.safe_load((CASSETTES / name).read_text(encoding="utf-8"))
    return [
        (i["request"]["uri"], json.loads(i["response"]["body"]["string"]))
        for i in data["interactions"]
        if i["request"]["method"] == "GET" and "/data/?" in i["request"]["uri"]
    ]


def _fake_get(fake: FakeKpi, url: str, *, token: str | None = None) -> httpx.Response:
    headers = {"Authorization": f"Token {token or fake.token}"}
    with httpx.Client(transport=fake.transport(), headers=headers) as client:
        return client.get(url)


def _shape(value: Any) -> Any:
    """A JSON value with the values replaced by their types (strings stay strings)."""
    if isinstance(value, dict):
        return {k: _shape(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_shape(v) for v in value[:1]]
    return type(value).__name__


@pytest.mark.parametrize("instrument", ["self-reflection", "checklist", "ladder-check"])
def test_the_fake_pages_like_the_recorded_kpi(instrument: str) -> None:
    [(first_uri, first), (second_uri, second), *_] = _recorded(instrument)
    uid = first_uri.split("/api/v2/assets/")[1].split("/")[0]
    fake = FakeKpi(3, instrument=instrument, uid=uid, first_id=first["results"][0]["_id"])
    ours = _fake_get(fake, first_uri).json()
    # the envelope, the next link (parameters sorted, absolute, "start") and the count
    assert list(ours) == list(first) == ["count", "next", "previous", "results"]
    assert (ours["count"], ours["next"], ours["previous"]) == (
        first["count"],
        first["next"],
        first["previous"],
    )
    assert len(ours["results"]) == len(first["results"])
    following = _fake_get(fake, second_uri).json()
    assert [s["_id"] for s in following["results"]] == [s["_id"] for s in second["results"]]
    assert following["next"] is second["next"] is None
    # each submission: the same metadata, in the same order, of the same types
    for mine, theirs in zip(ours["results"], first["results"], strict=True):
        meta = [k for k in theirs if not answer_code(k)]
        assert [k for k in mine if not answer_code(k)] == meta
        assert {k: _shape(mine[k]) for k in meta if k != "_attachments"} == {
            k: _shape(theirs[k]) for k in meta if k != "_attachments"
        }
        assert mine["meta/rootUuid"] == f"uuid:{mine['_uuid']}" == mine["meta/instanceID"]
        assert mine["_xform_id_string"] == uid
    # answers under the same group paths, as text (repeats as lists of objects)
    recorded_paths = {k for s in first["results"] + second["results"] for k in s if answer_code(k)}
    generated = FakeKpi(64, instrument=instrument, uid=uid)
    paths: set[str] = set()
    for n in generated.ids():
        submission = generated.submission(n)
        for key, value in submission.items():
            if answer_code(key):
                paths.add(key)
                assert isinstance(value, (str, list)), (key, value)
    assert recorded_paths <= paths
    form_paths = {slot.path for slot in generated.slots}
    assert paths <= form_paths


def test_the_fakes_attachments_and_fields_are_shaped_as_recorded() -> None:
    recorded = _recorded("self-reflection")
    uid = recorded[0][0].split("/api/v2/assets/")[1].split("/")[0]
    theirs = next(s for _, b in recorded if "fields=" not in _ for s in b["results"])
    fake = FakeKpi(40, uid=uid)
    mine = next(
        fake.submission(n) for n in fake.ids() if len(fake.submission(n)["_attachments"]) > 1
    )
    by_kind = {a["mimetype"]: list(a) for a in theirs["_attachments"]}
    for attachment in mine["_attachments"]:
        assert list(attachment) == by_kind[attachment["mimetype"]]
        assert attachment["download_url"].startswith(f"{fake.base_url}/api/v2/assets/{uid}/data/")
        assert attachment["question_xpath"] in {slot.path for slot in fake.slots}
        answer = mine[attachment["question_xpath"]]
        assert attachment["media_file_basename"] == answer
    # ``fields``: what was asked for, plus the ids KPI adds, as recorded
    # the first page of them (a recording may have a second page)
    uri, body = next((u, b) for u, b in recorded if "fields=" in u)
    ours = _fake_get(fake, uri.replace("http://127.0.0.1:8082", fake.base_url)).json()
    assert [list(s) for s in ours["results"]] == [list(s) for s in body["results"]]
    assert all(a["question_xpath"] == "" for s in ours["results"] for a in s["_attachments"])
    assert ours["next"] == body["next"].replace(RECORDED, fake.base_url)


def test_the_fake_edits_deletes_and_validates_as_recorded() -> None:
    data = yaml.safe_load(
        (CASSETTES / "test_edits_deletions_and_validation_status.yaml").read_text("utf-8")
    )
    pages = [
        json.loads(i["response"]["body"]["string"])
        for i in data["interactions"]
        if "/data/?format=json" in i["request"]["uri"]
    ]
    before = {s["_id"]: s for s in pages[0]["results"]}
    after = {s["_id"]: s for s in pages[-1]["results"]}
    [edited_id] = [n for n in after if "meta/deprecatedID" in after[n]]
    [rejected_id] = [n for n in after if after[n]["_validation_status"]]
    fake = FakeKpi(3)
    old = fake.submission(1)
    new = fake.edit(1, role="nosay")
    fake.delete(2)
    status = fake.set_validation_status(3, "validation_status_not_approved")
    # an edit: same _id and root uuid, a new instance, the old one as deprecatedID
    assert [k for k in new if k.startswith(("meta/", "_uuid"))] == [
        k for k in after[edited_id] if k.startswith(("meta/", "_uuid"))
    ]
    assert new["meta/deprecatedID"] == old["meta/instanceID"]
    assert new["meta/rootUuid"] == old["meta/rootUuid"] != f"uuid:{new['_uuid']}"
    assert before[edited_id]["meta/rootUuid"] == after[edited_id]["meta/rootUuid"]
    assert new["about/role"] == "nosay"
    assert list(status) == list(after[rejected_id]["_validation_status"])
    assert status["label"] == after[rejected_id]["_validation_status"]["label"]
    assert fake.ids() == [1, 3]
    page = _fake_get(fake, f"{fake.base_url}/api/v2/assets/{fake.uid}/data/?format=json").json()
    assert (page["count"], [s["_id"] for s in page["results"]]) == (2, [1, 3])


def test_the_fake_answers_queries_limits_and_tokens_as_kpi_does() -> None:
    fake = FakeKpi(12, instrument="ladder-check", page_cap=5)
    data = f"{fake.base_url}/api/v2/assets/{fake.uid}/data/"

    def ids(query: str) -> list[int]:
        reply = _fake_get(fake, f"{data}?{query}")
        assert reply.status_code == 200, reply.text
        return [s["_id"] for s in reply.json()["results"]]

    assert ids("limit=3") == [1, 2, 3]
    assert ids("limit=50") == [1, 2, 3, 4, 5]  # capped, silently, like SUBMISSION_LIST_LIMIT
    assert ids('limit=3&start=10&sort={"_id":1}') == [11, 12]
    assert ids('sort={"_id":-1}&limit=2') == [12, 11]
    assert ids('query={"_id":{"$gt":4,"$lte":6}}') == [5, 6]
    assert ids('query={"_id":7}') == [7]
    assert (
        ids('query={"signs/early":"y"}&limit=5')
        == [n for n in fake.ids() if fake.submission(n).get("signs/early") == "y"][:5]
    )
    assert ids("start=99") == []
    page = _fake_get(fake, f'{data}?limit=2&start=4&query={{"_id":{{"$gt":1}}}}').json()
    assert page["count"] == 11
    assert (
        page["previous"] == f"{data}?limit=2&query=%7B%22_id%22%3A%7B%22%24gt%22%3A1%7D%7D&start=2"
    )
    for bad, key in (("limit=0", "limit"), ("limit=x", "limit"), ("query={", "query")):
        reply = _fake_get(fake, f"{data}?{bad}")
        assert reply.status_code == 400, bad
        assert key in reply.json()
    wrong = _fake_get(fake, data, token="not-the-token")
    assert (wrong.status_code, wrong.json()) == (401, {"detail": "Invalid token."})
    missing = _fake_get(fake, f"{fake.base_url}/api/v2/assets/aNoSuchAsset/data/")
    assert (missing.status_code, missing.json()) == (404, {"detail": "Not found."})
    assert fake.log[-1] == "GET /api/v2/assets/aNoSuchAsset/data/"


def test_the_fake_serves_a_sync_over_real_http() -> None:
    fake = FakeKpi(7, instrument="checklist", seed=3)
    with fake.serve() as server, Store("sqlite://") as store:
        assert server.url.startswith("http://127.0.0.1:")
        deployment = server.deployment()
        store.record_deployment(deployment, fake.instrument)
        connector = KoboToolboxConnector(page_size=3)
        first = sync_deployment(store, connector, deployment, server.profile())
        assert (first.ok, first.new, first.pages) == (True, 7, 3)
        assert connector.check(server.profile()).startswith(f"logged in to {server.url} as admin")
        status = connector.status(deployment, server.profile())
        assert (status.live, status.responses) == (True, 7)
        quiet = sync_deployment(store, connector, deployment, server.profile())
        assert (quiet.ok, quiet.new, quiet.requests) == (True, 0, 1)
    assert fake.log[-1].startswith(f"GET /api/v2/assets/{fake.uid}/data/?")


def test_unique_texts_make_every_submissions_free_text_its_own() -> None:
    def texts(fake: FakeKpi) -> list[list[str]]:
        found: list[list[str]] = []
        for n in fake.ids():
            mine: list[str] = []
            for key, value in fake.submission(n).items():
                rows = value if isinstance(value, list) and key[0] != "_" else [{key: value}]
                mine += [
                    text  # an answer (a repeat's rows' too) with a space in it
                    for row in rows
                    for name, text in row.items()
                    if name[0] != "_" and not name.startswith("meta/")
                    if isinstance(text, str) and " " in text
                ]
            found.append(mine)
        return found

    shared = texts(FakeKpi(40, seed=2026))
    unique = texts(FakeKpi(40, seed=2026, unique_texts=True))
    assert len({t for row in shared for t in row}) < sum(map(len, shared)) / 2  # a few sentences
    flat = [t for row in unique for t in row]
    assert len(set(flat)) == len(flat) > 100  # ... each its own
    # the same answers otherwise: each text is the shared one, with its submission's _id
    for number, (plain, marked) in enumerate(zip(shared, unique, strict=True), start=1):
        assert [m.rsplit(f" #{number}.", 1)[0] for m in marked] == plain
