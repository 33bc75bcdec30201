"""json_copy: a deep copy of JSON-shaped values that no caller can reach the original through."""

from __future__ import annotations

import copy
from typing import Any

from forumbot.sandbox.jsoncopy import json_copy


def message() -> dict[str, Any]:
    return {
        "id": "1",
        "content": "hi",
        "flags": 64,
        "pinned": False,
        "edited_timestamp": None,
        "score": 0.5,
        "author": {"id": "2", "username": "alice", "avatar": None},
        "embeds": [{"title": "t", "fields": [{"name": "a", "value": "b", "inline": True}]}],
        "components": [{"type": 1, "components": [{"type": 2, "custom_id": "x"}]}],
        "mentions": [],
        "nested": [[1, [2, {"deep": [3]}]]],
    }


def containers(value: Any) -> list[Any]:
    """Every dict and list inside `value`, itself included."""
    found = []
    if isinstance(value, (dict, list)):
        found.append(value)
        for item in value.values() if isinstance(value, dict) else value:
            found += containers(item)
    return found


def test_the_copy_is_equal_and_shares_no_container() -> None:
    original = message()
    copied = json_copy(original)
    assert copied == original and list(copied) == list(original)  # same keys, same order
    ids = {id(c) for c in containers(original)}
    assert not any(id(c) in ids for c in containers(copied))


def test_changing_the_copy_leaves_the_original_alone_and_back() -> None:
    original = message()
    copied = json_copy(original)
    copied["author"]["username"] = "mallory"
    copied["embeds"][0]["fields"].append({"name": "c", "value": "d"})
    copied["nested"][0][1][1]["deep"].append(4)
    assert original == message()
    original["components"][0]["components"][0]["custom_id"] = "y"
    assert copied["components"][0]["components"][0]["custom_id"] == "x"


def test_leaves_and_other_values() -> None:
    for leaf in ("s", 3, 2.5, True, None, 10**30):
        assert json_copy(leaf) == leaf
    assert json_copy([]) == [] and json_copy({}) == {}
    # Not JSON-shaped, still a full deep copy (through copy.deepcopy).
    inner = {"a": [1]}
    outer = {"t": (inner, 2)}
    copied = json_copy(outer)
    assert copied == outer and copied["t"][0] is not inner and copied["t"][0]["a"] is not inner["a"]
    assert json_copy(outer) == copy.deepcopy(outer)
