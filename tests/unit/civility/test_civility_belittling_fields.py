"""Belittling by structure (languages/belittling_fields.yaml): a field word (reading, school,
the brain, a child's day, pills, the basement) spoken to the reader together with a sarcasm
marker (sweetie, cute, bravo, aww, a reading finger) or, for the child/pills/basement fields, a
rhetorical question. Sentences of our own per language, none taken from a round or batch; the
civil neighbours share a field word or a marker, never both with the reader addressed."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from forumbot.domain.civility import Action

BELITTLING = [
    "aww sweetie, did mummy help you with the long words again?",
    "bless, you found a Wikipedia page all by your lonesome, here's a gold star",
    "cute that you think your two neurons can handle the footnotes, champ",
    "is it past your bedtime yet? the grown ups are talking",
    "did you forget your meds this morning?",
    "ay cariño, ¿te ayudó tu mami con las palabras difíciles?",
    "pobrecito, ¿ya te tomaste las pastillitas hoy?",
    "que fofo, a mamãe te ajudou a ler o artigo, coitadinho?",
    "tá na hora da tua soneca, não?",
    "c'est mignon, tu as lu une page Wikipédia et tu te prends pour un prof",
    "tu as pris tes cachets ce matin ?",
    "süß, hast du das ganz allein gelesen, Schatzi?",
    "hast du heute deine Tabletten schon genommen?",
    "che tenero, la mamma ti ha aiutato a leggere le parole lunghe?",
    "hai preso la pastiglia stamattina?",
    "schattig, heb je dat zelf gelezen of heeft mama je geholpen?",
    "heb je je pilletjes vandaag al gehad?",
    "słodkie, mamusia pomogła ci przeczytać artykuł?",
    "wziąłeś dziś swoje tabletki?",
    "как мило, тебе мама помогла прочитать статью?",
    "ты таблетки сегодня пил?",
    "ne tatlı, annen mi okudu sana bu yazıyı?",
    "ilaçlarını aldın mı bugün?",
]

CIVIL = [
    # the reader addressed about reading, with no marker: honest disagreement
    "you misread the source, read the table again",
    "have you read chapter 3? it covers exactly this",
    "did your school cover the Weimar period? mine skipped it",
    "te equivocas, lee otra vez la tabla del INE",
    "tu as lu le chapitre 3 ? il répond à ta question",
    "hast du Kapitel 3 gelesen? Da steht es genau so",
    "hai letto il capitolo 3? spiega proprio questo",
    "heb je hoofdstuk 3 gelezen? daar staat het precies",
    "czytałeś rozdział 3? tam jest dokładnie o tym",
    "ты читал третью главу? там как раз об этом",
    "üçüncü bölümü okudun mu? tam olarak bunu anlatıyor",
    # friendly talk: a marker, and no field word
    "cute dog, is that yours in the picture?",
    "aww, your daughter has her first school day, so cute",
    "wow you read the whole thing? respect",
    "congrats on your exam, well deserved",
    "aww your cat is adorable",
    "qué mono tu perro en la foto",
    "süß, dein Hund im Profilbild",
    "kedin çok tatlı, adı ne?",
    # a field word and a marker, nobody belittled: one's own life
    "aww my daughter read her first book to me last night, so proud",
    "bravo à ma fille, elle a lu son premier livre toute seule",
    # a question about pills or a basement that is not about the reader
    "the museum basement has the original posters, worth a visit",
    "my doctor changed my meds and I feel much better",
]


@pytest.mark.parametrize("text", BELITTLING)
def test_belittling_by_structure_is_held(action: Callable[[str], Action], text: str) -> None:
    assert action(text) == Action.HOLD, text


@pytest.mark.parametrize("text", CIVIL)
def test_the_civil_neighbours_are_untouched(action: Callable[[str], Action], text: str) -> None:
    assert action(text) < Action.NUDGE, text
