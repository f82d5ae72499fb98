"""Round trips against a real ODK Central: push, set up a phone from the QR code, submit as
ODK Collect does, pull, and score as the same answers scored directly.

Replayed from cassettes by default; ``-m live`` runs the same against ``ODK_URL``;
``--record-mode=rewrite`` re-records (see conftest.py).
"""

from __future__ import annotations

import io
import stat
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from coprod_connectors import (
    Deployment,
    Instrument,
    Page,
    builtin_instrument,
)
from coprod_connectors.store import Store
from coprod_connectors.sync import sync_deployment
from coprod_odk import OdkCentralConnector
from coprod_odk.client import CentralClient
from coprod_odk.collect import decode_payload
from coprod_testkit.roundtrip import assert_same_scores, expected_answers, responses_by_id

if TYPE_CHECKING:
    from conftest import CentralTarget, Collect

Answers = Callable[..., dict[str, Any]]
ROLES = ["user", "staff", "carer", "mgr"]
#: What a phone attaches (Central keeps the bytes whatever they are).
MEDIA = {".m4a": b"\x00\x00\x00\x18ftypM4A fake audio", ".jpg": b"\xff\xd8\xff\xe0 fake jpeg"}
ROUND = "2026-H2"
#: Pages of the store test (and so of the fault and kill suites that replay it).
SYNC_PAGE = 3


def _pull(
    connector: OdkCentralConnector,
    deployment: Deployment,
    central: CentralTarget,
    instrument: Instrument,
    *,
    since: str | None = None,
    full: bool = False,
) -> list[Page]:
    return list(
        connector.pull(deployment, central.profile, instrument=instrument, since=since, full=full)
    )


def _files(answers: dict[str, Any]) -> dict[str, bytes]:
    return {
        str(v): MEDIA[Path(str(v)).suffix]
        for v in answers.values()
        if isinstance(v, str) and Path(v).suffix in MEDIA
    }


def _phone(handover_payload: str | None, collect_phone: Callable[[str], Collect]) -> Collect:
    """A phone set up from the QR code, as Collect is."""
    assert handover_payload is not None
    settings = decode_payload(handover_payload)
    assert settings["admin"] == {}
    assert settings["general"]["form_update_mode"] == "match_exactly"
    return collect_phone(settings["general"]["server_url"])


@pytest.mark.parametrize("instrument_id", ["self-reflection", "checklist", "ladder-check"])
def test_push_submit_pull_each_builtin(
    central: CentralTarget,
    collect_phone: Callable[[str], Collect],
    make_answers: Answers,
    instrument_id: str,
    tmp_path: Path,
) -> None:
    instrument = builtin_instrument(instrument_id)
    connector = OdkCentralConnector(page_size=2)
    options = connector.push_options.of({"project": central.name("roundtrip")})
    pushed = connector.push(
        instrument, central.profile, round=ROUND, options=options, handover_dir=tmp_path
    )
    deployment = pushed.deployment
    form_id = f"{instrument_id}-{ROUND}"
    assert deployment.details["form_id"] == form_id
    assert deployment.details["versions"] == {instrument.version: instrument.version}
    assert deployment.remote_id == f"{deployment.details['project_id']}/{form_id}"
    assert deployment.details["missing_media"] == []  # every pictogram went with the form
    handover = pushed.handover
    assert handover.summary is not None
    assert handover.summary.startswith("created: form")
    [png] = handover.files
    assert png.read_bytes().startswith(b"\x89PNG")
    assert stat.S_IMODE(png.stat().st_mode) == 0o600
    assert central.password not in "\n".join(handover.lines())
    assert "password" not in str(deployment.details).lower()

    # pushing the same version again reuses the form
    again = connector.push(
        instrument, central.profile, round=ROUND, existing=deployment, options=options
    )
    assert again.deployment.remote_id == deployment.remote_id
    assert again.handover.summary is not None
    assert again.handover.summary.startswith("reused")

    phone = _phone(handover.qr_payload, collect_phone)
    form = phone.download_form(form_id)
    sent: dict[str, dict[str, Any]] = {}
    for n in range(3):
        media = instrument_id == "self-reflection" and n == 0
        answers = make_answers(instrument, n, media=media, roles=ROLES)
        instance = phone.submit(phone.fill(form, answers), _files(answers))
        sent[instance.removeprefix("uuid:")] = answers

    status = connector.status(deployment, central.profile)
    assert status.live
    assert status.responses == 3

    pages = _pull(connector, deployment, central, instrument)
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
    assert_same_scores({instrument.version: instrument}, list(pulled.values()), sent)

    # nothing new: the login and one request, nothing read again (the rows of the last
    # minute are read again to catch late commits: with the usual pages, one request)
    cursor = pages[-1].cursor
    quiet = _pull(OdkCentralConnector(), deployment, central, instrument, since=cursor)
    assert [p.requests for p in quiet] == [2]
    assert [r for p in quiet for r in p.records] == []

    if instrument_id == "self-reflection":
        folder = tmp_path / "files"
        files = connector.download_attachments(deployment, central.profile, folder)
        expected = _files(next(a for a in sent.values() if _files(a)))
        assert len(expected) == 8
        assert sorted(f.name for f in files) == sorted(expected)
        for path in files:
            assert path.read_bytes() == expected[path.name]  # byte for byte
            assert folder.resolve() in path.resolve().parents
        # again: each file is asked for with its checksum and not written again
        mtimes = {f: f.stat().st_mtime_ns for f in files}
        assert connector.download_attachments(deployment, central.profile, folder) == files
        assert {f: f.stat().st_mtime_ns for f in files} == mtimes


