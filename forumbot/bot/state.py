"""Small persistent state of the bot itself: key/value facts and saved search queries."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from forumbot.storage.models.discord import BotState, SearchSession
from forumbot.storage.upsert import upsert

MAX_QUERY_CHARS = 300


class BotStateStore:
    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession]) -> None:
        self._sessionmaker = sessionmaker

    async def get(self, key: str) -> str | None:
        async with self._sessionmaker() as session:
            row = await session.get(BotState, key)
            return row.value if row is not None else None

    async def put(self, key: str, value: str) -> None:
        # An upsert: two processes starting together both store the command-tree hash, and a
        # read-then-insert let the slower one crash on the primary key.
        async with self._sessionmaker() as session, session.begin():
            await upsert(
                session,
                BotState.__table__,  # type: ignore[arg-type]
                {"key": key, "value": value},
                ["key"],
                {"value": value},
            )


@dataclass(frozen=True, slots=True)
class SavedSearch:
    id: int
    query: str
    author: str | None
    article_id: int | None


class SearchSessionStore:
    """A /search is saved so that its buttons carry only a short id in their custom_id and keep
    working after a restart. A saved search belongs where it was made: its guild (in a DM, its
    user); a button that reaches the bot from anywhere else finds nothing."""

    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession]) -> None:
        self._sessionmaker = sessionmaker

    async def save(
        self,
        query: str,
        author: str | None,
        article_id: int | None,
        *,
        guild_id: int | None,
        user_id: int | None,
    ) -> SavedSearch:
        async with self._sessionmaker() as session:
            row = SearchSession(
                query=query[:MAX_QUERY_CHARS],
                author=(author or None),
                article_id=article_id,
                guild_id=guild_id,
                # In a guild the guild is the scope; in a DM nothing but the user is.
                user_id=user_id if guild_id is None else None,
            )
            session.add(row)
            await session.commit()
            return SavedSearch(row.id, row.query, row.author, row.article_id)

    async def get(
        self, search_id: int, *, guild_id: int | None, user_id: int | None
    ) -> SavedSearch | None:
        """The saved search, if it was made in `guild_id` (in a DM: by `user_id`)."""
        async with self._sessionmaker() as session:
            row = await session.get(SearchSession, search_id)
            if row is None or row.guild_id != guild_id:
                return None
            # Rows saved before searches were bound (guild and user unknown) are refused too.
            if guild_id is None and (row.user_id is None or row.user_id != user_id):
                return None
            return SavedSearch(row.id, row.query, row.author, row.article_id)
