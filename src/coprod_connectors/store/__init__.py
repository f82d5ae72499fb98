"""The sync store: deployments, responses, cursors and sync runs, in SQLite or PostgreSQL.

SQLite (a file) is the default; any ``postgresql+psycopg://`` URL works too.
The schema is built by frozen, append-only, named steps recorded in
``migrations``, each applied in its own transaction (:mod:`.migrations`); a
database that is not a store, or a store from a newer version, is refused.

What keeps a sync safe:

- a page of responses and the cursor after it are written in ONE transaction
  (:meth:`Store.apply_page`), so a sync killed at any point resumes from the
  last whole page and never loses or repeats a response;
- responses are upserted by (deployment, platform response id), so re-running
  never duplicates;
- a full pull marks every response it saw with the run's id; when it finishes,
  stored responses it did not see are marked deleted (never removed).

Nothing secret is written here: profiles keep secrets in the environment or
the keyring, and deployments store only ids and URLs.
"""

from __future__ import annotations

import functools
import json
import math
import os
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, cast

import orjson
import sqlalchemy as sa
from pydantic_core import PydanticSerializationError
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError, OperationalError, SQLAlchemyError

from coprod_connectors.connectors import Deployment, Page
from coprod_connectors.errors import NotAStoreError, StoreError
from coprod_connectors.instruments.model import Instrument
from coprod_connectors.responses import Reread, Response
from coprod_connectors.store.migrations import (
    MIGRATIONS,
    ForeignDatabase,
    NewerSchema,
    upgrade,
)

STORE_ENV = "COPROD_STORE_URL"
DEFAULT_STORE = "coprod.db"
#: Seconds to wait for a PostgreSQL server to accept the connection (unless the URL says).
CONNECT_TIMEOUT = 10

metadata = sa.MetaData()

