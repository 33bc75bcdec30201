"""Civility rules: normalise -> match rules -> verdict. Pure code: no Discord, no database.

    rules = load_default_rules()            # or RuleSet.from_yaml(text) / RuleSet.from_dict(data)
    rules = rules.with_overrides(guild_yaml)
    engine = Engine(rules)                  # compile once, reuse
    verdict = engine.check(MessageContext(text="...", author_id="1", channel_id="2", timestamp=t))
    verdict.action, verdict.hits, verdict.shadow_hits, verdict.guideline

Rate and repetition rules keep per-member-per-thread history in a bounded, time-windowed LRU
(`RateTracker`) owned by the Engine; pass `Engine(rules, tracker=...)` to share or inspect one,
and `engine.check(ctx, track=False)` to leave it untouched (backtests).
"""

from forumbot.domain.civility.actions import Action
from forumbot.domain.civility.engine import Engine, MessageContext, RuleHit, Verdict
from forumbot.domain.civility.normalise import clean_text, normalise
from forumbot.domain.civility.rules import (
    MAX_PATTERN_LENGTH,
    MAX_PATTERNS,
    Rule,
    RuleSet,
    RuleSetError,
    load_default_rules,
)
from forumbot.domain.civility.tracker import RateTracker

__all__ = [
    "MAX_PATTERNS",
    "MAX_PATTERN_LENGTH",
    "Action",
    "Engine",
    "MessageContext",
    "RateTracker",
    "Rule",
    "RuleHit",
    "RuleSet",
    "RuleSetError",
    "Verdict",
    "clean_text",
    "load_default_rules",
    "normalise",
]
