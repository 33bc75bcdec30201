"""Dashboard page latency: every page rendered by the real aiohttp app over a real socket,
with 100,000 ledger entries and 200,000 passages, in SQLite and (`--postgres`) PostgreSQL.

The archive part is bench_search.py's synthetic 200k-passage database (cached under
bench/results/); the ledger gets 100,000 actions over 90 days for 2,000 members, 40 rules and
the usual kinds, plus open queue items. Access is the real check's outcome fixed (an admin),
the moderation port records instead of calling Discord: the figures are the dashboard's own
cost (queries, templates, charts). Each page is requested `--requests` times after a warm-up;
the peer in the same run is aiohttp serving the dashboard's stylesheet (a static file, the
floor any page could reach). Every request is signed in with its own session row (sessions
live in the database since 0011, so each request pays that primary-key read too). Beside wall
time, CPU time per request (this process: client, server and the SQLite thread together).
In the same run, the Activity page's former query (grouping 30 days of ledger rows, no
rollup) is timed in-process as the "before" figure, and the rollup's first fold of the whole
ledger is timed once. Each page's SQL statements are counted (per request). With
`--postgres`, the same rows are copied into a PostgreSQL database of their own and every page
is timed there too, in the same invocation. Prints JSON.

    .venv/bin/python bench/bench_web.py                 # 200k passages, 100k ledger rows
    .venv/bin/python bench/bench_web.py --postgres      # also on 127.0.0.1:5432 (trust auth)
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import shutil
import sqlite3
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import aiohttp  # noqa: E402
import bench_search  # noqa: E402
from aiohttp import web  # noqa: E402
from bench_search import (  # noqa: E402
    BUILD_VERSION,
    Generator,
    build_lists,
    build_sqlite,
    cached_pg_database,
)
from sqlalchemy import event  # noqa: E402

from forumbot.bot.runtime import settle_heap  # noqa: E402
from forumbot.config import Settings  # noqa: E402
from forumbot.services.archive import ArchiveService  # noqa: E402
from forumbot.services.guilds import GuildSettingsService  # noqa: E402
from forumbot.services.moderation import ModerationService  # noqa: E402
from forumbot.services.moderation.port import RecordingPort  # noqa: E402
from forumbot.storage.db import make_engine, make_sessionmaker, upgrade_database  # noqa: E402
from forumbot.web import WebContext, create_app  # noqa: E402
from forumbot.web.access import MemberAccess  # noqa: E402
from forumbot.web.oauth import OAuthClient  # noqa: E402
from forumbot.web.sessions import SESSION_COOKIE, Signer  # noqa: E402

GUILD = 900_000_000_000_000_001
ADMIN = 900_000_000_000_000_002
MEMBERS = 2_000
KINDS = ("nudge", "hold", "remove", "timeout", "warn", "log", "shadow", "pardon", "notice")
SECRET = "bench-" + "x" * 40


class Admin:
    async def member_access(self, guild_id: int, user_id: int) -> MemberAccess | None:
        return MemberAccess(guild_id, "Bench", manage_guild=True, moderator=True)


class NoPublisher:
    async def publish(self, guild_id: int, article_id: int) -> Any:
        raise RuntimeError("not benchmarked")


def add_ledger(path: Path, entries: int, rng: random.Random) -> None:
    conn = sqlite3.connect(path)
    now = datetime.now(UTC)
    rules = [f"rule-{n}" for n in range(40)]
    rows = []
    for i in range(1, entries + 1):
        kind = rng.choice(KINDS)
        member = 1_000 + rng.randrange(MEMBERS)
        text = f"comment {i} by member {member}: " + " ".join(
            rng.choice(("you", "are", "an", "idiot", "read", "the", "article")) for _ in range(12)
        )
        copy = {
            "guild_id": GUILD,
            "channel_id": 5,
            "message_id": i,
            "author_id": member,
            "author_name": f"member{member}",
            "content": text,
            "created_at": now.isoformat(),
            "source": "message",
        }
        at = now - timedelta(seconds=rng.randrange(90 * 86400))
        rows.append(
            (
                GUILD,
                kind,
                member,
                f"member{member}",
                5,
                5,
                i,
                json.dumps(copy),
                rng.choice(rules),
                "be civil",
                "bench",
                None if rng.random() < 0.7 else ADMIN,
                1.0,
                at.strftime("%Y-%m-%d %H:%M:%S.%f"),
                json.dumps({}),
            )
        )
    with conn:
        conn.execute("DELETE FROM guild_settings")
        conn.execute(
            "INSERT INTO guild_settings VALUES (?, 1, 2, 3, ?)", (GUILD, now.isoformat(" "))
        )
        conn.executemany(
            "INSERT INTO mod_actions (guild_id, kind, member_id, member_name, channel_id,"
            " thread_id, message_id, message_copy, rule, guideline, reason, actor_id, points,"
            " created_at, details) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            rows,
        )
        conn.executemany(
            "INSERT INTO mod_queue_items (guild_id, kind, status, action_id, member_id, thread_id,"
            " reason, message_copy, created_at) VALUES (?, 'held', 'open', ?, ?, 5, 'x', ?, ?)",
            [(GUILD, i, 1_000 + i, rows[i][7], rows[i][13]) for i in range(1, 41)],
        )
    conn.close()


def pct(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))], 2)


# The tables the pages read, in foreign-key order (copied from the SQLite build to PostgreSQL).
PG_TABLES = (
    "articles",
    "passages",
    "article_tags",
    "guild_settings",
    "mod_actions",
    "mod_queue_items",
)


async def build_postgres(server_url: str, path: Path, passages: int, ledger: int) -> str:
    """A PostgreSQL database of its own holding the SQLite build's rows (cached by name)."""
    from sqlalchemy import create_engine, insert, select, text

    from forumbot.storage.models import Base

    name = f"forumbot_bench_web_{passages}_{ledger}_v{BUILD_VERSION}"
    url, cached = await cached_pg_database(
        server_url, name, "SELECT count(*) FROM mod_actions", ledger
    )
    if cached:
        await upgrade_database(url)
        return url
    await upgrade_database(url)
    lite = create_engine(f"sqlite:///{path.as_posix()}")
    engine = make_engine(url)
    try:
        with lite.connect() as source:
            for table_name in PG_TABLES:
                table = Base.metadata.tables[table_name]
                present = {
                    row[1] for row in source.execute(text(f"PRAGMA table_info({table_name})"))
                }
                columns = [c for c in table.columns if c.name in present and not c.computed]
                rows = source.execute(select(*columns))
                while chunk := rows.fetchmany(5_000):
                    async with engine.begin() as conn:
                        await conn.execute(insert(table), [dict(r._mapping) for r in chunk])
        async with engine.begin() as conn:
            for table_name in PG_TABLES:
                await conn.execute(
                    text(
                        f"SELECT setval(pg_get_serial_sequence('{table_name}', 'id'),"
                        f" (SELECT max(id) FROM {table_name}))"
                        if table_name not in ("article_tags", "guild_settings")
                        else "SELECT 1"
                    )
                )
        # Outside a transaction, as VACUUM must be: the visibility map lets index-only scans
        # skip the table, and no timed request pays for the fresh rows' hint bits.
        async with engine.connect() as conn:
            autocommit = await conn.execution_options(isolation_level="AUTOCOMMIT")
            await autocommit.execute(text("VACUUM ANALYZE"))
    finally:
        lite.dispose()
        await engine.dispose()
    await build_lists(url)
    return url


