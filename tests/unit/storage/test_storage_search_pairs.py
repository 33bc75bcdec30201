"""SQLite's word-pair index (migration 0016, forumbot.storage.search.pairs): phrase-only
queries are answered from it, and every write of passages (loads, revisions, removals) keeps
it exactly in step with the passages."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from forumbot.config import Settings
from forumbot.domain.article import ParsedArticle
from forumbot.domain.query import QueryTerm
from forumbot.services.archive import ArchiveService
from forumbot.storage.archive import ArchiveRepository
from forumbot.storage.search import (
    pairs,
    refresh_pairs,
    refresh_term_lists,
    search_passages,
    sqlite,
)
from forumbot.storage.search.tokens import TextTokens

Sessions = async_sessionmaker[AsyncSession]


async def found(sessions: Sessions, query: str) -> list[str]:
    """The passages holding the whole query (partial matches left out)."""
    async with sessions() as session:
        hits = await search_passages(session, query, limit=20)
        return [h.text for h in hits if not h.partial]


def spy(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The SQL of every search statement from now on."""
    statements: list[str] = []
    original = sqlite.fetchall

    async def recording(session: AsyncSession, sql: str, params: dict[str, Any]) -> Any:
        statements.append(sql)
        return await original(session, sql, params)

    monkeypatch.setattr(sqlite, "fetchall", recording)
    return statements


async def index_state(session: AsyncSession) -> dict[str, tuple[int, int]]:
    """The pair index as FTS5 holds it: pair -> (passages, occurrences)."""
    await session.execute(
        text(
            "CREATE VIRTUAL TABLE IF NOT EXISTS temp.test_pairs_vocab"
            " USING fts5vocab(main, 'passage_pairs', 'row')"
        )
    )
    rows = await session.execute(text("SELECT term, doc, cnt FROM temp.test_pairs_vocab"))
    return {str(term): (int(doc), int(cnt)) for term, doc, cnt in rows.all()}


async def expected_state(session: AsyncSession) -> dict[str, tuple[int, int]]:
    """What the pair index must hold: the pairs of the passages stored now."""
    tokens = TextTokens()
    docs: Counter[str] = Counter()
    occurrences: Counter[str] = Counter()
    for (body,) in (await session.execute(text("SELECT text FROM passages"))).all():
        passage = pairs.pair_tokens(tokens(body))
        occurrences.update(passage)
        docs.update(set(passage))
    return {pair: (docs[pair], occurrences[pair]) for pair in docs}


async def assert_in_step(sessions: Sessions) -> None:
    async with sessions() as session:
        assert await session.scalar(text("SELECT count(*) FROM passage_pairs_pending")) == 0
        assert await session.scalar(text("SELECT count(*) FROM passage_pairs_gone")) == 0
        assert await index_state(session) == await expected_state(session)


def article(key: str, *paragraphs: str) -> ParsedArticle:
    return ParsedArticle(key=key, title=key.capitalize(), paragraphs=paragraphs)


