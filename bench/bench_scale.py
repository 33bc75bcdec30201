"""Soak benchmark for issue 12: many comments through the sandbox into a bot running two shards
(real sockets, real discord.py, real database), with the bot's memory and per-message latency
tracked over the run, and the cost of the cache-version check made before each screening.

The bot runs in a child process of its own (as in production: malloc arenas capped as by
`forumbot run` unless `--no-arena-cap`, `run_event_loop`, the heap settled after start-up), so
its resident memory is measured alone; the sandbox, which keeps every message it was sent,
stays in this process. With `--tracemalloc`, the child also compares
tracemalloc snapshots (first window against each later one) and reports the lines whose
allocations grew most: where memory goes if it does not stay flat. With `--gc-types`, each
window also reports which object types the bot's garbage collector tracks more of (since the
first window and since the previous one); `--cap-token-caches N` caps the rule engine's
per-token caches at N entries for such a trace, so they are full from the start and whatever
still grows is something else.

Comments are tweets of the Davidson et al. hate-speech dataset (t-davidson/hate-speech-and-
offensive-language, `data/labeled_data.csv`, kept outside the repository, never committed),
cycled when more comments than tweets are asked for; about three in four are offensive, so
holds, deletes and DMs are part of the load. Members are many and the ladder's timeout threshold
is raised, so members keep posting; automatic slow mode is off (its heat would stop the storm).

Latency of one comment: from the sandbox dispatching MESSAGE_CREATE to the bot's moderation
pipeline having finished with it (ledger and outbox committed, the outbox's side effects done),
as the child reports it over a pipe (CLOCK_MONOTONIC is the same clock in both processes). At
most `--inflight` comments are outstanding at a time (a closed loop), so the figure is
per-message work plus a bounded queue, not an ever-growing backlog.

Prints one JSON document: per window of `--window` comments the p50/p95/p99/max latency, the
throughput, the bot's resident memory (and the sandbox's), the count of objects the bot's
garbage collector tracks, and where the bot's memory is (`memory`: anonymous pages, malloc's
heaps in use and free, SQLite's allocations, Python's arenas); then the first and last
windows side by side, and the version check measured against the read it guards.

Usage:
    .venv/bin/python bench/bench_scale.py --data PATH/labeled_data.csv
        [--comments 50000] [--window 5000] [--inflight 16] [--database-url URL] [--tracemalloc]
        [--gc-types] [--cap-token-caches N] [--no-arena-cap]
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import ctypes
import ctypes.util
import gc
import json
import logging
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from forumbot.config import Settings
from forumbot.sandbox import DemoGuild, Sandbox
from forumbot.sandbox.errors import ApiError
from forumbot.sandbox.gateway import shard_of
from forumbot.storage.db import make_engine, make_sessionmaker, upgrade_database


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * pct / 100))]


def rss_mb(pid: int | str = "self") -> float:
    with open(f"/proc/{pid}/statm") as f:
        pages = int(f.read().split()[1])
    return round(pages * os.sysconf("SC_PAGE_SIZE") / 2**20, 1)


class _MallInfo2(ctypes.Structure):
    _fields_ = [
        (name, ctypes.c_size_t)
        for name in (
            "arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks",
            "uordblks", "fordblks", "keepcost",
        )
    ]  # fmt: skip


def memory_breakdown() -> dict[str, float]:
    """Where this process's resident memory is, in MB: anonymous vs file-backed pages
    (/proc/self/smaps_rollup), glibc malloc's heaps (in use by the program, free but kept, and
    mmapped blocks; summed over every arena), SQLite's own allocations (its page caches, the
    same library the `sqlite3` module uses) and the blocks Python's allocator hands out."""
    mb = 2**20
    out: dict[str, float] = {}
    with open("/proc/self/smaps_rollup") as f:
        fields = dict(line.split(":", 1) for line in f if ":" in line and "-" not in line[:12])
    for key, name in (("Rss", "rss"), ("Anonymous", "anonymous")):
        out[f"{name}_mb"] = round(int(fields[key].split()[0]) * 1024 / mb, 1)
    libc = ctypes.CDLL(None)
    if hasattr(libc, "mallinfo2"):  # glibc >= 2.33
        libc.mallinfo2.restype = _MallInfo2
        info = libc.mallinfo2()
        out["malloc_in_use_mb"] = round(info.uordblks / mb, 1)
        out["malloc_free_kept_mb"] = round(info.fordblks / mb, 1)
        out["malloc_heap_mb"] = round(info.arena / mb, 1)
        out["malloc_mmapped_mb"] = round(info.hblkhd / mb, 1)
        out["malloc_arenas"] = malloc_arena_count(libc)
    name = ctypes.util.find_library("sqlite3")
    if name:
        sqlite = ctypes.CDLL(name)
        sqlite.sqlite3_memory_used.restype = ctypes.c_int64
        out["sqlite_mb"] = round(sqlite.sqlite3_memory_used() / mb, 1)
    out["pymalloc_arenas_mb"] = round(pymalloc_arena_bytes() / mb, 1)
    out["python_blocks"] = sys.getallocatedblocks()
    return out


