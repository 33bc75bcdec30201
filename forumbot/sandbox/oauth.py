"""Discord's OAuth2 endpoints in the sandbox, so the dashboard signs in without Discord:
`/oauth2/authorize` is a page listing the sandbox's members (pick one, as if you were them),
`/api/v10/oauth2/token` swaps the code for a bearer token (checking the client id, secret and
redirect URI as Discord does), and `/api/v10/users/@me` and `/users/@me/guilds` answer bearer
tokens. Bot-token requests to `/users/@me` go on to the REST API as before."""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable
from html import escape
from typing import TYPE_CHECKING
from urllib.parse import urlencode

from aiohttp import web

if TYPE_CHECKING:
    from forumbot.sandbox.state import SandboxState

CLIENT_SECRET = "sandbox-client-secret"
SCOPES = {"identify", "guilds"}


class OAuthRoutes:
    def __init__(
        self, sb: SandboxState, rest_handle: Callable[[web.Request], Awaitable[web.StreamResponse]]
    ) -> None:
        self.sb = sb
        self._rest = rest_handle
        self.client_secret = CLIENT_SECRET
        self._codes: dict[str, tuple[str, str]] = {}  # code -> (user id, redirect uri)
        self.tokens: dict[str, str] = {}  # bearer token -> user id

    def add_routes(self, app: web.Application, api_prefix: str) -> None:
        app.router.add_get("/oauth2/authorize", self.authorize)
        app.router.add_post(api_prefix + "/oauth2/token", self.token)
        app.router.add_get(api_prefix + "/users/@me", self.me)
        app.router.add_get(api_prefix + "/users/@me/guilds", self.guilds)

    def _bad(self, error: str, status: int = 400) -> web.Response:
        return web.json_response({"error": error}, status=status)

    async def authorize(self, request: web.Request) -> web.Response:
        q = request.query
        if q.get("client_id") != self.sb.application_id:
            return web.Response(status=400, text="Unknown application (client_id).")
        if q.get("response_type") != "code" or not set(q.get("scope", "").split()) <= SCOPES:
            return web.Response(status=400, text="Invalid response_type or scope.")
        redirect_uri = q.get("redirect_uri", "")
        if not redirect_uri.startswith(("http://", "https://")):
            return web.Response(status=400, text="Invalid redirect_uri.")
        chosen = q.get("user")
        if chosen and chosen in self.sb.world.users:
            code = secrets.token_urlsafe(16)
            self._codes[code] = (chosen, redirect_uri)
            query = urlencode({"code": code, "state": q.get("state", "")})
            raise web.HTTPFound(f"{redirect_uri}{'&' if '?' in redirect_uri else '?'}{query}")
        links = []
        for uid, user in self.sb.world.users.items():
            if user.get("bot"):
                continue
            params = urlencode({**q, "user": uid})
            name = escape(user["username"])
            links.append(f'<li><a href="/oauth2/authorize?{params}" id="as-{name}">{name}</a></li>')
        page = (
            "<!doctype html><meta charset=utf-8><title>Sandbox sign-in</title>"
            "<h1>Sign in to the dashboard as…</h1><p>The sandbox's stand-in for Discord's "
            f"authorization page (scopes: {escape(q.get('scope', ''))}).</p>"
            f"<ul>{''.join(links)}</ul>"
        )
        return web.Response(text=page, content_type="text/html")

    async def token(self, request: web.Request) -> web.Response:
        form = await request.post()
        if (
            form.get("client_id") != self.sb.application_id
            or form.get("client_secret") != self.client_secret
        ):
            return self._bad("invalid_client", 401)
        if form.get("grant_type") != "authorization_code":
            return self._bad("unsupported_grant_type")
        found = self._codes.pop(str(form.get("code", "")), None)
        if found is None or found[1] != form.get("redirect_uri"):
            return self._bad("invalid_grant")
        token = secrets.token_urlsafe(24)
        self.tokens[token] = found[0]
        return web.json_response(
            {
                "access_token": token,
                "token_type": "Bearer",
                "expires_in": 604800,
                "refresh_token": secrets.token_urlsafe(24),
                "scope": "identify guilds",
            }
        )

    def _bearer(self, request: web.Request) -> str | None:
        auth = request.headers.get("Authorization", "")
        return self.tokens.get(auth[7:]) if auth.startswith("Bearer ") else None

    async def me(self, request: web.Request) -> web.StreamResponse:
        if not request.headers.get("Authorization", "").startswith("Bearer "):
            return await self._rest(request)  # the bot asking who it is
        uid = self._bearer(request)
        if uid is None:
            return self._bad("unauthorized", 401)
        return web.json_response(self.sb.world.user(uid))

    async def guilds(self, request: web.Request) -> web.StreamResponse:
        uid = self._bearer(request)
        if uid is None:
            return web.json_response({"message": "401: Unauthorized", "code": 0}, status=401)
        return web.json_response(
            [
                {"id": g.id, "name": g.name, "icon": None, "owner": g.owner_id == uid}
                for g in self.sb.world.guilds.values()
                if uid in g.members
            ]
        )
