"""Per-guild settings chosen by /setup: a real table row, cached, invalidated on every write."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from forumbot.services.coordination.versions import GUILD_SCOPE, bump_version
from forumbot.services.errors import NotConfigured
from forumbot.storage.models.discord import GuildSettings
from forumbot.storage.upsert import upsert


@dataclass(frozen=True, slots=True)
class GuildConfig:
    guild_id: int
    forum_channel_id: int
    modlog_channel_id: int
    moderator_role_id: int


class GuildSettingsService:
    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession]) -> None:
        self._sessionmaker = sessionmaker
        # guild_id -> config, or None when known to be unset (avoids a query per interaction).
        self._cache: dict[int, GuildConfig | None] = {}

    async def get(self, guild_id: int) -> GuildConfig | None:
        if guild_id in self._cache:
            return self._cache[guild_id]
        async with self._sessionmaker() as session:
            row = await session.get(GuildSettings, guild_id)
            config = _to_config(row) if row is not None else None
        self._cache[guild_id] = config
        return config

    async def require(self, guild_id: int) -> GuildConfig:
        config = await self.get(guild_id)
        if config is None:
            raise NotConfigured()
        return config

    async def configure(
        self,
        guild_id: int,
        *,
        forum_channel_id: int,
        modlog_channel_id: int,
        moderator_role_id: int,
    ) -> GuildConfig:
        values = {
            "forum_channel_id": forum_channel_id,
            "modlog_channel_id": modlog_channel_id,
            "moderator_role_id": moderator_role_id,
            "updated_at": datetime.now(UTC),
        }
        async with self._sessionmaker() as session, session.begin():
            # An upsert: two /setup runs at once (two admins, a double click reaching two
            # processes) both inserting the guild's first row made the slower one fail on the
            # primary key; now the later write wins, as it would one after the other.
            await upsert(
                session,
                GuildSettings.__table__,  # type: ignore[arg-type]
                {"guild_id": guild_id, **values},
                ["guild_id"],
                values,
            )
            await bump_version(session, GUILD_SCOPE, guild_id)
        config = GuildConfig(
            guild_id=guild_id,
            forum_channel_id=forum_channel_id,
            modlog_channel_id=modlog_channel_id,
            moderator_role_id=moderator_role_id,
        )
        self.invalidate(guild_id)
        return config

    def invalidate(self, guild_id: int) -> None:
        self._cache.pop(guild_id, None)


def _to_config(row: GuildSettings) -> GuildConfig:
    return GuildConfig(
        guild_id=row.guild_id,
        forum_channel_id=row.forum_channel_id,
        modlog_channel_id=row.modlog_channel_id,
        moderator_role_id=row.moderator_role_id,
    )
