"""Records keyed by a platform's own names, converted in one pass, as by_code then the plan.

``build_response(..., names=f)`` reads a record keyed by the platform's names
(group paths, column names...) and maps them to codes as it converts; it must
give exactly what ``build_response(by_code(record, f), ...)`` gives: the same
answers, flags and Response, or the same error. Generated records hold every
instrument's codes under several names (so one code is often given by two),
names that hold no answer, unknown names, odd values and repeats with odd rows;
several go through one plan, so what it learnt of the names before is used.

And ``parse_timestamp`` reads the usual form at once exactly as it read it before.
"""

from __future__ import annotations

import string
from datetime import date, datetime, timedelta, timezone, tzinfo
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from coprod_connectors import GROUP, Flag, FlagKind, Response, by_code, parse_timestamp, plan_for
from coprod_connectors.instruments import builtin_instruments
from coprod_connectors.instruments.model import Instrument, QuestionKind
from coprod_connectors.responses import as_utc, build_response

INSTRUMENTS = list(builtin_instruments())
PREFIXES = ["", "", "g.", "a.b.", "#", "#meta."]


def names(name: str) -> str | None:
    """A platform's naming: ``group.code``; names starting with ``#`` hold no answer."""
    if name.startswith("#"):
        return None
    return name.rsplit(".", 1)[-1]


def _choices(instrument: Instrument) -> list[str]:
    return sorted(
        {c.code for _, _, q in instrument.iter_questions() for c in instrument.choices_for(q)}
    ) or ["a"]


def _values(instrument: Instrument) -> st.SearchStrategy[Any]:
    scalar = st.one_of(
        st.sampled_from(_choices(instrument)),
        st.sampled_from(_choices(instrument)).map(lambda c: f" {c} "),
        st.sampled_from(["", " ", "3", " 3 ", "3.0", "2026-03-01", "2026-02-30", "a b"]),
        st.text(max_size=5),
        st.none(),
        st.booleans(),
        st.integers(min_value=-3, max_value=12),
        st.floats(),
    )
    return st.one_of(scalar, scalar, st.just([]), st.lists(scalar, max_size=2))


@st.composite
def records(draw: st.DrawFn, instrument: Instrument) -> dict[str, Any]:
    value = _values(instrument)
    codes = [*instrument.answer_codes(), "zzz", "subject", "role"]
    key = st.tuples(st.sampled_from(PREFIXES), st.sampled_from(codes)).map("".join)
    record = draw(st.dictionaries(key, value, max_size=14))
    for _, _, question in instrument.iter_questions():
        if question.kind is QuestionKind.REPEAT and draw(st.booleans()):
            inner = [q.code for q in question.questions or ()] + ["nope"]
            inner_key = st.tuples(st.sampled_from(PREFIXES), st.sampled_from(inner)).map("".join)
            row = st.dictionaries(inner_key, value, max_size=5)
            name = draw(st.sampled_from(PREFIXES)) + question.code
            record[name] = draw(
                st.one_of(
                    st.lists(row, max_size=4),
                    st.lists(st.one_of(row, st.text(max_size=2)), max_size=2),
                    value,
                )
            )
    return record


def _outcome(func: Any, *args: Any, **kwargs: Any) -> Any:
    try:
        return ("ok", func(*args, **kwargs).to_json())
    except Exception as exc:  # noqa: BLE001 - comparing the failures too
        return ("raised", type(exc).__name__, str(exc))


WHEN = datetime(2026, 5, 1, 10, tzinfo=timezone.utc)


@pytest.mark.parametrize("instrument", INSTRUMENTS, ids=lambda i: i.id)
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_names_convert_as_by_code_then_the_plan(
    instrument: Instrument, data: st.DataObject
) -> None:
    _check_records(instrument, data, records, names=names)


def _check_records(instrument: Instrument, data: st.DataObject, make: Any, **named: Any) -> None:
    """Up to four records of ``make`` through one fresh plan: ``build_response`` with
    ``named`` (names=, nested=) gives what it gives of ``by_code``'s answers."""
    fresh = instrument.model_copy()  # a plan of its own, that has learnt no names yet
    for _ in range(data.draw(st.integers(min_value=1, max_value=4))):
        record = data.draw(make(fresh))
        kwargs: dict[str, Any] = {
            "response_id": data.draw(st.sampled_from(["r1", ""])),
            "submitted_at": WHEN,
            "round": "2026-H1",
        }
        plain = by_code(record, **named)
        assert _outcome(build_response, fresh, record, **named, **kwargs) == _outcome(
            build_response, fresh, plain, **kwargs
        )


def test_a_code_given_by_two_names_takes_the_first() -> None:
    record = {"g.role": " ", "role": "user", "#x": "1", "a.actions": [{"g.actWhat": "a"}]}
    assert by_code(record, names) == {"role": " ", "actions": [{"actWhat": "a"}]}


