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
audio, image       ``|`` file upload: the file types phones record, one file
repeat             a text display and numbered questions per row (see layout)
=================  ==============================================================

Pictures and sounds go first in question and answer texts, as ``data:`` URIs
(LimeSurvey's API cannot upload files to a survey); a picture beside words that
say the same thing has empty alternative text, so a screen reader says it once.
A choice's longer ``details`` sit in a ``<details>`` element, one tap away. The
end page thanks the person, says what happens next and sums up their own
answers with Expression Manager expressions generated from the core's summary
rules. The sources an instrument is based on are for admins: an HTML comment in
the description, never on the end page.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import quote

import jinja2
from markupsafe import Markup, escape

from coprod_connectors import (
    MEDIA_KINDS,
    Choice,
    ConfigError,
    Instrument,
    Question,
    QuestionKind,
    Section,
    Text,
    easy_read,
    is_pictogram,
    resolve_media,
    summaries,
    templates_dir,
)
from coprod_limesurvey.expressions import (
    TRUE,
    Translator,
    both,
    em_expression,
    em_places,
    started,
)
from coprod_limesurvey.layout import check_codes, intro_code, language_code, row_code

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
    QuestionKind.AUDIO: ("|", "file_upload"),
    QuestionKind.IMAGE: ("|", "file_upload"),
}

#: What phones record: voice notes and camera photos, in the formats they save. LimeSurvey
#: also checks the type it reads from the file's content against this list, under the
#: extension its MIME table gives (an .m4a read as audio/mp4 is "mp4a", as video/mp4
#: "mp4"; a browser's recording is "weba" or "webm"), so those names are listed too.
UPLOAD_TYPES: dict[QuestionKind, str] = {
    QuestionKind.AUDIO: "m4a, mp4a, mp4, aac, 3gp, amr, ogg, opus, oga, weba, webm, mp3, wav",
    QuestionKind.IMAGE: "jpg, jpeg, png, heic, heif, webp",
}
#: The largest upload, in KB (a few minutes of voice, or a phone photo).
UPLOAD_MAX_KB = 20480
#: The text colour of a grid's statements: 13:1 on the theme's grey band (#f9f9fb).
STATEMENT_COLOUR = "#2b2f3a"
#: Picture sizes in CSS pixels: beside a question or choice, and in easy read.
IMAGE_SIZE = 48
EASY_IMAGE_SIZE = 96

