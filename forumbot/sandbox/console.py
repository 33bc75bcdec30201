"""A line-oriented console to act as guild members against a running bot (`make run` demo).

Reusable without a CLI: `await SandboxConsole(sb).run()` reads stdin; `await console.execute(line)`
runs one line (tests and scripts). The bot's messages, edits, ephemeral answers and moderation
actions are printed as they happen.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import shlex
import sys
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

from .errors import ApiError
from .interactions import InteractionHandle, message_text
from .server import DemoGuild, Sandbox, SandboxFile
from .world import FORUM, Json

HELP = """\
Commands (you act as the current member; the bot's answers are printed):
  /search <query> [author=..] [article=..]   search the archive (then: next, prev, share <n>)
  /cite <article> <range>                    quote passages, e.g. /cite 3 2-4
  /article show <article>                    link and summary of an article
  /<any command> <required args> [opt=value] any synced command, e.g. /article publish 5
                                             (opt:value works too; members, channels and
                                             roles by name; @path/to/file for attachments)
  click <label>                              press a button on the bot's last message
  threads                                    list the forum posts (numbered)
  say <thread #> <text>                      post a comment in a forum post
  find <thread #>                            "Find in archive" on the last message there
  as <admin|moderator|alice|bob>             switch member
  help | quit
More:
  ?<command> opt=<start> [focus=opt]         autocomplete suggestions for an option
  click <message id> <custom_id> [values..]  press a button (or pick select values) by id
  submit <field>=<text> ...                  fill in the modal the bot just opened
  apply "<menu name>" <message id>           run a message context-menu command
  post <title> | <text>                      open a forum post as the current member
  in <channel>  then  say <text>             post in a channel or thread (name or id)
  read [n] | members | ids on|off            recent messages here, the members, show ids"""

# Discord's option types (application command option type ids).
_SUBCOMMANDS = (1, 2)
_INTEGER, _BOOLEAN, _USER, _CHANNEL, _ROLE, _MENTIONABLE, _NUMBER, _ATTACHMENT = range(4, 12)
_UPDATE_MESSAGE, _MODAL, _DEFERRED = 7, 9, (5, 6)
_EPHEMERAL, _LOADING = 64, 128


def _print_now(text: str) -> None:
    print(text, flush=True)


def split_words(text: str) -> list[str]:
    """Shell-like words; with an unbalanced quote, the text is taken literally instead."""
    try:
        return shlex.split(text)
    except ValueError:
        return text.split()


class SandboxConsole:
    def __init__(
        self,
        sandbox: Sandbox,
        demo: DemoGuild | None = None,
        *,
        write: Callable[[str], None] = _print_now,
        ids: bool = False,
    ) -> None:
        self.sb = sandbox
        found = demo or sandbox.demo
        if found is None:
            raise ValueError("the console needs a guild: call sandbox.create_demo_guild() first")
        self.demo: DemoGuild = found
        self.write = write
        self.ids = ids  # show message ids and custom_ids (for `click <id> <custom_id>`)
        self.quiet = False  # print only the answer itself (e.g. not a hundred published posts)
        self.user_id = self.demo.alice_id
        self.channel_id = self.demo.general_id
        self.last_modal: InteractionHandle | None = None
        self.last_with_buttons: str | None = None  # message id
        self._watch_task: asyncio.Task[None] | None = None
        self._shown: dict[str, str | None] = {}  # message id -> edited_timestamp shown
        self._audit_shown = 0
        self.mark_seen()

    # ---- naming -------------------------------------------------------------------------------
    @property
    def user(self) -> str:
        return str(self.sb.world.users[self.user_id]["username"])

    def _guild(self) -> Any:
        return self.sb.world.guild(self.demo.guild_id)

    def _user_named(self, name: str) -> str:
        name = name.strip().lstrip("@").removeprefix("<@").removeprefix("!").removesuffix(">")
        for uid, user in self.sb.world.users.items():
            if name in (uid, user["username"]):
                return uid
        members = ", ".join(self.sb.world.users[u]["username"] for u in self._guild().members)
        raise LookupError(f"no member named {name!r}; members: {members}")

    def _channel_named(self, name: str) -> str:
        name = name.strip().lstrip("#").removeprefix("<#").removesuffix(">")
        for cid in self._guild().channel_ids:
            channel = self.sb.world.channels[cid]
            if name in (cid, channel["name"]):
                return cid
        raise LookupError(f"no channel or thread named {name!r}")

    def _role_named(self, name: str) -> str:
        name = name.strip().lstrip("@").removeprefix("<@&").removesuffix(">")
        for role_id, role in self._guild().roles.items():
            if name in (role_id, role["name"]):
                return str(role_id)
        raise LookupError(f"no role named {name!r}")

    def _channel_name(self, channel_id: str) -> str:
        channel = self.sb.world.channels.get(channel_id)
        if channel is None:
            return channel_id
        if channel.get("name"):
            return f"#{channel['name']}"
        people = [u.get("username", "?") for u in channel.get("recipients") or []]
        return "DM " + ", ".join(f"@{p}" for p in people) if people else "DM"

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

    def prompt(self) -> str:
        return f"{self.user} in {self._channel_name(self.channel_id)}> "

    def _threads(self) -> list[Json]:
        return sorted(self.sb.threads(self.demo.forum_id), key=lambda t: int(t["id"]))

    def _thread(self, ref: str) -> Json:
        threads = self._threads()
        if ref.isdigit() and 1 <= int(ref) <= len(threads):
            return threads[int(ref) - 1]
        raise LookupError(f"no forum post {ref!r}; type `threads` to list them")

    # ---- output -------------------------------------------------------------------------------
    def mark_seen(self) -> None:
        """What exists now is history, not news: only later bot output is printed."""
        for mid in self.sb.world.created_order:
            message = self.sb.world.messages.get(mid)
            self._shown[mid] = message.get("edited_timestamp") if message else None
        self._audit_shown = len(self.sb.world.audit_log)

    def _show_message(self, message: Json, *, edited: bool) -> None:
        flags = int(message.get("flags") or 0)
        where = self._channel_name(message["channel_id"])
        private = " (only you see this)" if flags & _EPHEMERAL else ""
        ident = f" · message {message['id']}" if self.ids else ""
        head = f"bot edited in {where}" if edited else f"bot → {where}"
        self.write(f"[{head}{private}{ident}]")
        self.write(self._humanize(message_text(message) or "(no text)"))
        if self.ids:
            for comp in _buttons(message.get("components") or []):
                self.write(f"[button {comp.get('custom_id')}: {comp.get('label') or ''}]")
        self.write("")
        if _buttons(message.get("components") or []):
            self.last_with_buttons = message["id"]

    def flush(self) -> None:
        """Print whatever the bot did since the last call (the watcher calls this too)."""
        world = self.sb.world
        for mid in world.created_order:
            message = world.messages.get(mid)
            if message is None or message["author"]["id"] != self.sb.bot_id:
                continue
            if int(message.get("flags") or 0) & _LOADING:
                continue  # "thinking…": shown once the answer replaces it
            edited = message.get("edited_timestamp")
            if mid not in self._shown:
                self._shown[mid] = edited
                self._show_message(message, edited=False)
            elif self._shown[mid] != edited:
                self._shown[mid] = edited
                self._show_message(message, edited=True)
        for entry in world.audit_log[self._audit_shown :]:
            target = world.users.get(entry["target_id"], {}).get("username", entry["target_id"])
            self.write(f"[audit] {entry['action']} {target}: {entry.get('reason') or ''}")
        self._audit_shown = len(world.audit_log)

    async def _watch(self) -> None:
        while True:
            await self.sb._changed.wait()
            self.flush()

    @contextlib.asynccontextmanager
    async def watching(self) -> AsyncIterator[None]:
        """Print bot output as it happens while the block runs."""
        self.mark_seen()
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
        self.write(HELP)
        interactive = sys.stdin.isatty()
        async with self.watching():
            while True:
                try:
                    line = await asyncio.to_thread(input, self.prompt() if interactive else "")
                except EOFError:
                    return
                if not await self.execute(line):
                    return

    async def execute(self, line: str) -> bool:
        """Run one console line; errors are printed, never raised. False means quit."""
        line = line.strip()
        if not line:
            return True
        if line.lower() in ("quit", "exit"):
            return False
        try:
            await self._execute(line)
        except (ApiError, LookupError, ValueError, OSError, TimeoutError) as exc:
            self.write(f"! {exc}")
        return True

    async def _execute(self, line: str) -> None:
        word, _, rest = line.partition(" ")
        word, rest = word.lower(), rest.strip()
        if line.startswith(("/", "?")):
            await self._slash(line)
        elif word == "help":
            self.write(HELP)
        elif word == "as":
            self.user_id = self._user_named(rest)
            self.write(f"you are now {self.user}")
        elif word == "in":
            self.channel_id = self._channel_named(rest)
            self.write(f"you are now in {self._channel_name(self.channel_id)}")
        elif word == "say":
            await self._say(rest)
        elif word == "edit":
            mid, _, text = rest.partition(" ")
            await self.sb.edit_message(self.user_id, mid, text)
            await self._settle()
        elif word == "click":
            await self._click(rest)
        elif word in ("next", "prev"):
            await self._click("▶" if word == "next" else "◀")
        elif word == "share":
            await self._click(f"Share {rest or 1}")
        elif word == "submit":
            await self._submit(rest)
        elif word == "apply":
            parts = split_words(rest)
            if len(parts) != 2:
                raise ValueError('usage: apply "<menu name>" <message id>')
            await self._answer(
                await self.sb.invoke_message_command(self.user_id, parts[1], parts[0])
            )
        elif word == "find":
            thread = self._thread(rest or "1")
            last = self.sb.messages(thread["id"])[-1]
            await self._answer(
                await self.sb.invoke_message_command(self.user_id, last, "Find in archive")
            )
        elif word == "post":
            await self._post(rest)
        elif word == "threads":
            self._list_threads()
        elif word == "read":
            for message in self.sb.messages(self.channel_id)[-int(rest or 10) :]:
                ident = f"[{message['id']}] " if self.ids else ""
                author = message["author"]["username"]
                self.write(f"{ident}{author}: {self._humanize(message_text(message))}")
        elif word == "members":
            self._list_members()
        elif word == "ids":
            self.ids = rest.lower() != "off"
            self.write(f"message ids are {'shown' if self.ids else 'hidden'}")
        else:
            raise ValueError(f"unknown command {word!r}; type `help`")

    # ---- members acting -----------------------------------------------------------------------
    async def _say(self, rest: str) -> None:
        ref, _, text = rest.partition(" ")
        if ref.isdigit() and text.strip():
            channel = self._thread(ref)  # `say 24 text`: a comment in forum post 24
        else:
            channel, text = self.sb.world.channels[self.channel_id], rest
        if not text.strip():
            raise ValueError("say what? e.g. say 24 I agree")
        await self.sb.send_message(self.user_id, channel["id"], text)
        self.write(f"[{self.user} → {channel['name'][:60]}] {text}")
        await self._settle()

    async def _post(self, rest: str) -> None:
        title, _, content = rest.partition("|")
        if not title.strip():
            raise ValueError("usage: post <title> | <text>")
        forum = next(c for c in self.sb.world.guild_channels(self._guild()) if c["type"] == FORUM)
        thread = await self.sb.create_forum_post(
            self.user_id, forum["id"], title.strip(), content.strip() or title.strip()
        )
        self.channel_id = thread["id"]
        self.write(f"[{self.user} → new post {thread['name'][:60]}] you are now in it")
        await self._settle()

    async def _click(self, rest: str) -> None:
        parts = split_words(rest)
        if len(parts) >= 2 and parts[0] in self.sb.world.messages:
            handle = await self.sb.click(self.user_id, parts[0], parts[1], values=parts[2:] or None)
            await self._answer(handle)
            return
        message = self.sb.world.messages.get(self.last_with_buttons or "")
        if message is None:
            raise LookupError("no message with buttons yet")
        buttons = _buttons(message.get("components") or [])
        target = next(
            (b for b in buttons if (b.get("label") or "").casefold() == rest.casefold()), None
        )
        if target is None:
            labels = ", ".join(b.get("label") or "?" for b in buttons) or "none"
            raise LookupError(f"no button {rest!r}; buttons: {labels}")
        await self._answer(await self.sb.click(self.user_id, message, target["custom_id"]))

    async def _submit(self, rest: str) -> None:
        if self.last_modal is None:
            raise LookupError("no modal is open")
        values: dict[str, str] = {}
        for part in split_words(rest):
            key, sep, value = part.partition("=")
            if not sep:
                raise ValueError(f"write fields as <field>=<text>, not {part!r}")
            values[key] = value
        handle = await self.sb.submit_modal(self.user_id, self.last_modal, values)
        self.last_modal = None
        await self._answer(handle)

    async def _slash(self, line: str) -> None:
        complete = line.startswith("?")
        name, _, rest = line[1:].strip().partition(" ")
        cmd = self._command(name)
        path: list[str] = []
        options: list[Json] = cmd.get("options") or []
        while options and options[0]["type"] in _SUBCOMMANDS:
            sub, _, rest = rest.strip().partition(" ")
            match = next((o for o in options if o["name"] == sub), None)
            if match is None:
                raise ValueError(f"/{name} needs one of: {', '.join(o['name'] for o in options)}")
            path.append(sub)
            options = match.get("options") or []
        known = {o["name"]: o for o in options}
        values: dict[str, Any] = {}
        focused: str | None = None
        words: list[str] = []
        for token in split_words(rest):
            # `opt=value` or `opt:value`, but only for this command's options: a query may
            # contain "=" or ":" too.
            found = re.match(r"(\w+)[=:](.*)", token, re.DOTALL)
            if found and found.group(1) == "focus" and complete:
                focused = found.group(2)
            elif found and found.group(1) in known:
                values[found.group(1)] = found.group(2)
            else:
                words.append(token)
        required = [o for o in options if o.get("required") and o["name"] not in values]
        if not required and words:  # e.g. /search, whose words are optional: its first option
            required = [o for o in options[:1] if o.get("type") == 3 and o["name"] not in values]
        for i, option in enumerate(required[: len(words)]):
            last = i == len(required) - 1
            values[option["name"]] = " ".join(words[i:]) if last else words[i]
        command = " ".join([name, *path])
        if complete:
            suggesting = [o["name"] for o in options if o.get("autocomplete")]
            focused = focused or next((k for k in reversed(values) if k in suggesting), None)
            if focused is None or focused not in suggesting:
                names = ", ".join(suggesting) or "none"
                raise ValueError(f"say which option to complete; /{command} suggests: {names}")
            for key in values:
                if key != focused:
                    values[key] = self._value(known[key], values[key])
            handle = await self.sb.autocomplete(
                self.user_id, self.channel_id, command, values, focused
            )
            for choice in await handle.choices():
                self.write(f"  • {choice['name']}  (value {choice['value']!r})")
            return
        for key in values:
            values[key] = self._value(known[key], values[key])
        await self._answer(
            await self.sb.invoke_command(self.user_id, self.channel_id, command, values)
        )

    def _command(self, name: str) -> Json:
        for scope in (self.demo.guild_id, None):
            for cmd in self.sb.commands.get(scope, []):
                if cmd["name"] == name and cmd.get("type", 1) == 1:
                    return dict(cmd)
        raise LookupError(f"no synced command {name!r}; type `help`")

    def _value(self, option: Json, text: str) -> Any:
        """The typed text as the option's type: ids for members, channels and roles."""
        kind = option["type"]
        try:
            if kind == _INTEGER:
                return int(text)
            if kind == _NUMBER:
                return float(text)
        except ValueError:
            raise ValueError(f"{option['name']} needs a number, not {text!r}") from None
        if kind == _BOOLEAN:
            return text.lower() in ("1", "true", "yes", "on")
        if kind == _USER:
            return self._user_named(text)
        if kind == _CHANNEL:
            return self._channel_named(text)
        if kind == _ROLE:
            return self._role_named(text)
        if kind == _MENTIONABLE:
            with contextlib.suppress(LookupError):
                return self._user_named(text)
            return self._role_named(text)
        if kind == _ATTACHMENT:
            path = Path(text.removeprefix("@"))
            return SandboxFile(path.name, path.read_bytes())
        return text

    # ---- waiting for the bot ------------------------------------------------------------------
    async def _answer(self, handle: InteractionHandle) -> None:
        """Wait for the bot's answer (and its side effects), then print what it did."""
        try:
            response = await handle.response(timeout=self.sb.interaction_deadline + 1)
        except TimeoutError:
            self.write("! the bot did not answer in time")
            return
        if response["type"] == _MODAL:
            self.last_modal = handle
            modal = response["data"]
            self.write(f"[modal] {modal.get('title')}: fill it in with `submit` and these fields:")
            for field_id, label in _text_inputs(modal.get("components") or []):
                self.write(f"    {field_id}  ({label})")
            return
        if response["type"] in _DEFERRED:
            with contextlib.suppress(TimeoutError):
                await handle.message(timeout=60)
        if self.quiet:
            await asyncio.sleep(0.3)
            self.mark_seen()
            if handle.original is not None and response["type"] != _UPDATE_MESSAGE:
                self.write(f"[bot → you]\n{self._humanize(message_text(handle.original))}\n")
            return
        await self._settle()

    async def _settle(self) -> None:
        await asyncio.sleep(0.3)  # let side effects (posts, mod-log entries, DMs) land
        self.flush()

    def _list_threads(self) -> None:
        for i, thread in enumerate(self._threads(), start=1):
            meta = thread.get("thread_metadata") or {}
            state = [s for s in ("archived", "locked") if meta.get(s)]
            extra = f"  ({', '.join(state)})" if state else ""
            ident = f"  [{thread['id']}]" if self.ids else ""
            self.write(f"{i:3}. {thread['name']}{extra}{ident}")

    def _list_members(self) -> None:
        guild = self._guild()
        for uid, member in guild.members.items():
            roles = ", ".join(guild.roles[r]["name"] for r in member["roles"] if r in guild.roles)
            muted = " (timed out)" if self.sb.world.is_timed_out(guild, uid) else ""
            self.write(f"  {self.sb.world.users[uid]['username']}  {roles}{muted}")


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
    """A running sandbox with the demo guild, discord.py pointed at it: start the bot with
    `sandbox.token`, then `await SandboxConsole(sb).run()`."""
    from .wire import point_discord_at

    async with Sandbox.running(host=host, port=port) as sandbox:
        sandbox.create_demo_guild()
        point_discord_at(sandbox.api_url, sandbox.gateway_url)
        yield sandbox
