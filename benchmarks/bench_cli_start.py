"""Cold start of ``coprod --help``: wall time, and what it imports.

    uv run python benchmarks/bench_cli_start.py [--runs 10]

Runs the virtual environment's own ``coprod`` script in a new process, best
of ``--runs``, and prints the ratio to the 0.3 s target. Then runs it once
more under ``python -X importtime`` and checks that ``--help`` imports none of
the heavy modules that only some commands need (pydantic and the scorer,
jinja2, sqlalchemy, httpx, yaml), listing the slowest imports. Not part of
the test run; it never fails, it prints.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _util import compile_installed, machine, table

TARGET_SECONDS = 0.3
#: Top-level packages ``coprod --help`` must not import (each costs tens of ms or more).
HEAVY = ("pydantic", "pydantic_core", "jinja2", "sqlalchemy", "httpx", "yaml")
#: Modules of this project that only some commands need.
HEAVY_OWN = ("coprod_connectors.scoring", "coprod_connectors.report", "coprod_connectors.store")


def script() -> Path:
    """The ``coprod`` script next to this Python (the virtual environment's)."""
    path = Path(sys.executable).parent / ("coprod.exe" if sys.platform == "win32" else "coprod")
    if not path.exists():
        sys.exit(f"no coprod script at {path}; run with `uv run python {__file__}`")
    return path


def wall_times(command: list[str], runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
        times.append(time.perf_counter() - start)
    return times


def import_times(command: list[str]) -> list[tuple[str, int, int]]:
    """(module, self µs, cumulative µs) of every import, from ``-X importtime``.

    The module's name keeps the indent that shows what imported it (two
    spaces a level).
    """
    out = subprocess.run(
        [sys.executable, "-X", "importtime", *command],
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    rows = []
    for line in out.stderr.splitlines():
        if not line.startswith("import time:") or "imported package" in line:
            continue
        own, cumulative, name = line.removeprefix("import time:").split("|")
        rows.append((name[1:].rstrip(), int(own), int(cumulative)))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args()
    coprod = script()
    print(f"machine: {machine()}")
    print(compile_installed())
    # one unmeasured run first, so that the files are in the page cache ("cold" = new process)
    wall_times([str(coprod), "--help"], 1)
    times = wall_times([str(coprod), "--help"], args.runs)
    python_only = wall_times([sys.executable, "-c", "pass"], args.runs)
    typer_only = wall_times([sys.executable, "-c", "import typer"], args.runs)
    best = min(times)
    ratio = best / TARGET_SECONDS
    print(
        table(
            ["command", f"best of {args.runs} s", "median s", f"vs {TARGET_SECONDS} s target"],
            [
                [
                    "coprod --help",
                    f"{best:.3f}",
                    f"{sorted(times)[len(times) // 2]:.3f}",
                    f"{ratio:.2f}x {'ok' if ratio < 1 else 'MISSED'}",
                ],
                ["python -c pass", f"{min(python_only):.3f}", "", ""],
                ["python -c 'import typer'", f"{min(typer_only):.3f}", "", ""],
            ],
        )
    )
    imports = import_times([str(coprod), "--help"])
    names = {name.strip() for name, _, _ in imports}
    heavy = sorted(n for n in names if n.split(".")[0] in HEAVY or n.startswith(tuple(HEAVY_OWN)))
    print()
    if heavy:
        print(f"HEAVY IMPORTS at start ({len(heavy)}): {', '.join(heavy[:15])}")
    else:
        print(
            f"none of {', '.join(HEAVY + HEAVY_OWN)} imported by `coprod --help` "
            f"({len(names)} modules imported)"
        )
    print("\nslowest imports at the first two levels (-X importtime adds its own overhead):")
    top = [row for row in imports if not row[0].startswith("    ")]
    top.sort(key=lambda row: -row[2])
    rows = [[n.strip(), "top" if n == n.lstrip() else "2nd", f"{c / 1000:.1f}"] for n, _, c in top]
    print(table(["module", "level", "cumulative ms"], rows[:10]))


if __name__ == "__main__":
    main()
