"""The safe fetcher against a real local server: addresses refused before connecting and after
redirects, limits on time, size, redirects and decompression, content types, charsets, and one
clear error per failure kind."""

from __future__ import annotations

import gzip
from typing import Any

import pytest

from forumbot.fetch import AllowList, Fetcher, FetchError, FetchLimits, refusal
from tests.fixtures.webserver import WebServer, page_html

LIMIT = 200_000


def fetcher(server: WebServer, **limits: float) -> Fetcher:
    return Fetcher(FetchLimits(max_bytes=LIMIT, **limits), AllowList.parse(server.allow))


@pytest.mark.parametrize(
    ("address", "why"),
    [
        ("127.0.0.1", "loopback"),
        ("::1", "loopback"),
        ("10.1.2.3", "private"),
        ("192.168.0.1", "private"),
        ("172.16.5.5", "private"),
        ("169.254.169.254", "link-local"),
        ("fe80::1", "link-local"),
        ("224.0.0.1", "multicast"),
        ("ff02::1", "multicast"),
        ("0.0.0.0", "unspecified"),
        ("::ffff:127.0.0.1", "loopback"),
        ("100.64.0.1", "private"),
        ("240.0.0.1", "private"),
    ],
)
def test_non_public_addresses_are_refused(address: str, why: str) -> None:
    assert refusal(address) is not None
    assert refusal(address) in (why, "reserved", "private")


def test_public_addresses_pass() -> None:
    assert refusal("93.184.216.34") is None
    assert refusal("2606:2800:220:1:248:1893:25c8:1946") is None


def test_allow_list_parses_hosts_and_ports() -> None:
    allow = AllowList.parse(" wiki.internal , 127.0.0.1:8080,[::1]:9000 ")
    assert allow.allows("wiki.internal", 443)
    assert allow.allows("127.0.0.1", 8080) and not allow.allows("127.0.0.1", 8081)
    assert allow.allows("::1", 9000)
    with pytest.raises(ValueError):
        AllowList.parse("host:notaport")


async def test_page_is_fetched_with_charset_from_header_then_meta(webserver: WebServer) -> None:
    webserver.page("/a", page_html("A", ["één"]).encode("utf-8"))
    latin = page_html("B", ["café"]).replace("<head>", '<head><meta charset="iso-8859-1">')
    webserver.page("/b", latin.encode("latin-1"), content_type="text/html")
    got = await fetcher(webserver).get(webserver.url("/a"), want="html")
    assert got.status == 200 and got.charset == "utf-8" and "één".encode() in got.body
    got = await fetcher(webserver).get(webserver.url("/b"), want="html")
    assert got.charset == "iso8859-1"


async def test_loopback_without_allow_list_is_refused_before_connecting(
    webserver: WebServer,
) -> None:
    plain = Fetcher(FetchLimits(max_bytes=LIMIT))
    for url in (webserver.url("/a"), f"http://localhost:{webserver.port}/a"):
        with pytest.raises(FetchError) as caught:
            await plain.get(url, want="html")
        assert caught.value.kind == "blocked", caught.value
        assert "loopback" in str(caught.value)
    assert webserver.hits["/a"] == 0


