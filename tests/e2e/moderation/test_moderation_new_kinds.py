"""Issue 10 kinds end to end: the member's DM and the mod-log quote the message as it was
written (before normalisation) for a threat in another language, an evasion, belittling in
English and German, and a message only the learned signal holds."""

from __future__ import annotations

import json

import pytest

from forumbot.sandbox import DemoGuild, Sandbox
from tests.e2e.moderation.support import Processed, article_thread


def _embed_text(message: dict[str, object]) -> str:
    return json.dumps(message.get("embeds", []), ensure_ascii=False)


@pytest.mark.parametrize(
    ("text", "rule"),
    [
        ("Я тебя найду и убью.", "threats-ru"),
        ("you are a m🤬o🤬r🤬o🤬n", "personal-insults"),
        ("Did you learn to read this year?", "belittling"),
        ("Nimm deine Tabletten und versuch es morgen nochmal.", "belittling-de"),
        ("We have people in Croydon too, Jenkins. Sleep well.", "learned-signal"),
        ("Your wife and kids would look lovely in a house fire, wouldn't they", "violent-imagery"),
    ],
)
async def test_dm_and_modlog_quote_the_message_as_written(
    configured: DemoGuild, sandbox: Sandbox, processed: Processed, text: str, rule: str
) -> None:
    demo = configured
    thread = await article_thread(sandbox, demo)
    msg = await sandbox.send_message(demo.alice_id, thread, text)
    await sandbox.wait_for_request("DELETE", rf"/channels/{thread['id']}/messages/{msg['id']}")
    await sandbox.wait_until(lambda: sandbox.dm_messages(demo.alice_id), what="DM to alice")
    dm = sandbox.dm_messages(demo.alice_id)[-1]
    assert text in _embed_text(dm)
    await sandbox.wait_until(
        lambda: any(text in _embed_text(m) for m in sandbox.messages(demo.modlog_id)),
        what="mod-log quoting the message",
    )
    log = next(m for m in sandbox.messages(demo.modlog_id) if text in _embed_text(m))
    assert rule in _embed_text(log)
    await processed.until(3)
    sandbox.assert_no_violations()
