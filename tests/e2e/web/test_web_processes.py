"""The dashboard holds no state of its own in a process: two processes on one database (the
bot with its dashboard, and `forumbot web` alone with its own services and caches) serve the
same sessions, see each other's changes before the next interaction, page or mod-log post, and
of two moderators deciding one item at once (dashboard and button) exactly one acts."""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections.abc import AsyncIterator

import aiohttp

from forumbot.bot.client import ForumBot
from forumbot.bot.web import RestClient, build_context, serving
from forumbot.config import Settings
from forumbot.sandbox import DemoGuild, Sandbox
from tests.e2e.moderation.support import article_thread, command
from tests.e2e.web.support import Dashboard, Member, fresh_window, sign_in
from tests.fixtures.bot import BotRunner

SIGNED_OUT = "Sign in with Discord"


@contextlib.asynccontextmanager
async def second_process(dashboard: Dashboard, bot_runner: BotRunner) -> AsyncIterator[Dashboard]:
    """`forumbot web` in a process of its own: its own services and caches, the REST client,
    the same database and cookie secret, another port."""
    from tests.e2e.web.support import free_port

    settings = dashboard.context.settings.model_copy(
        update={"web_listen": f"127.0.0.1:{free_port()}"}
    )
    async with bot_runner.services() as services:
        client = RestClient(services)
        await client.login(dashboard.sandbox.token)
        try:
            context = build_context(client, services, settings)
            async with serving(context) as url:
                yield Dashboard(url, context, dashboard.sandbox, dashboard.demo)
        finally:
            await client.close()


async def _page(url: str, cookie: str) -> str:
    async with (
        aiohttp.ClientSession() as http,
        http.get(url + "/", headers={"Cookie": f"forumbot_session={cookie}"}) as resp,
    ):
        return await resp.text()


async def test_sign_out_in_one_process_ends_the_session_in_every_process(
    dashboard: Dashboard, bot_runner: BotRunner
) -> None:
    async with (
        second_process(dashboard, bot_runner) as other,
        aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http,
    ):
        moderator = await sign_in(http, dashboard, dashboard.demo.moderator_id)
        cookie = next(c.value for c in http.cookie_jar if c.key == "forumbot_session")
        # Signed in at the first process; the second serves the same session.
        assert SIGNED_OUT not in await _page(other.url, cookie)
        html = await _page(other.url, cookie)
        csrf = re.search(r'name="csrf" value="([^"]+)"', html)
        assert csrf is not None
        async with (
            aiohttp.ClientSession() as bare,
            bare.post(
                other.url + "/logout",
                data={"csrf": csrf.group(1)},
                headers={"Cookie": f"forumbot_session={cookie}"},
                allow_redirects=False,
            ) as resp,
        ):
            assert resp.status == 303
        # The copied cookie is no session anywhere now, though its signature is still good.
        assert SIGNED_OUT in await _page(dashboard.url, cookie)
        assert SIGNED_OUT in await _page(other.url, cookie)
        # The browser that signed in is signed out too.
        async with http.get(dashboard.guild + "/queue", allow_redirects=False) as resp:
            assert resp.status == 302 and resp.headers["Location"].startswith("/login")
        assert moderator.dashboard is dashboard


