"""ODK Central pull by page size, against a real Central: calls, time, CPU, peak memory.

Run:  ODK_URL=http://127.0.0.1:8383 ODK_EMAIL=... ODK_PASSWORD=... \\
      uv run python benchmarks/bench_pages_odk.py [--submissions 6000]
                                                  [--pages 250,1000,5000,adaptive] [--repeat 3]

Needs a real ODK Central (it is never started from here) whose account may create a
project. The first run pushes the ``self-reflection`` instrument into a project
"coprod bench pages" (round ``bench-pages``) and sends submissions through Central's
REST API (``POST .../submissions``, generated answers) until the form has
``--submissions``; later runs reuse them (the deployment is kept in
``--state``, outside the repository by default).

Each page size is a full pull by the connector (login, the keyset pages of
:mod:`coprod_odk.cursor`, every submission converted, logout) in a fresh process, so
its peak resident memory is its own; the sizes take turns, ``--repeat`` rounds.
``N`` pulls with every page N submissions (``page_size=N``); ``adaptive`` is the
connector's default (pages start at 1,000 and grow while Central answers within 2 s,
up to 5,000). Printed per run: calls (login and logout included), wall seconds, the
client's CPU per row, peak and added resident memory, the 1-minute load average.
Then Central's own time per call: one GET of each size from the middle of the feed
(``--raw`` rounds). Not part of the test run; it writes to the server it is given.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import _util  # noqa: E402 - the benchmarks' shared helpers (this folder is no package)
from _util import max_rss_mib, rss_mib  # noqa: E402

INSTRUMENT = "self-reflection"
ROUND = "bench-pages"
PROJECT = "coprod bench pages"
ROLES = ["user", "staff", "carer", "mgr"]
ORDER = "__system/submissionDate asc"


def _env() -> tuple[str, str, str]:
    try:
        return (
            os.environ["ODK_URL"].rstrip("/"),
            os.environ["ODK_EMAIL"],
            os.environ["ODK_PASSWORD"],
        )
    except KeyError as exc:
        sys.exit(f"set ODK_URL, ODK_EMAIL and ODK_PASSWORD (missing {exc})")


def _profile() -> Any:
    from coprod_connectors import Profile

    url, email, password = _env()
    return Profile(name="odk-bench", platform="odk", url=url, user=email).with_secret(password)


def _session(client: Any) -> None:
    _, email, password = _env()
    login = client.post("/v1/sessions", json={"email": email, "password": password})
    login.raise_for_status()
    client.headers["Authorization"] = f"Bearer {login.json()['token']}"


def populate(state: Path, count: int) -> None:
    """Push the form (once) and send submissions until it has ``count``."""
    import httpx

    from coprod_connectors import Deployment, builtin_instrument
    from coprod_odk import OdkCentralConnector
    from coprod_testkit.roundtrip import sample_answers
    from coprod_testkit.xforms import fill

    instrument = builtin_instrument(INSTRUMENT)
    if state.exists():
        deployment = Deployment.model_validate_json(state.read_text(encoding="utf-8"))
    else:
        connector = OdkCentralConnector()
        options = connector.push_options.of({"project": PROJECT})
        with tempfile.TemporaryDirectory() as folder:
            pushed = connector.push(
                instrument, _profile(), round=ROUND, options=options, handover_dir=Path(folder)
            )
        deployment = pushed.deployment
        state.write_text(deployment.model_dump_json(), encoding="utf-8")
    project, form = deployment.details["project_id"], deployment.details["form_id"]
    with httpx.Client(base_url=_env()[0], timeout=60) as client:
        _session(client)
        xform = client.get(f"/v1/projects/{project}/forms/{form}.xml").text
        feed = f"/v1/projects/{project}/forms/{form}.svc/Submissions"
        have = client.get(feed, params={"$top": 0, "$count": "true"}).json()["@odata.count"]

        def send(n: int) -> None:
            answers = sample_answers(instrument, n, roles=ROLES)
            instance = f"uuid:{uuid.uuid5(uuid.NAMESPACE_URL, f'{ROUND}/{n}')}"
            reply = client.post(
                f"/v1/projects/{project}/forms/{form}/submissions",
                content=fill(xform, answers, instance_id=instance),
                headers={"Content-Type": "application/xml"},
            )
            assert reply.status_code in {200, 409}, reply.text[:200]

        if have < count:
            print(f"sending {count - have:,} submissions (the form has {have:,})", flush=True)
            with ThreadPoolExecutor(4) as pool:
                list(pool.map(send, range(have, count)))
        client.delete("/v1/sessions/current")


def child(state: Path, spec: str) -> None:
    """One full pull by the connector with the pages ``spec`` asks for."""
    from coprod_connectors import Deployment, builtin_instrument
    from coprod_odk import OdkCentralConnector

    deployment = Deployment.model_validate_json(state.read_text(encoding="utf-8"))
    instrument = builtin_instrument(INSTRUMENT)
    connector = (
        OdkCentralConnector() if spec == "adaptive" else OdkCentralConnector(page_size=int(spec))
    )
    profile = _profile()
    start_rss = rss_mib()
    started, started_cpu = time.perf_counter(), time.process_time()
    responses = requests = pages = 0
    for page in connector.pull(deployment, profile, instrument=instrument):
        responses += sum(1 for r in page.records if r.response is not None)
        requests += page.requests
        pages += 1
        del page
    print(
        json.dumps(
            {
                "responses": responses,
                "requests": requests,
                "pages": pages,
                "seconds": time.perf_counter() - started,
                "cpu": time.process_time() - started_cpu,
                "rss": start_rss,
                "peak": max_rss_mib(),
            }
        )
    )


def raw_calls(state: Path, sizes: list[int], rounds: int) -> list[list[str]]:
    """Central's time for one page of each size, from the middle of the feed."""
    import httpx

    deployment = json.loads(state.read_text(encoding="utf-8"))
    project, form = deployment["details"]["project_id"], deployment["details"]["form_id"]
    feed = f"/v1/projects/{project}/forms/{form}.svc/Submissions"
    rows: list[list[str]] = []
    with httpx.Client(base_url=_env()[0], timeout=300) as client:
        _session(client)
        total = client.get(feed, params={"$top": 0, "$count": "true"}).json()["@odata.count"]
        middle = client.get(
            feed, params={"$orderby": ORDER, "$top": 1, "$skip": total // 3, "$select": "__system"}
        ).json()["value"][0]["__system"]["submissionDate"]
        for _ in range(rounds):
            for size in sizes:
                params: dict[str, str | int] = {
                    "$orderby": ORDER,
                    "$top": size,
                    "$expand": "*",
                    "$filter": f"__system/submissionDate ge {middle}",
                    "$skip": 1,
                }
                started = time.perf_counter()
                body = client.get(feed, params=params).content
                seconds = time.perf_counter() - started
                got = len(json.loads(body)["value"])
                rows.append(
                    [
                        f"{size:,}",
                        f"{got:,}",
                        f"{len(body) / 1e6:.1f}",
                        f"{seconds:.3f}",
                        f"{seconds / max(1, got) * 1000:.2f}",
                        f"{os.getloadavg()[0]:.2f}",
                    ]
                )
        client.delete("/v1/sessions/current")
    return rows


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0] if __doc__ else None)
    parser.add_argument("--submissions", type=int, default=6000, help="submissions in the form")
    parser.add_argument("--pages", default="250,1000,5000,adaptive", help="page sizes to compare")
    parser.add_argument("--repeat", type=int, default=3, help="rounds of pulls")
    parser.add_argument("--raw", type=int, default=2, help="rounds of single calls")
    parser.add_argument(
        "--state",
        type=Path,
        default=Path(tempfile.gettempdir()) / "coprod-bench-pages-odk.json",
        help="where the benchmark's deployment is kept",
    )
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child(args.state, args.child)
        return
    populate(args.state, args.submissions)
    specs = [s.strip() for s in args.pages.split(",") if s.strip()]
    print("ODK Central pull by page size, against a real Central")
    print(f"Machine: {_util.machine()}")
    print(f"{args.submissions:,} {INSTRUMENT} submissions at {_env()[0]}")
    print(f"load average before: {os.getloadavg()[0]:.2f}")
    rows: list[list[str]] = []
    for _ in range(args.repeat):
        for spec in specs:
            result = _util.measure_child(__file__, spec, ["--state", str(args.state)])
            rows.append(
                [
                    spec,
                    f"{result['responses']:,}",
                    f"{result['requests']}",
                    f"{result['seconds']:.2f}",
                    f"{result['cpu'] / max(1, result['responses']) * 1e6:.0f}",
                    f"{result['peak']:.0f}",
                    f"{result['peak'] - result['rss']:.0f}",
                    f"{os.getloadavg()[0]:.2f}",
                ]
            )
    headers = ["pages", "responses", "calls", "seconds", "CPU us/row", "peak MiB", "added MiB"]
    print(_util.table([*headers, "load"], rows))
    sizes = sorted({int(s) for s in specs if s.isdigit()} | {1})
    print("\nCentral's time for one call (a GET of that many submissions, $expand=*):")
    raw = raw_calls(args.state, sizes, args.raw)
    print(_util.table(["$top", "rows", "MB", "seconds", "ms/row", "load"], raw))
    print(f"\nload average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
