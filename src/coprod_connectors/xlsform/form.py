"""An instrument as XLSForm rows: the one source of every XLSForm connector's renderings
(an ``.xlsx`` workbook, or a platform's own JSON made from the same rows).

Every ``name`` is an instrument code, so answers come back keyed by codes:

- a section is a group (``begin_group``/``end_group`` named by the section code),
  so a platform reports its answers under ``section/code`` (or nested in a
  ``section`` object);
- a grid (``matrix``) is a ``field-list`` group named by the grid's code, holding
  one ``select_one`` per row, named by the row code (``section/grid/row``);
- a repeat is ``begin_repeat``/``end_repeat`` with no fixed count: every
  question in it carries the constraint ``position(..) <= max_count``;
- texts are ``label::English (en)``-style columns, one per language;
- relevance becomes XLSForm ``relevant`` expressions.

Rows this module adds that are not questions (section descriptions, a grid's
or repeat's hint, the instrument description) are ``note`` rows whose names
contain ``_``; instrument codes never do, so they can never clash with a code
and a reader can tell them apart (:func:`is_generated_name`).

Nothing here needs a connection to fill in the form: no external choices, no
``pulldata``, no online-only widgets.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from coprod_connectors.instruments.model import (
    AllOf,
    Answered,
    AnswerIn,
    AnyOf,
    Choice,
    Condition,
    Instrument,
    Not,
    Question,
    QuestionKind,
    Text,
    language_name,
)

Row = dict[str, str]

#: The XLSForm type of each simple question kind.
SIMPLE_TYPES: dict[QuestionKind, str] = {
    QuestionKind.SHORT_TEXT: "text",
    QuestionKind.LONG_TEXT: "text",
    QuestionKind.INTEGER: "integer",
    QuestionKind.DATE: "date",
    QuestionKind.NOTE: "note",
    QuestionKind.AUDIO: "audio",
    QuestionKind.IMAGE: "image",
}

#: The longest side of a photo after the phone shrinks it.
IMAGE_MAX_PIXELS = 1600

#: Columns written first, in this order; any others follow in first-seen order.
_SURVEY_ORDER = (
    "type",
    "name",
    "label",
    "hint",
    "required",
    "relevant",
    "constraint",
    "appearance",
    "parameters",
)
_XML_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9._-]*")
_CODE = re.compile(r"[A-Za-z][A-Za-z0-9]*")


def language_column(code: str) -> str:
    """The XLSForm language suffix for a language code: ``English (en)``."""
    return f"{language_name(code)} ({code})"


def is_generated_name(name: str) -> bool:
    """True for a name this module made up (a note), never for an instrument code."""
    return not _CODE.fullmatch(name)


@dataclass
class XLSForm:
    """The three sheets of an XLSForm, as rows of text cells."""

    survey: list[Row]
    choices: list[Row]
    settings: Row
    languages: list[str]
    warnings: list[str] = field(default_factory=list)

    @property
    def translations(self) -> list[str]:
        """The language column suffixes, default language first: ``["English (en)", ...]``."""
        return [language_column(lang) for lang in self.languages]

    def columns(self, sheet: str) -> list[str]:
        """The columns of ``sheet`` in a stable, readable order."""
        rows = self.survey if sheet == "survey" else self.choices
        seen: list[str] = []
        for row in rows:
            for key in row:
                if key not in seen:
                    seen.append(key)
        if sheet == "survey":
            return sorted(seen, key=lambda c: (_column_rank(c), seen.index(c)))
        return seen

    def as_pyxform_dict(self) -> dict[str, list[dict[str, str]]]:
        """The workbook as pyxform's ``convert`` takes it (sheet name -> rows)."""
        return {
            "survey": [dict(r) for r in self.survey],
            "choices": [dict(r) for r in self.choices],
            "settings": [dict(self.settings)],
        }


def _column_rank(column: str) -> int:
    base = column.split("::", 1)[0]
    try:
        return _SURVEY_ORDER.index(base)
    except ValueError:
        return len(_SURVEY_ORDER)


