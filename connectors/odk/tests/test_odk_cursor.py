"""The submission cursor against a model of Central's OData feed: nothing missed, nothing
repeated, whatever the order of submissions, edits, late commits and pulls.

The model keeps each submission's dates to the microsecond (as PostgreSQL does),
shows them to the millisecond (as Central does), orders by (date, row id), and
evaluates the filters :class:`~coprod_odk.cursor.Scan` writes as the testkit's
fake Central does (against the microsecond dates). A
transaction's time is taken when it starts, so a row can become visible after
rows with later times were read: up to :data:`LATEST`, within the cursor's
:data:`~coprod_odk.cursor.SETTLE`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from coprod_connectors import ResponseDataError
from coprod_odk.cursor import Cursor, Scan, odata_time
from coprod_testkit.odk_fake import matches

T0 = datetime(2026, 12, 1, 12, 0, tzinfo=timezone.utc)
#: The longest a transaction stays invisible after its time was taken (within SETTLE).
LATEST = timedelta(seconds=59)


@dataclass
class Row:
    key: int
    instance_id: str
    submitted: datetime
    updated: datetime | None = None
    visible: bool = True
    version: int = 0

    def odata(self) -> dict[str, Any]:
        return {
            "__id": self.instance_id,
            "__system": {
                "submissionDate": odata_time(self.submitted),
                "updatedAt": odata_time(self.updated) if self.updated else None,
                "attachmentsPresent": 0,
                "attachmentsExpected": 0,
            },
            "v": self.version,
        }


@dataclass
class Feed:
    """Central's Submissions feed, as far as the cursor can tell."""

    rows: list[Row] = field(default_factory=list)
    clock: datetime = T0
    requests: int = 0

    def query(self, expression: str | None, skip: int, top: int) -> list[dict[str, Any]]:
        self.requests += 1
        found = [
            r
            for r in self.rows
            if r.visible
            and matches(expression, {"submissionDate": r.submitted, "updatedAt": r.updated})
        ]
        found.sort(key=lambda r: (r.submitted, r.key))
        return [r.odata() for r in found[skip : skip + top]]

    def tick(self, ms: int) -> None:
        self.clock += timedelta(milliseconds=ms)


def pull(
    feed: Feed, cursor: Cursor, page_size: int, *, pages: int | None = None
) -> tuple[list[dict[str, Any]], Cursor]:
    """A pull (killed after ``pages`` pages if given): the rows read, the cursor stored."""
    scan = Scan(cursor, page_size)
    read: list[dict[str, Any]] = []
    while not scan.done and (pages is None or pages > 0):
        pages = None if pages is None else pages - 1
        expression, skip = scan.query()
        rows = feed.query(expression, skip, page_size)
        read.extend(scan.page(rows, feed.clock, now=feed.clock))
    return read, scan.cursor


events = st.lists(
    st.one_of(
        st.tuples(st.just("submit"), st.integers(0, 3), st.booleans()),
        st.tuples(st.just("update"), st.integers(0, 50), st.booleans()),
        st.tuples(st.just("commit"), st.integers(0, 50), st.just(False)),
        st.tuples(st.just("pull"), st.integers(1, 4), st.booleans()),
        st.tuples(st.just("wait"), st.integers(1, 90_000), st.just(False)),
    ),
    max_size=60,
)


