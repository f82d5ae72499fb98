"""Render every instrument as XLSForm rows, KPI JSON and .xlsx; pyxform compiles each."""

from __future__ import annotations

import io
import json
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from pyxform.xls2xform import convert

from coprod_connectors.connectors import Connector, discover
from coprod_connectors.errors import ConfigError
from coprod_connectors.instruments import builtin_instruments, load_instrument
from coprod_connectors.instruments.model import Instrument
from coprod_kobotoolbox import KoboToolboxConnector, build_xlsform
from coprod_kobotoolbox.render import kpi_content, xlsx_bytes

CORE_DATA = Path(__file__).parents[3] / "tests" / "data" / "instruments"
XF = "{http://www.w3.org/2002/xforms}"


def _instruments() -> list[Instrument]:
    return [*builtin_instruments(), load_instrument(CORE_DATA / "bilingual.yaml")]


INSTRUMENTS = {i.id: i for i in _instruments()}


def _hostile(instrument: Instrument) -> Instrument:
    data: dict[str, Any] = instrument.model_dump(by_alias=True, exclude_none=True)
    evil = '<script>alert(1)</script> ]]> & "q" \'a\' ${role} =HYPERLINK("x")'
    first = data["sections"][0]["questions"][0]
    first["label"] = {lang: f"{text} {evil}" for lang, text in first["label"].items()}
    data["title"] = {lang: f"{text} <b>]]>" for lang, text in data["title"].items()}
    return Instrument.model_validate(data)


@pytest.fixture(params=sorted(INSTRUMENTS))
def instrument(request: pytest.FixtureRequest) -> Instrument:
    return INSTRUMENTS[request.param]


def test_the_connector_is_found_through_its_entry_point() -> None:
    cls = discover().get("kobotoolbox")
    assert cls is KoboToolboxConnector
    assert isinstance(cls(), Connector)


def test_names_are_the_instrument_codes(instrument: Instrument) -> None:
    form = build_xlsform(instrument)
    names = [row["name"] for row in form.survey if not row["type"].startswith("end_")]
    questions = [n for n in names if "_" not in n]
    expected = [s.code for s in instrument.sections]
    for _, _, q in instrument.iter_questions():
        expected.append(q.code)
        expected.extend(r.code for r in q.rows or ())
    assert sorted(questions) == sorted(expected)


def test_pyxform_compiles_the_rows_and_the_xlsx_to_the_same_xform(instrument: Instrument) -> None:
    form = build_xlsform(instrument)
    warnings: list[str] = []
    from_rows = convert(form.as_pyxform_dict(), warnings=warnings).xform
    from_xlsx = convert(xlsx_bytes(form), warnings=[]).xform
    assert from_rows == from_xlsx
    assert warnings == []
    root = ET.fromstring(from_rows)
    head = root.find("{http://www.w3.org/1999/xhtml}head")
    assert head is not None
    langs = {t.get("lang") for t in root.iter(f"{XF}translation")}
    assert langs == {f"{name} ({code})" for code, name in _names(instrument).items()}
    main = root.find(f".//{XF}instance")
    assert main is not None
    data = next(iter(main))
    assert data.get("id") == instrument.id
    assert data.get("version") == instrument.version


def _names(instrument: Instrument) -> dict[str, str]:
    from coprod_connectors.instruments.model import language_name

    return {code: language_name(code) for code in instrument.languages}


def test_welsh_and_english_columns() -> None:
    form = build_xlsform(INSTRUMENTS["bilingual-test"])
    columns = form.columns("survey")
    assert {"label::English (en)", "label::Cymraeg (cy)"} <= set(columns)
    assert {"hint::English (en)", "hint::Cymraeg (cy)"} <= set(columns)
    assert form.settings["default_language"] == "English (en)"
    role = next(r for r in form.survey if r["name"] == "role")
    assert role["label::Cymraeg (cy)"] == "Pa un o'r rhain sy'n eich disgrifio orau?"
    staff = next(c for c in form.choices if c["name"] == "staff")
    assert "Staff cyflogedig a gwirfoddolwyr." in staff["label::Cymraeg (cy)"]


def _rows(instrument_id: str) -> dict[str, dict[str, str]]:
    survey = build_xlsform(INSTRUMENTS[instrument_id]).survey
    return {r["name"]: r for r in survey if not r["type"].startswith("end_")}


