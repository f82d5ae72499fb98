"""KoboToolbox pull: throughput and peak memory, the connector against the raw API calls.

Run:  uv run python benchmarks/bench_pull_kobo.py [--sizes 1000,10000,100000]
                                                   [--latency SECONDS] [--repeat N] [--no-store]
                                                   [--unique-texts]

A fake KPI (``coprod_testkit.kobotoolbox_fake``: the JSON shapes recorded against a real
KPI 2.026) serves N self-reflection submissions over real HTTP on 127.0.0.1, in
its own process. For each N, each of these runs in a fresh process (so its peak
resident memory is its own), in the same run:

- ``raw``: what a user would do by hand: ``httpx`` GET of
  ``/api/v2/assets/<uid>/data/?format=json&limit=1000``, following ``next`` and
  decoding each page's JSON (and dropping it: nothing kept);
- ``pull``: the connector's pull, consuming the pages as a sync would, without a
  store: every submission converted to a response (types, codes, flags); with
  ``--latency``, also ``pull-serial``: the same without fetching the next page
  while this one is converted;
- ``raw+insert``: the insert floor: ``raw`` plus a plain ``executemany`` of
  (``_id``, ``json.dumps(submission)``) tuples into SQLite, one transaction a page;
- ``sync``: ``sync_deployment`` into a SQLite store in a temporary folder, then
  an incremental re-sync with nothing new (requests made and time).

``raw`` is the decode floor of ``pull``, ``raw+insert`` the insert floor of
``sync``; both are measured in the same run.

Printed: responses, seconds, responses/s, the client's CPU time per row (the
measuring process's own, every thread), the ratio to ``raw``, the ratio to the
floor, the peak
resident memory of the process and how much of it the pull added (peak minus
the memory after imports). ``--latency`` makes the server take that long for
each data page before answering (a real KPI takes time to query its database;
the default 0 is the worst case for the connector: only its own work shows).
The fake's free texts come from a few sentences; ``--unique-texts`` makes each
submission's its own (as people's words are), so that a decoder that keeps the
strings it has made is not flattered.
``--traced`` adds the pull's peak of Python allocations (``tracemalloc``), which
unlike resident memory does not include what the C allocator keeps for reuse.
Not part of the test run.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import _util  # noqa: E402 - the benchmarks' shared helpers (this folder is no package)
from _util import max_rss_mib, rss_mib  # noqa: E402

#: The fake server's module (coprod_kobotoolbox.fake before the test kit, so that this script can
#: measure an older checkout side by side).
FAKE = (
    "coprod_testkit.kobotoolbox_fake"
    if importlib.util.find_spec("coprod_testkit")
    else "coprod_kobotoolbox.fake"
)

INSTRUMENT = "self-reflection"
SEED = 2026
PAGE = 1000


# --- in the child process: one measurement -------------------------------------------
def _raw(url: str, count: int, *, insert: bool = False) -> dict[str, Any]:
    import httpx

    fake_class = importlib.import_module(FAKE).FakeKpi

    fake = fake_class(count, instrument=INSTRUMENT, seed=SEED)
    headers = {"Authorization": f"Token {fake.token}", "Accept": "application/json"}
    floor = _util.FloorTable(key="INTEGER") if insert else None
    start_rss = rss_mib()
    started, started_cpu = time.perf_counter(), time.process_time()
    responses = requests = 0
    with httpx.Client(headers=headers, timeout=120) as client:
        following: str | None = f"{url}/api/v2/assets/{fake.uid}/data/?format=json&limit={PAGE}"
        while following:
            reply = client.get(following)
            reply.raise_for_status()
            body = reply.json()
            requests += 1
            responses += len(body["results"])
            if floor is not None:
                floor.insert([(s["_id"], json.dumps(s)) for s in body["results"]])
            following = body["next"]
            del body, reply
    seconds = time.perf_counter() - started
    cpu = time.process_time() - started_cpu
    if floor is not None:
        floor.close()
    return {
        "responses": responses,
        "seconds": seconds,
        "cpu": cpu,
        "requests": requests,
        "rss": start_rss,
    }


def _raw_insert(url: str, count: int) -> dict[str, Any]:
    return _raw(url, count, insert=True)


def _pull(url: str, count: int, *, prefetch: bool = True) -> dict[str, Any]:
    from coprod_kobotoolbox import KoboToolboxConnector

    fake_class = importlib.import_module(FAKE).FakeKpi

    fake = fake_class(count, instrument=INSTRUMENT, seed=SEED)
    connector = KoboToolboxConnector(page_size=PAGE, prefetch=prefetch)
    deployment, profile = fake.deployment(url=url), fake.profile(url=url)
    start_rss = rss_mib()
    started, started_cpu = time.perf_counter(), time.process_time()
    responses = requests = 0
    for page in connector.pull(deployment, profile, instrument=fake.instrument):
        responses += sum(1 for r in page.records if r.response is not None)
        requests += page.requests
        del page
    seconds = time.perf_counter() - started
    cpu = time.process_time() - started_cpu
    return {
        "responses": responses,
        "seconds": seconds,
        "cpu": cpu,
        "requests": requests,
        "rss": start_rss,
    }


def _sync(url: str, count: int) -> dict[str, Any]:
    from coprod_kobotoolbox import KoboToolboxConnector

    fake_class = importlib.import_module(FAKE).FakeKpi

    fake = fake_class(count, instrument=INSTRUMENT, seed=SEED)
    connector = KoboToolboxConnector(page_size=PAGE)
    deployment, profile = fake.deployment(url=url), fake.profile(url=url)
    return _util.timed_sync(connector, deployment, profile, fake.instrument)


def _pull_serial(url: str, count: int) -> dict[str, Any]:
    return _pull(url, count, prefetch=False)


def _pull_traced(url: str, count: int) -> dict[str, Any]:
    """The pull with ``tracemalloc`` on: the peak of Python's own allocations (slower)."""
    import tracemalloc

    tracemalloc.start()
    result = _pull(url, count)
    result["traced"] = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    return result


