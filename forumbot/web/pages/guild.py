"""A guild's front page (what this member may open) and the Member page: history, points now
and how they fade, the current timeout, appeals. A plain member sees only their own."""

from __future__ import annotations

import math

from aiohttp import web

from forumbot.services.moderation.types import utcnow
from forumbot.web.views import ctx, guild_access, int_param, render, require_session


async def overview(request: web.Request) -> web.Response:
    access = await guild_access(request, "member")
    return render(request, "guild.html", access=access)


async def member(request: web.Request) -> web.Response:
    session = require_session(request)
    member_id = int_param(request, "uid")
    access = await guild_access(request, "member")
    if member_id != session.user_id and not access.moderator:
        raise web.HTTPForbidden(text="Only moderators can see another member's record.")
    service = ctx(request).moderation
    record = await service.members.history(access.guild_id, member_id)
    now = utcnow()
    timeout = next(
        (
            e
            for e in reversed(record.entries)
            if e.kind == "timeout"
            and e.expires_at is not None
            and e.expires_at > now
            and e.id not in record.pardoned
        ),
        None,
    )
    half_life = record.policy.half_life_hours
    # Points fade by half every half_life hours: the curve over the next week.
    fade = [
        (hours, round(record.points * math.pow(0.5, hours / half_life), 2))
        for hours in (0, 24, 72, 168)
    ]
    appeals = await service.desk.queue(access.guild_id, kind="appeal", member_id=member_id)
    return render(
        request,
        "member.html",
        access=access,
        member_id=member_id,
        record=record,
        timeout=timeout,
        fade=fade,
        half_life=half_life,
        appeals=appeals,
    )


def add_routes(router: web.UrlDispatcher) -> None:
    router.add_get("/g/{gid}", overview)
    router.add_get("/g/{gid}/members/{uid}", member)