def test_two_form_versions_pull_and_score_as_answered(
    central: CentralTarget,
    collect_phone: Callable[[str], Collect],
    make_answers: Answers,
    tmp_path: Path,
) -> None:
    v1 = builtin_instrument("checklist")
    data = v1.model_dump(by_alias=True, exclude_none=True)
    data["version"] = f"{v1.version}.1"
    data["sections"][0]["questions"][1]["label"]["en"] = "Which service are you thinking about?"
    v2 = Instrument.model_validate(data)
    connector = OdkCentralConnector()
    options = connector.push_options.of({"project": central.name("versions")})

    first = connector.push(v1, central.profile, round=ROUND, options=options)
    phone = _phone(first.handover.qr_payload, collect_phone)
    form_id = first.deployment.details["form_id"]
    old_form = phone.download_form(form_id)
    second = connector.push(
        v2, central.profile, round=ROUND, existing=first.deployment, options=options
    )
    assert second.deployment.remote_id == first.deployment.remote_id
    assert second.deployment.instrument_version == v2.version
    assert second.deployment.details["versions"] == {v1.version: v1.version, v2.version: v2.version}
    assert second.deployment.details["published_versions"] == [v2.version, v1.version]
    assert second.handover.summary is not None
    assert second.handover.summary.startswith("new version")
    new_form = phone.download_form(form_id)
    assert "Which service are you thinking about?" in new_form
    assert "Which service are you thinking about?" not in old_form

    # a phone still on the old version keeps sending to it
    sent = {
        phone.submit(phone.fill(old_form, answers)).removeprefix("uuid:"): answers
        for answers in (make_answers(v1, 0, roles=["user"]), make_answers(v1, 2, roles=["carer"]))
    }
    new_answers = make_answers(v2, 1, roles=["staff"])
    new_id = phone.submit(phone.fill(new_form, new_answers)).removeprefix("uuid:")
    sent[new_id] = new_answers

    pulled = responses_by_id(_pull(connector, second.deployment, central, v2))
    assert set(pulled) == set(sent)
    for rid, answers in sent.items():
        instrument = v2 if rid == new_id else v1
        assert pulled[rid].instrument_version == instrument.version
        assert pulled[rid].answers == expected_answers(instrument, answers)
        assert pulled[rid].flags == []
    assert_same_scores({v1.version: v1, v2.version: v2}, list(pulled.values()), sent)

    # Central's CSV export, read by `coprod import`, gives the same responses
    export = tmp_path / "export.zip"
    with CentralClient(central.url, central.email, central.password) as client:
        buffer = io.BytesIO()
        client.download_export(first.deployment.details["project_id"], form_id, buffer)
    export.write_bytes(buffer.getvalue())
    imported = {
        r.response_id: r
        for r in connector.import_export_file(
            export, v2, round=ROUND, deployment=second.deployment.key
        )
    }
    assert set(imported) == set(pulled)
    assert imported[new_id].answers == pulled[new_id].answers
    assert imported[new_id].flags == []


