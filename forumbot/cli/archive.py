"""`forumbot load | articles | search | cite`: the archive from the command line.

The JSON output (`--json`) is a contract scripts rely on; the default output is for people.
Every command migrates the database first (a no-op when it is already at head).
"""

from __future__ import annotations

import functools
import logging
import sys
from collections.abc import Awaitable, Callable
from contextlib import ExitStack
from typing import Any, TypeVar

import click

from forumbot.cli.app import emit_json, fail, main, run_or_fail
from forumbot.services.archive import ArchiveService, ArticleInfo, LoadError, LoadReport
from forumbot.storage.libraries import MAX_GUILD_ID

T = TypeVar("T")

database_url_option = click.option(
    "--database-url",
    envvar="FORUMBOT_DATABASE_URL",
    default=None,
    metavar="URL",
    help="SQLAlchemy URL of the archive database "
    "(default: FORUMBOT_DATABASE_URL, else a SQLite file in FORUMBOT_DATA_DIR).",
)
json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON (for scripts).")


def library_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """`--guild ID` (a guild's library, as that guild sees it) / `--shared` (the default: the
    operator's shared library), passed on as `guild_id` (None for the shared library)."""

    @functools.wraps(command)
    def with_guild(*args: Any, guild: int | None, shared: bool, **kwargs: Any) -> Any:
        if guild is not None and shared:
            fail("use --guild ID or --shared, not both")
        return command(*args, guild_id=guild, **kwargs)

    guild_option = click.option(
        "--guild",
        type=click.IntRange(1, MAX_GUILD_ID),
        default=None,
        metavar="ID",
        help="A guild's own library (reading: what that guild sees, its own and the shared).",
    )
    shared_option = click.option(
        "--shared", is_flag=True, help="The operator's shared library (the default)."
    )
    return guild_option(shared_option(with_guild))


def run_with_archive(database_url: str | None, use: Callable[[ArchiveService], Awaitable[T]]) -> T:
    """Migrate, build the service, run `use` with it, dispose the engine; errors → one line."""
    from forumbot.config import get_settings

    # The root command has already validated the settings (a bad one is a one-line error there).
    settings = get_settings()
    url = database_url or settings.database_url_or_default
    if logging.getLogger().getEffectiveLevel() > logging.DEBUG:
        # Alembic narrates every (no-op) upgrade at INFO; that is noise for these commands.
        logging.getLogger("alembic").setLevel(logging.WARNING)

    async def go() -> T:
        from forumbot.storage.db import make_engine, make_sessionmaker, upgrade_database

        await upgrade_database(url)  # also creates the SQLite file's folder
        engine = make_engine(url)
        try:
            return await use(ArchiveService(make_sessionmaker(engine), settings))
        finally:
            await engine.dispose()

    return run_or_fail(go())


@main.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=str))
@json_option
@library_options
@database_url_option
def load(
    paths: tuple[str, ...], as_json: bool, guild_id: int | None, database_url: str | None
) -> None:
    """Load articles from files, directories (recursively) or web pages (http:// or https://
    links) into the shared library, or into a guild's own library with --guild ID.

    Accepts .txt, .md/.markdown and .html/.htm files. A link is fetched safely (public
    addresses only, FORUMBOT_MAX_FILE_BYTES, at most 5 redirects) and parsed as an HTML file;
    the article keeps the page's canonical URL as its source, and loading the link again
    revises it. Loading is idempotent: unchanged articles are skipped, edited ones become a new
    revision (passage ids of unchanged paragraphs are kept). A bad file or link is reported and
    skipped; the others still load. Exits with 1 if any failed.

    \b
    Examples:
      forumbot load seeds/
      forumbot load notes.md page.html --json
      forumbot load --guild 123456789012345678 club-notes/
      forumbot load https://example.org/2026/an-essay.html
    """
    links = [p for p in paths if _is_link(p)]
    files = [p for p in paths if not _is_link(p)]

    async def use(service: ArchiveService) -> LoadReport:
        report = await _load_files(service, files, guild_id) if files else LoadReport()
        if links:
            await _load_links(service, links, guild_id, report)
        return report

    report = run_with_archive(database_url, use)
    if as_json:
        emit_json(report.to_dict())
    else:
        for item in report.loaded:
            click.echo(f"{item.status:<9} #{item.article_id:<5} {item.title}  ({item.path})")
            for warning in item.warnings:
                click.echo(f"          warning: {warning}")
        for error in report.errors:
            click.echo(f"error: {error.path}: {error.error}", err=True)
        click.echo(
            f"{len(report.loaded)} loaded, {len(report.skipped)} unchanged, "
            f"{len(report.errors)} failed"
        )
    if report.errors:
        raise SystemExit(1)


def _article_dict(a: ArticleInfo) -> dict[str, Any]:
    return {
        "id": a.id,
        "title": a.title,
        "author": a.author,
        "passages": a.passages,
        "comments": a.comments,
        "source": a.source,
        "tags": list(a.tags),
    }


