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
