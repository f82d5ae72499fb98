"""The conversion plan gives exactly the Responses of the conversion it replaced.

The old conversion (``normalise_answers`` and ``build_response`` as they were
at commit e51a76c, one answer at a time, asking the instrument each time) is
kept here, unchanged, as the reference. On random answers full of odd values
(blank, padded, numbers where choices belong, booleans, lists, objects, unknown
codes, broken repeats) and on the synthetic demo data, old and new give the
same answers, the same flags and the same Response, byte for byte, or the same
error.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from datetime import date, datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from coprod_connectors import synthetic
from coprod_connectors.instruments import builtin_instrument, builtin_instruments, load_instrument
from coprod_connectors.instruments.model import Instrument, Question, QuestionKind
from coprod_connectors.responses import Flag, FlagKind, Response, build_response, normalise_answers

# --- the reference: the old conversion, unchanged ----------------------------------------


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and value.strip() == "") or value == []


def _convert(
    instrument: Instrument, question: Question, code: str, value: Any, flags: list[Flag]
) -> Any:
    """``value`` as the question's type; flags (and keeps) what does not fit."""
    kind = question.kind
    if kind in {QuestionKind.SINGLE_CHOICE, QuestionKind.MATRIX}:
        text = _scalar_text(value)
        offered = _offered(instrument, question)
        if text not in offered:
            flags.append(
                Flag(
                    code=code,
                    kind=FlagKind.INVALID_VALUE,
                    value=value,
                    message=f"{text!r} is not one of the choices ({', '.join(sorted(offered))})",
                )
            )
        return text
    if kind is QuestionKind.MULTIPLE_CHOICE:
        items = value.split() if isinstance(value, str) else [_scalar_text(v) for v in value]
        offered = _offered(instrument, question)
        bad = [i for i in items if i not in offered]
        if bad:
            flags.append(
                Flag(
                    code=code,
                    kind=FlagKind.INVALID_VALUE,
                    value=value,
                    message=f"{', '.join(map(repr, bad))} not among the choices",
                )
            )
        return sorted(set(items), key=items.index)
    if kind is QuestionKind.INTEGER:
        number = _whole_number(value)
        if number is None:
            flags.append(
                Flag(
                    code=code,
                    kind=FlagKind.INVALID_VALUE,
                    value=value,
                    message="not a whole number",
                )
            )
            return value
        if (question.min is not None and number < question.min) or (
            question.max is not None and number > question.max
        ):
            flags.append(
                Flag(
                    code=code,
                    kind=FlagKind.OUT_OF_RANGE,
                    value=number,
                    message=f"{number} is outside {question.min}..{question.max}",
                )
            )
        return number
    if kind is QuestionKind.DATE:
        text = _scalar_text(value)
        try:
            return date.fromisoformat(text[:10]).isoformat()
        except ValueError:
            flags.append(
                Flag(
                    code=code,
                    kind=FlagKind.INVALID_VALUE,
                    value=value,
                    message="not a date (YYYY-MM-DD)",
                )
            )
            return text
    return _scalar_text(value)


