"""What a person sees when a command fails: a database outage is said as such (not the generic
"something went wrong" of a bug), a bug stays generic."""

from __future__ import annotations

import sqlite3
from types import SimpleNamespace
from typing import Any

import asyncpg
from discord import app_commands
from sqlalchemy.exc import OperationalError

from cogs._errors import GENERIC, user_message
from forumbot.services.errors import DATABASE_UNAVAILABLE, database_unavailable


def invoke_error(cause: Exception) -> app_commands.CommandInvokeError:
    command: Any = SimpleNamespace(name="search")
    return app_commands.CommandInvokeError(command, cause)


def test_a_database_outage_is_told_as_one() -> None:
    for cause in (
        OperationalError("connect", {}, ConnectionRefusedError("refused")),
        OperationalError("connect", {}, asyncpg.CannotConnectNowError("starting up")),
        OperationalError("INSERT", {}, sqlite3.OperationalError("database is locked")),
    ):
        assert user_message(invoke_error(cause)) == DATABASE_UNAVAILABLE
        assert database_unavailable(cause) == DATABASE_UNAVAILABLE


def test_a_bug_is_not_an_outage() -> None:
    assert user_message(invoke_error(ValueError("bug"))) is None  # logged, GENERIC shown
    missing = OperationalError("SELECT", {}, Exception("no such table: x"))
    assert user_message(invoke_error(missing)) is None
    assert GENERIC != DATABASE_UNAVAILABLE
