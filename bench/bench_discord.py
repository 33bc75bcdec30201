"""Discord-side benchmark through the sandbox (real sockets, real discord.py, real SQLite).

1. Publishing every seed with /article publish-all: wall time, REST requests made, 429s seen,
   limit violations (must be 0).
2. 200 /search interactions: time from the interaction being dispatched to the bot's first
   response reaching the server (p50, p99, max; target p99 <= 100 ms, Discord's limit is 3 s),
   once as a burst (all 200 dispatched at once, so the figure is mostly queueing behind the
   others) and once paced (`--rate` per second, default 50), which shows the per-interaction
   latency.

Each scenario runs in two modes, reported side by side:

- `separate` (as in production): the sandbox and the load generator run in a child process,
  the bot alone in this one, so Discord's side does not take the bot's CPU.
- `in_process`: sandbox, load generator and bot share one process and one event loop.

Each mode also reports the bot process's CPU time per search and the load average, because on
a shared 2-core machine the other processes' load moves the tail a lot.

Prints one JSON document. Usage:
    .venv/bin/python bench/bench_discord.py [--searches N] [--rate R]
        [--mode both|separate|in_process]
        [--profile FILE]   (cProfile of the bot process during the searches, separate mode)
        [--timeline]   (the measured burst's time by stage: received, claimed, handed to
                        discord.py, first response, results; separate mode)
        [--switch-interval S]   (override the interpreter's thread switch interval)
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import cProfile
import gc
import json
import logging
import multiprocessing
import os
import resource
import statistics
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Callable
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from aiohttp import web
from nacl.exceptions import BadSignatureError
from nacl.signing import VerifyKey
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

from forumbot.bot.client import ForumBot
from forumbot.bot.runtime import run_event_loop, settle_heap, tune_interpreter
from forumbot.bot.services import Services, build_services
from forumbot.config import Settings
from forumbot.sandbox import DemoGuild, Sandbox
from forumbot.sandbox.clients import connected
from forumbot.sandbox.wire import point_discord_at
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

DEFERRED_CHANNEL_MESSAGE = 5
LOADING = 1 << 7  # message flag of a deferred answer's placeholder
# The bot's HTTP interactions endpoint in the `http` delivery (any free port).
LISTEN = ("127.0.0.1", 0)

# Tells the bot's side (in the separate mode) where the search phases start and end, so the
# bot process can account its CPU time to the searches alone.
Mark = Callable[[str], None]


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(pct / 100 * len(ordered)) - 1))
    return ordered[index]


def shown(handle: Any) -> bool:
    """The member sees an answer: the original response, and not a "thinking" placeholder."""
    message = handle.original
    return message is not None and not message.get("flags", 0) & LOADING


def load_average() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


# -- the load generator (runs wherever the sandbox runs) --------------------------------------


async def run_searches(
    sb: Sandbox, demo: DemoGuild, count: int, rate: float | None, *, until_results: bool = True
) -> dict[str, Any]:
    """`count` /search interactions; with `until_results=False` only first responses are awaited
    (the floor run's endpoint defers and never follows up)."""
    members = [demo.alice_id, demo.bob_id, demo.moderator_id, demo.admin_id]
    sent_at: dict[str, float] = {}
    handles = []
    load_before = load_average()
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
    # A late answer is refused (404/10062 after sb.interaction_deadline) and never arrives:
    # count it as missed instead of waiting for it.
    # One waiter for all of them: a waiter per handle would be woken by every change of the
    # sandbox's state, 200 x 200 wake-ups that cost the sandbox more than serving the burst.
    pending = list(handles)

    def done(h: Any) -> bool:
        return bool(h.record.failure) or (shown(h) if until_results else h.responded)

    def all_shown() -> bool:
        while pending and done(pending[-1]):
            pending.pop()
        return not pending

    with contextlib.suppress(TimeoutError):
        await sb.wait_until(all_shown, timeout=sb.interaction_deadline + 10, what="answers")
    # First response: the interaction's initial answer (callback or HTTP answer), which may be
    # a deferral; results: when the member sees them (the same moment unless it was deferred,
    # else the first follow-up that replaced the "thinking" message).
    followed_up: dict[str, float] = {}
    for r in sb.requests:
        if r.method in ("POST", "PATCH") and r.path.startswith("/webhooks/") and r.status < 300:
            followed_up.setdefault(r.path.split("/")[3], r.time)
    first, results = [], []
    times: dict[str, dict[str, float]] = {}  # for --timeline: absolute times per interaction
    for h in handles:
        at = h.record.responded_at
        times[h.id] = {"sent": sent_at[h.id]}
        if at is None:
            continue
        times[h.id]["first_response"] = at
        first.append((at - sent_at[h.id]) * 1000)
        if h.response_type != DEFERRED_CHANNEL_MESSAGE:
            results.append((at - sent_at[h.id]) * 1000)
            times[h.id]["results"] = at
        elif h.token in followed_up:
            results.append((followed_up[h.token] - sent_at[h.id]) * 1000)
            times[h.id]["results"] = followed_up[h.token]
    if not first:
        return {"interactions": count, "answered": 0}
    return {
        "interactions": count,
        "answered": len(first),
        # First answered with a deferral: by the HTTP endpoint when busy, or on the gateway
        # when the results were not ready 1.5 s after the interaction.
        "deferred": sum(1 for h in handles if h.response_type == DEFERRED_CHANNEL_MESSAGE),
        "rate_per_s": rate or "burst",
        "p50_ms": round(statistics.median(first), 1),
        "p99_ms": round(percentile(first, 99), 1),
        "max_ms": round(max(first), 1),
        "target_p99_ms": 100,
        "results_shown": len(results),
        "results_p50_ms": round(statistics.median(results), 1) if results else None,
        "results_p99_ms": round(percentile(results, 99), 1) if results else None,
        "violations": len(sb.violations),
        "load_average": {"before": load_before, "after": load_average()},
        "_times": times,
    }


async def drive(
    sb: Sandbox, demo: DemoGuild, searches: int, rate: float, mark: Mark
) -> dict[str, Any]:
    """Set the guild up, publish every article, then the two search scenarios."""
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

    start_index = len(sb.requests)
    started = time.perf_counter()
    handle = await sb.invoke_command(demo.admin_id, demo.general_id, "article publish-all")
    summary = await handle.text(timeout=300)
    wall = time.perf_counter() - started
    made = sb.requests[start_index:]
    publishing = {
        "threads": len(sb.threads(demo.forum_id)),
        "messages": sum(len(sb.messages(t["id"])) for t in sb.threads(demo.forum_id)),
        "requests": len(made),
        "rate_limited_429": sum(1 for r in made if r.status == 429),
        "wall_s": round(wall, 3),
        "violations": len(sb.violations),
        "summary": summary,
    }
    # An unmeasured burst first, as a running server would have had: connection pools (the
    # bot's to the REST API, the sandbox's to the bot's endpoint) and caches are then warm.
    warm_up = await run_searches(sb, demo, searches, None)
    warm_up.pop("_times", None)
    mark("burst")
    burst = await run_searches(sb, demo, searches, None)
    mark("paced")
    paced = await run_searches(sb, demo, searches, rate)
    mark("done")
    return {
        "publish_all": publishing,
        "warm_up_burst": {k: warm_up.get(k) for k in ("p50_ms", "p99_ms", "results_p99_ms")},
        "search_burst": burst,
        "search_paced": paced,
    }


# -- the bot's side ----------------------------------------------------------------------------


class Timeline:
    """--timeline: when each interaction of the measured burst reached the bot, was claimed
    (gateway), and was handed to discord.py's command tree; with the load generator's send,
    first response and results, the burst's time is split by stage. Wraps, never changes, the
    bot's code paths (one dict write per stage)."""

    STAGES = ("received", "claimed", "handed_to_discord_py")

    def __init__(self, bot: ForumBot) -> None:
        self.at: dict[str, dict[str, float]] = {}
        self.recording = False
        claims = bot.services.claims
        claim = claims.interaction

        async def timed_claim(interaction_id: int) -> bool:
            self._stamp(str(interaction_id), "received")
            won = await claim(interaction_id)
            self._stamp(str(interaction_id), "claimed")
            return won

        claims.interaction = timed_claim  # type: ignore[method-assign]
        endpoint = bot.interactions_endpoint
        if endpoint is not None:
            early_ack = endpoint._early_ack

            def timed_ack(data: dict[str, Any]) -> dict[str, Any] | None:
                self._stamp(str(data.get("id")), "received")
                return early_ack(data)

            endpoint._early_ack = timed_ack  # type: ignore[method-assign]

        async def on_interaction(interaction: Any) -> None:
            self._stamp(str(interaction.id), "handed_to_discord_py")

        bot.add_listener(on_interaction, "on_interaction")

    def _stamp(self, interaction_id: str, stage: str) -> None:
        if self.recording:
            self.at.setdefault(interaction_id, {}).setdefault(stage, time.time())

    def report(self, times: dict[str, dict[str, float]]) -> dict[str, Any]:
        """Per stage, ms after the interaction was sent: p50/p99, and by arrival order (each
        fifth of the burst) the median, so a queue shows as a rising line."""
        merged = [{**t, **self.at.get(i, {})} for i, t in times.items()]
        merged.sort(key=lambda t: t["sent"])
        stages = ("received", "claimed", "handed_to_discord_py", "first_response", "results")
        out: dict[str, Any] = {}
        for stage in stages:
            ms = [(t[stage] - t["sent"]) * 1000 for t in merged if stage in t]
            if not ms:
                continue
            fifths = [
                [(t[stage] - t["sent"]) * 1000 for t in part if stage in t]
                for part in (
                    merged[k * len(merged) // 5 : (k + 1) * len(merged) // 5] for k in range(5)
                )
            ]
            out[stage] = {
                "p50_ms": round(statistics.median(ms), 1),
                "p99_ms": round(percentile(ms, 99), 1),
                "median_by_fifth_of_arrivals_ms": [
                    round(statistics.median(f), 1) if f else None for f in fifths
                ],
            }
        return out


@contextlib.asynccontextmanager
async def seeded_services(tmp: str) -> AsyncIterator[Services]:
    settings = Settings(data_dir=Path(tmp), database_url=None)
    url = settings.database_url_or_default
    await upgrade_database(url)
    engine = make_engine(url)
    try:
        services = build_services(settings, engine)
        await services.archive.load_paths([REPO_ROOT / "seeds"])
        yield services
    finally:
        await engine.dispose()


class CpuClock:
    """CPU time of this process (user and kernel), context switches, and database connections
    the bot opened, per search phase (marks arrive in phase order)."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.marks: dict[str, tuple[float, float, int, int]] = {}
        self.connections = 0
        event.listen(engine.sync_engine, "connect", self._connected)
        # Garbage-collector pauses stop the whole loop: they show up as tail latency.
        self.pauses: dict[str, list[tuple[int, float]]] = {}
        self._phase = ""
        self._gc_started = 0.0
        gc.callbacks.append(self._gc)

    def close(self) -> None:
        gc.callbacks.remove(self._gc)

    def _gc(self, phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            self._gc_started = time.perf_counter()
        elif self._phase:
            pause = (time.perf_counter() - self._gc_started) * 1000
            self.pauses.setdefault(self._phase, []).append((info["generation"], pause))

    def _connected(self, *_: Any) -> None:
        self.connections += 1

    def mark(self, name: str) -> None:
        usage = resource.getrusage(resource.RUSAGE_SELF)
        switches = usage.ru_nvcsw + usage.ru_nivcsw
        self.marks[name] = (usage.ru_utime, usage.ru_stime, switches, self.connections)
        self._phase = name if name != "done" else ""

    def add_to(self, result: dict[str, Any], searches: int, who: str) -> None:
        for scenario, first, last in (
            ("search_burst", "burst", "paced"),
            ("search_paced", "paced", "done"),
        ):
            user0, sys0, switches0, conn0 = self.marks[first]
            user1, sys1, switches1, conn1 = self.marks[last]
            user, kernel = (user1 - user0) * 1000 / searches, (sys1 - sys0) * 1000 / searches
            result[scenario][f"{who}_cpu_ms_per_search"] = round(user + kernel, 2)
            result[scenario][f"{who}_cpu_split_ms"] = {
                "user": round(user, 2),
                "sys": round(kernel, 2),
            }
            result[scenario][f"{who}_context_switches_per_search"] = round(
                (switches1 - switches0) / searches, 1
            )
            result[scenario]["db_connections_opened"] = conn1 - conn0
            pauses = self.pauses.get(first, [])
            result[scenario]["gc_pauses"] = {
                "collections_by_generation": [
                    sum(1 for g, _ in pauses if g == n) for n in range(3)
                ],
                "total_ms": round(sum(p for _, p in pauses), 1),
                "longest_ms": round(max((p for _, p in pauses), default=0.0), 1),
            }


async def bench_in_process(searches: int, rate: float, delivery: str) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="bench-discord-") as tmp:
        async with seeded_services(tmp) as services, Sandbox.running() as sb:
            demo = sb.create_demo_guild()
            bot = ForumBot(services, guild_ready_timeout=0.05)
            endpoint = bot.receive_interactions_over_http(*LISTEN) if delivery == "http" else None
            clock = CpuClock(services.engine)
            async with connected(bot, sb):
                settle_heap()  # as `forumbot run` does once the bot is ready
                if endpoint is not None:
                    await sb.set_interactions_endpoint(endpoint.url)
                result = await drive(sb, demo, searches, rate, clock.mark)
            clock.add_to(result, searches, "process")
            clock.close()
            for scenario in ("search_burst", "search_paced"):
                result[scenario].pop("_times")
            return result


def _sandbox_process(conn: Connection, searches: int, rate: float) -> None:
    """Child process: the sandbox and the load generator; results go back through `conn`."""
    logging.basicConfig(level=logging.CRITICAL)
    # Discord's side is not a Python event loop: give its stand-in the faster loop too.
    run_event_loop(_sandbox_main(conn, searches, rate))


async def _sandbox_main(conn: Connection, searches: int, rate: float) -> None:
    async with Sandbox.running() as sb:
        demo = sb.create_demo_guild()
        conn.send({"api_url": sb.api_url, "gateway_url": sb.gateway_url, "token": sb.token})
        ready = await asyncio.to_thread(conn.recv)  # the bot is ready
        if ready.get("endpoint"):  # interactions go to the bot's HTTP endpoint
            await sb.set_interactions_endpoint(ready["endpoint"])
        cpu: dict[str, float] = {}

        def mark(name: str) -> None:
            cpu[name] = time.process_time()
            conn.send({"mark": name})

        result = await drive(sb, demo, searches, rate, mark)
        # Discord's side is not Python on the bot's machine: its CPU per search is reported so
        # the reader can tell the sandbox's share of the latency from the bot's.
        for scenario, first, last in (
            ("search_burst", "burst", "paced"),
            ("search_paced", "paced", "done"),
        ):
            per_search = (cpu[last] - cpu[first]) * 1000 / searches
            result[scenario]["sandbox_process_cpu_ms_per_search"] = round(per_search, 2)
        conn.send({"result": result})


# -- the floor: the same bursts answered by a bare endpoint -------------------------------------

SEARCH_COMMAND = {
    "name": "search",
    "type": 1,
    "description": "Search",
    "options": [{"name": "query", "type": 3, "description": "Words", "required": True}],
}


def _floor_process(conn: Connection, searches: int) -> None:
    logging.basicConfig(level=logging.CRITICAL)
    run_event_loop(_floor_main(conn, searches))


async def _floor_main(conn: Connection, searches: int) -> None:
    """Child: the sandbox delivers the two bursts to the parent's bare endpoint."""
    async with Sandbox.running() as sb:
        demo = sb.create_demo_guild()
        sb.commands[None] = [{**SEARCH_COMMAND, "id": "1", "application_id": sb.application_id}]
        conn.send({"verify_key": sb.verify_key})
        ready = await asyncio.to_thread(conn.recv)
        await sb.set_interactions_endpoint(ready["endpoint"])
        warm_up = await run_searches(sb, demo, searches, None, until_results=False)
        started = time.process_time()
        burst = await run_searches(sb, demo, searches, None, until_results=False)
        warm_up.pop("_times", None)
        burst.pop("_times", None)
        burst["sandbox_process_cpu_ms_per_search"] = round(
            (time.process_time() - started) * 1000 / searches, 2
        )
        conn.send({"result": {"warm_up_burst": warm_up, "search_burst": burst}})


async def bench_floor(searches: int) -> dict[str, Any]:
    """What the sandbox and HTTP alone cost in a burst on this machine: the endpoint checks the
    signature and defers every interaction, with no discord.py and no search behind it. No
    bot can answer the burst faster than this; the bot's own share is the difference."""
    ctx = multiprocessing.get_context("spawn")
    here, there = ctx.Pipe()
    child = ctx.Process(target=_floor_process, args=(there, searches), daemon=True)
    child.start()
    runner: web.AppRunner | None = None
    try:
        key = VerifyKey(bytes.fromhex((await asyncio.to_thread(here.recv))["verify_key"]))

        async def answer(request: web.Request) -> web.Response:
            body = await request.read()
            try:
                key.verify(
                    request.headers["X-Signature-Timestamp"].encode() + body,
                    bytes.fromhex(request.headers["X-Signature-Ed25519"]),
                )
            except (KeyError, ValueError, BadSignatureError):
                return web.Response(status=401)
            if json.loads(body)["type"] == 1:
                return web.json_response({"type": 1})
            return web.json_response({"type": DEFERRED_CHANNEL_MESSAGE, "data": {"flags": 64}})

        app = web.Application()
        app.router.add_post("/interactions", answer)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", 0).start()
        port = runner.addresses[0][1]
        here.send({"endpoint": f"http://127.0.0.1:{port}/interactions"})
        message = await asyncio.to_thread(here.recv)
        result: dict[str, Any] = message["result"]
        result["warm_up_burst"] = {k: result["warm_up_burst"].get(k) for k in ("p50_ms", "p99_ms")}
        return result
    finally:
        if runner is not None:
            await runner.cleanup()
        child.join(10)
        if child.is_alive():
            child.terminate()


async def bench_separate(
    searches: int, rate: float, profile: str | None, delivery: str, timeline: bool = False
) -> dict[str, Any]:
    ctx = multiprocessing.get_context("spawn")
    here, there = ctx.Pipe()
    child = ctx.Process(target=_sandbox_process, args=(there, searches, rate), daemon=True)
    child.start()
    try:
        where = await asyncio.to_thread(here.recv)
        point_discord_at(where["api_url"], where["gateway_url"])
        with tempfile.TemporaryDirectory(prefix="bench-discord-") as tmp:
            async with seeded_services(tmp) as services:
                bot = ForumBot(services, guild_ready_timeout=0.05)
                endpoint = None
                if delivery == "http":
                    endpoint = bot.receive_interactions_over_http(*LISTEN)
                runner = asyncio.create_task(bot.start(where["token"]))
                try:
                    await asyncio.wait_for(bot.wait_until_ready(), 30)
                    settle_heap()  # as `forumbot run` does once the bot is ready
                    here.send({"endpoint": endpoint.url if endpoint else None})
                    clock = CpuClock(services.engine)
                    stages = Timeline(bot) if timeline else None
                    result = await _serve_until_done(here, clock, searches, profile, stages)
                finally:
                    await bot.close()
                    with contextlib.suppress(asyncio.CancelledError):
                        await runner
    finally:
        child.join(10)
        if child.is_alive():
            child.terminate()
    return result


async def _serve_until_done(
    conn: Connection,
    clock: CpuClock,
    searches: int,
    profile: str | None,
    timeline: Timeline | None = None,
) -> dict[str, Any]:
    # Thread CPU time, not wall time: on a shared machine wall time mostly measures preemption.
    profiler = cProfile.Profile(time.thread_time) if profile else None
    while True:
        message = await asyncio.to_thread(conn.recv)
        if "result" in message:
            result: dict[str, Any] = message["result"]
            clock.add_to(result, searches, "bot_process")
            clock.close()
            times = result["search_burst"].pop("_times")
            result["search_paced"].pop("_times")
            if timeline is not None:
                result["search_burst"]["timeline"] = timeline.report(times)
            return result
        clock.mark(message["mark"])
        if timeline is not None:
            timeline.recording = message["mark"] == "burst"
        if profiler is not None and profile is not None:
            if message["mark"] == "burst":
                profiler.enable()
            elif message["mark"] == "done":
                profiler.disable()
                profiler.dump_stats(profile)


async def bench(
    searches: int, rate: float, mode: str, profile: str | None, delivery: str, timeline: bool
) -> dict[str, Any]:
    report: dict[str, Any] = {
        "cpus": os.cpu_count(),
        "bot_event_loop": type(asyncio.get_running_loop()).__module__.split(".")[0],
        "load_average_start": load_average(),
    }
    deliveries = ("gateway", "http") if delivery == "both" else (delivery,)
    for how in deliveries:
        suffix = "" if how == "gateway" else "_http"
        if mode in ("both", "separate"):
            report["separate" + suffix] = await bench_separate(
                searches, rate, profile, how, timeline
            )
        if mode in ("both", "in_process"):
            report["in_process" + suffix] = await bench_in_process(searches, rate, how)
    if "http" in deliveries and mode in ("both", "separate"):
        report["floor_http"] = await bench_floor(searches)
    report["load_average_end"] = load_average()
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--searches", type=int, default=200)
    parser.add_argument("--rate", type=float, default=50.0, help="paced searches per second")
    parser.add_argument("--mode", choices=("both", "separate", "in_process"), default="both")
    parser.add_argument("--profile", help="write a cProfile of the bot during the searches")
    parser.add_argument(
        "--switch-interval", type=float, help="override sys.setswitchinterval (seconds)"
    )
    parser.add_argument(
        "--loop",
        choices=("default", "asyncio"),
        default="default",
        help="the bot's event loop: default = as `forumbot run` (uvloop when installed)",
    )
    parser.add_argument(
        "--delivery",
        choices=("both", "gateway", "http"),
        default="both",
        help="interactions over the gateway, over the bot's HTTP endpoint, or both side by side",
    )
    parser.add_argument(
        "--timeline",
        action="store_true",
        help="split the measured burst's time by stage, per fifth of arrivals (separate mode)",
    )
    args = parser.parse_args()
    logging.basicConfig(level=logging.CRITICAL)
    tune_interpreter()  # as `forumbot run` does
    if args.switch_interval:
        sys.setswitchinterval(args.switch_interval)
    work = bench(args.searches, args.rate, args.mode, args.profile, args.delivery, args.timeline)
    result = asyncio.run(work) if args.loop == "asyncio" else run_event_loop(work)
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
