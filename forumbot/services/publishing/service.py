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
    PlannedMessage,
    PublishPlan,
    build_plan,
    marker_for,
    removed_chunk,
    revision_notice,
)
from forumbot.storage.models.archive import Article
from forumbot.storage.models.discord import Publication, PublicationMessage

log = logging.getLogger(__name__)


class DiscordUnavailable(Exception):
    """Raised by a port when Discord failed in a way worth retrying (5xx, dropped connection).

    After such a failure the call may or may not have taken effect; the service reconciles.
    """


class EditRefused(Exception):
    """Discord refused to edit an old message now (30046: too many edits of messages older than
    an hour). The service posts the new text as a new message instead."""


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

    async def edit_message(self, thread_id: int, message_id: int, *, content: str) -> None:
        """Replace a bot message's content. Raises EditRefused when Discord throttles edits of
        old messages (30046)."""
        ...

    async def message_content(self, thread_id: int, message_id: int) -> str | None:
        """The current content of a message (None if it is gone)."""
        ...

    async def update_thread(self, thread_id: int, *, name: str, starter: str) -> None:
        """Rename the thread and edit its starter message, each only if it differs (renames
        are rate limited hard). A refused starter edit (30046) is left as it is."""
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


def _row(
    publication_id: int,
    seq: int,
    kind: str,
    content: str,
    first: int | None = None,
    last: int | None = None,
) -> PublicationMessage:
    return PublicationMessage(
        publication_id=publication_id,
        seq=seq,
        kind=kind,
        content=content,
        first_passage=first,
        last_passage=last,
        nonce=f"fb{publication_id}.{seq}",
        state="pending",
    )


@dataclass(frozen=True, slots=True)
class RevisionChange:
    """How a published post changes for the article's current revision."""

    plan: PublishPlan
    edits: tuple[tuple[PublicationMessage, PlannedMessage], ...]  # posted rows to edit
    added: tuple[PlannedMessage, ...]  # passages messages to append
    removed: tuple[PublicationMessage, ...]  # posted passages rows left over
    retitled: bool


