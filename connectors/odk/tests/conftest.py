"""Fixtures for the ODK Central connector tests.

Three tiers, like the other connectors:

- unit tests with ``httpx.MockTransport`` (no server);
- cassette tests (``central`` fixture, param ``replay``): HTTP replayed from
  ``tests/cassettes/<module>/<test>.yaml``, recorded against a real ODK Central
  (v2024.2) with ``--record-mode=rewrite`` and ``ODK_URL``, ``ODK_EMAIL``,
  ``ODK_PASSWORD`` set. Before a cassette is written the password is taken out
  of the login body, and every token out of headers, cookies, bodies and URL
  paths (app users' tokens travel in ``/v1/key/<token>/`` paths);
- the same tests live (param ``live``, marker ``live``, ``-m live``) against the
  server those variables name, with no cassette.

Re-recording makes new projects on the server: bump :data:`RUN` first, so the
names and instance ids do not collide with those of the last recording.
"""

from __future__ import annotations

import io
import json
import os
import re
import secrets
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import httpx
import openpyxl
import pytest
import yaml

from coprod_connectors import (
    Deployment,
    Instrument,
    Profile,
    builtin_instrument,
)
from coprod_testkit.roundtrip import sample_answers
from coprod_testkit.xforms import fill, form_key, local

#: The server the cassettes were recorded against (replayed requests go "there").
RECORDED_URL = "http://127.0.0.1:8383"
RECORDED_EMAIL = "admin@example.org"
REPLAY_PASSWORD = "replayed-password-not-a-secret"
#: What a token becomes in a cassette (letters only: it stays a valid URL segment).
FILTERED_TOKEN = "FILTEREDTOKEN"
FILTERED = "<filtered>"
#: The recording's generation: part of project names and instance ids.
RUN = "r10"

#: A Central session, app-user or draft token: 64 characters of base64 with / -> ! and + -> $.
TOKEN = re.compile(r"(?<![A-Za-z0-9!$])[A-Za-z0-9!$]{64}(?![A-Za-z0-9!$])")
HEX = re.compile(r"[0-9a-f]{64}")
_KEY_PATH = re.compile(r"/v1/key/[^/\s\"'<>]+/")
_JSON_SECRET = re.compile(r'"(token|csrf|password|draftToken)"\s*:\s*"[^"]*"')


# --- cassettes -----------------------------------------------------------------------


def _secrets() -> list[str]:
    value = os.environ.get("ODK_PASSWORD")
    return [value] if value and len(value) >= 6 else []


def scrub_text(text: str) -> str:
    """``text`` with every password and token in it replaced."""
    for secret in _secrets():
        text = text.replace(secret, FILTERED)
        text = text.replace(json.dumps(secret)[1:-1], FILTERED)
    text = _KEY_PATH.sub(f"/v1/key/{FILTERED_TOKEN}/", text)
    text = _JSON_SECRET.sub(
        lambda m: f'"{m[1]}":"{FILTERED_TOKEN if m[1] != "password" else FILTERED}"', text
    )
    return TOKEN.sub(lambda m: m[0] if HEX.fullmatch(m[0]) else FILTERED_TOKEN, text)


def _scrub_body(body: Any) -> Any:
    if isinstance(body, bytes):
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            return body
        return scrub_text(text).encode("utf-8")
    if isinstance(body, str):
        return scrub_text(body)
    return body


def scrub_request(request: Any) -> Any:
    request.body = _scrub_body(request.body)
    request.uri = scrub_text(request.uri)
    return request


def scrub_response(response: dict[str, Any]) -> dict[str, Any]:
    headers = response.get("headers", {})
    for name in list(headers):
        if name.lower() in {"set-cookie", "authorization", "www-authenticate"}:
            del headers[name]
        else:
            headers[name] = [scrub_text(v) for v in headers[name]]
    body = response.get("body", {})
    if "string" in body:
        body["string"] = _scrub_body(body["string"])
    return response


@pytest.fixture(scope="module")
def vcr_config() -> dict[str, Any]:
    return {
        "filter_headers": [("authorization", FILTERED), ("cookie", None), ("x-csrf", None)],
        "before_record_request": scrub_request,
        "before_record_response": scrub_response,
        "decode_compressed_response": True,
        "match_on": ["method", "scheme", "host", "port", "path", "query"],
    }


@pytest.fixture
def default_cassette_name(request: pytest.FixtureRequest) -> str:
    """``<test>`` or ``<test>[<other params>]``: the replay/live switch is not in the name."""
    name: str = request.node.name
    name = re.sub(r"\[replay-?|-replay\]|\[replay\]", lambda m: "[" if "[" in m[0] else "]", name)
    name = name.replace("[]", "")
    return name.replace("/", "-")


