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
    working after a restart."""

    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession]) -> None:
        self._sessionmaker = sessionmaker

    async def save(self, query: str, author: str | None, article_id: int | None) -> SavedSearch:
        async with self._sessionmaker() as session:
            row = SearchSession(
                query=query[:MAX_QUERY_CHARS], author=(author or None), article_id=article_id
            )
            session.add(row)
            await session.commit()
            return SavedSearch(row.id, row.query, row.author, row.article_id)

    async def get(self, search_id: int) -> SavedSearch | None:
        async with self._sessionmaker() as session:
            row = await session.get(SearchSession, search_id)
            if row is None:
                return None
            return SavedSearch(row.id, row.query, row.author, row.article_id)
