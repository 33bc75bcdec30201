"""End to end through the sandbox (which enforces Discord's limits): search results say how
many matched, number across pages, show the filters, group passages per article and list an
author's passages; /cite and snippets show the article's own emphasis, matches underlined;
results hold with huge titles, authors and markup-heavy passages; the Markdown upload preview
reports headings, footnotes and a sixth tag. Material: the seed articles (34 articles) and
articles built below at Discord's sizes."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from forumbot.bot.client import ForumBot
from forumbot.sandbox import DemoGuild, Sandbox, SandboxFile
from tests.fixtures.bot import LoadArticles

JUMP = re.compile(r"https://discord\.com/channels/(\d+)/(\d+)/(\d+)")


def labels(message: dict[str, Any]) -> dict[str, str]:
    return {
        c.get("label"): c["custom_id"]
        for row in message.get("components") or []
        for c in row.get("components") or []
    }


def embed_size(message: dict[str, Any]) -> int:
    total = 0
    for embed in message.get("embeds") or []:
        total += len(embed.get("title") or "") + len(embed.get("description") or "")
        total += len((embed.get("footer") or {}).get("text") or "")
        for field in embed.get("fields") or []:
            total += len(field["name"]) + len(field["value"])
    return total


async def test_results_count_number_across_pages_and_group_per_article(
    bot: ForumBot, sandbox: Sandbox, demo: DemoGuild, published: list[int]
) -> None:
    handle = await sandbox.invoke_command(
        demo.alice_id, demo.general_id, "search", {"query": "india"}
    )
    message = await handle.message()
    text = await handle.text()
    found = re.search(r"(\d+) passages hold every word · showing 1–5", text)
    assert found and int(found.group(1)) > 5, text
    assert "`1.`" in text and "`5.`" in text
    page2 = await sandbox.click(demo.alice_id, message, labels(message)["▶"])
    await page2.response()
    second = await page2.text()
    assert "showing 6–10" in second and "`6.`" in second and "`1.`" not in second
    edited = sandbox.world.messages[message["id"]]
    assert "Share 6" in labels(edited)

    # Several passages of one article sit under one heading (the long essay holds many).
    many = await sandbox.invoke_command(
        demo.alice_id, demo.general_id, "search", {"query": "stalin revisionists"}
    )
    body = await many.text()
    titles = re.findall(r"\n\*\*(.+?)\*\* \(#(\d+)\)", body)
    numbered = re.findall(r"`(\d+)\.` ¶", body)
    assert len(numbered) == 5 and len(titles) < len(numbered), body
    sandbox.assert_no_violations()


async def test_filters_are_shown_and_a_filter_alone_lists_passages(
    bot: ForumBot, sandbox: Sandbox, demo: DemoGuild, published: list[int]
) -> None:
    by_option = await sandbox.invoke_command(
        demo.alice_id, demo.general_id, "search", {"author": "Dipankar"}
    )
    text = await by_option.text()
    assert "passages listed" in text and "Filters: author “Dipankar”" in text
    assert "Dipankar Bhattacharya" in text and "`1.` ¶1" in text
    in_query = await sandbox.invoke_command(
        demo.alice_id, demo.general_id, "search", {"query": 'author:"Sumanta Banerjee"'}
    )
    listed = await in_query.text()
    assert "8 passages listed" in listed and "Revolution and internationalism" in listed
    combined = await sandbox.invoke_command(
        demo.alice_id,
        demo.general_id,
        "search",
        {"query": "fascism order:newest", "author": "Dipankar"},
    )
    assert "Filters: author “Dipankar” · newest first" in await combined.text()
    nothing = await sandbox.invoke_command(demo.alice_id, demo.general_id, "search", {})
    assert "Give words to search for" in await nothing.text()
    sandbox.assert_no_violations()


async def test_an_empty_archive_says_so(bot: ForumBot, sandbox: Sandbox, demo: DemoGuild) -> None:
    handle = await sandbox.invoke_command(
        demo.alice_id, demo.general_id, "search", {"query": "anything"}
    )
    assert "The archive is empty" in await handle.text()


EMPHASIS = (
    "---\ntitle: Emphasis test\nauthor: Ada\n---\n\n"
    "The **general strike** was *called* for Monday; snake_case stays, 2 * 3 = 6.\n\n"
    "Second passage about quiet harbours.\n"
)


async def test_cite_and_snippets_show_the_articles_emphasis_and_underline_matches(
    bot: ForumBot,
    sandbox: Sandbox,
    configured: DemoGuild,
    load_articles: LoadArticles,
    tmp_path: Path,
) -> None:
    demo = configured
    path = tmp_path / "emph.md"
    path.write_text(EMPHASIS)
    [article_id] = await load_articles(path)
    cite = await sandbox.invoke_command(
        demo.alice_id, demo.general_id, "cite", {"article": str(article_id), "passage": "1"}
    )
    quote = (await cite.message())["content"]
    assert "**general strike**" in quote and "*called*" in quote
    assert "\\*\\*" not in quote and "snake\\_case" in quote and "2 \\* 3" in quote
    search = await sandbox.invoke_command(
        demo.alice_id, demo.general_id, "search", {"query": "strike monday"}
    )
    text = await search.text()
    assert "**general __strike__**" in text  # the article's bold, the match underlined
    assert "__Monday__" in text and "*called*" in text
    sandbox.assert_no_violations()


async def test_results_hold_at_any_size(
    bot: ForumBot,
    sandbox: Sandbox,
    configured: DemoGuild,
    load_articles: LoadArticles,
    tmp_path: Path,
) -> None:
    demo = configured
    paths = []
    for n in range(8):
        title = f"Huge title {n} " + "w" * 280
        author = "An author with a very long name " + "x" * 250
        passages = [
            ("*_`|>~ markup-heavy harbour text @everyone <@1> " * 60)[:3900] for _ in range(6)
        ]
        body = "\n\n".join(passages)
        path = tmp_path / f"huge{n}.md"
        path.write_text(f"---\ntitle: {title}\nauthor: {author}\n---\n\n{body}\n")
        paths.append(path)
    await load_articles(*paths)
    handle = await sandbox.invoke_command(
        demo.alice_id, demo.general_id, "search", {"query": "harbour " * 20}
    )
    message = await handle.message()
    assert len(message["embeds"][0]["description"]) <= 4096 and embed_size(message) <= 6000
    assert "`5.`" in await handle.text()
    listing = await sandbox.invoke_command(
        demo.alice_id, demo.general_id, "search", {"author": "x" * 90}
    )
    listed = await listing.message()
    assert embed_size(listed) <= 6000 and "48 passages listed" in await listing.text()
    sandbox.assert_no_violations()


MARKDOWN = (
    "---\ntitle: Field report\ntags: [one, two, three, four, five, sixth, seventh]\n---\n"
    "Opening words of the report.[^1]\n\n## Methods\n\nWe counted the votes twice.\n\n"
    "## Results\n\nThe motion passed.\n\n[^1]: Counted by the clerk.\n"
)


async def test_markdown_upload_preview_reports_structure_and_the_post_titles_sections(
    bot: ForumBot, sandbox: Sandbox, configured: DemoGuild
) -> None:
    demo = configured
    handle = await sandbox.invoke_command(
        demo.admin_id,
        demo.general_id,
        "article load",
        {"file": SandboxFile("report.md", MARKDOWN.encode()), "publish": True},
    )
    preview = await handle.message()
    text = await handle.text()
    assert "Confirm creates a new article" in text and "3 passages" in text
    assert "sixth" in text and "will not be applied on the forum" in text
    assert "¶2" in text and "Methods" in text  # first passages, with their section
    txt = await sandbox.invoke_command(
        demo.admin_id,
        demo.general_id,
        "article load",
        {"file": SandboxFile("plain.txt", b"Plain\n\nText one here.\n\nMethods\n\nMore text.\n")},
    )
    assert "¶2 looks like a heading" in await txt.text()

    confirm = await sandbox.click(demo.admin_id, preview, labels(preview)["Confirm"])
    await confirm.response()
    await sandbox.wait_until(
        lambda: "Published" in (sandbox.world.messages[preview["id"]]["content"] or ""),
        what="published",
    )
    [thread] = sandbox.threads(demo.forum_id)
    posted = "\n".join(m["content"] for m in sandbox.messages(thread["id"]))
    assert "### Methods\n**¶2**" in posted and "### Results\n**¶3**" in posted
    assert "**¶4**" not in posted  # the headings are not passages
    assert "[1] Counted by the clerk." in posted
    article_id = (await bot.services.archive.list_articles(guild_id=int(demo.guild_id)))[0].id
    cite = await sandbox.invoke_command(
        demo.alice_id, demo.general_id, "cite", {"article": str(article_id), "passage": "2"}
    )
    assert "— *Field report*, § Methods, ¶2" in await cite.text()
    sandbox.assert_no_violations()


async def test_upload_preview_of_many_long_articles_holds(
    bot: ForumBot, sandbox: Sandbox, configured: DemoGuild
) -> None:
    demo = configured
    tags = ", ".join(f"tag{n}" for n in range(9))
    entries = "\n\n".join(
        f"Headline number {n} of the digest, "
        + "long " * 10
        + "\n\n"
        + ("A teaser sentence with **bold** `code`. " * 60)
        for n in range(7)
    )
    text = f"---\nshape: digest\nauthor: {'A' * 300}\ntags: [{tags}]\n---\n{entries}\n"
    handle = await sandbox.invoke_command(
        demo.admin_id,
        demo.general_id,
        "article load",
        {"file": SandboxFile("digest.md", text.encode())},
    )
    message = await handle.message()
    assert embed_size(message) <= 6000
    assert message["embeds"][0]["footer"]["text"] == "… and 2 more articles"
    assert "**bold**" in await handle.text()  # the article's emphasis, as /cite shows it
    sandbox.assert_no_violations()