@dataclass(frozen=True)
class CentralTarget:
    """Where a cassette or live test talks to, and as whom."""

    mode: str
    url: str
    email: str
    password: str
    #: RUN for cassettes; a new one for each live run (which makes its own projects)
    run: str = RUN

    def name(self, what: str) -> str:
        """A project name for this test run."""
        return f"coprod test {what} {self.run}"

    @property
    def profile(self) -> Profile:
        return Profile(name="odk-test", platform="odk", url=self.url, user=self.email).with_secret(
            self.password
        )


@pytest.fixture(
    params=[
        pytest.param("replay", marks=pytest.mark.vcr),
        pytest.param("live", marks=pytest.mark.live),
    ]
)
def central(request: pytest.FixtureRequest) -> CentralTarget:
    mode: str = request.param
    recording = mode == "replay" and request.getfixturevalue("record_mode") != "none"
    if mode == "live" or recording:
        url = os.environ.get("ODK_URL")
        email = os.environ.get("ODK_EMAIL")
        password = os.environ.get("ODK_PASSWORD")
        if not url or not email or not password:
            pytest.fail("set ODK_URL, ODK_EMAIL and ODK_PASSWORD to run against a real Central")
        if recording and url.rstrip("/") != RECORDED_URL:
            pytest.fail(f"record against {RECORDED_URL} so replays match the cassettes")
        run = RUN if recording else f"{RUN}-live-{secrets.token_hex(3)}"
        return CentralTarget(mode, url.rstrip("/"), email, password, run)
    return CentralTarget(mode, RECORDED_URL, RECORDED_EMAIL, REPLAY_PASSWORD)


# --- forms -----------------------------------------------------------------------------


def xlsform(
    rows: list[dict[str, str]],
    *,
    form_id: str,
    version: str,
    title: str = "Test form",
    choices: list[dict[str, str]] | None = None,
) -> bytes:
    """A small XLSForm workbook (survey, choices, settings) as ``.xlsx`` bytes."""
    book = openpyxl.Workbook()
    survey = book.active
    assert survey is not None
    survey.title = "survey"
    columns = list(dict.fromkeys(k for row in rows for k in row))
    survey.append(columns)
    for row in rows:
        survey.append([row.get(c, "") for c in columns])
    sheet = book.create_sheet("choices")
    sheet.append(["list_name", "name", "label"])
    for choice in choices or []:
        sheet.append([choice["list_name"], choice["name"], choice["label"]])
    settings = book.create_sheet("settings")
    settings.append(["form_id", "version", "form_title"])
    settings.append([form_id, version, title])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


# --- a phone ------------------------------------------------------------------------------


class Collect:
    """Does what ODK Collect does with an app user's settings: list forms, download one,
    fill it in, send it (OpenRosa multipart with the instance XML and its files)."""

    def __init__(self, server_url: str, run: str = RUN) -> None:
        self.run = run
        self.client = httpx.Client(
            headers={
                "X-OpenRosa-Version": "1.0",
                "User-Agent": "org.odk.collect.android/v2024.2.3 (coprod tests)",
            },
            timeout=httpx.Timeout(60.0),
        )
        self.server_url = server_url.rstrip("/")
        self.count = 0

    def close(self) -> None:
        self.client.close()

    def _get(self, url: str) -> httpx.Response:
        # Central builds absolute URLs from its configured domain; go to the one we know.
        path = httpx.URL(url).raw_path.decode()
        base = httpx.URL(self.server_url)
        response = self.client.get(str(base.copy_with(raw_path=path.encode())))
        assert response.status_code == 200, response.text
        return response

    def download_form(self, form_id: str) -> str:
        listing = self._get(f"{self.server_url}/formList")
        for xform in ET.fromstring(listing.content).iter():
            if local(xform.tag) != "xform":
                continue
            fields = {local(child.tag): (child.text or "") for child in xform}
            if fields.get("formID") == form_id:
                return self._get(fields["downloadUrl"]).text
        msg = f"{form_id} is not in the form list"
        raise AssertionError(msg)

    def fill(self, xform: str, answers: Mapping[str, Any], *, edit_of: str | None = None) -> bytes:
        """The instance XML a phone would send, with a new (deterministic) instanceID."""
        self.count += 1
        seed = f"{self.run}/{form_key(xform)}/{self.count}"
        instance_id = f"uuid:{uuid.uuid5(uuid.NAMESPACE_URL, seed)}"
        return fill(xform, answers, instance_id=instance_id, edit_of=edit_of)

    def submit(self, xml: bytes, files: Mapping[str, bytes] | None = None) -> str:
        """POST to ``/submission`` like Collect; returns the instanceID."""
        parts: list[tuple[str, tuple[str, bytes, str]]] = [
            ("xml_submission_file", ("submission.xml", xml, "text/xml"))
        ]
        for name, content in (files or {}).items():
            kind = "image/png" if name.endswith(".png") else "application/octet-stream"
            parts.append((name, (name, content, kind)))
        response = self.client.post(
            f"{self.server_url}/submission",
            params={"deviceID": "collect:coprodtest"},
            files=parts,
        )
        assert response.status_code == 201, response.text
        found = next(e.text for e in ET.fromstring(xml).iter() if e.tag == "instanceID")
        assert found is not None
        return found


