"""ArchiveService.search_page on SQLite and PostgreSQL: counts, filter-only listings, the
empty archive, and match marks that differ from the article's own bold."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from forumbot.config import Settings
from forumbot.services.archive import SNIPPET_MATCH_MARKS, ArchiveService

OPEN, CLOSE = SNIPPET_MATCH_MARKS


async def test_search_page_counts_lists_and_marks(
    sessionmaker: async_sessionmaker[AsyncSession], tmp_path: Path
) -> None:
    service = ArchiveService(sessionmaker, Settings(max_file_bytes=64 * 1024))
    empty = await service.search_page("harbour")
    assert empty.hits == [] and empty.empty_archive

    for n in range(3):
        body = "\n\n".join(
            f"Passage {i} about the **quiet** harbour number {n}." for i in range(1, 5)
        )
        author = "Ada Lovelace" if n < 2 else "Grace Hopper"
        (tmp_path / f"a{n}.md").write_text(
            f"---\ntitle: Article {n}\nauthor: {author}\ntags: [sea]\n---\n\n{body}\n"
        )
    report = await service.load_paths([tmp_path])
    assert report.ok

    page = await service.search_page("harbour", limit=5)
    assert (page.total, page.over, page.listing) == (12, False, False)
    assert len(page.hits) == 6  # one more than the page: there is a next page
    hit = page.hits[0]
    assert f"{OPEN}harbour{CLOSE}" in hit.marked and "**quiet**" in hit.marked
    assert "**harbour**" in hit.snippet  # the plain snippet keeps the old form

    quiet = await service.search_page("quiet", limit=5)
    assert f"**{OPEN}quiet{CLOSE}**" in quiet.hits[0].marked

    listed = await service.search_page("", author="lovelace", limit=5, offset=5)
    assert listed.listing and listed.total == 8 and len(listed.hits) == 3
    assert [h.passage for h in listed.hits] == [2, 3, 4]  # archive order: article, number
    in_query = await service.search_page('author:"Grace Hopper" tag:sea', limit=10)
    assert in_query.listing and in_query.total == 4 and in_query.filters.tag == "sea"
    filtered = await service.search_page("harbour", author="hopper", limit=10)
    assert filtered.total == 4 and {h.author for h in filtered.hits} == {"Grace Hopper"}
    none = await service.search_page("zzqqxx")
    assert none.hits == [] and not none.empty_archive
