"""LimeSurvey pull: throughput and peak memory, the connector against the raw calls.

Run:  uv run python benchmarks/bench_pull_limesurvey.py [--sizes 1000,10000,100000]
                                                         [--page-size N] [--repeat N]
                                                         [--latency SECONDS] [--no-store]

A fake LimeSurvey (``coprod_testkit.limesurvey_fake``: the reply bytes of LimeSurvey
6.14, checked against the recorded cassettes) serves N responses to the
checklist over real HTTP on 127.0.0.1, in its own process. For each N, each of
these runs in a fresh process (so its peak resident memory is its own), in the
same run:

- ``raw``: what a user would write by hand: ``get_session_key``, ONE
  ``export_responses`` of the whole survey (json, code headings, complete
  responses), base64-decode + ``json.loads``, ``release_session_key``. The rows
  stay plain dicts of strings;
- ``raw+convert``: the same, then every row turned into a Response the way the
  connector does it (codes mapped back, types, flags): what scoring needs. Not
  what a user would do, but it shows what the transport costs apart from the
  conversion;
- ``floor``: the decode floor: the same calls by hand, in fixed ranges of
  ``--page-size`` ids (else 1,000, the connector's first range), base64 + ``json.loads``
  of each, nothing converted; what no client can beat;
- ``floor+insert``: the insert floor: ``floor`` plus a plain ``executemany`` of
  (id, ``json.dumps(row)``) tuples into SQLite, one transaction a range;
- ``pull``: the connector's pull in response-id ranges (starting at
  ``--page-size``, the connector's default otherwise, and growing while the
  server answers fast), consuming the pages as a sync would, with no store;
- ``sync``: ``sync_deployment`` into a SQLite store in a temporary folder, then
  an incremental re-sync with nothing new (requests made and time).

Printed: responses, seconds, responses/s, the client's CPU time per row (the
measuring process's own, every thread), the ratio to ``raw``, the ratio to its
floor (``pull`` and the ``raw`` modes to ``floor``, ``sync`` to
``floor+insert``, all measured in the same run), the peak resident memory of
the process and how much of it the pull added (peak minus the memory after
imports). ``--latency`` and ``--row-cost`` make the server
wait before each export_responses answer, that long plus that much per row (a
real LimeSurvey spends time in PHP and its database on every call);
``--real-costs`` uses what a real LimeSurvey 6.14 took on this machine. The
default, no server time, shows only the client's own work: the worst case for
ranged exports. ``--serial`` adds ``pull-serial``: the pull without asking for
the next range while a page is converted. Never fails; not part of the test run.
"""

from __future__ import annotations

import argparse
import base64
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

#: The fake server's module (coprod_limesurvey.fake before the test kit, so that this script can
#: measure an older checkout side by side).
FAKE = (
    "coprod_testkit.limesurvey_fake"
    if importlib.util.find_spec("coprod_testkit")
    else "coprod_limesurvey.fake"
)

INSTRUMENT = "checklist"
SEED = 2026
#: What one export_responses call cost a real LimeSurvey 6.14 (php -S, MariaDB, the
#: checklist, 2,000 responses) on the benchmark machine: 250 rows 83 ms, 500 rows
#: 139 ms, 1,000 rows 286 ms, 2,000 rows 472 ms (the whole survey in one call: 599 ms).
REAL_LATENCY = 0.027
#: The floors' fixed id ranges: the connector's first range.
DEFAULT_RANGE = 1000
REAL_ROW_COST = 0.00022


# --- in the child process: one measurement -------------------------------------------
def _fake(count: int) -> Any:
    from coprod_connectors.instruments import builtin_instrument

    fake_class = importlib.import_module(FAKE).FakeLimeSurvey

    # the same account, survey id and instrument as the server process (rows are not made)
    return fake_class(count, instrument=builtin_instrument(INSTRUMENT), seed=SEED)


def _rpc(client: Any, endpoint: str) -> Any:
    """A plain JSON-RPC call to RemoteControl over ``client``, as a person would write it."""

    def call(method: str, *params: Any) -> Any:
        reply = client.post(endpoint, json={"method": method, "params": params, "id": 1})
        reply.raise_for_status()
        return reply.json()["result"]

    return call


def _raw(url: str, count: int, page_size: int, *, convert: bool = False) -> dict[str, Any]:
    import httpx

    from coprod_limesurvey.rows import RowConverter

    fake = _fake(count)
    endpoint = f"{url}/index.php/admin/remotecontrol"
    converter = RowConverter(fake.instrument, round="2026-H1", labels=False)
    start_rss = rss_mib()
    started, started_cpu = time.perf_counter(), time.process_time()
    with httpx.Client(timeout=600) as client:
        call = _rpc(client, endpoint)
        key = call("get_session_key", fake.user, fake.password)
        exported = call("export_responses", key, fake.sid, "json", None, "complete", "code")
        rows = json.loads(base64.b64decode(exported))["responses"]
        del exported
        call("release_session_key", key)
    responses = len(rows)
    if convert:
        responses = len([converter(row) for row in rows])
    seconds = time.perf_counter() - started
    cpu = time.process_time() - started_cpu
    del rows
    return {
        "responses": responses,
        "seconds": seconds,
        "cpu": cpu,
        "requests": 3,
        "rss": start_rss,
    }


