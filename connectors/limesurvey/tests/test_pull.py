"""Pulling in response-id ranges: pages, gaps, cursors, "No Data", incomplete responses."""

from __future__ import annotations

import base64
import json
from typing import Any

import httpx
import pytest

from coprod_connectors.config import Profile
from coprod_connectors.connectors import Deployment
from coprod_connectors.errors import PlatformError
from coprod_connectors.instruments import Instrument
from coprod_limesurvey import LimeSurveyConnector


class ExportServer:
    """export_responses over a table of rows, as LimeSurvey 6 answers it."""

    def __init__(
        self, rows: list[dict[str, Any]] | None, *, active: bool = True, ranges: bool = True
    ) -> None:
        self.rows = rows
        self.active = active
        self.ranges = ranges  # False: a server that ignores the id range
        self.exports: list[tuple[Any, ...]] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        payload = json.loads(request.content)
        method, params = payload["method"], payload["params"]
        result: Any = "OK"
        if method == "get_session_key":
            result = "k" * 32
        elif method == "export_responses":
            _, _sid, _fmt, _lang, status, _head, _type, low, high, fields = params
            self.exports.append((status, low, high, fields))
            if not self.active:
                result = {"status": "No Data, survey table does not exist."}
            elif not self.rows:
                result = {"status": "No Data, could not get max id."}
            else:
                top = high if high is not None else max(int(r["id"]) for r in self.rows)
                if not self.ranges:
                    low, top = 0, max(int(r["id"]) for r in self.rows)
                picked = [
                    r
                    for r in self.rows
                    if low <= int(r["id"]) <= top
                    and (status == "all" or (status == "complete") == bool(r["submitdate"]))
                ]
                if fields:
                    picked = [{f: r[f] for f in fields} for r in picked]
                document = json.dumps({"responses": picked}).encode()
                result = base64.b64encode(document).decode()
        return httpx.Response(200, json={"id": payload["id"], "result": result, "error": None})


def row(n: int, *, complete: bool = True, role: str = "user") -> dict[str, Any]:
    return {
        "id": n,
        "submitdate": "2026-05-01 10:00:00" if complete else None,
        "lastpage": 1,
        "startlanguage": "en",
        "seed": None,
        "startdate": "2026-05-01 09:00:00",
        "datestamp": "2026-05-01 10:00:00",
        "role": role,
        "contact[email]": "Y",
        "contact[phone]": "",
        "contact[post]": "",
    }


@pytest.fixture
def deployment() -> Deployment:
    return Deployment.model_validate(
        {
            "platform": "limesurvey",
            "profile": "ls",
            "remote_id": "123456",
            "instrument": "bilingual-test",
            "instrument_version": "0.1.0",
            "round": "2026-H1",
            "created_at": "2026-01-01T00:00:00Z",
        }
    )


PROFILE = Profile(name="ls", platform="limesurvey", url="https://ls.example.org", user="u")


def pull(server: ExportServer, deployment: Deployment, instrument: Instrument, **kw: Any) -> Any:
    connector = LimeSurveyConnector(transport=httpx.MockTransport(server), page_size=3)
    return list(connector.pull(deployment, PROFILE.with_secret("pw"), instrument=instrument, **kw))


def test_pages_follow_id_ranges_and_skip_gaps(
    deployment: Deployment, bilingual: Instrument
) -> None:
    ids = [1, 2, 4, 5, 6, 7, 20, 21]
    server = ExportServer([row(n) for n in ids])
    pages = pull(server, deployment, bilingual)
    assert [[r.remote_response_id for r in p.records] for p in pages] == [
        ["1", "2"],
        ["4", "5"],
        ["6", "7"],
        ["20", "21"],
    ]
    assert [p.cursor for p in pages] == ["2", "5", "7", "21"]
    # every data request asks for a bounded range; only "what comes next?" probes are open-ended
    assert all(high is not None and high - low < 3 for _, low, high, f in server.exports if not f)
    assert all(f == ["id"] for _, _, high, f in server.exports if high is None)
    response = pages[0].records[0].response
    assert response is not None
    assert response.answers == {"role": "user", "contact": ["email"]}
    assert response.deployment == "limesurvey:ls:123456"
    assert response.round == "2026-H1"


