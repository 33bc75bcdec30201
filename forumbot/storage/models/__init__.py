"""All ORM models, imported here so that Alembic's autogenerate and `check` see every table."""

from forumbot.storage.models.archive import Article, ArticleRevision, ArticleTag, Comment, Passage
from forumbot.storage.models.base import Base

from forumbot.storage.models.search import SearchTerm, SearchTermPassage  # isort: skip
from forumbot.storage.models.moderation import (
    ModAction,
    ModGuildPolicy,
    ModQueueItem,
    ModRuleChange,
    ModRuleSet,
    ModSeenMessage,
)

__all__ = ["Article", "ArticleRevision", "ArticleTag", "Base", "Comment", "Passage"]
from forumbot.storage.models.discord import (  # isort: skip
    BotState,
    GuildSettings,
    Publication,
    PublicationMessage,
    SearchSession,
)

__all__ += ["BotState", "GuildSettings", "Publication", "PublicationMessage", "SearchSession"]
__all__ += ["SearchTerm", "SearchTermPassage"]
__all__ += [
    "ModAction",
    "ModGuildPolicy",
    "ModQueueItem",
    "ModRuleChange",
    "ModRuleSet",
    "ModSeenMessage",
]
from forumbot.storage.models.web import WebRateLimit  # noqa: E402  isort: skip

__all__ += ["WebRateLimit"]
