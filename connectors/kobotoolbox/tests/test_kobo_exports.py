"""The manual path: KoboToolbox CSV and XLSX exports (real ones, from the local KPI) read back."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook

from coprod_connectors.errors import ResponseDataError
from coprod_connectors.instruments import builtin_instrument, load_instrument
from coprod_connectors.instruments.model import Instrument
from coprod_connectors.responses import FlagKind, normalise_answers
from coprod_kobotoolbox import KoboToolboxConnector

HERE = Path(__file__).parent / "data"
ROLES = ["user", "staff", "carer", "mgr"]


@pytest.fixture
def bilingual(core_data: Path) -> Instrument:
    return load_instrument(core_data / "instruments" / "bilingual.yaml")


def _read(path: Path, instrument: Instrument) -> list[Any]:
    return list(KoboToolboxConnector().import_export_file(path, instrument, round="2026-H2"))


def test_a_real_xlsx_export_with_repeats_reads_back_the_submitted_answers(
    make_answers: Callable[..., dict[str, Any]],
) -> None:
    instrument = builtin_instrument("self-reflection")
    responses = _read(HERE / "self-reflection-export.xlsx", instrument)
    assert len(responses) == 3
    for n, response in enumerate(responses):
        sent = make_answers(instrument, n, media=n == 0, roles=ROLES)
        expected, _ = normalise_answers(instrument, sent)
        assert response.answers == expected
        assert response.flags == []
        assert response.platform == "kobotoolbox"
    assert len(responses[0].answers["actions"]) == 2
    assert responses[0].submitted_at.isoformat() == "2026-11-23T19:59:11+00:00"


@pytest.mark.parametrize("name", ["bilingual-export.csv", "bilingual-export.xlsx"])
def test_real_csv_and_xlsx_exports_skip_not_approved_rows(name: str, bilingual: Instrument) -> None:
    responses = _read(HERE / name, bilingual)
    assert len(responses) == 1  # the other row was marked Not approved
    [response] = responses
    assert response.response_id == "7f9c55d9-bced-58d0-95be-039581401b0b"
    assert response.role == "nosay"
    assert response.answers["name"] == "Edited name"
    assert response.answers["age"] == 3
    assert response.answers["contact"] == ["phone", "post"]
    if name.endswith(".xlsx"):
        assert response.answers["visits"][0]["visitWhen"] == "2026-01-09"
    else:
        assert "visits" not in response.answers  # CSV exports have no repeats


def test_headers_without_groups_comma_separated_and_choice_columns(
    tmp_path: Path, bilingual: Instrument
) -> None:
    path = tmp_path / "export.csv"
    path.write_text(
        "role,age,contact/email,contact/phone,contact/post,extra,_uuid,_submission_time\n"
        "staff,41,1,0,1,x,u-1,2026-05-01T10:00:00\n"
        "user,200,0,0,0,,u-2,2026-05-02T10:00:00\n",
        encoding="utf-8",
    )
    first, second = _read(path, bilingual)
    assert first.answers == {"role": "staff", "age": 41, "contact": ["email", "post"]}
    assert first.response_id == "u-1"
    assert second.answers == {"role": "user", "age": 200}
    assert [f.kind for f in second.flags] == [FlagKind.OUT_OF_RANGE]


def test_label_headers_are_refused_with_a_hint(tmp_path: Path, bilingual: Instrument) -> None:
    path = tmp_path / "labels.csv"
    path.write_text("Which of these best describes you?;How old are you?\nI use services;3\n")
    with pytest.raises(ResponseDataError, match="XML values and headers"):
        _read(path, bilingual)


def test_bad_files(tmp_path: Path, bilingual: Instrument) -> None:
    with pytest.raises(ResponseDataError, match="no such file"):
        _read(tmp_path / "missing.csv", bilingual)
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(b"not a zip")
    with pytest.raises(ResponseDataError, match="not an XLSX workbook"):
        _read(bad, bilingual)
    latin = tmp_path / "latin.csv"
    latin.write_bytes("role\ncaf\xe9\n".encode("latin-1"))
    with pytest.raises(ResponseDataError, match="not UTF-8"):
        _read(latin, bilingual)
    empty = tmp_path / "empty.csv"
    empty.write_text("role\n")
    assert _read(empty, bilingual) == []


def test_xlsx_with_other_group_separators(tmp_path: Path, bilingual: Instrument) -> None:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Bilingual test form"
    sheet.append(["about.role", "about.lastVisit", "_index", "_uuid", "_submission_time"])
    sheet.append(["user", "2026-02-03", 1, "u-9", "2026-02-04T00:00:00"])
    repeat = workbook.create_sheet("visits")
    repeat.append(["about.visits.visitWhere", "_parent_index"])
    repeat.append(["Rhyl", 1])
    path = tmp_path / "dots.xlsx"
    workbook.save(path)
    [response] = _read(path, bilingual)
    assert response.answers == {
        "role": "user",
        "lastVisit": "2026-02-03",
        "visits": [{"visitWhere": "Rhyl"}],
    }
