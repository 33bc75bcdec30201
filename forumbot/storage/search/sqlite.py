"""Search on SQLite FTS5: `passages_fts(text)` and `articles_fts(title)` (migration 0004), both
'porter unicode61 remove_diacritics 2' with prefix indexes '2 3'.

A search is mostly one statement, one trip through aiosqlite's thread (a trip costs ~0.1 ms of
CPU, a fair share of a 1 ms search). It counts the all-words matches (stopping past
EXACT_LIMIT) and, when there are no more than that, scores them all with bm25, adds the article
title's bm25 (TITLE_WEIGHT; one pass over the title index, not over passages), lists passages
under a title that holds every word, and fetches the page's rows with their snippets
(`_paged`). Past EXACT_LIMIT the terms' ranking lists rank it instead, in the same statement
(`_from_lists`): scoring every match of a common word is what made the slow tail, and bm25
also walks every match of each term once more for its statistics.

When every-word matches fill less than the page, each word's matches are counted (stopping
early; in the first statement when it can tell) and one more statement ranks passages holding
the query's rarest words (PARTIAL_BUDGET), marked partial. Branches that must not run get
`MATCH '""'`, which matches nothing at once (SQLite would still scan under a false constant).
"""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession

from forumbot.domain.query import ORDER_NEWEST, QueryTerm, SearchQuery
from forumbot.storage.db import SQLITE_LOWER
from forumbot.storage.search.common import (
    ELLIPSIS,
    EXACT_LIMIT,
    LIST_MIN_MATCHES,
    MATCH_CLOSE,
    MATCH_OPEN,
    PARTIAL_BUDGET,
    SNIPPET_TOKENS,
    TIER_ALL,
    TIER_MORE,
    TIER_PARTIAL,
    TIER_TITLE,
    TITLE_WEIGHT,
    Ranked,
    SearchFilters,
    SearchHit,
    filter_sql,
    hits,
    page,
    partial_terms,
)
from forumbot.storage.search.lists import sync_lists
from forumbot.storage.search.pairs import (
    USABLE,
    is_pair,
    pairs_expression,
    query_pairs,
    refresh_pair_lists,
    refresh_pairs,
)
from forumbot.storage.search.tokens import fold, index_tokens

NOTHING = '""'  # an FTS5 query that matches no row, found at once
TITLE_ARTICLES = 50  # articles whose title holds every word, for the title tier
# Up to this many titles holding a word of the query, the matches they add to are found among
# their passages (by article) rather than by looking up every match's article.
TITLE_FEW = 20
# Passages joined only for their article id: through the covering index (migration 0012), not
# the ~600-character rows (SQLite would take the rowid; at 1M passages each is a page read).
_PASSAGES = "passages AS p INDEXED BY ix_passages_id_article"


# ---- expressions ------------------------------------------------------------------------------


def _quoted(value: str) -> str:
    return '"' + value.replace('"', '""') + '"'


def _term_expression(term: QueryTerm) -> str:
    return f"{_quoted(term.text)} *" if term.prefix else _quoted(term.text)


def fts5_expression(terms: Sequence[QueryTerm], operator: str = "AND") -> str:
    """An FTS5 MATCH expression in which every term is a quoted string (so no user text is
    ever read as FTS5 syntax); `prefix` terms end with `*`."""
    return f" {operator} ".join(_term_expression(term) for term in terms)


# ---- one trip through aiosqlite ---------------------------------------------------------------


async def fetchall(
    session: AsyncSession, sql: str, params: dict[str, Any]
) -> Iterable[Sequence[Any]]:
    """Run one read statement with a single trip through aiosqlite's thread. SQLAlchemy's
    aiosqlite adapter makes four (cursor, execute, fetchall, close), each a thread hop of
    ~0.1 ms CPU. The statement runs on the session's own connection and transaction."""
    driver = await _driver(session)
    execute_fetchall = getattr(driver, "execute_fetchall", None)
    try:
        if execute_fetchall is None:  # not aiosqlite
            return (await session.execute(text(sql), params)).all()
        try:
            rows: Iterable[Sequence[Any]] = await execute_fetchall(sql, params)
        except sqlite3.Error as exc:  # as SQLAlchemy would raise it (e.g. OperationalError)
            raise DBAPIError.instance(sql, params, exc, sqlite3.Error) from exc
    except DBAPIError as exc:
        # A database not yet migrated to 0012 (an upgrade in progress, a test at an older
        # revision) has no covering index: the same statement through the table. A failed
        # prepare leaves the transaction as it was.
        if _PASSAGES not in sql or "no such index" not in str(exc.orig):
            raise
        return await fetchall(session, sql.replace(_PASSAGES, "passages AS p"), params)
    return rows


_DRIVER = "forumbot.search.sqlite_driver"


async def _driver(session: AsyncSession) -> Any:
    """The driver connection of the session's transaction (begun if need be). Asked once per
    transaction: the session's connection and its raw connection are two greenlet trips
    (~20 us, a tenth of a statement's overhead), the same answer while the transaction lasts."""
    transaction = session.get_transaction()
    known = session.info.get(_DRIVER)
    if transaction is not None and known is not None and known[0] is transaction:
        return known[1]
    connection = await session.connection()
    driver = (await connection.get_raw_connection()).driver_connection
    session.info[_DRIVER] = (session.get_transaction(), driver)
    return driver


# ---- search -----------------------------------------------------------------------------------


