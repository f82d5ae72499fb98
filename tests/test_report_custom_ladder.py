"""A ladder file (``--ladder FILE.yaml``): every report people read names its rungs.

The results keep only the ladder's id; the reports are given the ladder itself
(:class:`~coprod_connectors.report.ReportContext`), so a ladder that is not a built-in
is shown in its own words, in every format, from ``coprod score`` and ``coprod report``.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from datetime import datetime, timezone
from importlib import resources
from pathlib import Path

import pytest

from coprod_connectors.connectors import Deployment
from coprod_connectors.instruments import builtin_instrument
from coprod_connectors.store import Store
from coprod_connectors.synthetic import demo_responses
from coprod_testkit.cli import run

#: the built-in five-rung ladder's labels, and the custom ladder's words for them
LABELS = {
    "The five-rung ladder": "The lighthouse ladder",
    "No engagement": "Lamp unlit",
    "Information": "Lamp flickering",
    "Consultation": "Lamp glowing",
    "Participation": "Lamp shining",
    "Co-production": "Lamp blazing",
}


def _five_rung() -> str:
    path = resources.files("coprod_connectors") / "ladders" / "five-rung.yaml"
    return path.read_text(encoding="utf-8")


def _renamed(text: str) -> str:
    for old, new in LABELS.items():
        text = text.replace(f'"{old}"', f'"{new}"')
    return text


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``custom.yaml`` (the five-rung ladder with id ``custom`` and other words),
    ``r.jsonl`` (the demo's responses) and the store ``coprod.db`` holding them."""
    here = tmp_path_factory.mktemp("ladder")
    custom = _renamed(_five_rung()).replace("id: five-rung", "id: custom", 1)
    assert custom.count("Lamp ") == 5
    (here / "custom.yaml").write_text(custom, encoding="utf-8")
    responses = demo_responses()
    (here / "r.jsonl").write_text("".join(r.to_json() + "\n" for r in responses), "utf-8")
    with Store(str(here / "coprod.db")) as db:
        for instrument_id in sorted({r.instrument for r in responses}):
            instrument = builtin_instrument(instrument_id)
            for round_ in sorted({r.round for r in responses if r.instrument == instrument_id}):
                deployment = Deployment(
                    platform="test",
                    profile="test",
                    remote_id=f"{instrument_id}-{round_}",
                    instrument=instrument_id,
                    instrument_version=instrument.version,
                    round=round_,
                    created_at=datetime(2026, 1, 1, tzinfo=timezone.utc),
                )
                items = [
                    r.model_copy(update={"deployment": deployment.key})
                    for r in responses
                    if r.instrument == instrument_id and r.round == round_
                ]
                db.import_responses(deployment, instrument, items)
    return here


def _read(folder: Path, command: str, fmt: str, lang: str = "en") -> str:
    """The report ``command`` (score or report) writes in ``fmt`` with the custom ladder."""
    given = (
        (str(folder / "r.jsonl"),) if command == "score" else ("--store", str(folder / "coprod.db"))
    )
    if fmt == "pdf":
        pytest.importorskip("weasyprint", reason="PDF needs WeasyPrint (the pdf extra)")
        if shutil.which("pdftotext") is None:
            pytest.skip("reading a PDF's text needs pdftotext (poppler-utils)")
    out = folder / f"{command}-{lang}.{fmt}"
    code, stdout, stderr = run(
        command, *given, "--ladder", str(folder / "custom.yaml"), "-f", fmt, "--lang", lang,
        *(("-o", str(out)) if fmt != "text" else ()),
    )  # fmt: skip
    assert code == 0, stderr
    if fmt == "text":
        return stdout
    if fmt == "pdf":
        pdftotext = shutil.which("pdftotext")
        assert pdftotext is not None
        done = subprocess.run(
            [pdftotext, "-raw", str(out), "-"], capture_output=True, text=True, check=True
        )
        return " ".join(done.stdout.split())
    return out.read_text(encoding="utf-8-sig")


@pytest.mark.parametrize(
    ("command", "fmt", "lang"),
    [
        *(
            (c, f, lang)
            for c in ("score", "report")
            for f in ("text", "md", "html")
            for lang in ("en", "cy")
        ),
        ("report", "pdf", "cy"),  # the HTML printed (a PDF takes seconds: one is enough)
    ],
)
def test_every_readable_report_names_the_files_rungs(
    folder: Path, command: str, fmt: str, lang: str
) -> None:
    text = _read(folder, command, fmt, lang)
    if fmt == "html":
        text = " ".join(re.sub(r"<[^>]+>", " ", text).split())
    assert "The lighthouse ladder" in text
    # the demo's results reach these rungs, and every report names the rung reached
    assert "Lamp shining" in text or "Lamp glowing" in text
    assert "The five-rung ladder" not in text
    if fmt != "text":  # the text summary has no "About the ladder"
        for new in LABELS.values():
            assert new in text, new
    for old in ("No engagement", "Consultation", "Participation"):
        assert old not in text, old


@pytest.mark.parametrize("command", ["score", "report"])
@pytest.mark.parametrize("fmt", ["actions", "csv", "json"])
def test_the_sheets_and_data_are_written_with_a_ladder_file(
    folder: Path, command: str, fmt: str
) -> None:
    """The action-plan sheet has no rungs; csv and json keep the codes and the ladder's id."""
    written = _read(folder, command, fmt)
    assert len(written.splitlines()) > 10
    if fmt == "json":
        assert json.loads(written)["ladder"] == "custom"
    if fmt == "csv":
        assert "shining" not in written
        assert ",participation," in written or ",consultation," in written


def test_a_file_taking_a_builtin_id_with_other_words_is_refused(folder: Path) -> None:
    """Results, JSON and CSV name a ladder by its id alone: a file called five-rung that
    says other things would be passed off as the built-in one."""
    clash = folder / "clash.yaml"
    clash.write_text(_renamed(_five_rung()), encoding="utf-8")
    for command in ("score", "report"):
        given = (
            (str(folder / "r.jsonl"),)
            if command == "score"
            else ("--store", str(folder / "coprod.db"))
        )
        code, stdout, stderr = run(command, *given, "--ladder", str(clash), "-f", "md")
        assert code == 2
        assert stdout == ""
        line = "error: clash.yaml: the id 'five-rung' is a built-in ladder's, and this one differs"
        assert stderr.strip().splitlines() == [
            f"{line} (give the ladder in the file an id of its own)"
        ]


def test_a_copy_of_a_builtin_ladder_is_that_ladder(folder: Path) -> None:
    copy = folder / "copy.yaml"
    copy.write_text(_five_rung(), encoding="utf-8")
    code, stdout, _ = run("score", str(folder / "r.jsonl"), "--ladder", str(copy))
    assert code == 0
    assert "The five-rung ladder" in stdout