class _Builder:
    def __init__(self, instrument: Instrument) -> None:
        self.instrument = instrument
        self.languages = list(instrument.languages)
        self.survey: list[Row] = []
        self.choices: list[Row] = []
        self.warnings: list[str] = []
        self.list_names: dict[int, str] = {}
        question_codes = {
            code.lower() for _, _, q in instrument.iter_questions() for code in (q.code,)
        }
        # Shared lists keep their name unless it could be mistaken for a question's own list.
        self.shared: dict[str, str] = {}
        used: set[str] = set(question_codes)
        for n, name in enumerate(instrument.choice_lists):
            list_name = name if _XML_NAME.fullmatch(name) and name.lower() not in used else ""
            if not list_name:
                list_name = f"list_{n + 1}"
            used.add(list_name.lower())
            self.shared[name] = list_name
            self._add_choices(list_name, instrument.choice_lists[name])

    # -- texts ------------------------------------------------------------------

    def text(self, where: str, text: Text) -> dict[str, str]:
        return {lang: self._clean(where, text[lang]) for lang in self.languages}

    def _clean(self, where: str, value: str) -> str:
        # pyxform reads ${name} in any label as a reference to a question; text
        # that merely looks like one is split with an invisible word joiner.
        if "${" in value:
            self.warnings.append(f"{where}: '${{' in the text was split so it is not a reference")
            value = value.replace("${", "$\u2060{")
        return value

    def texts(self, column: str, where: str, text: Text | None) -> Row:
        if text is None:
            return {}
        values = self.text(where, text)
        return {f"{column}::{language_column(lang)}": values[lang] for lang in self.languages}

    # -- choices ----------------------------------------------------------------

    def _add_choices(self, list_name: str, choices: list[Choice]) -> None:
        for choice in choices:
            label = self.text(f"{list_name}.{choice.code}", choice.label)
            if choice.description is not None:
                description = self.text(f"{list_name}.{choice.code}", choice.description)
                label = {lang: f"{label[lang]} \u2014 {description[lang]}" for lang in label}
            row: Row = {"list_name": list_name, "name": choice.code}
            row.update({f"label::{language_column(lang)}": label[lang] for lang in self.languages})
            self.choices.append(row)

    def list_for(self, question: Question) -> str:
        if question.choice_list is not None:
            return self.shared[question.choice_list]
        list_name = question.code
        if id(question) not in self.list_names:
            self.list_names[id(question)] = list_name
            self._add_choices(list_name, question.choices or [])
        return list_name

    # -- relevance --------------------------------------------------------------

    def relevant(self, condition: Condition) -> str:
        if isinstance(condition, AnswerIn):
            target = self.instrument.question(condition.question)
            ref = f"${{{condition.question}}}"
            if target.kind is QuestionKind.MULTIPLE_CHOICE:
                parts = [f"selected({ref}, '{code}')" for code in condition.in_]
            else:
                parts = [f"{ref} = '{code}'" for code in condition.in_]
            return " or ".join(parts)
        if isinstance(condition, Answered):
            op = "!=" if condition.answered else "="
            return f"${{{condition.question}}} {op} ''"
        if isinstance(condition, AllOf):
            return " and ".join(f"({self.relevant(c)})" for c in condition.all)
        if isinstance(condition, AnyOf):
            return " or ".join(f"({self.relevant(c)})" for c in condition.any)
        assert isinstance(condition, Not)
        return f"not({self.relevant(condition.not_)})"

    # -- questions --------------------------------------------------------------

    def question(self, question: Question, *, repeat_max: int | None = None) -> Iterator[Row]:
        where = question.code
        kind = question.kind
        common: Row = {}
        if question.relevant is not None:
            common["relevant"] = self.relevant(question.relevant)
        if kind is QuestionKind.MATRIX:
            list_name = self.list_for(question)
            yield {
                "type": "begin_group",
                "name": question.code,
                **self.texts("label", where, question.label),
                "appearance": "field-list",
                **common,
            }
            if question.hint is not None:
                yield {
                    "type": "note",
                    "name": f"{question.code}_note",
                    **self.texts("label", where, question.hint),
                }
            for row in question.rows or ():
                cells: Row = {
                    "type": f"select_one {list_name}",
                    "name": row.code,
                    **self.texts("label", row.code, row.label),
                    **self.texts("hint", row.code, row.hint),
                }
                if question.required:
                    cells["required"] = "yes"
                if repeat_max is not None:
                    cells["constraint"] = _position(repeat_max)
                yield cells
            yield {"type": "end_group", "name": question.code}
            return
        if kind is QuestionKind.REPEAT:
            if question.hint is not None:
                yield {
                    "type": "note",
                    "name": f"{question.code}_note",
                    **self.texts("label", where, question.hint),
                    **common,
                }
            yield {
                "type": "begin_repeat",
                "name": question.code,
                **self.texts("label", where, question.label),
                **common,
            }
            for inner in question.questions or ():
                yield from self.question(inner, repeat_max=question.max_count)
            yield {"type": "end_repeat", "name": question.code}
            return
        if kind is QuestionKind.SINGLE_CHOICE:
            type_ = f"select_one {self.list_for(question)}"
        elif kind is QuestionKind.MULTIPLE_CHOICE:
            type_ = f"select_multiple {self.list_for(question)}"
        else:
            type_ = SIMPLE_TYPES[kind]
        cells = {
            "type": type_,
            "name": question.code,
            **self.texts("label", where, question.label),
            **self.texts("hint", where, question.hint),
        }
        if question.required:
            cells["required"] = "yes"
        cells.update(common)
        constraints: list[str] = []
        if kind is QuestionKind.INTEGER:
            if question.min is not None:
                constraints.append(f". >= {question.min}")
            if question.max is not None:
                constraints.append(f". <= {question.max}")
        if repeat_max is not None and kind is not QuestionKind.NOTE:
            constraints.append(_position(repeat_max))
        if constraints:
            cells["constraint"] = " and ".join(constraints)
        if kind is QuestionKind.LONG_TEXT:
            cells["appearance"] = "multiline"
        if kind is QuestionKind.IMAGE:
            # Phones shrink photos before sending: less data on a slow connection.
            cells["parameters"] = f"max-pixels={IMAGE_MAX_PIXELS}"
        yield cells

    def build(self) -> XLSForm:
        instrument = self.instrument
        if instrument.description is not None:
            self.survey.append(
                {
                    "type": "note",
                    "name": "intro_note",
                    **self.texts("label", "description", instrument.description),
                }
            )
        for section in instrument.sections:
            group: Row = {
                "type": "begin_group",
                "name": section.code,
                **self.texts("label", section.code, section.title),
            }
            if section.relevant is not None:
                group["relevant"] = self.relevant(section.relevant)
            self.survey.append(group)
            if section.description is not None:
                self.survey.append(
                    {
                        "type": "note",
                        "name": f"{section.code}_note",
                        **self.texts("label", section.code, section.description),
                    }
                )
            for question in section.questions:
                self.survey.extend(self.question(question))
            self.survey.append({"type": "end_group", "name": section.code})
        default = instrument.default_language
        settings: Row = {
            "form_title": self.text("title", instrument.title)[default],
            "form_id": instrument.id,
            "version": instrument.version,
            "default_language": language_column(default),
            "style": "pages",
        }
        return XLSForm(
            survey=self.survey,
            choices=self.choices,
            settings=settings,
            languages=self.languages,
            warnings=self.warnings,
        )


def _position(maximum: int) -> str:
    return f"position(..) <= {maximum}"


def build_xlsform(instrument: Instrument) -> XLSForm:
    """The XLSForm rows for ``instrument`` (pure; the same rows for every rendering)."""
    return _Builder(instrument).build()


__all__ = [
    "SIMPLE_TYPES",
    "XLSForm",
    "build_xlsform",
    "is_generated_name",
    "language_column",
]
