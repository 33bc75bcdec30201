"""Rule files: validation with every problem listed, overrides, disabling, shadow mode, limits."""

from __future__ import annotations

import pytest

from forumbot.domain.civility import (
    MAX_PATTERN_LENGTH,
    MAX_PATTERNS,
    Action,
    Engine,
    MessageContext,
    RuleSet,
    RuleSetError,
    load_default_rules,
)


def _rule(**fields: object) -> dict[str, object]:
    base: dict[str, object] = {
        "id": "no-spam-word",
        "kind": "words",
        "guideline": "no spam",
        "severity": 1,
        "action": "remove",
        "words": ["buynow"],
    }
    base.update(fields)
    return base


def test_default_pack_loads_and_round_trips() -> None:
    rules = load_default_rules()
    assert len(rules) >= 15
    assert {r.kind for r in rules} >= {"words", "targeted_insult", "regex", "caps", "flood",
                                       "repeat", "rate", "mentions", "links"}  # fmt: skip
    again = RuleSet.from_yaml(rules.to_yaml())
    assert [r.to_dict() for r in again] == [r.to_dict() for r in rules]
    assert all(r.guideline for r in rules)


def test_every_problem_is_reported_with_rule_id_and_field() -> None:
    data = {
        "rules": [
            _rule(action="smite", severity=9),
            _rule(id="bad-mode", mode="sometimes", words="notalist"),
            {"id": "no-kind", "guideline": "x", "action": "log"},
            _rule(id="typo", wrods=["x"]),
            _rule(id="no-guideline", guideline=""),
            _rule(),  # duplicate id of the first one
            _rule(id="Bad Id!"),
        ]
    }
    with pytest.raises(RuleSetError) as info:
        RuleSet.from_dict(data)
    problems = info.value.problems
    text = str(info.value)
    expected = [
        "rule 'no-spam-word': field 'action': must be one of none, log, nudge, hold, remove, "
        "timeout, got 'smite'",
        "rule 'no-spam-word': field 'severity'",
        "rule 'bad-mode': field 'mode'",
        "rule 'bad-mode': field 'words': must be a list",
        "rule 'no-kind': field 'kind'",
        "rule 'typo': field 'wrods': is not a field of a 'words' rule",
        "rule 'no-guideline': field 'guideline': is required",
        "rule 'no-spam-word': field 'id': is used by more than one rule",
        "rule 'Bad Id!': field 'id'",
    ]
    for fragment in expected:
        assert any(fragment in p for p in problems), (fragment, problems)
        assert fragment in text
    assert len(problems) >= len(expected)


def test_yaml_syntax_errors_name_the_line() -> None:
    with pytest.raises(RuleSetError, match=r"YAML syntax error at line 3, column \d+"):
        RuleSet.from_yaml("rules:\n  - id: x\n  action: : log\n")


def test_top_level_shape_is_checked() -> None:
    with pytest.raises(RuleSetError, match="'rules:' list"):
        RuleSet.from_dict({"rulez": []})
    with pytest.raises(RuleSetError):
        RuleSet.from_yaml("just a string")


def test_regex_count_and_length_limits_and_re2_syntax() -> None:
    long_pattern = "a" * (MAX_PATTERN_LENGTH + 1)
    with pytest.raises(RuleSetError, match=f"the limit is {MAX_PATTERN_LENGTH}"):
        RuleSet.from_dict([_rule(kind="regex", words=None, patterns=[long_pattern])])
    too_many = [
        {k: v for k, v in _rule(id=f"r{i}", kind="regex", patterns=["x"]).items() if k != "words"}
        for i in range(MAX_PATTERNS + 1)
    ]
    with pytest.raises(RuleSetError, match=f"limit is {MAX_PATTERNS} per rule set"):
        RuleSet.from_dict(too_many)
    ok = RuleSet.from_dict(too_many[:MAX_PATTERNS])
    assert len(ok) == MAX_PATTERNS
    # Back-references and look-arounds are not RE2: refused at load time, not at match time.
    for bad in (r"(a)\1", r"foo(?=bar)", "(unclosed"):
        with pytest.raises(RuleSetError, match="not valid RE2"):
            RuleSet.from_dict([{"id": "r", "kind": "regex", "guideline": "g", "action": "log",
                                "patterns": [bad]}])  # fmt: skip


def test_pathological_pattern_stays_linear() -> None:
    rules = RuleSet.from_dict(
        [
            {
                "id": "redos",
                "kind": "regex",
                "guideline": "g",
                "action": "log",
                "target": "raw",
                "patterns": ["(a+)+$", "(x+x+)+y", "(a|aa)+b"],
            }
        ]
    )
    engine = Engine(rules)
    # With a backtracking engine these inputs take minutes; with RE2 they finish at once.
    # (Functional check: the pytest timeout would fail a hang.)
    for text in ("a" * 50_000 + "!", "x" * 50_000, "a" * 50_000):
        verdict = engine.check(MessageContext(text=text), track=False)
        assert verdict.rule_ids in ([], ["redos"])
    assert engine.check(MessageContext(text="aaaa"), track=False).rule_ids == ["redos"]


