"""Interactions delivered to an HTTP interactions endpoint (Discord's "Interactions Endpoint
URL") instead of the gateway, against a raw aiohttp endpoint written here."""

from __future__ import annotations

import asyncio
import gc
import json
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from nacl.exceptions import BadSignatureError
from nacl.signing import VerifyKey

from forumbot.sandbox import DemoGuild, RecordedRequest, Sandbox

Json = dict[str, Any]
Answer = Callable[[Json], Awaitable[web.StreamResponse]]


class Endpoint:
    """An app's interactions endpoint: checks signatures (unless told not to), PONGs PINGs and
    answers interactions with `answer`."""

    def __init__(self, sb: Sandbox, *, check_signatures: bool = True) -> None:
        self.key = VerifyKey(bytes.fromhex(sb.verify_key))
        self.check_signatures = check_signatures
        self.answer: Answer = self.defer_to_callback
        self.url = ""
        self.refused = 0  # requests answered 401 (bad signature)
        self.verified: list[tuple[web.Request, bytes]] = []  # interactions that verified
        self.release = asyncio.Event()  # lets a hanging answer finish at teardown
        self.tasks: list[asyncio.Task[Any]] = []

    async def defer_to_callback(self, payload: Json) -> web.StreamResponse:
        return web.Response(status=202)

    async def handle(self, request: web.Request) -> web.StreamResponse:
        raw = await request.read()
        if self.check_signatures:
            signature = request.headers.get("X-Signature-Ed25519", "")
            timestamp = request.headers.get("X-Signature-Timestamp", "")
            try:
                self.key.verify(timestamp.encode() + raw, bytes.fromhex(signature))
            except (BadSignatureError, ValueError):
                self.refused += 1
                return web.Response(status=401, text="invalid request signature")
        payload = json.loads(raw)
        if payload["type"] == 1:
            return web.json_response({"type": 1})
        self.verified.append((request, raw))
        return await self.answer(payload)


@pytest.fixture
async def rest(sandbox: Sandbox) -> AsyncIterator[aiohttp.ClientSession]:
    """Plain REST calls as the bot would make them."""
    headers = {"Authorization": f"Bot {sandbox.token}"}
    async with aiohttp.ClientSession(headers=headers) as session:
        yield session


async def serve(endpoint: Endpoint, handler: Callable[[web.Request], Any]) -> web.AppRunner:
    app = web.Application()
    app.router.add_post("/interactions", handler)
    runner = web.AppRunner(app, access_log=None, handle_signals=False)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    assert site._server is not None
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    endpoint.url = f"http://127.0.0.1:{port}/interactions"
    return runner


@pytest.fixture
async def endpoints(sandbox: Sandbox) -> AsyncIterator[Callable[..., Awaitable[Endpoint]]]:
    """Start endpoints; `await endpoints(check_signatures=False)`, or `status=500` for one that
    answers every request with that status."""
    runners: list[tuple[Endpoint, web.AppRunner]] = []

    async def start(*, check_signatures: bool = True, status: int | None = None) -> Endpoint:
        endpoint = Endpoint(sandbox, check_signatures=check_signatures)

        async def fixed(request: web.Request) -> web.StreamResponse:
            return web.Response(status=status or 500, text="broken")

        runner = await serve(endpoint, endpoint.handle if status is None else fixed)
        runners.append((endpoint, runner))
        return endpoint

    yield start
    for endpoint, runner in runners:
        endpoint.release.set()
        await asyncio.gather(*endpoint.tasks)
        await runner.cleanup()


@pytest.fixture
async def endpoint(
    sandbox: Sandbox, endpoints: Callable[..., Awaitable[Endpoint]], rest: aiohttp.ClientSession
) -> Endpoint:
    """A verifying endpoint set as the sandbox app's interactions endpoint, and a synced
    /hello command."""
    started = await endpoints()
    await sandbox.set_interactions_endpoint(started.url)
    app = sandbox.application_id
    command = [{"name": "hello", "description": "Say hello", "type": 1}]
    async with rest.put(f"{sandbox.api_url}/applications/{app}/commands", json=command) as resp:
        assert resp.status == 200
    return started


