"""Markdown: the same content as the HTML report, for a wiki, an email or a pull request.

Free text is escaped for Markdown and for the HTML a Markdown renderer passes through.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

from coprod_connectors.report.explain import Explainer
from coprod_connectors.report.i18n import words
from coprod_connectors.report.labels import Labels
from coprod_connectors.report.view import (
    ALL_ACTIONS_COMMAND,
    GROUP_NAMES,
    INSTRUMENT_NAMES,
    PRINCIPLE_NAMES,
    detail_rows,
    ladder_of,
    rung_label,
    subjects,
)
from coprod_connectors.scoring.models import (
    ChecklistResult,
    LadderCheckPerspective,
    Result,
    Results,
    SelfReflectionPerspective,
)

# inline markup anywhere in a line; block markup (lists, headings, quotes) only at its start
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


def to_markdown(results: Results, *, title: str = "Co-production report") -> str:
    """The whole report as one text (:func:`markdown_pieces` gives the same text in pieces)."""
    return "\n".join(_lines(results, title)).rstrip("\n") + "\n"


def markdown_pieces(results: Results, *, title: str = "Co-production report") -> Iterator[str]:
    """:func:`to_markdown`'s text, a line at a time: a report with tens of thousands of
    action-plan rows is written without ever holding its whole text or all its lines."""
    return joined_lines(_lines(results, title))


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


def _lines(results: Results, title: str) -> Iterator[str]:
    model = ladder_of(results)
    labels = Labels(words("en"), model)
    explainer = Explainer(labels)
    yield from (
        f"# {md_text(title)}",
        "",
        (
            f"Ladder: {md_text(model.title)}. Groups of fewer than {results.k} people are never "
            "shown on their own."
        ),
        "",
    )
    for view in subjects(results):
        yield from (f"## {md_text(view.name)}", "")
        yield "| Instrument | " + " | ".join(view.rounds) + " |"
        yield "| --- |" + " --- |" * len(view.rounds)
        for instrument, items in view.by_instrument.items():
            by_round = {r.round: r for r in items}
            cells = [
                rung_label(model, by_round[r].rung) if r in by_round else "-" for r in view.rounds
            ]
            yield f"| {INSTRUMENT_NAMES[instrument]} | " + " | ".join(cells) + " |"
        yield ""
        for instrument in view.by_instrument:
            result = view.latest(instrument)
            if result is not None:
                yield from _result(result, explainer)
        actions = view.shown_actions
        if actions:
            yield from ("### Action plans", "", "| Round | Principle | What | Who | When | How |")
            yield "| --- | --- | --- | --- | --- | --- |"
            for round_, a in actions:
                principle = PRINCIPLE_NAMES.get(a.principle or "", a.principle)
                row = [round_, principle, a.what, a.who, a.when, a.how]
                yield "| " + " | ".join(md_text(c or "") for c in row) + " |"
            yield ""
            if view.more_actions:
                more = md_text(labels.more_actions(view.more_actions))
                yield from (f"{more} `{ALL_ACTIONS_COMMAND}`", "")


def _result(result: Result, explainer: Explainer) -> list[str]:
    """One result in plain words; the codes and the scorer's reasons under "Analyst details"."""
    explained = explainer.explain(result)
    lines = [
        f"### {INSTRUMENT_NAMES[result.instrument]}, {result.round}",
        "",
        f"**Rung: {md_text(explained.rung)}** ({result.respondents} respondents).",
        "",
        "Why:",
        "",
    ]
    lines += [f"- {md_text(r)}" for r in explained.reasons]
    if explained.next_rung is not None:
        lines += ["", f"To reach **{md_text(explained.next_rung)}**:", ""]
        lines += [f"- {md_text(c)}" for c in explained.changes]
    rows = detail_rows(result)
    if rows:
        groups = list(result.perspectives)
        header = ["Item", "All", *[GROUP_NAMES[g] for g in groups]]
        lines += ["", "| " + " | ".join(header) + " |", "|" + " --- |" * len(header)]
        for code, name, value in rows:
            cells = [name, _num(value)]
            for g in groups:
                perspective = result.perspectives[g]
                if isinstance(perspective, SelfReflectionPerspective):
                    median = perspective.principles[code].median
                elif isinstance(perspective, LadderCheckPerspective):
                    median = perspective.phases[code].median
                else:
                    continue
                cells.append(_num(median))
            lines.append("| " + " | ".join(cells) + " |")
    if isinstance(result, ChecklistResult):
        a = result.agreement
        share = explainer.share(a.agreed, a.total)
        lines += [
            "",
            f"Statements agreed: {md_text(share)}; achieved: {'yes' if a.achieved else 'no'}.",
        ]
    dq = result.data_quality
    lines += [
        "",
        (
            f"Not counted: {dq.missing} missing, {dq.invalid} invalid, "
            f"{dq.unknown_codes} unknown questions, {dq.duplicates} duplicates."
        ),
        "",
        "<details><summary>Analyst details: codes and rules</summary>",
        "",
    ]
    lines += [f"- {_code_text(r)}" for r in result.reasons]
    if result.next_rung is not None:
        lines += [
            f"- next rung `{result.next_rung.rung}`: {_code_text(c)}"
            for c in result.next_rung.changes
        ]
    if isinstance(result, ChecklistResult):
        lines.append(f"- s = {result.agreement.share:.2f}")
    lines += ["", "</details>", ""]
    return lines


def _num(value: int | None) -> str:
    return "-" if value is None else str(value)
