"""Reading a form's submissions from Central, page by page, after a cursor.

See :mod:`coprod_odk.cursor` for what is read and why nothing is missed or repeated.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from coprod_odk.client import CentralClient
from coprod_odk.cursor import Cursor, Scan, settle_waiting

ORDER = "__system/submissionDate asc"
DEFAULT_PAGE_SIZE = 250


@dataclass(frozen=True)
class Batch:
    """Rows not read before, the cursor after them (JSON text), and requests made."""

    rows: list[dict[str, Any]]
    cursor: str
    requests: int


def read_submissions(
    client: CentralClient,
    project_id: int,
    form_id: str,
    *,
    since: str | None,
    page_size: int = DEFAULT_PAGE_SIZE,
    files_only: bool = False,
    now: Callable[[], datetime] = lambda: datetime.now(timezone.utc),
) -> Generator[Batch, None, None]:
    """The submissions after the cursor ``since`` (None: all), one batch per page.

    The last batch may be empty: it still carries the cursor (which moves on with
    Central's clock). Submissions whose files were incomplete are asked for again
    first (when a new scan starts), and come back (whole) once their files are all
    there. With
    ``files_only``, only ``__id`` and ``__system`` of the submissions that have
    files are read (for downloading them).
    """
    shape: dict[str, Any] = {"expand": False, "select": "__id,__system"} if files_only else {}
    cursor = Cursor.load(since)
    if cursor.waiting and cursor.scan is None:
        before = client.requests
        rows = []
        for expression in cursor.waiting_filters():
            page = client.odata(project_id, form_id, filter=expression, orderby=ORDER, **shape)
            rows.extend(page.rows)
        cursor, complete = settle_waiting(cursor, rows)
        done = set(complete)
        yield Batch(
            [r for r in rows if r.get("__id") in done], cursor.dump(), client.requests - before
        )
    scan = Scan(cursor, page_size)
    while not scan.done:
        before = client.requests
        query, skip = scan.query()
        page = client.odata(
            project_id, form_id, filter=query, orderby=ORDER, top=page_size, skip=skip, **shape
        )
        fresh = scan.page(page.rows, page.server_time, now=now())
        if files_only:
            fresh = [r for r in fresh if _has_files(r)]
        yield Batch(fresh, scan.cursor.dump(), client.requests - before)


def _has_files(row: dict[str, Any]) -> bool:
    system = row.get("__system")
    present = system.get("attachmentsPresent") if isinstance(system, dict) else None
    return isinstance(present, int) and present > 0


__all__ = ["DEFAULT_PAGE_SIZE", "ORDER", "Batch", "read_submissions"]
