"""`forumbot web`: the dashboard on its own (no gateway connection)."""

from __future__ import annotations

import click

from forumbot.cli.app import fail, main
from forumbot.config import get_settings


@main.command()
@click.option(
    "--listen",
    default=None,
    metavar="HOST:PORT",
    help="Where to listen (default: FORUMBOT_WEB_LISTEN, else 127.0.0.1:8081).",
)
def web(listen: str | None) -> None:
    """Serve the web dashboard (sign-in with Discord). It needs DISCORD_TOKEN,
    FORUMBOT_DISCORD_CLIENT_ID/_SECRET and FORUMBOT_WEB_SECRET; what needs Discord it does
    through the bot's REST client. `forumbot run` serves it too when FORUMBOT_WEB_LISTEN is set."""
    from forumbot.bot.dashboard import run_web
    from forumbot.bot.runtime import run_event_loop
    from forumbot.bot.web import WebSetupError
    from forumbot.config import parse_listen

    settings = get_settings()
    if listen is not None:
        try:
            parse_listen(listen)
        except ValueError as exc:
            fail(str(exc))
        settings = settings.model_copy(update={"web_listen": listen})
    try:
        run_event_loop(run_web(settings))
    except KeyboardInterrupt:
        click.echo("bye", err=True)
    except WebSetupError as exc:
        fail(str(exc))