async def test_settings_saved_in_another_process_are_seen_at_once(
    dashboard: Dashboard, bot_runner: BotRunner, bot: ForumBot, sandbox: Sandbox
) -> None:
    demo = dashboard.demo
    gid = int(demo.guild_id)
    carol = sandbox.create_user("carol")
    joined = asyncio.ensure_future(
        bot.wait_for("member_join", check=lambda m: m.id == int(carol["id"]), timeout=5)
    )
    helpers = sandbox.create_role(demo.guild_id, "Helpers", 0)  # no Discord permissions
    sandbox.add_member(demo.guild_id, carol, [helpers["id"]])
    await joined
    modlog2 = sandbox.create_channel(demo.guild_id, "mod-log-2")
    # The bot's process has everything cached and up to date.
    assert "Only moderators" in await command(sandbox, carol, demo.general_id, "mod queue")
    before = await bot.services.guilds.get(gid)
    assert before is not None and before.modlog_channel_id == int(demo.modlog_id)
    async with (
        second_process(dashboard, bot_runner) as other,
        aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http,
    ):
        admin = await sign_in(http, other, demo.admin_id)
        policy = await other.context.moderation.policy(gid)
        form = {
            name: str(getattr(policy, name))
            for name in ("nudge_points", "hold_points", "remove_points", "timeout_points",
                         "warn_points", "half_life_hours", "timeout_threshold",
                         "first_timeout_minutes", "timeout_growth", "heat_messages",
                         "heat_window_seconds", "slowmode_seconds", "slowmode_minutes")
        }  # fmt: skip
        form |= {
            "forum_channel_id": demo.forum_id,
            "modlog_channel_id": demo.modlog_id,
            "moderator_role_id": demo.moderator_role_id,
            "reason": "reorganising",
        }

        async def save_elsewhere(**changes: str) -> None:
            form.update(changes)
            status, html = await admin.post(f"/g/{gid}/settings", form)
            assert status == 200 and "Settings saved" in html, html

        # Each path is tested after its own change, with nothing else looking in between.
        # 1. The next mod-log post (a warning given in the bot's process) uses the new channel.
        await save_elsewhere(modlog_channel_id=modlog2["id"])
        await dashboard.context.moderation.members.warn(
            gid, int(demo.bob_id), "bob", actor_id=int(demo.admin_id), reason="tone"
        )
        assert sandbox.messages(modlog2["id"]), "the mod-log post went to the old channel"
        # 2. The next interaction sees the new moderator role.
        await save_elsewhere(moderator_role_id=helpers["id"])
        assert "Review queue" in await command(sandbox, carol, demo.general_id, "mod queue")
        # 3. The bot's own dashboard shows the new ladder.
        await save_elsewhere(hold_points=str(policy.hold_points + 1))
        async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http2:
            admin_here = await sign_in(http2, dashboard, demo.admin_id)
            status, html = await admin_here.get(f"/g/{gid}/settings")
        assert status == 200 and f'value="{policy.hold_points + 1}"' in html, html


async def _held_item(dashboard: Dashboard) -> tuple[int, str]:
    demo = dashboard.demo
    sandbox = dashboard.sandbox
    thread = await article_thread(sandbox, demo)
    text = "you absolute muppet, read it again"
    msg = await sandbox.send_message(demo.alice_id, thread, text)
    await sandbox.wait_for_request("DELETE", rf"/messages/{msg['id']}$")
    [item] = await dashboard.context.moderation.desk.queue(int(demo.guild_id))
    return item.id, thread["id"]


async def test_button_first_then_dashboard_is_told_who_decided(
    dashboard: Dashboard, sandbox: Sandbox
) -> None:
    demo = dashboard.demo
    item_id, _thread = await _held_item(dashboard)
    listing = await (
        await sandbox.invoke_command(demo.admin_id, demo.general_id, "mod queue", {})
    ).message()
    clicked = await sandbox.click(demo.admin_id, listing, f"mod:decide:{item_id}:remove")
    assert "decided: remove" in await clicked.text()
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        moderator: Member = await sign_in(http, dashboard, demo.moderator_id)
        status, html = await moderator.post(
            f"/g/{demo.guild_id}/queue/{item_id}", {"action": "approve", "reason": "fine"}
        )
    assert status == 403 and "already decided (remove) by" in html, html


async def test_dashboard_first_then_button_is_told_who_decided(
    dashboard: Dashboard, sandbox: Sandbox
) -> None:
    demo = dashboard.demo
    item_id, thread = await _held_item(dashboard)
    listing = await (
        await sandbox.invoke_command(demo.admin_id, demo.general_id, "mod queue", {})
    ).message()
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        moderator = await sign_in(http, dashboard, demo.moderator_id)
        status, html = await moderator.post(
            f"/g/{demo.guild_id}/queue/{item_id}", {"action": "approve", "reason": "banter"}
        )
    assert status == 200 and "decided: approve" in html
    clicked = await sandbox.click(demo.admin_id, listing, f"mod:decide:{item_id}:remove")
    text = await clicked.text()
    assert f"already decided (approve) by <@{demo.moderator_id}>" in text, text
    # The comment is back once, and nothing removed it again.
    back = [m for m in sandbox.messages(thread) if "muppet" in m["content"]]
    assert len(back) == 1


