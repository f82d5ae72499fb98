"""The generative suite: random and hostile values fed into every way in.

Ways in: instrument files, response lines (``coprod score``), import files (CSV, XLSX,
zip), profiles (``coprod.toml`` and ``profiles add``), command-line arguments, and
server replies (``httpx.MockTransport``) to each installed connector that talks to a
server. Every case must end in exit code 0, 1 or 2 with ONE line on stderr for 1 and 2
(``instruments validate`` lists each problem, then a count), never a traceback nor the
"unexpected" line of the last-resort guard; the store after a failed command is the
store before it. Hypothesis is derandomized and keeps no database, so CI sees the same
cases every run; the counts are printed at the end of the run (conftest.py).
"""

from __future__ import annotations

import contextlib
import inspect
import io
import json
import os
import tempfile
import zipfile
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

import httpx
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from coprod_connectors import (
    CoprodError,
    Deployment,
    LiveConnector,
    Profile,
    SupportsAttachments,
    discover,
)
from coprod_connectors.cli import app
from coprod_connectors.store import Store
from coprod_connectors.sync import sync_deployment
from coprod_connectors.synthetic import demo_responses

runner = CliRunner()
DATA = Path(__file__).parent / "data" / "instruments"
SMALL = yaml.safe_load((DATA / "small.yaml").read_text(encoding="utf-8"))
GOOD_RESPONSES = [json.loads(r.to_json()) for r in demo_responses()[:6]]
#: The environment every case runs in: nothing from the machine's own settings.
CLEAN_ENV = {
    "COPROD_STORE_URL": None,
    "COPROD_CONFIG": None,
    "COPROD_LADDER": None,
    "COPROD_PRIVACY_K": None,
    "COPROD_DEBUG": None,
}

EXAMPLES = int(os.environ.get("COPROD_GENERATIVE_EXAMPLES", "40"))
SETTINGS = settings(
    max_examples=EXAMPLES,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

# --- values ---------------------------------------------------------------------------

HOSTILE = [
    "",
    " ",
    "..",
    "../..",
    "../../etc/passwd",
    "1/../../x",
    "/abs",
    "a b/../<x>",
    "\x1b]0;owned\x07",
    "\x1b[2J\x1b[H",
    "\x9b31m",
    "\u202etxt.exe",
    "\x00",
    "\ud800",
    "[red]markup[/red]",
    "9999-12-31T23:00:00-05:00",
    "0001-01-01T00:00:00+01:00",
    "2026-02-30T10:00:00Z",
    "0000-00-00 00:00:00",
    "NaN",
    "-1",
    "1e400",
    "https://me:hunter2@x.org",
    "file:///etc/passwd",
    "javascript:alert(1)",
    "token",
    "seed",
    "startdate",
    "meta",
    "con",
    "a" * 300,
    "<script>alert(1)</script>",
    "]]><!--",
    '"; DROP TABLE responses; --',
    "{{ 7*7 }}",
    "%s%s%n",
]
hostile_text = st.one_of(st.sampled_from(HOSTILE), st.text(max_size=40))
json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    hostile_text,
)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(hostile_text, inner, max_size=4)
    ),
    max_leaves=12,
)


