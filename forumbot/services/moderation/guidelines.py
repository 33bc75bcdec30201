"""The community guidelines as members read them: each guideline the rules cite, what it
covers (from the rules' own descriptions) and what happens to a comment that breaks it. Only
rules that act (enabled, enforce mode) count; shadow trials are not the community's rules."""

from __future__ import annotations

import re
from dataclasses import dataclass

from forumbot.domain.civility.rules import RuleSet
from forumbot.services.moderation.ladder import Level

_CONSEQUENCE = {
    Level.LOG: "noted for moderators",
    Level.NUDGE: "you may be asked to edit your comment",
    Level.HOLD: "the comment is held until a moderator reviews it",
    Level.REMOVE: "the comment is removed",
    Level.TIMEOUT: "the comment is removed and you are timed out",
}
# The first clause of a description: the rest often quotes the words the rule looks for.
_FIRST_CLAUSE = re.compile(r"^(.*?)(?:[.:;(]\s|\s\(|$)")


@dataclass(frozen=True, slots=True)
class Guideline:
    name: str
    covers: tuple[str, ...]
    consequence: str


def _clause(description: str) -> str:
    found = _FIRST_CLAUSE.match(" ".join(description.split()))
    return (found[1] if found else description).strip().rstrip(".,")


def guidelines(rules: RuleSet) -> list[Guideline]:
    """One entry per guideline, in the order the rules first cite them."""
    covers: dict[str, list[str]] = {}
    harshest: dict[str, Level] = {}
    for rule in rules.rules:
        if not rule.enabled or rule.mode != "enforce":
            continue
        name = rule.guideline.strip()
        covers.setdefault(name, [])
        level = Level.parse(rule.action)
        harshest[name] = max(harshest.get(name, Level.NONE), level)
        clause = _clause(rule.description or "")
        if clause and clause not in covers[name] and len(covers[name]) < 8:
            covers[name].append(clause)
    return [
        Guideline(name, tuple(items), _CONSEQUENCE.get(harshest[name], "noted for moderators"))
        for name, items in covers.items()
        if harshest[name] > Level.NONE
    ]
