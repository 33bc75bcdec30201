"""Point an unmodified discord.py at a Discord-compatible server (the sandbox or a user's own)."""

from __future__ import annotations

import discord
import yarl

DISCORD_API_URL = "https://discord.com/api/v10"
DISCORD_GATEWAY_URL = "wss://gateway.discord.gg/"


def point_discord_at(api_url: str | None, gateway_url: str | None) -> None:
    """Send every REST call (webhooks and interaction callbacks included) to `api_url`
    (e.g. http://127.0.0.1:8080/api/v10) and connect the gateway to `gateway_url`
    (e.g. ws://127.0.0.1:8080/gateway/). None leaves that side unchanged.

    Route URLs are built when each Route is made, so call this before `bot.start()`.
    A plain Client connects to DEFAULT_GATEWAY directly; resumes use READY.resume_gateway_url.
    """
    if api_url:
        discord.http.Route.BASE = api_url.rstrip("/")
    if gateway_url:
        url = gateway_url if gateway_url.endswith("/") else gateway_url + "/"
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(url)


def point_discord_at_discord() -> None:
    """Undo `point_discord_at` (tests restore the real endpoints)."""
    point_discord_at(DISCORD_API_URL, DISCORD_GATEWAY_URL)
