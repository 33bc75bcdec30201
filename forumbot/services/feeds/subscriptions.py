"""Subscribing, listing, removing, pausing and rescheduling feeds (the commands' use cases)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from forumbot.domain.feeds import FeedParseError, parse_feed
from forumbot.fetch import Fetcher, FetchError
from forumbot.services.archive import checked_text
from forumbot.services.feeds.schedule import describe, parse_interval
from forumbot.services.feeds.types import (
    MODES,
    STORE_ONLY,
    FeedInfo,
    FeedInputError,
    FeedNotFound,
)
from forumbot.services.links import LinkError, check_url, normalise_url
from forumbot.storage.models.feeds import Feed, FeedEntry

MAX_FEEDS_PER_GUILD = 50
MAX_TAGS = 5
SHARED = 0  # the guild id of the shared library's feeds


def utcnow() -> datetime:
    return datetime.now(UTC)


def as_utc(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def parse_tags(text: str | list[str] | tuple[str, ...] | None) -> tuple[str, ...]:
    raw = text.split(",") if isinstance(text, str) else list(text or [])
    tags = tuple(dict.fromkeys(t.strip()[:100] for t in raw if t.strip()))
    if len(tags) > MAX_TAGS:
        raise FeedInputError(f"At most {MAX_TAGS} tags per feed.")
    for tag in tags:
        checked_text(tag, "tag")
    return tags


def info_of(feed: Feed, entries: int = 0, published: int = 0) -> FeedInfo:
    return FeedInfo(
        id=feed.id,
        guild_id=feed.guild_id,
        url=feed.url,
        title=feed.title,
        tags=tuple(json.loads(feed.tags or "[]")),
        mode=feed.mode,
        interval_seconds=feed.interval_seconds,
        paused=feed.paused,
        pause_reason=feed.pause_reason,
        failures=feed.failures,
        last_error=feed.last_error,
        next_poll_at=as_utc(feed.next_poll_at),
        last_polled_at=as_utc(feed.last_polled_at) if feed.last_polled_at else None,
        entries=entries,
        published=published,
    )


class FeedsService:
    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        fetcher: Fetcher,
        *,
        min_interval: int | None = None,
    ) -> None:
        self._sessionmaker = sessionmaker
        self._fetcher = fetcher
        self.min_interval = min_interval

    @property
    def fetcher(self) -> Fetcher:
        return self._fetcher

    def interval(self, text: str | int | None) -> int:
        if self.min_interval is not None:
            return parse_interval(text, minimum=self.min_interval)
        return parse_interval(text)

    async def add(
        self,
        guild_id: int | None,
        url: str,
        *,
        tags: str | list[str] | tuple[str, ...] | None = None,
        mode: str | None = None,
        interval: str | int | None = None,
        backfill: bool = False,
        actor: str | None = None,
    ) -> FeedInfo:
        """Subscribe: the URL is fetched and parsed once now, so a bad one is refused with its
        reason rather than failing later. Nothing is imported yet (the poller does that)."""
        guild = guild_id or SHARED
        try:
            url = normalise_url(check_url(checked_text(url, "feed URL")))
        except LinkError as exc:
            raise FeedInputError(str(exc)) from None
        chosen = (mode or "auto").strip().lower()
        if guild == SHARED:
            if mode not in (None, STORE_ONLY, "auto"):
                raise FeedInputError(
                    "Feeds of the shared library are only stored (no guild to review them)."
                )
            chosen = STORE_ONLY
        elif chosen not in MODES:
            raise FeedInputError("publish must be auto or review.")
        seconds = self.interval(interval)
        wanted = parse_tags(tags)
        async with self._sessionmaker() as session:
            count = await session.scalar(select(func.count(Feed.id)).where(Feed.guild_id == guild))
            if (count or 0) >= MAX_FEEDS_PER_GUILD:
                raise FeedInputError(f"At most {MAX_FEEDS_PER_GUILD} feeds per server.")
            existing = await session.scalar(
                select(Feed.id).where(Feed.guild_id == guild, Feed.url == url)
            )
            if existing is not None:
                raise FeedInputError(f"Already subscribed to that feed (feed {existing}).")
        try:
            got = await self._fetcher.get(url, want="feed")
            parsed = parse_feed(got.body, url=got.url, content_type=got.content_type)
        except (FetchError, FeedParseError) as exc:
            raise FeedInputError(f"{url[:120]}: {exc}") from None
        now = utcnow()
        feed = Feed(
            guild_id=guild,
            url=url,
            title=(parsed.title or "")[:300] or None,
            tags=json.dumps(list(wanted)),
            mode=chosen,
            interval_seconds=seconds,
            paused=False,
            backfill=backfill,
            baselined=False,
            next_poll_at=now,
            failures=0,
            created_by=(actor or "")[:200] or None,
            created_at=now,
        )
        async with self._sessionmaker() as session, session.begin():
            session.add(feed)
            await session.flush()
            return info_of(feed)

    async def feeds(self, guild_id: int | None) -> list[FeedInfo]:
        guild = guild_id or SHARED
        async with self._sessionmaker() as session:
            feeds = (
                await session.scalars(select(Feed).where(Feed.guild_id == guild).order_by(Feed.id))
            ).all()
            counts: dict[int, int] = dict(
                (
                    await session.execute(
                        select(FeedEntry.feed_id, func.count(FeedEntry.id))
                        .where(FeedEntry.feed_id.in_([f.id for f in feeds]))
                        .group_by(FeedEntry.feed_id)
                    )
                )
                .tuples()
                .all()
            )
            published: dict[int, int] = dict(
                (
                    await session.execute(
                        select(FeedEntry.feed_id, func.count(FeedEntry.id))
                        .where(
                            FeedEntry.feed_id.in_([f.id for f in feeds]),
                            FeedEntry.state.in_(("published", "stored")),
                        )
                        .group_by(FeedEntry.feed_id)
                    )
                )
                .tuples()
                .all()
            )
            return [info_of(f, counts.get(f.id, 0), published.get(f.id, 0)) for f in feeds]

    async def get(self, guild_id: int | None, feed_id: int) -> FeedInfo:
        async with self._sessionmaker() as session:
            return info_of(await self._feed(session, guild_id, feed_id))

    async def suggest(self, guild_id: int | None, text: str) -> list[FeedInfo]:
        """Feeds whose title or URL contain `text` (autocomplete), at most 25."""
        folded = (text or "").casefold().strip()
        found = [
            f
            for f in await self.feeds(guild_id)
            if not folded or folded in f"{f.id} {f.title or ''} {f.url}".casefold()
        ]
        return found[:25]

    async def remove(self, guild_id: int | None, feed_id: int) -> FeedInfo:
        """Unsubscribe. Articles already imported stay in the archive."""
        async with self._sessionmaker() as session, session.begin():
            feed = await self._feed(session, guild_id, feed_id)
            info = info_of(feed)
            await session.execute(delete(FeedEntry).where(FeedEntry.feed_id == feed.id))
            await session.delete(feed)
            return info

    async def pause(self, guild_id: int | None, feed_id: int, reason: str = "paused") -> FeedInfo:
        async with self._sessionmaker() as session, session.begin():
            feed = await self._feed(session, guild_id, feed_id)
            feed.paused = True
            feed.pause_reason = reason[:500]
            return info_of(feed)

    async def resume(self, guild_id: int | None, feed_id: int) -> FeedInfo:
        """Poll again from now on, the failure count reset."""
        async with self._sessionmaker() as session, session.begin():
            feed = await self._feed(session, guild_id, feed_id)
            feed.paused = False
            feed.pause_reason = None
            feed.failures = 0
            feed.next_poll_at = utcnow()
            return info_of(feed)

    async def set_interval(
        self, guild_id: int | None, feed_id: int, interval: str | int
    ) -> FeedInfo:
        """A new interval; the next poll comes at most one new interval from now."""
        seconds = self.interval(interval)
        async with self._sessionmaker() as session, session.begin():
            feed = await self._feed(session, guild_id, feed_id)
            feed.interval_seconds = seconds
            soonest = utcnow() + timedelta(seconds=seconds)
            if feed.failures == 0 and as_utc(feed.next_poll_at) > soonest:
                feed.next_poll_at = soonest
            return info_of(feed)

    async def _feed(self, session: AsyncSession, guild_id: int | None, feed_id: int) -> Feed:
        guild = guild_id or SHARED
        feed = None
        if 0 < feed_id < 2**31:
            feed = await session.get(Feed, feed_id)
        if feed is None or feed.guild_id != guild:
            where = "this server" if guild else "the shared library"
            raise FeedNotFound(f"No feed {feed_id} in {where} (see the feed list).")
        return feed


def describe_feed(info: FeedInfo) -> str:
    """One line for lists: id, title or URL, mode, interval, state."""
    state = f"paused ({info.pause_reason})" if info.paused else "active"
    if not info.paused and info.failures:
        state += f", {info.failures} failures"
    name = info.title or info.url
    return (
        f"{info.id}: {name[:80]} · {info.mode} · every {describe(info.interval_seconds)} · "
        f"{state} · {info.entries} entries"
    )
