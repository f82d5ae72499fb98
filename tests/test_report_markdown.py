"""The Markdown report (``--format md``) speaks the report's language, as HTML and text do.

Its words come from the same gettext catalogues, labels and plain-word reasons as the
HTML report and the terminal summary (so the three name every instrument, principle,
phase and rung alike); codes appear only inside each result's "Analyst details".
Respondents' free text stays escaped in every language.
"""

from __future__ import annotations

import html
import re
from datetime import date
from functools import cache
from pathlib import Path

import pytest
from typer.testing import CliRunner

from coprod_connectors.cli import app
from coprod_connectors.ladder import load_ladder
from coprod_connectors.report import ReportContext, render
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
    "Organisation",
    "Subjects",
    "Report made on",
    "Where the data came from",
    "Privacy",
    "About the ladder",
    "The rungs, lowest first",
    "What it means",
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
        "- **Ysgol:** Yr ysgol pum gris\n",
        "## Am yr ysgol\n",
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
    assert f"**Pynciau:** {words('cy').gettext('None: there are no responses to report on.')}" in md
    assert "There are no responses" not in md
    assert "## Am yr ysgol" in md  # what the ladder means, even with nothing on it


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


#: a cover with hostile words everywhere the outside writes it
HOSTILE_CONTEXT = ReportContext(
    organisation="**Big** <script>x</script>\n# Council | [x](javascript:y)  ",
    made_on=date(2026, 3, 9),
    sources=("- one\n- two", "`tick` > quote", "", "   ", "3. three", "limesurvey (demo): 1"),
)


def cover(md: str) -> list[str]:
    """The Markdown's cover: the list between the title and the first subject."""
    return md.split("\n\n", 2)[1].splitlines()


def html_cover_names(html_text: str) -> list[str]:
    start = html_text.index('<dl class="facts">')
    dl = html_text[start : html_text.index("</dl>", start)]
    return [html.unescape(n) for n in re.findall(r"<dt>(.*?)</dt>", dl)]


@pytest.mark.parametrize("lang", LANGS)
def test_the_markdown_cover_says_what_the_html_cover_says(lang: str) -> None:
    """Shared on its own (a wiki, an email), the Markdown names who, when, from what, the
    ladder and the privacy threshold as the HTML's cover does: the same names in the same
    order, the same words (one copy of each: labels.HEADINGS)."""
    context = ReportContext(
        organisation="Example Council",
        made_on=date(2026, 3, 9),
        sources=("limesurvey (council): 123456, checklist 1.0.0, round 2026-H1", "file x.csv"),
    )
    md = render(demo_results(), "md", lang=lang, context=context)
    html_text = render(demo_results(), "html", lang=lang, context=context)
    said = labels(lang)
    names = [m.group(1) for line in cover(md) if (m := re.match(r"- \*\*(.+?):\*\*", line))]
    assert names == html_cover_names(html_text)
    facts = "\n".join(cover(md))
    for expected in (
        f"- **{said.heading('organisation')}:** Example Council",
        f"- **{said.heading('rounds')}:** 2026-H1, 2026-H2",
        f"- **{said.heading('made-on')}:** 9 {said.month(3)} 2026",
        (
            f"- **{said.heading('sources')}:**\n  - limesurvey (council): 123456, checklist "
            "1.0.0, round 2026-H1\n  - file x.csv\n"
        ),
        f"- **{said.heading('subjects')}:**\n  - Northfield adult social care\n",
        f"- **{said.heading('ladder')}:** {said.ladder_title()}",
        f"- **{said.heading('privacy')}:** {said.privacy(3)}",
    ):
        assert expected in facts, expected
    # what is not given is left out (the HTML says "Not given")
    bare = cover(render(demo_results(), "md", lang=lang))
    assert [line for line in bare if line.startswith("- **")] == [
        line
        for line in cover(md)
        if line.startswith("- **")
        and not line.startswith(
            tuple(f"- **{said.heading(n)}:**" for n in ("organisation", "made-on", "sources"))
        )
    ]


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("ladder", ["five-rung", "seven-rung"])
def test_the_markdown_ends_with_about_the_ladder_as_the_html_does(lang: str, ladder: str) -> None:
    results = score(demo_responses(), ladder=ladder)
    md = render(results, "md", lang=lang)
    html_text = render(results, "html", lang=lang)
    said = Labels(words(lang), load_ladder(ladder))
    about = md[md.index(f"\n## {said.heading('about-ladder')}\n") :]
    assert f"\n\n{said.ladder_description()}\n\n*{said.heading('rungs')}*\n\n" in about
    assert f"| {said.heading('rung')} | {said.heading('meaning')} |" in about
    rows = [line for line in about.splitlines() if line.startswith("| ")][2:]
    section = html_text[html_text.index('aria-labelledby="about-ladder"') :]
    section = section[: section.index("</section>")]
    html_rows = re.findall(r'<tr><th scope="row">(.*?)</th><td>(.*?)</td></tr>', section)
    assert rows == [f"| {html.unescape(r)} | {html.unescape(m)} |" for r, m in html_rows]
    assert len(rows) == len(said.model.rungs)


