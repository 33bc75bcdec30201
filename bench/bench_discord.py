"""Discord-side benchmark through the sandbox (real sockets, real discord.py, real SQLite).

1. Publishing every seed with /article publish-all: wall time, REST requests made, 429s seen,
   limit violations (must be 0).
2. 200 /search interactions: time from the interaction being dispatched to the bot's first
   response reaching the server (p50, p99, max; target p99 <= 100 ms), once as a burst (all 200
   dispatched at once, so the figure is mostly queueing behind the others) and once paced
   (`--rate` per second, default 50), which shows the per-interaction latency.
   The sandbox runs in the same process and event loop as the bot, so it shares the CPU.

Prints one JSON document. Usage: .venv/bin/python bench/bench_discord.py [--searches N]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from forumbot.bot import ForumBot
from forumbot.config import Settings
from forumbot.runtime import build_services, tune_interpreter
from forumbot.sandbox import Sandbox
from forumbot.sandbox.clients import connected
from forumbot.storage.db import REPO_ROOT, make_engine, upgrade_database

QUERIES = [
    "working class",
    "fascism",
    "capitalism crisis",
    "revolution",
    "Stalin",
    "India",
    "party",
    "socialism in one country",
    "Rohingya",
    "election",
]


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(pct / 100 * len(ordered)) - 1))
    return ordered[index]


async def run_searches(sb: Any, demo: Any, count: int, rate: float | None) -> dict[str, Any]:
    members = [demo.alice_id, demo.bob_id, demo.moderator_id, demo.admin_id]
    sent_at: dict[str, float] = {}
    handles = []
    for i in range(count):
        query = QUERIES[i % len(QUERIES)]
        now = time.time()
        h = await sb.invoke_command(
            members[i % len(members)], demo.general_id, "search", {"query": query}
        )
        sent_at[h.id] = now
        handles.append(h)
        if rate:
            await asyncio.sleep(1 / rate)
    await asyncio.gather(*(h.response(timeout=60) for h in handles))
    callbacks = {
        r.path.split("/")[2]: r
        for r in sb.requests
        if r.method == "POST" and r.path.startswith("/interactions/")
    }
    latencies = [(callbacks[h.id].time - sent_at[h.id]) * 1000 for h in handles]
    return {
        "interactions": count,
        "rate_per_s": rate or "burst",
        "p50_ms": round(statistics.median(latencies), 1),
        "p99_ms": round(percentile(latencies, 99), 1),
        "max_ms": round(max(latencies), 1),
        "target_p99_ms": 100,
        "violations": len(sb.violations),
    }


async def bench(searches: int, rate: float) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="bench-discord-") as tmp:
        settings = Settings(data_dir=Path(tmp), database_url=None)
        url = settings.database_url_or_default
        await upgrade_database(url)
        engine = make_engine(url)
        try:
            services = build_services(settings, engine)
            await services.archive.load_paths([REPO_ROOT / "seeds"])
            articles = await services.archive.list_articles()
            async with Sandbox.running(host="127.0.0.1", port=0) as sb:
                demo = sb.create_demo_guild()
                bot = ForumBot(services, guild_ready_timeout=0.05)
                async with connected(bot, sb):
                    setup = await sb.invoke_command(
                        demo.admin_id,
                        demo.general_id,
                        "setup",
                        {
                            "forum": demo.forum_id,
                            "modlog": demo.modlog_id,
                            "moderator_role": demo.moderator_role_id,
                        },
                    )
                    await setup.text()

                    # -- publishing ------------------------------------------------------------
                    start_index = len(sb.requests)
                    started = time.perf_counter()
                    handle = await sb.invoke_command(
                        demo.admin_id, demo.general_id, "article publish-all"
                    )
                    summary = await handle.text(timeout=300)
                    wall = time.perf_counter() - started
                    made = sb.requests[start_index:]
                    publishing = {
                        "articles": len(articles),
                        "threads": len(sb.threads(demo.forum_id)),
                        "messages": sum(
                            len(sb.messages(t["id"])) for t in sb.threads(demo.forum_id)
                        ),
                        "requests": len(made),
                        "rate_limited_429": sum(1 for r in made if r.status == 429),
                        "wall_s": round(wall, 3),
                        "violations": len(sb.violations),
                        "summary": summary,
                    }

                    # -- searches ---------------------------------------------------------------
                    burst = await run_searches(sb, demo, searches, None)
                    paced = await run_searches(sb, demo, searches, rate)
        finally:
            await engine.dispose()
    return {"publish_all": publishing, "search_burst": burst, "search_paced": paced}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--searches", type=int, default=200)
    parser.add_argument("--rate", type=float, default=50.0, help="paced searches per second")
    args = parser.parse_args()
    logging.basicConfig(level=logging.CRITICAL)
    tune_interpreter()  # as `forumbot run` does
    print(json.dumps(asyncio.run(bench(args.searches, args.rate)), indent=2))


if __name__ == "__main__":
    main()
