"""`coprod report` over a large store: time and peak memory, streaming against in memory.

Run:  uv run python benchmarks/bench_report.py [--count 1000000] [--cache FOLDER]
                                                [--format text|json|md|csv|html] [--rebuild]

Builds once a SQLite store of ``--count`` responses (the synthetic demo data,
240 responses over three instruments, repeated with new response ids) in a
cache folder outside the repository (``$XDG_CACHE_HOME/coprod-bench``, else
``~/.cache/coprod-bench``; ``--cache`` to choose, ``--rebuild`` to make it
again), then runs, each in a fresh process:

- ``coprod report``: the command line (what the ``coprod`` script runs), reading
  the store in chunks and scoring as it reads, half of a large store in a
  forked copy of itself (``--format``, default text, written to /dev/null);
- the same command in one process (no forked copy), as it ran before;
- ``in memory``: the same store read into a list of responses at once
  (``list(store.responses())``), then ``score(list)``: what the command did
  before it streamed. The reading and the scoring are timed apart, so that the
  scoring of ready-made responses can be compared too; and the same list again
  as full validation builds it (``model_validate_json``, what the store's
  reading gave before), scored.

Printed side by side: wall seconds, CPU seconds (the process's and its forked
copy's; and the process's own, which is about the wall time when a core is free
for the copy: on a busy machine the wall time also counts waiting for a core),
peak resident memory of each process (from ``wait4``) and of the process and its
children added up (RSS, which counts shared pages twice, and PSS, sampled every
20 ms in a run of its own: the times come from runs nobody samples), and the
ratios of the command's time to each. The targets (issue 15):
peak memory of ``coprod report`` under 300 MB at 1,000,000 responses, and its
time within 1.5x of scoring the same responses in memory (the ready-made list).
Never fails; not part of the test run.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import threading
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


def _tree(pid: int) -> list[int]:
    """``pid`` and its descendants (Linux: /proc/<pid>/task/<tid>/children)."""
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        todo.extend(_children(current))
    return found


def _children(pid: int) -> list[int]:
    try:
        return [
            int(child)
            for task in Path(f"/proc/{pid}/task").iterdir()
            for child in (task / "children").read_text().split()
        ]
    except OSError:  # gone meanwhile
        return []


def _memory(pids: list[int]) -> tuple[int, int]:
    """The resident and proportional set sizes (kB) of ``pids`` added up: RSS counts pages
    a forked copy shares with its parent twice, PSS splits them between the two."""
    rss = pss = 0
    for pid in pids:
        for line in _rollup(pid):
            if line.startswith("Rss:"):
                rss += int(line.split()[1])
            elif line.startswith("Pss:"):
                pss += int(line.split()[1])
    return rss, pss


def _rollup(pid: int) -> list[str]:
    try:
        return Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()
    except OSError:  # gone meanwhile
        return []


def run(
    command: list[str], *, stdout: Any = subprocess.DEVNULL, sample: bool = False
) -> dict[str, float]:
    """Wall time, CPU time (with the processes it forked) and peak memory of one child
    process: its own peak RSS (``wait4``), and (``sample``) the peak of its and its
    children's RSS and PSS added up, sampled every 20 ms.

    Sampling reads ``/proc/<pid>/smaps_rollup``, for which the kernel walks the process's
    page tables while it waits: it slowed the scoring of a 4 GB list by half (3.2 s
    against 2.1 s), so the times printed come from runs that are not sampled."""
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=stdout, stderr=subprocess.PIPE)
    peaks = [0, 0]
    stop = threading.Event()

    def sample() -> None:
        while not stop.is_set():
            rss, pss = _memory(_tree(process.pid))
            peaks[0], peaks[1] = max(peaks[0], rss), max(peaks[1], pss)
            stop.wait(0.02)

    sampler = threading.Thread(target=sample, daemon=True)
    if sample and Path("/proc/self/smaps_rollup").exists():
        sampler.start()
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - started
    stop.set()
    if sampler.is_alive():
        sampler.join()
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
        "tree_rss": peaks[0] / 1024,  # 0: not sampled
        "tree_pss": peaks[1] / 1024,
    }


#: ``coprod report``, what the ``coprod`` script runs (argv: a file for the CPU time of this
#: process alone, without its forked copy's; "one" for one process, as the command ran
#: before, or "two"; the command's arguments).
COMMAND = """
import json, resource, sys
from coprod_connectors.cli import app
from coprod_connectors.cli import report
out, processes, sys.argv = sys.argv[1], sys.argv[2], ["coprod", *sys.argv[3:]]
if processes == "one":
    report.SPLIT_FROM = 10**18
try:
    app()
finally:
    own = resource.getrusage(resource.RUSAGE_SELF)
    with open(out, "w") as handle:
        json.dump({"own_cpu": own.ru_utime + own.ru_stime}, handle)
"""


IN_MEMORY = """
import gc, json, sys, time
from coprod_connectors.responses import Response
from coprod_connectors.scoring import score
from coprod_connectors.store import Store
out = {}
with Store(sys.argv[1]) as db:
    started, cpu = time.perf_counter(), time.process_time()
    responses = list(db.responses())
    out["read"], out["read_cpu"] = time.perf_counter() - started, time.process_time() - cpu