async def test_a_phrase_is_answered_from_the_pair_index(
    sqlite_sessionmaker: Sessions, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with sqlite_sessionmaker() as session, session.begin():
        await ArchiveRepository(session).save_articles(
            [
                article("one", "The cat sat on the mat.", "The mat sat on the cat."),
                article("two", "Cats sitting on the mats, as cats do.", "Nothing about it."),
            ]
        )
    await assert_in_step(sqlite_sessionmaker)
    statements = spy(monkeypatch)
    assert await found(sqlite_sessionmaker, '"sat on the mat"') == ["The cat sat on the mat."]
    assert any("passage_pairs MATCH" in sql for sql in statements)
    # Stemmed as FTS5 stems ("cats sitting" is "cat sit"), several phrases all required.
    assert await found(sqlite_sessionmaker, '"cat sits" "on the mat"') == [
        "Cats sitting on the mats, as cats do."
    ]
    # A phrase and a word: the words' index, as before.
    statements.clear()
    assert await found(sqlite_sessionmaker, '"the cat" mat') == [
        "The cat sat on the mat.",
        "The mat sat on the cat.",
    ] or await found(sqlite_sessionmaker, '"the cat" mat') == [
        "The mat sat on the cat.",
        "The cat sat on the mat.",
    ]
    assert not any("passage_pairs MATCH" in sql for sql in statements)


async def test_phrases_skip_an_incomplete_pair_index(sqlite_sessionmaker: Sessions) -> None:
    async with sqlite_sessionmaker() as session, session.begin():
        await ArchiveRepository(session).save_article(article("one", "Red fox jumps high."))
    # A passage written behind the repository's back is pending until a refresh: phrases are
    # searched in the words' index meanwhile, and find it.
    async with sqlite_sessionmaker() as session, session.begin():
        await session.execute(
            text(
                "INSERT INTO passages (article_id, number, stable_id, text)"
                " SELECT id, 2, 'abcdefabcdefabcd', 'A red fox jumps again.' FROM articles"
            )
        )
    assert sorted(await found(sqlite_sessionmaker, '"red fox jumps"')) == [
        "A red fox jumps again.",
        "Red fox jumps high.",
    ]
    async with sqlite_sessionmaker() as session, session.begin():
        assert await refresh_pairs(session) == {"pairs_removed": 0, "pairs_added": 1}
    await assert_in_step(sqlite_sessionmaker)
    assert len(await found(sqlite_sessionmaker, '"red fox jumps"')) == 2


async def test_loading_keeps_the_pair_index_in_step(
    sqlite_sessionmaker: Sessions, tmp_path: Path
) -> None:
    """`forumbot load` (ArchiveService.load_paths): new files, a file replaced by a new
    version, an article removed; the index always holds exactly the stored passages' pairs."""
    service = ArchiveService(sqlite_sessionmaker, Settings(max_file_bytes=64 * 1024))
    docs = tmp_path / "docs"
    docs.mkdir()
    for n in range(3):
        (docs / f"doc{n}.txt").write_text(
            f"Title {n}\n\nThe working class of town {n}.\n\nA second paragraph, number {n}.\n"
        )
    await service.load_paths([docs])
    await assert_in_step(sqlite_sessionmaker)
    assert len(await found(sqlite_sessionmaker, '"the working class"')) == 3

    (docs / "doc1.txt").write_text(
        "Title 1\n\nThe ruling class of town 1.\n\nA second paragraph, number 1.\n"
    )
    report = await service.load_paths([docs])
    assert [item.status for item in report.loaded].count("revised") == 1
    await assert_in_step(sqlite_sessionmaker)
    assert len(await found(sqlite_sessionmaker, '"the working class"')) == 2
    assert await found(sqlite_sessionmaker, '"the ruling class"') == ["The ruling class of town 1."]

    async with sqlite_sessionmaker() as session, session.begin():
        repo = ArchiveRepository(session)
        article_id = await session.scalar(
            text("SELECT article_id FROM passages WHERE text LIKE 'The working class of town 0%'")
        )
        assert await repo.remove_article(int(article_id), removed_by="test") is not None
    await assert_in_step(sqlite_sessionmaker)
    assert await found(sqlite_sessionmaker, '"the working class"') == [
        "The working class of town 2."
    ]


async def test_pair_phrases_of_many_passages_are_ranked_from_pair_lists(
    sqlite_sessionmaker: Sessions, monkeypatch: pytest.MonkeyPatch
) -> None:
    for module in (sqlite, pairs):
        monkeypatch.setattr(module, "LIST_MIN_MATCHES", 2)
    monkeypatch.setattr(sqlite, "EXACT_LIMIT", 1)
    async with sqlite_sessionmaker() as session, session.begin():
        await ArchiveRepository(session).save_article(
            article(
                "foxes",
                "Red fox jumps. Red fox jumps. Red fox jumps.",
                "The red fox jumps once among many other words of this passage.",
                "A red fox runs and then the fox jumps.",  # both pairs, not the phrase
            )
        )
    async with sqlite_sessionmaker() as session, session.begin():
        report = await refresh_term_lists(session)
        listed = await session.scalars(
            text("SELECT term FROM search_terms WHERE term LIKE '%\\_%' ESCAPE '\\' ORDER BY term")
        )
        assert {"fox_jump", "red_fox"} <= set(listed)
        # Refreshing the words' lists leaves the pairs' lists alone.
        report = await refresh_term_lists(session)
        assert report["dropped"] == 0 and report["pairs_rebuilt"] == 0
    statements = spy(monkeypatch)
    assert await found(sqlite_sessionmaker, '"red fox jumps"') == [
        "Red fox jumps. Red fox jumps. Red fox jumps.",
        "The red fox jumps once among many other words of this passage.",
    ]
    assert any("search_term_passages" in sql and "passage_pairs" in sql for sql in statements)
    assert len(await found(sqlite_sessionmaker, '"red fox"')) == 3


async def test_a_phrase_ranked_from_word_lists_still_needs_its_words_adjacent(
    sqlite_sessionmaker: Sessions, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A phrase beside a word is ranked from the words' lists; a passage in the lists of the
    # phrase's words and of the word holds the phrase only where its words are adjacent.
    monkeypatch.setattr(sqlite, "LIST_MIN_MATCHES", 2)
    monkeypatch.setattr(sqlite, "EXACT_LIMIT", 1)
    async with sqlite_sessionmaker() as session, session.begin():
        await ArchiveRepository(session).save_article(
            article(
                "foxes",
                "Red fox jumps over the hedge.",
                "Red fox jumps twice, red fox jumps.",
                "Fox red jumps: the words, not the phrase.",
            )
        )
    async with sqlite_sessionmaker() as session, session.begin():
        await refresh_term_lists(session)
    hits = await found(sqlite_sessionmaker, '"red fox" jumps')
    assert sorted(hits) == ["Red fox jumps over the hedge.", "Red fox jumps twice, red fox jumps."]


async def test_a_prefix_reads_no_pair_lists(sqlite_sessionmaker: Sessions) -> None:
    async with sqlite_sessionmaker() as session, session.begin():
        await session.execute(
            text(
                "INSERT INTO search_terms (term, matches, max_passage_id)"
                " VALUES ('red', 5, 1), ('redden', 5, 1), ('red_fox', 5, 1)"
            )
        )
        params: dict[str, Any] = {}
        sql = sqlite._list_terms([QueryTerm("red", prefix=True)], params, "l")
        rows = await session.execute(text(sql), params)
        assert sorted(row[0] for row in rows.all()) == ["red", "redden"]


async def test_migration_marks_existing_passages_and_the_next_load_indexes_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import forumbot.storage.search as search_module
    from forumbot.storage.db import make_engine, make_sessionmaker, upgrade_database

    for module in (search_module, sqlite, pairs):
        monkeypatch.setattr(module, "LIST_MIN_MATCHES", 2)
    sqlite_url = f"sqlite+aiosqlite:///{(tmp_path / 'old.sqlite3').as_posix()}"
    await upgrade_database(sqlite_url, "0015_web_speed")
    engine = make_engine(sqlite_url)
    try:
        sessions = make_sessionmaker(engine)
        async with sessions() as session, session.begin():
            await ArchiveRepository(session).save_articles(
                [article(f"old{n}", f"The old phrase here, {n}.") for n in range(3)]
            )
            await refresh_term_lists(session)  # the words' lists, as a load before 0016 left them
        await upgrade_database(sqlite_url)
        async with sessions() as session:
            assert await session.scalar(text("SELECT count(*) FROM passage_pairs_pending")) == 3
        assert len(await found(sessions, '"old phrase"')) == 3  # without the pair index
        # A load that adds nothing builds the pair index and the pairs' ranking lists (the
        # archive has not grown, which alone would not rebuild lists).
        await ArchiveService(sessions, Settings(max_file_bytes=64 * 1024)).load_paths([])
        await assert_in_step(sessions)
        async with sessions() as session:
            listed = await session.scalars(
                text("SELECT term FROM search_terms WHERE term LIKE '%\\_%' ESCAPE '\\'")
            )
            assert "old_phrase" in set(listed)
        assert len(await found(sessions, '"old phrase"')) == 3
    finally:
        await engine.dispose()
