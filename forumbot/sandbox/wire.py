"""Point an unmodified discord.py at a Discord-compatible server (the sandbox or a user's own)."""

from __future__ import annotations

import discord
import yarl


def point_discord_at(api_url: str, gateway_url: str) -> None:
    """Send every REST call (webhooks and interaction callbacks included) to `api_url`
    (e.g. http://127.0.0.1:8080/api/v10) and connect the gateway to `gateway_url`.

    Route URLs are built when each Route is made, so call this before `bot.start()`.
    """
    discord.http.Route.BASE = api_url.rstrip("/")
    url = gateway_url if gateway_url.endswith("/") else gateway_url + "/"
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(url)


def point_discord_at_discord() -> None:
    """Undo `point_discord_at` (tests restore the real endpoints)."""
    discord.http.Route.BASE = "https://discord.com/api/v10"
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL("wss://gateway.discord.gg/")
