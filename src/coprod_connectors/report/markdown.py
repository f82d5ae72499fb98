"""Markdown: the HTML report's words, for a wiki, an email or a pull request.

It speaks as the HTML report and the terminal summary do: in the report's language
(``lang``, from the same gettext catalogues), every principle, statement, phase and
rung by its label, the reasons in plain words from the same
:class:`~coprod_connectors.report.explain.Explainer`; the codes and the scorer's own
reasons only under each result's "Analyst details". Shared on its own, it says what
the HTML's cover says (under the same names, :data:`~.labels.HEADINGS`) and ends, as
the HTML does, with "About the ladder" (what each rung means) and the credits.

Every text is escaped for Markdown and for the HTML a Markdown renderer passes
through (respondents' free text above all); the report's own markup is added after.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence

from coprod_connectors.report.explain import Explainer
from coprod_connectors.report.i18n import words
from coprod_connectors.report.labels import Labels
from coprod_connectors.report.view import (
    ReportContext,
    SubjectView,
    all_actions_command,
    ladder_of,
    subjects,
    themes_by_code,
)
from coprod_connectors.scoring.models import (
    ChecklistResult,
    LadderCheckResult,
    Result,
    Results,
    SelfReflectionResult,
)

# inline markup anywhere in a line; block markup (lists, headings, quotes) only at its start
#: what an empty cell shows (an en dash, as in the HTML report)
NOTHING = "\u2013"
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]|~])")
_MD_LINE_START = re.compile(r"^(\s*)([-+#>]|(\d+)([.)]))")


def md_text(value: object) -> str:
    """Free text made inert: HTML escaped, Markdown characters backslashed, one line."""
    text = " ".join(str(value).split())
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    text = _MD_SPECIAL.sub(r"\\\1", text)
    return _MD_LINE_START.sub(_escape_line_start, text)


def _escape_line_start(match: re.Match[str]) -> str:
    if match.group(3):  # "1." or "1)": escape the punctuation, as CommonMark wants
        return f"{match.group(1)}{match.group(3)}\\{match.group(4)}"
    return f"{match.group(1)}\\{match.group(2)}"


def _code(value: object) -> str:
    """A code in a code span; one that could end the span or a table cell (a backtick,
    a bar: never in the codes the models allow) as escaped text instead."""
    text = " ".join(str(value).split())
    return f"`{text}`" if text and not set(text) & set("`|\\") else md_text(text)


def _code_text(value: str) -> str:
    """Our own reason text: keeps `code` spans, escapes everything else, keeps the spaces."""
    parts = value.split("`")
    out = []
    for i, part in enumerate(parts):
        if i % 2:
            out.append(f"`{part}`")
            continue
        lead = " " if part[:1].isspace() else ""
        trail = " " if part[-1:].isspace() and part.strip() else ""
        out.append(lead + md_text(part) + trail)
    return "".join(out)


def to_markdown(
    results: Results,
    *,
    title: str | None = None,
    lang: str = "en",
    context: ReportContext | None = None,
) -> str:
    """The whole report as one text (:func:`markdown_pieces` gives the same text in pieces).
    ``context``: the cover's facts (those not given are left out), and the words after
    ``coprod`` that made ``results``, for the command that gives every action-plan row
    (:func:`~coprod_connectors.report.view.all_actions_command`)."""
    return "\n".join(_lines(results, title, lang, context)).rstrip("\n") + "\n"


def markdown_pieces(
    results: Results,
    *,
    title: str | None = None,
    lang: str = "en",
    context: ReportContext | None = None,
) -> Iterator[str]:
    """:func:`to_markdown`'s text, a line at a time: a report with tens of thousands of
    action-plan rows is written without ever holding its whole text or all its lines."""
    return joined_lines(_lines(results, title, lang, context))


def joined_lines(lines: Iterable[str]) -> Iterator[str]:
    """``"\\n".join(lines).rstrip("\\n") + "\\n"`` in pieces, a line at a time."""
    newlines = ""  # held back: the text's trailing line breaks become one
    first = True
    for line in lines:
        piece = line if first else "\n" + line
        first = False
        kept = piece.rstrip("\n")
        if kept:
            yield newlines + kept
            newlines = piece[len(kept) :]
        else:
            newlines += piece
    yield "\n"


class Inert(str):
    """Markdown of our own making, already safe: a table cell written as it is."""

    __slots__ = ()


def _row(cells: Iterable[object]) -> str:
    """A table row, every cell made inert (but an :class:`Inert` one, made so already)."""
    return "| " + " | ".join(c if isinstance(c, Inert) else md_text(c) for c in cells) + " |"


def _table(
    caption: object, header: Sequence[object], rows: Iterable[list[object]]
) -> Iterator[str]:
    """A table with its caption above it (in italics) and a blank line after it."""
    yield from (f"*{md_text(caption)}*", "", _row(header), "|" + " --- |" * len(header))
    yield from (_row(row) for row in rows)
    yield ""


def _lines(
    results: Results, title: str | None, lang: str, context: ReportContext | None
) -> Iterator[str]:
    context = context or ReportContext()
    said = words(lang)
    labels = Labels(said, ladder_of(results, context))
    explainer = Explainer(labels)
    _ = said.gettext
    views = subjects(results)
    yield from (f"# {md_text(title or _('Co-production report'))}", "")
    yield from _cover(results, views, labels, context)  # it says when there is nothing
    for instrument, count in results.unscored.items():  # as the terminal summary says it
        yield from (md_text(labels.not_scored(instrument, count)), "")
    command = all_actions_command(context.command, lang=lang)
    for view in views:
        yield from (f"## {md_text(labels.subject(view.name, view.name_given))}", "")
        yield from _table(
            _("The rung in each round"),
            [_("Tool"), *view.rounds],
            (
                [
                    labels.instrument(instrument),
                    *(_rung_in(items, r, labels) for r in view.rounds),
                ]
                for instrument, items in view.by_instrument.items()
            ),
        )
        for instrument in view.by_instrument:
            result = view.latest(instrument)
            if result is not None:
                yield from _result(result, view, explainer, results)
        yield from _actions(view, labels, command)
    yield from _about_ladder(labels)
    yield from _based_on(labels, results)


def _cover(
    results: Results, views: list[SubjectView], labels: Labels, context: ReportContext
) -> Iterator[str]:
    """The HTML report's cover as a list, its facts under the same names and in the same
    order; the organisation, the date and the sources only when they are given."""

    def fact(name: str, value: object = "") -> str:
        text = md_text(value)
        return f"- **{md_text(labels.heading(name))}:**" + (f" {text}" if text else "")

    def listed(values: Iterable[object]) -> Iterator[str]:
        return (f"  - {text}" for text in map(md_text, values) if text)

    if md_text(context.organisation or ""):
        yield fact("organisation", context.organisation)
    if views:
        yield fact("subjects")
        yield from listed(labels.subject(v.name, v.name_given) for v in views)
    else:
        yield fact("subjects", labels.heading("no-subjects"))
    yield fact("rounds", ", ".join(sorted({r.round for r in results.results})) or NOTHING)
    if context.made_on is not None:
        yield fact("made-on", labels.date(context.made_on))
    sources = [labels.source(source) for source in context.sources]
    if any(md_text(source) for source in sources):
        yield fact("sources")
        yield from listed(sources)
    yield from (
        fact("ladder", labels.ladder_title()),
        fact("privacy", labels.privacy(results.k)),
        "",
    )


def _about_ladder(labels: Labels) -> Iterator[str]:
    """As the HTML ends: what the ladder is, then what each rung means, lowest first."""
    yield from (f"## {md_text(labels.heading('about-ladder'))}", "")
    described = md_text(labels.ladder_description())
    if described:
        yield from (described, "")
    yield from _table(
        labels.heading("rungs"),
        [labels.heading("rung"), labels.heading("meaning")],
        ([labels.rung(r.id), labels.rung_description(r.id)] for r in labels.model.rungs),
    )


def _based_on(labels: Labels, results: Results) -> Iterator[str]:
    """The credits, as the HTML ends: what each questionnaire reported is based on."""
    found = labels.based_on(r.instrument for r in results.results)
    if not found:
        return
    yield from (f"## {md_text(labels.heading('based-on'))}", "")
    for title, sources in found:
        yield from (f"### {md_text(title)}", "")
        yield from (f"- {md_text(source)}" for source in sources)
        yield ""


def _rung_in(items: list[Result], round_: str, labels: Labels) -> object:
    found = next((r for r in items if r.round == round_), None)
    return labels.words.gettext("no responses") if found is None else labels.rung(found.rung)


def _result(
    result: Result, view: SubjectView, explainer: Explainer, results: Results
) -> Iterator[str]:
    """One result in plain words; the codes and the scorer's reasons under "Analyst details"."""
    labels = explainer.labels
    _ = labels.words.gettext
    explained = explainer.explain(result)
    yield from (
        f"### {md_text(labels.instrument(result.instrument))} ({md_text(result.round)})",
        "",
        f"**{md_text(explained.rung)}** ({md_text(labels.from_people(result.respondents))})",
        "",
        f"**{md_text(_('Why this rung'))}**",
        "",
        *(f"- {md_text(r)}" for r in explained.reasons),
        "",
    )
    if explained.next_rung is not None:
        goal = f"{_('What would reach the next rung:')} {explained.next_rung}"
        yield from (f"**{md_text(goal)}**", "")
        yield from (f"- {md_text(c)}" for c in explained.changes)
        yield ""
    _kind, trend = explainer.trend(view.by_instrument[result.instrument])
    yield from (f"**{md_text(_('Since the round before:'))}** {md_text(trend)}", "")
    yield from _numbers(result, explainer)
    dq = result.data_quality
    not_counted = _(
        "Not counted: %(missing)d answers missing, %(invalid)d not one of the choices, "
        "%(unknown)d to questions the tool does not have, %(duplicates)d repeated responses."
    ) % {
        "missing": dq.missing,
        "invalid": dq.invalid,
        "unknown": dq.unknown_codes,
        "duplicates": dq.duplicates,
    }
    yield from (md_text(not_counted), "")
    yield from _analyst_details(result, labels, results)


