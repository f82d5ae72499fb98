"""Fixtures for the KoboToolbox connector tests.

Three tiers:

- unit tests with ``httpx.MockTransport`` (no server);
- cassette tests (``kpi`` fixture, param ``replay``): HTTP replayed from
  ``tests/cassettes/<module>/<test>.yaml``, recorded against a real KPI with
  ``--record-mode=rewrite`` and ``KOBO_URL``/``KOBO_TOKEN`` set; the token, any
  password and cookies are filtered out before a cassette is written;
- the same tests live (param ``live``, marker ``live``, ``-m live``) against the
  server named by ``KOBO_URL``/``KOBO_TOKEN``, with no cassette.
"""

from __future__ import annotations

import os
import re
import uuid
import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from coprod_connectors.config import Profile
from coprod_testkit.roundtrip import sample_answers
from coprod_testkit.xforms import fill, local, primary_instance

#: The server the cassettes were recorded against (replayed requests go "there").
RECORDED_URL = "http://127.0.0.1:8082"
REPLAY_TOKEN = "replayed-token-not-a-secret"
SECRET_ENV = ("KOBO_TOKEN", "KOBO_PASSWORD")
FILTERED = "<filtered>"


# --- cassettes -----------------------------------------------------------------------


def _secrets() -> list[str]:
    return [v for v in (os.environ.get(name) for name in SECRET_ENV) if v and len(v) >= 6]


def _scrub_text(text: str) -> str:
    for secret in _secrets():
        text = text.replace(secret, FILTERED)
    return re.sub(r"(?i)(token|api_key|password)=([^&\s\"']+)", rf"\1={FILTERED}", text)


def _scrub_body(body: Any) -> Any:
    if isinstance(body, bytes):
        try:
            return _scrub_text(body.decode("utf-8")).encode("utf-8")
        except UnicodeDecodeError:
            return body
    if isinstance(body, str):
        return _scrub_text(body)
    return body


def scrub_request(request: Any) -> Any:
    request.body = _scrub_body(request.body)
    request.uri = _scrub_text(request.uri)
    return request


def scrub_response(response: dict[str, Any]) -> dict[str, Any]:
    headers = response.get("headers", {})
    for name in list(headers):
        if name.lower() in {"set-cookie", "authorization", "www-authenticate"}:
            del headers[name]
    body = response.get("body", {})
    if "string" in body:
        body["string"] = _scrub_body(body["string"])
    return response


