"""`forumbot rules backtest [RULES.yaml]`: what a rule set would have done to the archive.

Runs every rule (shadow ones included, as if enforced) over the archive's passages, its imported
reader comments and the comments recorded from article threads, and prints "would hold 3 of
1,240" lines with examples (or JSON with --json).
"""

from __future__ import annotations

import logging
from collections.abc import Coroutine
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from forumbot.cli.app import emit_json, fail, run_or_fail
from forumbot.cli.rules import rules as rules_group

if TYPE_CHECKING:
    from forumbot.domain.civility.rules import RuleSet

T = TypeVar("T")


@rules_group.command("backtest")
@click.argument("rules_file", required=False, type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--overrides",
    "as_overrides",
    is_flag=True,
    help="Treat RULES.yaml as overrides of the shipped rule pack (as /rules set stores them) "
    "even when every rule in it names its kind. Without it, a file is a complete rule set when "
    "every rule names its kind, and overrides otherwise (as for `rules check --rules`).",
)
@click.option("--rule", "rule_id", default=None, metavar="ID", help="Backtest only this rule.")
@click.option(
    "--guild",
    "guild_id",
    type=int,
    default=None,
    help="Only this guild's recorded comments, and its stored rules unless RULES.yaml is given.",
)
@click.option("--examples", default=3, show_default=True, help="Examples shown per rule.")
@click.option(
    "--database-url",
    envvar="FORUMBOT_DATABASE_URL",
    default=None,
    metavar="URL",
    help="Archive database (default: FORUMBOT_DATABASE_URL, else the SQLite file in the data dir).",
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON (for scripts).")
def backtest_command(
    rules_file: Path | None,
    as_overrides: bool,
    rule_id: str | None,
    guild_id: int | None,
    examples: int,
    database_url: str | None,
    as_json: bool,
) -> None:
    """Run RULES.yaml (default: the shipped rule pack) over the archive and recorded comments."""
    text: str | None = None
    if rules_file is not None:
        try:
            text = rules_file.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            fail(f"cannot read {rules_file}: {exc}")
    if logging.getLogger().getEffectiveLevel() > logging.DEBUG:
        logging.getLogger("alembic").setLevel(logging.WARNING)
    data = _run_or_fail(_backtest(database_url, text, as_overrides, rule_id, guild_id, examples))
    if as_json:
        emit_json(data)
        return
    _print_report(data)


async def _backtest(
    database_url: str | None,
    text: str | None,
    as_overrides: bool,
    rule_id: str | None,
    guild_id: int | None,
    examples: int,
) -> dict[str, object]:
    from forumbot.config import get_settings
    from forumbot.services.moderation.backtest import backtest
    from forumbot.storage.db import make_engine, make_sessionmaker, upgrade_database

    url = database_url or get_settings().database_url_or_default
    await upgrade_database(url)
    engine = make_engine(url)
    try:
        sessionmaker = make_sessionmaker(engine)
        chosen = await _choose_rules(sessionmaker, text, as_overrides, guild_id)
        report = await backtest(
            sessionmaker, chosen, rule_id=rule_id, guild_id=guild_id, examples_per_rule=examples
        )
        return report.to_json()
    finally:
        await engine.dispose()


async def _choose_rules(
    sessionmaker: Any, text: str | None, as_overrides: bool, guild_id: int | None
) -> RuleSet:
    """The file's rules, else the guild's stored rules, else the shipped pack."""
    from forumbot.cli.rules import rules_from_text
    from forumbot.services.moderation.rules import RuleBook, build_rules, default_rules

    if text is not None:
        return build_rules(text) if as_overrides else rules_from_text(text)
    if guild_id is not None:
        return await RuleBook(sessionmaker).rules_for(guild_id)
    return default_rules()


def _run_or_fail(work: Coroutine[Any, Any, T]) -> T:
    """Run the backtest; expected failures become one short line, never a traceback."""
    from forumbot.domain.civility.rules import RuleSetError

    return run_or_fail(work, expected=(RuleSetError,))


def _print_report(data: dict[str, object]) -> None:
    rules = data["rules"]
    assert isinstance(rules, list)
    by_source = data["by_source"]
    assert isinstance(by_source, dict)
    sources = ", ".join(f"{n:,} {name}s" for name, n in by_source.items()) or "nothing"
    click.echo(f"Backtest of {len(rules)} rule(s) over {sources}:")
    for line in data["summary"]:  # type: ignore[attr-defined]
        click.echo(f"  {line}")
    by_rule = data["by_rule"]
    assert isinstance(by_rule, dict)
    for rule, counts in sorted(by_rule.items()):
        detail = ", ".join(f"{action} {n:,}" for action, n in counts.items())
        click.echo(f"  rule {rule}: {detail}")
    shown = data["examples"]
    assert isinstance(shown, list)
    if shown:
        click.echo("Examples:")
    for example in shown:
        match = f" [{example['match']}]" if example.get("match") else ""
        click.echo(f"  - {example['rule']} would {example['action']}{match} — {example['where']}")
        click.echo(f"      {example['text']}")
