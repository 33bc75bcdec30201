"""settle_heap: what is alive after start-up leaves the collector's generations."""

from __future__ import annotations

import gc

from forumbot.bot.runtime import settle_heap


def test_settle_heap_freezes_what_is_alive() -> None:
    gc.unfreeze()
    survivor = [object() for _ in range(100)]
    try:
        assert gc.get_freeze_count() == 0
        settle_heap()
        # Full collections no longer walk these (and everything else alive at start-up).
        assert gc.get_freeze_count() >= len(survivor)
    finally:
        gc.unfreeze()  # the rest of the test session collects as usual
