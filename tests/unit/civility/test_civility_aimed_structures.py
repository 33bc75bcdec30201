"""Insults, belittling and evasions in the structures rounds 12 and 13 showed the rules missing,
in sentences of our own per language: a name whose forum doings are named, "imagine being a X",
"you are" with several describing words, a label that opens the message or takes "of shit",
emoji splitting a word into letter pairs, and the reader treated as a child. Their civil
neighbours (self-mockery, quoting, public figures on policy, Scunthorpe words, one's own mother
and childhood) stay untouched. Written to fit: a regression guard, not first-seen figures."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from forumbot.domain.civility import Action

AIMED = [
    # a name (or a mention) as the subject, when the message names what a member does here
    "Kevin is a gutless little rat who reports anyone he loses an argument to.",
    "honestly Marta is such a pathetic coward, deleted her posts the moment she was wrong",
    "@Pieter_NL is a sad little clown and he knows it",
    # imagine being (this much of) a ...
    "imagine being this much of an idiot about the Corn Laws",
    "Imagine being such a smug muppet in a thread about allotments.",
    # "you are" and several describing words before the insult, in each language
    "Tom, you are honestly the most tedious smug little prick on here.",
    "you're a genuinely pathetic little man",
    "Eres el gilipollas más pesado de todo el foro, Iván.",
    "Tu és mesmo um grande idiota, Rui, não há volta a dar.",
    "Mélanie, t'es vraiment une vieille conne aigrie.",
    "Du bist echt der größte Vollidiot in diesem Forum, Sven.",
    "Sei davvero il più grande coglione del forum, Piero.",
    "Je bent echt de grootste sukkel van dit forum, Joost.",
    "Jesteś naprawdę największym debilem na tym forum.",
    "Ты самый тупой урод на этом форуме, Коля.",
    "Sen bu forumdaki en büyük gerizekalısın, Cem.",
    # a label that opens the message, left and right alike
    "another smug woke idiot telling us what to think about the miners",
    "another smug MAGA idiot telling us what to think about the miners",
    "typical commie. a lying hypocrite from start to finish",
    "typical tory. a lying hypocrite from start to finish",
    # a person's label with "of shit" after it, left and right alike
    "Zurdo de mierda, no tienes ni idea de la Segunda República.",
    "Facha de mierda, no tienes ni idea de la Segunda República.",
    "Comunista de merda, vai estudar antes de abrir a boca.",
    "Bolsonarista de merda, vai estudar antes de abrir a boca.",
    "Leghista di merda, torna a leggere i tuoi meme.",
    "Comunista di merda, torna a leggere i tuoi meme.",
    "Communiste de merde, retourne lire tes tracts.",
    "Fasciste de merde, retourne lire tes tracts.",
    # evasions every rule reads alike: emoji between letter pairs, inline code, "ya" in Spanish
    "sk🐸u🐸r🐸w🐸y🐸s🐸y🐸n jeden, @Bartek",
    "Cállate ya, `imbécil`, que nadie te ha preguntado.",
    "xуйло ты, Петя, и все это знают",
    "sei proprio una troia e basta, Giulia",
]

BELITTLING = [
    # how old are you, twelve?
    "How old are you, twelve? Go and ask your teacher about the Poor Laws.",
    "Tu as quel âge, douze ans ? Va réviser ton brevet.",
    "¿Cuántos años tienes, doce? Ve a hacer los deberes.",
    "Quantos anos tens, doze? Vai fazer os trabalhos de casa.",
    "Wie alt bist du eigentlich, zwölf? Geh Hausaufgaben machen.",
    "Quanti anni hai, dodici? Vai a fare i compiti.",
    "Hoe oud ben je, twaalf? Ga je huiswerk maken.",
    "Ile ty masz lat, dwanaście? Idź odrabiać lekcje.",
    "Тебе сколько лет, двенадцать? Иди уроки делай.",
    "Kaç yaşındasın, on iki mi? Git ödevini yap.",
    # the mother who still makes the sandwiches, or knows you are online
    "Does your mum still make your packed lunch, or is that a sore subject?",
    "Weiß deine Mutter, dass du so spät noch online bist?",
    "Ta mère te prépare encore ton goûter, j'imagine ?",
    "¿Tu madre sabe que estás en internet a estas horas?",
    "A tua mãe ainda te faz a cama todas as manhãs?",
    "Tua madre ti prepara ancora la merenda, vero?",
    "Weet je moeder dat je zo laat nog op het forum zit?",
    "Czy mama wie, że jeszcze nie śpisz?",
    "Мама знает, что ты опять в интернете сидишь?",
    "Annen biliyor mu bu saatte internette olduğunu?",
    # two neurons fighting for room
    "Tes deux neurones doivent se sentir bien seuls.",
    "Con quei due neuroni che ti ritrovi è già tanto.",
    "Tus dos neuronas no dan para más, Pablo.",
    "Os teus dois neurónios estão de férias, é isso?",
    "Deine zwei Gehirnzellen streiten sich wohl wieder.",
    "Je twee hersencellen zijn weer aan het ruziën.",
    "Twoje dwa neurony chyba się pokłóciły.",
    "Твои два нейрона опять поссорились?",
    # school level, and the grown-ups are talking
    "Dein Halbwissen aus der Grundschule reicht hier nicht, Kai.",
    "Ton analyse, c'est niveau CM2, au mieux.",
    "Questa è un'analisi da livello terza media, Marco.",
    "Tvoi znaniya na urovne pyatogo klassa.",
    "Shh, les adultes parlent.",
    "Stai buono, lascia parlare gli adulti.",
    "Sssst, de grote mensen zijn aan het praten.",
    "Cicho, dorośli rozmawiają.",
    "Sus çocuk, büyükler konuşurken karışma.",
    "I'm sure your mum thinks you're a genius, mate.",
]

CIVIL = [
    # self-mockery, one's own family and childhood
    "My mum thinks I'm clever, which is sweet of her.",
    "When I was twelve I read Animal Farm and didn't get it at all.",
    "Quand j'avais douze ans, je lisais Zola en cachette.",
    "Mijn moeder smeerde vroeger elke ochtend mijn boterhammen.",
    "Ich hatte in der achten Klasse einen tollen Geschichtslehrer.",
    "Mi madre sabe mucho más de la Transición que yo.",
    "I can't imagine being a miner in 1984, it must have been brutal.",
    "Ya soy un gilipollas por haber comprado ese libro, lo sé.",
    # quoting and third parties on policy
    'He called me "an idiot" in the other thread, so I reported it.',
    "Johnson's housing policy is a disaster and this thread shows why.",
    "Typical Tory housing policy: build nothing and blame the planners.",
    "Another fool's errand from the ministry.",
    "La politica economica della Lega è un disastro, e lo dicono i numeri.",
    # Scunthorpe words and innocent neighbours
    "I grew up near Scunthorpe and still support the Iron.",
    "La guerra di Troia e la caduta della città sono nel programma.",
    "Passe-moi la tapette à mouches, il y en a partout.",
    "Calla ya, que no me dejas oír la radio.",
    "I was such an idiot in my twenties, honestly.",
    "The leaflet had a 🌹 and a ✊ on it.",
    # "der Dumme sein": to lose out, said of whoever works or pays
    "Wer spart, ist am Ende immer der Dumme.",
    "Am Ende sind die Dummen wieder die Mieter.",
]


@pytest.mark.parametrize("text", AIMED)
def test_an_aimed_insult_is_held(action: Callable[[str], Action], text: str) -> None:
    assert action(text) >= Action.HOLD, text


@pytest.mark.parametrize("text", BELITTLING)
def test_belittling_is_held_never_removed(action: Callable[[str], Action], text: str) -> None:
    assert action(text) == Action.HOLD, text


@pytest.mark.parametrize("text", CIVIL)
def test_the_civil_neighbours_are_untouched(action: Callable[[str], Action], text: str) -> None:
    assert action(text) < Action.NUDGE, text
