"""Search relevance on the seed articles (SQLite and PostgreSQL): passages that contain the
searched words come before passages that only sit under a matching title."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from forumbot.config import Settings
from forumbot.services.archive import ArchiveService

SEEDS = Path(__file__).resolve().parents[3] / "seeds"


@pytest.fixture
async def service(sessionmaker: async_sessionmaker[AsyncSession], tmp_path: Path) -> ArchiveService:
    service = ArchiveService(sessionmaker, Settings(max_file_bytes=1024 * 1024))
    shutil.copytree(SEEDS, tmp_path / "seeds")
    report = await service.load_paths([tmp_path / "seeds"])
    assert not report.errors
    return service


@pytest.mark.parametrize(
    ("query", "words"),
    [
        ("final victory", ["final", "victor"]),
        ('"final victory"', ["final victory"]),
        ("stalin", ["stalin"]),
    ],
)
async def test_passages_containing_the_words_come_first(
    service: ArchiveService, query: str, words: list[str]
) -> None:
    hits = await service.search(query, limit=10)
    # The seed article whose long title contains these words has short passages such as
    # "Dear Comrade Stalin," or "Ibid., p. 127." that must not outrank the real matches:
    # they may only follow them.
    contains = [all(w in " ".join(h.text.lower().split()) for w in words) for h in hits]
    assert contains[0], (query, hits[0].text[:80])
    assert contains == sorted(contains, reverse=True), (query, contains)
