"""The HTTP interactions endpoint on its own: signatures, PING, early deferral when busy, and
start-up errors. End-to-end use with the bot and the sandbox is in tests/e2e/bot."""

from __future__ import annotations

import asyncio
import json
import socket
import time
from collections import OrderedDict
from collections.abc import AsyncIterator
from types import SimpleNamespace
from typing import Any

import aiohttp
import pytest
from nacl.signing import SigningKey

from forumbot.bot.endpoint import EndpointError, InteractionsEndpoint
from forumbot.bot.slots import AnswerSlots
from forumbot.config import Settings, parse_listen


class FakeState:
    def __init__(self) -> None:
        self.dispatched: list[dict[str, Any]] = []

    def parse_interaction_create(self, data: dict[str, Any]) -> None:
        self.dispatched.append(data)


class FakeBot:
    def __init__(self, verify_key: str) -> None:
        self.deferrable_commands = {"search": True, "cite": False}
        self.acknowledged_by_endpoint: OrderedDict[int, None] = OrderedDict()
        self.answer_slots = AnswerSlots(4)
        self._connection = FakeState()
        self._verify_key = verify_key

    async def application_info(self) -> Any:
        return SimpleNamespace(verify_key=self._verify_key)

    async def fresh(self, guild_id: Any) -> None:
        # Recorded with what had been handed to discord.py by then.
        self.refreshed = (guild_id, len(self._connection.dispatched))


KEY = SigningKey.generate()


def command(name: str, iid: int = 111, kind: int = 2) -> dict[str, Any]:
    return {"id": str(iid), "type": kind, "token": "t", "data": {"name": name, "type": 1}}


@pytest.fixture
async def endpoint() -> AsyncIterator[InteractionsEndpoint]:
    bot = FakeBot(KEY.verify_key.encode().hex())
    ep = InteractionsEndpoint(bot, host="127.0.0.1", port=0)
    await ep.start()
    try:
        yield ep
    finally:
        await ep.close()


async def post(
    ep: InteractionsEndpoint,
    payload: Any,
    *,
    key: SigningKey = KEY,
    signature: str | None = None,
    raw: bytes | None = None,
) -> tuple[int, Any]:
    body = raw if raw is not None else json.dumps(payload).encode()
    stamp = str(int(time.time()))
    sig = signature if signature is not None else key.sign(stamp.encode() + body).signature.hex()
    headers = {
        "Content-Type": "application/json",
        "X-Signature-Ed25519": sig,
        "X-Signature-Timestamp": stamp,
    }
    async with (
        aiohttp.ClientSession() as session,
        session.post(ep.url, data=body, headers=headers) as resp,
    ):
        text = await resp.text()
        return resp.status, (json.loads(text) if resp.content_type == "application/json" else text)


async def test_ping_is_answered_with_pong(endpoint: InteractionsEndpoint) -> None:
    assert await post(endpoint, {"id": "1", "type": 1}) == (200, {"type": 1})


@pytest.mark.parametrize(
    "how", ["other key", "garbage signature", "empty signature", "tampered body"]
)
async def test_requests_not_signed_by_discord_are_refused(
    endpoint: InteractionsEndpoint, how: str
) -> None:
    payload = command("search")
    if how == "other key":
        status, _ = await post(endpoint, payload, key=SigningKey.generate())
    elif how == "garbage signature":
        status, _ = await post(endpoint, payload, signature="zz" * 64)
    elif how == "empty signature":
        status, _ = await post(endpoint, payload, signature="")
    else:
        body = json.dumps(payload).encode()
        stamp = str(int(time.time()))
        sig = KEY.sign(stamp.encode() + body).signature.hex()
        tampered = body.replace(b"search", b"sEarch")
        headers = {"X-Signature-Ed25519": sig, "X-Signature-Timestamp": stamp}
        async with (
            aiohttp.ClientSession() as session,
            session.post(endpoint.url, data=tampered, headers=headers) as resp,
        ):
            status = resp.status
    assert status == 401
    assert endpoint.bot._connection.dispatched == []


async def test_signed_garbage_is_a_400_and_dispatches_nothing(
    endpoint: InteractionsEndpoint,
) -> None:
    for raw in (b"not json", b"[]", b'{"no": "type"}', b"\xff\xfe", b'"type"'):
        status, _ = await post(endpoint, None, raw=raw)
        assert status == 400
    assert endpoint.bot._connection.dispatched == []


async def test_odd_but_signed_interactions_never_crash_the_endpoint(
    endpoint: InteractionsEndpoint,
) -> None:
    endpoint.busy_after = 0
    for odd in (
        {"type": 2, "id": "x", "data": {"name": "search"}},  # an id that is not a number
        {"type": 2, "id": "9", "data": "search"},  # data that is not an object
        {"type": 2, "id": "9"},  # no data at all
    ):
        status, _ = await post(endpoint, odd)
        assert status == 202
    assert not endpoint.bot.acknowledged_by_endpoint