class _Plan:
    """The statement parts of one search."""

    def __init__(self, query: SearchQuery, filters: SearchFilters, limit: int, offset: int):
        self.query = query
        self.terms = query.ranked_terms
        self.units = partial_terms(self.terms)
        self.need = offset + limit
        self.params: dict[str, Any] = {
            "all": fts5_expression(self.terms),
            "any": fts5_expression(self.units, "OR"),
            "nothing": NOTHING,
            "need": self.need,
            "exact": EXACT_LIMIT,
            "exact_plus": EXACT_LIMIT + 1,
            "title_weight": TITLE_WEIGHT,
            "title_articles": TITLE_ARTICLES,
            "title_few": TITLE_FEW,
            "budget": PARTIAL_BUDGET + 1,
            "offset": offset,
            "open": MATCH_OPEN,
            "close": MATCH_CLOSE,
            "ellipsis": ELLIPSIS,
            "tokens": SNIPPET_TOKENS,
        }
        self.params["snippet_any"], self.cut = _snippet_expression(self.units)
        # The rows (as `hits` takes them) of the passages that the ranking statements found on
        # the page, by id; the page's others are fetched after (`_rows`).
        self.details: dict[int, Sequence[Any]] = {}
        self.where = filter_sql(filters, self.params, lower=SQLITE_LOWER)
        self.joins = (
            f" JOIN {_PASSAGES} ON p.id = passages_fts.rowid"
            " JOIN articles AS a ON a.id = p.article_id"
            if self.where
            else ""
        )
        # A guild's search always filters by library, and that filter rejects little (a guild
        # sees the shared library). Counting the all-words matches through the joins it needs
        # cost ~1 ms per common word (a passage and an article lookup per match, up to
        # EXACT_LIMIT), doubling a typical search: with no other filter the count that picks
        # the exact or the ranking-list plan is taken on the text index alone.
        self.count_unfiltered = filters.libraries is not None and not (
            filters.author or filters.article_id is not None or filters.tag
        )
        # Likewise the matches scored in full (at most EXACT_LIMIT, or the partial tier's
        # PARTIAL_BUDGET) are filtered after they are ranked, best first, until a page is found
        # (`_title_bonus`): an article lookup for each of them was ~1 ms of a 2,000-match query.
        # `late_scored` joins a CTE `s` of (id, score) to the passage's article, for them.
        late = self.count_unfiltered
        self.late_scored = (
            f" CROSS JOIN {_PASSAGES} ON p.id = s.id"
            " CROSS JOIN articles AS a ON a.id = p.article_id"
            if late
            else ""
        )
        self.late_where = self.where if late else ""
        # The text index searched for every-word matches and its query (`textq`, a CTE every
        # statement using them starts with): the words' index, or the word-pair index.
        self.fts = "passages_fts"
        self.textq = "textq(e) AS (SELECT :all)"
        self.pair_groups: list[list[str]] | None = None

    def use_pairs(self, groups: list[list[str]]) -> None:
        """Match every-word passages in `passage_pairs` (a phrase-only query): `textq` is
        NOTHING unless the pair index is complete, and then the statement says so."""
        self.fts = "passage_pairs"
        self.params["pairs"] = pairs_expression(groups)
        self.textq = f"textq(e) AS (SELECT CASE WHEN {USABLE} THEN :pairs ELSE :nothing END)"
        self.pair_groups = groups

    def token_groups(self) -> list[list[str]]:
        """Each term's tokens (a prefix's: none) in the text index searched."""
        if self.pair_groups is not None:
            return self.pair_groups
        return [[] if term.prefix else list(index_tokens(term.text)) for term in self.terms]

    def matches(self, expression: str, fts: str | None = None) -> str:
        """FROM/WHERE for passages matching `expression` (SQL) in `fts` (default the text index
        searched), with the filters."""
        fts = fts or self.fts
        joins = self.joins.replace("passages_fts", fts)
        return f"FROM {fts}{joins} WHERE {fts} MATCH {expression}{self.where}"

    def counted(self, expression: str, fts: str | None = None) -> str:
        """FROM/WHERE of the all-words count and of the matches scored in full (see
        `count_unfiltered`): without the library filter, which `late_where` then applies."""
        fts = fts or self.fts
        if self.count_unfiltered:
            return f"FROM {fts} WHERE {fts} MATCH {expression}"
        return self.matches(expression, fts)


def _best_first(candidates: str, more: str = "", titles: str = "titles") -> str:
    """The body of a CTE `scored`: the `candidates` (a CTE of id, article_id, score) with their
    title's score added, best first, for a scan that stops early (the filters are then checked
    only until a page is found). SQLite 3.40 drops the ORDER BY of a CTE that a join reads, as
    the filters' join with articles does: a LIMIT keeps it (-1: none). The join is a CROSS JOIN,
    which keeps that CTE the outer loop."""
    return f"""
            SELECT p.id, {more}p.article_id, p.score + :title_weight * coalesce(t.ts, 0) AS score
            FROM {candidates} AS p LEFT JOIN {titles} AS t ON t.aid = p.article_id
            ORDER BY score DESC LIMIT -1"""


def _titles(articles: str, name: str = "titles", match: str = ":any") -> str:
    """Title scores: bm25 of the titles holding any of the words, among the candidates'
    `articles` (SQL) only. The '+' keeps that set from FTS5, which would look each article up
    alone and compute bm25's statistics again for each (60 ms for 600 articles): FTS5 lists the
    matching titles, SQLite drops the others, bm25 runs for the rest. Scoring every matching
    title instead cost 7 ms at 200k passages for a phrase of common words ("as to the")."""
    return f"""{name} AS MATERIALIZED (
            SELECT rowid AS aid, -bm25(articles_fts) AS ts FROM articles_fts
            WHERE articles_fts MATCH {match} AND +articles_fts.rowid IN ({articles}))"""


