"""What every REST route group shares: the request, permission checks, message bodies,
event dispatch."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from aiohttp import web

from forumbot.sandbox import limits
from forumbot.sandbox.errors import (
    CANNOT_SEND_IN_NON_TEXT,
    CANNOT_SEND_TO_USER,
    EMPTY_MESSAGE,
    INVALID_JSON,
    MISSING_PERMISSIONS,
    THREAD_ARCHIVED,
    THREAD_LOCKED,
    ApiError,
    FormErrors,
)
from forumbot.sandbox.interactions import EPHEMERAL
from forumbot.sandbox.jsoncopy import json_copy
from forumbot.sandbox.snowflake import iso
from forumbot.sandbox.world import (
    DM,
    FORUM,
    MANAGE_THREADS,
    SEND_MESSAGES,
    SEND_MESSAGES_IN_THREADS,
    TEXT,
    THREAD_TYPES,
    VIEW_CHANNEL,
    Guild,
    Json,
    emoji_payload,
)

if TYPE_CHECKING:
    from forumbot.sandbox.endpoint import InteractionsEndpoint
    from forumbot.sandbox.gateway import Gateway
    from forumbot.sandbox.state import SandboxState
    from forumbot.sandbox.world import World


@dataclass
class Req:
    method: str
    params: tuple[str, ...]
    body: Any
    query: dict[str, str]
    reason: str | None
    files: list[Json]
    raw: web.Request

    def json(self) -> Json:
        if self.body is None:
            return {}
        if not isinstance(self.body, dict):
            raise ApiError(400, INVALID_JSON, "The request body contains invalid JSON.")
        return self.body


class RouteBase:
    """Helpers for the route groups; RestApi combines the groups with the router. The routes
    read and change the sandbox's state (`sb`), dispatch events through the gateway and manage
    the interactions endpoint setting."""

    sb: SandboxState
    world: World
    gateway: Gateway
    endpoint: InteractionsEndpoint
    _nonces: dict[tuple[str, str, str], tuple[str, float]]
    _old_edits: dict[str, list[float]]

    @property
    def bot_id(self) -> str:
        return self.world.bot_user_id

    def _bot_permissions(self, guild: Guild) -> int:
        return self.world.permissions(guild, self.bot_id)

    def _require(self, guild: Guild, bit: int) -> None:
        if not self._bot_permissions(guild) & bit:
            raise ApiError(403, MISSING_PERMISSIONS, "Missing Permissions", violation=False)

    def _dispatch_message(self, event: str, message: Json) -> None:
        self.gateway.dispatch(event, self.world.event_message(message))

    def _dispatch_channel(self, event: str, channel: Json) -> None:
        self.gateway.dispatch(event, json_copy(channel))

    def _attachments(self, body: Json, files: list[Json]) -> list[Json]:
        total = sum(len(f["data"]) for f in files)
        if total > self.sb.attachment_size_limit:
            raise ApiError(413, 40005, "Request entity too large")
        out: list[Json] = []
        described = {str(a.get("id")): a for a in body.get("attachments") or []}
        for index, f in enumerate(files):
            meta = described.get(str(index), {})
            out.append(
                self.sb.store_attachment(
                    f["filename"] or f"file{index}",
                    f["data"],
                    content_type=f.get("content_type"),
                    description=meta.get("description"),
                )
            )
        # Attachments kept on edit are listed by their existing ids.
        for a in body.get("attachments") or []:
            if str(a.get("id")) in self.sb.attachments:
                out.append(json_copy(self.sb.attachments[str(a["id"])]["payload"]))
        return out

    def _message_body(
        self, req: Req, *, editing: bool = False, allow_ephemeral: bool = False
    ) -> Json:
        return self._message_fields(
            req.json(), req.files, editing=editing, allow_ephemeral=allow_ephemeral
        )

    def _message_fields(
        self,
        body: Any,
        files: list[Json],
        *,
        editing: bool = False,
        allow_ephemeral: bool = False,
    ) -> Json:
        """A checked message body (from a request, or from an interaction response's data)."""
        if body is None:
            body = {}
        if not isinstance(body, dict):
            raise ApiError(400, INVALID_JSON, "The request body contains invalid JSON.")
        errs = FormErrors()
        limits.check_message(errs, body, allow_ephemeral=allow_ephemeral)
        errs.raise_if_any()
        if not editing and not files and not limits.is_nonempty(body):
            raise ApiError(400, EMPTY_MESSAGE, "Cannot send an empty message")
        if files or (editing and "attachments" in body):
            body = {**body, "attachments": self._attachments(body, files)}
        return body

    def _apply_edit(self, message: Json, body: Json) -> None:
        for key in ("content", "embeds", "components", "attachments"):
            if key in body:
                default: Any = "" if key == "content" else []
                message[key] = json_copy(body[key]) if body[key] is not None else default
        if "flags" in body and body["flags"] is not None:
            # Only SUPPRESS_EMBEDS is editable; keep ephemeral and the rest as they were.
            message["flags"] = (message["flags"] & ~4) | (int(body["flags"]) & 4)
        message["edited_timestamp"] = iso()
        if "content" in body or "allowed_mentions" in body:
            # Edits never ping again; only the mention fields follow the new content.
            self.world.apply_mentions(message, body.get("allowed_mentions"))

    def _delete(self, message: Json) -> None:
        ephemeral = bool(message["flags"] & EPHEMERAL)
        self.world.delete_message(message)
        if ephemeral:
            return
        channel = self.world.channels.get(message["channel_id"])
        payload: Json = {"id": message["id"], "channel_id": message["channel_id"]}
        if channel and channel.get("guild_id"):
            payload["guild_id"] = channel["guild_id"]
        self.gateway.dispatch("MESSAGE_DELETE", payload)

    def _check_can_post(self, channel: Json, author_id: str) -> None:
        if channel["type"] not in (TEXT, DM, 5) and channel["type"] not in THREAD_TYPES:
            raise ApiError(
                400, CANNOT_SEND_IN_NON_TEXT, "Cannot send messages in a non-text channel"
            )
        if channel["type"] == DM:
            recipient = channel["recipients"][0]["id"]
            if recipient in self.world.closed_dms:
                raise ApiError(
                    403, CANNOT_SEND_TO_USER, "Cannot send messages to this user", violation=False
                )
            return
        guild = self.world.guild_of(channel)
        perms = self.world.channel_permissions(channel, author_id)
        send = SEND_MESSAGES_IN_THREADS if channel["type"] in THREAD_TYPES else SEND_MESSAGES
        if not perms & VIEW_CHANNEL:
            raise ApiError(403, 50001, "Missing Access", violation=False)
        if not perms & send:
            raise ApiError(403, MISSING_PERMISSIONS, "Missing Permissions", violation=False)
        if channel["type"] in THREAD_TYPES:
            meta = channel["thread_metadata"]
            can_manage = guild is not None and bool(
                self.world.permissions(guild, author_id) & MANAGE_THREADS
            )
            if meta["locked"] and not can_manage:
                raise ApiError(403, THREAD_LOCKED, "Thread is locked", violation=False)
            if meta["archived"]:
                if meta["locked"] and not can_manage:
                    raise ApiError(400, THREAD_ARCHIVED, "Thread is archived", violation=False)
                # Posting in an archived, unlocked thread unarchives it.
                meta["archived"] = False
                meta["archive_timestamp"] = iso()
                self._dispatch_channel("THREAD_UPDATE", channel)

    def _tag(self, tag: Json) -> Json:
        return {
            "id": str(tag.get("id") or self.world.ids.next()),
            "name": tag["name"],
            "moderated": bool(tag.get("moderated", False)),
            "emoji_id": tag.get("emoji_id"),
            "emoji_name": tag.get("emoji_name"),
        }

    def _check_tags(self, errs: FormErrors, forum: Json, tags: Any) -> None:
        if tags is None or forum["type"] != FORUM:
            return
        known = {t["id"] for t in forum.get("available_tags", [])}
        for i, tag in enumerate(tags):
            if str(tag) not in known:
                errs.add(f"applied_tags.{i}", "UNKNOWN_TAG", f"Unknown tag {tag}")

    def reaction_event(self, event: str, message: Json, user_id: str, emoji: str) -> None:
        channel = self.world.channel(message["channel_id"])
        payload: Json = {
            "user_id": user_id,
            "channel_id": message["channel_id"],
            "message_id": message["id"],
            "emoji": emoji_payload(emoji),
            "burst": False,
            "type": 0,
        }
        guild = self.world.guild_of(channel)
        if guild is not None:
            payload["guild_id"] = guild.id
            if event == "MESSAGE_REACTION_ADD" and user_id in guild.members:
                payload["member"] = self.world.member_payload(guild, user_id)
                payload["message_author_id"] = message["author"]["id"]
        self.gateway.dispatch(event, payload)


def _parse_time(value: str) -> dt.datetime:
    moment = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment
