"""INSERT ... ON CONFLICT for both backends: the portable way to let two processes race for a
row and have exactly one win, with no unique-violation exception on either side."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession


def _insert(session: AsyncSession, table: Table) -> Any:
    dialect = session.get_bind().dialect.name
    return (postgresql if dialect == "postgresql" else sqlite).insert(table)


async def insert_ignore(
    session: AsyncSession, table: Table, values: Mapping[str, Any], keys: Sequence[str]
) -> bool:
    """Insert a row unless one with the same `keys` exists; True when this call inserted it."""
    stmt = _insert(session, table).values(**values).on_conflict_do_nothing(index_elements=keys)
    result = await session.execute(stmt)
    return bool(getattr(result, "rowcount", 0))


async def insert_ignore_many(
    session: AsyncSession, table: Table, rows: Sequence[Mapping[str, Any]], keys: Sequence[str]
) -> set[Any]:
    """`insert_ignore` of many rows in one statement; the set of the `keys[0]` values of the
    rows this call inserted (those already present, or inserted concurrently, are left out)."""
    if not rows:
        return set()
    column = table.c[keys[0]]
    stmt = (
        _insert(session, table)
        .values(list(rows))
        .on_conflict_do_nothing(index_elements=keys)
        .returning(column)
    )
    return set((await session.execute(stmt)).scalars())


async def upsert(
    session: AsyncSession,
    table: Table,
    values: Mapping[str, Any],
    keys: Sequence[str],
    update: Mapping[str, Any],
) -> None:
    """Insert a row, or update `update` on the existing one with the same `keys`."""
    stmt = _insert(session, table).values(**values)
    stmt = stmt.on_conflict_do_update(index_elements=keys, set_=dict(update))
    await session.execute(stmt)
