"""Which submissions a pull reads, and the cursor that lets the next one miss none and repeat none.

The decision, and why
---------------------

Central's OData feed can filter and order only by its own ``__system`` fields,
and it refuses ``$orderby`` together with the ``$skiptoken`` its ``nextLink``
uses. Its times are written to the millisecond; the database keeps microseconds,
and a timestamp is taken when a transaction *starts*, so a submission can become
visible after another one with a later time was already read.

So a pull is **one keyset scan ordered by** ``__system/submissionDate asc``
(Central breaks ties by its row id), reading

    ``__system/submissionDate ge S or __system/updatedAt ge U``

from the cursor's two watermarks ``S`` and ``U``, page by page: the next page adds
``submissionDate ge <last date read> and (…)`` and skips the rows already read at
that date. ``updatedAt`` is set when a reviewer changes the review state and when a
submission is edited, so edits and reviews come back through ``U`` under the same
id (``__id`` stays the first instance id across edits).

The watermarks never pass **Central's own clock minus a settle window**
(:data:`SETTLE`, 60 s, from the ``Date`` header of the pull's first reply), and the
cursor keeps the ids (with their dates) of every row read at or after them. The
next pull reads that overlap again and drops what it has already seen, unless its
``updatedAt`` changed. So:

- nothing is missed: a submission whose transaction committed late (up to the
  settle window) has a date at or after the watermark and is read next time;
- nothing is repeated: a row already read with the same ``updatedAt`` is dropped;
- a re-sync with nothing new is **one request**, and the cursor stays small (the
  rows of the last minute);
- a pull that stopped part-way (killed, or failed after some pages) is taken up
  where it stopped: the cursor keeps the unfinished scan (:class:`ScanState`), and
  the next pull asks exactly what it would have asked next (only the page's size
  may differ), with the first pull's clock, so the watermarks never jump over what
  happened in between.

Deleted submissions leave the feed with no trace and no new date: a full pull
(``coprod sync --full``) is what sees them gone (and restored).

A submission whose files were still arriving (``attachmentsPresent <
attachmentsExpected``: Collect sends large files later) does not get a new
``updatedAt`` when they arrive. The cursor lists such submissions
(:attr:`Cursor.waiting`, at most :data:`MAX_WAITING`, for :data:`WAIT_DAYS`) and a
pull asks for them again, in one extra request, until their files are complete;
the answers never change, only the counts in the stored raw record.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import datetime, timedelta, timezone
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from coprod_connectors import ResponseDataError

#: How far the watermarks stay behind Central's clock.
SETTLE = timedelta(seconds=60)
#: At most this many submissions are watched for late files.
MAX_WAITING = 200
#: ... and each for at most this long.
WAIT_DAYS = 30
#: Waiting submissions asked for in one request.
WAITING_PER_REQUEST = 25

_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


def parse_time(value: str | None) -> datetime | None:
    """A Central timestamp (``2026-12-01T14:50:44.057Z``) as an aware datetime."""
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        parsed = parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)
        utc = parsed.astimezone(timezone.utc)
    except (ValueError, OverflowError):
        return None
    # a time UTC cannot hold, or at its very end (a cursor steps past it): not a date
    return None if utc.year >= 9999 else parsed


def odata_time(when: datetime) -> str:
    """``when`` as Central writes times (UTC, milliseconds): usable unquoted in ``$filter``."""
    utc = when.astimezone(timezone.utc)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def _ms(when: datetime) -> datetime:
    """``when`` cut to the millisecond (what Central shows and filters on)."""
    return when.replace(microsecond=when.microsecond // 1000 * 1000)


class Seen(BaseModel):
    """A row read at or after a watermark: its dates as Central wrote them."""

    model_config = ConfigDict(frozen=True)

    s: str
    u: str | None = None


class ScanState(BaseModel):
    """A scan that stopped part-way (the pull was killed, or failed): how to go on with it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    #: the first page's ``$filter`` (None: every submission)
    filter: str | None = None
    #: the submission date of the last row read, and how many rows were read at it
    after: str
    skip: int
    #: Central's clock at the scan's first reply, minus :data:`SETTLE`
    settled: str


