"""ODK Central pull: throughput and peak memory, the connector against the raw API calls.

Run:  uv run python benchmarks/bench_pull_odk.py [--sizes 1000,10000,100000]
                                                  [--latency SECONDS] [--repeat N] [--no-store]
                                                  [--unique-texts]

A fake Central (``coprod_testkit.odk_fake``: the OData shapes recorded against a
real Central v2024.2) serves N self-reflection submissions over real HTTP on
127.0.0.1, in its own process. For each N, each of these runs in a fresh process
(so its peak resident memory is its own), in the same run:

- ``raw``: what a person would do by hand with the connector's paging: log in,
  ``httpx`` GET of ``.svc/Submissions?$orderby=__system/submissionDate asc&$top=1000
  &$expand=*``, each next page from the last date read (``$filter=__system/submissionDate
  ge <date>`` and ``$skip`` of the rows already read at it: the same queries as the
  connector's keyset scan, so the server does the same work), decoding each page's
  JSON and dropping it: nothing kept (the decode floor);
- ``raw+insert``: the insert floor: ``raw`` plus a plain ``executemany`` of
  (``__id``, ``json.dumps(submission)``) tuples into SQLite, one transaction a page;
- ``pull``: the connector's pull (login, the keyset pages of
  :mod:`coprod_odk.cursor`, logout), consuming the pages as a sync would, without
  a store: every submission converted to a response;
- ``sync``: ``sync_deployment`` into a SQLite store in a temporary folder, then an
  incremental re-sync with nothing new (requests counted and time).

``raw`` is the decode floor of ``pull``, ``raw+insert`` the insert floor of
``sync``; both are measured in the same run. The fake's free texts come from a few
sentences; ``--unique-texts`` makes each submission's its own (as people's words
are), so that a decoder that keeps the strings it has made is not flattered.

Printed: responses, seconds, responses/s, the client's CPU time per row, the ratio
to ``raw`` and to the floor (wall and CPU), the peak resident memory of the
process and how much of it the pull added. ``--latency`` makes the
server take that long for each data page. Not part of the test run.
"""

from __future__ import annotations

import argparse
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

INSTRUMENT = "self-reflection"
SEED = 2026
PAGE = 1000
ORDER = "__system/submissionDate asc"


# --- in the child process: one measurement -------------------------------------------
def _raw(url: str, count: int, *, insert: bool = False) -> dict[str, Any]:
    import httpx

    from coprod_testkit.odk_fake import FAKE_EMAIL, FAKE_PASSWORD, PROJECT

    form = f"{INSTRUMENT}-2026-H2"
    floor = _util.FloorTable() if insert else None
    start_rss = rss_mib()
    started, started_cpu = time.perf_counter(), time.process_time()
    responses = requests = 0
    with httpx.Client(base_url=url, timeout=120) as client:
        login = client.post("/v1/sessions", json={"email": FAKE_EMAIL, "password": FAKE_PASSWORD})
        login.raise_for_status()
        client.headers["Authorization"] = f"Bearer {login.json()['token']}"
        requests += 1
        # the same OData queries as the connector's keyset scan: ordered by submission
        # date, each page from the last date read, skipping the rows already read at it
        params: dict[str, Any] = {"$orderby": ORDER, "$top": PAGE, "$expand": "*"}
        last: str | None = None
        skip = 0
        feed = f"/v1/projects/{PROJECT}/forms/{form}.svc/Submissions"
        while True:
            reply = client.get(feed, params=params)
            reply.raise_for_status()
            rows = reply.json()["value"]
            requests += 1
            responses += len(rows)
            if floor is not None:
                floor.insert([(row["__id"], json.dumps(row)) for row in rows])
            if len(rows) < PAGE:
                break
            date = rows[-1]["__system"]["submissionDate"]
            same = 0
            while same < len(rows) and rows[-1 - same]["__system"]["submissionDate"] == date:
                same += 1
            skip = skip + same if (date == last and same == len(rows)) else same
            last = date
            params = {**params, "$filter": f"__system/submissionDate ge {last}", "$skip": skip}
            del rows, reply
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


