"""load_paths stores files in batches (one transaction each): a file whose store fails inside a
batch must still be the only one that fails, and batches must not change what is stored."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from forumbot.config import Settings
from forumbot.services import archive as archive_module
from forumbot.services.archive import ArchiveService

Sessions = async_sessionmaker[AsyncSession]


def write(folder: Path, count: int) -> list[Path]:
    folder.mkdir(exist_ok=True)
    paths = []
    for n in range(count):
        path = folder / f"doc{n:02d}.txt"
        path.write_text(f"Title {n}\n\nFirst paragraph of {n}.\n\nSecond paragraph of {n}.\n")
        paths.append(path)
    return paths


@pytest.mark.parametrize("batch", [1, 3, 100])
async def test_batches_store_the_same_and_report_in_file_order(
    sessionmaker: Sessions, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, batch: int
) -> None:
    monkeypatch.setattr(archive_module, "LOAD_BATCH_FILES", batch)
    service = ArchiveService(sessionmaker, Settings(max_file_bytes=64 * 1024))
    paths = write(tmp_path / "docs", 7)
    (tmp_path / "docs" / "doc03.txt").write_bytes(b"bad\x00file")  # a parse error mid-batch
    progress: list[tuple[int, int, str]] = []
    report = await service.load_paths([tmp_path / "docs"], progress=lambda *a: progress.append(a))
    assert [Path(i.path).name for i in report.loaded] == [
        p.name for p in paths if p.name != "doc03.txt"
    ]
    assert [Path(e.path).name for e in report.errors] == ["doc03.txt"]
    assert progress == [(n, 7, str(p)) for n, p in enumerate(paths, start=1)]
    articles = await service.list_articles()
    assert [(a.title, a.passages, a.revision) for a in articles] == [
        (f"Title {n}", 2, 1) for n in range(7) if n != 3
    ]

    # Second load in batches: one edited file is revised, the rest are unchanged.
    paths[5].write_text("Title 5\n\nFirst paragraph of 5.\n\nAn edit.\n")
    again = await service.load_paths([tmp_path / "docs"])
    assert [(Path(i.path).name, i.status, i.revision) for i in again.loaded] == [
        ("doc05.txt", "revised", 2)
    ]
    assert len(again.skipped) == 5


async def test_store_failure_in_a_batch_fails_only_that_file(
    sqlite_sessionmaker: Sessions, tmp_path: Path
) -> None:
    service = ArchiveService(sqlite_sessionmaker, Settings(max_file_bytes=64 * 1024))
    paths = write(tmp_path / "docs", 5)
    # A real store failure (an integrity error from the database) for one file's article only.
    async with sqlite_sessionmaker() as session, session.begin():
        await session.execute(
            text(
                "CREATE TRIGGER poison BEFORE INSERT ON articles WHEN new.title = 'Title 2'"
                " BEGIN SELECT RAISE(ABORT, 'poisoned title'); END"
            )
        )
    report = await service.load_paths([tmp_path / "docs"])
    assert [Path(i.path).name for i in report.loaded] == [
        p.name for p in paths if p.name != "doc02.txt"
    ]
    assert [(Path(e.path).name, e.error) for e in report.errors] == [
        ("doc02.txt", "could not store: poisoned title")
    ]
    assert [a.title for a in await service.list_articles()] == [
        "Title 0",
        "Title 1",
        "Title 3",
        "Title 4",
    ]


async def test_database_level_error_stops_the_load(
    sqlite_sessionmaker: Sessions, tmp_path: Path
) -> None:
    service = ArchiveService(sqlite_sessionmaker, Settings(max_file_bytes=64 * 1024))
    write(tmp_path / "docs", 3)
    async with sqlite_sessionmaker() as session, session.begin():
        # Every passage insert now fails in its FTS trigger: the database itself is unusable.
        await session.execute(text("DROP TABLE passages_fts"))
    with pytest.raises(OperationalError):
        await service.load_paths([tmp_path / "docs"])
    async with sqlite_sessionmaker() as session:
        assert await session.scalar(text("SELECT count(*) FROM articles")) == 0