class Cursor(BaseModel):
    """Where the next pull starts. Stored as JSON text by the core (opaque to it)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    v: int = 1
    #: Watermark on ``__system/submissionDate``.
    sub: str | None = None
    #: Watermark on ``__system/updatedAt``.
    upd: str | None = None
    #: Rows read at or after a watermark: instance id -> dates.
    seen: dict[str, Seen] = Field(default_factory=dict)
    #: Submissions whose files were incomplete: instance id -> submission date.
    waiting: dict[str, str] = Field(default_factory=dict)
    #: A scan not finished yet: the next pull goes on with it, asking exactly what the
    #: unfinished one would have asked next.
    scan: ScanState | None = None

    @classmethod
    def load(cls, text: str | None) -> Cursor:
        """The cursor in ``text`` (None or empty: start from the beginning)."""
        if not text:
            return cls()
        try:
            return cls.model_validate_json(text)
        except ValidationError:
            msg = f"the stored ODK Central cursor is not one this connector wrote: {text[:60]!r}"
            raise ResponseDataError(
                msg, hint="run `coprod sync --full` to read every submission again"
            ) from None

    def dump(self) -> str:
        return self.model_dump_json(exclude_defaults=True)

    @property
    def started(self) -> bool:
        return self.sub is not None

    def first_filter(self) -> str | None:
        """The ``$filter`` of a pull's first page (None: every submission)."""
        if self.sub is None:
            return None
        clauses = [f"__system/submissionDate ge {self.sub}"]
        if self.upd is not None:
            clauses.append(f"__system/updatedAt ge {self.upd}")
        return " or ".join(clauses)

    def is_new(self, instance_id: str, updated: str | None) -> bool:
        """Whether a row (as read now) was not already read in this state."""
        before = self.seen.get(instance_id)
        return before is None or before.u != updated

    def waiting_filters(self) -> list[str]:
        """``$filter`` expressions that find the waiting submissions again."""
        dates = sorted({d for d in self.waiting.values() if parse_time(d) is not None})
        filters = []
        for start in range(0, len(dates), WAITING_PER_REQUEST):
            ranges = []
            for value in dates[start : start + WAITING_PER_REQUEST]:
                low = parse_time(value)
                assert low is not None
                high = odata_time(low + timedelta(milliseconds=1))
                ranges.append(
                    f"(__system/submissionDate ge {value} and __system/submissionDate lt {high})"
                )
            filters.append(" or ".join(ranges))
        return filters


def row_dates(row: Mapping[str, Any]) -> tuple[str, str, str | None]:
    """(instance id, submission date, updated at) of an OData row; a ResponseDataError if
    it has no id or date (nothing could be resumed after it)."""
    system = row.get("__system")
    instance_id = row.get("__id")
    submitted = system.get("submissionDate") if isinstance(system, Mapping) else None
    if not isinstance(instance_id, str) or not isinstance(submitted, str):
        msg = "an ODK Central submission came without __id or __system/submissionDate"
        raise ResponseDataError(msg, hint="this Central is not one coprod knows; report it")
    updated = system.get("updatedAt") if isinstance(system, Mapping) else None
    return instance_id, submitted, (updated if isinstance(updated, str) else None)


def files_incomplete(row: Mapping[str, Any]) -> bool:
    system = row.get("__system")
    if not isinstance(system, Mapping):
        return False
    present, expected = system.get("attachmentsPresent"), system.get("attachmentsExpected")
    return isinstance(present, int) and isinstance(expected, int) and present < expected


