"""ArchiveRepository.save_articles (the batched save) on SQLite and PostgreSQL: same results as
saving one at a time, for new, unchanged, revised and repeated keys in one call."""

from __future__ import annotations

from dataclasses import replace

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from forumbot.domain.article import ParsedArticle, ParsedComment
from forumbot.storage.archive import ArchiveRepository, stable_passage_ids
from forumbot.storage.models import ArticleRevision

Sessions = async_sessionmaker[AsyncSession]


def article(n: int, *extra: str) -> ParsedArticle:
    return ParsedArticle(
        key=f"batch/{n}",
        title=f"Batch {n}",
        paragraphs=(f"One of {n}.", f"Two of {n}.", "", *extra),
        author=f"Writer {n}",
        date=None,
        source=None,
        tags=("x", f"t{n}", "X"),
        comments=(ParsedComment(1, f"Comment on {n}", "ann"),),
    )


async def test_batch_of_new_unchanged_revised_and_repeated(sessionmaker: Sessions) -> None:
    async with sessionmaker() as session, session.begin():
        first = await ArchiveRepository(session).save_articles([article(1), article(2)])
    assert [(o.status, o.revision, o.passages) for o in first] == [("created", 1, 2)] * 2

    revised = article(2, "Three of 2.")
    async with sessionmaker() as session, session.begin():
        outcomes = await ArchiveRepository(session).save_articles(
            [article(3), article(1), revised, article(3, "More.")]
        )
    assert [(o.key, o.status, o.revision) for o in outcomes] == [
        ("batch/3", "created", 1),
        ("batch/1", "unchanged", 1),
        ("batch/2", "revised", 2),
        ("batch/3", "revised", 2),
    ]
    assert outcomes[0].article_id == outcomes[3].article_id
    assert outcomes[1].article_id == first[0].article_id

    async with sessionmaker() as session:
        repo = ArchiveRepository(session)
        record = await repo.get_article(first[1].article_id)
        assert record is not None
        assert [p.text for p in record.passages] == ["One of 2.", "Two of 2.", "Three of 2."]
        assert [p.stable_id for p in record.passages] == stable_passage_ids(
            "batch/2", ["One of 2.", "Two of 2.", "Three of 2."]
        )
        assert record.tags == ("t2", "x")
        assert [(c.position, c.text, c.origin) for c in record.comments] == [
            (1, "Comment on 2", "imported")
        ]
        revisions = (
            await session.scalars(
                select(ArticleRevision.number).where(
                    ArticleRevision.article_id == outcomes[3].article_id
                )
            )
        ).all()
        assert sorted(revisions) == [1, 2]
        assert [s.title for s in await repo.list_articles()] == ["Batch 1", "Batch 2", "Batch 3"]


async def test_failed_batch_leaves_nothing(sessionmaker: Sessions) -> None:
    broken = replace(article(2), title=None)  # type: ignore[arg-type]  # NOT NULL violation
    with pytest.raises(IntegrityError):
        async with sessionmaker() as session, session.begin():
            await ArchiveRepository(session).save_articles([article(1), broken])
    async with sessionmaker() as session:
        assert await ArchiveRepository(session).list_articles() == []