def _whole_number(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    try:
        number = float(str(value).strip())
    except ValueError:
        return None
    return int(number) if number.is_integer() else None


def _scalar_text(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def reference_normalise(
    instrument: Instrument, raw: Mapping[str, Any]
) -> tuple[dict[str, Any], list[Flag]]:
    """Convert answers keyed by instrument codes to their types.

    Blank answers are left out (missing). Repeats are lists of mappings,
    each converted the same way. Unknown codes and values that do not fit are
    kept as they came and flagged.
    """
    flags: list[Flag] = []
    answers: dict[str, Any] = {}
    index = _answer_index(instrument)
    for code, value in raw.items():
        if _blank(value):
            continue
        question = index.get(code)
        if question is None:
            answers[code] = value
            flags.append(
                Flag(
                    code=code,
                    kind=FlagKind.UNKNOWN_CODE,
                    value=value,
                    message=f"{instrument.id} {instrument.version} has no question {code!r}",
                )
            )
        elif question.kind is QuestionKind.REPEAT:
            answers[code] = _repeat(instrument, question, code, value, flags)
        elif question.kind is QuestionKind.NOTE:
            continue
        else:
            answers[code] = _convert(instrument, question, code, value, flags)
    return answers, flags


def _repeat(
    instrument: Instrument, question: Question, code: str, value: Any, flags: list[Flag]
) -> Any:
    if not isinstance(value, list) or not all(isinstance(v, Mapping) for v in value):
        flags.append(
            Flag(
                code=code,
                kind=FlagKind.INVALID_VALUE,
                value=value,
                message="a repeat must be a list of objects",
            )
        )
        return value
    inner = {q.code: q for q in question.questions or ()}
    rows: list[dict[str, Any]] = []
    for i, item in enumerate(value):
        row: dict[str, Any] = {}
        for inner_code, inner_value in item.items():
            if _blank(inner_value):
                continue
            inner_q = inner.get(inner_code)
            path = f"{code}[{i}].{inner_code}"
            if inner_q is None:
                row[inner_code] = inner_value
                flags.append(
                    Flag(
                        code=path,
                        kind=FlagKind.UNKNOWN_CODE,
                        value=inner_value,
                        message=f"{code} has no question {inner_code!r}",
                    )
                )
            else:
                row[inner_code] = _convert(instrument, inner_q, path, inner_value, flags)
        if row:
            rows.append(row)
    if len(rows) > (question.max_count or len(rows)):
        flags.append(
            Flag(
                code=code,
                kind=FlagKind.OUT_OF_RANGE,
                value=len(rows),
                message=f"{len(rows)} rows; the instrument allows {question.max_count}",
            )
        )
    return rows


class _InstrumentLookups:
    """What converting answers asks of an instrument again and again, worked out once."""

    def __init__(self, instrument: Instrument) -> None:
        self.instrument = instrument
        self.index: dict[str, Question] = {}
        for _, repeat, question in instrument.iter_questions():
            if repeat is not None:
                continue
            if question.kind is QuestionKind.MATRIX:
                for row in question.rows or ():
                    self.index[row.code] = question
            else:
                self.index[question.code] = question
        self.offered: dict[str, frozenset[str]] = {
            q.code: frozenset(c.code for c in instrument.choices_for(q))
            for _, _, q in instrument.iter_questions()
        }


# Instruments are frozen, so their lookups never go stale; keyed by id() and
# checked by identity, since a model with dict fields cannot be hashed.
_LOOKUPS: dict[int, _InstrumentLookups] = {}
_LOOKUPS_MAX = 64


def _lookups(instrument: Instrument) -> _InstrumentLookups:
    found = _LOOKUPS.get(id(instrument))
    if found is None or found.instrument is not instrument:
        if len(_LOOKUPS) >= _LOOKUPS_MAX:
            _LOOKUPS.clear()
        found = _LOOKUPS[id(instrument)] = _InstrumentLookups(instrument)
    return found


def _answer_index(instrument: Instrument) -> dict[str, Question]:
    return _lookups(instrument).index


def _offered(instrument: Instrument, question: Question) -> frozenset[str]:
    offered = _lookups(instrument).offered.get(question.code)
    if offered is None:  # a question from another instrument version
        return frozenset(c.code for c in instrument.choices_for(question))
    return offered


def reference_build(
    instrument: Instrument,
    raw_answers: Mapping[str, Any],
    *,
    response_id: str,
    submitted_at: datetime,
    round: str,  # noqa: A002 - the interchange format's own name
    language: str | None = None,
    subject: str | None = None,
    deployment: str | None = None,
    platform: str | None = None,
    complete: bool = True,
    extra_flags: Iterable[Flag] = (),
) -> Response:
    """A :class:`Response` from answers keyed by codes, converted and flagged.

    ``subject`` fixed by a deployment wins over the answer to ``subject``.
    """
    answers, flags = reference_normalise(instrument, raw_answers)
    role = answers.get("role")
    return Response(
        instrument=instrument.id,
        instrument_version=instrument.version,
        response_id=response_id,
        submitted_at=submitted_at,
        language=language or instrument.default_language,
        round=round,
        subject=subject or _text_or_none(answers.get("subject")),
        role=role if isinstance(role, str) else None,
        deployment=deployment,
        platform=platform,
        complete=complete,
        answers=answers,
        flags=[*flags, *extra_flags],
    )


def _text_or_none(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


# --- odd data ----------------------------------------------------------------------------

DATA = __import__("pathlib").Path(__file__).parent / "data" / "instruments"


def _instruments() -> list[Instrument]:
    found = list(builtin_instruments())
    found += [load_instrument(DATA / name) for name in ("small.yaml", "bilingual.yaml")]
    return found


INSTRUMENTS = _instruments()


def _codes(instrument: Instrument) -> list[str]:
    return instrument.answer_codes()


def _choice_codes(instrument: Instrument) -> list[str]:
    codes = {c.code for _, _, q in instrument.iter_questions() for c in instrument.choices_for(q)}
    return sorted(codes)


ODD_TEXT = st.sampled_from(
    [
        "",
        " ",
        "  \t",
        "yes",
        "Y",
        "N",
        "3",
        " 3 ",
        "3.0",
        "1e2",
        "-1",
        "2026-02-30",
        "2026-03-01",
        "2026-03-01T10:00:00",
        "nan",
        "inf",
        "a b",
        "x\u00e9\u2028",
        "<b>&amp;",
        "None",
        "[]",
    ]
)


def _scalars(instrument: Instrument) -> st.SearchStrategy[Any]:
    choices = _choice_codes(instrument) or ["a"]
    return st.one_of(
        st.none(),
        st.sampled_from(choices),
        st.sampled_from(choices).map(lambda c: f" {c} "),
        st.lists(st.sampled_from(choices), max_size=3).map(" ".join),
        ODD_TEXT,
        st.text(max_size=8),
        st.booleans(),
        st.integers(min_value=-3, max_value=12),
        st.integers(min_value=-(2**70), max_value=2**70),
        st.floats(allow_nan=True, allow_infinity=True),
        st.sampled_from([1.0, 2.0, 2.5, -0.0, 1e20]),
    )


def _values(instrument: Instrument) -> st.SearchStrategy[Any]:
    scalar = _scalars(instrument)
    return st.one_of(
        scalar,
        scalar,
        scalar,
        st.just([]),
        st.lists(scalar, max_size=3),
        st.dictionaries(st.sampled_from(["a", "b"]), scalar, max_size=2),
    )


@st.composite
def raw_answers(draw: st.DrawFn, instrument: Instrument) -> dict[str, Any]:
    codes = _codes(instrument)
    repeats = [q for _, _, q in instrument.iter_questions() if q.kind is QuestionKind.REPEAT]
    keys = st.one_of(
        st.sampled_from(codes),
        st.sampled_from(codes),
        st.sampled_from(["zzz", "Role", "role ", "__version__", "subject", "role"]),
    )
    raw = draw(st.dictionaries(keys, _values(instrument), max_size=12))
    for repeat in repeats:
        if draw(st.booleans()):
            inner = [q.code for q in repeat.questions or ()] + ["nope"]
            rows = st.dictionaries(st.sampled_from(inner), _values(instrument), max_size=5)
            raw[repeat.code] = draw(
                st.one_of(
                    st.lists(rows, max_size=(repeat.max_count or 3) + 2),
                    st.lists(st.one_of(rows, st.text(max_size=3)), max_size=3),
                    _scalars(instrument),
                )
            )
    return raw


def _outcome(func: Any, *args: Any, **kwargs: Any) -> Any:
    """What a call gives, or the type and text of what it raises."""
    try:
        return ("ok", func(*args, **kwargs))
    except Exception as exc:  # noqa: BLE001 - comparing the failures too
        return ("raised", type(exc).__name__, str(exc))


def _same_answers(new: Any, old: Any) -> None:
    assert new[0] == old[0], (new, old)
    if new[0] == "raised":
        assert new == old
        return
    (answers, flags), (ref_answers, ref_flags) = new[1], old[1]
    dump = json.dumps
    assert dump(answers, default=repr, sort_keys=False) == dump(ref_answers, default=repr)
    assert repr(answers) == repr(ref_answers)
    assert [f.model_dump_json() for f in flags] == [f.model_dump_json() for f in ref_flags]
    assert flags == ref_flags


def _same_response(new: Any, old: Any) -> None:
    assert new[0] == old[0], (new, old)
    if new[0] == "raised":
        assert new == old
        return
    response, reference = new[1], old[1]
    assert type(response) is Response
    assert response.to_json() == reference.to_json()
    assert repr(response) == repr(reference)
    assert response == reference
    assert response.model_fields_set == reference.model_fields_set
    assert response.submitted_at.tzinfo is reference.submitted_at.tzinfo
    assert {k: type(v) for k, v in response.answers.items()} == {
        k: type(v) for k, v in reference.answers.items()
    }


SETTINGS = settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@pytest.mark.parametrize("instrument", INSTRUMENTS, ids=lambda i: i.id)
@SETTINGS
@given(data=st.data())
def test_answers_are_converted_as_before(instrument: Instrument, data: st.DataObject) -> None:
    raw = data.draw(raw_answers(instrument))
    _same_answers(
        _outcome(normalise_answers, instrument, raw),
        _outcome(reference_normalise, instrument, raw),
    )


# hypothesis wants naive bounds (it adds the zones itself)
LOW, HIGH = datetime(1971, 1, 1), datetime(2100, 1, 1)  # noqa: DTZ001
WHEN = st.one_of(
    st.datetimes(min_value=LOW, max_value=HIGH),
    st.datetimes(
        min_value=LOW,
        max_value=HIGH,
        timezones=st.sampled_from(
            [timezone.utc, timezone(timedelta(hours=5, minutes=30)), ZoneInfo("Europe/London")]
        ),
    ),
    st.sampled_from(["2026-03-01T10:00:00Z", "not a date"]),
)
TEXT_OR_NONE = st.one_of(st.none(), st.just(""), st.sampled_from(["s1", "Ward 3", " x "]))
ODD_FLAG = Flag(code="__version__", kind=FlagKind.INCONSISTENT, value="v9", message="odd")


@pytest.mark.parametrize("instrument", INSTRUMENTS, ids=lambda i: i.id)
@SETTINGS
@given(data=st.data())
def test_responses_are_built_as_before(instrument: Instrument, data: st.DataObject) -> None:
    raw = data.draw(raw_answers(instrument))
    options = {
        "response_id": data.draw(st.sampled_from(["17", "", "uuid:a-b", " 9 "])),
        "submitted_at": data.draw(WHEN),
        "round": data.draw(st.sampled_from(["2026-H1", "2026 H1", "", "r.1_b-2"])),
        "language": data.draw(st.one_of(st.none(), st.sampled_from(["", "en", "cy", "xx"]))),
        "subject": data.draw(TEXT_OR_NONE),
        "deployment": data.draw(TEXT_OR_NONE),
        "platform": data.draw(st.sampled_from([None, "limesurvey", "kobotoolbox"])),
        "complete": data.draw(st.sampled_from([True, False, 1])),
        "extra_flags": data.draw(
            st.sampled_from([(), [ODD_FLAG], [ODD_FLAG.model_dump()], iter([ODD_FLAG])])
        ),
    }
    if isinstance(options["extra_flags"], Iterable) and not isinstance(
        options["extra_flags"], (list, tuple)
    ):
        options["extra_flags"] = [ODD_FLAG]  # an iterator can only be read once
    _same_response(
        _outcome(build_response, instrument, raw, **options),
        _outcome(reference_build, instrument, raw, **options),
    )


def test_odd_keys_go_through_validation() -> None:
    """A key that is not a plain str (a str subclass, None) is left to the model's validation."""

    class Code(str):
        pass

    instrument = builtin_instrument("checklist")
    when = datetime(2026, 3, 1, tzinfo=timezone.utc)
    for raw in ({Code("zzz"): "1"}, {Code("role"): "user"}, {None: ["a", "b"]}):
        _same_response(
            _outcome(
                build_response, instrument, raw, response_id="1", submitted_at=when, round="2026-H1"
            ),
            _outcome(
                reference_build,
                instrument,
                raw,
                response_id="1",
                submitted_at=when,
                round="2026-H1",
            ),
        )


def test_the_synthetic_data_is_built_as_before(monkeypatch: pytest.MonkeyPatch) -> None:
    new = synthetic.demo_responses(7)
    monkeypatch.setattr(synthetic, "build_response", reference_build)
    old = synthetic.demo_responses(7)
    assert [r.to_json() for r in new] == [r.to_json() for r in old]
    assert new == old


def test_dates_and_notes_are_converted_as_before() -> None:
    """A few cases spelled out (the random ones above cover the rest)."""
    instrument = builtin_instrument("self-reflection")
    raw: Mapping[str, Any] = {
        "assetsStage": 3.0,
        "workStage": True,
        "recipStage": [3],
        "actions": [{"actWhen": "2026-05-01T00:00:00", "actPrin": "asset", "zz": 1}, {}],
    }
    new, old = normalise_answers(instrument, raw), reference_normalise(instrument, raw)
    assert new == old
    assert new[0]["actions"][0]["actWhen"] == date(2026, 5, 1).isoformat()


def test_construct_makes_what_model_construct_makes() -> None:
    from coprod_connectors.connectors import Page, PulledRecord
    from coprod_connectors.conversion import construct

    response = synthetic.demo_responses()[0]
    fields = dict(response.__dict__)
    made, reference = construct(Response, dict(fields)), Response.model_construct(**fields)
    assert made == reference
    assert made.__dict__ == reference.__dict__
    assert list(made.__dict__) == list(reference.__dict__)
    assert made.model_fields_set == reference.model_fields_set
    assert made.model_fields_set is not construct(Response, dict(fields)).model_fields_set
    assert made.__pydantic_extra__ == reference.__pydantic_extra__
    assert made.__pydantic_private__ == reference.__pydantic_private__
    assert repr(made) == repr(reference)
    record = {"remote_response_id": "1", "raw": {"id": 1}, "response": response}
    assert construct(PulledRecord, dict(record)) == PulledRecord.model_construct(**record)
    # fields missing or in another order: model_construct itself (defaults filled in)
    page = construct(Page, {"cursor": "3", "records": []})
    assert page == Page.model_construct(records=[], cursor="3")
    assert page.requests == 1


DATE_TEXTS = [
    "2026-03-01",
    " 2026-03-01 ",
    "2026-03-01T10:00:00",
    "2026-03-01xyz",
    "20260301",
    "2026-W10-1",
    "2026-02-30",
    "2026-3-1",
    "01/03/2026",
    "\u0662\u0660\u0662\u0666-03-01",
    "",
    " ",
]


@pytest.mark.parametrize("limit", [4096, 3])
def test_dates_read_again_are_converted_as_before(
    limit: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The plan remembers the dates it has read (the second time a text is known); a date
    read again, at the top level, in a repeat's rows or by a platform's names, gives what
    the reference gives, however full the memory (``limit``: emptied as it fills)."""
    from coprod_connectors import conversion

    monkeypatch.setattr(conversion, "_DATES", {})
    monkeypatch.setattr(conversion, "_DATES_MAX", limit)
    bilingual = load_instrument(DATA / "bilingual.yaml")
    reflection = builtin_instrument("self-reflection")
    when = datetime(2026, 3, 1, tzinfo=timezone.utc)
    for _ in range(2):  # the first time each text is new, the second it is known
        for text in DATE_TEXTS:
            cases: list[tuple[Instrument, dict[str, Any]]] = [
                (bilingual, {"lastVisit": text, "visits": [{"visitWhen": text}]}),
                (reflection, {"actions": [{"actWhen": text, "actPrin": "asset"}, {}]}),
            ]
            for instrument, raw in cases:
                _same_answers(
                    _outcome(normalise_answers, instrument, raw),
                    _outcome(reference_normalise, instrument, raw),
                )
                named = {f"g/{code}": value for code, value in raw.items()}
                _same_response(
                    _outcome(
                        build_response,
                        instrument,
                        named,
                        names=lambda name: name.rsplit("/", 1)[-1],
                        response_id="1",
                        submitted_at=when,
                        round="2026-H1",
                    ),
                    _outcome(
                        reference_build,
                        instrument,
                        raw,
                        response_id="1",
                        submitted_at=when,
                        round="2026-H1",
                    ),
                )
    assert len(conversion._DATES) <= limit
    assert conversion._DATES  # what was read is remembered
