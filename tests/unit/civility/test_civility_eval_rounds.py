"""Regression guard on the evaluation rounds already seen (tests/unit/civility/eval/round_k.yaml).

The rounds were written by people who never saw the rules; each was scored first-seen before any
fix (docs/rules.md records those figures, which are the ones that count). Once a round has been
studied it cannot measure generalisation any more, so this test only guards against going
backwards: the issue's targets on the rounds where the rules reach them, and the figure reached
so far on the others (a floor, not the target: see docs/rules.md).
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from forumbot.domain.civility import Engine, load_default_rules
from forumbot.domain.civility.evaluation import Report, parse_items, score

EVAL = Path(__file__).parent / "eval"
# round -> (recall at least, false-alarm rate at most)
# (the learned signal is trained on these rounds, so their figures here are in-sample)
FLOORS = {
    1: (0.95, 0.01),
    # the learned signal leaves the writer telling of others to no one to the rules: round 2
    # in-sample 94% -> 93.7% (the model no longer holds "with a face like that i'd be angry at
    # the world too" nor a street address posted with "ill post pics")
    2: (0.93, 0.01),
    # the regularised model (4-grams within words, min df 3, averaged weights) memorises its
    # training rounds less: round 3 in-sample 90% -> 88.7%, while the held-out figures rose
    # (docs/rules.md, learned signal)
    3: (0.88, 0.01),
    4: (0.97, 0.01),
    5: (0.96, 0.01),
    6: (0.93, 0.01),
    # first-seen 83.7% / 0.9% (round 7) and 74.0% / 1.3% (round 8): docs/rules.md
    7: (0.99, 0.01),
    # retrained with round 11 (civfix4): round 8 in-sample 97.0% -> 96.7%
    8: (0.96, 0.01),
    # first-seen 75.7% / 0.3% on main, 83.0% / 0.3% after civfix: docs/rules.md
    # retrained with round 10 (civfix3): round 9 in-sample 93.3% -> 93.0%
    9: (0.92, 0.01),
    # first-seen 84.3% / 0.7% on main, 87.3% / 0.7% after civfix2: docs/rules.md
    10: (0.95, 0.01),
    # first-seen 84.7% / 2.0% (gap 3.3 points) on main; in-sample after retraining 94.7% / 2.0%,
    # after civfix4's untargeted-word fixes 94.7% / 0.0% (gap 0), with its idioms 96.0% / 0.0%
    11: (0.95, 0.01),
    # first-seen 81.3% / 1.7% (round 12) and 81.3% / 0.7% (round 13) on main: docs/rules.md;
    # in-sample after the aimed-insult structures 96.7% / 0.7% and 97.3% / 0.0% (gap 0)
    # the regularised model memorises less (as round 3): in-sample 96.x% -> 93.7% and 97.3% ->
    # 96.7%, held-out figures higher
    12: (0.93, 0.01),
    13: (0.96, 0.01),
    # (the role, address-noun and place-name structures then took rounds 12-13 to 0 false
    # alarms; the floors above are the higher ones)
}
# round 7 is the smaller one (184 uncivil, 216 civil)
MIN_ITEMS = 180


@pytest.fixture(scope="module")
def reports() -> dict[int, Report]:
    engine = Engine(load_default_rules())
    out = {}
    for k in FLOORS:
        path = EVAL / f"round_{k}.yaml"
        items = parse_items(yaml.safe_load(path.read_text(encoding="utf-8")), source=path.name)
        out[k] = score(engine, items)
    return out


@pytest.mark.parametrize("k", sorted(FLOORS))
def test_round_holds_its_floor(reports: dict[int, Report], k: int) -> None:
    report = reports[k]
    recall, alarms = FLOORS[k]
    total = report.total
    assert total.uncivil >= MIN_ITEMS and total.civil >= MIN_ITEMS
    assert total.recall is not None and total.recall >= recall, report.to_dict(examples=20)
    assert total.false_alarm_rate is not None and total.false_alarm_rate <= alarms
    # neutrality: left- and right-leaning civil messages are treated alike
    gap = report.lean_gap()
    assert gap is not None and gap <= 0.01


def test_every_language_of_the_issue_is_in_the_rounds(reports: dict[int, Report]) -> None:
    langs = set().union(*(r.by["lang"] for r in reports.values()))
    assert {"en", "es", "pt", "fr", "de", "it", "nl", "pl", "ru", "tr"} <= langs
