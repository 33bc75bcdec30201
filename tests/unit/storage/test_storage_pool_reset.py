"""SQLite connections go back to the pool outside any transaction, with one rollback per
session instead of two (the pool's own reset is skipped when nothing is open)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from forumbot.storage.db import make_engine, make_sessionmaker


async def in_transaction(conn: AsyncConnection) -> bool:
    driver = (await conn.get_raw_connection()).driver_connection
    assert driver is not None
    return bool(driver.in_transaction)


async def test_a_read_session_costs_one_rollback(sqlite_url: str) -> None:
    engine = make_engine(sqlite_url)
    async with engine.connect():
        pass  # the first connect initialises the dialect (with a rollback of its own)
    calls = 0
    original = engine.sync_engine.dialect.do_rollback

    def counting(dbapi_connection: Any) -> None:
        nonlocal calls
        calls += 1
        original(dbapi_connection)

    engine.sync_engine.dialect.do_rollback = counting  # type: ignore[method-assign]
    try:
        async with make_sessionmaker(engine)() as session:
            assert (await session.execute(text("SELECT count(*) FROM articles"))).scalar() == 0
        assert calls == 1
    finally:
        await engine.dispose()


async def test_an_unfinished_write_is_rolled_back_on_return(sqlite_url: str) -> None:
    engine = make_engine(sqlite_url, pool_size=1, max_overflow=0)
    try:
        async with engine.begin() as setup:
            await setup.execute(text("CREATE TABLE scratch (x INTEGER)"))
        conn = await engine.connect()
        await conn.execute(text("INSERT INTO scratch VALUES (1)"))
        # Closed without commit or rollback: Connection.close rolls back, and the pool's
        # reset would again if the driver still reported a transaction.
        await conn.close()
        async with engine.connect() as again:  # the same pooled connection (pool of one)
            rows = await again.execute(text("SELECT count(*) FROM scratch"))
            assert rows.scalar() == 0, "the insert was rolled back"
            assert not await in_transaction(again)
    finally:
        await engine.dispose()


async def test_a_connection_left_in_a_transaction_by_the_driver_is_reset(
    sqlite_url: str,
) -> None:
    """Reaching past SQLAlchemy (as search does with aiosqlite's execute_fetchall) can leave
    the driver inside a transaction; the reset listener ends it."""
    engine = make_engine(sqlite_url, pool_size=1, max_overflow=0)
    try:
        async with engine.begin() as setup:
            await setup.execute(text("CREATE TABLE scratch2 (x INTEGER)"))
        async with engine.connect() as conn:
            driver = (await conn.get_raw_connection()).driver_connection
            assert driver is not None
            await driver.execute("INSERT INTO scratch2 VALUES (1)")
            assert await in_transaction(conn)
        async with engine.connect() as again:
            assert not await in_transaction(again)
            found = await again.execute(text("SELECT count(*) FROM scratch2"))
            assert found.scalar() == 0
    finally:
        await engine.dispose()
