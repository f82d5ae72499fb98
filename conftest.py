"""Fixtures shared by the core's and every connector's tests (pytest finds this file
above all of them)."""

from __future__ import annotations

import os
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa


def _postgres_url() -> str:
    url = os.environ.get("COPROD_TEST_POSTGRES_URL")
    if not url:
        if os.environ.get("COPROD_REQUIRE_POSTGRES"):
            pytest.fail("COPROD_REQUIRE_POSTGRES is set but COPROD_TEST_POSTGRES_URL is not")
        pytest.skip("set COPROD_TEST_POSTGRES_URL to run the store tests on PostgreSQL")
    return url


#: A RAM-backed folder, when there is one. The kill and fault tests commit thousands of
#: times; on a virtual disk each fsync costs milliseconds, and durability against power
#: loss is not what they test (a killed process is).
SHM = Path("/dev/shm")  # noqa: S108 - only a private TemporaryDirectory is made in it


@pytest.fixture
def ram_dir(tmp_path: Path) -> Iterator[Path]:
    """An empty folder in RAM (``/dev/shm``) when there is one, else ``tmp_path``."""
    if SHM.is_dir() and os.access(SHM, os.W_OK):
        with tempfile.TemporaryDirectory(dir=SHM, prefix="coprod-test-") as folder:
            yield Path(folder)
    else:
        yield tmp_path


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def store_url(request: pytest.FixtureRequest, ram_dir: Path) -> Iterator[str]:
    """A fresh, empty store: a SQLite file (in RAM when it can be), or a new schema in the
    test PostgreSQL that does not wait for its disk (``synchronous_commit=off``)."""
    if request.param == "sqlite":
        yield f"sqlite:///{ram_dir / 'store.db'}"
        return
    base = _postgres_url()
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(base)
    try:
        with admin.begin() as conn:
            conn.exec_driver_sql(f"CREATE SCHEMA {schema}")
    except sa.exc.OperationalError as exc:
        if os.environ.get("COPROD_REQUIRE_POSTGRES"):
            raise
        pytest.skip(f"PostgreSQL at COPROD_TEST_POSTGRES_URL is not reachable: {exc.orig}")
    sep = "&" if "?" in base else "?"
    yield f"{base}{sep}options=-csearch_path%3D{schema}%20-csynchronous_commit%3Doff"
    with admin.begin() as conn:
        conn.exec_driver_sql(f"DROP SCHEMA {schema} CASCADE")
    admin.dispose()
