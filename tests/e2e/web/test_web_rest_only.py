"""`forumbot web` on its own: no gateway, the bot's REST client. A moderator approves a held
comment and it is re-posted, the member told and the mod-log written, all over REST."""

from __future__ import annotations

import aiohttp

from forumbot.bot.client import ForumBot
from forumbot.bot.services import Services
from forumbot.bot.web import RestClient, build_context, demo_web_settings, serving
from forumbot.config import Settings
from forumbot.sandbox import DemoGuild, Sandbox
from tests.e2e.moderation.support import article_thread, dm_texts
from tests.e2e.web.support import Dashboard, free_port, sign_in
from tests.fixtures.bot import BotRunner


async def test_dashboard_without_gateway_acts_through_the_rest_client(
    bot: ForumBot,
    configured: DemoGuild,
    sandbox: Sandbox,
    bot_settings: Settings,
    bot_runner: BotRunner,
) -> None:
    demo = configured
    thread = await article_thread(sandbox, demo)
    text = "you absolute muppet, read chapter 3"
    msg = await sandbox.send_message(demo.alice_id, thread, text)
    await sandbox.wait_for_request("DELETE", rf"/messages/{msg['id']}$")
    settings = demo_web_settings(
        bot_settings.model_copy(
            update={"discord_api_url": sandbox.api_url, "web_listen": f"127.0.0.1:{free_port()}"}
        ),
        sandbox.application_id,
        sandbox.oauth.client_secret,
    )
    # Its own services, as in a process of its own.
    async with bot_runner.services() as services:
        await _approve_over_rest(services, settings, sandbox, demo)
    restored = [m for m in sandbox.messages(thread) if m["content"] == text]
    assert len(restored) == 1 and restored[0]["author"]["id"] == demo.bot_id
    assert any("approved" in t for t in dm_texts(sandbox, demo.alice_id))


async def _approve_over_rest(
    services: Services, settings: Settings, sandbox: Sandbox, demo: DemoGuild
) -> None:
    client = RestClient(services)
    await client.login(sandbox.token)
    identifies = sandbox.gateway.identify_count
    try:
        context = build_context(client, services, settings)
        [item] = await context.moderation.desk.queue(int(demo.guild_id))
        async with (
            serving(context) as url,
            aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http,
        ):
            dashboard = Dashboard(url, context, sandbox, demo)
            moderator = await sign_in(http, dashboard, demo.moderator_id)
            modlog_before = len(sandbox.messages(demo.modlog_id))
            status, html = await moderator.post(
                f"/g/{demo.guild_id}/queue/{item.id}", {"action": "approve", "reason": "ok"}
            )
            assert status == 200 and "decided: approve" in html, html
    finally:
        await client.close()
    assert sandbox.gateway.identify_count == identifies  # never opened a gateway session
    assert len(sandbox.messages(demo.modlog_id)) > modlog_before
