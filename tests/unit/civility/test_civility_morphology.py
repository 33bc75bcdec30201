"""Structures added with blind batches 11a/11b as training material (issue 10): swearing
held only when aimed, a word the writer says of himself or discusses, inflected and vocative
forms in Polish, Russian and Turkish, the reader in a pro-drop second-person verb, and the
belittling families across the ten languages. Sentences of our own, written to fit (a
regression guard, not first-seen figures)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from forumbot.domain.civility import Action


@pytest.mark.parametrize(
    "text",
    [
        # swearing aimed at the reader
        "ty chuju jebany, przeczytaj najpierw artykuł",
        "ты сука, опять переврал цитату",
        # vocatives and inflected forms
        "ty głąbie, to było w 1920",
        "co za kurwa z ciebie",
        "wypierdalaj stąd, ciapaku",
        "ulan ahmağın teki, bir daha okusana",
        "кремлебот обоссаный, иди отсюда",
        # the reader in a second-person future
        "Только появись на встрече — на своих ногах не уйдёшь",
        "Jeszcze to popamiętasz, Marek",
        # belittling families
        "Ganz allein drauf gekommen? Respekt.",
        "Сам додумался или подсказал кто?",
        "Maturę w chipsach znalazłeś?",
        "Vergeten je pillen te nemen, Joost?",
        "Ok nonno, torna a guardare i cantieri",
        "Mehr als zwei Absätze sind wohl zu viel für dich",
        "Skończ szkołę, potem pogadamy o podatkach",
        "С таким образованием лучше бы помолчал",
        "Za dużo ciot na tym forum",
        # the reader addressed by an imperative or a patronising vocative
        "Imagine being this confidently wrong about the Weimar Republic.",
        "Learn to read, sweetie.",
        # calling the reader a word is using it
        "I'll call you a retard if I want",
    ],
)
def test_aimed_and_inflected_forms_are_caught(action: Callable[[str], Action], text: str) -> None:
    assert action(text) >= Action.HOLD, text


@pytest.mark.parametrize(
    "text",
    [
        # swearing at things, and a dog
        "chuj z tym, znowu nie działa wyszukiwarka",
        "сука, опять свет отключили",
        "Наша сука родила щенков",
        "wat een tering weer vandaag",
        # the writer of himself, and counter-speech
        "Ich Depp habe den falschen Link gepostet",
        "ik ben echt een sukkel, verkeerde jaartal",
        "sono un cretino, ho sbagliato data",
        "Het is niet oké om iemand een mongool te noemen.",
        # ordinary words that inflected insults once caught
        "Moja ciotka mieszka w Łodzi",
        "De lampen flikkeren in de leeszaal",
        "Pass auf dich auf und schlaf dich aus",
        "Po operacji wrócił do domu na własnych nogach.",
        "La lucha de clases es tu contrato basura.",
        "Mit deinem Bildungsniveau findest du sicher eine gute Stelle.",
        "Mój syn skończył szkołę w czerwcu.",
        "Imagine being able to read the archive in the original Russian!",
        "Stay in school, kids, and read everything you can.",
        # the word discussed, not said to anyone
        "Why would you think it's okay to call me a retard?",
        "Please stop calling people retards, it hurts.",
        "The word faggot once meant a bundle of sticks.",
        "Vous traitez les réfugiés d'ordures, et vous parlez de valeurs ?",
    ],
)
def test_neighbours_of_the_new_forms_are_left_alone(
    action: Callable[[str], Action], text: str
) -> None:
    assert action(text) < Action.NUDGE, text
