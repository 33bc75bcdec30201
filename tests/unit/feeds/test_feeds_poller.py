"""The feeds service and poller on a real database (SQLite and PostgreSQL), feeds served by the
local web server: each format, changes, conditional requests, back-off, pausing, teasers whose
page is fetched, review, and entries stored and delivered exactly once."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from forumbot.config import Settings
from forumbot.services.archive import ArchiveService
from forumbot.services.coordination import Leases
from forumbot.services.feeds import (
    FeedInputError,
    FeedPoller,
    FeedsService,
    ReviewCard,
    ReviewClosed,
    parse_interval,
)
from forumbot.services.feeds import poller as poller_module
from forumbot.services.feeds.schedule import backoff
from forumbot.services.links import make_fetcher
from forumbot.storage.models.feeds import Feed, FeedEntry
from tests.feed_documents import atom, full, json_feed, rss
from tests.fixtures.webserver import WebServer

PAGES = Path(__file__).resolve().parents[1] / "ingest" / "data"
GUILD = 111
TYPES = {
    "rss": (rss, "application/rss+xml"),
    "atom": (atom, "application/atom+xml"),
    "json": (json_feed, "application/feed+json"),
}


class FakePort:
    """Records what the poller asks of Discord (the e2e tests use the real one)."""

    def __init__(self) -> None:
        self.published: Counter[tuple[int, int]] = Counter()
        self.cards: list[ReviewCard] = []
        self.notices: list[str] = []

    async def publish(self, guild_id: int, article_id: int) -> None:
        self.published[(guild_id, article_id)] += 1

    async def post_review(self, guild_id: int, card: ReviewCard) -> int:
        self.cards.append(card)
        return 9000 + card.entry_id

    async def notify(self, guild_id: int, text: str) -> None:
        self.notices.append(text)


class Rig:
    def __init__(
        self, sessionmaker: async_sessionmaker[AsyncSession], server: WebServer, holder: str = "a"
    ) -> None:
        settings = Settings(max_file_bytes=200_000, fetch_allow_hosts=server.allow)
        self.sessionmaker = sessionmaker
        self.server = server
        self.archive = ArchiveService(sessionmaker, settings)
        fetcher = make_fetcher(settings)
        self.feeds = FeedsService(sessionmaker, fetcher)
        self.poller = FeedPoller(
            sessionmaker,
            self.archive,
            fetcher,
            Leases(sessionmaker, holder),
            max_bytes=settings.max_file_bytes,
        )

    async def make_due(self) -> None:
        async with self.sessionmaker() as session, session.begin():
            await session.execute(
                update(Feed).values(next_poll_at=datetime.now(UTC) - timedelta(seconds=1))
            )

    async def states(self) -> Counter[str]:
        async with self.sessionmaker() as session:
            return Counter((await session.scalars(select(FeedEntry.state))).all())


@pytest.fixture
def rig(sessionmaker: async_sessionmaker[AsyncSession], webserver: WebServer) -> Rig:
    return Rig(sessionmaker, webserver)


@pytest.mark.parametrize("kind", sorted(TYPES))
async def test_each_format_imports_then_304_then_only_the_new_entry(rig: Rig, kind: str) -> None:
    make, content_type = TYPES[kind]
    items = [
        (f"id-{n}", f"Entry {n}", rig.server.url(f"/e{n}"), full(f"Body {n}.")) for n in (1, 2)
    ]
    rig.server.page("/feed", make(items), content_type=content_type, conditional=True)
    info = await rig.feeds.add(GUILD, rig.server.url("/feed"), tags="news", backfill=True)
    assert info.title and info.mode == "auto"
    port = FakePort()
    (result,) = await rig.poller.poll_due(port)
    assert result.status == "ok" and len(result.imported) == 2, result
    articles = await rig.archive.list_articles(guild_id=GUILD)
    assert sorted(a.title for a in articles) == ["Entry 1", "Entry 2"]
    assert all("news" in a.tags for a in articles)
    assert articles[0].source == rig.server.url("/e1") or articles[1].source == rig.server.url(
        "/e1"
    )
    assert sum(port.published.values()) == 2 and set(port.published.values()) == {1}
    # Nothing due until the interval passes; then a conditional request answered 304.
    assert await rig.poller.poll_due(port) == []
    await rig.make_due()
    (again,) = await rig.poller.poll_due(port)
    assert again.status == "not_modified"
    assert rig.server.requests[-1][1].get("If-None-Match")
    # The feed changes: exactly the new entry is imported and published.
    items.insert(0, ("id-3", "Entry 3", rig.server.url("/e3"), full("Body 3.")))
    rig.server.page("/feed", make(items), content_type=content_type, conditional=True)
    await rig.make_due()
    (third,) = await rig.poller.poll_due(port)
    assert [i["title"] for i in third.imported] == ["Entry 3"]
    assert sum(port.published.values()) == 3 and set(port.published.values()) == {1}
    assert (await rig.states())["published"] == 3


async def test_without_backfill_only_entries_after_subscribing_are_imported(rig: Rig) -> None:
    items = [("a", "Old one", rig.server.url("/a"), full("Old."))]
    rig.server.page("/feed", rss(items), content_type="application/rss+xml")
    await rig.feeds.add(GUILD, rig.server.url("/feed"))
    (first,) = await rig.poller.poll_due()
    assert first.imported == [] and (await rig.states()) == {"seen": 1}
    items.append(("b", "New one", rig.server.url("/b"), full("New.")))
    rig.server.page("/feed", rss(items), content_type="application/rss+xml")
    await rig.make_due()
    (second,) = await rig.poller.poll_due()
    assert [i["title"] for i in second.imported] == ["New one"]


@pytest.mark.parametrize("name", ["news_article.html", "wordpress_post.html"])
async def test_a_teaser_entry_is_imported_from_its_page(rig: Rig, name: str) -> None:
    page = (PAGES / name).read_bytes()
    rig.server.page("/story", page)
    items = [("s", "Teaser only", rig.server.url("/story"), None)]
    rig.server.page("/feed", atom(items), content_type="application/atom+xml")
    await rig.feeds.add(GUILD, rig.server.url("/feed"), backfill=True)
    (result,) = await rig.poller.poll_due()
    assert len(result.imported) == 1 and rig.server.hits["/story"] == 1
    from forumbot.domain.ingest import parse_document

    (from_file,) = parse_document(name, page, max_bytes=200_000)
    record = await rig.archive.article(result.imported[0]["article_id"], guild_id=GUILD)
    assert [p.text for p in record.passages][:3] == list(from_file.paragraphs[:3])


async def test_retry_after_backs_off_and_repeated_failures_pause_with_a_notice(
    rig: Rig,
) -> None:
    rig.server.page("/feed", rss([]), content_type="application/rss+xml")
    info = await rig.feeds.add(GUILD, rig.server.url("/feed"))
    rig.server.page("/feed", "busy", status=429, headers={"Retry-After": "7200"})
    port = FakePort()
    (result,) = await rig.poller.poll_due(port)
    assert result.status == "failed" and "429" in (result.error or "")
    got = await rig.feeds.get(GUILD, info.id)
    assert got.next_poll_at >= datetime.now(UTC) + timedelta(seconds=7000)
    rig.server.page("/feed", "down", status=503)
    await rig.make_due()
    (result,) = await rig.poller.poll_due(port)
    assert result.status == "failed" and "503" in (result.error or "")
    got = await rig.feeds.get(GUILD, info.id)
    # The second failure in a row waits twice the interval (30 min by default).
    assert got.next_poll_at >= datetime.now(UTC) + timedelta(seconds=2 * 1800 - 60)
    for _ in range(3):
        await rig.make_due()
        (result,) = await rig.poller.poll_due(port)
    assert result.status == "paused"
    got = await rig.feeds.get(GUILD, info.id)
    assert got.paused and "5 failures" in (got.pause_reason or "")
    assert len(port.notices) == 1 and "paused" in port.notices[0]
    await rig.make_due()
    assert await rig.poller.poll_due(port) == [], "a paused feed is not polled"
    await rig.feeds.resume(GUILD, info.id)
    assert not (await rig.feeds.get(GUILD, info.id)).paused


def test_backoff_doubles_and_honours_retry_after() -> None:
    assert backoff(600, 1, None) == 600
    assert backoff(600, 3, None) == 2400
    assert backoff(600, 20, None) == 24 * 3600
    assert backoff(600, 1, 5000) == 5000
    assert parse_interval("2h") == 7200 and parse_interval(None) == 1800
    with pytest.raises(FeedInputError):
        parse_interval("1m")
    with pytest.raises(FeedInputError):
        parse_interval("often")


async def test_two_processes_polling_at_once_store_each_entry_once(
    rig: Rig, sessionmaker: async_sessionmaker[AsyncSession], webserver: WebServer
) -> None:
    items = [(f"k{n}", f"Item {n}", webserver.url(f"/i{n}"), full(f"Text {n}.")) for n in range(5)]
    webserver.page("/feed", json_feed(items), content_type="application/feed+json")
    await rig.feeds.add(GUILD, webserver.url("/feed"), backfill=True)
    other = Rig(sessionmaker, webserver, holder="b")
    port_a, port_b = FakePort(), FakePort()
    await asyncio.gather(rig.poller.poll_due(port_a), other.poller.poll_due(port_b))
    assert len(await rig.archive.list_articles(guild_id=GUILD)) == 5
    assert (await rig.states()) == {"published": 5}
    assert webserver.hits["/feed"] == 2  # add, then one poll: the other process waited


async def test_review_posts_one_card_and_a_decision_is_final(rig: Rig) -> None:
    items = [("r1", "For review", rig.server.url("/r1"), full("Check me."))]
    rig.server.page("/feed", rss(items), content_type="application/rss+xml")
    await rig.feeds.add(GUILD, rig.server.url("/feed"), mode="review", backfill=True)
    port = FakePort()
    await rig.poller.poll_due(port)
    assert len(port.cards) == 1 and port.cards[0].title == "For review"
    assert await rig.archive.list_articles(guild_id=GUILD) == [], "nothing stored before Publish"
    await rig.poller.deliver(port)
    assert len(port.cards) == 1, "a card already posted is not posted again"
    entry = port.cards[0].entry_id
    title, article_id = await rig.poller.decide(port, GUILD, entry, publish=True)
    assert title == "For review"
    assert article_id is not None and port.published[(GUILD, article_id)] == 1
    with pytest.raises(ReviewClosed):
        await rig.poller.decide(port, GUILD, entry, publish=False)
    with pytest.raises(ReviewClosed):
        await rig.poller.decide(port, GUILD + 1, entry, publish=True)


async def test_shared_library_feeds_are_stored_only(rig: Rig) -> None:
    items = [("x", "Shared item", rig.server.url("/x"), full("Shared."))]
    rig.server.page("/feed", rss(items), content_type="application/rss+xml")
    info = await rig.feeds.add(None, rig.server.url("/feed"), backfill=True)
    assert info.mode == "store"
    port = FakePort()
    await rig.poller.poll_due(port)
    assert [a.title for a in await rig.archive.list_articles()] == ["Shared item"]
    assert not port.published and (await rig.states()) == {"stored": 1}
    with pytest.raises(FeedInputError):
        await rig.feeds.add(None, rig.server.url("/other"), mode="review")


async def test_bad_subscriptions_are_refused_with_a_reason(rig: Rig) -> None:
    rig.server.page("/page", "<html><body><p>Just a page.</p></body></html>")
    cases = {
        rig.server.url("/page"): "not an RSS, Atom or JSON feed",
        rig.server.url("/status/404"): "HTTP 404",
        "http://192.168.0.10/feed": "private",
        "ftp://example.org/feed": "Only http",
        "not a url": "spaces",
    }
    for url, expected in cases.items():
        with pytest.raises(FeedInputError) as caught:
            await rig.feeds.add(GUILD, url)
        assert expected in str(caught.value), (url, str(caught.value))
    assert await rig.feeds.feeds(GUILD) == []
    rig.server.page("/feed", rss([]), content_type="application/rss+xml")
    await rig.feeds.add(GUILD, rig.server.url("/feed"))
    with pytest.raises(FeedInputError):
        await rig.feeds.add(GUILD, rig.server.url("/feed"))
    with pytest.raises(FeedInputError):
        await rig.feeds.add(GUILD, rig.server.url("/feed2"), interval="10s")


async def test_one_host_is_never_fetched_in_parallel(
    rig: Rig, sessionmaker: async_sessionmaker[AsyncSession], webserver: WebServer
) -> None:
    """Two feeds of one host, two processes polling at once: the host sees one request at a
    time (each feed still polled once)."""
    in_flight = {"now": 0, "most": 0}

    def slow_feed(name: str) -> Any:
        async def handler(request: web.Request) -> web.StreamResponse:
            in_flight["now"] += 1
            in_flight["most"] = max(in_flight["most"], in_flight["now"])
            try:
                await asyncio.sleep(0.3)  # long enough for a parallel request to overlap
                return web.Response(body=rss([], title=name), content_type="application/rss+xml")
            finally:
                in_flight["now"] -= 1

        return handler

    for path in ("/one", "/two", "/three"):
        webserver.route(path, slow_feed(path))
        await rig.feeds.add(GUILD, webserver.url(path))
    in_flight["most"] = 0
    await rig.make_due()
    other = Rig(sessionmaker, webserver, holder="b")
    results = await asyncio.gather(rig.poller.poll_due(), other.poller.poll_due())
    polled = sorted(r.url for batch in results for r in batch if r.status == "ok")
    assert polled == sorted(webserver.url(p) for p in ("/one", "/two", "/three"))
    assert in_flight["most"] == 1, "two requests to one host at once"


async def test_a_backlog_beyond_one_check_is_imported_at_the_next_ones(
    rig: Rig, monkeypatch: pytest.MonkeyPatch
) -> None:
    """More new entries than one check imports: the rest come at the next checks, although
    the server would answer 304 (the entries' texts are in the feed, not in a 304)."""
    monkeypatch.setattr(poller_module, "ENTRIES_PER_POLL", 2)
    items = [(f"b{n}", f"Backlog {n}", rig.server.url(f"/b{n}"), full(f"B {n}.")) for n in range(5)]
    rig.server.page("/feed", rss(items), content_type="application/rss+xml", conditional=True)
    await rig.feeds.add(GUILD, rig.server.url("/feed"), backfill=True)
    imported = []
    for _ in range(3):
        (result,) = await rig.poller.poll_due()
        assert result.status == "ok", result
        imported += [i["title"] for i in result.imported]
        await rig.make_due()
    assert sorted(imported) == sorted(f"Backlog {n}" for n in range(5))
    assert (await rig.states()) == {"stored": 5}
    (settled,) = await rig.poller.poll_due()
    assert settled.status == "not_modified", "nothing waits: conditional again"
