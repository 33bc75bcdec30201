"""Gateway v10 over aiohttp websockets: HELLO, IDENTIFY/READY, heartbeats, RESUME with replay."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import secrets
import time
import zlib
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from aiohttp import WSMsgType, web

from .jsoncopy import json_copy

if TYPE_CHECKING:
    from .state import SandboxState

log = logging.getLogger(__name__)

Json = dict[str, Any]

# Opcodes
DISPATCH, HEARTBEAT, IDENTIFY, PRESENCE, VOICE, RESUME, RECONNECT = 0, 1, 2, 3, 4, 6, 7
REQUEST_MEMBERS, INVALID_SESSION, HELLO, HEARTBEAT_ACK = 8, 9, 10, 11

# Intents
GUILDS = 1 << 0
GUILD_MEMBERS = 1 << 1
GUILD_PRESENCES = 1 << 8
GUILD_MESSAGES = 1 << 9
DIRECT_MESSAGES = 1 << 12
MESSAGE_CONTENT = 1 << 15
PRIVILEGED = GUILD_MEMBERS | GUILD_PRESENCES | MESSAGE_CONTENT

# Which intent an event needs (events not listed are always sent).
_EVENT_INTENTS = {
    "GUILD_MEMBER_ADD": GUILD_MEMBERS,
    "GUILD_MEMBER_UPDATE": GUILD_MEMBERS,
    "GUILD_MEMBER_REMOVE": GUILD_MEMBERS,
    "GUILD_BAN_ADD": 1 << 2,
    "GUILD_BAN_REMOVE": 1 << 2,
    "CHANNEL_CREATE": GUILDS,
    "CHANNEL_UPDATE": GUILDS,
    "CHANNEL_DELETE": GUILDS,
    "THREAD_CREATE": GUILDS,
    "THREAD_UPDATE": GUILDS,
    "THREAD_DELETE": GUILDS,
    "GUILD_ROLE_CREATE": GUILDS,
    "GUILD_ROLE_UPDATE": GUILDS,
}
_MESSAGE_EVENTS = frozenset(
    {"MESSAGE_CREATE", "MESSAGE_UPDATE", "MESSAGE_DELETE", "MESSAGE_DELETE_BULK"}
)
_REACTION_EVENTS = frozenset({"MESSAGE_REACTION_ADD", "MESSAGE_REACTION_REMOVE"})
GUILD_MESSAGE_REACTIONS = 1 << 10
DIRECT_MESSAGE_REACTIONS = 1 << 13
# Events whose guild is `data["id"]` rather than `data["guild_id"]`.
_GUILD_OBJECT_EVENTS = frozenset({"GUILD_CREATE", "GUILD_UPDATE", "GUILD_DELETE"})


def shard_of(guild_id: int | str, shard_count: int) -> int:
    """Discord's rule: a guild lives on shard (guild_id >> 22) % shard_count."""
    return (int(guild_id) >> 22) % shard_count


def event_guild(event: str, data: Json) -> str | None:
    if event in _GUILD_OBJECT_EVENTS:
        return str(data.get("id")) if data.get("id") is not None else None
    guild_id = data.get("guild_id")
    return str(guild_id) if guild_id is not None else None


class _Sender:
    """Sends payloads on one connection: text frames, or one zlib stream flushed per payload
    (what discord.py asks for with compress=zlib-stream); the lock keeps stream order."""

    def __init__(self, ws: web.WebSocketResponse, *, zlib_stream: bool) -> None:
        self.ws = ws
        self.lock = asyncio.Lock()
        self.zlib = zlib.compressobj() if zlib_stream else None

    async def send(self, payload: Json) -> None:
        text = json.dumps(payload)
        async with self.lock:
            if self.ws.closed:
                return
            if self.zlib is None:
                await self.ws.send_str(text)
            else:
                data = self.zlib.compress(text.encode()) + self.zlib.flush(zlib.Z_SYNC_FLUSH)
                await self.ws.send_bytes(data)


