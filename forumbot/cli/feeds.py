"""`forumbot feeds add | list | remove | pause | resume | interval | poll`: feed subscriptions
from the command line. `--guild ID` works on that guild's feeds (entries go to its library and,
once the bot runs, its forum); without it, on the shared library's feeds (stored only)."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, TypeVar

import click

from forumbot.cli.app import emit_json, main, run_or_fail
from forumbot.cli.archive import database_url_option, json_option, library_options

T = TypeVar("T")

if TYPE_CHECKING:  # the services are imported when a command runs, not at start-up
    from forumbot.bot.services import Services


def run_with_services(database_url: str | None, use: Callable[[Services], Awaitable[T]]) -> T:
    """Migrate, build the services, run `use`, dispose; errors become one line."""
    from forumbot.bot.services import open_services
    from forumbot.config import get_settings

    settings = get_settings()
    if database_url:
        settings = settings.model_copy(update={"database_url": database_url})
    if logging.getLogger().getEffectiveLevel() > logging.DEBUG:
        logging.getLogger("alembic").setLevel(logging.WARNING)

    async def go() -> T:
        async with open_services(settings) as services:
            return await use(services)

    return run_or_fail(go())


@main.group()
def feeds() -> None:
    """Feed subscriptions (RSS, Atom, JSON Feed): new entries become articles by themselves."""


@feeds.command("add")
@click.argument("url")
@click.option("--tag", "tags", multiple=True, help="A tag for every article (repeatable, ≤ 5).")
@click.option(
    "--publish",
    "mode",
    type=click.Choice(["auto", "review"]),
    default=None,
    help="With --guild: post each entry (auto, the default) or send it to the mod-log first.",
)
@click.option("--interval", default=None, help="How often to check, e.g. 30m (default), 2h, 1d.")
@click.option(
    "--backfill", is_flag=True, help="Also import the entries already in the feed (else only new)."
)
@json_option
@library_options
@database_url_option
def add(
    url: str,
    tags: tuple[str, ...],
    mode: str | None,
    interval: str | None,
    backfill: bool,
    as_json: bool,
    guild_id: int | None,
    database_url: str | None,
) -> None:
    """Subscribe to the feed at URL. It is fetched once now (a URL that is not a feed is
    refused); its entries are imported by `forumbot feeds poll` or by the running bot.

    \b
    Examples:
      forumbot feeds add https://example.org/feed.xml --guild 123456789012345678 --tag news
      forumbot feeds add https://example.org/atom.xml --interval 2h
    """

    async def use(services: Services) -> Any:
        return await services.feeds.add(
            guild_id,
            url,
            tags=list(tags),
            mode=mode,
            interval=interval,
            backfill=backfill,
            actor="command line",
        )

    info = run_with_services(database_url, use)
    if as_json:
        emit_json(info.to_dict())
        return
    from forumbot.services.feeds import describe_feed

    click.echo(f"subscribed {describe_feed(info)}")


@feeds.command("list")
@json_option
@library_options
@database_url_option
def list_feeds(as_json: bool, guild_id: int | None, database_url: str | None) -> None:
    """The feeds of the shared library (or, with --guild ID, of that guild)."""

    async def use(services: Services) -> Any:
        return await services.feeds.feeds(guild_id)

    found = run_with_services(database_url, use)
    if as_json:
        emit_json([f.to_dict() for f in found])
        return
    from forumbot.services.feeds import describe_feed

    if not found:
        click.echo("No feeds: subscribe with `forumbot feeds add URL`.")
    for info in found:
        click.echo(describe_feed(info))
        click.echo(f"    {info.url}")
        if info.last_error:
            click.echo(f"    last error: {info.last_error}")


def _one(action: str, help_text: str) -> Callable[[Callable[..., Awaitable[Any]]], click.Command]:
    def make(call: Callable[..., Awaitable[Any]]) -> click.Command:
        @feeds.command(action, help=help_text)
        @click.argument("feed_id", metavar="ID", type=click.IntRange(1, 2**31 - 1))
        @json_option
        @library_options
        @database_url_option
        def command(
            feed_id: int, as_json: bool, guild_id: int | None, database_url: str | None
        ) -> None:
            info = run_with_services(database_url, lambda s: call(s, guild_id, feed_id))
            if as_json:
                emit_json(info.to_dict())
                return
            from forumbot.services.feeds import describe_feed

            click.echo(f"{action}: {describe_feed(info)}")

        return command

    return make


_one("remove", "Unsubscribe from feed ID (its imported articles stay in the archive).")(
    lambda s, g, f: s.feeds.remove(g, f)
)
_one("pause", "Stop polling feed ID until `forumbot feeds resume ID`.")(
    lambda s, g, f: s.feeds.pause(g, f, "paused from the command line")
)
_one("resume", "Poll feed ID again (its failure count is reset).")(
    lambda s, g, f: s.feeds.resume(g, f)
)


@feeds.command("interval")
@click.argument("feed_id", metavar="ID", type=click.IntRange(1, 2**31 - 1))
@click.argument("every")
@library_options
@database_url_option
def interval(feed_id: int, every: str, guild_id: int | None, database_url: str | None) -> None:
    """Check feed ID every EVERY (e.g. 15m, 2h, 1d)."""
    from forumbot.services.feeds import describe_feed

    info = run_with_services(database_url, lambda s: s.feeds.set_interval(guild_id, feed_id, every))
    click.echo(describe_feed(info))


@feeds.command("poll")
@json_option
@database_url_option
def poll(as_json: bool, database_url: str | None) -> None:
    """Check every due feed once now and import its new entries. Posting is the bot's: entries
    of guild feeds are published (or sent for review) when the bot next delivers."""

    async def use(services: Services) -> Any:
        return await services.feed_poller.poll_due()

    results = run_with_services(database_url, use)
    if as_json:
        emit_json([r.to_dict() for r in results])
        return
    if not results:
        click.echo("No feed is due.")
    for result in results:
        click.echo(
            f"feed {result.feed_id}: {result.status}, {len(result.imported)} imported"
            + (f" ({result.error})" if result.error else "")
        )
        for item in result.imported:
            click.echo(f"    {item.get('title', '')}")
        for error in result.errors:
            click.echo(f"    error: {error}")
    if any(r.status in ("failed", "paused") for r in results):
        raise SystemExit(1)
