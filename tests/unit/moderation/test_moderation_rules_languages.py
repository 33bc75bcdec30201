"""Guild overrides for the issue-10 kinds and languages, through the rules service."""

from __future__ import annotations

import pytest

from forumbot.domain.civility import Action, Engine, MessageContext
from forumbot.services.moderation.errors import InvalidRules
from forumbot.services.moderation.rules import build_rules


def _action(overrides: str, text: str) -> Action:
    return Engine(build_rules(overrides)).check(MessageContext(text=text), track=False).action


def test_a_language_can_be_turned_off_or_shadowed_and_a_new_kind_disabled() -> None:
    threat = "Я тебя найду и убью."
    assert _action("", threat) is Action.TIMEOUT
    assert _action("languages:\n  ru: off\n", threat) is Action.NONE
    shadow = Engine(build_rules("languages:\n  ru: shadow\n")).check(
        MessageContext(text=threat), track=False
    )
    assert shadow.action is Action.NONE and "threats-ru" in [h.rule_id for h in shadow.shadow_hits]
    belittle = "Did you learn to read this year?"
    assert _action("", belittle) is Action.HOLD
    assert _action("rules:\n  - id: belittling\n    enabled: false\n", belittle) is Action.NONE


def test_bad_language_overrides_are_refused_with_a_reason() -> None:
    with pytest.raises(InvalidRules, match="unknown language"):
        build_rules("languages:\n  xx: off\n")
