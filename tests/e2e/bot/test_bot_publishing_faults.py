"""Publishing through the sandbox: limits, faults (429, 5xx, dropped gateway) and a kill at
every request boundary of a publish, followed by a restart: exactly one thread per article and
every passage exactly once."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path
from typing import Any

from forumbot.bot.client import ForumBot
from forumbot.config import Settings
from forumbot.sandbox import DemoGuild, Sandbox
from forumbot.services.publishing import marker_for
from tests.fixtures.bot import SEEDS_DIR, LoadArticles, ThreadedBot, run_setup

LABEL = re.compile(r"\*\*¶(\d+)( \(cont\.\))?\*\*")


def write_article(
    tmp_path: Path, name: str, title: str, paragraphs: list[str], tags: str = ""
) -> Path:
    meta = f"title: {title}\nauthor: Ada\n" + (f"tags: [{tags}]\n" if tags else "")
    path = tmp_path / name
    path.write_text(f"---\n{meta}---\n\n" + "\n\n".join(paragraphs) + "\n", encoding="utf-8")
    return path


def article_threads(sandbox: Sandbox, forum_id: str, article_id: int) -> list[dict[str, Any]]:
    tag = f"archive ref A{article_id}.R"
    return [
        t
        for t in sandbox.threads(forum_id)
        if sandbox.messages(t["id"]) and tag in sandbox.messages(t["id"])[0]["content"]
    ]


def assert_published_once(
    sandbox: Sandbox, forum_id: str, article_id: int, passages: int
) -> list[dict[str, Any]]:
    threads = article_threads(sandbox, forum_id, article_id)
    assert len(threads) == 1, f"article {article_id}: {len(threads)} threads"
    thread = threads[0]
    assert 1 <= len(thread["name"]) <= 100
    messages = sandbox.messages(thread["id"])
    bodies = [m["content"] for m in messages[1:]]
    assert len(bodies) == len(set(bodies)), "a message was posted twice"
    firsts = [int(n) for body in bodies for n, cont in LABEL.findall(body) if not cont]
    assert firsts == list(range(1, passages + 1)), firsts
    assert all(len(m["content"]) <= 2000 for m in messages)
    return messages


async def test_publish_all_seeds_respects_limits(
    bot: ForumBot, sandbox: Sandbox, configured: DemoGuild, load_articles: LoadArticles
) -> None:
    ids = await load_articles(SEEDS_DIR)
    handle = await sandbox.invoke_command(
        configured.admin_id, configured.general_id, "article publish-all"
    )
    assert f"{len(ids)} published" in await handle.text(timeout=60)
    async with bot_services(bot) as articles:
        for info in articles:
            assert_published_once(sandbox, configured.forum_id, info.id, info.passages)
            thread = article_threads(sandbox, configured.forum_id, info.id)[0]
            if len(info.title) > 100:
                assert thread["name"].endswith("…") and len(thread["name"]) <= 100
    # Long passages were split into several messages (the seeds have paragraphs > 2000 chars).
    all_bodies = [
        m["content"]
        for t in sandbox.threads(configured.forum_id)
        for m in sandbox.messages(t["id"])
    ]
    assert any("(cont.)" in body for body in all_bodies)
    # Imported reader comments follow the passages, attributed (a seed page has three).
    comments = [body for body in all_bodies if body.startswith("💬 Reader comment")]
    assert len(comments) >= 3 and all(" by **" in c for c in comments)
    # Running it again posts nothing new.
    before = len(sandbox.world.messages)
    again = await sandbox.invoke_command(
        configured.admin_id, configured.general_id, "article publish-all"
    )
    assert "0 published" in await again.text(timeout=30)
    assert len(sandbox.threads(configured.forum_id)) == len(ids)
    assert len(sandbox.world.messages) == before + 1  # only the reply
    sandbox.assert_no_violations()


class bot_services:
    def __init__(self, bot: ForumBot) -> None:
        self.bot = bot

    async def __aenter__(self) -> list[Any]:
        return await self.bot.services.archive.list_articles()

    async def __aexit__(self, *exc: object) -> None:
        return None


async def test_article_tags_become_forum_tags(
    bot: ForumBot,
    sandbox: Sandbox,
    configured: DemoGuild,
    load_articles: LoadArticles,
    tmp_path: Path,
) -> None:
    path = write_article(
        tmp_path, "t.md", "Tagged", ["One.", "Two."], tags="history, a tag that is far too long"
    )
    [article_id] = await load_articles(path)
    handle = await sandbox.invoke_command(
        configured.admin_id, configured.general_id, "article publish", {"article": str(article_id)}
    )
    assert "Published" in await handle.text()
    forum = sandbox.channel(configured.forum_id)
    names = {t["name"]: t["id"] for t in forum["available_tags"]}
    assert "history" in names and len(forum["available_tags"]) <= 20
    [thread] = article_threads(sandbox, configured.forum_id, article_id)
    assert names["history"] in thread["applied_tags"] and len(thread["applied_tags"]) == 2
    sandbox.assert_no_violations()


async def test_rate_limits_and_server_errors_do_not_duplicate(
    bot: ForumBot,
    sandbox: Sandbox,
    configured: DemoGuild,
    load_articles: LoadArticles,
    tmp_path: Path,
    allow_warnings: Any,
) -> None:
    allow_warnings(r"We are being rate limited")
    long = " ".join(f"Sentence number {i} of a long passage." for i in range(120))
    path = write_article(tmp_path, "f.md", "Faulty day", ["Short one.", long, "Last."])
    [article_id] = await load_articles(path)
    sandbox.inject(r"/channels/\d+/threads$", 429, method="POST", retry_after=0.05)
    sandbox.inject(r"/channels/\d+/messages$", 429, method="POST", retry_after=0.05, times=2)
    sandbox.inject(r"/channels/\d+/messages$", 500, method="POST", times=1)
    handle = await sandbox.invoke_command(
        configured.admin_id, configured.general_id, "article publish", {"article": str(article_id)}
    )
    assert "Published" in await handle.text(timeout=20)
    assert all(inj.hits == inj.times for inj in sandbox.injections)
    assert_published_once(sandbox, configured.forum_id, article_id, 3)
    sandbox.assert_no_violations()


async def test_dropped_gateway_mid_publish_all(
    bot: ForumBot, sandbox: Sandbox, configured: DemoGuild, load_articles: LoadArticles
) -> None:
    ids = await load_articles(SEEDS_DIR)
    handle = await sandbox.invoke_command(
        configured.admin_id, configured.general_id, "article publish-all"
    )
    await sandbox.wait_for_request("POST", r"/channels/\d+/threads$")
    assert await sandbox.drop_connections() >= 1
    assert f"{len(ids)} published" in await handle.text(timeout=60)
    await sandbox.wait_until_connected(count=1)
    async with bot_services(bot) as articles:
        for info in articles:
            assert_published_once(sandbox, configured.forum_id, info.id, info.passages)
    sandbox.assert_no_violations()


def _is_publish_request(sandbox: Sandbox, forum_id: str, method: str, path: str) -> bool:
    m = re.fullmatch(r"/channels/(\d+)(/threads|/messages)?", path)
    if m is None:
        return False
    channel = sandbox.world.channels.get(m.group(1))
    if channel is None:
        return False
    if m.group(2) is None:  # PATCH of the forum's tags
        return method == "PATCH" and channel["id"] == forum_id
    if m.group(2) == "/threads":
        return method == "POST" and channel["id"] == forum_id
    return method == "POST" and channel.get("parent_id") == forum_id


class KillGate:
    """Wraps the sandbox's write routes: at the n-th publish request, kill the bot before the
    request takes effect ("before") or after it took effect but before the bot hears back."""

    def __init__(self, sandbox: Sandbox, forum_id: str) -> None:
        self.sandbox = sandbox
        self.forum_id = forum_id
        self.count = 0
        self.target: int | None = None
        self.mode = "after"
        self.victim: ThreadedBot | None = None
        self.fired = asyncio.Event()
        routes = sandbox.rest._routes
        for i, (method, regex, handler, auth) in enumerate(routes):
            if method in ("POST", "PATCH"):
                routes[i] = (method, regex, self._wrap(method, handler), auth)

    def arm(self, target: int, mode: str, victim: ThreadedBot) -> None:
        self.count, self.target, self.mode, self.victim = 0, target, mode, victim
        self.fired = asyncio.Event()

    def _wrap(self, method: str, handler: Any) -> Any:
        async def gated(req: Any) -> Any:
            path = req.raw.path.removeprefix("/api/v10")
            if self.target is None or not _is_publish_request(
                self.sandbox, self.forum_id, method, path
            ):
                return await handler(req)
            n = self.count
            self.count += 1
            if n != self.target:
                return await handler(req)
            assert self.victim is not None
            self.target = None
            if self.mode == "before":
                await asyncio.to_thread(self.victim.kill)
                self.fired.set()
                return 500, {"message": "dead", "code": 0}
            result = await handler(req)
            await asyncio.to_thread(self.victim.kill)
            self.fired.set()
            return result

        return gated


async def test_kill_at_every_request_boundary_then_restart_is_exactly_once(
    sandbox: Sandbox,
    demo: DemoGuild,
    bot_settings: Settings,
    load_articles: LoadArticles,
    tmp_path: Path,
) -> None:
    gate = KillGate(sandbox, demo.forum_id)
    long = " ".join(f"Sentence {i} goes on for a while." for i in range(80))  # > 2000 chars

    async def new_article(n: int) -> int:
        path = write_article(
            tmp_path, f"k{n}.md", f"Kill test {n}", ["Opening.", long], tags=f"k{n}"
        )
        [article_id] = await load_articles(path)
        return article_id

    first = ThreadedBot(sandbox, bot_settings)
    await first.start()
    assert "Set up" in await run_setup(sandbox, demo)

    # A clean run counts the boundaries (tag edit, thread, messages).
    probe_id = await new_article(0)
    gate.arm(10_000, "after", first)
    handle = await sandbox.invoke_command(
        demo.admin_id, demo.general_id, "article publish", {"article": str(probe_id)}
    )
    assert "Published" in await handle.text(timeout=10)
    boundaries = gate.count
    assert boundaries >= 4, boundaries  # PATCH tags, POST thread, >= 2 messages
    assert_published_once(sandbox, demo.forum_id, probe_id, 2)

    bots = [first]
    try:
        await _kill_at_every_boundary(
            sandbox, demo, bot_settings, gate, new_article, boundaries, bots
        )
    finally:
        for threaded in bots:
            threaded.kill()
    sandbox.assert_no_violations()


async def _kill_at_every_boundary(
    sandbox: Sandbox,
    demo: DemoGuild,
    bot_settings: Settings,
    gate: KillGate,
    new_article: Any,
    boundaries: int,
    bots: list[ThreadedBot],
) -> None:
    current = bots[-1]
    run = 0
    published: list[int] = []
    for target in range(boundaries):
        for mode in ("before", "after"):
            run += 1
            article_id = await new_article(run)
            gate.arm(target, mode, current)
            await sandbox.invoke_command(
                demo.admin_id, demo.general_id, "article publish", {"article": str(article_id)}
            )
            await asyncio.wait_for(gate.fired.wait(), 10)
            await sandbox.drop_connections()  # the dead bot's socket
            current = ThreadedBot(sandbox, bot_settings)
            bots.append(current)
            await current.start()  # on_ready resumes the unfinished publication

            def finished(article_id: int = article_id) -> bool:
                threads = article_threads(sandbox, demo.forum_id, article_id)
                return bool(threads) and len(sandbox.messages(threads[0]["id"])) >= boundaries - 1

            await sandbox.wait_until(finished, 10, what=f"article {article_id} ({target}, {mode})")
            await asyncio.sleep(0)  # let a (wrong) duplicate show up before asserting
            assert_published_once(sandbox, demo.forum_id, article_id, 2)
            published.append(article_id)
    # Nothing was duplicated later either (e.g. by a resume racing a retry).
    for article_id in published:
        assert_published_once(sandbox, demo.forum_id, article_id, 2)


def test_marker_is_short_and_unique() -> None:
    assert marker_for(1, 2, 3) != marker_for(1, 2, 4)
    assert len(marker_for(10**9, 10**3, 10**9)) < 64


async def test_forum_that_requires_a_tag_still_gets_the_post(
    bot_runner: Any,
    sandbox: Sandbox,
    demo: DemoGuild,
    load_articles: LoadArticles,
    tmp_path: Path,
) -> None:
    sandbox.channel(demo.forum_id)["flags"] |= 16  # REQUIRE_TAG, before the bot connects
    path = write_article(tmp_path, "u.md", "Untagged", ["Only text."])
    [article_id] = await load_articles(path)
    async with bot_runner.running():
        assert "Set up" in await run_setup(sandbox, demo)
        handle = await sandbox.invoke_command(
            demo.admin_id, demo.general_id, "article publish", {"article": str(article_id)}
        )
        assert "Published" in await handle.text()
    [thread] = article_threads(sandbox, demo.forum_id, article_id)
    assert thread["applied_tags"] == [demo.tag_ids["article"]]
    sandbox.assert_no_violations()


async def test_thread_post_carried_out_but_answered_500_is_not_duplicated(
    bot: ForumBot,
    sandbox: Sandbox,
    configured: DemoGuild,
    load_articles: LoadArticles,
    tmp_path: Path,
) -> None:
    """Discord created the post but answered 502; discord.py retries by itself (after 1 s) and
    creates a second one. The bot notices and removes the extra post."""
    path = write_article(tmp_path, "d.md", "Doubled", ["One.", "Two."])
    [article_id] = await load_articles(path)
    routes = sandbox.rest._routes
    index = next(
        i
        for i, r in enumerate(routes)
        if r[0] == "POST" and r[1].pattern == "^/channels/([^/]+)/threads$"
    )
    method, regex, handler, auth = routes[index]
    calls = []

    async def done_but_502(req: Any) -> Any:
        calls.append(req)
        result = await handler(req)
        return (502, {"message": "Bad gateway", "code": 0}) if len(calls) == 1 else result

    routes[index] = (method, regex, done_but_502, auth)
    handle = await sandbox.invoke_command(
        configured.admin_id, configured.general_id, "article publish", {"article": str(article_id)}
    )
    assert "Published" in await handle.text(timeout=15)
    assert len(calls) == 2, "discord.py retried the post"
    assert_published_once(sandbox, configured.forum_id, article_id, 2)
    sandbox.assert_no_violations()


async def test_message_carried_out_but_answered_500_is_deduplicated_by_nonce(
    bot: ForumBot,
    sandbox: Sandbox,
    configured: DemoGuild,
    load_articles: LoadArticles,
    tmp_path: Path,
) -> None:
    path = write_article(tmp_path, "n.md", "Nonced", ["One.", "Two."])
    [article_id] = await load_articles(path)
    routes = sandbox.rest._routes
    index = next(
        i
        for i, r in enumerate(routes)
        if r[0] == "POST" and r[1].pattern == "^/channels/([^/]+)/messages$"
    )
    method, regex, handler, auth = routes[index]
    calls = []

    async def done_but_500(req: Any) -> Any:
        nonce = req.json().get("nonce")
        if not re.fullmatch(r"fb\d+\.\d+", str(nonce)):
            # Not a passage of the publication (a mod-log post about the title, say): pass it.
            return await handler(req)
        calls.append(nonce)
        result = await handler(req)
        return (500, {"message": "Internal", "code": 0}) if len(calls) == 1 else result

    routes[index] = (method, regex, done_but_500, auth)
    handle = await sandbox.invoke_command(
        configured.admin_id, configured.general_id, "article publish", {"article": str(article_id)}
    )
    assert "Published" in await handle.text(timeout=15)
    assert calls[0] == calls[1] and calls[0], "the retry carried the same nonce"
    assert_published_once(sandbox, configured.forum_id, article_id, 2)
    sandbox.assert_no_violations()


async def test_a_full_forum_gets_no_more_tags_but_the_post_goes_out(
    bot: ForumBot,
    sandbox: Sandbox,
    configured: DemoGuild,
    load_articles: LoadArticles,
    tmp_path: Path,
) -> None:
    paths = [
        write_article(
            tmp_path,
            f"t{i}.md",
            f"Tags {i}",
            ["Text."],
            tags=", ".join(f"topic{i}{j}" for j in range(5)),
        )
        for i in range(4)
    ]
    ids = await load_articles(*paths)
    for article_id in ids:
        handle = await sandbox.invoke_command(
            configured.admin_id,
            configured.general_id,
            "article publish",
            {"article": str(article_id)},
        )
        assert "Published" in await handle.text()
    forum = sandbox.channel(configured.forum_id)
    assert len(forum["available_tags"]) == 20  # 3 demo tags + 17 created, then no room
    last = article_threads(sandbox, configured.forum_id, ids[-1])[0]
    assert len(last["applied_tags"]) <= 5
    for article_id in ids:
        assert_published_once(sandbox, configured.forum_id, article_id, 1)
    sandbox.assert_no_violations()
