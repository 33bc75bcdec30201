"""Harness and protocol details the product bot relies on, driven through plain discord.py."""

from __future__ import annotations

import asyncio
import datetime as dt
import io
from collections.abc import AsyncIterator, Callable

import aiohttp
import discord
import pytest
from discord import app_commands
from discord.ext import commands

from forumbot.sandbox import ApiError, DemoGuild, Sandbox, SandboxFile
from forumbot.sandbox.clients import connected


class Seen:
    def __init__(self) -> None:
        self.messages: list[discord.Message] = []
        self.edits: list[discord.RawMessageUpdateEvent] = []
        self.deletes: list[discord.RawMessageDeleteEvent] = []
        self.uploads: list[bytes] = []
        self.reactions: list[discord.RawReactionActionEvent] = []
        self.thread_updates: list[discord.Thread] = []
        self.member_updates: list[discord.Member] = []
        self._changed = asyncio.Event()

    def note(self) -> None:
        self._changed.set()
        self._changed = asyncio.Event()

    async def until(self, predicate: Callable[[], object]) -> None:
        async with asyncio.timeout(5):
            while not predicate():
                await self._changed.wait()


def make_bot(seen: Seen, *, message_content: bool = True) -> commands.Bot:
    intents = discord.Intents.default()
    intents.members = True
    intents.message_content = message_content
    bot = commands.Bot(command_prefix="!", intents=intents, guild_ready_timeout=0.1)

    async def identify_now(shard_id: int | None, *, initial: bool = False) -> None:
        """discord.py waits 5 s before every re-IDENTIFY (Discord's identify rate limit)."""

    bot.before_identify_hook = identify_now  # type: ignore[method-assign]

    @bot.event
    async def on_message(message: discord.Message) -> None:
        seen.messages.append(message)
        if isinstance(message.channel, discord.DMChannel) and message.author != bot.user:
            await message.channel.send(f"got {message.content}")
        seen.note()

    @bot.event
    async def on_raw_message_edit(payload: discord.RawMessageUpdateEvent) -> None:
        seen.edits.append(payload)
        seen.note()

    @bot.event
    async def on_raw_message_delete(payload: discord.RawMessageDeleteEvent) -> None:
        seen.deletes.append(payload)
        seen.note()

    @bot.event
    async def on_socket_event_type(event_type: str) -> None:
        seen.note()

    @bot.event
    async def on_raw_reaction_add(payload: discord.RawReactionActionEvent) -> None:
        seen.reactions.append(payload)

    @bot.event
    async def on_thread_update(before: discord.Thread, after: discord.Thread) -> None:
        seen.thread_updates.append(after)

    @bot.event
    async def on_member_update(before: discord.Member, after: discord.Member) -> None:
        seen.member_updates.append(after)

    @bot.tree.command(name="upload", description="Read an attached file")
    async def upload(interaction: discord.Interaction, file: discord.Attachment) -> None:
        seen.uploads.append(await file.read())
        await interaction.response.send_message(
            f"{file.filename}: {file.size} bytes", ephemeral=True
        )

    group = app_commands.Group(
        name="mod",
        description="Moderation",
        default_permissions=discord.Permissions(moderate_members=True),
    )

    @group.command(name="mute", description="Time a member out")
    async def mute(interaction: discord.Interaction, member: discord.Member, minutes: int) -> None:
        await member.timeout(dt.timedelta(minutes=minutes), reason=f"by {interaction.user.name}")
        await interaction.response.send_message(f"muted {member.name}", ephemeral=True)

    bot.tree.add_command(group)
    return bot


@pytest.fixture
def seen() -> Seen:
    return Seen()


@pytest.fixture
async def bot(sandbox: Sandbox, seen: Seen) -> AsyncIterator[commands.Bot]:
    client = make_bot(seen)
    async with connected(client, sandbox):
        await client.tree.sync()
        yield client


