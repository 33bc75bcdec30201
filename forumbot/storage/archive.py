"""The archive repository: saving parsed articles as revisions, and reading them back.

The repository never commits: the caller owns the unit of work
(`async with sessionmaker() as s, s.begin(): await ArchiveRepository(s).save_article(a)`).
"""

from __future__ import annotations

import hashlib
import json
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import ColumnElement, case, delete, func, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from forumbot.domain.article import ParsedArticle
from forumbot.storage.db import SQLITE_LOWER
from forumbot.storage.models.archive import (
    Article,
    ArticleRevision,
    ArticleTag,
    Comment,
    Passage,
    utcnow,
)

SaveStatus = Literal["created", "revised", "unchanged"]
STABLE_ID_LENGTH = 16


@dataclass(frozen=True, slots=True)
class SaveOutcome:
    status: SaveStatus
    article_id: int
    revision: int
    key: str
    passages: int = 0  # passages in the new revision; 0 when "unchanged" (nothing written)


@dataclass(frozen=True, slots=True)
class ArticleSummary:
    id: int
    key: str
    title: str
    author: str | None
    date: str | None
    source: str | None
    tags: tuple[str, ...]
    passages: int
    comments: int
    revision: int


@dataclass(frozen=True, slots=True)
class PassageRecord:
    number: int
    stable_id: str
    text: str


@dataclass(frozen=True, slots=True)
class CommentRecord:
    position: int
    author: str | None
    text: str
    origin: str
    discord_message_id: int | None = None


@dataclass(frozen=True, slots=True)
class ArticleRecord:
    id: int
    key: str
    title: str
    author: str | None
    date: str | None
    source: str | None
    tags: tuple[str, ...]
    revision: int
    passages: tuple[PassageRecord, ...]
    comments: tuple[CommentRecord, ...]

    @property
    def summary(self) -> ArticleSummary:
        return ArticleSummary(
            id=self.id,
            key=self.key,
            title=self.title,
            author=self.author,
            date=self.date,
            source=self.source,
            tags=self.tags,
            passages=len(self.passages),
            comments=len(self.comments),
            revision=self.revision,
        )


@dataclass(frozen=True, slots=True)
class RevisionRecord:
    number: int
    content_hash: str
    passage_ids: tuple[str, ...]


def normalise_passage(text: str) -> str:
    """What identity of a passage means: same characters, whitespace differences ignored."""
    return unicodedata.normalize("NFC", " ".join(text.split()))


def stable_passage_ids(key: str, paragraphs: Sequence[str]) -> list[str]:
    """Ids that survive edits elsewhere in the article: a hash of (article key, normalised text,
    occurrence of that same text so far), so repeated paragraphs get distinct ids."""
    seen: Counter[str] = Counter()
    ids = []
    for paragraph in paragraphs:
        text = normalise_passage(paragraph)
        occurrence = seen[text]
        seen[text] += 1
        digest = hashlib.sha256(f"{key}\x00{text}\x00{occurrence}".encode()).hexdigest()
        ids.append(digest[:STABLE_ID_LENGTH])
    return ids


def article_paragraphs(parsed: ParsedArticle) -> list[str]:
    """The passages as stored: blank paragraphs carry nothing to cite and are dropped."""
    return [p for p in parsed.paragraphs if p.strip()]


def article_tags(parsed: ParsedArticle) -> list[str]:
    tags: dict[str, None] = {}
    for tag in parsed.tags:
        cleaned = " ".join(tag.split())[:100]
        if cleaned and cleaned.casefold() not in {t.casefold() for t in tags}:
            tags[cleaned] = None
    return list(tags)


