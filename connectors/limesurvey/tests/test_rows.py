"""Response rows back to instrument codes: export JSON rows and CSV files from LimeSurvey's UI."""

from __future__ import annotations

import io
from collections.abc import Callable, Mapping
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from coprod_connectors.errors import ResponseDataError
from coprod_connectors.instruments import BUILTIN_IDS, Instrument, builtin_instrument
from coprod_connectors.responses import FlagKind
from coprod_limesurvey.layout import (
    META_COLUMNS,
    UNTICKED,
    Assembler,
    Target,
    assemble,
    columns,
    disassemble,
    is_filecount,
    uploaded_file_names,
)
from coprod_limesurvey.rows import RowConverter, parse_time, read_export

DATA = Path(__file__).parent / "data"


@pytest.mark.parametrize("variant", [0, 1, 2])
@pytest.mark.parametrize("instrument_id", [*BUILTIN_IDS, "bilingual-test"])
def test_columns_round_trip(
    instrument_by_id: Callable[[str], Instrument],
    sample_answers: Callable[[Instrument, int], dict[str, Any]],
    instrument_id: str,
    variant: int,
) -> None:
    instrument = instrument_by_id(instrument_id)
    answers = sample_answers(instrument, variant)
    cells = disassemble(instrument, answers)
    assert set(cells) <= set(columns(instrument))
    back = assemble(instrument, {"id": "1", "submitdate": "2026-01-01 00:00:00", **cells})
    for code, value in answers.items():
        if isinstance(value, int):
            assert back[code] == str(value)
        else:
            assert back[code] == value


def test_headings_map_to_codes(bilingual: Instrument) -> None:
    row = {
        "id": "9",
        "submitdate": "2026-05-01 10:00:00",
        "startlanguage": "cy",
        "role": "user",
        "contact[email]": "Y",
        "contact[phone]": "",
        "contact[post]": "Y",
        "visitWhere1": "Cardiff",
        "visitWhen2": "2026-01-02 00:00:00",
        "visitWhere2": None,
        "age": "42.0000000000",
        "mystery": "kept",
        "thanks": "",
    }
    response = RowConverter(bilingual, round="2026-H1", deployment="limesurvey:p:1")(row)
    assert response.answers == {
        "role": "user",
        "contact": ["email", "post"],
        "visits": [{"visitWhere": "Cardiff"}, {"visitWhen": "2026-01-02"}],
        "age": 42,
        "mystery": "kept",
    }
    assert [f.kind for f in response.flags] == [FlagKind.UNKNOWN_CODE]
    assert response.language == "cy"
    assert response.response_id == "9"
    assert response.complete is True
    assert response.submitted_at == datetime(2026, 5, 1, 10, tzinfo=timezone.utc)
    assert response.platform == "limesurvey"


def test_incomplete_rows_use_the_last_action_date(bilingual: Instrument) -> None:
    row = {"id": "3", "submitdate": None, "datestamp": "2026-07-02 09:30:00", "role": "staff"}
    response = RowConverter(bilingual)(row)
    assert response.complete is False
    assert response.round == "2026-H2"


def test_dates_in_the_profile_time_zone(bilingual: Instrument) -> None:
    from coprod_limesurvey.rows import zone

    when = parse_time("2026-07-02 09:30:00", zone("Europe/London"))
    assert when is not None
    assert when.astimezone(timezone.utc).hour == 8


def test_import_a_real_csv_export_with_codes(bilingual: Instrument) -> None:
    responses = list(read_export(DATA / "bilingual-export-codes.csv", bilingual))
    assert [r.response_id for r in responses] == ["1", "2", "3"]
    first = responses[0]
    assert first.answers == {
        "role": "user",
        "name": "Siân <b>&</b>",
        "age": 42,
        "lastVisit": "2026-03-01",
        "story": "Fine {TOKEN}",
        "contact": ["email", "post"],
        "visits": [
            {"visitWhere": "Cardiff", "visitWhen": "2026-01-02"},
            {"visitWhere": "Bangor"},
        ],
    }
    assert first.flags == []
    assert first.round == "2026-H1"
    assert responses[2].answers == {"role": "nosay", "age": 7}


def test_import_a_full_answers_export_maps_labels_back(bilingual: Instrument) -> None:
    codes = list(read_export(DATA / "bilingual-export-codes.csv", bilingual))
    full = list(read_export(DATA / "bilingual-export-full-answers.csv", bilingual))
    assert [r.answers for r in full] == [r.answers for r in codes]
    assert all(r.flags == [] for r in full)


