"""The review queue: held comments, reports and appeals; claim, approve, remove, timeout and
decide appeals through the same ReviewDesk as the buttons (ledger rows marked as from the
dashboard, the same DMs and mod-log posts, decided once)."""

from __future__ import annotations

from aiohttp import web

from forumbot.services.moderation.ledger import acting_from
from forumbot.services.moderation.queue import DECISIONS
from forumbot.web.views import (
    ctx,
    field,
    form,
    guild_access,
    int_param,
    redirect,
    render,
    require_session,
)

ORIGIN = "dashboard"


async def show(request: web.Request) -> web.Response:
    access = await guild_access(request, "moderator")
    # The oldest 100 open items: a page that stays fast however long the queue grows.
    items = (await ctx(request).moderation.desk.queue(access.guild_id))[:100]
    return render(request, "queue.html", access=access, items=items)


async def act(request: web.Request) -> web.Response:
    session = require_session(request)
    access = await guild_access(request, "moderator")
    item_id = int_param(request, "item")
    data = await form(request)
    what = field(data, "action", limit=20)
    reason = field(data, "reason", limit=1000)
    desk = ctx(request).moderation.desk
    where = f"/g/{access.guild_id}/queue"
    if what not in ("claim", *DECISIONS):
        raise web.HTTPBadRequest(text="Unknown action.")
    with acting_from(ORIGIN):
        if what == "claim":
            await desk.claim(access.guild_id, item_id, moderator_id=session.user_id)
            raise redirect(where, f"You claimed item #{item_id}.")
        if not reason:
            raise redirect(where, f"Item #{item_id}: give a reason; it is logged and shown.")
        decision = await desk.decide(
            access.guild_id,
            item_id,
            moderator_id=session.user_id,
            decision=what,
            reason=reason,
        )
    done = f"Item #{item_id} decided: {what}"
    if decision.restored_message_id:
        done += " (the comment is back in its thread)"
    raise redirect(where, done + ".")


def add_routes(router: web.UrlDispatcher) -> None:
    router.add_get("/g/{gid}/queue", show)
    router.add_post("/g/{gid}/queue/{item}", act)
