"""End to end through the sandbox: /setup, publishing, permissions."""

from __future__ import annotations

from pathlib import Path

from forumbot.bot.client import ForumBot
from forumbot.sandbox import DemoGuild, Sandbox
from tests.fixtures.bot import LoadArticles, run_setup


def write_article(
    tmp_path: Path, name: str, title: str, paragraphs: list[str], **meta: str
) -> Path:
    front = "\n".join(f"{k}: {v}" for k, v in {"title": title, **meta}.items())
    path = tmp_path / name
    path.write_text(f"---\n{front}\n---\n\n" + "\n\n".join(paragraphs) + "\n", encoding="utf-8")
    return path


async def test_setup_then_publish_one_article(
    bot: ForumBot, sandbox: Sandbox, demo: DemoGuild, load_articles: LoadArticles, tmp_path: Path
) -> None:
    text = await run_setup(sandbox, demo)
    assert "Set up" in text
    path = write_article(
        tmp_path,
        "a.md",
        "On tea",
        ["First paragraph about tea.", "Second one, longer."],
        author="Ada",
    )
    [article_id] = await load_articles(path)
    handle = await sandbox.invoke_command(
        demo.admin_id, demo.general_id, "article publish", {"article": str(article_id)}
    )
    reply = await handle.text()
    assert "Published" in reply, reply
    threads = sandbox.threads(demo.forum_id)
    assert len(threads) == 1 and threads[0]["name"] == "On tea"
    messages = sandbox.messages(threads[0]["id"])
    assert "by Ada" in messages[0]["content"]
    assert "First paragraph about tea." in messages[1]["content"]
    sandbox.assert_no_violations()


async def test_republishing_a_revised_article_updates_its_post(
    bot: ForumBot, sandbox: Sandbox, demo: DemoGuild, load_articles: LoadArticles, tmp_path: Path
) -> None:
    assert "Set up" in await run_setup(sandbox, demo)
    path = write_article(tmp_path, "r.md", "Revised", ["Old text."], author="Ada")
    [article_id] = await load_articles(path)
    first = await sandbox.invoke_command(
        demo.admin_id, demo.general_id, "article publish", {"article": str(article_id)}
    )
    assert "Published" in await first.text()
    write_article(tmp_path, "r.md", "Revised", ["New text.", "And more."], author="Ada")
    assert await load_articles(path) == [article_id]
    second = await sandbox.invoke_command(
        demo.admin_id, demo.general_id, "article publish", {"article": str(article_id)}
    )
    assert "Forum post updated" in await second.text()
    [thread] = sandbox.threads(demo.forum_id)
    messages = sandbox.messages(thread["id"])
    assert "revision 1 → 2" in messages[-1]["content"]
    assert "New text." in messages[1]["content"] and "Old text." not in messages[1]["content"]
    sandbox.assert_no_violations()
