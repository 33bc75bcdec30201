"""REST routes: gateway discovery, the bot user and application, application commands."""

from __future__ import annotations

from typing import Any

from forumbot.sandbox import limits
from forumbot.sandbox.errors import UNKNOWN_APPLICATION_COMMAND, ApiError, FormErrors, not_found
from forumbot.sandbox.jsoncopy import json_copy
from forumbot.sandbox.world import Json

from .base import Req, RouteBase


class AppRoutes(RouteBase):
    async def get_gateway(self, req: Req) -> tuple[int, Any]:
        return 200, {"url": self.sb.gateway_url}

    async def get_gateway_bot(self, req: Req) -> tuple[int, Any]:
        return 200, {
            "url": self.sb.gateway_url,
            "shards": self.sb.recommended_shards,
            "session_start_limit": {
                "total": self.sb.session_start_total,
                "remaining": self.sb.session_starts_remaining,
                "reset_after": 24 * 3600 * 1000,
                "max_concurrency": self.sb.max_concurrency,
            },
        }

    async def get_me(self, req: Req) -> tuple[int, Any]:
        user = self.world.user(self.bot_id)
        return 200, {**user, "verified": True, "mfa_enabled": False, "locale": "en-US"}

    async def get_application(self, req: Req) -> tuple[int, Any]:
        owner = self.world.user(self.sb.owner_user_id) if self.sb.owner_user_id else None
        return 200, {
            "id": self.sb.application_id,
            "name": self.world.user(self.bot_id)["username"],
            "icon": None,
            "description": "A local Discord-compatible sandbox application",
            "rpc_origins": [],
            "bot_public": True,
            "bot_require_code_grant": False,
            "terms_of_service_url": None,
            "privacy_policy_url": None,
            "owner": owner,
            "verify_key": self.endpoint.verify_key,
            "team": None,
            "flags": self.sb.application_flags,
            "interactions_endpoint_url": self.endpoint.url,
            "tags": [],
            "bot": self.world.user(self.bot_id),
            "approximate_guild_count": len(self.world.guilds),
        }

    async def edit_application(self, req: Req) -> tuple[int, Any]:
        """PATCH /applications/@me: only `interactions_endpoint_url` takes effect (validated as
        Discord does: 400/50035 when the endpoint does not verify); other fields are ignored."""
        body = req.json()
        if "interactions_endpoint_url" in body:
            url = body["interactions_endpoint_url"] or None
            if url is not None and not isinstance(url, str):
                url = str(url)
            try:
                await self.endpoint.set_url(url)
            except ValueError:
                errs = FormErrors()
                errs.add(
                    "interactions_endpoint_url",
                    "APPLICATION_INTERACTIONS_ENDPOINT_URL_INVALID",
                    "The specified interactions endpoint url could not be verified.",
                )
                errs.raise_if_any()
        return await self.get_application(req)

    async def get_user(self, req: Req) -> tuple[int, Any]:
        return 200, self.world.user(req.params[0])

    async def create_dm(self, req: Req) -> tuple[int, Any]:
        recipient = str(req.json().get("recipient_id"))
        self.world.user(recipient)
        return 200, self.world.dm_channel(recipient)

    def _scope(self, req: Req) -> tuple[str | None, list[Json]]:
        if req.params[0] != self.sb.application_id:
            raise ApiError(403, 50001, "Missing Access", violation=True)
        guild_id = req.params[1] if len(req.params) > 1 and "/guilds/" in req.raw.path else None
        if guild_id is not None:
            self.world.guild(guild_id)
        return guild_id, self.sb.commands.setdefault(guild_id, [])

    def _stored_command(self, cmd: Json, guild_id: str | None, existing: list[Json]) -> Json:
        kind = int(cmd.get("type", 1))
        prior = next((c for c in existing if c["name"] == cmd["name"] and c["type"] == kind), None)
        stored: Json = {
            "id": prior["id"] if prior else self.world.ids.next(),
            "application_id": self.sb.application_id,
            "version": self.world.ids.next(),
            "type": kind,
            "name": cmd["name"],
            "name_localizations": cmd.get("name_localizations"),
            "description": cmd.get("description") or "",
            "description_localizations": cmd.get("description_localizations"),
            "options": json_copy(cmd.get("options") or []),
            "default_member_permissions": cmd.get("default_member_permissions"),
            "dm_permission": cmd.get("dm_permission", True),
            "nsfw": bool(cmd.get("nsfw", False)),
            "contexts": cmd.get("contexts"),
            "integration_types": cmd.get("integration_types") or [0],
        }
        if guild_id is not None:
            stored["guild_id"] = guild_id
        return stored

    async def list_commands(self, req: Req) -> tuple[int, Any]:
        _, commands = self._scope(req)
        return 200, commands

    async def put_commands(self, req: Req) -> tuple[int, Any]:
        guild_id, existing = self._scope(req)
        body = req.body if isinstance(req.body, list) else None
        errs = FormErrors()
        limits.check_command_list(errs, body)
        errs.raise_if_any()
        assert body is not None
        stored = [self._stored_command(c, guild_id, existing) for c in body]
        self.sb.commands[guild_id] = stored
        return 200, stored

    async def upsert_command(self, req: Req) -> tuple[int, Any]:
        guild_id, existing = self._scope(req)
        cmd = req.json()
        errs = FormErrors()
        limits.check_command(errs, cmd, "_")
        errs.raise_if_any()
        stored = self._stored_command(cmd, guild_id, existing)
        commands = [c for c in existing if c["id"] != stored["id"]] + [stored]
        errs = FormErrors()
        limits.check_command_list(errs, commands)
        errs.raise_if_any()
        self.sb.commands[guild_id] = commands
        return 201, stored

    def _find_command(self, req: Req) -> tuple[str | None, list[Json], Json]:
        guild_id, commands = self._scope(req)
        cid = req.params[-1]
        for cmd in commands:
            if cmd["id"] == cid:
                return guild_id, commands, cmd
        raise not_found(UNKNOWN_APPLICATION_COMMAND, "application command")

    async def get_command(self, req: Req) -> tuple[int, Any]:
        return 200, self._find_command(req)[2]

    async def edit_command(self, req: Req) -> tuple[int, Any]:
        guild_id, commands, cmd = self._find_command(req)
        merged = {**cmd, **req.json()}
        errs = FormErrors()
        limits.check_command(errs, merged, "_")
        errs.raise_if_any()
        cmd.update(self._stored_command(merged, guild_id, commands))
        return 200, cmd

    async def delete_command(self, req: Req) -> tuple[int, Any]:
        _, commands, cmd = self._find_command(req)
        commands.remove(cmd)
        return 204, None
