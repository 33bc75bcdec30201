"""Ambiguous words used without a target stay civil: place names, nationality
adjectives, verb homographs, comparatives, untargeted swearing and history told in the past."""

from __future__ import annotations

import pytest

from forumbot.domain.civility import Engine, load_default_rules
from forumbot.domain.civility.actions import Action
from forumbot.domain.civility.engine import MessageContext


@pytest.fixture(scope="module")
def engine() -> Engine:
    return Engine(load_default_rules())


def _action(engine: Engine, text: str) -> Action:
    return engine.check(MessageContext(text=text), track=False).action


@pytest.mark.parametrize(
    "text",
    [
        # the Umbrian village of Bastardo
        "Siamo passati a Bastardo ieri sera, bellissima piazza e ottimo vino.",
        # any capitalised word after a preposition of place, mid-sentence, is a place name
        "Il mercato di Bastardo apre alle sei, poi andiamo a Foligno.",
        # the nationality adjective and the verb "flikkeren" (to fling)
        "De Mongoolse steppe is in de winter bijna onbewoonbaar, lees het boek maar.",
        "Flikker het oude hout maar op de stapel achter de schuur.",
        # a comparative about no one
        "Mit dieser Reform stehen Sparer am Ende dümmer da als vorher.",
        # untargeted Turkish swearing about a law
        "Bu zam ne ya, amına koyayım, maaş yine yetmeyecek.",
        # history in the past tense and the third person
        # said of oneself, the subject a few words back
        "Ik was toen echt een enorme klootzak tegen mijn broer, dat geef ik toe.",
        "In 1871 the soldiers were ordered to line the prisoners up against a wall and shot them.",
        # the doubled letters come after the stem (Polish case endings, a Dutch derivation of
        # a country, Italian pasta): the de-doubled form must not stand in for a slur's prefix
        "Esej o kolonializmie w Nigrze i Nigerii jest świetny.",
        "Mijn buurman is Nigeriaan en kookt geweldig.",
        "Stasera fagottini alla ricotta, la nonna non si smentisce mai.",
    ],
)
def test_untargeted_ambiguous_words_stay_civil(engine: Engine, text: str) -> None:
    assert _action(engine, text) < Action.NUDGE


@pytest.mark.parametrize(
    "text",
    [
        "Sei proprio un bastardo, lo sanno tutti qui.",
        "Bastardo, ti ho detto di smetterla.",
        "Jij bent echt een mongool, weet je dat?",
        "Hou je bek, flikker.",
        "Du dummer Idiot, lies erst mal den Artikel.",
        "You'll be lined up against the wall and shot when the time comes.",
        # letters stretched inside the stem still count
        "niiigger",
        "you niggerrr",
        "shut up you fagggot",
        "you are an idiooot",
    ],
)
def test_the_same_words_aimed_at_someone_still_count(engine: Engine, text: str) -> None:
    assert _action(engine, text) >= Action.NUDGE


@pytest.mark.parametrize(
    "text",
    [
        "nog één keer zo'n reactie en je kan je tanden van de stoep rapen",
        "continua a scrivere così e vengo a trovarti, non è poi così grande la città",
        "@Joost jij bent een tyfustrut en dat weet iedereen",
    ],
)
def test_round_11_idioms_count(engine: Engine, text: str) -> None:
    assert _action(engine, text) >= Action.NUDGE