def _real_json(value: str) -> str:
    """SQL: a REAL `value` as JSON text that `_json_real` reads back exactly (SQLite's JSON
    writes 15 significant digits: most scores came back rounded). Exact for every double of
    magnitude 1e-90 to 1e90 (checked on SQLite 3.40 over 300,000 random ones); scores and
    ids are."""
    return f"printf('%!.17g', {value})"


def _json_real(value: str) -> str:
    return f"CAST({value} AS REAL)"


def _title_bonus(matches: str, match: str = ":any") -> str:
    """CTEs ending in `scored` (id, score): the `matches` (SQL: a CTE of id, score, each id
    once) with their article title's score added (TITLE_WEIGHT), best first for a scan that
    stops early (ties oldest first, as the sort of the matches in id order used to keep them).
    `match` is the titles' query (the units ORed, or NOTHING when the statement takes another
    branch)."""
    return f"""
        -- The matches a title may add to, with their article: when few titles hold a word
        -- (TITLE_FEW), the matches among those titles' passages (read by article); otherwise
        -- every match, its article looked up (~1.3 us a match: most of a rare word's cost).
        tany AS MATERIALIZED (
            SELECT rowid AS aid FROM articles_fts WHERE articles_fts MATCH {match}
            LIMIT :title_few + 1),
        few(yes) AS (SELECT count(*) <= :title_few FROM tany),
        -- (`few` first, so that the branch not taken reads nothing; '+' keeps SQLite from
        -- reading the passages by the matches' ids rather than by the titles' articles)
        under AS MATERIALIZED (
            SELECT e.id, e.score, p.article_id
            FROM few CROSS JOIN {matches} AS e CROSS JOIN {_PASSAGES} ON p.id = e.id
            WHERE NOT few.yes
            UNION ALL
            SELECT p.id, NULL, p.article_id
            FROM few CROSS JOIN tany AS t CROSS JOIN passages AS p ON p.article_id = t.aid
            WHERE few.yes AND +p.id IN (SELECT id FROM {matches})),
        {_titles("SELECT article_id FROM under", match=match)},
        -- (few titles: the matches under them, each once)
        bonus AS MATERIALIZED (
            SELECT u.id, t.ts
            FROM few CROSS JOIN under AS u JOIN titles AS t ON t.aid = u.article_id
            WHERE few.yes),
        -- Every match with its article: its title's score joined. Few titles: the few
        -- matches under them looked up in `bonus` (an index of its ids, then a scan of it for
        -- each of those few: SQLite joined `bonus` without an index, a scan of it for each
        -- match, 60 ms for the 2,000 matches of a phrase of common words under common titles;
        -- summing the two by id instead cost a quarter of a partial fill).
        scored AS MATERIALIZED (
            SELECT u.id, u.score + :title_weight * coalesce(t.ts, 0) AS score
            FROM few CROSS JOIN under AS u LEFT JOIN titles AS t ON t.aid = u.article_id
            WHERE NOT few.yes
            UNION ALL
            SELECT e.id, CASE WHEN e.id IN (SELECT id FROM bonus)
                              THEN e.score + :title_weight * (
                                  SELECT b.ts FROM bonus AS b WHERE b.id = e.id)
                              ELSE e.score END
            FROM few CROSS JOIN {matches} AS e
            WHERE few.yes
            ORDER BY score DESC, id LIMIT -1)"""


# A page row's columns (`hits`, after the id): the passage, its article, its snippet.
_DETAILS = """p.article_id, a.title, a.author, p.number, p.stable_id, p.text,
               CASE WHEN p.id IS NOT NULL THEN (
                   SELECT snippet(passages_fts, 0, :open, :close, :ellipsis, :tokens)
                   FROM passages_fts
                   WHERE passages_fts MATCH :snippet_any AND passages_fts.rowid = p.id) END"""
_NO_DETAILS = ", ".join(["NULL"] * 7)


def _paged(found: str, before: str = "0") -> str:
    """A SELECT of ('hit', tier, id, score, details) for each row of `found` (SQL: a CTE of
    tier, id, score, each id once), with the details of the rows that fall on the page: `found`
    best first, as `page` orders it, after `before` (SQL) better ones. Fetching the page's rows
    and snippets in the statement that ranks them saves a statement (a trip through
    aiosqlite's thread, and its planning)."""
    return f"""
        SELECT 'hit', f.tier, f.id, f.score, {_DETAILS}
        FROM (SELECT tier, id, score,
                     {before} + row_number() OVER (ORDER BY tier, score DESC, id DESC) AS n
              FROM {found}) AS f
        LEFT JOIN passages AS p ON p.id = f.id AND f.n > :offset AND f.n <= :need
        LEFT JOIN articles AS a ON a.id = p.article_id"""


def _hits_of(plan: _Plan, rows: Iterable[Sequence[Any]]) -> list[Ranked]:
    """The 'hit' rows of `_paged` as ranked passages; their details kept in `plan.details`."""
    ranked = []
    for _kind, tier, row_id, score, *details in rows:
        ranked.append(Ranked(row_id, tier, score))
        if details[0] is not None:
            plan.details[row_id] = (row_id, *details)
    return ranked


async def search(
    session: AsyncSession, query: SearchQuery, filters: SearchFilters, limit: int, offset: int
) -> list[SearchHit]:
    plan = _Plan(query, filters, limit, offset)
    if query.order == ORDER_NEWEST:
        ranked = await _newest(session, plan)
    else:
        found = None
        groups = query_pairs(plan.terms)
        if groups is not None:  # phrases only: the word-pair index, when it is complete
            paired = _Plan(query, filters, limit, offset)
            paired.use_pairs(groups)
            try:
                found = await _relevance(session, paired)
            except DBAPIError as exc:  # a database before migration 0016
                if "passage_pairs" not in str(exc.orig):
                    raise
            if found is not None:
                plan = paired
        ranked = found if found is not None else (await _relevance(session, plan) or [])
    chosen = page(ranked, limit, offset)
    if not chosen:
        return []
    rows = [plan.details[r.id] for r in chosen if r.id in plan.details]
    missing = [r.id for r in chosen if r.id not in plan.details]
    if missing:  # (a tie ordered otherwise, a deep page, order:newest)
        rows += await _rows(session, plan, missing)
    return hits(_marked(rows, plan), chosen)


