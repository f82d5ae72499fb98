"""Helpers shared by the benchmarks: building many responses cheaply, timing, tables.

Not part of the test run. Every benchmark imports this module by path (the
benchmarks folder is not a package), so keep it free of side effects.
"""

from __future__ import annotations

import json
import os
import platform
import resource
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from coprod_connectors.responses import Response

ROOT = Path(__file__).resolve().parent.parent


def scaled_responses(
    count: int, *, seed: int = 2026, unique_actions: bool = False
) -> list[Response]:
    """``count`` responses: the synthetic demo data repeated, each copy with a new response id.

    Copies are made with ``model_copy`` (no validation). Each copy gets its own
    answers dict, as responses read from a file would (sharing 240 dicts
    would keep them all in the CPU cache and flatter the scorer); the values
    inside (short strings, action plan rows) are shared, as pydantic's JSON
    parser shares repeated short strings too. The subjects and rounds stay
    those of the demo data, so 1M responses make 18 groups of about 55,000
    people each. With ``unique_actions`` every action plan row's texts end
    with the response's number, so that no two rows are the same (the demo's
    repeat a few sentences).
    """
    from coprod_connectors.synthetic import demo_responses

    base = demo_responses(seed)
    out: list[Response] = []
    append = out.append
    for i in range(count):
        template = base[i % len(base)]
        answers = dict(template.answers)
        if unique_actions and isinstance(answers.get("actions"), list):
            answers["actions"] = [
                {**row, "actWhat": f"{row.get('actWhat')} {i}"} for row in answers["actions"]
            ]
        append(template.model_copy(update={"response_id": f"bench-{i:07d}", "answers": answers}))
    return out


def best_of(runs: int, func: Callable[[], object]) -> tuple[float, float]:
    """The shortest wall-clock time and the shortest CPU time of ``runs`` calls, in seconds.

    On a shared machine the CPU time (this process only) shows what the wall
    time would be without other processes competing for the cores.
    """
    wall = cpu = float("inf")
    for _ in range(runs):
        start, start_cpu = time.perf_counter(), time.process_time()
        func()
        wall = min(wall, time.perf_counter() - start)
        cpu = min(cpu, time.process_time() - start_cpu)
    return wall, cpu


def max_rss_mib() -> float:
    """This process's peak resident memory so far, in MiB (Linux reports KiB)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 1024 if sys.platform != "darwin" else peak / (1024 * 1024)


def rss_mib() -> float:
    """This process's resident memory now, in MiB (Linux /proc; elsewhere the peak so far)."""
    statm = Path("/proc/self/statm")
    if statm.exists():
        return int(statm.read_text().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
    return max_rss_mib()


def table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """A plain Markdown table, columns padded to line up in a terminal too."""
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(headers)]
    lines = [
        "| " + " | ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)) + " |",
        "| " + " | ".join("-" * w for w in widths) + " |",
    ]
    lines += [
        "| " + " | ".join(c.rjust(w) for c, w in zip(row, widths, strict=True)) + " |"
        for row in rows
    ]
    return "\n".join(lines)


def compile_installed() -> str:
    """Byte-compile the virtual environment's packages and this project's sources, as
    ``pip install`` does, and say so in a line for the output.

    A command started in a new process is timed as a user's installed copy runs:
    an environment made by ``uv sync`` holds no bytecode, and with
    ``PYTHONDONTWRITEBYTECODE`` set (as on this machine) Python would compile every
    module it imports from source on every start (about 0.45 s of ``coprod report``).
    """
    import compileall
    import sysconfig

    folders = {sysconfig.get_paths()[key] for key in ("purelib", "platlib")}
    folders |= {str(ROOT / "src"), *(str(p) for p in (ROOT / "connectors").glob("*/src"))}
    for folder in sorted(folders):
        compileall.compile_dir(folder, quiet=2, workers=0)
    return "bytecode: compiled before timing, as pip install leaves it"


def machine() -> str:
    """One line about the machine: CPU model, cores, memory, Python."""
    model = "unknown CPU"
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    import os

    memory = ""
    meminfo = Path("/proc/meminfo")
    if meminfo.exists():
        kib = int(meminfo.read_text().split()[1])
        memory = f", {kib / 1024 / 1024:.1f} GiB RAM"
    return (
        f"{model}, {os.cpu_count()} cores{memory}, "
        f"Python {platform.python_version()} ({platform.python_implementation()})"
    )


class FakeServer:
    """A fake server of the testkit in its own process, so that serving does not share the
    client's CPU. ``args`` are its command-line arguments; the first line it prints names
    its address (the first word that starts with ``http``)."""

    def __init__(self, module: str, args: Sequence[str]) -> None:
        command = [sys.executable, "-m", module, *args]
        self.process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
        assert self.process.stdout is not None
        line = self.process.stdout.readline().strip()
        url = next((w.rstrip(",") for w in line.split() if w.startswith("http")), None)
        if url is None:
            self.stop()
            msg = f"{module} did not start: {line!r}"
            raise RuntimeError(msg)
        self.url = url

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)


UNIQUE_TEXTS_HELP = "no two submissions share a free text"


