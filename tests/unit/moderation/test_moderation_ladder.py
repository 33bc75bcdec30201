"""Ladder arithmetic: decay, escalation thresholds, growing timeouts capped at 28 days."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from forumbot.services.moderation.ladder import (
    MAX_TIMEOUT,
    LadderPolicy,
    Level,
    PastAction,
    climb,
    current_points,
    decayed,
    format_duration,
    timeout_length,
)

NOW = datetime(2026, 1, 10, tzinfo=UTC)
POLICY = LadderPolicy()  # hold 2, timeout at 5, half-life 72 h, first timeout 60 min, x4


def test_points_halve_every_half_life() -> None:
    assert decayed(4.0, timedelta(hours=0), 72) == 4.0
    assert decayed(4.0, timedelta(hours=72), 72) == pytest.approx(2.0)
    assert decayed(4.0, timedelta(hours=144), 72) == pytest.approx(1.0)
    # A row dated in the future (clock skew) counts in full, never more.
    assert decayed(4.0, timedelta(hours=-5), 72) == 4.0


def test_pardoned_actions_do_not_count() -> None:
    history = [
        PastAction("hold", 2.0, NOW),
        PastAction("hold", 2.0, NOW, pardoned=True),
        PastAction("remove", 3.0, NOW - timedelta(hours=72)),
    ]
    assert current_points(history, NOW, POLICY) == pytest.approx(2.0 + 1.5)


def test_first_hold_is_a_hold_third_recent_hold_escalates() -> None:
    first = climb(Level.HOLD, [], NOW, POLICY)
    assert (first.level, first.escalated, first.points_after) == (Level.HOLD, False, 2.0)
    two = [PastAction("hold", 2.0, NOW - timedelta(minutes=5))] * 2
    third = climb(Level.HOLD, two, NOW, POLICY)
    assert third.level == Level.TIMEOUT and third.escalated
    assert third.timeout == timedelta(minutes=60)


def test_old_holds_have_decayed_so_no_escalation() -> None:
    old = [PastAction("hold", 2.0, NOW - timedelta(days=14))] * 2
    assert climb(Level.HOLD, old, NOW, POLICY).level == Level.HOLD


def test_nudges_never_escalate_by_default() -> None:
    many = [PastAction("nudge", 1.0, NOW)] * 10
    assert climb(Level.NUDGE, many, NOW, POLICY).level == Level.NUDGE


def test_timeouts_grow_and_cap_at_28_days() -> None:
    lengths = []
    history: list[PastAction] = []
    for _ in range(8):
        length = timeout_length(history, NOW, POLICY)
        lengths.append(length)
        history.append(PastAction("timeout", 0.0, NOW))
    assert lengths[:4] == [timedelta(hours=1), timedelta(hours=4), timedelta(hours=16),
                           timedelta(hours=64)]  # fmt: skip
    assert lengths == sorted(lengths)
    assert lengths[-1] == MAX_TIMEOUT == timedelta(days=28)
    # Hundreds of remembered timeouts must not overflow.
    assert timeout_length([PastAction("timeout", 0, NOW)] * 500, NOW, POLICY) == MAX_TIMEOUT


def test_forgotten_or_pardoned_timeouts_do_not_grow_the_next() -> None:
    history = [
        PastAction("timeout", 0.0, NOW - timedelta(days=45)),
        PastAction("timeout", 0.0, NOW, pardoned=True),
    ]
    assert timeout_length(history, NOW, POLICY) == timedelta(hours=1)


def test_rule_asking_for_timeout_gets_ladder_length() -> None:
    out = climb(Level.TIMEOUT, [PastAction("timeout", 4.0, NOW)], NOW, POLICY)
    assert out.level == Level.TIMEOUT and not out.escalated
    assert out.timeout == timedelta(hours=4)


def test_policy_from_mapping_validates() -> None:
    policy = LadderPolicy.from_mapping({"half_life_hours": 24, "slowmode_seconds": "10"})
    assert policy.half_life_hours == 24.0 and policy.slowmode_seconds == 10
    with pytest.raises(ValueError, match="unknown setting 'bogus'"):
        LadderPolicy.from_mapping({"bogus": 1})
    with pytest.raises(ValueError, match="half_life_hours must be positive"):
        LadderPolicy.from_mapping({"half_life_hours": 0})
    with pytest.raises(ValueError, match="slowmode_seconds must be a int"):
        LadderPolicy.from_mapping({"slowmode_seconds": "fast"})


def test_level_parse_and_durations() -> None:
    assert Level.parse("hold") == Level.HOLD
    with pytest.raises(ValueError):
        Level.parse("explode")
    assert format_duration(timedelta(hours=64)) == "2 d 16 h"
    assert format_duration(timedelta(minutes=90)) == "1 h 30 min"