async def test_a_name_resolving_to_loopback_is_refused_by_the_resolver(
    webserver: WebServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A public-looking name whose DNS answer is loopback (rebinding): the resolver itself must
    # refuse it. The answer is planted in the event loop's getaddrinfo, so this runs everywhere.
    import asyncio
    import socket

    loop = asyncio.get_running_loop()
    real = loop.getaddrinfo

    async def planted(host: Any, *args: Any, **kwargs: Any) -> Any:
        if host == "rebound.example":
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", webserver.port))]
        return await real(host, *args, **kwargs)

    monkeypatch.setattr(loop, "getaddrinfo", planted)
    plain = Fetcher(FetchLimits(max_bytes=LIMIT))
    with pytest.raises(FetchError) as caught:
        await plain.get(f"http://rebound.example:{webserver.port}/a", want="html")
    assert caught.value.kind == "blocked"
    assert webserver.hits["/a"] == 0


async def test_redirect_to_a_private_address_is_refused(webserver: WebServer) -> None:
    for target in ("http://10.0.0.1/admin", "http://169.254.169.254/latest/meta-data/"):
        with pytest.raises(FetchError) as caught:
            await fetcher(webserver).get(webserver.url(f"/redirect?to={target}"), want="html")
        assert caught.value.kind == "blocked", caught.value


async def test_other_schemes_are_refused(webserver: WebServer) -> None:
    for url in ("file:///etc/passwd", "ftp://example.org/x", "gopher://x", "javascript:alert(1)"):
        with pytest.raises(FetchError) as caught:
            await fetcher(webserver).get(url, want="html")
        assert caught.value.kind == "url"
    with pytest.raises(FetchError) as caught:
        await fetcher(webserver).get(webserver.url("/redirect?to=file:///etc/passwd"), want="html")
    assert caught.value.kind == "url"


async def test_at_most_five_redirects(webserver: WebServer) -> None:
    got = await fetcher(webserver).get(webserver.url("/redirects/5"), want="html")
    assert got.url.endswith("/redirects/0")
    with pytest.raises(FetchError) as caught:
        await fetcher(webserver).get(webserver.url("/redirects/6"), want="html")
    assert caught.value.kind == "redirects" and "more than 5 redirects" in str(caught.value)


async def test_endless_and_huge_bodies_are_cut_off(webserver: WebServer) -> None:
    for path in ("/endless", "/huge"):
        with pytest.raises(FetchError) as caught:
            await fetcher(webserver).get(webserver.url(path), want="html")
        assert caught.value.kind == "too_large", caught.value


async def test_gzip_bomb_is_bounded_after_decompression(webserver: WebServer) -> None:
    with pytest.raises(FetchError) as caught:
        await fetcher(webserver).get(webserver.url("/gzip-bomb"), want="html")
    assert caught.value.kind == "too_large"


async def test_gzip_page_is_decompressed(webserver: WebServer) -> None:
    body = gzip.compress(page_html("Z", ["zipped text"]).encode())
    webserver.page("/z", body, headers={"Content-Encoding": "gzip"})
    got = await fetcher(webserver).get(webserver.url("/z"), want="html")
    assert b"zipped text" in got.body


async def test_slow_and_stalled_bodies_time_out(webserver: WebServer) -> None:
    with pytest.raises(FetchError) as caught:
        await fetcher(webserver, total_timeout=1.5).get(webserver.url("/slow"), want="html")
    assert caught.value.kind == "timeout"
    with pytest.raises(FetchError) as caught:
        await fetcher(webserver, read_timeout=0.5).get(webserver.url("/stall"), want="html")
    assert caught.value.kind == "timeout"


async def test_http_errors_name_status_and_retry_after(webserver: WebServer) -> None:
    with pytest.raises(FetchError) as caught:
        await fetcher(webserver).get(webserver.url("/status/429?retry_after=120"), want="feed")
    assert caught.value.status == 429 and caught.value.retry_after == 120
    assert caught.value.retryable and "HTTP 429" in str(caught.value)
    with pytest.raises(FetchError) as caught:
        await fetcher(webserver).get(webserver.url("/status/503"), want="feed")
    assert caught.value.retryable and caught.value.status == 503
    with pytest.raises(FetchError) as caught:
        await fetcher(webserver).get(webserver.url("/status/404"), want="feed")
    assert not caught.value.retryable and "HTTP 404" in str(caught.value)


async def test_content_type_is_checked(webserver: WebServer) -> None:
    webserver.page("/img", b"\x89PNG....", content_type="image/png")
    with pytest.raises(FetchError) as caught:
        await fetcher(webserver).get(webserver.url("/img"), want="html")
    assert caught.value.kind == "content_type" and "image/png" in str(caught.value)


async def test_conditional_request_answers_304(webserver: WebServer) -> None:
    webserver.page("/feed", "<rss/>", content_type="application/rss+xml", conditional=True)
    first = await fetcher(webserver).get(webserver.url("/feed"), want="feed")
    assert first.etag and first.last_modified
    again = await fetcher(webserver).get(
        webserver.url("/feed"), want="feed", etag=first.etag, last_modified=first.last_modified
    )
    assert again.not_modified and again.body == b""
    # A server that gave only Last-Modified: If-Modified-Since alone is answered 304 too.
    by_date = await fetcher(webserver).get(
        webserver.url("/feed"), want="feed", last_modified=first.last_modified
    )
    assert by_date.not_modified
    assert webserver.requests[-1][1].get("If-Modified-Since") == first.last_modified
    assert "If-None-Match" not in webserver.requests[-1][1]


async def test_dns_failure_and_refused_connection(webserver: WebServer) -> None:
    with pytest.raises(FetchError) as caught:
        await Fetcher(FetchLimits(max_bytes=LIMIT)).get("http://no-such-host.invalid/", want="html")
    assert caught.value.kind in ("dns", "blocked")
    await webserver.stop()
    with pytest.raises(FetchError) as caught:
        await fetcher(webserver).get(webserver.url("/a"), want="html")
    assert caught.value.kind == "refused"
