"""`forumbot db ...`: database migrations."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any, TypeVar

import click
from alembic.util import CommandError
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, OperationalError

from forumbot.cli.app import emit_json, fail, main

T = TypeVar("T")


def _database_url(url: str | None) -> str:
    from forumbot.config import get_settings

    return url or get_settings().database_url_or_default


def _safe(url: str) -> str:
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "<invalid URL>"


def _run(url: str, coro: Coroutine[Any, Any, T]) -> T:
    """Run a database coroutine; expected failures become one line, never a traceback."""
    try:
        return asyncio.run(coro)
    except CommandError as exc:
        fail(f"migration failed: {exc}")
    except ArgumentError as exc:
        fail(f"invalid database URL {url!r}: {exc}")
    except (OperationalError, DBAPIError, OSError) as exc:
        reason = str(getattr(exc, "orig", None) or exc).splitlines()[0]
        fail(f"database {_safe(url)} unavailable: {reason}")
    except ModuleNotFoundError as exc:
        fail(
            f"database driver missing for {_safe(url)}: {exc.name} (pip install forumbot[postgres])"
        )
    raise AssertionError("unreachable")


url_option = click.option(
    "--database-url",
    "url",
    default=None,
    help="Database URL (default: FORUMBOT_DATABASE_URL, else a SQLite file in the data dir).",
)


@main.group()
def db() -> None:
    """Database migrations (Alembic)."""


@db.command()
@url_option
@click.argument("revision", default="heads")
def upgrade(url: str | None, revision: str) -> None:
    """Migrate the database up to REVISION (default: heads)."""
    from forumbot.storage.db import current_revisions, upgrade_database

    url = _database_url(url)
    _run(url, upgrade_database(url, revision))
    now = _run(url, current_revisions(url))
    click.echo(f"database {_safe(url)} at {', '.join(now) or 'base'}")


@db.command()
@url_option
@click.argument("revision")
def downgrade(url: str | None, revision: str) -> None:
    """Migrate the database down to REVISION ("base" drops every table)."""
    from forumbot.storage.db import current_revisions, downgrade_database

    url = _database_url(url)
    _run(url, downgrade_database(url, revision))
    now = _run(url, current_revisions(url))
    click.echo(f"database {_safe(url)} at {', '.join(now) or 'base'}")


@db.command()
@url_option
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def current(url: str | None, as_json: bool) -> None:
    """Show the database's revision and whether it is up to date."""
    from forumbot.storage.db import current_revisions, head_revisions

    url = _database_url(url)
    now = _run(url, current_revisions(url))
    heads = head_revisions()
    up_to_date = set(now) == set(heads)
    if as_json:
        emit_json(
            {
                "url": _safe(url),
                "current": list(now),
                "heads": list(heads),
                "up_to_date": up_to_date,
            }
        )
        return
    state = "up to date" if up_to_date else f"behind (heads: {', '.join(heads)})"
    click.echo(f"database {_safe(url)} at {', '.join(now) or 'base'}: {state}")
