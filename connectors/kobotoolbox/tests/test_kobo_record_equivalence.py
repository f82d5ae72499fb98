"""A pull reads each KPI submission in one pass and gives exactly the records it gave before.

The way a submission became a record at commit 05e2027 (``answers_from_submission``
mapping group paths to codes, then ``build_response`` on the answers keyed by
codes) is kept here as the reference, with the helpers that changed since (the
validation status); those that did not (the id, the language, the version) and
``parse_timestamp`` (compared with its old self in the core's
``tests/test_conversion_names.py``) are used as they are. On generated
submissions full of odd values (blank, padded, wrong types, unknown paths, the
same code under two groups, repeats with odd rows, bad and unusual dates,
unknown form versions, validation statuses) the connector's ``record`` gives the
same record, response, answers and flags, byte for byte, or the same error;
several submissions go through one plan, as in a pull, so what the plan learns
of one submission's paths is used on the next.

One difference is deliberate: a code found under two paths takes the first
path's answer (the reference's ``setdefault``) even when the later one is a
repeat's list of rows, which the old code let overwrite it (a form can only do
that if edited by hand on KoboToolbox, with two groups holding the same code).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from coprod_connectors import (
    LANGUAGE_FIELD,
    Deployment,
    Instrument,
    PulledRecord,
    Response,
    build_response,
    builtin_instruments,
    construct,
    is_generated_name,
    parse_timestamp,
)
from coprod_connectors.instruments.model import QuestionKind
from coprod_kobotoolbox import KoboToolboxConnector
from coprod_kobotoolbox.submissions import (
    answers_from_submission,
    language_of,
    response_id,
    version_of,
)

# --- the reference: the record path of commit 05e2027 ------------------------------------

_META_ROOTS = frozenset({"meta", "formhub"})


def _last_segment(key: str) -> str:
    return key.rsplit("/", 1)[-1]


def _is_answer_key(key: str) -> bool:
    if key.startswith("_"):
        return False
    first = key.split("/", 1)[0]
    if first in _META_ROOTS and key != first:
        return False
    return not is_generated_name(_last_segment(key))


def _code(key: str) -> str | None:
    return _last_segment(key) if _is_answer_key(key) else None


def reference_answers(submission: Mapping[str, Any]) -> dict[str, Any]:
    answers: dict[str, Any] = {}
    for key, value in submission.items():
        code = _code(key)
        if code is None:
            continue
        if isinstance(value, list) and all(
            type(v) is dict or isinstance(v, Mapping) for v in value
        ):
            rows = []
            for item in value:
                row = {}
                for k, v in item.items():
                    inner = _code(k)
                    if inner is not None:
                        row[inner] = v
                rows.append(row)
            # the one change (see the module's docstring): was ``answers[code] = rows``
            answers.setdefault(code, rows)
        else:
            answers.setdefault(code, value)
    return answers


def _not_approved(submission: Mapping[str, Any]) -> bool:
    status = submission.get("_validation_status")
    uid: Any = None
    if isinstance(status, Mapping):
        found = status.get("uid")
        uid = found if isinstance(found, str) and found else None
    elif isinstance(status, str) and status:
        uid = status
    return (uid or "").lower().replace(" ", "_") in {
        "validation_status_not_approved",
        "not_approved",
    }


def reference_record(
    deployment: Deployment, instrument: Instrument, submission: dict[str, Any]
) -> PulledRecord:
    response = None
    if not _not_approved(submission):
        versions = deployment.details.get("versions") or {}
        version, flags = version_of(submission, versions, instrument.version)
        when = submission.get("_submission_time") or submission.get("end")
        response = build_response(
            instrument,
            reference_answers(submission),
            response_id=response_id(submission),
            submitted_at=parse_timestamp(when),
            submitted_raw=when,
            language=language_of(submission, instrument.languages),
            round=deployment.round,
            subject=deployment.subject,
            deployment=deployment.key,
            platform="kobotoolbox",
            extra_flags=flags,
        )
        if version != response.instrument_version:
            response = response.model_copy(update={"instrument_version": version})
    return construct(
        PulledRecord,
        {"remote_response_id": str(submission.get("_id")), "raw": submission, "response": response},
    )


# --- generated submissions ---------------------------------------------------------------

INSTRUMENTS = [i for i in builtin_instruments() if i.id in {"self-reflection", "checklist"}]
GROUPS = st.sampled_from(["", "", "about/", "grp/", "a/b/", "meta/", "formhub/", "_x/", "g 1/"])
TEXT = st.sampled_from(
    ["", " ", "\t", "yes", " 3 ", "3", "3.0", "-1", "nan", "x\u00e9\u2028", "<b>&amp;", "None"]
)
WHEN = st.one_of(
    st.sampled_from(
        [
            "2026-11-02T08:30:00",
            "2026-11-02T08:30:00Z",
            "2026-11-02T08:30:00+01:00",
            "2026-11-02T08:30:00.123",
            "2026-11-02 08:30:00",
            "2026-11-02T24:00:00",
            "2026-02-30T10:00:00",
            "9999-12-31T23:00:00-05:00",
            "0001-01-01T00:30:00+01:00",
            " 2026-11-02T08:30:0",
            "2026-11-02T08-01:00",
            "2026-11-02",
            "02/11/2026 08:30",
            "soon",
            "",
        ]
    ),
    st.datetimes(min_value=datetime(1971, 1, 1), max_value=datetime(2100, 1, 1)).map(  # noqa: DTZ001
        lambda d: d.isoformat()
    ),
    st.text(alphabet="0123456789-:T Zz+.", min_size=19, max_size=19),
    st.none(),
    st.integers(),
)


def _choices(instrument: Instrument) -> list[str]:
    return sorted(
        {c.code for _, _, q in instrument.iter_questions() for c in instrument.choices_for(q)}
    )


def _scalars(instrument: Instrument) -> st.SearchStrategy[Any]:
    choices = _choices(instrument)
    return st.one_of(
        st.sampled_from(choices),
        st.sampled_from(choices),
        st.sampled_from(choices).map(lambda c: f" {c} "),
        st.lists(st.sampled_from(choices), max_size=3).map(" ".join),
        TEXT,
        st.text(max_size=6),
        st.none(),
        st.booleans(),
        st.integers(min_value=-3, max_value=12),
        st.integers(min_value=-(2**70), max_value=2**70),
        st.floats(),
        st.sampled_from(["2026-03-01", "2026-02-30", "2026-03-01T10:00:00"]),
    )


@st.composite
def submissions(draw: st.DrawFn, instrument: Instrument, n: int) -> dict[str, Any]:
    scalar = _scalars(instrument)
    value = st.one_of(
        scalar, scalar, scalar, st.just([]), st.lists(scalar, max_size=2), st.just({"a": 1})
    )
    codes = [*instrument.answer_codes(), "zzz", "Role", "_note1", "subject"]
    submission: dict[str, Any] = {"_id": n}
    for _ in range(draw(st.integers(min_value=0, max_value=14))):
        path = draw(GROUPS) + draw(st.sampled_from(codes))
        submission[path] = draw(value)
    for _, _, question in instrument.iter_questions():
        if question.kind is not QuestionKind.REPEAT or not draw(st.booleans()):
            continue
        inner = [q.code for q in question.questions or ()] + ["nope", "_x"]
        prefixes = st.sampled_from([f"plan/{question.code}/", f"plan/{question.code}/", "g/", ""])
        row = st.dictionaries(
            st.tuples(prefixes, st.sampled_from(inner)).map("".join), value, max_size=5
        )
        rows = st.one_of(
            st.lists(row, max_size=(question.max_count or 3) + 2),
            st.lists(st.one_of(row, st.text(max_size=2)), max_size=2),
            scalar,
        )
        submission[draw(st.sampled_from([f"plan/{question.code}", question.code]))] = draw(rows)
    meta: dict[str, st.SearchStrategy[Any]] = {
        "_submission_time": WHEN,
        "end": WHEN,
        "_uuid": st.one_of(st.just(f"u-{n}"), st.just(""), st.none(), st.integers()),
        "meta/instanceID": st.sampled_from([f"uuid:i-{n}", "", "uuid:"]),
        "meta/rootUuid": st.sampled_from([f"uuid:r-{n}", "", 3]),
        "__version__": st.one_of(st.sampled_from(["v1", "v2", "vX", ""]), st.none(), st.just(7)),
        LANGUAGE_FIELD: st.sampled_from(["en", " cy ", "fr", "", 3]),
        "_validation_status": st.one_of(
            st.just({}),
            st.sampled_from(
                [
                    {"uid": "validation_status_not_approved"},
                    {"uid": "validation_status_approved"},
                    {"uid": ""},
                    "Not approved",
                    "not_approved",
                    "",
                    None,
                    [],
                    0,
                ]
            ),
        ),
        "_attachments": st.just([{"download_url": "x", "question_xpath": "assets/assetsPhoto"}]),
        "formhub/uuid": st.just("f" * 32),
    }
    for key, strategy in meta.items():
        if draw(st.integers(min_value=0, max_value=4)):
            submission[key] = draw(strategy)
    order = draw(st.permutations(list(submission)))
    return {key: submission[key] for key in order}


def _deployment(instrument: Instrument, subject: str | None) -> Deployment:
    return Deployment(
        platform="kobotoolbox",
        profile="kpi",
        remote_id="aBc123",
        instrument=instrument.id,
        instrument_version=instrument.version,
        round="2026-H2",
        subject=subject,
        created_at=datetime(2026, 7, 1, tzinfo=timezone.utc),
        details={"versions": {"v1": instrument.version, "v2": "0.9"}},
    )


def _outcome(func: Any, *args: Any) -> Any:
    try:
        return ("ok", func(*args))
    except Exception as exc:  # noqa: BLE001 - comparing the failures too
        return ("raised", type(exc).__name__, str(exc))


def _json(response: Response) -> str:
    """The response's JSON, the time it was read left out when it stands in for a bad date."""
    if any(f.code == "submitted_at" for f in response.flags):
        return response.model_copy(update={"submitted_at": None}).model_dump_json()
    return response.to_json()


