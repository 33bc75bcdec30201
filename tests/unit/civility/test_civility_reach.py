"""Families and structures added after rounds 7 and 8 (issue 10): insults with the
target in other positions, menace by whereabouts, violent fates for "people like you",
belittling by schooling, reading, brains, age and childhood in the ten languages, evasion
with a digraph or a weapon between letters, elided articles, and quotation cues that discuss a
word. Sentences of our own, written to fit (a regression guard, not first-seen figures)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from forumbot.domain.civility import Action


@pytest.mark.parametrize(
    "text",
    [
        # an adjective the lists do not know, between the target and the insult
        "you are a preening little weasel",
        "honestly you're the most tiresome gobshite I have met",
        # "... is what you are" followed by more than the naming
        "Coward is what you are. End of story.",
        # an interjection between the insult and its target
        "what a clown lol, you",
        # a group insulted where the message is posted
        "all the tankie clowns in this thread cheering again",
        # an elided article glued to the insult
        "Encore une bande d'abrutis qui parle sans lire.",
        # menace by whereabouts and by what happens when the speaker arrives
        "I know which gym you go to on Tuesdays.",
        "Sag das nochmal und ich warte vor deiner Tür.",
        "Continua pure, so dove abiti.",
        "Wiem, gdzie mieszkasz, do zobaczenia.",
        # violent fates for the reader's kind
        "mensen zoals jij horen tegen de muur",
        "gente como você devia levar um tiro",
        # belittling families in other languages
        "Con esa ortografía normal que no te enteres de nada.",
        "Mit Hauptschulniveau diskutierst du über Geldpolitik?",
        "Wracaj do podstawówki, ty nic nie rozumiesz.",
        "Тебя в школе читать учили вообще?",
        "Quando sarai grande capirai, tesoro.",
    ],
)
def test_new_families_are_caught(action: Callable[[str], Action], text: str) -> None:
    assert action(text) >= Action.NUDGE, text


@pytest.mark.parametrize(
    "text",
    [
        "Your guinea pig study is fascinating.",
        "Du bist kein Lügner, das weiß ich.",
        "What you are saying is that rents should be capped.",
        "Calling someone an idiot in this thread breaks the rules.",
        "The article is garbage, but the comments are good.",
        "On peut discuter sans se traiter d'abrutis.",
        "See you at the rally on Saturday.",
        "Do you know which bus goes to the museum?",
        "My grandmother's memory is failing, so I read the article to her.",
        "Mijn vader heeft kanker aan de lever.",
        "Sì, Troia in Puglia è un bel paese.",
        "The word 'idiot' comes from the Greek for a private citizen; the etymology is lovely.",
        "In 1937 they were shot against a wall at the camp.",
        "The café on the corner has a pet snake.",
    ],
)
def test_neighbours_are_left_alone(action: Callable[[str], Action], text: str) -> None:
    assert action(text) < Action.NUDGE, text


@pytest.mark.parametrize(
    ("hidden", "plain"),
    [
        ("ty ch_u_j_u jeden", "ty chuju jeden"),
        ("I'll find you and s🔪t🔪a🔪b you", "I'll find you and stab you"),
    ],
)
def test_hidden_words_get_the_plain_action(
    action: Callable[[str], Action], hidden: str, plain: str
) -> None:
    assert action(plain) >= Action.HOLD
    assert action(hidden) == action(plain)


@pytest.mark.parametrize(
    "text",
    [
        "The author is a smug charlatan.",
        "Tu uns einen Gefallen und spring vom Dach.",
        "Somebody's just discovered Hayek, bless.",
        "Zoek een flat en spring van het dak.",
        "Frankly we'd all be better off if you died in a fire.",
    ],
)
def test_more_families_are_caught(action: Callable[[str], Action], text: str) -> None:
    assert action(text) >= Action.NUDGE, text


@pytest.mark.parametrize(
    "text",
    [
        "The author is right about the grain figures.",
        "Er ist 1999 von der Brücke in den Fluss gesprungen, zum Baden.",
        "My bike's pedals squeak again.",
    ],
)
def test_more_neighbours_are_left_alone(action: Callable[[str], Action], text: str) -> None:
    assert action(text) < Action.NUDGE, text


@pytest.mark.parametrize(
    ("hidden", "plain"),
    [
        # rules that read the raw text (addresses, workplaces) see it without its disguises
        ("Her address: 14 ||Wattle|| Grove, Brunswick 3056, go say hi", None),
        ("@someone w-o-r-k-s at the Tesco on Mill Road, pop in", None),
        ("@someone `works` at the Tesco on Mill Road, pop in", None),
        # a stretched word reads as the word the structures know
        ("Coward is whatttttt you are. End of story.", "Coward is what you are. End of story."),
        # a spelled-out word made of chat letters is still the word
        ("I hope someone breaks y-o-u-r jaw", "I hope someone breaks your jaw"),
        # letters of other scripts spelled out, or typed many times
        ("Ты н-и-ч-т-о-ж-е-с-т-в-о.", "Ты ничтожество."),
        ("иди повесьсяяяяя", "иди повесься"),
        # a spelled-out word keeps the comma that follows it
        (
            "P-o-b-r-e-c-i-t-o, a tu edad todavía crees eso.",
            "Pobrecito, a tu edad todavía crees eso.",
        ),
    ],
)
def test_disguises_never_soften(
    action: Callable[[str], Action], hidden: str, plain: str | None
) -> None:
    undisguised = plain if plain is not None else hidden.replace("||", "").replace("`", "")
    undisguised = undisguised.replace("w-o-r-k-s", "works")
    assert action(undisguised) >= Action.HOLD, undisguised
    assert action(hidden) == action(undisguised), hidden


def test_code_around_a_mention_still_quotes_it(action: Callable[[str], Action]) -> None:
    assert action("type `@everyone` only in an emergency") < Action.NUDGE


def test_repeated_emoji_are_still_a_flood(action: Callable[[str], Action]) -> None:
    assert action("🤡" * 120) >= Action.HOLD


@pytest.mark.parametrize(
    "text",
    [
        # a quote attributed by a colon is discussed, not said
        "Churchill in 1940: 'we shall fight them, we will kill them all.' Still quoted.",
        "Ich spring von der Bank und lauf los.",
        "Ik ga van de duikplank springen, kom je kijken?",
        "Спи и не просыпайся до обеда, ты заслужил.",
    ],
)
def test_attributions_and_everyday_jumps_are_left_alone(
    action: Callable[[str], Action], text: str
) -> None:
    assert action(text) < Action.REMOVE, text
    assert action(text) < Action.NUDGE, text


@pytest.mark.parametrize(
    "text",
    [
        "Nette Wohnung, wäre doch schade, wenn da was passiert.",
        "Tua figlia va al liceo Manzoni, giusto?",
        "Na twoim miejscu dawno bym się powiesił.",
        "The moderators in this thread better watch their backs.",
        "We have your full name now, Tom.",
    ],
)
def test_batch_ten_families_are_caught(action: Callable[[str], Action], text: str) -> None:
    assert action(text) >= Action.NUDGE, text


@pytest.mark.parametrize(
    "text",
    [
        "Sarebbe un peccato se la riforma non passasse.",
        "Mój syn chodzi do szkoły na Mokotowie.",
        "Po tym meczu bym się powiesił, taki był nudny.",
        "When the day comes that rents fall, I'll celebrate.",
    ],
)
def test_batch_ten_neighbours_are_left_alone(action: Callable[[str], Action], text: str) -> None:
    assert action(text) < Action.NUDGE, text


@pytest.mark.parametrize(
    "text",
    [
        "Hast du verschlafen? Der Bus ist weg.",
        "Did you sleep through the storm last night?",
        "I love that haircut on you.",
        "Mag je al stemmen bij de gemeenteraad als expat?",
        "Iyi uyudun mu?",
    ],
)
def test_belittling_families_leave_everyday_questions_alone(
    action: Callable[[str], Action], text: str
) -> None:
    assert action(text) < Action.NUDGE, text