async def run(url: str, requests: int, only: str = "") -> dict[str, Any]:
    engine = make_engine(url)
    statements = [0]

    @event.listens_for(engine.sync_engine, "before_cursor_execute")
    def count(*_args: Any) -> None:
        statements[0] += 1

    sessionmaker = make_sessionmaker(engine)
    settings = Settings(database_url=url, web_listen="127.0.0.1:0")
    signer = Signer(SECRET)
    context = WebContext(
        settings=settings,
        sessionmaker=sessionmaker,
        archive=ArchiveService(sessionmaker, settings),
        guilds=GuildSettingsService(sessionmaker),
        moderation=ModerationService(sessionmaker, RecordingPort()),
        access=Admin(),
        publisher=NoPublisher(),
        oauth=OAuthClient("1", "secret", "http://127.0.0.1:9/api/v10"),
        signer=signer,
        public_url="http://127.0.0.1",
    )
    app = create_app(context)
    app.router.add_get("/bare/cases", bare_cases(sessionmaker))
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    base = f"http://127.0.0.1:{port}"
    # One signed-in person per request: the rate limits (real, in the database) are paid for
    # on every request but never refuse one.
    cookies = [
        (await context.sessions.create(ADMIN + n, "admin", [(GUILD, "B")], hours=1))[1]
        for n in range(requests + 5)
    ]
    extra: dict[str, Any] = {"activity_without_rollup": await legacy_activity(sessionmaker)}
    settle_heap()  # as `forumbot web` and the bot do once serving
    async with sessionmaker() as session, session.begin():  # each run times a first fold
        from sqlalchemy import delete

        from forumbot.storage.models.web import ModActivityDay, ModActivityMark

        await session.execute(delete(ModActivityDay))
        await session.execute(delete(ModActivityMark))
    started, cpu = time.perf_counter(), time.process_time()
    folded = await context.casebook.rollup.catch_up(GUILD, datetime.now(UTC))
    extra["rollup_first_fold"] = {
        "rows": folded,
        "wall_ms": round((time.perf_counter() - started) * 1000, 1),
        "cpu_ms": round((time.process_time() - cpu) * 1000, 1),
    }
    g = f"/g/{GUILD}"
    async with sessionmaker() as session:
        from sqlalchemy import func, select

        from forumbot.storage.models.moderation import ModAction

        top = int(await session.scalar(select(func.max(ModAction.id))) or 0)
    pages = {
        "static stylesheet (peer floor)": "/static/site.css",
        "bare handler, cases query (peer floor)": "/bare/cases",
        "guild": g,
        "queue (40 open)": f"{g}/queue",
        "cases, first page": f"{g}/cases",
        "cases, deep page": f"{g}/cases?before={top // 10}",
        "cases by member": f"{g}/cases?member=1500",
        "cases by rule and action": f"{g}/cases?rule=rule-7&kind=hold",
        "case": f"{g}/cases/{top // 2}",
        "member": f"{g}/members/1500",
        "activity (30 days, charts)": f"{g}/activity",
        "rules": f"{g}/rules",
        "settings": f"{g}/settings",
        "archive list": f"{g}/archive",
        "archive search": f"{g}/archive?q=party+struggle",
        "article (40 passages)": f"{g}/articles/2500",
    }
    results: dict[str, Any] = {}
    async with aiohttp.ClientSession() as http:
        for name, path_ in pages.items():
            if only not in name and "peer" not in name:
                continue
            samples, cpu_samples = [], []
            counted = 0
            for i in range(requests + 5):
                if i == 5:
                    counted = statements[0]
                started, cpu = time.perf_counter(), time.process_time()
                headers = {"Cookie": f"{SESSION_COOKIE}={cookies[i]}"}
                async with http.get(base + path_, headers=headers) as resp:
                    body = await resp.read()
                    assert resp.status == 200, (name, resp.status, body[:300])
                if i >= 5:
                    samples.append((time.perf_counter() - started) * 1000)
                    cpu_samples.append((time.process_time() - cpu) * 1000)
            results[name] = {
                "p50_ms": pct(samples, 0.5),
                "p99_ms": pct(samples, 0.99),
                "cpu_p50_ms": pct(cpu_samples, 0.5),
                "cpu_p99_ms": pct(cpu_samples, 0.99),
                "mean_ms": round(statistics.fmean(samples), 2),
                "statements": round((statements[0] - counted) / requests, 1),
                "bytes": len(body),
            }
    await runner.cleanup()
    await engine.dispose()
    return {"pages": results, **extra}


