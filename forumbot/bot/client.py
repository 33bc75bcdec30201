"""The discord.py bot: services in through the constructor, cogs loaded from `cogs/`, one
app-command error handler, and command sync only when the command set changed."""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import pkgutil
from collections import OrderedDict
from datetime import datetime, timedelta
from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

import cogs
from cogs._errors import reply_error
from forumbot.bot.endpoint import DEFAULT_BUSY_AFTER, InteractionsEndpoint
from forumbot.bot.services import Services
from forumbot.bot.slots import AnswerSlots
from forumbot.services.coordination import LeaseKeeper

log = logging.getLogger(__name__)

COMMAND_HASH_KEY = "command_tree_hash"
ANSWER_SLOTS = 4


class ForumTree(app_commands.CommandTree["ForumBot"]):
    """The single error handler for every app command and context menu."""

    async def on_error(
        self, interaction: discord.Interaction[ForumBot], error: app_commands.AppCommandError
    ) -> None:
        await reply_error(interaction, error)

    async def interaction_check(self, interaction: discord.Interaction[ForumBot]) -> bool:
        # The HTTP endpoint may already have deferred this command in its answer to Discord;
        # marking the response done makes the command (and reply_error) use the follow-up.
        acknowledged = interaction.client.acknowledged_by_endpoint
        if interaction.id in acknowledged:
            del acknowledged[interaction.id]
            interaction.response._response_type = (  # no public setter in discord.py 2.7
                discord.InteractionResponseType.deferred_channel_message
            )
        return True


def discover_extensions() -> list[str]:
    """Every module or package in `cogs/` whose name does not start with `_` (those are shared
    helpers). A package is one extension (its `setup` is in its `__init__.py`)."""
    return sorted(
        f"cogs.{m.name}" for m in pkgutil.iter_modules(cogs.__path__) if not m.name.startswith("_")
    )


def default_intents() -> discord.Intents:
    intents = discord.Intents.default()
    intents.members = True  # moderation needs member updates
    intents.message_content = True  # moderation reads comments in threads
    return intents


# The lease of singleton work: finishing publications, ending automatic slow modes.
SCHEDULER_LEASE = "scheduler"
# Discord allows one IDENTIFY per rate-limit key (shard_id % max_concurrency) every 5 s.
IDENTIFY_INTERVAL = 5.0


def shard_lease(shard_id: int, shard_count: int) -> str:
    return f"shard:{shard_id}/{shard_count}"


