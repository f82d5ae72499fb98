"""Peak memory of a LimeSurvey pull stays flat as the survey grows (prints ratios, never fails).

Run: uv run python benchmarks/ls_pull_memory.py

A fake RemoteControl server makes rows on demand for each id range, so the
only memory that grows with the survey would be the connector's own.
"""

from __future__ import annotations

import base64
import json
import tracemalloc
from typing import Any

import httpx

from coprod_connectors.config import Profile
from coprod_connectors.instruments import builtin_instrument
from coprod_connectors.platforms import Deployment
from coprod_limesurvey import LimeSurveyConnector

INSTRUMENT = builtin_instrument("checklist")


def make_row(n: int) -> dict[str, Any]:
    row: dict[str, Any] = {"id": n, "submitdate": "2026-05-01 10:00:00", "startlanguage": "en"}
    row.update(role="staff", subject=f"Service {n % 7}", level="serv")
    for grid in ("diversity", "equality", "accessibility", "reciprocity"):
        for i in range(1, 6):
            row[f"{grid}[{grid[0]}{i}]"] = ("agree", "part", "dis", "dk")[(n + i) % 4]
    for i in range(1, 9):
        row[f"indicators[k{i}]"] = ("agree", "part")[(n + i) % 2]
    return row


def server(total: int) -> httpx.MockTransport:
    def handle(request: httpx.Request) -> httpx.Response:
        payload = json.loads(request.content)
        method, params = payload["method"], payload["params"]
        result: Any = "OK"
        if method == "get_session_key":
            result = "k" * 32
        elif method == "export_responses":
            low, high, fields = params[7], params[8], params[9]
            top = total if high is None else min(high, total)
            rows = [make_row(n) for n in range(low, top + 1)]
            if fields:
                rows = [{f: r[f] for f in fields} for r in rows]
            result = base64.b64encode(json.dumps({"responses": rows}).encode()).decode()
        return httpx.Response(200, json={"id": payload["id"], "result": result, "error": None})

    return httpx.MockTransport(handle)


def peak(total: int, page_size: int) -> tuple[int, int]:
    connector = LimeSurveyConnector(transport=server(total), page_size=page_size)
    deployment = Deployment.model_validate(
        {
            "platform": "limesurvey",
            "profile": "bench",
            "remote_id": "1",
            "instrument": INSTRUMENT.id,
            "instrument_version": INSTRUMENT.version,
            "round": "2026-H1",
            "created_at": "2026-01-01T00:00:00Z",
        }
    )
    profile = Profile(name="bench", platform="limesurvey", url="http://ls", user="u").with_secret(
        "p"
    )
    tracemalloc.start()
    seen = 0
    for page in connector.pull(deployment, profile, instrument=INSTRUMENT):
        seen += len(page.records)  # a store would write the page here and let it go
    _, top = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return seen, top


def main() -> None:
    base_seen, base = peak(1_000, 500)
    print(f"{'responses':>10} {'peak MiB':>9} {'vs 1,000':>9}")
    print(f"{base_seen:>10,} {base / 2**20:>9.1f} {1.0:>9.2f}")
    for total in (5_000, 10_000):
        seen, top = peak(total, 500)
        print(f"{seen:>10,} {top / 2**20:>9.1f} {top / base:>9.2f}")


if __name__ == "__main__":
    main()
