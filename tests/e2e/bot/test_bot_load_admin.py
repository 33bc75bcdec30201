"""End to end: /article load (preview, confirm, cancel, bad files), /setup requirements,
command sync only when the command set changed, /admin sync, and the `forumbot run` demo."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from pydantic import SecretStr

from forumbot.bot.client import ForumBot
from forumbot.sandbox import DemoGuild, Sandbox, SandboxFile
from tests.fixtures.bot import BotRunner

ARTICLE = b"---\ntitle: Loaded from Discord\nauthor: Grace\n---\n\nFirst part.\n\nSecond part.\n"


def buttons(message: dict[str, Any]) -> dict[str, str]:
    return {
        c.get("label"): c["custom_id"]
        for row in message.get("components") or []
        for c in row.get("components") or []
    }


async def titles(bot: ForumBot, guild: DemoGuild) -> list[str]:
    """The articles the guild sees: what its admin loads goes to its own library."""
    return [a.title for a in await bot.services.archive.list_articles(guild_id=int(guild.guild_id))]


async def test_load_previews_then_confirm_stores_and_publishes(
    bot: ForumBot, sandbox: Sandbox, configured: DemoGuild
) -> None:
    handle = await sandbox.invoke_command(
        configured.admin_id,
        configured.general_id,
        "article load",
        {"file": SandboxFile("loaded.md", ARTICLE), "publish": True},
    )
    preview = await handle.message()
    text = await handle.text()
    assert preview["flags"] & 64
    assert "Loaded from Discord" in text and "2 passages" in text and "Grace" in text
    assert await titles(bot, configured) == [], "nothing is stored before Confirm"
    # Someone else cannot confirm it.
    other = await sandbox.click(configured.alice_id, preview, buttons(preview)["Confirm"])
    assert "Only the person" in (await other.message())["content"]
    assert await titles(bot, configured) == []
    confirm = await sandbox.click(configured.admin_id, preview, buttons(preview)["Confirm"])
    await confirm.response()
    done = await sandbox.wait_until(
        lambda: "Published" in (sandbox.world.messages[preview["id"]]["content"] or ""),
        what="the publish line",
    )
    assert done
    assert await titles(bot, configured) == ["Loaded from Discord"]
    assert [t["name"] for t in sandbox.threads(configured.forum_id)] == ["Loaded from Discord"]
    sandbox.assert_no_violations()


async def test_load_cancel_stores_nothing(
    bot: ForumBot, sandbox: Sandbox, configured: DemoGuild
) -> None:
    handle = await sandbox.invoke_command(
        configured.admin_id,
        configured.general_id,
        "article load",
        {"file": SandboxFile("loaded.md", ARTICLE)},
    )
    preview = await handle.message()
    cancel = await sandbox.click(configured.admin_id, preview, buttons(preview)["Cancel"])
    await cancel.response()
    assert "nothing was stored" in sandbox.world.messages[preview["id"]]["content"]
    assert await titles(bot, configured) == []


async def test_load_rejects_bad_files_with_a_reason(
    bot: ForumBot, sandbox: Sandbox, configured: DemoGuild
) -> None:
    cases = [
        (SandboxFile("binary.txt", b"\x00\x01\x02garbage" * 10), "binary"),
        (SandboxFile("photo.png", b"\x89PNG\r\n\x1a\n" + b"0" * 50), "photo.png"),
        (SandboxFile("huge.txt", b"word " * 60_000), "too large"),
        (SandboxFile("empty.txt", b""), "empty.txt"),
    ]
    for upload, expected in cases:
        handle = await sandbox.invoke_command(
            configured.admin_id, configured.general_id, "article load", {"file": upload}
        )
        message = await handle.message()
        assert message["flags"] & 64
        assert expected in message["content"], message["content"]
        assert "Something went wrong" not in message["content"]
    assert await titles(bot, configured) == []
    sandbox.assert_no_violations()


def _laughs() -> bytes:
    levels = ["a: &a [" + ",".join(['"lol"'] * 9) + "]"]
    for prev, name in zip("abcdefgh", "bcdefghi", strict=True):
        levels.append(f"{name}: &{name} [" + ",".join([f"*{prev}"] * 9) + "]")
    return ("---\n" + "\n".join(levels) + "\ndate: *i\n---\nSome text.\n").encode()


async def test_load_of_hostile_files_answers_one_line_each_and_stores_nothing(
    bot: ForumBot, sandbox: Sandbox, configured: DemoGuild
) -> None:
    """The fuzzing finds of issue 11 through /article load: each is its file's one-line
    reason (the name shown escaped on one line), nothing is stored, the bot carries on."""
    deep = b'<script type="application/ld+json">' + b"[" * 100_000 + b"</script><p>Text.</p>"
    cases = [
        (SandboxFile("laughs.md", _laughs()), "laughs.md: front matter: YAML aliases"),
        (
            SandboxFile(
                "tags.md",
                b"---\ntags: [" + b",".join(b"t%d" % i for i in range(20_000)) + b"]\n---\nx\n",
            ),
            "tags.md: front matter: longer than 64 KiB",
        ),
        (
            SandboxFile("broken.txt", "Café\n\nUn café.\n".encode() + b"\xff bad\n"),
            "invalid UTF-8 at line 4",
        ),
        (SandboxFile("a\nerror: forged.txt", b"\x00\x01" * 40), "a\\nerror: forged.txt: binary"),
    ]
    for upload, expected in cases:
        handle = await sandbox.invoke_command(
            configured.admin_id, configured.general_id, "article load", {"file": upload}
        )
        message = await handle.message()
        assert expected in message["content"], message["content"]
        assert "\n" not in message["content"]
    assert await titles(bot, configured) == []
    # 100,000-deep JSON-LD is ignored, the page itself loads
    handle = await sandbox.invoke_command(
        configured.admin_id,
        configured.general_id,
        "article load",
        {"file": SandboxFile("deep.html", deep)},
    )
    message = await handle.message()
    assert "Confirm" in buttons(message)
    sandbox.assert_no_violations()


async def test_publish_before_setup_says_what_to_do(
    bot: ForumBot, sandbox: Sandbox, demo: DemoGuild
) -> None:
    handle = await sandbox.invoke_command(demo.admin_id, demo.general_id, "article publish-all")
    assert "/setup" in await handle.text()


async def test_setup_is_stored_and_survives_restart(
    bot_runner: BotRunner, sandbox: Sandbox, demo: DemoGuild, configured: DemoGuild, bot: ForumBot
) -> None:
    config = await bot.services.guilds.get(int(demo.guild_id))
    assert config is not None and config.forum_channel_id == int(demo.forum_id)
    await bot.close()
    async with bot_runner.running() as again:
        config = await again.services.guilds.get(int(demo.guild_id))
        assert config is not None and config.moderator_role_id == int(demo.moderator_role_id)


async def test_commands_sync_only_when_changed_and_owner_can_force(
    bot_runner: BotRunner, sandbox: Sandbox, demo: DemoGuild
) -> None:
    async with bot_runner.running() as first:
        assert first.synced_commands
    puts_before = len(sandbox.find_requests("PUT", r"/commands$"))
    async with bot_runner.running() as second:
        assert not second.synced_commands, "unchanged command set must not be re-synced"
        assert len(sandbox.find_requests("PUT", r"/commands$")) == puts_before
        handle = await sandbox.invoke_command(demo.admin_id, demo.general_id, "admin sync")
        assert "Synced" in await handle.text()
        assert len(sandbox.find_requests("PUT", r"/commands$")) == puts_before + 1
        refused = await sandbox.invoke_command(demo.moderator_id, demo.general_id, "admin sync")
        assert "owner" in await refused.text()
    sandbox.assert_no_violations()


def test_every_command_has_a_description_and_unique_name(bot_settings: Any) -> None:
    import asyncio

    from forumbot.bot.client import discover_extensions
    from forumbot.bot.services import build_services
    from forumbot.storage.db import make_engine

    async def check() -> None:
        engine = make_engine(bot_settings.database_url_or_default)
        bot = ForumBot(build_services(bot_settings, engine))
        try:
            for name in discover_extensions():
                await bot.load_extension(name)
            payload = [c.to_dict(bot.tree) for c in bot.tree.get_commands()]
            keys = [(c.get("type", 1), c["name"]) for c in payload]
            assert len(keys) == len(set(keys))
            assert {"setup", "search", "cite", "article", "admin"} <= {k[1] for k in keys}
            for command in payload:
                if command.get("type", 1) == 1:
                    assert 1 <= len(command["description"]) <= 100
        finally:
            await bot.close()
            await engine.dispose()

    asyncio.run(check())


@pytest.mark.parametrize("database", ["temporary", "postgresql"])
def test_run_demo_console(
    tmp_path: Path, monkeypatch: Any, database: str, request: pytest.FixtureRequest
) -> None:
    from forumbot.cli import main
    from forumbot.config import get_settings

    if database == "postgresql":
        # `run --demo` honours FORUMBOT_DATABASE_URL (it used a temporary SQLite regardless).
        url = str(request.getfixturevalue("empty_pg_url"))
        monkeypatch.setenv("FORUMBOT_DATABASE_URL", url)
    else:
        monkeypatch.delenv("FORUMBOT_DATABASE_URL", raising=False)
    monkeypatch.delenv("DISCORD_TOKEN", raising=False)
    monkeypatch.delenv("FORUMBOT_DISCORD_TOKEN", raising=False)
    monkeypatch.setenv("FORUMBOT_DATA_DIR", str(tmp_path))
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    (seeds / "a.md").write_text(
        "---\ntitle: Tea\nauthor: Ada\n---\n\nTea is a drink.\n\nSome like it green.\n"
    )
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(
            main,
            ["run", "--seeds", str(seeds)],
            input=(
                "/search green\n/cite 1 1-2\nas bob\n/article publish 1\nnonsense\n"
                '/search "unbalanced (C++ NOT\nquit\n'
            ),
        )
    finally:
        get_settings.cache_clear()
    out = result.output
    assert result.exit_code == 0, out
    assert "1 published" in out
    assert "__green__" in out  # the search result, matches underlined
    assert "¶1–2" in out  # the citation
    assert "Manage Server" in out  # bob may not publish
    assert "unknown command" in out
    assert 'Search: "unbalanced (C++ NOT' in out  # an open quote is taken literally
    assert "No closing quotation" not in out
    if database == "postgresql":
        import asyncpg  # the demo's articles are in that database

        async def count() -> int:
            from tests.fixtures.db import _asyncpg_dsn

            conn = await asyncpg.connect(_asyncpg_dsn(url))
            try:
                return int(await conn.fetchval("SELECT count(*) FROM articles"))
            finally:
                await conn.close()

        assert asyncio.run(count()) == 1
        assert "Database: postgresql+asyncpg://" in out
    else:
        assert "Database: a temporary SQLite file" in out


async def test_run_bot_turns_a_rejected_token_into_a_startup_error(
    bot_settings: Any, sandbox: Sandbox, monkeypatch: Any
) -> None:
    from forumbot.bot import runtime

    # run_bot installs the production log handler; keep pytest's own in place.
    monkeypatch.setattr(runtime, "configure_logging", lambda level: None)
    settings = bot_settings.model_copy(
        update={
            "discord_token": SecretStr("not-the-sandbox-token"),
            "discord_api_url": sandbox.api_url,
            "discord_gateway_url": sandbox.gateway_url,
        }
    )
    with pytest.raises(runtime.StartupError, match="rejected the token"):
        await runtime.run_bot(settings)


async def test_an_unexpected_error_is_logged_and_answered_generically(
    bot: ForumBot,
    sandbox: Sandbox,
    demo: DemoGuild,
    allow_warnings: Any,
    caplog: Any,
) -> None:
    allow_warnings(r"unexpected error handling an interaction")

    async def broken(*_args: Any, **_kwargs: Any) -> Any:
        raise RuntimeError("boom: a bug")

    bot.services.archive.search_page = broken  # type: ignore[method-assign]
    handle = await sandbox.invoke_command(
        demo.alice_id, demo.general_id, "search", {"query": "anything"}
    )
    message = await handle.message()
    assert message["flags"] & 64
    assert message["content"].startswith("Something went wrong")
    assert "boom" not in message["content"]  # no internals shown to users
    logged = [r for r in caplog.records if r.name == "forumbot.errors"]
    assert logged and logged[0].exc_info is not None
    assert logged[0].command == "search"  # type: ignore[attr-defined]
