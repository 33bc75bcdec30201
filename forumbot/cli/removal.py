"""`forumbot delete ARTICLE` and `forumbot audit`: undoing a load from the command line.

Deleting here never talks to Discord: the article's forum posts are queued, and the bot posts
the removal notice and archives each one when it next starts (or at the next /article delete).
"""

from __future__ import annotations

import click

from forumbot.cli.app import emit_json, main
from forumbot.cli.archive import database_url_option, json_option, run_with_archive
from forumbot.services.archive import ArchiveService
from forumbot.services.removal import AuditEntry, RemovalResult, RemovalService, describe_posts


def _removal(service: ArchiveService) -> RemovalService:
    return RemovalService(service.sessionmaker)


@main.command()
@click.argument("article")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@click.option("--by", "actor", default=None, help="Who deletes it (for the audit trail).")
@database_url_option
def delete(article: str, yes: bool, actor: str | None, database_url: str | None) -> None:
    """Delete ARTICLE (an id or its exact title) from the archive, after a confirmation.

    Its passages, comments and revisions go; citations of it answer that it was removed; the
    deletion is recorded in the audit trail (`forumbot audit`).

    \b
    Examples:
      forumbot delete 12
      forumbot delete 12 --yes --by "Ada (cleanup)"
    """
    import getpass

    who = actor or f"cli:{getpass.getuser()}"

    async def use(service: ArchiveService) -> RemovalResult | None:
        info = await service.resolve_article(article)
        removal = _removal(service)
        plan = await removal.plan(info.id)
        click.echo(
            f"Article #{plan.article_id}: {plan.title}\n"
            f"{plan.passages} passages, {plan.comments} comments. {describe_posts(plan.posts)}"
        )
        if not yes and not click.confirm("Delete it from the archive?", default=False):
            return None
        return await removal.delete(info.id, actor=who)

    result = run_with_archive(database_url, use)
    if result is None:
        click.echo("Cancelled; nothing was deleted.")
        return
    click.echo(f"Deleted #{result.article_id} ({result.title}).")
    if result.posts:
        click.echo("The bot archives its forum post with a notice when it next starts.")


@main.command()
@click.option("--limit", default=20, show_default=True, type=click.IntRange(1, 1000))
@json_option
@database_url_option
def audit(limit: int, as_json: bool, database_url: str | None) -> None:
    """The archive's audit trail, newest first (deletions, from Discord and from here)."""

    async def use(service: ArchiveService) -> list[AuditEntry]:
        return await _removal(service).audit(limit)

    entries = run_with_archive(database_url, use)
    if as_json:
        emit_json(
            [
                {
                    "at": e.created_at.isoformat(),
                    "action": e.action,
                    "article_id": e.article_id,
                    "title": e.title,
                    "actor": e.actor,
                    "guild_id": e.guild_id,
                    "detail": e.detail,
                }
                for e in entries
            ]
        )
        return
    if not entries:
        click.echo("The audit trail is empty.")
    for e in entries:
        click.echo(
            f"{e.created_at:%Y-%m-%d %H:%M} {e.action} #{e.article_id} {e.title[:60]!r} "
            f"by {e.actor}: {e.detail}"
        )
