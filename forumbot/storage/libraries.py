"""Libraries: which articles a guild (or the command line) sees, and where its loads go.

A guild sees its own library plus the operator's shared library, unless the operator limited the
shared library to chosen guilds (`shared_library_guilds`). The command line without a guild
works on the shared library alone.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import delete, func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from forumbot.storage.models.archive import SHARED_LIBRARY, Article, SharedLibraryGuild
from forumbot.storage.search.sqlite import fetchall

__all__ = [
    "SHARED_LIBRARY",
    "LibraryScope",
    "library_counts",
    "library_scope",
    "set_shared_guilds",
    "shared_guilds",
]

MAX_GUILD_ID = 2**63 - 1
_SCOPE_SQL = (
    "SELECT count(*), count(CASE WHEN guild_id = :guild THEN 1 END) FROM shared_library_guilds"
)


@dataclass(frozen=True, slots=True)
class LibraryScope:
    """`home`: the library loads write to. `visible`: the libraries reads see (None: all of
    them, for work that is not on anyone's behalf, such as a publication already planned)."""

    home: int = SHARED_LIBRARY
    visible: tuple[int, ...] | None = (SHARED_LIBRARY,)

    def sees(self, library_id: int) -> bool:
        return self.visible is None or library_id in self.visible


SHARED_SCOPE = LibraryScope()
EVERY_LIBRARY = LibraryScope(visible=None)


async def library_scope(session: AsyncSession, guild_id: int | None) -> LibraryScope:
    """The scope of a guild: its own library, plus the shared one if the operator allows it.
    None (the command line without --guild): the shared library alone."""
    if guild_id is None:
        return SHARED_SCOPE
    # Runs before every guild search: one trip through the driver (on SQLite, SQLAlchemy's
    # statement path costs ~0.25 ms here; see forumbot.storage.search.sqlite.fetchall).
    rows = await fetchall(session, _SCOPE_SQL, {"guild": int(guild_id)})
    ((limited, allowed),) = list(rows)
    if limited and not allowed:
        return LibraryScope(home=guild_id, visible=(guild_id,))
    return LibraryScope(home=guild_id, visible=(guild_id, SHARED_LIBRARY))


async def shared_guilds(session: AsyncSession) -> list[int]:
    """The guilds the shared library is limited to; [] when every guild sees it."""
    rows = await session.scalars(select(SharedLibraryGuild.guild_id).order_by("guild_id"))
    return list(rows)


async def set_shared_guilds(session: AsyncSession, guild_ids: Iterable[int]) -> list[int]:
    """Limit the shared library to these guilds (none: every guild sees it). The caller
    commits."""
    chosen = sorted(set(guild_ids))
    await session.execute(delete(SharedLibraryGuild))
    if chosen:
        await session.execute(insert(SharedLibraryGuild), [{"guild_id": g} for g in chosen])
    return chosen


async def library_counts(session: AsyncSession) -> dict[int, int]:
    """Articles per library (the shared library is always listed)."""
    rows = await session.execute(
        select(Article.library_id, func.count(Article.id)).group_by(Article.library_id)
    )
    counts = {SHARED_LIBRARY: 0}
    counts.update((int(library), int(n)) for library, n in rows)
    return counts
