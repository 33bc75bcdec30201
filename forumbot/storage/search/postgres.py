"""Search on PostgreSQL: `passages.search_vector` (the text) and `articles.search_vector` (the
title), both GIN-indexed tsvectors in the configuration `forumbot_english` (english + unaccent),
maintained by triggers (migration 0004).

The same plan as SQLite (forumbot.storage.search.sqlite): count the all-words matches up to
EXACT_LIMIT and rank them all with ts_rank plus the title's rank; past that, read the terms'
ranking lists; fill a short page with title-only, then partial matches. `ts_headline` runs on
the page's rows only. PostgreSQL's english configuration drops stop words from both the index
and the query; a query made only of stop words ("the", "to be or not to be") is read through
the 'simple' configuration instead, over the newest passages (`_stop_words`).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from forumbot.domain.query import ORDER_NEWEST, STOP_WORDS, QueryTerm, SearchQuery
from forumbot.storage.models.archive import SHARED_LIBRARY
from forumbot.storage.search.common import (
    ELLIPSIS,
    EXACT_LIMIT,
    LIST_MIN_MATCHES,
    LIST_REBUILD_GROWTH,
    LIST_SIZE,
    MATCH_CLOSE,
    MATCH_OPEN,
    MAX_ID,
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

CONFIG = "forumbot_english"
# The configuration that keeps every word (lower-cased), for queries made only of stop words.
SIMPLE = "simple"
# PostgreSQL's english stop words (tsearch_data/english.stop, which its configuration leaves
# out of the index and out of every tsquery): forumbot's list without two words PostgreSQL
# keeps, with one more.
PG_STOP_WORDS = (STOP_WORDS - {"could", "would"}) | {"don"}
# A query made only of stop words has no index to use: it is looked for in the newest
# STOP_SCAN passages (read newest first, stopping at STOP_MATCHES matches), and those matches
# are ranked. A common word ("the") stops after a few hundred passages; a rare combination
# ("are the to") reads all STOP_SCAN (a regular expression over each, ~20 us).
STOP_SCAN = 10_000
STOP_MATCHES = 200
_WORDS = re.compile(r"[^\W_]+")
_PUNCTUATION = re.compile(r"[\W_]+")
TITLE_LIMIT = 2000
TITLE_ARTICLES = 50
# ts_rank's normalization 1: divide by 1 + log(length), so long passages do not win by size.
RANK_NORMALIZATION = 1
# Lexemes PostgreSQL's statistics know as frequent: ANALYZE keeps statistics-target x 10 of the
# most common elements of a tsvector column; migration 0004 raises the target to this.
STATISTICS_TARGET = 500


def _tsquery_sql(term: QueryTerm, param: str, config: str = CONFIG) -> str:
    if term.prefix:
        # Prefix terms are letters/digits only (see QueryTerm), so quoting as a lexeme is safe.
        return f"to_tsquery('{config}', :{param})"
    if term.phrase:
        return f"phraseto_tsquery('{config}', :{param})"
    # plainto_tsquery splits "multi-agent" / "C++" into words the way to_tsvector did.
    return f"plainto_tsquery('{config}', :{param})"


def postgres_tsquery(
    terms: Sequence[QueryTerm],
    params: dict[str, Any],
    name: str,
    operator: str = "&&",
    config: str = CONFIG,
) -> str:
    """SQL for a tsquery joining every term with `operator`; the terms go into `params`.

    PostgreSQL's parser reads some punctuated words as one token of another kind: `/slip` is a
    file path, `closed-form` a compound that the text's "closed form" does not hold. A term
    with punctuation also matches its words in a row (as FTS5 reads it), so punctuation never
    blocks a match; the term as typed still matches what the parser made of the same text
    (`example.com`, a host)."""
    parts = []
    for index, term in enumerate(terms):
        param = f"{name}{index}"
        params[param] = f"'{term.text}':*" if term.prefix else term.text
        part = _tsquery_sql(term, param, config)
        words = " ".join(_PUNCTUATION.sub(" ", term.text).split())
        if not term.prefix and words and words != term.text:
            params[f"{param}w"] = words
            part = f"({part}) || phraseto_tsquery('{config}', :{param}w)"
        parts.append(part)
    return f" {operator} ".join(f"({part})" for part in parts)


def stop_words_only(terms: Sequence[QueryTerm]) -> bool:
    """True when PostgreSQL's english configuration would make an empty tsquery of `terms`
    (every word a stop word: "the", "to be or not to be", "who's", "the*")."""
    words = [word for term in terms for word in _WORDS.findall(term.text.lower())]
    return bool(words) and all(word in PG_STOP_WORDS for word in words)


def _lexeme_query(lexeme: str) -> str:
    """A tsquery literal for one lexeme as stored (no second normalisation)."""
    return "'" + lexeme.replace("\\", "\\\\").replace("'", "''") + "'"


class _Plan:
    def __init__(self, query: SearchQuery, filters: SearchFilters, limit: int, offset: int):
        self.query = query
        self.terms = query.ranked_terms
        self.units = partial_terms(self.terms)
        self.need = offset + limit
        self.stop_only = stop_words_only(self.terms)
        self.config = SIMPLE if self.stop_only else CONFIG
        self.params: dict[str, Any] = {
            "need": self.need,
            "stop_scan": STOP_SCAN,
            "stop_matches": STOP_MATCHES,
            "exact": EXACT_LIMIT,
            "exact_plus": EXACT_LIMIT + 1,
            "title_weight": TITLE_WEIGHT,
            "title_limit": TITLE_LIMIT,
            "title_articles": TITLE_ARTICLES,
            "budget": PARTIAL_BUDGET + 1,
            "norm": RANK_NORMALIZATION,
        }
        # Inlined (not a CTE) so the planner sees each tsquery and can tell rare from common.
        self.all = postgres_tsquery(self.terms, self.params, "all", config=self.config)
        self.any = postgres_tsquery(self.units, self.params, "any", "||", config=self.config)
        # The same as one-row subqueries, for statements run with a generic plan (`_plans`):
        # there a tsquery is no constant, and inlined it would be made again for every row
        # ranked or rechecked; a subquery is evaluated once per execution.
        self.all_once = f"(SELECT {self.all})"
        self.any_once = f"(SELECT {self.any})"
        self.where = filter_sql(filters, self.params)
        # As on SQLite: a guild's search always filters by library, and that filter rejects
        # little. With no other filter the count that picks the exact or the ranking-list plan
        # is taken on the text index alone: no passage's row is read for it (GIN answers with
        # a bitmap; with no column wanted, the visibility map spares the heap), where through
        # the join every match counted cost a passage row and an article lookup.
        # Only for a scope that holds the shared library: a guild limited to its own library
        # keeps its matches counted (and, up to EXACT_LIMIT, all ranked) among its own.
        self.count_unfiltered = (
            filters.libraries is not None
            and SHARED_LIBRARY in filters.libraries
            and not (filters.author or filters.article_id is not None or filters.tag)
        )
        # Filters that reject little (none, or a scope with the shared library): the best of
        # a word's matches are in its ranking list. A narrower scope's may all be outside it.
        self.broad = not self.where or self.count_unfiltered
        # The first statement of a relevance search runs with a generic plan (`_plans`) for
        # such filters: GIN, then the primary key, whatever the words. A narrower scope keeps
        # custom plans, which see how common a word is: for a common word, walking the scope's
        # passages beats a bitmap of all its matches (a generic plan: 0.5 s, against 21 ms, for
        # a common word in a guild's own 1 % at 1M).
        self.generic = self.broad
        self.first_all = self.all_once if self.generic else self.all
        self.first_any = self.any_once if self.generic else self.any
        # How many passages there are (the planner's estimate), for inverse document frequency.
        self.passages = 0.0

    def counted(self, tsquery: str, extra: str = "") -> str:
        """FROM/WHERE of the all-words count (see `count_unfiltered`)."""
        if self.count_unfiltered:
            return f"FROM passages AS p WHERE p.search_vector @@ ({tsquery}){extra}"
        return self.matches(tsquery, extra)

    def matches(self, tsquery: str, extra: str = "") -> str:
        return (
            "FROM passages AS p JOIN articles AS a ON a.id = p.article_id"
            f" WHERE p.search_vector @@ ({tsquery}){extra}{self.where}"
        )

    def titles(self, any_sql: str) -> str:
        """Title scores: ts_rank over the titles holding any of the words (`any_sql`: self.any
        or self.any_once)."""
        return f"""titles AS MATERIALIZED (
            SELECT a.id AS aid, ts_rank(a.search_vector, ({any_sql}), :norm) AS ts
            FROM articles AS a WHERE a.search_vector @@ ({any_sql})
            ORDER BY ts DESC LIMIT :title_limit)"""


# How many passages there are, for inverse document frequency, without counting them: the
# planner's estimate, or the span of passage ids when that is larger. The estimate alone can
# be far off: -1 before the first ANALYZE, and 0 when ANALYZE ran before a load committed (it
# stays so until autovacuum comes by), which made every word look as common as the rarest and
# ranked a question's partial matches by their rarest word alone (Cranfield nDCG@10 0.38).
_PASSAGES = """
        UNION ALL SELECT 'passages', 0, greatest(
            (SELECT c.reltuples FROM pg_class AS c WHERE c.oid = 'passages'::regclass),
            (SELECT coalesce(max(id) - min(id) + 1, 0) FROM passages))::float8"""


# Settings for search statements, for the rest of the transaction only (set_config's `true`):
# - no JIT: a search plan's estimated cost often passes jit_above_cost, and compiling it took
#   tens of milliseconds, more than the query itself;
# - random_page_cost 1.1 (SSD, and an archive that stays cached): at the default 4 the planner
#   read a common word's every match through a bitmap rather than walk the primary key.
SEARCH_SETTINGS = {
    "jit": "off",
    "random_page_cost": "1.1",
}
# plan_cache_mode, per statement (asyncpg prepares every statement):
# - custom plans where the plan depends on the tsquery or on a value: the ranking lists'
#   passages added since a mark, the newest matches, partial matches, counts. A generic plan
#   cannot see the tsquery and read every match of a common word through a bitmap (3.5 ->
#   16 ms for a common word's list statement at 1M, 6 -> 21 ms for a partial fill);
# - a generic plan, made once per connection, for the first statement of a relevance search
#   whose filters reject little (`_Plan.generic`): its plan is the same for every tsquery
#   (GIN, then the primary key; rare and common are told apart while it runs), and planning
#   it afresh cost 1.2-1.6 ms of the 2-4 ms a rare word's search took at 1M passages.
# The page's rows are read in whichever mode is set (by primary key either way).
CUSTOM = "force_custom_plan"
GENERIC = "force_generic_plan"


_SETTINGS_DONE = "forumbot.search.settings_transaction"


async def _plans(session: AsyncSession, mode: str) -> None:
    """The transaction's search settings with plan_cache_mode `mode`: all of them once per
    transaction (a search page searches, then counts, in one), then the mode when it changes.
    A search leaves the mode of its last statement for the rest of the transaction (resetting
    it would be a statement more per search): what follows a search in the same transaction
    today is `count` (which sets its own) and simple lookups by key."""
    transaction = session.get_transaction()
    done = session.info.get(_SETTINGS_DONE)
    if done is not None and done[0] is transaction:
        if done[1] == mode:
            return
        settings = {"plan_cache_mode": mode}
    else:
        settings = {"plan_cache_mode": mode, **SEARCH_SETTINGS}
    sets = ", ".join(f"set_config('{name}', '{value}', true)" for name, value in settings.items())
    await session.execute(text(f"SELECT {sets}"))
    session.info[_SETTINGS_DONE] = (transaction, mode)


async def search(
    session: AsyncSession, query: SearchQuery, filters: SearchFilters, limit: int, offset: int
) -> list[SearchHit]:
    plan = _Plan(query, filters, limit, offset)
    if plan.stop_only:
        await _plans(session, CUSTOM)
        ranked = await _stop_words(session, plan)
    elif query.order == ORDER_NEWEST:
        await _plans(session, CUSTOM)
        ranked = await _newest(session, plan)
    else:
        ranked = await _relevance(session, plan)
    chosen = page(ranked, limit, offset)
    if not chosen:
        return []
    return hits(await _rows(session, plan, [r.id for r in chosen]), chosen)


async def _newest(session: AsyncSession, plan: _Plan) -> list[Ranked]:
    sql = f"""
        (SELECT p.id {plan.matches(plan.all)} ORDER BY p.id DESC LIMIT :need)
        UNION
        (SELECT p.id FROM passages AS p JOIN articles AS a ON a.id = p.article_id
         WHERE a.search_vector @@ ({plan.all}){plan.where} ORDER BY p.id DESC LIMIT :need)"""
    rows = (await session.execute(text(sql), plan.params)).all()
    return [Ranked(row[0], TIER_ALL, float(row[0])) for row in rows]


def _stop_matches(plan: _Plan, limit: str) -> str:
    """SELECT id, score: the newest passages holding every word of a stop-words-only query.
    No index holds these words: at most :stop_scan passages are read, newest first; a regular
    expression per term (its words in a row, case-insensitive) sets most of them aside cheaply,
    the 'simple' configuration checks the rest, and the reading stops at `limit` matches. The
    lateral joins keep the plan a pipeline in id order (a hash join would make every row's
    tsvector before the first match: 5.8 s for 20,000 passages)."""
    patterns = []
    for index, term in enumerate(plan.terms):
        words = _WORDS.findall(term.text.lower())
        name = f"stop_re{index}"
        plan.params[name] = r"[\W_]+".join(rf"\m{word}" for word in words) + (
            "" if term.prefix else r"\M"
        )
        patterns.append(f" AND s.text ~* :{name}")
    return f"""
        SELECT p.id, ts_rank(v.vector, ({plan.all}), :norm) AS score
        FROM (SELECT s.id, s.article_id, s.text FROM (
                  SELECT id, article_id, text FROM passages ORDER BY id DESC LIMIT :stop_scan
              ) AS s WHERE true{"".join(patterns)}) AS p
        CROSS JOIN LATERAL (SELECT * FROM articles AS a WHERE a.id = p.article_id OFFSET 0) AS a
        CROSS JOIN LATERAL to_tsvector('{SIMPLE}', p.text) AS v(vector)
        WHERE v.vector @@ ({plan.all}){plan.where}
        LIMIT {limit}"""


async def _stop_words(session: AsyncSession, plan: _Plan) -> list[Ranked]:
    """A query made only of stop words: PostgreSQL's index holds none of them, so the newest
    passages are read (`_stop_matches`) and their matches ranked by ts_rank (`order:newest`:
    newest first). No title or partial tier: every word of such a query is in most titles
    and passages alike."""
    newest = plan.query.order == ORDER_NEWEST
    sql = f"""
        SELECT id, score::float8 FROM ({_stop_matches(plan, ":stop_matches")}) AS m
        ORDER BY {"id" if newest else "score"} DESC, id DESC LIMIT :need"""
    rows = (await session.execute(text(sql), plan.params)).all()
    return [Ranked(row_id, TIER_ALL, float(row_id) if newest else score) for row_id, score in rows]


class _UnitList:
    """A query unit's ranking list: its lexeme, how many passages held it when the list was
    built, and the newest passage the list had seen."""

    def __init__(self, term: str, matches: int, mark: int):
        self.term, self.matches, self.mark = term, matches, mark


async def _unit_lists(session: AsyncSession, plan: _Plan) -> dict[int, _UnitList]:
    """The ranking lists of the query's units that are one word of one lexeme."""
    params: dict[str, Any] = {}
    parts = []
    for index, unit in enumerate(plan.units):
        if unit.prefix or unit.phrase:
            continue
        params[f"u{index}"] = unit.text
        parts.append(
            f"SELECT {index} AS unit, s.term, s.matches, s.max_passage_id FROM search_terms AS s"
            f" WHERE s.term = ANY(tsvector_to_array(to_tsvector('{CONFIG}', :u{index})))"
            f" AND length(to_tsvector('{CONFIG}', :u{index})) = 1"
        )
    if not parts:
        return {}
    rows = (await session.execute(text(" UNION ALL ".join(parts)), params)).all()
    return {int(unit): _UnitList(str(term), int(m), int(mark)) for unit, term, m, mark in rows}


