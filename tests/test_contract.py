"""The connector contract, checked against every installed connector.

The connectors come from the entry-point registry only; none is named here.
To prove that a connector nobody in this repository knows is found and used
the same way, a tiny connector (``tests/data/tiny_connector``) is built into a
throwaway wheel, installed into a folder put on ``sys.path`` (and, for the
command line, on ``PYTHONPATH``), and checked like the others. A third-party
connector runs the same checks: :mod:`coprod_connectors.connectors.checks`.
"""

from __future__ import annotations

import base64
import hashlib
import importlib
import inspect
import os
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from coprod_connectors.connectors import (
    Connector,
    LiveConnector,
    PushOptions,
    discover,
)
from coprod_connectors.connectors.checks import (
    all_problems,
    capability_problems,
    declaration_problems,
    private_imports,
    render_problems,
    signature_problems,
)
from coprod_connectors.connectors.options import parse_push_options
from coprod_connectors.instruments import builtin_instruments, load_instrument
from coprod_testkit import memory

HERE = Path(__file__).parent
DATA = HERE / "data" / "instruments"
TINY_SOURCE = HERE / "data" / "tiny_connector"
TINY = "tiny"
INSTALLED = sorted(discover().connectors)
INSTRUMENTS = [*builtin_instruments(), load_instrument(DATA / "bilingual.yaml")]
CORE = Path(__file__).parents[1] / "src" / "coprod_connectors"


# --- the throwaway distribution ---------------------------------------------------------