async def callback(
    rest: aiohttp.ClientSession, sb: Sandbox, interaction: Json, body: Json
) -> tuple[int, Json | None]:
    url = f"{sb.api_url}/interactions/{interaction['id']}/{interaction['token']}/callback"
    async with rest.post(url, json=body) as resp:
        return resp.status, await resp.json() if resp.status != 204 else None


async def test_validation_accepts_a_verifying_endpoint_and_app_info_has_the_key(
    sandbox: Sandbox, endpoints: Callable[..., Awaitable[Endpoint]], rest: aiohttp.ClientSession
) -> None:
    VerifyKey(bytes.fromhex(sandbox.verify_key))  # a real Ed25519 public key
    assert sandbox.verify_key != Sandbox().verify_key  # one key per sandbox
    endpoint = await endpoints()
    await sandbox.set_interactions_endpoint(endpoint.url)
    assert sandbox.interactions_endpoint_url == endpoint.url
    assert endpoint.refused == 2  # Discord also checks that bad signatures are refused

    for path in ("/applications/@me", "/oauth2/applications/@me"):
        async with rest.get(sandbox.api_url + path) as resp:
            app = await resp.json()
        assert app["verify_key"] == sandbox.verify_key
        assert app["interactions_endpoint_url"] == endpoint.url

    await sandbox.set_interactions_endpoint(None)
    async with rest.patch(
        sandbox.api_url + "/applications/@me", json={"interactions_endpoint_url": endpoint.url}
    ) as resp:
        assert resp.status == 200
        assert (await resp.json())["interactions_endpoint_url"] == endpoint.url
    assert sandbox.interactions_endpoint_url == endpoint.url
    sandbox.assert_no_violations()


async def test_validation_refuses_endpoints_that_skip_checks_or_fail(
    sandbox: Sandbox, endpoints: Callable[..., Awaitable[Endpoint]], rest: aiohttp.ClientSession
) -> None:
    good = await endpoints()
    await sandbox.set_interactions_endpoint(good.url)
    trusting = await endpoints(check_signatures=False)
    with pytest.raises(ValueError, match=r"validation failed.*signed with another key.*200"):
        await sandbox.set_interactions_endpoint(trusting.url)
    broken = await endpoints(status=500)
    with pytest.raises(ValueError, match=r"validation failed.*HTTP 500"):
        await sandbox.set_interactions_endpoint(broken.url)
    with pytest.raises(ValueError, match="validation failed"):
        await sandbox.set_interactions_endpoint("ftp://127.0.0.1/interactions")
    assert sandbox.interactions_endpoint_url == good.url  # the previous setting stays

    async with rest.patch(
        sandbox.api_url + "/applications/@me", json={"interactions_endpoint_url": trusting.url}
    ) as resp:
        assert resp.status == 400
        error = await resp.json()
    assert error["code"] == 50035 and "interactions_endpoint_url" in error["errors"]
    assert sandbox.interactions_endpoint_url == good.url


async def test_signed_delivery_answered_in_the_http_body(
    sandbox: Sandbox, demo: DemoGuild, endpoint: Endpoint
) -> None:
    async def greet(payload: Json) -> web.StreamResponse:
        name = payload["member"]["user"]["username"]
        flags = 64 if name == "alice" else 0
        return web.json_response({"type": 4, "data": {"content": f"hi {name}", "flags": flags}})

    endpoint.answer = greet
    before = time.time()
    h = await sandbox.invoke_command(demo.alice_id, demo.general_id, "hello")
    assert await h.text() == "hi alice"
    assert h.ephemeral and h.response_type == 4
    assert h.record.response_via == "http" and h.record.http_status == 200
    assert h.record.responded_at is not None and before <= h.record.responded_at <= time.time()

    request, raw = endpoint.verified[0]
    assert json.loads(raw) == h.payload and b", " not in raw and b": " not in raw
    assert request.headers["Content-Type"] == "application/json"
    assert request.headers["User-Agent"] == "Discord-Interactions/1.0 (+https://discord.com)"
    assert abs(int(request.headers["X-Signature-Timestamp"]) - time.time()) < 60
    assert not sandbox.find_events("INTERACTION_CREATE")

    h2 = await sandbox.invoke_command(demo.bob_id, demo.general_id, "hello")
    assert await h2.text() == "hi bob" and not h2.ephemeral
    created = sandbox.find_events("MESSAGE_CREATE")
    assert [m["content"] for m in created] == ["hi bob"]  # ephemeral answers are not dispatched
    sandbox.assert_no_violations()


