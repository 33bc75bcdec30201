"""Fixtures for moderation end-to-end tests."""

from __future__ import annotations

import pytest

from forumbot.bot.client import ForumBot
from tests.e2e.moderation.support import Processed


@pytest.fixture
def processed(bot: ForumBot) -> Processed:
    """Counts messages the bot's moderation pipeline has finished with."""
    return Processed(bot)
