"""Per-guild numbers people act on: "Case #12", "Report #4", "Appeal #3". Each kind counts
1, 2, 3 ... on its own, so a number never skips and means one thing everywhere (queue,
mod-log, DMs, history, autocomplete)."""

from __future__ import annotations

import re

from sqlalchemy import update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from forumbot.services.moderation.errors import NotAllowed
from forumbot.storage.models.moderation import ModCounter

KINDS = ("case", "report", "appeal")
# What a queue item is called, by its kind: a held comment is known by its hold's case.
ITEM_NAMES = {"held": "case", "report": "report", "appeal": "appeal"}

_REF = re.compile(r"^\s*(?:(case|report|appeal|held)\s*)?#?\s*(\d{1,9})\s*$", re.IGNORECASE)


async def next_number(session: AsyncSession, guild_id: int, kind: str) -> int:
    """The next number of `kind` in the guild, inside the caller's transaction (the counter
    row stays locked until it commits, so two writers never get the same number)."""
    assert kind in KINDS, kind
    bump = (
        update(ModCounter)
        .where(ModCounter.guild_id == guild_id, ModCounter.kind == kind)
        .values(value=ModCounter.value + 1)
        .returning(ModCounter.value)
    )
    for _ in range(2):
        value = await session.scalar(bump)
        if value is not None:
            return int(value)
        dialect = session.bind.dialect.name if session.bind else "sqlite"
        insert = pg_insert if dialect == "postgresql" else sqlite_insert
        await session.execute(
            insert(ModCounter)
            .values(guild_id=guild_id, kind=kind, value=0)
            .on_conflict_do_nothing(index_elements=["guild_id", "kind"])
        )
    raise RuntimeError(f"could not number a {kind} in guild {guild_id}")


def parse_ref(text: str, default: str | None = None) -> tuple[str | None, int]:
    """'case 12', 'Report #4', 'appeal 3', '#12' or '12' -> (kind or default, number)."""
    found = _REF.match(text or "")
    if found is None:
        raise NotAllowed(
            f"{text!r} is not a case, report or appeal: write it like `case 12`, `report 4` "
            "or `appeal 3`."
        )
    kind = found[1].lower() if found[1] else default
    return ("case" if kind == "held" else kind), int(found[2])