async def test_member_messages_edits_deletes_and_dms(
    sandbox: Sandbox, demo: DemoGuild, bot: commands.Bot, seen: Seen
) -> None:
    msg = await sandbox.send_message(demo.alice_id, demo.general_id, "hello <@" + demo.bob_id + ">")
    await seen.until(lambda: seen.messages)
    received = seen.messages[0]
    assert received.content.startswith("hello") and isinstance(received.author, discord.Member)
    assert [u.id for u in received.mentions] == [int(demo.bob_id)]
    await sandbox.edit_message(demo.alice_id, msg, "hello again")
    await seen.until(lambda: seen.edits)
    assert seen.edits[0].data["content"] == "hello again"
    await sandbox.delete_message(demo.alice_id, msg)
    await seen.until(lambda: seen.deletes)
    assert seen.deletes[0].message_id == int(msg["id"])

    await sandbox.send_dm(demo.bob_id, "psst")
    reply = await sandbox.wait_for_message(predicate=lambda m: m["content"] == "got psst")
    assert reply in sandbox.dm_messages(demo.bob_id)


async def test_message_content_intent_blanks_other_peoples_messages(
    sandbox: Sandbox, demo: DemoGuild, seen: Seen, allow_warnings: Callable[[str], None]
) -> None:
    allow_warnings(r"Privileged message content intent is missing")
    async with connected(make_bot(seen, message_content=False), sandbox) as client:
        assert client.user is not None
        await sandbox.send_message(demo.alice_id, demo.general_id, "secret")
        await sandbox.send_message(demo.alice_id, demo.general_id, f"<@{client.user.id}> hi")
        await seen.until(lambda: len(seen.messages) == 2)
        assert seen.messages[0].content == ""
        assert seen.messages[1].content.endswith("hi")


async def test_attachment_option_and_subcommand_group(
    sandbox: Sandbox, demo: DemoGuild, bot: commands.Bot, seen: Seen
) -> None:
    handle = await sandbox.invoke_command(
        demo.admin_id, demo.general_id, "upload", {"file": SandboxFile("notes.md", b"# Title\n")}
    )
    assert await handle.text() == "notes.md: 8 bytes"
    assert seen.uploads == [b"# Title\n"] and handle.ephemeral

    muted = await sandbox.invoke_command(
        demo.moderator_id, demo.general_id, "mod mute", {"member": demo.bob_id, "minutes": 5}
    )
    assert await muted.text() == "muted bob"
    timeout = await sandbox.wait_for_request(
        "PATCH", rf"/guilds/{demo.guild_id}/members/{demo.bob_id}$"
    )
    assert timeout.reason == "by moderator"
    with pytest.raises(ApiError) as refused:
        await sandbox.send_message(demo.bob_id, demo.general_id, "let me talk")
    assert refused.value.code == 50013
    with pytest.raises(ValueError, match="missing required"):
        await sandbox.invoke_command(demo.moderator_id, demo.general_id, "mod mute", {"minutes": 5})
    with pytest.raises(LookupError):
        await sandbox.invoke_command(demo.alice_id, demo.general_id, "nope")
    sandbox.assert_no_violations()


