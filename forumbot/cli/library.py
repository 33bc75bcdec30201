"""`forumbot library`: the shared library and the guilds' own libraries.

Articles loaded from the command line (and the seeds) go to the shared library; what a guild's
admin loads in Discord goes to that guild's library. Every guild sees the shared library unless
`forumbot library limit` names the guilds that may.
"""

from __future__ import annotations

import click

from forumbot.cli.app import emit_json, main
from forumbot.cli.archive import database_url_option, json_option, run_with_archive
from forumbot.services.archive import ArchiveService, LibraryOverview
from forumbot.storage.libraries import MAX_GUILD_ID, SHARED_LIBRARY


@main.group()
def library() -> None:
    """The shared library and the guilds' own libraries."""


@library.command("show")
@json_option
@database_url_option
def show(as_json: bool, database_url: str | None) -> None:
    """Articles per library, and which guilds see the shared library."""

    async def use(service: ArchiveService) -> LibraryOverview:
        return await service.libraries()

    overview = run_with_archive(database_url, use)
    if as_json:
        emit_json(
            {
                "shared": {
                    "articles": overview.articles.get(SHARED_LIBRARY, 0),
                    "limited_to": overview.shared_with or None,
                },
                "guilds": {
                    str(g): n for g, n in sorted(overview.articles.items()) if g != SHARED_LIBRARY
                },
            }
        )
        return
    shared = overview.articles.get(SHARED_LIBRARY, 0)
    seen_by = (
        "guilds " + ", ".join(str(g) for g in overview.shared_with)
        if overview.shared_with
        else "every guild"
    )
    click.echo(f"shared library: {shared} article(s), seen by {seen_by}")
    for guild, count in sorted(overview.articles.items()):
        if guild != SHARED_LIBRARY:
            click.echo(f"guild {guild}: {count} article(s) of its own")


@library.command("limit")
@click.argument(
    "guild_ids", nargs=-1, type=click.IntRange(1, MAX_GUILD_ID), metavar="[GUILD_ID]..."
)
@click.option("--everyone", is_flag=True, help="Every guild sees the shared library (the default).")
@database_url_option
def limit(guild_ids: tuple[int, ...], everyone: bool, database_url: str | None) -> None:
    """Let only these guilds see the shared library (this replaces the previous list).

    The guilds' own libraries are not affected. Undo with --everyone.

    \b
    Examples:
      forumbot library limit 123456789012345678 234567890123456789
      forumbot library limit --everyone
    """
    if bool(guild_ids) == everyone:
        raise click.UsageError("give the guild ids, or --everyone (not both)")

    async def use(service: ArchiveService) -> list[int]:
        return await service.limit_shared_library(guild_ids)

    chosen = run_with_archive(database_url, use)
    if chosen:
        click.echo("shared library seen by guilds " + ", ".join(str(g) for g in chosen) + " only")
    else:
        click.echo("shared library seen by every guild")