async def test_quiet_bot_hands_the_command_to_discord_py_and_answers_202(
    endpoint: InteractionsEndpoint,
) -> None:
    status, _ = await post(endpoint, command("search"))
    assert status == 202
    await asyncio.sleep(0)  # the dispatch is scheduled right after the answer
    assert [d["id"] for d in endpoint.bot._connection.dispatched] == ["111"]
    assert not endpoint.bot.acknowledged_by_endpoint


async def test_a_guild_interaction_checks_the_guild_caches_before_discord_py_sees_it(
    endpoint: InteractionsEndpoint,
) -> None:
    status, _ = await post(endpoint, {**command("search"), "guild_id": "77"})
    assert status == 202
    for _ in range(5):
        await asyncio.sleep(0)
    assert endpoint.bot.refreshed == ("77", 0)  # type: ignore[attr-defined]
    assert [d["id"] for d in endpoint.bot._connection.dispatched] == ["111"]


async def test_busy_bot_defers_deferrable_commands_in_the_answer(
    endpoint: InteractionsEndpoint,
) -> None:
    endpoint.busy_after = 0
    assert await post(endpoint, command("search", 5)) == (200, {"type": 5, "data": {"flags": 64}})
    assert await post(endpoint, command("cite", 6)) == (200, {"type": 5, "data": {"flags": 0}})
    # Not registered as deferrable, or not a slash command: discord.py answers by callback.
    assert (await post(endpoint, command("setup", 7)))[0] == 202
    assert (await post(endpoint, command("search", 8, kind=4)))[0] == 202  # autocomplete
    assert list(endpoint.bot.acknowledged_by_endpoint) == [5, 6]
    await asyncio.sleep(0)
    assert [d["id"] for d in endpoint.bot._connection.dispatched] == ["5", "6", "7", "8"]


async def test_busy_means_more_than_busy_after_within_the_window(
    endpoint: InteractionsEndpoint, monkeypatch: pytest.MonkeyPatch
) -> None:
    now = [1000.0]
    monkeypatch.setattr("forumbot.bot.endpoint.time.monotonic", lambda: now[0])
    endpoint.busy_after = 2
    statuses = []
    for i, at in enumerate((0.0, 0.01, 0.02, 0.03, 0.2), start=1):
        now[0] = 1000.0 + at
        statuses.append((await post(endpoint, command("search", i)))[0])
    # The third and fourth arrive within 50 ms of two others; the fifth after a quiet spell.
    assert statuses == [202, 202, 200, 200, 202]


async def test_a_command_arriving_while_every_answer_slot_is_taken_is_deferred(
    endpoint: InteractionsEndpoint,
) -> None:
    """Arrivals are spaced out (no burst), but the searches before still hold every slot."""
    slots = endpoint.bot.answer_slots
    assert (await post(endpoint, command("search", 1)))[0] == 202
    for _ in range(slots.size):
        await slots.take()
    assert await post(endpoint, command("search", 2)) == (200, {"type": 5, "data": {"flags": 64}})
    slots.release()
    assert (await post(endpoint, command("search", 3)))[0] == 202


def test_listen_addresses() -> None:
    assert parse_listen("127.0.0.1:8080") == ("127.0.0.1", 8080)
    assert parse_listen(":9000") == ("0.0.0.0", 9000)
    assert parse_listen("9000") == ("0.0.0.0", 9000)
    assert parse_listen("[::1]:80") == ("::1", 80)
    for bad in ("", "host", "host:", "host:99999", "host:-1"):
        with pytest.raises(ValueError):
            parse_listen(bad)
    assert Settings(interactions_listen="127.0.0.1:1").interactions_address == ("127.0.0.1", 1)
    assert Settings().interactions_address is None


async def test_start_up_errors_are_one_line() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        ep = InteractionsEndpoint(
            FakeBot(KEY.verify_key.encode().hex()), host="127.0.0.1", port=port
        )
        with pytest.raises(EndpointError, match=r"cannot listen on 127\.0\.0\.1"):
            await ep.start()
    bad_key = InteractionsEndpoint(FakeBot("not hex"), host="127.0.0.1", port=0)
    with pytest.raises(EndpointError, match="public key"):
        await bad_key.start()


def test_busy_means_more_arrivals_than_the_bot_has_answer_slots() -> None:
    from forumbot.bot.client import ANSWER_SLOTS
    from forumbot.bot.endpoint import DEFAULT_BUSY_AFTER

    assert DEFAULT_BUSY_AFTER == ANSWER_SLOTS
