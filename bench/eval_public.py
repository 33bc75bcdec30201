"""Score the civility rules on public labelled corpora (evaluation only; never committed).

Each corpus labels *hate* or *offence*, not exactly our notion of incivility (treating a
participant badly), so the mapping is stated per source and figures are broken down by the
corpus's own categories:

* HateCheck (Röttger et al., ACL 2021; github.com/paul-rottger/hatecheck-data, CC-BY-4.0):
  `test_suite_cases.csv`; label_gold hateful -> uncivil, non-hateful -> civil; kind = the
  functional test (e.g. threat_dir_h, slur_h, spell_leet_h, counter_quote_nh).
* Multilingual HateCheck (Röttger et al., WOAH 2022; github.com/rewire-online/multilingual-
  hatecheck, CC-BY-4.0): `MHC Final Cases/hatecheck_cases_final_<language>.csv`, same mapping,
  lang = the file's language.
* Davidson et al. (ICWSM 2017; github.com/t-davidson/hate-speech-and-offensive-language, MIT):
  `data/labeled_data.csv`; class 0 (hate) and 1 (offensive) -> uncivil with kind hate /
  offensive, class 2 (neither) -> civil. Much "offensive" there is untargeted profanity, which
  our rules deliberately leave alone, so read its recall per kind.

    .venv/bin/python bench/eval_public.py --hatecheck DIR --mhc DIR --davidson FILE [--sample N]

For the two HateCheck suites a `summary` reads their functional tests in our terms: `threats`
(threat_dir_h, threat_norm_h: recall), `group_abuse` (every other hateful test: recall),
`individual_abuse` (target_indiv_nh: "you are a complete idiot", non-hateful to HateCheck but a
personal attack to us: recall), `other_group_abuse` (target_group_nh: "death to all capitalists",
abuse of a group that is not protected, which is still incivility to us: recall) and
`false_alarms` (every other non-hateful test: counter-speech,
reclaimed slurs, homonyms, untargeted profanity, abuse of objects). The same four figures per
language for Multilingual HateCheck.

Prints one JSON document: per source, the scorer's totals and breakdowns.
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from forumbot.domain.civility import Engine, load_default_rules  # noqa: E402
from forumbot.domain.civility.evaluation import EvalItem, score  # noqa: E402

MHC_LANGS = {"dutch": "nl", "french": "fr", "german": "de", "italian": "it", "polish": "pl",
             "portuguese": "pt", "spanish": "es", "arabic": "ar", "hindi": "hi",
             "mandarin": "zh"}  # fmt: skip


def _hatecheck_item(row: dict[str, str], lang: str) -> EvalItem:
    return EvalItem(
        text=row["test_case"].strip(),
        label="uncivil" if row["label_gold"] == "hateful" else "civil",
        kind=row["functionality"],
        lang=lang,
    )


def hatecheck(path: Path) -> list[EvalItem]:
    with (path / "test_suite_cases.csv").open(encoding="utf-8") as f:
        return [_hatecheck_item(row, "en") for row in csv.DictReader(f)]


def mhc(path: Path) -> list[EvalItem]:
    items = []
    for file in sorted((path / "MHC Final Cases").glob("hatecheck_cases_final_*.csv")):
        lang = MHC_LANGS.get(file.stem.rsplit("_", 1)[-1], file.stem)
        with file.open(encoding="utf-8") as f:
            items += [_hatecheck_item(row, lang) for row in csv.DictReader(f)]
    return items


def davidson(path: Path) -> list[EvalItem]:
    kinds = {"0": "hate", "1": "offensive", "2": "neither"}
    with path.open(encoding="utf-8") as f:
        return [
            EvalItem(
                text=row["tweet"],
                label="civil" if row["class"] == "2" else "uncivil",
                kind=kinds[row["class"]],
                lang="en",
            )
            for row in csv.DictReader(f)
        ]


def _family(kind: str) -> str:
    if kind.startswith("threat_"):
        return "threats"
    if kind == "target_indiv_nh":
        return "individual_abuse"
    if kind == "target_group_nh":
        return "other_group_abuse"
    return "group_abuse" if kind.endswith("_h") else "false_alarms"


def summary(engine: Engine, items: list[EvalItem]) -> dict[str, Any]:
    """The four HateCheck families in our terms, overall and per language."""
    from forumbot.domain.civility.actions import Action
    from forumbot.domain.civility.engine import MessageContext

    counts: dict[str, dict[str, list[int]]] = {}
    for item in items:
        caught = engine.check(MessageContext(text=item.text), track=False).action >= Action.NUDGE
        for lang in ("all", item.lang):
            tally = counts.setdefault(lang, {}).setdefault(_family(item.kind), [0, 0])
            tally[0] += caught
            tally[1] += 1
    return {
        lang: {fam: {"rate": round(c / n, 4), "of": n} for fam, (c, n) in sorted(fams.items())}
        for lang, fams in counts.items()
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--hatecheck", type=Path, help="checkout of paul-rottger/hatecheck-data")
    ap.add_argument("--mhc", type=Path, help="checkout of rewire-online/multilingual-hatecheck")
    ap.add_argument("--davidson", type=Path, help="labeled_data.csv of t-davidson/...")
    ap.add_argument("--sample", type=int, default=0, help="score a random sample of N per source")
    ap.add_argument("--rules", type=Path, help="a full rule pack (default: the shipped pack)")
    args = ap.parse_args()
    from forumbot.domain.civility import RuleSet

    rules = (
        RuleSet.from_yaml(args.rules.read_text(encoding="utf-8"))
        if args.rules
        else load_default_rules()
    )
    engine = Engine(rules)
    out: dict[str, Any] = {"date": time.strftime("%Y-%m-%d"), "sources": {}}
    for name, loader, path in (
        ("hatecheck", hatecheck, args.hatecheck),
        ("multilingual-hatecheck", mhc, args.mhc),
        ("davidson", davidson, args.davidson),
    ):
        if path is None:
            continue
        items = loader(path)
        if args.sample and len(items) > args.sample:
            items = random.Random(1).sample(items, args.sample)
        report = score(engine, items)
        data = report.to_dict()
        data["by"] = {k: v for k, v in data["by"].items() if k in ("kind", "lang")}
        if name != "davidson":
            data["summary"] = summary(engine, items)
        out["sources"][name] = data
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
