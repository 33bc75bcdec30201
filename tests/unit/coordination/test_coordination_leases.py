"""Leases, claims and cache versions between processes sharing one database (SQLite and
PostgreSQL). A "process" here is its own engine and its own service objects."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from forumbot.bot.state import BotStateStore
from forumbot.services.coordination import (
    GUILD_SCOPE,
    CacheVersions,
    Claims,
    LeaseKeeper,
    Leases,
    StaleGuard,
)
from forumbot.services.coordination.claims import claim_message, revision_key
from forumbot.services.guilds import GuildSettingsService
from forumbot.services.moderation.policy import PolicyStore
from forumbot.storage.db import make_engine, make_sessionmaker
from forumbot.storage.models.coordination import MessageClaim


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 12, 5, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
async def other(db_url: str) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    """A second process's sessionmaker on the same database."""
    engine = make_engine(db_url)
    try:
        yield make_sessionmaker(engine)
    finally:
        await engine.dispose()


async def test_a_lease_is_held_by_one_process_until_it_expires(
    sessionmaker: async_sessionmaker[AsyncSession],
    other: async_sessionmaker[AsyncSession],
) -> None:
    clock = Clock()
    a = Leases(sessionmaker, "a", ttl=timedelta(seconds=15), clock=clock)
    b = Leases(other, "b", ttl=timedelta(seconds=15), clock=clock)
    assert await a.acquire("scheduler")
    assert not await b.acquire("scheduler")
    clock.now += timedelta(seconds=10)
    assert await a.acquire("scheduler")  # a renewal pushes the expiry on
    clock.now += timedelta(seconds=10)
    assert not await b.acquire("scheduler")
    holder = await b.holder_of("scheduler")
    assert holder is not None and holder[0] == "a"
    clock.now += timedelta(seconds=16)  # a stopped renewing: it died
    assert await b.holder_of("scheduler") is None
    assert await b.acquire("scheduler")
    assert not await a.acquire("scheduler")  # a comes back from a stall: it lost the lease


async def test_racing_processes_take_a_free_lease_once(
    sessionmaker: async_sessionmaker[AsyncSession],
    other: async_sessionmaker[AsyncSession],
) -> None:
    contenders = [Leases(sessionmaker if i % 2 else other, f"p{i}") for i in range(8)]
    won = await asyncio.gather(*(c.acquire("shard:0/2") for c in contenders))
    assert sum(won) == 1


async def test_acquire_all_takes_every_lease_or_none(
    sessionmaker: async_sessionmaker[AsyncSession],
    other: async_sessionmaker[AsyncSession],
) -> None:
    a, b = Leases(sessionmaker, "a"), Leases(other, "b")
    assert await a.acquire("shard:1/2")
    assert not await b.acquire_all(["shard:0/2", "shard:1/2"])
    assert await b.holder_of("shard:0/2") is None  # what b took on the way was given back
    await a.release("shard:1/2")
    assert await b.acquire_all(["shard:0/2", "shard:1/2"])


async def test_the_keeper_takes_over_a_dead_holders_lease_and_says_so(
    sessionmaker: async_sessionmaker[AsyncSession],
    other: async_sessionmaker[AsyncSession],
) -> None:
    clock = Clock()
    dead = Leases(sessionmaker, "dead", clock=clock)
    assert await dead.acquire("scheduler")
    keeper = LeaseKeeper(Leases(other, "standby", clock=clock))
    taken: list[str] = []
    keeper.on_acquired.append(taken.append)
    keeper.hold("scheduler")
    await keeper.round()
    assert not keeper.holds("scheduler") and taken == []
    clock.now += timedelta(seconds=16)
    await keeper.round()
    assert keeper.holds("scheduler") and taken == ["scheduler"]
    lost: list[str] = []
    keeper.on_lost.append(lost.append)
    clock.now += timedelta(seconds=16)
    assert await dead.acquire("scheduler")  # the keeper stalled past the ttl
    await keeper.round()
    assert not keeper.holds("scheduler") and lost == ["scheduler"]


async def test_a_message_revision_is_claimed_once_across_processes(
    sessionmaker: async_sessionmaker[AsyncSession],
    other: async_sessionmaker[AsyncSession],
) -> None:
    async def claim(maker: async_sessionmaker[AsyncSession], holder: str, text: str) -> bool:
        async with maker() as session, session.begin():
            return await claim_message(
                session,
                guild_id=1,
                message_id=42,
                revision=revision_key("message", text),
                holder=holder,
            )

    won = await asyncio.gather(*(claim(m, f"p{i}", "hi") for i, m in
                                 enumerate([sessionmaker, other] * 3)))  # fmt: skip
    assert sum(won) == 1
    assert await claim(other, "p9", "hi, edited")  # an edit is a new revision
    async with sessionmaker() as session:
        assert await session.scalar(select(func.count()).select_from(MessageClaim)) == 2


async def test_an_interaction_is_claimed_once(
    sessionmaker: async_sessionmaker[AsyncSession],
    other: async_sessionmaker[AsyncSession],
) -> None:
    a, b = Claims(sessionmaker, "a"), Claims(other, "b")
    results = await asyncio.gather(a.interaction(7), b.interaction(7), a.interaction(7))
    assert sum(results) == 1
    assert await b.interaction(8)


async def test_a_policy_change_in_one_process_reaches_the_others_cache(
    sessionmaker: async_sessionmaker[AsyncSession],
    other: async_sessionmaker[AsyncSession],
) -> None:
    mine, theirs = PolicyStore(sessionmaker), PolicyStore(other)
    guard = StaleGuard(CacheVersions(sessionmaker))
    guard.on_stale.append(mine.forget)
    assert await guard.check(5)  # first look: nothing cached can be trusted
    before = await mine.get(5)
    assert not await guard.check(5)
    await theirs.update(5, {"heat_messages": before.heat_messages + 7}, actor_id=1)
    assert (await mine.get(5)).heat_messages == before.heat_messages  # still the stale copy
    assert await guard.check(5)
    assert (await mine.get(5)).heat_messages == before.heat_messages + 7
    assert not await guard.check(5)
    assert await CacheVersions(other).get(GUILD_SCOPE, 5) == 1


async def test_processes_storing_bot_state_together_do_not_collide(
    sessionmaker: async_sessionmaker[AsyncSession],
    other: async_sessionmaker[AsyncSession],
) -> None:
    stores = [BotStateStore(sessionmaker), BotStateStore(other)] * 4
    await asyncio.gather(*(s.put("command_tree_hash:1", f"h{i}") for i, s in enumerate(stores)))
    assert (await stores[0].get("command_tree_hash:1") or "").startswith("h")


async def test_setup_run_at_once_in_two_processes_does_not_collide(
    sessionmaker: async_sessionmaker[AsyncSession],
    other: async_sessionmaker[AsyncSession],
) -> None:
    # Two admins (or one double click reaching two processes) run /setup on a new guild at
    # the same moment: a read-then-insert failed the slower one on the primary key.
    services = [GuildSettingsService(sessionmaker), GuildSettingsService(other)] * 4
    await asyncio.gather(
        *(
            s.configure(77, forum_channel_id=100 + i, modlog_channel_id=2, moderator_role_id=3)
            for i, s in enumerate(services)
        )
    )
    config = await GuildSettingsService(sessionmaker).require(77)
    assert 100 <= config.forum_channel_id < 108
    # Each write bumped the version other processes compare their caches with.
    assert await CacheVersions(other).get(GUILD_SCOPE, 77) == len(services)
