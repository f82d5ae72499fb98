"""``coprod report --format actions``: every action-plan row as a sheet readers can open,
and the reports' "more actions" line, whose command gives exactly that sheet."""

from __future__ import annotations

import csv
import html
import io
import json
import re
import shlex
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from coprod_connectors.cli import app
from coprod_connectors.instruments import builtin_instrument
from coprod_connectors.ladder import load_ladder
from coprod_connectors.report import render, view
from coprod_connectors.report.i18n import words
from coprod_connectors.report.labels import Labels
from coprod_connectors.report.view import all_actions_command, shell_word
from coprod_connectors.scoring import Results
from coprod_connectors.scoring.models import Action, SelfReflectionResult

runner = CliRunner()
HEADER = {
    "en": ["Subject", "Round", "Principle", "What", "Who", "By when", "How"],
    "cy": ["Pwnc", "Cylch", "Egwyddor", "Beth", "Pwy", "Erbyn pryd", "Sut"],
}
BOM = "\ufeff"


@pytest.fixture(scope="module")
def demo_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo's store, in a folder whose name has a space and quotes in it."""
    folder = tmp_path_factory.mktemp("actions") / 'the board\'s "demo" folder'
    done = runner.invoke(app, ["demo", "-o", str(folder)])
    assert done.exit_code == 0, done.output
    return folder / "coprod.db"


def _invoke(args: list[str]) -> None:
    done = runner.invoke(app, args)
    assert done.exit_code == 0, done.output


def _sheet(path: Path) -> list[list[str]]:
    """The file as a spreadsheet reads it: UTF-8 after a byte-order mark, CSV rows."""
    text = path.read_bytes().decode("utf-8")
    assert text.startswith(BOM)
    return list(csv.reader(io.StringIO(text[len(BOM) :], newline="")))


def _actions_in_json(store: Path, tmp_path: Path) -> list[tuple[str | None, str, dict[str, str]]]:
    out = tmp_path / "results.json"
    _invoke(["report", "--store", str(store), "--format", "json", "-o", str(out)])
    found = json.loads(out.read_text(encoding="utf-8"))
    return [
        (r["subject"], r["round"], a)
        for r in found["results"]
        if r["instrument"] == "self-reflection"
        for a in r["actions"]
    ]


@pytest.mark.parametrize("lang", ["en", "cy"])
def test_demo_actions_sheet_has_every_action_with_labels(
    lang: str, demo_store: Path, tmp_path: Path
) -> None:
    out = tmp_path / "actions.csv"
    args = ["report", "--store", str(demo_store), "--format", "actions", "--lang", lang]
    _invoke(args)  # to the screen, too
    _invoke([*args, "-o", str(out)])
    rows = _sheet(out)
    assert rows[0] == HEADER[lang]
    expected = _actions_in_json(demo_store, tmp_path)
    assert len(rows) - 1 == len(expected) > 0
    assert all(len(row) == 7 for row in rows)
    instrument = builtin_instrument("self-reflection")
    codes = {s.code for s in instrument.sections}
    labels = Labels(words(lang), load_ladder("five-rung"))
    names = {str(labels.principle(c)) for c in codes}
    principles = {row[2] for row in rows[1:]}
    assert principles <= names | {""}
    assert not principles & codes  # labels, never codes
    assert {(row[0], row[1]) for row in rows[1:]} == {(s or "", r) for s, r, _ in expected}
    if lang == "cy":
        assert "Pobl fel asedau (mae gan bawb gryfderau)" in principles
    # the same multiset of "what" texts (as the sheet shows them: formula-safe)
    assert sorted(row[3] for row in rows[1:]) == sorted(_shown(a["what"]) for _, _, a in expected)


def _shown(text: str | None) -> str:
    if text is None:
        return ""
    one = " ".join(text.split())
    return "'" + one if one.startswith(("=", "+", "-", "@")) else one