#: Texts this connector adds, per language (English is the fallback).
MESSAGES: dict[str, dict[str, str]] = {
    "en": {
        "audio": "On a phone, choose the button to record your voice, or pick a recording "
        "you already have.",
        "image": "On a phone, choose the button to take a photo, or pick one you already have.",
        "row": "{label} ({n} of {count})",
        "more": "More about this",
    },
    "cy": {
        "audio": "Ar ffôn, dewiswch y botwm i recordio eich llais, neu dewiswch recordiad "
        "sydd gennych chi'n barod.",
        "image": "Ar ffôn, dewiswch y botwm i dynnu llun, neu dewiswch un sydd gennych chi'n "
        "barod.",
        "row": "{label} ({n} o {count})",
        "more": "Rhagor am hyn",
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


def choice_html(
    label: str,
    description: str | None,
    *,
    image: str = "",
    details: str | None = None,
    more: str = "",
) -> str:
    """An answer option's HTML; ``image`` is markup this module made (see :func:`media_html`)."""
    template = environment().get_template("choice.html")
    return str(
        template.render(
            label=label,
            description=description,
            image=Markup(image),  # noqa: S704 - built here from a data: URI, escaped
            details=details,
            more=more,
        )
    ).strip()


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


#: LimeSurvey's page formats: a question per page, a group per page, all on one page.
PAGE_FORMATS = ("S", "G", "A")


def page_format(options: dict[str, Any]) -> str:
    """The page format asked for (``page_format``: S, G or A), or a question per page
    (what suits a phone). Never ``format``: in the connector contract that is the file
    type (``lss``), and reading it here once wrote ``<format>lss</format>``, which
    LimeSurvey refuses to import."""
    value = options.get("page_format")
    text = "S" if value in (None, "") else str(value).upper()
    if text not in PAGE_FORMATS:
        msg = f"page_format {value!r} is not one of {', '.join(PAGE_FORMATS)}"
        raise ConfigError(msg)
    return text


_SVG_ROOT = re.compile(r"<svg\b[^>]*>")
_SVG_TITLE = re.compile(r"<title\b[^>]*>.*?</title>\s*", re.DOTALL)


@cache
def inline_svg(path: Path, size: int) -> str:
    """A pictogram's SVG, to write straight into a LimeSurvey text.

    The words beside a picture say the same thing, so the picture is hidden
    from screen readers (read once, not twice) and its ``<title>`` (English
    only, with an id that would repeat on the page) is dropped.
    """
    text = path.read_text(encoding="utf-8")
    text = _SVG_TITLE.sub("", text)
    root = (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 96 96" width="{size}"'
        f' height="{size}" aria-hidden="true" focusable="false"'
        ' style="display:block;margin-bottom:0.5em">'
    )
    return _SVG_ROOT.sub(root, text, count=1).strip().replace("\n", "")


def heading(text: str) -> str:
    """A page's heading (``text`` is HTML already): the theme gives a page none."""
    return f'<h1 style="font-size:1.3em;line-height:1.3;margin:0">{text}</h1>'


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
    easy_read: bool = False,
) -> str:
    """What identifies a survey made by this connector (kept as an HTML comment)."""
    parts = {
        "instrument": instrument.id,
        "version": instrument.version,
        "round": round or "",
        "subject": subject or "",
    }
    if easy_read:
        parts["presentation"] = "easy-read"
    encoded = ";".join(f"{k}={quote(v, safe='').replace('-', '%2D')}" for k, v in parts.items())
    return f"coprod:{encoded}"


MARKER_PATTERN = re.compile(r"<!--\s*(coprod:[^ ]*)\s*-->")


class _Planner:
    def __init__(self, instrument: Instrument, options: dict[str, Any]) -> None:
        self.original = instrument
        self.easy = bool(options.get("easy_read"))
        if self.easy:
            instrument = easy_read(instrument)
            options = {"page_format": "S", **options}
        self.instrument = instrument
        self.image_size = EASY_IMAGE_SIZE if self.easy else IMAGE_SIZE
        # a question per page: the question is the page's heading (the theme has none)
        self.heading = page_format(options) == "S"
        self.languages = instrument.languages
        self.translate = Translator(instrument)
        self.qids = _Counter()
        self.aids = _Counter()
        self.l10n_ids = _Counter()
        self.answer_l10n_ids = _Counter()
        self.group_l10n_ids = _Counter()
        sid = int(options.get("survey_id") or survey_id(instrument))
        note = marker(
            instrument,
            round=options.get("round"),
            subject=options.get("subject"),
            easy_read=self.easy,
        )
        self.plan = Plan(survey=self._survey(sid, note, options))

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
            text = html(label if label is not None else question.label[lang], inline=True)
            pictures = self.media_html(question.code, question.image, question.audio, lang)
            if self.heading and text:
                text = heading(text)
            return {
                "id": self.l10n_ids(),
                "question": f"{pictures}{text}",
                "help": html(help_text, inline=True),
            }

        return self._texts(make)

    # -- pictures and sounds -------------------------------------------------------------

    def media_html(
        self, where: str, image: str | None, audio: str | dict[str, str] | None, lang: str
    ) -> str:
        """A picture as inline SVG to go first in a text ("" when there is none).

        LimeSurvey removes ``data:`` URIs from every text it imports, and its API
        cannot upload files to a survey; so the built-in pictograms (plain SVG
        shapes) are written into the text itself, and an organisation's own
        picture and sound files are left out with a warning (add them in
        LimeSurvey's editor, or use an XLSForm platform, which takes form media).
        """
        sound = audio.get(lang) if isinstance(audio, dict) else audio
        if sound is not None:
            self._warn_once(
                f"{where}: LimeSurvey cannot take sound files through its API; {sound} was left "
                "out (add it in LimeSurvey's question editor)"
            )
        if image is None:
            return ""
        if not is_pictogram(image):
            resolve_media(self.instrument, image, where=where)  # still checked
            self._warn_once(
                f"{where}: LimeSurvey cannot take picture files through its API; {image} was left "
                "out (add it in LimeSurvey's question editor)"
            )
            return ""
        return inline_svg(resolve_media(self.instrument, image, where=where).path, self.image_size)

    def _warn_once(self, warning: str) -> None:
        if warning not in self.plan.warnings:
            self.plan.warnings.append(warning)

    # -- survey ------------------------------------------------------------------------

    def _survey(self, sid: int, note: str, options: dict[str, Any]) -> dict[str, Any]:
        instrument = self.instrument
        settings: list[tuple[str, str]] = [
            ("sid", str(sid)),
            ("gsid", "1"),
            ("admin", str(options.get("admin", ""))),
            ("adminemail", str(options.get("admin_email", ""))),
            ("anonymized", "N"),
            ("format", page_format(options)),
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
            # a question per page: the section's title and description are a page of their own
            ("showgroupinfo", "X" if page_format(options) == "S" else "B"),
            ("shownoanswer", "N"),
            ("showqnumcode", "X"),
            ("bounceprocessing", "N"),
            ("showwelcome", "Y" if options.get("welcome", True) else "N"),
            ("showprogress", "Y"),
            ("questionindex", "0"),
            ("navigationdelay", "0"),
            ("nokeyboard", "N"),
            ("alloweditaftercompletion", "N"),
        ]

        found = summaries(self.original)
        # the sources are for admins (and the report's credits), not for the end page
        sources = " | ".join(instrument.attribution).replace("--", "-")

        def make(lang: str) -> dict[str, Any]:
            description = html(self._in(instrument.description, lang), note=note)
            if sources:
                description += f"<!-- sources: {escape(sources)} -->"
            return {
                "title": survey_title(instrument, lang),
                "description": description,
                "welcome": "",
                "end": self._end_html(lang, found.get(lang)),
            }

        return {
            "sid": sid,
            "languages": self.languages,
            "settings": settings,
            "texts": self._texts(make),
            "date_format": DATE_FORMAT,
        }

    def _end_html(self, lang: str, summary: Any) -> str:
        """Thanks, what happens next, and the person's answers summed up (Expression Manager)."""
        end = self._in(self.instrument.end, lang)
        parts: list[str] = []
        if end:
            # the first paragraph (the thanks) is the page's heading: the theme gives none
            first, _, rest = end.strip().partition("\n\n")
            parts += [heading(html(first, inline=True)), html(rest)]
        if summary is not None:
            places = em_places(self.instrument)
            items = "".join(f"<li>{{{em_expression(line, places)}}}</li>" for line in summary.lines)
            parts.append(f"<h2>{escape(summary.heading)}</h2><ul>{items}</ul>")
        return "".join(p for p in parts if p)

    # -- groups and questions ----------------------------------------------------------

    def build(self) -> Plan:
        for order, section in enumerate(self.instrument.sections):
            self._group(section, order)
        self._language_equation()
        return self.plan

    def _language_equation(self) -> None:
        """A hidden equation on the last page: the language the person finished in.

        LimeSurvey's ``startlanguage`` keeps the language a person started in,
        even when they switch half way; ``{LANG}`` is the language on screen.
        """
        last = self.plan.groups[-1]["gid"]
        planned = PlannedQuestion(
            qid=self.qids(),
            gid=last,
            type="*",
            theme="equation",
            title=language_code(self.instrument),
            order=10_000,
            texts=self._texts(lambda _: {"id": self.l10n_ids(), "question": "{LANG}", "help": ""}),
        )
        self.plan.questions.append(planned)
        for name, value in (("equation", "{LANG}"), ("hidden", "1")):
            self.plan.attributes.append(
                {"qid": planned.qid, "name": name, "value": value, "language": ""}
            )

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
        if self.heading and section.description is not None:
            self._intro(section, gid, position())
        for question in section.questions:
            if question.kind is QuestionKind.REPEAT:
                self._repeat(question, gid, position)
            else:
                self._question(question, gid, position(), question.code)

    def _intro(self, section: Section, gid: int, order: int) -> None:
        """The section's title and description as the first page of the section."""
        code = intro_code(self.instrument, section.code)
        description = section.description
        assert description is not None

        def make(lang: str) -> dict[str, Any]:
            title = html(section.title[lang], inline=True)
            return {
                "id": self.l10n_ids(),
                "question": heading(title) + html(description[lang]),
                "help": "",
            }

        self.plan.questions.append(
            PlannedQuestion(
                qid=self.qids(),
                gid=gid,
                type="X",
                theme="boilerplate",
                title=code,
                order=order,
                texts=self._texts(make),
            )
        )

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
        if self.easy and question.kind is QuestionKind.SINGLE_CHOICE:
            theme = "bootstrap_buttons"  # big answer buttons
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
                        image=grid_row.image,
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
                            choice,
                            single=question.kind is QuestionKind.SINGLE_CHOICE,
                        ),
                    }
                )
        for name, value in self._attributes(question):
            self.plan.attributes.append(
                {"qid": planned.qid, "name": name, "value": value, "language": ""}
            )

    def _subquestion(
        self,
        parent: PlannedQuestion,
        code: str,
        order: int,
        label: Text,
        note: Text | None,
        *,
        image: str | None = None,
    ) -> PlannedQuestion:
        def make(lang: str) -> dict[str, Any]:
            picture = self.media_html(code, image, None, lang)
            return {
                "id": self.l10n_ids(),
                # the theme greys a grid's statements on a grey band (4.39:1): darker text
                "question": (
                    f'<span style="color:{STATEMENT_COLOUR}">'
                    f"{choice_html(label[lang], self._in(note, lang), image=picture)}</span>"
                ),
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

    def _answer_texts(self, choice: Choice, *, single: bool) -> list[dict[str, Any]]:
        def make(lang: str) -> dict[str, Any]:
            # a grid's answers are column headings: words only, kept short
            picture = (
                self.media_html(choice.code, choice.image, choice.audio, lang) if single else ""
            )
            return {
                "id": self.answer_l10n_ids(),
                "text": choice_html(
                    choice.label[lang],
                    self._in(choice.description, lang) if single else None,
                    image=picture,
                    details=self._in(choice.details, lang) if single else None,
                    more=message(lang, "more"),
                ),
            }

        return self._texts(make)

    def _header_texts(self, repeat: Question, n: int, count: int) -> list[dict[str, Any]]:
        def make(lang: str) -> dict[str, Any]:
            label = message(lang, "row", label=repeat.label[lang], n=n, count=count)
            text = html(label, inline=True)
            if self.heading:
                text = heading(text)
            return {
                "id": self.l10n_ids(),
                "question": text,
                "help": html(self._in(repeat.hint, lang), inline=True),
            }

        return self._texts(make)

    def _attributes(self, question: Question) -> Iterator[tuple[str, str]]:
        if question.kind in MEDIA_KINDS:
            yield "allowed_filetypes", UPLOAD_TYPES[question.kind]
            yield "max_filesize", str(UPLOAD_MAX_KB)
            yield "max_num_of_files", "1"
            yield "min_num_of_files", "0"
            yield "show_title", "0"
            yield "show_comment", "0"
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

    Options: ``round``, ``subject`` and ``easy_read`` (kept in the survey's marker),
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
