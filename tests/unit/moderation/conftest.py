"""Fixtures for moderation unit tests: a small rule set, a recording port, a settable clock,
and a ModerationService on a real migrated database (SQLite and PostgreSQL via db_url)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from forumbot.domain.civility.rules import RuleSet
from forumbot.services.moderation import ModerationService
from forumbot.services.moderation.port import RecordingPort
from forumbot.services.moderation.rules import RuleBook
from forumbot.services.moderation.types import MessageCopy

GUILD = 1001
THREAD = 2002
FORUM = 3003
ALICE, BOB = 11, 12
MOD_A, MOD_B = 91, 92

RULES_YAML = """
rules:
  - id: personal-attack
    kind: targeted_insult
    guideline: no personal attacks
    action: hold
    severity: 3
    insults: [idiot, moron]
    targets: [you, ur]
    fillers: [are, an, a, such, total]
  - id: rudeness
    kind: words
    guideline: be kind
    action: nudge
    words: [shut up]
  - id: slur
    kind: words
    guideline: no slurs
    action: remove
    words: [scumbag]
  - id: threat
    kind: regex
    guideline: no threats
    action: timeout
    patterns: ['i will hurt you']
  - id: fruit
    kind: words
    guideline: no fruit talk
    action: hold
    mode: shadow
    words: [banana]
"""


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kwargs: float) -> None:
        self.now += timedelta(**kwargs)


@pytest.fixture
def test_rules() -> RuleSet:
    return RuleSet.from_yaml(RULES_YAML)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def port() -> RecordingPort:
    return RecordingPort()


@pytest.fixture
def service(
    sessionmaker: async_sessionmaker[AsyncSession],
    port: RecordingPort,
    clock: Clock,
    test_rules: RuleSet,
) -> ModerationService:
    return ModerationService(
        sessionmaker, port, rules=RuleBook(sessionmaker, base=lambda: test_rules), clock=clock
    )


_next_id = [5000]


def message(
    text: str,
    *,
    author: int | None = ALICE,
    source: str = "message",
    when: datetime | None = None,
    message_id: int | None = None,
) -> MessageCopy:
    _next_id[0] += 1
    return MessageCopy(
        guild_id=GUILD,
        channel_id=THREAD,
        thread_id=THREAD,
        parent_id=FORUM,
        message_id=message_id or _next_id[0],
        author_id=author,
        author_name=f"member{author}" if author else "archive",
        content=text,
        created_at=when or datetime(2026, 1, 1, 12, 0, tzinfo=UTC),
        attachments=("https://cdn.example/a.png",),
        source=source,
    )
