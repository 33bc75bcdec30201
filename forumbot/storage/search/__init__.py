"""Full-text search over current passages, one interface over two engines (SQLite FTS5,
PostgreSQL tsvector).

Ranking (both engines), best first:
- passages whose text holds every word of the query (stop words aside, see
  `SearchQuery.ranked_terms`), by relevance: bm25 / ts_rank of the text, plus the article
  title's (an index over titles, 40x fewer rows than passages). Up to EXACT_LIMIT matches are
  all scored; a query matching more is ranked from its terms' ranking lists (the best
  LIST_SIZE passages of every term matching LIST_MIN_MATCHES or more, built by
  `refresh_term_lists`), then newest first past their depth;
- passages under an article title that holds every word;
- to fill a page, passages holding some of the words (`SearchHit.partial`), by relevance over
  the query's rarest words.
`order:newest` lists every-word matches newest first instead.

User text never reaches an engine's query syntax: `forumbot.domain.query.parse_query` makes a
neutral query; each term is quoted (FTS5) or passed as a bound parameter (PostgreSQL).
"""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from forumbot.domain.query import SearchQuery, parse_query
from forumbot.storage.search import pairs, postgres, sqlite
from forumbot.storage.search.common import (
    LIST_MIN_MATCHES,
    MATCH_CLOSE,
    MATCH_OPEN,
    MAX_ID,
    MAX_LIMIT,
    MAX_OFFSET,
    TIER_ALL,
    Ranked,
    SearchFilters,
    SearchHit,
    filter_sql,
    hits,
)
from forumbot.storage.search.sqlite import fts5_expression

__all__ = [
    "MATCH_CLOSE",
    "MATCH_OPEN",
    "SearchFilters",
    "SearchHit",
    "browse_passages",
    "count_matches",
    "fts5_expression",
    "rebuild_search_index",
    "refresh_pairs",
    "refresh_term_lists",
    "search_passages",
]


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
        libraries=filters.libraries,
    )
    dialect = session.get_bind().dialect.name
    if dialect == "sqlite":
        return await sqlite.search(session, parsed, filters, limit, offset)
    if dialect == "postgresql":
        return await postgres.search(session, parsed, filters, limit, offset)
    raise NotImplementedError(f"search is not implemented for {dialect}")


async def refresh_term_lists(session: AsyncSession, *, min_growth: float = 0.0) -> dict[str, int]:
    """Bring the frequent terms' ranking lists up to date (after loading articles); the caller
    commits. With `min_growth`, do nothing until the passages added since the lists were built
    make up that share of the archive: searches score those passages themselves meanwhile, and
    a refresh reads the whole term vocabulary (seconds at a million passages)."""
    if min_growth > 0:
        total = int(await session.scalar(text("SELECT count(*) FROM passages")) or 0)
        mark = await session.scalar(text("SELECT max(max_passage_id) FROM search_terms"))
        if mark is None:
            added = total if total >= LIST_MIN_MATCHES else 0
        else:
            added = int(
                await session.scalar(
                    text("SELECT count(*) FROM passages WHERE id > :mark"), {"mark": mark}
                )
                or 0
            )
        if (added == 0 or added < min_growth * total) and not await _no_pair_lists(session, total):
            return {"frequent_terms": 0, "rebuilt": 0, "dropped": 0, "skipped": 1}
    dialect = session.get_bind().dialect.name
    if dialect == "sqlite":
        return await sqlite.refresh_term_lists(session)
    if dialect == "postgresql":
        return await postgres.refresh_term_lists(session)
    raise NotImplementedError(f"search is not implemented for {dialect}")


async def _no_pair_lists(session: AsyncSession, total: int) -> bool:
    """SQLite: the word-pair index has no ranking lists yet (an archive just migrated to 0016),
    so a phrase of common words could only be listed newest first: build them now, not once
    the archive has grown."""
    if total < LIST_MIN_MATCHES or session.get_bind().dialect.name != "sqlite":
        return False
    if not await sqlite.has_pairs(session):
        return False
    listed = await session.scalar(
        text("SELECT 1 FROM search_terms WHERE term LIKE '%\\_%' ESCAPE '\\' LIMIT 1")
    )
    return listed is None


