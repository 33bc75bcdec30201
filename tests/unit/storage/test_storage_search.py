"""search_passages: the same assertions on SQLite FTS5 and PostgreSQL tsvector."""

from __future__ import annotations

from collections.abc import Sequence

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from forumbot.domain.article import ParsedArticle
from forumbot.storage.archive import ArchiveRepository
from forumbot.storage.search import SearchFilters, SearchHit, search_passages

Sessions = async_sessionmaker[AsyncSession]

ARTICLES = [
    ParsedArticle(
        key="gardens",
        title="Community Gardens",
        paragraphs=(
            "Neighbours share tools and water in the allotment.",
            "Volunteers meet at the café every Saturday morning.",
            "Multi-agent systems coordinate irrigation schedules.",
        ),
        author="Ada Lovelace",
        tags=("Urban", "food"),
    ),
    ParsedArticle(
        key="cities",
        title="Planning Cities",
        paragraphs=(
            "Zoning rules decide where community gardens may grow.",
            "Open source software helps planners publish maps.",
            "C++ code still runs many traffic lights; who's maintaining it?",
        ),
        author="Grace Hopper",
        tags=("urban",),
    ),
    ParsedArticle(
        key="privacy",
        title="Secrets and Software",
        paragraphs=(
            "The text: secret keys must never be committed.",
            "Source code reviews find open questions, not open source licences.",
            "Stalin’s reply was “final” — or was it?",
        ),
        author="ÉLODIE Turing",
    ),
]

HOSTILE = [
    '"',
    'unbalanced "quote',
    "multi-agent",
    "C++",
    "who's",
    "NOT",
    "garden AND OR NOT NEAR",
    "NEAR(garden zoning, 2)",
    "text:secret",
    "title:gardens",
    "(((",
    ")]}",
    "*",
    "garden**",
    "^garden",
    "-garden",
    "+garden",
    "{title text}: garden",
    "💩🌱",
    "日本語のテキスト",
    "Привет мир",
    "!!!???...",
    "'; DROP TABLE passages; --",
    "a" * 10_000,
    "garden " * 2_000,
    "\x00\x01\x1f",
    "garden\x00zoning",
    "tab\tnew\nline\r",
    "author:",
    'tag:"',
    "\\",
    "%_",
]


@pytest.fixture
async def ids(sessionmaker: Sessions) -> dict[str, int]:
    async with sessionmaker() as session, session.begin():
        repo = ArchiveRepository(session)
        return {a.key: (await repo.save_article(a)).article_id for a in ARTICLES}


async def search(sessions: Sessions, query: str, **kwargs: object) -> list[SearchHit]:
    async with sessions() as session:
        return await search_passages(session, query, **kwargs)  # type: ignore[arg-type]


def keys(hits: list[SearchHit], ids: dict[str, int]) -> list[tuple[str, int]]:
    by_id = {v: k for k, v in ids.items()}
    return [(by_id[h.article_id], h.passage) for h in hits]


async def test_text_matches_rank_before_title_only_matches(
    sessionmaker: Sessions, ids: dict[str, int]
) -> None:
    # "gardens" is in the text of cities 1 and only in the title of the gardens article: the
    # passage that contains the word comes first, then the title-only matches, newest first.
    hits = await search(sessionmaker, "gardens")
    assert keys(hits, ids) == [("cities", 1), ("gardens", 3), ("gardens", 2), ("gardens", 1)]


async def test_hit_shape_and_highlight(sessionmaker: Sessions, ids: dict[str, int]) -> None:
    (hit,) = await search(sessionmaker, "irrigation")
    assert (hit.article_id, hit.title, hit.author, hit.passage) == (
        ids["gardens"],
        "Community Gardens",
        "Ada Lovelace",
        3,
    )
    assert hit.text == ARTICLES[0].paragraphs[2]
    assert "**irrigation**" in hit.snippet
    assert len(hit.stable_id) == 16


async def test_all_words_first_then_partial_matches(
    sessionmaker: Sessions, ids: dict[str, int]
) -> None:
    full = await search(sessionmaker, "planners maps")
    assert keys(full, ids) == [("cities", 2)]
    assert not full[0].partial
    # No passage holds both words: the page is filled with passages holding one, marked.
    partial = await search(sessionmaker, "planners irrigation")
    assert sorted(keys(partial, ids)) == [("cities", 2), ("gardens", 3)]
    assert all(h.partial for h in partial)
    # A question typed as a sentence: its stop words never block a match.
    (hit,) = await search(sessionmaker, "Why do the volunteers meet?")
    assert keys([hit], ids) == [("gardens", 2)]
    assert not hit.partial
    mixed = await search(sessionmaker, "volunteers saturday irrigation")
    assert keys(mixed, ids)[0] == ("gardens", 2)  # holds two of the three words
    assert all(h.partial for h in mixed)


async def test_phrase(sessionmaker: Sessions, ids: dict[str, int]) -> None:
    hits = await search(sessionmaker, '"open source"')
    assert sorted(keys(hits, ids)) == [("cities", 2), ("privacy", 2)]
    assert not any(h.partial for h in hits)
    # The words in another order are not the phrase: only partial matches.
    assert all(h.partial for h in await search(sessionmaker, '"source open"'))
    # Unclosed quote: a phrase to the end.
    assert keys(await search(sessionmaker, '"software helps'), ids) == [("cities", 2)]


