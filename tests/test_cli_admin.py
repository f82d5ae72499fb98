"""profiles, push, sync and status through the CLI, with the in-memory connector."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

import coprod_connectors.connectors as platforms
from coprod_connectors import Deployment, Handover
from coprod_connectors.cli import app
from coprod_connectors.instruments import builtin_instrument
from coprod_testkit.memory import MemoryConnector, MemoryPlatform

SECRET = "cli-s3cr3t-value-91b"
runner = CliRunner()


@pytest.fixture
def memory(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> MemoryPlatform:
    platform = MemoryPlatform(secret=SECRET)

    class Bound(MemoryConnector):
        def __init__(self) -> None:
            super().__init__(platform, page_size=4)

    real = platforms.discover

    def discover(entry_points: Any = None) -> platforms.Registry:
        registry = real(entry_points)
        registry.plugins.append(
            platforms.PluginInfo("memory", "tests:Bound", "tests", "0", connector=Bound)
        )
        return registry

    monkeypatch.setattr(platforms, "discover", discover)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("COPROD_MEM_SECRET", SECRET)
    monkeypatch.delenv("COPROD_STORE_URL", raising=False)
    monkeypatch.delenv("COPROD_CONFIG", raising=False)
    return platform


def run(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    output = result.stdout + result.stderr
    assert "Traceback" not in output
    assert SECRET not in output
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, result.stderr


def test_profiles_add_list_test(memory: MemoryPlatform, tmp_path: Path) -> None:
    code, out, _ = run(
        "profiles", "add", "mem", "--platform", "memory", "--url", "https://memory.invalid"
    )
    assert code == 0
    assert "COPROD_MEM_SECRET" in out
    text = (tmp_path / "coprod.toml").read_text()
    assert "[profiles.mem]" in text
    assert SECRET not in text
    code, out, _ = run("profiles", "list", "--json")
    assert json.loads(out)[0]["secret"] == "found"
    code, out, _ = run("profiles", "test", "mem")
    assert code == 0
    assert "logged in" in out


def test_profile_with_a_secret_in_the_file_is_refused(
    memory: MemoryPlatform, tmp_path: Path
) -> None:
    (tmp_path / "coprod.toml").write_text(
        '[profiles.mem]\nplatform = "memory"\nurl = "https://memory.invalid"\npassword = "oops"\n'
    )
    code, _, err = run("profiles", "list")
    assert code == 2
    assert "secrets never go in the file" in err


def test_wrong_secret_is_one_line(memory: MemoryPlatform, monkeypatch: pytest.MonkeyPatch) -> None:
    run("profiles", "add", "mem", "--platform", "memory", "--url", "https://memory.invalid")
    monkeypatch.setenv("COPROD_MEM_SECRET", "not-it")
    code, _, err = run("profiles", "test", "mem")
    assert code == 1
    assert err.count("\n") == 1
    assert "did not accept" in err


def test_push_sync_status(memory: MemoryPlatform) -> None:
    run("profiles", "add", "mem", "--platform", "memory", "--url", "https://memory.invalid")
    code, out, _ = run("push", "ladder-check", "--to", "mem", "--round", "2026-H2")
    assert code == 0
    assert f"live: ladder-check {builtin_instrument('ladder-check').version} on mem" in out
    # the same version again reuses the deployment
    code, out, _ = run("push", "ladder-check", "--to", "mem", "--round", "2026-H2")
    assert "already live" in out
    assert len(memory.surveys) == 1
    survey = next(iter(memory.surveys))
    for i in range(6):
        memory.submit(survey, {"role": "user", "ideaInv": str(i % 5)}, "2026-07-01T00:00:00+00:00")
    code, out, _ = run("sync", "--json")
    assert code == 0
    result = json.loads(out)
    assert result["ok"] is True
    assert result["deployments"][0]["new"] == 6
    code, out, _ = run("sync")
    assert "nothing new" in out
    code, out, _ = run("status", "--json")
    rows = json.loads(out)
    assert rows[0]["responses"] == 6
    assert rows[0]["last_sync"]["outcome"] == "ok"


def test_sync_exit_code_when_a_deployment_fails(memory: MemoryPlatform) -> None:
    run("profiles", "add", "mem", "--platform", "memory", "--url", "https://memory.invalid")
    run("push", "ladder-check", "--to", "mem", "--round", "2026-H2")
    memory.surveys.clear()
    code, out, err = run("sync")
    assert code == 1
    assert "FAILED" in err
    assert "synced 0 of 1" in out


def test_sync_with_nothing_recorded(memory: MemoryPlatform) -> None:
    code, out, _ = run("sync")
    assert code == 0
    assert "no deployments" in out


def test_push_to_an_unknown_profile(memory: MemoryPlatform) -> None:
    code, _, err = run("push", "checklist", "--to", "nowhere")
    assert code == 2
    assert "no profile 'nowhere'" in err


def test_push_prints_the_handover_and_refuses_what_the_platform_lacks(
    memory: MemoryPlatform, tmp_path: Path
) -> None:
    run("profiles", "add", "mem", "--platform", "memory", "--url", "memory")
    assert 'url = "https://memory.invalid"' in (tmp_path / "coprod.toml").read_text()
    code, out, _ = run("push", "ladder-check", "--to", "mem", "--round", "2026-H2")
    assert code == 0
    assert "url: memory://s1" in out
    assert "█" not in out  # no QR code without a payload
    code, _, err = run("push", "ladder-check", "--to", "mem", "--option", "share=ana")
    assert code == 2
    assert "the memory connector has no push option 'share' (its options: none)" in err
    people = tmp_path / "people.csv"
    people.write_text("email\nann@example.com\n")
    code, _, err = run("participants", "ladder-check", "--to", "mem", "--csv", str(people))
    assert code == 2
    assert "the memory connector has no participant lists" in err
    code, _, err = run(
        "import", str(people), "--platform", "memory", "--instrument", "ladder-check"
    )
    assert code == 2
    assert "the memory connector cannot read export files" in err
    code, out, _ = run("attachments")
    assert code == 0
    assert out == ""


def test_push_draws_the_handovers_qr_code(
    memory: MemoryPlatform, monkeypatch: pytest.MonkeyPatch
) -> None:
    def with_code(deployment: Deployment) -> Handover:
        return Handover(qr_payload="eJyrVkrLz1eyUkpKLFKqBQAbQAQf", qr_label="settings to scan")

    monkeypatch.setattr(MemoryConnector, "_handover", staticmethod(with_code))
    run("profiles", "add", "mem", "--platform", "memory", "--url", "memory")
    code, out, _ = run("push", "ladder-check", "--to", "mem", "--round", "2026-H2")
    assert code == 0
    assert "settings to scan: eJyrVkrLz1eyUkpKLFKqBQAbQAQf" in out
    drawing = out.split("eJyrVkrLz1eyUkpKLFKqBQAbQAQf\n", 1)[1].splitlines()
    assert len(drawing) >= 12
    assert len({len(line) for line in drawing}) == 1
    assert set("".join(drawing)) <= {" ", "█", "▀", "▄"}


def test_push_easy_read_is_recorded_kept_and_changed_only_when_told(
    memory: MemoryPlatform, tmp_path: Path
) -> None:
    run("profiles", "add", "mem", "--platform", "memory", "--url", "https://memory.invalid")
    source = (Path(__file__).parent / "data" / "instruments" / "small.yaml").read_text()
    form = tmp_path / "small.yaml"
    form.write_text(source)
    code, out, _ = run("push", str(form), "--to", "mem", "--round", "r1", "--easy-read")
    assert code == 0
    assert "live: small-test 1.0.0 (easy read) on mem" in out
    code, out, _ = run("status", "--json")
    assert json.loads(out)[0]["easy_read"] is True
    code, out, _ = run("status")
    assert "(easy" in out  # the table may wrap the cell
    # not told: the round's presentation is kept, for the same and for a new version
    code, out, _ = run("push", str(form), "--to", "mem", "--round", "r1")
    assert "already live: small-test 1.0.0 (easy read)" in out
    form.write_text(source.replace('version: "1.0.0"', 'version: "1.1.0"'))
    code, out, _ = run("push", str(form), "--to", "mem", "--round", "r1")
    assert code == 0
    assert "live: small-test 1.1.0 (easy read) on mem" in out
    # told: the other presentation
    code, out, _ = run("push", str(form), "--to", "mem", "--round", "r1", "--standard")
    assert code == 0
    assert out.startswith("live: small-test 1.1.0 on mem")
    code, out, _ = run("status", "--json")
    rows = {row["instrument"]: row["easy_read"] for row in json.loads(out)}
    assert rows == {"small-test 1.0.0": True, "small-test 1.1.0": False}


def test_push_help_offers_easy_read() -> None:
    result = runner.invoke(app, ["push", "--help"], env={"COLUMNS": "200"})
    assert "--easy-read" in result.output
    assert "--standard" in result.output
