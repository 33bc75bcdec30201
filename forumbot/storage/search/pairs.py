"""The word-pair index of SQLite search (migration 0016): `passage_pairs` holds each passage's
adjacent token pairs as single tokens, so "as to the" is searched as the pair phrase
"as_to to_the". A phrase of common words otherwise makes FTS5 read the positions of every
passage holding all its words; pairs of common words are far rarer than the words.

FTS5 tokens hold no '_' (unicode61 splits there), so a pair's token ("as_to") never collides
with a word's, and the frequent pairs' ranking lists live in `search_terms` beside the words'.

The pairs are made here, in Python (SQL cannot tokenize): triggers note the passages to index
(`passage_pairs_pending`) and the old text of indexed passages deleted or rewritten
(`passage_pairs_gone`: the index is contentless and forgets a row only given its tokens), and
`refresh_pairs` applies both after every load. Searches use the index only when both are empty.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import pairwise

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from forumbot.domain.query import QueryTerm
from forumbot.storage.search.common import LIST_MIN_MATCHES
from forumbot.storage.search.lists import sync_lists
from forumbot.storage.search.tokens import TextTokens, index_tokens

JOIN = "_"
BATCH = 2000  # passages read and indexed per statement
# True when the index is complete: searches may use it.
USABLE = (
    "NOT EXISTS (SELECT 1 FROM passage_pairs_pending)"
    " AND NOT EXISTS (SELECT 1 FROM passage_pairs_gone)"
)


# One for the process: stemming a word costs ~15 us, and each load batch repeats most words.
_TOKENS = TextTokens()


def pair_tokens(tokens: Sequence[str]) -> list[str]:
    return list(map(JOIN.join, pairwise(tokens)))


def is_pair(term: str) -> bool:
    """A ranking list's term is a pair's (word tokens never hold JOIN)."""
    return JOIN in term


def query_pairs(terms: Sequence[QueryTerm]) -> list[list[str]] | None:
    """Each term's pair tokens, when the pair index can answer the whole query: every term a
    phrase (or a word FTS5 reads as one, "don't") of two tokens or more. None otherwise."""
    groups = []
    for term in terms:
        tokens = index_tokens(term.text)
        if term.prefix or len(tokens) < 2:
            return None
        groups.append(pair_tokens(tokens))
    return groups or None


def pairs_expression(groups: Sequence[Sequence[str]]) -> str:
    """The FTS5 query over `passage_pairs`: each group a phrase of its pairs, all required.
    Pair tokens are letters, digits and JOIN only; quoted all the same."""
    return " AND ".join('"' + " ".join(group).replace('"', '""') + '"' for group in groups)


async def refresh_pairs(session: AsyncSession, *, most: int | None = None) -> dict[str, int]:
    """Take the passages noted by the triggers out of / into the pair index. Costs about what
    FTS5 costs to index the same passages' words. With `most`, do nothing when more passages
    than that wait (an archive just migrated: the end of a load indexes them, not its first
    batch). The caller commits."""
    if most is not None:
        waiting = await session.scalar(
            text(
                "SELECT (SELECT count(*) FROM (SELECT 1 FROM passage_pairs_pending LIMIT :n))"
                " + (SELECT count(*) FROM (SELECT 1 FROM passage_pairs_gone LIMIT :n))"
            ),
            {"n": most + 1},
        )
        if int(waiting or 0) > most:
            return {"pairs_skipped": 1}
    tokens = _TOKENS
    removed = 0
    while True:
        gone = (
            await session.execute(
                text("SELECT id, passage_id, text FROM passage_pairs_gone ORDER BY id LIMIT :n"),
                {"n": BATCH},
            )
        ).all()
        if not gone:
            break
        await session.execute(
            text(
                "INSERT INTO passage_pairs (passage_pairs, rowid, pairs)"
                " VALUES ('delete', :id, :pairs)"
            ),
            [{"id": pid, "pairs": " ".join(pair_tokens(tokens(body)))} for _, pid, body in gone],
        )
        await session.execute(
            text("DELETE FROM passage_pairs_gone WHERE id <= :last"), {"last": gone[-1][0]}
        )
        removed += len(gone)
    added = 0
    while True:
        rows = (
            await session.execute(
                text(
                    "SELECT q.passage_id, p.text FROM passage_pairs_pending AS q"
                    " LEFT JOIN passages AS p ON p.id = q.passage_id"
                    " ORDER BY q.passage_id LIMIT :n"
                ),
                {"n": BATCH},
            )
        ).all()
        if not rows:
            break
        found = [
            {"id": pid, "pairs": " ".join(pair_tokens(tokens(body)))}
            for pid, body in rows
            if body is not None  # (a passage gone without its trigger: nothing to index)
        ]
        if found:
            await session.execute(
                text("INSERT INTO passage_pairs (rowid, pairs) VALUES (:id, :pairs)"), found
            )
        await session.execute(
            text("DELETE FROM passage_pairs_pending WHERE passage_id <= :last"),
            {"last": rows[-1][0]},
        )
        added += len(found)
    return {"pairs_removed": removed, "pairs_added": added}


async def refresh_pair_lists(session: AsyncSession, max_passage_id: int) -> dict[str, int]:
    """The ranking lists of pairs found in at least LIST_MIN_MATCHES passages (as
    `refresh_term_lists` builds the words'), for pair phrases matching too many passages to
    score them all. Reads the pair vocabulary: run it with the words' lists."""
    frequent, rebuilt, _ = await sync_lists(
        session,
        "passage_pairs",
        min_matches=LIST_MIN_MATCHES,
        owns=is_pair,
        max_passage_id=max_passage_id,
    )
    return {"frequent_pairs": frequent, "pairs_rebuilt": rebuilt}
