"""The archive use cases: load files, list articles, search passages, cite passages.

Shared by the CLI and the Discord bot, so it stays free of discord and of click: it takes a
session factory and settings, and returns plain dataclasses (or text, for citations).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from forumbot.domain.article import ParsedArticle
from forumbot.domain.citation import MAX_SPAN, format_citation, parse_passage_range
from forumbot.domain.ingest import (
    IngestError,
    display_name,
    iter_document_paths,
    parse_document,
)
from forumbot.domain.query import parse_query
from forumbot.services.errors import InvalidInput, NotFound
from forumbot.storage.archive import (
    ArchiveRepository,
    ArticleRecord,
    ArticleSummary,
    CommentRecord,
    PassageRecord,
    SaveOutcome,
    article_headings,
    article_paragraphs,
    article_tags,
    content_hash,
    stable_passage_ids,
)
from forumbot.storage.libraries import (
    MAX_GUILD_ID,
    LibraryScope,
    library_counts,
    library_scope,
    set_shared_guilds,
    shared_guilds,
)
from forumbot.storage.search import (
    MATCH_CLOSE,
    MATCH_OPEN,
    SearchFilters,
    SearchHit,
    browse_passages,
    count_matches,
    refresh_pairs,
    refresh_term_lists,
    search_passages,
)

log = logging.getLogger(__name__)

# How search snippets mark matched words (for the cogs, which render them).
SNIPPET_MATCH_MARKS = (MATCH_OPEN, MATCH_CLOSE)
MAX_SEARCH_LIMIT = 100
COUNT_CAP = 1000  # "over 1,000 passages": counting further costs time and tells nobody much
MAX_QUERY_CHARS = 500
# Share of the archive added since the search's ranking lists were built that makes a load
# rebuild them (a rebuild reads the whole term vocabulary).
RANKING_REFRESH_GROWTH = 0.05
# Files stored per transaction by load_paths: fewer commits and round trips per article.
LOAD_BATCH_FILES = 100

ProgressCallback = Callable[[int, int, str], None]  # (files done, files total, current path)


class _Settings(Protocol):
    @property
    def max_file_bytes(self) -> int: ...


class ArticleNotFound(NotFound):
    """No article with that id (or name)."""


class ArticleRemoved(NotFound):
    """The article was deleted by an admin (its tombstone remains)."""


class PassageOutOfRange(InvalidInput):
    """The article exists but has no such passage."""


@dataclass(frozen=True, slots=True)
class LoadedItem:
    """One article stored by a load (a file may yield several)."""

    path: str
    article_id: int
    key: str
    title: str
    status: str  # "created" | "revised" | "unchanged"
    revision: int | None = None
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class SearchPage:
    """One page of a search as a member sees it."""

    hits: list[SearchHit]
    total: int  # passages holding every word (words), or listed (filters only); see `over`
    over: bool  # more than COUNT_CAP match: `total` is the cap
    filters: SearchFilters  # in use (from the options and the query's own author:/tag:)
    listing: bool  # no words: the filters' passages are listed in archive order
    order: str
    empty_archive: bool = False


@dataclass(frozen=True, slots=True)
class LoadPlan:
    """What storing a parsed article will do (for the upload preview), before anything is
    written: a new article, a revision of #article_id, or nothing (same content)."""

    status: str  # "new" | "revises" | "unchanged"
    article_id: int | None = None
    revision: int | None = None  # the stored revision it would follow
    added: int = 0  # passages whose text is new
    removed: int = 0  # stored passages whose text is gone


@dataclass(frozen=True, slots=True)
class LoadError:
    path: str
    error: str  # one line, for a human


