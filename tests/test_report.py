"""Every report format from the same scored data; escaping of hostile free text."""

from __future__ import annotations

import csv
import io
import json
import re
from functools import cache
from html.parser import HTMLParser
from pathlib import Path

import jsonschema
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from coprod_connectors.report import FORMATS, render
from coprod_connectors.report.i18n import Said
from coprod_connectors.report.markdown import md_text
from coprod_connectors.report.spreadsheet import safe_cell
from coprod_connectors.responses import response_as_dict
from coprod_connectors.scoring import Results, results_json_schema, score
from coprod_connectors.synthetic import HOSTILE, demo_responses, write_demo_responses

SCHEMA_FILE = (
    Path(__file__).parents[1] / "src" / "coprod_connectors" / "schemas" / "results-1.schema.json"
)


@cache
def demo_results(ladder: str = "five-rung") -> Results:
    return score(demo_responses(), ladder=ladder)


def test_synthetic_data_is_seeded_and_covers_everything(tmp_path: Path) -> None:
    first = [response_as_dict(r) for r in demo_responses(7)]
    assert first == [response_as_dict(r) for r in demo_responses(7)]
    assert first != [response_as_dict(r) for r in demo_responses(8)]
    responses = demo_responses()
    assert {r.instrument for r in responses} == {"self-reflection", "checklist", "ladder-check"}
    assert {r.round for r in responses} == {"2026-H1", "2026-H2"}
    assert {r.role for r in responses} == {
        "user",
        "carer",
        "staff",
        "mgr",
        "board",
        "comm",
        "nosay",
        None,
    }
    assert len({r.subject for r in responses}) >= 3
    results = demo_results()
    assert any(
        p.rag_contradictions for r in results.results for p in getattr(r, "principles", {}).values()
    )
    assert any(r.data_quality.missing for r in results.results)
    assert any(r.data_quality.invalid for r in results.results)
    texts = json.dumps([response_as_dict(r) for r in responses])
    assert all(json.dumps(h)[1:-1] in texts for h in HOSTILE[:3])
    path = tmp_path / "demo.jsonl"
    assert write_demo_responses(path) == len(responses)


def test_json_validates_against_the_published_schema() -> None:
    published = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    assert published == results_json_schema(), "regenerate schemas/results-1.schema.json"
    jsonschema.Draft202012Validator.check_schema(published)
    for ladder in ("five-rung", "seven-rung"):
        data = json.loads(render(demo_results(ladder), "json"))
        jsonschema.Draft202012Validator(published).validate(data)
        assert data["schema"] == "coprod.results/1"
        assert data["ladder"] == ladder
        assert "generated_at" not in data
        first = data["results"][0]
        assert list(first)[:9] == [
            "instrument",
            "subject",
            "round",
            "respondents",
            "rung",
            "rung_index",
            "reasons",
            "next_rung",
            "data_quality",
        ]


def test_json_is_byte_identical_run_to_run() -> None:
    one = score(demo_responses()).to_json()
    two = score(list(reversed(demo_responses()))).to_json()
    assert one == two
    assert one.endswith("\n")


def test_small_groups_never_appear_in_any_output() -> None:
    results = demo_results()
    for result in results.results:
        for group, view in result.perspectives.items():
            assert view.respondents >= results.k, (result.subject, group)


def test_csv_neutralises_formulas_and_keeps_text() -> None:
    text = render(demo_results(), "csv")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][:3] == ["instrument", "subject", "round"]
    cells = [c for row in rows for c in row]
    assert not any(c.startswith(("=", "+", "-", "@", "\t", "\r")) for c in cells)
    for hostile in HOSTILE:
        expected = "'" + hostile if hostile[0] in "=+-@" else hostile
        assert expected in cells, hostile
    assert any("<script>alert(1)</script>" in c for c in cells)
    assert safe_cell("=1+1") == "'=1+1"
    assert safe_cell("+SUM(1)") == "'+SUM(1)"
    assert safe_cell("-2") == "'-2"
    assert safe_cell("@x") == "'@x"
    # whitespace at the ends is dropped (a cell is one line), the formula still neutralised
    assert safe_cell("\t=1") == "'=1"
    assert safe_cell("\r\n=1") == "'=1"
    assert safe_cell("\tx") == "x"
    assert safe_cell("plain") == "plain"
    assert safe_cell(3) == "3"
    assert safe_cell(None) == ""


