"""A reader that stops reading (``coprod report | head -1``) ends the command quietly.

As Unix tools do: no message on stderr (no "unexpected BrokenPipeError", no "Exception
ignored" from the interpreter's last flush) and exit status 141 (128 + SIGPIPE), as a
shell reports a tool ended by SIGPIPE. Run in a real process with a real pipe.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from coprod_connectors.cli import app
from coprod_connectors.synthetic import write_demo_responses

#: what a shell reports for a tool ended by SIGPIPE (128 + 13): coprod ends so
CLOSED_PIPE = 141
COPROD = [sys.executable, "-c", "from coprod_connectors.cli import main; main()"]


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("pipe") / "demo"
    assert CliRunner().invoke(app, ["demo", "-o", str(folder)]).exit_code == 0
    write_demo_responses(folder / "responses.jsonl")
    return folder


def into_a_closed_pipe(args: list[str], cwd: Path) -> subprocess.CompletedProcess[bytes]:
    """Run ``coprod ARGS`` writing into a pipe whose reader has already gone: its first
    write fails, however little it writes."""
    read, write = os.pipe()
    os.close(read)
    try:
        return subprocess.run(
            [*COPROD, *args], stdout=write, stderr=subprocess.PIPE, cwd=cwd, check=False
        )
    finally:
        os.close(write)


def first_line_only(args: list[str], cwd: Path) -> tuple[bytes, int, bytes]:
    """``coprod ARGS | head -1``: read one line, then close the pipe."""
    with subprocess.Popen(
        [*COPROD, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=cwd
    ) as process:
        assert process.stdout is not None
        assert process.stderr is not None
        line = process.stdout.readline()
        process.stdout.close()
        stderr = process.stderr.read()
        return line, process.wait(timeout=120), stderr


@pytest.mark.parametrize(
    "args",
    [
        ["report", "--store", "coprod.db"],  # the terminal summary (rich)
        ["report", "--store", "coprod.db", "--format", "md"],  # a line at a time
        ["report", "--store", "coprod.db", "--format", "csv", "-o", "/dev/stdout"],
        ["score", "responses.jsonl", "--lang", "cy"],
        ["instruments", "list"],  # a rich table
        ["instruments", "list", "--json"],
        ["status", "--store", "coprod.db"],
    ],
    ids=" ".join,
)
def test_a_closed_pipe_ends_the_command_quietly(demo: Path, args: list[str]) -> None:
    done = into_a_closed_pipe(args, demo)
    assert done.stderr == b""
    assert done.returncode == CLOSED_PIPE


@pytest.mark.parametrize(
    "args",
    [
        ["--help"],
        ["--version"],
        ["report", "--help"],
        ["score", "--help"],
        ["instruments", "--help"],  # a group's help
        ["instruments", "list", "--help"],  # a command of a group
        ["push", "--help"],  # with what the connectors declare
        ["profiles", "add", "--help"],
    ],
    ids=" ".join,
)
def test_what_typer_writes_itself_ends_quietly_too(tmp_path: Path, args: list[str]) -> None:
    """The help and the version are written by typer, before any command runs: a closed
    pipe ends them as it ends a command (typer's own answer was exit status 1)."""
    done = into_a_closed_pipe(args, tmp_path)
    assert done.stderr == b""
    assert done.returncode == CLOSED_PIPE


@pytest.mark.parametrize(
    "args",
    [
        ["report", "--store", "coprod.db", "--format", "html"],  # 150 kB: more than a pipe holds
        ["score", "responses.jsonl", "--format", "json"],
    ],
    ids=" ".join,
)
def test_head_1_reads_a_line_and_the_command_ends_quietly(demo: Path, args: list[str]) -> None:
    line, code, stderr = first_line_only(args, demo)
    assert line.strip()
    assert stderr == b""
    assert code == CLOSED_PIPE


def test_a_reader_that_reads_everything_sees_exit_0(demo: Path) -> None:
    done = subprocess.run(
        [*COPROD, "instruments", "list"], capture_output=True, cwd=demo, check=False
    )
    assert done.returncode == 0
    assert done.stderr == b""
    assert b"checklist" in done.stdout


def test_an_error_keeps_its_exit_code_when_stdout_is_a_closed_pipe(tmp_path: Path) -> None:
    done = into_a_closed_pipe(["score", "missing.jsonl"], tmp_path)
    assert done.returncode == 2
    assert done.stderr.startswith(b"error: ")
    assert b"Traceback" not in done.stderr


@pytest.mark.parametrize(
    "args",
    [["no-such-command"], [], ["score", "missing.jsonl"]],
    ids=["unknown", "no-arguments", "a-missing-file"],
)
def test_an_error_written_into_a_closed_pipe_keeps_exit_2(tmp_path: Path, args: list[str]) -> None:
    """``coprod no-such-command 2>&1 | head -0``: the message (or the help) cannot be
    written, and the command still ends with the error's exit code."""
    read, write = os.pipe()
    os.close(read)
    try:
        done = subprocess.run(
            [*COPROD, *args], stdout=write, stderr=write, cwd=tmp_path, check=False
        )
    finally:
        os.close(write)
    assert done.returncode == 2