def test_since_resumes_after_the_cursor(deployment: Deployment, bilingual: Instrument) -> None:
    server = ExportServer([row(n) for n in range(1, 8)])
    pages = pull(server, deployment, bilingual, since="5")
    assert [r.remote_response_id for p in pages for r in p.records] == ["6", "7"]
    full = pull(server, deployment, bilingual, since="5", full=True)
    assert len([r for p in full for r in p.records]) == 7


def test_complete_only_by_default(deployment: Deployment, bilingual: Instrument) -> None:
    server = ExportServer([row(1), row(2, complete=False), row(3)])
    got = [r.response for p in pull(server, deployment, bilingual) for r in p.records]
    assert [r.response_id for r in got if r] == ["1", "3"]
    assert {s for s, *_ in server.exports} == {"complete"}
    everything = pull(server, deployment, bilingual, incomplete=True)
    flags = {
        r.remote_response_id: r.response.complete
        for p in everything
        for r in p.records
        if r.response
    }
    assert flags == {"1": True, "2": False, "3": True}


@pytest.mark.parametrize("rows", [None, []])
def test_no_data_is_zero_rows(
    deployment: Deployment, bilingual: Instrument, rows: list[dict[str, Any]] | None
) -> None:
    assert pull(ExportServer(rows), deployment, bilingual) == []


def test_survey_not_active_is_zero_rows(deployment: Deployment, bilingual: Instrument) -> None:
    assert pull(ExportServer([row(1)], active=False), deployment, bilingual) == []


def test_a_bad_cursor_is_a_config_error(deployment: Deployment, bilingual: Instrument) -> None:
    from coprod_connectors.errors import ConfigError

    with pytest.raises(ConfigError, match="--full"):
        pull(ExportServer([row(1)]), deployment, bilingual, since="abc")


def test_a_server_that_ignores_the_id_range_stops_the_pull(
    deployment: Deployment, bilingual: Instrument
) -> None:
    server = ExportServer([row(n) for n in range(1, 8)], ranges=False)
    connector = LimeSurveyConnector(transport=httpx.MockTransport(server), page_size=3)
    pages = connector.pull(deployment, PROFILE.with_secret("pw"), instrument=bilingual)
    with pytest.raises(PlatformError, match="ignored the id range"):
        list(pages)
    assert len(server.exports) == 1  # stopped at the first reply, not looping


@pytest.mark.parametrize(
    "when", ["9999-12-31 23:00:00", "2026-02-30 10:00:00", "soon", "0000-00-00 00:00:00"]
)
def test_an_unreadable_date_is_flagged_and_never_blocks_the_page(
    deployment: Deployment, bilingual: Instrument, when: str
) -> None:
    rows = [row(n) for n in range(1, 5)]
    rows[1] = {**rows[1], "submitdate": when, "datestamp": when, "startdate": when}
    profile = PROFILE.model_copy(update={"options": {"timezone": "America/Chicago"}})
    connector = LimeSurveyConnector(transport=httpx.MockTransport(ExportServer(rows)), page_size=9)
    [page] = connector.pull(deployment, profile.with_secret("pw"), instrument=bilingual)
    responses = [r.response for r in page.records]
    assert all(r is not None for r in responses)
    flagged = [r for r in responses if r is not None and r.flags]
    assert [r.response_id for r in flagged] == ["2"]
    assert flagged[0].flags[-1].code == "submitted_at"
    assert flagged[0].submitted_at.year > 2000  # never 1970-01-01


def test_an_export_that_is_not_ascii_base64_is_a_platform_error(
    deployment: Deployment, bilingual: Instrument
) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        payload = json.loads(request.content)
        result: Any = "k" * 32 if payload["method"] == "get_session_key" else "OK"
        if payload["method"] == "export_responses":
            result = "é" * 8  # found by the generative suite: a ValueError, not binascii.Error
        return httpx.Response(200, json={"id": payload["id"], "result": result, "error": None})

    connector = LimeSurveyConnector(transport=httpx.MockTransport(handler), page_size=3)
    with pytest.raises(PlatformError, match="base64"):
        list(connector.pull(deployment, PROFILE.with_secret("pw"), instrument=bilingual))
