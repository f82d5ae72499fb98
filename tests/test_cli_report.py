"""coprod demo and coprod report."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from coprod_connectors.cli import app
from coprod_connectors.synthetic import demo_responses

runner = CliRunner()


def run(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    assert "Traceback" not in result.stdout + result.stderr
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, result.stderr


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