def _paths(data: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    yield prefix
    if isinstance(data, dict):
        for key, value in data.items():
            yield from _paths(value, (*prefix, key))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            yield from _paths(value, (*prefix, index))


def _replace(data: Any, path: tuple[Any, ...], value: Any) -> Any:
    if not path:
        return value
    copy: Any = dict(data) if isinstance(data, dict) else list(data)
    copy[path[0]] = _replace(copy[path[0]], path[1:], value)
    return copy


@st.composite
def mutated(draw: st.DrawFn, base: Any, *, changes: int = 3) -> Any:
    """``base`` with a few values replaced by random or hostile ones (or deleted)."""
    data = base
    for _ in range(draw(st.integers(min_value=0, max_value=changes))):
        paths = list(_paths(data))
        path = draw(st.sampled_from(paths))
        if path and draw(st.booleans()) and isinstance(data, dict) and len(path) == 1:
            data = {k: v for k, v in data.items() if k != path[0]}
            continue
        data = _replace(data, path, draw(json_values))
    return data


# --- running a case -------------------------------------------------------------------


@contextlib.contextmanager
def _workdir() -> Iterator[Path]:
    before = Path.cwd()
    with tempfile.TemporaryDirectory(prefix="coprod-gen-") as folder:
        os.chdir(folder)
        try:
            yield Path(folder)
        finally:
            os.chdir(before)


def _snapshot(store: Path) -> Any:
    if not store.exists():
        return None
    with Store(str(store)) as db:
        return db.snapshot()


def run_case(
    counts: dict[str, int],
    way: str,
    args: list[str],
    *,
    store: Path | None = None,
    secret: str | None = None,
) -> Any:
    """Run ``coprod args`` and check what every case must keep; returns the result."""
    counts[way] = counts.get(way, 0) + 1
    before = _snapshot(store) if store is not None else None
    result = runner.invoke(app, args, env=CLEAN_ENV)
    output = result.stdout + result.stderr
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    assert result.exit_code in (0, 1, 2), (args, output)
    assert "Traceback" not in output, (args, output)
    assert "a bug in coprod" not in result.stderr, (args, result.stderr)
    if secret is not None:
        assert secret not in output, (args, output)
    for char in ("\x1b", "\x07", "\x9b", "\u202e", "\x00"):
        assert char not in output, (args, output)
    if result.exit_code:
        lines = result.stderr.splitlines()
        if args[:2] == ["instruments", "validate"]:
            assert lines[-1].endswith("found"), (args, lines)
            assert all(line.startswith("error: ") for line in lines[:-1]), lines
        else:
            assert len(lines) == 1, (args, result.stderr)
            assert lines[0].startswith("error: "), lines
        if store is not None:
            assert _snapshot(store) == before, args
    return result


# --- instrument files -----------------------------------------------------------------

PLATFORMS = sorted(discover().connectors)


def _instrument_text(draw: st.DrawFn) -> str:
    how = draw(st.sampled_from(["mutated", "mutated", "text", "nested"]))
    if how == "text":
        return draw(st.text(max_size=200))
    if how == "nested":
        depth = draw(st.integers(min_value=1, max_value=400))
        return "id: x\nsections: " + "[" * depth + "]" * depth + "\n"
    data = draw(mutated(SMALL, changes=4))
    return yaml.safe_dump(data, allow_unicode=draw(st.booleans()), sort_keys=False)


@given(data=st.data(), platform=st.sampled_from(PLATFORMS))
@SETTINGS
def test_instrument_files(data: st.DataObject, platform: str, case_counts: dict[str, int]) -> None:
    text = _instrument_text(data.draw)
    with _workdir() as here:
        (here / "i.yaml").write_text(text, encoding="utf-8", errors="surrogatepass")
        valid = run_case(case_counts, "instrument files", ["instruments", "validate", "i.yaml"])
        result = run_case(
            case_counts, "instrument files", ["build", "i.yaml", "--platform", platform]
        )
        if valid.exit_code == 0:
            assert result.exit_code == 0, (platform, result.stderr)
        if result.exit_code == 0:
            written = [p for p in here.iterdir() if p.name != "i.yaml"]
            assert len(written) == 1
            if written[0].suffix == ".lss":
                ET.parse(written[0])  # well-formed XML, always


# --- response lines -------------------------------------------------------------------


@st.composite
def response_lines(draw: st.DrawFn) -> str:
    lines = []
    for _ in range(draw(st.integers(min_value=0, max_value=5))):
        kind = draw(st.sampled_from(["good", "mutated", "mutated", "junk"]))
        base = draw(st.sampled_from(GOOD_RESPONSES))
        if kind == "good":
            lines.append(json.dumps(base))
        elif kind == "mutated":
            lines.append(json.dumps(draw(mutated(base))))
        else:
            lines.append(draw(st.text(max_size=60)).replace("\n", " "))
    return "\n".join(lines) + "\n"


@given(text=response_lines(), fmt=st.sampled_from(["text", "json", "md", "csv", "html"]))
@SETTINGS
def test_response_lines(text: str, fmt: str, case_counts: dict[str, int]) -> None:
    with _workdir() as here:
        (here / "r.jsonl").write_text(text, encoding="utf-8", errors="surrogatepass")
        run_case(case_counts, "response lines", ["score", "r.jsonl", "--format", fmt])


# --- import files ---------------------------------------------------------------------

HEADINGS = ["id", "submitdate", "startdate", "_submission_time", "_uuid", "role", "subject"]


@st.composite
def import_files(draw: st.DrawFn) -> tuple[str, bytes]:
    kind = draw(st.sampled_from(["csv", "csv", "xlsx", "zip", "bytes"]))
    headings = draw(
        st.lists(st.one_of(st.sampled_from(HEADINGS), hostile_text), min_size=1, max_size=6)
    )
    rows = draw(
        st.lists(
            st.lists(st.one_of(hostile_text, st.integers().map(str)), min_size=1, max_size=6),
            max_size=4,
        )
    )
    if kind == "csv":
        sep = draw(st.sampled_from([";", ","]))
        text = "\n".join(sep.join(row) for row in [headings, *rows])
        return "export.csv", text.encode("utf-8", errors="surrogatepass")
    if kind == "xlsx":
        from openpyxl import Workbook
        from openpyxl.utils.exceptions import IllegalCharacterError

        book = Workbook()
        sheet = book.active
        assert sheet is not None
        for row in [headings, *rows]:
            cells = [c.encode("utf-8", "replace").decode("utf-8") for c in row]  # XLSX is UTF-8
            with contextlib.suppress(ValueError, IllegalCharacterError):  # refused by openpyxl
                sheet.append(cells)
        out = io.BytesIO()
        book.save(out)
        return "export.xlsx", out.getvalue()
    if kind == "zip":
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
            names = st.sampled_from(["a", "xl/x.xml", "../../x"])
            for name in draw(st.lists(names, max_size=3, unique=True)):
                archive.writestr(name, b"0" * draw(st.integers(min_value=0, max_value=50_000)))
        return "export.xlsx", out.getvalue()
    return draw(st.sampled_from(["export.csv", "export.xlsx"])), draw(st.binary(max_size=200))


@given(file=import_files(), platform=st.sampled_from(PLATFORMS), round_=st.none() | hostile_text)
@SETTINGS
def test_import_files(
    file: tuple[str, bytes], platform: str, round_: str | None, case_counts: dict[str, int]
) -> None:
    name, content = file
    with _workdir() as here:
        store = here / "s.db"
        Store(str(store)).close()
        (here / name).write_bytes(content)
        args = ["import", name, "--platform", platform, "--instrument", "checklist"]
        args += ["--store", str(store)]
        if round_ is not None:
            args += ["--round", round_]
        run_case(case_counts, "import files", args, store=store)


# --- profiles ---------------------------------------------------------------------------

PROFILE = {"platform": "limesurvey", "url": "https://survey.example.org", "user": "lead"}


@st.composite
def config_files(draw: st.DrawFn) -> str:
    import tomlkit

    if draw(st.integers(min_value=0, max_value=4)) == 0:
        return draw(st.text(max_size=120))
    names = draw(st.lists(st.one_of(st.sampled_from(["council", "a-b"]), hostile_text), max_size=3))
    profiles = {name: draw(mutated(PROFILE, changes=2)) for name in names}
    try:
        return tomlkit.dumps({"profiles": profiles})
    except (TypeError, ValueError):  # a value TOML cannot hold
        return "[profiles]\n"


@given(
    text=config_files(),
    name=st.one_of(st.sampled_from(["council", "field-2"]), hostile_text),
    url=st.one_of(st.just("https://survey.example.org"), hostile_text),
    user=st.none() | hostile_text,
    platform=st.sampled_from([*PLATFORMS, "nope"]),
)
@SETTINGS
def test_profiles(
    text: str,
    name: str,
    url: str,
    user: str | None,
    platform: str,
    case_counts: dict[str, int],
) -> None:
    with _workdir() as here:
        config = here / "coprod.toml"
        config.write_text(text, encoding="utf-8", errors="surrogatepass")
        listed = run_case(
            case_counts, "profiles", ["profiles", "list", "--config", str(config)], secret="hunter2"
        )
        args = ["profiles", "add", name, "--platform", platform, "--url", url]
        args += ["--config", str(config)] + (["--user", user] if user is not None else [])
        before = config.read_bytes()
        # a password in a URL is never echoed; a name or user name is the person's own text
        echoed = "hunter2" in (user or "")
        added = run_case(case_counts, "profiles", args, secret=None if echoed else "hunter2")
        if added.exit_code:
            assert config.read_bytes() == before  # a refused profile changes nothing
        elif listed.exit_code == 0:
            after = run_case(case_counts, "profiles", ["profiles", "list", "--config", str(config)])
            assert after.exit_code == 0
            assert "hunter2" not in config.read_text(encoding="utf-8")


# --- command-line arguments -------------------------------------------------------------

COMMANDS = [
    ["instruments", "list"],
    ["instruments", "show"],
    ["platforms"],
    ["build"],
    ["push"],
    ["import"],
    ["participants"],
    ["sync"],
    ["status"],
    ["attachments"],
    ["score"],
    ["report"],
    ["demo"],
    ["profiles", "list"],
]
WORDS = [
    "--platform",
    "--to",
    "--round",
    "--subject",
    "--option",
    "--format",
    "--ladder",
    "--k",
    "--json",
    "--output",
    "-o",
    "--instrument",
    "--lang",
    "--full",
    "--csv",
    "checklist",
    "self-reflection",
    "limesurvey",
    "kobotoolbox",
    "five-rung",
    "x=1",
    "0",
    "-5",
    ".",
    "nowhere/x.lss",
]


@given(
    command=st.sampled_from(COMMANDS),
    words=st.lists(st.one_of(st.sampled_from(WORDS), hostile_text), max_size=6),
)
@SETTINGS
def test_command_line_arguments(
    command: list[str], words: list[str], case_counts: dict[str, int]
) -> None:
    with _workdir() as here:
        store = here / "coprod.db"
        Store(str(store)).close()
        args = [*command, *words]
        if command[0] not in {"instruments", "platforms", "build", "score", "demo", "profiles"}:
            args += ["--store", str(store)]
        result = run_case(case_counts, "command-line arguments", args, store=store)
        if command[0] == "demo" and result.exit_code == 0:
            assert _snapshot(store) is not None


# --- server replies -------------------------------------------------------------------

STATUSES = [200, 200, 200, 200, 201, 204, 302, 400, 401, 403, 404, 429, 500, 502, 503]


@st.composite
def replies(draw: st.DrawFn) -> list[tuple[int, dict[bytes, bytes], Any]]:
    out = []
    for _ in range(draw(st.integers(min_value=1, max_value=6))):
        status = draw(st.sampled_from(STATUSES))
        headers: dict[bytes, bytes] = {}
        if draw(st.booleans()):
            value = draw(st.one_of(hostile_text, st.integers().map(str)))
            headers[b"Retry-After"] = value.encode("utf-8", "surrogatepass")
        kind = draw(st.sampled_from(["rpc", "rpc", "page", "json", "html", "bytes"]))
        if kind == "rpc":
            body: Any = {
                "result": draw(st.one_of(json_values, st.just("k" * 32))),
                "error": draw(st.none() | hostile_text),
            }
        elif kind == "page":
            submission = st.fixed_dictionaries(
                {
                    "_id": st.one_of(st.integers(), hostile_text),
                    "_uuid": hostile_text,
                    "_submission_time": hostile_text,
                    "role": hostile_text,
                    "uid": hostile_text,
                    "_attachments": st.lists(
                        st.fixed_dictionaries(
                            {
                                "download_url": st.sampled_from(
                                    [
                                        "https://server.example.org/media/x",
                                        "/media/y",
                                        "file:///etc/passwd",
                                    ]
                                ),
                                "filename": hostile_text,
                                "media_file_basename": hostile_text,
                            }
                        ),
                        max_size=2,
                    ),
                }
            )
            body = {
                "count": draw(st.integers()),
                "next": draw(st.none() | hostile_text),
                "results": draw(st.lists(submission, max_size=3)),
                "uid": draw(hostile_text),
            }
        elif kind == "json":
            body = draw(json_values)
        elif kind == "html":
            body = f"<html><title>{draw(hostile_text)}</title>\x1b[2J</html>".encode(
                errors="surrogatepass"
            )
        else:
            body = draw(st.binary(max_size=100))
        out.append((status, headers, body))
    return out


def _live_connectors() -> list[type[Any]]:
    found = []
    for _, cls in sorted(discover().live_classes().items()):
        if "transport" in inspect.signature(cls).parameters:
            found.append(cls)
    return found


LIVE = _live_connectors()


def _connector(cls: type[Any], handler: Any) -> LiveConnector:
    kwargs: dict[str, Any] = {"transport": httpx.MockTransport(handler)}
    if "sleep" in inspect.signature(cls).parameters:
        kwargs["sleep"] = lambda _seconds: None
    connector = cls(**kwargs)
    assert isinstance(connector, LiveConnector)
    return connector


@pytest.mark.parametrize("cls", LIVE, ids=lambda c: c.name)
@given(script=replies())
@SETTINGS
def test_server_replies(
    cls: type[Any], script: list[tuple[int, dict[bytes, bytes], Any]], case_counts: dict[str, int]
) -> None:
    calls = 0

    def handler(request: httpx.Request) -> httpx.Response:
        nonlocal calls
        status, headers, body = script[calls % len(script)]
        calls += 1
        if calls > 200:
            msg = "more than 200 requests: a connector that does not stop"
            raise AssertionError(msg)
        if isinstance(body, bytes):
            return httpx.Response(status, headers=headers, content=body)
        if isinstance(body, dict) and "result" in body:
            with contextlib.suppress(ValueError, KeyError, TypeError):
                body = {**body, "id": json.loads(request.content)["id"]}
        text = json.dumps(body)  # ASCII: lone surrogates come as \\ud800 escapes
        headers = {**headers, b"content-type": b"application/json"}
        return httpx.Response(status, headers=headers, content=text.encode())

    from coprod_connectors import builtin_instrument

    instrument = builtin_instrument("checklist")
    profile = Profile(
        name="gen", platform=cls.name, url="https://server.example.org", user="lead"
    ).with_secret("s3cret")
    connector = _connector(cls, handler)
    way = f"server replies ({cls.name})"
    for step in ("check", "push", "pull", "attachments"):
        if step == "attachments" and not isinstance(connector, SupportsAttachments):
            continue
        case_counts[way] = case_counts.get(way, 0) + 1
        calls = 0
        try:
            if step == "check":
                connector.check(profile)
            elif step == "push":
                connector.push(instrument, profile, round="2026-H2")
            elif step == "pull":
                _pull(connector, profile, instrument)
            else:
                assert isinstance(connector, SupportsAttachments)
                _attachments(connector, profile)
        except CoprodError as exc:  # anything else fails the test
            message = str(exc)
        else:
            message = ""
        for char in ("\x1b", "\x07", "\x9b"):
            assert char not in message, (step, message)


def _deployment(profile: Profile, instrument: Any) -> Deployment:
    return Deployment(
        platform=profile.platform,
        profile=profile.name,
        remote_id="123456" if profile.platform == "limesurvey" else "aBc123",
        instrument=instrument.id,
        instrument_version=instrument.version,
        round="2026-H2",
        created_at=datetime(2026, 7, 1, tzinfo=timezone.utc),
    )


def _attachments(connector: SupportsAttachments, profile: Profile) -> None:
    from coprod_connectors import builtin_instrument

    deployment = _deployment(profile, builtin_instrument("checklist"))
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder).resolve()
        target = root / "files"
        written = connector.download_attachments(deployment, profile, target)
        for path in written:  # never outside its folder, whatever the server said
            assert target in Path(path).resolve().parents
        for path in root.rglob("*"):
            assert path == target or target in path.parents


def _pull(connector: LiveConnector, profile: Profile, instrument: Any) -> None:
    with tempfile.TemporaryDirectory() as folder:
        store_path = Path(folder) / "s.db"
        deployment = _deployment(profile, instrument)
        with Store(str(store_path)) as db:
            db.record_deployment(deployment, instrument)
            before = db.snapshot()
            outcome = sync_deployment(db, connector, deployment, profile)
            assert outcome.error is None or not outcome.error.startswith("unexpected"), (
                outcome.error
            )
            if not outcome.ok:
                # pages stored before a failure are kept by design; a reply that fails
                # at once leaves the store as it was
                after = db.snapshot()
                if outcome.pages == 0:
                    assert after == before
