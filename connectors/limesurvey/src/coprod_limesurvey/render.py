"""Render an instrument as a LimeSurvey 6 survey structure (.lss).

Python decides *what* goes in the survey (a plan of groups, questions,
answers and attributes with LimeSurvey ids); the Jinja2 templates in
``coprod_limesurvey/templates/`` decide how it is written, autoescaped for XML and,
for the texts, for HTML. Nothing here writes markup by hand.

Question kinds:

=================  ==============================================================
single_choice      ``L`` list (radio); a choice's description under its label
multiple_choice    ``M`` multiple choice, a subquestion per choice
matrix             ``F`` array, a subquestion per row, the choices as answers
short_text         ``S`` short free text
long_text          ``T`` long free text
integer            ``N`` numerical input, whole numbers, with min/max
date               ``D`` date
note               ``X`` text display
audio, image       ``T`` long free text, with a line saying it is collected as text
repeat             a text display and numbered questions per row (see layout)
=================  ==============================================================
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import cache
from typing import Any
from urllib.parse import quote

import jinja2
from markupsafe import Markup, escape

from coprod_connectors import (
    MEDIA_KINDS,
    Instrument,
    Question,
    QuestionKind,
    Section,
    Text,
    templates_dir,
)
from coprod_limesurvey.expressions import TRUE, Translator, both, started
from coprod_limesurvey.layout import check_codes, row_code

#: The database version LimeSurvey 6.14 writes into its exports.
DB_VERSION = 630
#: dd/mm/yyyy (LimeSurvey's date format 5), as people in the UK write dates.
DATE_FORMAT = 5
TEMPLATE = "survey.lss"

TYPES: dict[QuestionKind, tuple[str, str]] = {
    QuestionKind.SINGLE_CHOICE: ("L", "listradio"),
    QuestionKind.MULTIPLE_CHOICE: ("M", "multiplechoice"),
    QuestionKind.MATRIX: ("F", "arrays/array"),
    QuestionKind.SHORT_TEXT: ("S", "shortfreetext"),
    QuestionKind.LONG_TEXT: ("T", "longfreetext"),
    QuestionKind.INTEGER: ("N", "numerical"),
    QuestionKind.DATE: ("D", "date"),
    QuestionKind.NOTE: ("X", "boilerplate"),
    QuestionKind.AUDIO: ("T", "longfreetext"),
    QuestionKind.IMAGE: ("T", "longfreetext"),
}

#: Texts this connector adds, per language (English is the fallback).
MESSAGES: dict[str, dict[str, str]] = {
    "en": {
        "audio": "This survey collects this answer as text: please write down what you would say.",
        "image": "This survey collects this answer as text: please describe what the photo "
        "would show.",
        "row": "{label} ({n} of {count})",
    },
    "cy": {
        "audio": "Mae'r arolwg hwn yn casglu'r ateb hwn fel testun: ysgrifennwch yr hyn y "
        "byddech chi'n ei ddweud.",
        "image": "Mae'r arolwg hwn yn casglu'r ateb hwn fel testun: disgrifiwch beth fyddai'r "
        "llun yn ei ddangos.",
        "row": "{label} ({n} o {count})",
    },
}


def message(language: str, key: str, **values: object) -> str:
    texts = MESSAGES.get(language.split("-", maxsplit=1)[0], MESSAGES["en"])
    return texts[key].format(**values)


# --- templates -------------------------------------------------------------------------


def _em_safe(value: object) -> Markup:
    """HTML-escape ``value`` and hide braces from the Expression Manager."""
    return Markup(str(escape(value)).replace("{", "&#123;").replace("}", "&#125;"))  # noqa: S704


@cache
def environment() -> jinja2.Environment:
    """The connector's own strict, autoescaping environment over its templates folder."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(templates_dir("coprod_limesurvey")),
        autoescape=jinja2.select_autoescape(
            enabled_extensions=("html", "xml", "lss"), default_for_string=True, default=True
        ),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["em"] = _em_safe
    return env


@dataclass(frozen=True)
class _Block:
    kind: str
    lines: list[str]


def _blocks(text: str) -> list[_Block]:
    """Paragraphs (blank-line separated) and ``- `` bullet lists."""
    blocks: list[_Block] = []
    for chunk in re.split(r"\n\s*\n", text.strip()):
        lines = [line.rstrip() for line in chunk.splitlines() if line.strip()]
        paragraph: list[str] = []
        items: list[str] = []
        for line in lines:
            if line.lstrip().startswith("- "):
                if paragraph:
                    blocks.append(_Block("p", paragraph))
                    paragraph = []
                items.append(line.lstrip()[2:].strip())
            else:
                if items:
                    blocks.append(_Block("ul", items))
                    items = []
                paragraph.append(line.strip())
        if paragraph:
            blocks.append(_Block("p", paragraph))
        if items:
            blocks.append(_Block("ul", items))
    return blocks


