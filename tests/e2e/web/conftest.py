"""Fixtures for the dashboard's end-to-end tests: the configured bot on the sandbox, the
dashboard served beside it (as `forumbot run` serves it), and signed-in members."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable

import aiohttp
import pytest

from forumbot.bot.client import ForumBot
from forumbot.bot.web import build_context, demo_web_settings, serving
from forumbot.config import Settings
from forumbot.sandbox import DemoGuild, Sandbox
from tests.e2e.web.support import Dashboard, Member, free_port, sign_in


@pytest.fixture
async def dashboard(
    bot: ForumBot, configured: DemoGuild, sandbox: Sandbox, bot_settings: Settings
) -> AsyncIterator[Dashboard]:
    settings = demo_web_settings(
        bot_settings.model_copy(
            update={"discord_api_url": sandbox.api_url, "web_listen": f"127.0.0.1:{free_port()}"}
        ),
        sandbox.application_id,
        sandbox.oauth.client_secret,
    )
    context = build_context(bot, bot.services, settings)
    async with serving(context) as url:
        yield Dashboard(url, context, sandbox, configured)


@pytest.fixture
async def member_session(
    dashboard: Dashboard,
) -> AsyncIterator[Callable[[str], Awaitable[Member]]]:
    sessions: list[aiohttp.ClientSession] = []

    async def open_as(user_id: str) -> Member:
        http = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))
        sessions.append(http)
        return await sign_in(http, dashboard, user_id)

    yield open_as
    for http in sessions:
        await http.close()
