"""Serving the dashboard (forumbot.web) from a discord.py client: in `forumbot run` beside the
gateway bot (same process, same ModerationService), and in `forumbot web` alone through the
bot's REST client (logged in with the token, no gateway): every action the dashboard takes on
Discord is made there and then, exactly as the buttons make it (moderation side effects through
the same outbox, so a crash or a second process loses and doubles none).

Who a member is comes from the bot's own view: the guild and member from the cache when the
gateway filled it, else fetched over REST; the same checks as cogs/moderation/access.py."""

from __future__ import annotations

import contextlib
import logging
import secrets
from collections.abc import AsyncIterator
from typing import Any

import discord
from aiohttp import web
from pydantic import SecretStr

from cogs.archive.forum import DiscordForumPort
from cogs.moderation.port import moderation
from forumbot.bot.services import Services
from forumbot.config import Settings
from forumbot.services.publishing.service import PublishResult
from forumbot.web import WebContext, create_app
from forumbot.web.access import MemberAccess
from forumbot.web.oauth import OAuthClient
from forumbot.web.sessions import Signer

log = logging.getLogger(__name__)


class WebSetupError(Exception):
    """The dashboard cannot start; str(e) says which setting to fix."""


class DiscordAccess:
    """AccessPort with discord.py: the bot's view of a member in a guild."""

    def __init__(self, client: Any, services: Services) -> None:
        self._client = client
        self._services = services

    async def member_access(self, guild_id: int, user_id: int) -> MemberAccess | None:
        guild = self._client.get_guild(guild_id)
        try:
            if guild is None:
                guild = await self._client.fetch_guild(guild_id)
            member = guild.get_member(user_id) or await guild.fetch_member(user_id)
        except (discord.NotFound, discord.Forbidden):
            return None
        perms = member.guild_permissions
        config = await self._services.guilds.get(guild_id)
        has_role = config is not None and any(
            role.id == config.moderator_role_id for role in member.roles
        )
        return MemberAccess(
            guild_id=guild_id,
            guild_name=guild.name,
            manage_guild=perms.administrator or perms.manage_guild,
            moderator=perms.administrator or perms.moderate_members or has_role,
        )


class ForumPublisher:
    """Publisher with the archive cog's ForumPort and the bot's PublishingService."""

    def __init__(self, client: Any, services: Services) -> None:
        self._port = DiscordForumPort(client)
        self._services = services

    async def publish(self, guild_id: int, article_id: int) -> PublishResult:
        config = await self._services.guilds.require(guild_id)
        return await self._services.publishing.publish(
            self._port, guild_id=guild_id, forum_id=config.forum_channel_id, article_id=article_id
        )


def public_url(settings: Settings) -> str:
    if settings.web_public_url:
        return settings.web_public_url.rstrip("/")
    host, port = settings.web_address
    shown = "127.0.0.1" if host in ("0.0.0.0", "") else host
    return f"http://{shown}:{port}"


def build_context(client: Any, services: Services, settings: Settings) -> WebContext:
    if not settings.discord_client_id or settings.discord_client_secret is None:
        raise WebSetupError(
            "the dashboard signs in with Discord: set FORUMBOT_DISCORD_CLIENT_ID and "
            "FORUMBOT_DISCORD_CLIENT_SECRET (Developer Portal, OAuth2)."
        )
    if settings.web_secret is None:
        raise WebSetupError(
            "set FORUMBOT_WEB_SECRET (32+ random characters, the same for every process)."
        )
    return WebContext(
        settings=settings,
        sessionmaker=services.sessionmaker,
        archive=services.archive,
        guilds=services.guilds,
        moderation=moderation(client),
        access=DiscordAccess(client, services),
        publisher=ForumPublisher(client, services),
        oauth=OAuthClient(
            settings.discord_client_id,
            settings.discord_client_secret.get_secret_value(),
            settings.discord_api_url,
        ),
        signer=Signer(settings.web_secret.get_secret_value()),
        public_url=public_url(settings),
        stale=services.stale,
    )


@contextlib.asynccontextmanager
async def serving(context: WebContext) -> AsyncIterator[str]:
    """Serve the dashboard on the settings' address; yields its URL."""
    host, port = context.settings.web_address
    runner = web.AppRunner(create_app(context), access_log=None, handle_signals=False)
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    try:
        await site.start()
    except OSError as exc:
        await runner.cleanup()
        raise WebSetupError(f"cannot listen on {host}:{port}: {exc.strerror}") from None
    log.info("dashboard serving", extra={"url": context.public_url})
    try:
        yield context.public_url
    finally:
        await runner.cleanup()


class RestClient(discord.Client):
    """The bot's REST client without a gateway, for `forumbot web` on its own."""

    def __init__(self, services: Services) -> None:
        # No gateway ever connects; `guilds` only keeps discord.py's state from warning.
        super().__init__(intents=discord.Intents(guilds=True))
        self.services = services


def demo_web_settings(settings: Settings, application_id: str, client_secret: str) -> Settings:
    """The demo's dashboard settings: the sandbox's OAuth2 application, a fresh cookie key."""
    return settings.model_copy(
        update={
            "discord_client_id": application_id,
            "discord_client_secret": SecretStr(client_secret),
            "web_secret": SecretStr(secrets.token_hex(32)),
        }
    )