def _record_line(name: str, data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"{name},sha256={digest},{len(data)}"


def build_tiny_wheel(folder: Path) -> Path:
    """The tiny connector as a wheel, written by hand from its pyproject's facts."""
    dist_info = "coprod_connectors_tiny-0.0.1.dist-info"
    files = {
        "coprod_tiny.py": (TINY_SOURCE / "coprod_tiny.py").read_bytes(),
        f"{dist_info}/METADATA": (
            b"Metadata-Version: 2.1\nName: coprod-connectors-tiny\nVersion: 0.0.1\n"
            b"Requires-Dist: coprod-connectors\n"
        ),
        f"{dist_info}/WHEEL": (
            b"Wheel-Version: 1.0\nGenerator: tests\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
        ),
        f"{dist_info}/entry_points.txt": (
            b"[coprod_connectors.platforms]\ntiny = coprod_tiny:TinyConnector\n"
        ),
    }
    record = [_record_line(name, data) for name, data in files.items()]
    files[f"{dist_info}/RECORD"] = ("\n".join([*record, f"{dist_info}/RECORD,,"]) + "\n").encode()
    wheel = folder / "coprod_connectors_tiny-0.0.1-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return wheel


def install_wheel(wheel: Path, target: Path) -> Path:
    """Install a pure-Python wheel into ``target`` (what ``pip install --target`` does)."""
    with zipfile.ZipFile(wheel) as archive:
        archive.extractall(target)
    return target


@pytest.fixture(scope="module")
def tiny_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A site folder with the tiny connector installed, on ``sys.path`` while the module runs."""
    site = install_wheel(
        build_tiny_wheel(tmp_path_factory.mktemp("wheel")), tmp_path_factory.mktemp("site")
    )
    sys.path.insert(0, str(site))
    importlib.invalidate_caches()
    yield site
    sys.path.remove(str(site))
    sys.modules.pop("coprod_tiny", None)
    importlib.invalidate_caches()


@pytest.fixture(params=[*INSTALLED, TINY])
def named(request: pytest.FixtureRequest) -> tuple[str, type[Connector]]:
    """(name, class) of each installed connector, through the entry points."""
    name: str = request.param
    if name == TINY:
        request.getfixturevalue("tiny_site")
    registry = discover()
    (plugin,) = [p for p in registry.plugins if p.name == name]
    assert plugin.error is None, plugin.error
    if name == TINY:
        assert plugin.distribution == "coprod-connectors-tiny"
    return name, registry.get(name)


# --- the shared contract suite ----------------------------------------------------------


def test_the_installed_connectors_are_found() -> None:
    assert INSTALLED, "no connector is installed: run uv sync --all-packages"


def test_connector_class_declares_itself(named: tuple[str, type[Connector]]) -> None:
    name, cls = named
    assert declaration_problems(cls, name) == []


def test_capabilities_keep_their_one_signature(named: tuple[str, type[Connector]]) -> None:
    assert capability_problems(named[1]()) == []


def test_render_is_pure_and_deterministic(named: tuple[str, type[Connector]]) -> None:
    assert render_problems(named[1], INSTRUMENTS) == []


def test_push_options_default_from_an_empty_command_line(
    named: tuple[str, type[Connector]],
) -> None:
    name, cls = named
    connector = cls()
    if not isinstance(connector, LiveConnector):
        pytest.skip(f"{name} only renders")
    parsed = parse_push_options(connector.push_options, [], platform=name)
    assert isinstance(parsed, PushOptions)
    assert parsed == connector.push_options()


def test_tiny_push_options_are_typed_and_validated(tiny_site: Path) -> None:
    del tiny_site
    cls = discover().get(TINY)
    connector = cls()
    assert isinstance(connector, LiveConnector)
    chosen = parse_push_options(connector.push_options, ["colour=blue", "copies=3"], platform=TINY)
    assert chosen.model_dump() == {"colour": "blue", "copies": 3}


def test_the_testkit_memory_connector_keeps_the_contract() -> None:
    """The in-memory connector (a test double, and the README's small example) is not
    registered under the entry points; it keeps the contract all the same."""
    assert all_problems(memory.MemoryConnector, INSTRUMENTS) == []
    module = Path(memory.__file__)
    private = private_imports(module.parent)
    assert [p for p in private if p.startswith(f"{module.parent.name}/{module.name}:")] == []


def test_a_connector_without_easy_read_fails_the_contract() -> None:
    """A connector written before push grew ``easy_read`` is told what it lacks."""
    wanted = inspect.signature(LiveConnector.push)

    def old_push(*args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError

    old_push.__signature__ = wanted.replace(  # type: ignore[attr-defined]
        parameters=[p for p in wanted.parameters.values() if p.name != "easy_read"]
    )
    assert signature_problems("push", old_push, LiveConnector.push, strict=False) == [
        "push() lacks the parameter 'easy_read'"
    ]


# --- the core names no platform ---------------------------------------------------------


#: Names of the platforms this repository has connectors for (the core's text, its
#: docstrings and comments included, uses a made-up ``surveyx`` where it needs an example).
PLATFORM_NAMES = ("limesurvey", "kobo", "odk")


@pytest.mark.parametrize("path", sorted(CORE.rglob("*.py")), ids=lambda p: p.name)
def test_the_core_code_names_no_platform(path: Path) -> None:
    """Code, docstrings and comments: what differs between platforms is declared by the
    connectors, so the core has no reason to name one."""
    named = [
        f"{path.name}:{n}: {line.strip()}"
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if any(name in line.lower() for name in PLATFORM_NAMES)
    ]
    assert named == []


CORE_DATA = sorted(
    path
    for folder in (CORE, CORE.parents[1] / "templates")  # templates/ ships in the core wheel
    for path in folder.rglob("*")
    if path.is_file() and path.suffix not in {".py", ".pyc"}
)


@pytest.mark.parametrize("path", CORE_DATA, ids=lambda p: str(p.relative_to(CORE.parents[1])))
def test_the_core_data_names_no_platform(path: Path) -> None:
    """Templates, built-in instruments, catalogues: what the core wheel ships besides code
    (none of it documentation) names no platform either."""
    text = path.read_bytes().lower()
    assert [name for name in PLATFORM_NAMES if name.encode() in text] == []


def test_the_core_wheel_ships_no_connector_templates() -> None:
    templates = Path(__file__).parents[1] / "templates"
    assert sorted(p.name for p in templates.iterdir() if p.is_dir()) == ["report"]


# --- the tiny connector through the command line ----------------------------------------


def _coprod(site: Path, cwd: Path, *args: str) -> tuple[int, str]:
    """``coprod ARGS`` in a new process that finds the tiny connector on ``PYTHONPATH``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("COPROD_")}
    env["PYTHONPATH"] = os.pathsep.join([str(site), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    done = subprocess.run(
        [sys.executable, "-c", "from coprod_connectors.cli import main; main()", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    output = done.stdout + done.stderr
    assert "Traceback" not in output
    return done.returncode, output


def test_the_tiny_connector_in_push_help_and_profiles(tiny_site: Path, tmp_path: Path) -> None:
    code, out = _coprod(tiny_site, tmp_path, "push", "--help")
    assert code == 0
    assert "Push options of tiny" in out
    flat = " ".join(out.split())
    assert "colour=RED|BLUE The form's colour. (default: red)" in flat
    assert "copies=INT How many copies to print. (default: 1)" in flat

    code, out = _coprod(tiny_site, tmp_path, "profiles", "add", "--help")
    assert code == 0
    flat = " ".join(out.split())  # help text is wrapped at 80 columns
    assert "Tiny test platform; secret: app-user key" in flat
    assert "home = https://tiny.example.org" in flat

    code, out = _coprod(
        tiny_site, tmp_path, "profiles", "add", "t", "--platform", "tiny", "--url", "home"
    )
    assert code == 0, out
    assert "set COPROD_T_SECRET to its app-user key" in out
    assert 'url = "https://tiny.example.org"' in (tmp_path / "coprod.toml").read_text()


def test_the_tiny_connector_pushes_with_its_options(
    tiny_site: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    from coprod_connectors.cli import app

    del tiny_site  # installed: found through its entry point, in this process too
    monkeypatch.chdir(tmp_path)
    for name in ("COPROD_CONFIG", "COPROD_STORE_URL", "COPROD_T_SECRET"):
        monkeypatch.delenv(name, raising=False)
    (tmp_path / "coprod.toml").write_text(
        '[profiles.t]\nplatform = "tiny"\nurl = "https://tiny.example.org"\n', encoding="utf-8"
    )
    runner = CliRunner()
    push = ["push", "ladder-check", "--to", "t", "--round", "2026-H2"]
    result = runner.invoke(app, push)
    assert result.exit_code == 2
    assert "no app-user key for profile 't'" in result.stderr
    monkeypatch.setenv("COPROD_T_SECRET", "k")
    result = runner.invoke(app, [*push, "--option", "colour=green"])
    assert result.exit_code == 2
    wanted = (
        "error: push option colour='green': Input should be 'red' or 'blue' "
        "(see coprod push --help)"
    )
    assert result.stderr.strip().splitlines() == [wanted]
    result = runner.invoke(app, [*push, "--option", "colour=blue", "--option", "copies=3"])
    assert result.exit_code == 0, result.output
    assert "form: https://tiny.example.org/f/ladder-check" in result.stdout
    assert "print 3 blue copies" in result.stdout
    assert "Scan in the Tiny app: tiny://ladder-check-blue" in result.stdout
    assert (tmp_path / "ladder-check-card.txt").read_text() == "3 x blue\n"
