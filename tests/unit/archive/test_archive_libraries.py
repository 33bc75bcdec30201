"""Each guild's library is its own: two guilds and the shared library, through ArchiveService,
the repository, search and publishing, on SQLite and PostgreSQL (db_url)."""

from __future__ import annotations

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from forumbot.config import Settings
from forumbot.domain.article import ParsedArticle
from forumbot.domain.civility.rules import RuleSet
from forumbot.services.archive import ArchiveService, ArticleNotFound
from forumbot.services.errors import InvalidInput, NotFound
from forumbot.services.moderation.backtest import backtest
from forumbot.services.publishing import PublishingService
from forumbot.storage.libraries import SHARED_LIBRARY, LibraryScope
from forumbot.storage.models.archive import Article
from tests.unit.publishing.test_publishing_outbox import FORUM, FakeForum

GUILD_A = 111_111_111_111_111_111
GUILD_B = 222_222_222_222_222_222


def article(key: str, title: str, *paragraphs: str) -> ParsedArticle:
    return ParsedArticle(key=key, title=title, paragraphs=paragraphs)


@pytest.fixture
def service(sessionmaker: async_sessionmaker[AsyncSession]) -> ArchiveService:
    return ArchiveService(sessionmaker, Settings(max_file_bytes=64 * 1024))


@pytest.fixture
async def loaded(service: ArchiveService) -> dict[str, int]:
    """The shared library holds "shared"; guild A and guild B each load a file with the same
    key ("notes") but their own words."""
    ids = {}
    (item,) = await service.store_articles(
        "shared.md", [article("common", "Harbour Almanac", "Tides turn twice a day.")]
    )
    ids["shared"] = item.article_id
    (item,) = await service.store_articles(
        "notes.md",
        [article("notes", "Alder Minutes", "The alderman spoke of marmalade.")],
        guild_id=GUILD_A,
    )
    ids["a"] = item.article_id
    (item,) = await service.store_articles(
        "notes.md",
        [article("notes", "Birch Minutes", "The beekeeper spoke of buckwheat.")],
        guild_id=GUILD_B,
    )
    ids["b"] = item.article_id
    assert len(set(ids.values())) == 3
    return ids


async def test_each_guild_lists_its_own_and_the_shared_library(
    service: ArchiveService, loaded: dict[str, int]
) -> None:
    assert {a.id for a in await service.list_articles(guild_id=GUILD_A)} == {
        loaded["a"],
        loaded["shared"],
    }
    assert {a.id for a in await service.list_articles(guild_id=GUILD_B)} == {
        loaded["b"],
        loaded["shared"],
    }
    # No guild (the command line without --guild): the shared library, as before libraries.
    assert [a.id for a in await service.list_articles()] == [loaded["shared"]]


async def test_search_autocomplete_resolve_and_cite_never_cross_guilds(
    service: ArchiveService, loaded: dict[str, int]
) -> None:
    assert [h.article_id for h in await service.search("marmalade", guild_id=GUILD_A)] == [
        loaded["a"]
    ]
    assert await service.search("marmalade", guild_id=GUILD_B) == []
    assert await service.search("marmalade") == []
    # Title-only and filtered searches are scoped too.
    assert await service.search("alder", guild_id=GUILD_B) == []
    assert await service.search("spoke", article_id=loaded["a"], guild_id=GUILD_B) == []
    assert await service.search("spoke order:newest", guild_id=GUILD_B) != []
    assert {h.article_id for h in await service.search("spoke order:newest", guild_id=GUILD_B)} == {
        loaded["b"]
    }
    assert [h.article_id for h in await service.search("tides", guild_id=GUILD_B)] == [
        loaded["shared"]
    ]

    assert [a.id for a in await service.suggest_articles("minutes", guild_id=GUILD_A)] == [
        loaded["a"]
    ]
    assert str(loaded["b"]) not in {
        str(a.id) for a in await service.suggest_articles(str(loaded["b"]), guild_id=GUILD_A)
    }
    with pytest.raises(ArticleNotFound):
        await service.resolve_article(str(loaded["b"]), guild_id=GUILD_A)
    with pytest.raises(ArticleNotFound):
        await service.resolve_article("Birch Minutes", guild_id=GUILD_A)
    # The key "notes" names one article per library: no ambiguity within a guild.
    assert (await service.resolve_article("notes", guild_id=GUILD_A)).id == loaded["a"]
    with pytest.raises(ArticleNotFound):
        await service.cite(loaded["b"], 1, guild_id=GUILD_A)
    with pytest.raises(ArticleNotFound):
        await service.cite_text(str(loaded["a"]), "1")  # the command line: shared only
    assert "marmalade" in await service.cite(loaded["a"], 1, guild_id=GUILD_A)


async def test_identity_is_per_library(service: ArchiveService, loaded: dict[str, int]) -> None:
    same = [article("notes", "Alder Minutes", "The alderman spoke of marmalade.")]
    (again,) = await service.store_articles("notes.md", same, guild_id=GUILD_A)
    assert (again.status, again.article_id) == ("unchanged", loaded["a"])
    # Guild A's exact content loaded by guild B revises B's own "notes", not A's.
    (other,) = await service.store_articles("notes.md", same, guild_id=GUILD_B)
    assert (other.status, other.article_id) == ("revised", loaded["b"])
    assert [h.article_id for h in await service.search("buckwheat", guild_id=GUILD_B)] == []
    assert [h.article_id for h in await service.search("marmalade", guild_id=GUILD_A)] == [
        loaded["a"]
    ]
    # The shared library's key loaded by a guild makes the guild's own article.
    shared_again = [article("common", "Harbour Almanac", "Tides turn twice a day.")]
    (copy,) = await service.store_articles("shared.md", shared_again, guild_id=GUILD_A)
    assert copy.status == "created" and copy.article_id != loaded["shared"]


