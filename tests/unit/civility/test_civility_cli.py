"""`forumbot rules check` through click's CliRunner."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from forumbot.cli import main

LINES = [
    "hello comrades",
    "you are an idiot",
    json.dumps({"text": "kill yourself", "author_id": "5"}),
    "{not json, just braces}",
    "cope and seethe",
    "",
]


def test_json_output_one_object_per_line_in_order() -> None:
    result = CliRunner().invoke(
        main, ["rules", "check", "-", "--json"], input="\n".join(LINES) + "\n"
    )
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(rows) == len(LINES)
    assert rows[0] == {"action": "none", "rules": [], "guideline": None}
    assert rows[1] == {
        "action": "hold",
        "rules": ["personal-insults"],
        "guideline": "no personal attacks",
    }
    assert rows[2]["action"] == "remove" and rows[2]["rules"] == ["incitement-to-self-harm"]
    assert rows[3]["action"] == "none"  # braces but not JSON: checked as plain text
    assert rows[4] == {"action": "none", "rules": [], "guideline": None}  # a shadow hit only
    assert rows[5] == {"action": "none", "rules": [], "guideline": None}
    assert all(list(row) == ["action", "rules", "guideline"] for row in rows)


def test_shadow_flag_adds_the_shadow_rules() -> None:
    result = CliRunner().invoke(
        main, ["rules", "check", "--json", "--shadow"], input="hello\ncope and seethe\n"
    )
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert rows[0]["shadow_rules"] == []
    assert rows[1]["action"] == "none" and rows[1]["shadow_rules"] == ["rude-dismissals"]


def test_human_output_and_file_argument(tmp_path: Path) -> None:
    source = tmp_path / "msgs.txt"
    source.write_text("you absolute muppet\nnice summary, thanks\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["rules", "check", str(source)])
    assert result.exit_code == 0, result.output
    assert "1: HOLD" in result.stdout and "personal-insults" in result.stdout
    assert "2: NONE" in result.stdout


def test_rules_file_as_overrides_and_as_full_pack(tmp_path: Path) -> None:
    overrides = tmp_path / "overrides.yaml"
    overrides.write_text("rules:\n  - id: personal-insults\n    action: log\n", encoding="utf-8")
    result = CliRunner().invoke(
        main, ["rules", "check", "--rules", str(overrides), "--json"], input="you are an idiot\n"
    )
    assert json.loads(result.stdout)["action"] == "log"

    full = tmp_path / "full.yaml"
    full.write_text(
        "rules:\n  - {id: bananas, kind: words, guideline: be civil, action: nudge,"
        " words: [banana]}\n",
        encoding="utf-8",
    )
    result = CliRunner().invoke(
        main, ["rules", "check", "--rules", str(full), "--json"], input="banana\nyou are an idiot\n"
    )
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert rows == [
        {"action": "nudge", "rules": ["bananas"], "guideline": "be civil"},
        {"action": "none", "rules": [], "guideline": None},
    ]


def test_invalid_rules_file_gives_a_short_error_not_a_traceback(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "rules:\n  - {id: x, kind: regex, guideline: g, action: zap, patterns: ['(a']}\n"
    )
    result = CliRunner().invoke(main, ["rules", "check", "--rules", str(bad)], input="hi\n")
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert "rule 'x': field 'action'" in result.stderr
    assert "not valid RE2" in result.stderr
    missing = CliRunner().invoke(main, ["rules", "check", "--rules", str(tmp_path / "nope.yaml")])
    assert missing.exit_code == 1 and "cannot read rules file" in missing.stderr


def test_non_utf8_input_is_a_short_error(tmp_path: Path) -> None:
    source = tmp_path / "latin1.txt"
    source.write_bytes("caf\xe9 au lait\n".encode("latin-1"))
    result = CliRunner().invoke(main, ["rules", "check", str(source)])
    assert result.exit_code == 1
    assert "not UTF-8" in result.stderr and "Traceback" not in result.output
