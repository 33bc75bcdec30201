"""The sandbox's in-memory Discord: users, guilds, roles, channels, threads, messages.

Objects are stored as Discord payload dicts (what the API would return), so answers are plain
copies; sandbox-only bookkeeping lives in separate attributes.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any

from .errors import UNKNOWN_CHANNEL, UNKNOWN_GUILD, UNKNOWN_MEMBER, UNKNOWN_MESSAGE, not_found
from .jsoncopy import json_copy
from .snowflake import SnowflakeFactory, iso

Json = dict[str, Any]

ADMINISTRATOR = 1 << 3
ALL_PERMISSIONS = (1 << 51) - 1
# What a fresh @everyone gets: view, send, read history, threads, reactions, embeds, slash commands.
EVERYONE_PERMISSIONS = (
    (1 << 10)
    | (1 << 11)
    | (1 << 16)
    | (1 << 38)
    | (1 << 35)
    | (1 << 6)
    | (1 << 14)
    | (1 << 15)
    | (1 << 31)
)
MODERATE_MEMBERS = 1 << 40
VIEW_CHANNEL = 1 << 10
SEND_MESSAGES = 1 << 11
SEND_MESSAGES_IN_THREADS = 1 << 38
MANAGE_MESSAGES = 1 << 13
MANAGE_THREADS = 1 << 34
MANAGE_CHANNELS_BIT = 1 << 4
KICK_MEMBERS = 1 << 1
BAN_MEMBERS = 1 << 2

TEXT, DM, CATEGORY, PUBLIC_THREAD, PRIVATE_THREAD, FORUM = 0, 1, 4, 11, 12, 15
THREAD_TYPES = frozenset({10, PUBLIC_THREAD, PRIVATE_THREAD})

_USER_MENTION = re.compile(r"<@!?(\d+)>")
_ROLE_MENTION = re.compile(r"<@&(\d+)>")


def emoji_payload(key: str) -> Json:
    name, _, eid = key.partition(":")
    return {"id": eid or None, "name": name}


@dataclass
class Guild:
    id: str
    name: str
    owner_id: str
    roles: dict[str, Json] = field(default_factory=dict)
    # user id -> member payload without `user`
    members: dict[str, Json] = field(default_factory=dict)
    channel_ids: list[str] = field(default_factory=list)


class World:
    def __init__(self, snowflakes: SnowflakeFactory) -> None:
        self.ids = snowflakes
        self.users: dict[str, Json] = {}
        self.guilds: dict[str, Guild] = {}
        self.channels: dict[str, Json] = {}
        self.messages: dict[str, Json] = {}
        self.channel_messages: dict[str, list[str]] = {}
        self.pins: dict[str, list[tuple[str, str]]] = {}  # channel -> [(message id, pinned_at)]
        self.dm_channels: dict[str, str] = {}  # user id -> DM channel id
        self.reactions: dict[str, dict[str, list[str]]] = {}  # message -> emoji -> user ids
        # message id -> who its creation pinged: {"users": [...], "roles": [...], "everyone": b}
        self.pings: dict[str, Json] = {}
        self.bans: dict[str, dict[str, str | None]] = {}  # guild -> user -> reason
        self.closed_dms: set[str] = set()
        self.audit_log: list[Json] = []
        self.bot_user_id = ""
        # Every message id ever created, in order (append-only, survives deletions).
        self.created_order: list[str] = []

    # ---- users, guilds, roles, members ------------------------------------------------------
    def create_user(self, username: str, *, bot: bool = False, user_id: str | None = None) -> Json:
        uid = user_id or self.ids.next()
        user: Json = {
            "id": uid,
            "username": username,
            "global_name": None if bot else username.title(),
            "discriminator": "0",
            "avatar": None,
            "public_flags": 0,
            "flags": 0,
        }
        if bot:
            user["bot"] = True
        self.users[uid] = user
        return user

    def user(self, user_id: str) -> Json:
        try:
            return self.users[str(user_id)]
        except KeyError:
            raise not_found(10013, "User") from None

    def create_guild(self, name: str, owner_id: str) -> Guild:
        gid = self.ids.next()
        guild = Guild(id=gid, name=name, owner_id=owner_id)
        # The @everyone role shares the guild's id.
        guild.roles[gid] = self._role_payload(gid, "@everyone", EVERYONE_PERMISSIONS, 0)
        self.guilds[gid] = guild
        return guild

    def guild(self, guild_id: str) -> Guild:
        try:
            return self.guilds[str(guild_id)]
        except KeyError:
            raise not_found(UNKNOWN_GUILD, "Guild") from None

    @staticmethod
    def _role_payload(rid: str, name: str, permissions: int, position: int, **extra: Any) -> Json:
        role: Json = {
            "id": rid,
            "name": name,
            "color": 0,
            "colors": {"primary_color": 0, "secondary_color": None, "tertiary_color": None},
            "hoist": False,
            "icon": None,
            "unicode_emoji": None,
            "position": position,
            "permissions": str(permissions),
            "managed": False,
            "mentionable": False,
            "flags": 0,
        }
        role.update(extra)
        return role

    def create_role(self, guild: Guild, name: str, permissions: int, **extra: Any) -> Json:
        rid = self.ids.next()
        position = max(int(r["position"]) for r in guild.roles.values()) + 1
        role = self._role_payload(rid, name, permissions, position, **extra)
        guild.roles[rid] = role
        return role

    def add_member(self, guild: Guild, user_id: str, roles: list[str] | None = None) -> Json:
        member: Json = {
            "roles": list(roles or []),
            "nick": None,
            "avatar": None,
            "banner": None,
            "joined_at": iso(),
            "premium_since": None,
            "deaf": False,
            "mute": False,
            "pending": False,
            "flags": 0,
            "communication_disabled_until": None,
        }
        guild.members[user_id] = member
        return member

    def member(self, guild: Guild, user_id: str) -> Json:
        try:
            return guild.members[str(user_id)]
        except KeyError:
            raise not_found(UNKNOWN_MEMBER, "Member") from None

    def member_payload(self, guild: Guild, user_id: str, *, with_user: bool = True) -> Json:
        data = json_copy(self.member(guild, user_id))
        if with_user:
            data["user"] = json_copy(self.user(user_id))
        return data

    def permissions(self, guild: Guild, user_id: str) -> int:
        if user_id == guild.owner_id:
            return ALL_PERMISSIONS
        member = guild.members.get(user_id)
        value = int(guild.roles[guild.id]["permissions"])
        for rid in (member or {}).get("roles", []):
            role = guild.roles.get(rid)
            if role:
                value |= int(role["permissions"])
        return ALL_PERMISSIONS if value & ADMINISTRATOR else value

    def channel_permissions(self, channel: Json, user_id: str) -> int:
        """Guild permissions with the channel's overwrites applied (threads use their parent's):
        @everyone, then the member's roles together, then the member, each deny before allow."""
        guild = self.guild_of(channel)
        if guild is None:
            return EVERYONE_PERMISSIONS
        base = self.permissions(guild, user_id)
        if base & ADMINISTRATOR:
            return ALL_PERMISSIONS
        if channel["type"] in THREAD_TYPES and channel.get("parent_id") in self.channels:
            channel = self.channels[channel["parent_id"]]
        overwrites = {o["id"]: o for o in channel.get("permission_overwrites") or []}
        everyone = overwrites.get(guild.id)
        if everyone:
            base = (base & ~int(everyone["deny"])) | int(everyone["allow"])
        roles = (guild.members.get(user_id) or {}).get("roles", [])
        deny = allow = 0
        for rid in roles:
            o = overwrites.get(rid)
            if o and int(o.get("type", 0)) == 0:
                deny |= int(o["deny"])
                allow |= int(o["allow"])
        base = (base & ~deny) | allow
        mine = overwrites.get(user_id)
        if mine and int(mine.get("type", 1)) == 1:
            base = (base & ~int(mine["deny"])) | int(mine["allow"])
        return base

    def top_role_position(self, guild: Guild, user_id: str) -> int:
        member = guild.members.get(user_id) or {}
        return max([int(guild.roles[r]["position"]) for r in member.get("roles", [])] or [0])

    def is_timed_out(self, guild: Guild, user_id: str) -> bool:
        until = (guild.members.get(user_id) or {}).get("communication_disabled_until")
        if not until:
            return False
        moment = dt.datetime.fromisoformat(str(until).replace("Z", "+00:00"))
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=dt.UTC)
        return moment > dt.datetime.now(dt.UTC)

    # ---- channels and threads ---------------------------------------------------------------
    def create_channel(self, guild: Guild, name: str, kind: int, **extra: Any) -> Json:
        cid = self.ids.next()
        position = sum(1 for c in guild.channel_ids if self.channels[c]["type"] not in THREAD_TYPES)
        channel: Json = {
            "id": cid,
            "type": kind,
            "guild_id": guild.id,
            "name": name,
            "position": position,
            "parent_id": None,
            "topic": None,
            "nsfw": False,
            "rate_limit_per_user": 0,
            "last_message_id": None,
            "permission_overwrites": [],
            "flags": 0,
        }
        if kind == FORUM:
            channel.update(
                available_tags=[],
                default_reaction_emoji=None,
                default_thread_rate_limit_per_user=0,
                default_sort_order=None,
                default_forum_layout=0,
                default_auto_archive_duration=1440,
            )
        channel.update(extra)
        self.channels[cid] = channel
        self.channel_messages[cid] = []
        guild.channel_ids.append(cid)
        return channel

    def channel(self, channel_id: str) -> Json:
        try:
            return self.channels[str(channel_id)]
        except KeyError:
            raise not_found(UNKNOWN_CHANNEL, "Channel") from None

    def create_thread(
        self,
        parent: Json,
        *,
        name: str,
        owner_id: str,
        thread_id: str | None = None,
        kind: int = PUBLIC_THREAD,
        auto_archive_duration: int = 1440,
        rate_limit_per_user: int = 0,
        applied_tags: list[str] | None = None,
    ) -> Json:
        guild = self.guild(parent["guild_id"])
        tid = thread_id or self.ids.next()
        now = iso()
        thread: Json = {
            "id": tid,
            "type": kind,
            "guild_id": guild.id,
            "parent_id": parent["id"],
            "owner_id": owner_id,
            "name": name,
            "last_message_id": None,
            "rate_limit_per_user": rate_limit_per_user,
            "message_count": 0,
            "member_count": 1,
            "total_message_sent": 0,
            "flags": 0,
            "applied_tags": list(applied_tags or []),
            "thread_metadata": {
                "archived": False,
                "auto_archive_duration": auto_archive_duration,
                "archive_timestamp": now,
                "locked": False,
                "create_timestamp": now,
                **({"invitable": True} if kind == PRIVATE_THREAD else {}),
            },
        }
        self.channels[tid] = thread
        self.channel_messages[tid] = []
        guild.channel_ids.append(tid)
        return thread

    def threads_of(self, guild: Guild) -> list[Json]:
        return [
            self.channels[c] for c in guild.channel_ids if self.channels[c]["type"] in THREAD_TYPES
        ]

    def guild_channels(self, guild: Guild) -> list[Json]:
        return [
            self.channels[c]
            for c in guild.channel_ids
            if self.channels[c]["type"] not in THREAD_TYPES
        ]

    def dm_channel(self, user_id: str) -> Json:
        cid = self.dm_channels.get(user_id)
        if cid is None:
            cid = self.ids.next()
            self.channels[cid] = {
                "id": cid,
                "type": DM,
                "last_message_id": None,
                "flags": 0,
                "recipients": [json_copy(self.user(user_id))],
            }
            self.channel_messages[cid] = []
            self.dm_channels[user_id] = cid
        return self.channels[cid]

    # ---- messages ---------------------------------------------------------------------------
    def create_message(
        self,
        channel: Json,
        author_id: str,
        body: Json,
        *,
        message_id: str | None = None,
        kind: int = 0,
        ephemeral: bool = False,
        extra: Json | None = None,
    ) -> Json:
        """Store a message; ephemeral ones are kept for webhook endpoints but not in the channel."""
        mid = message_id or self.ids.next()
        content = body.get("content") or ""
        message: Json = {
            "id": mid,
            "type": kind,
            "channel_id": channel["id"],
            "author": json_copy(self.user(author_id)),
            "content": content,
            "timestamp": iso(),
            "edited_timestamp": None,
            "tts": bool(body.get("tts", False)),
            "mention_everyone": False,
            "mentions": [],
            "mention_roles": [],
            "attachments": json_copy(body.get("attachments") or []),
            "embeds": json_copy(body.get("embeds") or []),
            "components": json_copy(body.get("components") or []),
            "pinned": False,
            "flags": int(body.get("flags") or 0),
        }
        if body.get("nonce") is not None:
            message["nonce"] = body["nonce"]
        if extra:
            message.update(json_copy(extra))
        self.pings[mid] = self.apply_mentions(message, body.get("allowed_mentions"))
        self.messages[mid] = message
        self.created_order.append(mid)
        if not ephemeral:
            self.channel_messages.setdefault(channel["id"], []).append(mid)
            channel["last_message_id"] = mid
            if channel["type"] in THREAD_TYPES and mid != channel["id"]:
                channel["message_count"] += 1
                channel["total_message_sent"] += 1
        return message

    def react(self, message: Json, user_id: str, emoji: str, *, add: bool) -> bool:
        """Add/remove `user_id`'s reaction; returns whether anything changed. `emoji` is a unicode
        emoji or `name:id` for a custom one."""
        users = self.reactions.setdefault(message["id"], {}).setdefault(emoji, [])
        if add == (user_id in users):
            return False
        if add:
            users.append(user_id)
        else:
            users.remove(user_id)
        summary = []
        for key, who in self.reactions[message["id"]].items():
            if not who:
                continue
            summary.append(
                {
                    "count": len(who),
                    "count_details": {"burst": 0, "normal": len(who)},
                    "me": self.bot_user_id in who,
                    "me_burst": False,
                    "burst_colors": [],
                    "emoji": emoji_payload(key),
                }
            )
        message["reactions"] = summary
        return True

    def apply_mentions(self, message: Json, allowed: Json | None) -> Json:
        """Fill mentions/mention_roles/mention_everyone from the content the way Discord does,
        honouring `allowed_mentions` (None = everything pings); returns who gets pinged."""
        content = message.get("content") or ""
        if allowed is None:
            parse, users, roles, replied = {"users", "roles", "everyone"}, [], [], True
        else:
            parse = set(allowed.get("parse") or [])
            users = [str(u) for u in allowed.get("users") or []]
            roles = [str(r) for r in allowed.get("roles") or []]
            replied = bool(allowed.get("replied_user", False))
        user_ids = [
            u
            for u in dict.fromkeys(_USER_MENTION.findall(content))
            if u in self.users and ("users" in parse or u in users)
        ]
        ref = message.get("referenced_message")
        if replied and isinstance(ref, dict) and ref["author"]["id"] not in user_ids:
            user_ids.append(ref["author"]["id"])
        role_ids = [
            r
            for r in dict.fromkeys(_ROLE_MENTION.findall(content))
            if "roles" in parse or r in roles
        ]
        everyone = "everyone" in parse and ("@everyone" in content or "@here" in content)
        message["mentions"] = [json_copy(self.users[u]) for u in user_ids]
        message["mention_roles"] = role_ids
        message["mention_everyone"] = everyone
        return {"users": user_ids, "roles": role_ids, "everyone": everyone}

    def message(self, channel_id: str, message_id: str) -> Json:
        message = self.messages.get(str(message_id))
        if message is None or message["channel_id"] != str(channel_id):
            raise not_found(UNKNOWN_MESSAGE, "Message")
        return message

    def find_message(self, message_id: str) -> Json:
        try:
            return self.messages[str(message_id)]
        except KeyError:
            raise not_found(UNKNOWN_MESSAGE, "Message") from None

    def delete_message(self, message: Json) -> None:
        self.messages.pop(message["id"], None)
        ids = self.channel_messages.get(message["channel_id"], [])
        if message["id"] in ids:
            ids.remove(message["id"])
            channel = self.channels.get(message["channel_id"])
            if channel and channel["type"] in THREAD_TYPES and message["id"] != channel["id"]:
                channel["message_count"] = max(0, channel["message_count"] - 1)

    def history(self, channel_id: str) -> list[Json]:
        """Messages of a channel, oldest first."""
        return [self.messages[m] for m in self.channel_messages.get(str(channel_id), [])]

    def guild_of(self, channel: Json) -> Guild | None:
        gid = channel.get("guild_id")
        return self.guilds.get(gid) if gid else None

    def event_message(self, message: Json) -> Json:
        """A message as MESSAGE_CREATE/UPDATE carries it: plus guild_id and the author's member."""
        data = json_copy(message)
        channel = self.channels.get(message["channel_id"])
        guild = self.guild_of(channel) if channel else None
        if guild is not None:
            data["guild_id"] = guild.id
            author_id = message["author"]["id"]
            if author_id in guild.members and not message.get("webhook_id"):
                data["member"] = self.member_payload(guild, author_id, with_user=False)
        return data

    def guild_create_payload(self, guild: Guild, *, bot_only_members: bool = True) -> Json:
        members = [
            self.member_payload(guild, uid)
            for uid in guild.members
            if not bot_only_members or uid == self.bot_user_id
        ]
        return {
            "id": guild.id,
            "name": guild.name,
            "icon": None,
            "splash": None,
            "discovery_splash": None,
            "owner_id": guild.owner_id,
            "afk_channel_id": None,
            "afk_timeout": 300,
            "verification_level": 0,
            "default_message_notifications": 1,
            "explicit_content_filter": 0,
            "roles": json_copy(list(guild.roles.values())),
            "emojis": [],
            "stickers": [],
            "features": ["COMMUNITY"],
            "mfa_level": 0,
            "application_id": None,
            "system_channel_id": None,
            "system_channel_flags": 0,
            "rules_channel_id": None,
            "vanity_url_code": None,
            "description": None,
            "banner": None,
            "premium_tier": 0,
            "premium_subscription_count": 0,
            "preferred_locale": "en-US",
            "public_updates_channel_id": None,
            "nsfw_level": 0,
            "premium_progress_bar_enabled": False,
            "safety_alerts_channel_id": None,
            "max_members": 500000,
            "joined_at": (guild.members.get(self.bot_user_id) or {}).get("joined_at", iso()),
            "large": False,
            "unavailable": False,
            "member_count": len(guild.members),
            "voice_states": [],
            "members": members,
            "channels": json_copy(self.guild_channels(guild)),
            "threads": json_copy(
                [t for t in self.threads_of(guild) if not t["thread_metadata"]["archived"]]
            ),
            "presences": [],
            "stage_instances": [],
            "guild_scheduled_events": [],
            "soundboard_sounds": [],
            "lazy": True,
        }
