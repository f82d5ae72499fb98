"""Bad input of every kind: a clear one-line error, a non-zero exit code, no traceback,
and nothing already stored is lost.

The cases are a table so the count is visible; platform replies that go wrong are
covered with each connector's tests and the fault suite.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

import pytest
from typer.testing import CliRunner

from coprod_connectors.cli import app
from coprod_connectors.store import Store
from coprod_connectors.synthetic import demo_responses

DATA = Path(__file__).parent / "data" / "instruments"
runner = CliRunner()

GOOD = json.loads(demo_responses()[0].to_json())


def jsonl(*rows: object) -> str:
    return "".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in rows)


def with_(**changes: object) -> dict[str, object]:
    row = dict(GOOD)
    for key, value in changes.items():
        if value is None:
            row.pop(key, None)
        else:
            row[key] = value
    return row


@dataclass(frozen=True)
class Case:
    id: str
    args: tuple[str, ...]
    code: int
    words: str
    files: dict[str, str | bytes] | None = None
    env: dict[str, str] | None = None
    setup: Callable[[Path], None] | None = None


SMALL = (DATA / "small.yaml").read_text(encoding="utf-8")
#: Instruments with one hostile change each, named in the cases' files.
INSTRUMENTS = {
    "VERSION_PATH": SMALL.replace('version: "1.0.0"', 'version: "1/../../x"'),
    "LABEL_CONTROL": SMALL.replace("Which describes you best?", "Which\\a one\\e[2J?"),
    "RESERVED_TOKEN": SMALL.replace("code: role", "code: token"),
}

TOML_OK = (
    '[profiles.ls]\nplatform = "limesurvey"\nurl = "https://survey.example.org"\nuser = "lead"\n'
)

CASES = [
    # --- configuration and profiles ------------------------------------------------------
    Case("toml-syntax", ("profiles", "list"), 2, "not valid TOML", {"coprod.toml": "[profiles\n"}),
    Case("toml-not-utf8", ("profiles", "list"), 2, "not UTF-8", {"coprod.toml": b"\xff\xfe[x]"}),
    Case(
        "profiles-not-table",
        ("profiles", "list"),
        2,
        "must be a table",
        {"coprod.toml": "profiles = 3\n"},
    ),
    Case(
        "profile-not-table",
        ("profiles", "list"),
        2,
        "profiles.ls must be a table",
        {"coprod.toml": "[profiles]\nls = 1\n"},
    ),
    Case(
        "password-in-file",
        ("profiles", "list"),
        2,
        "secrets never go in the file",
        {"coprod.toml": TOML_OK + 'password = "x"\n'},
    ),
    Case(
        "token-in-file",
        ("profiles", "list"),
        2,
        "secrets never go in the file",
        {"coprod.toml": TOML_OK + 'token = "x"\n'},
    ),
    Case(
        "profile-missing-platform",
        ("profiles", "list"),
        2,
        "profiles.ls",
        {"coprod.toml": '[profiles.ls]\nurl = "https://x"\n'},
    ),
    Case(
        "profile-unknown-field",
        ("profiles", "list"),
        2,
        "profiles.ls",
        {"coprod.toml": TOML_OK + 'colour = "red"\n'},
    ),
    Case(
        "profile-bad-name",
        ("profiles", "list"),
        2,
        "not a profile name",
        {"coprod.toml": '[profiles."my profile"]\nplatform = "limesurvey"\nurl = "https://x"\n'},
    ),
    Case(
        "profile-unknown",
        ("profiles", "test", "nope"),
        2,
        "no profile 'nope'",
        {"coprod.toml": TOML_OK},
    ),
    Case(
        "profile-no-secret",
        ("profiles", "test", "ls"),
        2,
        "set COPROD_LS_SECRET",
        {"coprod.toml": TOML_OK},
    ),
    Case(
        "profile-unknown-platform",
        ("profiles", "test", "surveyx"),
        2,
        "no connector called 'surveyx'",
        {"coprod.toml": '[profiles.surveyx]\nplatform = "surveyx"\nurl = "https://x"\n'},
    ),
    Case(
        "add-unknown-platform",
        ("profiles", "add", "x", "--platform", "surveyx", "--url", "https://x"),
        2,
        "no connector called 'surveyx'",
    ),
    Case(
        "add-bad-url",
        ("profiles", "add", "x", "--platform", "limesurvey", "--url", "survey"),
        2,
        "is not a URL",
    ),
    Case(
        "push-unknown-profile",
        ("push", "checklist", "--to", "nope"),
        2,
        "no profile 'nope'",
        {"coprod.toml": TOML_OK},
    ),
    Case(
        "push-missing-participants",
        ("push", "checklist", "--to", "ls", "--option", "participants=people.csv"),
        2,
        "push option participants='people.csv': Path does not point to a file",
        {"coprod.toml": TOML_OK},
    ),
    Case(
        "push-unknown-option",
        ("push", "checklist", "--to", "ls", "--option", "colour=red"),
        2,
        "the limesurvey connector has no push option 'colour'",
        {"coprod.toml": TOML_OK},
    ),
    Case(
        "push-option-of-the-wrong-type",
        ("push", "checklist", "--to", "ls", "--option", "closed=perhaps"),
        2,
        "push option closed='perhaps': Input should be a valid boolean",
        {"coprod.toml": TOML_OK},
    ),
    Case(
        "push-option-without-a-value",
        ("push", "checklist", "--to", "ls", "--option", "participants"),
        2,
        "push option participants needs a value",
        {"coprod.toml": TOML_OK},
    ),
    Case(
        "push-missing-media",
        ("push", "checklist", "--to", "ls", "--media", "nowhere.png"),
        2,
        "nowhere.png: no such file",
        {"coprod.toml": TOML_OK},
    ),
    Case(
        "push-no-secret",
        ("push", "checklist", "--to", "ls"),
        2,
        "no password for profile 'ls'",
        {"coprod.toml": TOML_OK},
    ),
    # --- command-line arguments ----------------------------------------------------------
    Case("score-missing-file", ("score", "nope.jsonl"), 2, "no such file"),
    Case(
        "score-bad-format",
        ("score", "r.jsonl", "--format", "docx"),
        2,
        "Invalid value",
        {"r.jsonl": ""},
    ),
    Case("score-k-zero", ("score", "r.jsonl", "--k", "0"), 2, "Invalid value", {"r.jsonl": ""}),
    Case(
        "score-unknown-ladder",
        ("score", "r.jsonl", "--ladder", "nine-rung"),
        2,
        "nine-rung",
        {"r.jsonl": jsonl(GOOD)},
    ),
    Case(
        "score-output-folder-missing",
        ("score", "r.jsonl", "-f", "json", "-o", "no/such/dir/x.json"),
        2,
        "cannot write",
        {"r.jsonl": jsonl(GOOD)},
    ),
    Case(
        "build-unknown-platform",
        ("build", "checklist", "--platform", "surveyx"),
        2,
        "no connector called 'surveyx'",
    ),
    Case(
        "build-unknown-instrument",
        ("build", "nope", "--platform", "kobotoolbox"),
        2,
        "no such file",
    ),
    Case(
        "build-broken-instrument",
        ("build", str(DATA / "broken" / "code-with-space.yaml"), "--platform", "kobotoolbox"),
        2,
        "'stage 1' must be letters and digits",
    ),
    Case(
        "show-unknown-language",
        ("instruments", "show", "checklist", "--lang", "fr"),
        2,
        "has no 'fr' text",
    ),
    Case("validate-missing", ("instruments", "validate", "nope.yaml"), 2, "no such file"),
    Case("validate-folder", ("instruments", "validate", "."), 2, "cannot be read"),
    Case("sync-workers-zero", ("sync", "--workers", "0"), 2, "Invalid value"),
    Case(
        "import-missing-file",
        ("import", "x.csv", "--platform", "limesurvey", "--instrument", "checklist"),
        2,
        "x.csv: no such file",
    ),
    Case(
        "import-unknown-platform",
        ("import", "x.csv", "--platform", "surveyx", "--instrument", "checklist"),
        2,
        "no connector called 'surveyx'",
        {"x.csv": "id\n1\n"},
    ),
    Case(
        "import-unknown-instrument",
        ("import", "x.csv", "--platform", "limesurvey", "--instrument", "nope"),
        2,
        "no such file",
        {"x.csv": "id\n1\n"},
    ),
    Case(
        "demo-output-is-a-file",
        ("demo", "-o", "taken"),
        2,
        "is a file, not a folder",
        {"taken": "x"},
    ),
    Case("unknown-command", ("frobnicate",), 2, "No such command"),
    # --- response files (coprod score) ---------------------------------------------------------
    Case(
        "responses-not-json",
        ("score", "r.jsonl"),
        2,
        "r.jsonl:1",
        {"r.jsonl": "this is not json\n"},
    ),
    Case("responses-array", ("score", "r.jsonl"), 2, "r.jsonl:1", {"r.jsonl": "[1, 2, 3]\n"}),
    Case("responses-null", ("score", "r.jsonl"), 2, "r.jsonl:1", {"r.jsonl": "null\n"}),
    Case(
        "responses-missing-id",
        ("score", "r.jsonl"),
        2,
        "r.jsonl:2: response_id",
        {"r.jsonl": jsonl(GOOD, with_(response_id=None))},
    ),
    Case(
        "responses-empty-id",
        ("score", "r.jsonl"),
        2,
        "response_id",
        {"r.jsonl": jsonl(with_(response_id=""))},
    ),
    Case(
        "responses-bad-date",
        ("score", "r.jsonl"),
        2,
        "submitted_at",
        {"r.jsonl": jsonl(with_(submitted_at="last Tuesday"))},
    ),
    Case(
        "responses-date-wrong-type",
        ("score", "r.jsonl"),
        2,
        "submitted_at",
        {"r.jsonl": jsonl(with_(submitted_at=[2026]))},
    ),
    Case(
        "responses-bad-round",
        ("score", "r.jsonl"),
        2,
        "is not a round name",
        {"r.jsonl": jsonl(with_(round="second half of 2026!"))},
    ),
    Case(
        "responses-answers-not-object",
        ("score", "r.jsonl"),
        2,
        "answers",
        {"r.jsonl": jsonl(with_(answers=["a", "b"]))},
    ),
    Case(
        "responses-extra-field",
        ("score", "r.jsonl"),
        2,
        "Extra inputs",
        {"r.jsonl": jsonl(with_(password="x"))},
    ),
    Case(
        "responses-missing-instrument",
        ("score", "r.jsonl"),
        2,
        "instrument",
        {"r.jsonl": jsonl(with_(instrument=None))},
    ),
    Case(
        "responses-not-utf8",
        ("score", "r.jsonl"),
        2,
        "not UTF-8",
        {"r.jsonl": b'{"a": "\xff\xfe"}\n'},
    ),
    Case(
        "responses-truncated",
        ("score", "r.jsonl"),
        2,
        "r.jsonl:2",
        {"r.jsonl": jsonl(GOOD) + json.dumps(GOOD)[:40] + "\n"},
    ),
    # --- stores ----------------------------------------------------------------------------
    Case("store-folder-missing", ("status", "--store", "no/such/folder/x.db"), 1, "does not exist"),
    Case(
        "store-not-a-database",
        ("status", "--store", "junk.db"),
        1,
        "cannot open the store",
        {"junk.db": b"this is not a database" * 100},
    ),
    Case(
        "store-is-a-folder",
        ("status", "--store", "afolder"),
        1,
        "cannot open the store",
        setup=lambda d: (d / "afolder").mkdir(),
    ),
    Case(
        "store-unknown-driver",
        ("status", "--store", "mysql://u:pw@127.0.0.1/x"),
        1,
        "not installed",
    ),
    Case(
        "store-bad-url",
        ("status", "--store", "postgresql+psycopg://u:hunter2@127.0.0.1:1/x?connect_timeout=1"),
        1,
        "cannot open the store",
    ),
    Case(
        "store-another-applications-sqlite",
        ("status", "--store", "app.db"),
        2,
        "is not a coprod store: it holds other tables (users)",
        setup=lambda d: _sqlite(d / "app.db", "CREATE TABLE users (id INTEGER PRIMARY KEY)"),
    ),
    Case(
        "store-from-a-newer-version",
        ("status", "--store", "new.db"),
        1,
        "upgrade coprod-connectors",
        setup=lambda d: _newer_store(d / "new.db"),
    ),
    # --- issue 11: hostile input of every class --------------------------------------------
    Case(
        "profile-name-path",
        ("profiles", "add", "../x", "--platform", "limesurvey", "--url", "https://x.org"),
        2,
        "not a profile name",
    ),
    Case(
        "profile-name-punctuation",
        ("profiles", "add", "bad name!", "--platform", "limesurvey", "--url", "https://x.org"),
        2,
        "not a profile name",
    ),
    Case(
        "profile-name-underscore",
        ("profiles", "add", "a_b", "--platform", "limesurvey", "--url", "https://x.org"),
        2,
        "not a profile name",
    ),
    Case(
        "profile-url-with-password",
        ("profiles", "add", "ls", "--platform", "limesurvey", "--url", "https://u:hunter2@x.org"),
        2,
        "never kept",
    ),
    Case(
        "profile-url-file",
        ("profiles", "add", "ls", "--platform", "limesurvey", "--url", "file:///etc/passwd"),
        2,
        "https://",
    ),
    Case(
        "profile-url-javascript",
        ("profiles", "add", "ls", "--platform", "limesurvey", "--url", "javascript:alert(1)"),
        2,
        "not a URL",
    ),
    Case(
        "profile-user-control-character",
        (
            "profiles",
            "add",
            "ls",
            "--platform",
            "limesurvey",
            "--url",
            "https://x.org",
            "--user",
            "a\x1b]0;owned\x07",
        ),
        2,
        "control characters",
    ),
    Case(
        "profile-options-token",
        ("profiles", "list"),
        2,
        "looks like a secret",
        {"coprod.toml": TOML_OK + 'options = {token = "hunter2"}\n'},
    ),
    Case(
        "profile-url-password-in-file",
        ("profiles", "list"),
        2,
        "never kept",
        {"coprod.toml": '[profiles.ls]\nplatform = "limesurvey"\nurl = "https://u:hunter2@x"\n'},
    ),
    Case("config-is-a-folder", ("profiles", "list", "--config", "."), 2, "is a folder"),
    Case(
        "toml-nested-deeply",
        ("profiles", "list"),
        2,
        "nested too deeply",
        {"coprod.toml": "a = " + "[" * 5000 + "]" * 5000 + "\n"},
    ),
    Case(
        "build-into-missing-folder",
        ("build", "self-reflection", "--platform", "limesurvey", "-o", "nope/x.lss"),
        2,
        "does not exist",
    ),
    Case(
        "build-onto-a-folder",
        ("build", "self-reflection", "--platform", "limesurvey", "-o", "."),
        2,
        "is a folder",
    ),
    Case(
        "build-suffix-mismatch",
        ("build", "self-reflection", "--platform", "limesurvey", "-o", "x.xlsx"),
        2,
        "end in .lss",
    ),
    Case(
        "build-version-path",
        ("build", "v.yaml", "--platform", "kobotoolbox"),
        2,
        "version",
        {"v.yaml": "VERSION_PATH"},
    ),
    Case(
        "build-label-control-character-kobo",
        ("build", "c.yaml", "--platform", "kobotoolbox"),
        2,
        "control characters",
        {"c.yaml": "LABEL_CONTROL"},
    ),
    Case(
        "build-reserved-code-limesurvey",
        ("build", "r.yaml", "--platform", "limesurvey"),
        2,
        "keeps for itself",
        {"r.yaml": "RESERVED_TOKEN"},
    ),
    Case(
        "validate-reserved-code",
        ("instruments", "validate", "r.yaml"),
        2,
        "'token' is a name limesurvey keeps for itself",
        {"r.yaml": "RESERVED_TOKEN"},
    ),
    Case(
        "validate-yaml-alias-bomb",
        ("instruments", "validate", "b.yaml"),
        2,
        "too big to be an instrument",
        {
            "b.yaml": "a: &a [1,1,1,1,1,1,1,1,1]\n"
            + "".join(
                f"{chr(98 + i)}: &{chr(98 + i)} [" + ",".join(["*" + chr(97 + i)] * 9) + "]\n"
                for i in range(8)
            )
        },
    ),
    Case(
        "validate-yaml-nested-deeply",
        ("instruments", "validate", "d.yaml"),
        2,
        "too big to be an instrument",
        {"d.yaml": "id: x\nz: " + "[" * 3000 + "]" * 3000 + "\n"},
    ),
    Case(
        "push-round-with-a-path",
        ("push", "self-reflection", "--to", "ls", "--round", "a b/../<x>"),
        2,
        "not a round name",
        {"coprod.toml": TOML_OK},
    ),
    Case(
        "import-round-with-a-path",
        (
            "import",
            "x.csv",
            "--platform",
            "limesurvey",
            "--instrument",
            "checklist",
            "--round",
            "../x",
        ),
        2,
        "not a round name",
        {"x.csv": "id\n1\n"},
    ),
    Case(
        "import-csv-cell-too-big",
        ("import", "x.csv", "--platform", "kobotoolbox", "--instrument", "checklist"),
        2,
        "cells hold at most",
        {"x.csv": "role;x\n" + '"' + "a" * (16 * 1024 * 1024 + 10) + '";1\n'},
    ),
    Case(
        "import-xlsx-zip-bomb",
        ("import", "x.xlsx", "--platform", "kobotoolbox", "--instrument", "checklist"),
        2,
        "zip bomb",
        setup=lambda d: _zip_bomb(d / "x.xlsx"),
    ),
    Case(
        "demo-beside-a-real-store",
        ("demo", "-o", "."),
        2,
        "did not make (coprod.db)",
        setup=lambda d: Store(str(d / "coprod.db")).close(),
    ),
    Case(
        "score-date-overflows-in-utc",
        ("score", "r.jsonl"),
        2,
        "cannot be shown in UTC",
        {"r.jsonl": jsonl(with_(submitted_at="9999-12-31T23:00:00-05:00"))},
    ),
    Case(
        "push-subject-control-characters",
        ("push", "checklist", "--to", "ls", "--subject", "Ward\x1b]0;owned\x07"),
        2,
        "--subject must be one line",
        {"coprod.toml": TOML_OK},
    ),
    Case(
        "import-limesurvey-csv-cell-too-big",
        ("import", "x.csv", "--platform", "limesurvey", "--instrument", "checklist"),
        2,
        "cells hold at most",
        {"x.csv": "id;role\n1;" + "a" * (16 * 1024 * 1024 + 10) + "\n"},
    ),
    Case(
        "store-with-a-damaged-deployment-row",
        ("status", "--store", "d.db"),
        1,
        "is damaged",
        setup=lambda d: _damaged(d / "d.db"),
    ),
    Case("store-in-memory", ("status", "--store", ":memory:"), 2, "keeps nothing"),
    Case("store-in-memory-url", ("sync", "--store", "sqlite://"), 2, "keeps nothing"),
    Case(
        "store-in-memory-env",
        ("status",),
        2,
        "keeps nothing",
        env={"COPROD_STORE_URL": "sqlite:///:memory:"},
    ),
]


def _sqlite(path: Path, *statements: str) -> None:
    import sqlite3

    with closing(sqlite3.connect(path)) as db:
        for statement in statements:
            db.execute(statement)
        db.commit()


def _damaged(path: Path) -> None:
    from datetime import datetime, timezone

    from coprod_connectors.connectors import Deployment
    from coprod_connectors.instruments import builtin_instrument

    deployment = Deployment(
        platform="limesurvey",
        profile="ls",
        remote_id="1",
        instrument="checklist",
        instrument_version="1.0.0",
        round="2026-H2",
        created_at=datetime(2026, 7, 1, tzinfo=timezone.utc),
    )
    with Store(str(path)) as db:
        db.record_deployment(deployment, builtin_instrument("checklist"))
    _sqlite(path, "UPDATE deployments SET details = '{broken'")


def _zip_bomb(path: Path) -> None:
    import zipfile

    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<x/>")
        archive.writestr("xl/worksheets/sheet1.xml", b"0" * (20 * 1024 * 1024))


def _newer_store(path: Path) -> None:
    Store(str(path)).close()
    _sqlite(path, "INSERT INTO migrations VALUES ('9999_from_the_future', '2099-01-01')")


def test_there_are_at_least_fifty_cases() -> None:
    assert len(CASES) >= 50
    assert len({c.id for c in CASES}) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_bad_input_is_refused_clearly(
    case: Case, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    for name in ("COPROD_CONFIG", "COPROD_STORE_URL", "COPROD_LS_SECRET"):
        monkeypatch.delenv(name, raising=False)
    for name, value in (case.env or {}).items():
        monkeypatch.setenv(name, value)
    for name, content in (case.files or {}).items():
        path = tmp_path / name
        content = INSTRUMENTS.get(content, content) if isinstance(content, str) else content
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    if case.setup is not None:
        case.setup(tmp_path)
    result = runner.invoke(app, list(case.args))
    output = result.stdout + result.stderr
    assert "Traceback" not in output
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    assert result.exit_code == case.code, output
    assert case.words in output
    assert "hunter2" not in output
    usage_error = "Invalid value" in case.words or "No such command" in case.words
    if case.args[:2] == ("instruments", "validate"):
        # validate lists every problem, then a count
        assert result.stderr.splitlines()[-1].endswith("1 problem found")
    elif not usage_error:
        # our own errors are one line
        assert result.stderr.count("\n") == 1, result.stderr


def test_a_bad_responses_file_leaves_the_store_alone(tmp_path: Path) -> None:
    demo = tmp_path / "demo"
    assert runner.invoke(app, ["demo", "-o", str(demo)]).exit_code == 0
    store = demo / "coprod.db"
    with Store(str(store)) as db:
        before = db.snapshot()
    bad = tmp_path / "bad.csv"
    bad.write_bytes(b"\x00\x01garbage")
    result = runner.invoke(
        app,
        [
            "import",
            str(bad),
            "--platform",
            "limesurvey",
            "--instrument",
            "checklist",
            "--store",
            str(store),
        ],
    )
    assert result.exit_code != 0
    assert "Traceback" not in result.stdout + result.stderr
    copy = tmp_path / "copy.db"
    shutil.copy(store, copy)
    with Store(str(store)) as db:
        assert db.snapshot() == before


def test_unknown_codes_and_odd_values_are_kept_and_flagged(tmp_path: Path) -> None:
    """Not errors: a response with an unknown code or a huge value is scored, and flagged."""
    row = with_(answers={**GOOD["answers"], "mystery": "x", "assetsEvid": "a" * 1_000_000})
    path = tmp_path / "r.jsonl"
    path.write_text(jsonl(row))
    result = runner.invoke(app, ["score", str(path), "-f", "json"])
    assert result.exit_code == 0
    assert json.loads(result.stdout)["results"]
