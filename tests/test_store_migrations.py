"""The store's frozen migrations, on SQLite and PostgreSQL, and the databases it refuses.

- a database made at every earlier step (none at all, then each step in turn)
  upgrades to exactly the schema the code's tables describe: tables, columns,
  types, nullability, defaults, keys, indexes and constraints, compared through
  SQLAlchemy's inspection (and, on SQLite, the CREATE statements themselves);
- a store written by a newer version, another application's database, and a
  database that cannot be written are refused with one clear line, and what
  was refused is left exactly as it was;
- a PostgreSQL server that never answers fails within the connect timeout.
"""

from __future__ import annotations

import socket
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

import coprod_connectors.store as store_module
from coprod_connectors.errors import NotAStoreError, StoreError
from coprod_connectors.instruments import builtin_instrument
from coprod_connectors.store import MIGRATIONS, Store, metadata
from coprod_connectors.store.migrations import upgrade

STEPS = [name for name, _ in MIGRATIONS]


def schema(engine: sa.Engine) -> dict[str, Any]:
    """Everything inspection says about the database's tables, in a comparable form."""
    found: dict[str, Any] = {}
    with engine.connect() as conn:
        inspector = sa.inspect(conn)
        for table in sorted(inspector.get_table_names()):
            columns = [
                {
                    "name": c["name"],
                    "type": str(c["type"].compile(dialect=engine.dialect)),
                    "nullable": c["nullable"],
                    "default": c.get("default"),
                    "autoincrement": c.get("autoincrement"),
                }
                for c in inspector.get_columns(table)
            ]
            found[table] = {
                "columns": columns,
                "primary key": inspector.get_pk_constraint(table),
                "indexes": sorted(inspector.get_indexes(table), key=lambda i: str(i["name"])),
                "unique": sorted(
                    inspector.get_unique_constraints(table), key=lambda u: str(u["name"])
                ),
                "foreign keys": inspector.get_foreign_keys(table),
                "checks": sorted(
                    inspector.get_check_constraints(table), key=lambda c: str(c["name"])
                ),
            }
        if engine.dialect.name == "sqlite":
            rows = conn.exec_driver_sql(
                "SELECT type, name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' "
                "ORDER BY type, name"
            )
            found["sqlite_master"] = [tuple(r) for r in rows]
    return found


def _engine(url: str) -> sa.Engine:
    return sa.create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))


def _empty(engine: sa.Engine) -> None:
    found = sa.MetaData()
    found.reflect(engine)
    found.drop_all(engine)


def _at_step(url: str, count: int) -> sa.Engine:
    """A database holding the first ``count`` steps (none: an empty database)."""
    engine = sa.create_engine(store_module.resolve_url(url))
    if count:
        applied = upgrade(engine.connect, engine.begin, until=STEPS[count - 1])
        assert applied == STEPS[:count]
    return engine


@pytest.mark.parametrize("count", range(len(STEPS) + 1), ids=lambda n: f"after-{n}-steps")
def test_every_earlier_step_upgrades_to_the_schema_of_the_code(store_url: str, count: int) -> None:
    engine = _at_step(store_url, count)
    with Store(store_url) as store:
        assert store.applied_migrations() == STEPS
        assert store.migrate() == []
    upgraded = schema(engine)
    assert set(upgraded) >= {"migrations", "deployments", "responses", "cursors", "sync_runs"}
    # the same database made from the tables the code reads and writes
    _empty(engine)
    metadata.create_all(engine)
    assert schema(engine) == upgraded
    engine.dispose()


def test_a_store_keeps_its_data_through_an_upgrade(store_url: str) -> None:
    engine = _at_step(store_url, len(STEPS))
    with Store(store_url) as store:
        store.import_responses(*_one_import())
        before = store.snapshot()
    with Store(store_url) as store:
        assert store.snapshot() == before
    engine.dispose()


def _one_import() -> tuple[Any, Any, list[Any]]:
    from datetime import datetime, timezone

    from coprod_connectors import Deployment
    from coprod_connectors.responses import build_response

    instrument = builtin_instrument("ladder-check")
    when = datetime(2026, 3, 1, tzinfo=timezone.utc)
    deployment = Deployment(
        platform="file",
        profile="file",
        remote_id="x.csv",
        instrument=instrument.id,
        instrument_version=instrument.version,
        round="2026-H1",
        created_at=when,
    )
    response = build_response(
        instrument,
        {"role": "user"},
        response_id="r1",
        submitted_at=when,
        round="2026-H1",
        platform="file",
    )
    return deployment, instrument, [response]