#: Action texts as respondents may type them, and each as both sheets show it.
HOSTILE_ACTIONS = {
    '=HYPERLINK("http://evil","x")': '\'=HYPERLINK("http://evil","x")',
    "+1+1": "'+1+1",
    "-2+3": "'-2+3",
    "@SUM(A1)": "'@SUM(A1)",
    "\t=1": "'=1",  # whitespace collapsed first, and the formula still neutralised
    "\r=1": "'=1",
    "two\nlines\r\nhere": "two lines here",
    "\x1b[2Jcleared": "\\x1b[2Jcleared",
    "\u202eevil": "\\u202eevil",
    "bell\x07 and\x00nul\x7f\x9b": "bell\\x07 and\\x00nul\\x7f\\x9b",
    'a "quoted", text': 'a "quoted", text',
    "Gŵyl ŷd": "Gŵyl ŷd",
}
#: A subject's name with the same: every cell of a sheet is made safe, not only actions.
HOSTILE_SUBJECT = 'Tŷ "Gŵyl", ŷd\x1b]0;owned\x07\u202e\nnext'
SUBJECT_SHOWN = 'Tŷ "Gŵyl", ŷd\\x1b]0;owned\\x07\\u202e next'


def _hostile(with_actions: Callable[[int], Results]) -> Results:
    """The demo's results, the first self-reflection holding every hostile action text
    (as what, who and how) under a hostile subject name."""
    results = with_actions(0)
    first = next(r for r in results.results if isinstance(r, SelfReflectionResult))
    actions = [Action(principle="assets", what=t, who=t, when=None, how=t) for t in HOSTILE_ACTIONS]
    changed = [
        r.model_copy(update={"actions": actions, "subject": HOSTILE_SUBJECT})
        if r is first
        else r.model_copy(update={"actions": []})
        if isinstance(r, SelfReflectionResult)
        else r
        for r in results.results
    ]
    return results.model_copy(update={"results": changed})


def _sheet_rows(text: str) -> list[list[str]]:
    """The rows of a sheet's text, each one line of it: no raw control character, no
    bidi override, no text that breaks a row."""
    for raw in ("\x1b", "\x07", "\x00", "\x7f", "\x9b", "\u202e", "\r"):
        assert raw not in text
    rows = list(csv.reader(io.StringIO(text, newline="")))
    assert len(rows) == text.count("\n")  # one line a row
    assert all(not cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row)
    return rows


def test_hostile_action_texts_are_inert(with_actions: Callable[[int], Results]) -> None:
    rows = _sheet_rows(render(_hostile(with_actions), "actions"))
    assert len(rows) == 1 + len(HOSTILE_ACTIONS)
    assert [row[3] for row in rows[1:]] == list(HOSTILE_ACTIONS.values())
    assert [row[5] for row in rows[1:]] == [""] * len(HOSTILE_ACTIONS)
    assert {row[0] for row in rows[1:]} == {SUBJECT_SHOWN}


def test_the_analysts_csv_shows_them_as_the_actions_sheet_does(
    with_actions: Callable[[int], Results],
) -> None:
    """``--format csv`` makes respondents' text safe in the same place as the actions
    sheet (``safe_cell``): the same cells, escaped alike, a row a line."""
    rows = _sheet_rows(render(_hostile(with_actions), "csv"))
    column = {name: i for i, name in enumerate(rows[0])}

    def actions(measure: str) -> list[str]:
        return [
            row[column["value"]]
            for row in rows
            if row[column["section"]] == "action" and row[column["measure"]] == measure
        ]

    for measure in ("what", "who", "how"):
        assert actions(measure) == list(HOSTILE_ACTIONS.values())
    assert actions("when") == [""] * len(HOSTILE_ACTIONS)
    subjects = {row[column["subject"]] for row in rows[1:]}
    assert SUBJECT_SHOWN in subjects
    assert not any("\n" in s or "\x1b" in s for s in subjects)


def _line_command(report: str) -> str:
    """The command the HTML report's "more actions" line shows, as a reader copies it."""
    found = re.findall(r"make a spreadsheet with this command: <code>(.*?)</code></p>", report)
    assert len(found) == 1, found
    return html.unescape(found[0])