def revision_changes(pub: Publication, article: Any) -> RevisionChange:
    """Pair the post's messages with the new plan's, kind by kind (passages, imported
    comments), in order (pure)."""
    plan = build_plan(article, marker=pub.marker)
    edits: list[tuple[PublicationMessage, PlannedMessage]] = []
    added: list[PlannedMessage] = []
    removed: list[PublicationMessage] = []
    for kind in ("passages", "comment"):
        posted = [m for m in pub.messages if m.kind == kind and m.state != "superseded"]
        wanted = [m for m in plan.messages if m.kind == kind]
        edits += [
            (row, new)
            for row, new in zip(posted, wanted, strict=False)
            if (row.content, row.first_passage, row.last_passage)
            != (new.content, new.first_passage, new.last_passage)
        ]
        added += wanted[len(posted) :]
        removed += posted[len(wanted) :]
    return RevisionChange(
        plan=plan,
        edits=tuple(edits),
        added=tuple(added),
        removed=tuple(removed),
        retitled=plan.title != pub.title,
    )


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
        self._revisions: dict[tuple[int, int], int | None] = {}  # what _locations was read at

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
        article is dropped whenever one of its messages is recorded or its revision changed."""
        article_ids = {a for a, _ in wanted}
        # One small query for the articles' current revisions: a revision stored by another
        # process (`forumbot load`) must not leave links to text /cite no longer quotes.
        async with self._sessionmaker() as session:
            rows = await session.execute(
                select(Article.id, Article.revision).where(Article.id.in_(article_ids))
            )
            current: dict[int, int] = {int(aid): int(rev) for aid, rev in rows}
        for article_id in article_ids:
            if self._revisions.get((guild_id, article_id)) != current.get(article_id):
                self._locations.pop((guild_id, article_id), None)
                self._revisions[(guild_id, article_id)] = current.get(article_id)
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

    def forget(self, article_id: int) -> None:
        """Drop what is cached of an article (it was deleted): no jump link leads to it."""
        for key in [k for k in self._locations if k[1] == article_id]:
            del self._locations[key]

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
                .join(Article, Article.id == Publication.article_id)
                .where(
                    Publication.guild_id == guild_id,
                    Publication.article_id.in_(article_ids),
                    PublicationMessage.kind == "passages",
                    PublicationMessage.message_id.is_not(None),
                    # A jump link lands only on text /cite quotes: the post must show the
                    # current revision and the message must hold its planned text.
                    PublicationMessage.state == "sent",
                    Publication.revision == Article.revision,
                )
                .order_by(PublicationMessage.seq)
            )
            loaded: dict[int, list[tuple[int, int, int, int]]] = {a: [] for a in article_ids}
            for article_id, thread_id, first, last, message_id in rows:
                loaded[article_id].append((first, last, thread_id, message_id))
        for article_id, spans in loaded.items():
            self._locations[(guild_id, article_id)] = tuple(spans)

    async def preview_revision(
        self, guild_id: int, article_id: int, article: Any
    ) -> tuple[PublicationInfo, RevisionChange] | None:
        """What publishing `article` (a would-be revision, shaped like an ArchiveRepository
        record) would change in this guild's forum post; None when it has no post."""
        async with self._sessionmaker() as session:
            pub = await self._get(session, guild_id, article_id)
            if pub is None or pub.thread_id is None:
                return None
            info = PublicationInfo(
                article_id=article_id,
                revision=pub.revision,
                thread_id=pub.thread_id,
                state=pub.state,
                messages=len(pub.messages),
                sent=sum(1 for m in pub.messages if m.state == "sent"),
            )
            return info, revision_changes(pub, article)

    async def pending_guilds(self) -> list[int]:
        """Guilds with an unfinished publication (the scheduler finishes them for every shard)."""
        async with self._sessionmaker() as session:
            rows = await session.scalars(
                select(Publication.guild_id).where(Publication.state != "done").distinct()
            )
            return sorted(rows)

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

    def lock(self, guild_id: int, article_id: int) -> asyncio.Lock:
        """The lock publishing holds for an article in a guild (a deletion takes it too, so it
        never pulls the rows from under a publication in progress)."""
        return self._locks.setdefault((guild_id, article_id), asyncio.Lock())

    async def publish(
        self, port: ForumPort, *, guild_id: int, forum_id: int, article_id: int
    ) -> PublishResult:
        async with self.lock(guild_id, article_id):
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
        """A published article that was revised since: plan, in one transaction, the edits that
        make its post show the current text (each passages message whose text changed is
        edited in place; new passages are appended; messages left over say they were removed),
        the new title and starter, and a short notice for readers. Carried out by
        `_publish_once` through the outbox like any message."""
        if pub.state != "done":
            return
        article = await self._load_article(session, pub.article_id)
        if article is None or article.revision <= pub.revision:
            return
        change = revision_changes(pub, article)
        seq = len(pub.messages)
        for row, new in change.edits:
            row.content = new.content
            row.first_passage, row.last_passage = new.first_passage, new.last_passage
            row.state = "edit"
        for row in change.removed:
            new_content = removed_chunk(article.revision, row.kind)
            if row.content == new_content:
                continue  # emptied by an earlier revision already
            row.content = new_content
            row.first_passage = row.last_passage = None
            row.state = "edit"
        for new in change.added:
            session.add(
                _row(pub.id, seq, new.kind, new.content, new.first_passage, new.last_passage)
            )
            seq += 1
        notice = revision_notice(
            pub.revision,
            article.revision,
            len(article.passages),
            edited=len(change.edits),
            added=len(change.added),
            removed=len(change.removed),
        )
        session.add(_row(pub.id, seq, "notice", notice))
        pub.title = change.plan.title
        pub.starter_content = change.plan.starter
        pub.revision = article.revision
        pub.state = "revising"
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
            if pub.state == "revising":  # idempotent: the port changes only what differs
                await port.update_thread(thread_id, name=pub.title, starter=pub.starter_content)
                await self._set(session, pub, state="posting")
            last_id = thread_id
            index = 0
            while index < len(pub.messages):  # edits may append rows as it goes
                row = pub.messages[index]
                index += 1
                if row.state in ("edit", "editing"):
                    sent += await self._edit(session, port, pub, row)
                    self._locations.pop((guild_id, article_id), None)
                if row.state in ("sent", "superseded"):
                    if row.message_id is not None:
                        last_id = max(last_id, row.message_id)
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

    async def _edit(
        self, session: AsyncSession, port: ForumPort, pub: Publication, row: PublicationMessage
    ) -> int:
        """Edit a posted message to its planned content, exactly once: the intent is recorded
        first, and a resumed edit first reads the message (already edited: nothing to do).
        Throttled by Discord (old messages), the row is superseded by a new message with the
        text, and jump links move to that one. Returns 1 if a call changed Discord."""
        thread_id, message_id = pub.thread_id, row.message_id
        assert thread_id is not None and message_id is not None
        if row.state == "editing":
            current = await port.message_content(thread_id, message_id)
            if current == row.content:
                await self._set(session, row, state="sent")
                return 0
        await self._set(session, row, state="editing")
        try:
            await port.edit_message(thread_id, message_id, content=row.content)
        except EditRefused:
            seq = max(m.seq for m in pub.messages) + 1
            replacement = _row(
                pub.id, seq, row.kind, row.content, row.first_passage, row.last_passage
            )
            session.add(replacement)
            pub.messages.append(replacement)
            await self._set(session, row, state="superseded", first_passage=None, last_passage=None)
            log.info("edit refused, posting instead", extra={"message_id": message_id})
            return 0
        await self._set(session, row, state="sent")
        return 1

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
