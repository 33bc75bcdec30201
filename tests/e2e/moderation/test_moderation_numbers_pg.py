"""The numbering and appeal-chain journey again, with the bot on PostgreSQL (the counters and
the appeal chain are storage changes)."""

from __future__ import annotations

from pathlib import Path

import pytest

from forumbot.config import Settings
from tests.e2e.moderation.test_moderation_numbers import (
    test_appeal_is_refused_before_the_form_opens,
    test_granted_appeal_undoes_hold_and_removal_with_one_number_everywhere,
)

__all__ = [
    "test_appeal_is_refused_before_the_form_opens",
    "test_granted_appeal_undoes_hold_and_removal_with_one_number_everywhere",
]


@pytest.fixture
def bot_settings(pg_url: str, tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "data", database_url=pg_url, max_file_bytes=200_000)