async def _unit_counts(
    session: AsyncSession, plan: _Plan, lists: dict[int, _UnitList]
) -> dict[int, int]:
    """How many passages hold each of the query's units, each counted up to PARTIAL_BUDGET + 1,
    and (into `plan.passages`) how many passages there are: what partial matches are chosen and
    weighed by. Only asked for when the all-words matches leave the page short. A unit whose
    ranking list says it is in more than PARTIAL_BUDGET passages is not counted (that count
    would end at the cap): GIN answers through a bitmap, so a common word's count read its
    whole index entry and a heap page per passage counted (0.2-0.4 s for "may" at 200k)."""
    params = plan.params
    counts = []
    unit_counts: dict[int, int] = {}
    for index, unit in enumerate(plan.units):
        listed = lists.get(index)
        if listed is not None and listed.matches > PARTIAL_BUDGET:
            unit_counts[index] = PARTIAL_BUDGET + 1
            continue
        tsquery = postgres_tsquery([unit], params, f"unit{index}_")
        counts.append(
            f"""SELECT 'count', {index}, (SELECT count(*) FROM (
            SELECT 1 FROM passages AS p WHERE p.search_vector @@ ({tsquery})
            LIMIT :budget) AS c)::float8
        UNION ALL """
        )
    sql = "".join(counts) + _PASSAGES.replace("UNION ALL ", "", 1)
    for kind, row_id, score in (await session.execute(text(sql), params)).all():
        if kind == "passages":
            plan.passages = float(score)
        else:
            unit_counts[row_id] = int(score)
    return unit_counts


