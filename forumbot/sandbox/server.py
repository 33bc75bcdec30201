"""The Sandbox: a local Discord-compatible server plus a harness to act as guild members.

Read from the bottom up: state.SandboxState (the in-memory Discord and the records), the
gateway, the REST API (rest, routes/) and the interactions endpoint built on it (base.SandboxBase),
then the harness mixins (building guilds, acting as members, invoking interactions); this module
adds the HTTP server, waiting and faults."""

from __future__ import annotations

import contextlib
import functools
import logging
import re
from collections.abc import AsyncIterator, Callable
from typing import Any

from aiohttp import web

from .acting import MemberActions
from .building import GuildBuilding
from .invoking import InteractionActions
from .oauth import OAuthRoutes
from .records import DEFAULT_RATE_LIMITS, Injection, RateLimit, RecordedRequest
from .state import API_PREFIX, DEFAULT_TOKEN, DemoGuild, MessageRef, SandboxFile, UserRef, _id
from .world import Json

log = logging.getLogger(__name__)


class Sandbox(GuildBuilding, MemberActions, InteractionActions):
    """See the package docstring (`forumbot.sandbox`) for the harness API."""

    @functools.cached_property
    def oauth(self) -> OAuthRoutes:
        """Discord's OAuth2 endpoints (the dashboard's sign-in)."""
        return OAuthRoutes(self, self.rest.handle)

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
        self.oauth.add_routes(app, API_PREFIX)  # before the catch-all REST route
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
        await self.endpoint.close()
        await self.gateway.close_all()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    # ---- waiting ----------------------------------------------------------------------------

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


__all__ = ["DEFAULT_TOKEN", "DemoGuild", "Sandbox", "SandboxFile", "UserRef"]
