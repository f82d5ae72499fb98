"""A page is written with one executemany of plain tuples, and the store holds exactly what
it held when each row went through SQLAlchemy as a dict (the old write path, kept here)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from coprod_connectors.connectors import Deployment, Page, PulledRecord
from coprod_connectors.conversion import construct
from coprod_connectors.instruments import builtin_instrument
from coprod_connectors.store import (
    PageResult,
    Store,
    _chunks,
    _raw_json,
    _response_json,
    _same_raw,
    _storable,
    cursors,
    responses_table,
    sync_runs,
)
from coprod_connectors.synthetic import demo_responses


class ReferenceStore(Store):
    """The store with the write path of commit e51a76c: a dict per row through SQLAlchemy.

    One change: the raw record's text is the store's stable form (:func:`_raw_json`), no
    longer ``json.dumps``'; that form has its own tests below."""

    def apply_page(self, deployment: str, page: Page, *, run_id: int) -> PageResult:
        new = updated = unchanged = 0
        ids = [r.remote_response_id for r in page.records]
        with self._begin() as conn:
            existing: dict[str, tuple[str, bool]] = {}
            for chunk in _chunks(ids, 500):
                rows = conn.execute(
                    sa.select(
                        responses_table.c.remote_id,
                        responses_table.c.raw,
                        responses_table.c.deleted,
                    )
                    .where(responses_table.c.deployment == deployment)
                    .where(responses_table.c.remote_id.in_(chunk))
                )
                existing.update({r[0]: (r[1], bool(r[2])) for r in rows})
            batch: list[dict[str, Any]] = []
            for record in page.records:
                raw = _raw_json(record.raw).decode()
                response = record.response
                values = {
                    "deployment": deployment,
                    "remote_id": record.remote_response_id,
                    "instrument": response.instrument if response else None,
                    "round": response.round if response else None,
                    "subject": response.subject if response else None,
                    "submitted_at": response.submitted_at.isoformat() if response else None,
                    "raw": raw,
                    "response": response.to_json() if response else None,
                    "deleted": False,
                    "seen_run": run_id,
                }
                before = existing.get(record.remote_response_id)
                if before is None:
                    new += 1
                elif before[0] != raw or before[1]:
                    updated += 1
                else:
                    unchanged += 1
                batch.append(values)
            self._upsert_many(conn, responses_table, ["deployment", "remote_id"], batch)
            self._upsert(
                conn,
                cursors,
                {"deployment": deployment},
                {"cursor": page.cursor, "updated_at": "-"},
            )
            conn.execute(
                sync_runs.update()
                .where(sync_runs.c.id == run_id)
                .values(
                    new=sync_runs.c.new + new,
                    updated=sync_runs.c.updated + updated,
                    requests=sync_runs.c.requests + page.requests,
                )
            )
        return PageResult(new, updated, unchanged)


INSTRUMENT = builtin_instrument("self-reflection")
DEPLOYMENT = Deployment.model_validate(
    {
        "platform": "memory",
        "profile": "p",
        "remote_id": "s1",
        "instrument": INSTRUMENT.id,
        "instrument_version": INSTRUMENT.version,
        "round": "2026-H1",
        "created_at": "2026-01-01T00:00:00+00:00",
    }
)
RESPONSES = demo_responses()
JSON_VALUES = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(),
        st.floats(allow_nan=False),
        st.text(max_size=6),
        st.sampled_from(["\u00e9t\u00e9", "\u2028", "<&>", "\x00", "\ud7ff", "\U0001f600"]),
    ),
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=4), inner, max_size=3)
    ),
    max_leaves=8,
)
RECORDS = st.builds(
    lambda rid, raw, n: construct(
        PulledRecord,
        {
            "remote_response_id": rid,
            "raw": raw,
            "response": None if n is None else RESPONSES[n],
        },
    ),
    st.sampled_from([str(i) for i in range(12)]),
    st.dictionaries(st.text(max_size=5), JSON_VALUES, max_size=5),
    st.one_of(st.none(), st.integers(0, len(RESPONSES) - 1)),
)
PAGES = st.lists(
    st.builds(
        lambda records, cursor: Page(records=records, cursor=cursor, requests=2),
        st.lists(RECORDS, max_size=6),
        st.one_of(st.none(), st.text(max_size=3)),
    ),
    min_size=1,
    max_size=4,
)


def _contents(store: Store) -> dict[str, Any]:
    with store.engine.connect() as conn:
        rows = conn.execute(
            sa.select(responses_table).order_by(
                responses_table.c.deployment, responses_table.c.remote_id
            )
        ).all()
        runs = conn.execute(
            sa.select(
                sync_runs.c.id, sync_runs.c.new, sync_runs.c.updated, sync_runs.c.requests
            ).order_by(sync_runs.c.id)
        ).all()
        # run ids go on across examples (PostgreSQL's sequence): compare their order
        rank = {run[0]: n for n, run in enumerate(runs)}
        rows = [(*row[:-1], rank.get(row[-1])) for row in rows]
        runs = [run[1:] for run in runs]
        cursor = conn.execute(sa.select(cursors.c.deployment, cursors.c.cursor)).all()
        raw_types = conn.exec_driver_sql(
            "SELECT typeof(deleted), typeof(seen_run), typeof(raw), typeof(response) FROM responses"
            if store.engine.dialect.name == "sqlite"
            else "SELECT pg_typeof(deleted)::text, pg_typeof(seen_run)::text,"
            " pg_typeof(raw)::text, pg_typeof(response)::text FROM responses"
        ).all()
    return {"rows": rows, "runs": runs, "cursors": cursor, "types": sorted(set(raw_types))}


