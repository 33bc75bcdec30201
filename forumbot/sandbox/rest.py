"""REST v10: one catch-all aiohttp handler, a small regex router, recording and fault injection."""

from __future__ import annotations

import copy
import datetime as dt
import json
import re
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

from aiohttp import web
from aiohttp.web_request import FileField

from . import limits
from .errors import (
    CANNOT_EDIT_OTHERS_MESSAGE,
    CANNOT_SEND_IN_NON_TEXT,
    CANNOT_SEND_TO_USER,
    EMPTY_MESSAGE,
    INTERACTION_ALREADY_ACKNOWLEDGED,
    INVALID_JSON,
    INVALID_WEBHOOK_TOKEN,
    MISSING_PERMISSIONS,
    TAG_REQUIRED,
    THREAD_ARCHIVED,
    THREAD_LOCKED,
    UNKNOWN_APPLICATION_COMMAND,
    UNKNOWN_INTERACTION,
    UNKNOWN_MESSAGE,
    UNKNOWN_ROLE,
    UNKNOWN_WEBHOOK,
    WRONG_CHANNEL_TYPE,
    ApiError,
    FormErrors,
    not_found,
)
from .interactions import (
    ALLOWED_CALLBACKS,
    AUTOCOMPLETE_RESULT,
    CHANNEL_MESSAGE,
    DEFERRED_MESSAGE,
    DEFERRED_UPDATE,
    EPHEMERAL,
    LOADING,
    MODAL,
    UPDATE_MESSAGE,
    InteractionRecord,
)
from .snowflake import iso
from .world import (
    DM,
    FORUM,
    MANAGE_CHANNELS_BIT,
    MANAGE_MESSAGES,
    MANAGE_THREADS,
    MODERATE_MEMBERS,
    PUBLIC_THREAD,
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
    from .server import Sandbox

API_PREFIX = "/api/v10"


@dataclass
class RecordedRequest:
    """One REST call the client made, with what the sandbox answered."""

    method: str
    path: str
    query: dict[str, str]
    json: Any
    reason: str | None
    headers: dict[str, str]
    time: float
    status: int = 0
    response: Any = None
    error_code: int | None = None
    files: list[Json] = field(default_factory=list)

    def __repr__(self) -> str:
        extra = f" code={self.error_code}" if self.error_code else ""
        return f"<{self.method} {self.path} -> {self.status}{extra}>"


@dataclass
class Violation:
    """A request Discord would have rejected because the client broke a rule."""

    method: str
    path: str
    status: int
    code: int
    message: str
    errors: Json | None
    body: Any

    def __str__(self) -> str:
        details = "; ".join(FormErrors(self.errors or {}).messages())
        return (
            f"{self.method} {self.path}: {self.status}/{self.code} {self.message} {details}".strip()
        )


@dataclass
class Injection:
    pattern: re.Pattern[str]
    method: str | None
    status: int
    retry_after: float
    times: int
    hits: int = 0
    is_global: bool = False


@dataclass
class RateLimit:
    """A Discord-like per-route bucket: `limit` requests per `per` seconds for each major
    parameter (the channel, guild or webhook id in the path)."""

    pattern: re.Pattern[str]
    method: str | None
    limit: int
    per: float
    name: str
    hits: dict[str, deque[float]] = field(default_factory=dict)

    def check(self, method: str, path: str) -> tuple[bool, dict[str, str], float]:
        """(allowed, headers, retry_after) for one request, counting it when allowed."""
        if self.method is not None and self.method != method:
            return True, {}, 0.0
        found = self.pattern.search(path)
        if not found:
            return True, {}, 0.0
        major = found.group(1) if found.groups() else ""
        now = time.monotonic()
        window = self.hits.setdefault(major, deque())
        while window and now - window[0] >= self.per:
            window.popleft()
        if len(window) >= self.limit:
            retry = self.per - (now - window[0])
            return False, {}, max(retry, 0.001)
        window.append(now)
        reset_after = self.per - (now - window[0])
        headers = {
            "X-RateLimit-Limit": str(self.limit),
            "X-RateLimit-Remaining": str(self.limit - len(window)),
            "X-RateLimit-Reset": f"{time.time() + reset_after:.3f}",
            "X-RateLimit-Reset-After": f"{reset_after:.3f}",
            "X-RateLimit-Bucket": self.name,
        }
        return True, headers, 0.0


# Discord's commonly observed buckets (a bot must survive these without losing work).
DEFAULT_RATE_LIMITS: tuple[tuple[str, str | None, int, float], ...] = (
    (r"^/channels/(\d+)/messages$", "POST", 5, 5.0),
    (r"^/channels/(\d+)/threads$", "POST", 5, 5.0),
    (r"^/channels/(\d+)$", "PATCH", 5, 5.0),
    (r"^/channels/(\d+)/messages/\d+$", "PATCH", 5, 5.0),
    (r"^/guilds/(\d+)/members/\d+$", "PATCH", 10, 10.0),
)


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


Handler = Callable[[Req], Awaitable[tuple[int, Any]]]


def _response(status: int, body: Any, headers: dict[str, str] | None = None) -> web.Response:
    if status == 204:
        return web.Response(status=204, headers=headers)
    # Exactly "application/json": discord.py checks the header verbatim.
    hdrs = {"Content-Type": "application/json", **(headers or {})}
    return web.Response(status=status, body=json.dumps(body).encode(), headers=hdrs)


class RestApi:
    def __init__(self, sandbox: Sandbox) -> None:
        self.sb = sandbox
        self.world = sandbox.world
        self._routes: list[tuple[str, re.Pattern[str], Handler, bool]] = []
        self._nonces: dict[tuple[str, str, str], tuple[str, float]] = {}
        self._register()

    # ---- routing ----------------------------------------------------------------------------
    def route(self, method: str, pattern: str, handler: Handler, *, auth: bool = True) -> None:
        regex = re.compile("^" + re.sub(r"\{(\w+)\}", r"([^/]+)", pattern) + "$")
        self._routes.append((method, regex, handler, auth))

    def _register(self) -> None:
        r = self.route
        r("GET", "/gateway", self.get_gateway, auth=False)
        r("GET", "/gateway/bot", self.get_gateway_bot)
        r("GET", "/users/@me", self.get_me)
        r("GET", "/oauth2/applications/@me", self.get_application)
        r("GET", "/applications/@me", self.get_application)
        r("POST", "/users/@me/channels", self.create_dm)
        r("GET", "/users/{u}", self.get_user)
        for scope in ("/applications/{app}", "/applications/{app}/guilds/{g}"):
            r("GET", scope + "/commands", self.list_commands)
            r("PUT", scope + "/commands", self.put_commands)
            r("POST", scope + "/commands", self.upsert_command)
            r("GET", scope + "/commands/{cid}", self.get_command)
            r("PATCH", scope + "/commands/{cid}", self.edit_command)
            r("DELETE", scope + "/commands/{cid}", self.delete_command)
        r("POST", "/interactions/{iid}/{token}/callback", self.interaction_callback, auth=False)
        r("POST", "/webhooks/{app}/{token}", self.create_followup, auth=False)
        r("GET", "/webhooks/{app}/{token}/messages/{mid}", self.get_webhook_message, auth=False)
        r("PATCH", "/webhooks/{app}/{token}/messages/{mid}", self.edit_webhook_message, auth=False)
        r(
            "DELETE",
            "/webhooks/{app}/{token}/messages/{mid}",
            self.delete_webhook_message,
            auth=False,
        )
        r("GET", "/channels/{c}", self.get_channel)
        r("PATCH", "/channels/{c}", self.edit_channel)
        r("DELETE", "/channels/{c}", self.delete_channel)
        r("GET", "/channels/{c}/messages", self.list_messages)
        r("POST", "/channels/{c}/messages", self.create_message)
        r("GET", "/channels/{c}/messages/pins", self.list_pins_v2)
        r("PUT", "/channels/{c}/messages/pins/{m}", self.pin)
        r("DELETE", "/channels/{c}/messages/pins/{m}", self.unpin)
        r("GET", "/channels/{c}/pins", self.list_pins)
        r("PUT", "/channels/{c}/pins/{m}", self.pin)
        r("DELETE", "/channels/{c}/pins/{m}", self.unpin)
        r("POST", "/channels/{c}/messages/bulk-delete", self.bulk_delete)
        r("GET", "/channels/{c}/messages/{m}", self.get_message)
        r("PATCH", "/channels/{c}/messages/{m}", self.edit_message)
        r("DELETE", "/channels/{c}/messages/{m}", self.delete_message)
        r("POST", "/channels/{c}/messages/{m}/threads", self.thread_from_message)
        r("PUT", "/channels/{c}/messages/{m}/reactions/{e}/@me", self.add_reaction)
        r("DELETE", "/channels/{c}/messages/{m}/reactions/{e}/@me", self.remove_own_reaction)
        r("DELETE", "/channels/{c}/messages/{m}/reactions/{e}/{u}", self.remove_reaction)
        r("GET", "/channels/{c}/messages/{m}/reactions/{e}", self.reaction_users)
        r("POST", "/channels/{c}/threads", self.create_thread)
        r("GET", "/channels/{c}/threads/archived/public", self.archived_threads)
        r("PUT", "/channels/{c}/thread-members/{u}", self.no_content)
        r("DELETE", "/channels/{c}/thread-members/{u}", self.no_content)
        r("POST", "/channels/{c}/typing", self.no_content)
        r("GET", "/guilds/{g}", self.get_guild)
        r("GET", "/guilds/{g}/channels", self.guild_channels)
        r("POST", "/guilds/{g}/channels", self.create_guild_channel)
        r("GET", "/guilds/{g}/roles", self.guild_roles)
        r("GET", "/guilds/{g}/threads/active", self.active_threads)
        r("GET", "/guilds/{g}/members", self.list_members)
        r("GET", "/guilds/{g}/members/search", self.search_members)
        r("GET", "/guilds/{g}/members/{u}", self.get_member)
        r("PATCH", "/guilds/{g}/members/{u}", self.edit_member)
        r("DELETE", "/guilds/{g}/members/{u}", self.kick_member)
        r("PUT", "/guilds/{g}/members/{u}/roles/{r}", self.add_role)
        r("DELETE", "/guilds/{g}/members/{u}/roles/{r}", self.remove_role)
        r("PUT", "/guilds/{g}/bans/{u}", self.ban_member)

    # ---- the aiohttp entry point ------------------------------------------------------------
    async def handle(self, request: web.Request) -> web.StreamResponse:
        path = request.path[len(API_PREFIX) :] or "/"
        query = dict(request.query)
        body, files = await self._read_body(request)
        reason_header = request.headers.get("X-Audit-Log-Reason")
        reason = unquote(reason_header) if reason_header is not None else None
        headers = {
            k: v
            for k, v in request.headers.items()
            if k.lower() in ("content-type", "x-audit-log-reason", "user-agent")
        }
        rec = RecordedRequest(
            method=request.method,
            path=path,
            query=query,
            json=body if not isinstance(body, _BadJson) else None,
            reason=reason,
            headers=headers,
            time=time.time(),
            files=files,
        )
        self.sb.requests.append(rec)
        try:
            injected = self._injected(request.method, path)
            if injected is not None:
                return self._finish(rec, injected)
            handler, params, auth = self._match(request.method, path)
            limited, rl_headers = self._rate_limited(request.method, path)
            if limited is not None:
                return self._finish(rec, limited)
            if auth and request.headers.get("Authorization") != f"Bot {self.sb.token}":
                raise ApiError(401, 0, "401: Unauthorized", violation=False)
            if isinstance(body, _BadJson):
                raise ApiError(400, INVALID_JSON, "The request body contains invalid JSON.")
            if reason is not None and len(reason) > limits.MAX_REASON:
                errs = FormErrors()
                errs.too_long("reason", limits.MAX_REASON)
                errs.raise_if_any()
            req = Req(request.method, params, body, query, reason, files, request)
            status, payload = await handler(req)
        except ApiError as exc:
            rec.error_code = exc.code
            if exc.violation:
                self.sb.violations.append(
                    Violation(
                        rec.method, path, exc.status, exc.code, exc.message, exc.errors, rec.json
                    )
                )
            return self._finish(rec, _response(exc.status, exc.body()), exc.body())
        return self._finish(rec, _response(status, payload, rl_headers or None), payload)

    def _rate_limited(self, method: str, path: str) -> tuple[web.Response | None, dict[str, str]]:
        headers: dict[str, str] = {}
        for rule in self.sb.rate_limits:
            allowed, rule_headers, retry_after = rule.check(method, path)
            if not allowed:
                body = {
                    "message": "You are being rate limited.",
                    "retry_after": retry_after,
                    "global": False,
                }
                hdrs = {
                    "Via": "1.1 google",
                    "Retry-After": str(max(1, round(retry_after))),
                    "X-RateLimit-Scope": "user",
                    "X-RateLimit-Bucket": rule.name,
                    "X-RateLimit-Limit": str(rule.limit),
                    "X-RateLimit-Remaining": "0",
                    "X-RateLimit-Reset-After": f"{retry_after:.3f}",
                }
                self.sb.rate_limited.append((method, path, retry_after))
                return _response(429, body, hdrs), {}
            headers.update(rule_headers)
        return None, headers

    def _finish(self, rec: RecordedRequest, resp: web.Response, body: Any = None) -> web.Response:
        rec.status = resp.status
        rec.response = body
        self.sb._pulse()
        return resp

    async def _read_body(self, request: web.Request) -> tuple[Any, list[Json]]:
        if not request.can_read_body:
            return None, []
        ctype = request.content_type
        if ctype.startswith("multipart/"):
            form = await request.post()
            body: Any = None
            files: list[Json] = []
            for name, value in form.items():
                if name == "payload_json":
                    body = json.loads(str(value))
                elif isinstance(value, FileField):
                    data = value.file.read()
                    files.append(
                        {
                            "field": name,
                            "filename": value.filename,
                            "content_type": value.content_type,
                            "data": data,
                        }
                    )
            return body, files
        raw = await request.read()
        if not raw:
            return None, []
        try:
            return json.loads(raw), []
        except ValueError:
            return _BadJson(), []

    def _match(self, method: str, path: str) -> tuple[Handler, tuple[str, ...], bool]:
        allowed = False
        for m, regex, handler, auth in self._routes:
            found = regex.match(path)
            if found:
                if m == method:
                    return handler, found.groups(), auth
                allowed = True
        if allowed:
            raise ApiError(405, 0, "405: Method Not Allowed", violation=True)
        raise ApiError(404, 0, "404: Not Found", violation=True)

    def _injected(self, method: str, path: str) -> web.Response | None:
        for inj in self.sb.injections:
            if inj.hits >= inj.times:
                continue
            if inj.method is not None and inj.method != method:
                continue
            if not inj.pattern.search(path):
                continue
            inj.hits += 1
            if inj.status == 429:
                body = {
                    "message": "You are being rate limited.",
                    "retry_after": inj.retry_after,
                    "global": inj.is_global,
                }
                headers = {
                    "Via": "1.1 google",
                    "Retry-After": str(max(1, round(inj.retry_after))),
                    "X-RateLimit-Scope": "global" if inj.is_global else "user",
                }
                return _response(429, body, headers)
            return _response(inj.status, {"message": f"{inj.status}: Sandbox fault", "code": 0})
        return None

    # ---- helpers ----------------------------------------------------------------------------
    @property
    def bot_id(self) -> str:
        return self.world.bot_user_id

    def _bot_permissions(self, guild: Guild) -> int:
        return self.world.permissions(guild, self.bot_id)

    def _require(self, guild: Guild, bit: int) -> None:
        if not self._bot_permissions(guild) & bit:
            raise ApiError(403, MISSING_PERMISSIONS, "Missing Permissions", violation=False)

    def _dispatch_message(self, event: str, message: Json) -> None:
        self.sb.gateway.dispatch(event, self.world.event_message(message))

    def _dispatch_channel(self, event: str, channel: Json) -> None:
        self.sb.gateway.dispatch(event, copy.deepcopy(channel))

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
                out.append(copy.deepcopy(self.sb.attachments[str(a["id"])]["payload"]))
        return out

    def _message_body(
        self, req: Req, *, editing: bool = False, allow_ephemeral: bool = False
    ) -> Json:
        body = req.json()
        errs = FormErrors()
        limits.check_message(errs, body, allow_ephemeral=allow_ephemeral)
        errs.raise_if_any()
        if not editing and not req.files and not limits.is_nonempty(body):
            raise ApiError(400, EMPTY_MESSAGE, "Cannot send an empty message")
        if req.files or (editing and "attachments" in body):
            body = {**body, "attachments": self._attachments(body, req.files)}
        return body

    def _apply_edit(self, message: Json, body: Json) -> None:
        for key in ("content", "embeds", "components", "attachments"):
            if key in body:
                default: Any = "" if key == "content" else []
                message[key] = copy.deepcopy(body[key]) if body[key] is not None else default
        if "flags" in body and body["flags"] is not None:
            # Only SUPPRESS_EMBEDS is editable; keep ephemeral and the rest as they were.
            message["flags"] = (message["flags"] & ~4) | (int(body["flags"]) & 4)
        message["edited_timestamp"] = iso()
        if "content" in body or "allowed_mentions" in body:
            # Edits never ping again; only the mention fields follow the new content.
            self.world.apply_mentions(message, body.get("allowed_mentions"))

    # ---- gateway, users, application --------------------------------------------------------
    async def get_gateway(self, req: Req) -> tuple[int, Any]:
        return 200, {"url": self.sb.gateway_url}

    async def get_gateway_bot(self, req: Req) -> tuple[int, Any]:
        return 200, {
            "url": self.sb.gateway_url,
            "shards": 1,
            "session_start_limit": {
                "total": 1000,
                "remaining": 999,
                "reset_after": 0,
                "max_concurrency": 1,
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
            "verify_key": "0" * 64,
            "team": None,
            "flags": self.sb.application_flags,
            "interactions_endpoint_url": None,
            "tags": [],
            "bot": self.world.user(self.bot_id),
            "approximate_guild_count": len(self.world.guilds),
        }

    async def get_user(self, req: Req) -> tuple[int, Any]:
        return 200, copy.deepcopy(self.world.user(req.params[0]))

    async def create_dm(self, req: Req) -> tuple[int, Any]:
        recipient = str(req.json().get("recipient_id"))
        self.world.user(recipient)
        return 200, copy.deepcopy(self.world.dm_channel(recipient))

    # ---- application commands ---------------------------------------------------------------
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
            "options": copy.deepcopy(cmd.get("options") or []),
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
        return 200, copy.deepcopy(commands)

    async def put_commands(self, req: Req) -> tuple[int, Any]:
        guild_id, existing = self._scope(req)
        body = req.body if isinstance(req.body, list) else None
        errs = FormErrors()
        limits.check_command_list(errs, body)
        errs.raise_if_any()
        assert body is not None
        stored = [self._stored_command(c, guild_id, existing) for c in body]
        self.sb.commands[guild_id] = stored
        return 200, copy.deepcopy(stored)

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
        return 201, copy.deepcopy(stored)

    def _find_command(self, req: Req) -> tuple[str | None, list[Json], Json]:
        guild_id, commands = self._scope(req)
        cid = req.params[-1]
        for cmd in commands:
            if cmd["id"] == cid:
                return guild_id, commands, cmd
        raise not_found(UNKNOWN_APPLICATION_COMMAND, "application command")

    async def get_command(self, req: Req) -> tuple[int, Any]:
        return 200, copy.deepcopy(self._find_command(req)[2])

    async def edit_command(self, req: Req) -> tuple[int, Any]:
        guild_id, commands, cmd = self._find_command(req)
        merged = {**cmd, **req.json()}
        errs = FormErrors()
        limits.check_command(errs, merged, "_")
        errs.raise_if_any()
        cmd.update(self._stored_command(merged, guild_id, commands))
        return 200, copy.deepcopy(cmd)

    async def delete_command(self, req: Req) -> tuple[int, Any]:
        _, commands, cmd = self._find_command(req)
        commands.remove(cmd)
        return 204, None

    # ---- interactions -----------------------------------------------------------------------
    def _interaction_by_token(self, token: str) -> InteractionRecord:
        record = self.sb.interactions_by_token.get(token)
        if record is None:
            raise ApiError(404, UNKNOWN_WEBHOOK, "Unknown Webhook", violation=True)
        if time.monotonic() - record.created > self.sb.followup_ttl:
            raise ApiError(401, INVALID_WEBHOOK_TOKEN, "Invalid Webhook Token", violation=True)
        return record

    def _response_message(
        self, record: InteractionRecord, body: Json, *, ephemeral: bool, kind: int, extra: Json
    ) -> Json:
        channel = self.world.channel(record.channel_id)
        flags = int(body.get("flags") or 0)
        if ephemeral:
            flags |= EPHEMERAL
        body = {**body, "flags": flags}
        metadata = {
            "id": record.id,
            "type": record.type,
            "user": copy.deepcopy(self.world.user(record.user_id)),
            "authorizing_integration_owners": {"0": record.guild_id} if record.guild_id else {},
        }
        message = self.world.create_message(
            channel,
            self.bot_id,
            body,
            kind=kind,
            ephemeral=ephemeral,
            extra={
                "webhook_id": self.sb.application_id,
                "application_id": self.sb.application_id,
                "interaction_metadata": metadata,
                **extra,
            },
        )
        if not ephemeral:
            self._dispatch_message("MESSAGE_CREATE", message)
        return message

    async def interaction_callback(self, req: Req) -> tuple[int, Any]:
        iid, token = req.params
        record = self.sb.interactions.get(iid)
        if record is None or record.token != token:
            raise ApiError(404, UNKNOWN_INTERACTION, "Unknown interaction")
        body = req.json()
        if record.response is not None:
            raise ApiError(
                400, INTERACTION_ALREADY_ACKNOWLEDGED, "Interaction has already been acknowledged."
            )
        if time.monotonic() - record.created > self.sb.interaction_deadline:
            raise ApiError(404, UNKNOWN_INTERACTION, "Unknown interaction")
        kind = body.get("type")
        data = body.get("data") or {}
        if kind not in ALLOWED_CALLBACKS.get(record.type, set()):
            errs = FormErrors()
            errs.add(
                "type", "INTERACTION_RESPONSE_TYPE_INVALID", "Invalid interaction response type"
            )
            errs.raise_if_any()
        message: Json | None = None
        ephemeral = False
        loading = False
        if kind == CHANNEL_MESSAGE:
            sub = Req(req.method, req.params, data, req.query, req.reason, req.files, req.raw)
            data = self._message_body(sub, allow_ephemeral=True)
            ephemeral = bool(int(data.get("flags") or 0) & EPHEMERAL)
            msg_kind = 20 if record.type == 2 and record.payload["data"].get("type", 1) == 1 else 0
            message = self._response_message(
                record, data, ephemeral=ephemeral, kind=msg_kind, extra={}
            )
            record.original_message_id = message["id"]
        elif kind == DEFERRED_MESSAGE:
            ephemeral = bool(int(data.get("flags") or 0) & EPHEMERAL)
            loading = True
            message = self._response_message(
                record, {"content": "", "flags": LOADING}, ephemeral=ephemeral, kind=20, extra={}
            )
            record.original_message_id = message["id"]
            record.deferred = True
        elif kind in (DEFERRED_UPDATE, UPDATE_MESSAGE):
            if record.source_message_id is None:
                errs = FormErrors()
                errs.add("type", "INTERACTION_RESPONSE_TYPE_INVALID", "No message to update")
                errs.raise_if_any()
            assert record.source_message_id is not None
            source = self.world.find_message(record.source_message_id)
            record.original_message_id = source["id"]
            ephemeral = bool(source["flags"] & EPHEMERAL)
            if kind == UPDATE_MESSAGE:
                sub = Req(req.method, req.params, data, req.query, req.reason, req.files, req.raw)
                data = self._message_body(sub, editing=True, allow_ephemeral=True)
                self._apply_edit(source, data)
                record.edits.append(copy.deepcopy(data))
                if not ephemeral:
                    self._dispatch_message("MESSAGE_UPDATE", source)
                message = source
        elif kind == AUTOCOMPLETE_RESULT:
            errs = FormErrors()
            limits.check_choices(errs, data.get("choices"))
            errs.raise_if_any()
            record.choices = copy.deepcopy(data.get("choices") or [])
        elif kind == MODAL:
            errs = FormErrors()
            limits.check_modal(errs, data)
            errs.raise_if_any()
            record.modal = copy.deepcopy(data)
        record.response = {"type": kind, "data": copy.deepcopy(data)}
        record.ephemeral = ephemeral
        if "with_response" not in req.query:
            return 204, None
        interaction: Json = {
            "id": record.id,
            "type": record.type,
            "response_message_loading": loading,
            "response_message_ephemeral": ephemeral,
        }
        resource: Json = {"type": kind}
        if message is not None:
            interaction["response_message_id"] = message["id"]
            resource["message"] = copy.deepcopy(message)
        return 200, {"interaction": interaction, "resource": resource}

    def _webhook_target(self, record: InteractionRecord, mid: str) -> Json:
        if mid == "@original":
            if record.original_message_id is None:
                raise not_found(UNKNOWN_MESSAGE, "Message")
            return self.world.find_message(record.original_message_id)
        if mid != record.original_message_id and mid not in record.followup_ids:
            raise not_found(UNKNOWN_MESSAGE, "Message")
        return self.world.find_message(mid)

    def _check_app(self, req: Req) -> None:
        if req.params[0] != self.sb.application_id:
            raise ApiError(404, UNKNOWN_WEBHOOK, "Unknown Webhook")

    async def create_followup(self, req: Req) -> tuple[int, Any]:
        self._check_app(req)
        record = self._interaction_by_token(req.params[1])
        if record.response is None:
            raise ApiError(404, UNKNOWN_WEBHOOK, "Unknown Webhook")
        body = self._message_body(req, allow_ephemeral=True)
        original = (
            self.world.messages.get(record.original_message_id)
            if record.original_message_id
            else None
        )
        if record.deferred and original is not None and original["flags"] & LOADING:
            # Documented: the first follow-up after a deferral edits the loading message, keeping
            # the deferral's ephemerality.
            self._edit_response(record, original, body)
            message = original
        else:
            ephemeral = bool(int(body.get("flags") or 0) & EPHEMERAL)
            message = self._response_message(record, body, ephemeral=ephemeral, kind=0, extra={})
            record.followup_ids.append(message["id"])
        if req.query.get("wait") in ("1", "true", "True"):
            return 200, copy.deepcopy(message)
        return 204, None

    def _edit_response(self, record: InteractionRecord, message: Json, body: Json) -> None:
        self._apply_edit(message, body)
        message["flags"] &= ~LOADING
        record.edits.append(copy.deepcopy(body))
        if not message["flags"] & EPHEMERAL:
            self._dispatch_message("MESSAGE_UPDATE", message)

    async def get_webhook_message(self, req: Req) -> tuple[int, Any]:
        self._check_app(req)
        record = self._interaction_by_token(req.params[1])
        return 200, copy.deepcopy(self._webhook_target(record, req.params[2]))

    async def edit_webhook_message(self, req: Req) -> tuple[int, Any]:
        self._check_app(req)
        record = self._interaction_by_token(req.params[1])
        message = self._webhook_target(record, req.params[2])
        body = self._message_body(req, editing=True, allow_ephemeral=True)
        self._edit_response(record, message, body)
        return 200, copy.deepcopy(message)

    async def delete_webhook_message(self, req: Req) -> tuple[int, Any]:
        self._check_app(req)
        record = self._interaction_by_token(req.params[1])
        message = self._webhook_target(record, req.params[2])
        self._delete(message)
        record.deleted_ids.append(message["id"])
        return 204, None

    def _delete(self, message: Json) -> None:
        ephemeral = bool(message["flags"] & EPHEMERAL)
        self.world.delete_message(message)
        if ephemeral:
            return
        channel = self.world.channels.get(message["channel_id"])
        payload: Json = {"id": message["id"], "channel_id": message["channel_id"]}
        if channel and channel.get("guild_id"):
            payload["guild_id"] = channel["guild_id"]
        self.sb.gateway.dispatch("MESSAGE_DELETE", payload)

    # ---- channels and messages --------------------------------------------------------------
    async def get_channel(self, req: Req) -> tuple[int, Any]:
        return 200, copy.deepcopy(self.world.channel(req.params[0]))

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
                    channel[key] = copy.deepcopy(body[key])
            self._dispatch_channel("THREAD_UPDATE", channel)
            return 200, copy.deepcopy(channel)
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
                channel[key] = copy.deepcopy(value)
        self._dispatch_channel("CHANNEL_UPDATE", channel)
        return 200, copy.deepcopy(channel)

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
        return 200, copy.deepcopy(channel)

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
        return 200, copy.deepcopy(list(reversed(picked)))

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
                    return 200, copy.deepcopy(existing)
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
                extra["referenced_message"] = copy.deepcopy(target)
        message = self.world.create_message(channel, self.bot_id, body, kind=kind, extra=extra)
        if nonce is not None and body.get("enforce_nonce"):
            self._nonces[(channel["id"], self.bot_id, str(nonce))] = (
                message["id"],
                time.monotonic(),
            )
        self._dispatch_message("MESSAGE_CREATE", message)
        return 200, copy.deepcopy(message)

    async def get_message(self, req: Req) -> tuple[int, Any]:
        return 200, copy.deepcopy(self.world.message(req.params[0], req.params[1]))

    async def edit_message(self, req: Req) -> tuple[int, Any]:
        message = self.world.message(req.params[0], req.params[1])
        body = self._message_body(req, editing=True)
        if message["author"]["id"] != self.bot_id and set(body) - {"flags"}:
            raise ApiError(
                403, CANNOT_EDIT_OTHERS_MESSAGE, "Cannot edit a message authored by another user"
            )
        self._apply_edit(message, body)
        self._dispatch_message("MESSAGE_UPDATE", message)
        return 200, copy.deepcopy(message)

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
        self.sb.gateway.dispatch(
            "MESSAGE_DELETE_BULK", {"ids": ids, "channel_id": channel["id"], "guild_id": guild.id}
        )
        return 204, None

    async def no_content(self, req: Req) -> tuple[int, Any]:
        self.world.channel(req.params[0])
        return 204, None

    # ---- reactions ----------------------------------------------------------------------------
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
        self.sb.gateway.dispatch(event, payload)

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
        return 200, [copy.deepcopy(self.world.user(u)) for u in users]

    # ---- pins -------------------------------------------------------------------------------
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
        return 200, [
            copy.deepcopy(self.world.messages[m]) for m, _ in pins if m in self.world.messages
        ]

    async def list_pins_v2(self, req: Req) -> tuple[int, Any]:
        self.world.channel(req.params[0])
        pins = self.world.pins.get(req.params[0], [])
        limit = int(req.query.get("limit", 50))
        before = req.query.get("before")
        items = [
            {"pinned_at": at, "message": copy.deepcopy(self.world.messages[m])}
            for m, at in pins
            if m in self.world.messages and (before is None or at < before)
        ]
        return 200, {"items": items[:limit], "has_more": len(items) > limit}

    # ---- threads ----------------------------------------------------------------------------
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
        thread_payload = {**copy.deepcopy(thread), "newly_created": True}
        self.sb.gateway.dispatch("THREAD_CREATE", thread_payload)
        result = copy.deepcopy(thread)
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
            result["message"] = copy.deepcopy(starter)
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
        message["thread"] = copy.deepcopy(thread)
        self.sb.gateway.dispatch("THREAD_CREATE", {**copy.deepcopy(thread), "newly_created": True})
        return 201, copy.deepcopy(thread)

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
            "threads": copy.deepcopy(threads[:limit]),
            "members": [],
            "has_more": len(threads) > limit,
        }

    # ---- guilds and members -----------------------------------------------------------------
    async def get_guild(self, req: Req) -> tuple[int, Any]:
        guild = self.world.guild(req.params[0])
        payload = self.world.guild_create_payload(guild)
        for key in ("members", "channels", "threads", "voice_states", "presences", "large"):
            payload.pop(key, None)
        payload["approximate_member_count"] = len(guild.members)
        return 200, payload

    async def guild_channels(self, req: Req) -> tuple[int, Any]:
        guild = self.world.guild(req.params[0])
        return 200, copy.deepcopy(self.world.guild_channels(guild))

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
            k: copy.deepcopy(v)
            for k, v in body.items()
            if k in ("topic", "nsfw", "rate_limit_per_user", "parent_id", "permission_overwrites")
        }
        channel = self.world.create_channel(guild, body["name"], kind, **extra)
        if kind == FORUM and body.get("available_tags"):
            channel["available_tags"] = [self._tag(t) for t in body["available_tags"]]
        self._dispatch_channel("CHANNEL_CREATE", channel)
        return 201, copy.deepcopy(channel)

    async def guild_roles(self, req: Req) -> tuple[int, Any]:
        guild = self.world.guild(req.params[0])
        return 200, copy.deepcopy(list(guild.roles.values()))

    async def active_threads(self, req: Req) -> tuple[int, Any]:
        guild = self.world.guild(req.params[0])
        threads = [t for t in self.world.threads_of(guild) if not t["thread_metadata"]["archived"]]
        return 200, {"threads": copy.deepcopy(threads), "members": []}

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
        self.sb.gateway.dispatch("GUILD_MEMBER_UPDATE", payload)

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
        self.sb.gateway.dispatch(
            "GUILD_MEMBER_REMOVE",
            {"guild_id": guild.id, "user": copy.deepcopy(self.world.user(req.params[1]))},
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
            self.sb.gateway.dispatch(
                "GUILD_MEMBER_REMOVE",
                {"guild_id": guild.id, "user": copy.deepcopy(self.world.user(user_id))},
            )
        self._audit(guild, "member_ban_add", user_id, req.reason, {})
        return 204, None


class _BadJson:
    """Marker for a body that is not valid JSON."""


def _parse_time(value: str) -> dt.datetime:
    moment = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment
