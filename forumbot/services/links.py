"""Articles from a link: URL -> safe fetch -> the same HTML pipeline and limits as an uploaded
file -> ParsedArticle keyed by the page's canonical URL, so loading it again revises it.

No Discord, no click: the CLI stores at once, the bot previews first (plan_load, store_articles
of the archive service, exactly as for a file)."""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol
from urllib.parse import urljoin, urlsplit, urlunsplit

from forumbot.domain.article import ParsedArticle
from forumbot.domain.ingest import IngestError, parse_document
from forumbot.fetch import AllowList, Fetcher, FetchError, FetchLimits, as_utf8
from forumbot.services.archive import ArchiveService, LoadedItem
from forumbot.services.errors import InvalidInput

MAX_URL_CHARS = 2000
KEY_PREFIX = "url:"
MAX_KEY_CHARS = 512  # the articles.key column


class _Settings(Protocol):
    @property
    def max_file_bytes(self) -> int: ...

    @property
    def fetch_allow_hosts(self) -> str | None: ...


@dataclass(frozen=True, slots=True)
class FetchedArticle:
    url: str  # as given
    final_url: str  # after redirects
    source: str  # the canonical URL (the page's own, when it names one on its own site)
    articles: list[ParsedArticle]


class LinkError(InvalidInput):
    """A link could not be loaded; the message is one line naming the link and the reason."""


def make_fetcher(settings: _Settings) -> Fetcher:
    return Fetcher(
        FetchLimits(max_bytes=settings.max_file_bytes), AllowList.parse(settings.fetch_allow_hosts)
    )


def normalise_url(url: str) -> str:
    """The URL as an identity: scheme and host lower case, default port and fragment dropped."""
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower().rstrip(".")
    if ":" in host:
        host = f"[{host}]"
    port = parts.port
    if port and not ((scheme == "http" and port == 80) or (scheme == "https" and port == 443)):
        host = f"{host}:{port}"
    return urlunsplit((scheme, host, parts.path or "/", parts.query, ""))


def url_key(url: str) -> str:
    """The article key of a page: `url:` + its normalised URL (a digest when too long)."""
    key = KEY_PREFIX + normalise_url(url)
    if len(key) > MAX_KEY_CHARS:
        digest = hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()
        key = f"{KEY_PREFIX}{key[len(KEY_PREFIX) : 200]}…#{digest}"
    return key


def canonical_source(final_url: str, declared: str | None) -> str:
    """The page's canonical URL when it names one on the same site (a page may not claim to be
    another site's article: that would revise whatever was loaded from there); else where the
    fetch ended."""
    if declared:
        candidate = urljoin(final_url, declared.strip())
        try:
            same = urlsplit(candidate)
            here = urlsplit(final_url)
        except ValueError:
            return normalise_url(final_url)
        if same.scheme in ("http", "https") and _site(same.hostname) == _site(here.hostname):
            return normalise_url(candidate)
    return normalise_url(final_url)


def _site(host: str | None) -> str:
    host = (host or "").lower().rstrip(".")
    return host[4:] if host.startswith("www.") else host


def check_url(url: str) -> str:
    url = url.strip()
    if not url:
        raise LinkError("Give a link (https://…).")
    if len(url) > MAX_URL_CHARS:
        raise LinkError(f"That link is too long ({len(url)} characters).")
    if "\x00" in url or any(ch.isspace() for ch in url):
        raise LinkError("That link contains spaces or control characters.")
    scheme = url.split(":", 1)[0].lower()
    if scheme not in ("http", "https"):
        raise LinkError("Only http:// and https:// links can be loaded.")
    return url


def page_articles(
    fetched_url: str, body: bytes, charset: str | None, *, max_bytes: int
) -> tuple[str, list[ParsedArticle]]:
    """A fetched page through the file pipeline: (canonical source, its articles keyed by it).
    Raises IngestError like a file would."""
    data = as_utf8(body, charset)
    articles = parse_document("page.html", data, max_bytes=max_bytes)
    declared = next((a.source for a in articles if a.source), None)
    source = canonical_source(fetched_url, declared)
    key = url_key(source)
    keyed = [
        dataclasses.replace(
            a, key=key if len(articles) == 1 else f"{key}#{a.key.rsplit('#', 1)[-1]}", source=source
        )
        for a in articles
    ]
    return source, keyed


class LinksService:
    def __init__(self, archive: ArchiveService, settings: _Settings) -> None:
        self._archive = archive
        self._settings = settings

    def fetcher(self) -> Fetcher:
        return make_fetcher(self._settings)

    async def fetch(self, url: str) -> FetchedArticle:
        """Fetch and parse; LinkError (one line) on any failure. Nothing is stored."""
        url = check_url(url)
        try:
            got = await self.fetcher().get(url, want="html")
        except FetchError as exc:
            raise LinkError(f"{_shown(url)}: {exc}") from None
        limit = self._settings.max_file_bytes
        try:
            source, articles = await asyncio.to_thread(
                page_articles, got.url, got.body, got.charset, max_bytes=limit
            )
        except IngestError as exc:
            raise LinkError(f"{_shown(url)}: {' '.join(str(exc).split())[:300]}") from None
        if not articles:
            raise LinkError(f"{_shown(url)}: no article found on the page.")
        return FetchedArticle(url, got.url, source, articles)

    async def load(self, url: str, *, guild_id: int | None = None) -> list[LoadedItem]:
        """Fetch, parse and store at once (the CLI): a new article, a revision, or unchanged."""
        fetched = await self.fetch(url)
        return await self.store(fetched, guild_id=guild_id)

    async def store(
        self, fetched: FetchedArticle, *, guild_id: int | None = None
    ) -> list[LoadedItem]:
        return await self._archive.store_articles(
            fetched.source, fetched.articles, guild_id=guild_id
        )

    async def store_parsed(
        self, name: str, articles: Sequence[ParsedArticle], *, guild_id: int | None = None
    ) -> list[LoadedItem]:
        return await self._archive.store_articles(name, articles, guild_id=guild_id)


def _shown(url: str) -> str:
    return url if len(url) <= 120 else url[:119] + "…"
