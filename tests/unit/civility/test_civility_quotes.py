"""Quoted abuse that a member reports or rejects is logged, not held against them."""

from __future__ import annotations

import pytest

from forumbot.domain.civility import Action, Engine, MessageContext, load_default_rules
from forumbot.domain.civility.quotes import outside_quotes


@pytest.fixture(scope="module")
def engine() -> Engine:
    return Engine(load_default_rules())


def _verdict(engine: Engine, text: str):  # type: ignore[no-untyped-def]
    return engine.check(MessageContext(text=text), track=False)


@pytest.mark.parametrize(
    "text",
    [
        "Someone DMed me 'I know where you live' last night. Mods, could you look?",
        'He literally wrote "you stupid cow" to a woman who corrected him. Mods please.',
        "Reporting: somebody posted “kys” under my comment.",
        "When someone replies 'shut up moron' I stop reading. Make an argument.",
        "> you are a pathetic idiot\nThat is what he replied to me, word for word.",
        "Quelqu'un m'a écrit « je vais te buter ». Je signale.",
        "Mi ha scritto “ti ammazzo” in privato, segnalo.",
        "Iemand stuurde me 'ik maak je af'. Screenshot erbij.",
        "Ktoś mi napisał „zabiję cię”. Zgłaszam.",
        "Мне написали «я тебя убью». Посмотрите, пожалуйста.",
        'Biri bana "seni öldüreceğim" yazdı.',
        # the noun for a message or the verb of reporting, in any inflection, is a cue
        "czemu ten komentarza 'zabij się' nikt nie usunął?",
        "Почему комментарий 'сдохни' ещё висит? Уже жаловалась.",
        "Acham normal chamarem alguém de 'idiota'? Isto tem de parar.",
    ],
)
def test_reported_abuse_is_logged_not_acted_on(engine: Engine, text: str) -> None:
    verdict = _verdict(engine, text)
    assert verdict.action == Action.LOG, verdict
    # moderators still see what was quoted, and that it was a quotation
    assert verdict.hits and all(h.excerpt.startswith("quoted: ") for h in verdict.hits)


@pytest.mark.parametrize(
    ("text", "at_least"),
    [
        # the author's own words outside the quotes are judged as usual
        ('He said "you are an idiot", and honestly you are an idiot.', Action.HOLD),
        ("Quoting you: 'the data is clear'. You absolute moron.", Action.HOLD),
        # a quote with nothing around it that reports it is simply the message
        ('"kill yourself"', Action.REMOVE),
        ("'you are a worthless idiot'", Action.HOLD),
        # addresses are doxxing, quoted or not
        ('He wrote "she lives at 12 Baker Street, flat 3" in the other thread', Action.REMOVE),
        # apostrophes are not quotation marks
        ("I'm telling you, you're an idiot and don't know it", Action.HOLD),
    ],
)
def test_what_the_author_says_still_counts(engine: Engine, text: str, at_least: Action) -> None:
    assert _verdict(engine, text).action >= at_least


def test_outside_quotes_needs_a_quote_and_a_cue() -> None:
    assert outside_quotes("no quotes here, idiot") is None
    assert outside_quotes("'you idiot' is all") is None  # no word that reports the quote
    assert outside_quotes("don't say I didn't warn you") is None  # apostrophes only
    out = outside_quotes("He wrote «t'es qu'un con» hier")
    assert out is not None and "con" not in out and "wrote" in out and "hier" in out


@pytest.mark.parametrize(
    ("text", "action"),
    [
        ("Deze wet is echt kut.", Action.LOG),
        ("Questa legge è una vergogna del cazzo.", Action.LOG),
        ("Siktir, yine oylamayı kaçırdım.", Action.LOG),
        ("Esta ley de mierda no sirve para nada.", Action.LOG),
        # aimed at someone, the same languages are still held
        ("Siktir git, seni gerizekalı.", Action.HOLD),
        ("Sei proprio un coglione.", Action.HOLD),
        ("Hou je bek, klootzak.", Action.HOLD),
    ],
)
def test_untargeted_profanity_in_other_languages_is_logged(
    engine: Engine, text: str, action: Action
) -> None:
    assert _verdict(engine, text).action == action


@pytest.mark.parametrize(
    "text",
    [
        "Nimm deine Tabletten und versuch es morgen nochmal.",
        "Se nota que en tu casa no había muchos libros.",
        "Jou iets uitleggen is als praten tegen een muur.",
        "Weź leki i spróbuj jutro.",
        "Ich finde dich, verlass dich drauf.",
        "tous les cocos de ce fil mériteraient une balle",
        "||muérete|| jajaja",
    ],
)
def test_belittling_and_menace_families_in_other_languages(engine: Engine, text: str) -> None:
    rules = load_default_rules().with_overrides(
        {"rules": [{"id": "learned-signal", "enabled": False}]}
    )
    assert Engine(rules).check(MessageContext(text=text), track=False).action >= Action.HOLD


@pytest.mark.parametrize(
    "text",
    [
        "Franco mandó fusilar a miles de personas en 1939.",  # history, not a wish
        "Le monde est petit : je l'ai croisée à Lyon.",
        "Ich habe die Tabletten für meine Mutter in der Apotheke geholt.",
        "Mój syn chodzi do szkoły na Mokotowie.",
    ],
)
def test_the_same_words_in_civil_use_are_left_alone(engine: Engine, text: str) -> None:
    assert _verdict(engine, text).action < Action.NUDGE


@pytest.mark.parametrize(
    ("text", "action"),
    [
        # "Behinderte" are disabled people; only the insult forms are held
        ("Die Leben von Behinderten sind nicht weniger wert als die von anderen.", Action.NONE),
        ("Kein Behinderter verdient den Tod.", Action.NONE),
        ("Du bist doch behindert.", Action.HOLD),
        # "con" is "with" in Italian and Spanish; the French insult is held in its phrases
        ("Vivo con due amici a Bologna.", Action.NONE),
        ("T'es un con, franchement.", Action.HOLD),
        ("Le 14 juillet 1789, rue Saint-Antoine, la foule se rassemble.", Action.NONE),
    ],
)
def test_words_that_are_ordinary_in_their_language(
    engine: Engine, text: str, action: Action
) -> None:
    assert _verdict(engine, text).action == action