@dataclass
class Session:
    id: str
    intents: int
    seq: int = 0
    buffer: deque[Json] = field(default_factory=lambda: deque(maxlen=5000))
    ws: web.WebSocketResponse | None = None
    request: web.Request | None = None
    queue: asyncio.Queue[Json | None] | None = None
    disconnected_at: float | None = None
    resumes: int = 0
    shard_id: int = 0
    shard_count: int = 1

    def carries(self, guild_id: str | None) -> bool:
        """Guild events go to the guild's shard only; events outside guilds (DMs) to shard 0."""
        if guild_id is None:
            return self.shard_id == 0
        return shard_of(guild_id, self.shard_count) == self.shard_id

    def push(self, payload: Json) -> None:
        self.seq += 1
        payload["s"] = self.seq
        self.buffer.append(payload)
        if self.queue is not None:
            self.queue.put_nowait(payload)


class Gateway:
    def __init__(self, sandbox: SandboxState) -> None:
        self.sb = sandbox
        self.sessions: dict[str, Session] = {}
        self.identify_count = 0
        self.resume_count = 0
        self._connections: set[web.WebSocketResponse] = set()
        self._senders: dict[web.WebSocketResponse, _Sender] = {}
        self.compressed_connections = 0
        self.zombies_closed = 0

    async def _send(self, ws: web.WebSocketResponse, payload: Json) -> None:
        sender = self._senders.get(ws)
        if sender is not None:
            await sender.send(payload)

    # ---- dispatch ---------------------------------------------------------------------------
    def dispatch(self, event: str, data: Json, *, only: Session | None = None) -> None:
        """Queue an event for every live session (buffered for replay while disconnected)."""
        if only is None:
            self.sb.events.append((event, data))
        now = time.monotonic()
        guild_id = event_guild(event, data)
        for sid, session in list(self.sessions.items()):
            if only is not None and session is not only:
                continue
            if not session.carries(guild_id):
                continue
            if (
                session.disconnected_at is not None
                and now - session.disconnected_at > self.sb.resume_window
            ):
                del self.sessions[sid]
                continue
            payload = self._filtered(session, event, data)
            if payload is not None:
                session.push({"op": DISPATCH, "t": event, "d": payload})
        self.sb._pulse()

    def _filtered(self, session: Session, event: str, data: Json) -> Json | None:
        need = _EVENT_INTENTS.get(event)
        if need is not None and not session.intents & need:
            return None
        if event in _REACTION_EVENTS:
            need = GUILD_MESSAGE_REACTIONS if "guild_id" in data else DIRECT_MESSAGE_REACTIONS
            if not session.intents & need:
                return None
        if event in _MESSAGE_EVENTS:
            in_guild = "guild_id" in data
            if not session.intents & (GUILD_MESSAGES if in_guild else DIRECT_MESSAGES):
                return None
            if (
                event in ("MESSAGE_CREATE", "MESSAGE_UPDATE")
                and in_guild
                and not session.intents & MESSAGE_CONTENT
            ):
                return self._without_content(data)
        return json_copy(data)

    def _without_content(self, data: Json) -> Json:
        bot = self.sb.world.bot_user_id
        author = (data.get("author") or {}).get("id")
        mentioned = any(u.get("id") == bot for u in data.get("mentions") or [])
        copy_ = json_copy(data)
        if author != bot and not mentioned:
            # What Discord does without the privileged Message Content intent.
            copy_.update(content="", embeds=[], attachments=[], components=[])
        return copy_

    # ---- faults -----------------------------------------------------------------------------
    async def drop_connections(self, *, abrupt: bool = True) -> int:
        dropped = 0
        for session in self.sessions.values():
            ws, request = session.ws, session.request
            if ws is None:
                continue
            dropped += 1
            self._detach(session)
            if abrupt and request is not None and request.transport is not None:
                request.transport.abort()
            else:
                await ws.close(code=4000, message=b"sandbox drop")
        return dropped

    async def send_reconnect(self) -> None:
        for session in self.sessions.values():
            if session.ws is not None and not session.ws.closed:
                await self._send(session.ws, {"op": RECONNECT, "d": None})

    async def invalidate_sessions(self) -> None:
        for session in list(self.sessions.values()):
            if session.ws is not None and not session.ws.closed:
                await self._send(session.ws, {"op": INVALID_SESSION, "d": False})
        self.sessions.clear()

    async def close_all(self) -> None:
        for ws in list(self._connections):
            with contextlib.suppress(Exception):
                await ws.close(code=1001, message=b"sandbox stopping")

    def _detach(self, session: Session) -> None:
        if session.queue is not None:
            session.queue.put_nowait(None)
        session.ws = None
        session.request = None
        session.queue = None
        session.disconnected_at = time.monotonic()

    # ---- the websocket handler --------------------------------------------------------------
    async def handle(self, request: web.Request) -> web.StreamResponse:
        ws = web.WebSocketResponse(autoping=True, max_msg_size=4 * 1024 * 1024)
        await ws.prepare(request)
        self._connections.add(ws)
        session: Session | None = None
        writer: asyncio.Task[None] | None = None
        compress = request.query.get("compress")
        self._senders[ws] = _Sender(ws, zlib_stream=compress == "zlib-stream")
        self.compressed_connections += compress == "zlib-stream"
        await self._send(
            ws, {"op": HELLO, "d": {"heartbeat_interval": self.sb.heartbeat_interval_ms}}
        )
        try:
            while True:
                try:
                    # A client that stops heartbeating is a zombie: Discord drops it.
                    msg = await ws.receive(timeout=self.sb.heartbeat_interval_ms / 1000 * 2 + 1)
                except TimeoutError:
                    self.zombies_closed += 1
                    await ws.close(code=4000, message=b"Heartbeat timed out")
                    break
                if msg.type != WSMsgType.TEXT:
                    if msg.type == WSMsgType.BINARY:
                        await ws.close(code=4002, message=b"Decode error")
                    break
                try:
                    payload = json.loads(msg.data)
                    op = payload["op"]
                except (ValueError, KeyError, TypeError):
                    await ws.close(code=4002, message=b"Decode error")
                    break
                data = payload.get("d")
                if op == HEARTBEAT:
                    await self._send(ws, {"op": HEARTBEAT_ACK})
                elif op == IDENTIFY:
                    if session is not None:
                        await ws.close(code=4005, message=b"Already authenticated")
                        break
                    session = await self._identify(ws, request, data or {})
                    if session is None:
                        break
                    writer = asyncio.create_task(self._writer(ws, session))
                elif op == RESUME:
                    if session is not None:
                        await ws.close(code=4005, message=b"Already authenticated")
                        break
                    session = await self._resume(ws, request, data or {})
                    if session is not None:
                        writer = asyncio.create_task(self._writer(ws, session))
                elif op == REQUEST_MEMBERS:
                    if session is None:
                        await ws.close(code=4003, message=b"Not authenticated")
                        break
                    self._members_chunk(session, data or {})
                elif op in (PRESENCE, VOICE):
                    continue
                else:
                    await ws.close(code=4001, message=b"Unknown opcode")
                    break
        finally:
            self._connections.discard(ws)
            self._senders.pop(ws, None)
            if session is not None and session.ws is ws:
                self._detach(session)
            if writer is not None:
                writer.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await writer
            self.sb._pulse()
        return ws

    async def _writer(self, ws: web.WebSocketResponse, session: Session) -> None:
        queue = session.queue
        assert queue is not None
        while True:
            payload = await queue.get()
            if payload is None or ws.closed:
                return
            try:
                await self._send(ws, payload)
            except (ConnectionResetError, RuntimeError):
                return

    async def _identify(
        self, ws: web.WebSocketResponse, request: web.Request, data: Json
    ) -> Session | None:
        if data.get("token") != self.sb.token:
            await ws.close(code=4004, message=b"Authentication failed")
            return None
        intents = int(data.get("intents") or 0)
        if intents & PRIVILEGED & ~self.sb.granted_intents:
            await ws.close(code=4014, message=b"Disallowed intent(s)")
            return None
        shard = data.get("shard")
        shard_id, shard_count = 0, 1
        if shard is not None:
            # Discord closes with 4010 "Invalid shard" for a malformed pair or id >= count.
            valid = (
                isinstance(shard, list)
                and len(shard) == 2
                and all(isinstance(n, int) and not isinstance(n, bool) for n in shard)
                and 0 <= shard[0] < shard[1]
            )
            if not valid:
                await ws.close(code=4010, message=b"Invalid shard")
                return None
            shard_id, shard_count = shard
        world = self.sb.world
        bot_guilds = [g for g in world.guilds.values() if world.bot_user_id in g.members]
        if len(bot_guilds) > self.sb.max_guilds_per_shard * shard_count:
            # 4011: the bot is in too many guilds for this many shards.
            await ws.close(code=4011, message=b"Sharding required")
            return None
        if self.sb.session_starts_remaining <= 0:
            await ws.close(code=4004, message=b"Session start limit reached")
            return None
        self.sb.session_starts_remaining -= 1
        session = Session(
            id=secrets.token_hex(16), intents=intents, shard_id=shard_id, shard_count=shard_count
        )
        session.ws, session.request = ws, request
        session.queue = asyncio.Queue()
        self.sessions[session.id] = session
        self.identify_count += 1
        bot_guilds = [g for g in bot_guilds if session.carries(g.id)]
        ready = {
            "v": 10,
            "user": {**world.user(world.bot_user_id), "verified": True, "mfa_enabled": False},
            "guilds": [{"id": g.id, "unavailable": True} for g in bot_guilds],
            "session_id": session.id,
            "session_type": "normal",
            "resume_gateway_url": self.sb.gateway_url,
            "private_channels": [],
            "relationships": [],
            "presences": [],
            "guild_join_requests": [],
            "geo_ordered_rtc_regions": [],
            "application": {"id": self.sb.application_id, "flags": self.sb.application_flags},
            "user_settings": {},
            "_trace": ["sandbox"],
        }
        if shard is not None:
            ready["shard"] = [shard_id, shard_count]
        session.push({"op": DISPATCH, "t": "READY", "d": ready})
        for guild in bot_guilds:
            payload = world.guild_create_payload(guild)
            session.push({"op": DISPATCH, "t": "GUILD_CREATE", "d": payload})
        self.sb._pulse()
        return session

    async def _resume(
        self, ws: web.WebSocketResponse, request: web.Request, data: Json
    ) -> Session | None:
        session = self.sessions.get(str(data.get("session_id")))
        if session is None or data.get("token") != self.sb.token:
            await self._send(ws, {"op": INVALID_SESSION, "d": False})
            return None
        if session.ws is not None:
            old = session.ws
            self._detach(session)
            await old.close(code=4000, message=b"Session resumed elsewhere")
        last = int(data.get("seq") or 0)
        if session.buffer and last < session.buffer[0]["s"] - 1:
            # The events the client missed were already dropped from the buffer.
            await self._send(ws, {"op": INVALID_SESSION, "d": False})
            del self.sessions[session.id]
            return None
        session.ws, session.request = ws, request
        session.queue = asyncio.Queue()
        session.disconnected_at = None
        session.resumes += 1
        self.resume_count += 1
        for payload in list(session.buffer):
            if payload["s"] > last:
                session.queue.put_nowait(payload)
        session.push({"op": DISPATCH, "t": "RESUMED", "d": {"_trace": ["sandbox"]}})
        self.sb._pulse()
        return session

    def _members_chunk(self, session: Session, data: Json) -> None:
        world = self.sb.world
        guild = world.guilds.get(str(data.get("guild_id")))
        if guild is None:
            return
        query = str(data.get("query") or "").lower()
        limit = int(data.get("limit") or 0)
        user_ids = data.get("user_ids")
        wanted: Callable[[str], bool]
        if user_ids:
            ids = {str(u) for u in (user_ids if isinstance(user_ids, list) else [user_ids])}
            wanted = ids.__contains__
        else:

            def wanted(uid: str) -> bool:
                user = world.users[uid]
                nick = guild.members[uid].get("nick") or ""
                return user["username"].lower().startswith(query) or nick.lower().startswith(query)

        members = [world.member_payload(guild, uid) for uid in guild.members if wanted(uid)]
        if limit:
            members = members[:limit]
        chunks = [members[i : i + 1000] for i in range(0, len(members), 1000)] or [[]]
        for index, chunk in enumerate(chunks):
            payload: Json = {
                "guild_id": guild.id,
                "members": chunk,
                "chunk_index": index,
                "chunk_count": len(chunks),
            }
            if data.get("nonce") is not None:
                payload["nonce"] = data["nonce"]
            self.dispatch("GUILD_MEMBERS_CHUNK", payload, only=session)
