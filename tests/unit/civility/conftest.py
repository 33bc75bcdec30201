"""Shared by the civility tests that judge the rules alone (families, situations, reach)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from forumbot.domain.civility import Action, Engine, MessageContext, load_default_rules


@pytest.fixture(scope="session")
def action() -> Callable[[str], Action]:
    """The action the default pack takes on a text, without the learned signal (which
    test_civility_learned.py tests): one engine for every test that asks."""
    off = {"rules": [{"id": "learned-signal", "enabled": False}]}
    engine = Engine(load_default_rules().with_overrides(off))
    return lambda text: engine.check(MessageContext(text=text), track=False).action
