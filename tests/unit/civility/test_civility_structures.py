"""Structures added with round 10 as training material (issue 10): a home without books,
the school that did not take, a doctor first, the slow explanation, the reader as a child or an
old man, the face or avatar as the reason for an opinion; Russian and Turkish insult stems with
their endings and transliterations; self-harm and menace wordings the lists lacked. Sentences of
our own, written to fit the families (a regression guard, not first-seen figures)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from forumbot.domain.civility import Action


@pytest.mark.parametrize(
    "text",
    [
        # upbringing and school
        "По тебе сразу видно, что книжек в руках не держал",
        "Belli ki evde hiç kitap yoktu, kimse kitap okumuyordu",
        "Widać, że w domu bez książek dorastałeś",
        "Hangi köyde büyüdün sen böyle?",
        "Did they not teach geography at your school?",
        "Si vede che alle elementari c'eri poco",
        # a doctor first, the slow explanation, a child sent to homework
        "Сначала к врачу сходи, потом про экономику поговорим",
        "Önce bir doktora görün, sonra tartışırız",
        "Najpierw wizyta u psychiatry, potem pisz",
        "Объясню медленно, чтобы ты понял",
        "Sana yavaş yavaş anlatayım o zaman",
        "Wytłumaczę ci jeszcze raz, może załapiesz",
        "Иди уроки делай, тут взрослые разговаривают",
        "Idi uroki delay, malchik",
        # empty head, one brain cell, the avatar
        "Kafanın içi bomboş, belli",
        "Your one brain cell must be exhausted",
        "С таким лицом на аватарке ты ещё и про красоту рассуждаешь?",
        "Met zo een profielfoto zou jij beter zwijgen",
        # deficits with a second-person possessive or verb of their own
        "Tu única neurona ya no da para más",
        "Man merkt, dass du in deinem Dorf die hellste Kerze warst",
        "Когда научишься читать, тогда и поговорим",
        "Ktoś przeczytał jeden artykuł i już ekspert",
        "Ben je als baby op je hoofd gevallen of zo?",
        "Você caiu do berço quando era pequeno, né?",
        # Russian and Turkish stems, transliterated Russian
        "ну ты и балбес",
        "ty tupoy, idi nahuy",
        "Sen tam bir cahilsin",
        # self-harm and menace
        "vyidi v okno uzhe",
        "Выпей яду и не мучай людей",
        "Najlepiej jakbyś się zabił, serio",
        "ya tebya naydu, ne somnevaysya",
        "Bu kanaldakileri tek tek bulacağız",
        "Szkoda by było, gdyby coś im się stało",
        "Post that again and I will find you, it's not hard with that username",
        "Carry on. Accidents happen to people who talk too much.",
        # who someone really is (doxxing)
        "The troll is actually Mark Dawson from Leeds",
    ],
)
def test_structures_are_caught(action: Callable[[str], Action], text: str) -> None:
    assert action(text) >= Action.HOLD, text


@pytest.mark.parametrize(
    "text",
    [
        # sincere questions and advice, the writer of himself
        "Hangi okulda okudun? Ben de ODTÜ mezunuyum.",
        "Сходи к врачу, если температура не спадёт",
        "My doctor told me to rest first, then exercise.",
        "my one brain cell is tired today",
        "Mam dwie szare komórki i obie śpią",
        "Mein Kopf ist heute so leer.",
        "Я сам тот ещё балбес, перепутал даты",
        "I was raised by wolves, apparently, according to my gran",
        "Ich habe Geschichte in der Schule abgewählt und bereue es.",
        "Mijn zoon zit in het vierde leerjaar.",
        "I read one article and now I'm worried about microplastics",
        "Я прочитал одну статью об этом, интересно",
        "Mi sembri confusa, vuoi che ti rimandi il link?",
        "Je suis tombé sur la tête ce matin en skiant",
        # a political claim with the bare word, a kind face
        "Halkı cahil bırakan bir eğitim sistemi",
        "Con esa cara de felicidad, ¿qué te ha pasado?",
        # ordinary offers and plans
        "I will find you the link tomorrow",
        "When I get there I'll post photos of the archive",
        "People have had accidents on that road for years, the council should fix it",
        "Ich finde dich sehr hilfsbereit, danke",
        "Ik vind je artikel goed geschreven",
        # the writer's own family is no doxxing
        "My daughter goes to a primary school in Leeds and loves it.",
        "this movie is actually good cuz the cast is great",
        # ordinary Russian and Polish
        "Мой сын ходит в школу в Казани",
        "Książki stały w domu na każdej półce",
        "urodziny mamy w sobotę",
    ],
)
def test_neighbours_of_the_structures_are_left_alone(
    action: Callable[[str], Action], text: str
) -> None:
    assert action(text) < Action.NUDGE, text
