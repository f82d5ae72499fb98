"""CSV: one long table (a row per measure), safe to open in a spreadsheet; and the
readers' sheet of action plans (:func:`actions_pieces`), a row per action.

Both sheets write every cell through :func:`safe_cell`, the one place that makes a cell
safe. Text, which may be a respondent's (subjects, rounds, action plans), is made one line
(:func:`~coprod_connectors.safety.one_line`): every control character and bidi override
an escape (``\\x1b``, ``\\u202e``), and runs of whitespace, line breaks included, one
space, so a row of either sheet is one line of the file (``grep``, ``wc -l`` and ``head``
see rows; the exact text, line breaks and all, is in ``--format json``). Letters
(Welsh ``ŵ``, ``ŷ``), commas and quotes stay as written; the csv module quotes them.
A cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return would be
read as a formula by Excel, LibreOffice or Google Sheets; such cells get a single quote
in front, so they show as the text that was written.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

from coprod_connectors.report.i18n import N_, words
from coprod_connectors.report.labels import Labels
from coprod_connectors.report.view import ReportContext, ladder_of, subjects
from coprod_connectors.safety import one_line
from coprod_connectors.scoring.models import (
    ChecklistResult,
    LadderCheckResult,
    Result,
    Results,
    SelfReflectionResult,
)

HEADER = (
    "instrument",
    "subject",
    "round",
    "respondents",
    "rung",
    "rung_index",
    "section",
    "item",
    "group",
    "measure",
    "value",
)
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")

Cell = str | int | float | bool | None
Row = tuple[str, str, str, str, Cell]


def safe_cell(value: object) -> str:
    """The cell's text: a number as it is; anything else (a str, a label) is text, made
    one line with control characters escaped (:func:`~coprod_connectors.safety.one_line`);
    then a quote in front when a spreadsheet would run it as a formula."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str) or not isinstance(value, (int, float)):
        text = one_line(value)
    else:
        text = str(value)
    if text.startswith(_FORMULA_START):
        return "'" + text
    return text


def to_csv(results: Results) -> str:
    """Every result as rows of (where, what, value), each cell made safe (:func:`safe_cell`)."""
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(_all_rows(results))
    return out.getvalue()


#: :func:`csv_pieces` hands over its text once it has this many characters or more.
PIECE = 1 << 16


def csv_pieces(results: Results) -> Iterator[str]:
    """:func:`to_csv`'s text in pieces of about :data:`PIECE` characters, as the rows are
    made: a report with millions of rows is written without ever holding its whole text."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    for row in _all_rows(results):
        writer.writerow(row)
        if out.tell() >= PIECE:
            yield out.getvalue()
            out.seek(0)
            out.truncate()
    yield out.getvalue()


#: The columns of the action-plan sheet, in the report's language.
ACTIONS_HEADER = (
    N_("Subject"),
    N_("Round"),
    N_("Principle"),
    N_("What"),
    N_("Who"),
    N_("By when"),
    N_("How"),
)


def actions_pieces(
    results: Results, *, lang: str = "en", context: ReportContext | None = None
) -> Iterator[str]:
    """Every action-plan row, one a line, for readers (``coprod report --format actions``):
    the columns in ``lang``, the subject and round, the principle by its label, then what,
    who, when and how as written. Subjects in the reports' order, newest round first, so
    the first rows are the ones the HTML and Markdown reports list.

    Respondents' text is made one line, control characters escaped and formula-safe, by
    :func:`safe_cell` as in :func:`csv_pieces`. In pieces of about :data:`PIECE` characters, as
    :func:`csv_pieces`: the rows already held in ``results`` are never copied whole.
    ``context``: only its ladder is used (:func:`~.view.ladder_of`)."""
    said = words(lang)
    labels = Labels(said, ladder_of(results, context))
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([said.gettext(h) for h in ACTIONS_HEADER])
    for view in subjects(results):
        name = labels.subject(view.name, view.name_given)
        for round_, action in view.iter_actions():
            principle = labels.principle(action.principle) if action.principle else ""
            cells = (name, round_, principle, action.what, action.who, action.when, action.how)
            writer.writerow([safe_cell(c) for c in cells])
            if out.tell() >= PIECE:
                yield out.getvalue()
                out.seek(0)
                out.truncate()
    yield out.getvalue()


def _all_rows(results: Results) -> Iterator[list[str]]:
    """The header, then every result's rows, each cell made safe (:func:`safe_cell`)."""
    yield list(HEADER)
    for result in results.results:
        head = [
            safe_cell(c)  # once a result, not once a row
            for c in (
                result.instrument,
                result.subject,
                result.round,
                result.respondents,
                result.rung,
                result.rung_index,
            )
        ]
        for row in _rows(result):
            yield [*head, *(safe_cell(c) for c in row)]


