"""Fetch one URL safely: http(s) only, public addresses only (checked on every hop and on the
address actually connected to), at most MAX_REDIRECTS redirects, connect/read/total timeouts,
the body capped while it streams and again after decompression, the content type checked."""

from __future__ import annotations

import asyncio
import email.utils
import socket
import time
import zlib
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import urljoin, urlsplit

import aiohttp
from aiohttp.abc import ResolveResult
from multidict import CIMultiDict, CIMultiDictProxy

from .addresses import AllowList, refusal
from .charset import header_charset, meta_charset
from .errors import FetchError

MAX_REDIRECTS = 5
CHUNK = 64 * 1024
USER_AGENT = "forumbot/0.1 (article archive; +https://github.com/)"
Want = Literal["html", "feed"]

HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})
FEED_TYPES = frozenset(
    {
        "application/rss+xml",
        "application/atom+xml",
        "application/rdf+xml",
        "application/xml",
        "text/xml",
        "application/feed+json",
        "application/json",
        "text/plain",  # many servers label feeds so; the parser decides
        "text/html",  # likewise (and a feed URL that answers a page is said so by the parser)
        "application/octet-stream",
    }
)
ACCEPT = {
    "html": "text/html,application/xhtml+xml;q=0.9,*/*;q=0.1",
    "feed": "application/rss+xml,application/atom+xml,application/feed+json,"
    "application/xml;q=0.9,text/xml;q=0.9,*/*;q=0.1",
}


@dataclass(frozen=True, slots=True)
class FetchLimits:
    max_bytes: int
    connect_timeout: float = 10.0
    read_timeout: float = 20.0  # the longest silence while reading
    total_timeout: float = 60.0  # the whole fetch, redirects included (a slow drip ends here)
    max_redirects: int = MAX_REDIRECTS


@dataclass(frozen=True, slots=True)
class Fetched:
    url: str  # after redirects
    status: int  # 200, or 304 (not_modified; body empty)
    content_type: str  # media type only, lower case ("" when the server gave none)
    charset: str | None  # header's, else the page's <meta> (HTML), else None
    body: bytes  # decompressed
    headers: dict[str, str]
    etag: str | None = None
    last_modified: str | None = None

    @property
    def not_modified(self) -> bool:
        return self.status == 304


class _Refused(OSError):
    """Raised by the resolver for a non-public address; aiohttp hands it back to us."""


class GuardedResolver(aiohttp.abc.AbstractResolver):
    """Resolves with the system resolver, then refuses the host if any of its addresses is not
    public. The connector connects to the addresses returned here (and caches nothing), so a
    second DNS answer can never swap in another address after the check."""

    def __init__(self, allow: AllowList) -> None:
        self.allow = allow

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        loop = asyncio.get_running_loop()
        infos = await loop.getaddrinfo(
            host, port, type=socket.SOCK_STREAM, family=family, flags=socket.AI_ADDRCONFIG
        )
        results: list[ResolveResult] = []
        for fam, _type, proto, _name, address in infos:
            ip = str(address[0])
            why = None if self.allow.allows(host, port) else refusal(ip)
            if why is not None:
                raise _Refused(f"{host} resolves to a {why} address ({ip})")
            results.append(
                ResolveResult(
                    hostname=host,
                    host=ip,
                    port=int(address[1]),
                    family=fam,
                    proto=proto,
                    flags=socket.AI_NUMERICHOST | socket.AI_NUMERICSERV,
                )
            )
        if not results:
            raise OSError(f"{host} has no address")
        return results

    async def close(self) -> None:
        return None


