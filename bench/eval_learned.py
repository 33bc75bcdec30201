"""Leave-one-round-out for the learned signal: how it does on a round it was not trained on.

For each evaluation round k, the model is trained on everything `make civility-model` uses
except round k (the corpus, the other rounds, tests/unit/civility/train/), then round k is
scored three ways: the rules alone (learned-signal off), the model alone (its threshold and
token limit, nothing else), and the rules with that model. The rules themselves were fixed
after studying every round, so the "rules" and "rules + model" figures flatter them; the
"model alone" column is the honest one, and the first-seen figures in docs/rules.md are the
ones that count.

    .venv/bin/python bench/eval_learned.py [--threshold 0.9]

Prints one JSON document.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from forumbot.domain.civility import Action, Engine, MessageContext, load_default_rules  # noqa: E402
from forumbot.domain.civility.evaluation import EvalItem, parse_items  # noqa: E402
from forumbot.domain.civility.learned import tokens_of, train  # noqa: E402

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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--threshold", type=float, default=None, help="default: the pack's")
    args = parser.parse_args()
    pack = load_default_rules()
    rule = pack.get("learned-signal")
    assert rule is not None
    threshold = args.threshold or rule.params["threshold"]
    max_tokens = rule.params["max_tokens"]
    cut = math.log(threshold / (1 - threshold))
    off = {"rules": [{"id": "learned-signal", "enabled": False}]}
    rules_only = Engine(pack.with_overrides(off))
    rounds = sorted((HERE / "eval").glob("round_*.yaml"))
    others = [HERE / "civility_corpus.yaml", *sorted((HERE / "train").glob("*.yaml"))]
    out: dict[str, Any] = {"threshold": threshold, "max_tokens": max_tokens, "rounds": {}}
    t0 = time.process_time()
    for held in rounds:
        items = _load(held)
        training = [i for p in others + [r for r in rounds if r != held] for i in _load(p)]
        model = train((tokens_of(i.text), i.label == "uncivil") for i in training)
        by_rules = [
            rules_only.check(MessageContext(text=i.text), track=False).action >= Action.NUDGE
            for i in items
        ]
        by_model = []
        for i in items:
            tokens = tokens_of(i.text)
            by_model.append(len(tokens) <= max_tokens and model.logit(tokens) >= cut)
        out["rounds"][held.stem] = {
            "trained_on": model.trained_on,
            "rules": _rates(by_rules, items),
            "model_alone": _rates(by_model, items),
            # an upper bound of rules + model: the engine runs the model only where no rule hit
            "rules_or_model": _rates(
                [a or b for a, b in zip(by_rules, by_model, strict=True)], items
            ),
        }
    out["cpu_seconds"] = round(time.process_time() - t0, 1)
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
