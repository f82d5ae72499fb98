"""What ``coprod build --platform limesurvey`` writes imports in LimeSurvey, as a person
would import it by hand (Surveys > Create > Import): RemoteControl's ``import_survey``
with the very file the command wrote.

The replies are recorded from a real LimeSurvey 6.14; replay matches the request on the
whole file, so a change to what ``build`` writes makes these tests fail until they are
re-recorded (``--record-mode=rewrite`` with LIMESURVEY_URL, _USER and _PASSWORD set).
"""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from coprod_connectors.cli import app
from coprod_connectors.instruments import BUILTIN_IDS, builtin_instrument
from coprod_limesurvey import LimeSurveyConnector


@pytest.mark.vcr
@pytest.mark.parametrize("instrument_id", BUILTIN_IDS)
def test_the_built_lss_imports_in_limesurvey(
    server: Any, instrument_id: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    built = CliRunner().invoke(
        app, ["build", instrument_id, "--platform", "limesurvey", "-o", "survey.lss"]
    )
    assert built.exit_code == 0, built.stderr
    content = (tmp_path / "survey.lss").read_bytes()
    with LimeSurveyConnector().session(server.profile) as rc:
        sid = rc.call("import_survey", base64.b64encode(content).decode("ascii"), "lss")
        assert isinstance(sid, int), sid  # an error is {"status": "Error: ..."}
        try:
            questions = rc.call("list_questions", sid)
            properties = rc.call("get_survey_properties", sid, ["format", "language"])
        finally:
            rc.call("delete_survey", sid)
    assert isinstance(questions, list)
    assert questions
    instrument = builtin_instrument(instrument_id)
    assert properties["format"] == "S"  # a question a page: what suits a phone
    assert properties["language"] == instrument.default_language
