"""The terminal summary (``--format text``, the default) speaks in plain words.

Readers see every principle, statement, phase and rung by its label in the report's
language; the scorer's reasons with codes stay in JSON and CSV (for analysts).
"""

from __future__ import annotations

import io
import json
import re
from functools import cache
from pathlib import Path

import pytest
from rich.console import Console
from typer.testing import CliRunner

from coprod_connectors.cli import app
from coprod_connectors.ladder import load_ladder
from coprod_connectors.report import render
from coprod_connectors.report.i18n import words
from coprod_connectors.report.labels import Labels
from coprod_connectors.report.text import print_summary
from coprod_connectors.responses import responses_from
from coprod_connectors.scoring import Results, score
from coprod_connectors.synthetic import demo_responses, write_demo_responses

#: codes of the built-in instruments and ladders as the scorer's reasons name them
CODES = re.compile(
    r"\b(recip|deliv|network|netw|nosay|no-engagement)\b"
    r"|\b[dear][1-5]\b|\bk[1-8]\b|\b[a-z]+(Stage|Inv|Rag)\b"
)
#: what each language's summary says where the English one says "why" and "next"
WHY = {"en": ("why", "To reach"), "cy": ("pam", "I gyrraedd")}

runner = CliRunner()


@cache
def demo_results() -> Results:
    return score(demo_responses())


def score_file(path: Path) -> Results:
    return score(responses_from(path))


def flat(text: str) -> str:
    """The text with its line wrapping undone (a label may be wrapped over two lines)."""
    return " ".join(text.split())


def assert_plain_words(text: str, lang: str) -> None:
    shown = flat(text)
    assert "`" not in shown
    assert "s = " not in shown
    assert not [m.group(0) for m in CODES.finditer(shown)]
    labels = Labels(words(lang), load_ladder("five-rung"))
    for principle in ("assets", "work", "recip", "network"):
        assert flat(str(labels.principle(principle))) in shown, principle
    for instrument in ("self-reflection", "checklist", "ladder-check"):
        assert flat(str(labels.instrument(instrument))) in shown, instrument
    assert flat(str(labels.phase("idea"))) in shown
    assert flat(str(labels.statement("d1"))).rstrip(". ") in shown  # a statement's own words
    assert flat(str(labels.stage(3))) in shown
    assert flat(str(labels.level(3))) in shown
    for rung in ("no-engagement", "information", "consultation", "participation"):
        assert flat(str(labels.rung(rung))) in shown, rung
    assert flat(str(labels.ladder_title())) in shown
    why, to_reach = WHY[lang]
    assert re.search(rf"^\s+{why}\s", text, re.MULTILINE)
    assert to_reach in shown


@pytest.mark.parametrize("lang", ["en", "cy"])
def test_the_text_summary_shows_labels_and_no_codes(lang: str) -> None:
    assert_plain_words(render(demo_results(), "text", lang=lang), lang)


def test_the_english_summary_in_words() -> None:
    shown = flat(render(demo_results(), "text"))
    assert "29% of statements (8 of 28)" in shown
    assert "Give and get (everyone can help)" in shown
    assert "stage 3 (“Getting there”)" in shown
    assert "Turn round “I feel welcome here, whoever I am”" in shown
    assert "To reach Co-production:" in shown
    assert "Groups of fewer than 3 people are never shown on their own." in shown


def test_the_welsh_summary_has_no_english_words_of_its_own() -> None:
    shown = flat(render(demo_results(), "text", lang="cy"))
    assert "29% o\u2019r datganiadau (8 o 28)" in shown
    for english in ("why", "next", "To reach", "Ladder", "people)", "respondents"):
        assert english not in shown, english


@pytest.mark.parametrize("lang", ["en", "cy"])
def test_coprod_report_prints_the_summary_in_plain_words(tmp_path: Path, lang: str) -> None:
    """The terminal path (rich printing a result at a time), as an admin runs it."""
    result = runner.invoke(app, ["demo", "-o", str(tmp_path / "demo"), "--lang", lang])
    assert result.exit_code == 0, result.output
    summary = result.stdout[result.stdout.index("\n\n") :]  # after the demo's own steps
    assert_plain_words(summary, lang)
    store = str(tmp_path / "demo" / "coprod.db")
    result = runner.invoke(app, ["report", "--store", store, "--lang", lang])
    assert result.exit_code == 0, result.output
    assert_plain_words(result.stdout, lang)
    # the analyst still has the codes: the scorer's reasons in JSON (and CSV)
    result = runner.invoke(app, ["report", "--store", store, "--format", "json"])
    data = json.loads(result.stdout)
    assert any("`recip`" in r for x in data["results"] for r in x["reasons"])
    result = runner.invoke(app, ["report", "--store", store, "--format", "csv"])
    assert "`recip`" in result.stdout


