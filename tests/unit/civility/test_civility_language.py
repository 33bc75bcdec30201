"""The cheap language guess and rules that apply to one language only."""

from __future__ import annotations

import pytest

from forumbot.domain.civility import Action, Engine, MessageContext, RuleSet, RuleSetError
from forumbot.domain.civility.language import LanguageGuesser
from forumbot.domain.civility.normalise import normalise


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("I think the treaty was a mistake", "en"),
        ("Creo que el tratado fue un error y no lo entiendes", "es"),
        ("Eu acho que você não leu o artigo", "pt"),
        ("Je pense que tu n'as pas lu l'article", "fr"),
        ("Ich glaube, du hast den Artikel nicht gelesen", "de"),
        ("Penso che tu non abbia letto questo articolo", "it"),
        ("Ik denk dat jij het artikel niet hebt gelezen", "nl"),
        ("Myślę, że nie przeczytałeś tego artykułu", "pl"),
        ("Я думаю, что ты не читал статью", "ru"),
        ("Bence sen bu makaleyi okumadın", "tr"),
        ("", "en"),
        ("1937", "en"),
    ],
)
def test_guess(text: str, lang: str) -> None:
    guess = LanguageGuesser().guess(text, normalise(text).split())
    assert lang in guess


def test_cyrillic_look_alikes_in_an_english_word_are_not_russian() -> None:
    text = "you are an іdіоt"  # Cyrillic і and о
    assert LanguageGuesser().guess(text, normalise(text).split()) == {"en"}


def test_rule_words_vote_for_their_language() -> None:
    guesser = LanguageGuesser({"es": ["pendejo"]})
    assert "es" in guesser.guess("pendejo!!", ["pendejo"])


_PACK = {
    "rules": [
        {"id": "insults-es", "kind": "targeted_insult", "guideline": "no personal attacks",
         "severity": 3, "action": "hold", "languages": ["es"], "insults": ["con", "idiota"],
         "targets": ["eres", "tu"], "fillers": ["un", "una"]},
        {"id": "words-fr", "kind": "words", "guideline": "be civil", "severity": 3,
         "action": "hold", "languages": ["fr"], "words": ["con"]},
    ]
}  # fmt: skip


def test_language_rules_fire_only_on_their_language() -> None:
    engine = Engine(RuleSet.from_dict(_PACK))
    es = engine.check(MessageContext(text="eres un idiota"), track=False)
    assert es.action is Action.HOLD and es.rule_ids == ["insults-es"]
    # "con" is "with" in Spanish: the French rule stays quiet on a Spanish message
    with_ = engine.check(MessageContext(text="Voy con mis amigos a la playa"), track=False)
    assert with_.action is Action.NONE
    fr = engine.check(MessageContext(text="t'es qu'un con et tu le sais"), track=False)
    assert fr.rule_ids == ["words-fr"]


def test_language_modes_switch_a_language_off_or_to_shadow() -> None:
    base = RuleSet.from_dict(_PACK)
    off = base.with_overrides({"languages": {"es": False}})  # YAML's bare `off`
    assert "insults-es" not in [r.id for r in off.active]
    shadow = base.with_overrides("languages:\n  es: shadow\n")
    verdict = Engine(shadow).check(MessageContext(text="eres un idiota"), track=False)
    assert verdict.action is Action.NONE and [h.rule_id for h in verdict.shadow_hits] == [
        "insults-es"
    ]
    assert shadow.to_dict()["languages"] == {"es": "shadow"}
    with pytest.raises(RuleSetError, match="unknown language 'xx'"):
        base.with_overrides({"languages": {"xx": "off"}})
    with pytest.raises(RuleSetError, match="must be enforce, shadow or off"):
        base.with_overrides({"languages": {"es": "loud"}})
    with pytest.raises(RuleSetError, match="field 'languages'"):
        RuleSet.from_dict({"rules": [{**_PACK["rules"][0], "languages": ["klingon"]}]})