def malloc_arena_count(libc: ctypes.CDLL) -> int:
    """How many malloc arenas glibc has made (`malloc_info`'s XML has one <heap> per arena)."""
    buf, size = ctypes.c_char_p(), ctypes.c_size_t()
    libc.open_memstream.restype = ctypes.c_void_p
    stream = libc.open_memstream(ctypes.byref(buf), ctypes.byref(size))
    libc.malloc_info(0, ctypes.c_void_p(stream))
    libc.fclose(ctypes.c_void_p(stream))
    xml = ctypes.string_at(buf, size.value).decode()
    libc.free(buf)
    return xml.count("<heap nr=")


def pymalloc_arena_bytes() -> int:
    """Bytes in Python's own allocator's arenas (mmapped directly, so outside malloc's
    figures): `sys._debugmallocstats` prints them to the C-level stderr, caught in a file."""
    saved = os.dup(2)
    with tempfile.TemporaryFile() as caught:
        os.dup2(caught.fileno(), 2)
        try:
            sys._debugmallocstats()
        finally:
            os.dup2(saved, 2)
            os.close(saved)
        caught.seek(0)
        text = caught.read().decode(errors="replace")
    for line in text.splitlines():
        if "bytes/arena" in line:  # "N arenas * 1048576 bytes/arena   =   total"
            return int(line.rsplit("=", 1)[1].replace(",", "").strip())
    return 0


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


# -- the bot, in its own process ------------------------------------------------------------


def emit(kind: str, value: Any) -> None:
    sys.stdout.write(f"{kind} {json.dumps(value)}\n")
    sys.stdout.flush()


def type_counts() -> dict[str, int]:
    counts: dict[str, int] = {}
    for obj in gc.get_objects():
        kind = type(obj)
        name = f"{kind.__module__}.{kind.__qualname__}"
        counts[name] = counts.get(name, 0) + 1
    return counts


def type_growth(first: dict[str, int], now: dict[str, int], count: int = 15) -> dict[str, int]:
    diff = {name: now.get(name, 0) - first.get(name, 0) for name in set(first) | set(now)}
    top = sorted(diff.items(), key=lambda item: item[1], reverse=True)[:count]
    return {name: grew for name, grew in top if grew}


def top_growth(first: Any, now: Any, count: int = 15) -> list[dict[str, Any]]:
    stats = now.compare_to(first, "lineno")
    return [
        {"where": str(s.traceback[0]), "grew_kb": round(s.size_diff / 1024, 1), "count": s.count}
        for s in sorted(stats, key=lambda s: s.size_diff, reverse=True)[:count]
    ]


