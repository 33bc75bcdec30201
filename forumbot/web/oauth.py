"""Discord OAuth2, authorization-code flow (scopes `identify guilds`), as a small client.

The endpoints follow the API base the bot uses (FORUMBOT_DISCORD_API_URL or Discord's), so
the sandbox's implementation serves the demo and the tests. The client secret is sent only in
the token request body; it is never logged or rendered.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from urllib.parse import urlencode

import aiohttp

log = logging.getLogger(__name__)

DISCORD_API = "https://discord.com/api/v10"
SCOPES = "identify guilds"


class OAuthError(Exception):
    """Sign-in failed; str(e) is safe to show."""


@dataclass(frozen=True)
class DiscordUser:
    id: int
    username: str


class OAuthClient:
    def __init__(self, client_id: str, client_secret: str, api_url: str | None = None) -> None:
        self.client_id = client_id
        self._secret = client_secret
        self.api = (api_url or DISCORD_API).rstrip("/")
        # The authorize page lives beside the API (discord.com/oauth2/authorize).
        root = self.api[: -len("/api/v10")] if self.api.endswith("/api/v10") else self.api
        self.authorize_endpoint = f"{root}/oauth2/authorize"

    def __repr__(self) -> str:  # never the secret
        return f"OAuthClient(client_id={self.client_id!r}, api={self.api!r})"

    def authorize_url(self, redirect_uri: str, state: str) -> str:
        query = urlencode(
            {
                "client_id": self.client_id,
                "redirect_uri": redirect_uri,
                "response_type": "code",
                "scope": SCOPES,
                "state": state,
                "prompt": "none",
            }
        )
        return f"{self.authorize_endpoint}?{query}"

    async def _json(
        self, http: aiohttp.ClientSession, method: str, url: str, **kw: object
    ) -> object:
        try:
            async with http.request(method, url, **kw) as resp:  # type: ignore[arg-type]
                if resp.status >= 400:
                    log.info("oauth request refused", extra={"url": url, "status": resp.status})
                    raise OAuthError("Discord refused the sign-in; please try again.")
                return await resp.json()
        except (aiohttp.ClientError, TimeoutError) as exc:
            log.info("oauth request failed", extra={"url": url, "error": type(exc).__name__})
            raise OAuthError("Discord could not be reached; please try again.") from None

    async def sign_in(
        self, code: str, redirect_uri: str
    ) -> tuple[DiscordUser, list[tuple[int, str]]]:
        """Exchange the code for a token, then read who signed in and their guilds."""
        timeout = aiohttp.ClientTimeout(total=10)
        async with aiohttp.ClientSession(timeout=timeout) as http:
            token = await self._json(
                http,
                "POST",
                f"{self.api}/oauth2/token",
                data={
                    "grant_type": "authorization_code",
                    "code": code,
                    "redirect_uri": redirect_uri,
                    "client_id": self.client_id,
                    "client_secret": self._secret,
                },
            )
            if not isinstance(token, dict) or "access_token" not in token:
                raise OAuthError("Discord refused the sign-in; please try again.")
            headers = {"Authorization": f"Bearer {token['access_token']}"}
            me = await self._json(http, "GET", f"{self.api}/users/@me", headers=headers)
            guilds = await self._json(http, "GET", f"{self.api}/users/@me/guilds", headers=headers)
        if not isinstance(me, dict) or not isinstance(guilds, list):
            raise OAuthError("Discord sent an answer the dashboard does not understand.")
        try:
            user = DiscordUser(int(me["id"]), str(me.get("global_name") or me["username"]))
            listed = [(int(g["id"]), str(g.get("name", ""))) for g in guilds]
        except (KeyError, TypeError, ValueError):
            raise OAuthError("Discord sent an answer the dashboard does not understand.") from None
        return user, listed
