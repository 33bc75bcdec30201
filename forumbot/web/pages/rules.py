"""Rules: the default pack and this guild's overrides, the YAML editor with every problem shown
beside the text, enforce/shadow per rule, a backtest with a chart before saving, the audit
trail; and Activity: actions per day and per rule (shadow beside enforced) as charts."""

from __future__ import annotations

import re

from aiohttp import web

from forumbot.services.moderation.errors import InvalidRules
from forumbot.services.moderation.ledger import acting_from
from forumbot.web.charts import day_columns, hbars
from forumbot.web.views import (
    ctx,
    field,
    form,
    guild_access,
    rate_limit,
    redirect,
    render,
    require_session,
)

ORIGIN = "dashboard"
MAX_YAML = 100_000
ACTION_ORDER = ("nudge", "hold", "remove", "timeout", "log")
_RULE_IN = re.compile(r"rule[s]? '?([\w.:-]+)'?|^([\w.:-]+):")


def problems_of(error: InvalidRules) -> list[tuple[str | None, str]]:
    """Each problem of an invalid rule file, with the rule it names when it names one."""
    text = str(error)
    lines = [
        ln.strip()[2:] if ln.strip().startswith("- ") else ln.strip() for ln in text.splitlines()
    ]
    if len(lines) > 1:
        lines = lines[1:]  # "invalid rules (N problems):" heading
    elif lines and lines[0].startswith("invalid rules: "):
        lines = [lines[0][len("invalid rules: ") :]]
    out: list[tuple[str | None, str]] = []
    for line in lines:
        if line:
            found = _RULE_IN.search(line)
            out.append(((found.group(1) or found.group(2)) if found else None, line))
    return out


async def _page(
    request: web.Request,
    *,
    yaml_text: str | None = None,
    problems: list[tuple[str | None, str]] | None = None,
    report: object = None,
    chart: object = None,
    status: int = 200,
) -> web.Response:
    access = await guild_access(request, "manage")
    service = ctx(request).moderation
    stored = await service.rules.overrides(access.guild_id)
    effective = await service.rules.rules_for(access.guild_id)
    return render(
        request,
        "rules.html",
        status=status,
        access=access,
        overrides=stored if yaml_text is None else yaml_text,
        rules=list(effective),
        changes=await service.rules.changes(access.guild_id, limit=50),
        problems=problems or [],
        report=report,
        chart=chart,
    )


async def show(request: web.Request) -> web.Response:
    return await _page(request)


async def submit(request: web.Request) -> web.Response:
    session = require_session(request)
    access = await guild_access(request, "manage")
    data = await form(request)
    text = data.get("overrides", "")
    text = text if isinstance(text, str) else ""
    if len(text) > MAX_YAML:
        return await _page(
            request,
            yaml_text=text[:MAX_YAML],
            problems=[(None, f"The overrides are longer than {MAX_YAML:,} characters.")],
            status=400,
        )
    reason = field(data, "reason", limit=500)
    service = ctx(request).moderation
    try:
        rules = service.rules.build(text)
    except InvalidRules as exc:
        return await _page(request, yaml_text=text, problems=problems_of(exc), status=400)
    if field(data, "action", limit=20) == "backtest":
        await rate_limit(request, "backtest", 6, 60)
        report = await service.backtest(access.guild_id, rules=rules)
        chart = hbars(
            sorted(report.by_rule.items(), key=lambda kv: -sum(kv[1].values()))[:25],
            [a for a in ACTION_ORDER if any(a in c for c in report.by_rule.values())],
            title="What each rule would have done",
        )
        return await _page(request, yaml_text=text, report=report, chart=chart)
    if not reason:
        return await _page(
            request,
            yaml_text=text,
            problems=[(None, "Say why you are changing the rules (the reason is logged).")],
            status=400,
        )
    with acting_from(ORIGIN):
        change = await service.set_rules(
            access.guild_id, text, actor_id=session.user_id, reason=reason
        )
    raise redirect(f"/g/{access.guild_id}/rules", f"Rules saved (change #{change.id}).")


async def mode(request: web.Request) -> web.Response:
    session = require_session(request)
    access = await guild_access(request, "manage")
    data = await form(request)
    with acting_from(ORIGIN):
        await ctx(request).moderation.set_rule_mode(
            access.guild_id,
            field(data, "rule", limit=100),
            field(data, "mode", limit=20),
            actor_id=session.user_id,
            reason=field(data, "reason", limit=500),
        )
    raise redirect(f"/g/{access.guild_id}/rules", "Rule mode changed.")


async def activity(request: web.Request) -> web.Response:
    access = await guild_access(request, "moderator")
    await rate_limit(request, "activity", 30, 60)
    act = await ctx(request).casebook.activity(access.guild_id, days=30)
    kinds = sorted({k for c in act.by_kind.values() for k in c})
    per_day = day_columns(act.days, act.by_kind, kinds, title="Actions per day")
    rule_rows = sorted(act.by_rule.items(), key=lambda kv: -sum(kv[1].values()))[:25]
    rule_kinds = sorted({k for _, c in rule_rows for k in c}, key=lambda k: (k == "shadow", k))
    per_rule = hbars(rule_rows, rule_kinds, title="Actions per rule (shadow beside enforced)")
    return render(
        request,
        "activity.html",
        access=access,
        per_day=per_day,
        per_rule=per_rule,
        rule_rows=rule_rows,
    )


async def default_pack(request: web.Request) -> web.Response:
    """The default rule pack as YAML (its own page: 60 KB the editor rarely needs)."""
    await guild_access(request, "manage")
    text = ctx(request).moderation.rules.base().to_yaml()
    return web.Response(text=text, content_type="text/plain", charset="utf-8")


def add_routes(router: web.UrlDispatcher) -> None:
    router.add_get("/g/{gid}/rules", show)
    router.add_get("/g/{gid}/rules/default.yaml", default_pack)
    router.add_post("/g/{gid}/rules", submit)
    router.add_post("/g/{gid}/rules/mode", mode)
    router.add_get("/g/{gid}/activity", activity)
