"""The poller: each due feed fetched (conditionally) by one process at a time, its new entries
recorded once, turned into articles with the file pipeline, stored once, then published once
or sent for review; failures back off and a feed that keeps failing is paused.

Exactly once, across crashes and processes:
- an entry row is inserted once per (feed, entry key) (INSERT ... ON CONFLICT DO NOTHING);
- its article is stored in the same transaction that moves the entry from `new` to `stored`
  (or from `review` to `stored` on Publish), so a crash leaves one or the other, never both;
- publishing goes through the publishing outbox, which posts an article once per guild; an
  entry left `stored` by a crash is published at the next round (`deliver`);
- a review card's nonce is recorded before the card is sent, and the port looks for the card
  in the mod-log before sending one, so a crash mid-review never posts a second card.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import hashlib
import json
import logging
import secrets
from collections.abc import AsyncIterator, Callable, Sequence
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from forumbot.domain.article import ParsedArticle, ParsedComment
from forumbot.domain.feeds import (
    FeedEntryData,
    FeedParseError,
    entry_document,
    needs_page,
    parse_feed,
)
from forumbot.domain.ingest import IngestError, parse_document
from forumbot.fetch import Fetcher, FetchError
from forumbot.services.archive import ArchiveService
from forumbot.services.coordination import Leases
from forumbot.services.errors import UserFacingError
from forumbot.services.feeds.schedule import PAUSE_AFTER_FAILURES, backoff
from forumbot.services.feeds.subscriptions import SHARED, utcnow
from forumbot.services.feeds.types import (
    STORE_ONLY,
    FeedPollResult,
    FeedPort,
    ReviewCard,
)
from forumbot.services.links import page_articles
from forumbot.storage.archive import ArchiveRepository
from forumbot.storage.libraries import library_scope
from forumbot.storage.models.feeds import Feed, FeedEntry
from forumbot.storage.upsert import insert_ignore

log = logging.getLogger(__name__)

ENTRIES_PER_POLL = 20  # new entries turned into articles per feed and round; the rest wait
MAX_ENTRY_ATTEMPTS = 3
HOST_WAIT = 30.0  # seconds to wait for another process to finish with a host


class ReviewClosed(UserFacingError):
    """The entry was already published or skipped (another moderator, another process)."""


class FeedPoller:
    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        archive: ArchiveService,
        fetcher: Fetcher,
        leases: Leases,
        *,
        max_bytes: int,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self._sessionmaker = sessionmaker
        self._archive = archive
        self._fetcher = fetcher
        self._leases = leases
        self._max_bytes = max_bytes
        self._clock = clock
        self._hosts_held: set[str] = set()

    # -- rounds ---------------------------------------------------------------------------------

    async def poll_due(
        self, port: FeedPort | None = None, *, guilds: Sequence[int] | None = None
    ) -> list[FeedPollResult]:
        """Poll every due, unpaused feed once (of `guilds` when given), one after the other,
        then deliver what is waiting (with a port: publish stored entries, post review cards).
        """
        now = self._clock()
        async with self._sessionmaker() as session:
            query = select(Feed.id).where(Feed.paused.is_(False), Feed.next_poll_at <= now)
            if guilds is not None:
                query = query.where(Feed.guild_id.in_([*guilds, SHARED]))
            due = list((await session.scalars(query.order_by(Feed.next_poll_at))).all())
        results = []
        for feed_id in due:
            result = await self.poll_feed(feed_id, port, due_by=now)
            if result is not None:
                results.append(result)
        if port is not None:
            await self.deliver(port, guilds=guilds)
        return results

    async def poll_feed(
        self, feed_id: int, port: FeedPort | None = None, *, due_by: datetime | None = None
    ) -> FeedPollResult | None:
        """One feed, under its lease (None: it is gone, paused, another process has it, or,
        with `due_by`, another process polled it since it was found due)."""
        async with self._sessionmaker() as session:
            feed = await session.get(Feed, feed_id)
            if feed is None or feed.paused:
                return None
            host = urlsplit(feed.url).hostname or ""
        lease = f"feed:{feed_id}"
        if not await self._leases.acquire(lease):
            return None
        try:
            if due_by is not None:
                # Read again under the lease: a process that took it first has moved
                # next_poll_at on, and the feed is not fetched twice in one round.
                async with self._sessionmaker() as session:
                    still_due = await session.scalar(
                        select(Feed.id).where(
                            Feed.id == feed_id, Feed.paused.is_(False), Feed.next_poll_at <= due_by
                        )
                    )
                if still_due is None:
                    return None
            async with self._host_turn(host) as ok:
                if not ok:
                    async with self._sessionmaker() as session:
                        feed = await session.get(Feed, feed_id)
                        assert feed is not None
                        return FeedPollResult(feed_id, feed.guild_id, feed.url, "busy")
                return await self._poll(feed_id, port, lease)
        finally:
            await self._leases.release(lease)

    @contextlib.asynccontextmanager
    async def _host_turn(self, host: str) -> AsyncIterator[bool]:
        """Never two fetches from one host at once, across processes: a lease per host."""
        key = host if len(host) <= 80 else hashlib.sha1(host.encode()).hexdigest()
        name = "fetch-host:" + key
        if name in self._hosts_held:  # the feed's own host, already ours for this poll
            yield True
            return
        loop = asyncio.get_running_loop()
        deadline = loop.time() + HOST_WAIT
        got = await self._leases.acquire(name)
        while not got and loop.time() < deadline:
            await asyncio.sleep(0.5)
            got = await self._leases.acquire(name)
        if got:
            self._hosts_held.add(name)
        try:
            yield got
        finally:
            if got:
                self._hosts_held.discard(name)
                await self._leases.release(name)

    async def _poll(self, feed_id: int, port: FeedPort | None, lease: str) -> FeedPollResult:
        async with self._sessionmaker() as session:
            feed = await session.get(Feed, feed_id)
            assert feed is not None
            url, etag, modified = feed.url, feed.etag, feed.last_modified
            guild_id, baselined, backfill = feed.guild_id, feed.baselined, feed.backfill
            waiting = await session.scalar(
                select(FeedEntry.id)
                .where(FeedEntry.feed_id == feed_id, FeedEntry.state == "new")
                .limit(1)
            )
        if waiting is not None:
            # Entries still wait (beyond ENTRIES_PER_POLL, or to be retried): ask for the whole
            # feed, since a 304 carries none of their links or texts.
            etag = modified = None
        result = FeedPollResult(feed_id, guild_id, url, "ok")
        try:
            got = await self._fetcher.get(url, want="feed", etag=etag, last_modified=modified)
            if got.not_modified:
                result.status = "not_modified"
                parsed = None
            else:
                parsed = await asyncio.to_thread(
                    parse_feed, got.body, url=got.url, content_type=got.content_type
                )
        except (FetchError, FeedParseError) as exc:
            retry = exc.retry_after if isinstance(exc, FetchError) else None
            return await self._failed(feed_id, result, str(exc), retry, port)
        now = self._clock()
        async with self._sessionmaker() as session, session.begin():
            feed = await session.get(Feed, feed_id)
            assert feed is not None
            if parsed is not None:
                state = "new" if baselined or backfill else "seen"
                # Oldest first, so a backlog is imported (and posted) in the feed's own order.
                for entry in reversed(parsed.entries):
                    inserted = await insert_ignore(
                        session,
                        FeedEntry.__table__,  # type: ignore[arg-type]
                        {
                            "feed_id": feed_id,
                            "entry_key": entry.key,
                            "link": entry.link,
                            "title": (entry.title or "")[:300] or None,
                            "state": state,
                            "attempts": 0,
                            "created_at": now,
                            "updated_at": now,
                        },
                        ["feed_id", "entry_key"],
                    )
                    result.new_entries += int(inserted and state == "new")
                feed.etag = (got.etag or "")[:500] or None
                feed.last_modified = (got.last_modified or "")[:100] or None
                if parsed.title and not feed.title:
                    feed.title = parsed.title[:300]
                feed.baselined = True
            feed.failures = 0
            feed.last_error = None
            feed.last_polled_at = now
            feed.next_poll_at = now + timedelta(seconds=feed.interval_seconds)
            entries = parsed.entries if parsed is not None else []
        await self._import_new(feed_id, {e.key: e for e in entries}, result, lease)
        return result

    async def _failed(
        self,
        feed_id: int,
        result: FeedPollResult,
        error: str,
        retry_after: float | None,
        port: FeedPort | None,
    ) -> FeedPollResult:
        result.status, result.error = "failed", error
        now = self._clock()
        async with self._sessionmaker() as session, session.begin():
            feed = await session.get(Feed, feed_id)
            assert feed is not None
            feed.failures += 1
            feed.last_error = error[:500]
            feed.last_polled_at = now
            wait = backoff(feed.interval_seconds, feed.failures, retry_after)
            feed.next_poll_at = now + timedelta(seconds=wait)
            if feed.failures >= PAUSE_AFTER_FAILURES:
                feed.paused = True
                feed.pause_reason = f"{feed.failures} failures in a row; last: {error[:300]}"
                result.status = "paused"
            guild_id, title, failures = feed.guild_id, feed.title or feed.url, feed.failures
        log.info("feed poll failed", extra={"feed": feed_id, "error": error, "failures": failures})
        if result.status == "paused" and port is not None and guild_id != SHARED:
            text = (
                f"Feed {feed_id} ({title[:100]}) is paused after {failures} failures in a row. "
                f"Last error: {error[:300]}. Fix the feed, then `/feeds resume`."
            )
            try:
                await port.notify(guild_id, text)
            except Exception:  # the pause holds; the notice is a courtesy
                log.warning("could not post the feed pause notice", extra={"feed": feed_id})
        return result

    # -- entries --------------------------------------------------------------------------------

    async def _import_new(
        self,
        feed_id: int,
        entries: dict[str, FeedEntryData],
        result: FeedPollResult,
        lease: str,
    ) -> None:
        async with self._sessionmaker() as session:
            feed = await session.get(Feed, feed_id)
            assert feed is not None
            rows = (
                await session.scalars(
                    select(FeedEntry)
                    .where(FeedEntry.feed_id == feed_id, FeedEntry.state == "new")
                    .order_by(FeedEntry.id)
                    .limit(ENTRIES_PER_POLL)
                )
            ).all()
            pending = [(r.id, r.entry_key, r.attempts) for r in rows]
            tags = tuple(json.loads(feed.tags or "[]"))
            mode, guild_id, title = feed.mode, feed.guild_id, feed.title
        for entry_id, key, attempts in pending:
            await self._leases.acquire(lease)  # renew: entry pages may take a while
            entry = entries.get(key)
            if entry is None:  # no longer in the feed (it moved on while we waited)
                await self._entry_failed(entry_id, "no longer in the feed", final=True)
                result.errors.append(f"{key[:80]}: no longer in the feed")
                continue
            try:
                articles = await self._articles(feed_id, entry, title, tags)
            except (FetchError, IngestError) as exc:
                final = attempts + 1 >= MAX_ENTRY_ATTEMPTS
                await self._entry_failed(entry_id, str(exc), final=final)
                result.errors.append(f"{(entry.link or key)[:120]}: {exc}")
                continue
            if mode == "review":
                await self._hold_for_review(entry_id, articles)
                result.imported.append(
                    {"entry": entry_id, "title": articles[0].title, "state": "review"}
                )
                continue
            stored = await self._store(entry_id, guild_id, articles, from_state="new")
            if stored is not None:
                result.imported.append(
                    {"entry": entry_id, "article_id": stored, "title": articles[0].title}
                )
        if result.imported:
            await self._archive.refresh_rankings()

    async def _articles(
        self,
        feed_id: int,
        entry: FeedEntryData,
        feed_title: str | None,
        tags: tuple[str, ...],
    ) -> list[ParsedArticle]:
        """The entry as articles: its page when the feed carries only a teaser (the page's own
        canonical URL then keys it, as a link load would), else the feed's text."""
        articles: list[ParsedArticle] | None = None
        own = entry_document(entry, feed_title=feed_title)
        if needs_page(entry):
            assert entry.link is not None
            try:
                async with self._host_turn(urlsplit(entry.link).hostname or "") as _ok:
                    got = await self._fetcher.get(entry.link, want="html")
                _source, articles = await asyncio.to_thread(
                    page_articles, got.url, got.body, got.charset, max_bytes=self._max_bytes
                )
            except (FetchError, IngestError):
                if own is None:
                    raise
                articles = None  # the page failed; the feed's teaser is better than nothing
        if articles is None:
            if own is None:
                raise IngestError("the entry has no text and no page to fetch")
            if entry.link:
                _source, articles = await asyncio.to_thread(
                    page_articles, entry.link, own, "utf-8", max_bytes=self._max_bytes
                )
            else:
                parsed = await asyncio.to_thread(
                    parse_document, "entry.html", own, max_bytes=self._max_bytes
                )
                digest = hashlib.sha256(entry.key.encode()).hexdigest()[:24]
                articles = [
                    dataclasses.replace(a, key=f"feed:{feed_id}:{digest}", source=None)
                    for a in parsed
                ]
        assert articles is not None
        return [_with(a, entry, tags) for a in articles]

    async def _entry_failed(self, entry_id: int, error: str, *, final: bool) -> None:
        async with self._sessionmaker() as session, session.begin():
            row = await session.get(FeedEntry, entry_id)
            if row is None or row.state != "new":
                return
            row.attempts += 1
            row.error = error[:500]
            row.updated_at = self._clock()
            if final:
                row.state = "failed"

    async def _hold_for_review(self, entry_id: int, articles: list[ParsedArticle]) -> None:
        async with self._sessionmaker() as session, session.begin():
            await session.execute(
                update(FeedEntry)
                .where(FeedEntry.id == entry_id, FeedEntry.state == "new")
                .values(
                    state="review",
                    payload=json.dumps([_to_json(a) for a in articles]),
                    title=(articles[0].title or "")[:300] or None,
                    review_nonce=_nonce(),
                    updated_at=self._clock(),
                )
            )

    async def _store(
        self, entry_id: int, guild_id: int, articles: list[ParsedArticle], *, from_state: str
    ) -> int | None:
        """Store the articles and move the entry to `stored`, in one transaction; None when
        the entry had already left `from_state` (someone else stored or skipped it)."""
        async with self._sessionmaker() as session, session.begin():
            moved = await session.execute(
                update(FeedEntry)
                .where(FeedEntry.id == entry_id, FeedEntry.state == from_state)
                .values(state="stored", updated_at=self._clock(), payload=None)
            )
            if not getattr(moved, "rowcount", 0):
                return None
            scope = await library_scope(session, guild_id or None)
            outcomes = await ArchiveRepository(session, scope).save_articles(articles)
            article_id = int(outcomes[0].article_id)
            await session.execute(
                update(FeedEntry).where(FeedEntry.id == entry_id).values(article_id=article_id)
            )
            return article_id

    # -- delivery (Discord) ---------------------------------------------------------------------

    async def deliver(self, port: FeedPort, *, guilds: Sequence[int] | None = None) -> int:
        """Publish entries left `stored` by auto feeds and post the review cards not yet
        posted; safe to run any number of times (each step is exactly once). Returns how many
        things were delivered."""
        async with self._sessionmaker() as session:
            query = (
                select(FeedEntry.id, FeedEntry.state, Feed.guild_id, Feed.mode)
                .join(Feed, Feed.id == FeedEntry.feed_id)
                .where(
                    Feed.guild_id != SHARED,
                    (
                        (FeedEntry.state == "stored") & (Feed.mode != STORE_ONLY)
                        | (FeedEntry.state == "review") & FeedEntry.review_message_id.is_(None)
                    ),
                )
                .order_by(FeedEntry.id)
            )
            if guilds is not None:
                query = query.where(Feed.guild_id.in_(list(guilds)))
            rows = (await session.execute(query)).all()
        done = 0
        for entry_id, state, guild_id, _mode in rows:
            try:
                if state == "stored":
                    await self._publish(port, entry_id, guild_id)
                else:
                    await self._post_review(port, entry_id, guild_id)
                done += 1
            except UserFacingError as exc:  # not set up, Discord away: the next round retries
                log.info("feed delivery postponed", extra={"entry": entry_id, "reason": str(exc)})
        return done

    async def _publish(self, port: FeedPort, entry_id: int, guild_id: int) -> None:
        async with self._sessionmaker() as session:
            row = await session.get(FeedEntry, entry_id)
            if row is None or row.state != "stored" or row.article_id is None:
                return
            article_id = row.article_id
        await port.publish(guild_id, article_id)
        async with self._sessionmaker() as session, session.begin():
            await session.execute(
                update(FeedEntry)
                .where(FeedEntry.id == entry_id, FeedEntry.state == "stored")
                .values(state="published", updated_at=self._clock())
            )

    async def _post_review(self, port: FeedPort, entry_id: int, guild_id: int) -> None:
        async with self._sessionmaker() as session:
            row = await session.get(FeedEntry, entry_id)
            if row is None or row.state != "review" or row.review_message_id is not None:
                return
            feed = await session.get(Feed, row.feed_id)
            assert feed is not None and row.payload and row.review_nonce
            articles = _from_json_list(row.payload)
            first = articles[0]
            card = ReviewCard(
                entry_id=entry_id,
                nonce=row.review_nonce,
                feed_id=feed.id,
                feed_title=feed.title or feed.url,
                title=first.title,
                link=row.link,
                author=first.author,
                passages=sum(len(a.paragraphs) for a in articles),
                opening=first.paragraphs[0] if first.paragraphs else "",
            )
        message_id = await port.post_review(guild_id, card)
        async with self._sessionmaker() as session, session.begin():
            await session.execute(
                update(FeedEntry)
                .where(FeedEntry.id == entry_id, FeedEntry.review_message_id.is_(None))
                .values(review_message_id=message_id, updated_at=self._clock())
            )

    async def decide(
        self, port: FeedPort | None, guild_id: int, entry_id: int, *, publish: bool
    ) -> tuple[str, int | None]:
        """A moderator's Publish or Skip on a review card: (title, article id if published).
        ReviewClosed when it was already decided."""
        async with self._sessionmaker() as session:
            row = await session.get(FeedEntry, entry_id)
            feed = await session.get(Feed, row.feed_id) if row is not None else None
            if row is None or feed is None or feed.guild_id != guild_id:
                raise ReviewClosed("That feed entry no longer exists.")
            title = row.title or row.link or "the entry"
            if row.state != "review" or row.payload is None:
                raise ReviewClosed(f"“{title[:100]}” was already {_done(row.state)}.")
            articles = _from_json_list(row.payload)
        if not publish:
            async with self._sessionmaker() as session, session.begin():
                moved = await session.execute(
                    update(FeedEntry)
                    .where(FeedEntry.id == entry_id, FeedEntry.state == "review")
                    .values(state="skipped", payload=None, updated_at=self._clock())
                )
            if not getattr(moved, "rowcount", 0):
                raise ReviewClosed(f"“{title[:100]}” was already decided.")
            return title, None
        article_id = await self._store(entry_id, guild_id, articles, from_state="review")
        if article_id is None:
            raise ReviewClosed(f"“{title[:100]}” was already decided.")
        await self._archive.refresh_rankings()
        if port is not None:
            await self._publish(port, entry_id, guild_id)
        return title, article_id

    async def entry_states(self, feed_id: int) -> dict[str, int]:
        """How many entries of a feed are in each state (tests, `feeds list --json`)."""
        async with self._sessionmaker() as session:
            rows = (
                await session.execute(select(FeedEntry.state).where(FeedEntry.feed_id == feed_id))
            ).scalars()
            counts: dict[str, int] = {}
            for state in rows:
                counts[state] = counts.get(state, 0) + 1
            return counts


