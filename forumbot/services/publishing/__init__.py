"""Publishing articles as forum posts, exactly once: `plan` decides what to post (pure), `service`
posts it through an outbox and reconciles after a crash. Discord is reached only through
`ForumPort`, which the bot implements. Callers import from the package."""

from forumbot.services.publishing.plan import (
    MAX_APPLIED_TAGS,
    MESSAGE_LIMIT,
    TAG_NAME_LIMIT,
    THREAD_NAME_LIMIT,
    PlannedMessage,
    PublishPlan,
    build_plan,
    marker_for,
    removed_chunk,
    revision_notice,
    shorten,
    tag_names,
    thread_title,
)
from forumbot.services.publishing.service import (
    DiscordUnavailable,
    EditRefused,
    ForumPort,
    PassageLocation,
    PublicationInfo,
    PublishingService,
    PublishResult,
    RevisionChange,
    revision_changes,
)

__all__ = [
    "MAX_APPLIED_TAGS",
    "MESSAGE_LIMIT",
    "TAG_NAME_LIMIT",
    "THREAD_NAME_LIMIT",
    "DiscordUnavailable",
    "EditRefused",
    "ForumPort",
    "PassageLocation",
    "PlannedMessage",
    "PublicationInfo",
    "PublishPlan",
    "PublishResult",
    "PublishingService",
    "RevisionChange",
    "build_plan",
    "marker_for",
    "removed_chunk",
    "revision_changes",
    "revision_notice",
    "shorten",
    "tag_names",
    "thread_title",
]
