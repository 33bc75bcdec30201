"""SQLite sessions end without a trip through aiosqlite's thread when nothing is to be undone
(a read), and connections still go back to the pool outside any transaction."""

from __future__ import annotations

from typing import Any

import aiosqlite
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from forumbot.storage.db import make_engine, make_sessionmaker


async def in_transaction(conn: AsyncConnection) -> bool:
    driver = (await conn.get_raw_connection()).driver_connection
    assert driver is not None
    return bool(driver.in_transaction)


@pytest.fixture
def driver_rollbacks(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Rollbacks that reach aiosqlite (each one a trip through its thread)."""
    calls: list[int] = []
    original = aiosqlite.Connection.rollback

    async def counting(self: Any) -> None:
        calls.append(1)
        await original(self)

    monkeypatch.setattr(aiosqlite.Connection, "rollback", counting)
    return calls


async def test_a_read_session_ends_without_a_driver_rollback(
    sqlite_url: str, driver_rollbacks: list[int]
) -> None:
    engine = make_engine(sqlite_url)
    try:
        async with engine.connect():
            pass  # the first connect initialises the dialect
        driver_rollbacks.clear()
        async with make_sessionmaker(engine)() as session:
            assert (await session.execute(text("SELECT count(*) FROM articles"))).scalar() == 0
        assert driver_rollbacks == []
    finally:
        await engine.dispose()


async def test_a_write_that_is_not_committed_is_rolled_back(
    sqlite_url: str, driver_rollbacks: list[int]
) -> None:
    engine = make_engine(sqlite_url, pool_size=1, max_overflow=0)
    try:
        async with engine.begin() as setup:
            await setup.execute(text("CREATE TABLE scratch (x INTEGER)"))
        driver_rollbacks.clear()
        async with make_sessionmaker(engine)() as session:
            await session.execute(text("INSERT INTO scratch VALUES (1)"))
            # closed without commit
        assert driver_rollbacks == [1]
        conn = await engine.connect()
        await conn.execute(text("INSERT INTO scratch VALUES (2)"))
        await conn.close()  # Connection.close rolls back
        async with engine.connect() as again:  # the same pooled connection (pool of one)
            assert not await in_transaction(again)
            rows = await again.execute(text("SELECT count(*) FROM scratch"))
            assert rows.scalar() == 0, "both inserts were rolled back"
    finally:
        await engine.dispose()


async def test_a_connection_left_in_a_transaction_by_the_driver_is_reset(
    sqlite_url: str,
) -> None:
    """Reaching past SQLAlchemy (as search does with aiosqlite's execute_fetchall) can leave
    the driver inside a transaction; the pool's reset listener ends it."""
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