def _with(article: ParsedArticle, entry: FeedEntryData, tags: tuple[str, ...]) -> ParsedArticle:
    """The feed's tags and the entry's own, after the page's."""
    merged = tuple(dict.fromkeys([*article.tags, *entry.tags, *tags]))[:20]
    return dataclasses.replace(
        article,
        tags=merged,
        author=article.author or entry.author,
        date=article.date or entry.date,
    )


def _nonce() -> str:
    # Discord nonces are at most 25 characters.
    return "fr" + secrets.token_hex(8)


def _done(state: str) -> str:
    return {"skipped": "skipped", "published": "published", "stored": "published"}.get(
        state, "decided"
    )


def _to_json(article: ParsedArticle) -> dict[str, Any]:
    data = dataclasses.asdict(article)
    data["comments"] = [dataclasses.asdict(c) for c in article.comments]
    return data


def _from_json(data: dict[str, Any]) -> ParsedArticle:
    return ParsedArticle(
        key=data["key"],
        title=data["title"],
        paragraphs=tuple(data["paragraphs"]),
        author=data.get("author"),
        date=data.get("date"),
        source=data.get("source"),
        tags=tuple(data.get("tags") or ()),
        comments=tuple(ParsedComment(**c) for c in data.get("comments") or ()),
        warnings=tuple(data.get("warnings") or ()),
        headings=tuple(data.get("headings") or ()),
    )


def _from_json_list(payload: str) -> list[ParsedArticle]:
    return [_from_json(item) for item in json.loads(payload)]
