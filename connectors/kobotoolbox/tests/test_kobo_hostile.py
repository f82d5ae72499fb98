"""A hostile or broken KoboToolbox: dates that overflow, ids that are paths."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import pytest

from coprod_connectors import Deployment, Page, PlatformError, builtin_instrument
from coprod_connectors.store import Store
from coprod_kobotoolbox import KoboToolboxConnector
from coprod_kobotoolbox.connector import _asset_uid

DEPLOYMENT = Deployment(
    platform="kobotoolbox",
    profile="kpi",
    remote_id="aBc123",
    instrument="checklist",
    instrument_version=builtin_instrument("checklist").version,
    round="2026-H2",
    created_at=datetime(2026, 7, 1, tzinfo=timezone.utc),
)


def _submission(n: int, when: object) -> dict[str, object]:
    return {"_id": n, "_uuid": f"u{n}", "_submission_time": when, "role": "user"}


@pytest.mark.parametrize(
    "when",
    ["9999-12-31T23:00:00-05:00", "0001-01-01T00:30:00+01:00", "2026-02-30T10:00:00", "", 7],
)
def test_a_bad_date_is_flagged_and_the_rest_of_the_page_is_stored(
    tmp_path: Path, when: object
) -> None:
    connector = KoboToolboxConnector()
    instrument = builtin_instrument("checklist")
    records = [
        connector.record(DEPLOYMENT, instrument, _submission(n, "2026-08-01T10:00:00Z"))
        for n in (1, 3)
    ]
    records.insert(1, connector.record(DEPLOYMENT, instrument, _submission(2, when)))
    bad = records[1].response
    assert bad is not None
    assert bad.flags[-1].code == "submitted_at"
    assert bad.submitted_at.year >= 2026  # the time it was read, never 1970-01-01
    assert bad.round == "2026-H2"  # the deployment's round
    with Store(str(tmp_path / "s.db")) as db:
        run = db.start_run(DEPLOYMENT.key, full=False)
        result = db.apply_page(DEPLOYMENT.key, Page(records=records, cursor="3"), run_id=run)
        assert result.new == 3
        assert db.cursor(DEPLOYMENT.key) == "3"
        stored = list(db.responses())
    assert [r.response_id for r in stored] == ["u1", "u2", "u3"]


@pytest.mark.parametrize("uid", ["../..", "a/b", "", "x y", None, 3, "a" * 65, "é"])
def test_a_form_id_that_is_not_a_kpi_uid_is_refused_before_use(uid: object) -> None:
    with pytest.raises(PlatformError, match="not a KPI uid"):
        _asset_uid({"uid": uid})
    assert _asset_uid({"uid": "aBc123XyZ"}) == "aBc123XyZ"


def test_text_utf8_cannot_hold_is_stored_with_a_replacement_character(tmp_path: Path) -> None:
    connector = KoboToolboxConnector()
    instrument = builtin_instrument("checklist")
    submission = {**_submission(1, "2026-08-01T10:00:00Z"), "role": "\ud800", "odd": "x\udfff"}
    record = connector.record(DEPLOYMENT, instrument, submission)
    with Store(str(tmp_path / "s.db")) as db:
        run = db.start_run(DEPLOYMENT.key, full=False)
        db.apply_page(DEPLOYMENT.key, Page(records=[record], cursor="1"), run_id=run)
        [stored] = db.responses()
    assert stored.role is None or "\ufffd" in stored.role
    assert stored.answers["odd"] == "x\ufffd"


@pytest.mark.parametrize("results", [[], [{"_id": 1, "_attachments": []}]])
def test_a_listing_that_never_ends_is_stopped(tmp_path: Path, results: list[object]) -> None:
    import httpx

    from coprod_connectors import Profile

    calls = 0

    def handler(request: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        page = {"count": 9, "next": "https://kf.example.org/api/v2/x/?page=2", "results": results}
        return httpx.Response(200, json=page)

    connector = KoboToolboxConnector(transport=httpx.MockTransport(handler), sleep=lambda _: None)
    profile = Profile(name="kpi", platform="kobotoolbox", url="https://kf.example.org")
    with pytest.raises(PlatformError, match="would not end"):
        connector.download_attachments(DEPLOYMENT, profile.with_secret("t"), tmp_path)
    assert calls <= 3
