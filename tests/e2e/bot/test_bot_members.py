"""End to end through the sandbox: what members do (search, cite, find, show, autocomplete)."""

from __future__ import annotations

import re

import pytest

from forumbot.bot.client import ForumBot
from forumbot.sandbox import DemoGuild, Sandbox
from tests.fixtures.bot import BotRunner

JUMP = re.compile(r"https://discord\.com/channels/(\d+)/(\d+)/(\d+)")


def button_ids(message: dict) -> list[str]:
    return [
        c["custom_id"]
        for row in message.get("components") or []
        for c in row.get("components") or []
        if c.get("custom_id")
    ]


def button(message: dict, label: str) -> str:
    return next(
        c["custom_id"]
        for row in message.get("components") or []
        for c in row.get("components") or []
        if c.get("label") == label
    )


def assert_jump_targets_passage(sandbox: Sandbox, url_match: re.Match[str], passage: int) -> None:
    _guild, channel, message = url_match.groups()
    held = next(m for m in sandbox.messages(channel) if m["id"] == message)
    assert f"¶{passage}" in held["content"] or f"{passage}" in held["content"]


async def test_search_shows_results_with_jump_links_and_pages(
    bot: ForumBot, sandbox: Sandbox, demo: DemoGuild, published: list[int]
) -> None:
    handle = await sandbox.invoke_command(
        demo.alice_id, demo.general_id, "search", {"query": "working class"}
    )
    message = await handle.message()
    assert message["flags"] & 64, "search results are ephemeral"
    text = await handle.text()
    assert "__working__" in text and "¶" in text
    links = list(JUMP.finditer(text))
    assert len(links) == 5
    ids = button_ids(message)
    assert sum(i.startswith("fb:sh:") for i in ids) == 5
    nxt = button(message, "▶")
    assert nxt.startswith("fb:sq:1:") and "working class" in nxt  # the query rides along
    assert all(len(i) <= 100 for i in ids)
    page2 = await sandbox.click(demo.alice_id, message, nxt)
    await page2.response()
    assert "Page 2" in await page2.text()
    edited = sandbox.world.messages[message["id"]]
    back = await sandbox.click(demo.alice_id, edited, button(edited, "◀"))
    await back.response()
    assert "Page 1" in await back.text()
    sandbox.assert_no_violations()


async def test_search_buttons_survive_a_restart(
    bot_runner: BotRunner, sandbox: Sandbox, demo: DemoGuild, published: list[int], bot: ForumBot
) -> None:
    handle = await sandbox.invoke_command(
        demo.alice_id, demo.general_id, "search", {"query": "fascism"}
    )
    message = await handle.message()
    nxt = button(message, "▶")
    await bot.close()
    async with bot_runner.running():
        click = await sandbox.click(demo.alice_id, message, nxt)
        assert "Page 2" in await click.text()
        share_id = next(i for i in button_ids(message) if i.startswith("fb:sh:"))
        share = await sandbox.click(demo.alice_id, message, share_id)
        shared = await share.message()
        assert not shared["flags"] & 64, "sharing posts publicly"
        assert JUMP.search(shared["content"])
        assert f"Shared by <@{demo.alice_id}>" in shared["embeds"][0]["description"]
        sent = await sandbox.wait_for_request("POST", r"/interactions/.*/callback")
        assert sent.json["data"]["allowed_mentions"] == {"parse": []}
    sandbox.assert_no_violations()


async def test_long_or_filtered_searches_page_through_a_saved_search(
    bot: ForumBot, sandbox: Sandbox, demo: DemoGuild, published: list[int]
) -> None:
    long_query = "the working class " + "and " * 40 + "party"
    handle = await sandbox.invoke_command(
        demo.alice_id, demo.general_id, "search", {"query": long_query[:200]}
    )
    message = await handle.message()
    nxt = button(message, "▶")
    assert nxt.startswith("fb:sp:1:") and len(nxt) <= 100
    filtered = await sandbox.invoke_command(
        demo.alice_id, demo.general_id, "search", {"query": "India", "author": "Dipankar"}
    )
    text = await filtered.text()
    assert "Search: India" in text and "¶" in text
    assert button(await filtered.message(), "◀").startswith("fb:sp:0:")


async def test_search_order_button_and_partial_matches(
    bot: ForumBot, sandbox: Sandbox, demo: DemoGuild, published: list[int]
) -> None:
    handle = await sandbox.invoke_command(
        demo.alice_id, demo.general_id, "search", {"query": "working class"}
    )
    message = await handle.message()
    relevant = await handle.text()
    newest_id = button(message, "Newest first")
    assert "order:newest" in newest_id and len(newest_id) <= 100
    click = await sandbox.click(demo.alice_id, message, newest_id)
    await click.response()
    edited = sandbox.world.messages[message["id"]]
    newest = await click.text()
    assert "Search: working class order:newest" in newest and "Page 1" in newest
    assert newest != relevant
    # and back: the other button now offers relevance, and the order is the first one again
    back = await sandbox.click(demo.alice_id, edited, button(edited, "Most relevant"))
    await back.response()
    assert (await back.text()).replace("Page 1", "") == relevant.replace("Page 1", "")

    # Words no passage holds together: the page is filled with passages holding some, marked.
    partial = await sandbox.invoke_command(
        demo.bob_id, demo.general_id, "search", {"query": "why did the working class zzxxqq"}
    )
    text = await partial.text()
    assert "partial match" in text and "__working__" in text
    sandbox.assert_no_violations()