async def bot_child(args: argparse.Namespace) -> None:
    """Run the bot against the sandbox; report each screened comment, answer `snap` and
    `quit` on stdin."""
    import tracemalloc

    from cogs.moderation.port import moderation
    from forumbot.bot.client import ForumBot
    from forumbot.bot.runtime import settle_heap, tune_interpreter
    from forumbot.bot.services import build_services
    from forumbot.sandbox.wire import point_discord_at
    from forumbot.services.moderation.types import MessageCopy

    if args.cap_token_caches:
        # For a trace only: the rule engine's per-token caches (one per rule set, bounded at
        # 32,768 / 16,384 entries) take 25,000 comments of this corpus to fill; capped small
        # they are full at once, so what still grows after the first window is something else.
        import functools

        from forumbot.domain.civility import engine as civility_engine

        cap = args.cap_token_caches
        civility_engine.lru_cache = lambda maxsize: functools.lru_cache(  # type: ignore[assignment]
            maxsize=min(maxsize or cap, cap)
        )
    tune_interpreter()
    point_discord_at(args.api, args.gateway)
    settings = Settings(data_dir=Path(args.data_dir), database_url=args.database_url)
    engine = make_engine(args.database_url)
    services = build_services(settings, engine)
    bot = ForumBot(services, guild_ready_timeout=0.1)
    ready = asyncio.Event()

    async def on_ready() -> None:
        ready.set()

    bot.add_listener(on_ready, "on_ready")
    runner = asyncio.create_task(bot.start(args.token))
    await ready.wait()
    service = moderation(bot)
    pipeline = service.pipeline
    original = pipeline.handle

    async def timed(copy: MessageCopy) -> Any:
        try:
            return await original(copy)
        finally:
            if copy.source == "message":
                sys.stdout.write(f"done {copy.message_id} {time.monotonic()}\n")
                sys.stdout.flush()

    pipeline.handle = timed  # type: ignore[method-assign]
    settle_heap()  # as run_bot does once the bot is up
    first_snapshot = None
    first_types: dict[str, int] | None = None
    last_types: dict[str, int] | None = None
    emit("ready", {"pid": os.getpid()})
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    while line := (await reader.readline()).decode().strip():
        if line == "snap":
            sys.stdout.flush()
            gc.collect()
            report: dict[str, Any] = {"gc_objects": len(gc.get_objects())}
            report["memory"] = memory_breakdown()
            report["outbox_pending"] = await service.outbox.pending()
            report["asyncio_tasks"] = len(asyncio.all_tasks())
            if args.gc_types:
                types = type_counts()
                if first_types is None:
                    first_types = types
                else:
                    report["types_grown_since_first"] = type_growth(first_types, types)
                    assert last_types is not None
                    report["types_grown_since_last"] = type_growth(last_types, types, 10)
                last_types = types
            if args.tracemalloc and not tracemalloc.is_tracing():
                # Traced from the end of the first window (tracing slows the bot down; started
                # earlier, /setup missed Discord's 3 s deadline); the baseline is the second.
                tracemalloc.start(1)
            elif args.tracemalloc:
                snapshot = tracemalloc.take_snapshot().filter_traces(
                    [tracemalloc.Filter(False, tracemalloc.__file__)]
                )
                if first_snapshot is None:
                    first_snapshot = snapshot
                else:
                    report["growth_since_first"] = top_growth(first_snapshot, snapshot)
                report["traced_mb"] = round(tracemalloc.get_traced_memory()[0] / 2**20, 1)
            emit("snap", report)
        elif line == "quit":
            break
    pipeline.handle = original  # type: ignore[method-assign]
    # The version check before each screening, against the read it stands guard for.
    guard = services.stale
    reps = 2000
    t0 = time.perf_counter()
    for _ in range(reps):
        await guard.check(args.guild)
    check_us = (time.perf_counter() - t0) / reps * 1e6
    t0 = time.perf_counter()
    for _ in range(reps):
        await service.rules.overrides(args.guild)  # the uncached read it saves
    reread_us = (time.perf_counter() - t0) / reps * 1e6
    await bot.close()  # before answering: the driver stops the sandbox once it has the answer
    runner.cancel()
    await engine.dispose()
    emit("final", {"check_us": round(check_us, 1), "uncached_rules_read_us": round(reread_us, 1)})


# -- the driver: sandbox and comments --------------------------------------------------------