@main.command()
@json_option
@library_options
@database_url_option
def articles(as_json: bool, guild_id: int | None, database_url: str | None) -> None:
    """List the shared library's articles (id, title, author, passage and comment counts);
    with --guild ID, the articles that guild sees."""

    async def use(service: ArchiveService) -> list[ArticleInfo]:
        return await service.list_articles(guild_id=guild_id)

    found = run_with_archive(database_url, use)
    if as_json:
        emit_json([_article_dict(a) for a in found])
        return
    if not found:
        click.echo("The archive is empty: load articles with `forumbot load PATH...`.")
        return
    click.echo(f"{'ID':>5}  {'¶':>5}  {'COM':>4}  {'AUTHOR':<20}  TITLE")
    for a in found:
        author = _clip(a.author or "-", 20)
        click.echo(
            f"{a.id:>5}  {a.passages:>5}  {a.comments:>4}  {author:<20}  {_clip(a.title, 70)}"
        )
    click.echo(f"{len(found)} article(s)")


@main.command()
@click.argument("query")
@click.option("--limit", default=10, show_default=True, type=click.IntRange(1, 100))
@click.option("--offset", default=0, show_default=True, type=click.IntRange(0, None))
@click.option("--author", default=None, help="Only articles by this author.")
@click.option("--article", "article_id", default=None, type=int, help="Only this article id.")
@click.option("--tag", default=None, help="Only articles with this tag.")
@json_option
@library_options
@database_url_option
def search(
    query: str,
    limit: int,
    offset: int,
    author: str | None,
    article_id: int | None,
    tag: str | None,
    as_json: bool,
    guild_id: int | None,
    database_url: str | None,
) -> None:
    """Full-text search over the shared library's passages (with --guild ID: over what that
    guild sees), best first.

    Words are matched in any order (stemmed); "quoted words" match as a phrase; a trailing *
    matches a prefix (e.g. social*); author:NAME, tag:TAG and order:newest filter and sort.
    Passages holding every word come first, by relevance; when they fill less than the
    page, passages holding most of the words follow, marked "partial". Any text is safe.

    \b
    Examples:
      forumbot search "final victory of socialism"
      forumbot search farmers --author "Some One" --limit 5 --json
      forumbot search "why did the party split over internationalism"
      forumbot search "party order:newest"
    """

    async def use(service: ArchiveService) -> list[Any]:
        return await service.search(
            query,
            author=author,
            article_id=article_id,
            tag=tag,
            limit=limit,
            offset=offset,
            guild_id=guild_id,
        )

    hits = run_with_archive(database_url, use)
    if as_json:
        emit_json(
            [
                {
                    "article_id": h.article_id,
                    "title": h.title,
                    "passage": h.passage,
                    "snippet": h.snippet,
                    "text": h.text,
                    "partial": h.partial,
                }
                for h in hits
            ]
        )
        return
    if not hits:
        click.echo("No matching passages.")
        return
    for h in hits:
        partial = "  (partial match)" if h.partial else ""
        click.echo(f"#{h.article_id} ¶{h.passage}  {h.title}{partial}")
        click.echo(f"    {_clip(' '.join(str(h.snippet).split()), 300)}")
    click.echo(f"(cite one with: forumbot cite {hits[0].article_id} {hits[0].passage})")


@main.command()
@click.argument("article")
@click.argument("passages", metavar="PASSAGE[-PASSAGE]")
@click.option("--jump-url", default=None, help="A link appended to the attribution line.")
@library_options
@database_url_option
def cite(
    article: str,
    passages: str,
    jump_url: str | None,
    guild_id: int | None,
    database_url: str | None,
) -> None:
    """Print a citation of passage(s) of ARTICLE, as the bot posts it (≤ 2000 chars).

    ARTICLE is an article id (see `forumbot articles`) or its exact title. PASSAGE is a number
    or a range such as 12-14 (at most 20 passages).

    \b
    Examples:
      forumbot cite 2 3
      forumbot cite 2 3-5
    """

    async def use(service: ArchiveService) -> str:
        return await service.cite_text(article, passages, jump_url=jump_url, guild_id=guild_id)

    click.echo(run_with_archive(database_url, use))


def _is_link(path: str) -> bool:
    return path.strip().lower().startswith(("http://", "https://"))


async def _load_files(
    service: ArchiveService, paths: list[str], guild_id: int | None
) -> LoadReport:
    if not _stderr_is_tty():
        return await service.load_paths(paths, guild_id=guild_id)
    # A progress bar only for a person watching; scripts get clean stderr. It is opened on
    # the first report, when the number of files is known.
    with ExitStack() as stack:
        bars: list[Any] = []

        def progress(done: int, total: int, path: str) -> None:
            if not bars:
                bar = click.progressbar(length=total, label="Loading", file=sys.stderr)
                bars.append(stack.enter_context(bar))
            bars[0].update(1)

        return await service.load_paths(paths, progress=progress, guild_id=guild_id)


async def _load_links(
    service: ArchiveService, links: list[str], guild_id: int | None, report: LoadReport
) -> None:
    """Each link fetched and stored on its own: one failing is its own error line."""
    from forumbot.config import get_settings
    from forumbot.services.links import LinkError, LinksService

    loader = LinksService(service, get_settings())
    for link in links:
        try:
            items = await loader.load(link, guild_id=guild_id)
        except LinkError as exc:
            report.errors.append(LoadError(link[:200], str(exc).removeprefix(f"{link}: ")))
            continue
        for item in items:
            (report.skipped if item.status == "unchanged" else report.loaded).append(item)


def _stderr_is_tty() -> bool:
    return sys.stderr.isatty()


def _clip(text: str, width: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"