async def test_forum_tags_threads_listing_history_and_pins(
    sandbox: Sandbox, demo: DemoGuild, bot: commands.Bot, seen: Seen
) -> None:
    forum = bot.get_channel(int(demo.forum_id))
    assert isinstance(forum, discord.ForumChannel)
    tag = await forum.create_tag(name="essay")
    assert tag.name == "essay" and "essay" in [
        t["name"] for t in sandbox.channel(forum.id)["available_tags"]
    ]
    await seen.until(lambda: len(forum.available_tags) == 4)
    with pytest.raises(discord.HTTPException) as too_many_tags:
        await forum.edit(available_tags=[discord.ForumTag(name=f"t{i}") for i in range(21)])
    assert too_many_tags.value.code == 50035
    with pytest.raises(discord.HTTPException) as too_many_applied:
        await sandbox_raw_post(
            sandbox,
            f"/channels/{forum.id}/threads",
            {
                "name": "x",
                "message": {"content": "y"},
                "applied_tags": list(demo.tag_ids.values()) * 2,
            },
        )
    assert too_many_applied.value.code == 50035
    sandbox.clear_records()

    first = await forum.create_thread(name="One", content="first post")
    second = await forum.create_thread(name="Two", content="second post")
    for i in range(5):
        await second.thread.send(f"reply {i}")
    await first.thread.edit(archived=True)
    guild = bot.get_guild(int(demo.guild_id))
    assert guild is not None
    active = await guild.active_threads()
    assert [t.name for t in active] == ["Two"]
    archived = [t async for t in forum.archived_threads()]
    assert [t.name for t in archived] == ["One"]

    newest_two = [m.content async for m in second.thread.history(limit=2)]
    assert newest_two == ["reply 4", "reply 3"]
    older = [
        m.content
        async for m in second.thread.history(
            limit=10, before=discord.Object(id=int(sandbox.messages(second.thread.id)[2]["id"]))
        )
    ]
    assert older == ["reply 0", "second post"]

    await second.message.pin()
    pins = [m.id async for m in second.thread.pins()]
    assert pins == [second.message.id]
    sandbox.assert_no_violations()


async def sandbox_raw_post(sandbox: Sandbox, path: str, body: object) -> None:
    """A request discord.py's models would never build; errors surface as discord.HTTPException."""
    async with (
        aiohttp.ClientSession() as session,
        session.post(
            sandbox.api_url + path, json=body, headers={"Authorization": f"Bot {sandbox.token}"}
        ) as resp,
    ):
        data = await resp.json(content_type="application/json")
        if resp.status >= 400:
            raise discord.HTTPException(resp, data)  # type: ignore[arg-type]


async def test_raw_limits_components_nonce_and_content_type(
    sandbox: Sandbox, demo: DemoGuild
) -> None:
    path = f"/channels/{demo.general_id}/messages"
    button = {"type": 2, "style": 1, "label": "b", "custom_id": "c"}
    with pytest.raises(discord.HTTPException) as rows:
        await sandbox_raw_post(
            sandbox, path, {"components": [{"type": 1, "components": [button]}] * 6}
        )
    assert rows.value.code == 50035
    long_id = {**button, "custom_id": "x" * 101}
    with pytest.raises(discord.HTTPException):
        await sandbox_raw_post(
            sandbox, path, {"components": [{"type": 1, "components": [long_id]}]}
        )
    with pytest.raises(discord.HTTPException):
        await sandbox_raw_post(sandbox, path, {"embeds": [{"description": "d" * 4097}]})
    with pytest.raises(discord.HTTPException) as empty:
        await sandbox_raw_post(sandbox, path, {"content": ""})
    assert empty.value.code == 50006
    assert len(sandbox.violations) == 4
    sandbox.clear_records()

    for _ in range(2):
        await sandbox_raw_post(
            sandbox, path, {"content": "once", "nonce": "n-1", "enforce_nonce": True}
        )
    assert [m["content"] for m in sandbox.messages(demo.general_id)] == ["once"]
    async with (
        aiohttp.ClientSession() as session,
        session.get(
            sandbox.api_url + "/users/@me", headers={"Authorization": f"Bot {sandbox.token}"}
        ) as resp,
    ):
        assert resp.headers["Content-Type"] == "application/json"
    async with (
        aiohttp.ClientSession() as session,
        session.get(sandbox.api_url + "/users/@me") as resp,
    ):
        assert resp.status == 401


async def test_reconnect_and_invalid_session(
    sandbox: Sandbox, demo: DemoGuild, bot: commands.Bot, seen: Seen
) -> None:
    await sandbox.request_reconnect()
    await sandbox.wait_until(lambda: sandbox.gateway.resume_count == 1, what="a resume")
    await sandbox.invalidate_sessions()
    await sandbox.wait_until_connected(count=2)
    await sandbox.send_message(demo.alice_id, demo.general_id, "after re-identify")
    await seen.until(lambda: any(m.content == "after re-identify" for m in seen.messages))