async def _newest(session: AsyncSession, plan: _Plan) -> list[Ranked]:
    """Every-word matches in the text or the title, newest first; each branch stops after a
    page."""
    sql = f"""
        SELECT * FROM (SELECT passages_fts.rowid {plan.matches(":all")}
                       ORDER BY passages_fts.rowid DESC LIMIT :need)
        UNION
        SELECT * FROM (SELECT p.id FROM passages AS p JOIN articles AS a ON a.id = p.article_id
                       WHERE p.article_id IN (SELECT rowid FROM articles_fts
                                              WHERE articles_fts MATCH :all){plan.where}
                       ORDER BY p.id DESC LIMIT :need)"""
    rows = await fetchall(session, sql, plan.params)
    return [Ranked(row[0], TIER_ALL, float(row[0])) for row in rows]


_TEXT = "(SELECT e FROM textq)"
# Titles holding any word, for the all-words matches scored in full (not when the lists rank).
_EXACT_ANY = "CASE WHEN (SELECT listed FROM branch) THEN :nothing ELSE :any END"
# Whether the ranking lists rank the query (`_from_lists`): its every-word matches are over
# EXACT_LIMIT. Materialized: SQLite compiles a CTE's body into every reference to it, and the
# half-dozen references to `total` (with its subqueries) made a new statement's preparation
# cost several times its run (a question of ten words: 3 ms).
_BRANCH = "branch(listed) AS MATERIALIZED (SELECT (SELECT c FROM total) > :exact)"
_COUNT = f"CASE WHEN (SELECT rare OR big FROM known) THEN :nothing ELSE {_TEXT} END"
# All-words matches scored in full: when a term is known to be rare (then they are at most
# LIST_MIN_MATCHES, and there is no count before), or when the count found at most EXACT_LIMIT.
_EXACT = f"""CASE WHEN (SELECT rare FROM known)
                   OR ((SELECT NOT big FROM known) AND (SELECT c FROM counted) <= :exact)
                 THEN {_TEXT} ELSE :nothing END"""


# A one-word query is known to match more than EXACT_LIMIT passages, without counting them,
# when its ranking list was built from more than this many (as on PostgreSQL).
COMMON_MATCHES = 2 * EXACT_LIMIT


def _big(plan: _Plan, params: dict[str, Any]) -> str:
    """SQL true when the query is known to match more than EXACT_LIMIT passages without
    counting them, so that it is ranked from the lists at once:
    - a single prefix when a word it starts matched more than EXACT_LIMIT passages when the
      lists were built: then so does the prefix. Counting merges the lists of every word the
      prefix starts ("worke*": 40,000 passages at 200k), and that merge was all its cost;
    - a single word (or a phrase of two words, in the pair index) of one token whose list was
      built from more than COMMON_MATCHES passages: its count would stop at EXACT_LIMIT + 1.
    Not with a filter the count would have applied (an author's matches may be few)."""
    if len(plan.terms) != 1 or (plan.where and not plan.count_unfiltered):
        return "0"
    if plan.pair_groups is None and plan.terms[0].prefix:
        params["big_lo"] = fold(plan.terms[0].text)
        params["big_hi"] = fold(plan.terms[0].text) + "\U0010ffff"
        return (
            "EXISTS (SELECT 1 FROM search_terms WHERE term >= :big_lo AND term < :big_hi"
            r" AND matches > :exact AND term NOT LIKE '%\_%' ESCAPE '\')"
        )
    groups = plan.token_groups()
    if len(groups) != 1 or len(groups[0]) != 1:
        return "0"
    params["big_term"] = groups[0][0]
    params["common_matches"] = COMMON_MATCHES
    return (
        "EXISTS (SELECT 1 FROM search_terms WHERE term = :big_term AND matches > :common_matches)"
    )


def _rare_term(groups: Sequence[Sequence[str]], params: dict[str, Any]) -> str:
    """SQL true when a word or phrase of the query has a token without a ranking list, i.e. it
    matched fewer than LIST_MIN_MATCHES passages when the lists were built. Then the matches
    are few: counting them first would read every one of their positions once more, and for a
    phrase of common words ("as to the") that read is the whole cost (three reads of the
    positions of every passage holding all its words, now two). A word that has become common
    since is still ranked: at most EXACT_LIMIT + 1 of its matches are scored, then the lists.
    The tokens are one JSON parameter, so that the statement's text does not depend on them
    (see `_list_terms`)."""
    tokens = [token for group in groups for token in group]
    params["known_tokens"] = json.dumps(tokens, ensure_ascii=False)
    return (
        "EXISTS (SELECT 1 FROM json_each(:known_tokens) AS k"
        " WHERE NOT EXISTS (SELECT 1 FROM search_terms WHERE term = k.value))"
    )