# All-words matches scored in full: when a term is known to be rare (then they are at most
# LIST_MIN_MATCHES, and there is no count before), or when the count found at most EXACT_LIMIT.
_EXACT = " AND ((SELECT rare FROM known) OR (SELECT c FROM counted) <= :exact)"


def _rare_term(terms: Sequence[QueryTerm], params: dict[str, Any]) -> str:
    """SQL true when a word or phrase of the query has a lexeme without a ranking list, i.e. it
    matched fewer than LIST_MIN_MATCHES passages when the lists were built (as on SQLite). Then
    the matches are few and are scored without a count first; a word that has become common
    since is still ranked: at most EXACT_LIMIT + 1 of its matches are scored, then the lists."""
    checks = []
    for index, term in enumerate(terms):
        if term.prefix:
            continue
        params[f"known{index}"] = term.text
        checks.append(
            f"SELECT 1 FROM unnest(tsvector_to_array(to_tsvector('{CONFIG}', :known{index})))"
            " AS k(term) WHERE NOT EXISTS (SELECT 1 FROM search_terms AS s WHERE s.term = k.term)"
        )
    return " OR ".join(f"EXISTS ({check})" for check in checks) or "false"


def _positional(plan: _Plan) -> str:
    """SQL true when the query's tsquery has a phrase operator (`<->`, `<2>`: a phrase, or a
    punctuated word, of two lexemes or more). GIN cannot tell a phrase match from a passage
    holding its words apart: each candidate's row is read to check the positions, so a count
    before scoring read the same rows twice ("state Will denoseto": 7,400 heap pages for 79
    matches, 0.17 s counted, then again to score). Its matches are scored as they are found,
    as a rare word's: at most EXACT_LIMIT + 1, then the lists."""
    return f"strpos(({plan.first_all})::text, '<') > 0"