class ForumBot(commands.AutoShardedBot):
    """discord.py's AutoShardedBot: the shards of FORUMBOT_SHARD_IDS (default: all, as many as
    Discord recommends) on one gateway connection each, and the guard that keeps a second
    process with the same shards from acting (it waits as a standby)."""

    def __init__(
        self,
        services: Services,
        *,
        force_sync: bool = False,
        extensions: list[str] | None = None,
        **options: Any,
    ) -> None:
        options.setdefault("intents", default_intents())
        settings = services.settings
        options.setdefault("shard_count", settings.shard_count)
        options.setdefault("shard_ids", settings.shard_id_list)
        super().__init__(
            command_prefix=commands.when_mentioned,
            help_command=None,
            tree_cls=ForumTree,
            # Nothing the bot says pings anyone unless a call opts in explicitly.
            allowed_mentions=discord.AllowedMentions.none(),
            **options,
        )
        self.services = services
        self.force_sync = force_sync
        self._extensions = extensions if extensions is not None else discover_extensions()
        self.synced_commands = False
        # Discord's HTTP interactions endpoint, when the bot receives interactions that way.
        self.interactions_endpoint: InteractionsEndpoint | None = None
        # Slash commands the endpoint may defer when busy: name -> ephemeral (cogs register).
        self.deferrable_commands: dict[str, bool] = {}
        # Interactions the endpoint deferred, in arrival order (an ordered set, bounded there).
        self.acknowledged_by_endpoint: OrderedDict[int, None] = OrderedDict()
        # Answers computed at once (searches); the rest wait in line, first come first served,
        # so in a burst the first interactions are answered first instead of all at the end,
        # and those that must wait are acknowledged before they do.
        self.answer_slots = AnswerSlots(ANSWER_SLOTS)
        self._claim_tasks: set[asyncio.Task[None]] = set()
        services.leases.ttl = timedelta(seconds=settings.lease_ttl_seconds)
        self.keeper = LeaseKeeper(services.leases)
        self.identify_concurrency = 1
        self.catch_up_since: datetime | None = None
        self._identified_at: dict[int, float] = {}

    def _claim_interactions(self) -> None:
        """Answer an interaction only after claiming its id in the database: two processes that
        receive the same one (a second instance on the same shard) cannot both answer it."""
        state = self._connection
        parse = state.parsers["INTERACTION_CREATE"]
        claims = self.services.claims

        async def claim_then_parse(data: Any) -> None:
            try:
                mine = await claims.interaction(int(data["id"]))
            except Exception:
                # The database is away: answering beats leaving the user with "did not respond"
                # (the shard lease already keeps a second process off this shard).
                log.warning("interaction claim failed; answering anyway", exc_info=True)
                mine = True
            if mine:
                await self.fresh(data.get("guild_id"))
                parse(data)
            else:
                log.info("interaction answered by another process", extra={"id": data["id"]})

        def parser(data: Any) -> None:
            task = asyncio.create_task(claim_then_parse(data), name="discord.py: claim")
            self._claim_tasks.add(task)
            task.add_done_callback(self._claim_tasks.discard)

        state.parsers["INTERACTION_CREATE"] = parser

    async def fresh(self, guild_id: Any) -> None:
        """Before an interaction is handled: drop this process's cached settings, rules and
        policy of its guild when another process (the dashboard, another shard) changed them.
        One primary-key read; when the database is away, the cached copy answers."""
        if guild_id is None:
            return
        try:
            await self.services.stale.check(int(guild_id))
        except Exception as exc:
            log.info("cache version check failed", extra={"guild_id": guild_id, "error": str(exc)})

    async def _plan_shards(self) -> list[int]:
        """Fix the shard count (Discord's recommendation when unset) and this process's ids."""
        count, _url, limit = await self.http.get_bot_gateway()
        self.identify_concurrency = max(1, int(limit.get("max_concurrency", 1)))
        if self.shard_count is None:
            self.shard_count = count
        if not self.shard_ids:
            self.shard_ids = list(range(self.shard_count))
        return list(self.shard_ids)

    async def _take_shards(self) -> None:
        """Hold this process's shards, or wait as a standby until their holder stops."""
        ids = await self._plan_shards()
        assert self.shard_count is not None
        names = [shard_lease(i, self.shard_count) for i in ids]
        leases = self.services.leases
        # A holder that died (no clean release) may have left events unprocessed since it took
        # the shards: the catch-up after READY looks back to then.
        self.catch_up_since = await leases.since(names)
        if not await leases.acquire_all(names):
            held = [h for h in [await leases.holder_of(n) for n in names] if h is not None]
            log.info(
                "standby: another process runs these shards; this one takes over within "
                f"{leases.ttl.total_seconds() * 1.4:.0f} s of it stopping",
                extra={"shards": ids, "count": self.shard_count, "held_by": [h[0] for h in held]},
            )
            while True:
                await asyncio.sleep(self.keeper.interval)
                if await leases.acquire_all(names):
                    break
            log.info("standby taking over shards", extra={"shards": ids})
        for name in names:
            self.keeper.hold(name)
            self.keeper.held.add(name)
        log.info(
            "shards held", extra={"shards": ids, "count": self.shard_count, "holder": leases.holder}
        )

    async def _on_lease_lost(self, name: str) -> None:
        if name.startswith("shard:"):
            # Another process runs our shard now (we stalled past the ttl): stop acting.
            log.error("shard taken over by another process; closing", extra={"lease": name})
            await self.close()

    async def _on_lease_acquired(self, name: str) -> None:
        if name == SCHEDULER_LEASE and self.is_ready():
            self.dispatch("scheduler_acquired")

    def holds_scheduler(self) -> bool:
        return self.keeper.holds(SCHEDULER_LEASE)

    async def before_identify_hook(self, shard_id: int | None, *, initial: bool = False) -> None:
        """Space IDENTIFYs as Discord asks (per rate-limit key), instead of discord.py's flat
        5 s before every one: shards in different keys start together, a reconnect of a shard
        that has not identified lately does not wait."""
        key = (shard_id or 0) % self.identify_concurrency
        loop = asyncio.get_running_loop()
        last = self._identified_at.get(key)
        if last is not None:
            wait = last + IDENTIFY_INTERVAL - loop.time()
            if wait > 0:
                await asyncio.sleep(wait)
        self._identified_at[key] = loop.time()

    async def setup_hook(self) -> None:
        self._claim_interactions()
        await self._take_shards()
        self.keeper.on_lost.append(self._on_lease_lost)
        self.keeper.on_acquired.append(self._on_lease_acquired)
        self.keeper.hold(SCHEDULER_LEASE)
        await self.keeper.round()
        self.keeper.start()
        for name in self._extensions:
            await self.load_extension(name)
        log.info("extensions loaded", extra={"extensions": self._extensions})
        await self.sync_commands(force=self.force_sync)
        if self.interactions_endpoint is not None:
            await self.interactions_endpoint.start()

    def receive_interactions_over_http(
        self,
        host: str,
        port: int,
        *,
        public_key: str | None = None,
        busy_after: int = DEFAULT_BUSY_AFTER,
    ) -> InteractionsEndpoint:
        """Serve Discord's HTTP interactions endpoint once logged in (before `start`)."""
        self.interactions_endpoint = InteractionsEndpoint(
            self, host=host, port=port, public_key=public_key, busy_after=busy_after
        )
        return self.interactions_endpoint

    async def close(self) -> None:
        if self.interactions_endpoint is not None:
            await self.interactions_endpoint.close()
        if not hasattr(self, "_AutoShardedClient__queue"):
            # discord.py 2.7's AutoShardedClient.close() fails on a client that never logged in
            # (its event queue is made at login); give it the queue it expects.
            setattr(self, "_AutoShardedClient__queue", asyncio.PriorityQueue())  # noqa: B010
        await super().close()
        # After the gateway is closed: a standby must not take a shard we still act on.
        await self.keeper.stop()

    def command_tree_hash(self) -> str:
        payload = sorted(
            (c.to_dict(self.tree) for c in self.tree.get_commands()),
            key=lambda c: (c.get("type", 1), c["name"]),
        )
        return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()

    async def sync_commands(self, *, force: bool = False) -> bool:
        """Sync the global command set when it changed since the last sync (or when forced)."""
        digest = self.command_tree_hash()
        key = f"{COMMAND_HASH_KEY}:{self.application_id}"
        stored = await self.services.bot_state.get(key)
        if stored == digest and not force:
            log.info("commands unchanged; not syncing")
            return False
        synced = await self.tree.sync()
        await self.services.bot_state.put(key, digest)
        self.synced_commands = True
        log.info("commands synced", extra={"count": len(synced), "forced": force})
        return True
