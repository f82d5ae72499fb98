"""What every report shows, worked out once from scored results (no formatting here).

The reports never see a response: only :class:`~coprod_connectors.scoring.Results`,
in which a perspective group smaller than the privacy threshold is already
absent. Everything here is plain data for the templates and writers.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from itertools import islice
from typing import Literal

from coprod_connectors.ladder import LadderModel, load_ladder
from coprod_connectors.scoring.models import (
    Action,
    ChecklistResult,
    Result,
    Results,
    SelfReflectionResult,
)

#: The most action-plan rows a subject shows in the reports people read (HTML, PDF,
#: Markdown): more than a small service writes (the demo's largest subject has 36), few
#: enough to read on a phone and print in a few pages. The rest are counted in one line
#: that says how to get them all; CSV and JSON, for analysts, keep every row.
SHOWN_ACTIONS = 50
#: How to get every action-plan row, when nothing more is known of the report: the
#: readers' sheet (``--format actions``) has them all, one row an action.
ALL_ACTIONS_COMMAND = "coprod report --format actions -o actions.csv"


#: What a :class:`Source` is; each report says it in its language (:data:`.labels.SOURCE_WORDS`).
SourceKind = Literal[
    "deployment", "imported-deployment", "responses-file", "standard-input", "no-deployment", "demo"
]


@dataclass(frozen=True)
class Source:
    """Where responses came from, as facts: a report says it in its own language
    (:meth:`.labels.Labels.source`), the facts (platform and deployment names, file names:
    stored or outside data) filled in as given and escaped where they are shown."""

    kind: SourceKind
    facts: tuple[tuple[str, str], ...] = ()

    @classmethod
    def of(cls, kind: SourceKind, **facts: object) -> Source:
        return cls(kind, tuple((name, str(value)) for name, value in facts.items()))


@dataclass(frozen=True)
class ReportContext:
    """What the results do not know: who the report is for, when it was made, from what."""

    organisation: str | None = None
    made_on: date | None = None
    #: where the data came from: platforms and deployments, import files (a text is
    #: shown as it is, in every language; a :class:`Source` in the report's)
    sources: tuple[Source | str, ...] = field(default_factory=tuple)
    #: the words after ``coprod`` that made the results (``report --store PATH``...): the
    #: reports show them in the command that gives every action-plan row
    command: tuple[str, ...] | None = None
    #: the ladder the results were placed on, given when it may not be a built-in (a
    #: ladder file): the results keep only its id. None: the built-in of that id
    ladder: LadderModel | None = None


def shell_word(text: str) -> str:
    """``text`` as one word a POSIX shell reads back as ``text``: :func:`shlex.quote`;
    a text holding a control character, a bidi override or a line break is written in
    ``$'...'`` quotes (bash, zsh, ksh; POSIX since 2024) with those as escapes, so the
    command is shown, copied and pasted on one line and never prints them raw."""
    import shlex

    from coprod_connectors.safety import printable

    if printable(text) == text:
        return shlex.quote(text)
    escaped = "".join("\\\\" if c == "\\" else "\\'" if c == "'" else _escaped(c) for c in text)
    return f"$'{escaped}'"


def _escaped(char: str) -> str:
    """``char`` inside ``$'...'``: as it is when :func:`printable` leaves it, else as an
    escape; a byte a file name held that is not UTF-8 (surrogateescape) as that byte."""
    from coprod_connectors.safety import escape_char, printable

    if printable(char) == char:
        return char
    code = ord(char)
    if 0xDC80 <= code <= 0xDCFF:
        return f"\\x{code - 0xDC00:02x}"
    return escape_char(char)


def all_actions_command(
    arguments: Sequence[str] | None, *, lang: str = "en", output: str = "actions.csv"
) -> str:
    """The command that writes every action-plan row of a report in ``lang`` as a sheet
    to ``output``. ``arguments`` are the words after ``coprod`` that made the report's
    results (``report --store PATH --subject NAME``, ``score FILE``); None when they are
    not known (:data:`ALL_ACTIONS_COMMAND`'s). Each word is quoted for a shell
    (:func:`shell_word`)."""
    words = ["coprod", *(arguments or ("report",)), "--format", "actions"]
    if lang != "en":
        words += ["--lang", lang]
    return " ".join(shell_word(w) for w in (*words, "-o", output))


@dataclass
class SubjectView:
    """One subject: its results by instrument, rounds oldest first."""

    name: str
    rounds: list[str]
    by_instrument: dict[str, list[Result]] = field(default_factory=dict)
    #: False when the responses named no subject (``name`` is then a placeholder)
    name_given: bool = True

    def latest(self, instrument: str) -> Result | None:
        results = self.by_instrument.get(instrument, [])
        return results[-1] if results else None

    @property
    def latest_round(self) -> str:
        return self.rounds[-1]

    @property
    def shown_actions(self) -> list[tuple[str, Action]]:
        """The first :data:`SHOWN_ACTIONS` of :meth:`iter_actions`: what a reader's report
        lists."""
        return list(islice(self.iter_actions(), SHOWN_ACTIONS))

    @property
    def more_actions(self) -> int:
        """How many action plan rows :attr:`shown_actions` leaves out."""
        return max(0, sum(len(r.actions) for r in self._reflections()) - SHOWN_ACTIONS)

    def _reflections(self) -> Iterator[SelfReflectionResult]:
        """The self-reflection results, newest round first."""
        for result in reversed(self.by_instrument.get("self-reflection", [])):
            if isinstance(result, SelfReflectionResult):
                yield result

    def iter_actions(self) -> Iterator[tuple[str, Action]]:
        """Every action plan row (round, action), newest round first, one at a time."""
        for result in self._reflections():
            yield from ((result.round, a) for a in result.actions)


def subjects(results: Results) -> list[SubjectView]:
    """Results grouped by subject (in the results' order), then instrument, rounds in order."""
    views: dict[str, SubjectView] = {}
    for result in results.results:
        name = result.subject or "(no subject given)"
        view = views.setdefault(
            name, SubjectView(name=name, rounds=[], name_given=bool(result.subject))
        )
        view.by_instrument.setdefault(result.instrument, []).append(result)
        if result.round not in view.rounds:
            view.rounds.append(result.round)
    for view in views.values():
        view.rounds.sort()
        for items in view.by_instrument.values():
            items.sort(key=lambda r: r.round)
    return list(views.values())


def ladder_of(results: Results, context: ReportContext | None = None) -> LadderModel:
    """The ladder ``results`` were placed on: ``context``'s when it is that ladder (the
    same id), else the built-in ladder of the results' id."""
    if context is not None and context.ladder is not None and context.ladder.id == results.ladder:
        return context.ladder
    return load_ladder(results.ladder)


def themes_by_code(result: ChecklistResult) -> list[tuple[str, int, int, int]]:
    """(theme code, agreed, answered statements, all statements) per theme."""
    rows: dict[str, list[int]] = {}
    for s in result.statements.values():
        row = rows.setdefault(s.theme, [0, 0, 0])
        row[0] += s.agreed
        row[1] += s.answered > 0
        row[2] += 1
    return [(t, a, b, c) for t, (a, b, c) in rows.items()]


__all__ = [
    "ALL_ACTIONS_COMMAND",
    "SHOWN_ACTIONS",
    "ReportContext",
    "Source",
    "SourceKind",
    "SubjectView",
    "all_actions_command",
    "ladder_of",
    "shell_word",
    "subjects",
    "themes_by_code",
]
