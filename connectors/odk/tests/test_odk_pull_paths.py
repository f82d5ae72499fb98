"""A pull's quick paths give exactly what the plain ones give, on submissions with odd values.

- :class:`~coprod_odk.connector._PullReader` (what a pull turns each submission
  into) against :meth:`OdkCentralConnector.record` (the plain path, still what
  the connector's ``record`` does): the same record, byte for byte, or the same
  error;
- the cursor's :meth:`Scan.page` (its loop written out for JSON rows, one date
  parse a row) against the loop it replaced, kept here unchanged as the
  reference: the same rows read, the same cursor, or the same error.

The submissions are the fake Central's OData rows (the shapes recorded from a
real Central) with values, ``__id`` and ``__system`` fields changed into odd ones.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping
from datetime import datetime, timedelta, timezone
from typing import Any

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from coprod_connectors import (
    LANGUAGE_FIELD,
    Deployment,
    Instrument,
    builtin_instrument,
    by_code,
)
from coprod_connectors.synthetic import random_answers
from coprod_odk import OdkCentralConnector
from coprod_odk.answers import answer_name, answers_from_row, is_code
from coprod_odk.connector import _PullReader
from coprod_odk.cursor import (
    SETTLE,
    Cursor,
    Scan,
    ScanState,
    Seen,
    _at_or_after,
    _ms,
    _since,
    files_incomplete,
    odata_time,
    parse_time,
    row_dates,
)
from coprod_testkit.odk_fake import odata_row

INSTRUMENTS = {i: builtin_instrument(i) for i in ("self-reflection", "checklist", "ladder-check")}
ODD_VALUES = [
    None,
    "",
    "   ",
    " staff ",
    "staff",
    "1",
    "no such choice",
    "a b  c",
    "2026-02-30",
    "2026-05-12T10:00:00",
    0,
    7,
    -3,
    10**30,
    2.0,
    2.5,
    float("nan"),
    True,
    False,
    [],
    ["x"],
    [{"x": "1"}],
    [{"actWhat": " y ", "__id": "z"}, "not an object"],
    {},
    {"inner": "v", "role": "mgr"},
    "\x00\u202e ctl",
]
DATES = [
    "2026-11-01T00:00:01.001Z",
    "2026-11-01T00:00:01.001234Z",
    "2026-11-01T05:30:01.001+05:30",
    "2026-11-01T00:00:01.001-00:00",
    "2026-11-01T00:00:01Z",
    "2026-11-01",
    "9999-12-31T23:59:59.999Z",
    "0001-01-01T00:00:00.000+01:00",
    "not a date",
    "",
    None,
    5,
]
KEYS = ["role", "subject", "actions", "zzUnknown", "not_a_code", "__x", "a@b", "meta", "level"]


def _deployment(instrument: Instrument, versions: dict[str, str]) -> Deployment:
    return Deployment(
        platform="odk",
        profile="central",
        remote_id=f"1/{instrument.id}-2026-H2",
        instrument=instrument.id,
        instrument_version=instrument.version,
        round="2026-H2",
        subject=None,
        created_at=datetime(2026, 11, 1, tzinfo=timezone.utc),
        details={"project_id": 1, "form_id": f"{instrument.id}-2026-H2", "versions": versions},
    )


def _paths(node: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every place in a row a value can be changed (not ``__system``, done on its own)."""
    found: list[tuple[Any, ...]] = []
    if isinstance(node, dict):
        for key, value in node.items():
            if key != "__system":
                found.append((*path, key))
                found.extend(_paths(value, (*path, key)))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found.extend(_paths(value, (*path, index)))
    return found


def _set(row: dict[str, Any], path: tuple[Any, ...], value: Any) -> None:
    node: Any = row
    for step in path[:-1]:
        node = node[step]
    node[path[-1]] = value


