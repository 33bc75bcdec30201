"""Engine behaviour beyond word lists: context kinds, rate and repetition state, structure."""

from __future__ import annotations

import random

import pytest

from forumbot.domain.civility import (
    Action,
    Engine,
    MessageContext,
    RateTracker,
    RuleSet,
    load_default_rules,
)


@pytest.fixture
def engine() -> Engine:
    return Engine(load_default_rules())


def _msg(
    text: str, t: float = 0.0, author: str = "7", thread: str = "9", **kw: object
) -> MessageContext:
    return MessageContext(text=text, author_id=author, channel_id=thread, timestamp=t, **kw)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("text", "rule", "action"),
    [
        ("you are an idiot", "personal-insults", Action.HOLD),
        ("you are a liar", "personal-jabs", Action.NUDGE),
        ("I will find you and hurt you", "threats-of-violence", Action.TIMEOUT),
        ("kill yourself", "incitement-to-self-harm", Action.REMOVE),
        ("fuck you", "hostile-phrases", Action.HOLD),
        ("that was fucking brilliant", "strong-profanity", Action.LOG),
        ("join discord.gg/abc", "invite-links", Action.REMOVE),
        ("mail jane@example.org", "personal-data", Action.HOLD),
        ("EVERYBODY IN THIS THREAD IS IGNORING THE OBVIOUS", "shouting", Action.NUDGE),
    ],
)
def test_each_default_family_fires_with_its_action(
    engine: Engine, text: str, rule: str, action: Action
) -> None:
    verdict = engine.check(_msg(text), track=False)
    assert rule in verdict.rule_ids
    assert verdict.action is action
    hit = next(h for h in verdict.hits if h.rule_id == rule)
    assert hit.guideline and hit.excerpt and hit.mode == "enforce"
    assert verdict.guideline == verdict.hits[0].guideline


def test_ideas_versus_people(engine: Engine) -> None:
    idea = engine.check(_msg("this argument is idiotic"), track=False)
    person = engine.check(_msg("you are an idiot"), track=False)
    third = engine.check(_msg("Khrushchev was an idiot and a liar"), track=False)
    assert idea.action is Action.NONE and third.action is Action.NONE
    assert person.action is Action.HOLD


def test_short_caps_and_acronyms_are_not_shouting(engine: Engine) -> None:
    for text in ("CPI(ML) and the USSR", "LOL", "NATO, the UN and the IMF met in NYC"):
        assert engine.check(_msg(text), track=False).action is Action.NONE


def test_repeated_messages_per_member_per_thread(engine: Engine) -> None:
    actions = [engine.check(_msg("Read my blog post!", t=i * 10.0)).action for i in range(3)]
    assert actions == [Action.NONE, Action.NONE, Action.REMOVE]
    # another member, or the same member in another thread, has their own history
    assert engine.check(_msg("Read my blog post!", t=31, author="8")).action is Action.NONE
    assert engine.check(_msg("Read my blog post!", t=32, thread="10")).action is Action.NONE
    # evasion does not make a repeat look new
    assert engine.check(_msg("R e a d my b\u200blog post!!", t=33)).rule_ids == [
        "repeated-messages"
    ]


def test_repeats_outside_the_window_do_not_count(engine: Engine) -> None:
    for i in range(5):
        verdict = engine.check(_msg("same again", t=i * 200.0))
        assert verdict.action is Action.NONE


def test_message_rate(engine: Engine) -> None:
    verdicts = [engine.check(_msg(f"point number {i}", t=i * 2.0)) for i in range(10)]
    assert [v.action for v in verdicts[:9]] == [Action.NONE] * 9
    assert verdicts[9].rule_ids == ["message-rate"]


def test_edits_bot_output_and_untracked_checks_do_not_feed_the_tracker(engine: Engine) -> None:
    for i in range(5):
        engine.check(_msg("hello there", t=float(i), kind="edit"))
        engine.check(_msg("hello there", t=float(i), kind="bot_output"))
        engine.check(_msg("hello there", t=float(i)), track=False)
    assert len(engine.tracker) == 0


def test_tracker_is_bounded() -> None:
    tracker = RateTracker(max_keys=3, max_events=4)
    engine = Engine(load_default_rules(), tracker=tracker)
    for i in range(10):
        engine.check(_msg("hi", t=float(i), author=str(i)))
    assert len(tracker) == 3
    for i in range(20):
        tracker.observe(("a", "b"), float(i), 1)
    assert len(tracker.observe(("a", "b"), 21.0, 1)) == 4


