"""REST v10: one catch-all aiohttp handler, a small regex router, recording, fault injection and
rate-limit buckets. The route handlers live in the routes package."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import unquote

from aiohttp import web
from aiohttp.web_request import FileField

from . import limits
from .endpoint import InteractionsEndpoint
from .errors import (
    INVALID_JSON,
    ApiError,
    FormErrors,
)
from .gateway import Gateway
from .records import RecordedRequest, Violation
from .routes.app import AppRoutes
from .routes.base import Req
from .routes.channels import ChannelRoutes
from .routes.guilds import GuildRoutes
from .routes.interactions import InteractionRoutes
from .state import API_PREFIX, SandboxState
from .world import Json

Handler = Callable[[Req], Awaitable[tuple[int, Any]]]


def _response(status: int, body: Any, headers: dict[str, str] | None = None) -> web.Response:
    if status == 204:
        return web.Response(status=204, headers=headers)
    # Exactly "application/json": discord.py checks the header verbatim.
    hdrs = {"Content-Type": "application/json", **(headers or {})}
    return web.Response(status=status, body=json.dumps(body).encode(), headers=hdrs)


class RestApi(AppRoutes, InteractionRoutes, ChannelRoutes, GuildRoutes):
    def __init__(
        self, sandbox: SandboxState, gateway: Gateway, endpoint: InteractionsEndpoint
    ) -> None:
        self.sb = sandbox
        self.world = sandbox.world
        self.gateway = gateway
        self.endpoint = endpoint
        self._routes: list[tuple[str, re.Pattern[str], Handler, bool]] = []
        # Indexes into _routes by the route's first path segment, so a request tries only a few
        # regexes (tests may replace entries of _routes in place to wrap a handler).
        self._by_segment: dict[str, list[int]] = {}
        self._nonces: dict[tuple[str, str, str], tuple[str, float]] = {}
        self._old_edits: dict[str, list[float]] = {}  # channel -> times of old-message edits
        self._register()

    # ---- routing ----------------------------------------------------------------------------
    def route(self, method: str, pattern: str, handler: Handler, *, auth: bool = True) -> None:
        regex = re.compile("^" + re.sub(r"\{(\w+)\}", r"([^/]+)", pattern) + "$")
        first = pattern.split("/")[1]
        assert not first.startswith("{"), "routes start with a literal segment"
        self._by_segment.setdefault(first, []).append(len(self._routes))
        self._routes.append((method, regex, handler, auth))

    def _register(self) -> None:
        r = self.route
        r("GET", "/gateway", self.get_gateway, auth=False)
        r("GET", "/gateway/bot", self.get_gateway_bot)
        r("GET", "/users/@me", self.get_me)
        r("GET", "/oauth2/applications/@me", self.get_application)
        r("GET", "/applications/@me", self.get_application)
        r("PATCH", "/applications/@me", self.edit_application)
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
        r("GET", "/guilds/{g}/bans/{u}", self.get_ban)
        r("DELETE", "/guilds/{g}/bans/{u}", self.unban_member)
        r("GET", "/guilds/{g}/bans", self.list_bans)

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
            return self._finish(rec, _response(exc.status, exc.body()), record_body=True)
        # The answer is serialized here, at once: handlers may return live sandbox state
        # (messages, channels) without copying it.
        return self._finish(rec, _response(status, payload, rl_headers or None), record_body=True)

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

    def _finish(
        self, rec: RecordedRequest, resp: web.Response, *, record_body: bool = False
    ) -> web.Response:
        rec.status = resp.status
        if record_body and isinstance(resp.body, bytes):
            rec.response_body = resp.body
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
        segments = path.split("/", 2)
        candidates = self._by_segment.get(segments[1], ()) if len(segments) > 1 else ()
        for index in candidates:
            m, regex, handler, auth = self._routes[index]
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


class _BadJson:
    """Marker for a body that is not valid JSON."""