async def _relevance(session: AsyncSession, plan: _Plan) -> list[Ranked] | None:
    """Every-word matches ranked, title matches, partial matches. None when the plan was to
    use the word-pair index and the index is not complete (a load in progress)."""
    params = plan.params
    unusable = ""
    if plan.pair_groups is not None:
        unusable = f"""
        UNION ALL SELECT 'unusable', 0, 0, 0, {_NO_DETAILS} WHERE NOT ({USABLE})"""
    # Each unit's matches, for the partial tier (stopping at the budget): counted only when
    # every-word and title matches leave the page short, which few queries do (each count
    # reads up to PARTIAL_BUDGET rowids of a common word). One reference to `short` for all
    # units: SQLite copies a CTE's body into each reference, and 32 units' copies of it
    # overran its 65,535 references to a table.
    counts = ""
    if len(plan.units) > 1:
        params["units"] = json.dumps([_term_expression(unit) for unit in plan.units])
        counts = f"""
        UNION ALL SELECT 'count', u.key, 0, (
            SELECT count(*) FROM (SELECT 1 FROM passages_fts
                                  WHERE passages_fts MATCH u.value LIMIT :budget)),
            {_NO_DETAILS}
        FROM json_each(:units) AS u WHERE (SELECT yes FROM short)"""
    # (as `_relevance` tells a short page below, for a total within EXACT_LIMIT)
    matched = "(SELECT count(*) FROM ranked)" if plan.count_unfiltered else "(SELECT c FROM total)"
    every = f"""{_from_lists(plan, params)},
        -- One branch or the other: the all-words matches scored in full (`ranked` holds up to
        -- EXACT_LIMIT + 1 when a term was known to be rare: past EXACT_LIMIT the lists rank
        -- them instead), or the lists' ranking. The latter is read through a scalar subquery,
        -- which SQLite runs only when its CASE is taken: a table in FROM is made whether or
        -- not a row of it is read, and its dozen temporary tables cost a rare word ~9 %.
        every AS (
            SELECT tier, id, score FROM found WHERE NOT {_LISTED}
            UNION ALL
            SELECT j.value ->> 0, j.value ->> 1, {_json_real("j.value ->> 2")}
            FROM json_each(CASE WHEN {_LISTED} THEN (
                SELECT json_group_array(json_array(tier, id, {_real_json("score")}))
                FROM l_found) END) AS j)"""
    sql = f"""
        WITH {plan.textq},
        known(rare, big) AS (
            SELECT {_rare_term(plan.token_groups(), params)}, {_big(plan, params)}),
        counted(c) AS (SELECT count(*) FROM (SELECT 1 {plan.counted(_COUNT)} LIMIT :exact_plus)),
        exact AS MATERIALIZED (
            SELECT {plan.fts}.rowid AS id, -bm25({plan.fts}) AS score
            {plan.counted(_EXACT)} LIMIT :exact_plus),
        total(c) AS (SELECT CASE WHEN (SELECT rare FROM known) THEN (SELECT count(*) FROM exact)
                                 WHEN (SELECT big FROM known) THEN :exact_plus
                                 ELSE (SELECT c FROM counted) END),
        {_BRANCH},
        {_title_bonus("exact", _EXACT_ANY)},
        ranked AS MATERIALIZED (
            SELECT s.id, s.score FROM scored AS s{plan.late_scored}
            WHERE 1{plan.late_where} LIMIT :need),
        title_all AS MATERIALIZED (
            SELECT rowid AS aid, -bm25(articles_fts) AS ts FROM articles_fts
            WHERE articles_fts MATCH CASE WHEN (SELECT c FROM total) < :need
                                          THEN :all ELSE :nothing END
            ORDER BY rank LIMIT :title_articles),
        title_only AS MATERIALIZED (
            SELECT p.id, t.ts AS score FROM title_all AS t
            JOIN passages AS p ON p.article_id = t.aid JOIN articles AS a ON a.id = p.article_id
            WHERE p.id NOT IN (SELECT id FROM exact){plan.where}
            ORDER BY t.ts DESC, p.id DESC LIMIT :need),
        -- Title-only passages keep their article's order (the score is the title's).
        found AS (
            SELECT {TIER_ALL} AS tier, id, score FROM ranked
            UNION ALL SELECT {TIER_TITLE}, id, score FROM title_only),
        short(yes) AS (
            SELECT (SELECT c FROM total) <= :exact
                   AND {matched} + (SELECT count(*) FROM title_only) < :need),
        {every}
        {_paged("every")}
        UNION ALL SELECT 'total', 0, 0, (SELECT c FROM total), {_NO_DETAILS}{counts}{unusable}
    """
    rows = list(await fetchall(session, sql, params))
    if any(row[0] == "unusable" for row in rows):
        return None
    ranked = _hits_of(plan, [row for row in rows if row[0] == "hit"])
    total = next(int(row[3]) for row in rows if row[0] == "total")
    unit_counts = {row[1]: int(row[3]) for row in rows if row[0] == "count"}
    text_matches = min(total, EXACT_LIMIT)
    if plan.count_unfiltered:  # the count included other libraries: what was found here
        text_matches = sum(r.tier != TIER_TITLE for r in ranked)
    short = text_matches + sum(r.tier == TIER_TITLE for r in ranked) < plan.need
    if short and len(plan.units) > 1:
        if not unit_counts:  # a short page the statement could not foresee (from the lists)
            unit_counts = await _unit_counts(session, plan)
        ranked += await _partial(session, plan, unit_counts, {r.id for r in ranked})
    return ranked


async def _unit_counts(session: AsyncSession, plan: _Plan) -> dict[int, int]:
    """Each unit's matches (`:units`, as `_relevance` set it), counted up to the partial
    tier's budget."""
    sql = """SELECT u.key, (SELECT count(*) FROM (SELECT 1 FROM passages_fts
                                  WHERE passages_fts MATCH u.value LIMIT :budget))
             FROM json_each(:units) AS u"""
    return {index: int(found) for index, found in await fetchall(session, sql, plan.params)}