# --- records of nested groups (nested=True) -----------------------------------------------

GROUPS = ["grpA", "grpB", "grpC"]


def nested_names(name: str) -> str | None:
    """Groups named ``grp...`` hold no answer themselves; ``#...`` holds none at all."""
    if name.startswith("#"):
        return None
    return GROUP if name.startswith("grp") else name


@st.composite
def nested_records(draw: st.DrawFn, instrument: Instrument, depth: int = 0) -> dict[str, Any]:
    value = _values(instrument)
    codes = [*instrument.answer_codes(), "zzz", "subject", "role"]
    # most records give each code once (the one-walk path), some give one twice
    key = st.sampled_from(codes if draw(st.booleans()) else [*codes, "#meta", *GROUPS])
    record: dict[str, Any] = draw(st.dictionaries(key, value, max_size=8))
    if depth < 2:
        for name in draw(st.lists(st.sampled_from([*GROUPS, "#meta", *codes]), max_size=3)):
            record[name] = draw(nested_records(instrument, depth + 1))
    for _, _, question in instrument.iter_questions():
        if question.kind is QuestionKind.REPEAT and draw(st.booleans()):
            inner = [q.code for q in question.questions or ()] + ["nope", "#id", "grpA"]
            row = st.dictionaries(
                st.sampled_from(inner), st.one_of(value, st.fixed_dictionaries({"actWho": value}))
            )
            record[question.code] = draw(
                st.one_of(
                    st.lists(row, max_size=3),
                    st.lists(st.one_of(row, st.text(max_size=2)), max_size=2),
                    value,
                )
            )
    return record


@pytest.mark.parametrize("instrument", INSTRUMENTS, ids=lambda i: i.id)
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_nested_records_convert_as_by_code_then_the_plan(
    instrument: Instrument, data: st.DataObject
) -> None:
    _check_records(instrument, data, nested_records, names=nested_names, nested=True)


def test_nested_records_by_code() -> None:
    record = {
        "grpA": {"role": None, "note": "n", "grpB": {"level": " serv "}},
        "role": "user",  # given before (blank): the first one is kept
        "#meta": {"subject": "not walked"},
        "grpC": "not a group: left out",
        "grpD": [{"actWhat": "a"}],  # a list under a group's name: left out
        "actions": [{"actWhat": "a", "grpA": {"actWho": "b"}, "#id": "x"}, "not a row"],
        "subject": {"inner": "s"},  # a code's object is a group too
    }
    assert by_code(record, nested_names, nested=True) == {
        "role": None,
        "note": "n",
        "level": " serv ",
        "actions": [{"actWhat": "a", "actWho": "b"}],
        "inner": "s",
    }
    # a repeat given twice takes the last one, in the first one's place
    again = {"actions": [{"actWhat": "a"}], "grpA": {"actions": [{"actWhat": "b"}, 3]}}
    assert by_code(again, nested_names, nested=True) == {"actions": [{"actWhat": "b"}]}


def test_a_plan_learns_a_code_given_in_a_second_place_later() -> None:
    """A code first seen in one group, then (a later record, another form version) in
    another: both records take the plain way from then on, with the same result."""
    instrument = next(i for i in INSTRUMENTS if i.id == "self-reflection").model_copy()
    kwargs: dict[str, Any] = {"response_id": "r1", "submitted_at": WHEN, "round": "2026-H1"}
    first = {"grpA": {"role": " staff ", "subject": "Ann"}}
    second = {"grpB": {"role": "user"}, "grpA": {"subject": " "}, "zzz": 1}
    for record in (first, second, first, {"role": "other", **first}):
        quick = _outcome(
            build_response, instrument, record, names=nested_names, nested=True, **kwargs
        )
        plain = by_code(record, nested_names, nested=True)
        assert quick == _outcome(build_response, instrument, plain, **kwargs)


# --- parse_timestamp: the usual form read at once ------------------------------------------

_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y/%m/%d %H:%M:%S", "%d/%m/%Y %H:%M")


def reference_parse_timestamp(value: Any, *, tz: tzinfo = timezone.utc) -> datetime | None:
    """``parse_timestamp`` as it was at commit 05e2027, unchanged."""
    if isinstance(value, datetime):
        parsed: datetime | None = value
    elif isinstance(value, date):
        parsed = datetime(value.year, value.month, value.day, tzinfo=tz)
    elif isinstance(value, str) and value.strip() and len(value) <= 64:
        text = value.strip()
        try:
            parsed = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
        except ValueError:
            parsed = None
            for fmt in _FORMATS:
                try:
                    parsed = datetime.strptime(text, fmt)  # noqa: DTZ007
                    break
                except ValueError:
                    continue
    else:
        return None
    if parsed is None:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=tz)
    return as_utc(parsed)


