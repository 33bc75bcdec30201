"""The general threat structure of languages/menace_general.yaml: a harm or pursuit word near the
reader with a future, condition or warning anywhere in the message, one rule a language.
Sentences of our own in the ten languages, each with civil neighbours (a game, a vote, an
argument, an idiom, history, a quote) it must leave alone."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from forumbot.domain.civility import Action, Engine, MessageContext, load_default_rules


@pytest.fixture(scope="module")
def fired() -> Callable[[str], set[str]]:
    """The general-threat rules that fire on a text, without the learned signal."""
    off = {"rules": [{"id": "learned-signal", "enabled": False}]}
    engine = Engine(load_default_rules().with_overrides(off))

    def rules(text: str) -> set[str]:
        ids = engine.check(MessageContext(text=text), track=False).rule_ids
        return {r for r in ids if r.startswith("menace-general")}

    return rules


CAUGHT = [
    "keep it up and you will end up in hospital, mark my words",
    "one more post like that and your teeth are on the pavement, promise",
    "Sigue así y acabarás en el hospital, te lo juro.",
    "La próxima vez te parto las rodillas, ya verás.",
    "Continua assim e acabas no hospital, prometo.",
    "Da próxima vez parto-te os dentes, vais ver.",
    "Continue comme ça et tu vas finir à l'hôpital, je te le promets.",
    "La prochaine fois je te casse les genoux, fais gaffe.",
    "Noch ein Wort und du landest im Krankenhaus, versprochen. Pass auf.",
    "Beim nächsten Mal brech ich dir die Knie, wirst sehen.",
    "Continua così e finisci all'ospedale, te lo giuro.",
    "La prossima volta ti spacco le gambe, vedrai.",
    "Nog één keer en je belandt in het ziekenhuis, ik zweer het.",
    "Jeszcze raz a skończysz w szpitalu, obiecuję.",
    "Ещё раз напишешь — окажешься в больнице, обещаю.",
    "Bir daha yazarsan seni hastanelik ederim, yemin ederim.",
]

CIVIL = [
    "I'll destroy you at chess next time, watch out",
    "we'll crush them at the polls in November, mark my words",
    "your argument is dead, and next time bring sources",
    "I'd kill for a coffee before the next session",
    "In 1945 collaborators were shot and their houses burned.",
    "if you want I'll break the news to the others tomorrow",
    "hang out with you next week? sure",
    "Happy Eid to you and your family, hope the day was lovely",
    "La próxima vez te gano al ajedrez, ya verás.",
    "Da próxima vez ganho-te no xadrez, vais ver.",
    "La prochaine fois je te bats aux échecs, promis.",
    "Beim nächsten Spiel schlage ich dich im Schach, wirst sehen.",
    "La prossima partita a scacchi ti batto, vedrai.",
    "Volgende keer sla ik je met schaken, let maar op.",
    "Następnym razem pobiję cię w szachy, zobaczysz.",
    "В следующий раз обыграю тебя в шахматы, увидишь.",
    "Bir daha satrançta seni yenerim, göreceksin.",
    "Er schrieb mir: „Noch ein Wort und du landest im Krankenhaus.“ Ich habe es gemeldet.",
]


@pytest.mark.parametrize("text", CAUGHT)
def test_general_threat_caught(fired: Callable[[str], set[str]], text: str) -> None:
    assert fired(text), text


@pytest.mark.parametrize("text", CIVIL)
def test_civil_neighbour_left_alone(plain: Engine, text: str) -> None:
    verdict = plain.check(MessageContext(text=text), track=False)
    mine = [r for r in verdict.rule_ids if r.startswith("menace-general")]
    # a quoted threat may be named among the hits but is not acted on
    assert not mine or verdict.action < Action.NUDGE, (text, verdict.rule_ids)


@pytest.fixture(scope="module")
def plain() -> Engine:
    off = {"rules": [{"id": "learned-signal", "enabled": False}]}
    return Engine(load_default_rules().with_overrides(off))