def _list_terms(terms: Sequence[QueryTerm], params: dict[str, Any], name: str) -> str:
    """SQL selecting (term, max_passage_id, q) from search_terms: the lists of each query
    term's tokens (a prefix's: every listed term it starts), q = the query term's index.
    The terms are JSON parameters (`:<name>_words`, `:<name>_prefixes`) rather than a select
    per term: the statement's text is then the same for every query of its shape, and SQLite
    prepares it once per connection (Python's statement cache) instead of for every question
    of a new length (several milliseconds for the statements that hold the lists' CTEs)."""
    words: list[list[Any]] = []
    prefixes: list[list[Any]] = []
    for index, term in enumerate(terms):
        if term.prefix:  # the typed letters, folded (a prefix is not stemmed)
            prefixes.append([index, fold(term.text), fold(term.text) + "\U0010ffff"])
        else:
            words.extend([index, token] for token in index_tokens(term.text) or ("",))
    return _listed_terms(params, name, words, prefixes)


def _listed_terms(
    params: dict[str, Any], name: str, words: list[list[Any]], prefixes: list[list[Any]]
) -> str:
    """SQL selecting (term, max_passage_id, q) for `words` ([q, token]) and `prefixes` ([q,
    low, high): every listed word term in that range, not a pair's)."""
    params[f"{name}_words"] = json.dumps(words, ensure_ascii=False)
    params[f"{name}_prefixes"] = json.dumps(prefixes, ensure_ascii=False)
    return f"""SELECT s.term, s.max_passage_id, j.value ->> 0 AS q
            FROM json_each(:{name}_words) AS j CROSS JOIN search_terms AS s
            ON s.term = j.value ->> 1
            UNION ALL
            SELECT s.term, s.max_passage_id, j.value ->> 0
            FROM json_each(:{name}_prefixes) AS j CROSS JOIN search_terms AS s
            ON s.term >= j.value ->> 1 AND s.term < j.value ->> 2
            WHERE s.term NOT LIKE '%\\_%' ESCAPE '\\'"""


_LISTED = "(SELECT listed FROM branch)"
_LISTED_ANY = f"CASE WHEN {_LISTED} THEN :any ELSE :nothing END"
_DELTA = f"""CASE WHEN (SELECT max(id) FROM passages) > (SELECT min(max_passage_id) FROM l_lists)
                 THEN {_TEXT} ELSE :nothing END"""
_MORE = f"""CASE WHEN {_LISTED}
                      AND (SELECT count(*) FROM l_listed) + (SELECT count(*) FROM l_delta) < :need
                THEN {_TEXT} ELSE :nothing END"""


def _from_lists(plan: _Plan, params: dict[str, Any]) -> str:
    """CTEs ranking a query that matches more than EXACT_LIMIT passages (`total`, in the
    statement of `_relevance`, says so; otherwise they read nothing), ending in `l_found` (tier,
    id, score): candidates from its terms' ranking lists, score = the sum of their list scores.
    A candidate found in the lists of every query term holds them all (a passage whose text
    changes leaves the lists); any other is checked against the query. Then passages added
    since the lists were built (bm25), then, only if the page is still short, the newest
    matches past the lists' depth. In the statement that counts, not one of its own: a common
    word or prefix was two statements, the first only to learn that the lists rank it.

    A term of several tokens (a phrase; in the pair index, a phrase of three words or more) is
    held only where they are adjacent, which no list tells: such candidates are all checked."""
    if plan.pair_groups is not None:
        params["terms"] = sum(len(group) for group in plan.pair_groups)
        # (each pair numbered: a candidate listed under every number holds every pair)
        pair_terms = [token for group in plan.pair_groups for token in group]
        lists = _listed_terms(params, "l", [[q, t] for q, t in enumerate(pair_terms)], [])
        trusted = all(len(group) == 1 for group in plan.pair_groups)
    else:
        params["terms"] = len(plan.terms)
        lists = _list_terms(plan.terms, params, "l")
        trusted = all(term.prefix or len(index_tokens(term.text)) == 1 for term in plan.terms)
    fts = plan.fts
    covered = "p.covered = :terms OR " if trusted else ""
    return f"""
        l_lists AS MATERIALIZED (
            SELECT term, max_passage_id, q FROM ({lists}) WHERE {_LISTED}),
        l_cand AS MATERIALIZED (
            SELECT s.passage_id AS id, sum(s.score) AS score, count(DISTINCT l.q) AS covered
            FROM l_lists AS l CROSS JOIN search_term_passages AS s ON s.term = l.term
            GROUP BY s.passage_id),
        l_cand_p AS MATERIALIZED (
            SELECT c.id, c.score, c.covered, p.article_id
            FROM l_cand AS c JOIN {_PASSAGES} ON p.id = c.id),
        {_titles("SELECT article_id FROM l_cand_p", "l_titles", _LISTED_ANY)},
        l_scored AS MATERIALIZED ({_best_first("l_cand_p", "p.covered, ", "l_titles")}),
        -- Best first, each filtered and checked only until a page is found (a check is a
        -- rowid-bound MATCH, ~0.1 ms at 1M passages for a phrase of common words; checking all
        -- 400 candidates of a 3-word phrase first was its whole cost).
        l_listed AS MATERIALIZED (
            SELECT p.id, p.score FROM l_scored AS p CROSS JOIN articles AS a ON a.id = p.article_id
            WHERE 1{plan.where} AND ({covered}EXISTS (
                SELECT 1 FROM {fts}
                WHERE {fts} MATCH {_TEXT} AND {fts}.rowid = p.id))
            LIMIT :need),
        l_delta AS MATERIALIZED (
            SELECT {fts}.rowid AS id, -bm25({fts}) AS score {plan.matches(_DELTA)}
              AND {fts}.rowid > coalesce((SELECT min(max_passage_id) FROM l_lists), 0)
            ORDER BY rank LIMIT :need),
        l_more AS (
            SELECT {fts}.rowid AS id {plan.matches(_MORE)}
            ORDER BY {fts}.rowid DESC LIMIT :need),
        -- Each passage once, at its best (as `page` keeps it).
        l_found AS (
            SELECT tier, id, score FROM (
                SELECT tier, id, score,
                       row_number() OVER (PARTITION BY id ORDER BY tier, score DESC) AS k
                FROM (SELECT {TIER_ALL} AS tier, id, score FROM l_listed
                      UNION ALL SELECT {TIER_ALL}, id, score FROM l_delta
                      UNION ALL SELECT {TIER_MORE}, id, id FROM l_more))
            WHERE k = 1)"""


