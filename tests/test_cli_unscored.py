"""Responses that were not scored are named once to the person at the terminal.

The text summary names them itself (a line "Not scored: ..."). Printed on a terminal,
that line is all: no note on stderr beside it. Anywhere else (``> file``, ``-o FILE``, a
pipe, another format) the note on stderr stays, since it is then the only place the
person at the terminal sees them; the summary written to the file keeps its line too.
The terminal is a real one (a pseudo-terminal), in a real process.
"""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

import pytest
from typer.testing import CliRunner

from coprod_connectors.cli import app
from coprod_connectors.connectors import Deployment
from coprod_connectors.instruments import builtin_instrument
from coprod_connectors.ladder import load_ladder
from coprod_connectors.store import Store
from coprod_connectors.synthetic import demo_responses

COPROD = [sys.executable, "-c", "from coprod_connectors.cli import main; main()"]
#: what the summary says (the report's own words)
IN_THE_SUMMARY = "Not scored: 2 responses to"
#: what the note on stderr says
NOTE = "note: 2 responses to"


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``r.jsonl`` and the store ``coprod.db``: 12 responses scored, 2 to a version the
    scorer does not know."""
    here = tmp_path_factory.mktemp("unscored")
    known = [r for r in demo_responses() if r.instrument == "checklist"][:12]
    odd = [
        r.model_copy(update={"instrument_version": "9.0.0", "response_id": f"{r.response_id}-9"})
        for r in known[:2]
    ]
    (here / "r.jsonl").write_text(
        "".join(r.to_json() + "\n" for r in [*known, *odd]), encoding="utf-8"
    )
    instrument = builtin_instrument("checklist")
    with Store(str(here / "coprod.db")) as db:
        for version, items in ((instrument.version, known), ("9.0.0", odd)):
            deployment = Deployment(
                platform="test",
                profile="test",
                remote_id=f"checklist-{version}",
                instrument="checklist",
                instrument_version=version,
                round=items[0].round,
                created_at=datetime(2026, 1, 1, tzinfo=timezone.utc),
            )
            stamped = [r.model_copy(update={"deployment": deployment.key}) for r in items]
            db.import_responses(deployment, instrument, stamped)
    return here


def on_a_terminal(args: list[str], cwd: Path) -> tuple[str, str, int]:
    """``coprod ARGS`` with its stdout on a (pseudo-)terminal 80 columns wide: what the
    terminal shows of stdout, stderr, the exit status."""
    import pty

    main, side = pty.openpty()
    try:
        process = subprocess.Popen(
            [*COPROD, *args],
            stdout=side,
            stderr=subprocess.PIPE,
            cwd=cwd,
            env={**os.environ, "COLUMNS": "80"},
        )
    finally:
        os.close(side)
    shown = []
    try:
        while chunk := os.read(main, 65536):
            shown.append(chunk)
    except OSError:  # EIO: the command has closed its end of the terminal
        pass
    finally:
        os.close(main)
    assert process.stderr is not None
    stderr = process.stderr.read().decode()
    process.stderr.close()
    return b"".join(shown).decode(), stderr, process.wait(timeout=120)


@pytest.mark.parametrize(
    "args", [["score", "r.jsonl"], ["report", "--store", "coprod.db"]], ids=" ".join
)
def test_on_a_terminal_the_summary_names_them_once(folder: Path, args: list[str]) -> None:
    shown, stderr, code = on_a_terminal(args, folder)
    assert code == 0
    assert shown.count(IN_THE_SUMMARY) == 1
    assert "not scored" not in stderr.lower()


def invoke(args: list[str], cwd: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[str, str]:
    monkeypatch.chdir(cwd)
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    return result.stdout, result.stderr


@pytest.mark.parametrize(
    "args", [["score", "r.jsonl"], ["report", "--store", "coprod.db"]], ids=" ".join
)
def test_into_a_file_the_note_on_stderr_stays(
    folder: Path, args: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """``> file`` (stdout not a terminal): the file has the summary's line, the terminal
    (stderr) the note."""
    out, err = invoke(args, folder, monkeypatch)
    assert out.count(IN_THE_SUMMARY) == 1
    assert err.count(NOTE) == 1


@pytest.mark.parametrize("fmt", ["text", "md", "csv", "json", "html", "actions"])
def test_with_o_file_the_note_on_stderr_stays(
    folder: Path, tmp_path: Path, fmt: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / f"report.{fmt}"
    out, err = invoke(["score", "r.jsonl", "-f", fmt, "-o", str(target)], folder, monkeypatch)
    assert out == ""
    assert err.count(NOTE) == 1
    if fmt == "text":
        assert target.read_text(encoding="utf-8").count(IN_THE_SUMMARY) == 1


@pytest.mark.parametrize("fmt", ["md", "csv", "json"])
def test_other_formats_on_a_terminal_keep_the_note(folder: Path, fmt: str) -> None:
    """csv and json do not name them in words a person reads (json has them as data):
    the note on stderr is where the person at the terminal learns of them. The Markdown
    names them as the summary does, for whoever reads the file; the note stays too (the
    Markdown's line is escaped for a Markdown renderer, not written for a terminal)."""
    shown, stderr, code = on_a_terminal(["score", "r.jsonl", "-f", fmt], folder)
    assert code == 0
    assert stderr.count(NOTE) == 1
    assert shown.count(IN_THE_SUMMARY) == (fmt == "md")


@pytest.mark.parametrize("fmt", ["md", "html"])
@pytest.mark.parametrize("lang", ["en", "cy"])
def test_a_shared_report_names_them_in_the_summarys_words(
    folder: Path, tmp_path: Path, fmt: str, lang: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A reader of the Markdown or HTML file (the PDF is the HTML printed) learns of them
    in the words of the terminal summary's line, in the report's language."""
    from coprod_connectors.report.i18n import words
    from coprod_connectors.report.labels import Labels
    from coprod_connectors.scoring import Results

    target = tmp_path / f"report.{fmt}"
    args = ["score", "r.jsonl", "-f", fmt, "--lang", lang, "-o", str(target)]
    invoke(args, folder, monkeypatch)
    text, _ = invoke(["score", "r.jsonl", "-f", "json"], folder, monkeypatch)
    ((instrument, count),) = Results.model_validate_json(text).unscored.items()
    line = Labels(words(lang), load_ladder("five-rung")).not_scored(instrument, count)
    said, _ = invoke(["score", "r.jsonl", "--lang", lang], folder, monkeypatch)
    assert " ".join(said.split()).count(line) == 1  # the summary's line, word for word
    written = target.read_text(encoding="utf-8")
    assert written.count(f"\n{line}\n" if fmt == "md" else f'<p class="unscored">{line}</p>') == 1


@pytest.mark.parametrize("lang", ["en", "cy"])
def test_a_stored_instrument_name_is_escaped(folder: Path, lang: str) -> None:
    """The instrument and version come from stored data: inert in Markdown and HTML."""
    from coprod_connectors.report import render
    from coprod_connectors.responses import responses_from
    from coprod_connectors.scoring import score

    results = score(responses_from(folder / "r.jsonl"))
    nasty = "<img src=x onerror=alert(1)> *x* [a](javascript:b) 9.0.0"
    results = results.model_copy(update={"unscored": {nasty: 3}})
    md = render(results, "md", lang=lang)
    assert "<img" not in md
    assert "&lt;img src=x onerror=alert(1)&gt; \\*x\\* \\[a\\](javascript:b) 9.0.0" in md
    html = render(results, "html", lang=lang)
    assert "<img" not in html
    assert "&lt;img src=x onerror=alert(1)&gt; *x* [a](javascript:b) 9.0.0" in html
