"""ArchiveRepository on a real migrated database (SQLite and PostgreSQL)."""

from __future__ import annotations

from dataclasses import replace

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from forumbot.domain.article import ParsedArticle, ParsedComment
from forumbot.storage.archive import ArchiveRepository, SaveOutcome, stable_passage_ids
from forumbot.storage.models import ArticleRevision, Passage

Sessions = async_sessionmaker[AsyncSession]

ARTICLE = ParsedArticle(
    key="essays/commons",
    title="Tending the Commons",
    paragraphs=("First paragraph.", "Second paragraph.", "Third paragraph.", "Second paragraph."),
    author="Ada Example",
    date="2024-05-01",
    source="seeds/commons.md",
    tags=("economics", "Governance"),
    comments=(ParsedComment(1, "Nice piece.", "bob"), ParsedComment(2, "Disagree.", None)),
)


async def save(sessions: Sessions, article: ParsedArticle) -> SaveOutcome:
    async with sessions() as session, session.begin():
        return await ArchiveRepository(session).save_article(article)


async def count(sessions: Sessions, model: type) -> int:
    async with sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


def test_stable_ids_ignore_whitespace_and_number_repeats() -> None:
    a = stable_passage_ids("k", ["Hello  world", "x", "Hello world"])
    b = stable_passage_ids("k", ["Hello world", "Hello world"])
    assert a[0] == b[0] and a[2] == b[1] and a[0] != a[2]
    assert stable_passage_ids("other", ["Hello world"])[0] != b[0]


async def test_create_then_unchanged(sessionmaker: Sessions) -> None:
    first = await save(sessionmaker, ARTICLE)
    assert (first.status, first.revision) == ("created", 1)
    again = await save(sessionmaker, ARTICLE)
    assert again == SaveOutcome("unchanged", first.article_id, 1, ARTICLE.key)
    assert await count(sessionmaker, ArticleRevision) == 1

    async with sessionmaker() as session:
        repo = ArchiveRepository(session)
        (summary,) = await repo.list_articles()
        record = await repo.get_article(first.article_id)
    assert summary.title == "Tending the Commons"
    assert summary.tags == ("Governance", "economics")
    assert (summary.passages, summary.comments, summary.revision) == (4, 2, 1)
    assert record is not None
    assert [p.number for p in record.passages] == [1, 2, 3, 4]
    assert record.passages[1].text == "Second paragraph."
    # Repeated text gets its own id.
    assert record.passages[1].stable_id != record.passages[3].stable_id
    assert [(c.position, c.author, c.origin) for c in record.comments] == [
        (1, "bob", "imported"),
        (2, None, "imported"),
    ]


async def test_revision_keeps_ids_of_unchanged_passages(sessionmaker: Sessions) -> None:
    first = await save(sessionmaker, ARTICLE)
    async with sessionmaker() as session:
        before = await ArchiveRepository(session).get_article(first.article_id)
    assert before is not None

    edited = replace(
        ARTICLE,
        paragraphs=(
            "A new opening.",
            "First paragraph.",
            "Third paragraph, edited.",
            "Second paragraph.",
        ),
        comments=(ParsedComment(1, "Nice piece, updated.", "bob"),),
        tags=("economics",),
    )
    outcome = await save(sessionmaker, edited)
    assert (outcome.status, outcome.article_id, outcome.revision) == (
        "revised",
        first.article_id,
        2,
    )

    async with sessionmaker() as session:
        repo = ArchiveRepository(session)
        after = await repo.get_article(first.article_id)
        assert after is not None
        old_ids = {p.text: p.stable_id for p in before.passages[:3]}
        new = {p.text: p for p in after.passages}
        assert new["First paragraph."].stable_id == old_ids["First paragraph."]
        assert new["First paragraph."].number == 2
        assert new["Third paragraph, edited."].stable_id != old_ids["Third paragraph."]
        # The first occurrence of the repeated paragraph is now the only one: same id as before.
        assert new["Second paragraph."].stable_id == old_ids["Second paragraph."]
        assert after.tags == ("economics",)
        assert [c.text for c in after.comments] == ["Nice piece, updated."]

        # Old citations resolve through the revision snapshot.
        moved = await repo.resolve_passage(first.article_id, 1, 1)
        assert moved is not None and (moved.number, moved.text) == (2, "First paragraph.")
        assert await repo.resolve_passage(first.article_id, 1, 3) is None  # edited away
        assert await repo.resolve_passage(first.article_id, 9, 1) is None
        revisions = await repo.list_revisions(first.article_id)
        assert [r.number for r in revisions] == [1, 2]
        assert revisions[0].passage_ids == tuple(p.stable_id for p in before.passages)

    assert await count(sessionmaker, Passage) == 4
    assert (await save(sessionmaker, edited)).status == "unchanged"


async def test_discord_comments_survive_resync(sessionmaker: Sessions) -> None:
    first = await save(sessionmaker, ARTICLE)
    async with sessionmaker() as session, session.begin():
        added = await ArchiveRepository(session).add_comment(
            first.article_id, "From Discord", author="carol", discord_message_id=2**62
        )
    assert added.position == 3
    await save(sessionmaker, replace(ARTICLE, comments=()))
    async with sessionmaker() as session:
        record = await ArchiveRepository(session).get_article(first.article_id)
    assert record is not None
    assert [(c.text, c.origin, c.discord_message_id) for c in record.comments] == [
        ("From Discord", "discord", 2**62)
    ]


async def test_get_passages_and_suggest(sessionmaker: Sessions) -> None:
    first = await save(sessionmaker, ARTICLE)
    other = await save(
        sessionmaker, ParsedArticle(key="b", title="Commons 100% of the time", paragraphs=("x",))
    )
    async with sessionmaker() as session:
        repo = ArchiveRepository(session)
        passages = await repo.get_passages(first.article_id, 2, 3)
        assert [p.number for p in passages] == [2, 3]
        assert await repo.get_passages(first.article_id, 10, 12) == []
        assert await repo.get_article(999_999) is None

        titles = [s.title for s in await repo.suggest_articles("commons")]
        assert titles == ["Commons 100% of the time", "Tending the Commons"]
        assert [s.id for s in await repo.suggest_articles("100%")] == [other.article_id]
        assert await repo.suggest_articles("_%'\"") == []
        assert [s.id for s in await repo.suggest_articles(str(first.article_id))][:1] == [
            first.article_id
        ]
        assert len(await repo.suggest_articles("", limit=1)) == 1


async def test_suggest_folds_case_beyond_ascii(sessionmaker: Sessions) -> None:
    saved = await save(
        sessionmaker, ParsedArticle(key="eco", title="ÉCONOMIE Politique", paragraphs=("x",))
    )
    async with sessionmaker() as session:
        repo = ArchiveRepository(session)
        assert [s.id for s in await repo.suggest_articles("économie")] == [saved.article_id]
