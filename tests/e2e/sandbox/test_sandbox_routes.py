"""The REST router: unknown routes and wrong methods are answered and recorded as violations."""

from __future__ import annotations

import aiohttp

from forumbot.sandbox import DemoGuild, Sandbox


async def test_unknown_routes_and_methods(sandbox: Sandbox, demo: DemoGuild) -> None:
    headers = {"Authorization": f"Bot {sandbox.token}"}
    async with aiohttp.ClientSession(headers=headers) as http:
        for method, path, status in (
            ("GET", f"/channels/{demo.general_id}", 200),
            ("GET", f"/channels/{demo.general_id}/nope", 404),
            ("GET", "/nope", 404),
            ("GET", "/", 404),
            ("PUT", f"/channels/{demo.general_id}", 405),
            ("GET", "/users/@me", 200),
        ):
            async with http.request(method, sandbox.api_url + path) as resp:
                assert resp.status == status, (method, path)
    assert [(v.method, v.status) for v in sandbox.violations] == [
        ("GET", 404),
        ("GET", 404),
        ("GET", 404),
        ("PUT", 405),
    ]


async def test_recorded_answers_are_snapshots(sandbox: Sandbox, demo: DemoGuild) -> None:
    """Handlers answer with live state; what is recorded is what was sent, and changing it
    changes nothing in the sandbox."""
    headers = {"Authorization": f"Bot {sandbox.token}"}
    messages = f"{sandbox.api_url}/channels/{demo.general_id}/messages"
    async with aiohttp.ClientSession(headers=headers) as http:
        async with http.post(messages, json={"content": "first"}) as resp:
            sent = await resp.json()
        async with http.patch(f"{messages}/{sent['id']}", json={"content": "second"}) as resp:
            assert resp.status == 200
    created = sandbox.find_requests("POST", r"/messages$")[-1]
    assert created.response == sent and created.response["content"] == "first"
    created.response["content"] = "changed"
    assert created.response["content"] == "first"
    assert sandbox.world.messages[sent["id"]]["content"] == "second"