ALPHABET = string.digits + "-:T Zz+./\t\n\x1c\u00a0\u0663W,"


@st.composite
def usual_ish(draw: st.DrawFn) -> str:
    """Text like ``2026-05-01T10:00:00`` with a few characters changed."""
    base = draw(st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30)))  # noqa: DTZ001
    text = list(base.replace(microsecond=0).isoformat())
    for _ in range(draw(st.integers(min_value=0, max_value=3))):
        text[draw(st.integers(min_value=0, max_value=18))] = draw(st.sampled_from(ALPHABET))
    return "".join(text)


@settings(max_examples=3000, deadline=None)
@given(
    value=st.one_of(
        usual_ish(),
        st.text(alphabet=ALPHABET, min_size=19, max_size=19),
        st.text(alphabet=ALPHABET, max_size=30),
    ),
    zone=st.sampled_from([timezone.utc, timezone(timedelta(hours=5, minutes=30))]),
)
def test_timestamps_are_read_as_before(value: str, zone: tzinfo) -> None:
    new, old = parse_timestamp(value, tz=zone), reference_parse_timestamp(value, tz=zone)
    assert new == old
    if old is not None:
        assert new is not None
        assert (new.tzinfo, new.fold, type(new)) == (old.tzinfo, old.fold, type(old))


def test_the_usual_form_is_utc() -> None:
    parsed = parse_timestamp("2026-05-01T10:00:00")
    assert parsed == datetime(2026, 5, 1, 10, tzinfo=timezone.utc)
    assert parsed is not None
    assert parsed.tzinfo is timezone.utc
    assert parse_timestamp("2026-05-01T10:00:0Z") is None


WHENS = st.one_of(
    st.sampled_from(
        [
            WHEN,
            WHEN.replace(tzinfo=None),
            WHEN.astimezone(timezone(timedelta(hours=-3))),
            datetime(1, 1, 1, 0, 30, tzinfo=timezone(timedelta(hours=1))),  # UTC cannot hold it
            None,
            "2026-03-01T10:00:00Z",
            "not a date",
        ]
    ),
    st.datetimes(min_value=datetime(1971, 1, 1), max_value=datetime(2100, 1, 1)),  # noqa: DTZ001
)


@pytest.mark.parametrize("instrument", INSTRUMENTS[:3], ids=lambda i: i.id)
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_a_builder_builds_what_build_response_builds(
    instrument: Instrument, data: st.DataObject
) -> None:
    """``plan.builder(...)`` with a pull's fixed arguments, then each record's: the same
    Response (or error) as ``build_response`` given them all, whatever the time."""
    fixed: dict[str, Any] = {
        "round": data.draw(st.sampled_from([None, "2026-H1", "bad round!"])),
        "subject": data.draw(st.sampled_from([None, "", "Ward 3"])),
        "deployment": data.draw(st.sampled_from([None, "kpi/aBc"])),
        "platform": data.draw(st.sampled_from([None, "kobotoolbox"])),
        "complete": data.draw(st.booleans()),
        "names": names,
    }
    build = plan_for(instrument).builder(**fixed)
    for _ in range(data.draw(st.integers(min_value=1, max_value=3))):
        record = data.draw(records(instrument))
        each: dict[str, Any] = {
            "response_id": data.draw(st.sampled_from(["r1", ""])),
            "submitted_at": data.draw(WHENS),
            "submitted_raw": data.draw(st.sampled_from([None, "soon"])),
            "language": data.draw(st.sampled_from([None, "en", "xx"])),
            "extra_flags": data.draw(st.sampled_from([(), [ODD_FLAG]])),
        }
        new, old = (
            _timeless(_outcome(build, record, *each.values())),
            _timeless(_outcome(build_response, instrument, record, **fixed, **each)),
        )
        assert new == old


ODD_FLAG = Flag(code="__version__", kind=FlagKind.INCONSISTENT, value="v9", message="odd")


def _timeless(outcome: Any) -> Any:
    """An outcome with the time of reading, which stands in for an unreadable time, left out."""
    if outcome[0] == "ok" and "the time it was read stands in" in outcome[1]:
        found = Response.model_validate_json(outcome[1])
        return ("ok", found.model_copy(update={"submitted_at": None}).model_dump_json())
    return outcome