@settings(
    max_examples=40,
    deadline=None,
    # each example empties the store first
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(pages=PAGES, full_again=st.booleans())
def test_a_page_is_stored_as_before(store_url: str, pages: list[Page], full_again: bool) -> None:
    results = []
    contents = []
    for kind in (Store, ReferenceStore):
        with kind(store_url) as store:
            with store.engine.begin() as conn:  # the same empty store for both
                for table in (responses_table, cursors, sync_runs):
                    conn.execute(table.delete())
            store.record_deployment(DEPLOYMENT, INSTRUMENT)
            outcome = []
            for _ in range(2 if full_again else 1):
                run = store.start_run(DEPLOYMENT.key, full=full_again)
                outcome += [store.apply_page(DEPLOYMENT.key, p, run_id=run) for p in pages]
                if full_again:
                    outcome.append(store.mark_unseen_deleted(DEPLOYMENT.key, run_id=run))
            results.append(outcome)
            contents.append(_contents(store))
    assert results[0] == results[1]
    assert contents[0] == contents[1]


def _as_json_dumps_wrote(record: Any) -> str:
    """A record's text as the store wrote it before orjson: every value stays distinct
    (true and 1, 1 and 1.0, NaN), a lone surrogate as U+FFFD."""
    return _storable(json.dumps(record, sort_keys=True, ensure_ascii=False))


ANY_VALUES = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(),
        st.integers(min_value=2**63 - 2, max_value=2**64 + 2).flatmap(
            lambda n: st.sampled_from([n, -n])
        ),
        st.floats(),
        st.text(max_size=6),
        st.sampled_from(["\ud800", "a\udfff", "\u2028", "\x00\x1f\x7f", "\U0001f600"]),
    ),
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=4), inner, max_size=3)
    ),
    max_leaves=10,
)


@settings(max_examples=400, deadline=None)
@given(record=st.dictionaries(st.text(max_size=5), ANY_VALUES, max_size=5))
def test_the_raw_text_reads_back_as_the_record(record: dict[str, Any]) -> None:
    """The stored text holds the record faithfully (only a lone surrogate becomes U+FFFD, as
    before), and it is stable: the record read back from it is written the same again."""
    text = _raw_json(record)
    assert _as_json_dumps_wrote(json.loads(text)) == _as_json_dumps_wrote(record)
    assert _raw_json(json.loads(text)) == text
    assert _raw_json(dict(reversed(record.items()))) == text
    old_text = _as_json_dumps_wrote(record)
    assert _same_raw(old_text.encode(), text)
    assert _same_raw(text, text)


def test_the_raw_text_is_compact_and_sorted() -> None:
    record = {"b": [1, 2.5, None, True, 5e-05], "a": {"z": "\u00e9\u2028", "y": "x"}}
    text = '{"a":{"y":"x","z":"\u00e9\u2028"},"b":[1,2.5,null,true,0.00005]}'
    assert _raw_json(record) == text.encode()


@pytest.mark.parametrize(
    ("record", "text"),
    [
        ({"n": float("nan"), "a": 1.5}, '{"a":1.5,"n":NaN}'),
        ({"i": [float("-inf"), float("inf")]}, '{"i":[-Infinity,Infinity]}'),
        ({"big": 2**64, "a": 1e16}, '{"a":1e+16,"big":18446744073709551616}'),
        ({"s": "x\ud800"}, '{"s":"x\ufffd"}'),
        ({"t": (1, 2)}, '{"t":[1,2]}'),
    ],
)
def test_what_orjson_cannot_write_faithfully_is_written_by_json(
    record: dict[str, Any], text: str
) -> None:
    assert _raw_json(record) == text.encode()


def test_a_record_json_cannot_write_fails_as_before() -> None:
    from datetime import datetime, timezone

    with pytest.raises(TypeError):
        _raw_json({"when": datetime(2026, 1, 1, tzinfo=timezone.utc)})


@pytest.mark.parametrize(
    ("old", "new", "same"),
    [
        ({"a": 1, "b": [None, "x"]}, {"b": [None, "x"], "a": 1}, True),
        ({"a": 5e-05, "n": float("nan")}, {"a": 5e-05, "n": float("nan")}, True),
        ({"a": 1}, {"a": 1.0}, False),
        ({"a": 1}, {"a": True}, False),
        ({"a": "x"}, {"a": "y"}, False),
        ({"a": "x\ud800", "f": 5e-05}, {"a": "x\ud800", "f": 5e-05}, True),
    ],
)
def test_a_text_of_the_old_form_is_compared_by_what_it_holds(
    old: dict[str, Any], new: dict[str, Any], same: bool
) -> None:
    assert _same_raw(_as_json_dumps_wrote(old).encode(), _raw_json(new)) is same
    assert _same_raw(b"{not json", _raw_json(new)) is False