# A one-word query is known to match more than EXACT_LIMIT passages, without counting them,
# when its ranking list was built from more than this many.
COMMON_MATCHES = 2 * EXACT_LIMIT
# A one-prefix query, when one word it starts had a list built from more than this many (as on
# SQLite: the prefix matches that word's passages and those of every other word it starts).
COMMON_PREFIX_MATCHES = EXACT_LIMIT


def _common_word(plan: _Plan, params: dict[str, Any]) -> str:
    """SQL true for a query of one word (one lexeme), or one prefix, that a ranking list says
    is in more than COMMON_MATCHES passages (for a prefix: one of the words it starts is in
    more than COMMON_PREFIX_MATCHES: 30 more of the bench's 100 prefixes at 1M than with
    COMMON_MATCHES, each a GIN bitmap of tens of thousands of matches to count), when
    the count would be taken on the text index alone (`count_unfiltered`): that count would
    stop at EXACT_LIMIT + 1 all the same, after GIN made a bitmap of every match (its cost
    grows with the archive: 9 ms for a word in 23,000 of 200,000 passages, 0.18 s for
    `worke*`, whose words are in 40,000)."""
    terms = plan.terms
    if not plan.count_unfiltered or len(terms) != 1:
        return "false"
    params["common_matches"] = COMMON_MATCHES
    if terms[0].prefix:
        params["common_matches"] = COMMON_PREFIX_MATCHES
        params["common_prefix"] = _like_prefix(terms[0])
        # The query's prefix is stemmed (`happy*` looks for `happi`): a listed word counts
        # only if the query's own tsquery matches it.
        return (
            "EXISTS (SELECT 1 FROM search_terms AS s"
            " WHERE s.term LIKE :common_prefix AND s.matches > :common_matches"
            f" AND array_to_tsvector(ARRAY[s.term::text]) @@ ({plan.first_all}))"
        )
    params["common_word"] = terms[0].text
    vector = f"to_tsvector('{CONFIG}', :common_word)"
    # A phrase whose tsquery is one lexeme ("the new": english drops `the`) is that word.
    one = f"numnode(({plan.first_all})) = 1" if terms[0].phrase else f"length({vector}) = 1"
    return (
        f"({one} AND EXISTS (SELECT 1 FROM search_terms AS s"
        f" WHERE s.term = ANY(tsvector_to_array({vector})) AND s.matches > :common_matches))"
    )


