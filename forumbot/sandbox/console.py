"""A line-oriented console to act as guild members against a running bot (`make run` demo).

Reusable without a CLI: `await SandboxConsole(sb).run()` reads stdin; `await console.execute(line)`
runs one line (tests and scripts). Bot output (messages, edits, ephemeral answers, moderation
actions) is printed as it happens.
"""

from __future__ import annotations

import asyncio
import contextlib
import shlex
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

from .errors import ApiError
from .interactions import InteractionHandle, message_text
from .server import DemoGuild, Sandbox, SandboxFile
from .world import FORUM, Json

HELP = """\
commands (the current member and channel are shown in the prompt):
  as <member>                 act as admin | moderator | alice | bob | any username
  in <channel>                switch to general | mod-log | articles | a thread name or id
  say <text>                  post a message here
  /<command> [sub] k:v ...    run a slash command (values: text, "quoted text", member or
                              channel names, @path/to/file for attachments)
  ?<command> k:v ... focus:k  show autocomplete suggestions for option k
  click <message id> <custom_id> [values...]   press a button / pick select values
  submit k=v ...              fill in the last modal the bot opened
  apply "<menu name>" <message id>             run a message context-menu command
  post <title> | <content>    open a forum post in the forum as the current member
  edit <message id> <text>    edit your own message
  threads | read [n] | members | help | quit"""


