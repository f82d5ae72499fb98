"""The XLSForm's end-of-form summary, compiled by pyxform and run by a real XPath engine.

Every ``calculate`` that sums up a person's answers is taken from the XForm
pyxform makes (what KoboCollect, ODK Collect and Enketo run offline) and
evaluated with libxml2's XPath 1.0 (lxml) over an instance filled with each
synthetic respondent's answers; the text must equal the core's summary, which
``tests/test_summary.py`` shows agrees with the scorer.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from lxml import etree
from pyxform.xls2xform import convert

from coprod_connectors import LANGUAGE_FIELD, build_xlsform, language_column
from coprod_connectors.instruments import builtin_instrument
from coprod_connectors.summary import summary_for
from coprod_connectors.synthetic import demo_responses

XF = "http://www.w3.org/2002/xforms"
_SUM = re.compile(r"sum_([a-z_]+)_(\d+)$")


def _if(_: Any, test: Any, then: Any, otherwise: Any) -> Any:
    """ODK's if(): XPath 1.0 has none, so the test supplies it (lxml extension function)."""
    return then if test else otherwise


@pytest.fixture(scope="module", autouse=True)
def _odk_functions() -> Any:
    ns = etree.FunctionNamespace(None)
    ns["if"] = _if
    yield
    del ns["if"]


def _compiled(instrument_id: str) -> tuple[etree._Element, dict[tuple[str, int], str]]:
    """The XForm's primary instance, and each summary calculate by (language, line)."""
    form = build_xlsform(builtin_instrument(instrument_id))
    xform = convert(form.as_pyxform_dict(), warnings=[]).xform
    root = etree.fromstring(xform.encode("utf-8"))
    model = root.find(f".//{{{XF}}}model")
    assert model is not None
    instance = model.find(f"{{{XF}}}instance")
    assert instance is not None
    data = instance[0]
    calculates: dict[tuple[str, int], str] = {}
    for bind in model.iter(f"{{{XF}}}bind"):
        found = _SUM.search(bind.get("nodeset", ""))
        if found and bind.get("calculate"):
            calculates[(found[1], int(found[2]))] = bind.get("calculate", "")
    return data, calculates


def _plain(element: etree._Element) -> etree._Element:
    """A copy without namespaces: XForms paths name instance nodes without a prefix."""
    copy = etree.Element(etree.QName(element).localname)
    for child in element:
        copy.append(_plain(child))
    return copy


def _fill(data: etree._Element, answers: dict[str, Any]) -> etree._ElementTree:
    filled = _plain(data)
    for element in filled.iter():
        value = answers.get(str(element.tag))
        element.text = None if value is None or isinstance(value, list) else str(value)
    return etree.ElementTree(filled)


@pytest.mark.parametrize("instrument_id", ["self-reflection", "checklist", "ladder-check"])
def test_the_forms_summary_equals_the_cores_for_every_synthetic_respondent(
    instrument_id: str,
) -> None:
    instrument = builtin_instrument(instrument_id)
    data, calculates = _compiled(instrument_id)
    languages = {lang for lang, _ in calculates}
    assert languages == {"en", "cy"}
    responses = [r for r in demo_responses() if r.instrument == instrument_id]
    assert responses
    for response in responses:
        filled = _fill(data, response.answers)
        evaluate = etree.XPathDocumentEvaluator(filled)
        for lang in sorted(languages):
            summary = summary_for(instrument, lang)
            assert summary is not None
            count = len(summary.lines)
            got = [str(evaluate(calculates[(lang, n)])) for n in range(1, count + 1)]
            assert [g for g in got if g] == summary.render(response.answers), (
                response.response_id,
                lang,
            )


def test_the_end_note_thanks_says_what_next_and_shows_every_line() -> None:
    instrument = builtin_instrument("self-reflection")
    form = build_xlsform(instrument)
    note = form.survey[-1]
    assert note["type"] == "note"
    for lang in instrument.languages:
        label = note[f"label::{language_column(lang)}"]
        assert instrument.end is not None
        assert instrument.end[lang].split("\n")[0] in label
        summary = summary_for(instrument, lang)
        assert summary is not None
        for n in range(1, len(summary.lines) + 1):
            assert f"${{sum_{lang}_{n}}}" in label


def test_the_form_records_the_language_on_screen() -> None:
    form = build_xlsform(builtin_instrument("checklist"))
    rows = {row["name"]: row for row in form.survey}
    calculation = rows[LANGUAGE_FIELD]["calculation"]
    assert "jr:choice-name('l', '${lang_pick}')" in calculation
    pick = rows["lang_pick"]
    assert pick["relevant"] == "false()"
    labels = [c for c in form.choices if c["list_name"] == "coprod_lang"]
    assert labels == [
        {
            "list_name": "coprod_lang",
            "name": "l",
            **{f"label::{language_column(lang)}": lang for lang in ("en", "cy")},
        }
    ]


def test_the_pull_reads_the_language_the_form_recorded() -> None:
    from coprod_kobotoolbox.submissions import language_of

    languages = ["en", "cy"]
    assert language_of({LANGUAGE_FIELD: "cy"}, languages) == "cy"
    assert language_of({LANGUAGE_FIELD: " en "}, languages) == "en"
    # not recorded (an older form), or not one of the instrument's languages
    assert language_of({}, languages) is None
    assert language_of({LANGUAGE_FIELD: "fr"}, languages) is None
    assert language_of({LANGUAGE_FIELD: ["cy"]}, languages) is None