@pytest.mark.parametrize("subject", [None, "Northfield adult social care"])
def test_the_line_s_command_gives_every_action(
    subject: str | None,
    demo_store: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(view, "SHOWN_ACTIONS", 5)  # the demo's subjects have fewer than 50
    report = tmp_path / "report.html"
    args = ["report", "--store", str(demo_store), "--format", "html", "-o", str(report)]
    _invoke(args + (["--subject", subject] if subject else []))
    text = report.read_text(encoding="utf-8")
    shown = re.findall(r"make a spreadsheet with this command: <code>", text)
    more = [int(n.replace(",", "")) for n in re.findall(r"There are ([\d,]+) more actions", text)]
    assert len(shown) == len(more) == (1 if subject else 3)
    command = _line_command(text) if subject else None
    expected = len([a for a in _actions_in_json(demo_store, tmp_path) if subject in (None, a[0])])
    if subject is None:  # one line a subject, the same command on each
        commands = {
            html.unescape(c) for c in re.findall(r"with this command: <code>(.*?)</code></p>", text)
        }
        assert len(commands) == 1
        command = commands.pop()
    assert command is not None
    words_ = shlex.split(command)
    assert words_[:4] == ["coprod", "report", "--store", str(demo_store.absolute())]
    assert ("--subject" in words_) is (subject is not None)
    assert words_[-2:] == ["-o", "actions.csv"]
    # run it as a reader would, from another folder
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    _invoke(words_[1:])
    rows = _sheet(elsewhere / "actions.csv")
    assert len(rows) - 1 == expected
    if subject:
        assert len(rows) - 1 == 5 + more[0]
        assert {row[0] for row in rows[1:]} == {subject}


def test_the_markdown_line_shows_the_same_command(demo_store: Path, tmp_path: Path) -> None:
    out = tmp_path / "report.md"
    subject = "Northfield adult social care"
    args = ["report", "--store", str(demo_store), "--subject", subject, "--lang", "cy"]
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(view, "SHOWN_ACTIONS", 5)
        _invoke([*args, "--format", "md", "-o", str(out)])
    expected = all_actions_command(
        ("report", "--store", str(demo_store.absolute()), "--subject", subject), lang="cy"
    )
    lines = [line for line in out.read_text(encoding="utf-8").splitlines() if "coprod " in line]
    assert len(lines) == 1
    assert lines[0].endswith(f" `{expected}`")
    assert "--lang cy" in expected


def test_the_line_of_a_scored_file_gives_every_action(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from coprod_connectors.synthetic import write_demo_responses

    folder = tmp_path / "our responses"
    folder.mkdir()
    responses = folder / "all of them.jsonl"
    write_demo_responses(responses)
    monkeypatch.setattr(view, "SHOWN_ACTIONS", 5)
    report = tmp_path / "report.md"
    _invoke(["score", str(responses), "--format", "md", "-o", str(report)])
    lines = [line for line in report.read_text(encoding="utf-8").splitlines() if "coprod " in line]
    assert len(lines) == 3
    command = lines[0].rsplit(" `", 1)[1].removesuffix("`")
    assert command == lines[1].rsplit(" `", 1)[1].removesuffix("`")
    words_ = shlex.split(command)
    assert words_[:3] == ["coprod", "score", str(responses.absolute())]
    monkeypatch.chdir(folder)
    _invoke(words_[1:])
    rows = _sheet(folder / "actions.csv")
    results = tmp_path / "results.json"
    _invoke(["score", str(responses), "--format", "json", "-o", str(results)])
    found = json.loads(results.read_text(encoding="utf-8"))["results"]
    assert len(rows) - 1 == sum(len(r.get("actions", [])) for r in found) > 15


@pytest.mark.parametrize(
    "text",
    [
        "/srv/a folder/coprod.db",
        '/srv/it\'s "quoted"/coprod.db',
        "/srv/new\nline/$HOME/`id`/coprod.db",
        "/srv/\x1b[2J\u202e/tab\there\\back\\'/coprod.db",
        "/srv/\udcff-not-utf8/coprod.db",
        "",
    ],
)
def test_shell_word_is_one_printable_word_the_shell_reads_back(text: str) -> None:
    word = shell_word(text)
    assert word.isprintable()
    bash = shutil.which("bash")
    if bash is None:
        pytest.skip("no bash to read the word back")
    read = subprocess.run([bash, "-c", f"printf %s {word}"], capture_output=True, check=True).stdout
    assert read == text.encode("utf-8", "surrogateescape")


def test_a_postgres_store_s_password_is_never_shown() -> None:
    from coprod_connectors.cli.report import again_words

    again = again_words(
        "postgresql://coprod:s3cret@db.example/coprod",
        subject=None,
        round_=None,
        instrument=None,
        k=3,
    )
    assert "s3cret" not in " ".join(again)
    assert again[:2] == ("report", "--store")
