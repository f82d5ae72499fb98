"""Uploaded recordings and photos: read from the answer, downloaded with get_uploaded_files.

The replies are LimeSurvey 6.14's own (data/replies), captured from a
self-reflection answered in headless Chromium through LimeSurvey's uploader
(a WAV voice note and a JPEG photo) by scripts/limesurvey-answer-with-uploads.mjs.
"""

from __future__ import annotations

import base64
import json
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import httpx
import pytest

from coprod_connectors import Deployment
from coprod_connectors.config import Profile
from coprod_connectors.errors import PlatformError
from coprod_connectors.instruments import builtin_instrument
from coprod_limesurvey import LimeSurveyConnector
from coprod_limesurvey.attachments import safe_name, save_uploads
from coprod_limesurvey.rows import RowConverter

HERE = Path(__file__).parent / "data" / "replies"
PROFILE = Profile(
    name="ls", platform="limesurvey", url="http://127.0.0.1:8081", user="u"
).with_secret("p")
DEPLOYMENT = Deployment(
    platform="limesurvey",
    profile="ls",
    remote_id="226561",
    instrument="self-reflection",
    instrument_version="1.1.0",
    round="2026-H2",
    created_at=datetime(2026, 12, 1, tzinfo=timezone.utc),
)


def _reply(name: str) -> Any:
    return json.loads((HERE / name).read_text(encoding="utf-8"))["result"]


def _rows() -> list[dict[str, Any]]:
    document = base64.b64decode(_reply("export_responses_with_uploads.json"))
    rows: list[dict[str, Any]] = json.loads(document)["responses"]
    return rows


class Server:
    def __init__(self, uploads: Any) -> None:
        self.uploads = uploads
        self.calls: list[str] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        payload = json.loads(request.content)
        method, params = payload["method"], payload["params"]
        self.calls.append(method)
        result: Any = "OK"
        if method == "get_session_key":
            result = "k" * 32
        elif method == "export_responses":
            low = params[7]
            rows = [r for r in _rows() if int(r["id"]) >= low]
            result = (
                base64.b64encode(json.dumps({"responses": rows}).encode()).decode()
                if rows
                else {"status": "No Data, could not get max id."}
            )
        elif method == "get_uploaded_files":
            result = self.uploads
        return httpx.Response(200, json={"id": payload["id"], "result": result, "error": None})


def test_an_upload_answer_is_the_files_own_name_and_the_count_column_is_not_an_answer() -> None:
    convert = RowConverter(builtin_instrument("self-reflection"), round="2026-H2", labels=False)
    response = convert(_rows()[0])
    assert response.answers["assetsAudio"] == "voice.wav"
    assert response.answers["assetsPhoto"] == "photo.jpg"
    assert not any("filecount" in code for code in response.answers)
    assert response.flags == []
    assert response.language == "en"


def test_download_writes_each_file_under_its_response(tmp_path: Path) -> None:
    server = Server(_reply("get_uploaded_files.json"))
    connector = LimeSurveyConnector(transport=httpx.MockTransport(server))
    written = connector.download_attachments(DEPLOYMENT, PROFILE, tmp_path)
    assert sorted(p.relative_to(tmp_path).as_posix() for p in written) == [
        "1/photo.jpg",
        "1/voice.wav",
    ]
    assert (tmp_path / "1" / "voice.wav").read_bytes().startswith(b"RIFF")
    assert (tmp_path / "1" / "photo.jpg").read_bytes().startswith(b"\xff\xd8")
    assert server.calls.count("get_uploaded_files") == 1
    # again: nothing new to write, the same files found
    again = connector.download_attachments(DEPLOYMENT, PROFILE, tmp_path, since="1")
    assert again == []


def test_a_response_whose_files_are_gone_does_not_stop_the_rest(tmp_path: Path) -> None:
    server = Server(_reply("get_uploaded_files_no_response.json"))
    connector = LimeSurveyConnector(transport=httpx.MockTransport(server))
    assert connector.download_attachments(DEPLOYMENT, PROFILE, tmp_path) == []


@pytest.mark.parametrize(
    ("name", "safe"),
    [("../../etc/passwd", "passwd"), ("voice note 1.m4a", "voice_note_1.m4a"), ("", "file")],
)
def test_file_names_stay_in_their_folder(name: str, safe: str) -> None:
    assert safe_name(name) == safe


def test_broken_base64_is_a_platform_error(tmp_path: Path) -> None:
    with pytest.raises(PlatformError, match="broken base64"):
        save_uploads(tmp_path, "1", {"fu_x": {"meta": {"name": "a.jpg"}, "content": "@@@"}})