async def test_prefix(sessionmaker: Sessions, ids: dict[str, int]) -> None:
    assert keys(await search(sessionmaker, "irrig*"), ids) == [("gardens", 3)]
    assert await search(sessionmaker, "irrigx*") == []


async def test_diacritics_and_stemming(sessionmaker: Sessions, ids: dict[str, int]) -> None:
    assert keys(await search(sessionmaker, "cafe"), ids) == [("gardens", 2)]
    assert keys(await search(sessionmaker, "CAFÉ"), ids) == [("gardens", 2)]
    assert keys(await search(sessionmaker, "volunteer"), ids) == [("gardens", 2)]


async def test_hyphen_and_symbols_are_words(sessionmaker: Sessions, ids: dict[str, int]) -> None:
    assert keys(await search(sessionmaker, "multi-agent"), ids) == [("gardens", 3)]
    assert keys(await search(sessionmaker, "C++ traffic"), ids) == [("cities", 3)]
    assert keys(await search(sessionmaker, "who's maintaining"), ids) == [("cities", 3)]
    # Typographic apostrophes and quotes in the text match plain ones typed by users.
    assert keys(await search(sessionmaker, "Stalin's reply"), ids) == [("privacy", 3)]
    assert keys(await search(sessionmaker, '"final"'), ids) == [("privacy", 3)]
    # Column syntax is literal text, not a column filter.
    assert keys(await search(sessionmaker, "text:secret"), ids) == [("privacy", 1)]
    # Punctuation never blocks a match (PostgreSQL's parser reads "/irrigation" as a file
    # path, and "open-source" as a compound that the text's "open source" does not hold).
    for query in ("/irrigation schedules/", "irrigation-schedules", "open-source software"):
        hits = await search(sessionmaker, query)
        assert hits and not hits[0].partial, query
    assert keys(await search(sessionmaker, "/irrigation schedules/"), ids) == [("gardens", 3)]
    phrase = await search(sessionmaker, '"open-source software"')
    assert keys([h for h in phrase if not h.partial], ids) == [("cities", 2)]


async def test_filters(sessionmaker: Sessions, ids: dict[str, int]) -> None:
    by_author = await search(sessionmaker, "gardens", filters=SearchFilters(author="grace"))
    assert keys(by_author, ids) == [("cities", 1)]
    assert keys(await search(sessionmaker, 'gardens author:"GRACE HOPPER"'), ids) == [("cities", 1)]
    assert await search(sessionmaker, "gardens", filters=SearchFilters(author="%")) == []
    by_article = await search(
        sessionmaker, "open", filters=SearchFilters(article_id=ids["privacy"])
    )
    assert keys(by_article, ids) == [("privacy", 2)]
    by_tag = await search(sessionmaker, "gardens tag:URBAN")
    assert {k for k, _ in keys(by_tag, ids)} == {"gardens", "cities"}
    assert (
        keys(await search(sessionmaker, "software", filters=SearchFilters(tag="food")), ids) == []
    )
    for article_id in (0, -1, 2**70):
        none = SearchFilters(article_id=article_id)
        assert await search(sessionmaker, "gardens", filters=none) == []
    accented = SearchFilters(author="élodie")  # SQLite's own lower() would miss É
    assert keys(await search(sessionmaker, "keys", filters=accented), ids) == [("privacy", 1)]
    huge = SearchFilters(author="x" * 10_000, tag="y" * 10_000)
    assert await search(sessionmaker, "gardens", filters=huge) == []


async def test_paging(sessionmaker: Sessions, ids: dict[str, int]) -> None:
    everything = await search(sessionmaker, "gardens", limit=10)
    assert len(everything) == 4  # 3 passages under the title + 1 in the text
    pages = [await search(sessionmaker, "gardens", limit=1, offset=i) for i in range(5)]
    assert [p[0] for p in pages[:4]] == everything
    assert pages[4] == []
    assert await search(sessionmaker, "gardens", limit=0) == []


async def test_empty_queries_return_nothing(sessionmaker: Sessions, ids: dict[str, int]) -> None:
    for query in ["", "   ", "***", '""', "author:ada", "!!!"]:
        assert await search(sessionmaker, query) == [], query


async def test_hostile_input_never_raises(sessionmaker: Sessions, ids: dict[str, int]) -> None:
    for query in HOSTILE:
        hits = await search(sessionmaker, query)
        assert isinstance(hits, list), query
    # Hostile wrapping around a real word still finds it.
    assert keys(await search(sessionmaker, '(irrigation" schedules'), ids) == [("gardens", 3)]
    # NOT is a word (a stop word), not an operator: "irrigation water" has partial matches.
    assert all(h.partial for h in await search(sessionmaker, "irrigation NOT water"))
    assert keys(await search(sessionmaker, "irrigation)"), ids) == [("gardens", 3)]


