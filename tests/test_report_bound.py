"""The reports people read list a bounded number of action-plan rows per subject.

HTML (and so PDF) and Markdown show the first :data:`SHOWN_ACTIONS` rows, newest round
first, then one line saying how many more there are and how to get them all; CSV and
JSON, for analysts, keep every row.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable

import pytest

from coprod_connectors.report import render
from coprod_connectors.report.view import SHOWN_ACTIONS, all_actions_command
from coprod_connectors.scoring import Results

ROW = re.compile(r'<td class="free">act-(\d+)</td>')
MD_ROW = re.compile(r"^\| [^|]+ \| [^|]+ \| act-(\d+) \|", re.MULTILINE)
LINE = {"en": "make a spreadsheet", "cy": "crëwch daenlen"}  # in the singular and the plural


@pytest.mark.parametrize("lang", ["en", "cy"])
def test_html_shows_the_bound_then_one_line(
    lang: str, with_actions: Callable[[int], Results]
) -> None:
    html = render(with_actions(SHOWN_ACTIONS + 1234), "html", lang=lang)
    assert [int(i) for i in ROW.findall(html)] == list(range(SHOWN_ACTIONS))
    command = all_actions_command(None, lang=lang)  # the reports know not how they were made
    lines = [line for line in html.splitlines() if command in line]
    assert len(lines) == 1
    if lang == "en":
        expected = "There are 1,234 more actions. To see them all, make a spreadsheet with"
    else:
        expected = "Mae 1,234 o gamau gweithredu eraill. I\u2019w gweld i gyd, crëwch daenlen"
    assert lines[0].startswith(f"<p>{expected}")
    assert lines[0].endswith(f"<code>{command}</code></p>")


@pytest.mark.parametrize("lang", ["en", "cy"])
def test_html_names_one_more_action_in_the_singular(
    lang: str, with_actions: Callable[[int], Results]
) -> None:
    html = render(with_actions(SHOWN_ACTIONS + 1), "html", lang=lang)
    assert len(ROW.findall(html)) == SHOWN_ACTIONS
    singular = {
        "en": "There is 1 more action. To see it,",
        "cy": "Mae 1 cam gweithredu arall. I\u2019w weld,",
    }
    assert html.count(singular[lang]) == 1


@pytest.mark.parametrize("lang", ["en", "cy"])
def test_html_with_no_more_than_the_bound_shows_every_row_and_no_line(
    lang: str, with_actions: Callable[[int], Results]
) -> None:
    html = render(with_actions(SHOWN_ACTIONS), "html", lang=lang)
    assert len(ROW.findall(html)) == SHOWN_ACTIONS
    assert "--format actions" not in html
    assert LINE[lang] not in html


@pytest.mark.parametrize("lang", ["en", "cy"])
def test_markdown_shows_the_bound_then_one_line(
    lang: str, with_actions: Callable[[int], Results]
) -> None:
    md = render(with_actions(SHOWN_ACTIONS + 7), "md", lang=lang)
    assert [int(i) for i in MD_ROW.findall(md)] == list(range(SHOWN_ACTIONS))
    said = {
        "en": "There are 7 more actions. To see them all, make a spreadsheet with this command:",
        "cy": "Mae 7 o gamau gweithredu eraill. I\u2019w gweld i gyd, crëwch daenlen",
    }
    command = all_actions_command(None, lang=lang)
    lines = [line for line in md.splitlines() if command in line]
    assert len(lines) == 1
    assert lines[0].startswith(said[lang])
    assert lines[0].endswith(f" `{command}`")
    few = render(with_actions(3), "md", lang=lang)
    assert [int(i) for i in MD_ROW.findall(few)] == [0, 1, 2]
    assert "--format actions" not in few


def test_csv_and_json_keep_every_row(with_actions: Callable[[int], Results]) -> None:
    results = with_actions(SHOWN_ACTIONS + 5)
    csv_text = render(results, "csv")
    assert len(re.findall(r",act-\d+\n", csv_text)) == SHOWN_ACTIONS + 5
    found = json.loads(render(results, "json"))
    whats = [a["what"] for r in found["results"] for a in r.get("actions", [])]
    assert [w for w in whats if w.startswith("act-")] == [
        f"act-{i}" for i in range(SHOWN_ACTIONS + 5)
    ]


def test_the_command_known_of_nothing_is_the_documented_one() -> None:
    from coprod_connectors.report.view import ALL_ACTIONS_COMMAND

    assert all_actions_command(None) == ALL_ACTIONS_COMMAND
    cy = all_actions_command(None, lang="cy")
    assert cy.endswith("--format actions --lang cy -o actions.csv")
