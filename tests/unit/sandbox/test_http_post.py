"""The sandbox's keep-alive POST client against a real aiohttp server: bodies by length, by
chunks and until close, connection reuse, a stale idle connection, and failures."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import pytest
from aiohttp import web

from forumbot.sandbox.http_post import KeepAlivePoster, PostError


@contextlib.asynccontextmanager
async def server(app: web.Application) -> AsyncIterator[str]:
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        await runner.cleanup()


def echo_app() -> tuple[web.Application, list[str]]:
    peers: list[str] = []

    async def echo(request: web.Request) -> web.StreamResponse:
        peers.append(str(request.transport.get_extra_info("peername") if request.transport else ""))
        body = await request.read()
        assert request.headers["X-Test"] == "yes"
        if request.query.get("mode") == "chunked":
            resp = web.StreamResponse(status=200)
            resp.enable_chunked_encoding()
            await resp.prepare(request)
            for part in (b"ab", b"", b"cde", body):
                if part:
                    await resp.write(part)
            await resp.write_eof()
            return resp
        if request.query.get("mode") == "close":
            return web.Response(status=201, body=b"bye" + body, headers={"Connection": "close"})
        if request.query.get("mode") == "empty":
            return web.Response(status=202)
        return web.Response(status=200, body=body[::-1], content_type="application/json")

    app = web.Application()
    app.router.add_post("/echo", echo)
    return app, peers


async def test_bodies_by_length_chunks_and_empty_and_connection_reuse() -> None:
    app, peers = echo_app()
    poster = KeepAlivePoster()
    async with server(app) as base:
        try:
            headers = {"X-Test": "yes", "Content-Type": "application/json"}
            assert await poster.post(f"{base}/echo", b'{"a":1}', headers) == (200, b'}1:"a"{')
            assert await poster.post(f"{base}/echo?mode=chunked", b"Z", headers) == (
                200,
                b"abcdeZ",
            )
            assert await poster.post(f"{base}/echo?mode=empty", b"x", headers) == (202, b"")
            assert await poster.post(f"{base}/echo", b"\xff" * 70_000, headers) == (
                200,
                b"\xff" * 70_000,
            )
            assert len(set(peers)) == 1, "one keep-alive connection for all of them"
            assert await poster.post(f"{base}/echo?mode=close", b"!", headers) == (201, b"bye!")
            assert await poster.post(f"{base}/echo", b"12", headers) == (200, b"21")
            assert len(set(peers)) == 2, "a new connection after the server closed one"
        finally:
            await poster.close()


async def test_an_idle_connection_the_server_dropped_is_replaced() -> None:
    app, _peers = echo_app()
    poster = KeepAlivePoster()
    try:
        async with server(app) as base:
            assert (await poster.post(f"{base}/echo", b"1", {"X-Test": "yes"}))[0] == 200
            port = int(base.rsplit(":", 1)[1])
        # The server is gone (its idle connection closed); a new one on the same port.
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", port).start()
        try:
            status, body = await poster.post(
                f"http://127.0.0.1:{port}/echo", b"ok", {"X-Test": "yes"}
            )
            assert (status, body) == (200, b"ko")
        finally:
            await runner.cleanup()
    finally:
        await poster.close()


async def test_failures_raise_os_errors_and_leave_nothing_broken_in_the_pool() -> None:
    poster = KeepAlivePoster()
    try:
        # Nothing listening.
        async with server(web.Application()) as base:
            dead = base
        with pytest.raises(OSError):
            await poster.post(f"{dead}/echo", b"x", {})

        # A server that answers garbage, and one that hangs up mid-answer.
        async def garbage(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            await reader.readuntil(b"\r\n\r\n")
            writer.write(b"NONSENSE\r\n\r\n")
            await writer.drain()
            writer.close()

        async def hangs_up(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            await reader.readuntil(b"\r\n\r\n")
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nshort")
            await writer.drain()
            writer.close()

        for handler in (garbage, hangs_up):
            srv = await asyncio.start_server(handler, "127.0.0.1", 0)
            port = srv.sockets[0].getsockname()[1]
            try:
                with pytest.raises(PostError):
                    await poster.post(f"http://127.0.0.1:{port}/x", b"{}", {})
            finally:
                srv.close()
                await srv.wait_closed()

        # A timeout mid-exchange: the connection is not returned to the pool.
        async def slow(request: web.Request) -> web.Response:
            await asyncio.sleep(1)
            return web.Response()

        app = web.Application()
        app.router.add_post("/slow", slow)
        async with server(app) as base:
            with pytest.raises(TimeoutError):
                async with asyncio.timeout(0.2):
                    await poster.post(f"{base}/slow", b"", {})
            assert not any(poster._idle.values())
    finally:
        await poster.close()
