"""Open the store and bring its schema to the newest migration.

SQLite (the embedded default) and PostgreSQL (production) run the same code;
only the connection set-up differs.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url

from conexor.store.leader import lock_id

__all__ = ["migrate", "open_store_engine"]

_MIGRATIONS = Path(__file__).parent / "migrations"


def open_store_engine(url: str) -> Engine:
    """Create the store engine; ``postgresql://`` means psycopg 3."""
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    if parsed.get_backend_name() == "sqlite":
        engine = create_engine(parsed, connect_args={"check_same_thread": False, "timeout": 30})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(parsed, pool_pre_ping=True, pool_size=10, max_overflow=10)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.close()


def migrate(engine: Engine, revision: str = "head") -> None:
    """Run every pending Alembic migration on ``engine`` (up to ``revision``)."""
    config = Config()
    config.set_main_option("script_location", str(_MIGRATIONS))
    sqlite = engine.dialect.name == "sqlite"
    with engine.connect() as connection:
        if sqlite:
            # SQLite alters a table by copying it and dropping the original; with
            # foreign keys enforced, that drop would cascade into child tables.
            # The pragma only takes effect outside a transaction, hence here.
            connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
            connection.commit()
        with connection.begin():
            if connection.dialect.name == "postgresql":
                # Replicas starting together: the first migrates, the others wait for
                # its commit and then find nothing to do. Released at commit.
                connection.execute(
                    text("SELECT pg_advisory_xact_lock(:k)"), {"k": lock_id("migrate")}
                )
            config.attributes["connection"] = connection
            command.upgrade(config, revision)
        if sqlite:
            problems = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
            connection.exec_driver_sql("PRAGMA foreign_keys=ON")
            connection.commit()
            if problems:
                raise RuntimeError("a migration left rows that break foreign keys")
