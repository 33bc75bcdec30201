"""Gateway protocol details seen by a raw websocket client (what discord.py relies on)."""

from __future__ import annotations

import json
from typing import Any

import aiohttp

from forumbot.sandbox import DemoGuild, Sandbox


async def receive(ws: aiohttp.ClientWebSocketResponse) -> dict[str, Any]:
    msg = await ws.receive(timeout=5)
    assert msg.type == aiohttp.WSMsgType.TEXT, msg
    data: dict[str, Any] = json.loads(msg.data)
    return data


async def test_bad_token_closes_with_4004(sandbox: Sandbox) -> None:
    async with aiohttp.ClientSession() as session, session.ws_connect(sandbox.gateway_url) as ws:
        hello = await receive(ws)
        assert hello["op"] == 10 and hello["d"]["heartbeat_interval"] > 0
        await ws.send_json({"op": 2, "d": {"token": "wrong", "intents": 0, "properties": {}}})
        closed = await ws.receive(timeout=5)
        assert closed.type == aiohttp.WSMsgType.CLOSE and ws.close_code == 4004


async def test_ready_guild_create_heartbeat_ack_and_zombie_close(
    sandbox: Sandbox, demo: DemoGuild
) -> None:
    sandbox.heartbeat_interval_ms = 100
    async with aiohttp.ClientSession() as session, session.ws_connect(sandbox.gateway_url) as ws:
        await receive(ws)
        await ws.send_json({"op": 1, "d": None})
        assert (await receive(ws))["op"] == 11
        await ws.send_json(
            {"op": 2, "d": {"token": sandbox.token, "intents": 513, "properties": {}}}
        )
        ready = await receive(ws)
        assert (ready["t"], ready["s"]) == ("READY", 1)
        assert ready["d"]["resume_gateway_url"] == sandbox.gateway_url
        assert ready["d"]["application"]["id"] == sandbox.application_id
        guild = await receive(ws)
        assert guild["t"] == "GUILD_CREATE" and guild["s"] == 2
        forum = next(c for c in guild["d"]["channels"] if c["id"] == demo.forum_id)
        assert forum["type"] == 15 and len(forum["available_tags"]) == 3
        # No more heartbeats: the server drops the zombie connection.
        closed = await ws.receive(timeout=5)
        assert closed.type == aiohttp.WSMsgType.CLOSE
    assert sandbox.gateway.zombies_closed == 1


async def test_privileged_intent_not_granted_closes_with_4014(sandbox: Sandbox) -> None:
    sandbox.granted_intents = 0
    async with aiohttp.ClientSession() as session, session.ws_connect(sandbox.gateway_url) as ws:
        await receive(ws)
        members = 1 << 1
        await ws.send_json(
            {"op": 2, "d": {"token": sandbox.token, "intents": members, "properties": {}}}
        )
        await ws.receive(timeout=5)
        assert ws.close_code == 4014


async def test_resume_of_an_unknown_session_is_invalidated(sandbox: Sandbox) -> None:
    async with aiohttp.ClientSession() as session, session.ws_connect(sandbox.gateway_url) as ws:
        await receive(ws)
        await ws.send_json({"op": 6, "d": {"token": sandbox.token, "session_id": "nope", "seq": 3}})
        invalid = await receive(ws)
        assert invalid == {"op": 9, "d": False}