def html(text: str | None, *, inline: bool = False, note: str | None = None) -> str:
    """``text`` as LimeSurvey HTML source (a plain ``str``, so the .lss template escapes it)."""
    if not text and not note:
        return ""
    blocks = _blocks(text or "") or [_Block("p", [])]
    if inline and len(blocks) > 1:
        inline = False
    rendered = (
        environment().get_template("text.html").render(blocks=blocks, inline=inline, note=note)
    )
    return str(rendered).strip()


def choice_html(label: str, description: str | None) -> str:
    template = environment().get_template("choice.html")
    return str(template.render(label=label, description=description)).strip()


# --- the plan ----------------------------------------------------------------------------


@dataclass
class _Counter:
    value: int = 0

    def __call__(self) -> int:
        self.value += 1
        return self.value


@dataclass
class PlannedQuestion:
    qid: int
    gid: int
    type: str
    theme: str
    title: str
    order: int
    texts: list[dict[str, Any]]
    parent_qid: int = 0
    mandatory: str = "N"
    relevance: str = TRUE


@dataclass
class Plan:
    """Everything the .lss template writes, with LimeSurvey ids already assigned."""

    survey: dict[str, Any]
    groups: list[dict[str, Any]] = field(default_factory=list)
    questions: list[PlannedQuestion] = field(default_factory=list)
    subquestions: list[PlannedQuestion] = field(default_factory=list)
    answers: list[dict[str, Any]] = field(default_factory=list)
    attributes: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def survey_title(instrument: Instrument, language: str | None = None) -> str:
    """The survey title as LimeSurvey stores it (HTML, like every text it shows)."""
    return html(instrument.title[language or instrument.default_language], inline=True)


def survey_id(instrument: Instrument) -> int:
    """A stable six-digit survey id to ask for (LimeSurvey picks another if it is taken)."""
    digest = hashlib.sha256(f"{instrument.id}\0{instrument.version}".encode()).digest()
    return 100000 + int.from_bytes(digest[:4], "big") % 900000


def marker(
    instrument: Instrument,
    *,
    round: str | None,  # noqa: A002
    subject: str | None,
) -> str:
    """What identifies a survey made by this connector (kept as an HTML comment)."""
    parts = {
        "instrument": instrument.id,
        "version": instrument.version,
        "round": round or "",
        "subject": subject or "",
    }
    encoded = ";".join(f"{k}={quote(v, safe='').replace('-', '%2D')}" for k, v in parts.items())
    return f"coprod:{encoded}"


MARKER_PATTERN = re.compile(r"<!--\s*(coprod:[^ ]*)\s*-->")