def test_rate_tracker_lets_go_of_members_quiet_for_longer_than_the_rules_look_back() -> None:
    """A long-running bot keeps the members active within the longest rate/repeat window, not
    the last 20,000 ever seen (the soak's memory, bench/README.md)."""
    engine = Engine(load_default_rules())
    assert engine.tracker.max_window == 120.0  # repeated-messages looks back two minutes
    for i in range(500):
        engine.check(_msg("hi", t=float(i) / 10, author=str(i)))
    assert len(engine.tracker) == 500  # all within the window
    engine.check(_msg("hi again", t=50.0 + 121.0, author="late"))
    assert len(engine.tracker) == 1
    # Within the window nothing is lost: three repeats still trip the rule.
    for t in (200.0, 230.0):
        engine.check(_msg("buy my stuff now", t=t, author="spam"))
    assert (
        "repeated-messages"
        in engine.check(_msg("buy my stuff now", t=260.0, author="spam")).rule_ids
    )


def test_mass_mentions_by_count_or_text(engine: Engine) -> None:
    assert engine.check(_msg("look", mention_count=5), track=False).rule_ids == ["mass-mentions"]
    assert engine.check(_msg("look", mention_count=4), track=False).action is Action.NONE
    text = "<@1> <@!2> <@&3> @everyone @here"
    assert engine.check(_msg(text), track=False).rule_ids == ["mass-mentions", "everyone-mentions"]
    typed = engine.check(_msg("@here anyone around?"), track=False)
    assert typed.rule_ids == ["everyone-mentions"] and typed.action is Action.NUDGE
    quoted = engine.check(_msg("please don't ping `@everyone` for this"), track=False)
    assert quoted.action is Action.NONE


def test_link_flood_and_invites(engine: Engine) -> None:
    links = " ".join(f"https://example.org/{i}" for i in range(5))
    assert engine.check(_msg(links), track=False).rule_ids == ["link-flood"]
    four = " ".join(f"https://example.org/{i}" for i in range(4))
    assert engine.check(_msg(four), track=False).action is Action.NONE
    for invite in ("discord.com/invite/xyz", "DISCORD.GG/xyz", "discord\u200b.gg/xyz"):
        assert "invite-links" in engine.check(_msg(invite), track=False).rule_ids


def test_floods(engine: Engine) -> None:
    assert "flood" in engine.check(_msg("a" * 30), track=False).rule_ids
    assert "flood" in engine.check(_msg("\n".join("x" * 61)), track=False).rule_ids
    assert "flood" in engine.check(_msg("😂" * 25), track=False).rule_ids
    stretched = engine.check(_msg("noooooooooooo"), track=False)
    assert stretched.rule_ids == ["stretched-characters"] and stretched.action is Action.LOG
    assert engine.check(_msg("Well..... maybe"), track=False).action is Action.NONE


def test_flood_and_caps_limits_are_exact(engine: Engine) -> None:
    # at and just under each limit of the default pack: the engine skips the flood and caps
    # measurements when it can tell no rule fires, and must never skip one that would
    def ids(text: str) -> list[str]:
        return engine.check(_msg(text), track=False).rule_ids

    def lines(n: int) -> str:
        return "\n".join(f"row {k}" for k in range(n))

    assert "flood" not in ids(lines(60)) and "flood" in ids(lines(61))
    assert "flood" not in ids("spam " * 9) and "flood" in ids("spam " * 10)
    # a phrase said ten times: no two equal neighbours, still a flood (and named as the phrase)
    phrase = engine.check(_msg("no u " * 10), track=False)
    assert "flood" not in ids("no u " * 9)
    assert phrase.rule_ids == ["flood"] and phrase.hits[0].excerpt == "no u x10"
    shout = "ABCDEFGHIJKLMNOPQRST" + "uvwx"  # 24 letters, 20 capitals: 0.83
    assert "shouting" in ids(shout) and "shouting" not in ids("ABCDEFGHIJKLMNOPQRS" + "tuvwx")


def test_applies_to_limits_rules_to_context_kinds(engine: Engine) -> None:
    shout = "EVERYBODY IN THIS THREAD IS IGNORING THE OBVIOUS"
    assert engine.check(_msg(shout, kind="thread_title"), track=False).action is Action.NUDGE
    # bot output (citations, relayed comments) is checked for content, not for style
    assert engine.check(_msg(shout, kind="bot_output"), track=False).action is Action.NONE
    relayed = engine.check(_msg("you are an idiot", kind="bot_output"), track=False)
    assert relayed.action is Action.HOLD
    rules = RuleSet.from_dict(
        [
            {
                "id": "titles",
                "kind": "words",
                "guideline": "g",
                "action": "log",
                "words": ["x"],
                "applies_to": ["thread_title"],
            }
        ]
    )
    only_titles = Engine(rules)
    assert only_titles.check(_msg("x"), track=False).action is Action.NONE
    assert only_titles.check(_msg("x", kind="thread_title"), track=False).action is Action.LOG


def test_empty_and_huge_messages(engine: Engine) -> None:
    assert engine.check(_msg(""), track=False).action is Action.NONE
    big = " ".join(f"Congress {n} debated plan {n * 7} at length." for n in range(2000))
    assert engine.check(_msg(big), track=False).action is Action.NONE
    # one sentence said dozens of times over is a flood, however civil the sentence
    repeated = engine.check(_msg("The party congress debated the plan. " * 30), track=False)
    assert repeated.rule_ids == ["flood"] and repeated.action is Action.REMOVE


