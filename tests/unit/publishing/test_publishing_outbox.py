"""The publishing state machine against a fake Discord that can crash at every step.

A "crash" models the process dying: before a call takes effect, or after it took effect but
before its answer was recorded. A fresh service on the same database must then finish the job
with every article in exactly one thread and every message exactly once, in order.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from forumbot.services.errors import NotFound, PublishInterrupted
from forumbot.services.publishing import (
    DiscordUnavailable,
    EditRefused,
    PublishingService,
    build_plan,
    shorten,
    tag_names,
    thread_title,
)
from forumbot.storage.models.archive import Article
from forumbot.storage.models.discord import Publication, PublicationMessage

FORUM = 500


class Crash(Exception):
    """The process died here."""


@dataclass
class FakeThread:
    id: int
    forum_id: int
    name: str
    content: str
    tag_ids: list[int]
    messages: list[tuple[int, str, str]] = field(default_factory=list)  # id, content, nonce


class FakeForum:
    """A tiny Discord: ids grow, nonces are enforced per thread (unless told not to)."""

    def __init__(self, *, enforce_nonce: bool = True) -> None:
        self.threads: dict[int, FakeThread] = {}
        self.tags: dict[str, int] = {}
        self.next_id = 1000
        self.enforce_nonce = enforce_nonce
        self.calls: list[str] = []
        # Fault injection: crash/fail at the n-th crash point (two per call: before, after).
        self.crash_at: int | None = None
        self.fail_after_effect_at: int | None = None
        self.points = 0

    def _id(self) -> int:
        self.next_id += 1
        return self.next_id

    def _point(self, *, after_effect: bool) -> None:
        n = self.points
        self.points += 1
        if self.crash_at == n:
            raise Crash(f"crash at point {n}")
        if after_effect and self.fail_after_effect_at == n:
            raise DiscordUnavailable("502 after the work was done")

    async def ensure_tags(self, forum_id: int, names: Sequence[str]) -> list[int]:
        self.calls.append("ensure_tags")
        self._point(after_effect=False)
        for name in names:
            self.tags.setdefault(name, self._id())
        self._point(after_effect=True)
        return [self.tags[n] for n in names]

    async def create_thread(
        self, forum_id: int, *, name: str, content: str, tag_ids: Sequence[int]
    ) -> int:
        self.calls.append("create_thread")
        assert 1 <= len(name) <= 100 and len(content) <= 2000 and len(tag_ids) <= 5
        self._point(after_effect=False)
        thread = FakeThread(self._id(), forum_id, name, content, list(tag_ids))
        self.threads[thread.id] = thread
        self._point(after_effect=True)
        return thread.id

    async def find_threads(self, forum_id: int, marker: str) -> list[int]:
        self.calls.append("find_threads")
        return sorted(
            t.id for t in self.threads.values() if t.forum_id == forum_id and marker in t.content
        )

    async def delete_thread(self, thread_id: int) -> None:
        self.calls.append("delete_thread")
        del self.threads[thread_id]

    async def send_message(self, thread_id: int, *, content: str, nonce: str) -> int:
        self.calls.append("send_message")
        assert len(content) <= 2000 and len(nonce) <= 25
        self._point(after_effect=False)
        thread = self.threads[thread_id]
        existing = [m for m in thread.messages if m[2] == nonce]
        if self.enforce_nonce and existing:
            message_id = existing[0][0]
        else:
            message_id = self._id()
            thread.messages.append((message_id, content, nonce))
        self._point(after_effect=True)
        return message_id

    async def find_message(self, thread_id: int, *, content: str, after: int) -> int | None:
        self.calls.append("find_message")
        for message_id, text, _nonce in self.threads[thread_id].messages:
            if message_id > after and text == content:
                return message_id
        return None

    # Edits: `edits` counts the calls per message id; `refuse_edits` acts as Discord's 30046.
    edits: dict[int, int]
    refuse_edits = False

    async def edit_message(self, thread_id: int, message_id: int, *, content: str) -> None:
        self.calls.append("edit_message")
        assert len(content) <= 2000
        if self.refuse_edits:
            raise EditRefused("30046")
        self._point(after_effect=False)
        messages = self.threads[thread_id].messages
        at = next(i for i, m in enumerate(messages) if m[0] == message_id)
        messages[at] = (message_id, content, messages[at][2])
        self.edits = getattr(self, "edits", {})
        self.edits[message_id] = self.edits.get(message_id, 0) + 1
        self._point(after_effect=True)

    async def message_content(self, thread_id: int, message_id: int) -> str | None:
        return next((m[1] for m in self.threads[thread_id].messages if m[0] == message_id), None)

    async def update_thread(self, thread_id: int, *, name: str, starter: str) -> None:
        self.calls.append("update_thread")
        self._point(after_effect=False)
        thread = self.threads[thread_id]
        thread.name, thread.content = name, starter
        self._point(after_effect=True)


def make_article(article_id: int, *, title: str = "A title", passages: int = 3) -> Any:
    return SimpleNamespace(
        id=article_id,
        title=title,
        author="Ada",
        date="2020-01-02",
        source="https://example.org/a",
        tags=("history", "economics"),
        revision=1,
        passages=[
            SimpleNamespace(number=n, text=f"Passage {n}. " * 5) for n in range(1, passages + 1)
        ],
        comments=[SimpleNamespace(position=1, text="Nice piece @everyone", author="Bob")],
    )


ARTICLES: dict[int, Any] = {}


async def fake_loader(_session: AsyncSession, article_id: int) -> Any:
    return ARTICLES.get(article_id)


@pytest.fixture
async def article_ids(sessionmaker: async_sessionmaker[AsyncSession]) -> list[int]:
    """Real article rows (the publications table references them) with fake content."""
    ids = []
    async with sessionmaker() as session:
        for n in range(2):
            row = Article(key=f"k{n}", title=f"T{n}", content_hash="x", revision=1)
            session.add(row)
            await session.flush()
            ids.append(row.id)
            ARTICLES[row.id] = make_article(row.id, passages=3 + n)
        await session.commit()
    return ids


def service(sm: async_sessionmaker[AsyncSession], **kw: Any) -> PublishingService:
    kw.setdefault("retry_delay", 0)
    return PublishingService(sm, load_article=fake_loader, **kw)


def expected_contents(article_id: int) -> list[str]:
    plan = build_plan(ARTICLES[article_id], marker="m")
    return [m.content for m in plan.messages]


def assert_exactly_once(forum: FakeForum, guild_marker_ids: dict[int, int]) -> None:
    for article_id in guild_marker_ids.values():
        threads = [t for t in forum.threads.values() if f"A{article_id}." in t.content]
        assert len(threads) == 1, f"article {article_id}: {len(threads)} threads"
        got = [content for _id, content, _nonce in threads[0].messages]
        assert got == expected_contents(article_id)


async def test_publish_posts_thread_then_messages_in_order(
    sessionmaker: async_sessionmaker[AsyncSession], article_ids: list[int]
) -> None:
    forum = FakeForum()
    svc = service(sessionmaker)
    result = await svc.publish(forum, guild_id=1, forum_id=FORUM, article_id=article_ids[0])
    assert result.status == "published"
    assert_exactly_once(forum, {0: article_ids[0]})
    thread = forum.threads[result.thread_id]
    assert "by Ada" in thread.content and "Source: <https://example.org/a>" in thread.content
    assert len(thread.tag_ids) == 2
    # Jump-link bookkeeping: every passage maps to the message that holds it.
    located = await svc.locate_passages(1, [(article_ids[0], n) for n in (1, 2, 3)])
    assert set(located) == {(article_ids[0], n) for n in (1, 2, 3)}
    held = {m[0]: m[1] for m in thread.messages}
    for (_a, n), loc in located.items():
        assert f"Passage {n}." in held[loc.message_id]
    # A second publish is a no-op.
    again = await svc.publish(forum, guild_id=1, forum_id=FORUM, article_id=article_ids[0])
    assert again.status == "already" and again.thread_id == result.thread_id
    assert len(forum.threads) == 1


@pytest.mark.parametrize("enforce_nonce", [True, False])
async def test_crash_at_every_point_then_restart_is_exactly_once(
    sessionmaker: async_sessionmaker[AsyncSession],
    article_ids: list[int],
    enforce_nonce: bool,
) -> None:
    # Count the crash points of a clean run first.
    probe = FakeForum()
    await service(sessionmaker).publish(
        probe, guild_id=9999, forum_id=FORUM, article_id=article_ids[0]
    )
    total = probe.points
    assert total >= 8
    for point in range(total):
        guild = 10 + point  # one guild per crash point keeps publications apart
        forum = FakeForum(enforce_nonce=enforce_nonce)
        forum.crash_at = point
        with pytest.raises(Crash):
            await service(sessionmaker).publish(
                forum, guild_id=guild, forum_id=FORUM, article_id=article_ids[0]
            )
        forum.crash_at = None
        result = await service(sessionmaker).publish(
            forum, guild_id=guild, forum_id=FORUM, article_id=article_ids[0]
        )
        assert result.thread_id in forum.threads
        assert_exactly_once(forum, {0: article_ids[0]})


async def test_failure_after_the_work_was_done_is_retried_without_duplicates(
    sessionmaker: async_sessionmaker[AsyncSession], article_ids: list[int]
) -> None:
    probe = FakeForum()
    await service(sessionmaker).publish(
        probe, guild_id=9998, forum_id=FORUM, article_id=article_ids[1]
    )
    for point in range(1, probe.points, 2):  # the "after effect" points
        forum = FakeForum(enforce_nonce=False)
        forum.fail_after_effect_at = point
        await service(sessionmaker).publish(
            forum, guild_id=20 + point, forum_id=FORUM, article_id=article_ids[1]
        )
        assert_exactly_once(forum, {0: article_ids[1]})


async def test_persistent_failure_keeps_progress_and_says_so(
    sessionmaker: async_sessionmaker[AsyncSession], article_ids: list[int]
) -> None:
    class Down(FakeForum):
        async def send_message(self, thread_id: int, *, content: str, nonce: str) -> int:
            raise DiscordUnavailable("503")

    down = Down()
    with pytest.raises(PublishInterrupted):
        await service(sessionmaker, attempts=2).publish(
            down, guild_id=3, forum_id=FORUM, article_id=article_ids[0]
        )
    async with sessionmaker() as session:
        pub = await session.scalar(select(Publication).where(Publication.guild_id == 3))
        assert pub is not None and pub.state == "posting" and pub.thread_id in down.threads
        states = set(
            await session.scalars(
                select(PublicationMessage.state).where(PublicationMessage.publication_id == pub.id)
            )
        )
        assert "sent" not in states
    # Discord comes back: the same thread is completed.
    up = FakeForum()
    up.threads = down.threads
    await service(sessionmaker).publish(up, guild_id=3, forum_id=FORUM, article_id=article_ids[0])
    assert_exactly_once(up, {0: article_ids[0]})
    assert "create_thread" not in up.calls


async def test_unknown_article_is_a_user_facing_error(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    with pytest.raises(NotFound):
        await service(sessionmaker).publish(
            FakeForum(), guild_id=1, forum_id=FORUM, article_id=424242
        )


def test_titles_and_tags_respect_discord_limits() -> None:
    long = "Word " * 60
    title = thread_title(long)
    assert len(title) == 100 and title.endswith("…")
    assert thread_title("  Short   title ") == "Short title"
    assert shorten("abc", 3) == "abc"
    names = tag_names(["A very long tag name indeed", "x", "X", "b", "c", "d", "e", "f"])
    assert len(names) == 5 and all(len(n) <= 20 for n in names)
    assert names[0].endswith("…") and names.count("x") == 1


def test_plan_splits_long_passages_and_keeps_every_word() -> None:
    article = make_article(1)
    article.passages = [SimpleNamespace(number=1, text="word " * 1500)]
    article.comments = [SimpleNamespace(position=1, text="c " * 2500, author=None)]
    plan = build_plan(article, marker="archive ref A1.R1.P1")
    assert all(len(m.content) <= 2000 for m in plan.messages)
    assert len(plan.starter) <= 2000 and plan.starter.endswith("archive ref A1.R1.P1")
    passages = [m for m in plan.messages if m.kind == "passages"]
    assert len(passages) >= 4
    assert sum(m.content.count("word") for m in passages) == 1500
    comments = [m for m in plan.messages if m.kind == "comment"]
    assert len(comments) >= 3 and "a reader" in comments[0].content
    assert sum(m.content.count("c ") + m.content.endswith("c") for m in comments) >= 2500


async def test_passage_locations_are_cached_and_refreshed_by_publishing(
    sessionmaker: async_sessionmaker[AsyncSession], article_ids: list[int]
) -> None:
    svc = service(sessionmaker)
    wanted = [(article_ids[0], 1), (article_ids[0], 3)]
    assert await svc.locate_passages(7, wanted) == {}  # not published yet (and now cached)
    await svc.publish(FakeForum(), guild_id=7, forum_id=FORUM, article_id=article_ids[0])
    found = await svc.locate_passages(7, wanted)
    assert set(found) == set(wanted)
    assert await svc.locate_passages(8, wanted) == {}  # other guilds see nothing


async def test_a_revised_article_gets_a_notice_not_a_second_thread(
    sessionmaker: async_sessionmaker[AsyncSession], article_ids: list[int]
) -> None:
    forum = FakeForum()
    svc = service(sessionmaker)
    first = await svc.publish(forum, guild_id=5, forum_id=FORUM, article_id=article_ids[0])
    original = ARTICLES[article_ids[0]]
    ARTICLES[article_ids[0]] = SimpleNamespace(**{**vars(original), "revision": 2})
    try:
        revised = await svc.publish(forum, guild_id=5, forum_id=FORUM, article_id=article_ids[0])
        again = await svc.publish(forum, guild_id=5, forum_id=FORUM, article_id=article_ids[0])
    finally:
        ARTICLES[article_ids[0]] = original
    assert (first.status, revised.status, again.status) == ("published", "revised", "already")
    assert len(forum.threads) == 1
    messages = forum.threads[first.thread_id].messages
    assert "revision 1 → 2" in messages[-1][1]
    assert sum("Revised in the archive" in m[1] for m in messages) == 1


async def test_a_slow_create_that_hid_a_retried_post_leaves_one_thread(
    sessionmaker: async_sessionmaker[AsyncSession], article_ids: list[int]
) -> None:
    now = [0.0]

    class RetryingForum(FakeForum):
        """The first try was carried out but its answer lost; the client retried after 1 s."""

        async def create_thread(
            self, forum_id: int, *, name: str, content: str, tag_ids: Sequence[int]
        ) -> int:
            await super().create_thread(forum_id, name=name, content=content, tag_ids=tag_ids)
            now[0] += 1.0
            return await super().create_thread(
                forum_id, name=name, content=content, tag_ids=tag_ids
            )

    forum = RetryingForum()
    svc = PublishingService(
        sessionmaker, load_article=fake_loader, retry_delay=0, clock=lambda: now[0]
    )
    result = await svc.publish(forum, guild_id=6, forum_id=FORUM, article_id=article_ids[0])
    assert list(forum.threads) == [result.thread_id]
    assert_exactly_once(forum, {0: article_ids[0]})


async def set_stored_revision(
    sessionmaker: async_sessionmaker[AsyncSession], article_id: int, revision: int
) -> None:
    async with sessionmaker() as session, session.begin():
        row = await session.get(Article, article_id)
        assert row is not None
        row.revision = revision


def revised(article: Any) -> Any:
    """Revision 2: passage 2 rewritten, two passages added, a new title."""
    passages = list(article.passages)
    passages[1] = SimpleNamespace(number=2, text="Rewritten second passage. " * 60)
    passages += [
        SimpleNamespace(number=n, text=f"New passage {n}. " * 70)
        for n in range(len(passages) + 1, len(passages) + 3)
    ]
    return SimpleNamespace(
        **{**vars(article), "revision": 2, "title": "A new title", "passages": passages}
    )


async def test_a_revision_edits_the_post_in_place_exactly_once_across_crashes(
    sessionmaker: async_sessionmaker[AsyncSession], article_ids: list[int]
) -> None:
    aid = article_ids[0]
    original = ARTICLES[aid]
    probe = FakeForum()
    await service(sessionmaker).publish(probe, guild_id=8000, forum_id=FORUM, article_id=aid)
    ARTICLES[aid] = revised(original)
    try:
        start = probe.points
        await service(sessionmaker).publish(probe, guild_id=8000, forum_id=FORUM, article_id=aid)
        revision_points = probe.points - start
        assert revision_points >= 4
        for point in range(revision_points):
            ARTICLES[aid] = original
            guild = 8100 + point
            forum = FakeForum()
            await service(sessionmaker).publish(
                forum, guild_id=guild, forum_id=FORUM, article_id=aid
            )
            ARTICLES[aid] = revised(original)
            forum.crash_at = forum.points + point
            with pytest.raises(Crash):
                await service(sessionmaker).publish(
                    forum, guild_id=guild, forum_id=FORUM, article_id=aid
                )
            forum.crash_at = None
            await set_stored_revision(sessionmaker, aid, 1)
            result = await service(sessionmaker).publish(
                forum, guild_id=guild, forum_id=FORUM, article_id=aid
            )
            assert result.status in ("revised", "resumed")
            (thread,) = forum.threads.values()
            assert thread.name == "A new title" and "A new title" in thread.content
            want = [m.content for m in build_plan(ARTICLES[aid], marker="m").messages]
            got = [c for _i, c, _n in thread.messages]
            passages = [c for c in got if c.startswith("**¶")]
            assert passages == [c for c in want if c.startswith("**¶")], f"crash at {point}"
            assert sum("Revised in the archive" in c for c in got) == 1
            assert all(n == 1 for n in getattr(forum, "edits", {}).values()), "a double edit"
            # Jump links land on the edited messages, whose text is the current one.
            await set_stored_revision(sessionmaker, aid, 2)
            svc = service(sessionmaker)
            found = await svc.locate_passages(guild, [(aid, 2)])
            held = next(c for i, c, _n in thread.messages if i == found[(aid, 2)].message_id)
            assert "Rewritten second passage" in held
    finally:
        ARTICLES[aid] = original


async def test_a_refused_edit_posts_the_new_text_and_moves_the_jump_link(
    sessionmaker: async_sessionmaker[AsyncSession], article_ids: list[int]
) -> None:
    aid = article_ids[1]
    original = ARTICLES[aid]
    forum = FakeForum()
    svc = service(sessionmaker)
    await svc.publish(forum, guild_id=8500, forum_id=FORUM, article_id=aid)
    (thread,) = forum.threads.values()
    old_ids = [i for i, _c, _n in thread.messages]
    ARTICLES[aid] = revised(original)
    forum.refuse_edits = True
    try:
        await svc.publish(forum, guild_id=8500, forum_id=FORUM, article_id=aid)
    finally:
        ARTICLES[aid] = original
    await set_stored_revision(sessionmaker, aid, 2)
    found = await svc.locate_passages(8500, [(aid, 2)])
    target = found[(aid, 2)].message_id
    assert target not in old_ids  # the old message still holds the old text: no link to it
    held = next(c for i, c, _n in thread.messages if i == target)
    assert "Rewritten second passage" in held


async def test_a_revision_updates_imported_comments_too(
    sessionmaker: async_sessionmaker[AsyncSession], article_ids: list[int]
) -> None:
    aid = article_ids[0]
    original = ARTICLES[aid]
    forum = FakeForum()
    svc = service(sessionmaker)
    await svc.publish(forum, guild_id=8700, forum_id=FORUM, article_id=aid)
    comments = [
        SimpleNamespace(position=1, text="An edited comment", author="Bob"),
        SimpleNamespace(position=2, text="A second comment", author="Cy"),
    ]
    ARTICLES[aid] = SimpleNamespace(**{**vars(original), "revision": 2, "comments": comments})
    try:
        await svc.publish(forum, guild_id=8700, forum_id=FORUM, article_id=aid)
        (thread,) = forum.threads.values()
        bodies = [c for _i, c, _n in thread.messages]
        assert any("An edited comment" in b for b in bodies)
        assert any("A second comment" in b for b in bodies)
        assert not any("Nice piece" in b for b in bodies)
        ARTICLES[aid] = SimpleNamespace(**{**vars(original), "revision": 3, "comments": []})
        await svc.publish(forum, guild_id=8700, forum_id=FORUM, article_id=aid)
        bodies = [c for _i, c, _n in thread.messages]
        assert sum("This comment was removed in revision 3" in b for b in bodies) == 2
    finally:
        ARTICLES[aid] = original
