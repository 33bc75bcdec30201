"""The web dashboard's only table: rate-limit counters, shared by every process serving it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from forumbot.storage.models.base import Base


class WebRateLimit(Base):
    """Hits on one key (e.g. `login:<ip>`) in one fixed window; the key names the window."""

    __tablename__ = "web_rate_limits"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    hits: Mapped[int] = mapped_column(Integer, default=0)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
