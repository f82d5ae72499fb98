"""Push, pull, status and attachments against a small fake KPI (httpx.MockTransport)."""

from __future__ import annotations

import gc
import json
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import httpx
import pytest

from coprod_connectors.config import Profile
from coprod_connectors.connectors import Deployment, LiveConnector
from coprod_connectors.errors import ConfigError, NotFoundError, PlatformError
from coprod_connectors.instruments import builtin_instrument, load_instrument
from coprod_connectors.instruments.model import Instrument
from coprod_connectors.responses import FlagKind
from coprod_connectors.xlsform import build_xlsform
from coprod_kobotoolbox import KoboToolboxConnector
from coprod_kobotoolbox.connector import kpi_content
from coprod_kobotoolbox.submissions import answers_from_submission, response_id, submitted_at

BASE = "https://kf.kobotoolbox.org"
CORE_DATA = Path(__file__).parents[3] / "tests" / "data" / "instruments"


class FakeKpi:
    """Just enough of KPI v2 to push, deploy, share and page through submissions."""

    def __init__(self) -> None:
        self.assets: dict[str, dict[str, Any]] = {}
        self.submissions: list[dict[str, Any]] = []
        self.calls: list[tuple[str, str]] = []
        self.permissions: list[dict[str, Any]] = []
        self.users = {"fieldworker", "admin"}
        self.versions = 0

    def _new_version(self) -> str:
        self.versions += 1
        return f"v{self.versions}"

    def handler(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        self.calls.append((request.method, path))
        assert request.headers["Authorization"] == "Token t0ken"
        body = json.loads(request.content) if request.content else None
        parts = [p for p in path.split("/") if p]
        if path == "/api/v2/assets/" and request.method == "POST":
            uid = f"a{len(self.assets) + 1}"
            self.assets[uid] = {
                "uid": uid,
                "name": body["name"],
                "content": body["content"],
                "version_id": self._new_version(),
                "has_deployment": False,
                "deployed_version_id": None,
                "deployment__active": False,
                "deployment__links": {},
                "deployment__submission_count": 0,
                "deployment_status": "draft",
                "owner__username": "admin",
            }
            return httpx.Response(201, json=self.assets[uid])
        if path.startswith("/api/v2/users/"):
            if parts[-1] in self.users:
                return httpx.Response(200, json={"username": parts[-1]})
            return httpx.Response(404, json={"detail": "Not found."})
        if len(parts) >= 4 and parts[:3] == ["api", "v2", "assets"]:
            asset = self.assets.get(parts[3])
            if asset is None:
                return httpx.Response(404, json={"detail": "Not found."})
            rest = parts[4:]
            if not rest:
                if request.method == "PATCH":
                    asset["content"] = body["content"]
                    asset["version_id"] = self._new_version()
                return httpx.Response(200, json=asset)
            if rest == ["deployment"]:
                if request.method == "POST":
                    assert not asset["has_deployment"]
                    asset["has_deployment"] = True
                    asset["deployed_version_id"] = asset["version_id"]
                    asset["deployment__active"] = body["active"]
                    asset["deployment_status"] = "deployed"
                    asset["deployment__links"] = {
                        "url": "https://ee.kobotoolbox.org/x/abc",
                        "offline_url": "https://ee.kobotoolbox.org/x/#abc",
                    }
                else:
                    assert asset["has_deployment"]
                    if "version_id" in body:
                        asset["deployed_version_id"] = body["version_id"]
                    asset["deployment__active"] = body["active"]
                return httpx.Response(200, json={"active": asset["deployment__active"]})
            if rest == ["permission-assignments"]:
                self.permissions.append(body)
                return httpx.Response(201, json=body)
            if rest == ["data"]:
                return self._data(request)
            if rest == ["files"]:  # form media: none there yet, each upload taken
                if request.method == "POST":
                    return httpx.Response(201, json={"uid": "f1"})
                return httpx.Response(200, json={"count": 0, "next": None, "results": []})
        return httpx.Response(404, json={"detail": "Not found."})

    def _data(self, request: httpx.Request) -> httpx.Response:
        params = request.url.params
        limit = int(params["limit"]) if "limit" in params else 100
        assert limit <= 1000
        start = int(params.get("start", "0"))
        rows = sorted(self.submissions, key=lambda s: s["_id"])
        if "query" in params:
            after = json.loads(params["query"])["_id"]["$gt"]
            rows = [r for r in rows if r["_id"] > after]
        if "fields" in params:
            fields = json.loads(params["fields"])
            rows = [{k: r[k] for k in fields if k in r} for r in rows]
        page = rows[start : start + limit]
        following = None
        if start + limit < len(rows):
            following = f"{BASE}{request.url.path}?limit={limit}&start={start + limit}"
            if "query" in params:
                following += "&query=" + params["query"]
        return httpx.Response(200, json={"count": len(rows), "next": following, "results": page})


@pytest.fixture
def fake() -> FakeKpi:
    return FakeKpi()


@pytest.fixture
def connector(fake: FakeKpi) -> KoboToolboxConnector:
    return KoboToolboxConnector(
        transport=httpx.MockTransport(fake.handler), sleep=lambda s: None, page_size=2
    )


@pytest.fixture
def profile() -> Profile:
    return Profile(name="field", platform="kobotoolbox", url="kf").with_secret("t0ken")


@pytest.fixture
def bilingual() -> Instrument:
    return load_instrument(CORE_DATA / "bilingual.yaml")


def _v2(instrument: Instrument) -> Instrument:
    return instrument.model_copy(update={"version": "0.2.0"})


def _submission(n: int, version: str = "v1", **extra: Any) -> dict[str, Any]:
    return {
        "_id": n,
        "formhub/uuid": "f",
        "about/role": "user",
        "about/age": str(20 + n),
        "about/contact": "email post",
        "about/about_note": "",
        "about/visits": [
            {"about/visits/visitWhere": "Cardiff", "about/visits/visitWhen": "2026-09-01"},
            {"about/visits/visitWhere": "Bangor"},
        ],
        "__version__": version,
        "meta/instanceID": f"uuid:i{n}",
        "meta/rootUuid": f"uuid:r{n}",
        "_uuid": f"i{n}",
        "_submission_time": "2026-11-23T19:51:27",
        "_validation_status": {},
        "_attachments": [],
        **extra,
    }


def test_it_is_a_live_connector(connector: KoboToolboxConnector) -> None:
    assert isinstance(connector, LiveConnector)


def test_push_creates_deploys_and_shares(
    connector: KoboToolboxConnector, fake: FakeKpi, profile: Profile, bilingual: Instrument
) -> None:
    deployment = connector.push(
        bilingual, profile, round="2026-H2", options={"share": "fieldworker, fieldworker"}
    ).deployment
    assert deployment.remote_id == "a1"
    assert deployment.key == "kobotoolbox:field:a1"
    assert deployment.url == "https://ee.kobotoolbox.org/x/abc"
    details = deployment.details
    assert details["links"]["offline_url"] == "https://ee.kobotoolbox.org/x/#abc"
    assert details["versions"] == {"v1": "0.1.0"}
    assert details["collect_server_url"] == "https://kc.kobotoolbox.org"
    assert details["collect_owner_url"] == "https://kc.kobotoolbox.org/admin"
    assert details["shared_with"] == ["fieldworker"]
    assert [p["permission"].rsplit("/", 2)[-2] for p in fake.permissions] == [
        "view_asset",
        "add_submissions",
    ]
    assert fake.permissions[0]["user"] == f"{BASE}/api/v2/users/fieldworker/"
    content = fake.assets["a1"]["content"]
    assert content["translations"] == ["English (en)", "Cymraeg (cy)"]


def test_pushing_the_same_version_reuses_the_asset(
    connector: KoboToolboxConnector, fake: FakeKpi, profile: Profile, bilingual: Instrument
) -> None:
    first = connector.push(bilingual, profile, round="2026-H2").deployment
    fake.calls.clear()
    again = connector.push(bilingual, profile, round="2026-H2", existing=first).deployment
    assert again.remote_id == first.remote_id
    assert again.created_at == first.created_at
    assert [m for m, _ in fake.calls] == ["GET"]
    assert len(fake.assets) == 1


def test_an_archived_deployment_is_reactivated(
    connector: KoboToolboxConnector, fake: FakeKpi, profile: Profile, bilingual: Instrument
) -> None:
    first = connector.push(bilingual, profile, round="2026-H2").deployment
    fake.assets["a1"]["deployment__active"] = False
    connector.push(bilingual, profile, round="2026-H2", existing=first)
    assert fake.assets["a1"]["deployment__active"] is True


def test_a_new_version_redeploys_the_same_asset(
    connector: KoboToolboxConnector, fake: FakeKpi, profile: Profile, bilingual: Instrument
) -> None:
    first = connector.push(bilingual, profile, round="2026-H2").deployment
    fake.calls.clear()
    second = connector.push(_v2(bilingual), profile, round="2026-H2", existing=first).deployment
    assert second.remote_id == "a1"
    assert second.instrument_version == "0.2.0"
    assert second.details["versions"] == {"v1": "0.1.0", "v2": "0.2.0"}
    assert second.details["deployed_version_id"] == "v2"
    assert ("PATCH", "/api/v2/assets/a1/") in fake.calls
    assert ("PATCH", "/api/v2/assets/a1/deployment/") in fake.calls
    assert fake.assets["a1"]["deployed_version_id"] == "v2"
    assert len(fake.assets) == 1


def test_an_easy_read_push_deploys_the_easy_read_form_and_records_it(
    connector: KoboToolboxConnector, fake: FakeKpi, profile: Profile
) -> None:
    checklist = builtin_instrument("checklist")
    easy = kpi_content(build_xlsform(checklist, easy_read=True))
    standard = kpi_content(build_xlsform(checklist))
    assert easy != standard  # the statements of a grid become a question each
    first = connector.push(checklist, profile, round="2026-H2", easy_read=True).deployment
    assert first.easy_read
    assert fake.assets["a1"]["content"] == easy
    fake.calls.clear()
    again = connector.push(
        checklist, profile, round="2026-H2", existing=first, easy_read=True
    ).deployment
    assert again.easy_read
    assert [m for m, _ in fake.calls] == ["GET"]


def test_the_other_presentation_of_the_same_version_redeploys_the_asset(
    connector: KoboToolboxConnector, fake: FakeKpi, profile: Profile
) -> None:
    checklist = builtin_instrument("checklist")
    first = connector.push(checklist, profile, round="2026-H2").deployment
    assert not first.easy_read
    assert "easy_read" not in first.details
    second = connector.push(
        checklist, profile, round="2026-H2", existing=first, easy_read=True
    ).deployment
    assert second.remote_id == "a1"
    assert second.easy_read
    assert second.details["deployed_version_id"] == "v2"
    assert fake.assets["a1"]["content"] == kpi_content(build_xlsform(checklist, easy_read=True))
    assert len(fake.assets) == 1


def test_push_refuses_another_instruments_deployment(
    connector: KoboToolboxConnector, profile: Profile, bilingual: Instrument
) -> None:
    other = Deployment(
        platform="kobotoolbox",
        profile="field",
        remote_id="a9",
        instrument="checklist",
        instrument_version="1.0.0",
        round="2026-H2",
        created_at=datetime.now(timezone.utc),
    )
    with pytest.raises(ConfigError, match="cannot be reused"):
        connector.push(bilingual, profile, round="2026-H2", existing=other)


def test_sharing_with_an_unknown_account_says_so(
    connector: KoboToolboxConnector, profile: Profile, bilingual: Instrument
) -> None:
    with pytest.raises(ConfigError, match="no account called 'nobody'"):
        connector.push(bilingual, profile, round="2026-H2", options={"share": ["nobody"]})
    with pytest.raises(ConfigError, match="not a KoboToolbox username"):
        connector.push(bilingual, profile, round="2026-H2", options={"share": ["a b"]})


def test_a_profile_for_another_platform_is_refused(
    connector: KoboToolboxConnector, bilingual: Instrument
) -> None:
    lime = Profile(name="council", platform="limesurvey", url="https://x").with_secret("p")
    with pytest.raises(ConfigError, match="is for limesurvey"):
        connector.push(bilingual, lime, round="2026-H2")


def test_a_missing_token_says_how_to_set_it(
    connector: KoboToolboxConnector, bilingual: Instrument, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("COPROD_NOTOKEN_SECRET", raising=False)
    monkeypatch.setattr("coprod_connectors.config.lookup_secret", lambda name: None)
    bare = Profile(name="notoken", platform="kobotoolbox", url="kf")
    with pytest.raises(ConfigError, match="no token") as info:
        connector.push(bilingual, bare, round="2026-H2")
    assert "COPROD_NOTOKEN_SECRET" in str(info.value)


def _deployed(
    connector: KoboToolboxConnector, profile: Profile, instrument: Instrument
) -> Deployment:
    return connector.push(instrument, profile, round="2026-H2").deployment


def test_pull_pages_by_id_and_maps_codes(
    connector: KoboToolboxConnector, fake: FakeKpi, profile: Profile, bilingual: Instrument
) -> None:
    deployment = _deployed(connector, profile, bilingual)
    fake.submissions = [_submission(n) for n in (3, 5, 8, 13, 21)]
    fake.calls.clear()
    threshold = gc.get_threshold()
    pages = list(connector.pull(deployment, profile, instrument=bilingual))
    assert gc.get_threshold() == threshold  # the collector is as it was after a pull
    assert [len(p.records) for p in pages] == [2, 2, 1]
    assert [p.cursor for p in pages] == ["5", "13", "21"]
    assert sum(p.requests for p in pages) == len(fake.calls) == 3
    record = pages[0].records[0]
    assert record.remote_response_id == "3"
    assert record.raw["_id"] == 3
    response = record.response
    assert response is not None
    assert response.response_id == "r3"
    assert response.answers == {
        "role": "user",
        "age": 23,
        "contact": ["email", "post"],
        "visits": [
            {"visitWhere": "Cardiff", "visitWhen": "2026-09-01"},
            {"visitWhere": "Bangor"},
        ],
    }
    assert response.flags == []
    assert response.deployment == deployment.key
    assert response.platform == "kobotoolbox"
    assert response.round == "2026-H2"
    assert response.submitted_at == datetime(2026, 11, 23, 19, 51, 27, tzinfo=timezone.utc)


def test_pull_after_a_cursor_and_with_nothing_new(
    connector: KoboToolboxConnector, fake: FakeKpi, profile: Profile, bilingual: Instrument
) -> None:
    deployment = _deployed(connector, profile, bilingual)
    fake.submissions = [_submission(n) for n in (3, 5, 8)]
    fake.calls.clear()
    pages = list(connector.pull(deployment, profile, instrument=bilingual, since="5"))
    assert [r.remote_response_id for p in pages for r in p.records] == ["8"]
    fake.calls.clear()
    quiet = list(connector.pull(deployment, profile, instrument=bilingual, since="8"))
    assert len(fake.calls) == 1
    assert [(len(p.records), p.cursor, p.requests) for p in quiet] == [(0, "8", 1)]
    full = list(connector.pull(deployment, profile, instrument=bilingual, since="8", full=True))
    assert [r.remote_response_id for p in full for r in p.records] == ["3", "5", "8"]
    with pytest.raises(ConfigError, match="not a KoboToolbox cursor"):
        list(connector.pull(deployment, profile, instrument=bilingual, since="abc"))


def test_pull_honours_each_submissions_form_version(
    connector: KoboToolboxConnector, fake: FakeKpi, profile: Profile, bilingual: Instrument
) -> None:
    first = _deployed(connector, profile, bilingual)
    second = connector.push(_v2(bilingual), profile, round="2026-H2", existing=first).deployment
    fake.submissions = [_submission(1, "v1"), _submission(2, "v2"), _submission(3, "vX")]
    records = [
        r for p in connector.pull(second, profile, instrument=_v2(bilingual)) for r in p.records
    ]
    versions = [r.response.instrument_version for r in records if r.response]
    assert versions == ["0.1.0", "0.2.0", "0.2.0"]
    last = records[2].response
    assert last is not None
    assert [(f.code, f.kind) for f in last.flags] == [("__version__", FlagKind.INCONSISTENT)]


def test_not_approved_submissions_are_kept_raw_without_a_response(
    connector: KoboToolboxConnector, fake: FakeKpi, profile: Profile, bilingual: Instrument
) -> None:
    deployment = _deployed(connector, profile, bilingual)
    fake.submissions = [
        _submission(1, _validation_status={"uid": "validation_status_not_approved"}),
        _submission(2, _validation_status={"uid": "validation_status_approved"}),
        _submission(3, _validation_status={"uid": "validation_status_on_hold"}),
    ]
    records = [
        r for p in connector.pull(deployment, profile, instrument=bilingual) for r in p.records
    ]
    assert records[0].response is None
    assert records[0].raw["_validation_status"]["uid"] == "validation_status_not_approved"
    assert records[1].response is not None
    assert records[2].response is not None


def test_unknown_codes_and_bad_values_are_flagged_not_dropped(
    connector: KoboToolboxConnector, fake: FakeKpi, profile: Profile, bilingual: Instrument
) -> None:
    deployment = _deployed(connector, profile, bilingual)
    fake.submissions = [_submission(1, **{"about/role": "alien", "about/newQ": "x"})]
    [page] = list(connector.pull(deployment, profile, instrument=bilingual))
    response = page.records[0].response
    assert response is not None
    assert response.answers["role"] == "alien"
    assert response.answers["newQ"] == "x"
    assert {(f.code, f.kind) for f in response.flags} == {
        ("role", FlagKind.INVALID_VALUE),
        ("newQ", FlagKind.UNKNOWN_CODE),
    }


def test_a_deleted_asset_is_not_found(
    connector: KoboToolboxConnector, fake: FakeKpi, profile: Profile, bilingual: Instrument
) -> None:
    deployment = _deployed(connector, profile, bilingual)
    del fake.assets["a1"]
    with pytest.raises(NotFoundError):
        list(connector.pull(deployment, profile, instrument=bilingual))
    with pytest.raises(NotFoundError):
        connector.status(deployment, profile)


def test_status(
    connector: KoboToolboxConnector, fake: FakeKpi, profile: Profile, bilingual: Instrument
) -> None:
    deployment = _deployed(connector, profile, bilingual)
    fake.assets["a1"]["deployment__submission_count"] = 12
    status = connector.status(deployment, profile)
    assert status.live
    assert status.responses == 12
    assert status.urls["url"] == "https://ee.kobotoolbox.org/x/abc"
    assert status.urls["collect_server"] == "https://kc.kobotoolbox.org"
    assert status.urls["form"] == f"{BASE}/#/forms/a1/summary"
    fake.assets["a1"]["deployment__active"] = False
    assert not connector.status(deployment, profile).live


def test_download_attachments(
    fake: FakeKpi, profile: Profile, bilingual: Instrument, tmp_path: Path
) -> None:
    files = {"/media/a.jpg": b"JPEG", "/media/b.m4a": b"AUDIO"}
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.startswith("/media/"):
            seen.append(str(request.url))
            assert request.headers["Authorization"] == "Token t0ken"
            return httpx.Response(200, content=files[request.url.path])
        return fake.handler(request)

    connector = KoboToolboxConnector(transport=httpx.MockTransport(handler))
    deployment = _deployed(connector, profile, bilingual)
    attachments = [
        {"download_url": "http://internal/media/a.jpg", "media_file_basename": "a.jpg"},
        {"download_url": f"{BASE}/media/b.m4a", "filename": "x/y/../b.m4a", "bytes": 5},
        {"download_url": f"{BASE}/media/gone", "is_deleted": True},
    ]
    fake.submissions = [_submission(1, _attachments=attachments), _submission(2)]
    written = connector.download_attachments(deployment, profile, tmp_path)
    assert sorted(p.relative_to(tmp_path).as_posix() for p in written) == ["1/a.jpg", "1/b.m4a"]
    assert (tmp_path / "1" / "a.jpg").read_bytes() == b"JPEG"
    assert all(url.startswith(BASE) for url in seen)
    seen.clear()
    connector.download_attachments(deployment, profile, tmp_path)
    assert seen == []  # both are there already (b.m4a with the right size)


def test_x_accel_redirect_without_a_proxy_is_explained(
    fake: FakeKpi, profile: Profile, bilingual: Instrument, tmp_path: Path
) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.startswith("/media/"):
            return httpx.Response(200, text="None", headers={"X-Accel-Redirect": "/protected/a"})
        return fake.handler(request)

    connector = KoboToolboxConnector(transport=httpx.MockTransport(handler))
    deployment = _deployed(connector, profile, bilingual)
    fake.submissions = [
        _submission(1, _attachments=[{"download_url": f"{BASE}/media/a", "filename": "a"}])
    ]
    with pytest.raises(PlatformError, match="X-Accel-Redirect"):
        connector.download_attachments(deployment, profile, tmp_path)
    assert not (tmp_path / "1" / "a").exists()


def test_submission_helpers() -> None:
    submission = _submission(4)
    assert response_id(submission) == "r4"
    assert response_id({"_id": 9}) == "9"
    assert submitted_at({}) is None  # flagged by build_response, never 1970
    assert submitted_at({"_submission_time": "9999-12-31T23:00:00-05:00"}) is None
    when = submitted_at({"_submission_time": "2026-01-02T03:04:05Z"})
    assert when is not None
    assert when.hour == 3
    answers = answers_from_submission(
        {
            "statements/diversity/d1": "agree",
            "intro_note": "",
            "meta/instanceID": "x",
            "formhub/uuid": "y",
            "_id": 1,
            "__version__": "v",
        }
    )
    assert answers == {"d1": "agree"}
