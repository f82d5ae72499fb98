"""Instrument relevance conditions as LimeSurvey Expression Manager expressions.

Every variable is read with ``.NAOK`` so that a condition on a question that is
itself hidden is simply false instead of making the whole expression fail.

- ``{question: role, in: [user]}`` -> ``(role.NAOK == "user")``
- a grid row ``d1`` of ``diversity`` -> ``diversity_d1.NAOK``
- a multiple choice ``contact`` -> ``(contact_email.NAOK == "Y" or ...)``
- ``{question: q}`` (answered) -> ``!is_empty(q.NAOK)``
- a repeat's inner question, from inside the same repeat row *n*: that row's
  question; from anywhere else: any row.
"""

from __future__ import annotations

from dataclasses import dataclass

from coprod_connectors import (
    AllOf,
    AllTrue,
    Answered,
    AnswerIn,
    AnyOf,
    AnyTrue,
    Condition,
    Equals,
    Instrument,
    IsAnswered,
    Join,
    Literal,
    Not,
    Question,
    QuestionKind,
    SummaryExpr,
    SummaryTest,
    Value,
    When,
)
from coprod_limesurvey.layout import row_code

TRUE = "1"


@dataclass(frozen=True)
class _Place:
    question: Question
    repeat: Question | None
    grid_row: str | None = None


def _places(instrument: Instrument) -> dict[str, _Place]:
    places: dict[str, _Place] = {}
    for _, repeat, question in instrument.iter_questions():
        places[question.code] = _Place(question, repeat)
        for row in question.rows or ():
            places[row.code] = _Place(question, repeat, grid_row=row.code)
    return places


def _wrapped(expr: str) -> bool:
    """True when the whole of ``expr`` is inside one pair of parentheses."""
    if not (expr.startswith("(") and expr.endswith(")")):
        return False
    depth = 0
    for i, char in enumerate(expr):
        depth += {"(": 1, ")": -1}.get(char, 0)
        if depth == 0 and i < len(expr) - 1:
            return False
    return True


def _either(parts: list[str]) -> str:
    return parts[0] if len(parts) == 1 else "(" + " or ".join(parts) + ")"


class Translator:
    """Translates conditions for one instrument (build once, use for every question)."""

    def __init__(self, instrument: Instrument) -> None:
        self.instrument = instrument
        self._places = _places(instrument)

    def __call__(
        self,
        condition: Condition | None,
        *,
        repeat: Question | None = None,
        row: int | None = None,
    ) -> str:
        """The expression for ``condition`` ("1" for none), seen from ``repeat`` row ``row``."""
        if condition is None:
            return TRUE
        return self._expr(condition, repeat, row)

    def _expr(self, condition: Condition, repeat: Question | None, row: int | None) -> str:
        if isinstance(condition, AllOf):
            return "(" + " and ".join(self._expr(c, repeat, row) for c in condition.all) + ")"
        if isinstance(condition, AnyOf):
            return "(" + " or ".join(self._expr(c, repeat, row) for c in condition.any) + ")"
        if isinstance(condition, Not):
            return "!" + self._group(self._expr(condition.not_, repeat, row))
        return _either(
            [self._leaf(condition, code) for code in self._codes(condition, repeat, row)]
        )

    @staticmethod
    def _group(expr: str) -> str:
        return expr if _wrapped(expr) else f"({expr})"

    def _codes(
        self, leaf: AnswerIn | Answered, repeat: Question | None, row: int | None
    ) -> list[str]:
        """The LimeSurvey codes of the question a leaf names (one per repeat row if need be)."""
        place = self._places[leaf.question]
        owner = place.repeat
        if owner is None:
            return [place.question.code]
        if repeat is not None and owner.code == repeat.code and row is not None:
            return [row_code(place.question.code, row)]
        return [row_code(place.question.code, n) for n in range(1, (owner.max_count or 1) + 1)]

    def _leaf(self, leaf: AnswerIn | Answered, ls_code: str) -> str:
        place = self._places[leaf.question]
        question = place.question
        if question.kind is QuestionKind.MATRIX:
            variables = [f"{ls_code}_{place.grid_row}"]
        elif question.kind is QuestionKind.MULTIPLE_CHOICE:
            variables = [f"{ls_code}_{c.code}" for c in self.instrument.choices_for(question)]
        else:
            variables = [ls_code]
        if isinstance(leaf, AnswerIn):
            if question.kind is QuestionKind.MULTIPLE_CHOICE:
                return _either([f'{ls_code}_{code}.NAOK == "Y"' for code in leaf.in_])
            return _either([f'{variables[0]}.NAOK == "{code}"' for code in leaf.in_])
        answered = _either([f"!is_empty({v}.NAOK)" for v in variables])
        return answered if leaf.answered else f"!{self._group(answered)}"


def started(instrument: Instrument, repeat: Question, row: int) -> str:
    """True once any question of ``repeat``'s row ``row`` (1-based) has an answer."""
    translate = Translator(instrument)
    parts = [
        translate(Answered(question=inner.code), repeat=repeat, row=row)
        for inner in repeat.questions or ()
        if inner.kind is not QuestionKind.NOTE
    ]
    return _either(parts) if parts else TRUE


def em_places(instrument: Instrument) -> dict[str, str]:
    """answer code -> Expression Manager variable, for questions outside repeats."""
    places: dict[str, str] = {}
    for _, repeat, question in instrument.iter_questions():
        if repeat is not None:
            continue
        places[question.code] = question.code
        for row in question.rows or ():
            places[row.code] = f"{question.code}_{row.code}"
    return places


def em_expression(expr: SummaryExpr | SummaryTest, places: dict[str, str]) -> str:
    """A summary expression (:mod:`coprod_connectors.summary`) in Expression Manager syntax.

    Literals never hold ``"`` or braces (the core swaps them), so they sit in
    double-quoted strings as they are.
    """
    if isinstance(expr, Literal):
        return f'"{expr.text}"'
    if isinstance(expr, Value):
        return f"{places[expr.code]}.NAOK"
    if isinstance(expr, Equals):
        return f'{places[expr.code]}.NAOK == "{expr.choice}"'
    if isinstance(expr, IsAnswered):
        return f"!is_empty({places[expr.code]}.NAOK)"
    if isinstance(expr, AllTrue):
        return "(" + " and ".join(em_expression(p, places) for p in expr.parts) + ")"
    if isinstance(expr, AnyTrue):
        return "(" + " or ".join(em_expression(p, places) for p in expr.parts) + ")"
    if isinstance(expr, When):
        test, then, otherwise = (
            em_expression(part, places) for part in (expr.test, expr.then, expr.otherwise)
        )
        return f"if({test}, {then}, {otherwise})"
    if isinstance(expr, Join):
        return "join(" + ", ".join(em_expression(p, places) for p in expr.parts) + ")"
    counts = ", ".join(f'if({places[c]}.NAOK == "{expr.choice}", 1, 0)' for c in expr.codes)
    return f"sum({counts})"


def both(*expressions: str) -> str:
    """The conjunction of expressions, leaving out the always-true ones."""
    parts = [e for e in expressions if e != TRUE]
    if not parts:
        return TRUE
    if len(parts) == 1:
        return parts[0]
    return " and ".join(Translator._group(p) for p in parts)


__all__ = ["TRUE", "Translator", "both", "em_expression", "em_places", "started"]