class _Planner:
    def __init__(self, instrument: Instrument, options: dict[str, Any]) -> None:
        self.instrument = instrument
        self.languages = instrument.languages
        self.translate = Translator(instrument)
        self.qids = _Counter()
        self.aids = _Counter()
        self.l10n_ids = _Counter()
        self.answer_l10n_ids = _Counter()
        self.group_l10n_ids = _Counter()
        sid = int(options.get("survey_id") or survey_id(instrument))
        note = marker(instrument, round=options.get("round"), subject=options.get("subject"))
        self.plan = Plan(survey=self._survey(sid, note, options))
        self._media_warned: set[QuestionKind] = set()

    # -- texts -------------------------------------------------------------------------

    def _texts(self, make: Callable[[str], dict[str, Any]]) -> list[dict[str, Any]]:
        return [{"language": lang, **make(lang)} for lang in self.languages]

    @staticmethod
    def _in(text: Text | None, language: str) -> str | None:
        return None if text is None else text[language]

    def _question_texts(
        self, question: Question, *, label: str | None = None, extra_help: str | None = None
    ) -> list[dict[str, Any]]:
        def make(lang: str) -> dict[str, Any]:
            hint = self._in(question.hint, lang)
            media = message(lang, question.kind.value) if question.kind in MEDIA_KINDS else None
            help_text = "\n\n".join(t for t in (hint, media, extra_help) if t)
            return {
                "id": self.l10n_ids(),
                "question": html(label if label is not None else question.label[lang], inline=True),
                "help": html(help_text, inline=True),
            }

        return self._texts(make)

    # -- survey ------------------------------------------------------------------------

    def _survey(self, sid: int, note: str, options: dict[str, Any]) -> dict[str, Any]:
        instrument = self.instrument
        settings: list[tuple[str, str]] = [
            ("sid", str(sid)),
            ("gsid", "1"),
            ("admin", str(options.get("admin", ""))),
            ("adminemail", str(options.get("admin_email", ""))),
            ("anonymized", "N"),
            ("format", str(options.get("format", "G"))),
            ("savetimings", "N"),
            ("template", str(options.get("theme", "fruity_twentythree"))),
            ("language", instrument.default_language),
            ("additional_languages", " ".join(instrument.languages[1:])),
            ("datestamp", "Y"),
            ("usecookie", "N"),
            ("allowregister", "N"),
            ("allowsave", "N"),
            ("autonumber_start", "0"),
            ("autoredirect", "N"),
            ("allowprev", "Y"),
            ("printanswers", "N"),
            ("ipaddr", "N"),
            ("ipanonymize", "N"),
            ("refurl", "N"),
            ("showsurveypolicynotice", "0"),
            ("publicstatistics", "N"),
            ("publicgraphs", "N"),
            ("listpublic", "N"),
            ("htmlemail", "Y"),
            ("sendconfirmation", "N"),
            ("tokenanswerspersistence", "N"),
            ("assessments", "N"),
            ("usecaptcha", "N"),
            ("usetokens", "N"),
            ("tokenlength", "15"),
            ("showxquestions", "N"),
            ("showgroupinfo", "B"),
            ("shownoanswer", "Y"),
            ("showqnumcode", "X"),
            ("bounceprocessing", "N"),
            ("showwelcome", "Y" if options.get("welcome", True) else "N"),
            ("showprogress", "Y"),
            ("questionindex", "0"),
            ("navigationdelay", "0"),
            ("nokeyboard", "N"),
            ("alloweditaftercompletion", "N"),
        ]

        def make(lang: str) -> dict[str, Any]:
            attribution = "\n".join(f"- {a}" for a in instrument.attribution)
            return {
                "title": survey_title(instrument, lang),
                "description": html(self._in(instrument.description, lang), note=note),
                "welcome": "",
                "end": html(attribution) if attribution else "",
            }

        return {
            "sid": sid,
            "languages": self.languages,
            "settings": settings,
            "texts": self._texts(make),
            "date_format": DATE_FORMAT,
        }

    # -- groups and questions ----------------------------------------------------------

    def build(self) -> Plan:
        for order, section in enumerate(self.instrument.sections):
            self._group(section, order)
        return self.plan

    def _group(self, section: Section, order: int) -> None:
        gid = order + 1

        def make(lang: str) -> dict[str, Any]:
            return {
                "id": self.group_l10n_ids(),
                "name": html(section.title[lang], inline=True),
                "description": html(self._in(section.description, lang)),
            }

        self.plan.groups.append(
            {
                "gid": gid,
                "order": order,
                "relevance": self.translate(section.relevant),
                "texts": self._texts(make),
            }
        )
        position = _Counter()
        for question in section.questions:
            if question.kind is QuestionKind.REPEAT:
                self._repeat(question, gid, position)
            else:
                self._question(question, gid, position(), question.code)

    def _repeat(self, repeat: Question, gid: int, position: _Counter) -> None:
        count = repeat.max_count or 1
        own = self.translate(repeat.relevant)
        for n in range(1, count + 1):
            shown = own if n == 1 else both(own, started(self.instrument, repeat, n - 1))
            header = PlannedQuestion(
                qid=self.qids(),
                gid=gid,
                type="X",
                theme="boilerplate",
                title=row_code(repeat.code, n),
                order=position(),
                relevance=shown,
                texts=self._header_texts(repeat, n, count),
            )
            self.plan.questions.append(header)
            for inner in repeat.questions or ():
                self._question(
                    inner,
                    gid,
                    position(),
                    row_code(inner.code, n),
                    repeat=repeat,
                    row=n,
                    outer=shown,
                )

    def _question(
        self,
        question: Question,
        gid: int,
        order: int,
        title: str,
        *,
        repeat: Question | None = None,
        row: int | None = None,
        outer: str = TRUE,
    ) -> None:
        ls_type, theme = TYPES[question.kind]
        relevance = both(outer, self.translate(question.relevant, repeat=repeat, row=row))
        planned = PlannedQuestion(
            qid=self.qids(),
            gid=gid,
            type=ls_type,
            theme=theme,
            title=title,
            order=order,
            mandatory="Y" if question.required else "N",
            relevance=relevance,
            texts=self._question_texts(question),
        )
        self.plan.questions.append(planned)
        if question.kind in MEDIA_KINDS and question.kind not in self._media_warned:
            self._media_warned.add(question.kind)
            self.plan.warnings.append(
                f"LimeSurvey cannot record {question.kind.value}: {question.kind.value} "
                "questions become long text questions that ask for a written description"
            )
        choices = self.instrument.choices_for(question)
        if question.kind is QuestionKind.MULTIPLE_CHOICE:
            for i, choice in enumerate(choices):
                self.plan.subquestions.append(
                    self._subquestion(
                        planned,
                        choice.code,
                        i,
                        choice.label,
                        choice.description,
                    )
                )
        if question.kind is QuestionKind.MATRIX:
            for i, grid_row in enumerate(question.rows or ()):
                self.plan.subquestions.append(
                    self._subquestion(
                        planned,
                        grid_row.code,
                        i,
                        grid_row.label,
                        grid_row.hint,
                    )
                )
        if question.kind in {QuestionKind.SINGLE_CHOICE, QuestionKind.MATRIX}:
            for i, choice in enumerate(choices):
                aid = self.aids()
                self.plan.answers.append(
                    {
                        "aid": aid,
                        "qid": planned.qid,
                        "code": choice.code,
                        "sortorder": i,
                        "texts": self._answer_texts(
                            choice.label,
                            choice.description
                            if question.kind is QuestionKind.SINGLE_CHOICE
                            else None,
                        ),
                    }
                )
        for name, value in self._attributes(question):
            self.plan.attributes.append(
                {"qid": planned.qid, "name": name, "value": value, "language": ""}
            )

    def _subquestion(
        self, parent: PlannedQuestion, code: str, order: int, label: Text, note: Text | None
    ) -> PlannedQuestion:
        def make(lang: str) -> dict[str, Any]:
            return {
                "id": self.l10n_ids(),
                "question": choice_html(label[lang], self._in(note, lang)),
                "help": "",
            }

        return PlannedQuestion(
            qid=self.qids(),
            parent_qid=parent.qid,
            gid=parent.gid,
            type=parent.type,
            theme=parent.theme,
            title=code,
            order=order,
            texts=self._texts(make),
        )

    def _answer_texts(self, label: Text, description: Text | None) -> list[dict[str, Any]]:
        def make(lang: str) -> dict[str, Any]:
            return {
                "id": self.answer_l10n_ids(),
                "text": choice_html(label[lang], self._in(description, lang)),
            }

        return self._texts(make)

    def _header_texts(self, repeat: Question, n: int, count: int) -> list[dict[str, Any]]:
        def make(lang: str) -> dict[str, Any]:
            label = message(lang, "row", label=repeat.label[lang], n=n, count=count)
            return {
                "id": self.l10n_ids(),
                "question": html(label, inline=True),
                "help": html(self._in(repeat.hint, lang), inline=True),
            }

        return self._texts(make)

    @staticmethod
    def _attributes(question: Question) -> Iterator[tuple[str, str]]:
        if question.kind is QuestionKind.INTEGER:
            yield "num_value_int_only", "1"
            if question.min is not None:
                yield "min_num_value_n", str(question.min)
            if question.max is not None:
                yield "max_num_value_n", str(question.max)


