"""The sync store's schema, as frozen, named steps; and how a store is recognised.

Each step is a function that writes its own DDL with table definitions that
belong to the step alone (its own ``MetaData``), never the live tables in
:mod:`coprod_connectors.store`: a column added to the code later must come
with a new step, and a database created today upgrades through the same steps
as one created a year ago. ``tests/test_store_migrations.py`` checks that a
database made at every earlier step upgrades to exactly the schema of a new one,
and that the last step gives the schema the code uses, on SQLite and PostgreSQL.

Why a plain list and not Alembic: the store has one short list of steps and two
databases, and every command opens it, so it must migrate itself, quickly and
without a separate tool or configuration (Alembic's ``env.py``, a script
folder shipped as package data, revision ids). The steps use SQLAlchemy's DDL
constructs (``Table``, ``Index``), so each database gets the dialect's own
types, as before; what Alembic would add (autogenerate, downgrades, branches)
this project does not need. The list is append-only, as in sqlite-utils' and
llm's migrations: released steps are never edited, reordered or removed.

Which steps ran is recorded in the ``migrations`` table, each step with its
record in ONE transaction (DDL is transactional on SQLite and PostgreSQL), so a
process killed mid-upgrade leaves the store at the last whole step. On
PostgreSQL a transaction-scoped advisory lock keeps two processes from running
the same step at once; on SQLite the write transaction (``BEGIN IMMEDIATE``)
does.

A store is recognised by that table: ``migrations`` with our columns, holding
steps this version knows. A database whose tables are not ours (another
application's SQLite file, say) is refused rather than given our tables, and a
store written by a newer version (a step this one does not know) is refused
rather than misread. An empty database, or a new file, becomes a store.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime, timezone

import sqlalchemy as sa
from sqlalchemy.engine import Connection

#: Any number that is ours: the PostgreSQL advisory lock held while a step runs.
_LOCK_KEY = 0x0C0_9D0D
MIGRATIONS_TABLE = "migrations"

Step = Callable[[Connection], None]


def _migrations_table(metadata: sa.MetaData) -> sa.Table:
    """The bookkeeping table (frozen: the store is recognised by it)."""
    return sa.Table(
        MIGRATIONS_TABLE,
        metadata,
        sa.Column("name", sa.String(200), primary_key=True),
        sa.Column("applied_at", sa.String(40), nullable=False),
    )


_bookkeeping = _migrations_table(sa.MetaData())


# --- the steps (append-only; never edit one once released) ---------------------------------


def _0001_initial(conn: Connection) -> None:
    """Deployments, responses, cursors and sync runs (the schema of release 0.1.0)."""
    md = sa.MetaData()
    sa.Table(
        "deployments",
        md,
        sa.Column("key", sa.String(300), primary_key=True),
        sa.Column("platform", sa.String(50), nullable=False),
        sa.Column("profile", sa.String(100), nullable=False),
        sa.Column("remote_id", sa.String(200), nullable=False),
        sa.Column("instrument", sa.String(100), nullable=False),
        sa.Column("instrument_version", sa.String(40), nullable=False),
        sa.Column("round", sa.String(40), nullable=False),
        sa.Column("subject", sa.Text),
        sa.Column("url", sa.Text),
        sa.Column("created_at", sa.String(40), nullable=False),
        sa.Column("details", sa.Text, nullable=False),
        sa.Column("instrument_json", sa.Text, nullable=False),
    )
    responses = sa.Table(
        "responses",
        md,
        sa.Column("deployment", sa.String(300), primary_key=True),
        sa.Column("remote_id", sa.String(200), primary_key=True),
        sa.Column("instrument", sa.String(100)),
        sa.Column("round", sa.String(40)),
        sa.Column("subject", sa.Text),
        sa.Column("submitted_at", sa.String(40)),
        sa.Column("raw", sa.Text, nullable=False),
        sa.Column("response", sa.Text),
        sa.Column("deleted", sa.Boolean, nullable=False),
        sa.Column("seen_run", sa.Integer),
    )
    sa.Table(
        "cursors",
        md,
        sa.Column("deployment", sa.String(300), primary_key=True),
        sa.Column("cursor", sa.Text),
        sa.Column("updated_at", sa.String(40), nullable=False),
    )
    sa.Table(
        "sync_runs",
        md,
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("deployment", sa.String(300), nullable=False),
        sa.Column("full", sa.Boolean, nullable=False),
        sa.Column("started_at", sa.String(40), nullable=False),
        sa.Column("finished_at", sa.String(40)),
        sa.Column("outcome", sa.String(20), nullable=False),
        sa.Column("new", sa.Integer, nullable=False),
        sa.Column("updated", sa.Integer, nullable=False),
        sa.Column("deleted", sa.Integer, nullable=False),
        sa.Column("requests", sa.Integer, nullable=False),
        sa.Column("error", sa.Text),
    )
    sa.Index("responses_by_subject", responses.c.instrument, responses.c.subject)
    md.create_all(conn, checkfirst=True)


#: Append-only: never edit, reorder or remove an entry once released; add a new one.
MIGRATIONS: Sequence[tuple[str, Step]] = (("0001_initial", _0001_initial),)

#: Tables some step creates (a database holding only these is a store, perhaps half made).
OUR_TABLES = frozenset({MIGRATIONS_TABLE, "deployments", "responses", "cursors", "sync_runs"})


# --- recognising a store ---------------------------------------------------------------------


class ForeignDatabase(Exception):  # noqa: N818 - a state, reported by the store as StoreError
    """The database holds tables that are not a coprod store's."""

    def __init__(self, tables: Sequence[str]) -> None:
        super().__init__(", ".join(tables))
        self.tables = tuple(tables)


