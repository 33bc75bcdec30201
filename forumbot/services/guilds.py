"""Per-guild settings chosen by /setup: a real table row, cached, invalidated on every write."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from forumbot.services.coordination.versions import GUILD_SCOPE, bump_version
from forumbot.services.errors import NotConfigured
from forumbot.storage.models.discord import GuildSettings


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
        async with self._sessionmaker() as session:
            row = await session.get(GuildSettings, guild_id)
            if row is None:
                row = GuildSettings(guild_id=guild_id)
                session.add(row)
            row.forum_channel_id = forum_channel_id
            row.modlog_channel_id = modlog_channel_id
            row.moderator_role_id = moderator_role_id
            row.updated_at = datetime.now(UTC)
            await bump_version(session, GUILD_SCOPE, guild_id)
            await session.commit()
            config = _to_config(row)
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