def plan(instrument: Instrument, options: dict[str, Any] | None = None) -> Plan:
    """The survey ``instrument`` becomes, before it is written out."""
    check_codes(instrument)
    return _Planner(instrument, dict(options or {})).build()


def render_lss(instrument: Instrument, options: dict[str, Any] | None = None) -> tuple[str, Plan]:
    """The .lss document for ``instrument`` and the plan it was written from.

    Options: ``round`` and ``subject`` (kept in the survey's marker),
    ``survey_id`` (the id to ask LimeSurvey for), ``theme``, ``admin``,
    ``admin_email``, ``format`` (``G`` a page per section, the default; ``A``
    all on one page; ``S`` a page per question) and ``welcome`` (show the
    welcome page; default true).
    """
    the_plan = plan(instrument, options)
    text = (
        environment()
        .get_template(TEMPLATE)
        .render(
            db_version=DB_VERSION,
            survey=the_plan.survey,
            groups=the_plan.groups,
            questions=the_plan.questions,
            subquestions=the_plan.subquestions,
            answers=the_plan.answers,
            attributes=the_plan.attributes,
        )
    )
    return text, the_plan


__all__ = [
    "DB_VERSION",
    "MARKER_PATTERN",
    "MESSAGES",
    "TYPES",
    "Plan",
    "environment",
    "html",
    "marker",
    "plan",
    "render_lss",
    "survey_id",
    "survey_title",
]
