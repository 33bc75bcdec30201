"""SQLite ranking lists: for each term of an FTS5 index that matches at least LIST_MIN_MATCHES
passages, its LIST_SIZE best passages by bm25, kept in `search_terms` / `search_term_passages`.
The word index (`passages_fts`) and the word-pair index (`passage_pairs`) keep theirs the same
way, told apart by the term (a pair's holds the pair JOIN, which no word does)."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from forumbot.storage.search.common import LIST_REBUILD_GROWTH, LIST_SIZE


async def sync_lists(
    session: AsyncSession,
    index: str,
    *,
    min_matches: int,
    owns: Callable[[str], bool],
    max_passage_id: int,
    listable: Callable[[str], bool] = lambda term: True,
) -> tuple[int, int, int]:
    """Build the lists of `index`'s terms found in `min_matches` passages or more, rebuild those
    whose match count moved by LIST_REBUILD_GROWTH, drop those of terms no longer frequent.
    `owns` says which stored lists are this index's; `listable` which frequent terms may have
    one. Costs one read of the index's vocabulary plus a bm25 scan per rebuilt term. Returns
    (frequent, rebuilt, dropped); the caller commits."""
    vocab = f"temp.forumbot_{index}_vocab"
    await session.execute(
        text(f"CREATE VIRTUAL TABLE IF NOT EXISTS {vocab} USING fts5vocab(main, '{index}', 'row')")
    )
    result = await session.execute(
        text(f"SELECT term, doc FROM {vocab} WHERE doc >= :min"), {"min": min_matches}
    )
    frequent = {str(term): int(doc) for term, doc in result.all()}
    result = await session.execute(text("SELECT term, matches FROM search_terms"))
    built = {str(t): int(m) for t, m in result.all() if owns(str(t))}
    gone = [term for term in built if term not in frequent]
    stale = [
        term
        for term, matches in frequent.items()
        if term not in built or abs(matches - built[term]) > LIST_REBUILD_GROWTH * built[term]
    ]
    for term in gone + stale:
        await session.execute(text("DELETE FROM search_term_passages WHERE term = :t"), {"t": term})
        await session.execute(text("DELETE FROM search_terms WHERE term = :t"), {"t": term})
    rebuilt = 0
    for term in stale:
        if not listable(term):
            continue
        await session.execute(
            text("INSERT INTO search_terms (term, matches, max_passage_id) VALUES (:t, :m, :x)"),
            {"t": term, "m": frequent[term], "x": max_passage_id},
        )
        await session.execute(
            text(
                "INSERT INTO search_term_passages (term, passage_id, score)"
                f" SELECT :t, rowid, -bm25({index}) FROM {index}"
                f" WHERE {index} MATCH :q ORDER BY rank LIMIT :k"
            ),
            {"t": term, "q": '"' + term.replace('"', '""') + '"', "k": LIST_SIZE},
        )
        rebuilt += 1
    return len(frequent), rebuilt, len(gone)