def _raw_convert(url: str, count: int, page_size: int) -> dict[str, Any]:
    return _raw(url, count, page_size, convert=True)


def _floor(url: str, count: int, page_size: int, *, insert: bool = False) -> dict[str, Any]:
    import httpx

    fake = _fake(count)
    endpoint = f"{url}/index.php/admin/remotecontrol"
    last = max(fake.ids("complete"), default=0)
    floor = _util.FloorTable(key="INTEGER") if insert else None
    start_rss = rss_mib()
    started, started_cpu = time.perf_counter(), time.process_time()
    responses = requests = 0
    with httpx.Client(timeout=600) as client:
        call = _rpc(client, endpoint)
        key = call("get_session_key", fake.user, fake.password)
        requests += 1
        size = page_size or DEFAULT_RANGE
        for low in range(1, last + 1, size):
            exported = call(
                "export_responses", key, fake.sid, "json", None, "complete", "code", "short",
                low, low + size - 1,
            )  # fmt: skip
            requests += 1
            if not isinstance(exported, str):
                continue  # no rows in this range
            rows = json.loads(base64.b64decode(exported))["responses"]
            responses += len(rows)
            if floor is not None:
                floor.insert([(int(row["id"]), json.dumps(row)) for row in rows])
            del rows, exported
        call("release_session_key", key)
        requests += 1
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


def _floor_insert(url: str, count: int, page_size: int) -> dict[str, Any]:
    return _floor(url, count, page_size, insert=True)


class _Counting:
    """An httpx transport that counts the requests it sends."""

    def __init__(self) -> None:
        import httpx

        self.inner = httpx.HTTPTransport()
        self.requests = 0

    def handle_request(self, request: Any) -> Any:
        self.requests += 1
        return self.inner.handle_request(request)

    def close(self) -> None:
        self.inner.close()


def _pull(url: str, count: int, page_size: int, *, prefetch: bool = True) -> dict[str, Any]:
    import httpx

    from coprod_limesurvey import LimeSurveyConnector

    fake = _fake(count)
    counting = _Counting()
    client = httpx.Client(transport=counting, timeout=120)  # type: ignore[arg-type]
    # 0: the connector's own ranges (adaptive); else fixed ranges of that many ids
    sized: dict[str, Any] = {"page_size": page_size} if page_size else {}
    connector = LimeSurveyConnector(client=client, prefetch=prefetch, **sized)
    deployment, profile = fake.deployment(url=url), fake.profile(url=url)
    start_rss = rss_mib()
    started, started_cpu = time.perf_counter(), time.process_time()
    responses = 0
    for page in connector.pull(deployment, profile, instrument=fake.instrument):
        responses += sum(1 for r in page.records if r.response is not None)
        del page  # a sync would store the page here and let it go
    seconds = time.perf_counter() - started
    cpu = time.process_time() - started_cpu
    client.close()
    return {
        "responses": responses,
        "seconds": seconds,
        "cpu": cpu,
        "requests": counting.requests,
        "rss": start_rss,
    }


def _pull_serial(url: str, count: int, page_size: int) -> dict[str, Any]:
    return _pull(url, count, page_size, prefetch=False)


def _sync(url: str, count: int, page_size: int) -> dict[str, Any]:
    import httpx

    from coprod_limesurvey import LimeSurveyConnector

    fake = _fake(count)
    counting = _Counting()
    client = httpx.Client(transport=counting, timeout=120)  # type: ignore[arg-type]
    sized: dict[str, Any] = {"page_size": page_size} if page_size else {}
    connector = LimeSurveyConnector(client=client, **sized)
    deployment, profile = fake.deployment(url=url), fake.profile(url=url)
    result = _util.timed_sync(
        connector, deployment, profile, fake.instrument, lambda: counting.requests
    )
    client.close()
    return result


MODES = {
    "floor": _floor,
    "floor+insert": _floor_insert,
    "raw": _raw,
    "raw+convert": _raw_convert,
    "pull": _pull,
    "pull-serial": _pull_serial,
    "sync": _sync,
}


def child(mode: str, url: str, count: int, page_size: int) -> None:
    result = MODES[mode](url, count, page_size)
    result["peak"] = max_rss_mib()
    print(json.dumps(result))


# --- in the parent process -----------------------------------------------------------