async def refresh_pairs(session: AsyncSession, *, most: int | None = None) -> dict[str, int]:
    """Bring SQLite's word-pair index up to date with the passages added, rewritten or deleted
    since (`forumbot.storage.search.pairs`; phrase searches do without it until then): every
    write of passages does, in its transaction. With `most`, nothing happens while more
    passages than that wait. The caller commits. PostgreSQL has no such index: nothing to do."""
    if session.get_bind().dialect.name != "sqlite" or not await sqlite.has_pairs(session):
        return {}
    return await pairs.refresh_pairs(session, most=most)


async def rebuild_search_index(session: AsyncSession) -> None:
    """Rebuild the full-text indexes and ranking lists from the tables (repair after edits made
    behind the triggers' back). The caller commits."""
    dialect = session.get_bind().dialect.name
    if dialect == "sqlite":
        await sqlite.rebuild_index(session)
    elif dialect == "postgresql":
        await postgres.rebuild_index(session)
    else:
        raise NotImplementedError(f"search is not implemented for {dialect}")


async def count_matches(
    session: AsyncSession,
    query: str | SearchQuery,
    *,
    filters: SearchFilters = SearchFilters(),
    cap: int = 1000,
) -> int:
    """How many passages hold every word of the query (with the filters), up to `cap` + 1
    (more means "over cap"). Title-only and partial matches are not counted."""
    parsed = query if isinstance(query, SearchQuery) else parse_query(query)
    if parsed.is_empty:
        return 0
    if filters.article_id is not None and not 0 < filters.article_id <= MAX_ID:
        return 0
    filters = SearchFilters(
        author=filters.author if filters.author is not None else parsed.author,
        article_id=filters.article_id,
        tag=filters.tag if filters.tag is not None else parsed.tag,
    )
    dialect = session.get_bind().dialect.name
    if dialect == "sqlite":
        return await sqlite.count(session, parsed, filters, cap)
    if dialect == "postgresql":
        return await postgres.count(session, parsed, filters, cap)
    raise NotImplementedError(f"search is not implemented for {dialect}")


async def browse_passages(
    session: AsyncSession, filters: SearchFilters, *, limit: int = 10, offset: int = 0
) -> tuple[list[SearchHit], int]:
    """A filter-only search (`author:`, `tag:`, an article): the matching articles' passages in
    archive order (article, then passage number), and how many there are."""
    if not (filters.author or filters.tag or filters.article_id is not None):
        return [], 0
    if filters.article_id is not None and not 0 < filters.article_id <= MAX_ID:
        return [], 0
    lower = "lower"
    if session.get_bind().dialect.name == "sqlite":
        from forumbot.storage.db import SQLITE_LOWER

        lower = SQLITE_LOWER
    params: dict[str, object] = {
        "limit": min(max(int(limit), 1), MAX_LIMIT),
        "offset": min(max(int(offset), 0), MAX_OFFSET),
    }
    # The articles first, then their passages by index: a join the planner may run the other
    # way round scans every passage (39 ms vs 1 ms at 200k passages for an author's 680).
    where = filter_sql(SearchFilters(author=filters.author, tag=filters.tag), params, lower=lower)
    chosen = f"SELECT a.id FROM articles AS a WHERE 1 = 1{where}"
    if filters.article_id is not None:
        chosen += " AND a.id = :article_id"
        params["article_id"] = int(filters.article_id)
    base = (
        "FROM passages AS p JOIN articles AS a ON a.id = p.article_id"
        f" WHERE p.article_id IN ({chosen})"
    )
    total = int((await session.execute(text(f"SELECT count(*) {base}"), params)).scalar_one())
    rows = (
        await session.execute(
            text(
                "SELECT p.id, p.article_id, a.title, a.author, p.number, p.stable_id, p.text,"
                f" NULL {base} ORDER BY p.article_id, p.number LIMIT :limit OFFSET :offset"
            ),
            params,
        )
    ).all()
    order = [Ranked(row[0], TIER_ALL, 0.0) for row in rows]
    return hits(rows, order), total