def test_a_repeats_rows_with_a_code_given_twice_take_two_passes() -> None:
    """A repeat's rows keyed by names are read in one pass until two names of a row give
    one code (learnt as they come: the rows read so far, and their flags, are dropped and
    the two passes read them), and afterwards whenever a row holds both."""
    instrument = next(i for i in INSTRUMENTS if i.id == "self-reflection").model_copy()
    sequence = [
        {"actions": [{"g.actWhat": " Tidy ", "#n": "1", "g.nope": "x"}]},  # learnt, one pass
        # a flag, then a row where two new names give one code: the last one's blank wins
        {
            "actions": [
                {"g.nope": "y", "g.actWhen": "2026-02-30"},
                {"a.actWho": "x", "b.actWho": " "},
            ]
        },
        {"actions": [{"a.actWho": "Me", "g.actPrin": "asset"}]},  # one of the two: one pass
        {"actions": [{"b.actWho": "You"}, {"a.actWho": "", "b.actWho": "Us", "g.zz": 2}]},
        {"actions": [{"a.actWho": "Them", "b.actWho": " "}]},  # both known: the last wins
        {"x.actions": [{"g.actWhat": "a"}], "actions": [{"b.actWho": "z", "a.actWho": "w"}]},
    ]
    for record in sequence:
        kwargs: dict[str, Any] = {"response_id": "r1", "submitted_at": WHEN, "round": "2026-H1"}
        assert _outcome(build_response, instrument, record, names=names, **kwargs) == _outcome(
            build_response, instrument, by_code(record, names), **kwargs
        )


@st.composite
def repeat_records(draw: st.DrawFn, instrument: Instrument) -> dict[str, Any]:
    """Nested records that give each code once at the top (so the one walk goes on to the
    repeats), with repeats of odd rows: groups in rows, unknown and blank names, lists
    (repeats in a row), items that are no objects, more rows than allowed, and now and
    then a code given twice in a row (or in two rows' different places)."""
    value = _values(instrument)
    codes = [*instrument.answer_codes(), "zzz", "subject", "role"]
    record: dict[str, Any] = draw(st.dictionaries(st.sampled_from(codes), value, max_size=6))
    for _, _, question in instrument.iter_questions():
        if question.kind is not QuestionKind.REPEAT:
            continue
        inner = [q.code for q in question.questions or ()]
        names = st.sampled_from([*inner, "nope", "#id"])
        row_value = st.one_of(
            value,
            value,
            st.lists(st.fixed_dictionaries({draw(st.sampled_from(inner)): value}), max_size=2),
        )
        row = st.dictionaries(names, row_value, max_size=5)
        grouped = st.tuples(row, st.sampled_from(["grpA", "#meta", *inner]), row).map(
            lambda parts: {**parts[0], parts[1]: parts[2]}
        )
        items = st.lists(
            st.one_of(row, row, grouped, st.text(max_size=2), st.none()),
            max_size=(question.max_count or 3) + 2,
        )
        if draw(st.booleans()):
            record[draw(st.sampled_from(["", "grpB."])) + question.code] = draw(items)
    return {
        (name.split(".")[0] if "." in name else name): (
            {name.split(".")[1]: record[name]} if "." in name else record[name]
        )
        for name in record
    }


@pytest.mark.parametrize("instrument", INSTRUMENTS, ids=lambda i: i.id)
@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_repeats_of_nested_records_convert_as_by_code_then_the_plan(
    instrument: Instrument, data: st.DataObject
) -> None:
    """The rows of a repeat are converted as they are walked: as the repeat's converter
    converts the rows ``by_code(..., nested=True)`` makes."""
    _check_records(instrument, data, repeat_records, names=nested_names, nested=True)


def test_a_repeats_rows_converted_in_the_walk() -> None:
    instrument = next(i for i in INSTRUMENTS if i.id == "self-reflection").model_copy()
    kwargs: dict[str, Any] = {"response_id": "r1", "submitted_at": WHEN, "round": "2026-H1"}
    rows = [
        {"actWhat": " a ", "grpA": {"actWho": "b", "#id": "x"}, "nope": 1, "actWhen": "x"},
        "not a row",
        {"actWhat": " ", "actPrin": None},  # a row of blanks: left out, still counted
        {"actPrin": "nope", "actWhen": [{"actWho": "c"}]},
        {"actWhat": "d"},
        {"actWhat": "e"},
    ]
    record = {"role": "user", "grpB": {"actions": rows}}
    quick = build_response(instrument, record, names=nested_names, nested=True, **kwargs)
    plain = build_response(instrument, by_code(record, nested_names, nested=True), **kwargs)
    assert quick.to_json() == plain.to_json()
    assert quick.answers["actions"][0] == {
        "actWhat": "a",
        "actWho": "b",
        "nope": 1,
        "actWhen": "x",
    }
    assert [f.code for f in quick.flags] == [
        "actions[0].nope",
        "actions[0].actWhen",
        "actions[2].actPrin",
        "actions[2].actWhen",
        "actions",
    ]
    # no object among the items: no answer, as blank
    empty = {"actions": ["a", None]}
    assert (
        "actions"
        not in build_response(instrument, empty, names=nested_names, nested=True, **kwargs).answers
    )