class SandboxConsole:
    def __init__(
        self,
        sandbox: Sandbox,
        demo: DemoGuild | None = None,
        *,
        write: Callable[[str], None] = print,
    ) -> None:
        self.sb = sandbox
        self.demo = demo or sandbox.demo
        if self.demo is None:
            raise ValueError("the console needs a guild: call sandbox.create_demo_guild() first")
        self.write = write
        self.user_id = self.demo.alice_id
        self.channel_id = self.demo.general_id
        self.last_modal: InteractionHandle | None = None
        self._watch_task: asyncio.Task[None] | None = None
        self._shown: dict[str, str | None] = {}  # message id -> edited_timestamp shown
        self._audit_shown = 0

    # ---- naming -------------------------------------------------------------------------------
    def _guild(self) -> Any:
        assert self.demo is not None
        return self.sb.world.guild(self.demo.guild_id)

    def _user_named(self, name: str) -> str:
        name = name.lstrip("@")
        for uid, user in self.sb.world.users.items():
            if name in (uid, user["username"]):
                return uid
        raise LookupError(f"no member named {name!r}")

    def _channel_named(self, name: str) -> str:
        name = name.lstrip("#")
        for cid in self._guild().channel_ids:
            channel = self.sb.world.channels[cid]
            if name in (cid, channel["name"]):
                return cid
        raise LookupError(f"no channel or thread named {name!r}")

    def _name(self, channel_id: str) -> str:
        channel = self.sb.world.channels.get(channel_id)
        return f"#{channel['name']}" if channel and channel.get("name") else f"dm:{channel_id}"

    def prompt(self) -> str:
        user = self.sb.world.users[self.user_id]["username"]
        return f"{user} in {self._name(self.channel_id)}> "

    # ---- output -------------------------------------------------------------------------------
    def _show_message(self, message: Json, *, edited: bool) -> None:
        flags = int(message.get("flags") or 0)
        if flags & 128:
            self.write(f"  [{message['id']}] the bot is thinking…")
            return
        tag = " (only you)" if flags & 64 else ""
        verb = "edited" if edited else "says"
        where = self._name(message["channel_id"])
        self.write(f"  [{message['id']}] bot {verb} in {where}{tag}:")
        for line in (message_text(message) or "(no text)").splitlines():
            self.write(f"    {line}")
        for comp in _buttons(message.get("components") or []):
            self.write(f"    [button {comp.get('custom_id')}: {comp.get('label') or ''}]")

    def flush(self) -> None:
        """Print whatever the bot did since the last call (the watcher calls this)."""
        self._show_new()

    def _show_new(self) -> None:
        world = self.sb.world
        for mid in world.created_order:
            message = world.messages.get(mid)
            if message is None or message["author"]["id"] != self.sb.bot_id:
                continue
            edited = message.get("edited_timestamp")
            if mid not in self._shown:
                self._shown[mid] = edited
                self._show_message(message, edited=False)
            elif self._shown[mid] != edited:
                self._shown[mid] = edited
                self._show_message(message, edited=True)
        for entry in world.audit_log[self._audit_shown :]:
            target = world.users.get(entry["target_id"], {}).get("username", entry["target_id"])
            self.write(f"  [audit] {entry['action']} {target}: {entry.get('reason') or ''}")
        self._audit_shown = len(world.audit_log)

    async def _watch(self) -> None:
        while True:
            event = self.sb._changed
            await event.wait()
            self._show_new()

    @contextlib.asynccontextmanager
    async def watching(self) -> AsyncIterator[None]:
        """Print bot output while the block runs."""
        # What existed before the console started is history, not news.
        for mid in self.sb.world.created_order:
            message = self.sb.world.messages.get(mid)
            self._shown[mid] = message.get("edited_timestamp") if message else None
        self._audit_shown = len(self.sb.world.audit_log)
        self._watch_task = asyncio.create_task(self._watch())
        try:
            yield
        finally:
            self._watch_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._watch_task

    # ---- running ------------------------------------------------------------------------------
    async def run(self) -> None:
        """Read lines from stdin until `quit` or end of input."""
        loop = asyncio.get_running_loop()
        self.write(HELP)
        async with self.watching():
            while True:
                try:
                    line = await loop.run_in_executor(None, input, self.prompt())
                except EOFError:
                    return
                if line.strip() in ("quit", "exit"):
                    return
                await self.execute(line)

    async def execute(self, line: str) -> None:
        """Run one console line; errors are printed, never raised."""
        line = line.strip()
        if not line:
            return
        try:
            await self._execute(line)
        except (ApiError, LookupError, ValueError, KeyError, OSError, TimeoutError) as exc:
            self.write(f"  ! {exc}")

    async def _execute(self, line: str) -> None:
        word, _, rest = line.partition(" ")
        if line.startswith(("/", "?")):
            await self._slash(line)
        elif word == "as":
            self.user_id = self._user_named(rest.strip())
        elif word == "in":
            self.channel_id = self._channel_named(rest.strip())
        elif word == "say":
            await self.sb.send_message(self.user_id, self.channel_id, rest)
        elif word == "edit":
            mid, _, text = rest.partition(" ")
            await self.sb.edit_message(self.user_id, mid, text)
        elif word == "post":
            title, _, content = rest.partition("|")
            forum = next(
                c for c in self.sb.world.guild_channels(self._guild()) if c["type"] == FORUM
            )
            thread = await self.sb.create_forum_post(
                self.user_id, forum["id"], title.strip(), content.strip() or title.strip()
            )
            self.channel_id = thread["id"]
        elif word == "click":
            parts = shlex.split(rest)
            handle = await self.sb.click(self.user_id, parts[0], parts[1], values=parts[2:] or None)
            await self._await_answer(handle)
        elif word == "submit":
            if self.last_modal is None:
                raise LookupError("no modal is open")
            values = dict(p.split("=", 1) for p in shlex.split(rest))
            handle = await self.sb.submit_modal(self.user_id, self.last_modal, values)
            self.last_modal = None
            await self._await_answer(handle)
        elif word == "apply":
            parts = shlex.split(rest)
            handle = await self.sb.invoke_message_command(self.user_id, parts[1], parts[0])
            await self._await_answer(handle)
        elif word == "threads":
            for thread in self.sb.world.threads_of(self._guild()):
                meta = thread["thread_metadata"]
                state = ("archived " if meta["archived"] else "") + (
                    "locked" if meta["locked"] else ""
                )
                self.write(f"  {thread['id']}  {thread['name']}  {state}".rstrip())
        elif word == "read":
            count = int(rest or 10)
            for message in self.sb.messages(self.channel_id)[-count:]:
                author = message["author"]["username"]
                self.write(f"  [{message['id']}] {author}: {message_text(message)}")
        elif word == "members":
            guild = self._guild()
            for uid, member in guild.members.items():
                roles = ", ".join(
                    guild.roles[r]["name"] for r in member["roles"] if r in guild.roles
                )
                muted = " (timed out)" if self.sb.world.is_timed_out(guild, uid) else ""
                self.write(f"  {self.sb.world.users[uid]['username']}  {roles}{muted}")
        elif word == "help":
            self.write(HELP)
        else:
            raise ValueError(f"unknown command {word!r}; try help")

    async def _slash(self, line: str) -> None:
        complete = line.startswith("?")
        tokens = shlex.split(line[1:])
        names = [t for t in tokens if ":" not in t]
        options: dict[str, Any] = {}
        focused = None
        for token in tokens:
            if ":" not in token:
                continue
            key, value = token.split(":", 1)
            if key == "focus":
                focused = value
                continue
            options[key] = self._option_value(value)
        if complete:
            if focused is None:
                focused = next(iter(options), None)
            if focused is None:
                raise ValueError("say which option to complete, e.g. ?search query:cit")
            handle = await self.sb.autocomplete(
                self.user_id, self.channel_id, " ".join(names), options, focused
            )
            for choice in await handle.choices():
                self.write(f"  • {choice['name']}  (value {choice['value']!r})")
            return
        handle = await self.sb.invoke_command(
            self.user_id, self.channel_id, " ".join(names), options
        )
        await self._await_answer(handle)

    def _option_value(self, value: str) -> Any:
        if value.startswith("@") and Path(value[1:]).is_file():
            path = Path(value[1:])
            return SandboxFile(path.name, path.read_bytes())
        for lookup in (self._user_named, self._channel_named):
            with contextlib.suppress(LookupError):
                return lookup(value)
        for role_id, role in self._guild().roles.items():
            if value in (role["name"], "@" + role["name"]):
                return role_id
        return value

    async def _await_answer(self, handle: InteractionHandle) -> None:
        response = await handle.response(timeout=self.sb.interaction_deadline + 1)
        if response["type"] == 9:
            self.last_modal = handle
            modal = response["data"]
            self.write(f"  [modal] {modal.get('title')}: fill in with `submit` and these fields:")
            for field_id, label in _text_inputs(modal.get("components") or []):
                self.write(f"    {field_id}  ({label})")


