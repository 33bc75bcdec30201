"""Situations the rules misjudged (issue 10, civility6): each is caught in a wording of our own,
and its innocent neighbours are not. Written to fit the changes (a regression guard), not
first-seen figures: those come from the blind rounds in docs/rules.md."""

from __future__ import annotations

import pytest

from forumbot.domain.civility import Action, Engine, MessageContext, load_default_rules


@pytest.fixture(scope="module")
def engine() -> Engine:
    # the rules alone: the learned signal is tested in test_civility_learned.py
    off = {"rules": [{"id": "learned-signal", "enabled": False}]}
    return Engine(load_default_rules().with_overrides(off))


def _action(engine: Engine, text: str) -> Action:
    return engine.check(MessageContext(text=text), track=False).action


# a negation does not reach across a comma into a clause that opens with the target
@pytest.mark.parametrize(
    "text",
    [
        "nobody asked, you complete dumbass",
        "never mind, you absolute clown",
        "not this again, you utter moron",
    ],
)
def test_negation_stops_at_a_new_clause(engine: Engine, text: str) -> None:
    assert _action(engine, text) >= Action.HOLD


@pytest.mark.parametrize(
    "text",
    [
        "I would never, ever call you an idiot",
        "I'm not calling you an idiot",
        "Nobody thinks you are a fool, for what it's worth",
    ],
)
def test_negation_still_covers_its_own_clause(engine: Engine, text: str) -> None:
    assert _action(engine, text) < Action.NUDGE
