"""Acting as guild members: messages, DMs, forum posts, reactions, thread and role changes."""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

from . import limits
from .base import SandboxBase
from .errors import MISSING_PERMISSIONS, ApiError, FormErrors
from .jsoncopy import json_copy
from .snowflake import iso
from .state import MessageRef, SandboxFile, UserRef, _id
from .world import (
    FORUM,
    MANAGE_CHANNELS_BIT,
    MANAGE_MESSAGES,
    MANAGE_THREADS,
    THREAD_TYPES,
    Guild,
    Json,
)


def _check_member_body(body: Json) -> None:
    """Discord's client would not let a member send this: a test bug, raised as ValueError."""
    errs = FormErrors()
    limits.check_message(errs, body)
    if errs:
        raise ValueError("; ".join(errs.messages()))


class MemberActions(SandboxBase):
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
                "referenced_message": json_copy(target),
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
        self.gateway.dispatch("THREAD_CREATE", {**json_copy(thread), "newly_created": True})
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
        self.gateway.dispatch("THREAD_UPDATE", json_copy(channel))
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
        self._dispatch_if_connected("CHANNEL_UPDATE", json_copy(ch))
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

    def age_messages(self, channel: str | int | Json, hours: float = 2.0) -> None:
        """Backdate every message of a channel (to exercise `old_edit_limit`)."""
        for message in self.world.history(_id(channel)):
            moment = dt.datetime.fromisoformat(message["timestamp"]) - dt.timedelta(hours=hours)
            message["timestamp"] = iso(moment)

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
