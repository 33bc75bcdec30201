"""A revision's edits through the sandbox with the bot killed at every request boundary
(before the request takes effect, and after it took effect but before the bot heard back),
then restarted: the post ends up showing the revision, every message edited exactly once, no
message posted twice. Material: an article of 3 passages, one of ~3,000 characters (so the post
spans several messages), revised in its title and two passages."""

from __future__ import annotations

import asyncio
import re
from collections import Counter
from pathlib import Path
from typing import Any

from forumbot.config import Settings
from forumbot.sandbox import DemoGuild, Sandbox
from tests.fixtures.bot import LoadArticles, ThreadedBot, run_setup

THREAD_WRITE = re.compile(r"^/channels/(\d+)(/messages(?:/(\d+))?)?$")
LONG = " ".join(f"Sentence {i} goes on for a while." for i in range(90))


def write(tmp_path: Path, n: int, title: str, paragraphs: list[str]) -> Path:
    path = tmp_path / f"rev{n}.md"
    body = "\n\n".join(paragraphs)
    path.write_text(f"---\ntitle: {title}\nauthor: Ada\n---\n\n{body}\n", encoding="utf-8")
    return path


class Gate:
    """Kills the bot at the n-th write (PATCH or POST) in one thread of the forum."""

    def __init__(self, sandbox: Sandbox) -> None:
        self.sandbox = sandbox
        self.thread_id: str | None = None
        self.count = 0
        self.target: int | None = None
        self.mode = "after"
        self.victim: ThreadedBot | None = None
        self.fired = asyncio.Event()
        routes = sandbox.rest._routes
        for i, (method, regex, handler, auth) in enumerate(routes):
            if method in ("POST", "PATCH"):
                routes[i] = (method, regex, self._wrap(handler), auth)

    def arm(self, thread_id: str, target: int, mode: str, victim: ThreadedBot) -> None:
        self.thread_id, self.count, self.target, self.mode = thread_id, 0, target, mode
        self.victim, self.fired = victim, asyncio.Event()

    def _wrap(self, handler: Any) -> Any:
        async def gated(req: Any) -> Any:
            path = req.raw.path.removeprefix("/api/v10")
            found = THREAD_WRITE.match(path)
            if self.target is None or not found or found.group(1) != self.thread_id:
                return await handler(req)
            n, self.count = self.count, self.count + 1
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


def edits_per_message(sandbox: Sandbox, thread_id: str, since: int) -> Counter[str]:
    return Counter(
        r.path.rsplit("/", 1)[1]
        for r in sandbox.requests[since:]
        if r.method == "PATCH"
        and r.status == 200
        and r.path.startswith(f"/channels/{thread_id}/messages/")
    )


async def test_kill_at_every_boundary_of_a_revision_then_restart_edits_exactly_once(
    sandbox: Sandbox,
    demo: DemoGuild,
    bot_settings: Settings,
    load_articles: LoadArticles,
    tmp_path: Path,
) -> None:
    gate = Gate(sandbox)
    current = ThreadedBot(sandbox, bot_settings)
    await current.start()
    bots = [current]
    assert "Set up" in await run_setup(sandbox, demo)

    async def published(n: int) -> tuple[int, str]:
        [article_id] = await load_articles(
            write(tmp_path, n, f"Rev {n}", ["Opening.", LONG, "End."])
        )
        handle = await sandbox.invoke_command(
            demo.admin_id, demo.general_id, "article publish", {"article": str(article_id)}
        )
        assert "Published" in await handle.text(timeout=15)
        pub = next(t for t in sandbox.threads(demo.forum_id) if t["name"] == f"Rev {n}")
        return article_id, pub["id"]

    async def revise(n: int) -> None:
        changed = ["Opening, revised.", LONG.replace("Sentence 3 ", "Sentence three "), "End."]
        await load_articles(write(tmp_path, n, f"Rev {n} revised", changed))

    try:
        # A clean revision counts its boundaries (rename, starter, edits, notice).
        article_id, thread_id = await published(0)
        await revise(0)
        gate.arm(thread_id, 10_000, "after", current)
        handle = await sandbox.invoke_command(
            demo.admin_id, demo.general_id, "article publish", {"article": str(article_id)}
        )
        assert "Forum post updated" in await handle.text(timeout=15)
        boundaries = gate.count
        assert boundaries >= 4, boundaries
        expected = [m["content"] for m in sandbox.messages(thread_id)[1:]]

        for target in range(boundaries):
            for mode in ("before", "after"):
                n = len(bots)
                article_id, thread_id = await published(n)
                await revise(n)
                since = len(sandbox.requests)
                gate.arm(thread_id, target, mode, current)
                await sandbox.invoke_command(
                    demo.admin_id, demo.general_id, "article publish", {"article": str(article_id)}
                )
                await asyncio.wait_for(gate.fired.wait(), 15)
                await sandbox.drop_connections()
                current = ThreadedBot(sandbox, bot_settings)
                bots.append(current)
                await current.start()  # on_ready resumes the unfinished revision

                def done(thread_id: str = thread_id) -> bool:
                    return any(
                        "Revised in the archive" in m["content"]
                        for m in sandbox.messages(thread_id)
                    )

                await sandbox.wait_until(done, 15, what=f"revision ({target}, {mode})")
                await asyncio.sleep(0)
                thread = sandbox.channel(thread_id)
                assert thread["name"] == f"Rev {n} revised"
                bodies = [m["content"] for m in sandbox.messages(thread_id)[1:]]
                want = [e.replace("Rev 0", f"Rev {n}") for e in expected]
                assert bodies == want, f"boundary {target} {mode}"
                edits = edits_per_message(sandbox, thread_id, since)
                starter = edits.pop(thread_id, 0)
                assert starter <= 1 and all(c == 1 for c in edits.values()), edits
    finally:
        for threaded in bots:
            threaded.kill()
    sandbox.assert_no_violations()