class NewerSchema(Exception):  # noqa: N818 - a state, reported by the store as StoreError
    """The store was written by a newer version: it records steps this version does not know."""

    def __init__(self, unknown: Sequence[str]) -> None:
        super().__init__(", ".join(unknown))
        self.unknown = tuple(unknown)


@dataclass(frozen=True)
class State:
    """What a database holds: the steps it records (empty for a new database)."""

    applied: tuple[str, ...]

    @property
    def pending(self) -> list[tuple[str, Step]]:
        done = set(self.applied)
        return [(name, step) for name, step in MIGRATIONS if name not in done]


def inspect_state(conn: Connection) -> State:
    """The store's state, or :class:`ForeignDatabase` / :class:`NewerSchema` if not ours."""
    inspector = sa.inspect(conn)
    tables = sorted([*inspector.get_table_names(), *inspector.get_view_names()])
    if MIGRATIONS_TABLE not in tables:
        if tables:
            raise ForeignDatabase(tables)
        return State(())
    columns = {c["name"] for c in inspector.get_columns(MIGRATIONS_TABLE)}
    if not {"name", "applied_at"} <= columns:
        raise ForeignDatabase(tables)
    applied = tuple(
        str(r[0])
        for r in conn.execute(sa.select(_bookkeeping.c.name).order_by(_bookkeeping.c.name))
    )
    known = {name for name, _ in MIGRATIONS}
    if not applied and not set(tables) <= OUR_TABLES:
        raise ForeignDatabase([t for t in tables if t not in OUR_TABLES])
    unknown = [name for name in applied if name not in known]
    if unknown:
        raise NewerSchema(unknown)
    return State(applied)


def upgrade(
    connect: Callable[[], AbstractContextManager[Connection]],
    begin: Callable[[], AbstractContextManager[Connection]],
    *,
    until: str | None = None,
) -> list[str]:
    """Apply the steps not yet recorded (up to and including ``until``), each in a write
    transaction opened by ``begin``; returns the names applied. A store with nothing to
    apply is only read (through ``connect``), so a read-only store that is up to date opens.
    Raises :class:`ForeignDatabase` or :class:`NewerSchema` for a database that is not a
    store this version can use."""
    steps = _steps_until(until)
    with connect() as conn:
        state = inspect_state(conn)
    if state.applied and not [s for s in state.pending if s in steps]:
        return []
    applied: list[str] = []
    with begin() as conn:
        _lock(conn)
        inspect_state(conn)
        _bookkeeping.create(conn, checkfirst=True)
    for name, step in steps:
        with begin() as conn:
            _lock(conn)
            if name in inspect_state(conn).applied:
                continue
            step(conn)
            conn.execute(_bookkeeping.insert().values(name=name, applied_at=_now()))
            applied.append(name)
    return applied


def _steps_until(until: str | None) -> list[tuple[str, Step]]:
    names = [name for name, _ in MIGRATIONS]
    if until is None:
        return list(MIGRATIONS)
    if until not in names:
        msg = f"no migration step named {until!r}"
        raise ValueError(msg)
    return list(MIGRATIONS[: names.index(until) + 1])


def _lock(conn: Connection) -> None:
    if conn.dialect.name == "postgresql":
        conn.execute(sa.select(sa.func.pg_advisory_xact_lock(_LOCK_KEY)))


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


__all__ = [
    "MIGRATIONS",
    "OUR_TABLES",
    "ForeignDatabase",
    "NewerSchema",
    "State",
    "inspect_state",
    "upgrade",
]