started, cpu = time.perf_counter(), time.process_time()
results = score(responses)
out["score"], out["score_cpu"] = time.perf_counter() - started, time.process_time() - cpu
out["responses"], out["results"] = len(responses), len(results.results)
# the same responses as full validation builds them (what the store's reading gave
# before response_from_json): their answers' strings are not shared, so slower to count
texts = [r.to_json() for r in responses]
del responses, results
gc.collect()
validated = [Response.model_validate_json(t) for t in texts]
del texts
gc.collect()
started, cpu = time.perf_counter(), time.process_time()
score(validated)
out["validated"], out["validated_cpu"] = time.perf_counter() - started, time.process_time() - cpu
print(json.dumps(out))
"""


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0] if __doc__ else None)
    parser.add_argument("--count", type=int, default=1_000_000, help="responses in the store")
    parser.add_argument("--cache", type=Path, default=None, help="where the store is kept")
    parser.add_argument("--format", default="text", choices=["text", "json", "md", "csv", "html"])
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
    print(f"`coprod report` over a store of {args.count:,} responses (SQLite, {path})")
    print(_util.machine())
    print(_util.compile_installed())
    print(f"load average before: {os.getloadavg()[0]:.2f}\n")

    command = ["report", "--store", str(path), "--format", args.format]
    own = folder / "own-cpu.json"
    # memory from one run (sampled), times from another (not sampled)
    sampled = run([sys.executable, "-c", COMMAND, str(own), "two", *command], sample=True)
    report = run([sys.executable, "-c", COMMAND, str(own), "two", *command])
    report["own_cpu"] = json.loads(own.read_text())["own_cpu"]
    report["tree_rss"], report["tree_pss"] = sampled["tree_rss"], sampled["tree_pss"]
    report["peak"] = max(report["peak"], sampled["peak"])
    alone = run([sys.executable, "-c", COMMAND, str(own), "one", *command])
    alone["own_cpu"] = json.loads(own.read_text())["own_cpu"]
    own.unlink()
    scratch = folder / "in-memory.json"
    with scratch.open("w") as out:
        memory = run([sys.executable, "-c", IN_MEMORY, str(path)], stdout=out)
    inner = json.loads(scratch.read_text())
    scratch.unlink()

    def versus(wall: float, cpu: float) -> str:
        return f"{report['wall'] / wall:.2f}x / {report['cpu'] / cpu:.2f}x"

    def process_row(name: str, measured: dict[str, float]) -> list[str]:
        return [
            name,
            f"{measured['wall']:.1f}",
            f"{measured['cpu']:.1f}",
            f"{measured['own_cpu']:.1f}" if "own_cpu" in measured else "",
            f"{measured['peak']:.0f}",
            f"{measured['tree_rss']:.0f} / {measured['tree_pss']:.0f}"
            if measured["tree_rss"]
            else "(not sampled)",
            versus(measured["wall"], measured["cpu"]),
        ]

    rows = [
        process_row(f"coprod report --format {args.format} (process)", report),
        process_row("  the same in one process (no forked copy)", alone),
        process_row("in memory: read all, then score (process)", memory),
        [
            "  reading into a list + scoring it",
            f"{inner['read'] + inner['score']:.1f}",
            f"{inner['read_cpu'] + inner['score_cpu']:.1f}",
            "",
            "",
            "",
            versus(inner["read"] + inner["score"], inner["read_cpu"] + inner["score_cpu"]),
        ],
        [
            "  scoring the list only",
            f"{inner['score']:.1f}",
            f"{inner['score_cpu']:.1f}",
            "",
            "",
            "",
            versus(inner["score"], inner["score_cpu"]),
        ],
        [
            "  scoring the list built by full validation",
            f"{inner['validated']:.1f}",
            f"{inner['validated_cpu']:.1f}",
            "",
            "",
            "",
            versus(inner["validated"], inner["validated_cpu"]),
        ],
    ]
    headers = [
        "what",
        "wall s",
        "CPU s",
        "CPU s, own process",
        "peak RSS MiB",
        "with children: RSS / PSS MiB",
        "coprod report vs this (wall / CPU)",
    ]
    print(_util.table(headers, rows))
    limit = 300 * 1e6 / 2**20
    total = report["tree_rss"] or report["peak"]
    verdict = "met" if total < limit else "MISSED"
    print(
        f"\npeak memory of coprod report and its forked copy together: {total:.0f} MiB RSS "
        f"({total * 2**20 / 1e6:.0f} MB; target under 300 MB: {verdict}), "
        f"{report['tree_pss']:.0f} MiB PSS (shared pages counted once)"
    )
    ratio = report["wall"] / inner["score"]
    print(
        f"coprod report / scoring the ready-made list: {ratio:.2f}x wall, "
        f"{report['cpu'] / inner['score_cpu']:.2f}x CPU (target 1.5x: "
        f"{'met' if ratio <= 1.5 else 'MISSED'})"
    )
    print(
        "with a core free for its forked copy, the command takes about its own process's "
        f"CPU time: {report['own_cpu']:.1f} s, {report['own_cpu'] / inner['score_cpu']:.2f}x "
        "the CPU of scoring the ready-made list"
    )
    print(f"in memory: {inner['responses']:,} responses, {inner['results']} results")
    print(f"\nload average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
