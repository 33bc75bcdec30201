"""run_or_fail, shared by the CLI's command modules: every failure of a command's coroutine is
one `error: ...` line on stderr and exit code 1, never a traceback."""

from __future__ import annotations

import asyncpg
import pytest
from sqlalchemy.exc import OperationalError

from forumbot.cli.app import run_or_fail
from forumbot.services.errors import UserFacingError
from tests.fixtures.db import closed_port, connect_and_select


class Expected(Exception):
    pass


async def raising(exc: Exception) -> int:
    raise exc


async def answer() -> int:
    return 42


@pytest.mark.parametrize(
    ("exc", "expected", "line"),
    [
        (
            UserFacingError("No feed 9.\nTry /feeds list."),
            (),
            "error: No feed 9.; Try /feeds list.",
        ),
        (Expected("bad rule"), (Expected,), "error: bad rule"),
        (ConnectionRefusedError("refused"), (), "error: cannot reach the database: refused"),
        (
            OperationalError("SELECT 1", {}, Exception("locked\nmore")),
            (),
            "error: database error: (builtins.Exception) locked",
        ),
        (Expected("bad rule"), (), "error: unexpected error (Expected): bad rule"),
        (
            # A failure to connect, as storage.db reports it (wrapped as OperationalError).
            OperationalError(
                "connect", {}, asyncpg.CannotConnectNowError("the database system is starting up")
            ),
            (),
            "error: cannot reach the database: the database system is starting up",
        ),
    ],
)
def test_each_failure_is_one_line_and_exit_1(
    exc: Exception,
    expected: tuple[type[Exception], ...],
    line: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit) as exited:
        run_or_fail(raising(exc), expected=expected)
    assert exited.value.code == 1
    err = capsys.readouterr().err
    assert err == line + "\n"


def test_the_result_is_returned() -> None:
    assert run_or_fail(answer()) == 42


def test_a_postgresql_server_that_is_down_cannot_be_reached(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit):
        run_or_fail(connect_and_select(f"postgresql://postgres@127.0.0.1:{closed_port()}/test"))
    err = capsys.readouterr().err
    assert err.startswith("error: cannot reach the database: [Errno 111]"), err
    assert err.count("\n") == 1
