"""The .lss renderer: well-formed XML LimeSurvey 6 imports, with the instrument's own codes."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Callable
from typing import Any

import pytest

from coprod_connectors.errors import InstrumentError
from coprod_connectors.instruments import BUILTIN_IDS, Instrument
from coprod_limesurvey import LimeSurveyConnector
from coprod_limesurvey.expressions import Translator
from coprod_limesurvey.layout import columns
from coprod_limesurvey.render import DB_VERSION, MARKER_PATTERN, heading, marker, render_lss

ALL = [*BUILTIN_IDS, "bilingual-test"]


def parse(text: str) -> ET.Element:
    return ET.fromstring(text.encode("utf-8"))


def rows(root: ET.Element, table: str) -> list[dict[str, str]]:
    return [
        {child.tag: child.text or "" for child in row} for row in root.findall(f"{table}/rows/row")
    ]


def questions_by_code(root: ET.Element) -> dict[str, dict[str, str]]:
    return {q["title"]: q for q in rows(root, "questions")}


@pytest.mark.parametrize("instrument_id", ALL)
def test_every_instrument_renders_well_formed_lss(
    instrument_by_id: Callable[[str], Instrument], instrument_id: str
) -> None:
    instrument = instrument_by_id(instrument_id)
    artefact = LimeSurveyConnector().render(instrument)
    assert artefact.filename == f"{instrument.id}-{instrument.version}.lss"
    assert artefact.media_type == "application/xml"
    root = parse(artefact.content.decode("utf-8"))
    assert root.findtext("LimeSurveyDocType") == "Survey"
    assert root.findtext("DBVersion") == str(DB_VERSION)
    assert [e.text for e in root.findall("languages/language")] == instrument.languages
    # every answer column maps back to an instrument code
    codes = set(questions_by_code(root))
    for column in columns(instrument):
        assert column.split("[")[0] in codes
    # ids are consistent: every l10n row points at a question, every question at a group
    qids = {q["qid"] for q in rows(root, "questions") + rows(root, "subquestions")}
    gids = {g["gid"] for g in rows(root, "groups")}
    assert {t["qid"] for t in rows(root, "question_l10ns")} == qids
    assert {q["gid"] for q in rows(root, "questions")} <= gids
    l10ns = rows(root, "question_l10ns")
    assert len(l10ns) == len(qids) * len(instrument.languages)
    # the marker that lets push find the survey again is in every language's description
    for settings in rows(root, "surveys_languagesettings"):
        assert MARKER_PATTERN.search(settings["surveyls_description"])


def test_question_types_and_codes(bilingual: Instrument) -> None:
    root = parse(render_lss(bilingual)[0])
    by_code = questions_by_code(root)
    assert {code: q["type"] for code, q in by_code.items()} == {
        "aboutIntro": "X",  # the section's title and description, a page of their own
        "answerLang": "*",  # hidden: the language the person finished in
        "role": "L",
        "name": "S",
        "age": "N",
        "lastVisit": "D",
        "story": "T",
        "thanks": "X",
        "contact": "M",
        "visits1": "X",
        "visitWhere1": "S",
        "visitWhen1": "D",
        "visits2": "X",
        "visitWhere2": "S",
        "visitWhen2": "D",
    }
    assert by_code["role"]["mandatory"] == "Y"
    subs = rows(root, "subquestions")
    assert [s["title"] for s in subs] == ["email", "phone", "post"]
    assert {s["parent_qid"] for s in subs} == {by_code["contact"]["qid"]}
    assert [a["code"] for a in rows(root, "answers")] == ["user", "staff", "nosay"]
    attributes = {
        (a["attribute"], a["value"])
        for a in rows(root, "question_attributes")
        if a["qid"] == by_code["age"]["qid"]
    }
    assert attributes == {
        ("min_num_value_n", "0"),
        ("max_num_value_n", "120"),
        ("num_value_int_only", "1"),
    }


def test_welsh_text_is_present(bilingual: Instrument) -> None:
    root = parse(render_lss(bilingual)[0])
    welsh = [t for t in rows(root, "question_l10ns") if t["language"] == "cy"]
    assert any("Beth yw eich enw cyntaf?" in t["question"] for t in welsh)
    assert any("Gallwch adael hwn yn wag." in t["help"] for t in welsh)
    answers = [t["answer"] for t in rows(root, "answer_l10ns") if t["language"] == "cy"]
    assert any("Byddai&#39;n well gen i beidio â dweud" in a for a in answers)
    groups = [g["group_name"] for g in rows(root, "group_l10ns") if g["language"] == "cy"]
    assert groups == ["Amdanoch chi"]
    titles = {
        s["surveyls_language"]: s["surveyls_title"] for s in rows(root, "surveys_languagesettings")
    }
    assert titles == {"en": "Bilingual test form", "cy": "Ffurflen brawf ddwyieithog"}
    headers = [t["question"] for t in welsh if "(1 o 2)" in t["question"]]
    # a question per page: each question (and row heading) is its page's heading
    assert headers == [heading("Lleoedd rydych chi wedi ymweld â nhw (1 o 2)")]


HOSTILE = "<script>alert('x')</script> & {TOKEN} ]]> \"q\""


def _hostile_instrument() -> Instrument:
    text = {"en": HOSTILE}
    return Instrument.model_validate(
        {
            "id": "hostile",
            "version": "1",
            "languages": ["en"],
            "title": text,
            "description": text,
            "sections": [
                {
                    "code": "s",
                    "title": text,
                    "description": text,
                    "questions": [
                        {
                            "code": "pick",
                            "kind": "single_choice",
                            "label": text,
                            "hint": text,
                            "choices": [{"code": "a", "label": text, "description": text}],
                        },
                        {"code": "note", "kind": "note", "label": text},
                    ],
                }
            ],
        }
    )


def test_hostile_text_is_escaped_for_xml_html_and_expressions() -> None:
    text, _ = render_lss(_hostile_instrument())
    root = parse(text)  # well-formed despite ]]>, <, &
    assert "<script>" not in text
    l10n = rows(root, "question_l10ns")
    shown = l10n[0]["question"]
    # what LimeSurvey receives is HTML source with the markup escaped ...
    assert "&lt;script&gt;" in shown
    assert "<script>" not in shown
    # ... and braces hidden from the Expression Manager
    assert "{TOKEN}" not in shown
    assert "&#123;TOKEN&#125;" in shown
    for table, field in [
        ("answer_l10ns", "answer"),
        ("group_l10ns", "group_name"),
        ("surveys_languagesettings", "surveyls_title"),
        ("surveys_languagesettings", "surveyls_description"),
    ]:
        for row in rows(root, table):
            assert "<script>" not in row[field]
    # titles and group names are shown as HTML too (checked on LimeSurvey 6.14)
    title = rows(root, "surveys_languagesettings")[0]["surveyls_title"]
    assert title.startswith("&lt;script&gt;")
    assert "&#123;TOKEN&#125;" in title


def test_relevance_becomes_expression_manager_syntax(bilingual: Instrument) -> None:
    root = parse(render_lss(bilingual)[0])
    by_code = questions_by_code(root)
    assert by_code["story"]["relevance"] == 'role.NAOK == "user"'
    assert by_code["role"]["relevance"] == "1"
    started = "(!is_empty(visitWhere1.NAOK) or !is_empty(visitWhen1.NAOK))"
    assert by_code["visits2"]["relevance"] == started
    assert by_code["visitWhere2"]["relevance"] == started
    assert by_code["visitWhere1"]["relevance"] == "1"


def _condition_instrument(condition: dict[str, Any]) -> Instrument:
    return Instrument.model_validate(
        {
            "id": "cond",
            "version": "1",
            "languages": ["en"],
            "title": {"en": "t"},
            "sections": [
                {
                    "code": "s",
                    "title": {"en": "s"},
                    "questions": [
                        {
                            "code": "stage",
                            "kind": "single_choice",
                            "label": {"en": "x"},
                            "choices": [
                                {"code": "1", "label": {"en": "1"}},
                                {"code": "2", "label": {"en": "2"}},
                                {"code": "3", "label": {"en": "3"}},
                            ],
                        },
                        {
                            "code": "grid",
                            "kind": "matrix",
                            "label": {"en": "x"},
                            "rows": [{"code": "d1", "label": {"en": "d1"}}],
                            "choices": [{"code": "agree", "label": {"en": "a"}}],
                        },
                        {
                            "code": "contact",
                            "kind": "multiple_choice",
                            "label": {"en": "x"},
                            "choices": [
                                {"code": "opt", "label": {"en": "o"}},
                                {"code": "mail", "label": {"en": "m"}},
                            ],
                        },
                        {"code": "why", "kind": "long_text", "label": {"en": "x"}},
                        {
                            "code": "target",
                            "kind": "short_text",
                            "label": {"en": "x"},
                            "relevant": condition,
                        },
                    ],
                }
            ],
        }
    )


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        ({"question": "stage", "in": ["1", "2"]}, '(stage.NAOK == "1" or stage.NAOK == "2")'),
        ({"question": "d1", "in": ["agree"]}, 'grid_d1.NAOK == "agree"'),
        ({"question": "contact", "in": ["opt"]}, 'contact_opt.NAOK == "Y"'),
        ({"question": "why"}, "!is_empty(why.NAOK)"),
        ({"question": "why", "answered": False}, "!(!is_empty(why.NAOK))"),
        (
            {"question": "contact"},
            "(!is_empty(contact_opt.NAOK) or !is_empty(contact_mail.NAOK))",
        ),
        (
            {"all": [{"question": "stage", "in": ["3"]}, {"not": {"question": "why"}}]},
            '(stage.NAOK == "3" and !(!is_empty(why.NAOK)))',
        ),
        (
            {"any": [{"question": "stage", "in": ["3"]}, {"question": "d1", "in": ["agree"]}]},
            '(stage.NAOK == "3" or grid_d1.NAOK == "agree")',
        ),
    ],
)
def test_conditions(condition: dict[str, Any], expected: str) -> None:
    instrument = _condition_instrument(condition)
    target = instrument.question("target")
    assert Translator(instrument)(target.relevant) == expected
    assert questions_by_code(parse(render_lss(instrument)[0]))["target"]["relevance"] == expected


def test_audio_and_photo_questions_are_file_uploads_of_what_phones_record(
    instrument_by_id: Callable[[str], Instrument],
) -> None:
    instrument = instrument_by_id("self-reflection")
    artefact = LimeSurveyConnector().render(instrument)
    root = parse(artefact.content.decode("utf-8"))
    by_code = questions_by_code(root)
    assert by_code["assetsAudio"]["type"] == "|"
    assert by_code["assetsPhoto"]["type"] == "|"
    assert by_code["assetsPhoto"]["question_theme_name"] == "file_upload"
    help_text = next(
        t["help"] for t in rows(root, "question_l10ns") if t["qid"] == by_code["assetsAudio"]["qid"]
    )
    assert "record your voice" in help_text
    attributes = {(a["qid"], a["attribute"]): a["value"] for a in rows(root, "question_attributes")}
    audio_types = attributes[(by_code["assetsAudio"]["qid"], "allowed_filetypes")]
    assert {"m4a", "3gp", "amr", "ogg", "opus", "webm"} <= set(audio_types.split(", "))
    photo_types = attributes[(by_code["assetsPhoto"]["qid"], "allowed_filetypes")]
    assert {"jpg", "heic", "png"} <= set(photo_types.split(", "))
    assert attributes[(by_code["assetsPhoto"]["qid"], "max_num_of_files")] == "1"
    assert artefact.warnings == ()
    # repeat rows: actions with max_count 3 -> actWhat1..actWhat3
    assert {"actions1", "actWhat1", "actWhat2", "actWhat3", "actPrin3"} <= set(by_code)


def test_render_is_deterministic(instrument_by_id: Callable[[str], Instrument]) -> None:
    instrument = instrument_by_id("checklist")
    assert render_lss(instrument)[0] == render_lss(instrument)[0]


def test_marker_survives_odd_rounds_and_subjects(bilingual: Instrument) -> None:
    note = marker(bilingual, round="2026--H2", subject="Ward 5 -- <east>")
    assert "--" not in note
    text, _ = render_lss(bilingual, {"round": "2026--H2", "subject": "Ward 5 -- <east>"})
    description = rows(parse(text), "surveys_languagesettings")[0]["surveyls_description"]
    found = MARKER_PATTERN.search(description)
    assert found is not None
    assert found.group(1) == note


def test_generated_codes_must_fit_limesurvey() -> None:
    long_inner = "a" * 20
    instrument = Instrument.model_validate(
        {
            "id": "long",
            "version": "1",
            "languages": ["en"],
            "title": {"en": "t"},
            "sections": [
                {
                    "code": "s",
                    "title": {"en": "s"},
                    "questions": [
                        {"code": "item2", "kind": "short_text", "label": {"en": "x"}},
                        {
                            "code": "rep",
                            "kind": "repeat",
                            "label": {"en": "x"},
                            "max_count": 2,
                            "questions": [
                                {"code": long_inner, "kind": "short_text", "label": {"en": "x"}},
                                {"code": "item", "kind": "short_text", "label": {"en": "x"}},
                            ],
                        },
                    ],
                }
            ],
        }
    )
    with pytest.raises(InstrumentError) as caught:
        render_lss(instrument)
    message = str(caught.value)
    assert "longer than 20" in message
    assert "'item2'" in message


def test_an_organisations_own_files_are_left_out_with_a_warning(tmp_path: Any) -> None:
    from coprod_connectors.instruments import load_instrument

    (tmp_path / "me.png").write_bytes(b"\x89PNG fake")
    (tmp_path / "hello.m4a").write_bytes(b"fake")
    (tmp_path / "own.yaml").write_text(
        """
id: own
version: "1"
languages: [en]
title: {en: Own}
sections:
  - code: s
    title: {en: S}
    questions:
      - code: q
        kind: single_choice
        label: {en: Q}
        image: me.png
        audio: hello.m4a
        choices:
          - {code: a, label: {en: A}, image: agree}
""",
        encoding="utf-8",
    )
    text, the_plan = render_lss(load_instrument(tmp_path / "own.yaml"))
    assert any("me.png was left out" in w for w in the_plan.warnings)
    assert any("hello.m4a was left out" in w for w in the_plan.warnings)
    assert "data:" not in text  # LimeSurvey deletes data: URIs on import
    assert text.count("&lt;svg") == 1  # the built-in pictogram, inline
