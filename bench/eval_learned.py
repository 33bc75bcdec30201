"""Leave-one-round-out for the learned signal: how it does on a round it was not trained on.

For each evaluation round k, the model is trained on everything `make civility-model` uses
except round k (the corpus, the other rounds, tests/unit/civility/train/), then round k is
scored three ways: the rules alone (learned-signal off), the model alone (its threshold and
token limit, nothing else), and the rules with that model. The rules themselves were fixed
after studying every round, so the "rules" and "rules + model" figures flatter them; the
"model alone" column is the honest one, and the first-seen figures in docs/rules.md are the
ones that count.

    .venv/bin/python bench/eval_learned.py [--threshold 0.9] [--sweep] [--folds 4]

With --folds K the batches are dealt round-robin into K folds, each held out in turn (K
trainings instead of one per batch: a quicker, slightly harsher estimate for comparing options).

With --sweep it also prints, for a range of thresholds, the pooled held-out recall and false
alarms of the model alone and of rules-or-model: that is how the pack's threshold is chosen
(the highest recall whose pooled held-out false alarms of the model alone stay at or under
0.5%, so that rules and model together stay under the 1% target).

Prints one JSON document.
"""

from __future__ import annotations

import argparse
import json
import math
import re
import sys
import time
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from forumbot.domain.civility import Action, Engine, MessageContext, load_default_rules  # noqa: E402
from forumbot.domain.civility.engine import speaks_to_someone, tells_of_others  # noqa: E402
from forumbot.domain.civility.evaluation import EvalItem, parse_items  # noqa: E402
from forumbot.domain.civility.learned import civil_paragraphs, tokens_of, train  # noqa: E402
from forumbot.domain.civility.normalise import normalise  # noqa: E402

HERE = ROOT / "tests" / "unit" / "civility"


def _load(path: Path) -> list[EvalItem]:
    return parse_items(yaml.safe_load(path.read_text(encoding="utf-8")), source=path.name)


def _rates(flags: list[bool], items: list[EvalItem]) -> dict[str, Any]:
    unc = [f for f, i in zip(flags, items, strict=True) if i.label == "uncivil"]
    civ = [f for f, i in zip(flags, items, strict=True) if i.label == "civil"]
    return {
        "recall": round(sum(unc) / len(unc), 4),
        "caught": sum(unc),
        "uncivil": len(unc),
        "false_alarm_rate": round(sum(civ) / len(civ), 4),
        "false_alarms": sum(civ),
        "civil": len(civ),
    }


def _held_out(
    model: Any,
    held: Path,
    rules_only: Engine,
    params: dict[str, Any],
    cut: float,
    pooled: list[tuple[bool, bool, float, bool, bool]],
) -> dict[str, Any]:
    """Round `held` scored by the rules alone, the model alone and both (appends to pooled)."""
    items = _load(held)
    min_tokens, max_tokens = params["min_tokens"], params["max_tokens"]
    by_rules = [
        rules_only.check(MessageContext(text=i.text), track=False).action >= Action.NUDGE
        for i in items
    ]
    by_model = []
    for i, ruled in zip(items, by_rules, strict=True):
        tokens = tokens_of(i.text)
        z = model.logit(tokens) if min_tokens <= len(tokens) <= max_tokens else -math.inf
        by_model.append(z >= cut)
        # the engine's gate (the writer telling of others is left alone), and a stricter one
        # measured for comparison (the model holds only a message that speaks to someone)
        toks = re.findall(r"[a-z0-9*]+", normalise(i.text))
        pooled.append((i.label == "uncivil", ruled, z, not tells_of_others(i.text, toks),
                       speaks_to_someone(i.text, toks)))  # fmt: skip
    return {
        "trained_on": model.trained_on,
        "rules": _rates(by_rules, items),
        "model_alone": _rates(by_model, items),
        # an upper bound of rules + model: the engine runs the model only where no rule hit
        "rules_or_model": _rates([a or b for a, b in zip(by_rules, by_model, strict=True)], items),
    }  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--threshold", type=float, default=None, help="default: the pack's")
    parser.add_argument("--sweep", action="store_true", help="pooled figures per threshold")
    parser.add_argument("--folds", type=int, default=0, help="default: one per batch")
    args = parser.parse_args()
    sweep = (0.6, 0.65, 0.7, 0.75, 0.8, 0.82, 0.85, 0.88, 0.9, 0.92, 0.94, 0.95, 0.96, 0.97)
    # (uncivil, rules hit, model logit, passes the engine's gate, speaks to someone)
    pooled: list[tuple[bool, bool, float, bool, bool]] = []
    pack = load_default_rules()
    rule = pack.get("learned-signal")
    assert rule is not None
    threshold = args.threshold or rule.params["threshold"]
    max_tokens = rule.params["max_tokens"]
    cut = math.log(threshold / (1 - threshold))
    off = {"rules": [{"id": "learned-signal", "enabled": False}]}
    rules_only = Engine(pack.with_overrides(off))
    # every batch written blind to the rules is a fold: the evaluation rounds and the blind
    # training batches (train/train_k.yaml); the rest is always trained on
    blind = sorted((HERE / "train").glob("train_*.yaml"))
    rounds = sorted((HERE / "eval").glob("round_*.yaml")) + blind
    others = [
        HERE / "civility_corpus.yaml",
        *(p for p in sorted((HERE / "train").glob("*.yaml")) if p not in blind),
    ]
    seeds = civil_paragraphs(ROOT / "seeds")  # make civility-model trains on them too
    out: dict[str, Any] = {"threshold": threshold, "max_tokens": max_tokens, "rounds": {}}
    t0 = time.process_time()
    k = args.folds or len(rounds)
    for fold in range(k):
        held_out = rounds[fold::k]
        training = [i for p in others + [r for r in rounds if r not in held_out] for i in _load(p)]
        model = train(
            [(tokens_of(i.text), i.label == "uncivil") for i in training]
            + [(tokens, False) for tokens in seeds]
        )
        for held in held_out:
            out["rounds"][held.stem] = _held_out(model, held, rules_only, rule.params, cut, pooled)
    out["rounds"] = {r.stem: out["rounds"][r.stem] for r in rounds}
    if args.sweep:
        table = {}
        for th in sweep:
            c = math.log(th / (1 - th))
            row = {}
            for name, g in (("_ungated", -1), ("", 0), ("_spoken_to_only", 1)):
                unc = [(r, z >= c and (g < 0 or a[g])) for u, r, z, *a in pooled if u]
                civ = [(r, z >= c and (g < 0 or a[g])) for u, r, z, *a in pooled if not u]
                row["model_alone" + name] = [
                    round(sum(m for _, m in unc) / len(unc), 4),
                    round(sum(m for _, m in civ) / len(civ), 4),
                ]
                row["rules_or_model" + name] = [
                    round(sum(r or m for r, m in unc) / len(unc), 4),
                    round(sum(r or m for r, m in civ) / len(civ), 4),
                ]
            table[str(th)] = row  # fmt: skip
        out["sweep_recall_false_alarms"] = table
    out["cpu_seconds"] = round(time.process_time() - t0, 1)
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
