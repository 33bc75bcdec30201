"""Cache versions: a counter per (scope, guild) bumped by every write of the cached thing.

A process caching a guild's rule engine remembers the version it was built from and compares
before each screening: one primary-key read. Cheaper to get right than LISTEN/NOTIFY (no
connection to keep, nothing missed while it reconnects) and it works on SQLite too; the cost is
measured in bench/bench_scale.py. Reads made at the same moment (a burst of interactions in
a guild) share one SELECT; each is served by a read that started after it was asked for.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from forumbot.services.coordination.batch import RoundTrips
from forumbot.storage.models.coordination import CacheVersion
from forumbot.storage.upsert import upsert

# One counter for everything cached per guild (rules, ladder policy, /setup settings): they
# change rarely, and one read per screened message covers them all.
GUILD_SCOPE = "guild"


async def bump_version(session: AsyncSession, scope: str, guild_id: int) -> None:
    """In the caller's transaction, so the write and the bump commit together."""
    await upsert(
        session,
        CacheVersion.__table__,  # type: ignore[arg-type]
        {"scope": scope, "guild_id": guild_id, "version": 1},
        ["scope", "guild_id"],
        {"version": CacheVersion.__table__.c.version + 1},
    )


class CacheVersions:
    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession]) -> None:
        self._sessionmaker = sessionmaker
        self._reads: RoundTrips[tuple[str, int], int] = RoundTrips(self._read)

    @property
    def round_trips(self) -> int:
        return self._reads.trips

    async def get(self, scope: str, guild_id: int) -> int:
        return await self._reads((scope, guild_id))

    async def _read(self, keys: list[tuple[str, int]]) -> list[int]:
        found: dict[tuple[str, int], int] = {}
        async with self._sessionmaker() as session:
            for scope in dict.fromkeys(s for s, _ in keys):
                guilds = list(dict.fromkeys(g for s, g in keys if s == scope))
                rows = await session.execute(
                    select(CacheVersion.guild_id, CacheVersion.version).where(
                        CacheVersion.scope == scope, CacheVersion.guild_id.in_(guilds)
                    )
                )
                found.update(((scope, guild), int(version)) for guild, version in rows)
        return [found.get(key, 0) for key in keys]

    async def bump(self, scope: str, guild_id: int) -> None:
        async with self._sessionmaker() as session, session.begin():
            await bump_version(session, scope, guild_id)


class StaleGuard:
    """Before a guild's message is screened: has any process changed the guild's cached state
    since this process last looked? If so, `on_stale` listeners drop their copies."""

    def __init__(self, versions: CacheVersions) -> None:
        self._versions = versions
        self._seen: dict[int, int] = {}
        self.on_stale: list[Callable[[int], None]] = []
        self.checks = 0

    async def check(self, guild_id: int) -> bool:
        """True when the caches of `guild_id` were dropped (changed, or first look)."""
        self.checks += 1
        version = await self._versions.get(GUILD_SCOPE, guild_id)
        if self._seen.get(guild_id) == version:
            return False
        self._seen[guild_id] = version
        for listener in self.on_stale:
            listener(guild_id)
        return True
