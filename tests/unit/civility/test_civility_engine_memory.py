"""The engine's per-token caches are one per process, not one per guild's engine: a bot in many
guilds held a bounded cache per guild, filled with the same answers (the 50,000-comment soak over
two guilds, bench/README.md, kept growing after one cache would have been full)."""

from __future__ import annotations

import gc

from forumbot.domain.civility import engine as engine_module
from forumbot.domain.civility.engine import Engine, MessageContext, token_cache_entries
from forumbot.domain.civility.rules import load_default_rules

BANANAS = """
rules:
  - id: no-bananas
    kind: words
    guideline: be civil
    severity: 1
    action: log
    words: [qzbanana]
"""


def _check(engine: Engine, text: str) -> list[str]:
    return engine.check(MessageContext(text=text), track=False).rule_ids


def _fresh_words(tag: str, count: int = 40) -> str:
    # words no other test (nor the default lexicon) has looked up in this process
    return " ".join(f"qz{tag}word{n}x" for n in range(count))


def test_engines_with_the_same_rules_share_their_token_answers() -> None:
    rules = load_default_rules()
    first, second = Engine(rules), Engine(load_default_rules())
    text = _fresh_words("shared")
    _check(first, text)
    after_first = token_cache_entries()
    _check(second, text)
    assert token_cache_entries() == after_first  # the second guild's engine added nothing


def test_engines_with_other_rules_never_get_each_others_answers() -> None:
    default = Engine(load_default_rules())
    bananas = Engine(load_default_rules().with_overrides(BANANAS))
    # the default engine asks first, so a cache shared across rule sets would answer "no owner"
    assert "no-bananas" not in _check(default, "a qzbanana for you")
    assert "no-bananas" in _check(bananas, "a qzbanana for you")
    assert "no-bananas" not in _check(default, "another qzbanana")


def test_a_lexicon_outlives_its_first_engine_and_goes_with_the_last() -> None:
    overridden = load_default_rules().with_overrides(BANANAS.replace("qzbanana", "qzmango"))
    first, second = Engine(overridden), Engine(overridden)
    fingerprint = second._lex.fingerprint
    assert fingerprint in engine_module._LEXICONS
    del first
    gc.collect()
    # the equivalent lexicon still answers a word nobody looked up yet (no KeyError)
    assert "no-bananas" in _check(second, "qzmango again")
    del second
    gc.collect()
    assert fingerprint not in engine_module._LEXICONS
