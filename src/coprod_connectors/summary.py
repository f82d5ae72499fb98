"""The end-of-form summary: a person's own answers, summed up in plain words, on the form itself.

The rules are written once here, as small expression trees over the
instrument's answer codes. Each connector turns them into its platform's form
logic (e.g. XLSForm ``calculate`` XPath, or a platform's own expression
language), so the summary works offline, inside the form; and
:func:`evaluate` runs the very same trees in Python, which is how the tests
show that the forms and the scorer say the same thing for every respondent.

The expressions use only what every platform has: an answer's text, equality
with a choice code, answered or not, and/or, if-then-else, joining text and
counting. Texts are the instrument's own words where it has them (section
titles, choice labels) and the messages below otherwise; a literal never holds
``"``, braces, ``<``, ``>`` or ``&`` (they are swapped for safe look-alikes), so it
is safe inside a double-quoted XPath or Expression Manager string and in HTML.

Rules (INSTRUMENTS.md), per person:

- self-reflection: the stage chosen for each principle, and a gentle note where
  the RAG rating contradicts it (``green`` with stage 1, ``red`` with stage 4:
  the scorer's ``rag_flags``);
- checklist: for each group of statements, how many were agreed and partly agreed;
- ladder-check: the level chosen for each phase and, when all four are answered,
  the lowest of them (the step the project can reach at most).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from coprod_connectors.instruments.model import Instrument, Question, QuestionKind

# --- the expression language --------------------------------------------------------------


@dataclass(frozen=True)
class Literal:
    """A fixed text."""

    text: str


@dataclass(frozen=True)
class Value:
    """The answer to ``code`` as text (empty when unanswered)."""

    code: str


@dataclass(frozen=True)
class Equals:
    """True when the answer to ``code`` is ``choice``."""

    code: str
    choice: str


@dataclass(frozen=True)
class IsAnswered:
    """True when ``code`` has an answer."""

    code: str


@dataclass(frozen=True)
class AllTrue:
    parts: tuple[Bool, ...]


@dataclass(frozen=True)
class AnyTrue:
    parts: tuple[Bool, ...]


@dataclass(frozen=True)
class When:
    """``then`` when ``test`` holds, otherwise ``otherwise``."""

    test: Bool
    then: Expr
    otherwise: Expr


@dataclass(frozen=True)
class Join:
    """Texts joined together."""

    parts: tuple[Expr, ...]


@dataclass(frozen=True)
class CountEquals:
    """How many of ``codes`` are answered ``choice`` (a whole number, written as text)."""

    codes: tuple[str, ...]
    choice: str


Bool = Equals | IsAnswered | AllTrue | AnyTrue
Expr = Literal | Value | When | Join | CountEquals
#: The public names of the two kinds of expression (``Bool`` and ``Expr`` here).
SummaryTest = Bool
SummaryExpr = Expr


def literal(text: str) -> Literal:
    """A literal made safe for XPath and Expression Manager strings and HTML."""
    # straight quotes only: pyxform turns curly ones into straight ones in expressions
    for bad, good in (('"', "'"), ("{", "("), ("}", ")"), ("<", "\u2039"), (">", "\u203a")):
        text = text.replace(bad, good)
    return Literal(text.replace("&", "and"))


def pick(code: str, texts: Mapping[str, str], otherwise: str = "") -> Expr:
    """The text for whichever choice ``code`` was answered (``otherwise`` if none matches)."""
    expr: Expr = literal(otherwise)
    for choice, text in reversed(list(texts.items())):
        expr = When(Equals(code, choice), literal(text), expr)
    return expr


def codes_in(expr: Expr | Bool) -> set[str]:
    """Every answer code an expression reads."""
    if isinstance(expr, (Value, Equals, IsAnswered)):
        return {expr.code}
    if isinstance(expr, CountEquals):
        return set(expr.codes)
    if isinstance(expr, (AllTrue, AnyTrue, Join)):
        return set().union(*(codes_in(p) for p in expr.parts))
    if isinstance(expr, When):
        return codes_in(expr.test) | codes_in(expr.then) | codes_in(expr.otherwise)
    return set()


# --- evaluating in Python --------------------------------------------------------------------


def _answer(answers: Mapping[str, Any], code: str) -> str:
    value = answers.get(code)
    if value is None or isinstance(value, (list, dict)):
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def truth(test: Bool, answers: Mapping[str, Any]) -> bool:
    if isinstance(test, Equals):
        return _answer(answers, test.code) == test.choice
    if isinstance(test, IsAnswered):
        return _answer(answers, test.code) != ""
    if isinstance(test, AllTrue):
        return all(truth(p, answers) for p in test.parts)
    return any(truth(p, answers) for p in test.parts)


def evaluate(expr: Expr, answers: Mapping[str, Any]) -> str:
    """The text ``expr`` gives for one person's answers (keyed by answer codes)."""
    if isinstance(expr, Literal):
        return expr.text
    if isinstance(expr, Value):
        return _answer(answers, expr.code)
    if isinstance(expr, When):
        return evaluate(expr.then if truth(expr.test, answers) else expr.otherwise, answers)
    if isinstance(expr, Join):
        return "".join(evaluate(p, answers) for p in expr.parts)
    return str(sum(_answer(answers, c) == expr.choice for c in expr.codes))


