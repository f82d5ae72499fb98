"""Recorded against a real LimeSurvey 6.14: push every instrument, answer it, pull it back.

Replayed from cassettes by default; ``-m live`` runs the same against the
server in LIMESURVEY_URL.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

from coprod_connectors.connectors import LiveConnector
from coprod_connectors.errors import NotFoundError, PermissionDeniedError, UnavailableError
from coprod_connectors.instruments import BUILTIN_IDS, Instrument
from coprod_connectors.responses import Response, build_response
from coprod_limesurvey import LimeSurveyConnector, LimeSurveyPushOptions, read_participants
from coprod_limesurvey.layout import disassemble
from coprod_limesurvey.rpc import RemoteControl

ROUND = "cassette-1"


def _add_responses(
    rc: RemoteControl, instrument: Instrument, sid: int, answers: list[dict[str, Any]]
) -> list[str]:
    """add_response with SGQA keys from get_fieldmap (LimeSurvey ignores question codes)."""
    fieldmap = rc.call("get_fieldmap", sid)
    sgqa = {
        f["title"] + (f"[{f['aid']}]" if f.get("aid") else ""): key
        for key, f in fieldmap.items()
        if f.get("qid")
    }
    ids = []
    for n, source in enumerate(answers):
        data = {sgqa[column]: value for column, value in disassemble(instrument, source).items()}
        data.update(submitdate=f"2026-05-0{n + 1} 10:00:00", startlanguage=instrument.languages[-1])
        ids.append(str(rc.call("add_response", sid, data)))
    return ids


def _expected(instrument: Instrument, answers: dict[str, Any], response_id: str) -> Response:
    return build_response(
        instrument,
        answers,
        response_id=response_id,
        submitted_at=datetime(2026, 5, 1, tzinfo=timezone.utc),
        round=ROUND,
    )


@pytest.mark.vcr
@pytest.mark.parametrize("instrument_id", [*BUILTIN_IDS, "bilingual-test"])
def test_push_answer_pull_round_trip(
    server: Any,
    instrument_by_id: Callable[[str], Instrument],
    sample_answers: Callable[[Instrument, int], dict[str, Any]],
    instrument_id: str,
) -> None:
    instrument = instrument_by_id(instrument_id)
    connector = LimeSurveyConnector(page_size=2)
    assert isinstance(connector, LiveConnector)
    deployment = connector.push(instrument, server.profile, round=ROUND).deployment
    sid = int(deployment.remote_id)
    try:
        assert deployment.details["active"] is True
        assert deployment.url == f"{server.profile.url.rstrip('/')}/index.php/{sid}"

        # pushing again reuses the survey, with or without the stored deployment
        assert connector.push(instrument, server.profile, round=ROUND).deployment.remote_id == str(
            sid
        )
        again = connector.push(
            instrument, server.profile, round=ROUND, existing=deployment
        ).deployment
        assert again.remote_id == str(sid)
        assert again.details["created"] is False

        sources = [sample_answers(instrument, v) for v in range(3)]
        with connector.session(server.profile) as rc:
            ids = _add_responses(rc, instrument, sid, sources)
            # an unfinished response: no submitdate
            unfinished = str(
                rc.call("add_response", sid, {"startlanguage": "en", "submitdate": ""})
            )

        pages = list(connector.pull(deployment, server.profile, instrument=instrument))
        pulled = {r.remote_response_id: r.response for p in pages for r in p.records}
        assert unfinished not in pulled
        for response_id, source in zip(ids, sources, strict=True):
            response = pulled[response_id]
            assert response is not None
            expected = _expected(instrument, source, response_id)
            assert response.answers == expected.answers
            assert response.flags == []
            assert response.complete is True
            assert response.round == ROUND
            assert response.platform == "limesurvey"
            assert response.deployment == deployment.key
            assert response.language == instrument.languages[-1]
        # pages of at most page_size rows; cursors increase; the last cursor is the last id
        assert all(len(p.records) <= 2 for p in pages)
        cursors = [int(p.cursor or 0) for p in pages]
        assert cursors == sorted(cursors)
        assert cursors[-1] == max(int(i) for i in ids)
        # nothing new after the cursor
        assert (
            list(
                connector.pull(
                    deployment, server.profile, instrument=instrument, since=pages[-1].cursor
                )
            )
            == []
        )
        # unfinished responses only when asked, flagged
        with_incomplete = list(
            connector.pull(deployment, server.profile, instrument=instrument, incomplete=True)
        )
        flagged = {r.remote_response_id: r.response for p in with_incomplete for r in p.records}
        assert flagged[unfinished] is not None
        assert flagged[unfinished].complete is False

        status = connector.status(deployment, server.profile)
        assert status.live is True
        assert status.responses is not None
        assert status.responses >= len(ids)
        assert status.urls["survey"] == deployment.url

        _compare_scores(instrument, [pulled[i] for i in ids], sources, ids)
    finally:
        with connector.session(server.profile) as rc:
            rc.call("delete_survey", sid)


def _compare_scores(
    instrument: Instrument,
    pulled: list[Response | None],
    sources: list[dict[str, Any]],
    ids: list[str],
) -> None:
    """Pulled responses score exactly as their source answers do (same people, same dates)."""
    from coprod_connectors.scoring import score

    got = [p for p in pulled if p is not None]
    expected = [
        _expected(instrument, source, response_id).model_copy(
            update={
                "submitted_at": p.submitted_at,
                "language": p.language,
                "deployment": p.deployment,
                "platform": p.platform,
            }
        )
        for source, response_id, p in zip(sources, ids, got, strict=True)
    ]
    when = datetime(2026, 6, 1, tzinfo=timezone.utc)
    assert score(got, k=1, generated_at=when) == score(expected, k=1, generated_at=when)


@pytest.mark.vcr
def test_closed_survey_with_participants(
    server: Any, bilingual: Instrument, tmp_path: Path
) -> None:
    instrument = bilingual
    people = tmp_path / "people.csv"
    people.write_text(
        "firstname;lastname;email;team\n"
        "Ann;Jones;ann@example.com;north\n"
        "Bryn;Evans;bryn@example.com;south\n",
        encoding="utf-8",
    )
    connector = LimeSurveyConnector()
    pushed = connector.push(
        instrument,
        server.profile,
        round="cassette-closed",
        options=LimeSurveyPushOptions(participants=people),
    )
    deployment = pushed.deployment
    assert "participants added: 2" in pushed.handover.notes
    sid = int(deployment.remote_id)
    try:
        assert deployment.details["closed"] is True
        assert deployment.details["participants_added"] == 2
        assert deployment.details["attributes"] == {"attribute_1": "team"}
        more = read_participants(
            io.StringIO("email,first name\nann@example.com,Ann\ncai@example.com,Cai\n")
        )
        dry = connector.participants(deployment, server.profile, more, dry_run=True, invite=True)
        assert [p.email for p in dry.to_add] == ["cai@example.com"]
        assert dry.already_there == ["ann@example.com"]
        assert any("would ask LimeSurvey to email" in line for line in dry.lines())
        done = connector.participants(deployment, server.profile, more, invite=True)
        assert [p.email for p in done.added] == ["cai@example.com"]
        assert sorted(done.invited) == ["ann@example.com", "bryn@example.com", "cai@example.com"]
        assert done.invite_failures == []
        again = connector.participants(deployment, server.profile, more, invite=True)
        assert again.added == []
        assert again.invited == []
    finally:
        with connector.session(server.profile) as rc:
            rc.call("delete_survey", sid)


@pytest.mark.vcr
def test_real_failure_replies(server: Any) -> None:
    """What the server really says for a missing survey, a forbidden call, an unknown method."""
    connector = LimeSurveyConnector()
    with connector.session(server.profile) as rc:
        with pytest.raises(NotFoundError) as missing:
            rc.call("get_survey_properties", 999999, ["active"])
        assert missing.value.platform_message == "Error: Invalid survey ID"
        with pytest.raises(PermissionDeniedError) as forbidden:
            rc.call("export_responses", 999999, "json", None, "all", "code", "short")
        assert forbidden.value.platform_message == "No permission"
        with pytest.raises(UnavailableError) as page:
            rc.call("no_such_method")
        assert page.value.status_code == 500
        assert "no_such_method" in (page.value.platform_message or "")
