"""Belittling, menace, doxxing, slur and self-harm families in the pack's languages (issue 10,
civility4): each family is caught in a wording of our own, and its innocent neighbours are not.
These sentences are written to fit (a regression guard), not first-seen figures."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from forumbot.domain.civility import Action


@pytest.mark.parametrize(
    "text",
    [
        "Look at him, learned the word 'hegemony' this morning, someone get him a sticker",
        "okay grandpa, time for your nap",
        "Sounds like somebody forgot his meds again.",
        "Ay, alguien aprendió la palabra 'plusvalía' esta semana.",
        "Quand tu auras l'âge de voter, on en reparlera.",
        "Твоя учительница бы заплакала, деточка.",
        "Ich weiß, wo du wohnst. Wir sehen uns am Parkplatz.",
        "Ta fille va à l'école Jules Ferry, non ? Ce serait dommage.",
        "Wiem, gdzie pracujesz, uważaj jak będziesz wracał.",
        "Er wohnt in der Lindenstraße 12, klingelt ruhig mal.",
        "Il suo numero è 347 123 4567, chiamate pure.",
        "Her car, plate KX21 ABC, is parked outside every night.",
        "Lavora alla banca di via Garibaldi, andate a trovarlo.",
    ],
)
def test_a_family_member_is_caught(action: Callable[[str], Action], text: str) -> None:
    assert action(text) >= Action.HOLD, text


@pytest.mark.parametrize(
    "text",
    [
        "I learned a lot from the word count of that treaty.",
        "Registration for 2024 closes on Monday.",
        "The plate tectonics lecture is on Thursday.",
        "Het KWF haalt geld op voor kankeronderzoek.",
        "Złamałem pedał w rowerze po drodze na wiec.",
        "Porca puttana, il treno è di nuovo in ritardo.",
        "The union office is at 12 Rue des Martyrs, open on Saturdays.",
        "Das Dorf heißt heute Fugging.",
        "Nos vemos mañana en la asamblea.",
        # the writer's own family at work is not a third person's workplace
        "Mein Bruder arbeitet bei einer Klinik in Köln und sagt, es fehlt Personal.",
        "Mi hermana trabaja en un hospital público y está agotada.",
        # a capitalised word opening a sentence is not a name, and "é a" is no workplace
        "Quem trabalha é a enfermeira do turno da noite, não o acionista.",
        # peoples, bundles of wood and rags are not insults
        "Les Mongols ont pris Pékin en 1215.",
        "On brûlait des fagots de genêt dans la cheminée.",
        "Dziadek czyścił buty starą szmatą.",
    ],
)
def test_its_innocent_neighbours_are_not(action: Callable[[str], Action], text: str) -> None:
    assert action(text) < Action.NUDGE, text


def test_belittling_stays_a_hold_and_doxxing_removes(action: Callable[[str], Action]) -> None:
    assert action("ok grandpa, let's get you back to bed") is Action.HOLD
    assert action("Sie wohnt in der Kastanienallee 17, zweiter Stock.") is Action.REMOVE


@pytest.mark.parametrize(
    "text",
    [
        "O Rui trabalha na farmácia da esquina, vão lá dizer-lhe o que pensam.",
        "Marco lavora alla farmacia di via Roma, andate a trovarlo.",
        "Piotr pracuje w urzędzie skarbowym na Mokotowie, odwiedźcie go.",
        "Julien travaille chez Renault à Flins, allez lui dire bonjour.",
        # a workplace with what finds the person there: a street, a shift
        "Aisha works nights at the Tesco Extra on Cowley Road. just fyi",
        "Hij werkt bij de Albert Heijn aan de Vaartweg, vrijdagavond staat ie achter de kassa.",
    ],
)
def test_a_named_persons_workplace_is_removed(action: Callable[[str], Action], text: str) -> None:
    # each verb takes its own language's prepositions
    assert action(text) is Action.REMOVE, text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # a workplace alone: the same words tell of a public figure or a friend; a moderator
        # decides
        ("Chomsky teaches at MIT, so he should know better.", Action.HOLD),
        ("She works at Biedronka and likes it.", Action.HOLD),
        ("Marta pracuje w Biedronce i bardzo to lubi.", Action.HOLD),
        ("Lei insegna al liceo, e le piace.", Action.HOLD),
        # the writer's own family at work
        ("My brother works at Siemens and says the layoffs are coming.", Action.NONE),
        ("my cousin studies at Oxford", Action.NONE),
        ("Mi hermana trabaja en un hospital, turno de noche, y está agotada.", Action.NONE),
        ("Meine Schwester arbeitet im Klinikum, Schicht bis zehn.", Action.NONE),
    ],
)
def test_a_workplace_alone_is_never_removed(
    action: Callable[[str], Action], text: str, expected: Action
) -> None:
    assert action(text) is expected, text