@pytest.mark.parametrize("lang", ["en", "cy"])
def test_coprod_score_prints_the_summary_in_plain_words(tmp_path: Path, lang: str) -> None:
    path = tmp_path / "responses.jsonl"
    write_demo_responses(path)
    result = runner.invoke(app, ["score", str(path), "--lang", lang])
    assert result.exit_code == 0, result.output
    assert_plain_words(result.stdout, lang)


def test_outside_text_is_shown_as_text(tmp_path: Path) -> None:
    """Subjects and rounds come from respondents' data: markup is shown as written, and
    control characters as escapes, never raw."""
    hostile = "[red]Ward[/red] \x1b[2J\x07\u202eevil\x85"
    rows = [
        r.model_copy(update={"subject": hostile, "round": "R\x1b]0;x\x07"})
        for r in demo_responses()[:12]
    ]
    for lang in ("en", "cy"):
        text = render(score(rows), "text", lang=lang)
        assert "[red]Ward[/red]" in text
        assert "\\x1b[2J\\x07\\u202eevil" in text
        assert "R\\x1b]0;x\\x07" in text
        for char in ("\x1b", "\x07", "\u202e", "\x85"):
            assert char not in text


def test_responses_not_scored_are_named_in_the_summary() -> None:
    other = demo_responses()[0].model_copy(
        update={"instrument": "my-check\x1b", "instrument_version": "1.0.0"}
    )
    text = render(score([other]), "text")
    assert "There are no responses to report on." in text
    assert "Not scored: 1 response to “my-check\\x1b”" in flat(text)
    welsh = render(score([other]), "text", lang="cy")
    assert "Ni sgoriwyd 1 ymateb i “my-check\\x1b”" in flat(welsh)


TRAILING = re.compile(r"[ \t]+$", re.MULTILINE)


@pytest.mark.parametrize("lang", ["en", "cy"])
def test_a_written_summary_has_no_trailing_spaces(tmp_path: Path, lang: str) -> None:
    """rich pads a table's cells to the width: a file (``-o``, ``> file``, a pipe) gets
    the lines without the padding; the words are the same."""
    path = tmp_path / "responses.jsonl"
    write_demo_responses(path)
    target = tmp_path / "summary.txt"
    result = runner.invoke(app, ["score", str(path), "--lang", lang, "-o", str(target)])
    assert result.exit_code == 0, result.output
    written = target.read_text(encoding="utf-8")
    assert not TRAILING.findall(written)
    assert_plain_words(written, lang)
    assert max(len(line) for line in written.splitlines()) <= 100
    # stdout that is not a terminal is a file too
    result = runner.invoke(app, ["score", str(path), "--lang", lang])
    assert not TRAILING.findall(result.stdout)
    assert_plain_words(result.stdout, lang)
    assert max(len(line) for line in result.stdout.splitlines()) <= 80
    # and the words are those a terminal shows
    padded = io.StringIO()
    print_summary(score_file(path), Console(file=padded, width=80), lang=lang)
    assert TRAILING.findall(padded.getvalue()), "rich pads (else this test tests nothing)"
    assert flat(padded.getvalue()) == flat(result.stdout)


@pytest.mark.parametrize("fmt", ["md", "json", "csv", "html"])
def test_no_written_report_has_trailing_spaces(tmp_path: Path, fmt: str) -> None:
    path = tmp_path / "responses.jsonl"
    write_demo_responses(path)
    target = tmp_path / f"report.{fmt}"
    result = runner.invoke(app, ["score", str(path), "-f", fmt, "-o", str(target)])
    assert result.exit_code == 0, result.output
    assert not TRAILING.findall(target.read_text(encoding="utf-8"))