async def test_invalid_answers_in_the_body_are_violations(
    sandbox: Sandbox, demo: DemoGuild, endpoint: Endpoint, rest: aiohttp.ClientSession
) -> None:
    async def too_long(payload: Json) -> web.StreamResponse:
        return web.json_response({"type": 4, "data": {"content": "x" * 2001}})

    endpoint.answer = too_long
    h = await sandbox.invoke_command(demo.alice_id, demo.general_id, "hello")
    await sandbox.wait_until(lambda: h.record.failure, what="the interaction to fail")
    assert [(v.path, v.code) for v in sandbox.violations] == [(endpoint.url, 50035)]
    assert "content" in (sandbox.violations[0].errors or {})
    assert not h.responded


async def test_202_then_the_callback_route(
    sandbox: Sandbox, demo: DemoGuild, endpoint: Endpoint, rest: aiohttp.ClientSession
) -> None:
    results: list[tuple[int, Json | None]] = []

    async def answer_later(payload: Json) -> None:
        deferral = {"type": 5, "data": {"flags": 64}}
        results.append(await callback(rest, sandbox, payload, deferral))
        results.append(await callback(rest, sandbox, payload, deferral))  # a bug: twice
        url = f"{sandbox.api_url}/webhooks/{payload['application_id']}/{payload['token']}"
        async with rest.post(url, json={"content": "found 3 articles"}) as resp:
            assert resp.status == 204

    async def accepted(payload: Json) -> web.StreamResponse:
        endpoint.tasks.append(asyncio.create_task(answer_later(payload)))
        return web.Response(status=202)

    endpoint.answer = accepted
    h = await sandbox.invoke_command(demo.alice_id, demo.general_id, "hello")
    assert await h.text() == "found 3 articles"
    assert h.ephemeral and h.response_type == 5
    assert h.record.response_via == "callback" and h.record.http_status == 202
    await asyncio.gather(*endpoint.tasks)
    assert results[0][0] == 204
    assert results[1][0] == 400 and (results[1][1] or {})["code"] == 40060
    assert [v.code for v in sandbox.violations] == [40060]


class Requests(list[RecordedRequest]):
    """sb.requests that signals each request the sandbox starts handling."""

    def __init__(self, items: list[RecordedRequest]) -> None:
        super().__init__(items)
        self.added = asyncio.Event()

    def append(self, item: RecordedRequest) -> None:
        super().append(item)
        self.added.set()


async def test_deferral_in_the_body_then_a_followup_that_arrives_first(
    sandbox: Sandbox, demo: DemoGuild, endpoint: Endpoint, rest: aiohttp.ClientSession
) -> None:
    requests = Requests(sandbox.requests)
    sandbox.requests = requests

    async def followup(payload: Json) -> None:
        url = f"{sandbox.api_url}/webhooks/{payload['application_id']}/{payload['token']}"
        async with rest.post(url, json={"content": "done"}) as resp:
            assert resp.status == 204

    async def defer(payload: Json) -> web.StreamResponse:
        # The bot answers in the body and sends a follow-up at once; here the follow-up reaches
        # the sandbox before the answer does. The sandbox waits for the answer, as Discord
        # processes the answer first.
        requests.added.clear()
        endpoint.tasks.append(asyncio.create_task(followup(payload)))
        async with asyncio.timeout(5):
            await requests.added.wait()
        return web.json_response({"type": 5, "data": {"flags": 64}})

    endpoint.answer = defer
    h = await sandbox.invoke_command(demo.alice_id, demo.general_id, "hello")
    assert await h.text() == "done"
    assert h.record.response_via == "http" and h.record.deferred
    await asyncio.gather(*endpoint.tasks)
    sandbox.assert_no_violations()


