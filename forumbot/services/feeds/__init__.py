"""Feeds: subscriptions (`subscriptions`), the poller that imports and delivers their entries
(`poller`), intervals and back-off (`schedule`), and the values and port they share (`types`).
"""

from forumbot.services.feeds.poller import FeedPoller, ReviewClosed
from forumbot.services.feeds.schedule import describe, parse_interval
from forumbot.services.feeds.subscriptions import FeedsService, describe_feed
from forumbot.services.feeds.types import (
    FeedInfo,
    FeedInputError,
    FeedNotFound,
    FeedPollResult,
    FeedPort,
    ReviewCard,
)

__all__ = [
    "FeedInfo",
    "FeedInputError",
    "FeedNotFound",
    "FeedPollResult",
    "FeedPoller",
    "FeedPort",
    "FeedsService",
    "ReviewCard",
    "ReviewClosed",
    "describe",
    "describe_feed",
    "parse_interval",
]
