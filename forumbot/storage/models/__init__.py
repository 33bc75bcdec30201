"""All ORM models, imported here so that Alembic's autogenerate and `check` see every table."""

from forumbot.storage.models.archive import (
    ArchiveAudit,
    Article,
    ArticleRevision,
    ArticleTag,
    Comment,
    Passage,
    RemovedArticle,
    RemovedPost,
    SharedLibraryGuild,
)
from forumbot.storage.models.base import Base
from forumbot.storage.models.coordination import (
    CacheVersion,
    InteractionClaim,
    Lease,
    MessageClaim,
)

from forumbot.storage.models.search import SearchTerm, SearchTermPassage  # isort: skip
from forumbot.storage.models.moderation import (
    ModAction,
    ModCounter,
    ModGuildPolicy,
    ModQueueItem,
    ModRuleChange,
    ModRuleSet,
    ModSeenMessage,
)

__all__ = [
    "Article",
    "ArticleRevision",
    "ArticleTag",
    "Base",
    "Comment",
    "Passage",
    "SharedLibraryGuild",
]
from forumbot.storage.models.discord import (  # isort: skip
    BotState,
    GuildSettings,
    Publication,
    PublicationMessage,
    SearchSession,
)

__all__ += ["BotState", "GuildSettings", "Publication", "PublicationMessage", "SearchSession"]
__all__ += ["SearchTerm", "SearchTermPassage"]
__all__ += ["ArchiveAudit", "RemovedArticle", "RemovedPost"]
__all__ += [
    "ModAction",
    "ModCounter",
    "ModGuildPolicy",
    "ModQueueItem",
    "ModRuleChange",
    "ModRuleSet",
    "ModSeenMessage",
]

__all__ += ["CacheVersion", "InteractionClaim", "Lease", "MessageClaim"]

from forumbot.storage.models.web import (  # noqa: E402  isort: skip
    ModActivityDay,
    ModActivityMark,
    WebRateLimit,
    WebSession,
)

__all__ += ["ModActivityDay", "ModActivityMark", "WebRateLimit", "WebSession"]

from forumbot.storage.models.outbox import ModOutbox  # noqa: E402  isort: skip

__all__ += ["ModOutbox"]

from forumbot.storage.models.feeds import Feed, FeedEntry  # noqa: E402  isort: skip

__all__ += ["Feed", "FeedEntry"]
