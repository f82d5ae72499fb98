"""A page is written with one executemany of plain tuples, and the store holds exactly what
it held when each row went through SQLAlchemy as a dict (the old write path, kept here)."""

from __future__ import annotations

import json
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
    cursors,
    responses_table,
    sync_runs,
)
from coprod_connectors.synthetic import demo_responses


class ReferenceStore(Store):
    """The store with the write path of commit e51a76c: a dict per row through SQLAlchemy."""

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
                raw = json.dumps(record.raw, sort_keys=True, ensure_ascii=False)
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
            "SELECT typeof(deleted), typeof(seen_run) FROM responses"
            if store.engine.dialect.name == "sqlite"
            else "SELECT pg_typeof(deleted)::text, pg_typeof(seen_run)::text FROM responses"
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


def test_the_raw_text_is_what_json_dumps_writes() -> None:
    from coprod_connectors.store import _raw_json

    record = {"b": [1, 2.5, None, True], "a": {"z": "\u00e9\u2028", "y": float("inf")}}
    assert _raw_json(record) == json.dumps(record, sort_keys=True, ensure_ascii=False)


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
