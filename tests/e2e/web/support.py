"""The dashboard served beside a configured bot on the sandbox, and a signed-in HTTP client
that goes through the sandbox's OAuth2 page exactly as a browser would."""

from __future__ import annotations

import asyncio
import re
import socket
import time
from dataclasses import dataclass
from typing import Any

import aiohttp

from forumbot.sandbox import DemoGuild, Sandbox
from forumbot.web import WebContext


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Dashboard:
    url: str
    context: WebContext
    sandbox: Sandbox
    demo: DemoGuild

    @property
    def guild(self) -> str:
        return f"{self.url}/g/{self.demo.guild_id}"


class Member:
    """An aiohttp session signed in to the dashboard as one sandbox user."""

    def __init__(self, http: aiohttp.ClientSession, dashboard: Dashboard) -> None:
        self.http = http
        self.dashboard = dashboard

    async def get(self, path: str) -> tuple[int, str]:
        async with self.http.get(self.dashboard.url + path) as resp:
            return resp.status, await resp.text()

    async def csrf(self, path: str = "/") -> str:
        _, html = await self.get(path)
        found = re.search(r'name="csrf" value="([^"]+)"', html)
        assert found, "no CSRF token on the page"
        return found.group(1)

    async def post(self, path: str, data: dict[str, Any], *, csrf: bool = True) -> tuple[int, str]:
        if csrf:
            data = {**data, "csrf": await self.csrf()}
        async with self.http.post(self.dashboard.url + path, data=data) as resp:
            return resp.status, await resp.text()


async def sign_in(http: aiohttp.ClientSession, dashboard: Dashboard, user_id: str) -> Member:
    """/login → the sandbox's authorize page → pick the user → the callback sets the cookie."""
    async with http.get(dashboard.url + "/login", allow_redirects=True) as page:
        assert page.status == 200, await page.text()
        authorize = str(page.url)
    async with http.get(authorize + f"&user={user_id}", allow_redirects=True) as done:
        assert done.status == 200, await done.text()
        assert str(done.url).startswith(dashboard.url)
    return Member(http, dashboard)


async def fresh_window(seconds: int = 60, spare: float = 8) -> None:
    """Start in a fixed rate-limit window with time to spare (windows are whole minutes)."""
    left = seconds - time.time() % seconds
    if left < spare:
        await asyncio.sleep(left + 0.1)