async def _partial(
    session: AsyncSession, plan: _Plan, unit_counts: dict[int, int], seen: set[int]
) -> list[Ranked]:
    """Passages holding some of the words: bm25 over the matches of the rarest words (up to
    PARTIAL_BUDGET passages in all), plus the ranking lists of the frequent ones."""
    rare: list[QueryTerm] = []
    frequent: list[QueryTerm] = []
    spent = 0
    for index in sorted(range(len(plan.units)), key=lambda i: unit_counts.get(i, 0)):
        count = unit_counts.get(index, 0)
        if count == 0:
            continue
        if count >= LIST_MIN_MATCHES:
            frequent.append(plan.units[index])
        elif spent + count <= PARTIAL_BUDGET or not rare:
            rare.append(plan.units[index])
            spent += count
    if not rare and not frequent:
        return []
    params = dict(
        plan.params,
        some=fts5_expression(rare, "OR") if rare else NOTHING,
        more=plan.need + len(seen),
        seen=json.dumps(sorted(seen)),
        before=len(seen),
    )
    lists = _list_terms(frequent, params, "f")
    joins = " JOIN articles AS a ON a.id = p.article_id" if plan.where else ""
    # Each passage once, its scores summed; with the words of one kind only, their matches
    # are that already (FTS5 gives each row once, in id order; `listed` is grouped by id): no
    # regrouping (a quarter of the statement for a question of two rare words).
    found = """
        found AS MATERIALIZED (
            SELECT id, sum(score) AS score FROM (
                SELECT id, score FROM rare UNION ALL SELECT id, score FROM listed) GROUP BY id)"""
    if not frequent:
        found = """
        found AS (SELECT id, score FROM rare)"""
    elif not rare:
        found = """
        found AS (SELECT id, score FROM listed)"""
    sql = f"""
        WITH rare AS MATERIALIZED (
            SELECT passages_fts.rowid AS id, -bm25(passages_fts) AS score
            {plan.counted(":some", "passages_fts")}),
        flists AS MATERIALIZED ({lists}),
        listed AS MATERIALIZED (
            SELECT s.passage_id AS id, sum(s.score) AS score
            FROM flists AS l CROSS JOIN search_term_passages AS s ON s.term = l.term
            JOIN {_PASSAGES} ON p.id = s.passage_id{joins}
            WHERE 1{plan.where}
            GROUP BY s.passage_id),{found},
        {_title_bonus("found")},
        taken AS MATERIALIZED (
            SELECT s.id, s.score FROM scored AS s{plan.late_scored}
            WHERE 1{plan.late_where} LIMIT :more),
        -- After the `before` passages of the tiers above (`seen`).
        fill AS (
            SELECT {TIER_PARTIAL} AS tier, id, score FROM taken
            WHERE id NOT IN (SELECT value FROM json_each(:seen)))
        {_paged("fill", ":before")}
    """
    return _hits_of(plan, await fetchall(session, sql, params))


# FTS5 reads a prefix of up to this many characters from its prefix index (migration 0004's
# prefix='2 3'); a longer one merges the lists of every word it starts, on each row anew.
PREFIX_INDEXED = 3
_PASSAGE_WORD = re.compile(r"[^\W_]+")


def _snippet_expression(units: Sequence[QueryTerm]) -> tuple[str, list[str]]:
    """The query the snippets highlight (the units ORed), each prefix longer than
    PREFIX_INDEXED cut to that length: a snippet is one row's lookup, and a long prefix made
    each one merge its words' lists in full (3.5 ms a row for "worke*", 0.03 ms cut). Returns
    the expression and the prefixes cut (folded), whose extra matches `_unmark` drops."""
    parts = []
    cut = []
    for unit in units:
        folded = fold(unit.text)
        if unit.prefix and len(folded) > PREFIX_INDEXED:
            parts.append(f"{_quoted(folded[:PREFIX_INDEXED])} *")
            cut.append(folded)
        else:
            parts.append(_term_expression(unit))
    return " OR ".join(parts), cut


# A Porter stem keeps all of its word but the last letters (at most one differed, over the
# 70,000 English and synthetic words of the benchmarks; two is the margin): a word whose stem
# equals a token, or starts with a prefix, starts with all of it but its last STEM_TAIL letters.
STEM_TAIL = 2


def _matcher(units: Sequence[QueryTerm]) -> Callable[[str], bool]:
    """Whether a word of a passage matches one of the query's units. Only a word that starts
    as a unit does is stemmed (stemming is ~15 us a word, and a snippet made from a whole
    passage checks a hundred), and each word once."""
    prefixes = tuple(fold(unit.text) for unit in units if unit.prefix)
    words = {token for unit in units if not unit.prefix for token in index_tokens(unit.text)}
    heads = tuple({unit[: max(0, len(unit) - STEM_TAIL)] for unit in (*prefixes, *words)})
    known: dict[str, bool] = {}

    def matches(word: str) -> bool:
        found = known.get(word)
        if found is None:
            found = known[word] = _matches(word)
        return found

    def _matches(word: str) -> bool:
        ascii_word = word.isascii()  # (one token, its stem; folding may split other words)
        folded = word.lower() if ascii_word else fold(word)
        if prefixes and folded.startswith(prefixes):
            return True
        if ascii_word and not folded.startswith(heads):
            return False
        tokens = index_tokens(word)
        if words.intersection(tokens):
            return True
        return any(t.startswith(p) for t in tokens for p in prefixes)

    return matches


