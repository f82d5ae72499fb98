"""`coprod report` over a large store: time and peak memory, streaming against in memory.

Run:  uv run python benchmarks/bench_report.py [--count 1000000] [--cache FOLDER]
                                                [--format text|json] [--rebuild]

Builds once a SQLite store of ``--count`` responses (the synthetic demo data,
240 responses over three instruments, repeated with new response ids) in a
cache folder outside the repository (``$XDG_CACHE_HOME/coprod-bench``, else
``~/.cache/coprod-bench``; ``--cache`` to choose, ``--rebuild`` to make it
again), then runs, each in a fresh process:

- ``coprod report``: the command line, as a person would run it (the virtual
  environment's ``coprod``), reading the store in chunks and scoring as it
  reads (``--format``, default text, written to /dev/null);
- ``in memory``: the same store read into a list of responses at once
  (``list(store.responses())``), then ``score(list)``: what the command did
  before it streamed. The reading and the scoring are timed apart, so that the
  scoring of ready-made responses can be compared too.

Printed: wall seconds, CPU seconds (the process's own: on a busy machine the
wall time also counts waiting for a core) and peak resident memory of each
process (from ``wait4``), and the ratios of the command's time to the
in-memory times. The targets (issue 15): peak RSS of ``coprod report`` under
300 MB at 1,000,000 responses, and its time within 1.5x of scoring the same
responses in memory. Never fails; not part of the test run.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import _util  # noqa: E402 - the benchmarks' shared helpers (this folder is no package)

SEED = 2026
BATCH = 50_000


def cache_folder() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "coprod-bench"


def build_store(path: Path, count: int) -> None:
    """A store of ``count`` demo responses under one deployment per instrument and round."""
    from coprod_connectors.connectors import Deployment
    from coprod_connectors.instruments import builtin_instrument
    from coprod_connectors.store import Store
    from coprod_connectors.synthetic import demo_responses

    base = demo_responses(SEED)
    partial = path.with_suffix(".partial")
    partial.unlink(missing_ok=True)
    deployments: dict[tuple[str, str], Deployment] = {}
    with Store(str(partial)) as store:
        for start in range(0, count, BATCH):
            by_deployment: dict[tuple[str, str], list[Any]] = {}
            for i in range(start, min(count, start + BATCH)):
                template = base[i % len(base)]
                key = (template.instrument, template.round)
                if key not in deployments:
                    instrument = builtin_instrument(template.instrument)
                    deployments[key] = Deployment(
                        platform="bench",
                        profile="bench",
                        remote_id=f"{key[0]}-{key[1]}",
                        instrument=key[0],
                        instrument_version=instrument.version,
                        round=key[1],
                        created_at=template.submitted_at,
                    )
                update = {"response_id": f"bench-{i:07d}", "deployment": deployments[key].key}
                by_deployment.setdefault(key, []).append(template.model_copy(update=update))
            for key, items in by_deployment.items():
                instrument = builtin_instrument(key[0])
                store.import_responses(deployments[key], instrument, items)
            print(f"  stored {min(count, start + BATCH):,} responses", file=sys.stderr)
    partial.rename(path)


def run(command: list[str], *, stdout: Any = subprocess.DEVNULL) -> dict[str, float]:
    """Wall time, CPU time and peak RSS (MiB) of one child process."""
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=stdout, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - started
    assert process.stderr is not None
    errors = process.stderr.read().decode("utf-8", "replace")
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        msg = f"{command[0]} failed ({process.returncode}):\n{errors}"
        raise RuntimeError(msg)
    return {
        "wall": wall,
        "cpu": usage.ru_utime + usage.ru_stime,
        "peak": usage.ru_maxrss / 1024,
    }


IN_MEMORY = """
import json, sys, time
from coprod_connectors.scoring import score
from coprod_connectors.store import Store
with Store(sys.argv[1]) as db:
    started, cpu = time.perf_counter(), time.process_time()
    responses = list(db.responses())
    read, read_cpu = time.perf_counter() - started, time.process_time() - cpu
started, cpu = time.perf_counter(), time.process_time()
results = score(responses)
scored, score_cpu = time.perf_counter() - started, time.process_time() - cpu
print(json.dumps({"read": read, "read_cpu": read_cpu, "score": scored, "score_cpu": score_cpu,
                  "responses": len(responses), "results": len(results.results)}))
"""


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0] if __doc__ else None)
    parser.add_argument("--count", type=int, default=1_000_000, help="responses in the store")
    parser.add_argument("--cache", type=Path, default=None, help="where the store is kept")
    parser.add_argument("--format", default="text", choices=["text", "json", "md", "csv"])
    parser.add_argument("--rebuild", action="store_true", help="build the store again")
    args = parser.parse_args(argv)
    folder = args.cache or cache_folder()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"report-{args.count}.db"
    if args.rebuild:
        path.unlink(missing_ok=True)
    if not path.exists():
        print(f"building {path} ({args.count:,} responses, once) ...", file=sys.stderr)
        started = time.perf_counter()
        build_store(path, args.count)
        print(f"  built in {time.perf_counter() - started:.0f} s", file=sys.stderr)
    coprod = str(Path(sys.executable).parent / "coprod")
    print(f"`coprod report` over a store of {args.count:,} responses (SQLite, {path})")
    print(_util.machine())
    print(f"load average before: {os.getloadavg()[0]:.2f}\n")

    report = run([coprod, "report", "--store", str(path), "--format", args.format])
    scratch = folder / "in-memory.json"
    with scratch.open("w") as out:
        memory = run([sys.executable, "-c", IN_MEMORY, str(path)], stdout=out)
    inner = json.loads(scratch.read_text())
    scratch.unlink()
    whole = memory["wall"], memory["cpu"]
    parts = inner["read"] + inner["score"], inner["read_cpu"] + inner["score_cpu"]
    rows = [
        [
            f"coprod report --format {args.format} (process)",
            f"{report['wall']:.1f}",
            f"{report['cpu']:.1f}",
            f"{report['peak']:.0f}",
            f"{report['wall'] / whole[0]:.2f}x / {report['cpu'] / whole[1]:.2f}x",
        ],
        [
            "in memory: read all, then score (process)",
            f"{whole[0]:.1f}",
            f"{whole[1]:.1f}",
            f"{memory['peak']:.0f}",
            "1.00x / 1.00x",
        ],
        [
            "  reading into a list + scoring it",
            f"{parts[0]:.1f}",
            f"{parts[1]:.1f}",
            "",
            f"{report['wall'] / parts[0]:.2f}x / {report['cpu'] / parts[1]:.2f}x",
        ],
        [
            "  scoring the list only",
            f"{inner['score']:.1f}",
            f"{inner['score_cpu']:.1f}",
            "",
            f"{report['wall'] / inner['score']:.2f}x / {report['cpu'] / inner['score_cpu']:.2f}x",
        ],
    ]
    headers = ["what", "wall s", "CPU s", "peak RSS MiB", "coprod report vs this (wall / CPU)"]
    print(_util.table(headers, rows))
    verdict = "met" if report["peak"] < 300 * 1e6 / 2**20 else "MISSED"
    print(
        f"\npeak RSS of coprod report: {report['peak']:.0f} MiB "
        f"({report['peak'] * 2**20 / 1e6:.0f} MB; target under 300 MB: {verdict})"
    )
    print(f"in memory: {inner['responses']:,} responses, {inner['results']} results")
    print(f"\nload average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
