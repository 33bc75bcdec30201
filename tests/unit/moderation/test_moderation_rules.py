"""Per-guild rules: validated overrides, modes, the audit trail; backtests over the archive."""

from __future__ import annotations

import pytest

from forumbot.domain.article import ParsedArticle, ParsedComment
from forumbot.services.moderation import ModerationService
from forumbot.services.moderation.errors import InvalidRules, NotFound
from forumbot.services.moderation.port import RecordingPort
from forumbot.storage.archive import ArchiveRepository
from tests.unit.moderation.conftest import ALICE, GUILD, MOD_A, MOD_B, message


async def test_invalid_overrides_are_refused_with_every_problem(
    service: ModerationService,
) -> None:
    bad = "rules:\n  - id: slur\n    action: explode\n  - id: new-one\n    kind: words\n"
    with pytest.raises(InvalidRules) as caught:
        await service.rules.set_overrides(GUILD, bad, actor_id=MOD_A, reason="tighten")
    text = str(caught.value)
    assert "action" in text and "explode" in text and "new-one" in text
    with pytest.raises(InvalidRules, match="YAML syntax error at line"):
        await service.rules.set_overrides(GUILD, "rules: [", actor_id=MOD_A, reason="x")
    with pytest.raises(InvalidRules, match="Say why"):
        await service.rules.set_overrides(GUILD, "", actor_id=MOD_A, reason=" ")
    assert await service.rules.changes(GUILD) == []


async def test_override_takes_effect_and_is_audited(
    service: ModerationService, port: RecordingPort
) -> None:
    overrides = "rules:\n  - id: rudeness\n    action: hold\n"
    change = await service.rules.set_overrides(
        GUILD, overrides, actor_id=MOD_A, reason="too many rude replies"
    )
    assert (change.change, change.actor_id, change.before_yaml, change.after_yaml) == (
        "set", MOD_A, "", overrides,
    )  # fmt: skip
    out = await service.handle_message(message("shut up"))
    assert out.kinds() == ["hold"]  # the engine cache was invalidated


async def test_mode_switch_to_shadow_and_back(
    service: ModerationService, port: RecordingPort
) -> None:
    await service.rules.set_mode(GUILD, "personal-attack", "shadow", actor_id=MOD_A, reason="try")
    out = await service.handle_message(message("you are an idiot"))
    assert out.entries == [] and port.calls == []
    assert [h.rule for h in out.screening.shadow] == ["personal-attack"]
    await service.rules.set_mode(GUILD, "personal-attack", "enforce", actor_id=MOD_B, reason="ok")
    assert (await service.handle_message(message("you are an idiot"))).kinds() == ["hold"]
    changes = await service.rules.changes(GUILD)
    assert [(c.change, c.rule, c.actor_id, c.reason) for c in changes] == [
        ("mode", "personal-attack", MOD_B, "ok"),
        ("mode", "personal-attack", MOD_A, "try"),
    ]
    assert "mode: enforce" in changes[0].after_yaml and "mode: shadow" in changes[0].before_yaml
    with pytest.raises(NotFound, match="No rule 'nope'"):
        await service.rules.set_mode(GUILD, "nope", "shadow", actor_id=MOD_A, reason="x")
    with pytest.raises(InvalidRules, match="Mode must be"):
        await service.rules.set_mode(GUILD, "slur", "loud", actor_id=MOD_A, reason="x")


async def test_test_text_has_no_side_effects(
    service: ModerationService, port: RecordingPort
) -> None:
    result = await service.test_text(GUILD, "you are an idiot")
    assert result.level.name == "HOLD" and result.rule == "personal-attack"
    proposed = await service.test_text(
        GUILD, "shut up", overrides_yaml="rules:\n  - id: rudeness\n    action: remove\n"
    )
    assert proposed.level.name == "REMOVE"
    assert port.calls == [] and (await service.members.history(GUILD, ALICE)).entries == ()


async def test_backtest_counts_over_passages_comments_and_recorded(
    service: ModerationService, sessionmaker
) -> None:
    article = ParsedArticle(
        key="k1",
        title="On Purges",
        paragraphs=(
            "The purges of 1937 were a catastrophe for the party.",
            "Critics called the leadership idiots and worse.",
            "Banana republics are a phrase of American journalism.",
        ),
        comments=(
            ParsedComment(1, "Great article, thanks."),
            ParsedComment(2, "You are an idiot if you believe this.", "troll"),
        ),
    )
    async with sessionmaker() as session, session.begin():
        await ArchiveRepository(session).save_article(article)
    await service.handle_message(message("shut up", author=ALICE))  # recorded live comment

    report = await service.backtest(GUILD)
    assert report.total == 3 + 2 + 1
    assert report.by_source == {"passage": 3, "comment": 2, "recorded": 1}
    # Shadow rules are tried as if enforced: "banana" would be held.
    assert report.lines() == ["would hold 2 of 6", "would nudge 1 of 6"]
    assert set(report.by_rule) == {"personal-attack", "fruit", "rudeness"}
    wheres = {e.where for e in report.examples}
    assert "comment: On Purges #2" in wheres and "passage: On Purges ¶3" in wheres

    one = await service.backtest(GUILD, rule_id="personal-attack")
    assert one.rules == ["personal-attack"] and one.lines() == ["would hold 1 of 6"]
    assert one.to_json()["by_action"] == {"hold": 1}
    with pytest.raises(NotFound):
        await service.backtest(GUILD, rule_id="missing")


async def test_rule_changes_reach_the_mod_log_with_who_and_why(
    service: ModerationService, port: RecordingPort
) -> None:
    await service.set_rule_mode(GUILD, "personal-attack", "shadow", actor_id=MOD_A, reason="try")
    overrides = "rules:\n  - id: rudeness\n    action: hold\n"
    change = await service.set_rules(GUILD, overrides, actor_id=MOD_B, reason="rude replies")
    with pytest.raises(InvalidRules):
        await service.set_rules(GUILD, "rules: [{id: x}]", actor_id=MOD_B, reason="broken")
    logged = port.named("modlog")
    assert [(e.kind, e.rule, e.actor_id, e.reason) for e, _ in logged] == [  # type: ignore[misc]
        ("rules", "personal-attack", MOD_A, "try"),
        ("rules", None, MOD_B, "rude replies"),
    ]
    entry, summary = logged[1]  # type: ignore[misc]
    assert entry.details == {"change": "set", "change_id": str(change.id)}
    assert summary.startswith(f"**Rule change #{change.id}** · by <@{MOD_B}>")
    assert "bot output" not in summary and "Reason: rude replies" in summary
    assert logged[0][0].details["mode"] == "shadow"  # type: ignore[index]