async def test_search_without_results_says_so(
    bot: ForumBot, sandbox: Sandbox, demo: DemoGuild, published: list[int]
) -> None:
    handle = await sandbox.invoke_command(
        demo.bob_id, demo.general_id, "search", {"query": 'zzxxqq "unclosed NOT C++'}
    )
    assert "No passages match" in await handle.text()


async def test_cite_posts_a_public_quote_with_jump_link(
    bot: ForumBot, sandbox: Sandbox, demo: DemoGuild, published: list[int]
) -> None:
    article = published[1]  # 9 passages
    handle = await sandbox.invoke_command(
        demo.alice_id, demo.general_id, "cite", {"article": str(article), "passage": "2-3"}
    )
    message = await handle.message()
    assert not message["flags"] & 64
    match = JUMP.search(message["content"])
    assert match, message["content"]
    assert_jump_targets_passage(sandbox, match, 2)
    bad = await sandbox.invoke_command(
        demo.alice_id, demo.general_id, "cite", {"article": str(article), "passage": "abc"}
    )
    answer = await bad.message()
    assert answer["flags"] & 64 and "Something went wrong" not in answer["content"]
    missing = await sandbox.invoke_command(
        demo.alice_id, demo.general_id, "cite", {"article": "99999", "passage": "1"}
    )
    assert "no article" in (await missing.text()).lower()
    sandbox.assert_no_violations()


async def test_article_autocomplete_is_bounded(
    bot: ForumBot, sandbox: Sandbox, demo: DemoGuild, published: list[int]
) -> None:
    handle = await sandbox.autocomplete(
        demo.alice_id, demo.general_id, "cite", {"article": ""}, focused="article"
    )
    choices = await handle.choices()
    assert 0 < len(choices) <= 25
    assert all(1 <= len(c["name"]) <= 100 for c in choices)
    typed = await sandbox.autocomplete(
        demo.alice_id, demo.general_id, "cite", {"article": "Rohingya"}, focused="article"
    )
    names = [c["name"] for c in await typed.choices()]
    assert names and all("Rohingya" in n for n in names)


async def test_find_in_archive_recognises_a_quoted_passage(
    bot: ForumBot, sandbox: Sandbox, demo: DemoGuild, published: list[int]
) -> None:
    cite = await sandbox.invoke_command(
        demo.alice_id, demo.general_id, "cite", {"article": str(published[1]), "passage": "4"}
    )
    quoted = (await cite.message())["content"]
    # A member pastes just the quote (without our attribution line) into a thread.
    quote_lines = "\n".join(line for line in quoted.splitlines() if line.startswith(">"))
    thread = sandbox.threads(demo.forum_id)[0]
    posted = await sandbox.send_message(demo.bob_id, thread["id"], quote_lines[:1500])
    handle = await sandbox.invoke_message_command(demo.alice_id, posted, "Find in archive")
    found = await handle.text()
    assert "¶4" in found and JUMP.search(found), found
    unrelated = await sandbox.send_message(demo.bob_id, thread["id"], "lorem ipsum dolor sit amet")
    miss = await sandbox.invoke_message_command(demo.alice_id, unrelated, "Find in archive")
    assert "could not find" in await miss.text()


async def test_show_links_the_thread(
    bot: ForumBot, sandbox: Sandbox, demo: DemoGuild, published: list[int]
) -> None:
    handle = await sandbox.invoke_command(
        demo.bob_id, demo.general_id, "article show", {"article": str(published[0])}
    )
    text = await handle.text()
    thread_ids = {t["id"] for t in sandbox.threads(demo.forum_id)}
    linked = re.findall(r"<#(\d+)>", text)
    assert linked and linked[0] in thread_ids
    assert "passages" in text


@pytest.mark.parametrize(
    ("command", "options"),
    [
        ("setup", "setup"),
        ("article publish", {"article": "1"}),
        ("article publish-all", {}),
        ("article load", "file"),
        ("admin sync", {}),
    ],
)
async def test_privileged_commands_are_refused_to_members(
    bot: ForumBot,
    sandbox: Sandbox,
    demo: DemoGuild,
    command: str,
    options: object,
) -> None:
    from forumbot.sandbox import SandboxFile

    if options == "setup":
        options = {
            "forum": demo.forum_id,
            "modlog": demo.modlog_id,
            "moderator_role": demo.moderator_role_id,
        }
    elif options == "file":
        options = {"file": SandboxFile("a.txt", b"Title\n\nBody text.")}
    assert isinstance(options, dict)
    handle = await sandbox.invoke_command(demo.alice_id, demo.general_id, command, options)
    message = await handle.message()
    assert message["flags"] & 64
    assert "permission" in message["content"] or "owner" in message["content"], message
    assert not sandbox.threads(demo.forum_id)
