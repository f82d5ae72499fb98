"""Issue 11: nothing lost, nothing written outside, nothing raw on the terminal.

The one-line refusals are rows of tests/test_bad_input.py; here are the cases that
need more than an exit code: what the store holds afterwards, what a file keeps,
what reaches the terminal.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from coprod_connectors.cli import app
from coprod_connectors.safety import (
    confined,
    control_characters,
    one_line,
    printable,
    safe_name,
)
from coprod_connectors.store import Store
from coprod_connectors.synthetic import demo_responses

runner = CliRunner()
SMALL = Path(__file__).parent / "data" / "instruments" / "small.yaml"
HEAD = "id;submitdate;startlanguage;role;paid;howMuch\n"


def _run(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, result.stderr


def _export(folder: Path, role: str, date: str = "2026-03-01 10:00:00") -> Path:
    folder.mkdir(exist_ok=True)
    path = folder / "export.csv"
    rows = "".join(f"{n};{date};en;{role};y;{n}\n" for n in (1, 2, 3))
    path.write_text(HEAD + rows, encoding="utf-8")
    return path


def _import(path: Path, *extra: str) -> tuple[int, str, str]:
    return _run("import", str(path), "--platform", "limesurvey", "--instrument", str(SMALL), *extra)


def test_two_exports_with_the_same_name_never_replace_each_others_rows(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    code, out, _ = _import(_export(tmp_path / "a", "user"))
    assert code == 0
    assert "3 new" in out
    code, out, _ = _import(_export(tmp_path / "b", "staff"))
    assert code == 0
    assert "3 new" in out
    code, out, _ = _import(tmp_path / "a" / "export.csv")  # the same file again
    assert "0 new, 0 updated" in out
    with Store("coprod.db") as db:
        roles = sorted(r.role or "" for r in db.responses())
    assert roles == ["staff"] * 3 + ["user"] * 3


def test_a_later_export_of_the_same_survey_updates_its_rows_with_survey_id(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    _import(_export(tmp_path / "a", "user"), "--survey-id", "805484")
    code, out, _ = _import(_export(tmp_path / "b", "staff"), "--survey-id", "805484")
    assert code == 0
    assert "0 new, 3 updated" in out


def test_import_without_round_uses_each_submission_date(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    path = _export(tmp_path / "a", "user", date="2025-11-02 10:00:00")
    code, out, _ = _import(path)
    assert code == 0
    assert "(2025-H2)" in out
    with Store("coprod.db") as db:
        assert {r.round for r in db.responses()} == {"2025-H2"}


def test_profiles_add_keeps_comments_and_other_profiles_options(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    before = (
        "# our survey servers\n"
        "[profiles.field]\n"
        'platform = "kobotoolbox"\n'
        'url = "https://kf.example.org"  # the EU server\n'
        'options = {timezone = "Europe/London", include_incomplete = true}\n'
    )
    Path("coprod.toml").write_text(before, encoding="utf-8")
    code, _, err = _run(
        "profiles", "add", "council", "--platform", "limesurvey", "--url", "https://ls.example.org"
    )
    assert code == 0, err
    after = Path("coprod.toml").read_text(encoding="utf-8")
    assert after.startswith(before)
    assert 'url = "https://ls.example.org"' in after
    code, out, _ = _run("profiles", "list", "--json")
    assert {p["name"] for p in json.loads(out)} == {"council", "field"}


def test_profile_names_never_share_an_environment_variable() -> None:
    from coprod_connectors.config import secret_env_var

    assert secret_env_var("a-b") == "COPROD_A_B_SECRET"
    code, _, err = _run("profiles", "add", "a_b", "--platform", "limesurvey", "--url", "https://x")
    assert code == 2
    assert "not a profile name" in err


def test_a_password_in_a_url_is_never_written_or_printed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    code, out, err = _run(
        "profiles", "add", "ls", "--platform", "limesurvey", "--url", "https://me:hunter2@x.org"
    )
    assert code == 2
    assert "hunter2" not in out + err
    assert not Path("coprod.toml").exists()


def test_the_demo_never_touches_a_folder_it_did_not_make(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    with Store("coprod.db") as db:
        before = db.snapshot()
    code, _, err = _run("demo", "-o", ".")
    assert code == 2
    assert "did not make" in err
    with Store("coprod.db") as db:
        assert db.snapshot() == before
    assert _run("demo", "-o", "mine")[0] == 0
    assert _run("demo", "-o", "mine")[0] == 0  # its own folder: made again


def test_limesurvey_build_writes_a_page_format_limesurvey_accepts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    code, _, err = _run("build", "checklist", "--platform", "limesurvey", "-o", "c.lss")
    assert code == 0, err
    text = Path("c.lss").read_text(encoding="utf-8")
    assert "<format>S</format>" in text or "<format><![CDATA[S]]></format>" in text
    assert "lss]]></format>" not in text
    assert "<format>lss</format>" not in text


def test_the_default_build_name_stays_in_the_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    code, out, _ = _run("build", "checklist", "--platform", "kobotoolbox")
    assert code == 0
    written = out.split()[1]
    assert (tmp_path / written).is_file()
    assert all(p.name.startswith(written.removesuffix(".xlsx")) for p in tmp_path.iterdir())


def test_a_response_to_an_unknown_version_is_not_scored_as_another(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    known = demo_responses()[:12]
    odd = [r.model_copy(update={"instrument_version": "9.0.0"}) for r in known[:2]]
    Path("r.jsonl").write_text(
        "".join(r.to_json() + "\n" for r in [*known, *odd]), encoding="utf-8"
    )
    code, out, err = _run("score", "r.jsonl", "--format", "json")
    assert code == 0
    assert "not scored" in err
    data = json.loads(out)
    assert sum(data["unscored"].values()) == 2
    assert any(key.endswith(" 9.0.0") for key in data["unscored"])


ESCAPES = "\x1b]0;owned\x07\x1b[2J\x9b31m\u202etxt.exe"


def test_nothing_from_outside_reaches_the_terminal_raw(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    rows = [r.model_copy(update={"subject": "Ward" + ESCAPES}) for r in demo_responses()[:12]]
    Path("r.jsonl").write_text("".join(r.to_json() + "\n" for r in rows), encoding="utf-8")
    for fmt in ("text", "md", "csv", "json"):
        code, out, err = _run("score", "r.jsonl", "--format", fmt)
        assert code == 0
        for char in ("\x1b", "\x07", "\x9b", "\u202e"):
            assert char not in out + err, fmt
    code, out, err = _run("score", "missing" + ESCAPES)
    assert code != 0
    assert "\x1b" not in out + err


def test_rich_markup_from_outside_is_not_read_as_markup(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    code, out, _ = _run("instruments", "show", str(SMALL))
    assert code == 0
    text = SMALL.read_text(encoding="utf-8").replace(
        "A small test instrument", "[red]A small[/red] test instrument"
    )
    Path("m.yaml").write_text(text, encoding="utf-8")
    code, out, _ = _run("instruments", "show", "m.yaml")
    assert code == 0
    assert "[red]A small[/red]" in out


@settings(derandomize=True, database=None, deadline=None, max_examples=500)
@given(st.text() | st.text(alphabet=st.sampled_from(' \t\n\r\x1b\x07\x85\u2028\u202eaŵ,"')))
def test_one_line_is_one_line_and_shows_nothing_raw(text: str) -> None:
    """Its shortcut for text with nothing to change gives what the long way gives."""
    shown = one_line(text)
    assert shown == printable(" ".join(text.split()))
    assert shown == " ".join(shown.split())
    assert not re.search(
        "[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2028\u2029\u2066-\u2069]", shown
    )


def test_the_safety_helpers() -> None:
    assert printable("a\x1b[2Jb\n\u202e") == "a\\x1b[2Jb \\u202e"
    assert control_characters("ok\ttext\n") == []
    assert control_characters("bad\x07") == ["\\x07"]
    assert safe_name("1/../../x", what="v") == "1_.._.._x"
    for bad in ("..", ".", "", "con"):
        with pytest.raises(Exception, match="cannot name a file"):
            safe_name(bad, what="an id")
    with pytest.raises(Exception, match="outside"):
        confined(Path("/tmp/x"), "..", "y")