def test_question_types_relevance_and_constraints() -> None:
    rows = _rows("bilingual-test")
    assert rows["role"]["type"] == "select_one role"
    assert rows["role"]["required"] == "yes"
    assert rows["contact"]["type"] == "select_multiple contact"
    assert rows["story"]["relevant"] == "${role} = 'user'"
    assert rows["story"]["appearance"] == "multiline"
    assert rows["age"]["constraint"] == ". >= 0 and . <= 120"
    assert rows["thanks"]["type"] == "note"
    assert rows["visits"]["type"] == "begin_repeat"
    assert "repeat_count" not in rows["visits"]
    assert rows["visitWhere"]["constraint"] == "position(..) <= 2"
    sr = _rows("self-reflection")
    assert sr["assetsAudio"]["type"] == "audio"
    assert sr["assetsPhoto"]["type"] == "image"
    assert sr["actions"]["type"] == "begin_repeat"
    assert sr["actWhat"]["constraint"] == "position(..) <= 3"
    assert sr["assetsRag"]["type"] == "select_one rag"
    cl = _rows("checklist")
    assert cl["diversity"]["type"] == "begin_group"
    # not a field-list page: on a phone each statement is its own screen
    assert "appearance" not in cl["diversity"]
    assert cl["d1"]["type"] == "select_one agree"


def test_every_relevance_form_becomes_xlsform() -> None:
    data: dict[str, Any] = INSTRUMENTS["bilingual-test"].model_dump(
        by_alias=True, exclude_none=True
    )
    questions = data["sections"][0]["questions"]
    questions.append(
        {
            "code": "extra",
            "kind": "short_text",
            "label": {"en": "x", "cy": "x"},
            "relevant": {
                "all": [
                    {"question": "contact", "in": ["email", "post"]},
                    {"any": [{"question": "age", "answered": True}, {"not": {"question": "name"}}]},
                    {"question": "name", "answered": False},
                ]
            },
        }
    )
    instrument = Instrument.model_validate(data)
    form = build_xlsform(instrument)
    row = next(r for r in form.survey if r["name"] == "extra")
    assert row["relevant"] == (
        "(selected(${contact}, 'email') or selected(${contact}, 'post')) and "
        "((${age} != '') or (not(${name} != ''))) and (${name} = '')"
    )
    convert(form.as_pyxform_dict(), warnings=[])


def test_kpi_content_shape(instrument: Instrument) -> None:
    content = kpi_content(build_xlsform(instrument))
    assert set(content) == {"schema", "survey", "choices", "settings", "translations", "translated"}
    n = len(instrument.languages)
    assert len(content["translations"]) == n
    assert content["translations"][0].endswith(f"({instrument.default_language})")
    for row in content["survey"] + content["choices"]:
        for column in content["translated"]:
            if column in row:
                assert isinstance(row[column], list)
                assert len(row[column]) == n
                assert all(isinstance(v, str) and v for v in row[column])
        # KPI names media columns media::image / media::audio; nothing else has "::"
        assert all(key.count("::") == 0 or key in {"media::image", "media::audio"} for key in row)
    assert content["settings"]["id_string"] == instrument.id
    assert "version" not in content["settings"]
    assert all(r["required"] is True for r in content["survey"] if "required" in r)


def test_render_json_and_xlsx_artefacts(instrument: Instrument) -> None:
    connector = KoboToolboxConnector()
    xlsx = connector.render(instrument, {"format": "xlsx"})
    assert xlsx.filename == f"{instrument.id}-{instrument.version}.xlsx"
    workbook = load_workbook(io.BytesIO(xlsx.content))
    assert workbook.sheetnames == ["survey", "choices", "settings"]
    default = connector.render(instrument)
    assert default.filename.endswith(".xlsx")
    js = connector.render(instrument, {"format": "json"})
    assert js.media_type == "application/json"
    assert json.loads(js.content)["survey"]
    with pytest.raises(ConfigError, match="xlsx or json"):
        connector.render(instrument, {"format": "lss"})


def test_rendering_is_deterministic() -> None:
    instrument = INSTRUMENTS["bilingual-test"]
    connector = KoboToolboxConnector()
    assert connector.render(instrument, {"format": "json"}) == connector.render(
        instrument, {"format": "json"}
    )


def test_hostile_text_is_escaped_in_the_xform_and_never_a_formula(instrument: Instrument) -> None:
    hostile = _hostile(instrument)
    form = build_xlsform(hostile)
    assert any("${" in w for w in form.warnings)
    for xform in (
        convert(form.as_pyxform_dict(), warnings=[]).xform,
        convert(xlsx_bytes(form), warnings=[]).xform,
    ):
        assert "<script>" not in xform
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in xform
        assert "]]&gt;" in xform
        assert "<b>" not in xform
        root = ET.fromstring(xform)  # still well-formed XML
        texts = [v.text or "" for v in root.iter(f"{XF}value")]
        assert any("<script>alert(1)</script> ]]>" in t for t in texts)
    workbook = load_workbook(io.BytesIO(xlsx_bytes(form)))
    for sheet in workbook.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f"
