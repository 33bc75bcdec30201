"""End to end through the sandbox, feeds served by the local web server: /feeds commands, a
new entry becomes exactly one forum post, review cards with Publish/Skip (a double click
publishes once), a bot killed in the middle of publishing a feed entry, restarted: still
exactly one post, and a bot that stops cleanly whenever its poller is woken. On SQLite (the
service-level feed tests run on PostgreSQL too)."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from pathlib import Path
from typing import Any, TypeVar

import pytest
from sqlalchemy import update

from forumbot.bot.client import ForumBot
from forumbot.config import Settings
from forumbot.sandbox import DemoGuild, Sandbox
from forumbot.sandbox.interactions import message_text
from forumbot.storage.models.feeds import Feed
from tests.e2e.bot.test_bot_load_admin import buttons
from tests.e2e.bot.test_bot_publishing_faults import KillGate, article_threads
from tests.feed_documents import full, rss
from tests.fixtures.bot import ThreadedBot, make_bot_settings, run_setup
from tests.fixtures.webserver import WebServer

T = TypeVar("T")


@pytest.fixture
def bot_settings(sqlite_url: str, tmp_path: Path, webserver: WebServer) -> Settings:
    return make_bot_settings(sqlite_url, tmp_path, fetch_allow_hosts=webserver.allow)


def feeds_cog(bot: ForumBot) -> Any:
    # A bot's load_extension imports cogs.feeds afresh after another bot unloaded it, so the
    # cog is not an instance of the class this module imported: check by name.
    cog = bot.get_cog("FeedsCog")
    assert cog is not None and type(cog).__name__ == "FeedsCog"
    return cog


async def run(sandbox: Sandbox, guild: DemoGuild, command: str, **options: Any) -> str:
    handle = await sandbox.invoke_command(guild.admin_id, guild.general_id, command, options)
    return await handle.text(timeout=15)


async def due_now(bot: ForumBot) -> None:
    """Every feed due now (instead of at its interval)."""
    async with bot.services.sessionmaker() as session, session.begin():
        await session.execute(update(Feed).values(next_poll_at=Feed.created_at))


async def on_loop(threaded: ThreadedBot, coro: Coroutine[Any, Any, T]) -> T:
    """Run `coro` on a threaded bot's own loop (its engine belongs to that loop)."""
    return await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(coro, threaded.loop))


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
    hits = webserver.hits["/feed"]
    # Bad input: one ephemeral line, nothing stored.
    refused = await run(sandbox, configured, "feeds add", url=webserver.url("/status/404"))
    assert "HTTP 404" in refused
    refused = await run(sandbox, configured, "feeds interval", feed="999", every="1h")
    assert "No feed 999" in refused
    assert "Paused" in await run(sandbox, configured, "feeds pause", feed="1")
    await due_now(bot)
    await cog.run_round()
    assert webserver.hits["/feed"] == hits, "a paused feed is not fetched"
    assert "Resumed" in await run(sandbox, configured, "feeds resume", feed="1")
    assert "Removed feed 1" in await run(sandbox, configured, "feeds remove", feed="1")
    assert "No feeds yet" in await run(sandbox, configured, "feeds list")
    assert len(sandbox.threads(configured.forum_id)) == 1, "the imported article stays"
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
    refused = await sandbox.click(configured.alice_id, two, buttons(two)["Publish"])
    assert "Manage Server" in message_text(await refused.message())
    # Two moderators (or one double click) press Publish at once: one post, one "already".
    first, second = await asyncio.gather(
        sandbox.click(configured.admin_id, one, buttons(one)["Publish"]),
        sandbox.click(configured.admin_id, one, buttons(one)["Publish"]),
    )
    await first.response()
    await second.response()
    await sandbox.wait_until(
        lambda: "Published by" in (sandbox.world.messages[one["id"]]["content"] or ""),
        what="the card's outcome",
    )
    answers = [message_text(m) for h in (first, second) for m in [h.original, *h.followups] if m]
    await sandbox.wait_until(
        lambda: any(
            "already" in message_text(m)
            for h in (first, second)
            for m in [h.original, *h.followups]
            if m
        ),
        what="the second click's answer",
    )
    skip = await sandbox.click(configured.admin_id, two, buttons(two)["Skip"])
    await skip.response()
    await sandbox.wait_until(
        lambda: "Skipped by" in (sandbox.world.messages[two["id"]]["content"] or ""),
        what="the skip outcome",
    )
    await cog.run_round()
    threads = sandbox.threads(configured.forum_id)
    assert [t["name"] for t in threads] == ["Feed story 1"], (threads, answers)
    states = await bot.services.feed_poller.entry_states(1)
    assert states == {"published": 1, "skipped": 1}, states
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
        await on_loop(first, feeds_cog(first.bot).run_round())  # the baseline
        webserver.page("/feed", rss(entries(2, webserver)), content_type="application/rss+xml")
        await on_loop(first, due_now(first.bot))
        # Killed right after Discord created the entry's thread, before the bot hears back.
        gate.arm(1, "after", first)
        asyncio.run_coroutine_threadsafe(feeds_cog(first.bot).run_round(), first.loop)
        await asyncio.wait_for(gate.fired.wait(), 15)
        await sandbox.drop_connections()  # the dead bot's socket
        assert [t["name"] for t in sandbox.threads(demo.forum_id)] == ["Feed story 2"]
        second = ThreadedBot(sandbox, bot_settings)
        bots.append(second)
        await second.start()
        assert second.bot is not None

        def posted() -> bool:
            threads = sandbox.threads(demo.forum_id)
            return len(threads) >= 1 and len(sandbox.messages(threads[0]["id"])) >= 2

        # The restarted bot finishes it (its scheduler round and the feeds round both try).
        await sandbox.wait_until(posted, 20, what="the feed entry's post")
        await on_loop(second, due_now(second.bot))
        await on_loop(second, feeds_cog(second.bot).run_round())
        await on_loop(second, feeds_cog(second.bot).run_round())
        threads = sandbox.threads(demo.forum_id)
        assert [t["name"] for t in threads] == ["Feed story 2"], threads
        infos = await on_loop(
            second, second.bot.services.archive.list_articles(guild_id=int(demo.guild_id))
        )
        assert [i.title for i in infos] == ["Feed story 2"]
        assert len(article_threads(sandbox, demo.forum_id, infos[0].id)) == 1
        bodies = [m["content"] for m in sandbox.messages(threads[0]["id"])[1:]]
        assert len(bodies) == len(set(bodies)), "a message was posted twice"
        states = await on_loop(second, second.bot.services.feed_poller.entry_states(1))
        assert states == {"seen": 1, "published": 1}, states
    finally:
        for threaded in bots:
            threaded.kill()
    sandbox.assert_no_violations()


@pytest.mark.parametrize("turns", [0, 1, 2])
async def test_the_bot_stops_whenever_its_poller_is_woken(
    bot: ForumBot, sandbox: Sandbox, demo: DemoGuild, turns: int
) -> None:
    """/feeds add wakes the poller; a bot stopped at that very moment still stops. (With
    asyncio.wait_for, Python 3.11 swallowed the cancellation when the wake-up came in the same
    loop iteration, and the poller ran on: the bot's close waited for it forever.)"""
    cog = feeds_cog(bot)
    await asyncio.wait_for(cog.waiting.wait(), 10)  # its first round is over
    cog.wake()
    for _ in range(turns):
        await asyncio.sleep(0)
    closing = asyncio.ensure_future(bot.close())
    done, _ = await asyncio.wait({closing}, timeout=30)
    assert closing in done, "the bot did not stop: its feeds poller kept running"
    closing.result()
    assert bot.is_closed()
