"""Publishing articles as forum posts, exactly once, through an outbox.

Every Discord call is preceded by a committed record of the intent, so a crash or kill at any point
leaves a state that the next run can reconcile:

- thread creation takes no nonce on Discord: a publication in state `creating` may or may not have
  a thread, so the next run looks for the publication's marker among the forum's threads;
- a message in state `sending` may or may not exist: it is sent with a nonce (Discord deduplicates
  a resend for a while) and the next run first reads the thread for a bot message with exactly
  that content after the last recorded one.

The service talks to Discord only through `ForumPort`, which the bot implements with discord.py
and the unit tests implement with a fake that can crash between any two steps.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import selectinload

from forumbot.services.errors import NotFound, PublishInterrupted
from forumbot.services.publishing.plan import (
    build_plan,
    marker_for,
    revision_notice,
)
from forumbot.storage.models.discord import Publication, PublicationMessage

log = logging.getLogger(__name__)


class DiscordUnavailable(Exception):
    """Raised by a port when Discord failed in a way worth retrying (5xx, dropped connection).

    After such a failure the call may or may not have taken effect; the service reconciles.
    """


class ForumPort(Protocol):
    """What publishing needs from Discord."""

    async def ensure_tags(self, forum_id: int, names: Sequence[str]) -> list[int]:
        """Ids of forum tags with these names, creating missing ones while the forum has room."""
        ...

    async def create_thread(
        self, forum_id: int, *, name: str, content: str, tag_ids: Sequence[int]
    ) -> int:
        """Create a forum post; returns the thread id (== its starter message id)."""
        ...

    async def find_threads(self, forum_id: int, marker: str) -> list[int]:
        """Threads of the forum (active and archived) whose starter message contains `marker`,
        oldest first."""
        ...

    async def delete_thread(self, thread_id: int) -> None: ...

    async def send_message(self, thread_id: int, *, content: str, nonce: str) -> int:
        """Send a message (with an enforced nonce); returns its id."""
        ...

    async def find_message(self, thread_id: int, *, content: str, after: int) -> int | None:
        """The id of the bot's first message in the thread after `after` with exactly `content`."""
        ...


@dataclass(frozen=True, slots=True)
class PublishResult:
    article_id: int
    title: str
    thread_id: int
    status: str  # "published" | "resumed" | "revised" | "already"
    messages_sent: int


@dataclass(frozen=True, slots=True)
class PassageLocation:
    article_id: int
    passage: int
    thread_id: int
    message_id: int


@dataclass(frozen=True, slots=True)
class PublicationInfo:
    article_id: int
    revision: int
    thread_id: int | None
    state: str
    messages: int
    sent: int


# --- the service ---------------------------------------------------------------------------------

ArticleLoader = Callable[[AsyncSession, int], Awaitable[Any]]


async def _load_article(session: AsyncSession, article_id: int) -> Any:
    from forumbot.storage.archive import ArchiveRepository
    from forumbot.storage.libraries import EVERY_LIBRARY

    # Which guild may publish it is checked before a publication is planned (`_plan`); a
    # planned one is finished (or revised) even if the article's library is hidden since.
    return await ArchiveRepository(session, EVERY_LIBRARY).get_article(article_id)


async def _guild_sees(session: AsyncSession, guild_id: int, article_id: int) -> bool:
    from forumbot.storage.libraries import library_scope
    from forumbot.storage.models.archive import Article

    library = await session.scalar(select(Article.library_id).where(Article.id == article_id))
    return library is not None and (await library_scope(session, guild_id)).sees(library)


def _status(before: PublicationInfo | None, after: PublicationInfo) -> str:
    if before is None or before.thread_id is None:
        return "published"
    if before.state == "done":
        return "revised" if after.revision > before.revision else "already"
    return "resumed"


