"""`forumbot rules ...`: civility rules from the command line.

`rules check` runs messages through the engine (one message per input line). The `rules` group
is shared: other modules add commands to it (e.g. `rules backtest`).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import IO, Any

import click
import yaml

from forumbot.cli.app import fail, main
from forumbot.domain.civility import (
    Engine,
    MessageContext,
    RuleSet,
    RuleSetError,
    Verdict,
    load_default_rules,
)

_KINDS = ("message", "edit", "thread_title", "bot_output")


@main.group()
def rules() -> None:
    """Civility rules: try messages and rule files against the engine."""


def load_rules(path: str | None) -> RuleSet:
    """The default pack, or a rule file (a full pack, or overrides of the default by rule id).

    A file whose rules all carry a `kind` is a full pack; otherwise it is applied as overrides on
    top of the default pack. Raises click errors (never tracebacks) on bad files.
    """
    if path is None:
        return load_default_rules()
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        fail(f"cannot read rules file {path}: {exc.strerror or exc}")
        raise  # unreachable; keeps type checkers happy
    except UnicodeDecodeError:
        fail(f"rules file {path} is not UTF-8 text")
        raise
    try:
        return rules_from_text(text)
    except RuleSetError as exc:
        fail(f"{path}: {exc}")
        raise


def rules_from_text(text: str) -> RuleSet:
    """A full pack when every rule names its `kind`, else overrides of the default pack."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError:
        return RuleSet.from_yaml(text)  # re-raises as a RuleSetError with the position
    entries = data.get("rules") if isinstance(data, dict) else data
    is_full = (
        isinstance(data, dict)
        and data.get("extends") is None
        and isinstance(entries, list)
        and bool(entries)
        and all(isinstance(e, dict) and "kind" in e for e in entries)
    )
    if is_full:
        return RuleSet.from_dict(data)
    if isinstance(data, dict) and "extends" in data:
        data = {k: v for k, v in data.items() if k != "extends"}
    return load_default_rules().with_overrides(data)


def _parse_line(line: str) -> tuple[str, dict[str, Any]]:
    """A JSON object with a `text` field, or the line itself as plain text."""
    stripped = line.strip()
    if stripped.startswith("{") and stripped.endswith("}"):
        try:
            obj = json.loads(stripped)
        except ValueError:
            return line, {}
        if isinstance(obj, dict) and isinstance(obj.get("text"), str):
            return obj["text"], obj
    return line, {}


def _context(text: str, extra: dict[str, Any], number: int) -> MessageContext:
    kind = extra.get("kind", "message")
    mentions = extra.get("mention_count", 0)
    timestamp = extra.get("timestamp", float(number))
    return MessageContext(
        text=text,
        author_id=str(extra.get("author_id", "")),
        channel_id=str(extra.get("channel_id", "")),
        timestamp=float(timestamp) if isinstance(timestamp, int | float) else float(number),
        kind=kind if kind in _KINDS else "message",
        mention_count=mentions if isinstance(mentions, int) else 0,
    )


def _human(number: int, text: str, verdict: Verdict) -> str:
    preview = text if len(text) <= 60 else text[:57] + "..."
    head = f"{number}: {verdict.action.label.upper():7} {preview}"
    lines = [head]
    for hit in verdict.hits:
        lines.append(f"    {hit.rule_id} ({hit.guideline}; {hit.action.label}): {hit.excerpt!r}")
    for hit in verdict.shadow_hits:
        lines.append(f"    [shadow] {hit.rule_id} would {hit.action.label}: {hit.excerpt!r}")
    return "\n".join(lines)


@rules.command("check")
@click.argument("source", required=False, default="-", type=click.File("r", encoding="utf-8"))
@click.option(
    "--rules",
    "rules_path",
    type=click.Path(dir_okay=False),
    default=None,
    help="A rule file: a full pack, or overrides of the default pack by rule id.",
)
@click.option("--json", "as_json", is_flag=True, help="One JSON object per input line.")
@click.option(
    "--shadow",
    "with_shadow",
    is_flag=True,
    help='With --json, add "shadow_rules": the shadow rules that would have fired.',
)
def check(source: IO[str], rules_path: str | None, as_json: bool, with_shadow: bool) -> None:
    """Check messages against the rules: one message per line of SOURCE (a file or - for stdin).

    A line may be plain text or a JSON object with a "text" field (and optionally author_id,
    channel_id, timestamp, kind, mention_count). Empty lines are skipped in human output and
    reported as action "none" with --json, so output lines match input lines. Each JSON object
    has exactly the keys action, rules and guideline (plus shadow_rules with --shadow).
    """
    engine = Engine(load_rules(rules_path))
    counts: dict[str, int] = {}
    try:
        for number, raw in enumerate(source, start=1):
            line = raw.rstrip("\r\n")
            text, extra = _parse_line(line)
            verdict = engine.check(_context(text, extra, number))
            counts[verdict.action.label] = counts.get(verdict.action.label, 0) + 1
            if as_json:
                payload = {
                    "action": verdict.action.label,
                    "rules": verdict.rule_ids,
                    "guideline": verdict.guideline,
                }
                if with_shadow:
                    payload["shadow_rules"] = [h.rule_id for h in verdict.shadow_hits]
                click.echo(json.dumps(payload, ensure_ascii=False))
            elif line.strip():
                click.echo(_human(number, text, verdict))
    except UnicodeDecodeError:
        fail("input is not UTF-8 text")
    if not as_json:
        summary = ", ".join(f"{k}: {v}" for k, v in sorted(counts.items()))
        click.echo(f"-- {sum(counts.values())} lines ({summary})", err=True)
