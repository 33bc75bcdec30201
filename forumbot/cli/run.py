"""`forumbot run`: migrations, then the bot (or the local sandbox demo without a token)."""

from __future__ import annotations

from pathlib import Path

import click

from forumbot.cli.app import fail, main
from forumbot.config import get_settings


@main.command()
@click.option("--sync", "force_sync", is_flag=True, help="Re-register slash commands now.")
@click.option("--demo", is_flag=True, help="Run the local sandbox demo even if a token is set.")
@click.option(
    "--seeds",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    default=None,
    help="Folder of articles the demo loads (default: the project's seeds/).",
)
def run(force_sync: bool, demo: bool, seeds: Path | None) -> None:
    """Run the Discord bot (DISCORD_TOKEN set), or a local demo with a console."""
    from forumbot.bot.runtime import (
        StartupError,
        cap_malloc_arenas,
        run_bot,
        run_event_loop,
        tune_interpreter,
    )

    cap_malloc_arenas()  # before any thread exists (see its comment)
    settings = get_settings()
    tune_interpreter()
    try:
        if settings.discord_token is not None and not demo:
            run_event_loop(run_bot(settings, force_sync=force_sync))
        else:
            from forumbot.bot.demo import run_demo

            run_event_loop(run_demo(settings, seeds or _default_seeds()))
    except KeyboardInterrupt:
        click.echo("bye", err=True)
    except StartupError as exc:
        fail(str(exc))


def _default_seeds() -> Path:
    from forumbot.storage.db import REPO_ROOT

    return REPO_ROOT / "seeds"
