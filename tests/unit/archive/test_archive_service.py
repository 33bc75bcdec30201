"""ArchiveService on a real migrated database: SQLite and (when reachable) PostgreSQL."""

from __future__ import annotations

import os
import re
import shutil
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from forumbot.config import Settings
from forumbot.services.archive import ArchiveService, ArticleNotFound, PassageOutOfRange
from forumbot.services.errors import InvalidInput, UserFacingError
from forumbot.storage.archive import ArchiveRepository

SEEDS = Path(__file__).resolve().parents[3] / "seeds"
SEED_FILES = len(list(SEEDS.iterdir()))


def locate(source: str, paragraph: str) -> int:
    """Where `paragraph` starts in the file (the parser collapses runs of whitespace)."""
    pattern = r"\s+".join(re.escape(word) for word in paragraph.split()[:6])
    match = re.search(pattern, source)
    assert match, paragraph[:60]
    return match.start()


@pytest.fixture
def service(sessionmaker: async_sessionmaker[AsyncSession]) -> ArchiveService:
    return ArchiveService(sessionmaker, Settings(max_file_bytes=64 * 1024))


@pytest.fixture
def seeds(tmp_path: Path) -> Path:
    target = tmp_path / "seeds"
    shutil.copytree(SEEDS, target)
    return target


async def test_load_list_search_cite(service: ArchiveService, seeds: Path) -> None:
    progress: list[tuple[int, int]] = []
    report = await service.load_paths([seeds], progress=lambda d, t, p: progress.append((d, t)))
    files = SEED_FILES
    assert report.ok and report.errors == [] and report.skipped == []
    assert len({item.path for item in report.loaded}) == files
    assert progress == [(n, files) for n in range(1, files + 1)]

    articles = await service.list_articles()
    assert sorted(a.id for a in articles) == sorted(i.article_id for i in report.loaded)
    assert all(a.passages > 0 and a.title for a in articles)

    hits = await service.search("socialism", limit=5)
    assert 0 < len(hits) <= 5
    # Passages that contain the word come first (the porter stemmer also matches "social").
    assert all("social" in h.text.lower() for h in hits)

    hit = hits[0]
    text = await service.cite(hit.article_id, hit.passage)
    assert text.startswith("> ") and f"¶{hit.passage}" in text.splitlines()[-1]
    assert len(text) <= 2000

    suggestions = await service.suggest_articles(articles[0].title[:6])
    assert articles[0].id in {s.id for s in suggestions}


async def test_reload_skips_and_edit_revises_keeping_stable_ids(
    service: ArchiveService, sessionmaker: async_sessionmaker[AsyncSession], seeds: Path
) -> None:
    first = await service.load_paths([seeds])
    again = await service.load_paths([seeds])
    assert again.loaded == [] and again.errors == []
    assert sorted(i.article_id for i in again.skipped) == sorted(i.article_id for i in first.loaded)
    assert {i.status for i in again.skipped} == {"unchanged"}

    # A file holding one article, with enough passages to insert one in the middle.
    per_file = Counter(i.path for i in first.loaded)
    singles = {i.article_id: Path(i.path) for i in first.loaded if per_file[i.path] == 1}
    target = max(
        (a for a in await service.list_articles() if a.id in singles), key=lambda a: a.passages
    )
    assert target.passages >= 4
    path = singles[target.id]
    async with sessionmaker() as session:
        before = await ArchiveRepository(session).get_passages(target.id, 1, target.passages)
    cited_before = await service.cite(target.id, 3)

    text = path.read_text(encoding="utf-8")
    at = locate(text, before[2].text)
    path.write_text(text[:at] + "An inserted paragraph.\n\n" + text[at:], encoding="utf-8")

    revised = await service.load_paths([path])
    assert [(i.article_id, i.status) for i in revised.loaded] == [(target.id, "revised")]
    async with sessionmaker() as session:
        after = await ArchiveRepository(session).get_passages(target.id, 1, target.passages + 1)
    assert len(after) == len(before) + 1
    now = {p.stable_id: (p.number, p.text) for p in after}
    for p in before:  # every old passage keeps its stable id; those after the insert move by one
        assert now[p.stable_id] == (p.number + (p.number >= 3), p.text)
    assert after[2].text == "An inserted paragraph."
    assert (await service.cite(target.id, 4)).rsplit("\n", 1)[0] == cited_before.rsplit("\n", 1)[0]


