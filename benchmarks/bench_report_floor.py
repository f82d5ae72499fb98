"""The floor of a streaming `coprod report`: what reading a store costs before any check.

Run:  uv run python benchmarks/bench_report_floor.py [--count 100000] [--cache FOLDER]
                                                      [--repeat 4]

Uses the store ``bench_report.py`` builds (built here too if it is missing). In one
process, alternating, best of ``--repeat``, CPU time per stored response:

- ``floor``: each row fetched from SQLite by the plain ``sqlite3`` module, its JSON
  parsed by pydantic's parser (what the store's reading uses: it shares the short
  strings it reads, which counting needs) and its answers counted straight from the
  parsed dict into the scorer's buckets. No check of any field, no Response built,
  no generator between the steps: less than the store may do with rows it must
  treat as hostile, so no streaming report can be cheaper;
- ``store``: the store's own reading counted by the scorer (``count(store.responses())``),
  what ``coprod report`` does in each of its two processes;
- ``list``: counting a ready-made list of the same responses, what scoring them in
  memory costs (issue 15's baseline).

Printed: the three, and the floor's and the store's ratios to the list in one
process. ``coprod report`` splits the store over two processes; the ratio it can
reach is about the one-process ratio divided by how much faster two processes are
than one on this machine (``bench_report.py`` prints both). Never fails.
"""

from __future__ import annotations

import argparse
import gc
import os
import sqlite3
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import _util  # noqa: E402 - the benchmarks' shared helpers (this folder is no package)
import bench_report  # noqa: E402

QUERY = (
    "SELECT response FROM responses WHERE deleted = 0 AND response IS NOT NULL "
    "ORDER BY deployment, remote_id"
)


def floor(path: Path) -> float:
    """CPU seconds to fetch, parse and count every stored response, with no checks."""
    from pydantic_core import from_json

    from coprod_connectors.scoring import engine
    from coprod_connectors.scoring.common import NOTHING, Answers

    readings = engine._readings()  # the scorer's own reading, as count uses
    buckets: dict[tuple[object, ...], Answers] = {}
    with sqlite3.connect(path) as db:
        started = time.process_time()
        cursor = db.execute(QUERY)
        seen = 0
        while rows := cursor.fetchmany(2000):
            for (text,) in rows:
                data = from_json(text)
                key = (data["instrument"], data["subject"], data["round"], data["role"])
                bucket = buckets.get(key)
                if bucket is None:
                    bucket = buckets[key] = Answers(readings.get(data["instrument"], NOTHING))
                bucket.values.extend(map(data["answers"].get, bucket.codes))
                bucket.people += 1
            seen += len(rows)
            if seen % engine.CHUNK < len(rows):
                for bucket in buckets.values():
                    bucket.fold()
        for bucket in buckets.values():
            bucket.fold()
        return time.process_time() - started


def stored(path: Path) -> float:
    """CPU seconds of the store's own reading, counted by the scorer."""
    from coprod_connectors.scoring import count
    from coprod_connectors.store import Store

    with Store(str(path)) as store:
        started = time.process_time()
        count(store.responses())
        return time.process_time() - started


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0] if __doc__ else None)
    parser.add_argument("--count", type=int, default=100_000, help="responses in the store")
    parser.add_argument("--cache", type=Path, default=None, help="where the store is kept")
    parser.add_argument("--repeat", type=int, default=4, help="runs of each, the best kept")
    args = parser.parse_args(argv)
    folder = args.cache or bench_report.cache_folder()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"report-{args.count}.db"
    if not path.exists():
        print(f"building {path} ({args.count:,} responses, once) ...", file=sys.stderr)
        bench_report.build_store(path, args.count)

    from coprod_connectors.conversion import response_from_json
    from coprod_connectors.scoring import count

    print(f"Reading a store of {args.count:,} responses against counting them in memory")
    print(_util.machine())
    print(f"load average before: {os.getloadavg()[0]:.2f}\n")
    gc.disable()  # as the scorer does while it counts; the list below is large
    with sqlite3.connect(path) as db:
        responses = [response_from_json(text) for (text,) in db.execute(QUERY)]

    def listed() -> float:
        started = time.process_time()
        count(responses)
        return time.process_time() - started

    runs: dict[str, list[float]] = {"floor": [], "store": [], "list": []}
    for _ in range(args.repeat):
        runs["floor"].append(floor(path))
        runs["store"].append(stored(path))
        runs["list"].append(listed())
    rows = len(responses)
    best = {name: min(times) for name, times in runs.items()}
    print(
        _util.table(
            ["what", "CPU us/row, best", "every run", "vs list (one process)"],
            [
                [
                    name,
                    f"{best[name] / rows * 1e6:.2f}",
                    ", ".join(f"{t / rows * 1e6:.2f}" for t in times),
                    f"{best[name] / best['list']:.2f}x",
                ]
                for name, times in runs.items()
            ],
        )
    )
    print(f"\nload average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
