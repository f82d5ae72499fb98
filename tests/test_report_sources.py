"""Where the data came from, on the cover: in the report's language, the names as data.

The CLI gives the reports :class:`~coprod_connectors.report.Source` facts (a platform,
a deployment, a file name); each report says them in its language, the names filled
in as given and escaped. English is as it was, word for word.
"""

from __future__ import annotations

import re
from datetime import datetime, timezone
from pathlib import Path

import pytest
from typer.testing import CliRunner

from coprod_connectors.cli import app
from coprod_connectors.connectors import Deployment
from coprod_connectors.instruments import builtin_instrument
from coprod_connectors.ladder import load_ladder
from coprod_connectors.report import ReportContext, Source, render
from coprod_connectors.report.i18n import words
from coprod_connectors.report.labels import SOURCE_WORDS, Labels
from coprod_connectors.report.markdown import md_text
from coprod_connectors.report.view import SourceKind
from coprod_connectors.scoring import score
from coprod_connectors.store import Store
from coprod_connectors.synthetic import demo_responses

#: the English source lines, as the reports said them before they were translated
ENGLISH = (
    (
        "plat&lt;x&gt; (file): checklist.sha256-abc, checklist {version}, round 2026-H1, "
        "imported from export \\*1\\*.csv"
    ),
    "responses imported without a deployment",
)
WELSH = (
    (
        "plat&lt;x&gt; (file): checklist.sha256-abc, checklist {version}, cylch 2026-H1, "
        "wedi\u2019u mewnforio o export \\*1\\*.csv"
    ),
    "ymatebion a fewnforiwyd heb arolwg cysylltiedig",
)
#: English words of the sources that a Welsh report must not show
ENGLISH_WORDS = re.compile(
    r"round 20|imported from|without a deployment|standard input|responses file"
)


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``coprod.db``: checklist responses imported from a file of a platform whose name
    is markup, and more imported without a deployment; ``r.jsonl``: the demo's."""
    here = tmp_path_factory.mktemp("sources")
    responses = [r for r in demo_responses() if r.instrument == "checklist"]
    (here / "r.jsonl").write_text("".join(r.to_json() + "\n" for r in responses), "utf-8")
    instrument = builtin_instrument("checklist")
    deployment = Deployment(
        platform="plat<x>",
        profile="file",
        remote_id="checklist.sha256-abc",
        instrument="checklist",
        instrument_version=instrument.version,
        round="2026-H1",
        created_at=datetime(2026, 1, 1, tzinfo=timezone.utc),
        details={"imported_from": "export *1*.csv"},
    )
    with Store(str(here / "coprod.db")) as db:
        stamped = [r.model_copy(update={"deployment": deployment.key}) for r in responses[:20]]
        db.import_responses(deployment, instrument, stamped)
        loose = [r.model_copy(update={"deployment": None}) for r in responses[20:40]]
        db.import_responses(deployment.model_copy(update={"remote_id": "x"}), instrument, loose)
    return here


def run(*args: str, stdin: str | None = None) -> str:
    result = CliRunner().invoke(app, list(args), input=stdin)
    assert result.exit_code == 0, result.output
    return result.stdout


def sources_of(md: str) -> list[str]:
    """The Markdown cover's sources, one a line."""
    listed = md.split(":**\n", 2)[2].split("\n- **", maxsplit=1)[0]
    return [line.removeprefix("  - ") for line in listed.splitlines()]


@pytest.mark.parametrize(("lang", "said"), [("en", ENGLISH), ("cy", WELSH)])
def test_report_names_deployments_and_files_in_the_reports_language(
    folder: Path, lang: str, said: tuple[str, ...]
) -> None:
    md = run("report", "--store", str(folder / "coprod.db"), "-f", "md", "--lang", lang)
    version = builtin_instrument("checklist").version
    assert sources_of(md) == [line.format(version=version) for line in said]
    html = run("report", "--store", str(folder / "coprod.db"), "-f", "html", "--lang", lang)
    assert "plat&lt;x&gt;" in html
    assert "<x>" not in html
    if lang == "cy":
        assert ENGLISH_WORDS.search(md) is None
        assert ENGLISH_WORDS.search(html) is None
        assert "cylch 2026-H1, wedi\u2019u mewnforio o export *1*.csv" in html


@pytest.mark.parametrize(
    ("lang", "file_line", "stdin_line"),
    [
        ("en", "responses file r.jsonl", "standard input"),
        ("cy", "ffeil ymatebion r.jsonl", "mewnbwn safonol"),
    ],
)
def test_score_names_the_file_or_standard_input(
    folder: Path, lang: str, file_line: str, stdin_line: str
) -> None:
    md = run("score", str(folder / "r.jsonl"), "-f", "md", "--lang", lang)
    assert sources_of(md) == [file_line]
    text = (folder / "r.jsonl").read_text(encoding="utf-8")
    md = run("score", "-", "-f", "md", "--lang", lang, stdin=text)
    assert sources_of(md) == [stdin_line]


def test_the_demo_says_where_its_responses_came_from_in_welsh(tmp_path: Path) -> None:
    run("demo", "-o", str(tmp_path / "demo"), "--lang", "cy")
    html = (tmp_path / "demo" / "report.html").read_text(encoding="utf-8")
    assert "<li>ymatebion ffug o coprod demo, hedyn 2026</li>" in html
    assert "made-up" not in html


@pytest.mark.parametrize("kind", sorted(SOURCE_WORDS))
def test_every_source_is_welsh_in_welsh_and_its_facts_stay_as_given(kind: SourceKind) -> None:
    fields = re.findall(r"\{(\w+)\}", SOURCE_WORDS[kind])
    source = Source.of(kind, **{name: f"{{{name}}} <&>" for name in fields})
    en = Labels(words("en"), load_ladder("five-rung")).source(source)
    cy = Labels(words("cy"), load_ladder("five-rung")).source(source)
    assert cy != en
    for name in fields:
        assert f"{{{name}}} <&>" in en
        assert f"{{{name}}} <&>" in cy
    # in a report, escaped
    md = render(score(demo_responses()), "md", lang="cy", context=ReportContext(sources=(source,)))
    assert sources_of(md) == [md_text(cy)]