@dataclass(slots=True)
class LoadReport:
    loaded: list[LoadedItem] = field(default_factory=list)  # created or revised
    skipped: list[LoadedItem] = field(default_factory=list)  # same content as stored
    errors: list[LoadError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    def to_dict(self) -> dict[str, list[dict[str, Any]]]:
        def item(entry: LoadedItem) -> dict[str, Any]:
            data = asdict(entry)
            data["warnings"] = list(entry.warnings)
            return data

        return {
            "loaded": [item(e) for e in self.loaded],
            "skipped": [item(e) for e in self.skipped],
            "errors": [{"path": e.path, "error": e.error} for e in self.errors],
        }


@dataclass(frozen=True, slots=True)
class LibraryOverview:
    articles: dict[int, int]  # library (a guild id, or 0 for the shared library) -> articles
    shared_with: list[int]  # guilds the shared library is limited to; [] = every guild


# An archive article as listed (passages and comments are counts): the repository's own record.
ArticleInfo = ArticleSummary


class ArchiveService:
    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession], settings: _Settings) -> None:
        self._sessionmaker = sessionmaker
        self._settings = settings

    @property
    def sessionmaker(self) -> async_sessionmaker[AsyncSession]:
        return self._sessionmaker

    # -- loading -------------------------------------------------------------------------------

    async def load_paths(
        self,
        paths: Iterable[str | Path],
        progress: ProgressCallback | None = None,
        *,
        guild_id: int | None = None,
    ) -> LoadReport:
        """Load files and directories (recursively) into the guild's library (None: the shared
        library). A bad file is reported as one error line and never touches stored data:
        parse errors happen before any write, and a batch whose store fails is rolled back and
        stored again one file per transaction."""
        report = LoadReport()
        files = self.collect_files(paths, report)
        total = len(files)
        keys: dict[str, str] = {}  # article key -> the file that provided it in this load
        batches = [files[i : i + LOAD_BATCH_FILES] for i in range(0, total, LOAD_BATCH_FILES)]
        done = 0
        # Parsing runs in a worker thread one batch ahead of the database writes.
        pending = (
            asyncio.create_task(asyncio.to_thread(self._parse_batch, batches[0]))
            if batches
            else None
        )
        try:
            for index in range(len(batches)):
                assert pending is not None
                parsed = await pending
                pending = (
                    asyncio.create_task(asyncio.to_thread(self._parse_batch, batches[index + 1]))
                    if index + 1 < len(batches)
                    else None
                )
                await self._store_batch(parsed, report, keys, guild_id)
                for path, _result in parsed:
                    done += 1
                    if progress is not None:
                        progress(done, total, str(path))
        finally:
            if pending is not None:  # a database error stopped the load: drop the parse ahead
                pending.cancel()
        # Also after a load that changed nothing: that builds the lists of an archive migrated
        # to 0004 (the check is two counts when nothing needs doing).
        await self.refresh_rankings()
        return report

    async def refresh_rankings(self) -> None:
        """Rebuild the search's ranking lists of frequent terms once the archive has grown by
        RANKING_REFRESH_GROWTH since they were built (searches score newer passages meanwhile)."""
        async with self._sessionmaker() as session, session.begin():
            # The word-pair index first, every time: phrase searches do without it until then.
            await refresh_pairs(session)
            await refresh_term_lists(session, min_growth=RANKING_REFRESH_GROWTH)

    def _parse_batch(self, paths: list[Path]) -> list[tuple[Path, list[ParsedArticle] | LoadError]]:
        results: list[tuple[Path, list[ParsedArticle] | LoadError]] = []
        for path in paths:
            name = display_name(str(path))
            try:
                articles = self._read_and_parse(path)
            except IngestError as exc:
                results.append((path, LoadError(name, _one_line(str(exc)) or "cannot parse")))
            except OSError as exc:
                results.append((path, LoadError(name, _os_reason(exc))))
            except Exception as exc:  # whatever it was, it is this file's error alone
                log.warning("loading %s failed: %r", name, exc)
                results.append((path, LoadError(name, f"cannot load ({type(exc).__name__})")))
            else:
                if articles:
                    results.append((path, articles))
                else:
                    results.append((path, LoadError(name, "no article found in the file")))
        return results

    async def _store_batch(
        self,
        parsed: list[tuple[Path, list[ParsedArticle] | LoadError]],
        report: LoadReport,
        keys: dict[str, str],
        guild_id: int | None,
    ) -> None:
        """Store the parsed files of a batch in one transaction, each file's outcome reported in
        file order. If that fails, roll back and retry file by file, so the failure is reported
        against its own file and the other files still load."""
        outcomes: list[LoadError | tuple[str, list[ParsedArticle]]] = []
        for path, result in parsed:
            name = display_name(str(path))
            if isinstance(result, LoadError):
                outcomes.append(result)
                continue
            # Keys come from file names: two files with the same name would keep overwriting
            # each other's article on every load, so the second one is refused.
            clash = next((keys[a.key] for a in result if keys.get(a.key, name) != name), None)
            if clash is not None:
                outcomes.append(
                    LoadError(name, f"same article key as {clash} (rename one of the files)")
                )
                continue
            keys.update((a.key, name) for a in result)
            outcomes.append((name, result))
        storable = [o for o in outcomes if not isinstance(o, LoadError)]
        stored: dict[str, list[LoadedItem] | LoadError] = {}
        try:
            if storable:
                stored.update(await self._store_files(storable, guild_id))
        except Exception:
            stored.clear()
            for name, articles in storable:
                stored[name] = await self._store_one_file(name, articles, guild_id)
        for outcome in outcomes:
            if isinstance(outcome, LoadError):
                report.errors.append(outcome)
                continue
            items = stored[outcome[0]]
            if isinstance(items, LoadError):
                report.errors.append(items)
                continue
            for item in items:
                (report.skipped if item.status == "unchanged" else report.loaded).append(item)

    async def _store_files(
        self, files: list[tuple[str, list[ParsedArticle]]], guild_id: int | None
    ) -> dict[str, list[LoadedItem] | LoadError]:
        """Several files' articles in one transaction: all of them or, on any error, none."""
        articles = [a for _name, file_articles in files for a in file_articles]
        async with self._sessionmaker() as session, session.begin():
            repo = await _repository(session, guild_id)
            outcomes = iter(await repo.save_articles(articles))
        return {
            name: [_loaded_item(name, parsed, next(outcomes)) for parsed in file_articles]
            for name, file_articles in files
        }

    async def _store_one_file(
        self, name: str, articles: list[ParsedArticle], guild_id: int | None
    ) -> list[LoadedItem] | LoadError:
        try:
            return await self.store_articles(name, articles, guild_id=guild_id)
        except (OperationalError, InterfaceError):
            raise  # the database itself is unusable: every other file would fail the same way
        except Exception as exc:  # this file's data could not be stored; the others still load
            log.warning(
                "storing %s failed: %r", name, exc, exc_info=log.isEnabledFor(logging.DEBUG)
            )
            # The driver's own message, without the SQL statement SQLAlchemy appends.
            reason = exc.orig if isinstance(exc, DBAPIError) and exc.orig is not None else exc
            return LoadError(name, f"could not store: {_one_line(str(reason))[:200]}")

    def collect_files(self, paths: Iterable[str | Path], report: LoadReport) -> list[Path]:
        """Expand the arguments into files; missing paths become errors in `report`."""
        files: list[Path] = []
        for raw in paths:
            if not str(raw).strip():  # Path("") is the current directory: never meant
                report.errors.append(LoadError(repr(str(raw)), "empty path"))
                continue
            path = Path(raw)
            try:
                if path.is_dir():
                    files.extend(iter_document_paths([path]))
                elif path.is_file():
                    # Named explicitly: try it even with an unsupported suffix, so the user gets a
                    # reason rather than silence.
                    files.append(path)
                elif path.exists():  # a FIFO or device could block or never end
                    report.errors.append(LoadError(display_name(str(path)), "not a regular file"))
                else:
                    report.errors.append(
                        LoadError(display_name(str(path)), "no such file or directory")
                    )
            except OSError as exc:
                report.errors.append(LoadError(display_name(str(path)), _os_reason(exc)))
            except IngestError as exc:
                report.errors.append(LoadError(display_name(str(path)), _one_line(str(exc))))
        return files

    def _read_and_parse(self, path: Path) -> list[ParsedArticle]:
        max_bytes = self._settings.max_file_bytes
        size = path.stat().st_size
        if size > max_bytes:  # refuse before reading a huge file into memory
            raise IngestError(f"file too large ({size} bytes; the limit is {max_bytes})")
        data = path.read_bytes()
        return list(parse_document(path.name, data, max_bytes=max_bytes))

    async def store_articles(
        self, name: str, articles: Sequence[ParsedArticle], *, guild_id: int | None = None
    ) -> list[LoadedItem]:
        """Store already-parsed articles (e.g. an uploaded file) in one transaction, into the
        guild's library (None: the shared one): all of them or, on any error, none. `name` is
        reported as their path."""
        async with self._sessionmaker() as session, session.begin():
            repo = await _repository(session, guild_id)
            outcomes = await repo.save_articles(articles)
        await self.refresh_rankings()
        return [_loaded_item(name, parsed, o) for parsed, o in zip(articles, outcomes, strict=True)]

    async def plan_load(
        self, articles: Sequence[ParsedArticle], *, guild_id: int | None = None
    ) -> list[LoadPlan]:
        """For each parsed article: new, revises #N (passages added/removed), or unchanged, in
        the library the guild's loads go to (None: the shared library)."""
        async with self._sessionmaker() as session:
            repo = await _repository(session, guild_id)
            stored = await repo.stored_versions([a.key for a in articles])
            plans = []
            for parsed in articles:
                found = stored.get(parsed.key)
                if found is None:
                    plans.append(LoadPlan("new"))
                    continue
                article_id, revision, digest = found
                if digest == content_hash(parsed):
                    plans.append(LoadPlan("unchanged", article_id, revision))
                    continue
                record = await repo.get_article(article_id)
                old = {p.stable_id for p in record.passages} if record else set()
                new = set(stable_passage_ids(parsed.key, article_paragraphs(parsed)))
                plans.append(
                    LoadPlan("revises", article_id, revision, len(new - old), len(old - new))
                )
            return plans

    # -- reading -------------------------------------------------------------------------------

    async def scope(self, guild_id: int | None) -> LibraryScope:
        """What a guild sees and where its loads go (None: the shared library alone)."""
        async with self._sessionmaker() as session:
            return await library_scope(session, guild_id)

    async def article(self, article_id: int, *, guild_id: int | None = None) -> ArticleRecord:
        """One article with its numbered passages (the dashboard's article page)."""
        async with self._sessionmaker() as session:
            record = await (await _repository(session, guild_id)).get_article(article_id)
        if record is None:
            raise ArticleNotFound(f"no article with id {article_id}")
        return record

    async def recent_articles(
        self, limit: int = 100, *, guild_id: int | None = None
    ) -> list[ArticleInfo]:
        """The newest articles, newest first (the dashboard's archive page)."""
        async with self._sessionmaker() as session:
            repo = await _repository(session, guild_id)
            return await repo.suggest_articles("", limit=max(1, limit))

    async def libraries(self) -> LibraryOverview:
        async with self._sessionmaker() as session:
            return LibraryOverview(await library_counts(session), await shared_guilds(session))

    async def limit_shared_library(self, guild_ids: Iterable[int]) -> list[int]:
        """Only these guilds see the shared library from now on; none: every guild does."""
        chosen = list(guild_ids)
        bad = [g for g in chosen if not 0 < g <= MAX_GUILD_ID]
        if bad:
            raise InvalidInput(f"{bad[0]} is not a guild id")
        async with self._sessionmaker() as session, session.begin():
            return await set_shared_guilds(session, chosen)

    async def list_articles(self, *, guild_id: int | None = None) -> list[ArticleInfo]:
        """The articles the guild sees (None: the shared library's)."""
        async with self._sessionmaker() as session:
            return await (await _repository(session, guild_id)).list_articles()

    async def suggest_articles(
        self, text: str, limit: int = 25, *, guild_id: int | None = None
    ) -> list[ArticleInfo]:
        """Articles matching what a user has typed so far (autocomplete)."""
        limit = max(1, min(limit, 25))
        text = checked_text(text or "", "article name")
        async with self._sessionmaker() as session:
            repo = await _repository(session, guild_id)
            return await repo.suggest_articles((text or "")[:100], limit=limit)

    async def resolve_article(self, ref: str | int, *, guild_id: int | None = None) -> ArticleInfo:
        """An article the guild sees, by id, or by key/title when exactly one matches. An
        article of another library is "not found", like one that does not exist."""
        text = checked_text(str(ref).strip(), "article name")
        if text.isdigit():
            # The common case (autocomplete values are ids): one row, not the whole archive.
            found = None
            if int(text) < 2**63:  # a larger number is no row id, and overflows the driver
                async with self._sessionmaker() as session:
                    repo = await _repository(session, guild_id)
                    found = await repo.get_summary(int(text))
            if found is None:
                await self._raise_if_removed(int(text))
                raise ArticleNotFound(f"no article with id {text}")
            return found
        articles = await self.list_articles(guild_id=guild_id)
        folded = text.casefold()
        exact = [a for a in articles if folded in (a.key.casefold(), a.title.casefold())]
        if len(exact) == 1:
            return exact[0]
        candidates = exact or [a for a in articles if folded and folded in a.title.casefold()]
        if len(candidates) == 1:
            return candidates[0]
        if not candidates:
            raise ArticleNotFound(f"no article matches {text[:60]!r}")
        listed = ", ".join(f"{a.id} ({a.title[:40]})" for a in candidates[:5])
        raise InvalidInput(f"{text[:60]!r} matches several articles: {listed}; use the id")

    async def search(
        self,
        query: str,
        *,
        author: str | None = None,
        article_id: int | None = None,
        tag: str | None = None,
        limit: int = 10,
        offset: int = 0,
        guild_id: int | None = None,
    ) -> list[SearchHit]:
        """Passages matching `query` among the articles the guild sees (None: the shared
        library's), best first. Any valid text is safe; NUL or invalid Unicode in the text or a
        filter is InvalidInput, never a driver error."""
        if not 1 <= limit <= MAX_SEARCH_LIMIT:
            raise InvalidInput(f"limit must be between 1 and {MAX_SEARCH_LIMIT}")
        if offset < 0:
            raise InvalidInput("offset must be 0 or more")
        query = checked_text(query or "", "search text")
        author = checked_text(author, "author filter") if author else None
        tag = checked_text(tag, "tag filter") if tag else None
        async with self._sessionmaker() as session:
            scope = await library_scope(session, guild_id)
            filters = SearchFilters(
                author=author or None,
                article_id=article_id,
                tag=tag or None,
                libraries=scope.visible,
            )
            return await search_passages(
                session,
                (query or "")[:MAX_QUERY_CHARS],
                filters=filters,
                limit=limit,
                offset=offset,
            )

    async def search_page(
        self,
        query: str,
        *,
        author: str | None = None,
        article_id: int | None = None,
        limit: int = 5,
        offset: int = 0,
        more: int = 1,
        guild_id: int | None = None,
    ) -> SearchPage:
        """A page of results with what a member needs to read it: how many matched, the filters
        in use, and whether the archive is empty. With no words but a filter (an author, a tag,
        an article), that filter's passages are listed. `more` extra hits are fetched so the
        caller knows whether a next page exists."""
        query = checked_text(query or "", "search text")
        author = checked_text(author, "author filter") if author else None
        parsed = parse_query(query[:MAX_QUERY_CHARS])
        async with self._sessionmaker() as session:
            scope = await library_scope(session, guild_id)
            filters = SearchFilters(
                author=author or parsed.author,
                article_id=article_id,
                tag=parsed.tag,
                libraries=scope.visible,
            )
            if parsed.is_empty:
                found, total = await browse_passages(
                    session, filters, limit=limit + more, offset=offset
                )
                listing, over = True, False
            else:
                found = await search_passages(
                    session, parsed, filters=filters, limit=limit + more, offset=offset
                )
                total = await count_matches(session, parsed, filters=filters, cap=COUNT_CAP)
                listing, over = False, total > COUNT_CAP
                total = min(total, COUNT_CAP)
            empty = False
            if not found and offset == 0:
                empty = not await ArchiveRepository(session, scope).get_any_article_id()
        return SearchPage(found, total, over, filters, listing, parsed.order, empty)

    async def cite(
        self,
        article_id: int,
        first: int,
        last: int | None = None,
        jump_url: str | None = None,
        *,
        guild_id: int | None = None,
    ) -> str:
        """The citation text for passages first..last of an article the guild sees (None: of
        the shared library), ≤ 2000 chars."""
        last = first if last is None else last
        if first < 1 or last < first:
            raise InvalidInput(f"bad passage range {first}-{last}")
        if last - first + 1 > MAX_SPAN:
            raise InvalidInput(f"at most {MAX_SPAN} passages at once")
        async with self._sessionmaker() as session:
            record = await (await _repository(session, guild_id)).get_article(article_id)
        if record is None:
            await self._raise_if_removed(article_id)
            raise ArticleNotFound(f"no article with id {article_id}")
        count = len(record.passages)
        if last > count:
            missing = first if first > count else last
            raise PassageOutOfRange(
                f"article {article_id} has {count} passages; ¶{missing} does not exist"
            )
        rows = [p for p in record.passages if first <= p.number <= last]
        sections = {r.heading for r in rows}
        try:
            return format_citation(
                title=record.title,
                author=record.author,
                passages=[(r.number, r.text) for r in rows],
                jump_url=jump_url,
                section=rows[0].heading if len(sections) == 1 else None,
            )
        except ValueError as exc:  # e.g. a malformed jump URL
            raise InvalidInput(str(exc)) from exc

    async def _raise_if_removed(self, article_id: int) -> None:
        if not 0 < article_id < 2**31:
            return
        async with self._sessionmaker() as session:
            removed = await ArchiveRepository(session).get_removed(article_id)
        if removed is not None:
            raise ArticleRemoved(
                f"This article was removed: #{article_id} ({removed.title[:80]}) was deleted "
                f"from the archive on {removed.removed_at:%Y-%m-%d}."
            )

    async def cite_text(
        self,
        article: str | int,
        passage_range: str,
        jump_url: str | None = None,
        *,
        guild_id: int | None = None,
    ) -> str:
        """`cite("3", "12-14")`: parse user input, then cite."""
        try:
            first, last = parse_passage_range(passage_range)
        except ValueError as exc:
            raise InvalidInput(str(exc)) from exc
        info = await self.resolve_article(article, guild_id=guild_id)
        return await self.cite(info.id, first, last, jump_url=jump_url, guild_id=guild_id)


