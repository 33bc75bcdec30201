"""What every page handler shares: rendering, the signed-in person, access per guild, forms
and rate limits. Handlers raise `web.HTTPException`s or services' UserFacingErrors; the error
middleware (app.py) turns both into a short page."""

from __future__ import annotations

from typing import Any

import jinja2
from aiohttp import web
from multidict import MultiDictProxy

from forumbot.web.access import MemberAccess
from forumbot.web.context import WebContext
from forumbot.web.sessions import Session

CONTEXT_KEY: web.AppKey[WebContext] = web.AppKey("forumbot_web", WebContext)
JINJA_KEY: web.AppKey[jinja2.Environment] = web.AppKey("forumbot_jinja", jinja2.Environment)
SESSION_KEY: web.RequestKey[Session | None] = web.RequestKey("forumbot_session", object)  # type: ignore[arg-type]
ACCESS_KEY: web.RequestKey[MemberAccess] = web.RequestKey("forumbot_access", MemberAccess)
NEEDS = ("member", "moderator", "manage")


def ctx(request: web.Request) -> WebContext:
    return request.app[CONTEXT_KEY]


def session_of(request: web.Request) -> Session | None:
    return request.get(SESSION_KEY)


def require_session(request: web.Request) -> Session:
    session = session_of(request)
    if session is None:
        raise web.HTTPFound("/login?next=" + request.path_qs.replace("&", "%26"))
    return session


def render(request: web.Request, template: str, status: int = 200, **values: Any) -> web.Response:
    session = session_of(request)
    values.setdefault("access", request.get(ACCESS_KEY))
    html = (
        request.app[JINJA_KEY]
        .get_template(template)
        .render(
            session=session,
            csrf=ctx(request).signer.csrf_token(session) if session else "",
            msg=request.query.get("msg", "")[:300],
            **values,
        )
    )
    return web.Response(text=html, status=status, content_type="text/html", charset="utf-8")


def guild_id_of(request: web.Request) -> int:
    raw = request.match_info["gid"]
    if not raw.isdigit() or len(raw) > 20:
        raise web.HTTPNotFound(text="No such server.")
    return int(raw)


def int_param(request: web.Request, name: str) -> int:
    raw = request.match_info[name]
    if not raw.isdigit() or len(raw) > 20:
        raise web.HTTPNotFound(text="Not found.")
    return int(raw)


async def guild_access(request: web.Request, need: str) -> MemberAccess:
    """The signed-in member's access to the guild in the URL, from the bot's view: 404 when the
    bot is not there or they are not a member, 403 when they lack what the page needs."""
    assert need in NEEDS
    session = require_session(request)
    gid = guild_id_of(request)
    context = ctx(request)
    if context.stale is not None:
        # What this page shows and checks (moderator role, rules) is what the database holds,
        # even when another process changed it a moment ago.
        await context.stale.check(gid)
    access = await context.access.member_access(gid, session.user_id)
    if access is None:
        raise web.HTTPNotFound(text="No such server (or you are not a member of it).")
    request[ACCESS_KEY] = access
    if need == "moderator" and not access.moderator:
        raise web.HTTPForbidden(text="Only moderators can see this page.")
    if need == "manage" and not access.manage_guild:
        raise web.HTTPForbidden(text="Only members with Manage Server can see this page.")
    return access


async def form(request: web.Request) -> MultiDictProxy[Any]:
    """The POSTed form (already read and CSRF-checked by the middleware)."""
    return await request.post()


def field(data: MultiDictProxy[Any], name: str, *, limit: int = 2000) -> str:
    value = data.get(name, "")
    return value.strip()[:limit] if isinstance(value, str) else ""


async def rate_limit(request: web.Request, what: str, limit: int, per_seconds: int) -> None:
    """429 once the signed-in person (or the address) asked for `what` too often."""
    session = session_of(request)
    who = f"u{session.user_id}" if session else f"ip{request.remote}"
    if not await ctx(request).limiter.allow(f"{what}:{who}", limit, per_seconds):
        raise web.HTTPTooManyRequests(
            text=f"Too many requests; wait a minute and try again ({what})."
        )


def redirect(location: str, msg: str | None = None) -> web.HTTPSeeOther:
    from urllib.parse import quote

    if msg:
        location += ("&" if "?" in location else "?") + "msg=" + quote(msg[:300])
    return web.HTTPSeeOther(location)
