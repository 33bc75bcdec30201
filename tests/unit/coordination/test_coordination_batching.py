"""Claims and cache-version reads made at the same moment share a database round trip (SQLite
and PostgreSQL), and stay exactly as strict as one trip per call: an interaction is still won
by one process only, and a read never returns a version older than the call."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from forumbot.services.coordination import GUILD_SCOPE, CacheVersions, Claims
from forumbot.services.coordination.batch import RoundTrips
from forumbot.storage.db import make_engine, make_sessionmaker


@pytest.fixture
async def other_engine(db_url: str) -> AsyncIterator[AsyncEngine]:
    """A second process's engine on the same database."""
    engine = make_engine(db_url)
    try:
        yield engine
    finally:
        await engine.dispose()


@contextmanager
def statements(engine: AsyncEngine, table: str) -> Iterator[list[str]]:
    """The statements `engine` sends that name `table`."""
    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if table in statement:
            seen.append(statement)

    event.listen(engine.sync_engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", record)


async def test_a_burst_of_claims_is_one_insert_per_batch_and_each_id_is_won_once(
    db_engine: AsyncEngine, other_engine: AsyncEngine
) -> None:
    a = Claims(make_sessionmaker(db_engine), "a")
    b = Claims(make_sessionmaker(other_engine), "b")
    ids = list(range(1000, 1100))
    with statements(db_engine, "interaction_claims") as sent:
        # Both processes receive every interaction; `a` receives some of them twice.
        calls = [a.interaction(i) for i in ids] + [b.interaction(i) for i in ids]
        calls += [a.interaction(i) for i in ids[:10]]
        won = await asyncio.gather(*calls)
    by_id: dict[int, int] = {}
    for i, w in zip(ids + ids + ids[:10], won, strict=True):
        by_id[i] = by_id.get(i, 0) + int(w)
    assert set(by_id.values()) == {1}, "every interaction answered by exactly one process"
    assert 1 <= len(sent) <= 2, f"{len(sent)} INSERTs for 110 claims: not batched"
    # Claimed again later (a replayed event): lost by both.
    assert not any(await asyncio.gather(a.interaction(1000), b.interaction(1050)))
    assert await b.interaction(7)


async def test_concurrent_version_reads_share_one_select(
    db_engine: AsyncEngine, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    versions = CacheVersions(sessionmaker)
    await versions.bump(GUILD_SCOPE, 5)
    with statements(db_engine, "cache_versions") as sent:
        got = await asyncio.gather(
            *(versions.get(GUILD_SCOPE, g) for g in [5] * 50 + [6] * 50 + [7])
        )
    assert got == [1] * 50 + [0] * 51
    assert 1 <= len(sent) <= 2, f"{len(sent)} SELECTs for 101 reads: not shared"


async def test_a_shared_read_is_never_older_than_the_call() -> None:
    """A call made while a read is in flight waits for the next read (which sees a write that
    committed after the first read started), instead of taking the first read's answer."""
    version = 1
    started = asyncio.Event()
    release = asyncio.Event()

    async def read(keys: list[str]) -> list[int]:
        seen = version
        started.set()
        await release.wait()
        return [seen] * len(keys)

    trips: RoundTrips[str, int] = RoundTrips(read)
    first = asyncio.create_task(trips("g"))
    await started.wait()
    version = 2  # a write commits while the first read is in flight
    second = asyncio.create_task(trips("g"))
    third = asyncio.create_task(trips("g"))
    await asyncio.sleep(0)
    release.set()
    assert await first == 1
    assert (await second, await third) == (2, 2)
    assert trips.trips == 2


async def test_a_failed_trip_fails_its_callers_only_and_a_cancelled_caller_leaves_the_rest() -> (
    None
):
    calls = 0

    async def run(keys: list[int]) -> list[int]:
        nonlocal calls
        calls += 1
        await asyncio.sleep(0.01)
        if calls == 1:
            raise ConnectionError("database away")
        return [k * 10 for k in keys]

    trips: RoundTrips[int, int] = RoundTrips(run)
    failed = asyncio.gather(trips(1), trips(2), return_exceptions=True)
    await asyncio.sleep(0)
    later = [asyncio.create_task(trips(k)) for k in (3, 4)]
    await asyncio.sleep(0)
    later[0].cancel()
    assert all(isinstance(r, ConnectionError) for r in await failed)
    assert await later[1] == 40