async def test_common_queries_are_ranked_from_term_lists(
    sessionmaker: Sessions, ids: dict[str, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    from forumbot.storage.search import postgres, refresh_term_lists, sqlite

    async with sessionmaker() as session, session.begin():
        repo = ArchiveRepository(session)
        await repo.save_article(
            ParsedArticle(key="old", title="Old", paragraphs=("Echo echo echo.",))
        )
        await repo.save_article(
            ParsedArticle(
                key="new",
                title="New",
                paragraphs=("A long passage that says echo once among many other words here.",),
            )
        )
    ranked = await search(sessionmaker, "echo")
    assert [h.title for h in ranked] == ["Old", "New"]  # bm25: the denser match first
    newest = await search(sessionmaker, "echo order:newest")
    assert [h.title for h in newest] == ["New", "Old"]
    assert "**echo**" in newest[0].snippet

    # A query matching more than EXACT_LIMIT passages is ranked from its terms' ranking lists
    # (built for terms matching LIST_MIN_MATCHES or more): the same order, not newest first.
    for module in (sqlite, postgres):
        monkeypatch.setattr(module, "EXACT_LIMIT", 1)
        monkeypatch.setattr(module, "LIST_MIN_MATCHES", 2)
    async with sessionmaker() as session, session.begin():
        report = await refresh_term_lists(session)
        assert report["rebuilt"] >= 1
        listed = await session.scalar(text("SELECT count(*) FROM search_term_passages"))
        assert listed
    from_lists = await search(sessionmaker, "echo")
    assert [h.title for h in from_lists] == ["Old", "New"]
    # A word without a list is known to be rare: its matches are scored at once, no count.
    rare = await search(sessionmaker, "irrigation")
    assert keys(rare, ids) == [("gardens", 3)] and not rare[0].partial
    assert "**echo**" in from_lists[0].snippet
    assert [h.title for h in await search(sessionmaker, "echo", limit=1, offset=1)] == ["New"]
    # Passages added after the lists were built are still found (scored at search time).
    async with sessionmaker() as session, session.begin():
        await ArchiveRepository(session).save_article(
            ParsedArticle(key="newer", title="Newer", paragraphs=("Echo echo echo echo!",))
        )
    assert sorted(h.title for h in await search(sessionmaker, "echo")) == ["New", "Newer", "Old"]
    # With min_growth, nothing is rebuilt until enough passages were added since.
    async with sessionmaker() as session, session.begin():
        assert (await refresh_term_lists(session, min_growth=0.9))["skipped"] == 1
        # A passage whose text changes leaves the lists (they would vouch for old words).
        old_id = await session.scalar(
            text("SELECT id FROM passages WHERE text = 'Echo echo echo.'")
        )
        assert await session.scalar(
            text("SELECT count(*) FROM search_term_passages WHERE passage_id = :id"), {"id": old_id}
        )
        await session.execute(
            text("UPDATE passages SET text = 'Nothing here.' WHERE id = :id"), {"id": old_id}
        )
        assert not await session.scalar(
            text("SELECT count(*) FROM search_term_passages WHERE passage_id = :id"), {"id": old_id}
        )
    assert "Old" not in [h.title for h in await search(sessionmaker, "echo")]
    # Refreshing again drops lists whose term no longer qualifies and keeps fresh ones.
    monkeypatch.setattr(sqlite, "LIST_MIN_MATCHES", 10**6)
    monkeypatch.setattr(postgres, "LIST_MIN_MATCHES", 10**6)
    async with sessionmaker() as session, session.begin():
        report = await refresh_term_lists(session)
        assert report["dropped"] >= 1
        assert not await session.scalar(text("SELECT count(*) FROM search_terms"))


async def test_partial_matches_weigh_a_rare_word_above_a_common_one(
    sessionmaker: Sessions, ids: dict[str, int]
) -> None:
    # No passage holds both words. "market" is in many passages, several times each; "zephyr"
    # in one. A question's best partial answer is the rare word's passage (bm25's inverse
    # document frequency; PostgreSQL's ts_rank alone weighs both words alike and put the
    # denser "market" passages first).
    async with sessionmaker() as session, session.begin():
        repo = ArchiveRepository(session)
        await repo.save_article(
            ParsedArticle(
                key="markets",
                title="Stalls",
                paragraphs=tuple(f"Market market market stall {n}." for n in range(6)),
            )
        )
        await repo.save_article(
            ParsedArticle(key="wind", title="Weather", paragraphs=("A zephyr came at dusk.",))
        )
    hits = await search(sessionmaker, "why does the market zephyr", limit=3)
    assert hits and hits[0].title == "Weather"
    assert all(h.partial for h in hits)


async def test_a_query_of_stop_words_alone_still_matches(
    sessionmaker: Sessions, ids: dict[str, int]
) -> None:
    # Stop words never block a match, and a query made only of them finds the passages that
    # hold them (PostgreSQL's english configuration indexes none of them).
    from forumbot.storage.search import count_matches

    hits = await search(sessionmaker, '"or was it"')
    assert keys([h for h in hits if not h.partial], ids) == [("privacy", 3)]
    assert keys(hits, ids)[0] == ("privacy", 3)
    assert "**was**" in hits[0].snippet
    the = {("gardens", 1), ("gardens", 2), ("privacy", 1)}
    assert set(keys(await search(sessionmaker, "the"), ids)) == the
    newest = await search(sessionmaker, "The order:newest")
    assert keys(newest, ids) == [("privacy", 1), ("gardens", 2), ("gardens", 1)]
    assert keys(await search(sessionmaker, "who's"), ids) == [("cities", 3)]
    async with sessionmaker() as session:
        assert await count_matches(session, "the") == 3
        assert await count_matches(session, "the", filters=SearchFilters(author="ada")) == 2
    assert keys(await search(sessionmaker, "the", limit=1, offset=2), ids)[0] in the


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
async def test_a_query_of_stop_words_reads_a_bounded_number_of_passages_on_postgresql(
    sessionmaker: Sessions, ids: dict[str, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    # No index holds PostgreSQL's stop words: such a query reads the newest STOP_SCAN passages
    # only (here the privacy article's three), so its cost does not grow with the archive.
    from forumbot.storage.search import count_matches, postgres

    async with sessionmaker() as session:
        assert session.get_bind().dialect.name == "postgresql"
        monkeypatch.setattr(postgres, "STOP_SCAN", 3)
        assert keys(await search(sessionmaker, "the"), ids) == [("privacy", 1)]
        assert await count_matches(session, "the") == 1
        monkeypatch.setattr(postgres, "STOP_MATCHES", 1)
        assert len(await search(sessionmaker, "was")) == 1


async def test_partial_matches_weigh_words_by_the_whole_archive(sessionmaker: Sessions) -> None:
    # A passage holding three of the words outranks one holding only the rarest, because
    # rarity is measured against the whole archive. On PostgreSQL the passage count comes
    # from the planner's statistics, which say 0 when ANALYZE ran before a load (here: on the
    # empty table); taken at its word, every word looked as common as the rarest.
    async with sessionmaker() as session, session.begin():
        if session.get_bind().dialect.name == "postgresql":
            await session.execute(text("ANALYZE passages"))
        repo = ArchiveRepository(session)
        filler = tuple(f"Nothing to see in paragraph number {n}." for n in range(30))
        await repo.save_article(ParsedArticle(key="filler", title="Filler", paragraphs=filler))
        others = tuple(f"Beta gamma delta {word}." for word in ("one", "two", "three"))
        await repo.save_article(ParsedArticle(key="others", title="Others", paragraphs=others))
        await repo.save_article(
            ParsedArticle(key="three", title="Three", paragraphs=("Beta, gamma and delta.",))
        )
        await repo.save_article(
            ParsedArticle(key="rare", title="Rare", paragraphs=("Only alpha here.",))
        )
    hits = await search(sessionmaker, "alpha beta gamma delta zeta", limit=3)
    assert hits and all(h.partial for h in hits)
    assert hits[0].title in ("Three", "Others")


async def test_a_long_prefix_is_highlighted_through_the_prefix_index(
    sqlite_sessionmaker: Sessions, monkeypatch: pytest.MonkeyPatch
) -> None:
    # SQLite: snippets look a prefix longer than three letters up by its first three (FTS5's
    # prefix index), then take the highlight off the words only those three letters matched.
    from forumbot.storage.search import sqlite

    async with sqlite_sessionmaker() as session, session.begin():
        await ArchiveRepository(session).save_articles(
            [
                ParsedArticle(
                    key="work",
                    title="Work",
                    paragraphs=(
                        "The world works while the workers rest and the world turns.",
                        "Words, worlds and worms. " * 12 + "Then one worker.",
                    ),
                )
            ]
        )
    statements: list[tuple[str, dict[str, object]]] = []
    original = sqlite.fetchall

    async def recording(session: AsyncSession, sql: str, params: dict[str, object]) -> object:
        statements.append((sql, params))
        return await original(session, sql, params)

    monkeypatch.setattr(sqlite, "fetchall", recording)
    hits = await search(sqlite_sessionmaker, "worke*")
    first, second = sorted(hits, key=lambda h: h.passage)
    assert "**workers**" in first.snippet and "**world**" not in first.snippet
    assert "**works**" not in first.snippet
    # The second passage's densest window of "wor*" words holds no "worke*": its snippet is
    # made around its first real match instead.
    assert "**worker**" in second.snippet and "**Words**" not in second.snippet
    assert any(params.get("snippet_any") == '"wor" *' for _sql, params in statements)


@pytest.mark.parametrize("title_few", [0, 1, 2, 20])
async def test_every_matching_title_weighs_however_many_titles_match(
    sqlite_sessionmaker: Sessions, monkeypatch: pytest.MonkeyPatch, title_few: int
) -> None:
    # SQLite scores the titles of the candidates' articles only, so no title is left out for
    # being past the best TITLE_LIMIT titles (gone; set to 1 here for the code before). The
    # matches a title adds to are found from either side: the titles' passages when at most
    # TITLE_FEW titles hold the word (here 2), each match's article otherwise.
    from forumbot.storage.search import sqlite

    monkeypatch.setattr(sqlite, "TITLE_LIMIT", 1, raising=False)
    monkeypatch.setattr(sqlite, "TITLE_FEW", title_few)
    async with sqlite_sessionmaker() as session, session.begin():
        await ArchiveRepository(session).save_articles(
            [
                ParsedArticle(key=key, title=title, paragraphs=("Zebra stripes again.",))
                for key, title in (("a", "Zebra notes"), ("b", "Zebra"), ("c", "Other notes"))
            ]
        )
    hits = await search(sqlite_sessionmaker, "zebra")
    assert [h.title for h in hits] == ["Zebra", "Zebra notes", "Other notes"]


@pytest.mark.parametrize("title_few", [0, 20])
async def test_partial_matches_weigh_their_titles_however_many_titles_match(
    sqlite_sessionmaker: Sessions, monkeypatch: pytest.MonkeyPatch, title_few: int
) -> None:
    # The partial tier adds the title's score as the every-word tier does, its matches under
    # the titles found either from the titles' passages (few titles) or by article lookups.
    from forumbot.storage.search import sqlite

    monkeypatch.setattr(sqlite, "TITLE_FEW", title_few)
    async with sqlite_sessionmaker() as session, session.begin():
        await ArchiveRepository(session).save_articles(
            [
                ParsedArticle(key=key, title=title, paragraphs=("Zebra stripes again.",))
                for key, title in (("a", "Other notes"), ("b", "Zebra notes"), ("c", "More"))
            ]
        )
    hits = await search(sqlite_sessionmaker, "zebra unicorn")
    assert [h.title for h in hits] == ["Zebra notes", "More", "Other notes"]
    assert all(h.partial for h in hits)


async def _listed_workers(
    sqlite_sessionmaker: Sessions, monkeypatch: pytest.MonkeyPatch
) -> list[tuple[str, dict[str, object]]]:
    """Three passages, "workers" listed as common (EXACT_LIMIT 1); returns the list into which
    every statement SQLite search runs from then on is recorded, with its parameters."""
    from forumbot.storage.search import refresh_term_lists, sqlite

    monkeypatch.setattr(sqlite, "EXACT_LIMIT", 1)
    monkeypatch.setattr(sqlite, "LIST_MIN_MATCHES", 2)
    async with sqlite_sessionmaker() as session, session.begin():
        await ArchiveRepository(session).save_articles(
            [
                ParsedArticle(key="a", title="A", paragraphs=("Workers workers workers.",)),
                ParsedArticle(key="b", title="B", paragraphs=("Workers once, among others.",)),
                ParsedArticle(key="c", title="C", paragraphs=("Nothing of the kind.",)),
            ]
        )
        await refresh_term_lists(session)
    statements: list[tuple[str, dict[str, object]]] = []
    original = sqlite.fetchall

    async def recording(session: AsyncSession, sql: str, params: dict[str, object]) -> object:
        statements.append((sql, params))
        return await original(session, sql, params)

    monkeypatch.setattr(sqlite, "fetchall", recording)
    return statements


async def test_a_prefix_of_a_listed_common_word_is_ranked_from_the_lists_uncounted(
    sqlite_sessionmaker: Sessions, monkeypatch: pytest.MonkeyPatch
) -> None:
    # SQLite: a single prefix that starts a word known to match more than EXACT_LIMIT passages
    # goes to the ranking lists without counting its matches (a count merges the lists of
    # every word the prefix starts). Same ranking as the counted plan.

    statements = await _listed_workers(sqlite_sessionmaker, monkeypatch)
    assert [h.title for h in await search(sqlite_sessionmaker, "worke*")] == ["A", "B"]
    assert any(params.get("big_lo") == "worke" for _sql, params in statements)
    assert any("search_term_passages" in sql for sql, _params in statements)


async def test_a_listed_common_word_is_ranked_from_the_lists_in_one_statement(
    sqlite_sessionmaker: Sessions, monkeypatch: pytest.MonkeyPatch
) -> None:
    # SQLite: the statement that counts the matches also ranks them from the lists when they
    # are over EXACT_LIMIT (it was two statements), and a word whose list was built from more
    # than COMMON_MATCHES passages is not counted at all. Same ranking either way.
    from forumbot.storage.search import sqlite

    statements = await _listed_workers(sqlite_sessionmaker, monkeypatch)
    for common_matches in (10**6, 1):  # counted, then known to be common
        monkeypatch.setattr(sqlite, "COMMON_MATCHES", common_matches)
        statements.clear()
        hits = await search(sqlite_sessionmaker, "workers")
        assert [h.title for h in hits] == ["A", "B"]
        assert "**Workers**" in hits[0].snippet
        assert len(statements) == 1 and "search_term_passages" in statements[0][0]
        assert statements[0][1]["big_term"] == "worker"
    # A page past the lists' candidates: the newest matches past their depth, same statement.
    statements.clear()
    assert [h.title for h in await search(sqlite_sessionmaker, "workers", offset=1)] == ["B"]
    assert len(statements) == 1


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
async def test_partial_matches_past_the_budget_come_from_the_rarer_words_list_on_postgresql(
    sessionmaker: Sessions, ids: dict[str, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Both words are in more passages than the partial budget, so both counts stop at the cap.
    # The rarer one (by its ranking list) is the one whose passages fill the page, read from
    # its list rather than by scoring all of its matches; before, the tie went to the first.
    from forumbot.storage.search import postgres, refresh_term_lists

    async with sessionmaker() as session, session.begin():
        repo = ArchiveRepository(session)
        await repo.save_article(
            ParsedArticle(
                key="markets",
                title="Stalls",
                paragraphs=tuple(f"Market stall number {n}." for n in range(8)),
            )
        )
        await repo.save_article(
            ParsedArticle(
                key="wind",
                title="Weather",
                paragraphs=tuple(f"A zephyr came at dusk {n}." for n in range(3)),
            )
        )
    monkeypatch.setattr(postgres, "LIST_MIN_MATCHES", 2)
    monkeypatch.setattr(postgres, "PARTIAL_BUDGET", 1)
    async with sessionmaker() as session, session.begin():
        await refresh_term_lists(session)
        listed = await session.scalars(text("SELECT term FROM search_terms"))
        assert {"market", "zephyr"} <= set(listed)
    hits = await search(sessionmaker, "market zephyr", limit=5)
    assert [h.title for h in hits] == ["Weather"] * 3
    assert all(h.partial for h in hits)


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
async def test_search_settings_last_for_the_transaction_only_on_postgresql(
    sessionmaker: Sessions, ids: dict[str, int]
) -> None:
    # No JIT (compiling a search plan cost more than running it) and SSD page costs, for the
    # search's own transaction: the session's later transactions get the server's settings.
    async with sessionmaker() as session:
        before = await session.scalar(text("SELECT current_setting('random_page_cost')"))
        await session.commit()
        async with session.begin():
            assert await search_passages(session, "gardens")
            assert await session.scalar(text("SELECT current_setting('jit')")) == "off"
            assert await session.scalar(text("SELECT current_setting('random_page_cost')")) == "1.1"
        assert await session.scalar(text("SELECT current_setting('random_page_cost')")) == before


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
async def test_searches_sharing_a_transaction_find_what_each_finds_alone_on_postgresql(
    sessionmaker: Sessions, ids: dict[str, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    # A relevance search's first statement runs with a generic plan, the ranking lists' and
    # partial matches' statements with custom plans: searches of every kind, one after the
    # other in one transaction (the mode switching back and forth), find what each finds in a
    # transaction of its own, and the server's plan_cache_mode is back after the transaction.
    from forumbot.storage.search import postgres, refresh_term_lists

    monkeypatch.setattr(postgres, "EXACT_LIMIT", 1)
    monkeypatch.setattr(postgres, "LIST_MIN_MATCHES", 2)
    async with sessionmaker() as session, session.begin():
        await refresh_term_lists(session)
    queries = ["open", "gardens", "irrigation water", "open zephyr", "sour*", '"open source"']
    queries += ["open order:newest", "the", "gardens", "open"]
    alone = [keys(await search(sessionmaker, q), ids) for q in queries]
    assert all(alone[:4])
    async with sessionmaker() as session:
        before = await session.scalar(text("SELECT current_setting('plan_cache_mode')"))
        await session.commit()
        async with session.begin():
            shared = [keys(await search_passages(session, q), ids) for q in queries]
        assert shared == alone
        assert await session.scalar(text("SELECT current_setting('plan_cache_mode')")) == before


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
async def test_a_stemmed_prefix_is_not_taken_for_a_listed_word_it_does_not_match_on_postgresql(
    sessionmaker: Sessions, ids: dict[str, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    # A one-prefix query skips counting its matches when a listed word it starts is common.
    # `happy*` is looked for as `happi*` (stemmed): the listed `happyland` starts with the
    # letters typed but is not one of its matches, so the matches are counted and ranked
    # (the denser passage first), not read newest first past lists that hold none of them.
    from forumbot.storage.libraries import SHARED_LIBRARY
    from forumbot.storage.search import postgres, refresh_term_lists

    async with sessionmaker() as session, session.begin():
        repo = ArchiveRepository(session)
        await repo.save_article(
            ParsedArticle(key="dense", title="Dense", paragraphs=("Happy happy happy.",))
        )
        await repo.save_article(
            ParsedArticle(
                key="sparse",
                title="Sparse",
                paragraphs=("A long passage that is happy once among many other words here.",),
            )
        )
        await repo.save_article(
            ParsedArticle(
                key="land",
                title="Land",
                paragraphs=tuple(f"Happyland ride number {n}." for n in range(4)),
            )
        )
    monkeypatch.setattr(postgres, "LIST_MIN_MATCHES", 3)
    monkeypatch.setattr(postgres, "COMMON_PREFIX_MATCHES", 1)
    async with sessionmaker() as session, session.begin():
        await refresh_term_lists(session)
        assert "happyland" in set(await session.scalars(text("SELECT term FROM search_terms")))
    # As a guild searches (by library alone: the case where the count can be skipped).
    shared = SearchFilters(libraries=(SHARED_LIBRARY,))
    hits = await search(sessionmaker, "happy*", limit=2, filters=shared)
    assert [h.title for h in hits] == ["Dense", "Sparse"]


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
async def test_a_guild_limited_to_its_own_library_has_its_matches_ranked_on_postgresql(
    sessionmaker: Sessions, ids: dict[str, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Matches are counted on the text index alone (all libraries) only for a scope holding
    # the shared library. A guild that sees only its own has its own few matches ranked in
    # full (the denser first), not read from lists that hold other libraries' passages.
    from forumbot.storage.libraries import LibraryScope
    from forumbot.storage.search import postgres, refresh_term_lists

    guild = 77
    async with sessionmaker() as session, session.begin():
        shared = ArchiveRepository(session)
        for n in range(3):
            await shared.save_article(
                ParsedArticle(key=f"shared{n}", title=f"Shared {n}", paragraphs=("Echo echo.",))
            )
        own = ArchiveRepository(session, LibraryScope(home=guild, visible=(guild,)))
        await own.save_article(
            ParsedArticle(key="dense", title="Dense", paragraphs=("Echo echo echo echo.",))
        )
        await own.save_article(
            ParsedArticle(
                key="sparse",
                title="Sparse",
                paragraphs=("A long passage that says echo once among many other words here.",),
            )
        )
    monkeypatch.setattr(postgres, "LIST_MIN_MATCHES", 2)
    monkeypatch.setattr(postgres, "LIST_SIZE", 1)
    monkeypatch.setattr(postgres, "EXACT_LIMIT", 2)
    async with sessionmaker() as session, session.begin():
        await refresh_term_lists(session)
    hits = await search(sessionmaker, "echo", filters=SearchFilters(libraries=(guild,)))
    assert [h.title for h in hits] == ["Dense", "Sparse"]


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
async def test_a_guild_limited_to_its_own_library_gets_partial_matches_on_postgresql(
    sessionmaker: Sessions, ids: dict[str, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Partial matches of a word past the budget come from its ranking list only when the
    # scope rejects little: the list's best passages may all be outside a guild's own library.
    from forumbot.storage.libraries import LibraryScope
    from forumbot.storage.search import postgres, refresh_term_lists

    guild = 78
    async with sessionmaker() as session, session.begin():
        shared = ArchiveRepository(session)
        for n in range(3):
            await shared.save_article(
                ParsedArticle(key=f"m{n}", title=f"Market {n}", paragraphs=("Market market.",))
            )
        own = ArchiveRepository(session, LibraryScope(home=guild, visible=(guild,)))
        await own.save_article(
            ParsedArticle(
                key="stall",
                title="Stall",
                paragraphs=("A long passage about one market among many other words.",),
            )
        )
    monkeypatch.setattr(postgres, "LIST_MIN_MATCHES", 2)
    monkeypatch.setattr(postgres, "LIST_SIZE", 1)
    monkeypatch.setattr(postgres, "PARTIAL_BUDGET", 1)
    async with sessionmaker() as session, session.begin():
        await refresh_term_lists(session)
    hits = await search(sessionmaker, "market zephyr", filters=SearchFilters(libraries=(guild,)))
    assert [h.title for h in hits] == ["Stall"] and hits[0].partial


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
async def test_a_phrase_is_ranked_among_the_scopes_matches_uncounted_on_postgresql(
    sessionmaker: Sessions, ids: dict[str, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    # A phrase is not counted over every library first (GIN cannot count phrase matches
    # without reading each candidate's row): its matches in the scope are scored as found, up
    # to EXACT_LIMIT. Here other libraries hold more than EXACT_LIMIT matches, and the lists
    # only theirs; the scope's two are ranked (the denser first), not listed newest first.
    from forumbot.storage.libraries import SHARED_LIBRARY, LibraryScope
    from forumbot.storage.search import postgres, refresh_term_lists

    guild, other = 79, 80
    async with sessionmaker() as session, session.begin():
        elsewhere = ArchiveRepository(session, LibraryScope(home=other, visible=(other,)))
        for n in range(3):
            await elsewhere.save_article(
                ParsedArticle(
                    key=f"loud{n}",
                    title=f"Loud {n}",
                    paragraphs=("Echo chamber echo chamber.",),
                )
            )
        own = ArchiveRepository(session, LibraryScope(home=guild, visible=(guild,)))
        await own.save_article(
            ParsedArticle(
                key="dense", title="Dense", paragraphs=("Echo chamber, echo chamber, said twice.",)
            )
        )
        await own.save_article(
            ParsedArticle(
                key="sparse",
                title="Sparse",
                paragraphs=("A long passage naming an echo chamber once among other words.",),
            )
        )
    monkeypatch.setattr(postgres, "LIST_MIN_MATCHES", 2)
    monkeypatch.setattr(postgres, "LIST_SIZE", 1)
    monkeypatch.setattr(postgres, "EXACT_LIMIT", 2)
    async with sessionmaker() as session, session.begin():
        await refresh_term_lists(session)
    scope = SearchFilters(libraries=(guild, SHARED_LIBRARY))
    hits = await search(sessionmaker, '"echo chamber"', filters=scope)
    assert [h.title for h in hits] == ["Dense", "Sparse"]


async def test_a_guild_gets_the_best_matches_when_a_page_holds_fewer(
    sessionmaker: Sessions, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A guild's library filter is checked on the matches best first until a page is found:
    # the page must be the best ones, not the first ones found (oldest first, on SQLite, if
    # the best-first order were lost), whether all matches are scored, read from the ranking
    # lists or taken as partial matches.
    from forumbot.storage.libraries import SHARED_LIBRARY
    from forumbot.storage.search import postgres, refresh_term_lists, sqlite

    async with sessionmaker() as session, session.begin():
        repo = ArchiveRepository(session)
        for n in range(4):  # the later, the denser
            words = ["echo"] * (n + 1) + ["plain"] * (6 - n)
            await repo.save_article(
                ParsedArticle(key=f"e{n}", title=f"Article {n}", paragraphs=(" ".join(words),))
            )
        # (passages without the word, so that it weighs something in bm25's idf)
        await repo.save_article(
            ParsedArticle(key="rest", title="Rest", paragraphs=("Plain words.",) * 6)
        )
    shared = SearchFilters(libraries=(SHARED_LIBRARY,))

    async def best(query: str) -> list[str]:
        return [h.title for h in await search(sessionmaker, query, limit=1, filters=shared)]

    assert await best("echo") == ["Article 3"]
    partial = await search(sessionmaker, "echo zephyr", limit=1, filters=shared)
    assert [h.title for h in partial] == ["Article 3"] and partial[0].partial
    for module in (sqlite, postgres):
        monkeypatch.setattr(module, "EXACT_LIMIT", 1)
        monkeypatch.setattr(module, "LIST_MIN_MATCHES", 2)
    async with sessionmaker() as session, session.begin():
        await refresh_term_lists(session)
    assert await best("echo") == ["Article 3"]


async def test_a_page_comes_with_the_statement_that_ranks_it(
    sqlite_sessionmaker: Sessions, monkeypatch: pytest.MonkeyPatch
) -> None:
    # SQLite: the page's rows and snippets are fetched by the statement that ranks them (one
    # statement for a word), and the words' match counts that partial matches need are taken
    # only when every-word matches leave the page short.
    from forumbot.storage.search import sqlite

    async with sqlite_sessionmaker() as session, session.begin():
        paragraphs = (*(f"Alpha beta number {n}." for n in range(12)), "Alpha alone.")
        await ArchiveRepository(session).save_articles(
            [ParsedArticle(key="pairs", title="Pairs", paragraphs=paragraphs)]
        )
    statements: list[list[Sequence[object]]] = []
    original = sqlite.fetchall

    async def recording(session: AsyncSession, sql: str, params: dict[str, object]) -> object:
        rows = list(await original(session, sql, params))
        statements.append(rows)
        return rows

    monkeypatch.setattr(sqlite, "fetchall", recording)
    hits = await search(sqlite_sessionmaker, "beta")
    assert len(hits) == 10 and all("**beta**" in h.snippet for h in hits)
    assert len(statements) == 1
    statements.clear()
    full = await search(sqlite_sessionmaker, "alpha beta")
    assert len(full) == 10 and not any(h.partial for h in full)
    assert len(statements) == 1
    assert not [row for row in statements[0] if row[0] == "count"]
    statements.clear()
    short = await search(sqlite_sessionmaker, "alpha beta", offset=10)
    assert [h.partial for h in short] == [False, False, True]
    assert short[2].text == "Alpha alone." and "**Alpha**" in short[2].snippet
    assert len(statements) == 2  # ranked with the counts, then the partial matches


def test_a_cut_prefix_highlight_stems_only_words_that_could_match(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # SQLite: which highlighted words a long prefix (or a word beside it) really matches is
    # told by stemming; a word that does not start as a unit does cannot match and is not
    # stemmed, and no word is stemmed twice.
    from forumbot.domain.query import QueryTerm
    from forumbot.storage.search import sqlite

    stemmed: list[str] = []
    original = sqlite.index_tokens

    def counting(value: str) -> tuple[str, ...]:
        stemmed.append(value)
        return original(value)

    monkeypatch.setattr(sqlite, "index_tokens", counting)
    keep = sqlite._matcher([QueryTerm("happi", prefix=True), QueryTerm("running")])
    stemmed.clear()
    assert keep("happy") and keep("Happiness") and keep("runs") and keep("happy")
    assert not keep("hapless") and not keep("world") and not keep("Rome")
    assert sorted(stemmed) == ["Rome", "hapless", "happy", "runs"]


async def test_a_long_question_is_searched(sessionmaker: Sessions, ids: dict[str, int]) -> None:
    # A long question pasted whole (a reference with its journal, volume and pages): every
    # word is a unit of the partial matches, and the statement must stay within SQLite's
    # limits (a table may be referenced at most 65,535 times in one statement).
    words = " ".join(f"w{n}x J.Numer.Anal.vol.{n}.no.{n}" for n in range(40))
    hits = await search(sessionmaker, f"irrigation schedules {words}")
    assert hits and hits[0].partial