def test_reviews_edits_and_late_submissions_through_the_store(
    central: CentralTarget,
    collect_phone: Callable[[str], Collect],
    make_answers: Answers,
    tmp_path: Path,
) -> None:
    """The traffic of this test is also what the fault and kill suites replay."""
    instrument = builtin_instrument("ladder-check")
    connector = OdkCentralConnector(page_size=SYNC_PAGE)
    options = connector.push_options.of({"project": central.name("sync")})
    pushed = connector.push(instrument, central.profile, round=ROUND, options=options)
    deployment = pushed.deployment
    phone = _phone(pushed.handover.qr_payload, collect_phone)
    form = phone.download_form(deployment.details["form_id"])
    ids = [
        phone.submit(phone.fill(form, make_answers(instrument, n, roles=ROLES))) for n in range(7)
    ]

    store = Store(f"sqlite:///{tmp_path / 'store.db'}")
    store.migrate()
    store.record_deployment(deployment, instrument)
    first = sync_deployment(store, connector, deployment, central.profile)
    assert first.ok, first.error
    assert (first.new, first.pages) == (7, 3)
    assert store.count_responses(deployment.key) == 7

    # two more, a rejection, an approval, and an edit (Collect sends the whole instance
    # again with deprecatedID; Central marks it "edited")
    ids += [
        phone.submit(phone.fill(form, make_answers(instrument, n, roles=ROLES))) for n in (7, 8)
    ]
    with CentralClient(central.url, central.email, central.password) as client:
        project_id, form_id = deployment.details["project_id"], deployment.details["form_id"]
        client.set_review_state(project_id, form_id, ids[1], "rejected")
        client.set_review_state(project_id, form_id, ids[2], "approved")
        client.set_review_state(project_id, form_id, ids[3], "hasIssues")
    edited = make_answers(instrument, 0, roles=["nosay"])
    phone.submit(phone.fill(form, edited, edit_of=ids[0]))

    second = sync_deployment(store, connector, deployment, central.profile)
    assert second.ok, second.error
    assert (second.new, second.updated) == (2, 4)
    kept = {r.response_id: r for r in store.responses(instrument=instrument.id)}
    root = [i.removeprefix("uuid:") for i in ids]
    assert set(kept) == set(root) - {root[1]}  # the rejected one is held: raw, no response
    assert kept[root[0]].role == "nosay"
    assert kept[root[0]].answers == expected_answers(instrument, edited)
    assert store.count_responses(deployment.key) == 8
    assert store.count_responses(deployment.key, held=True) == 1

    # nothing new
    quiet = sync_deployment(store, OdkCentralConnector(), deployment, central.profile)
    assert (quiet.new, quiet.updated, quiet.requests) == (0, 0, 2)

    # a deletion is seen by a full sync (Central's feed leaves deleted submissions out)
    with CentralClient(central.url, central.email, central.password) as client:
        client.delete_submission(project_id, form_id, ids[4])
    full = sync_deployment(store, connector, deployment, central.profile, full=True)
    assert full.ok, full.error
    assert (full.new, full.updated, full.deleted) == (0, 0, 1)
    assert store.count_responses(deployment.key) == 7
    assert store.count_responses(deployment.key, deleted=True) == 1


def test_easy_read_is_a_form_version_of_its_own(
    central: CentralTarget,
    collect_phone: Callable[[str], Collect],
    make_answers: Answers,
) -> None:
    instrument = builtin_instrument("checklist")
    connector = OdkCentralConnector()
    options = connector.push_options.of({"project": central.name("easyread")})

    standard = connector.push(instrument, central.profile, round=ROUND, options=options)
    assert "easy_read" not in standard.deployment.details
    easy = connector.push(
        instrument,
        central.profile,
        round=ROUND,
        existing=standard.deployment,
        options=options,
        easy_read=True,
    )
    # Central refuses a version that changes a field's type (easy read turns each grid
    # into single questions), so the easy-read form is a form of its own in the project
    details = easy.deployment.details
    assert easy.deployment.remote_id != standard.deployment.remote_id
    assert details["form_id"] == f"{standard.deployment.details['form_id']}-easy-read"
    assert details["project_id"] == standard.deployment.details["project_id"]
    assert details["easy_read"] is True
    assert easy.deployment.easy_read
    assert details["versions"] == {instrument.version: instrument.version}
    # pushed again in easy read: the same form is reused
    again = connector.push(
        instrument,
        central.profile,
        round=ROUND,
        existing=easy.deployment,
        options=options,
        easy_read=True,
    )
    assert again.deployment.remote_id == easy.deployment.remote_id
    assert again.handover.summary is not None
    assert again.handover.summary.startswith("reused")

    phone = _phone(easy.handover.qr_payload, collect_phone)
    form = phone.download_form(details["form_id"])
    assert "/diversity/" not in form  # no grid: its statements are questions of their own
    answers = make_answers(instrument, 0, roles=["user"])
    rid = phone.submit(phone.fill(form, answers)).removeprefix("uuid:")

    pulled = responses_by_id(_pull(connector, easy.deployment, central, instrument))
    assert set(pulled) == {rid}
    assert pulled[rid].instrument_version == instrument.version
    assert pulled[rid].answers == expected_answers(instrument, answers)
    assert pulled[rid].flags == []
    assert_same_scores({instrument.version: instrument}, list(pulled.values()), {rid: answers})