async def test_reactions_thread_controls_roles_slowmode_and_server_errors(
    sandbox: Sandbox, demo: DemoGuild, bot: commands.Bot, seen: Seen
) -> None:
    thread = await sandbox.create_forum_post(demo.alice_id, demo.forum_id, "Alice asks", "Why?")
    starter = sandbox.messages(thread["id"])[0]
    await sandbox.react(demo.bob_id, starter, "👍")
    await seen.until(lambda: seen.reactions)
    assert str(seen.reactions[0].emoji) == "👍" and seen.reactions[0].user_id == int(demo.bob_id)
    channel = bot.get_channel(int(thread["id"]))
    assert isinstance(channel, discord.Thread)
    message = await channel.fetch_message(int(starter["id"]))
    await message.add_reaction("✅")
    assert {r["emoji"]["name"]: r["count"] for r in starter["reactions"]} == {"👍": 1, "✅": 1}

    await channel.edit(slowmode_delay=60)
    await sandbox.send_message(demo.bob_id, thread["id"], "one")
    with pytest.raises(ApiError) as slow:
        await sandbox.send_message(demo.bob_id, thread["id"], "two")
    assert slow.value.code == 20016
    await sandbox.send_message(demo.moderator_id, thread["id"], "mods are exempt")
    await sandbox.send_message(demo.moderator_id, thread["id"], "twice")

    await sandbox.edit_thread(demo.moderator_id, thread["id"], locked=True)
    await seen.until(lambda: seen.thread_updates and seen.thread_updates[-1].locked)
    with pytest.raises(ApiError) as locked:
        await sandbox.send_message(demo.alice_id, thread["id"], "let me in")
    assert locked.value.code == 160005
    with pytest.raises(ApiError):
        await sandbox.edit_thread(demo.alice_id, thread["id"], locked=False)

    await sandbox.set_roles(demo.guild_id, demo.bob_id, [demo.moderator_role_id])
    await seen.until(lambda: seen.member_updates)
    assert [r.name for r in seen.member_updates[-1].roles][-1] == "Moderator"

    general = bot.get_channel(int(demo.general_id))
    assert isinstance(general, discord.TextChannel)
    for i in range(3):
        await sandbox.send_message(demo.bob_id, demo.general_id, f"spam {i}")
    await seen.until(lambda: sum(m.content.startswith("spam") for m in seen.messages) == 3)
    purged = await general.purge(limit=10, check=lambda m: m.content.startswith("spam"))
    assert len(purged) == 3 and sandbox.messages(demo.general_id) == []
    assert sandbox.find_requests("POST", r"/messages/bulk-delete$")
    guild = bot.get_guild(int(demo.guild_id))
    assert guild is not None
    found = await guild.query_members("ali")
    assert [m.name for m in found] == ["alice"]

    sandbox.inject(r"^/channels/\d+/messages$", 503, method="POST")
    with pytest.raises(discord.DiscordServerError):
        await channel.send("during an outage")
    await channel.send("after the outage")
    sandbox.assert_no_violations()