@pytest.fixture(scope="module")
def vcr_config() -> dict[str, Any]:
    return {
        "filter_headers": [
            ("authorization", FILTERED),
            ("cookie", None),
            ("x-csrftoken", None),
        ],
        "filter_query_parameters": [("token", FILTERED), ("api_key", FILTERED)],
        "filter_post_data_parameters": [("password", FILTERED), ("token", FILTERED)],
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
class KpiTarget:
    """Where a cassette or live test talks to, and how."""

    mode: str
    url: str
    token: str
    share_user: str

    @property
    def profile(self) -> Profile:
        return Profile(name="kpi-test", platform="kobotoolbox", url=self.url).with_secret(
            self.token
        )


@pytest.fixture(
    params=[
        pytest.param("replay", marks=pytest.mark.vcr),
        pytest.param("live", marks=pytest.mark.live),
    ]
)
def kpi(request: pytest.FixtureRequest) -> KpiTarget:
    mode: str = request.param
    recording = mode == "replay" and request.getfixturevalue("record_mode") != "none"
    if mode == "live" or recording:
        url, token = os.environ.get("KOBO_URL"), os.environ.get("KOBO_TOKEN")
        if not url or not token:
            pytest.fail("set KOBO_URL and KOBO_TOKEN to run against a real KPI")
        if recording and url.rstrip("/") != RECORDED_URL:
            pytest.fail(f"record against {RECORDED_URL} so replays match the cassettes")
        return KpiTarget(mode, url.rstrip("/"), token, os.environ.get("KOBO_SHARE_USER", ""))
    return KpiTarget(mode, RECORDED_URL, REPLAY_TOKEN, "fieldworker")


# --- a phone ------------------------------------------------------------------------


class Phone:
    """Does what KoboCollect does: list forms, download one, fill it in, submit it.

    It authenticates with the account's API token (KPI accepts it on the
    OpenRosa endpoints; plain basic auth is refused over http).
    """

    def __init__(self, url: str, token: str) -> None:
        self.client = httpx.Client(
            base_url=url,
            headers={"Authorization": f"Token {token}", "X-OpenRosa-Version": "1.0"},
            timeout=httpx.Timeout(60.0),
        )
        self.url = url
        self.count = 0

    def close(self) -> None:
        self.client.close()

    def download_form(self, form_id: str) -> str:
        listing = self.client.get("/formList")
        listing.raise_for_status()
        root = ET.fromstring(listing.content)
        for xform in root.iter():
            if local(xform.tag) != "xform":
                continue
            fields = {local(child.tag): (child.text or "") for child in xform}
            if fields.get("formID") == form_id:
                path = httpx.URL(fields["downloadUrl"]).raw_path.decode()
                form = self.client.get(path)
                form.raise_for_status()
                return form.text
        msg = f"{form_id} is not in the form list"
        raise AssertionError(msg)

    def fill(self, xform: str, answers: Mapping[str, Any], *, edit_of: str | None = None) -> bytes:
        """The instance XML a phone would send, with a fresh instanceID."""
        template, _ = primary_instance(xform)
        # Deterministic per form and submission, so replays match what was recorded.
        self.count += 1
        seed = f"{template.get('id')}/{self.count}"
        instance_id = f"uuid:{uuid.uuid5(uuid.NAMESPACE_URL, seed)}"
        return fill(xform, answers, instance_id=instance_id, edit_of=edit_of)

    def submit(self, xml: bytes, files: Mapping[str, bytes] | None = None) -> str:
        """POST to ``/submission`` like Collect; returns the instanceID."""
        parts: list[tuple[str, tuple[str, bytes, str]]] = [
            ("xml_submission_file", ("submission.xml", xml, "text/xml"))
        ]
        for name, content in (files or {}).items():
            kind = "audio/mp4" if name.endswith(".m4a") else "image/jpeg"
            parts.append((name, (name, content, kind)))
        response = self.client.post("/submission", files=parts)
        assert response.status_code == 201, response.text
        root = ET.fromstring(xml)
        found = next(e.text for e in root.iter() if e.tag == "instanceID")
        assert found is not None
        return found


@pytest.fixture
def phone(kpi: KpiTarget) -> Iterator[Phone]:
    device = Phone(kpi.url, kpi.token)
    yield device
    device.close()


@pytest.fixture
def make_answers() -> Any:
    """:func:`sample_answers`, for test modules (conftest is not importable by name)."""
    return sample_answers


@pytest.fixture
def core_data() -> Path:
    return Path(__file__).parents[3] / "tests" / "data"


# --- the fault suite's tally, printed at the end of the run ---------------------------


@dataclass
class FaultTally:
    """What the fault suite did: trials, faults injected by kind, syncs that failed."""

    trials: int = 0
    requests: int = 0
    faults: Counter[str] = field(default_factory=Counter)
    failed_then_recovered: int = 0
    errors: Counter[str] = field(default_factory=Counter)
    kill_points: dict[str, int] = field(default_factory=dict)

    def lines(self) -> list[str]:
        out = []
        if self.trials:
            kinds = ", ".join(f"{k} {v}" for k, v in sorted(self.faults.items()))
            errors = ", ".join(f"{k} {v}" for k, v in sorted(self.errors.items())) or "none"
            out.append(
                f"kobo faults: {self.trials} trials, {self.requests} requests, "
                f"{sum(self.faults.values())} faults injected ({kinds}), "
                f"{self.failed_then_recovered} syncs failed then recovered "
                f"(errors: {errors}); every store equal to the fault-free one"
            )
        for name, points in sorted(self.kill_points.items()):
            out.append(f"kobo kill test {name}: killed at {points} statements, resumed each time")
        return out


_TALLY = pytest.StashKey[FaultTally]()


@pytest.fixture(scope="session")
def fault_tally(pytestconfig: pytest.Config) -> FaultTally:
    """The session's tally (the fault and kill tests add to it)."""
    if _TALLY not in pytestconfig.stash:
        pytestconfig.stash[_TALLY] = FaultTally()
    return pytestconfig.stash[_TALLY]


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    tally = config.stash.get(_TALLY, None)
    if tally is None:
        return
    lines = tally.lines()
    if lines:
        terminalreporter.section("KoboToolbox fault and kill suites")
        for line in lines:
            terminalreporter.write_line(line)
