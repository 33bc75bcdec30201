"""`forumbot rules backtest` over a real migrated SQLite archive."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from click.testing import CliRunner

import forumbot.cli.backtest  # noqa: F401  registers `rules backtest` on the group
from forumbot.cli import main
from forumbot.domain.article import ParsedArticle, ParsedComment
from forumbot.storage.archive import ArchiveRepository
from forumbot.storage.db import make_engine, make_sessionmaker
from tests.unit.moderation.conftest import RULES_YAML


def _seed(url: str) -> None:
    async def go() -> None:
        engine = make_engine(url)
        try:
            async with make_sessionmaker(engine)() as session, session.begin():
                await ArchiveRepository(session).save_article(
                    ParsedArticle(
                        key="k",
                        title="Essay",
                        paragraphs=("A calm paragraph.", "Another calm paragraph."),
                        comments=(ParsedComment(1, "You are an idiot, sir.", "troll"),),
                    )
                )
        finally:
            await engine.dispose()

    asyncio.run(go())


def test_backtest_json_and_text(sqlite_url: str, tmp_path: Path) -> None:
    _seed(sqlite_url)
    rules = tmp_path / "rules.yaml"
    rules.write_text(RULES_YAML, encoding="utf-8")
    runner = CliRunner()
    result = runner.invoke(
        main, ["rules", "backtest", str(rules), "--json", "--database-url", sqlite_url]
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["total"] == 3 and data["by_action"] == {"hold": 1}
    assert data["summary"] == ["would hold 1 of 3"]
    assert data["examples"][0]["where"] == "comment: Essay #1"

    text = runner.invoke(main, ["rules", "backtest", "--database-url", sqlite_url])
    assert text.exit_code == 0, text.output
    assert "Backtest of" in text.output and "of 3" in text.output


def test_backtest_reports_bad_rules_in_one_line(sqlite_url: str, tmp_path: Path) -> None:
    rules = tmp_path / "bad.yaml"
    rules.write_text("rules:\n  - id: x\n    kind: words\n", encoding="utf-8")
    result = CliRunner().invoke(
        main, ["rules", "backtest", str(rules), "--database-url", sqlite_url]
    )
    assert result.exit_code == 1
    assert "invalid rules" in result.output and "Traceback" not in result.output
    missing = CliRunner().invoke(
        main, ["rules", "backtest", str(tmp_path / "nope.yaml"), "--database-url", sqlite_url]
    )
    assert missing.exit_code == 1 and "cannot read" in missing.output


def test_backtest_reads_an_overrides_file_like_rules_check(sqlite_url: str, tmp_path: Path) -> None:
    _seed(sqlite_url)
    overrides = tmp_path / "overrides.yaml"
    overrides.write_text("rules:\n  - id: personal-insults\n    action: log\n", encoding="utf-8")
    runner = CliRunner()
    result = runner.invoke(
        main, ["rules", "backtest", str(overrides), "--json", "--database-url", sqlite_url]
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert len(data["rules"]) > 10  # the shipped pack, with the one rule changed
    assert data["by_rule"]["personal-insults"] == {"log": 1}
    forced = runner.invoke(
        main,
        [
            "rules",
            "backtest",
            str(overrides),
            "--overrides",
            "--json",
            "--database-url",
            sqlite_url,
        ],
    )
    assert forced.exit_code == 0, forced.output
    assert json.loads(forced.output)["by_rule"] == data["by_rule"]