def _like_prefix(term: QueryTerm) -> str:
    """A LIKE pattern for the lexemes a prefix term starts (its text is letters and digits)."""
    return term.text.lower().replace("\\", "").replace("%", "") + "%"


async def _relevance(session: AsyncSession, plan: _Plan) -> list[Ranked]:
    params = plan.params
    await _plans(session, GENERIC if plan.generic else CUSTOM)
    sql = f"""
        WITH known AS MATERIALIZED (
            SELECT ({_rare_term(plan.terms, params)}) OR {_positional(plan)} AS rare,
                   {_common_word(plan, params)} AS common),
        counted AS MATERIALIZED (
            SELECT CASE WHEN (SELECT common FROM known) THEN :exact_plus ELSE (
                SELECT count(*) FROM (
                    SELECT 1 {plan.counted(plan.first_all, " AND NOT (SELECT rare FROM known)")}
                    LIMIT :exact_plus) AS m) END AS c),
        exact AS MATERIALIZED (
            SELECT p.id, p.article_id, ts_rank(p.search_vector, ({plan.first_all}), :norm) AS score
            {plan.matches(plan.first_all, _EXACT)} LIMIT :exact_plus),
        total AS (
            SELECT CASE WHEN (SELECT rare FROM known) THEN (SELECT count(*) FROM exact)
                        ELSE (SELECT c FROM counted) END AS c),
        {plan.titles(plan.first_any)},
        ranked AS (
            SELECT e.id, e.score + :title_weight * coalesce(t.ts, 0) AS score
            FROM exact AS e LEFT JOIN titles AS t ON t.aid = e.article_id
            ORDER BY score DESC LIMIT :need),
        title_all AS MATERIALIZED (
            SELECT a.id AS aid, ts_rank(a.search_vector, ({plan.first_all}), :norm) AS ts
            FROM articles AS a
            WHERE a.search_vector @@ ({plan.first_all}) AND (SELECT c FROM total) < :need
            ORDER BY ts DESC LIMIT :title_articles),
        title_only AS (
            SELECT p.id, t.ts AS score FROM title_all AS t
            JOIN passages AS p ON p.article_id = t.aid JOIN articles AS a ON a.id = p.article_id
            WHERE p.id NOT IN (SELECT id FROM exact){plan.where}
            ORDER BY t.ts DESC, p.id DESC LIMIT :need)
        SELECT 'all', id, score::float8, NULL::text, 0 FROM ranked
        UNION ALL SELECT 'title', id, score::float8, NULL, 0 FROM title_only
        UNION ALL SELECT 'total', 0, (SELECT c FROM total)::float8, NULL, 0
        UNION ALL SELECT 'list', l.q, l.mark::float8, l.term, l.lexemes
        FROM ({_query_lists(plan, params)}) AS l(q, term, mark, lexemes)
    """
    ranked: list[Ranked] = []
    total = 0
    lists: list[tuple[int, str, int, int]] = []
    for kind, row_id, score, term, lexemes in (await session.execute(text(sql), params)).all():
        if kind == "all":
            ranked.append(Ranked(row_id, TIER_ALL, score))
        elif kind == "title":
            ranked.append(Ranked(row_id, TIER_TITLE, score))
        elif kind == "list":
            lists.append((int(row_id), str(term), int(score), int(lexemes)))
        else:
            total = int(score)
    if total > EXACT_LIMIT:
        await _plans(session, CUSTOM)
        ranked = await _from_lists(session, plan, lists)
    text_matches = min(total, EXACT_LIMIT)
    if plan.count_unfiltered:  # the count included other libraries: what was found here
        text_matches = sum(r.tier != TIER_TITLE for r in ranked)
    short = text_matches + sum(r.tier == TIER_TITLE for r in ranked) < plan.need
    if short and len(plan.units) > 1:
        await _plans(session, CUSTOM)
        unit_lists = await _unit_lists(session, plan)
        unit_counts = await _unit_counts(session, plan, unit_lists)
        ranked += await _partial(session, plan, unit_counts, unit_lists, {r.id for r in ranked})
    return ranked