def content_hash(parsed: ParsedArticle) -> str:
    """Hash of everything a load writes; any difference makes a new revision."""
    payload = {
        "title": parsed.title,
        "author": parsed.author,
        "date": parsed.date,
        "source": parsed.source,
        "tags": sorted(article_tags(parsed)),
        "paragraphs": article_paragraphs(parsed),
        "comments": [[c.position, c.author, c.text] for c in parsed.comments],
    }
    encoded = json.dumps(payload, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(encoded.encode()).hexdigest()


class ArchiveRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    # ---- writing -------------------------------------------------------------------------

    async def save_article(self, parsed: ParsedArticle) -> SaveOutcome:
        """Create the article, or make revision n+1 if anything changed, or do nothing."""
        session = self.session
        digest = content_hash(parsed)
        article = await session.scalar(select(Article).where(Article.key == parsed.key))
        if article is not None and article.content_hash == digest:
            return SaveOutcome("unchanged", article.id, article.revision, article.key)

        paragraphs = article_paragraphs(parsed)
        ids = stable_passage_ids(parsed.key, paragraphs)
        status: SaveStatus
        if article is None:
            status = "created"
            article = Article(key=parsed.key, revision=1)
            session.add(article)
        else:
            status = "revised"
            article.revision += 1
            article.updated_at = utcnow()
        article.title = parsed.title
        article.author = parsed.author
        article.date = parsed.date
        article.source = parsed.source
        article.content_hash = digest
        await session.flush()

        await self._sync_passages(article.id, paragraphs, ids)
        await self._sync_tags(article.id, article_tags(parsed))
        await self._sync_imported_comments(article.id, parsed)
        session.add(
            ArticleRevision(
                article_id=article.id, number=article.revision, content_hash=digest, passage_ids=ids
            )
        )
        await session.flush()
        return SaveOutcome(status, article.id, article.revision, article.key, len(paragraphs))

    async def _sync_passages(self, article_id: int, paragraphs: list[str], ids: list[str]) -> None:
        """Keep rows (and so FTS entries) of unchanged passages; renumber, delete, insert."""
        session = self.session
        rows = (
            await session.execute(
                select(Passage.id, Passage.stable_id, Passage.number).where(
                    Passage.article_id == article_id
                )
            )
        ).all()
        existing = {sid: (pid, number) for pid, sid, number in rows}
        wanted = set(ids)
        gone = [pid for sid, (pid, _n) in existing.items() if sid not in wanted]
        if gone:
            await session.execute(delete(Passage).where(Passage.id.in_(gone)))

        moves = [
            (existing[sid][0], number)
            for number, sid in enumerate(ids, start=1)
            if sid in existing and existing[sid][1] != number
        ]
        if moves:
            # Two steps through negative numbers so (article_id, number) stays unique throughout.
            for sign in (-1, 1):
                await session.execute(
                    update(Passage),
                    [{"id": pid, "number": sign * number} for pid, number in moves],
                )

        new_rows = [
            {"article_id": article_id, "number": number, "stable_id": sid, "text": text}
            for number, (sid, text) in enumerate(zip(ids, paragraphs, strict=True), start=1)
            if sid not in existing
        ]
        if new_rows:
            await session.execute(insert(Passage), new_rows)

    async def _sync_tags(self, article_id: int, tags: list[str]) -> None:
        await self.session.execute(delete(ArticleTag).where(ArticleTag.article_id == article_id))
        if tags:
            await self.session.execute(
                insert(ArticleTag), [{"article_id": article_id, "tag": tag} for tag in tags]
            )

    async def _sync_imported_comments(self, article_id: int, parsed: ParsedArticle) -> None:
        """Imported comments mirror the file; comments from Discord are left alone."""
        await self.session.execute(
            delete(Comment).where(Comment.article_id == article_id, Comment.origin == "imported")
        )
        if parsed.comments:
            now = utcnow()
            await self.session.execute(
                insert(Comment),
                [
                    {
                        "article_id": article_id,
                        "position": c.position,
                        "author": c.author,
                        "text": c.text,
                        "origin": "imported",
                        "created_at": now,
                    }
                    for c in parsed.comments
                ],
            )

    async def add_comment(
        self,
        article_id: int,
        text: str,
        *,
        author: str | None = None,
        origin: str = "discord",
        discord_message_id: int | None = None,
    ) -> CommentRecord:
        """Append a comment (e.g. one posted on Discord) after the article's last one."""
        last = await self.session.scalar(
            select(func.max(Comment.position)).where(Comment.article_id == article_id)
        )
        comment = Comment(
            article_id=article_id,
            position=(last or 0) + 1,
            author=author,
            text=text,
            origin=origin,
            discord_message_id=discord_message_id,
        )
        self.session.add(comment)
        await self.session.flush()
        return _comment_record(comment)

    # ---- reading -------------------------------------------------------------------------

    async def list_articles(self) -> list[ArticleSummary]:
        return await self._summaries(order_by=[Article.id])

    async def suggest_articles(self, text: str, limit: int = 25) -> list[ArticleSummary]:
        """Articles whose title or key contains `text` (or whose id it is), titles that start
        with it first. For autocomplete: never raises on user text."""
        needle = " ".join(text.split()).lower()[:200]
        if not needle:
            return await self._summaries(order_by=[Article.id.desc()], limit=limit)
        lower = func.lower
        if self.session.get_bind().dialect.name == "sqlite":
            lower = getattr(func, SQLITE_LOWER)  # Unicode-aware, registered by make_engine
        title = lower(Article.title)
        conditions: list[ColumnElement[bool]] = [
            title.contains(needle, autoescape=True),
            lower(Article.key).contains(needle, autoescape=True),
        ]
        rank = case((title.startswith(needle, autoescape=True), 1), else_=2)
        if needle.isdigit() and len(needle) < 10:
            conditions.append(Article.id == int(needle))
            rank = case((Article.id == int(needle), 0), else_=rank)
        return await self._summaries(
            where=or_(*conditions), order_by=[rank, Article.title, Article.id], limit=limit
        )

    async def get_article(self, article_id: int) -> ArticleRecord | None:
        article = await self.session.get(Article, article_id)
        if article is None:
            return None
        passages = await self.get_passages(article_id, 1, 2**31 - 1)
        comments = (
            await self.session.scalars(
                select(Comment)
                .where(Comment.article_id == article_id)
                .order_by(Comment.position, Comment.id)
            )
        ).all()
        tags = await self._tags([article_id])
        return ArticleRecord(
            id=article.id,
            key=article.key,
            title=article.title,
            author=article.author,
            date=article.date,
            source=article.source,
            tags=tags.get(article_id, ()),
            revision=article.revision,
            passages=tuple(passages),
            comments=tuple(_comment_record(c) for c in comments),
        )

    async def get_article_id(self, key: str) -> int | None:
        return await self.session.scalar(select(Article.id).where(Article.key == key))

    async def get_passages(self, article_id: int, first: int, last: int) -> list[PassageRecord]:
        """Current passages numbered first..last (inclusive), in order."""
        rows = await self.session.execute(
            select(Passage.number, Passage.stable_id, Passage.text)
            .where(Passage.article_id == article_id, Passage.number.between(first, last))
            .order_by(Passage.number)
        )
        return [PassageRecord(number, sid, text) for number, sid, text in rows]

    async def get_passage_by_stable_id(
        self, article_id: int, stable_id: str
    ) -> PassageRecord | None:
        row = (
            await self.session.execute(
                select(Passage.number, Passage.stable_id, Passage.text).where(
                    Passage.article_id == article_id, Passage.stable_id == stable_id
                )
            )
        ).first()
        return PassageRecord(*row) if row else None

    async def list_revisions(self, article_id: int) -> list[RevisionRecord]:
        rows = await self.session.execute(
            select(
                ArticleRevision.number, ArticleRevision.content_hash, ArticleRevision.passage_ids
            )
            .where(ArticleRevision.article_id == article_id)
            .order_by(ArticleRevision.number)
        )
        return [RevisionRecord(n, h, tuple(ids)) for n, h, ids in rows]

    async def resolve_passage(
        self, article_id: int, revision: int, number: int
    ) -> PassageRecord | None:
        """Where passage `number` of an old `revision` is now, or None if it was removed or
        edited away (its text changed, so its stable id is gone)."""
        ids = await self.session.scalar(
            select(ArticleRevision.passage_ids).where(
                ArticleRevision.article_id == article_id, ArticleRevision.number == revision
            )
        )
        if not ids or not 1 <= number <= len(ids):
            return None
        return await self.get_passage_by_stable_id(article_id, str(ids[number - 1]))

    # ---- helpers -------------------------------------------------------------------------

    async def _summaries(
        self,
        *,
        where: ColumnElement[bool] | None = None,
        order_by: Sequence[Any] = (),
        limit: int | None = None,
    ) -> list[ArticleSummary]:
        passages = (
            select(func.count(Passage.id))
            .where(Passage.article_id == Article.id)
            .correlate(Article)
            .scalar_subquery()
        )
        comments = (
            select(func.count(Comment.id))
            .where(Comment.article_id == Article.id)
            .correlate(Article)
            .scalar_subquery()
        )
        stmt = select(Article, passages, comments).order_by(*order_by)
        if where is not None:
            stmt = stmt.where(where)
        if limit is not None:
            stmt = stmt.limit(max(0, limit))
        rows = (await self.session.execute(stmt)).all()
        tags = await self._tags([row[0].id for row in rows])
        return [
            ArticleSummary(
                id=a.id,
                key=a.key,
                title=a.title,
                author=a.author,
                date=a.date,
                source=a.source,
                tags=tags.get(a.id, ()),
                passages=n_passages,
                comments=n_comments,
                revision=a.revision,
            )
            for a, n_passages, n_comments in rows
        ]

    async def _tags(self, article_ids: Iterable[int]) -> dict[int, tuple[str, ...]]:
        ids = list(article_ids)
        if not ids:
            return {}
        rows = await self.session.execute(
            select(ArticleTag.article_id, ArticleTag.tag)
            .where(ArticleTag.article_id.in_(ids))
            .order_by(ArticleTag.article_id, ArticleTag.tag)
        )
        tags: dict[int, list[str]] = {}
        for article_id, tag in rows:
            tags.setdefault(article_id, []).append(tag)
        return {k: tuple(v) for k, v in tags.items()}


def _comment_record(comment: Comment) -> CommentRecord:
    return CommentRecord(
        position=comment.position,
        author=comment.author,
        text=comment.text,
        origin=comment.origin,
        discord_message_id=comment.discord_message_id,
    )
