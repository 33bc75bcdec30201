"""The default pack against the labelled corpus and every paragraph of every seed file."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from forumbot.domain.civility import Action, Engine, MessageContext, load_default_rules

HERE = Path(__file__).parent
SEEDS = HERE.parents[2] / "seeds"
GROUPS = yaml.safe_load((HERE / "civility_corpus.yaml").read_text(encoding="utf-8"))["groups"]


def _items(label: str) -> list[tuple[str, str, Action]]:
    return [
        (g["name"], text, Action.parse(g.get("min_action", "nudge")))
        for g in GROUPS
        if g["label"] == label
        for text in g["items"]
    ]


@pytest.fixture(scope="module")
def engine() -> Engine:
    return Engine(load_default_rules())


def _check(engine: Engine, text: str) -> Action:
    # track=False: corpus items are independent messages, not one member's burst.
    return engine.check(
        MessageContext(text=text, author_id="1", channel_id="2"), track=False
    ).action


def test_corpus_is_big_and_varied_enough() -> None:
    civil, uncivil = _items("civil"), _items("uncivil")
    assert len(civil) >= 150
    assert len(uncivil) >= 150
    evasion = {g["name"] for g in GROUPS if g["name"].startswith("evasion-")}
    assert len(evasion) >= 7
    assert len({t for _, t, _ in civil + uncivil}) == len(civil) + len(uncivil), "duplicates"


def test_recall_on_incivility_is_at_least_95_percent(engine: Engine) -> None:
    items = _items("uncivil")
    missed = [(g, t) for g, t, need in items if _check(engine, t) < need]
    recall = 1 - len(missed) / len(items)
    assert recall >= 0.95, f"recall {recall:.3f}; missed: {missed}"


@pytest.mark.parametrize(
    "family",
    sorted({g["name"] for g in GROUPS if g["label"] == "uncivil" and not g.get("holdout")}),
)
def test_every_uncivil_family_is_mostly_caught(engine: Engine, family: str) -> None:
    items = [(t, need) for g, t, need in _items("uncivil") if g == family]
    caught = sum(_check(engine, t) >= need for t, need in items)
    assert caught / len(items) >= 0.85, family


def test_false_alarms_on_civil_text_are_at_most_2_percent(engine: Engine) -> None:
    items = _items("civil")
    alarms = [(g, t) for g, t, _ in items if _check(engine, t) >= Action.NUDGE]
    rate = len(alarms) / len(items)
    assert rate <= 0.02, f"false-alarm rate {rate:.3f}: {alarms}"


def test_sharp_disagreement_and_seed_quotes_are_never_held(engine: Engine) -> None:
    for group, text, _ in _items("civil"):
        if group in ("sharp-disagreement", "seed-quotes"):
            assert _check(engine, text) < Action.HOLD, text


def _seed_paragraphs() -> list[tuple[str, str]]:
    paragraphs = []
    for path in sorted(SEEDS.iterdir()):
        if path.is_file():
            for para in path.read_text(encoding="utf-8").split("\n\n"):
                if para.strip():
                    paragraphs.append((path.name, para))
    return paragraphs


def test_seed_paragraphs_are_never_held_or_worse(engine: Engine) -> None:
    paragraphs = _seed_paragraphs()
    assert len(paragraphs) > 100
    for kind in ("message", "bot_output"):
        held = [
            (name, para[:80])
            for name, para in paragraphs
            if engine.check(MessageContext(text=para, kind=kind), track=False).action >= Action.HOLD
        ]
        assert held == [], held


def test_historical_insult_in_reader_comment_is_left_alone(engine: Engine) -> None:
    text = "you let yourself be deceived by the damn liar Khrushchev, Solchenyzin, Shukov"
    verdict = engine.check(MessageContext(text=text), track=False)
    assert verdict.action <= Action.LOG


def test_the_bots_own_starter_messages_are_left_alone(engine: Engine) -> None:
    """The starter ends with `archive ref A<id>.R<rev>.P<n>`: "P19" was once read as "pig"."""
    from types import SimpleNamespace

    from forumbot.services.publishing.plan import build_plan, marker_for

    flagged = []
    for n in range(1, 200):
        article = SimpleNamespace(
            title=f"Seed article {n}", author="A. Writer", date="1953-03-05",
            source="https://example.org/archive", passages=[], comments=[], tags=[],
        )  # fmt: skip
        starter = build_plan(article, marker=marker_for(n, 1 + n % 3, n)).starter
        verdict = engine.check(MessageContext(text=starter, kind="bot_output"), track=False)
        if verdict.action >= Action.LOG:
            flagged.append((n, verdict.rule_ids))
    assert flagged == []