def _query_lists(plan: _Plan, params: dict[str, Any]) -> str:
    """SQL selecting (query term's index, term, max_passage_id, the term's lexemes) for the
    ranking lists of each query term's lexemes (a prefix's: every listed word it starts; 0
    lexemes). Read with the first statement, in case the query is ranked from the lists."""
    selects = []
    for index, term in enumerate(plan.terms):
        if term.prefix:
            params[f"pre{index}"] = _like_prefix(term)
            condition, lexemes = f"s.term LIKE :pre{index}", "0"
        else:
            params[f"word{index}"] = term.text
            vector = f"to_tsvector('{CONFIG}', :word{index})"
            condition, lexemes = f"s.term = ANY(tsvector_to_array({vector}))", f"length({vector})"
            if term.phrase:  # one lexeme in a row with itself ("new new") is not one word
                tsquery = postgres_tsquery([term], params, f"phrase{index}_")
                lexemes = f"CASE WHEN numnode({tsquery}) = 1 THEN {lexemes} ELSE 0 END"
        selects.append(
            f"SELECT {index}, s.term::text, s.max_passage_id, {lexemes} FROM search_terms AS s"
            f" WHERE {condition}"
        )
    return " UNION ALL ".join(selects) or "SELECT 0, '', 0, 0 WHERE false"


async def _from_lists(
    session: AsyncSession, plan: _Plan, lists: list[tuple[int, str, int, int]]
) -> list[Ranked]:
    params = dict(plan.params)
    # The lists' mark as a value, not a subquery: the planner then sees that the passages
    # added since are a short range of the primary key (with a subquery it guessed a third
    # of the table and scored every match of the common word).
    params["terms"] = [term for _, term, _, _ in lists]
    params["mark"] = min((mark for _, _, mark, _ in lists), default=MAX_ID)
    # When every term is a word of one lexeme with a list, a passage in all their lists holds
    # them all (a passage whose text changes leaves the lists): it is not checked again.
    single = {index for index, _, _, lexemes in lists if lexemes == 1}
    plain = not any(term.prefix for term in plan.terms)
    every = len(plan.terms) == len(lists) == len(single) and plain
    params["every"] = len(plan.terms) if every else 0
    # One such term: every candidate holds it, and no passage's text vector is read (the
    # passage's article comes from an index; 200 heap reads of a common word's list, cold).
    holds = (
        "true"
        if every and len(plan.terms) == 1
        else f"c.lists = :every OR p.search_vector @@ ({plan.all})"
    )
    sql = f"""
        WITH cand AS MATERIALIZED (
            SELECT passage_id AS id, sum(score) AS score, count(*) AS lists
            FROM search_term_passages WHERE term = ANY(:terms) GROUP BY passage_id),
        {plan.titles(plan.any)},
        listed AS (
            SELECT c.id, c.score + :title_weight * coalesce(t.ts, 0) AS score
            FROM cand AS c JOIN passages AS p ON p.id = c.id
            JOIN articles AS a ON a.id = p.article_id
            LEFT JOIN titles AS t ON t.aid = p.article_id
            WHERE ({holds}){plan.where}
            ORDER BY score DESC LIMIT :need),
        delta AS (
            SELECT p.id, ts_rank(p.search_vector, ({plan.all}), :norm) AS score
            {plan.matches(plan.all, " AND p.id > :mark")}
            ORDER BY score DESC LIMIT :need)
        SELECT id, score::float8 FROM listed
        UNION ALL SELECT id, score::float8 FROM delta
    """
    rows = (await session.execute(text(sql), params)).all()
    ranked = [Ranked(row_id, TIER_ALL, score) for row_id, score in rows]
    if len(rows) < plan.need:
        # The newest matches past the lists' depth, only for a page the lists left short (two
        # common words seldom found together: walking the newest passages for them reads
        # many). A statement of its own: planned within the one above, it cost every common
        # word's search 0.2-0.3 ms of planning (at 1M passages) for a page seldom short.
        sql = f"SELECT p.id {plan.matches(plan.all)} ORDER BY p.id DESC LIMIT :need"
        rows = (await session.execute(text(sql), params)).all()
        ranked += [Ranked(row_id, TIER_MORE, float(row_id)) for (row_id,) in rows]
    return ranked


