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
- relevance becomes XLSForm ``relevant`` expressions;
- pictures and sounds are ``media::image`` / ``media::audio`` columns (one per
  language), naming files that are uploaded with the form (built-in pictograms
  as PNG: XLSForm phone apps do not show SVG);
- a choice's longer ``details`` are the question's ``guidance_hint``: one tap
  away in XLSForm web forms and phone apps;
- grids are not ``field-list`` pages: on a phone each statement is its own screen;
- the form records the language it was shown in (``coprod_language``, see
  :data:`LANGUAGE_FIELD`), and ends with a note that thanks the person, says what
  happens next and sums up their own answers, computed by ``calculate`` rows in
  the form (so it works offline) from the core's summary rules.

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

from coprod_connectors.instruments import (
    Instrument,
)
from coprod_connectors.instruments.easy_read import (
    easy_read,
)
from coprod_connectors.instruments.media import (
    InstrumentMedia,
    resolve_media,
)
from coprod_connectors.instruments.model import (
    AllOf,
    Answered,
    AnswerIn,
    AnyOf,
    Choice,
    Condition,
    Not,
    Question,
    QuestionKind,
    Text,
    language_name,
)
from coprod_connectors.summary import (
    AllTrue,
    AnyTrue,
    Equals,
    IsAnswered,
    Join,
    Literal,
    SummaryExpr,
    SummaryTest,
    Value,
    When,
    summaries,
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
#: Field names every XLSForm already uses: the meta group and what pyxform puts in it
#: (a connector adds its platform's own).
XLSFORM_RESERVED = frozenset({"meta", "instanceid", "instancename", "deprecatedid"})
#: The calculate that records the language the form was shown in (read back by the pull).
LANGUAGE_FIELD = "coprod_language"
#: A hidden one-choice question whose label, in each language, is that language's code:
#: ``jr:choice-name`` gives the label in the language on screen (XPath cannot ask directly).
_LANGUAGE_PICK = "lang_pick"
_LANGUAGE_LIST = "coprod_lang"
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
    #: The picture and sound files the form names, to upload with it.
    media: list[InstrumentMedia] = field(default_factory=list)

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


def xpath(expr: SummaryExpr | SummaryTest) -> str:
    """A summary expression (:mod:`coprod_connectors.summary`) as XLSForm XPath."""
    if isinstance(expr, Literal):
        return f'"{expr.text}"'
    if isinstance(expr, Value):
        return f"${{{expr.code}}}"
    if isinstance(expr, Equals):
        return f"${{{expr.code}}} = '{expr.choice}'"
    if isinstance(expr, IsAnswered):
        return f"${{{expr.code}}} != ''"
    if isinstance(expr, AllTrue):
        return "(" + " and ".join(f"({xpath(p)})" for p in expr.parts) + ")"
    if isinstance(expr, AnyTrue):
        return "(" + " or ".join(f"({xpath(p)})" for p in expr.parts) + ")"
    if isinstance(expr, When):
        return f"if({xpath(expr.test)}, {xpath(expr.then)}, {xpath(expr.otherwise)})"
    if isinstance(expr, Join):
        return "concat(" + ", ".join(xpath(p) for p in expr.parts) + ")"
    counts = " + ".join(f"if(${{{c}}} = '{expr.choice}', 1, 0)" for c in expr.codes)
    return f"string({counts})"


def _column_rank(column: str) -> int:
    base = column.split("::", 1)[0]
    try:
        return _SURVEY_ORDER.index(base)
    except ValueError:
        return len(_SURVEY_ORDER)


class _Builder:
    def __init__(self, instrument: Instrument, *, easy: bool = False) -> None:
        self.original = instrument
        self.easy = easy
        instrument = easy_read(instrument) if easy else instrument
        self.instrument = instrument
        self.languages = list(instrument.languages)
        self.survey: list[Row] = []
        self.choices: list[Row] = []
        self.warnings: list[str] = []
        self.media: dict[str, InstrumentMedia] = {}
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

    # -- media ------------------------------------------------------------------

    def _file(self, where: str, reference: str) -> str:
        found = resolve_media(self.instrument, reference, where=where, raster=True)
        self.media.setdefault(found.name, found)
        return found.name

    def media_cells(self, where: str, image: str | None, audio: str | dict[str, str] | None) -> Row:
        cells: Row = {}
        if image is not None:
            name = self._file(where, image)
            cells.update(
                {f"media::image::{language_column(lang)}": name for lang in self.languages}
            )
        if isinstance(audio, str):
            name = self._file(where, audio)
            cells.update(
                {f"media::audio::{language_column(lang)}": name for lang in self.languages}
            )
        elif audio is not None:
            for lang, reference in audio.items():
                cells[f"media::audio::{language_column(lang)}"] = self._file(where, reference)
        return cells

    # -- choices ----------------------------------------------------------------

    def _add_choices(self, list_name: str, choices: list[Choice]) -> None:
        for choice in choices:
            label = self.text(f"{list_name}.{choice.code}", choice.label)
            if choice.description is not None:
                description = self.text(f"{list_name}.{choice.code}", choice.description)
                label = {lang: f"{label[lang]} \u2014 {description[lang]}" for lang in label}
            row: Row = {"list_name": list_name, "name": choice.code}
            row.update({f"label::{language_column(lang)}": label[lang] for lang in self.languages})
            row.update(self.media_cells(f"{list_name}.{choice.code}", choice.image, choice.audio))
            self.choices.append(row)

    def guidance(self, question: Question) -> Row:
        """The choices' longer details, one tap away: ``1 Not yet: ...`` per choice."""
        choices = [c for c in self.instrument.choices_for(question) if c.details is not None]
        if not choices:
            return {}
        texts: dict[str, str] = {}
        for lang in self.languages:
            parts = []
            for choice in choices:
                assert choice.details is not None
                details = self._clean(question.code, choice.details[lang])
                parts.append(f"{choice.code} {choice.label[lang]}: {details}")
            texts[lang] = "\n\n".join(parts)
        return {f"guidance_hint::{language_column(lang)}": texts[lang] for lang in self.languages}

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
                    **self.media_cells(row.code, row.image, row.audio),
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
            **self.media_cells(where, question.image, question.audio),
            **self.guidance(question),
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
        self._language()
        self._end()
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
            media=list(self.media.values()),
        )

    def _language(self) -> None:
        """Record the language on screen (see :data:`LANGUAGE_FIELD`)."""
        self.choices.append(
            {
                "list_name": _LANGUAGE_LIST,
                "name": "l",
                **{f"label::{language_column(lang)}": lang for lang in self.languages},
            }
        )
        self.survey.append(
            {
                "type": f"select_one {_LANGUAGE_LIST}",
                "name": _LANGUAGE_PICK,
                **{f"label::{language_column(lang)}": "-" for lang in self.languages},
                "relevant": "false()",
            }
        )
        # Collect works out a calculate again when a value it reads changes, not when
        # the language changes: reading the answers makes it follow the language in use
        # while the person answers. The first and last answers are enough.
        codes = [
            code
            for _, repeat, question in self.instrument.iter_questions()
            if repeat is None and question.kind is not QuestionKind.REPEAT
            for code in question.answer_codes
        ]
        watched = codes[:1] + codes[-1:] if len(codes) > 1 else codes
        watch = " or ".join(f"string-length(${{{c}}}) >= 0" for c in watched) or "true()"
        self.survey.append(
            {
                "type": "calculate",
                "name": LANGUAGE_FIELD,
                "calculation": (f"if({watch}, jr:choice-name('l', '${{{_LANGUAGE_PICK}}}'), '')"),
            }
        )

    def _end(self) -> None:
        """Thanks, what happens next, and the person's own answers summed up."""
        found = summaries(self.original)
        end = self.instrument.end
        if end is None and not found:
            return
        labels: dict[str, list[str]] = {lang: [] for lang in self.languages}
        if end is not None:
            for lang in self.languages:
                labels[lang].append(self._clean("end", end[lang]).strip())
        for lang, summary in found.items():
            if lang not in labels:
                continue
            refs = []
            for n, line in enumerate(summary.lines, start=1):
                name = f"sum_{lang.replace('-', '_')}_{n}"
                self.survey.append({"type": "calculate", "name": name, "calculation": xpath(line)})
                refs.append(f"${{{name}}}")
            labels[lang].append(f"**{summary.heading}**")
            labels[lang].append("\n".join(refs))
        self.survey.append(
            {
                "type": "note",
                "name": "end_note",
                **{
                    f"label::{language_column(lang)}": "\n\n".join(labels[lang])
                    for lang in self.languages
                },
            }
        )


def _position(maximum: int) -> str:
    return f"position(..) <= {maximum}"


def build_xlsform(instrument: Instrument, *, easy_read: bool = False) -> XLSForm:
    """The XLSForm rows for ``instrument`` (pure; the same rows for every rendering).

    ``easy_read``: the easy-read presentation (see
    :func:`coprod_connectors.instruments.easy_read.easy_read`).
    """
    return _Builder(instrument, easy=easy_read).build()


__all__ = [
    "LANGUAGE_FIELD",
    "SIMPLE_TYPES",
    "XLSFORM_RESERVED",
    "XLSForm",
    "build_xlsform",
    "is_generated_name",
    "language_column",
    "xpath",
]
