"""Pulling in response-id ranges: pages, gaps, cursors, "No Data", incomplete responses."""

from __future__ import annotations

import base64
import json
from typing import Any

import httpx
import pytest

from coprod_connectors.config import Profile
from coprod_connectors.connectors import Deployment
from coprod_connectors.instruments import Instrument
from coprod_limesurvey import LimeSurveyConnector


class ExportServer:
    """export_responses over a table of rows, as LimeSurvey 6 answers it."""

    def __init__(self, rows: list[dict[str, Any]] | None, *, active: bool = True) -> None:
        self.rows = rows
        self.active = active
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
