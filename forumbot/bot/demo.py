"""The local demo behind `forumbot run` without a token: a fresh archive of the seed articles,
the sandbox with its demo guild, the bot connected to it, and a console to act as the members."""

from __future__ import annotations

import contextlib
import logging
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from forumbot.bot.runtime import quiet_voice_warnings
from forumbot.bot.services import Services, open_services
from forumbot.config import Settings


def _say(text: str) -> None:
    print(text, flush=True)


def _shown(settings: Settings) -> str:
    if settings.database_url is None:
        return "a temporary SQLite file (set FORUMBOT_DATABASE_URL to use another)"
    from sqlalchemy.engine import make_url

    return make_url(settings.database_url).render_as_string(hide_password=True)


@contextlib.asynccontextmanager
async def _dashboard(
    bot: Any, services: Services, settings: Settings, sandbox: Any
) -> AsyncIterator[None]:
    """The dashboard beside the demo, signed in through the sandbox's OAuth2 page. A port
    already in use only costs the dashboard, not the demo."""
    from forumbot.bot.web import WebSetupError, build_context, demo_web_settings, serving

    web_settings = demo_web_settings(
        settings.model_copy(update={"discord_api_url": sandbox.api_url}),
        sandbox.application_id,
        sandbox.oauth.client_secret,
    )
    try:
        async with serving(build_context(bot, services, web_settings)) as url:
            _say(f"Dashboard at {url} (sign in as any demo member)")
            yield
    except WebSetupError as exc:
        _say(f"Dashboard not started: {exc}")
        yield


async def run_demo(settings: Settings, seeds: Path) -> None:
    """Load `seeds` into a throwaway database (or the one FORUMBOT_DATABASE_URL names, e.g. to
    try PostgreSQL), publish them in the sandbox, then read console lines from stdin until
    `quit` or end of input."""
    from forumbot.bot.client import ForumBot
    from forumbot.sandbox import Sandbox
    from forumbot.sandbox.clients import connected
    from forumbot.sandbox.console import SandboxConsole

    # Quiet logs: the console prints what matters; warnings still show.
    logging.getLogger().setLevel(max(logging.WARNING, logging.getLogger().level))
    quiet_voice_warnings()
    with tempfile.TemporaryDirectory(prefix="forumbot-demo-") as tmp:
        demo_settings = settings.model_copy(update={"data_dir": Path(tmp), "discord_token": None})
        _say(f"Database: {_shown(demo_settings)}")
        async with open_services(demo_settings) as services:
            report = await services.archive.load_paths([seeds])
            _say(
                f"Archive: {len(report.loaded)} articles loaded from {seeds}"
                + (f", {len(report.errors)} files failed" if report.errors else "")
            )
            async with Sandbox.running(host="127.0.0.1", port=0) as sandbox:
                demo = sandbox.create_demo_guild()
                bot = ForumBot(services, guild_ready_timeout=0.1)
                async with connected(bot, sandbox):
                    console = SandboxConsole(sandbox)
                    _say(f"Sandbox Discord at {sandbox.api_url}; bot connected.")
                    console.user_id = demo.admin_id
                    await console.execute(
                        f"/setup forum={demo.forum_id} modlog={demo.modlog_id} "
                        f"moderator_role={demo.moderator_role_id}"
                    )
                    console.quiet = True
                    await console.execute("/article publish-all")
                    console.quiet = False
                    _say(f"{len(sandbox.threads(demo.forum_id))} forum posts published.")
                    console.user_id = demo.alice_id
                    async with _dashboard(bot, services, demo_settings, sandbox):
                        await console.run()
