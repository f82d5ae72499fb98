"""The Markdown report (``--format md``) speaks the report's language, as HTML and text do.

Its words come from the same gettext catalogues, labels and plain-word reasons as the
HTML report and the terminal summary (so the three name every instrument, principle,
phase and rung alike); codes appear only inside each result's "Analyst details".
Respondents' free text stays escaped in every language.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import pytest
from typer.testing import CliRunner

from coprod_connectors.cli import app
from coprod_connectors.ladder import load_ladder
from coprod_connectors.report import render
from coprod_connectors.report.i18n import words
from coprod_connectors.report.labels import Labels
from coprod_connectors.report.markdown import _code
from coprod_connectors.scoring import Results, score
from coprod_connectors.scoring.models import Action, SelfReflectionResult
from coprod_connectors.synthetic import demo_responses

LANGS = ("en", "cy")
INSTRUMENTS = ("self-reflection", "checklist", "ladder-check")
#: the report's own English words, none of which a Welsh report may show
ENGLISH = (
    "Co-production report",
    "Ladder:",
    "Why this rung",
    "What would reach",
    "Since the round before",
    "Not counted",
    "Analyst details",
    "Action plans",
    "Statements agreed",
    "respondents",
    "| Tool |",
    "| Principle |",
    "| Round |",
    "Everyone who answered",
    "People with lived experience",
    "people are never shown",
    "Achieved:",
)

#: codes the scorer's reasons name (principles, phases, statements, questions, rungs)
CODE = re.compile(r"\b(recip|deliv|no-engagement|[dear][1-5]|k[1-8]|[a-z]+(Stage|Inv|Rag))\b")
#: respondents' free text that must reach no reader raw
HOSTILE = (
    "</td></tr></table><script>x</script>",
    "| a | b |\n| --- | --- |",
    "# heading\n- item\n1. one\n> quote",
    "`code` *em* _u_ [l](javascript:x) ~s~ \\",
)

runner = CliRunner()


@cache
def demo_results() -> Results:
    return score(demo_responses())


def hostile() -> Results:
    """The demo results with a hostile subject and hostile action plans everywhere."""
    results = demo_results()
    actions = [
        Action(principle=text if i else None, what=text, who=text, when=text, how=text)
        for i, text in enumerate(HOSTILE)
    ]
    changed = [
        r.model_copy(
            update={"subject": HOSTILE[1], "actions": actions}
            if isinstance(r, SelfReflectionResult)
            else {"subject": HOSTILE[1]}
        )
        for r in results.results
    ]
    return results.model_copy(update={"results": changed})


def flat(text: str) -> str:
    return " ".join(text.split())


def outside_details(md: str) -> str:
    """What every reader sees: the text less the folded "Analyst details"."""
    return re.sub(r"<details>.*?</details>", "", md, flags=re.DOTALL)


def labels(lang: str) -> Labels:
    return Labels(words(lang), load_ladder("five-rung"))


@pytest.mark.parametrize("lang", LANGS)
def test_markdown_names_everything_by_its_label_in_the_language(lang: str) -> None:
    md = render(demo_results(), "md", lang=lang)
    shown = flat(outside_details(md))
    said = labels(lang)
    assert md.startswith(f"# {said.words.gettext('Co-production report')}\n")
    for instrument in INSTRUMENTS:
        assert f"### {said.instrument(instrument)} (2026-H2)" in md, instrument
    for principle in ("assets", "work", "recip", "network"):
        assert str(said.principle(principle)) in shown, principle
    for phase in ("idea", "design", "deliv", "review"):
        assert f"| {said.phase(phase)} |" in shown, phase
    for rung in ("information", "consultation", "participation", "co-production"):
        assert str(said.rung(rung)) in shown, rung
    assert str(said.group("lived")) in shown
    assert str(said.ladder_title()) in shown
    assert said.privacy(3) in shown
    assert "`" not in shown
    assert "s = " not in shown
    assert not [m.group(0) for m in CODE.finditer(shown)]


def test_the_welsh_markdown_has_no_english_words_of_its_own() -> None:
    md = render(demo_results(), "md", lang="cy")
    shown = outside_details(md)  # the scorer's own reasons inside are in English, and say so
    for english in ENGLISH:
        assert english not in shown, english
    for welsh in (
        "# Adroddiad cydgynhyrchu\n",
        "Ysgol: Yr ysgol pum gris.",
        "**Pam y gris hwn**",
        "29% o\u2019r datganiadau (8 o 28)",
        "Rhoi a derbyn (mae pawb yn gallu helpu)",
        "<details><summary>Manylion i ddadansoddwyr: codau a rheolau</summary>",
    ):
        assert welsh in md, welsh


@pytest.mark.parametrize("lang", LANGS)
def test_markdown_html_and_text_name_the_instruments_alike(lang: str) -> None:
    """One set of titles: the instrument's own, in the report's language (the Markdown
    had titles of its own, in English, that no other report used)."""
    md = render(demo_results(), "md", lang=lang)
    html = render(demo_results(), "html", lang=lang)
    text = flat(render(demo_results(), "text", lang=lang))
    for instrument in INSTRUMENTS:
        title = str(labels(lang).instrument(instrument))
        assert title in md
        assert title.replace("'", "&#39;") in html
        assert title in text


@pytest.mark.parametrize("lang", LANGS)
def test_the_codes_stay_in_the_analyst_details(lang: str) -> None:
    md = render(demo_results(), "md", lang=lang)
    inside = "".join(re.findall(r"<details>.*?</details>", md, flags=re.DOTALL))
    assert "`recip`" in inside
    assert "s = 0.29" in inside
    # the scorer's reasons are in English in every language, and say so
    assert "the lowest principle stage" in inside
    # and what each code stands for, in the report's language
    assert f"| `recip` | {labels(lang).principle('recip')} |" in inside


@pytest.mark.parametrize("lang", LANGS)
def test_free_text_is_escaped_in_every_language(lang: str) -> None:
    md = render(hostile(), "md", lang=lang)
    assert "## \\| a \\| b \\| \\| --- \\| --- \\|\n" in md
    assert "<script>" not in md
    assert "&lt;/td&gt;&lt;/tr&gt;&lt;/table&gt;&lt;script&gt;x&lt;/script&gt;" in md
    assert "\\# heading - item 1. one &gt; quote" in md
    assert "\\`code\\` \\*em\\* \\_u\\_ \\[l\\](javascript:x) \\~s\\~ \\\\" in md
    # every row of the action plans has the six cells of its header, whatever was written
    rows = [line for line in md.splitlines() if "&lt;script&gt;" in line]
    assert rows
    for row in rows:
        assert len(re.findall(r"(?<!\\)\|", row)) == 7, row


def test_no_subject_given_is_said_in_the_language() -> None:
    rows = [r.model_copy(update={"subject": None}) for r in demo_responses()[:40]]
    assert "## Dim pwnc wedi\u2019i nodi\n" in render(score(rows), "md", lang="cy")
    assert "## No subject given" in render(score(rows), "md")


def test_an_empty_report_says_so_in_the_language() -> None:
    md = render(score([]), "md", lang="cy")
    assert words("cy").gettext("There are no responses to report on.") in md
    assert "There are no responses" not in md


def test_coprod_report_writes_welsh_markdown(tmp_path: Path) -> None:
    demo = tmp_path / "demo"
    assert runner.invoke(app, ["demo", "-o", str(demo)]).exit_code == 0
    target = tmp_path / "report.md"
    store = str(demo / "coprod.db")
    result = runner.invoke(
        app, ["report", "--store", store, "-f", "md", "--lang", "cy", "-o", str(target)]
    )
    assert result.exit_code == 0, result.output
    md = target.read_text(encoding="utf-8")
    assert md.startswith("# Adroddiad cydgynhyrchu\n")
    assert "Pam y gris hwn" in md
    result = runner.invoke(app, ["report", "--store", store, "-f", "md"])
    assert result.stdout.startswith("# Co-production report\n")


def test_a_code_that_could_end_its_span_is_shown_as_escaped_text() -> None:
    """The models allow no such code; were one to come, it could not open HTML or a cell."""
    assert _code("recip") == "`recip`"
    assert _code("a`<b>|c") == "a\\`&lt;b&gt;\\|c"
