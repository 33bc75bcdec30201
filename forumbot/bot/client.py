"""The discord.py bot: services in through the constructor, cogs loaded from `cogs/`, one
app-command error handler, and command sync only when the command set changed."""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import pkgutil
from collections import OrderedDict
from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

import cogs
from cogs._errors import reply_error
from forumbot.bot.endpoint import DEFAULT_BUSY_AFTER, InteractionsEndpoint
from forumbot.bot.services import Services

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


class ForumBot(commands.Bot):
    def __init__(
        self,
        services: Services,
        *,
        force_sync: bool = False,
        extensions: list[str] | None = None,
        **options: Any,
    ) -> None:
        options.setdefault("intents", default_intents())
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
        # so in a burst the first interactions are answered first instead of all at the end.
        self.answer_slots = asyncio.Semaphore(ANSWER_SLOTS)
        self._claim_tasks: set[asyncio.Task[None]] = set()

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
                parse(data)
            else:
                log.info("interaction answered by another process", extra={"id": data["id"]})

        def parser(data: Any) -> None:
            task = asyncio.create_task(claim_then_parse(data), name="discord.py: claim")
            self._claim_tasks.add(task)
            task.add_done_callback(self._claim_tasks.discard)

        state.parsers["INTERACTION_CREATE"] = parser

    async def setup_hook(self) -> None:
        self._claim_interactions()
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
        await super().close()

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
