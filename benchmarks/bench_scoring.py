"""Scoring and classification speed and memory at 10k, 100k and 1M responses.

    uv run python benchmarks/bench_scoring.py [--sizes 10000 100000 1000000]
        [--no-duplicates] [--no-unique-actions]

Each size runs in its own process (so that its peak memory is its own): the
synthetic demo data (240 responses: 3 subjects, 2 rounds, every role, all three
instruments) is copied with new response ids up to the size, then
``coprod_connectors.scoring.score`` is timed on the ready-made ``Response``
objects, best of 3 runs (one run at 1M). Building the objects is timed
separately and not counted. Peak memory is the process's maximum resident set
size after building and after scoring; the difference is what scoring added.
"CPU s" is the process's own CPU time: on a busy machine (see the 1-minute load
average, last column) the wall time also counts waiting for a core.

Two last rows score 1M responses of which 1% repeat an id (the slower
deduplication path), and 1M responses whose action plan rows are all different
(the demo data repeats a few sentences, and each distinct row becomes one
pydantic model). Not part of the test run; it never fails, it prints.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _util import best_of, machine, max_rss_mib, scaled_responses, table

TARGET_SECONDS = 5.0
TARGET_SIZE = 1_000_000
SIZES = (10_000, 100_000, 1_000_000)


def child(size: int, duplicates: float, unique_actions: bool) -> dict[str, float]:
    """Run in the child process: build, score, and measure one size."""
    from coprod_connectors.scoring import score

    start = time.perf_counter()
    responses = scaled_responses(size, unique_actions=unique_actions)
    if duplicates:
        # every 1/duplicates-th response repeats the id of the one before it
        step = round(1 / duplicates)
        for i in range(step, size, step):
            previous = responses[i - 1].response_id
            responses[i] = responses[i].model_copy(update={"response_id": previous})
    build = time.perf_counter() - start
    rss_built = max_rss_mib()
    runs = 1 if size >= 1_000_000 else 3
    results = []
    seconds, cpu = best_of(runs, lambda: results.append(score(responses)))
    return {
        "size": size,
        "duplicates": duplicates,
        "unique_actions": unique_actions,
        "build": build,
        "score": seconds,
        "cpu": cpu,
        "runs": runs,
        "load": os.getloadavg()[0],
        "rss_built": rss_built,
        "rss_peak": max_rss_mib(),
        "results": len(results[-1].results),
    }


def run(size: int, duplicates: float = 0.0, unique_actions: bool = False) -> dict[str, float]:
    command = [sys.executable, __file__, "--child", str(size), "--duplicates", str(duplicates)]
    if unique_actions:
        command.append("--unique-actions")
    out = subprocess.run(command, check=True, capture_output=True, text=True)
    data: dict[str, float] = json.loads(out.stdout)
    return data


def row(data: dict[str, float]) -> list[str]:
    size = int(data["size"])
    seconds = data["score"]
    # the target is for 1M responses; smaller sizes show their 1M-equivalent only
    ratio = seconds / TARGET_SECONDS
    verdict = f"{ratio:.2f}x {'ok' if ratio < 1 else 'MISSED'}" if size == TARGET_SIZE else "-"
    label = f"{size:,}"
    if data["duplicates"]:
        label += f" ({data['duplicates']:.0%} repeated ids)"
    if data["unique_actions"]:
        label += " (unique action rows)"
    return [
        label,
        f"{data['build']:.2f}",
        f"{seconds:.3f} ({int(data['runs'])})",
        f"{data['cpu']:.3f}",
        f"{size / seconds:,.0f}",
        f"{seconds * TARGET_SIZE / size:.2f}",
        verdict,
        f"{data['rss_built']:,.0f}",
        f"{data['rss_peak']:,.0f}",
        f"{data['rss_peak'] - data['rss_built']:+,.0f}",
        f"{data['load']:.1f}",
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=list(SIZES))
    parser.add_argument("--no-duplicates", action="store_true", help="skip the 1%% repeated row")
    parser.add_argument(
        "--no-unique-actions", action="store_true", help="skip the unique action rows row"
    )
    parser.add_argument("--unique-actions", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--duplicates", type=float, default=0.0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child, args.duplicates, args.unique_actions)))
        return
    print(f"machine: {machine()}")
    rows = []
    for size in args.sizes:
        print(f"  scoring {size:,} responses ...", file=sys.stderr, flush=True)
        rows.append(row(run(size)))
    if not args.no_duplicates:
        size = max(args.sizes)
        print(f"  scoring {size:,} responses, 1% repeated ...", file=sys.stderr, flush=True)
        rows.append(row(run(size, 0.01)))
    if not args.no_unique_actions:
        size = max(args.sizes)
        print(f"  scoring {size:,} responses, unique action rows ...", file=sys.stderr, flush=True)
        rows.append(row(run(size, unique_actions=True)))
    headers = [
        "responses",
        "build s",
        "score s (runs)",
        "CPU s",
        "responses/s",
        "1M-equivalent s",
        f"vs {TARGET_SECONDS:g} s target",
        "RSS built MiB",
        "RSS peak MiB",
        "scoring added MiB",
        "load avg",
    ]
    print(table(headers, rows))


if __name__ == "__main__":
    main()
