"""Round trips against a real KPI: push, submit like a phone, pull, compare.

Replayed from cassettes by default; ``-m live`` runs the same against
``KOBO_URL``; ``--record-mode=rewrite`` re-records (see conftest.py).
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from coprod_connectors.connectors import Deployment, Page
from coprod_connectors.errors import AuthenticationError, UnavailableError
from coprod_connectors.instruments import builtin_instrument, load_instrument
from coprod_connectors.instruments.model import Instrument
from coprod_kobotoolbox import KoboToolboxConnector
from coprod_kobotoolbox.client import KpiClient
from coprod_testkit.roundtrip import assert_same_scores, expected_answers, responses_by_id

if TYPE_CHECKING:
    from conftest import KpiTarget, Phone

Answers = Callable[..., dict[str, Any]]

ROLES = ["user", "staff", "carer", "mgr"]
MEDIA = {".m4a": b"\x00\x00\x00\x18ftypM4A fake audio", ".jpg": b"\xff\xd8\xff\xe0 fake jpeg"}


def _pull_all(
    connector: KoboToolboxConnector,
    deployment: Deployment,
    kpi: KpiTarget,
    instrument: Instrument,
    *,
    since: str | None = None,
    full: bool = False,
) -> list[Page]:
    return list(
        connector.pull(deployment, kpi.profile, instrument=instrument, since=since, full=full)
    )


@pytest.mark.parametrize("instrument_id", ["self-reflection", "checklist", "ladder-check"])
def test_push_submit_pull_each_builtin(
    kpi: KpiTarget,
    phone: Phone,
    make_answers: Answers,
    instrument_id: str,
    tmp_path: Path,
) -> None:
    instrument = builtin_instrument(instrument_id)
    connector = KoboToolboxConnector(page_size=2)
    share = [kpi.share_user] if kpi.share_user else []
    deployment = connector.push(
        instrument, kpi.profile, round="2026-H2", options={"share": share}
    ).deployment
    uid = deployment.remote_id
    assert deployment.details["xform_id_string"] == uid
    assert deployment.details["versions"] == {
        deployment.details["deployed_version_id"]: instrument.version
    }
    assert deployment.details["shared_with"] == share
    assert deployment.details["collect_server_url"].startswith("http")

    # pushing the same version again reuses the asset
    again = connector.push(instrument, kpi.profile, round="2026-H2", existing=deployment).deployment
    assert again.remote_id == uid
    assert again.details["versions"] == deployment.details["versions"]

    form = phone.download_form(uid)
    sent: dict[str, dict[str, Any]] = {}
    for n in range(3):
        media = instrument_id == "self-reflection" and n == 0
        answers = make_answers(instrument, n, media=media, roles=ROLES)
        files = {
            str(v): MEDIA[Path(str(v)).suffix]
            for v in answers.values()
            if isinstance(v, str) and Path(v).suffix in MEDIA
        }
        instance = phone.submit(phone.fill(form, answers), files)
        sent[instance.removeprefix("uuid:")] = answers

    status = connector.status(deployment, kpi.profile)
    assert status.live
    assert status.responses == 3

    pages = _pull_all(connector, deployment, kpi, instrument)
    assert [len(p.records) for p in pages] == [2, 1]
    pulled = responses_by_id(pages)
    assert set(pulled) == set(sent)
    for rid, answers in sent.items():
        response = pulled[rid]
        assert response.answers == expected_answers(instrument, answers), rid
        assert response.flags == []
        assert response.instrument_version == instrument.version
        assert response.role == answers["role"]
        assert response.deployment == deployment.key
    assert_same_scores(instrument, list(pulled.values()), sent)
    cursor = pages[-1].cursor
    assert cursor == str(max(int(r.remote_response_id) for p in pages for r in p.records))

    # nothing new: at most 2 requests, no records, the cursor stays
    again_pages = _pull_all(connector, deployment, kpi, instrument, since=cursor)
    assert sum(p.requests for p in again_pages) <= 2
    assert [r for p in again_pages for r in p.records] == []
    assert again_pages[-1].cursor == cursor

    if instrument_id == "self-reflection":
        raw = next(r.raw for p in pages for r in p.records if r.response and r.raw["_attachments"])
        names = sorted(a["media_file_basename"] for a in raw["_attachments"])
        expected = sorted(
            str(v)
            for v in sent[raw["_uuid"]].values()
            if isinstance(v, str) and Path(v).suffix in MEDIA
        )
        assert names == expected
        assert len(names) == 8
        failure = ""
        files: list[Path] = []
        try:
            files = connector.download_attachments(deployment, kpi.profile, tmp_path)
        except UnavailableError as exc:
            failure = str(exc)
        if failure:
            # the local KPI has no nginx in front of it to act on X-Accel-Redirect
            assert "X-Accel-Redirect" in failure
        else:
            assert sorted(f.name for f in files) == names
            for path in files:
                assert path.read_bytes() == MEDIA[path.suffix]


def test_submissions_on_an_old_form_version_after_a_redeploy(
    kpi: KpiTarget, phone: Phone, make_answers: Answers, core_data: Path
) -> None:
    v1 = load_instrument(core_data / "instruments" / "bilingual.yaml")
    data = v1.model_dump(by_alias=True, exclude_none=True)
    data["version"] = "0.2.0"
    data["sections"][0]["questions"][1]["label"]["en"] = "Your first name, please"
    v2 = Instrument.model_validate(data)
    connector = KoboToolboxConnector()

    first = connector.push(v1, kpi.profile, round="2026-H2").deployment
    old_form = phone.download_form(first.remote_id)
    second = connector.push(v2, kpi.profile, round="2026-H2", existing=first).deployment
    assert second.remote_id == first.remote_id
    assert second.instrument_version == "0.2.0"
    versions = second.details["versions"]
    assert sorted(versions.values()) == ["0.1.0", "0.2.0"]
    assert second.details["deployed_version_id"] != first.details["deployed_version_id"]
    new_form = phone.download_form(first.remote_id)
    assert "Your first name, please" in new_form
    assert "Your first name, please" not in old_form

    old_answers = make_answers(v1, 0, roles=["user"])
    new_answers = make_answers(v2, 1, roles=["staff"])
    old_id = phone.submit(phone.fill(old_form, old_answers)).removeprefix("uuid:")
    new_id = phone.submit(phone.fill(new_form, new_answers)).removeprefix("uuid:")

    pages = _pull_all(connector, second, kpi, v2)
    pulled = responses_by_id(pages)
    assert pulled[old_id].instrument_version == "0.1.0"
    assert pulled[new_id].instrument_version == "0.2.0"
    assert pulled[old_id].answers == expected_answers(v1, old_answers)
    assert pulled[new_id].answers == expected_answers(v2, new_answers)
    assert pulled[old_id].answers["visits"][0]["visitWhere"].startswith("visitWhere 0")
    assert pulled[old_id].flags == []
    assert pulled[new_id].flags == []


def test_edits_deletions_and_validation_status(
    kpi: KpiTarget,
    phone: Phone,
    make_answers: Answers,
    core_data: Path,
    tmp_path: Path,
) -> None:
    store_module = pytest.importorskip("coprod_connectors.store")
    sync_module = pytest.importorskip("coprod_connectors.sync")
    instrument = load_instrument(core_data / "instruments" / "bilingual.yaml")
    connector = KoboToolboxConnector()
    deployment = connector.push(instrument, kpi.profile, round="2026-H2").deployment
    uid = deployment.remote_id
    form = phone.download_form(uid)
    ids = [
        phone.submit(phone.fill(form, make_answers(instrument, n, roles=ROLES))) for n in range(3)
    ]

    store = store_module.Store(f"sqlite:///{tmp_path / 'store.db'}")
    store.migrate()
    store.record_deployment(deployment, instrument)
    first = sync_module.sync_deployment(store, connector, deployment, kpi.profile)
    assert first.ok, first.error
    assert first.new == 3
    assert store.count_responses(deployment.key) == 3

    # an edit (Collect sends the whole instance again with deprecatedID), a deletion
    # and a reviewer's "Not approved"
    edited = make_answers(instrument, 0, roles=["nosay"])
    edited["name"] = "Edited name"
    phone.submit(phone.fill(form, edited, edit_of=ids[0]))
    with KpiClient(kpi.url, kpi.token) as client:
        pages = list(client.pages(f"/api/v2/assets/{uid}/data/", {"sort": '{"_id": 1}'}))
        by_uuid = {s["meta/rootUuid"]: s["_id"] for page in pages for s in page}
        client.request("DELETE", f"/api/v2/assets/{uid}/data/{by_uuid[ids[1]]}/")
        client.json(
            "PATCH",
            f"/api/v2/assets/{uid}/data/{by_uuid[ids[2]]}/validation_status/",
            json={"validation_status.uid": "validation_status_not_approved"},
        )

    # an incremental pull sees nothing new (edits keep their _id): one request
    quiet = sync_module.sync_deployment(store, connector, deployment, kpi.profile)
    assert (quiet.new, quiet.updated, quiet.requests) == (0, 0, 1)

    full = sync_module.sync_deployment(store, connector, deployment, kpi.profile, full=True)
    assert full.ok, full.error
    assert full.deleted == 1
    kept = {r.response_id: r for r in store.responses(instrument=instrument.id)}
    root0 = ids[0].removeprefix("uuid:")
    assert set(kept) == {root0}  # deleted one marked, not-approved one has no response
    assert kept[root0].answers["name"] == "Edited name"
    assert kept[root0].role == "nosay"
    assert store.count_responses(deployment.key, deleted=True) == 1
    # the not-approved submission is still stored, raw, without a response
    assert store.count_responses(deployment.key) == 1
    assert store.count_responses(deployment.key, held=True) == 1


def test_check_and_a_wrong_token(kpi: KpiTarget) -> None:
    connector = KoboToolboxConnector()
    said = connector.check(kpi.profile)
    assert said.startswith(f"logged in to {kpi.url} as ")
    assert said.endswith(" forms")
    wrong = kpi.profile.with_secret("0" * 40)
    with pytest.raises(AuthenticationError) as info:
        connector.check(wrong)
    assert "Account settings > Security > API key" in str(info.value)
    assert info.value.status_code == 401
    assert info.value.platform_message


def test_cassettes_hold_no_secret() -> None:
    folder = Path(__file__).parent / "cassettes"
    token = re.compile(r"(?i)(token|basic|digest)\s+[A-Za-z0-9+/=]{16,}")
    secrets = [s for s in (os.environ.get("KOBO_TOKEN"), os.environ.get("KOBO_PASSWORD")) if s]
    cassettes = sorted(folder.rglob("*.yaml"))
    assert cassettes
    for cassette in cassettes:
        text = cassette.read_text(encoding="utf-8")
        assert not token.search(text), cassette.name
        assert "sessionid" not in text
        assert "csrftoken" not in text
        for secret in secrets:
            assert secret not in text, cassette.name
