"""The evaluation scorer (`forumbot rules score`) on small hand-made files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from forumbot.cli import main
from forumbot.domain.civility import Action, Engine, load_default_rules
from forumbot.domain.civility.evaluation import EvalFileError, parse_items, score

ITEMS = [
    {"text": "you are an idiot", "label": "uncivil", "kind": "insult", "lang": "en"},
    {"text": "what a lovely day", "label": "uncivil", "kind": "insult", "lang": "en"},
    {"text": "kill yourself", "label": "uncivil", "kind": "threat", "lang": "en",
     "max_action": "hold"},
    {"text": "taxes should be lower", "label": "civil", "kind": "political", "lang": "en",
     "lean": "right"},
    {"text": "you are a liar", "label": "civil", "kind": "political", "lang": "en",
     "lean": "left"},
    {"text": "i d i o t", "label": "uncivil", "kind": "insult", "lang": "en",
     "evasion": "spaced", "min_action": "remove"},
]  # fmt: skip


def test_score_counts_recall_false_alarms_bounds_and_breakdowns() -> None:
    report = score(Engine(load_default_rules()), parse_items(ITEMS))
    t = report.total
    assert (t.uncivil, t.caught, t.civil, t.alarms) == (4, 3, 2, 1)
    assert t.violations == 2  # kill yourself removed (> hold); spaced idiot held (< remove)
    assert report.by["kind"]["insult"].caught == 2
    assert report.by["lean"]["left"].alarms == 1 and report.by["lean"]["right"].alarms == 0
    assert report.lean_gap() == 1.0
    data = report.to_dict(examples=5)
    assert [m["text"] for m in data["missed_examples"]] == ["what a lovely day"]
    assert [m["text"] for m in data["false_alarm_examples"]] == ["you are a liar"]
    whys = {v["why"] for v in data["violation_examples"]}
    assert whys == {"remove > max hold", "hold < min remove"}


@pytest.mark.parametrize(
    ("data", "needle"),
    [
        ("not a list", "must be a YAML list"),
        ([{"text": "", "label": "civil"}], "'text' must be a non-empty string"),
        ([{"text": "x", "label": "rude"}], "'label' must be civil or uncivil"),
        ([{"text": "x", "label": "civil", "min_action": "smite"}], "'min_action' must be one"),
        ([42], "must be a mapping"),
    ],
)
def test_bad_items_are_reported(data: object, needle: str) -> None:
    with pytest.raises(EvalFileError, match=needle):
        parse_items(data)


def test_cli_json_and_human(tmp_path: Path) -> None:
    path = tmp_path / "round.yaml"
    path.write_text(yaml.safe_dump(ITEMS), encoding="utf-8")
    result = CliRunner().invoke(main, ["rules", "score", str(path), "--json", "--examples", "3"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["uncivil"] == 4 and data["caught"] == 3 and data["false_alarms"] == 1
    assert data["by"]["evasion"]["spaced"]["bound_violations"] == 1
    human = CliRunner().invoke(main, ["rules", "score", str(path)])
    assert human.exit_code == 0 and "by lang:" in human.stdout and "gap: 100.0" in human.stdout


def test_cli_bad_files_get_one_line_errors(tmp_path: Path) -> None:
    binary = tmp_path / "bin.yaml"
    binary.write_bytes(b"\xff\xfe\x00junk")
    broken = tmp_path / "broken.yaml"
    broken.write_text("- text: [unclosed\n", encoding="utf-8")
    for path, needle in ((binary, "not UTF-8"), (broken, "YAML syntax error"),
                         (tmp_path / "missing.yaml", "cannot read")):  # fmt: skip
        result = CliRunner().invoke(main, ["rules", "score", str(path)])
        assert result.exit_code == 1 and needle in result.stderr, result.output
        assert "Traceback" not in result.output


def test_action_bounds_parse() -> None:
    (item,) = parse_items([{"text": "x", "label": "civil", "max_action": "LOG", "lean": True}])
    assert item.max_action is Action.LOG and item.lean == "yes"
