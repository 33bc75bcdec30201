"""Text that is not valid Unicode, or holds NUL, reaching the database: a clear InvalidInput on
SQLite and PostgreSQL alike, never a driver error."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from forumbot.cli import main
from forumbot.config import Settings
from forumbot.services.archive import ArchiveService
from forumbot.services.errors import InvalidInput

SEEDS = Path(__file__).resolve().parents[3] / "seeds"
BAD = ["revolution\udcff", "revo\x00lution", "\ud800", "a\x00"]


@pytest.fixture
async def service(sessionmaker: async_sessionmaker[AsyncSession], tmp_path: Path) -> ArchiveService:
    service = ArchiveService(sessionmaker, Settings(max_file_bytes=64 * 1024))
    seeds = tmp_path / "seeds"
    shutil.copytree(SEEDS, seeds)
    assert (await service.load_paths([seeds])).ok
    return service


@pytest.mark.parametrize("text", BAD)
async def test_bad_search_text_and_filters_are_refused_clearly(
    service: ArchiveService, text: str
) -> None:
    calls = {
        "query": lambda: service.search(text),
        "author": lambda: service.search("revolution", author=text),
        "tag": lambda: service.search("revolution", tag=text),
        "inline author": lambda: service.search(f'revolution author:"{text}"'),
        "inline tag": lambda: service.search(f"revolution tag:{text}"),
        "suggest": lambda: service.suggest_articles(text),
        "resolve": lambda: service.resolve_article(text),
    }
    for name, call in calls.items():
        with pytest.raises(InvalidInput) as raised:
            await call()
        message = str(raised.value)
        assert "NUL" in message or "not valid" in message, (name, message)
    assert await service.search("revolution")  # nothing else changed


def test_cli_search_with_invalid_utf8_says_so(sqlite_url: str) -> None:
    # What the shell hands Python for $'revolution\xff': a lone surrogate (surrogateescape).
    result = CliRunner().invoke(main, ["search", "revolution\udcff", "--database-url", sqlite_url])
    assert result.exit_code != 0
    assert "not valid" in result.output and "unexpected error" not in result.output