@settings(max_examples=500, deadline=None)
@given(events)
@example(  # rows reached through their updatedAt, ahead of an unfinished scan, once forgotten
    [("submit", 0, False)] * 6
    + [("wait", 59994, False), ("update", 0, False), ("update", 1, False), ("update", 14, False)]
    + [("pull", 1, False)]
)
def test_nothing_missed_nothing_repeated(script: list[tuple[str, int, bool]]) -> None:
    feed = Feed()
    cursor = Cursor()
    stored: dict[str, int] = {}  # instance id -> version stored
    emitted: list[tuple[str, int]] = []
    pending: list[tuple[Row, datetime]] = []  # late commits: row, when its transaction started
    for kind, n, flag in [*script, ("wait", 61_000, False), ("pull", 2, False)] + [
        ("pull", 3, False)
    ] * 3:
        if kind == "submit":
            # n rows in the same millisecond (ties); with flag, committed late
            for _ in range(n + 1):
                row = Row(len(feed.rows), f"uuid:{len(feed.rows)}", feed.clock, visible=not flag)
                row.submitted += timedelta(microseconds=len(feed.rows) % 997)
                feed.rows.append(row)
                if flag:
                    pending.append((row, feed.clock))
            feed.tick(1)
        elif kind == "update" and feed.rows:
            row = feed.rows[n % len(feed.rows)]
            if row.visible:
                row.updated = feed.clock
                row.version += 1
                feed.tick(1)
        elif kind == "commit":
            # late transactions become visible, never more than SETTLE after they started
            for row, started in list(pending):
                if n % 2 == 0 or feed.clock - started >= LATEST:
                    row.visible = True
                    pending.remove((row, started))
        elif kind == "pull":
            for row, started in list(pending):
                if feed.clock - started >= LATEST:
                    row.visible = True
                    pending.remove((row, started))
            visible_before = {r.instance_id: r.version for r in feed.rows if r.visible}
            fresh_scan = cursor.scan is None
            # with flag, the pull is killed after its first page, and taken up next time
            read, cursor = pull(feed, Cursor.load(cursor.dump()), n, pages=1 if flag else None)
            for row in read:
                key = (row["__id"], row["v"])
                assert key not in emitted, f"read twice: {key}"
                emitted.append(key)
                stored[row["__id"]] = row["v"]
            # a scan started and finished here has read all that was there when it started
            # (one taken up again finishes the old scan; the next one reads the rest)
            if fresh_scan and cursor.scan is None:
                for instance_id, version in visible_before.items():
                    assert stored.get(instance_id, -1) >= version, f"missed {instance_id}"
            feed.tick(5)
        elif kind == "wait":
            feed.tick(n)
    assert stored == {r.instance_id: r.version for r in feed.rows if r.visible}


def test_a_resync_with_nothing_new_is_one_request_and_the_cursor_stays_small() -> None:
    feed = Feed()
    for i in range(1000):
        feed.rows.append(Row(i, f"uuid:{i}", T0 + timedelta(seconds=i)))
    feed.clock = T0 + timedelta(seconds=2000)
    read, cursor = pull(feed, Cursor(), 100)
    assert len(read) == 1000
    assert feed.requests == 11
    assert cursor.seen == {}
    assert len(cursor.dump()) < 200
    feed.requests = 0
    again, same = pull(feed, cursor, 100)
    assert again == []
    assert feed.requests == 1
    assert same.sub == cursor.sub


def test_rows_at_the_same_millisecond_across_pages() -> None:
    feed = Feed()
    for i in range(7):
        feed.rows.append(Row(i, f"uuid:{i}", T0 + timedelta(microseconds=i * 100)))
    feed.clock = T0 + timedelta(minutes=5)
    read, _ = pull(feed, Cursor(), 2)
    assert [r["__id"] for r in read] == [f"uuid:{i}" for i in range(7)]
    assert feed.requests == 4


def test_a_cursor_not_written_here_is_refused_clearly() -> None:
    with pytest.raises(ResponseDataError, match="sync --full"):
        Cursor.load("1234")
    assert Cursor.load(None) == Cursor()
    assert Cursor.load(Cursor().dump()) == Cursor()


def test_a_killed_pull_goes_on_with_the_same_queries() -> None:
    feed = Feed()
    for i in range(9):
        feed.rows.append(Row(i, f"uuid:{i}", T0 + timedelta(seconds=i)))
    feed.clock = T0 + timedelta(minutes=5)
    whole = Scan(Cursor(), 2)
    asked = []
    while not whole.done:
        asked.append(whole.query())
        whole.page(feed.query(*whole.query(), 2), feed.clock, now=feed.clock)
    cursor = Cursor()
    resumed = []
    clock = feed.clock
    while True:
        scan = Scan(Cursor.load(cursor.dump()), 2)
        resumed.append(scan.query())
        scan.page(feed.query(*scan.query(), 2), clock, now=clock)
        clock += timedelta(hours=1)  # taken up later: the first pull's clock still counts
        cursor = scan.cursor
        if scan.done:
            break
    assert resumed == asked
    assert cursor == whole.cursor
