"""Peak memory of a pull stays flat as submissions grow (prints ratios, not pass/fail).

Run: uv run python benchmarks/kobo_pull_memory.py [N ...]

A fake KPI (httpx.MockTransport) serves N self-reflection submissions in pages
of 1,000; each page is consumed and dropped as a sync would store it. The
peak traced memory for 10,000 submissions should be about that for 1,000.
"""

from __future__ import annotations

import json
import sys
import tracemalloc
from datetime import datetime, timezone
from typing import Any

import httpx

from coprod_connectors.config import Profile
from coprod_connectors.instruments import builtin_instrument
from coprod_connectors.platforms import Deployment
from coprod_kobotoolbox import KoboToolboxConnector


def submission(n: int) -> dict[str, Any]:
    return {
        "_id": n,
        "about/role": ["user", "staff", "carer"][n % 3],
        "about/subject": f"Service {n % 7}",
        "assets/assetsStage": str(1 + n % 4),
        "assets/assetsEvid": "An example of what happened. " * 8,
        "work/workStage": str(1 + (n + 1) % 4),
        "recip/recipStage": str(1 + (n + 2) % 4),
        "network/networkStage": str(1 + (n + 3) % 4),
        "plan/actions": [
            {"plan/actions/actWhat": "Do a thing", "plan/actions/actWhen": "2026-12-01"}
        ],
        "__version__": "v1",
        "_uuid": f"u{n}",
        "_submission_time": "2026-11-23T10:00:00",
        "_validation_status": {},
        "_attachments": [],
    }


def transport(total: int) -> httpx.MockTransport:
    def handler(request: httpx.Request) -> httpx.Response:
        params = request.url.params
        limit = int(params["limit"])
        after = json.loads(params["query"])["_id"]["$gt"] if "query" in params else 0
        first = after + 1
        last = min(total, after + limit)
        rows = [submission(n) for n in range(first, last + 1)]
        more = "https://kf.kobotoolbox.org/next" if last < total else None
        return httpx.Response(200, json={"count": total - after, "next": more, "results": rows})

    return httpx.MockTransport(handler)


def peak(total: int) -> tuple[int, int]:
    instrument = builtin_instrument("self-reflection")
    profile = Profile(name="bench", platform="kobotoolbox", url="kf").with_secret("x")
    deployment = Deployment(
        platform="kobotoolbox",
        profile="bench",
        remote_id="aBench",
        instrument=instrument.id,
        instrument_version=instrument.version,
        round="2026-H2",
        created_at=datetime.now(timezone.utc),
        details={"versions": {"v1": instrument.version}},
    )
    connector = KoboToolboxConnector(transport=transport(total))
    tracemalloc.start()
    count = 0
    for page in connector.pull(deployment, profile, instrument=instrument):
        count += len(page.records)
        del page
    _, top = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return count, top


def main(sizes: list[int]) -> None:
    base = None
    for size in sizes:
        count, top = peak(size)
        base = base or top
        print(f"{count:>7,} submissions: peak {top / 1e6:6.1f} MB  ratio {top / base:4.2f}")


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [1_000, 5_000, 10_000])