migrations_table = sa.Table(
    "migrations",
    metadata,
    sa.Column("name", sa.String(200), primary_key=True),
    sa.Column("applied_at", sa.String(40), nullable=False),
)
deployments = sa.Table(
    "deployments",
    metadata,
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
responses_table = sa.Table(
    "responses",
    metadata,
    sa.Column("deployment", sa.String(300), primary_key=True),
    sa.Column("remote_id", sa.String(200), primary_key=True),
    sa.Column("instrument", sa.String(100)),
    sa.Column("round", sa.String(40)),
    sa.Column("subject", sa.Text),
    sa.Column("submitted_at", sa.String(40)),
    sa.Column("raw", sa.Text, nullable=False),
    sa.Column("response", sa.Text),
    sa.Column("deleted", sa.Boolean, nullable=False, default=False),
    sa.Column("seen_run", sa.Integer),
)
cursors = sa.Table(
    "cursors",
    metadata,
    sa.Column("deployment", sa.String(300), primary_key=True),
    sa.Column("cursor", sa.Text),
    sa.Column("updated_at", sa.String(40), nullable=False),
)
sync_runs = sa.Table(
    "sync_runs",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("deployment", sa.String(300), nullable=False),
    sa.Column("full", sa.Boolean, nullable=False),
    sa.Column("started_at", sa.String(40), nullable=False),
    sa.Column("finished_at", sa.String(40)),
    sa.Column("outcome", sa.String(20), nullable=False),
    sa.Column("new", sa.Integer, nullable=False, default=0),
    sa.Column("updated", sa.Integer, nullable=False, default=0),
    sa.Column("deleted", sa.Integer, nullable=False, default=0),
    sa.Column("requests", sa.Integer, nullable=False, default=0),
    sa.Column("error", sa.Text),
)
sa.Index("responses_by_subject", responses_table.c.instrument, responses_table.c.subject)
# These tables are what the code reads and writes; the schema itself is made by the frozen
# steps in .migrations (a test checks that their last step gives exactly these tables).


def now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def resolve_url(url: str | None) -> str:
    """The store URL: the argument, then ``$COPROD_STORE_URL``, then ``coprod.db`` here."""
    url = url or os.environ.get(STORE_ENV) or DEFAULT_STORE
    if "://" not in url:
        return f"sqlite:///{Path(url).expanduser()}"
    if url.startswith(("postgresql://", "postgres://")):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


def is_in_memory(url: str) -> bool:
    """Whether ``url`` is a SQLite database that lives only as long as the process."""
    resolved = resolve_url(url)
    if not resolved.startswith("sqlite"):
        return False
    try:
        parsed = sa.engine.make_url(resolved)
    except sa.exc.ArgumentError:
        return False
    database = parsed.database or ""
    return (
        database in {"", ":memory:"}
        or database.startswith("file::memory:")
        or parsed.query.get("mode") == "memory"
    )


def _sqlite_file(url: sa.engine.URL) -> Path | None:
    """The file of a SQLite URL (a plain path or a ``file:`` URI), None if it has none."""
    database = url.database or ""
    if url.query.get("uri") == "true" and database.startswith("file:"):
        database = database.removeprefix("file:").split("?", 1)[0]
    if database in {"", ":memory:"} or database.startswith(":memory:"):
        return None
    return Path(database).expanduser()


def safe_url(url: str) -> str:
    """The URL with any password hidden, for messages."""
    try:
        return sa.engine.make_url(url).render_as_string(hide_password=True)
    except sa.exc.ArgumentError:
        return "<invalid store URL>"


@dataclass(frozen=True)
class PageResult:
    """What one page changed."""

    new: int
    updated: int
    unchanged: int


@dataclass(frozen=True)
class StoredRun:
    deployment: str
    full: bool
    started_at: str
    finished_at: str | None
    outcome: str
    new: int
    updated: int
    deleted: int
    requests: int
    error: str | None


class Store:
    """A sync store at ``url`` (a SQLite path or any SQLAlchemy URL)."""

    def __init__(self, url: str | None = None, *, engine: Engine | None = None) -> None:
        self.url = resolve_url(url)
        #: rows :meth:`responses` left out because they no longer read as a response
        self.damaged: list[tuple[str, str]] = []
        try:
            self.engine = engine or _make_engine(self.url)
        except SQLAlchemyError as exc:
            raise _store_error(exc, self.url) from exc
        try:
            self.migrate()
        except BaseException as exc:
            self.engine.dispose()  # a refused store leaves no connection behind
            if isinstance(exc, SQLAlchemyError):
                raise _store_error(exc, self.url) from exc
            raise

    # -- lifecycle --------------------------------------------------------------

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def folder(self) -> Path:
        """Where files that belong with the store go: beside a SQLite file, else here."""
        if self.engine.dialect.name == "sqlite":
            path = _sqlite_file(self.engine.url)
            if path is not None:
                return path.resolve().parent
        return Path.cwd()

    def migrate(self) -> list[str]:
        """Apply the migrations not yet recorded, each in its own transaction.

        Refuses, with a :class:`StoreError`, a database whose tables are not a store's and
        a store written by a newer version of coprod-connectors."""
        where = safe_url(self.url)
        try:
            applied = upgrade(self.engine.connect, self._begin)
        except ForeignDatabase as exc:
            shown = ", ".join(exc.tables[:5]) + (", ..." if len(exc.tables) > 5 else "")
            msg = f"{where} is not a coprod store: it holds other tables ({shown})"
            raise NotAStoreError(
                msg,
                hint="give --store a new file, or an empty database or schema; nothing was changed",
            ) from None
        except NewerSchema as exc:
            msg = (
                f"the store at {where} was written by a newer coprod-connectors "
                f"(schema step {exc.unknown[-1]} is unknown to version {_version()})"
            )
            raise StoreError(msg, hint="upgrade coprod-connectors to use it") from None
        if self.engine.dialect.name == "sqlite":
            # only now that the file is known to be a store: WAL stays set in the file
            raw = self.engine.raw_connection()  # outside any transaction, as SQLite needs
            try:
                cursor = raw.cursor()
                if cursor.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
                    cursor.execute("PRAGMA journal_mode=WAL")
                cursor.close()
            finally:
                raw.close()
        return applied

    def applied_migrations(self) -> list[str]:
        with self.engine.connect() as conn:
            rows = conn.execute(sa.select(migrations_table.c.name).order_by("name"))
            return [r[0] for r in rows]

    # -- deployments ------------------------------------------------------------

    def record_deployment(self, deployment: Deployment, instrument: Instrument) -> None:
        """Insert or update a deployment and the instrument version it runs."""
        values = {
            "platform": deployment.platform,
            "profile": deployment.profile,
            "remote_id": deployment.remote_id,
            "instrument": deployment.instrument,
            "instrument_version": deployment.instrument_version,
            "round": deployment.round,
            "subject": deployment.subject,
            "url": deployment.url,
            "created_at": deployment.created_at.isoformat(),
            "details": json.dumps(deployment.details, sort_keys=True),
            "instrument_json": instrument.model_dump_json(by_alias=True, exclude_none=True),
        }
        with self._begin() as conn:
            self._upsert(conn, deployments, {"key": deployment.key}, values)

    def deployments(
        self, *, profile: str | None = None, platform: str | None = None
    ) -> list[Deployment]:
        query = sa.select(deployments).order_by(deployments.c.key)
        if profile:
            query = query.where(deployments.c.profile == profile)
        if platform:
            query = query.where(deployments.c.platform == platform)
        with self.engine.connect() as conn:
            return [_deployment(row) for row in conn.execute(query).mappings()]

    def deployment(self, key: str) -> Deployment | None:
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(deployments).where(deployments.c.key == key)).mappings()
            first = row.first()
        return None if first is None else _deployment(first)

    def find_deployment(
        self,
        *,
        profile: str,
        instrument: str,
        round: str,  # noqa: A002
        instrument_version: str | None = None,
    ) -> Deployment | None:
        """The latest deployment of ``instrument`` for this profile and round.

        With ``instrument_version``, only a deployment of that version. Without it,
        the connector decides what a new version means: a platform may redeploy the
        same form, or make a new one where a live form cannot change.
        """
        query = (
            sa.select(deployments)
            .where(deployments.c.profile == profile)
            .where(deployments.c.instrument == instrument)
            .where(deployments.c.round == round)
            .order_by(deployments.c.created_at.desc(), deployments.c.key.desc())
        )
        if instrument_version is not None:
            query = query.where(deployments.c.instrument_version == instrument_version)
        with self.engine.connect() as conn:
            first = conn.execute(query).mappings().first()
        return None if first is None else _deployment(first)

    def instrument_for(self, key: str) -> Instrument:
        """The instrument version a deployment was pushed with."""
        with self.engine.connect() as conn:
            text = conn.execute(
                sa.select(deployments.c.instrument_json).where(deployments.c.key == key)
            ).scalar_one_or_none()
        if text is None:
            msg = f"no deployment {key!r} in the store"
            raise StoreError(msg, hint="run coprod status to list the deployments")
        try:
            return Instrument.model_validate_json(text)
        except ValueError:
            msg = f"the store's copy of the instrument of {key!r} is damaged"
            raise StoreError(msg, hint="push the instrument again to record it") from None

    # -- sync -------------------------------------------------------------------

    def cursor(self, deployment: str) -> str | None:
        with self.engine.connect() as conn:
            return conn.execute(
                sa.select(cursors.c.cursor).where(cursors.c.deployment == deployment)
            ).scalar_one_or_none()

    def start_run(self, deployment: str, *, full: bool) -> int:
        with self._begin() as conn:
            result = conn.execute(
                sync_runs.insert().values(
                    deployment=deployment,
                    full=full,
                    started_at=now(),
                    outcome="running",
                    new=0,
                    updated=0,
                    deleted=0,
                    requests=0,
                )
            )
            key = result.inserted_primary_key
            assert key is not None
            return int(key[0])

    def apply_page(self, deployment: str, page: Page, *, run_id: int) -> PageResult:
        """Upsert a page of records and move the cursor, in one transaction."""
        new = updated = unchanged = 0
        ids = [r.remote_response_id for r in page.records]
        with self._begin() as conn:
            existing = self._stored(conn, deployment, ids)
            batch: list[tuple[Any, ...]] = []
            append = batch.append
            for record in page.records:
                remote_id = record.remote_response_id
                raw = _raw_json(record.raw)
                response = record.response
                if response is None:
                    append(
                        (deployment, remote_id, None, None, None, None, raw, None, False, run_id)
                    )
                else:
                    response_json, response = _response_json(response)
                    append(
                        (
                            deployment,
                            remote_id,
                            response.instrument,
                            response.round,
                            response.subject,
                            response.submitted_at.isoformat(),
                            raw,
                            response_json,
                            False,
                            run_id,
                        )
                    )
                before = existing.get(remote_id)
                if before is None:
                    new += 1
                elif before[1] or (before[0] != raw and not _same_raw(before[0], raw)):
                    updated += 1
                else:
                    unchanged += 1
            self._write_responses(conn, batch)
            self._upsert(
                conn,
                cursors,
                {"deployment": deployment},
                {"cursor": page.cursor, "updated_at": now()},
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

    def mark_unseen_deleted(self, deployment: str, *, run_id: int) -> int:
        """After a complete full pull: mark what it did not see as deleted."""
        with self._begin() as conn:
            result = conn.execute(
                responses_table.update()
                .where(responses_table.c.deployment == deployment)
                .where(responses_table.c.deleted.is_(False))
                .where(
                    sa.or_(
                        responses_table.c.seen_run.is_(None), responses_table.c.seen_run != run_id
                    )
                )
                .values(deleted=True)
            )
            count = result.rowcount or 0
            conn.execute(sync_runs.update().where(sync_runs.c.id == run_id).values(deleted=count))
        return count

    def finish_run(self, run_id: int, *, outcome: str, error: str | None = None) -> StoredRun:
        with self._begin() as conn:
            conn.execute(
                sync_runs.update()
                .where(sync_runs.c.id == run_id)
                .values(outcome=outcome, finished_at=now(), error=error)
            )
            row = (
                conn.execute(sa.select(sync_runs).where(sync_runs.c.id == run_id)).mappings().one()
            )
        return _run(row)

    def last_run(self, deployment: str) -> StoredRun | None:
        query = (
            sa.select(sync_runs)
            .where(sync_runs.c.deployment == deployment)
            .where(sync_runs.c.outcome != "running")
            .order_by(sync_runs.c.id.desc())
            .limit(1)
        )
        with self.engine.connect() as conn:
            row = conn.execute(query).mappings().first()
        return None if row is None else _run(row)

    # -- reading ----------------------------------------------------------------

    def count_responses(
        self, deployment: str | None = None, *, deleted: bool = False, held: bool = False
    ) -> int:
        """Stored records: scored responses, or (``held``) records kept raw and not scored
        (e.g. submissions a reviewer has not approved), or (``deleted``) deleted ones."""
        query = sa.select(sa.func.count()).select_from(responses_table)
        query = query.where(responses_table.c.deleted.is_(deleted))
        if not deleted:
            column = responses_table.c.response
            query = query.where(column.is_(None) if held else column.is_not(None))
        if deployment:
            query = query.where(responses_table.c.deployment == deployment)
        with self.engine.connect() as conn:
            return int(conn.execute(query).scalar_one())

    def responses(
        self,
        *,
        instrument: str | None = None,
        subject: str | None = None,
        round: str | None = None,  # noqa: A002
        batch: int = 2000,
    ) -> Iterable[Response]:
        """Stored responses (not deleted), in a fixed order, ``batch`` rows at a time.

        An iterable that queries the store again each time it is iterated, so
        that the scorer can read it twice (when an id is repeated) and never
        hold every response at once. A row that no longer reads as a response
        (damaged by hand or by another tool) is left out and named in
        :attr:`damaged` (deployment, response id), never fatal.
        """
        query = _responses_query(instrument, subject, round)
        return Reread(lambda: self._stream(query, batch))

    def response_halves(
        self,
        *,
        instrument: str | None = None,
        subject: str | None = None,
        round: str | None = None,  # noqa: A002
        batch: int = 2000,
        smallest: int = 0,
    ) -> tuple[Iterable[Response], Iterable[Response]] | None:
        """:meth:`responses` in two parts, the first then the second (together the same
        responses in the same order, and damaged rows named in the same order), split
        near the middle of the store's rows; None when it holds fewer than ``smallest``
        rows (deleted and held ones too) or fewer than two.

        Each part is read by a query of its own, so that two processes can read one each.
        """
        key = (responses_table.c.deployment, responses_table.c.remote_id)
        with self.engine.connect() as conn:
            rows = conn.execute(sa.select(sa.func.count()).select_from(responses_table))
            total = int(rows.scalar_one())
            if total < max(2, smallest):
                return None
            middle = conn.execute(
                sa.select(*key).order_by(*key).offset(total // 2).limit(1)
            ).first()
        if middle is None:  # pragma: no cover - rows deleted meanwhile
            return None
        query = _responses_query(instrument, subject, round)
        first = query.where(sa.tuple_(*key) < sa.tuple_(*middle))
        second = query.where(sa.tuple_(*key) >= sa.tuple_(*middle))
        return (
            Reread(lambda: self._stream(first, batch)),
            Reread(lambda: self._stream(second, batch)),
        )

    def _stream(self, query: sa.Select[Any], batch: int) -> Iterator[Response]:
        from coprod_connectors.conversion import response_from_json

        with self.engine.connect() as conn:
            result = conn.execution_options(yield_per=batch).execute(query)
            try:
                # a batch of rows at a time (one fetch from the driver); each row's JSON
                # read as validation reads it, fully validated unless in the form the store
                # writes (see response_from_json)
                for rows in result.partitions():
                    for text, deployment, remote_id in rows:
                        try:
                            yield response_from_json(text)
                        except ValueError:  # noqa: PERF203 - pydantic's ValidationError, bad JSON
                            if (str(deployment), str(remote_id)) not in self.damaged:
                                self.damaged.append((str(deployment), str(remote_id)))
            finally:
                result.close()

    def import_responses(
        self, deployment: Deployment, instrument: Instrument, items: Sequence[Response]
    ) -> PageResult:
        """Store responses read from a file (``coprod import``) under a file deployment."""
        from coprod_connectors.connectors import PulledRecord

        self.record_deployment(deployment, instrument)
        run_id = self.start_run(deployment.key, full=False)
        page = Page(
            records=[
                PulledRecord(
                    remote_response_id=r.response_id,
                    raw=json.loads(r.to_json()),
                    response=r,
                )
                for r in items
            ],
            cursor=None,
            requests=0,
        )
        result = self.apply_page(deployment.key, page, run_id=run_id)
        self.finish_run(run_id, outcome="ok")
        return result

    def snapshot(self) -> dict[str, Any]:
        """Everything that matters in the store, in a fixed order (for comparisons)."""
        with self.engine.connect() as conn:
            deps = [
                dict(r)
                for r in conn.execute(sa.select(deployments).order_by(deployments.c.key)).mappings()
            ]
            rows = [
                dict(r)
                for r in conn.execute(
                    sa.select(
                        responses_table.c.deployment,
                        responses_table.c.remote_id,
                        responses_table.c.raw,
                        responses_table.c.response,
                        responses_table.c.deleted,
                    ).order_by(responses_table.c.deployment, responses_table.c.remote_id)
                ).mappings()
            ]
            curs = [
                dict(r)
                for r in conn.execute(
                    sa.select(cursors.c.deployment, cursors.c.cursor).order_by(cursors.c.deployment)
                ).mappings()
            ]
        return {"deployments": deps, "responses": rows, "cursors": curs}

    # -- helpers ----------------------------------------------------------------

    @contextmanager
    def _begin(self) -> Iterator[Connection]:
        """A write transaction (on SQLite it takes the write lock at once); a database error
        becomes a one-line :class:`StoreError`."""
        try:
            with self.engine.connect() as conn:
                conn.execution_options(coprod_write=True)
                with conn.begin():
                    yield conn
        except SQLAlchemyError as exc:
            raise _store_error(exc, self.url) from exc

    def _stored(
        self, conn: Connection, deployment: str, ids: list[str]
    ) -> dict[str, tuple[bytes, bool]]:
        """The raw text (UTF-8) and the deleted mark of those of ``ids`` already stored, looked
        up 500 at a time by a statement written out for the driver (SQLite, PostgreSQL)."""
        found: dict[str, tuple[bytes, bool]] = {}
        dialect = conn.dialect
        if dialect.name not in _AS_UTF8:  # pragma: no cover - other databases
            table = responses_table.c
            select = (
                sa.select(table.remote_id, table.raw, table.deleted)
                .where(table.deployment == deployment)
                .where(table.remote_id.in_(sa.bindparam("ids", expanding=True)))
            )
            for chunk in _chunks(ids, 500):
                for remote_id, raw, deleted in conn.execute(select, {"ids": chunk}):
                    found[remote_id] = (raw.encode(), bool(deleted))
            return found
        for chunk in _chunks(ids, 500):
            query = _stored_sql(dialect.name, dialect.paramstyle, len(chunk))
            rows = conn.exec_driver_sql(query, (deployment, *chunk))
            found.update({r[0]: (r[1], bool(r[2])) for r in rows})
        return found

    def _write_responses(self, conn: Connection, rows: list[tuple[Any, ...]]) -> None:
        """Upsert rows of :data:`_RESPONSE_COLUMNS` (plain tuples) with ONE executemany.

        The statement is written out for the driver (SQLite and PostgreSQL share
        the ``ON CONFLICT`` syntax), so that nothing is done per row but what the
        driver does; other databases go through SQLAlchemy. The raw record and the
        response come as UTF-8 bytes (as orjson and pydantic write them) and the
        statement makes them text, so that no row is decoded in Python and encoded
        again by the driver.
        """
        if not rows:
            return
        dialect = conn.dialect
        if dialect.name not in {"sqlite", "postgresql"}:  # pragma: no cover - other databases
            named = [_as_text(dict(zip(_RESPONSE_COLUMNS, row, strict=True))) for row in rows]
            self._upsert_many(conn, responses_table, ["deployment", "remote_id"], named)
            return
        conn.exec_driver_sql(_upsert_responses_sql(dialect.name, dialect.paramstyle), rows)

    def _upsert_many(
        self, conn: Connection, table: sa.Table, keys: list[str], rows: list[dict[str, Any]]
    ) -> None:
        """Insert or update many rows in one statement (executemany)."""
        if not rows:
            return
        dialect = conn.dialect.name
        if dialect not in {"sqlite", "postgresql"}:  # pragma: no cover - other databases
            for row in rows:
                key = {k: row[k] for k in keys}
                self._upsert(conn, table, key, {k: v for k, v in row.items() if k not in keys})
            return
        if dialect == "sqlite":
            from sqlalchemy.dialects.sqlite import insert
        else:
            from sqlalchemy.dialects.postgresql import insert  # type: ignore[assignment]
        stmt = insert(table)
        updates = {c: stmt.excluded[c] for c in rows[0] if c not in keys}
        conn.execute(stmt.on_conflict_do_update(index_elements=keys, set_=updates), rows)

    def _upsert(
        self, conn: Connection, table: sa.Table, key: dict[str, Any], values: dict[str, Any]
    ) -> None:
        dialect = conn.dialect.name
        if dialect == "sqlite":
            from sqlalchemy.dialects.sqlite import insert as sqlite_insert

            stmt = sqlite_insert(table).values(**key, **values)
            conn.execute(stmt.on_conflict_do_update(index_elements=list(key), set_=values))
        elif dialect == "postgresql":
            from sqlalchemy.dialects.postgresql import insert as pg_insert

            pstmt = pg_insert(table).values(**key, **values)
            conn.execute(pstmt.on_conflict_do_update(index_elements=list(key), set_=values))
        else:  # pragma: no cover - other databases: read, then write
            where = sa.and_(*(table.c[k] == v for k, v in key.items()))
            if conn.execute(sa.select(sa.func.count()).select_from(table).where(where)).scalar():
                conn.execute(table.update().where(where).values(**values))
            else:
                conn.execute(table.insert().values(**key, **values))


def _storable(text: str) -> str:
    """``text`` as UTF-8 can hold it: a lone surrogate (a server's JSON may say ``\\ud800``)
    becomes U+FFFD instead of failing the whole page."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    return text


def _response_json(response: Response) -> tuple[bytes, Response]:
    """The response as stored (:meth:`Response.to_json`'s text, in UTF-8), and the response
    that is; one holding a lone surrogate (text UTF-8 cannot hold) is stored with U+FFFD
    there."""
    try:
        # what Response.to_json writes, before it decodes it (a test compares them)
        return response.__pydantic_serializer__.to_json(response), response
    except PydanticSerializationError:
        data = json.dumps(response.model_dump(mode="json"), ensure_ascii=False)
        cleaned = Response.model_validate_json(_storable(data))
        return cleaned.to_json().encode(), cleaned


def _as_text(row: dict[str, Any]) -> dict[str, Any]:  # pragma: no cover - other databases
    """A row of :meth:`Store._write_responses` with its JSON as text."""
    for column in _JSON_COLUMNS:
        if isinstance(row[column], bytes):
            row[column] = row[column].decode()
    return row


#: The columns :meth:`Store._write_responses` writes, in the order of its tuples.
_RESPONSE_COLUMNS = (
    "deployment",
    "remote_id",
    "instrument",
    "round",
    "subject",
    "submitted_at",
    "raw",
    "response",
    "deleted",
    "seen_run",
)
_RESPONSE_KEY = ("deployment", "remote_id")
_JSON_COLUMNS = ("raw", "response")

#: JSON with sorted keys, no spaces, text as it is, NaN and Infinity written as such: how a raw
#: record that orjson cannot write faithfully is stored.
_raw_json_fallback = json.JSONEncoder(
    sort_keys=True, ensure_ascii=False, separators=(",", ":")
).encode
_SCALARS = frozenset({str, int, bool, type(None)})


def _raw_json(record: dict[str, Any]) -> bytes:
    """A raw record as stored (in UTF-8): one stable text for one record, so that a re-sync
    can tell an unchanged record by its text.

    orjson's sorted, compact JSON when the record holds only what JSON text holds
    (dicts with text keys, lists, text, whole numbers of 64 bits, finite floats, true,
    false, null): orjson writes every such value so that it reads back the same. Anything
    else (a whole number beyond 64 bits, NaN or Infinity, which orjson would write as
    null, another type) is written by ``json`` in the same sorted compact form, NaN as
    ``NaN``. A lone surrogate becomes U+FFFD (:func:`_storable`), and the text is that of
    the record so changed: read back and written again, every text stays the same.
    Stores written before this hold ``json.dumps(record, sort_keys=True)``'s text:
    :func:`_same_raw` reads both.
    """
    try:
        text = orjson.dumps(record, option=orjson.OPT_SORT_KEYS)
    except orjson.JSONEncodeError:
        pass
    else:
        if _plain(record):
            # a copy of exactly its size: orjson grows a buffer and shrinks it in place, and
            # pages of those, each held until it is written, left a sync of 100,000 records
            # 60 MiB larger (the heap fragments); the copy costs 0.3 us
            return bytes(memoryview(text))
    written = _raw_json_fallback(record)
    try:
        return written.encode()
    except UnicodeEncodeError:  # the record as stored holds U+FFFD: the text of that record
        return _raw_json(json.loads(_storable(written)))


def _plain(value: object) -> bool:
    """Whether ``value`` holds only dicts, lists, text, whole numbers, true, false, null
    and finite floats (exactly these types, no subclasses). orjson has checked the depth
    and the keys."""
    kind = type(value)
    if kind is dict:
        items: Iterable[object] = value.values()  # type: ignore[attr-defined]
    elif kind is list:
        items = value  # type: ignore[assignment]
    elif kind in _SCALARS:
        return True
    elif kind is float:
        return math.isfinite(cast("float", value))
    else:
        return False
    for item in items:  # noqa: SIM110 - a loop: half the time of all() over a generator
        if type(item) not in _SCALARS and not _plain(item):
            return False
    return True


def _same_raw(stored: bytes, raw: bytes) -> bool:
    """Whether a stored raw text, of this version or an earlier one (``json.dumps``' form),
    holds the same record as ``raw`` (a text of :func:`_raw_json`): the stored one read and
    written again in this version's form. Text that does not read as JSON is not the same."""
    try:
        return _raw_json(json.loads(stored)) == raw
    except (ValueError, TypeError, RecursionError):
        return False


#: How a statement makes UTF-8 bytes text, and text UTF-8 bytes, by database.
_FROM_UTF8 = {"sqlite": "CAST({} AS TEXT)", "postgresql": "convert_from({}, 'UTF8')"}
_AS_UTF8 = {"sqlite": "CAST({} AS BLOB)", "postgresql": "convert_to({}, 'UTF8')"}


@functools.lru_cache(maxsize=16)
def _stored_sql(dialect: str, paramstyle: str, count: int) -> str:
    """SELECT the remote id, the raw text as UTF-8 and the deleted mark of ``count`` ids of a
    deployment (SQLite and PostgreSQL)."""
    marker = "?" if paramstyle == "qmark" else "%s"
    # every name is a constant of this module; the values go as parameters
    return (
        f"SELECT remote_id, {_AS_UTF8[dialect].format('raw')}, deleted FROM responses "  # noqa: S608
        f"WHERE deployment = {marker} AND remote_id IN ({', '.join([marker] * count)})"
    )


def _upsert_responses_sql(dialect: str, paramstyle: str) -> str:
    """INSERT ... ON CONFLICT DO UPDATE of every response column (SQLite and PostgreSQL);
    the raw record and the response are given as UTF-8 bytes."""
    marker = "?" if paramstyle == "qmark" else "%s"
    names = ", ".join(_RESPONSE_COLUMNS)
    values = ", ".join(
        _FROM_UTF8[dialect].format(marker) if c in _JSON_COLUMNS else marker
        for c in _RESPONSE_COLUMNS
    )
    updates = ", ".join(f"{c} = excluded.{c}" for c in _RESPONSE_COLUMNS if c not in _RESPONSE_KEY)
    # every name is a constant of this module; the values go as parameters
    return (
        f"INSERT INTO responses ({names}) VALUES ({values}) "  # noqa: S608
        f"ON CONFLICT ({', '.join(_RESPONSE_KEY)}) DO UPDATE SET {updates}"
    )


def _responses_query(
    instrument: str | None, subject: str | None, round_: str | None
) -> sa.Select[Any]:
    """Stored responses (not deleted, not held), in a fixed order: the stored JSON, and
    the row's key to name it if it is damaged."""
    query = (
        sa.select(
            responses_table.c.response,
            responses_table.c.deployment,
            responses_table.c.remote_id,
        )
        .where(responses_table.c.deleted.is_(False))
        .where(responses_table.c.response.is_not(None))
        .order_by(responses_table.c.deployment, responses_table.c.remote_id)
    )
    if instrument:
        query = query.where(responses_table.c.instrument == instrument)
    if subject:
        query = query.where(responses_table.c.subject == subject)
    if round_:
        query = query.where(responses_table.c.round == round_)
    return query


def _chunks(items: list[str], size: int) -> Iterator[list[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _deployment(row: Any) -> Deployment:
    try:
        return Deployment(
            platform=row["platform"],
            profile=row["profile"],
            remote_id=row["remote_id"],
            instrument=row["instrument"],
            instrument_version=row["instrument_version"],
            round=row["round"],
            subject=row["subject"],
            url=row["url"],
            created_at=datetime.fromisoformat(row["created_at"]),
            details=json.loads(row["details"]),
        )
    except (ValueError, TypeError) as exc:  # a row changed by hand or by another tool
        msg = f"the store's record of deployment {str(row['key'])[:120]!r} is damaged"
        raise StoreError(
            msg, hint=f"{type(exc).__name__}; restore the store from a backup"
        ) from None


def _run(row: Any) -> StoredRun:
    return StoredRun(
        deployment=row["deployment"],
        full=bool(row["full"]),
        started_at=row["started_at"],
        finished_at=row["finished_at"],
        outcome=row["outcome"],
        new=row["new"],
        updated=row["updated"],
        deleted=row["deleted"],
        requests=row["requests"],
        error=row["error"],
    )


def _make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        path = _sqlite_file(sa.engine.make_url(url))
        if path is not None:
            parent = path.resolve().parent
            if not parent.is_dir():
                msg = f"the folder {parent} does not exist"
                raise StoreError(msg, hint="create it, or give another --store path")
        engine = sa.create_engine(url, connect_args={"timeout": 60})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
            dbapi_conn.isolation_level = None  # let SQLAlchemy's BEGIN below take effect
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA busy_timeout=60000")
            # a new store's pages: 16 KiB rather than 4, as a stored response (its raw record
            # and its JSON) is often over 4 kB, which took a page and an overflow page; a
            # page of such records is written with a third less CPU (and read no slower);
            # SQLite sets this only on an empty database: a store that exists keeps its own
            cur.execute("PRAGMA page_size=16384")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.close()

        @event.listens_for(engine, "begin")
        def _begin(conn: Connection) -> None:
            # writers take the lock at the start, so two writers queue instead of deadlocking
            write = conn.get_execution_options().get("coprod_write", False)
            conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")

        return engine
    try:
        connect_args: dict[str, Any] = {}
        if url.startswith("postgresql") and "connect_timeout" not in url:
            connect_args["connect_timeout"] = CONNECT_TIMEOUT
        return sa.create_engine(url, pool_pre_ping=True, connect_args=connect_args)
    except ModuleNotFoundError as exc:
        msg = f"the database driver for {safe_url(url)} is not installed ({exc.name})"
        raise StoreError(msg, hint="pip install 'coprod-connectors[postgresql]'") from exc
    except sa.exc.ArgumentError as exc:
        msg = f"{safe_url(url)} is not a database URL"
        raise StoreError(msg, hint="use a file path or postgresql://user@host/db") from exc


def _store_error(exc: SQLAlchemyError, url: str) -> StoreError:
    detail = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
    lowered = detail.lower()
    if "readonly" in lowered or "read-only" in lowered or "read only" in lowered:
        return StoreError(
            f"the store at {safe_url(url)} is read-only: {detail}",
            hint="give a store you may write to, or check the file's and its folder's permissions",
        )
    if isinstance(exc, (OperationalError, DBAPIError)):
        return StoreError(
            f"cannot open the store at {safe_url(url)}: {detail}",
            hint="check --store / COPROD_STORE_URL and that the database is running",
        )
    return StoreError(f"store error at {safe_url(url)}: {detail}")


def _version() -> str:
    from coprod_connectors import __version__

    return __version__


__all__ = [
    "MIGRATIONS",
    "PageResult",
    "Store",
    "StoredRun",
    "is_in_memory",
    "resolve_url",
    "safe_url",
]
