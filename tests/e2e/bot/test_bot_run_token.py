"""`forumbot run` with a token against a Discord-compatible server given by URL (the sandbox):
the production path in a real subprocess — migrations, connect, command sync, clean stop, and
the token never in the logs."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
from pathlib import Path

from forumbot.sandbox import DemoGuild, Sandbox


def run_env(sandbox: Sandbox, tmp_path: Path, **settings: str) -> dict[str, str]:
    """The environment of `forumbot run` with the sandbox's token and URLs, its own data dir."""
    env = {
        **os.environ,
        "DISCORD_TOKEN": sandbox.token,
        "FORUMBOT_DISCORD_API_URL": sandbox.api_url,
        "FORUMBOT_DISCORD_GATEWAY_URL": sandbox.gateway_url,
        "FORUMBOT_DATA_DIR": str(tmp_path),
        **settings,
    }
    for inherited in ("FORUMBOT_DATABASE_URL", "FORUMBOT_INTERACTIONS_PUBLIC_KEY"):
        if inherited not in settings:
            env.pop(inherited, None)
    return env


async def forumbot_run(env: dict[str, str], *, stdout: int) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        "from forumbot.cli import main; main()",
        "run",
        env=env,
        stdout=stdout,
        stderr=asyncio.subprocess.PIPE,
    )


async def test_run_with_token_and_custom_urls(
    sandbox: Sandbox, demo: DemoGuild, tmp_path: Path
) -> None:
    env = run_env(sandbox, tmp_path, FORUMBOT_LOG_LEVEL="DEBUG")
    proc = await forumbot_run(env, stdout=asyncio.subprocess.DEVNULL)
    lines: list[str] = []
    settled = asyncio.Event()

    async def read_logs() -> None:
        assert proc.stderr is not None
        async for raw in proc.stderr:
            lines.append(raw.decode(errors="replace"))
            if "heap settled after start-up" in lines[-1]:
                settled.set()

    reader = asyncio.create_task(read_logs())
    try:
        await sandbox.wait_until_connected(timeout=30)
        await sandbox.wait_for_request("PUT", r"/commands$", timeout=30, since=0)
        handle = await sandbox.invoke_command(
            demo.alice_id, demo.general_id, "search", {"query": "anything"}
        )
        # A generous bound: the bot is a fresh process (cold imports) on a possibly busy machine.
        assert "archive is empty" in await handle.text(timeout=30)
        # Once ready (after the guild's members arrived), the start-up heap is frozen.
        await asyncio.wait_for(settled.wait(), 30)
    finally:
        proc.send_signal(signal.SIGINT)
        await asyncio.wait_for(proc.wait(), 30)
        await reader
    logs = "".join(lines)
    assert proc.returncode == 0, logs[-2000:]
    assert (tmp_path / "forumbot.sqlite3").exists()  # migrated its own database
    assert "commands synced" in logs
    assert logs.count("heap settled after start-up") == 1
    assert sandbox.token not in logs
    sandbox.assert_no_violations()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


async def test_run_with_an_interactions_endpoint(
    sandbox: Sandbox, demo: DemoGuild, tmp_path: Path
) -> None:
    """FORUMBOT_INTERACTIONS_LISTEN: the sandbox validates the endpoint like Discord (with the
    key the bot read from the application) and delivers /search to it by signed POST."""
    port = free_port()
    env = run_env(sandbox, tmp_path, FORUMBOT_INTERACTIONS_LISTEN=f"127.0.0.1:{port}")
    proc = await forumbot_run(env, stdout=asyncio.subprocess.PIPE)
    try:
        await sandbox.wait_until_connected(timeout=30)
        await sandbox.wait_for_request("PUT", r"/commands$", timeout=30, since=0)
        await sandbox.set_interactions_endpoint(f"http://127.0.0.1:{port}/interactions")
        handle = await sandbox.invoke_command(
            demo.alice_id, demo.general_id, "search", {"query": "anything"}
        )
        assert "archive is empty" in await handle.text(timeout=30)
        assert handle.record.response_via == "callback"  # answered 202, then the callback
    finally:
        await sandbox.set_interactions_endpoint(None)
        proc.send_signal(signal.SIGINT)
        _out, err = await asyncio.wait_for(proc.communicate(), 30)
    logs = err.decode()
    assert proc.returncode == 0, logs[-2000:]
    assert "interactions endpoint listening" in logs
    sandbox.assert_no_violations()


async def test_run_refuses_a_taken_interactions_port_in_one_line(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        listen = f"127.0.0.1:{taken.getsockname()[1]}"
        env = run_env(sandbox, tmp_path, FORUMBOT_INTERACTIONS_LISTEN=listen)
        proc = await forumbot_run(env, stdout=asyncio.subprocess.PIPE)
        _out, err = await asyncio.wait_for(proc.communicate(), 60)
    logs = err.decode()
    assert proc.returncode == 1, logs[-2000:]
    assert "error: cannot listen on 127.0.0.1" in logs
    assert "Traceback" not in logs
    assert sandbox.token not in logs
