"""``coprod score``: every format, -o, and one-line errors for broken input."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from coprod_connectors.cli import app
from coprod_connectors.errors import ConfigError
from coprod_connectors.synthetic import write_demo_responses

runner = CliRunner()


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("demo") / "responses.jsonl"
    write_demo_responses(path)
    return path


def invoke(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    assert "Traceback" not in result.output + result.stderr
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, result.stderr


def test_text_prints_rung_and_reasons_per_subject_and_round(demo: Path) -> None:
    code, out, _ = invoke("score", str(demo))
    assert code == 0
    for subject in ("Riverside Day Centre", "Oak Lane Supported Living"):
        assert subject in out
    assert "2026-H1" in out
    assert "2026-H2" in out
    assert "why" in out


@pytest.mark.parametrize("fmt", ["text", "md", "json", "csv", "html"])
def test_every_format_to_stdout_and_file(demo: Path, tmp_path: Path, fmt: str) -> None:
    code, out, _ = invoke("score", str(demo), "--format", fmt)
    assert code == 0
    assert out
    target = tmp_path / f"report.{fmt}"
    code, out2, err = invoke("score", str(demo), "--format", fmt, "-o", str(target))
    assert code == 0
    assert out2 == ""
    assert str(target) in err
    written = target.read_text(encoding="utf-8")
    if fmt != "text":
        assert written == out


def test_json_is_byte_identical_and_seven_rung_works(demo: Path) -> None:
    _, one, _ = invoke("score", str(demo), "--format", "json")
    _, two, _ = invoke("score", str(demo), "--format", "json")
    assert one == two
    data = json.loads(one)
    assert data["ladder"] == "five-rung"
    _, seven, _ = invoke(
        "score", str(demo), "--format", "json", "--ladder", "seven-rung", "--k", "5"
    )
    data = json.loads(seven)
    assert data["ladder"] == "seven-rung"
    assert data["k"] == 5
    assert all(v["respondents"] >= 5 for r in data["results"] for v in r["perspectives"].values())


def test_broken_file_exits_2_with_one_line(tmp_path: Path, demo: Path) -> None:
    broken = tmp_path / "broken.jsonl"
    lines = demo.read_text(encoding="utf-8").splitlines()
    broken.write_text("\n".join([lines[0], "{not json", lines[1]]) + "\n", encoding="utf-8")
    code, out, err = invoke("score", str(broken))
    assert code == 2
    assert out == ""
    assert len(err.strip().splitlines()) == 1
    assert err.startswith("error: broken.jsonl:2:")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["missing.jsonl"], "no such file"),
        (["{demo}", "--ladder", "ten-rung"], "no ladder 'ten-rung'"),
    ],
)
def test_user_mistakes_are_one_line(demo: Path, args: list[str], message: str) -> None:
    code, _, err = invoke("score", *[a.replace("{demo}", str(demo)) for a in args])
    assert code == 2
    assert message in err
    assert len(err.strip().splitlines()) == 1


def test_bad_k_is_refused(demo: Path) -> None:
    code, _, _ = invoke("score", str(demo), "--k", "0")
    assert code == 2


def test_score_has_help() -> None:
    code, out, _ = invoke("score", "--help")
    assert code == 0
    assert "--format" in out
    assert "--ladder" in out


@pytest.mark.parametrize(
    "text",
    [
        "",
        "a",
        "a\n",
        "a\nb",
        "a\n\nb\n",
        "x\u2028y\nz\x85w\n",
        '{\n  "a": "\u2029"\n}\n',
        "\n\n",
    ],
)
def test_text_written_in_pieces_gives_the_lines_of_the_whole(text: str) -> None:
    from coprod_connectors.cli.score import _lines

    for size in (1, 2, 3, 7, len(text) or 1):
        pieces = [text[i : i + size] for i in range(0, len(text), size)]
        assert list(_lines(pieces)) == text.splitlines(), (text, size)


def test_json_pieces_are_the_json_text() -> None:
    from coprod_connectors.scoring import score
    from coprod_connectors.synthetic import demo_responses

    results = score(demo_responses(seed=7))
    assert "".join(results.json_pieces()) == results.to_json()


def test_a_report_that_fails_half_way_leaves_the_earlier_file(tmp_path: Path) -> None:
    from coprod_connectors.cli.score import replace_file

    output = tmp_path / "report.html"
    output.write_text("the earlier report\n", encoding="utf-8")
    output.chmod(0o640)

    def failing() -> Iterator[bytes]:
        yield b"<html>half"
        raise OSError(28, "No space left on device")

    with pytest.raises(ConfigError, match=r"report\.html: cannot write"):
        replace_file(output, failing())
    assert output.read_text(encoding="utf-8") == "the earlier report\n"
    assert [p.name for p in tmp_path.iterdir()] == ["report.html"]  # no partial file left

    replace_file(output, iter([b"<html>", b"whole</html>\n"]))
    assert output.read_bytes() == b"<html>whole</html>\n"
    assert output.stat().st_mode & 0o777 == 0o640  # the file keeps its mode


def test_a_report_can_be_written_to_something_that_is_not_a_file(tmp_path: Path) -> None:
    import os

    from coprod_connectors.cli.score import replace_file

    pipe = tmp_path / "pipe"
    os.mkfifo(pipe)
    reader = os.open(pipe, os.O_RDONLY | os.O_NONBLOCK)
    try:
        replace_file(pipe, iter([b"line\n"]))
        assert os.read(reader, 100) == b"line\n"
    finally:
        os.close(reader)
