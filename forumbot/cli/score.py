"""`forumbot rules score FILE...`: recall, false alarms and action bounds on labelled messages.

Each FILE is a YAML list of labelled messages (see forumbot.domain.civility.evaluation). Prints a
table per dimension (label, kind, language, evasion, political lean), or one JSON document with
--json; --examples N adds the first N misses, false alarms and bound violations.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click
import yaml

from forumbot.cli.app import emit_json, fail
from forumbot.cli.rules import load_rules
from forumbot.cli.rules import rules as rules_group
from forumbot.domain.civility import Engine
from forumbot.domain.civility.evaluation import (
    EvalFileError,
    EvalItem,
    Report,
    Tally,
    parse_items,
    score,
)
from forumbot.domain.civility.learned import civil_paragraphs, tokens_of, train

MAX_FILE_BYTES = 20 * 1024 * 1024


def read_items(path: Path) -> list[EvalItem]:
    """Load one evaluation file; a short error (never a traceback) on bad input."""
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            fail(f"{path}: larger than {MAX_FILE_BYTES // (1024 * 1024)} MiB")
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        fail(f"cannot read {path}: {exc.strerror or exc}")
        raise
    except UnicodeDecodeError:
        fail(f"{path} is not UTF-8 text")
        raise
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        fail(f"{path}: YAML syntax error{where}")
        raise
    try:
        return parse_items(data, source=path.name)
    except EvalFileError as exc:
        fail(str(exc))
        raise


def _pct(value: float | None) -> str:
    return "    -" if value is None else f"{100 * value:5.1f}"


def _row(name: str, t: Tally) -> str:
    return (
        f"  {name[:22]:22} uncivil {t.caught:4}/{t.uncivil:<4} {_pct(t.recall)}%   "
        f"civil alarms {t.alarms:3}/{t.civil:<4} {_pct(t.false_alarm_rate)}%   "
        f"bounds {t.violations}"
    )


def render(report: Report, examples: int) -> str:
    lines = [_row("all", report.total)]
    gap = report.lean_gap()
    if gap is not None:
        lines.append(f"  left/right false-alarm gap: {100 * gap:.1f} points")
    for dim, groups in report.by.items():
        if dim == "label" or not groups:
            continue
        lines.append(f"by {dim}:")
        lines += [_row(k, t) for k, t in sorted(groups.items())]
    if examples:
        data: dict[str, Any] = report.to_dict(examples=examples)
        for key in ("missed_examples", "false_alarm_examples", "violation_examples"):
            if data[key]:
                lines.append(f"{key.replace('_', ' ')}:")
                for ex in data[key]:
                    why = f" ({ex['why']})" if "why" in ex else ""
                    rules = ",".join(ex["rules"]) or "-"
                    lines.append(
                        f"  [{ex['kind']}/{ex['lang']}] {ex['action']} {rules}{why}: "
                        f"{ex['text'][:100]!r}"
                    )
    return "\n".join(lines)


@rules_group.command("score")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--rules",
    "rules_path",
    type=click.Path(dir_okay=False),
    default=None,
    help="A rule file: a full pack, or overrides of the default pack by rule id.",
)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
@click.option(
    "--examples",
    type=click.IntRange(0, 10_000),
    default=0,
    show_default=True,
    help="Show up to N misses, false alarms and bound violations.",
)
def score_command(
    files: tuple[Path, ...], rules_path: str | None, as_json: bool, examples: int
) -> None:
    """Score the rules on labelled messages: recall of uncivil ones (nudge or harsher counts as
    caught), false alarms on civil ones, and action-bound violations, per label, kind, language,
    evasion and political lean. FILES are YAML lists of {text, label, kind, lang, lean?,
    evasion?, min_action?, max_action?}; several files are scored together."""
    items: list[EvalItem] = []
    for path in files:
        items += read_items(path)
    report = score(Engine(load_rules(rules_path)), items)
    if as_json:
        emit_json({"files": [str(p) for p in files], **report.to_dict(examples=examples)})
    else:
        click.echo(render(report, examples))


@rules_group.command("train-model")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--out",
    "out_path",
    type=click.Path(dir_okay=False, path_type=Path),
    required=True,
    help="Where to write the weights (JSON).",
)
@click.option(
    "--civil-paragraphs",
    "civil_dir",
    type=click.Path(file_okay=False, exists=True, path_type=Path),
    default=None,
    help="A folder of text files (the seed articles) whose short paragraphs are civil examples.",
)
def train_model_command(files: tuple[Path, ...], out_path: Path, civil_dir: Path | None) -> None:
    """Train the `learned` rule's model on labelled messages (the same files `score` reads, or
    the corpus form with groups) and write its weights. Deterministic: the same files in the
    same order give the same weights (`make civility-model` rebuilds the shipped file)."""
    items: list[EvalItem] = []
    for path in files:
        items += read_items(path)
    examples = [(tokens_of(i.text), i.label == "uncivil") for i in items]
    if civil_dir is not None:
        examples += [(tokens, False) for tokens in civil_paragraphs(civil_dir)]
    model = train(examples)
    try:
        out_path.write_text(model.to_json(), encoding="utf-8")
    except OSError as exc:
        fail(f"cannot write {out_path}: {exc.strerror or exc}")
    click.echo(
        f"trained on {model.trained_on} messages from {len(files)} files: "
        f"{len(model.weights)} weights -> {out_path}",
        err=True,
    )