def _window(passage: str, keep: Callable[[str], bool]) -> str | None:
    """A snippet made here: SNIPPET_TOKENS words from just before the first word `keep`s,
    matches marked (FTS5 would merge a long prefix's words again for it: 20 ms at 1M passages)."""
    words = list(_PASSAGE_WORD.finditer(passage))
    first = next((i for i, word in enumerate(words) if keep(word.group())), None)
    if first is None:
        return None
    start = max(0, first - 2)
    end = min(len(words), start + SNIPPET_TOKENS)
    out = [ELLIPSIS] if start > 0 else []
    at = words[start].start()
    for word in words[start:end]:
        out.append(passage[at : word.start()])
        text_ = word.group()
        out.append(f"{MATCH_OPEN}{text_}{MATCH_CLOSE}" if keep(text_) else text_)
        at = word.end()
    if end < len(words):
        out.append(ELLIPSIS)
    return "".join(out)


def _unmark(snippet: str, keep: Callable[[str], bool]) -> str:
    """Take the highlight off words the cut prefixes matched but the query does not."""
    pieces = snippet.split(MATCH_OPEN)
    out = [pieces[0]]
    for piece in pieces[1:]:
        word, close, rest = piece.partition(MATCH_CLOSE)
        out.append(f"{MATCH_OPEN}{word}{close}{rest}" if keep(word) else f"{word}{rest}")
    return "".join(out)


async def _rows(session: AsyncSession, plan: _Plan, ids: list[int]) -> list[Sequence[Any]]:
    """The rows of these passages, as `hits` takes them."""
    params = dict(plan.params)
    marks = []
    for index, passage_id in enumerate(ids):
        params[f"id{index}"] = passage_id
        marks.append(f":id{index}")
    sql = f"""
        SELECT p.id, {_DETAILS}
        FROM passages AS p JOIN articles AS a ON a.id = p.article_id
        WHERE p.id IN ({", ".join(marks)})
    """
    return list(await fetchall(session, sql, params))


def _marked(rows: list[Sequence[Any]], plan: _Plan) -> list[Sequence[Any]]:
    """The rows with their snippets' highlight taken off the words only a cut prefix matched
    (`_snippet_expression`)."""
    if not plan.cut:
        return rows
    keep = _matcher(plan.units)
    rows = [(*row[:7], _unmark(row[7], keep) if row[7] else row[7]) for row in rows]
    # A window chosen for the cut prefix's other words may show no real match: such a row's
    # snippet is made here around its first match.
    return [
        (*row[:7], _window(row[6], keep) or row[7]) if row[7] and MATCH_OPEN not in row[7] else row
        for row in rows
    ]


# ---- ranking lists ----------------------------------------------------------------------------


async def refresh_term_lists(session: AsyncSession) -> dict[str, int]:
    """Build the ranking lists of terms that match at least LIST_MIN_MATCHES passages, rebuild
    those whose match count moved by LIST_REBUILD_GROWTH, drop those of rarer terms
    (`lists.sync_lists`), then the word pairs' from a complete pair index. The caller commits."""
    max_id = (await session.scalar(text("SELECT coalesce(max(id), 0) FROM passages"))) or 0
    frequent, rebuilt, gone = await sync_lists(
        session,
        "passages_fts",
        min_matches=LIST_MIN_MATCHES,
        owns=lambda term: not is_pair(term),
        max_passage_id=max_id,
        # A list is found by the query's tokens; a token FTS5 would tokenize differently when
        # typed (Porter is not idempotent for a few words) cannot be matched alone: skip it.
        listable=lambda term: index_tokens(term) == (term,),
    )
    report = {"frequent_terms": frequent, "rebuilt": rebuilt, "dropped": gone}
    if await has_pairs(session):  # the pairs' lists from a complete pair index
        report.update(await refresh_pairs(session))
        report.update(await refresh_pair_lists(session, max_id))
    return report


async def has_pairs(session: AsyncSession) -> bool:
    """Whether the database has the word-pair index (migration 0016)."""
    found = await session.scalar(
        text("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'passage_pairs'")
    )
    return found is not None


async def rebuild_index(session: AsyncSession) -> None:
    await session.execute(text("INSERT INTO passages_fts(passages_fts) VALUES ('rebuild')"))
    await session.execute(text("INSERT INTO articles_fts(articles_fts) VALUES ('rebuild')"))
    await session.execute(text("DELETE FROM search_term_passages"))
    await session.execute(text("DELETE FROM search_terms"))
    if await has_pairs(session):
        await session.execute(
            text("INSERT INTO passage_pairs (passage_pairs) VALUES ('delete-all')")
        )
        await session.execute(text("DELETE FROM passage_pairs_gone"))
        await session.execute(
            text("INSERT OR IGNORE INTO passage_pairs_pending SELECT id FROM passages")
        )
    await refresh_term_lists(session)


async def count(session: AsyncSession, query: SearchQuery, filters: SearchFilters, cap: int) -> int:
    """Passages holding every word (with the filters), counted up to `cap` + 1."""
    plan = _Plan(query, filters, 1, 0)
    params = dict(plan.params, cap=cap + 1)
    sql = f"SELECT count(*) FROM (SELECT passages_fts.rowid {plan.matches(':all')} LIMIT :cap)"
    rows = list(await fetchall(session, sql, params))
    return int(rows[0][0]) if rows else 0
