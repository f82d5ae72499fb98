"""Participants from CSV, the dry run, and the calls that add and invite them."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from coprod_connectors.config import Profile
from coprod_connectors.connectors import Deployment, SupportsParticipants
from coprod_connectors.errors import ResponseDataError
from coprod_limesurvey import LimeSurveyConnector, read_participants


def test_read_participants_with_aliases_bom_and_attributes() -> None:
    people = read_participants(
        io.StringIO("\ufeffFirst name;Surname;E-mail;Team;Site\nAnn;Jones;ann@example.com;n;x\n\n")
    )
    (ann,) = people.participants
    assert (ann.firstname, ann.lastname, ann.email) == ("Ann", "Jones", "ann@example.com")
    assert ann.model_dump(exclude_none=True)["attribute_1"] == "n"
    assert people.attributes == {"attribute_1": "Team", "attribute_2": "Site"}
    assert people.attribute_ids == [1, 2]


def test_read_participants_reports_every_bad_row() -> None:
    text = "email,firstname\nnot-an-email,A\nb@example.com,B\nB@example.com,B2\n"
    with pytest.raises(ResponseDataError) as caught:
        read_participants(io.StringIO(text))
    message = str(caught.value)
    assert ":2: 'not-an-email' is not an email address" in message
    assert ":4: B@example.com is already on line 3" in message


def test_read_participants_needs_an_email_column(tmp_path: Path) -> None:
    path = tmp_path / "people.csv"
    path.write_text("name\nAnn\n", encoding="utf-8")
    with pytest.raises(ResponseDataError, match="no email column"):
        read_participants(path)


class FakeLimeSurvey:
    """Just enough RemoteControl for participants: an existing table with Ann in it."""

    def __init__(self) -> None:
        self.calls: list[str] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        payload = json.loads(request.content)
        method, params = payload["method"], payload["params"]
        self.calls.append(method)
        result: Any = "OK"
        if method == "get_session_key":
            result = "k" * 32
        elif method == "list_participants":
            result = [{"tid": 1, "token": "t", "participant_info": {"email": "ann@example.com"}}]
        elif method == "add_participants":
            result = [{**p, "tid": i + 2, "token": f"tok{i}"} for i, p in enumerate(params[2])]
        elif method == "invite_participants":
            result = {
                "2": {"name": "Cai", "email": "cai@example.com", "status": "OK"},
                "status": "0 left to send",
            }
        return httpx.Response(200, json={"id": payload["id"], "result": result, "error": None})


@pytest.fixture
def deployment() -> Deployment:
    return Deployment.model_validate(
        {
            "platform": "limesurvey",
            "profile": "ls",
            "remote_id": "123456",
            "instrument": "bilingual-test",
            "instrument_version": "0.1.0",
            "round": "2026-H2",
            "url": "https://survey.example.org/index.php/123456",
            "created_at": "2026-07-01T00:00:00Z",
            "details": {"active": True, "created": True, "closed": True, "urls": {}},
        }
    )


@pytest.fixture
def profile() -> Profile:
    return Profile(
        name="ls", platform="limesurvey", url="https://survey.example.org", user="admin"
    ).with_secret("pw")


def test_dry_run_writes_nothing_and_says_what_would_be_sent(
    tmp_path: Path, deployment: Deployment, profile: Profile
) -> None:
    path = tmp_path / "people.csv"
    path.write_text("email,firstname\nann@example.com,Ann\ncai@example.com,Cai\n")
    fake = FakeLimeSurvey()
    connector = LimeSurveyConnector(transport=httpx.MockTransport(fake))
    report = connector.participants(
        deployment, profile, read_participants(path), dry_run=True, invite=True
    )
    assert fake.calls == [
        "get_session_key",
        "list_participants",
        "list_participants",
        "release_session_key",
    ]
    lines = list(report.lines())
    assert lines[0] == "survey 123456: would add 1 participant(s)"
    assert "  Cai <cai@example.com>" in lines
    assert "  1 already in the survey (skipped)" in lines
    assert "https://survey.example.org/index.php/123456" in lines[-1]


def test_add_and_invite(tmp_path: Path, deployment: Deployment, profile: Profile) -> None:
    path = tmp_path / "people.csv"
    path.write_text("email,firstname\nann@example.com,Ann\ncai@example.com,Cai\n")
    fake = FakeLimeSurvey()
    connector = LimeSurveyConnector(transport=httpx.MockTransport(fake))
    report = connector.participants(deployment, profile, read_participants(path), invite=True)
    assert "add_participants" in fake.calls
    assert "activate_tokens" not in fake.calls  # the table is already there
    assert [p.email for p in report.added] == ["cai@example.com"]
    assert report.invited == ["cai@example.com"]
    assert "invited 1 participant(s)" in list(report.lines())


def test_the_capability_adds_from_a_csv_and_returns_lines(
    tmp_path: Path, deployment: Deployment, profile: Profile
) -> None:
    path = tmp_path / "people.csv"
    path.write_text("email,firstname\nann@example.com,Ann\ncai@example.com,Cai\n")
    connector = LimeSurveyConnector(transport=httpx.MockTransport(FakeLimeSurvey()))
    assert isinstance(connector, SupportsParticipants)
    lines = connector.add_participants(deployment, profile, path, dry_run=True)
    assert lines[0] == "survey 123456: would add 1 participant(s)"


def test_describe_a_deployment(deployment: Deployment) -> None:
    lines = LimeSurveyConnector().describe(deployment).lines()
    assert lines[0].startswith("created LimeSurvey survey 123456")
    assert "survey URL: https://survey.example.org/index.php/123456" in lines
    assert any("closed survey" in line for line in lines)
