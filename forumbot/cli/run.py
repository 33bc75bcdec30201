"""`forumbot run`: migrations, then the bot (or the local sandbox demo without a token)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import shlex
import sys
import tempfile
from pathlib import Path
from typing import Any

import click
import discord

from forumbot.cli.app import fail, main
from forumbot.config import Settings, get_settings

log = logging.getLogger("forumbot.run")


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
    from forumbot.runtime import run_event_loop, tune_interpreter

    settings = get_settings()
    tune_interpreter()
    try:
        if settings.discord_token is not None and not demo:
            run_event_loop(_run_bot(settings, force_sync=force_sync))
        else:
            run_event_loop(_run_demo(settings, seeds or _default_seeds()))
    except KeyboardInterrupt:
        click.echo("bye", err=True)
    except discord.LoginFailure:
        fail("Discord rejected the token (DISCORD_TOKEN).")
    except discord.PrivilegedIntentsRequired:
        fail(
            "Discord refused the privileged intents: enable Server Members and Message Content "
            "for the bot in the Developer Portal."
        )


def _default_seeds() -> Path:
    from forumbot.storage.db import REPO_ROOT

    return REPO_ROOT / "seeds"


async def _run_bot(settings: Settings, *, force_sync: bool) -> None:
    from forumbot.bot import ForumBot
    from forumbot.runtime import configure_logging, open_services, point_discord_at

    configure_logging(settings.log_level)
    assert settings.discord_token is not None
    if settings.discord_api_url or settings.discord_gateway_url:
        point_discord_at(settings.discord_api_url, settings.discord_gateway_url)
        log.info(
            "using a Discord-compatible server",
            extra={"api": settings.discord_api_url, "gateway": settings.discord_gateway_url},
        )
    async with open_services(settings) as services:
        bot = ForumBot(services, force_sync=force_sync)
        async with bot:
            await bot.start(settings.discord_token.get_secret_value())


# --- the demo: sandbox + bot + a console to act as the demo members ------------------------------

HELP = """\
Commands (you act as the current member; the bot's answers are printed):
  /search <query> [author=..] [article=..]   search the archive (then: next, prev, share <n>)
  /cite <article> <range>                    quote passages, e.g. /cite 3 2-4
  /article show <article>                    link and summary of an article
  /<any command> <required args> [opt=value] any synced command, e.g. /article publish 5
  click <label>                              press a button on the bot's last message
  threads                                    list the forum posts (numbered)
  say <thread #> <text>                      post a comment in a forum post
  find <thread #>                            "Find in archive" on the last message there
  as <admin|moderator|alice|bob>             switch member
  help | quit"""


class DemoConsole:
    def __init__(self, sandbox: Any, out: Any = None) -> None:
        from forumbot.sandbox.interactions import message_text

        self.sb = sandbox
        self.demo = sandbox.demo
        self.text_of = message_text
        self.out = out or sys.stdout
        self.users = {
            "admin": self.demo.admin_id,
            "moderator": self.demo.moderator_id,
            "alice": self.demo.alice_id,
            "bob": self.demo.bob_id,
        }
        self.user = "alice"
        self.last_with_buttons: dict[str, Any] | None = None
        self.seen = len(self.sb.world.created_order)
        self.quiet = False

    def say(self, text: str) -> None:
        print(text, file=self.out, flush=True)

    # -- printing what the bot did --------------------------------------------------------------

    async def _settle(self, handle: Any | None) -> None:
        if handle is not None:
            with contextlib.suppress(TimeoutError):
                await handle.message(timeout=60)
        await asyncio.sleep(0.3)  # let side effects (posts, mod-log entries) land
        if self.quiet and handle is not None:
            # Only the answer itself (e.g. not the hundred posts of a publish-all).
            self.seen = len(self.sb.world.created_order)
            original = handle.original
            if original is not None:
                self.say(f"[bot → you]\n{self.text_of(original)}\n")
            return
        self._print_new()

    def _print_new(self) -> None:
        order = self.sb.world.created_order
        for mid in order[self.seen :]:
            msg = self.sb.world.messages.get(mid)
            if msg is None or msg["author"]["id"] != self.sb.bot_id or msg["flags"] & 128:
                continue
            where = self._channel_name(msg["channel_id"])
            private = " (only you see this)" if msg["flags"] & 64 else ""
            self.say(f"[bot → {where}{private}]\n{self._humanize(self.text_of(msg))}\n")
            if msg.get("components"):
                self.last_with_buttons = msg
        self.seen = len(order)

    def _humanize(self, text: str) -> str:
        """Mentions as a reader sees them: <@id> -> @name, <#id> -> #channel, <@&id> -> @role."""
        world = self.sb.world

        def user(m: re.Match[str]) -> str:
            found = world.users.get(m.group(1))
            return f"@{found['username']}" if found else m.group(0)

        def role(m: re.Match[str]) -> str:
            for guild in world.guilds.values():
                if m.group(1) in guild.roles:
                    return f"@{guild.roles[m.group(1)]['name']}"
            return m.group(0)

        text = re.sub(r"<@&(\d+)>", role, text)
        text = re.sub(r"<@!?(\d+)>", user, text)
        return re.sub(r"<#(\d+)>", lambda m: self._channel_name(m.group(1)), text)

    def _channel_name(self, channel_id: str) -> str:
        channel = self.sb.world.channels.get(channel_id)
        if channel is None:
            return channel_id
        if channel.get("name"):
            return f"#{channel['name']}"
        people = [u.get("username", "?") for u in channel.get("recipients") or []]
        return "DM " + ", ".join(f"@{p}" for p in people) if people else "DM"

    # -- actions ------------------------------------------------------------------------------

    def _threads(self) -> list[dict[str, Any]]:
        return sorted(self.sb.threads(self.demo.forum_id), key=lambda t: int(t["id"]))

    def _thread(self, ref: str) -> dict[str, Any]:
        threads = self._threads()
        if ref.isdigit() and 1 <= int(ref) <= len(threads):
            return threads[int(ref) - 1]
        found = [t for t in threads if ref.casefold() in t["name"].casefold()]
        if not found:
            raise ValueError(f"no thread {ref!r}; type `threads` to list them")
        return found[0]

    async def slash(self, line: str) -> None:
        words = line[1:].split(maxsplit=1)
        name, rest = words[0], (words[1] if len(words) > 1 else "")
        cmd = next(
            (c for scope in self.sb.commands.values() for c in scope if c["name"] == name), None
        )
        if cmd is None:
            raise ValueError(f"no command /{name}; type `help`")
        path: list[str] = []
        options = cmd.get("options") or []
        while options and options[0]["type"] in (1, 2):
            sub, _, rest = rest.partition(" ")
            match = next((o for o in options if o["name"] == sub), None)
            if match is None:
                names = ", ".join(o["name"] for o in options)
                raise ValueError(f"/{name} needs one of: {names}")
            path.append(sub)
            options = match.get("options") or []
        values: dict[str, Any] = {}
        for key, quoted, bare in re.findall(r'(\w+)=(?:"([^"]*)"|(\S+))', rest):
            values[key] = quoted or bare
        rest = re.sub(r'\w+=(?:"[^"]*"|\S+)', "", rest).strip()
        required = [o for o in options if o.get("required") and o["name"] not in values]
        tokens = shlex.split(rest) if rest else []
        for i, option in enumerate(required):
            if i >= len(tokens):
                break
            last = i == len(required) - 1
            values[option["name"]] = " ".join(tokens[i:]) if last else tokens[i]
        for option in options:
            if option["type"] == 4 and option["name"] in values:  # integer
                values[option["name"]] = int(values[option["name"]])
            elif option["type"] == 5 and option["name"] in values:  # boolean
                values[option["name"]] = str(values[option["name"]]).lower() in ("1", "true", "yes")
        handle = await self.sb.invoke_command(
            self.users[self.user], self.demo.general_id, " ".join([name, *path]), values
        )
        await self._settle(handle)

    async def click(self, label: str) -> None:
        msg = self.last_with_buttons
        if msg is None:
            raise ValueError("no message with buttons yet")
        buttons = [c for row in msg.get("components") or [] for c in row.get("components") or []]
        target = next(
            (b for b in buttons if (b.get("label") or "").casefold() == label.casefold()), None
        )
        if target is None:
            labels = ", ".join(b.get("label") or "?" for b in buttons)
            raise ValueError(f"no button {label!r}; buttons: {labels}")
        handle = await self.sb.click(self.users[self.user], msg, target["custom_id"])
        with contextlib.suppress(TimeoutError):
            await handle.response(timeout=30)
        await asyncio.sleep(0.3)
        updated = self.sb.world.messages.get(msg["id"])
        if updated is not None and handle.response_type == 7:  # the message was edited
            self.say(f"[bot updated its message]\n{self._humanize(self.text_of(updated))}\n")
            self.last_with_buttons = updated
        self._print_new()

    async def handle(self, line: str) -> bool:
        """Run one console line; False means quit."""
        line = line.strip()
        if not line:
            return True
        word, _, rest = line.partition(" ")
        word = word.lower()
        if word in ("quit", "exit"):
            return False
        if word == "help":
            self.say(HELP)
        elif word == "as":
            if rest.strip() not in self.users:
                raise ValueError(f"members: {', '.join(self.users)}")
            self.user = rest.strip()
            self.say(f"you are now {self.user}")
        elif line.startswith("/"):
            await self.slash(line)
        elif word == "click":
            await self.click(rest.strip())
        elif word in ("next", "prev"):
            await self.click("▶" if word == "next" else "◀")
        elif word == "share":
            await self.click(f"Share {rest.strip() or 1}")
        elif word == "threads":
            for i, t in enumerate(self._threads(), start=1):
                self.say(f"{i:3}. {t['name']}")
        elif word == "say":
            ref, _, text = rest.partition(" ")
            thread = self._thread(ref)
            await self.sb.send_message(self.users[self.user], thread["id"], text)
            self.say(f"[{self.user} → {thread['name'][:60]}] {text}")
            await self._settle(None)
        elif word == "find":
            thread = self._thread(rest.strip() or "1")
            messages = self.sb.messages(thread["id"])
            handle = await self.sb.invoke_message_command(
                self.users[self.user], messages[-1], "Find in archive"
            )
            await self._settle(handle)
        else:
            raise ValueError(f"unknown command {word!r}; type `help`")
        return True

    async def loop(self) -> None:
        prompt = "> " if sys.stdin.isatty() else ""
        while True:
            try:
                line = await asyncio.to_thread(input, f"{self.user}{prompt}" if prompt else "")
            except EOFError:
                return
            try:
                if not await self.handle(line):
                    return
            except (ValueError, KeyError, LookupError) as exc:
                self.say(f"! {exc}")


async def _run_demo(settings: Settings, seeds: Path) -> None:
    from forumbot.bot import ForumBot
    from forumbot.runtime import build_services, quiet_voice_warnings
    from forumbot.sandbox import Sandbox
    from forumbot.sandbox.clients import connected
    from forumbot.storage.db import make_engine, upgrade_database

    # Quiet logs: the console prints what matters; warnings still show.
    logging.getLogger().setLevel(max(logging.WARNING, logging.getLogger().level))
    quiet_voice_warnings()
    with tempfile.TemporaryDirectory(prefix="forumbot-demo-") as tmp:
        demo_settings = settings.model_copy(
            update={"data_dir": Path(tmp), "database_url": None, "discord_token": None}
        )
        url = demo_settings.database_url_or_default
        await upgrade_database(url)
        engine = make_engine(url)
        try:
            services = build_services(demo_settings, engine)
            report = await services.archive.load_paths([seeds])
            click.echo(
                f"Archive: {len(report.loaded)} articles loaded from {seeds}"
                + (f", {len(report.errors)} files failed" if report.errors else ""),
            )
            async with Sandbox.running(host="127.0.0.1", port=0) as sandbox:
                demo = sandbox.create_demo_guild()
                bot = ForumBot(services, guild_ready_timeout=0.1)
                async with connected(bot, sandbox):
                    console = DemoConsole(sandbox)
                    click.echo(f"Sandbox Discord at {sandbox.api_url}; bot connected.")
                    console.user = "admin"
                    await console.handle(
                        f"/setup forum={demo.forum_id} modlog={demo.modlog_id} "
                        f"moderator_role={demo.moderator_role_id}"
                    )
                    console.quiet = True
                    await console.handle("/article publish-all")
                    console.quiet = False
                    click.echo(f"{len(console._threads())} forum posts published.")
                    console.user = "alice"
                    click.echo(HELP)
                    await console.loop()
        finally:
            await engine.dispose()