def start_server(count: int, latency: float, row_cost: float) -> _util.FakeServer:
    args = ["--count", str(count), "--instrument", INSTRUMENT, "--seed", str(SEED)]
    return _util.FakeServer(FAKE, [*args, "--latency", str(latency), "--row-cost", str(row_cost)])


def _child_args(url: str, count: int, page_size: int) -> list[str]:
    return ["--url", url, "--count", str(count), "--page-size", str(page_size)]


def measure(mode: str, url: str, count: int, page_size: int) -> dict[str, Any]:
    return _util.measure_child(__file__, mode, _child_args(url, count, page_size))


def best(mode: str, url: str, count: int, page_size: int, repeat: int) -> dict[str, Any]:
    return _util.best_child(__file__, mode, _child_args(url, count, page_size), repeat)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0] if __doc__ else None)
    parser.add_argument("--sizes", default="1000,10000,100000", help="response counts")
    parser.add_argument(
        "--page-size",
        type=int,
        default=0,
        help="fixed ranges of this many ids (default: the connector's own, growing ranges)",
    )
    parser.add_argument("--latency", type=float, default=0.0, help="server seconds per export")
    parser.add_argument("--row-cost", type=float, default=0.0, help="server seconds per row")
    parser.add_argument(
        "--real-costs",
        action="store_true",
        help=f"--latency {REAL_LATENCY} --row-cost {REAL_ROW_COST} (as LimeSurvey 6.14 measured)",
    )
    parser.add_argument("--serial", action="store_true", help="also pull without prefetching")
    parser.add_argument("--repeat", type=int, default=0, help="runs per cell (best kept)")
    parser.add_argument("--no-store", action="store_true", help="skip the SQLite sync")
    parser.add_argument("--modes", help="only these methods, e.g. pull (for large sizes)")
    parser.add_argument("--child", choices=sorted(MODES), help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--count", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child(args.child, args.url, args.count, args.page_size)
        return

    if args.real_costs:
        args.latency, args.row_cost = REAL_LATENCY, REAL_ROW_COST
    util = _util
    sizes = [int(s.replace("_", "")) for s in args.sizes.split(",") if s.strip()]
    modes = ["floor", "raw", "raw+convert", "pull"]
    modes += ["pull-serial"] if args.serial else []
    modes += [] if args.no_store else ["floor+insert", "sync"]
    modes = args.modes.split(",") if args.modes else modes
    print(
        f"LimeSurvey pull, {INSTRUMENT}, "
        + (
            f"fixed ranges of {args.page_size} ids"
            if args.page_size
            else f"the connector's ranges (from {DEFAULT_RANGE} ids, adapting; floors: fixed "
            f"ranges of {DEFAULT_RANGE})"
        )
        + "; server time per "
        f"export {args.latency:g} s + {args.row_cost:g} s a row"
    )
    print(util.machine())
    print(f"load average before: {os.getloadavg()[0]:.2f}\n")
    rows: list[list[str]] = []
    quiet: list[list[str]] = []
    for count in sizes:
        repeat = args.repeat or (3 if count <= 10_000 else 1)
        server = start_server(count, args.latency, args.row_cost)
        try:
            results = {m: best(m, server.url, count, args.page_size, repeat) for m in modes}
        finally:
            server.stop()
        rate_of = {m: r["responses"] / r["seconds"] for m, r in results.items()}
        for mode in modes:
            r = results[mode]
            rate = rate_of[mode]
            floor = "floor+insert" if mode in {"sync", "floor+insert"} else "floor"
            rows.append(
                [
                    f"{count:,}",
                    mode,
                    f"{r['requests']:,}",
                    f"{r['seconds']:.2f}",
                    f"{rate:,.0f}",
                    f"{r['cpu'] / max(1, r['responses']) * 1e6:.0f}",
                    _util.ratio(rate, rate_of.get("raw")),
                    _util.ratio(rate, rate_of.get(floor), "(insert)" if floor != "floor" else ""),
                    _util.cpu_ratio(results.get(floor), r),
                    f"{r['peak']:.0f}",
                    f"{r['peak'] - r['rss']:.0f}",
                ]
            )
        if "sync" in results:
            s = results["sync"]
            quiet.append(
                [f"{count:,}", f"{s['quiet_requests']}", f"{s['quiet_seconds'] * 1000:.0f}"]
            )
    headers = [
        "responses",
        "method",
        "requests",
        "seconds",
        "responses/s",
        "CPU us/row",
        "vs raw",
        "vs floor",
        "vs floor, CPU",
        "peak RSS MiB",
        "added MiB",
    ]
    print(util.table(headers, rows))
    if quiet:
        print("\nincremental re-sync with nothing new (sync, SQLite store):\n")
        print(util.table(["responses stored", "requests", "ms"], quiet))
    print(
        "\nvs floor: pull and raw to the decode floor (floor), sync to the insert floor "
        "(floor+insert), both measured in this run"
    )
    print(f"\nload average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