def bare_cases(sessionmaker: Any) -> Any:
    """The floor of a cases page: a bare aiohttp handler (no session, access check, ORM or
    template) running the cases page's query as plain SQL and writing its 50 rows as an HTML
    table with f-strings, escaped."""
    from html import escape

    from sqlalchemy import text

    sql = text(
        "SELECT id, created_at, kind, member_id, member_name, rule, reason, message_copy"
        " FROM mod_actions WHERE guild_id = :g ORDER BY id DESC LIMIT 50"
    )

    async def handler(request: web.Request) -> web.Response:
        async with sessionmaker() as session:
            rows = (await session.execute(sql, {"g": GUILD})).all()
        cells = "".join(
            "<tr>" + "".join(f"<td>{escape(str(v))}</td>" for v in row) + "</tr>" for row in rows
        )
        return web.Response(text=f"<table>{cells}</table>", content_type="text/html")

    return handler


async def legacy_activity(sessionmaker: Any, runs: int = 30) -> dict[str, float]:
    """The Activity page's query before the rollup: two groupings of 30 days of ledger rows
    (by day and kind, by rule and kind) over the covering index; CPU and wall per call."""
    from sqlalchemy import func, select

    from forumbot.storage.models.moderation import ModAction

    since = (datetime.now(UTC) - timedelta(days=29)).replace(hour=0, minute=0, second=0)
    where = (ModAction.guild_id == GUILD, ModAction.created_at >= since)
    day = func.date(ModAction.created_at)
    per_day = select(day, ModAction.kind, func.count()).where(*where).group_by(day, ModAction.kind)
    per_rule = (
        select(ModAction.rule, ModAction.kind, func.count())
        .where(*where, ModAction.rule.is_not(None))
        .group_by(ModAction.rule, ModAction.kind)
    )
    walls, cpus = [], []
    for _ in range(runs):
        started, cpu = time.perf_counter(), time.process_time()
        async with sessionmaker() as session:
            (await session.execute(per_day)).all()
            (await session.execute(per_rule)).all()
        walls.append((time.perf_counter() - started) * 1000)
        cpus.append((time.process_time() - cpu) * 1000)
    return {
        "p50_ms": pct(walls, 0.5),
        "p99_ms": pct(walls, 0.99),
        "cpu_p50_ms": pct(cpus, 0.5),
        "cpu_p99_ms": pct(cpus, 0.99),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--passages", type=int, default=200_000)
    parser.add_argument("--ledger", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--only", default="", help="only pages whose name contains this")
    parser.add_argument(
        "--postgres",
        nargs="?",
        const="postgresql+asyncpg://postgres@127.0.0.1:5432/test",
        default="",
        help="also on PostgreSQL (a server URL; the database is made beside `test`)",
    )
    parser.add_argument(
        "--data",
        type=Path,
        default=None,
        help="folder of the cached databases, as bench_search.py's (default bench/results/)",
    )
    args = parser.parse_args()
    if args.data is not None:
        bench_search.RESULTS = args.data
    gen = Generator()
    build = build_sqlite(args.passages, gen)
    path = bench_search.RESULTS / f"web_{args.passages}_{args.ledger}.sqlite3"
    if not path.exists():
        shutil.copy(build["path"], path)
        asyncio.run(upgrade_database(f"sqlite+aiosqlite:///{path.as_posix()}"))
        add_ledger(path, args.ledger, random.Random(11))
    # A copy made before a later migration is brought up to date (idempotent otherwise).
    lite_url = f"sqlite+aiosqlite:///{path.as_posix()}"
    asyncio.run(upgrade_database(lite_url))
    engines = {"sqlite": lite_url}
    if args.postgres:
        engines["postgresql"] = asyncio.run(
            build_postgres(args.postgres, path, args.passages, args.ledger)
        )
    out: dict[str, Any] = {
        "passages": args.passages,
        "ledger_entries": args.ledger,
        "requests_per_page": args.requests,
        "load_average_before": os.getloadavg(),
    }
    for engine_name, url in engines.items():
        figures = asyncio.run(run(url, args.requests, args.only))
        pages = figures.pop("pages")
        out[engine_name] = {
            "pages": pages,
            "max_p99_ms": max(f["p99_ms"] for f in pages.values()),
            "max_cpu_p99_ms": max(f["cpu_p99_ms"] for f in pages.values()),
            **figures,
        }
    out["load_average_after"] = os.getloadavg()
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
