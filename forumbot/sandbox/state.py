"""The sandbox's state, at the bottom of the package: the in-memory Discord (`world`), the
records, the tunables, waiting on state changes, and the types every part of the harness shares.
The gateway, the REST API and the interactions endpoint are handed this state (see base.py)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

from aiohttp import web

from .jsoncopy import json_copy
from .records import (
    Injection,
    InteractionRecord,
    RateLimit,
    RecordedRequest,
    Violation,
)
from .snowflake import SnowflakeFactory
from .world import (
    Guild,
    Json,
    World,
)

T = TypeVar("T")

UserRef = str | int | Json

MessageRef = str | int | Json

DEFAULT_TOKEN = "sandbox-bot-token"

API_PREFIX = "/api/v10"


@dataclass(frozen=True)
class SandboxFile:
    """An upload a member attaches (slash-command attachment option or message attachment)."""

    filename: str
    data: bytes
    content_type: str | None = None


@dataclass(frozen=True)
class DemoGuild:
    """Ids of the demo guild `Sandbox.create_demo_guild()` builds."""

    guild_id: str
    general_id: str
    forum_id: str
    modlog_id: str
    admin_role_id: str
    moderator_role_id: str
    bot_role_id: str
    admin_id: str
    moderator_id: str
    alice_id: str
    bob_id: str
    bot_id: str
    tag_ids: dict[str, str] = field(default_factory=dict)


def _id(ref: UserRef | MessageRef | Guild) -> str:
    if isinstance(ref, Guild):
        return ref.id
    if isinstance(ref, dict):
        return str(ref["id"])
    return str(ref)


class SandboxState:
    """State of one sandbox (see `Sandbox`): what the gateway, the REST routes and the harness
    read and change."""

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        token: str = DEFAULT_TOKEN,
        bot_name: str = "forumbot",
    ) -> None:
        self.host = host
        self.port = port
        self.token = token
        self.world = World(SnowflakeFactory())
        bot = self.world.create_user(bot_name, bot=True)
        self.world.bot_user_id = bot["id"]
        self.application_id: str = bot["id"]
        self.application_flags = (1 << 19) | (1 << 15) | (1 << 13)  # all intents "limited" flags
        self.owner_user_id: str | None = None
        # Tunables (tests shorten these).
        self.interaction_deadline = 3.0
        self.old_edit_limit: int | None = None  # edits of >1 h old messages per channel-hour
        self.attachment_size_limit = 10 * 1024 * 1024  # bytes per message, as for most guilds
        # Off by default: guild admins can override who may use a command on real Discord.
        self.enforce_command_permissions = False
        self.followup_ttl = 15 * 60.0
        self.heartbeat_interval_ms = 41250
        self.resume_window = 120.0
        self.nonce_window = 300.0
        self.granted_intents = (1 << 1) | (1 << 8) | (1 << 15)  # all privileged intents granted
        # Sharding, as GET /gateway/bot reports it: the recommended count, and the session start
        # limit (IDENTIFYs left; max_concurrency shards may identify together).
        self.recommended_shards = 1
        self.max_guilds_per_shard = 2500
        self.session_start_total = 1000
        self.session_starts_remaining = 1000
        self.max_concurrency = 1
        # Records.
        self.requests: list[RecordedRequest] = []
        self.violations: list[Violation] = []
        self.injections: list[Injection] = []
        # Every gateway event dispatched to all sessions: (name, data).
        self.events: list[tuple[str, Json]] = []
        self.rate_limits: list[RateLimit] = []
        self.rate_limited: list[tuple[str, str, float]] = []  # (method, path, retry_after)
        self.commands: dict[str | None, list[Json]] = {}
        self.interactions: dict[str, InteractionRecord] = {}
        self.interactions_by_token: dict[str, InteractionRecord] = {}
        self.attachments: dict[str, Json] = {}
        self._changed = asyncio.Event()
        self._mark = 0
        self._message_mark = 0
        self._runner: web.AppRunner | None = None
        self.demo: DemoGuild | None = None
        self._last_post: dict[tuple[str, str], float] = {}

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def api_url(self) -> str:
        return self.base_url + API_PREFIX

    @property
    def gateway_url(self) -> str:
        return f"ws://{self.host}:{self.port}/gateway/"

    @property
    def bot_id(self) -> str:
        return self.world.bot_user_id

    def _pulse(self) -> None:
        self._changed.set()
        self._changed = asyncio.Event()

    async def wait_until(
        self,
        predicate: Callable[[], T | None],
        timeout: float = 5.0,  # noqa: ASYNC109
        *,
        what: str = "condition",
    ) -> T:
        """Re-check `predicate` on every sandbox state change; return its first truthy value."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            result = predicate()
            if result:
                return result
            remaining = deadline - loop.time()
            if remaining <= 0:
                recent = ", ".join(repr(r) for r in self.requests[-8:])
                raise TimeoutError(
                    f"timed out after {timeout}s waiting for {what}; recent: {recent}"
                )
            event = self._changed
            # asyncio.timeout, not wait_for: wait_for wraps each wait in a new task (Python 3.11).
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(remaining):
                    await event.wait()

    def mark(self) -> int:
        """Start a new window for `wait_for_request`/`wait_for_message`; harness actions do this."""
        self._mark = len(self.requests)
        self._message_mark = len(self._message_order)
        return self._mark

    @property
    def _message_order(self) -> list[str]:
        return self.world.created_order

    def store_attachment(
        self,
        filename: str,
        data: bytes,
        *,
        content_type: str | None = None,
        description: str | None = None,
    ) -> Json:
        aid = self.world.ids.next()
        url = f"{self.base_url}/attachments/{aid}/{filename}"
        payload: Json = {
            "id": aid,
            "filename": filename,
            "size": len(data),
            "url": url,
            "proxy_url": url,
            "content_type": content_type or _guess_type(filename),
        }
        if description:
            payload["description"] = description
        self.attachments[aid] = {"payload": payload, "data": data}
        return json_copy(payload)

    async def _serve_attachment(self, request: web.Request) -> web.StreamResponse:
        item = self.attachments.get(request.match_info["aid"])
        if item is None:
            return web.Response(status=404, text="Not Found")
        ctype = item["payload"]["content_type"] or "application/octet-stream"
        return web.Response(body=item["data"], headers={"Content-Type": ctype})


def _guess_type(filename: str) -> str:
    lower = filename.lower()
    for suffix, ctype in (
        (".txt", "text/plain; charset=utf-8"),
        (".md", "text/markdown; charset=utf-8"),
        (".markdown", "text/markdown; charset=utf-8"),
        (".html", "text/html; charset=utf-8"),
        (".htm", "text/html; charset=utf-8"),
        (".json", "application/json"),
        (".png", "image/png"),
        (".pdf", "application/pdf"),
    ):
        if lower.endswith(suffix):
            return ctype
    return "application/octet-stream"