async def _partial(
    session: AsyncSession,
    plan: _Plan,
    unit_counts: dict[int, int],
    lists: dict[int, _UnitList],
    seen: set[int],
) -> list[Ranked]:
    # Rarest first; among units past the budget (their counts stop at the cap), the one whose
    # list says it is rarer.
    def rarity(index: int) -> tuple[int, int]:
        listed = lists.get(index)
        return unit_counts.get(index, 0), listed.matches if listed else 0

    order = sorted(range(len(plan.units)), key=rarity)
    chosen: list[QueryTerm] = []
    first = -1
    spent = 0
    for index in order:
        count = unit_counts.get(index, 0)
        if count == 0:
            continue
        if chosen and spent + count > PARTIAL_BUDGET:
            break
        chosen.append(plan.units[index])
        first = index if len(chosen) == 1 else first
        spent += count
    if not chosen:
        return []
    params = dict(plan.params, more=plan.need + len(seen))
    some = postgres_tsquery(chosen, params, "some", "||")
    source = plan.matches(some)
    listed = lists.get(first) if spent > PARTIAL_BUDGET and plan.broad else None
    if listed is not None:
        # One unit, past the budget (every unit is): its best passages are its ranking list's,
        # and those added since the list was built, rather than all of its matches (26,000
        # passages scored for "may" at 200k, 1 s).
        params["some_term"], params["some_mark"] = listed.term, listed.mark
        source = plan.matches(
            some,
            " AND p.id IN (SELECT l.passage_id FROM search_term_passages AS l"
            " WHERE l.term = :some_term UNION ALL"
            " SELECT n.id FROM passages AS n WHERE n.id > :some_mark)",
        )
    # bm25 as FTS5 computes it, so that a question's partial matches rank as on SQLite:
    # ts_rank weighs every word alike (no inverse document frequency) and saturates a word's
    # repetitions its own way (CISI nDCG@10 0.286 with ts_rank, see bench/README.md).
    passages = max(plan.passages, max(unit_counts.values()) + 1.0)
    weighted = []
    for index, unit in enumerate(plan.units):
        found = unit_counts.get(index, 0)
        if found == 0:
            continue
        params[f"idf{index}"] = math.log(1.0 + (passages - found + 0.5) / (found + 0.5))
        weighted.append((index, postgres_tsquery([unit], params, f"one{index}_")))
    sql = f"""
        WITH partial_hits AS MATERIALIZED ({_bm25("p", weighted, source)}),
        titles AS MATERIALIZED (
            {_bm25("a", weighted, f"FROM articles AS a WHERE a.search_vector @@ ({plan.any})")}
            ORDER BY score DESC LIMIT :title_limit)
        SELECT s.id, (s.score + :title_weight * coalesce(t.score, 0))::float8 AS score
        FROM partial_hits AS s LEFT JOIN titles AS t ON t.id = s.article_id
        ORDER BY score DESC LIMIT :more
    """
    rows = (await session.execute(text(sql), params)).all()
    return [Ranked(row_id, TIER_PARTIAL, score) for row_id, score in rows if row_id not in seen]


# bm25's constants, FTS5's defaults.
BM25_K1 = 1.2
BM25_B = 0.75
# ts_rank of one lexeme with weights {1,1,1,1} and no normalisation is (1 + 1/4 + ... + 1/tf²)
# / (pi²/6): the lexeme's occurrences (tf) read back from it.
_TF = (
    "CASE WHEN {x} < 0.5 THEN 0 WHEN {x} < 1.125 THEN 1 WHEN {x} < 1.305 THEN 2"
    " WHEN {x} < 1.392 THEN 3 WHEN {x} < 1.443 THEN 4 WHEN {x} < 1.477 THEN 5"
    " WHEN {x} < 1.501 THEN 6 WHEN {x} < 1.519 THEN 7 ELSE 8 END"
)


def _bm25(alias: str, weighted: Sequence[tuple[int, str]], source: str) -> str:
    """SELECT id, article_id, score: bm25 of `alias`.search_vector (rows of `source`, FROM ...)
    over the query units `weighted` ((index, tsquery SQL), idf in :idf<index>). A row's length
    is its number of distinct lexemes; the average is over the rows found."""
    article = "p.article_id" if alias == "p" else "a.id"
    tfs = ", ".join(
        _TF.format(x=f"ts_rank('{{1,1,1,1}}', {alias}.search_vector, ({tsquery}), 0) * 1.6449341")
        + f" AS tf{index}"
        for index, tsquery in weighted
    )
    # The CAST: PostgreSQL types a bare parameter after what it meets (tf, an integer), and
    # asyncpg then sent each idf cut to a whole number (2.7 as 2; 0 for a word in over a third
    # of the passages, whose partial matches then all scored 0).
    terms = " + ".join(
        f"CAST(:idf{index} AS float8) * tf{index} * {BM25_K1 + 1} / (tf{index} + {BM25_K1}"
        f" * ({1 - BM25_B} + {BM25_B} * dl / greatest(avg(dl) OVER (), 1)))"
        for index, _ in weighted
    )
    return f"""SELECT id, article_id, {terms or "0"} AS score FROM (
            SELECT {alias}.id, {article} AS article_id,
                   length({alias}.search_vector)::float8 AS dl, {tfs or "0 AS tf"}
            {source}) AS counted"""


