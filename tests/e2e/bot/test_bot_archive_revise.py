"""End to end: revising a published article through /article load. The preview says what
Confirm will do (revises #N, the forum post's edits, the rename, suspect passages); the post is
edited in place (or, when Discord throttles edits of old messages, the new text is posted) and a
jump link always lands on the text /cite quotes. Material: the seed essay 003 (10 kB, 8
passages of up to 3,900 characters, with reader comments)."""

from __future__ import annotations

import re
from typing import Any

from forumbot.bot.client import ForumBot
from forumbot.sandbox import DemoGuild, Sandbox, SandboxFile
from tests.fixtures.bot import SEEDS_DIR

SEED = SEEDS_DIR / "003_2faf8053f3e32224.md"
JUMP = re.compile(r"https://discord\.com/channels/(\d+)/(\d+)/(\d+)")
NEW_WORDS = "Zanzibarian quorum stipulations"


def buttons(message: dict[str, Any]) -> dict[str, str]:
    return {
        c.get("label"): c["custom_id"]
        for row in message.get("components") or []
        for c in row.get("components") or []
    }


def revised_seed() -> bytes:
    text = SEED.read_text()
    text = text.replace(
        'title: "Revolution and internationalism: some reservations',
        'title: "Revolution and internationalism, revised: some reservations',
    )
    # Rewrite the second passage and add a section with a new passage at the end of the body.
    second = "Since\u00a0 these"  # the seed's own spacing (NBSP + space)
    assert second in text
    text = text.replace(second, f"{NEW_WORDS} were added here. {second}", 1)
    body_end = text.index("Sumanta Banerjee is a political")
    addition = f"## A later note\n\nA paragraph added in revision two about {NEW_WORDS}.\n\n"
    return (text[:body_end] + addition + text[body_end:]).encode()


async def load_file(sandbox: Sandbox, demo: DemoGuild, data: bytes) -> tuple[dict[str, Any], str]:
    handle = await sandbox.invoke_command(
        demo.admin_id,
        demo.general_id,
        "article load",
        {"file": SandboxFile(SEED.name, data), "publish": True},
    )
    return await handle.message(), await handle.text()


async def load_revision(sandbox: Sandbox, demo: DemoGuild) -> tuple[dict[str, Any], str]:
    return await load_file(sandbox, demo, revised_seed())


async def guild_copy(bot: ForumBot, sandbox: Sandbox, demo: DemoGuild) -> tuple[int, str]:
    """The seed loaded and published through /article load: an admin's uploads go to the
    guild's own library, so that is the article a later upload of the same file revises.
    Returns (article id, forum thread id)."""
    preview, text = await load_file(sandbox, demo, SEED.read_bytes())
    assert "Confirm creates a new article" in text, text
    click = await sandbox.click(demo.admin_id, preview, buttons(preview)["Confirm"])
    await click.response()
    await sandbox.wait_until(
        lambda: "Published:" in (sandbox.world.messages[preview["id"]]["content"] or ""),
        what="the seed published",
        timeout=30,
    )
    content = str(sandbox.world.messages[preview["id"]]["content"])
    found = re.search(r"\(#(\d+)\)", content)
    assert found, content
    article_id = int(found[1])
    pub = await bot.services.publishing.publication(int(demo.guild_id), article_id)
    assert pub is not None and pub.thread_id is not None
    return article_id, str(pub.thread_id)


async def confirm(sandbox: Sandbox, demo: DemoGuild, preview: dict[str, Any]) -> str:
    click = await sandbox.click(demo.admin_id, preview, buttons(preview)["Confirm"])
    await click.response()
    await sandbox.wait_until(
        lambda: "Forum post updated" in (sandbox.world.messages[preview["id"]]["content"] or ""),
        what="the revision published",
        timeout=30,
    )
    return str(sandbox.world.messages[preview["id"]]["content"])


async def jump_target(sandbox: Sandbox, demo: DemoGuild) -> tuple[str, str]:
    """Search the new words; return (the jump link's message content, the /cite text)."""
    found = await sandbox.invoke_command(
        demo.alice_id, demo.general_id, "search", {"query": NEW_WORDS}
    )
    text = await found.text()
    link = JUMP.search(text)
    assert link, text
    _g, channel, message = link.groups()
    held = next(m for m in sandbox.messages(channel) if m["id"] == message)
    return held["content"], text


async def test_revision_preview_then_the_post_is_edited_in_place(
    bot: ForumBot, sandbox: Sandbox, configured: DemoGuild
) -> None:
    demo = configured
    article_id, thread_id = await guild_copy(bot, sandbox, demo)
    before = {m["id"]: m["content"] for m in sandbox.messages(thread_id)}
    # Inactive posts get archived by Discord; their messages cannot be edited until reopened.
    await sandbox.edit_thread(demo.moderator_id, thread_id, archived=True)

    preview, text = await load_revision(sandbox, demo)
    assert f"Confirm revises #{article_id}" in text and "revision 1 → 2" in text
    assert f"<#{thread_id}>" in text and "messages edited" in text and "renamed to" in text
    assert "¶1" in text  # the first passages are shown
    assert sandbox.channel(thread_id)["name"].startswith("Revolution and internationalism:")

    reply = await confirm(sandbox, demo, preview)
    assert "Revised" in reply
    thread = sandbox.channel(thread_id)
    assert thread["name"].startswith("Revolution and internationalism, revised")
    assert not thread["thread_metadata"]["archived"]
    after = sandbox.messages(thread_id)
    assert "revised" in after[0]["content"]  # the starter follows the title
    edited = [m for m in after if m["id"] in before and m["content"] != before[m["id"]]]
    assert edited and all(m.get("edited_timestamp") for m in edited)
    assert sum("Revised in the archive" in m["content"] for m in after) == 1
    assert any("### A later note" in m["content"] for m in after)  # the heading, unnumbered

    held, _results = await jump_target(sandbox, demo)
    assert "Zanzibarian" in held
    cite = await sandbox.invoke_command(
        demo.alice_id, demo.general_id, "cite", {"article": str(article_id), "passage": "2"}
    )
    assert "Zanzibarian" in await cite.text()
    sandbox.assert_no_violations()


async def test_throttled_edits_post_the_new_text_and_links_follow_it(
    bot: ForumBot, sandbox: Sandbox, configured: DemoGuild
) -> None:
    demo = configured
    _article_id, thread_id = await guild_copy(bot, sandbox, demo)
    sandbox.age_messages(thread_id, hours=2.0)
    sandbox.old_edit_limit = 0  # Discord refuses every edit of these old messages (30046)
    old_ids = {m["id"] for m in sandbox.messages(thread_id)}

    preview, _text = await load_revision(sandbox, demo)
    await confirm(sandbox, demo, preview)
    held, _results = await jump_target(sandbox, demo)
    assert "Zanzibarian" in held
    newer = [m for m in sandbox.messages(thread_id) if m["id"] not in old_ids]
    assert any("Zanzibarian" in m["content"] for m in newer)
    sandbox.assert_no_violations()
