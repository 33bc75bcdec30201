"""Engine settings, and `forumbot db ...` against real files."""

from __future__ import annotations

import asyncio
from pathlib import Path

from click.testing import CliRunner
from sqlalchemy import text

from forumbot.cli import main
from forumbot.storage.db import current_revisions, head_revisions, make_engine


async def test_sqlite_engine_settings(tmp_path: Path) -> None:
    path = tmp_path / "nested" / "dir" / "f.sqlite3"
    engine = make_engine(f"sqlite+aiosqlite:///{path}")
    try:
        async with engine.connect() as conn:
            assert (await conn.scalar(text("PRAGMA journal_mode"))) == "wal"
            assert (await conn.scalar(text("PRAGMA foreign_keys"))) == 1
            assert (await conn.scalar(text("PRAGMA busy_timeout"))) >= 1000
            # Search reads its index through a memory map.
            assert (await conn.scalar(text("PRAGMA mmap_size"))) > 0
    finally:
        await engine.dispose()
    assert path.exists()


async def test_foreign_keys_enforced(sqlite_url: str) -> None:
    engine = make_engine(sqlite_url)
    try:
        async with engine.connect() as conn:
            try:
                await conn.execute(
                    text(
                        "INSERT INTO passages (article_id, number, stable_id, text)"
                        " VALUES (424242, 1, 's', 't')"
                    )
                )
            except Exception as exc:
                assert "FOREIGN KEY" in str(exc)
            else:
                raise AssertionError("foreign key not enforced")
    finally:
        await engine.dispose()


def test_cli_upgrade_current_downgrade(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'cli.sqlite3'}"
    runner = CliRunner()

    result = runner.invoke(main, ["db", "current", "--database-url", url])
    assert result.exit_code == 0, result.output
    assert "at base" in result.output

    result = runner.invoke(main, ["db", "upgrade", "--database-url", url])
    assert result.exit_code == 0, result.output
    assert asyncio.run(current_revisions(url)) == head_revisions()

    result = runner.invoke(main, ["db", "downgrade", "base", "--database-url", url])
    assert result.exit_code == 0, result.output
    assert asyncio.run(current_revisions(url)) == ()


def test_cli_errors_are_one_line(tmp_path: Path) -> None:
    runner = CliRunner()
    cases = [
        (["db", "upgrade", "--database-url", "nosuchdriver://x"], "invalid database URL"),
        (
            ["db", "downgrade", "no-such-rev", "--database-url", f"sqlite:///{tmp_path}/a.db"],
            "no-such-rev",
        ),
        (
            ["db", "upgrade", "--database-url", "postgresql+asyncpg://u@127.0.0.1:1/x"],
            "unavailable",
        ),
    ]
    for args, expected in cases:
        result = runner.invoke(main, args)
        assert result.exit_code == 1, (args, result.output)
        assert "Traceback" not in result.output
        lines = [line for line in result.output.splitlines() if line.startswith("error:")]
        assert len(lines) == 1 and expected in lines[0], result.output


def test_plain_urls_get_async_drivers() -> None:
    from forumbot.storage.db import normalise_url

    assert normalise_url("sqlite:///x.db") == "sqlite+aiosqlite:///x.db"
    assert normalise_url("postgres://u:p%40ss@h/db") == "postgresql+asyncpg://u:p%40ss@h/db"
    assert normalise_url("postgresql+psycopg://h/db") == "postgresql+psycopg://h/db"
