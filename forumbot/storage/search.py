"""Full-text search over current passages, one interface over two engines.

Ranking policy (both engines):
- Tier 0 first: passages whose own text contains every term. Tier 1 after, only to fill a page:
  passages that match only through their article's title. (A title weighted 5:1 across the
  board let "Dear Comrade Stalin," outrank the passages that discuss the words.)
- Within tier 0, word queries with fewer than RANK_WINDOW text matches are ranked by relevance
  (bm25 / ts_rank, where a matching title still helps). Queries with more matches ("common"),
  and on SQLite every query with a phrase or a prefix, list matches newest first: ranking them
  costs a scan of every match (and, for bm25, of each term's whole doclist), which was the slow
  tail (archive.md), while newest first stops after a page.

- SQLite: FTS5 table `passages_fts(title, text)` (porter, unicode61, diacritics removed, prefix
  index '2 3'), one statement per search (a probe for the RANK_WINDOW-th newest match decides
  the branch inside the statement), `snippet()` for highlights.
- PostgreSQL: stored `search_vector` (title A, text B; config `forumbot_english` = english +
  unaccent) with a GIN index, `ts_filter(..., '{b}')` for the tiers, `ts_rank`, and
  `ts_headline` on the final rows only.

User text never reaches an engine's query syntax: `forumbot.domain.query.parse_query` makes a
neutral query and each term is quoted (FTS5) or passed as a bound parameter (PostgreSQL).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession

from forumbot.domain.query import QueryTerm, SearchQuery, parse_query
from forumbot.storage.db import SQLITE_LOWER

MAX_LIMIT = 100
MAX_OFFSET = 10_000
MAX_ID = 2**31 - 1
MAX_FILTER_CHARS = 200
# bm25 weight of the title against the text, among passages whose text has every term (a
# passage that has the terms only through its article's title never outranks those).
TITLE_WEIGHT = 5.0
RANK_WINDOW = 2000  # matches ranked at most, for queries that match more passages than this
SNIPPET_TOKENS = 16
HIGHLIGHT_OPEN = HIGHLIGHT_CLOSE = "**"
ELLIPSIS = "…"
PG_CONFIG = "forumbot_english"
# An FTS5 query that matches no row, found at once (an empty phrase).
FTS5_NOTHING = '""'


@dataclass(frozen=True, slots=True)
class SearchFilters:
    author: str | None = None  # case-insensitive "contains"
    article_id: int | None = None
    tag: str | None = None  # case-insensitive equality


@dataclass(frozen=True, slots=True)
class SearchHit:
    article_id: int
    title: str
    author: str | None
    passage: int  # the passage number, as cited
    stable_id: str
    snippet: str  # passage text around the match, matches in **bold**
    text: str  # the whole passage


async def search_passages(
    session: AsyncSession,
    query: str | SearchQuery,
    *,
    filters: SearchFilters = SearchFilters(),
    limit: int = 10,
    offset: int = 0,
) -> list[SearchHit]:
    """Best passages first. Never raises on user text: a query without a searchable word
    returns []. `author:`/`tag:` written in the query apply when `filters` leaves them None."""
    parsed = query if isinstance(query, SearchQuery) else parse_query(query)
    limit = min(int(limit), MAX_LIMIT)
    offset = min(max(int(offset), 0), MAX_OFFSET)
    if parsed.is_empty or limit <= 0:
        return []
    if filters.article_id is not None and not 0 < filters.article_id <= MAX_ID:
        return []  # no such article (and out of range for an integer column)
    filters = SearchFilters(
        author=filters.author if filters.author is not None else parsed.author,
        article_id=filters.article_id,
        tag=filters.tag if filters.tag is not None else parsed.tag,
    )
    dialect = session.get_bind().dialect.name
    if dialect == "sqlite":
        return await _search_sqlite(session, parsed, filters, limit, offset)
    if dialect == "postgresql":
        return await _search_postgres(session, parsed, filters, limit, offset)
    raise NotImplementedError(f"search is not implemented for {dialect}")


def _like_contains(value: str) -> str:
    escaped = value.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _filter_sql(filters: SearchFilters, params: dict[str, Any], lower: str = "lower") -> str:
    """Conditions on `p` (passages) and `a` (articles), shared by both engines."""
    clauses = []
    if filters.author:
        clauses.append(f"{lower}(a.author) LIKE :author ESCAPE '\\'")
        params["author"] = _like_contains(" ".join(filters.author.split())[:MAX_FILTER_CHARS])
    if filters.article_id is not None:
        clauses.append("p.article_id = :article_id")
        params["article_id"] = int(filters.article_id)
    if filters.tag:
        clauses.append(
            "EXISTS (SELECT 1 FROM article_tags t WHERE t.article_id = a.id"
            f" AND {lower}(t.tag) = :tag)"
        )
        params["tag"] = " ".join(filters.tag.split()).lower()[:MAX_FILTER_CHARS]
    return "".join(f" AND {clause}" for clause in clauses)


def _hits(rows: Iterable[Sequence[Any]]) -> list[SearchHit]:
    """Rows of (article_id, title, author, number, stable_id, text, snippet)."""
    return [
        SearchHit(
            article_id=article_id,
            title=title,
            author=author,
            passage=number,
            stable_id=stable_id,
            snippet=snippet or "",
            text=passage_text,
        )
        for article_id, title, author, number, stable_id, passage_text, snippet in rows
    ]


# ---- SQLite FTS5 ----------------------------------------------------------------------------


def _fts5_string(value: str) -> str:
    return '"' + value.replace('"', '""') + '"'


def fts5_expression(query: SearchQuery) -> str:
    """An FTS5 MATCH expression in which every term is a quoted string (so no user text is
    ever read as FTS5 syntax); terms are ANDed, `prefix` terms end with `*`."""
    parts = []
    for term in query.terms:
        quoted = _fts5_string(term.text)
        parts.append(f"{quoted} *" if term.prefix else quoted)
    return " AND ".join(parts)


async def _sqlite_fetchall(
    session: AsyncSession, sql: str, params: dict[str, Any]
) -> Iterable[Sequence[Any]]:
    """Run one read statement with a single trip through aiosqlite's thread. SQLAlchemy's
    aiosqlite adapter makes four (cursor, execute, fetchall, close), each a thread hop of
    ~0.1 ms CPU, which was half the cost of a rare-word search. The statement runs on the
    session's own connection, so it sees the session's transaction."""
    connection = await session.connection()
    driver = (await connection.get_raw_connection()).driver_connection
    execute_fetchall = getattr(driver, "execute_fetchall", None)
    if execute_fetchall is None:  # not aiosqlite
        return (await session.execute(text(sql), params)).all()
    try:
        rows: Iterable[Sequence[Any]] = await execute_fetchall(sql, params)
    except sqlite3.Error as exc:  # as SQLAlchemy would raise it (e.g. OperationalError)
        raise DBAPIError.instance(sql, params, exc, sqlite3.Error) from exc
    return rows


def _ranked_expression(query: SearchQuery, expression: str) -> str:
    """What bm25 scores for tier 0; it matches the same rows as `{text} : (expression)`.

    bm25 walks the whole doclist of every phrase in it for its statistics. For one word, which
    has fewer than RANK_WINDOW text matches when this branch runs, the word is cheap: it goes in
    twice, over both columns (title weighted) and over the text, so among passages that contain
    it, a matching title helps. With several words one of them may be very common ("the"), and
    walking its doclist twice costs ~7 ms more at 200k passages: text only."""
    if len(query.terms) == 1:
        return f"({expression}) AND ({{text}} : ({expression}))"
    return f"{{text}} : ({expression})"


def _is_word_query(query: SearchQuery) -> bool:
    """Only whole words (no phrase of several words, no prefix): cheap to rank with bm25."""
    return not any(term.prefix or len(term.text.split()) > 1 for term in query.terms)


async def _search_sqlite(
    session: AsyncSession, query: SearchQuery, filters: SearchFilters, limit: int, offset: int
) -> list[SearchHit]:
    expression = fts5_expression(query)
    params: dict[str, Any] = {
        "match": expression,
        # Tier 0: every term in the passage text. Tier 1: the rest (a term only in the title).
        "text_match": f"{{text}} : ({expression})",
        "title_only": f"({expression}) NOT ({{text}} : ({expression}))",
        "ranked_match": _ranked_expression(query, expression),
        "nothing": FTS5_NOTHING,
        "title_weight": TITLE_WEIGHT,
        "need": offset + limit,
        "skip": RANK_WINDOW - 1,
        "limit": limit,
        "offset": offset,
        "open": HIGHLIGHT_OPEN,
        "close": HIGHLIGHT_CLOSE,
        "ellipsis": ELLIPSIS,
        "tokens": SNIPPET_TOKENS,
    }
    where = _filter_sql(filters, params, lower=SQLITE_LOWER)
    joins = (
        " JOIN passages AS p ON p.id = passages_fts.rowid JOIN articles AS a ON a.id = p.article_id"
        if where
        else ""
    )
    matches = f"FROM passages_fts{joins} WHERE passages_fts MATCH"
    # Snippets are made where the rows are found when they are listed newest first (only a
    # page of rows is produced). Making them afterwards row by row re-runs the MATCH for each
    # row, which for a prefix means merging all its words' doclists again (10 x 9 ms).
    snippet = "snippet(passages_fts, 1, :open, :close, :ellipsis, :tokens)"

    # One statement (one round trip through aiosqlite's thread). A branch that must not run gets
    # MATCH '""', which matches nothing at once: SQLite would still scan for a false constant
    # condition, so the switch has to be in the MATCH argument itself.
    if _is_word_query(query):
        # bm25 scores every match and scans each term's whole doclist for its statistics, which
        # made common words the slow tail (archive.md). A probe walks the text matches newest
        # first: if there are at least RANK_WINDOW, they are listed newest first (the walk stops
        # after a page), otherwise bm25 ranks them all.
        tier0 = f"""
            floor(f) AS (SELECT (SELECT passages_fts.rowid {matches} :text_match{where}
                                 ORDER BY passages_fts.rowid DESC LIMIT 1 OFFSET :skip)),
            tier0 AS MATERIALIZED (
                SELECT * FROM (
                    SELECT passages_fts.rowid AS id,
                           bm25(passages_fts, :title_weight, 1.0) AS score, NULL AS snippet
                    {matches} CASE WHEN (SELECT f FROM floor) IS NULL
                                   THEN :ranked_match ELSE :nothing END{where}
                    ORDER BY score, id DESC LIMIT :need)
                UNION ALL
                SELECT * FROM (
                    SELECT passages_fts.rowid AS id, 0.0 AS score, {snippet} AS snippet
                    {matches} CASE WHEN (SELECT f FROM floor) IS NULL
                                   THEN :nothing ELSE :text_match END{where}
                    ORDER BY passages_fts.rowid DESC LIMIT :need))"""
    else:
        # Phrases and prefixes: checking positions (or merging a prefix's words) for every
        # match is what costs, and bm25 would do it twice more for its statistics. Newest
        # first, which stops after a page.
        tier0 = f"""
            tier0 AS MATERIALIZED (
                SELECT * FROM (
                    SELECT passages_fts.rowid AS id, 0.0 AS score, {snippet} AS snippet
                    {matches} :text_match{where}
                    ORDER BY passages_fts.rowid DESC LIMIT :need))"""
    sql = f"""
        WITH {tier0},
        tier1 AS (
            SELECT * FROM (
                SELECT passages_fts.rowid AS id, 0.0 AS score, {snippet} AS snippet
                {matches} CASE WHEN (SELECT count(*) FROM tier0) < :need
                               THEN :title_only ELSE :nothing END{where}
                ORDER BY passages_fts.rowid DESC LIMIT :need)),
        top AS (
            SELECT id, 0 AS tier, score, snippet FROM tier0
            UNION ALL
            SELECT id, 1 AS tier, score, snippet FROM tier1
            ORDER BY tier, score, id DESC
            LIMIT :limit OFFSET :offset)
        SELECT p.article_id, a.title, a.author, p.number, p.stable_id, p.text,
               coalesce(top.snippet, (
                   SELECT {snippet} FROM passages_fts
                   WHERE passages_fts MATCH :match AND passages_fts.rowid = top.id)) AS snippet
        FROM top
        JOIN passages AS p ON p.id = top.id
        JOIN articles AS a ON a.id = p.article_id
        ORDER BY top.tier, top.score, top.id DESC
    """
    return _hits(await _sqlite_fetchall(session, sql, params))


# ---- PostgreSQL tsvector --------------------------------------------------------------------


def _tsquery_sql(term: QueryTerm, param: str) -> str:
    if term.prefix:
        # Prefix terms are letters/digits only (see QueryTerm), so quoting as a lexeme is safe.
        return f"to_tsquery('{PG_CONFIG}', :{param})"
    if term.phrase:
        return f"phraseto_tsquery('{PG_CONFIG}', :{param})"
    # plainto_tsquery splits "multi-agent" / "C++" into words the way to_tsvector did.
    return f"plainto_tsquery('{PG_CONFIG}', :{param})"


def postgres_tsquery(query: SearchQuery, params: dict[str, Any]) -> str:
    """SQL for a tsquery that ANDs every term; the terms go into `params`."""
    parts = []
    for index, term in enumerate(query.terms):
        name = f"term{index}"
        params[name] = f"'{term.text}':*" if term.prefix else term.text
        parts.append(_tsquery_sql(term, name))
    return " && ".join(f"({part})" for part in parts)


async def _search_postgres(
    session: AsyncSession, query: SearchQuery, filters: SearchFilters, limit: int, offset: int
) -> list[SearchHit]:
    params: dict[str, Any] = {}
    # Inlined (not a CTE) so the planner sees the tsquery and can tell rare from common terms.
    tsquery = postgres_tsquery(query, params)
    where = _filter_sql(filters, params)
    matches = (
        "FROM passages AS p JOIN articles AS a ON a.id = p.article_id"
        f" WHERE p.search_vector @@ ({tsquery}){where}"
    )
    # Tier 0: the passage text holds every term (weight B); the rest matched through the title.
    in_text = f"ts_filter(p.search_vector, '{{b}}') @@ ({tsquery})"
    params["window"] = RANK_WINDOW
    # asyncpg prepares statements; after five runs PostgreSQL may switch to a generic plan that
    # cannot see the tsquery and picks a full bitmap scan for common terms (~100 ms instead of
    # ~5). Custom plans for the rest of this transaction only.
    await session.execute(text("SELECT set_config('plan_cache_mode', 'force_custom_plan', true)"))
    # Same policy as SQLite. Counting up to the window stops early, so the probe is cheap.
    count = await session.scalar(
        text(f"SELECT count(*) FROM (SELECT 1 {matches} LIMIT :window) AS m"), params
    )
    if count is None or count < RANK_WINDOW:
        # Few matches: ts_rank over all of them (title A, text B), text matches first.
        top = f"""
            SELECT id, tier, CASE WHEN tier = 0 THEN rank ELSE 0 END AS score
            FROM (
                SELECT p.id, CASE WHEN {in_text} THEN 0 ELSE 1 END AS tier,
                       ts_rank(p.search_vector, ({tsquery})) AS rank
                {matches}
            ) AS ranked
            ORDER BY tier, score DESC, id DESC
            LIMIT :limit OFFSET :offset"""
    else:
        # Common query: ts_rank over 150k matches took ~300 ms at 200k passages. Text matches
        # newest first (a backward primary-key scan that stops after a page), then, only if the
        # page is not full, title-only matches (a one-time filter skips that scan otherwise).
        top = f"""
            WITH tier0 AS MATERIALIZED (
                SELECT p.id {matches} AND {in_text} ORDER BY p.id DESC LIMIT :need
            ),
            tier1 AS (
                SELECT p.id {matches} AND NOT ({in_text})
                    AND (SELECT count(*) FROM tier0) < :need
                ORDER BY p.id DESC LIMIT :need
            )
            SELECT id, 0 AS tier, 0.0 AS score FROM tier0
            UNION ALL
            SELECT id, 1 AS tier, 0.0 AS score FROM tier1
            ORDER BY tier, id DESC
            LIMIT :limit OFFSET :offset"""
        params["need"] = offset + limit
    options = (
        f"StartSel={HIGHLIGHT_OPEN}, StopSel={HIGHLIGHT_CLOSE}, MaxWords={SNIPPET_TOKENS + 8},"
        f' MinWords={SNIPPET_TOKENS // 2}, MaxFragments=1, FragmentDelimiter=" {ELLIPSIS} "'
    )
    sql = f"""
        WITH top AS ({top})
        SELECT p.article_id, a.title, a.author, p.number, p.stable_id, p.text,
               ts_headline('{PG_CONFIG}', p.text, ({tsquery}), :options) AS snippet
        FROM top JOIN passages AS p ON p.id = top.id JOIN articles AS a ON a.id = p.article_id
        ORDER BY top.tier, top.score DESC, top.id DESC
    """
    params.update(limit=limit, offset=offset, options=options)
    return _hits(await session.execute(text(sql), params))


# ---- maintenance ----------------------------------------------------------------------------


async def rebuild_search_index(session: AsyncSession) -> None:
    """Rebuild the full-text index from the passages table (repair after edits made behind the
    triggers' back, e.g. with sync disabled). The caller commits."""
    dialect = session.get_bind().dialect.name
    if dialect == "sqlite":
        await session.execute(text("INSERT INTO passages_fts(passages_fts) VALUES ('rebuild')"))
    elif dialect == "postgresql":
        # The trigger recomputes search_vector whenever `text` is assigned.
        await session.execute(text("UPDATE passages SET text = text"))
    else:
        raise NotImplementedError(f"search is not implemented for {dialect}")
