"""Threat, self-harm and personal-data structures of languages/menace_precedent.yaml:
a violent precedent for "people like you" with its return promised, "I'll find you" after a dare
or an oath, fire foretold for what the reader owns, a warning about the reader's children, not
waking up suggested, the speaker "as dim as you" with a way of dying, luck that this is the
internet, and where a member works or studies with the class, shift or boss. Sentences of our own
in the ten languages, with civil neighbours each structure must leave alone."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from forumbot.domain.civility import Action, Engine, MessageContext, load_default_rules

NEW = {
    "menace-precedent",
    "menace-find-you",
    "menace-property-fire",
    "menace-children-warning",
    "self-harm-not-waking",
    "self-harm-as-you",
    "menace-lucky-internet",
    "personal-data-workplace",
    "menace-people-who-visit",
    "menace-no-return",
}


@pytest.fixture(scope="module")
def fired() -> Callable[[str], set[str]]:
    """The rules that fire on a text, without the learned signal."""
    off = {"rules": [{"id": "learned-signal", "enabled": False}]}
    engine = Engine(load_default_rules().with_overrides(off))
    return lambda text: set(engine.check(MessageContext(text=text), track=False).rule_ids)


CAUGHT = {
    "menace-precedent": [
        "Folks like you were hanged in 1946, and it could happen again.",
        "A gente como tú los fusilaban en el 36, y eso puede repetirse.",
        "Gente como você, fuzilavam sem julgamento. Isso pode voltar.",
        "Des types comme vous, on les pendait en 1944. Ça peut recommencer.",
        "Leute wie du wurden 1945 erschossen, und das kann wieder passieren.",
        "Quelli come te li fucilavano nel '45, e può ripetersi.",
        "Types zoals jij werden in '44 gefusilleerd. Dat kan opnieuw.",
        "Takich jak ty w 1945 rozstrzeliwano i to może być znowu.",
        "Таких как ты в 37-м расстреливали, и это может повториться.",
        "Senin gibileri darbede asıyorlardı, yine olur.",
    ],
    "menace-find-you": [
        "Post that one more time and I will find you.",
        "Te lo juro, te voy a encontrar.",
        "Juro que vou te encontrar, pode esperar.",
        "Encore un mot et je vais te retrouver, je te le promets.",
        "Ich schwöre, ich werde dich finden.",
        "Te lo giuro, ti troverò.",
        "Ik zweer het, ik ga je vinden.",
        "Jeszcze raz i znajdę cię, przysięgam.",
        "Клянусь, я тебя найду.",
        "Yemin ederim seni bulacağım.",
    ],
    "menace-property-fire": [
        "Shame if your garage caught fire one night.",
        "Sería una lástima que tu tienda ardiera.",
        "Seria uma pena se o teu carro pegasse fogo.",
        "Ce serait dommage que ta boutique prenne feu.",
        "Wäre doch schade, wenn deine Werkstatt abbrennt.",
        "Sarebbe un peccato se la tua auto prendesse fuoco.",
        "Zonde als je schuur afbrandt.",
        "Szkoda by było, gdyby twój dom spłonął.",
        "Смотри, как бы твоя машина не сгорела.",
        "Dükkanın yansa yazık olur.",
    ],
    "menace-children-warning": [
        "Keep posting like this and watch your kids.",
        "Sigues así y ojo con tus hijos.",
        "Se continuas assim, cuidado com os teus filhos.",
        "Continue comme ça et fais gaffe à tes gosses.",
        "Mach so weiter und pass auf deine Kinder auf.",
        "Continua così e stai attento ai tuoi figli.",
        "Als je zo doorgaat, let op je kinderen.",
        "Pisz dalej, to uważaj na swoje dzieci.",
        "Береги своих детей. Подумай об этом.",
        "Böyle devam edersen çocuklarına dikkat et.",
    ],
    "self-harm-not-waking": [
        "Have you thought about just not waking up?",
        "¿Nunca has pensado en no despertarte más?",
        "Já pensaste em simplesmente não acordares amanhã?",
        "T'as jamais pensé à ne plus te réveiller ?",
        "Hast du mal überlegt, einfach nicht mehr aufzuwachen?",
        "Hai mai pensato di non svegliarti più?",
        "Misschien moet je gewoon niet meer wakker worden.",
        "Może jutro po prostu się nie obudzisz, co ty na to?",
        "Выпей снотворного и не просыпайся.",
        "Bir daha uyanma, herkes rahatlar.",
    ],
    "self-harm-as-you": [
        "If I were as dim as you I'd find a rope.",
        "honestly if i was as thick as u id jump off a bridge",
    ],
    "menace-lucky-internet": [
        "You're lucky this is the internet, pal.",
        "Tienes suerte de que esto sea internet.",
        "Tens sorte que isto é internet.",
        "T'as de la chance qu'on soit sur internet.",
        "Du hast Glück, dass wir im Internet sind.",
        "Hai fortuna che siamo su internet.",
        "Je hebt geluk dat dit internet is.",
        "Masz szczęście, że to internet.",
        "Тебе повезло, что это интернет.",
        "Şansın var ki internet burası.",
    ],
    "personal-data-workplace": [
        "@marta_l works at the library on Elm Road, evening shift.",
        "Ella trabaja en la farmacia del centro, turno de noche, por si alguien quiere pasar.",
        "Ele estuda na Universidade do Minho, turma B, podem ir lá.",
        "Elle bosse à la poste de Nantes, guichet 2.",
        "Er arbeitet bei der Sparkasse in Kiel, Schalter 4, Frühschicht.",
        "Lei lavora alla biblioteca comunale, turno del mattino.",
        "Hij zit op het Erasmus College, klas 3c.",
        "Ona studiuje na UW, wydział prawa, trzeci rok.",
        "Она работает в аптеке на Ленина, смена с восьми.",
        "O Boğaziçi'nde okuyor, 2. sınıf.",
    ],
}


@pytest.mark.parametrize(
    ("rule", "text"), [(rule, text) for rule, texts in CAUGHT.items() for text in texts]
)
def test_structure_is_caught(
    fired: Callable[[str], set[str]], action: Callable[[str], Action], rule: str, text: str
) -> None:
    assert rule in fired(text), text
    assert action(text) >= Action.HOLD, text


@pytest.mark.parametrize(
    "text",
    [
        # history told without a reader, or without a return
        "In 1945 collaborators were shot.",
        "En 1944 on fusillait les collabos à la Libération, c'est l'histoire.",
        "Mensen zoals mijn opa werden in 1944 gefusilleerd.",
        "Takich jak mój dziadek rozstrzeliwano w 1943.",
        "Leute wie du und ich wurden 1945 erschossen? Nein, mein Opa hat überlebt.",
        # finding as giving, finding as liking
        "I'll find you the source, give me a minute",
        "I'll find you the source again tomorrow",
        "Te encontraré el enlace, lo juro.",
        "Ich finde dich witzig, mach weiter so",
        "Ik vind je artikel goed, ga zo door",
        # fire with no reader or no pity
        "A shame the old mill burned down in 1890.",
        "Did your house burn down in the fires? I hope you're ok",
        "Schade, dass das alte Kino abgebrannt ist.",
        # children with no posting and no "think about it"
        "Watch your kids at the pool, lifeguards are rare.",
        "Pas goed op je kinderen bij het water.",
        # waking up of oneself
        "I kept not waking up on time last week.",
        "the baby is finally not waking up at night, you know",
        # comparison with no way of dying
        "If I were as lucky as you I'd jump at the chance.",
        "in your place I would jump at the chance",
        "na twoim miejscu skoczyłbym na tę okazję",
        # luck of one's own
        "I'm lucky the internet exists",
        # work and school with no detail, or of the writer's own family
        "she works at Biedronka and likes it",
        "she works at the bakery and likes it",
        "Mi hermana trabaja en un hospital, turno de noche, y está agotada.",
        "My son is in class 3b and loves his teacher.",
    ],
)
def test_civil_neighbours_are_left_alone(fired: Callable[[str], set[str]], text: str) -> None:
    assert not fired(text) & NEW, text


@pytest.mark.parametrize(
    "text",
    [
        "In 1945 collaborators were shot.",
        "I'll find you the source, give me a minute",
        "A shame the old mill burned down in 1890.",
        "Watch your kids at the pool, lifeguards are rare.",
        "I kept not waking up on time last week.",
        "If I were as lucky as you I'd jump at the chance.",
        "in your place I would jump at the chance",
        "I'm lucky the internet exists",
        "she works at the bakery and likes it",
    ],
)
def test_civil_neighbours_take_no_action(action: Callable[[str], Action], text: str) -> None:
    assert action(text) < Action.NUDGE, text


def test_no_new_structure_removes_or_times_out_alone() -> None:
    rules = {r.id: r for r in load_default_rules().active}
    assert all(rules[rid].action <= Action.HOLD for rid in NEW)


def test_also_and_not_before_are_validated_lists() -> None:
    from forumbot.domain.civility import RuleSet, RuleSetError

    rule = {"id": "x", "kind": "addressed", "guideline": "no threats", "severity": 1,
            "action": "hold", "phrases": ["a b"], "targets": ["you"]}  # fmt: skip
    assert RuleSet.from_dict({"rules": [dict(rule, also=["c"], not_before=["d"])]})
    for field in ("also", "not_before"):
        with pytest.raises(RuleSetError, match=field):
            RuleSet.from_dict({"rules": [dict(rule, **{field: "c"})]})


@pytest.mark.parametrize(
    ("rule", "text", "civil"),
    [
        ("menace-people-who-visit", "Ich kenne Leute in Köln, die dich gerne mal besuchen würden.",
         "I know people in Leeds who went to that school"),
        ("menace-people-who-visit", "Znam ludzi w Radomiu, chętnie cię odwiedzą.",
         "Znam ludzi w Radomiu, to miłe miasto."),
        ("menace-no-return", "Continue comme ça et tu ne rentreras pas chez toi.",
         "Si te mudas a Alemania no vas a volver, sigue tu sueño"),
        ("menace-no-return", "Keep it up and one day you'll walk out and never come back.",
         "You went to Lisbon and never came back, lucky you"),
    ],
)  # fmt: skip
def test_visits_and_no_return(
    fired: Callable[[str], set[str]], rule: str, text: str, civil: str
) -> None:
    assert rule in fired(text), text
    assert rule not in fired(civil), civil
