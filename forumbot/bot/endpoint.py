"""Discord's HTTP interactions endpoint: with an Interactions Endpoint URL set in the Developer
Portal, Discord POSTs every interaction to the bot (signed with Ed25519) instead of sending it
over the gateway. Messages, members and the rest still come over the gateway.

Why have it: on the gateway each acknowledgement is a REST request the bot must make, and in a
burst every interaction waits behind the others for its first answer. Here the answer to
Discord's request *is* the acknowledgement. When interactions arrive faster than one process
answers them (`busy_after` within `BUSY_WINDOW_S`), or every answer slot is taken, commands
registered as deferrable are acknowledged at once in the HTTP answer ("thinking…"), and their
results follow as a follow-up; everything else is handed to discord.py unchanged and answered
through the REST callback, which Discord accepts for every interaction but PING (the HTTP
answer is then 202).
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections import OrderedDict, deque
from typing import Any, Protocol

import discord
from aiohttp import web
from nacl.exceptions import BadSignatureError
from nacl.signing import VerifyKey

from forumbot.bot.slots import AnswerSlots

log = logging.getLogger(__name__)

PING = 1
APPLICATION_COMMAND = 2
PONG = 1
DEFERRED_CHANNEL_MESSAGE = 5
EPHEMERAL_FLAG = 1 << 6
CHAT_INPUT = 1

BUSY_WINDOW_S = 0.05
# Interactions received within BUSY_WINDOW_S before deferrable commands are acknowledged at
# once: as many as the bot's answer slots (ForumBot.answer_slots), since a further one would
# wait for a slot (a /search costs one process a few ms of CPU).
DEFAULT_BUSY_AFTER = 4
# Requests are interactions (a few KB); attachments are links, never inline.
MAX_BODY_BYTES = 1 << 20
# Ids acknowledged here and not yet claimed by the command tree; bounded in case one never is.
MAX_PENDING_ACKS = 4096


class EndpointError(Exception):
    """The endpoint cannot start; str(e) says what the operator must fix."""


class InteractionBot(Protocol):
    """What the endpoint needs of the bot (ForumBot provides it)."""

    deferrable_commands: dict[str, bool]
    acknowledged_by_endpoint: OrderedDict[int, None]
    answer_slots: AnswerSlots

    async def application_info(self) -> discord.AppInfo: ...

    async def fresh(self, guild_id: Any) -> None:
        """Drop the guild's cached settings and rules if another process changed them."""

    @property
    def _connection(self) -> Any: ...


