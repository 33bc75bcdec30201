"""What the dashboard is handed: the services it acts through and the two Discord ports."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from forumbot.config import Settings
from forumbot.services.archive import ArchiveService
from forumbot.services.coordination.versions import StaleGuard
from forumbot.services.guilds import GuildSettingsService
from forumbot.services.moderation import ModerationService
from forumbot.services.moderation.casebook import Casebook
from forumbot.services.publishing import PublishingService
from forumbot.services.publishing.service import PublishResult
from forumbot.web.access import AccessPort
from forumbot.web.oauth import OAuthClient
from forumbot.web.ratelimit import RateLimiter
from forumbot.web.sessions import SessionStore, Signer


class Publisher(Protocol):
    async def publish(self, guild_id: int, article_id: int) -> PublishResult:
        """Post the article in the guild's forum through the publishing service (exactly
        once, resumable), as /article publish does."""
        ...


@dataclass
class WebContext:
    settings: Settings
    sessionmaker: async_sessionmaker[AsyncSession]
    archive: ArchiveService
    guilds: GuildSettingsService
    # Built on the bot's ModerationPort: actions reach Discord exactly as the buttons' do.
    moderation: ModerationService
    access: AccessPort
    publisher: Publisher
    oauth: OAuthClient
    signer: Signer
    # The URL people open, without a trailing slash (the OAuth2 redirect is built on it).
    public_url: str
    # The process's cache-version check (rules, policy, settings): another process may have
    # changed what this one caches; every guild page checks first.
    stale: StaleGuard | None = None

    def __post_init__(self) -> None:
        self.limiter = RateLimiter(self.sessionmaker)
        self.casebook = Casebook(self.sessionmaker)
        self.publishing = PublishingService(self.sessionmaker)
        self.sessions = SessionStore(self.sessionmaker, self.signer)

    @property
    def secure_cookies(self) -> bool:
        return self.public_url.startswith("https://")
