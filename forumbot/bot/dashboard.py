"""`forumbot web`: the dashboard alone, without a gateway connection. It checks members and
acts on Discord through the bot's REST client (logged in with the token). A moderation action's
side effects (re-posts, DMs, timeouts, mod-log posts) are outbox rows committed with it, as the
buttons' are: this process does them at once over REST, and what it could not finish (it died,
Discord failed) is done by the bot process holding the scheduler lease."""

from __future__ import annotations

import asyncio

import discord

from forumbot.bot.runtime import configure_logging, point_discord_at, settle_heap
from forumbot.bot.services import open_services
from forumbot.bot.web import RestClient, WebSetupError, build_context, serving
from forumbot.config import Settings


async def run_web(settings: Settings) -> None:
    """Serve the dashboard until stopped, acting through the bot's REST client."""
    configure_logging(settings.log_level)
    if settings.discord_token is None:
        raise WebSetupError(
            "forumbot web needs DISCORD_TOKEN: it checks who may do what and acts on Discord "
            "through the bot's REST client."
        )
    point_discord_at(settings.discord_api_url, settings.discord_gateway_url)
    async with open_services(settings) as services:
        client = RestClient(services)
        try:
            await client.login(settings.discord_token.get_secret_value())
        except discord.LoginFailure:
            raise WebSetupError("Discord rejected the token (DISCORD_TOKEN).") from None
        try:
            async with serving(build_context(client, services, settings)) as url:
                print(f"Dashboard at {url}", flush=True)
                # As the bot does once ready: full collections stop walking start-up objects
                # (bench_web.py serves its pages after the same step).
                settle_heap()
                # Say how its actions reach Discord, since no gateway bot runs here.
                print(
                    "Discord actions are made now through the bot's REST client (no gateway); "
                    "moderation side effects go through the outbox, and what fails here is "
                    "retried by the bot process holding the scheduler lease.",
                    flush=True,
                )
                await asyncio.Event().wait()
        finally:
            await client.close()