class PublishingService:
    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        *,
        attempts: int = 3,
        retry_delay: float = 0.5,
        load_article: ArticleLoader = _load_article,
        slow_create_seconds: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._sessionmaker = sessionmaker
        self._slow_create = slow_create_seconds
        self._clock = clock
        self._attempts = attempts
        self._retry_delay = retry_delay
        self._load_article = load_article
        self._locks: dict[tuple[int, int], asyncio.Lock] = {}
        # (guild, article) -> ((first passage, last passage, thread id, message id), ...)
        self._locations: dict[tuple[int, int], tuple[tuple[int, int, int, int], ...]] = {}

    # -- queries ----------------------------------------------------------------------------------

    async def publication(self, guild_id: int, article_id: int) -> PublicationInfo | None:
        async with self._sessionmaker() as session:
            pub = await self._get(session, guild_id, article_id)
            if pub is None:
                return None
            sent = sum(1 for m in pub.messages if m.state == "sent")
            return PublicationInfo(
                article_id=pub.article_id,
                revision=pub.revision,
                thread_id=pub.thread_id,
                state=pub.state,
                messages=len(pub.messages),
                sent=sent,
            )

    async def locate_passages(
        self, guild_id: int, wanted: Sequence[tuple[int, int]]
    ) -> dict[tuple[int, int], PassageLocation]:
        """Where each (article_id, passage) was posted in this guild (for jump links).

        Served from memory after the first lookup (every search needs it); the entry of an
        article is dropped whenever one of its messages is recorded."""
        article_ids = {a for a, _ in wanted}
        missing = [a for a in article_ids if (guild_id, a) not in self._locations]
        if missing:
            await self._load_locations(guild_id, missing)
        found: dict[tuple[int, int], PassageLocation] = {}
        for article_id, passage in wanted:
            for first, last, thread_id, message_id in self._locations.get(
                (guild_id, article_id), ()
            ):
                if first <= passage <= last:
                    found[(article_id, passage)] = PassageLocation(
                        article_id, passage, thread_id, message_id
                    )
                    break
        return found

    async def _load_locations(self, guild_id: int, article_ids: Sequence[int]) -> None:
        async with self._sessionmaker() as session:
            rows = await session.execute(
                select(
                    Publication.article_id,
                    Publication.thread_id,
                    PublicationMessage.first_passage,
                    PublicationMessage.last_passage,
                    PublicationMessage.message_id,
                )
                .join(PublicationMessage, PublicationMessage.publication_id == Publication.id)
                .where(
                    Publication.guild_id == guild_id,
                    Publication.article_id.in_(article_ids),
                    PublicationMessage.kind == "passages",
                    PublicationMessage.message_id.is_not(None),
                )
                .order_by(PublicationMessage.seq)
            )
            loaded: dict[int, list[tuple[int, int, int, int]]] = {a: [] for a in article_ids}
            for article_id, thread_id, first, last, message_id in rows:
                loaded[article_id].append((first, last, thread_id, message_id))
        for article_id, spans in loaded.items():
            self._locations[(guild_id, article_id)] = tuple(spans)

    async def pending(self, guild_id: int) -> list[int]:
        """Article ids whose publication in this guild is not finished."""
        async with self._sessionmaker() as session:
            rows = await session.scalars(
                select(Publication.article_id).where(
                    Publication.guild_id == guild_id, Publication.state != "done"
                )
            )
            return list(rows)

    # -- publishing -------------------------------------------------------------------------------

    async def publish(
        self, port: ForumPort, *, guild_id: int, forum_id: int, article_id: int
    ) -> PublishResult:
        lock = self._locks.setdefault((guild_id, article_id), asyncio.Lock())
        async with lock:
            before = await self.publication(guild_id, article_id)
            for attempt in range(1, self._attempts + 1):
                try:
                    sent = await self._publish_once(port, guild_id, forum_id, article_id)
                    break
                except DiscordUnavailable as exc:
                    log.info(
                        "publish interrupted",
                        extra={"article_id": article_id, "attempt": attempt, "error": str(exc)},
                    )
                    if attempt == self._attempts:
                        raise PublishInterrupted(
                            "Discord failed while publishing; the progress is saved, "
                            "run the command again to resume."
                        ) from exc
                    await asyncio.sleep(self._retry_delay * attempt)
            info = await self.publication(guild_id, article_id)
            assert info is not None and info.thread_id is not None
            async with self._sessionmaker() as session:
                pub = await self._get(session, guild_id, article_id)
                assert pub is not None
                title = pub.title
            return PublishResult(
                article_id=article_id,
                title=title,
                thread_id=info.thread_id,
                status=_status(before, info),
                messages_sent=sent,
            )

    async def publish_all(
        self,
        port: ForumPort,
        *,
        guild_id: int,
        forum_id: int,
        article_ids: Sequence[int],
    ) -> list[PublishResult]:
        """Publish articles one after another (in order, so the forum reads in archive order)."""
        return [
            await self.publish(port, guild_id=guild_id, forum_id=forum_id, article_id=a)
            for a in article_ids
        ]

    async def _get(
        self, session: AsyncSession, guild_id: int, article_id: int
    ) -> Publication | None:
        return await session.scalar(
            select(Publication)
            .where(Publication.guild_id == guild_id, Publication.article_id == article_id)
            .options(selectinload(Publication.messages))
        )

    async def _plan(self, guild_id: int, forum_id: int, article_id: int) -> None:
        """Create the publication and all its outbox rows in one transaction (idempotent)."""
        async with self._sessionmaker() as session:
            existing = await self._get(session, guild_id, article_id)
            if existing is not None:
                await self._plan_revision_notice(session, existing)
                return
            if not await _guild_sees(session, guild_id, article_id):
                raise NotFound(f"No article with id {article_id}.")
            article = await self._load_article(session, article_id)
            if article is None:
                raise NotFound(f"No article with id {article_id}.")
            pub = Publication(
                guild_id=guild_id,
                forum_channel_id=forum_id,
                article_id=article_id,
                revision=article.revision,
                title="",
                starter_content="",
                marker="",
                state="planned",
            )
            session.add(pub)
            await session.flush()  # the id goes into the marker and the nonces
            marker = marker_for(article_id, article.revision, pub.id)
            plan = build_plan(article, marker=marker)
            pub.title = plan.title
            pub.starter_content = plan.starter
            pub.tag_names = "\n".join(plan.tags)
            pub.marker = marker
            for seq, msg in enumerate(plan.messages):
                session.add(
                    PublicationMessage(
                        publication_id=pub.id,
                        seq=seq,
                        kind=msg.kind,
                        content=msg.content,
                        first_passage=msg.first_passage,
                        last_passage=msg.last_passage,
                        nonce=f"fb{pub.id}.{seq}",
                        state="pending",
                    )
                )
            try:
                await session.commit()
            except IntegrityError:
                # Planned concurrently by another process: theirs stands.
                await session.rollback()

    async def _plan_revision_notice(self, session: AsyncSession, pub: Publication) -> None:
        """A published article that was revised since gets a notice appended to its thread
        (through the outbox like any message) rather than a rewrite of old messages."""
        if pub.state != "done":
            return
        article = await self._load_article(session, pub.article_id)
        if article is None or article.revision <= pub.revision:
            return
        seq = len(pub.messages)
        session.add(
            PublicationMessage(
                publication_id=pub.id,
                seq=seq,
                kind="notice",
                content=revision_notice(pub.revision, article.revision, len(article.passages)),
                nonce=f"fb{pub.id}.{seq}",
                state="pending",
            )
        )
        pub.revision = article.revision
        pub.state = "posting"
        pub.updated_at = datetime.now(UTC)
        try:
            await session.commit()
        except IntegrityError:  # planned concurrently by another process
            await session.rollback()

    async def _set(self, session: AsyncSession, obj: Any, **values: Any) -> None:
        for key, value in values.items():
            setattr(obj, key, value)
        if isinstance(obj, Publication):
            obj.updated_at = datetime.now(UTC)
        await session.commit()

    async def _publish_once(
        self, port: ForumPort, guild_id: int, forum_id: int, article_id: int
    ) -> int:
        await self._plan(guild_id, forum_id, article_id)
        sent = 0
        async with self._sessionmaker() as session:
            pub = await self._get(session, guild_id, article_id)
            assert pub is not None
            if pub.state == "done":
                return 0
            forum_id = pub.forum_channel_id
            if pub.thread_id is None:
                await self._ensure_thread(session, port, pub)
            thread_id = pub.thread_id
            assert thread_id is not None
            last_id = thread_id
            for row in pub.messages:
                if row.state == "sent":
                    assert row.message_id is not None
                    last_id = row.message_id
                    continue
                if row.state == "sending":
                    found = await port.find_message(thread_id, content=row.content, after=last_id)
                    if found is not None:
                        await self._set(session, row, state="sent", message_id=found)
                        self._locations.pop((guild_id, article_id), None)
                        last_id = found
                        continue
                await self._set(session, row, state="sending")
                message_id = await port.send_message(
                    thread_id, content=row.content, nonce=row.nonce
                )
                await self._set(session, row, state="sent", message_id=message_id)
                self._locations.pop((guild_id, article_id), None)
                last_id = message_id
                sent += 1
            await self._set(session, pub, state="done")
            log.info(
                "article published",
                extra={"article_id": article_id, "thread_id": thread_id, "guild_id": guild_id},
            )
        return sent

    async def _ensure_thread(
        self, session: AsyncSession, port: ForumPort, pub: Publication
    ) -> None:
        if pub.state == "creating":
            # A previous run may have created the thread without recording it.
            found = await port.find_threads(pub.forum_channel_id, pub.marker)
            if found:
                keep, *extra = found
                for duplicate in extra:  # only possible if Discord retried a create itself
                    await port.delete_thread(duplicate)
                await self._set(session, pub, thread_id=keep, state="posting")
                return
        tags = pub.tag_names.split("\n") if pub.tag_names else []
        tag_ids = await port.ensure_tags(pub.forum_channel_id, tags) if tags else []
        await self._set(session, pub, state="creating")
        started = self._clock()
        thread_id = await port.create_thread(
            pub.forum_channel_id, name=pub.title, content=pub.starter_content, tag_ids=tag_ids
        )
        if self._clock() - started >= self._slow_create:
            # discord.py retries a 5xx after sleeping >= 1 s; if the first try had been carried
            # out, that retry made a second post. Keep the one we were given.
            for other in await port.find_threads(pub.forum_channel_id, pub.marker):
                if other != thread_id:
                    await port.delete_thread(other)
        await self._set(session, pub, thread_id=thread_id, state="posting")
