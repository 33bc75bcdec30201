"""The dev examples (tests/unit/civility/dev/*.yaml): written to fit the rules while they were
changed, so they are a regression guard for the structures the rules model, never a measure of
generalisation (docs/rules.md has the first-seen and public figures)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from forumbot.domain.civility import Engine, RuleSet, load_default_rules
from forumbot.domain.civility.actions import Action
from forumbot.domain.civility.engine import MessageContext
from forumbot.domain.civility.evaluation import parse_items, score

DEV = sorted((Path(__file__).parent / "dev").glob("*.yaml"))


@pytest.fixture(scope="module")
def engine() -> Engine:
    return Engine(load_default_rules())


@pytest.mark.parametrize("path", DEV, ids=[p.stem for p in DEV])
def test_dev_examples_all_hold(engine: Engine, path: Path) -> None:
    items = parse_items(yaml.safe_load(path.read_text(encoding="utf-8")), source=path.name)
    report = score(engine, items)
    total = report.total
    assert total.uncivil >= 30 and total.civil >= 20
    assert total.recall == 1.0, report.to_dict(examples=20)
    assert total.alarms == 0, report.to_dict(examples=20)
    assert total.violations == 0, report.to_dict(examples=20)
    assert report.lean_gap() == 0.0


def _action(engine: Engine, text: str) -> Action:
    return engine.check(MessageContext(text=text), track=False).action


def test_group_rules_only_hold(engine: Engine) -> None:
    # a moderator judges group abuse, hatred and calls for violence: never removed on their own
    for text in ("immigrants are nothing but parasites", "death to all liberals",
                 "Communists ought to be hanged", "I absolutely despise trans people",
                 "gli immigrati sono feccia", "ik ga al die vluchtelingen vermoorden"):  # fmt: skip
        assert _action(engine, text) == Action.HOLD, text


def test_reporting_words_set_counter_speech_aside() -> None:
    rule = {"id": "g", "kind": "targeted_insult", "guideline": "be civil", "severity": 3,
            "action": "hold", "insults": ["vermin"], "targets": ["refugees"],
            "fillers": ["are"], "reporting": ["calling", "call"]}  # fmt: skip
    rules = RuleSet.from_dict({"rules": [rule]})
    engine = Engine(rules)
    assert _action(engine, "refugees are vermin") == Action.HOLD
    assert _action(engine, "calling refugees vermin is vile") == Action.NONE
    assert _action(engine, "stop it, refugees vermin call") == Action.NONE  # after the insult
    # without the field the same words are not set aside
    plain = Engine(RuleSet.from_dict({"rules": [dict(rule, reporting=[])]}))
    assert _action(plain, "calling refugees vermin is vile") == Action.HOLD


def test_a_negated_hatred_phrase_is_not_hatred(engine: Engine) -> None:
    assert _action(engine, "I hate immigrants") == Action.HOLD
    assert _action(engine, "I don't hate immigrants") == Action.NONE
    assert _action(engine, "no odio a los inmigrantes") == Action.NONE
    assert _action(engine, "odio a los inmigrantes") == Action.HOLD


def test_a_verb_of_giving_is_not_a_threat(engine: Engine) -> None:
    assert _action(engine, "I'll shoot him an email") == Action.NONE
    assert _action(engine, "I'll shoot him tomorrow") == Action.HOLD


def test_reported_profanity_is_not_hostile(engine: Engine) -> None:
    assert _action(engine, "she told me to fuck off") < Action.NUDGE
    assert _action(engine, "fuck off") >= Action.HOLD