class Child:
    """The bot's process: its reports arrive on its stdout."""

    def __init__(self, proc: asyncio.subprocess.Process) -> None:
        self.proc = proc
        self.done: dict[int, float] = {}
        self.replies: asyncio.Queue[tuple[str, Any]] = asyncio.Queue()
        self.changed = asyncio.Event()
        self._task = asyncio.create_task(self._read())

    async def _read(self) -> None:
        assert self.proc.stdout is not None
        while line := await self.proc.stdout.readline():
            kind, _, rest = line.decode().strip().partition(" ")
            if kind == "done":
                message_id, at = rest.split()
                self.done[int(message_id)] = float(at)
                self.changed.set()
            elif kind in ("ready", "snap", "final"):
                await self.replies.put((kind, json.loads(rest)))

    async def ask(self, command: str, kind: str) -> Any:
        assert self.proc.stdin is not None
        self.proc.stdin.write(f"{command}\n".encode())
        await self.proc.stdin.drain()
        got, value = await asyncio.wait_for(self.replies.get(), timeout=600)
        assert got == kind, (got, kind)
        return value


async def soak(args: argparse.Namespace) -> dict[str, Any]:
    from forumbot.services.moderation.policy import PolicyStore

    tweets = load_tweets(args.data)
    tmp = tempfile.TemporaryDirectory(prefix="bench-scale-")
    url = args.database_url or f"sqlite+aiosqlite:///{tmp.name}/soak.sqlite3"
    await upgrade_database(url)
    async with Sandbox.running(host="127.0.0.1", port=0) as sandbox:
        sandbox.recommended_shards = 2
        sandbox.max_concurrency = 2
        guilds = two_guilds(sandbox)
        engine = make_engine(url)
        policies = PolicyStore(make_sessionmaker(engine))
        for guild in guilds:
            await policies.update(
                int(guild.guild_id),
                {"heat_messages": 1000, "timeout_threshold": 1000.0},
                actor_id=int(guild.admin_id),
            )
        await engine.dispose()
        proc = await asyncio.create_subprocess_exec(
            sys.executable, __file__, "--bot-child",
            "--api", sandbox.api_url, "--gateway", sandbox.gateway_url,
            "--token", sandbox.token, "--database-url", url, "--data-dir", tmp.name,
            "--guild", guilds[0].guild_id, *(["--tracemalloc"] if args.tracemalloc else []),
            *(["--gc-types"] if args.gc_types else []),
            *(["--no-arena-cap"] if args.no_arena_cap else []),
            "--cap-token-caches", str(args.cap_token_caches),
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
        )  # fmt: skip
        child = Child(proc)
        kind, _info = await asyncio.wait_for(child.replies.get(), timeout=120)
        assert kind == "ready", kind
        threads: list[tuple[DemoGuild, dict[str, Any]]] = []
        members: dict[str, list[str]] = {}
        for guild in guilds:
            sandbox.demo = guild
            handle = await sandbox.invoke_command(
                guild.admin_id, guild.general_id, "setup",
                {"forum": guild.forum_id, "modlog": guild.modlog_id,
                 "moderator_role": guild.moderator_role_id},
            )  # fmt: skip
            await handle.text(timeout=60)
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
        windows: list[dict[str, Any]] = []
        window_start = time.perf_counter()
        order: list[int] = []
        load_start = os.getloadavg()
        refused = 0
        inflight = 0
        for n in range(args.comments):
            while inflight >= args.inflight:
                child.changed.clear()
                inflight = sum(1 for i in order[-args.inflight * 4 :] if i not in child.done)
                if inflight >= args.inflight:
                    await child.changed.wait()
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
            sent_at[int(msg["id"])] = time.monotonic()
            order.append(int(msg["id"]))
            inflight += 1
            if (n + 1) % args.window == 0:
                window_ids = order[-args.window :]
                while any(i not in child.done for i in window_ids):
                    child.changed.clear()
                    await child.changed.wait()
                now = time.perf_counter()
                values = [(child.done[i] - sent_at[i]) * 1000 for i in window_ids]
                sandbox.requests.clear()
                sandbox.events.clear()
                snap = await child.ask("snap", "snap")
                windows.append({
                    "comments": n + 1,
                    "p50_ms": round(statistics.median(values), 2),
                    "p95_ms": round(percentile(values, 95), 2),
                    "p99_ms": round(percentile(values, 99), 2),
                    "max_ms": round(max(values), 1),
                    "per_second": round(args.window / (now - window_start), 1),
                    "bot_rss_mb": rss_mb(proc.pid),
                    "sandbox_rss_mb": rss_mb(),
                    "load_average_1m": round(os.getloadavg()[0], 2),
                    "sandbox_messages": sum(
                        len(v) for v in sandbox.world.channel_messages.values()
                    ),
                    **snap,
                })  # fmt: skip
                print(json.dumps(windows[-1]), flush=True, file=sys.stderr)
                window_start = time.perf_counter()
        final = await child.ask("quit", "final")
        await asyncio.wait_for(proc.wait(), timeout=60)
    tmp.cleanup()
    all_ms = [(child.done[i] - sent_at[i]) * 1000 for i in order if i in child.done]
    whole_ms = statistics.median(all_ms)
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
        "tracemalloc": args.tracemalloc,
        "token_caches_capped_at": args.cap_token_caches or None,
        "malloc_arenas_capped": not args.no_arena_cap and not os.environ.get("MALLOC_ARENA_MAX"),
        "malloc_arena_max_env": os.environ.get("MALLOC_ARENA_MAX"),
        "members_replaced_after_a_timeout": refused,
        "load_average_at_start": [round(x, 2) for x in load_start],
        "windows": windows,
        "first_vs_last": {
            "p50_ms": [first["p50_ms"], last["p50_ms"]],
            "p95_ms": [first["p95_ms"], last["p95_ms"]],
            "p99_ms": [first["p99_ms"], last["p99_ms"]],
            "bot_rss_mb": [first["bot_rss_mb"], last["bot_rss_mb"]],
            "gc_objects": [first["gc_objects"], last["gc_objects"]],
        },
        "version_check": {
            **final,
            "median_comment_ms": round(whole_ms, 2),
            "share_of_median_comment": round(final["check_us"] / 1000 / whole_ms, 4),
        },
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--data", type=Path, help="Davidson labeled_data.csv")
    ap.add_argument("--comments", type=int, default=50_000)
    ap.add_argument("--window", type=int, default=5_000)
    ap.add_argument("--inflight", type=int, default=16)
    ap.add_argument("--threads", type=int, default=10, help="article threads per guild")
    ap.add_argument("--members", type=int, default=300, help="members per guild")
    ap.add_argument("--database-url", default=None)
    ap.add_argument(
        "--tracemalloc", action="store_true", help="report where the bot's memory grows"
    )
    ap.add_argument(
        "--gc-types",
        action="store_true",
        help="report which object types the bot's gc tracks more of since the first window",
    )
    ap.add_argument(
        "--cap-token-caches",
        type=int,
        default=0,
        metavar="N",
        help="for a trace: cap the rule engine's per-token caches at N entries (0: as shipped)",
    )
    ap.add_argument(
        "--no-arena-cap",
        action="store_true",
        help="run the bot with glibc's default malloc arenas (no cap_malloc_arenas)",
    )
    # The bot's own process (started by the benchmark itself).
    ap.add_argument("--bot-child", action="store_true", help=argparse.SUPPRESS)
    for name in ("--api", "--gateway", "--token", "--data-dir"):
        ap.add_argument(name, help=argparse.SUPPRESS)
    ap.add_argument("--guild", type=int, help=argparse.SUPPRESS)
    args = ap.parse_args()
    logging.basicConfig(level=logging.ERROR)
    if args.bot_child:
        from forumbot.bot.runtime import cap_malloc_arenas, run_event_loop

        if not args.no_arena_cap:
            cap_malloc_arenas()  # first, as `forumbot run` does
        run_event_loop(bot_child(args))
        return
    if args.data is None:
        ap.error("--data is required")
    print(json.dumps(asyncio.run(soak(args)), indent=2))


if __name__ == "__main__":
    main()
