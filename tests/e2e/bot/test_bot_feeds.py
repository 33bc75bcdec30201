"""End to end through the sandbox, feeds served by the local web server: /feeds commands, a
new entry becomes exactly one forum post, review cards with Publish/Skip, and a bot killed in
the middle of publishing a feed entry, restarted: still exactly one post. On SQLite (the
service-level feed tests run on PostgreSQL too)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from cogs.feeds.cog import FeedsCog
from forumbot.bot.client import ForumBot
from forumbot.config import Settings
from forumbot.sandbox import DemoGuild, Sandbox
from forumbot.sandbox.interactions import message_text
from tests.e2e.bot.test_bot_load_admin import buttons
from tests.e2e.bot.test_bot_publishing_faults import KillGate, article_threads
from tests.feed_documents import full, rss
from tests.fixtures.bot import ThreadedBot, run_setup
from tests.fixtures.webserver import WebServer


@pytest.fixture
def bot_settings(sqlite_url: str, tmp_path: Path, webserver: WebServer) -> Settings:
    return Settings(
        data_dir=tmp_path / "data",
        database_url=sqlite_url,
        max_file_bytes=200_000,
        lease_ttl_seconds=3.0,
        fetch_allow_hosts=webserver.allow,
    )


def feeds_cog(bot: ForumBot) -> FeedsCog:
    cog = bot.get_cog("FeedsCog")
    assert isinstance(cog, FeedsCog)
    return cog


async def run(sandbox: Sandbox, guild: DemoGuild, command: str, **options: Any) -> str:
    handle = await sandbox.invoke_command(guild.admin_id, guild.general_id, command, options)
    return await handle.text(timeout=15)


async def due_now(bot: ForumBot) -> None:
    from sqlalchemy import update

    from forumbot.storage.models.feeds import Feed

    async with bot.services.sessionmaker() as session, session.begin():
        await session.execute(update(Feed).values(next_poll_at=Feed.created_at))


def entries(n: int, server: WebServer) -> list[tuple[str, str, str, str | None]]:
    return [
        (f"g{i}", f"Feed story {i}", server.url(f"/s{i}"), full(f"Story {i}.")) for i in n_range(n)
    ]


def n_range(n: int) -> range:
    return range(1, n + 1)


async def test_subscribe_then_a_new_entry_becomes_exactly_one_post(
    bot: ForumBot, sandbox: Sandbox, configured: DemoGuild, webserver: WebServer
) -> None:
    webserver.page("/feed", rss(entries(1, webserver)), content_type="application/rss+xml")
    text = await run(
        sandbox, configured, "feeds add", url=webserver.url("/feed"), tags="wire", interval="10m"
    )
    assert "Subscribed" in text and "every 10m" in text, text
    cog = feeds_cog(bot)
    await cog.run_round()  # the baseline: what is already in the feed is not posted
    assert sandbox.threads(configured.forum_id) == []
    webserver.page("/feed", rss(entries(2, webserver)), content_type="application/rss+xml")
    await due_now(bot)
    await cog.run_round()
    threads = sandbox.threads(configured.forum_id)
    assert [t["name"] for t in threads] == ["Feed story 2"]
    await due_now(bot)
    await cog.run_round()
    await cog.run_round()
    assert len(sandbox.threads(configured.forum_id)) == 1
    listed = await run(sandbox, configured, "feeds list")
    assert "Test RSS" in listed and "2 entries" in listed
    # Bad input: one ephemeral line, nothing stored.
    refused = await run(sandbox, configured, "feeds add", url=webserver.url("/status/404"))
    assert "HTTP 404" in refused
    refused = await run(sandbox, configured, "feeds interval", feed="999", every="1h")
    assert "No feed 999" in refused
    denied = await sandbox.invoke_command(
        configured.alice_id, configured.general_id, "feeds list", {}
    )
    assert "Manage Server" in await denied.text()
    sandbox.assert_no_violations()


async def test_review_card_then_publish_and_skip(
    bot: ForumBot, sandbox: Sandbox, configured: DemoGuild, webserver: WebServer
) -> None:
    webserver.page("/feed", rss(entries(2, webserver)), content_type="application/rss+xml")
    text = await run(
        sandbox,
        configured,
        "feeds add",
        url=webserver.url("/feed"),
        publish="review",
        backfill=True,
    )
    assert "Subscribed" in text
    cog = feeds_cog(bot)
    await cog.run_round()
    await cog.run_round()  # delivering again never posts a second card
    cards = [m for m in sandbox.messages(configured.modlog_id) if "Publish" in buttons(m)]
    cards.sort(key=lambda c: c["embeds"][0]["title"])
    assert [c["embeds"][0]["title"] for c in cards] == ["Feed story 1", "Feed story 2"]
    assert sandbox.threads(configured.forum_id) == []
    one, two = cards
    publish_two = buttons(two)["Publish"]
    refused = await sandbox.click(configured.alice_id, two, publish_two)
    assert "Manage Server" in message_text(await refused.message())
    done = await sandbox.click(configured.admin_id, one, buttons(one)["Publish"])
    await done.response()
    await sandbox.wait_until(
        lambda: "Published by" in (sandbox.world.messages[one["id"]]["content"] or ""),
        what="the card's outcome",
    )
    skip = await sandbox.click(configured.admin_id, two, buttons(two)["Skip"])
    await skip.response()
    await sandbox.wait_until(
        lambda: "Skipped by" in (sandbox.world.messages[two["id"]]["content"] or ""),
        what="the skip outcome",
    )
    assert [t["name"] for t in sandbox.threads(configured.forum_id)] == ["Feed story 1"]
    sandbox.assert_no_violations()


async def test_kill_mid_publication_then_restart_still_one_post(
    sandbox: Sandbox, demo: DemoGuild, bot_settings: Settings, webserver: WebServer
) -> None:
    gate = KillGate(sandbox, demo.forum_id)
    first = ThreadedBot(sandbox, bot_settings)
    await first.start()
    bots = [first]
    try:
        assert "Set up" in await run_setup(sandbox, demo)
        webserver.page("/feed", rss(entries(1, webserver)), content_type="application/rss+xml")
        assert "Subscribed" in await run(sandbox, demo, "feeds add", url=webserver.url("/feed"))
        assert first.bot is not None
        cog = feeds_cog(first.bot)

        async def round_on(threaded: ThreadedBot) -> Any:
            assert threaded.bot is not None
            future = asyncio.run_coroutine_threadsafe(
                feeds_cog(threaded.bot).run_round(), threaded.loop
            )
            return await asyncio.wrap_future(future)

        await round_on(first)  # baseline
        webserver.page("/feed", rss(entries(2, webserver)), content_type="application/rss+xml")
        await due_now(first.bot)
        # Killed right after the thread is created, before the bot hears back.
        gate.arm(1, "after", first)
        asyncio.run_coroutine_threadsafe(cog.run_round(), first.loop)
        await asyncio.wait_for(gate.fired.wait(), 15)
        await sandbox.drop_connections()
        second = ThreadedBot(sandbox, bot_settings)
        bots.append(second)
        await second.start()
        assert second.bot is not None

        def posted() -> bool:
            threads = sandbox.threads(demo.forum_id)
            return len(threads) >= 1 and len(sandbox.messages(threads[0]["id"])) >= 2

        # The restarted bot finishes it (its scheduler round and the feeds round both try).
        await sandbox.wait_until(posted, 20, what="the feed entry's post")
        await round_on(second)
        await round_on(second)
        threads = sandbox.threads(demo.forum_id)
        assert [t["name"] for t in threads] == ["Feed story 2"], threads
        (info,) = await second.bot.services.archive.list_articles(guild_id=int(demo.guild_id))
        assert len(article_threads(sandbox, demo.forum_id, info.id)) == 1
        bodies = [m["content"] for m in sandbox.messages(threads[0]["id"])[1:]]
        assert len(bodies) == len(set(bodies)), "a message was posted twice"
    finally:
        for threaded in bots:
            threaded.kill()
    sandbox.assert_no_violations()
