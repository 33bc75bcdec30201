"""An unmodified discord.py bot, defined here, against the sandbox over real sockets."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable

import discord
import pytest
from discord import app_commands
from discord.ext import commands
from discord.webhook.async_ import async_context, interaction_response_params

from forumbot.sandbox import DemoGuild, Sandbox
from forumbot.sandbox.clients import connected


class Probe:
    """What the test bot saw, with events to await instead of sleeping."""

    def __init__(self) -> None:
        self.messages: list[discord.Message] = []
        self.errors: list[Exception] = []
        self.resumed = asyncio.Event()
        self.changed = asyncio.Event()

    def note(self) -> None:
        self.changed.set()
        self.changed = asyncio.Event()

    async def wait(self, predicate: Callable[[], object], timeout: float = 5.0) -> None:  # noqa: ASYNC109
        async with asyncio.timeout(timeout):
            while not predicate():
                await self.changed.wait()


class Buttons(discord.ui.View):
    def __init__(self) -> None:
        super().__init__(timeout=None)

    @discord.ui.button(label="Approve", custom_id="demo:approve", style=discord.ButtonStyle.green)
    async def approve(
        self, interaction: discord.Interaction, button: discord.ui.Button[Buttons]
    ) -> None:
        await interaction.response.edit_message(content="approved", view=None)


class Feedback(discord.ui.Modal, title="Feedback"):
    text: discord.ui.TextInput[Feedback] = discord.ui.TextInput(
        label="Your feedback", custom_id="fb:text"
    )

    async def on_submit(self, interaction: discord.Interaction) -> None:
        await interaction.response.send_message(f"thanks: {self.text.value}", ephemeral=True)


def make_bot(probe: Probe) -> commands.Bot:
    intents = discord.Intents.default()
    intents.members = True
    intents.message_content = True
    bot = commands.Bot(command_prefix="!", intents=intents, guild_ready_timeout=0.1)

    @bot.event
    async def on_message(message: discord.Message) -> None:
        probe.messages.append(message)
        probe.note()

    @bot.event
    async def on_resumed() -> None:
        probe.resumed.set()

    @bot.event
    async def on_socket_event_type(event_type: str) -> None:
        # Runs after discord.py parsed the event: a generic "the cache changed" pulse.
        probe.note()

    @bot.tree.command(name="echo", description="Repeat text")
    @app_commands.describe(text="What to repeat", times="How often", who="Someone")
    async def echo(
        interaction: discord.Interaction,
        text: str,
        times: int = 1,
        who: discord.Member | None = None,
    ) -> None:
        suffix = f" for {who.name}" if who else ""
        await interaction.response.send_message(
            " ".join([text] * times) + suffix, allowed_mentions=discord.AllowedMentions.none()
        )

    @bot.tree.command(name="slow", description="Defer, then answer in a follow-up")
    async def slow(interaction: discord.Interaction) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        await interaction.followup.send("done", ephemeral=True)
        await interaction.followup.send("and more")

    @bot.tree.command(name="panel", description="Post buttons")
    async def panel(interaction: discord.Interaction) -> None:
        await interaction.response.send_message("pending", view=Buttons())

    @bot.tree.command(name="feedback", description="Open a modal")
    async def feedback(interaction: discord.Interaction) -> None:
        await interaction.response.send_modal(Feedback())

    @bot.tree.command(name="twice", description="Answers twice (a bug)")
    async def twice(interaction: discord.Interaction) -> None:
        await interaction.response.send_message("one")
        adapter = async_context.get()
        try:
            await adapter.create_interaction_response(
                interaction.id,
                interaction.token,
                session=interaction._session,
                params=interaction_response_params(4, {"content": "two"}),
            )
        except discord.HTTPException as exc:
            probe.errors.append(exc)
        probe.note()

    @bot.tree.command(name="late", description="Answers too late (a bug)")
    async def late(interaction: discord.Interaction) -> None:
        await asyncio.sleep(0.3)  # the handler being slow is what is under test
        try:
            await interaction.response.send_message("too late")
        except discord.HTTPException as exc:
            probe.errors.append(exc)
        probe.note()

    async def suggest(
        interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return [app_commands.Choice(name=f"{current} {i}", value=f"v{i}") for i in range(3)]

    @bot.tree.command(name="find", description="Search with suggestions")
    @app_commands.autocomplete(query=suggest)
    async def find(interaction: discord.Interaction, query: str) -> None:
        await interaction.response.send_message(f"found {query}")

    @bot.tree.command(name="many", description="Suggests too many choices (a bug)")
    async def many(interaction: discord.Interaction, query: str) -> None:
        await interaction.response.send_message("never")

    @many.autocomplete("query")
    async def many_choices(
        interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        try:
            await interaction.response.autocomplete(
                [app_commands.Choice(name=f"c{i}", value=str(i)) for i in range(26)]
            )
        except discord.HTTPException as exc:
            probe.errors.append(exc)
        probe.note()
        return []

    @bot.tree.context_menu(name="Quote")
    async def quote(interaction: discord.Interaction, message: discord.Message) -> None:
        await interaction.response.send_message(f"> {message.content}", ephemeral=True)

    return bot


@pytest.fixture
async def probe() -> Probe:
    return Probe()


@pytest.fixture
async def bot(sandbox: Sandbox, probe: Probe) -> AsyncIterator[commands.Bot]:
    client = make_bot(probe)
    async with connected(client, sandbox):
        await client.tree.sync()
        yield client


async def test_login_ready_guild_forum_tags_and_members(
    sandbox: Sandbox, demo: DemoGuild, bot: commands.Bot
) -> None:
    guild = bot.get_guild(int(demo.guild_id))
    assert guild is not None and bot.user is not None
    assert bot.user.id == int(sandbox.bot_id)
    forum = guild.get_channel(int(demo.forum_id))
    assert isinstance(forum, discord.ForumChannel)
    assert [t.name for t in forum.available_tags] == ["article", "discussion", "question"]
    assert isinstance(guild.get_channel(int(demo.modlog_id)), discord.TextChannel)
    # Members arrived through op 8 -> GUILD_MEMBERS_CHUNK.
    assert guild.chunked and guild.member_count == 5
    alice = guild.get_member(int(demo.alice_id))
    admin = guild.get_member(int(demo.admin_id))
    assert alice is not None and admin is not None
    assert admin.guild_permissions.administrator and not alice.guild_permissions.manage_messages
    moderator = guild.get_member(int(demo.moderator_id))
    assert moderator is not None and moderator.guild_permissions.moderate_members
    # discord.py asked for zlib-stream and inflated every payload of the stream.
    assert sandbox.gateway.compressed_connections == 1
    sync = sandbox.find_requests("PUT", r"^/applications/\d+/commands$")
    assert sync and sync[-1].status == 200
    sandbox.assert_no_violations()


async def test_slash_command_with_options_and_resolved_member(
    sandbox: Sandbox, demo: DemoGuild, bot: commands.Bot
) -> None:
    handle = await sandbox.invoke_command(
        demo.alice_id, demo.general_id, "echo", {"text": "hi", "times": 2, "who": demo.bob_id}
    )
    message = await handle.message()
    assert message["content"] == "hi hi for bob"
    assert not handle.ephemeral
    callback = await sandbox.wait_for_request("POST", r"/interactions/\d+/.+/callback")
    assert callback.query.get("with_response") == "1"
    assert callback.json["data"]["allowed_mentions"] == {"parse": []}
    assert message in sandbox.messages(demo.general_id)
    sandbox.assert_no_violations()


async def test_defer_then_followups_edit_the_placeholder_then_add_messages(
    sandbox: Sandbox, demo: DemoGuild, bot: commands.Bot
) -> None:
    handle = await sandbox.invoke_command(demo.bob_id, demo.general_id, "slow")
    assert (await handle.text()) == "done"
    assert handle.ephemeral and handle.response_type == 5
    extra = await handle.followup(0)
    assert extra["content"] == "and more" and not extra["flags"] & 64
    # The ephemeral answer is not in the channel history; the follow-up is.
    assert [m["content"] for m in sandbox.messages(demo.general_id)] == ["and more"]
    sandbox.assert_no_violations()


async def test_button_click_updates_the_message(
    sandbox: Sandbox, demo: DemoGuild, bot: commands.Bot
) -> None:
    handle = await sandbox.invoke_command(demo.alice_id, demo.general_id, "panel")
    posted = await handle.message()
    assert posted["components"][0]["components"][0]["custom_id"] == "demo:approve"
    click = await sandbox.click(demo.moderator_id, posted, "demo:approve")
    await click.response()
    assert click.response_type == 7
    updated = sandbox.world.find_message(posted["id"])
    assert updated["content"] == "approved" and updated["components"] == []
    sandbox.assert_no_violations()


async def test_modal_submit_and_message_context_menu(
    sandbox: Sandbox, demo: DemoGuild, bot: commands.Bot
) -> None:
    opened = await sandbox.invoke_command(demo.alice_id, demo.general_id, "feedback")
    modal = await opened.modal()
    assert modal["title"] == "Feedback"
    submitted = await sandbox.submit_modal(demo.alice_id, opened, {"fb:text": "great"})
    assert await submitted.text() == "thanks: great"

    said = await sandbox.send_message(demo.bob_id, demo.general_id, "quotable words")
    quoted = await sandbox.invoke_message_command(demo.alice_id, said, "Quote")
    assert await quoted.text() == "> quotable words"
    sandbox.assert_no_violations()


async def test_autocomplete_choices(sandbox: Sandbox, demo: DemoGuild, bot: commands.Bot) -> None:
    handle = await sandbox.autocomplete(
        demo.alice_id, demo.general_id, "find", {"query": "cit"}, focused="query"
    )
    choices = await handle.choices()
    assert [c["name"] for c in choices] == ["cit 0", "cit 1", "cit 2"]
    sandbox.assert_no_violations()


async def test_forum_post_and_messages(
    sandbox: Sandbox, demo: DemoGuild, bot: commands.Bot, probe: Probe
) -> None:
    forum = bot.get_channel(int(demo.forum_id))
    assert isinstance(forum, discord.ForumChannel)
    tag = forum.get_tag(int(demo.tag_ids["article"]))
    assert tag is not None
    created = await forum.create_thread(name="An article", content="Body text", applied_tags=[tag])
    assert created.message.id == created.thread.id
    assert created.thread.applied_tags == [tag]
    # THREAD_CREATE reached the cache, so the thread is a real Thread, not a PartialMessageable.
    await probe.wait(lambda: isinstance(bot.get_channel(created.thread.id), discord.Thread))
    await sandbox.send_message(demo.alice_id, created.thread.id, "first reply")
    reply = await sandbox.wait_for_message(
        created.thread.id, author=demo.alice_id, since_mark=False
    )
    assert reply["content"] == "first reply"
    await created.thread.edit(archived=True, locked=True)
    thread = sandbox.channel(created.thread.id)
    assert thread["thread_metadata"]["archived"] and thread["thread_metadata"]["locked"]
    history = [m async for m in created.thread.history(limit=10)]
    assert [m.content for m in history] == ["first reply", "Body text"]
    sandbox.assert_no_violations()


async def test_limits_answer_discord_errors(
    sandbox: Sandbox, demo: DemoGuild, bot: commands.Bot, probe: Probe
) -> None:
    general = bot.get_channel(int(demo.general_id))
    forum = bot.get_channel(int(demo.forum_id))
    assert isinstance(general, discord.TextChannel) and isinstance(forum, discord.ForumChannel)
    with pytest.raises(discord.HTTPException) as too_long:
        await general.send("x" * 2001)
    assert too_long.value.status == 400 and too_long.value.code == 50035
    with pytest.raises(discord.HTTPException) as bad_title:
        await forum.create_thread(name="t" * 101, content="body")
    assert bad_title.value.code == 50035
    assert [v.code for v in sandbox.violations] == [50035, 50035]
    assert "content" in (sandbox.violations[0].errors or {})

    sandbox.clear_records()
    await sandbox.autocomplete(
        demo.alice_id, demo.general_id, "many", {"query": "c"}, focused="query"
    )
    await probe.wait(lambda: probe.errors)
    assert isinstance(probe.errors[0], discord.HTTPException) and probe.errors[0].code == 50035

    await sandbox.invoke_command(demo.alice_id, demo.general_id, "twice")
    await probe.wait(lambda: len(probe.errors) == 2)
    assert isinstance(probe.errors[1], discord.HTTPException) and probe.errors[1].code == 40060

    sandbox.interaction_deadline = 0.2
    await sandbox.invoke_command(demo.alice_id, demo.general_id, "late")
    await probe.wait(lambda: len(probe.errors) == 3)
    assert isinstance(probe.errors[2], discord.NotFound) and probe.errors[2].code == 10062
    assert [v.code for v in sandbox.violations] == [50035, 40060, 10062]


async def test_rate_limit_is_retried_transparently(
    sandbox: Sandbox, demo: DemoGuild, bot: commands.Bot, allow_warnings: Callable[[str], None]
) -> None:
    allow_warnings(r"We are being rate limited")
    general = bot.get_channel(int(demo.general_id))
    assert isinstance(general, discord.TextChannel)
    sandbox.inject(r"^/channels/\d+/messages$", 429, method="POST", retry_after=0.05)
    sent = await general.send("after a 429")
    posts = sandbox.find_requests("POST", r"^/channels/\d+/messages$")
    assert [r.status for r in posts] == [429, 200]
    assert sandbox.messages(demo.general_id)[-1]["id"] == str(sent.id)
    sandbox.assert_no_violations()


async def test_route_buckets_slow_the_bot_down_without_losing_messages(
    sandbox: Sandbox, demo: DemoGuild, bot: commands.Bot, allow_warnings: Callable[[str], None]
) -> None:
    allow_warnings(r"We are being rate limited")
    general = bot.get_channel(int(demo.general_id))
    assert isinstance(general, discord.TextChannel)
    sandbox.add_rate_limit(r"^/channels/(\d+)/messages$", 2, 0.2, method="POST")
    await asyncio.gather(*(general.send(f"burst {i}") for i in range(5)))
    contents = sorted(m["content"] for m in sandbox.messages(demo.general_id))
    assert contents == [f"burst {i}" for i in range(5)]
    posts = sandbox.find_requests("POST", r"^/channels/\d+/messages$")
    assert [r.status for r in posts].count(200) == 5
    sandbox.assert_no_violations()


async def test_dropped_connection_resumes_and_replays(
    sandbox: Sandbox, demo: DemoGuild, bot: commands.Bot, probe: Probe
) -> None:
    assert await sandbox.drop_connections() == 1
    assert all(s.ws is None for s in sandbox.gateway.sessions.values())
    await sandbox.send_message(demo.alice_id, demo.general_id, "while you were away")
    await asyncio.wait_for(probe.resumed.wait(), 5)
    await probe.wait(lambda: any(m.content == "while you were away" for m in probe.messages))
    assert sandbox.gateway.resume_count == 1 and sandbox.gateway.identify_count == 1


async def test_restart_against_the_same_state(
    sandbox: Sandbox, demo: DemoGuild, probe: Probe
) -> None:
    async with connected(make_bot(probe), sandbox) as first:
        forum = first.get_channel(int(demo.forum_id))
        assert isinstance(forum, discord.ForumChannel)
        await forum.create_thread(name="Survives restarts", content="body")
    async with connected(make_bot(probe), sandbox) as second:
        guild = second.get_guild(int(demo.guild_id))
        assert guild is not None
        assert [t.name for t in guild.threads] == ["Survives restarts"]
    assert sandbox.gateway.identify_count == 2


async def test_member_moderation_rules(
    sandbox: Sandbox, demo: DemoGuild, bot: commands.Bot
) -> None:
    import datetime as dt

    guild = bot.get_guild(int(demo.guild_id))
    assert guild is not None
    alice, admin = guild.get_member(int(demo.alice_id)), guild.get_member(int(demo.admin_id))
    assert alice is not None and admin is not None
    await alice.timeout(dt.timedelta(minutes=10), reason="cooling off")
    assert sandbox.member(demo.guild_id, demo.alice_id)["communication_disabled_until"]
    assert sandbox.audit_log[-1]["reason"] == "cooling off"
    with pytest.raises(discord.HTTPException) as too_far:
        await alice.timeout(dt.timedelta(days=29))
    assert too_far.value.code == 50035
    with pytest.raises(discord.HTTPException) as long_reason:
        await alice.timeout(dt.timedelta(minutes=1), reason="r" * 513)
    assert long_reason.value.code == 50035
    with pytest.raises(discord.Forbidden) as protected:
        await admin.timeout(dt.timedelta(minutes=1))
    assert protected.value.code == 50013
    sandbox.set_dms_closed(demo.bob_id)
    bob = guild.get_member(int(demo.bob_id))
    assert bob is not None
    with pytest.raises(discord.Forbidden) as closed:
        await bob.send("hello")
    assert closed.value.code == 50007
    assert [v.code for v in sandbox.violations] == [50035, 50035]


async def test_pings_follow_allowed_mentions(
    sandbox: Sandbox, demo: DemoGuild, bot: commands.Bot
) -> None:
    said = await sandbox.send_message(
        demo.alice_id, demo.general_id, f"hey <@{demo.bob_id}> @everyone"
    )
    assert sandbox.pings(said) == {"users": [demo.bob_id], "roles": [], "everyone": True}
    echo = await sandbox.invoke_command(
        demo.alice_id, demo.general_id, "echo", {"text": f"<@{demo.bob_id}>"}
    )
    answer = await echo.message()
    assert sandbox.pings(answer) == {"users": [], "roles": [], "everyone": False}
    assert answer["mentions"] == []
    general = bot.get_channel(int(demo.general_id))
    assert isinstance(general, discord.TextChannel)
    loud = await general.send(f"<@{demo.bob_id}>")
    assert sandbox.pings(str(loud.id))["users"] == [demo.bob_id]
