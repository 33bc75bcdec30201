"""Signing in with Discord (OAuth2 code flow with `state`), the guild list, signing out."""

from __future__ import annotations

import secrets
import time

from aiohttp import web

from forumbot.web.oauth import OAuthError
from forumbot.web.sessions import SESSION_COOKIE, STATE_COOKIE
from forumbot.web.views import ctx, form, rate_limit, render, session_of

STATE_SECONDS = 600


def _redirect_uri(request: web.Request) -> str:
    return f"{ctx(request).public_url}/oauth/callback"


def _safe_next(value: str | None) -> str:
    # Only a path on this site: never an open redirect.
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return "/"
    return value[:500]


async def home(request: web.Request) -> web.Response:
    session = session_of(request)
    if session is None:
        return render(request, "login.html")
    context = ctx(request)
    servers = []
    for gid, name in session.guilds:
        if await context.guilds.get(gid) is not None:
            servers.append((gid, name))
    return render(request, "home.html", servers=servers)


async def login(request: web.Request) -> web.Response:
    await rate_limit(request, "login", 10, 60)
    context = ctx(request)
    state = secrets.token_urlsafe(24)
    value = context.signer.sign(
        "state",
        {"s": state, "e": time.time() + STATE_SECONDS, "n": _safe_next(request.query.get("next"))},
    )
    response = web.HTTPFound(context.oauth.authorize_url(_redirect_uri(request), state))
    response.set_cookie(
        STATE_COOKIE,
        value,
        max_age=STATE_SECONDS,
        httponly=True,
        samesite="Lax",
        secure=context.secure_cookies,
        path="/oauth",
    )
    raise response


async def callback(request: web.Request) -> web.Response:
    await rate_limit(request, "login", 10, 60)
    context = ctx(request)
    data = context.signer.unsign("state", request.cookies.get(STATE_COOKIE))
    state = request.query.get("state", "")
    if (
        data is None
        or float(data.get("e", 0)) < time.time()
        or not secrets.compare_digest(str(data.get("s", "")), state)
    ):
        raise web.HTTPBadRequest(text="This sign-in link expired or was not started here; retry.")
    code = request.query.get("code", "")
    if not code:
        raise web.HTTPBadRequest(text="Discord did not sign you in (no code); retry.")
    try:
        user, guilds = await context.oauth.sign_in(code, _redirect_uri(request))
    except OAuthError as exc:
        raise web.HTTPBadGateway(text=str(exc)) from None
    _session, cookie = await context.sessions.create(
        user.id, user.username, guilds, hours=context.settings.web_session_hours
    )
    response = web.HTTPSeeOther(_safe_next(str(data.get("n", "/"))))
    response.set_cookie(
        SESSION_COOKIE,
        cookie,
        max_age=context.settings.web_session_hours * 3600,
        httponly=True,
        samesite="Lax",
        secure=context.secure_cookies,
    )
    response.del_cookie(STATE_COOKIE, path="/oauth")
    raise response


async def logout(request: web.Request) -> web.Response:
    await form(request)
    session = session_of(request)
    if session is not None:
        await ctx(request).sessions.revoke(session)
    response = web.HTTPSeeOther("/")
    response.del_cookie(SESSION_COOKIE)
    raise response


def add_routes(router: web.UrlDispatcher) -> None:
    router.add_get("/", home)
    router.add_get("/login", login)
    router.add_get("/oauth/callback", callback)
    router.add_post("/logout", logout)
