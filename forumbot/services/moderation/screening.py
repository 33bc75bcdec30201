"""What moderation needs from a civility verdict, in our own terms.

The civility engine's Verdict is converted here once, so the rest of moderation does not depend
on the engine's exact shapes.
"""

from __future__ import annotations

from dataclasses import dataclass

from forumbot.domain.civility.engine import Engine, MessageContext, Verdict
from forumbot.domain.civility.engine import RuleHit as EngineHit
from forumbot.services.moderation.ladder import Level
from forumbot.services.moderation.types import MessageCopy


@dataclass(frozen=True, slots=True)
class RuleHit:
    rule: str
    level: Level
    guideline: str | None = None
    excerpt: str | None = None


@dataclass(frozen=True, slots=True)
class Screening:
    """The enforced outcome (harshest hit wins) and what shadow rules would have done."""

    level: Level = Level.NONE
    hits: tuple[RuleHit, ...] = ()
    shadow: tuple[RuleHit, ...] = ()
    guideline: str | None = None

    @property
    def top(self) -> RuleHit | None:
        """The hit that decided the level (first of the harshest)."""
        best = [h for h in self.hits if h.level == self.level]
        return best[0] if best else None

    @property
    def rule(self) -> str | None:
        top = self.top
        return top.rule if top else None

    @property
    def rule_ids(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(h.rule for h in self.hits))

    @classmethod
    def clean(cls) -> Screening:
        return cls()


# The engine's context kinds, by where our text came from.
_KIND_BY_SOURCE = {
    "message": "message",
    "edit": "edit",
    "title": "thread_title",
    "relay": "bot_output",
    # Imported reader comments are people's words: judged like comments, though the bot
    # posted them (so no member is scored or told).
    "imported": "message",
}


def context_for(copy: MessageCopy, *, mention_count: int = 0) -> MessageContext:
    return MessageContext(
        text=copy.content,
        author_id=str(copy.author_id or ""),
        channel_id=str(copy.thread_id or copy.channel_id),
        timestamp=(copy.edited_at or copy.created_at).timestamp(),
        kind=_KIND_BY_SOURCE.get(copy.source, "message"),  # type: ignore[arg-type]
        mention_count=mention_count,
    )


def _hit(hit: EngineHit) -> RuleHit:
    return RuleHit(hit.rule_id, Level.parse(hit.action), hit.guideline, hit.excerpt)


def to_screening(verdict: Verdict) -> Screening:
    return Screening(
        level=Level.parse(verdict.action),
        hits=tuple(_hit(h) for h in verdict.hits),
        shadow=tuple(_hit(h) for h in verdict.shadow_hits),
        guideline=verdict.guideline,
    )


def screen(engine: Engine, copy: MessageCopy, *, track: bool = True) -> Screening:
    """Run one message through a compiled rule set."""
    return to_screening(engine.check(context_for(copy), track=track))