@st.composite
def submissions(draw: st.DrawFn) -> tuple[Instrument, dict[str, Any]]:
    instrument = INSTRUMENTS[draw(st.sampled_from(sorted(INSTRUMENTS)))]
    seed = draw(st.integers(0, 10**6))
    instance = f"uuid:{seed:08d}-0000-4000-8000-000000000000"
    system = {
        "submissionDate": draw(st.sampled_from(DATES)),
        "updatedAt": draw(st.sampled_from([None, *DATES[:3]])),
        "attachmentsPresent": 0,
        "attachmentsExpected": 0,
        "reviewState": draw(st.sampled_from([None, "rejected", "approved", "hasIssues", "", 3])),
        "formVersion": draw(
            st.sampled_from([instrument.version, "0.9.0", "9.9.9", "", None, 3, "Version"])
        ),
    }
    row = odata_row(instrument, random_answers(instrument, seed, media=False), system, instance)
    places = _paths(row)
    for _ in range(draw(st.integers(0, 6))):
        path = draw(st.sampled_from(places))
        try:
            _set(row, path, copy.deepcopy(draw(st.sampled_from(ODD_VALUES))))
        except (KeyError, IndexError, TypeError):  # a place an earlier change took away
            continue
    for _ in range(draw(st.integers(0, 2))):  # keys the form does not have, anywhere
        groups = [p for p in places if isinstance(row.get(p[0]), dict) and len(p) == 1]
        target = row[draw(st.sampled_from(groups))[0]] if groups and draw(st.booleans()) else row
        if isinstance(target, dict):
            target[draw(st.sampled_from(KEYS))] = copy.deepcopy(draw(st.sampled_from(ODD_VALUES)))
    if draw(st.booleans()):
        row[LANGUAGE_FIELD] = draw(st.sampled_from(["cy", " en ", "fr", 3, None]))
    shape = draw(st.sampled_from(["as is", "no system", "system not an object", "odd id"]))
    if shape == "no system":
        del row["__system"]
    elif shape == "system not an object":
        row["__system"] = draw(st.sampled_from([None, "x", [system], 3]))
    elif shape == "odd id":
        row["__id"] = draw(st.sampled_from([None, 3, "no-prefix", "uuid:", ""]))
    return instrument, row


def _outcome(make: Any) -> Any:
    try:
        record = make()
    except Exception as exc:  # noqa: BLE001 - the same error either way
        return ("error", type(exc).__name__, str(exc))
    response = record.response
    if response is not None and any(f.code == "submitted_at" for f in response.flags):
        # an unreadable date: the time the record was read stands in for it
        response = response.model_copy(update={"submitted_at": None})
    return (
        record.remote_response_id,
        record.raw is not None,
        None if response is None else response.model_dump_json(),
        response,
    )


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(submissions(), st.sampled_from(["known", "also older", "odd keys"]), st.booleans())
def test_the_pull_reader_makes_the_records_the_connector_makes(
    submission: tuple[Instrument, dict[str, Any]], versions: str, fresh: bool
) -> None:
    instrument, row = submission
    if fresh:  # a plan of its own, that has learnt nothing of earlier submissions' keys
        instrument = instrument.model_copy()
    known = {instrument.version: instrument.version}
    if versions == "also older":
        known["0.9.0"] = "0.9.0"
    elif versions == "odd keys":
        known.update({"": "0.1.0", "Version": instrument.version})
    deployment = _deployment(instrument, known)
    connector = OdkCentralConnector()
    plain = _outcome(lambda: connector.record(deployment, instrument, json.loads(json.dumps(row))))
    quick = _outcome(
        lambda: _PullReader(connector, deployment, instrument).record(json.loads(json.dumps(row)))
    )
    assert quick == plain