def test_overrides_change_fields_disable_and_add() -> None:
    base = load_default_rules()
    merged = base.with_overrides(
        """
rules:
  - id: personal-insults
    action: nudge
  - id: shouting
    enabled: false
  - id: no-bananas
    kind: words
    guideline: be civil
    severity: 1
    action: log
    words: [banana]
"""
    )
    assert merged.get("personal-insults").action is Action.NUDGE  # type: ignore[union-attr]
    assert merged.get("shouting").enabled is False  # type: ignore[union-attr]
    assert "no-bananas" in merged and len(merged) == len(base) + 1
    # untouched fields survive the merge
    assert merged.get("personal-insults").params == base.get("personal-insults").params  # type: ignore[union-attr]
    engine = Engine(merged)
    check = lambda t: engine.check(MessageContext(text=t), track=False)  # noqa: E731
    assert check("you are an idiot").action is Action.NUDGE
    assert check("WHY DOES NOBODY EVER ANSWER THE QUESTION I ASKED").action is Action.NONE
    assert check("a banana").rule_ids == ["no-bananas"]
    # the base set is immutable
    assert base.get("shouting").enabled is True  # type: ignore[union-attr]


def test_invalid_overrides_are_reported() -> None:
    base = load_default_rules()
    with pytest.raises(RuleSetError, match="rule 'shouting': field 'ratio'"):
        base.with_overrides({"rules": [{"id": "shouting", "ratio": 3}]})
    with pytest.raises(RuleSetError, match="cannot change the kind"):
        base.with_overrides([{"id": "shouting", "kind": "words"}])
    with pytest.raises(RuleSetError, match="needs the 'id'"):
        base.with_overrides([{"action": "log"}])
    with pytest.raises(RuleSetError, match="rule 'brand-new': field 'kind'"):
        base.with_overrides([{"id": "brand-new", "action": "log"}])


def test_shadow_mode_never_changes_the_action() -> None:
    enforce = RuleSet.from_dict([_rule(action="timeout")])
    shadow = enforce.with_overrides([{"id": "no-spam-word", "mode": "shadow"}])
    msg = MessageContext(text="BUYNOW cheap watches")
    hard = Engine(enforce).check(msg, track=False)
    soft = Engine(shadow).check(msg, track=False)
    assert hard.action is Action.TIMEOUT and hard.rule_ids == ["no-spam-word"]
    assert soft.action is Action.NONE and soft.hits == [] and soft.guideline is None
    assert [h.rule_id for h in soft.shadow_hits] == ["no-spam-word"]
    assert soft.shadow_hits[0].action is Action.TIMEOUT and soft.shadow_hits[0].mode == "shadow"


def test_default_shadow_rule_reports_without_acting() -> None:
    verdict = Engine(load_default_rules()).check(
        MessageContext(text="cope and seethe"), track=False
    )
    assert verdict.action is Action.NONE
    assert [h.rule_id for h in verdict.shadow_hits] == ["rude-dismissals"]


def test_harshest_enforced_hit_wins_and_names_its_guideline() -> None:
    rules = RuleSet.from_dict(
        [
            _rule(id="a", action="log", guideline="be civil", words=["spam"]),
            _rule(id="b", action="hold", guideline="no spam", words=["eggs"]),
            _rule(id="c", action="timeout", guideline="no threats", words=["bacon"], mode="shadow"),
        ]
    )
    verdict = Engine(rules).check(MessageContext(text="spam eggs bacon"), track=False)
    assert verdict.action is Action.HOLD
    assert verdict.rule_ids == ["b", "a"]
    assert verdict.guideline == "no spam"
    assert Action.NONE < Action.LOG < Action.NUDGE < Action.HOLD < Action.REMOVE < Action.TIMEOUT


def test_allow_list_and_whole_words() -> None:
    rules = RuleSet.from_dict([_rule(words=["ass", "cock", "cum*"], allow=["cumulative"])])
    engine = Engine(rules)
    for innocent in ("classic assess", "cocktail hour", "cumulative figures", "Scunthorpe"):
        assert engine.check(MessageContext(text=innocent), track=False).action is Action.NONE
    assert engine.check(MessageContext(text="cumming"), track=False).action is Action.REMOVE
    assert engine.check(MessageContext(text="a55"), track=False).action is Action.REMOVE


def test_a_guild_can_add_fifty_regex_patterns_to_the_shipped_pack() -> None:
    pack = load_default_rules()
    mine = [
        {
            "id": f"mine-{i}",
            "kind": "regex",
            "guideline": "civility",
            "severity": 1,
            "action": "hold",
            "patterns": [f"zz{i}q"],
        }
        for i in range(50)
    ]
    merged = pack.with_overrides({"rules": mine})
    assert len(merged) == len(pack) + 50
