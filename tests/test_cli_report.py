"""coprod demo and coprod report."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from coprod_connectors.synthetic import demo_responses
from coprod_testkit.cli import run


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("demo")
    code, stdout, _ = run("demo", "-o", str(out))
    assert code == 0
    assert "Stored 240 made-up responses" in stdout
    return out


def test_demo_writes_forms_store_results_and_report(demo_dir: Path) -> None:
    assert (demo_dir / "report.html").stat().st_size > 10_000
    assert (demo_dir / "coprod.db").exists()
    results = json.loads((demo_dir / "results.json").read_text())
    assert results["schema"] == "coprod.results/1"
    subjects = {r["subject"] for r in results["results"]}
    assert len(subjects) == len({r.subject for r in demo_responses()})
    assert list((demo_dir / "forms").iterdir())


def test_demo_keeps_every_platforms_files(demo_dir: Path) -> None:
    """Two platforms may name their files alike (both XLSForm ones write ``.xlsx``): each
    gets a folder, so the count printed is the count on disk and none is overwritten."""
    from coprod_connectors.connectors import discover

    platforms = sorted(discover().connectors)
    files = sorted(p.relative_to(demo_dir / "forms") for p in (demo_dir / "forms").rglob("*.*"))
    assert sorted({f.parts[0] for f in files}) == platforms
    assert len(files) == 3 * len(platforms)


def test_demo_twice_gives_byte_identical_results(demo_dir: Path) -> None:
    before = (demo_dir / "results.json").read_bytes()
    code, stdout, _ = run("demo", "-o", str(demo_dir))
    assert code == 0
    assert (demo_dir / "results.json").read_bytes() == before
    # the summary names each subject with its rung and reasons
    assert "why" in stdout


def test_report_from_the_store_matches_the_demo(demo_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "r.json"
    code, _, _ = run("report", "--store", str(demo_dir / "coprod.db"), "-f", "json", "-o", str(out))
    assert code == 0
    assert out.read_bytes() == (demo_dir / "results.json").read_bytes()


def test_report_filters(demo_dir: Path) -> None:
    code, stdout, _ = run(
        "report",
        "--store",
        str(demo_dir / "coprod.db"),
        "--instrument",
        "ladder-check",
        "--round",
        "2026-H2",
        "-f",
        "json",
    )
    assert code == 0
    results = json.loads(stdout)["results"]
    assert results
    assert {(r["instrument"], r["round"]) for r in results} == {("ladder-check", "2026-H2")}


def test_report_on_an_empty_store(tmp_path: Path) -> None:
    code, _, err = run("report", "--store", str(tmp_path / "empty.db"))
    assert code == 0
    assert "no responses match" in err


def test_report_on_a_missing_folder_is_one_line(tmp_path: Path) -> None:
    code, _, err = run("report", "--store", str(tmp_path / "nope" / "x.db"))
    assert code == 1
    assert err.count("\n") == 1
    assert "does not exist" in err


def test_report_html_in_welsh_with_a_fixed_date_is_reproducible(
    demo_dir: Path, tmp_path: Path
) -> None:
    store = str(demo_dir / "coprod.db")
    outputs = []
    for name in ("one.html", "two.html"):
        out = tmp_path / name
        code, _, _ = run(
            "report", "--store", store, "-f", "html", "--lang", "cy", "--date", "2026-12-01",
            "--organisation", "Cyngor Sir Enghraifft", "-o", str(out),
        )  # fmt: skip
        assert code == 0
        outputs.append(out.read_text(encoding="utf-8"))
    assert outputs[0] == outputs[1]
    html = outputs[0]
    assert '<html lang="cy">' in html
    assert "Adroddiad cydgynhyrchu" in html
    assert '<time datetime="2026-12-01">1 Rhagfyr 2026</time>' in html
    assert "Cyngor Sir Enghraifft" in html
    # where the data came from: the deployments the responses belong to
    assert "demo (demo): checklist-2026-H1, checklist" in html


def test_report_in_an_unknown_language_is_refused(demo_dir: Path) -> None:
    code, _, err = run("report", "--store", str(demo_dir / "coprod.db"), "--lang", "xx")
    assert code == 2
    assert err.count("\n") == 1
    assert "en, cy" in err


def test_report_pdf(demo_dir: Path, tmp_path: Path) -> None:
    pytest.importorskip("weasyprint", reason="PDF needs WeasyPrint (the pdf extra)")
    out = tmp_path / "report.pdf"
    code, _, err = run(
        "report", "--store", str(demo_dir / "coprod.db"), "--subject", "Oak Lane Supported Living",
        "-f", "pdf", "--paper", "letter", "--date", "2026-12-01", "-o", str(out),
    )  # fmt: skip
    assert code == 0, err
    data = out.read_bytes()
    assert data.startswith(b"%PDF-")
    pdfinfo, pdftotext = shutil.which("pdfinfo"), shutil.which("pdftotext")
    if pdfinfo and pdftotext:
        info = subprocess.run([pdfinfo, str(out)], capture_output=True, text=True, check=True)
        assert "612 x 792 pts (letter)" in info.stdout
        text = subprocess.run(
            [pdftotext, "-raw", str(out), "-"], capture_output=True, text=True, check=True
        ).stdout
        flat = " ".join(text.split())
        for words in ("Oak Lane Supported Living", "1 December 2026", "Summary", "Not answered"):
            assert words in flat, words
        for column in ("Red", "Amber", "Green", "Rating contradicts stage"):
            assert column in flat, column


def test_pdf_needs_a_file_and_weasyprint(
    demo_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = str(demo_dir / "coprod.db")
    code, _, err = run("report", "--store", store, "-f", "pdf")
    assert code == 2
    assert "needs a file" in err
    monkeypatch.setitem(sys.modules, "weasyprint", None)  # as if it were not installed
    code, _, err = run("report", "--store", store, "-f", "pdf", "-o", str(tmp_path / "r.pdf"))
    assert code == 2
    assert err == "error: PDF needs WeasyPrint: pip install 'coprod-connectors[pdf]'\n"
    assert not (tmp_path / "r.pdf").exists()