class Fetcher:
    def __init__(self, limits: FetchLimits, allow: AllowList | None = None) -> None:
        self.limits = limits
        self.allow = allow or AllowList()

    async def get(
        self,
        url: str,
        *,
        want: Want,
        etag: str | None = None,
        last_modified: str | None = None,
    ) -> Fetched:
        """GET `url`, following redirects by hand so each hop is checked. FetchError on any
        failure, with a one-line reason; a 304 (when `etag`/`last_modified` were sent) is a
        result, not an error."""
        try:
            async with asyncio.timeout(self.limits.total_timeout):
                return await self._get(url, want, etag, last_modified)
        except TimeoutError:
            raise FetchError(
                "timeout", f"{_host(url)}: timed out after {self.limits.total_timeout:g} s"
            ) from None

    async def _get(
        self, url: str, want: Want, etag: str | None, last_modified: str | None
    ) -> Fetched:
        timeout = aiohttp.ClientTimeout(
            total=None, connect=self.limits.connect_timeout, sock_read=self.limits.read_timeout
        )
        connector = aiohttp.TCPConnector(
            resolver=GuardedResolver(self.allow), use_dns_cache=False, force_close=True
        )
        headers = {
            "User-Agent": USER_AGENT,
            "Accept": ACCEPT[want],
            "Accept-Encoding": "gzip, deflate",
        }
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        async with aiohttp.ClientSession(
            connector=connector, timeout=timeout, auto_decompress=False, trust_env=False
        ) as session:
            current = url
            for _hop in range(self.limits.max_redirects + 1):
                self._check_url(current)
                try:
                    async with session.get(
                        current, headers=headers, allow_redirects=False
                    ) as response:
                        if response.status in (301, 302, 303, 307, 308):
                            location = response.headers.get("Location")
                            if not location:
                                raise FetchError(
                                    "http", f"{_host(current)}: a redirect without a Location"
                                )
                            current = urljoin(current, location.strip())
                            continue
                        return await self._read(current, response, want)
                except FetchError:
                    raise
                except aiohttp.ClientConnectorError as exc:
                    raise _connect_error(current, exc) from None
                except (TimeoutError, aiohttp.ServerTimeoutError):
                    raise FetchError(
                        "timeout", f"{_host(current)}: no answer in time (read timeout)"
                    ) from None
                except aiohttp.ClientPayloadError as exc:
                    raise FetchError(
                        "refused", f"{_host(current)}: the body was cut off ({_short(exc)})"
                    ) from None
                except (aiohttp.ClientError, OSError, ValueError) as exc:
                    raise FetchError(
                        "refused", f"{_host(current)}: request failed ({_short(exc)})"
                    ) from None
            raise FetchError(
                "redirects", f"{_host(url)}: more than {self.limits.max_redirects} redirects"
            )

    def _check_url(self, url: str) -> None:
        try:
            parts = urlsplit(url)
            port = parts.port
        except ValueError:
            raise FetchError("url", f"not a valid URL: {url[:100]}") from None
        if parts.scheme.lower() not in ("http", "https"):
            raise FetchError(
                "url", f"only http:// and https:// links can be fetched, not {url[:60]}"
            )
        host = (parts.hostname or "").rstrip(".")
        if not host:
            raise FetchError("url", f"no host in {url[:100]}")
        if parts.username or parts.password:
            raise FetchError("url", "links with a user name or password are not fetched")
        port = port or (443 if parts.scheme.lower() == "https" else 80)
        if self.allow.allows(host, port):
            return
        why = refusal(host)
        # An IP written in the URL skips the resolver: check it here.
        if why is not None and why != "not an IP address":
            raise FetchError("blocked", f"{host} is a {why} address; not fetched")
        if host.lower() == "localhost" or host.lower().endswith(".localhost"):
            raise FetchError("blocked", f"{host} is a loopback address; not fetched")

    async def _read(self, url: str, response: aiohttp.ClientResponse, want: Want) -> Fetched:
        headers = {k.lower(): v for k, v in response.headers.items()}
        if response.status == 304:
            return Fetched(
                url, 304, "", None, b"", headers, headers.get("etag"), headers.get("last-modified")
            )
        if response.status >= 400 or response.status != 200:
            retry = _retry_after(response.headers) if response.status in (429, 503) else None
            wait = f" (retry after {retry:.0f} s)" if retry is not None else ""
            reason = response.reason or ""
            raise FetchError(
                "http",
                f"{_host(url)}: HTTP {response.status} {reason}".rstrip() + wait,
                status=response.status,
                retry_after=retry,
            )
        media = (response.headers.get("Content-Type") or "").split(";")[0].strip().lower()
        allowed = HTML_TYPES if want == "html" else FEED_TYPES
        if media and media not in allowed and not media.endswith(("+xml", "+json")):
            what = "an HTML page" if want == "html" else "a feed"
            raise FetchError("content_type", f"{_host(url)}: not {what} ({media})")
        limit = self.limits.max_bytes
        declared = response.content_length
        if declared is not None and declared > limit:
            raise FetchError(
                "too_large", f"{_host(url)}: too large ({declared} bytes; the limit is {limit})"
            )
        body = await _read_capped(url, response, limit)
        charset = header_charset(response.headers.get("Content-Type"))
        if charset is None and want == "html":
            charset = meta_charset(body)
        return Fetched(
            url=str(url),
            status=200,
            content_type=media,
            charset=charset,
            body=body,
            headers=headers,
            etag=headers.get("etag"),
            last_modified=headers.get("last-modified"),
        )


