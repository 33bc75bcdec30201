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
    off = "rules:\n  - id: belittling\n    enabled: false\n"
    verdict = Engine(build_rules(off)).check(MessageContext(text=belittle), track=False)
    assert "belittling" not in verdict.rule_ids + [h.rule_id for h in verdict.shadow_hits]
    # the learned signal is a rule of its own (it has seen this very sentence in training)
    both = off + "  - id: learned-signal\n    enabled: false\n"
    assert _action(both, belittle) is Action.NONE
    # and a language switched off is off for the learned signal too
    russian = "Детей своих береги, мало ли что бывает."  # only the learned signal holds it
    assert _action("", russian) is Action.HOLD
    assert _action("languages:\n  ru: off\n", russian) is Action.NONE
    verdict = Engine(build_rules("languages:\n  ru: shadow\n")).check(
        MessageContext(text=russian), track=False
    )
    assert verdict.action is Action.NONE
    assert [h.rule_id for h in verdict.shadow_hits] == ["learned-signal"]


def test_bad_language_overrides_are_refused_with_a_reason() -> None:
    with pytest.raises(InvalidRules, match="unknown language"):
        build_rules("languages:\n  xx: off\n")


def test_a_rule_for_several_languages_follows_the_switch_of_the_message_language() -> None:
    text = "Häng dich doch auf."  # self-harm-other-languages covers nine languages
    assert _action("", text) is Action.REMOVE
    assert _action("languages:\n  pl: off\n", text) is Action.REMOVE
    assert _action("languages:\n  de: off\n", text) is Action.NONE
    verdict = Engine(build_rules("languages:\n  de: shadow\n")).check(
        MessageContext(text=text), track=False
    )
    assert verdict.action is Action.NONE
    assert "self-harm-other-languages" in [h.rule_id for h in verdict.shadow_hits]
