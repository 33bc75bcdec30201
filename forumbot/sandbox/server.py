"""The Sandbox: a local Discord-compatible server plus a harness to act as guild members."""

from __future__ import annotations

import asyncio
import contextlib
import copy
import logging
import re
import secrets
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from aiohttp import web

from . import commands as cmdbuild
from . import limits
from .errors import MISSING_PERMISSIONS, ApiError, FormErrors
from .gateway import Gateway
from .interactions import (
    APPLICATION_COMMAND,
    AUTOCOMPLETE,
    COMPONENT,
    MODAL,
    MODAL_SUBMIT,
    InteractionHandle,
    InteractionRecord,
)
from .rest import (
    API_PREFIX,
    DEFAULT_RATE_LIMITS,
    Injection,
    RateLimit,
    RecordedRequest,
    RestApi,
    Violation,
)
from .snowflake import SnowflakeFactory
from .world import (
    ADMINISTRATOR,
    ALL_PERMISSIONS,
    BAN_MEMBERS,
    DM,
    EVERYONE_PERMISSIONS,
    FORUM,
    KICK_MEMBERS,
    MANAGE_CHANNELS_BIT,
    MANAGE_MESSAGES,
    MANAGE_THREADS,
    MODERATE_MEMBERS,
    TEXT,
    THREAD_TYPES,
    VIEW_CHANNEL,
    Guild,
    Json,
    World,
)

log = logging.getLogger(__name__)

T = TypeVar("T")
UserRef = str | int | Json
MessageRef = str | int | Json

DEFAULT_TOKEN = "sandbox-bot-token"
BOT_PERMISSIONS = (
    EVERYONE_PERMISSIONS
    | MANAGE_MESSAGES
    | MANAGE_THREADS
    | MODERATE_MEMBERS
    | MANAGE_CHANNELS_BIT
    | KICK_MEMBERS
    | BAN_MEMBERS
    | (1 << 17)  # mention everyone
    | (1 << 36)  # create public threads
)
MODERATOR_PERMISSIONS = EVERYONE_PERMISSIONS | MANAGE_MESSAGES | MANAGE_THREADS | MODERATE_MEMBERS


@dataclass(frozen=True)
class SandboxFile:
    """An upload a member attaches (slash-command attachment option or message attachment)."""

    filename: str
    data: bytes
    content_type: str | None = None


@dataclass(frozen=True)
class DemoGuild:
    """Ids of the demo guild `Sandbox.create_demo_guild()` builds."""

    guild_id: str
    general_id: str
    forum_id: str
    modlog_id: str
    admin_role_id: str
    moderator_role_id: str
    bot_role_id: str
    admin_id: str
    moderator_id: str
    alice_id: str
    bob_id: str
    bot_id: str
    tag_ids: dict[str, str] = field(default_factory=dict)


def _id(ref: UserRef | MessageRef | Guild) -> str:
    if isinstance(ref, Guild):
        return ref.id
    if isinstance(ref, dict):
        return str(ref["id"])
    return str(ref)