#: Text as people type it on one line: Welsh letters, punctuation, quotes, commas, emoji.
_ORDINARY = st.text(
    alphabet=st.sampled_from(list("aAzZ ŵŷŴŶâêîôûáéïöëæ0123456789'\",;.:!?()/&%£€😀")),
    min_size=1,
    max_size=40,
).map(lambda t: " ".join(t.split()))


@settings(derandomize=True, database=None, deadline=None, max_examples=300)
@given(_ORDINARY)
def test_ordinary_text_round_trips_through_a_csv_cell(text: str) -> None:
    """What csv writes (quoting commas and quotes) and reads back is the text as written,
    or with the quote in front that keeps a formula from running."""
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerow([safe_cell(text), safe_cell(text), "end"])
    rows = list(csv.reader(io.StringIO(out.getvalue(), newline="")))
    shown = "'" + text if text.startswith(("=", "+", "-", "@")) else text
    assert rows == [[shown, shown, "end"]]


@pytest.mark.parametrize(
    ("typed", "shown"),
    [
        ('Siân\'s "plan", Gŵyl ŷd', 'Siân\'s "plan", Gŵyl ŷd'),
        ("first line\nsecond line", "first line second line"),  # a row is one line
        ("first\r\n\r\n  second ", "first second"),
        ("tab\there", "tab here"),
        ("\x1b[31mred\x1b[0m", "\\x1b[31mred\\x1b[0m"),
        ("\u202etxt.exe", "\\u202etxt.exe"),
    ],
)
def test_a_cell_is_one_line_with_control_characters_escaped(typed: str, shown: str) -> None:
    assert safe_cell(typed) == shown
    # a label (a subject's name, say) that is not a str is text too
    assert safe_cell(Said(typed, "en")) == shown


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.text: list[str] = []
        self.attrs: list[tuple[str, str | None]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.attrs.extend(attrs)

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def test_html_is_self_contained_accessible_and_escaped() -> None:
    html = render(demo_results(), "html")
    parser = _Collector()
    parser.feed(html)
    assert '<html lang="en">' in html
    assert "script" not in parser.tags
    assert "link" not in parser.tags
    assert "img" not in parser.tags
    assert not re.search(r"(src|href)=\"(https?:)?//", html)
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "]]&gt;" in html
    text = "".join(parser.text)
    assert "<script>alert(1)</script>" in text  # shown as text
    assert parser.tags.count("h1") == 1
    # charts are HTML (text that reflows), each a figure with its data table beside it
    assert parser.tags.count("svg") == 0
    assert parser.tags.count("figure") >= 3 * 3
    assert parser.tags.count("table") > parser.tags.count("figure")
    for heading in (
        "Summary",
        "Where it is on the ladder",
        "Stages chosen for each principle, by group",
        "The perception gap",
        "Change between rounds",
        "Action plans people wrote",
        "Analyst details: codes and rules",
    ):
        assert heading in text


class _Visible(HTMLParser):
    """The text a reader sees outside the analyst details (and outside people's own words)."""

    def __init__(self) -> None:
        super().__init__()
        self.text: list[str] = []
        self.details: list[str] = []
        self._skip = 0
        self._free = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        classes = (dict(attrs).get("class") or "").split()
        if tag == "details" and "analyst" in classes:
            self._skip += 1
        if tag == "td" and "free" in classes:
            self._free += 1

    def handle_endtag(self, tag: str) -> None:
        if tag == "details" and self._skip:
            self._skip -= 1
        if tag == "td" and self._free:
            self._free -= 1

    def handle_data(self, data: str) -> None:
        if self._skip:
            self.details.append(data)
        elif not self._free:
            self.text.append(data)


CODES = re.compile(
    r"\b(recip|deliv|network|netw|nosay|no-engagement)\b"
    r"|\b[dear][1-5]\b|\bk[1-8]\b|\b[a-z]+(Stage|Inv|Rag)\b"
)


def test_html_speaks_plain_words_and_keeps_codes_for_analysts() -> None:
    results = demo_results()
    html = render(results, "html")
    parser = _Visible()
    parser.feed(html)
    seen = " ".join(" ".join(parser.text).split())
    details = " ".join(" ".join(parser.details).split())
    assert "INSTRUMENTS.md" not in html
    assert "s = " not in seen
    assert "`" not in seen
    # codes appear only in the analyst details (labels such as "People as assets" are words)
    assert not [m.group(0) for m in CODES.finditer(seen)]
    assert "recip" in details
    assert "d4" in details
    assert "s = 0.29" in details
    # labels from the instruments, shares in words
    assert "Give and get (everyone can help)" in seen
    assert "I feel welcome here, whoever I am" in seen
    assert "29% of statements (8 of 28)" in seen
    assert "Delivery" in seen
    # the JSON keeps the codes and the rule texts, unchanged
    data = json.loads(render(results, "json"))
    assert any("`recip`" in r for x in data["results"] for r in x["reasons"])


def test_summary_gives_rung_reason_next_step_and_trend_per_subject() -> None:
    results = demo_results()
    html = render(results, "html")
    summary = html[html.index('<section class="summary"') : html.index('<section class="subject"')]
    subjects = {r.subject for r in results.results}
    for subject in subjects:
        assert f"<h3>{subject}</h3>" in summary
    cards = summary.count('<li class="card">')
    assert cards == len({(r.subject, r.instrument) for r in results.results})
    assert summary.count("Why:") == cards
    assert summary.count("To move up:") == cards
    # the trend in words (the arrow beside it is hidden from screen readers)
    assert "Up from Information in 2026-H1." in summary
    assert "The same as in 2026-H1." in summary
    assert '<span aria-hidden="true">▲</span>' in summary


def test_every_rung_in_words_matches_the_scorer() -> None:
    from coprod_connectors.ladder import load_ladder
    from coprod_connectors.report.explain import Explainer
    from coprod_connectors.report.i18n import words
    from coprod_connectors.report.labels import Labels

    for ladder in ("five-rung", "seven-rung"):
        model = load_ladder(ladder)
        explainer = Explainer(Labels(words("en"), model))
        for result in demo_results(ladder).results:
            explained = explainer.explain(result)
            expected = (
                "Not enough answers"
                if result.rung is None
                else next(r.label for r in model.rungs if r.id == result.rung)
            )
            assert str(explained.rung) == expected, (ladder, result.subject, result.instrument)
            assert (explained.next_rung is None) == (result.next_rung is None)
            if result.next_rung is not None:
                assert len(explained.changes) == len(result.next_rung.changes)
            assert "`" not in " ".join(str(x) for x in explained.reasons + explained.changes)


def test_cover_names_organisation_date_rounds_and_sources() -> None:
    from datetime import date

    from coprod_connectors.report import ReportContext

    context = ReportContext(
        organisation="Example <Council>",
        made_on=date(2026, 3, 9),
        sources=("limesurvey (council): 123456, checklist 1.0.0, round 2026-H1",),
    )
    one = render(demo_results(), "html", context=context)
    two = render(score(list(reversed(demo_responses()))), "html", context=context)
    assert one == two  # reproducible: the date is given, not read from the clock
    cover = one[one.index('<header class="cover">') : one.index("</header>")]
    assert "Example &lt;Council&gt;" in cover
    assert '<time datetime="2026-03-09">9 March 2026</time>' in cover
    assert "2026-H1, 2026-H2" in cover
    assert "limesurvey (council): 123456" in cover
    assert "Riverside Day Centre" in cover


def test_html_in_welsh_marks_english_fallbacks() -> None:
    html = render(demo_results(), "html", lang="cy")
    assert '<html lang="cy">' in html
    for welsh in ("Crynodeb", "Adroddiad cydgynhyrchu", "Pam:", "Cydgynhyrchu", "Ymgynghori"):
        assert welsh in html, welsh
    assert "29% o\u2019r datganiadau (8 o 28)" in html
    # the built-in instruments are in Welsh too: their own Welsh words, not marked English
    assert "Rhoi a derbyn (mae pawb yn gallu helpu)" in html
    assert '<span lang="en">Give and get (everyone can help)</span>' not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<script>alert(1)</script>" not in html


def test_unknown_report_language_is_a_config_error() -> None:
    from coprod_connectors.errors import ConfigError

    with pytest.raises(ConfigError, match="cy"):
        render(demo_results(), "html", lang="xx")


def test_markdown_escapes_free_text() -> None:
    md = render(demo_results(), "md")
    assert md.startswith("# Co-production report\n")
    assert "<script>" not in md
    assert "&lt;script&gt;" in md
    assert md_text("a|b <i>") == "a\\|b &lt;i&gt;"
    assert md_text("line\nbreak") == "line break"
    assert md_text("- not a list") == "\\- not a list"
    assert md_text("1. not a list") == "1\\. not a list"
    assert md_text("# not a heading") == "\\# not a heading"
    assert md_text("*bold* [link](x)") == "\\*bold\\* \\[link\\](x)"


def test_text_summary_names_rung_and_reasons() -> None:
    text = render(demo_results(), "text")
    assert "Riverside Day Centre" in text
    assert "2026-H1" in text
    assert "2026-H2" in text
    assert "why" in text
    # the reader's words (the scorer's "`assets`, ... the lowest principle stage" is in JSON)
    assert "the lowest of the principles" in text


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_format_renders_empty_results(fmt: str) -> None:
    assert render(score([]), fmt)


def test_unknown_format_is_a_config_error() -> None:
    from coprod_connectors.errors import ConfigError

    with pytest.raises(ConfigError):
        render(score([]), "docx")


def test_markdown_speaks_plain_words_and_keeps_codes_in_analyst_details() -> None:
    md = render(demo_results(), "md")
    outside = re.sub(r"<details>.*?</details>", "", md, flags=re.DOTALL)
    assert "`" not in outside
    assert "s = " not in outside
    assert "29% of statements (8 of 28)" in outside
    assert "Give and get (everyone can help)" in outside
    assert not [m.group(0) for m in CODES.finditer(outside.replace("&lt;", "<"))]
    inside = "".join(re.findall(r"<details>.*?</details>", md, flags=re.DOTALL))
    assert "`recip`" in inside
    assert "s = 0.29" in inside


def test_the_report_credits_what_each_questionnaire_is_based_on() -> None:
    """The sources left the forms' end pages; the report names them."""
    for lang, heading in (("en", "What the questionnaires are based on"), ("cy", "Ar beth")):
        html = render(demo_results(), "html", lang=lang)
        assert heading in html
        assert "Edgar Cahn" in html
        assert "City of York Council" in html
        # and so does the Markdown, shared on its own: last, as the HTML, the same sources
        md = render(demo_results(), "md", lang=lang)
        shown = md[md.index(f"\n## {heading}") :]
        assert "\n- The four principles of co-production described by Edgar Cahn" in shown
        assert "City of York Council's guide 'Co-production - The Approach for York'" in shown
    only = score([r for r in demo_responses() if r.instrument == "checklist"])
    md = render(only, "md")
    assert "City of York Council" in md
    assert "Edgar Cahn" not in md  # only what the report's questionnaires are based on
    assert "based on" not in render(score([]), "md")
