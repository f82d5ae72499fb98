"""Names for readers: every principle, statement, phase and choice by its label.

Labels come from the built-in instruments' own texts in the report's language,
and fall back, text by text, to the instrument's default language (the
:class:`~coprod_connectors.report.i18n.Said` says which). Words the instruments
do not have (group names, short phase names, themes) are the report's own,
from the gettext catalogue.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from functools import cached_property

from coprod_connectors.instruments import BUILTIN_IDS, Instrument, builtin_instrument
from coprod_connectors.instruments.model import Text
from coprod_connectors.ladder import LadderModel
from coprod_connectors.report.i18n import N_, Said, Words
from coprod_connectors.report.view import Source, SourceKind

GROUP_NAMES = {
    "lived": N_("People with lived experience"),
    "staff": N_("Staff"),
    "other": N_("Other people"),
    "all": N_("Everyone who answered"),
}
GROUPS_IN_SENTENCE = {
    "lived": N_("people with lived experience"),
    "staff": N_("staff"),
    "other": N_("other people"),
    "all": N_("everyone who answered"),
}
PHASE_NAMES = {
    "idea": N_("The idea"),
    "design": N_("Planning and design"),
    "deliv": N_("Delivery"),
    "review": N_("Review"),
}
INDICATOR_NAMES = {
    "early": N_("Involved before a solution was chosen"),
    "reward": N_("Rewarded for their time"),
    "access": N_("Accessible formats offered"),
    "feedback": N_("Told what changed because of them"),
}
THEME_NAMES = {
    "diversity": N_("Everyone is included"),
    "equality": N_("Everyone has something to offer"),
    "accessibility": N_("No barriers"),
    "reciprocity": N_("Everyone benefits"),
    "indicators": N_("Key indicators"),
}
RAG_NAMES = {"red": N_("Red"), "amber": N_("Amber"), "green": N_("Green")}
#: The words of the cover and of "About the ladder": one copy for the HTML (and PDF)
#: report and the Markdown, which show the same facts under the same names
HEADINGS = {
    "organisation": N_("Organisation"),
    "subjects": N_("Subjects"),
    "no-subjects": N_("None: there are no responses to report on."),
    "rounds": N_("Rounds"),
    "made-on": N_("Report made on"),
    "sources": N_("Where the data came from"),
    "ladder": N_("Ladder"),
    "privacy": N_("Privacy"),
    "about-ladder": N_("About the ladder"),
    "rungs": N_("The rungs, lowest first"),
    "rung": N_("Rung"),
    "meaning": N_("What it means"),
    "based-on": N_("What the questionnaires are based on"),
}
#: How each report says where its data came from (:class:`~.view.Source`); the fields
#: are the source's facts, shown as given
SOURCE_WORDS: dict[SourceKind, str] = {
    "deployment": N_("{platform} ({profile}): {remote_id}, {instrument} {version}, round {round}"),
    "imported-deployment": N_(
        "{platform} ({profile}): {remote_id}, {instrument} {version}, round {round}, "
        "imported from {file}"
    ),
    "responses-file": N_("responses file {name}"),
    "standard-input": N_("standard input"),
    "no-deployment": N_("responses imported without a deployment"),
    "demo": N_("made-up responses from coprod demo, seed {seed}"),
}
MONTHS = (
    N_("January"),
    N_("February"),
    N_("March"),
    N_("April"),
    N_("May"),
    N_("June"),
    N_("July"),
    N_("August"),
    N_("September"),
    N_("October"),
    N_("November"),
    N_("December"),
)


class Labels:
    """Every name a report shows, in one language."""

    def __init__(self, words: Words, model: LadderModel) -> None:
        self.words = words
        self.lang = words.lang
        self.model = model

    # --- from the instruments ----------------------------------------------------

    def text(self, instrument: Instrument, text: Text | None, code: str) -> Said:
        """``text`` in the report's language, else the instrument's own, else the code."""
        if not text:
            return Said(code, self.lang)
        if self.lang in text:
            return Said(text[self.lang], self.lang, own=True)
        lang = (
            instrument.default_language if instrument.default_language in text else next(iter(text))
        )
        return Said(text[lang], lang, own=True)

    @cached_property
    def _reflection(self) -> Instrument:
        return builtin_instrument("self-reflection")

    @cached_property
    def _checklist(self) -> Instrument:
        return builtin_instrument("checklist")

    @cached_property
    def _ladder_check(self) -> Instrument:
        return builtin_instrument("ladder-check")

    def instrument(self, instrument_id: str) -> Said:
        found = {
            "self-reflection": self._reflection,
            "checklist": self._checklist,
            "ladder-check": self._ladder_check,
        }.get(instrument_id)
        if found is None:  # only the built-ins are scored; any other id is its own name
            return Said(instrument_id, self.lang)
        return self.text(found, found.title, instrument_id)

    def based_on(self, reported: Iterable[str]) -> list[tuple[Said, tuple[str, ...]]]:
        """(the title, the sources it is based on) for each built-in in ``reported``.

        The credits live here and in each instrument's ``attribution``, not on the
        forms' end pages. The sources are in English (they name English titles).
        """
        ids = set(reported)
        return [
            (self.instrument(i), tuple(builtin_instrument(i).attribution))
            for i in BUILTIN_IDS
            if i in ids
        ]

    def principle(self, code: str) -> Said:
        i = self._reflection
        section = next((s for s in i.sections if s.code == code), None)
        return self.text(i, section.title if section else None, code)

    def _choice(self, instrument: Instrument, question: str, code: str) -> Said:
        try:
            q = instrument.question(question)
        except KeyError:
            return Said(code, self.lang)
        found = next((c for c in instrument.choices_for(q) if c.code == code), None)
        return self.text(instrument, found.label if found else None, code)

    def stage(self, stage: int | str, principle: str = "assets") -> Said:
        """A stage's name ("Getting there"), from the principle's own stage question."""
        return self._choice(self._reflection, f"{principle}Stage", str(stage))

    def level(self, level: int | str) -> Said:
        """A ladder-check involvement level's name ("Decided together")."""
        return self._choice(self._ladder_check, "ideaInv", str(level))

    def answer(self, code: str) -> Said:
        """A checklist answer's name ("Partly agree")."""
        return self._choice(self._checklist, "diversity", code)

    def statement(self, code: str) -> Said:
        i = self._checklist
        for _, _, q in i.iter_questions():
            for row in q.rows or ():
                if row.code == code:
                    return self.text(i, row.label, code)
        return Said(code, self.lang)

    def phase_question(self, phase: str) -> Said:
        i = self._ladder_check
        try:
            q = i.question(f"{phase}Inv")
        except KeyError:
            return Said(phase, self.lang)
        return self.text(i, q.label, phase)

    # --- the report's own words ------------------------------------------------------

    def _own(self, names: dict[str, str], code: str) -> Said:
        return self.words.said(names[code]) if code in names else Said(code, self.lang)

    def group(self, code: str) -> Said:
        return self._own(GROUP_NAMES, code)

    def group_in_sentence(self, code: str) -> Said:
        return self._own(GROUPS_IN_SENTENCE, code)

    def phase(self, code: str) -> Said:
        return self._own(PHASE_NAMES, code)

    def indicator(self, code: str) -> Said:
        return self._own(INDICATOR_NAMES, code)

    def theme(self, code: str) -> Said:
        return self._own(THEME_NAMES, code)

    def rag(self, code: str) -> Said:
        return self._own(RAG_NAMES, code)

    def heading(self, code: str) -> Said:
        """A name on the cover or in "About the ladder" (:data:`HEADINGS`)."""
        return self._own(HEADINGS, code)

    def source(self, source: Source | str) -> str:
        """Where data came from, in one line: a :class:`~.view.Source` in the report's
        language, its facts as given (escape them where they are shown); a text as it is."""
        if isinstance(source, str):
            return source
        return self.words.gettext(SOURCE_WORDS[source.kind]).format(**dict(source.facts))

    def subject(self, name: str, given: bool = True) -> Said:
        """A subject's name as written, or the words for none given."""
        return Said(name, self.lang) if given else self.words.said(N_("No subject given"))

    def privacy(self, k: int) -> str:
        """The privacy threshold ``k`` in a sentence."""
        return self.words.ngettext(
            "A group of fewer than %(num)d person is never shown on its own.",
            "Groups of fewer than %(num)d people are never shown on their own.",
            k,
        ) % {"num": k}

    def from_people(self, count: int) -> str:
        """How many people a result is from: "from 18 people"."""
        return self.words.ngettext("from %(num)d person", "from %(num)d people", count) % {
            "num": count
        }

    def more_actions(self, count: int) -> str:
        """The line after a subject's first action plans when ``count`` more were left out
        (the command that makes the spreadsheet of them all follows it)."""
        return self.words.ngettext(
            "There is {count} more action. To see it, make a spreadsheet with this command:",
            "There are {count} more actions. To see them all, make a spreadsheet with this "
            "command:",
            count,
        ).format(count=f"{count:,}")

    def not_scored(self, instrument: str, count: int) -> str:
        """The line that says ``count`` responses to ``instrument`` (a key of
        ``Results.unscored``, as stored: escape it where it is shown) were not scored."""
        return self.words.ngettext(
            "Not scored: {count} response to “{instrument}” (not a built-in "
            "instrument, or a version the scorer does not know).",
            "Not scored: {count} responses to “{instrument}” (not a built-in "
            "instrument, or a version the scorer does not know).",
            count,
        ).format(count=count, instrument=instrument)

    # --- the ladder (built-in ladders' words are in the catalogue) --------------------

    def rung(self, rung_id: str | None) -> Said:
        if rung_id is None:
            return self.words.said(N_("Not enough answers"))
        found = next((r for r in self.model.rungs if r.id == rung_id), None)
        return self.words.said(_one_line(found.label)) if found else Said(rung_id, self.lang)

    def rung_description(self, rung_id: str) -> Said:
        found = next((r for r in self.model.rungs if r.id == rung_id), None)
        return self.words.said(_one_line(found.description)) if found else Said("", self.lang)

    def ladder_title(self) -> Said:
        return self.words.said(_one_line(self.model.title))

    def ladder_description(self) -> Said:
        return self.words.said(_one_line(self.model.description))

    def month(self, month: int) -> str:
        return self.words.gettext(MONTHS[month - 1])

    def date(self, day: date) -> str:
        """``day`` as the cover says it: "9 March 2026"."""
        return f"{day.day} {self.month(day.month)} {day.year}"


def _one_line(text: str) -> str:
    """A ladder text as its message id: YAML's folded lines joined, spaces collapsed."""
    return " ".join(text.split())


__all__ = [
    "GROUP_NAMES",
    "HEADINGS",
    "INDICATOR_NAMES",
    "PHASE_NAMES",
    "RAG_NAMES",
    "SOURCE_WORDS",
    "THEME_NAMES",
    "Labels",
]