async def test_bad_file_never_touches_stored_data(service: ArchiveService, tmp_path: Path) -> None:
    good = tmp_path / "good.txt"
    good.write_text("Good\n\nOne.\n\nTwo.\n")
    first = await service.load_paths([good])
    (article_id,) = [i.article_id for i in first.loaded]
    before = await service.list_articles()

    (tmp_path / "empty.md").write_bytes(b"")
    (tmp_path / "nul.txt").write_bytes(b"abc\x00def")
    (tmp_path / "huge.txt").write_bytes(b"x " * 40_000)  # over the 64 KiB limit
    os.mkfifo(tmp_path / "pipe.txt")  # would block forever if read
    report = await service.load_paths(
        [
            tmp_path / "empty.md",
            tmp_path / "nul.txt",
            tmp_path / "huge.txt",
            tmp_path / "gone",
            tmp_path / "pipe.txt",
            good,
        ]
    )
    assert sorted(Path(e.path).name for e in report.errors) == [
        "empty.md",
        "gone",
        "huge.txt",
        "nul.txt",
        "pipe.txt",
    ]
    assert [i.article_id for i in report.skipped] == [article_id]
    assert await service.list_articles() == before
    assert report.to_dict()["errors"][0].keys() == {"path", "error"}


async def test_same_file_name_twice_in_one_load_is_refused(
    service: ArchiveService, tmp_path: Path
) -> None:
    for folder in ("a", "b"):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "notes.txt").write_text(f"Notes {folder}\n\nText of {folder}.\n")
    report = await service.load_paths([tmp_path / "a", tmp_path / "b"])
    assert [Path(i.path).parent.name for i in report.loaded] == ["a"]
    assert len(report.errors) == 1 and "same article key" in report.errors[0].error
    assert [a.title for a in await service.list_articles()] == ["Notes a"]


async def test_errors_are_user_facing(service: ArchiveService, seeds: Path) -> None:
    await service.load_paths([seeds])
    article = (await service.list_articles())[0]
    with pytest.raises(ArticleNotFound):
        await service.cite(999_999, 1)
    with pytest.raises(PassageOutOfRange):
        await service.cite(article.id, article.passages + 1)
    with pytest.raises(InvalidInput):
        await service.cite(article.id, 3, 2)
    with pytest.raises(InvalidInput):
        await service.cite_text(str(article.id), "1-99")
    with pytest.raises(UserFacingError):
        await service.search("x", limit=0)
    assert (await service.resolve_article(article.title)).id == article.id
    assert (await service.resolve_article(str(article.id))).id == article.id


async def test_hostile_search_text(service: ArchiveService, seeds: Path) -> None:
    await service.load_paths([seeds])
    for query in ['"', "a AND", "NOT", "C++", "text:x", "(", "*", "", "x" * 5000]:
        assert isinstance(await service.search(query), list)
    # NUL and invalid Unicode get a clear error instead (test_archive_bad_text.py).


async def test_resolve_article_by_id_reads_one_row(service: ArchiveService, seeds: Path) -> None:
    await service.load_paths([seeds])
    listed = {a.id: a for a in await service.list_articles()}
    essay = next(a for a in listed.values() if a.comments == 3)
    # By id, the record is the same as the listing's (counts, tags, revision).
    assert await service.resolve_article(str(essay.id)) == essay
    assert await service.resolve_article(essay.id) == essay
    for unknown in ("999999", str(2**63), "9" * 40):  # the last two overflow a row id
        with pytest.raises(ArticleNotFound):
            await service.resolve_article(unknown)