def test_the_response_is_stored_as_to_json_writes_it() -> None:
    for response in RESPONSES:
        assert _response_json(response) == (response.to_json().encode(), response)


def _record(rid: str, raw: dict[str, Any]) -> PulledRecord:
    return construct(
        PulledRecord, {"remote_response_id": rid, "raw": raw, "response": RESPONSES[int(rid)]}
    )


def test_a_store_written_in_the_old_form_is_not_all_updated(store_url: str) -> None:
    """A store written before the raw text's form changed: a re-sync of the same records
    counts none updated (and writes them in the new form); a changed record counts once."""
    records = [
        {"_id": 0, "q": "r\u00e9ponse", "geo": [None, None], "score": 5e-05},
        {"_id": 1, "q": "x\ud800", "nan": float("nan"), "big": 2**70},
        {"_id": 2, "nested": {"b": [1, 2.5, True], "a": {}}},
    ]
    with Store(store_url) as store:
        with store.engine.begin() as conn:
            for table in (responses_table, cursors, sync_runs):
                conn.execute(table.delete())
        store.record_deployment(DEPLOYMENT, INSTRUMENT)
        run = store.start_run(DEPLOYMENT.key, full=False)
        page = Page(records=[_record(str(i), r) for i, r in enumerate(records)], cursor="c")
        assert store.apply_page(DEPLOYMENT.key, page, run_id=run) == PageResult(3, 0, 0)
        with store.engine.begin() as conn:  # as an earlier version wrote them
            for i, raw in enumerate(records):
                conn.execute(
                    responses_table.update()
                    .where(responses_table.c.remote_id == str(i))
                    .values(raw=_as_json_dumps_wrote(raw))
                )
        assert store.apply_page(DEPLOYMENT.key, page, run_id=run) == PageResult(0, 0, 3)
        stored = {r["remote_id"]: r["raw"] for r in store.snapshot()["responses"]}
        assert stored == {str(i): _raw_json(r).decode() for i, r in enumerate(records)}
        with store.engine.begin() as conn:
            conn.execute(responses_table.update().values(raw=_as_json_dumps_wrote(records[0])))
        changed = [_record("0", records[0]), _record("1", {**records[1], "q": "y"})]
        result = store.apply_page(DEPLOYMENT.key, Page(records=changed, cursor="d"), run_id=run)
        assert result == PageResult(0, 1, 1)


@pytest.mark.parametrize("size", [0, 1, 1200])
def test_one_executemany_per_page(store_url: str, size: int) -> None:
    with Store(store_url) as store:
        store.record_deployment(DEPLOYMENT, INSTRUMENT)
        run = store.start_run(DEPLOYMENT.key, full=False)
        statements: list[tuple[str, bool]] = []

        @sa.event.listens_for(store.engine, "before_cursor_execute")
        def seen(*args: Any) -> None:
            statement, executemany = args[2], args[5]
            if statement.startswith("INSERT INTO responses"):
                statements.append((statement, executemany))

        records = [
            construct(
                PulledRecord,
                {"remote_response_id": str(i), "raw": {"i": i}, "response": RESPONSES[i % 9]},
            )
            for i in range(size)
        ]
        result = store.apply_page(DEPLOYMENT.key, Page(records=records, cursor="c"), run_id=run)
        assert result.new == size
        assert len(statements) == (1 if size else 0)
        assert store.count_responses() == size


def test_a_new_sqlite_store_has_pages_of_16_kib_and_an_older_one_keeps_its_own(
    tmp_path: Path,
) -> None:
    import sqlite3

    def page_size(store: Store) -> int:
        with store.engine.connect() as conn:
            return int(conn.exec_driver_sql("PRAGMA page_size").scalar_one())

    with Store(f"sqlite:///{tmp_path / 'new.db'}") as store:
        assert page_size(store) == 16384
    older = tmp_path / "older.db"
    made = sqlite3.connect(older)  # an empty database of 4 KiB pages, as SQLite makes by default
    made.execute("PRAGMA page_size=4096")
    made.execute("VACUUM")
    made.close()
    with Store(f"sqlite:///{older}") as store:
        assert page_size(store) == 4096
        store.record_deployment(DEPLOYMENT, INSTRUMENT)
        run = store.start_run(DEPLOYMENT.key, full=False)
        page = Page(records=[_record("1", {"a": "x" * 5000})], cursor="c")
        assert store.apply_page(DEPLOYMENT.key, page, run_id=run) == PageResult(1, 0, 0)
    with Store(f"sqlite:///{older}") as store:
        assert page_size(store) == 4096
        assert store.count_responses() == 1
