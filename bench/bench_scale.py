"""Soak benchmark for issue 12: many comments through the sandbox into a bot running two shards
(real sockets, real discord.py, real database), with memory and per-message latency tracked
over the run, and the cost of the cache-version check made before each screening.

Comments are tweets of the Davidson et al. hate-speech dataset (t-davidson/hate-speech-and-
offensive-language, `labeled_data.csv`, kept under /work/evaldata/, never committed), cycled
when more comments than tweets are asked for; about three in four are offensive, so holds,
deletes and DMs are part of the load. Members are many and the ladder's timeout threshold is
raised, so members keep posting; automatic slow mode is off (its heat would stop the storm).

Latency of one comment: from the sandbox dispatching MESSAGE_CREATE to the bot's moderation
pipeline having finished with it (ledger committed, actions carried out). At most `--inflight`
comments are outstanding at a time (a closed loop), so the figure is per-message work plus a
bounded queue, not an ever-growing backlog.

Prints one JSON document: per window of `--window` comments the p50/p95/max latency, the
throughput, the process's resident memory and the count of objects the garbage collector
tracks; then the first and last windows side by side (the peer of the end of a soak is its
beginning), and the version check measured against the read it guards.

Usage:
    .venv/bin/python bench/bench_scale.py \
        --data /work/evaldata/civility/public/davidson/labeled_data.csv
        [--comments 50000] [--window 5000] [--inflight 32] [--database-url URL]
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import gc
import json
import logging
import os
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from cogs.moderation.port import moderation
from forumbot.bot.client import ForumBot
from forumbot.bot.services import build_services
from forumbot.config import Settings
from forumbot.sandbox import DemoGuild, Sandbox
from forumbot.sandbox.clients import connected
from forumbot.sandbox.errors import ApiError
from forumbot.sandbox.gateway import shard_of
from forumbot.sandbox.wire import point_discord_at
from forumbot.services.moderation.types import MessageCopy
from forumbot.storage.db import make_engine, upgrade_database


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * pct / 100))]


def rss_mb() -> float:
    with open("/proc/self/statm") as f:
        pages = int(f.read().split()[1])
    return round(pages * os.sysconf("SC_PAGE_SIZE") / 2**20, 1)


def load_tweets(path: Path) -> list[str]:
    with path.open(encoding="utf-8") as f:
        tweets = (" ".join(row["tweet"].split())[:1900] for row in csv.DictReader(f))
        return [t for t in tweets if t]


def two_guilds(sandbox: Sandbox) -> list[DemoGuild]:
    first = sandbox.create_demo_guild("Soak A")
    while True:
        time.sleep(0.002)
        other = sandbox.create_demo_guild("Soak B")
        if shard_of(other.guild_id, 2) != shard_of(first.guild_id, 2):
            return [first, other]
        del sandbox.world.guilds[other.guild_id]


async def soak(args: argparse.Namespace) -> dict[str, Any]:
    tweets = load_tweets(args.data)
    tmp = tempfile.TemporaryDirectory(prefix="bench-scale-")
    url = args.database_url or f"sqlite+aiosqlite:///{tmp.name}/soak.sqlite3"
    await upgrade_database(url)
    settings = Settings(data_dir=Path(tmp.name), database_url=url)
    async with Sandbox.running(host="127.0.0.1", port=0) as sandbox:
        sandbox.recommended_shards = 2
        sandbox.max_concurrency = 2
        point_discord_at(sandbox.api_url, sandbox.gateway_url)
        guilds = two_guilds(sandbox)
        engine = make_engine(url)
        services = build_services(settings, engine)
        bot = ForumBot(services, guild_ready_timeout=0.1)
        async with connected(bot, sandbox):
            service = moderation(bot)
            threads: list[tuple[DemoGuild, dict[str, Any]]] = []
            members: dict[str, list[str]] = {}
            for guild in guilds:
                sandbox.demo = guild
                handle = await sandbox.invoke_command(
                    guild.admin_id, guild.general_id, "setup",
                    {"forum": guild.forum_id, "modlog": guild.modlog_id,
                     "moderator_role": guild.moderator_role_id},
                )  # fmt: skip
                await handle.text()
                await service.update_policy(
                    int(guild.guild_id),
                    {"heat_messages": 1000, "timeout_threshold": 1000.0},
                    actor_id=int(guild.admin_id),
                    reason="soak benchmark",
                )
                for n in range(args.threads):
                    thread = await sandbox.create_forum_post(
                        guild.admin_id, guild.forum_id, f"Soak thread {n}", "Discuss."
                    )
                    threads.append((guild, thread))
                members[guild.guild_id] = []
                for n in range(args.members):
                    user = sandbox.create_user(f"soak{n}-{guild.guild_id[-4:]}")
                    sandbox.add_member(guild.guild_id, user["id"])
                    members[guild.guild_id].append(user["id"])
            await asyncio.sleep(1.0)

            sent_at: dict[int, float] = {}
            latencies: dict[int, float] = {}
            done = asyncio.Event()
            slots = asyncio.Semaphore(args.inflight)
            pipeline = service.pipeline
            original = pipeline.handle

            async def timed(copy: MessageCopy) -> Any:
                try:
                    return await original(copy)
                finally:
                    started = sent_at.pop(copy.message_id or 0, None)
                    if started is not None and copy.source == "message":
                        latencies[copy.message_id or 0] = time.perf_counter() - started
                        slots.release()
                        if len(latencies) >= args.comments:
                            done.set()

            pipeline.handle = timed  # type: ignore[method-assign]
            windows: list[dict[str, Any]] = []
            window_start = time.perf_counter()
            marks: list[int] = []
            order: list[int] = []
            load_start = os.getloadavg()
            refused = 0
            for n in range(args.comments):
                await slots.acquire()
                guild, thread = threads[n % len(threads)]
                author = members[guild.guild_id][(n // len(threads)) % args.members]
                try:
                    msg = await sandbox.send_message(author, thread, tweets[n % len(tweets)])
                except ApiError:
                    # A rule timed this member out (threats): someone else posts this one.
                    refused += 1
                    author = sandbox.create_user(f"soak-extra{refused}")["id"]
                    sandbox.add_member(guild.guild_id, author)
                    members[guild.guild_id][(n // len(threads)) % args.members] = author
                    msg = await sandbox.send_message(author, thread, tweets[n % len(tweets)])
                sent_at[int(msg["id"])] = time.perf_counter()
                order.append(int(msg["id"]))
                if (n + 1) % args.window == 0:
                    marks.append(n + 1)
                    # Wait for this window's comments before measuring it.
                    # A poll: the window's last few finish within milliseconds of each other.
                    while any(i not in latencies for i in order[-args.window :]):  # noqa: ASYNC110
                        await asyncio.sleep(0.05)
                    now = time.perf_counter()
                    values = [latencies[i] * 1000 for i in order[-args.window :]]
                    # The sandbox shares this process: drop its request and event records (it
                    # would otherwise grow with every comment and hide the bot's own memory).
                    sandbox.requests.clear()
                    sandbox.events.clear()
                    gc.collect()
                    windows.append({
                        "comments": n + 1,
                        "p50_ms": round(statistics.median(values), 2),
                        "p95_ms": round(percentile(values, 95), 2),
                        "max_ms": round(max(values), 1),
                        "per_second": round(args.window / (now - window_start), 1),
                        "rss_mb": rss_mb(),
                        "gc_objects": len(gc.get_objects()),
                        "load_average_1m": round(os.getloadavg()[0], 2),
                        "sandbox_messages": sum(
                            len(v) for v in sandbox.world.channel_messages.values()
                        ),
                    })  # fmt: skip
                    print(json.dumps(windows[-1]), flush=True, file=__import__("sys").stderr)
                    window_start = time.perf_counter()
            await asyncio.wait_for(done.wait(), timeout=120)
            pipeline.handle = original  # type: ignore[method-assign]

            # The version check before each screening, against the read it stands guard for.
            guard = services.stale
            guild_id = int(guilds[0].guild_id)
            reps = 2000
            t0 = time.perf_counter()
            for _ in range(reps):
                await guard.check(guild_id)
            check_us = (time.perf_counter() - t0) / reps * 1e6
            t0 = time.perf_counter()
            for _ in range(reps):
                await service.rules.overrides(guild_id)  # the uncached read it saves
            reread_us = (time.perf_counter() - t0) / reps * 1e6
            whole_ms = statistics.median(latencies.values()) * 1000
        await engine.dispose()
    tmp.cleanup()
    first, last = windows[0], windows[-1]
    return {
        "dataset": f"{args.data.name} (Davidson et al., {len(tweets)} tweets, cycled)",
        "database": "postgresql" if "postgresql" in url else "sqlite",
        "comments": args.comments,
        "shards": 2,
        "guilds": 2,
        "threads_per_guild": args.threads,
        "members_per_guild": args.members,
        "inflight": args.inflight,
        "members_replaced_after_a_timeout": refused,
        "load_average_at_start": [round(x, 2) for x in load_start],
        "windows": windows,
        "first_vs_last": {
            "p50_ms": [first["p50_ms"], last["p50_ms"]],
            "p95_ms": [first["p95_ms"], last["p95_ms"]],
            "rss_mb": [first["rss_mb"], last["rss_mb"]],
            "gc_objects": [first["gc_objects"], last["gc_objects"]],
        },
        "version_check": {
            "check_us": round(check_us, 1),
            "uncached_rules_read_us": round(reread_us, 1),
            "median_comment_ms": round(whole_ms, 2),
            "share_of_median_comment": round(check_us / 1000 / whole_ms, 4),
        },
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--data", type=Path, required=True, help="Davidson labeled_data.csv")
    ap.add_argument("--comments", type=int, default=50_000)
    ap.add_argument("--window", type=int, default=5_000)
    ap.add_argument("--inflight", type=int, default=16)
    ap.add_argument("--threads", type=int, default=10, help="article threads per guild")
    ap.add_argument("--members", type=int, default=300, help="members per guild")
    ap.add_argument("--database-url", default=None)
    args = ap.parse_args()
    logging.basicConfig(level=logging.ERROR)
    print(json.dumps(asyncio.run(soak(args)), indent=2))


if __name__ == "__main__":
    main()