# --- the summaries -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Summary:
    """What the end of the form says, in one language: a heading and one line per item."""

    language: str
    heading: str
    lines: tuple[Expr, ...]

    def render(self, answers: Mapping[str, Any]) -> list[str]:
        """The lines for one person (empty lines left out)."""
        return [text for line in self.lines if (text := evaluate(line, answers))]


MESSAGES: dict[str, dict[str, str]] = {
    "en": {
        "heading": "Your answers in short",
        "stage": "{name}: you chose stage ",
        "no_stage": "{name}: you did not choose a stage.",
        "green1": " You rated it green but chose stage 1. It may be worth talking this one "
        "through with others.",
        "red4": " You rated it red but chose stage 4. It may be worth talking this one "
        "through with others.",
        "agreed": "{name}: you agreed with ",
        "of": " of {count} sentences, and partly agreed with ",
        "phase": "{name}: ",
        "no_phase": "{name}: not answered.",
        "lowest": "The lowest stage was step ",
        "lowest_end": " of 4, so the project can be no higher than that on the ladder.",
        "no_lowest": "Not every stage was answered, so there is no overall step.",
        "idea": "The idea",
        "design": "Planning and design",
        "deliv": "Carrying it out",
        "review": "Checking how it went",
    },
    "cy": {
        "heading": "Eich atebion yn fyr",
        "stage": "{name}: fe ddewisoch chi gam ",
        "no_stage": "{name}: wnaethoch chi ddim dewis cam.",
        "green1": " Fe roesoch chi sgôr gwyrdd, ond dewis cam 1. Efallai y byddai'n werth "
        "siarad am hyn gydag eraill.",
        "red4": " Fe roesoch chi sgôr coch, ond dewis cam 4. Efallai y byddai'n werth "
        "siarad am hyn gydag eraill.",
        "agreed": "{name}: fe gytunoch chi gyda ",
        "of": " o {count} brawddeg, a chytuno rhywfaint gyda ",
        "phase": "{name}: ",
        "no_phase": "{name}: dim ateb.",
        "lowest": "Y cam isaf oedd gris ",
        "lowest_end": " o 4, felly all y prosiect ddim bod yn uwch na hynny ar yr ysgol.",
        "no_lowest": "Chafodd pob cam ddim ateb, felly does dim gris cyffredinol.",
        "idea": "Y syniad",
        "design": "Cynllunio a dylunio",
        "deliv": "Gwneud y gwaith",
        "review": "Gwirio sut aeth pethau",
    },
}

PRINCIPLES = ("assets", "work", "recip", "network")
PHASES = ("idea", "design", "deliv", "review")


def _messages(language: str) -> dict[str, str]:
    return MESSAGES.get(language.split("-", maxsplit=1)[0], MESSAGES["en"])


def _choice_labels(instrument: Instrument, question: Question, language: str) -> dict[str, str]:
    return {c.code: c.label[language] for c in instrument.choices_for(question)}


