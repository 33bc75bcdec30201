"""The root `forumbot` command and helpers shared by the command modules."""

from __future__ import annotations

import json
import logging
import sys
from typing import Any

import click

from forumbot import __version__


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="forumbot")
@click.option("--log-level", default=None, help="Override FORUMBOT_LOG_LEVEL (DEBUG, INFO, ...).")
def main(log_level: str | None) -> None:
    """forumbot: load articles into an archive, search and cite them, and run the Discord bot."""
    from pydantic import ValidationError

    from forumbot.config import get_settings

    try:
        settings = get_settings()
    except ValidationError as exc:
        # A bad FORUMBOT_* variable: name it in one line instead of pydantic's traceback.
        problems = "; ".join(
            f"FORUMBOT_{'_'.join(str(p) for p in err['loc']).upper()}: {err['msg']}"
            for err in exc.errors()
        )
        fail(f"invalid setting: {problems}")
        return
    level = (log_level or settings.log_level).upper()
    if level not in logging.getLevelNamesMapping():
        fail(f"unknown log level {level!r} (use DEBUG, INFO, WARNING, ERROR or CRITICAL)")
    logging.basicConfig(
        level=level, stream=sys.stderr, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )


def emit_json(data: Any) -> None:
    """Write one JSON document to stdout (the contract scripts rely on)."""
    click.echo(json.dumps(data, ensure_ascii=False, indent=2))


def fail(message: str, code: int = 1) -> None:
    """Print a short error (never a traceback) and exit."""
    click.echo(f"error: {message}", err=True)
    raise SystemExit(code)
