"""The limit checks on their own: each documented Discord limit, just inside and just outside."""

from __future__ import annotations

from typing import Any

import pytest

from forumbot.sandbox import limits
from forumbot.sandbox.errors import ApiError, FormErrors


def errors_of(check: Any, *args: Any, **kwargs: Any) -> list[str]:
    errs = FormErrors()
    check(errs, *args, **kwargs)
    return errs.messages()


def button(custom_id: str = "b", label: str = "ok") -> dict[str, Any]:
    return {"type": 2, "style": 1, "label": label, "custom_id": custom_id}


def row(*items: dict[str, Any]) -> dict[str, Any]:
    return {"type": 1, "components": list(items)}


@pytest.mark.parametrize(
    ("body", "bad"),
    [
        ({"content": "x" * 2000}, False),
        ({"content": "x" * 2001}, True),
        ({"embeds": [{"title": "t"}] * 10}, False),
        ({"embeds": [{"title": "t"}] * 11}, True),
        ({"embeds": [{"title": "t" * 257}]}, True),
        ({"embeds": [{"description": "d" * 4096}]}, False),
        ({"embeds": [{"fields": [{"name": "n", "value": "v"}] * 26}]}, True),
        ({"embeds": [{"fields": [{"name": "n", "value": "v" * 1025}]}]}, True),
        ({"embeds": [{"footer": {"text": "f" * 2049}}]}, True),
        ({"embeds": [{"author": {"name": "a" * 257}}]}, True),
        ({"embeds": [{"description": "d" * 4000}, {"description": "d" * 2001}]}, True),
        ({"components": [row(*[button(str(i)) for i in range(5)])] * 1}, False),
        ({"components": [row(*[button(str(i)) for i in range(6)])]}, True),
        ({"components": [row(button(str(i))) for i in range(5)]}, False),
        ({"components": [row(button(str(i))) for i in range(6)]}, True),
        ({"components": [row(button("x" * 100))]}, False),
        ({"components": [row(button("x" * 101))]}, True),
        ({"components": [row(button("same"), button("same"))]}, True),
        ({"components": [row(button(label="l" * 81))]}, True),
        ({"content": "x", "nonce": "n" * 25}, False),
        ({"content": "x", "nonce": "n" * 26}, True),
        ({"content": "x", "flags": 64}, True),
        ({"content": "x", "flags": 1 << 15}, True),
        ({"content": "x", "allowed_mentions": {"parse": ["users"], "users": ["1"]}}, True),
    ],
)
def test_message_limits(body: dict[str, Any], bad: bool) -> None:
    assert bool(errors_of(limits.check_message, body)) is bad


def test_ephemeral_is_fine_in_interaction_answers() -> None:
    assert (
        errors_of(limits.check_message, {"content": "x", "flags": 64}, allow_ephemeral=True) == []
    )


@pytest.mark.parametrize(
    ("body", "bad"),
    [
        ({"name": "t" * 100}, False),
        ({"name": "t" * 101}, True),
        ({"name": ""}, True),
        ({}, True),
        ({"name": "ok", "applied_tags": ["1"] * 5}, False),
        ({"name": "ok", "applied_tags": ["1"] * 6}, True),
        ({"name": "ok", "auto_archive_duration": 10080}, False),
        ({"name": "ok", "auto_archive_duration": 1000}, True),
        ({"name": "ok", "rate_limit_per_user": 21601}, True),
    ],
)
def test_thread_limits(body: dict[str, Any], bad: bool) -> None:
    assert bool(errors_of(limits.check_thread_fields, body, creating=True)) is bad


def test_forum_tag_limits() -> None:
    assert errors_of(limits.check_forum_tags, [{"name": f"t{i}"} for i in range(20)]) == []
    assert errors_of(limits.check_forum_tags, [{"name": f"t{i}"} for i in range(21)])
    assert errors_of(limits.check_forum_tags, [{"name": "x" * 21}])
    assert errors_of(limits.check_forum_tags, [{"name": "a"}, {"name": "a"}])


def test_choice_and_modal_limits() -> None:
    assert errors_of(limits.check_choices, [{"name": "n", "value": "v"}] * 25) == []
    assert errors_of(limits.check_choices, [{"name": "n", "value": "v"}] * 26)
    assert errors_of(limits.check_choices, [{"name": "n" * 101, "value": "v"}])
    assert errors_of(limits.check_choices, [{"name": "n", "value": "v" * 101}])
    text = {"type": 4, "custom_id": "t", "style": 1, "label": "Label"}
    modal = {"title": "T" * 45, "custom_id": "m", "components": [row(text)]}
    assert errors_of(limits.check_modal, modal) == []
    assert errors_of(limits.check_modal, {**modal, "title": "T" * 46})
    assert errors_of(limits.check_modal, {**modal, "components": [row(text)] * 6})


def command(name: str = "search", **extra: Any) -> dict[str, Any]:
    return {"name": name, "description": "Search", "type": 1, **extra}


@pytest.mark.parametrize(
    ("commands", "bad"),
    [
        ([command()], False),
        ([command("Search")], True),
        ([command("has space")], True),
        ([command("x" * 33)], True),
        ([command(description="")], True),
        ([command(description="d" * 101)], True),
        ([command(), command()], True),
        ([command(f"c{i}") for i in range(100)], False),
        ([command(f"c{i}") for i in range(101)], True),
        (
            [
                command(
                    options=[{"type": 3, "name": f"o{i}", "description": "d"} for i in range(26)]
                )
            ],
            True,
        ),
        (
            [
                command(
                    options=[
                        {"type": 3, "name": "a", "description": "d"},
                        {"type": 3, "name": "b", "description": "d", "required": True},
                    ]
                )
            ],
            True,
        ),
        (
            [
                command(
                    options=[
                        {
                            "type": 3,
                            "name": "a",
                            "description": "d",
                            "autocomplete": True,
                            "choices": [{"name": "x", "value": "x"}],
                        }
                    ]
                )
            ],
            True,
        ),
        ([{"name": "Quote this", "type": 3, "description": ""}], False),
        ([{"name": "Quote", "type": 3, "description": "no"}], True),
    ],
)
def test_command_limits(commands: list[dict[str, Any]], bad: bool) -> None:
    assert bool(errors_of(limits.check_command_list, commands)) is bad


def test_form_errors_have_discords_nested_shape() -> None:
    errs = FormErrors()
    errs.too_long("embeds.0.title", 256)
    with pytest.raises(ApiError) as raised:
        errs.raise_if_any()
    body = raised.value.body()
    assert body["code"] == 50035 and body["message"] == "Invalid Form Body"
    assert body["errors"]["embeds"]["0"]["title"]["_errors"][0]["code"] == "BASE_TYPE_MAX_LENGTH"