@pytest.fixture
def collect_phone(central: CentralTarget) -> Iterator[Any]:
    """A factory of :class:`Collect` phones, closed after the test."""
    phones: list[Collect] = []

    def make(server_url: str) -> Collect:
        phone = Collect(server_url, central.run)
        phones.append(phone)
        return phone

    yield make
    for phone in phones:
        phone.close()


@pytest.fixture
def core_data() -> Path:
    return Path(__file__).parents[3] / "tests" / "data"


@pytest.fixture
def make_answers() -> Any:
    """:func:`sample_answers`, for test modules (conftest is not importable by name)."""
    return sample_answers


@pytest.fixture
def make_xlsform() -> Any:
    """:func:`xlsform`, for test modules (conftest is not importable by name)."""
    return xlsform


# --- recorded traffic, replayed for the fault and kill suites ------------------------------

CASSETTES = Path(__file__).parent / "cassettes"
#: The store round trip: 7 submissions pulled in pages of 3; then 2 new, a rejection, an
#: approval, a "has issues" and an edit, pulled; then a quiet pull and a full one.
SYNC_CASSETTE = (
    CASSETTES
    / "test_odk_roundtrip"
    / "test_reviews_edits_and_late_submissions_through_the_store.yaml"
)
SYNC_INSTRUMENT = "ladder-check"
SYNC_ROUND = "2026-H2"
SYNC_PAGE = 3
_SKIPPED_HEADERS = frozenset({"content-length", "transfer-encoding", "content-encoding"})
_SVC = re.compile(r"/v1/projects/(\d+)/forms/([^/]+)\.svc/Submissions")


@dataclass(frozen=True)
class Recorded:
    """The recorded pulls of :data:`SYNC_CASSETTE`: for each, its requests' answers."""

    pulls: list[dict[tuple[str, str], dict[str, Any]]]
    deployment: Deployment
    instrument: Instrument

    @property
    def profile(self) -> Profile:
        return Profile(
            name="odk-test", platform="odk", url=RECORDED_URL, user=RECORDED_EMAIL
        ).with_secret(REPLAY_PASSWORD)


def load_recorded() -> Recorded:
    data = yaml.safe_load(SYNC_CASSETTE.read_text(encoding="utf-8"))
    pulls: list[dict[tuple[str, str], dict[str, Any]]] = []
    current: dict[tuple[str, str], dict[str, Any]] = {}
    where: re.Match[str] | None = None
    for interaction in data["interactions"]:
        request, response = interaction["request"], interaction["response"]
        key = (request["method"], request["uri"])
        if key == ("POST", f"{RECORDED_URL}/v1/sessions"):
            current = {}
        current.setdefault(key, response)
        found = _SVC.search(request["uri"])
        if found:
            where = found
        if key == ("DELETE", f"{RECORDED_URL}/v1/sessions/current") and any(
            ".svc/" in uri for _, uri in current
        ):
            pulls.append(current)
    assert where is not None
    instrument = builtin_instrument(SYNC_INSTRUMENT)
    project_id, form_id = int(where[1]), where[2]
    deployment = Deployment(
        platform="odk",
        profile="odk-test",
        remote_id=f"{project_id}/{form_id}",
        instrument=instrument.id,
        instrument_version=instrument.version,
        round=SYNC_ROUND,
        created_at=datetime(2026, 12, 1, tzinfo=timezone.utc),
        details={
            "project_id": project_id,
            "form_id": form_id,
            "versions": {instrument.version: instrument.version},
        },
    )
    return Recorded(pulls, deployment, instrument)


class Replay(httpx.BaseTransport):
    """Answers each request as Central answered it in recorded pull number ``pull``
    (the same request gets the same answer again: a retry, a resumed pull)."""

    def __init__(self, recorded: Recorded, pull: int = 0) -> None:
        self.recorded = recorded
        self.pull = pull
        self.requests = 0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.requests += 1
        key = (request.method, str(request.url))
        answer = self.recorded.pulls[self.pull].get(key)
        if answer is None:
            msg = f"not in recorded pull {self.pull}: {key}"
            raise AssertionError(msg)
        headers = [
            (name, value)
            for name, values in answer["headers"].items()
            if name.lower() not in _SKIPPED_HEADERS
            for value in values
        ]
        body = answer["body"]["string"]
        content = body.encode("utf-8") if isinstance(body, str) else body
        return httpx.Response(
            answer["status"]["code"], headers=headers, content=content, request=request
        )


@pytest.fixture(scope="session")
def recorded() -> Recorded:
    return load_recorded()


@pytest.fixture(scope="session")
def replay() -> type[Replay]:
    """:class:`Replay`, for test modules (conftest is not importable by name)."""
    return Replay