def _setup(url: str) -> tuple[Any, Any, Any, Any]:
    from coprod_connectors import builtin_instrument
    from coprod_odk import OdkCentralConnector
    from coprod_testkit.odk_fake import FakeCentral

    fake = FakeCentral(0, instrument=INSTRUMENT, seed=SEED)
    connector = OdkCentralConnector(page_size=PAGE)
    return connector, fake.deployment(), fake.profile(url), builtin_instrument(INSTRUMENT)


def _pull(url: str, count: int) -> dict[str, Any]:
    connector, deployment, profile, instrument = _setup(url)
    start_rss = rss_mib()
    started, started_cpu = time.perf_counter(), time.process_time()
    responses = requests = 0
    for page in connector.pull(deployment, profile, instrument=instrument):
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
    connector, deployment, profile, instrument = _setup(url)
    return _util.timed_sync(connector, deployment, profile, instrument)


MODES = {"raw": _raw, "raw+insert": _raw_insert, "pull": _pull, "sync": _sync}
#: What each method is measured against: the decode floor, or the insert floor.
FLOOR = {"raw": "raw", "pull": "raw", "raw+insert": "raw+insert", "sync": "raw+insert"}


def child(mode: str, url: str, count: int) -> None:
    result = MODES[mode](url, count)
    result["peak"] = max_rss_mib()
    print(json.dumps(result))


# --- in the parent process -----------------------------------------------------------


def start_server(count: int, latency: float, *, unique: bool = False) -> _util.FakeServer:
    return _util.start_fake(
        "coprod_testkit.odk_fake",
        count,
        instrument=INSTRUMENT,
        seed=SEED,
        latency=latency,
        unique=unique,
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
    parser.add_argument("--child", choices=sorted(MODES), help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--count", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child(args.child, args.url, args.count)
        return

    util = _util
    sizes = [int(s.replace("_", "")) for s in args.sizes.split(",") if s.strip()]
    modes = ["raw", "pull"] + ([] if args.no_store else ["raw+insert", "sync"])
    print("ODK Central pull: the connector against the raw API calls")
    print(f"Machine: {util.machine()}")
    print(
        f"Fake Central over HTTP on 127.0.0.1 (its own process), {INSTRUMENT} submissions, "
        f"pages of {PAGE:,}; {_util.fake_line(args.latency, unique=args.unique_texts)}"
    )
    print(f"load average before: {os.getloadavg()[0]:.2f}")
    print()
    rows: list[list[str]] = []
    quiet: list[list[str]] = []
    memory: dict[tuple[str, int], float] = {}
    for count in sizes:
        repeat = args.repeat or (3 if count <= 10_000 else 1)
        server = start_server(count, args.latency, unique=args.unique_texts)
        try:
            results = {mode: best(mode, server.url, count, repeat) for mode in modes}
        finally:
            server.stop()
        raw_rate = results["raw"]["responses"] / results["raw"]["seconds"]
        for mode in modes:
            result = results[mode]
            floor = results[FLOOR[mode]]
            floor_rate = floor["responses"] / floor["seconds"]
            rate = result["responses"] / result["seconds"]
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
                    f"{rate / raw_rate:.2f}x",
                    _util.ratio(rate, floor_rate, "(insert)" if FLOOR[mode] != "raw" else ""),
                    _util.cpu_ratio(floor, result),
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
    headers = ["submissions", "method", "responses", "requests", "seconds", "responses/s"]
    headers += ["CPU us/row", "vs raw", "vs floor", "vs floor, CPU", "peak RSS MiB"]
    headers += ["added MiB"]
    print(util.table(headers, rows))
    if quiet:
        print()
        print("Incremental re-sync with nothing new (after the sync above; login counted):")
        print(util.table(["submissions stored", "requests", "time"], quiet))
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
        "raw = login + httpx GET of the connector's keyset pages ($filter from the last "
        "date read, $orderby, $top, $skip of the rows read at it), JSON-decoding each page "
        "(the decode floor); raw+insert = raw plus a plain executemany of (__id, json.dumps) "
        "into SQLite (the insert floor); vs floor: pull to raw, sync to raw+insert, measured "
        "in this run; pull = the connector's pull, every submission converted to a response; "
        "sync = pull + SQLite store. 'added MiB' = peak resident memory minus the memory "
        "after imports."
    )
    print(f"\nload average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
