"""The `learned` rule kind: a linear model over words and word pairs, a hold signal only."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from forumbot.cli import main
from forumbot.domain.civility import Action, Engine, MessageContext, RuleSet, load_default_rules
from forumbot.domain.civility.evaluation import parse_items
from forumbot.domain.civility.learned import (
    LinearModel,
    ModelFileError,
    civil_paragraphs,
    features,
    load_model,
    tokens_of,
    train,
)

HERE = Path(__file__).parent
# the files `make civility-model` trains on, in the same order
TRAINING = [
    HERE / "civility_corpus.yaml",
    *sorted((HERE / "eval").glob("round_*.yaml")),
    *sorted((HERE / "train").glob("*.yaml")),
]


def _check(engine: Engine, text: str, kind: str = "message") -> tuple[Action, list[str]]:
    verdict = engine.check(MessageContext(text=text, kind=kind), track=False)  # type: ignore[arg-type]
    return verdict.action, verdict.rule_ids


def test_shipped_weights_are_what_the_committed_data_produce() -> None:
    items = []
    for path in TRAINING:
        items += parse_items(yaml.safe_load(path.read_text(encoding="utf-8")), source=path.name)
    seeds = civil_paragraphs(HERE.parents[2] / "seeds")
    examples = [(tokens_of(i.text), i.label == "uncivil") for i in items]
    fresh = train(examples + [(tokens, False) for tokens in seeds])
    shipped = load_model()
    assert shipped.trained_on == fresh.trained_on == len(items) + len(seeds)
    assert abs(shipped.bias - fresh.bias) < 1e-3
    # rounding to 3 decimals on the way to the file can move a weight across the keep line
    assert len(set(shipped.weights) ^ set(fresh.weights)) <= 5, "run `make civility-model`"
    both = shipped.weights.keys() & fresh.weights.keys()
    worst = max(abs(shipped.weights[f] - fresh.weights[f]) for f in both)
    assert worst < 2e-3, "run `make civility-model`"


def test_logit_is_the_sum_over_the_features() -> None:
    model = LinearModel(0.5, {"you": 1.0, "you are": 2.0, "idiot": 0.25})
    tokens = ["you", "are", "you", "are", "an", "idiot"]
    assert features(tokens) == ["you", "are", "an", "idiot", "you are", "are you", "are an",
                                "an idiot"]  # fmt: skip
    # each feature once, the sum scaled by 1/sqrt(number of distinct features: 4 words, 4 pairs)
    assert model.logit(tokens) == pytest.approx(0.5 + (1.0 + 2.0 + 0.25) / 8**0.5)
    assert model.reasons(tokens) == ["you are", "you", "idiot"]


def test_the_learned_rule_holds_a_phrasing_no_list_names() -> None:
    # (round 3's "house fire" message, used in these tests before, is now `violent-imagery`'s)
    text = "We have people in Croydon too, Jenkins. Sleep well."
    rules = load_default_rules()
    without = rules.with_overrides({"rules": [{"id": "learned-signal", "enabled": False}]})
    assert _check(Engine(without), text)[0] == Action.NONE
    action, ids = _check(Engine(rules), text)
    assert action == Action.HOLD and ids == ["learned-signal"]
    hit = Engine(rules).check(MessageContext(text=text), track=False).hits[0]
    # the score, then the words that weighed most
    score, _, reasons = hit.excerpt.partition(": ")
    assert 0.8 <= float(score) <= 1  # the pack's threshold
    assert reasons and set(" ".join(reasons.split(", ")).split()) <= set(tokens_of(text))


def test_the_learned_rule_leaves_civil_and_bot_text_alone() -> None:
    engine = Engine(load_default_rules())
    for text in ("Thanks, that source on the 1937 census was really useful.",
                 "I disagree with your reading of the treaty, but it is a fair point.",
                 "Welcome to the server, glad you found us."):  # fmt: skip
        assert _check(engine, text)[0] == Action.NONE, text
    # the bot's own posts (article paragraphs) are not member speech
    text = "We have people in Croydon too, Jenkins. Sleep well."
    assert _check(engine, text, "bot_output")[0] == Action.NONE


def test_overrides_can_shadow_or_raise_the_threshold() -> None:
    text = "We have people in Croydon too, Jenkins. Sleep well."
    rules = load_default_rules()
    shadow = Engine(rules.with_overrides({"rules": [{"id": "learned-signal", "mode": "shadow"}]}))
    verdict = shadow.check(MessageContext(text=text), track=False)
    assert verdict.action == Action.NONE and verdict.shadow_hits[0].rule_id == "learned-signal"
    strict = rules.with_overrides({"rules": [{"id": "learned-signal", "threshold": 0.999}]})
    assert _check(Engine(strict), text)[0] == Action.NONE


@pytest.mark.parametrize(
    ("change", "needle"),
    [
        ({"action": "remove"}, "a learned rule can at most hold, got 'remove'"),
        ({"action": "timeout"}, "a learned rule can at most hold"),
        ({"threshold": 0.2}, "'threshold': must be a probability from 0.5 to 0.999, got 0.2"),
        ({"threshold": "high"}, "'threshold': must be a probability"),
        ({"model": "../../etc/passwd"}, "'model': must name a model file shipped with forumbot"),
        ({"model": "missing.json"}, "'model': must name a model file shipped with forumbot"),
        ({"min_tokens": 0}, "'min_tokens'"),
        ({"min_tokens": 11}, "'min_tokens'"),
    ],
)
def test_bad_learned_rules_are_refused(change: dict[str, object], needle: str) -> None:
    with pytest.raises(ValueError) as err:
        load_default_rules().with_overrides({"rules": [{"id": "learned-signal", **change}]})
    assert needle in str(err.value)


def test_a_new_learned_rule_can_be_added_by_a_guild() -> None:
    rule = {"id": "learned-nudge", "kind": "learned", "guideline": "be civil",
            "action": "nudge", "threshold": 0.6}  # fmt: skip
    rules = RuleSet.from_dict({"version": 1, "rules": [rule]})
    engine = Engine(rules)
    action, ids = _check(engine, "you are such a clueless muppet, honestly")
    assert action == Action.NUDGE and ids == ["learned-nudge"]


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("{", "not JSON"),
        ('{"format": "other"}', "not a forumbot-civility-linear/2 file"),
        ('{"format": "forumbot-civility-linear/1", "bias": "x", "weights": {}}', "numeric 'bias'"),
        ('{"format": "forumbot-civility-linear/1", "bias": 0, "weights": {"a": "b"}}', "numbers"),
    ],
)
def test_bad_model_files_are_reported(text: str, needle: str) -> None:
    with pytest.raises(ModelFileError, match=needle):
        LinearModel.from_json(text)
    with pytest.raises(ModelFileError, match="file name"):
        load_model("../x.json")


def test_train_model_cli_writes_a_loadable_file(tmp_path: Path) -> None:
    data = [{"text": "you are a muppet", "label": "uncivil"}] * 5 + [
        {"text": "what a lovely day", "label": "civil"}
    ] * 5
    src = tmp_path / "items.yaml"
    src.write_text(yaml.safe_dump(data), encoding="utf-8")
    out = tmp_path / "model.json"
    result = CliRunner().invoke(main, ["rules", "train-model", str(src), "--out", str(out)])
    assert result.exit_code == 0, result.output
    model = LinearModel.from_json(out.read_text(encoding="utf-8"))
    assert model.trained_on == 10 and json.loads(out.read_text())["format"]
    assert (
        model.probability(["you", "are", "a", "muppet"])
        > 0.5
        > model.probability(["what", "a", "lovely", "day"])
    )
    bad = tmp_path / "bad.yaml"
    bad.write_text("- {text: hi, label: maybe}\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["rules", "train-model", str(bad), "--out", str(out)])
    assert result.exit_code != 0 and "Traceback" not in result.output
    assert "'label' must be civil or uncivil" in result.output


def test_links_and_mentions_are_not_read_by_the_model() -> None:
    # a mention reads as "you" to the rules; two of them made a greeting look like an attack
    assert tokens_of("@anna @ben lmao epic bird wins https://t.co/xyz &amp;") == [
        "lmao", "epic", "bird", "wins"
    ]  # fmt: skip
    engine = Engine(load_default_rules())
    for text in ("@anna @ben lmaooooo epic bird wins.",
                 "<@123456789012345678> <@223456789012345678> enjoy http://t.co/tKM8l9Ty",
                 "@you_you_you thanks, see you at the meetup"):  # fmt: skip
        assert _check(engine, text)[0] == Action.NONE, text
    # what the member wrote around them is still read
    text = "@anna We have people in Croydon too, Jenkins. Sleep well."
    assert _check(engine, text) == (Action.HOLD, ["learned-signal"])


def test_a_rule_in_shadow_mode_keeps_the_model_out() -> None:
    rules = load_default_rules().with_overrides(
        {"rules": [{"id": "personal-insults", "mode": "shadow"}]}
    )
    verdict = Engine(rules).check(MessageContext(text="you are an idiot"), track=False)
    assert verdict.action == Action.NONE and verdict.hits == []
    assert [h.rule_id for h in verdict.shadow_hits] == ["personal-insults"]


def test_character_grams_cross_word_boundaries_and_are_marked() -> None:
    feats = features(["ur", "a", "clown"], (4,))
    assert "ur a clown" not in feats  # pairs only, no triples
    assert {"ur a", "a clown"} <= set(feats)
    # the grams of " ur a clown ": one crosses two word boundaries, and all carry the mark
    assert {"~ ur ", "~ur a", "~r a ", "~ a c", "~clow", "~lown", "~own "} <= set(feats)
    model = LinearModel(0.0, {"~clow": 2.0, "clown": 1.0}, 0, (4,))
    n = len(features(["ur", "a", "clown"], (4,)))
    assert model.logit(["ur", "a", "clown"]) == pytest.approx(3.0 / n**0.5)
    assert model.reasons(["ur", "a", "clown"]) == ["clown"]  # grams are not shown as reasons
    # the shipped model round-trips through its JSON form with its gram lengths
    again = LinearModel.from_json(model.to_json())
    assert again.char_ngrams == (4,) and again.logit(["ur", "a", "clown"]) == pytest.approx(
        model.logit(["ur", "a", "clown"])
    )


def test_grams_within_words_stay_inside_each_word() -> None:
    tokens = ["ur", "a", "clown"]
    feats = features(tokens, (4,), within_words=True)
    assert {"~ ur ", "~clow", "~own "} <= set(feats) and "~ur a" not in feats
    model = LinearModel(0.5, {"~clow": 2.0, "~ur a": 9.0, "a clown": 1.0}, 0, (4,), True)
    # the fast path (per token and pair) counts the same features as `features`
    assert model.logit(tokens) == pytest.approx(0.5 + 3.0 / len(feats) ** 0.5)
    again = LinearModel.from_json(model.to_json())
    assert again.within_words and again.logit(tokens) == pytest.approx(model.logit(tokens))


def test_one_or_two_words_are_not_scored() -> None:
    # a model that scores every message as incivility still leaves "LOL" and "look here" alone
    engine = Engine(load_default_rules())
    eager = LinearModel(30.0, {}, 0, (4,))
    engine._learned = [(i, eager, c, k, lo, hi) for i, _, c, k, lo, hi in engine._learned]
    assert _check(engine, "LOL")[0] == Action.NONE
    assert _check(engine, "look here")[0] == Action.NONE
    assert _check(engine, "look here please")[0] == Action.HOLD
    # the count is of the words the model reads: mentions and links are not among them
    assert (
        _check(engine, "<@123456789012345678> <@223456789012345678> enjoy http://t.co/x")[0]
        == Action.NONE
    )
    assert _check(engine, "@anna look here please")[0] == Action.HOLD


def test_the_writer_telling_of_others_is_left_to_the_rules() -> None:
    # a model that scores every message as incivility: its words weigh the same in "I'll shoot
    # him an email" and "I'll shoot you an email", but only the second speaks to someone
    engine = Engine(load_default_rules())
    eager = LinearModel(30.0, {}, 0, (4,))
    engine._learned = [(i, eager, c, k, lo, hi) for i, _, c, k, lo, hi in engine._learned]
    for text in ("I'll send him the minutes tomorrow",
                 "je lui ai envoyé le mail ce matin",
                 "ich habe ihn gestern getroffen"):  # fmt: skip
        assert _check(engine, text)[0] == Action.NONE, text
    for text in (
        "I'll send you the minutes tomorrow",  # the reader
        "hou je mond nou eens",  # Dutch "je" is the reader, not the writer
        "I met him yesterday, Jenkins.",  # a name called
        "@anna I met him yesterday",  # a mention
        "he posts the same thing every day",
    ):  # no writer: third persons only
        assert _check(engine, text)[0] == Action.HOLD, text