def _plain_collect(node: Mapping[str, Any], answers: dict[str, Any]) -> None:
    """``answers_from_row``'s walk as it was (commit 05e2027), every key's kind asked anew."""
    for key, value in node.items():
        skipped = key in {"meta", "__system", "__id"} or key.startswith("__") or "@" in key
        kind = 0 if skipped else 1 if is_code(key) else 2
        if not kind:
            continue
        if type(value) is dict:
            _plain_collect(value, answers)
        elif type(value) is list:
            if kind == 1:
                items = []
                for item in value:
                    if type(item) is dict:
                        inner: dict[str, Any] = {}
                        _plain_collect(item, inner)
                        items.append(inner)
                answers[key] = items
        elif kind == 1 and key not in answers:
            answers[key] = value


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(submissions())
def test_the_answers_are_collected_as_before(submission: tuple[Instrument, dict[str, Any]]) -> None:
    _, row = submission
    before: dict[str, Any] = {}
    _plain_collect(row, before)
    after = answers_from_row(row)
    assert after == before
    assert json.dumps(after) == json.dumps(before)  # the same order too


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(submissions())
def test_the_cores_nested_by_code_collects_the_answers_as_before(
    submission: tuple[Instrument, dict[str, Any]],
) -> None:
    """What the pull reader's one walk is checked against in the core (``by_code`` with
    ``nested``) is the connector's own collecting, with ``answer_name``."""
    _, row = submission
    before: dict[str, Any] = {}
    _plain_collect(row, before)
    after = by_code(row, answer_name, nested=True)
    assert after == before
    assert json.dumps(after) == json.dumps(before)  # the same order too


def test_the_pull_reader_on_the_fake_centrals_submissions() -> None:
    from coprod_testkit.odk_fake import FakeCentral

    fake = FakeCentral(300, instrument="self-reflection")
    instrument = fake.instrument
    deployment = fake.deployment()
    connector = OdkCentralConnector()
    reader = _PullReader(connector, deployment, instrument)
    for raw in fake.rows:
        row = json.loads(raw)
        assert _outcome(lambda row=row: reader.record(row)) == _outcome(
            lambda row=row: connector.record(deployment, instrument, row)
        )


# --- the cursor: the loop Scan.page replaced, unchanged --------------------------------


class _PlainScan(Scan):
    """:class:`Scan` with its ``page`` and ``_advance`` as they were (commit 05e2027)."""

    def page(
        self, rows: list[dict[str, Any]], server_now: datetime | None, *, now: datetime
    ) -> list[dict[str, Any]]:
        if self._settled is None:
            clock = server_now or now
            self._settled = _ms(clock - SETTLE)
        fresh: list[dict[str, Any]] = []
        dates: dict[str, tuple[str, str | None]] = {}
        waiting = dict(self.cursor.waiting)
        seen = self.cursor.seen
        for row in rows:
            instance_id, submitted, updated = row_dates(row)
            before = seen.get(instance_id)
            if before is None or before.u != updated:
                fresh.append(row)
            dates[instance_id] = (submitted, updated)
            if files_incomplete(row):
                waiting[instance_id] = submitted
            else:
                waiting.pop(instance_id, None)
            if submitted == self._last:
                self._skip += 1
            else:
                self._last, self._skip = submitted, 1
        self.done = len(rows) < self.page_size
        self.cursor = self._advance(dates, waiting)
        return fresh

    def _advance(self, dates: dict[str, tuple[str, str | None]], waiting: dict[str, str]) -> Cursor:
        from coprod_odk.cursor import _EPOCH, MAX_WAITING, WAIT_DAYS, odata_time

        assert self._settled is not None
        settled = self._settled
        now = settled + SETTLE
        old_sub = parse_time(self.cursor.sub) or _EPOCH
        old_upd = parse_time(self.cursor.upd) or _EPOCH
        last = parse_time(self._last) if self._last else None
        reached = settled if self.done or last is None else min(last, settled)
        sub = max(old_sub, reached)
        upd = max(old_upd, settled)
        ahead = last if not self.done else None

        def at_or_after(value: str | None, mark: datetime) -> bool:
            when = parse_time(value)
            return when is not None and _ms(when) >= mark

        def keep(submitted: str, updated: str | None) -> bool:
            return (
                at_or_after(submitted, sub)
                or at_or_after(updated, upd)
                or (ahead is not None and at_or_after(submitted, ahead))
            )

        kept = {
            key: value
            for key, value in self.cursor.seen.items()
            if key not in dates and keep(value.s, value.u)
        }
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