def add_fake_options(parser: Any) -> None:
    """The options every pull benchmark passes on to its fake server (``argparse``)."""
    parser.add_argument("--latency", type=float, default=0.0, help="server seconds per page")
    parser.add_argument("--unique-texts", action="store_true", help=UNIQUE_TEXTS_HELP)


def start_fake(
    module: str, count: int, *, instrument: str, seed: int, latency: float, unique: bool
) -> FakeServer:
    """A fake server of the testkit serving ``count`` submissions, in its own process.

    The fakes draw free texts from a few sentences; ``unique`` makes every one a
    submission's own (``--unique-texts``), as people's words are, so that a decoder
    that keeps the strings it has already made is not flattered.
    """
    args = ["--count", str(count), "--instrument", instrument, "--seed", str(seed)]
    args += ["--latency", str(latency), *(["--unique-texts"] if unique else [])]
    return FakeServer(module, args)


def fake_line(latency: float, *, unique: bool) -> str:
    """How the fake serves, for the line under the machine's."""
    return f"server time per page: {latency:g} s" + ("; every free text unique" if unique else "")


class FloorTable:
    """The insert floor's table: a plain SQLite file in WAL mode (as a store's) in a
    temporary folder, written one page at a time with one ``executemany`` of
    ``(id, JSON text)`` tuples in one transaction, as a person would by hand."""

    def __init__(self, key: str = "TEXT") -> None:
        """``key``: the ids' column type (``INTEGER`` for whole-number ids: the row id)."""
        import sqlite3
        import tempfile

        if key not in {"TEXT", "INTEGER"}:
            msg = f"key must be TEXT or INTEGER, not {key!r}"
            raise ValueError(msg)
        self._folder = tempfile.TemporaryDirectory()
        self.db = sqlite3.connect(Path(self._folder.name) / "floor.db", isolation_level=None)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute(f"CREATE TABLE rows (id {key} PRIMARY KEY, raw TEXT NOT NULL)")

    def insert(self, rows: list[tuple[Any, str]]) -> None:
        self.db.execute("BEGIN")
        self.db.executemany("INSERT INTO rows VALUES (?, ?)", rows)
        self.db.execute("COMMIT")

    def close(self) -> None:
        self.db.close()
        self._folder.cleanup()


def timed_sync(
    connector: Any,
    deployment: Any,
    profile: Any,
    instrument: Any,
    requests: Callable[[], int] | None = None,
) -> dict[str, Any]:
    """A first sync into a fresh SQLite store (timed: wall, CPU), then an incremental
    re-sync with nothing new (its requests and time). ``requests`` gives the requests sent
    so far (a counting transport); without it, the syncs' own counts are used."""
    import tempfile

    from coprod_connectors.store import Store
    from coprod_connectors.sync import sync_deployment

    with tempfile.TemporaryDirectory() as folder:
        store = Store(f"sqlite:///{Path(folder) / 'coprod.db'}")
        store.record_deployment(deployment, instrument)
        start_rss = rss_mib()
        started, started_cpu = time.perf_counter(), time.process_time()
        first = sync_deployment(store, connector, deployment, profile)
        seconds = time.perf_counter() - started
        cpu = time.process_time() - started_cpu
        assert first.ok, first.error
        sent = requests() if requests else first.requests
        started = time.perf_counter()
        again = sync_deployment(store, connector, deployment, profile)
        quiet = time.perf_counter() - started
        assert again.ok, again.error
        assert again.new == again.updated == 0, again
        stored = store.count_responses()
        store.close()
    return {
        "responses": stored,
        "seconds": seconds,
        "cpu": cpu,
        "requests": sent,
        "rss": start_rss,
        "quiet_requests": requests() - sent if requests else again.requests,
        "quiet_seconds": quiet,
    }


def measure_child(script: str, mode: str, args: Sequence[str]) -> dict[str, Any]:
    """Run ``script --child mode *args`` in a fresh process; its last line is its result (JSON)."""
    command = [sys.executable, script, "--child", mode, *args]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        msg = f"{mode} {' '.join(args)} failed:\n{done.stderr}"
        raise RuntimeError(msg)
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def best_child(script: str, mode: str, args: Sequence[str], repeat: int) -> dict[str, Any]:
    """The fastest of ``repeat`` runs (each a fresh process); memory from the same run."""
    runs = [measure_child(script, mode, args) for _ in range(repeat)]
    return min(runs, key=lambda r: float(r["seconds"]))


def cpu_ratio(floor: dict[str, Any] | None, measured: dict[str, Any]) -> str:
    """The floor's CPU time per row over this method's: steadier than wall time on a busy
    machine."""
    if floor is None:
        return "-"
    per_row = measured["cpu"] / max(1, measured["responses"])
    return f"{floor['cpu'] / max(1, floor['responses']) / per_row:.2f}x"


def ratio(rate: float, floor: float | None, note: str = "") -> str:
    """``rate`` as a multiple of the floor's, or ``-`` with no floor."""
    return "-" if floor is None else f"{rate / floor:.2f}x {note}".rstrip()
