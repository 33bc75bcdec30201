"""Moderation end to end, the remaining bullets of the issue: thread titles (new and renamed),
the bot's own relayed text, every remaining thread control, and every moderator or admin command
refused to a plain member by the bot itself."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from forumbot.sandbox import DemoGuild, Sandbox, SandboxFile
from forumbot.sandbox.commands import (
    ATTACHMENT,
    BOOLEAN,
    CHANNEL,
    INTEGER,
    NUMBER,
    ROLE,
    STRING,
    SUB_COMMAND,
    SUB_COMMAND_GROUP,
    USER,
)
from tests.e2e.moderation.support import (
    Processed,
    article_thread,
    command,
    deleted,
    dm_texts,
)
from tests.fixtures.bot import LoadArticles


async def _queue(sandbox: Sandbox, demo: DemoGuild) -> str:
    return await command(sandbox, demo.moderator_id, demo.general_id, "mod queue")


async def test_uncivil_thread_title_is_flagged_for_review(
    configured: DemoGuild, sandbox: Sandbox, processed: Processed
) -> None:
    demo = configured
    thread = await sandbox.create_forum_post(
        demo.alice_id, demo.forum_id, "you are an idiot, author", "Discuss."
    )
    outcomes = await processed.until(2)
    titles = [c for c in processed.copies if c.source == "title"]
    assert [t.content for t in titles] == ["you are an idiot, author"]
    assert any(o.entries for o in outcomes)
    queue = await _queue(sandbox, demo)
    assert "Thread title flagged" in queue and "you are an idiot" in queue
    # A title cannot be held, so the thread itself stays.
    assert sandbox.find_requests("DELETE", rf"/channels/{thread['id']}$", since=0) == []


async def test_renaming_a_thread_to_an_insult_is_screened(
    configured: DemoGuild, sandbox: Sandbox, processed: Processed
) -> None:
    demo = configured
    thread = await sandbox.create_forum_post(
        demo.alice_id, demo.forum_id, "A fair question", "What did the author mean?"
    )
    first = await processed.until(2)
    assert not any(o.entries for o in first)
    await sandbox.edit_thread(demo.alice_id, thread, name="you morons, all of you")
    await processed.until(3)
    renamed = processed.copies[-1]
    assert renamed.source == "title" and renamed.content == "you morons, all of you"
    assert processed.outcomes[-1].entries
    assert "you morons, all of you" in await _queue(sandbox, demo)


async def test_bot_relayed_text_is_screened_and_held_without_member_effects(
    configured: DemoGuild,
    sandbox: Sandbox,
    processed: Processed,
    load_articles: LoadArticles,
    tmp_path: Path,
) -> None:
    demo = configured
    doc = tmp_path / "rude.md"
    doc.write_text(
        "# A rude piece\n\nA first, harmless paragraph about the harvest.\n\n"
        "You are an idiot and you are a moron.\n",
        encoding="utf-8",
    )
    [article_id] = await load_articles(doc)
    published = await command(
        sandbox, demo.admin_id, demo.general_id, "article publish", {"article": str(article_id)}
    )
    assert "Published" in published
    [thread] = sandbox.threads(demo.forum_id)
    # The held passage may already be gone from the thread, so wait for the pipeline instead.
    rude = await processed.first(lambda copy: "idiot" in copy.content)
    relays = [c for c in processed.copies if c.source == "relay"]
    assert relays and all(c.author_id is None and c.thread_id == int(thread["id"]) for c in relays)
    assert rude.queue_item is not None and rude.queue_item.member_id is None
    queue = await _queue(sandbox, demo)
    assert "bot output" in queue and "idiot" in queue
    # No member is punished or messaged for the bot's own output.
    assert sandbox.find_requests("PATCH", rf"/guilds/{demo.guild_id}/members/", since=0) == []
    assert dm_texts(sandbox, demo.admin_id) == []


async def test_pin_unlock_archive_are_done_and_logged_with_reasons(
    configured: DemoGuild, sandbox: Sandbox, processed: Processed
) -> None:
    demo = configured
    thread = await article_thread(sandbox, demo)
    msg = await sandbox.send_message(demo.alice_id, thread, "A comment worth keeping on top.")
    await processed.until(3)
    steps: list[tuple[str, dict[str, Any]]] = [
        ("mod pin", {"message": str(msg["id"]), "reason": "best summary"}),
        ("mod lock", {"reason": "cooling off"}),
        ("mod unlock", {"reason": "calmer now"}),
        ("mod archive", {"reason": "discussion over"}),
    ]
    for name, options in steps:
        text = await command(sandbox, demo.moderator_id, thread, name, options)
        assert "(logged in the mod-log)" in text, (name, text)
    pin = sandbox.find_requests(
        "PUT", rf"/channels/{thread['id']}/(messages/)?pins/{msg['id']}$", since=0
    )
    assert pin and pin[0].reason and "best summary" in pin[0].reason
    meta = sandbox.channel(thread["id"])["thread_metadata"]
    assert meta["locked"] is False and meta["archived"] is True
    reasons = [r.reason or "" for r in sandbox.find_requests("PATCH", rf"/channels/{thread['id']}$",
                                                             since=0)]  # fmt: skip
    for why in ("cooling off", "calmer now", "discussion over"):
        assert any(why in r for r in reasons), (why, reasons)
    info = await command(sandbox, demo.moderator_id, demo.general_id, "mod thread",
                         {"thread": thread["id"]})  # fmt: skip
    for kind in ("pin 1", "lock 1", "unlock 1", "archive 1"):
        assert kind in info, info
    await sandbox.wait_until(
        lambda: len([m for m in sandbox.messages(demo.modlog_id) if m.get("embeds")]) >= 4,
        what="four mod-log records",
    )


def _privileged(sandbox: Sandbox, guild_id: str) -> list[tuple[str, list[dict[str, Any]]]]:
    """Every synced chat command (leaf) whose definition restricts it by default permissions."""
    found: list[tuple[str, list[dict[str, Any]]]] = []

    def walk(prefix: str, options: list[dict[str, Any]]) -> None:
        subs = [o for o in options if o["type"] in (SUB_COMMAND, SUB_COMMAND_GROUP)]
        if not subs:
            found.append((prefix, options))
        for sub in subs:
            walk(f"{prefix} {sub['name']}", sub.get("options") or [])

    for scope in (guild_id, None):
        for cmd in sandbox.commands.get(scope, []):
            if cmd["type"] == 1 and cmd.get("default_member_permissions") not in (None, "0"):
                walk(cmd["name"], cmd.get("options") or [])
    return found


def _value(option: dict[str, Any], demo: DemoGuild, thread: dict[str, Any]) -> Any:
    if option.get("choices"):
        return option["choices"][0]["value"]
    kind = option["type"]
    if kind == USER:
        return demo.bob_id
    if kind == CHANNEL:
        by_type = {0: demo.general_id, 15: demo.forum_id, 10: thread["id"], 11: thread["id"]}
        return by_type[(option.get("channel_types") or [11])[0]]
    if kind == ROLE:
        return demo.moderator_role_id
    if kind in (INTEGER, NUMBER):
        return option.get("min_value", 1)
    if kind == BOOLEAN:
        return True
    if kind == STRING:
        return "1"
    raise AssertionError(f"no sample value for option type {kind} ({option['name']})")


async def test_every_moderator_and_admin_command_is_refused_to_members(
    configured: DemoGuild, sandbox: Sandbox, processed: Processed
) -> None:
    demo = configured
    thread = await article_thread(sandbox, demo)
    await processed.until(2)
    commands = _privileged(sandbox, demo.guild_id)
    names = {name for name, _ in commands}
    # Discord would hide these from members; the bot must refuse them on its own as well.
    assert sandbox.enforce_command_permissions is False
    assert {"mod queue", "mod warn", "mod thread", "rules set", "rules backtest"} <= names
    assert len(names) >= 20, sorted(names)
    start = sandbox.mark()
    for name, options in commands:
        values = {
            o["name"]: _value(o, demo, thread)
            for o in options
            if o.get("required") and o["type"] != ATTACHMENT
        }
        handle = await sandbox.invoke_command(demo.alice_id, thread, name, values)
        response = await handle.response()
        text = await handle.text()
        assert handle.ephemeral, name
        assert response and any(
            word in text for word in ("Only moderators", "permission", "owner")
        ), (name, text)
    # Nothing changed: no message removed, member edited, thread changed or mod-log post made.
    assert sandbox.find_requests("DELETE", r"/messages/", since=start) == []
    assert sandbox.find_requests("PATCH", r"/guilds/.+/members/", since=start) == []
    assert sandbox.find_requests("PATCH", rf"/channels/{thread['id']}$", since=start) == []
    assert sandbox.find_requests("POST", rf"/channels/{demo.modlog_id}/messages", since=start) == []
    assert not deleted(sandbox, thread)


async def test_queue_and_mod_log_buttons_are_refused_to_members(
    configured: DemoGuild, sandbox: Sandbox, processed: Processed
) -> None:
    demo = configured
    thread = await article_thread(sandbox, demo)
    insult = await sandbox.send_message(demo.bob_id, thread, "you are an idiot")
    item = next(o for o in await processed.until(3) if o.entries).queue_item
    assert item is not None and deleted(sandbox, insult)
    await sandbox.wait_until(
        lambda: any(m.get("components") for m in sandbox.messages(demo.modlog_id)), what="mod-log"
    )
    record = next(m for m in sandbox.messages(demo.modlog_id) if m.get("components"))
    listing = await (
        await sandbox.invoke_command(demo.moderator_id, demo.general_id, "mod queue", {})
    ).message()
    case = next(
        c["custom_id"].split(":")[2]
        for row in record["components"]
        for c in row["components"]
        if c["custom_id"].startswith("mod:pardon:")
    )
    start = sandbox.mark()
    clicks = [(listing, f"mod:decide:{item.id}:{what}") for what in
              ("claim", "approve", "remove", "timeout")]  # fmt: skip
    clicks += [(record, f"mod:{what}:{case}") for what in ("pardon", "escalate")]
    clicks.append((record, f"mod:history:{demo.bob_id}"))
    for message, custom_id in clicks:
        handle = await sandbox.click(demo.alice_id, message, custom_id)
        assert "Only moderators" in await handle.text(), custom_id
    assert sandbox.find_requests("POST", rf"/channels/{thread['id']}/messages", since=start) == []
    assert sandbox.find_requests("PATCH", r"/guilds/.+/members/", since=start) == []
    queue = await _queue(sandbox, demo)
    assert f"Case #{item.number} (held) · open" in queue


async def test_rules_backtest_tries_a_proposed_rule_file_without_saving_it(
    configured: DemoGuild, sandbox: Sandbox, processed: Processed
) -> None:
    demo = configured
    thread = await article_thread(sandbox, demo)
    await sandbox.send_message(demo.alice_id, thread, "I baked banana bread for the meeting.")
    await processed.until(3)
    proposed = (
        "rules:\n  - id: no-bananas\n    kind: words\n    words: [banana]\n"
        "    guideline: be civil\n    action: hold\n"
    )
    handle = await sandbox.invoke_command(
        demo.moderator_id, demo.general_id, "rules backtest",
        {"rule": "no-bananas", "file": SandboxFile("proposed.yaml", proposed.encode())},
    )  # fmt: skip
    text = await handle.text()
    assert "Backtest of 1 proposed rule(s)" in text, text
    assert "would hold 1 of" in text and "banana bread" in text
    bad = await sandbox.invoke_command(
        demo.moderator_id, demo.general_id, "rules backtest",
        {"file": SandboxFile("bad.yaml", b"rules:\n  - id: x\n    action: explode\n")},
    )  # fmt: skip
    assert "invalid rules" in await bad.text()
    # Nothing was saved: the live rules do not know the proposed rule.
    tested = await command(
        sandbox, demo.moderator_id, demo.general_id, "rules test", {"text": "banana"}
    )
    assert "No rule matched" in tested
    shown = await command(sandbox, demo.moderator_id, demo.general_id, "rules show")
    assert "no-bananas" not in shown


async def test_the_bots_public_command_answers_in_article_threads_are_screened(
    configured: DemoGuild,
    sandbox: Sandbox,
    processed: Processed,
    load_articles: LoadArticles,
    tmp_path: Path,
) -> None:
    demo = configured
    doc = tmp_path / "rude.md"
    doc.write_text(
        "# A rude piece\n\nA harmless paragraph.\n\nYou are an idiot and you are a moron.\n",
        encoding="utf-8",
    )
    [article_id] = await load_articles(doc)
    thread = await article_thread(sandbox, demo)
    await processed.until(2)
    handle = await sandbox.invoke_command(
        demo.bob_id, thread, "cite", {"article": str(article_id), "passage": "2"}
    )
    cited = await handle.message()
    outcome = await processed.first(lambda copy: copy.message_id == int(cited["id"]))
    assert processed.copies[-1].source == "relay" and processed.copies[-1].author_id is None
    assert outcome.queue_item is not None and outcome.queue_item.member_id is None
    await sandbox.wait_for_request("DELETE", rf"/messages/{cited['id']}$", since=0)
    # Bob only asked for the quote: nothing is held against him.
    assert sandbox.dm_messages(demo.bob_id) == []
    civil = await sandbox.invoke_command(
        demo.bob_id, thread, "cite", {"article": str(article_id), "passage": "1"}
    )
    quiet = await civil.message()
    assert not (await processed.first(lambda copy: copy.message_id == int(quiet["id"]))).entries


async def test_manual_timeout_and_pardon_commands_act_log_and_tell(
    configured: DemoGuild, sandbox: Sandbox
) -> None:
    demo = configured
    timed = await command(
        sandbox, demo.moderator_id, demo.general_id, "mod timeout",
        {"member": demo.bob_id, "reason": "flame war", "minutes": 10},
    )  # fmt: skip
    assert "Timed out" in timed and "10 min" in timed
    case = timed.split("case #")[1].split(")")[0]
    patch = await sandbox.wait_for_request(
        "PATCH", rf"/guilds/{demo.guild_id}/members/{demo.bob_id}$", since=0
    )
    assert patch.json and patch.json.get("communication_disabled_until")
    assert patch.reason and "flame war" in patch.reason
    assert sandbox.world.is_timed_out(sandbox.world.guild(demo.guild_id), demo.bob_id)
    assert any("flame war" in t for t in dm_texts(sandbox, demo.bob_id))
    pardoned = await command(
        sandbox, demo.moderator_id, demo.general_id, "mod pardon",
        {"case": int(case), "reason": "misread the thread"},
    )  # fmt: skip
    assert f"Case #{case} pardoned" in pardoned
    assert not sandbox.world.is_timed_out(sandbox.world.guild(demo.guild_id), demo.bob_id)
    logged = [e["title"] for m in sandbox.messages(demo.modlog_id) for e in m.get("embeds", [])]
    assert any(t.endswith("· timeout") for t in logged)
    assert any(t.endswith("· pardon") for t in logged)
    history = await command(
        sandbox, demo.moderator_id, demo.general_id, "mod history", {"member": demo.bob_id}
    )
    assert f"#{case} timeout (pardoned)" in history
