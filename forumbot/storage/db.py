"""Engine and session factories, and Alembic migrations run from code.

One `AsyncSession` per unit of work (`async with sessionmaker() as s, s.begin(): ...`); never
share a session between concurrent tasks.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from sqlalchemy import event
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.pool import PoolResetState

import forumbot

# The project is installed editable: migrations/ and alembic.ini sit next to the package.
REPO_ROOT = Path(forumbot.__file__).resolve().parent.parent
MIGRATIONS_DIR = REPO_ROOT / "migrations"
ALEMBIC_INI = REPO_ROOT / "alembic.ini"

SQLITE_BUSY_TIMEOUT_MS = 10_000
# Reads of the database file through a memory map instead of read() into SQLite's own page
# cache: a search at a million passages reads hundreds of FTS5 index pages, each a system call
# and a copy otherwise. SQLite caps it at its compile-time limit (2 GB in the usual builds); the
# pages mapped are the OS's page cache, shared by every connection.
SQLITE_MMAP_BYTES = 1 << 31
# Registered on every SQLite connection by make_engine: lower() for all of Unicode.
SQLITE_LOWER = "unicode_lower"


ASYNC_DRIVERS = {"sqlite": "sqlite+aiosqlite", "postgresql": "postgresql+asyncpg"}


def normalise_url(url: str) -> str:
    """Accept plain `sqlite:///...` / `postgresql://...` (and `postgres://`) URLs by picking the
    async driver we ship; URLs that name a driver are left alone."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url.removeprefix("postgres://")
    parsed = make_url(url)
    driver = ASYNC_DRIVERS.get(parsed.drivername)
    if driver is None:
        return url
    return parsed.set(drivername=driver).render_as_string(hide_password=False)


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def sqlite_file(url: str) -> Path | None:
    """The file behind a SQLite URL, or None for in-memory databases."""
    database = make_url(url).database
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    return Path(database)


def _reset_sqlite(dbapi_connection: Any, _record: Any, state: PoolResetState) -> None:
    """A pooled SQLite connection goes back to the pool outside any transaction."""
    if state.terminate_only or not state.asyncio_safe or state.transaction_was_reset:
        return
    if getattr(dbapi_connection.driver_connection, "in_transaction", True):
        dbapi_connection.rollback()


def _skip_idle_rollbacks(engine: AsyncEngine) -> None:
    """Every session ends with a rollback, also one that only read; SQLite has nothing to undo
    then (no transaction is open until a write begins one), but through aiosqlite the call
    still costs a trip through the driver's thread: ~0.2 ms of a ~1.5 ms search."""
    dialect = engine.sync_engine.dialect
    rollback = dialect.do_rollback

    def do_rollback(dbapi_connection: Any) -> None:
        driver = getattr(dbapi_connection, "driver_connection", None)
        if driver is not None and not getattr(driver, "in_transaction", True):
            return
        rollback(dbapi_connection)

    dialect.do_rollback = do_rollback  # type: ignore[method-assign]


def _connect_errors_as_operational(
    dialect: Any, _record: Any, cargs: tuple[Any, ...], cparams: dict[str, Any]
) -> Any:
    """Connect, and report a failure to connect as the driver's OperationalError.

    SQLAlchemy translates asyncpg's errors raised by a statement, not those raised while
    connecting: with the server stopped or restarting, the pool let ConnectionRefusedError,
    CannotConnectNowError ("the database system is starting up" / "shutting down") and the like
    through as they were, so code that retries on OperationalError (the moderation pipeline,
    the CLI) took an outage for a bug. psycopg2 raises OperationalError for all of them; so do
    we, the driver's own error kept as the cause."""
    try:
        return dialect.connect(*cargs, **cparams)
    except Exception as exc:
        if isinstance(exc, dialect.loaded_dbapi.Error) or not _is_connect_failure(exc):
            raise
        raise dialect.loaded_dbapi.OperationalError(f"{type(exc).__name__}: {exc}") from exc


def _is_connect_failure(exc: BaseException) -> bool:
    if isinstance(exc, OSError):  # refused, reset, unreachable, timed out (TimeoutError)
        return True
    try:
        import asyncpg
    except ImportError:
        return False
    return isinstance(exc, asyncpg.PostgresError | asyncpg.InterfaceError)


def _chain(exc: BaseException) -> list[BaseException]:
    """`exc` and what it wraps, outermost first (SQLAlchemy's `.orig`, then `__cause__`)."""
    links = [exc]
    while (inner := getattr(links[-1], "orig", None) or links[-1].__cause__) is not None:
        if not isinstance(inner, BaseException) or any(inner is link for link in links):
            break
        links.append(inner)
    return links


def innermost_cause(exc: BaseException) -> BaseException:
    """The driver's own error under SQLAlchemy's wrappers."""
    return _chain(exc)[-1]


def is_unreachable(exc: BaseException) -> bool:
    """True when `exc` says the database server could not be reached or dropped us (stopped,
    restarting, refusing connections, a connection lost), not that a statement was wrong."""
    try:
        import asyncpg
    except ImportError:
        asyncpg = None
    for link in _chain(exc):
        if isinstance(link, OSError):
            return True
        if isinstance(link, DBAPIError) and link.connection_invalidated:
            return True
        if asyncpg is not None and isinstance(
            link,
            asyncpg.PostgresConnectionError  # class 08: connection failure, lost
            | asyncpg.OperatorInterventionError  # class 57: starting up, shutting down
            | asyncpg.InsufficientResourcesError,  # class 53: too many connections
        ):
            return True
    return False


