"""Running the bot: point discord.py at a server, log in a structured way, tune the interpreter
and event loop, and start ForumBot with the services (`forumbot.bot.services`) handed to it
through its constructor; there are no module-level singletons.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import gc
import importlib
import json
import logging
import os
import platform
import sys
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

import discord
import yarl

from forumbot.bot.client import ForumBot
from forumbot.bot.endpoint import EndpointError
from forumbot.bot.services import open_services
from forumbot.bot.web import WebSetupError, build_context, serving
from forumbot.config import Settings

log = logging.getLogger(__name__)

T = TypeVar("T")


def point_discord_at(api_url: str | None, gateway_url: str | None) -> None:
    """Send discord.py's REST and gateway traffic to a Discord-compatible server.

    Prefers the sandbox's implementation when present (it knows its own URL layout).
    """
    if not api_url and not gateway_url:
        return
    try:
        wire: Any = importlib.import_module("forumbot.sandbox.wire")
    except ImportError:
        wire = None
    if wire is not None and hasattr(wire, "point_discord_at"):
        wire.point_discord_at(api_url, gateway_url)
        return
    if api_url:
        discord.http.Route.BASE = api_url.rstrip("/")
    if gateway_url:
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(gateway_url)


_STANDARD_ATTRS = set(logging.makeLogRecord({}).__dict__) | {"message", "asctime"}


class KeyValueFormatter(logging.Formatter):
    """`time level logger: message key=value ...`, with `extra=` fields as JSON values."""

    def format(self, record: logging.LogRecord) -> str:
        base = super().format(record)
        extras = {k: v for k, v in record.__dict__.items() if k not in _STANDARD_ATTRS}
        if not extras:
            return base
        pairs = " ".join(f"{k}={json.dumps(v, default=str)}" for k, v in sorted(extras.items()))
        head, sep, tail = base.partition("\n")  # keep tracebacks after the fields
        return f"{head} {pairs}{sep}{tail}"


def tune_interpreter() -> None:
    """Hand the GIL over more often than every 5 ms: database calls run in aiosqlite's worker
    threads, and with the default interval a burst of interactions waits on GIL hand-offs
    (measured: /search burst latency roughly halves)."""
    sys.setswitchinterval(0.001)


# glibc's M_ARENA_MAX (malloc.h), and the cap `forumbot run` sets before any thread starts.
M_ARENA_MAX = -8
MALLOC_ARENAS = 2


def cap_malloc_arenas(limit: int = MALLOC_ARENAS) -> bool:
    """Let glibc's malloc use at most `limit` arenas (the default is 8 per core). Called first
    thing, before any thread exists; returns whether the cap was set.

    Every thread that allocates gets an arena of its own, and the bot has many threads that come
    and go (aiosqlite runs one per connection, asyncio's executor, DNS lookups). Each arena keeps
    its own free memory, so what one thread frees another cannot reuse, and the process's RSS
    creeps up with work already done. The 50,000-comment soak (bench/README.md, 2026-12-06):
    malloc's free-but-kept memory 26.1 MB at the end without the cap, 8.6 MB with it; RSS 18 MB
    lower, and its growth over the second 25,000 comments +3.4 MB instead of +6.8. Two arenas:
    the main one and one shared by the threads, whose work is short waits on I/O where
    contention on the arena's lock did not show (latency followed the machine's load).

    Set with mallopt() rather than by re-executing the process with MALLOC_ARENA_MAX in its
    environment: same effect (glibc reads the variable at start-up into this same setting),
    without a second start-up, a new pid or argv to rebuild. An operator's own
    MALLOC_ARENA_MAX is left as it is; elsewhere than glibc this does nothing."""
    if os.environ.get("MALLOC_ARENA_MAX") or platform.libc_ver()[0] != "glibc":
        return False
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
    return bool(mallopt(M_ARENA_MAX, limit))


def settle_heap() -> None:
    """Once the bot is up: collect, then move everything alive into the garbage collector's
    permanent generation (`gc.freeze`), so later full collections no longer walk the caches,
    models and modules loaded at start-up. bench_discord.py measured full collections of
    ~100 ms mid-burst without it, a pause of the whole event loop."""
    gc.collect()
    gc.freeze()


def run_event_loop(main: Coroutine[Any, Any, T]) -> T:
    """Run the bot's event loop: uvloop where it is installed (it is a dependency except on
    Windows), else asyncio's own. Most of an interaction's cost is discord.py and aiohttp work
    on the loop; bench/bench_discord.py measured about 13% less CPU per /search with uvloop."""
    try:
        import uvloop
    except ImportError:
        return asyncio.run(main)
    return uvloop.run(main)


def quiet_voice_warnings() -> None:
    """discord.py warns that voice libraries are missing; a forum bot never uses voice."""
    logging.getLogger("discord.client").addFilter(
        lambda record: "voice will NOT be supported" not in record.getMessage()
    )


def configure_logging(level: str = "INFO") -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(KeyValueFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # discord.py's gateway chatter at DEBUG is noise even when we debug our own code.
    logging.getLogger("discord").setLevel(max(logging.INFO, root.level))
    quiet_voice_warnings()


def _settle_once() -> Callable[[], Coroutine[Any, Any, None]]:
    settled = False

    async def on_ready() -> None:
        nonlocal settled
        if not settled:  # on_ready fires again after a reconnect
            settled = True
            settle_heap()
            log.info("heap settled after start-up", extra={"frozen": gc.get_freeze_count()})

    return on_ready


class StartupError(Exception):
    """The bot could not log in; str(e) says what the operator must fix."""


async def run_bot(settings: Settings, *, force_sync: bool = False) -> None:
    """Run the bot against Discord (or the server FORUMBOT_DISCORD_API_URL names) until stopped.

    Discord's login refusals become `StartupError`, so the CLI needs no discord import.
    """
    configure_logging(settings.log_level)
    if settings.discord_token is None:
        raise StartupError("no DISCORD_TOKEN is set.")
    if settings.discord_api_url or settings.discord_gateway_url:
        point_discord_at(settings.discord_api_url, settings.discord_gateway_url)
        log.info(
            "using a Discord-compatible server",
            extra={"api": settings.discord_api_url, "gateway": settings.discord_gateway_url},
        )
    try:
        async with open_services(settings) as services:
            bot = ForumBot(services, force_sync=force_sync)
            bot.add_listener(_settle_once(), "on_ready")
            if settings.interactions_address is not None:
                host, port = settings.interactions_address
                bot.receive_interactions_over_http(
                    host, port, public_key=settings.interactions_public_key
                )
            async with bot, contextlib.AsyncExitStack() as stack:
                if settings.web_listen:
                    # The dashboard in this process, on the bot's own ModerationService.
                    context = build_context(bot, services, settings)
                    await stack.enter_async_context(serving(context))
                await bot.start(settings.discord_token.get_secret_value())
    except (EndpointError, WebSetupError) as exc:
        raise StartupError(str(exc)) from None
    except discord.LoginFailure:
        raise StartupError("Discord rejected the token (DISCORD_TOKEN).") from None
    except discord.PrivilegedIntentsRequired:
        raise StartupError(
            "Discord refused the privileged intents: enable Server Members and Message Content "
            "for the bot in the Developer Portal."
        ) from None