class Scan:
    """One pull's keyset scan: the query of each page, and the cursor after it.

    ``server_now`` is Central's clock at the first reply (its ``Date`` header).
    """

    def __init__(self, cursor: Cursor, page_size: int) -> None:
        self.cursor = cursor
        self.page_size = page_size
        state = cursor.scan
        self._first = state.filter if state is not None else cursor.first_filter()
        self._last: str | None = state.after if state is not None else None
        self._skip = state.skip if state is not None else 0
        self._settled = parse_time(state.settled) if state is not None else None
        self.done = False

    def query(self) -> tuple[str | None, int]:
        """(``$filter``, ``$skip``) of the next page."""
        first = self._first
        if self._last is None:
            return first, 0
        after = f"__system/submissionDate ge {self._last}"
        return (f"{after} and ({first})" if first else after), self._skip

    def page(
        self, rows: list[dict[str, Any]], server_now: datetime | None, *, now: datetime
    ) -> list[dict[str, Any]]:
        """Take one page; returns its rows not read before (in order) and moves the cursor.

        ``now`` (this machine's clock) stands in for Central's only if its reply had no
        ``Date`` header."""
        if self._settled is None:
            clock = server_now or now
            self._settled = _ms(clock - SETTLE)
        fresh: list[dict[str, Any]] = []
        dates: dict[str, tuple[str, str | None]] = {}
        waiting = dict(self.cursor.waiting)
        seen = self.cursor.seen
        last, skip = self._last, self._skip
        for row in rows:
            # row_dates and files_incomplete, written out for a JSON row (``__system`` a
            # dict) as this runs for every row; anything else asks them
            system = row.get("__system")
            instance_id = row.get("__id")
            if (
                type(system) is dict
                and type(instance_id) is str
                and type(submitted := system.get("submissionDate")) is str
            ):
                updated = system.get("updatedAt")
                if not isinstance(updated, str):
                    updated = None
                present = system.get("attachmentsPresent")
                expected = system.get("attachmentsExpected")
                incomplete = (
                    isinstance(present, int) and isinstance(expected, int) and present < expected
                )
            else:
                instance_id, submitted, updated = row_dates(row)
                incomplete = files_incomplete(row)
            before = seen.get(instance_id)
            if before is None or before.u != updated:
                fresh.append(row)
            dates[instance_id] = (submitted, updated)
            if incomplete:
                waiting[instance_id] = submitted
            else:
                waiting.pop(instance_id, None)
            if submitted == last:
                skip += 1
            else:
                last, skip = submitted, 1
        self._last, self._skip = last, skip
        self.done = len(rows) < self.page_size
        self.cursor = self._advance(dates, waiting)
        return fresh

    def _advance(self, dates: dict[str, tuple[str, str | None]], waiting: dict[str, str]) -> Cursor:
        assert self._settled is not None
        settled = self._settled
        now = settled + SETTLE
        old_sub = parse_time(self.cursor.sub) or _EPOCH
        old_upd = parse_time(self.cursor.upd) or _EPOCH
        last = parse_time(self._last) if self._last else None
        reached = settled if self.done or last is None else min(last, settled)
        sub = max(old_sub, reached)
        upd = max(old_upd, settled)
        # a row is remembered while a later read may return it again: at or after a
        # watermark, or still ahead of an unfinished scan (which may have reached it
        # through its updatedAt, below the submission watermark)
        ahead = last if not self.done else None

        # a submission date at or after this one is kept (the lower of the two marks)
        low = sub if ahead is None or sub <= ahead else ahead

        since_low = _since(low)

        def keep(submitted: str, updated: str | None) -> bool:
            return since_low(submitted) or (updated is not None and _at_or_after(updated, upd))

        kept = {
            key: value
            for key, value in self.cursor.seen.items()
            if key not in dates and keep(value.s, value.u)
        }
        # most rows of a page are older than both marks: only the others become Seen
        for key, (submitted, updated) in dates.items():
            if keep(submitted, updated):
                kept[key] = Seen(s=submitted, u=updated)
        oldest = now - timedelta(days=WAIT_DAYS)
        recent = {
            key: value for key, value in waiting.items() if (parse_time(value) or _EPOCH) >= oldest
        }
        newest = dict(sorted(recent.items(), key=lambda kv: kv[1])[-MAX_WAITING:])
        state = None
        if not self.done and self._last is not None:
            state = ScanState(
                filter=self._first, after=self._last, skip=self._skip, settled=odata_time(settled)
            )
        return Cursor(
            sub=odata_time(sub), upd=odata_time(upd), seen=kept, waiting=newest, scan=state
        )


def _at_or_after(value: str | None, mark: datetime) -> bool:
    """Whether ``value`` (a Central time), cut to the millisecond, is at or after ``mark``."""
    when = parse_time(value)
    if when is None:
        return False
    if when.tzinfo is timezone.utc and not mark.microsecond % 1000:
        # cutting a UTC time to the millisecond never takes it below a mark on a
        # millisecond (mark's own zone: whole minutes in UTC, as Central's and ours are)
        return when >= mark
    return _ms(when) >= mark


#: The characters at places 4, 7, 10, 13, 16 and 19 of a time as Central writes it
#: (``2026-12-01T14:50:44.057Z``).
_MARKS = "--T::."


def _since(mark: datetime) -> Callable[[str | None], bool]:
    """``_at_or_after(value, mark)`` for one mark and many values. A value in Central's
    own form that sorts before the mark written so is before it (or not a time at all),
    told without reading it: most rows a page reads are older than the marks."""
    text = odata_time(mark) if mark.tzinfo is timezone.utc and not mark.microsecond % 1000 else ""

    def since(value: str | None) -> bool:
        if (
            type(value) is str
            and len(value) == 24
            and value < text
            and value[23] == "Z"
            and value[4:20:3] == _MARKS
            and len(text) == 24
        ):
            return False
        return _at_or_after(value, mark)

    return since


def settle_waiting(cursor: Cursor, rows: Iterable[Mapping[str, Any]]) -> tuple[Cursor, list[str]]:
    """The cursor after the waiting submissions were read again, and the ids whose files
    are now complete (their rows should be stored again)."""
    waiting = dict(cursor.waiting)
    complete = []
    for row in rows:
        instance_id, submitted, _ = row_dates(row)
        if instance_id not in waiting:
            continue
        if files_incomplete(row):
            waiting[instance_id] = submitted
        else:
            waiting.pop(instance_id)
            complete.append(instance_id)
    return cursor.model_copy(update={"waiting": waiting}), complete


__all__ = [
    "MAX_WAITING",
    "SETTLE",
    "WAITING_PER_REQUEST",
    "WAIT_DAYS",
    "Cursor",
    "Scan",
    "ScanState",
    "Seen",
    "files_incomplete",
    "odata_time",
    "parse_time",
    "row_dates",
    "settle_waiting",
]