def _numbers(result: Result, explainer: Explainer) -> Iterator[str]:
    """The result's numbers in a table: stages by principle, levels by phase, or themes."""
    labels = explainer.labels
    _ = labels.words.gettext
    groups = [f"{labels.group(g)} ({p.respondents})" for g, p in result.perspectives.items()]
    everyone = str(labels.group("all"))
    if isinstance(result, SelfReflectionResult):
        yield from _table(
            _("Stages chosen for each principle, by group"),
            [_("Principle"), everyone, *groups],
            (
                [
                    labels.principle(code),
                    _num(score.stage)
                    + (f" ({_('lowered')})" if score.lowered_by_lived_experience else ""),
                    *(_num(p.principles[code].median) for p in result.perspectives.values()),
                ]
                for code, score in result.principles.items()
            ),
        )
    elif isinstance(result, LadderCheckResult):
        yield from _table(
            _(
                "How people with lived experience were involved in each phase "
                "(0 not involved, up to 4 equal partners)"
            ),
            [_("Phase"), everyone, *groups],
            (
                [
                    labels.phase(code),
                    _num(score.level)
                    + ("" if score.level is None else f" ({labels.level(score.level)})"),
                    *(_num(p.phases[code].median) for p in result.perspectives.values()),
                ]
                for code, score in result.phases.items()
            ),
        )
    elif isinstance(result, ChecklistResult):
        a = result.agreement
        achieved = _("Achieved: yes.") if a.achieved else _("Achieved: not yet.")
        agreed = _("Statements agreed by everyone who answered:")
        share = explainer.share(a.agreed, a.total)
        yield from (f"{md_text(agreed)} {md_text(share)}. {md_text(achieved)}", "")
        yield from _table(
            _("Statements agreed, by theme"),
            [_("Theme"), _("Statements agreed"), _("Statements anyone answered"), _("Statements")],
            ([labels.theme(t), *counts] for t, *counts in themes_by_code(result)),
        )


