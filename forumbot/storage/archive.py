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
from datetime import datetime
from typing import Any, Literal, cast

from sqlalchemy import ColumnElement, Table, case, delete, func, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from forumbot.domain.article import ParsedArticle
from forumbot.storage.db import SQLITE_LOWER
from forumbot.storage.libraries import SHARED_SCOPE, LibraryScope
from forumbot.storage.models.archive import (
    Article,
    ArticleRevision,
    ArticleTag,
    Comment,
    Passage,
    RemovedArticle,
)
from forumbot.storage.models.base import utcnow
from forumbot.storage.search import refresh_pairs

SaveStatus = Literal["created", "revised", "unchanged"]
STABLE_ID_LENGTH = 16
KEY_LOOKUP_CHUNK = 500  # keys per IN (...) lookup, well under SQLite's bound-parameter limit
# A write of passages brings the search's word-pair index up to date in its own transaction,
# unless more passages than this wait (an archive just migrated to 0016: the load's end does it).
PAIRS_REFRESH_MOST = 20_000
# Rows per multi-row passage INSERT, largest first (see _insert_passages).
PASSAGE_INSERT_SIZES = (256, 64, 16, 4, 1)

# Core tables for the multi-row inserts of new articles (the ORM's bulk path costs more per row).
ARTICLES = cast(Table, Article.__table__)
PASSAGES = cast(Table, Passage.__table__)
TAGS = cast(Table, ArticleTag.__table__)
COMMENTS = cast(Table, Comment.__table__)
REVISIONS = cast(Table, ArticleRevision.__table__)


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
    heading: str | None = None  # the section heading it sits under


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
class RemovedRecord:
    article_id: int
    key: str
    title: str
    removed_by: str
    removed_at: datetime


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


def article_headings(parsed: ParsedArticle) -> list[str | None]:
    """The section heading of each stored passage (aligned with `article_paragraphs`)."""
    return [parsed.heading_of(i) for i, p in enumerate(parsed.paragraphs) if p.strip()]


def article_tags(parsed: ParsedArticle) -> list[str]:
    tags: dict[str, None] = {}
    for tag in parsed.tags:
        cleaned = " ".join(tag.split())[:100]
        if cleaned and cleaned.casefold() not in {t.casefold() for t in tags}:
            tags[cleaned] = None
    return list(tags)