async def _repository(session: AsyncSession, guild_id: int | None) -> ArchiveRepository:
    return ArchiveRepository(session, await library_scope(session, guild_id))


def draft_record(parsed: ParsedArticle, article_id: int, revision: int) -> ArticleRecord:
    """A parsed article shaped like the stored record it would become (to plan its post)."""
    paragraphs = article_paragraphs(parsed)
    headings = article_headings(parsed)
    ids = stable_passage_ids(parsed.key, paragraphs)
    return ArticleRecord(
        id=article_id,
        key=parsed.key,
        title=parsed.title,
        author=parsed.author,
        date=parsed.date,
        source=parsed.source,
        tags=tuple(article_tags(parsed)),
        revision=revision,
        passages=tuple(
            PassageRecord(n, sid, text, heading)
            for n, (sid, text, heading) in enumerate(zip(ids, paragraphs, headings, strict=True), 1)
        ),
        comments=tuple(
            CommentRecord(c.position, c.author, c.text, "imported") for c in parsed.comments
        ),
    )


def checked_text(value: str, what: str) -> str:
    """User text on its way to the database: NUL and text that is not valid Unicode (a lone
    surrogate, which is what invalid UTF-8 on a command line becomes) are refused with a clear
    error. PostgreSQL rejects both with driver errors; SQLite would silently store either."""
    if "\x00" in value:
        raise InvalidInput(f"The {what} contains a NUL character; remove it and try again.")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise InvalidInput(
            f"The {what} is not valid text (invalid UTF-8 or a lone surrogate); "
            "check its encoding and try again."
        ) from None
    return value


def _loaded_item(name: str, parsed: ParsedArticle, outcome: SaveOutcome) -> LoadedItem:
    return LoadedItem(
        path=name,
        article_id=int(outcome.article_id),
        key=parsed.key,
        title=parsed.title,
        status=str(outcome.status),
        revision=outcome.revision,
        warnings=tuple(parsed.warnings),
    )


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _os_reason(exc: OSError) -> str:
    return f"cannot read: {(exc.strerror or type(exc).__name__).lower()}"