async def test_an_error_status_fails_the_interaction(
    sandbox: Sandbox, demo: DemoGuild, endpoint: Endpoint, rest: aiohttp.ClientSession
) -> None:
    async def crash(payload: Json) -> web.StreamResponse:
        return web.Response(status=500, text="Internal Server Error")

    endpoint.answer = crash
    h = await sandbox.invoke_command(demo.alice_id, demo.general_id, "hello")
    await sandbox.wait_until(lambda: h.record.failure, what="the interaction to fail")
    assert h.record.http_status == 500 and not h.responded
    [violation] = sandbox.violations
    assert (violation.path, violation.status, violation.code) == (endpoint.url, 500, 10062)

    status, body = await callback(rest, sandbox, h.payload, {"type": 4, "data": {"content": "x"}})
    assert status == 404 and (body or {})["code"] == 10062


async def test_an_endpoint_slower_than_the_deadline_fails_the_interaction(
    sandbox: Sandbox, demo: DemoGuild, endpoint: Endpoint, rest: aiohttp.ClientSession
) -> None:
    async def hang(payload: Json) -> web.StreamResponse:
        await endpoint.release.wait()  # until teardown: far beyond the deadline
        return web.json_response({"type": 4, "data": {"content": "too late"}})

    endpoint.answer = hang
    sandbox.interaction_deadline = 0.3
    h = await sandbox.invoke_command(demo.alice_id, demo.general_id, "hello")
    await sandbox.wait_until(lambda: h.record.failure, what="the interaction to fail")
    assert h.record.http_status is None and not h.responded
    assert [(v.status, v.code) for v in sandbox.violations] == [(0, 10062)]
    assert "no answer within 0.3s" in sandbox.violations[0].message

    status, body = await callback(rest, sandbox, h.payload, {"type": 4, "data": {"content": "x"}})
    assert status == 404 and (body or {})["code"] == 10062
    assert [v.code for v in sandbox.violations] == [10062, 10062]


async def test_none_switches_back_to_the_gateway(
    sandbox: Sandbox, demo: DemoGuild, endpoint: Endpoint
) -> None:
    await sandbox.set_interactions_endpoint(None)
    assert sandbox.interactions_endpoint_url is None
    h = await sandbox.invoke_command(demo.alice_id, demo.general_id, "hello")
    [event] = sandbox.find_events("INTERACTION_CREATE")
    assert event["id"] == h.id
    assert not endpoint.verified and sandbox.endpoint.pending == 0


async def test_stopping_cancels_deliveries_in_flight(
    endpoints: Callable[..., Awaitable[Endpoint]],
    rest: aiohttp.ClientSession,
    caplog: pytest.LogCaptureFixture,
    recwarn: pytest.WarningsRecorder,
) -> None:
    arrived = asyncio.Event()
    async with Sandbox.running() as sb:
        demo = sb.create_demo_guild()
        hub = await endpoints()

        async def hang(payload: Json) -> web.StreamResponse:
            arrived.set()
            await hub.release.wait()
            return web.Response(status=202)

        hub.key = VerifyKey(bytes.fromhex(sb.verify_key))
        hub.answer = hang
        await sb.set_interactions_endpoint(hub.url)
        app = sb.application_id
        command = [{"name": "hello", "description": "Say hello", "type": 1}]
        async with rest.put(
            f"{sb.api_url}/applications/{app}/commands",
            json=command,
            headers={"Authorization": f"Bot {sb.token}"},
        ) as resp:
            assert resp.status == 200
        h = await sb.invoke_command(demo.alice_id, demo.general_id, "hello")
        async with asyncio.timeout(5):
            await arrived.wait()
        assert sb.endpoint.pending == 1
    assert sb.endpoint.pending == 0 and not h.record.http_pending
    gc.collect()
    assert not [r for r in caplog.records if r.name == "asyncio"]
    assert not [w for w in recwarn if issubclass(w.category, ResourceWarning)]
