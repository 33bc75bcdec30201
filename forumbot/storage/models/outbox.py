"""The moderation outbox: what a case still has to do on Discord, written in the transaction
that records the case, so a crash between the commit and Discord's answer loses nothing.

Each row is one side effect (delete the comment, time the member out, post in the mod-log, DM
the member, slow a thread down, say so in it), keyed so that it exists once per action. A
process claims a row before doing it (`claimed_by` until `claimed_until`), marks it done in the
same transaction as what follows from it (the DM's outcome in the ledger), and a failure puts it
back with a later `next_at`.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, DateTime, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from forumbot.storage.models.base import Base, utcnow


class ModOutbox(Base):
    __tablename__ = "mod_outbox"
    __table_args__ = (Index("ix_mod_outbox_due", "done_at", "next_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    guild_id: Mapped[int] = mapped_column(BigInteger)
    # One row per side effect of one action: "case:<ledger id>:dm", "slowmode:<ledger id>:thread".
    key: Mapped[str] = mapped_column(String(120), unique=True)
    # delete | timeout | modlog | dm | thread | announce | modlog_text | restore | pin
    kind: Mapped[str] = mapped_column(String(16))
    entry_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    payload: Mapped[str] = mapped_column(Text)  # JSON: what the call needs
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    claimed_by: Mapped[str | None] = mapped_column(String(200), nullable=True)
    claimed_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    done_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    # done | closed (DMs closed) | failed (gave up; moderators were told)
    outcome: Mapped[str | None] = mapped_column(String(16), nullable=True)
    error: Mapped[str | None] = mapped_column(String(300), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
