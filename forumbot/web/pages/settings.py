"""Settings: the forum, mod-log channel and moderator role (what /setup stores), the ladder
(points, half-life, when a timeout follows) and automatic slow mode. Validated as a whole:
nothing is stored when any field is wrong."""

from __future__ import annotations

from dataclasses import asdict

from aiohttp import web

from forumbot.services.moderation.ledger import acting_from
from forumbot.web.views import ctx, field, form, guild_access, redirect, render, require_session

ORIGIN = "dashboard"
# The ladder and slow-mode fields the page edits, with their type.
POLICY_FIELDS: dict[str, type] = {
    "nudge_points": float,
    "hold_points": float,
    "remove_points": float,
    "timeout_points": float,
    "warn_points": float,
    "half_life_hours": float,
    "timeout_threshold": float,
    "first_timeout_minutes": float,
    "timeout_growth": float,
    "heat_messages": int,
    "heat_window_seconds": float,
    "slowmode_seconds": int,
    "slowmode_minutes": float,
}
CHANNEL_FIELDS = ("forum_channel_id", "modlog_channel_id", "moderator_role_id")


async def _page(
    request: web.Request, errors: dict[str, str] | None = None, values: dict[str, str] | None = None
) -> web.Response:
    access = await guild_access(request, "manage")
    context = ctx(request)
    config = await context.guilds.get(access.guild_id)
    policy = await context.moderation.policy(access.guild_id)
    current = {k: str(v) for k, v in asdict(policy).items() if k in POLICY_FIELDS}
    for name in CHANNEL_FIELDS:
        current[name] = str(getattr(config, name)) if config else ""
    current.update(values or {})
    return render(
        request,
        "settings.html",
        status=400 if errors else 200,
        access=access,
        values=current,
        errors=errors or {},
        policy_fields=list(POLICY_FIELDS),
        channel_fields=CHANNEL_FIELDS,
    )


async def show(request: web.Request) -> web.Response:
    return await _page(request)


async def save(request: web.Request) -> web.Response:
    session = require_session(request)
    access = await guild_access(request, "manage")
    data = await form(request)
    values = {name: field(data, name, limit=40) for name in (*CHANNEL_FIELDS, *POLICY_FIELDS)}
    errors: dict[str, str] = {}
    ids: dict[str, int] = {}
    for name in CHANNEL_FIELDS:
        if not values[name].isdigit() or len(values[name]) > 20:
            errors[name] = "A Discord id: digits only (right-click, Copy ID)."
        else:
            ids[name] = int(values[name])
    changes: dict[str, object] = {}
    for name, kind in POLICY_FIELDS.items():
        try:
            number = kind(values[name])
        except ValueError:
            errors[name] = "A whole number." if kind is int else "A number."
            continue
        if number < 0 or number != number or number > 1_000_000:
            errors[name] = "Between 0 and 1,000,000."
        else:
            changes[name] = number
    reason = field(data, "reason", limit=500)
    if not reason:
        errors["reason"] = "Say why (the reason is logged)."
    if errors:
        return await _page(request, errors, values)
    context = ctx(request)
    with acting_from(ORIGIN):
        current = await context.moderation.policy(access.guild_id)
        changed = {k: v for k, v in changes.items() if getattr(current, k) != v}
        if changed:
            await context.moderation.update_policy(
                access.guild_id, changed, actor_id=session.user_id, reason=reason
            )
    await context.guilds.configure(access.guild_id, **ids)
    raise redirect(f"/g/{access.guild_id}/settings", "Settings saved.")


def add_routes(router: web.UrlDispatcher) -> None:
    router.add_get("/g/{gid}/settings", show)
    router.add_post("/g/{gid}/settings", save)
