"""Per-guild rules: the shipped rule pack plus the guild's stored overrides (YAML), validated
before they are saved, with every change audited (who, why, before and after)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any

import yaml
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from forumbot.domain.civility.rules import MODES, RuleSet, RuleSetError, load_default_rules
from forumbot.services.coordination.versions import GUILD_SCOPE, bump_version
from forumbot.services.moderation.errors import InvalidRules, NotFound
from forumbot.services.moderation.types import as_utc, utcnow
from forumbot.storage.models.moderation import ModRuleChange, ModRuleSet

MAX_OVERRIDES_CHARS = 20_000


@lru_cache(maxsize=1)
def default_rules() -> RuleSet:
    return load_default_rules()


def plain(value: Any) -> Any:
    """Tuples (as validated rules hold them) back to the lists rule files are made of."""
    if isinstance(value, tuple | list):
        return [plain(v) for v in value]
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    return value


def build_rules(overrides_yaml: str, base: RuleSet | None = None) -> RuleSet:
    """The effective rule set: the base pack with the overrides merged by rule id (fields
    replace fields, new ids add rules, `enabled: false` turns one off), validated as a whole.
    Raises InvalidRules listing every problem."""
    base = base if base is not None else default_rules()
    if len(overrides_yaml) > MAX_OVERRIDES_CHARS:
        raise InvalidRules(f"The overrides are longer than {MAX_OVERRIDES_CHARS:,} characters.")
    if not overrides_yaml.strip():
        return base
    try:
        return base.with_overrides(overrides_yaml)
    except RuleSetError as exc:
        raise InvalidRules(str(exc)) from None


def with_mode(overrides_yaml: str, rule_id: str, mode: str) -> str:
    """The overrides with `rule_id` switched to `mode` (adding an override entry if needed)."""
    data: Any = yaml.safe_load(overrides_yaml) if overrides_yaml.strip() else None
    if data is None:
        data = {"rules": []}
    elif isinstance(data, list):
        data = {"rules": data}
    if not isinstance(data, dict) or not isinstance(data.get("rules"), list):
        raise InvalidRules("The stored overrides have no 'rules:' list; fix them with /rules set.")
    for entry in data["rules"]:
        if isinstance(entry, dict) and entry.get("id") == rule_id:
            entry["mode"] = mode
            break
    else:
        data["rules"].append({"id": rule_id, "mode": mode})
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True)


@dataclass(frozen=True, slots=True)
class RuleChange:
    id: int
    guild_id: int
    actor_id: int | None
    change: str
    rule: str | None
    reason: str
    before_yaml: str
    after_yaml: str
    created_at: datetime


def _to_change(row: ModRuleChange) -> RuleChange:
    return RuleChange(
        id=row.id,
        guild_id=row.guild_id,
        actor_id=row.actor_id,
        change=row.change,
        rule=row.rule,
        reason=row.reason,
        before_yaml=row.before_yaml,
        after_yaml=row.after_yaml,
        created_at=as_utc(row.created_at) or utcnow(),
    )


class RuleBook:
    """Loads, caches, validates and stores each guild's rules."""

    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        base: Callable[[], RuleSet] = default_rules,
    ) -> None:
        self._sessionmaker = sessionmaker
        self._base = base
        self._cache: dict[int, RuleSet] = {}
        # Listeners (e.g. the engine cache) told when a guild's rules change.
        self.on_change: list[Callable[[int], None]] = []

    def base(self) -> RuleSet:
        """The rule pack overrides apply to."""
        return self._base()

    def build(self, overrides_yaml: str) -> RuleSet:
        """Validate proposed overrides against the pack (InvalidRules lists every problem)."""
        return build_rules(overrides_yaml, self._base())

    async def overrides(self, guild_id: int) -> str:
        async with self._sessionmaker() as session:
            row = await session.get(ModRuleSet, guild_id)
            return row.overrides_yaml if row else ""

    async def rules_for(self, guild_id: int) -> RuleSet:
        cached = self._cache.get(guild_id)
        if cached is not None:
            return cached
        text = await self.overrides(guild_id)
        try:
            rules = build_rules(text, self._base())
        except InvalidRules:
            # Stored overrides were valid when saved; if the base pack changed under them,
            # fall back to the pack rather than stop moderating.
            rules = self._base()
        self._cache[guild_id] = rules
        return rules

    async def rule(self, guild_id: int, rule_id: str) -> Any:
        rules = await self.rules_for(guild_id)
        found = rules.get(rule_id)
        if found is None:
            known = ", ".join(r.id for r in rules.rules[:20])
            raise NotFound(f"No rule {rule_id!r}. Known rules: {known}")
        return found

    def forget(self, guild_id: int) -> None:
        """Drop the cached rules of `guild_id` (another process changed them)."""
        self._invalidate(guild_id)

    def _invalidate(self, guild_id: int) -> None:
        self._cache.pop(guild_id, None)
        for listener in self.on_change:
            listener(guild_id)

    async def _store(
        self,
        session: AsyncSession,
        guild_id: int,
        *,
        text: str,
        actor_id: int | None,
        reason: str,
        change: str,
        rule: str | None,
    ) -> RuleChange:
        row = await session.get(ModRuleSet, guild_id)
        before = row.overrides_yaml if row else ""
        now = utcnow()
        if row is None:
            row = ModRuleSet(guild_id=guild_id, overrides_yaml=text, updated_at=now)
            session.add(row)
        row.overrides_yaml, row.updated_by, row.updated_at = text, actor_id, now
        audit = ModRuleChange(
            guild_id=guild_id,
            actor_id=actor_id,
            change=change,
            rule=rule,
            reason=reason,
            before_yaml=before,
            after_yaml=text,
            created_at=now,
        )
        session.add(audit)
        await bump_version(session, GUILD_SCOPE, guild_id)
        await session.flush()
        return _to_change(audit)

    @staticmethod
    def _reason(reason: str) -> str:
        reason = (reason or "").strip()
        if not reason:
            raise InvalidRules("Say why you are changing the rules (the reason is logged).")
        return reason[:500]

    async def _save(
        self,
        guild_id: int,
        new_text: Callable[[str], str],
        *,
        actor_id: int | None,
        reason: str,
        change: str,
        rule: str | None,
    ) -> RuleChange:
        """Store `new_text(current overrides)` after validating it, with an audit row."""
        async with self._sessionmaker() as session, session.begin():
            row = await session.get(ModRuleSet, guild_id)
            text = new_text(row.overrides_yaml if row else "")
            build_rules(text, self._base())  # raises InvalidRules with every problem listed
            result = await self._store(
                session,
                guild_id,
                text=text,
                actor_id=actor_id,
                reason=reason,
                change=change,
                rule=rule,
            )
        self._invalidate(guild_id)
        return result

    async def set_overrides(
        self, guild_id: int, text: str, *, actor_id: int | None, reason: str
    ) -> RuleChange:
        reason = self._reason(reason)
        return await self._save(
            guild_id, lambda _old: text, actor_id=actor_id, reason=reason, change="set", rule=None
        )

    async def set_mode(
        self, guild_id: int, rule_id: str, mode: str, *, actor_id: int | None, reason: str
    ) -> RuleChange:
        reason = self._reason(reason)
        if mode not in MODES:
            raise InvalidRules(f"Mode must be one of {', '.join(MODES)}.")
        await self.rule(guild_id, rule_id)
        return await self._save(
            guild_id,
            lambda old: with_mode(old, rule_id, mode),
            actor_id=actor_id,
            reason=reason,
            change="mode",
            rule=rule_id,
        )

    async def changes(self, guild_id: int, limit: int = 20) -> list[RuleChange]:
        async with self._sessionmaker() as session:
            stmt = (
                select(ModRuleChange)
                .where(ModRuleChange.guild_id == guild_id)
                .order_by(ModRuleChange.id.desc())
                .limit(limit)
            )
            return [_to_change(r) for r in (await session.scalars(stmt)).all()]
