"""REST routes: channels, messages, reactions, pins and threads (forum posts included)."""

from __future__ import annotations

import datetime as dt
import time
from typing import Any
from urllib.parse import unquote

from forumbot.sandbox import limits
from forumbot.sandbox.errors import (
    CANNOT_EDIT_OTHERS_MESSAGE,
    EMPTY_MESSAGE,
    MISSING_PERMISSIONS,
    TAG_REQUIRED,
    WRONG_CHANNEL_TYPE,
    ApiError,
    FormErrors,
)
from forumbot.sandbox.jsoncopy import json_copy
from forumbot.sandbox.snowflake import iso
from forumbot.sandbox.world import (
    FORUM,
    MANAGE_CHANNELS_BIT,
    MANAGE_MESSAGES,
    MANAGE_THREADS,
    PUBLIC_THREAD,
    SEND_MESSAGES,
    TEXT,
    THREAD_TYPES,
    VIEW_CHANNEL,
    Json,
)

from .base import Req, RouteBase, _parse_time


class ChannelRoutes(RouteBase):
    async def get_channel(self, req: Req) -> tuple[int, Any]:
        return 200, self.world.channel(req.params[0])

    async def edit_channel(self, req: Req) -> tuple[int, Any]:
        channel = self.world.channel(req.params[0])
        body = req.json()
        guild = self.world.guild_of(channel)
        errs = FormErrors()
        if channel["type"] in THREAD_TYPES:
            limits.check_thread_fields(errs, body, creating=False)
            parent = self.world.channel(channel["parent_id"])
            self._check_tags(errs, parent, body.get("applied_tags"))
            errs.raise_if_any()
            moderating = any(k in body for k in ("locked", "applied_tags", "name"))
            if (
                guild is not None
                and channel["owner_id"] != self.bot_id
                and (moderating or body.get("archived"))
            ):
                self._require(guild, MANAGE_THREADS)
            meta = channel["thread_metadata"]
            for key in ("archived", "locked", "auto_archive_duration"):
                if key in body and body[key] is not None:
                    if key == "archived" and bool(body[key]) != meta["archived"]:
                        meta["archive_timestamp"] = iso()
                    meta[key] = body[key]
            for key in ("name", "rate_limit_per_user", "applied_tags", "flags"):
                if key in body and body[key] is not None:
                    channel[key] = json_copy(body[key])
            self._dispatch_channel("THREAD_UPDATE", channel)
            return 200, channel
        if guild is not None:
            self._require(guild, MANAGE_CHANNELS_BIT)
        if "name" in body:
            limits.check_length(errs, "name", body["name"], 100, low=1, required=True)
        check_topic = body.get("topic")
        limits.check_length(errs, "topic", check_topic, 4096 if channel["type"] == FORUM else 1024)
        if "available_tags" in body:
            if channel["type"] != FORUM:
                errs.add("available_tags", "CHANNEL_TYPE_INVALID", "Only forum channels have tags")
            else:
                limits.check_forum_tags(errs, body["available_tags"])
        errs.raise_if_any()
        for key, value in body.items():
            if key == "available_tags":
                channel[key] = [self._tag(t) for t in value]
            elif key in channel or key in ("topic", "default_reaction_emoji", "flags"):
                channel[key] = json_copy(value)
        self._dispatch_channel("CHANNEL_UPDATE", channel)
        return 200, channel

    async def delete_channel(self, req: Req) -> tuple[int, Any]:
        channel = self.world.channel(req.params[0])
        guild = self.world.guild_of(channel)
        if guild is not None:
            bit = MANAGE_THREADS if channel["type"] in THREAD_TYPES else MANAGE_CHANNELS_BIT
            self._require(guild, bit)
            guild.channel_ids.remove(channel["id"])
        del self.world.channels[channel["id"]]
        event = "THREAD_DELETE" if channel["type"] in THREAD_TYPES else "CHANNEL_DELETE"
        self._dispatch_channel(event, channel)
        return 200, channel

    async def list_messages(self, req: Req) -> tuple[int, Any]:
        channel = self.world.channel(req.params[0])
        limit = int(req.query.get("limit", 50))
        if not 1 <= limit <= 100:
            errs = FormErrors()
            errs.add("limit", "NUMBER_TYPE_MAX", "Must be between 1 and 100.")
            errs.raise_if_any()
        history = self.world.history(channel["id"])  # oldest first
        if "before" in req.query:
            before = int(req.query["before"])
            picked = [m for m in history if int(m["id"]) < before][-limit:]
        elif "after" in req.query:
            after = int(req.query["after"])
            picked = [m for m in history if int(m["id"]) > after][:limit]
        elif "around" in req.query:
            around = int(req.query["around"])
            older = [m for m in history if int(m["id"]) <= around][-(limit // 2 + 1) :]
            newer = [m for m in history if int(m["id"]) > around][: limit - len(older)]
            picked = older + newer
        else:
            picked = history[-limit:]
        # Discord answers newest first.
        return 200, list(reversed(picked))

    async def create_message(self, req: Req) -> tuple[int, Any]:
        channel = self.world.channel(req.params[0])
        body = self._message_body(req)
        self._check_can_post(channel, self.bot_id)
        nonce = body.get("nonce")
        if nonce is not None and body.get("enforce_nonce"):
            key = (channel["id"], self.bot_id, str(nonce))
            seen = self._nonces.get(key)
            if seen is not None and time.monotonic() - seen[1] < self.sb.nonce_window:
                existing = self.world.messages.get(seen[0])
                if existing is not None:
                    return 200, existing
        extra: Json = {}
        kind = 0
        ref = body.get("message_reference")
        if isinstance(ref, dict) and ref.get("message_id"):
            target = self.world.messages.get(str(ref["message_id"]))
            if target is None:
                if ref.get("fail_if_not_exists", True):
                    errs = FormErrors()
                    errs.add(
                        "message_reference",
                        "MESSAGE_REFERENCE_UNKNOWN_MESSAGE",
                        "Unknown message",
                    )
                    errs.raise_if_any()
            else:
                kind = 19
                extra["message_reference"] = {
                    "type": 0,
                    "message_id": target["id"],
                    "channel_id": target["channel_id"],
                    **({"guild_id": channel["guild_id"]} if channel.get("guild_id") else {}),
                }
                extra["referenced_message"] = json_copy(target)
        message = self.world.create_message(channel, self.bot_id, body, kind=kind, extra=extra)
        if nonce is not None and body.get("enforce_nonce"):
            self._nonces[(channel["id"], self.bot_id, str(nonce))] = (
                message["id"],
                time.monotonic(),
            )
        self._dispatch_message("MESSAGE_CREATE", message)
        return 200, message

    async def get_message(self, req: Req) -> tuple[int, Any]:
        return 200, self.world.message(req.params[0], req.params[1])

    async def edit_message(self, req: Req) -> tuple[int, Any]:
        message = self.world.message(req.params[0], req.params[1])
        body = self._message_body(req, editing=True)
        if message["author"]["id"] != self.bot_id and set(body) - {"flags"}:
            raise ApiError(
                403, CANNOT_EDIT_OTHERS_MESSAGE, "Cannot edit a message authored by another user"
            )
        self._throttle_old_edit(message)
        self._apply_edit(message, body)
        self._dispatch_message("MESSAGE_UPDATE", message)
        return 200, message

    def _throttle_old_edit(self, message: Json) -> None:
        """Discord throttles edits to messages older than an hour (30046); the budget per
        channel and hour is `sb.old_edit_limit` (None: unlimited)."""
        limit = self.sb.old_edit_limit
        age = dt.datetime.now(dt.UTC) - _parse_time(message["timestamp"])
        if limit is None or age < dt.timedelta(hours=1):
            return
        now = time.monotonic()
        window = self._old_edits.setdefault(message["channel_id"], [])
        window[:] = [t for t in window if now - t < 3600]
        if len(window) >= limit:
            raise ApiError(
                400,
                30046,
                "Maximum number of edits to messages older than 1 hour reached. Try again later.",
                violation=False,
            )
        window.append(now)

    async def delete_message(self, req: Req) -> tuple[int, Any]:
        channel = self.world.channel(req.params[0])
        message = self.world.message(req.params[0], req.params[1])
        guild = self.world.guild_of(channel)
        if message["author"]["id"] != self.bot_id and guild is not None:
            self._require(guild, MANAGE_MESSAGES)
        self._delete(message)
        return 204, None

    async def bulk_delete(self, req: Req) -> tuple[int, Any]:
        channel = self.world.channel(req.params[0])
        guild = self.world.guild_of(channel)
        if guild is None:
            raise ApiError(400, WRONG_CHANNEL_TYPE, "Cannot execute action on this channel type")
        self._require(guild, MANAGE_MESSAGES)
        ids = [str(i) for i in req.json().get("messages") or []]
        errs = FormErrors()
        if not 2 <= len(ids) <= 100:
            errs.bad_length("messages", 2, 100)
        cutoff = dt.datetime.now(dt.UTC) - dt.timedelta(days=14)
        for i, mid in enumerate(ids):
            message = self.world.messages.get(mid)
            if message is None or message["channel_id"] != channel["id"]:
                errs.add(f"messages.{i}", "UNKNOWN_MESSAGE", "Unknown message")
            elif _parse_time(message["timestamp"]) < cutoff:
                errs.add(f"messages.{i}", "MESSAGE_TOO_OLD", "Messages older than 2 weeks")
        errs.raise_if_any()
        for mid in ids:
            self.world.delete_message(self.world.messages[mid])
        self.gateway.dispatch(
            "MESSAGE_DELETE_BULK", {"ids": ids, "channel_id": channel["id"], "guild_id": guild.id}
        )
        return 204, None

    async def no_content(self, req: Req) -> tuple[int, Any]:
        self.world.channel(req.params[0])
        return 204, None

    async def add_reaction(self, req: Req) -> tuple[int, Any]:
        message = self.world.message(req.params[0], req.params[1])
        emoji = unquote(req.params[2])
        if self.world.react(message, self.bot_id, emoji, add=True):
            self.reaction_event("MESSAGE_REACTION_ADD", message, self.bot_id, emoji)
        return 204, None

    async def remove_own_reaction(self, req: Req) -> tuple[int, Any]:
        message = self.world.message(req.params[0], req.params[1])
        emoji = unquote(req.params[2])
        if self.world.react(message, self.bot_id, emoji, add=False):
            self.reaction_event("MESSAGE_REACTION_REMOVE", message, self.bot_id, emoji)
        return 204, None

    async def remove_reaction(self, req: Req) -> tuple[int, Any]:
        channel = self.world.channel(req.params[0])
        message = self.world.message(req.params[0], req.params[1])
        guild = self.world.guild_of(channel)
        if guild is not None:
            self._require(guild, MANAGE_MESSAGES)
        emoji, user_id = unquote(req.params[2]), req.params[3]
        if self.world.react(message, user_id, emoji, add=False):
            self.reaction_event("MESSAGE_REACTION_REMOVE", message, user_id, emoji)
        return 204, None

    async def reaction_users(self, req: Req) -> tuple[int, Any]:
        message = self.world.message(req.params[0], req.params[1])
        users = self.world.reactions.get(message["id"], {}).get(unquote(req.params[2]), [])
        return 200, [self.world.user(u) for u in users]

    async def pin(self, req: Req) -> tuple[int, Any]:
        message = self.world.message(req.params[0], req.params[1])
        pins = self.world.pins.setdefault(req.params[0], [])
        if all(m != message["id"] for m, _ in pins):
            if len(pins) >= 250:
                raise ApiError(400, 30003, "Maximum number of pins reached (250)")
            pins.insert(0, (message["id"], iso()))
        message["pinned"] = True
        self._dispatch_message("MESSAGE_UPDATE", message)
        return 204, None

    async def unpin(self, req: Req) -> tuple[int, Any]:
        message = self.world.message(req.params[0], req.params[1])
        pins = self.world.pins.setdefault(req.params[0], [])
        pins[:] = [p for p in pins if p[0] != message["id"]]
        message["pinned"] = False
        self._dispatch_message("MESSAGE_UPDATE", message)
        return 204, None

    async def list_pins(self, req: Req) -> tuple[int, Any]:
        self.world.channel(req.params[0])
        pins = self.world.pins.get(req.params[0], [])
        return 200, [self.world.messages[m] for m, _ in pins if m in self.world.messages]

    async def list_pins_v2(self, req: Req) -> tuple[int, Any]:
        self.world.channel(req.params[0])
        pins = self.world.pins.get(req.params[0], [])
        limit = int(req.query.get("limit", 50))
        before = req.query.get("before")
        items = [
            {"pinned_at": at, "message": json_copy(self.world.messages[m])}
            for m, at in pins
            if m in self.world.messages and (before is None or at < before)
        ]
        return 200, {"items": items[:limit], "has_more": len(items) > limit}

    async def create_thread(self, req: Req) -> tuple[int, Any]:
        parent = self.world.channel(req.params[0])
        body = req.json()
        errs = FormErrors()
        limits.check_thread_fields(errs, body, creating=True)
        if parent["type"] == FORUM:
            msg = body.get("message")
            if not isinstance(msg, dict):
                errs.add("message", "BASE_TYPE_REQUIRED", "This field is required")
            else:
                sub = FormErrors()
                limits.check_message(sub, msg)
                for line_path, node in sub.tree.items():
                    errs.tree.setdefault("message", {})[line_path] = node
            self._check_tags(errs, parent, body.get("applied_tags"))
        elif parent["type"] != TEXT:
            raise ApiError(400, WRONG_CHANNEL_TYPE, "Cannot execute action on this channel type")
        perms = self.world.channel_permissions(parent, self.bot_id)
        if not perms & VIEW_CHANNEL:
            raise ApiError(403, 50001, "Missing Access", violation=False)
        if not perms & SEND_MESSAGES:
            raise ApiError(403, MISSING_PERMISSIONS, "Missing Permissions", violation=False)
        errs.raise_if_any()
        msg = body.get("message")
        if parent["type"] == FORUM and not req.files and not limits.is_nonempty(msg or {}):
            raise ApiError(400, EMPTY_MESSAGE, "Cannot send an empty message")
        if parent["type"] == FORUM and parent["flags"] & 16 and not body.get("applied_tags"):
            raise ApiError(
                400, TAG_REQUIRED, "A tag is required to create a forum post in this channel"
            )
        thread = self.world.create_thread(
            parent,
            name=body["name"],
            owner_id=self.bot_id,
            kind=int(body.get("type") or PUBLIC_THREAD)
            if parent["type"] == TEXT
            else PUBLIC_THREAD,
            auto_archive_duration=int(body.get("auto_archive_duration") or 1440),
            rate_limit_per_user=int(body.get("rate_limit_per_user") or 0),
            applied_tags=[str(t) for t in body.get("applied_tags") or []],
        )
        thread_payload = {**json_copy(thread), "newly_created": True}
        self.gateway.dispatch("THREAD_CREATE", thread_payload)
        result = json_copy(thread)
        result["member"] = {
            "id": thread["id"],
            "user_id": self.bot_id,
            "join_timestamp": iso(),
            "flags": 1,
        }
        if parent["type"] == FORUM:
            msg_body = dict(body["message"])
            if req.files:
                msg_body["attachments"] = self._attachments(msg_body, req.files)
            starter = self.world.create_message(
                thread, self.bot_id, msg_body, message_id=thread["id"]
            )
            self._dispatch_message("MESSAGE_CREATE", starter)
            result["message"] = json_copy(starter)
        return 201, result

    async def thread_from_message(self, req: Req) -> tuple[int, Any]:
        parent = self.world.channel(req.params[0])
        message = self.world.message(req.params[0], req.params[1])
        body = req.json()
        errs = FormErrors()
        limits.check_thread_fields(errs, body, creating=True)
        errs.raise_if_any()
        if message["id"] in self.world.channels:
            raise ApiError(400, 160004, "A thread has already been created for this message")
        thread = self.world.create_thread(
            parent,
            name=body["name"],
            owner_id=self.bot_id,
            thread_id=message["id"],
            auto_archive_duration=int(body.get("auto_archive_duration") or 1440),
        )
        message["thread"] = json_copy(thread)
        self.gateway.dispatch("THREAD_CREATE", {**json_copy(thread), "newly_created": True})
        return 201, thread

    async def archived_threads(self, req: Req) -> tuple[int, Any]:
        parent = self.world.channel(req.params[0])
        guild = self.world.guild_of(parent)
        if guild is None:
            raise ApiError(400, WRONG_CHANNEL_TYPE, "Cannot execute action on this channel type")
        before = req.query.get("before")
        limit = int(req.query.get("limit", 50))
        threads = [
            t
            for t in self.world.threads_of(guild)
            if t["parent_id"] == parent["id"]
            and t["thread_metadata"]["archived"]
            and t["type"] == PUBLIC_THREAD
        ]
        if before:
            cutoff = _parse_time(before)
            threads = [
                t
                for t in threads
                if _parse_time(t["thread_metadata"]["archive_timestamp"]) < cutoff
            ]
        threads.sort(key=lambda t: t["thread_metadata"]["archive_timestamp"], reverse=True)
        return 200, {
            "threads": json_copy(threads[:limit]),
            "members": [],
            "has_more": len(threads) > limit,
        }
