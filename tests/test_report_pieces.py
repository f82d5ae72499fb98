"""Reports written in pieces (as ``coprod report -o`` writes them) are the whole text, byte
for byte: on the demo data, and on results whose free text is hostile."""

from __future__ import annotations

from datetime import date
from functools import cache
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from coprod_connectors.cli.score import ReportFormat, _lines, write_report
from coprod_connectors.report import FORMATS, ReportContext, render, render_pieces
from coprod_connectors.report.markdown import joined_lines
from coprod_connectors.scoring import Results, score
from coprod_connectors.synthetic import HOSTILE, TEXTS, demo_responses

#: Free text no report may pass through raw: markup, template syntax, Markdown and CSV
#: specials, line breaks of every kind, control characters, trailing line breaks.
NASTY = (
    *HOSTILE,
    *TEXTS,
    "</td></tr></table><script>x</script>",
    "{{ 7*7 }} {% raw %} {# c #}",
    "| a | b |\n| --- | --- |",
    "# heading\n- item\n1. one\n> quote",
    "`code` *em* _u_ [l](javascript:x) ~s~ \\",
    "a\r\nb\rc\u2028d\u2029e\x85f\x0bg\x0ch",
    "tab\there\x00nul\x1besc",
    "ends with breaks\n\n\n",
    "\n",
    "   ",
    "\"quoted\", 'single', ;semicolon,comma",
    "=cmd|' /C calc'!A0",
    "x" * 5000,
)
#: the cover's facts (in the HTML and the Markdown) from the outside too
CONTEXT = ReportContext(
    organisation="<b>Org</b> & {{ 7*7 }}\n# h | `x`  ",
    made_on=date(2026, 12, 1),
    sources=("a <i>", "b", *NASTY),
)


@cache
def demo_results() -> Results:
    return score(demo_responses())


@cache
def hostile_results() -> Results:
    """The demo results with every action plan's text (and every subject) made hostile."""
    data = demo_results().to_data()
    for n, result in enumerate(data["results"]):
        result["subject"] = NASTY[n % len(NASTY)]
        if result["instrument"] == "self-reflection":
            result["actions"] = [
                {
                    "principle": NASTY[i % len(NASTY)] if i % 3 else None,
                    "what": text,
                    "who": NASTY[(i + 1) % len(NASTY)],
                    "when": None if i % 2 else NASTY[(i + 2) % len(NASTY)],
                    "how": text[::-1],
                }
                for i, text in enumerate(NASTY)
            ]
    return Results.model_validate(data)


def report_cases() -> list[tuple[str, str, str]]:
    return [
        (which, fmt, lang)
        for which in ("demo", "hostile")
        for fmt in FORMATS
        for lang in ("en", "cy")
    ]


@pytest.mark.parametrize(("which", "fmt", "lang"), report_cases())
def test_the_pieces_are_the_whole_report(which: str, fmt: str, lang: str) -> None:
    results = demo_results() if which == "demo" else hostile_results()
    whole = render(results, fmt, lang=lang, context=CONTEXT)
    pieces = list(render_pieces(results, fmt, lang=lang, context=CONTEXT))
    assert all(type(p) is str for p in pieces), "plain str (Markup would escape what is added)"
    assert "".join(pieces) == whole
    # to the screen: the same lines as the whole text gives
    assert list(_lines(pieces)) == whole.splitlines()
    if fmt in ("md", "html", "json"):
        assert len(pieces) > 100, "made in pieces, not whole"


def test_the_hostile_free_text_is_in_the_actions() -> None:
    """The hostile results do carry the free text (so the test above escapes it)."""
    html = render(hostile_results(), "html", context=CONTEXT)
    assert "<script>x</script>" not in html
    assert "&lt;/td&gt;&lt;/tr&gt;&lt;/table&gt;&lt;script&gt;x&lt;/script&gt;" in html
    md = render(hostile_results(), "md")
    assert "\\| a \\| b \\| \\| --- \\| --- \\|" in md


def test_csv_is_handed_over_in_bounded_pieces(monkeypatch: pytest.MonkeyPatch) -> None:
    from coprod_connectors.report import spreadsheet

    monkeypatch.setattr(spreadsheet, "PIECE", 200)
    whole = render(hostile_results(), "csv")
    pieces = list(render_pieces(hostile_results(), "csv"))
    assert "".join(pieces) == whole
    assert len(pieces) > 20
    # a piece is handed over once it reaches PIECE: at most PIECE plus one row's text
    longest_row = max(len(row) for row in whole.split("\n"))
    assert max(len(p) for p in pieces) < 200 + longest_row + 2


@pytest.mark.parametrize("fmt", ["md", "csv", "html", "json"])
def test_a_report_written_to_a_file_is_the_whole_text(tmp_path: Path, fmt: str) -> None:
    target = tmp_path / f"report.{fmt}"
    results = hostile_results()
    write_report(results, ReportFormat(fmt), target, lang="cy", context=CONTEXT)
    expected = render(results, fmt, lang="cy", context=CONTEXT).encode("utf-8")
    assert target.read_bytes() == expected


@pytest.mark.parametrize(
    "lines",
    [
        [],
        [""],
        ["", ""],
        ["a"],
        ["a", ""],
        ["a", "", ""],
        ["", "a"],
        ["a\n", "b"],
        ["a\n\n", "", "\n"],
        ["a", "\n\nb\n", "", "c"],
        ["\n", "\n"],
    ],
)
def test_joined_lines_are_the_joined_text(lines: list[str]) -> None:
    assert "".join(joined_lines(lines)) == "\n".join(lines).rstrip("\n") + "\n"


@given(st.lists(st.text(alphabet="ab\n\r ", max_size=6), max_size=8))
def test_joined_lines_are_the_joined_text_for_any_lines(lines: list[str]) -> None:
    assert "".join(joined_lines(lines)) == "\n".join(lines).rstrip("\n") + "\n"
