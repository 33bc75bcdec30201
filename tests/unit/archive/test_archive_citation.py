"""Citation parsing and formatting: the exact text the bot posts."""

from __future__ import annotations

import pytest

from forumbot.domain.citation import (
    SHORTENED,
    discord_length,
    format_citation,
    parse_passage_range,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("12", (12, 12)),
        ("12-14", (12, 14)),
        ("12–14", (12, 14)),
        ("12—14", (12, 14)),
        (" 12 - 14 ", (12, 14)),
        ("¶3", (3, 3)),
        ("1-20", (1, 20)),
    ],
)
def test_parse_passage_range_accepts(text: str, expected: tuple[int, int]) -> None:
    assert parse_passage_range(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("0", "numbered from 1"),
        ("0-3", "numbered from 1"),
        ("abc", "not a passage"),
        ("12-", "not a passage"),
        ("1,2", "not a passage"),
        ("", "no passage given"),
        ("   ", "no passage given"),
        ("14-12", "backwards"),
        ("1-21", "at most 20"),
        ("5-1000000", "at most 20"),
    ],
)
def test_parse_passage_range_rejects_clearly(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_passage_range(text)


def test_single_passage_quote_and_attribution() -> None:
    text = format_citation(
        title="On Tactics",
        author="A. Writer",
        passages=[(12, "The first line.")],
        jump_url="https://discord.com/channels/1/2/3",
    )
    assert text == (
        "> The first line.\n— *On Tactics*, A. Writer, ¶12 · https://discord.com/channels/1/2/3"
    )


def test_range_numbers_each_passage_and_quotes_every_line() -> None:
    text = format_citation(
        title="T", author="A", passages=[(13, "two\nlines"), (12, "one"), (14, "three")]
    )
    lines = text.split("\n")
    assert lines[:-1] == ["> **12** one", "> **13** two", "> lines", "> **14** three"]
    assert lines[-1] == "— *T*, A, ¶12–14"


def test_fallbacks_for_missing_title_and_author() -> None:
    text = format_citation(title="  ", author=None, passages=[(1, "x")])
    assert text.endswith("— *Untitled article*, ¶1")


def test_markdown_and_mentions_are_neutralised() -> None:
    hostile = (
        "**bold** _it_ ~~s~~ ||spoiler|| `code` ```fence``` [x](https://evil.example) "
        "<@123> <@&5> <#7> @everyone @HERE\n# Heading\n-# sub\n- item\n1. first\n> nested\n>>> all"
    )
    text = format_citation(title="*T*", author="@everyone", passages=[(1, hostile)])
    quote, attribution = text.rsplit("\n", 1)
    assert all(line.startswith("> ") for line in quote.split("\n"))
    body = quote.replace("\\", "")
    assert "@everyone" not in text and "@here" not in text.lower()
    for raw in ("||spoiler||", "```", "<@123>", "[x]", "~~s~~"):
        assert raw not in quote, raw
    # The article's own emphasis is shown as emphasis, as in search snippets.
    assert "**bold** _it_" in quote
    # The words survive (escaped, not deleted).
    for word in ("bold", "spoiler", "Heading", "nested", "first"):
        assert word in body
    lines = quote.split("\n")
    assert lines[1] == "> \\# Heading"
    assert lines[2] == "> \\-# sub"
    assert lines[3] == "> \\- item"
    assert lines[4] == "> 1\\. first"
    assert lines[5].startswith("> \\>")
    assert attribution.startswith("— *\\*T\\**, @\u200beveryone, ¶1")


def test_urls_in_text_stay_usable() -> None:
    text = format_citation(title="T", author=None, passages=[(1, "see https://a.example/x_y_z")])
    assert "https://a.example/x_y_z" in text


def test_long_citation_is_shortened_at_a_word_boundary_attribution_intact() -> None:
    passages = [(n, " ".join(f"word{n}x{i}" for i in range(200))) for n in range(1, 6)]
    url = "https://discord.com/channels/1/2/3"
    text = format_citation(title="Long", author="Au", passages=passages, jump_url=url)
    assert len(text) <= 2000
    quote, attribution = text.rsplit("\n", 1)
    assert attribution == f"— *Long*, Au, ¶1–5 · {url}"
    assert quote.endswith(SHORTENED)
    last_word = quote[: -len(SHORTENED)].split()[-1]
    assert last_word.startswith("word") and "x" in last_word  # a whole word, not a fragment
    number, index = last_word[4:].split("x")
    assert f"word{number}x{index}" in passages[int(number) - 1][1].split()


@pytest.mark.parametrize("limit", [200, 500, 1000, 2000])
def test_never_exceeds_limit(limit: int) -> None:
    cases = [
        [(1, "z" * 5000)],  # one huge word
        [(1, "*" * 3000)],  # every char doubles when escaped
        [(n, "🙂 emoji " * 300) for n in range(1, 4)],  # astral chars count double
        [(n, "line\n" * 400) for n in range(1, 3)],
    ]
    for passages in cases:
        text = format_citation(title="x" * 5000, author="y" * 5000, passages=passages, limit=limit)
        assert discord_length(text) <= limit
        assert SHORTENED in text
        assert "¶1" in text.rsplit("\n", 1)[1]


def test_short_text_not_marked_shortened() -> None:
    text = format_citation(title="T", author="A", passages=[(1, "short")])
    assert SHORTENED not in text


def test_invalid_inputs() -> None:
    with pytest.raises(ValueError, match="no passages"):
        format_citation(title="T", author="A", passages=[])
    with pytest.raises(ValueError, match="jump_url"):
        format_citation(title="T", author="A", passages=[(1, "x")], jump_url="javascript:x")


def test_the_articles_emphasis_is_kept_and_the_rest_escaped() -> None:
    from forumbot.domain.citation import escape_keeping_emphasis

    assert escape_keeping_emphasis("a **b** c *d* e") == "a **b** c *d* e"
    assert escape_keeping_emphasis("2 * 3 = 6 and **open") == "2 \\* 3 = 6 and \\*\\*open"
    assert escape_keeping_emphasis("snake_case_name") == "snake\\_case\\_name"
    assert escape_keeping_emphasis("**see <@1> `x`**") == "**see \\<@1\\> \\`x\\`**"
    assert "**both**" in escape_keeping_emphasis("***both***")