def _buttons(components: list[Json]) -> list[Json]:
    out: list[Json] = []
    for comp in components:
        if comp.get("type") in (2, 3, 5, 6, 7, 8) and comp.get("custom_id"):
            out.append(comp)
        out += _buttons(comp.get("components") or [])
        if isinstance(comp.get("accessory"), dict):
            out += _buttons([comp["accessory"]])
    return out


def _text_inputs(components: list[Json]) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for comp in components:
        if comp.get("type") == 4:
            out.append((comp["custom_id"], comp.get("label") or ""))
        out += _text_inputs(comp.get("components") or [])
        if comp.get("type") == 18 and isinstance(comp.get("component"), dict):
            inner = comp["component"]
            if inner.get("type") == 4:
                out.append((inner["custom_id"], comp.get("label") or ""))
    return out


@contextlib.asynccontextmanager
async def demo_sandbox(host: str = "127.0.0.1", port: int = 0) -> AsyncIterator[Sandbox]:
    """A running sandbox with the demo guild, discord.py pointed at it (for `forumbot run`
    without a token): start the bot with `sandbox.token`, then `await SandboxConsole(sb).run()`."""
    from .wire import point_discord_at

    async with Sandbox.running(host=host, port=port) as sandbox:
        sandbox.create_demo_guild()
        point_discord_at(sandbox.api_url, sandbox.gateway_url)
        yield sandbox
