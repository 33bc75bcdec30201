"""Run a discord.py client against a sandbox for the length of an `async with` block."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import TypeVar

import discord

from .server import Sandbox
from .wire import point_discord_at

ClientT = TypeVar("ClientT", bound=discord.Client)


@contextlib.asynccontextmanager
async def connected(
    client: ClientT,
    sandbox: Sandbox,
    *,
    timeout: float = 10.0,  # noqa: ASYNC109
) -> AsyncIterator[ClientT]:
    """Start `client` with the sandbox token, wait for `on_ready`, close it on exit.

    Leaving the block is how tests "kill" a bot; entering again with a new client restarts one
    against the same server state.
    """
    point_discord_at(sandbox.api_url, sandbox.gateway_url)
    task = asyncio.create_task(client.start(sandbox.token), name="sandbox-client")
    ready = asyncio.create_task(client.wait_until_ready())
    try:
        done, _ = await asyncio.wait(
            {task, ready}, timeout=timeout, return_when=asyncio.FIRST_COMPLETED
        )
        if task in done:
            task.result()  # re-raise why the client stopped
            raise RuntimeError("client stopped before it was ready")
        if ready not in done:
            raise TimeoutError(f"client not ready after {timeout}s")
        yield client
    finally:
        ready.cancel()
        if not client.is_closed():
            await client.close()
        with contextlib.suppress(asyncio.CancelledError):
            await task
