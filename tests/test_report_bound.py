"""The reports people read list a bounded number of action-plan rows per subject.

HTML (and so PDF) and Markdown show the first :data:`SHOWN_ACTIONS` rows, newest round
first, then one line saying how many more there are and how to get them all; CSV and
JSON, for analysts, keep every row.
"""

from __future__ import annotations

import json
import re
from functools import cache

import pytest

from coprod_connectors.report import render
from coprod_connectors.report.view import ALL_ACTIONS_COMMAND, SHOWN_ACTIONS
from coprod_connectors.scoring import Results, score
from coprod_connectors.scoring.models import Action, SelfReflectionResult
from coprod_connectors.synthetic import demo_responses

ROW = re.compile(r'<td class="free">act-(\d+)</td>')
MD_ROW = re.compile(r"^\| [^|]+ \| [^|]+ \| act-(\d+) \|", re.MULTILINE)
MORE_EN = "more action"
MORE_CY = "gweithredu arall"  # in both the singular and the plural Welsh line


@cache
def demo() -> Results:
    return score(demo_responses())


def with_actions(count: int) -> Results:
    """The demo results, with ``count`` actions (act-0, act-1, ...) in the first subject's
    latest self-reflection and none in its earlier rounds."""
    results = demo()
    subject = results.results[0].subject
    mine = [
        r for r in results.results if r.subject == subject and isinstance(r, SelfReflectionResult)
    ]
    latest = max(mine, key=lambda r: r.round)
    actions = [
        Action(principle="assets", what=f"act-{i}", who="", when="", how="") for i in range(count)
    ]
    changed = [
        r.model_copy(update={"actions": actions if r is latest else []}) if r in mine else r
        for r in results.results
    ]
    return results.model_copy(update={"results": changed})


@pytest.mark.parametrize("lang", ["en", "cy"])
def test_html_shows_the_bound_then_one_line(lang: str) -> None:
    html = render(with_actions(SHOWN_ACTIONS + 1234), "html", lang=lang)
    assert [int(i) for i in ROW.findall(html)] == list(range(SHOWN_ACTIONS))
    lines = [line for line in html.splitlines() if ALL_ACTIONS_COMMAND in line]
    assert len(lines) == 1
    if lang == "en":
        expected = "There are 1,234 more actions. To see them all, make a spreadsheet with"
    else:
        expected = "Mae 1,234 o gamau gweithredu eraill. I\u2019w gweld i gyd, crëwch daenlen"
    assert lines[0].startswith(f"<p>{expected}")
    assert lines[0].endswith(f"<code>{ALL_ACTIONS_COMMAND}</code></p>")


@pytest.mark.parametrize("lang", ["en", "cy"])
def test_html_names_one_more_action_in_the_singular(lang: str) -> None:
    html = render(with_actions(SHOWN_ACTIONS + 1), "html", lang=lang)
    assert len(ROW.findall(html)) == SHOWN_ACTIONS
    singular = {
        "en": "There is 1 more action. To see it,",
        "cy": "Mae 1 cam gweithredu arall. I\u2019w weld,",
    }
    assert html.count(singular[lang]) == 1


@pytest.mark.parametrize("lang", ["en", "cy"])
def test_html_with_no_more_than_the_bound_shows_every_row_and_no_line(lang: str) -> None:
    html = render(with_actions(SHOWN_ACTIONS), "html", lang=lang)
    assert len(ROW.findall(html)) == SHOWN_ACTIONS
    assert ALL_ACTIONS_COMMAND not in html
    assert (MORE_EN if lang == "en" else MORE_CY) not in html


def test_markdown_shows_the_bound_then_one_line() -> None:
    md = render(with_actions(SHOWN_ACTIONS + 7), "md")
    assert [int(i) for i in MD_ROW.findall(md)] == list(range(SHOWN_ACTIONS))
    expected = (
        "There are 7 more actions. To see them all, make a spreadsheet with this command: "
        f"`{ALL_ACTIONS_COMMAND}`\n"
    )
    assert md.count(expected) == 1
    few = render(with_actions(3), "md")
    assert [int(i) for i in MD_ROW.findall(few)] == [0, 1, 2]
    assert ALL_ACTIONS_COMMAND not in few


def test_csv_and_json_keep_every_row() -> None:
    results = with_actions(SHOWN_ACTIONS + 5)
    csv_text = render(results, "csv")
    assert len(re.findall(r",act-\d+\n", csv_text)) == SHOWN_ACTIONS + 5
    found = json.loads(render(results, "json"))
    whats = [a["what"] for r in found["results"] for a in r.get("actions", [])]
    assert [w for w in whats if w.startswith("act-")] == [
        f"act-{i}" for i in range(SHOWN_ACTIONS + 5)
    ]
