"""Per-guild ladder and slow-mode settings: stored JSON over LadderPolicy's defaults, cached."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from forumbot.services.coordination.versions import GUILD_SCOPE, bump_version
from forumbot.services.moderation.errors import ModerationError
from forumbot.services.moderation.ladder import LadderPolicy
from forumbot.services.moderation.types import utcnow
from forumbot.storage.models.moderation import ModGuildPolicy


class PolicyStore:
    def __init__(
        self, sessionmaker: async_sessionmaker[AsyncSession], default: LadderPolicy | None = None
    ) -> None:
        self._sessionmaker = sessionmaker
        self._default = default or LadderPolicy()
        self._cache: dict[int, LadderPolicy] = {}

    def forget(self, guild_id: int) -> None:
        self._cache.pop(guild_id, None)

    async def get(self, guild_id: int) -> LadderPolicy:
        cached = self._cache.get(guild_id)
        if cached is not None:
            return cached
        async with self._sessionmaker() as session:
            row = await session.get(ModGuildPolicy, guild_id)
        policy = self._merge(row.policy if row else None)
        self._cache[guild_id] = policy
        return policy

    def _merge(self, stored: dict[str, Any] | None) -> LadderPolicy:
        data = self._default.to_mapping()
        data.update(stored or {})
        return LadderPolicy.from_mapping(data)

    async def update(
        self, guild_id: int, changes: dict[str, Any], *, actor_id: int | None
    ) -> LadderPolicy:
        async with self._sessionmaker() as session, session.begin():
            row = await session.get(ModGuildPolicy, guild_id)
            stored = dict(row.policy) if row else {}
            stored.update(changes)
            try:
                policy = self._merge(stored)
            except ValueError as exc:
                raise ModerationError(f"Invalid moderation setting: {exc}") from None
            if row is None:
                row = ModGuildPolicy(guild_id=guild_id, policy=stored, updated_at=utcnow())
                session.add(row)
            row.policy, row.updated_by, row.updated_at = stored, actor_id, utcnow()
            await bump_version(session, GUILD_SCOPE, guild_id)
        self._cache.pop(guild_id, None)
        return policy
