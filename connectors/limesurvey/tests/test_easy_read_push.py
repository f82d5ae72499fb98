"""Pushing the easy-read survey, over the testkit's fake RemoteControl (httpx.MockTransport)."""

from __future__ import annotations

import base64
import xml.etree.ElementTree as ET
from typing import Any

import pytest

from coprod_connectors.connectors import Deployment
from coprod_connectors.errors import ConfigError
from coprod_connectors.instruments import builtin_instrument
from coprod_limesurvey import LimeSurveyConnector
from coprod_testkit.limesurvey_fake import FakeLimeSurvey

REAL_ROUND = "cassette-easy-read"


class Importing(FakeLimeSurvey):
    """The testkit's fake (a live checklist survey with no marker), taking imports too."""

    def __init__(self) -> None:
        super().__init__()
        self.imported: list[str] = []

    def _rpc_import_survey(self, _key: Any = None, data: Any = None, *_: Any) -> Any:
        self.imported.append(base64.b64decode(data).decode("utf-8"))
        return self.sid


@pytest.fixture
def fake() -> Importing:
    return Importing()


@pytest.fixture
def connector(fake: Importing) -> LimeSurveyConnector:
    return LimeSurveyConnector(transport=fake.transport())


def _existing(fake: Importing, *, easy_read: bool) -> Deployment:
    recorded = fake.deployment(round="2026-H2")
    details = {**recorded.details, **({"easy_read": True} if easy_read else {})}
    return recorded.model_copy(update={"details": details})


def test_an_easy_read_push_imports_the_easy_read_survey_and_records_it(
    fake: Importing, connector: LimeSurveyConnector
) -> None:
    deployment = connector.push(
        builtin_instrument("checklist"), fake.profile(), round="2026-H2", easy_read=True
    ).deployment
    assert deployment.easy_read
    assert deployment.details["easy_read"] is True
    (lss,) = fake.imported
    root = ET.fromstring(lss)
    assert root.findtext("surveys/rows/row/format") == "S"  # a question per page
    questions = {
        q.findtext("title"): q.findtext("type") for q in root.findall("questions/rows/row")
    }
    assert questions["d1"] == "L"  # a statement of the grid, now a question of its own
    assert "presentation=easy%2Dread" in lss  # the marker: a lost store finds this survey


def test_the_standard_push_keeps_its_marker_and_records_nothing(
    fake: Importing, connector: LimeSurveyConnector
) -> None:
    deployment = connector.push(
        builtin_instrument("checklist"), fake.profile(), round="2026-H2"
    ).deployment
    assert not deployment.easy_read
    assert "easy_read" not in deployment.details
    assert "presentation=" not in fake.imported[0]


@pytest.mark.parametrize(
    ("had", "wanted", "flag"), [(False, True, "--easy-read"), (True, False, "--standard")]
)
def test_the_other_presentation_of_a_live_survey_is_refused_with_what_to_do(
    fake: Importing, connector: LimeSurveyConnector, had: bool, wanted: bool, flag: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        connector.push(
            builtin_instrument("checklist"),
            fake.profile(),
            round="2026-H2",
            existing=_existing(fake, easy_read=had),
            easy_read=wanted,
        )
    message = str(caught.value)
    assert "\n" not in message
    assert "LimeSurvey cannot change a survey's questions" in message
    assert f"coprod push checklist --to ls {flag} --round 2026-H2-" in message
    assert "import_survey" not in fake.calls


def test_the_same_presentation_reuses_the_survey(
    fake: Importing, connector: LimeSurveyConnector
) -> None:
    deployment = connector.push(
        builtin_instrument("checklist"),
        fake.profile(),
        round="2026-H2",
        existing=_existing(fake, easy_read=True),
        easy_read=True,
    ).deployment
    assert deployment.remote_id == str(fake.sid)
    assert deployment.easy_read
    assert "import_survey" not in fake.calls


@pytest.mark.vcr
def test_an_easy_read_push_on_a_real_server(server: Any) -> None:
    """Recorded against LimeSurvey 6.14: the easy-read checklist, a question a page."""
    checklist = builtin_instrument("checklist")
    connector = LimeSurveyConnector()
    deployment = connector.push(
        checklist, server.profile, round=REAL_ROUND, easy_read=True
    ).deployment
    sid = int(deployment.remote_id)
    try:
        assert deployment.easy_read
        assert deployment.details["active"] is True
        with connector.session(server.profile) as rc:
            assert rc.call("get_survey_properties", sid, ["format"]) == {"format": "S"}
            listed = rc.call("list_questions", sid)
        types = {q["title"]: q["type"] for q in listed if not q.get("parent_qid")}
        assert types["d1"] == "L"  # a statement of the grid, a question of its own
        # pushed again, with or without the stored deployment: the same survey
        again = connector.push(
            checklist, server.profile, round=REAL_ROUND, existing=deployment, easy_read=True
        ).deployment
        assert (again.remote_id, again.easy_read) == (str(sid), True)
        lost = connector.push(checklist, server.profile, round=REAL_ROUND, easy_read=True)
        assert lost.deployment.remote_id == str(sid)
        # the standard survey for the same round: refused, with what to do
        with pytest.raises(ConfigError, match="push a new round"):
            connector.push(checklist, server.profile, round=REAL_ROUND, existing=deployment)
    finally:
        with connector.session(server.profile) as rc:
            rc.call("delete_survey", sid)
