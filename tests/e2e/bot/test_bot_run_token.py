"""`forumbot run` with a token against a Discord-compatible server given by URL (the sandbox):
the production path in a real subprocess — migrations, connect, command sync, clean stop, and
the token never in the logs."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

from forumbot.sandbox import DemoGuild, Sandbox


async def test_run_with_token_and_custom_urls(
    sandbox: Sandbox, demo: DemoGuild, tmp_path: Path
) -> None:
    env = {
        **os.environ,
        "DISCORD_TOKEN": sandbox.token,
        "FORUMBOT_DISCORD_API_URL": sandbox.api_url,
        "FORUMBOT_DISCORD_GATEWAY_URL": sandbox.gateway_url,
        "FORUMBOT_DATA_DIR": str(tmp_path),
        "FORUMBOT_LOG_LEVEL": "DEBUG",
    }
    env.pop("FORUMBOT_DATABASE_URL", None)
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        "from forumbot.cli import main; main()",
        "run",
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        await sandbox.wait_until_connected(timeout=30)
        await sandbox.wait_for_request("PUT", r"/commands$", timeout=30, since=0)
        handle = await sandbox.invoke_command(
            demo.alice_id, demo.general_id, "search", {"query": "anything"}
        )
        # A generous bound: the bot is a fresh process (cold imports) on a possibly busy machine.
        assert "No passages match" in await handle.text(timeout=30)
    finally:
        proc.send_signal(signal.SIGINT)
        _out, err = await asyncio.wait_for(proc.communicate(), 30)
    logs = err.decode()
    assert proc.returncode == 0, logs[-2000:]
    assert (tmp_path / "forumbot.sqlite3").exists()  # migrated its own database
    assert "commands synced" in logs
    assert sandbox.token not in logs
    sandbox.assert_no_violations()
