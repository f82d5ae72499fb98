"""The easy-read presentation of an instrument: pictures first, one idea per screen, big choices.

Chosen at render time (``coprod build --easy-read``; the render option
``easy_read``), never stored: answers are keyed by the same codes either way,
so the scorer cannot tell which presentation a person used.

What changes here (each connector does the rest, e.g. one question per page
with big answer buttons and large pictures, or one question per screen):

- every grid becomes one single-choice question per statement, each keyed by
  the statement's own code, as grid answers already are; the grid's question and
  hint go before its first statement, as a note;
- a statement without a picture of its own shows its grid's picture.
"""

from __future__ import annotations

from coprod_connectors.instruments.model import Instrument, Question, QuestionKind, Section


def _flatten(question: Question) -> list[Question]:
    if question.kind is not QuestionKind.MATRIX:
        return [question]
    intro = Question(
        code=question.code,
        kind=QuestionKind.NOTE,
        label=question.label,
        hint=question.hint,
        image=question.image,
        audio=question.audio,
        relevant=question.relevant,
    )
    rows = [
        Question(
            code=row.code,
            kind=QuestionKind.SINGLE_CHOICE,
            label=row.label,
            hint=row.hint,
            image=row.image or question.image,
            audio=row.audio,
            required=question.required,
            relevant=question.relevant,
            choices=question.choices,
            choice_list=question.choice_list,
        )
        for row in question.rows or ()
    ]
    return [intro, *rows]


def easy_read(instrument: Instrument) -> Instrument:
    """``instrument`` as easy read (the same codes; grids as one question per statement)."""
    sections = [
        section.model_copy(
            update={"questions": [q for question in section.questions for q in _flatten(question)]}
        )
        for section in instrument.sections
    ]
    data = instrument.model_dump(by_alias=True, exclude_none=True)
    data["sections"] = [
        Section.model_validate(s.model_dump(by_alias=True, exclude_none=True)) for s in sections
    ]
    # validated again as a whole: codes stay unique, relevance still points backwards
    return Instrument.model_validate(data).located(instrument.folder)


__all__ = ["easy_read"]