def content_hash(parsed: ParsedArticle) -> str:
    """Hash of everything a load writes; any difference makes a new revision."""
    payload: dict[str, Any] = {
        "title": parsed.title,
        "author": parsed.author,
        "date": parsed.date,
        "source": parsed.source,
        "tags": sorted(article_tags(parsed)),
        "paragraphs": article_paragraphs(parsed),
        "comments": [[c.position, c.author, c.text] for c in parsed.comments],
    }
    if any(parsed.headings):  # only then, so articles without sections keep their hash
        payload["headings"] = article_headings(parsed)
    encoded = json.dumps(payload, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(encoded.encode()).hexdigest()


class ArchiveRepository:
    """Reads see the libraries of `scope` only; saves go to its home library (by default
    the shared library, as the command line without --guild)."""

    def __init__(self, session: AsyncSession, scope: LibraryScope = SHARED_SCOPE) -> None:
        self.session = session
        self.scope = scope

    def _visible(self) -> ColumnElement[bool] | None:
        if self.scope.visible is None:
            return None
        return Article.library_id.in_(self.scope.visible)

    # ---- writing -------------------------------------------------------------------------

    async def save_article(self, parsed: ParsedArticle) -> SaveOutcome:
        """Create the article, or make revision n+1 if anything changed, or do nothing."""
        (outcome,) = await self.save_articles([parsed])
        return outcome

    async def save_articles(self, articles: Sequence[ParsedArticle]) -> list[SaveOutcome]:
        """`save_article` for several articles in the caller's transaction, in a few statements:
        one lookup for all keys, then brand-new articles are written with one multi-row insert
        per table (nothing of theirs can exist yet, so there is nothing to sync). Changed
        articles go through the row-by-row sync that keeps unchanged passages' rows."""
        if not articles:
            return []
        if len({a.key for a in articles}) < len(articles):
            # A key twice: the second save must see the first, so one at a time.
            return [(await self.save_articles([a]))[0] for a in articles]
        digests = [content_hash(a) for a in articles]
        existing = await self._existing([a.key for a in articles])
        outcomes: dict[int, SaveOutcome] = {}
        fresh: list[int] = []
        for index, (parsed, digest) in enumerate(zip(articles, digests, strict=True)):
            found = existing.get(parsed.key)
            if found is None:
                fresh.append(index)
            elif found[2] == digest:
                outcomes[index] = SaveOutcome("unchanged", found[0], found[1], parsed.key)
        if fresh:
            created = await self._insert_new(
                [articles[i] for i in fresh], [digests[i] for i in fresh]
            )
            outcomes.update(zip(fresh, created, strict=True))
        for index, parsed in enumerate(articles):
            if index not in outcomes:
                outcomes[index] = await self._revise(parsed, digests[index])
        if any(o.status != "unchanged" for o in outcomes.values()):
            await refresh_pairs(self.session, most=PAIRS_REFRESH_MOST)
        return [outcomes[i] for i in range(len(articles))]

    async def stored_versions(self, keys: list[str]) -> dict[str, tuple[int, int, str]]:
        """key -> (id, revision, content hash) of the stored articles among `keys`."""
        return await self._existing(keys)

    async def _existing(self, keys: list[str]) -> dict[str, tuple[int, int, str]]:
        """key -> (id, revision, content hash) of the stored articles among `keys`."""
        found: dict[str, tuple[int, int, str]] = {}
        for start in range(0, len(keys), KEY_LOOKUP_CHUNK):
            rows = await self.session.execute(
                select(Article.key, Article.id, Article.revision, Article.content_hash).where(
                    Article.library_id == self.scope.home,
                    Article.key.in_(keys[start : start + KEY_LOOKUP_CHUNK]),
                )
            )
            found.update((key, (aid, rev, digest)) for key, aid, rev, digest in rows)
        return found

    async def _insert_new(
        self, articles: list[ParsedArticle], digests: list[str]
    ) -> list[SaveOutcome]:
        """Brand-new articles: Core multi-row inserts (no ORM unit of work, one round trip per
        table for the whole batch)."""
        session = self.session
        now = utcnow()
        rows = await session.execute(
            insert(ARTICLES).returning(ARTICLES.c.id, ARTICLES.c.key),
            [
                {
                    "library_id": self.scope.home,
                    "key": a.key,
                    "title": a.title,
                    "author": a.author,
                    "date": a.date,
                    "source": a.source,
                    "content_hash": digest,
                    "revision": 1,
                    "created_at": now,
                    "updated_at": now,
                }
                for a, digest in zip(articles, digests, strict=True)
            ],
        )
        ids = {key: article_id for article_id, key in rows}
        passages: list[dict[str, Any]] = []
        tags: list[dict[str, Any]] = []
        comments: list[dict[str, Any]] = []
        revisions: list[dict[str, Any]] = []
        outcomes = []
        for parsed, digest in zip(articles, digests, strict=True):
            article_id = ids[parsed.key]
            paragraphs = article_paragraphs(parsed)
            headings = article_headings(parsed)
            stable_ids = stable_passage_ids(parsed.key, paragraphs)
            passages.extend(
                {
                    "article_id": article_id,
                    "number": number,
                    "stable_id": sid,
                    "text": text,
                    "heading": heading,
                }
                for number, (sid, text, heading) in enumerate(
                    zip(stable_ids, paragraphs, headings, strict=True), 1
                )
            )
            tags.extend({"article_id": article_id, "tag": tag} for tag in article_tags(parsed))
            comments.extend(_comment_rows(article_id, parsed, now))
            revisions.append(
                {
                    "article_id": article_id,
                    "number": 1,
                    "content_hash": digest,
                    "passage_ids": stable_ids,
                    "created_at": now,
                }
            )
            outcomes.append(SaveOutcome("created", article_id, 1, parsed.key, len(paragraphs)))
        await _insert_passages(session, passages)
        for table, values in ((TAGS, tags), (COMMENTS, comments), (REVISIONS, revisions)):
            if values:
                await session.execute(insert(table), values)
        return outcomes

    async def _revise(self, parsed: ParsedArticle, digest: str) -> SaveOutcome:
        """Revision n+1 of a stored article whose content changed."""
        session = self.session
        article = await session.scalar(
            select(Article).where(Article.library_id == self.scope.home, Article.key == parsed.key)
        )
        if article is None:  # pragma: no cover - looked up in this transaction just before
            raise LookupError(f"article {parsed.key!r} vanished")
        paragraphs = article_paragraphs(parsed)
        ids = stable_passage_ids(parsed.key, paragraphs)
        article.revision += 1
        article.updated_at = utcnow()
        article.title = parsed.title
        article.author = parsed.author
        article.date = parsed.date
        article.source = parsed.source
        article.content_hash = digest
        await session.flush()

        await self._sync_passages(article.id, paragraphs, ids, article_headings(parsed))
        await self._sync_tags(article.id, article_tags(parsed))
        await self._sync_imported_comments(article.id, parsed)
        session.add(
            ArticleRevision(
                article_id=article.id, number=article.revision, content_hash=digest, passage_ids=ids
            )
        )
        await session.flush()
        return SaveOutcome("revised", article.id, article.revision, article.key, len(paragraphs))

    async def _sync_passages(
        self,
        article_id: int,
        paragraphs: list[str],
        ids: list[str],
        headings: list[str | None] | None = None,
    ) -> None:
        """Keep rows (and so FTS entries) of unchanged passages; renumber, delete, insert."""
        session = self.session
        headings = headings or [None] * len(ids)
        rows = (
            await session.execute(
                select(Passage.id, Passage.stable_id, Passage.number, Passage.heading).where(
                    Passage.article_id == article_id
                )
            )
        ).all()
        existing = {sid: (pid, number) for pid, sid, number, _h in rows}
        old_headings = {sid: heading for _pid, sid, _n, heading in rows}
        retitled = [
            {"id": existing[sid][0], "heading": heading}
            for sid, heading in zip(ids, headings, strict=True)
            if sid in existing and old_headings[sid] != heading
        ]
        if retitled:
            await session.execute(update(Passage), retitled)
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
            {
                "article_id": article_id,
                "number": number,
                "stable_id": sid,
                "text": text,
                "heading": heading,
            }
            for number, (sid, text, heading) in enumerate(
                zip(ids, paragraphs, headings, strict=True), start=1
            )
            if sid not in existing
        ]
        if new_rows:
            await _insert_passages(session, new_rows)

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
        rows = _comment_rows(article_id, parsed, utcnow())
        if rows:
            await self.session.execute(insert(COMMENTS), rows)

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

    async def remove_article(self, article_id: int, *, removed_by: str) -> RemovedRecord | None:
        """Delete the article (passages, comments, revisions and publications go with it) and
        keep a tombstone, so a citation of it can say it was removed. None if no such article."""
        article = await self.session.get(Article, article_id)
        if article is None:
            return None
        tombstone = RemovedArticle(
            article_id=article.id, key=article.key, title=article.title, removed_by=removed_by
        )
        self.session.add(tombstone)
        await self.session.flush()
        await self.session.execute(delete(Article).where(Article.id == article_id))
        await refresh_pairs(self.session, most=PAIRS_REFRESH_MOST)
        return _removed_record(tombstone)

    # ---- reading -------------------------------------------------------------------------

    async def get_any_article_id(self) -> int | None:
        """Some article's id, or None when the archive is empty."""
        return await self.session.scalar(select(Article.id).limit(1))

    async def get_removed(self, article_id: int) -> RemovedRecord | None:
        """The tombstone of a removed article."""
        if not 0 < article_id < 2**31:
            return None
        found = await self.session.get(RemovedArticle, article_id)
        return _removed_record(found) if found is not None else None

    async def list_articles(self) -> list[ArticleSummary]:
        return await self._summaries(order_by=[Article.id])

    async def get_summary(self, article_id: int) -> ArticleSummary | None:
        """One article as listed (counts, not passages): cheaper than `get_article`."""
        found = await self._summaries(where=Article.id == article_id, limit=1)
        return found[0] if found else None

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
        if article is None or not self.scope.sees(article.library_id):
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
        """The id of the article with this key in the home library."""
        return await self.session.scalar(
            select(Article.id).where(Article.library_id == self.scope.home, Article.key == key)
        )

    async def get_passages(self, article_id: int, first: int, last: int) -> list[PassageRecord]:
        """Current passages numbered first..last (inclusive), in order."""
        rows = await self.session.execute(
            select(Passage.number, Passage.stable_id, Passage.text, Passage.heading)
            .where(Passage.article_id == article_id, Passage.number.between(first, last))
            .order_by(Passage.number)
        )
        return [PassageRecord(*row) for row in rows]

    async def get_passage_by_stable_id(
        self, article_id: int, stable_id: str
    ) -> PassageRecord | None:
        row = (
            await self.session.execute(
                select(Passage.number, Passage.stable_id, Passage.text, Passage.heading).where(
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
        conditions = [c for c in (where, self._visible()) if c is not None]
        stmt = select(Article, passages, comments).order_by(*order_by)
        if limit is None:
            stmt = stmt.where(*conditions)
        else:
            # The page's ids first, then the counts for those rows only: with the counts in the
            # same select, SQLite counted the passages of every visible article before sorting
            # (23 ms for 5,000 articles and 200,000 passages against 3 ms).
            chosen = (
                select(Article.id).where(*conditions).order_by(*order_by).limit(max(0, limit))
            ).subquery()
            stmt = stmt.join(chosen, chosen.c.id == Article.id)
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


async def _insert_passages(session: AsyncSession, rows: list[dict[str, Any]]) -> None:
    """Insert passages with multi-row INSERT statements (SQLAlchemy's "insertmanyvalues", which
    RETURNING switches on) instead of one statement per row. On SQLite each statement that
    fires the FTS trigger opens a statement savepoint, and FTS5 writes its pending index data
    out as a new segment at every savepoint: row by row that made ~8 tiny segments per article
    and most of the indexing cost (0.97 -> 0.37 ms per article). A few fixed statement sizes,
    because the driver caches a prepared statement per distinct SQL text (128 of them): one
    size per batch length cost ~35 MB of cached statements."""
    if rows and all(row.get("heading") is None for row in rows):
        # Most articles have no sections: the same statements as before headings existed.
        rows = [{k: v for k, v in row.items() if k != "heading"} for row in rows]
    elif rows:
        rows = [{**row, "heading": row.get("heading")} for row in rows]
    start = 0
    for size in PASSAGE_INSERT_SIZES:
        while len(rows) - start >= size:
            await session.execute(
                insert(PASSAGES).returning(PASSAGES.c.id), rows[start : start + size]
            )
            start += size


def _comment_rows(article_id: int, parsed: ParsedArticle, now: datetime) -> list[dict[str, Any]]:
    return [
        {
            "article_id": article_id,
            "position": c.position,
            "author": c.author,
            "text": c.text,
            "origin": "imported",
            "discord_message_id": None,
            "created_at": now,
        }
        for c in parsed.comments
    ]


def _comment_record(comment: Comment) -> CommentRecord:
    return CommentRecord(
        position=comment.position,
        author=comment.author,
        text=comment.text,
        origin=comment.origin,
        discord_message_id=comment.discord_message_id,
    )


def _removed_record(row: RemovedArticle) -> RemovedRecord:
    return RemovedRecord(
        article_id=row.article_id,
        key=row.key,
        title=row.title,
        removed_by=row.removed_by,
        removed_at=row.removed_at,
    )
