"""Words that name a role, a place or a listener only in some structures: an insult adjective
used as a role no one in particular plays ("der Dumme sein", "hacer el tonto"), a noun of
address said to nobody ("em Portugal puto é só miúdo"), a place's name after a naming verb ("un
paese che si chiama ..."). Each civil structure has an uncivil counterpart that is still caught.
Sentences of our own (a regression guard, not first-seen figures)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from forumbot.domain.civility import Action


@pytest.mark.parametrize(
    "text",
    [
        # the one who loses out, said of nobody in particular
        "Wer morgens früh aufsteht, will am Ende nicht der Dumme sein.",
        "Bei dieser Reform bleibt wieder der Mieter der Dumme.",
        "Ich war schon wieder der Dumme, weil ich pünktlich gezahlt habe.",
        "Am Ende ist immer der Kleinsparer der Dumme, egal wer regiert.",
        # playing the fool
        "Los chavales se pasaron la tarde haciendo el tonto en la plaza.",
        "Mi hermano siempre se hace el tonto cuando toca fregar.",
        "Dai, smettila di fare lo scemo e vieni a votare.",
        "Non voglio fare la scema davanti alla commissione.",
        "Ninguém quer fazer papel de otário numa assembleia.",
        "Ele adora bancar o palhaço nas festas de família.",
        # nouns of address said to nobody
        "Quando eu era miúdo, o meu pai levava-me às manifestações.",
        "O miúdo da vizinha ganhou o concurso de matemática.",
        "En mi barrio a cualquier chaval le dicen campeón.",
        "Il ragazzino del terzo piano suona la tromba ogni sera.",
        "Mijn oma noemde iedereen lieverd, ook de postbode.",
        # a place's name after a naming verb
        "Mia nonna è nata in un paesino che si chiama Roccacasale Alta, in Abruzzo.",
        "Das Dorf heißt Kleinostheim Süd und hat drei Kneipen.",
        "Hay un pueblo que se llama Villar del Humo, lo juro.",
        "A aldeia do meu avô chama-se Pedrógão, e a vila se chama Sertã Nova.",
    ],
)
def test_a_role_an_unaddressed_noun_or_a_place_is_civil(
    action: Callable[[str], Action], text: str
) -> None:
    assert action(text) < Action.NUDGE, text


@pytest.mark.parametrize(
    "text",
    [
        # the reader is the one named
        "du bist der Dumme hier",
        "Du bist und bleibst der Dumme, Kevin.",
        "Jörg, der dumme Typ, macht hier immer alles kaputt.",
        "Eres el tonto del grupo, Rubén, asúmelo.",
        "Sei lo scemo del forum, Marco.",
        "Você é um otário, Rodrigo.",
        # nouns of address said to someone
        "Calma, miúdo, quando cresceres vais perceber.",
        "Ó miúdo, vai estudar antes de opinar.",
        "Mira, chaval, esto no es TikTok.",
        # a person's name after a naming verb
        "Paolo si chiama Rossi e abita in via Roma 3",
        "Il tizio del bar si chiama Luca Ferraris, fatevi vivi.",
        "Der Typ heißt Jonas Meier, viel Spaß beim Suchen.",
    ],
)
def test_its_addressed_counterpart_is_caught(action: Callable[[str], Action], text: str) -> None:
    assert action(text) >= Action.HOLD, text


def test_a_person_near_a_place_keeps_the_name_form(action: Callable[[str], Action]) -> None:
    # only the word right before the naming verb (or before its relative pronoun) is asked
    assert action("Il paese è piccolo e il mio vicino si chiama Luca Ferraris.") >= Action.HOLD


@pytest.mark.parametrize(
    "text",
    [
        # a predicate noun said of the writer, the writer's group or no one
        "Ich kann an schlechten Tagen ein echter Arschloch-Chef sein, das weiß ich.",
        "Ik zal mijn best doen om voortaan geen klootzak te zijn.",
        "Posso essere un vero stronzo quando sono stanco.",
        "Mi scuso per essere stato un cretino ieri sera.",
        "J'ai été un vrai connard avec mon frère, je le reconnais.",
        "Niemand muss ein Arschloch sein, nur weil es Montag ist.",
        # a reporting verb further back opens the clause that names the group
        "No puedes creer en serio que todos los inmigrantes son basura.",
        "Não dá para acreditar seriamente que todos os imigrantes são lixo.",
        # playing the fool, in Italian slang
        "Smettila di fare il cazzone e aiutami a montare il palco.",
    ],
)
def test_a_self_predicate_or_a_reported_clause_is_civil(
    action: Callable[[str], Action], text: str
) -> None:
    assert action(text) < Action.NUDGE, text


@pytest.mark.parametrize(
    "text",
    [
        "Du bist ein echter Arschloch, Timo.",
        "Sei un vero stronzo, Marco.",
        "Lei è, mi permetta, un perfetto cretino.",
        "Todos los inmigrantes son basura.",
        "Todos os imigrantes são lixo, e tu sabes disso.",
        "Tu es une vraie tête de con, Julien.",
        "Jesteś dla mnie tylko ciotą.",
    ],
)
def test_the_same_nouns_said_to_someone_are_caught(
    action: Callable[[str], Action], text: str
) -> None:
    assert action(text) >= Action.HOLD, text