def _analyst_details(result: Result, labels: Labels, results: Results) -> Iterator[str]:
    """The codes and the scorer's own reasons (in English), folded away as in the HTML."""
    _ = labels.words.gettext
    yield from (
        f"<details><summary>{md_text(_('Analyst details: codes and rules'))}</summary>",
        "",
        md_text(
            _(
                "The reasons as the scorer gives them (in English, with the codes the data "
                "files use):"
            )
        ),
        "",
        *(f"- {_code_text(r)}" for r in result.reasons),
        "",
    )
    if result.next_rung is not None:
        yield from (f"{md_text(_('Next rung'))}: {_code(result.next_rung.rung)}", "")
        yield from (f"- {_code_text(c)}" for c in result.next_rung.changes)
        yield ""
    facts = [
        f"{md_text(_('Tool'))}: {_code(result.instrument)}",
        f"{md_text(_('rung'))}: {_code(result.rung or 'null')}",
        f"{md_text(_('ladder'))}: {_code(results.ladder)}",
        f"k = {results.k}",
    ]
    if isinstance(result, ChecklistResult):
        facts.append(f"s = {result.agreement.share:.2f}")
    yield from ("; ".join(facts), "")
    if isinstance(result, SelfReflectionResult):
        codes = [(c, labels.principle(c)) for c in result.principles]
    elif isinstance(result, ChecklistResult):
        codes = [(c, labels.statement(c)) for c in result.statements]
    else:
        codes = [(c, labels.phase(c)) for c in result.phases]
    yield from _table(
        _("Codes and what they stand for"),
        [_("Code"), _("Label")],
        ([Inert(_code(c)), name] for c, name in codes),
    )
    yield from ("</details>", "")


def _actions(view: SubjectView, labels: Labels, command: str) -> Iterator[str]:
    """The first action plans as people wrote them (escaped), then how to get them all."""
    actions = view.shown_actions
    if not actions:
        return
    _ = labels.words.gettext
    yield from (f"### {md_text(_('Action plans people wrote'))}", "")
    yield from _table(
        _("Actions from the self-reflection, as written (newest round first)"),
        [_("Round"), _("Principle"), _("What"), _("Who"), _("By when"), _("How")],
        (
            [
                round_,
                labels.principle(a.principle) if a.principle else NOTHING,
                *(value or NOTHING for value in (a.what, a.who, a.when, a.how)),
            ]
            for round_, a in actions
        ),
    )
    if view.more_actions:
        more = md_text(labels.more_actions(view.more_actions))
        yield from (f"{more} {code_span(command)}", "")


def code_span(text: str) -> str:
    """``text`` (one line) in a code span that nothing in it can end: fenced by one
    backtick more than its longest run of them, spaced when it starts or ends with one."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if text[:1] == "`" or text[-1:] == "`" else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def _num(value: int | None) -> str:
    return NOTHING if value is None else str(value)