MODES = {
    "raw": _raw,
    "raw+insert": _raw_insert,
    "pull": _pull,
    "pull-serial": _pull_serial,
    "pull-traced": _pull_traced,
    "sync": _sync,
}


def child(mode: str, url: str, count: int) -> None:
    result = MODES[mode](url, count)
    result["peak"] = max_rss_mib()
    print(json.dumps(result))


# --- in the parent process -----------------------------------------------------------


def start_server(count: int, latency: float, *, unique: bool = False) -> _util.FakeServer:
    return _util.start_fake(
        FAKE, count, instrument=INSTRUMENT, seed=SEED, latency=latency, unique=unique
    )


def measure(mode: str, url: str, count: int) -> dict[str, Any]:
    return _util.measure_child(__file__, mode, ["--url", url, "--count", str(count)])


def best(mode: str, url: str, count: int, repeat: int) -> dict[str, Any]:
    return _util.best_child(__file__, mode, ["--url", url, "--count", str(count)], repeat)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0] if __doc__ else None)
    parser.add_argument("--sizes", default="1000,10000,100000", help="submission counts")
    _util.add_fake_options(parser)
    parser.add_argument("--repeat", type=int, default=0, help="runs per cell (best kept)")
    parser.add_argument("--no-store", action="store_true", help="skip the SQLite sync")
    parser.add_argument("--modes", help="only these methods, e.g. pull (for large sizes)")
    parser.add_argument(
        "--traced", action="store_true", help="also the pull's peak traced Python memory"
    )
    parser.add_argument("--child", choices=sorted(MODES), help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--count", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child(args.child, args.url, args.count)
        return

    util = _util
    sizes = [int(s.replace("_", "")) for s in args.sizes.split(",") if s.strip()]
    modes = ["raw", "pull"]
    if args.latency:
        modes.append("pull-serial")
    if not args.no_store:
        modes += ["raw+insert", "sync"]
    modes = args.modes.split(",") if args.modes else modes
    print("KoboToolbox pull: the connector against the raw API calls")
    print(f"Machine: {util.machine()}")
    print(
        f"Fake KPI over HTTP on 127.0.0.1 (its own process), {INSTRUMENT} submissions "
        f"(~3.9 kB of JSON each), pages of {PAGE:,}; "
        + _util.fake_line(args.latency, unique=args.unique_texts)
    )
    print(f"load average before: {os.getloadavg()[0]:.2f}")
    print()
    rows: list[list[str]] = []
    quiet: list[list[str]] = []
    traced: list[list[str]] = []
    memory: dict[tuple[str, int], float] = {}
    for count in sizes:
        repeat = args.repeat or (3 if count <= 10_000 else 1)
        server = start_server(count, args.latency, unique=args.unique_texts)
        try:
            results = {mode: best(mode, server.url, count, repeat) for mode in modes}
            if args.traced:
                traced_run = measure("pull-traced", server.url, count)
                traced.append([f"{count:,}", f"{traced_run['traced']:.1f}"])
        finally:
            server.stop()
        rate_of = {m: r["responses"] / r["seconds"] for m, r in results.items()}
        for mode in modes:
            result = results[mode]
            rate = rate_of[mode]
            floor = "raw+insert" if mode in {"sync", "raw+insert"} else "raw"
            added = result["peak"] - result["rss"]
            memory[mode, count] = added
            rows.append(
                [
                    f"{count:,}",
                    mode,
                    f"{result['responses']:,}",
                    f"{result['requests']:,}",
                    f"{result['seconds']:.2f}",
                    f"{rate:,.0f}",
                    f"{result['cpu'] / max(1, result['responses']) * 1e6:.0f}",
                    _util.ratio(rate, rate_of.get("raw")),
                    _util.ratio(rate, rate_of.get(floor), "(insert)" if floor != "raw" else ""),
                    _util.cpu_ratio(results.get(floor), result),
                    f"{result['peak']:.0f}",
                    f"{added:.0f}",
                ]
            )
        if "sync" in results:
            sync = results["sync"]
            quiet.append(
                [
                    f"{count:,}",
                    f"{sync['quiet_requests']}",
                    f"{sync['quiet_seconds'] * 1000:.0f} ms",
                ]
            )
    print(
        util.table(
            [
                "submissions",
                "method",
                "responses",
                "requests",
                "seconds",
                "responses/s",
                "CPU us/row",
                "vs raw",
                "vs floor",
                "vs floor, CPU",
                "peak RSS MiB",
                "added MiB",
            ],
            rows,
        )
    )
    if quiet:
        print()
        print("Incremental re-sync with nothing new (after the sync above):")
        print(util.table(["submissions stored", "requests", "time"], quiet))
    if traced:
        print()
        print("The pull's peak of Python allocations (tracemalloc; the pages held at once):")
        print(util.table(["submissions", "traced peak MiB"], traced))
    flat = [c for c in sizes if c >= 10_000]
    if len(flat) >= 2:
        first, last = flat[0], flat[-1]
        print()
        for mode in modes:
            print(
                f"{mode}: memory added at {last:,} is {memory[mode, last]:.0f} MiB, "
                f"at {first:,} {memory[mode, first]:.0f} MiB"
            )
    print()
    print(
        "raw = httpx GET following `next`, JSON-decoding each page (the decode floor); "
        "raw+insert = raw plus a plain executemany of (_id, json.dumps) into SQLite (the "
        "insert floor); vs floor: pull to raw, sync to raw+insert, measured in this run; "
        "pull = the connector's "
        "pull, every submission converted to a response (pull-serial: without fetching the "
        "next page meanwhile); sync = pull + SQLite store. "
        "'added MiB' = peak resident memory minus the memory after imports."
    )
    print(f"\nload average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
