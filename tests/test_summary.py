"""The end-of-form summary says what the scorer says, for every synthetic respondent.

The summary rules (coprod_connectors.summary) are what both platforms' forms
run: the connectors' tests show that the generated XPath and Expression Manager
give the same lines as :meth:`Summary.render`; this test shows that those lines
agree with the scorer's own view of each person (scoring one response at a time,
with the privacy threshold at 1).
"""

from __future__ import annotations

from typing import Any

import pytest

from coprod_connectors.instruments import builtin_instrument
from coprod_connectors.instruments.model import Instrument, QuestionKind
from coprod_connectors.responses import Response
from coprod_connectors.scoring import score
from coprod_connectors.scoring.models import (
    ChecklistResult,
    LadderCheckResult,
    SelfReflectionResult,
)
from coprod_connectors.summary import MESSAGES, literal, summary_for
from coprod_connectors.synthetic import demo_responses


def _label(instrument: Instrument, code: str, choice: str, language: str) -> str:
    choices = instrument.choices_for(instrument.question(code))
    return next(c.label[language] for c in choices if c.code == choice)


def _safe(text: str) -> str:
    return literal(text).text


def expected_lines(instrument: Instrument, result: Any, response: Response, lang: str) -> list[str]:
    """What the scorer says about one person, in the summary's words."""
    say = MESSAGES[lang]
    lines: list[str] = []
    if isinstance(result, SelfReflectionResult):
        titles = {s.code: s.title[lang] for s in instrument.sections}
        for p, principle in result.principles.items():
            name = titles[p]
            if principle.stage is None:
                lines.append(_safe(say["no_stage"].format(name=name)))
                continue
            label = _label(instrument, f"{p}Stage", str(principle.stage), lang)
            line = f"{say['stage'].format(name=name)}{principle.stage}{_safe(f' ({label}).')}"
            if principle.rag_contradictions:
                line += say["green1"] if principle.stage == 1 else say["red4"]
            lines.append(_safe(line))
    elif isinstance(result, ChecklistResult):
        for section in instrument.sections:
            grids = [q for q in section.questions if q.kind is QuestionKind.MATRIX]
            for grid in grids:
                name = (section.title if len(grids) == 1 else grid.label)[lang]
                rows = [r.code for r in grid.rows or ()]
                agreed = sum(result.statements[c].agreed for c in rows)
                partly = sum(result.statements[c].distribution.get("part", 0) for c in rows)
                lines.append(
                    _safe(say["agreed"].format(name=name))
                    + str(agreed)
                    + _safe(say["of"].format(count=len(rows)))
                    + f"{partly}."
                )
    else:
        assert isinstance(result, LadderCheckResult)
        for phase, scored in result.phases.items():
            name = say[phase]
            if scored.level is None:
                lines.append(_safe(say["no_phase"].format(name=name)))
            else:
                label = _label(instrument, f"{phase}Inv", str(scored.level), lang)
                lines.append(_safe(f"{say['phase'].format(name=name)}{label}."))
        if result.rung_index is None:
            lines.append(say["no_lowest"])
        else:
            lines.append(f"{say['lowest']}{result.rung_index}{say['lowest_end']}")
    return lines


@pytest.mark.parametrize("language", ["en", "cy"])
def test_the_summary_agrees_with_the_scorer_for_every_synthetic_respondent(language: str) -> None:
    responses = demo_responses()
    assert len(responses) >= 200
    checked = 0
    for response in responses:
        instrument = builtin_instrument(response.instrument)
        summary = summary_for(instrument, language)
        assert summary is not None
        (result,) = score([response], k=1).results
        assert summary.render(response.answers) == expected_lines(
            instrument, result, response, language
        ), response.response_id
        checked += 1
    assert checked == len(responses)


def test_the_synthetic_data_covers_every_branch_of_the_summary() -> None:
    """Contradicting colours, unanswered stages and unanswered phases all occur."""
    responses = demo_responses()
    texts = "\n".join(
        line
        for response in responses
        if (summary := summary_for(builtin_instrument(response.instrument), "en")) is not None
        for line in summary.render(response.answers)
    )
    for key in ("green1", "no_stage", "no_phase", "no_lowest", "lowest"):
        assert MESSAGES["en"][key].split(".")[0].format(name="").strip(": ") in texts, key


def test_an_instrument_without_summary_rules_has_none() -> None:
    small = builtin_instrument("checklist").model_copy(update={"id": "not-a-builtin"})
    assert summary_for(small, "en") is None


def test_literals_are_safe_in_xpath_expression_manager_and_html() -> None:
    text = literal('say "hi" {TOKEN} <b> & more').text
    for bad in ('"', "{", "}", "<", ">", "&"):
        assert bad not in text