CURSOR_DATES = [
    "2026-12-01T11:58:30.000Z",
    "2026-12-01T11:59:00.000Z",
    "2026-12-01T11:59:00.000500Z",
    "2026-12-01T11:59:00.001Z",
    "2026-12-01T11:59:30.123Z",
    "2026-12-01T12:59:30.123+01:00",
    "2026-12-01T11:59:30.123456-00:00",
    "2026-12-01T11:59:59.999999Z",
    "2026-12-01T12:00:00.000Z",
    "2026-11-01T00:00:00.000Z",
    "2026-12-01",
    "garbage",
    "",
]


@st.composite
def cursor_rows(draw: st.DrawFn) -> dict[str, Any]:
    system: Any = {
        "submissionDate": draw(st.sampled_from([*CURSOR_DATES, None, 3])),
        "updatedAt": draw(st.sampled_from([*CURSOR_DATES, None, 3])),
        "attachmentsPresent": draw(st.sampled_from([0, 1, 2, True, "1", None])),
        "attachmentsExpected": draw(st.sampled_from([0, 1, 2, False, "2", None])),
    }
    if draw(st.integers(0, 20)) == 0:
        system = draw(st.sampled_from([None, "x", []]))
    row: dict[str, Any] = {"__id": f"uuid:{draw(st.integers(0, 6))}", "__system": system}
    if draw(st.integers(0, 20)) == 0:
        row["__id"] = draw(st.sampled_from([None, 3]))
    return row


@st.composite
def cursors(draw: st.DrawFn) -> Cursor:
    marks = st.sampled_from([None, *CURSOR_DATES[:9]])
    seen = draw(
        st.dictionaries(
            st.sampled_from([f"uuid:{i}" for i in range(8)]),
            st.builds(
                Seen,
                s=st.sampled_from(CURSOR_DATES),
                u=st.sampled_from([None, *CURSOR_DATES]),
            ),
            max_size=5,
        )
    )
    waiting = draw(
        st.dictionaries(
            st.sampled_from([f"uuid:{i}" for i in range(8)]),
            st.sampled_from(CURSOR_DATES),
            max_size=3,
        )
    )
    scan = None
    if draw(st.booleans()):
        scan = ScanState(
            filter=draw(st.sampled_from([None, "__system/submissionDate ge x"])),
            after=draw(st.sampled_from(CURSOR_DATES[:9])),
            skip=draw(st.integers(0, 3)),
            settled=draw(st.sampled_from(CURSOR_DATES[:5])),
        )
    return Cursor(sub=draw(marks), upd=draw(marks), seen=seen, waiting=waiting, scan=scan)


def _scanned(scan: Scan, pages: list[list[dict[str, Any]]], clock: datetime | None) -> Any:
    read: list[Any] = []
    try:
        for rows in pages:
            read.append(scan.page(rows, clock, now=datetime(2026, 12, 1, 12, tzinfo=timezone.utc)))
            read.append(scan.cursor.dump())
            read.append((scan.query(), scan.done))
    except Exception as exc:  # noqa: BLE001 - the same error either way
        read.append(("error", type(exc).__name__, str(exc)))
    return read


