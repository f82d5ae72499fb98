"""Reading a form's submissions from Central, page by page, after a cursor.

See :mod:`coprod_odk.cursor` for what is read and why nothing is missed or repeated.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Generator
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from coprod_connectors import PageSizes, TimedOutError, TransientReplyError, UnavailableError
from coprod_odk.client import CentralClient
from coprod_odk.cursor import Cursor, Scan, settle_waiting

logger = logging.getLogger(__name__)

ORDER = "__system/submissionDate asc"
#: Submissions asked for by a pull's first page. Central v2024.2 spends 0.13 to 0.22 s
#: on a call plus about 0.8 ms a submission (the self-reflection form, its repeat
#: inlined: 2.5 kB of JSON each), so pages of 250 spent a third of a pull on the calls
#: themselves (82 calls for 20,000 submissions, 20 to 34 s; pages of 1,000: 22 calls,
#: 9 to 21 s, under a load of 3.5 to 9). A page of 1,000 comes back in about a second.
DEFAULT_PAGE_SIZE = 1000
#: The bounds of the pages when they adapt (:class:`~coprod_connectors.PageSizes`: twice
#: as large while a page comes back within 2 s, half when one takes 10 s or fails).
#: Pages of 5,000 take Central 10 to 15% less time than pages of 1,000 (raw OData, a
#: full pull of 20,000; over a network each call also costs round trips, not measured
#: here). The largest bounds memory: a pull holds two pages (one converted while the
#: next is read), about 150 MB more than at the pull's start at 5,000 such submissions,
#: 40 MB at 1,000 (``max_page_size=1000`` keeps that); the smallest is what a slow or
#: failing server is asked for at worst.
DEFAULT_MAX_PAGE_SIZE = 5000
DEFAULT_MIN_PAGE_SIZE = 100


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
    page_size: int | None = None,
    max_page_size: int | None = None,
    files_only: bool = False,
    now: Callable[[], datetime] = lambda: datetime.now(timezone.utc),
    clock: Callable[[], float] = time.monotonic,
) -> Generator[Batch, None, None]:
    """The submissions after the cursor ``since`` (None: all), one batch per page.

    Pages start at ``page_size`` submissions and adapt up to ``max_page_size`` (see
    :class:`~coprod_connectors.PageSizes`; ``clock`` times the answers); a
    ``page_size`` given alone keeps every page that size. A page that fails (after
    the HTTP policy's own retries: timed out, cut short, or a server error) is asked
    for again, half as large, down to the smallest size.

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
    sizes = PageSizes.given(
        page_size,
        max_page_size,
        first=DEFAULT_PAGE_SIZE,
        most=DEFAULT_MAX_PAGE_SIZE,
        least=DEFAULT_MIN_PAGE_SIZE,
    )
    scan = Scan(cursor, sizes.size)
    before = client.requests
    while not scan.done:
        query, skip = scan.query()
        # the scan ends at a page shorter than the one asked for
        scan.page_size = top = sizes.size
        started = clock()
        try:
            page = client.odata(
                project_id, form_id, filter=query, orderby=ORDER, top=top, skip=skip, **shape
            )
        except UnavailableError as exc:
            if _size_may_matter(exc) and sizes.failed():  # a smaller page may get through
                logger.info("a page of %s submissions failed; asking for %s", top, sizes.size)
                continue
            raise
        sizes.answered(clock() - started)
        fresh = scan.page(page.rows, page.server_time, now=now())
        if files_only:
            fresh = [r for r in fresh if _has_files(r)]
        yield Batch(fresh, scan.cursor.dump(), client.requests - before)
        before = client.requests


def _size_may_matter(exc: UnavailableError) -> bool:
    """Whether a smaller page may get through where this failure stopped one: a time-out,
    a reply cut short, a server error (not a server that cannot be reached)."""
    if isinstance(exc, (TimedOutError, TransientReplyError)):
        return True
    return exc.status_code is not None and exc.status_code >= 500


def _has_files(row: dict[str, Any]) -> bool:
    system = row.get("__system")
    present = system.get("attachmentsPresent") if isinstance(system, dict) else None
    return isinstance(present, int) and present > 0


__all__ = [
    "DEFAULT_MAX_PAGE_SIZE",
    "DEFAULT_MIN_PAGE_SIZE",
    "DEFAULT_PAGE_SIZE",
    "ORDER",
    "Batch",
    "read_submissions",
]