async def test_operator_limits_the_shared_library_to_chosen_guilds(
    service: ArchiveService, loaded: dict[str, int]
) -> None:
    assert await service.limit_shared_library([GUILD_A]) == [GUILD_A]
    assert await service.scope(GUILD_B) == LibraryScope(home=GUILD_B, visible=(GUILD_B,))
    assert await service.search("tides", guild_id=GUILD_B) == []
    assert [a.id for a in await service.list_articles(guild_id=GUILD_B)] == [loaded["b"]]
    with pytest.raises(ArticleNotFound):
        await service.resolve_article(str(loaded["shared"]), guild_id=GUILD_B)
    assert [h.article_id for h in await service.search("tides", guild_id=GUILD_A)] == [
        loaded["shared"]
    ]
    overview = await service.libraries()
    assert overview.shared_with == [GUILD_A]
    assert overview.articles == {SHARED_LIBRARY: 1, GUILD_A: 1, GUILD_B: 1}

    assert await service.limit_shared_library([]) == []
    assert [h.article_id for h in await service.search("tides", guild_id=GUILD_B)] == [
        loaded["shared"]
    ]
    with pytest.raises(InvalidInput):
        await service.limit_shared_library([0])


async def test_publishing_refuses_another_guilds_article(
    sessionmaker: async_sessionmaker[AsyncSession], loaded: dict[str, int]
) -> None:
    publishing = PublishingService(sessionmaker, retry_delay=0)
    forum = FakeForum()
    with pytest.raises(NotFound):
        await publishing.publish(forum, guild_id=GUILD_B, forum_id=FORUM, article_id=loaded["a"])
    assert forum.threads == {} and await publishing.pending(GUILD_B) == []
    done = await publishing.publish(forum, guild_id=GUILD_A, forum_id=FORUM, article_id=loaded["a"])
    assert done.status == "published"
    shared = await publishing.publish(
        forum, guild_id=GUILD_B, forum_id=FORUM, article_id=loaded["shared"]
    )
    assert shared.status == "published"


async def test_backtest_runs_over_what_the_guild_sees(
    sessionmaker: async_sessionmaker[AsyncSession], loaded: dict[str, int]
) -> None:
    rules = RuleSet.from_yaml(
        "rules:\n  - id: jam\n    kind: words\n    guideline: no jam\n"
        "    action: hold\n    words: [marmalade]\n"
    )
    # (guild, passages seen, passages flagged): own + shared, or the shared library alone.
    for guild, passages, flagged in ((GUILD_A, 2, 1), (GUILD_B, 2, 0), (None, 1, 0)):
        report = await backtest(sessionmaker, rules, guild_id=guild)
        assert (report.by_source["passage"], report.flagged) == (passages, flagged), guild


async def test_repository_rows_record_their_library(
    sessionmaker: async_sessionmaker[AsyncSession], loaded: dict[str, int]
) -> None:
    async with sessionmaker() as session:
        a = await session.get(Article, loaded["a"])
        shared = await session.get(Article, loaded["shared"])
        assert a is not None and a.library_id == GUILD_A
        assert shared is not None and shared.library_id == SHARED_LIBRARY


async def test_every_search_path_is_scoped(
    service: ArchiveService,
    sessionmaker: async_sessionmaker[AsyncSession],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Ranking lists (a term more common than EXACT_LIMIT), partial matches, title matches and
    newest-first all keep to the guild's libraries."""
    from forumbot.storage.search import postgres, refresh_term_lists, sqlite

    owners = {}
    for guild, word in ((GUILD_A, "apple"), (GUILD_B, "bramble"), (None, "cedar")):
        items = await service.store_articles(
            f"{word}.md",
            [
                article(f"{word}{n}", f"{word.title()} Echo {n}", f"Echo echo {word} {n}.")
                for n in range(3)
            ],
            guild_id=guild,
        )
        owners.update({item.article_id: guild for item in items})
    for module in (sqlite, postgres):
        monkeypatch.setattr(module, "EXACT_LIMIT", 1)
        monkeypatch.setattr(module, "LIST_MIN_MATCHES", 2)
    async with sessionmaker() as session, session.begin():
        assert (await refresh_term_lists(session))["rebuilt"] >= 1
    allowed = {GUILD_B: {GUILD_B, None}, GUILD_A: {GUILD_A, None}, None: {None}}
    for guild in (GUILD_A, GUILD_B, None):
        for query in ("echo", "echo order:newest", "echo apple zebra", "bramble", "apple echo"):
            hits = await service.search(query, guild_id=guild, limit=20)
            assert {owners[h.article_id] for h in hits} <= allowed[guild], (guild, query)
        found = {owners[h.article_id] for h in await service.search("echo", guild_id=guild)}
        assert found == allowed[guild], guild
    # Every word of "apple echo" is only in guild A's passages: guild B still gets its own
    # passages holding some of the words (partial), not an empty page.
    partial = await service.search("apple echo", guild_id=GUILD_B, limit=5)
    assert partial and all(h.partial for h in partial)
    assert {owners[h.article_id] for h in partial} <= allowed[GUILD_B]