def test_a_store_from_a_newer_version_is_refused(store_url: str) -> None:
    Store(store_url).close()
    engine = sa.create_engine(store_module.resolve_url(store_url))
    with engine.begin() as conn:
        conn.exec_driver_sql(
            "INSERT INTO migrations (name, applied_at) VALUES ('9999_from_the_future', 'x')"
        )
    before = schema(engine)
    with pytest.raises(StoreError) as caught:
        Store(store_url)
    message = str(caught.value)
    assert "was written by a newer coprod-connectors" in message
    assert "9999_from_the_future" in message
    assert "upgrade coprod-connectors" in message
    assert "\n" not in message
    assert caught.value.exit_code == 1
    assert schema(engine) == before
    engine.dispose()


@pytest.mark.parametrize(
    "tables",
    [
        ("CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT)",),
        # a table named like ours, with other columns (Laravel and Rails keep one)
        ("CREATE TABLE migrations (id INTEGER PRIMARY KEY, migration TEXT, batch INTEGER)",),
        # our bookkeeping table, empty, beside someone else's table
        (
            "CREATE TABLE migrations (name VARCHAR(200) PRIMARY KEY, applied_at VARCHAR(40))",
            "CREATE TABLE invoices (id INTEGER PRIMARY KEY)",
        ),
        ("CREATE VIEW answers AS SELECT 42 AS answer",),
    ],
    ids=["other-tables", "other-migrations-table", "empty-bookkeeping-and-other-tables", "a-view"],
)
def test_another_applications_database_is_refused_and_left_alone(
    store_url: str, tables: tuple[str, ...]
) -> None:
    engine = sa.create_engine(store_module.resolve_url(store_url))
    with engine.begin() as conn:
        for statement in tables:
            conn.exec_driver_sql(statement)
    before = schema(engine)
    path = _sqlite_path(store_url)
    content = path.read_bytes() if path else b""
    with pytest.raises(NotAStoreError) as caught:
        Store(store_url)
    message = str(caught.value)
    assert "is not a coprod store: it holds other tables" in message
    assert "\n" not in message
    assert caught.value.exit_code == 2
    assert schema(engine) == before
    if path is not None:
        assert path.read_bytes() == content  # not even the journal mode changed
    engine.dispose()


def _sqlite_path(url: str) -> Path | None:
    if not url.startswith("sqlite"):
        return None
    database = sa.engine.make_url(url).database
    return Path(database) if database else None


def test_an_empty_file_or_a_half_made_store_becomes_a_store(tmp_path: Path) -> None:
    empty = tmp_path / "empty.db"
    empty.touch()
    with Store(str(empty)) as store:
        assert store.applied_migrations() == STEPS
    # killed after the bookkeeping table was made, before the first step was recorded
    half = tmp_path / "half.db"
    with closing(sqlite3.connect(half)) as db:
        db.execute("CREATE TABLE migrations (name VARCHAR(200) PRIMARY KEY, applied_at TEXT)")
    with Store(str(half)) as store:
        assert store.applied_migrations() == STEPS


def test_a_read_only_store_reads_and_refuses_writes_clearly(tmp_path: Path) -> None:
    path = tmp_path / "coprod.db"
    with Store(str(path)) as store:
        store.import_responses(*_one_import())
    read_only = f"sqlite:///file:{path}?mode=ro&uri=true"
    with Store(read_only) as store:
        assert store.count_responses() == 1
        with pytest.raises(StoreError) as caught:
            store.import_responses(*_one_import())
    message = str(caught.value)
    assert "is read-only" in message
    assert "\n" not in message
    # a read-only database that still needs its tables
    blank = tmp_path / "blank.db"
    blank.touch()
    with pytest.raises(StoreError, match="is read-only"):
        Store(f"sqlite:///file:{blank}?mode=ro&uri=true")


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A TCP port that accepts connections and never says a word."""
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(8)
        yield server.getsockname()[1]


def test_a_postgresql_server_that_never_answers_fails_within_the_connect_timeout(
    silent_port: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("psycopg")
    monkeypatch.setattr(store_module, "CONNECT_TIMEOUT", 2)
    outcome: list[BaseException] = []

    def open_store() -> None:
        try:
            Store(f"postgresql://coprod:hunter2@127.0.0.1:{silent_port}/coprod").close()
        except BaseException as exc:  # noqa: BLE001 - handed to the test thread
            outcome.append(exc)

    thread = threading.Thread(target=open_store, daemon=True)
    thread.start()
    thread.join(60)  # a bound on a hang, not a timing: without the timeout it waits for ever
    assert not thread.is_alive(), "opening the store did not give up"
    assert len(outcome) == 1
    assert isinstance(outcome[0], StoreError), outcome[0]
    assert "cannot open the store" in str(outcome[0])
    assert "hunter2" not in str(outcome[0])


def test_an_in_memory_store_is_recognised() -> None:
    for url in (":memory:", "sqlite://", "sqlite:///:memory:", "sqlite:///file:x?mode=memory"):
        assert store_module.is_in_memory(url), url
    for url in ("coprod.db", "sqlite:///coprod.db", "postgresql://u@h/db"):
        assert not store_module.is_in_memory(url), url
