"""REST routes: guilds, roles and members (timeouts, roles, kicks, bans)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from forumbot.sandbox import limits
from forumbot.sandbox.errors import (
    MISSING_PERMISSIONS,
    UNKNOWN_ROLE,
    ApiError,
    FormErrors,
    not_found,
)
from forumbot.sandbox.jsoncopy import json_copy
from forumbot.sandbox.snowflake import iso
from forumbot.sandbox.world import FORUM, MANAGE_CHANNELS_BIT, MODERATE_MEMBERS, TEXT, Guild, Json

from .base import Req, RouteBase, _parse_time


class GuildRoutes(RouteBase):
    async def get_guild(self, req: Req) -> tuple[int, Any]:
        guild = self.world.guild(req.params[0])
        payload = self.world.guild_create_payload(guild)
        for key in ("members", "channels", "threads", "voice_states", "presences", "large"):
            payload.pop(key, None)
        payload["approximate_member_count"] = len(guild.members)
        return 200, payload

    async def guild_channels(self, req: Req) -> tuple[int, Any]:
        guild = self.world.guild(req.params[0])
        return 200, self.world.guild_channels(guild)

    async def create_guild_channel(self, req: Req) -> tuple[int, Any]:
        guild = self.world.guild(req.params[0])
        self._require(guild, MANAGE_CHANNELS_BIT)
        body = req.json()
        errs = FormErrors()
        limits.check_length(errs, "name", body.get("name"), 100, low=1, required=True)
        kind = int(body.get("type") or TEXT)
        if kind == FORUM and "available_tags" in body:
            limits.check_forum_tags(errs, body["available_tags"])
        errs.raise_if_any()
        extra = {
            k: json_copy(v)
            for k, v in body.items()
            if k in ("topic", "nsfw", "rate_limit_per_user", "parent_id", "permission_overwrites")
        }
        channel = self.world.create_channel(guild, body["name"], kind, **extra)
        if kind == FORUM and body.get("available_tags"):
            channel["available_tags"] = [self._tag(t) for t in body["available_tags"]]
        self._dispatch_channel("CHANNEL_CREATE", channel)
        return 201, channel

    async def guild_roles(self, req: Req) -> tuple[int, Any]:
        guild = self.world.guild(req.params[0])
        return 200, list(guild.roles.values())

    async def active_threads(self, req: Req) -> tuple[int, Any]:
        guild = self.world.guild(req.params[0])
        threads = [t for t in self.world.threads_of(guild) if not t["thread_metadata"]["archived"]]
        return 200, {"threads": json_copy(threads), "members": []}

    async def list_members(self, req: Req) -> tuple[int, Any]:
        guild = self.world.guild(req.params[0])
        limit = int(req.query.get("limit", 1))
        after = int(req.query.get("after", 0))
        ids = sorted((u for u in guild.members if int(u) > after), key=int)[:limit]
        return 200, [self.world.member_payload(guild, u) for u in ids]

    async def search_members(self, req: Req) -> tuple[int, Any]:
        guild = self.world.guild(req.params[0])
        query = req.query.get("query", "").lower()
        limit = int(req.query.get("limit", 1))
        found = [
            uid
            for uid, member in guild.members.items()
            if self.world.users[uid]["username"].lower().startswith(query)
            or (member.get("nick") or "").lower().startswith(query)
        ]
        return 200, [self.world.member_payload(guild, u) for u in found[:limit]]

    async def get_member(self, req: Req) -> tuple[int, Any]:
        guild = self.world.guild(req.params[0])
        return 200, self.world.member_payload(guild, req.params[1])

    def _check_hierarchy(self, guild: Guild, target: str) -> None:
        if target == guild.owner_id or (
            self.world.permissions(guild, target) & 8
            or self.world.top_role_position(guild, target)
            >= self.world.top_role_position(guild, self.bot_id)
        ):
            raise ApiError(403, MISSING_PERMISSIONS, "Missing Permissions", violation=False)

    def _member_event(self, guild: Guild, user_id: str) -> None:
        payload = self.world.member_payload(guild, user_id)
        payload["guild_id"] = guild.id
        self.gateway.dispatch("GUILD_MEMBER_UPDATE", payload)

    def _audit(
        self, guild: Guild, action: str, target: str, reason: str | None, changes: Json
    ) -> None:
        self.world.audit_log.append(
            {
                "guild_id": guild.id,
                "action": action,
                "target_id": target,
                "user_id": self.bot_id,
                "reason": reason,
                "changes": changes,
                "time": iso(),
            }
        )

    async def edit_member(self, req: Req) -> tuple[int, Any]:
        guild = self.world.guild(req.params[0])
        user_id = req.params[1]
        member = self.world.member(guild, user_id)
        body = req.json()
        errs = FormErrors()
        if "communication_disabled_until" in body:
            self._require(guild, MODERATE_MEMBERS)
            until = body["communication_disabled_until"]
            if until is not None:
                try:
                    moment = _parse_time(until)
                except ValueError:
                    errs.add("communication_disabled_until", "DATE_TYPE_CONVERT", "Invalid date")
                else:
                    horizon = dt.datetime.now(dt.UTC) + dt.timedelta(days=limits.MAX_TIMEOUT_DAYS)
                    if moment > horizon:
                        errs.add(
                            "communication_disabled_until",
                            "COMMUNICATION_DISABLED_UNTIL_TOO_FAR",
                            "Timeout cannot be longer than 28 days",
                        )
            errs.raise_if_any()
            self._check_hierarchy(guild, user_id)
        if "nick" in body:
            limits.check_length(errs, "nick", body["nick"], 32)
        if "roles" in body:
            for i, rid in enumerate(body["roles"] or []):
                if str(rid) not in guild.roles:
                    errs.add(f"roles.{i}", "UNKNOWN_ROLE", f"Unknown role {rid}")
        errs.raise_if_any()
        changes: Json = {}
        for key in ("communication_disabled_until", "nick", "roles"):
            if key in body:
                value = body[key]
                if key == "roles":
                    value = [str(r) for r in value or []]
                changes[key] = {"old": member.get(key), "new": value}
                member[key] = value
        self._audit(guild, "member_update", user_id, req.reason, changes)
        self._member_event(guild, user_id)
        return 200, self.world.member_payload(guild, user_id)

    async def add_role(self, req: Req) -> tuple[int, Any]:
        guild = self.world.guild(req.params[0])
        member = self.world.member(guild, req.params[1])
        if req.params[2] not in guild.roles:
            raise not_found(UNKNOWN_ROLE, "Role")
        if req.params[2] not in member["roles"]:
            member["roles"].append(req.params[2])
        self._audit(guild, "member_role_update", req.params[1], req.reason, {"$add": req.params[2]})
        self._member_event(guild, req.params[1])
        return 204, None

    async def remove_role(self, req: Req) -> tuple[int, Any]:
        guild = self.world.guild(req.params[0])
        member = self.world.member(guild, req.params[1])
        if req.params[2] in member["roles"]:
            member["roles"].remove(req.params[2])
        self._audit(
            guild, "member_role_update", req.params[1], req.reason, {"$remove": req.params[2]}
        )
        self._member_event(guild, req.params[1])
        return 204, None

    async def kick_member(self, req: Req) -> tuple[int, Any]:
        guild = self.world.guild(req.params[0])
        self._require(guild, 1 << 1)
        self.world.member(guild, req.params[1])
        self._check_hierarchy(guild, req.params[1])
        del guild.members[req.params[1]]
        self._audit(guild, "member_kick", req.params[1], req.reason, {})
        self.gateway.dispatch(
            "GUILD_MEMBER_REMOVE",
            {"guild_id": guild.id, "user": json_copy(self.world.user(req.params[1]))},
        )
        return 204, None

    async def ban_member(self, req: Req) -> tuple[int, Any]:
        guild = self.world.guild(req.params[0])
        self._require(guild, 1 << 2)
        user_id = req.params[1]
        self.world.user(user_id)
        if user_id in guild.members:
            self._check_hierarchy(guild, user_id)
            del guild.members[user_id]
            self.gateway.dispatch(
                "GUILD_MEMBER_REMOVE",
                {"guild_id": guild.id, "user": json_copy(self.world.user(user_id))},
            )
        self._audit(guild, "member_ban_add", user_id, req.reason, {})
        self.world.bans.setdefault(guild.id, {})[user_id] = req.reason
        self.gateway.dispatch(
            "GUILD_BAN_ADD", {"guild_id": guild.id, "user": json_copy(self.world.user(user_id))}
        )
        return 204, None

    def _ban(self, guild_id: str, user_id: str) -> Json:
        bans = self.world.bans.get(guild_id, {})
        if user_id not in bans:
            raise not_found(10026, "Ban")
        return {"reason": bans[user_id], "user": json_copy(self.world.user(user_id))}

    async def get_ban(self, req: Req) -> tuple[int, Any]:
        guild = self.world.guild(req.params[0])
        self._require(guild, 1 << 2)
        return 200, self._ban(guild.id, req.params[1])

    async def list_bans(self, req: Req) -> tuple[int, Any]:
        guild = self.world.guild(req.params[0])
        self._require(guild, 1 << 2)
        return 200, [self._ban(guild.id, u) for u in self.world.bans.get(guild.id, {})]

    async def unban_member(self, req: Req) -> tuple[int, Any]:
        guild = self.world.guild(req.params[0])
        self._require(guild, 1 << 2)
        self._ban(guild.id, req.params[1])
        del self.world.bans[guild.id][req.params[1]]
        self._audit(guild, "member_ban_remove", req.params[1], req.reason, {})
        self.gateway.dispatch(
            "GUILD_BAN_REMOVE",
            {"guild_id": guild.id, "user": json_copy(self.world.user(req.params[1]))},
        )
        return 204, None