def test_verdict_excerpts_are_short(engine: Engine) -> None:
    verdict = engine.check(_msg("you are an idiot " + "x " * 500), track=False)
    assert all(len(h.excerpt) <= 80 for h in verdict.hits)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Get lost, scum.", Action.HOLD),  # trailing vocative
        ("Nobody asked, idiot.", Action.HOLD),
        ("Muppet, you have not read it.", Action.HOLD),  # leading vocative with an address
        ("He was, in short, a fool.", Action.NONE),  # an article makes it a description
        ("Fools, he called them.", Action.NONE),  # leading, but nobody is addressed
        ("Only an idiot like you would post this.", Action.HOLD),
        ("I'm not calling you a liar, the source is unreliable.", Action.NONE),  # negation
        ("Nobody thinks you are an idiot.", Action.NONE),
        ("You joke, but the harvest really did fail.", Action.NONE),  # "joke" as a verb
        ("you fool yourself", Action.NONE),
        ("fuck!", Action.LOG),  # an exclamation, not an insult
        ("you fuck", Action.HOLD),
    ],
)
def test_addressing_negation_and_verbs(engine: Engine, text: str, expected: Action) -> None:
    assert engine.check(_msg(text), track=False).action is expected


def test_never_raises_on_garbage() -> None:
    raw_rule = {"id": "raw", "kind": "regex", "guideline": "g", "action": "log",
                "target": "raw", "patterns": ["zz"]}  # fmt: skip
    engine = Engine(load_default_rules().with_overrides([raw_rule]))
    rng = random.Random(1)
    ranges = [(0, 0x7F), (0x80, 0x2FFF), (0xD800, 0xDFFF), (0xE0000, 0xE01EF), (0x1F300, 0x1FAFF),
              (0x10000, 0x10FFFF)]  # fmt: skip
    for _ in range(500):
        text = "".join(chr(rng.randint(*rng.choice(ranges))) for _ in range(rng.randint(0, 60)))
        for kind in ("message", "bot_output"):
            verdict = engine.check(_msg(text, kind=kind), track=False)
            assert isinstance(verdict.action, Action)


def test_vocative_cues_need_no_article(engine: Engine) -> None:
    assert engine.check(_msg("hey idiot, read it again"), track=False).action is Action.HOLD
    assert engine.check(_msg("shut up idiot"), track=False).action is Action.HOLD
    third = engine.check(_msg("Listen, the idiot who wrote this got it wrong"), track=False)
    assert third.action is Action.NONE


@pytest.mark.parametrize(
    ("text", "caught"),
    [
        ("moron is what you are", True),
        ("A moron, that's what you are!", True),
        ("a complete fool is all you are", True),
        ("Stalin was a fool, that is what you are saying", False),
        ("the fool is what you are describing", False),
        ("not a fool is what you are", False),
    ],
)
def test_insult_first_then_what_you_are(engine: Engine, text: str, caught: bool) -> None:
    verdict = engine.check(_msg(text), track=False)
    assert (verdict.action >= Action.HOLD) is caught, (text, verdict.rule_ids)


@pytest.mark.parametrize(
    ("text", "action"),
    [
        # only insult words that are also verbs read as verbs before "nobody", "about"...
        ("shut up you ΙDΙΟΤ, nobody reads your essays", Action.HOLD),
        ("you fool yourself", Action.NONE),
        ("you troll everyone", Action.NONE),
        # a leading vocative addressed by an order in the next clause
        ("st𝐮p𝐢d b𝐢tch, go cry about it", Action.HOLD),
        ("Fools, he called them, and history agreed.", Action.NONE),
        # the insult first, "this guy is" after it
        ("what a **cu**nt this guy is", Action.HOLD),
        ("what a fool that man was", Action.NONE),
    ],
)
def test_insults_with_the_target_in_another_position(text: str, action: Action) -> None:
    rules = load_default_rules().with_overrides(
        {"rules": [{"id": "learned-signal", "enabled": False}]}
    )
    assert Engine(rules).check(MessageContext(text=text), track=False).action == action


@pytest.mark.parametrize(
    ("text", "action"),
    [
        ("I shall horsewhip you myself.", Action.TIMEOUT),
        ("we will throttle you all", Action.TIMEOUT),
        # narration and idioms with a first person and "you" are not threats
        ("I burned the toast for you, sorry", Action.NONE),
        ("we whipped you at chess last night", Action.NONE),
        ("I am punching above my weight with you", Action.NONE),
    ],
)
def test_threat_verbs_and_their_look_alikes(text: str, action: Action) -> None:
    rules = load_default_rules().with_overrides(
        {"rules": [{"id": "learned-signal", "enabled": False}]}
    )
    assert Engine(rules).check(MessageContext(text=text), track=False).action == action
