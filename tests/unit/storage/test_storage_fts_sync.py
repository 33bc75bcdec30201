"""The search index follows every write: new revisions, title changes, deleted articles."""

from __future__ import annotations

from dataclasses import replace

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from forumbot.domain.article import ParsedArticle
from forumbot.storage.archive import ArchiveRepository
from forumbot.storage.search import search_passages

Sessions = async_sessionmaker[AsyncSession]

ARTICLE = ParsedArticle(
    key="weather",
    title="Monsoon Notes",
    paragraphs=("Rain arrives in June.", "Farmers plant rice afterwards.", "Rivers swell."),
)


async def found(sessions: Sessions, query: str) -> list[tuple[str, int]]:
    async with sessions() as session:
        return [(h.title, h.passage) for h in await search_passages(session, query)]


async def check_index(session: AsyncSession) -> None:
    """SQLite: FTS5's own integrity check against the content (raises if out of sync)."""
    if session.get_bind().dialect.name == "sqlite":
        await session.execute(
            text("INSERT INTO passages_fts(passages_fts, rank) VALUES ('integrity-check', 1)")
        )


async def test_index_follows_revisions_and_title_changes(sessionmaker: Sessions) -> None:
    async with sessionmaker() as session, session.begin():
        article_id = (await ArchiveRepository(session).save_article(ARTICLE)).article_id
    assert await found(sessionmaker, "monsoon rice") == [("Monsoon Notes", 2)]

    revised = replace(
        ARTICLE,
        title="Typhoon Diary",
        paragraphs=("Wind arrives in June.", "Rain arrives in June.", "Rivers swell over banks."),
    )
    async with sessionmaker() as session, session.begin():
        assert (await ArchiveRepository(session).save_article(revised)).status == "revised"
        await check_index(session)

    assert await found(sessionmaker, "monsoon") == []
    assert await found(sessionmaker, "rice") == []
    assert await found(sessionmaker, "typhoon rain") == [("Typhoon Diary", 2)]
    assert await found(sessionmaker, "banks") == [("Typhoon Diary", 3)]

    async with sessionmaker() as session, session.begin():
        await session.execute(text("DELETE FROM articles WHERE id = :id"), {"id": article_id})
        await check_index(session)
        remaining = await session.scalar(text("SELECT count(*) FROM passages"))
    assert remaining == 0
    assert await found(sessionmaker, "typhoon") == []
    assert await found(sessionmaker, "rain") == []


async def test_rebuild_restores_a_lost_index(sessionmaker: Sessions) -> None:
    from forumbot.storage.search import rebuild_search_index

    async with sessionmaker() as session, session.begin():
        await ArchiveRepository(session).save_article(ARTICLE)
        if session.get_bind().dialect.name == "sqlite":
            await session.execute(
                text("INSERT INTO passages_fts(passages_fts) VALUES ('delete-all')")
            )
        else:
            await session.execute(text("UPDATE passages SET search_vector = NULL"))
    assert await found(sessionmaker, "rice") == []

    async with sessionmaker() as session, session.begin():
        await rebuild_search_index(session)
        await check_index(session)
    assert await found(sessionmaker, "rice") == [("Monsoon Notes", 2)]