@pytest.mark.parametrize("lang", LANGS)
def test_the_cover_escapes_the_organisation_and_the_sources(lang: str) -> None:
    md = render(hostile(), "md", lang=lang, context=HOSTILE_CONTEXT)
    facts = cover(md)
    said = labels(lang)
    assert facts[0] == (
        f"- **{said.heading('organisation')}:** \\*\\*Big\\*\\* &lt;script&gt;x&lt;/script&gt; "
        "# Council \\| \\[x\\](javascript:y)"  # "#" within a line starts nothing
    )
    start = facts.index(f"- **{said.heading('sources')}:**")
    # one item a source (the blank ones left out), each made inert
    assert facts[start + 1 : start + 5] == [
        "  - \\- one - two",
        "  - \\`tick\\` &gt; quote",
        "  - 3\\. three",
        "  - limesurvey (demo): 1",
    ]
    assert facts[start + 5].startswith(f"- **{said.heading('ladder')}:**")
    assert "<script>" not in md


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("context", [None, HOSTILE_CONTEXT, ReportContext(organisation=" ")])
def test_no_markdown_line_ends_in_a_space(lang: str, context: ReportContext | None) -> None:
    for results in (demo_results(), hostile(), score([])):
        md = render(results, "md", lang=lang, context=context)
        assert [line for line in md.splitlines() if line != line.rstrip()] == []
        assert "\n\n\n" not in md


def test_coprod_report_md_has_the_cover_from_the_store(tmp_path: Path) -> None:
    demo = tmp_path / "demo"
    assert runner.invoke(app, ["demo", "-o", str(demo)]).exit_code == 0
    result = runner.invoke(
        app,
        [
            "report", "--store", str(demo / "coprod.db"), "-f", "md", "--lang", "cy",
            "--organisation", "Cyngor <Sir> Enghraifft", "--date", "2026-12-01",
        ],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    facts = "\n".join(cover(result.stdout))
    assert "- **Sefydliad:** Cyngor &lt;Sir&gt; Enghraifft\n" in facts
    assert "- **Dyddiad llunio\u2019r adroddiad:** 1 Rhagfyr 2026\n" in facts
    # the store's deployments, as the HTML's cover lists them
    sources = facts.split("- **O ble daeth y data:**\n", 1)[1].split("\n- **")[0].splitlines()
    assert len(sources) >= 3
    assert all(s.startswith("  - ") for s in sources)


def test_a_ladder_files_own_words_are_escaped() -> None:
    """A ladder from a YAML file is the outside's text too: its title, rungs and their
    meanings are made inert on the cover and in "About the ladder"."""
    from coprod_connectors.ladder import parse_ladder
    from coprod_connectors.report import markdown

    text = (Path(markdown.__file__).parents[1] / "ladders" / "five-rung.yaml").read_text()
    text = text.replace('title: "The five-rung ladder"', 'title: "**Our** <b>ladder</b>"')
    text = text.replace('label: "Information"', 'label: "# Info | <i>x</i>"')
    text = text.replace(
        'description: "People are told what is happening, but not asked."',
        'description: "Told `what`\\n- asked [no](javascript:x)"',
    )
    model = parse_ladder(text, source="ours.yaml")
    md = render(demo_results(), "md", context=ReportContext(ladder=model))
    assert "- **Ladder:** \\*\\*Our\\*\\* &lt;b&gt;ladder&lt;/b&gt;\n" in md
    assert (
        "| \\# Info \\| &lt;i&gt;x&lt;/i&gt; | Told \\`what\\` - asked \\[no\\](javascript:x) |"
        in md
    )
    assert "<b>" not in md


@pytest.mark.parametrize("lang", LANGS)
def test_a_markdown_renderer_makes_the_cover_a_list_and_nothing_of_the_outside(
    lang: str,
) -> None:
    """Rendered as a wiki or GitHub would (CommonMark and tables), the hostile cover is a
    list of seven facts whose words read as written: no link, no script, no heading."""
    markdown_it = pytest.importorskip("markdown_it")
    rendered = (
        markdown_it.MarkdownIt("commonmark")
        .enable("table")
        .render(render(hostile(), "md", lang=lang, context=HOSTILE_CONTEXT))
    )
    assert set(re.findall(r"<(\w+)", rendered)) <= {
        *("h1", "h2", "h3", "p", "em", "strong", "ul", "li", "code", "details", "summary"),
        *("table", "thead", "tbody", "tr", "th", "td"),
    }
    assert "href" not in rendered
    first = rendered[rendered.index("<ul>") : rendered.index("<h2>")]
    facts = re.findall(r"^<li><strong>(.*?):</strong>", first, flags=re.MULTILINE)
    assert len(facts) == 7
    assert "**Big** &lt;script&gt;x&lt;/script&gt; # Council | [x](javascript:y)" in first
    assert "<li>- one - two</li>" in first
