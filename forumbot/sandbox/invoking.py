"""Creating interactions as members: slash commands, autocomplete, buttons, modals, context
menus."""

from __future__ import annotations

import secrets
from typing import Any

from . import commands as cmdbuild
from .base import SandboxBase
from .errors import MISSING_PERMISSIONS, ApiError
from .interactions import (
    APPLICATION_COMMAND,
    AUTOCOMPLETE,
    COMPONENT,
    MODAL,
    MODAL_SUBMIT,
    InteractionHandle,
)
from .jsoncopy import json_copy
from .records import InteractionRecord
from .state import MessageRef, UserRef, _id
from .world import (
    ADMINISTRATOR,
    ALL_PERMISSIONS,
    EVERYONE_PERMISSIONS,
    VIEW_CHANNEL,
    Json,
)


class InteractionActions(SandboxBase):
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
        channel_payload = json_copy(channel)
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
            payload["user"] = json_copy(self.world.user(uid))
            payload["app_permissions"] = str(EVERYONE_PERMISSIONS)
        if message is not None:
            payload["message"] = json_copy(message)
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
        if self.endpoint.url is not None:
            self.endpoint.deliver(record)
        else:
            self.gateway.dispatch("INTERACTION_CREATE", json_copy(payload))
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
        data = self._slash_data(user, channel_id, name, subcommand, options or {}, None)
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
        data = self._slash_data(user, channel_id, name, subcommand, options, focused)
        return self._interaction(AUTOCOMPLETE, user, channel_id, data)

    def _slash_data(
        self,
        user: UserRef,
        channel_id: str,
        name: str,
        subcommand: tuple[str, ...] | list[str] | str | None,
        options: dict[str, Any],
        focused: str | None,
    ) -> Json:
        """The data of a slash command (or its autocomplete) the member may see and use."""
        guild_id = self._guild_of_channel(channel_id)
        path = name.split()
        if isinstance(subcommand, str):
            path += subcommand.split()
        elif subcommand:
            path += list(subcommand)
        cmd = self._command(guild_id, path[0], 1)
        self._check_command_visible(cmd, user, channel_id)
        return cmdbuild.build_command_data(self, cmd, path[1:], options, guild_id, focused=focused)

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
        resolved: Json = {"users": {tid: json_copy(self.world.user(tid))}}
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