def _self_reflection(instrument: Instrument, language: str) -> list[Expr]:
    say = _messages(language)
    lines: list[Expr] = []
    titles = {s.code: s.title[language] for s in instrument.sections}
    for p in PRINCIPLES:
        stage, rag = f"{p}Stage", f"{p}Rag"
        name = titles.get(p, p)
        labels = _choice_labels(instrument, instrument.question(stage), language)
        chosen = Join(
            (
                literal(say["stage"].format(name=name)),
                Value(stage),
                pick(stage, {code: f" ({label})." for code, label in labels.items()}),
                When(
                    AllTrue((Equals(rag, "green"), Equals(stage, "1"))),
                    literal(say["green1"]),
                    When(
                        AllTrue((Equals(rag, "red"), Equals(stage, "4"))),
                        literal(say["red4"]),
                        literal(""),
                    ),
                ),
            )
        )
        answered = AnyTrue(tuple(Equals(stage, code) for code in labels))
        lines.append(When(answered, chosen, literal(say["no_stage"].format(name=name))))
    return lines


def _checklist(instrument: Instrument, language: str) -> list[Expr]:
    say = _messages(language)
    lines: list[Expr] = []
    for section in instrument.sections:
        grids = [q for q in section.questions if q.kind is QuestionKind.MATRIX]
        for grid in grids:
            name = (section.title if len(grids) == 1 else grid.label)[language]
            codes = tuple(r.code for r in grid.rows or ())
            lines.append(
                Join(
                    (
                        literal(say["agreed"].format(name=name)),
                        CountEquals(codes, "agree"),
                        literal(say["of"].format(count=len(codes))),
                        CountEquals(codes, "part"),
                        literal("."),
                    )
                )
            )
    return lines


def _ladder_check(instrument: Instrument, language: str) -> list[Expr]:
    say = _messages(language)
    lines: list[Expr] = []
    levels: dict[str, str] = {}
    for phase in PHASES:
        code = f"{phase}Inv"
        levels = _choice_labels(instrument, instrument.question(code), language)
        name = say[phase]
        lines.append(
            When(
                AnyTrue(tuple(Equals(code, level) for level in levels)),
                Join(
                    (
                        literal(say["phase"].format(name=name)),
                        pick(code, {level: f"{label}." for level, label in levels.items()}),
                    )
                ),
                literal(say["no_phase"].format(name=name)),
            )
        )
    codes = [f"{phase}Inv" for phase in PHASES]
    # the lowest level: the first level, counting up, that any phase was given
    lowest: Expr = literal("")
    for level in reversed(list(levels)):
        lowest = When(AnyTrue(tuple(Equals(c, level) for c in codes)), literal(level), lowest)
    all_answered = AllTrue(
        tuple(AnyTrue(tuple(Equals(c, level) for level in levels)) for c in codes)
    )
    lines.append(
        When(
            all_answered,
            Join((literal(say["lowest"]), lowest, literal(say["lowest_end"]))),
            literal(say["no_lowest"]),
        )
    )
    return lines


_BUILDERS = {
    "self-reflection": _self_reflection,
    "checklist": _checklist,
    "ladder-check": _ladder_check,
}


def summary_for(instrument: Instrument, language: str) -> Summary | None:
    """The end-of-form summary of a built-in instrument in ``language`` (None for others)."""
    build = _BUILDERS.get(instrument.id)
    if build is None:
        return None
    try:
        lines = build(instrument, language)
    except KeyError:
        # an instrument that only borrows a built-in's id, without its questions
        return None
    return Summary(language, _messages(language)["heading"], tuple(lines))


def summaries(instrument: Instrument) -> dict[str, Summary]:
    """The summary in each of the instrument's languages (empty when it has none)."""
    found = {lang: summary_for(instrument, lang) for lang in instrument.languages}
    return {lang: s for lang, s in found.items() if s is not None}


__all__ = [
    "MESSAGES",
    "AllTrue",
    "AnyTrue",
    "Bool",
    "CountEquals",
    "Equals",
    "Expr",
    "IsAnswered",
    "Join",
    "Literal",
    "Summary",
    "SummaryExpr",
    "SummaryTest",
    "Value",
    "When",
    "codes_in",
    "evaluate",
    "literal",
    "pick",
    "summaries",
    "summary_for",
]
