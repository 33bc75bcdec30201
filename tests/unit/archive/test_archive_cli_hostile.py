"""`forumbot load` against the files fuzzing found (issue 11): one line per bad file, escaped
names, the good files of the same command still loaded."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from forumbot.cli import main
from forumbot.config import get_settings

GOOD = "Dock notes\n\nThe cranes moved again on Monday after a week of silence.\n"


@pytest.fixture
def cli_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("FORUMBOT_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'cli.sqlite3'}")
    monkeypatch.setenv("FORUMBOT_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.chdir(tmp_path)
    get_settings.cache_clear()
    yield tmp_path
    get_settings.cache_clear()


def run(*args: str) -> Result:
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    assert "Traceback" not in result.output
    return result


def test_empty_path_is_an_error_not_the_current_directory(cli_env: Path) -> None:
    (cli_env / "stray.txt").write_text(GOOD)
    result = run("load", "")
    assert result.exit_code == 1
    assert "error: '': empty path" in result.stderr
    assert "0 loaded" in result.stdout


def test_newline_in_a_file_name_cannot_forge_error_lines(cli_env: Path) -> None:
    docs = cli_env / "docs"
    docs.mkdir()
    (docs / "a\nerror: forged.txt").write_bytes(b"")  # empty: an error naming the file
    result = run("load", str(docs))
    assert result.exit_code == 1
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1
    assert "a\\nerror: forged.txt: empty file" in errors[0]


def test_non_utf8_file_name_loads_and_is_shown_escaped(cli_env: Path) -> None:
    docs = cli_env / "docs"
    docs.mkdir()
    name = os.fsdecode(b"caf\xe9.txt")
    (docs / name).write_text(GOOD)
    result = run("load", str(docs), "--json")
    assert result.exit_code == 0, result.output
    (item,) = json.loads(result.stdout)["loaded"]
    assert item["path"].endswith("caf\\xe9.txt")
    assert item["key"] == "caf\\xe9"


def test_a_file_that_breaks_a_parser_fails_alone(cli_env: Path) -> None:
    docs = cli_env / "docs"
    docs.mkdir()
    (docs / "a_good.txt").write_text(GOOD)
    bomb = "<html><head><script type='application/ld+json'>" + "[" * 100_000 + "</script>"
    (docs / "b_bomb.html").write_text(bomb + "<body><p>" + "Some words here. " * 20 + "</p>")
    (docs / "c_laughs.md").write_text("---\na: &a [x, x]\nb: &b [*a, *a]\ndate: *b\n---\nBody.\n")
    (docs / "d_broken.txt").write_bytes("Café naïve résumé\n".encode() + b"\xff\n")
    result = run("load", str(docs), "--json")
    report = json.loads(result.stdout)
    assert result.exit_code == 1
    assert sorted(Path(item["path"]).name for item in report["loaded"]) == [
        "a_good.txt",
        "b_bomb.html",
    ]
    errors = {Path(e["path"]).name: e["error"] for e in report["errors"]}
    assert errors == {
        "c_laughs.md": "front matter: YAML aliases (*name) are not allowed",
        "d_broken.txt": "invalid UTF-8 at line 2 (byte offset 22); save the file as UTF-8",
    }
