"""Situations the rules misjudged (issue 10, civility6): each is caught in a wording of our own,
and its innocent neighbours are not. Written to fit the changes (a regression guard), not
first-seen figures: those come from the blind rounds in docs/rules.md."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from forumbot.domain.civility import Action


# a negation does not reach across a comma into a clause that opens with the target
@pytest.mark.parametrize(
    "text",
    [
        "nobody asked, you complete dumbass",
        "never mind, you absolute clown",
        "not this again, you utter moron",
    ],
)
def test_negation_stops_at_a_new_clause(action: Callable[[str], Action], text: str) -> None:
    assert action(text) >= Action.HOLD


@pytest.mark.parametrize(
    "text",
    [
        "I would never, ever call you an idiot",
        "I'm not calling you an idiot",
        "Nobody thinks you are a fool, for what it's worth",
    ],
)
def test_negation_still_covers_its_own_clause(action: Callable[[str], Action], text: str) -> None:
    assert action(text) < Action.NUDGE


# condescension families: caught in our own wordings, held (never removed)
@pytest.mark.parametrize(
    "text",
    [
        "Did you even finish high school, or just walk past it?",
        "Your reading level is about what I expected, to be fair.",
        "Want a juice box and some nap time, little buddy?",
        "You seem to struggle with words over two syllables.",
        "Your therapist must dread Mondays.",
        "Someone's parents didn't hug them enough, clearly.",
        "ok boomer, the grown-ups are talking now",
        "It must be exhausting being wrong this confidently every day.",
        "my ten year old nephew argues better than you",
        "Mods, can we get this guy a helmet?",
    ],
)
def test_condescension_is_held(action: Callable[[str], Action], text: str) -> None:
    assert action(text) == Action.HOLD


@pytest.mark.parametrize(
    "text",
    [
        "My son finished high school last year and starts an apprenticeship in May.",
        "Reading level tests in primary schools are a poor measure of anything.",
        "Watched an old film with my grandad; the lead actor's accent is dreadful, bless him.",
        "You can count on me to read the whole report before replying.",
        "If you cycle to the protest, please wear a helmet.",
        "That's sweet of you, thanks for the link.",
    ],
)
def test_condescension_neighbours_are_left_alone(
    action: Callable[[str], Action], text: str
) -> None:
    assert action(text) < Action.NUDGE


# threats by structure: someone else's violence wished on the reader, violent images aimed at
# the reader or the thread, self-harm imperatives with particles
@pytest.mark.parametrize(
    "text",
    [
        "I really hope somebody smashes your face in at the rally",
        "hope some guy breaks your legs on the way home",
        "I hope a stranger stabs you one of these days",
        "ojalá alguien te parta la cara",
        "Spero che qualcuno ti ammazzi di botte",
        "Hoffentlich überfährt dich mal ein Bus",
        "Mam nadzieję, że ktoś cię pobije",
        "every one of you in this channel will get a bullet when it kicks off",
        "people like you end up swinging from lampposts",
        "keep posting while you still have fingers",
        "nice car you have there, I'd check under your car before driving anywhere",
    ],
)
def test_threat_structures_are_held(action: Callable[[str], Action], text: str) -> None:
    assert action(text) >= Action.HOLD


@pytest.mark.parametrize(
    "text",
    [
        "Bring dich endlich mal um.",
        "Häng dich doch bitte auf.",
        "Maak jezelf toch gewoon van kant.",
        "If I were you, I'd kill myself.",
        "À ta place je me serais pendu depuis longtemps.",
        "Yo que tú me mataría.",
    ],
)
def test_self_harm_imperatives_are_removed(action: Callable[[str], Action], text: str) -> None:
    assert action(text) >= Action.REMOVE


@pytest.mark.parametrize(
    "text",
    [
        "I hope nobody hurts you at the march on Saturday.",
        "I hope someone breaks it to you gently.",
        "I hope this reform hits the landlords hardest.",
        "The dissidents were put against a wall and shot in 1937.",
        "You dodged a bullet by not buying that flat.",
        "Er hat sich damals umgebracht, das war eine Tragödie.",
        "If I were you, I'd ask the council first.",
        "Ich hoffe, jemand hilft dir mit dem Antrag.",
    ],
)
def test_threat_neighbours_are_left_alone(action: Callable[[str], Action], text: str) -> None:
    assert action(text) < Action.NUDGE


# insults: regional English words aimed at the reader, German with Austrian and Swiss forms,
# and German insults addressed with "du" through adjectives
@pytest.mark.parametrize(
    "text",
    [
        "you absolute gobshite",
        "Sit down, you gormless eejit.",
        "you're a proper wazzock mate",
        "Du Knalltüte hast keine Ahnung.",
        "So ein Wappler, echt.",
        "Du bist ein Tubel, weisch.",
        "Lies nochmal, du verlogener Heuchler.",
        "Du bist wirklich der größte Versager hier.",
        "Schalt mal dein Hirn ein, bevor du postest.",
        "Sinnerfassendes Lesen ist nicht so deins, oder?",
    ],
)
def test_insults_are_held(action: Callable[[str], Action], text: str) -> None:
    assert action(text) >= Action.HOLD


@pytest.mark.parametrize(
    "text",
    [
        "Rauchst du Pfeife oder Zigarren?",
        "Hast du Schwein gehabt bei der Prüfung!",
        "Bist du Kommunist oder Sozialdemokrat?",
        "Du bist kein Lügner, das weiß ich.",
        "Hast du deinen Koffer schon gepackt?",
        "Wurdest du Opfer eines Betrugs?",
        "Die Lesekompetenz der Schüler ist laut PISA gesunken.",
        "Git is a version control system you should learn.",
    ],
)
def test_insult_neighbours_are_left_alone(action: Callable[[str], Action], text: str) -> None:
    assert action(text) < Action.NUDGE


@pytest.mark.parametrize(
    "text",
    [
        "take the whole packet of pills and don't wake up",
        "go jump off the nearest bridge",
        "the world would be a better place without you",
        "do us all a favour and stop breathing",
    ],
)
def test_english_self_harm_incitement_is_removed(
    action: Callable[[str], Action], text: str
) -> None:
    assert action(text) >= Action.REMOVE


@pytest.mark.parametrize(
    "text",
    [
        "We used to jump off the bridge into the river as kids",
        "He took his pills and did not wake up until noon.",
        "The world would be better off without nuclear weapons.",
        "Buy a rope and some pegs before the camping trip.",
    ],
)
def test_self_harm_neighbours_are_left_alone(action: Callable[[str], Action], text: str) -> None:
    assert action(text) < Action.NUDGE


@pytest.mark.parametrize(
    "text",
    [
        "¿Te dejaron solo sin supervisión otra vez?",
        "Tu as eu ton diplôme dans une pochette surprise ?",
        "Hai imparato a leggere la settimana scorsa?",
        "Ty w ogóle umiesz czytać ze zrozumieniem?",
        "Тебя вообще читать научили?",
        "Je hebt vast twee hersencellen en die zijn ruzie aan het maken.",
    ],
)
def test_condescension_in_other_languages_is_held(
    action: Callable[[str], Action], text: str
) -> None:
    assert action(text) == Action.HOLD


@pytest.mark.parametrize(
    "text",
    [
        "Mon petit-fils commence l'école lundi, et toi ?",
        "Vai a giocare a calcetto stasera?",
        "Zit je dochter al in groep 5?",
        "Ты идёшь в столовую?",
    ],
)
def test_condescension_neighbours_in_other_languages_are_left_alone(
    action: Callable[[str], Action], text: str
) -> None:
    assert action(text) < Action.NUDGE


# a message that opens by filing the reader under a label and an insult
@pytest.mark.parametrize(
    "text",
    ["Typical centrist coward, no spine at all", "Another woke snowflake melting down"],
)
def test_labelled_insult_openers_are_held(action: Callable[[str], Action], text: str) -> None:
    assert action(text) >= Action.HOLD


@pytest.mark.parametrize(
    "text",
    [
        "Another fool's errand from the ministry.",
        "Typical politician's hypocrisy, but the bill itself is sound.",
        "The typical voter is no idiot, whatever the pundits say.",
    ],
)
def test_labelled_insult_neighbours_are_left_alone(
    action: Callable[[str], Action], text: str
) -> None:
    assert action(text) < Action.NUDGE


# the same self-harm families ordered in the other languages (removed), not their reports
@pytest.mark.parametrize(
    "text",
    [
        "Nimm halt die ganze Packung, dann ist Ruhe.",
        "Tómate todas las pastillas de una vez.",
        "Kup sobie sznur, serio.",
        "Coupe-toi les veines, franchement.",
        "Pleeg toch zelfmoord, niemand mist je.",
        "Самоубейся, всем будет легче.",
    ],
)
def test_self_harm_orders_in_other_languages_are_removed(
    action: Callable[[str], Action], text: str
) -> None:
    assert action(text) >= Action.REMOVE


@pytest.mark.parametrize(
    "text",
    [
        "Mi abuela se tomó todas las pastillas del tratamiento sin quejarse.",
        "Bütün ilaçları devlet karşılamalı.",
        "De trein bleef twee uur op het spoor liggen.",
        "Er hat im Krankenhaus alle Tabletten bekommen, die er brauchte.",
    ],
)
def test_self_harm_neighbours_in_other_languages_are_left_alone(
    action: Callable[[str], Action], text: str
) -> None:
    assert action(text) < Action.NUDGE
