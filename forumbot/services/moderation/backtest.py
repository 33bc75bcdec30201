"""Backtest: run a rule, or a whole rule set, over the archive's passages, its reader comments
and the comments recorded in article threads, and report what it would have done.

Every rule runs as if enforced (a shadow rule is exactly the one you want to try), and the
engine's rate tracker is left alone (`track=False`), so replaying history has no side effects.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from forumbot.domain.civility.engine import Engine
from forumbot.domain.civility.rules import RuleSet
from forumbot.services.moderation.errors import NotFound
from forumbot.services.moderation.ladder import Level
from forumbot.services.moderation.notices import excerpt
from forumbot.services.moderation.screening import screen
from forumbot.services.moderation.types import MessageCopy
from forumbot.storage.libraries import library_scope
from forumbot.storage.models.archive import Article, Comment, Passage
from forumbot.storage.models.moderation import ModSeenMessage

EXAMPLES_PER_RULE = 3
_EPOCH = datetime(2000, 1, 1, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class BacktestExample:
    where: str  # "passage: <title> ¶12", "comment: <title> #2", "thread 123 message 456"
    rule: str
    action: str
    text: str
    match: str | None


@dataclass
class BacktestReport:
    rules: list[str]
    total: int = 0
    by_source: Counter[str] = field(default_factory=Counter)
    by_action: Counter[str] = field(default_factory=Counter)
    by_rule: dict[str, Counter[str]] = field(default_factory=dict)
    examples: list[BacktestExample] = field(default_factory=list)

    @property
    def flagged(self) -> int:
        return sum(n for action, n in self.by_action.items() if action != "none")

    def lines(self) -> list[str]:
        """'would hold 3 of 1,240' per action, harshest first."""
        if not self.flagged:
            return [f"would do nothing to any of {self.total:,} texts"]
        order = sorted(self.by_action, key=lambda a: Level.parse(a), reverse=True)
        return [
            f"would {action} {self.by_action[action]:,} of {self.total:,}"
            for action in order
            if action != "none"
        ]

    def to_json(self) -> dict[str, Any]:
        return {
            "rules": self.rules,
            "total": self.total,
            "flagged": self.flagged,
            "by_source": dict(self.by_source),
            "by_action": {k: v for k, v in self.by_action.items() if k != "none"},
            "by_rule": {rule: dict(counts) for rule, counts in self.by_rule.items()},
            "summary": self.lines(),
            "examples": [dataclasses.asdict(e) for e in self.examples],
        }


def enforce_all(rules: RuleSet, rule_id: str | None = None) -> RuleSet:
    """The rule set (or one rule of it) with every rule in enforce mode."""
    chosen = [r for r in rules.active if rule_id is None or r.id == rule_id]
    if rule_id is not None and not chosen:
        found = rules.get(rule_id)
        if found is None:
            raise NotFound(f"No rule {rule_id!r} in this rule set.")
        chosen = [found]  # a disabled rule can still be tried
    return RuleSet(dataclasses.replace(r, mode="enforce", enabled=True) for r in chosen)


async def _corpus(
    session: AsyncSession, guild_id: int | None
) -> AsyncIterator[tuple[str, str, MessageCopy]]:
    """(source, where, text as a message) for every passage, comment and recorded comment:
    the passages and comments of the articles the guild sees (no guild: the shared library)."""
    scope = await library_scope(session, guild_id)
    visible = Article.library_id.in_(scope.visible or ())
    titles = dict(
        (await session.execute(select(Article.id, Article.title).where(visible))).tuples().all()
    )

    def copy(text: str, source: str, author: str = "archive") -> MessageCopy:
        return MessageCopy(
            guild_id=guild_id or 0,
            channel_id=0,
            message_id=None,
            author_id=None,
            author_name=author,
            content=text,
            created_at=_EPOCH,
            source=source,
        )

    passages = await session.stream(
        select(Passage.article_id, Passage.number, Passage.text)
        .join(Article, Article.id == Passage.article_id)
        .where(visible)
        .order_by(Passage.article_id, Passage.number)
    )
    async for article_id, number, text in passages:
        where = f"passage: {excerpt(titles.get(article_id, '?'), 60)} ¶{number}"
        yield "passage", where, copy(text, "relay")
    comments = await session.stream(
        select(Comment.article_id, Comment.position, Comment.author, Comment.text)
        .join(Article, Article.id == Comment.article_id)
        .where(visible)
        .order_by(Comment.article_id, Comment.position)
    )
    async for article_id, position, author, text in comments:
        where = f"comment: {excerpt(titles.get(article_id, '?'), 60)} #{position}"
        yield "comment", where, copy(text, "imported", author or "reader")
    seen = select(ModSeenMessage).order_by(ModSeenMessage.id)
    if guild_id is not None:
        seen = seen.where(ModSeenMessage.guild_id == guild_id)
    async for row in await session.stream_scalars(seen):
        if row.source in ("relay", "imported"):
            continue  # already counted as passages and archive comments
        where = f"thread {row.thread_id} message {row.message_id} ({row.source})"
        yield "recorded", where, copy(row.content, row.source, row.author_name or "member")


async def backtest(
    sessionmaker: async_sessionmaker[AsyncSession],
    rules: RuleSet,
    *,
    rule_id: str | None = None,
    guild_id: int | None = None,
    examples_per_rule: int = EXAMPLES_PER_RULE,
) -> BacktestReport:
    trial = enforce_all(rules, rule_id)
    engine = Engine(trial)
    report = BacktestReport(rules=[r.id for r in trial.rules])
    async with sessionmaker() as session:
        async for source, where, message in _corpus(session, guild_id):
            result = screen(engine, message, track=False)
            report.total += 1
            report.by_source[source] += 1
            action = result.level.name.lower()
            report.by_action[action] += 1
            for hit in result.hits:
                counts = report.by_rule.setdefault(hit.rule, Counter())
                counts[hit.level.name.lower()] += 1
                if counts.total() <= examples_per_rule:
                    report.examples.append(
                        BacktestExample(
                            where,
                            hit.rule,
                            hit.level.name.lower(),
                            excerpt(message.content, 200),
                            hit.excerpt,
                        )
                    )
    return report