@settings(max_examples=600, deadline=None)
@given(
    cursors(),
    st.lists(st.lists(cursor_rows(), max_size=6), min_size=1, max_size=3),
    st.integers(1, 6),
    st.sampled_from(
        [
            None,
            datetime(2026, 12, 1, 12, 0, tzinfo=timezone.utc),
            datetime(2026, 12, 1, 12, 0, 0, 500, tzinfo=timezone.utc),
            datetime(2026, 12, 1, 13, 0, 0, 123456, tzinfo=timezone(timedelta(hours=1))),
        ]
    ),
)
def test_the_cursor_reads_pages_as_the_loop_it_replaced(
    cursor: Cursor, pages: list[list[dict[str, Any]]], page_size: int, clock: datetime | None
) -> None:
    plain = _scanned(_PlainScan(cursor, page_size), json.loads(json.dumps(pages)), clock)
    quick = _scanned(Scan(cursor, page_size), json.loads(json.dumps(pages)), clock)
    assert quick == plain


@given(
    st.sampled_from([*CURSOR_DATES, None]),
    st.sampled_from([d for d in CURSOR_DATES if parse_time(d) is not None]),
    st.integers(-1500, 1500),
    st.sampled_from([timezone.utc, timezone(timedelta(hours=1))]),
    st.booleans(),
)
@settings(max_examples=1000)
@example(  # the same millisecond, after a mark between two: not at or after it once cut
    "2026-12-01T11:59:00.000500Z", "2026-12-01T11:59:00.000Z", 300, timezone.utc, False
)
@example(  # a mark in another zone, off a millisecond
    "2026-12-01T11:59:30.123456-00:00", "2026-12-01T11:59:30.123Z", 200, timezone.utc, False
)
def test_a_time_is_at_or_after_a_mark_as_when_cut_to_the_millisecond(
    value: str | None, near: str, microseconds: int, zone: timezone, on_a_millisecond: bool
) -> None:
    base = parse_time(near)
    assert base is not None
    mark = (base + timedelta(microseconds=microseconds)).astimezone(zone)
    if on_a_millisecond:
        mark = _ms(mark)
    when = parse_time(value)
    assert _at_or_after(value, mark) == (when is not None and _ms(when) >= mark)


_TIME_CHARACTERS = "0123456789-:T.Z+ zt\u0663\u00a0W"


@st.composite
def central_ish(draw: st.DrawFn) -> str:
    """A time in Central's form (``2026-12-01T11:59:30.123Z``) with a few characters changed."""
    base = draw(st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30)))  # noqa: DTZ001
    text = list(odata_time(base.replace(tzinfo=timezone.utc)).rjust(24, "0"))
    for _ in range(draw(st.integers(min_value=0, max_value=2))):
        text[draw(st.integers(min_value=0, max_value=23))] = draw(st.sampled_from(_TIME_CHARACTERS))
    return "".join(text)


@given(
    st.one_of(central_ish(), st.sampled_from([*CURSOR_DATES, None])),
    st.one_of(
        st.sampled_from([d for d in CURSOR_DATES if parse_time(d) is not None]).map(parse_time),
        st.datetimes(
            min_value=datetime(1, 1, 2),  # noqa: DTZ001
            max_value=datetime(9999, 12, 30),  # noqa: DTZ001
            timezones=st.sampled_from([timezone.utc, timezone(timedelta(hours=1))]),
        ),
    ),
    st.booleans(),
)
@settings(max_examples=2000)
@example("2026-12-01T11:59:00.000Z", datetime(999, 1, 1, tzinfo=timezone.utc), True)
# later, but sorts first: another separator, four figures of a second and no zone
@example("2026-12-01 11:59:30.000Z", datetime(2026, 12, 1, 11, 59, tzinfo=timezone.utc), True)
@example(
    "2026-12-01T11:59:00.0015", datetime(2026, 12, 1, 11, 59, 0, 1000, tzinfo=timezone.utc), True
)
def test_a_time_told_before_a_mark_unread_as_when_read(
    value: str | None, mark: datetime, on_a_millisecond: bool
) -> None:
    """``_since(mark)`` tells the values in Central's form that sort before the mark without
    reading them: the same answer as ``_at_or_after``."""
    if on_a_millisecond:
        mark = _ms(mark)
    assert _since(mark)(value) == _at_or_after(value, mark)