async def _read_capped(url: str, response: aiohttp.ClientResponse, limit: int) -> bytes:
    """Stream the body, decompressing as it comes; stop as soon as either the bytes on the wire
    or the decompressed bytes pass `limit` (an endless body or a zip bomb is never read whole)."""
    encoding = (response.headers.get("Content-Encoding") or "identity").strip().lower()
    if encoding in ("gzip", "x-gzip"):
        inflater: Any = zlib.decompressobj(16 + zlib.MAX_WBITS)
    elif encoding == "deflate":
        inflater = _Deflate()
    elif encoding in ("identity", ""):
        inflater = None
    else:
        raise FetchError("encoding", f"{_host(url)}: unsupported content encoding {encoding!r}")
    too_large = FetchError("too_large", f"{_host(url)}: larger than the limit of {limit} bytes")
    out = bytearray()
    wire = 0
    async for chunk in response.content.iter_chunked(CHUNK):
        wire += len(chunk)
        if wire > limit:
            raise too_large
        if inflater is None:
            out += chunk
        else:
            try:
                data = chunk
                while data:
                    out += inflater.decompress(data, limit + 1 - len(out))
                    if len(out) > limit:
                        raise too_large
                    data = inflater.unconsumed_tail
            except zlib.error:
                raise FetchError(
                    "encoding", f"{_host(url)}: the {encoding} body does not decompress"
                ) from None
        if len(out) > limit:
            raise too_large
    return bytes(out)


class _Deflate:
    """`Content-Encoding: deflate` is zlib-wrapped by the standard, raw deflate in practice."""

    def __init__(self) -> None:
        self._inner: Any = None
        self.unconsumed_tail = b""

    def decompress(self, data: bytes, max_length: int) -> bytes:
        if self._inner is None:
            raw = not data[:1] or (data[0] & 0x0F) != 8
            self._inner = zlib.decompressobj(-zlib.MAX_WBITS if raw else zlib.MAX_WBITS)
        out: bytes = self._inner.decompress(data, max_length)
        self.unconsumed_tail = self._inner.unconsumed_tail
        return out


def _retry_after(headers: CIMultiDictProxy[str] | CIMultiDict[str]) -> float | None:
    """Retry-After as seconds: a number, or an HTTP date."""
    value = (headers.get("Retry-After") or "").strip()
    if not value:
        return None
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def _connect_error(url: str, exc: aiohttp.ClientConnectorError) -> FetchError:
    cause = exc.os_error
    if isinstance(cause, _Refused):
        return FetchError("blocked", f"{cause}; not fetched")
    if isinstance(exc, aiohttp.ClientConnectorDNSError) or isinstance(cause, socket.gaierror):
        return FetchError("dns", f"{_host(url)}: the name does not resolve")
    if isinstance(cause, TimeoutError):
        return FetchError("timeout", f"{_host(url)}: connecting timed out")
    return FetchError("refused", f"{_host(url)}: connection refused or failed")


def _host(url: str) -> str:
    try:
        return urlsplit(url).netloc[:100] or url[:100]
    except ValueError:
        return url[:100]


def _short(exc: BaseException) -> str:
    return " ".join(str(exc).split())[:120] or type(exc).__name__
