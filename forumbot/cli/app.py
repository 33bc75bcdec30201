"""The root `forumbot` command and helpers shared by the command modules."""

from __future__ import annotations

import asyncio
import json
import logging
import sys
from collections.abc import Coroutine
from typing import Any, TypeVar

import click

from forumbot import __version__
from forumbot.services.errors import UserFacingError

T = TypeVar("T")


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


def run_or_fail(work: Coroutine[Any, Any, T], *, expected: tuple[type[Exception], ...] = ()) -> T:
    """Run a command's coroutine; a failure becomes one short line on stderr and exit code 1,
    never a traceback: the message of a UserFacingError (or of an `expected` type), "cannot
    reach the database: ...", "database error: ..." or "unexpected error (Type): ..."."""
    try:
        return asyncio.run(work)
    except Exception as exc:
        if isinstance(exc, (UserFacingError, *expected)):
            fail(str(exc).replace("\n", "; "))
        if isinstance(exc, OSError):  # ConnectionError included
            fail(f"cannot reach the database: {exc}")
        from sqlalchemy.exc import SQLAlchemyError

        from forumbot.storage.db import innermost_cause, is_unreachable

        # A failure to connect arrives as OperationalError (storage.db maps the driver's
        # errors); say what the driver said, as for a bare OSError above.
        if isinstance(exc, SQLAlchemyError) and is_unreachable(exc):
            fail(f"cannot reach the database: {str(innermost_cause(exc)).splitlines()[0][:200]}")

        if isinstance(exc, SQLAlchemyError):
            fail(f"database error: {str(exc).splitlines()[0][:200]}")
        fail(f"unexpected error ({type(exc).__name__}): {str(exc)[:200]}")
    raise AssertionError("fail() exits")  # unreachable; keeps type checkers happy
