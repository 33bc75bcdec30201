"""Cases and the ledger: filters (member, rule, guideline, action, moderator, date), keyset
pages, one case with its message as written and what followed, CSV and JSON export."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from forumbot.services.moderation.casebook import EXPORT_LIMIT, PAGE_SIZE, CaseFilter
from forumbot.services.moderation.types import LedgerEntry
from forumbot.web.views import (
    ctx,
    guild_access,
    int_param,
    rate_limit,
    render,
    require_session,
)

EXPORT_FIELDS = (
    "id",
    "created_at",
    "kind",
    "member_id",
    "member_name",
    "rule",
    "guideline",
    "reason",
    "actor_id",
    "points",
    "refers_to_id",
    "thread_id",
    "message_id",
    "content",
    "via",
)


class BadFilter(web.HTTPBadRequest):
    pass


def _id(value: str, name: str) -> int | None:
    value = value.strip()
    if not value:
        return None
    if not value.isdigit() or len(value) > 20:
        raise BadFilter(text=f"{name} must be a Discord id (digits only).")
    return int(value)


def _date(value: str, name: str) -> datetime | None:
    value = value.strip()
    if not value:
        return None
    try:
        return datetime.fromisoformat(value).replace(tzinfo=UTC)
    except ValueError:
        raise BadFilter(text=f"{name} must be a date like 2026-12-05.") from None


def parse_filter(query: Any) -> CaseFilter:
    return CaseFilter(
        member_id=_id(query.get("member", ""), "Member"),
        rule=query.get("rule", "").strip()[:100] or None,
        guideline=query.get("guideline", "").strip()[:200] or None,
        kind=query.get("kind", "").strip()[:32] or None,
        actor_id=_id(query.get("moderator", ""), "Moderator"),
        since=_date(query.get("since", ""), "From"),
        until=_date(query.get("until", ""), "To"),
    )


async def list_cases(request: web.Request) -> web.Response:
    access = await guild_access(request, "moderator")
    filters = parse_filter(request.query)
    before = _id(request.query.get("before", ""), "before")
    entries = await ctx(request).casebook.cases(access.guild_id, filters, before_id=before)
    query = {k: v for k, v in request.query.items() if k != "before" and v}
    return render(
        request,
        "cases.html",
        access=access,
        entries=entries,
        query=query,
        more=len(entries) == PAGE_SIZE,
    )


async def show_case(request: web.Request) -> web.Response:
    access = await guild_access(request, "member")
    case_id = int_param(request, "case")
    service = ctx(request).moderation
    entry = await service.members.case(access.guild_id, case_id)
    session_user = require_session(request).user_id
    if not access.moderator and entry.member_id != session_user:
        raise web.HTTPForbidden(text="This case is not about you.")
    after = await ctx(request).casebook.after(access.guild_id, case_id)
    return render(request, "case.html", access=access, entry=entry, after=after)


def _row(e: LedgerEntry) -> dict[str, Any]:
    return {
        "id": e.id,
        "created_at": e.created_at.isoformat(),
        "kind": e.kind,
        "member_id": str(e.member_id) if e.member_id else None,
        "member_name": e.member_name,
        "rule": e.rule,
        "guideline": e.guideline,
        "reason": e.reason,
        "actor_id": str(e.actor_id) if e.actor_id else None,
        "points": e.points,
        "refers_to_id": e.refers_to_id,
        "thread_id": str(e.thread_id) if e.thread_id else None,
        "message_id": str(e.message_id) if e.message_id else None,
        "content": e.message_copy.content if e.message_copy else None,
        "via": e.details.get("via") if e.details else None,
    }


def _csv_cell(value: Any) -> Any:
    # A cell a spreadsheet would run as a formula is quoted as text.
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


async def export(request: web.Request) -> web.Response:
    access = await guild_access(request, "moderator")
    await rate_limit(request, "export", 5, 60)
    fmt = request.match_info["fmt"]
    entries = await ctx(request).casebook.cases(
        access.guild_id, parse_filter(request.query), limit=EXPORT_LIMIT
    )
    rows = [_row(e) for e in entries]
    name = f"forumbot-cases-{access.guild_id}.{fmt}"
    headers = {"Content-Disposition": f'attachment; filename="{name}"'}
    if fmt == "json":
        return web.Response(
            text=json.dumps(rows, ensure_ascii=False),
            content_type="application/json",
            headers=headers,
        )
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=EXPORT_FIELDS)
    writer.writeheader()
    for row in rows:
        writer.writerow({k: _csv_cell(v) for k, v in row.items()})
    return web.Response(text=out.getvalue(), content_type="text/csv", headers=headers)


def add_routes(router: web.UrlDispatcher) -> None:
    router.add_get("/g/{gid}/cases", list_cases)
    router.add_get("/g/{gid}/cases.{fmt:csv|json}", export)
    router.add_get("/g/{gid}/cases/{case}", show_case)
