"""Deleting an article: what it will do (for the confirmation), the deletion itself (one
transaction: tombstone, audit entry, forum posts to close, the article and everything of it),
then closing its forum posts with a notice, exactly once across restarts.

The deletion never calls Discord: it records each forum post to close (`removed_posts`, an
outbox like publishing's), so the CLI can delete too and the bot closes the posts when it next
runs (`close_posts`, also called from on_ready). A post's notice is sent with a nonce and its
state recorded before the call; a resumed run first looks for the notice in the thread.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from forumbot.services.errors import NotFound
from forumbot.storage.archive import ArchiveRepository
from forumbot.storage.models.archive import ArchiveAudit, Comment, Passage, RemovedPost
from forumbot.storage.models.discord import Publication

log = logging.getLogger(__name__)

ACTOR_CHARS = 200


class ThreadGone(Exception):
    """Raised by a port when the thread no longer exists (someone deleted it): nothing to close."""


class RemovalPort(Protocol):
    """What closing a removed article's forum post needs from Discord."""

    async def send_message(self, thread_id: int, *, content: str, nonce: str) -> int: ...

    async def find_message(self, thread_id: int, *, content: str, after: int) -> int | None: ...

    async def close_thread(self, thread_id: int) -> None:
        """Archive and lock the thread (a thread that is gone counts as closed)."""
        ...


@dataclass(frozen=True, slots=True)
class RemovalPlan:
    """What deleting an article will do, shown before the admin confirms."""

    article_id: int
    title: str
    passages: int
    comments: int
    posts: tuple[tuple[int, int], ...]  # (guild id, thread id) of its forum posts


@dataclass(frozen=True, slots=True)
class RemovalResult:
    article_id: int
    title: str
    removed_at: datetime
    posts: tuple[tuple[int, int], ...]


@dataclass(frozen=True, slots=True)
class AuditEntry:
    created_at: datetime
    action: str
    article_id: int
    title: str
    actor: str
    guild_id: int | None
    detail: str


def removal_notice(title: str, when: datetime) -> str:
    short = " ".join(title.split())[:300]
    return (
        f"🗑️ **Removed from the archive** on {when:%Y-%m-%d}: *{short}*. "
        "This post is archived and locked; `/cite` and `/search` no longer offer it."
    )


class RemovalService:
    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession]) -> None:
        self._sessionmaker = sessionmaker

    async def plan(self, article_id: int) -> RemovalPlan:
        async with self._sessionmaker() as session:
            summary = await ArchiveRepository(session).get_summary(article_id)
            if summary is None:
                raise NotFound(f"No article with id {article_id}.")
            posts = await _posts(session, article_id)
        return RemovalPlan(
            article_id=article_id,
            title=summary.title,
            passages=summary.passages,
            comments=summary.comments,
            posts=posts,
        )

    async def delete(
        self, article_id: int, *, actor: str, guild_id: int | None = None
    ) -> RemovalResult:
        """Delete the article and record it; its forum posts are queued for closing."""
        actor = " ".join(actor.split())[:ACTOR_CHARS] or "unknown"
        async with self._sessionmaker() as session, session.begin():
            repo = ArchiveRepository(session)
            summary = await repo.get_summary(article_id)
            if summary is None:
                raise NotFound(f"No article with id {article_id}.")
            posts = await _posts(session, article_id)
            passages = await session.scalar(
                select(func.count(Passage.id)).where(Passage.article_id == article_id)
            )
            comments = await session.scalar(
                select(func.count(Comment.id)).where(Comment.article_id == article_id)
            )
            removed = await repo.remove_article(article_id, removed_by=actor)
            assert removed is not None  # looked up in this transaction
            notice = removal_notice(removed.title, removed.removed_at)
            for post_guild, thread_id in posts:
                session.add(
                    RemovedPost(
                        article_id=article_id,
                        guild_id=post_guild,
                        thread_id=thread_id,
                        notice=notice,
                        state="pending",
                    )
                )
            session.add(
                ArchiveAudit(
                    action="delete",
                    article_id=article_id,
                    title=removed.title,
                    actor=actor,
                    guild_id=guild_id,
                    detail=(
                        f"revision {summary.revision}, {passages} passages, {comments} comments, "
                        f"{len(posts)} forum posts to close"
                    ),
                )
            )
        log.info("article removed", extra={"article_id": article_id, "actor": actor})
        return RemovalResult(article_id, removed.title, removed.removed_at, posts)

    async def pending_posts(self, guild_id: int) -> list[int]:
        async with self._sessionmaker() as session:
            rows = await session.scalars(
                select(RemovedPost.id).where(
                    RemovedPost.guild_id == guild_id, RemovedPost.state != "done"
                )
            )
            return list(rows)

    async def close_posts(self, port: RemovalPort, guild_id: int) -> int:
        """Post the notice in each removed article's thread of this guild, then archive and lock
        it. Returns how many posts were closed now."""
        closed = 0
        for post_id in await self.pending_posts(guild_id):
            async with self._sessionmaker() as session:
                post = await session.get(RemovedPost, post_id)
                if post is None or post.state == "done":
                    continue
                try:
                    found = None
                    if post.state == "sending":  # the notice may have gone out before a crash
                        found = await port.find_message(
                            post.thread_id, content=post.notice, after=post.thread_id
                        )
                    if found is None:
                        post.state = "sending"
                        await session.commit()
                        await port.send_message(
                            post.thread_id, content=post.notice, nonce=f"fbrm{post.id}"
                        )
                    await port.close_thread(post.thread_id)
                except ThreadGone:
                    log.info("removed article's thread is gone", extra={"thread": post.thread_id})
                post.state = "done"
                await session.commit()
                closed += 1
        return closed

    async def audit(self, limit: int = 50) -> list[AuditEntry]:
        async with self._sessionmaker() as session:
            rows = await session.scalars(
                select(ArchiveAudit).order_by(ArchiveAudit.id.desc()).limit(max(1, limit))
            )
            return [
                AuditEntry(
                    r.created_at, r.action, r.article_id, r.title, r.actor, r.guild_id, r.detail
                )
                for r in rows
            ]


async def _posts(session: AsyncSession, article_id: int) -> tuple[tuple[int, int], ...]:
    rows = await session.execute(
        select(Publication.guild_id, Publication.thread_id)
        .where(Publication.article_id == article_id, Publication.thread_id.is_not(None))
        .order_by(Publication.guild_id)
    )
    return tuple((int(g), int(t)) for g, t in rows if t is not None)


def describe_posts(posts: Sequence[tuple[int, int]]) -> str:
    if not posts:
        return "It has no forum post."
    if len(posts) == 1:
        return "Its forum post gets a removal notice and is archived and locked."
    return f"Its {len(posts)} forum posts get a removal notice and are archived and locked."
