"""Processes starting together on a fresh database: every one migrates without error.

Real processes: Alembic keeps its context in module globals, so migrations running concurrently
in one interpreter would trip over each other in a way separate processes never do."""

from __future__ import annotations

import asyncio
import subprocess
import sys

import pytest

from forumbot.storage.db import current_revisions, head_revisions

MIGRATE = "import asyncio, sys; from forumbot.storage.db import upgrade_database; " \
    "asyncio.run(upgrade_database(sys.argv[1]))"  # fmt: skip


@pytest.mark.parametrize("empty", ["empty_sqlite_url", "empty_pg_url"])
def test_concurrent_migrations_on_a_fresh_database_all_succeed(
    empty: str, request: pytest.FixtureRequest
) -> None:
    url = str(request.getfixturevalue(empty))
    procs = [
        subprocess.Popen([sys.executable, "-c", MIGRATE, url], stderr=subprocess.PIPE, text=True)
        for _ in range(3)
    ]
    results = [(p.wait(timeout=120), p.stderr.read() if p.stderr else "") for p in procs]
    assert [code for code, _ in results] == [0, 0, 0], [err[-800:] for _, err in results]
    assert set(asyncio.run(current_revisions(url))) == set(head_revisions())