def _same(new: Any, old: Any) -> None:
    assert new[0] == old[0], (new, old)
    if new[0] == "raised":
        assert new == old
        return
    record, reference = new[1], old[1]
    assert type(record) is PulledRecord
    assert record.remote_response_id == reference.remote_response_id
    assert record.raw is reference.raw  # the submission itself, never a copy
    assert record.model_fields_set == reference.model_fields_set
    if reference.response is None:
        assert record.response is None
        return
    response, expected = record.response, reference.response
    assert type(response) is Response
    assert _json(response) == _json(expected)
    assert repr(response.answers) == repr(expected.answers)
    assert response.flags == expected.flags
    assert response.model_fields_set == expected.model_fields_set
    assert response.submitted_at.tzinfo is expected.submitted_at.tzinfo


@pytest.mark.parametrize("instrument", INSTRUMENTS, ids=lambda i: i.id)
@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_records_are_read_as_before(instrument: Instrument, data: st.DataObject) -> None:
    # a copy: a plan of its own, that learns this example's paths from nothing
    fresh = instrument.model_copy()
    deployment = _deployment(fresh, data.draw(st.sampled_from([None, "", "Ward 3"])))
    connector = KoboToolboxConnector()
    count = data.draw(st.integers(min_value=1, max_value=4))
    for n in range(count):
        submission = data.draw(submissions(fresh, n))
        _same(
            _outcome(connector.record, deployment, fresh, submission),
            _outcome(reference_record, deployment, fresh, submission),
        )
        assert answers_from_submission(submission) == reference_answers(submission)


def test_a_page_of_generated_submissions_is_read_as_before() -> None:
    """The test kit's submissions, as the benchmark pulls them, through one plan."""
    from coprod_testkit.kobotoolbox_fake import FakeKpi

    for instrument in INSTRUMENTS:
        fake = FakeKpi(300, instrument=instrument.model_copy(), seed=7)
        deployment = fake.deployment(url="http://127.0.0.1:9")
        fake.set_validation_status(5, "validation_status_not_approved")
        connector = KoboToolboxConnector()
        for n in range(1, 301):
            submission = fake.submission(n)
            _same(
                _outcome(connector.record, deployment, fake.instrument, submission),
                _outcome(reference_record, deployment, fake.instrument, submission),
            )