def is_unavailable(exc: BaseException) -> bool:
    """True when the database is not answering for now and the same work later may succeed:
    unreachable (above), a SQLite file locked by another process past the busy timeout, or
    every pooled connection busy."""
    if is_unreachable(exc):
        return True
    for link in _chain(exc):
        if isinstance(link, PoolTimeout):
            return True
        if isinstance(link, sqlite3.OperationalError) and (
            "locked" in str(link) or "busy" in str(link)
        ):
            return True
    return False


def _unicode_lower(value: object) -> object:
    return value.lower() if isinstance(value, str) else value


def make_engine(url: str, *, foreign_keys: bool = True, **kwargs: Any) -> AsyncEngine:
    """An async engine. SQLite gets WAL, foreign keys (unless turned off for migrations, where
    batch mode recreates tables), a busy timeout, reads through mmap and the function
    `unicode_lower`; its parent folder is created."""
    url = normalise_url(url)
    if not is_sqlite(url):
        kwargs.setdefault("pool_pre_ping", True)
        engine = create_async_engine(url, **kwargs)
        event.listen(engine.sync_engine, "do_connect", _connect_errors_as_operational)
        return engine

    path = sqlite_file(url)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
    # The pool's own rollback-on-return runs even after the Session has rolled back, and on
    # aiosqlite each rollback is a trip through the driver's thread: `_reset_sqlite` rolls back
    # only a connection that is still inside a transaction.
    kwargs.setdefault("pool_reset_on_return", None)
    engine = create_async_engine(url, **kwargs)
    event.listen(engine.sync_engine, "reset", _reset_sqlite)
    _skip_idle_rollbacks(engine)

    @event.listens_for(engine.sync_engine, "connect")
    def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
            cursor.execute("PRAGMA journal_mode = WAL")
            cursor.execute("PRAGMA synchronous = NORMAL")
            cursor.execute(f"PRAGMA mmap_size = {SQLITE_MMAP_BYTES}")
            cursor.execute(f"PRAGMA foreign_keys = {'ON' if foreign_keys else 'OFF'}")
        finally:
            cursor.close()
        # SQLite's lower() folds ASCII only; case-insensitive filters need all of Unicode.
        dbapi_connection.create_function(SQLITE_LOWER, 1, _unicode_lower, deterministic=True)

    return engine


def make_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)


def alembic_config(url: str | None = None) -> Config:
    """An Alembic config that works from any working directory."""
    cfg = Config(str(ALEMBIC_INI)) if ALEMBIC_INI.exists() else Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    if url is not None:
        # Passed as an attribute, not the ini option, so '%' in passwords needs no escaping.
        cfg.attributes["url"] = url
    return cfg


async def _run_with_connection(url: str, action: Callable[[Config], None]) -> None:
    engine = make_engine(url, foreign_keys=False)
    try:
        async with engine.begin() as conn:

            def run(sync_conn: Connection) -> None:
                cfg = alembic_config(url)
                cfg.attributes["connection"] = sync_conn
                action(cfg)

            await conn.run_sync(run)
    finally:
        await engine.dispose()


# Any fixed number: the PostgreSQL advisory lock that lets one process migrate at a time.
MIGRATION_LOCK_ID = 0x666F72756D626F74  # "forumbot"
MIGRATION_ATTEMPTS = 5


async def upgrade_database(url: str, revision: str = "heads") -> None:
    """Migrate the database at `url` up to `revision` (default: every head).

    Several processes may start at once on a fresh database. On PostgreSQL they queue on an
    advisory lock held for the migration's transaction, so the later ones find it done. SQLite
    has no such lock: a process whose migration collides with another's (a table the other just
    created) retries, and on the retry finds the version table already at the target.
    """

    def upgrade(cfg: Config) -> None:
        connection = cfg.attributes["connection"]
        if connection.dialect.name == "postgresql":
            connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({MIGRATION_LOCK_ID})")
        command.upgrade(cfg, revision)

    for attempt in range(1, MIGRATION_ATTEMPTS + 1):
        try:
            await _run_with_connection(url, upgrade)
            return
        except OperationalError:
            if not is_sqlite(normalise_url(url)) or attempt == MIGRATION_ATTEMPTS:
                raise
            await asyncio.sleep(0.2 * attempt)


async def downgrade_database(url: str, revision: str) -> None:
    """Migrate the database at `url` down to `revision` ("base" removes everything)."""
    await _run_with_connection(url, lambda cfg: command.downgrade(cfg, revision))


async def check_database(url: str) -> None:
    """Raise alembic.util.AutogenerateDiffsDetected when models and the migrated schema differ."""
    await _run_with_connection(url, command.check)


async def current_revisions(url: str) -> tuple[str, ...]:
    """The revision ids the database is at (empty before the first upgrade)."""
    engine = make_engine(url)
    try:
        async with engine.connect() as conn:

            def heads(sync_conn: Connection) -> tuple[str, ...]:
                return tuple(MigrationContext.configure(sync_conn).get_current_heads())

            return await conn.run_sync(heads)
    finally:
        await engine.dispose()


def head_revisions() -> tuple[str, ...]:
    from alembic.script import ScriptDirectory

    return tuple(ScriptDirectory.from_config(alembic_config()).get_heads())