class Sandbox:
    """See the package docstring (`forumbot.sandbox`) for the harness API."""

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        token: str = DEFAULT_TOKEN,
        bot_name: str = "forumbot",
    ) -> None:
        self.host = host
        self.port = port
        self.token = token
        self.world = World(SnowflakeFactory())
        bot = self.world.create_user(bot_name, bot=True)
        self.world.bot_user_id = bot["id"]
        self.application_id: str = bot["id"]
        self.application_flags = (1 << 19) | (1 << 15) | (1 << 13)  # all intents "limited" flags
        self.owner_user_id: str | None = None
        # Tunables (tests shorten these).
        self.interaction_deadline = 3.0
        self.attachment_size_limit = 10 * 1024 * 1024  # bytes per message, as for most guilds
        # Off by default: guild admins can override who may use a command on real Discord.
        self.enforce_command_permissions = False
        self.followup_ttl = 15 * 60.0
        self.heartbeat_interval_ms = 41250
        self.resume_window = 120.0
        self.nonce_window = 300.0
        self.granted_intents = (1 << 1) | (1 << 8) | (1 << 15)  # all privileged intents granted
        # Records.
        self.requests: list[RecordedRequest] = []
        self.violations: list[Violation] = []
        self.injections: list[Injection] = []
        # Every gateway event dispatched to all sessions: (name, data).
        self.events: list[tuple[str, Json]] = []
        self.rate_limits: list[RateLimit] = []
        self.rate_limited: list[tuple[str, str, float]] = []  # (method, path, retry_after)
        self.commands: dict[str | None, list[Json]] = {}
        self.interactions: dict[str, InteractionRecord] = {}
        self.interactions_by_token: dict[str, InteractionRecord] = {}
        self.attachments: dict[str, Json] = {}
        self.gateway = Gateway(self)
        self.rest = RestApi(self)
        self._changed = asyncio.Event()
        self._mark = 0
        self._message_mark = 0
        self._runner: web.AppRunner | None = None
        self.demo: DemoGuild | None = None
        self._last_post: dict[tuple[str, str], float] = {}

    # ---- lifecycle --------------------------------------------------------------------------
    @classmethod
    @contextlib.asynccontextmanager
    async def running(
        cls, host: str = "127.0.0.1", port: int = 0, **kwargs: Any
    ) -> AsyncIterator[Sandbox]:
        sandbox = cls(host=host, port=port, **kwargs)
        await sandbox.start()
        try:
            yield sandbox
        finally:
            await sandbox.stop()

    async def start(self) -> None:
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", API_PREFIX + "/{tail:.*}", self.rest.handle)
        app.router.add_get("/gateway", self.gateway.handle)
        app.router.add_get("/gateway/", self.gateway.handle)
        app.router.add_get("/attachments/{aid}/{name}", self._serve_attachment)
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        server = site._server
        assert server is not None
        sockets = getattr(server, "sockets", None) or []
        if sockets:
            self.port = sockets[0].getsockname()[1]
        log.debug("sandbox listening on %s", self.api_url)

    async def stop(self) -> None:
        await self.gateway.close_all()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def api_url(self) -> str:
        return self.base_url + API_PREFIX

    @property
    def gateway_url(self) -> str:
        return f"ws://{self.host}:{self.port}/gateway/"

    @property
    def bot_id(self) -> str:
        return self.world.bot_user_id

    # ---- waiting ----------------------------------------------------------------------------
    def _pulse(self) -> None:
        self._changed.set()
        self._changed = asyncio.Event()

    async def wait_until(
        self,
        predicate: Callable[[], T | None],
        timeout: float = 5.0,  # noqa: ASYNC109
        *,
        what: str = "condition",
    ) -> T:
        """Re-check `predicate` on every sandbox state change; return its first truthy value."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            result = predicate()
            if result:
                return result
            remaining = deadline - loop.time()
            if remaining <= 0:
                recent = ", ".join(repr(r) for r in self.requests[-8:])
                raise TimeoutError(
                    f"timed out after {timeout}s waiting for {what}; recent: {recent}"
                )
            event = self._changed
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(event.wait(), remaining)

    def mark(self) -> int:
        """Start a new window for `wait_for_request`/`wait_for_message`; harness actions do this."""
        self._mark = len(self.requests)
        self._message_mark = len(self._message_order)
        return self._mark

    @property
    def _message_order(self) -> list[str]:
        return self.world.created_order

    def find_requests(
        self, method: str | None = None, path: str = "", *, since: int = 0
    ) -> list[RecordedRequest]:
        pattern = re.compile(path)
        return [
            r
            for r in self.requests[since:]
            if (method is None or r.method == method) and pattern.search(r.path)
        ]

    def pings(self, message: MessageRef) -> Json:
        """Who a message pinged when it was created, given its allowed_mentions:
        {"users": [ids], "roles": [ids], "everyone": bool}. Echoes of user input and article
        text must ping nobody (AllowedMentions.none())."""
        return self.world.pings.get(_id(message), {"users": [], "roles": [], "everyone": False})

    def find_events(self, name: str) -> list[Json]:
        """Data of every dispatched gateway event called `name` (e.g. "THREAD_UPDATE")."""
        return [data for event, data in self.events if event == name]

    async def wait_for_request(
        self,
        method: str | None,
        path: str,
        timeout: float = 5.0,  # noqa: ASYNC109
        *,
        since: int | None = None,
        status: int | None = None,
        predicate: Callable[[RecordedRequest], bool] | None = None,
    ) -> RecordedRequest:
        """First answered request matching `method` and the `path` regex (searched in the path after
        /api/v10), made since the last harness action (or index `since`)."""
        start = self._mark if since is None else since
        pattern = re.compile(path)

        def found() -> RecordedRequest | None:
            for r in self.requests[start:]:
                if r.status == 0 or (method is not None and r.method != method):
                    continue
                if not pattern.search(r.path):
                    continue
                if status is not None and r.status != status:
                    continue
                if predicate is not None and not predicate(r):
                    continue
                return r
            return None

        return await self.wait_until(found, timeout, what=f"request {method} {path}")

    async def wait_for_message(
        self,
        channel: str | int | Json | None = None,
        *,
        author: UserRef | None = None,
        predicate: Callable[[Json], bool] | None = None,
        timeout: float = 5.0,  # noqa: ASYNC109
        since_mark: bool = True,
    ) -> Json:
        """First non-ephemeral message created since the last harness action (by the bot unless
        `author` is given)."""
        author_id = self.bot_id if author is None else _id(author)
        channel_id = None if channel is None else _id(channel)

        def found() -> Json | None:
            order = self._message_order[self._message_mark if since_mark else 0 :]
            for mid in order:
                msg = self.world.messages.get(mid)
                if msg is None or msg["flags"] & 64 or msg["author"]["id"] != author_id:
                    continue
                if channel_id is not None and msg["channel_id"] != channel_id:
                    continue
                if predicate is not None and not predicate(msg):
                    continue
                return msg
            return None

        return await self.wait_until(found, timeout, what=f"a message in {channel_id}")

    async def wait_until_connected(self, timeout: float = 10.0, *, count: int = 1) -> None:  # noqa: ASYNC109
        """Until `count` IDENTIFYs have been answered with READY (and GUILD_CREATEs)."""
        await self.wait_until(
            lambda: self.gateway.identify_count >= count, timeout, what=f"identify #{count}"
        )

    def assert_no_violations(self) -> None:
        if self.violations:
            lines = "\n".join(str(v) for v in self.violations)
            raise AssertionError(
                f"Discord would have rejected {len(self.violations)} request(s):\n{lines}"
            )

    def clear_records(self) -> None:
        self.requests.clear()
        self.violations.clear()
        self._mark = 0

    # ---- faults -----------------------------------------------------------------------------
    def inject(
        self,
        route: str,
        status: int = 429,
        *,
        method: str | None = None,
        retry_after: float = 0.05,
        times: int = 1,
        is_global: bool = False,
    ) -> Injection:
        """Answer the next `times` requests whose path matches `route` with `status`."""
        injection = Injection(
            re.compile(route), method, status, retry_after, times, is_global=is_global
        )
        self.injections.append(injection)
        return injection

    def add_rate_limit(
        self, route: str, limit: int, per: float, *, method: str | None = None
    ) -> RateLimit:
        """Enforce a bucket on paths matching `route` (its first group is the major parameter)."""
        rule = RateLimit(
            re.compile(route), method, limit, per, name=f"sandbox-{len(self.rate_limits)}"
        )
        self.rate_limits.append(rule)
        return rule

    def enable_rate_limits(self) -> None:
        """Discord-like buckets: 5 messages / 5 s per channel, 5 forum posts / 5 s per forum,
        5 channel edits / 5 s and 5 message edits / 5 s per channel, 10 member edits / 10 s per
        guild; answers carry X-RateLimit-* headers and 429s carry retry_after."""
        for route, method, limit, per in DEFAULT_RATE_LIMITS:
            self.add_rate_limit(route, limit, per, method=method)

    async def drop_connections(self, *, abrupt: bool = True) -> int:
        """Cut every gateway connection (sessions stay resumable); returns how many."""
        return await self.gateway.drop_connections(abrupt=abrupt)

    async def request_reconnect(self) -> None:
        """Send op 7 RECONNECT to every connected session."""
        await self.gateway.send_reconnect()

    async def invalidate_sessions(self) -> None:
        """Send op 9 (not resumable) and forget all sessions: clients must IDENTIFY again."""
        await self.gateway.invalidate_sessions()

    def set_dms_closed(self, user: UserRef, closed: bool = True) -> None:
        """Make DMs to `user` fail with 403/50007 (privacy settings)."""
        uid = _id(user)
        if closed:
            self.world.closed_dms.add(uid)
        else:
            self.world.closed_dms.discard(uid)

    # ---- building guilds --------------------------------------------------------------------
    def create_user(self, username: str, *, bot: bool = False) -> Json:
        return self.world.create_user(username, bot=bot)

    def create_guild(self, name: str, owner: UserRef) -> Guild:
        guild = self.world.create_guild(name, _id(owner))
        self.world.add_member(guild, _id(owner))
        return guild

    def create_role(self, guild: Guild | str, name: str, permissions: int, **extra: Any) -> Json:
        g = self.world.guild(_id(guild))
        role = self.world.create_role(g, name, permissions, **extra)
        self._dispatch_if_connected(
            "GUILD_ROLE_CREATE", {"guild_id": g.id, "role": copy.deepcopy(role)}
        )
        return role

    def add_member(self, guild: Guild | str, user: UserRef, roles: list[str] | None = None) -> Json:
        g = self.world.guild(_id(guild))
        member = self.world.add_member(g, _id(user), roles)
        payload = self.world.member_payload(g, _id(user))
        self._dispatch_if_connected("GUILD_MEMBER_ADD", {**payload, "guild_id": g.id})
        return member

    def create_channel(self, guild: Guild | str, name: str, kind: int = TEXT, **extra: Any) -> Json:
        g = self.world.guild(_id(guild))
        channel = self.world.create_channel(g, name, kind, **extra)
        self._dispatch_if_connected("CHANNEL_CREATE", copy.deepcopy(channel))
        return channel

    def create_forum(
        self, guild: Guild | str, name: str, tags: tuple[str, ...] = (), **extra: Any
    ) -> Json:
        g = self.world.guild(_id(guild))
        channel = self.world.create_channel(g, name, FORUM, **extra)
        channel["available_tags"] = [
            {
                "id": self.world.ids.next(),
                "name": t,
                "moderated": False,
                "emoji_id": None,
                "emoji_name": None,
            }
            for t in tags
        ]
        self._dispatch_if_connected("CHANNEL_CREATE", copy.deepcopy(channel))
        return channel

    def _dispatch_if_connected(self, event: str, data: Json) -> None:
        if self.gateway.sessions:
            self.gateway.dispatch(event, data)

    def create_demo_guild(self, name: str = "Forum Sandbox") -> DemoGuild:
        """A guild with #general, a forum #articles (tags article, discussion, question), a
        #mod-log text channel, roles Admin (administrator) and Moderator, and members admin
        (the owner), moderator, alice, bob and the bot (role forumbot)."""
        w = self.world
        admin = w.create_user("admin")
        moderator = w.create_user("moderator")
        alice = w.create_user("alice")
        bob = w.create_user("bob")
        self.owner_user_id = admin["id"]
        guild = w.create_guild(name, admin["id"])
        mod_role = w.create_role(guild, "Moderator", MODERATOR_PERMISSIONS)
        bot_role = w.create_role(
            guild, "forumbot", BOT_PERMISSIONS, managed=True, tags={"bot_id": self.bot_id}
        )
        admin_role = w.create_role(guild, "Admin", ADMINISTRATOR)
        w.add_member(guild, admin["id"], [admin_role["id"]])
        w.add_member(guild, moderator["id"], [mod_role["id"]])
        w.add_member(guild, alice["id"])
        w.add_member(guild, bob["id"])
        w.add_member(guild, self.bot_id, [bot_role["id"]])
        general = w.create_channel(guild, "general", TEXT)
        forum = w.create_channel(guild, "articles", FORUM, topic="Articles from the archive")
        forum["available_tags"] = [
            {
                "id": w.ids.next(),
                "name": t,
                "moderated": False,
                "emoji_id": None,
                "emoji_name": None,
            }
            for t in ("article", "discussion", "question")
        ]
        modlog = w.create_channel(guild, "mod-log", TEXT)
        if self.gateway.sessions:
            for session in self.gateway.sessions.values():
                self.gateway.dispatch("GUILD_CREATE", w.guild_create_payload(guild), only=session)
        self.demo = DemoGuild(
            guild_id=guild.id,
            general_id=general["id"],
            forum_id=forum["id"],
            modlog_id=modlog["id"],
            admin_role_id=admin_role["id"],
            moderator_role_id=mod_role["id"],
            bot_role_id=bot_role["id"],
            admin_id=admin["id"],
            moderator_id=moderator["id"],
            alice_id=alice["id"],
            bob_id=bob["id"],
            bot_id=self.bot_id,
            tag_ids={t["name"]: t["id"] for t in forum["available_tags"]},
        )
        return self.demo

    # ---- attachments ------------------------------------------------------------------------
    def store_attachment(
        self,
        filename: str,
        data: bytes,
        *,
        content_type: str | None = None,
        description: str | None = None,
    ) -> Json:
        aid = self.world.ids.next()
        url = f"{self.base_url}/attachments/{aid}/{filename}"
        payload: Json = {
            "id": aid,
            "filename": filename,
            "size": len(data),
            "url": url,
            "proxy_url": url,
            "content_type": content_type or _guess_type(filename),
        }
        if description:
            payload["description"] = description
        self.attachments[aid] = {"payload": payload, "data": data}
        return copy.deepcopy(payload)

    async def _serve_attachment(self, request: web.Request) -> web.StreamResponse:
        item = self.attachments.get(request.match_info["aid"])
        if item is None:
            return web.Response(status=404, text="Not Found")
        ctype = item["payload"]["content_type"] or "application/octet-stream"
        return web.Response(body=item["data"], headers={"Content-Type": ctype})

    # ---- acting as members: messages ----------------------------------------------------------
    def _check_member_can_post(self, channel: Json, user_id: str) -> None:
        """What Discord refuses a member, raised as ApiError (never a violation)."""
        guild = self.world.guild_of(channel)
        if guild is None:
            return
        self.world.member(guild, user_id)
        if self.world.is_timed_out(guild, user_id):
            raise ApiError(
                403,
                MISSING_PERMISSIONS,
                "Missing Permissions (member is timed out)",
                violation=False,
            )
        slowmode = int(channel.get("rate_limit_per_user") or 0)
        exempt = self.world.permissions(guild, user_id) & (MANAGE_MESSAGES | MANAGE_CHANNELS_BIT)
        last = self._last_post.get((channel["id"], user_id))
        now = time.monotonic()
        if slowmode and not exempt and last is not None and now - last < slowmode:
            raise ApiError(
                429,
                20016,
                "This action cannot be performed due to slowmode rate limit.",
                violation=False,
            )
        self.rest._check_can_post(channel, user_id)
        self._last_post[(channel["id"], user_id)] = now

    async def send_message(
        self,
        user: UserRef,
        channel: str | int | Json,
        content: str = "",
        *,
        embeds: list[Json] | None = None,
        files: list[SandboxFile] | None = None,
        reply_to: MessageRef | None = None,
    ) -> Json:
        """Post as `user` (dispatches MESSAGE_CREATE); returns the stored message (live dict)."""
        uid = _id(user)
        ch = self.world.channel(_id(channel))
        _check_member_body({"content": content, "embeds": embeds or []})
        self._check_member_can_post(ch, uid)
        body: Json = {"content": content, "embeds": embeds or []}
        if files:
            body["attachments"] = [
                self.store_attachment(f.filename, f.data, content_type=f.content_type)
                for f in files
            ]
        extra: Json = {}
        kind = 0
        if reply_to is not None:
            target = self.world.find_message(_id(reply_to))
            kind = 19
            extra = {
                "message_reference": {
                    "type": 0,
                    "message_id": target["id"],
                    "channel_id": target["channel_id"],
                },
                "referenced_message": copy.deepcopy(target),
            }
        self.mark()
        message = self.world.create_message(ch, uid, body, kind=kind, extra=extra)
        self.gateway.dispatch("MESSAGE_CREATE", self.world.event_message(message))
        return message

    async def send_dm(self, user: UserRef, content: str) -> Json:
        """`user` writes to the bot in a DM."""
        ch = self.world.dm_channel(_id(user))
        self.mark()
        message = self.world.create_message(ch, _id(user), {"content": content})
        self.gateway.dispatch("MESSAGE_CREATE", self.world.event_message(message))
        return message

    def dm_messages(self, user: UserRef) -> list[Json]:
        """Messages in the DM channel between the bot and `user` (oldest first)."""
        cid = self.world.dm_channels.get(_id(user))
        return self.world.history(cid) if cid else []

    async def edit_message(self, user: UserRef, message: MessageRef, content: str) -> Json:
        msg = self.world.find_message(_id(message))
        if msg["author"]["id"] != _id(user):
            raise ApiError(403, 50005, "Cannot edit a message authored by another user")
        self.mark()
        self.rest._apply_edit(msg, {"content": content})
        self.gateway.dispatch("MESSAGE_UPDATE", self.world.event_message(msg))
        return msg

    async def delete_message(self, user: UserRef, message: MessageRef) -> None:
        msg = self.world.find_message(_id(message))
        self.mark()
        self.rest._delete(msg)

    async def create_forum_post(
        self,
        user: UserRef,
        forum: str | int | Json,
        name: str,
        content: str,
        *,
        tags: list[str] | None = None,
    ) -> Json:
        """`user` opens a forum post: THREAD_CREATE + MESSAGE_CREATE; returns the thread."""
        uid = _id(user)
        parent = self.world.channel(_id(forum))
        if parent["type"] != FORUM:
            raise ApiError(400, 50024, "Cannot execute action on this channel type")
        guild = self.world.guild(parent["guild_id"])
        self.world.member(guild, uid)
        errs = FormErrors()
        limits.check_thread_fields(errs, {"name": name, "applied_tags": tags}, creating=True)
        self.rest._check_tags(errs, parent, tags)
        if errs:
            raise ValueError("; ".join(errs.messages()))
        _check_member_body({"content": content})
        self.mark()
        thread = self.world.create_thread(parent, name=name, owner_id=uid, applied_tags=tags)
        self.gateway.dispatch("THREAD_CREATE", {**copy.deepcopy(thread), "newly_created": True})
        starter = self.world.create_message(
            thread, uid, {"content": content}, message_id=thread["id"]
        )
        self.gateway.dispatch("MESSAGE_CREATE", self.world.event_message(starter))
        return thread

    async def react(self, user: UserRef, message: MessageRef, emoji: str) -> None:
        """`user` adds reaction `emoji` (unicode, or `name:id`): MESSAGE_REACTION_ADD."""
        msg = self.world.find_message(_id(message))
        self.mark()
        if self.world.react(msg, _id(user), emoji, add=True):
            self.rest.reaction_event("MESSAGE_REACTION_ADD", msg, _id(user), emoji)

    async def unreact(self, user: UserRef, message: MessageRef, emoji: str) -> None:
        msg = self.world.find_message(_id(message))
        self.mark()
        if self.world.react(msg, _id(user), emoji, add=False):
            self.rest.reaction_event("MESSAGE_REACTION_REMOVE", msg, _id(user), emoji)

    async def edit_thread(self, user: UserRef, thread: str | int | Json, **fields: Any) -> Json:
        """`user` (the owner, or a member who may manage threads) changes a thread: name,
        archived, locked, rate_limit_per_user, applied_tags. Dispatches THREAD_UPDATE."""
        uid = _id(user)
        channel = self.world.channel(_id(thread))
        if channel["type"] not in THREAD_TYPES:
            raise ApiError(400, 50024, "Cannot execute action on this channel type")
        guild = self.world.guild(channel["guild_id"])
        manager = bool(self.world.permissions(guild, uid) & MANAGE_THREADS)
        if not manager and (channel["owner_id"] != uid or {"locked", "applied_tags"} & set(fields)):
            raise ApiError(403, MISSING_PERMISSIONS, "Missing Permissions", violation=False)
        meta = channel["thread_metadata"]
        self.mark()
        for key, value in fields.items():
            if key in ("archived", "locked", "auto_archive_duration"):
                meta[key] = value
            else:
                channel[key] = value
        self.gateway.dispatch("THREAD_UPDATE", copy.deepcopy(channel))
        return channel

    def set_overwrite(
        self,
        channel: str | int | Json,
        target: str,
        *,
        allow: int = 0,
        deny: int = 0,
        member: bool = False,
    ) -> Json:
        """Set the permission overwrite of a role (or a member) on a channel: CHANNEL_UPDATE."""
        ch = self.world.channel(_id(channel))
        overwrites = [o for o in ch.get("permission_overwrites") or [] if o["id"] != str(target)]
        overwrites.append(
            {"id": str(target), "type": int(member), "allow": str(allow), "deny": str(deny)}
        )
        ch["permission_overwrites"] = overwrites
        self._dispatch_if_connected("CHANNEL_UPDATE", copy.deepcopy(ch))
        return ch

    async def set_roles(self, guild: Guild | str, user: UserRef, roles: list[str]) -> Json:
        """Replace `user`'s roles (as an admin would): GUILD_MEMBER_UPDATE."""
        g = self.world.guild(_id(guild))
        member = self.world.member(g, _id(user))
        member["roles"] = [str(r) for r in roles]
        self.mark()
        payload = self.world.member_payload(g, _id(user))
        self.gateway.dispatch("GUILD_MEMBER_UPDATE", {**payload, "guild_id": g.id})
        return member

    def messages(self, channel: str | int | Json) -> list[Json]:
        """Visible messages of a channel or thread, oldest first (live dicts)."""
        return self.world.history(_id(channel))

    def channel(self, channel: str | int | Json) -> Json:
        return self.world.channel(_id(channel))

    def member(self, guild: Guild | str, user: UserRef) -> Json:
        return self.world.member(self.world.guild(_id(guild)), _id(user))

    def threads(self, forum: str | int | Json) -> list[Json]:
        parent = self.world.channel(_id(forum))
        guild = self.world.guild(parent["guild_id"])
        return [t for t in self.world.threads_of(guild) if t["parent_id"] == parent["id"]]

    @property
    def audit_log(self) -> list[Json]:
        return self.world.audit_log

    # ---- acting as members: interactions ------------------------------------------------------
    def _interaction(
        self,
        kind: int,
        user: UserRef,
        channel_id: str,
        data: Json,
        *,
        message: Json | None = None,
    ) -> InteractionHandle:
        uid = _id(user)
        channel = self.world.channel(channel_id)
        guild = self.world.guild_of(channel)
        iid = self.world.ids.next()
        token = "aW50ZXJhY3Rpb246" + secrets.token_urlsafe(96)
        channel_payload = copy.deepcopy(channel)
        payload: Json = {
            "id": iid,
            "application_id": self.application_id,
            "type": kind,
            "data": data,
            "channel_id": channel["id"],
            "channel": channel_payload,
            "token": token,
            "version": 1,
            "locale": "en-US",
            "entitlements": [],
            "attachment_size_limit": self.attachment_size_limit,
            "authorizing_integration_owners": {"0": guild.id} if guild else {"1": uid},
            "context": 0 if guild else 1,
        }
        if guild is not None:
            self.world.member(guild, uid)
            perms = self.world.channel_permissions(channel, uid)
            if not perms & VIEW_CHANNEL:
                raise ApiError(
                    403, 50001, "Missing Access (member cannot see the channel)", violation=False
                )
            channel_payload["permissions"] = str(perms)
            member = self.world.member_payload(guild, uid)
            member["permissions"] = str(perms)
            payload.update(
                guild_id=guild.id,
                guild={"id": guild.id, "locale": "en-US", "features": ["COMMUNITY"]},
                guild_locale="en-US",
                member=member,
                app_permissions=str(self.world.channel_permissions(channel, self.bot_id)),
            )
        else:
            payload["user"] = copy.deepcopy(self.world.user(uid))
            payload["app_permissions"] = str(EVERYONE_PERMISSIONS)
        if message is not None:
            payload["message"] = copy.deepcopy(message)
        record = InteractionRecord(
            id=iid,
            token=token,
            type=kind,
            payload=payload,
            user_id=uid,
            channel_id=channel["id"],
            guild_id=guild.id if guild else None,
            source_message_id=message["id"] if message is not None else None,
        )
        self.interactions[iid] = record
        self.interactions_by_token[token] = record
        self.mark()
        self.gateway.dispatch("INTERACTION_CREATE", copy.deepcopy(payload))
        return InteractionHandle(self, record)

    def _command(self, guild_id: str | None, name: str, kind: int) -> Json:
        for scope in (guild_id, None) if guild_id else (None,):
            for cmd in self.commands.get(scope, []):
                if cmd["name"] == name and cmd["type"] == kind:
                    return cmd
        raise LookupError(f"no synced command {name!r} (type {kind}) for guild {guild_id}")

    def _check_command_visible(self, cmd: Json, user: UserRef, channel_id: str) -> None:
        """With `enforce_command_permissions`, members lacking the command's
        default_member_permissions cannot use it (Discord hides it from them)."""
        required = cmd.get("default_member_permissions")
        if not self.enforce_command_permissions or required is None:
            return
        channel = self.world.channel(channel_id)
        perms = self.world.channel_permissions(channel, _id(user))
        if perms & ADMINISTRATOR or perms == ALL_PERMISSIONS:
            return
        if int(required) == 0 or perms & int(required) != int(required):
            raise ApiError(
                403,
                MISSING_PERMISSIONS,
                f"{cmd['name']!r} is hidden from this member",
                violation=False,
            )

    def _guild_of_channel(self, channel_id: str) -> str | None:
        return self.world.channel(channel_id).get("guild_id")

    async def invoke_command(
        self,
        user: UserRef,
        channel: str | int | Json,
        name: str,
        options: dict[str, Any] | None = None,
        *,
        subcommand: tuple[str, ...] | list[str] | str | None = None,
    ) -> InteractionHandle:
        """`user` runs slash command `name` (\"group sub\" or `subcommand=(...)` for nested ones)
        in `channel`; option values are plain Python values, ids, dicts or SandboxFile."""
        channel_id = _id(channel)
        guild_id = self._guild_of_channel(channel_id)
        path = name.split()
        if isinstance(subcommand, str):
            path += subcommand.split()
        elif subcommand:
            path += list(subcommand)
        cmd = self._command(guild_id, path[0], 1)
        self._check_command_visible(cmd, user, channel_id)
        data = cmdbuild.build_command_data(
            self, cmd, path[1:], options or {}, guild_id, focused=None
        )
        return self._interaction(APPLICATION_COMMAND, user, channel_id, data)

    async def autocomplete(
        self,
        user: UserRef,
        channel: str | int | Json,
        name: str,
        options: dict[str, Any],
        focused: str,
        *,
        subcommand: tuple[str, ...] | list[str] | str | None = None,
    ) -> InteractionHandle:
        """`user` is typing option `focused` of command `name`; await `handle.choices()`."""
        channel_id = _id(channel)
        guild_id = self._guild_of_channel(channel_id)
        path = name.split()
        if isinstance(subcommand, str):
            path += subcommand.split()
        elif subcommand:
            path += list(subcommand)
        cmd = self._command(guild_id, path[0], 1)
        self._check_command_visible(cmd, user, channel_id)
        data = cmdbuild.build_command_data(self, cmd, path[1:], options, guild_id, focused=focused)
        return self._interaction(AUTOCOMPLETE, user, channel_id, data)

    async def invoke_message_command(
        self, user: UserRef, message: MessageRef, name: str
    ) -> InteractionHandle:
        """`user` runs message context-menu command `name` on `message`."""
        msg = self.world.find_message(_id(message))
        guild_id = self._guild_of_channel(msg["channel_id"])
        cmd = self._command(guild_id, name, 3)
        self._check_command_visible(cmd, user, msg["channel_id"])
        resolved_msg = self.world.event_message(msg)
        resolved_msg.pop("member", None)
        data: Json = {
            "id": cmd["id"],
            "name": name,
            "type": 3,
            "target_id": msg["id"],
            "resolved": {"messages": {msg["id"]: resolved_msg}},
        }
        if cmd.get("guild_id"):
            data["guild_id"] = cmd["guild_id"]
        return self._interaction(APPLICATION_COMMAND, user, msg["channel_id"], data)

    async def invoke_user_command(
        self, user: UserRef, channel: str | int | Json, target: UserRef, name: str
    ) -> InteractionHandle:
        """`user` runs user context-menu command `name` on `target`."""
        channel_id = _id(channel)
        guild_id = self._guild_of_channel(channel_id)
        cmd = self._command(guild_id, name, 2)
        self._check_command_visible(cmd, user, channel_id)
        tid = _id(target)
        resolved: Json = {"users": {tid: copy.deepcopy(self.world.user(tid))}}
        if guild_id and tid in self.world.guild(guild_id).members:
            member = self.world.member_payload(self.world.guild(guild_id), tid, with_user=False)
            member["permissions"] = str(self.world.permissions(self.world.guild(guild_id), tid))
            resolved["members"] = {tid: member}
        data: Json = {
            "id": cmd["id"],
            "name": name,
            "type": 2,
            "target_id": tid,
            "resolved": resolved,
        }
        if cmd.get("guild_id"):
            data["guild_id"] = cmd["guild_id"]
        return self._interaction(APPLICATION_COMMAND, user, channel_id, data)

    async def click(
        self, user: UserRef, message: MessageRef, custom_id: str, *, values: list[str] | None = None
    ) -> InteractionHandle:
        """`user` presses the button (or picks `values` in the select) `custom_id` on `message`."""
        msg = self.world.find_message(_id(message))
        component = cmdbuild.find_component(msg.get("components") or [], custom_id)
        if component is None:
            raise LookupError(f"message {msg['id']} has no component {custom_id!r}")
        if component.get("disabled"):
            raise ValueError(f"component {custom_id!r} is disabled")
        data: Json = {"custom_id": custom_id, "component_type": component["type"]}
        if component["type"] in (3, 5, 6, 7, 8):
            data["values"] = list(values or [])
        elif values:
            raise ValueError("values are only for select menus")
        event_msg = self.world.event_message(msg)
        event_msg.pop("member", None)
        return self._interaction(COMPONENT, user, msg["channel_id"], data, message=event_msg)

    async def submit_modal(
        self, user: UserRef, source: InteractionHandle, values: dict[str, str]
    ) -> InteractionHandle:
        """`user` submits the modal the bot opened in answer to `source`, with text `values`
        keyed by the text inputs' custom_id."""
        modal = source.record.modal
        if modal is None or source.response_type != MODAL:
            raise LookupError(f"interaction {source.id} was not answered with a modal")
        components = cmdbuild.modal_submission(modal, values)
        data: Json = {"custom_id": modal["custom_id"], "components": components}
        message = None
        if source.record.source_message_id:
            found = self.world.messages.get(source.record.source_message_id)
            if found is not None:
                message = self.world.event_message(found)
                message.pop("member", None)
        return self._interaction(
            MODAL_SUBMIT, user, source.record.channel_id, data, message=message
        )


def _check_member_body(body: Json) -> None:
    """Discord's client would not let a member send this: a test bug, raised as ValueError."""
    errs = FormErrors()
    limits.check_message(errs, body)
    if errs:
        raise ValueError("; ".join(errs.messages()))


def _guess_type(filename: str) -> str:
    lower = filename.lower()
    for suffix, ctype in (
        (".txt", "text/plain; charset=utf-8"),
        (".md", "text/markdown; charset=utf-8"),
        (".markdown", "text/markdown; charset=utf-8"),
        (".html", "text/html; charset=utf-8"),
        (".htm", "text/html; charset=utf-8"),
        (".json", "application/json"),
        (".png", "image/png"),
        (".pdf", "application/pdf"),
    ):
        if lower.endswith(suffix):
            return ctype
    return "application/octet-stream"


__all__ = ["DM", "THREAD_TYPES", "DemoGuild", "Sandbox", "SandboxFile"]