async def _rows(session: AsyncSession, plan: _Plan, ids: list[int]) -> Iterable[Sequence[Any]]:
    options = (
        f"StartSel={MATCH_OPEN}, StopSel={MATCH_CLOSE}, MaxWords={SNIPPET_TOKENS + 8},"
        f' MinWords={SNIPPET_TOKENS // 2}, MaxFragments=1, FragmentDelimiter=" {ELLIPSIS} "'
    )
    params = dict(plan.params, options=options, ids=ids)
    vector = f"to_tsvector('{SIMPLE}', p.text)" if plan.stop_only else "p.search_vector"
    sql = f"""
        SELECT p.id, p.article_id, a.title, a.author, p.number, p.stable_id, p.text,
               CASE WHEN {vector} @@ ({plan.any_once})
                    THEN ts_headline('{plan.config}', p.text, ({plan.any_once}), :options) END
        FROM passages AS p JOIN articles AS a ON a.id = p.article_id
        WHERE p.id = ANY(:ids)
    """
    return (await session.execute(text(sql), params)).all()


# ---- ranking lists ----------------------------------------------------------------------------


async def refresh_term_lists(session: AsyncSession) -> dict[str, int]:
    """As on SQLite; frequent lexemes come from PostgreSQL's column statistics (ANALYZE keeps
    the most common elements of a tsvector column with their frequencies), not a table scan."""
    await session.execute(text("ANALYZE passages"))
    row = (
        await session.execute(
            text(
                "SELECT most_common_elems::text::text[], most_common_elem_freqs, c.reltuples"
                " FROM pg_stats AS s JOIN pg_class AS c ON c.relname = s.tablename"
                " WHERE s.schemaname = current_schema() AND s.tablename = 'passages'"
                " AND s.attname = 'search_vector'"
            )
        )
    ).first()
    frequent: dict[str, int] = {}
    if row is not None and row[0] is not None:
        elems, freqs, tuples = row
        for lexeme, freq in zip(elems, freqs, strict=False):
            matches = round(freq * max(tuples, 0))
            if matches >= LIST_MIN_MATCHES:
                frequent[lexeme] = matches
    result = await session.execute(text("SELECT term, matches FROM search_terms"))
    built = {str(term): int(matches) for term, matches in result.all()}
    max_id = (await session.scalar(text("SELECT coalesce(max(id), 0) FROM passages"))) or 0
    gone = [term for term in built if term not in frequent]
    stale = [
        term
        for term, matches in frequent.items()
        if term not in built or abs(matches - built[term]) > LIST_REBUILD_GROWTH * built[term]
    ]
    if gone or stale:
        await session.execute(
            text("DELETE FROM search_terms WHERE term = ANY(:terms)"), {"terms": gone + stale}
        )
    for term in stale:
        await session.execute(
            text("INSERT INTO search_terms (term, matches, max_passage_id) VALUES (:t, :m, :x)"),
            {"t": term, "m": frequent[term], "x": max_id},
        )
        await session.execute(
            text(
                "INSERT INTO search_term_passages (term, passage_id, score)"
                " SELECT :t, id, ts_rank(search_vector, CAST(:q AS tsquery), :norm) AS score"
                " FROM passages WHERE search_vector @@ CAST(:q AS tsquery)"
                " ORDER BY score DESC LIMIT :k"
            ),
            {"t": term, "q": _lexeme_query(term), "k": LIST_SIZE, "norm": RANK_NORMALIZATION},
        )
    return {"frequent_terms": len(frequent), "rebuilt": len(stale), "dropped": len(gone)}


async def rebuild_index(session: AsyncSession) -> None:
    # The triggers recompute search_vector whenever `text` / `title` is assigned.
    await session.execute(text("UPDATE passages SET text = text"))
    await session.execute(text("UPDATE articles SET title = title"))
    await session.execute(text("DELETE FROM search_terms"))
    await refresh_term_lists(session)


async def count(session: AsyncSession, query: SearchQuery, filters: SearchFilters, cap: int) -> int:
    """Passages holding every word (with the filters), counted up to `cap` + 1."""
    plan = _Plan(query, filters, 1, 0)
    params = dict(plan.params, cap=cap + 1)
    await _plans(session, CUSTOM)
    if plan.stop_only:  # among the newest passages, as searched
        sql = f"SELECT count(*) FROM ({_stop_matches(plan, ':cap')}) AS m"
        return int((await session.execute(text(sql), dict(plan.params, cap=cap + 1))).scalar_one())
    sql = f"SELECT count(*) FROM (SELECT p.id {plan.matches(plan.all)} LIMIT :cap) AS m"
    return int((await session.execute(text(sql), params)).scalar_one())