async def test_forumbot_web_alone_says_how_it_acts_and_never_shows_its_secrets(
    configured: DemoGuild, sandbox: Sandbox, bot_settings: Settings
) -> None:
    """The `forumbot web` command in a process of its own, logging at DEBUG: it says how its
    actions reach Discord, a member signs in through it, and neither the OAuth2 client secret
    nor the cookie key nor the bot token appears in any page or anywhere in its output."""
    import os
    import sys
    from pathlib import Path

    from tests.e2e.web.support import free_port

    demo = configured
    port = free_port()
    web_secret = "cookie-key-" + "k" * 30
    secrets = (sandbox.oauth.client_secret, web_secret, sandbox.token)
    env = {
        **os.environ,
        "DISCORD_TOKEN": sandbox.token,
        "FORUMBOT_DISCORD_API_URL": sandbox.api_url,
        "FORUMBOT_DISCORD_CLIENT_ID": sandbox.application_id,
        "FORUMBOT_DISCORD_CLIENT_SECRET": sandbox.oauth.client_secret,
        "FORUMBOT_WEB_SECRET": web_secret,
        "FORUMBOT_WEB_LISTEN": f"127.0.0.1:{port}",
        "FORUMBOT_DATABASE_URL": bot_settings.database_url_or_default,
        "FORUMBOT_LOG_LEVEL": "DEBUG",
    }
    forumbot = str(Path(sys.executable).parent / "forumbot")
    proc = await asyncio.create_subprocess_exec(
        forumbot, "web", env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    assert proc.stdout is not None
    seen: list[str] = []
    try:
        async with asyncio.timeout(60):
            while not any("Dashboard at" in line for line in seen):
                line = (await proc.stdout.readline()).decode()
                assert line, "forumbot web ended early:\n" + "".join(seen)
                seen.append(line)
            seen.append((await proc.stdout.readline()).decode())
        url = f"http://127.0.0.1:{port}"
        assert any(f"Dashboard at {url}" in line for line in seen)
        assert "through the bot's REST client" in seen[-1]
        pages = []
        async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
            alone = Dashboard(url, None, sandbox, demo)  # type: ignore[arg-type]
            admin = await sign_in(http, alone, demo.admin_id)
            for path in ("/", "queue", "cases", "activity", "rules", "settings", "archive"):
                full = path if path == "/" else f"/g/{demo.guild_id}/{path}"
                status, html = await admin.get(full)
                assert status == 200, (path, html)
                pages.append(html)
    finally:
        proc.terminate()
        out, _ = await proc.communicate()
        seen.append(out.decode())
    output = "".join(seen)
    for secret in secrets:
        assert secret not in output
        assert not any(secret in html for html in pages)


async def test_sign_in_and_expensive_pages_are_rate_limited_across_processes(
    dashboard: Dashboard, bot_runner: BotRunner
) -> None:
    async with second_process(dashboard, bot_runner) as other:
        await fresh_window()
        # Sign-in attempts from one address, alternating between the two processes: they
        # count the same hits (10 a minute), so the 11th is refused wherever it lands.
        statuses = []
        async with aiohttp.ClientSession() as bare:
            for n in range(11):
                url = (dashboard.url, other.url)[n % 2] + "/login"
                async with bare.get(url, allow_redirects=False) as resp:
                    statuses.append(resp.status)
                    text = await resp.text()
        assert statuses == [302] * 10 + [429], statuses
        assert "Too many requests" in text
    # Exports cost the most: 5 a minute per person, then 429. (Signed in without the login
    # page, whose limit this address has just used up.)
    _session, cookie = await dashboard.context.sessions.create(
        int(dashboard.demo.moderator_id), "moderator", [], hours=1
    )
    export = f"{dashboard.guild}/cases.csv"
    await fresh_window()
    codes = []
    async with aiohttp.ClientSession() as http:
        for _ in range(6):
            headers = {"Cookie": f"forumbot_session={cookie}"}
            async with http.get(export, headers=headers) as resp:
                codes.append(resp.status)
    assert codes == [200] * 5 + [429], codes