async def test_channel_overwrites_limit_members_and_the_bot(
    sandbox: Sandbox, demo: DemoGuild, bot: commands.Bot, seen: Seen
) -> None:
    view, send = 1 << 10, 1 << 11
    sandbox.set_overwrite(demo.modlog_id, demo.guild_id, deny=view)
    sandbox.set_overwrite(demo.modlog_id, demo.moderator_role_id, allow=view | send)
    with pytest.raises(ApiError) as hidden:
        await sandbox.send_message(demo.alice_id, demo.modlog_id, "can I see this?")
    assert hidden.value.code == 50001
    with pytest.raises(ApiError):
        await sandbox.invoke_command(
            demo.alice_id, demo.modlog_id, "mod mute", {"member": demo.bob_id, "minutes": 1}
        )
    await sandbox.send_message(demo.moderator_id, demo.modlog_id, "moderators can")
    modlog = bot.get_channel(int(demo.modlog_id))
    assert isinstance(modlog, discord.TextChannel)
    with pytest.raises(discord.Forbidden) as bot_hidden:
        await modlog.send("the bot's role has no overwrite yet")
    assert bot_hidden.value.code == 50001
    sandbox.set_overwrite(demo.modlog_id, demo.bot_role_id, allow=view | send)
    await seen.until(lambda: any(o.id == int(demo.bot_role_id) for o in modlog.overwrites))
    await modlog.send("now it can")
    sandbox.assert_no_violations()


async def test_command_permissions_can_be_enforced(
    sandbox: Sandbox, demo: DemoGuild, bot: commands.Bot
) -> None:
    sandbox.enforce_command_permissions = True
    with pytest.raises(ApiError) as hidden:
        await sandbox.invoke_command(
            demo.alice_id, demo.general_id, "mod mute", {"member": demo.bob_id, "minutes": 1}
        )
    assert hidden.value.code == 50013
    allowed = await sandbox.invoke_command(
        demo.admin_id, demo.general_id, "mod mute", {"member": demo.bob_id, "minutes": 1}
    )
    assert await allowed.text() == "muted bob"


async def test_uploads_over_the_size_limit_are_rejected(
    sandbox: Sandbox, demo: DemoGuild, bot: commands.Bot
) -> None:
    sandbox.attachment_size_limit = 1000
    general = bot.get_channel(int(demo.general_id))
    assert isinstance(general, discord.TextChannel)
    small = await general.send(file=discord.File(io.BytesIO(b"x" * 1000), filename="ok.txt"))
    assert small.attachments[0].size == 1000
    assert await small.attachments[0].read() == b"x" * 1000
    with pytest.raises(discord.HTTPException) as too_big:
        await general.send(file=discord.File(io.BytesIO(b"x" * 1001), filename="big.txt"))
    assert too_big.value.status == 413 and too_big.value.code == 40005


async def test_kick_ban_and_unban(sandbox: Sandbox, demo: DemoGuild, bot: commands.Bot) -> None:
    guild = bot.get_guild(int(demo.guild_id))
    assert guild is not None
    bob = guild.get_member(int(demo.bob_id))
    assert bob is not None
    await bob.ban(reason="spam", delete_message_seconds=0)
    assert demo.bob_id not in sandbox.world.guild(demo.guild_id).members
    ban = await guild.fetch_ban(discord.Object(id=int(demo.bob_id)))
    assert ban.reason == "spam" and ban.user.id == int(demo.bob_id)
    await guild.unban(discord.Object(id=int(demo.bob_id)), reason="appeal accepted")
    with pytest.raises(discord.NotFound):
        await guild.fetch_ban(discord.Object(id=int(demo.bob_id)))
    alice = guild.get_member(int(demo.alice_id))
    assert alice is not None
    await alice.kick(reason="bye")
    assert [e["action"] for e in sandbox.audit_log] == [
        "member_ban_add",
        "member_ban_remove",
        "member_kick",
    ]
    sandbox.assert_no_violations()


async def test_edits_of_old_messages_are_throttled_when_configured(
    sandbox: Sandbox, demo: DemoGuild, bot: commands.Bot
) -> None:
    general = bot.get_channel(int(demo.general_id))
    assert isinstance(general, discord.TextChannel)
    first = await general.send("v1")
    second = await general.send("v1")
    sandbox.age_messages(demo.general_id, hours=2)
    sandbox.old_edit_limit = 1
    await first.edit(content="v2")
    with pytest.raises(discord.HTTPException) as throttled:
        await second.edit(content="v2")
    assert throttled.value.code == 30046
    fresh = await general.send("new")
    await fresh.edit(content="recent messages are not throttled")