def _rows(result: Result) -> Iterator[Row]:
    for i, reason in enumerate(result.reasons, start=1):
        yield ("reason", str(i), "", "text", reason)
    if result.next_rung is not None:
        for change in result.next_rung.changes:
            yield ("next_rung", result.next_rung.rung, "", "change", change)
    for name, value in result.data_quality.model_dump().items():
        yield ("data_quality", "", "", name, value)
    if isinstance(result, SelfReflectionResult):
        yield from _self_reflection(result)
    elif isinstance(result, ChecklistResult):
        yield from _checklist(result)
    elif isinstance(result, LadderCheckResult):
        yield from _ladder_check(result)


def _self_reflection(result: SelfReflectionResult) -> Iterator[Row]:
    for p, s in result.principles.items():
        for name in ("stage", "median", "answered", "missing", "invalid", "rag_contradictions"):
            yield ("principle", p, "all", name, getattr(s, name))
        yield ("principle", p, "all", "lowered_by_lived_experience", s.lowered_by_lived_experience)
        for stage, count in s.distribution.items():
            yield ("principle", p, "all", f"stage_{stage}", count)
        for rag, count in s.rag.items():
            yield ("principle", p, "all", f"rag_{rag}", count)
    for group, view in result.perspectives.items():
        yield ("perspective", "", group, "respondents", view.respondents)
        for p, item in view.principles.items():
            yield ("principle", p, group, "median", item.median)
            yield ("principle", p, group, "answered", item.answered)
            for stage, count in item.distribution.items():
                yield ("principle", p, group, f"stage_{stage}", count)
    for i, action in enumerate(result.actions, start=1):
        for name in ("principle", "what", "who", "when", "how"):
            yield ("action", str(i), "", name, getattr(action, name))


def _checklist(result: ChecklistResult) -> Iterator[Row]:
    a = result.agreement
    for name in ("share", "agreed", "total", "achieved"):
        yield ("agreement", "", "all", name, getattr(a, name))
    yield ("agreement", "", "all", "basis", " ".join(a.basis))
    for code, s in result.statements.items():
        for name in ("theme", "mean", "agreed", "answered", "dont_know", "missing", "invalid"):
            yield ("statement", code, "all", name, getattr(s, name))
    for group, view in result.perspectives.items():
        yield ("perspective", "", group, "respondents", view.respondents)
        yield ("agreement", "", group, "share", view.share)
        for code, g in view.statements.items():
            yield ("statement", code, group, "mean", g.mean)
            yield ("statement", code, group, "agreed", g.agreed)


def _ladder_check(result: LadderCheckResult) -> Iterator[Row]:
    for phase, s in result.phases.items():
        for name in ("level", "answered", "missing", "invalid"):
            yield ("phase", phase, "all", name, getattr(s, name))
        for lvl, count in s.distribution.items():
            yield ("phase", phase, "all", f"level_{lvl}", count)
    for code, ind in result.indicators.items():
        for name in ("yes", "no", "missing", "invalid"):
            yield ("indicator", code, "all", name, getattr(ind, name))
    for group, view in result.perspectives.items():
        yield ("perspective", "", group, "respondents", view.respondents)
        for phase, item in view.phases.items():
            yield ("phase", phase, group, "median", item.median)
            yield ("phase", phase, group, "answered", item.answered)
