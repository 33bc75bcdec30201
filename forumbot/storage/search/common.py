"""What both engines share: filters, hits, limits and the ranking plan's tiers."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from forumbot.domain.query import STOP_WORDS, QueryTerm

MAX_LIMIT = 100
MAX_OFFSET = 10_000
MAX_ID = 2**31 - 1
MAX_FILTER_CHARS = 200
SNIPPET_TOKENS = 16
SNIPPET_FALLBACK_CHARS = 200
HIGHLIGHT_OPEN = HIGHLIGHT_CLOSE = "**"
# What the engines mark matches with (private-use characters no article holds), so a matched
# word can be told from the article's own **bold**: `SearchHit.marked` keeps them, `snippet`
# shows them as HIGHLIGHT_OPEN/CLOSE.
MATCH_OPEN = "\ue000"
MATCH_CLOSE = "\ue001"
ELLIPSIS = "…"

# All-words matches up to this many are all scored (bm25 / ts_rank); a query that matches more
# passages is ranked from the terms' ranking lists (forumbot.storage.models.search).
EXACT_LIMIT = 2000
# Terms matching at least this many passages get a ranking list of their LIST_SIZE best.
LIST_MIN_MATCHES = 1500
LIST_SIZE = 200
# A list is rebuilt when its term's match count has changed by this fraction since it was built.
LIST_REBUILD_GROWTH = 0.1
# Partial matches (passages holding some of the words) are looked for among the passages of the
# query's rarest words, reading at most this many of them: common words add little to a
# question's ranking and would make its cost grow with the archive.
PARTIAL_BUDGET = 3000
# How much a matching article title adds to a passage's score (relative to its text's score).
TITLE_WEIGHT = 0.5
# Tiers, best first: every word in the passage (ranked); every word in the passage, past what
# the ranking lists hold (newest first: deep pages, narrow filters); every word in the
# article's title; some of the words (partial).
TIER_ALL, TIER_MORE, TIER_TITLE, TIER_PARTIAL = 0, 1, 2, 3


@dataclass(frozen=True, slots=True)
class SearchFilters:
    author: str | None = None  # case-insensitive "contains"
    article_id: int | None = None
    tag: str | None = None  # case-insensitive equality
    # The libraries searched (a guild's own and the shared one); None: every library.
    libraries: tuple[int, ...] | None = None


@dataclass(frozen=True, slots=True)
class SearchHit:
    article_id: int
    title: str
    author: str | None
    passage: int  # the passage number, as cited
    stable_id: str
    snippet: str  # passage text around the match, matches in **bold**
    text: str  # the whole passage
    # True when the passage holds only some of the searched words (found to fill a page).
    partial: bool = False
    # The snippet with matches between MATCH_OPEN and MATCH_CLOSE (article text otherwise).
    marked: str = ""


@dataclass(slots=True)
class Ranked:
    """A passage id with its tier and score (higher is better) while a page is assembled."""

    id: int
    tier: int
    score: float


def partial_terms(terms: Sequence[QueryTerm]) -> list[QueryTerm]:
    """What partial matches are made of: words and prefixes as they are, a phrase's words."""
    units: list[QueryTerm] = []
    for term in terms:
        if term.phrase:
            words = [w for w in term.text.split() if w.lower() not in STOP_WORDS]
            units.extend(QueryTerm(w) for w in words or term.text.split())
        else:
            units.append(term)
    return list(dict.fromkeys(units))


def like_contains(value: str) -> str:
    escaped = value.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def filter_sql(filters: SearchFilters, params: dict[str, Any], lower: str = "lower") -> str:
    """Conditions on `p` (passages) and `a` (articles), shared by both engines."""
    clauses = []
    if filters.libraries is not None:
        marks = []
        for index, library in enumerate(filters.libraries):
            params[f"library{index}"] = int(library)
            marks.append(f":library{index}")
        clauses.append(f"a.library_id IN ({', '.join(marks) or 'NULL'})")
    if filters.author:
        clauses.append(f"{lower}(a.author) LIKE :author ESCAPE '\\'")
        params["author"] = like_contains(" ".join(filters.author.split())[:MAX_FILTER_CHARS])
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


def page(ranked: Iterable[Ranked], limit: int, offset: int) -> list[Ranked]:
    """Best first (tier, then score, then newest), each passage once, then the page."""
    best: dict[int, Ranked] = {}
    for item in ranked:
        seen = best.get(item.id)
        if seen is None or (item.tier, -item.score) < (seen.tier, -seen.score):
            best[item.id] = item
    ordered = sorted(best.values(), key=lambda r: (r.tier, -r.score, -r.id))
    return ordered[offset : offset + limit]


def fallback_snippet(text: str) -> str:
    if len(text) <= SNIPPET_FALLBACK_CHARS:
        return text
    return text[:SNIPPET_FALLBACK_CHARS].rsplit(" ", 1)[0] + ELLIPSIS


def hits(rows: Iterable[Sequence[Any]], order: Sequence[Ranked]) -> list[SearchHit]:
    """Rows of (id, article_id, title, author, number, stable_id, text, snippet), in `order`."""
    by_id = {row[0]: row for row in rows}
    found = []
    for item in order:
        row = by_id.get(item.id)
        if row is None:  # deleted meanwhile
            continue
        _id, article_id, title, author, number, stable_id, passage_text, raw = row
        raw = raw or fallback_snippet(passage_text.replace(MATCH_OPEN, "").replace(MATCH_CLOSE, ""))
        snippet = raw.replace(MATCH_OPEN, HIGHLIGHT_OPEN).replace(MATCH_CLOSE, HIGHLIGHT_CLOSE)
        found.append(
            SearchHit(
                article_id=article_id,
                title=title,
                author=author,
                passage=number,
                stable_id=stable_id,
                snippet=snippet,
                text=passage_text,
                partial=item.tier == TIER_PARTIAL,
                marked=raw,
            )
        )
    return found
