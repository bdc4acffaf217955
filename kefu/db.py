"""Database plumbing the knowledge base and the desk share: engines, timestamps and Alembic upgrades."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy import exc as sa_exc

# Failures of the database itself (unreachable, locked, restarting, pool exhausted), as opposed to errors in what we
# asked of it (an IntegrityError is a conflict the stores handle themselves).
UNAVAILABLE = (sa_exc.OperationalError, sa_exc.InterfaceError, sa_exc.TimeoutError, sa_exc.DisconnectionError)


def utcnow() -> datetime:
    """Timezone-aware now, for timestamps."""
    return datetime.now(UTC)


def _sqlite_pragmas(dbapi_connection: Any, connection_record: Any) -> None:
    # WAL lets Rasa, the action server and the CLI read while one of them writes; wait instead of failing.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def make_engine(url: str) -> Engine:
    """An engine for the URL, with SQLite tuned for several processes; the folder of a SQLite file is created."""
    if url.startswith("sqlite:///") and url != "sqlite:///:memory:":
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, pool_pre_ping=True)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def upgrade(engine: Engine, migrations: Path) -> None:
    """Run one package's Alembic migrations (the folder holding its env.py) up to head, idempotently."""
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(migrations))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


@contextmanager
def unavailable_as(error: type[Exception], what: str) -> Iterator[None]:
    """Re-raise the database's own failures as the package's `error`, the way httpx maps transport errors."""
    try:
        yield
    except UNAVAILABLE as exc:
        cause = getattr(exc, "orig", None) or exc
        first_line = next(iter(str(cause).splitlines()), type(cause).__name__)
        raise error(f"{what} is unavailable: {first_line}") from exc
