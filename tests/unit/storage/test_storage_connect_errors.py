"""A failure to connect to PostgreSQL reaches callers as SQLAlchemy's OperationalError (as with
psycopg2), so code that retries or reports on database errors sees an outage for what it is.
asyncpg's own errors raised while connecting (refused, "the database system is starting up")
used to come through unwrapped."""

from __future__ import annotations

import asyncio
import sqlite3
import struct
from collections.abc import AsyncIterator

import asyncpg
import pytest
from sqlalchemy.exc import OperationalError

from forumbot.storage.db import innermost_cause, is_unavailable, is_unreachable
from tests.fixtures.db import closed_port, connect_and_select

SSL_REQUEST, GSSENC_REQUEST = 80877103, 80877104


async def refusing_server(code: str, message: str) -> AsyncIterator[int]:
    """A server that answers every connection as PostgreSQL does while it cannot take one:
    no to encryption, then a FATAL ErrorResponse with `code` after the startup message."""

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                length, request = struct.unpack("!ii", await reader.readexactly(8))
                if request in (SSL_REQUEST, GSSENC_REQUEST):
                    writer.write(b"N")
                    continue
                await reader.readexactly(length - 8)  # the startup message's parameters
                break
            fields = (
                b"".join(
                    kind + value.encode() + b"\0"
                    for kind, value in (
                        (b"S", "FATAL"),
                        (b"V", "FATAL"),
                        (b"C", code),
                        (b"M", message),
                    )
                )
                + b"\0"
            )
            writer.write(b"E" + struct.pack("!i", len(fields) + 4) + fields)
            await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(serve, "127.0.0.1", 0)
    try:
        yield server.sockets[0].getsockname()[1]
    finally:
        server.close()
        await server.wait_closed()


@pytest.fixture
async def starting_up() -> AsyncIterator[int]:
    async for port in refusing_server("57P03", "the database system is starting up"):
        yield port


@pytest.fixture
async def no_such_database() -> AsyncIterator[int]:
    async for port in refusing_server("3D000", 'database "nope" does not exist'):
        yield port


async def test_a_refused_connection_is_an_operational_error() -> None:
    with pytest.raises(OperationalError) as raised:
        await connect_and_select(f"postgresql://postgres@127.0.0.1:{closed_port()}/test")
    assert isinstance(innermost_cause(raised.value), ConnectionRefusedError)
    assert is_unreachable(raised.value) and is_unavailable(raised.value)


async def test_a_server_starting_up_is_an_operational_error(starting_up: int) -> None:
    with pytest.raises(OperationalError) as raised:
        await connect_and_select(f"postgresql://postgres@127.0.0.1:{starting_up}/test")
    cause = innermost_cause(raised.value)
    assert isinstance(cause, asyncpg.CannotConnectNowError), repr(cause)
    assert "starting up" in str(raised.value)
    assert is_unreachable(raised.value)


async def test_a_missing_database_is_an_operational_error_but_not_an_outage(
    no_such_database: int,
) -> None:
    with pytest.raises(OperationalError) as raised:
        await connect_and_select(f"postgresql://postgres@127.0.0.1:{no_such_database}/nope")
    assert isinstance(innermost_cause(raised.value), asyncpg.InvalidCatalogNameError)
    assert not is_unreachable(raised.value) and not is_unavailable(raised.value)


def test_a_locked_sqlite_file_is_unavailable_and_a_missing_table_is_not() -> None:
    locked = OperationalError("INSERT", {}, sqlite3.OperationalError("database is locked"))
    missing = OperationalError("SELECT", {}, sqlite3.OperationalError("no such table: x"))
    assert is_unavailable(locked) and not is_unreachable(locked)
    assert not is_unavailable(missing)
