"""Deleting an article (RemovalService) on SQLite and PostgreSQL, and `forumbot delete`."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from forumbot.config import Settings, get_settings
from forumbot.services.archive import ArchiveService, ArticleNotFound, ArticleRemoved
from forumbot.services.errors import NotFound
from forumbot.services.removal import RemovalService, ThreadGone
from forumbot.storage.models.archive import Passage, RemovedPost
from forumbot.storage.models.discord import Publication

SEEDS = Path(__file__).resolve().parents[3] / "seeds"


class FakePort:
    """Records calls; `gone` threads raise ThreadGone; `crash_after_send` simulates a kill."""

    def __init__(self) -> None:
        self.sent: list[tuple[int, str, str]] = []
        self.closed: list[int] = []
        self.gone: set[int] = set()
        self.crash_after_send = False

    async def send_message(self, thread_id: int, *, content: str, nonce: str) -> int:
        if thread_id in self.gone:
            raise ThreadGone(thread_id)
        self.sent.append((thread_id, content, nonce))
        if self.crash_after_send:
            self.crash_after_send = False
            raise RuntimeError("killed")
        return 1000 + len(self.sent)

    async def find_message(self, thread_id: int, *, content: str, after: int) -> int | None:
        return next((1 for t, c, _n in self.sent if t == thread_id and c == content), None)

    async def close_thread(self, thread_id: int) -> None:
        if thread_id in self.gone:
            raise ThreadGone(thread_id)
        self.closed.append(thread_id)


@pytest.fixture
def archive(sessionmaker: async_sessionmaker[AsyncSession]) -> ArchiveService:
    return ArchiveService(sessionmaker, Settings(max_file_bytes=64 * 1024))


async def test_delete_leaves_a_tombstone_an_audit_entry_and_posts_to_close(
    archive: ArchiveService, sessionmaker: async_sessionmaker[AsyncSession], tmp_path: Path
) -> None:
    shutil.copytree(SEEDS, tmp_path / "seeds")
    report = await archive.load_paths([tmp_path / "seeds"])
    ranked = sorted(report.loaded, key=lambda i: -len(i.title))
    target, other = ranked[0], ranked[1]
    async with sessionmaker() as session, session.begin():
        for guild, thread in ((1, 501), (2, 502)):
            session.add(
                Publication(
                    guild_id=guild,
                    forum_channel_id=9,
                    article_id=target.article_id,
                    revision=1,
                    title="t",
                    starter_content="s",
                    marker="m",
                    state="done",
                    thread_id=thread,
                )
            )
    removal = RemovalService(sessionmaker)
    plan = await removal.plan(target.article_id)
    assert plan.posts == ((1, 501), (2, 502)) and plan.passages >= 2

    result = await removal.delete(target.article_id, actor="Ada (42)", guild_id=1)
    assert result.title == target.title
    with pytest.raises(ArticleRemoved, match="was removed"):
        await archive.cite(target.article_id, 1)
    with pytest.raises(ArticleRemoved, match="was removed"):
        await archive.resolve_article(str(target.article_id))
    with pytest.raises(ArticleNotFound) as never:  # never existed: not "removed"
        await archive.cite(999_999, 1)
    assert not isinstance(never.value, ArticleRemoved)
    assert await archive.cite(other.article_id, 1)  # the others are untouched
    hits = await archive.search(target.title.split()[0], limit=100)
    assert all(h.article_id != target.article_id for h in hits)
    async with sessionmaker() as session:
        left = await session.scalar(
            select(func.count(Passage.id)).where(Passage.article_id == target.article_id)
        )
        assert left == 0
    with pytest.raises(NotFound):
        await removal.delete(target.article_id, actor="twice")

    (entry,) = await removal.audit()
    assert (entry.action, entry.article_id, entry.actor, entry.guild_id) == (
        "delete",
        target.article_id,
        "Ada (42)",
        1,
    )
    assert "2 forum posts to close" in entry.detail

    # Closing: guild 1's post once, even when re-run; a crash after the send is not resent.
    port = FakePort()
    port.crash_after_send = True
    with pytest.raises(RuntimeError):
        await removal.close_posts(port, 1)
    assert await removal.close_posts(port, 1) == 1
    assert len(port.sent) == 1 and port.closed == [501]
    assert "Removed from the archive" in port.sent[0][1]
    assert await removal.close_posts(port, 1) == 0
    port.gone.add(502)  # someone deleted guild 2's thread by hand: nothing to close
    assert await removal.close_posts(port, 2) == 1
    async with sessionmaker() as session:
        states = (await session.scalars(select(RemovedPost.state))).all()
        assert sorted(states) == ["done", "done"]


def test_cli_delete_asks_then_deletes_and_audits(tmp_path: Path) -> None:

    from forumbot.cli import main

    db = tmp_path / "cli.db"
    url = f"sqlite+aiosqlite:///{db}"
    (tmp_path / "a.md").write_text("---\ntitle: Tea\n---\n\nTea is a drink.\n\nGreen tea.\n")
    env = {"FORUMBOT_DATA_DIR": str(tmp_path)}
    get_settings.cache_clear()
    runner = CliRunner(env=env)
    try:
        assert (
            runner.invoke(main, ["load", str(tmp_path / "a.md"), "--database-url", url]).exit_code
            == 0
        )
        no = runner.invoke(main, ["delete", "1", "--database-url", url], input="n\n")
        assert "Cancelled" in no.output and "2 passages" in no.output
        assert "Tea" in runner.invoke(main, ["cite", "1", "1", "--database-url", url]).output
        yes = runner.invoke(
            main, ["delete", "Tea", "--database-url", url, "--by", "Ada"], input="y\n"
        )
        assert yes.exit_code == 0 and "Deleted #1" in yes.output, yes.output
        cite = runner.invoke(main, ["cite", "1", "1", "--database-url", url])
        assert cite.exit_code != 0 and "was removed" in cite.output
        bad = runner.invoke(main, ["delete", "77", "--yes", "--database-url", url])
        assert bad.exit_code != 0 and "no article" in bad.output and "Traceback" not in bad.output
        trail = runner.invoke(main, ["audit", "--database-url", url])
        assert "delete #1 'Tea' by Ada" in trail.output
    finally:
        get_settings.cache_clear()
