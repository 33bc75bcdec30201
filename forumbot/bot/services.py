"""The services container: the use cases the cogs call, built once per process (or per test) and
handed to ForumBot through its constructor, and their lifetime (migrate, build, drain the bot's
tasks, dispose of the engine). No discord import: the CLI and tests use it without the bot."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from forumbot.bot.state import BotStateStore, SearchSessionStore
from forumbot.config import Settings
from forumbot.services.archive import ArchiveService
from forumbot.services.coordination import (
    CacheVersions,
    Claims,
    Leases,
    StaleGuard,
    process_identity,
)
from forumbot.services.feeds import FeedPoller, FeedsService
from forumbot.services.guilds import GuildSettingsService
from forumbot.services.links import LinksService, make_fetcher
from forumbot.services.publishing import PublishingService
from forumbot.services.removal import RemovalService
from forumbot.storage.db import make_engine, make_sessionmaker, upgrade_database


@dataclass
class Services:
    """The use cases the cogs call. Built once per process (or per test)."""

    settings: Settings
    engine: AsyncEngine
    sessionmaker: async_sessionmaker[AsyncSession]
    archive: ArchiveService
    publishing: PublishingService
    removal: RemovalService
    links: LinksService
    feeds: FeedsService
    feed_poller: FeedPoller
    guilds: GuildSettingsService
    bot_state: BotStateStore
    searches: SearchSessionStore
    # Who this process is to the other processes on the database (leases, claims).
    holder: str
    leases: Leases
    claims: Claims
    stale: StaleGuard
    # Services of later features (e.g. moderation) register here by name.
    extras: dict[str, Any] = field(default_factory=dict)


def build_services(settings: Settings, engine: AsyncEngine) -> Services:
    sessionmaker = make_sessionmaker(engine)
    holder = process_identity()
    guilds = GuildSettingsService(sessionmaker)
    stale = StaleGuard(CacheVersions(sessionmaker))
    stale.on_stale.append(guilds.invalidate)
    archive = ArchiveService(sessionmaker, settings)
    leases = Leases(sessionmaker, holder)
    fetcher = make_fetcher(settings)
    return Services(
        settings=settings,
        engine=engine,
        sessionmaker=sessionmaker,
        archive=archive,
        publishing=PublishingService(sessionmaker),
        removal=RemovalService(sessionmaker),
        links=LinksService(archive, settings),
        feeds=FeedsService(sessionmaker, fetcher),
        feed_poller=FeedPoller(
            sessionmaker, archive, fetcher, leases, max_bytes=settings.max_file_bytes
        ),
        guilds=guilds,
        bot_state=BotStateStore(sessionmaker),
        searches=SearchSessionStore(sessionmaker),
        holder=holder,
        leases=leases,
        claims=Claims(sessionmaker, holder),
        stale=stale,
    )


@asynccontextmanager
async def open_services(settings: Settings, *, migrate: bool = True) -> AsyncIterator[Services]:
    """Migrate (optionally), build the services, and dispose of the engine afterwards."""
    url = settings.database_url_or_default
    if migrate:
        await upgrade_database(url)
    engine = make_engine(url)
    try:
        yield build_services(settings, engine)
    finally:
        await drain_tasks()
        await engine.dispose()


# Names discord.py gives the tasks it starts for event handlers, app commands and views.
BOT_TASK_PREFIXES = ("discord.py: ", "CommandTree-invoker", "discord-ui-")


async def drain_tasks(
    timeout: float = 3.0,  # noqa: ASYNC109
    *,
    prefixes: tuple[str, ...] | None = None,
) -> None:
    """Give tasks the bot left running (event handlers, moderation checks) a moment to finish,
    before the engine is disposed: all tasks of the loop, or those whose names start with one
    of `prefixes` (e.g. BOT_TASK_PREFIXES when other servers share the loop, as in tests).

    discord.py does not wait for its handler tasks on close. One still holding a database
    connection when the engine is disposed keeps it out of the pool; collected later, it is
    closed through aiosqlite's thread, which may have ended (a close that never finishes) or
    answer to a loop that has closed.
    """
    current = asyncio.current_task()
    pending = {
        task
        for task in asyncio.all_tasks()
        if task is not current
        and not task.done()
        and (prefixes is None or task.get_name().startswith(prefixes))
    }
    if pending:
        await asyncio.wait(pending, timeout=timeout)