class InteractionsEndpoint:
    def __init__(
        self,
        bot: InteractionBot,
        *,
        host: str,
        port: int,
        path: str = "/interactions",
        public_key: str | None = None,
        busy_after: int = DEFAULT_BUSY_AFTER,
    ) -> None:
        self.bot = bot
        self.host = host
        self.port = port
        self.path = path
        self.public_key = public_key
        self.busy_after = busy_after
        self._verify_key: VerifyKey | None = None
        self._recent: deque[float] = deque()
        self._runner: web.AppRunner | None = None
        self._backlog: deque[dict[str, Any]] = deque()
        self._tasks: set[asyncio.Task[None]] = set()
        self._drainer: asyncio.Task[None] | None = None

    @property
    def url(self) -> str:
        host = "127.0.0.1" if self.host in ("0.0.0.0", "") else self.host
        return f"http://{host}:{self.port}{self.path}"

    async def start(self) -> None:
        """Listen; the key is the application's own (Discord's `verify_key`) unless given."""
        key = self.public_key or (await self.bot.application_info()).verify_key
        try:
            self._verify_key = VerifyKey(bytes.fromhex(key))
        except ValueError as exc:
            raise EndpointError("the interactions public key is not a 64-digit hex key") from exc
        app = web.Application(client_max_size=MAX_BODY_BYTES)
        app.router.add_post(self.path, self.handle)
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        try:
            await site.start()
        except OSError as exc:
            await self.close()
            raise EndpointError(
                f"cannot listen on {self.host}:{self.port} for interactions: {exc.strerror}"
            ) from exc
        if self.port == 0:  # the port the system gave
            self.port = self._runner.addresses[0][1]
        log.info("interactions endpoint listening", extra={"url": self.url})

    async def close(self) -> None:
        if self._drainer is not None:
            self._drainer.cancel()
            await asyncio.gather(self._drainer, return_exceptions=True)
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    def verified(self, body: bytes, signature: str, timestamp: str) -> bool:
        if self._verify_key is None:
            return False
        try:
            self._verify_key.verify(timestamp.encode() + body, bytes.fromhex(signature))
        except (BadSignatureError, ValueError):
            return False
        return True

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        signature = request.headers.get("X-Signature-Ed25519", "")
        timestamp = request.headers.get("X-Signature-Timestamp", "")
        # Discord checks that unsigned or wrongly signed requests are refused with 401.
        if not self.verified(body, signature, timestamp):
            return web.Response(status=401, text="invalid request signature")
        try:
            data = json.loads(body)
        except ValueError:
            data = None
        if not isinstance(data, dict) or "type" not in data:
            return web.Response(status=400, text="not an interaction")
        kind = data["type"]
        if kind == PING:
            return web.json_response({"type": PONG})
        ack = self._early_ack(data)
        if ack is None:
            # discord.py builds the Interaction and runs the tree exactly as for a gateway
            # event; scheduled so that this answer goes out before that work starts.
            asyncio.get_running_loop().call_soon(self._dispatch, data)
            return web.Response(status=202)
        # Acknowledged: its work waits in line, one dispatch per turn of the event loop, so
        # the rest of a burst is still read and acknowledged while it runs.
        self._backlog.append(data)
        if self._drainer is None or self._drainer.done():
            self._drainer = asyncio.create_task(self._drain(), name="interactions-backlog")
        return web.json_response(ack)

    async def _drain(self) -> None:
        while self._backlog:
            self._dispatch(self._backlog.popleft())
            await asyncio.sleep(0)

    def _dispatch(self, data: dict[str, Any]) -> None:
        if data.get("guild_id") is None:
            self._parse(data)
            return
        # As over the gateway: the guild's cached settings and rules are checked against the
        # database's version first (another process may have changed them).
        task = asyncio.create_task(self._fresh_then_parse(data), name="discord.py: endpoint")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _fresh_then_parse(self, data: dict[str, Any]) -> None:
        await self.bot.fresh(data.get("guild_id"))
        self._parse(data)

    def _parse(self, data: dict[str, Any]) -> None:
        try:
            # The gateway's INTERACTION_CREATE handler (private in discord.py 2.7, pinned).
            self.bot._connection.parse_interaction_create(data)
        except Exception:  # a malformed interaction must not take the endpoint down
            log.exception("could not dispatch an interaction", extra={"id": data.get("id")})

    def _busy(self) -> bool:
        now = time.monotonic()
        recent = self._recent
        recent.append(now)
        while recent and now - recent[0] > BUSY_WINDOW_S:
            recent.popleft()
        return len(recent) > self.busy_after

    def _early_ack(self, data: dict[str, Any]) -> dict[str, Any] | None:
        """The deferral to answer with now, or None to let the command answer for itself."""
        # Also busy while every answer slot is taken: the command would wait for one.
        busy = self._busy() or self.bot.answer_slots.full
        inner = data.get("data")
        if not isinstance(inner, dict) or data.get("type") != APPLICATION_COMMAND:
            return None
        if inner.get("type", CHAT_INPUT) != CHAT_INPUT:
            return None
        ephemeral = self.bot.deferrable_commands.get(str(inner.get("name")))
        if ephemeral is None or not busy:
            return None
        try:
            interaction_id = int(data["id"])
        except (KeyError, TypeError, ValueError):
            return None
        pending = self.bot.acknowledged_by_endpoint
        pending[interaction_id] = None
        while len(pending) > MAX_PENDING_ACKS:
            pending.popitem(last=False)
        return {
            "type": DEFERRED_CHANNEL_MESSAGE,
            "data": {"flags": EPHEMERAL_FLAG if ephemeral else 0},
        }