def test_import_skips_incomplete_when_asked(bilingual: Instrument) -> None:
    text = '\ufeff"id";"submitdate";"datestamp";"role"\r\n"1";;"2026-01-01 10:00:00";"user"\r\n'
    assert len(list(read_export(io.StringIO(text), bilingual))) == 1
    assert list(read_export(io.StringIO(text), bilingual, include_incomplete=False)) == []


def test_import_rejects_other_headings(bilingual: Instrument) -> None:
    text = '"Response ID";"Which of these best describes you?"\r\n"1";"I use services"\r\n'
    with pytest.raises(ResponseDataError) as caught:
        list(read_export(io.StringIO(text), bilingual))
    assert "Question code" in (caught.value.hint or "")


def test_import_missing_file(bilingual: Instrument, tmp_path: Path) -> None:
    with pytest.raises(ResponseDataError, match="no such file"):
        list(read_export(tmp_path / "nope.csv", bilingual))


def test_import_multiline_text(bilingual: Instrument) -> None:
    text = (
        '"id";"submitdate";"story";"role"\n"1";"2026-01-01 10:00:00";"line one\nline; two";"user"\n'
    )
    (response,) = read_export(io.StringIO(text), bilingual)
    assert response.answers["story"] == "line one\nline; two"


# --- the compiled assembler gives what assemble gave, cell for cell ------------------------


def _reference_assemble(
    instrument: Instrument, row: Mapping[str, Any], targets: Mapping[str, Target]
) -> dict[str, Any]:
    """``layout.assemble`` as it was before the Assembler (main at 11efe2c), unchanged."""
    answers: dict[str, Any] = {}
    repeats: dict[str, dict[int, dict[str, Any]]] = {}
    for column, value in row.items():
        if column in META_COLUMNS or (
            value is None or (isinstance(value, str) and not value.strip())
        ):
            continue
        target = targets.get(column)
        if target is None:
            if is_filecount(column, targets):
                continue
            answers[column] = value
            continue
        if target.media:
            names = uploaded_file_names(value)
            if not names:
                continue
            value = names[0] if len(names) == 1 else names
        if target.repeat is not None:
            slot = repeats.setdefault(target.repeat, {}).setdefault(target.row or 0, {})
        else:
            slot = answers
        if target.choice is not None:
            if str(value).strip().upper() not in UNTICKED:
                slot.setdefault(target.code, []).append(target.choice)
        else:
            slot[target.code] = value
    for repeat, rows in repeats.items():
        answers[repeat] = [rows[n] for n in sorted(rows) if rows[n]]
    return answers


CELLS = st.one_of(
    st.none(),
    st.sampled_from(["", " ", "Y", "N", "n/a", "N/A", "0", "1", "A1", " 3 ", "yes", "2026-01-02"]),
    st.text(max_size=5),
    st.integers(-2, 5),
    st.floats(allow_nan=False),
    st.booleans(),
    st.lists(st.integers(), max_size=2),
    st.sampled_from(
        ['[{"name": "a.jpg", "size": 1}]', '[{"filename": "b.m4a"}, {"name": "c"}]', "[]"]
    ),
)


@pytest.mark.parametrize("name", BUILTIN_IDS)
@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_the_assembler_assembles_as_before(name: str, data: st.DataObject) -> None:
    instrument = builtin_instrument(name)
    targets = columns(instrument)
    counts = [f"{column}[filecount]" for column, t in targets.items() if t.media]
    headings = [*sorted(targets), *sorted(META_COLUMNS), *counts, "zzz", "q[x]", "x[filecount]"]
    row = data.draw(st.dictionaries(st.sampled_from(headings), CELLS, max_size=40))
    assembled = Assembler(instrument, targets)(row)
    reference = _reference_assemble(instrument, row, targets)
    assert repr(assembled) == repr(reference)
    assert list(assembled) == list(reference)


def test_a_row_is_read_not_changed() -> None:
    convert = RowConverter(builtin_instrument("ladder-check"), round="2026-H2", labels=False)
    row = {"id": "1", "submitdate": "2026-12-01 10:00:00", "answerLang": "cy", "ideaInv": "2"}
    before = dict(row)
    convert(row)
    assert row == before


def test_the_language_a_person_finished_in_wins_over_the_one_they_started_in() -> None:
    from coprod_connectors import builtin_instrument
    from coprod_limesurvey.rows import RowConverter

    convert = RowConverter(builtin_instrument("ladder-check"), round="2026-H2", labels=False)
    row = {"id": "1", "submitdate": "2026-12-01 10:00:00", "startlanguage": "en", "ideaInv": "2"}
    assert convert(row).language == "en"
    switched = convert({**row, "answerLang": "cy"})
    assert switched.language == "cy"
    assert "answerLang" not in switched.answers
    assert switched.flags == []
    # a value that is not one of the instrument's languages is not believed
    assert convert({**row, "answerLang": "xx"}).language == "en"
